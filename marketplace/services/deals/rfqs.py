"""Requests for quotes and the negotiation on each: a buyer asks, co-ops quote, the two sides
exchange versions (the co-op's quote and revisions, the buyer's counter-offers) and messages,
and the buyer awards lines, which drafts the contracts.

    RFQ:   open ──award──▶ awarded          open ──cancel──▶ cancelled
    Quote: open ──award──▶ awarded;  open ──decline (others chosen, request closed)──▶ declined
           open ──withdraw──▶ withdrawn

Every change to a negotiation locks its quote row and checks the version the user saw, so two
people acting on the same version at once get one success and one clear "it changed" message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import selectinload

from marketplace.extensions import db
from marketplace.i18n import CERTIFICATE_NAMES, UNITS
from marketplace.models import (
    Category,
    CertificateKind,
    DealAttachment,
    Listing,
    ListingStatus,
    Organization,
    OrgKind,
    Quote,
    QuoteLine,
    QuoteMessage,
    QuoteStatus,
    QuoteVersion,
    Rfq,
    RfqLine,
    RfqStatus,
    Role,
    Side,
    VerificationStatus,
)
from marketplace.models._types import utcnow
from marketplace.models.contracts import rfq_invitations
from marketplace.parsing import check_vat, parse_quantity, parse_vnd, text_of
from marketplace.services import audit
from marketplace.services.accounts import profiles
from marketplace.services.accounts.verification import valid_certificates
from marketplace.services.context import Actor
from marketplace.services.deals.attachments import stored_attachments
from marketplace.services.deals.contracts import draft_from_award
from marketplace.services.deals.rules import (
    DealTotals,
    Party,
    check_schedule,
    deal_totals,
    own_location,
    party,
    payment_days_of,
    plan_dates,
)
from marketplace.services.errors import DealChanged, NotFound, PermissionDenied, ValidationFailed
from marketplace.services.locking import lock
from marketplace.services.notifications import tell, tell_other
from marketplace.services.permissions import member_of, membership_of, memberships
from marketplace.services.states import step
from marketplace.validation import InvalidValue
from marketplace.vietnam import VN_TZ, today

R, Q = RfqStatus, QuoteStatus
RFQ_TRANSITIONS: dict[tuple[RfqStatus, str], RfqStatus] = {
    (R.OPEN, "award"): R.AWARDED,
    (R.OPEN, "cancel"): R.CANCELLED,
}
QUOTE_TRANSITIONS: dict[tuple[QuoteStatus, str], QuoteStatus] = {
    (Q.OPEN, "revise"): Q.OPEN,
    (Q.OPEN, "counter"): Q.OPEN,
    (Q.OPEN, "award"): Q.AWARDED,
    (Q.OPEN, "decline"): Q.DECLINED,
    (Q.OPEN, "withdraw"): Q.WITHDRAWN,
}
MAX_LINES = 20


# --- the buyer asks --------------------------------------------------------------------------


@dataclass
class RfqLineData:
    category_id: int | None
    specification: str
    quantity: str
    unit: str
    target_price: str = ""
    listing_id: int | None = None


@dataclass
class RfqData:
    title: str
    lines: list[RfqLineData]
    pattern: str
    starts_on: date | None
    ends_on: date | None
    respond_by_date: date | None
    respond_by_time: time | None = None
    weekdays: list[str] = field(default_factory=list)
    day_of_month: str = ""
    delivery_location_id: int | None = None
    required_certificates: list[str] = field(default_factory=list)
    min_ocop_stars: int | None = None
    payment_days: str = "30"
    invited_only: bool = False
    invited_coop_ids: list[int] = field(default_factory=list)
    notes: str = ""
    #: A delivery location added with the request (instead of ``delivery_location_id``):
    #: saved to the buyer's profile only if the request is posted.
    new_location: profiles.LocationData | None = None


def _buyer(actor: Actor, organization_id: int, role: Role = Role.MANAGER) -> Organization:
    return member_of(actor, organization_id, role, OrgKind.BUYER).organization


def _check_lines(errors: dict, lines: list[RfqLineData]) -> list[dict]:
    values = []
    kept = [ln for ln in lines if ln.specification.strip() or str(ln.quantity).strip()]
    if not kept:
        errors["lines-0-specification"] = _l("Describe at least one product you need.")
    if len(kept) > MAX_LINES:
        errors["lines"] = _l("A request can have at most %(n)d lines.", n=MAX_LINES)
    for index, line in enumerate(lines):
        if line not in kept:
            continue
        prefix = f"lines-{index}-"
        row: dict = {"position": index}
        category = db.session.get(Category, line.category_id) if line.category_id else None
        if category is None:
            errors[prefix + "category_id"] = _l("Choose a category.")
        row["category_id"] = line.category_id
        row["specification"] = text_of(line.specification, 500)
        if not row["specification"]:
            errors[prefix + "specification"] = _l("Describe the product: variety, size, packing.")
        try:
            row["quantity"] = parse_quantity(
                line.quantity, unit=line.unit if line.unit in UNITS else None
            )
        except InvalidValue as exc:
            errors[prefix + "quantity"] = exc.message
        if line.unit not in UNITS:
            errors[prefix + "unit"] = _l("Choose a unit.")
        row["unit"] = line.unit
        row["target_price"] = None
        if str(line.target_price or "").strip():
            try:
                row["target_price"] = parse_vnd(line.target_price)
            except InvalidValue as exc:
                errors[prefix + "target_price"] = exc.message
        row["listing_id"] = None
        if line.listing_id:
            listing = db.session.get(Listing, line.listing_id)
            if listing is not None and listing.status is ListingStatus.PUBLISHED:
                row["listing_id"] = listing.id
        values.append(row)
    return values


def _respond_by(errors: dict, data: RfqData) -> datetime | None:
    if data.respond_by_date is None:
        errors["respond_by_date"] = _l("Enter the date quotes are due.")
        return None
    moment = datetime.combine(data.respond_by_date, data.respond_by_time or time(17, 0), VN_TZ)
    if moment <= datetime.now(VN_TZ):
        errors["respond_by_date"] = _l("The deadline for quotes must be in the future.")
        return None
    if data.starts_on and data.respond_by_date > data.starts_on:
        errors["respond_by_date"] = _l("Quotes must be due before the first delivery.")
    return moment


#: How a new delivery location's fields are named in a request's errors ("location_name").
NEW_LOCATION_PREFIX = "location_"


def create_rfq(actor: Actor, buyer_id: int, data: RfqData) -> Rfq:
    """A buyer's manager posts a request; matching (or invited) co-ops are notified. A new
    delivery location typed with it (``data.new_location``) is added to the buyer's profile
    with it, or not at all.

    Raises ValidationFailed with messages by field (lines as ``lines-<n>-<field>``, the new
    location's as ``location_<field>``).
    """
    buyer = _buyer(actor, buyer_id)
    if buyer.verification_status is not VerificationStatus.APPROVED:
        raise ValidationFailed(
            {"title": _l("Your organisation must be verified before it can ask for quotes.")}
        )
    errors: dict[str, object] = {}
    title = text_of(data.title, 200)
    if not title:
        errors["title"] = _l("Give the request a short title.")
    lines = _check_lines(errors, data.lines)
    schedule = check_schedule(
        errors,
        data.pattern,
        data.starts_on,
        data.ends_on,
        data.weekdays,
        data.day_of_month,
        earliest=today() + timedelta(days=1),
    )
    respond_by = _respond_by(errors, data)
    if data.new_location is not None:
        location = None
        profiles.check_location(errors, data.new_location, prefix=NEW_LOCATION_PREFIX)
    else:
        location = own_location(errors, buyer.id, data.delivery_location_id)
    kinds = [k for k in data.required_certificates if k]
    if any(k not in {c.value for c in CertificateKind} - {"ocop"} for k in kinds):
        errors["required_certificates"] = _l("Choose one of the options.")
    stars = data.min_ocop_stars
    if stars not in (None, 3, 4, 5):
        errors["min_ocop_stars"] = _l("Choose one of the options.")
    payment_days = payment_days_of(errors, data.payment_days)
    invited: list[Organization] = []
    if data.invited_only:
        invited = list(
            db.session.scalars(
                select(Organization).where(
                    Organization.id.in_(data.invited_coop_ids or [0]),
                    Organization.kind == OrgKind.COOP,
                    Organization.verification_status == VerificationStatus.APPROVED,
                )
            )
        )
        if not invited:
            errors["invited_coop_ids"] = _l("Choose the co-ops to ask, or open the request to all.")
    if errors:
        raise ValidationFailed(errors)
    assert schedule is not None and respond_by is not None
    if data.new_location is not None:
        location = profiles.add_delivery_location(
            actor,
            buyer.id,
            name=data.new_location.name,
            province=data.new_location.province,
            commune=data.new_location.commune,
            street=data.new_location.street,
        )
    rfq = Rfq(
        buyer_id=buyer.id,
        title=title,
        delivery_location_id=location.id,  # type: ignore[union-attr]
        pattern=schedule.pattern,
        weekdays=schedule.weekdays_text,
        day_of_month=schedule.day_of_month,
        starts_on=schedule.starts_on,
        ends_on=schedule.ends_on,
        required_certificates=",".join(kinds) or None,
        min_ocop_stars=stars,
        payment_days=payment_days,
        respond_by=respond_by,
        invited_only=bool(data.invited_only),
        notes=(data.notes or "").strip()[:4000] or None,
        created_by_id=actor.user_id,
        lines=[RfqLine(**row) for row in lines],
        invited=invited,
    )
    db.session.add(rfq)
    db.session.flush()
    audit.record(actor, "rfq.create", "rfq", rfq.id, organization_id=buyer.id)
    for coop_id in matching_coop_ids(rfq):
        tell(
            coop_id,
            "rfq_posted",
            _l("New request for quotes: %(title)s", title=title),
            "contracts.rfq",
            rfq_id=rfq.id,
            context={"rfq": rfq, "buyer": buyer},
        )
    db.session.flush()
    return rfq


def invitable_coops(chosen: list[int]) -> list[tuple[int, str]]:
    """Co-ops a buyer can send a request to, by name (verified ones), always including the
    ones already chosen (a listing's co-op) when they may still trade."""
    from marketplace.services.accounts.organizations import search_organizations
    from marketplace.services.accounts.verification import can_trade

    coops = {org.id: org.name for org in search_organizations("", OrgKind.COOP, limit=500)}
    missing = [i for i in chosen if i and i not in coops]
    for organization in db.session.scalars(
        select(Organization).where(Organization.id.in_(missing or [0]))
    ):
        if can_trade(organization):
            coops[organization.id] = organization.name
    return list(coops.items())


def _category_ids(rfq: Rfq) -> set[int]:
    """The lines' categories and their sub-categories."""
    chosen = {line.category_id for line in rfq.lines}
    children = db.session.scalars(select(Category.id).where(Category.parent_id.in_(chosen)))
    return chosen | set(children)


def matching_coop_ids(rfq: Rfq) -> list[int]:
    """Co-ops told about a request: the invited ones, or every verified co-op with a
    published product in one of its categories that holds the required certificates."""
    if rfq.invited_only:
        return [o.id for o in rfq.invited]
    candidates = db.session.scalars(
        select(Listing.organization_id)
        .join(Organization, Organization.id == Listing.organization_id)
        .where(
            Listing.category_id.in_(_category_ids(rfq)),
            Listing.status == ListingStatus.PUBLISHED,
            Organization.verification_status == VerificationStatus.APPROVED,
            Organization.id != rfq.buyer_id,
        )
        .distinct()
    )
    return [coop_id for coop_id in candidates if missing_certificates(rfq, coop_id) is None]


def missing_certificates(rfq: Rfq, coop_id: int) -> object | None:
    """Why this co-op may not quote for want of certificates, or None."""
    valid = valid_certificates(coop_id)
    kinds = {c.kind.value for c in valid}
    for kind in rfq.certificate_kinds:
        if kind not in kinds:
            return _l(
                "This request asks for a valid %(kind)s certificate.",
                kind=CERTIFICATE_NAMES.get(kind, kind),
            )
    if rfq.min_ocop_stars:
        best = max((c.ocop_stars or 0 for c in valid if c.kind is CertificateKind.OCOP), default=0)
        if best < rfq.min_ocop_stars:
            return _l("This request asks for OCOP %(n)d stars or more.", n=rfq.min_ocop_stars)
    return None


def _visible_to_coop(rfq: Rfq, coop: Organization) -> bool:
    if coop.kind is not OrgKind.COOP:
        return False
    if db.session.scalar(select(Quote.id).where(Quote.rfq_id == rfq.id, Quote.coop_id == coop.id)):
        return True
    if (
        rfq.status is not RfqStatus.OPEN
        or coop.verification_status is not VerificationStatus.APPROVED
    ):
        return False
    if rfq.invited_only:
        return any(o.id == coop.id for o in rfq.invited)
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Listing.organization_id == coop.id,
                    Listing.category_id.in_(_category_ids(rfq)),
                    Listing.status == ListingStatus.PUBLISHED,
                )
            )
        )
    )


