"""Badges and the gate of a fair: a badge per person (the contact person's and each named
staff member's), the check-in by scan or typed code, and who is present.

A badge has a short code a gate volunteer can type (``CODE_ALPHABET``: no 0/O, 1/I/L) and a
QR code of its gate page's absolute URL. It works only for a confirmed application (fee paid)
and until it is revoked.

Every scan is recorded (``Scan``), once per phone's ``client_scan_id``: a phone that was
offline sends its queue later, maybe twice, and the same scan is answered with its first
result. The badge is checked in under its row lock, so two gates scanning one badge at once
give one "checked_in" and one "duplicate".
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from marketplace.extensions import db
from marketplace.models import (
    ApplicationStatus,
    Badge,
    Fair,
    FairApplication,
    OrgKind,
    Role,
    Scan,
)
from marketplace.models._types import utcnow
from marketplace.services import audit
from marketplace.services.context import Actor
from marketplace.services.errors import NotFound, ValidationFailed
from marketplace.services.locking import lock
from marketplace.services.permissions import member_of
from marketplace.spreadsheets import excel_csv
from marketplace.validation import InvalidValue, normalise_vn_phone, strip_control
from marketplace.vietnam import VN_TZ, today

#: Characters of a badge code: digits and capitals without look-alikes (0/O, 1/I/L).
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 7
#: Codes of 6 to 8 characters are read (older or future lengths), nothing else.
_READABLE = re.compile(f"^[{CODE_ALPHABET}]{{6,8}}$")
_ATTEMPTS = 8

CHECKED_IN = "checked_in"
DUPLICATE = "duplicate"
UNKNOWN = "unknown"
OTHER_FAIR = "other_fair"
REVOKED = "revoked"
OUTSIDE_DATES = "outside_dates"
RESULTS = (CHECKED_IN, DUPLICATE, UNKNOWN, OTHER_FAIR, REVOKED, OUTSIDE_DATES)

#: A queued scan may arrive this long after it was made; an older or future time is not
#: believed, and the time it arrived is used instead.
QUEUE_MAX_AGE = timedelta(days=3)
CLOCK_SKEW = timedelta(minutes=10)


# --- codes ------------------------------------------------------------------------------------


def new_code() -> str:
    """A random badge code (7 characters: 31⁷ ≈ 27 billion codes)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def grouped(code: str) -> str:
    """The code as it is printed and read aloud: "ABC-DEFG"."""
    return f"{code[:3]}-{code[3:]}" if len(code) > 4 else code


def normalise_code(read: str | None) -> str | None:
    """The badge code in what was typed ("abc-defg", " ABC DEFG ") or scanned (the badge's
    URL), or None when it cannot be one."""
    text = (read or "")[:2000].strip()
    if "/" in text:  # a whole scanned URL: its last path segment
        text = text.split("#", 1)[0].split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    text = re.sub(r"[\s\-–—_.]+", "", text).upper()
    return text if _READABLE.match(text) else None


def _add_badge(badge: Badge) -> Badge:
    """Insert a badge with a fresh code; a code taken meanwhile (the unique constraint) is
    undone in its savepoint and another drawn."""
    for _attempt in range(_ATTEMPTS):
        badge.code = new_code()
        try:
            with db.session.begin_nested():
                db.session.add(badge)
        except IntegrityError:
            continue
        return badge
    raise RuntimeError("no free badge code after several attempts")  # pragma: no cover


def ensure_contact_badge(application: FairApplication) -> Badge:
    """The contact person's badge of an application holding a booth, made once (called when
    it is accepted; the caller holds the application's lock)."""
    found = db.session.scalar(
        select(Badge).where(Badge.application_id == application.id, Badge.is_contact)
    )
    if found is not None:
        return found
    return _add_badge(
        Badge(
            fair_id=application.fair_id,
            application_id=application.id,
            name=application.contact_name,
            phone=application.contact_phone,
            is_contact=True,
        )
    )


# --- the co-op names its people -----------------------------------------------------------------


#: Statuses whose badges can be named: the booth is held (fee due) or owned.
_NAMEABLE = (ApplicationStatus.ACCEPTED, ApplicationStatus.CONFIRMED)


