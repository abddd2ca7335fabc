"""What every API operation shares: keys and scopes, problem documents, languages, ETags,
cursor pages, and the OpenAPI document itself."""

from __future__ import annotations

from openapi_spec_validator import validate

from marketplace.extensions import db
from marketplace.models import ApiKey, OrgKind
from marketplace.services import api_keys
from tests.factories import actor_for, api_key, audits, bearer, make_person, settle


def test_the_document_is_valid_openapi_3_1(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    validate(document)
    assert "/api/v1/categories" in document["paths"]
    operation = document["paths"]["/api/v1/categories"]["get"]
    assert {"401", "403", "429"} <= set(operation["responses"])
    problem = document["components"]["responses"]["UNAUTHORIZED"]["content"]
    assert "application/problem+json" in problem


def test_no_key_unknown_key_and_revoked_key_are_401_problems(app, client):
    coop = make_person(app)
    assert client.get("/api/v1/categories").status_code == 401
    response = client.get("/api/v1/categories", headers=bearer("chx_nothing_here"))
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 401 and body["code"] == "unauthenticated" and body["title"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")

    token = api_key(app, coop)
    assert client.get("/api/v1/categories", headers=bearer(token)).status_code == 200
    with app.app_context():
        key = db.session.scalar(db.select(ApiKey))
        api_keys.revoke_key(actor_for(coop), coop.organization_id, key.id)
        settle()
    response = client.get("/api/v1/categories", headers=bearer(token))
    assert response.status_code == 401 and response.get_json()["code"] == "revoked_key"
    with app.app_context():
        assert audits("api_key.create") == 1 and audits("api_key.revoke") == 1


def test_a_key_without_the_scope_is_refused_with_403(app, client):
    coop = make_person(app)
    token = api_key(app, coop, ["fairs"])
    response = client.get("/api/v1/categories", headers=bearer(token))
    assert response.status_code == 403
    assert response.get_json()["code"] == "missing_scope"


def test_problems_speak_the_accept_language(app, client):
    vi = client.get("/api/v1/categories")
    en = client.get("/api/v1/categories", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert vi.get_json()["title"] != en.get_json()["title"]
    assert en.get_json()["title"] == "Not authenticated"


def test_reads_carry_an_etag_and_answer_304(app, client):
    coop = make_person(app)
    headers = bearer(api_key(app, coop))
    first = client.get("/api/v1/categories", headers=headers)
    tag = first.headers["ETag"]
    again = client.get("/api/v1/categories", headers={**headers, "If-None-Match": tag})
    assert again.status_code == 304


def test_scopes_must_fit_the_kind_of_organisation(app):
    buyer = make_person(app, kind=OrgKind.BUYER)
    with app.app_context():
        try:
            api_keys.create_key(actor_for(buyer), buyer.organization_id, "ERP", ["sales"])
        except Exception as exc:  # noqa: BLE001
            assert "scopes" in exc.errors
        else:
            raise AssertionError("a buyer's key may not sell")


def test_only_a_hash_is_stored_and_last_use_is_noted(app, client):
    coop = make_person(app)
    token = api_key(app, coop)
    client.get("/api/v1/categories", headers=bearer(token))
    with app.app_context():
        key = db.session.scalar(db.select(ApiKey))
        assert token not in (key.key_hash, key.prefix) and len(key.key_hash) == 64
        assert key.last_used_at is not None


def test_each_key_has_its_own_rate_limit(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "3 per minute")
    first = bearer(api_key(app, make_person(app)))
    second = bearer(api_key(app, make_person(app)))
    answers = [client.get("/api/v1/categories", headers=first).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    refused = client.get("/api/v1/categories", headers=first)
    assert refused.mimetype == "application/problem+json"
    assert refused.get_json()["code"] == "too_many_requests"
    assert int(refused.headers["Retry-After"]) > 0
    # Another organisation's key is counted apart.
    assert client.get("/api/v1/categories", headers=second).status_code == 200


def test_a_write_through_a_key_is_audited_with_the_keys_name(app, client):
    from marketplace.models import AuditEntry
    from tests.factories import category_id

    coop = make_person(app)
    headers = bearer(api_key(app, coop, name="Website HTX"))
    with app.app_context():
        wine = category_id("ruou")
    response = client.post(
        "/api/v1/own/listings",
        json={
            "title_vi": "Rượu sâm",
            "category_id": wine,
            "unit": "chai",
            "base_price": 200_000,
            "monthly_capacity": 100,
            "origin_province": "Lai Châu",
        },
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()
    with app.app_context():
        entry = db.session.scalar(
            db.select(AuditEntry).where(AuditEntry.action == "listing.create")
        )
        assert entry.details["api_key"] == "Website HTX"
        assert entry.actor_id == coop.id


def test_a_cursor_past_the_largest_id_is_refused_not_a_server_error(app, client):
    import base64
    import json

    headers = bearer(api_key(app, make_person(app)))
    for after in (2**31, 10**40):
        cursor = base64.urlsafe_b64encode(json.dumps({"after": after}).encode()).decode()
        for path in ("/api/v1/listings", "/api/v1/coops", "/api/v1/own/listings"):
            response = client.get(path, query_string={"cursor": cursor}, headers=headers)
            assert response.status_code == 422, (path, response.get_json())
            assert response.get_json()["errors"][0]["field"] == "query.cursor"


def test_a_nul_in_the_key_or_the_idempotency_key_is_refused_not_a_server_error(app, client):
    token = api_key(app, make_person(app))
    prefix = token.split("_")[1]
    for sent in (f"chx_{prefix}\x00_x", f"chx_ab\x00c_{prefix}", f"{token}\x00"):
        response = client.get("/api/v1/categories", headers=bearer(sent))
        assert response.status_code == 401, response.get_json()
    response = client.post(
        "/api/v1/own/listings", json={}, headers=bearer(token, **{"Idempotency-Key": "a\x00b"})
    )
    assert response.status_code == 422
    assert response.get_json()["code"] == "invalid_idempotency_key"
    assert response.get_json()["errors"][0]["field"] == "Idempotency-Key"


def test_a_body_nested_too_deeply_is_a_400_problem_not_a_server_error(app, client):
    headers = bearer(api_key(app, make_person(app)))
    for extra in ({}, {"Idempotency-Key": "deep-1"}):
        response = client.post(
            "/api/v1/own/listings",
            data=b"[" * 5000,
            headers={**headers, **extra, "Content-Type": "application/json"},
        )
        assert response.status_code == 400
        assert response.mimetype == "application/problem+json"
