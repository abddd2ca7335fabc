"""Use cases for trade fairs: organisers build fairs and review applications; co-ops apply.

Exhibitor applications are a state machine (APPLICATION_TRANSITIONS):

    submitted ──accept──▶ accepted (booth held, fee due) ──pay──▶ confirmed ──cancel──▶ cancelled
        │  └──waitlist──▶ waitlisted ──accept──▶ accepted        │
        │                    │                    └──expire (unpaid at due date)──▶ expired
        └──reject──▶ rejected; submitted/waitlisted ──withdraw──▶ withdrawn

Every change that gives or takes a booth runs under a row lock on the fair, so acceptances,
payments, expiries and cancellations racing each other never promise a booth twice.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from marketplace.extensions import db
from marketplace.models import (
    ApplicationStatus,
    Badge,
    Booth,
    BoothType,
    Fair,
    FairApplication,
    FairStatus,
    Listing,
    ListingStatus,
    Organization,
    OrgKind,
    PayableKind,
    Role,
)
from marketplace.models._types import utcnow
from marketplace.models.fairs import ACTIVE, BOOTH_HOLDING
from marketplace.parsing import parse_vnd
from marketplace.services import audit, fair_gate, images
from marketplace.services.accounts.verification import can_trade, valid_certificates
from marketplace.services.context import Actor
from marketplace.services.errors import NotFound, TransitionNotAllowed, ValidationFailed
from marketplace.services.locking import lock
from marketplace.services.notifications import notify_members, tell
from marketplace.services.payments.payables import Link, Payable, PayableState, paid_so_far
from marketplace.services.permissions import member_of
from marketplace.services.slugs import slugify
from marketplace.services.states import step
from marketplace.spreadsheets import excel_csv
from marketplace.storage.uploads import check_upload
from marketplace.validation import InvalidValue, normalise_vn_phone
from marketplace.vietnam import province_name, resolve_province, today

A = ApplicationStatus
APPLICATION_TRANSITIONS: dict[tuple[ApplicationStatus, str], ApplicationStatus] = {
    (A.SUBMITTED, "accept"): A.ACCEPTED,
    (A.WAITLISTED, "accept"): A.ACCEPTED,
    (A.SUBMITTED, "waitlist"): A.WAITLISTED,
    (A.SUBMITTED, "reject"): A.REJECTED,
    (A.WAITLISTED, "reject"): A.REJECTED,
    (A.SUBMITTED, "withdraw"): A.WITHDRAWN,
    (A.WAITLISTED, "withdraw"): A.WITHDRAWN,
    (A.ACCEPTED, "pay"): A.CONFIRMED,
    (A.ACCEPTED, "expire"): A.EXPIRED,
    (A.ACCEPTED, "cancel"): A.CANCELLED,
    (A.CONFIRMED, "cancel"): A.CANCELLED,
    # The fee's transfer was recorded by mistake and reversed: the booth is held again.
    (A.CONFIRMED, "reopen"): A.ACCEPTED,
    (A.SUBMITTED, "fair_cancelled"): A.CANCELLED,
    (A.WAITLISTED, "fair_cancelled"): A.CANCELLED,
    (A.ACCEPTED, "fair_cancelled"): A.CANCELLED,
    (A.CONFIRMED, "fair_cancelled"): A.CANCELLED,
}


class ApplicationTransitionNotAllowed(TransitionNotAllowed):
    """A fair application cannot take this action in its current state."""


def next_application_status(current: ApplicationStatus, action: str) -> ApplicationStatus:
    return step(APPLICATION_TRANSITIONS, current, action, ApplicationTransitionNotAllowed)


def _transition(application: FairApplication, action: str) -> None:
    application.status = next_application_status(application.status, action)
    application.status_changed_at = utcnow()


# --- organiser: building a fair ---------------------------------------------------------------


@dataclass
class FairData:
    name_vi: str
    venue: str
    province: str
    starts_on: date | None
    ends_on: date | None
    applications_open_on: date | None
    applications_close_on: date | None
    name_en: str = ""
    description_vi: str = ""
    description_en: str = ""
    payment_days: int | None = 7
    full_refund_until: date | None = None
    only_ocop: bool = False
    eligible_provinces: list[str] = field(default_factory=list)


def _organiser(actor: Actor, organization_id: int, role: Role = Role.MANAGER) -> Organization:
    return member_of(actor, organization_id, role, OrgKind.FAIR_ORGANIZER).organization


def _coop(actor: Actor, coop_id: int, role: Role = Role.MANAGER) -> Organization:
    return member_of(actor, coop_id, role, OrgKind.COOP).organization


def _validate_fair(data: FairData) -> dict:
    errors: dict[str, object] = {}
    values: dict[str, object] = {}
    values["name_vi"] = " ".join((data.name_vi or "").split())[:200]
    if not values["name_vi"]:
        errors["name_vi"] = _l("Enter the name of the fair.")
    values["name_en"] = " ".join((data.name_en or "").split())[:200] or None
    values["description_vi"] = (data.description_vi or "").strip()[:5000]
    values["description_en"] = (data.description_en or "").strip()[:5000] or None
    values["venue"] = " ".join((data.venue or "").split())[:200]
    if not values["venue"]:
        errors["venue"] = _l("Enter the venue.")
    values["province_code"] = resolve_province(data.province)
    if not values["province_code"]:
        errors["province"] = _l("Choose one of the 34 provinces and cities.")
    for name in ("starts_on", "ends_on", "applications_open_on", "applications_close_on"):
        if getattr(data, name) is None:
            errors[name] = _l("Enter a date.")
        values[name] = getattr(data, name)
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        errors["ends_on"] = _l("The fair cannot end before it starts.")
    if data.applications_open_on and data.applications_close_on:
        if data.applications_close_on < data.applications_open_on:
            errors["applications_close_on"] = _l("Applications cannot close before they open.")
        elif data.starts_on and data.applications_close_on >= data.starts_on:
            errors["applications_close_on"] = _l("Applications must close before the fair starts.")
    if data.payment_days is None or not 1 <= data.payment_days <= 60:
        errors["payment_days"] = _l("Give between 1 and 60 days to pay.")
    values["payment_days"] = data.payment_days
    values["full_refund_until"] = data.full_refund_until
    if data.full_refund_until and data.starts_on and data.full_refund_until > data.starts_on:
        errors["full_refund_until"] = _l("The full-refund date cannot be after the fair starts.")
    values["only_ocop"] = bool(data.only_ocop)
    provinces = []
    for name in data.eligible_provinces:
        if not name.strip():
            continue
        code = resolve_province(name)
        if code is None:
            errors["eligible_provinces"] = _l("Choose one of the 34 provinces and cities.")
        else:
            provinces.append(code)
    values["eligible_provinces"] = ",".join(sorted(set(provinces))) or None
    if errors:
        raise ValidationFailed(errors)
    return values


def create_fair(
    actor: Actor, organization_id: int, data: FairData, cover: bytes | None = None
) -> Fair:
    """A draft fair; booth types and the map come next, then publishing. The cover image
    is checked with the rest, so nothing is saved if either is wrong."""
    organiser = _organiser(actor, organization_id)
    try:
        values = _validate_fair(data)
    except ValidationFailed as exc:
        if cover:
            exc.errors.update(_cover_problem(cover))
        raise
    if cover:
        problem = _cover_problem(cover)
        if problem:
            raise ValidationFailed(problem)
        values["cover_key"] = images.store_image("public/fairs", cover, field="cover")
    fair = Fair(
        organization_id=organiser.id,
        slug=f"{slugify(str(values['name_vi']), 80)}-{secrets.token_hex(3)}",
        **values,
    )
    db.session.add(fair)
    db.session.flush()
    audit.record(actor, "fair.create", "fair", fair.id, organization_id=organiser.id)
    db.session.flush()
    return fair


def _cover_problem(cover: bytes) -> dict[str, object]:
    try:
        check_upload(cover, allow_pdf=False)
    except InvalidValue as exc:
        return {"cover": exc.message}
    return {}


def own_fair(actor: Actor, fair_id: int, role: Role = Role.STAFF) -> Fair:
    """A fair of the actor's organiser organisation; NotFound for anyone else's."""
    fair = db.session.get(Fair, fair_id)
    if fair is None:
        raise NotFound("fair")
    _organiser(actor, fair.organization_id, role)
    return fair


def add_booth_type(
    actor: Actor,
    fair_id: int,
    *,
    name: str,
    size: str,
    fee: str,
    includes: str = "",
    staff_badges: int | None = 2,
) -> BoothType:
    fair = own_fair(actor, fair_id, Role.MANAGER)
    errors: dict[str, object] = {}
    name = " ".join((name or "").split())[:120]
    if not name:
        errors["name"] = _l("Name the booth type, like “standard 3×3 m”.")
    try:
        fee_value = parse_vnd(fee)
    except InvalidValue as exc:
        errors["fee"] = exc.message
    if staff_badges is None or not 0 <= staff_badges <= 20:
        errors["staff_badges"] = _l("Between 0 and 20 staff badges.")
    if fair.status is FairStatus.CANCELLED:
        errors["name"] = _l("This fair is cancelled.")
    if errors:
        raise ValidationFailed(errors)
    booth_type = BoothType(
        staff_badges=staff_badges,
        fair_id=fair.id,
        name=name,
        size=(size or "").strip()[:40],
        fee=fee_value,
        includes=(includes or "").strip()[:300] or None,
    )
    db.session.add(booth_type)
    db.session.flush()
    audit.record(
        actor, "fair.booth_type_add", "fair", fair.id, organization_id=fair.organization_id
    )
    db.session.flush()
    return booth_type


# --- organiser: editing a fair and its booth types -------------------------------------------

#: Fields whose change is told to the co-ops with a live application.
DATE_FIELDS = (
    "starts_on",
    "ends_on",
    "applications_open_on",
    "applications_close_on",
    "full_refund_until",
)
ELIGIBILITY_FIELDS = ("only_ocop", "eligible_provinces")
FIELD_LABELS = {
    "starts_on": _l("First day"),
    "ends_on": _l("Last day"),
    "applications_open_on": _l("Applications open on"),
    "applications_close_on": _l("Applications close on"),
    "full_refund_until": _l("Full refund for cancellations until"),
    "only_ocop": _l("Only co-ops with a valid OCOP certificate"),
    "eligible_provinces": _l("Only co-ops from these provinces (optional)"),
    "fee": _l("Booth fee"),
}


@dataclass
class BoothTypeData:
    name: str
    size: str = ""
    fee: str = ""
    includes: str = ""
    staff_badges: int | None = 2
    #: How many booths of this type the plan has (None: leave them as they are).
    booths: int | None = None


@dataclass(frozen=True)
class Change:
    """One changed value as told to a co-op: "Fee (₫): 2.000.000 ₫ → 2.500.000 ₫"."""

    field: str
    old: object
    new: object
    #: The booth type whose fee changed.
    booth_type: str = ""

    def __str__(self) -> str:
        label = str(FIELD_LABELS.get(self.field, self.field))
        if self.booth_type:
            label = f"{label} ({self.booth_type})"
        return f"{label}: {_shown(self.field, self.old)} → {_shown(self.field, self.new)}"


def _shown(name: str, value: object) -> str:
    """A changed value in the language being rendered."""
    from marketplace.i18n import format_day, format_money

    if value is None or value == "":
        if name == "eligible_provinces":
            return str(_l("all provinces"))
        return "—"
    if isinstance(value, bool):
        return str(_l("yes") if value else _l("no"))
    if isinstance(value, date):
        return format_day(value)
    if name == "fee":
        return format_money(int(value))  # type: ignore[call-overload]
    if name == "eligible_provinces":
        return ", ".join(province_name(code) or code for code in str(value).split(","))
    return str(value)


class _ChangedSubject:
    """ "<fair> has changed: …", rendered in the reader's language."""

    def __init__(self, fair: Fair, changes: list[Change]):
        self.fair = fair
        self.changes = changes

    def __str__(self) -> str:
        return str(
            _l(
                "%(fair)s has changed: %(changes)s",
                fair=self.fair.name(str(get_locale())),
                changes="; ".join(str(c) for c in self.changes),
            )
        )


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


