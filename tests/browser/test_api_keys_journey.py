"""A co-op's owner on a phone makes an API key from the organisation's page: a refused form
keeps the typed name, the key is shown once with a working copy button and a curl example,
and revoking asks first. The pages, and the API reference, pass axe-core on a phone."""

from __future__ import annotations

import os

from playwright.sync_api import Browser, expect

from tests.browser.conftest import OUTPUT_DIR
from tests.factories import PROJECT_ROOT, make_person

AXE = os.path.join(PROJECT_ROOT, "node_modules", "axe-core", "axe.min.js")

SIDEWAYS = "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"


def _serious(page) -> list[str]:
    """axe-core's serious and critical findings on the page (as tests/browser/
    test_accessibility.py counts them)."""
    page.add_script_tag(path=AXE)
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']}: {[n['target'] for n in v['nodes'][:5]]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_making_showing_and_revoking_a_key_on_a_phone(browser: Browser, live_server, live_app):
    owner = make_person(live_app, organization_name="HTX Rau Sạch Đà Lạt")
    # axe-core is injected as an inline script: this context bypasses the policy for it.
    context = browser.new_context(viewport={"width": 360, "height": 780}, bypass_csp=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page = context.new_page()
    page.goto(live_server + "/login")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Mật khẩu").fill(owner.password)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator("#bell")).to_be_visible()

    page.goto(f"{live_server}/orgs/{owner.organization_id}")
    page.get_by_role("link", name="Kết nối hệ thống (API)").click()
    expect(page.get_by_role("heading", name="Kết nối hệ thống (API)")).to_be_visible()
    expect(page.get_by_role("link", name="Webhook")).to_be_visible()
    assert not page.evaluate(SIDEWAYS)

    # Nothing ticked: refused beside the permissions, the name kept.
    page.get_by_label("Tên khoá").fill("ERP kho Đà Lạt")
    page.get_by_role("button", name="Tạo khoá").click()
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#scopes-error")).to_be_visible()
    expect(page.get_by_label("Tên khoá")).to_have_value("ERP kho Đà Lạt")
    assert not _serious(page)

    page.get_by_label("Đọc danh mục sản phẩm công khai", exact=False).check()
    page.get_by_role("button", name="Tạo khoá").click()
    key = page.locator("#new-key")
    expect(key).to_be_visible()
    token = key.inner_text()
    assert token.startswith("chx_")
    expect(page.locator("#curl-example")).to_contain_text(f"Bearer {token}")
    copy = page.get_by_role("button", name="Chép khoá")
    expect(copy).to_be_visible()
    copy.click()
    expect(copy).to_have_text("Đã chép")
    assert page.evaluate("navigator.clipboard.readText()") == token
    assert not page.evaluate(SIDEWAYS)
    assert not _serious(page)
    page.screenshot(path=os.path.join(OUTPUT_DIR, "phone-api-new-key.png"), full_page=True)

    page.get_by_role("link", name="Xong: quay lại danh sách khoá").click()
    expect(page.locator("#api-keys")).to_contain_text("ERP kho Đà Lạt")
    assert token not in page.content()
    page.get_by_text("Thu hồi…").click()
    page.get_by_role("button", name="Đồng ý thu hồi “ERP kho Đà Lạt”").click()
    expect(page.locator(".api-key--revoked")).to_be_visible()
    assert not page.evaluate(SIDEWAYS)
    assert not _serious(page)
    page.goto(live_server + "/api/v1/docs")
    expect(page.locator("#swagger-ui .opblock").first).to_be_visible()
    assert not page.evaluate(SIDEWAYS)
    assert not _serious(page)  # Swagger UI with the colours of static/css/api-reference.css
    page.screenshot(path=os.path.join(OUTPUT_DIR, "phone-api-keys.png"), full_page=True)
    context.close()
