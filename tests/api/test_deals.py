"""Contracts and amendments over the API: both parties read their contracts (a buyer's key
with ``procurement``, a co-op's with ``sales``), sign with If-Match, cancel a draft, propose
a change of terms and answer it; other organisations see nothing (404)."""

from __future__ import annotations

from datetime import date, timedelta

from marketplace.extensions import db
from marketplace.models import Amendment, Contract, Membership, OrgKind, Role
from marketplace.vietnam import today
from tests.factories import (
    add_member,
    api_key,
    audits,
    award_all,
    bearer,
    coop_with_listing,
    location_id,
    make_person,
    post_rfq,
    quote_on,
    settle,
    signed_contract,
    verified_buyer,
    verified_coop,
)


def _parties(app):
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    coop_with_listing(app, coop)
    return buyer, coop


def _draft(app, buyer, coop) -> int:
    rfq_id = post_rfq(app, buyer)
    return award_all(app, buyer, rfq_id, quote_on(app, coop, rfq_id))


def _keys(app, buyer, coop):
    return bearer(api_key(app, buyer)), bearer(api_key(app, coop))


def test_contracts_are_listed_and_read_by_both_parties_only(app, client):
    buyer, coop = _parties(app)
    contract_id = _draft(app, buyer, coop)
    as_buyer, as_coop = _keys(app, buyer, coop)

    page = client.get("/api/v1/contracts", headers=as_buyer).get_json()
    assert [c["id"] for c in page["data"]] == [contract_id] and page["next_cursor"] is None
    assert page["data"][0]["side"] == "buyer" and page["data"][0]["status"] == "draft"
    drafts = client.get("/api/v1/contracts?status=draft", headers=as_coop).get_json()
    assert drafts["data"][0]["side"] == "coop"
    assert client.get("/api/v1/contracts?status=active", headers=as_coop).get_json()["data"] == []
    bad = client.get("/api/v1/contracts?status=lost&limit=0", headers=as_buyer)
    assert bad.status_code == 422
    assert {e["field"] for e in bad.get_json()["errors"]} == {"query.status", "query.limit"}

    one = client.get(f"/api/v1/contracts/{contract_id}", headers=as_coop)
    assert one.status_code == 200
    body = one.get_json()
    assert one.headers["ETag"] == f'"v{body["version"]}"'
    assert body["parties"]["buyer"]["organization_id"] == buyer.organization_id
    assert body["parties"]["buyer"]["tax_code"] == "0101234567"
    line = body["lines"][0]
    assert line["quantity"] == 120 and line["unit_price"] == 175000 and line["currency"] == "VND"
    assert body["totals"]["deliveries"] == 4 and body["signatures"] == []
    assert body["delivery_plan"]["planned"] == 0 and body["weekdays"] == [1]
    again = client.get(
        f"/api/v1/contracts/{contract_id}",
        headers={**as_coop, "If-None-Match": one.headers["ETag"]},
    )
    assert again.status_code == 304

    stranger = bearer(api_key(app, make_person(app, kind=OrgKind.BUYER)))
    assert client.get(f"/api/v1/contracts/{contract_id}", headers=stranger).status_code == 404
    assert client.get("/api/v1/contracts", headers=stranger).get_json()["data"] == []
    assert client.get("/api/v1/contracts/2147483647", headers=as_buyer).status_code == 404
    assert client.get("/api/v1/contracts/99999999999", headers=as_buyer).status_code == 404
    huge = f"/api/v1/contracts/{10**30}/amendments"
    assert client.post(huge, json={}, headers=as_buyer).status_code == 404
    assert client.get(huge, headers=as_buyer).status_code == 404
    broken = client.post(
        f"/api/v1/contracts/{contract_id}/cancel",
        data=b"\x00{",
        headers={**as_buyer, "Content-Type": "application/json"},
    )
    assert broken.status_code == 400 and broken.mimetype == "application/problem+json"
    assert client.get(f"/api/v1/contracts/{contract_id}").status_code == 401


def test_each_side_needs_its_own_scope(app, client):
    buyer, coop = _parties(app)
    contract_id = _draft(app, buyer, coop)
    url = f"/api/v1/contracts/{contract_id}"
    for person, scopes in ((buyer, ["catalogue:read", "payments:read"]), (coop, ["fairs"])):
        narrow = bearer(api_key(app, person, scopes, name="narrow"))
        refused = client.get(url, headers=narrow)
        assert refused.status_code == 403 and refused.get_json()["code"] == "missing_scope"
    assert client.get(url, headers=bearer(api_key(app, buyer, ["procurement"]))).status_code == 200
    assert client.get(url, headers=bearer(api_key(app, coop, ["sales"]))).status_code == 200
    organiser = make_person(app, kind=OrgKind.FAIR_ORGANIZER)
    refused = client.get(url, headers=bearer(api_key(app, organiser)))
    assert refused.status_code == 403 and refused.get_json()["code"] == "missing_scope"
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/contracts/{contract_id}/sign"]["post"]
    assert "`procurement`" in operation["description"] and "`sales`" in operation["description"]
    assert {"404", "412", "422"} <= set(operation["responses"])