def _editable_fair(actor: Actor, fair_id: int, seen_version: int | None) -> Fair:
    fair = own_fair(actor, fair_id, Role.MANAGER)
    fair = lock(Fair, fair.id)
    if fair.status is FairStatus.CANCELLED:
        raise ValidationFailed(
            {"status": _l("This fair is cancelled and can no longer be edited.")}
        )
    if seen_version != fair.version:
        raise ValidationFailed(
            {
                "changed": _l(
                    "This fair was changed meanwhile. Check the values below and save again."
                )
            }
        )
    return fair


def _live_applications(fair: Fair, booth_type_id: int | None = None) -> list[FairApplication]:
    query = select(FairApplication).where(
        FairApplication.fair_id == fair.id, FairApplication.status.in_(ACTIVE)
    )
    if booth_type_id is not None:
        query = query.where(FairApplication.booth_type_id == booth_type_id)
    return list(db.session.scalars(query.order_by(FairApplication.id)))


def _eligible(values: dict, coop: Organization) -> bool:
    if values["only_ocop"] and not any(c.kind.value == "ocop" for c in valid_certificates(coop.id)):
        return False
    provinces = values["eligible_provinces"]
    return not provinces or coop.province_code in provinces.split(",")


def excluded_applicants(fair: Fair, values: dict) -> int:
    """How many co-ops with a live application the eligibility in ``values`` leaves out."""
    return sum(not _eligible(values, a.organization) for a in _live_applications(fair))


