"""Documents as PDF: the invoice (and its plain data), the contract, the delivery note and a
payment's receipt; who may download them; the invoice attached to the email announcing it.

The PDFs are read back with poppler's ``pdftotext`` and ``pdffonts``, as a person's PDF
reader would show them."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from marketplace.documents import LocalOnlyFetcher, ascii_filename
from marketplace.extensions import db
from marketplace.i18n import amount_in_words, format_money
from marketplace.models import (
    Invoice,
    InvoiceLine,
    LedgerEntry,
    OutboxMessage,
    PayableKind,
    Payment,
    PaymentStatus,
    Role,
    User,
)
from marketplace.services.catalogue import listings
from marketplace.services.deals import contracts, deliveries
from marketplace.services.deals.documents import (
    delivery_note,
    invoice_document,
    invoice_document_for_parties,
)
from marketplace.services.errors import NotFound
from marketplace.services.payments import commission, platform, receipts, transfers
from marketplace.services.payments.payables import transfer_reference
from marketplace.vietnam import today
from tests.factories import (
    actor_for,
    add_member,
    admin_actor,
    coop_with_listing,
    invoiced,
    location_id,
    login,
    make_person,
    settle,
    tier_price,
    verified_buyer,
    verified_coop,
)

pytestmark = pytest.mark.usefixtures("stripe_mock")

NOT_AN_E_INVOICE = "không phải hóa đơn điện tử"


def pdf_text(data: bytes, *pages: int) -> str:
    """The PDF's text as ``pdftotext -layout`` lays it out (only ``pages``, first to last)."""
    assert data.startswith(b"%PDF-")
    command = ["pdftotext", "-layout"]
    if pages:
        command += ["-f", str(pages[0]), "-l", str(pages[-1])]
    return subprocess.run(
        [*command, "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


def flat(text: str) -> str:
    """Text with every run of white space made one space (lines wrap where the layout says)."""
    return " ".join(text.split())


def page_count(data: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout.decode(), re.M)[1])


def download(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="')
    return response.data


def traced_delivery(app, *, accepted: str = "100", rejected: str = "20"):
    """A one-off order of the co-op's listing, dispatched from lot "LSAM-2026-07" and received
    with ``rejected`` bottles refused: (buyer, coop, delivery id, invoice id, lot public code)."""
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    listing_id = coop_with_listing(app, coop)
    with app.app_context():
        lot = listings.create_lot(
            actor_for(coop),
            coop.organization_id,
            listing_id,
            listings.LotData(
                code="LSAM-2026-07", produced_on=today() - timedelta(days=5), quantity="500"
            ),
            None,
        )
        order = contracts.place_spot_order(
            actor_for(buyer),
            buyer.organization_id,
            listing_id,
            contracts.SpotOrderData(
                "120",
                today() + timedelta(days=5),
                location_id(buyer),
                seen_unit_price=tier_price(listing_id, 120),
            ),
        )
        contracts.sign(actor_for(coop), order.id, order.version, confirmed=True)
        [delivery] = order_deliveries(order.id)
        [line] = delivery.lines
        deliveries.dispatch(
            actor_for(coop),
            delivery.id,
            delivery.version,
            {line.id: deliveries.DispatchLine("120", lot.id)},
            early=True,
        )
        _done, invoice = deliveries.receive(
            actor_for(buyer),
            delivery.id,
            delivery.version,
            {line.id: deliveries.ReceiptLine(accepted, rejected, "Nhãn bị rách")},
        )
        result = (buyer, coop, delivery.id, invoice.id, lot.public_code)
        settle()
    return result


def order_deliveries(contract_id: int):
    from marketplace.models import Delivery

    return list(db.session.scalars(select(Delivery).where(Delivery.contract_id == contract_id)))


# --- the invoice as data ------------------------------------------------------------------


def test_the_invoice_document_is_plain_data_for_its_parties_only(app):
    buyer, coop, _delivery_id, invoice_id, _code = traced_delivery(app)
    buyer_staff = add_member(app, buyer.organization_id, Role.STAFF)
    stranger = verified_buyer(app, name="Bếp ăn Kim Đồng")
    admin = make_person(app, kind=None, admin=True)
    with app.app_context():
        invoice = db.session.get_one(Invoice, invoice_id)
        doc = invoice_document(actor_for(buyer), invoice_id)
        assert invoice_document(actor_for(coop), invoice_id) == doc
        assert invoice_document(actor_for(buyer_staff), invoice_id) == doc
        assert invoice_document_for_parties(invoice_id) == doc
        assert (doc.number, doc.currency, doc.issue_date) == (invoice.number, "VND", today())
        assert doc.due_date == invoice.due_on
        assert doc.seller.tax_code == "6201234567" and doc.buyer.tax_code == "0101234567"
        assert doc.seller.legal_name == "Hợp tác xã Sâm Lai Châu Mường Tè"
        assert doc.buyer.address == "12 Láng Hạ, Phường Láng, Hà Nội"
        [line] = doc.lines
        assert (line.delivered, line.quantity, line.rejected) == (120, 100, 20)
        assert line.net + line.vat == line.total and line.vat_rate == invoice.lines[0].vat_rate
        assert (doc.totals.subtotal, doc.totals.vat, doc.totals.total) == (
            invoice.subtotal,
            invoice.vat_total,
            invoice.total,
        )
        assert doc.totals.total_in_words == amount_in_words(invoice.total, "vi")
        assert doc.totals.total_in_words.endswith(" đồng")
        # The co-op has a bank account: what to transfer, with the invoice's reference.
        assert doc.payment is not None
        assert doc.payment.account == "8800205123456" and doc.payment.amount == invoice.total
        assert doc.payment.reference == transfer_reference(PayableKind.INVOICE, invoice_id)
        for outsider in (stranger, admin):
            with pytest.raises(NotFound):
                invoice_document(actor_for(outsider), invoice_id)
        with pytest.raises(NotFound):
            invoice_document_for_parties(invoice_id + 10_000)


# --- the invoice as PDF -------------------------------------------------------------------


def test_the_invoice_pdf_shows_number_total_words_tax_codes_and_what_it_is_not(app, client):
    buyer, _coop, invoice_id, total = invoiced(app, accepted="118")
    with app.app_context():
        number = db.session.get_one(Invoice, invoice_id).number
    login(client, buyer)
    response = client.get(f"/invoices/{invoice_id}/pdf")
    assert response.headers["Content-Disposition"] == f'attachment; filename="{number}.pdf"'
    text = flat(pdf_text(download(client, f"/invoices/{invoice_id}/pdf")))
    assert number in text
    assert format_money(total).replace("\u00a0", " ") in text
    assert amount_in_words(total, "vi") in text
    assert "6201234567" in text and "0101234567" in text
    assert "HÓA ĐƠN THƯƠNG MẠI" in text and NOT_AN_E_INVOICE in text
    assert "Hợp tác xã Sâm Lai Châu Mường Tè" in text and "Công ty TNHH Siêu thị Xanh" in text
    # How to pay: the co-op's account and the reference that matches the transfer.
    assert "8800205123456" in text
    assert transfer_reference(PayableKind.INVOICE, invoice_id) in text
    # Vietnamese reader: no English words.
    assert amount_in_words(total, "en") not in text
    assert "Trang 1/1" in text


def test_an_english_reader_gets_the_total_in_both_languages(app, client):
    buyer, _coop, invoice_id, total = invoiced(app)
    with app.app_context():
        db.session.get_one(User, buyer.id).locale = "en"
        settle()
    login(client, buyer)
    text = flat(pdf_text(download(client, f"/invoices/{invoice_id}/pdf")))
    assert amount_in_words(total, "vi") in text and amount_in_words(total, "en") in text
    assert "COMMERCIAL INVOICE" in text and "Page 1 of 1" in text


def test_a_long_invoice_runs_over_pages_with_its_column_headers_on_each(app, client):
    buyer, _coop, invoice_id, _total = invoiced(app)
    with app.app_context():
        invoice = db.session.get_one(Invoice, invoice_id)
        first = invoice.lines[0]
        for n in range(2, 201):
            invoice.lines.append(
                InvoiceLine(
                    description=f"Mặt hàng số {n}",
                    unit=first.unit,
                    quantity=1,
                    unit_price=first.unit_price,
                    vat_rate=first.vat_rate,
                    net=first.unit_price,
                    vat=0,
                    total=first.unit_price,
                )
            )
        settle()
    login(client, buyer)
    data = download(client, f"/invoices/{invoice_id}/pdf")
    pages = page_count(data)
    assert pages >= 3
    second = pdf_text(data, 2)
    # The table's column headers again at the top of the page (one-line ones: others wrap).
    head = second[: second.index("Mặt hàng số")]
    assert all(title in head for title in ("Hàng hóa", "Đơn giá", "Thành tiền", "Tổng cộng"))
    assert f"Trang 2/{pages}" in flat(second)
    assert "Mặt hàng số 200" in flat(pdf_text(data, pages - 1, pages))


def test_the_fonts_of_a_pdf_are_embedded(app, client):
    buyer, _coop, invoice_id, _total = invoiced(app)
    login(client, buyer)
    data = download(client, f"/invoices/{invoice_id}/pdf")
    fonts = subprocess.run(["pdffonts", "-"], input=data, capture_output=True, check=True)
    rows = fonts.stdout.decode().splitlines()[2:]
    assert rows and any("DejaVu" in row for row in rows)
    # Columns: name, type, encoding, emb, sub, uni, object ID — "emb" is the 4th from last.
    assert all(row.split()[-5] == "yes" for row in rows), rows


# --- contract, delivery note, receipt -----------------------------------------------------


def test_the_contract_pdf_has_its_parties_terms_schedule_and_signatures(app, client):
    buyer, coop, delivery_id, _invoice_id, _code = traced_delivery(app)
    with app.app_context():
        from marketplace.models import Delivery

        contract = db.session.get_one(Delivery, delivery_id).contract
        contract_id, number = contract.id, contract.number
    login(client, coop)
    response = client.get(f"/contracts/{contract_id}/pdf")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{ascii_filename(number)}"'
    )
    assert ascii_filename(number).startswith("HD-")
    text = flat(pdf_text(download(client, f"/contracts/{contract_id}/pdf")))
    assert number in text and "ĐƠN ĐẶT HÀNG" in text
    assert "Hợp tác xã Sâm Lai Châu Mường Tè" in text and "Công ty TNHH Siêu thị Xanh" in text
    assert "6201234567" in text and "0101234567" in text
    assert "Phụ lục: lịch giao hàng" in text and "Đã nhận" in text
    assert "Đã ký bởi" in text


def test_the_delivery_note_shows_lots_traceability_codes_and_what_was_refused(app, client):
    buyer, coop, delivery_id, _invoice_id, public_code = traced_delivery(app)
    login(client, buyer)
    text = flat(pdf_text(download(client, f"/deliveries/{delivery_id}/pdf")))
    assert "PHIẾU GIAO HÀNG" in text
    assert "LSAM-2026-07" in text and public_code in text
    assert f"/t/{public_code}" in text
    assert "Nhãn bị rách" in text
    assert re.search(r"\b120 LSAM-2026-07 \S+ 100 20\b", text), text
    assert "Hợp tác xã Sâm Lai Châu Mường Tè" in text and "Công ty TNHH Siêu thị Xanh" in text


def test_a_planned_delivery_has_no_note_yet(app):
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    listing_id = coop_with_listing(app, coop)
    with app.app_context():
        order = contracts.place_spot_order(
            actor_for(buyer),
            buyer.organization_id,
            listing_id,
            contracts.SpotOrderData(
                "120",
                today() + timedelta(days=5),
                location_id(buyer),
                seen_unit_price=tier_price(listing_id, 120),
            ),
        )
        contracts.sign(actor_for(coop), order.id, order.version, confirmed=True)
        [planned] = order_deliveries(order.id)
        with pytest.raises(NotFound):
            delivery_note(actor_for(coop), planned.id)


def test_a_receipt_for_a_recorded_transfer(app, client):
    buyer, coop, invoice_id, total = invoiced(app)
    admin = make_person(app, kind=None, admin=True)
    stranger = verified_buyer(app, name="Bếp ăn Kim Đồng")
    with app.app_context():
        payment = transfers.record_transfer(
            actor_for(coop),
            PayableKind.INVOICE,
            invoice_id,
            amount=str(total),
            paid_on=today(),
            bank_reference="FT26001234567",
        )
        payment_id = payment.id
        settle()
    with app.app_context():
        found = receipts.receipt(actor_for(admin), payment_id)
        assert (found.amount, found.bank_reference) == (total, "FT26001234567")
        assert found.payer.tax_code == "0101234567" and found.payee.tax_code == "6201234567"
        with pytest.raises(NotFound):
            receipts.receipt(actor_for(stranger), payment_id)
    login(client, buyer)
    response = client.get(f"/payments/{payment_id}/receipt")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="BL-{payment_id:06d}.pdf"'
    )
    text = flat(pdf_text(download(client, f"/payments/{payment_id}/receipt")))
    assert "BIÊN LAI THANH TOÁN" in text
    assert format_money(total).replace("\u00a0", " ") in text
    assert amount_in_words(total, "vi") in text
    assert "FT26001234567" in text and "Chuyển khoản" in text
    assert "Công ty TNHH Siêu thị Xanh" in text and "Hợp tác xã Sâm Lai Châu Mường Tè" in text
    assert today().strftime("%d/%m/%Y") in text


