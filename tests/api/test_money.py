"""The money area of the API: invoices (list, read, PDF), payables with how to pay them,
payments; a buyer's "I have transferred" and a co-op recording the transfer that arrived."""

from __future__ import annotations

from datetime import timedelta

from marketplace.extensions import db
from marketplace.models import Invoice, InvoiceStatus, Membership, OrgKind, Role
from marketplace.vietnam import today
from tests.factories import api_key, audits, bearer, invoiced, make_person, settle


def _keys(app, buyer, coop):
    return bearer(api_key(app, buyer)), bearer(api_key(app, coop))


def test_invoices_are_listed_and_read_by_both_parties_only(app, client):
    buyer, coop, invoice_id, total = invoiced(app)
    as_buyer, as_coop = _keys(app, buyer, coop)
    stranger = bearer(api_key(app, make_person(app, kind=OrgKind.BUYER)))

    page = client.get("/api/v1/invoices", headers=as_buyer).get_json()
    assert [i["id"] for i in page["data"]] == [invoice_id] and page["next_cursor"] is None
    first = page["data"][0]
    assert first["side"] == "buyer" and first["total"] == total and first["currency"] == "VND"
    assert first["outstanding"] == total and first["paid"] == 0
    assert first["payable"] == {"kind": "invoice", "id": invoice_id}
    coop_page = client.get("/api/v1/invoices?status=issued", headers=as_coop).get_json()
    assert coop_page["data"][0]["side"] == "coop"
    assert client.get("/api/v1/invoices?status=paid", headers=as_coop).get_json()["data"] == []
    assert client.get("/api/v1/invoices", headers=stranger).get_json()["data"] == []
    bad = client.get("/api/v1/invoices?status=lost&limit=1000", headers=as_buyer)
    assert bad.status_code == 422
    assert {e["field"] for e in bad.get_json()["errors"]} == {"query.status", "query.limit"}

    one = client.get(f"/api/v1/invoices/{invoice_id}", headers=as_buyer)
    assert one.status_code == 200 and one.headers["ETag"]
    body = one.get_json()
    assert body["lines"][0]["quantity"] == 120 and body["lines"][0]["vat_rate"] == "10"
    assert sum(r["vat"] for r in body["vat_by_rate"]) == body["vat_total"]
    assert body["subtotal"] + body["vat_total"] == body["total"] == total
    instructions = body["payment_instructions"]
    assert instructions["account"] == "8800205123456" and instructions["amount"] == total
    assert instructions["reference"].startswith("CHI")
    assert client.get(f"/api/v1/invoices/{invoice_id}", headers=stranger).status_code == 404
    assert client.get("/api/v1/invoices/2147483647", headers=as_buyer).status_code == 404
    assert client.get("/api/v1/invoices/99999999999", headers=as_buyer).status_code == 404
    assert client.get(f"/api/v1/invoices/{invoice_id}").status_code == 401
    no_scope = bearer(api_key(app, buyer, ["procurement"], name="no money"))
    refused = client.get(f"/api/v1/invoices/{invoice_id}", headers=no_scope)
    assert refused.status_code == 403 and refused.get_json()["code"] == "missing_scope"


def test_the_invoice_pdf_is_the_pages_document(app, client):
    buyer, coop, invoice_id, _total = invoiced(app)
    as_buyer, _as_coop = _keys(app, buyer, coop)
    response = client.get(f"/api/v1/invoices/{invoice_id}/pdf", headers=as_buyer)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert "attachment" in response.headers["Content-Disposition"]
    stranger = bearer(api_key(app, make_person(app)))
    missing = client.get(f"/api/v1/invoices/{invoice_id}/pdf", headers=stranger)
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    document = client.get("/api/v1/openapi.json").get_json()
    answers = document["paths"]["/api/v1/invoices/{invoice_id}/pdf"]["get"]["responses"]
    assert "application/pdf" in answers["200"]["content"]


