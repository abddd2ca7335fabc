"""Supply deals at the service level: the delivery calendar and VAT arithmetic, requests for
quotes and their negotiation, award, signing, amendments and notice, spot orders, dispatch
and receipt, invoices numbered per co-op and their payments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from marketplace.extensions import db
from marketplace.i18n import format_money
from marketplace.models import (
    Amendment,
    AmendmentStatus,
    Contract,
    ContractKind,
    ContractStatus,
    Delivery,
    DeliveryLine,
    DeliveryPattern,
    DeliveryStatus,
    Invoice,
    InvoiceStatus,
    Listing,
    Notification,
    Organization,
    OutboxMessage,
    Quote,
    QuoteStatus,
    QuoteVersion,
    Rfq,
    RfqStatus,
    Role,
    Side,
    User,
    VerificationStatus,
)
from marketplace.services.accounts import certificates, verification
from marketplace.services.catalogue import listings
from marketplace.services.context import Actor
from marketplace.services.deals import contracts, deliveries, invoices, rfqs
from marketplace.services.deals.rules import (
    check_schedule,
    line_amounts,
    party,
    plan_dates,
    vat_amount,
)
from marketplace.services.errors import (
    DealChanged,
    NotFound,
    PermissionDenied,
    TransitionNotAllowed,
    ValidationFailed,
)
from marketplace.vietnam import today
from tests import factories
from tests.factories import (
    PDF_BYTES,
    Person,
    actor_for,
    add_member,
    admin_actor,
    category_id,
    settle,
    tier_price,
    verified_coop,
)

W = DeliveryPattern


# --- helpers -----------------------------------------------------------------------------------


def verified_buyer(app, name: str = "Siêu thị Xanh Hà Nội") -> tuple[Person, int]:
    """An approved buyer organisation with one delivery location; returns (owner, location)."""
    person = factories.verified_buyer(app, name=name, location="Kho Long Biên")
    with app.app_context():
        return person, factories.location_id(person)


def coop_with_listing(
    app, name: str, slug: str = "ruou", **listing_overrides
) -> tuple[Person, int]:
    """A verified co-op with one published listing in the category ``slug``."""
    coop = verified_coop(app, organization_name=name)
    with app.app_context():
        listing_overrides.setdefault("category_id", category_id(slug))
    return coop, factories.coop_with_listing(app, coop, **listing_overrides)


def approved_certificate(app, coop: Person, kind: str = "vietgap", stars: int | None = None):
    boss = admin_actor(app)
    with app.app_context():
        certificate = certificates.add_certificate(
            actor_for(coop),
            coop.organization_id,
            certificates.CertificateData(
                kind=kind,
                number=f"{kind.upper()}-2025-017",
                issuer="Trung tâm Chứng nhận Phù hợp",
                issued_on=today() - timedelta(days=200),
                expires_on=today() + timedelta(days=500),
                ocop_stars=stars,
                product_name="Rượu sâm Lai Châu" if kind == "ocop" else "",
            ),
            PDF_BYTES,
        )
        verification.review_certificate(actor_for(boss), certificate.id, "approve")
        settle()


def rfq_data(location_id: int | None, **overrides) -> rfqs.RfqData:
    """Two lines (rượu sâm by the bottle, fresh ginseng by the kg), Monday and Thursday
    deliveries for three weeks starting in ten days, quotes due in five."""
    start = today() + timedelta(days=10)
    values = {
        "title": "Rượu sâm và sâm tươi cho chuỗi siêu thị",
        "lines": [
            rfqs.RfqLineData(
                category_id=category_id("ruou"),
                specification="Rượu sâm 500 ml, hộp giấy",
                quantity="120",
                unit="chai",
                target_price="150.000",
            ),
            rfqs.RfqLineData(
                category_id=category_id("sam"),
                specification="Sâm tươi loại 1, củ 3 năm tuổi",
                quantity="7",
                unit="kg",
            ),
        ],
        "pattern": "weekly",
        "weekdays": ["1", "4"],
        "starts_on": start,
        "ends_on": start + timedelta(days=20),
        "respond_by_date": today() + timedelta(days=5),
        "delivery_location_id": location_id,
        "payment_days": "30",
    }
    values.update(overrides)
    return rfqs.RfqData(**values)


#: Terms of one quote line: (unit price, quantity per delivery, VAT rate); None skips the line.
Terms = tuple[str, str, str] | None


def offer(line_ids: list[int], terms: list[Terms], valid_days: int = 30) -> rfqs.VersionData:
    return rfqs.VersionData(
        lines=[
            rfqs.QuoteLineData(rfq_line_id=line_id, unit_price=t[0], quantity=t[1], vat_rate=t[2])
            for line_id, t in zip(line_ids, terms, strict=True)
            if t is not None
        ],
        valid_until=today() + timedelta(days=valid_days),
    )


@dataclass
class Deal:
    buyer: Person
    location_id: int
    coops: list[Person]
    listing_ids: list[int]
    rfq_id: int
    line_ids: list[int]


def open_deal(app, coops: int = 1, **rfq_overrides) -> Deal:
    """A verified buyer, ``coops`` verified co-ops selling rượu, and the buyer's request."""
    buyer, location_id = verified_buyer(app)
    people, listing_ids = [], []
    for n in range(coops):
        coop, listing_id = coop_with_listing(app, f"HTX Sâm Mường Tè {n + 1}")
        people.append(coop)
        listing_ids.append(listing_id)
    with app.app_context():
        rfq = rfqs.create_rfq(
            actor_for(buyer), buyer.organization_id, rfq_data(location_id, **rfq_overrides)
        )
        deal = Deal(buyer, location_id, people, listing_ids, rfq.id, [ln.id for ln in rfq.lines])
        settle()
    return deal


def submit(app, deal: Deal, coop: Person, terms: list[Terms]) -> int:
    with app.app_context():
        quote = rfqs.submit_quote(
            actor_for(coop), deal.rfq_id, coop.organization_id, offer(deal.line_ids, terms)
        )
        quote_id = quote.id
        settle()
    return quote_id


#: Prices that make the VAT land on half a đồng and beyond.
STANDARD_TERMS: list[Terms] = [("123.457", "120", "10"), ("333.333", "7", "5")]


def active_contract(app, terms: list[Terms] = STANDARD_TERMS) -> tuple[Deal, int]:
    """A request, one co-op's quote awarded in full and signed by both sides."""
    deal = open_deal(app)
    coop = deal.coops[0]
    quote_id = submit(app, deal, coop, terms)
    with app.app_context():
        [contract] = rfqs.award(
            actor_for(deal.buyer),
            deal.rfq_id,
            dict.fromkeys(deal.line_ids, quote_id),
            {quote_id: 1},
        )
        contract_id = contract.id
        contracts.sign(actor_for(deal.buyer), contract_id, 1, confirmed=True)
        contracts.sign(actor_for(coop), contract_id, 2, confirmed=True)
        settle()
    return deal, contract_id


def deliveries_of(contract_id: int) -> list[Delivery]:
    return list(
        db.session.scalars(
            select(Delivery)
            .where(Delivery.contract_id == contract_id)
            .order_by(Delivery.sequence)
            .execution_options(populate_existing=True)
        )
    )


def dispatch_lines(delivery: Delivery, *quantities: str) -> dict[int, deliveries.DispatchLine]:
    """Dispatch quantities in the order of the delivery's lines (default: as planned)."""
    typed = quantities or tuple(str(line.quantity) for line in delivery.lines)
    return {
        line.id: deliveries.DispatchLine(quantity)
        for line, quantity in zip(delivery.lines, typed, strict=True)
    }


def dispatch_all(coop: Person, delivery_id: int) -> None:
    delivery = db.session.get_one(Delivery, delivery_id)
    deliveries.dispatch(
        actor_for(coop), delivery_id, delivery.version, dispatch_lines(delivery), early=True
    )


def receive_all(buyer: Person, delivery_id: int):
    """The buyer accepts everything dispatched; returns the invoice."""
    delivery = db.session.get_one(Delivery, delivery_id)
    lines = {
        line.id: deliveries.ReceiptLine(str(line.dispatched_quantity)) for line in delivery.lines
    }
    _delivery, invoice = deliveries.receive(actor_for(buyer), delivery_id, delivery.version, lines)
    return invoice


def emails_to(address: str) -> list[OutboxMessage]:
    return [
        message
        for message in db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.topic == "email").order_by(OutboxMessage.id)
        )
        if message.payload["to"] == address
    ]


def notifications_of(person: Person) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == person.id)))


def told(*people: Person) -> list[tuple[int, int]]:
    """How many emails and in-app notifications each person has had so far."""
    return [(len(emails_to(p.email)), len(notifications_of(p))) for p in people]


def plus_one(sizes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    return [(emails + 1, notes + 1) for emails, notes in sizes]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- the delivery calendar ----------------------------------------------------------------------


def test_weekly_plan_takes_every_chosen_weekday():
    # 2 March 2026 is a Monday; Monday and Thursday, duplicates and order do not matter.
    dates = plan_dates(W.WEEKLY, date(2026, 3, 2), date(2026, 3, 16), [4, 1, 4])
    assert dates == [
        date(2026, 3, 2),
        date(2026, 3, 5),
        date(2026, 3, 9),
        date(2026, 3, 12),
        date(2026, 3, 16),
    ]
    # Starting on a Wednesday: that week's Monday is not in the period.
    assert plan_dates(W.WEEKLY, date(2026, 3, 4), date(2026, 3, 10), [1, 4]) == [
        date(2026, 3, 5),
        date(2026, 3, 9),
    ]


def test_every_two_weeks_takes_the_first_third_and_fifth_week():
    # Starting Wednesday 4 March 2026: the week of 2 March is the first, then 16 and 30 March.
    dates = plan_dates(W.BIWEEKLY, date(2026, 3, 4), date(2026, 4, 5), [1, 3, 5])
    assert dates == [
        date(2026, 3, 4),
        date(2026, 3, 6),
        date(2026, 3, 16),
        date(2026, 3, 18),
        date(2026, 3, 20),
        date(2026, 3, 30),
        date(2026, 4, 1),
        date(2026, 4, 3),
    ]
    # Nothing in the second or fourth week.
    assert not [d for d in dates if date(2026, 3, 9) <= d <= date(2026, 3, 15)]
    assert not [d for d in dates if date(2026, 3, 23) <= d <= date(2026, 3, 29)]


def test_monthly_on_the_31st_falls_on_the_last_day_of_shorter_months():
    dates = plan_dates(W.MONTHLY, date(2027, 11, 1), date(2028, 6, 30), day_of_month=31)
    assert dates == [
        date(2027, 11, 30),
        date(2027, 12, 31),
        date(2028, 1, 31),
        date(2028, 2, 29),  # 2028 is a leap year
        date(2028, 3, 31),
        date(2028, 4, 30),
        date(2028, 5, 31),
        date(2028, 6, 30),
    ]
    assert plan_dates(W.MONTHLY, date(2026, 2, 1), date(2026, 3, 1), day_of_month=30) == [
        date(2026, 2, 28)
    ]


def test_monthly_skips_a_day_before_the_start_and_after_the_end():
    dates = plan_dates(W.MONTHLY, date(2026, 1, 15), date(2026, 4, 9), day_of_month=10)
    assert dates == [date(2026, 2, 10), date(2026, 3, 10)]


def test_one_off_is_the_start_date_only():
    assert plan_dates(W.ONE_OFF, date(2026, 5, 19), date(2026, 9, 1), [1, 2, 3]) == [
        date(2026, 5, 19)
    ]


EARLIEST = date(2026, 3, 1)


@pytest.mark.parametrize(
    ("pattern", "starts_on", "ends_on", "weekdays", "day_of_month", "field"),
    [
        ("weekly", date(2026, 3, 2), date(2026, 4, 2), [], "", "weekdays"),
        ("biweekly", date(2026, 3, 2), date(2026, 4, 2), [""], "", "weekdays"),
        ("weekly", date(2026, 3, 2), date(2026, 4, 2), ["8"], "", "weekdays"),
        ("weekly", date(2026, 3, 20), date(2026, 3, 10), ["1"], "", "ends_on"),
        ("weekly", date(2026, 2, 27), date(2026, 4, 2), ["1"], "", "starts_on"),
        (
            "weekly",
            date(2026, 3, 2),
            date(2029, 3, 3),
            ["1"],
            "",
            "ends_on",
        ),
        ("monthly", date(2026, 3, 2), date(2026, 9, 2), [], "", "day_of_month"),
        ("monthly", date(2026, 3, 2), date(2026, 9, 2), [], "32", "day_of_month"),
        ("daily", date(2026, 3, 2), date(2026, 9, 2), ["1"], "", "pattern"),
        ("weekly", None, date(2026, 9, 2), ["1"], "", "starts_on"),
        ("weekly", date(2026, 3, 2), None, ["1"], "", "ends_on"),
        # Only Sundays, in a Monday-to-Saturday period: no delivery at all.
        ("weekly", date(2026, 3, 2), date(2026, 3, 7), ["7"], "", "ends_on"),
    ],
)
def test_schedule_refusals(pattern, starts_on, ends_on, weekdays, day_of_month, field):
    errors: dict[str, object] = {}
    schedule = check_schedule(
        errors, pattern, starts_on, ends_on, weekdays, day_of_month, earliest=EARLIEST
    )
    assert schedule is None
    assert field in errors


def test_schedules_that_are_accepted():
    errors: dict[str, object] = {}
    weekly = check_schedule(
        errors,
        "weekly",
        date(2026, 3, 2),
        date(2026, 3, 31),
        ["4", "1", "4"],
        "",
        earliest=EARLIEST,
    )
    assert errors == {}
    assert weekly.pattern is W.WEEKLY and weekly.weekdays == [1, 4]
    assert weekly.weekdays_text == "1,4" and weekly.day_of_month is None
    # A one-off ends the day it starts, whatever end date was typed.
    one_off = check_schedule(
        errors, "one_off", date(2026, 3, 5), date(2026, 1, 1), [], "", earliest=EARLIEST
    )
    assert errors == {}
    assert (one_off.starts_on, one_off.ends_on) == (date(2026, 3, 5), date(2026, 3, 5))
    monthly = check_schedule(
        errors, "monthly", date(2026, 3, 1), date(2026, 12, 31), [], "31", earliest=EARLIEST
    )
    assert errors == {}
    assert monthly.day_of_month == 31 and monthly.weekdays == []
    # Exactly three years is allowed.
    three_years = check_schedule(
        errors, "monthly", date(2026, 3, 1), date(2029, 3, 1), [], "1", earliest=EARLIEST
    )
    assert errors == {} and three_years is not None


# --- VAT ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("net", "rate", "vat"),
    [
        (150, "5", 8),  # 7.5 rounds up
        (149, "5", 7),  # 7.45 rounds down
        (25, "10", 3),  # 2.5: half up, not to even
        (35, "10", 4),  # 3.5
        (4, "10", 0),  # 0.4
        (5, "10", 1),  # 0.5
        (1_250_000, "8", 100_000),
        (99_999, "8", 8_000),  # 7 999.92
        (1_234_567_891, "10", 123_456_789),  # 123 456 789.1
        (999_999_999_999_999, "5", 50_000_000_000_000),  # 49 999 999 999 999.95, exact
        (1_000_000, "kct", 0),  # not subject to VAT
        (1_000_000, "0", 0),
    ],
)
def test_vat_is_rounded_half_up_to_the_dong_with_integers(net, rate, vat):
    amount = vat_amount(net, rate)
    assert amount == vat
    assert type(amount) is int


