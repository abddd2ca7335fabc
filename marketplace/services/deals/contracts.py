"""Contracts: drafted from an award (or placed as a spot order), signed by an owner or manager
of each side, then active with a delivery plan; amended by proposal and acceptance; ended by
notice or by the end of the period.

    draft ──sign (second signature)──▶ active ──notice──▶ terminating ──end──▶ ended
      └──cancel──▶ cancelled              └──end (period over)──▶ ended

Every change locks the contract row and checks the version the user saw (``Contract.version``,
raised on each change), so two people acting at once get one success and one clear message.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from marketplace.extensions import db
from marketplace.i18n import format_money, format_number
from marketplace.models import (
    Amendment,
    AmendmentStatus,
    Contract,
    ContractKind,
    ContractLine,
    ContractStatus,
    Delivery,
    DeliveryLine,
    DeliveryPattern,
    DeliveryStatus,
    Listing,
    ListingStatus,
    Organization,
    OrgKind,
    Quote,
    Rfq,
    RfqLine,
    Role,
    Side,
    Signature,
    VerificationStatus,
)
from marketplace.models._types import utcnow
from marketplace.parsing import parse_quantity, parse_vnd, text_of
from marketplace.services import audit
from marketplace.services.context import Actor
from marketplace.services.deals.rules import (
    MAX_DELIVERIES,
    DealTotals,
    Party,
    deal_totals,
    location_text,
    other_side,
    own_location,
    party,
    payment_days_of,
    plan_dates,
)
from marketplace.services.errors import DealChanged, NotFound, PermissionDenied, ValidationFailed
from marketplace.services.locking import lock
from marketplace.services.notifications import tell, tell_other
from marketplace.services.permissions import member_of
from marketplace.services.states import step
from marketplace.validation import InvalidValue
from marketplace.vietnam import province_name, today

C = ContractStatus
CONTRACT_TRANSITIONS: dict[tuple[ContractStatus, str], ContractStatus] = {
    (C.DRAFT, "sign"): C.DRAFT,
    (C.DRAFT, "activate"): C.ACTIVE,
    (C.DRAFT, "cancel"): C.CANCELLED,
    (C.ACTIVE, "amend"): C.ACTIVE,
    (C.ACTIVE, "notice"): C.TERMINATING,
    (C.ACTIVE, "end"): C.ENDED,
    (C.TERMINATING, "end"): C.ENDED,
}
AM = AmendmentStatus
AMENDMENT_TRANSITIONS: dict[tuple[AmendmentStatus, str], AmendmentStatus] = {
    (AM.PROPOSED, "accept"): AM.ACCEPTED,
    (AM.PROPOSED, "reject"): AM.REJECTED,
    (AM.PROPOSED, "withdraw"): AM.WITHDRAWN,
}
#: The plan's own transition (the rest of a delivery's life is in services/deliveries.py).
DELIVERY_PLAN_TRANSITIONS = {(DeliveryStatus.PLANNED, "cancel"): DeliveryStatus.CANCELLED}
#: Contract states in which deliveries go on.
RUNNING = (ContractStatus.ACTIVE, ContractStatus.TERMINATING)


def parties_snapshot(buyer: Organization, coop: Organization) -> dict:
    """The two parties as a document records them at signing (names, tax codes, address,
    representative); also the paying and the paid side of a fair's fee invoice."""

    def details(org: Organization) -> dict:
        address = ", ".join(
            part for part in (org.street, org.commune, province_name(org.province_code)) if part
        )
        return {
            "name": org.name,
            "legal_name": org.legal_name or org.name,
            "tax_code": org.tax_code or "",
            "registration_number": org.registration_number or "",
            "address": address,
            "representative": org.representative_name or "",
            "position": org.representative_position or "",
            "phone": org.representative_phone or "",
        }

    return {"buyer": details(buyer), "coop": details(coop)}


def _new_contract(**values) -> Contract:
    # The readable number needs the id; a unique placeholder holds its place until the flush.
    contract = Contract(number=f"new-{secrets.token_hex(8)}", **values)
    db.session.add(contract)
    db.session.flush()
    contract.number = f"HĐ-{today().year}-{contract.id:05d}"
    return contract