@dataclass
class RfqView:
    rfq: Rfq
    side: Side
    organization: Organization
    can_decide: bool
    #: Buyer: every quote; co-op: its own (or none yet).
    quotes: list[Quote]

    @property
    def deadline_passed(self) -> bool:
        return utcnow() > self.rfq.respond_by


def rfq_view(actor: Actor, rfq_id: int) -> RfqView:
    """A request as its buyer sees it (all quotes), or as a co-op that may quote sees it.
    Anyone else: NotFound."""
    from marketplace.services.permissions import require_login

    user = require_login(actor)
    rfq = db.session.get(Rfq, rfq_id)
    if rfq is None:
        raise NotFound("rfq")
    membership = membership_of(user, rfq.buyer_id) if actor.may_act_for(rfq.buyer_id) else None
    if membership is not None:
        quotes = list(
            db.session.scalars(
                select(Quote)
                .where(Quote.rfq_id == rfq.id)
                .options(selectinload(Quote.versions).selectinload(QuoteVersion.lines))
                .options(selectinload(Quote.coop))
                .order_by(Quote.id)
            )
        )
        return RfqView(rfq, Side.BUYER, membership.organization, _manager(membership), quotes)
    for coop_membership in memberships(actor):
        coop = coop_membership.organization
        if _visible_to_coop(rfq, coop):
            quotes = list(
                db.session.scalars(
                    select(Quote).where(Quote.rfq_id == rfq.id, Quote.coop_id == coop.id)
                )
            )
            return RfqView(rfq, Side.COOP, coop, _manager(coop_membership), quotes)
    raise NotFound("rfq")


