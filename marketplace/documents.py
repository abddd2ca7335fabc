"""Documents as PDF: a Jinja template (extending ``documents/_base.html``) rendered with
WeasyPrint.

Rendering never reaches the network: the only resources a document may load are ``data:``
URLs and files inside the static folder (images; fonts come from the system through
fontconfig). Anything else is refused and left out of the document.
"""

from __future__ import annotations

import base64
import logging
import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import Response, current_app, render_template
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from marketplace.extensions import db
from marketplace.i18n import LANGUAGES
from marketplace.mail import Attachment
from marketplace.models import Delivery, Invoice
from marketplace.qr import qr_svg
from marketplace.search.folding import fold
from marketplace.services.deals import contracts
from marketplace.services.deals import documents as deal_documents
from marketplace.services.deals.contracts import ContractView
from marketplace.services.deals.documents import InvoiceDocument, invoice_document_for_parties
from marketplace.services.payments import receipts
from marketplace.services.payments.receipts import Receipt
from marketplace.urls import external_url
from marketplace.vietnam import today

log = logging.getLogger("marketplace.documents")

PDF_TYPE = "application/pdf"
_NOT_SAFE = re.compile(r"[^A-Z0-9]+")


class LocalOnlyFetcher(URLFetcher):
    """Fetches ``data:`` URLs and files under ``root``; refuses everything else."""

    def __init__(self, root: str):
        super().__init__(allowed_protocols={"data", "file"}, allow_redirects=False)
        self.root = os.path.realpath(root)

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        if parts.scheme == "file":
            path = os.path.realpath(unquote(parts.path))
            if (
                parts.netloc not in ("", "localhost")
                or os.path.commonpath([path, self.root]) != self.root
            ):
                raise ValueError(f"not a static file: {url}")
        elif parts.scheme != "data":
            raise ValueError(f"documents load nothing from the network: {url}")
        return super().fetch(url, headers)


def render_pdf(template: str, **context) -> bytes:
    """The template rendered as A4 PDF bytes (in the current locale: callers outside a
    request use ``flask_babel.force_locale``)."""
    context.setdefault("generated_on", today())
    context.setdefault("page_counter", page_counter())
    html = render_template(template, **context)
    static = current_app.static_folder or current_app.root_path
    return HTML(
        string=html,
        base_url=Path(static).as_uri() + "/",
        url_fetcher=LocalOnlyFetcher(static),
    ).write_pdf()


def page_counter() -> str:
    """The CSS ``content`` of the page footer: "Trang 1/3", "Page 1 of 3"."""
    text = _("Page %(page)s of %(pages)s", page="\x01", pages="\x02")
    quoted = '"' + re.sub(r'["\\\n<>]', "", text) + '"'
    return quoted.replace("\x01", '" counter(page) "').replace("\x02", '" counter(pages) "')


def ascii_filename(name: str, extension: str = "pdf") -> str:
    """A file name any mail client and browser keeps: "HĐ-2026-00012" → "HD-2026-00012.pdf"."""
    stem = _NOT_SAFE.sub("-", fold(name).upper()).strip("-")[:80] or "document"
    return f"{stem}.{extension}"