def test_signing_with_if_match_and_an_idempotency_key(app, client):
    buyer, coop = _parties(app)
    contract_id = _draft(app, buyer, coop)
    as_buyer, as_coop = _keys(app, buyer, coop)
    url = f"/api/v1/contracts/{contract_id}/sign"
    read = client.get(f"/api/v1/contracts/{contract_id}", headers=as_coop)
    tag = read.headers["ETag"]

    missing = client.post(url, json={}, headers=as_buyer)
    assert missing.status_code == 422 and missing.get_json()["errors"][0]["field"] == "confirmed"
    unticked = client.post(url, json={"confirmed": False}, headers=as_buyer)
    assert unticked.status_code == 422
    assert [e["field"] for e in unticked.get_json()["errors"]] == ["confirmed"]
    stale = client.post(url, json={"confirmed": True}, headers={**as_buyer, "If-Match": '"v99"'})
    assert stale.status_code == 412 and stale.get_json()["code"] == "stale_version"
    junk = client.post(url, json={"confirmed": True}, headers={**as_buyer, "If-Match": "nonsense"})
    assert junk.status_code == 412

    headers = {**as_buyer, "If-Match": tag, "Idempotency-Key": "sign-1"}
    first = client.post(url, json={"confirmed": True}, headers=headers)
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["signatures"][0]["side"] == "buyer"
    assert first.headers["ETag"] == f'"v{first.get_json()["version"]}"'
    repeat = client.post(url, json={"confirmed": True}, headers=headers)
    assert repeat.status_code == 200 and repeat.get_json() == first.get_json()
    assert repeat.headers["Idempotent-Replayed"] == "true"
    other = client.post(url, json={"confirmed": "yes"}, headers=headers)
    assert other.status_code == 422 and other.get_json()["code"] == "idempotency_key_reused"
    twice = client.post(url, json={"confirmed": True}, headers=as_buyer)
    assert twice.status_code == 422 and twice.get_json()["errors"][0]["field"] == "body"

    # The co-op read the contract before the buyer signed: that tag may still sign.
    signed = client.post(url, json={"confirmed": True}, headers={**as_coop, "If-Match": tag})
    assert signed.status_code == 200, signed.get_json()
    body = signed.get_json()
    assert body["status"] == "active" and body["delivery_plan"]["planned"] == 4
    assert body["delivery_plan"]["next_delivery_id"] is not None
    with app.app_context():
        assert audits("contract.sign", contract_id) == 2
        assert audits("contract.activate", contract_id) == 1


def test_staff_may_read_but_not_sign(app, client):
    buyer, coop = _parties(app)
    contract_id = _draft(app, buyer, coop)
    manager = add_member(app, coop.organization_id, Role.MANAGER)
    key = bearer(api_key(app, manager))
    with app.app_context():
        membership = db.session.scalar(db.select(Membership).filter_by(user_id=manager.id))
        membership.role = Role.STAFF
        settle()
    assert client.get(f"/api/v1/contracts/{contract_id}", headers=key).status_code == 200
    refused = client.post(
        f"/api/v1/contracts/{contract_id}/sign", json={"confirmed": True}, headers=key
    )
    assert refused.status_code == 403 and refused.get_json()["code"] == "not_allowed"


def test_a_draft_is_cancelled_with_a_reason(app, client):
    buyer, coop = _parties(app)
    contract_id = _draft(app, buyer, coop)
    _as_buyer, as_coop = _keys(app, buyer, coop)
    url = f"/api/v1/contracts/{contract_id}/cancel"
    empty = client.post(url, json={"reason": ""}, headers=as_coop)
    assert empty.status_code == 422 and empty.get_json()["errors"][0]["field"] == "reason"
    blank = client.post(url, json={"reason": "   "}, headers=as_coop)
    assert blank.status_code == 422 and blank.get_json()["errors"][0]["field"] == "reason"
    stale = client.post(url, json={"reason": "Hết hàng"}, headers={**as_coop, "If-Match": '"v9"'})
    assert stale.status_code == 412
    done = client.post(url, json={"reason": "Hết hàng"}, headers=as_coop)
    assert done.status_code == 200 and done.get_json()["status"] == "cancelled"
    assert done.get_json()["termination_reason"] == "Hết hàng"
    again = client.post(url, json={"reason": "Hết hàng"}, headers=as_coop)
    assert again.status_code == 422
    stranger = bearer(api_key(app, make_person(app)))
    assert client.post(url, json={"reason": "x"}, headers=stranger).status_code == 404


