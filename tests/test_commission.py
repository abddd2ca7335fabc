"""The platform's fee in the open, and its monthly commission invoices: billed from the fees on
transfers an organisation received itself, settled by deduction from the card money the
platform holds for it (never from money a pending refund takes back), the rest paid to the
platform's own account; the statement says every line in words."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from marketplace.extensions import db
from marketplace.models import (
    Account,
    Category,
    CommissionInvoice,
    CommissionStatus,
    LedgerEntry,
    PayableKind,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Role,
)
from marketplace.services.errors import NotFound, PermissionDenied, ValidationFailed
from marketplace.services.payments import commission, fees, ledger, platform, refunds, transfers
from marketplace.services.payments.payables import commission as fee_of
from marketplace.services.payments.payables import payable
from marketplace.vietnam import today
from tests.factories import actor_for as actor
from tests.factories import (
    add_member,
    admin_actor,
    audits,
    category_id,
    coop_with_listing,
    intent_event,
    invoiced,
    ledger_ok,
    login,
    open_fair,
    post_event,
    post_rfq,
    settle,
    signed_contract,
    start_card,
    verified_buyer,
    verified_coop,
    verified_organiser,
)

pytestmark = pytest.mark.usefixtures("stripe_mock")

K = PayableKind
NBSP = "\u00a0"


def last_month_instant() -> datetime:
    period = commission.last_month()
    return datetime(period.year, period.month, 15, 5, tzinfo=UTC)


def into_last_month(organization_id: int) -> None:
    """Date the organisation's ledger entries in the middle of last month (a billable month)."""
    db.session.execute(
        update(LedgerEntry)
        .where(LedgerEntry.organization_id == organization_id)
        .values(created_at=last_month_instant())
    )


def transfer(app, coop, invoice_id, amount, reference="FT-1", partial=False) -> int:
    with app.app_context():
        payment = transfers.record_transfer(
            actor(coop),
            K.INVOICE,
            invoice_id,
            amount=str(amount),
            paid_on=today(),
            bank_reference=reference,
            partial=partial,
        ).id
        settle()
        return payment


def card(app, client, buyer, invoice_id, event="evt_card") -> int:
    payment_id = start_card(app, buyer, invoice_id)
    assert (
        post_event(client, intent_event(event, "payment_intent.succeeded", payment_id)).status_code
        == 200
    )
    return payment_id


def bill(app, who=None):
    with app.app_context():
        who = actor(who) if who is not None else commission.Actor.system()
        result = commission.bill_month(who, commission.last_month())
        ids = [i.id for i in result.issued]
        settle()
        return ids


def set_platform_account(app) -> None:
    with app.app_context():
        platform.save_bank_account(
            actor(admin_actor(app)),
            bin="970436",
            account="0071 0012 34567",
            holder="CONG TY CHO HTX",
        )
        settle()


# --- the rate, in one place ----------------------------------------------------------------------


def test_the_rate_of_a_category_or_the_platform_and_its_words(app):
    with app.app_context():
        wine = category_id("ruou")
        assert fees.rate_bps(None) == 300 == fees.rate_bps(wine)
        db.session.get_one(Category, wine).commission_bps = 250
        assert fees.rate_bps(wine) == 250 and fees.rates()[wine] == 250
        assert fees.fee_on(1_000_000, 250) == 25_000 and fees.fee_on(999, 300) == 29
        assert fees.rate_text(300) == f"3{NBSP}%" and fees.rate_text(250) == f"2,5{NBSP}%"
        assert fees.rate_text(250, "en") == f"2.5{NBSP}%"
        assert fees.rate_of(29, 999) == 300 and fees.rate_of(0, 100) == 0


