from marketplace import create_app
from tests.conftest import free_port, make_test_config


def test_healthz_reports_each_dependency(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok"


def test_healthz_is_503_when_the_database_is_down():
    # A real PostgreSQL URL on a port where nothing listens.
    url = f"postgresql+psycopg://chohtx:chohtx@127.0.0.1:{free_port()}/nothing?connect_timeout=2"
    app = create_app(make_test_config(url))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "down"
    assert body["checks"]["database"]["status"] == "down"
    assert "error" in body["checks"]["database"]
