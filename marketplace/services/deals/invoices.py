"""Invoices: issued when a delivery is received, for the accepted quantities at the prices in
force on its date, numbered per co-op without gaps, VAT per line.

    issued ──pay (payments reach the total)──▶ paid
      │ └──overdue (due date passed; daily sweep)──▶ overdue ──pay──▶ paid
      └──void (reason)──▶ void;  overdue ──void──▶ void

Until online payments exist, an owner or manager of the co-op records payments by hand.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from marketplace.extensions import db
from marketplace.models import (
    Delivery,
    DeliveryStatus,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    InvoiceStatus,
    Listing,
    Organization,
    PayableKind,
    PaymentStatus,
    Role,
    Side,
)
from marketplace.models._types import utcnow
from marketplace.services import audit
from marketplace.services.context import Actor
from marketplace.services.deals.rules import Party, line_amounts, party
from marketplace.services.errors import NotFound, PermissionDenied, ValidationFailed
from marketplace.services.locking import lock
from marketplace.services.notifications import tell
from marketplace.services.payments.payables import (
    Link,
    Payable,
    PayableState,
    paid_so_far,
    payments_of,
)
from marketplace.services.payments.transfers import record_transfer
from marketplace.services.permissions import member_of
from marketplace.services.states import step
from marketplace.vietnam import today

I = InvoiceStatus  # noqa: E741
INVOICE_TRANSITIONS: dict[tuple[InvoiceStatus, str], InvoiceStatus] = {
    (I.ISSUED, "pay"): I.PAID,
    (I.OVERDUE, "pay"): I.PAID,
    (I.ISSUED, "overdue"): I.OVERDUE,
    (I.ISSUED, "void"): I.VOID,
    (I.OVERDUE, "void"): I.VOID,
    # A transfer recorded by mistake was reversed: owed again.
    (I.PAID, "reopen"): I.ISSUED,
}


def _next_number(coop: Organization) -> tuple[int, str]:
    """The co-op's next invoice number, taken under a lock on its counter row; rolled back
    with the transaction if the invoice is not saved, so the sequence has no gaps."""
    # The co-op's row serialises invoice numbering (also the very first, before the counter
    # row exists); the counter row is then read under that lock.
    lock(Organization, coop.id)
    counter = db.session.get(InvoiceCounter, coop.id, populate_existing=True)
    if counter is None:
        counter = InvoiceCounter(organization_id=coop.id, last_number=0)
        db.session.add(counter)
    counter.last_number += 1
    sequence = counter.last_number
    prefix = (
        "".join(ch for ch in (coop.short_name or "").upper() if ch.isascii() and ch.isalnum())[:8]
        or f"HTX{coop.id}"
    )
    return sequence, f"{prefix}-{sequence:06d}"


def issue_for_delivery(actor: Actor, delivery: Delivery) -> Invoice:
    """The invoice for a received delivery's accepted quantities (inside ``receive``).

    Raises ValidationFailed for a delivery not received or with nothing accepted: a fully
    rejected delivery is never invoiced."""
    if delivery.status is not DeliveryStatus.RECEIVED:
        raise ValidationFailed({"version": _l("Only a received delivery is invoiced.")})
    if not any(line.accepted_quantity for line in delivery.lines):
        raise ValidationFailed(
            {"version": _l("Nothing was accepted, so there is nothing to invoice.")}
        )
    if db.session.scalar(select(Invoice.id).where(Invoice.delivery_id == delivery.id)):
        raise ValidationFailed({"version": _l("This delivery has already been invoiced.")})
    contract = delivery.contract
    lines = []
    for line in delivery.lines:
        if not line.accepted_quantity:
            continue
        net, vat, total = line_amounts(
            line.accepted_quantity, line.unit_price, line.contract_line.vat_rate
        )
        lines.append(
            InvoiceLine(
                description=line.contract_line.description,
                unit=line.contract_line.unit,
                quantity=line.accepted_quantity,
                unit_price=line.unit_price,
                vat_rate=line.contract_line.vat_rate,
                net=net,
                vat=vat,
                total=total,
            )
        )
    sequence, number = _next_number(contract.coop)
    issued_on = today()
    invoice = Invoice(
        coop_id=contract.coop_id,
        buyer_id=contract.buyer_id,
        contract_id=contract.id,
        delivery_id=delivery.id,
        sequence=sequence,
        number=number,
        issued_on=issued_on,
        due_on=issued_on + timedelta(days=contract.payment_days),
        subtotal=sum(ln.net for ln in lines),
        vat_total=sum(ln.vat for ln in lines),
        total=sum(ln.total for ln in lines),
        lines=lines,
    )
    db.session.add(invoice)
    db.session.flush()
    audit.record(
        actor,
        "invoice.issue",
        "invoice",
        invoice.id,
        organization_id=contract.coop_id,
        details={"number": number, "total": invoice.total},
    )
    for org_id in (contract.buyer_id, contract.coop_id):
        tell(
            org_id,
            "invoice_issued",
            _l("Invoice %(number)s", number=number),
            "contracts.invoice",
            invoice_id=invoice.id,
            context={"invoice": invoice},
            # The invoice's PDF, made when the email is sent (never stored in the outbox).
            attach=[{"kind": "invoice", "id": invoice.id}],
        )
    return invoice


def _invoice_party(
    actor: Actor, invoice_id: int, min_role: Role = Role.STAFF
) -> tuple[Invoice, Party]:
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None:
        raise NotFound("invoice")
    return invoice, party(actor, invoice.buyer_id, invoice.coop_id, min_role)


def invoice_view(actor: Actor, invoice_id: int) -> tuple[Invoice, Party]:
    return _invoice_party(actor, invoice_id)


def paid_amount(invoice: Invoice) -> int:
    """What the invoice's payments cover, net of refunds."""
    return paid_so_far(PayableKind.INVOICE, invoice.id)