def test_a_receipt_for_a_payment_to_the_platform_itself(app, client):
    _buyer, coop, invoice_id, total = invoiced(app)
    admin = admin_actor(app)
    with app.app_context():
        transfers.record_transfer(
            actor_for(coop),
            PayableKind.INVOICE,
            invoice_id,
            amount=str(total),
            paid_on=today(),
            bank_reference="FT-HANG-1",
        )
        # The transfer's fee falls in last month, which the platform bills.
        period = commission.last_month()
        db.session.execute(
            update(LedgerEntry)
            .where(LedgerEntry.organization_id == coop.organization_id)
            .values(created_at=datetime(period.year, period.month, 15, 5, tzinfo=UTC))
        )
        [billed] = commission.bill_month(actor_for(admin), period).issued
        platform.save_bank_account(
            actor_for(admin), bin="970436", account="0071001234567", holder="CONG TY CHO HTX"
        )
        fee = billed.amount
        payment_id = transfers.record_transfer(
            actor_for(admin),
            PayableKind.COMMISSION,
            billed.id,
            amount=str(fee),
            paid_on=today(),
            bank_reference="FT-PHI-1",
        ).id
        settle()
    login(client, coop)
    text = flat(pdf_text(download(client, f"/payments/{payment_id}/receipt")))
    assert "CONG TY CHO HTX" in text and "Hợp tác xã Sâm Lai Châu Mường Tè" in text
    assert format_money(fee).replace("\u00a0", " ") in text and "FT-PHI-1" in text