def _tell_changes(
    fair: Fair,
    applications: list[FairApplication],
    changes: list[Change],
    *,
    reprint: bool = False,
) -> None:
    """Email and notify each co-op with a live application of what changed (old → new);
    ``reprint``: its badges show the old days and are to be printed again."""
    told: set[int] = set()
    for application in applications:
        if application.organization_id in told:
            continue
        told.add(application.organization_id)
        tell(
            application.organization_id,
            "fair_changed",
            _ChangedSubject(fair, changes),
            "fairs.my_applications",
            org_id=application.organization_id,
            context={
                "fair": fair,
                "application": application,
                "changes": changes,
                "fee_changed": any(c.field == "fee" for c in changes),
                "reprint": reprint,
            },
        )


def update_fair(
    actor: Actor,
    fair_id: int,
    seen_version: int | None,
    data: FairData,
    cover: bytes | None = None,
    *,
    confirm_exclusion: bool = False,
    confirm_badges: bool = False,
) -> Fair:
    """Change any field of the fair's form, with the creation's checks. Once co-ops have
    applied, a change of dates or eligibility is told to each live application; an
    eligibility change that leaves some of them out needs ``confirm_exclusion`` (their
    applications stay); moving the fair's days once badges exist needs ``confirm_badges``
    (printed badges show the old days: the exhibitors are asked to print them again; the gate
    checks the new days). Audited with the changed fields before and after."""
    fair = _editable_fair(actor, fair_id, seen_version)
    try:
        values = _validate_fair(data)
    except ValidationFailed as exc:
        if cover:
            exc.errors.update(_cover_problem(cover))
        raise
    if cover:
        problem = _cover_problem(cover)
        if problem:
            raise ValidationFailed(problem)
    changed = {
        name: (getattr(fair, name), value)
        for name, value in values.items()
        if getattr(fair, name) != value
    }
    if any(name in changed for name in ELIGIBILITY_FIELDS) and not confirm_exclusion:
        left_out = excluded_applicants(fair, values)
        if left_out:
            raise ValidationFailed(
                {
                    "confirm_exclusion": _l(
                        "%(count)s co-ops that have applied would no longer be eligible. Their "
                        "applications stay; tick the box to save anyway.",
                        count=left_out,
                    )
                }
            )
    moved = any(name in changed for name in ("starts_on", "ends_on"))
    badges = _issued_badges(fair.id) if moved else 0
    if badges and not confirm_badges:
        raise ValidationFailed(
            {
                "confirm_badges": _l(
                    "%(count)s badges already show the fair's old days. Tick the box to move "
                    "the fair: the exhibitors are asked to print their badges again.",
                    count=badges,
                )
            }
        )
    if cover:
        values["cover_key"] = images.store_image("public/fairs", cover, field="cover")
        changed["cover_key"] = (fair.cover_key, values["cover_key"])
    if not changed:
        return fair
    for name, (_old, new) in changed.items():
        setattr(fair, name, new)
    fair.version += 1
    audit.record(
        actor,
        "fair.update",
        "fair",
        fair.id,
        organization_id=fair.organization_id,
        details={
            "before": {name: _plain(old) for name, (old, _new) in changed.items()},
            "after": {name: _plain(new) for name, (_old, new) in changed.items()},
        },
    )
    told = [
        Change(name, old, new)
        for name, (old, new) in changed.items()
        if name in DATE_FIELDS or name in ELIGIBILITY_FIELDS
    ]
    if told:
        _tell_changes(fair, _live_applications(fair), told, reprint=bool(badges))
    db.session.flush()
    return fair


def _issued_badges(fair_id: int) -> int:
    """Badges of the fair not revoked (printed, or ready to print, with its days)."""
    return (
        db.session.scalar(
            select(func.count()).where(Badge.fair_id == fair_id, Badge.revoked_at.is_(None))
        )
        or 0
    )


@dataclass(frozen=True)
class BoothTypeView:
    """A booth type as its edit form shows it: its fair, how many booths it has on the plan
    and how many of those are held or taken (it may not shrink below them)."""

    booth_type: BoothType
    fair: Fair
    booths: int
    taken: int


def booth_type_for_edit(actor: Actor, booth_type_id: int) -> BoothTypeView:
    """One of the actor's booth types, for an owner or manager of the organiser (NotFound for
    anyone else)."""
    booth_type = db.session.get(BoothType, booth_type_id)
    if booth_type is None:
        raise NotFound("booth type")
    fair = own_fair(actor, booth_type.fair_id, Role.MANAGER)
    of_type = {b.id for b in fair.booths if b.booth_type_id == booth_type.id}
    return BoothTypeView(booth_type, fair, len(of_type), len(held_booth_ids(fair.id) & of_type))


