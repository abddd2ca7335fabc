"""Simultaneous payment requests over HTTP, against PostgreSQL with real commits.

Stripe delivering one event twice at once, a co-op recording a bank transfer while the card
payment for the same invoice is confirmed, two admins recording the same payout: each is
settled once, the loser is refused or refunded, and the ledger still proves itself. Last,
the ledger check itself, run while money moves.
"""

from __future__ import annotations

import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select, text

from marketplace.extensions import db
from marketplace.models import (
    Account,
    Invoice,
    InvoiceStatus,
    LedgerEntry,
    PayableKind,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Payout,
    ProviderReference,
    Refund,
    RefundStatus,
    WebhookEvent,
)
from marketplace.services.payments import ledger, payables, payouts
from marketplace.vietnam import today
from tests.factories import (
    ALREADY_PAID,
    PAYMENT_RECORDED,
    admin_actor,
    audits,
    count,
    flashes,
    intent_event,
    invoiced,
    ledger_ok,
    logged_in,
    post_together,
    settle,
    signed,
    start_card,
)
from tests.factories import actor_for as actor

# stripe_mock fails the run, naming it, when stripe-mock is not there.
pytestmark = [pytest.mark.race, pytest.mark.usefixtures("stripe_mock")]

K = PayableKind

# What the pages say, in Vietnamese (marketplace/translations/vi/LC_MESSAGES/messages.po).
PAYOUT_RECORDED = "Đã ghi nhận khoản chi trả."
NOTHING_OWED = "Không có khoản nào phải trả cho đơn vị này."


@pytest.fixture(autouse=True)
def _truncate(app):
    yield
    with app.app_context():
        # The category tree is reference data from migration 0003: later tests need it.
        tables = ", ".join(t.name for t in db.metadata.sorted_tables if t.name != "categories")
        db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.session.commit()
        settle()


# --- helpers -----------------------------------------------------------------------------------


def together(calls):
    """Run every callable at once (threads released by a barrier); their results in order.
    An exception escaping the app (a 500: the tests propagate exceptions) fails the test."""
    barrier = threading.Barrier(len(calls))

    def worker(call):
        barrier.wait()
        try:
            return call()
        except Exception:  # noqa: BLE001 - reported below as a server error
            return traceback.format_exc()

    with ThreadPoolExecutor(len(calls)) as pool:
        results = list(pool.map(worker, calls))
    errors = [r for r in results if isinstance(r, str)]
    assert not errors, "a request failed with a server error:\n" + "\n".join(errors)
    for response in results:
        assert response.status_code < 500, response.get_data(as_text=True)[:2000]
    return results


def webhook(client: FlaskClient, body: str, header: str, delay: float = 0.0):
    def call():
        if delay:
            time.sleep(delay)
        return client.post(
            "/stripe/webhook",
            data=body,
            headers={"Stripe-Signature": header, "Content-Type": "application/json"},
        )

    return call


def form_post(client: FlaskClient, url: str, data: dict, delay: float = 0.0):
    def call():
        if delay:
            time.sleep(delay)
        return client.post(url, data=data)

    return call


def paid_event(event_id: str, payment_id: int, amount: int) -> dict:
    """Stripe's payment_intent.succeeded for our payment, with its amount in đồng."""
    event = intent_event(event_id, "payment_intent.succeeded", payment_id, f"pi_{event_id}")
    event["data"]["object"] |= {"amount": amount, "currency": "vnd"}
    return event


def transactions_of(payment_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(func.distinct(LedgerEntry.transaction)).where(
                LedgerEntry.payment_id == payment_id
            )
        )
    )


def payments_on(invoice_id: int) -> list[Payment]:
    return list(
        db.session.scalars(
            select(Payment)
            .where(Payment.payable_kind == K.INVOICE, Payment.payable_id == invoice_id)
            .order_by(Payment.id)
        )
    )


# --- one event, delivered twice at once --------------------------------------------------------


