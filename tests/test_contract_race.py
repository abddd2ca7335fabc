"""Simultaneous HTTP requests on supply deals, against PostgreSQL with real commits.

Each thread has its own test client, logged in as a different user before a barrier releases
them all onto the same route. The rule under test: two people accepting or amending the same
version get one success and one clear message, and nothing is left half-done.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from marketplace.extensions import db
from marketplace.models import (
    Amendment,
    AmendmentStatus,
    Contract,
    ContractStatus,
    Delivery,
    DeliveryStatus,
    Invoice,
    InvoiceCounter,
    InvoiceStatus,
    PayableKind,
    Payment,
    Quote,
    QuoteLine,
    QuoteStatus,
    QuoteVersion,
    Rfq,
    RfqStatus,
    Role,
    Side,
)
from marketplace.services.deals import contracts, deliveries, rfqs
from marketplace.services.deals.rules import plan_dates
from marketplace.vietnam import today
from tests.factories import (
    ALREADY_PAID,
    PAYMENT_RECORDED,
    Person,
    actor_for,
    add_member,
    audits,
    award_all,
    category_id,
    coop_with_listing,
    count,
    flashes,
    logged_in,
    post_rfq,
    post_together,
    quote_on,
    rfq_data,
    settle,
    signed_contract,
    verified_buyer,
    verified_coop,
)

pytestmark = pytest.mark.race

# What the pages say, in Vietnamese (marketplace/translations/vi/LC_MESSAGES/messages.po).
ALREADY_SIGNED = "Đơn vị của bạn đã ký hợp đồng này rồi."
CONTRACT_CHANGED = "Hợp đồng đã thay đổi trong lúc bạn đang đọc. Hãy đọc lại rồi thử lần nữa."
CHANGED_MEANWHILE = (
    "Không thể thực hiện nữa: nội dung đã thay đổi trong lúc bạn thao tác. "
    "Đây là tình trạng hiện tại."
)
ALREADY_ANSWERED = "Thay đổi này đã được trả lời."
ALREADY_AWARDED = "Yêu cầu này đã chọn được nhà cung cấp hoặc đã đóng."
DELIVERY_CHANGED = "Lần giao hàng này đã thay đổi trong lúc bạn đang đọc. Hãy đọc lại."
ARRIVED_WHILE_TYPING = "Phiên bản {n} đã đến trong lúc bạn đang nhập. Hãy đọc rồi thử lại."
SIGNED_WAITING = "Đã ký. Bên kia đã được đề nghị ký."
SIGNED_BY_BOTH = "Hai bên đã ký: hợp đồng có hiệu lực và các lần giao hàng đã được lên lịch."
CHANGE_ACCEPTED = "Đã chấp nhận thay đổi: hợp đồng và các lần giao hàng theo lịch đã được cập nhật."


@pytest.fixture(autouse=True)
def _truncate(app):
    yield
    with app.app_context():
        # The category tree is reference data from migration 0003: later tests need it.
        tables = ", ".join(t.name for t in db.metadata.sorted_tables if t.name != "categories")
        db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.session.commit()
        settle()


# --- helpers -----------------------------------------------------------------------------------


def open_deal(app):
    """A verified buyer and a verified co-op with a listing the buyer's requests match."""
    buyer = verified_buyer(app)
    coop = verified_coop(app, organization_name="HTX Sâm Lai Châu")
    coop_with_listing(app, coop)
    return buyer, coop


def contract_version(app, contract_id: int) -> int:
    with app.app_context():
        version = db.session.get_one(Contract, contract_id).version
        settle()
    return version