def test_amendments_are_proposed_and_answered(app, client):
    buyer, coop = _parties(app)
    contract_id = signed_contract(app, buyer, coop)
    as_buyer, as_coop = _keys(app, buyer, coop)
    contract = client.get(f"/api/v1/contracts/{contract_id}", headers=as_buyer).get_json()
    line_id = contract["lines"][0]["id"]
    starts = contract["starts_on"]
    url = f"/api/v1/contracts/{contract_id}/amendments"

    bad = client.post(
        url,
        json={
            "reason": "Giá tăng",
            "effective_from": starts,
            "lines": [{"line_id": line_id, "unit_price": -1}],
        },
        headers=as_buyer,
    )
    assert bad.status_code == 422
    assert bad.get_json()["errors"][0]["field"] == "lines.0.unit_price"
    past = client.post(
        url,
        json={
            "reason": "Giá tăng",
            "effective_from": "2020-01-01",
            "lines": [{"line_id": line_id, "unit_price": 180000}],
        },
        headers=as_buyer,
    )
    assert past.status_code == 422
    assert [e["field"] for e in past.get_json()["errors"]] == ["effective_from"]
    nothing = client.post(
        url, json={"reason": "Không đổi", "effective_from": starts}, headers=as_buyer
    )
    assert nothing.status_code == 422 and nothing.get_json()["errors"][0]["field"] == "reason"

    body = {
        "reason": "Giá tăng",
        "effective_from": starts,
        "lines": [{"line_id": line_id, "unit_price": 180000}],
    }
    proposed = client.post(url, json=body, headers={**as_buyer, "Idempotency-Key": "am-1"})
    assert proposed.status_code == 201, proposed.get_json()
    amendment = proposed.get_json()
    assert amendment["status"] == "proposed" and amendment["proposed_by"] == "buyer"
    assert amendment["lines"] == [{"line_id": line_id, "unit_price": 180000, "quantity": None}]
    repeat = client.post(url, json=body, headers={**as_buyer, "Idempotency-Key": "am-1"})
    assert repeat.status_code == 201 and repeat.get_json()["id"] == amendment["id"]
    second = client.post(url, json=body, headers=as_coop)
    assert second.status_code == 422 and second.get_json()["errors"][0]["field"] == "body"

    listed = client.get(url, headers=as_coop).get_json()
    assert [a["id"] for a in listed["data"]] == [amendment["id"]]
    read = client.get(f"/api/v1/contracts/{contract_id}", headers=as_coop)
    assert read.get_json()["open_amendment_id"] == amendment["id"]

    answer = f"/api/v1/amendments/{amendment['id']}"
    assert client.post(f"{answer}/accept", headers=as_buyer).status_code == 403
    assert client.post(f"{answer}/withdraw", headers=as_coop).status_code == 403
    stale = client.post(f"{answer}/accept", headers={**as_coop, "If-Match": '"v1"'})
    assert stale.status_code == 412
    stranger = bearer(api_key(app, make_person(app)))
    assert client.post(f"{answer}/accept", headers=stranger).status_code == 404
    assert client.get(url, headers=stranger).status_code == 404
    assert client.post("/api/v1/amendments/2147483647/accept", headers=as_coop).status_code == 404

    accepted = client.post(
        f"{answer}/accept", headers={**as_coop, "If-Match": read.headers["ETag"]}
    )
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "accepted"
    assert accepted.headers["ETag"] == f'"v{accepted.get_json()["contract_version"]}"'
    after = client.get(f"/api/v1/contracts/{contract_id}", headers=as_buyer).get_json()
    assert after["lines"][0]["unit_price"] == 180000 and after["open_amendment_id"] is None
    answered = client.post(f"{answer}/reject", headers=as_coop)
    assert answered.status_code == 422

    extra_day = (date.fromisoformat(after["ends_on"]) - timedelta(days=1)).isoformat()
    withdrawn_body = {
        "reason": "Thêm một chuyến",
        "effective_from": starts,
        "extra_deliveries": [{"on": extra_day, "lines": [{"line_id": line_id, "quantity": 30}]}],
    }
    made = client.post(url, json=withdrawn_body, headers=as_coop)
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["extra_deliveries"][0]["lines"] == [{"line_id": line_id, "quantity": 30}]
    withdrawn = client.post(f"/api/v1/amendments/{made.get_json()['id']}/withdraw", headers=as_coop)
    assert withdrawn.status_code == 200 and withdrawn.get_json()["status"] == "withdrawn"
    with app.app_context():
        assert db.session.get_one(Amendment, amendment["id"]).decided_at is not None
        assert db.session.get_one(Contract, contract_id).lines[0].unit_price == 180000