def test_a_payment_that_did_not_succeed_has_no_receipt(app, client):
    buyer, coop, invoice_id, _total = invoiced(app)
    with app.app_context():
        from marketplace.blueprints.payments import checkout

        pending, _url = checkout.start_card_payment(
            actor_for(buyer), PayableKind.INVOICE, invoice_id, locale="vi"
        )
        pending_id = pending.id
        assert db.session.get_one(Payment, pending_id).status is not PaymentStatus.SUCCEEDED
    login(client, buyer)
    assert client.get(f"/payments/{pending_id}/receipt").status_code == 404
    assert client.get("/payments/987654/receipt").status_code == 404


# --- who may download ---------------------------------------------------------------------


def test_another_organisation_gets_404_and_anonymous_the_login_page(app, client):
    buyer, coop, delivery_id, invoice_id, _code = traced_delivery(app)
    with app.app_context():
        contract_id = db.session.get_one(Invoice, invoice_id).contract_id
        payment_id = transfers.record_transfer(
            actor_for(coop),
            PayableKind.INVOICE,
            invoice_id,
            amount="1000",
            paid_on=today(),
            bank_reference="FT-PART-1",
            partial=True,
        ).id
        settle()
    urls = [
        f"/invoices/{invoice_id}/pdf",
        f"/contracts/{contract_id}/pdf",
        f"/deliveries/{delivery_id}/pdf",
        f"/payments/{payment_id}/receipt",
    ]
    for url in urls:
        response = app.test_client().get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    other_coop = verified_coop(app, organization_name="HTX Chè Tà Xùa")
    other_buyer = verified_buyer(app, name="Bếp ăn Kim Đồng")
    for outsider in (other_coop, other_buyer):
        stranger = app.test_client()
        login(stranger, outsider)
        for url in urls:
            assert stranger.get(url).status_code == 404, url
    coop_staff = add_member(app, coop.organization_id, Role.STAFF)
    login(client, coop_staff)
    for url in urls:
        download(client, url)