def update_booth_type(
    actor: Actor, booth_type_id: int, seen_version: int | None, data: BoothTypeData
) -> BoothType:
    """Change a booth type: name, size, fee, what it includes, staff badges and how many
    booths the plan has of it. Never fewer booths than co-ops hold or own; a new fee is for
    later acceptances (fees already invoiced stay) and is told to the type's live
    applications. Audited with the changed fields before and after."""
    booth_type = db.session.get(BoothType, booth_type_id)
    if booth_type is None:
        raise NotFound("booth type")
    fair = _editable_fair(actor, booth_type.fair_id, seen_version)
    errors: dict[str, object] = {}
    values: dict[str, object] = {}
    values["name"] = " ".join((data.name or "").split())[:120]
    if not values["name"]:
        errors["name"] = _l("Name the booth type, like “standard 3×3 m”.")
    values["size"] = (data.size or "").strip()[:40]
    try:
        values["fee"] = parse_vnd(data.fee)
    except InvalidValue as exc:
        errors["fee"] = exc.message
    values["includes"] = (data.includes or "").strip()[:300] or None
    if data.staff_badges is None or not 0 <= data.staff_badges <= 20:
        errors["staff_badges"] = _l("Between 0 and 20 staff badges.")
    values["staff_badges"] = data.staff_badges
    of_type = [b for b in fair.booths if b.booth_type_id == booth_type.id]
    held = held_booth_ids(fair.id)
    taken = sum(b.id in held for b in of_type)
    wanted = len(of_type) if data.booths is None else data.booths
    if wanted is None or not 0 <= wanted <= 500:
        errors["booths"] = _l("Between 0 and 500 booths.")
    elif wanted < taken:
        errors["booths"] = _l(
            "%(taken)s booths of this type are held or taken by co-ops: keep at least %(taken)s.",
            taken=taken,
        )
    if errors:
        raise ValidationFailed(errors)
    changed = {
        name: (getattr(booth_type, name), value)
        for name, value in values.items()
        if getattr(booth_type, name) != value
    }
    if wanted != len(of_type):
        changed["booths"] = (len(of_type), wanted)
    if not changed:
        return booth_type
    for name, (_old, new) in changed.items():
        if name != "booths":
            setattr(booth_type, name, new)
    if wanted < len(of_type):
        free = sorted((b for b in of_type if b.id not in held), key=lambda b: b.code)
        for booth in free[wanted - len(of_type) :]:
            fair.booths.remove(booth)
            db.session.delete(booth)
    elif wanted > len(of_type):
        from marketplace.services import fair_plan

        fair_plan.add_booths_of_type(fair, booth_type, wanted - len(of_type))
    fair.version += 1
    audit.record(
        actor,
        "fair.booth_type_update",
        "booth_type",
        booth_type.id,
        organization_id=fair.organization_id,
        details={
            "fair_id": fair.id,
            "before": {name: old for name, (old, _new) in changed.items()},
            "after": {name: new for name, (_old, new) in changed.items()},
        },
    )
    db.session.flush()
    if "fee" in changed:
        old, new = changed["fee"]
        _tell_changes(
            fair,
            _live_applications(fair, booth_type.id),
            [Change("fee", old, new, booth_type=str(values["name"]))],
        )
    if wanted > len(of_type):
        promoted = []
        while (nxt := _promote_waitlist(fair, booth_type.id)) is not None:
            promoted.append(nxt)
            db.session.flush()
        for application in promoted:
            _notify_application(application, "promoted")
    db.session.flush()
    return booth_type


def add_booth_row(
    actor: Actor, fair_id: int, *, letter: str, count: int | None, booth_type_id: int | None
) -> list[Booth]:
    """Lay out one row of the map below everything on the floor plan: booths <letter>01 …
    <letter>NN of one booth type (a block of one row, ``fair_plan.add_block``)."""
    from marketplace.services import fair_plan

    fair = own_fair(actor, fair_id, Role.MANAGER)
    fair = lock(Fair, fair.id)
    errors: dict[str, object] = {}
    if fair.status is FairStatus.CANCELLED:
        raise ValidationFailed({"letter": _l("This fair is cancelled.")})
    letter = (letter or "").strip().upper()
    if len(letter) != 1 or letter not in string.ascii_uppercase:
        errors["letter"] = _l("Use one letter from A to Z for the row.")
    elif db.session.scalar(
        select(Booth.id).where(Booth.fair_id == fair.id, Booth.code.like(f"{letter}%"))
    ):
        errors["letter"] = _l(
            "Row %(row)s is already on the map: booth codes must be unique.", row=letter
        )
    if count is None or not 1 <= count <= 60:
        errors["count"] = _l("A row has between 1 and 60 booths.")
    booth_type = db.session.get(BoothType, booth_type_id) if booth_type_id else None
    if booth_type is None or booth_type.fair_id != fair.id:
        errors["booth_type_id"] = _l("Choose one of this fair's booth types.")
    if errors:
        raise ValidationFailed(errors)
    return fair_plan.add_block(
        actor,
        fair.id,
        booth_type_id=booth_type_id,
        row=fair_plan.next_free_row(fair),
        col=0,
        rows=1,
        cols=count,
        letter=letter,
    )


def publish_fair(actor: Actor, fair_id: int) -> Fair:
    fair = own_fair(actor, fair_id, Role.MANAGER)
    fair = lock(Fair, fair.id)
    errors: dict[str, object] = {}
    if not fair.organization.is_verified:
        errors["status"] = _l("Only a verified organiser can publish a fair.")
    elif not fair.booths:
        errors["status"] = _l("Add booths to the map before publishing: a fair needs at least one.")
    elif fair.status is not FairStatus.DRAFT:
        errors["status"] = _l("Only a fair in preparation can be published.")
    if errors:
        raise ValidationFailed(errors)
    fair.status = FairStatus.PUBLISHED
    audit.record(actor, "fair.publish", "fair", fair.id, organization_id=fair.organization_id)
    db.session.flush()
    return fair


# --- availability -----------------------------------------------------------------------------


def held_booth_ids(fair_id: int) -> set[int]:
    return set(
        db.session.scalars(
            select(FairApplication.booth_id).where(
                FairApplication.fair_id == fair_id,
                FairApplication.status.in_(BOOTH_HOLDING),
                FairApplication.booth_id.is_not(None),
            )
        )
    )


def free_booths(fair: Fair, booth_type_id: int | None = None) -> list[Booth]:
    taken = held_booth_ids(fair.id)
    return [
        b
        for b in fair.booths
        if b.id not in taken and (booth_type_id is None or b.booth_type_id == booth_type_id)
    ]


@dataclass(frozen=True)
class Availability:
    booth_type: BoothType
    total: int
    free: int


def availability(fair: Fair, held: set[int] | None = None) -> list[Availability]:
    taken = held_booth_ids(fair.id) if held is None else held
    result = []
    for booth_type in fair.booth_types:
        of_type = [b for b in fair.booths if b.booth_type_id == booth_type.id]
        result.append(
            Availability(booth_type, len(of_type), sum(b.id not in taken for b in of_type))
        )
    return result


@dataclass(frozen=True)
class BoothMap:
    """What the booth map and the booth table show, derived from the fair's applications."""

    held: set[int]  # booths held (fee due) or taken
    owners: dict[int, str]  # taken booth → exhibitor's name, shown on the map
    availability: list[Availability]


def booth_map(fair: Fair, applications: list[FairApplication]) -> BoothMap:
    holding = [a for a in applications if a.booth_id and a.status in BOOTH_HOLDING]
    held = {a.booth_id for a in holding}
    owners = {a.booth_id: a.organization.name for a in holding if a.status is A.CONFIRMED}
    return BoothMap(held, owners, availability(fair, held))


# --- co-ops apply -------------------------------------------------------------------------------


@dataclass
class ApplicationData:
    booth_type_id: int | None
    contact_name: str
    contact_phone: str
    preferred_booth_id: int | None = None
    listing_ids: list[int] = field(default_factory=list)
    needs: str = ""
    join_waitlist: bool = False