def badge_valid(badge: Badge) -> bool:
    """A badge opens the gate: not revoked, and its application's fee is paid."""
    return badge.revoked_at is None and badge.application.status is ApplicationStatus.CONFIRMED


@dataclass(frozen=True)
class Badges:
    """An application's badges as its co-op sees them."""

    application: FairApplication
    badges: list[Badge]
    #: Staff badges the booth type includes, and how many are named (not revoked).
    staff_allowed: int
    staff_named: int
    #: The badges open the gate (the fee is paid).
    valid: bool
    #: More staff may be named now.
    can_add: bool


def _coop_application(
    actor: Actor, coop_id: int, application_id: int, role: Role = Role.STAFF
) -> FairApplication:
    member_of(actor, coop_id, Role.STAFF, OrgKind.COOP)
    application = db.session.get(FairApplication, application_id)
    if application is None or application.organization_id != coop_id:
        raise NotFound("application")
    member_of(actor, coop_id, role, OrgKind.COOP)
    return application


def _active(badges: Iterable[Badge]) -> list[Badge]:
    return [b for b in badges if b.revoked_at is None]


def badges_of_application(actor: Actor, coop_id: int, application_id: int) -> Badges:
    """The badges of one of the co-op's applications holding or owning a booth (any member)."""
    application = _coop_application(actor, coop_id, application_id)
    if application.status not in _NAMEABLE:
        raise NotFound("badges")
    badges = list(
        db.session.scalars(
            select(Badge)
            .where(Badge.application_id == application.id)
            .order_by(Badge.is_contact.desc(), Badge.revoked_at.is_not(None), Badge.id)
        )
    )
    named = sum(1 for b in _active(badges) if not b.is_contact)
    allowed = application.booth_type.staff_badges
    return Badges(
        application,
        badges,
        allowed,
        named,
        application.status is ApplicationStatus.CONFIRMED,
        named < allowed,
    )


def _person(name: str, phone: str) -> tuple[str, str | None]:
    errors: dict[str, object] = {}
    clean = " ".join((name or "").split())[:120]
    if not clean:
        errors["name"] = _l("Write the person's full name, as on the badge.")
    number = None
    if (phone or "").strip():
        try:
            number = normalise_vn_phone(phone)
        except InvalidValue as exc:
            errors["phone"] = exc.message
    if errors:
        raise ValidationFailed(errors)
    return clean, number


def add_staff_badge(
    actor: Actor, coop_id: int, application_id: int, name: str, phone: str = ""
) -> Badge:
    """Name one more staff member, up to the booth type's staff badges (owner or manager)."""
    application = _coop_application(actor, coop_id, application_id, Role.MANAGER)
    application = lock(FairApplication, application.id)  # one count at a time
    if application.status not in _NAMEABLE:
        raise ValidationFailed({"name": _l("Badges are for a booth that is held or confirmed.")})
    clean, number = _person(name, phone)
    named = db.session.scalar(
        select(func.count()).where(
            Badge.application_id == application.id,
            Badge.is_contact.is_(False),
            Badge.revoked_at.is_(None),
        )
    )
    allowed = application.booth_type.staff_badges
    if (named or 0) >= allowed:
        raise ValidationFailed(
            {
                "name": _l(
                    "Your booth includes %(count)s staff badges and all of them are named. "
                    "Revoke one to name someone else.",
                    count=allowed,
                )
            }
        )
    badge = _add_badge(
        Badge(
            fair_id=application.fair_id,
            application_id=application.id,
            name=clean,
            phone=number,
            is_contact=False,
        )
    )
    audit.record(
        actor,
        "fair.badge_add",
        "fair_badge",
        badge.id,
        organization_id=coop_id,
        details={"application_id": application.id},
    )
    db.session.flush()
    return badge


def _own_staff_badge(actor: Actor, coop_id: int, badge_id: int) -> Badge:
    member_of(actor, coop_id, Role.STAFF, OrgKind.COOP)
    badge = lock(Badge, badge_id)
    if badge is None or badge.application.organization_id != coop_id:
        raise NotFound("badge")
    member_of(actor, coop_id, Role.MANAGER, OrgKind.COOP)
    if badge.is_contact:
        raise ValidationFailed(
            {"name": _l("The contact person's badge follows the application; it is not edited.")}
        )
    if badge.revoked_at is not None:
        raise ValidationFailed({"name": _l("This badge is revoked.")})
    return badge