def draft_from_award(actor: Actor, rfq: Rfq, quote: Quote, lines: list[RfqLine]) -> Contract:
    """The contract draft for the lines awarded to one quote, with the terms of its latest
    version frozen (called inside ``rfqs.award``'s transaction)."""
    version = quote.latest
    assert version is not None
    contract_lines = []
    for position, rfq_line in enumerate(lines):
        offered = version.line_for(rfq_line.id)
        assert offered is not None
        description = rfq_line.specification
        if offered.listing is not None and offered.listing.title_vi not in description:
            description = f"{offered.listing.title_vi} — {description}"[:500]
        contract_lines.append(
            ContractLine(
                position=position,
                listing_id=offered.listing_id,
                description=description,
                unit=rfq_line.unit,
                quantity=offered.quantity,
                unit_price=offered.unit_price,
                vat_rate=offered.vat_rate,
            )
        )
    contract = _new_contract(
        kind=ContractKind.SUPPLY,
        rfq_id=rfq.id,
        quote_id=quote.id,
        quote_version_id=version.id,
        buyer_id=rfq.buyer_id,
        coop_id=quote.coop_id,
        parties=parties_snapshot(rfq.buyer, quote.coop),
        delivery_address=location_text(rfq.delivery_location),
        pattern=rfq.pattern,
        weekdays=rfq.weekdays,
        day_of_month=rfq.day_of_month,
        starts_on=rfq.starts_on,
        ends_on=rfq.ends_on,
        payment_days=rfq.payment_days,
        status=ContractStatus.DRAFT,
        lines=contract_lines,
    )
    audit.record(
        actor,
        "contract.draft",
        "contract",
        contract.id,
        organization_id=rfq.buyer_id,
        details={"rfq": rfq.id, "quote": quote.id, "version": version.number},
    )
    return contract


# --- reading -----------------------------------------------------------------------------------


@dataclass
class ContractView:
    contract: Contract
    #: The reader's side; None for the document sent to both parties (its PDF reads
    #: nothing that depends on the side).
    party: Party | None
    deliveries: list[Delivery]
    invoices: list

    @property
    def side(self) -> Side:
        assert self.party is not None, "a view for both parties has no side"
        return self.party.side

    @cached_property
    def status_today(self) -> ContractStatus:
        """The status as the page shows it: a running contract past its last day with
        nothing left to deliver reads as ended (a GET never writes; ``flask contracts
        sweep`` records it)."""
        return ContractStatus.ENDED if is_over(self.contract) else self.contract.status

    @cached_property
    def totals(self) -> DealTotals:
        return contract_totals(self.contract)

    @property
    def my_signature(self) -> Signature | None:
        return self.contract.signature_of(self.side)

    @property
    def open_amendment(self) -> Amendment | None:
        return next(
            (a for a in self.contract.amendments if a.status is AmendmentStatus.PROPOSED), None
        )


def _contract_party(
    actor: Actor, contract_id: int, min_role: Role = Role.STAFF
) -> tuple[Contract, Party]:
    contract = db.session.get(Contract, contract_id)
    if contract is None:
        raise NotFound("contract")
    return contract, party(actor, contract.buyer_id, contract.coop_id, min_role)


def contract_view(actor: Actor, contract_id: int) -> ContractView:
    """A contract with its deliveries and invoices, for either party (NotFound otherwise)."""
    contract, who = _contract_party(actor, contract_id)
    return _view(contract, who)


def contract_view_for_parties(contract_id: int) -> ContractView:
    """A contract read without an actor, only for what is sent to its parties' members (the
    contract's PDF on the "contract active" email). NotFound if there is no such contract."""
    contract = db.session.get(Contract, contract_id)
    if contract is None:
        raise NotFound("contract")
    return _view(contract, None)


def _view(contract: Contract, who: Party | None) -> ContractView:
    from marketplace.models import Invoice

    deliveries = list(
        db.session.scalars(
            select(Delivery)
            .where(Delivery.contract_id == contract.id)
            .options(selectinload(Delivery.lines).selectinload(DeliveryLine.lot))
            .order_by(Delivery.scheduled_on, Delivery.sequence)
        )
    )
    invoices = list(
        db.session.scalars(
            select(Invoice).where(Invoice.contract_id == contract.id).order_by(Invoice.sequence)
        )
    )
    return ContractView(contract, who, deliveries, invoices)