def test_line_amounts():
    assert line_amounts(3, 33_333, "8") == (99_999, 8_000, 107_999)
    assert line_amounts(115, 123_457, "10") == (14_197_555, 1_419_756, 15_617_311)
    assert line_amounts(7, 250_000, "kct") == (1_750_000, 0, 1_750_000)


# --- requests for quotes ----------------------------------------------------------------------


def _refusal(case: str, location_id: int, other_location_id: int) -> rfqs.RfqData:
    start = today() + timedelta(days=10)
    if case == "deadline_past":
        return rfq_data(location_id, respond_by_date=today() - timedelta(days=1))
    if case == "end_before_start":
        return rfq_data(location_id, ends_on=start - timedelta(days=1))
    if case == "weekly_without_days":
        return rfq_data(location_id, weekdays=[])
    if case == "start_in_past":
        return rfq_data(
            location_id,
            starts_on=today() - timedelta(days=2),
            respond_by_date=today() + timedelta(days=1),
        )
    if case in ("zero_quantity", "negative_quantity"):
        data = rfq_data(location_id)
        data.lines[0].quantity = "0" if case == "zero_quantity" else "-5"
        return data
    if case == "other_buyers_location":
        return rfq_data(other_location_id)
    if case == "no_location":
        return rfq_data(None)
    if case == "deadline_after_start":
        return rfq_data(location_id, respond_by_date=start + timedelta(days=1))
    raise AssertionError(case)


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("deadline_past", "respond_by_date"),
        ("end_before_start", "ends_on"),
        ("weekly_without_days", "weekdays"),
        ("start_in_past", "starts_on"),
        ("zero_quantity", "lines-0-quantity"),
        ("negative_quantity", "lines-0-quantity"),
        ("other_buyers_location", "delivery_location_id"),
        ("no_location", "delivery_location_id"),
        ("deadline_after_start", "respond_by_date"),
    ],
)
def test_bad_requests_are_refused_and_nothing_is_saved(app, case, field):
    buyer, location_id = verified_buyer(app)
    _other, other_location_id = verified_buyer(app, name="Bếp ăn Công ty May 10")
    coop_with_listing(app, "HTX Sâm Mường Tè")
    with app.app_context():
        messages = count(OutboxMessage)
        with pytest.raises(ValidationFailed) as exc:
            rfqs.create_rfq(
                actor_for(buyer),
                buyer.organization_id,
                _refusal(case, location_id, other_location_id),
            )
        assert field in exc.value.errors
        assert count(Rfq) == 0
        assert count(OutboxMessage) == messages


def test_an_unverified_buyer_cannot_ask_for_quotes(app):
    buyer, location_id = verified_buyer(app)
    with app.app_context():
        organization = db.session.get_one(Organization, buyer.organization_id)
        organization.verification_status = VerificationStatus.SUBMITTED
        db.session.commit()
        with pytest.raises(ValidationFailed) as exc:
            rfqs.create_rfq(actor_for(buyer), buyer.organization_id, rfq_data(location_id))
        assert "title" in exc.value.errors
        assert count(Rfq) == 0


def test_only_a_buyers_manager_asks_for_quotes(app):
    buyer, location_id = verified_buyer(app)
    staff = add_member(app, buyer.organization_id, Role.STAFF)
    coop, _listing = coop_with_listing(app, "HTX Sâm Mường Tè")
    with app.app_context():
        with pytest.raises(PermissionDenied):
            rfqs.create_rfq(actor_for(staff), buyer.organization_id, rfq_data(location_id))
        with pytest.raises(NotFound):
            rfqs.create_rfq(actor_for(coop), buyer.organization_id, rfq_data(location_id))
        # A co-op is not a buyer, even for its own organisation.
        with pytest.raises(NotFound):
            rfqs.create_rfq(actor_for(coop), coop.organization_id, rfq_data(location_id))
        assert count(Rfq) == 0


def test_a_request_tells_matching_co_ops_only(app):
    buyer, location_id = verified_buyer(app)
    coop, _ = coop_with_listing(app, "HTX Sâm Mường Tè")
    colleague = add_member(app, coop.organization_id, Role.STAFF)
    tea, _ = coop_with_listing(app, "HTX Chè Shan Tuyết", slug="che-xanh", unit="kg")
    with app.app_context():
        before = told(coop, colleague, tea, buyer)
        rfq = rfqs.create_rfq(actor_for(buyer), buyer.organization_id, rfq_data(location_id))
        assert rfq.status is RfqStatus.OPEN
        assert [ln.quantity for ln in rfq.lines] == [120, 7]
        assert rfq.weekdays == "1,4" and rfq.pattern is W.WEEKLY
        assert rfqs.matching_coop_ids(rfq) == [coop.organization_id]
        # Every member of the matching co-op: an email queued and a notification in the app.
        after = told(coop, colleague, tea, buyer)
        assert after == plus_one(before[:2]) + before[2:]
        for person in (coop, colleague):
            email = emails_to(person.email)[-1]
            assert "Rượu sâm và sâm tươi" in email.payload["subject"]
            assert "Siêu thị Xanh Hà Nội" in email.payload["text"]
            notification = max(notifications_of(person), key=lambda n: n.id)
            assert "Rượu sâm và sâm tươi" in notification.message
            assert notification.link


def test_a_sub_category_listing_matches_a_request_for_its_parent(app):
    buyer, location_id = verified_buyer(app)
    coop, _ = coop_with_listing(app, "HTX Sâm Mường Tè")  # listed under "ruou"
    with app.app_context():
        data = rfq_data(location_id)
        data.lines = data.lines[:1]
        data.lines[0].category_id = category_id("ruou-do-uong")
        rfq = rfqs.create_rfq(actor_for(buyer), buyer.organization_id, data)
        assert rfqs.matching_coop_ids(rfq) == [coop.organization_id]


def test_required_certificates_narrow_who_is_told(app):
    buyer, location_id = verified_buyer(app)
    certified, _ = coop_with_listing(app, "HTX Sâm Có VietGAP")
    approved_certificate(app, certified, "vietgap")
    plain, _ = coop_with_listing(app, "HTX Sâm Chưa Chứng Nhận")
    with app.app_context():
        before = told(certified, plain)
        rfq = rfqs.create_rfq(
            actor_for(buyer),
            buyer.organization_id,
            rfq_data(location_id, required_certificates=["vietgap"]),
        )
        assert rfq.certificate_kinds == ["vietgap"]
        assert rfqs.matching_coop_ids(rfq) == [certified.organization_id]
        assert rfqs.missing_certificates(rfq, certified.organization_id) is None
        assert "VietGAP" in str(rfqs.missing_certificates(rfq, plain.organization_id))
        assert told(certified, plain) == plus_one(before[:1]) + before[1:]


def test_an_invitation_only_request_tells_only_the_invited(app):
    buyer, location_id = verified_buyer(app)
    invited, _ = coop_with_listing(app, "HTX Được Mời")
    uninvited, _ = coop_with_listing(app, "HTX Không Được Mời")
    with app.app_context():
        with pytest.raises(ValidationFailed) as exc:
            rfqs.create_rfq(
                actor_for(buyer),
                buyer.organization_id,
                rfq_data(location_id, invited_only=True, invited_coop_ids=[]),
            )
        assert "invited_coop_ids" in exc.value.errors
        before = told(invited, uninvited)
        rfq = rfqs.create_rfq(
            actor_for(buyer),
            buyer.organization_id,
            rfq_data(location_id, invited_only=True, invited_coop_ids=[invited.organization_id]),
        )
        assert rfqs.matching_coop_ids(rfq) == [invited.organization_id]
        assert told(invited, uninvited) == plus_one(before[:1]) + before[1:]
        assert rfqs.rfq_view(actor_for(invited), rfq.id).side is Side.COOP
        with pytest.raises(NotFound):
            rfqs.rfq_view(actor_for(uninvited), rfq.id)
        assert rfqs.requests_for_coop(actor_for(uninvited), uninvited.organization_id) == []


def test_who_sees_a_request(app):
    deal = open_deal(app, coops=2)
    first, second = deal.coops
    buyer_staff = add_member(app, deal.buyer.organization_id, Role.STAFF)
    tea, _ = coop_with_listing(app, "HTX Chè Shan Tuyết", slug="che-xanh", unit="kg")
    other_buyer, _ = verified_buyer(app, name="Bếp ăn Công ty May 10")
    first_quote = submit(app, deal, first, STANDARD_TERMS)
    second_quote = submit(app, deal, second, [("130.000", "120", "10"), None])
    with app.app_context():
        view = rfqs.rfq_view(actor_for(deal.buyer), deal.rfq_id)
        assert view.side is Side.BUYER and view.can_decide
        assert [q.id for q in view.quotes] == [first_quote, second_quote]
        assert not view.deadline_passed
        staff_view = rfqs.rfq_view(actor_for(buyer_staff), deal.rfq_id)
        assert len(staff_view.quotes) == 2 and not staff_view.can_decide
        # A co-op sees its own quote only.
        coop_view = rfqs.rfq_view(actor_for(second), deal.rfq_id)
        assert coop_view.side is Side.COOP
        assert coop_view.organization.id == second.organization_id
        assert [q.id for q in coop_view.quotes] == [second_quote]
        for outsider in (tea, other_buyer):
            with pytest.raises(NotFound):
                rfqs.rfq_view(actor_for(outsider), deal.rfq_id)
        with pytest.raises(NotFound):
            rfqs.rfq_view(actor_for(deal.buyer), deal.rfq_id + 1000)
        # Anonymous: refused before the request is even looked up, so an existing request
        # and a missing one get the same answer.
        anonymous = Actor(user=None)
        for rfq_id in (deal.rfq_id, deal.rfq_id + 1000):
            with pytest.raises(PermissionDenied):
                rfqs.rfq_view(anonymous, rfq_id)


