"""What a phone shows: the home page's two product sections (no product twice), the co-op's
product manager with photos, the empty-state partial, and the compact header."""

import re

from marketplace.extensions import db
from marketplace.models import Listing, OrgKind, Role
from marketplace.services.catalogue import listings
from tests.factories import (
    actor_for,
    add_member,
    listing_data,
    login,
    make_person,
    published_listing,
    verified_buyer,
    verified_coop,
)


def _feature(app, listing_id: int) -> None:
    with app.app_context():
        db.session.get_one(Listing, listing_id).featured = True


def _section(html: str, section_id: str) -> str:
    start = html.index(f'id="{section_id}"')
    return html[start : html.index("</section>", start)]


def test_the_home_sections_never_show_a_product_twice(app):
    coop = verified_coop(app)
    made = [published_listing(app, coop, title_vi=f"Sản phẩm {i}")[0] for i in range(18)]
    featured = made[::2]  # nine featured products, the newest of them last
    for listing_id in featured:
        _feature(app, listing_id)
    with app.app_context():
        sections = listings.home_listings()
        shown_featured = [listing.id for listing in sections.featured]
        shown_new = [listing.id for listing in sections.new]
    assert len(shown_featured) == listings.HOME_FEATURED == 6
    assert len(shown_new) == listings.HOME_NEW == 8
    assert not set(shown_featured) & set(shown_new)
    assert shown_featured == list(reversed(featured))[:6]  # newest featured first
    # "New" is the newest of everything else, an older featured product included.
    rest = [i for i in reversed(made) if i not in shown_featured]
    assert shown_new == rest[:8]
    assert featured[0] not in shown_featured and featured[0] not in shown_new  # too old for both


def test_the_home_page_shows_two_sections_and_each_product_once(app, client):
    coop = verified_coop(app)
    made = [published_listing(app, coop, title_vi=f"Mật ong số {i}") for i in range(10)]
    for listing_id, _slug in made[-3:]:  # the three newest are featured
        _feature(app, listing_id)
    html = client.get("/").get_data(as_text=True)
    featured = re.findall(r'href="/p/([^"]+)"', _section(html, "featured-section"))
    new = re.findall(r'href="/p/([^"]+)"', _section(html, "new-section"))
    assert sorted(featured) == sorted(slug for _id, slug in made[-3:])
    assert len(new) == 7 and not set(new) & set(featured)
    every_card = re.findall(r'href="/p/([^"]+)" class="listing-card__link"', html)
    assert len(every_card) == len(set(every_card)) == 10
    assert "Xem tất cả sản phẩm" in html  # the newest in search, sorted newest first
    assert 'href="/search?sort=newest"' in html


def test_the_home_page_without_products_says_so_once(app, client):
    html = client.get("/").get_data(as_text=True)
    assert 'id="featured-section"' not in html
    assert html.count('class="empty-state"') >= 1
    assert "Các hợp tác xã đang chuẩn bị" in _section(html, "new-section")


def test_the_product_manager_shows_each_product_with_its_photo_state_and_actions(app, client):
    coop = verified_coop(app)
    with_photo, _slug = published_listing(app, coop, photos=2, title_vi="Rượu sâm có ảnh")
    with app.app_context():  # a draft has no photo yet
        without_photo = listings.create_listing(
            actor_for(coop), coop.organization_id, listing_data(title_vi="Lá sâm chưa ảnh")
        ).id
    login(client, coop)
    html = client.get(f"/orgs/{coop.organization_id}/listings").get_data(as_text=True)
    item = _section_item(html, with_photo)
    assert re.search(r'<img src="[^"]+-320\.webp"[^>]*width="72"', item)
    assert "Rượu sâm có ảnh" in item and "Đang bán" in item and 'class="badge' in item
    assert f"/orgs/{coop.organization_id}/listings/{with_photo}/edit" in item
    assert f"/orgs/{coop.organization_id}/listings/{with_photo}/lots" in item
    assert "Nhân bản" in item and "Đổi giá hoặc sản lượng" in item
    bare = _section_item(html, without_photo)
    assert "<img" not in bare and "Chưa có ảnh" in bare and "Nháp" in bare
    assert "<li>" not in html[html.index('id="product-manager"') :].split("</ul>")[0]


def _section_item(html: str, listing_id: int) -> str:
    start = html.index(f'id="listing-{listing_id}"')
    return html[start : html.index("</li>", start)]