def record_payment(
    actor: Actor,
    invoice_id: int,
    *,
    amount: str,
    paid_on: date | None,
    reference: str,
    partial: bool = True,
):
    """The co-op's owner or manager records a bank transfer it received for the invoice
    (``transfers.record_transfer``): the invoice is paid once its payments cover it."""
    _invoice, who = _invoice_party(actor, invoice_id)
    if who.side is not Side.COOP:
        raise PermissionDenied("the co-op records what it received")
    return record_transfer(
        actor,
        PayableKind.INVOICE,
        invoice_id,
        amount=amount,
        paid_on=paid_on,
        bank_reference=reference,
        partial=partial,
    )


def mark_paid(actor: Actor, invoice_id: int) -> None:
    """Payments now cover the invoice (called by the payments service, holding its lock)."""
    invoice = db.session.get(Invoice, invoice_id)
    invoice.status = step(INVOICE_TRANSITIONS, invoice.status, "pay")
    invoice.paid_at = utcnow()
    audit.record(actor, "invoice.paid", "invoice", invoice.id, organization_id=invoice.coop_id)


def void(actor: Actor, invoice_id: int, reason: str) -> Invoice:
    """The co-op's owner or manager voids an unpaid invoice with a reason; its number stays
    used (and shown as void), so the sequence keeps no gaps."""
    invoice, who = _invoice_party(actor, invoice_id, Role.MANAGER)
    if who.side is not Side.COOP:
        raise PermissionDenied("the co-op voids its invoices")
    text = (reason or "").strip()[:2000]
    if not text:
        raise ValidationFailed({"reason": _l("Give a reason.")})
    invoice = lock(Invoice, invoice.id)
    if any(
        p.status is PaymentStatus.SUCCEEDED for p in payments_of(PayableKind.INVOICE, invoice.id)
    ):
        raise ValidationFailed(
            {"reason": _l("Payments are recorded on this invoice; it cannot be voided.")}
        )
    invoice.status = step(INVOICE_TRANSITIONS, invoice.status, "void")
    invoice.void_reason = text
    audit.record(
        actor,
        "invoice.void",
        "invoice",
        invoice.id,
        organization_id=invoice.coop_id,
        details={"reason": text},
    )
    tell(
        invoice.buyer_id,
        "invoice_void",
        _l("Invoice %(number)s was voided", number=invoice.number),
        "contracts.invoice",
        invoice_id=invoice.id,
        context={"invoice": invoice, "reason": text},
    )
    db.session.flush()
    return invoice


def mark_overdue(invoice: Invoice | None = None) -> int:
    """Issued invoices past their due date become overdue (one, or all: daily sweep)."""
    query = select(Invoice.id).where(
        Invoice.status == InvoiceStatus.ISSUED, Invoice.due_on < today()
    )
    if invoice is not None:
        if invoice.status is not InvoiceStatus.ISSUED or invoice.due_on >= today():
            return 0
        query = query.where(Invoice.id == invoice.id)
    count = 0
    for invoice_id in db.session.scalars(query.limit(1000)).all():
        locked = lock(Invoice, invoice_id)
        if locked.status is InvoiceStatus.ISSUED and locked.due_on < today():
            locked.status = step(INVOICE_TRANSITIONS, locked.status, "overdue")
            audit.record(
                Actor.system(),
                "invoice.overdue",
                "invoice",
                locked.id,
                organization_id=locked.coop_id,
            )
            count += 1
        db.session.flush()
    return count


def invoices_of(actor: Actor, organization_id: int) -> list[Invoice]:
    member_of(actor, organization_id)
    return list(
        db.session.scalars(
            select(Invoice)
            .where(or_(Invoice.buyer_id == organization_id, Invoice.coop_id == organization_id))
            .options(selectinload(Invoice.buyer), selectinload(Invoice.coop))
            .order_by(Invoice.issued_on.desc(), Invoice.id.desc())
            .limit(500)
        )
    )


