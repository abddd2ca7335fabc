"""Deliveries over the API: both parties list and read them; the co-op's key dispatches
(quantities and lots, by id or code), the buyer's key receives (accepted and rejected
quantities), which issues the invoice; the wrong side gets 404 as on the pages."""

from __future__ import annotations

from datetime import date, timedelta

from marketplace.extensions import db
from marketplace.models import Contract, Invoice, InvoiceStatus, OrgKind, Rfq
from marketplace.services.catalogue import listings
from marketplace.services.deals import contracts, rfqs
from marketplace.vietnam import today
from tests.factories import (
    actor_for,
    api_key,
    audits,
    award_all,
    bearer,
    coop_with_listing,
    make_person,
    post_rfq,
    settle,
    signed_contract,
    verified_buyer,
    verified_coop,
)


def _deal_with_lot(app):
    """A signed contract whose line is the co-op's listing, which has lot "LO-7":
    (buyer, coop, contract id, lot id)."""
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    listing_id = coop_with_listing(app, coop)
    rfq_id = post_rfq(app, buyer)
    with app.app_context():
        me = actor_for(coop)
        rfq = db.session.get_one(Rfq, rfq_id)
        lines = [
            rfqs.QuoteLineData(
                rfq_line_id=line.id,
                unit_price="175.000",
                quantity="120",
                vat_rate="10",
                listing_id=listing_id,
            )
            for line in rfq.lines
        ]
        quote = rfqs.submit_quote(
            me,
            rfq_id,
            coop.organization_id,
            rfqs.VersionData(lines=lines, valid_until=today() + timedelta(days=10)),
        )
        quote_id = quote.id
        lot = listings.create_lot(
            me,
            coop.organization_id,
            listing_id,
            listings.LotData(code="LO-7", produced_on=today(), quantity="500"),
            None,
        )
        lot_id = lot.id
        settle()
    contract_id = award_all(app, buyer, rfq_id, quote_id)
    with app.app_context():
        for person in (buyer, coop):
            version = db.session.get_one(Contract, contract_id).version
            contracts.sign(actor_for(person), contract_id, version, confirmed=True)
            settle()
    return buyer, coop, contract_id, lot_id


def _keys(app, buyer, coop):
    return bearer(api_key(app, buyer)), bearer(api_key(app, coop))


def _first(client, headers, contract_id) -> dict:
    page = client.get(f"/api/v1/deliveries?contract_id={contract_id}&limit=100", headers=headers)
    return min(page.get_json()["data"], key=lambda d: d["scheduled_on"])


def test_deliveries_are_listed_filtered_and_read_by_both_parties_only(app, client):
    buyer, coop, contract_id, lot_id = _deal_with_lot(app)
    as_buyer, as_coop = _keys(app, buyer, coop)

    page = client.get("/api/v1/deliveries", headers=as_buyer).get_json()
    assert len(page["data"]) == 4 and page["next_cursor"] is None
    assert {d["side"] for d in page["data"]} == {"buyer"}
    assert {d["status"] for d in page["data"]} == {"planned"}
    two = client.get("/api/v1/deliveries?limit=2", headers=as_coop).get_json()
    assert len(two["data"]) == 2 and two["next_cursor"]
    rest = client.get(f"/api/v1/deliveries?limit=2&cursor={two['next_cursor']}", headers=as_coop)
    assert len(rest.get_json()["data"]) == 2
    first_day = min(date.fromisoformat(d["scheduled_on"]) for d in page["data"])
    window = f"from={first_day.isoformat()}&to={(first_day + timedelta(days=6)).isoformat()}"
    assert len(client.get(f"/api/v1/deliveries?{window}", headers=as_coop).json["data"]) == 1
    assert client.get("/api/v1/deliveries?status=received", headers=as_coop).json["data"] == []
    other = client.get("/api/v1/deliveries?contract_id=2147483647", headers=as_coop)
    assert other.status_code == 200 and other.get_json()["data"] == []
    bad = client.get("/api/v1/deliveries?status=lost&from=yesterday&cursor=x", headers=as_buyer)
    assert bad.status_code == 422
    assert {"query.status", "query.from"} <= {e["field"] for e in bad.get_json()["errors"]}
    assert client.get("/api/v1/deliveries?cursor=xyz", headers=as_buyer).status_code == 422

    first = _first(client, as_coop, contract_id)
    read = client.get(f"/api/v1/deliveries/{first['id']}", headers=as_coop)
    assert read.status_code == 200 and read.headers["ETag"] == f'"v{first["version"]}"'
    line = read.get_json()["lines"][0]
    assert line["quantity"] == 120 and line["unit_price"] == 175000 and line["unit"] == "chai"
    assert [lot["id"] for lot in line["lots_for_dispatch"]] == [lot_id]
    assert line["lots_for_dispatch"][0]["code"] == "LO-7"
    as_seen_by_buyer = client.get(f"/api/v1/deliveries/{first['id']}", headers=as_buyer)
    assert as_seen_by_buyer.get_json()["lines"][0]["lots_for_dispatch"] == []
    assert as_seen_by_buyer.get_json()["invoice_id"] is None

    stranger = bearer(api_key(app, make_person(app)))
    assert client.get(f"/api/v1/deliveries/{first['id']}", headers=stranger).status_code == 404
    assert client.get("/api/v1/deliveries", headers=stranger).get_json()["data"] == []
    assert client.get("/api/v1/deliveries/2147483647", headers=as_coop).status_code == 404
    assert client.get("/api/v1/deliveries/99999999999", headers=as_coop).status_code == 404
    assert client.get(f"/api/v1/deliveries/{first['id']}").status_code == 401
    narrow = bearer(api_key(app, buyer, ["payments:read"], name="narrow"))
    refused = client.get(f"/api/v1/deliveries/{first['id']}", headers=narrow)
    assert refused.status_code == 403 and refused.get_json()["code"] == "missing_scope"