def contracts_of(actor: Actor, organization_id: int) -> list[Contract]:
    member_of(actor, organization_id)
    return list(
        db.session.scalars(
            select(Contract)
            .where(or_(Contract.buyer_id == organization_id, Contract.coop_id == organization_id))
            .options(
                selectinload(Contract.buyer),
                selectinload(Contract.coop),
                selectinload(Contract.signatures),
            )
            .order_by(Contract.created_at.desc())
        )
    )


# --- signing -----------------------------------------------------------------------------------


def _check_version(contract: Contract, seen_version: int | None) -> None:
    if seen_version != contract.version:
        raise DealChanged(
            _l("The contract changed while you were reading it. Read it again, then try again.")
        )


def sign(actor: Actor, contract_id: int, seen_version: int | None, *, confirmed: bool) -> Contract:
    """An owner or manager signs for their side (name, role, time and IP are kept). The
    second signature activates the contract and plans its deliveries. ``confirmed`` is the
    signer's tick that they read the contract and sign for their organisation.

    Raises ValidationFailed without that tick, for a second signature of the same side, a
    changed contract, or a period with no delivery date left; PermissionDenied for staff."""
    contract, who = _contract_party(actor, contract_id, Role.MANAGER)
    contract = lock(Contract, contract.id)
    # Asked only of a draft still waiting for this side: anything else is refused as such.
    if (
        not confirmed
        and contract.status is ContractStatus.DRAFT
        and contract.signature_of(who.side) is None
    ):
        raise ValidationFailed(
            {"confirm": _l("Tick the box to confirm that you have read the contract.")}
        )
    _sign_locked(actor, contract, who, seen_version)
    db.session.flush()
    return contract


def _sign_locked(actor: Actor, contract: Contract, who: Party, seen_version: int | None) -> None:
    """``sign`` on a contract already locked by the caller."""
    if contract.status is not ContractStatus.DRAFT:
        raise ValidationFailed(
            {"version": _l("This contract is no longer waiting for signatures.")}
        )
    if contract.signature_of(who.side) is not None:
        raise ValidationFailed(
            {"version": _l("Your organisation has already signed this contract.")}
        )
    # The other side's signature raises the version but changes no term: a page read just
    # before it may still be signed.
    other = contract.signature_of(other_side(who.side))
    if not (
        other is not None
        and seen_version == other.contract_version
        and contract.version == other.contract_version + 1
    ):
        _check_version(contract, seen_version)
    step(CONTRACT_TRANSITIONS, contract.status, "sign")
    first_day = max(contract.starts_on, today())
    if not [d for d in _planned_dates(contract) if d >= first_day]:
        raise ValidationFailed(
            {
                "version": _l(
                    "The delivery period has passed. Cancel this draft and agree new dates."
                )
            }
        )
    user = actor.user
    assert user is not None
    contract.signatures.append(
        Signature(
            side=who.side,
            user_id=user.id,
            name=user.name,
            role=who.membership.role.value,
            ip=(actor.ip or "")[:64] or None,
            contract_version=contract.version,
            signed_at=utcnow(),
        )
    )
    db.session.flush()
    audit.record(
        actor,
        "contract.sign",
        "contract",
        contract.id,
        organization_id=who.organization_id,
        details={"side": who.side.value},
    )
    if contract.signature_of(other_side(who.side)) is not None:
        contract.status = step(CONTRACT_TRANSITIONS, contract.status, "activate")
        contract.activated_at = utcnow()
        _plan_deliveries(contract, first_day)
        audit.record(
            actor, "contract.activate", "contract", contract.id, organization_id=who.organization_id
        )
        for org_id in (contract.buyer_id, contract.coop_id):
            tell(
                org_id,
                "contract_active",
                _l("Contract %(number)s is active", number=contract.number),
                "contracts.contract",
                contract_id=contract.id,
                context={"contract": contract},
                # The signed contract's PDF, made when the email is sent.
                attach=[{"kind": "contract", "id": contract.id}],
            )
    else:
        tell_other(
            who,
            contract.buyer_id,
            contract.coop_id,
            "contract_to_sign",
            _l("Contract %(number)s is waiting for your signature", number=contract.number),
            "contracts.contract",
            contract_id=contract.id,
            context={"contract": contract},
        )
    contract.version += 1


