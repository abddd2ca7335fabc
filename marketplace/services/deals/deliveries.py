"""Deliveries of running contracts: the co-op dispatches (quantities and lot codes), the buyer
confirms receipt (accepted and rejected quantities, reasons and photos), which issues the
invoice for what was accepted.

    planned ──dispatch──▶ dispatched ──receive──▶ received
       └──cancel (notice, amendment)──▶ cancelled

A planned delivery whose date has passed is overdue; one dispatched after its date is late;
one with less dispatched or accepted than planned is partial. These are read from the rows,
not stored as states.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from marketplace.extensions import db
from marketplace.models import (
    Contract,
    Delivery,
    DeliveryLine,
    DeliveryStatus,
    Lot,
    Role,
    Side,
)
from marketplace.models._types import utcnow
from marketplace.parsing import parse_quantity
from marketplace.services import audit, images
from marketplace.services.context import Actor
from marketplace.services.deals.contracts import RUNNING, end_if_over
from marketplace.services.deals.invoices import issue_for_delivery
from marketplace.services.deals.rules import Party, party
from marketplace.services.errors import DealChanged, NotFound, ValidationFailed
from marketplace.services.locking import lock
from marketplace.services.notifications import tell
from marketplace.services.permissions import member_of
from marketplace.services.states import step
from marketplace.validation import InvalidValue
from marketplace.vietnam import today

D = DeliveryStatus
DELIVERY_TRANSITIONS: dict[tuple[DeliveryStatus, str], DeliveryStatus] = {
    (D.PLANNED, "dispatch"): D.DISPATCHED,
    (D.DISPATCHED, "receive"): D.RECEIVED,
    (D.PLANNED, "cancel"): D.CANCELLED,
}
MAX_REJECTION_PHOTOS = 5


def is_overdue(delivery: Delivery, on: date | None = None) -> bool:
    return delivery.status is DeliveryStatus.PLANNED and delivery.scheduled_on < (on or today())


def is_late(delivery: Delivery) -> bool:
    from marketplace.vietnam import VN_TZ

    return (
        delivery.dispatched_at is not None
        and delivery.dispatched_at.astimezone(VN_TZ).date() > delivery.scheduled_on
    )


def is_partial(delivery: Delivery) -> bool:
    for line in delivery.lines:
        if line.dispatched_quantity is not None and line.dispatched_quantity < line.quantity:
            return True
        if line.rejected_quantity:
            return True
    return False


def _delivery_party(
    actor: Actor, delivery_id: int, min_role: Role = Role.STAFF
) -> tuple[Delivery, Party]:
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None:
        raise NotFound("delivery")
    contract = delivery.contract
    return delivery, party(actor, contract.buyer_id, contract.coop_id, min_role)


def delivery_view(actor: Actor, delivery_id: int) -> tuple[Delivery, Party]:
    delivery, who = _delivery_party(actor, delivery_id)
    db.session.scalars(
        select(DeliveryLine)
        .where(DeliveryLine.delivery_id == delivery.id)
        .options(selectinload(DeliveryLine.contract_line), selectinload(DeliveryLine.lot))
    ).all()
    return delivery, who


def lots_for(delivery: Delivery) -> dict[int, list[Lot]]:
    """The co-op's lots of each line's product, newest first (for the dispatch form)."""
    result: dict[int, list[Lot]] = {}
    for line in delivery.lines:
        listing_id = line.contract_line.listing_id
        result[line.id] = (
            list(
                db.session.scalars(
                    select(Lot)
                    .where(Lot.listing_id == listing_id)
                    .order_by(Lot.produced_on.desc())
                    .limit(30)
                )
            )
            if listing_id
            else []
        )
    return result


@dataclass
class DispatchLine:
    quantity: str
    lot_id: int | None = None


#: A delivery planned more than this many days ahead is dispatched only with an explicit
#: "dispatch early" tick: goods sent up to three days early are a normal kindness to a
#: buyer's storeroom, anything earlier is more likely the wrong delivery chosen on a phone.
EARLY_DISPATCH_DAYS = 3


def days_early(delivery: Delivery, on: date | None = None) -> int:
    """How many days before its date a delivery would be dispatched today (0 if not early)."""
    return max((delivery.scheduled_on - (on or today())).days, 0)


def needs_early_tick(delivery: Delivery, on: date | None = None) -> bool:
    return days_early(delivery, on) > EARLY_DISPATCH_DAYS


def dispatch(
    actor: Actor,
    delivery_id: int,
    seen_version: int | None,
    lines: dict[int, DispatchLine],
    note: str = "",
    *,
    early: bool = False,
) -> Delivery:
    """A co-op member marks a delivery dispatched: the quantity of each line (up to what was
    planned; less is a partial delivery) and the lot it came from; the buyer is told. A
    delivery planned more than ``EARLY_DISPATCH_DAYS`` ahead needs ``early`` (the member's
    "dispatch early" tick)."""
    delivery, who = _delivery_party(actor, delivery_id)
    if who.side is not Side.COOP:
        raise NotFound("the co-op dispatches")
    errors: dict[str, object] = {}
    if needs_early_tick(delivery) and not early:
        errors["early"] = _l(
            "This delivery is planned for %(n)d days from now. Tick “dispatch early” to send "
            "it now.",
            n=days_early(delivery),
        )
    values: dict[int, tuple[int, int | None]] = {}
    for line in delivery.lines:
        typed = lines.get(line.id, DispatchLine(""))
        try:
            quantity = parse_quantity(typed.quantity, allow_zero=True, unit=line.contract_line.unit)
        except InvalidValue as exc:
            errors[f"quantity-{line.id}"] = exc.message
            continue
        if quantity > line.quantity:
            errors[f"quantity-{line.id}"] = _l(
                "More than planned (%(n)d). Agree an extra delivery instead.", n=line.quantity
            )
        lot_id = None
        if typed.lot_id:
            lot = db.session.get(Lot, typed.lot_id)
            if lot is None or lot.listing_id != line.contract_line.listing_id:
                errors[f"lot-{line.id}"] = _l("Choose a lot of this product.")
            else:
                lot_id = lot.id
        values[line.id] = (quantity, lot_id)
    if not errors and not any(q for q, _lot in values.values()):
        errors["version"] = _l("Dispatch at least one line.")
    if errors:
        raise ValidationFailed(errors)
    delivery = lock(Delivery, delivery.id)
    if delivery.contract.status not in RUNNING:
        raise ValidationFailed({"version": _l("The contract is not active.")})
    new_status = step(DELIVERY_TRANSITIONS, delivery.status, "dispatch")
    if seen_version != delivery.version:
        raise DealChanged(_l("This delivery changed while you were reading it. Read it again."))
    delivery.status = new_status
    for line in delivery.lines:
        line.dispatched_quantity, line.lot_id = values[line.id]
    delivery.dispatched_at = utcnow()
    delivery.dispatch_note = (note or "").strip()[:2000] or None
    delivery.version += 1
    audit.record(
        actor,
        "delivery.dispatch",
        "delivery",
        delivery.id,
        organization_id=who.organization_id,
        details={str(k): v[0] for k, v in values.items()}
        | ({"days_early": days_early(delivery)} if needs_early_tick(delivery) else {}),
    )
    tell(
        delivery.contract.buyer_id,
        "delivery_dispatched",
        _l("Delivery on its way: contract %(number)s", number=delivery.contract.number),
        "contracts.delivery",
        delivery_id=delivery.id,
        context={"delivery": delivery},
        # The delivery note as it stands now, made when the email is sent.
        attach=[{"kind": "delivery_note", "id": delivery.id}],
    )
    db.session.flush()
    return delivery


@dataclass
class ReceiptLine:
    accepted: str
    rejected: str = "0"
    reason: str = ""
    photos: list[bytes] = field(default_factory=list)


def receive(
    actor: Actor,
    delivery_id: int,
    seen_version: int | None,
    lines: dict[int, ReceiptLine],
    note: str = "",
):
    """A buyer member confirms receipt: accepted and rejected quantities per line (together
    at most what was dispatched), with a reason and photos for any rejection. The invoice for
    the accepted quantities is issued in the same transaction. Returns (delivery, invoice or
    None when everything was rejected)."""
    delivery, who = _delivery_party(actor, delivery_id)
    if who.side is not Side.BUYER:
        raise NotFound("the buyer receives")
    errors: dict[str, object] = {}
    values: dict[int, tuple[int, int, str | None]] = {}
    for line in delivery.lines:
        typed = lines.get(line.id, ReceiptLine(""))
        try:
            unit = line.contract_line.unit
            accepted = parse_quantity(typed.accepted, allow_zero=True, unit=unit)
            rejected = parse_quantity(typed.rejected or "0", allow_zero=True, unit=unit)
        except InvalidValue as exc:
            errors[f"accepted-{line.id}"] = exc.message
            continue
        dispatched = line.dispatched_quantity or 0
        if accepted + rejected > dispatched:
            errors[f"accepted-{line.id}"] = _l(
                "Accepted and rejected together cannot be more than the %(n)d dispatched.",
                n=dispatched,
            )
        reason = (typed.reason or "").strip()[:2000] or None
        if rejected and not reason:
            errors[f"reason-{line.id}"] = _l("Say why goods were rejected.")
        if len([p for p in typed.photos if p]) > MAX_REJECTION_PHOTOS:
            errors[f"photos-{line.id}"] = _l("At most %(n)d photos.", n=MAX_REJECTION_PHOTOS)
        values[line.id] = (accepted, rejected, reason if rejected else None)
    if errors:
        raise ValidationFailed(errors)
    if delivery.status is not DeliveryStatus.DISPATCHED:
        step(DELIVERY_TRANSITIONS, delivery.status, "receive")
    # Photos are stored before the row lock; discarded if the change is then refused.
    stored: dict[int, list[str]] = {}
    keys: list[str] = []
    try:
        for line in delivery.lines:
            for data in lines.get(line.id, ReceiptLine("")).photos:
                if data and values[line.id][1]:
                    key, _type, _size = images.store_private(
                        f"private/deliveries/{delivery.id}",
                        data,
                        field=f"photos-{line.id}",
                        allow_pdf=False,
                    )
                    stored.setdefault(line.id, []).append(key)
                    keys.append(key)
        delivery = lock(Delivery, delivery.id)
        new_status = step(DELIVERY_TRANSITIONS, delivery.status, "receive")
        if seen_version != delivery.version:
            raise DealChanged(_l("This delivery changed while you were reading it. Read it again."))
    except Exception:
        if keys:
            images.discard(keys)
        raise
    delivery.status = new_status
    for line in delivery.lines:
        line.accepted_quantity, line.rejected_quantity, line.rejection_reason = values[line.id]
        line.rejection_photos = "\n".join(stored.get(line.id, [])) or None
    delivery.received_at = utcnow()
    delivery.receipt_note = (note or "").strip()[:2000] or None
    delivery.version += 1
    audit.record(
        actor,
        "delivery.receive",
        "delivery",
        delivery.id,
        organization_id=who.organization_id,
        details={str(k): [v[0], v[1]] for k, v in values.items()},
    )
    invoice = None
    if any(v[0] for v in values.values()):
        invoice = issue_for_delivery(actor, delivery)
    tell(
        delivery.contract.coop_id,
        "delivery_received",
        _l("Delivery received: contract %(number)s", number=delivery.contract.number),
        "contracts.delivery",
        delivery_id=delivery.id,
        context={"delivery": delivery, "invoice": invoice},
        # The delivery note as it stands now, made when the email is sent.
        attach=[{"kind": "delivery_note", "id": delivery.id}],
    )
    db.session.flush()
    # The last receipt of a contract whose period is over ends it (the sweep does the same
    # for contracts nobody touches).
    end_if_over(delivery.contract)
    return delivery, invoice


def photo_of(actor: Actor, delivery_id: int, line_id: int, index: int) -> str:
    delivery, _who = _delivery_party(actor, delivery_id)
    line = next((ln for ln in delivery.lines if ln.id == line_id), None)
    if line is None or not (0 <= index < len(line.photo_keys)):
        raise NotFound("photo")
    return line.photo_keys[index]


# --- calendar and lists -------------------------------------------------------------------------


def deliveries_between(
    actor: Actor, organization_id: int, first: date, last: date
) -> list[Delivery]:
    """Deliveries (not cancelled) of the organisation's contracts dated in [first, last], plus
    every earlier one still open (overdue, or dispatched and not yet received)."""
    member_of(actor, organization_id)
    return list(
        db.session.scalars(
            select(Delivery)
            .join(Contract, Contract.id == Delivery.contract_id)
            .where(
                or_(Contract.buyer_id == organization_id, Contract.coop_id == organization_id),
                Delivery.status != DeliveryStatus.CANCELLED,
                or_(
                    Delivery.scheduled_on.between(first, last),
                    Delivery.status.in_((DeliveryStatus.PLANNED, DeliveryStatus.DISPATCHED))
                    & (Delivery.scheduled_on < min(first, today())),
                ),
            )
            .options(
                selectinload(Delivery.contract).selectinload(Contract.buyer),
                selectinload(Delivery.contract).selectinload(Contract.coop),
                selectinload(Delivery.lines).selectinload(DeliveryLine.contract_line),
            )
            .order_by(Delivery.scheduled_on, Delivery.id)
        )
    )


def deliveries_of(
    actor: Actor,
    organization_id: int,
    *,
    contract_id: int | None = None,
    status: DeliveryStatus | None = None,
    first: date | None = None,
    last: date | None = None,
) -> list[Delivery]:
    """The deliveries of the organisation's contracts (any member), by date, optionally of
    one contract, in one status, or dated within [first, last]."""
    member_of(actor, organization_id)
    stmt = (
        select(Delivery)
        .join(Contract, Contract.id == Delivery.contract_id)
        .where(or_(Contract.buyer_id == organization_id, Contract.coop_id == organization_id))
    )
    if contract_id is not None:
        stmt = stmt.where(Delivery.contract_id == contract_id)
    if status is not None:
        stmt = stmt.where(Delivery.status == status)
    if first is not None:
        stmt = stmt.where(Delivery.scheduled_on >= first)
    if last is not None:
        stmt = stmt.where(Delivery.scheduled_on <= last)
    return list(
        db.session.scalars(
            stmt.options(
                selectinload(Delivery.contract),
                selectinload(Delivery.lines).selectinload(DeliveryLine.contract_line),
                selectinload(Delivery.lines).selectinload(DeliveryLine.lot),
            ).order_by(Delivery.scheduled_on, Delivery.id)
        )
    )


def month_grid(year: int, month: int) -> list[list[date | None]]:
    """Weeks of a month, Monday first, None outside the month."""
    return [
        [day if day.month == month else None for day in week]
        for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    ]


def flag_overdue() -> int:
    """Tell both parties, once, about each planned delivery whose date has passed (run daily
    by ``flask contracts sweep``)."""
    count = 0
    for delivery in db.session.scalars(
        select(Delivery)
        .join(Contract, Contract.id == Delivery.contract_id)
        .where(
            Delivery.status == DeliveryStatus.PLANNED,
            Delivery.scheduled_on < today(),
            Delivery.overdue_notified_at.is_(None),
            Contract.status.in_(RUNNING),
        )
        .limit(1000)
    ).all():
        for org_id in (delivery.contract.buyer_id, delivery.contract.coop_id):
            tell(
                org_id,
                "delivery_overdue",
                _l("Overdue delivery: contract %(number)s", number=delivery.contract.number),
                "contracts.delivery",
                delivery_id=delivery.id,
                context={"delivery": delivery},
            )
        delivery.overdue_notified_at = utcnow()
        db.session.flush()
        count += 1
    return count


def week_bounds(on: date | None = None) -> tuple[date, date]:
    day = on or today()
    start = day - timedelta(days=day.weekday())
    return start, start + timedelta(days=6)
