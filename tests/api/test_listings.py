"""A co-op's own catalogue over the API: listings in every state, tiers, capacity, photos and
lots, through the listing pages' use cases, with If-Match and Idempotency-Key."""

from __future__ import annotations

import io
from datetime import timedelta

from marketplace.extensions import db
from marketplace.models import Listing, ListingStatus, Membership, OrgKind, Role
from marketplace.services.catalogue import listings
from marketplace.vietnam import today
from tests.factories import (
    actor_for,
    add_member,
    admin_actor,
    api_key,
    audits,
    bearer,
    category_id,
    count,
    jpeg,
    listing_data,
    make_person,
    published_listing,
    settle,
    verified_coop,
)

OWN = "/api/v1/own/listings"


def _body(app, **changes) -> dict:
    with app.app_context():
        wine = category_id("ruou")
    body = {
        "title_vi": "Rượu sâm Lai Châu",
        "category_id": wine,
        "unit": "chai",
        "pack_size": "500 ml",
        "base_price": 200_000,
        "monthly_capacity": 2_000,
        "min_order_quantity": 24,
        "lead_time_days": 5,
        "origin_province": "Lai Châu",
        "harvest_months": [10, 11],
        "tiers": [
            {"min_quantity": 100, "unit_price": 180_000},
            {"min_quantity": 500, "unit_price": 165_000},
        ],
    }
    body.update(changes)
    return body


def _draft(app, coop) -> int:
    with app.app_context():
        listing_id = listings.create_listing(
            actor_for(coop), coop.organization_id, listing_data()
        ).id
        settle()
        return listing_id


def _fields(response) -> set[str]:
    return {e["field"] for e in response.get_json().get("errors", [])}


def _photo(client, headers, listing_id, data=None, **extra):
    return client.post(
        f"{OWN}/{listing_id}/photos",
        headers={**headers, **extra},
        data={"file": (io.BytesIO(data or jpeg(64, 48)), "anh.jpg")},
        content_type="multipart/form-data",
    )


def test_a_buyers_key_cannot_touch_a_coops_catalogue(app, client):
    buyer = make_person(app, kind=OrgKind.BUYER)
    headers = bearer(api_key(app, buyer))
    for method, path in (("get", OWN), ("post", OWN), ("get", f"{OWN}/1"), ("patch", f"{OWN}/1")):
        response = getattr(client, method)(path, headers=headers, json={})
        assert response.status_code == 403, path
        assert response.get_json()["code"] == "missing_scope"
    reader = bearer(api_key(app, make_person(app), ["catalogue:read"]))
    assert client.get(OWN, headers=reader).status_code == 403
    assert client.get(OWN).status_code == 401


def test_create_a_draft_like_the_form_does(app, client):
    coop = make_person(app)  # not verified yet: drafts are fine
    headers = bearer(api_key(app, coop))
    response = client.post(OWN, headers=headers, json=_body(app))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "draft" and body["version"] == 1
    assert response.headers["ETag"] == '"v1"'
    assert body["tiers"][0] == {"min_quantity": 100, "unit_price": 180_000}
    assert body["origin_province"] == "lai-chau" and body["harvest_months"] == [10, 11]
    assert body["min_order_quantity"] == 24 and body["published_at"] is None
    with app.app_context():
        assert audits("listing.create", body["id"]) == 1

    read = client.get(f"{OWN}/{body['id']}", headers=headers)
    assert read.status_code == 200 and read.headers["ETag"] == '"v1"'
    # Not on the public catalogue.
    public = client.get(f"/api/v1/listings/{body['id']}", headers=headers)
    assert public.status_code == 404