def cancel_draft(actor: Actor, contract_id: int, seen_version: int | None, reason: str) -> Contract:
    """Either side's owner or manager abandons a draft (a co-op declining a spot order too)."""
    contract, who = _contract_party(actor, contract_id, Role.MANAGER)
    contract = lock(Contract, contract.id)
    if contract.status is not ContractStatus.DRAFT:
        raise ValidationFailed(
            {"version": _l("Only a contract waiting for signatures can be cancelled.")}
        )
    _check_version(contract, seen_version)
    text = (reason or "").strip()[:2000]
    if not text:
        raise ValidationFailed({"reason": _l("Give a reason.")})
    contract.status = step(CONTRACT_TRANSITIONS, contract.status, "cancel")
    contract.termination_reason = text
    contract.terminated_by = who.side
    contract.version += 1
    audit.record(
        actor,
        "contract.cancel",
        "contract",
        contract.id,
        organization_id=who.organization_id,
        details={"reason": text},
    )
    tell_other(
        who,
        contract.buyer_id,
        contract.coop_id,
        "contract_cancelled",
        _l("Contract %(number)s was cancelled", number=contract.number),
        "contracts.contract",
        contract_id=contract.id,
        context={"contract": contract, "reason": text},
    )
    db.session.flush()
    return contract


def _planned_dates(contract: Contract) -> list[date]:
    return plan_dates(
        contract.pattern,
        contract.starts_on,
        contract.ends_on,
        contract.weekday_list,
        contract.day_of_month,
    )


def contract_totals(contract: Contract) -> DealTotals:
    """The contract's lines per delivery and over every delivery its schedule plans."""
    return deal_totals(contract.lines, len(_planned_dates(contract)))


def _plan_deliveries(contract: Contract, first_day: date) -> None:
    """The delivery plan: one delivery per date from ``first_day``, every line at its
    quantity and price."""
    sequence = 0
    for day in _planned_dates(contract):
        if day < first_day:
            continue
        sequence += 1
        db.session.add(
            Delivery(
                contract_id=contract.id,
                sequence=sequence,
                scheduled_on=day,
                status=DeliveryStatus.PLANNED,
                lines=[
                    DeliveryLine(
                        contract_line_id=line.id, quantity=line.quantity, unit_price=line.unit_price
                    )
                    for line in contract.lines
                ],
            )
        )


def _open_deliveries(contract_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(
                Delivery.contract_id == contract_id,
                Delivery.status.in_((DeliveryStatus.PLANNED, DeliveryStatus.DISPATCHED)),
            )
        )
        or 0
    )


def is_over(contract: Contract) -> bool:
    """A running contract whose last day has passed with nothing left to deliver or receive
    (an overdue delivery keeps it running, and flagged, until it is settled)."""
    return (
        contract.status in RUNNING
        and contract.ends_on < today()
        and not _open_deliveries(contract.id)
    )


def end_if_over(contract: Contract) -> bool:
    """Record that an over contract has ended (``is_over``), under its lock: after its last
    receipt, and by ``flask contracts sweep``; pages only read it as ended."""
    if contract.status in RUNNING and contract.ends_on < today():
        contract = lock(Contract, contract.id)
        if is_over(contract):
            contract.status = step(CONTRACT_TRANSITIONS, contract.status, "end")
            contract.version += 1
            audit.record(
                Actor.system(),
                "contract.end",
                "contract",
                contract.id,
                organization_id=contract.coop_id,
            )
            db.session.flush()
            return True
        db.session.flush()
    return False


# --- amendments and notice ----------------------------------------------------------------------


@dataclass
class AmendmentData:
    reason: str
    effective_from: date | None
    #: contract line id → (unit price, quantity per delivery) as typed; blank keeps the term.
    lines: dict[int, tuple[str, str]] = field(default_factory=dict)
    #: Extra deliveries: (date, {contract line id: quantity as typed}).
    extra: list[tuple[date | None, dict[int, str]]] = field(default_factory=list)


