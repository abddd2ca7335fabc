"""Request tests for the supply-deal pages: the whole deal through HTTP, forms that keep what
was typed, and the other parties' 404s."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.i18n import format_money
from marketplace.models import (
    AuditEntry,
    Contract,
    ContractStatus,
    Delivery,
    DeliveryStatus,
    Invoice,
    InvoiceStatus,
    Listing,
    Organization,
    Quote,
    Rfq,
    Role,
    Side,
)
from marketplace.services.deals import contracts, rfqs
from marketplace.services.deals.deliveries import EARLY_DISPATCH_DAYS
from marketplace.services.errors import ValidationFailed
from marketplace.vietnam import today
from tests.factories import (
    actor_for,
    add_member,
    admin_actor,
    award_all,
    coop_with_listing,
    count_queries,
    location_id,
    login,
    post_rfq,
    quote_on,
    rfq_form,
    settle,
    signed_contract,
    tier_price,
    verified_buyer,
    verified_coop,
)


def version_of(app, model, object_id) -> int:
    with app.app_context():
        return db.session.get_one(model, object_id).version


def test_the_whole_deal_over_http(app, client):
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    coop_with_listing(app, coop)
    login(client, buyer)
    response = client.post(f"/orgs/{buyer.organization_id}/rfqs/new", data=rfq_form(app, buyer))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert "/rfqs/" in response.headers["Location"]
    with app.app_context():
        rfq = db.session.scalar(select(Rfq))
        rfq_id, line_id = rfq.id, rfq.lines[0].id

    seller = app.test_client()
    login(seller, coop)
    assert "Rượu sâm cho 12 cửa hàng" in seller.get(f"/orgs/{coop.organization_id}/trade").get_data(
        as_text=True
    )
    form = seller.get(f"/rfqs/{rfq_id}/quote").get_data(as_text=True)
    assert 'value="180000"' in form  # the co-op's tier at 120 bottles
    response = seller.post(
        f"/rfqs/{rfq_id}/quote",
        data={
            "lines-0-rfq_line_id": str(line_id),
            "lines-0-include": "y",
            "lines-0-unit_price": "180.000",
            "lines-0-quantity": "120",
            "lines-0-vat_rate": "10",
            "valid_until": (today() + timedelta(days=10)).isoformat(),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        quote_id = db.session.scalar(select(Quote.id))

    # The buyer counters at 170.000; the co-op revises to 172.000.
    response = client.post(
        f"/quotes/{quote_id}/versions",
        data={
            "version": "1",
            "lines-0-rfq_line_id": str(line_id),
            "lines-0-include": "y",
            "lines-0-unit_price": "170.000",
            "lines-0-quantity": "120",
            "lines-0-vat_rate": "10",
            "valid_until": (today() + timedelta(days=5)).isoformat(),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    response = seller.post(
        f"/quotes/{quote_id}/versions",
        data={
            "version": "2",
            "lines-0-rfq_line_id": str(line_id),
            "lines-0-include": "y",
            "lines-0-unit_price": "172.000",
            "lines-0-quantity": "120",
            "lines-0-vat_rate": "10",
            "valid_until": (today() + timedelta(days=5)).isoformat(),
        },
    )
    assert response.status_code == 302
    page = client.get(f"/quotes/{quote_id}").get_data(as_text=True)
    assert 'id="v3"' in page and 'class="was"' in page
    assert (
        client.post(
            f"/quotes/{quote_id}/messages", data={"body": "Giao trước 7 giờ nhé"}
        ).status_code
        == 302
    )
    assert "Giao trước 7 giờ nhé" in seller.get(f"/quotes/{quote_id}").get_data(as_text=True)

    response = client.post(
        f"/rfqs/{rfq_id}/award",
        data={
            "lines-0-line_id": str(line_id),
            "lines-0-quote_id": str(quote_id),
            "quotes-0-quote_id": str(quote_id),
            "quotes-0-version": "3",
        },
    )
    assert response.status_code == 302, response.headers
    with app.app_context():
        contract = db.session.scalar(select(Contract))
        contract_id = contract.id
        assert contract.lines[0].unit_price == 172000 and contract.status is ContractStatus.DRAFT
    for who in (client, seller):
        version = version_of(app, Contract, contract_id)
        assert (
            who.post(
                f"/contracts/{contract_id}/sign", data={"version": str(version), "confirm": "y"}
            ).status_code
            == 302
        )
    with app.app_context():
        contract = db.session.get_one(Contract, contract_id)
        assert contract.status is ContractStatus.ACTIVE
        deliveries = sorted(contract_deliveries(contract_id), key=lambda d: d.scheduled_on)
        assert len(deliveries) == 4
        first = deliveries[0]
        delivery_id, delivery_line = first.id, first.lines[0].id
    printed = client.get(f"/contracts/{contract_id}/print").get_data(as_text=True)
    assert "Công ty TNHH Siêu thị Xanh" in printed and "172.000" in printed

    dispatch = {
        "version": "1",
        "lines-0-line_id": str(delivery_line),
        "lines-0-quantity": "120",
    }
    # The first delivery is a week or more ahead: the page says how early, and sending it
    # now needs the "dispatch early" tick.
    with app.app_context():
        early_by = (db.session.get_one(Delivery, delivery_id).scheduled_on - today()).days
    assert early_by > EARLY_DISPATCH_DAYS
    page = seller.get(f"/deliveries/{delivery_id}").get_data(as_text=True)
    assert f"{early_by} ngày nữa" in page and 'id="early"' in page
    response = seller.post(f"/deliveries/{delivery_id}/dispatch", data=dispatch)
    assert response.status_code == 422
    refused = response.get_data(as_text=True)
    assert 'id="early-error"' in refused and 'value="120"' in refused
    with app.app_context():
        assert db.session.get_one(Delivery, delivery_id).status is DeliveryStatus.PLANNED
    response = seller.post(f"/deliveries/{delivery_id}/dispatch", data=dispatch | {"early": "y"})
    assert response.status_code == 302
    # More accepted and rejected than dispatched: refused, typed values kept.
    response = client.post(
        f"/deliveries/{delivery_id}/receive",
        data={
            "version": "2",
            "lines-0-line_id": str(delivery_line),
            "lines-0-accepted": "110",
            "lines-0-rejected": "20",
            "lines-0-reason": "Vỡ",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="110"' in page and "120" in page
    response = client.post(
        f"/deliveries/{delivery_id}/receive",
        data={
            "version": "2",
            "lines-0-line_id": str(delivery_line),
            "lines-0-accepted": "110",
            "lines-0-rejected": "10",
            "lines-0-reason": "Vỡ chai",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        invoice = db.session.scalar(select(Invoice))
        # 110 × 172.000 = 18.920.000; VAT 10 % = 1.892.000.
        assert (invoice.subtotal, invoice.vat_total, invoice.total) == (
            18_920_000,
            1_892_000,
            20_812_000,
        )
        assert invoice.sequence == 1 and invoice.status is InvoiceStatus.ISSUED
        invoice_id = invoice.id
    page = client.get(f"/invoices/{invoice_id}").get_data(as_text=True)
    assert re.search(r"20\.812\.000", page)
    # Only the co-op records a payment.
    assert (
        client.post(
            f"/pay/invoice/{invoice_id}/transfer",
            data={"amount": "20812000", "paid_on": today().isoformat(), "bank_reference": "X"},
        ).status_code
        == 403
    )
    response = seller.post(
        f"/pay/invoice/{invoice_id}/transfer",
        data={"amount": "20.812.000", "paid_on": today().isoformat(), "bank_reference": "VCB 123"},
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get_one(Invoice, invoice_id).status is InvoiceStatus.PAID
    # Each party sees its own dashboards and the deal; the other party's dashboards are 404.
    for url, buyer_gets, coop_gets in (
        (f"/orgs/{buyer.organization_id}/trade", 200, 404),
        (f"/orgs/{coop.organization_id}/trade", 404, 200),
        (f"/orgs/{buyer.organization_id}/deliveries", 200, 404),
        (f"/orgs/{coop.organization_id}/invoices", 404, 200),
        (f"/contracts/{contract_id}", 200, 200),
        (f"/deliveries/{delivery_id}", 200, 200),
    ):
        assert client.get(url).status_code == buyer_gets, url
        assert seller.get(url).status_code == coop_gets, url


def contract_deliveries(contract_id):
    return list(db.session.scalars(select(Delivery).where(Delivery.contract_id == contract_id)))


def test_a_bad_request_keeps_what_was_typed(app, client):
    buyer = verified_buyer(app)
    login(client, buyer)
    form = rfq_form(app, buyer, weekdays="", **{"lines-0-quantity": "0"})
    form["respond_by_date"] = (today() - timedelta(days=1)).isoformat()
    form["ends_on"] = (today() + timedelta(days=2)).isoformat()
    response = client.post(f"/orgs/{buyer.organization_id}/rfqs/new", data=form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="Rượu sâm cho 12 cửa hàng"' in page and 'value="Rượu sâm 500 ml"' in page
    for message in ("ít nhất một ngày", "trong tương lai", "từ 1 đến 100.000.000"):
        assert message in page, message
    with app.app_context():
        assert db.session.scalar(select(Rfq.id)) is None


def test_signing_shows_what_is_signed_and_needs_the_tick(app, client):
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    coop_with_listing(app, coop)
    rfq_id = post_rfq(app, buyer)
    contract_id = award_all(app, buyer, rfq_id, quote_on(app, coop, rfq_id))
    with app.app_context():
        contract = db.session.get_one(Contract, contract_id)
        totals = contracts.contract_totals(contract)
        version = contract.version
    # 120 × 175.000 ₫ with 10 % VAT each delivery, over every delivery of the schedule.
    assert (totals.net, totals.vat, totals.total) == (21_000_000, 2_100_000, 23_100_000)
    assert totals.deliveries > 1 and totals.whole_total == 23_100_000 * totals.deliveries
    login(client, buyer)
    page = client.get(f"/contracts/{contract_id}").get_data(as_text=True)
    assert "Nội dung bạn ký" in page and "Tôi đã đọc hợp đồng và ký thay mặt" in page
    assert format_money(totals.whole_total) in page and format_money(23_100_000) in page

    refused = client.post(f"/contracts/{contract_id}/sign", data={"version": str(version)})
    assert refused.status_code == 422
    assert 'id="confirm-error"' in refused.get_data(as_text=True)
    staff = app.test_client()
    login(staff, add_member(app, buyer.organization_id, Role.STAFF))
    ticked = {"version": str(version), "confirm": "y"}
    assert staff.post(f"/contracts/{contract_id}/sign", data=ticked).status_code == 403
    with app.app_context():
        assert db.session.get_one(Contract, contract_id).signatures == []
        with pytest.raises(ValidationFailed) as refused_service:
            contracts.sign(actor_for(buyer), contract_id, version, confirmed=False)
        assert set(refused_service.value.errors) == {"confirm"}

    assert client.post(f"/contracts/{contract_id}/sign", data=ticked).status_code == 302
    with app.app_context():
        [signature] = db.session.get_one(Contract, contract_id).signatures
        assert signature.side is Side.BUYER
    assert format_money(totals.whole_total) in client.get(
        f"/contracts/{contract_id}/print"
    ).get_data(as_text=True)


def test_other_organisations_get_404_and_staff_cannot_sign(app, client):
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    coop_with_listing(app, coop)
    contract_id = signed_contract(app, buyer, coop)
    other_buyer = verified_buyer(app, name="Bếp ăn Kim Đồng")
    login(client, other_buyer)
    with app.app_context():
        contract = db.session.get_one(Contract, contract_id)
        rfq_id, quote_id = contract.rfq_id, contract.quote_id
        delivery_id = db.session.scalar(
            select(Delivery.id).where(Delivery.contract_id == contract_id)
        )
    for url in (
        f"/rfqs/{rfq_id}",
        f"/quotes/{quote_id}",
        f"/contracts/{contract_id}",
        f"/deliveries/{delivery_id}",
        f"/contracts/{contract_id}/print",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/rfqs/{rfq_id}/award", data={}).status_code == 404
    staff = add_member(app, buyer.organization_id, Role.STAFF)
    staff_client = app.test_client()
    login(staff_client, staff)
    assert staff_client.get(f"/contracts/{contract_id}").status_code == 200
    rfq2 = post_rfq(app, buyer)
    quote2 = quote_on(app, coop, rfq2)
    seen = {"quotes-0-quote_id": str(quote2), "quotes-0-version": "1"}
    assert staff_client.post(f"/rfqs/{rfq2}/award", data=seen).status_code == 403


def test_a_spot_order_page_loaded_before_a_price_rise_orders_nothing(app, client):
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    listing_id = coop_with_listing(app, coop)
    with app.app_context():
        store = str(location_id(buyer))
    login(client, buyer)
    page = client.get(f"/listings/{listing_id}/order").get_data(as_text=True)
    assert 'name="seen_unit_price" type="hidden" value="200000"' in page
    with app.app_context():  # the co-op raises every price a hundredfold meanwhile
        listing = db.session.get_one(Listing, listing_id)
        listing.base_price *= 100
        for tier in listing.tiers:
            tier.unit_price *= 100
    order = {
        "quantity": "24",
        "delivery_on": (today() + timedelta(days=6)).isoformat(),
        "delivery_location_id": store,
        "payment_days": "7",
        "seen_unit_price": "200000",
    }
    response = client.post(f"/listings/{listing_id}/order", data=order)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "20.000.000\xa0₫ mỗi chai × 24 = 480.000.000\xa0₫ chưa gồm VAT" in page
    assert "không phải giá bạn đã thấy" in page
    assert 'name="seen_unit_price" type="hidden" value="20000000"' in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Contract)) == 0
    # Ordering again from the page that shows the new price is the buyer's informed choice.
    response = client.post(
        f"/listings/{listing_id}/order", data=order | {"seen_unit_price": "20000000"}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Contract)).lines[0].unit_price == 20_000_000


def test_a_quantity_typed_with_spaces_is_priced_as_the_order_will_be(app, client):
    """ "2 000" and "2000" are the same quantity for the page and for the order, so the
    price shown after a refusal is the one the next submission is checked against."""
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    listing_id = coop_with_listing(app, coop)
    with app.app_context():
        store = str(location_id(buyer))
        price = tier_price(listing_id, 2000)
    assert price != 200000  # 2 000 reaches a tier below the base price
    login(client, buyer)
    order = {
        "quantity": "2 000",
        "delivery_on": (today() + timedelta(days=6)).isoformat(),
        "delivery_location_id": store,
        "payment_days": "7",
        "seen_unit_price": "200000",  # the price shown for 24
    }
    response = client.post(f"/listings/{listing_id}/order", data=order)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'name="seen_unit_price" type="hidden" value="{price}"' in page
    response = client.post(
        f"/listings/{listing_id}/order", data=order | {"seen_unit_price": str(price)}
    )
    assert response.status_code == 302


def test_a_spot_order_is_accepted_by_the_coop(app, client):
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    listing_id = coop_with_listing(app, coop)
    with app.app_context():
        store = str(location_id(buyer))
    login(client, buyer)
    response = client.get(f"/listings/{listing_id}/order")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    # The buyer reads Vietnamese: "Order once" and "Place the order".
    assert "<h1>Đặt hàng một lần</h1>" in page
    assert '<button type="submit" class="button">Đặt hàng</button>' in page
    # The page shows unit price × quantity = total and holds the order to that price.
    assert "200.000\xa0₫ mỗi chai × 24 = 4.800.000\xa0₫ chưa gồm VAT" in page
    assert 'name="seen_unit_price" type="hidden" value="200000"' in page
    response = client.post(
        f"/listings/{listing_id}/order",
        data={
            "quantity": "10",
            "delivery_on": (today() + timedelta(days=1)).isoformat(),
            "delivery_location_id": store,
            "payment_days": "7",
        },
    )
    assert response.status_code == 422  # below the minimum order of 24, before the lead time
    page = response.get_data(as_text=True)
    assert "24" in page and 'value="10"' in page
    order = {
        "quantity": "100",
        "delivery_on": (today() + timedelta(days=6)).isoformat(),
        "delivery_location_id": store,
        "payment_days": "7",
        "seen_unit_price": "200000",  # the price shown for 24
    }
    # 100 reaches a cheaper tier: the page shows it before anything is ordered.
    response = client.post(f"/listings/{listing_id}/order", data=order)
    assert response.status_code == 422
    assert "180.000\xa0₫ mỗi chai × 100 = 18.000.000\xa0₫ chưa gồm VAT" in response.get_data(
        as_text=True
    )
    response = client.post(
        f"/listings/{listing_id}/order", data=order | {"seen_unit_price": "180000"}
    )
    assert response.status_code == 302
    with app.app_context():
        contract = db.session.scalar(select(Contract))
        assert contract.lines[0].unit_price == 180000 and len(contract.signatures) == 1
        contract_id, version = contract.id, contract.version
    seller = app.test_client()
    login(seller, coop)
    assert (
        seller.post(
            f"/contracts/{contract_id}/sign", data={"version": str(version), "confirm": "y"}
        ).status_code
        == 302
    )
    with app.app_context():
        contract = db.session.get_one(Contract, contract_id)
        assert contract.status is ContractStatus.ACTIVE
        assert [d.status for d in contract_deliveries(contract_id)] == [DeliveryStatus.PLANNED]


def test_a_stale_counter_offer_keeps_the_typing_and_can_be_sent_again(app, client):
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    coop_with_listing(app, coop)
    rfq_id = post_rfq(app, buyer)
    quote_id = quote_on(app, coop, rfq_id)
    with app.app_context():
        line_id = db.session.get_one(Rfq, rfq_id).lines[0].id
    form = {
        "lines-0-rfq_line_id": str(line_id),
        "lines-0-include": "y",
        "lines-0-unit_price": "171.000",
        "lines-0-quantity": "120",
        "lines-0-vat_rate": "10",
        "valid_until": (today() + timedelta(days=5)).isoformat(),
    }
    seller = app.test_client()
    login(seller, coop)
    assert (
        seller.post(
            f"/quotes/{quote_id}/versions",
            data=form | {"version": "1", "lines-0-unit_price": "176.000"},
        ).status_code
        == 302
    )
    login(client, buyer)
    response = client.post(f"/quotes/{quote_id}/versions", data=form | {"version": "1"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Phiên bản 2 đã đến" in page and 'value="171.000"' in page
    assert re.search(r'name="version"[^>]*value="2"|value="2"[^>]*name="version"', page)
    assert (
        client.post(f"/quotes/{quote_id}/versions", data=form | {"version": "2"}).status_code == 302
    )
    with app.app_context():
        assert db.session.get_one(Quote, quote_id).current_version == 3


def test_dashboards_show_what_waits_and_the_money_by_month(app, client):
    buyer = verified_buyer(app)
    coop = verified_coop(app, organization_name="HTX Sâm Bảng")
    coop_with_listing(app, coop)
    contract_id = signed_contract(app, buyer, coop)
    with app.app_context():
        first = sorted(contract_deliveries(contract_id), key=lambda d: d.scheduled_on)[0]
        line = first.lines[0].id
        from marketplace.services.deals import deliveries

        deliveries.dispatch(
            actor_for(coop),
            first.id,
            first.version,
            {line: deliveries.DispatchLine("120")},
            early=True,
        )
        deliveries.receive(
            actor_for(buyer), first.id, first.version, {line: deliveries.ReceiptLine("120")}
        )
    login(client, buyer)
    page = client.get(f"/orgs/{buyer.organization_id}/trade").get_data(as_text=True)
    # 120 × 175.000 + VAT 10 % = 23.100.000 ₫, charted under the co-op's name.
    assert "HTX Sâm Bảng" in page and "23.100.000" in page and "<rect" in page
    seller = app.test_client()
    login(seller, coop)
    page = seller.get(f"/orgs/{coop.organization_id}/trade").get_data(as_text=True)
    assert "Siêu thị Xanh" in page and "23.100.000" in page
    # A month that does not exist shows this month instead.
    response = seller.get(f"/orgs/{coop.organization_id}/deliveries?month=1999-99")
    assert response.status_code == 200 and today().strftime("%m/%Y") in response.get_data(
        as_text=True
    )


def test_an_admin_sets_the_vat_rate_quotes_start_from(app, client):
    from marketplace.models import Category
    from marketplace.services.deals import rfqs

    buyer = verified_buyer(app)
    coop = verified_coop(app)
    coop_with_listing(app, coop)
    rfq_id = post_rfq(app, buyer)
    login(client, admin_actor(app))
    with app.app_context():
        wine = db.session.scalar(select(Category).where(Category.slug == "ruou"))
        assert wine.vat_rate == "10"
        wine_id, names = wine.id, {"name_vi": wine.name_vi, "name_en": wine.name_en}
    assert (
        client.post(f"/admin/categories/{wine_id}", data=names | {"vat_rate": "8"}).status_code
        == 302
    )
    client.post(f"/admin/categories/{wine_id}", data=names | {"vat_rate": "12"})  # refused
    with app.app_context():
        assert db.session.get_one(Category, wine_id).vat_rate == "8"
        rfq = db.session.get_one(Rfq, rfq_id)
        assert [d.vat_rate for d in rfqs.quote_defaults(rfq, coop.organization_id)] == ["8"]


def test_deal_pages_run_a_constant_number_of_queries(app, client):
    """A contract page with 4 or 12 deliveries, and a dashboard with 1 or 3 contracts."""

    buyer = verified_buyer(app)
    coop = verified_coop(app)
    coop_with_listing(app, coop)
    short = signed_contract(app, buyer, coop)
    start = today() + timedelta(days=7)
    long = signed_contract(
        app, buyer, coop, weekdays=["1", "3", "5"], ends_on=start + timedelta(days=27)
    )
    login(client, buyer)
    with app.app_context():
        assert len(contract_deliveries(short)) == 4 and len(contract_deliveries(long)) == 12
    with count_queries(app) as few:
        assert client.get(f"/contracts/{short}").status_code == 200
    with count_queries(app) as many:
        assert client.get(f"/contracts/{long}").status_code == 200
    assert len(few) == len(many), (few, many)
    with count_queries(app) as two:
        client.get(f"/orgs/{buyer.organization_id}/trade")
    signed_contract(app, buyer, coop)
    with count_queries(app) as three:
        client.get(f"/orgs/{buyer.organization_id}/trade")
    assert len(two) == len(three), (two, three)


def test_review_regressions_answer_with_messages_not_errors(app, client):
    """Far-future dates, a huge month, a 21st line, an order from a co-op no longer verified."""
    from marketplace.models import Organization, VerificationStatus
    from marketplace.parsing import amount_of

    buyer = verified_buyer(app)
    coop = verified_coop(app)
    listing_id = coop_with_listing(app, coop)
    login(client, buyer)
    url = f"/orgs/{buyer.organization_id}/rfqs/new"
    far = rfq_form(app, buyer, starts_on="9999-01-04", ends_on="9999-02-01")
    response = client.post(url, data=far)
    assert response.status_code == 422 and "trong vòng một năm" in response.get_data(as_text=True)
    lines = {}
    for n in range(20):
        lines |= {f"lines-{n}-specification": f"Hàng {n}", f"lines-{n}-quantity": "1"}
    response = client.post(url, data=rfq_form(app, buyer) | lines | {"add_line": "1"})
    assert response.status_code == 200 and "tối đa 20" in response.get_data(as_text=True)
    huge = client.get(f"/orgs/{buyer.organization_id}/deliveries?month=99999999999999999999-1")
    assert huge.status_code == 200
    with app.app_context():
        db.session.get_one(
            Organization, coop.organization_id
        ).verification_status = VerificationStatus.CHANGES_REQUESTED
        db.session.commit()
        store = str(location_id(buyer))
    order = {"quantity": "100", "delivery_on": (today() + timedelta(days=6)).isoformat()}
    order |= {"delivery_location_id": store, "payment_days": "7"}
    assert client.post(f"/listings/{listing_id}/order", data=order).status_code == 404
    assert client.get(f"/listings/{listing_id}/request-quote").status_code == 404
    # Sums of money beyond a unit price's limit are fine as payments.
    assert amount_of("2.500.000.000", at_most=3_000_000_000) == 2_500_000_000


def test_notice_withdraws_an_open_change_and_keeps_the_agreed_end(app, client):
    from marketplace.models import Amendment, AmendmentStatus
    from marketplace.services.deals import contracts

    buyer = verified_buyer(app)
    coop = verified_coop(app)
    coop_with_listing(app, coop)
    contract_id = signed_contract(app, buyer, coop)
    with app.app_context():
        contract = db.session.get_one(Contract, contract_id)
        agreed = contract.ends_on
        contracts.propose_amendment(
            actor_for(coop),
            contract_id,
            contract.version,
            contracts.AmendmentData(
                reason="Giá mới",
                effective_from=today() + timedelta(days=8),
                lines={contract.lines[0].id: ("190.000", "")},
            ),
        )
        contract = db.session.get_one(Contract, contract_id)
        last_day = min(d.scheduled_on for d in contract_deliveries(contract_id))
        contracts.give_notice(actor_for(buyer), contract_id, contract.version, "Đóng", last_day)
        contract = db.session.get_one(Contract, contract_id)
        assert contract.agreed_ends_on == agreed and contract.ends_on == last_day
        assert db.session.scalar(select(Amendment.status)) is AmendmentStatus.WITHDRAWN
        first_id = sorted(contract_deliveries(contract_id), key=lambda d: d.scheduled_on)[0].id
    other_listing = coop_with_listing(app, coop, title_vi="Rượu táo mèo")
    with app.app_context():
        from marketplace.services.catalogue import listings

        lot = listings.create_lot(
            actor_for(coop),
            coop.organization_id,
            other_listing,
            listings.LotData(code="TM-1", produced_on=today(), quantity="50"),
            None,
        )
        lot_id = lot.id
        first = db.session.get_one(Delivery, first_id)
        line, version = first.lines[0].id, first.version
    seller = app.test_client()
    login(seller, coop)
    response = seller.post(
        f"/deliveries/{first_id}/dispatch",
        data={
            "version": str(version),
            "lines-0-line_id": str(line),
            "lines-0-quantity": "120",
            "lines-0-lot": str(lot_id),
            "early": "y",
        },
    )
    assert response.status_code == 422 and "lô của sản phẩm này" in response.get_data(as_text=True)


def field_block(page: str, field_id: str) -> str:
    """The HTML of one field's block (label, input, help, error) on a page."""
    match = re.search(rf'<div class="field[^"]*" id="{field_id}-field">(.*?)</div>', page, re.S)
    assert match, f"no field {field_id}"
    return match[0]