def test_bad_bodies_are_422_naming_the_field(app, client):
    coop = make_person(app)
    headers = bearer(api_key(app, coop))
    cases = [
        ({"title_vi": None}, {"title_vi"}),
        ({"unit": "thùng to"}, {"unit"}),
        ({"base_price": 2**64}, {"base_price"}),
        ({"base_price": "200.000"}, {"base_price"}),
        ({"category_id": 2_000_000_000}, {"category_id"}),
        ({"tiers": [{"min_quantity": 100, "unit_price": 250_000}]}, {"tiers"}),
        ({"tiers": [{"min_quantity": 10, "unit_price": 150_000}]}, {"tiers"}),
        (
            {"tiers": [{"min_quantity": 50, "unit_price": 190_000}, {"min_quantity": 100}]},
            {"tiers.1.unit_price"},
        ),
        ({"origin_province": "Atlantis"}, {"origin_province"}),
        ({"certificate_ids": [123456]}, {"certificate_ids"}),
        ({"colour": "red"}, {"colour"}),
        ({"title_vi": "   "}, {"title_vi"}),
        ({"title_vi": "\x00"}, {"title_vi"}),
        ({"pack_size": "500 ml \ud875"}, {"pack_size"}),
    ]
    for change, fields in cases:
        response = client.post(OWN, headers=headers, json=_body(app, **change))
        assert response.status_code == 422, change
        assert response.mimetype == "application/problem+json"
        assert _fields(response) == fields, (change, response.get_json())
    missing = client.post(OWN, headers=headers, json={})
    assert {"title_vi", "category_id", "unit", "base_price", "monthly_capacity"} <= _fields(missing)
    not_json = client.post(OWN, headers=headers, data="x", content_type="text/plain")
    assert not_json.status_code in (415, 422)
    with app.app_context():
        assert count(Listing, Listing.organization_id == coop.organization_id) == 0


def test_a_repeated_create_with_an_idempotency_key_makes_one_listing(app, client):
    coop = make_person(app)
    headers = bearer(api_key(app, coop), **{"Idempotency-Key": "erp-sku-42"})
    first = client.post(OWN, headers=headers, json=_body(app))
    again = client.post(OWN, headers=headers, json=_body(app))
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    # The repeat answers as the first did, its ETag (for the next If-Match) included.
    assert again.headers.get("ETag") == first.headers["ETag"] == '"v1"'
    other = client.post(OWN, headers=headers, json=_body(app, title_vi="Mật ong"))
    assert other.status_code == 422 and other.get_json()["code"] == "idempotency_key_reused"
    with app.app_context():
        assert count(Listing, Listing.organization_id == coop.organization_id) == 1


def test_another_coops_listings_are_404(app, client):
    coop = verified_coop(app)
    other = make_person(app, organization_name="HTX Khác")
    theirs = _draft(app, other)
    headers = bearer(api_key(app, coop))
    for method, path, kwargs in (
        ("get", f"{OWN}/{theirs}", {}),
        ("patch", f"{OWN}/{theirs}", {"json": {"monthly_capacity": 5}}),
        ("post", f"{OWN}/{theirs}/publish", {}),
        (
            "put",
            f"{OWN}/{theirs}/price-and-capacity",
            {"json": {"base_price": 1, "monthly_capacity": 1}},
        ),
        ("get", f"{OWN}/{theirs}/lots", {}),
        ("delete", f"{OWN}/{theirs}/photos/1", {}),
        ("get", f"{OWN}/{2**70}", {}),
        ("patch", f"{OWN}/{2**31}", {"json": {}}),
        ("post", f"{OWN}/{2**31}/lots", {"json": {}}),
    ):
        response = getattr(client, method)(path, headers=headers, **kwargs)
        assert response.status_code == 404, (method, path)
    assert _photo(client, headers, theirs).status_code == 404
    listed = client.get(OWN, headers=headers).get_json()["data"]
    assert theirs not in [item["id"] for item in listed]


