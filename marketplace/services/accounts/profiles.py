"""Use cases for an organisation's profile, filled step by step and saved as it goes.

Owners and managers edit; every member can read. A profile under review (submitted) cannot
be edited; once approved, the legal identity is locked (it is what the platform verified).
Every save carries the version the form was read at: a second submission of the same form
is recognised and a colleague's change in between is never overwritten silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import (
    DeliveryLocation,
    Organization,
    OrganizationPhoto,
    OrgKind,
    Role,
    VerificationStatus,
)
from marketplace.models.profiles import MAX_PHOTOS
from marketplace.search.folding import fold
from marketplace.services import audit, images
from marketplace.services.context import Actor
from marketplace.services.errors import NotFound, ServiceError, ValidationFailed
from marketplace.services.locking import lock
from marketplace.services.permissions import member_of
from marketplace.storage.uploads import check_upload
from marketplace.validation import InvalidValue, normalise_vn_phone, small_int
from marketplace.vietnam import normalise_tax_code, resolve_province

#: What the platform checked: changing it after approval goes through the platform team, so
#: the verified badge keeps meaning something (the display name, story and photos stay free).
LOCKED_WHEN_APPROVED = (
    "legal_name",
    "registration_number",
    "tax_code",
    "founded_on",
    "province_code",
    "commune",
    "street",
    "representative_name",
    "representative_position",
    "representative_phone",
)


class StaleForm(ValidationFailed):
    """The profile changed since the form was opened (another tab or a colleague)."""

    def __init__(self, current_version: int):
        super().__init__(
            {
                "version": _l(
                    "This profile was changed meanwhile. Check the values below and save again."
                )
            }
        )
        self.current_version = current_version


def _editable(actor: Actor, organization_id: int) -> Organization:
    membership = member_of(actor, organization_id, Role.MANAGER)
    organization = lock(Organization, membership.organization_id)
    assert organization is not None
    if organization.verification_status is VerificationStatus.SUBMITTED:
        raise ValidationFailed(
            {
                "status": _l(
                    "The profile is being reviewed. You can edit it again after the decision."
                )
            }
        )
    if organization.verification_status is VerificationStatus.REJECTED:
        raise ValidationFailed(
            {"status": _l("This profile was rejected and can no longer be changed.")}
        )
    return organization


def _apply(
    actor: Actor,
    organization: Organization,
    version: int | None,
    changes: dict[str, Any],
    step: str,
) -> Organization:
    """Store validated changes under the row lock taken by _editable, then commit."""
    changed = {k: v for k, v in changes.items() if getattr(organization, k) != v}
    if version is not None and version != organization.version and changed:
        raise StaleForm(organization.version)
    if organization.verification_status is VerificationStatus.APPROVED:
        locked = sorted(set(changed) & set(LOCKED_WHEN_APPROVED))
        if locked:
            raise ValidationFailed(
                {
                    field: _l("Verified details cannot be changed here. Ask the platform team.")
                    for field in locked
                }
            )
    if changed:
        for field, value in changed.items():
            setattr(organization, field, value)
        if "name" in changed:
            organization.name_folded = fold(organization.name)
        organization.version += 1
        audit.record(
            actor,
            "organization.profile_update",
            "organization",
            organization.id,
            organization_id=organization.id,
            details={"step": step, "fields": sorted(changed)},
        )
    db.session.flush()
    return organization


def _text(value: str | None, limit: int) -> str | None:
    value = " ".join((value or "").split())
    return value[:limit] if value else None


@dataclass(frozen=True)
class Identity:
    name: str
    legal_name: str
    short_name: str = ""
    registration_number: str = ""
    tax_code: str = ""
    founded_on: date | None = None


def save_identity(
    actor: Actor,
    organization_id: int,
    version: int | None,
    data: Identity,
    registration_document: bytes | None = None,
) -> Organization:
    """Step 1: names, registration number, tax code, founding date, and optionally the
    scanned registration certificate. All of it is saved, or none of it."""
    organization = _editable(actor, organization_id)
    errors: dict[str, object] = {}
    name = _text(data.name, 200)
    if not name:
        errors["name"] = _l("Enter the name of your organisation.")
    tax_code = None
    if data.tax_code.strip():
        tax_code = normalise_tax_code(data.tax_code)
        if tax_code is None:
            errors["tax_code"] = _l("A tax code has 10 digits, or 13 written like 0101234567-001.")
    if data.founded_on is not None and not (date(1900, 1, 1) <= data.founded_on <= date.today()):
        errors["founded_on"] = _l("Enter a founding date in the past.")
    checked = None
    if registration_document:
        if organization.verification_status is VerificationStatus.APPROVED:
            errors["registration_document"] = _l(
                "Verified details cannot be changed here. Ask the platform team."
            )
        else:
            try:
                checked = check_upload(registration_document, allow_pdf=True)
            except InvalidValue as exc:
                errors["registration_document"] = exc.message
    if errors:
        raise ValidationFailed(errors)
    changes: dict[str, Any] = {
        "name": name,
        "legal_name": _text(data.legal_name, 200),
        "short_name": _text(data.short_name, 80),
        "registration_number": _text(data.registration_number, 40),
        "tax_code": tax_code,
        "founded_on": data.founded_on,
    }
    if checked is not None:
        # The file goes to storage first; the row points at it only if everything commits.
        # A photographed document is re-encoded without its metadata (phones record GPS).
        key, content_type, _size = images.store_private(
            f"private/orgs/{organization.id}/registration",
            checked.data,
            field="registration_document",
        )
        if organization.registration_document_key:
            images.forget([organization.registration_document_key])
        changes["registration_document_key"] = key
        changes["registration_document_type"] = content_type
    organization = _apply(actor, organization, version, changes, "identity")
    return organization


def save_address(
    actor: Actor,
    organization_id: int,
    version: int | None,
    *,
    province: str,
    commune: str,
    street: str,
) -> Organization:
    """Step 2: province (old names map to the new province), commune or ward, street."""
    organization = _editable(actor, organization_id)
    code = resolve_province(province) if province.strip() else None
    if province.strip() and code is None:
        raise ValidationFailed({"province": _l("Choose one of the 34 provinces and cities.")})
    return _apply(
        actor,
        organization,
        version,
        {"province_code": code, "commune": _text(commune, 120), "street": _text(street, 200)},
        "address",
    )


def save_people(
    actor: Actor,
    organization_id: int,
    version: int | None,
    *,
    representative_name: str,
    representative_position: str,
    representative_phone: str,
    member_count: str,
    area_hectares: str,
) -> Organization:
    """Step 3 (co-ops): legal representative, number of members, cultivated area."""
    organization = _editable(actor, organization_id)
    errors: dict[str, object] = {}
    phone = None
    if representative_phone.strip():
        try:
            phone = normalise_vn_phone(representative_phone)
        except InvalidValue as exc:
            errors["representative_phone"] = exc.message
    members = None
    if member_count.strip():
        count = small_int(member_count.strip())
        if count is not None and 0 < count <= 1_000_000:
            members = count
        else:
            errors["member_count"] = _l("Enter the number of members as a whole number.")
    area = None
    if area_hectares.strip():
        try:
            # People type "3,5" as often as "3.5".
            area = Decimal(area_hectares.strip().replace(",", ".")).quantize(Decimal("0.01"))
            if not (Decimal(0) <= area < Decimal(10_000_000)):
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            errors["area_hectares"] = _l("Enter the area in hectares, like 3,5.")
    if errors:
        raise ValidationFailed(errors)
    return _apply(
        actor,
        organization,
        version,
        {
            "representative_name": _text(representative_name, 120),
            "representative_position": _text(representative_position, 80),
            "representative_phone": phone,
            "member_count": members,
            "area_hectares": area,
        },
        "people",
    )


def save_story(
    actor: Actor, organization_id: int, version: int | None, *, story_vi: str, story_en: str
) -> Organization:
    """Step 4: the co-op's story in Vietnamese, optionally in English."""
    organization = _editable(actor, organization_id)
    story_vi = (story_vi or "").strip()[:5000] or None
    story_en = (story_en or "").strip()[:5000] or None
    return _apply(
        actor, organization, version, {"story_vi": story_vi, "story_en": story_en}, "story"
    )