def own_staff_badge(actor: Actor, coop_id: int, badge_id: int) -> Badge:
    """A staff badge of the co-op that can still be changed (owner or manager)."""
    return _own_staff_badge(actor, coop_id, badge_id)


def update_staff_badge(
    actor: Actor, coop_id: int, badge_id: int, name: str, phone: str = ""
) -> Badge:
    badge = _own_staff_badge(actor, coop_id, badge_id)
    badge.name, badge.phone = _person(name, phone)
    audit.record(actor, "fair.badge_update", "fair_badge", badge.id, organization_id=coop_id)
    db.session.flush()
    return badge


def revoke_badge(actor: Actor, coop_id: int, badge_id: int) -> Badge:
    """A staff badge stops opening the gate (lost, or the person does not come); its place
    can be given to someone else."""
    badge = _own_staff_badge(actor, coop_id, badge_id)
    badge.revoked_at = utcnow()
    audit.record(actor, "fair.badge_revoke", "fair_badge", badge.id, organization_id=coop_id)
    db.session.flush()
    return badge


# --- badge sheets --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BadgeCard:
    """One badge of a printed sheet."""

    badge: Badge
    fair: Fair
    coop_name: str
    booth_code: str


def _cards(badges: Iterable[Badge]) -> list[BadgeCard]:
    return [
        BadgeCard(
            b,
            b.application.fair,
            b.application.organization.name,
            b.application.booth.code if b.application.booth else "",
        )
        for b in badges
    ]


def sheet_of_application(actor: Actor, coop_id: int, application_id: int) -> list[BadgeCard]:
    """The co-op's badges of one booth to print (not the revoked ones)."""
    view = badges_of_application(actor, coop_id, application_id)
    return _cards(_active(view.badges))


def _own_fair(actor: Actor, fair_id: int) -> Fair:
    fair = db.session.get(Fair, fair_id)
    if fair is None:
        raise NotFound("fair")
    member_of(actor, fair.organization_id, Role.STAFF, OrgKind.FAIR_ORGANIZER)
    return fair


def sheet_of_fair(actor: Actor, fair_id: int) -> list[BadgeCard]:
    """Every valid badge of one of the organiser's fairs, by booth."""
    fair = _own_fair(actor, fair_id)
    badges = db.session.scalars(
        select(Badge)
        .join(FairApplication, Badge.application_id == FairApplication.id)
        .where(
            Badge.fair_id == fair.id,
            Badge.revoked_at.is_(None),
            FairApplication.status == ApplicationStatus.CONFIRMED,
        )
        .options(
            selectinload(Badge.application).selectinload(FairApplication.organization),
            selectinload(Badge.application).selectinload(FairApplication.booth),
        )
    )
    cards = _cards(badges)
    cards.sort(key=lambda c: (c.booth_code, c.coop_name, not c.badge.is_contact, c.badge.id))
    return cards


# --- the gate ---------------------------------------------------------------------------------


def gate_fair(actor: Actor, fair_id: int) -> Fair:
    """A fair whose gate the actor keeps: any member of its organiser."""
    return _own_fair(actor, fair_id)


def fair_days(fair: Fair) -> tuple[date, date]:
    return fair.starts_on, fair.ends_on


@dataclass(frozen=True)
class GateCard:
    """What the gate sees of a code before checking it in."""

    fair: Fair
    code: str | None
    badge: Badge | None
    #: The result a scan would give now ("checked_in" when it can be checked in).
    state: str
    first_gate: str | None


def _state(fair: Fair, badge: Badge | None, day: date, allow_outside: bool) -> str:
    if badge is None:
        return UNKNOWN
    if badge.fair_id != fair.id:
        return OTHER_FAIR
    if not badge_valid(badge):
        return REVOKED
    if badge.checked_in_at is not None:
        return DUPLICATE
    if not allow_outside and not fair.starts_on <= day <= fair.ends_on:
        return OUTSIDE_DATES
    return CHECKED_IN


