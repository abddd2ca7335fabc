"""Deal documents as plain data: the invoice as its PDF shows it, in a shape an e-invoice
provider's API could take later (seller, buyer, lines, totals, currency, dates, number); the
delivery a delivery note is printed for.

The invoice is a commercial invoice of the platform, not a VAT e-invoice (hóa đơn điện tử):
the same ``InvoiceDocument`` is what would be handed to a provider that issues one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from marketplace.extensions import db
from marketplace.i18n import amount_in_words
from marketplace.models import Delivery, DeliveryStatus, Invoice, PayableKind
from marketplace.services.context import Actor
from marketplace.services.deals.deliveries import delivery_view
from marketplace.services.deals.invoices import invoice_of_delivery, invoice_view
from marketplace.services.errors import NotFound
from marketplace.services.payments.payables import Payable, payable
from marketplace.services.payments.transfers import bank_details


@dataclass(frozen=True)
class DocumentParty:
    """A party as the contract recorded it when both sides signed."""

    legal_name: str
    tax_code: str
    address: str
    #: Its name on the platform (may differ from the legal name).
    name: str = ""
    registration_number: str = ""
    representative: str = ""
    phone: str = ""

    @classmethod
    def from_snapshot(cls, snapshot: dict) -> DocumentParty:
        return cls(
            legal_name=snapshot.get("legal_name") or snapshot.get("name") or "",
            tax_code=snapshot.get("tax_code") or "",
            address=snapshot.get("address") or "",
            name=snapshot.get("name") or "",
            registration_number=snapshot.get("registration_number") or "",
            representative=snapshot.get("representative") or "",
            phone=snapshot.get("phone") or "",
        )


@dataclass(frozen=True)
class InvoiceDocumentLine:
    position: int
    description: str
    #: A selling-unit code (``marketplace.i18n.UNITS``).
    unit: str
    #: What is billed: the quantity the buyer accepted.
    quantity: int
    #: What the co-op dispatched and the buyer rejected on this line (None when unknown).
    delivered: int | None
    rejected: int | None
    unit_price: int
    #: A ``marketplace.parsing.VAT_RATES`` code: "kct" (not subject to VAT), "0", "5", …
    vat_rate: str
    net: int
    vat: int
    total: int


@dataclass(frozen=True)
class VatSummary:
    """The lines of one VAT rate added up (e-invoices list them per rate)."""

    vat_rate: str
    net: int
    vat: int


@dataclass(frozen=True)
class InvoiceTotals:
    subtotal: int
    vat: int
    total: int
    by_rate: tuple[VatSummary, ...]

    @property
    def total_in_words(self) -> str:
        """The total in Vietnamese words, as a Vietnamese invoice writes it."""
        return amount_in_words(self.total, "vi")


@dataclass(frozen=True)
class PaymentInstructions:
    """Where to transfer what is still owed (the payee's bank account and VietQR)."""

    bank_short_name: str
    bank_name: str
    bank_bin: str
    account: str
    holder: str
    amount: int
    reference: str
    #: The VietQR (NAPAS) payload the QR code encodes.
    qr_payload: str

    @classmethod
    def of(cls, found: Payable) -> PaymentInstructions | None:
        """How to pay what is still owed on a payable; None once it is closed or while its
        payee has no bank account."""
        details = bank_details(found) if found.open else None
        if details is None:
            return None
        bank = details["bank"]
        return cls(
            bank_short_name=bank.short_name if bank else details["bin"],
            bank_name=bank.full_name if bank else "",
            bank_bin=details["bin"],
            account=details["account"],
            holder=details["holder"],
            amount=details["amount"],
            reference=details["reference"],
            qr_payload=details["payload"],
        )


@dataclass(frozen=True)
class InvoiceDocument:
    id: int
    number: str
    issue_date: date
    due_date: date
    currency: str
    #: The invoice's state as pages show it today (issued, overdue, paid, void).
    status: str
    seller: DocumentParty
    buyer: DocumentParty
    lines: tuple[InvoiceDocumentLine, ...]
    totals: InvoiceTotals
    contract_number: str
    delivery_sequence: int
    delivery_date: date
    #: None once nothing is owed, or while the seller has no bank account on the platform.
    payment: PaymentInstructions | None
    void_reason: str | None = None


def invoice_document(actor: Actor, invoice_id: int) -> InvoiceDocument:
    """The invoice as a document, for the members of its two parties (as its page: NotFound
    for anyone else, PermissionDenied for no one — every member may read it)."""
    invoice, _who = invoice_view(actor, invoice_id)
    return _document(invoice)


def invoice_document_for_parties(invoice_id: int) -> InvoiceDocument:
    """The invoice as a document, read without an actor: only for what is sent to its parties'
    members (the invoice's own emails). NotFound if there is no such invoice."""
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None:
        raise NotFound("invoice")
    return _document(invoice)


def _document(invoice: Invoice) -> InvoiceDocument:
    parties = invoice.contract.parties
    return InvoiceDocument(
        id=invoice.id,
        number=invoice.number,
        issue_date=invoice.issued_on,
        due_date=invoice.due_on,
        currency=invoice.currency,
        status=invoice.status_today.value,
        seller=DocumentParty.from_snapshot(parties["coop"]),
        buyer=DocumentParty.from_snapshot(parties["buyer"]),
        lines=_lines(invoice),
        totals=InvoiceTotals(
            subtotal=invoice.subtotal,
            vat=invoice.vat_total,
            total=invoice.total,
            by_rate=_by_rate(invoice),
        ),
        contract_number=invoice.contract.number,
        delivery_sequence=invoice.delivery.sequence,
        delivery_date=invoice.delivery.scheduled_on,
        payment=_payment(invoice),
        void_reason=invoice.void_reason,
    )


def _lines(invoice: Invoice) -> tuple[InvoiceDocumentLine, ...]:
    # An invoice line was made from each delivery line with something accepted, in the
    # delivery's order: read the dispatched and rejected quantities from those.
    billed = [line for line in invoice.delivery.lines if line.accepted_quantity]
    result = []
    for position, line in enumerate(invoice.lines, start=1):
        source = billed[position - 1] if position <= len(billed) else None
        if source is not None and source.contract_line.description != line.description:
            source = None
        result.append(
            InvoiceDocumentLine(
                position=position,
                description=line.description,
                unit=line.unit,
                quantity=line.quantity,
                delivered=source.dispatched_quantity if source else None,
                rejected=(source.rejected_quantity or 0) if source else None,
                unit_price=line.unit_price,
                vat_rate=line.vat_rate,
                net=line.net,
                vat=line.vat,
                total=line.total,
            )
        )
    return tuple(result)


def _by_rate(invoice: Invoice) -> tuple[VatSummary, ...]:
    sums: dict[str, list[int]] = {}
    for line in invoice.lines:
        net_vat = sums.setdefault(line.vat_rate, [0, 0])
        net_vat[0] += line.net
        net_vat[1] += line.vat
    return tuple(VatSummary(rate, net, vat) for rate, (net, vat) in sums.items())


def _payment(invoice: Invoice) -> PaymentInstructions | None:
    return PaymentInstructions.of(payable(PayableKind.INVOICE, invoice.id))


def delivery_note_for_parties(delivery_id: int) -> tuple[Delivery, Invoice | None]:
    """A delivery note read without an actor, only for what is sent to its parties' members
    (the dispatched and received emails). NotFound as for ``delivery_note``."""
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None or delivery.status not in (
        DeliveryStatus.DISPATCHED,
        DeliveryStatus.RECEIVED,
    ):
        raise NotFound("delivery note")
    return delivery, invoice_of_delivery(delivery.id)


def delivery_note(actor: Actor, delivery_id: int) -> tuple[Delivery, Invoice | None]:
    """A dispatched or received delivery and its invoice, for the members of its two parties
    (as its page). NotFound for anyone else, and while nothing has been dispatched (a planned
    or cancelled delivery has no note)."""
    delivery, _who = delivery_view(actor, delivery_id)
    if delivery.status not in (DeliveryStatus.DISPATCHED, DeliveryStatus.RECEIVED):
        raise NotFound("delivery note")
    return delivery, invoice_of_delivery(delivery.id)
