"""Reviewing fair applications with the co-op in view, one by one or many at once.

The review page reads the co-op's verified profile, its certificates (OCOP stars, valid or
expired), the products it chose to show, its preferred booth on the floor plan and its other
fairs. Bulk decisions run the same rules as one decision (``fairs.review``, which audits and
tells the co-op) for each application in its own savepoint: one that cannot be decided is
reported by name and left as it was, the others are done.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.extensions import db
from marketplace.models import (
    ApplicationStatus,
    Booth,
    Fair,
    FairApplication,
    Listing,
    ListingStatus,
    Organization,
    Role,
)
from marketplace.models.fairs import Badge
from marketplace.models.organizations import VerificationStatus
from marketplace.models.verification import Certificate
from marketplace.services import fairs
from marketplace.services.context import Actor
from marketplace.services.errors import (
    NotFound,
    PermissionDenied,
    TransitionNotAllowed,
    ValidationFailed,
)
from marketplace.vietnam import today

A = ApplicationStatus
#: What an organiser may decide from the review page and the list.
ACTIONS = ("accept", "waitlist", "reject")
#: Applications that still await a decision.
UNDECIDED = (A.SUBMITTED, A.WAITLISTED)


@dataclass(frozen=True)
class CertificateRow:
    certificate: Certificate
    valid: bool


@dataclass(frozen=True)
class OtherFair:
    """One of the co-op's applications to an earlier fair, and how it ended."""

    application: FairApplication
    fair: Fair
    #: "attended" (checked in with a badge), or the application's status value.
    outcome: str


@dataclass(frozen=True)
class ReviewView:
    application: FairApplication
    fair: Fair
    coop: Organization
    certificates: list[CertificateRow]
    #: The products the co-op chose to show that are still published.
    listings: list[Listing]
    preferred_booth: Booth | None
    #: Whether the preferred booth is still free (not held by anyone).
    preferred_free: bool
    #: Free booths of the application's booth type, to hold on acceptance.
    free_booths: list[Booth]
    held: set[int]
    owners: dict[int, str]
    with_this_organiser: list[OtherFair]
    elsewhere: list[OtherFair]
    #: The actions its current status allows (of ACTIONS); none for the organiser's staff,
    #: who may look but not decide.
    actions: list[str]


def allowed_actions(application: FairApplication) -> list[str]:
    return [a for a in ACTIONS if (application.status, a) in fairs.APPLICATION_TRANSITIONS]


def _application(actor: Actor, application_id: int) -> FairApplication:
    """The application, if the actor is a member of the fair's organiser; NotFound otherwise."""
    application = db.session.get(FairApplication, application_id)
    if application is None:
        raise NotFound("application")
    fairs.own_fair(actor, application.fair_id)
    return application


def _attended(application_ids: list[int]) -> set[int]:
    """Applications of which at least one person was checked in at the gate."""
    if not application_ids:
        return set()
    return set(
        db.session.scalars(
            select(Badge.application_id).where(
                Badge.application_id.in_(application_ids), Badge.checked_in_at.is_not(None)
            )
        )
    ) | set(
        db.session.scalars(
            select(FairApplication.id).where(
                FairApplication.id.in_(application_ids),
                FairApplication.checked_in_at.is_not(None),
            )
        )
    )


def _other_fairs(application: FairApplication) -> list[OtherFair]:
    """The co-op's applications to fairs that began before this one, latest first."""
    others = list(
        db.session.scalars(
            select(FairApplication)
            .join(Fair, Fair.id == FairApplication.fair_id)
            .where(
                FairApplication.organization_id == application.organization_id,
                FairApplication.id != application.id,
                Fair.starts_on < application.fair.starts_on,
            )
            .options(selectinload(FairApplication.fair))
            .order_by(Fair.starts_on.desc(), FairApplication.id.desc())
        )
    )
    attended = _attended([a.id for a in others])
    return [
        OtherFair(a, a.fair, "attended" if a.id in attended else a.status.value) for a in others
    ]


def _may_decide(actor: Actor, fair: Fair) -> bool:
    try:
        fairs.own_fair(actor, fair.id, Role.MANAGER)
    except PermissionDenied:
        return False
    return True


def review_view(actor: Actor, application_id: int) -> ReviewView:
    """What the organiser sees when reviewing one application (members of the organiser)."""
    application = _application(actor, application_id)
    fair = application.fair
    coop = application.organization
    day = today()
    certificates = list(
        db.session.scalars(
            select(Certificate)
            .where(
                Certificate.organization_id == coop.id,
                Certificate.status == VerificationStatus.APPROVED,
            )
            .order_by(Certificate.kind, Certificate.expires_on.desc())
        )
    )
    booth_map = fairs.booth_map(fair, fairs.applications_of_fair(actor, fair.id))
    preferred = application.preferred_booth
    others = _other_fairs(application)
    return ReviewView(
        application=application,
        fair=fair,
        coop=coop,
        certificates=[CertificateRow(c, c.is_valid_on(day)) for c in certificates],
        listings=[x for x in application.listings if x.status is ListingStatus.PUBLISHED],
        preferred_booth=preferred,
        preferred_free=preferred is not None and preferred.id not in booth_map.held,
        free_booths=fairs.free_booths(fair, application.booth_type_id),
        held=booth_map.held,
        owners=booth_map.owners,
        with_this_organiser=[o for o in others if o.fair.organization_id == fair.organization_id],
        elsewhere=[o for o in others if o.fair.organization_id != fair.organization_id],
        actions=allowed_actions(application) if _may_decide(actor, fair) else [],
    )