def test_a_payment_to_the_platform_carries_no_fee(app):
    _buyer, coop, invoice_id, total = invoiced(app)
    with app.app_context():
        found = payable(K.INVOICE, invoice_id)
        assert fee_of(found, total) == total * 300 // 10_000
        invoice = CommissionInvoice(
            organization_id=coop.organization_id,
            period=commission.last_month(),
            number="PHI-TEST-1",
            amount=50_000,
            issued_on=today(),
            due_on=today(),
        )
        db.session.add(invoice)
        db.session.flush()
        owed = payable(K.COMMISSION, invoice.id)
        assert owed.payee_id is None and fee_of(owed, 50_000) == 0
        assert owed.reference.startswith("CHC")


# --- the fee on the pages where money is committed to --------------------------------------------


def text_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_sign_up_terms_say_the_fee(client):
    page = text_of(client.get("/signup"))
    terms = re.search(r'id="fee-terms">([^<]*)<', page).group(1)
    assert f"3{NBSP}%" in terms and "Chợ HTX" in terms


def test_the_listing_form_shows_the_chosen_category_rate(app, client):
    coop = verified_coop(app)
    listing_id = coop_with_listing(app, coop)
    with app.app_context():
        wine = category_id("ruou")
        db.session.get_one(Category, wine).commission_bps = 250
        settle()
    login(client, coop)
    new = text_of(client.get(f"/orgs/{coop.organization_id}/listings/new"))
    # No category chosen yet: the platform's rate, and every category's rate for the script.
    note = re.search(r'id="category_id-fee".*?</p>', new, re.S).group(0)
    assert f"3{NBSP}%" in note and "data-fee-hint" in note
    assert f'"{wine}": "2,5\\u00a0%"' in note
    assert "js/fee.js" in new
    # The listing's own category: its rate, said by the server (no script needed).
    edit = text_of(client.get(f"/orgs/{coop.organization_id}/listings/{listing_id}/edit"))
    shown = re.search(r"data-fee-rate>([^<]*)<", edit).group(1)
    assert shown == f"2,5{NBSP}%"


def test_the_quote_form_and_page_show_the_fee_on_the_quote(app, client):
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    coop_with_listing(app, coop)
    rfq_id = post_rfq(app, buyer)
    login(client, coop)
    form = text_of(client.get(f"/rfqs/{rfq_id}/quote"))
    assert re.search(rf'id="platform-fee">[^<]*<span class="platform-fee">[^<]*3{NBSP}%', form)
    from tests.factories import quote_on

    quote_id = quote_on(app, coop, rfq_id)
    page = text_of(client.get(f"/quotes/{quote_id}"))
    with app.app_context():
        from marketplace.models import Quote

        quote = db.session.get_one(Quote, quote_id)
        due = fees.quote_fee(quote.versions[-1], quote.rfq)
    assert due.per_delivery > 0
    fee = f"{fees.fee_on(due.per_delivery, 300):,}".replace(",", ".")
    assert f"3{NBSP}%: {fee}{NBSP}₫" in page


def test_the_contract_page_shows_the_fee_on_the_contract_total(app, client):
    buyer = verified_buyer(app)
    coop = verified_coop(app)
    coop_with_listing(app, coop)
    contract_id = signed_contract(app, buyer, coop)
    login(client, coop)
    page = text_of(client.get(f"/contracts/{contract_id}"))
    with app.app_context():
        from marketplace.models import Contract, Delivery

        contract = db.session.get_one(Contract, contract_id)
        count = len(
            db.session.scalars(select(Delivery).where(Delivery.contract_id == contract_id)).all()
        )
        due = fees.contract_fee(contract, count)
    assert due.total == due.per_delivery * count and count > 1
    fee = f"{fees.fee_on(due.total, 300):,}".replace(",", ".")
    assert re.search(rf'id="platform-fee">.*3{NBSP}%: {fee}{NBSP}₫', page)
    # The buyer pays no fee and is not shown one.
    buyer_client = app.test_client()
    login(buyer_client, buyer)
    assert 'id="platform-fee"' not in text_of(buyer_client.get(f"/contracts/{contract_id}"))