def _manager(membership) -> bool:
    return membership.role.at_least(Role.MANAGER)


def buyer_rfqs(actor: Actor, buyer_id: int) -> list[Rfq]:
    _buyer(actor, buyer_id, Role.STAFF)
    return list(
        db.session.scalars(
            select(Rfq)
            .where(Rfq.buyer_id == buyer_id)
            .options(selectinload(Rfq.lines))
            .order_by(Rfq.created_at.desc())
        )
    )


def requests_for_coop(actor: Actor, coop_id: int) -> list[Rfq]:
    """Open requests a co-op may quote on that it has not answered yet, newest first."""
    coop = member_of(actor, coop_id, kind=OrgKind.COOP).organization
    if coop.verification_status is not VerificationStatus.APPROVED:
        return []
    # The categories the co-op sells in, and their parents: a request for "Rau quả" matches
    # a co-op selling "Rau". The same rule as _visible_to_coop, in SQL, before the limit.
    selling = select(Listing.category_id).where(
        Listing.organization_id == coop_id, Listing.status == ListingStatus.PUBLISHED
    )
    matching = selling.union(select(Category.parent_id).where(Category.id.in_(selling)))
    invited = exists().where(
        rfq_invitations.c.rfq_id == Rfq.id, rfq_invitations.c.organization_id == coop_id
    )
    in_category = exists().where(RfqLine.rfq_id == Rfq.id, RfqLine.category_id.in_(matching))
    return list(
        db.session.scalars(
            select(Rfq)
            .where(
                Rfq.status == RfqStatus.OPEN,
                Rfq.respond_by > utcnow(),
                Rfq.buyer_id != coop_id,
                ~exists().where(Quote.rfq_id == Rfq.id, Quote.coop_id == coop_id),
                or_(and_(Rfq.invited_only, invited), and_(~Rfq.invited_only, in_category)),
            )
            .options(selectinload(Rfq.lines), selectinload(Rfq.buyer))
            .order_by(Rfq.respond_by)
            .limit(200)
        )
    )


