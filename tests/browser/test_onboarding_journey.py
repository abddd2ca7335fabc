"""A co-op goes from sign-up to verified on a phone; an admin approves; the public page shows
the badge."""

import io
import os

from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.conftest import OUTPUT_DIR
from tests.factories import PDF_BYTES, TEST_PASSWORD, make_person


def _photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 800), (40, 110, 60)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_co_op_from_sign_up_to_verified_badge(live_server, live_app, phone: Page):
    admin = make_person(live_app, kind=None, admin=True, email="quantri@chohtx.vn")
    errors: list[str] = []
    phone.on("pageerror", lambda exc: errors.append(str(exc)))

    # Sign up as a co-op.
    phone.goto(live_server + "/signup?as=coop")
    phone.get_by_label("Tên đơn vị của bạn").fill("HTX Chè Shan Tuyết Hoàng Su Phì")
    phone.get_by_label("Họ và tên").fill("Hoàng Thị Mai")
    phone.get_by_label("Email").fill("mai@vidu.vn")
    phone.get_by_label("Mật khẩu", exact=True).fill(TEST_PASSWORD)
    phone.get_by_label("Nhập lại mật khẩu").fill(TEST_PASSWORD)
    phone.get_by_role("button", name="Tạo tài khoản").click()
    # Sign-up answers alike for new and taken emails; the new account can log in.
    expect(phone.get_by_role("heading", level=1)).to_have_text("Hãy kiểm tra email")
    phone.get_by_role("main").get_by_role("link", name="Đăng nhập").click()
    phone.get_by_label("Email").fill("mai@vidu.vn")
    phone.get_by_label("Mật khẩu").fill(TEST_PASSWORD)
    phone.get_by_role("button", name="Đăng nhập").click()
    phone.get_by_role("link", name="HTX của tôi").click()
    phone.get_by_role("link", name="Hồ sơ và xác minh").click()
    expect(phone.locator("#missing")).to_contain_text("Mã số thuế")
    expect(phone.get_by_text("Chưa gửi")).to_be_visible()

    # Step 1: legal details with the scanned registration certificate.
    phone.get_by_role("link", name="Thông tin pháp lý").click()
    phone.get_by_label("Tên đăng ký (pháp lý)").fill("Hợp tác xã Chè Shan Tuyết Hoàng Su Phì")
    phone.get_by_label("Số giấy chứng nhận đăng ký").fill("5101234567")
    phone.get_by_label("Mã số thuế").fill("5101234567")
    phone.get_by_label("Ngày thành lập").fill("2015-05-19")
    phone.get_by_label("Bản quét giấy chứng nhận đăng ký").set_input_files(
        files=[{"name": "giay-phep.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}]
    )
    phone.screenshot(path=os.path.join(OUTPUT_DIR, "profile-identity-360.png"), full_page=True)
    phone.get_by_role("button", name="Lưu và tiếp tục").click()

    # Step 2: the former province name is understood.
    expect(phone.get_by_role("heading", level=1)).to_have_text("Địa chỉ")
    phone.get_by_label("Tỉnh hoặc thành phố").fill("Hà Giang")
    phone.get_by_label("Xã hoặc phường").fill("Xã Hồ Thầu")
    phone.get_by_label("Số nhà, đường, thôn").fill("Thôn Nậm Hồng")
    phone.get_by_role("button", name="Lưu và tiếp tục").click()

    # Step 3: representative and size; a comma decimal is fine.
    phone.get_by_label("Người đại diện theo pháp luật").fill("Hoàng Thị Mai")
    phone.get_by_label("Chức vụ").fill("Giám đốc")
    phone.get_by_label("Số điện thoại người đại diện").fill("0987 654 321")
    phone.get_by_label("Số thành viên").fill("42")
    phone.get_by_label("Diện tích canh tác (ha)").fill("12,5")
    phone.get_by_role("button", name="Lưu và tiếp tục").click()

    # Step 4: story and a photo.
    phone.get_by_label("Câu chuyện của bạn (tiếng Việt)").fill(
        "Chè shan tuyết cổ thụ trên độ cao 1.200 m, hái tay, sao thủ công."
    )
    phone.get_by_role("button", name="Lưu", exact=True).click()
    expect(phone.get_by_text("Đã lưu.")).to_be_visible()
    phone.get_by_role("link", name="Câu chuyện và hình ảnh").click()
    phone.locator("form[action$='/profile/photos'] input[type=file]").set_input_files(
        files=[{"name": "doi-che.jpg", "mimeType": "image/jpeg", "buffer": _photo()}]
    )
    phone.get_by_role("button", name="Thêm ảnh").click()
    expect(phone.get_by_text("Đã lưu ảnh.")).to_be_visible()

    # Step 5: the payout bank account, which the overview still asks for (and every page
    # reminds of); a letter typed into the account number is refused, keeping what was typed.
    phone.goto(phone.url.replace("/profile/story", "/profile"))
    expect(phone.locator(".payout-banner")).to_contain_text("Thêm tài khoản ngân hàng")
    expect(phone.get_by_role("button", name="Gửi xác minh")).to_have_count(0)
    phone.locator("#missing").get_by_role("link", name="Tài khoản ngân hàng nhận tiền").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Tài khoản ngân hàng nhận tiền")
    expect(phone.locator("#step-intro")).to_contain_text("chuyển khoản VietQR")
    phone.get_by_label("Ngân hàng", exact=True).select_option(
        label="LPBank · Ngân hàng TMCP Lộc Phát Việt Nam"
    )
    phone.get_by_label("Số tài khoản").fill("0071 0012 3456 7A")
    phone.get_by_label("Chủ tài khoản (đúng như ngân hàng hiển thị)").fill("HTX CHE SHAN TUYET")
    phone.get_by_role("button", name="Lưu", exact=True).click()
    expect(phone.get_by_label("Số tài khoản")).to_have_value("0071 0012 3456 7A")
    expect(phone.locator("#account-error")).to_contain_text("có chữ cái hoặc ký tự khác")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.screenshot(path=os.path.join(OUTPUT_DIR, "profile-bank-360.png"), full_page=True)
    phone.get_by_label("Số tài khoản").fill("0071 0012 3456 7")
    phone.get_by_role("button", name="Lưu", exact=True).click()
    expect(phone.get_by_text("Đã lưu.")).to_be_visible()
    expect(phone.locator(".payout-banner")).to_have_count(0)

    # Send for verification.
    phone.get_by_role("button", name="Gửi xác minh").click()
    expect(phone.get_by_text("Đang chờ xác minh")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.locator("#menu > summary").click()  # the header menu
    phone.get_by_role("button", name="Đăng xuất").click()

    # The admin approves from the queue.
    phone.get_by_role("link", name="Đăng nhập").click()
    phone.get_by_label("Email").fill(admin.email)
    phone.get_by_label("Mật khẩu").fill(admin.password)
    phone.get_by_role("button", name="Đăng nhập").click()
    phone.locator("#menu > summary").click()  # the header menu
    phone.get_by_role("link", name="Hàng chờ xác minh").first.click()
    phone.get_by_role("link", name="HTX Chè Shan Tuyết Hoàng Su Phì").click()
    expect(phone.locator("iframe.doc-frame")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.screenshot(path=os.path.join(OUTPUT_DIR, "admin-review-360.png"), full_page=True)
    phone.get_by_role("button", name="Duyệt", exact=True).click()
    expect(phone.get_by_text("Đã ghi nhận quyết định")).to_be_visible()
    phone.locator("#menu > summary").click()  # the header menu
    phone.get_by_role("button", name="Đăng xuất").click()

    # Anyone sees the public page with the badge, in the new province.
    phone.goto(live_server + "/htx/htx-che-shan-tuyet-hoang-su-phi")
    expect(phone.locator("#verified-badge")).to_contain_text("Đã được Chợ HTX xác minh")
    expect(phone.get_by_text("Tuyên Quang")).to_be_visible()
    expect(
        phone.get_by_role("img", name="Ảnh 1 của HTX Chè Shan Tuyết Hoàng Su Phì")
    ).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.screenshot(path=os.path.join(OUTPUT_DIR, "public-coop-360.png"), full_page=True)
    assert not errors, errors
