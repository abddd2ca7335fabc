"""Typed models, one module per business concept. Imported here so Alembic sees them all."""

from marketplace.models.accounts import User
from marketplace.models.audit import AuditEntry
from marketplace.models.catalog import (
    Category,
    Listing,
    ListingPhoto,
    ListingStatus,
    Lot,
    PriceTier,
    listing_certificates,
)
from marketplace.models.fairs import (
    ApplicationStatus,
    Booth,
    BoothType,
    Fair,
    FairApplication,
    FairStatus,
)
from marketplace.models.notifications import Notification
from marketplace.models.organizations import (
    BuyerType,
    Invitation,
    Membership,
    Organization,
    OrgKind,
    Role,
    VerificationStatus,
)
from marketplace.models.outbox import OutboxMessage
from marketplace.models.profiles import DeliveryLocation, OrganizationPhoto
from marketplace.models.search import SearchDocument, SearchPrice, SearchTerm
from marketplace.models.submissions import FormSubmission
from marketplace.models.verification import Certificate, CertificateKind, VerificationReview

__all__ = [
    "ApplicationStatus",
    "Booth",
    "BoothType",
    "Fair",
    "FairApplication",
    "FairStatus",
    "FormSubmission",
    "AuditEntry",
    "Category",
    "Listing",
    "ListingPhoto",
    "ListingStatus",
    "Lot",
    "PriceTier",
    "listing_certificates",
    "BuyerType",
    "Certificate",
    "CertificateKind",
    "DeliveryLocation",
    "OrganizationPhoto",
    "VerificationReview",
    "VerificationStatus",
    "Invitation",
    "Membership",
    "Notification",
    "OrgKind",
    "Organization",
    "OutboxMessage",
    "Role",
    "SearchDocument",
    "SearchPrice",
    "SearchTerm",
    "User",
]