def _first_gate(badge: Badge | None) -> str | None:
    if badge is None or badge.checked_in_at is None:
        return None
    return db.session.scalar(
        select(Scan.device)
        .where(Scan.badge_id == badge.id, Scan.result == CHECKED_IN)
        .order_by(Scan.id)
        .limit(1)
    )


def gate_card(actor: Actor, fair_id: int, read: str) -> GateCard:
    """Who a code or scanned URL is, for the gate of one of the actor's fairs; reads only."""
    fair = _own_fair(actor, fair_id)
    code = normalise_code(read)
    badge = db.session.scalar(select(Badge).where(Badge.code == code)) if code else None
    state = _state(fair, badge, today(), allow_outside=False)
    if state == OTHER_FAIR:
        badge = None  # another organiser's exhibitor is none of this gate's business
    return GateCard(fair, code, badge, state, _first_gate(badge))


@dataclass(frozen=True)
class ScanOutcome:
    scan: Scan
    badge: Badge | None
    #: The same scan was sent before: this is its first answer, nothing changed now.
    replayed: bool
    #: The gate that checked the badge in first (for a duplicate).
    first_gate: str | None

    @property
    def result(self) -> str:
        return self.scan.result


def _believed(scanned_at: datetime | None, now: datetime) -> datetime:
    if scanned_at is None:
        return now
    if scanned_at.tzinfo is None:
        return now
    if not now - QUEUE_MAX_AGE <= scanned_at <= now + CLOCK_SKEW:
        return now
    return min(scanned_at, now)


def _outcome(scan: Scan, replayed: bool) -> ScanOutcome:
    badge = db.session.get(Badge, scan.badge_id) if scan.badge_id else None
    if scan.result == OTHER_FAIR:
        badge = None
    return ScanOutcome(scan, badge, replayed, _first_gate(badge))


def scan(
    actor: Actor,
    fair_id: int,
    read: str,
    *,
    client_scan_id: str | None = None,
    device: str | None = None,
    scanned_at: datetime | None = None,
    allow_outside_dates: bool = False,
) -> ScanOutcome:
    """Record one scan at the gate of one of the actor's fairs and check the badge in.

    The same ``client_scan_id`` sent again (a queue replayed) answers with the first result and
    changes nothing. The badge is checked in under its row lock: the first scan checks it in,
    the next are duplicates. A revoked badge, one of an unpaid or cancelled booth, one of
    another fair or a code no badge has is refused; outside the fair's days (Vietnam time, the
    day it was scanned) too, unless the organiser allows it (audited)."""
    fair = _own_fair(actor, fair_id)
    read = strip_control(read or "") or ""
    device = strip_control(device)
    client_scan_id = (strip_control(client_scan_id) or "").strip()[:64] or None
    now = utcnow()
    when = _believed(scanned_at, now)
    if client_scan_id:
        first = db.session.scalar(
            select(Scan).where(Scan.fair_id == fair.id, Scan.client_scan_id == client_scan_id)
        )
        if first is not None:
            return _outcome(first, replayed=True)
    row = Scan(
        fair_id=fair.id,
        read=(read or "")[:60],
        client_scan_id=client_scan_id,
        device=" ".join((device or "").split())[:60] or None,
        result=UNKNOWN,
        scanned_at=when,
        received_at=now,
        by_user_id=actor.user_id,
    )
    try:
        # Two copies of one queued scan at once: the second waits on the unique key, then
        # reads the first's answer.
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        first = db.session.scalar(
            select(Scan).where(Scan.fair_id == fair.id, Scan.client_scan_id == client_scan_id)
        )
        if first is None:  # pragma: no cover - the winner's row must be there
            raise
        return _outcome(first, replayed=True)

    code = normalise_code(read)
    badge_id = db.session.scalar(select(Badge.id).where(Badge.code == code)) if code else None
    badge = lock(Badge, badge_id)
    day = when.astimezone(VN_TZ).date()
    row.result = _state(fair, badge, day, allow_outside_dates)
    row.badge_id = badge.id if badge is not None else None
    if row.result == CHECKED_IN:
        assert badge is not None
        outside = not fair.starts_on <= day <= fair.ends_on
        badge.checked_in_at = when
        badge.checked_in_by_id = actor.user_id
        application = lock(FairApplication, badge.application_id)
        assert application is not None
        if application.checked_in_at is None:  # the exhibitor is present
            application.checked_in_at = when
        details: dict[str, object] = {"badge_id": badge.id, "device": row.device}
        if outside:
            details["outside_dates"] = True
            audit.record(
                actor,
                "fair.check_in_outside_dates",
                "fair",
                fair.id,
                organization_id=fair.organization_id,
                details={"badge_id": badge.id, "day": day.isoformat()},
            )
        audit.record(
            actor,
            "fair.check_in",
            "fair_application",
            application.id,
            organization_id=fair.organization_id,
            details=details,
        )
    db.session.flush()
    return _outcome(row, replayed=False)


