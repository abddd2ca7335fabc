"""The public catalogue over the API: published listings, verified co-ops, lots and their
traceability — and nothing the public pages would not show."""

from __future__ import annotations

from datetime import date, timedelta

from marketplace.models import OrgKind
from marketplace.services.accounts import certificates, verification
from marketplace.services.catalogue import listings
from marketplace.vietnam import today
from tests.factories import (
    PDF_BYTES,
    actor_for,
    admin_actor,
    api_key,
    bearer,
    category_id,
    count_queries,
    listing_data,
    make_person,
    published_listing,
    settle,
    verified_coop,
)


def _reader(app):
    """A key with catalogue:read only (any kind of organisation may read the catalogue)."""
    buyer = make_person(app, kind=OrgKind.BUYER)
    return bearer(api_key(app, buyer, ["catalogue:read"]))


def _draft(app, coop, **overrides) -> int:
    with app.app_context():
        listing_id = listings.create_listing(
            actor_for(coop), coop.organization_id, listing_data(**overrides)
        ).id
        settle()
        return listing_id


def _certificate(app, coop, **overrides) -> int:
    boss = admin_actor(app)
    with app.app_context():
        values = {
            "kind": "vietgap",
            "number": "VG-7",
            "issuer": "Trung tâm",
            "issued_on": date(2024, 1, 1),
            "expires_on": date(2030, 1, 1),
        } | overrides
        cert = certificates.add_certificate(
            actor_for(coop),
            coop.organization_id,
            certificates.CertificateData(**values),
            PDF_BYTES,
        )
        cert_id = cert.id
        verification.review_certificate(actor_for(boss), cert_id, "approve")
        settle()
        return cert_id


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["data"]]


def test_listings_are_the_published_ones_of_verified_coops_newest_first(app, client):
    coop = verified_coop(app)
    first, _ = published_listing(app, coop)
    second, _ = published_listing(app, coop, origin_province="Hà Nội")
    draft = _draft(app, coop)
    paused, _ = published_listing(app, coop)
    with app.app_context():
        listings.change_state(actor_for(coop), coop.organization_id, paused, "pause")
        settle()
    unverified = make_person(app)
    _draft(app, unverified)
    headers = _reader(app)

    found = _ids(client.get("/api/v1/listings", headers=headers))
    assert found == [second, first]
    assert draft not in found and paused not in found

    page = client.get("/api/v1/listings?limit=1", headers=headers).get_json()
    assert [i["id"] for i in page["data"]] == [second] and page["next_cursor"]
    rest = client.get(f"/api/v1/listings?limit=1&cursor={page['next_cursor']}", headers=headers)
    assert _ids(rest) == [first] and rest.get_json()["next_cursor"] is None


def test_listing_filters_match_the_pages(app, client):
    coop = verified_coop(app)
    other = verified_coop(app, organization_name="HTX Khác")
    wine, _ = published_listing(app, coop)
    from_hanoi, _ = published_listing(app, coop, origin_province="Hà Nội")
    theirs, _ = published_listing(app, other)
    headers = _reader(app)
    with app.app_context():
        wine_id = category_id("ruou")
    everything = {wine, from_hanoi, theirs}

    assert set(_ids(client.get("/api/v1/listings?category=ruou", headers=headers))) == everything
    by_id = client.get(f"/api/v1/listings?category={wine_id}", headers=headers)
    assert set(_ids(by_id)) == everything
    by_coop = client.get(f"/api/v1/listings?coop={other.organization_id}", headers=headers)
    assert _ids(by_coop) == [theirs]
    assert _ids(client.get("/api/v1/listings?province=ha-noi", headers=headers)) == [from_hanoi]
    assert _ids(client.get("/api/v1/listings?coop=2147483647", headers=headers)) == []

    unknown = client.get("/api/v1/listings?category=khong-co", headers=headers)
    assert unknown.status_code == 422
    assert unknown.get_json()["errors"][0]["field"] == "category"
    bad = client.get("/api/v1/listings?province=atlantis&limit=1000", headers=headers)
    assert bad.status_code == 422
    assert {e["field"] for e in bad.get_json()["errors"]} == {"query.province", "query.limit"}
    cursor = client.get("/api/v1/listings?cursor=nonsense", headers=headers)
    assert cursor.status_code == 422


