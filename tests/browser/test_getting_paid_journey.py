"""Getting paid without dead ends, on phones: a new co-op adds its payout bank account during
onboarding; after a delivery the buyer copies the reference, saves the VietQR PNG (read back
here: it holds the page's payload) and taps "I have transferred"; the co-op confirms from its
notice; the invoice is paid and its PDF says the number, the total and the total in words; the
platform's fee shows on the quote and the statement, and the month's fee invoice is paid by
VietQR to the platform; the ledger check passes."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime

import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.i18n import amount_in_words, format_money
from marketplace.models import (
    Contract,
    Invoice,
    LedgerEntry,
    Organization,
    PayableKind,
    Payment,
)
from marketplace.services.accounts import verification
from marketplace.services.payments import commission, payables, platform
from tests.browser.conftest import OUTPUT_DIR
from tests.factories import actor_for as actor
from tests.factories import (
    admin_actor,
    coop_with_listing,
    fill_coop_profile,
    invoice_first_delivery,
    make_person,
    settle,
    signed_contract,
    verified_buyer,
)

PHONE = {"viewport": {"width": 360, "height": 780}, "device_scale_factor": 2}


def _login(page: Page, base: str, person) -> None:
    page.goto(base + "/login")
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Mật khẩu").fill(person.password)
    page.get_by_role("button", name="Đăng nhập").click()


def _fits(page: Page, name: str) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, name
    page.screenshot(path=os.path.join(OUTPUT_DIR, f"{name}-360.png"), full_page=True)


def _pdf_text(path: str) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", path, "-"], check=True, capture_output=True, text=True
    ).stdout


def test_a_new_co_op_gets_paid_and_pays_the_platform_its_fee(
    live_server, live_app, browser: Browser
):
    app = live_app
    buyer = verified_buyer(app, name="Siêu thị Trả Tiền")
    coop = make_person(app, organization_name="HTX Mới Nhận Tiền")
    fill_coop_profile(app, coop, name="HTX Mới Nhận Tiền")
    admin = admin_actor(app)
    with app.app_context():
        # A co-op that has not reached the bank account step yet.
        organization = db.session.get_one(Organization, coop.organization_id)
        organization.bank_bin = organization.bank_account_number = None
        organization.bank_account_name = None
        platform.save_bank_account(
            actor(admin), bin="970436", account="0011004455667", holder="CONG TY CHO HTX"
        )
        settle()
    errors: list[str] = []
    contexts = []

    def phone_for(person) -> Page:
        context = browser.new_context(**PHONE)
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        _login(page, live_server, person)
        return page

    # 1. Onboarding: the reminder leads to the bank account step; then verification.
    co_op = phone_for(coop)
    co_op.goto(f"{live_server}/orgs/{coop.organization_id}/profile")
    co_op.locator(".payout-banner").get_by_role("link").click()
    co_op.get_by_label("Ngân hàng", exact=True).select_option(
        label="LPBank · Ngân hàng TMCP Lộc Phát Việt Nam"
    )
    co_op.get_by_label("Số tài khoản").fill("0071 0012 3456")
    co_op.get_by_label("Chủ tài khoản (đúng như ngân hàng hiển thị)").fill("HTX MOI NHAN TIEN")
    co_op.get_by_role("button", name="Lưu", exact=True).click()
    expect(co_op.get_by_text("Đã lưu.")).to_be_visible()
    co_op.goto(f"{live_server}/orgs/{coop.organization_id}/profile")
    co_op.get_by_role("button", name="Gửi xác minh").click()
    expect(co_op.get_by_text("Đang chờ xác minh")).to_be_visible()
    with app.app_context():
        verification.approve(actor(admin), coop.organization_id)
        settle()

    # 2. A deal: the co-op sees the platform's fee on its quote before anything is signed.
    coop_with_listing(app, coop, title_vi="Chè Shan Tuyết Mới")
    contract_id = signed_contract(app, buyer, coop)
    with app.app_context():
        quote_id = db.session.get_one(Contract, contract_id).quote_id
    co_op.goto(f"{live_server}/quotes/{quote_id}")
    expect(co_op.locator("#platform-fee")).to_contain_text("Phí nền tảng 3 %")
    invoice_id, total = invoice_first_delivery(app, buyer, coop, contract_id)
    reference = payables.transfer_reference(PayableKind.INVOICE, invoice_id)

    # 3. The buyer pays from its phone: copies the reference, saves the QR, says it paid.
    shop = phone_for(buyer)
    shop.goto(f"{live_server}/invoices/{invoice_id}")
    shop.get_by_role("link", name="Thanh toán hóa đơn này").click()
    expect(shop.locator("#outstanding-words")).to_have_text(amount_in_words(total, "vi"))
    shop.locator(f'button[data-copy="{reference}"]').click()
    assert shop.evaluate("navigator.clipboard.readText()") == reference
    shop.locator(f'button[data-copy="{total}"]').click()
    assert shop.evaluate("navigator.clipboard.readText()") == str(total)
    with shop.expect_download() as saving:
        shop.get_by_role("link", name="Lưu ảnh mã QR").click()
    saved = saving.value.path()
    payload = shop.locator("#vietqr").get_attribute("data-payload")
    assert [code.text for code in zxingcpp.read_barcodes(Image.open(saved))] == [payload]
    assert "970449" in payload and "007100123456" in payload and reference in payload
    _fits(shop, "pay-page")
    shop.get_by_role("button", name="Tôi đã chuyển khoản").click()
    expect(shop.locator("#awaiting")).to_be_visible()

    # 4. The co-op is told, and confirms what its account shows.
    co_op.goto(f"{live_server}/notifications")
    co_op.get_by_role(
        "button", name=f"Khoản chuyển cần xác nhận: {_number(app, invoice_id)}"
    ).click()
    expect(co_op.get_by_role("heading", level=1)).to_contain_text(_number(app, invoice_id))
    _fits(co_op, "claim-page")
    co_op.get_by_label("Mã tham chiếu của ngân hàng").fill("FT26340778899")
    co_op.get_by_role("button", name="Xác nhận đã nhận tiền").click()
    expect(co_op.get_by_text("Đã xác nhận nhận tiền")).to_be_visible()
    with app.app_context():
        assert db.session.get_one(Invoice, invoice_id).status.value == "paid"
        settle()

    # 5. The invoice as a PDF, for the buyer's accountant.
    shop.goto(f"{live_server}/invoices/{invoice_id}")
    with shop.expect_download() as downloading:
        shop.get_by_role("link", name="Tải PDF").click()
    text = " ".join(_pdf_text(downloading.value.path()).split())
    assert _number(app, invoice_id) in text
    assert format_money(total).replace("\u00a0", " ") in text
    assert amount_in_words(total, "vi") in text

    # 6. The month ends (its entries are moved into last month): the admin bills it, and the
    # co-op's statement shows the fee and the fee invoice, paid by VietQR to the platform.
    with app.app_context():
        month = commission.last_month()
        payment_ids = select(Payment.id).where(Payment.payee_id == coop.organization_id)
        for entry in db.session.scalars(
            select(LedgerEntry).where(LedgerEntry.payment_id.in_(payment_ids))
        ):
            entry.created_at = datetime(month.year, month.month, 15, 3, tzinfo=UTC)
        settle()
    desk = browser.new_context(viewport={"width": 1200, "height": 900})
    contexts.append(desk)
    office = desk.new_page()
    _login(office, live_server, admin)
    office.goto(f"{live_server}/admin/payouts")
    office.get_by_role("button", name="Lập hoá đơn cho tháng").click()
    co_op.goto(f"{live_server}/orgs/{coop.organization_id}/statement")
    expect(co_op.get_by_text("Phí nền tảng").first).to_be_visible()
    _fits(co_op, "statement-with-fee")
    co_op.locator("#commission-invoices").get_by_role("link").first.click()
    co_op.locator('a[href*="/pay/commission/"]').first.click()
    expect(co_op.locator("#bank-details")).to_contain_text("0011004455667")
    co_op.get_by_role("button", name="Tôi đã chuyển khoản").click()
    expect(co_op.locator("#awaiting")).to_be_visible()
    office.goto(f"{live_server}/notifications")
    office.get_by_role("button", name="Khoản chuyển cần xác nhận").first.click()
    office.get_by_label("Mã tham chiếu của ngân hàng").fill("FT26350001122")
    office.get_by_role("button", name="Xác nhận đã nhận tiền").click()
    expect(office.get_by_text("Đã xác nhận nhận tiền")).to_be_visible()

    # 7. The ledger check passes.
    office.goto(f"{live_server}/admin/payouts")
    expect(office.locator("#ledger-check")).to_contain_text("Sổ cái khớp")
    assert not errors, errors
    for context in contexts:
        context.close()


def _number(app, invoice_id: int) -> str:
    with app.app_context():
        return db.session.get_one(Invoice, invoice_id).number