# --- files ------------------------------------------------------------------------------


def _storage():
    return current_app.extensions["storage"]


def _require_photo(data: bytes | None) -> None:
    if not data:
        raise ValidationFailed({"file": _l("Choose a photo to upload.")})


def upload_logo(actor: Actor, organization_id: int, data: bytes) -> Organization:
    member_of(actor, organization_id, Role.MANAGER)  # before any work on the file
    _require_photo(data)
    key_prefix = images.store_image(f"public/orgs/{organization_id}/logo", data)
    try:
        organization = _editable(actor, organization_id)
    except ServiceError:
        images.discard(images.variant_keys(key_prefix))
        raise
    old = organization.logo_key
    organization.logo_key = key_prefix
    organization.version += 1
    if old:
        images.forget(images.variant_keys(old))
    audit.record(
        actor,
        "organization.logo_upload",
        "organization",
        organization.id,
        organization_id=organization.id,
    )
    db.session.flush()
    return organization


def photos_of(organization_id: int) -> list[OrganizationPhoto]:
    return list(
        db.session.scalars(
            select(OrganizationPhoto)
            .where(OrganizationPhoto.organization_id == organization_id)
            .order_by(OrganizationPhoto.position, OrganizationPhoto.id)
        )
    )


def _photo_count(organization_id: int) -> int:
    return db.session.scalar(
        select(func.count()).where(OrganizationPhoto.organization_id == organization_id)
    )


