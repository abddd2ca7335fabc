"""Every route, fed odd input by users who may use it, answers without a server error."""

import pytest

from tests.test_permissions import ROUTES, Cast, cast, client_for  # noqa: F401 - fixture

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
]


@pytest.mark.parametrize(
    ("method", "path", "expected"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES]
)
def test_odd_input_never_gives_a_500(app, cast: Cast, method, path, expected):  # noqa: F811
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