@pytest.mark.parametrize("attempt", range(3))
def test_the_same_webhook_delivered_twice_at_once_is_applied_once(app, attempt):
    buyer, coop, invoice_id, total = invoiced(app)
    payment_id = start_card(app, buyer, invoice_id)
    body, header = signed(paid_event(f"evt_twice_{attempt}", payment_id, total))
    first, second = app.test_client(), app.test_client()

    responses = together([webhook(first, body, header), webhook(second, body, header)])

    assert [r.status_code for r in responses] == [200, 200]
    outcomes = sorted(r.get_json()["outcome"] for r in responses)
    assert outcomes == ["already applied: succeeded", "succeeded"], outcomes
    with app.app_context():
        [stored] = db.session.scalars(select(WebhookEvent))
        assert stored.event_id == f"evt_twice_{attempt}" and stored.applied_at is not None
        payment = db.session.get_one(Payment, payment_id)
        assert payment.status is PaymentStatus.SUCCEEDED and payment.problem is None
        assert payment.fee == total * 300 // 10_000
        assert transactions_of(payment_id) == [f"payment-{payment_id}"]
        assert count(LedgerEntry, LedgerEntry.payment_id == payment_id) == 3
        assert audits("payment.succeed", payment_id) == 1
        invoice = db.session.get_one(Invoice, invoice_id)
        assert invoice.status is InvoiceStatus.PAID and invoice.paid_at is not None
        assert audits("invoice.paid", invoice_id) == 1
        assert count(Refund) == 0
        assert ledger.owed_to(coop.organization_id) == total - payment.fee
        settle()
    ledger_ok(app)


# --- a transfer recorded while the card payment is confirmed ----------------------------------


#: (the transfer's head start, the webhook's head start) in seconds: at once, and each side
#: a little ahead, so that both orders are met.
STARTS = [(0, 0), (0, 0), (0, 0), (0, 0.03), (0.03, 0), (0, 0), (0, 0.01), (0.01, 0)]


@pytest.mark.parametrize(("transfer_delay", "webhook_delay"), STARTS)
def test_a_transfer_and_a_card_payment_of_one_invoice_at_once_settle_it_once(
    app, transfer_delay, webhook_delay
):
    buyer, coop, invoice_id, total = invoiced(app)
    payment_id = start_card(app, buyer, invoice_id)
    body, header = signed(paid_event(f"evt_card_{payment_id}", payment_id, total))
    [seller] = logged_in(app, [coop])
    stripe = app.test_client()

    transfer, hook = together(
        [
            form_post(
                seller,
                f"/pay/invoice/{invoice_id}/transfer",
                {
                    "amount": str(total),
                    "paid_on": today().isoformat(),
                    "bank_reference": "VCB 2611 0042",
                },
                transfer_delay,
            ),
            webhook(stripe, body, header, webhook_delay),
        ]
    )

    assert hook.status_code == 200, hook.get_data(as_text=True)
    with app.app_context():
        found = payments_on(invoice_id)
        card = db.session.get_one(Payment, payment_id)
        transfers = [p for p in found if p.method is PaymentMethod.BANK_TRANSFER]
        applied = [p for p in found if p.status is PaymentStatus.SUCCEEDED and not p.problem]
        # Exactly one payment settled the invoice, once.
        assert len(applied) == 1, [(p.id, p.method, p.status, p.problem) for p in found]
        assert applied[0].amount == total
        assert payables.paid_so_far(K.INVOICE, invoice_id) == total
        invoice = db.session.get_one(Invoice, invoice_id)
        assert invoice.status is InvoiceStatus.PAID and invoice.paid_at is not None
        assert audits("invoice.paid", invoice_id) == 1
        # The card's money arrived either way: succeeded, one ledger transaction.
        assert card.status is PaymentStatus.SUCCEEDED
        assert transactions_of(card.id) == [f"payment-{card.id}"]
        if transfers:
            # The transfer came first: the card's money settled nothing and goes back in full.
            [recorded] = transfers
            assert recorded.status is PaymentStatus.SUCCEEDED and recorded.amount == total
            assert card.problem == "already_paid" and card.fee == 0
            [refund] = card.refunds
            assert refund.amount == total and refund.status is RefundStatus.PENDING
            assert refund.requested_by_id is None
            assert db.session.scalar(
                select(ProviderReference.reference).where(ProviderReference.refund_id == refund.id)
            ), "the refund was not sent to Stripe"
            assert ledger.balance(Account.REFUND_DUE, buyer.organization_id) == -total
            assert ledger.owed_to(coop.organization_id) == -recorded.fee
            winner = "transfer"
        else:
            # The card came first: the transfer was refused, nothing recorded for it.
            assert card.problem is None and card.fee == total * 300 // 10_000
            assert card.refunds == []
            assert ledger.owed_to(coop.organization_id) == total - card.fee
            winner = "card"
        settle()
    if winner == "transfer":
        assert transfer.status_code == 302
        assert ("success", PAYMENT_RECORDED) in flashes(seller)
    else:
        assert transfer.status_code == 422, transfer.status_code
        assert ALREADY_PAID in transfer.get_data(as_text=True)
        assert not [m for c, m in flashes(seller) if c == "success"]
    ledger_ok(app)