def _check_application(fair: Fair, coop: Organization, data: ApplicationData) -> dict:
    errors: dict[str, object] = {}
    values: dict[str, object] = {}
    booth_type = db.session.get(BoothType, data.booth_type_id) if data.booth_type_id else None
    if booth_type is None or booth_type.fair_id != fair.id:
        errors["booth_type_id"] = _l("Choose one of this fair's booth types.")
    values["booth_type_id"] = data.booth_type_id
    name = " ".join((data.contact_name or "").split())[:120]
    if not name:
        errors["contact_name"] = _l("Name the person who will be at the booth.")
    values["contact_name"] = name
    try:
        values["contact_phone"] = normalise_vn_phone(data.contact_phone)
    except InvalidValue as exc:
        errors["contact_phone"] = exc.message
    values["needs"] = (data.needs or "").strip()[:500] or None
    preferred = db.session.get(Booth, data.preferred_booth_id) if data.preferred_booth_id else None
    if data.preferred_booth_id and (
        preferred is None
        or preferred.fair_id != fair.id
        or (booth_type and preferred.booth_type_id != booth_type.id)
    ):
        errors["preferred_booth_id"] = _l("Choose a booth of the booth type you apply for.")
    values["preferred_booth_id"] = preferred.id if preferred else None
    listings = (
        list(db.session.scalars(select(Listing).where(Listing.id.in_(set(data.listing_ids)))))
        if data.listing_ids
        else []
    )
    if len(listings) != len(set(data.listing_ids)) or any(
        x.organization_id != coop.id or x.status is not ListingStatus.PUBLISHED for x in listings
    ):
        errors["listing_ids"] = _l("Choose among your own published products.")
    values["listings"] = listings
    if errors:
        raise ValidationFailed(errors)
    return values


def _eligibility_problem(fair: Fair, coop: Organization) -> object | None:
    if not can_trade(coop):
        return _l("Only a verified co-op can apply to a fair. Finish your verification first.")
    day = today()
    if fair.status is not FairStatus.PUBLISHED:
        return _l("This fair is not open for applications.")
    if not fair.applications_open_on <= day <= fair.applications_close_on:
        return _l(
            "Applications for this fair are open from %(start)s to %(end)s.",
            start=fair.applications_open_on.strftime("%d/%m/%Y"),
            end=fair.applications_close_on.strftime("%d/%m/%Y"),
        )
    if fair.only_ocop and not any(c.kind.value == "ocop" for c in valid_certificates(coop.id)):
        return _l("This fair is for co-ops with a valid OCOP certificate.")
    if fair.eligible_provinces and coop.province_code not in fair.eligible_provinces.split(","):
        return _l("This fair is for co-ops from other provinces.")
    return None


def apply(actor: Actor, coop_id: int, fair_id: int, data: ApplicationData) -> FairApplication:
    """A verified co-op applies for a booth. A full booth type is refused unless the co-op
    asks to join the waitlist."""
    coop = _coop(actor, coop_id)
    fair = lock(Fair, fair_id)
    if fair is None or fair.status is FairStatus.DRAFT:
        raise NotFound("fair")
    problem = _eligibility_problem(fair, coop)
    if problem:
        raise ValidationFailed({"status": problem})
    existing = db.session.scalar(
        select(FairApplication.id).where(
            FairApplication.fair_id == fair.id,
            FairApplication.organization_id == coop.id,
            FairApplication.status.in_(ACTIVE),
        )
    )
    if existing:
        raise ValidationFailed({"status": _l("You have already applied to this fair.")})
    values = _check_application(fair, coop, data)
    full = not free_booths(fair, data.booth_type_id)
    if full and not data.join_waitlist:
        raise ValidationFailed(
            {"booth_type_id": _l("No booth of this type is left. You can join the waitlist.")}
        )
    listings = values.pop("listings")
    application = FairApplication(
        fair_id=fair.id,
        organization_id=coop.id,
        badge_code=secrets.token_urlsafe(12),
        status=A.WAITLISTED if full else A.SUBMITTED,
        **values,
    )
    application.listings = listings
    db.session.add(application)
    db.session.flush()
    audit.record(
        actor,
        "fair.apply",
        "fair_application",
        application.id,
        organization_id=coop.id,
        details={"fair_id": fair.id, "waitlisted": full},
    )
    notify_members(
        fair.organization_id,
        "fair_update",
        _FormattedSubject(_l("New application to %(fair)s"), fair),
        # It opens the application's review page: the co-op's profile beside the decision.
        endpoint="fairs.review_application",
        link_values={"application_id": application.id},
        fair=fair,
        application=application,
        event="applied",
    )
    db.session.flush()
    return application


def own_application(
    actor: Actor, coop_id: int, application_id: int, min_role: Role = Role.STAFF
) -> FairApplication:
    """An application of the actor's co-op; NotFound for another's (before the role is
    checked: another co-op's application is private)."""
    _coop(actor, coop_id, Role.STAFF)
    application = db.session.get(FairApplication, application_id)
    if application is None or application.organization_id != coop_id:
        raise NotFound("application")
    _coop(actor, coop_id, min_role)
    return application


def update_application(
    actor: Actor, coop_id: int, application_id: int, data: ApplicationData
) -> FairApplication:
    """Change an application until the organiser has reviewed it."""
    _coop(actor, coop_id)
    application = _locked_application(application_id)
    if application.organization_id != coop_id:
        raise NotFound("application")
    fair = application.fair
    if not fair.applications_open_on <= today() <= fair.applications_close_on:
        raise ValidationFailed({"status": _l("Applications for this fair are closed.")})
    if application.status is not A.SUBMITTED:
        raise ValidationFailed(
            {
                "status": _l(
                    "The organiser has reviewed this application; it can no longer be changed."
                )
            }
        )
    values = _check_application(application.fair, application.organization, data)
    application.listings = values.pop("listings")
    for name, value in values.items():
        setattr(application, name, value)
    audit.record(
        actor,
        "fair.application_update",
        "fair_application",
        application.id,
        organization_id=coop_id,
    )
    db.session.flush()
    return application


def withdraw(actor: Actor, coop_id: int, application_id: int) -> FairApplication:
    _coop(actor, coop_id)
    application = lock(FairApplication, application_id)
    if application is None or application.organization_id != coop_id:
        raise NotFound("application")
    _transition(application, "withdraw")
    audit.record(
        actor, "fair.withdraw", "fair_application", application.id, organization_id=coop_id
    )
    db.session.flush()
    return application