def test_a_whole_payment_through_the_api(app, client):
    buyer, coop, invoice_id, total = invoiced(app)
    as_buyer, as_coop = _keys(app, buyer, coop)
    url = f"/api/v1/payables/invoice/{invoice_id}"

    payable = client.get(url, headers=as_buyer).get_json()
    assert payable["state"] == "open" and payable["outstanding"] == total
    assert payable["is_payer"] is True and payable["handles_money"] is False
    assert payable["bank_transfer"]["reference"] == payable["bank_transfer"]["reference"].upper()
    assert payable["payer"]["id"] == buyer.organization_id
    assert payable["payee"]["id"] == coop.organization_id and payable["awaiting_claim"] is None
    as_payee = client.get(url, headers=as_coop).get_json()
    assert as_payee["is_payer"] is False and as_payee["handles_money"] is True
    for wrong in ("/api/v1/payables/parcel/1", "/api/v1/payables/invoice/2147483647"):
        assert client.get(wrong, headers=as_buyer).status_code == 404
    stranger = bearer(api_key(app, make_person(app, kind=OrgKind.BUYER)))
    assert client.get(url, headers=stranger).status_code == 404

    # The buyer says it has transferred (a co-op's key cannot even hold that scope).
    claim_url = url + "/transfer-claims"
    assert client.post(claim_url, json={}, headers=as_coop).status_code == 403
    broken = client.post(claim_url, data=b"\x00", content_type="application/json", headers=as_buyer)
    assert broken.status_code == 400 and broken.mimetype == "application/problem+json"
    bad = client.post(claim_url, json={"amount": "lots"}, headers=as_buyer)
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "amount"
    future = (today() + timedelta(days=3)).isoformat()
    refused = client.post(claim_url, json={"paid_on": future}, headers=as_buyer)
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["field"] == "paid_on"
    once = {**as_buyer, "Idempotency-Key": "claim-1"}
    body = {"bank_reference": "FT2605\x0012345"}
    claimed = client.post(claim_url, json=body, headers=once)
    assert claimed.status_code == 201, claimed.get_json()
    claim = claimed.get_json()
    assert claim["amount"] == total and claim["status"] == "awaiting"
    assert claim["bank_reference"] == "FT260512345"
    again = client.post(claim_url, json=body, headers=once)
    assert again.status_code == 201 and again.get_json() == claim
    other = client.post(claim_url, json={"amount": 5}, headers=once)
    assert other.status_code == 422 and other.get_json()["code"] == "idempotency_key_reused"
    twice = client.post(claim_url, json={}, headers=as_buyer)
    assert twice.status_code == 422
    assert client.get(url, headers=as_coop).get_json()["awaiting_claim"]["id"] == claim["id"]
    with app.app_context():
        assert audits("payment.claim") == 1

    # The co-op records what reached its account: the buyer may not, nor the co-op's staff.
    record_url = url + "/transfers"
    paid_on = today().isoformat()
    transfer = {"amount": total, "paid_on": paid_on, "bank_reference": "FT260512345"}
    assert client.post(record_url, json=transfer, headers=as_buyer).status_code == 403
    missing = client.post(record_url, json={"amount": total}, headers=as_coop)
    assert missing.status_code == 422
    assert {e["field"] for e in missing.get_json()["errors"]} == {"paid_on", "bank_reference"}
    short = client.post(record_url, json={**transfer, "amount": total - 1}, headers=as_coop)
    assert short.status_code == 422 and short.get_json()["errors"][0]["field"] == "amount"
    huge = client.post(record_url, json={**transfer, "amount": 10**30}, headers=as_coop)
    assert huge.status_code == 422
    staff = _staff_key(app, coop)
    assert client.post(record_url, json=transfer, headers=staff).status_code == 403
    recorded = client.post(record_url, json=transfer, headers=as_coop)
    assert recorded.status_code == 201, recorded.get_json()
    payment = recorded.get_json()
    assert payment["status"] == "succeeded" and payment["method"] == "bank_transfer"
    assert payment["payable"] == {"kind": "invoice", "id": invoice_id}
    with app.app_context():
        assert db.session.get(Invoice, invoice_id).status is InvoiceStatus.PAID

    settled = client.get(url, headers=as_buyer).get_json()
    assert settled["state"] == "paid" and settled["outstanding"] == 0
    assert settled["bank_transfer"] is None and [p["id"] for p in settled["payments"]] == [
        payment["id"]
    ]
    read = client.get(f"/api/v1/invoices/{invoice_id}", headers=as_buyer).get_json()
    assert read["status"] == "paid" and read["paid"] == total and read["outstanding"] == 0
    again = client.post(record_url, json=transfer, headers=as_coop)
    assert again.status_code == 422

    # Payments: both parties see it, no one else.
    for headers in (as_buyer, as_coop):
        page = client.get("/api/v1/payments?limit=1", headers=headers).get_json()
        assert [p["id"] for p in page["data"]] == [payment["id"]]
    assert client.get("/api/v1/payments?status=failed", headers=as_coop).get_json()["data"] == []
    assert client.get("/api/v1/payments", headers=stranger).get_json()["data"] == []
    one = client.get(f"/api/v1/payments/{payment['id']}", headers=as_buyer)
    assert one.status_code == 200 and one.headers["ETag"] == '"v1"'
    assert one.get_json()["amount"] == total
    assert client.get(f"/api/v1/payments/{payment['id']}", headers=stranger).status_code == 404
    cursor = client.get("/api/v1/payments?cursor=nonsense", headers=as_buyer)
    assert cursor.status_code == 422


def _staff_key(app, coop):
    """A key made by a manager of the co-op who is then made staff: it acts as staff."""
    from tests.factories import add_member

    manager = add_member(app, coop.organization_id, Role.MANAGER)
    headers = bearer(api_key(app, manager, ["sales", "payments:read"], name="Kế toán"))
    with app.app_context():
        membership = db.session.scalar(
            db.select(Membership).where(
                Membership.user_id == manager.id,
                Membership.organization_id == coop.organization_id,
            )
        )
        membership.role = Role.STAFF
        settle()
    return headers
