"""A real threaded server for the API on its own database: schemathesis and the API journey
talk to it over HTTP, as another organisation's system would."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

import pytest
from flask import Flask
from flask_migrate import upgrade
from werkzeug.serving import make_server

from marketplace import create_app
from marketplace.extensions import db
from tests.factories import as_test_app, free_port, fresh_database, make_test_config


@dataclass
class LiveApi:
    url: str
    app: Flask


@pytest.fixture(scope="session")
def api_server(smtp_server, tmp_path_factory) -> LiveApi:
    base_url = os.environ.get("BROWSER_DATABASE_URL")
    if not base_url:
        pytest.exit(
            "BROWSER_DATABASE_URL is not set: run the suite with `make test`.", returncode=1
        )
    with fresh_database(base_url, "api") as url:
        port = free_port()
        app = create_app(
            make_test_config(
                url,
                TESTING=False,
                PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
                SMTP_HOST="127.0.0.1",
                SMTP_PORT=smtp_server.port,
                SMTP_STARTTLS=False,
                LOCAL_STORAGE_PATH=str(tmp_path_factory.mktemp("api-files")),
                # Thousands of generated requests from one key; the limit has its own test.
                API_RATE_LIMIT="100000 per minute",
                # The journey's webhook receiver listens on 127.0.0.1.
                WEBHOOK_ALLOW_PRIVATE=True,
            )
        )
        as_test_app(app)
        with app.app_context():
            upgrade()
        server = make_server("127.0.0.1", port, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield LiveApi(f"http://127.0.0.1:{port}", app)
        server.shutdown()
        with app.app_context():
            db.engine.dispose()