def applications_list(
    actor: Actor, fair_id: int, status: str = "", booth_type_id: int | None = None
) -> list[FairApplication]:
    """The fair's applications, optionally of one status and one booth type."""
    applications = fairs.applications_of_fair(actor, fair_id)
    return [
        a
        for a in applications
        if (not status or a.status.value == status)
        and (booth_type_id is None or a.booth_type_id == booth_type_id)
    ]


# --- many at once -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    #: The co-op's name (or "#id" for an id that is no application to this fair).
    name: str
    reason: str


@dataclass
class BulkResult:
    action: str
    done: list[FairApplication] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)


_REASONS = {
    "decided": _l("already decided (%(status)s)"),
    "no_booth": _l("no free booth of the type %(type)s"),
    "unknown": _l("not an application to this fair"),
}


def chosen(actor: Actor, fair_id: int, application_ids: list[int]) -> list[FairApplication]:
    """The fair's applications among ``application_ids`` (ids of other fairs are left out)."""
    fairs.own_fair(actor, fair_id)
    ids = {i for i in application_ids if isinstance(i, int) and 0 < i < 2**31}
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(FairApplication)
            .where(FairApplication.fair_id == fair_id, FairApplication.id.in_(ids))
            .options(selectinload(FairApplication.organization))
            .order_by(FairApplication.created_at, FairApplication.id)
        )
    )


@dataclass(frozen=True)
class Planned:
    """What a decision for many would do to one of them, shown before it is confirmed."""

    application: FairApplication
    #: The booth an acceptance would hold.
    booth: Booth | None = None
    #: Why it would be left as it is (None: it would be changed).
    reason: str | None = None


def plan(actor: Actor, fair_id: int, application_ids: list[int], action: str) -> list[Planned]:
    """The chosen applications of the fair, each with what ``action`` would do to it, by the
    same rules as ``decide_many`` (nothing is changed)."""
    fair = fairs.own_fair(actor, fair_id)
    taken = fairs.held_booth_ids(fair.id)
    planned = []
    for application in chosen(actor, fair_id, application_ids):
        if (application.status, action) not in fairs.APPLICATION_TRANSITIONS:
            reason = _REASONS["decided"] % {"status": _status_label(application.status)}
            planned.append(Planned(application, reason=str(reason)))
            continue
        if action != "accept":
            planned.append(Planned(application))
            continue
        free = [
            b
            for b in fair.booths
            if b.booth_type_id == application.booth_type_id and b.id not in taken
        ]
        preferred = application.preferred_booth
        booth = preferred if preferred in free else (free[0] if free else None)
        if booth is None:
            reason = _REASONS["no_booth"] % {"type": application.booth_type.name}
            planned.append(Planned(application, reason=str(reason)))
            continue
        taken.add(booth.id)
        planned.append(Planned(application, booth=booth))
    return planned


def decide_many(
    actor: Actor, fair_id: int, application_ids: list[int], action: str, note: str = ""
) -> BulkResult:
    """Accept, waitlist or reject several applications of one fair.

    Each is decided by ``fairs.review`` in its own savepoint, in the order they came in:
    accepting gives each its preferred booth if still free, else the first free booth of
    its type, so two applications preferring the same booth never hold it both. One that
    cannot be decided (already decided, no free booth, not of this fair) is reported and
    left unchanged; the others are done."""
    fairs.own_fair(actor, fair_id, Role.MANAGER)
    if action not in ACTIONS:
        raise ValidationFailed({"action": _l("Choose what to do with the applications.")})
    if action == "reject" and not (note or "").strip():
        raise ValidationFailed({"note": _l("Give the reason for the rejection.")})
    wanted = list(dict.fromkeys(application_ids))
    if not wanted:
        raise ValidationFailed({"application_ids": _l("Choose at least one application.")})
    found = chosen(actor, fair_id, wanted)
    result = BulkResult(action)
    for application in found:
        _decide_one(actor, application, action, note, result)
    known = {a.id for a in found}
    for application_id in wanted:
        if application_id not in known:
            result.refused.append(Refusal(f"#{application_id}", str(_REASONS["unknown"])))
    return result


def _decide_one(
    actor: Actor, application: FairApplication, action: str, note: str, result: BulkResult
) -> None:
    name = application.organization.name
    if (application.status, action) not in fairs.APPLICATION_TRANSITIONS:
        reason = _REASONS["decided"] % {"status": _status_label(application.status)}
        result.refused.append(Refusal(name, str(reason)))
        return
    savepoint = db.session.begin_nested()
    try:
        fairs.review(actor, application.id, action, note, None)
    except ValidationFailed as exc:
        savepoint.rollback()
        db.session.refresh(application)
        if action == "accept" and "status" in exc.errors:
            reason = str(_REASONS["no_booth"] % {"type": application.booth_type.name})
        else:
            reason = "; ".join(str(m) for m in exc.errors.values())
        result.refused.append(Refusal(name, reason))
    except TransitionNotAllowed:
        savepoint.rollback()
        db.session.refresh(application)
        reason = _REASONS["decided"] % {"status": _status_label(application.status)}
        result.refused.append(Refusal(name, str(reason)))
    else:
        savepoint.commit()
        result.done.append(application)


STATUS_LABELS = {
    A.SUBMITTED: _l("Waiting for review"),
    A.WAITLISTED: _l("On the waitlist"),
    A.ACCEPTED: _l("Booth held, fee due"),
    A.CONFIRMED: _l("Confirmed"),
    A.REJECTED: _l("Rejected"),
    A.WITHDRAWN: _l("Withdrawn"),
    A.EXPIRED: _l("Hold expired"),
    A.CANCELLED: _l("Cancelled"),
}


def _status_label(status: ApplicationStatus) -> str:
    return str(STATUS_LABELS.get(status, status.value)).lower()