# --- the invoice attached to its email ----------------------------------------------------


def test_the_invoice_issued_email_carries_the_invoice_pdf(app, mailbox):
    buyer, coop, invoice_id, total = invoiced(app)
    with app.app_context():
        number = db.session.get_one(Invoice, invoice_id).number
        queued = [
            m.payload
            for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "email"))
            if any(spec["kind"] == "invoice" for spec in m.payload.get("attach", ()))
        ]
        # The outbox names the document; its bytes are made when the email is sent.
        assert queued and all(
            p["attach"] == [{"kind": "invoice", "id": invoice_id, "language": "vi"}] for p in queued
        )
        assert all(set(p) == {"to", "subject", "text", "attach"} for p in queued)
    for person in (buyer, coop):
        [message] = [m for m in mailbox.to(person.email) if number in m["Subject"]]
        [attachment] = list(message.iter_attachments())
        assert attachment.get_content_type() == "application/pdf"
        assert attachment.get_filename() == f"{number}.pdf"
        text = flat(pdf_text(attachment.get_content()))
        assert number in text and amount_in_words(total, "vi") in text
        assert "PDF" in mailbox.body(message.get_body(("plain",)))


def test_the_payment_received_email_carries_the_receipt_pdf(app, mailbox):
    buyer, coop, invoice_id, total = invoiced(app)
    with app.app_context():
        number = db.session.get_one(Invoice, invoice_id).number
        payment = transfers.record_transfer(
            actor_for(coop),
            PayableKind.INVOICE,
            invoice_id,
            amount=str(total),
            paid_on=today(),
            bank_reference="FT-RECEIPT-1",
        )
        payment_id = payment.id
        settle()
    for person in (buyer, coop):
        [message] = [
            m
            for m in mailbox.to(person.email)
            if number in m["Subject"]
            and list(m.iter_attachments())
            and "FT-RECEIPT-1" in flat(pdf_text(next(m.iter_attachments()).get_content()))
        ]
        [attachment] = list(message.iter_attachments())
        assert attachment.get_content_type() == "application/pdf"
        text = flat(pdf_text(attachment.get_content()))
        assert amount_in_words(total, "vi") in text and number in text
    with app.app_context(), pytest.raises(NotFound):
        receipts.receipt_for_parties(payment_id + 999)


