"""The request-for-quotes form adds a delivery location with the request (or not at all, keeping
what was typed), and the quantity searched for is carried from a search result to the product
page and on to the request and order forms."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import DeliveryLocation, Listing, Rfq
from marketplace.services.accounts import profiles
from tests.factories import (
    actor_for,
    audits,
    coop_with_listing,
    count,
    location_id,
    login,
    rfq_form,
    settle,
    verified_buyer,
    verified_coop,
)

NEW_PLACE = {
    "location_name": "Bếp trung tâm Cầu Giấy",
    "location_province": "Hà Nội",
    "location_commune": "Phường Cầu Giấy",
    "location_street": "88 Trần Thái Tông",
}


def locations_of(app, buyer) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(DeliveryLocation.name)
                .where(DeliveryLocation.organization_id == buyer.organization_id)
                .order_by(DeliveryLocation.id)
            )
        )


def posted_rfq_location(app) -> tuple[str, str, str]:
    with app.app_context():
        rfq = db.session.scalar(select(Rfq).order_by(Rfq.id.desc()))
        place = rfq.delivery_location
        return place.name, place.province_code, place.street


def rfqs_made(app) -> int:
    with app.app_context():
        return count(Rfq)


def input_value(page: str, name: str) -> str | None:
    found = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*value="([^"]*)"', page)
    return html.unescape(found.group(1)) if found else None


def test_a_new_delivery_location_is_added_with_the_request(app, client):
    buyer = verified_buyer(app)
    login(client, buyer)
    url = f"/orgs/{buyer.organization_id}/rfqs/new"
    page = client.get(url).get_data(as_text=True)
    assert '<option value="new">Địa chỉ mới…</option>' in page
    assert 'name="location_name"' in page and "Hoặc thêm địa điểm nhận hàng mới" in page
    response = client.post(url, data=rfq_form(app, buyer, delivery_location_id="new", **NEW_PLACE))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert locations_of(app, buyer) == ["Cửa hàng Láng Hạ", "Bếp trung tâm Cầu Giấy"]
    assert posted_rfq_location(app) == ("Bếp trung tâm Cầu Giấy", "ha-noi", "88 Trần Thái Tông")
    with app.app_context():
        assert audits("organization.location_add") == 2  # the profile's first, and this one


def test_without_script_an_empty_choice_and_a_typed_place_add_it(app, client):
    buyer = verified_buyer(app)
    login(client, buyer)
    url = f"/orgs/{buyer.organization_id}/rfqs/new"
    response = client.post(url, data=rfq_form(app, buyer, delivery_location_id="", **NEW_PLACE))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert posted_rfq_location(app)[0] == "Bếp trung tâm Cầu Giấy"
    # A place chosen in the list is the one used; the fields under it are not saved.
    response = client.post(url, data=rfq_form(app, buyer, **NEW_PLACE))
    assert response.status_code == 302
    assert posted_rfq_location(app)[0] == "Cửa hàng Láng Hạ"
    assert locations_of(app, buyer) == ["Cửa hàng Láng Hạ", "Bếp trung tâm Cầu Giấy"]
    # Nothing chosen and nothing typed: asked to choose.
    response = client.post(url, data=rfq_form(app, buyer, delivery_location_id=""))
    assert response.status_code == 422
    assert "Chọn một trong các địa điểm nhận hàng của bạn." in response.get_data(as_text=True)


def test_a_buyer_without_locations_types_one_in_the_form(app, client):
    buyer = verified_buyer(app)
    with app.app_context():
        profiles.remove_delivery_location(
            actor_for(buyer), buyer.organization_id, location_id(buyer)
        )
        settle()
    login(client, buyer)
    url = f"/orgs/{buyer.organization_id}/rfqs/new"
    page = client.get(url).get_data(as_text=True)
    assert 'name="delivery_location_id"' not in page
    assert 'name="location_name"' in page and 'name="location_province"' in page
    form = rfq_form(app, buyer, **NEW_PLACE)
    del form["delivery_location_id"]
    # Nothing typed: each of the place's fields says what is missing, nothing is made.
    empty = client.post(url, data=form | dict.fromkeys(NEW_PLACE, ""))
    assert empty.status_code == 422
    text = empty.get_data(as_text=True)
    assert 'id="location_name-error"' in text and 'id="location_province-error"' in text
    assert rfqs_made(app) == 0
    response = client.post(url, data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert locations_of(app, buyer) == ["Bếp trung tâm Cầu Giấy"]
    assert posted_rfq_location(app)[0] == "Bếp trung tâm Cầu Giấy"


def test_a_refused_request_creates_nothing_and_keeps_everything_typed(app, client):
    buyer = verified_buyer(app)
    login(client, buyer)
    url = f"/orgs/{buyer.organization_id}/rfqs/new"
    # The request is wrong (no title), the new place is right: neither is saved.
    response = client.post(
        url, data=rfq_form(app, buyer, title="", delivery_location_id="new", **NEW_PLACE)
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Đặt một tiêu đề ngắn cho yêu cầu." in page
    for name, value in NEW_PLACE.items():
        assert input_value(page, name) == value
    assert input_value(page, "lines-0-specification") == "Rượu sâm 500 ml"
    assert '<option selected value="new">' in page or '<option value="new" selected>' in page
    assert locations_of(app, buyer) == ["Cửa hàng Láng Hạ"]
    assert rfqs_made(app) == 0
    # The place is wrong (no such province), the request right: neither is saved, the
    # province is marked and the rest kept.
    bad_place = NEW_PLACE | {"location_province": "Atlantis", "location_street": ""}
    response = client.post(url, data=rfq_form(app, buyer, delivery_location_id="new", **bad_place))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(r'id="location_province-error">[^<]*34 tỉnh', page)
    assert 'id="location_street-error"' in page
    assert input_value(page, "location_province") == "Atlantis"
    assert input_value(page, "location_name") == "Bếp trung tâm Cầu Giấy"
    assert input_value(page, "title") == "Rượu sâm cho 12 cửa hàng"
    assert locations_of(app, buyer) == ["Cửa hàng Láng Hạ"]
    assert rfqs_made(app) == 0
    # Odd values for the choice and the place never answer with an error page.
    for odd in ("9999999999999", "-1", "new\x00", "x" * 300):
        response = client.post(
            url, data=rfq_form(app, buyer, delivery_location_id=odd, location_name="x" * 500)
        )
        assert response.status_code == 422
    assert rfqs_made(app) == 0


# --- the quantity searched for -------------------------------------------------------------


def test_the_quantity_searched_for_is_carried_to_the_request_and_order_forms(app, client):
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    listing_id = coop_with_listing(app, coop, title_vi="Rượu sâm Tây Côn Lĩnh")
    with app.app_context():
        slug = db.session.get_one(Listing, listing_id).slug
    login(client, buyer)

    results = client.get("/search?q=ruou+sam+tay+con+linh&quantity=150").get_data(as_text=True)
    assert f'href="/p/{slug}?quantity=150"' in results
    product = client.get(f"/p/{slug}?quantity=150").get_data(as_text=True)
    assert f'href="/listings/{listing_id}/request-quote?quantity=150"' in product
    assert f'href="/listings/{listing_id}/order?quantity=150"' in product
    assert "Với 150 chai: 180.000\u00a0₫ mỗi chai" in product  # the 100+ tier

    start = client.get(f"/listings/{listing_id}/request-quote?quantity=150")
    assert start.status_code == 302
    form_url = start.headers["Location"]
    assert form_url == (f"/orgs/{buyer.organization_id}/rfqs/new?listing={listing_id}&quantity=150")
    form = client.get(form_url).get_data(as_text=True)
    assert input_value(form, "lines-0-quantity") == "150"
    assert input_value(form, "title") == "Rượu sâm Tây Côn Lĩnh"
    order = client.get(f"/listings/{listing_id}/order?quantity=150").get_data(as_text=True)
    assert input_value(order, "quantity") == "150"
    assert "180.000\u00a0₫" in order

    # Without a quantity (or with an odd one) the links carry none and the forms start
    # from the listing's minimum order.
    results = client.get("/search?q=ruou+sam+tay+con+linh").get_data(as_text=True)
    assert f'href="/p/{slug}"' in results
    product = client.get(f"/p/{slug}").get_data(as_text=True)
    assert f'href="/listings/{listing_id}/request-quote"' in product
    assert 'id="price-for-quantity"' not in product
    for odd in ("abc", "-5", "0", "99999999999", "1e3", "²"):
        assert client.get(f"/p/{slug}?quantity={odd}").status_code == 200
        start = client.get(f"/listings/{listing_id}/request-quote?quantity={odd}")
        form = client.get(start.headers["Location"]).get_data(as_text=True)
        assert input_value(form, "lines-0-quantity") == "24"
        order = client.get(f"/listings/{listing_id}/order?quantity={odd}")
        assert order.status_code == 200
        assert input_value(order.get_data(as_text=True), "quantity") == "24"
