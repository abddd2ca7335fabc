"""A whole trade fair run from phones (360 px), following only the links and buttons the pages
offer after each person's first page: the organiser creates a fair, edits its booth type, lays
out the floor plan and publishes; a co-op finds the fair and applies with its product and a
preferred booth tapped on the plan; the organiser opens the application from its notice, reviews
it with the co-op's OCOP stars and product in view and accepts it with that booth; the co-op
opens the "pay your booth fee" notice, downloads the fee invoice and says it has transferred;
the organiser confirms the transfer from its notice; the co-op names two staff; the organiser
prints the badge sheet; a gate phone checks the contact person in through Chromium's fake
camera, queues a staff badge typed while offline, sends it when back online, and the attendance
list shows both once and the exhibitor present; the dashboard counts the booth, its fee and
the two check-ins."""

from __future__ import annotations

import io
import os
import re
import subprocess
from datetime import timedelta

import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import ApplicationStatus, Badge, FairApplication
from marketplace.vietnam import today
from tests.browser.conftest import CHROMIUM_ARGS, OUTPUT_DIR
from tests.factories import admin_actor, published_listing, verified_coop, verified_organiser
from tests.test_fair_review import add_certificate

PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2}
FAIR = "Hội chợ Nông sản Tây Bắc"
PRODUCT = "Chè Shan Tuyết Tả Phìn"
COOP = "HTX Chè Tả Phìn"


class Shots:
    """Numbered screenshots, each after checking the page does not scroll sideways."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, page: Page, step: str) -> None:
        self.n += 1
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, (step, page.url)
        page.screenshot(
            path=os.path.join(OUTPUT_DIR, f"whole-fair-{self.n:02d}-{step}.png"), full_page=True
        )


def _login(page: Page, base: str, person) -> None:
    page.goto(base + "/login")
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Mật khẩu").fill(person.password)
    page.get_by_role("button", name="Đăng nhập").click()


def _fill(form, fields: dict[str, str]) -> None:
    for label, value in fields.items():
        form.get_by_label(label, exact=True).fill(value)


def _open_notice(page: Page, text: str) -> None:
    page.locator("#bell").click()
    page.get_by_role("button", name=re.compile(re.escape(text))).first.click()


def _pdf_text(path: str) -> str:
    out = subprocess.run(["pdftotext", "-layout", path, "-"], check=True, capture_output=True)
    return " ".join(out.stdout.decode().split())


def _camera_video(path: str, qr_image: bytes) -> None:
    """A Motion-JPEG file of the badge's QR code (as the page shows it) on white, which
    Chromium's fake camera loops."""
    code = Image.open(io.BytesIO(qr_image)).convert("RGB")
    code = code.resize((400, 400), Image.NEAREST)
    frame = Image.new("RGB", (640, 480), "white")
    frame.paste(code, (120, 40))
    buffer = io.BytesIO()
    frame.save(buffer, "JPEG", quality=90)
    with open(path, "wb") as out:
        out.write(buffer.getvalue() * 30)