def dispatch_first(app, coop: Person, contract_id: int, how_many: int):
    """Dispatch the first ``how_many`` planned deliveries in full; returns for each
    (delivery id, its version now, its line ids)."""
    found = []
    with app.app_context():
        ids = list(
            db.session.scalars(
                select(Delivery.id)
                .where(Delivery.contract_id == contract_id)
                .order_by(Delivery.sequence)
                .limit(how_many)
            )
        )
        for delivery_id in ids:
            delivery = db.session.get_one(Delivery, delivery_id)
            deliveries.dispatch(
                actor_for(coop),
                delivery_id,
                delivery.version,
                {ln.id: deliveries.DispatchLine(str(ln.quantity)) for ln in delivery.lines},
                early=True,
            )
            settle()
            delivery = db.session.get_one(Delivery, delivery_id)
            assert delivery.status is DeliveryStatus.DISPATCHED
            found.append((delivery_id, delivery.version, [ln.id for ln in delivery.lines]))
        settle()
    return found


def receipt_form(version: int, line_ids: list[int], accepted: str = "120") -> dict:
    form = {"version": str(version)}
    for index, line_id in enumerate(line_ids):
        form[f"lines-{index}-line_id"] = str(line_id)
        form[f"lines-{index}-accepted"] = accepted
        form[f"lines-{index}-rejected"] = "0"
    return form


def assert_invoice_numbers_without_gaps(coop: Person, expected: int) -> None:
    invoices = list(
        db.session.scalars(
            select(Invoice).where(Invoice.coop_id == coop.organization_id).order_by(Invoice.id)
        )
    )
    assert sorted(i.sequence for i in invoices) == list(range(1, expected + 1))
    assert len({i.number for i in invoices}) == expected
    assert len({i.delivery_id for i in invoices}) == expected
    counter = db.session.get_one(InvoiceCounter, coop.organization_id)
    assert counter.last_number == expected


# --- signing ------------------------------------------------------------------------------------


def test_two_buyer_managers_signing_one_draft_at_once_sign_it_once(app):
    buyer, coop = open_deal(app)
    manager = add_member(app, buyer.organization_id, Role.MANAGER, name="Trần Thị Bình")
    rfq_id = post_rfq(app, buyer)
    contract_id = award_all(app, buyer, rfq_id, quote_on(app, coop, rfq_id))
    version = contract_version(app, contract_id)
    people = [buyer, manager]
    clients = logged_in(app, people)

    url = f"/contracts/{contract_id}/sign"
    responses = post_together(
        [(c, url, {"version": str(version), "confirm": "y"}) for c in clients]
    )

    for response in responses:
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/contracts/{contract_id}")
    with app.app_context():
        contract = db.session.get_one(Contract, contract_id)
        [signature] = contract.signatures
        assert signature.side is Side.BUYER and signature.contract_version == version
        assert contract.status is ContractStatus.DRAFT
        assert contract.version == version + 1
        assert count(Delivery, Delivery.contract_id == contract_id) == 0
        assert audits("contract.sign", contract_id) == 1
        winner = [p.id for p in people].index(signature.user_id)
        settle()
    assert ("success", SIGNED_WAITING) in flashes(clients[winner])
    loser_messages = flashes(clients[1 - winner])
    assert [m for c, m in loser_messages if c == "success"] == []
    assert {m for c, m in loser_messages if c == "error"} & {
        ALREADY_SIGNED,
        CONTRACT_CHANGED,
        CHANGED_MEANWHILE,
    }, loser_messages


