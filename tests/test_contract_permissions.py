"""Supply-deal routes × every kind of user. Only the two parties of a deal see it (404 for
everyone else, admins included); staff follow it, owners and managers decide (403 for staff).

Each row gets a fresh deal; the deciding party is asked last, so a successful change does not
alter what the others are asked about.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from marketplace.blueprints.payments import checkout
from marketplace.extensions import db
from marketplace.models import (
    CommissionInvoice,
    Contract,
    DealAttachment,
    Delivery,
    PayableKind,
    Role,
)
from marketplace.services import messages
from marketplace.services.deals import contracts, deliveries, rfqs
from marketplace.services.payments import claims, statements, transfers
from marketplace.vietnam import today
from tests.factories import (
    Person,
    actor_for,
    add_member,
    coop_with_listing,
    jpeg,
    login,
    make_person,
    post_rfq,
    quote_on,
    settle,
    signed_contract,
    verified_buyer,
    verified_coop,
)
from tests.route_matrix import DEAL_ROUTES, DEAL_USERS

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class DealCast:
    people: dict[str, Person | None]
    ids: dict[str, int]

    def url(self, path: str) -> str:
        return path.format(**self.ids)


@pytest.fixture
def cast(app) -> DealCast:
    buyer = verified_buyer(app)
    buyer_staff = add_member(app, buyer.organization_id, Role.STAFF)
    coop = verified_coop(app)
    coop_staff = add_member(app, coop.organization_id, Role.STAFF)
    listing_id = coop_with_listing(app, coop)
    other_buyer = verified_buyer(app, name="Bếp ăn Kim Đồng")
    other_coop = make_person(app, organization_name="HTX Khác")
    admin = make_person(app, kind=None, admin=True)
    rfq_id = post_rfq(app, buyer)
    quote_id = quote_on(app, coop, rfq_id)
    contract_id = signed_contract(app, buyer, coop)
    with app.app_context():
        rfqs.post_message(actor_for(buyer), quote_id, "Xem bảng giá", [("gia.pdf", PDF)])
        attachment_id = db.session.scalar(select(DealAttachment.id))
        planned, received = db.session.scalars(
            select(Delivery)
            .where(Delivery.contract_id == contract_id)
            .order_by(Delivery.scheduled_on)
        ).all()[:2]
        line_id = received.lines[0].id
        ids = {"planned": planned.id, "received": received.id, "line": line_id}
        deliveries.dispatch(
            actor_for(coop),
            received.id,
            received.version,
            {line_id: deliveries.DispatchLine("120")},
            early=True,
        )
        _done, invoice = deliveries.receive(
            actor_for(buyer),
            received.id,
            received.version,
            {line_id: deliveries.ReceiptLine("118", "2", "Vỡ chai", [jpeg()])},
        )
        contract = db.session.get_one(Contract, contract_id)
        amendment = contracts.propose_amendment(
            actor_for(buyer),
            contract_id,
            contract.version,
            contracts.AmendmentData(
                reason="Giá vụ mới",
                effective_from=today() + timedelta(days=14),
                lines={contract.lines[0].id: ("170.000", "")},
            ),
        )
        ids |= {"invoice": invoice.id, "amendment": amendment.id}
        # A platform fee invoice of the co-op.
        fee_invoice = CommissionInvoice(
            organization_id=coop.organization_id,
            period=date(2026, 1, 1),
            number=f"PHI-MATRIX-{coop.organization_id}",
            amount=36_000,
            issued_on=today(),
            due_on=today(),
        )
        db.session.add(fee_invoice)
        db.session.flush()
        ids["commission"] = fee_invoice.id
        payment, _url = checkout.start_card_payment(
            actor_for(buyer), PayableKind.INVOICE, invoice.id, locale="vi"
        )
        imported = statements.upload(
            actor_for(buyer),
            buyer.organization_id,
            "sao-ke.csv",
            "Ngày,Số tiền,Nội dung\n01/11/2026,100000,Tien hang\n".encode(),
        )
        # A part of the invoice paid by transfer: a succeeded payment, with a receipt.
        paid = transfers.record_transfer(
            actor_for(coop),
            PayableKind.INVOICE,
            invoice.id,
            amount="1000",
            paid_on=today(),
            bank_reference="FT-MATRIX-1",
            partial=True,
        )
        claim = claims.claim_transfer(actor_for(buyer), PayableKind.INVOICE, invoice.id)
        ids |= {"payment": payment.id, "statement": imported.id, "paid": paid.id, "claim": claim.id}
        # The buyer asked the co-op about its product, with a file.
        asked = messages.start_or_send(
            actor_for(buyer),
            buyer.organization_id,
            coop.organization_id,
            "Còn hàng không?",
            [("gia.pdf", PDF)],
            listing_id,
        )
        ids |= {"conversation": asked.conversation_id, "message_file": asked.attachments[0].id}
        settle()
    return DealCast(
        people={
            "anonymous": None,
            "admin": admin,
            "other_buyer": other_buyer,
            "other_coop": other_coop,
            "buyer_staff": buyer_staff,
            "coop_staff": coop_staff,
            "coop": coop,
            "buyer": buyer,
        },
        ids=ids
        | {
            "org": buyer.organization_id,
            "coop_org": coop.organization_id,
            "listing": listing_id,
            "rfq": rfq_id,
            "quote": quote_id,
            "attachment": attachment_id,
            "contract": contract_id,
        },
    )


@pytest.mark.parametrize(
    ("method", "path", "expected"), DEAL_ROUTES, ids=[f"{m} {p}" for m, p, _ in DEAL_ROUTES]
)
def test_deal_route_permissions(app, cast, method, path, expected):
    url = cast.url(path)
    for who in DEAL_USERS:
        client = app.test_client()
        if cast.people[who] is not None:
            login(client, cast.people[who])
        response = client.open(url, method=method, data={} if method == "POST" else None)
        assert response.status_code == expected[who], (
            f"{who}: {method} {url} → {response.status_code}"
        )
        if who == "anonymous" and response.status_code == 302:
            assert response.headers["Location"].startswith("/login")


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
    "'; --",
    "１２",
    "2026-02-30",
]


def odd_form(cast: DealCast, value: str) -> dict:
    fields = [
        "title",
        "pattern",
        "weekdays",
        "day_of_month",
        "starts_on",
        "ends_on",
        "delivery_location_id",
        "required_certificates",
        "min_ocop_stars",
        "payment_days",
        "respond_by_date",
        "respond_by_time",
        "invited_only",
        "invited_coop_ids",
        "notes",
        "version",
        "valid_until",
        "body",
        "reason",
        "effective_from",
        "amount",
        "paid_on",
        "method",
        "reference",
        "quantity",
        "delivery_on",
        "note",
        "add_line",
        "extra-0-on",
        "lines-0-category_id",
        "lines-0-specification",
        "lines-0-quantity",
        "lines-0-unit",
        "lines-0-target_price",
        "lines-0-listing_id",
        "lines-0-rfq_line_id",
        "lines-0-include",
        "lines-0-unit_price",
        "lines-0-vat_rate",
        "lines-25-quantity",
        "bank_reference",
        "partial",
        "bin",
        "account",
        "holder",
        "file",
    ]
    fields += [
        f"{prefix}-{n}-{name}"
        for prefix in ("lines", "extras-0-lines")
        for n in (0, 1)
        for name in ("line_id", "quote_id", "quantity", "lot", "accepted", "rejected", "reason")
        + ("price",)
    ]
    fields += ["quotes-0-quote_id", "quotes-0-version", "extras-0-on", "extras-1-on"]
    # Row numbers no browser sends: WTForms reads "²" as a digit and then cannot count it.
    fields += [
        "lines-²-quantity",
        "lines-①-price",
        "extras-²-on",
        "quotes-²-quote_id",
        "lines-99999999999999999999-quantity",
        "extras-0-lines-²-line_id",
    ]
    form = dict.fromkeys(fields, value)
    # The second entry of each list names a real line or quote, so odd values reach them too.
    line = str(cast.ids["line"])
    return form | {
        "lines-1-line_id": line,
        "extras-0-lines-1-line_id": line,
        "quotes-1-quote_id": str(cast.ids["quote"]),
        "quotes-1-version": value,
    }


@pytest.mark.parametrize(
    ("method", "path", "expected"), DEAL_ROUTES, ids=[f"{m} {p}" for m, p, _ in DEAL_ROUTES]
)
def test_odd_input_never_gives_a_500(app, cast, method, path, expected):
    url = cast.url(path)
    for who in ("buyer", "coop", "coop_staff"):
        client = app.test_client()
        login(client, cast.people[who])
        for value in ODD_VALUES:
            if method == "GET":
                response = client.get(url, query_string={"month": value, "listing": value})
            else:
                response = client.post(url, data=odd_form(cast, value))
            assert response.status_code < 500, (
                f"{who} {method} {url} with {value!r}: {response.status_code}"
            )