def test_a_listing_with_tiers_photos_certificates_and_its_coop(app, client):
    coop = verified_coop(app)
    valid = _certificate(app, coop)
    expired = _certificate(app, coop, number="VG-1", expires_on=today() + timedelta(days=1))
    listing_id, slug = published_listing(app, coop, photos=2, certificate_ids=[valid, expired])
    headers = _reader(app)

    response = client.get(f"/api/v1/listings/{listing_id}", headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["slug"] == slug and body["url"].endswith(f"/p/{slug}")
    assert body["base_price"] == 200_000 and body["currency"] == "VND"
    assert body["tiers"] == [
        {"min_quantity": 100, "unit_price": 180_000},
        {"min_quantity": 500, "unit_price": 165_000},
    ]
    assert [p["position"] for p in body["photos"]] == [0, 1]
    assert (
        body["photos"][0]["url_800"].startswith("http")
        and "-800.webp" in (body["photos"][0]["url_800"])
    )
    assert {c["id"] for c in body["certificates"]} == {valid, expired}
    assert body["coop"]["id"] == coop.organization_id and body["coop"]["verified"] is True
    assert body["origin_province"] == "lai-chau"
    assert response.headers["ETag"] == f'"v{body["version"]}"'
    again = client.get(
        f"/api/v1/listings/{listing_id}",
        headers={**headers, "If-None-Match": response.headers["ETag"]},
    )
    assert again.status_code == 304


def test_what_the_pages_do_not_show_is_404(app, client):
    coop = verified_coop(app)
    draft = _draft(app, coop)
    paused, _ = published_listing(app, coop)
    archived, _ = published_listing(app, coop)
    taken, _ = published_listing(app, coop)
    boss = admin_actor(app)
    with app.app_context():
        me = actor_for(coop)
        listings.change_state(me, coop.organization_id, paused, "pause")
        listings.change_state(me, coop.organization_id, archived, "archive")
        listings.take_down(actor_for(boss), taken, "Ảnh không đúng sản phẩm")
        settle()
    headers = _reader(app)
    for listing_id in (draft, paused, archived, taken, 99_999_999, 2**70):
        response = client.get(f"/api/v1/listings/{listing_id}", headers=headers)
        assert response.status_code == 404, listing_id
        assert response.mimetype == "application/problem+json"


def test_verified_coops_and_their_public_profile(app, client):
    coop = verified_coop(app, organization_name="HTX Sâm Lai Châu")
    unverified = make_person(app)
    buyer = make_person(app, kind=OrgKind.BUYER)
    cert = _certificate(app, coop)
    headers = _reader(app)

    found = _ids(client.get("/api/v1/coops?limit=100", headers=headers))
    assert coop.organization_id in found
    assert unverified.organization_id not in found and buyer.organization_id not in found
    assert coop.organization_id in _ids(
        client.get("/api/v1/coops?province=lai-chau", headers=headers)
    )
    assert _ids(client.get("/api/v1/coops?province=ha-noi", headers=headers)) == []

    response = client.get(f"/api/v1/coops/{coop.organization_id}", headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["name"] == "HTX Sâm Lai Châu" and body["province"] == "lai-chau"
    assert body["member_count"] == 27 and body["area_hectares"] == "3.50"
    assert body["story_vi"] and [c["id"] for c in body["certificates"]] == [cert]
    assert body["url"].endswith(f"/htx/{body['slug']}")
    for hidden in (unverified.organization_id, buyer.organization_id, 2**40):
        assert client.get(f"/api/v1/coops/{hidden}", headers=headers).status_code == 404


def test_a_lot_and_its_traceability(app, client):
    coop = verified_coop(app)
    cert = _certificate(app, coop)
    listing_id, slug = published_listing(app, coop)
    with app.app_context():
        lot = listings.create_lot(
            actor_for(coop),
            coop.organization_id,
            listing_id,
            listings.LotData(
                code="L-2026-01",
                produced_on=today() - timedelta(days=3),
                quantity="500",
                farm_location="Bản Nậm Khao",
            ),
            None,
        )
        code = lot.public_code
        settle()
    headers = _reader(app)

    response = client.get(f"/api/v1/lots/{code}", headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["code"] == "L-2026-01" and body["quantity"] == 500
    assert body["listing"]["id"] == listing_id and body["listing"]["url"].endswith(slug)
    assert body["coop"]["id"] == coop.organization_id
    assert [c["id"] for c in body["certificates"]] == [cert]
    assert body["lab_document_url"] is None and body["trace_url"].endswith(f"/t/{code}")

    # A paused product's lots stay traceable, without a link to the product.
    with app.app_context():
        listings.change_state(actor_for(coop), coop.organization_id, listing_id, "pause")
        settle()
    body = client.get(f"/api/v1/lots/{code}", headers=headers).get_json()
    assert body["listing"]["url"] is None
    assert client.get("/api/v1/lots/nothing-here", headers=headers).status_code == 404
    assert client.get("/api/v1/lots/" + "x" * 500, headers=headers).status_code == 404
    assert client.get("/api/v1/lots/L%00", headers=headers).status_code == 404


def test_reading_the_catalogue_needs_the_scope(app, client):
    coop = verified_coop(app)
    listing_id, _ = published_listing(app, coop)
    fairs_only = bearer(api_key(app, coop, ["fairs"]))
    for path in ("/api/v1/listings", f"/api/v1/listings/{listing_id}", "/api/v1/coops"):
        assert client.get(path).status_code == 401
        response = client.get(path, headers=fairs_only)
        assert response.status_code == 403 and response.get_json()["code"] == "missing_scope"


def test_the_listing_count_of_a_page_does_not_grow_the_queries(app, client):
    coop = verified_coop(app)
    for _ in range(2):
        published_listing(app, coop)
    headers = _reader(app)
    client.get("/api/v1/listings", headers=headers)
    with count_queries(app) as few:
        client.get("/api/v1/listings", headers=headers)
    for _ in range(3):
        published_listing(app, coop)
    with count_queries(app) as more:
        assert len(_ids(client.get("/api/v1/listings", headers=headers))) == 5
    assert len(more) == len(few)