@dataclass
class MonthlyTotals:
    """Invoice totals per month (last ``months``), split by the other party, for charts."""

    months: list[date]
    #: party name → totals per month, in the order of ``months``.
    series: dict[str, list[int]]

    @property
    def month_totals(self) -> list[int]:
        return [sum(values[i] for values in self.series.values()) for i in range(len(self.months))]

    @property
    def peak(self) -> int:
        return max(self.month_totals, default=0)

    @property
    def grand_total(self) -> int:
        return sum(self.month_totals)


def monthly_totals(
    actor: Actor, organization_id: int, side: Side, months: int = 6
) -> MonthlyTotals:
    """Spend by co-op and month (buyer) or revenue by buyer and month (co-op), from invoices
    that are not void."""
    member_of(actor, organization_id)
    first = today().replace(day=1)
    starts = []
    for _ in range(months):
        starts.insert(0, first)
        first = (first - timedelta(days=1)).replace(day=1)
    mine = Invoice.buyer_id if side is Side.BUYER else Invoice.coop_id
    theirs = Invoice.coop_id if side is Side.BUYER else Invoice.buyer_id
    rows = db.session.execute(
        select(theirs, Invoice.issued_on, func.sum(Invoice.total))
        .where(
            mine == organization_id,
            Invoice.status != InvoiceStatus.VOID,
            Invoice.issued_on >= starts[0],
        )
        .group_by(theirs, Invoice.issued_on)
    ).all()
    names = dict(
        db.session.execute(
            select(Organization.id, Organization.name).where(
                Organization.id.in_({r[0] for r in rows} or {0})
            )
        ).all()
    )
    series: dict[str, list[int]] = defaultdict(lambda: [0] * months)
    for other_id, issued_on, total in rows:
        index = next(i for i in range(months - 1, -1, -1) if issued_on >= starts[i])
        series[names.get(other_id, "?")][index] += int(total or 0)
    return MonthlyTotals(starts, dict(sorted(series.items())))


def invoice_of_delivery(delivery_id: int) -> Invoice | None:
    """The invoice issued for a delivery (shown on the delivery page to its parties)."""
    return db.session.scalar(select(Invoice).where(Invoice.delivery_id == delivery_id))


def reopen(actor: Actor, invoice_id: int) -> None:
    """A paid invoice is owed again after a payment was reversed (payments service, under
    the invoice's lock); it is overdue at once if its due date has passed."""
    invoice = db.session.get(Invoice, invoice_id)
    if invoice.status is not InvoiceStatus.PAID:
        return
    invoice.status = step(INVOICE_TRANSITIONS, invoice.status, "reopen")
    invoice.paid_at = None
    audit.record(actor, "invoice.reopen", "invoice", invoice.id, organization_id=invoice.coop_id)
    if invoice.due_on < today():
        invoice.status = step(INVOICE_TRANSITIONS, invoice.status, "overdue")


# --- invoices as payables ----------------------------------------------------------------------


class InvoicePayables:
    """Contract invoices as payables (buyer → co-op); registered by ``create_app``."""

    kind = PayableKind.INVOICE

    def find(self, payable_id: int) -> Payable | None:
        invoice = db.session.get(Invoice, payable_id)
        if invoice is None:
            return None
        # The commission follows the category of what was sold: the listing's, or else the
        # request's line.
        contract = invoice.contract
        listing_id = contract.lines[0].listing_id if contract.lines else None
        category = db.session.scalar(select(Listing.category_id).where(Listing.id == listing_id))
        if category is None and contract.rfq is not None and contract.rfq.lines:
            category = contract.rfq.lines[0].category_id
        return Payable(
            self.kind,
            invoice.id,
            invoice.total,
            invoice.buyer_id,
            invoice.coop_id,
            invoice.number,
            invoice.status in (InvoiceStatus.ISSUED, InvoiceStatus.OVERDUE),
            page=Link("contracts.invoice", {"invoice_id": invoice.id}),
            label=_l("Invoice %(number)s", number=invoice.number),
            heading=_l("Pay invoice %(number)s", number=invoice.number),
            category_id=category,
            due_on=invoice.due_on,
        )

    def lock(self, payable_id: int) -> None:
        if lock(Invoice, payable_id) is None:
            raise NotFound("invoice")

    def settle(self, actor: Actor, payable_id: int) -> None:
        mark_paid(actor, payable_id)

    def reopen(self, actor: Actor, payable_id: int) -> None:
        reopen(actor, payable_id)

    def states(self):
        for invoice in db.session.scalars(select(Invoice)):
            yield PayableState(
                invoice.id,
                f"invoice {invoice.number}",
                invoice.total,
                settled=invoice.status is InvoiceStatus.PAID,
                awaiting=invoice.status in (InvoiceStatus.ISSUED, InvoiceStatus.OVERDUE),
            )
