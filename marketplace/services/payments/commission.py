"""Commission invoices: once a month the platform bills each organisation the fees it owes on
the bank transfers it received itself (the platform kept nothing of that money, so the fee
stayed with the payee: its ``receivable`` in the ledger).

A commission invoice is a payable like any other (``CommissionPayables``, kind "commission",
reference letter "C"), paid by its organisation to the platform itself (``payee_id`` None):

* at once, as far as it goes, from the money the platform holds for the organisation (its card
  payments not yet paid out, less card refunds still pending) — a "balance" payment;
* the rest by bank transfer to the platform's account (VietQR on the pay page; a platform
  admin records it), or by card where cards are offered.

    CommissionInvoice: issued ──(payments cover it)──▶ paid ──(a transfer reversed)──▶ issued
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import (
    Account,
    CommissionInvoice,
    CommissionStatus,
    LedgerEntry,
    Organization,
    PayableKind,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Refund,
    RefundStatus,
    Role,
)
from marketplace.models._types import utcnow
from marketplace.services import audit
from marketplace.services.context import Actor
from marketplace.services.errors import NotFound, ValidationFailed
from marketplace.services.locking import lock
from marketplace.services.notifications import tell
from marketplace.services.payments import ledger, platform
from marketplace.services.payments.payables import (
    Link,
    Payable,
    PayableState,
    lock_payable,
    new_payment,
    outstanding,
    settle_if_covered,
)
from marketplace.services.permissions import member_or_admin, require_admin
from marketplace.vietnam import VN_TZ, today

#: Days an organisation has to pay a commission invoice.
DAYS_TO_PAY = 15


# --- months ----------------------------------------------------------------------------------


def month_of(text: str | None) -> date:
    """The first day of a month typed as "YYYY-MM"; ValidationFailed for anything else."""
    try:
        year, month = (int(part) for part in (text or "").strip().split("-"))
        if 2000 <= year <= 2999:
            return date(year, month, 1)
    except (TypeError, ValueError):
        pass
    raise ValidationFailed({"month": _l("Enter a month as YYYY-MM.")})


def last_month(day: date | None = None) -> date:
    first = (day or today()).replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


def _next_month(period: date) -> date:
    return (period.replace(day=28) + timedelta(days=4)).replace(day=1)


def _bounds(period: date) -> tuple[datetime, datetime]:
    """The month as UTC instants, from midnight in Vietnam on its first day."""

    def start(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=VN_TZ).astimezone(UTC)

    return start(period), start(_next_month(period))


# --- what is owed ----------------------------------------------------------------------------


def _fee_entries(period: date):
    """The ``receivable`` entries of fees posted in the month: each transfer's fee (+) and
    each reversal's (−), by the payee they belong to. Payments to the platform itself are not
    fees (they pay what is owed)."""
    start, end = _bounds(period)
    return (
        select(LedgerEntry)
        .join(Payment, Payment.id == LedgerEntry.payment_id)
        .where(
            LedgerEntry.account == Account.RECEIVABLE,
            Payment.payee_id == LedgerEntry.organization_id,
            LedgerEntry.created_at >= start,
            LedgerEntry.created_at < end,
        )
    )


def fees_of_month(period: date) -> dict[int, int]:
    """Each organisation's fees for transfers received in the month, reversals netted out."""
    entries = _fee_entries(period).subquery()
    rows = db.session.execute(
        select(entries.c.organization_id, func.sum(entries.c.amount)).group_by(
            entries.c.organization_id
        )
    )
    return {org_id: int(total) for org_id, total in rows}


def pending_refunds(organization_id: int) -> int:
    """Card refunds of the organisation's payments that are asked for but not done yet: the
    money they take back is not the platform's to deduct from."""
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(Refund.amount), 0))
            .join(Payment, Payment.id == Refund.payment_id)
            .where(
                Payment.payee_id == organization_id,
                Payment.problem.is_(None),
                Refund.status == RefundStatus.PENDING,
            )
        )
        or 0
    )


