"""Test fixtures: the app on PostgreSQL, per-test rollback, a real SMTP server, stripe-mock.

Factories and helpers that tests share are in ``tests/factories.py``.

The suite needs PostgreSQL (started by ``scripts/services.sh up``, which ``make test``
runs). Without it the run fails and says so; nothing is skipped.
"""

from __future__ import annotations

import email
import email.policy
import os
import threading
import urllib.request
from dataclasses import dataclass, field
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade

from marketplace import create_app
from marketplace.extensions import db, limiter
from tests.factories import (
    as_test_app,
    free_port,
    fresh_database,
    make_test_config,
    postgres_url,
)

# --- a real SMTP server on loopback -------------------------------------------------


@dataclass
class MailBox:
    messages: list[Message] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        with self.lock:
            self.messages.append(
                email.message_from_bytes(envelope.content, policy=email.policy.default)
            )
        return "250 OK"

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()

    def to(self, address: str) -> list[Message]:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]

    @staticmethod
    def body(message: Message) -> str:
        return message.get_content()


@pytest.fixture(scope="session")
def smtp_server():
    box = MailBox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port  # type: ignore[attr-defined]
    yield box
    controller.stop()


@pytest.fixture
def mailbox(smtp_server: MailBox) -> MailBox:
    smtp_server.clear()
    return smtp_server


# --- the app -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def database_url() -> str:
    with fresh_database(postgres_url(), "run") as url:
        yield url


@pytest.fixture(scope="session")
def app(smtp_server: MailBox, database_url: str, tmp_path_factory) -> Flask:
    url = database_url
    app = create_app(
        make_test_config(
            url,
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=smtp_server.port,
            SMTP_STARTTLS=False,
            LOCAL_STORAGE_PATH=str(tmp_path_factory.mktemp("files")),
        )
    )
    with app.app_context():
        upgrade()  # the schema comes from the migrations, not create_all
        db.session.configure(join_transaction_mode="create_savepoint")

    as_test_app(app)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _isolated(request, app: Flask):
    """Each test runs inside a transaction that is rolled back at the end.

    Services still call commit(): with ``create_savepoint`` that releases a savepoint
    inside the outer transaction. Tests marked ``race`` need real commits from several
    connections and clean up with TRUNCATE instead.
    """
    with app.app_context():
        limiter.reset()
    if request.node.get_closest_marker("race") or request.node.get_closest_marker("browser"):
        yield
        return
    with app.app_context():
        engines = db.engines
        originals = dict(engines)
        connection = originals[None].connect()
        transaction = connection.begin()
        engines[None] = connection
    try:
        yield
    finally:
        with app.app_context():
            db.session.remove()
            engines[None] = originals[None]
        transaction.rollback()
        connection.close()


@pytest.fixture
def ctx(app: Flask):
    """An app context for calling services directly."""
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="session")
def stripe_mock() -> str:
    """The real stripe-mock, started by scripts/services.sh; fail (not skip) without it.

    Modules about payments use it (``pytestmark = pytest.mark.usefixtures("stripe_mock")``)."""
    base = os.environ.get("TEST_STRIPE_API_BASE")
    if not base:
        pytest.fail(
            "TEST_STRIPE_API_BASE is not set: run the suite with `make test`, "
            "which starts stripe-mock"
        )
    request = urllib.request.Request(  # noqa: S310 - loopback test service
        f"{base}/v1/charges", headers={"Authorization": "Bearer sk_test_chohtx"}
    )
    try:
        urllib.request.urlopen(request, timeout=5).close()  # noqa: S310 - loopback test service
    except OSError as exc:
        pytest.fail(f"stripe-mock is not answering at {base}: {exc}")
    return base