def test_patch_merges_with_the_current_values_and_checks_if_match(app, client):
    coop = make_person(app)
    headers = bearer(api_key(app, coop))
    listing_id = client.post(OWN, headers=headers, json=_body(app)).get_json()["id"]
    tag = client.get(f"{OWN}/{listing_id}", headers=headers).headers["ETag"]

    response = client.patch(
        f"{OWN}/{listing_id}",
        headers={**headers, "If-Match": tag},
        json={"monthly_capacity": 3_500, "title_en": "Lai Chau ginseng wine"},
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["monthly_capacity"] == 3_500 and body["title_en"] == "Lai Chau ginseng wine"
    assert body["title_vi"] == "Rượu sâm Lai Châu" and len(body["tiers"]) == 2
    assert body["version"] == 2 and response.headers["ETag"] == '"v2"'

    stale = client.patch(
        f"{OWN}/{listing_id}", headers={**headers, "If-Match": tag}, json={"lead_time_days": 9}
    )
    assert stale.status_code == 412 and stale.get_json()["code"] == "stale_version"

    tiers = client.patch(
        f"{OWN}/{listing_id}",
        headers={**headers, "If-Match": '"v2"'},
        json={"tiers": [{"min_quantity": 50, "unit_price": 170_000}]},
    )
    assert tiers.status_code == 200 and tiers.get_json()["tiers"] == [
        {"min_quantity": 50, "unit_price": 170_000}
    ]
    refused = client.patch(f"{OWN}/{listing_id}", headers=headers, json={"base_price": 100_000})
    assert refused.status_code == 422 and _fields(refused) == {"tiers"}
    bad = client.patch(f"{OWN}/{listing_id}", headers=headers, json={"unit": None})
    assert bad.status_code == 422 and _fields(bad) == {"unit"}
    with app.app_context():
        assert db.session.get(Listing, listing_id).version == 3
        assert audits("listing.update", listing_id) == 2


def test_price_and_capacity_like_the_dashboards_quick_edit(app, client):
    coop = make_person(app)
    headers = bearer(api_key(app, coop))
    listing_id = client.post(OWN, headers=headers, json=_body(app)).get_json()["id"]
    path = f"{OWN}/{listing_id}/price-and-capacity"
    response = client.put(
        path,
        headers={**headers, "If-Match": '"v1"'},
        json={"base_price": 210_000, "monthly_capacity": 800},
    )
    assert response.status_code == 200
    assert response.get_json()["base_price"] == 210_000
    assert response.get_json()["monthly_capacity"] == 800 and response.headers["ETag"] == '"v2"'
    stale = client.put(
        path, headers={**headers, "If-Match": '"v1"'}, json={"base_price": 1, "monthly_capacity": 1}
    )
    assert stale.status_code == 412
    below_tier = client.put(
        path, headers=headers, json={"base_price": 170_000, "monthly_capacity": 800}
    )
    assert below_tier.status_code == 422 and _fields(below_tier) == {"base_price"}


def test_photos_publish_pause_resume_and_archive(app, client):
    coop = verified_coop(app)
    headers = bearer(api_key(app, coop))
    listing_id = client.post(OWN, headers=headers, json=_body(app)).get_json()["id"]

    no_photo = client.post(f"{OWN}/{listing_id}/publish", headers=headers)
    assert no_photo.status_code == 422 and _fields(no_photo) == {"status"}

    first = _photo(client, headers, listing_id, **{"If-Match": '"v1"'})
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["position"] == 0 and first.get_json()["url_320"].endswith("-320.webp")
    second = _photo(client, headers, listing_id)
    assert second.get_json()["position"] == 1
    stale = _photo(client, headers, listing_id, **{"If-Match": '"v1"'})
    assert stale.status_code == 412
    not_an_image = _photo(client, headers, listing_id, data=b"not an image at all")
    assert not_an_image.status_code == 422 and _fields(not_an_image) == {"file"}
    no_file = client.post(
        f"{OWN}/{listing_id}/photos", headers=headers, data={}, content_type="multipart/form-data"
    )
    assert no_file.status_code == 422 and _fields(no_file) == {"file"}

    moved = client.post(
        f"{OWN}/{listing_id}/photos/{second.get_json()['id']}/move",
        headers=headers,
        json={"where": "main"},
    )
    assert moved.status_code == 200
    assert [p["id"] for p in moved.get_json()["photos"]] == [
        second.get_json()["id"],
        first.get_json()["id"],
    ]
    assert moved.get_json()["version"] == 4

    published = client.post(f"{OWN}/{listing_id}/publish", headers=headers)
    assert published.status_code == 200 and published.get_json()["status"] == "published"
    assert client.get(f"/api/v1/listings/{listing_id}", headers=headers).status_code == 200
    paused = client.post(f"{OWN}/{listing_id}/pause", headers=headers)
    assert paused.get_json()["status"] == "paused"
    assert client.get(f"/api/v1/listings/{listing_id}", headers=headers).status_code == 404
    assert client.get(f"{OWN}?status=paused", headers=headers).get_json()["data"][0]["id"] == (
        listing_id
    )
    assert client.get(f"{OWN}?status=draft", headers=headers).get_json()["data"] == []
    resumed = client.post(
        f"{OWN}/{listing_id}/publish", headers={**headers, "If-Match": paused.headers["ETag"]}
    )
    assert resumed.get_json()["status"] == "published"
    archived = client.post(f"{OWN}/{listing_id}/archive", headers=headers)
    assert archived.get_json()["status"] == "archived"
    wrong_state = client.post(f"{OWN}/{listing_id}/pause", headers=headers)
    assert wrong_state.status_code == 409 and wrong_state.get_json()["code"] == "wrong_state"

    gone = client.delete(
        f"{OWN}/{listing_id}/photos/{first.get_json()['id']}",
        headers={**headers, "If-Match": archived.headers["ETag"]},
    )
    assert gone.status_code == 204
    assert client.delete(f"{OWN}/{listing_id}/photos/{2**40}", headers=headers).status_code == 404
    with app.app_context():
        listing = db.session.get(Listing, listing_id)
        assert listing.status is ListingStatus.ARCHIVED and len(listing.photos) == 1
        assert listing.version == 9


def test_lots_of_a_listing(app, client):
    coop = verified_coop(app)
    listing_id, _ = published_listing(app, coop)
    headers = bearer(api_key(app, coop))
    path = f"{OWN}/{listing_id}/lots"
    lot = {
        "code": "L-2026-01",
        "produced_on": (today() - timedelta(days=3)).isoformat(),
        "quantity": 500,
        "farm_location": "Bản Nậm Khao",
    }
    made = client.post(path, headers={**headers, "Idempotency-Key": "lot-1"}, json=lot)
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["code"] == "L-2026-01" and body["has_lab_document"] is False
    again = client.post(path, headers={**headers, "Idempotency-Key": "lot-1"}, json=lot)
    assert again.status_code == 201 and again.get_json()["id"] == body["id"]

    same_code = client.post(path, headers=headers, json=lot)
    assert same_code.status_code == 422 and _fields(same_code) == {"code"}
    future = client.post(
        path,
        headers=headers,
        json={**lot, "code": "L-2", "produced_on": (today() + timedelta(days=2)).isoformat()},
    )
    assert future.status_code == 422 and _fields(future) == {"produced_on"}
    nul = client.post(path, headers=headers, json={**lot, "code": "L\x00\ud875"})
    assert nul.status_code == 422 and _fields(nul) == {"code"}
    bad_date = client.post(path, headers=headers, json={**lot, "code": "L-3", "produced_on": "x"})
    assert bad_date.status_code == 422 and _fields(bad_date) == {"produced_on"}

    listed = client.get(path, headers=headers).get_json()
    assert [item["id"] for item in listed["data"]] == [body["id"]]
    traced = client.get(f"/api/v1/lots/{body['public_code']}", headers=headers)
    assert traced.status_code == 200


def test_staff_read_and_managers_write(app, client):
    owner = verified_coop(app)
    manager = add_member(app, owner.organization_id, Role.MANAGER)
    listing_id = _draft(app, owner)
    token = api_key(app, manager)
    with app.app_context():  # the key's maker is later made staff
        membership = db.session.scalar(
            db.select(Membership).where(Membership.user_id == manager.id)
        )
        membership.role = Role.STAFF
        settle()
    headers = bearer(token)
    assert client.get(OWN, headers=headers).status_code == 200
    assert client.get(f"{OWN}/{listing_id}", headers=headers).status_code == 200
    assert client.get(f"{OWN}/{listing_id}/lots", headers=headers).status_code == 200
    for method, path, kwargs in (
        ("post", OWN, {"json": _body(app)}),
        ("patch", f"{OWN}/{listing_id}", {"json": {"monthly_capacity": 5}}),
        ("post", f"{OWN}/{listing_id}/archive", {}),
    ):
        response = getattr(client, method)(path, headers=headers, **kwargs)
        assert response.status_code == 403, path
        assert response.get_json()["code"] == "not_allowed"


def test_every_change_of_a_listing_raises_its_version(app):
    coop = verified_coop(app)
    boss = admin_actor(app)
    listing_id, _ = published_listing(app, coop, photos=2)
    with app.app_context():
        me, org = actor_for(coop), coop.organization_id

        def version() -> int:
            return db.session.get(Listing, listing_id).version

        start = version()
        listings.quick_update(me, org, listing_id, base_price="210.000", monthly_capacity="10")
        assert version() == start + 1
        listings.update_listing(me, org, listing_id, listing_data(monthly_capacity="20"))
        assert version() == start + 2
        photo_id = db.session.get(Listing, listing_id).photos[1].id
        listings.move_photo(me, org, listing_id, photo_id, "main")
        listings.remove_photo(me, org, listing_id, photo_id)
        assert version() == start + 4
        listings.take_down(actor_for(boss), listing_id, "Sai ảnh")
        listings.restore(actor_for(boss), listing_id)
        assert version() == start + 6
