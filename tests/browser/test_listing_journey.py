"""A verified co-op lists, photographs, prices and publishes a product, records a lot and
prints its QR code; a shopper opens the QR link on a phone and sees where it comes from."""

import io
import os

from PIL import Image
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import OUTPUT_DIR
from tests.factories import verified_coop


def _photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 1200), (150, 80, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_list_price_publish_and_trace_a_lot(live_server, live_app, phone: Page, browser: Browser):
    coop = verified_coop(live_app, organization_name="HTX Sâm Lai Châu Mường Tè")
    errors: list[str] = []
    phone.on("pageerror", lambda exc: errors.append(str(exc)))

    phone.goto(live_server + "/login")
    phone.get_by_label("Email").fill(coop.email)
    phone.get_by_label("Mật khẩu").fill(coop.password)
    phone.get_by_role("button", name="Đăng nhập").click()
    # Logging in lands on the co-op's own page, whose first steps include its first product.
    phone.get_by_role("link", name="Sản phẩm đầu tiên").click()

    phone.get_by_label("Tên sản phẩm (tiếng Việt)").fill("Rượu sâm Lai Châu")
    phone.get_by_label("Danh mục").select_option(label="— Rượu")
    phone.get_by_label("Mô tả (tiếng Việt)").fill("Rượu ngâm sâm Lai Châu 3 năm tuổi.")
    phone.get_by_label("Đơn vị bán").select_option("chai")
    phone.get_by_label("Quy cách đóng gói").fill("500 ml")
    phone.get_by_label("Giá mỗi đơn vị (₫)").fill("450.000")
    phone.get_by_label("Số lượng đặt tối thiểu").fill("12")
    tiers = phone.locator(".tier-row")
    # A tier whose price rises is refused, and what was typed stays.
    tiers.nth(0).get_by_label("Từ số lượng").fill("50")
    tiers.nth(0).get_by_label("Đơn giá (₫)").fill("460.000")
    phone.get_by_label("Sản lượng cung ứng mỗi tháng").fill("1500")
    phone.get_by_role("button", name="Lưu nháp").click()
    expect(phone.locator("#tiers-error")).to_contain_text("Đơn giá phải giảm")
    expect(phone.get_by_label("Tên sản phẩm (tiếng Việt)")).to_have_value("Rượu sâm Lai Châu")
    tiers.nth(0).get_by_label("Đơn giá (₫)").fill("420.000")
    tiers.nth(1).get_by_label("Từ số lượng").fill("200")
    tiers.nth(1).get_by_label("Đơn giá (₫)").fill("390.000")
    phone.get_by_role("button", name="Lưu nháp").click()
    expect(phone.get_by_text("Đã lưu bản nháp")).to_be_visible()

    # Photograph it, then publish.
    phone.locator("form[action$='/photos'] input[type=file]").set_input_files(
        files=[{"name": "ruou-sam.jpg", "mimeType": "image/jpeg", "buffer": _photo()}]
    )
    phone.get_by_role("button", name="Thêm ảnh").click()
    expect(phone.get_by_text("Ảnh chính")).to_be_visible()
    phone.get_by_role("button", name="Đăng bán").click()
    expect(phone.get_by_text("Đang bán").first).to_be_visible()
    phone.get_by_role("link", name="Xem trang công khai").click()
    expect(phone.locator("#price-tiers")).to_contain_text("420.000")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.screenshot(path=os.path.join(OUTPUT_DIR, "listing-360.png"), full_page=True)
    phone.go_back()

    # Record a lot and print its QR code.
    phone.get_by_role("link", name="Lô hàng và mã QR").first.click()
    phone.get_by_label("Mã lô").fill("RS-2611-01")
    phone.get_by_label("Ngày sản xuất hoặc thu hoạch").fill("2026-11-20")
    phone.get_by_label("Số lượng").fill("600")
    phone.get_by_label("Nơi trồng hoặc sản xuất").fill("Vườn sâm bản Nậm Khao, 1.800 m")
    phone.get_by_role("button", name="Lưu lô hàng").click()
    qr = phone.get_by_role("img", name="Mã QR của lô RS-2611-01")
    expect(qr).to_be_visible()
    # Visible is not loaded: on a busy machine the image may still be arriving.
    phone.wait_for_function("(img) => img.complete", arg=qr.element_handle())
    assert phone.evaluate("(img) => img.naturalWidth", qr.element_handle()) > 100
    with phone.expect_download() as download:
        phone.get_by_role("link", name="Mã QR để in (SVG)").click()
    assert download.value.suggested_filename.endswith(".svg")
    trace_url = phone.get_by_role("link", name="Trang truy xuất nguồn gốc").get_attribute("href")

    # A shopper, not logged in, scans the code.
    shopper = browser.new_context(viewport={"width": 360, "height": 780})
    page = shopper.new_page()
    page.goto(live_server + trace_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Rượu sâm Lai Châu")
    expect(page.locator("#verified-badge")).to_be_visible()
    expect(page.locator("#produced-on")).to_have_text("20/11/2026")
    expect(page.get_by_text("Vườn sâm bản Nậm Khao, 1.800 m")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=os.path.join(OUTPUT_DIR, "traceability-360.png"), full_page=True)
    shopper.close()
    assert not errors, errors