def test_a_refused_receipt_keeps_each_line_as_typed_with_its_error_beside_it(app, client):
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    coop_with_listing(app, coop)
    contract_id = signed_contract(app, buyer, coop)
    with app.app_context():
        first = min(contract_deliveries(contract_id), key=lambda d: d.scheduled_on)
        delivery_id, line_id, version = first.id, first.lines[0].id, first.version
    seller = app.test_client()
    login(seller, coop)
    dispatched = seller.post(
        f"/deliveries/{delivery_id}/dispatch",
        data={
            "version": str(version),
            "lines-0-line_id": str(line_id),
            "lines-0-quantity": "120",
            "early": "y",
        },
    )
    assert dispatched.status_code == 302
    login(client, buyer)
    page = client.get(f"/deliveries/{delivery_id}").get_data(as_text=True)
    assert f'name="lines-0-line_id" type="hidden" value="{line_id}"' in page
    assert '<label for="lines-0-accepted">' in page and 'value="120"' in page

    # 130 of 120 dispatched, and goods rejected without a reason.
    response = client.post(
        f"/deliveries/{delivery_id}/receive",
        data={
            "version": str(version + 1),
            "lines-0-line_id": str(line_id),
            "lines-0-accepted": "110",
            "lines-0-rejected": "20",
            "lines-0-reason": "",
            "note": "Xe đến muộn",
        },
    )

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    accepted = field_block(page, "lines-0-accepted")
    assert 'value="110"' in accepted and 'aria-invalid="true"' in accepted
    assert 'id="lines-0-accepted-error"' in accepted and "120" in accepted
    assert 'value="20"' in field_block(page, "lines-0-rejected")
    assert 'id="lines-0-reason-error"' in field_block(page, "lines-0-reason")
    assert 'id="lines-0-rejected-error"' not in page
    assert "Xe đến muộn" in field_block(page, "note")
    with app.app_context():
        assert db.session.get_one(Delivery, delivery_id).status is DeliveryStatus.DISPATCHED


