"""Every route × every kind of user: who may see or do what.

A private organisation page answers 404 to outsiders (its existence is private) and
403 to members whose role is too low.
"""

from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient

from marketplace.models import OrgKind, Role
from marketplace.services import organizations
from marketplace.services.context import Actor
from tests.conftest import Person, add_member, login, make_person

USERS = ["anonymous", "coop_owner", "coop_staff", "buyer", "other_coop", "admin"]


@dataclass
class Cast:
    people: dict[str, Person | None]
    org_id: int
    invitation_id: int


@pytest.fixture
def cast(app) -> Cast:
    owner = make_person(app, organization_name="HTX Sâm Lai Châu")
    staff = add_member(app, owner.organization_id, Role.STAFF)
    buyer = make_person(app, kind=OrgKind.BUYER, organization_name="Xanh Mart")
    other = make_person(app, organization_name="HTX Khác")
    admin = make_person(app, kind=None, admin=True)
    with app.app_context():
        from marketplace.extensions import db
        from marketplace.models import User

        invitation = organizations.invite_member(
            Actor(user=db.session.get_one(User, owner.id)),
            owner.organization_id,
            "x@vidu.vn",
            Role.STAFF,
        )
        invitation_id = invitation.id
        db.session.remove()
    return Cast(
        people={
            "anonymous": None,
            "coop_owner": owner,
            "coop_staff": staff,
            "buyer": buyer,
            "other_coop": other,
            "admin": admin,
        },
        org_id=owner.organization_id,
        invitation_id=invitation_id,
    )


def client_for(app, cast: Cast, who: str) -> FlaskClient:
    client = app.test_client()
    person = cast.people[who]
    if person is not None:
        login(client, person)
    return client


# (method, path template, expected status per user)
LOGGED_IN_OK = dict.fromkeys(USERS, 200) | {"anonymous": 302}
MEMBERS_ONLY = {
    "anonymous": 302,
    "coop_owner": 200,
    "coop_staff": 200,
    "buyer": 404,
    "other_coop": 404,
    "admin": 404,
}
MANAGERS_ONLY = MEMBERS_ONLY | {"coop_owner": 302, "coop_staff": 403}
ROUTES = [
    ("GET", "/", dict.fromkeys(USERS, 200)),
    ("GET", "/healthz", dict.fromkeys(USERS, 200)),
    ("GET", "/search?q=sam+lai+chau", dict.fromkeys(USERS, 200)),
    ("GET", "/signup", dict.fromkeys(USERS, 302) | {"anonymous": 200}),
    ("GET", "/login", dict.fromkeys(USERS, 302) | {"anonymous": 200}),
    ("GET", "/password/forgot", dict.fromkeys(USERS, 200)),
    ("GET", "/password/reset/bad-token", dict.fromkeys(USERS, 400)),
    ("GET", "/account", LOGGED_IN_OK),
    ("GET", "/account/password", LOGGED_IN_OK),
    ("GET", "/orgs/", LOGGED_IN_OK),
    ("GET", "/orgs/{org}", MEMBERS_ONLY),
    ("GET", "/orgs/999999", MEMBERS_ONLY | {"coop_owner": 404, "coop_staff": 404}),
    ("POST", "/orgs/{org}/invitations", MANAGERS_ONLY),
    ("POST", "/orgs/{org}/invitations/{inv}/revoke", MANAGERS_ONLY),
    ("GET", "/invitations/bad-token", dict.fromkeys(USERS, 400)),
    ("GET", "/invitations/bad-token/signup", dict.fromkeys(USERS, 400)),
    # Private files need a signed URL, whoever asks; unknown public files are 404.
    ("GET", "/media/private/orgs/1/x.pdf", dict.fromkeys(USERS, 403)),
    ("GET", "/media/public/orgs/1/none.webp", dict.fromkeys(USERS, 404)),
    ("GET", "/admin/", dict.fromkeys(USERS, 403) | {"anonymous": 302, "admin": 200}),
    ("POST", "/logout", dict.fromkeys(USERS, 302)),
    ("POST", "/lang", dict.fromkeys(USERS, 302)),
]


@pytest.mark.parametrize(
    ("method", "path", "expected"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES]
)
def test_route_permissions(app, cast, method, path, expected):
    url = path.format(org=cast.org_id, inv=cast.invitation_id)
    data = {"email": "y@vidu.vn", "role": "staff", "lang": "en"}
    for who in USERS:
        client = client_for(app, cast, who)
        response = client.open(url, method=method, data=data if method == "POST" else None)
        assert response.status_code == expected[who], (
            f"{who}: {method} {url} → {response.status_code}"
        )
        if (
            response.status_code == 302
            and expected[who] == 302
            and who == "anonymous"
            and path not in ("/logout", "/lang")
        ):
            assert response.headers["Location"].startswith("/login")


def test_every_route_is_in_the_matrix(app):
    covered = {p.split("?")[0] for _, p, _ in ROUTES}
    rules = {
        r.rule.replace("<int:org_id>", "{org}")
        .replace("<int:invitation_id>", "{inv}")
        .replace("<token>", "bad-token")
        .replace("<path:key>", "private/orgs/1/x.pdf")
        for r in app.url_map.iter_rules()
        if r.endpoint != "static"
    }
    assert rules <= covered, f"routes without permission tests: {sorted(rules - covered)}"
