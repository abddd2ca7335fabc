"""Request tests for refused forms: the error summary first on the page with a link to each
field, what was typed kept, every problem reported at once, messages that say the rule."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Category, Delivery, Lot, Rfq
from marketplace.parsing import parse_quantity
from marketplace.services.deals import deliveries
from marketplace.services.errors import ValidationFailed
from marketplace.validation import InvalidValue
from marketplace.vietnam import today
from tests.factories import (
    TEST_PASSWORD,
    actor_for,
    category_id,
    location_id,
    login,
    make_person,
    post_rfq,
    published_listing,
    signed_contract,
    verified_buyer,
    verified_coop,
    verified_organiser,
)

SIGNUP = {
    "account_kind": "coop",
    "organization_name": "HTX Mật Ong Mộc Châu",
    "buyer_type": "",
    "name": "Lò Văn Thắng",
    "email": "thang@vidu.vn",
    "phone": "0356 112 233",
    "password": TEST_PASSWORD,
    "confirm": TEST_PASSWORD,
}


def summary(page: str) -> str:
    """The error summary's HTML, which must come before the page's own content."""
    match = re.search(r'<div class="error-summary" id="error-summary"[^>]*>(.*?)</div>', page, re.S)
    assert match, "no error summary on the page"
    opening = page[match.start() : page.index(">", match.start())]
    assert 'tabindex="-1"' in opening and "autofocus" in opening
    main = page.index('<main id="main"')
    forms = page.find('<form method="post"', main)
    first_form = forms if forms > 0 else len(page)
    assert main < match.start() < first_form, "the summary is not first in the page's content"
    return match.group(1)


def linked_fields(page: str) -> list[str]:
    """The ids the summary links to; each must be an element of the page."""
    ids = re.findall(r'<a href="#([^"]+)">', summary(page))
    for field_id in ids:
        assert f'id="{field_id}"' in page, f"the summary links to #{field_id}, not on the page"
    return ids


def test_sign_up_reports_email_phone_length_and_match_at_once(app, client):
    data = {
        **SIGNUP,
        "email": "thang@",
        "phone": "123",
        "password": "ngan",
        "confirm": "khac han",
    }
    response = client.post("/signup", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    # In the order the page shows the fields.
    assert linked_fields(page) == ["email", "phone", "password", "confirm"]
    box = unescape(summary(page))
    assert "Có 4 chỗ cần sửa" in box
    assert "ít nhất 10 ký tự" in box
    # What was typed stays (never the password).
    assert 'value="thang@"' in page and 'value="123"' in page
    assert 'value="HTX Mật Ong Mộc Châu"' in page
    assert "ngan" not in re.findall(r'name="password"[^>]*', page)[0]
    assert page.index("<title>Lỗi: ") > 0


def test_a_good_form_page_has_no_summary(client):
    page = client.get("/signup").get_data(as_text=True)
    assert "error-summary" not in page
    assert "<title>Lỗi" not in page


# --- every main form, deliberately broken -----------------------------------------------------


def _profile_identity(app, client):
    owner = make_person(app)
    login(client, owner)
    data = {
        "version": "1",
        "name": "HTX Sâm",
        "legal_name": "Hợp tác xã Sâm Núi",
        "tax_code": "12345",
    }
    return (
        f"/orgs/{owner.organization_id}/profile/identity",
        data,
        {"tax_code"},
        "Hợp tác xã Sâm Núi",
    )


def _listing(app, client):
    coop = verified_coop(app)
    login(client, coop)
    with app.app_context():
        cat = category_id()
    data = {
        "title_vi": "Rượu sâm núi",
        "category_id": str(cat),
        "unit": "chai",
        "base_price": "200000,5",
        "min_order_quantity": "nhiều",
        "monthly_capacity": "2000",
        "lead_time_days": "5",
    }
    url = f"/orgs/{coop.organization_id}/listings/new"
    return url, data, {"base_price", "min_order_quantity"}, "Rượu sâm núi"


def _lot(app, client):
    coop = verified_coop(app)
    login(client, coop)
    listing_id, _ = published_listing(app, coop)
    data = {"code": "LO-2026-07", "produced_on": "", "quantity": "120 thùng"}
    url = f"/orgs/{coop.organization_id}/listings/{listing_id}/lots"
    return url, data, {"produced_on", "quantity"}, "LO-2026-07"


def _certificate(app, client):
    coop = verified_coop(app)
    login(client, coop)
    data = {
        "kind": "ocop",
        "number": "QĐ 456/QĐ-UBND",
        "issuer": "UBND tỉnh Lai Châu",
        "issued_on": "2025-01-10",
        "expires_on": "2028-01-10",
        "ocop_stars": "6",
        "product_name": "Rượu sâm Lai Châu",
    }
    url = f"/orgs/{coop.organization_id}/certificates/new"
    return url, data, {"ocop_stars"}, "QĐ 456/QĐ-UBND"


def _request_for_quotes(app, client):
    buyer = verified_buyer(app)
    login(client, buyer)
    start = today() + timedelta(days=7)
    with app.app_context():
        data = {
            "title": "Rượu sâm cho 12 cửa hàng",
            "lines-0-category_id": str(category_id("ruou")),
            "lines-0-specification": "Rượu sâm 500 ml",
            "lines-0-quantity": "120 hũ",
            "lines-0-unit": "chai",
            "pattern": "weekly",
            "weekdays": "1",
            "starts_on": start.isoformat(),
            "ends_on": (start + timedelta(days=27)).isoformat(),
            "delivery_location_id": str(location_id(buyer)),
            "payment_days": "30",
            "respond_by_date": (today() + timedelta(days=3)).isoformat(),
            "respond_by_time": "17:00",
        }
    url = f"/orgs/{buyer.organization_id}/rfqs/new"
    return url, data, {"lines-0-quantity"}, "Rượu sâm 500 ml"


def _quote(app, client):
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    published_listing(app, coop)
    rfq_id = post_rfq(app, buyer)
    with app.app_context():
        line_id = db.session.get_one(Rfq, rfq_id).lines[0].id
    login(client, coop)
    data = {
        "lines-0-rfq_line_id": str(line_id),
        "lines-0-include": "y",
        "lines-0-unit_price": "181.500",
        "lines-0-quantity": "nhiều",
        "lines-0-vat_rate": "10",
        "valid_until": (today() + timedelta(days=10)).isoformat(),
    }
    return f"/rfqs/{rfq_id}/quote", data, {"lines-0-quantity"}, "181.500"


def _fair(app, client):
    organiser = verified_organiser(app)
    login(client, organiser)
    day = today()
    data = {
        "name_vi": "Hội chợ Xuân",
        "venue": "Nhà văn hóa tỉnh",
        "province": "Hà Giang",
        "starts_on": str(day + timedelta(days=10)),
        "ends_on": str(day + timedelta(days=5)),
        "applications_open_on": str(day),
        "applications_close_on": str(day + timedelta(days=3)),
        "payment_days": "7",
    }
    return f"/orgs/{organiser.organization_id}/fairs/new", data, {"ends_on"}, "Nhà văn hóa tỉnh"


@pytest.mark.parametrize(
    "make",
    [_profile_identity, _listing, _lot, _certificate, _request_for_quotes, _quote, _fair],
    ids=lambda f: f.__name__.strip("_"),
)
def test_a_broken_form_opens_with_a_summary_linking_to_its_fields(app, client, make):
    url, data, fields, typed = make(app, client)
    response = client.post(url, data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert fields <= set(linked_fields(page))
    assert f'value="{typed}"' in page or f">{typed}<" in page, "what was typed is lost"


# --- messages that say the rule -----------------------------------------------------------------


def test_ocop_stars_out_of_range_says_the_range(app, client):
    url, data, _, _ = _certificate(app, client)
    page = unescape(client.post(url, data=data).get_data(as_text=True))
    assert "Chứng nhận OCOP có từ 3 đến 5 sao." in page
    assert "kiểm tra lại giá trị" not in page
    assert 'value="6"' in page


def test_a_lot_quantity_takes_its_unit_and_names_it_when_refused(app, client):
    url, data, _, _ = _lot(app, client)
    form = client.get(url).get_data(as_text=True)
    assert "Tính bằng chai: một số nguyên, ví dụ 120." in form
    refused = unescape(
        client.post(url, data=data | {"produced_on": "2026-01-05"}).get_data(as_text=True)
    )
    assert "Nhập số chai là một số nguyên, ví dụ 120." in refused
    assert 'value="120 thùng"' in refused
    accepted = client.post(url, data=data | {"produced_on": "2026-01-05", "quantity": "1.200 chai"})
    assert accepted.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Lot.quantity).where(Lot.code == "LO-2026-07")) == 1200


def test_a_request_line_quantity_names_the_lines_unit(app, client):
    url, data, _, _ = _request_for_quotes(app, client)
    page = unescape(client.post(url, data=data).get_data(as_text=True))
    assert "Nhập số chai là một số nguyên, ví dụ 120." in page
    assert client.post(url, data=data | {"lines-0-quantity": "120 chai"}).status_code == 302


def test_parse_quantity_says_the_unit_and_the_range(app):
    with app.test_request_context():
        assert parse_quantity("120 hũ", unit="hu") == 120
        assert parse_quantity("120hũ", unit="hu") == 120
        assert parse_quantity("120 HŨ", unit="hu") == 120
        assert parse_quantity("2.000 jars", unit="hu") == 2000
        with pytest.raises(InvalidValue) as wrong_unit:
            parse_quantity("120 kg", unit="hu")
        assert str(wrong_unit.value.message) == "Nhập số hũ là một số nguyên, ví dụ 120."
        with pytest.raises(InvalidValue) as only_unit:
            parse_quantity("hũ", unit="hu")
        assert "hũ" in str(only_unit.value.message)
        with pytest.raises(InvalidValue) as no_unit:
            parse_quantity("120 hũ")
        assert str(no_unit.value.message) == "Nhập một số nguyên, ví dụ 120."
        with pytest.raises(InvalidValue) as zero:
            parse_quantity("0", unit="hu")
        assert str(zero.value.message) == "Nhập một số nguyên từ 1 đến 100.000.000."


# --- categories grouped under their top category ------------------------------------------------


def _category_options(page: str, select_id: str) -> list[tuple[int, str]]:
    select = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', page, re.S).group(1)
    return [
        (int(value), unescape(label))
        for value, label in re.findall(r'<option[^>]*value="(\d+)"[^>]*>([^<]*)</option>', select)
        if value != "0"
    ]


def _assert_grouped(app, options: list[tuple[int, str]]) -> None:
    with app.app_context():
        parent_of = dict(db.session.execute(select(Category.id, Category.parent_id)).all())
    assert {i for i, _ in options} == set(parent_of), "every category is offered"
    assert any(parent_of[i] for i, _ in options), "the catalogue has sub-categories"
    top = None
    for category_id_, label in options:
        if parent_of[category_id_] is None:
            assert not label.startswith("— ")
            top = category_id_
        else:
            assert label.startswith("— ")
            assert parent_of[category_id_] == top, f"{label} is not under its top category"


def test_the_listing_and_request_forms_group_sub_categories_under_their_top_category(app, client):
    coop = verified_coop(app)
    login(client, coop)
    page = client.get(f"/orgs/{coop.organization_id}/listings/new").get_data(as_text=True)
    _assert_grouped(app, _category_options(page, "category_id"))
    buyer = verified_buyer(app)
    other = app.test_client()
    login(other, buyer)
    page = other.get(f"/orgs/{buyer.organization_id}/rfqs/new").get_data(as_text=True)
    _assert_grouped(app, _category_options(page, "lines-0-category_id"))


def test_an_invited_sign_up_also_reports_everything_at_once(app, client, mailbox):
    owner = make_person(app, organization_name="HTX Mắc Ca Tủa Chùa")
    login(client, owner)
    client.post(
        f"/orgs/{owner.organization_id}/invitations",
        data={"email": "pa@vidu.vn", "role": "staff"},
    )
    client.post("/logout")
    body = mailbox.body(mailbox.to("pa@vidu.vn")[-1])
    path = re.search(r"http://localhost(/invitations/\S+)", body).group(1)
    response = client.post(
        path + "/signup",
        data={"name": "Quàng Thị Pà", "phone": "123", "password": "ngan", "confirm": "khac"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert set(linked_fields(page)) == {"phone", "password", "confirm"}
    assert 'value="Quàng Thị Pà"' in page and 'value="123"' in page


def test_a_dispatched_quantity_in_another_unit_is_refused_naming_the_lines_unit(app):
    buyer, coop = verified_buyer(app), verified_coop(app)
    published_listing(app, coop)
    contract_id = signed_contract(app, buyer, coop)
    with app.app_context():
        first = db.session.scalars(
            select(Delivery)
            .where(Delivery.contract_id == contract_id)
            .order_by(Delivery.scheduled_on)
        ).first()
        line = first.lines[0].id
        with pytest.raises(ValidationFailed) as exc:
            deliveries.dispatch(
                actor_for(coop), first.id, first.version, {line: deliveries.DispatchLine("120 hũ")}
            )
        assert str(exc.value.errors[f"quantity-{line}"]) == (
            "Nhập số chai là một số nguyên, ví dụ 120."
        )