# --- two admins paying out the same money -----------------------------------------------------


@pytest.mark.parametrize("attempt", range(3))
def test_two_admins_recording_the_whole_payout_at_once_pay_it_once(app, attempt):
    buyer, coop, invoice_id, total = invoiced(app)
    payment_id = start_card(app, buyer, invoice_id)
    body, header = signed(paid_event(f"evt_payout_{attempt}", payment_id, total))
    assert webhook(app.test_client(), body, header)().status_code == 200
    org = coop.organization_id
    with app.app_context():
        owed = ledger.owed_to(org)
        settle()
    assert owed > 0
    clients = logged_in(app, [admin_actor(app), admin_actor(app)])

    # Someone watches what is owed while the two payouts race: it never goes below zero.
    seen: list[int] = []
    done = threading.Event()

    def watch():
        with app.app_context():
            while not done.is_set():
                seen.append(ledger.owed_to(org))
                db.session.rollback()
                time.sleep(0.002)
            settle()

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        responses = post_together(
            [
                (
                    client,
                    f"/admin/payouts/{org}",
                    {
                        "amount": str(owed),
                        "paid_on": today().isoformat(),
                        "bank_reference": f"UNC {attempt}-{i}",
                    },
                )
                for i, client in enumerate(clients)
            ]
        )
    finally:
        done.set()
        watcher.join()

    for response in responses:
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/admin/payouts")
    with app.app_context():
        [payout] = db.session.scalars(select(Payout))
        assert payout.organization_id == org and payout.amount == owed
        assert ledger.owed_to(org) == 0
        assert ledger.balance(Account.CLEARING) == total - owed  # the commission stays
        assert audits("payout.record") == 1
        settle()
    messages = [flashes(client) for client in clients]
    winners = [i for i, m in enumerate(messages) if ("success", PAYOUT_RECORDED) in m]
    assert len(winners) == 1, messages
    loser = messages[1 - winners[0]]
    assert [m for c, m in loser if c == "success"] == []
    assert ("error", NOTHING_OWED) in loser, loser
    assert seen and min(seen) >= 0, sorted(set(seen))
    ledger_ok(app)


# --- the ledger check while money moves ---------------------------------------------------------


def test_the_ledger_check_run_while_payouts_are_recorded_finds_nothing_wrong(app):
    """``ledger.check()`` runs on the admin's payouts page and in ``flask ledger check``: run
    while an admin records payouts, it must neither fail nor report problems that are not
    there (every payout is committed together with its entries)."""
    buyer, coop, invoice_id, total = invoiced(app)
    payment_id = start_card(app, buyer, invoice_id)
    body, header = signed(paid_event("evt_check", payment_id, total))
    assert webhook(app.test_client(), body, header)().status_code == 200
    admin = admin_actor(app)
    stop = threading.Event()
    problems: list[str] = []
    crashes: list[str] = []

    def checker():
        with app.app_context():
            while not stop.is_set():
                try:
                    problems.extend(ledger.check().problems)
                except Exception:  # noqa: BLE001 - reported below
                    crashes.append(traceback.format_exc(limit=4))
                db.session.rollback()
            settle()

    def pay_out():
        with app.app_context():
            for i in range(60):
                payouts.record_payout(
                    actor(admin),
                    coop.organization_id,
                    amount="1000",
                    paid_on=today(),
                    bank_reference=f"UNC {i}",
                )
            settle()

    checkers = [threading.Thread(target=checker) for _ in range(4)]
    for thread in checkers:
        thread.start()
    try:
        pay_out()
    finally:
        stop.set()
        for thread in checkers:
            thread.join()

    assert not crashes, "ledger.check() failed:\n" + "\n".join(crashes[:3])
    assert not problems, f"{len(problems)} problems reported, e.g. {sorted(set(problems))[:5]}"
    ledger_ok(app)