def cancel_rfq(actor: Actor, rfq_id: int) -> Rfq:
    """The buyer closes an open request without awarding it; quoting co-ops are told."""
    rfq = db.session.get(Rfq, rfq_id)
    if rfq is None:
        raise NotFound("rfq")
    _buyer(actor, rfq.buyer_id)
    rfq = lock(Rfq, rfq_id)
    rfq.status = step(RFQ_TRANSITIONS, rfq.status, "cancel")
    _decline_open_quotes(actor, rfq, awarded_elsewhere=False)
    audit.record(actor, "rfq.cancel", "rfq", rfq.id, organization_id=rfq.buyer_id)
    db.session.flush()
    return rfq


def _decline_open_quotes(actor: Actor, rfq: Rfq, *, awarded_elsewhere: bool) -> None:
    """Decline every quote still open on a request, thanking each co-op politely."""
    subject = (
        _l("Thank you for your quote: %(title)s", title=rfq.title)
        if awarded_elsewhere
        else _l("Request closed: %(title)s", title=rfq.title)
    )
    for quote in db.session.scalars(
        select(Quote).where(Quote.rfq_id == rfq.id, Quote.status == QuoteStatus.OPEN)
    ):
        quote.status = step(QUOTE_TRANSITIONS, quote.status, "decline")
        audit.record(actor, "quote.decline", "quote", quote.id, organization_id=quote.coop_id)
        tell(
            quote.coop_id,
            "quote_declined",
            subject,
            "contracts.quote",
            quote_id=quote.id,
            context={"rfq": rfq, "awarded_elsewhere": awarded_elsewhere},
        )


# --- quotes and the negotiation ----------------------------------------------------------------


@dataclass
class QuoteLineData:
    rfq_line_id: int
    unit_price: str
    quantity: str
    vat_rate: str
    include: bool = True
    listing_id: int | None = None


@dataclass
class VersionData:
    lines: list[QuoteLineData]
    valid_until: date | None
    notes: str = ""
    attachments: list[tuple[str, bytes]] = field(default_factory=list)


def quote_defaults(rfq: Rfq, coop_id: int) -> list[QuoteLineData]:
    """A first quote pre-filled from the co-op's own products: a listing in the line's
    category, priced by its tiers at the quantity asked, VAT from the category."""
    result = []
    for line in rfq.lines:
        categories = {line.category_id} | set(
            db.session.scalars(select(Category.id).where(Category.parent_id == line.category_id))
        )
        listing = db.session.scalar(
            select(Listing)
            .where(
                Listing.organization_id == coop_id,
                Listing.status == ListingStatus.PUBLISHED,
                Listing.category_id.in_(categories),
                or_(Listing.unit == line.unit, Listing.id == line.listing_id),
            )
            .options(selectinload(Listing.tiers))
            .order_by((Listing.id == line.listing_id).desc(), Listing.id)
            .limit(1)
        )
        price = listing.unit_price_for(line.quantity) if listing else line.target_price
        result.append(
            QuoteLineData(
                rfq_line_id=line.id,
                unit_price=str(price or ""),
                quantity=str(line.quantity),
                vat_rate=(listing.category if listing else line.category).vat_rate,
                listing_id=listing.id if listing else None,
            )
        )
    return result


