"""Property-based tests of payments and the ledger.

Random sequences of operations run against the services on PostgreSQL and stripe-mock: card
payments (started, then paid, failed or expired by a signed webhook, or by applying the stored
event directly), bank transfers recorded by the co-op (full, part, too much), transfers
reversed, card refunds (asked for, then confirmed or failed by Stripe's webhook) and payouts by
an admin. A plain model of the same operations predicts which are accepted and what each
organisation is owed; after every sequence the ledger must balance, pass ``ledger.check()``
and agree with the model to the đồng.

Pure properties of ``ledger.fee_share`` and of transfer references come last.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import event as hypothesis_event
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from sqlalchemy import func, select

from marketplace.blueprints.payments import checkout
from marketplace.extensions import db
from marketplace.models import (
    Account,
    Category,
    Delivery,
    Invoice,
    InvoiceStatus,
    LedgerEntry,
    PayableKind,
    Payment,
    PaymentMethod,
    PaymentStatus,
    ProviderReference,
    Refund,
    RefundStatus,
    WebhookEvent,
)
from marketplace.services.deals import deliveries
from marketplace.services.errors import TransitionNotAllowed, ValidationFailed
from marketplace.services.payments import cards, ledger, payables, payouts, refunds, transfers
from marketplace.vietnam import today
from tests.factories import (
    Person,
    admin_actor,
    category_id,
    coop_with_listing,
    intent_event,
    post_event,
    signed_contract,
    verified_buyer,
    verified_coop,
)
from tests.factories import actor_for as actor

pytestmark = pytest.mark.usefixtures("stripe_mock")

K = PayableKind
P = PaymentStatus

#: Category commissions tried (None: the platform's default). Odd rates make fees round.
RATES = [None, 0, 1, 250, 333, 999, 1234]


def note(what: str) -> None:
    """Count what a run did (shown by ``--hypothesis-show-statistics``)."""
    if currently_in_test_context():
        hypothesis_event(what)


# --- a buyer, two co-ops with long contracts: invoices are then cheap to make -----------------


class World:
    """Made once per test function; every example takes fresh invoices from it."""

    def __init__(self, app, buyer: Person, coops: list[Person], admin: Person):
        self.app = app
        self.client = app.test_client()
        self.buyer = buyer
        self.coops = coops
        self.admin = admin
        with app.app_context():
            self.category = category_id("ruou")
        #: Per co-op: planned deliveries not invoiced yet (each becomes one invoice).
        self.unused = [self._long_contract(coop) for coop in coops]

    def __repr__(self) -> str:
        return f"World(buyer {self.buyer.organization_id}, co-ops {self.orgs()[:2]})"

    def orgs(self) -> list[int]:
        return [c.organization_id for c in self.coops] + [self.buyer.organization_id]

    def coop_of(self, organization_id: int) -> Person:
        return next(c for c in self.coops if c.organization_id == organization_id)

    def _long_contract(self, coop: Person) -> list[int]:
        """A signed contract with a delivery every day for five months; its delivery ids."""
        start = today() + timedelta(days=7)
        contract_id = signed_contract(
            self.app,
            self.buyer,
            coop,
            weekdays=[str(d) for d in range(1, 8)],
            ends_on=start + timedelta(days=150),
        )
        with self.app.app_context():
            return list(
                db.session.scalars(
                    select(Delivery.id)
                    .where(Delivery.contract_id == contract_id)
                    .order_by(Delivery.scheduled_on)
                )
            )

    def new_invoice(self, coop_index: int, accepted: int) -> tuple[int, int]:
        """Dispatch 120 bottles of the co-op's next planned delivery; the buyer accepts
        ``accepted`` of them and is invoiced for those: (invoice id, total)."""
        coop = self.coops[coop_index]
        if not self.unused[coop_index]:
            self.unused[coop_index] = self._long_contract(coop)
        delivery_id = self.unused[coop_index].pop(0)
        with self.app.app_context():
            delivery = db.session.get_one(Delivery, delivery_id)
            line = delivery.lines[0].id
            deliveries.dispatch(
                actor(coop),
                delivery_id,
                delivery.version,
                {line: deliveries.DispatchLine("120")},
                early=True,
            )
            delivery = db.session.get_one(Delivery, delivery_id)
            _d, invoice = deliveries.receive(
                actor(self.buyer),
                delivery_id,
                delivery.version,
                {line: deliveries.ReceiptLine(str(accepted), str(120 - accepted), "Chai vỡ")},
            )
            return invoice.id, invoice.total


@pytest.fixture
def world(app) -> World:
    buyer = verified_buyer(app)
    coops = [
        verified_coop(app, organization_name="HTX Sâm Lai Châu"),
        verified_coop(app, organization_name="HTX Chè Tà Xùa"),
    ]
    for coop in coops:
        coop_with_listing(app, coop)
    return World(app, buyer, coops, admin_actor(app))


# --- the model -------------------------------------------------------------------------------


@dataclass
class MInvoice:
    id: int
    total: int
    coop: int
    buyer: int
    paid: int = 0  # by payments that settled it (not reversed)
    closed: bool = False  # marked paid

    @property
    def outstanding(self) -> int:
        return self.total - self.paid


@dataclass
class MRefund:
    id: int
    payment: MPayment
    amount: int
    status: RefundStatus = RefundStatus.PENDING


@dataclass
class MPayment:
    id: int
    invoice: MInvoice
    method: PaymentMethod
    amount: int
    status: PaymentStatus
    intent: str = ""
    fee: int = 0
    problem: str | None = None
    refunded: int = 0
    refunds: list[MRefund] = field(default_factory=list)

    def committed(self) -> int:
        return sum(r.amount for r in self.refunds if r.status is not RefundStatus.FAILED)


#: What a Stripe event does to a card payment (payables.PAYMENT_TRANSITIONS, written out).
CARD_TRANSITIONS = {
    (P.PENDING, "succeed"): P.SUCCEEDED,
    (P.FAILED, "succeed"): P.SUCCEEDED,
    (P.CANCELLED, "succeed"): P.SUCCEEDED,
    (P.PENDING, "fail"): P.FAILED,
    (P.PENDING, "cancel"): P.CANCELLED,
}


@dataclass
class Model:
    bps: int
    #: What the platform owes each organisation (payable and receivable), from the start.
    owed: dict[int, int]
    #: Card money owed back to each payer (refund_due, shown positive), from the start.
    due: dict[int, int]
    invoices: list[MInvoice] = field(default_factory=list)
    cards: list[MPayment] = field(default_factory=list)
    transfers: list[MPayment] = field(default_factory=list)
    refunds: list[MRefund] = field(default_factory=list)
    revenue: int = 0  # commission kept, since the start of the example
    clearing: int = 0  # money the platform holds, since the start of the example

    def fee(self, amount: int) -> int:
        return amount * self.bps // 10_000

    def settle(self, invoice: MInvoice, amount: int) -> None:
        invoice.paid += amount
        if invoice.paid >= invoice.total:
            invoice.closed = True


# --- operations ------------------------------------------------------------------------------

card_pay = st.tuples(
    st.just("card_pay"), st.integers(0, 2), st.sampled_from(["webhook", "apply_event"])
)
card_start = st.tuples(st.just("card_start"), st.integers(0, 2))
card_event = st.tuples(
    st.just("card_event"),
    st.integers(0, 5),
    st.sampled_from(["succeed", "succeed", "succeed", "fail", "cancel"]),
    st.sampled_from(["webhook", "apply_event"]),
    # Mostly for a card still undecided; sometimes any (a late or repeated event).
    st.sampled_from(["undecided", "undecided", "any"]),
)
transfer = st.tuples(
    st.just("transfer"),
    st.integers(0, 2),
    st.sampled_from(["full", "part", "part", "part", "over"]),
    st.integers(1, 999),
)
reverse = st.tuples(st.just("reverse"), st.integers(0, 5))
refund = st.tuples(
    st.just("refund"), st.integers(0, 5), st.integers(1, 1000), st.sampled_from(["payee", "admin"])
)
refund_event = st.tuples(
    st.just("refund_event"),
    st.integers(0, 5),
    st.sampled_from(["succeeded", "succeeded", "failed"]),
    st.sampled_from(["pending", "pending", "any"]),
)
payout = st.tuples(
    st.just("payout"),
    st.integers(0, 2),
    st.sampled_from(["all", "part", "part", "over"]),
    st.integers(1, 1000),
)
# Weighted by repetition: cards started and decided later, part transfers and refunds are
# where payments interleave.
operation = st.one_of(
    card_pay,
    card_start,
    card_start,
    card_event,
    card_event,
    card_event,
    transfer,
    transfer,
    reverse,
    refund,
    refund,
    refund_event,
    refund_event,
    refund_event,
    payout,
)

scenario = st.fixed_dictionaries(
    {
        "bps": st.sampled_from(RATES),
        # (which co-op, how many of the 120 bottles the buyer accepts)
        "invoices": st.lists(
            st.tuples(st.integers(0, 1), st.integers(1, 120)), min_size=1, max_size=3
        ),
        "operations": st.lists(operation, min_size=8, max_size=40),
    }
)


def _deliver(world: World, event: dict, via: str) -> None:
    """A Stripe event through the signed webhook, or stored and applied directly."""
    if via == "webhook":
        response = post_event(world.client, event)
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        return
    with world.app.app_context():
        stored = WebhookEvent(
            provider="stripe", event_id=event["id"], type=event["type"], payload=event
        )
        db.session.add(stored)
        db.session.commit()
        cards.apply_event(stored.id)


def _card_start(world: World, model: Model, invoice: MInvoice) -> MPayment | None:
    expected = not invoice.closed and invoice.outstanding > 0
    # A second start while an attempt for the same amount is open brings that one back.
    reusable = [
        c
        for c in model.cards
        if c.invoice is invoice and c.status is P.PENDING and c.amount == invoice.outstanding
    ]
    with world.app.app_context():
        try:
            payment, _url = checkout.start_card_payment(
                actor(world.buyer), K.INVOICE, invoice.id, locale="vi"
            )
        except ValidationFailed as exc:
            assert not expected, f"card refused on an open invoice: {exc.errors}"
            note("card start refused")
            return None
        assert expected, "a card payment was started on a settled invoice"
        assert payment.status is P.PENDING
        assert payment.amount == invoice.outstanding
        if reusable:
            assert payment.id == max(c.id for c in reusable)
            note("card start reused the open attempt")
            return next(c for c in reusable if c.id == payment.id)
        assert payment.id not in {c.id for c in model.cards}
        card = MPayment(
            payment.id,
            invoice,
            PaymentMethod.CARD,
            payment.amount,
            P.PENDING,
            intent=f"pi_prop_{uuid.uuid4().hex[:16]}",
        )
    model.cards.append(card)
    return card


def _card_event(world: World, model: Model, card: MPayment, action: str, via: str) -> None:
    if action == "cancel":
        event = {
            "id": f"evt_{uuid.uuid4().hex}",
            "object": "event",
            "type": "checkout.session.expired",
            "data": {
                "object": {
                    "id": f"cs_prop_{uuid.uuid4().hex[:16]}",
                    "object": "checkout.session",
                    "payment_status": "unpaid",
                    "metadata": {"payment_id": str(card.id)},
                }
            },
        }
    else:
        kind = (
            "payment_intent.succeeded" if action == "succeed" else "payment_intent.payment_failed"
        )
        event = intent_event(f"evt_{uuid.uuid4().hex}", kind, card.id, card.intent)
        event["data"]["object"] |= {"amount": card.amount, "currency": "vnd"}
    _deliver(world, event, via)
    new = CARD_TRANSITIONS.get((card.status, action))
    if new is not None:
        card.status = new
        note(f"card {action}")
        if new is P.SUCCEEDED:
            _card_money_arrived(world, model, card)
    with world.app.app_context():
        stored = db.session.get_one(Payment, card.id)
        assert (stored.status, stored.fee, stored.problem, stored.amount) == (
            card.status,
            card.fee,
            card.problem,
            card.amount,
        )


def _card_money_arrived(world: World, model: Model, card: MPayment) -> None:
    invoice = card.invoice
    model.clearing += card.amount
    if invoice.closed or card.amount > invoice.outstanding:
        # Settled meanwhile, or partly: the money is owed back to the buyer and refunded.
        card.problem = "already_paid" if invoice.outstanding <= 0 else "not_payable"
        note(f"card money not applied: {card.problem}")
        model.due[invoice.buyer] += card.amount
        with world.app.app_context():
            refund_id = db.session.scalar(
                select(Refund.id).where(
                    Refund.payment_id == card.id, Refund.requested_by_id.is_(None)
                )
            )
        assert refund_id is not None, "card money that settled nothing is not refunded"
        refund = MRefund(refund_id, card, card.amount)
        card.refunds.append(refund)
        model.refunds.append(refund)
        return
    note("card payment applied")
    card.fee = model.fee(card.amount)
    model.settle(invoice, card.amount)
    model.owed[invoice.coop] += card.amount - card.fee
    model.revenue += card.fee


def _transfer(world: World, model: Model, invoice: MInvoice, mode: str, part: int) -> None:
    outstanding = invoice.outstanding
    if mode == "full":
        value, partial = outstanding, False
    elif mode == "part":
        value, partial = max(1, outstanding * part // 1000), True
    else:
        value, partial = outstanding + part, part % 2 == 0
    expected = (
        not invoice.closed
        and outstanding > 0
        and 0 < value <= outstanding
        and (value == outstanding or partial)
    )
    with world.app.app_context():
        try:
            payment = transfers.record_transfer(
                actor(world.coop_of(invoice.coop)),
                K.INVOICE,
                invoice.id,
                amount=str(value),
                paid_on=today(),
                bank_reference=f"FT{uuid.uuid4().hex[:12]}",
                partial=partial,
            )
        except ValidationFailed as exc:
            assert not expected, f"transfer of {value} refused ({exc.errors}), owed {outstanding}"
            note("transfer refused")
            return
        assert expected, f"transfer of {value} accepted though {outstanding} was owed"
        fee = model.fee(value)
        assert (payment.amount, payment.fee, payment.status) == (value, fee, P.SUCCEEDED)
        recorded = MPayment(payment.id, invoice, PaymentMethod.BANK_TRANSFER, value, P.SUCCEEDED)
    note(f"transfer recorded ({mode})")
    recorded.fee = fee
    model.transfers.append(recorded)
    model.settle(invoice, value)
    model.owed[invoice.coop] -= fee
    model.revenue += fee


def _reverse(world: World, model: Model, transfer: MPayment) -> None:
    expected = transfer.status is P.SUCCEEDED
    with world.app.app_context():
        try:
            transfers.reverse_transfer(
                actor(world.coop_of(transfer.invoice.coop)), transfer.id, "Ghi nhầm hóa đơn"
            )
        except (ValidationFailed, TransitionNotAllowed) as exc:
            assert not expected, f"reversal of transfer {transfer.id} refused: {exc}"
            note("reversal refused")
            return
        assert expected, f"transfer {transfer.id} reversed twice"
    note("transfer reversed")
    transfer.status = P.REVERSED
    invoice = transfer.invoice
    invoice.paid -= transfer.amount
    if invoice.paid < invoice.total:
        invoice.closed = False
    model.owed[invoice.coop] += transfer.fee
    model.revenue -= transfer.fee


def _refund(world: World, model: Model, card: MPayment, part: int, who: str) -> None:
    value = max(1, card.amount * part // 1000)
    expected = card.status is P.SUCCEEDED and value <= card.amount - card.committed()
    person = world.admin if who == "admin" else world.coop_of(card.invoice.coop)
    with world.app.app_context():
        try:
            refund = refunds.request_refund(actor(person), card.id, str(value), "Hàng lỗi")
        except ValidationFailed as exc:
            assert not expected, f"refund of {value} refused: {exc.errors}"
            note("refund refused")
            return
        assert expected, f"refund of {value} accepted on {card}"
        assert refund.status is RefundStatus.PENDING and refund.amount == value
        made = MRefund(refund.id, card, value)
    note("refund requested")
    card.refunds.append(made)
    model.refunds.append(made)


def _refund_event(world: World, model: Model, refund: MRefund, status: str) -> None:
    with world.app.app_context():
        external = db.session.scalar(
            select(ProviderReference.reference).where(ProviderReference.refund_id == refund.id)
        )
    assert external, f"refund {refund.id} was never sent to Stripe"
    event = {
        "id": f"evt_{uuid.uuid4().hex}",
        "object": "event",
        "type": "refund.updated",
        "data": {
            "object": {
                "id": external,
                "object": "refund",
                "status": status,
                "amount": refund.amount,
                "metadata": {"refund_id": str(refund.id)},
            }
        },
    }
    _deliver(world, event, "webhook")
    if refund.status is RefundStatus.PENDING:
        refund.status = RefundStatus(status)
        note(f"refund {status}")
        if refund.status is RefundStatus.SUCCEEDED:
            card = refund.payment
            model.clearing -= refund.amount
            if card.problem:
                model.due[card.invoice.buyer] -= refund.amount
            else:
                # The fee comes back in proportion, on the running total refunded.
                before, after = card.refunded, card.refunded + refund.amount
                back = card.fee * after // card.amount - card.fee * before // card.amount
                model.owed[card.invoice.coop] -= refund.amount - back
                model.revenue -= back
            card.refunded += refund.amount
    with world.app.app_context():
        stored = db.session.get_one(Refund, refund.id)
        assert stored.status is refund.status
        assert stored.payment.refunded_amount == refund.payment.refunded


def _payout(world: World, model: Model, org: int, mode: str, part: int) -> None:
    owed = model.owed[org]
    with world.app.app_context():
        assert ledger.owed_to(org) == owed
    if mode == "all":
        value = max(owed, 1)
    elif mode == "part":
        value = max(1, owed * part // 1000)
    else:
        value = max(owed, 0) + 1
    expected = owed > 0 and value <= owed
    with world.app.app_context():
        try:
            payout = payouts.record_payout(
                actor(world.admin),
                org,
                amount=str(value),
                paid_on=today(),
                bank_reference=f"UNC{uuid.uuid4().hex[:10]}",
            )
        except ValidationFailed as exc:
            assert not expected, f"payout of {value} refused ({exc.errors}), owed {owed}"
            note("payout refused")
            return
        assert expected, f"payout of {value} accepted though {owed} was owed"
        assert payout.amount == value
    note("payout recorded")
    model.owed[org] -= value
    model.clearing -= value


def _run(world: World, model: Model, op: tuple) -> None:
    name, which = op[0], op[1]
    if name == "card_pay":
        card = _card_start(world, model, model.invoices[which % len(model.invoices)])
        if card is not None:
            _card_event(world, model, card, "succeed", op[2])
    elif name == "card_start":
        _card_start(world, model, model.invoices[which % len(model.invoices)])
    elif name == "card_event" and model.cards:
        undecided = [c for c in model.cards if c.status is not P.SUCCEEDED]
        cards = undecided if op[4] == "undecided" and undecided else model.cards
        _card_event(world, model, cards[which % len(cards)], op[2], op[3])
    elif name == "transfer":
        _transfer(world, model, model.invoices[which % len(model.invoices)], op[2], op[3])
    elif name == "reverse" and model.transfers:
        _reverse(world, model, model.transfers[which % len(model.transfers)])
    elif name == "refund" and model.cards:
        _refund(world, model, model.cards[which % len(model.cards)], op[2], op[3])
    elif name == "refund_event" and model.refunds:
        pending = [r for r in model.refunds if r.status is RefundStatus.PENDING]
        refunds = pending if op[3] == "pending" and pending else model.refunds
        _refund_event(world, model, refunds[which % len(refunds)], op[2])
    elif name == "payout":
        orgs = world.orgs()
        _payout(world, model, orgs[which % len(orgs)], op[2], op[3])


# --- the invariants --------------------------------------------------------------------------


def _assert_ledger(world: World, model: Model, before: dict[str, int]) -> None:
    with world.app.app_context():
        rows = db.session.execute(
            select(
                LedgerEntry.transaction,
                LedgerEntry.account,
                LedgerEntry.organization_id,
                LedgerEntry.amount,
            )
        ).all()
        per_transaction: dict[str, int] = {}
        per_account: dict[tuple[str, int | None], int] = {}
        for transaction, account, org, amount in rows:
            per_transaction[transaction] = per_transaction.get(transaction, 0) + amount
            key = (account.value, org)
            per_account[key] = per_account.get(key, 0) + amount
        unbalanced = {t: total for t, total in per_transaction.items() if total}
        assert not unbalanced, f"transactions that do not sum to zero: {unbalanced}"
        assert sum(amount for *_rest, amount in rows) == 0
        assert db.session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0))) == 0
        report = ledger.check()
        assert report.ok, report.problems
        # Balances are the sums of their entries.
        assert ledger.balances() == per_account
        for (account, org), total in per_account.items():
            if org is not None:
                assert ledger.balance(Account(account), org) == total
        for account in Account:
            assert ledger.balance(account) == sum(
                total for (name, _org), total in per_account.items() if name == account.value
            )
        # What each organisation is owed, to the đồng, and the card money owed back.
        for org in world.orgs():
            owed = ledger.owed_to(org)
            assert owed == model.owed[org], (
                f"organisation {org}: owed {owed}, not {model.owed[org]}"
            )
            assert owed == -per_account.get(("payable", org), 0) - per_account.get(
                ("receivable", org), 0
            )
            assert -ledger.balance(Account.REFUND_DUE, org) == model.due[org]
        # The platform's commission and the money it holds moved as the operations say.
        assert -ledger.balance(Account.REVENUE) - before["revenue"] == model.revenue
        assert ledger.balance(Account.CLEARING) - before["clearing"] == model.clearing
        # Each payment, refund and invoice ended as the model says.
        for payment in model.cards + model.transfers:
            stored = db.session.get_one(Payment, payment.id)
            assert (stored.status, stored.fee, stored.problem, stored.refunded_amount) == (
                payment.status,
                payment.fee,
                payment.problem,
                payment.refunded,
            ), f"payment {payment.id}"
        for refund in model.refunds:
            assert db.session.get_one(Refund, refund.id).status is refund.status
        for invoice in model.invoices:
            stored = db.session.get_one(Invoice, invoice.id)
            assert (stored.status is InvoiceStatus.PAID) == invoice.closed, invoice
            assert payables.paid_so_far(K.INVOICE, invoice.id) == invoice.paid


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    # Explaining a failure re-runs it hundreds of times against the database: too slow here.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenario)
def test_random_payments_refunds_and_payouts_keep_the_ledger_exact(world, scenario):
    app = world.app
    with app.app_context():
        db.session.get_one(Category, world.category).commission_bps = scenario["bps"]
        db.session.commit()
        rate = scenario["bps"]
        model = Model(
            bps=app.config["PLATFORM_COMMISSION_BPS"] if rate is None else rate,
            owed={org: ledger.owed_to(org) for org in world.orgs()},
            due={org: -ledger.balance(Account.REFUND_DUE, org) for org in world.orgs()},
        )
        before = {
            "revenue": -ledger.balance(Account.REVENUE),
            "clearing": ledger.balance(Account.CLEARING),
        }
    for coop_index, accepted in scenario["invoices"]:
        invoice_id, total = world.new_invoice(coop_index, accepted)
        coop = world.coops[coop_index].organization_id
        model.invoices.append(MInvoice(invoice_id, total, coop, world.buyer.organization_id))
    for op in scenario["operations"]:
        _run(world, model, op)
    _assert_ledger(world, model, before)


# --- pure properties ---------------------------------------------------------------------------


def _payment(amount: int, fee: int):
    return SimpleNamespace(amount=amount, fee=fee)


@st.composite
def payment_and_refunds(draw):
    """A payment (amount, fee ≤ amount) and refunds adding up to at most its amount."""
    amount = draw(st.integers(1, 10**12))
    fee = draw(st.integers(0, amount))
    refunds = []
    left = amount
    for _ in range(draw(st.integers(0, 8))):
        if left == 0:
            break
        part = draw(st.one_of(st.integers(1, left), st.integers(1, min(left, 50))))
        refunds.append(part)
        left -= part
    if draw(st.booleans()) and left:
        refunds.append(left)  # refunded in full, in parts
    return amount, fee, refunds


@settings(max_examples=1000, deadline=None, database=None)
@given(payment_and_refunds())
@example((3, 2, [1, 1, 1]))  # a third of 2 đồng, three times
def test_fee_share_is_proportional_and_refunds_never_return_more_than_the_fee(drawn):
    amount, fee, refunds = drawn
    payment = _payment(amount, fee)
    refunded = total_back = 0
    for refund in refunds:
        back = ledger.fee_share(payment, refund, refunded)
        assert 0 <= back <= fee
        # Proportional: within one đồng of fee × refund / amount.
        assert (back - 1) * amount < fee * refund < (back + 1) * amount
        refunded += refund
        total_back += back
        # The running total is the share of everything refunded so far, rounded down.
        assert total_back == fee * refunded // amount
        assert total_back <= fee
    # All of it refunded, at once or in parts: all of the fee comes back, and no more.
    if refunded == amount:
        assert total_back == fee
    assert ledger.fee_share(payment, amount) == fee
    assert ledger.fee_share(payment, 0) == 0
    assert ledger.fee_share(payment, 1) == fee // amount


@settings(max_examples=500, deadline=None, database=None)
@given(st.integers(1, 10**12), st.data())
def test_fee_share_grows_with_the_refund(amount, data):
    fee = data.draw(st.integers(0, amount))
    before = data.draw(st.integers(0, amount))
    low = data.draw(st.integers(0, amount - before))
    high = data.draw(st.integers(low, amount - before))
    payment = _payment(amount, fee)
    assert ledger.fee_share(payment, low, before) <= ledger.fee_share(payment, high, before)


def test_fee_share_of_a_zero_payment_is_zero():
    assert ledger.fee_share(_payment(0, 0), 0) == 0


kinds = st.sampled_from([K.INVOICE, K.FAIR_FEE])


@settings(max_examples=2000, deadline=None, database=None)
@given(kinds, st.integers(1, 10**9))
@example(K.INVOICE, 10**9)
@example(K.FAIR_FEE, 999_999_999)
def test_a_transfer_reference_names_its_payable(kind, payable_id):
    reference = payables.transfer_reference(kind, payable_id)
    assert payables.parse_reference(reference) == (kind, payable_id), reference
    # As people type it in a transfer message: lower case, a dash, words around it.
    messaged = f"ck {reference[:3].lower()}-{reference[3:].lower()} thanh toan"
    assert payables.parse_reference(messaged) == (kind, payable_id), messaged


@settings(max_examples=3000, deadline=None, database=None)
@given(kinds, st.integers(1, 10**9), st.integers(0, 9), st.integers(0, 9))
@example(K.INVOICE, 1995, 0, 0)  # "CHI1995F" with its first digit typed as 0
def test_one_mistyped_digit_never_names_another_payable(kind, payable_id, position, replacement):
    reference = payables.transfer_reference(kind, payable_id)
    digits = str(payable_id)
    position %= len(digits)
    if int(digits[position]) == replacement:
        replacement = (replacement + 1) % 10
    typo = digits[:position] + str(replacement) + digits[position + 1 :]
    mistyped = f"{reference[:3]}{typo}{reference[-1]}"
    assert mistyped != reference
    # Refused, never read as another payable (nor, of course, as this one).
    assert payables.parse_reference(mistyped) is None, (reference, mistyped)
