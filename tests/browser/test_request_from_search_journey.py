"""A buyer on a phone searches for a quantity, opens the product, asks for a quote with that
quantity already on the line, and adds a new delivery address inside the request form; then
chooses which emails to get."""

import os
import re
from datetime import date, timedelta

from playwright.sync_api import Page, expect
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import DeliveryLocation, Rfq
from marketplace.vietnam import today
from tests.browser.conftest import OUTPUT_DIR
from tests.factories import coop_with_listing, verified_buyer, verified_coop


def _login(page: Page, base: str, person) -> None:
    page.goto(base + "/login")
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Mật khẩu").fill(person.password)
    page.get_by_role("button", name="Đăng nhập").click()


def _fits_the_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.url


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=os.path.join(OUTPUT_DIR, name), full_page=True)


def _next_monday() -> date:
    day = today() + timedelta(days=7)
    return day + timedelta(days=(7 - day.weekday()) % 7)


def test_search_a_quantity_request_it_with_a_new_address(live_server, live_app, phone: Page):
    buyer = verified_buyer(live_app, name="Bếp Ăn Tập Thể Hành Trình")
    coop = verified_coop(live_app, organization_name="HTX Sâm Pu Ta Leng")
    coop_with_listing(live_app, coop, title_vi="Rượu sâm Pu Ta Leng")
    errors: list[str] = []
    phone.on("pageerror", lambda exc: errors.append(str(exc)))
    _login(phone, live_server, buyer)

    # Search with the quantity wanted, from the filter drawer.
    phone.goto(live_server + "/search")
    phone.get_by_label("Bạn cần tìm gì?").fill("ruou sam pu ta leng")
    phone.get_by_text("Bộ lọc", exact=True).click()
    phone.get_by_label("Số lượng cần mua").fill("150")
    phone.get_by_role("button", name="Tìm kiếm", exact=True).last.click()
    result = phone.locator("#results a", has_text="Rượu sâm Pu Ta Leng")
    expect(result).to_have_attribute(
        "href", re.compile(r"^/p/ruou-sam-pu-ta-leng[-\w]*\?quantity=150$")
    )
    _fits_the_phone(phone)
    _shot(phone, "request-from-search-1-results-360.png")

    # The product page says the price for that quantity and carries it on.
    result.click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Rượu sâm Pu Ta Leng")
    expect(phone.locator("#price-for-quantity")).to_contain_text("Với 150 chai: 180.000")
    _fits_the_phone(phone)
    _shot(phone, "request-from-search-2-product-360.png")
    phone.get_by_role("link", name="Yêu cầu báo giá").click()

    # The request starts from the product with the quantity searched for.
    expect(phone.get_by_label("Tiêu đề")).to_have_value("Rượu sâm Pu Ta Leng")
    expect(phone.get_by_label("Số lượng mỗi lần giao")).to_have_value("150")
    phone.get_by_label("Tần suất giao hàng").select_option("weekly")
    phone.get_by_label("Thứ Hai").check()
    first = _next_monday()
    phone.get_by_label("Giao lần đầu từ ngày").fill(first.isoformat())
    phone.get_by_label("Hợp đồng kết thúc ngày").fill((first + timedelta(days=20)).isoformat())
    phone.get_by_label("Hạn gửi báo giá (ngày)").fill((today() + timedelta(days=3)).isoformat())

    # A new address, typed in the form: its fields appear once "a new address…" is chosen.
    new_place = phone.locator("#new-location")
    expect(new_place).to_be_hidden()
    phone.get_by_label("Giao đến").select_option(label="Địa chỉ mới…")
    expect(new_place).to_be_visible()
    phone.get_by_label("Tên địa điểm").fill("Bếp trung tâm Hà Đông")
    phone.get_by_label("Tỉnh hoặc thành phố").fill("Hà Nội")
    phone.get_by_label("Xã hoặc phường").fill("Phường Hà Đông")
    _fits_the_phone(phone)
    _shot(phone, "request-from-search-3-form-360.png")
    # Without the street the request is refused: nothing is saved, everything typed is kept
    # and the new address stays open with its problem marked.
    phone.get_by_role("button", name="Đăng yêu cầu báo giá").click()
    expect(phone.locator("#error-summary")).to_be_visible()
    expect(new_place).to_be_visible()
    expect(phone.locator("#location_street-error")).to_be_visible()
    expect(phone.get_by_label("Tên địa điểm")).to_have_value("Bếp trung tâm Hà Đông")
    expect(phone.get_by_label("Số lượng mỗi lần giao")).to_have_value("150")
    _fits_the_phone(phone)
    _shot(phone, "request-from-search-3b-refused-360.png")
    with live_app.app_context():
        assert db.session.scalar(select(Rfq).where(Rfq.buyer_id == buyer.organization_id)) is None
    phone.get_by_label("Số nhà, đường, thôn").fill("15 Quang Trung")
    phone.get_by_role("button", name="Đăng yêu cầu báo giá").click()

    expect(phone.locator(".flash--success")).to_be_visible()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Rượu sâm Pu Ta Leng")
    _fits_the_phone(phone)
    _shot(phone, "request-from-search-4-posted-360.png")
    with live_app.app_context():
        rfq = db.session.scalar(select(Rfq).where(Rfq.buyer_id == buyer.organization_id))
        assert rfq.lines[0].quantity == 150
        assert rfq.delivery_location.name == "Bếp trung tâm Hà Đông"
        places = db.session.scalars(
            select(DeliveryLocation.name).where(
                DeliveryLocation.organization_id == buyer.organization_id
            )
        ).all()
        assert sorted(places) == ["Bếp trung tâm Hà Đông", "Cửa hàng Láng Hạ"]

    # From the notifications, the buyer turns off emails about trade fairs.
    phone.goto(live_server + "/notifications")
    phone.get_by_role("link", name="Chọn những email bạn muốn nhận").click()
    fairs = phone.get_by_label("Hội chợ")
    expect(fairs).to_be_checked()
    fairs.uncheck()
    _fits_the_phone(phone)
    _shot(phone, "email-choices-360.png")
    phone.get_by_role("button", name="Lưu").click()
    expect(phone.locator(".flash--success")).to_have_text("Đã lưu lựa chọn email của bạn.")
    expect(phone.get_by_label("Hội chợ")).not_to_be_checked()
    expect(phone.get_by_label("Giao hàng", exact=True)).to_be_checked()
    assert not errors, errors
