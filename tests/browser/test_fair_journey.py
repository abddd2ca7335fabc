"""Organiser creates a fair with a booth map → co-op applies on a phone → organiser accepts and
the fee is recorded → the booth shows taken → the co-op's badge is checked in."""

import os
import re
from datetime import timedelta

from playwright.sync_api import Browser, Page, expect

from marketplace.vietnam import today
from tests.browser.conftest import OUTPUT_DIR
from tests.factories import verified_coop, verified_organiser


def _login(page: Page, base: str, person) -> None:
    page.goto(base + "/login")
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Mật khẩu").fill(person.password)
    page.get_by_role("button", name="Đăng nhập").click()


def test_fair_from_creation_to_check_in(live_server, live_app, phone: Page, browser: Browser):
    organiser = verified_organiser(live_app)
    coop = verified_coop(live_app, organization_name="HTX Chè Hội Chợ")
    errors: list[str] = []
    desk = browser.new_context(viewport={"width": 1200, "height": 900})
    org_page = desk.new_page()
    org_page.on("pageerror", lambda exc: errors.append(str(exc)))
    phone.on("pageerror", lambda exc: errors.append(str(exc)))

    # The organiser creates the fair, a booth type and a row of booths, and publishes.
    _login(org_page, live_server, organiser)
    org_page.goto(live_server + f"/orgs/{organiser.organization_id}/fairs/new")
    day = today()
    org_page.get_by_label("Tên hội chợ (tiếng Việt)").fill("Hội chợ Nông sản Lai Châu")
    org_page.get_by_label("Địa điểm").fill("Quảng trường Nhân dân")
    org_page.get_by_label("Tỉnh hoặc thành phố").fill("Lai Châu")
    org_page.get_by_label("Ngày khai mạc").fill(str(day + timedelta(days=30)))
    org_page.get_by_label("Ngày bế mạc").fill(str(day + timedelta(days=32)))
    org_page.get_by_label("Mở đăng ký từ ngày").fill(str(day - timedelta(days=1)))
    org_page.get_by_label("Đóng đăng ký ngày").fill(str(day + timedelta(days=40)))
    org_page.get_by_role("button", name="Lưu hội chợ").click()
    # An application window closing after the fair starts is refused, the typing kept.
    expect(org_page.locator("#applications_close_on-error")).to_contain_text(
        "trước khi hội chợ bắt đầu"
    )
    expect(org_page.get_by_label("Địa điểm")).to_have_value("Quảng trường Nhân dân")
    org_page.get_by_label("Đóng đăng ký ngày").fill(str(day + timedelta(days=20)))
    org_page.get_by_role("button", name="Lưu hội chợ").click()
    expect(org_page.get_by_text("Đã lưu hội chợ")).to_be_visible()
    org_page.get_by_role("textbox", name="Loại gian hàng").fill("Tiêu chuẩn 3×3 m")
    org_page.get_by_label("Kích thước").fill("3×3 m")
    org_page.get_by_label("Phí (₫)").fill("2.500.000")
    org_page.get_by_role("button", name="Thêm loại gian hàng").click()
    org_page.get_by_role("link", name="Sắp xếp sơ đồ mặt bằng").click()
    block = org_page.locator("#block-form")
    block.get_by_label("Hàng trên cùng").fill("1")
    block.get_by_label("Cột bên trái").fill("1")
    block.get_by_label("Số gian mỗi hàng").fill("6")
    block.get_by_role("button", name="Thêm các gian").click()
    expect(org_page.locator("[data-booth='A06']")).to_be_visible()
    org_page.get_by_role("main").get_by_role("link", name="Hội chợ Nông sản Lai Châu").click()
    org_page.get_by_role("button", name="Công bố hội chợ").click()
    expect(org_page.get_by_text("Hội chợ đã được công bố")).to_be_visible()
    manage_url = org_page.url

    # The co-op applies on a phone.
    _login(phone, live_server, coop)
    phone.locator("#menu > summary").click()  # the header menu
    phone.get_by_role("link", name="Hội chợ").first.click()
    phone.get_by_role("link", name="Hội chợ Nông sản Lai Châu").click()
    phone.get_by_role("link", name="Đăng ký gian hàng").click()
    phone.get_by_label("Gian A03", exact=False).check()
    phone.get_by_label("Số điện thoại của họ").fill("0912 000 111")
    phone.get_by_role("button", name="Gửi đơn").click()
    expect(phone.get_by_text("Chờ xét duyệt")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    # The organiser accepts (booth A03 held), then records the fee.
    org_page.goto(manage_url)
    org_page.get_by_role("button", name="Nhận", exact=True).click()
    expect(org_page.get_by_text("gian A03")).to_be_visible()
    expect(org_page.locator(".plan__booth[data-booth='A03']")).to_have_class(
        re.compile("booth--held")
    )
    # The fee arrived in full: recorded with its bank reference (amount and date filled in).
    org_page.get_by_text("Ghi nhận đã nhận phí").first.click()
    org_page.get_by_label("Mã tham chiếu của ngân hàng").fill("FT26340999")
    org_page.get_by_role("button", name="Ghi nhận đã nhận phí").click()
    expect(org_page.get_by_text("Đã xác nhận").first).to_be_visible()
    expect(org_page.locator(".plan__booth[data-booth='A03']")).to_have_class(
        re.compile("booth--taken")
    )

    # The public map shows the booth taken with the co-op's name.
    phone.goto(live_server + "/fairs")
    phone.get_by_role("link", name="Hội chợ Nông sản Lai Châu").click()
    expect(phone.locator(".plan__booth[data-booth='A03']")).to_have_class(
        re.compile("booth--taken")
    )
    expect(phone.locator("#exhibitors")).to_contain_text("HTX Chè Hội Chợ")
    phone.screenshot(path=os.path.join(OUTPUT_DIR, "fair-360.png"), full_page=True)

    # The co-op sees its badges; the organiser checks one in at the gate by typing its code
    # (the fair is a month away: only with "allow check-in outside the fair's days").
    phone.goto(live_server + f"/orgs/{coop.organization_id}/fair-applications")
    phone.get_by_role("link", name="Thẻ ra vào").click()
    code = phone.locator(".short-code code").first.inner_text()
    expect(phone.locator(".badge-item__qr svg").first).to_be_visible()
    org_page.goto(manage_url.replace("/manage", "/gate"))
    org_page.get_by_label("Mã thẻ").fill(code)
    org_page.get_by_role("button", name="Điểm danh").click()
    expect(org_page.locator(".gate-result--stop")).to_contain_text("ngoài ngày hội chợ")
    org_page.get_by_text("Cài đặt cổng").click()
    org_page.get_by_label("Cho điểm danh ngoài ngày hội chợ").check()
    org_page.get_by_label("Mã thẻ").fill(code.lower())
    org_page.get_by_role("button", name="Điểm danh").click()
    expect(org_page.locator(".gate-result--ok")).to_contain_text("HTX Chè Hội Chợ")
    org_page.get_by_label("Mã thẻ").fill(code)
    org_page.get_by_role("button", name="Điểm danh").click()
    expect(org_page.locator(".gate-result--warn")).to_contain_text("đã điểm danh lúc")
    org_page.get_by_label("Mã thẻ").fill("ma-gia-mao")
    org_page.get_by_role("button", name="Điểm danh").click()
    expect(org_page.locator(".gate-result--stop")).to_contain_text("Không có thẻ nào")
    desk.close()
    assert not errors, errors