def test_both_sides_signing_one_draft_at_once_activate_it_and_plan_once(app):
    buyer, coop = open_deal(app)
    manager = add_member(app, buyer.organization_id, Role.MANAGER, name="Trần Thị Bình")
    rfq_id = post_rfq(app, buyer)
    contract_id = award_all(app, buyer, rfq_id, quote_on(app, coop, rfq_id))
    version = contract_version(app, contract_id)
    clients = logged_in(app, [manager, coop])

    url = f"/contracts/{contract_id}/sign"
    responses = post_together(
        [(c, url, {"version": str(version), "confirm": "y"}) for c in clients]
    )

    assert [r.status_code for r in responses] == [302, 302]
    messages = [flashes(c) for c in clients]
    with app.app_context():
        contract = db.session.get_one(Contract, contract_id)
        sides = sorted(s.side.value for s in contract.signatures)
        assert sides == ["buyer", "coop"], (
            "both sides signed the version they read, yet only one signature was kept; "
            f"flashes: {messages}"
        )
        assert contract.status is ContractStatus.ACTIVE and contract.activated_at is not None
        first_day = max(contract.starts_on, today())
        expected = [
            d
            for d in plan_dates(
                contract.pattern,
                contract.starts_on,
                contract.ends_on,
                contract.weekday_list,
                contract.day_of_month,
            )
            if d >= first_day
        ]
        assert expected
        planned = list(
            db.session.scalars(
                select(Delivery)
                .where(Delivery.contract_id == contract_id)
                .order_by(Delivery.sequence)
            )
        )
        assert len(planned) == len(expected)
        assert [d.scheduled_on for d in planned] == expected
        assert len({(d.contract_id, d.scheduled_on) for d in planned}) == len(planned)
        assert [d.sequence for d in planned] == list(range(1, len(expected) + 1))
        assert audits("contract.activate", contract_id) == 1
        assert audits("contract.sign", contract_id) == 2
        settle()
    success = [m for each in messages for c, m in each if c == "success"]
    assert sorted(success) == sorted([SIGNED_WAITING, SIGNED_BY_BOTH])


# --- amendments -----------------------------------------------------------------------------------


def test_two_co_op_managers_accepting_one_amendment_at_once_apply_it_once(app):
    buyer, coop = open_deal(app)
    manager = add_member(app, coop.organization_id, Role.MANAGER, name="Lò Văn Hùng")
    contract_id = signed_contract(app, buyer, coop)
    with app.app_context():
        contract = db.session.get_one(Contract, contract_id)
        [line] = contract.lines
        old_price = line.unit_price
        planned = list(
            db.session.scalars(
                select(Delivery)
                .where(Delivery.contract_id == contract_id)
                .order_by(Delivery.sequence)
            )
        )
        assert len(planned) >= 3
        change_on = planned[1].scheduled_on
        amendment = contracts.propose_amendment(
            actor_for(buyer),
            contract_id,
            contract.version,
            contracts.AmendmentData(
                reason="Giá mới từ tuần thứ hai",
                effective_from=change_on,
                lines={line.id: ("190.000", "")},
            ),
        )
        amendment_id = amendment.id
        settle()
    version = contract_version(app, contract_id)
    people = [coop, manager]
    clients = logged_in(app, people)

    url = f"/contracts/{contract_id}/amendments/{amendment_id}/accept"
    responses = post_together([(c, url, {"version": str(version)}) for c in clients])

    assert [r.status_code for r in responses] == [302, 302]
    with app.app_context():
        amendment = db.session.get_one(Amendment, amendment_id)
        assert amendment.status is AmendmentStatus.ACCEPTED
        assert amendment.decided_by_id in {p.id for p in people}
        contract = db.session.get_one(Contract, contract_id)
        assert contract.version == version + 1
        assert [ln.unit_price for ln in contract.lines] == [190_000]
        for delivery in db.session.scalars(
            select(Delivery).where(Delivery.contract_id == contract_id)
        ):
            changed = delivery.scheduled_on >= change_on
            assert [ln.unit_price for ln in delivery.lines] == [190_000 if changed else old_price]
            # Raised once by the accepted change, never twice.
            assert delivery.version == (2 if changed else 1)
        assert count(Delivery, Delivery.contract_id == contract_id) == len(planned)
        assert audits("contract.amend.accept", contract_id) == 1
        assert count(Amendment, Amendment.contract_id == contract_id) == 1
        winner = [p.id for p in people].index(amendment.decided_by_id)
        settle()
    assert ("success", CHANGE_ACCEPTED) in flashes(clients[winner])
    loser_messages = flashes(clients[1 - winner])
    assert [m for c, m in loser_messages if c == "success"] == []
    assert {m for c, m in loser_messages if c == "error"} & {
        ALREADY_ANSWERED,
        CONTRACT_CHANGED,
        CHANGED_MEANWHILE,
    }, loser_messages


