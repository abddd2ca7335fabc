"""A contract invoice paid by VietQR bank transfer (recorded by the co-op on its phone), a fair
fee paid by card (through stripe-mock and a signed webhook), the co-op's statement, and the
admin's ledger check passing."""

import json
import os
import re
import urllib.request

import stripe
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import FairApplication, Invoice, PayableKind, Payment
from marketplace.services import fairs
from marketplace.services.payments import payables, transfers
from tests.browser.conftest import OUTPUT_DIR
from tests.factories import (
    STRIPE_WEBHOOK_SECRET,
    admin_actor,
    application,
    coop_with_listing,
    invoice_first_delivery,
    open_fair,
    settle,
    signed_contract,
    verified_buyer,
    verified_coop,
    verified_organiser,
)
from tests.factories import actor_for as actor


def _login(page: Page, base: str, person) -> None:
    page.goto(base + "/login")
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Mật khẩu").fill(person.password)
    page.get_by_role("button", name="Đăng nhập").click()


def _setup(app):
    buyer = verified_buyer(app, name="Siêu thị Thanh Toán")
    coop = verified_coop(app, organization_name="HTX Thanh Toán")
    coop_with_listing(app, coop, title_vi="Rượu sâm Thanh Toán")
    contract_id = signed_contract(app, buyer, coop)
    organiser = verified_organiser(app)
    fair_id, type_id = open_fair(app, organiser)
    invoice_id, total = invoice_first_delivery(app, buyer, coop, contract_id)
    with app.app_context():
        transfers.save_bank_account(
            actor(coop),
            coop.organization_id,
            bin="970418",
            account="31410001234567",
            holder="HTX THANH TOAN",
        )
        applied = fairs.apply(actor(coop), coop.organization_id, fair_id, application(type_id))
        fairs.review(actor(organiser), applied.id, "accept", "", None)
        ids = (invoice_id, total, applied.id)
        settle()
    return buyer, coop, organiser, ids


def _signed_webhook(base: str, event: dict) -> int:
    body = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(body, STRIPE_WEBHOOK_SECRET)
    request = urllib.request.Request(  # noqa: S310 - the local test server
        f"{base}/stripe/webhook",
        data=body.encode(),
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status


def test_pay_an_invoice_by_vietqr_and_a_fair_fee_by_card(
    live_server, live_app, phone: Page, browser: Browser
):
    buyer, coop, _organiser, (invoice_id, total, application_id) = _setup(live_app)
    errors: list[str] = []
    desk = browser.new_context(viewport={"width": 1200, "height": 900})
    shop = desk.new_page()
    for page in (shop, phone):
        page.on("pageerror", lambda exc: errors.append(str(exc)))

    # The buyer sees the VietQR code, the co-op's account and the transfer reference.
    _login(shop, live_server, buyer)
    shop.goto(f"{live_server}/invoices/{invoice_id}")
    shop.get_by_role("link", name="Thanh toán hóa đơn này").click()
    expect(shop.locator(".badge-qr svg")).to_be_visible()
    expect(shop.locator("#bank-details")).to_contain_text("31410001234567")
    reference = payables.transfer_reference(PayableKind.INVOICE, invoice_id)
    expect(shop.locator("#bank-details")).to_contain_text(reference)

    # The transfer reaches the co-op's account; the co-op records it on its phone.
    _login(phone, live_server, coop)
    phone.goto(f"{live_server}/pay/invoice/{invoice_id}")
    expect(phone.get_by_label("Số tiền đã nhận (₫)")).to_have_value(str(total))
    phone.get_by_label("Mã tham chiếu của ngân hàng").fill("FT26330123456")
    phone.get_by_role("button", name="Ghi nhận chuyển khoản").click()
    expect(phone.get_by_text("Đã ghi nhận khoản chuyển khoản.")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    with live_app.app_context():
        assert db.session.get(Invoice, invoice_id).status.value == "paid"
        settle()

    # The co-op pays its booth fee by card: Stripe's page (stripe-mock's URL, answered here)
    # and the signed webhook that confirms it.
    phone.route(
        "https://checkout.stripe.com/**",
        lambda route: route.fulfill(body="<h1>Stripe Checkout</h1>", content_type="text/html"),
    )
    phone.goto(f"{live_server}/orgs/{coop.organization_id}/fair-applications")
    phone.get_by_role("link", name="Nộp phí gian hàng").click()
    phone.get_by_role("button", name=re.compile("bằng thẻ")).click()
    expect(phone.get_by_text("Stripe Checkout")).to_be_visible()
    with live_app.app_context():
        payment = db.session.scalar(
            select(Payment).where(Payment.payable_id == application_id, Payment.method == "card")
        )
        payment_id = payment.id
        settle()
    event = {
        "id": "evt_journey_fee",
        "object": "event",
        "type": "checkout.session.completed",
        "data": {
            "object": {
                "id": "cs_test_journey",
                "object": "checkout.session",
                "payment_status": "paid",
                "payment_intent": "pi_test_journey",
                "metadata": {"payment_id": str(payment_id)},
            }
        },
    }
    assert _signed_webhook(live_server, event) == 200
    assert _signed_webhook(live_server, event) == 200  # Stripe retries: applied once
    phone.goto(f"{live_server}/payments/{payment_id}/done")
    expect(phone.locator(".badge--approved")).to_be_visible()
    with live_app.app_context():
        assert db.session.get(FairApplication, application_id).status.value == "confirmed"
        settle()

    # The co-op's statement shows the invoice it was paid and the fee it paid.
    phone.goto(f"{live_server}/orgs/{coop.organization_id}/statement")
    expect(phone.get_by_text("Siêu thị Thanh Toán").first).to_be_visible()
    expect(phone.locator('a[href*="/pay/fair_fee/"]').first).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.screenshot(path=os.path.join(OUTPUT_DIR, "statement-360.png"), full_page=True)

    # The admin's ledger check passes.
    admin = admin_actor(live_app)
    desk_admin = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    _login(desk_admin, live_server, admin)
    desk_admin.goto(f"{live_server}/admin/payouts")
    expect(desk_admin.locator("#ledger-check")).to_contain_text("Sổ cái khớp")
    expect(desk_admin.get_by_text("HTX Thanh Toán").first).to_be_visible()
    assert not errors, errors