def refund_for(application: FairApplication, on: date) -> int:
    """The fair's rule: all of the paid fee back up to the full-refund date, nothing after."""
    if application.paid_at is None or not application.fee_amount:
        return 0
    limit = application.fair.full_refund_until
    return application.fee_amount if limit and on <= limit else 0


def cancel_booth(actor: Actor, coop_id: int, application_id: int) -> FairApplication:
    """The co-op gives up its booth; what is owed back is recorded for the payments ledger."""
    _coop(actor, coop_id)
    application = _locked_application(application_id)
    if application.organization_id != coop_id:
        raise NotFound("application")
    _transition(application, "cancel")
    application.refund_amount = refund_for(application, today())
    application.booth_id = None
    audit.record(
        actor,
        "fair.booth_cancel",
        "fair_application",
        application.id,
        organization_id=coop_id,
        details={"refund": application.refund_amount},
    )
    promoted = _promote_waitlist(application.fair, application.booth_type_id)
    if promoted is not None:
        _notify_application(promoted, "promoted")
    db.session.flush()
    return application


# --- organiser reviews ------------------------------------------------------------------------


def _locked_application(application_id: int) -> FairApplication:
    """The application, after locking its fair (all booth changes of a fair queue up here)."""
    fair_id = db.session.scalar(
        select(FairApplication.fair_id).where(FairApplication.id == application_id)
    )
    if fair_id is None:
        raise NotFound("application")
    lock(Fair, fair_id)
    application = lock(FairApplication, application_id)
    assert application is not None
    return application


def _organiser_application(actor: Actor, application_id: int) -> FairApplication:
    application = _locked_application(application_id)
    _organiser(actor, application.fair.organization_id)
    return application


def _hold(application: FairApplication, booth: Booth | None = None) -> None:
    """Hold a booth of the application's type: the given one, its preference, or the first free."""
    fair = application.fair
    free = free_booths(fair, application.booth_type_id)
    if booth is not None:
        if booth not in free:
            raise ValidationFailed({"booth_id": _l("This booth is not free.")})
        chosen = booth
    else:
        preferred = application.preferred_booth
        chosen = preferred if preferred in free else (free[0] if free else None)
    if chosen is None:
        raise ValidationFailed(
            {"status": _l("No booth of this type is free; put the application on the waitlist.")}
        )
    _transition(application, "accept")
    application.booth_id = chosen.id
    fair_gate.ensure_contact_badge(application)
    application.fee_amount = application.booth_type.fee
    application.fee_due_on = today() + timedelta(days=application.fair.payment_days)


def review(
    actor: Actor, application_id: int, action: str, note: str = "", booth_id: int | None = None
) -> FairApplication:
    """Accept (holding a booth and invoicing the fee), waitlist, or reject with a reason."""
    application = _organiser_application(actor, application_id)
    if action == "reject" and not (note or "").strip():
        raise ValidationFailed({"note": _l("Give the reason for the rejection.")})
    if action == "accept":
        booth = db.session.get(Booth, booth_id) if booth_id else None
        if booth_id and (booth is None or booth.fair_id != application.fair_id):
            raise ValidationFailed({"booth_id": _l("This booth is not free.")})
        _hold(application, booth)
    elif action in ("waitlist", "reject"):
        _transition(application, action)
    else:
        raise ApplicationTransitionNotAllowed(application.status, action)
    application.decision_note = (note or "").strip()[:2000] or None
    audit.record(
        actor,
        f"fair.{action}",
        "fair_application",
        application.id,
        organization_id=application.fair.organization_id,
        details={"booth_id": application.booth_id},
    )
    _notify_application(application, action)
    db.session.flush()
    return application


def move_booth(actor: Actor, application_id: int, booth_id: int) -> FairApplication:
    """Give an accepted or confirmed exhibitor another free booth of the same type."""
    application = _organiser_application(actor, application_id)
    if application.status not in BOOTH_HOLDING:
        raise ValidationFailed({"booth_id": _l("Only an accepted exhibitor has a booth to move.")})
    booth = db.session.get(Booth, booth_id)
    if (
        booth is None
        or booth.fair_id != application.fair_id
        or booth.booth_type_id != application.booth_type_id
        or booth not in free_booths(application.fair, application.booth_type_id)
    ):
        raise ValidationFailed({"booth_id": _l("This booth is not free.")})
    application.booth_id = booth.id
    audit.record(
        actor,
        "fair.move_booth",
        "fair_application",
        application.id,
        organization_id=application.fair.organization_id,
        details={"booth": booth.code},
    )
    db.session.flush()
    return application


def mark_paid(actor: Actor, application_id: int, bank_reference: str = "") -> FairApplication:
    """The organiser records the rest of the booth fee as received: a bank transfer to its
    account (``transfers.record_transfer``; without the bank's reference, one naming the
    application)."""
    from marketplace.services.payments.transfers import record_transfer

    application = _organiser_application(actor, application_id)
    if application.status is not A.ACCEPTED:
        _transition(application, "pay")  # refused with TransitionNotAllowed
    owed = (application.fee_amount or 0) - paid_so_far(PayableKind.FAIR_FEE, application_id)
    record_transfer(
        actor,
        PayableKind.FAIR_FEE,
        application_id,
        amount=str(max(owed, 0)),
        paid_on=today(),
        bank_reference=bank_reference or f"HTX-FEE-{application_id}",
    )
    return db.session.get(FairApplication, application_id)


def settle_fee(actor: Actor, application_id: int) -> None:
    """Payments now cover the fee: the booth is the co-op's (the caller holds the fair's
    lock); the co-op is told."""
    application = db.session.get(FairApplication, application_id)
    _transition(application, "pay")
    application.paid_at = utcnow()
    audit.record(
        actor,
        "fair.fee_paid",
        "fair_application",
        application.id,
        organization_id=application.fair.organization_id,
        details={"amount": application.fee_amount},
    )
    _notify_application(application, "paid")


def reopen_fee(actor: Actor, application_id: int) -> None:
    """The booth fee's payment was reversed: the booth is held again, fee due (payments
    service, under the fair's lock)."""
    application = db.session.get(FairApplication, application_id)
    if application.status is not A.CONFIRMED:
        return
    _transition(application, "reopen")
    application.paid_at = None
    audit.record(
        actor,
        "fair.fee_reopened",
        "fair_application",
        application.id,
        organization_id=application.fair.organization_id,
    )


