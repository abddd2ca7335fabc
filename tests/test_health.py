from marketplace import create_app
from tests.factories import free_port, make_test_config, s3_settings


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


def test_healthz_reports_storage_and_is_503_when_the_bucket_is_unreachable(app):
    settings = s3_settings()
    broken = create_app(
        make_test_config(
            app.config["SQLALCHEMY_DATABASE_URI"],
            S3_BUCKET="chohtx-no-such-bucket",
            S3_ENDPOINT_URL=settings["endpoint_url"],
            S3_ACCESS_KEY_ID=settings["access_key"],
            S3_SECRET_ACCESS_KEY=settings["secret_key"],
        )
    )
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["checks"]["storage"] == {
        "status": "down",
        "backend": "s3",
        "error": body["checks"]["storage"]["error"],
    }
    assert body["checks"]["database"]["status"] == "ok"


def test_healthz_reports_the_local_storage_backend(client):
    assert client.get("/healthz").get_json()["checks"]["storage"] == {
        "status": "ok",
        "backend": "local",
    }
