"""Demo supply deals between Xanh Mart and the demo co-ops, covering each state: an open
negotiation with a counter-offer and messages, a request split between two co-ops (one contract
active, one waiting for the co-op's signature, a declined quote), a cancelled request, a running
vegetable contract with two months of history (received and partly rejected deliveries,
paid, overdue and void invoices, an accepted and a pending amendment, one delivery on its way
and one overdue), a contract under notice and a spot order waiting for the co-op.

Everything goes through the services; only the clock is moved: a contract's dates are shifted
into the past after signing, so its history can be recorded as if it had happened.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import (
    Category,
    Contract,
    Delivery,
    DeliveryStatus,
    Invoice,
    Listing,
    Lot,
    Rfq,
    User,
)
from marketplace.services.context import Actor
from marketplace.services.deals import contracts, deliveries, invoices, rfqs
from marketplace.vietnam import VN_TZ, today

BUYER = "muahang@demo.xanhmart.vn"


def _actor(email: str) -> Actor:
    user = db.session.scalar(select(User).where(User.email == email))
    return Actor(user=user, ip="127.0.0.1")


def _org_id(email: str) -> int:
    return _actor(email).user.memberships[0].organization_id  # type: ignore[union-attr]


def _category(slug: str) -> int:
    return db.session.scalar(select(Category.id).where(Category.slug == slug))


def _listing(email: str, title: str) -> Listing:
    return db.session.scalar(
        select(Listing).where(Listing.organization_id == _org_id(email), Listing.title_vi == title)
    )


def _location(email: str) -> int:
    from marketplace.services.accounts.profiles import delivery_locations

    return delivery_locations(_actor(email), _org_id(email))[0].id


def _line(slug: str, spec: str, quantity: int, unit: str, target: int | None = None, listing=None):
    return rfqs.RfqLineData(
        category_id=_category(slug),
        specification=spec,
        quantity=str(quantity),
        unit=unit,
        target_price=str(target or ""),
        listing_id=listing.id if listing else None,
    )


def _request(title: str, lines, *, pattern="weekly", weekdays=("1", "4"), weeks=12, **extra) -> Rfq:
    start = today() + timedelta(days=3)
    return rfqs.create_rfq(
        _actor(BUYER),
        _org_id(BUYER),
        rfqs.RfqData(
            title=title,
            lines=lines,
            pattern=pattern,
            weekdays=list(weekdays),
            day_of_month=extra.pop("day_of_month", ""),
            starts_on=start,
            ends_on=start + timedelta(weeks=weeks),
            respond_by_date=today() + timedelta(days=2),
            delivery_location_id=_location(BUYER),
            payment_days=extra.pop("payment_days", "30"),
            **extra,
        ),
    )


def _quote(email: str, rfq: Rfq, prices: list[int], notes: str = "") -> int:
    lines = []
    for line, price in zip(rfq.lines, prices, strict=True):
        listing = db.session.scalar(
            select(Listing).where(
                Listing.organization_id == _org_id(email), Listing.category_id == line.category_id
            )
        )
        lines.append(
            rfqs.QuoteLineData(
                rfq_line_id=line.id,
                unit_price=str(price),
                quantity=str(line.quantity),
                vat_rate=db.session.get(Category, line.category_id).vat_rate,
                listing_id=listing.id if listing else None,
            )
        )
    quote = rfqs.submit_quote(
        _actor(email),
        rfq.id,
        _org_id(email),
        rfqs.VersionData(lines=lines, valid_until=today() + timedelta(days=14), notes=notes),
    )
    return quote.id


def _version(email: str, quote_id: int, prices: list[int], notes: str) -> None:
    quote = db.session.get(rfqs.Quote, quote_id)
    latest = quote.latest
    rfqs.add_version(
        _actor(email),
        quote_id,
        quote.current_version,
        rfqs.VersionData(
            lines=[
                rfqs.QuoteLineData(
                    rfq_line_id=line.rfq_line_id,
                    unit_price=str(price),
                    quantity=str(line.quantity),
                    vat_rate=line.vat_rate,
                    listing_id=line.listing_id,
                )
                for line, price in zip(latest.lines, prices, strict=True)
            ],
            valid_until=today() + timedelta(days=10),
            notes=notes,
        ),
    )


def _sign(email: str, contract_id: int) -> None:
    contracts.sign(
        _actor(email), contract_id, db.session.get(Contract, contract_id).version, confirmed=True
    )


def _moment(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), VN_TZ).astimezone(UTC)


def _backdate(contract_id: int, days: int) -> None:
    """Move a freshly signed contract ``days`` into the past, with its deliveries."""
    contract = db.session.get(Contract, contract_id)
    shift = timedelta(days=days)
    contract.starts_on -= shift
    contract.ends_on -= shift
    contract.activated_at = _moment(contract.starts_on - timedelta(days=3), 10)
    for signature in contract.signatures:
        signature.signed_at = contract.activated_at
    for delivery in db.session.scalars(select(Delivery).where(Delivery.contract_id == contract_id)):
        delivery.scheduled_on -= shift
    db.session.commit()


def _deliver(coop: str, delivery: Delivery, *, rejected: int = 0, short: int = 0, receive=True):
    """Dispatch (with the newest lot) and receive a delivery as on its date."""
    lines = {}
    for line in delivery.lines:
        lot = db.session.scalar(
            select(Lot.id)
            .where(Lot.listing_id == line.contract_line.listing_id)
            .order_by(Lot.produced_on.desc())
        )
        lines[line.id] = deliveries.DispatchLine(str(line.quantity - short), lot)
    deliveries.dispatch(_actor(coop), delivery.id, delivery.version, lines)
    delivery.dispatched_at = _moment(delivery.scheduled_on, 5)
    db.session.commit()
    if not receive:
        return None
    receipt = {}
    for index, line in enumerate(delivery.lines):
        bad = rejected if index == 0 else 0
        receipt[line.id] = deliveries.ReceiptLine(
            str(line.dispatched_quantity - bad),
            str(bad),
            "Lá dập, héo khi mở thùng" if bad else "",
        )
    _done, invoice = deliveries.receive(_actor(BUYER), delivery.id, delivery.version, receipt)
    delivery.received_at = _moment(delivery.scheduled_on, 8)
    if invoice is not None:
        invoice.issued_on = delivery.scheduled_on
        invoice.due_on = delivery.scheduled_on + timedelta(days=delivery.contract.payment_days)
    db.session.commit()
    return invoice


def seed_deals() -> bool:
    """Create the demo deals once (nothing happens if Xanh Mart has any request)."""
    buyer_id = _org_id(BUYER)
    if db.session.scalar(select(Rfq.id).where(Rfq.buyer_id == buyer_id)):
        return False
    # 1. An open negotiation: quote, counter-offer, messages — waiting for the co-op.
    fish = _request(
        "Chả cá thu cho 12 cửa hàng khu vực Hà Nội",
        [_line("cha-ca", "Chả cá thu túi 500 g, cấp đông", 80, "kg", 235000)],
        weekdays=("2", "5"),
    )
    fish_quote = _quote(
        "chaca.halong@demo.chohtx.vn", fish, [245000], "Giao bằng xe lạnh, hóa đơn GTGT 8 %."
    )
    _version(BUYER, fish_quote, [232000], "Chúng tôi lấy đều 2 lần/tuần cả quý, đề nghị 232.000 ₫.")
    rfqs.post_message(_actor(BUYER), fish_quote, "Xe lạnh giao trước 6 giờ sáng được không ạ?", [])
    rfqs.post_message(
        _actor("chaca.halong@demo.chohtx.vn"),
        fish_quote,
        "Được ạ, xe xuất phát từ Hạ Long lúc 1 giờ sáng.",
        [],
    )
    # 2. A request split between two co-ops; a third quote declined.
    gifts = _request(
        "Quà Tết: mật ong và chè shan tuyết",
        [
            _line("mat-ong", "Mật ong hoa bạc hà, chai 500 ml", 200, "chai", 250000),
            _line("che-shan-tuyet", "Chè shan tuyết hộp 200 g", 150, "hop", 300000),
        ],
        pattern="monthly",
        weekdays=(),
        day_of_month="5",
        weeks=9,
    )
    honey = _quote("matong.mocchau@demo.chohtx.vn", gifts, [245000, 320000])
    tea = _quote("che.shantuyet@demo.chohtx.vn", gifts, [265000, 290000])
    made = rfqs.award(
        _actor(BUYER),
        gifts.id,
        {gifts.lines[0].id: honey, gifts.lines[1].id: tea},
        {honey: 1, tea: 1},
    )
    for contract in made:
        _sign(BUYER, contract.id)
    _sign(
        "che.shantuyet@demo.chohtx.vn",
        next(c.id for c in made if c.coop_id == _org_id("che.shantuyet@demo.chohtx.vn")),
    )
    # 3. A request closed without awarding.
    closed = _request(
        "Dưa lưới cho khuyến mãi hè",
        [_line("trai-cay", "Dưa lưới ruột cam 1,5–2 kg/quả", 300, "kg", 55000)],
        weekdays=("6",),
        weeks=4,
    )
    _quote("vietgap.cuchi@demo.chohtx.vn", closed, [58000])
    rfqs.cancel_rfq(_actor(BUYER), closed.id)
    # 4. A running vegetable contract with two months of history.
    coop = "vietgap.cuchi@demo.chohtx.vn"
    veg = _request(
        "Rau VietGAP cho 12 cửa hàng",
        [
            _line("rau", "Cà chua bi VietGAP hộp 500 g", 120, "kg", 35000),
            _line("rau", "Rau cải ngọt VietGAP bó 300 g", 150, "kg", 22000),
        ],
        required_certificates=["vietgap"],
        weeks=16,
    )
    veg_quote = _quote(coop, veg, [36000, 23000])
    contract_id = rfqs.award(
        _actor(BUYER),
        veg.id,
        {line.id: veg_quote for line in veg.lines},
        {veg_quote: 1},
    )[0].id
    _sign(coop, contract_id)
    _sign(BUYER, contract_id)
    _backdate(contract_id, 58)
    past = [
        d
        for d in db.session.scalars(
            select(Delivery)
            .where(Delivery.contract_id == contract_id)
            .order_by(Delivery.scheduled_on)
        )
        if d.scheduled_on < today()
    ]
    issued = []
    for index, delivery in enumerate(past[:-2]):
        invoice = _deliver(
            coop, delivery, rejected=12 if index == 3 else 0, short=10 if index == 6 else 0
        )
        if invoice is not None:
            issued.append(invoice)
    _deliver(coop, past[-2], receive=False)  # on its way; the last past one is overdue
    # All older invoices paid but one, which is left overdue.
    for invoice in issued[:2] + issued[3:-4]:
        invoices.record_payment(
            _actor(coop),
            invoice.id,
            amount=str(invoice.total),
            paid_on=min(invoice.due_on - timedelta(days=2), today()),
            reference=f"FT{invoice.issued_on:%y%m%d}{invoice.sequence:04d}",
        )
    invoices.void(_actor(coop), issued[-1].id, "Lập nhầm đơn giá; sẽ lập lại theo biên bản.")
    invoices.mark_overdue()
    contract = db.session.get(Contract, contract_id)
    cheaper = contracts.propose_amendment(
        _actor(coop),
        contract_id,
        contract.version,
        contracts.AmendmentData(
            reason="Giá cà chua bi giảm khi vào vụ chính.",
            effective_from=today() + timedelta(days=7),
            lines={contract.lines[0].id: ("34.000", "")},
        ),
    )
    contracts.decide_amendment(
        _actor(BUYER),
        contract_id,
        cheaper.id,
        "accept",
        db.session.get(Contract, contract_id).version,
    )
    contracts.propose_amendment(
        _actor(BUYER),
        contract_id,
        db.session.get(Contract, contract_id).version,
        contracts.AmendmentData(
            reason="Thêm một chuyến trước đợt khuyến mãi cuối tuần.",
            effective_from=today() + timedelta(days=2),
            extra=[(today() + timedelta(days=9), {contract.lines[1].id: "100"})],
        ),
    )
    # 5. A contract under notice, and 6. a spot order waiting for the co-op.
    rice = _listing("gao.st25@demo.chohtx.vn", "Gạo ST25 túi 5 kg")
    tea_contract = next(c.id for c in made if c.coop_id == _org_id("che.shantuyet@demo.chohtx.vn"))
    contracts.give_notice(
        _actor(BUYER),
        tea_contract,
        db.session.get(Contract, tea_contract).version,
        "Khách hàng chuyển sang hộp quà 100 g; sẽ đặt mẫu mới.",
        db.session.get(Contract, tea_contract).ends_on - timedelta(days=40),
    )
    if rice is not None:
        contracts.place_spot_order(
            _actor(BUYER),
            buyer_id,
            rice.id,
            contracts.SpotOrderData(
                quantity="60",
                delivery_on=today() + timedelta(days=max(rice.lead_time_days, 1) + 2),
                delivery_location_id=_location(BUYER),
                payment_days="15",
                note="Giao kèm hóa đơn GTGT",
                seen_unit_price=rice.unit_price_for(60),
            ),
        )
    return True


def seed_summary() -> dict[str, int]:
    return {
        "contracts": db.session.query(Contract).count(),
        "invoices": db.session.query(Invoice).count(),
        "deliveries": db.session.query(Delivery)
        .filter(Delivery.status == DeliveryStatus.RECEIVED)
        .count(),
    }
