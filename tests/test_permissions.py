"""Every route × every kind of user: who may see or do what.

A private organisation page answers 404 to outsiders (its existence is private) and
403 to members whose role is too low.
"""

from dataclasses import dataclass
from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from marketplace.models import Category, Fair, Membership, Organization, OrgKind, Role
from marketplace.services import certificates, fairs, listings, organizations
from marketplace.services.context import Actor
from tests.conftest import (
    Person,
    add_member,
    login,
    make_person,
    settle,
    verified_coop,
    verified_organiser,
)
from tests.test_fairs import application as fair_application
from tests.test_fairs import open_fair

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
USERS = ["anonymous", "coop_owner", "coop_staff", "buyer", "other_coop", "admin", "organiser"]


@dataclass
class Cast:
    people: dict[str, Person | None]
    org_id: int
    invitation_id: int
    certificate_id: int
    staff_membership_id: int
    extra_membership_id: int
    slug: str
    listing_id: int
    lot_code: str
    category_id: int
    organiser_org_id: int
    fair_id: int
    fair_slug: str
    application_id: int

    def url(self, path: str) -> str:
        """A route pattern of the matrix with this cast's ids filled in."""
        return path.format(
            org=self.org_id,
            inv=self.invitation_id,
            cert=self.certificate_id,
            staff=self.staff_membership_id,
            extra=self.extra_membership_id,
            slug=self.slug,
            listing=self.listing_id,
            lot=self.lot_code,
            category=self.category_id,
            organiser_org=self.organiser_org_id,
            fair=self.fair_id,
            fair_slug=self.fair_slug,
            application=self.application_id,
        )