def test_requests_for_a_co_op_until_it_quotes_or_the_deadline_passes(app):
    deal = open_deal(app, coops=2)
    first, second = deal.coops
    tea, _ = coop_with_listing(app, "HTX Chè Shan Tuyết", slug="che-xanh", unit="kg")
    with app.app_context():
        for coop in (first, second):
            assert [
                r.id for r in rfqs.requests_for_coop(actor_for(coop), coop.organization_id)
            ] == [deal.rfq_id]
        assert rfqs.requests_for_coop(actor_for(tea), tea.organization_id) == []
        with pytest.raises(NotFound):
            rfqs.requests_for_coop(actor_for(tea), first.organization_id)
    submit(app, deal, first, STANDARD_TERMS)
    with app.app_context():
        assert rfqs.requests_for_coop(actor_for(first), first.organization_id) == []
        rfq = db.session.get_one(Rfq, deal.rfq_id)
        rfq.respond_by = datetime.now(UTC) - timedelta(minutes=1)
        db.session.commit()
        assert rfqs.requests_for_coop(actor_for(second), second.organization_id) == []


def test_quote_defaults_come_from_the_co_ops_own_listing(app):
    deal = open_deal(app)
    coop = deal.coops[0]
    with app.app_context():
        rfq = db.session.get_one(Rfq, deal.rfq_id)
        wine, ginseng = rfqs.quote_defaults(rfq, coop.organization_id)
        # 120 bottles reach the 100-bottle tier; rượu carries 10 % VAT.
        assert (wine.unit_price, wine.quantity, wine.vat_rate) == ("180000", "120", "10")
        assert wine.listing_id == deal.listing_ids[0]
        # No ginseng listing: the buyer's target price (none) and the category's rate.
        assert (ginseng.unit_price, ginseng.quantity, ginseng.vat_rate) == ("", "7", "5")
        assert ginseng.listing_id is None


def test_cancelling_a_request_declines_its_quotes(app):
    deal = open_deal(app, coops=2)
    first, second = deal.coops
    other_buyer, _ = verified_buyer(app, name="Bếp ăn Công ty May 10")
    first_quote = submit(app, deal, first, STANDARD_TERMS)
    with app.app_context():
        with pytest.raises(NotFound):
            rfqs.cancel_rfq(actor_for(other_buyer), deal.rfq_id)
        with pytest.raises(NotFound):
            rfqs.cancel_rfq(actor_for(first), deal.rfq_id)
        told = len(emails_to(first.email))
        rfq = rfqs.cancel_rfq(actor_for(deal.buyer), deal.rfq_id)
        assert rfq.status is RfqStatus.CANCELLED
        assert db.session.get_one(Quote, first_quote).status is QuoteStatus.DECLINED
        assert len(emails_to(first.email)) == told + 1
        with pytest.raises(TransitionNotAllowed):
            rfqs.cancel_rfq(actor_for(deal.buyer), deal.rfq_id)
        # A closed request takes no new quotes; the co-op that never quoted no longer sees it.
        with pytest.raises(NotFound):
            rfqs.submit_quote(
                actor_for(second),
                deal.rfq_id,
                second.organization_id,
                offer(deal.line_ids, STANDARD_TERMS),
            )


# --- quotes ------------------------------------------------------------------------------------


def test_a_quote_tells_the_buyer_and_waits_on_the_buyer(app):
    deal = open_deal(app)
    coop = deal.coops[0]
    with app.app_context():
        before = told(deal.buyer)
    quote_id = submit(app, deal, coop, STANDARD_TERMS)
    with app.app_context():
        assert told(deal.buyer) == plus_one(before)
        quote = db.session.get_one(Quote, quote_id)
        assert quote.status is QuoteStatus.OPEN and quote.current_version == 1
        version = quote.latest
        assert version.side is Side.COOP and version.number == 1
        assert [(ln.unit_price, ln.quantity, ln.vat_rate) for ln in version.lines] == [
            (123_457, 120, "10"),
            (333_333, 7, "5"),
        ]
        assert rfqs.waiting_on(quote) is Side.BUYER
        assert [
            q.id
            for q in rfqs.negotiations_waiting(actor_for(deal.buyer), deal.buyer.organization_id)
        ] == [quote_id]
        assert rfqs.negotiations_waiting(actor_for(coop), coop.organization_id) == []


def test_no_quote_after_the_deadline(app):
    deal = open_deal(app)
    coop = deal.coops[0]
    with app.app_context():
        rfq = db.session.get_one(Rfq, deal.rfq_id)
        rfq.respond_by = datetime.now(UTC) - timedelta(minutes=1)
        db.session.commit()
        assert rfqs.rfq_view(actor_for(deal.buyer), deal.rfq_id).deadline_passed
        with pytest.raises(ValidationFailed) as exc:
            rfqs.submit_quote(
                actor_for(coop),
                deal.rfq_id,
                coop.organization_id,
                offer(deal.line_ids, STANDARD_TERMS),
            )
        assert "version" in exc.value.errors
        assert count(Quote) == 0


def test_no_quote_without_the_certificates_asked_for(app):
    deal = open_deal(app, required_certificates=["organic"])
    coop = deal.coops[0]
    with app.app_context():
        with pytest.raises(ValidationFailed) as exc:
            rfqs.submit_quote(
                actor_for(coop),
                deal.rfq_id,
                coop.organization_id,
                offer(deal.line_ids, STANDARD_TERMS),
            )
        assert "version" in exc.value.errors
        assert count(Quote) == 0
    approved_certificate(app, coop, "organic")
    assert submit(app, deal, coop, STANDARD_TERMS)


def test_minimum_ocop_stars(app):
    deal = open_deal(app, min_ocop_stars=4)
    coop = deal.coops[0]
    approved_certificate(app, coop, "ocop", stars=3)
    with app.app_context():
        with pytest.raises(ValidationFailed) as exc:
            rfqs.submit_quote(
                actor_for(coop),
                deal.rfq_id,
                coop.organization_id,
                offer(deal.line_ids, STANDARD_TERMS),
            )
        assert "OCOP" in str(exc.value.errors["version"])


def test_a_co_op_quotes_once(app):
    deal = open_deal(app)
    coop = deal.coops[0]
    colleague = add_member(app, coop.organization_id, Role.MANAGER)
    submit(app, deal, coop, STANDARD_TERMS)
    with app.app_context():
        with pytest.raises(ValidationFailed) as exc:
            rfqs.submit_quote(
                actor_for(colleague),
                deal.rfq_id,
                coop.organization_id,
                offer(deal.line_ids, STANDARD_TERMS),
            )
        assert "version" in exc.value.errors
        assert count(Quote) == 1 and count(QuoteVersion) == 1


def test_staff_cannot_quote_and_strangers_cannot_see_the_request(app):
    deal = open_deal(app)
    coop = deal.coops[0]
    staff = add_member(app, coop.organization_id, Role.STAFF)
    tea, _ = coop_with_listing(app, "HTX Chè Shan Tuyết", slug="che-xanh", unit="kg")
    with app.app_context():
        with pytest.raises(PermissionDenied):
            rfqs.submit_quote(
                actor_for(staff),
                deal.rfq_id,
                coop.organization_id,
                offer(deal.line_ids, STANDARD_TERMS),
            )
        with pytest.raises(NotFound):
            rfqs.submit_quote(
                actor_for(tea),
                deal.rfq_id,
                tea.organization_id,
                offer(deal.line_ids, STANDARD_TERMS),
            )
        assert count(Quote) == 0


@pytest.mark.parametrize(
    ("terms", "field"),
    [
        ([("0", "120", "10"), None], "lines-0-unit_price"),
        ([("150.5", "120", "10"), None], "lines-0-unit_price"),
        ([("150.000", "0", "10"), None], "lines-0-quantity"),
        ([("150.000", "120", "7"), None], "lines-0-vat_rate"),
        ([None, None], "lines"),
    ],
)
def test_bad_quote_lines(app, terms, field):
    deal = open_deal(app)
    coop = deal.coops[0]
    with app.app_context():
        with pytest.raises(ValidationFailed) as exc:
            rfqs.submit_quote(
                actor_for(coop), deal.rfq_id, coop.organization_id, offer(deal.line_ids, terms)
            )
        assert field in exc.value.errors
        assert count(Quote) == 0


def test_counter_offer_and_revision_make_versions_two_and_three(app):
    deal = open_deal(app)
    coop = deal.coops[0]
    quote_id = submit(app, deal, coop, [("150.000", "120", "10"), ("400.000", "7", "5")])
    with app.app_context():
        before = told(coop)
        counter = rfqs.add_version(
            actor_for(deal.buyer),
            quote_id,
            1,
            offer(deal.line_ids, [("140.000", "120", "10"), ("400.000", "7", "5")]),
        )
        assert (counter.number, counter.side) == (2, Side.BUYER)
        quote = db.session.get_one(Quote, quote_id)
        assert rfqs.waiting_on(quote) is Side.COOP
        assert [q.id for q in rfqs.negotiations_waiting(actor_for(coop), coop.organization_id)] == [
            quote_id
        ]
        assert rfqs.negotiations_waiting(actor_for(deal.buyer), deal.buyer.organization_id) == []
        assert told(coop) == plus_one(before)
        revision = rfqs.add_version(
            actor_for(coop),
            quote_id,
            2,
            offer(deal.line_ids, [("145.000", "100", "10"), ("400.000", "7", "5")]),
        )
        assert (revision.number, revision.side) == (3, Side.COOP)
        quote = db.session.get_one(Quote, quote_id)
        assert quote.current_version == 3
        assert [v.number for v in quote.versions] == [1, 2, 3]
        # Earlier versions are kept as they were.
        assert quote.versions[0].lines[0].unit_price == 150_000

        wine, ginseng = rfqs.differences(quote, quote.versions[1])
        assert wine.price_changed and not wine.quantity_changed
        assert (wine.previous.unit_price, wine.line.unit_price) == (150_000, 140_000)
        assert not ginseng.price_changed and not ginseng.added and not ginseng.dropped
        wine, _ginseng = rfqs.differences(quote, quote.versions[2])
        assert wine.price_changed and wine.quantity_changed and not wine.vat_changed
        assert (wine.previous.unit_price, wine.line.unit_price) == (140_000, 145_000)
        first, _ = rfqs.differences(quote, quote.versions[0])
        assert first.added and not first.price_changed


def test_dropping_a_line_shows_in_the_differences(app):
    deal = open_deal(app)
    coop = deal.coops[0]
    quote_id = submit(app, deal, coop, STANDARD_TERMS)
    with app.app_context():
        rfqs.add_version(
            actor_for(coop), quote_id, 1, offer(deal.line_ids, [("123.457", "120", "8"), None])
        )
        quote = db.session.get_one(Quote, quote_id)
        wine, ginseng = rfqs.differences(quote, quote.latest)
        assert wine.vat_changed and not wine.price_changed
        assert ginseng.dropped and ginseng.line is None


def test_a_stale_version_is_refused_and_nothing_is_saved(app):
    deal = open_deal(app)
    coop = deal.coops[0]
    quote_id = submit(app, deal, coop, STANDARD_TERMS)
    with app.app_context():
        rfqs.add_version(actor_for(coop), quote_id, 1, offer(deal.line_ids, STANDARD_TERMS))
        emails = count(OutboxMessage)
        # The buyer's page still shows version 1.
        with pytest.raises(DealChanged) as exc:
            rfqs.add_version(
                actor_for(deal.buyer),
                quote_id,
                1,
                offer(deal.line_ids, [("100.000", "120", "10"), None]),
            )
        assert isinstance(exc.value, ValidationFailed)
        assert "version" in exc.value.errors
        assert count(QuoteVersion) == 2
        assert db.session.get_one(Quote, quote_id).current_version == 2
        assert count(OutboxMessage) == emails


def test_only_the_two_parties_negotiate(app):
    deal = open_deal(app, coops=2)
    first, second = deal.coops
    buyer_staff = add_member(app, deal.buyer.organization_id, Role.STAFF)
    quote_id = submit(app, deal, first, STANDARD_TERMS)
    with app.app_context():
        with pytest.raises(NotFound):
            rfqs.add_version(actor_for(second), quote_id, 1, offer(deal.line_ids, STANDARD_TERMS))
        with pytest.raises(NotFound):
            rfqs.negotiation(actor_for(second), quote_id)
        with pytest.raises(PermissionDenied):
            rfqs.add_version(
                actor_for(buyer_staff), quote_id, 1, offer(deal.line_ids, STANDARD_TERMS)
            )
        # Staff may read and write messages, though.
        quote, who = rfqs.negotiation(actor_for(buyer_staff), quote_id)
        assert who.side is Side.BUYER and not who.can_decide
        assert count(QuoteVersion) == 1


