"""Sign up as a co-op representative, log out and in, switch languages, log out — on a phone."""

import os
import re
import time

from playwright.sync_api import Page, expect

from tests.browser.conftest import OUTPUT_DIR
from tests.factories import TEST_PASSWORD


def test_home_page_fits_a_360px_phone(live_server, phone: Page):
    phone.goto(live_server + "/")
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Sản phẩm hợp tác xã")
    # Nothing is wider than the screen: no sideways scrolling on a phone.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.screenshot(path=os.path.join(OUTPUT_DIR, "home-360.png"), full_page=True)


def _continue_link(smtp_server, email: str) -> str:
    """The sign-up link emailed to ``email`` (sent just after the answer, so wait a little)."""
    for _ in range(50):
        for message in smtp_server.to(email):
            found = re.search(r"(http://\S+/signup/continue/\S+)", smtp_server.body(message))
            if found:
                return found.group(1)
        time.sleep(0.1)
    raise AssertionError(f"no sign-up email reached {email}")


def test_co_op_representative_journey(live_server, phone: Page, smtp_server):
    # Script errors and Content-Security-Policy refusals fail the journey. (A form answered
    # with 422 also logs a console error; that is the expected status, not a problem.)
    errors: list[str] = []
    phone.on("pageerror", lambda exc: errors.append(str(exc)))
    phone.on(
        "console",
        lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    phone.goto(live_server + "/")
    phone.get_by_role("link", name="Tôi đại diện hợp tác xã").click()

    # The co-op choice is preselected; the buyer-only field is hidden by the script.
    expect(phone.get_by_label("một hợp tác xã (HTX)")).to_be_checked()
    expect(phone.get_by_label("Loại đơn vị thu mua")).to_be_hidden()
    phone.get_by_label("Tên đơn vị của bạn").fill("HTX Sâm Lai Châu Mường Tè")
    phone.get_by_label("Họ và tên").fill("Vàng A Sính")
    phone.get_by_label("Email").fill("sinh@vidu.vn")
    phone.get_by_label("Số điện thoại").fill("0912 345 678")
    phone.get_by_label("Mật khẩu", exact=True).fill("123")
    phone.get_by_label("Nhập lại mật khẩu").fill("123")
    phone.get_by_role("button", name="Tạo tài khoản").click()

    # A weak password is explained next to the field, and what was typed is kept.
    expect(phone.locator("#password-error")).to_contain_text("ít nhất 10 ký tự")
    expect(phone.get_by_label("Họ và tên")).to_have_value("Vàng A Sính")
    expect(phone.get_by_label("Tên đơn vị của bạn")).to_have_value("HTX Sâm Lai Châu Mường Tè")
    phone.get_by_label("Mật khẩu", exact=True).fill(TEST_PASSWORD)
    phone.get_by_label("Nhập lại mật khẩu").fill(TEST_PASSWORD)
    phone.get_by_role("button", name="Tạo tài khoản").click()

    # The account continues from the link emailed to its address.
    expect(phone.get_by_role("heading", level=1)).to_have_text("Hãy kiểm tra email")
    phone.goto(_continue_link(smtp_server, "sinh@vidu.vn"))
    phone.get_by_role("button", name="Tiếp tục").click()
    expect(phone.get_by_text("Chào mừng Vàng A Sính đến với Chợ HTX!")).to_be_visible()
    expect(phone.get_by_role("link", name="HTX của tôi")).to_be_visible()
    phone.locator("#menu > summary").click()  # the header menu
    phone.get_by_role("button", name="Đăng xuất").click()
    expect(phone.get_by_text("Bạn đã đăng xuất.")).to_be_visible()

    phone.get_by_role("link", name="Đăng nhập").click()
    phone.get_by_label("Email").fill("sinh@vidu.vn")
    phone.get_by_label("Mật khẩu").fill(TEST_PASSWORD)
    phone.get_by_role("button", name="Đăng nhập").click()
    expect(phone.get_by_text("Bạn đã đăng nhập.")).to_be_visible()

    phone.locator("#menu > summary").click()  # the header menu
    phone.get_by_role("button", name="English").click()
    expect(phone.get_by_role("link", name="My co-op")).to_be_visible()
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    phone.get_by_role("link", name="My co-op").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("HTX Sâm Lai Châu Mường Tè")
    phone.screenshot(path=os.path.join(OUTPUT_DIR, "coop-dashboard-360-en.png"), full_page=True)
    phone.locator("#menu > summary").click()  # the header menu
    phone.get_by_role("button", name="Tiếng Việt").click()
    expect(phone.get_by_role("link", name="HTX của tôi")).to_be_visible()
    expect(phone.locator("html")).to_have_attribute("lang", "vi")

    phone.locator("#menu > summary").click()  # the header menu
    phone.get_by_role("button", name="Đăng xuất").click()
    expect(phone.get_by_role("link", name="Đăng nhập")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert not errors, errors
