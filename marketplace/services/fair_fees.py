"""A fair's booth fee through the money path: the fee invoice (the plain structure its PDF is
drawn from) and the organiser's "fee received", recorded as a bank transfer.

The fee invoice is a commercial document of the platform, like a contract's invoice: not a
VAT e-invoice (hóa đơn điện tử). Its number is derived from the fair and the application
("PHGH-12-345"), so it is the same every time it is printed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from marketplace.extensions import db
from marketplace.i18n import amount_in_words
from marketplace.models import (
    ApplicationStatus,
    FairApplication,
    Organization,
    PayableKind,
    Payment,
    Role,
)
from marketplace.services.context import Actor
from marketplace.services.deals.contracts import parties_snapshot
from marketplace.services.deals.documents import DocumentParty, PaymentInstructions
from marketplace.services.errors import NotFound
from marketplace.services.payments import transfers
from marketplace.services.payments.payables import may_see, paid_so_far, payable
from marketplace.services.permissions import require_login

A = ApplicationStatus

#: Applications that have a fee invoice: a booth was given and its fee invoiced.
INVOICED = (A.ACCEPTED, A.CONFIRMED)


def fee_invoice_number(application: FairApplication) -> str:
    """The fee invoice's number: "PHGH-<fair>-<application>" (phí gian hàng)."""
    return f"PHGH-{application.fair_id}-{application.id}"


@dataclass(frozen=True)
class FairFeeDocument:
    application_id: int
    number: str
    issue_date: date
    due_date: date
    currency: str
    #: "accepted" (fee owed) or "confirmed" (paid).
    status: str
    seller: DocumentParty
    buyer: DocumentParty
    fair_name: str
    fair_name_en: str
    venue: str
    starts_on: date
    ends_on: date
    booth_type: str
    booth_size: str
    booth_code: str
    includes: str
    staff_badges: int
    fee: int
    paid: int
    outstanding: int
    reference: str
    #: Where to transfer what is still owed (None once paid or without a bank account).
    payment: PaymentInstructions | None

    @property
    def total(self) -> int:
        return self.fee

    @property
    def total_in_words(self) -> str:
        """The total in Vietnamese words, as a Vietnamese invoice writes it."""
        return amount_in_words(self.fee, "vi")


def _invoiced(application_id: int) -> FairApplication:
    application = db.session.get(FairApplication, application_id)
    if application is None or application.fee_amount is None or application.status not in INVOICED:
        raise NotFound("fee invoice")
    return application


def fee_document(actor: Actor, application_id: int) -> FairFeeDocument:
    """The fee invoice of an accepted or confirmed application, for the members of the co-op
    and of the organiser (and platform admins); NotFound for anyone else."""
    require_login(actor)
    application = db.session.get(FairApplication, application_id)
    if application is None or not may_see(
        actor, application.organization_id, application.fair.organization_id
    ):
        raise NotFound("fee invoice")
    return _document(_invoiced(application_id))


def fee_document_for_parties(application_id: int) -> FairFeeDocument:
    """The fee invoice read without an actor: only for what is sent to the co-op's members
    (the acceptance email). NotFound if there is none."""
    return _document(_invoiced(application_id))


def _document(application: FairApplication) -> FairFeeDocument:
    fair = application.fair
    organiser = db.session.get(Organization, fair.organization_id)
    coop = db.session.get(Organization, application.organization_id)
    parties = parties_snapshot(coop, organiser)  # (buyer, seller): the co-op pays the organiser
    found = payable(PayableKind.FAIR_FEE, application.id)
    paid = paid_so_far(PayableKind.FAIR_FEE, application.id)
    fee = application.fee_amount or 0
    due = application.fee_due_on or fair.starts_on
    booth_type = application.booth_type
    return FairFeeDocument(
        application_id=application.id,
        number=fee_invoice_number(application),
        issue_date=due - timedelta(days=fair.payment_days),
        due_date=due,
        currency="VND",
        status=application.status.value,
        seller=DocumentParty.from_snapshot(parties["coop"]),
        buyer=DocumentParty.from_snapshot(parties["buyer"]),
        fair_name=fair.name_vi,
        fair_name_en=fair.name_en or "",
        venue=fair.venue,
        starts_on=fair.starts_on,
        ends_on=fair.ends_on,
        booth_type=booth_type.name,
        booth_size=booth_type.size,
        booth_code=application.booth.code if application.booth else "",
        includes=booth_type.includes or "",
        staff_badges=booth_type.staff_badges,
        fee=fee,
        paid=paid,
        outstanding=max(fee - paid, 0),
        reference=found.reference,
        payment=PaymentInstructions.of(found),
    )


# --- fee received ------------------------------------------------------------------------------


def owed_on(application_id: int) -> int:
    """What is still owed on an application's fee (0 when none is invoiced)."""
    application = db.session.get(FairApplication, application_id)
    if application is None or application.fee_amount is None:
        return 0
    return max(application.fee_amount - paid_so_far(PayableKind.FAIR_FEE, application_id), 0)


def record_fee_received(
    actor: Actor,
    application_id: int,
    *,
    amount: str,
    paid_on: date | None,
    bank_reference: str,
    partial: bool = False,
) -> Payment:
    """The organiser's owner or manager records a booth fee that reached its account, as a
    bank transfer (``transfers.record_transfer``): an amount other than what is owed is
    named and refused unless knowingly recorded as a part payment; the booth is confirmed
    only once payments cover the fee. Raises ValidationFailed, PermissionDenied (staff, the
    co-op), NotFound."""
    return transfers.record_transfer(
        actor,
        PayableKind.FAIR_FEE,
        application_id,
        amount=amount,
        paid_on=paid_on,
        bank_reference=bank_reference,
        partial=partial,
    )


def fee_to_record(actor: Actor, application_id: int) -> FairApplication:
    """An application whose fee the actor may record as received from the organiser's pages:
    the organiser's owner or manager (NotFound for anyone outside the organiser,
    PermissionDenied for its staff). Admins record transfers on the fee's pay page."""
    from marketplace.services.permissions import member_of

    require_login(actor)
    application = db.session.get(FairApplication, application_id)
    if application is None:
        raise NotFound("fair application")
    member_of(actor, application.fair.organization_id, Role.MANAGER)
    return application
