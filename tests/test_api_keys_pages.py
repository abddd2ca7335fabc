"""An organisation's API keys page: who may use it, a new key shown once, revoking, the
permissions offered by kind of organisation, and refused forms that keep what was typed."""

from __future__ import annotations

import re

import pytest

from marketplace.extensions import db
from marketplace.models import ApiKey, OrgKind, Role
from marketplace.services import api_keys
from tests.factories import add_member, api_key, audits, bearer, login, make_person

TOKEN = re.compile(r"chx_[0-9a-f]{12}_[A-Za-z0-9_-]{20,}")


def _client(app, person):
    client = app.test_client()
    if person is not None:
        login(client, person)
    return client


def _make(client, org_id: int, name: str = "ERP kho Hà Nội", scopes=("catalogue:read",)):
    return client.post(
        f"/orgs/{org_id}/integrations/keys", data={"name": name, "scopes": list(scopes)}
    )


@pytest.fixture
def coop(app):
    return make_person(app, organization_name="HTX Sâm Lai Châu")


def test_owners_and_managers_see_the_page_staff_get_403_and_outsiders_404(app, coop):
    org = coop.organization_id
    manager = add_member(app, org, Role.MANAGER)
    staff = add_member(app, org, Role.STAFF)
    other = make_person(app)
    url = f"/orgs/{org}/integrations"
    for person, status in ((coop, 200), (manager, 200), (staff, 403), (other, 404)):
        client = _client(app, person)
        assert client.get(url).status_code == status
        assert _make(client, org).status_code == status
    anonymous = app.test_client().get(url)
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login")
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ApiKey.id))) == 2


def test_the_organisation_page_links_managers_to_the_keys(app, coop):
    staff = add_member(app, coop.organization_id, Role.STAFF)
    link = f'href="/orgs/{coop.organization_id}/integrations"'
    assert link in _client(app, coop).get(f"/orgs/{coop.organization_id}").get_data(True)
    assert link not in _client(app, staff).get(f"/orgs/{coop.organization_id}").get_data(True)


def test_a_new_key_is_shown_once_and_works(app, coop):
    client = _client(app, coop)
    org = coop.organization_id
    response = _make(client, org, scopes=("catalogue:read", "sales"))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    token = TOKEN.search(html).group(0)
    assert f'data-copy="{token}"' in html  # the copy button (static/js/app.js)
    assert 'id="shown-once"' in html and "<script>" not in html
    assert f"Bearer {token}" in html and "/api/v1/categories" in html  # the curl example
    # The API takes it.
    assert client.get("/api/v1/categories", headers=bearer(token)).status_code == 200
    # The list shows its name, prefix and permissions in words, never the key again.
    page = client.get(f"/orgs/{org}/integrations").get_data(as_text=True)
    prefix = token.split("_")[1]
    assert "ERP kho Hà Nội" in page and f"chx_{prefix}…" in page
    assert token not in page and token.rsplit("_", 1)[1] not in page
    with app.test_request_context():
        assert str(api_keys.SCOPES["sales"]) in page
    with app.app_context():
        key = db.session.scalar(db.select(ApiKey))
        assert key.scopes == ["catalogue:read", "sales"] and key.key_hash != token
        assert audits("api_key.create", key.id) == 1
    # The session cookie never carries it either.
    assert token not in (client.get_cookie("session").value if client.get_cookie("session") else "")


def test_a_key_never_used_says_so(app, coop):
    client = _client(app, coop)
    api_key(app, coop, ["catalogue:read"], name="Website")
    page = client.get(f"/orgs/{coop.organization_id}/integrations").get_data(as_text=True)
    assert "Website" in page and "chưa bao giờ" in page.lower()


def test_revoking_asks_first_then_refuses_the_key(app, coop):
    token = api_key(app, coop, ["catalogue:read"], name="Cũ")
    client = _client(app, coop)
    org = coop.organization_id
    with app.app_context():
        key_id = db.session.scalar(db.select(ApiKey.id))
    page = client.get(f"/orgs/{org}/integrations").get_data(as_text=True)
    assert f'action="/orgs/{org}/integrations/keys/{key_id}/revoke"' in page
    assert '<details class="confirm">' in page  # the button is behind a confirmation
    response = client.post(f"/orgs/{org}/integrations/keys/{key_id}/revoke")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/orgs/{org}/integrations")
    assert client.get("/api/v1/categories", headers=bearer(token)).status_code == 401
    page = client.get(f"/orgs/{org}/integrations").get_data(as_text=True)
    assert "api-key--revoked" in page and f"/keys/{key_id}/revoke" not in page
    # Again: nothing changes; another organisation's key: 404.
    assert client.post(f"/orgs/{org}/integrations/keys/{key_id}/revoke").status_code == 302
    other = make_person(app)
    other_client = _client(app, other)
    url = f"/orgs/{other.organization_id}/integrations/keys/{key_id}/revoke"
    assert other_client.post(url).status_code == 404
    with app.app_context():
        assert audits("api_key.revoke", key_id) == 1


@pytest.mark.parametrize("kind", [OrgKind.COOP, OrgKind.BUYER, OrgKind.FAIR_ORGANIZER])
def test_the_permissions_offered_are_those_of_the_kind(app, kind):
    person = make_person(app, kind=kind)
    page = _client(app, person).get(f"/orgs/{person.organization_id}/integrations")
    offered = re.findall(r'name="scopes" value="([^"]+)"', page.get_data(as_text=True))
    assert offered == list(api_keys.scopes_for(kind))


def test_a_scope_not_for_the_kind_is_refused(app):
    buyer = make_person(app, kind=OrgKind.BUYER)
    response = _make(_client(app, buyer), buyer.organization_id, scopes=("sales",))
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ApiKey.id))) == 0


def test_refused_forms_keep_the_typed_name_with_errors_beside_the_fields(app, coop):
    client = _client(app, coop)
    response = _make(client, coop.organization_id, name="Kho lạnh <b>", scopes=())
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="Kho lạnh &lt;b&gt;"' in html
    assert 'id="scopes-error"' in html and 'id="error-summary"' in html
    assert TOKEN.search(html) is None
    # No name: the error is beside the name, the ticked permissions stay ticked.
    response = _make(client, coop.organization_id, name="  ", scopes=("sales",))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="name-error"' in html
    assert re.search(r'value="sales" checked', html)


def test_last_use_is_shown_in_vietnam_time(app, coop):
    from datetime import UTC, datetime

    api_key(app, coop, ["catalogue:read"], name="Kho")
    with app.app_context():
        key = db.session.scalar(db.select(ApiKey))
        key.last_used_at = datetime(2026, 12, 6, 18, 30, tzinfo=UTC)
        db.session.commit()
    page = _client(app, coop).get(f"/orgs/{coop.organization_id}/integrations")
    assert "07/12/2026 01:30" in page.get_data(as_text=True)


def test_sending_the_same_form_again_makes_no_second_key(app, coop):
    client = _client(app, coop)
    url = f"/orgs/{coop.organization_id}/integrations/keys"
    data = {"name": "ERP", "scopes": ["catalogue:read"], "submission": "form-token-1"}
    first = client.post(url, data=data)
    assert first.status_code == 200 and TOKEN.search(first.get_data(as_text=True))
    again = client.post(url, data=data)  # the browser's "send again" after a reload
    assert again.status_code == 302
    assert again.headers["Location"].endswith(f"/orgs/{coop.organization_id}/integrations")
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ApiKey.id))) == 1