def test_staff_see_the_product_manager_without_changing_actions(app, client):
    coop = verified_coop(app)
    listing_id, _slug = published_listing(app, coop)
    staff = add_member(app, coop.organization_id, Role.STAFF)
    login(client, staff)
    item = _section_item(
        client.get(f"/orgs/{coop.organization_id}/listings").get_data(as_text=True), listing_id
    )
    assert "-320.webp" in item and "Sửa" in item
    assert "Nhân bản" not in item and "quick-edit" not in item


def test_the_empty_state_partial_says_what_to_do_and_offers_one_button(app):
    with app.test_request_context():
        empty_state = app.jinja_env.get_template("_empty.html").module.empty_state
        full = str(empty_state("Chưa có hoá đơn.", "Hãy giao hàng trước.", "/orgs/1/trade", "Đi"))
        bare = str(empty_state("Chưa có gì."))
    assert 'class="empty-state"' in full
    assert "Chưa có hoá đơn." in full and "Hãy giao hàng trước." in full
    assert re.search(r'<a class="button button--secondary" href="/orgs/1/trade">Đi</a>', full)
    assert "Chưa có gì." in bare and "<a" not in bare and "empty-state__next" not in bare
    with app.test_request_context():
        escaped = str(empty_state("<b>x</b>", None, "/a", "<i>y</i>"))
    assert "<b>" not in escaped and "&lt;i&gt;y&lt;/i&gt;" in escaped


def test_empty_lists_show_the_empty_state_with_the_next_step(app, client):
    buyer = verified_buyer(app)
    login(client, buyer)
    trade = client.get(f"/orgs/{buyer.organization_id}/trade").get_data(as_text=True)
    assert 'class="empty"' not in trade
    assert trade.count('class="empty-state"') >= 4  # requests, negotiations, deliveries, contracts
    new_rfq = f'href="/orgs/{buyer.organization_id}/rfqs/new"'
    assert trade.count(new_rfq) >= 3  # the page's own button and two empty states
    invoices = client.get(f"/orgs/{buyer.organization_id}/invoices").get_data(as_text=True)
    assert "<table" not in invoices and "Chưa có hóa đơn" in invoices
    assert f'href="/orgs/{buyer.organization_id}/trade"' in invoices
    statement = client.get(f"/orgs/{buyer.organization_id}/statement").get_data(as_text=True)
    assert 'class="empty-state"' in statement and "statement-lines" not in statement

    coop = verified_coop(app)
    client = app.test_client()
    login(client, coop)
    products = client.get(f"/orgs/{coop.organization_id}/listings").get_data(as_text=True)
    assert 'class="empty-state"' in products
    assert (
        f'<a class="button button--secondary" href="/orgs/{coop.organization_id}/listings/new"'
        in products
    )
    applications = client.get(f"/orgs/{coop.organization_id}/fair-applications").get_data(
        as_text=True
    )
    assert 'class="empty-state"' in applications and 'href="/fairs"' in applications

    # Staff may not add products or post requests: the empty state then offers no button.
    staff = add_member(app, coop.organization_id, Role.STAFF)
    client = app.test_client()
    login(client, staff)
    products = client.get(f"/orgs/{coop.organization_id}/listings").get_data(as_text=True)
    assert 'class="empty-state"' in products and "/listings/new" not in products
    buyer_staff = add_member(app, buyer.organization_id, Role.STAFF)
    client = app.test_client()
    login(client, buyer_staff)
    trade = client.get(f"/orgs/{buyer.organization_id}/trade").get_data(as_text=True)
    assert new_rfq not in trade


def test_the_header_keeps_the_rest_in_a_labelled_menu_that_needs_no_script(app, client):
    html = client.get("/").get_data(as_text=True)
    header = html[html.index('<header class="site-header">') : html.index("</header>")]
    menu = header[header.index('<details class="menu"') : header.index("</details>")]
    assert re.search(
        r'<summary class="icon-link"[^>]*>.*<span class="visually-hidden">Menu</span>', menu
    )
    assert 'href="/fairs"' in menu and 'name="lang"' in menu
    assert 'href="/login"' in header and 'action="/search"' in header

    coop = make_person(app, kind=OrgKind.COOP)
    login(client, coop)
    header = client.get("/").get_data(as_text=True).split("</header>")[0]
    quick = header[header.index('<nav class="quick"') : header.index("</nav>")]
    assert 'id="bell"' in quick and "Thông báo" in quick and 'id="messages-link"' in quick
    assert f'href="/orgs/{coop.organization_id}"' in quick and "HTX của tôi" in quick
    menu = header[header.index('<details class="menu"') :]
    assert "Đăng xuất" in menu and 'href="/account"' in menu
