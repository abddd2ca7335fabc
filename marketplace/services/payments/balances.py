"""What the ledger says, for people: who the platform owes, every balance by name (admins),
and an organisation's statement of money in, out and owed (its members, admins)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.i18n import format_money
from marketplace.models import (
    Account,
    CommissionInvoice,
    LedgerEntry,
    Organization,
    PayableKind,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Payout,
    Refund,
    Role,
)
from marketplace.services.context import Actor
from marketplace.services.errors import NotFound
from marketplace.services.payments import fees, ledger, payables
from marketplace.services.payments.payables import Link, Payable
from marketplace.services.permissions import has_role, member_or_admin, require_admin


def owed_list(actor: Actor) -> list[tuple[Organization, int]]:
    """Organisations the platform owes money to, most first (admin): from one read of the
    balances, not a query per organisation."""
    require_admin(actor)
    owed: dict[int, int] = defaultdict(int)
    for (account, org_id), total in ledger.balances().items():
        if org_id is not None and account in ("payable", "receivable"):
            owed[org_id] -= total
    positive = {org_id: amount for org_id, amount in owed.items() if amount > 0}
    organizations = db.session.scalars(
        select(Organization).where(Organization.id.in_(positive or [0]))
    )
    return sorted(((o, positive[o.id]) for o in organizations), key=lambda pair: -pair[1])


def named_balances(actor: Actor) -> list[tuple[str, str | None, int]]:
    """Every ledger balance as (account, organisation's name or None for the platform,
    amount), for the admin's page."""
    require_admin(actor)
    balances = ledger.balances()
    ids = {org_id for _account, org_id in balances if org_id is not None}
    names = dict(
        db.session.execute(
            select(Organization.id, Organization.name).where(Organization.id.in_(ids or [0]))
        ).all()
    )
    rows = [
        (account, names.get(org_id) if org_id else None, total)
        for (account, org_id), total in balances.items()
    ]
    return sorted(rows, key=lambda row: (row[0], row[1] or ""))


@dataclass
class PayoutsOverview:
    owed: list[tuple[Organization, int]]
    balances: list[tuple[str, str | None, int]]
    report: ledger.CheckReport


def payouts_overview(actor: Actor) -> PayoutsOverview:
    """The admin's payouts page: who is owed, every balance by name, and the ledger check."""
    require_admin(actor)
    return PayoutsOverview(owed_list(actor), named_balances(actor), ledger.check())


@dataclass(frozen=True)
class StatementLine:
    """One ledger transaction of an organisation, said in words."""

    when: datetime
    #: The sentence ("Invoice HD-0007 paid by bank transfer to you — platform fee 3 %: …").
    text: Any
    #: How it changed what the platform owes the organisation (negative: less owed to it, or
    #: more owed by it); 0 when it moved no money between them.
    change: int
    #: What it belongs to: (words, page) — the payable's own page, its pay page.
    links: tuple[tuple[Any, Link], ...] = ()


@dataclass
class Statement:
    organization: Organization
    #: What the platform owes the organisation now (negative: what it owes the platform).
    owed: int
    #: Card money the platform holds for it (not paid out yet).
    held: int
    #: Platform fees it owes on transfers it received itself (billed monthly).
    fees_owed: int
    lines: list[StatementLine]
    #: Its commission invoices, for its owners and managers and admins (None for staff).
    commission_invoices: list[CommissionInvoice] | None


def statement(actor: Actor, organization_id: int) -> Statement:
    """What an organisation was paid, paid, was paid out, and is owed, each ledger transaction
    in words (members, admins; NotFound for anyone else)."""
    organization = member_or_admin(actor, organization_id)
    invoices = None
    user = actor.user
    if user is not None and (actor.is_admin or has_role(actor, organization_id, Role.MANAGER)):
        invoices = list(
            db.session.scalars(
                select(CommissionInvoice)
                .where(CommissionInvoice.organization_id == organization_id)
                .order_by(CommissionInvoice.period.desc(), CommissionInvoice.id.desc())
            )
        )
    return Statement(
        organization,
        ledger.owed_to(organization_id),
        -ledger.balance(Account.PAYABLE, organization_id),
        ledger.balance(Account.RECEIVABLE, organization_id),
        _lines(organization_id),
        invoices,
    )


# --- each transaction in words ------------------------------------------------------------------


class _Payables:
    """Payables by (kind, id), each looked up once (None when it is gone)."""

    def __init__(self) -> None:
        self._found: dict[tuple[PayableKind, int], Payable | None] = {}

    def __call__(self, payment: Payment) -> Payable | None:
        key = (payment.payable_kind, payment.payable_id)
        if key not in self._found:
            try:
                self._found[key] = payables.payable(*key)
            except NotFound:
                self._found[key] = None
        return self._found[key]


def _what(found: Payable | None, payment: Payment) -> Any:
    return found.label if found is not None else payment.payable_kind.value


def _links(
    found: Payable | None, payment: Payment, organization_id: int
) -> tuple[tuple[Any, Link], ...]:
    pay = payables.Link(
        "payments.pay", {"kind": payment.payable_kind.value, "payable_id": payment.payable_id}
    )
    if found is None:
        return ((_l("Payment page"), pay),)
    return ((found.label, found.page_for(organization_id)), (_l("Payment page"), pay))


def _rate(payment: Payment) -> str:
    return fees.rate_text(fees.rate_of(payment.fee, payment.amount), str(get_locale() or "vi"))


