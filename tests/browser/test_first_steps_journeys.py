"""A stranger's first steps on a 360 × 740 phone, one journey per kind of user: from the home
page, sign up, open the link emailed to them, and reach the first meaningful action following
only the links and buttons the pages offer (no typed addresses after the home page). A buyer
asks for quotes, an organiser publishes a fair and a co-op publishes its product once verified
(the co-op's own first steps end with sending its profile): the platform's approval is
the one step taken outside the phone (the admin's own journey is test_onboarding_journey).
Every step is saved as test-output/journey-<kind>-NN-<step>.png."""

from __future__ import annotations

import os
import re
import time
from datetime import timedelta

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import (
    Fair,
    FairStatus,
    Listing,
    ListingStatus,
    Organization,
    Rfq,
    VerificationStatus,
)
from marketplace.services.accounts import verification
from marketplace.vietnam import today
from tests.browser.conftest import OUTPUT_DIR
from tests.factories import PDF_BYTES, TEST_PASSWORD, actor_for, admin_actor, jpeg, settle

PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2}


class Journey:
    """One person's phone: every step is checked to fit the screen and saved as a picture."""

    def __init__(self, browser: Browser, base: str, kind: str) -> None:
        self.context = browser.new_context(**PHONE)
        self.page = self.context.new_page()
        self.base = base
        self.kind = kind
        self.count = 0
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def step(self, name: str) -> None:
        self.count += 1
        assert self.page.evaluate("document.documentElement.scrollWidth") <= 360, name
        self.page.screenshot(
            path=os.path.join(OUTPUT_DIR, f"journey-{self.kind}-{self.count:02d}-{name}.png"),
            full_page=True,
        )

    def close(self) -> None:
        self.context.close()
        assert not self.errors, self.errors


def _emailed_link(smtp_server, email: str) -> str:
    """The sign-up link emailed to ``email`` (sent just after the answer, so wait a little)."""
    for _ in range(80):
        for message in smtp_server.to(email):
            found = re.search(r"(http://\S+/signup/continue/\S+)", smtp_server.body(message))
            if found:
                return found.group(1)
        time.sleep(0.1)
    raise AssertionError(f"no sign-up email reached {email}")


def _sign_up(
    journey: Journey,
    smtp_server,
    button: str,
    organisation: str,
    name: str,
    email: str,
    buyer_type: str | None = None,
) -> None:
    """From the home page, through the sign-up form and the emailed link, to the start page."""
    page = journey.page
    page.goto(journey.base + "/")
    journey.step("home")
    page.get_by_role("main").get_by_role("link", name=button).click()
    page.get_by_label("Tên đơn vị của bạn").fill(organisation)
    if buyer_type:
        page.get_by_label("Loại đơn vị thu mua").select_option(label=buyer_type)
    page.get_by_label("Họ và tên").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Mật khẩu", exact=True).fill(TEST_PASSWORD)
    page.get_by_label("Nhập lại mật khẩu").fill(TEST_PASSWORD)
    journey.step("sign-up")
    page.get_by_role("button", name="Tạo tài khoản").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hãy kiểm tra email")
    journey.step("check-email")
    # A real person opens the link in the email they received.
    page.goto(_emailed_link(smtp_server, email))
    journey.step("emailed-link")
    page.get_by_role("button", name="Tiếp tục").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(organisation)
    expect(page.locator("#start-checklist")).to_be_visible()
    journey.step("start")


def _next_step(journey: Journey, header_link: str, item: str) -> None:
    """Back to the organisation's own page from the header, then the checklist's next step."""
    page = journey.page
    page.get_by_role("navigation").get_by_role("link", name=header_link).click()
    checklist = page.locator("#start-checklist")
    # The step to do next is still on the list (done steps leave it).
    checklist.get_by_role("link", name=item).or_(checklist.get_by_role("button", name=item)).click()


def _pick_bank(page: Page, holder: str) -> None:
    page.get_by_label("Ngân hàng", exact=True).select_option(
        label="LPBank · Ngân hàng TMCP Lộc Phát Việt Nam"
    )
    page.get_by_label("Số tài khoản").fill("0071 0012 3456")
    page.get_by_label("Chủ tài khoản (đúng như ngân hàng hiển thị)").fill(holder)