def test_messages_in_the_negotiation(app):
    deal = open_deal(app)
    coop = deal.coops[0]
    quote_id = submit(app, deal, coop, STANDARD_TERMS)
    with app.app_context():
        with pytest.raises(ValidationFailed) as exc:
            rfqs.post_message(actor_for(deal.buyer), quote_id, "   ", [])
        assert "body" in exc.value.errors
        before = len(emails_to(coop.email))
        message = rfqs.post_message(
            actor_for(deal.buyer), quote_id, "Giao được thứ Hai lúc 6 giờ sáng không?", []
        )
        assert message.side is Side.BUYER
        assert len(emails_to(coop.email)) == before + 1
        reply = rfqs.post_message(actor_for(coop), quote_id, "Được ạ.", [])
        assert reply.side is Side.COOP
        assert [m.body for m in db.session.get_one(Quote, quote_id).messages] == [
            "Giao được thứ Hai lúc 6 giờ sáng không?",
            "Được ạ.",
        ]


def test_withdrawing_a_quote(app):
    deal = open_deal(app)
    coop = deal.coops[0]
    quote_id = submit(app, deal, coop, STANDARD_TERMS)
    with app.app_context():
        with pytest.raises(PermissionDenied):
            rfqs.withdraw_quote(actor_for(deal.buyer), quote_id)
        before = len(emails_to(deal.buyer.email))
        quote = rfqs.withdraw_quote(actor_for(coop), quote_id)
        assert quote.status is QuoteStatus.WITHDRAWN
        assert len(emails_to(deal.buyer.email)) == before + 1
        with pytest.raises(TransitionNotAllowed):
            rfqs.withdraw_quote(actor_for(coop), quote_id)
        with pytest.raises(ValidationFailed):
            rfqs.add_version(actor_for(coop), quote_id, 1, offer(deal.line_ids, STANDARD_TERMS))
        with pytest.raises(ValidationFailed):
            rfqs.award(
                actor_for(deal.buyer), deal.rfq_id, {deal.line_ids[0]: quote_id}, {quote_id: 1}
            )


# --- award -------------------------------------------------------------------------------------


def test_award_split_between_two_co_ops(app):
    deal = open_deal(app, coops=3)
    first, second, third = deal.coops
    wine_line, ginseng_line = deal.line_ids
    first_quote = submit(app, deal, first, [("100.000", "120", "10"), ("420.000", "7", "5")])
    second_quote = submit(app, deal, second, [("110.000", "100", "10"), ("350.000", "6", "5")])
    third_quote = submit(app, deal, third, [("120.000", "120", "10"), None])
    with app.app_context():
        before = told(*deal.coops)
        first_contract, second_contract = rfqs.award(
            actor_for(deal.buyer),
            deal.rfq_id,
            {wine_line: first_quote, ginseng_line: second_quote},
            {first_quote: 1, second_quote: 1},
        )
        assert db.session.get_one(Rfq, deal.rfq_id).status is RfqStatus.AWARDED
        assert {q.id: q.status for q in db.session.scalars(select(Quote))} == {
            first_quote: QuoteStatus.AWARDED,
            second_quote: QuoteStatus.AWARDED,
            third_quote: QuoteStatus.DECLINED,
        }
        assert count(Contract) == 2
        for contract, coop, quote_id in (
            (first_contract, first, first_quote),
            (second_contract, second, second_quote),
        ):
            contract = db.session.get_one(Contract, contract.id)
            assert contract.status is ContractStatus.DRAFT and contract.kind is ContractKind.SUPPLY
            assert (contract.buyer_id, contract.coop_id) == (
                deal.buyer.organization_id,
                coop.organization_id,
            )
            assert (contract.rfq_id, contract.quote_id) == (deal.rfq_id, quote_id)
            assert contract.quote_version_id == db.session.get_one(Quote, quote_id).latest.id
            assert contract.number.startswith(f"HĐ-{today().year}-")
            assert contract.pattern is W.WEEKLY and contract.weekdays == "1,4"
            assert contract.payment_days == 30
            assert "Kho Long Biên" in contract.delivery_address
            assert contract.parties["buyer"]["name"] == "Siêu thị Xanh Hà Nội"
            assert contract.signatures == []
        [wine] = db.session.get_one(Contract, first_contract.id).lines
        assert (wine.unit_price, wine.quantity, wine.vat_rate, wine.unit) == (
            100_000,
            120,
            "10",
            "chai",
        )
        assert "Rượu sâm 500 ml" in wine.description
        [ginseng] = db.session.get_one(Contract, second_contract.id).lines
        assert (ginseng.unit_price, ginseng.quantity, ginseng.vat_rate, ginseng.unit) == (
            350_000,
            6,
            "5",
            "kg",
        )
        # Every co-op hears how it went: two won, the third is thanked.
        assert told(*deal.coops) == plus_one(before)
        # The request is closed now.
        with pytest.raises(ValidationFailed):
            rfqs.add_version(
                actor_for(deal.buyer), third_quote, 1, offer(deal.line_ids, STANDARD_TERMS)
            )
        with pytest.raises(ValidationFailed):
            rfqs.award(
                actor_for(deal.buyer), deal.rfq_id, {wine_line: third_quote}, {third_quote: 1}
            )


def test_terms_are_frozen_when_awarded(app):
    deal = open_deal(app)
    coop = deal.coops[0]
    quote_id = submit(app, deal, coop, STANDARD_TERMS)
    with app.app_context():
        [contract] = rfqs.award(
            actor_for(deal.buyer),
            deal.rfq_id,
            dict.fromkeys(deal.line_ids, quote_id),
            {quote_id: 1},
        )
        # Counter-offers and revisions on an awarded request are refused.
        for person in (deal.buyer, coop):
            with pytest.raises(ValidationFailed) as exc:
                rfqs.add_version(
                    actor_for(person),
                    quote_id,
                    1,
                    offer(deal.line_ids, [("99.000", "120", "10"), ("300.000", "7", "5")]),
                )
            assert "version" in exc.value.errors
        assert count(QuoteVersion) == 1
        prices = [ln.unit_price for ln in db.session.get_one(Contract, contract.id).lines]
        assert prices == [123_457, 333_333]


def test_the_buyers_own_counter_offer_cannot_be_awarded(app):
    deal = open_deal(app)
    coop = deal.coops[0]
    quote_id = submit(app, deal, coop, STANDARD_TERMS)
    with app.app_context():
        rfqs.add_version(
            actor_for(deal.buyer),
            quote_id,
            1,
            offer(deal.line_ids, [("100.000", "120", "10"), ("300.000", "7", "5")]),
        )
        with pytest.raises(ValidationFailed) as exc:
            rfqs.award(
                actor_for(deal.buyer),
                deal.rfq_id,
                dict.fromkeys(deal.line_ids, quote_id),
                {quote_id: 2},
            )
        assert "version" in exc.value.errors
        assert not isinstance(exc.value, DealChanged)
        assert count(Contract) == 0
        assert db.session.get_one(Rfq, deal.rfq_id).status is RfqStatus.OPEN
        assert db.session.get_one(Quote, quote_id).status is QuoteStatus.OPEN


def test_award_refusals_change_nothing(app):
    deal = open_deal(app, coops=2)
    first, second = deal.coops
    other_buyer, _ = verified_buyer(app, name="Bếp ăn Công ty May 10")
    buyer_staff = add_member(app, deal.buyer.organization_id, Role.STAFF)
    wine_line, ginseng_line = deal.line_ids
    first_quote = submit(app, deal, first, STANDARD_TERMS)
    second_quote = submit(app, deal, second, [("130.000", "120", "10"), None])
    with app.app_context():
        rfqs.add_version(actor_for(first), first_quote, 1, offer(deal.line_ids, STANDARD_TERMS))
        everything = dict.fromkeys(deal.line_ids, first_quote)
        # The buyer's page still showed version 1 of the first quote.
        with pytest.raises(DealChanged):
            rfqs.award(actor_for(deal.buyer), deal.rfq_id, everything, {first_quote: 1})
        with pytest.raises(DealChanged):
            rfqs.award(actor_for(deal.buyer), deal.rfq_id, everything, {})
        # Another buyer, or the co-op itself, cannot tell that the request exists.
        for stranger in (other_buyer, first):
            with pytest.raises(NotFound):
                rfqs.award(actor_for(stranger), deal.rfq_id, everything, {first_quote: 2})
        with pytest.raises(NotFound):
            rfqs.award(actor_for(deal.buyer), deal.rfq_id + 1000, everything, {first_quote: 2})
        with pytest.raises(PermissionDenied):
            rfqs.award(actor_for(buyer_staff), deal.rfq_id, everything, {first_quote: 2})
        # The second co-op did not quote for the ginseng.
        with pytest.raises(ValidationFailed):
            rfqs.award(
                actor_for(deal.buyer),
                deal.rfq_id,
                {wine_line: first_quote, ginseng_line: second_quote},
                {first_quote: 2, second_quote: 1},
            )
        with pytest.raises(ValidationFailed):
            rfqs.award(actor_for(deal.buyer), deal.rfq_id, {}, {})
        with pytest.raises(ValidationFailed):
            rfqs.award(actor_for(deal.buyer), deal.rfq_id, {wine_line: first_quote + 1000}, {})
        # A lapsed offer.
        version = db.session.get_one(Quote, second_quote).latest
        version.valid_until = today() - timedelta(days=1)
        db.session.commit()
        with pytest.raises(ValidationFailed):
            rfqs.award(
                actor_for(deal.buyer), deal.rfq_id, {wine_line: second_quote}, {second_quote: 1}
            )
        assert count(Contract) == 0
        assert db.session.get_one(Rfq, deal.rfq_id).status is RfqStatus.OPEN
        assert {q.status for q in db.session.scalars(select(Quote))} == {QuoteStatus.OPEN}


def test_a_quote_arriving_while_the_request_is_awarded_is_refused(app, monkeypatch):
    """``submit_quote`` reads the request's status before taking its lock. If the buyer
    awards (and commits) in between, the quote must still be refused once the lock is held."""
    deal = open_deal(app, coops=2)
    first, second = deal.coops
    first_quote = submit(app, deal, first, STANDARD_TERMS)
    real_lock = rfqs.lock

    def lock_after_award(model, object_id):
        if model is Rfq:
            # What the buyer's award commits while this request waits for the row lock.
            db.session.execute(
                update(Rfq).where(Rfq.id == object_id).values(status=RfqStatus.AWARDED)
            )
            db.session.execute(
                update(Quote).where(Quote.id == first_quote).values(status=QuoteStatus.AWARDED)
            )
        return real_lock(model, object_id)

    with app.app_context():
        monkeypatch.setattr(rfqs, "lock", lock_after_award)
        with pytest.raises(ValidationFailed):
            rfqs.submit_quote(
                actor_for(second),
                deal.rfq_id,
                second.organization_id,
                offer(deal.line_ids, STANDARD_TERMS),
            )
        monkeypatch.undo()
        assert (
            db.session.scalar(select(func.count()).where(Quote.coop_id == second.organization_id))
            == 0
        )


# --- signing ---------------------------------------------------------------------------------


