import logging

from marketplace import create_app
from tests.factories import (
    admin_actor,
    free_port,
    login,
    make_person,
    make_test_config,
    s3_settings,
)

TOKEN = "health-token-for-the-platform-monitor-0123"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


def _dead_database_app(**overrides):
    # A real PostgreSQL URL on a port where nothing listens.
    url = f"postgresql+psycopg://chohtx:chohtx@127.0.0.1:{free_port()}/nothing?connect_timeout=2"
    return create_app(make_test_config(url, HEALTH_TOKEN=TOKEN, **overrides))


def test_healthz_is_a_cheap_liveness_check_that_touches_no_dependency():
    app = _dead_database_app()
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_tells_anyone_only_whether_the_app_is_ready(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready"}
    wrong = client.get("/readyz", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.get_json() == {"status": "ready"}


def test_readyz_shows_details_to_a_platform_admin(app, client):
    login(client, admin_actor(app))
    body = client.get("/readyz").get_json()
    assert body["status"] == "ready"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["storage"] == {"status": "ok", "backend": "local"}
    assert body["checks"]["search"]["status"] == "ok"


def test_readyz_shows_details_only_to_a_configured_health_token(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "HEALTH_TOKEN", TOKEN)
    assert client.get("/readyz", headers=BEARER).get_json()["checks"]["database"]["status"] == "ok"
    assert client.get("/readyz").get_json() == {"status": "ready"}
    # Not a platform admin: a logged-in user sees no details either.
    login(client, make_person(app))
    assert client.get("/readyz").get_json() == {"status": "ready"}
    # Without a configured token no header opens the details.
    monkeypatch.setitem(app.config, "HEALTH_TOKEN", None)
    assert client.get("/readyz", headers={"Authorization": "Bearer None"}).get_json() == {
        "status": "ready"
    }


def test_readyz_is_503_when_the_database_is_down_and_never_returns_the_error(caplog):
    app = _dead_database_app()
    client = app.test_client()
    with caplog.at_level(logging.WARNING):
        public = client.get("/readyz")
    assert public.status_code == 503
    assert public.get_json() == {"status": "not ready"}
    assert "health check failed: database" in caplog.text  # logged instead
    detailed = client.get("/readyz", headers=BEARER)
    assert detailed.status_code == 503
    body = detailed.get_json()
    assert body["status"] == "not ready"
    assert body["checks"]["database"] == {"status": "down"}
    text = detailed.get_data(as_text=True)
    assert "127.0.0.1" not in text and "connection" not in text.lower()


def test_readyz_is_503_when_the_bucket_is_unreachable_without_the_error_text(app):
    settings = s3_settings()
    broken = create_app(
        make_test_config(
            app.config["SQLALCHEMY_DATABASE_URI"],
            HEALTH_TOKEN=TOKEN,
            S3_BUCKET="chohtx-no-such-bucket",
            S3_ENDPOINT_URL=settings["endpoint_url"],
            S3_ACCESS_KEY_ID=settings["access_key"],
            S3_SECRET_ACCESS_KEY=settings["secret_key"],
        )
    )
    client = broken.test_client()
    assert client.get("/readyz").get_json() == {"status": "not ready"}
    response = client.get("/readyz", headers=BEARER)
    assert response.status_code == 503
    body = response.get_json()
    assert body["checks"]["storage"] == {"status": "down", "backend": "s3"}
    assert body["checks"]["database"]["status"] == "ok"
    assert "chohtx-no-such-bucket" not in response.get_data(as_text=True)


def test_readyz_is_rate_limited(app):
    limited = create_app(
        make_test_config(app.config["SQLALCHEMY_DATABASE_URI"], HEALTH_RATE_LIMIT="2 per minute")
    )
    client = limited.test_client()
    statuses = [client.get("/readyz").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert client.get("/readyz").is_json
    assert client.get("/healthz").status_code == 200  # liveness is never limited