def test_a_refused_change_keeps_each_line_as_typed_with_its_error_beside_it(app, client):
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    coop_with_listing(app, coop)
    contract_id = signed_contract(app, buyer, coop)
    with app.app_context():
        contract = db.session.get_one(Contract, contract_id)
        line_id, version = contract.lines[0].id, contract.version
    login(client, buyer)
    page = client.get(f"/contracts/{contract_id}/amend").get_data(as_text=True)
    assert '<label for="lines-0-price">' in page and '<label for="extras-2-on">' in page
    assert f'name="extras-0-lines-0-line_id" type="hidden" value="{line_id}"' in page

    response = client.post(
        f"/contracts/{contract_id}/amend",
        data={
            "version": str(version),
            "reason": "Giá vỏ chai tăng",
            "effective_from": (today() + timedelta(days=3)).isoformat(),
            "lines-0-line_id": str(line_id),
            "lines-0-price": "12,5",
            "lines-0-quantity": "130",
            "extras-0-on": (today() + timedelta(days=4)).isoformat(),
            "extras-0-lines-0-line_id": str(line_id),
            "extras-0-lines-0-quantity": "không",
        },
    )

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    price = field_block(page, "lines-0-price")
    assert 'value="12,5"' in price and 'id="lines-0-price-error"' in price
    assert 'value="130"' in field_block(page, "lines-0-quantity")
    extra = field_block(page, "extras-0-lines-0-quantity")
    assert 'value="không"' in extra and 'id="extras-0-lines-0-quantity-error"' in extra