def test_signing_activates_and_plans_the_deliveries(app):
    deal = open_deal(app)
    coop = deal.coops[0]
    coop_staff = add_member(app, coop.organization_id, Role.STAFF)
    buyer_manager = add_member(app, deal.buyer.organization_id, Role.MANAGER, name="Trần Thị Bình")
    outsider, _ = verified_buyer(app, name="Bếp ăn Công ty May 10")
    quote_id = submit(app, deal, coop, STANDARD_TERMS)
    with app.app_context():
        [contract] = rfqs.award(
            actor_for(deal.buyer),
            deal.rfq_id,
            dict.fromkeys(deal.line_ids, quote_id),
            {quote_id: 1},
        )
        contract_id = contract.id
        with pytest.raises(PermissionDenied):
            contracts.sign(actor_for(coop_staff), contract_id, 1, confirmed=True)
        with pytest.raises(NotFound):
            contracts.sign(actor_for(outsider), contract_id, 1, confirmed=True)
        with pytest.raises(DealChanged):
            contracts.sign(actor_for(buyer_manager), contract_id, 0, confirmed=True)
        assert db.session.get_one(Contract, contract_id).signatures == []

        signer = Actor(user=db.session.get_one(User, buyer_manager.id), ip="203.113.7.9")
        contract = contracts.sign(signer, contract_id, 1, confirmed=True)
        assert contract.status is ContractStatus.DRAFT and contract.version == 2
        [signature] = contract.signatures
        assert (signature.side, signature.name, signature.role, signature.ip) == (
            Side.BUYER,
            "Trần Thị Bình",
            "manager",
            "203.113.7.9",
        )
        assert signature.user_id == buyer_manager.id and signature.contract_version == 1
        assert signature.signed_at is not None
        assert count(Delivery) == 0
        with pytest.raises(ValidationFailed) as exc:
            contracts.sign(actor_for(deal.buyer), contract_id, 2, confirmed=True)
        assert "version" in exc.value.errors
        assert [
            c.id for c in contracts.waiting_signature(actor_for(coop), coop.organization_id)
        ] == [contract_id]
        assert contracts.waiting_signature(actor_for(deal.buyer), deal.buyer.organization_id) == []

        contract = contracts.sign(actor_for(coop), contract_id, 2, confirmed=True)
        assert contract.status is ContractStatus.ACTIVE and contract.activated_at is not None
        assert {s.side for s in contract.signatures} == {Side.BUYER, Side.COOP}
        assert contract.signature_of(Side.COOP).role == "owner"
        planned = deliveries_of(contract_id)
        rfq = db.session.get_one(Rfq, deal.rfq_id)
        expected = plan_dates(W.WEEKLY, rfq.starts_on, rfq.ends_on, [1, 4])
        assert len(expected) >= 5
        assert [d.scheduled_on for d in planned] == expected
        assert [d.sequence for d in planned] == list(range(1, len(expected) + 1))
        assert {d.status for d in planned} == {DeliveryStatus.PLANNED}
        assert count(DeliveryLine) == len(expected) * 2
        for delivery in planned:
            assert [(ln.quantity, ln.unit_price) for ln in delivery.lines] == [
                (120, 123_457),
                (7, 333_333),
            ]
        with pytest.raises(ValidationFailed):
            contracts.sign(actor_for(coop), contract_id, 3, confirmed=True)


def test_contract_view_is_for_the_two_parties(app):
    deal, contract_id = active_contract(app)
    coop = deal.coops[0]
    coop_staff = add_member(app, coop.organization_id, Role.STAFF)
    outsider, _ = coop_with_listing(app, "HTX Chè Shan Tuyết", slug="che-xanh", unit="kg")
    with app.app_context():
        view = contracts.contract_view(actor_for(deal.buyer), contract_id)
        assert view.side is Side.BUYER and view.my_signature.side is Side.BUYER
        assert len(view.deliveries) == len(deliveries_of(contract_id)) and view.invoices == []
        assert view.open_amendment is None
        assert contracts.contract_view(actor_for(coop_staff), contract_id).side is Side.COOP
        with pytest.raises(NotFound):
            contracts.contract_view(actor_for(outsider), contract_id)
        with pytest.raises(NotFound):
            contracts.contract_view(actor_for(deal.buyer), contract_id + 1000)


def test_a_contract_ends_when_its_period_is_over_and_everything_is_delivered(app):
    deal, contract_id = active_contract(app)
    coop = deal.coops[0]
    with app.app_context():
        contract = db.session.get_one(Contract, contract_id)
        planned = deliveries_of(contract_id)
        # The period is over, but the last delivery is still to come: it stays active, the
        # delivery is overdue and can still be dispatched and received.
        for delivery in planned:
            delivery.scheduled_on = today() - timedelta(days=len(planned) - delivery.sequence + 1)
        contract.starts_on = planned[0].scheduled_on
        contract.ends_on = today() - timedelta(days=1)
        version = contract.version
        db.session.commit()
        view = contracts.contract_view(actor_for(deal.buyer), contract_id)
        assert view.contract.status is ContractStatus.ACTIVE
        assert view.status_today is ContractStatus.ACTIVE
        assert deliveries.is_overdue(planned[-1])
        for delivery in planned:
            dispatch_all(coop, delivery.id)
            receive_all(deal.buyer, delivery.id)
        # The last receipt ended it.
        view = contracts.contract_view(actor_for(deal.buyer), contract_id)
        assert view.contract.status is ContractStatus.ENDED
        assert db.session.get_one(Contract, contract_id).version == version + 1
        # Ending it again changes nothing.
        contracts.end_if_over(view.contract)
        assert db.session.get_one(Contract, contract_id).version == version + 1


def test_a_contract_over_but_not_yet_swept_reads_as_ended_without_a_write(app):
    deal, contract_id = active_contract(app)
    with app.app_context():
        contract = db.session.get_one(Contract, contract_id)
        for delivery in deliveries_of(contract_id):
            db.session.delete(delivery)
        contract.ends_on = today() - timedelta(days=1)
        version = contract.version
        db.session.commit()
        view = contracts.contract_view(actor_for(deal.buyer), contract_id)
        assert view.status_today is ContractStatus.ENDED
        assert view.contract.status is ContractStatus.ACTIVE
        assert db.session.get_one(Contract, contract_id).version == version


def test_the_sweep_cancels_drafts_left_unsigned_past_their_dates(app):
    deal = open_deal(app)
    quote_id = submit(app, deal, deal.coops[0], STANDARD_TERMS)
    with app.app_context():
        [contract] = rfqs.award(
            actor_for(deal.buyer),
            deal.rfq_id,
            dict.fromkeys(deal.line_ids, quote_id),
            {quote_id: 1},
        )
        contract.ends_on = today() - timedelta(days=1)
        db.session.commit()
        contract_id = contract.id
        assert contracts.sweep() == (0, 1)
        assert db.session.get_one(Contract, contract_id).status is ContractStatus.CANCELLED
        assert contracts.sweep() == (0, 0)


def test_a_draft_whose_period_has_passed_cannot_be_signed(app):
    deal = open_deal(app)
    coop = deal.coops[0]
    quote_id = submit(app, deal, coop, STANDARD_TERMS)
    with app.app_context():
        [contract] = rfqs.award(
            actor_for(deal.buyer),
            deal.rfq_id,
            dict.fromkeys(deal.line_ids, quote_id),
            {quote_id: 1},
        )
        contract.starts_on = today() - timedelta(days=30)
        contract.ends_on = today() - timedelta(days=1)
        db.session.commit()
        with pytest.raises(ValidationFailed):
            contracts.sign(actor_for(deal.buyer), contract.id, 1, confirmed=True)
        assert db.session.get_one(Contract, contract.id).signatures == []


def test_cancelling_a_draft(app):
    deal = open_deal(app)
    coop = deal.coops[0]
    quote_id = submit(app, deal, coop, STANDARD_TERMS)
    with app.app_context():
        [contract] = rfqs.award(
            actor_for(deal.buyer),
            deal.rfq_id,
            dict.fromkeys(deal.line_ids, quote_id),
            {quote_id: 1},
        )
        with pytest.raises(ValidationFailed) as exc:
            contracts.cancel_draft(actor_for(deal.buyer), contract.id, 1, "  ")
        assert "reason" in exc.value.errors
        before = len(emails_to(coop.email))
        contract = contracts.cancel_draft(actor_for(deal.buyer), contract.id, 1, "Đổi nhà cung cấp")
        assert contract.status is ContractStatus.CANCELLED
        assert (contract.termination_reason, contract.terminated_by) == (
            "Đổi nhà cung cấp",
            Side.BUYER,
        )
        assert len(emails_to(coop.email)) == before + 1
        with pytest.raises(ValidationFailed):
            contracts.sign(actor_for(coop), contract.id, contract.version, confirmed=True)
        with pytest.raises(ValidationFailed):
            contracts.cancel_draft(actor_for(coop), contract.id, contract.version, "Lần nữa")


# --- amendments and notice --------------------------------------------------------------------


def test_a_price_change_from_a_date_applies_to_later_deliveries_only(app):
    deal, contract_id = active_contract(app)
    coop = deal.coops[0]
    with app.app_context():
        contract = db.session.get_one(Contract, contract_id)
        wine, ginseng = contract.lines
        planned = deliveries_of(contract_id)
        change_on = planned[2].scheduled_on
        amendment = contracts.propose_amendment(
            actor_for(coop),
            contract_id,
            contract.version,
            contracts.AmendmentData(
                reason="Giá sâm tăng vụ mới",
                effective_from=change_on,
                lines={wine.id: ("", ""), ginseng.id: ("360.000", "")},
            ),
        )
        assert amendment.status is AmendmentStatus.PROPOSED and amendment.number == 1
        assert amendment.proposed_by is Side.COOP
        assert amendment.changes == {
            "lines": {str(ginseng.id): {"unit_price": 360_000}},
            "extra": [],
        }
        version = db.session.get_one(Contract, contract_id).version
        # The proposer cannot accept its own proposal.
        with pytest.raises(PermissionDenied):
            contracts.decide_amendment(
                actor_for(coop), contract_id, amendment.id, "accept", version
            )
        # One proposal at a time, from either side.
        for person in (coop, deal.buyer):
            with pytest.raises(ValidationFailed) as exc:
                contracts.propose_amendment(
                    actor_for(person),
                    contract_id,
                    version,
                    contracts.AmendmentData(
                        reason="Thêm hàng",
                        effective_from=change_on,
                        lines={wine.id: ("", "150")},
                    ),
                )
            assert "version" in exc.value.errors
        assert count(Amendment) == 1
        assert contracts.contract_view(actor_for(deal.buyer), contract_id).open_amendment.id == (
            amendment.id
        )

        amendment = contracts.decide_amendment(
            actor_for(deal.buyer), contract_id, amendment.id, "accept", version
        )
        assert amendment.status is AmendmentStatus.ACCEPTED
        assert amendment.decided_by_id == deal.buyer.id
        contract = db.session.get_one(Contract, contract_id)
        assert [ln.unit_price for ln in contract.lines] == [123_457, 360_000]
        for delivery in deliveries_of(contract_id):
            ginseng_price = 360_000 if delivery.scheduled_on >= change_on else 333_333
            assert [(ln.quantity, ln.unit_price) for ln in delivery.lines] == [
                (120, 123_457),
                (7, ginseng_price),
            ]
        assert [d.scheduled_on >= change_on for d in deliveries_of(contract_id)][:3] == [
            False,
            False,
            True,
        ]
        with pytest.raises(ValidationFailed):
            contracts.decide_amendment(
                actor_for(deal.buyer), contract_id, amendment.id, "reject", version + 1
            )


def test_amendment_refusals(app):
    deal, contract_id = active_contract(app)
    coop = deal.coops[0]
    coop_staff = add_member(app, coop.organization_id, Role.STAFF)
    with app.app_context():
        contract = db.session.get_one(Contract, contract_id)
        wine = contract.lines[0]
        version = contract.version

        def propose(person, **values):
            data = {
                "reason": "Giá mới",
                "effective_from": today(),
                "lines": {wine.id: ("150.000", "")},
            }
            return contracts.propose_amendment(
                actor_for(person), contract_id, version, contracts.AmendmentData(**(data | values))
            )

        for values, field in (
            ({"reason": " "}, "reason"),
            ({"effective_from": today() - timedelta(days=1)}, "effective_from"),
            ({"effective_from": contract.ends_on + timedelta(days=1)}, "effective_from"),
            ({"lines": {wine.id: ("123.457", "120")}}, "reason"),  # nothing changes
            ({"lines": {wine.id: ("12,5", "")}}, f"price-{wine.id}"),
            ({"lines": {wine.id: ("", "0")}}, f"quantity-{wine.id}"),
            ({"extra": [(today() - timedelta(days=1), {wine.id: "10"})]}, "extra-0-on"),
        ):
            with pytest.raises(ValidationFailed) as exc:
                propose(coop, **values)
            assert field in exc.value.errors, values
        with pytest.raises(PermissionDenied):
            propose(coop_staff)
        with pytest.raises(DealChanged):
            contracts.propose_amendment(
                actor_for(coop),
                contract_id,
                version - 1,
                contracts.AmendmentData("Giá mới", today(), {wine.id: ("150.000", "")}),
            )
        assert count(Amendment) == 0

        amendment = propose(coop)
        version += 1
        with pytest.raises(NotFound):
            contracts.decide_amendment(
                actor_for(deal.buyer), contract_id, amendment.id, "ok", version
            )
        rejected = contracts.decide_amendment(
            actor_for(deal.buyer), contract_id, amendment.id, "reject", version
        )
        assert rejected.status is AmendmentStatus.REJECTED
        assert db.session.get_one(Contract, contract_id).lines[0].unit_price == 123_457
        # The proposer may withdraw its own proposal; the other side may not.
        version = db.session.get_one(Contract, contract_id).version
        second = contracts.propose_amendment(
            actor_for(deal.buyer),
            contract_id,
            version,
            contracts.AmendmentData("Giảm giá", today(), {wine.id: ("120.000", "")}),
        )
        assert second.number == 2
        version += 1
        with pytest.raises(PermissionDenied):
            contracts.decide_amendment(actor_for(coop), contract_id, second.id, "withdraw", version)
        withdrawn = contracts.decide_amendment(
            actor_for(deal.buyer), contract_id, second.id, "withdraw", version
        )
        assert withdrawn.status is AmendmentStatus.WITHDRAWN
        assert {ln.unit_price for d in deliveries_of(contract_id) for ln in d.lines} == {
            123_457,
            333_333,
        }