# --- negotiation and award ------------------------------------------------------------------


def test_a_counter_offer_and_a_revision_of_one_version_at_once_make_one_new_version(app):
    buyer, coop = open_deal(app)
    rfq_id = post_rfq(app, buyer)
    quote_id = quote_on(app, coop, rfq_id)
    with app.app_context():
        [line_id] = [ln.id for ln in db.session.get_one(Rfq, rfq_id).lines]
        settle()
    clients = logged_in(app, [buyer, coop])
    prices = ["170.000", "178.000"]

    def form(price: str, notes: str) -> dict:
        return {
            "version": "1",
            "lines-0-rfq_line_id": str(line_id),
            "lines-0-include": "y",
            "lines-0-unit_price": price,
            "lines-0-quantity": "120",
            "lines-0-vat_rate": "10",
            "valid_until": (today() + timedelta(days=5)).isoformat(),
            "notes": notes,
        }

    url = f"/quotes/{quote_id}/versions"
    responses = post_together(
        [
            (clients[0], url, form(prices[0], "Đề nghị của bên mua")),
            (clients[1], url, form(prices[1], "Báo giá sửa của hợp tác xã")),
        ]
    )

    assert sorted(r.status_code for r in responses) == [302, 422]
    winner = [r.status_code for r in responses].index(302)
    loser = 1 - winner
    assert responses[winner].headers["Location"].endswith(f"/quotes/{quote_id}")
    page = responses[loser].get_data(as_text=True)
    assert ARRIVED_WHILE_TYPING.format(n=2) in page
    with app.app_context():
        quote = db.session.get_one(Quote, quote_id)
        assert quote.current_version == 2 and quote.status is QuoteStatus.OPEN
        versions = list(
            db.session.scalars(
                select(QuoteVersion)
                .where(QuoteVersion.quote_id == quote_id)
                .order_by(QuoteVersion.number)
            )
        )
        assert [v.number for v in versions] == [1, 2]
        assert versions[1].side is (Side.BUYER if winner == 0 else Side.COOP)
        winning_price = int(prices[winner].replace(".", ""))
        losing_price = int(prices[loser].replace(".", ""))
        assert [ln.unit_price for ln in versions[1].lines] == [winning_price]
        assert count(QuoteLine, QuoteLine.unit_price == losing_price) == 0
        assert audits("quote.counter", quote_id) + audits("quote.revise", quote_id) == 1
        settle()
    assert [m for c, m in flashes(clients[loser]) if c == "success"] == []