@pytest.fixture
def cast(app) -> Cast:
    owner = make_person(app, organization_name="HTX Sâm Lai Châu")
    staff = add_member(app, owner.organization_id, Role.STAFF)
    extra = add_member(app, owner.organization_id, Role.STAFF)
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
        certificate = certificates.add_certificate(
            Actor(user=db.session.get_one(User, owner.id)),
            owner.organization_id,
            certificates.CertificateData(
                kind="vietgap",
                number="VG-01",
                issuer="Trung tâm Chứng nhận",
                issued_on=date(2025, 1, 1),
                expires_on=date(2028, 1, 1),
            ),
            PDF,
        )
        memberships = {m.user_id: m.id for m in db.session.scalars(select(Membership))}
        organization = db.session.get_one(Organization, owner.organization_id)
        owner_actor = Actor(user=db.session.get_one(User, owner.id))
        organization.province_code = "lai-chau"
        db.session.commit()
        category = db.session.scalar(select(Category).where(Category.slug == "ruou"))
        listing = listings.create_listing(
            owner_actor,
            owner.organization_id,
            listings.ListingData(
                title_vi="Rượu sâm",
                category_id=category.id,
                unit="chai",
                base_price="200.000",
                monthly_capacity="100",
            ),
        )
        lot = listings.create_lot(
            owner_actor,
            owner.organization_id,
            listing.id,
            listings.LotData(code="L1", produced_on=date(2026, 1, 5), quantity="10"),
            None,
        )
        ids = (
            certificate.id,
            memberships[staff.id],
            memberships[extra.id],
            organization.slug,
            listing.id,
            lot.public_code,
            category.id,
        )
        settle()
    organiser = verified_organiser(app)
    exhibitor = verified_coop(app, organization_name="HTX Triển Lãm")
    fair_id, type_id = open_fair(app, organiser)
    with app.app_context():
        fair_slug = db.session.get_one(Fair, fair_id).slug
        applied = fairs.apply(
            Actor(user=db.session.get_one(User, exhibitor.id)),
            exhibitor.organization_id,
            fair_id,
            fair_application(type_id),
        )
        application_id = applied.id
        settle()
    return Cast(
        people={
            "anonymous": None,
            "coop_owner": owner,
            "coop_staff": staff,
            "buyer": buyer,
            "other_coop": other,
            "admin": admin,
            "organiser": organiser,
        },
        org_id=owner.organization_id,
        invitation_id=invitation_id,
        certificate_id=ids[0],
        staff_membership_id=ids[1],
        extra_membership_id=ids[2],
        slug=ids[3],
        listing_id=ids[4],
        lot_code=ids[5],
        category_id=ids[6],
        organiser_org_id=organiser.organization_id,
        fair_id=fair_id,
        fair_slug=fair_slug,
        application_id=application_id,
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
ADMIN_ONLY = dict.fromkeys(USERS, 403) | {"anonymous": 302, "admin": 200}
ORGANISER_ONLY = dict.fromkeys(USERS, 404) | {"anonymous": 302, "organiser": 200}
ROUTES = [
    ("GET", "/", dict.fromkeys(USERS, 200)),
    ("GET", "/healthz", dict.fromkeys(USERS, 200)),
    ("GET", "/search?q=sam+lai+chau", dict.fromkeys(USERS, 200)),
    ("GET", "/search?province=atlantis", dict.fromkeys(USERS, 400)),
    ("GET", "/api/v1/search?q=sam&ocop=4&sort=price_asc", dict.fromkeys(USERS, 200)),
    ("GET", "/api/v1/search?page=999999", dict.fromkeys(USERS, 400)),
    ("GET", "/api/v1/search/suggest?q=sam+l", dict.fromkeys(USERS, 200)),
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
    ("GET", "/admin/", ADMIN_ONLY),
    ("GET", "/admin/verifications", ADMIN_ONLY),
    ("GET", "/admin/verifications/{org}", ADMIN_ONLY),
    # The admin's decision on a draft is refused with a message (and a redirect).
    ("POST", "/admin/verifications/{org}/decide", ADMIN_ONLY | {"admin": 302}),
    ("POST", "/admin/certificates/{cert}/decide", ADMIN_ONLY | {"admin": 302}),
    ("GET", "/orgs/{org}/profile", MEMBERS_ONLY),
    ("GET", "/orgs/{org}/profile/identity", MEMBERS_ONLY | {"coop_staff": 403}),
    ("POST", "/orgs/{org}/profile/logo", MANAGERS_ONLY),
    ("POST", "/orgs/{org}/profile/photos", MANAGERS_ONLY),
    ("POST", "/orgs/{org}/profile/photos/999999/delete", MANAGERS_ONLY | {"coop_owner": 404}),
    ("POST", "/orgs/{org}/profile/submit", MANAGERS_ONLY),
    # No document uploaded yet: nothing to show, even to members.
    ("GET", "/orgs/{org}/registration-document", dict.fromkeys(USERS, 404) | {"anonymous": 302}),
    ("GET", "/orgs/{org}/certificates/new", MEMBERS_ONLY | {"coop_staff": 403}),
    ("GET", "/orgs/{org}/certificates/{cert}/edit", MEMBERS_ONLY | {"coop_staff": 403}),
    (
        "GET",
        "/orgs/{org}/certificates/{cert}/document",
        MEMBERS_ONLY | {"coop_owner": 302, "coop_staff": 302},
    ),
    # Delivery locations are for buyers: a co-op has none to manage.
    ("POST", "/orgs/{org}/locations", MANAGERS_ONLY | {"coop_owner": 404}),
    ("POST", "/orgs/{org}/locations/999999/delete", MANAGERS_ONLY | {"coop_owner": 404}),
    ("POST", "/orgs/{org}/members/{staff}/role", MANAGERS_ONLY),
    ("POST", "/orgs/{org}/members/{extra}/remove", MANAGERS_ONLY),
    # A draft co-op has no public page yet, whoever asks.
    ("GET", "/htx/{slug}", dict.fromkeys(USERS, 404)),
    ("GET", "/orgs/{org}/listings", MEMBERS_ONLY),
    ("GET", "/orgs/{org}/listings/new", MEMBERS_ONLY | {"coop_staff": 403}),
    ("GET", "/orgs/{org}/listings/{listing}/edit", MEMBERS_ONLY | {"coop_staff": 403}),
    # "approve" is not a listing action: refused with a message for the owner.
    ("POST", "/orgs/{org}/listings/{listing}/state", MANAGERS_ONLY),
    ("POST", "/orgs/{org}/listings/{listing}/quick", MANAGERS_ONLY),
    ("POST", "/orgs/{org}/listings/{listing}/duplicate", MANAGERS_ONLY),
    ("POST", "/orgs/{org}/listings/{listing}/photos", MANAGERS_ONLY),
    (
        "POST",
        "/orgs/{org}/listings/{listing}/photos/999999",
        MANAGERS_ONLY | {"coop_owner": 404},
    ),
    ("GET", "/orgs/{org}/listings/{listing}/lots", MEMBERS_ONLY),
    ("GET", "/orgs/{org}/listings.csv", MEMBERS_ONLY),
    ("GET", "/orgs/{org}/listings/import", MEMBERS_ONLY | {"coop_staff": 403}),
    # A draft listing is not public; the slug of a co-op is not a category.
    ("GET", "/p/{slug}", dict.fromkeys(USERS, 404)),
    ("GET", "/c/{slug}", dict.fromkeys(USERS, 404)),
    # A lot's traceability page and QR codes are public, whatever the listing's state.
    ("GET", "/t/{lot}", dict.fromkeys(USERS, 200)),
    ("GET", "/t/{lot}/qr.png", dict.fromkeys(USERS, 200)),
    ("GET", "/t/{lot}/qr.svg", dict.fromkeys(USERS, 200)),
    ("POST", "/admin/listings/{listing}/take-down", ADMIN_ONLY | {"admin": 302}),
    # Restoring a listing that is not taken down: refused with a message for the admin.
    ("POST", "/admin/listings/{listing}/restore", ADMIN_ONLY | {"admin": 302}),
    ("GET", "/admin/categories", ADMIN_ONLY),
    ("POST", "/admin/categories/{category}", ADMIN_ONLY | {"admin": 302}),
    # Trade fairs: the organiser's pages are private to it (404 for everyone else).
    ("GET", "/orgs/{organiser_org}/fairs", ORGANISER_ONLY),
    ("GET", "/orgs/{organiser_org}/fairs/new", ORGANISER_ONLY),
    ("GET", "/fairs/{fair}/manage", ORGANISER_ONLY),
    # Empty forms: refused with messages next to the fields.
    ("POST", "/fairs/{fair}/booth-types", ORGANISER_ONLY | {"organiser": 422}),
    ("POST", "/fairs/{fair}/rows", ORGANISER_ONLY | {"organiser": 422}),
    ("POST", "/fairs/{fair}/cancel", ORGANISER_ONLY | {"organiser": 422}),
    # Already published / "approve" is no review action: refused with a message.
    ("POST", "/fairs/{fair}/publish", ORGANISER_ONLY | {"organiser": 302}),
    ("POST", "/fair-applications/{application}/review", ORGANISER_ONLY | {"organiser": 302}),
    ("GET", "/fairs/{fair}/check-in", ORGANISER_ONLY),
    # A lot code is no badge: refused.
    ("GET", "/fairs/{fair}/badge/{lot}", ORGANISER_ONLY | {"organiser": 422}),
    ("GET", "/fairs/{fair}/export/exhibitors.csv", ORGANISER_ONLY),
    ("GET", "/orgs/{org}/fairs/{fair}/apply", MEMBERS_ONLY | {"coop_staff": 403}),
    ("GET", "/orgs/{org}/fair-applications", MEMBERS_ONLY),
    # The application belongs to another co-op.
    (
        "POST",
        "/orgs/{org}/fair-applications/{application}/withdraw",
        MANAGERS_ONLY | {"coop_owner": 404},
    ),
    (
        "GET",
        "/orgs/{org}/fair-applications/{application}/edit",
        MEMBERS_ONLY | {"coop_owner": 404, "coop_staff": 404},
    ),
    (
        "GET",
        "/orgs/{org}/fair-applications/{application}/badge",
        MEMBERS_ONLY | {"coop_owner": 404, "coop_staff": 404},
    ),
    ("GET", "/notifications", LOGGED_IN_OK),
    ("POST", "/notifications/read", dict.fromkeys(USERS, 302)),
    ("GET", "/fairs", dict.fromkeys(USERS, 200)),
    ("GET", "/fairs/{fair_slug}", dict.fromkeys(USERS, 200)),
    ("POST", "/logout", dict.fromkeys(USERS, 302)),
    ("POST", "/lang", dict.fromkeys(USERS, 302)),
]


@pytest.mark.parametrize(
    ("method", "path", "expected"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES]
)
def test_route_permissions(app, cast, method, path, expected):
    url = cast.url(path)
    data = {"email": "y@vidu.vn", "role": "staff", "lang": "en", "action": "approve"}
    for who in USERS:
        client = client_for(app, cast, who)
        response = client.open(url, method=method, data=data if method == "POST" else None)
        # Anyone not named in a row is an outsider to the co-op, like the buyer.
        want = expected.get(who, expected["buyer"])
        assert response.status_code == want, f"{who}: {method} {url} → {response.status_code}"
        if (
            response.status_code == 302
            and want == 302
            and who == "anonymous"
            and path not in ("/logout", "/lang")
        ):
            assert response.headers["Location"].startswith("/login")


def test_every_route_is_in_the_matrix(app):
    from tests.test_contract_permissions import ROUTES as DEAL_ROUTES

    covered = {p.split("?")[0] for _, p, _ in [*ROUTES, *DEAL_ROUTES]}
    rules = {
        r.rule.replace("/fairs/<slug>", "/fairs/{fair_slug}")
        .replace("/orgs/<int:org_id>/fairs", "/orgs/{organiser_org}/fairs")
        .replace(
            "/orgs/{organiser_org}/fairs/<int:fair_id>/apply", "/orgs/{org}/fairs/{fair}/apply"
        )
        .replace("<int:org_id>", "{org}")
        .replace("<int:fair_id>", "{fair}")
        .replace("<int:application_id>/<action>", "{application}/withdraw")
        .replace("<int:application_id>", "{application}")
        .replace("<kind>", "exhibitors")
        .replace("<int:invitation_id>", "{inv}")
        .replace("<token>", "bad-token")
        .replace("<path:key>", "private/orgs/1/x.pdf")
        .replace("<int:cert_id>", "{cert}")
        .replace("<step_key>", "identity")
        .replace("<int:photo_id>", "999999")
        .replace("<int:location_id>", "999999")
        .replace("<slug>", "{slug}")
        .replace("<int:membership_id>/role", "{staff}/role")
        .replace("<int:listing_id>", "{listing}")
        .replace("<code>", "{lot}")
        .replace("<int:category_id>", "{category}")
        .replace("<int:membership_id>/remove", "{extra}/remove")
        .replace("<int:rfq_id>", "{rfq}")
        .replace("<int:quote_id>", "{quote}")
        .replace("<int:attachment_id>", "{attachment}")
        .replace("<int:contract_id>", "{contract}")
        .replace("<int:amendment_id>/<any(accept, reject, withdraw):action>", "{amendment}/accept")
        .replace("/deliveries/<int:delivery_id>/dispatch", "/deliveries/{planned}/dispatch")
        .replace("/deliveries/<int:delivery_id>", "/deliveries/{received}")
        .replace("{received}/photos/<int:line_id>/<int:index>", "{received}/photos/{line}/0")
        .replace("<int:invoice_id>", "{invoice}")
        .replace("<any(invoice, fair_fee):kind>/<int:payable_id>", "invoice/{invoice}")
        .replace("<int:payment_id>", "{payment}")
        .replace("<int:statement_id>", "{statement}")
        .replace("/admin/payouts/{org}", "/admin/payouts/{coop_org}")
        for r in app.url_map.iter_rules()
        if r.endpoint != "static"
    }
    assert rules <= covered, f"routes without permission tests: {sorted(rules - covered)}"