def test_a_whole_fair_from_phones(live_server, live_app, browser: Browser, tmp_path):
    organiser = verified_organiser(live_app)
    coop = verified_coop(live_app, organization_name=COOP)
    published_listing(live_app, coop, title_vi=PRODUCT)
    add_certificate(live_app, coop, admin_actor(live_app), "ocop", stars=4)
    errors: list[str] = []
    contexts = []
    shot = Shots()

    def phone_for(person) -> Page:
        context = browser.new_context(**PHONE)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        _login(page, live_server, person)
        return page

    try:
        # 1. The organiser creates the fair from its start page.
        org = phone_for(organiser)
        org.get_by_role("link", name="Hội chợ của tôi").click()
        org.get_by_role("link", name="Hội chợ của chúng tôi").click()
        org.get_by_role("link", name="Hội chợ mới").first.click()
        day = today()
        org.get_by_label("Tên hội chợ (tiếng Việt)").fill(FAIR)
        org.get_by_label("Địa điểm").fill("Quảng trường Nhân dân")
        org.get_by_label("Tỉnh hoặc thành phố").fill("Lai Châu")
        org.get_by_label("Ngày khai mạc").fill(str(day + timedelta(days=30)))
        org.get_by_label("Ngày bế mạc").fill(str(day + timedelta(days=32)))
        org.get_by_label("Mở đăng ký từ ngày").fill(str(day - timedelta(days=1)))
        org.get_by_label("Đóng đăng ký ngày").fill(str(day + timedelta(days=20)))
        shot(org, "new-fair")
        org.get_by_role("button", name="Lưu hội chợ").click()
        expect(org.get_by_text("Đã lưu hội chợ")).to_be_visible()
        org.get_by_role("textbox", name="Loại gian hàng").fill("Tiêu chuẩn 3×3 m")
        org.get_by_label("Kích thước").fill("3×3 m")
        org.get_by_label("Phí (₫)").fill("2.000.000")
        org.get_by_role("button", name="Thêm loại gian hàng").click()
        expect(org.locator("#types-heading + ul")).to_contain_text("2.000.000")

        # It edits the booth type: a higher fee and two staff badges.
        org.get_by_role("link", name="Sửa loại gian hàng: Tiêu chuẩn 3×3 m").click()
        org.get_by_label("Phí (₫)").fill("2.400.000")
        org.get_by_label("Số thẻ nhân viên kèm theo").fill("2")
        shot(org, "booth-type-edit")
        org.get_by_role("button", name="Lưu loại gian hàng").click()
        expect(org.get_by_text("Đã lưu loại gian hàng")).to_be_visible()
        expect(org.locator("#types-heading + ul")).to_contain_text("2.400.000")

        # The floor plan: the stage at the top, an aisle, a block of booths, the entrance.
        org.get_by_role("link", name="Sắp xếp sơ đồ mặt bằng").click()
        grid = org.locator("#grid-form")
        _fill(grid, {"Số hàng của lưới": "6", "Số cột của lưới": "6"})
        grid.get_by_role("button", name="Lưu kích thước lưới").click()
        expect(org.get_by_text("Đã lưu kích thước lưới")).to_be_visible()
        for kind, fields in (
            ("Sân khấu", {"Hàng trên cùng": "1", "Cột bên trái": "2", "Chiều rộng (ô)": "4"}),
            ("Lối đi", {"Hàng trên cùng": "2", "Cột bên trái": "1", "Chiều rộng (ô)": "6"}),
            ("Cổng vào", {"Hàng trên cùng": "6", "Cột bên trái": "3", "Chiều rộng (ô)": "2"}),
        ):
            feature = org.locator("#feature-form")
            feature.get_by_label("Loại", exact=True).select_option(label=kind)
            _fill(feature, fields | {"Chiều cao (ô)": "1"})
            feature.get_by_role("button", name="Thêm vào sơ đồ").click()
            expect(org.get_by_text("Đã thêm vào sơ đồ")).to_be_visible()
        block = org.locator("#block-form")
        block.get_by_label("Cỡ gian").select_option("standard")
        # Two rows of three booths, A01–A06, under the aisle.
        rows = {"Hàng trên cùng": "3", "Cột bên trái": "1", "Số hàng gian": "2"}
        _fill(block, rows | {"Số gian mỗi hàng": "3"})
        block.get_by_role("button", name="Thêm các gian").click()
        expect(org.locator("[data-booth='A06']")).to_be_visible()
        for feature in ("stage", "aisle", "entrance"):
            expect(org.locator(f"[data-feature='{feature}']")).to_be_visible()
        shot(org, "floor-plan")

        # Publish, from the fair's page.
        org.get_by_role("main").get_by_role("link", name=FAIR).first.click()
        org.get_by_role("button", name="Công bố hội chợ").click()
        expect(org.get_by_text("Hội chợ đã được công bố")).to_be_visible()
        shot(org, "published")

        # 2. The co-op finds the fair and applies: its product, booth A05 tapped on the plan.
        co_op = phone_for(coop)
        co_op.locator("#menu > summary").click()
        co_op.get_by_role("link", name="Hội chợ", exact=True).first.click()
        co_op.get_by_role("link", name=FAIR).click()
        shot(co_op, "fair-public")
        co_op.get_by_role("link", name="Đăng ký gian hàng").click()
        a05 = co_op.locator(".plan__booth[data-booth='A05']")
        a05.scroll_into_view_if_needed()
        a05.click()
        expect(co_op.get_by_role("radio", name=re.compile("Gian A05"))).to_be_checked()
        co_op.get_by_label(PRODUCT).check()
        co_op.get_by_label("Số điện thoại của họ").fill("0912 345 678")
        shot(co_op, "apply")
        co_op.get_by_role("button", name="Gửi đơn").click()
        expect(co_op.get_by_text("Chờ xét duyệt")).to_be_visible()
        shot(co_op, "applied")

        # 3. The organiser opens the application from its notice and reviews it.
        _open_notice(org, "Đăng ký mới tham gia")
        expect(org.get_by_role("heading", name=COOP, level=1)).to_be_visible()
        expect(org.locator("#certificates")).to_contain_text("OCOP ★★★★")
        expect(org.locator("#chosen-products")).to_contain_text(PRODUCT)
        expect(org.locator("#preferred-booth")).to_contain_text("A05")
        shot(org, "review")
        org.get_by_role("link", name="Đến phần quyết định").click()
        booth = org.get_by_label("Gian giữ cho HTX")
        expect(booth.locator("option:checked")).to_contain_text("A05")
        org.get_by_role("button", name="Nhận", exact=True).click()
        expect(org.get_by_text("Đã lưu; hợp tác xã đã được thông báo.")).to_be_visible()
        shot(org, "accepted")

        # 4. The co-op opens the fee notice: the pay page, the invoice, "I have transferred".
        _open_notice(co_op, FAIR)
        expect(co_op.get_by_role("button", name="Tôi đã chuyển khoản")).to_be_visible()
        with co_op.expect_download() as downloading:
            co_op.get_by_role("link", name="Tải hoá đơn phí (PDF)").click()
        invoice = _pdf_text(downloading.value.path())
        assert FAIR in invoice and "A05" in invoice and "2.400.000" in invoice, invoice
        shot(co_op, "pay-page")
        co_op.get_by_role("button", name="Tôi đã chuyển khoản").click()
        expect(co_op.locator("#awaiting")).to_be_visible()
        shot(co_op, "transferred")

        _open_notice(org, "Khoản chuyển cần xác nhận")
        org.get_by_label("Mã tham chiếu của ngân hàng").fill("FT26340112233")
        shot(org, "confirm-transfer")
        org.get_by_role("button", name="Xác nhận đã nhận tiền").click()
        expect(org.get_by_text("Đã xác nhận nhận tiền")).to_be_visible()
        with live_app.app_context():
            application = db.session.scalar(
                select(FairApplication).where(
                    FairApplication.organization_id == coop.organization_id
                )
            )
            assert application.status is ApplicationStatus.CONFIRMED
            assert application.booth.code == "A05"
            fair_id, application_id = application.fair_id, application.id

        # 5. The co-op's "booth confirmed" notice opens its badges page: it names two staff.
        _open_notice(co_op, f"{FAIR} đã được xác nhận")
        expect(co_op.locator("#badges-valid")).to_be_visible()
        for name, phone_number in (("Lò Thị Mai", "0912 111 222"), ("Vàng A Tủa", "")):
            co_op.get_by_label("Họ và tên").fill(name)
            co_op.get_by_label("Số điện thoại (không bắt buộc)").fill(phone_number)
            co_op.get_by_role("button", name="Làm thẻ").click()
            expect(co_op.locator(".badge-item", has_text=name)).to_be_visible()
        expect(co_op.locator(".short-code code")).to_have_count(3)
        shot(co_op, "badges")
        codes = {
            co_op.locator(".badge-item", has_text=name).locator(".short-code code").inner_text()
            for name in ("Lò Thị Mai", "Vàng A Tủa")
        }
        contact_code = (
            co_op.locator(".badge-item", has_text="Người liên hệ")
            .locator(".short-code code")
            .inner_text()
        )
        staff_code = (
            co_op.locator(".badge-item", has_text="Lò Thị Mai")
            .locator(".short-code code")
            .inner_text()
        )
        codes.add(contact_code)
        # The contact person's badge as the phone shows it: its QR code, for the gate's camera.
        contact_qr = (
            co_op.locator(".badge-item", has_text="Người liên hệ")
            .locator(".badge-item__qr svg")
            .screenshot()
        )

        # The organiser, on the fee's page where its confirmation left it, goes back to the
        # application's review and from there to managing the fair; it prints the badge
        # sheet: the three codes are on it.
        expect(org.get_by_role("heading", name="Nộp phí gian hàng")).to_be_visible()
        org.get_by_role("main").get_by_role("link", name=FAIR).first.click()
        expect(org).to_have_url(re.compile(rf"/fair-applications/{application_id}$"))
        shot(org, "review-after-payment")
        org.get_by_role("link", name="Phí và gian hàng ở trang quản lý hội chợ.").click()
        with org.expect_download() as downloading:
            org.get_by_role("link", name="Thẻ ra vào (PDF)").click()
        sheet = _pdf_text(downloading.value.path())
        for code in codes:
            assert code in sheet, (code, sheet)
        shot(org, "fair-page")
    finally:
        for context in contexts:
            context.close()

    # 6. A gate phone with a camera that sees the contact person's badge.
    with live_app.app_context():
        raw = db.session.scalar(
            select(Badge.code).where(Badge.application_id == application_id, Badge.is_contact)
        )
    assert contact_code.replace("-", "") == raw
    [read] = zxingcpp.read_barcodes(Image.open(io.BytesIO(contact_qr)))
    assert read.text == f"{live_server}/fairs/{fair_id}/gate/{raw}", read.text
    video = str(tmp_path / "badge.mjpeg")
    _camera_video(video, contact_qr)
    camera_browser = browser.browser_type.launch(
        executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    try:
        context = camera_browser.new_context(**PHONE)
        context.grant_permissions(["camera"], origin=live_server)
        gate = context.new_page()
        gate.on("pageerror", lambda exc: errors.append(str(exc)))
        _login(gate, live_server, organiser)
        gate.goto(f"{live_server}/fairs/{fair_id}/gate")
        gate.get_by_text("Cài đặt cổng").click()
        gate.get_by_label("Tên cổng này").fill("Cổng Chính")
        gate.get_by_label("Tên cổng này").blur()
        # The fair is a month away: the organiser allows checking in today.
        gate.get_by_label("Cho điểm danh ngoài ngày hội chợ").check()
        gate.get_by_role("button", name="Bật máy ảnh").click()
        result = gate.locator("#gate-live .gate-result--ok")
        expect(result).to_contain_text("đã điểm danh", timeout=20_000)
        expect(result).to_contain_text(f"{COOP}, gian A05")
        expect(result).to_contain_text(contact_code)
        expect(gate.locator("#gate-counts")).to_contain_text("1/1 đơn vị tham gia có mặt")
        shot(gate, "gate-camera")
        gate.get_by_role("button", name="Tắt máy ảnh").click()
        expect(gate.locator("#gate-video")).to_be_hidden()

        # The network goes: the staff member's typed code waits on the phone.
        context.set_offline(True)
        gate.get_by_label("Mã thẻ").fill(staff_code.lower())
        gate.get_by_role("button", name="Điểm danh").click()
        expect(gate.locator("#gate-queue")).to_have_text("1 lượt quét đang chờ gửi")
        shot(gate, "gate-offline")
        context.set_offline(False)
        expect(gate.locator("#gate-queue")).to_be_hidden(timeout=15_000)
        expect(gate.locator("#gate-live .gate-result--ok")).to_contain_text("Lò Thị Mai")
        shot(gate, "gate-sent")

        # The attendance list: both people once, the third not arrived, the exhibitor present.
        gate.get_by_role("link", name="Danh sách có mặt").click()
        exhibitor = gate.locator(".attendance-item", has_text=COOP)
        expect(exhibitor.locator(".attendance-item__head")).to_contain_text("Có mặt")
        people = exhibitor.locator(".attendance-people li")
        expect(people).to_have_count(3)
        expect(people.filter(has_text="Cổng Chính")).to_have_count(2)
        expect(people.filter(has_text="Lò Thị Mai")).to_have_count(1)
        expect(people.filter(has_text="Vàng A Tủa")).to_contain_text("chưa đến")
        shot(gate, "attendance")

        # 7. The organiser's dashboard: one booth of six sold, its fee collected, two check-ins.
        gate.get_by_role("main").get_by_role("link", name=FAIR).click()
        gate.locator("#dashboard-link").click()
        expect(gate.locator("#booths-sold")).to_have_text("1/6")
        expect(gate.locator("#fees-collected")).to_have_text("2.400.000 ₫")
        expect(gate.locator("#fees-outstanding")).to_contain_text("0 ₫")
        expect(gate.get_by_text("2 lượt điểm danh ở cổng.")).to_be_visible()
        shot(gate, "dashboard")
        context.close()
    finally:
        camera_browser.close()
    assert not errors, errors