def held_for(organization_id: int) -> int:
    """What the platform holds for the organisation and may deduct from: its card money not
    paid out, less pending card refunds (never below zero)."""
    held = -ledger.balance(Account.PAYABLE, organization_id) - pending_refunds(organization_id)
    return max(held, 0)


# --- the payable kind ------------------------------------------------------------------------


def _payable(invoice: CommissionInvoice) -> Payable:
    return Payable(
        PayableKind.COMMISSION,
        invoice.id,
        invoice.amount,
        invoice.organization_id,
        None,
        invoice.number,
        invoice.status is CommissionStatus.ISSUED,
        page=Link("payments.commission_invoice", {"commission_id": invoice.id}),
        label=_l("Commission invoice %(number)s", number=invoice.number),
        heading=_l("Pay commission invoice %(number)s", number=invoice.number),
        due_on=invoice.due_on,
    )


class CommissionPayables:
    """Commission invoices as payables (organisation → the platform); registered by
    ``create_app``."""

    kind = PayableKind.COMMISSION

    def find(self, payable_id: int) -> Payable | None:
        invoice = db.session.get(CommissionInvoice, payable_id)
        return _payable(invoice) if invoice is not None else None

    def lock(self, payable_id: int) -> None:
        if lock(CommissionInvoice, payable_id) is None:
            raise NotFound("commission invoice")

    def settle(self, actor: Actor, payable_id: int) -> None:
        invoice = lock(CommissionInvoice, payable_id)
        if invoice.status is CommissionStatus.ISSUED:
            invoice.status, invoice.paid_at = CommissionStatus.PAID, utcnow()
            audit.record(
                actor,
                "commission.paid",
                "commission_invoice",
                invoice.id,
                organization_id=invoice.organization_id,
            )

    def reopen(self, actor: Actor, payable_id: int) -> None:
        invoice = lock(CommissionInvoice, payable_id)
        if invoice.status is CommissionStatus.PAID:
            invoice.status, invoice.paid_at = CommissionStatus.ISSUED, None
            audit.record(
                actor,
                "commission.reopen",
                "commission_invoice",
                invoice.id,
                organization_id=invoice.organization_id,
            )

    def states(self):
        for invoice in db.session.scalars(select(CommissionInvoice)):
            yield PayableState(
                invoice.id,
                f"commission invoice {invoice.number}",
                invoice.amount,
                settled=invoice.status is CommissionStatus.PAID,
                awaiting=invoice.status is CommissionStatus.ISSUED,
            )


# --- billing ---------------------------------------------------------------------------------


@dataclass
class Billed:
    """What a billing run did: the invoices it issued, and how much of them was deducted."""

    period: date
    issued: list[CommissionInvoice]
    deducted: int = 0


def _number(period: date) -> str:
    taken = db.session.scalar(
        select(func.count(CommissionInvoice.id)).where(CommissionInvoice.period == period)
    )
    return f"PHI-{period:%Y-%m}-{int(taken or 0) + 1:04d}"


def deduct(actor: Actor, invoice_id: int) -> Payment | None:
    """Pay as much of the invoice as the platform holds for its organisation, at once (a
    "balance" payment), under the organisation's lock (refunds asked for meanwhile wait)."""
    invoice = db.session.get_one(CommissionInvoice, invoice_id)
    lock(Organization, invoice.organization_id)
    found = lock_payable(PayableKind.COMMISSION, invoice_id)
    amount = min(outstanding(found), held_for(found.payer_id))
    if not found.open or amount <= 0:
        return None
    payment = new_payment(
        found,
        amount,
        PaymentMethod.BALANCE,
        actor,
        status=PaymentStatus.SUCCEEDED,
        succeeded_at=utcnow(),
    )
    db.session.add(payment)
    db.session.flush()
    ledger.post_payment(payment)
    settle_if_covered(found, actor)
    audit.record(
        actor,
        "payment.deduct",
        "payment",
        payment.id,
        organization_id=found.payer_id,
        details={"amount": amount, "payable": f"commission:{invoice_id}"},
    )
    return payment


