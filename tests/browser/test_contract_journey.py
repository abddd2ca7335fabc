"""The whole deal between a supermarket (desktop) and a co-op (phone): request from a listing,
quote, counter-offer, revised quote, award, both signatures, a delivery dispatched with its lot
and received with one line partly rejected (with a photo), and the invoice's total."""

import io
import os
from datetime import date, timedelta

from PIL import Image
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Invoice, Listing
from marketplace.services.catalogue import listings
from marketplace.vietnam import today
from tests.browser.conftest import OUTPUT_DIR
from tests.factories import actor_for, coop_with_listing, settle, verified_buyer, verified_coop


def _login(page: Page, base: str, person) -> None:
    page.goto(base + "/login")
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Mật khẩu").fill(person.password)
    page.get_by_role("button", name="Đăng nhập").click()


def _fits_the_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.url


def _next_monday() -> date:
    day = today() + timedelta(days=7)
    return day + timedelta(days=(7 - day.weekday()) % 7)


def test_a_supply_deal_from_request_to_invoice(
    live_server, live_app, phone: Page, browser: Browser, tmp_path
):
    buyer = verified_buyer(live_app, name="Siêu thị Xanh Journey")
    coop = verified_coop(live_app, organization_name="HTX Sâm Hành Trình")
    listing_id = coop_with_listing(live_app, coop, title_vi="Rượu sâm Hành Trình")
    with live_app.app_context():
        listing = db.session.get(Listing, listing_id)
        slug = listing.slug
        listings.create_lot(
            actor_for(coop),
            coop.organization_id,
            listing_id,
            listings.LotData(
                code="RS-2611", produced_on=today() - timedelta(days=3), quantity="500"
            ),
            None,
        )
        settle()
    errors: list[str] = []
    desk = browser.new_context(viewport={"width": 1200, "height": 900})
    shop = desk.new_page()
    for page in (shop, phone):
        page.on("pageerror", lambda exc: errors.append(str(exc)))

    # The supermarket asks for a quote from the listing page; the form starts from it.
    _login(shop, live_server, buyer)
    shop.goto(f"{live_server}/p/{slug}")
    shop.get_by_role("link", name="Yêu cầu báo giá").click()
    expect(shop.get_by_label("Tiêu đề")).to_have_value("Rượu sâm Hành Trình")
    shop.get_by_label("Số lượng mỗi lần giao").fill("120")
    shop.get_by_label("Giá mong muốn mỗi đơn vị (không bắt buộc)").fill("170.000")
    shop.get_by_label("Tần suất giao hàng").select_option("weekly")
    shop.get_by_label("Thứ Hai").check()
    first = _next_monday()
    shop.get_by_label("Giao lần đầu từ ngày").fill(first.isoformat())
    shop.get_by_label("Hợp đồng kết thúc ngày").fill((first + timedelta(days=20)).isoformat())
    shop.get_by_label("Giao đến").select_option(label="Cửa hàng Láng Hạ")
    shop.get_by_label("Hạn gửi báo giá (ngày)").fill((today() + timedelta(days=3)).isoformat())
    shop.get_by_role("button", name="Đăng yêu cầu báo giá").click()
    expect(shop.locator(".flash--success")).to_be_visible()
    rfq_url = shop.url

    # The co-op sees it on its phone and quotes; the price starts from its tiers.
    _login(phone, live_server, coop)
    phone.goto(f"{live_server}/orgs/{coop.organization_id}/trade")
    phone.get_by_role("link", name="Rượu sâm Hành Trình").click()
    phone.get_by_role("link", name="Gửi báo giá").click()
    price = phone.get_by_label("Giá mỗi đơn vị (₫)")
    expect(price).to_have_value("180000")
    phone.get_by_label("Báo giá có hiệu lực đến").fill((today() + timedelta(days=10)).isoformat())
    _fits_the_phone(phone)
    phone.get_by_role("button", name="Gửi báo giá").click()
    expect(phone.locator(".flash--success")).to_be_visible()
    negotiation = phone.url

    # The supermarket counters at 170.000 ₫.
    shop.goto(negotiation)
    expect(shop.get_by_text("Thuế GTGT (do HTX đặt)")).to_be_visible()
    shop.get_by_label("Giá chúng tôi đề nghị mỗi đơn vị (₫)").fill("170.000")
    shop.get_by_role("button", name="Gửi đề nghị lại").click()
    expect(shop.locator("#v2")).to_be_visible()

    # The co-op revises to 174.000 ₫; the change from the counter-offer is marked.
    phone.goto(negotiation)
    expect(phone.get_by_text("Đến lượt bạn")).to_be_visible()
    phone.get_by_label("Giá mỗi đơn vị (₫)").fill("174.000")
    phone.get_by_role("button", name="Gửi báo giá điều chỉnh").click()
    expect(phone.locator("#v3 .changed").first).to_contain_text("174.000")
    _fits_the_phone(phone)

    # The supermarket awards and signs; the co-op signs on its phone.
    shop.goto(rfq_url)
    shop.get_by_role("button", name="Chọn và lập dự thảo hợp đồng").click()
    # Signing without the tick is refused next to the box; nothing is signed.
    shop.get_by_role("button", name="Ký hợp đồng").click()
    expect(shop.locator("#confirm-error")).to_be_visible()
    shop.get_by_label("Tôi đã đọc hợp đồng và ký thay mặt").check()
    shop.get_by_role("button", name="Ký hợp đồng").click()
    expect(shop.locator(".flash--success")).to_be_visible()
    contract_url = shop.url
    phone.goto(contract_url)
    expect(phone.get_by_text("Nội dung bạn ký")).to_be_visible()
    phone.get_by_label("Tôi đã đọc hợp đồng và ký thay mặt").check()
    phone.get_by_role("button", name="Ký hợp đồng").click()
    expect(phone.get_by_text("Hai bên đã ký")).to_be_visible()
    expect(phone.get_by_text("Đã ký bởi").first).to_be_visible()
    _fits_the_phone(phone)

    # The co-op dispatches the first delivery with its lot.
    phone.locator("#deliveries-heading ~ div a").first.click()
    lot_made = (today() - timedelta(days=3)).strftime("%d/%m/%Y")
    phone.get_by_label("Lô").select_option(label=f"RS-2611 · {lot_made}")
    # It is a week or more ahead: the page says so, and sending it now takes a tick.
    expect(phone.locator("#early-warning")).to_contain_text("ngày nữa")
    phone.get_by_label("Giao sớm: xuất hàng ngay, trước ngày đã hẹn").check()
    _fits_the_phone(phone)
    phone.get_by_role("button", name="Đánh dấu đã xuất hàng").click()
    expect(phone.locator(".flash--success")).to_be_visible()
    delivery_url = phone.url

    # The supermarket accepts 110 and rejects 10 with a reason and a photo.
    shop.goto(delivery_url)
    expect(shop.get_by_role("link", name="RS-2611")).to_be_visible()
    shop.get_by_label("Số lượng nhận").fill("110")
    shop.get_by_label("Số lượng trả lại").fill("10")
    photo = tmp_path / "vo-chai.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 30, 30)).save(buffer, "JPEG")
    photo.write_bytes(buffer.getvalue())
    shop.get_by_role("button", name="Xác nhận đã nhận hàng").click()
    # A rejection without a reason is refused; what was typed stays.
    expect(shop.get_by_label("Số lượng nhận")).to_have_value("110")
    shop.get_by_label("Lý do từ chối").fill("10 chai vỡ nắp")
    shop.get_by_label("Ảnh hàng bị từ chối (không bắt buộc)").set_input_files(str(photo))
    shop.get_by_role("button", name="Xác nhận đã nhận hàng").click()

    # The invoice: 110 × 174.000 = 19.140.000 ₫ + VAT 10 % (alcohol) = 21.054.000 ₫.
    expect(shop.locator("#invoice-subtotal")).to_contain_text("19.140.000")
    expect(shop.locator("#invoice-total")).to_contain_text("21.054.000")
    with live_app.app_context():
        invoice = db.session.scalar(select(Invoice).order_by(Invoice.id.desc()))
        assert (invoice.subtotal, invoice.vat_total, invoice.total) == (
            19_140_000,
            1_914_000,
            21_054_000,
        )
        assert invoice.sequence == 1
        settle()
    phone.goto(delivery_url)
    expect(phone.get_by_text("10 chai vỡ nắp")).to_be_visible()
    expect(phone.get_by_role("link", name="Ảnh 1")).to_be_visible()
    _fits_the_phone(phone)
    phone.screenshot(path=os.path.join(OUTPUT_DIR, "contract-delivery-360.png"), full_page=True)
    assert not errors, errors