def pdf_response(data: bytes, filename: str) -> Response:
    """A PDF to download, named ``filename`` (ASCII, from ``ascii_filename``)."""
    response = Response(data, mimetype=PDF_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def qr_data_url(payload: str) -> str:
    """A QR code as an SVG ``data:`` URL (sharp at any print size, nothing to fetch)."""
    return "data:image/svg+xml;base64," + base64.b64encode(qr_svg(payload)).decode()


# --- the documents --------------------------------------------------------------------------


def invoice_pdf(doc: InvoiceDocument) -> tuple[str, bytes]:
    """The invoice's file name and PDF, in the current language (the amount in words in
    Vietnamese always, in English too for an English reader)."""
    data = render_pdf(
        "documents/invoice.html",
        doc=doc,
        qr=qr_data_url(doc.payment.qr_payload) if doc.payment else None,
        english=str(get_locale()) == "en",
    )
    return ascii_filename(doc.number), data


def contract_pdf(view: ContractView) -> tuple[str, bytes]:
    """The contract (its terms, signatures and delivery schedule) as a PDF."""
    contract = view.contract
    data = render_pdf("documents/contract.html", view=view, contract=contract)
    return ascii_filename(contract.number), data


def delivery_note_pdf(delivery: Delivery, invoice: Invoice | None) -> tuple[str, bytes]:
    """A delivery note: what was dispatched (with lot and traceability codes) and what the
    buyer accepted or rejected."""
    contract = delivery.contract
    number = f"{contract.number}/{delivery.sequence}"
    data = render_pdf(
        "documents/delivery_note.html",
        delivery=delivery,
        contract=contract,
        number=number,
        invoice=invoice,
        trace_url=lambda code: external_url("listings.trace", code=code),
    )
    return ascii_filename(f"PGH-{contract.number}-{delivery.sequence}"), data


def receipt_pdf(receipt: Receipt) -> tuple[str, bytes]:
    """A succeeded payment's receipt as a PDF."""
    data = render_pdf("documents/receipt.html", receipt=receipt, english=str(get_locale()) == "en")
    return ascii_filename(receipt.filename_stem), data


# --- documents attached to emails -----------------------------------------------------------


def invoice_attachment(spec: dict) -> Attachment:
    """The invoice's PDF for an email to its parties, in the recipient's language (the
    ``invoice`` attachment maker). Read in a savepoint, so a failure leaves the outbox pass
    that sends the email unharmed."""
    language = spec.get("language") if spec.get("language") in LANGUAGES else "vi"
    with force_locale(language), db.session.begin_nested():
        filename, data = invoice_pdf(invoice_document_for_parties(int(spec["id"])))
    return Attachment(filename, PDF_TYPE, data)


def receipt_attachment(spec: dict) -> Attachment:
    """A payment's receipt as a PDF for the "payment received" email to its parties (the
    ``receipt`` attachment maker), in the recipient's language."""
    language = spec.get("language") if spec.get("language") in LANGUAGES else "vi"
    with force_locale(language), db.session.begin_nested():
        filename, data = receipt_pdf(receipts.receipt_for_parties(int(spec["id"])))
    return Attachment(filename, PDF_TYPE, data)


def contract_attachment(spec: dict) -> Attachment:
    """The contract's PDF for the "contract active" email to both parties (the ``contract``
    attachment maker), in the recipient's language."""
    language = spec.get("language") if spec.get("language") in LANGUAGES else "vi"
    with force_locale(language), db.session.begin_nested():
        filename, data = contract_pdf(contracts.contract_view_for_parties(int(spec["id"])))
    return Attachment(filename, PDF_TYPE, data)


def delivery_note_attachment(spec: dict) -> Attachment:
    """The delivery note's PDF for the dispatched and received emails (the ``delivery_note``
    attachment maker), in the recipient's language."""
    language = spec.get("language") if spec.get("language") in LANGUAGES else "vi"
    with force_locale(language), db.session.begin_nested():
        filename, data = delivery_note_pdf(
            *deal_documents.delivery_note_for_parties(int(spec["id"]))
        )
    return Attachment(filename, PDF_TYPE, data)


def fair_fee_pdf(doc) -> tuple[str, bytes]:
    """A booth fee's invoice (``services.fair_fees.FairFeeDocument``) as a PDF, in the
    current language."""
    data = render_pdf(
        "documents/fair_fee.html",
        doc=doc,
        qr=qr_data_url(doc.payment.qr_payload) if doc.payment else None,
        english=str(get_locale()) == "en",
    )
    return ascii_filename(doc.number), data


def fair_fee_attachment(spec: dict) -> Attachment:
    """The booth fee's invoice for the acceptance email to the co-op (the ``fair_fee``
    attachment maker), in the recipient's language."""
    from marketplace.services import fair_fees

    language = spec.get("language") if spec.get("language") in LANGUAGES else "vi"
    with force_locale(language), db.session.begin_nested():
        filename, data = fair_fee_pdf(fair_fees.fee_document_for_parties(int(spec["id"])))
    return Attachment(filename, PDF_TYPE, data)