def test_the_buyer_sees_which_co_ops_a_request_invited(app, client):
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    coop_with_listing(app, coop)
    rfq_id = post_rfq(app, buyer, invited_only=True, invited_coop_ids=[coop.organization_id])
    open_id = post_rfq(app, buyer)
    with app.app_context():
        invited = db.session.get_one(Organization, coop.organization_id)
        name, slug = invited.name, invited.slug
    login(client, buyer)
    page = client.get(f"/rfqs/{rfq_id}").get_data(as_text=True)
    assert "Các HTX được mời" in page
    assert f'<a href="/htx/{slug}">{name}</a>' in page
    assert client.get(f"/htx/{slug}").status_code == 200
    assert "Mở cho mọi HTX đã xác minh" in client.get(f"/rfqs/{open_id}").get_data(as_text=True)
    # The co-op reads the request, not the list of who else was asked.
    seller = app.test_client()
    login(seller, coop)
    coop_page = seller.get(f"/rfqs/{rfq_id}")
    assert coop_page.status_code == 200 and "Các HTX được mời" not in coop_page.get_data(
        as_text=True
    )


def _counter_offer(app, buyer, quote_id: int, price: str) -> None:
    with app.app_context():
        quote = db.session.get_one(Quote, quote_id)
        lines = [
            rfqs.QuoteLineData(
                rfq_line_id=line.rfq_line_id,
                unit_price=price,
                quantity=str(line.quantity),
                vat_rate=line.vat_rate,
            )
            for line in quote.latest.lines
        ]
        rfqs.add_version(
            actor_for(buyer),
            quote_id,
            quote.current_version,
            rfqs.VersionData(lines=lines, valid_until=today() + timedelta(days=10)),
        )
        settle()


