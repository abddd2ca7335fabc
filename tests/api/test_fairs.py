"""The fairs area of the API: published fairs, a co-op's applications, an organiser's
review — with the pages' authorisation (another organisation's fair or application: 404)."""

from __future__ import annotations

from marketplace.extensions import db
from marketplace.models import FairApplication, Membership, OrgKind, Role
from marketplace.services import fairs
from tests.factories import (
    actor_for,
    add_member,
    api_key,
    audits,
    bearer,
    coop_with_listing,
    fair_data,
    make_person,
    open_fair,
    settle,
    verified_coop,
    verified_organiser,
)


def _draft_fair(app, organiser) -> int:
    with app.app_context():
        fair = fairs.create_fair(
            actor_for(organiser), organiser.organization_id, fair_data(name_vi="Bản nháp")
        )
        fair_id = fair.id
        settle()
        return fair_id


def test_published_fairs_with_booths_and_fees(app, client):
    organiser = verified_organiser(app)
    fair_id, type_id = open_fair(app, organiser, booths=3)
    draft_id = _draft_fair(app, organiser)
    coop = make_person(app)
    headers = bearer(api_key(app, coop))

    page = client.get("/api/v1/fairs", headers=headers).get_json()
    assert [f["id"] for f in page["data"]] == [fair_id]
    assert page["data"][0]["accepting_applications"] is True
    assert page["data"][0]["organiser"]["id"] == organiser.organization_id
    one = client.get(f"/api/v1/fairs/{fair_id}", headers=headers)
    assert one.status_code == 200 and one.headers["ETag"].startswith('"v')
    body = one.get_json()
    assert body["booth_types"] == [
        {
            "id": type_id,
            "name": "Tiêu chuẩn 3×3 m",
            "size": "3×3 m",
            "fee": 2_000_000,
            "currency": "VND",
            "includes": None,
            "staff_badges": 2,
            "booths": 3,
            "free": 3,
        }
    ]
    assert [b["code"] for b in body["booths"]] == ["A01", "A02", "A03"]
    assert all(b["free"] for b in body["booths"])
    assert client.get(f"/api/v1/fairs/{draft_id}", headers=headers).status_code == 404
    assert client.get("/api/v1/fairs/2147483647", headers=headers).status_code == 404
    # The scope: a co-op's key without it (a buyer's key cannot even hold it).
    no_fairs = bearer(api_key(app, coop, ["catalogue:read"], name="Catalogue"))
    refused = client.get("/api/v1/fairs", headers=no_fairs)
    assert refused.status_code == 403 and refused.get_json()["code"] == "missing_scope"
    buyer = make_person(app, kind=OrgKind.BUYER)
    refused = client.get("/api/v1/fairs", headers=bearer(api_key(app, buyer)))
    assert refused.status_code == 403
    assert client.get("/api/v1/fairs").status_code == 401


def test_a_coop_applies_reads_and_withdraws(app, client):
    organiser = verified_organiser(app)
    fair_id, type_id = open_fair(app, organiser)
    coop = verified_coop(app)
    listing_id = coop_with_listing(app, coop)
    headers = bearer(api_key(app, coop))
    url = f"/api/v1/fairs/{fair_id}/applications"

    missing = client.post(url, json={"contact_name": "An"}, headers=headers)
    assert missing.status_code == 422
    assert {e["field"] for e in missing.get_json()["errors"]} == {
        "booth_type_id",
        "contact_phone",
    }
    huge = client.post(
        url,
        json={"booth_type_id": 10**20, "contact_name": "An", "contact_phone": "0912345678"},
        headers=headers,
    )
    assert huge.status_code == 422
    body = {
        "booth_type_id": type_id,
        "contact_name": "Vàng A\x00 Sính",
        "contact_phone": "0912 345 678",
        "listing_ids": [listing_id],
        "needs": "Ổ điện",
    }
    phone = client.post(url, json={**body, "contact_phone": "12"}, headers=headers)
    assert phone.status_code == 422 and phone.get_json()["errors"][0]["field"] == "contact_phone"
    wrong_type = client.post(url, json={**body, "booth_type_id": 2147483647}, headers=headers)
    assert wrong_type.get_json()["errors"][0]["field"] == "booth_type_id"
    assert (
        client.post("/api/v1/fairs/2147483647/applications", json=body, headers=headers).status_code
        == 404
    )

    once = {**headers, "Idempotency-Key": "apply-1"}
    made = client.post(url, json=body, headers=once)
    assert made.status_code == 201, made.get_json()
    application = made.get_json()
    assert application["status"] == "submitted" and application["listing_ids"] == [listing_id]
    assert application["contact_name"] == "Vàng A Sính" and application["payable"] is None
    assert client.post(url, json=body, headers=once).get_json() == application
    reused = client.post(url, json={**body, "needs": ""}, headers=once)
    assert reused.status_code == 422
    twice = client.post(url, json=body, headers=headers)
    assert twice.status_code == 422 and twice.get_json()["errors"][0]["field"] == "status"

    # An unverified co-op may not apply (as on the page).
    newcomer = bearer(api_key(app, make_person(app)))
    refused = client.post(url, json=body, headers=newcomer)
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["field"] == "status"

    mine = client.get("/api/v1/fair-applications", headers=headers).get_json()
    assert [a["id"] for a in mine["data"]] == [application["id"]]
    filtered = client.get("/api/v1/fair-applications?status=accepted", headers=headers)
    assert filtered.get_json()["data"] == []
    one = client.get(f"/api/v1/fair-applications/{application['id']}", headers=headers)
    assert one.status_code == 200 and one.get_json()["id"] == application["id"]
    assert (
        client.get(f"/api/v1/fair-applications/{application['id']}", headers=newcomer).status_code
        == 404
    )
    withdraw = f"/api/v1/fair-applications/{application['id']}/withdraw"
    assert client.post(withdraw, headers=newcomer).status_code == 404
    done = client.post(withdraw, headers=headers)
    assert done.status_code == 200 and done.get_json()["status"] == "withdrawn"
    again = client.post(withdraw, headers=headers)
    assert again.status_code == 409 and again.get_json()["code"] == "wrong_state"
    with app.app_context():
        assert audits("fair.apply") == 1 and audits("fair.withdraw") == 1


