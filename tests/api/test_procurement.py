"""Requests for quotes, quotes and their versions through the API: a buyer's key
(``procurement``) asks, counters, awards and cancels; a co-op's key (``sales``) answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from marketplace.extensions import db
from marketplace.models import ApiKey, Contract, OrgKind, Quote, Rfq, Role
from marketplace.services import api_keys
from marketplace.vietnam import today
from tests.factories import (
    add_member,
    api_key,
    audits,
    bearer,
    category_id,
    coop_with_listing,
    count,
    location_id,
    make_person,
    post_rfq,
    quote_on,
    verified_buyer,
    verified_coop,
)


@dataclass
class Deal:
    buyer: object
    coop: object
    buyer_key: dict[str, str]
    coop_key: dict[str, str]


@pytest.fixture
def deal(app) -> Deal:
    """A verified buyer and a verified co-op selling wine, each with a key of every scope
    its kind may have."""
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    coop_with_listing(app, coop)
    return Deal(buyer, coop, bearer(api_key(app, buyer)), bearer(api_key(app, coop)))


def rfq_body(app, buyer, **changes) -> dict:
    """What a buyer's system sends for the factories' request: 120 bottles of wine every
    Monday for four weeks from next week, quotes due in three days."""
    start = today() + timedelta(days=7)
    with app.app_context():
        body = {
            "title": "Rượu sâm cho 12 cửa hàng",
            "lines": [
                {
                    "category_id": category_id("ruou"),
                    "specification": "Rượu sâm 500 ml, chai thủy tinh",
                    "quantity": 120,
                    "unit": "chai",
                    "target_price": 170000,
                }
            ],
            "pattern": "weekly",
            "weekdays": [1],
            "starts_on": start.isoformat(),
            "ends_on": (start + timedelta(days=27)).isoformat(),
            "respond_by_date": (today() + timedelta(days=3)).isoformat(),
            "delivery_location_id": location_id(buyer),
            "payment_days": 30,
        }
    return body | changes


def quote_body(rfq: dict, price: int = 175000, quantity: int = 120) -> dict:
    return {
        "lines": [
            {"rfq_line_id": line["id"], "unit_price": price, "quantity": quantity, "vat_rate": "10"}
            for line in rfq["lines"]
        ],
        "valid_until": (today() + timedelta(days=10)).isoformat(),
    }


def fields(response) -> set[str]:
    return {error["field"] for error in response.get_json().get("errors", [])}


# --- requests for quotes ------------------------------------------------------------------------


def test_a_buyer_posts_a_request_and_reads_it(app, client, deal):
    response = client.post("/api/v1/rfqs", json=rfq_body(app, deal.buyer), headers=deal.buyer_key)
    assert response.status_code == 201, response.get_json()
    rfq = response.get_json()
    assert response.headers["Location"] == f"/api/v1/rfqs/{rfq['id']}"
    assert rfq["status"] == "open" and rfq["buyer"]["id"] == deal.buyer.organization_id
    assert rfq["lines"][0]["quantity"] == 120 and rfq["lines"][0]["currency"] == "VND"
    assert rfq["weekdays"] == [1] and rfq["delivery_location"]["province"] == "Hà Nội"

    read = client.get(f"/api/v1/rfqs/{rfq['id']}", headers=deal.buyer_key)
    assert read.status_code == 200
    assert read.get_json()["side"] == "buyer" and read.get_json()["quotes"] == []
    assert read.get_json()["invited_coop_ids"] == []

    listed = client.get("/api/v1/rfqs?status=open", headers=deal.buyer_key).get_json()
    assert [r["id"] for r in listed["data"]] == [rfq["id"]] and listed["next_cursor"] is None
    assert client.get("/api/v1/rfqs?status=cancelled", headers=deal.buyer_key).get_json() == {
        "data": [],
        "next_cursor": None,
    }
    with app.app_context():
        assert audits("rfq.create", rfq["id"]) == 1


def test_a_new_delivery_location_comes_with_the_request(app, client, deal):
    body = rfq_body(app, deal.buyer, delivery_location_id=None)
    body["new_delivery_location"] = {
        "name": "Bếp trung tâm",
        "province": "Hà Nội",
        "commune": "Phường Cầu Giấy",
        "street": "5 Trần Thái Tông",
    }
    response = client.post("/api/v1/rfqs", json=body, headers=deal.buyer_key)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["delivery_location"]["name"] == "Bếp trung tâm"
    locations = client.get("/api/v1/delivery-locations", headers=deal.buyer_key).get_json()
    assert [loc["name"] for loc in locations["data"]] == ["Cửa hàng Láng Hạ", "Bếp trung tâm"]


def test_bad_requests_name_their_fields(app, client, deal):
    body = rfq_body(app, deal.buyer)
    body["lines"].append(body["lines"][0] | {"quantity": "nhiều", "unit": "xe"})
    del body["title"]
    response = client.post("/api/v1/rfqs", json=body, headers=deal.buyer_key)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert fields(response) == {"title", "lines.1.quantity", "lines.1.unit"}

    # Refused by the service, named as the body's fields.
    past = rfq_body(app, deal.buyer, respond_by_date=(today() - timedelta(days=1)).isoformat())
    past["lines"][0]["category_id"] = 999999
    past["delivery_location_id"] = 2147483647
    response = client.post("/api/v1/rfqs", json=past, headers=deal.buyer_key)
    assert response.status_code == 422
    assert fields(response) == {
        "respond_by_date",
        "lines.0.category_id",
        "delivery_location_id",
    }
    partial = rfq_body(app, deal.buyer, delivery_location_id=None)
    partial["new_delivery_location"] = {
        "name": "Kho",
        "province": "Atlantis",
        "commune": "X",
        "street": "Y",
    }
    response = client.post("/api/v1/rfqs", json=partial, headers=deal.buyer_key)
    assert response.status_code == 422
    assert fields(response) == {"new_delivery_location.province"}

    extreme = rfq_body(
        app, deal.buyer, payment_days=10**20, starts_on="0001-01-01", title="\x00\x07"
    )
    extreme["lines"].append(extreme["lines"][0] | {"quantity": 10**30, "target_price": -1})
    response = client.post("/api/v1/rfqs", json=extreme, headers=deal.buyer_key)
    assert response.status_code == 422
    assert fields(response) == {
        "title",
        "payment_days",
        "lines.1.quantity",
        "lines.1.target_price",
    }
    with app.app_context():
        assert count(Rfq) == 0


def test_posting_a_request_is_idempotent(app, client, deal):
    headers = {**deal.buyer_key, "Idempotency-Key": "erp-po-4711"}
    body = rfq_body(app, deal.buyer)
    first = client.post("/api/v1/rfqs", json=body, headers=headers)
    again = client.post("/api/v1/rfqs", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    other = client.post("/api/v1/rfqs", json={**body, "title": "Khác"}, headers=headers)
    assert other.status_code == 422 and fields(other) == {"Idempotency-Key"}
    with app.app_context():
        assert count(Rfq) == 1


def test_keys_need_the_scope_of_their_side(app, client, deal):
    rfq_id = post_rfq(app, deal.buyer)
    # A co-op's key may not ask for quotes, cancel or award; a buyer's may not quote.
    coop_post = client.post("/api/v1/rfqs", json=rfq_body(app, deal.buyer), headers=deal.coop_key)
    assert coop_post.status_code == 403 and coop_post.get_json()["code"] == "missing_scope"
    for path in (f"/api/v1/rfqs/{rfq_id}/cancel", f"/api/v1/rfqs/{rfq_id}/award"):
        assert client.post(path, json={}, headers=deal.coop_key).status_code == 403
    quoted = client.post(f"/api/v1/rfqs/{rfq_id}/quotes", json={}, headers=deal.buyer_key)
    assert quoted.status_code == 403 and quoted.get_json()["code"] == "missing_scope"

    # A key without its side's scope, and no key at all.
    read_only = bearer(api_key(app, deal.buyer, ["catalogue:read"], name="Catalogue"))
    response = client.get("/api/v1/rfqs", headers=read_only)
    assert response.status_code == 403 and response.get_json()["code"] == "missing_scope"
    assert "procurement" in response.get_json()["detail"]
    coop_read_only = bearer(api_key(app, deal.coop, ["catalogue:read"], name="Catalogue"))
    response = client.get(f"/api/v1/rfqs/{rfq_id}", headers=coop_read_only)
    assert response.status_code == 403 and "sales" in response.get_json()["detail"]
    assert client.get("/api/v1/rfqs").status_code == 401
    assert client.get("/api/v1/quotes/1").status_code == 401


def test_other_organisations_requests_are_not_found(app, client, deal):
    rfq_id = post_rfq(app, deal.buyer)
    other_buyer = verified_buyer(app, name="Bếp Ăn Sạch")
    other_key = bearer(api_key(app, other_buyer))
    # A co-op that sells nothing in the request's category does not see it either.
    stranger = verified_coop(app)
    stranger_key = bearer(api_key(app, stranger))
    for headers in (other_key, stranger_key):
        response = client.get(f"/api/v1/rfqs/{rfq_id}", headers=headers)
        assert response.status_code == 404
        assert response.mimetype == "application/problem+json"
    assert client.post(f"/api/v1/rfqs/{rfq_id}/cancel", headers=other_key).status_code == 404
    award = {"quotes": [{"quote_id": 1, "version": 1, "rfq_line_ids": [1]}]}
    assert (
        client.post(f"/api/v1/rfqs/{rfq_id}/award", json=award, headers=other_key).status_code
        == 404
    )
    body = {"lines": [{"rfq_line_id": 1, "unit_price": 1, "quantity": 1, "vat_rate": "10"}]}
    body["valid_until"] = today().isoformat()
    response = client.post(f"/api/v1/rfqs/{rfq_id}/quotes", json=body, headers=stranger_key)
    assert response.status_code == 404
    assert client.get("/api/v1/rfqs/2147483647", headers=other_key).status_code == 404
    assert client.get("/api/v1/rfqs/99999999999", headers=other_key).status_code == 404
    assert client.get("/api/v1/rfqs", headers=other_key).get_json()["data"] == []
    assert client.get("/api/v1/rfqs", headers=stranger_key).get_json()["data"] == []


def test_a_coop_lists_the_requests_it_may_answer_page_by_page(app, client, deal):
    ids = [post_rfq(app, deal.buyer, title=f"Rượu {n}") for n in range(3)]
    first = client.get("/api/v1/rfqs?limit=2", headers=deal.coop_key).get_json()
    assert len(first["data"]) == 2 and first["next_cursor"]
    rest = client.get(
        f"/api/v1/rfqs?limit=2&cursor={first['next_cursor']}", headers=deal.coop_key
    ).get_json()
    assert sorted(r["id"] for r in first["data"] + rest["data"]) == sorted(ids)
    assert rest["next_cursor"] is None
    bad = client.get("/api/v1/rfqs?limit=1000&cursor=nonsense", headers=deal.coop_key)
    assert bad.status_code == 422 and "query.limit" in fields(bad)


def test_the_buyer_cancels_a_request(app, client, deal):
    rfq_id = post_rfq(app, deal.buyer)
    quote_id = quote_on(app, deal.coop, rfq_id)
    response = client.post(f"/api/v1/rfqs/{rfq_id}/cancel", headers=deal.buyer_key)
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    again = client.post(f"/api/v1/rfqs/{rfq_id}/cancel", headers=deal.buyer_key)
    assert again.status_code == 409 and again.get_json()["code"] == "wrong_state"
    quote = client.get(f"/api/v1/quotes/{quote_id}", headers=deal.coop_key).get_json()
    assert quote["status"] == "declined" and quote["waiting_on"] is None


def test_a_staff_members_key_may_read_but_not_ask(app, client, deal):
    staff = add_member(app, deal.buyer.organization_id, Role.STAFF)
    # A manager made the key; the person behind it is now staff.
    token = api_key(app, deal.buyer, name="Kho")
    with app.app_context():
        key = db.session.scalar(db.select(ApiKey).where(ApiKey.name == "Kho"))
        key.created_by_id = staff.id
        db.session.commit()
        assert api_keys.authenticate(token) is not None
    headers = bearer(token)
    assert client.get("/api/v1/rfqs", headers=headers).status_code == 200
    response = client.post("/api/v1/rfqs", json=rfq_body(app, deal.buyer), headers=headers)
    assert response.status_code == 403 and response.get_json()["code"] == "not_allowed"


# --- quotes and the negotiation -------------------------------------------------------------------


def test_a_coop_quotes_and_both_sides_read_the_quote(app, client, deal):
    rfq_id = post_rfq(app, deal.buyer)
    rfq = client.get(f"/api/v1/rfqs/{rfq_id}", headers=deal.coop_key).get_json()
    assert rfq["side"] == "coop" and "invited_coop_ids" not in rfq

    template = client.get(f"/api/v1/rfqs/{rfq_id}/quote-template", headers=deal.coop_key)
    assert template.status_code == 200
    line = template.get_json()["lines"][0]
    assert line["rfq_line_id"] == rfq["lines"][0]["id"] and line["listing_id"]
    assert line["unit_price"] > 0 and line["quantity"] == 120
    assert (
        client.get(f"/api/v1/rfqs/{rfq_id}/quote-template", headers=deal.buyer_key).status_code
        == 403
    )

    response = client.post(
        f"/api/v1/rfqs/{rfq_id}/quotes", json=quote_body(rfq), headers=deal.coop_key
    )
    assert response.status_code == 201, response.get_json()
    quote = response.get_json()
    assert response.headers["ETag"] == '"v1"'
    assert quote["current_version"] == 1 and quote["waiting_on"] == "buyer"
    assert quote["versions"][0]["lines"][0]["unit_price"] == 175000
    assert quote["coop"]["id"] == deal.coop.organization_id

    for headers in (deal.buyer_key, deal.coop_key):
        read = client.get(f"/api/v1/quotes/{quote['id']}", headers=headers)
        assert read.status_code == 200 and read.headers["ETag"] == '"v1"'
        cached = client.get(
            f"/api/v1/quotes/{quote['id']}", headers={**headers, "If-None-Match": '"v1"'}
        )
        assert cached.status_code == 304
    buyer_view = client.get(f"/api/v1/rfqs/{rfq_id}", headers=deal.buyer_key).get_json()
    assert [q["id"] for q in buyer_view["quotes"]] == [quote["id"]]
    waiting = client.get("/api/v1/quotes", headers=deal.buyer_key).get_json()
    assert [q["id"] for q in waiting["data"]] == [quote["id"]]
    assert client.get("/api/v1/quotes", headers=deal.coop_key).get_json()["data"] == []

    # Once quoted, the request leaves the co-op's list; a second quote is refused.
    assert client.get("/api/v1/rfqs", headers=deal.coop_key).get_json()["data"] == []
    twice = client.post(
        f"/api/v1/rfqs/{rfq_id}/quotes", json=quote_body(rfq), headers=deal.coop_key
    )
    assert twice.status_code == 422 and fields(twice) == {"rfq"}


def test_bad_quotes_name_their_fields(app, client, deal):
    rfq_id = post_rfq(app, deal.buyer)
    rfq = client.get(f"/api/v1/rfqs/{rfq_id}", headers=deal.coop_key).get_json()
    body = quote_body(rfq)
    body["lines"].append(body["lines"][0] | {"vat_rate": "7", "unit_price": -5})
    del body["valid_until"]
    response = client.post(f"/api/v1/rfqs/{rfq_id}/quotes", json=body, headers=deal.coop_key)
    assert response.status_code == 422
    assert fields(response) == {"lines.1.vat_rate", "lines.1.unit_price", "valid_until"}
    surrogate = '{"lines": [], "valid_until": "2030-01-01", "notes": "\\ud800"}'
    response = client.post(
        f"/api/v1/rfqs/{rfq_id}/quotes",
        data=surrogate,
        headers={**deal.coop_key, "Content-Type": "application/json"},
    )
    assert response.status_code == 422 and fields(response) == {"notes", "lines"}
    late = quote_body(rfq) | {"valid_until": (today() - timedelta(days=1)).isoformat()}
    late["lines"][0]["listing_id"] = 2147483647
    response = client.post(f"/api/v1/rfqs/{rfq_id}/quotes", json=late, headers=deal.coop_key)
    assert response.status_code == 422
    assert fields(response) == {"valid_until", "lines.0.listing_id"}
    stranger = quote_body(rfq)
    stranger["lines"][0]["rfq_line_id"] = 2147483647
    response = client.post(f"/api/v1/rfqs/{rfq_id}/quotes", json=stranger, headers=deal.coop_key)
    assert response.status_code == 422 and fields(response) == {"lines"}
    with app.app_context():
        assert count(Quote) == 0


def test_a_stale_version_is_refused_with_412(app, client, deal):
    rfq_id = post_rfq(app, deal.buyer)
    quote_id = quote_on(app, deal.coop, rfq_id)
    rfq = client.get(f"/api/v1/rfqs/{rfq_id}", headers=deal.buyer_key).get_json()
    counter = quote_body(rfq, price=165000)
    path = f"/api/v1/quotes/{quote_id}/versions"
    first = client.post(path, json=counter, headers={**deal.buyer_key, "If-Match": '"v1"'})
    assert first.status_code == 201 and first.headers["ETag"] == '"v2"'
    # The co-op read version 1 and revises it: a counter-offer arrived since.
    revise = quote_body(rfq, price=172000)
    stale = client.post(path, json=revise, headers={**deal.coop_key, "If-Match": '"v1"'})
    assert stale.status_code == 412 and stale.get_json()["code"] == "stale_version"
    nonsense = client.post(path, json=revise, headers={**deal.coop_key, "If-Match": '"abc"'})
    assert nonsense.status_code == 412
    accept = f"/api/v1/quotes/{quote_id}/accept"
    assert client.post(accept, headers={**deal.coop_key, "If-Match": '"v1"'}).status_code == 412
    withdraw = f"/api/v1/quotes/{quote_id}/withdraw"
    assert client.post(withdraw, headers={**deal.coop_key, "If-Match": '"v1"'}).status_code == 412
    with app.app_context():
        assert db.session.get(Quote, quote_id).current_version == 2


def test_a_counter_offer_keeps_the_coops_vat_and_only_the_coop_accepts(app, client, deal):
    rfq_id = post_rfq(app, deal.buyer)
    quote_id = quote_on(app, deal.coop, rfq_id)
    rfq = client.get(f"/api/v1/rfqs/{rfq_id}", headers=deal.buyer_key).get_json()
    counter = quote_body(rfq, price=165000)
    counter["lines"][0]["vat_rate"] = "5"
    path = f"/api/v1/quotes/{quote_id}/versions"
    response = client.post(path, json=counter, headers=deal.buyer_key)
    assert response.status_code == 422 and fields(response) == {"lines.0.vat_rate"}
    # Nothing to accept yet: the latest version is the co-op's own.
    accept = f"/api/v1/quotes/{quote_id}/accept"
    response = client.post(accept, headers=deal.coop_key)
    assert response.status_code == 422 and fields(response) == {"quote"}
    assert client.post(accept, headers=deal.buyer_key).status_code == 403


def test_a_coop_withdraws_its_quote(app, client, deal):
    rfq_id = post_rfq(app, deal.buyer)
    quote_id = quote_on(app, deal.coop, rfq_id)
    withdraw = f"/api/v1/quotes/{quote_id}/withdraw"
    assert client.post(withdraw, headers=deal.buyer_key).status_code == 403
    first = client.get(f"/api/v1/quotes/{quote_id}", headers=deal.buyer_key)
    response = client.post(withdraw, headers={**deal.coop_key, "If-Match": '"v1"'})
    assert response.status_code == 200 and response.get_json()["status"] == "withdrawn"
    # The buyer's cached copy is not reused: the closed negotiation is tagged by its body.
    read = client.get(
        f"/api/v1/quotes/{quote_id}",
        headers={**deal.buyer_key, "If-None-Match": first.headers["ETag"]},
    )
    assert read.status_code == 200 and read.get_json()["status"] == "withdrawn"
    again = client.post(withdraw, headers=deal.coop_key)
    assert again.status_code == 409
    with app.app_context():
        assert audits("quote.withdraw", quote_id) == 1


def test_other_organisations_quotes_are_not_found(app, client, deal):
    rfq_id = post_rfq(app, deal.buyer)
    quote_id = quote_on(app, deal.coop, rfq_id)
    rival = verified_coop(app)
    coop_with_listing(app, rival)
    rival_key = bearer(api_key(app, rival))
    other_buyer_key = bearer(api_key(app, verified_buyer(app, name="Bếp Ăn Sạch")))
    # The rival may see the request, but not another co-op's quote on it.
    rfq = client.get(f"/api/v1/rfqs/{rfq_id}", headers=rival_key).get_json()
    assert rfq["quotes"] == []
    for headers in (rival_key, other_buyer_key):
        assert client.get(f"/api/v1/quotes/{quote_id}", headers=headers).status_code == 404
        response = client.post(
            f"/api/v1/quotes/{quote_id}/versions", json=quote_body(rfq), headers=headers
        )
        assert response.status_code == 404
    for action in ("accept", "withdraw"):
        path = f"/api/v1/quotes/{quote_id}/{action}"
        assert client.post(path, headers=rival_key).status_code == 404
    assert client.get("/api/v1/quotes/2147483647", headers=rival_key).status_code == 404


def test_award_refuses_stale_versions_and_bad_choices(app, client, deal):
    rfq_id = post_rfq(app, deal.buyer)
    quote_id = quote_on(app, deal.coop, rfq_id)
    rfq = client.get(f"/api/v1/rfqs/{rfq_id}", headers=deal.buyer_key).get_json()
    line_id = rfq["lines"][0]["id"]
    path = f"/api/v1/rfqs/{rfq_id}/award"
    stale = {"quotes": [{"quote_id": quote_id, "version": 0, "rfq_line_ids": [line_id]}]}
    response = client.post(path, json=stale, headers=deal.buyer_key)
    assert response.status_code == 412
    twice = {
        "quotes": [
            {"quote_id": quote_id, "version": 1, "rfq_line_ids": [line_id]},
            {"quote_id": quote_id, "version": 1, "rfq_line_ids": [line_id]},
        ]
    }
    response = client.post(path, json=twice, headers=deal.buyer_key)
    assert response.status_code == 422
    assert fields(response) == {"quotes.1.quote_id", "quotes.1.rfq_line_ids"}
    nothing = {"quotes": [{"quote_id": quote_id, "version": 1, "rfq_line_ids": [2147483647]}]}
    response = client.post(path, json=nothing, headers=deal.buyer_key)
    assert response.status_code == 422 and fields(response) == {"quotes"}
    response = client.post(path, json={"quotes": []}, headers=deal.buyer_key)
    assert response.status_code == 422 and fields(response) == {"quotes"}
    with app.app_context():
        assert count(Contract) == 0


def test_a_whole_deal_through_the_api(app, client, deal):
    """The buyer's ERP asks, the co-op's system quotes, the buyer counters, the co-op
    accepts the counter-offer and the buyer awards it: a draft contract at its price."""
    buyer, coop = deal.buyer_key, deal.coop_key
    created = client.post(
        "/api/v1/rfqs",
        json=rfq_body(app, deal.buyer),
        headers={**buyer, "Idempotency-Key": "rfq-1"},
    )
    assert created.status_code == 201
    rfq_id = created.get_json()["id"]

    # The co-op finds the request, reads it and quotes.
    found = client.get("/api/v1/rfqs", headers=coop).get_json()["data"]
    assert [r["id"] for r in found] == [rfq_id]
    rfq = client.get(f"/api/v1/rfqs/{rfq_id}", headers=coop).get_json()
    quoted = client.post(
        f"/api/v1/rfqs/{rfq_id}/quotes",
        json=quote_body(rfq, price=180000),
        headers={**coop, "Idempotency-Key": "quote-1"},
    )
    assert quoted.status_code == 201
    quote_id = quoted.get_json()["id"]

    # The buyer reads the quote and counters it at the version read.
    read = client.get(f"/api/v1/quotes/{quote_id}", headers=buyer)
    countered = client.post(
        f"/api/v1/quotes/{quote_id}/versions",
        json=quote_body(rfq, price=170000, quantity=100) | {"notes": "Giá tốt hơn được không?"},
        headers={**buyer, "If-Match": read.headers["ETag"], "Idempotency-Key": "counter-1"},
    )
    assert countered.status_code == 201
    assert countered.get_json()["waiting_on"] == "coop"

    # The co-op sees it waiting and accepts it as it is.
    waiting = client.get("/api/v1/quotes", headers=coop).get_json()["data"]
    assert [q["id"] for q in waiting] == [quote_id]
    accepted = client.post(
        f"/api/v1/quotes/{quote_id}/accept",
        headers={**coop, "If-Match": countered.headers["ETag"], "Idempotency-Key": "accept-1"},
    )
    assert accepted.status_code == 201
    offer = accepted.get_json()
    assert offer["current_version"] == 3 and offer["waiting_on"] == "buyer"
    assert offer["versions"][-1]["side"] == "coop"
    assert offer["versions"][-1]["lines"][0]["unit_price"] == 170000

    # The buyer awards every line to it.
    award = {
        "quotes": [
            {
                "quote_id": quote_id,
                "version": offer["current_version"],
                "rfq_line_ids": [line["id"] for line in rfq["lines"]],
            }
        ]
    }
    awarded = client.post(
        f"/api/v1/rfqs/{rfq_id}/award", json=award, headers={**buyer, "Idempotency-Key": "aw-1"}
    )
    assert awarded.status_code == 201, awarded.get_json()
    contract_ids = awarded.get_json()["contract_ids"]
    assert len(contract_ids) == 1
    assert awarded.headers["Location"] == f"/api/v1/contracts/{contract_ids[0]}"
    replay = client.post(
        f"/api/v1/rfqs/{rfq_id}/award", json=award, headers={**buyer, "Idempotency-Key": "aw-1"}
    )
    assert replay.get_json()["contract_ids"] == contract_ids

    assert client.get(f"/api/v1/rfqs/{rfq_id}", headers=buyer).get_json()["status"] == "awarded"
    assert client.get(f"/api/v1/quotes/{quote_id}", headers=coop).get_json()["status"] == "awarded"
    with app.app_context():
        contract = db.session.get_one(Contract, contract_ids[0])
        assert contract.status.value == "draft" and contract.quote_id == quote_id
        assert [(ln.unit_price, ln.quantity) for ln in contract.lines] == [(170000, 100)]
        for action in ("rfq.create", "quote.submit", "quote.counter", "quote.accept_counter"):
            assert audits(action) == 1, action
        assert audits("rfq.award", rfq_id) == 1


def test_an_organisers_key_has_neither_side(app, client):
    organiser = make_person(app, kind=OrgKind.FAIR_ORGANIZER)
    headers = bearer(api_key(app, organiser))
    for path in ("/api/v1/rfqs", "/api/v1/quotes", "/api/v1/rfqs/1", "/api/v1/quotes/1"):
        response = client.get(path, headers=headers)
        assert response.status_code == 403 and response.get_json()["code"] == "missing_scope"
