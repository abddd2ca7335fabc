"""On a 360-px phone: the organiser opens the fair's applications, opens one and sees the
co-op's OCOP stars and the products it chose, accepts it with its preferred booth (preselected),
then rejects two others at once with one note after confirming how many. No page scrolls
sideways; the decision is reachable from the top of the review page."""

import os

from playwright.sync_api import Page, expect
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import ApplicationStatus as A
from marketplace.models import FairApplication
from tests.browser.conftest import OUTPUT_DIR
from tests.factories import admin_actor, published_listing, verified_coop, verified_organiser
from tests.test_fair_review import add_certificate, apply, booth_id, open_fair


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=os.path.join(OUTPUT_DIR, f"fair-review-{name}.png"), full_page=True)


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.url


def test_organiser_reviews_one_with_the_co_op_in_view_and_rejects_two_at_once(
    live_server, live_app, phone: Page
):
    organiser = verified_organiser(live_app)
    star = verified_coop(live_app, organization_name="HTX Sâm Ngọc Linh")
    others = [
        verified_coop(live_app, organization_name=name)
        for name in ("HTX Rau Bản Lướt", "HTX Chè Tà Xùa")
    ]
    fair_id, type_id, _ = open_fair(live_app, organiser, booths=4)
    add_certificate(live_app, star, admin_actor(live_app), "ocop", stars=4)
    listing_id, _slug = published_listing(live_app, star, title_vi="Rượu sâm Ngọc Linh")
    with live_app.app_context():
        a03 = booth_id(fair_id, "A03")
    star_id = apply(
        live_app, star, fair_id, type_id, preferred_booth_id=a03, listing_ids=[listing_id]
    )
    other_ids = [apply(live_app, coop, fair_id, type_id) for coop in others]
    errors: list[str] = []
    phone.on("pageerror", lambda exc: errors.append(str(exc)))

    phone.goto(live_server + "/login")
    phone.get_by_label("Email").fill(organiser.email)
    phone.get_by_label("Mật khẩu").fill(organiser.password)
    phone.get_by_role("button", name="Đăng nhập").click()

    # The list, from the fair's page.
    phone.goto(live_server + f"/fairs/{fair_id}/manage")
    phone.get_by_role("link", name="Xét duyệt đơn, từng đơn hoặc nhiều đơn cùng lúc").click()
    expect(phone.get_by_role("heading", name="Đơn đăng ký", exact=True)).to_be_visible()
    expect(phone.locator("#applications li")).to_have_count(3)
    _no_sideways_scroll(phone)
    _shot(phone, "list")

    # One application, with the co-op in view.
    phone.get_by_role("link", name="HTX Sâm Ngọc Linh").click()
    expect(phone.get_by_role("heading", name="HTX Sâm Ngọc Linh", level=1)).to_be_visible()
    expect(phone.locator("#certificates")).to_contain_text("OCOP ★★★★")
    expect(phone.locator("#chosen-products")).to_contain_text("Rượu sâm Ngọc Linh")
    expect(phone.locator("#chosen-products img")).to_have_count(1)
    expect(phone.locator("#preferred-booth")).to_contain_text("A03")
    expect(phone.locator("#preferred-booth")).to_contain_text("vẫn còn trống")
    expect(phone.locator('.plan__booth--highlight[data-booth="A03"]')).to_have_count(1)
    _no_sideways_scroll(phone)
    _shot(phone, "application")

    # "Jump to the decision": the controls are reached from the top of the page.
    phone.get_by_role("link", name="Đến phần quyết định").click()
    expect(phone.get_by_role("button", name="Nhận", exact=True)).to_be_in_viewport()
    booth = phone.get_by_label("Gian giữ cho HTX")
    expect(booth).to_have_value(str(a03))
    phone.get_by_label("Ghi chú cho hợp tác xã").fill("Gian A03 gần cổng chính.")
    _shot(phone, "decision")
    phone.get_by_role("button", name="Nhận", exact=True).click()
    expect(phone.get_by_text("Đã lưu; hợp tác xã đã được thông báo.")).to_be_visible()

    # Two others rejected at once with one note, after confirming how many.
    phone.get_by_label("Chọn HTX Rau Bản Lướt").check()
    phone.get_by_label("Chọn HTX Chè Tà Xùa").check()
    phone.get_by_label("Quyết định cho các đơn đã chọn").select_option("reject")
    phone.get_by_label("Ghi chú cho các hợp tác xã").fill("Hội chợ đã đủ gian rau và chè.")
    _no_sideways_scroll(phone)
    _shot(phone, "bulk")
    phone.get_by_role("button", name="Tiếp tục").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Từ chối: 2 đơn?")
    _no_sideways_scroll(phone)
    _shot(phone, "confirm")
    phone.get_by_role("button", name="Từ chối (2)").click()
    expect(phone.get_by_text("Đã từ chối 2 đơn.")).to_be_visible()
    _shot(phone, "done")
    assert not errors

    with live_app.app_context():
        applications = {
            a.id: a
            for a in db.session.scalars(
                select(FairApplication).where(FairApplication.fair_id == fair_id)
            )
        }
        assert applications[star_id].status is A.ACCEPTED
        assert applications[star_id].booth_id == a03
        for other_id in other_ids:
            assert applications[other_id].status is A.REJECTED
            assert applications[other_id].decision_note == "Hội chợ đã đủ gian rau và chè."