def test_an_email_whose_attachment_cannot_be_made_still_goes_without_it(app, mailbox, caplog):
    makers = app.extensions["attachment_makers"]

    def broken(spec):
        raise RuntimeError("no fonts today")

    app.extensions["attachment_makers"] = {"invoice": broken}
    try:
        buyer, _coop, invoice_id, _total = invoiced(app)
    finally:
        app.extensions["attachment_makers"] = makers
    with app.app_context():
        number = db.session.get_one(Invoice, invoice_id).number
    [message] = [m for m in mailbox.to(buyer.email) if number in m["Subject"]]
    assert not list(message.iter_attachments())
    assert "could not be made" in caplog.text


# --- rendering stays local ----------------------------------------------------------------


def test_documents_fetch_nothing_from_the_network_nor_files_outside_static(app, tmp_path):
    fetcher = LocalOnlyFetcher(app.static_folder)
    for url in (
        "http://127.0.0.1:1/x.png",
        "https://example.com/font.woff2",
        "ftp://example.com/x",
        "file:///etc/passwd",
        f"file://{app.static_folder}/../pyproject.toml",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"
    assert b"<svg" in fetcher.fetch(f"file://{app.static_folder}/img/favicon.svg").read()


def test_file_names_are_ascii():
    assert ascii_filename("HĐ-2026-00012") == "HD-2026-00012.pdf"
    assert ascii_filename("PGH-HĐ-2026-00012-3") == "PGH-HD-2026-00012-3.pdf"
    assert ascii_filename("  ") == "document.pdf"


def test_the_contract_active_and_delivery_emails_carry_their_pdfs(app, mailbox):
    """Both parties get the signed contract with "contract active", the buyer the delivery
    note with "on its way", the co-op the note with what was accepted on "received"."""
    buyer, coop, delivery_id, _invoice_id, public_code = traced_delivery(app)
    with app.app_context():
        from marketplace.models import Delivery

        contract = db.session.get_one(Delivery, delivery_id).contract
        number = contract.number
        with pytest.raises(NotFound):
            contracts.contract_view_for_parties(contract.id + 999)

    def pdf_of(person, subject_part: str) -> str:
        [message] = [m for m in mailbox.to(person.email) if subject_part in m["Subject"]]
        [attachment] = list(message.iter_attachments())
        assert attachment.get_content_type() == "application/pdf"
        return flat(pdf_text(attachment.get_content()))

    for person in (buyer, coop):
        text = pdf_of(person, "đã có hiệu lực")
        assert number in text and "Phụ lục: lịch giao hàng" in text
    on_its_way = pdf_of(buyer, "Hàng đang được giao")
    assert "PHIẾU GIAO HÀNG" in on_its_way and public_code in on_its_way
    received = pdf_of(coop, "Đã nhận hàng")
    assert "PHIẾU GIAO HÀNG" in received and "Nhãn bị rách" in received