def test_an_extra_delivery_is_added_by_an_accepted_amendment(app):
    deal, contract_id = active_contract(app)
    coop = deal.coops[0]
    with app.app_context():
        contract = db.session.get_one(Contract, contract_id)
        wine, _ginseng = contract.lines
        planned = deliveries_of(contract_id)
        extra_on = planned[-1].scheduled_on - timedelta(days=1)
        amendment = contracts.propose_amendment(
            actor_for(deal.buyer),
            contract_id,
            contract.version,
            contracts.AmendmentData(
                reason="Khuyến mãi Tết",
                effective_from=today(),
                extra=[(extra_on, {wine.id: "60"})],
            ),
        )
        contracts.decide_amendment(
            actor_for(coop), contract_id, amendment.id, "accept", contract.version
        )
        after = deliveries_of(contract_id)
        assert len(after) == len(planned) + 1
        extra = after[-1]
        assert (extra.sequence, extra.scheduled_on, extra.status) == (
            len(planned) + 1,
            extra_on,
            DeliveryStatus.PLANNED,
        )
        assert [(ln.contract_line_id, ln.quantity, ln.unit_price) for ln in extra.lines] == [
            (wine.id, 60, 123_457)
        ]


def test_an_extra_delivery_before_a_price_change_keeps_the_price_of_its_date(app):
    """One amendment raises the price from the third delivery and adds an extra delivery
    before that date: the extra delivery must carry the price in force on its own date
    (``DeliveryLine.unit_price``: "the price in force on the delivery date")."""
    deal, contract_id = active_contract(app)
    coop = deal.coops[0]
    with app.app_context():
        contract = db.session.get_one(Contract, contract_id)
        wine, _ginseng = contract.lines
        planned = deliveries_of(contract_id)
        change_on = planned[2].scheduled_on
        extra_on = planned[0].scheduled_on + timedelta(days=1)
        assert extra_on < change_on
        amendment = contracts.propose_amendment(
            actor_for(coop),
            contract_id,
            contract.version,
            contracts.AmendmentData(
                reason="Giá mới từ tuần thứ hai, thêm một chuyến",
                effective_from=change_on,
                lines={wine.id: ("130.000", "")},
                extra=[(extra_on, {wine.id: "50"})],
            ),
        )
        contracts.decide_amendment(
            actor_for(deal.buyer), contract_id, amendment.id, "accept", contract.version
        )
        extra = next(d for d in deliveries_of(contract_id) if d.scheduled_on == extra_on)
        assert [(ln.quantity, ln.unit_price) for ln in extra.lines] == [(50, 123_457)]


def test_notice_cancels_the_deliveries_after_the_last_day(app):
    deal, contract_id = active_contract(app)
    coop = deal.coops[0]
    with app.app_context():
        contract = db.session.get_one(Contract, contract_id)
        planned = deliveries_of(contract_id)
        last_day = planned[2].scheduled_on
        version = contract.version
        for reason, ends_on, field in (
            ("", last_day, "reason"),
            ("Đóng cửa hàng", None, "ends_on"),
            ("Đóng cửa hàng", today() - timedelta(days=1), "ends_on"),
            ("Đóng cửa hàng", contract.ends_on + timedelta(days=1), "ends_on"),
        ):
            with pytest.raises(ValidationFailed) as exc:
                contracts.give_notice(actor_for(deal.buyer), contract_id, version, reason, ends_on)
            assert field in exc.value.errors
        before = len(emails_to(coop.email))
        contract = contracts.give_notice(
            actor_for(deal.buyer), contract_id, version, "Đóng cửa hàng Long Biên", last_day
        )
        assert contract.status is ContractStatus.TERMINATING
        assert (contract.ends_on, contract.terminated_by) == (last_day, Side.BUYER)
        assert contract.termination_reason == "Đóng cửa hàng Long Biên"
        assert len(emails_to(coop.email)) == before + 1
        statuses = [(d.scheduled_on, d.status) for d in deliveries_of(contract_id)]
        assert statuses == [
            (
                d.scheduled_on,
                DeliveryStatus.PLANNED if d.scheduled_on <= last_day else DeliveryStatus.CANCELLED,
            )
            for d in planned
        ]
        assert [s for _d, s in statuses].count(DeliveryStatus.PLANNED) == 3
        # Notice once; no amendments while terminating.
        with pytest.raises(TransitionNotAllowed):
            contracts.give_notice(
                actor_for(coop), contract_id, contract.version, "Lần nữa", last_day
            )
        with pytest.raises(TransitionNotAllowed):
            contracts.propose_amendment(
                actor_for(coop),
                contract_id,
                contract.version,
                contracts.AmendmentData("Giá", today(), {contract.lines[0].id: ("150.000", "")}),
            )


# --- spot orders ------------------------------------------------------------------------------


def test_spot_order_refusals(app):
    buyer, location_id = verified_buyer(app)
    _other, other_location = verified_buyer(app, name="Bếp ăn Công ty May 10")
    coop, listing_id = coop_with_listing(app, "HTX Sâm Mường Tè")
    buyer_staff = add_member(app, buyer.organization_id, Role.STAFF)
    with app.app_context():
        lead = today() + timedelta(days=5)

        def order(person=buyer, **values):
            data = {
                "quantity": "120",
                "delivery_on": lead,
                "delivery_location_id": location_id,
                "seen_unit_price": tier_price(listing_id, 120),
            } | values
            return contracts.place_spot_order(
                actor_for(person),
                buyer.organization_id,
                listing_id,
                contracts.SpotOrderData(**data),
            )

        for values, field in (
            ({"quantity": "23"}, "quantity"),  # the minimum order is 24
            ({"quantity": "0"}, "quantity"),
            ({"delivery_on": lead - timedelta(days=1)}, "delivery_on"),  # five days' lead time
            ({"delivery_on": None}, "delivery_on"),
            ({"delivery_on": today() + timedelta(days=400)}, "delivery_on"),
            ({"delivery_location_id": other_location}, "delivery_location_id"),
            ({"payment_days": "181"}, "payment_days"),
        ):
            with pytest.raises(ValidationFailed) as exc:
                order(**values)
            assert field in exc.value.errors, values
        with pytest.raises(PermissionDenied):
            order(buyer_staff)
        with pytest.raises(NotFound):
            contracts.place_spot_order(
                actor_for(buyer),
                buyer.organization_id,
                listing_id + 1000,
                contracts.SpotOrderData("120", lead, location_id),
            )
        assert count(Contract) == 0


def test_a_spot_order_is_held_to_the_price_the_buyer_saw(app):
    buyer, location_id = verified_buyer(app)
    coop, listing_id = coop_with_listing(app, "HTX Sâm Mường Tè")
    with app.app_context():
        seen = tier_price(listing_id, 120)
        # The co-op raises its prices after the buyer's page was drawn.
        listing = db.session.get_one(Listing, listing_id)
        listing.base_price *= 100
        for tier in listing.tiers:
            tier.unit_price *= 100
        db.session.flush()
        data = contracts.SpotOrderData(
            "120", today() + timedelta(days=5), location_id, seen_unit_price=seen
        )
        with pytest.raises(ValidationFailed) as exc:
            contracts.place_spot_order(actor_for(buyer), buyer.organization_id, listing_id, data)
        message = str(exc.value.errors["quantity"])
        now = tier_price(listing_id, 120)
        assert format_money(now) in message and format_money(now * 120) in message
        assert count(Contract) == 0
        # Without a price seen, nothing is ordered either.
        data.seen_unit_price = None
        with pytest.raises(ValidationFailed):
            contracts.place_spot_order(actor_for(buyer), buyer.organization_id, listing_id, data)
        # At the price now shown, the order goes through at that price.
        data.seen_unit_price = now
        contract = contracts.place_spot_order(
            actor_for(buyer), buyer.organization_id, listing_id, data
        )
        assert contract.lines[0].unit_price == now


def test_an_unverified_buyer_cannot_order(app):
    buyer, location_id = verified_buyer(app)
    _coop, listing_id = coop_with_listing(app, "HTX Sâm Mường Tè")
    with app.app_context():
        db.session.get_one(
            Organization, buyer.organization_id
        ).verification_status = VerificationStatus.SUBMITTED
        db.session.commit()
        with pytest.raises(ValidationFailed) as exc:
            contracts.place_spot_order(
                actor_for(buyer),
                buyer.organization_id,
                listing_id,
                contracts.SpotOrderData("120", today() + timedelta(days=5), location_id),
            )
        assert "quantity" in exc.value.errors
        assert count(Contract) == 0


def test_spot_order_signed_by_the_co_op_makes_one_delivery(app):
    buyer, location_id = verified_buyer(app)
    coop, listing_id = coop_with_listing(app, "HTX Sâm Mường Tè")
    with app.app_context():
        on = today() + timedelta(days=5)
        contract = contracts.place_spot_order(
            actor_for(buyer),
            buyer.organization_id,
            listing_id,
            contracts.SpotOrderData(
                "120",
                on,
                location_id,
                payment_days="7",
                note="Giao sáng",
                seen_unit_price=tier_price(listing_id, 120),
            ),
        )
        assert contract.kind is ContractKind.SPOT and contract.status is ContractStatus.DRAFT
        assert contract.pattern is W.ONE_OFF and contract.starts_on == contract.ends_on == on
        [signature] = contract.signatures
        assert signature.side is Side.BUYER and signature.user_id == buyer.id
        [line] = contract.lines
        # 120 bottles reach the 100-bottle tier; rượu carries 10 % VAT.
        assert (line.quantity, line.unit_price, line.vat_rate, line.unit) == (
            120,
            180_000,
            "10",
            "chai",
        )
        assert line.listing_id == listing_id and "Giao sáng" in line.description
        assert count(Delivery) == 0
        assert [
            c.id for c in contracts.waiting_signature(actor_for(coop), coop.organization_id)
        ] == [contract.id]
        contract = contracts.sign(actor_for(coop), contract.id, contract.version, confirmed=True)
        assert contract.status is ContractStatus.ACTIVE
        [delivery] = deliveries_of(contract.id)
        assert delivery.scheduled_on == on and delivery.sequence == 1
        assert [(ln.quantity, ln.unit_price) for ln in delivery.lines] == [(120, 180_000)]


def test_the_co_op_may_decline_a_spot_order(app):
    buyer, location_id = verified_buyer(app)
    coop, listing_id = coop_with_listing(app, "HTX Sâm Mường Tè")
    with app.app_context():
        contract = contracts.place_spot_order(
            actor_for(buyer),
            buyer.organization_id,
            listing_id,
            contracts.SpotOrderData(
                "24",
                today() + timedelta(days=6),
                location_id,
                seen_unit_price=tier_price(listing_id, 24),
            ),
        )
        assert contract.lines[0].unit_price == 200_000  # below every tier: the base price
        with pytest.raises(ValidationFailed):
            contracts.cancel_draft(actor_for(coop), contract.id, contract.version, "")
        before = len(emails_to(buyer.email))
        contract = contracts.cancel_draft(
            actor_for(coop), contract.id, contract.version, "Hết hàng đến tháng sau"
        )
        assert contract.status is ContractStatus.CANCELLED
        assert contract.terminated_by is Side.COOP
        assert len(emails_to(buyer.email)) == before + 1
        assert count(Delivery) == 0


# --- deliveries --------------------------------------------------------------------------------


