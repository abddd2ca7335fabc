"""An organisation's first steps: what is still to do before it can work on the platform,
computed from what it has already filled in (nothing is stored)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select

from marketplace.extensions import db
from marketplace.models import (
    Certificate,
    DeliveryLocation,
    Fair,
    Invitation,
    Listing,
    ListingStatus,
    Membership,
    Organization,
    OrgKind,
    Rfq,
    VerificationStatus,
)
from marketplace.services.accounts.verification import BANK_ACCOUNT, missing_for_submission
from marketplace.services.context import Actor
from marketplace.services.permissions import member_of

#: The profile parts of a submission, each filled in on one step of the profile, and the
#: fields of ``verification.missing_for_submission`` each one covers.
_PROFILE_PARTS = [
    (
        "identity",
        _l("Legal details"),
        {"legal_name", "tax_code", "registration_number", "founded_on"},
    ),
    ("address", _l("Address"), {"province_code", "commune", "street"}),
    (
        "people",
        _l("Representative and size"),
        {
            "representative_name",
            "representative_position",
            "representative_phone",
            "member_count",
            "area_hectares",
        },
    ),
    ("story", _l("Story in Vietnamese"), {"story_vi"}),
]

#: Once sent (or verified), "submit for verification" is done.
_SENT = (VerificationStatus.SUBMITTED, VerificationStatus.APPROVED)


@dataclass(frozen=True)
class Item:
    #: What the page links to: a profile step key, or one of "registration_document",
    #: "certificates", "bank", "first_listing", "publish_listing", "submit", "locations",
    #: "team", "first_rfq", "first_fair".
    key: str
    label: object  # translatable
    done: bool


@dataclass(frozen=True)
class Checklist:
    organization: Organization
    items: list[Item]
    #: Nothing is missing for a submission (verification.missing_for_submission).
    ready_to_submit: bool

    @property
    def to_do(self) -> list[Item]:
        return [item for item in self.items if not item.done]

    @property
    def done_count(self) -> int:
        return sum(item.done for item in self.items)


def checklist(actor: Actor, organization_id: int) -> Checklist:
    """The organisation's first steps for one of its members, by kind of organisation.

    Raises NotFound for anyone who is not a member."""
    organization = member_of(actor, organization_id).organization
    build = {
        OrgKind.COOP: _coop_items,
        OrgKind.BUYER: _buyer_items,
        OrgKind.FAIR_ORGANIZER: _organiser_items,
    }[organization.kind]
    return Checklist(
        organization,
        build(organization),
        ready_to_submit=not missing_for_submission(organization),
    )


def _any(*conditions) -> list[bool]:
    """Whether rows exist for each condition, in one query."""
    row = db.session.execute(select(*(exists().where(*c) for c in conditions))).one()
    return [bool(value) for value in row]


def _members(organization: Organization):
    return (
        select(func.count()).where(Membership.organization_id == organization.id).scalar_subquery()
    )


def _profile_items(organization: Organization, keys: tuple[str, ...]) -> list[Item]:
    """The profile parts ``keys``, each done once none of its fields is missing."""
    missing = {m.field for m in missing_for_submission(organization)}
    return [
        Item(key, label, not (fields & missing))
        for key, label, fields in _PROFILE_PARTS
        if key in keys
    ]


def _submit_item(organization: Organization) -> Item:
    return Item("submit", _l("Send the profile for verification"), _sent(organization))


def _coop_items(organization: Organization) -> list[Item]:
    missing = {m.field for m in missing_for_submission(organization)}
    has_certificate, has_listing, has_published = _any(
        (Certificate.organization_id == organization.id,),
        (Listing.organization_id == organization.id,),
        (
            Listing.organization_id == organization.id,
            Listing.status == ListingStatus.PUBLISHED,
        ),
    )
    items = [Item(key, label, not (fields & missing)) for key, label, fields in _PROFILE_PARTS]
    # A product is drafted before verification; once verified, buyers see it only once it is
    # published: then that is a step too, until one is.
    verified = organization.verification_status is VerificationStatus.APPROVED
    publish = [Item("publish_listing", _l("Publish your first product"), has_published)]
    return [
        *items,
        Item(
            "registration_document",
            _l("Scanned registration certificate"),
            "registration_document_key" not in missing,
        ),
        Item("certificates", _l("Certificates (OCOP, VietGAP, organic…)"), has_certificate),
        Item("bank", _l("Payout bank account"), BANK_ACCOUNT not in missing),
        Item("first_listing", _l("Your first product"), has_listing),
        *(publish if verified and has_listing else []),
        _submit_item(organization),
    ]


def _buyer_items(organization: Organization) -> list[Item]:
    has_location, members, has_invited, has_rfq = db.session.execute(
        select(
            exists().where(DeliveryLocation.organization_id == organization.id),
            _members(organization),
            exists().where(Invitation.organization_id == organization.id),
            exists().where(Rfq.buyer_id == organization.id),
        )
    ).one()
    return [
        # Only a verified buyer asks for quotes: its legal details and address come first.
        *_profile_items(organization, ("identity", "address")),
        Item("locations", _l("Delivery locations"), bool(has_location)),
        # The one who signed up is the first member: a team has a second, or has invited one.
        Item("team", _l("Invite a colleague"), members > 1 or bool(has_invited)),
        _submit_item(organization),
        Item("first_rfq", _l("Your first request for quotes"), bool(has_rfq)),
    ]


def _organiser_items(organization: Organization) -> list[Item]:
    (has_fair,) = _any((Fair.organization_id == organization.id,))
    # A fair is made as a draft at once; only a verified organiser publishes it.
    return [
        *_profile_items(organization, ("identity", "address")),
        Item("bank", _l("Payout bank account"), organization.has_bank_account),
        Item("first_fair", _l("Your first fair"), has_fair),
        _submit_item(organization),
    ]


def _sent(organization: Organization) -> bool:
    return organization.verification_status in _SENT