def propose_amendment(
    actor: Actor, contract_id: int, seen_version: int | None, data: AmendmentData
) -> Amendment:
    """Either side's owner or manager proposes new prices or quantities from a date, or
    extra deliveries. One proposal at a time; the other side accepts or rejects it."""
    contract, who = _contract_party(actor, contract_id, Role.MANAGER)
    errors: dict[str, object] = {}
    reason = (data.reason or "").strip()[:2000]
    if not reason:
        errors["reason"] = _l("Say why the terms change.")
    if data.effective_from is None:
        errors["effective_from"] = _l("Enter the date the change starts.")
    elif data.effective_from < today():
        errors["effective_from"] = _l("A change cannot start in the past.")
    elif data.effective_from > contract.ends_on:
        errors["effective_from"] = _l("This date is after the end of the contract.")
    by_id = {line.id: line for line in contract.lines}
    changes: dict = {"lines": {}, "extra": []}
    for line_id, (raw_price, raw_quantity) in data.lines.items():
        if line_id not in by_id:
            continue
        change = {}
        line = by_id[line_id]
        try:
            if str(raw_price or "").strip():
                price = parse_vnd(raw_price)
                if price != line.unit_price:
                    change["unit_price"] = price
        except InvalidValue as exc:
            errors[f"price-{line_id}"] = exc.message
        try:
            if str(raw_quantity or "").strip():
                quantity = parse_quantity(raw_quantity)
                if quantity != line.quantity:
                    change["quantity"] = quantity
        except InvalidValue:
            errors[f"quantity-{line_id}"] = _l("Enter a quantity per delivery of at least 1.")
        if change:
            changes["lines"][str(line_id)] = change
    for index, (day, quantities) in enumerate(data.extra):
        typed = {k: v for k, v in quantities.items() if str(v or "").strip() and k in by_id}
        if day is None and not typed:
            continue
        if day is None or day < today() or day > contract.ends_on:
            errors[f"extra-{index}-on"] = _l("Choose a date from today to the end of the contract.")
            continue
        amounts = {}
        for line_id, raw in typed.items():
            try:
                amounts[str(line_id)] = parse_quantity(raw)
            except InvalidValue:
                errors[f"extra-{index}-{line_id}"] = _l("Enter a whole number of at least 1.")
        if not amounts:
            errors[f"extra-{index}-on"] = _l("Give a quantity for at least one line.")
        changes["extra"].append({"on": day.isoformat(), "quantities": amounts})
    if not errors and not changes["lines"] and not changes["extra"]:
        errors["reason"] = _l("Change at least one price or quantity, or add a delivery.")
    if errors:
        raise ValidationFailed(errors)
    contract = lock(Contract, contract.id)
    step(CONTRACT_TRANSITIONS, contract.status, "amend")
    _check_version(contract, seen_version)
    if any(a.status is AmendmentStatus.PROPOSED for a in contract.amendments):
        raise ValidationFailed(
            {"version": _l("Another change is waiting for an answer. Settle it first.")}
        )
    _check_extras(contract, changes["extra"])
    amendment = Amendment(
        contract_id=contract.id,
        number=len(contract.amendments) + 1,
        proposed_by=who.side,
        proposer_id=actor.user_id,
        reason=reason,
        effective_from=data.effective_from,
        changes=changes,
    )
    db.session.add(amendment)
    contract.version += 1
    db.session.flush()
    audit.record(
        actor,
        "contract.amend.propose",
        "contract",
        contract.id,
        organization_id=who.organization_id,
        details={"amendment": amendment.number, "changes": changes},
    )
    tell_other(
        who,
        contract.buyer_id,
        contract.coop_id,
        "amendment_proposed",
        _l("Change proposed to contract %(number)s", number=contract.number),
        "contracts.contract",
        contract_id=contract.id,
        context={"contract": contract, "amendment": amendment},
    )
    db.session.flush()
    return amendment