def test_the_award_lists_quotes_that_can_be_awarded_best_first_and_none_last(app, client):
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    coop_with_listing(app, coop)
    cheaper = verified_coop(app, name="HTX Rẻ Hơn")
    coop_with_listing(app, cheaper)
    rfq_id = post_rfq(app, buyer)
    dear = quote_on(app, coop, rfq_id, price="180.000")
    cheap = quote_on(app, cheaper, rfq_id, price="172.000")
    login(client, buyer)
    page = client.get(f"/rfqs/{rfq_id}").get_data(as_text=True)
    select = re.search(r'<select id="lines-0-quote_id".*?</select>', page, re.S)[0]
    options = re.findall(r'<option value="(\d*)"( selected)?>', select)
    assert options == [(str(dear), ""), (str(cheap), " selected"), ("", "")]
    # The quote page totals each version: 120 × 172.000 ₫ + 10 % VAT per delivery.
    quote_page = client.get(f"/quotes/{cheap}").get_data(as_text=True)
    assert "Mỗi lần giao" in quote_page and format_money(22_704_000) in quote_page

    # Both wait on the buyer's counter-offer: nothing to award, and no award button.
    _counter_offer(app, buyer, dear, "170.000")
    _counter_offer(app, buyer, cheap, "165.000")
    page = client.get(f"/rfqs/{rfq_id}").get_data(as_text=True)
    assert 'id="award-waiting"' in page and "Chọn và lập dự thảo hợp đồng" not in page
    assert f"/rfqs/{rfq_id}/award" not in page