def bill_month(actor: Actor, period: date) -> Billed:
    """Issue, for each organisation, one commission invoice of the fees it owes for the
    transfers it received in the month (a platform admin, or the system from the command
    line); settle what it can at once from what the platform holds for it; tell it. Run twice,
    it issues nothing more. Only a month that is over can be billed (ValidationFailed)."""
    if actor.user is not None:
        require_admin(actor)
    period = period.replace(day=1)
    if period >= today().replace(day=1):
        raise ValidationFailed({"month": _l("Only a month that is over can be billed.")})
    # One billing run at a time: the invoices' running numbers are counted under this lock.
    platform.locked_row()
    billed = Billed(period, [])
    already = set(
        db.session.scalars(
            select(CommissionInvoice.organization_id).where(CommissionInvoice.period == period)
        )
    )
    for organization_id, owed in sorted(fees_of_month(period).items()):
        if owed <= 0 or organization_id in already:
            continue
        issued_on = today()
        invoice = CommissionInvoice(
            organization_id=organization_id,
            period=period,
            number=_number(period),
            amount=owed,
            status=CommissionStatus.ISSUED,
            issued_on=issued_on,
            due_on=issued_on + timedelta(days=DAYS_TO_PAY),
        )
        db.session.add(invoice)
        db.session.flush()
        audit.record(
            actor,
            "commission.issue",
            "commission_invoice",
            invoice.id,
            organization_id=organization_id,
            details={"period": f"{period:%Y-%m}", "amount": owed, "number": invoice.number},
        )
        payment = deduct(actor, invoice.id)
        if payment is not None:
            billed.deducted += payment.amount
        billed.issued.append(invoice)
        found = _payable(invoice)
        tell(
            organization_id,
            "commission_invoice",
            _l("Platform fee invoice %(number)s", number=invoice.number),
            "payments.pay",
            context={
                "invoice": invoice,
                "deducted": payment.amount if payment is not None else 0,
                "owed": outstanding(found),
            },
            kind=PayableKind.COMMISSION.value,
            payable_id=invoice.id,
        )
    db.session.flush()
    return billed


def bill(actor: Actor, month: str | None) -> Billed:
    """``bill_month`` for a month typed as "YYYY-MM" (last month when none is typed)."""
    if actor.user is not None:
        require_admin(actor)
    return bill_month(actor, month_of(month) if (month or "").strip() else last_month())


# --- reading ---------------------------------------------------------------------------------


def invoices_of(actor: Actor, organization_id: int) -> list[CommissionInvoice]:
    """An organisation's commission invoices, newest first: its owners and managers, and
    platform admins (NotFound for outsiders, PermissionDenied for its staff)."""
    member_or_admin(actor, organization_id, Role.MANAGER)
    return list(
        db.session.scalars(
            select(CommissionInvoice)
            .where(CommissionInvoice.organization_id == organization_id)
            .order_by(CommissionInvoice.period.desc(), CommissionInvoice.id.desc())
        )
    )


@dataclass
class InvoiceView:
    invoice: CommissionInvoice
    payable: Payable
    outstanding: int
    #: The transfers whose fees it bills (a reversed one with a negative fee).
    fees: list[tuple[LedgerEntry, Payment]]


def view_invoice(actor: Actor, invoice_id: int) -> InvoiceView:
    """A commission invoice with the fees it is made of, for its organisation's owners and
    managers and platform admins (NotFound for anyone else, PermissionDenied for staff)."""
    invoice = db.session.get(CommissionInvoice, invoice_id)
    if invoice is None:
        raise NotFound("commission invoice")
    member_or_admin(actor, invoice.organization_id, Role.MANAGER)
    found = _payable(invoice)
    entries = db.session.execute(
        _fee_entries(invoice.period)
        .add_columns(Payment)
        .where(LedgerEntry.organization_id == invoice.organization_id)
        .order_by(LedgerEntry.id)
    ).all()
    return InvoiceView(invoice, found, outstanding(found), [(e, p) for e, p in entries])


def pay_page_link(invoice: CommissionInvoice) -> Link:
    return _payable(invoice).pay_page