def test_dispatching(app):
    deal, contract_id = active_contract(app)
    coop = deal.coops[0]
    coop_staff = add_member(app, coop.organization_id, Role.STAFF)
    with app.app_context():
        first = deliveries_of(contract_id)[0]
        version = first.version
        for quantities, field in (
            (("121", "7"), f"quantity-{first.lines[0].id}"),  # more than planned
            (("120", "abc"), f"quantity-{first.lines[1].id}"),
            (("0", "0"), "version"),  # nothing at all
        ):
            with pytest.raises(ValidationFailed) as exc:
                deliveries.dispatch(
                    actor_for(coop),
                    first.id,
                    version,
                    dispatch_lines(first, *quantities),
                    early=True,
                )
            assert field in exc.value.errors
        with pytest.raises(NotFound):
            deliveries.dispatch(
                actor_for(deal.buyer), first.id, version, dispatch_lines(first), early=True
            )
        assert deliveries_of(contract_id)[0].status is DeliveryStatus.PLANNED

        before = len(emails_to(deal.buyer.email))
        delivery = deliveries.dispatch(
            actor_for(coop_staff),
            first.id,
            version,
            dispatch_lines(first, "100", "7"),
            "Xe 29C",
            early=True,
        )
        assert delivery.status is DeliveryStatus.DISPATCHED
        assert [ln.dispatched_quantity for ln in delivery.lines] == [100, 7]
        assert delivery.dispatch_note == "Xe 29C" and delivery.dispatched_at is not None
        assert delivery.version == version + 1
        assert len(emails_to(deal.buyer.email)) == before + 1
        assert deliveries.is_partial(delivery) and not deliveries.is_late(delivery)
        with pytest.raises(TransitionNotAllowed):
            deliveries.dispatch(
                actor_for(coop), first.id, delivery.version, dispatch_lines(first), early=True
            )


def test_receipt_refusals_change_nothing(app):
    deal, contract_id = active_contract(app)
    coop = deal.coops[0]
    with app.app_context():
        first, second = deliveries_of(contract_id)[:2]
        wine, ginseng = (ln.id for ln in first.lines)
        # Not dispatched yet.
        with pytest.raises(TransitionNotAllowed):
            deliveries.receive(
                actor_for(deal.buyer),
                second.id,
                second.version,
                {ln.id: deliveries.ReceiptLine("0") for ln in second.lines},
            )
        dispatch_all(coop, first.id)
        version = db.session.get_one(Delivery, first.id).version
        for lines, field in (
            # Receiving more than was dispatched.
            (
                {
                    wine: deliveries.ReceiptLine("120", "1", "Vỡ"),
                    ginseng: deliveries.ReceiptLine("7"),
                },
                f"accepted-{wine}",
            ),
            (
                {wine: deliveries.ReceiptLine("121"), ginseng: deliveries.ReceiptLine("7")},
                f"accepted-{wine}",
            ),
            # A rejection needs a reason.
            (
                {
                    wine: deliveries.ReceiptLine("110", "10", " "),
                    ginseng: deliveries.ReceiptLine("7"),
                },
                f"reason-{wine}",
            ),
            (
                {wine: deliveries.ReceiptLine("1,5"), ginseng: deliveries.ReceiptLine("7")},
                f"accepted-{wine}",
            ),
        ):
            with pytest.raises(ValidationFailed) as exc:
                deliveries.receive(actor_for(deal.buyer), first.id, version, lines)
            assert field in exc.value.errors
        with pytest.raises(NotFound):
            deliveries.receive(
                actor_for(coop),
                first.id,
                version,
                {wine: deliveries.ReceiptLine("120"), ginseng: deliveries.ReceiptLine("7")},
            )
        delivery = deliveries_of(contract_id)[0]
        assert delivery.status is DeliveryStatus.DISPATCHED
        assert [ln.accepted_quantity for ln in delivery.lines] == [None, None]
        assert count(Invoice) == 0


def test_dispatch_names_the_co_ops_own_lots(app):
    buyer, location_id = verified_buyer(app)
    coop, listing_id = coop_with_listing(app, "HTX Sâm Mường Tè")
    stranger, stranger_listing = coop_with_listing(app, "HTX Sâm Khác")
    with app.app_context():

        def lot(person, listing_id, code):
            data = listings.LotData(
                code=code, produced_on=today() - timedelta(days=3), quantity="500"
            )
            return listings.create_lot(
                actor_for(person), person.organization_id, listing_id, data, None
            ).id

        own = lot(coop, listing_id, "L-2026-01")
        foreign = lot(stranger, stranger_listing, "L-2026-99")
        contract = contracts.place_spot_order(
            actor_for(buyer),
            buyer.organization_id,
            listing_id,
            contracts.SpotOrderData(
                "120",
                today() + timedelta(days=5),
                location_id,
                seen_unit_price=tier_price(listing_id, 120),
            ),
        )
        contracts.sign(actor_for(coop), contract.id, contract.version, confirmed=True)
        [delivery] = deliveries_of(contract.id)
        [line] = delivery.lines
        # The dispatch form offers the lots of the line's product.
        assert [lt.id for lt in deliveries.lots_for(delivery)[line.id]] == [own]
        lines = dispatch_lines(delivery)
        lines[line.id].lot_id = foreign
        with pytest.raises(ValidationFailed) as exc:
            deliveries.dispatch(actor_for(coop), delivery.id, delivery.version, lines, early=True)
        assert f"lot-{line.id}" in exc.value.errors
        lines[line.id].lot_id = own
        delivery = deliveries.dispatch(
            actor_for(coop), delivery.id, delivery.version, lines, early=True
        )
        assert [(ln.dispatched_quantity, ln.lot_id) for ln in delivery.lines] == [(120, own)]


# A change refused because the page was stale must leave nothing behind: the user reads the
# page again and retries with the version now shown, and that retry must go through.


def test_a_stale_notice_changes_nothing(app):
    deal, contract_id = active_contract(app)
    with app.app_context():
        contract = db.session.get_one(Contract, contract_id)
        version, last_day = contract.version, deliveries_of(contract_id)[2].scheduled_on
        with pytest.raises(DealChanged):
            contracts.give_notice(
                actor_for(deal.buyer), contract_id, version - 1, "Đóng cửa hàng", last_day
            )
        assert db.session.get_one(Contract, contract_id).status is ContractStatus.ACTIVE
        contract = contracts.give_notice(
            actor_for(deal.buyer), contract_id, version, "Đóng cửa hàng", last_day
        )
        assert contract.status is ContractStatus.TERMINATING


def test_a_stale_dispatch_changes_nothing(app):
    deal, contract_id = active_contract(app)
    coop = deal.coops[0]
    with app.app_context():
        first = deliveries_of(contract_id)[0]
        version = first.version
        with pytest.raises(DealChanged):
            deliveries.dispatch(
                actor_for(coop), first.id, version - 1, dispatch_lines(first), early=True
            )
        assert db.session.get_one(Delivery, first.id).status is DeliveryStatus.PLANNED
        delivery = deliveries.dispatch(
            actor_for(coop), first.id, version, dispatch_lines(first), early=True
        )
        assert delivery.status is DeliveryStatus.DISPATCHED


def test_a_stale_receipt_changes_nothing(app):
    deal, contract_id = active_contract(app)
    coop = deal.coops[0]
    with app.app_context():
        first = deliveries_of(contract_id)[0]
        dispatch_all(coop, first.id)
        version = db.session.get_one(Delivery, first.id).version
        lines = {ln.id: deliveries.ReceiptLine(str(ln.quantity)) for ln in first.lines}
        with pytest.raises(DealChanged):
            deliveries.receive(actor_for(deal.buyer), first.id, version - 1, lines)
        assert db.session.get_one(Delivery, first.id).status is DeliveryStatus.DISPATCHED
        _delivery, invoice = deliveries.receive(actor_for(deal.buyer), first.id, version, lines)
        assert invoice is not None and invoice.sequence == 1


def test_a_partly_rejected_line_is_invoiced_for_what_was_accepted(app):
    deal, contract_id = active_contract(app)
    coop = deal.coops[0]
    with app.app_context():
        first = deliveries_of(contract_id)[0]
        wine, ginseng = (ln.id for ln in first.lines)
        dispatch_all(coop, first.id)
        delivery, invoice = deliveries.receive(
            actor_for(deal.buyer),
            first.id,
            2,
            {
                wine: deliveries.ReceiptLine("115", "5", "Năm chai vỡ nắp"),
                ginseng: deliveries.ReceiptLine("7"),
            },
            "Nhận đủ sâm",
        )
        assert delivery.status is DeliveryStatus.RECEIVED and delivery.received_at is not None
        assert [(ln.accepted_quantity, ln.rejected_quantity) for ln in delivery.lines] == [
            (115, 5),
            (7, 0),
        ]
        assert delivery.lines[0].rejection_reason == "Năm chai vỡ nắp"
        assert delivery.lines[1].rejection_reason is None
        assert deliveries.is_partial(delivery)
        # 115 × 123.457 = 14.197.555, VAT 10 % = 1.419.755,5 → 1.419.756;
        # 7 × 333.333 = 2.333.331, VAT 5 % = 116.666,55 → 116.667.
        assert [
            (ln.quantity, ln.unit_price, ln.vat_rate, ln.net, ln.vat, ln.total)
            for ln in invoice.lines
        ] == [
            (115, 123_457, "10", 14_197_555, 1_419_756, 15_617_311),
            (7, 333_333, "5", 2_333_331, 116_667, 2_449_998),
        ]
        assert (invoice.subtotal, invoice.vat_total, invoice.total) == (
            16_530_886,
            1_536_423,
            18_067_309,
        )
        assert invoice.currency == "VND" and invoice.status is InvoiceStatus.ISSUED
        assert (invoice.coop_id, invoice.buyer_id, invoice.delivery_id) == (
            coop.organization_id,
            deal.buyer.organization_id,
            first.id,
        )
        assert invoice.issued_on == today()
        assert invoice.due_on == today() + timedelta(days=30)
        assert invoice.sequence == 1 and invoice.number.endswith("-000001")
        # Both sides hear of the invoice; the co-op of the receipt too.
        assert len(emails_to(deal.buyer.email)) >= 1
        view = contracts.contract_view(actor_for(coop), contract_id)
        assert [i.id for i in view.invoices] == [invoice.id]


def test_a_fully_rejected_delivery_is_not_invoiced(app):
    deal, contract_id = active_contract(app)
    coop = deal.coops[0]
    with app.app_context():
        first = deliveries_of(contract_id)[0]
        wine, ginseng = (ln.id for ln in first.lines)
        dispatch_all(coop, first.id)
        before = len(emails_to(coop.email))
        delivery, invoice = deliveries.receive(
            actor_for(deal.buyer),
            first.id,
            2,
            {
                wine: deliveries.ReceiptLine("0", "120", "Rượu đục"),
                ginseng: deliveries.ReceiptLine("0", "7", "Sâm dập"),
            },
        )
        assert invoice is None
        assert delivery.status is DeliveryStatus.RECEIVED
        assert count(Invoice) == 0
        assert len(emails_to(coop.email)) == before + 1  # told of the receipt


def test_invoice_numbers_run_per_co_op_without_gaps(app):
    deal = open_deal(app, coops=2)
    first, second = deal.coops
    wine_line, ginseng_line = deal.line_ids
    first_quote = submit(app, deal, first, STANDARD_TERMS)
    second_quote = submit(app, deal, second, STANDARD_TERMS)
    with app.app_context():
        first_contract, second_contract = (
            c.id
            for c in rfqs.award(
                actor_for(deal.buyer),
                deal.rfq_id,
                {wine_line: first_quote, ginseng_line: second_quote},
                {first_quote: 1, second_quote: 1},
            )
        )
        for contract_id, coop in ((first_contract, first), (second_contract, second)):
            contracts.sign(actor_for(deal.buyer), contract_id, 1, confirmed=True)
            contracts.sign(actor_for(coop), contract_id, 2, confirmed=True)
        a1, a2, a3 = deliveries_of(first_contract)[:3]
        b1 = deliveries_of(second_contract)[0]
        for delivery, coop in ((a1, first), (a2, first), (a3, first), (b1, second)):
            dispatch_all(coop, delivery.id)
        numbers = [
            receive_all(deal.buyer, a1.id).sequence,
            receive_all(deal.buyer, b1.id).sequence,
            receive_all(deal.buyer, a2.id).sequence,
        ]
        # A refused receipt takes no number.
        [line] = db.session.get_one(Delivery, a3.id).lines
        with pytest.raises(ValidationFailed):
            deliveries.receive(
                actor_for(deal.buyer), a3.id, 2, {line.id: deliveries.ReceiptLine("121")}
            )
        numbers.append(receive_all(deal.buyer, a3.id).sequence)
        assert numbers == [1, 1, 2, 3]
        by_coop = {
            coop.organization_id: [
                (i.sequence, i.number)
                for i in db.session.scalars(
                    select(Invoice)
                    .where(Invoice.coop_id == coop.organization_id)
                    .order_by(Invoice.sequence)
                )
            ]
            for coop in (first, second)
        }
        assert [s for s, _n in by_coop[first.organization_id]] == [1, 2, 3]
        assert [n[-6:] for _s, n in by_coop[first.organization_id]] == [
            "000001",
            "000002",
            "000003",
        ]
        assert [s for s, _n in by_coop[second.organization_id]] == [1]
        assert by_coop[first.organization_id][0][1] != by_coop[second.organization_id][0][1]


