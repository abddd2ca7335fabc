"""Talking on phones: a buyer, not logged in, taps "Nhắn tin" on a product page, logs in, asks
about the product and sends; the co-op's member opens the notice, reads and replies with a
file; once they have signed a contract, both see each other's phone and a Zalo link on the
contract page and write in its thread."""

import os
import re

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Conversation, Listing, Organization
from marketplace.services import messages
from tests.browser.conftest import OUTPUT_DIR
from tests.factories import (
    PDF_BYTES,
    coop_with_listing,
    signed_contract,
    verified_buyer,
    verified_coop,
)


def _login(page: Page, person) -> None:
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Mật khẩu").fill(person.password)
    page.get_by_role("button", name="Đăng nhập").click()


def _fits_the_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.url


def _shot(page: Page, name: str) -> None:
    _fits_the_phone(page)
    page.screenshot(path=os.path.join(OUTPUT_DIR, name), full_page=True)


def _unread_messages(page: Page) -> str:
    """The count beside the header's messages link ("" when none is shown)."""
    badge = page.locator("#messages-link .count")
    return badge.inner_text() if badge.count() else ""


def test_a_buyer_and_a_coop_talk_on_their_phones(
    live_server, live_app, phone: Page, browser: Browser, tmp_path
):
    buyer = verified_buyer(live_app, name="Siêu thị Xanh Nhắn Tin")
    coop = verified_coop(live_app, organization_name="HTX Sâm Nhắn Tin")
    listing_id = coop_with_listing(live_app, coop, title_vi="Rượu sâm Nhắn Tin")
    with live_app.app_context():
        slug = db.session.get_one(Listing, listing_id).slug
        # The buyer's profile gives its representative's phone: what a co-op it signs with sees.
        db.session.get_one(
            Organization, buyer.organization_id
        ).representative_phone = "+84912345678"
        db.session.commit()
    errors: list[str] = []
    coop_context = browser.new_context(
        viewport={"width": 360, "height": 780}, device_scale_factor=2
    )
    farm = coop_context.new_page()
    for page in (phone, farm):
        page.on("pageerror", lambda exc: errors.append(str(exc)))

    # The buyer, not logged in yet, asks from the product page: log in, then straight back.
    phone.goto(f"{live_server}/p/{slug}")
    phone.get_by_role("link", name="Nhắn tin", exact=True).scroll_into_view_if_needed()
    _shot(phone, "messages-product-button-360.png")
    phone.get_by_role("link", name="Nhắn tin", exact=True).click()
    expect(phone).to_have_url(re.compile(r"/login\?next="))
    _login(phone, buyer)
    expect(phone.get_by_role("heading", name="Nhắn tin cho HTX Sâm Nhắn Tin")).to_be_visible()
    expect(phone.locator("#asked-about")).to_contain_text("Rượu sâm Nhắn Tin")
    phone.get_by_role("textbox", name="Tin nhắn", exact=True).fill(
        "Chào HTX, rượu sâm còn 200 chai không? Giá sỉ thế nào?"
    )
    _shot(phone, "messages-start-360.png")
    phone.get_by_role("button", name="Gửi tin nhắn").click()
    expect(phone.get_by_text("Đã gửi tin nhắn. HTX Sâm Nhắn Tin đã được báo.")).to_be_visible()
    expect(phone.locator("#conversation")).to_contain_text("còn 200 chai không?")
    expect(phone.locator("#conversation")).to_contain_text("Rượu sâm Nhắn Tin")
    with live_app.app_context():
        key = messages.orgs_key(buyer.organization_id, coop.organization_id)
        conversation_id = db.session.scalar(select(Conversation.id).where(Conversation.key == key))
    assert phone.url.endswith(f"/messages/{conversation_id}")

    # The co-op's member sees the count, opens the notice and lands in the conversation.
    farm.goto(f"{live_server}/login")
    _login(farm, coop)
    assert _unread_messages(farm) == "1"
    farm.goto(f"{live_server}/notifications")
    farm.get_by_role("button", name=re.compile("Tin nhắn mới từ Siêu thị Xanh Nhắn Tin")).click()
    expect(farm).to_have_url(re.compile(f"/messages/{conversation_id}$"))
    expect(farm.locator("#conversation .new")).to_contain_text("còn 200 chai không?")
    # Shown is read: the page tells the server by itself, and the count goes.
    expect(farm.locator("form[data-mark-read]")).to_have_count(0)
    farm.reload()
    assert _unread_messages(farm) == ""
    price_list = tmp_path / "bang-gia-si.pdf"
    price_list.write_bytes(PDF_BYTES)
    farm.get_by_role("textbox", name="Tin nhắn", exact=True).fill(
        "Dạ còn ạ. Giá sỉ từ 100 chai là 180.000 ₫, gửi anh bảng giá."
    )
    farm.get_by_label("Tệp đính kèm (không bắt buộc)").set_input_files(str(price_list))
    farm.get_by_role("button", name="Gửi tin nhắn").click()
    expect(farm.get_by_text("Đã gửi tin nhắn. Siêu thị Xanh Nhắn Tin đã được báo.")).to_be_visible()
    expect(farm.get_by_role("link", name="bang-gia-si.pdf")).to_be_visible()
    # No deal yet: no phone numbers.
    expect(farm.locator(".contact")).to_have_count(0)
    _shot(farm, "messages-reply-360.png")

    phone.goto(f"{live_server}/messages")
    assert _unread_messages(phone) == "1"
    expect(phone.locator("#conversations")).to_contain_text("180.000 ₫")
    _shot(phone, "messages-inbox-360.png")
    phone.locator("#conversations").get_by_role("link", name="HTX Sâm Nhắn Tin").click()
    expect(phone.get_by_role("link", name="bang-gia-si.pdf")).to_be_visible()

    # They sign a contract: now each sees the other's phone and Zalo, and they talk in its thread.
    contract_id = signed_contract(live_app, buyer, coop)
    phone.goto(f"{live_server}/contracts/{contract_id}")
    thread = phone.locator("section[aria-labelledby=messages]")
    expect(thread.get_by_role("link", name="Nhắn qua Zalo")).to_have_attribute(
        "href", "https://zalo.me/0912345678"
    )
    expect(thread.get_by_role("link", name="0912 345 678")).to_be_visible()
    thread.get_by_role("textbox", name="Tin nhắn", exact=True).fill(
        "Lần giao đầu xin giao trước 9 giờ sáng."
    )
    thread.get_by_role("button", name="Gửi tin nhắn").click()
    expect(phone).to_have_url(re.compile(f"/contracts/{contract_id}#messages$"))
    expect(phone.locator("section[aria-labelledby=messages] .thread")).to_contain_text(
        "trước 9 giờ sáng"
    )
    _shot(phone, "messages-contract-buyer-360.png")

    farm.goto(f"{live_server}/contracts/{contract_id}")
    thread = farm.locator("section[aria-labelledby=messages]")
    expect(thread).to_contain_text("trước 9 giờ sáng")
    expect(thread.get_by_role("link", name="Nhắn qua Zalo")).to_have_attribute(
        "href", "https://zalo.me/0912345678"
    )
    thread.get_by_role("textbox", name="Tin nhắn", exact=True).fill("Dạ, xe đến lúc 7 giờ.")
    thread.get_by_role("button", name="Gửi tin nhắn").click()
    expect(farm.locator("section[aria-labelledby=messages] .thread")).to_contain_text(
        "xe đến lúc 7 giờ"
    )
    _shot(farm, "messages-contract-coop-360.png")
    # And the direct conversation now shows the phone too.
    farm.goto(f"{live_server}/messages/{conversation_id}")
    expect(farm.locator(".contact").get_by_role("link", name="Nhắn qua Zalo")).to_be_visible()
    _shot(farm, "messages-thread-deal-360.png")
    coop_context.close()
    assert errors == []