def decide_amendment(
    actor: Actor, contract_id: int, amendment_id: int, action: str, seen_version: int | None
) -> Amendment:
    """The other side accepts or rejects a proposal; the proposing side may withdraw it.
    Accepting changes the lines and every planned delivery from the date, and adds the
    extra deliveries."""
    contract, who = _contract_party(actor, contract_id, Role.MANAGER)
    if action not in ("accept", "reject", "withdraw"):
        raise NotFound("action")
    contract = lock(Contract, contract.id)
    amendment = db.session.get(Amendment, amendment_id)
    if amendment is None or amendment.contract_id != contract.id:
        raise NotFound("amendment")
    if amendment.status is not AmendmentStatus.PROPOSED:
        raise ValidationFailed({"version": _l("This change has already been answered.")})
    if (action == "withdraw") != (amendment.proposed_by is who.side):
        raise PermissionDenied("the proposer withdraws; the other side accepts or rejects")
    _check_version(contract, seen_version)
    amendment.status = step(AMENDMENT_TRANSITIONS, amendment.status, action)
    amendment.decided_by_id = actor.user_id
    amendment.decided_at = utcnow()
    if action == "accept":
        step(CONTRACT_TRANSITIONS, contract.status, "amend")
        # Checked again: days pass between a proposal and its answer.
        _check_extras(contract, amendment.changes.get("extra", []))
        _apply_amendment(contract, amendment)
    contract.version += 1
    audit.record(
        actor,
        f"contract.amend.{action}",
        "contract",
        contract.id,
        organization_id=who.organization_id,
        details={"amendment": amendment.number},
    )
    tell_other(
        who,
        contract.buyer_id,
        contract.coop_id,
        "amendment_decided",
        _l(
            "Contract %(number)s: change %(n)d answered", number=contract.number, n=amendment.number
        ),
        "contracts.contract",
        contract_id=contract.id,
        context={"contract": contract, "amendment": amendment, "action": action},
    )
    db.session.flush()
    return amendment


def _check_extras(contract: Contract, extras: list[dict]) -> None:
    """Extra deliveries must still lie ahead, within the contract, and within the plan's size."""
    if any(date.fromisoformat(e["on"]) < today() for e in extras):
        raise ValidationFailed(
            {
                "version": _l(
                    "An extra delivery of this change is now in the past. Propose it again."
                )
            }
        )
    count = (
        db.session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.contract_id == contract.id)
        )
        or 0
    )
    if count + len(extras) > MAX_DELIVERIES:
        raise ValidationFailed(
            {"version": _l("A contract can plan at most %(n)d deliveries.", n=MAX_DELIVERIES)}
        )


def _apply_amendment(contract: Contract, amendment: Amendment) -> None:
    by_id = {line.id: line for line in contract.lines}
    #: Prices in force before the change: extra deliveries dated earlier keep them.
    old_prices = {line.id: line.unit_price for line in contract.lines}
    line_changes = {int(k): v for k, v in amendment.changes.get("lines", {}).items()}
    for line_id, change in line_changes.items():
        line = by_id[line_id]
        line.unit_price = change.get("unit_price", line.unit_price)
        line.quantity = change.get("quantity", line.quantity)
    for delivery in _planned_from(contract.id, amendment.effective_from):
        for delivery_line in delivery.lines:
            change = line_changes.get(delivery_line.contract_line_id)
            if change:
                delivery_line.unit_price = change.get("unit_price", delivery_line.unit_price)
                delivery_line.quantity = change.get("quantity", delivery_line.quantity)
                # A dispatch page opened before the change is then refused as stale.
                delivery.version += 1
    sequence = (
        db.session.scalar(
            select(func.max(Delivery.sequence)).where(Delivery.contract_id == contract.id)
        )
        or 0
    )
    for extra in amendment.changes.get("extra", []):
        sequence += 1
        day = date.fromisoformat(extra["on"])
        in_force = (
            (lambda line_id: by_id[line_id].unit_price)
            if day >= amendment.effective_from
            else (lambda line_id: old_prices[line_id])
        )
        db.session.add(
            Delivery(
                contract_id=contract.id,
                sequence=sequence,
                scheduled_on=day,
                lines=[
                    DeliveryLine(
                        contract_line_id=int(line_id),
                        quantity=quantity,
                        unit_price=in_force(int(line_id)),
                    )
                    for line_id, quantity in extra["quantities"].items()
                ],
            )
        )


def _planned_from(contract_id: int, first_day: date) -> list[Delivery]:
    """Planned deliveries from a date, locked: a dispatch committing meanwhile is seen (the
    row no longer matches) rather than overwritten."""
    return list(
        db.session.scalars(
            select(Delivery)
            .where(
                Delivery.contract_id == contract_id,
                Delivery.status == DeliveryStatus.PLANNED,
                Delivery.scheduled_on >= first_day,
            )
            .with_for_update()
            .execution_options(populate_existing=True)
            .options(selectinload(Delivery.lines))
        )
    )