def _promote_waitlist(fair: Fair, booth_type_id: int) -> FairApplication | None:
    """Give a freed booth to the first waitlisted application of its type (fair locked).

    Not once the fair has started: a booth offered then could not be paid and set up."""
    if fair.status is not FairStatus.PUBLISHED or today() >= fair.starts_on:
        return None
    if not free_booths(fair, booth_type_id):
        return None
    first = db.session.scalar(
        select(FairApplication)
        .where(
            FairApplication.fair_id == fair.id,
            FairApplication.booth_type_id == booth_type_id,
            FairApplication.status == A.WAITLISTED,
        )
        .order_by(FairApplication.status_changed_at, FairApplication.id)
        .limit(1)
    )
    if first is not None:
        _hold(first)
        audit.record(
            Actor.system(),
            "fair.promote",
            "fair_application",
            first.id,
            organization_id=fair.organization_id,
        )
    return first


def expire_overdue(fair_id: int, on: date | None = None) -> list[FairApplication]:
    """Release unpaid holds whose due date has passed and offer each booth to the waitlist.

    Safe to call from any request or from `flask fairs expire`: it takes the fair's lock."""
    day = on or today()
    due = db.session.scalar(
        select(func.count()).where(
            FairApplication.fair_id == fair_id,
            FairApplication.status == A.ACCEPTED,
            FairApplication.fee_due_on < day,
        )
    )
    if not due:  # the usual case: a page view reads, it does not lock or write
        return []
    fair = lock(Fair, fair_id)
    if fair is None:
        return []
    overdue = list(
        db.session.scalars(
            select(FairApplication).where(
                FairApplication.fair_id == fair.id,
                FairApplication.status == A.ACCEPTED,
                FairApplication.fee_due_on < day,
            )
        )
    )
    for application in overdue:
        _transition(application, "expire")
        application.booth_id = None
        audit.record(
            Actor.system(),
            "fair.expire",
            "fair_application",
            application.id,
            organization_id=fair.organization_id,
        )
        _notify_application(application, "expired")
        db.session.flush()
        promoted = _promote_waitlist(fair, application.booth_type_id)
        if promoted is not None:
            _notify_application(promoted, "promoted")
    db.session.flush()
    return overdue


def cancel_fair(actor: Actor, fair_id: int, reason: str) -> Fair:
    """The organiser cancels the fair: every applicant is told; paid fees are owed back."""
    fair = own_fair(actor, fair_id, Role.MANAGER)
    if not (reason or "").strip():
        raise ValidationFailed({"reason": _l("Say why the fair is cancelled.")})
    lock(Fair, fair.id)
    if fair.status is FairStatus.CANCELLED:
        raise ValidationFailed({"reason": _l("This fair is already cancelled.")})
    fair.status = FairStatus.CANCELLED
    for application in db.session.scalars(
        select(FairApplication).where(
            FairApplication.fair_id == fair.id, FairApplication.status.in_(ACTIVE)
        )
    ):
        paid = application.paid_at is not None
        _transition(application, "fair_cancelled")
        application.refund_amount = application.fee_amount if paid else 0
        application.booth_id = None
        application.decision_note = reason.strip()[:2000]
        _notify_application(application, "fair_cancelled")
    audit.record(
        actor,
        "fair.cancel",
        "fair",
        fair.id,
        organization_id=fair.organization_id,
        details={"reason": reason.strip()[:500]},
    )
    db.session.flush()
    return fair


# --- badges and check-in ------------------------------------------------------------------------


def arrivals(actor: Actor, fair_id: int) -> tuple[int, int]:
    """(checked in, confirmed exhibitors) of one of the actor's fairs; an exhibitor is checked in
    once any of its badges is (``fair_gate.scan``)."""
    fair = own_fair(actor, fair_id)
    confirmed = db.session.scalar(
        select(func.count()).where(
            FairApplication.fair_id == fair.id, FairApplication.status == A.CONFIRMED
        )
    )
    arrived = db.session.scalar(
        select(func.count()).where(
            FairApplication.fair_id == fair.id,
            FairApplication.status == A.CONFIRMED,
            FairApplication.checked_in_at.is_not(None),
        )
    )
    return arrived or 0, confirmed or 0


# --- reading ------------------------------------------------------------------------------------


def applications_of_fair(actor: Actor, fair_id: int) -> list[FairApplication]:
    """Every application to one of the actor's fairs (any member of the organiser)."""
    return _applications_of_fair(own_fair(actor, fair_id))


def _applications_of_fair(fair: Fair) -> list[FairApplication]:
    return list(
        db.session.scalars(
            select(FairApplication)
            .where(FairApplication.fair_id == fair.id)
            .options(
                selectinload(FairApplication.organization),
                selectinload(FairApplication.booth),
                selectinload(FairApplication.booth_type),
                # The exhibitor catalogue shows each one's products: loaded with the rest,
                # not one query per exhibitor.
                selectinload(FairApplication.listings),
            )
            .order_by(FairApplication.created_at)
        )
    )


@dataclass(frozen=True)
class Exhibition:
    """What anyone may see of a published fair's applications."""

    booth_map: BoothMap
    #: Confirmed exhibitors, with their products.
    exhibitors: list[FairApplication]


def exhibition(fair: Fair) -> Exhibition:
    """The public side of a published fair: the booth map (booths held or taken, the
    exhibitor's name on a taken one) and the confirmed exhibitors; nothing about the other
    applications."""
    if fair.status is FairStatus.DRAFT:
        raise NotFound("fair")
    applications = _applications_of_fair(fair)
    return Exhibition(
        booth_map(fair, applications),
        [a for a in applications if a.status is A.CONFIRMED],
    )


def fair_of_application(actor: Actor, application_id: int) -> int:
    """The fair an application is for, if the actor organises it; NotFound otherwise."""
    fair_id = db.session.scalar(
        select(FairApplication.fair_id).where(FairApplication.id == application_id)
    )
    if fair_id is None:
        raise NotFound("application")
    own_fair(actor, fair_id)
    return fair_id


def public_fair(slug: str) -> Fair:
    fair = db.session.scalar(
        select(Fair)
        .where(Fair.slug == slug[:100])
        .options(selectinload(Fair.booth_types), selectinload(Fair.booths))
    )
    if fair is None or fair.status is FairStatus.DRAFT:
        raise NotFound("fair")
    return fair


def upcoming_fairs(limit: int = 20) -> list[Fair]:
    return list(
        db.session.scalars(
            select(Fair)
            .where(Fair.status == FairStatus.PUBLISHED, Fair.ends_on >= today())
            .order_by(Fair.starts_on)
            .limit(limit)
        )
    )


def fairs_of(actor: Actor, organization_id: int) -> list[Fair]:
    """An organiser's fairs, drafts included, for its members."""
    _organiser(actor, organization_id, Role.STAFF)
    return list(
        db.session.scalars(
            select(Fair)
            .where(Fair.organization_id == organization_id)
            .order_by(Fair.starts_on.desc())
        )
    )


