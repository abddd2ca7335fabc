"""The pay page that never dead-ends: copy buttons, the VietQR PNG, the payer's "I have
transferred" and the payee's answer, and asking a payee without a bank account to add one."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.i18n import amount_in_words
from marketplace.models import (
    ClaimStatus,
    Invoice,
    InvoiceStatus,
    Notification,
    Organization,
    PayableKind,
    Payment,
    Role,
    TransferClaim,
)
from marketplace.services.deals import invoices
from marketplace.services.errors import NotFound, PermissionDenied, ValidationFailed
from marketplace.services.payments import claims, payables, platform, statements, transfers
from marketplace.vietnam import today
from tests.factories import actor_for as actor
from tests.factories import (
    add_member,
    admin_actor,
    flashes,
    invoiced,
    jpeg,
    ledger_ok,
    login,
    settle,
    verified_buyer,
)

K = PayableKind


def claim(app, person, invoice_id, **values):
    with app.app_context():
        made = claims.claim_transfer(actor(person), K.INVOICE, invoice_id, **values)
        claim_id = made.id
        settle()
    return claim_id


def status_of(app, claim_id) -> ClaimStatus:
    with app.app_context():
        return db.session.get_one(TransferClaim, claim_id).status


# --- the pay page --------------------------------------------------------------------------


def test_the_pay_page_offers_copy_buttons_words_due_date_and_a_qr_png_of_its_payload(app, client):
    buyer, coop, invoice_id, total = invoiced(app)
    login(client, buyer)
    page = client.get(f"/pay/invoice/{invoice_id}").get_data(as_text=True)
    with app.app_context():
        found = payables.payable(K.INVOICE, invoice_id)
        bank = transfers.bank_details(found)
        due = db.session.get_one(Invoice, invoice_id).due_on
    # Each value has its own copy button; the amount is copied as digits only.
    for value in (bank["account"], bank["holder"], str(total), found.reference):
        assert f'data-copy="{value}"' in page
    assert amount_in_words(total, "vi") in page
    assert f"{due.day:02d}/{due.month:02d}/{due.year}" in page
    # The PNG to save holds exactly the page's payload.
    png = client.get(f"/pay/invoice/{invoice_id}/vietqr.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert "attachment" in png.headers["Content-Disposition"]
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)))
    assert [code.text for code in decoded] == [bank["payload"]]
    # The "I have transferred" button is there for the payer, not for the payee.
    assert "I have transferred" in page or "Tôi đã chuyển khoản" in page
    payee = app.test_client()
    login(payee, coop)
    payee_page = payee.get(f"/pay/invoice/{invoice_id}").get_data(as_text=True)
    assert 'id="claim-button"' not in payee_page and 'id="claim-button"' in page


def test_no_qr_png_once_nothing_is_owed_or_for_outsiders(app, client):
    buyer, coop, invoice_id, _total = invoiced(app)
    outsider = app.test_client()
    login(outsider, verified_buyer(app, name="Bếp Khác"))
    assert outsider.get(f"/pay/invoice/{invoice_id}/vietqr.png").status_code == 404
    login(client, buyer)
    assert client.get(f"/pay/invoice/{invoice_id}/vietqr.png").status_code == 200
    with app.app_context():
        invoices.void(actor(coop), invoice_id, "Xuất nhầm")
        settle()
    assert client.get(f"/pay/invoice/{invoice_id}/vietqr.png").status_code == 404


# --- "I have transferred" and the payee's answer ----------------------------------------------


def test_a_claim_confirmed_by_the_payee_pays_the_invoice(app, client, mailbox):
    buyer, coop, invoice_id, total = invoiced(app)
    login(client, buyer)
    response = client.post(
        f"/pay/invoice/{invoice_id}/transferred",
        data={"amount": "", "paid_on": today().isoformat(), "bank_reference": "FT2634001"},
    )
    assert response.status_code == 302
    with app.app_context():
        made = db.session.scalars(select(TransferClaim)).one()
        assert made.status is ClaimStatus.AWAITING and made.amount == total
        claim_id = made.id
        # The payee's members hear it by email and in the app, with the page to answer.
        notices = db.session.scalars(
            select(Notification).where(Notification.user_id == coop.id)
        ).all()
        assert any(n.link == f"/transfer-claims/{claim_id}" for n in notices)
    mail = mailbox.to(coop.email)
    assert mail and f"/transfer-claims/{claim_id}" in mailbox.body(mail[-1])
    # Both sides see "awaiting confirmation".
    assert 'id="awaiting"' in client.get(f"/pay/invoice/{invoice_id}").get_data(as_text=True)
    payee = app.test_client()
    login(payee, coop)
    assert 'id="awaiting"' in payee.get(f"/pay/invoice/{invoice_id}").get_data(as_text=True)
    # ... on the invoice and in both invoice lists too.
    for who, org_id in ((client, buyer.organization_id), (payee, coop.organization_id)):
        assert 'id="invoice-awaiting"' in who.get(f"/invoices/{invoice_id}").get_data(as_text=True)
        assert "Chờ xác nhận" in who.get(f"/orgs/{org_id}/invoices").get_data(as_text=True)
    claim_page = payee.get(f"/transfer-claims/{claim_id}").get_data(as_text=True)
    assert "FT2634001" in claim_page and 'id="confirm-button"' in claim_page
    # The payee confirms what its account shows.
    response = payee.post(
        f"/transfer-claims/{claim_id}/confirm",
        data={
            "amount": str(total),
            "paid_on": today().isoformat(),
            "bank_reference": "FT2634001",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        made = db.session.get_one(TransferClaim, claim_id)
        assert made.status is ClaimStatus.CONFIRMED and made.payment_id is not None
        assert db.session.get_one(Payment, made.payment_id).amount == total
        assert db.session.get_one(Invoice, invoice_id).status is InvoiceStatus.PAID
    ledger_ok(app)


@pytest.mark.parametrize(
    ("amount", "message"), [("-1", "Underpaid"), ("+1", "Overpaid")], ids=["less", "more"]
)
def test_a_confirmed_amount_that_differs_is_flagged_never_settled(app, amount, message):
    buyer, coop, invoice_id, total = invoiced(app)
    claim_id = claim(app, buyer, invoice_id)
    typed = str(total + int(amount))
    with app.app_context(), pytest.raises(ValidationFailed) as refused:
        claims.confirm_claim(
            actor(coop), claim_id, amount=typed, paid_on=today(), bank_reference="FT1"
        )
    assert message in str(refused.value.errors["amount"])
    db_state(app, claim_id, invoice_id, ClaimStatus.AWAITING, InvoiceStatus.ISSUED)
    # Knowingly a part payment: recorded, the invoice stays open, the claim is answered.
    with app.app_context():
        if amount == "-1":
            claims.confirm_claim(
                actor(coop),
                claim_id,
                amount=typed,
                paid_on=today(),
                bank_reference="FT1",
                partial=True,
            )
            settle()
    if amount == "-1":
        db_state(app, claim_id, invoice_id, ClaimStatus.CONFIRMED, InvoiceStatus.ISSUED)
    ledger_ok(app)


def db_state(app, claim_id, invoice_id, claim_status, invoice_status):
    with app.app_context():
        assert db.session.get_one(TransferClaim, claim_id).status is claim_status
        assert db.session.get_one(Invoice, invoice_id).status is invoice_status
        if claim_status is ClaimStatus.AWAITING:
            assert (
                db.session.scalar(select(Payment.id).where(Payment.bank_reference == "FT1")) is None
            )


def test_claiming_twice_on_a_paid_or_void_invoice_or_by_the_payee_is_refused(app, client):
    buyer, coop, invoice_id, total = invoiced(app)
    claim(app, buyer, invoice_id)
    # Twice: refused with a message, the form kept.
    login(client, buyer)
    page = client.post(
        f"/pay/invoice/{invoice_id}/transferred",
        data={"amount": "", "bank_reference": "FT-TWICE"},
    )
    assert page.status_code == 422
    assert "Bạn đã báo rồi" in page.get_data(as_text=True)
    with app.app_context():
        assert len(claims.claims_of(K.INVOICE, invoice_id)) == 1
        # The payee is not the payer; an outsider does not see it at all.
        with pytest.raises(PermissionDenied):
            claims.claim_transfer(actor(coop), K.INVOICE, invoice_id)
        outsider = verified_buyer(app, name="Bếp Ngoài")
        with pytest.raises(NotFound):
            claims.claim_transfer(actor(outsider), K.INVOICE, invoice_id)
    # Paid by a recorded transfer: the awaiting claim is closed, a new one refused.
    with app.app_context():
        transfers.record_transfer(
            actor(coop),
            K.INVOICE,
            invoice_id,
            amount=str(total),
            paid_on=today(),
            bank_reference="FT-PAID",
        )
        settle()
    with app.app_context():
        assert claims.claims_of(K.INVOICE, invoice_id)[0].status is ClaimStatus.CLOSED
        with pytest.raises(ValidationFailed) as refused:
            claims.claim_transfer(actor(buyer), K.INVOICE, invoice_id)
        assert "đã được thanh toán" in str(refused.value.errors["amount"])
    ledger_ok(app)


def test_a_void_invoice_cannot_be_claimed(app):
    buyer, coop, invoice_id, _total = invoiced(app)
    with app.app_context():
        invoices.void(actor(coop), invoice_id, "Xuất nhầm")
        settle()
    with app.app_context(), pytest.raises(ValidationFailed):
        claims.claim_transfer(actor(buyer), K.INVOICE, invoice_id)


def test_not_arrived_tells_the_payer_who_may_claim_again(app, client, mailbox):
    buyer, coop, invoice_id, _total = invoiced(app)
    claim_id = claim(app, buyer, invoice_id)
    payee = app.test_client()
    login(payee, coop)
    empty = payee.post(f"/transfer-claims/{claim_id}/not-arrived", data={"note": " "})
    assert empty.status_code == 422
    response = payee.post(
        f"/transfer-claims/{claim_id}/not-arrived",
        data={"note": "Chưa thấy khoản nào với mã này đến hôm nay."},
    )
    assert response.status_code == 302
    assert status_of(app, claim_id) is ClaimStatus.NOT_ARRIVED
    assert "Chưa thấy khoản nào" in mailbox.body(mailbox.to(buyer.email)[-1])
    login(client, buyer)
    page = client.get(f"/pay/invoice/{invoice_id}").get_data(as_text=True)
    assert "Chưa thấy khoản nào" in page and 'id="claim-button"' in page
    # Answered already: a second answer or a confirmation is refused.
    with app.app_context(), pytest.raises(ValidationFailed):
        claims.confirm_claim(
            actor(coop), claim_id, amount="1", paid_on=today(), bank_reference="FT9"
        )
    assert claim(app, buyer, invoice_id) != claim_id
    ledger_ok(app)


def test_confirming_a_claim_never_made_or_by_the_wrong_people(app, client):
    buyer, coop, invoice_id, total = invoiced(app)
    coop_staff = add_member(app, coop.organization_id, Role.STAFF)
    login(client, coop)
    assert client.get("/transfer-claims/999999").status_code == 404
    assert client.post("/transfer-claims/999999/confirm", data={}).status_code == 404
    claim_id = claim(app, buyer, invoice_id)
    with app.app_context():
        for who in (buyer, coop_staff):
            with pytest.raises(PermissionDenied):
                claims.confirm_claim(
                    actor(who), claim_id, amount=str(total), paid_on=today(), bank_reference="X"
                )
    assert status_of(app, claim_id) is ClaimStatus.AWAITING


def test_the_payer_takes_a_claim_back(app, client):
    buyer, coop, invoice_id, _total = invoiced(app)
    claim_id = claim(app, buyer, invoice_id)
    with app.app_context(), pytest.raises(PermissionDenied):
        claims.withdraw_claim(actor(coop), claim_id)
    login(client, buyer)
    assert client.post(f"/transfer-claims/{claim_id}/withdraw").status_code == 302
    assert status_of(app, claim_id) is ClaimStatus.WITHDRAWN


def test_a_receipt_photo_is_kept_privately_for_the_parties(app, client):
    buyer, coop, invoice_id, _total = invoiced(app)
    login(client, buyer)
    response = client.post(
        f"/pay/invoice/{invoice_id}/transferred",
        data={"receipt": (io.BytesIO(jpeg()), "bien-lai.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    with app.app_context():
        made = db.session.scalars(select(TransferClaim)).one()
        assert made.receipt_key
        claim_id = made.id
    # A short-lived signed address of the private file.
    assert client.get(f"/transfer-claims/{claim_id}/receipt").status_code == 302
    outsider = app.test_client()
    login(outsider, verified_buyer(app, name="Bếp Lạ"))
    assert outsider.get(f"/transfer-claims/{claim_id}/receipt").status_code == 404


def test_a_statement_import_still_matches_by_reference_and_closes_the_claim(app):
    buyer, coop, invoice_id, total = invoiced(app)
    claim_id = claim(app, buyer, invoice_id)
    with app.app_context():
        reference = payables.payable(K.INVOICE, invoice_id).reference
        csv = f"Ngày,Số tiền,Nội dung\n{today():%d/%m/%Y},{total},CK {reference}\n"
        imported = statements.upload(actor(coop), coop.organization_id, "sao-ke.csv", csv.encode())
        statements.apply(actor(coop), imported.id)
        settle()
    assert status_of(app, claim_id) is ClaimStatus.CLOSED
    with app.app_context():
        assert db.session.get_one(Invoice, invoice_id).status is InvoiceStatus.PAID
    ledger_ok(app)


# --- a payee without a bank account ----------------------------------------------------------


def test_the_payer_asks_a_payee_without_a_bank_account_once_a_day(app, client, mailbox):
    buyer, coop, invoice_id, _total = invoiced(app)
    with app.app_context():
        organization = db.session.get_one(Organization, coop.organization_id)
        organization.bank_bin = organization.bank_account_number = None
        settle()
    login(client, buyer)
    page = client.get(f"/pay/invoice/{invoice_id}").get_data(as_text=True)
    assert 'id="no-bank"' in page and "ask-bank-account" in page
    assert client.get(f"/pay/invoice/{invoice_id}/vietqr.png").status_code == 404
    assert client.post(f"/pay/invoice/{invoice_id}/ask-bank-account").status_code == 302
    mail = mailbox.to(coop.email)
    assert mail and f"/orgs/{coop.organization_id}/bank-account" in mailbox.body(mail[-1])
    client.get("/")  # the flash is shown
    assert client.post(f"/pay/invoice/{invoice_id}/ask-bank-account").status_code == 302
    assert any("hôm nay rồi" in text for _c, text in flashes(client))
    assert len(mailbox.to(coop.email)) == len(mail)
    # Once the payee adds its account, the payer who asked hears it can pay now.
    with app.app_context():
        transfers.save_bank_account(
            actor(coop),
            coop.organization_id,
            bin="970449",
            account="0071 0012 3456",
            holder="HTX THU NGHIEM",
        )
        settle()
    told = mailbox.to(buyer.email)
    assert told and f"/pay/invoice/{invoice_id}" in mailbox.body(told[-1])
    assert client.get(f"/pay/invoice/{invoice_id}/vietqr.png").status_code == 200


def test_pay_page_text_is_translated_in_english(app, client):
    buyer, _coop, invoice_id, total = invoiced(app)
    with app.app_context():
        from marketplace.models import User

        db.session.get_one(User, buyer.id).locale = "en"
        settle()
    login(client, buyer)
    page = client.get(f"/pay/invoice/{invoice_id}", headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    assert re.search(r"I have transferred", text)
    assert amount_in_words(total, "en") in text


def test_the_admin_payouts_page_names_banks_and_accounts_in_words(app, client):
    buyer, coop, invoice_id, total = invoiced(app)
    admin = admin_actor(app)
    with app.app_context():
        platform.save_bank_account(
            actor(admin), bin="970436", account="0011004455667", holder="CONG TY CHO HTX"
        )
        transfers.record_transfer(
            actor(coop),
            K.INVOICE,
            invoice_id,
            amount=str(total),
            paid_on=today(),
            bank_reference="FT-WORDS",
        )
        settle()
    login(client, admin)
    page = client.get("/admin/payouts").get_data(as_text=True)
    assert "Vietcombank · 0011004455667" in page
    # Balances by what they mean, not by the ledger's account names.
    assert "Chuyển thẳng giữa các bên" in page and "Phí đơn vị nợ sàn" in page
    assert ">direct<" not in page and ">receivable<" not in page
    ledger_ok(app)