def _check_version(rfq: Rfq, coop_id: int, data: VersionData) -> list[dict]:
    errors: dict[str, object] = {}
    by_id = {line.id: line for line in rfq.lines}
    rows = []
    seen = set()
    for index, line in enumerate(data.lines):
        if line.rfq_line_id not in by_id or line.rfq_line_id in seen or not line.include:
            continue
        seen.add(line.rfq_line_id)
        prefix = f"lines-{index}-"
        row: dict = {"rfq_line_id": line.rfq_line_id}
        try:
            row["unit_price"] = parse_vnd(line.unit_price)
        except InvalidValue as exc:
            errors[prefix + "unit_price"] = exc.message
        try:
            row["quantity"] = parse_quantity(line.quantity, unit=by_id[line.rfq_line_id].unit)
        except InvalidValue as exc:
            errors[prefix + "quantity"] = exc.message
        try:
            row["vat_rate"] = check_vat(line.vat_rate)
        except InvalidValue as exc:
            errors[prefix + "vat_rate"] = exc.message
        row["listing_id"] = None
        if line.listing_id:
            listing = db.session.get(Listing, line.listing_id)
            if listing is None or listing.organization_id != coop_id:
                errors[prefix + "listing_id"] = _l("Choose one of your products.")
            else:
                row["listing_id"] = listing.id
        rows.append(row)
    if not rows and not errors:
        errors["lines"] = _l("Quote for at least one line.")
    if data.valid_until is None:
        errors["valid_until"] = _l("Enter the date until which the offer holds.")
    elif data.valid_until < today():
        errors["valid_until"] = _l("The offer must hold until today or later.")
    elif data.valid_until > today() + timedelta(days=366):
        errors["valid_until"] = _l("An offer can hold for at most a year.")
    if errors:
        raise ValidationFailed(errors)
    return rows


def _add_version(
    actor: Actor, quote: Quote, side: Side, rows: list[dict], data: VersionData, stored: list[dict]
) -> QuoteVersion:
    quote.current_version += 1
    quote.updated_at = utcnow()
    version = QuoteVersion(
        quote_id=quote.id,
        number=quote.current_version,
        side=side,
        author_id=actor.user_id,
        valid_until=data.valid_until,
        notes=(data.notes or "").strip()[:4000] or None,
        lines=[QuoteLine(**row) for row in rows],
    )
    db.session.add(version)
    db.session.flush()
    for values in stored:
        db.session.add(DealAttachment(quote_id=quote.id, version_id=version.id, **values))
    return version


def submit_quote(actor: Actor, rfq_id: int, coop_id: int, data: VersionData) -> Quote:
    """A co-op's manager answers a request with its first version.

    Refused after the deadline, on a closed request, twice for one co-op (the existing
    negotiation is where revisions go), and without the certificates the request asks for.
    """
    membership = member_of(actor, coop_id, Role.MANAGER)
    coop = membership.organization
    rfq = db.session.get(Rfq, rfq_id)
    if rfq is None or not _visible_to_coop(rfq, coop):
        raise NotFound("rfq")
    if rfq.status is not RfqStatus.OPEN:
        raise ValidationFailed({"version": _l("This request is closed.")})
    if utcnow() > rfq.respond_by:
        raise ValidationFailed({"version": _l("The deadline for quotes has passed.")})
    problem = missing_certificates(rfq, coop.id)
    if problem is not None:
        raise ValidationFailed({"version": problem})
    rows = _check_version(rfq, coop.id, data)
    with stored_attachments(
        f"private/deals/rfq-{rfq.id}", data.attachments, "attachments"
    ) as stored:
        rfq = lock(Rfq, rfq.id)  # serialises with award and cancel
        if rfq.status is not RfqStatus.OPEN:
            raise ValidationFailed({"version": _l("This request is closed.")})
        if db.session.scalar(
            select(Quote.id).where(Quote.rfq_id == rfq.id, Quote.coop_id == coop.id)
        ):
            raise ValidationFailed(
                {"version": _l("Your co-op has already quoted. Revise that quote instead.")}
            )
        quote = Quote(rfq_id=rfq.id, coop_id=coop.id, status=QuoteStatus.OPEN, current_version=0)
        db.session.add(quote)
        db.session.flush()
        _add_version(actor, quote, Side.COOP, rows, data, stored)
        audit.record(
            actor,
            "quote.submit",
            "quote",
            quote.id,
            organization_id=coop.id,
            details={"rfq": rfq.id},
        )
        tell(
            rfq.buyer_id,
            "quote_received",
            _l("New quote from %(coop)s", coop=coop.name),
            "contracts.quote",
            quote_id=quote.id,
            context={"rfq": rfq, "coop": coop},
        )
        db.session.flush()
        return quote


