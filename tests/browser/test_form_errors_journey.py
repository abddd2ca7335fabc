"""A refused form on a phone: the error summary is what has focus, with and without script,
and its links lead to the fields."""

import os

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import OUTPUT_DIR


def _broken_sign_up(page: Page, live_server: str) -> None:
    page.goto(live_server + "/signup?as=coop")
    page.get_by_label("Tên đơn vị của bạn").fill("HTX Chè Shan Tuyết Tà Xùa")
    page.get_by_label("Họ và tên").fill("Mùa A Chư")
    page.get_by_label("Email").fill("chu@")
    page.get_by_label("Số điện thoại").fill("123")
    page.get_by_label("Mật khẩu", exact=True).fill("ngan")
    page.get_by_label("Nhập lại mật khẩu").fill("khac")
    page.get_by_role("button", name="Tạo tài khoản").click()
    page.wait_for_load_state("load")


def test_after_a_refused_sign_up_the_summary_has_focus_and_links_to_fields(
    live_server, phone: Page
):
    _broken_sign_up(phone, live_server)
    summary = phone.locator("#error-summary")
    expect(summary).to_contain_text("Có 4 chỗ cần sửa")
    expect(summary).to_be_focused()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.screenshot(path=os.path.join(OUTPUT_DIR, "error-summary-360.png"))
    # A link puts the cursor in its field; what was typed is still there.
    summary.get_by_role("link", name="Số điện thoại").click()
    expect(phone.get_by_label("Số điện thoại")).to_be_focused()
    expect(phone.get_by_label("Số điện thoại")).to_have_value("123")
    expect(phone.get_by_label("Họ và tên")).to_have_value("Mùa A Chư")


@pytest.fixture
def phone_without_script(browser: Browser):
    context = browser.new_context(viewport={"width": 360, "height": 780}, java_script_enabled=False)
    page = context.new_page()
    yield page
    context.close()


def test_without_script_the_summary_still_has_focus(live_server, phone_without_script: Page):
    _broken_sign_up(phone_without_script, live_server)
    expect(phone_without_script.locator("#error-summary")).to_be_focused()