def test_the_buyer_cannot_dispatch_and_the_coop_cannot_receive(app, client):
    buyer, coop, contract_id, _lot_id = _deal_with_lot(app)
    as_buyer, as_coop = _keys(app, buyer, coop)
    first = _first(client, as_coop, contract_id)
    line_id = first["lines"][0]["id"]
    dispatch = {"lines": [{"line_id": line_id, "quantity": 120}], "early": True}
    receipt = {"lines": [{"line_id": line_id, "accepted": 120}]}
    url = f"/api/v1/deliveries/{first['id']}"
    assert client.post(f"{url}/dispatch", json=dispatch, headers=as_buyer).status_code == 404
    assert client.post(f"{url}/dispatch", json=dispatch, headers=as_coop).status_code == 200
    assert client.post(f"{url}/receive", json=receipt, headers=as_coop).status_code == 404
    stranger = bearer(api_key(app, make_person(app, kind=OrgKind.BUYER)))
    assert client.post(f"{url}/receive", json=receipt, headers=stranger).status_code == 404
    with app.app_context():
        assert audits("delivery.dispatch", first["id"]) == 1
        assert audits("delivery.receive", first["id"]) == 0


def test_dispatch_checks_its_lines_and_is_idempotent(app, client):
    buyer, coop, contract_id, lot_id = _deal_with_lot(app)
    _as_buyer, as_coop = _keys(app, buyer, coop)
    first = _first(client, as_coop, contract_id)
    line_id = first["lines"][0]["id"]
    url = f"/api/v1/deliveries/{first['id']}/dispatch"

    def refused(body, headers=as_coop):
        response = client.post(url, json=body, headers=headers)
        assert response.status_code == 422, response.get_json()
        return [e["field"] for e in response.get_json()["errors"]]

    assert refused({"lines": [{"line_id": line_id, "quantity": 120}]}) == ["early"]
    assert refused({"lines": [{"line_id": 2147483647, "quantity": 1}], "early": True}) == [
        "lines.0.line_id"
    ]
    assert refused({"lines": [{"line_id": line_id, "quantity": 121}], "early": True}) == [
        "lines.0.quantity"
    ]
    assert refused({"lines": [{"line_id": line_id, "quantity": 0}], "early": True}) == ["body"]
    unknown_lot = {"lines": [{"line_id": line_id, "quantity": 5, "lot_code": "NO"}], "early": True}
    assert refused(unknown_lot) == ["lines.0.lot_code"]
    assert refused({"lines": [], "early": True}) == ["lines"]
    too_big = refused({"lines": [{"line_id": line_id, "quantity": 10**12}], "early": True})
    assert too_big == ["lines.0.quantity"]

    body = {
        "lines": [{"line_id": line_id, "quantity": 100, "lot_code": "LO-7"}],
        "note": "Xe tải 29C",
        "early": True,
    }
    stale = client.post(url, json=body, headers={**as_coop, "If-Match": '"v42"'})
    assert stale.status_code == 412
    headers = {**as_coop, "If-Match": f'"v{first["version"]}"', "Idempotency-Key": "d-1"}
    sent = client.post(url, json=body, headers=headers)
    assert sent.status_code == 200, sent.get_json()
    delivery = sent.get_json()
    assert delivery["status"] == "dispatched" and delivery["partial"] is True
    assert delivery["lines"][0]["dispatched_quantity"] == 100
    assert delivery["lines"][0]["lot_id"] == lot_id and delivery["lines"][0]["lot_code"] == "LO-7"
    assert delivery["dispatch_note"] == "Xe tải 29C"
    assert sent.headers["ETag"] == f'"v{delivery["version"]}"'
    repeat = client.post(url, json=body, headers=headers)
    assert repeat.status_code == 200 and repeat.get_json() == delivery
    reused = client.post(url, json={**body, "note": "khác"}, headers=headers)
    assert reused.status_code == 422 and reused.get_json()["code"] == "idempotency_key_reused"
    again = client.post(url, json=body, headers=as_coop)
    assert again.status_code == 409 and again.get_json()["code"] == "wrong_state"
    with app.app_context():
        assert audits("delivery.dispatch", first["id"]) == 1