def give_notice(
    actor: Actor, contract_id: int, seen_version: int | None, reason: str, ends_on: date | None
) -> Contract:
    """Either side's owner or manager ends an active contract on a date, with a reason;
    planned deliveries after that date are cancelled."""
    contract, who = _contract_party(actor, contract_id, Role.MANAGER)
    errors: dict[str, object] = {}
    text = (reason or "").strip()[:2000]
    if not text:
        errors["reason"] = _l("Give a reason.")
    if ends_on is None:
        errors["ends_on"] = _l("Enter the last day of the contract.")
    elif ends_on < today():
        errors["ends_on"] = _l("The last day cannot be in the past.")
    elif ends_on > contract.ends_on:
        errors["ends_on"] = _l(
            "The contract already ends on %(day)s.", day=contract.ends_on.strftime("%d/%m/%Y")
        )
    if errors:
        raise ValidationFailed(errors)
    contract = lock(Contract, contract.id)
    new_status = step(CONTRACT_TRANSITIONS, contract.status, "notice")
    _check_version(contract, seen_version)
    contract.status = new_status
    contract.agreed_ends_on = contract.agreed_ends_on or contract.ends_on
    contract.ends_on = ends_on  # type: ignore[assignment]
    contract.termination_reason = text
    contract.terminated_by = who.side
    contract.version += 1
    cancelled = []
    for delivery in _planned_from(contract.id, ends_on + timedelta(days=1)):  # type: ignore[operator]
        cancelled.append(delivery.sequence)
        delivery.status = step(DELIVERY_PLAN_TRANSITIONS, delivery.status, "cancel")
        delivery.version += 1
    # A proposal still open cannot apply to a contract under notice.
    for amendment in contract.amendments:
        if amendment.status is AmendmentStatus.PROPOSED:
            amendment.status = step(AMENDMENT_TRANSITIONS, amendment.status, "withdraw")
            amendment.decided_at = utcnow()
    audit.record(
        actor,
        "contract.notice",
        "contract",
        contract.id,
        organization_id=who.organization_id,
        details={
            "reason": text,
            "ends_on": ends_on.isoformat(),  # type: ignore[union-attr]
            "agreed_ends_on": contract.agreed_ends_on.isoformat(),
            "cancelled_deliveries": cancelled,
        },
    )
    tell_other(
        who,
        contract.buyer_id,
        contract.coop_id,
        "contract_notice",
        _l("Notice to end contract %(number)s", number=contract.number),
        "contracts.contract",
        contract_id=contract.id,
        context={"contract": contract, "reason": text},
    )
    db.session.flush()
    return contract


# --- spot orders --------------------------------------------------------------------------------


def orderable_listing(listing_id: int | None) -> Listing:
    """A listing buyers may ask a quote for or order from: published, of a verified co-op."""
    listing = db.session.get(Listing, listing_id) if listing_id else None
    if (
        listing is None
        or listing.status is not ListingStatus.PUBLISHED
        or not listing.organization.is_verified
    ):
        raise NotFound("listing")
    return listing


@dataclass
class SpotOrderData:
    quantity: str
    delivery_on: date | None
    delivery_location_id: int | None
    payment_days: str = "7"
    note: str = ""
    #: The unit price the buyer's page showed for this quantity (đồng); the order is refused
    #: unless it is still the price, so nobody is bound to a price they never saw.
    seen_unit_price: int | None = None


