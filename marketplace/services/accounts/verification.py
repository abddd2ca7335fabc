"""Verification of organisations and of each certificate: an explicit state machine.

    draft ──submit──▶ submitted ──approve──────────▶ approved
                         │  └────request_changes──▶ changes_requested ──submit──▶ submitted
                         └───────reject────────────▶ rejected

Every transition is one function, checked against TRANSITIONS, audited, and emailed to the
organisation's members through the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.extensions import db
from marketplace.models import (
    Certificate,
    CertificateKind,
    Organization,
    OrgKind,
    Role,
    VerificationReview,
    VerificationStatus,
)
from marketplace.models._types import utcnow
from marketplace.services import audit
from marketplace.services.context import Actor
from marketplace.services.errors import NotFound, ValidationFailed
from marketplace.services.locking import lock
from marketplace.services.notifications import notify_members
from marketplace.services.permissions import member_of, member_or_admin, require_admin
from marketplace.services.states import step
from marketplace.vietnam import today

S = VerificationStatus

#: (from, action) → to. The single source of truth for what may happen next.
TRANSITIONS: dict[tuple[VerificationStatus, str], VerificationStatus] = {
    (S.DRAFT, "submit"): S.SUBMITTED,
    (S.CHANGES_REQUESTED, "submit"): S.SUBMITTED,
    (S.SUBMITTED, "approve"): S.APPROVED,
    (S.SUBMITTED, "request_changes"): S.CHANGES_REQUESTED,
    (S.SUBMITTED, "reject"): S.REJECTED,
    # A verified organisation found wanting: back to "changes requested" with the reason;
    # its listings leave search and public pages at once, and it can submit again.
    (S.APPROVED, "withdraw"): S.CHANGES_REQUESTED,
}


def next_status(current: VerificationStatus, action: str) -> VerificationStatus:
    return step(TRANSITIONS, current, action)


@dataclass(frozen=True)
class Missing:
    field: str
    reason: object  # translatable


# Fields a submission needs, by kind of organisation, with why the platform asks for them.
_COMMON_REQUIRED = [
    ("legal_name", _l("The registered name is checked against the registration certificate.")),
    ("tax_code", _l("Buyers need the tax code for invoices.")),
    ("province_code", _l("Buyers look for suppliers by province.")),
    ("commune", _l("The address must be complete down to the commune or ward.")),
    ("street", _l("The address must be complete down to the street.")),
]
_COOP_REQUIRED = [
    ("registration_number", _l("The co-op registration number is what we verify.")),
    (
        "registration_document_key",
        _l("Upload the scanned registration certificate so we can check it."),
    ),
    ("founded_on", _l("The founding date is on the registration certificate.")),
    ("representative_name", _l("A co-op is represented by its legal representative.")),
    ("representative_position", _l("Say what position the representative holds.")),
    ("representative_phone", _l("We call the representative to confirm the registration.")),
    ("member_count", _l("Buyers want to know how large the co-op is.")),
    ("area_hectares", _l("The cultivated area shows how much the co-op can supply.")),
    ("story_vi", _l("A short story in Vietnamese tells buyers who you are.")),
]


#: The "field" a missing payout bank account is reported under (a step, not one column).
BANK_ACCOUNT = "bank_account"


def missing_for_submission(organization: Organization) -> list[Missing]:
    """What must still be filled in before the profile can be sent for verification; a co-op
    or fair organiser also needs the bank account its buyers pay into (VietQR)."""
    required = list(_COMMON_REQUIRED)
    if organization.kind is OrgKind.COOP:
        required += _COOP_REQUIRED
    missing = [Missing(f, reason) for f, reason in required if not getattr(organization, f)]
    if organization.is_payee and not organization.has_bank_account:
        missing.append(Missing(BANK_ACCOUNT, why_bank_account(organization)))
    return missing


def why_bank_account(organization: Organization) -> object:
    """Why a payee is asked for its bank account, in one sentence."""
    if organization.kind is OrgKind.FAIR_ORGANIZER:
        return _l(
            "Exhibitors pay their booth fees by VietQR bank transfer straight into this account."
        )
    return _l("Buyers pay you by VietQR bank transfer straight into this account.")


def _lock(organization_id: int) -> Organization:
    organization = lock(Organization, organization_id)
    if organization is None:
        raise NotFound("organization")
    return organization


def _notify_members(organization: Organization, template: str, subject: object, **context) -> None:
    notify_members(
        organization.id,
        template,
        subject,
        endpoint="onboarding.overview",
        link_values={"org_id": organization.id},
        organization=organization,
        **context,
    )


def submit(actor: Actor, organization_id: int) -> Organization:
    """Send a complete profile for verification (owners and managers).

    Raises ValidationFailed listing what is missing, TransitionNotAllowed from a state that
    cannot be submitted (already submitted, approved, rejected).
    """
    member_of(actor, organization_id, Role.MANAGER)
    organization = _lock(organization_id)
    new_status = next_status(organization.verification_status, "submit")
    missing = missing_for_submission(organization)
    if missing:
        raise ValidationFailed({m.field: m.reason for m in missing})
    organization.verification_status = new_status
    organization.submitted_at = utcnow()
    audit.record(
        actor,
        "organization.submit",
        "organization",
        organization.id,
        organization_id=organization.id,
    )
    db.session.flush()
    return organization


def _decide(
    actor: Actor,
    organization_id: int,
    action: str,
    *,
    note: str | None,
    field_notes: dict[str, str] | None = None,
) -> Organization:
    require_admin(actor)
    organization = _lock(organization_id)
    new_status = next_status(organization.verification_status, action)
    organization.verification_status = new_status
    if new_status is S.APPROVED:
        organization.verified_at = utcnow()
    db.session.add(
        VerificationReview(
            organization_id=organization.id,
            reviewer_id=actor.user_id,
            decision=new_status,
            field_notes=field_notes or {},
            note=note,
        )
    )
    audit.record(
        actor,
        f"organization.{action}",
        "organization",
        organization.id,
        organization_id=organization.id,
        details={"note": note, "fields": sorted(field_notes or {})},
    )
    subjects = {
        S.APPROVED: _l("Your organisation is verified on Chợ HTX"),
        S.CHANGES_REQUESTED: _l("Chợ HTX asks for changes to your profile"),
        S.REJECTED: _l("Your Chợ HTX verification was not accepted"),
    }
    _notify_members(
        organization,
        "verification_decision",
        subjects[new_status],
        decision=new_status.value,
        note=note,
        field_notes=field_notes or {},
    )
    db.session.flush()
    return organization


def approve(actor: Actor, organization_id: int, note: str | None = None) -> Organization:
    """Admin: the organisation is who it says it is."""
    return _decide(actor, organization_id, "approve", note=note)


def request_changes(
    actor: Actor, organization_id: int, field_notes: dict[str, str], note: str | None = None
) -> Organization:
    """Admin: send the profile back with what to change, per field where possible."""
    field_notes = {k: v.strip()[:1000] for k, v in field_notes.items() if v and v.strip()}
    if not field_notes and not (note and note.strip()):
        raise ValidationFailed({"note": _l("Say what needs to change.")})
    return _decide(actor, organization_id, "request_changes", note=note, field_notes=field_notes)


def reject(actor: Actor, organization_id: int, note: str) -> Organization:
    """Admin: refuse the organisation for good, with a reason."""
    if not (note and note.strip()):
        raise ValidationFailed({"note": _l("Give the reason for the rejection.")})
    return _decide(actor, organization_id, "reject", note=note.strip()[:2000])


def withdraw(actor: Actor, organization_id: int, note: str) -> Organization:
    """Admin: take a verification back, with the reason (the organisation may resubmit)."""
    if not (note and note.strip()):
        raise ValidationFailed({"note": _l("Give the reason for withdrawing the verification.")})
    return _decide(actor, organization_id, "withdraw", note=note.strip()[:2000])


def latest_review(actor: Actor, organization_id: int) -> VerificationReview | None:
    """The last decision on the organisation's verification (its members, platform admins)."""
    member_or_admin(actor, organization_id)
    return db.session.scalar(
        select(VerificationReview)
        .where(VerificationReview.organization_id == organization_id)
        .order_by(VerificationReview.id.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class Queue:
    organizations: list[Organization]
    certificates: list[Certificate]


def organization_for_review(actor: Actor, organization_id: int) -> Organization:
    """Admin: an organisation, in any state, for its verification page."""
    require_admin(actor)
    organization = db.session.get(Organization, organization_id)
    if organization is None:
        raise NotFound("organization")
    return organization


def queue(actor: Actor) -> Queue:
    """Admin: what waits for a decision, oldest first."""
    require_admin(actor)
    organizations = list(
        db.session.scalars(
            select(Organization)
            .where(Organization.verification_status == S.SUBMITTED)
            .order_by(Organization.submitted_at, Organization.id)
        )
    )
    certificates = list(
        db.session.scalars(
            select(Certificate)
            .where(Certificate.status == S.SUBMITTED)
            .options(selectinload(Certificate.organization))
            .order_by(Certificate.created_at, Certificate.id)
        )
    )
    return Queue(organizations, certificates)


def can_trade(organization: Organization) -> bool:
    """Only a verified co-op may publish listings or apply to fairs."""
    return organization.kind is OrgKind.COOP and organization.is_verified


# --- certificates ---------------------------------------------------------------------------


def certificates_of(actor: Actor, organization_id: int) -> list[Certificate]:
    """Every certificate of the organisation, in any state (its members, platform admins)."""
    member_or_admin(actor, organization_id)
    return list(
        db.session.scalars(
            select(Certificate)
            .where(Certificate.organization_id == organization_id)
            .order_by(Certificate.kind, Certificate.expires_on.desc())
        )
    )


def valid_certificates(organization_id: int, on: date | None = None) -> list[Certificate]:
    """Approved certificates valid on ``on`` (today in Vietnam): computed, so one stops
    counting on the day it expires without any job running."""
    day = on or today()
    return list(
        db.session.scalars(
            select(Certificate)
            .where(
                Certificate.organization_id == organization_id,
                Certificate.status == S.APPROVED,
                Certificate.issued_on <= day,
                Certificate.expires_on > day,
            )
            .order_by(Certificate.kind, Certificate.expires_on)
        )
    )


def review_certificate(
    actor: Actor, certificate_id: int, action: str, note: str | None = None
) -> Certificate:
    """Admin: approve, request changes to, or reject one certificate."""
    require_admin(actor)
    certificate = lock(Certificate, certificate_id)
    if certificate is None:
        raise NotFound("certificate")
    if action in ("request_changes", "reject") and not (note and note.strip()):
        raise ValidationFailed({"note": _l("Say what is wrong with this certificate.")})
    certificate.status = next_status(certificate.status, action)
    certificate.review_note = (note or "").strip()[:2000] or None
    certificate.reviewed_at = utcnow()
    audit.record(
        actor,
        f"certificate.{action}",
        "certificate",
        certificate.id,
        organization_id=certificate.organization_id,
        details={"note": certificate.review_note},
    )
    subjects = {
        S.APPROVED: _l("Your certificate is verified on Chợ HTX"),
        S.CHANGES_REQUESTED: _l("Chợ HTX asks for changes to a certificate"),
        S.REJECTED: _l("A certificate was not accepted on Chợ HTX"),
    }
    _notify_members(
        certificate.organization,
        "certificate_decision",
        subjects[certificate.status],
        certificate=certificate,
        decision=certificate.status.value,
        note=certificate.review_note,
    )
    db.session.flush()
    return certificate


CERTIFICATE_KINDS = tuple(CertificateKind)