def test_a_signed_contract_to_an_issued_invoice_through_the_api(app, client):
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    coop_with_listing(app, coop)
    contract_id = signed_contract(app, buyer, coop)
    as_buyer, as_coop = _keys(app, buyer, coop)

    contract = client.get(f"/api/v1/contracts/{contract_id}", headers=as_coop).get_json()
    assert contract["status"] == "active"
    delivery_id = contract["delivery_plan"]["next_delivery_id"]
    planned = client.get(f"/api/v1/deliveries/{delivery_id}", headers=as_coop)
    line_id = planned.get_json()["lines"][0]["id"]

    dispatched = client.post(
        f"/api/v1/deliveries/{delivery_id}/dispatch",
        json={"lines": [{"line_id": line_id, "quantity": 120}], "early": True},
        headers={**as_coop, "If-Match": planned.headers["ETag"], "Idempotency-Key": "go"},
    )
    assert dispatched.status_code == 200, dispatched.get_json()

    read = client.get(f"/api/v1/deliveries/{delivery_id}", headers=as_buyer)
    assert read.get_json()["status"] == "dispatched"
    url = f"/api/v1/deliveries/{delivery_id}/receive"
    over = {"lines": [{"line_id": line_id, "accepted": 120, "rejected": 1, "reason": "vỡ"}]}
    assert client.post(url, json=over, headers=as_buyer).status_code == 422
    no_reason = {"lines": [{"line_id": line_id, "accepted": 100, "rejected": 20}]}
    refused = client.post(url, json=no_reason, headers=as_buyer)
    assert refused.status_code == 422
    assert [e["field"] for e in refused.get_json()["errors"]] == ["lines.0.reason"]
    receipt = {
        "lines": [{"line_id": line_id, "accepted": 100, "rejected": 20, "reason": "Vỡ 20 chai"}],
        "note": "Nhận tại kho Láng Hạ",
    }
    stale = client.post(
        url, json=receipt, headers={**as_buyer, "If-Match": planned.headers["ETag"]}
    )
    assert stale.status_code == 412
    headers = {**as_buyer, "If-Match": read.headers["ETag"], "Idempotency-Key": "recv-1"}
    received = client.post(url, json=receipt, headers=headers)
    assert received.status_code == 200, received.get_json()
    body = received.get_json()
    assert body["status"] == "received" and body["invoice_id"] is not None
    assert body["lines"][0]["accepted_quantity"] == 100
    assert body["lines"][0]["rejected_quantity"] == 20
    assert body["lines"][0]["rejection_reason"] == "Vỡ 20 chai"
    assert client.post(url, json=receipt, headers=headers).get_json() == body
    assert client.post(url, json=receipt, headers=as_buyer).status_code == 409

    after = client.get(f"/api/v1/contracts/{contract_id}", headers=as_buyer).get_json()
    assert after["invoice_ids"] == [body["invoice_id"]]
    assert after["delivery_plan"]["received"] == 1
    listed = client.get("/api/v1/deliveries?status=received", headers=as_coop).get_json()
    assert [(d["id"], d["invoice_id"]) for d in listed["data"]] == [
        (delivery_id, body["invoice_id"])
    ]
    with app.app_context():
        invoice = db.session.get_one(Invoice, body["invoice_id"])
        assert invoice.status is InvoiceStatus.ISSUED and invoice.delivery_id == delivery_id
        assert invoice.subtotal == 100 * 175000


def test_a_nul_or_a_lone_surrogate_in_a_note_is_a_field_error_not_a_server_error(app, client):
    buyer, coop, contract_id, _lot_id = _deal_with_lot(app)
    _as_buyer, as_coop = _keys(app, buyer, coop)
    first = _first(client, as_coop, contract_id)
    line_id = first["lines"][0]["id"]
    url = f"/api/v1/deliveries/{first['id']}/dispatch"
    surrogate = client.post(
        url,
        data=f'{{"lines": [{{"line_id": {line_id}, "quantity": 120, "lot_code": "L\\ud800"}}], '
        '"early": true, "note": "x\\udc00"}',
        headers={**as_coop, "Content-Type": "application/json"},
    )
    assert surrogate.status_code == 422
    assert {e["field"] for e in surrogate.get_json()["errors"]} == {"lines.0.lot_code", "note"}
    body = {"lines": [{"line_id": line_id, "quantity": 120}], "early": True, "note": "Xe\x00 2"}
    sent = client.post(url, json=body, headers=as_coop)
    assert sent.status_code == 200, sent.get_json()
    assert sent.get_json()["dispatch_note"] == "Xe 2"