def place_spot_order(actor: Actor, buyer_id: int, listing_id: int, data: SpotOrderData) -> Contract:
    """A buyer's manager orders a quantity once from a listing, at its tier price: a contract
    with one delivery, signed by the buyer on placing it, waiting for the co-op to accept
    (sign) or decline (cancel).

    The tier price for the quantity must be the one the buyer saw (``seen_unit_price``):
    if the co-op changed its prices meanwhile, or the quantity reaches another tier, the
    order is refused with the price and total that apply now."""
    membership = member_of(actor, buyer_id, Role.MANAGER, kind=OrgKind.BUYER)
    buyer = membership.organization
    listing = orderable_listing(listing_id)
    errors: dict[str, object] = {}
    if buyer.verification_status is not VerificationStatus.APPROVED:
        errors["quantity"] = _l("Your organisation must be verified before it can order.")
    quantity = 0
    try:
        quantity = parse_quantity(data.quantity)
        if quantity < listing.min_order_quantity:
            errors["quantity"] = _l("The minimum order is %(n)d.", n=listing.min_order_quantity)
    except InvalidValue:
        errors["quantity"] = _l("Enter a quantity of at least 1.")
    unit_price = listing.unit_price_for(quantity)
    if "quantity" not in errors and data.seen_unit_price != unit_price:
        errors["quantity"] = _l(
            "For %(n)s the price is %(price)s per unit, %(total)s in all before VAT: not the "
            "price you were shown. Check it and place the order again.",
            n=format_number(quantity),
            price=format_money(unit_price),
            total=format_money(unit_price * quantity),
        )
    earliest = today() + timedelta(days=listing.lead_time_days)
    if data.delivery_on is None:
        errors["delivery_on"] = _l("Enter a delivery date.")
    elif data.delivery_on < earliest:
        errors["delivery_on"] = _l(
            "The co-op needs %(n)d days: choose %(day)s or later.",
            n=listing.lead_time_days,
            day=earliest.strftime("%d/%m/%Y"),
        )
    elif data.delivery_on > today() + timedelta(days=366):
        errors["delivery_on"] = _l("Choose a date within a year.")
    location = own_location(errors, buyer.id, data.delivery_location_id)
    payment_days = payment_days_of(errors, data.payment_days)
    if errors:
        raise ValidationFailed(errors)
    note = text_of(data.note, 300)
    contract = _new_contract(
        kind=ContractKind.SPOT,
        buyer_id=buyer.id,
        coop_id=listing.organization_id,
        parties=parties_snapshot(buyer, listing.organization),
        delivery_address=location_text(location),
        pattern=DeliveryPattern.ONE_OFF,
        starts_on=data.delivery_on,
        ends_on=data.delivery_on,
        payment_days=payment_days,
        status=ContractStatus.DRAFT,
        lines=[
            ContractLine(
                position=0,
                listing_id=listing.id,
                description=(listing.title_vi + (f" — {note}" if note else ""))[:500],
                unit=listing.unit,
                quantity=quantity,
                unit_price=unit_price,
                vat_rate=listing.category.vat_rate,
            )
        ],
    )
    audit.record(
        actor,
        "contract.spot_order",
        "contract",
        contract.id,
        organization_id=buyer.id,
        details={"listing": listing.id, "quantity": quantity},
    )
    # Placing the order is the buyer's signature, in the same transaction: an order is never
    # left unsigned.
    _sign_locked(actor, contract, Party(Side.BUYER, membership), contract.version)
    db.session.flush()
    return contract


# --- dashboards ---------------------------------------------------------------------------


def waiting_signature(actor: Actor, organization_id: int) -> list[Contract]:
    """Drafts this organisation has not signed yet."""
    result = []
    for contract in contracts_of(actor, organization_id):
        if contract.status is ContractStatus.DRAFT:
            side = contract.side_of(organization_id)
            if side and contract.signature_of(side) is None:
                result.append(contract)
    return result


def sweep() -> tuple[int, int]:
    """End running contracts that are over, and cancel drafts whose delivery dates have all
    passed unsigned; returns (ended, cancelled)."""
    ended = cancelled = 0
    for contract_id in db.session.scalars(
        select(Contract.id).where(Contract.status.in_(RUNNING), Contract.ends_on < today())
    ).all():
        ended += end_if_over(db.session.get(Contract, contract_id))
    for contract_id in db.session.scalars(
        select(Contract.id).where(
            Contract.status == ContractStatus.DRAFT, Contract.ends_on < today()
        )
    ).all():
        contract = lock(Contract, contract_id)
        if contract.status is not ContractStatus.DRAFT or contract.ends_on >= today():
            continue  # signed or changed meanwhile
        contract.status = step(CONTRACT_TRANSITIONS, contract.status, "cancel")
        contract.version += 1
        audit.record(
            Actor.system(),
            "contract.lapse",
            "contract",
            contract.id,
            organization_id=contract.buyer_id,
        )
        for org_id in (contract.buyer_id, contract.coop_id):
            tell(
                org_id,
                "contract_cancelled",
                _l("Contract %(number)s was cancelled", number=contract.number),
                "contracts.contract",
                contract_id=contract.id,
                context={
                    "contract": contract,
                    "reason": _l("Its delivery dates passed before both sides signed."),
                },
            )
        db.session.flush()
        cancelled += 1
    return ended, cancelled
