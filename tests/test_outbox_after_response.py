"""Nothing waits on the mail server: with an SMTP server that accepts connections and never
answers, a Stripe webhook and a contract signature answer before anyone talks to it, the
emails wait in the outbox, and the worker delivers them once mail works again."""

from __future__ import annotations

import socket
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace import create_app, unit_of_work
from marketplace.extensions import db
from marketplace.models import Contract, OutboxMessage, Side, Signature
from marketplace.models._types import utcnow
from tests.factories import (
    ServerLikeClient,
    award_all,
    coop_with_listing,
    free_port,
    intent_event,
    invoiced,
    login,
    make_test_config,
    post_rfq,
    quote_on,
    signed,
    start_card,
    verified_buyer,
    verified_coop,
)


class SilentSmtp:
    """A TCP server on loopback that accepts connections and never sends a greeting."""

    def __init__(self) -> None:
        self.port = free_port()
        self.connections = 0
        self._open: list[socket.socket] = []
        self._server = socket.create_server(("127.0.0.1", self.port))
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            self.connections += 1
            self._open.append(conn)

    def close(self) -> None:
        self._server.close()
        for conn in self._open:
            conn.close()


@pytest.fixture
def silent_smtp():
    server = SilentSmtp()
    yield server
    server.close()


@pytest.fixture
def silent_app(app, silent_smtp):
    """The same database (and test transaction) with mail going to the silent server."""
    with app.app_context():
        connection = db.engines[None]
    other = create_app(
        make_test_config(
            app.config["SQLALCHEMY_DATABASE_URI"],
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=silent_smtp.port,
            SMTP_STARTTLS=False,
            SMTP_TIMEOUT=1,
            STRIPE_API_BASE=app.config["STRIPE_API_BASE"],
            LOCAL_STORAGE_PATH=app.config.get("LOCAL_STORAGE_PATH"),
        )
    )
    other.test_client_class = ServerLikeClient
    with other.app_context():
        db.engines[None] = connection
        db.session.configure(join_transaction_mode="create_savepoint")
    yield other


def _waiting(app, since: int) -> list[tuple[int, str, int, str | None]]:
    """Emails queued after ``since`` and not delivered: (id, to, attempts, last error)."""
    with app.app_context():
        return [
            (m.id, m.payload["to"], m.attempts, m.last_error)
            for m in db.session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.id > since,
                    OutboxMessage.topic == "email",
                    OutboxMessage.delivered_at.is_(None),
                )
            )
        ]


def _last_message_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(db.func.max(OutboxMessage.id))) or 0


def _answers_first_then_mail_waits(app, silent_app, silent_smtp, response, mailbox, since):
    """The response came back with nobody having talked to the mail server; closing it (as a
    WSGI server does once it is sent) tries, times out, and keeps the emails; the worker
    sends them once mail works."""
    assert silent_smtp.connections == 0
    waiting = _waiting(app, since)
    assert waiting and all(attempts == 0 for _id, _to, attempts, _error in waiting)
    recipients = {to for _id, to, _attempts, _error in waiting}

    response.close()
    assert silent_smtp.connections >= 1
    waiting = _waiting(app, since)
    assert {to for _id, to, _attempts, _error in waiting} == recipients
    assert all(attempts == 1 and error for _id, _to, attempts, error in waiting)

    # Mail works again (the suite's real SMTP server): the worker delivers what is due.
    with app.app_context():
        for message_id, _to, _attempts, _error in _waiting(app, since):
            message = db.session.get_one(OutboxMessage, message_id)
            message.next_attempt_at = utcnow() - timedelta(seconds=1)
        unit_of_work.commit()
        assert unit_of_work.deliver_due() == len(recipients)
    assert _waiting(app, since) == []
    for address in recipients:
        assert mailbox.to(address), address


def test_a_contract_signature_answers_before_any_email_is_sent(
    app, silent_app, silent_smtp, mailbox
):
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    coop_with_listing(app, coop)
    rfq_id = post_rfq(app, buyer)
    quote_id = quote_on(app, coop, rfq_id)
    contract_id = award_all(app, buyer, rfq_id, quote_id)
    with app.app_context():
        version = db.session.get_one(Contract, contract_id).version
    since = _last_message_id(app)

    client = silent_app.test_client()
    login(client, buyer)
    response = client.post(
        f"/contracts/{contract_id}/sign",
        data={"version": str(version), "confirm": "y"},
        buffered=False,
    )
    assert response.status_code == 302
    with app.app_context():
        sides = db.session.scalars(
            select(Signature.side).where(Signature.contract_id == contract_id)
        ).all()
        assert sides == [Side.BUYER]  # saved, although no email could be sent
    _answers_first_then_mail_waits(app, silent_app, silent_smtp, response, mailbox, since)


def test_a_stripe_webhook_answers_before_any_email_is_sent(app, silent_app, silent_smtp, mailbox):
    from marketplace.models import Payment, PaymentStatus

    buyer, _coop, invoice_id, _total = invoiced(app)
    payment_id = start_card(app, buyer, invoice_id)
    since = _last_message_id(app)

    client = silent_app.test_client()
    body, header = signed(intent_event("evt_silent_smtp", "payment_intent.succeeded", payment_id))
    response = client.post(
        "/stripe/webhook",
        data=body,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
        buffered=False,
    )
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get_one(Payment, payment_id).status is PaymentStatus.SUCCEEDED
    _answers_first_then_mail_waits(app, silent_app, silent_smtp, response, mailbox, since)
