"""Payment receipts: what a succeeded payment of any payable kind was, as its receipt shows
it (read through the payables registry; nothing here asks which kind it is)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import (
    Organization,
    Payment,
    PaymentMethod,
    PaymentStatus,
    ProviderReference,
)
from marketplace.services.context import Actor
from marketplace.services.deals.documents import DocumentParty
from marketplace.services.errors import NotFound
from marketplace.services.payments import platform
from marketplace.services.payments.payables import Payable, payable, view_payable
from marketplace.vietnam import VN_TZ, province_name


@dataclass(frozen=True)
class Receipt:
    payment_id: int
    #: What was paid for: "Invoice HTX-000012", "Booth fee: Hội chợ OCOP".
    label: str
    #: Its number for people (the invoice's number, the fair's name).
    number: str
    amount: int
    currency: str
    method: PaymentMethod
    paid_on: date
    #: The bank's reference of a transfer, or the card provider's payment reference.
    bank_reference: str
    transfer_reference: str
    payer: DocumentParty
    payee: DocumentParty
    refunded: int

    @property
    def filename_stem(self) -> str:
        return f"BL-{self.payment_id:06d}"


def _party(organization: Organization) -> DocumentParty:
    address = ", ".join(
        part
        for part in (
            organization.street,
            organization.commune,
            province_name(organization.province_code),
        )
        if part
    )
    return DocumentParty(
        legal_name=organization.legal_name or organization.name,
        tax_code=organization.tax_code or "",
        address=address,
        name=organization.name,
    )


def _platform() -> DocumentParty:
    """The platform itself, as the payee of what is paid to it (commission invoices)."""
    settings = platform.settings()
    holder = settings.bank_account_name if settings is not None else None
    return DocumentParty(legal_name=holder or "Chợ HTX", tax_code="", address="", name="Chợ HTX")


def _provider_reference(payment_id: int) -> str:
    """The card provider's reference of the payment (its payment intent), if it has one."""
    return (
        db.session.scalar(
            select(ProviderReference.reference)
            .where(
                ProviderReference.payment_id == payment_id,
                ProviderReference.kind == "payment_intent",
            )
            .order_by(ProviderReference.id)
            .limit(1)
        )
        or ""
    )


def receipt(actor: Actor, payment_id: int) -> Receipt:
    """The receipt of a succeeded payment, for whoever may see its payable (the payer's and
    the payee's members, platform admins). NotFound for anyone else, and for a payment that
    did not succeed or was not applied (money on its way back to the payer)."""
    payment = _succeeded(payment_id)
    return _receipt(payment, view_payable(actor, payment.payable_kind, payment.payable_id))


def receipt_for_parties(payment_id: int) -> Receipt:
    """The receipt read without an actor: only for what is sent to the parties' members (the
    "payment received" email). NotFound as ``receipt``."""
    payment = _succeeded(payment_id)
    return _receipt(payment, payable(payment.payable_kind, payment.payable_id))


def _succeeded(payment_id: int) -> Payment:
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.status is not PaymentStatus.SUCCEEDED or payment.problem:
        raise NotFound("payment")
    return payment


def _receipt(payment: Payment, found: Payable) -> Receipt:
    moment = payment.succeeded_at or payment.created_at
    paid_on = payment.paid_on or moment.astimezone(VN_TZ).date()
    return Receipt(
        payment_id=payment.id,
        label=str(found.label),
        number=found.number,
        amount=payment.amount,
        currency=payment.currency,
        method=payment.method,
        paid_on=paid_on,
        bank_reference=payment.bank_reference or _provider_reference(payment.id),
        transfer_reference=found.reference,
        payer=_party(payment.payer),
        payee=_party(payment.payee) if payment.payee is not None else _platform(),
        refunded=payment.refunded_amount or 0,
    )