def _quote_party(actor: Actor, quote_id: int, min_role: Role = Role.STAFF) -> tuple[Quote, Party]:
    quote = db.session.get(Quote, quote_id)
    if quote is None:
        raise NotFound("quote")
    return quote, party(actor, quote.rfq.buyer_id, quote.coop_id, min_role)


def negotiation(actor: Actor, quote_id: int) -> tuple[Quote, Party]:
    """A negotiation for one of its two parties (NotFound for anyone else)."""
    quote, who = _quote_party(actor, quote_id)
    db.session.scalars(
        select(QuoteVersion)
        .where(QuoteVersion.quote_id == quote.id)
        .options(selectinload(QuoteVersion.lines), selectinload(QuoteVersion.attachments))
    ).all()
    return quote, who


def _keep_sellers_vat(quote: Quote, data: VersionData, rows: list[dict]) -> None:
    """VAT is the seller's to state: a counter-offer keeps the rate of each line the co-op's
    latest version quoted (ValidationFailed naming the line otherwise)."""
    latest = quote.latest
    if latest is None:
        return
    index_of = {line.rfq_line_id: index for index, line in enumerate(data.lines)}
    errors: dict[str, object] = {}
    for row in rows:
        offered = latest.line_for(row["rfq_line_id"])
        if offered is not None and row.get("vat_rate") != offered.vat_rate:
            errors[f"lines-{index_of.get(row['rfq_line_id'], 0)}-vat_rate"] = _l(
                "VAT is set by the co-op: a counter-offer keeps its rate."
            )
    if errors:
        raise ValidationFailed(errors)


def add_version(
    actor: Actor, quote_id: int, seen_version: int | None, data: VersionData
) -> QuoteVersion:
    """The co-op revises its quote, or the buyer counter-offers: a new version, kept with the
    old ones. ``seen_version`` is the version on the user's page; if another has arrived
    since, nothing is saved and DealChanged says so."""
    quote, who = _quote_party(actor, quote_id, Role.MANAGER)
    action = "revise" if who.side is Side.COOP else "counter"
    rows = _check_version(quote.rfq, quote.coop_id, data)
    with stored_attachments(
        f"private/deals/quote-{quote.id}", data.attachments, "attachments"
    ) as stored:
        quote = lock(Quote, quote.id)
        if quote.rfq.status is not RfqStatus.OPEN or quote.status is not QuoteStatus.OPEN:
            raise ValidationFailed(
                {"version": _l("This negotiation is closed: the request was awarded or closed.")}
            )
        step(QUOTE_TRANSITIONS, quote.status, action)
        if seen_version != quote.current_version:
            raise DealChanged(
                _l(
                    "Version %(n)d arrived while you were typing. Read it, then try again.",
                    n=quote.current_version,
                )
            )
        if who.side is Side.BUYER:
            _keep_sellers_vat(quote, data, rows)
        version = _add_version(actor, quote, who.side, rows, data, stored)
        audit.record(
            actor,
            f"quote.{action}",
            "quote",
            quote.id,
            organization_id=who.organization_id,
            details={"version": version.number},
        )
        subject = (
            _l("Counter-offer on %(title)s", title=quote.rfq.title)
            if who.side is Side.BUYER
            else _l("Revised quote on %(title)s", title=quote.rfq.title)
        )
        tell_other(
            who,
            quote.rfq.buyer_id,
            quote.coop_id,
            "quote_version",
            subject,
            "contracts.quote",
            quote_id=quote.id,
            context={"rfq": quote.rfq, "version": version},
        )
        db.session.flush()
        return version


def accept_counter_offer(actor: Actor, quote_id: int, seen_version: int | None) -> QuoteVersion:
    """The co-op takes the buyer's counter-offer as it is: a new version from the co-op's side
    with the same lines, so the buyer can award it; audited, and the buyer is told.

    Refused (ValidationFailed) when the latest version is not the buyer's or another version
    has arrived since the page was read; PermissionDenied for the buyer and for staff."""
    quote, who = _quote_party(actor, quote_id, Role.MANAGER)
    if who.side is not Side.COOP:
        raise PermissionDenied("the co-op accepts a counter-offer")
    quote = lock(Quote, quote.id)
    if quote.rfq.status is not RfqStatus.OPEN or quote.status is not QuoteStatus.OPEN:
        raise ValidationFailed(
            {"version": _l("This negotiation is closed: the request was awarded or closed.")}
        )
    step(QUOTE_TRANSITIONS, quote.status, "revise")
    if seen_version != quote.current_version:
        raise DealChanged(
            _l(
                "Version %(n)d arrived while you were typing. Read it, then try again.",
                n=quote.current_version,
            )
        )
    counter = quote.latest
    if counter is None or counter.side is not Side.BUYER:
        raise ValidationFailed({"version": _l("There is no counter-offer to accept.")})
    rows = [
        {
            "rfq_line_id": line.rfq_line_id,
            "listing_id": line.listing_id,
            "unit_price": line.unit_price,
            "quantity": line.quantity,
            "vat_rate": line.vat_rate,
        }
        for line in counter.lines
    ]
    data = VersionData(
        lines=[],
        valid_until=max(counter.valid_until, today()),
        notes=str(_l("We accept your counter-offer as it is.")),
    )
    version = _add_version(actor, quote, Side.COOP, rows, data, [])
    audit.record(
        actor,
        "quote.accept_counter",
        "quote",
        quote.id,
        organization_id=who.organization_id,
        details={"version": version.number, "counter": counter.number},
    )
    tell_other(
        who,
        quote.rfq.buyer_id,
        quote.coop_id,
        "quote_version",
        _l("Counter-offer accepted on %(title)s", title=quote.rfq.title),
        "contracts.quote",
        quote_id=quote.id,
        context={"rfq": quote.rfq, "version": version},
    )
    db.session.flush()
    return version