def test_two_buyer_managers_awarding_one_request_at_once_draft_one_set_of_contracts(app):
    buyer = verified_buyer(app)
    manager = add_member(app, buyer.organization_id, Role.MANAGER, name="Trần Thị Bình")
    coops = [
        verified_coop(app, organization_name="HTX Sâm Lai Châu"),
        verified_coop(app, organization_name="HTX Chè Tà Xùa"),
    ]
    for coop in coops:
        coop_with_listing(app, coop)
    with app.app_context():
        lines = [
            rfqs.RfqLineData(
                category_id=category_id("ruou"),
                specification=spec,
                quantity="120",
                unit="chai",
                target_price="170.000",
            )
            for spec in ("Rượu sâm 500 ml", "Rượu sâm 300 ml")
        ]
        rfq = rfqs.create_rfq(actor_for(buyer), buyer.organization_id, rfq_data(buyer, lines=lines))
        rfq_id, line_ids = rfq.id, [ln.id for ln in rfq.lines]
        settle()
    quote_ids = [quote_on(app, coops[0], rfq_id), quote_on(app, coops[1], rfq_id, "172.000")]
    clients = logged_in(app, [buyer, manager])
    # The first line to the first co-op, the second to the other.
    form = {}
    for index, (line_id, q) in enumerate(zip(line_ids, quote_ids, strict=True)):
        form |= {f"lines-{index}-line_id": str(line_id), f"lines-{index}-quote_id": str(q)}
    for index, q in enumerate(quote_ids):
        form |= {f"quotes-{index}-quote_id": str(q), f"quotes-{index}-version": "1"}

    url = f"/rfqs/{rfq_id}/award"
    responses = post_together([(c, url, dict(form)) for c in clients])

    assert [r.status_code for r in responses] == [302, 302]
    with app.app_context():
        assert db.session.get_one(Rfq, rfq_id).status is RfqStatus.AWARDED
        drafted = list(db.session.scalars(select(Contract).order_by(Contract.id)))
        assert len(drafted) == 2
        assert sorted(c.coop_id for c in drafted) == sorted(c.organization_id for c in coops)
        assert all(c.rfq_id == rfq_id and c.status is ContractStatus.DRAFT for c in drafted)
        assert [len(c.lines) for c in drafted] == [1, 1]
        assert {q.status for q in db.session.scalars(select(Quote))} == {QuoteStatus.AWARDED}
        assert audits("rfq.award", rfq_id) == 1
        assert audits("contract.draft") == 2
        settle()
    messages = [flashes(c) for c in clients]
    assert sum(any(cat == "success" for cat, _m in each) for each in messages) == 1
    loser = next(each for each in messages if not any(cat == "success" for cat, _m in each))
    assert {m for c, m in loser if c == "error"} & {ALREADY_AWARDED, CHANGED_MEANWHILE}, loser


# --- deliveries and invoices ----------------------------------------------------------------


def test_two_deliveries_of_one_co_op_received_at_once_get_consecutive_invoice_numbers(app):
    buyer, coop = open_deal(app)
    staff = add_member(app, buyer.organization_id, Role.STAFF, name="Phạm Văn Kho")
    contract_id = signed_contract(app, buyer, coop)
    dispatched = dispatch_first(app, coop, contract_id, 2)
    clients = logged_in(app, [buyer, staff])

    responses = post_together(
        [
            (client, f"/deliveries/{delivery_id}/receive", receipt_form(version, line_ids))
            for client, (delivery_id, version, line_ids) in zip(clients, dispatched, strict=True)
        ]
    )

    assert [r.status_code for r in responses] == [302, 302]
    assert all("/invoices/" in r.headers["Location"] for r in responses)
    with app.app_context():
        assert_invoice_numbers_without_gaps(coop, 2)
        for delivery_id, _version, _lines in dispatched:
            assert db.session.get_one(Delivery, delivery_id).status is DeliveryStatus.RECEIVED
            assert count(Invoice, Invoice.delivery_id == delivery_id) == 1
        settle()


def test_six_deliveries_of_three_contracts_received_at_once_number_invoices_1_to_6(app):
    buyer, coop = open_deal(app)
    receivers = [buyer] + [
        add_member(
            app, buyer.organization_id, Role.MANAGER if i % 2 else Role.STAFF, name=f"Kho {i}"
        )
        for i in range(5)
    ]
    dispatched = []
    for n in range(3):
        contract_id = signed_contract(app, buyer, coop, title=f"Rượu sâm đợt {n + 1}")
        dispatched += dispatch_first(app, coop, contract_id, 2)
    with app.app_context():
        assert count(Contract, Contract.coop_id == coop.organization_id) == 3
        settle()
    clients = logged_in(app, receivers)

    responses = post_together(
        [
            (client, f"/deliveries/{delivery_id}/receive", receipt_form(version, line_ids))
            for client, (delivery_id, version, line_ids) in zip(clients, dispatched, strict=True)
        ]
    )

    assert [r.status_code for r in responses] == [302] * 6
    assert all("/invoices/" in r.headers["Location"] for r in responses)
    with app.app_context():
        assert_invoice_numbers_without_gaps(coop, 6)
        assert audits("invoice.issue") == 6
        settle()


