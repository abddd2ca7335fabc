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
from marketplace.services import fairs
from marketplace.services.accounts import certificates, organizations
from marketplace.services.catalogue import listings
from marketplace.services.context import Actor
from tests.factories import (
    Person,
    add_member,
    application,
    login,
    make_person,
    open_fair,
    settle,
    verified_coop,
    verified_organiser,
)
from tests.route_matrix import DEAL_ROUTES, ROUTES, USERS

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


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
    booth_type_id: int

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
            booth_type=self.booth_type_id,
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
            application(type_id),
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
        booth_type_id=type_id,
    )


def client_for(app, cast: Cast, who: str) -> FlaskClient:
    client = app.test_client()
    person = cast.people[who]
    if person is not None:
        login(client, person)
    return client


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


def _api_operation(app, endpoint: str) -> bool:
    """An operation of the documented API: its own matrix is in tests/api/."""
    api = app.extensions["chohtx_api"]
    return endpoint.split(".")[0] in {bp.name for bp in api._app.blueprints.values()} and (
        endpoint.split(".")[0][:1].isupper()
    )


def test_every_route_is_in_the_matrix(app):
    covered = {p.split("?")[0] for _, p, _ in [*ROUTES, *DEAL_ROUTES]}
    rules = {
        r.rule.replace("/pay/<kind>/<int:payable_id>", "/pay/invoice/{invoice}")
        .replace("/fairs/<slug>", "/fairs/{fair_slug}")
        .replace("/orgs/<int:org_id>/fairs", "/orgs/{organiser_org}/fairs")
        .replace(
            "/orgs/{organiser_org}/fairs/<int:fair_id>/apply", "/orgs/{org}/fairs/{fair}/apply"
        )
        .replace("<int:org_id>", "{org}")
        .replace("<int:fair_id>", "{fair}")
        .replace("<int:booth_type_id>", "{booth_type}")
        .replace("<int:application_id>/<action>", "{application}/withdraw")
        .replace("<int:application_id>", "{application}")
        .replace("<kind>", "exhibitors")
        .replace("<int:invitation_id>", "{inv}")
        .replace("<token>", "bad-token")
        .replace("<path:key>", "private/orgs/1/x.pdf")
        .replace("<path:key_prefix>", "private/orgs/1/x")
        .replace("<int:cert_id>", "{cert}")
        .replace("<step_key>", "identity")
        .replace("<int:photo_id>", "999999")
        .replace("<int:location_id>", "999999")
        .replace("<int:notification_id>", "999999")
        .replace("<int:badge_id>", "999999")
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
        .replace("/payments/<int:payment_id>/receipt", "/payments/{paid}/receipt")
        .replace("<int:payment_id>", "{payment}")
        .replace("<int:statement_id>", "{statement}")
        .replace("<int:commission_id>", "{commission}")
        .replace("<int:claim_id>", "{claim}")
        .replace("<int:conversation_id>", "{conversation}")
        .replace("<int:file_id>", "{message_file}")
        .replace("/admin/payouts/{org}", "/admin/payouts/{coop_org}")
        .replace("<int:key_id>", "999999")
        .replace("<int:endpoint_id>", "999999")
        .replace("<int:webhook_delivery_id>", "999999")
        for r in app.url_map.iter_rules()
        if r.endpoint != "static" and not _api_operation(app, r.endpoint)
    }
    assert rules <= covered, f"routes without permission tests: {sorted(rules - covered)}"


# --- odd input: every route, fed odd values by those who may use it, answers without a 500 ----


ODD_VALUES = [
    "",
    " ",
    "0",
    "-1",
    "²",
    "①",
    "99999999999999999999",
    "x" * 6000,
    "\x00\x07",
    "<script>",
    "'; --",
    "１２",
]
FIELDS = [
    "email",
    "password",
    "confirm",
    "name",
    "phone",
    "organization_name",
    "account_kind",
    "buyer_type",
    "role",
    "lang",
    "next",
    "action",
    "note",
    "reason",
    "booth_id",
    "booth_type_id",
    "code",
    "count",
    "letter",
    "fee",
    "size",
    "title_vi",
    "category_id",
    "unit",
    "base_price",
    "monthly_capacity",
    "min_order_quantity",
    "lead_time_days",
    "tier_qty_1",
    "tier_price_1",
    "harvest_months",
    "certificate_ids",
    "version",
    "province",
    "commune",
    "street",
    "member_count",
    "area_hectares",
    "starts_on",
    "ends_on",
    "applications_open_on",
    "applications_close_on",
    "payment_days",
    "kind",
    "number",
    "issuer",
    "issued_on",
    "expires_on",
    "ocop_stars",
    "quantity",
    "produced_on",
    "contact_name",
    "contact_phone",
    "listing_ids",
    "preferred_booth_id",
    "name_vi",
    "name_en",
    "parent_id",
    "locale",
    "current_password",
    "new_password",
    "staff_badges",
    "booths",
    "row",
    "col",
    "rows",
    "cols",
    "grid_rows",
    "grid_cols",
    "width",
    "height",
    "item",
    "size_kind",
    "label",
    "confirm_exclusion",
    "confirm_badges",
    "eligible_provinces",
]


@pytest.mark.parametrize(
    ("method", "path", "expected"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES]
)
def test_odd_input_never_gives_a_500(app, cast: Cast, method, path, expected):
    url = cast.url(path)
    # Those who may act on the route: its owner, the organiser, the admin.
    for who in ("coop_owner", "organiser", "admin"):
        client = client_for(app, cast, who)
        for value in ODD_VALUES:
            if method == "GET":
                base = url.split("?")[0]
                response = client.get(base, query_string={"q": value, "page": value, "kind": value})
            else:
                response = client.post(url, data=dict.fromkeys(FIELDS, value))
            assert response.status_code < 500, (
                f"{who} {method} {url} with {value!r}: {response.status_code}"
            )
