"""A buyer's owner on a phone connects its ERP to events, from the organisation's page
alone: a private address is refused beside the field with what was typed kept, a public one
is added and its secret shown once, an event that could not be delivered shows in the log
with its error and "send again". Every page passes axe-core and nothing scrolls sideways."""

from __future__ import annotations

import os

from playwright.sync_api import Browser, expect

from marketplace import unit_of_work
from marketplace.extensions import db
from marketplace.models import WebhookEndpoint
from marketplace.services import webhooks
from tests.browser.conftest import OUTPUT_DIR
from tests.factories import PROJECT_ROOT, settle, verified_buyer

AXE = os.path.join(PROJECT_ROOT, "node_modules", "axe-core", "axe.min.js")
SIDEWAYS = "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
#: A public address (documentation range is refused as reserved; this one is an ordinary
#: public address). Nothing listens for it here: the delivery fails and is logged.
PUBLIC_URL = "https://93.184.216.34/hooks/chohtx"


def _serious(page) -> list[str]:
    page.add_script_tag(path=AXE)
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']}: {[n['target'] for n in v['nodes'][:5]]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _looked_at(page, name: str) -> None:
    assert not page.evaluate(SIDEWAYS), name
    assert not _serious(page), name
    page.screenshot(path=os.path.join(OUTPUT_DIR, f"phone-webhooks-{name}.png"), full_page=True)


def test_connecting_a_system_to_events_on_a_phone(browser: Browser, live_server, live_app):
    buyer = verified_buyer(live_app, name="Siêu thị Webhook")
    # axe-core is injected as an inline script: this context bypasses the policy for it.
    context = browser.new_context(viewport={"width": 360, "height": 780}, bypass_csp=True)
    page = context.new_page()
    page.goto(live_server + "/login")
    page.get_by_label("Email").fill(buyer.email)
    page.get_by_label("Mật khẩu").fill(buyer.password)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator("#bell")).to_be_visible()

    page.goto(f"{live_server}/orgs/{buyer.organization_id}")
    page.get_by_role("link", name="Kết nối hệ thống (API)").click()
    page.get_by_role("link", name="Webhook", exact=True).click()
    expect(page.get_by_role("heading", name="Webhook", exact=True)).to_be_visible()
    _looked_at(page, "empty")

    page.get_by_role("link", name="Thêm địa chỉ").first.click()
    page.locator("input[name=url]").fill("http://10.0.0.5/erp")
    page.get_by_label("Mô tả (không bắt buộc)").fill("ERP kho Hà Nội")
    page.locator("input[name=events]").first.check()
    page.locator("main button[type=submit]").last.click()
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("input[name=url]")).to_have_value("http://10.0.0.5/erp")
    expect(page.get_by_label("Mô tả (không bắt buộc)")).to_have_value("ERP kho Hà Nội")
    expect(page.locator("input[name=events]").first).to_be_checked()
    _looked_at(page, "refused")

    page.locator("input[name=url]").fill(PUBLIC_URL)
    page.locator("main button[type=submit]").last.click()
    secret = page.get_by_label("Mã bí mật để ký")
    expect(secret).to_be_visible()
    shown = secret.input_value()
    assert shown.startswith("whsec_")
    _looked_at(page, "secret")
    page.get_by_role("link", name="Xong").click()
    expect(page.locator("main")).to_contain_text(PUBLIC_URL)
    assert shown not in page.content()

    # An event for it; nothing answers at that address, so the attempt fails and is logged.
    with live_app.app_context():
        endpoint = db.session.scalar(
            db.select(WebhookEndpoint).where(
                WebhookEndpoint.organization_id == buyer.organization_id
            )
        )
        event_type = endpoint.events[0]
        webhooks.emit(buyer.organization_id, event_type, "rfq", 1)
        settle()
        unit_of_work.deliver_due()
    page.get_by_role("link", name="Nhật ký gửi").click()
    expect(page.get_by_role("heading", name="Nhật ký gửi")).to_be_visible()
    expect(page.locator("main")).to_contain_text(event_type)
    expect(page.get_by_role("button", name="Gửi lại")).to_be_visible()
    _looked_at(page, "log")
    page.get_by_role("button", name="Gửi lại").click()
    expect(page.locator("main")).to_contain_text(event_type)
    context.close()