def test_a_spot_order_is_placed_by_the_buyer_and_signed_by_the_coop(app, client):
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    listing = coop_with_listing(app, coop)
    as_buyer, as_coop = _keys(app, buyer, coop)
    with app.app_context():
        store = location_id(buyer)
    order = {
        "listing_id": listing,
        "quantity": 100,
        "unit_price": 180000,
        "delivery_on": (today() + timedelta(days=7)).isoformat(),
        "delivery_location_id": store,
    }
    other_price = client.post(
        "/api/v1/spot-orders", json={**order, "unit_price": 200000}, headers=as_buyer
    )
    assert other_price.status_code == 422
    assert [e["field"] for e in other_price.get_json()["errors"]] == ["quantity"]
    missing = client.post(
        "/api/v1/spot-orders", json={**order, "listing_id": 2147483647}, headers=as_buyer
    )
    assert missing.status_code == 404
    not_mine = client.post("/api/v1/spot-orders", json=order, headers=as_coop)
    assert not_mine.status_code == 403 and not_mine.get_json()["code"] == "missing_scope"

    placed = client.post("/api/v1/spot-orders", json=order, headers=as_buyer)
    assert placed.status_code == 201, placed.get_json()
    contract = placed.get_json()
    assert contract["kind"] == "spot" and contract["status"] == "draft"
    assert [s["side"] for s in contract["signatures"]] == ["buyer"]
    assert contract["lines"][0]["unit_price"] == 180000 and contract["lines"][0]["quantity"] == 100
    signed = client.post(
        f"/api/v1/contracts/{contract['id']}/sign", json={"confirmed": True}, headers=as_coop
    )
    assert signed.status_code == 200 and signed.get_json()["status"] == "active"
    assert signed.get_json()["delivery_plan"]["planned"] == 1


def test_notice_ends_a_contract_early(app, client):
    buyer, coop = _parties(app)
    contract_id = signed_contract(app, buyer, coop)
    as_buyer, _as_coop = _keys(app, buyer, coop)
    contract = client.get(f"/api/v1/contracts/{contract_id}", headers=as_buyer).get_json()
    url = f"/api/v1/contracts/{contract_id}/notice"
    past = client.post(
        url, json={"reason": "Đổi nhà cung cấp", "ends_on": "2020-01-01"}, headers=as_buyer
    )
    assert past.status_code == 422 and past.get_json()["errors"][0]["field"] == "ends_on"
    last_day = (date.fromisoformat(contract["starts_on"]) + timedelta(days=1)).isoformat()
    body = {"reason": "Đổi nhà cung cấp", "ends_on": last_day}
    stale = client.post(url, json=body, headers={**as_buyer, "If-Match": '"v1"'})
    assert stale.status_code == 412
    given = client.post(url, json=body, headers={**as_buyer, "Idempotency-Key": "n-1"})
    assert given.status_code == 200, given.get_json()
    ended = given.get_json()
    assert ended["status"] == "terminating" and ended["ends_on"] == last_day
    assert ended["agreed_ends_on"] == contract["ends_on"]
    assert ended["delivery_plan"]["cancelled"] == 3 and ended["delivery_plan"]["planned"] == 1
    assert client.post(url, json=body, headers=as_buyer).status_code == 409


def test_a_nul_or_a_lone_surrogate_in_a_reason_is_a_field_error_not_a_server_error(app, client):
    buyer, coop = _parties(app)
    contract_id = _draft(app, buyer, coop)
    _as_buyer, as_coop = _keys(app, buyer, coop)
    cancel = f"/api/v1/contracts/{contract_id}/cancel"
    surrogate = client.post(
        cancel,
        data='{"reason": "H\\ud800"}',
        headers={**as_coop, "Content-Type": "application/json"},
    )
    assert surrogate.status_code == 422
    assert [e["field"] for e in surrogate.get_json()["errors"]] == ["reason"]
    # A NUL, which the database cannot keep, is dropped as elsewhere in the API.
    done = client.post(cancel, json={"reason": "Hết\x00 hàng"}, headers=as_coop)
    assert done.status_code == 200 and done.get_json()["termination_reason"] == "Hết hàng"