def test_one_delivery_received_twice_at_once_is_invoiced_once(app):
    buyer, coop = open_deal(app)
    manager = add_member(app, buyer.organization_id, Role.MANAGER, name="Trần Thị Bình")
    contract_id = signed_contract(app, buyer, coop)
    [(delivery_id, version, line_ids)] = dispatch_first(app, coop, contract_id, 1)
    clients = logged_in(app, [buyer, manager])
    accepted = ["120", "100"]

    url = f"/deliveries/{delivery_id}/receive"
    responses = post_together(
        [
            (client, url, receipt_form(version, line_ids, accepted=quantity))
            for client, quantity in zip(clients, accepted, strict=True)
        ]
    )

    assert [r.status_code for r in responses] == [302, 302]
    invoiced = ["/invoices/" in r.headers["Location"] for r in responses]
    assert sorted(invoiced) == [False, True]
    winner = invoiced.index(True)
    assert responses[1 - winner].headers["Location"].endswith(f"/deliveries/{delivery_id}")
    with app.app_context():
        [invoice] = db.session.scalars(select(Invoice).where(Invoice.delivery_id == delivery_id))
        assert [ln.quantity for ln in invoice.lines] == [int(accepted[winner])]
        delivery = db.session.get_one(Delivery, delivery_id)
        assert delivery.status is DeliveryStatus.RECEIVED
        assert delivery.version == version + 1
        assert [ln.accepted_quantity for ln in delivery.lines] == [int(accepted[winner])]
        assert_invoice_numbers_without_gaps(coop, 1)
        assert audits("delivery.receive", delivery_id) == 1
        assert audits("invoice.issue") == 1
        settle()
    loser_messages = flashes(clients[1 - winner])
    assert [m for c, m in loser_messages if c == "success"] == []
    assert {m for c, m in loser_messages if c == "error"} & {
        CHANGED_MEANWHILE,
        DELIVERY_CHANGED,
    }, loser_messages


def test_two_full_payments_recorded_at_once_on_one_invoice_save_one(app):
    buyer, coop = open_deal(app)
    manager = add_member(app, coop.organization_id, Role.MANAGER, name="Lò Văn Hùng")
    contract_id = signed_contract(app, buyer, coop)
    [(delivery_id, version, line_ids)] = dispatch_first(app, coop, contract_id, 1)
    with app.app_context():
        _delivery, invoice = deliveries.receive(
            actor_for(buyer),
            delivery_id,
            version,
            {line_id: deliveries.ReceiptLine("120") for line_id in line_ids},
        )
        invoice_id, total = invoice.id, invoice.total
        settle()
    assert total > 0
    people = [coop, manager]
    clients = logged_in(app, people)

    url = f"/pay/invoice/{invoice_id}/transfer"
    responses = post_together(
        [
            (
                client,
                url,
                {
                    "amount": str(total),
                    "paid_on": today().isoformat(),
                    "bank_reference": f"VCB {i}",
                },
            )
            for i, client in enumerate(clients)
        ]
    )

    with app.app_context():
        [payment] = db.session.scalars(
            select(Payment).where(
                Payment.payable_kind == PayableKind.INVOICE, Payment.payable_id == invoice_id
            )
        )
        assert payment.amount == total
        invoice = db.session.get_one(Invoice, invoice_id)
        assert invoice.status is InvoiceStatus.PAID and invoice.paid_at is not None
        assert audits("invoice.paid", invoice_id) == 1
        winner = [p.id for p in people].index(payment.created_by_id)
        settle()
    assert responses[winner].status_code == 302
    assert ("success", PAYMENT_RECORDED) in flashes(clients[winner])
    loser = responses[1 - winner]
    assert loser.status_code in (302, 422)
    if loser.status_code == 302:
        loser_messages = flashes(clients[1 - winner])
        assert [m for c, m in loser_messages if c == "success"] == []
        assert (
            "error",
            CHANGED_MEANWHILE,
        ) in loser_messages, loser_messages
    else:
        assert ALREADY_PAID in loser.get_data(as_text=True)