def post_message(
    actor: Actor, quote_id: int, body: str, attachments: list[tuple[str, bytes]]
) -> QuoteMessage:
    """Any member of either side writes in the negotiation's thread; the other side is told."""
    quote, who = _quote_party(actor, quote_id)
    text = (body or "").strip()[:4000]
    if not text:
        raise ValidationFailed({"body": _l("Write a message.")})
    with stored_attachments(
        f"private/deals/quote-{quote.id}", attachments, "attachments"
    ) as stored:
        message = QuoteMessage(quote_id=quote.id, side=who.side, author_id=actor.user_id, body=text)
        db.session.add(message)
        db.session.flush()
        for values in stored:
            db.session.add(DealAttachment(quote_id=quote.id, message_id=message.id, **values))
        quote.updated_at = utcnow()
        audit.record(actor, "quote.message", "quote", quote.id, organization_id=who.organization_id)
        tell_other(
            who,
            quote.rfq.buyer_id,
            quote.coop_id,
            "quote_message",
            _l("New message about %(title)s", title=quote.rfq.title),
            "contracts.quote",
            quote_id=quote.id,
            context={"rfq": quote.rfq, "message": message},
        )
        db.session.flush()
        return message


def withdraw_quote(actor: Actor, quote_id: int) -> Quote:
    quote, who = _quote_party(actor, quote_id, Role.MANAGER)
    if who.side is not Side.COOP:
        raise PermissionDenied("only the co-op withdraws its quote")
    quote = lock(Quote, quote.id)
    quote.status = step(QUOTE_TRANSITIONS, quote.status, "withdraw")
    audit.record(actor, "quote.withdraw", "quote", quote.id, organization_id=quote.coop_id)
    tell(
        quote.rfq.buyer_id,
        "quote_withdrawn",
        _l("Quote withdrawn: %(title)s", title=quote.rfq.title),
        "contracts.rfq",
        rfq_id=quote.rfq_id,
        context={"rfq": quote.rfq, "coop": quote.coop},
    )
    db.session.flush()
    return quote


def attachment_for(actor: Actor, quote_id: int, attachment_id: int) -> DealAttachment:
    quote, _who = _quote_party(actor, quote_id)
    attachment = db.session.get(DealAttachment, attachment_id)
    if attachment is None or attachment.quote_id != quote.id:
        raise NotFound("attachment")
    return attachment


@dataclass
class LineChange:
    rfq_line: RfqLine
    line: QuoteLine | None
    previous: QuoteLine | None

    @property
    def price_changed(self) -> bool:
        return bool(
            self.previous and self.line and self.previous.unit_price != self.line.unit_price
        )

    @property
    def quantity_changed(self) -> bool:
        return bool(self.previous and self.line and self.previous.quantity != self.line.quantity)

    @property
    def vat_changed(self) -> bool:
        return bool(self.previous and self.line and self.previous.vat_rate != self.line.vat_rate)

    @property
    def added(self) -> bool:
        return self.line is not None and self.previous is None

    @property
    def dropped(self) -> bool:
        return self.line is None and self.previous is not None


def version_totals(rfq: Rfq, version: QuoteVersion) -> DealTotals:
    """A quote version's lines per delivery and over every delivery the request plans."""
    count = len(
        plan_dates(rfq.pattern, rfq.starts_on, rfq.ends_on, rfq.weekday_list, rfq.day_of_month)
    )
    return deal_totals(version.lines, count)


def differences(quote: Quote, version: QuoteVersion) -> list[LineChange]:
    """Each request line in ``version`` next to the version before it."""
    previous = next((v for v in quote.versions if v.number == version.number - 1), None)
    return [
        LineChange(
            line,
            version.line_for(line.id),
            previous.line_for(line.id) if previous else None,
        )
        for line in quote.rfq.lines
    ]


