"""Use cases for an organisation's certificates (OCOP, VietGAP, GlobalGAP, organic).

A new or changed certificate waits for an admin's decision (status "submitted"); each is
verified on its own, apart from the organisation's profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import (
    Certificate,
    CertificateKind,
    Organization,
    Role,
    VerificationStatus,
)
from marketplace.services import audit, images, outbox
from marketplace.services.accounts.verification import next_status
from marketplace.services.context import Actor
from marketplace.services.errors import NotFound, ValidationFailed
from marketplace.services.locking import lock
from marketplace.services.permissions import member_of, member_or_admin


@dataclass(frozen=True)
class CertificateData:
    kind: str
    number: str
    issuer: str
    issued_on: date | None
    expires_on: date | None
    ocop_stars: int | None = None
    product_name: str = ""


def _validate(data: CertificateData) -> dict[str, object]:
    errors: dict[str, object] = {}
    if data.kind not in {k.value for k in CertificateKind}:
        errors["kind"] = _l("Choose the kind of certificate.")
    if not data.number.strip():
        errors["number"] = _l("Enter the certificate or decision number.")
    if not data.issuer.strip():
        errors["issuer"] = _l("Enter who issued the certificate.")
    if data.issued_on is None:
        errors["issued_on"] = _l("Enter the date of issue.")
    if data.expires_on is None:
        errors["expires_on"] = _l("Enter the expiry date.")
    if data.issued_on and data.expires_on and data.expires_on <= data.issued_on:
        errors["expires_on"] = _l("The expiry date must come after the date of issue.")
    if data.kind == CertificateKind.OCOP.value:
        if data.ocop_stars not in (3, 4, 5):
            errors["ocop_stars"] = _l("OCOP ratings are 3, 4 or 5 stars.")
        if not data.product_name.strip():
            errors["product_name"] = _l("Enter the product the OCOP rating is for.")
    return errors


def _store_document(organization_id: int, data: bytes) -> tuple[str, str]:
    # A photographed certificate is re-encoded without its metadata (phones record GPS).
    key, content_type, _size = images.store_private(
        f"private/orgs/{organization_id}/certificates", data, field="document"
    )
    return key, content_type


def _fill(certificate: Certificate, data: CertificateData) -> None:
    certificate.kind = CertificateKind(data.kind)
    certificate.number = data.number.strip()[:80]
    certificate.issuer = data.issuer.strip()[:200]
    certificate.issued_on = data.issued_on
    certificate.expires_on = data.expires_on
    is_ocop = certificate.kind is CertificateKind.OCOP
    certificate.ocop_stars = data.ocop_stars if is_ocop else None
    certificate.product_name = data.product_name.strip()[:200] or None if is_ocop else None


def add_certificate(
    actor: Actor, organization_id: int, data: CertificateData, document: bytes | None
) -> Certificate:
    """Add a certificate with its scanned document; it waits for verification.

    Nothing is saved unless both the details and the document are acceptable.
    """
    member_of(actor, organization_id, Role.MANAGER)
    errors = _validate(data)
    if not document:
        errors["document"] = _l("Upload the scanned certificate (PDF or photo).")
    if errors:
        raise ValidationFailed(errors)
    # Under the organisation's lock, so a form sent twice cannot add the certificate twice.
    lock(Organization, organization_id)
    duplicate = db.session.scalar(
        select(Certificate.id).where(
            Certificate.organization_id == organization_id,
            Certificate.kind == CertificateKind(data.kind),
            Certificate.number == data.number.strip()[:80],
            Certificate.status != VerificationStatus.REJECTED,
        )
    )
    if duplicate is not None:
        raise ValidationFailed({"number": _l("This certificate is already on your profile.")})
    key, content_type = _store_document(organization_id, document)
    certificate = Certificate(
        organization_id=organization_id,
        document_key=key,
        document_type=content_type,
        status=VerificationStatus.SUBMITTED,
    )
    _fill(certificate, data)
    db.session.add(certificate)
    db.session.flush()
    audit.record(
        actor,
        "certificate.add",
        "certificate",
        certificate.id,
        organization_id=organization_id,
        details={"kind": certificate.kind.value},
    )
    db.session.flush()
    return certificate


def get_certificate(
    actor: Actor, organization_id: int, certificate_id: int, min_role: Role = Role.STAFF
) -> Certificate:
    """A certificate of the actor's organisation; NotFound for another's (before the role
    is checked: another organisation's certificate is private)."""
    member_of(actor, organization_id)
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or certificate.organization_id != organization_id:
        raise NotFound("certificate")
    member_of(actor, organization_id, min_role)
    return certificate


def update_certificate(
    actor: Actor,
    organization_id: int,
    certificate_id: int,
    data: CertificateData,
    document: bytes | None,
) -> Certificate:
    """Correct a certificate the admin asked changes for (or one still waiting)."""
    member_of(actor, organization_id, Role.MANAGER)
    certificate = lock(Certificate, certificate_id)
    if certificate is None or certificate.organization_id != organization_id:
        raise NotFound("certificate")
    # Only when the admin asked for changes: editing one that waits for review could make the
    # admin approve a document they never saw.
    if certificate.status is not VerificationStatus.CHANGES_REQUESTED:
        raise ValidationFailed(
            {
                "status": _l(
                    "This certificate can be changed only when the platform team asks for it."
                )
            }
        )
    errors = _validate(data)
    if errors:
        raise ValidationFailed(errors)
    if document:
        old_key = certificate.document_key
        certificate.document_key, certificate.document_type = _store_document(
            organization_id, document
        )
        outbox.enqueue("storage.delete", {"key": old_key})
    _fill(certificate, data)
    if certificate.status is VerificationStatus.CHANGES_REQUESTED:
        certificate.status = next_status(certificate.status, "submit")
    audit.record(
        actor, "certificate.update", "certificate", certificate.id, organization_id=organization_id
    )
    db.session.flush()
    return certificate


def document_url(actor: Actor, certificate: Certificate) -> str:
    """A short-lived link to the scanned document, for the organisation's members and admins."""
    member_or_admin(actor, certificate.organization_id)
    return current_app.extensions["storage"].presigned_url(
        certificate.document_key, expires_in=current_app.config["PRIVATE_URL_MAX_AGE"]
    )