def _payment_text(payment: Payment, org_id: int, what: Any) -> Any:
    m = format_money
    if payment.problem:
        return _l(
            "Card payment for %(what)s not applied (it was already paid or could no longer be "
            "paid): %(amount)s is refunded to the card",
            what=what,
            amount=m(payment.amount),
        )
    if payment.payee_id is None:
        if payment.method is PaymentMethod.BALANCE:
            return _l(
                "%(what)s paid by deduction: %(amount)s taken from the money held for you",
                what=what,
                amount=m(payment.amount),
            )
        if payment.method is PaymentMethod.CARD:
            return _l("%(what)s paid by card: %(amount)s", what=what, amount=m(payment.amount))
        return _l(
            "%(what)s paid by bank transfer to the platform: %(amount)s",
            what=what,
            amount=m(payment.amount),
        )
    if payment.payee_id == org_id:
        if payment.method is PaymentMethod.CARD:
            return _l(
                "Card payment from %(payer)s for %(what)s: %(net)s held for you after the "
                "%(rate)s fee",
                payer=payment.payer.name,
                what=what,
                net=m(payment.amount - payment.fee),
                rate=_rate(payment),
            )
        return _l(
            "%(payer)s paid %(what)s by bank transfer to you (%(amount)s) — platform fee "
            "%(rate)s: %(fee)s owed to the platform",
            payer=payment.payer.name,
            what=what,
            amount=m(payment.amount),
            rate=_rate(payment),
            fee=m(payment.fee),
        )
    payee = payment.payee.name if payment.payee is not None else ""
    if payment.method is PaymentMethod.CARD:
        return _l(
            "You paid %(what)s to %(payee)s by card: %(amount)s",
            what=what,
            payee=payee,
            amount=m(payment.amount),
        )
    return _l(
        "You paid %(what)s to %(payee)s by bank transfer: %(amount)s",
        what=what,
        payee=payee,
        amount=m(payment.amount),
    )


def _reversal_text(payment: Payment, org_id: int, what: Any) -> Any:
    if payment.payee_id == org_id:
        return _l(
            "Transfer for %(what)s recorded by mistake and undone: its fee of %(fee)s is no "
            "longer owed",
            what=what,
            fee=format_money(payment.fee),
        )
    if payment.payee_id is None:
        return _l(
            "Transfer for %(what)s recorded by mistake and undone: %(amount)s is owed again",
            what=what,
            amount=format_money(payment.amount),
        )
    return _l(
        "Your transfer for %(what)s was recorded by mistake and undone (%(amount)s)",
        what=what,
        amount=format_money(payment.amount),
    )


def _refund_text(refund: Refund, taken: int, org_id: int, what: Any) -> Any:
    payment = refund.payment
    if payment.problem:
        return _l(
            "Refund to your card for %(what)s: %(amount)s",
            what=what,
            amount=format_money(refund.amount),
        )
    if payment.payee_id is None:
        return _l(
            "Card payment for %(what)s refunded: %(amount)s is owed again",
            what=what,
            amount=format_money(refund.amount),
        )
    return _l(
        "Card refund for %(what)s: %(amount)s back to the payer, %(taken)s taken from the money "
        "held for you",
        what=what,
        amount=format_money(refund.amount),
        taken=format_money(taken),
    )


def _lines(organization_id: int, limit: int = 300) -> list[StatementLine]:
    """The organisation's ledger transactions, newest first, each in words; and the card
    payments it made (which move no money of its own on the platform's books)."""
    groups: dict[str, list[LedgerEntry]] = {}
    for entry in ledger.entries_of(organization_id, limit * 4):
        groups.setdefault(entry.transaction, []).append(entry)
    find = _Payables()
    lines: list[StatementLine] = []
    for entries in list(groups.values())[:limit]:
        first = entries[0]
        change = -sum(
            e.amount for e in entries if e.account in (Account.PAYABLE, Account.RECEIVABLE)
        )
        if first.payout_id is not None:
            payout = db.session.get_one(Payout, first.payout_id)
            text = _l(
                "Payout to your bank account: %(amount)s (bank reference %(reference)s)",
                amount=format_money(payout.amount),
                reference=payout.bank_reference,
            )
            lines.append(StatementLine(first.created_at, text, change))
            continue
        if first.payment_id is None:
            continue
        payment = db.session.get_one(Payment, first.payment_id)
        found = find(payment)
        what = _what(found, payment)
        if first.refund_id is not None:
            refund = db.session.get_one(Refund, first.refund_id)
            text = _refund_text(refund, -change, organization_id, what)
        elif first.reverses:
            text = _reversal_text(payment, organization_id, what)
        else:
            text = _payment_text(payment, organization_id, what)
        lines.append(
            StatementLine(first.created_at, text, change, _links(found, payment, organization_id))
        )
    # Card payments to others move nothing on the payer's own accounts: said all the same.
    for payment in db.session.scalars(
        select(Payment)
        .where(
            Payment.payer_id == organization_id,
            Payment.payee_id.is_not(None),
            Payment.method == PaymentMethod.CARD,
            Payment.status == PaymentStatus.SUCCEEDED,
            Payment.problem.is_(None),
        )
        .order_by(Payment.id.desc())
        .limit(limit)
    ):
        found = find(payment)
        lines.append(
            StatementLine(
                payment.succeeded_at or payment.created_at,
                _payment_text(payment, organization_id, _what(found, payment)),
                0,
                _links(found, payment, organization_id),
            )
        )
    lines.sort(key=lambda line: line.when, reverse=True)
    return lines