def test_the_fair_fee_set_up_shows_the_fee_on_each_booth_fee(app, client):
    organiser = verified_organiser(app)
    fair_id, _type_id = open_fair(app, organiser)
    login(client, organiser)
    page = text_of(client.get(f"/fairs/{fair_id}/manage"))
    # The booth type of 2.000.000 ₫, and the rate next to the form.
    assert f"3{NBSP}%: 60.000{NBSP}₫" in page
    assert re.search(rf'id="platform-fee">[^<]*<span class="platform-fee">[^<]*3{NBSP}%', page)


# --- billing a month --------------------------------------------------------------------------


def test_billing_a_month_bills_that_month_s_transfer_fees_once(app):
    _buyer, coop, invoice_id, total = invoiced(app)
    _b2, quiet_coop, _i2, _t2 = invoiced(app)  # no money moved: nothing to bill
    transfer(app, coop, invoice_id, total)
    with app.app_context():
        into_last_month(coop.organization_id)
        settle()
    [invoice_id_c] = bill(app, admin_actor(app))
    fee = total * 300 // 10_000
    with app.app_context():
        invoice = db.session.get_one(CommissionInvoice, invoice_id_c)
        assert invoice.organization_id == coop.organization_id and invoice.amount == fee
        assert invoice.period == commission.last_month()
        assert re.fullmatch(rf"PHI-{invoice.period:%Y-%m}-\d{{4}}", invoice.number)
        assert invoice.status is CommissionStatus.ISSUED  # nothing held to deduct from
        assert not db.session.scalars(
            select(CommissionInvoice).where(
                CommissionInvoice.organization_id == quiet_coop.organization_id
            )
        ).all()
        assert audits("commission.issue", invoice_id_c) == 1
    assert bill(app) == []  # run twice: nothing more
    with app.app_context():
        assert (
            len(
                db.session.scalars(
                    select(CommissionInvoice).where(
                        CommissionInvoice.organization_id == coop.organization_id
                    )
                ).all()
            )
            == 1
        )
        assert ledger.owed_to(coop.organization_id) == -fee
    ledger_ok(app)


def test_a_reversed_transfer_nets_out_and_this_month_cannot_be_billed(app):
    _buyer, coop, invoice_id, total = invoiced(app)
    payment_id = transfer(app, coop, invoice_id, total)
    with app.app_context():
        transfers.reverse_transfer(actor(coop), payment_id, "Ghi nhầm")
        into_last_month(coop.organization_id)
        settle()
    assert bill(app) == []
    with app.app_context():
        with pytest.raises(ValidationFailed):
            commission.bill_month(commission.Actor.system(), today())
        with pytest.raises(PermissionDenied):
            commission.bill_month(actor(coop), commission.last_month())
        with pytest.raises(ValidationFailed):
            commission.bill(commission.Actor.system(), "2026-13")
    ledger_ok(app)


def test_the_fee_is_deducted_from_card_money_the_platform_holds(app, client, mailbox):
    buyer, coop, invoice_id, total = invoiced(app)
    part = total // 4
    transfer(app, coop, invoice_id, part, partial=True)
    card(app, client, buyer, invoice_id)
    with app.app_context():
        into_last_month(coop.organization_id)
        owed_before = ledger.owed_to(coop.organization_id)
        settle()
    [commission_id] = bill(app)
    fee = part * 300 // 10_000
    with app.app_context():
        invoice = db.session.get_one(CommissionInvoice, commission_id)
        assert invoice.amount == fee and invoice.status is CommissionStatus.PAID
        [payment] = db.session.scalars(
            select(Payment).where(
                Payment.payable_kind == K.COMMISSION, Payment.payable_id == commission_id
            )
        ).all()
        assert payment.method is PaymentMethod.BALANCE and payment.payee_id is None
        assert payment.amount == fee and payment.fee == 0
        # What the platform owes the co-op is what it was: the fee was owed already.
        assert ledger.owed_to(coop.organization_id) == owed_before
        assert ledger.balance(Account.RECEIVABLE, coop.organization_id) == 0
    ledger_ok(app)
    # The co-op is told, with a link to the pay page.
    assert any(
        f"/pay/commission/{commission_id}" in m.get_body(preferencelist=("plain",)).get_content()
        for m in mailbox.to(coop.email)
    )


