"""On a 360-px phone: the organiser creates a fair, edits its booth type, lays out the floor
plan (a block of booths, an aisle, the entrance and the stage; an overlap refused by name) and
publishes; a co-op picks its preferred booth by tapping it on the plan. Booths are tap targets
of at least 44 × 44 px with labels of at least 12 px, the plan scrolls inside its own box."""

import os
from datetime import timedelta

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Booth, BoothType, FairApplication
from marketplace.vietnam import today
from tests.browser.conftest import OUTPUT_DIR
from tests.factories import verified_coop, verified_organiser


def _login(page: Page, base: str, person) -> None:
    page.goto(base + "/login")
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Mật khẩu").fill(person.password)
    page.get_by_role("button", name="Đăng nhập").click()


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=os.path.join(OUTPUT_DIR, f"fair-plan-{name}.png"), full_page=True)


def _fill(form, fields: dict[str, str]) -> None:
    for label, value in fields.items():
        form.get_by_label(label, exact=True).fill(value)


def test_organiser_lays_out_the_plan_and_a_co_op_taps_its_booth(
    live_server, live_app, phone: Page, browser: Browser
):
    organiser = verified_organiser(live_app)
    coop = verified_coop(live_app, organization_name="HTX Sơ Đồ")
    errors: list[str] = []
    phone.on("pageerror", lambda exc: errors.append(str(exc)))

    # The organiser creates the fair and a booth type on a phone.
    _login(phone, live_server, organiser)
    phone.goto(live_server + f"/orgs/{organiser.organization_id}/fairs/new")
    day = today()
    phone.get_by_label("Tên hội chợ (tiếng Việt)").fill("Hội chợ Sơ đồ Lai Châu")
    phone.get_by_label("Địa điểm").fill("Nhà văn hóa tỉnh")
    phone.get_by_label("Tỉnh hoặc thành phố").fill("Lai Châu")
    phone.get_by_label("Ngày khai mạc").fill(str(day + timedelta(days=30)))
    phone.get_by_label("Ngày bế mạc").fill(str(day + timedelta(days=32)))
    phone.get_by_label("Mở đăng ký từ ngày").fill(str(day - timedelta(days=1)))
    phone.get_by_label("Đóng đăng ký ngày").fill(str(day + timedelta(days=20)))
    phone.get_by_role("button", name="Lưu hội chợ").click()
    expect(phone.get_by_text("Đã lưu hội chợ")).to_be_visible()
    phone.get_by_role("textbox", name="Loại gian hàng").fill("Tiêu chuẩn 3×3 m")
    phone.get_by_label("Kích thước").fill("3×3 m")
    phone.get_by_label("Phí (₫)").fill("2.000.000")
    phone.get_by_role("button", name="Thêm loại gian hàng").click()
    manage_url = phone.url

    # It edits the booth type: a higher fee and three staff badges.
    phone.get_by_role("link", name="Sửa loại gian hàng: Tiêu chuẩn 3×3 m").click()
    expect(phone.get_by_label("Phí (₫)")).to_have_value("2.000.000")
    expect(phone.locator("#fee-rule")).to_contain_text("không thay đổi")
    phone.get_by_label("Phí (₫)").fill("2.400.000")
    phone.get_by_label("Số thẻ nhân viên kèm theo").fill("3")
    _shot(phone, "booth-type-edit")
    phone.get_by_role("button", name="Lưu loại gian hàng").click()
    expect(phone.get_by_text("Đã lưu loại gian hàng")).to_be_visible()
    expect(phone.locator("#types-heading + ul")).to_contain_text("2.400.000")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    # The floor plan: a 6 × 6 grid, the stage at the top, a block of booths, an aisle and
    # the entrance; a block put on the stage is refused by name and nothing is added.
    phone.get_by_role("link", name="Sắp xếp sơ đồ mặt bằng").click()
    grid = phone.locator("#grid-form")
    _fill(grid, {"Số hàng của lưới": "6", "Số cột của lưới": "6"})
    grid.get_by_role("button", name="Lưu kích thước lưới").click()
    expect(phone.get_by_text("Đã lưu kích thước lưới")).to_be_visible()
    feature = phone.locator("#feature-form")
    feature.get_by_label("Loại", exact=True).select_option(label="Sân khấu")
    _fill(
        feature,
        {"Hàng trên cùng": "1", "Cột bên trái": "2", "Chiều cao (ô)": "1", "Chiều rộng (ô)": "4"},
    )
    feature.get_by_role("button", name="Thêm vào sơ đồ").click()
    expect(phone.locator("[data-feature='stage']")).to_be_visible()
    block = phone.locator("#block-form")
    block.get_by_label("Cỡ gian").select_option("corner")
    _fill(block, {"Hàng trên cùng": "1", "Cột bên trái": "1", "Số gian mỗi hàng": "3"})
    block.get_by_role("button", name="Thêm các gian").click()
    expect(phone.get_by_text("A02 chồng lên sân khấu.")).to_be_visible()
    expect(phone.locator("#block-form").get_by_label("Số gian mỗi hàng")).to_have_value("3")
    expect(phone.locator(".plan__booth")).to_have_count(0)
    block = phone.locator("#block-form")
    block.get_by_label("Cỡ gian").select_option("standard")
    _fill(block, {"Hàng trên cùng": "3", "Cột bên trái": "1", "Số hàng gian": "2"})
    block.get_by_role("button", name="Thêm các gian").click()
    expect(phone.locator("[data-booth='A06']")).to_be_visible()
    for kind, fields in (
        ("Lối đi", {"Hàng trên cùng": "2", "Cột bên trái": "1", "Chiều rộng (ô)": "6"}),
        ("Cổng vào", {"Hàng trên cùng": "6", "Cột bên trái": "3", "Chiều rộng (ô)": "2"}),
    ):
        feature = phone.locator("#feature-form")
        feature.get_by_label("Loại", exact=True).select_option(label=kind)
        _fill(feature, fields | {"Chiều cao (ô)": "1"})
        feature.get_by_role("button", name="Thêm vào sơ đồ").click()
        expect(phone.get_by_text("Đã thêm vào sơ đồ")).to_be_visible()
    expect(phone.locator("[data-feature='aisle']")).to_be_visible()
    expect(phone.locator("[data-feature='entrance']")).to_be_visible()
    legend = phone.locator(".plan__legend")
    for text in ("Tiêu chuẩn 3×3 m", "2.400.000", "trống", "Lối đi", "Cổng vào", "Sân khấu"):
        expect(legend).to_contain_text(text)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    _shot(phone, "organiser-plan")

    # Publish from the fair's page.
    phone.goto(manage_url)
    phone.get_by_role("button", name="Công bố hội chợ").click()
    expect(phone.get_by_text("Hội chợ đã được công bố")).to_be_visible()

    # A co-op opens the apply page and taps booth A05 on the plan.
    coop_context = browser.new_context(
        viewport={"width": 360, "height": 780}, device_scale_factor=2
    )
    coop_page = coop_context.new_page()
    coop_page.on("pageerror", lambda exc: errors.append(str(exc)))
    _login(coop_page, live_server, coop)
    with live_app.app_context():
        fair_id = db.session.scalar(
            select(BoothType.fair_id)
            .where(BoothType.name == "Tiêu chuẩn 3×3 m")
            .order_by(BoothType.id.desc())
        )
    coop_page.goto(live_server + f"/orgs/{coop.organization_id}/fairs/{fair_id}/apply")
    expect(coop_page.get_by_text("Vuốt để xem cả sơ đồ")).to_be_visible()
    booths = coop_page.locator(".plan__booth")
    expect(booths).to_have_count(6)
    for n in range(6):
        box = booths.nth(n).bounding_box()
        assert box is not None and box["width"] >= 44 and box["height"] >= 44, box
        size = (
            booths.nth(n)
            .locator(".plan__code")
            .evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
        )
        assert size >= 12, size
    scroll = coop_page.locator(".plan__scroll")
    assert scroll.evaluate("el => getComputedStyle(el).overflow") == "auto"
    a05 = coop_page.locator(".plan__booth[data-booth='A05']")
    a05.scroll_into_view_if_needed()
    a05.click()  # a tap on the booth itself (its radio is invisible, over the whole booth)
    radio = coop_page.get_by_role(
        "radio", name="Gian A05, tiêu chuẩn, loại Tiêu chuẩn 3×3 m, còn trống"
    )
    expect(radio).to_be_checked()
    # Zoom: bigger cells, then back.
    coop_page.get_by_role("button", name="Phóng to").click()
    bigger = a05.bounding_box()
    assert bigger is not None and bigger["width"] > 60
    coop_page.get_by_role("button", name="Thu nhỏ").click()
    assert coop_page.evaluate("document.documentElement.scrollWidth") <= 360
    _shot(coop_page, "apply-picked")
    coop_page.locator(".plan").screenshot(path=os.path.join(OUTPUT_DIR, "fair-plan-drawing.png"))
    coop_page.get_by_label("Số điện thoại của họ").fill("0912 000 222")
    coop_page.get_by_role("button", name="Gửi đơn").click()
    expect(coop_page.get_by_text("Chờ xét duyệt")).to_be_visible()
    with live_app.app_context():
        preferred = db.session.scalar(
            select(Booth.code)
            .join(FairApplication, FairApplication.preferred_booth_id == Booth.id)
            .where(FairApplication.organization_id == coop.organization_id)
        )
        assert preferred == "A05"

    # The public page draws the same plan.
    coop_page.goto(live_server + "/fairs")
    coop_page.get_by_role("link", name="Hội chợ Sơ đồ Lai Châu").click()
    expect(coop_page.locator("[data-feature='stage']")).to_be_visible()
    expect(
        coop_page.get_by_role(
            "button", name="Gian A01, tiêu chuẩn, loại Tiêu chuẩn 3×3 m, còn trống"
        )
    ).to_be_visible()
    _shot(coop_page, "public")
    coop_context.close()
    assert not errors, errors