def test_the_organiser_reviews_applications_to_its_own_fairs(app, client):
    organiser = verified_organiser(app)
    fair_id, type_id = open_fair(app, organiser)
    coop = verified_coop(app)
    as_coop = bearer(api_key(app, coop))
    as_organiser = bearer(api_key(app, organiser))
    made = client.post(
        f"/api/v1/fairs/{fair_id}/applications",
        json={"booth_type_id": type_id, "contact_name": "An", "contact_phone": "0912345678"},
        headers=as_coop,
    ).get_json()
    review = f"/api/v1/fair-applications/{made['id']}/review"

    listed = client.get(f"/api/v1/fairs/{fair_id}/applications", headers=as_organiser)
    assert [a["id"] for a in listed.get_json()["data"]] == [made["id"]]
    assert (
        client.get(
            f"/api/v1/fairs/{fair_id}/applications?status=rejected", headers=as_organiser
        ).get_json()["data"]
        == []
    )
    everything = client.get("/api/v1/fair-applications", headers=as_organiser).get_json()
    assert [a["id"] for a in everything["data"]] == [made["id"]]
    read = client.get(f"/api/v1/fair-applications/{made['id']}", headers=as_organiser)
    assert read.status_code == 200 and read.get_json()["coop"]["id"] == coop.organization_id

    # Not the organiser: another organiser's key and the applying co-op's key see nothing.
    rival = bearer(api_key(app, verified_organiser(app)))
    assert client.get(f"/api/v1/fairs/{fair_id}/applications", headers=rival).status_code == 404
    assert client.get(f"/api/v1/fair-applications/{made['id']}", headers=rival).status_code == 404
    assert client.post(review, json={"action": "accept"}, headers=rival).status_code == 404
    assert client.post(review, json={"action": "accept"}, headers=as_coop).status_code == 404
    assert client.get(f"/api/v1/fairs/{fair_id}/applications", headers=as_coop).status_code == 404
    # An id too large for the database: 404 for both methods of the path, never 405.
    too_large = "/api/v1/fairs/2147483648/applications"
    assert client.get(too_large, headers=as_organiser).status_code == 404
    assert client.post(too_large, json={}, headers=as_coop).status_code == 404
    long_key = {**as_coop, "Idempotency-Key": "k" * 256}
    withdraw = f"/api/v1/fair-applications/{made['id']}/withdraw"
    assert client.post(withdraw, headers=long_key).status_code == 422
    # The organiser's staff read but may not decide, as on the page.
    staff = _staff_key(app, organiser)
    assert client.get(f"/api/v1/fairs/{fair_id}/applications", headers=staff).status_code == 200
    assert client.post(review, json={"action": "accept"}, headers=staff).status_code == 403

    bad = client.post(review, json={"action": "maybe"}, headers=as_organiser)
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "action"
    no_reason = client.post(review, json={"action": "reject"}, headers=as_organiser)
    assert no_reason.status_code == 422 and no_reason.get_json()["errors"][0]["field"] == "note"
    accepted = client.post(
        review,
        json={"action": "accept", "note": "Chào mừng"},
        headers={**as_organiser, "Idempotency-Key": "accept-1"},
    )
    assert accepted.status_code == 200, accepted.get_json()
    body = accepted.get_json()
    assert body["status"] == "accepted" and body["booth_code"] == "A01"
    assert body["fee_amount"] == 2_000_000 and body["payable"] == {
        "kind": "fair_fee",
        "id": made["id"],
    }
    assert (
        client.get(f"/api/v1/fairs/{fair_id}", headers=as_coop).get_json()["booth_types"][0]["free"]
        == 1
    )
    late = client.post(review, json={"action": "waitlist"}, headers=as_organiser)
    assert late.status_code == 409
    assert client.post(withdraw, headers=as_coop).status_code == 409
    with app.app_context():
        assert db.session.get(FairApplication, made["id"]).booth_id is not None
        assert audits("fair.accept", made["id"]) == 1


def _staff_key(app, organiser):
    """A key made by a manager of the organiser who is then made staff."""
    manager = add_member(app, organiser.organization_id, Role.MANAGER)
    headers = bearer(api_key(app, manager, ["fairs"], name="Ban tổ chức"))
    with app.app_context():
        membership = db.session.scalar(
            db.select(Membership).where(
                Membership.user_id == manager.id,
                Membership.organization_id == organiser.organization_id,
            )
        )
        membership.role = Role.STAFF
        settle()
    return headers
