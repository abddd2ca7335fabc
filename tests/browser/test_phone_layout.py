"""Every main page on a 360-px phone, for each kind of user: nothing scrolls sideways, the header
stays compact, status pills stay on one line; the header menu opens without script trouble, by
keyboard too. A screenshot of each page lands in test-output/phone-*.png."""

from __future__ import annotations

import os

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Fair, Listing, Organization
from tests.browser.conftest import OUTPUT_DIR
from tests.factories import (
    admin_actor,
    coop_with_listing,
    invoice_first_delivery,
    open_fair,
    signed_contract,
    verified_buyer,
    verified_coop,
    verified_organiser,
)

PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 1}
HEADER_AT_MOST = 110

MEASURE = """() => {
  const de = document.documentElement;
  const pills = [...document.querySelectorAll('.badge, .flag')].filter(e => e.offsetParent);
  const broken = pills.filter(e => {
    const line = parseFloat(getComputedStyle(e).lineHeight) || 20;
    return e.getClientRects().length !== 1 || e.getBoundingClientRect().height > line * 1.5 + 6;
  }).map(e => e.textContent.trim());
  return {
    sideways: de.scrollWidth > de.clientWidth,
    width: de.scrollWidth,
    header: document.querySelector('.site-header').getBoundingClientRect().height,
    pills: pills.length,
    broken,
  };
}"""


def _login(page: Page, base: str, person) -> None:
    page.goto(base + "/login")
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Mật khẩu").fill(person.password)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator("#bell")).to_be_visible()


def _check(page: Page, base: str, who: str, name: str, path: str) -> dict:
    response = page.goto(base + path)
    assert response is not None and response.status == 200, (who, path)
    page.wait_for_load_state("networkidle")
    found = page.evaluate(MEASURE)
    page.screenshot(path=os.path.join(OUTPUT_DIR, f"phone-{who}-{name}.png"), full_page=True)
    assert not found["sideways"], (who, path, found["width"])
    assert found["header"] <= HEADER_AT_MOST, (who, path, found["header"])
    assert not found["broken"], (who, path, found["broken"])
    return found


def test_main_pages_fit_a_phone_for_every_kind_of_user(live_server, live_app, browser: Browser):
    app = live_app
    coop = verified_coop(app, organization_name="HTX Điện Thoại Mường Tè")
    listing_id = coop_with_listing(app, coop)
    buyer = verified_buyer(app, name="Chuỗi Siêu Thị Màn Hình Nhỏ")
    contract_id = signed_contract(app, buyer, coop)
    invoice_id, _total = invoice_first_delivery(app, buyer, coop, contract_id)
    organiser = verified_organiser(app)
    fair_id, _type = open_fair(app, organiser, booths=6)
    admin = admin_actor(app)
    with app.app_context():
        coop_slug = db.session.scalar(
            select(Organization.slug).where(Organization.id == coop.organization_id)
        )
        listing_slug = db.session.get_one(Listing, listing_id).slug
        fair_slug = db.session.get_one(Fair, fair_id).slug
    c, b, o = coop.organization_id, buyer.organization_id, organiser.organization_id

    pages = {
        "visitor": (
            None,
            {
                "home": "/",
                "search": "/search?q=r%C6%B0%E1%BB%A3u",
                "product": f"/p/{listing_slug}",
                "coop-page": f"/htx/{coop_slug}",
                "fairs": "/fairs",
                "fair": f"/fairs/{fair_slug}",
            },
        ),
        "coop": (
            coop,
            {
                "start": f"/orgs/{c}",
                "home": "/",
                "products": f"/orgs/{c}/listings",
                "trade": f"/orgs/{c}/trade",
                "contract": f"/contracts/{contract_id}",
                "invoices": f"/orgs/{c}/invoices",
                "invoice": f"/invoices/{invoice_id}",
                "statement": f"/orgs/{c}/statement",
                "fair-applications": f"/orgs/{c}/fair-applications",
                "notifications": "/notifications",
            },
        ),
        "buyer": (
            buyer,
            {
                "start": f"/orgs/{b}",
                "trade": f"/orgs/{b}/trade",
                "contract": f"/contracts/{contract_id}",
                "invoices": f"/orgs/{b}/invoices",
                "statement": f"/orgs/{b}/statement",
                "deliveries": f"/orgs/{b}/deliveries",
                "notifications": "/notifications",
            },
        ),
        "organiser": (
            organiser,
            {
                "start": f"/orgs/{o}",
                "fairs": f"/orgs/{o}/fairs",
                "fair": f"/fairs/{fair_id}/manage",
                "statement": f"/orgs/{o}/statement",
            },
        ),
        "admin": (
            admin,
            {
                "admin": "/admin/",
                "queue": "/admin/verifications",
                "payouts": "/admin/payouts",
                "categories": "/admin/categories",
            },
        ),
    }
    pills_seen = 0
    for who, (person, paths) in pages.items():
        context = browser.new_context(**PHONE)
        page = context.new_page()
        if person is not None:
            _login(page, live_server, person)
        for name, path in paths.items():
            pills_seen += _check(page, live_server, who, name, path)["pills"]
        context.close()
    assert pills_seen >= 10  # the pill check looked at real pills

    # English too, for the co-op's pages with the longest words and tables.
    context = browser.new_context(**PHONE)
    page = context.new_page()
    _login(page, live_server, coop)
    page.locator("#menu > summary").click()
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    for name in ("products", "trade", "invoices", "statement", "contract"):
        _check(page, live_server, "coop", f"{name}-en", pages["coop"][1][name])
    context.close()


def test_the_header_menu_opens_by_keyboard_and_holds_the_rest(
    live_server, live_app, browser: Browser
):
    buyer = verified_buyer(live_app, name="Bếp Ăn Bàn Phím")
    context = browser.new_context(**PHONE)
    page = context.new_page()
    _login(page, live_server, buyer)
    menu = page.locator("#menu")
    summary = menu.locator("summary")
    expect(summary).to_have_accessible_name("Menu")
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_hidden()
    summary.focus()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("open", "")
    for name in ("Tài khoản", "Hội chợ"):
        expect(menu.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(menu.get_by_role("button", name="Đăng xuất")).to_be_visible()
    page.screenshot(path=os.path.join(OUTPUT_DIR, "phone-menu-open.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.keyboard.press("Escape")
    expect(menu).not_to_have_attribute("open", "")
    expect(summary).to_be_focused()
    # The search field and notices stay in the bar, outside the menu.
    expect(page.get_by_role("searchbox", name="Tìm kiếm")).to_be_visible()
    expect(page.get_by_role("link", name="Thông báo")).to_be_visible()
    context.close()

    # Without script the <details> still opens on a tap.
    context = browser.new_context(**PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/")
    page.locator("#menu > summary").click()
    expect(page.locator("#menu").get_by_role("link", name="Hội chợ", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="English")).to_be_visible()
    context.close()