def applications_of_coop(actor: Actor, coop_id: int) -> list[FairApplication]:
    """A co-op's applications to fairs, for its members."""
    _coop(actor, coop_id, Role.STAFF)
    return list(
        db.session.scalars(
            select(FairApplication)
            .where(FairApplication.organization_id == coop_id)
            .options(selectinload(FairApplication.fair), selectinload(FairApplication.booth))
            .order_by(FairApplication.created_at.desc())
        )
    )


# --- notifications ------------------------------------------------------------------------------


_SUBJECTS = {
    "accept": _l("Your booth at %(fair)s is reserved: please pay the fee"),
    "promoted": _l("A booth at %(fair)s is now yours to take: please pay the fee"),
    "waitlist": _l("You are on the waitlist for %(fair)s"),
    "reject": _l("Your application to %(fair)s was not accepted"),
    "paid": _l("Your booth at %(fair)s is confirmed"),
    "expired": _l("Your booth hold at %(fair)s has expired"),
    "fair_cancelled": _l("%(fair)s is cancelled"),
}


def _notify_application(application: FairApplication, event: str) -> None:
    fair = application.fair
    # The notice opens where the co-op acts on it: the pay page for a booth awaiting its fee,
    # the badges page once it is paid, its fair applications (status, refund) for the rest.
    # A booth awaiting its fee: the email carries the fee invoice (PDF).
    attach: list[dict] = []
    if event in ("accept", "promoted"):
        endpoint = "payments.pay"
        values: dict = {"kind": PayableKind.FAIR_FEE.value, "payable_id": application.id}
        attach = [{"kind": "fair_fee", "id": application.id}]
    elif event == "paid":
        # The booth is the co-op's: next it names its staff and prints their badges.
        endpoint = "fairs.badges"
        values = {"org_id": application.organization_id, "application_id": application.id}
    else:
        endpoint = "fairs.my_applications"
        values = {"org_id": application.organization_id}
    notify_members(
        application.organization_id,
        "fair_update",
        _FormattedSubject(_SUBJECTS[event], fair),
        endpoint=endpoint,
        attach=attach,
        link_values=values,
        fair=fair,
        application=application,
        event=event,
    )


class _FormattedSubject:
    """A translatable subject with the fair's name filled in when rendered, both in the
    language the email or notification is being rendered in."""

    def __init__(self, message, fair: Fair):
        self.message = message
        self.fair = fair

    def __str__(self) -> str:
        return str(self.message) % {"fair": self.fair.name(str(get_locale()))}


def paid_fees(applications: Iterable[FairApplication]) -> int:
    return sum(a.fee_amount or 0 for a in applications if a.paid_at)


def public_fair_by_id(fair_id: int) -> Fair:
    fair = db.session.get(Fair, fair_id)
    if fair is None or fair.status is FairStatus.DRAFT:
        raise NotFound("fair")
    return fair


EXPORT_KINDS = ("exhibitors", "booths", "payments")


def export_csv(actor: Actor, fair_id: int, kind: str) -> str:
    """Exhibitors, booths or payments of one's own fair, as a CSV for Excel."""
    fair = own_fair(actor, fair_id)
    if kind not in EXPORT_KINDS:
        raise NotFound("export")
    applications = _applications_of_fair(fair)
    if kind == "exhibitors":
        return excel_csv(
            ["co-op", "booth", "booth type", "contact", "phone", "status", "checked in"],
            (
                [
                    a.organization.name,
                    a.booth.code if a.booth else "",
                    a.booth_type.name,
                    a.contact_name,
                    a.contact_phone,
                    a.status.value,
                    a.checked_in_at.isoformat() if a.checked_in_at else "",
                ]
                for a in applications
            ),
        )
    if kind == "booths":
        holders = {a.booth_id: a for a in applications if a.booth_id and a.status in BOOTH_HOLDING}

        def state(holder: FairApplication | None) -> str:
            if holder is None:
                return "free"
            return "taken" if holder.status is A.CONFIRMED else "held"

        return excel_csv(
            ["booth", "booth type", "fee", "state", "co-op"],
            (
                [
                    booth.code,
                    booth.booth_type.name,
                    booth.booth_type.fee,
                    state(holders.get(booth.id)),
                    holders[booth.id].organization.name if booth.id in holders else "",
                ]
                for booth in fair.booths
            ),
        )
    return excel_csv(
        ["co-op", "booth", "fee", "due", "paid at", "refund"],
        (
            [
                a.organization.name,
                a.booth.code if a.booth else "",
                a.fee_amount,
                a.fee_due_on.isoformat() if a.fee_due_on else "",
                a.paid_at.isoformat() if a.paid_at else "",
                a.refund_amount or "",
            ]
            for a in applications
            if a.fee_amount
        ),
    )


# --- booth fees as payables --------------------------------------------------------------------


class FairFeePayables:
    """Booth fees of accepted applications as payables (co-op → organiser); registered by
    ``create_app``. Paying one confirms the booth (``settle_fee``)."""

    kind = PayableKind.FAIR_FEE

    def find(self, payable_id: int) -> Payable | None:
        application = db.session.get(FairApplication, payable_id)
        if application is None or application.fee_amount is None:
            return None
        fair = application.fair
        return Payable(
            self.kind,
            application.id,
            application.fee_amount,
            application.organization_id,
            fair.organization_id,
            fair.name_vi,
            application.status is A.ACCEPTED,
            page=Link("fairs.my_applications", {"org_id": application.organization_id}),
            label=fair.name_vi,
            heading=_l("Pay the booth fee"),
            notice_page=Link("payments.pay", {"kind": self.kind.value, "payable_id": payable_id}),
            payee_page=Link("fairs.review_application", {"application_id": application.id}),
            due_on=application.fee_due_on,
        )

    def lock(self, payable_id: int) -> None:
        # The fair's lock serialises every change that gives or takes a booth.
        application = db.session.get(FairApplication, payable_id)
        if application is None:
            raise NotFound("fair fee")
        lock(Fair, application.fair_id)
        lock(FairApplication, payable_id)

    def settle(self, actor: Actor, payable_id: int) -> None:
        settle_fee(actor, payable_id)

    def reopen(self, actor: Actor, payable_id: int) -> None:
        reopen_fee(actor, payable_id)

    def states(self):
        for application in db.session.scalars(
            select(FairApplication).where(FairApplication.fee_amount.is_not(None))
        ):
            yield PayableState(
                application.id,
                f"fair fee {application.id}",
                application.fee_amount or 0,
                settled=application.paid_at is not None,
                awaiting=application.paid_at is None and application.status is A.ACCEPTED,
            )