# --- attendance --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonAttendance:
    badge: Badge
    gate: str | None


@dataclass(frozen=True)
class ExhibitorAttendance:
    application: FairApplication
    people: list[PersonAttendance]

    @property
    def present(self) -> bool:
        return any(p.badge.checked_in_at for p in self.people)

    @property
    def first_in(self) -> datetime | None:
        times = [p.badge.checked_in_at for p in self.people if p.badge.checked_in_at]
        return min(times) if times else None


@dataclass(frozen=True)
class Attendance:
    fair: Fair
    exhibitors: list[ExhibitorAttendance]

    @property
    def present(self) -> int:
        return sum(1 for e in self.exhibitors if e.present)

    @property
    def people_in(self) -> int:
        return sum(1 for e in self.exhibitors for p in e.people if p.badge.checked_in_at)

    @property
    def people(self) -> int:
        return sum(len(e.people) for e in self.exhibitors)


def attendance(actor: Actor, fair_id: int) -> Attendance:
    """Every confirmed exhibitor of one of the actor's fairs, present when any of its badges
    is checked in, with each person's badge, time and gate."""
    fair = _own_fair(actor, fair_id)
    applications = list(
        db.session.scalars(
            select(FairApplication)
            .where(
                FairApplication.fair_id == fair.id,
                FairApplication.status == ApplicationStatus.CONFIRMED,
            )
            .options(
                selectinload(FairApplication.organization), selectinload(FairApplication.booth)
            )
        )
    )
    badges = list(
        db.session.scalars(
            select(Badge)
            .where(Badge.fair_id == fair.id, Badge.revoked_at.is_(None))
            .order_by(Badge.is_contact.desc(), Badge.id)
        )
    )
    gates = dict(
        db.session.execute(
            select(Scan.badge_id, Scan.device)
            .where(Scan.fair_id == fair.id, Scan.result == CHECKED_IN)
            .order_by(Scan.id.desc())
        ).all()
    )
    by_application: dict[int, list[PersonAttendance]] = {}
    for badge in badges:
        by_application.setdefault(badge.application_id, []).append(
            PersonAttendance(badge, gates.get(badge.id))
        )
    exhibitors = [ExhibitorAttendance(a, by_application.get(a.id, [])) for a in applications]
    exhibitors.sort(
        key=lambda e: (e.application.booth.code if e.application.booth else "~", e.application.id)
    )
    return Attendance(fair, exhibitors)


def attendance_csv(actor: Actor, fair_id: int) -> str:
    """One row per person: co-op, booth, present, name, badge code, checked in at, gate."""
    view = attendance(actor, fair_id)

    def moment(value: datetime | None) -> str:
        return value.astimezone(VN_TZ).strftime("%Y-%m-%d %H:%M") if value else ""

    return excel_csv(
        ["co-op", "booth", "exhibitor present", "person", "badge", "checked in at", "gate"],
        (
            [
                e.application.organization.name,
                e.application.booth.code if e.application.booth else "",
                "yes" if e.present else "no",
                p.badge.name,
                grouped(p.badge.code),
                moment(p.badge.checked_in_at),
                p.gate or "",
            ]
            for e in view.exhibitors
            for p in (e.people or [None])
            if p is not None
        ),
    )