def test_a_new_co_op_is_sent_for_verification_then_publishes_its_product(
    live_server, live_app, browser: Browser, smtp_server
):
    journey = Journey(browser, live_server, "coop")
    page = journey.page
    name = "HTX Mật Ong Bạc Hà Mèo Vạc"
    _sign_up(journey, smtp_server, "Tôi đại diện hợp tác xã", name, "Lò Thị Hoa", "hoa@mvac.vn")

    # Profile: legal details (with the scanned registration certificate), address, people,
    # story — one after another with "save and continue".
    _next_step(journey, "HTX của tôi", "Thông tin pháp lý")
    page.get_by_label("Tên đăng ký (pháp lý)").fill("Hợp tác xã Mật Ong Bạc Hà Mèo Vạc")
    page.get_by_label("Số giấy chứng nhận đăng ký").fill("0501234567")
    page.get_by_label("Mã số thuế").fill("0501234567")
    page.get_by_label("Ngày thành lập").fill("2016-03-08")
    page.get_by_label("Bản quét giấy chứng nhận đăng ký").set_input_files(
        files=[{"name": "giay-dang-ky.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}]
    )
    journey.step("profile-legal")
    page.get_by_role("button", name="Lưu và tiếp tục").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Địa chỉ")
    page.get_by_label("Tỉnh hoặc thành phố").fill("Tuyên Quang")
    page.get_by_label("Xã hoặc phường").fill("Xã Mèo Vạc")
    page.get_by_label("Số nhà, đường, thôn").fill("Thôn Tả Chải")
    journey.step("profile-address")
    page.get_by_role("button", name="Lưu và tiếp tục").click()
    page.get_by_label("Người đại diện theo pháp luật").fill("Lò Thị Hoa")
    page.get_by_label("Chức vụ").fill("Giám đốc")
    page.get_by_label("Số điện thoại người đại diện").fill("0912 345 678")
    page.get_by_label("Số thành viên").fill("27")
    page.get_by_label("Diện tích canh tác (ha)").fill("8")
    journey.step("profile-people")
    page.get_by_role("button", name="Lưu và tiếp tục").click()
    page.get_by_label("Câu chuyện của bạn (tiếng Việt)").fill(
        "Mật ong hoa bạc hà của đồng bào Mông trên cao nguyên đá, quay tay, không pha trộn."
    )
    journey.step("profile-story")
    page.get_by_role("button", name="Lưu", exact=True).click()
    expect(page.get_by_text("Đã lưu.")).to_be_visible()

    # The registration document was given with the legal details: that step is done too.
    page.get_by_role("navigation").get_by_role("link", name="HTX của tôi").click()
    checklist = page.locator("#start-checklist")
    expect(checklist.get_by_role("link", name="Thông tin pháp lý")).to_have_count(0)
    expect(checklist.get_by_role("link", name="Bản quét giấy chứng nhận đăng ký")).to_have_count(0)
    journey.step("start-profile-done")

    # Certificates.
    checklist.get_by_role("link", name="Chứng nhận (OCOP, VietGAP, hữu cơ…)").click()
    page.get_by_label("Loại chứng nhận").select_option(label="VietGAP")
    page.get_by_label("Số chứng nhận hoặc số quyết định").fill("VietGAP-TT-25-01-0001")
    page.get_by_label("Cơ quan cấp").fill("Trung tâm Chứng nhận Phù hợp")
    page.get_by_label("Ngày cấp").fill("2025-01-10")
    page.get_by_label("Có hiệu lực đến").fill("2028-01-09")
    page.get_by_label("Bản quét chứng nhận").set_input_files(
        files=[{"name": "vietgap.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}]
    )
    journey.step("certificate")
    page.get_by_role("button", name="Lưu chứng nhận").click()
    expect(page.locator(".flash--success")).to_be_visible()

    # The payout bank account.
    _next_step(journey, "HTX của tôi", "Tài khoản ngân hàng nhận tiền")
    _pick_bank(page, "HTX MAT ONG BAC HA")
    journey.step("bank")
    page.get_by_role("button", name="Lưu", exact=True).click()
    expect(page.get_by_text("Đã lưu.")).to_be_visible()
    expect(page.locator(".payout-banner")).to_have_count(0)

    # The first product, as a draft (a co-op publishes once verified).
    _next_step(journey, "HTX của tôi", "Sản phẩm đầu tiên")
    page.get_by_label("Tên sản phẩm (tiếng Việt)").fill("Mật ong bạc hà Mèo Vạc")
    page.get_by_label("Danh mục").select_option(index=1)
    page.get_by_label("Mô tả (tiếng Việt)").fill("Mật ong hoa bạc hà, vụ tháng 11.")
    page.get_by_label("Đơn vị bán").select_option("chai")
    page.get_by_label("Giá mỗi đơn vị (₫)").fill("350.000")
    page.get_by_label("Số lượng đặt tối thiểu").fill("10")
    page.get_by_label("Sản lượng cung ứng mỗi tháng").fill("300")
    journey.step("first-listing")
    page.get_by_role("button", name="Lưu nháp").click()
    expect(page.get_by_text("Đã lưu bản nháp")).to_be_visible()

    # Everything is there: the last step sends the profile for verification.
    _next_step(journey, "HTX của tôi", "Gửi hồ sơ để xác minh")
    expect(page.get_by_text("Đang chờ xác minh").first).to_be_visible()
    journey.step("submitted")
    page.get_by_role("navigation").get_by_role("link", name="HTX của tôi").click()
    expect(page.get_by_role("heading", name="Hồ sơ đang được kiểm tra")).to_be_visible()
    expect(page.locator("#start-checklist")).to_have_count(0)
    journey.step("start-submitted")
    with live_app.app_context():
        organisation = db.session.scalars(select(Organization).filter_by(name=name)).one()
        assert organisation.verification_status == VerificationStatus.SUBMITTED
        assert organisation.has_bank_account

    # Verified: the draft is still hidden from buyers, and the start page says to publish it.
    _approved_by_the_platform(live_app, name)
    page.get_by_role("navigation").get_by_role("link", name="HTX của tôi").click()
    expect(page.locator("#start-checklist")).to_contain_text("Hồ sơ của bạn đã được xác minh")
    journey.step("start-verified")
    page.locator("#start-checklist").get_by_role("link", name="Đăng bán sản phẩm đầu tiên").click()
    journey.step("products")
    page.get_by_role("link", name="Mật ong bạc hà Mèo Vạc", exact=True).click()
    page.locator("form[action$='/photos'] input[type=file]").set_input_files(
        files=[{"name": "mat-ong.jpg", "mimeType": "image/jpeg", "buffer": jpeg(800, 600)}]
    )
    page.get_by_role("button", name="Thêm ảnh").click()
    expect(page.get_by_text("Ảnh chính")).to_be_visible()
    page.get_by_role("button", name="Đăng bán").click()
    expect(page.get_by_text("Đang bán").first).to_be_visible()
    journey.step("listing-published")

    journey.close()
    with live_app.app_context():
        listing = db.session.scalars(
            select(Listing).filter_by(title_vi="Mật ong bạc hà Mèo Vạc")
        ).one()
        assert listing.status == ListingStatus.PUBLISHED


def _approved_by_the_platform(app, name: str) -> None:
    """The platform's team approves the profile it was sent (its own journey is elsewhere)."""
    admin = admin_actor(app)
    with app.app_context():
        organisation = db.session.scalars(select(Organization).filter_by(name=name)).one()
        assert organisation.verification_status == VerificationStatus.SUBMITTED
        verification.approve(actor_for(admin), organisation.id)
        settle()


def _legal_details_and_address(journey: Journey, name: str, legal_name: str, tax_code: str):
    page = journey.page
    expect(page.get_by_label("Tên hiển thị trên Chợ HTX")).to_have_value(name)
    page.get_by_label("Tên đăng ký (pháp lý)").fill(legal_name)
    page.get_by_label("Mã số thuế").fill(tax_code)
    journey.step("profile-legal")
    page.get_by_role("button", name="Lưu và tiếp tục").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Địa chỉ")
    page.get_by_label("Tỉnh hoặc thành phố").fill("Hà Nội")
    page.get_by_label("Xã hoặc phường").fill("Phường Cầu Giấy")
    page.get_by_label("Số nhà, đường, thôn").fill("25 Trần Thái Tông")
    journey.step("profile-address")


def test_a_new_buyer_sends_its_first_request_for_quotes(
    live_server, live_app, browser: Browser, smtp_server
):
    journey = Journey(browser, live_server, "buyer")
    page = journey.page
    name = "Bếp Ăn Trường Tiểu Học Dịch Vọng"
    _sign_up(
        journey,
        smtp_server,
        "Tôi là đơn vị thu mua",
        name,
        "Đặng Văn Bếp",
        "bep@dichvong.vn",
        buyer_type="Căng tin hoặc bếp ăn",
    )

    # The legal details and the address the platform verifies.
    _next_step(journey, "Thu mua của tôi", "Thông tin pháp lý")
    _legal_details_and_address(journey, name, "Công ty TNHH Suất Ăn Dịch Vọng", "0108765432")
    page.get_by_role("button", name="Lưu", exact=True).click()
    expect(page.get_by_text("Đã lưu.")).to_be_visible()

    # Where deliveries go.
    _next_step(journey, "Thu mua của tôi", "Địa điểm nhận hàng")
    locations = page.locator("form[action$='/locations']")
    locations.get_by_label("Tên địa điểm").fill("Bếp trường Dịch Vọng")
    locations.get_by_label("Tỉnh hoặc thành phố").fill("Hà Nội")
    locations.get_by_label("Xã hoặc phường").fill("Phường Cầu Giấy")
    locations.get_by_label("Số nhà, đường, thôn").fill("25 Trần Thái Tông")
    journey.step("delivery-location")
    locations.get_by_role("button").click()
    expect(page.get_by_text("Bếp trường Dịch Vọng").first).to_be_visible()

    # Sent for verification from the start page; the platform approves.
    _next_step(journey, "Thu mua của tôi", "Gửi hồ sơ để xác minh")
    expect(page.get_by_text("Đang chờ xác minh").first).to_be_visible()
    journey.step("submitted")
    page.get_by_role("navigation").get_by_role("link", name="Thu mua của tôi").click()
    expect(page.locator(".start").first).to_contain_text(
        "có thể gửi yêu cầu báo giá tới các hợp tác xã"
    )
    journey.step("start-submitted")
    _approved_by_the_platform(live_app, name)

    # The first request for quotes.
    _next_step(journey, "Thu mua của tôi", "Yêu cầu báo giá đầu tiên")
    expect(page.locator("#verify-first")).to_have_count(0)
    first = today() + timedelta(days=7)
    page.get_by_label("Tiêu đề").fill("Rau cải cho bếp trường")
    page.get_by_label("Danh mục").first.select_option(index=1)
    page.get_by_label("Hàng cần mua").first.fill("Cải ngọt, bó 1 kg, rửa sạch")
    page.get_by_label("Số lượng mỗi lần giao").fill("40")
    page.get_by_label("Tần suất giao hàng").select_option("weekly")
    page.get_by_label("Thứ Hai").check()
    page.get_by_label("Giao lần đầu từ ngày").fill(first.isoformat())
    page.get_by_label("Hợp đồng kết thúc ngày").fill((first + timedelta(days=60)).isoformat())
    # The buyer's one delivery location is already chosen.
    expect(page.get_by_label("Giao đến", exact=True).locator("option:checked")).to_have_text(
        "Bếp trường Dịch Vọng"
    )
    page.get_by_label("Hạn gửi báo giá (ngày)").fill((today() + timedelta(days=3)).isoformat())
    journey.step("request-form")
    page.get_by_role("button", name="Đăng yêu cầu báo giá").click()
    expect(page.get_by_text("Đã đăng yêu cầu").first).to_be_visible()
    journey.step("request-sent")
    page.get_by_role("navigation").get_by_role("link", name="Thu mua của tôi").click()
    expect(page.get_by_role("link", name="Yêu cầu báo giá đầu tiên")).to_have_count(0)
    journey.step("start-done")

    journey.close()
    with live_app.app_context():
        organisation = db.session.scalars(select(Organization).filter_by(name=name)).one()
        rfq = db.session.scalars(select(Rfq).filter_by(buyer_id=organisation.id)).one()
        assert rfq.title == "Rau cải cho bếp trường"


def test_a_new_organiser_creates_and_publishes_its_first_fair(
    live_server, live_app, browser: Browser, smtp_server
):
    journey = Journey(browser, live_server, "organiser")
    page = journey.page
    name = "Trung tâm Xúc tiến Thương mại Sơn La"
    _sign_up(journey, smtp_server, "Tôi tổ chức hội chợ", name, "Cầm Văn Hội", "hoi@xtsl.vn")

    # Legal details and address, then the bank account the booth fees are paid into.
    _next_step(journey, "Hội chợ của tôi", "Thông tin pháp lý")
    _legal_details_and_address(
        journey, name, "Trung tâm Xúc tiến Thương mại tỉnh Sơn La", "5500123456"
    )
    page.get_by_role("button", name="Lưu và tiếp tục").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tài khoản ngân hàng nhận tiền")
    _pick_bank(page, "TT XUC TIEN THUONG MAI SON LA")
    journey.step("bank")
    page.get_by_role("button", name="Lưu", exact=True).click()
    expect(page.get_by_text("Đã lưu.")).to_be_visible()
    expect(page.locator(".payout-banner")).to_have_count(0)

    # The first fair, with a booth type and a row of booths.
    _next_step(journey, "Hội chợ của tôi", "Hội chợ đầu tiên")
    day = today()
    page.get_by_label("Tên hội chợ (tiếng Việt)").fill("Phiên chợ Nông sản Sơn La")
    page.get_by_label("Địa điểm").fill("Quảng trường Tây Bắc")
    page.get_by_label("Tỉnh hoặc thành phố").fill("Sơn La")
    page.get_by_label("Ngày khai mạc").fill(str(day + timedelta(days=30)))
    page.get_by_label("Ngày bế mạc").fill(str(day + timedelta(days=32)))
    page.get_by_label("Mở đăng ký từ ngày").fill(str(day))
    page.get_by_label("Đóng đăng ký ngày").fill(str(day + timedelta(days=20)))
    journey.step("fair-form")
    page.get_by_role("button", name="Lưu hội chợ").click()
    expect(page.get_by_text("Đã lưu hội chợ")).to_be_visible()
    page.get_by_role("textbox", name="Loại gian hàng").fill("Tiêu chuẩn 3×3 m")
    page.get_by_label("Kích thước").fill("3×3 m")
    page.get_by_label("Phí (₫)").fill("1.500.000")
    page.get_by_role("button", name="Thêm loại gian hàng").click()
    expect(page.get_by_text("Tiêu chuẩn 3×3 m").first).to_be_visible()
    plan = page.get_by_role("link", name="Sắp xếp sơ đồ mặt bằng")
    if plan.count():
        # The floor plan has its own page: a block of four booths at the top left.
        plan.click()
        block = page.locator("#block-form")
        block.get_by_label("Hàng trên cùng").fill("1")
        block.get_by_label("Cột bên trái").fill("1")
        block.get_by_label("Số gian mỗi hàng").fill("4")
        journey.step("floor-plan")
        block.get_by_role("button", name="Thêm các gian").click()
        expect(page.locator("[data-booth='A04']")).to_be_visible()
        page.get_by_role("main").get_by_role("link", name="Phiên chợ Nông sản Sơn La").click()
    else:
        page.get_by_label("Chữ cái của dãy").fill("A")
        page.get_by_label("Số gian hàng").fill("4")
        page.get_by_role("button", name="Thêm một dãy gian hàng").click()
    expect(page.locator("[data-booth='A04']")).to_be_visible()
    # Not verified yet: the page says so, with the way to the profile, instead of publishing.
    expect(page.locator("#verify-first")).to_be_visible()
    expect(page.get_by_role("button", name="Công bố hội chợ")).to_have_count(0)
    journey.step("fair-draft")

    # Sent for verification from the start page; the platform approves.
    _next_step(journey, "Hội chợ của tôi", "Gửi hồ sơ để xác minh")
    expect(page.get_by_text("Đang chờ xác minh").first).to_be_visible()
    journey.step("submitted")
    page.get_by_role("navigation").get_by_role("link", name="Hội chợ của tôi").click()
    expect(page.locator(".start").first).to_contain_text("có thể công bố hội chợ")
    journey.step("start-submitted")
    _approved_by_the_platform(live_app, name)

    # Back to the fair from the organisation's page, and publish it.
    page.get_by_role("navigation").get_by_role("link", name="Hội chợ của tôi").click()
    page.get_by_role("main").get_by_role("link", name="Hội chợ của chúng tôi").click()
    page.get_by_role("link", name="Phiên chợ Nông sản Sơn La").click()
    page.get_by_role("button", name="Công bố hội chợ").click()
    expect(page.get_by_text("Hội chợ đã được công bố")).to_be_visible()
    expect(page.locator(".badge", has_text="Đã công bố")).to_be_visible()
    journey.step("fair-published")

    journey.close()
    with live_app.app_context():
        organisation = db.session.scalars(select(Organization).filter_by(name=name)).one()
        fair = db.session.scalars(select(Fair).filter_by(organization_id=organisation.id)).one()
        assert fair.status == FairStatus.PUBLISHED
        assert organisation.has_bank_account
