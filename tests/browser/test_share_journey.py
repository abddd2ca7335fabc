"""On a phone, a co-op's page and a product page offer Zalo, Facebook and copy-link sharing,
with nothing wider than the screen, and their share cards point at a JPEG preview."""

import os

from playwright.sync_api import Page, expect

from tests.browser.conftest import OUTPUT_DIR
from tests.factories import actor_for, published_listing, settle, verified_coop

STORY = (
    "Hợp tác xã trồng sâm dưới tán rừng nguyên sinh ở độ cao hai nghìn mét trên dãy Pu Si Lung, "
    "do đồng bào Dao đỏ chăm sóc thủ công; củ sâm được thu hoạch vào mùa thu, rửa bằng nước suối "
    "và ngâm cùng rượu nếp cái hoa vàng trong chum sành ít nhất sáu tháng."
)


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def _shares(page: Page, url: str, shot: str) -> None:
    share = page.get_by_role("group", name="Chia sẻ")
    expect(share.get_by_role("link", name="Zalo")).to_be_visible()
    expect(share.get_by_role("link", name="Facebook")).to_be_visible()
    copy = share.get_by_role("button", name="Chép liên kết")
    expect(copy).to_be_visible()
    assert copy.get_attribute("data-copy") == url
    _no_sideways_scroll(page)
    share.scroll_into_view_if_needed()
    page.screenshot(path=os.path.join(OUTPUT_DIR, shot), full_page=True)
    copy.click()
    expect(share.get_by_role("button", name="Đã chép")).to_be_visible()
    image = page.locator('meta[property="og:image"]').get_attribute("content")
    preview = page.request.get(image)
    assert preview.ok and preview.headers["content-type"] == "image/jpeg"


def test_share_links_on_a_phone(live_server, live_app, phone: Page):
    from marketplace.services.accounts import profiles

    coop = verified_coop(live_app, organization_name="HTX Sâm Lai Châu Mường Tè")
    _id, slug = published_listing(live_app, coop, description_vi=STORY)
    with live_app.app_context():
        me = actor_for(coop)
        profiles.save_story(me, coop.organization_id, None, story_vi=STORY, story_en="")
        profiles.add_photo(me, coop.organization_id, _wide_photo())
        coop_slug = profiles.upload_logo(me, coop.organization_id, _wide_photo()).slug
        settle()
    errors: list[str] = []
    phone.on("pageerror", lambda exc: errors.append(str(exc)))

    phone.goto(f"{live_server}/htx/{coop_slug}")
    description = phone.locator('meta[property="og:description"]').get_attribute("content")
    assert description.endswith("…") and STORY.startswith(description[:-1])
    _shares(phone, f"{live_server}/htx/{coop_slug}", "share-coop-360.png")

    phone.goto(f"{live_server}/p/{slug}")
    _shares(phone, f"{live_server}/p/{slug}", "share-listing-360.png")
    assert errors == []


def _wide_photo() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (1600, 900), (40, 110, 60)).save(buffer, "JPEG")
    return buffer.getvalue()
