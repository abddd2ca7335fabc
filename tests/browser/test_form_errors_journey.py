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


def test_a_chosen_scan_survives_a_refused_step_on_a_phone(live_server, live_app, phone: Page):
    """The registration scan is chosen once: a wrong tax code refuses the step, the page says
    the scan is kept, and fixing the tax code alone saves the scan with it."""
    from marketplace.extensions import db
    from marketplace.models import Organization
    from tests.factories import PDF_BYTES, TEST_PASSWORD, make_person

    owner = make_person(live_app, email="giu.tep@vidu.vn", organization_name="HTX Giữ Tệp")
    phone.goto(live_server + "/login")
    phone.get_by_label("Email").fill(owner.email)
    phone.get_by_label("Mật khẩu").fill(TEST_PASSWORD)
    phone.get_by_role("button", name="Đăng nhập").click()
    phone.goto(f"{live_server}/orgs/{owner.organization_id}/profile/identity")
    phone.get_by_label("Tên đăng ký (pháp lý)").fill("Hợp tác xã Giữ Tệp Mường Khương")
    phone.get_by_label("Mã số thuế").fill("12345")
    phone.get_by_label("Bản quét giấy chứng nhận đăng ký").set_input_files(
        files=[{"name": "giay-dang-ky.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}]
    )
    phone.get_by_role("button", name="Lưu", exact=True).click()
    phone.wait_for_load_state("load")

    expect(phone.locator("#error-summary")).to_be_focused()
    assert phone.evaluate("document.activeElement.id") == "error-summary"
    kept = phone.locator("#registration_document-kept")
    expect(kept).to_be_visible()
    expect(kept).to_have_text("Đã giữ tệp: giay-dang-ky.pdf — chọn tệp khác để thay")
    expect(phone.get_by_label("Bỏ tệp đã giữ")).not_to_be_checked()
    expect(phone.get_by_label("Tên đăng ký (pháp lý)")).to_have_value(
        "Hợp tác xã Giữ Tệp Mường Khương"
    )
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    kept.scroll_into_view_if_needed()
    phone.screenshot(path=os.path.join(OUTPUT_DIR, "kept-file-360.png"))

    # Fix the tax code only; the scan is not chosen again.
    phone.get_by_label("Mã số thuế").fill("5101234567")
    phone.get_by_role("button", name="Lưu", exact=True).click()
    expect(phone.get_by_text("Đã lưu.")).to_be_visible()
    phone.goto(f"{live_server}/orgs/{owner.organization_id}/profile/identity")
    expect(
        phone.get_by_role("link", name="Xem giấy chứng nhận đăng ký bạn đã tải lên")
    ).to_be_visible()
    phone.screenshot(path=os.path.join(OUTPUT_DIR, "kept-file-saved-360.png"), full_page=True)
    with live_app.app_context():
        key = db.session.get_one(Organization, owner.organization_id).registration_document_key
        assert key and live_app.extensions["storage"].get(key) == PDF_BYTES
