"""A real server (CSRF, rate limits, sessions as in production) and Debian's Chromium."""

from __future__ import annotations

import os
import threading

import pytest
from flask_migrate import upgrade
from playwright.sync_api import Browser, sync_playwright
from werkzeug.serving import make_server

from marketplace import create_app
from marketplace.extensions import db
from tests.factories import (
    PROJECT_ROOT,
    as_test_app,
    free_port,
    fresh_database,
    make_test_config,
)

OUTPUT_DIR = os.path.join(PROJECT_ROOT, "test-output")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live_server(live):
    return live[0]


@pytest.fixture(scope="session")
def live_app(live):
    return live[1]


@pytest.fixture(scope="session")
def live(smtp_server, tmp_path_factory):
    """(base URL, app) of a real threaded server on its own database."""
    base_url = os.environ.get("BROWSER_DATABASE_URL")
    if not base_url:
        pytest.exit(
            "BROWSER_DATABASE_URL is not set: run the suite with `make test`.", returncode=1
        )
    with fresh_database(base_url, "browser") as url:
        yield from _serve(url, smtp_server, str(tmp_path_factory.mktemp("browser-files")))


def _serve(url: str, smtp_server, files: str):
    port = free_port()
    app = create_app(
        make_test_config(
            url,
            TESTING=False,
            WTF_CSRF_ENABLED=True,
            PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=smtp_server.port,
            SMTP_STARTTLS=False,
            LOCAL_STORAGE_PATH=files,
        )
    )
    as_test_app(app)
    with app.app_context():
        upgrade()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}", app
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Browser:
    executable = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not os.path.exists(executable):
        pytest.exit(
            f"Chromium not found at {executable}: `make test` installs Debian's chromium.",
            returncode=1,
        )
    os.makedirs(OUTPUT_DIR, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser: Browser):
    """A 360-px-wide phone-sized page."""
    context = browser.new_context(viewport={"width": 360, "height": 780}, device_scale_factor=2)
    page = context.new_page()
    yield page
    context.close()