def test_a_counter_offer_speaks_for_the_buyer_and_keeps_the_co_ops_vat(app, client):
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    coop_with_listing(app, coop)
    rfq_id = post_rfq(app, buyer)
    quote_id = quote_on(app, coop, rfq_id)
    login(client, buyer)
    page = client.get(f"/quotes/{quote_id}").get_data(as_text=True)
    assert "Số lượng chúng tôi cần mỗi lần giao" in page and "Giá chúng tôi đề nghị" in page
    assert "cam kết" not in page.split('id="respond-heading"')[1]
    assert '<select id="lines-0-vat_rate"' not in page and "Thuế GTGT (do HTX đặt)" in page
    with app.app_context():
        line_id = db.session.get_one(Quote, quote_id).latest.lines[0].rfq_line_id
    counter = {
        "version": "1",
        "lines-0-rfq_line_id": str(line_id),
        "lines-0-include": "y",
        "lines-0-unit_price": "168.000",
        "lines-0-quantity": "120",
        "lines-0-vat_rate": "5",
        "valid_until": (today() + timedelta(days=5)).isoformat(),
    }
    refused = client.post(f"/quotes/{quote_id}/versions", data=counter)
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "Thuế GTGT do HTX đặt" in text and 'value="168.000"' in text
    with app.app_context():
        assert db.session.get_one(Quote, quote_id).current_version == 1
    kept = client.post(f"/quotes/{quote_id}/versions", data=counter | {"lines-0-vat_rate": "10"})
    assert kept.status_code == 302
    with app.app_context():
        quote = db.session.get_one(Quote, quote_id)
        assert quote.current_version == 2 and quote.latest.lines[0].vat_rate == "10"