def waiting_on(quote: Quote) -> Side | None:
    """Whose move it is: the buyer after a co-op version, the co-op after a counter."""
    if quote.status is not QuoteStatus.OPEN or quote.latest is None:
        return None
    return Side.BUYER if quote.latest.side is Side.COOP else Side.COOP


def negotiations_waiting(actor: Actor, organization_id: int) -> list[Quote]:
    """Open negotiations of this organisation where the other side has moved last."""
    membership = member_of(actor, organization_id)
    kind = membership.organization.kind
    query = (
        select(Quote)
        .join(Rfq, Rfq.id == Quote.rfq_id)
        .where(Quote.status == QuoteStatus.OPEN, Rfq.status == RfqStatus.OPEN)
    )
    query = (
        query.where(Rfq.buyer_id == organization_id)
        if kind is OrgKind.BUYER
        else query.where(Quote.coop_id == organization_id)
    )
    quotes = db.session.scalars(
        query.options(
            selectinload(Quote.versions), selectinload(Quote.rfq), selectinload(Quote.coop)
        ).order_by(Quote.updated_at.desc())
    )
    side = Side.BUYER if kind is OrgKind.BUYER else Side.COOP
    return [q for q in quotes if waiting_on(q) is side]


def award(
    actor: Actor,
    rfq_id: int,
    choices: dict[int, int | None],
    seen_versions: dict[int, int],
):
    """The buyer gives each request line to a quote (or to none): one contract draft per
    chosen co-op freezes the terms of that co-op's latest version; every other open quote is
    declined politely. All or nothing.

    ``choices`` maps request line id → quote id; ``seen_versions`` maps quote id → the version
    number on the buyer's page. A quote whose latest version is the buyer's own counter (the
    co-op has not answered it), whose offer has lapsed, or which moved on since the page was
    loaded is refused with a message.
    """
    rfq = db.session.get(Rfq, rfq_id)
    if rfq is None:
        raise NotFound("rfq")
    _buyer(actor, rfq.buyer_id)
    rfq = lock(Rfq, rfq_id)
    if rfq.status is not RfqStatus.OPEN:
        raise ValidationFailed({"version": _l("This request has already been awarded or closed.")})
    line_ids = {line.id for line in rfq.lines}
    by_quote: dict[int, list[int]] = {}
    for line_id, quote_id in choices.items():
        if line_id in line_ids and quote_id:
            by_quote.setdefault(quote_id, []).append(line_id)
    if not by_quote:
        raise ValidationFailed({"version": _l("Choose a quote for at least one line.")})
    quotes = {}
    for quote_id, lines in by_quote.items():
        quote = lock(Quote, quote_id)
        if quote is None or quote.rfq_id != rfq.id or quote.status is not QuoteStatus.OPEN:
            raise ValidationFailed({"version": _l("One of the chosen quotes is no longer open.")})
        if seen_versions.get(quote.id) != quote.current_version:
            raise DealChanged(
                _l(
                    "%(coop)s has sent a new version. Review it before awarding.",
                    coop=quote.coop.name,
                )
            )
        latest = quote.latest
        if latest is None or latest.side is not Side.COOP:
            raise ValidationFailed(
                {
                    "version": _l(
                        "%(coop)s has not answered your counter-offer yet.", coop=quote.coop.name
                    )
                }
            )
        if latest.valid_until < today():
            raise ValidationFailed(
                {
                    "version": _l(
                        "The offer from %(coop)s has lapsed. Ask for a revised quote.",
                        coop=quote.coop.name,
                    )
                }
            )
        for line_id in lines:
            if latest.line_for(line_id) is None:
                raise ValidationFailed(
                    {
                        "version": _l(
                            "%(coop)s did not quote for one of the lines you gave it.",
                            coop=quote.coop.name,
                        )
                    }
                )
        quotes[quote.id] = quote
    rfq.status = step(RFQ_TRANSITIONS, rfq.status, "award")
    contracts = []
    for quote_id, lines in by_quote.items():
        quote = quotes[quote_id]
        quote.status = step(QUOTE_TRANSITIONS, quote.status, "award")
        audit.record(
            actor,
            "quote.award",
            "quote",
            quote.id,
            organization_id=quote.coop_id,
            details={"version": quote.current_version, "lines": lines},
        )
        contract = draft_from_award(actor, rfq, quote, [ln for ln in rfq.lines if ln.id in lines])
        contracts.append(contract)
        tell(
            quote.coop_id,
            "quote_awarded",
            _l("You won: %(title)s", title=rfq.title),
            "contracts.contract",
            contract_id=contract.id,
            context={"rfq": rfq, "contract": contract},
        )
    _decline_open_quotes(actor, rfq, awarded_elsewhere=True)
    audit.record(
        actor,
        "rfq.award",
        "rfq",
        rfq.id,
        organization_id=rfq.buyer_id,
        details={
            "lines": {str(k): v for k, v in choices.items() if v},
            "contracts": [c.id for c in contracts],
        },
    )
    db.session.flush()
    return contracts
