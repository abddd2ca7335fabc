"""A buyer on a phone searches without tone marks, narrows by province and OCOP stars in the
filter drawer, and opens a result; suggestions appear while typing."""

import os
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import Page, expect

from tests.browser.conftest import OUTPUT_DIR
from tests.factories import settle


def _seed(app) -> None:
    from marketplace.demo import seed_demo

    delivering = app.config.get("OUTBOX_DELIVER_IMMEDIATELY", True)
    with app.app_context():
        seed_demo()
        settle()
    app.config["OUTBOX_DELIVER_IMMEDIATELY"] = delivering


def test_search_filter_and_open_a_result_on_a_phone(live_server, live_app, phone: Page):
    _seed(live_app)
    errors: list[str] = []
    phone.on("pageerror", lambda exc: errors.append(str(exc)))

    # From the header box, typed without tone marks.
    phone.goto(live_server + "/")
    phone.get_by_role("searchbox", name="Tìm kiếm").fill("sam ngam mat ong")
    phone.get_by_role("searchbox", name="Tìm kiếm").press("Enter")
    first = phone.locator("#results .card__title").first
    expect(first).to_have_text("Sâm Lai Châu ngâm mật ong")
    expect(first.locator("mark").first).to_have_text("Sâm")

    # Suggestions while typing, without tone marks, lead to a search for the product.
    box = phone.get_by_label("Bạn cần tìm gì?")
    box.fill("")
    box.press_sequentially("ruou sa", delay=30)
    suggestion = phone.locator("#search-suggestions").get_by_role("link", name="Rượu sâm Lai Châu")
    expect(suggestion).to_be_visible()
    suggestion.click()
    expect(phone.locator("#results .card__title").first).to_have_text("Rượu sâm Lai Châu")
    box = phone.get_by_label("Bạn cần tìm gì?")

    # Narrow: "sam" in Lai Châu with at least 4 OCOP stars, from the drawer.
    box.fill("sam")
    drawer = phone.locator("details#filters")
    expect(drawer).not_to_have_attribute("open", "")
    phone.get_by_text("Bộ lọc", exact=True).click()
    phone.get_by_label("Tỉnh, thành xuất xứ").select_option("lai-chau")
    phone.get_by_label("Hạng OCOP").select_option("4")
    phone.get_by_role("button", name="Tìm kiếm", exact=True).last.click()
    expect(phone.locator("#result-count")).to_contain_text("2 sản phẩm")
    query = parse_qs(urlparse(phone.url).query)
    assert query["province"] == ["lai-chau"] and query["ocop"] == ["4"] and query["q"] == ["sam"]
    titles = phone.locator("#results .card__title").all_inner_texts()
    assert sorted(titles) == ["Rượu sâm Lai Châu", "Sâm Lai Châu ngâm mật ong"]
    expect(phone.locator("#results .badge").first).to_contain_text("OCOP ★★★★")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.screenshot(path=os.path.join(OUTPUT_DIR, "search-360.png"), full_page=True)

    # The link is shareable: opening it again gives the same page.
    shared = phone.url
    phone.goto(shared)
    expect(phone.locator("#result-count")).to_contain_text("2 sản phẩm")

    # Open a result.
    phone.locator("#results a", has_text="Rượu sâm Lai Châu").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Rượu sâm Lai Châu")

    # Nothing found: a spelling suggestion leads somewhere.
    phone.goto(live_server + "/search?q=sma+ngam")
    phone.locator("#spelling").click()
    expect(phone.locator("#results .card__title").first).to_have_text("Sâm Lai Châu ngâm mật ong")
    assert not errors, errors
