"""Factories for supply-deal tests: a verified buyer with a store, a request for quotes, a
quote, an award, a signed contract."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import (
    Contract,
    DeliveryLocation,
    Organization,
    OrgKind,
    User,
    VerificationStatus,
)
from marketplace.models._types import utcnow
from marketplace.services import contracts, rfqs
from marketplace.services.context import Actor
from marketplace.vietnam import today
from tests.conftest import Person, make_person, settle
from tests.test_listings import _published_listing, category_id


def actor(person: Person) -> Actor:
    return Actor(user=db.session.get_one(User, person.id), ip="127.0.0.1")


def verified_buyer(
    app: Flask, name: str = "Siêu thị Xanh", location: str = "Cửa hàng Láng Hạ", **kwargs
) -> Person:
    """A supermarket chain, verified, with one store to deliver to."""
    person = make_person(app, kind=OrgKind.BUYER, organization_name=name, **kwargs)
    with app.app_context():
        org = db.session.get_one(Organization, person.organization_id)
        org.legal_name = f"Công ty TNHH {name}"
        org.tax_code = "0101234567"
        org.province_code = "ha-noi"
        org.street = "12 Láng Hạ"
        org.commune = "Phường Láng"
        org.representative_name = "Trần Thị Mua"
        org.representative_position = "Giám đốc mua hàng"
        org.verification_status = VerificationStatus.APPROVED
        org.verified_at = utcnow()
        db.session.add(
            DeliveryLocation(
                organization_id=org.id,
                name=location,
                province_code="ha-noi",
                commune="Phường Láng",
                street="12 Láng Hạ",
            )
        )
        db.session.commit()
        settle()
    return person


def location_id(buyer: Person) -> int:
    return db.session.scalar(
        select(DeliveryLocation.id).where(DeliveryLocation.organization_id == buyer.organization_id)
    )


def coop_with_listing(app: Flask, coop: Person, **overrides) -> int:
    """Publish the default wine listing (category "ruou", tiers 24+/100+/500+)."""
    listing_id, _slug = _published_listing(app, coop, photos=1, **overrides)
    return listing_id


def rfq_data(buyer: Person, **changes) -> rfqs.RfqData:
    start = today() + timedelta(days=7)
    values = {
        "title": "Rượu sâm cho 12 cửa hàng",
        "lines": [
            rfqs.RfqLineData(
                category_id=category_id("ruou"),
                specification="Rượu sâm 500 ml, chai thủy tinh",
                quantity="120",
                unit="chai",
                target_price="170.000",
            )
        ],
        "pattern": "weekly",
        "weekdays": ["1"],
        "starts_on": start,
        "ends_on": start + timedelta(days=27),
        "respond_by_date": today() + timedelta(days=3),
        "delivery_location_id": location_id(buyer),
        "payment_days": "30",
    }
    values.update(changes)
    return rfqs.RfqData(**values)


def post_rfq(app: Flask, buyer: Person, **changes) -> int:
    with app.app_context():
        rfq = rfqs.create_rfq(actor(buyer), buyer.organization_id, rfq_data(buyer, **changes))
        return rfq.id


def quote_on(
    app: Flask, coop: Person, rfq_id: int, price: str = "175.000", quantity: str = "120"
) -> int:
    with app.app_context():
        rfq = db.session.get_one(rfqs.Rfq, rfq_id)
        lines = [
            rfqs.QuoteLineData(
                rfq_line_id=line.id, unit_price=price, quantity=quantity, vat_rate="10"
            )
            for line in rfq.lines
        ]
        quote = rfqs.submit_quote(
            actor(coop),
            rfq_id,
            coop.organization_id,
            rfqs.VersionData(lines=lines, valid_until=today() + timedelta(days=10)),
        )
        return quote.id


def award_all(app: Flask, buyer: Person, rfq_id: int, quote_id: int) -> int:
    with app.app_context():
        rfq = db.session.get_one(rfqs.Rfq, rfq_id)
        quote = db.session.get_one(rfqs.Quote, quote_id)
        made = rfqs.award(
            actor(buyer),
            rfq_id,
            {line.id: quote_id for line in rfq.lines},
            {quote_id: quote.current_version},
        )
        return made[0].id


def signed_contract(app: Flask, buyer: Person, coop: Person, **rfq_changes) -> int:
    """A request, a quote, the award and both signatures: an active contract's id."""
    rfq_id = post_rfq(app, buyer, **rfq_changes)
    quote_id = quote_on(app, coop, rfq_id)
    contract_id = award_all(app, buyer, rfq_id, quote_id)
    with app.app_context():
        for person in (buyer, coop):
            version = db.session.get_one(Contract, contract_id).version
            contracts.sign(actor(person), contract_id, version)
            settle()
    return contract_id


def invoice_first_delivery(
    app: Flask, buyer: Person, coop: Person, contract_id: int, accepted: str = "120"
):
    """Dispatch the contract's first delivery in full and receive ``accepted`` of it:
    (invoice id, total)."""
    from marketplace.models import Delivery
    from marketplace.services import deliveries

    with app.app_context():
        first = db.session.scalars(
            select(Delivery)
            .where(Delivery.contract_id == contract_id)
            .order_by(Delivery.scheduled_on)
        ).first()
        line = first.lines[0].id
        deliveries.dispatch(
            actor(coop), first.id, first.version, {line: deliveries.DispatchLine("120")}
        )
        _delivery, invoice = deliveries.receive(
            actor(buyer), first.id, first.version, {line: deliveries.ReceiptLine(accepted)}
        )
        result = (invoice.id, invoice.total)
        settle()
    return result