def add_photo(actor: Actor, organization_id: int, data: bytes) -> OrganizationPhoto:
    """Add a photo at the end (at most MAX_PHOTOS, counted under the organisation's lock)."""
    member_of(actor, organization_id, Role.MANAGER)
    _require_photo(data)
    if _photo_count(organization_id) >= MAX_PHOTOS:  # refuse early, before the work
        raise ValidationFailed({"file": _l("At most %(n)s photos.", n=MAX_PHOTOS)})
    key_prefix = images.store_image(f"public/orgs/{organization_id}/photos", data)
    try:
        organization = _editable(actor, organization_id)
        count = _photo_count(organization.id)  # again, under the lock
        if count >= MAX_PHOTOS:
            raise ValidationFailed({"file": _l("At most %(n)s photos.", n=MAX_PHOTOS)})
    except ServiceError:
        images.discard(images.variant_keys(key_prefix))
        raise
    photo = OrganizationPhoto(
        organization_id=organization.id, key_prefix=key_prefix, position=count
    )
    db.session.add(photo)
    audit.record(
        actor,
        "organization.photo_add",
        "organization",
        organization.id,
        organization_id=organization.id,
    )
    db.session.flush()
    return photo


def remove_photo(actor: Actor, organization_id: int, photo_id: int) -> None:
    organization = _editable(actor, organization_id)
    photo = db.session.get(OrganizationPhoto, photo_id)
    if photo is None or photo.organization_id != organization.id:
        raise NotFound("photo")
    images.forget(images.variant_keys(photo.key_prefix))
    db.session.delete(photo)
    audit.record(
        actor,
        "organization.photo_remove",
        "organization",
        organization.id,
        organization_id=organization.id,
    )
    db.session.flush()


# --- buyers' delivery locations -----------------------------------------------------------


@dataclass(frozen=True)
class LocationData:
    """A delivery location as typed: its name, province (a former one too), commune, street."""

    name: str = ""
    province: str = ""
    commune: str = ""
    street: str = ""


def check_location(errors: dict[str, object], data: LocationData, prefix: str = "") -> str | None:
    """What is wrong with a delivery location as typed, in ``errors`` (by field, each name
    after ``prefix``); its province's code when it is known."""
    code = resolve_province(data.province)
    if code is None:
        errors[prefix + "province"] = _l("Choose one of the 34 provinces and cities.")
    for field in ("name", "commune", "street"):
        if not (getattr(data, field) or "").strip():
            errors[prefix + field] = _l("This field is required.")
    return code


def add_delivery_location(
    actor: Actor, organization_id: int, *, name: str, province: str, commune: str, street: str
) -> DeliveryLocation:
    """A store, kitchen or warehouse of a buyer."""
    membership = member_of(actor, organization_id, Role.MANAGER)
    if membership.organization.kind is not OrgKind.BUYER:  # role first: staff get 403
        raise NotFound("delivery locations are for buyers")
    errors: dict[str, object] = {}
    code = check_location(errors, LocationData(name, province, commune, street))
    if errors:
        raise ValidationFailed(errors)
    location = DeliveryLocation(
        organization_id=organization_id,
        name=_text(name, 120),
        province_code=code,
        commune=_text(commune, 120),
        street=_text(street, 200),
    )
    db.session.add(location)
    db.session.flush()
    audit.record(
        actor,
        "organization.location_add",
        "delivery_location",
        location.id,
        organization_id=organization_id,
    )
    db.session.flush()
    return location


def delivery_locations(actor: Actor, organization_id: int) -> list[DeliveryLocation]:
    """An organisation's delivery locations, for its members (a co-op has none)."""
    member_of(actor, organization_id)
    return list(
        db.session.scalars(
            select(DeliveryLocation)
            .where(DeliveryLocation.organization_id == organization_id)
            .order_by(DeliveryLocation.id)
        )
    )


def remove_delivery_location(actor: Actor, organization_id: int, location_id: int) -> None:
    member_of(actor, organization_id, Role.MANAGER)
    location = db.session.get(DeliveryLocation, location_id)
    if location is None or location.organization_id != organization_id:
        raise NotFound("delivery location")
    db.session.delete(location)
    audit.record(
        actor,
        "organization.location_remove",
        "delivery_location",
        location_id,
        organization_id=organization_id,
    )
    db.session.flush()