def test_the_co_op_accepts_a_counter_offer_as_it_is(app, client):
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    coop_with_listing(app, coop)
    rfq_id = post_rfq(app, buyer)
    quote_id = quote_on(app, coop, rfq_id)
    seller = app.test_client()
    login(seller, coop)
    # No counter-offer yet: no button, and the service refuses.
    assert 'id="accept-counter"' not in seller.get(f"/quotes/{quote_id}").get_data(as_text=True)
    with app.app_context(), pytest.raises(ValidationFailed):
        rfqs.accept_counter_offer(actor_for(coop), quote_id, 1)
    _counter_offer(app, buyer, quote_id, "168.000")
    assert 'id="accept-counter"' in seller.get(f"/quotes/{quote_id}").get_data(as_text=True)
    login(client, buyer)
    assert (
        client.post(f"/quotes/{quote_id}/accept-counter", data={"version": "2"}).status_code == 403
    )
    staff = app.test_client()
    login(staff, add_member(app, coop.organization_id, Role.STAFF))
    assert (
        staff.post(f"/quotes/{quote_id}/accept-counter", data={"version": "2"}).status_code == 403
    )
    # A stale page accepts nothing.
    seller.post(f"/quotes/{quote_id}/accept-counter", data={"version": "1"})
    with app.app_context():
        assert db.session.get_one(Quote, quote_id).current_version == 2

    assert (
        seller.post(f"/quotes/{quote_id}/accept-counter", data={"version": "2"}).status_code == 302
    )
    with app.app_context():
        quote = db.session.get_one(Quote, quote_id)
        counter, accepted = quote.versions[-2], quote.versions[-1]
        assert accepted.number == 3 and accepted.side is Side.COOP
        assert [
            (ln.rfq_line_id, ln.unit_price, ln.quantity, ln.vat_rate) for ln in accepted.lines
        ] == [(ln.rfq_line_id, ln.unit_price, ln.quantity, ln.vat_rate) for ln in counter.lines]
        assert accepted.lines[0].unit_price == 168_000
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "quote.accept_counter")
            )
            == 1
        )
    # The buyer can now award it: it is offered, chosen, on the request page.
    page = client.get(f"/rfqs/{rfq_id}").get_data(as_text=True)
    assert f'<option value="{quote_id}" selected>' in page