# --- payments -----------------------------------------------------------------------------------


def _invoiced(app) -> tuple[Deal, int, int]:
    deal, contract_id = active_contract(app)
    with app.app_context():
        first = deliveries_of(contract_id)[0]
        dispatch_all(deal.coops[0], first.id)
        invoice_id = receive_all(deal.buyer, first.id).id
        settle()
    return deal, contract_id, invoice_id


def test_payments_until_the_invoice_is_paid(app):
    deal, _contract_id, invoice_id = _invoiced(app)
    coop = deal.coops[0]
    coop_staff = add_member(app, coop.organization_id, Role.STAFF)
    with app.app_context():
        invoice = db.session.get_one(Invoice, invoice_id)
        # 120 × 123.457 = 14.814.840 + 10 % VAT 1.481.484; 7 × 333.333 + 5 % = 2.449.998.
        assert invoice.total == 18_746_322

        references = iter(range(1000))

        def pay(person, amount, paid_on=..., reference=None):
            paid_on = today() if paid_on is ... else paid_on
            return invoices.record_payment(
                actor_for(person),
                invoice_id,
                amount=amount,
                paid_on=paid_on,
                reference=reference or f"UNC {next(references):04d}",
            )

        with pytest.raises(PermissionDenied):
            pay(deal.buyer, "1.000.000")
        with pytest.raises(PermissionDenied):
            pay(coop_staff, "1.000.000")
        for values, field in (
            ({"amount": "0"}, "amount"),
            ({"amount": "abc"}, "amount"),
            ({"paid_on": None}, "paid_on"),
            ({"paid_on": today() + timedelta(days=1)}, "paid_on"),
            ({"reference": " "}, "bank_reference"),
        ):
            with pytest.raises(ValidationFailed) as exc:
                pay(coop, **({"amount": "1.000.000"} | values))
            assert field in exc.value.errors
        payment = pay(coop, "10.000.000", reference="UNC 7")
        assert payment.amount == 10_000_000 and payment.created_by_id == coop.id
        with pytest.raises(ValidationFailed) as exc:  # the same bank transaction twice
            pay(coop, "1.000", reference="UNC 7")
        assert "bank_reference" in exc.value.errors
        invoice = db.session.get_one(Invoice, invoice_id)
        assert (
            invoice.status is InvoiceStatus.ISSUED and invoices.paid_amount(invoice) == 10_000_000
        )
        rest = invoice.total - 10_000_000
        with pytest.raises(ValidationFailed) as exc:
            pay(coop, str(rest + 1))
        assert "amount" in exc.value.errors
        assert invoices.paid_amount(db.session.get_one(Invoice, invoice_id)) == 10_000_000
        before = len(emails_to(deal.buyer.email))
        pay(coop, str(rest))
        invoice = db.session.get_one(Invoice, invoice_id)
        assert invoice.status is InvoiceStatus.PAID and invoice.paid_at is not None
        assert invoices.paid_amount(invoice) == invoice.total
        assert len(emails_to(deal.buyer.email)) > before
        with pytest.raises(ValidationFailed):  # nothing is owed any more
            pay(coop, "1")


def test_voiding_an_invoice(app):
    deal, _contract_id, invoice_id = _invoiced(app)
    coop = deal.coops[0]
    with app.app_context():
        with pytest.raises(PermissionDenied):
            invoices.void(actor_for(deal.buyer), invoice_id, "Sai giá")
        with pytest.raises(ValidationFailed) as exc:
            invoices.void(actor_for(coop), invoice_id, "   ")
        assert "reason" in exc.value.errors
        invoices.record_payment(
            actor_for(coop), invoice_id, amount="1.000", paid_on=today(), reference="FT001"
        )
        with pytest.raises(ValidationFailed) as exc:
            invoices.void(actor_for(coop), invoice_id, "Sai giá")
        assert "reason" in exc.value.errors
        assert db.session.get_one(Invoice, invoice_id).status is InvoiceStatus.ISSUED


def test_an_unpaid_invoice_is_voided_and_keeps_its_number(app):
    deal, contract_id, invoice_id = _invoiced(app)
    coop = deal.coops[0]
    with app.app_context():
        before = len(emails_to(deal.buyer.email))
        invoice = invoices.void(actor_for(coop), invoice_id, "Sai đơn giá dòng 2")
        assert invoice.status is InvoiceStatus.VOID and invoice.void_reason == "Sai đơn giá dòng 2"
        assert len(emails_to(deal.buyer.email)) == before + 1
        with pytest.raises(TransitionNotAllowed):
            invoices.void(actor_for(coop), invoice_id, "Lần nữa")
        with pytest.raises(ValidationFailed):  # a void invoice is not paid
            invoices.record_payment(
                actor_for(coop), invoice_id, amount="1.000", paid_on=today(), reference="FT002"
            )
        # The next invoice takes the next number: the void one keeps its own.
        second = deliveries_of(contract_id)[1]
        dispatch_all(coop, second.id)
        assert receive_all(deal.buyer, second.id).sequence == 2


def test_an_invoice_past_its_due_date_becomes_overdue(app):
    deal, _contract_id, invoice_id = _invoiced(app)
    coop = deal.coops[0]
    with app.app_context():
        assert invoices.mark_overdue() == 0
        invoice = db.session.get_one(Invoice, invoice_id)
        invoice.due_on = today()
        db.session.commit()
        assert invoices.mark_overdue() == 0  # due today is not overdue yet
        invoice = db.session.get_one(Invoice, invoice_id)
        invoice.due_on = today() - timedelta(days=1)
        db.session.commit()
        assert invoices.mark_overdue() == 1
        assert db.session.get_one(Invoice, invoice_id).status is InvoiceStatus.OVERDUE
        assert invoices.mark_overdue() == 0
        # An overdue invoice can still be paid in full.
        total = db.session.get_one(Invoice, invoice_id).total
        invoices.record_payment(
            actor_for(coop), invoice_id, amount=str(total), paid_on=today(), reference="FT003"
        )
        assert db.session.get_one(Invoice, invoice_id).status is InvoiceStatus.PAID


def test_monthly_totals(app):
    deal, contract_id, invoice_id = _invoiced(app)
    coop = deal.coops[0]
    with app.app_context():
        second = deliveries_of(contract_id)[1]
        dispatch_all(coop, second.id)
        older = receive_all(deal.buyer, second.id)
        # Move the second invoice into the previous month.
        older.issued_on = today().replace(day=1) - timedelta(days=1)
        db.session.commit()
        total = db.session.get_one(Invoice, invoice_id).total
        spend = invoices.monthly_totals(
            actor_for(deal.buyer), deal.buyer.organization_id, Side.BUYER
        )
        assert len(spend.months) == 6 and spend.months[-1] == today().replace(day=1)
        assert spend.months[-2] == (today().replace(day=1) - timedelta(days=1)).replace(day=1)
        [(name, values)] = spend.series.items()
        assert name == "HTX Sâm Mường Tè 1"
        assert values == [0, 0, 0, 0, older.total, total]
        assert spend.grand_total == older.total + total and spend.peak == max(older.total, total)
        revenue = invoices.monthly_totals(actor_for(coop), coop.organization_id, Side.COOP)
        assert revenue.series == {"Siêu thị Xanh Hà Nội": [0, 0, 0, 0, older.total, total]}
        invoices.void(actor_for(coop), invoice_id, "Sai giá")
        revenue = invoices.monthly_totals(actor_for(coop), coop.organization_id, Side.COOP)
        assert revenue.series == {"Siêu thị Xanh Hà Nội": [0, 0, 0, 0, older.total, 0]}
        with pytest.raises(NotFound):
            invoices.monthly_totals(actor_for(coop), deal.buyer.organization_id, Side.BUYER)


# --- the delivery calendar and overdue deliveries ----------------------------------------------


def test_overdue_late_and_partial_are_read_from_the_rows():
    planned = Delivery(status=DeliveryStatus.PLANNED, scheduled_on=date(2026, 3, 10), lines=[])
    assert deliveries.is_overdue(planned, on=date(2026, 3, 11))
    assert not deliveries.is_overdue(planned, on=date(2026, 3, 10))
    dispatched = Delivery(
        status=DeliveryStatus.DISPATCHED,
        scheduled_on=date(2026, 3, 10),
        # 10 March, 18:30 UTC is 11 March, 01:30 in Vietnam: a day late.
        dispatched_at=datetime(2026, 3, 10, 18, 30, tzinfo=UTC),
        lines=[DeliveryLine(quantity=10, unit_price=1, dispatched_quantity=10)],
    )
    assert not deliveries.is_overdue(dispatched, on=date(2026, 3, 20))
    assert deliveries.is_late(dispatched) and not deliveries.is_partial(dispatched)
    dispatched.dispatched_at = datetime(2026, 3, 10, 16, 30, tzinfo=UTC)  # 23:30 VN
    assert not deliveries.is_late(dispatched)
    assert not deliveries.is_late(planned)
    short = Delivery(lines=[DeliveryLine(quantity=10, unit_price=1, dispatched_quantity=9)])
    rejected = Delivery(
        lines=[DeliveryLine(quantity=10, unit_price=1, dispatched_quantity=10, rejected_quantity=1)]
    )
    assert deliveries.is_partial(short) and deliveries.is_partial(rejected)


def test_deliveries_between_and_overdue_flags(app):
    deal, contract_id = active_contract(app)
    coop = deal.coops[0]
    outsider, _ = verified_buyer(app, name="Bếp ăn Công ty May 10")
    with app.app_context():
        planned = deliveries_of(contract_id)
        first, second, third = planned[:3]
        week = (first.scheduled_on, first.scheduled_on + timedelta(days=6))
        in_week = [d.id for d in planned if week[0] <= d.scheduled_on <= week[1]]
        for person, org in ((deal.buyer, deal.buyer.organization_id), (coop, coop.organization_id)):
            assert [
                d.id for d in deliveries.deliveries_between(actor_for(person), org, *week)
            ] == in_week
        with pytest.raises(NotFound):
            deliveries.deliveries_between(actor_for(outsider), coop.organization_id, *week)
        assert (
            deliveries.deliveries_between(actor_for(outsider), outsider.organization_id, *week)
            == []
        )
        assert deliveries.flag_overdue() == 0

        # The first delivery's date passes without a dispatch; the third is cancelled.
        db.session.get_one(Delivery, first.id).scheduled_on = today() - timedelta(days=2)
        db.session.get_one(Delivery, third.id).status = DeliveryStatus.CANCELLED
        db.session.commit()
        this_week = deliveries.week_bounds()
        listed = [
            d.id
            for d in deliveries.deliveries_between(
                actor_for(coop), coop.organization_id, *this_week
            )
        ]
        assert first.id in listed  # overdue, shown until dealt with
        everything = deliveries.deliveries_between(
            actor_for(coop),
            coop.organization_id,
            today() - timedelta(days=30),
            today() + timedelta(days=60),
        )
        assert third.id not in [d.id for d in everything]
        assert second.id in [d.id for d in everything]
        assert deliveries.is_overdue(db.session.get_one(Delivery, first.id))

        buyer_mail, coop_mail = len(emails_to(deal.buyer.email)), len(emails_to(coop.email))
        assert deliveries.flag_overdue() == 1
        assert db.session.get_one(Delivery, first.id).overdue_notified_at is not None
        assert len(emails_to(deal.buyer.email)) == buyer_mail + 1
        assert len(emails_to(coop.email)) == coop_mail + 1
        assert deliveries.flag_overdue() == 0  # once


def test_the_party_of_a_deal(app):
    deal = open_deal(app)
    coop = deal.coops[0]
    coop_staff = add_member(app, coop.organization_id, Role.STAFF)
    stranger, _ = verified_buyer(app, name="Bếp ăn Công ty May 10")
    buyer_id, coop_id = deal.buyer.organization_id, coop.organization_id
    with app.app_context():
        mine = party(actor_for(deal.buyer), buyer_id, coop_id)
        assert mine.side is Side.BUYER and mine.organization_id == buyer_id and mine.can_decide
        theirs = party(actor_for(coop_staff), buyer_id, coop_id)
        assert theirs.side is Side.COOP and not theirs.can_decide
        with pytest.raises(PermissionDenied):
            party(actor_for(coop_staff), buyer_id, coop_id, Role.MANAGER)
        with pytest.raises(NotFound):
            party(actor_for(stranger), buyer_id, coop_id)
        with pytest.raises(PermissionDenied):
            party(Actor(user=None), buyer_id, coop_id)