def test_a_pending_refund_limits_the_deduction_and_the_rest_is_paid_by_transfer(app, client):
    buyer, coop, invoice_id, total = invoiced(app)
    part = total // 2
    transfer(app, coop, invoice_id, part, partial=True)
    card_id = card(app, client, buyer, invoice_id)
    fee = part * 300 // 10_000
    with app.app_context():
        card_payment = db.session.get_one(Payment, card_id)
        held = card_payment.amount - card_payment.fee
        # A refund that leaves less than the fee held.
        refunds.request_refund(actor(coop), card_id, str(held - fee // 3), "Hàng lỗi")
        into_last_month(coop.organization_id)
        assert commission.held_for(coop.organization_id) == fee // 3
        settle()
    [commission_id] = bill(app)
    with app.app_context():
        invoice = db.session.get_one(CommissionInvoice, commission_id)
        assert invoice.status is CommissionStatus.ISSUED
        found = payable(K.COMMISSION, commission_id)
        from marketplace.services.payments.payables import outstanding

        rest = outstanding(found)
        assert rest == fee - fee // 3
        assert commission.held_for(coop.organization_id) == 0
    ledger_ok(app)
    set_platform_account(app)
    # The co-op sees the platform's account and its VietQR on the pay page.
    login(client, coop)
    page = text_of(client.get(f"/pay/commission/{commission_id}"))
    assert "0071001234567" in page and "CONG TY CHO HTX" in page and "<svg" in page
    assert f"{rest:,}".replace(",", ".") in page
    # The co-op cannot record a transfer to the platform; a platform admin does.
    form = {"amount": str(rest), "paid_on": today().isoformat(), "bank_reference": "FT-PHI-9"}
    assert client.post(f"/pay/commission/{commission_id}/transfer", data=form).status_code == 403
    boss = app.test_client()
    login(boss, admin_actor(app))
    response = boss.post(f"/pay/commission/{commission_id}/transfer", data=form)
    assert response.status_code == 302
    with app.app_context():
        invoice = db.session.get_one(CommissionInvoice, commission_id)
        assert invoice.status is CommissionStatus.PAID and invoice.paid_at is not None
        number = invoice.number
        transfer_to_platform = db.session.scalars(
            select(Payment).where(
                Payment.payable_id == commission_id,
                Payment.payable_kind == K.COMMISSION,
                Payment.method == PaymentMethod.BANK_TRANSFER,
            )
        ).one()
        assert (
            transfer_to_platform.fee == 0 and transfer_to_platform.status is PaymentStatus.SUCCEEDED
        )
        assert ledger.balance(Account.RECEIVABLE, coop.organization_id) == 0
    ledger_ok(app)
    # The statement says it in words, with links, and no names of accounts or transactions.
    statement = text_of(client.get(f"/orgs/{coop.organization_id}/statement"))
    assert number in statement
    assert f"/pay/commission/{commission_id}" in statement
    assert f"/invoices/{invoice_id}" in statement
    for raw in ("receivable", "clearing", "refund_due", "revenue"):
        assert raw not in statement
    assert not re.search(r">\s*(payable|direct)\s*<|(payment|reversal|refund|payout)-\d", statement)
    with app.app_context():
        wanted = commission.view_invoice(actor(coop), commission_id)
        assert len(wanted.fees) == 1 and wanted.fees[0][1].amount == part


def test_commission_invoices_are_their_organisation_s_only(app, client):
    _buyer, coop, invoice_id, total = invoiced(app)
    staff = add_member(app, coop.organization_id, Role.STAFF)
    _b, other, _i, _t = invoiced(app)
    transfer(app, coop, invoice_id, total)
    with app.app_context():
        into_last_month(coop.organization_id)
        settle()
    [commission_id] = bill(app)
    outsider = app.test_client()
    login(outsider, other)
    assert outsider.get(f"/commission/{commission_id}").status_code == 404
    assert outsider.get(f"/pay/commission/{commission_id}").status_code == 404
    staff_client = app.test_client()
    login(staff_client, staff)
    assert staff_client.get(f"/commission/{commission_id}").status_code == 403
    assert staff_client.post(f"/pay/commission/{commission_id}/card").status_code == 403
    # The staff's statement does not list the fee invoices; the owner's does.
    assert "commission-invoices" not in text_of(
        staff_client.get(f"/orgs/{coop.organization_id}/statement")
    )
    login(client, coop)
    page = text_of(client.get(f"/commission/{commission_id}"))
    assert "PHI-" in page and f"/pay/commission/{commission_id}" in page
    assert "commission-invoices" in text_of(client.get(f"/orgs/{coop.organization_id}/statement"))
    with app.app_context():
        with pytest.raises(NotFound):
            commission.view_invoice(actor(other), commission_id)
        with pytest.raises(PermissionDenied):
            commission.invoices_of(actor(staff), coop.organization_id)
        assert [i.id for i in commission.invoices_of(actor(coop), coop.organization_id)] == [
            commission_id
        ]
    ledger_ok(app)


def test_the_admin_bills_from_the_payouts_page_and_sets_the_platform_account(app, client):
    _buyer, coop, invoice_id, total = invoiced(app)
    transfer(app, coop, invoice_id, total)
    with app.app_context():
        into_last_month(coop.organization_id)
        settle()
    boss = admin_actor(app)
    login(client, boss)
    page = text_of(client.get("/admin/payouts"))
    assert f'value="{commission.last_month():%Y-%m}"' in page
    response = client.post("/admin/commission/bill", data={"month": "tháng trước"})
    assert response.status_code == 302  # refused with a message, nothing billed
    with app.app_context():
        assert not db.session.scalars(select(CommissionInvoice)).all()
    month = f"{commission.last_month():%Y-%m}"
    assert client.post("/admin/commission/bill", data={"month": month}).status_code == 302
    with app.app_context():
        assert len(db.session.scalars(select(CommissionInvoice)).all()) == 1
    # The platform's account: a wrong number keeps what was typed; a right one is audited.
    form = {"bin": "970436", "account": "12ab", "holder": "CONG TY CHO HTX"}
    again = client.post("/admin/platform-account", data=form)
    assert again.status_code == 422 and 'value="12ab"' in again.get_data(as_text=True)
    form["account"] = "0071001234567"
    assert client.post("/admin/platform-account", data=form).status_code == 302
    with app.app_context():
        assert platform.settings().bank_account_number == "0071001234567"
        assert audits("platform.bank_account") == 1
    coop_client = app.test_client()
    login(coop_client, coop)
    assert coop_client.get("/admin/platform-account").status_code == 403
    assert coop_client.post("/admin/commission/bill", data={"month": month}).status_code == 403
    ledger_ok(app)


def test_the_command_bills_last_month(app):
    _buyer, coop, invoice_id, total = invoiced(app)
    transfer(app, coop, invoice_id, total)
    with app.app_context():
        into_last_month(coop.organization_id)
        settle()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["commission", "bill"])
    assert result.exit_code == 0, result.output
    assert "issued 1 commission invoices" in result.output
    again = runner.invoke(
        args=["commission", "bill", "--month", f"{commission.last_month():%Y-%m}"]
    )
    assert again.exit_code == 0 and "issued 0 commission invoices" in again.output
    bad = runner.invoke(args=["commission", "bill", "--month", f"{today():%Y-%m}"])
    assert bad.exit_code == 1
    ledger_ok(app)
