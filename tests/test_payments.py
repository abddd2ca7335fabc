"""Payments: card payments through the real stripe-mock and signed webhooks, bank transfers
(recorded and from statements), refunds, payouts, and the ledger check."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from marketplace.blueprints.payments import checkout
from marketplace.extensions import db
from marketplace.models import (
    Account,
    FairApplication,
    Invoice,
    InvoiceStatus,
    LedgerEntry,
    Organization,
    PayableKind,
    Payment,
    PaymentStatus,
    ProviderReference,
    Refund,
    RefundStatus,
    Role,
    WebhookEvent,
)
from marketplace.services.errors import (
    NotFound,
    PermissionDenied,
    TransitionNotAllowed,
    ValidationFailed,
)
from marketplace.services.payments import (
    cards,
    ledger,
    payables,
    payouts,
    refunds,
    statements,
    transfers,
)
from marketplace.vietnam import today
from tests.factories import actor_for as actor
from tests.factories import (
    add_member,
    admin_actor,
    application,
    intent_event,
    invoiced,
    ledger_ok,
    login,
    make_person,
    open_fair,
    post_event,
    settle,
    start_card,
    verified_buyer,
    verified_coop,
    verified_organiser,
)

pytestmark = pytest.mark.usefixtures("stripe_mock")

K = PayableKind


# --- cards and webhooks ---------------------------------------------------------------------


def test_a_card_payment_is_applied_once_by_its_webhook(app, client):
    buyer, coop, invoice_id, total = invoiced(app)
    payment_id = start_card(app, buyer, invoice_id)
    with app.app_context():
        payment = db.session.get_one(Payment, payment_id)
        assert payment.status is PaymentStatus.PENDING and payment.amount == total
        # The Checkout Session and its intent are kept, each once.
        kinds = set(
            db.session.scalars(
                select(ProviderReference.kind).where(ProviderReference.payment_id == payment_id)
            )
        )
        assert "checkout_session" in kinds
    event = intent_event("evt_ok_1", "payment_intent.succeeded", payment_id)
    assert post_event(client, event).status_code == 200
    assert post_event(client, event).status_code == 200  # a replay: accepted, applied once
    with app.app_context():
        payment = db.session.get_one(Payment, payment_id)
        invoice = db.session.get_one(Invoice, invoice_id)
        assert payment.status is PaymentStatus.SUCCEEDED and invoice.status is InvoiceStatus.PAID
        # 3 % commission; the co-op is owed the rest until paid out.
        assert payment.fee == total * 300 // 10_000
        assert ledger.owed_to(coop.organization_id) == total - payment.fee
        assert ledger.balance(Account.REVENUE) == -payment.fee
        assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 1
        assert (
            db.session.scalar(
                select(func.count(func.distinct(LedgerEntry.transaction))).where(
                    LedgerEntry.payment_id == payment_id
                )
            )
            == 1
        )
    # A late failure after the success changes nothing.
    assert (
        post_event(
            client, intent_event("evt_late_fail", "payment_intent.payment_failed", payment_id)
        ).status_code
        == 200
    )
    with app.app_context():
        assert db.session.get_one(Payment, payment_id).status is PaymentStatus.SUCCEEDED
    ledger_ok(app)


def test_events_out_of_order_end_in_the_right_state(app, client):
    buyer, _coop, invoice_id, _total = invoiced(app)
    payment_id = start_card(app, buyer, invoice_id)
    # The first attempt fails, the retry succeeds; the failure arrives after the success.
    assert (
        post_event(
            client, intent_event("evt_b", "payment_intent.succeeded", payment_id)
        ).status_code
        == 200
    )
    assert (
        post_event(
            client, intent_event("evt_a", "payment_intent.payment_failed", payment_id)
        ).status_code
        == 200
    )
    with app.app_context():
        assert db.session.get_one(Payment, payment_id).status is PaymentStatus.SUCCEEDED
    # And a failure first, then the success: succeeded too.
    buyer2, _c2, invoice2, _t2 = invoiced(app)
    second = start_card(app, buyer2, invoice2)
    post_event(client, intent_event("evt_c", "payment_intent.payment_failed", second, "pi_2"))
    with app.app_context():
        assert db.session.get_one(Payment, second).status is PaymentStatus.FAILED
    post_event(client, intent_event("evt_d", "payment_intent.succeeded", second, "pi_2"))
    with app.app_context():
        assert db.session.get_one(Payment, second).status is PaymentStatus.SUCCEEDED
        assert db.session.get_one(Invoice, invoice2).status is InvoiceStatus.PAID
    ledger_ok(app)


def test_bad_signatures_and_stale_timestamps_are_refused(app, client):
    buyer, _coop, invoice_id, _total = invoiced(app)
    payment_id = start_card(app, buyer, invoice_id)
    event = intent_event("evt_bad", "payment_intent.succeeded", payment_id)
    assert post_event(client, event, secret="whsec_wrong").status_code == 400
    assert post_event(client, event, timestamp=int(time.time()) - 3600).status_code == 400
    assert (
        client.post(
            "/stripe/webhook", data="{}", headers={"Stripe-Signature": "t=1,v1=00"}
        ).status_code
        == 400
    )
    assert client.post("/stripe/webhook", data="not json").status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 0
        assert db.session.get_one(Payment, payment_id).status is PaymentStatus.PENDING


def test_a_crash_between_storing_and_applying_is_recovered_on_the_next_delivery(
    app, client, monkeypatch
):
    buyer, _coop, invoice_id, _total = invoiced(app)
    payment_id = start_card(app, buyer, invoice_id)
    event = intent_event("evt_crash", "payment_intent.succeeded", payment_id)

    def crash(_stored_id):
        raise RuntimeError("the process died here")

    monkeypatch.setattr(cards, "apply_event", crash)
    with pytest.raises(RuntimeError):
        post_event(client, event)
    monkeypatch.undo()
    with app.app_context():
        stored = db.session.scalar(select(WebhookEvent))
        assert stored is not None and stored.applied_at is None
        assert db.session.get_one(Payment, payment_id).status is PaymentStatus.PENDING
    assert post_event(client, event).status_code == 200  # Stripe delivers it again
    with app.app_context():
        assert db.session.scalar(select(WebhookEvent)).applied_at is not None
        assert db.session.get_one(Payment, payment_id).status is PaymentStatus.SUCCEEDED
    ledger_ok(app)


def test_card_money_arriving_after_a_transfer_is_refunded_not_applied(app, client):
    buyer, coop, invoice_id, total = invoiced(app)
    payment_id = start_card(app, buyer, invoice_id)
    with app.app_context():
        transfers.record_transfer(
            actor(coop),
            K.INVOICE,
            invoice_id,
            amount=str(total),
            paid_on=today(),
            bank_reference="FT26001",
        )
    post_event(client, intent_event("evt_second", "payment_intent.succeeded", payment_id))
    with app.app_context():
        card = db.session.get_one(Payment, payment_id)
        assert card.status is PaymentStatus.SUCCEEDED and card.problem == "already_paid"
        [refund] = card.refunds
        refund_id = refund.id
        assert refund.amount == total and refund.status is RefundStatus.PENDING
        assert payables.paid_so_far(K.INVOICE, invoice_id) == total
        external = db.session.scalar(
            select(ProviderReference.reference).where(ProviderReference.refund_id == refund.id)
        )
        assert external and external.startswith("re_")
    # Stripe confirms the refund: the platform no longer holds the buyer's money.
    post_event(
        client,
        {
            "id": "evt_refund",
            "type": "refund.updated",
            "data": {
                "object": {
                    "id": external,
                    "object": "refund",
                    "status": "succeeded",
                    "metadata": {},
                }
            },
        },
    )
    with app.app_context():
        assert db.session.get_one(Refund, refund_id).status is RefundStatus.SUCCEEDED
        assert ledger.balance(Account.PAYABLE, buyer.organization_id) == 0
    ledger_ok(app)


def test_refunds_part_then_rest_and_never_more_than_paid(app, client):
    buyer, coop, invoice_id, total = invoiced(app)
    payment_id = start_card(app, buyer, invoice_id)
    post_event(client, intent_event("evt_paid", "payment_intent.succeeded", payment_id))
    with app.app_context():
        with pytest.raises(PermissionDenied):
            refunds.request_refund(
                actor(add_member(app, coop.organization_id, Role.STAFF)),
                payment_id,
                "1000",
                "x",
            )
        with pytest.raises(NotFound):
            refunds.request_refund(actor(buyer), payment_id, "1000", "Hàng lỗi")
        with pytest.raises(ValidationFailed) as exc:
            refunds.request_refund(actor(coop), payment_id, str(total + 1), "Quá")
        assert "amount" in exc.value.errors
        first = refunds.request_refund(actor(coop), payment_id, "1.000.000", "Trả lại 10 chai vỡ")
        first_id = first.id
        with pytest.raises(ValidationFailed):
            refunds.request_refund(actor(coop), payment_id, str(total), "Tất cả")
        settle()  # committed: the refund goes to Stripe
        first_ref = db.session.scalar(
            select(ProviderReference.reference).where(ProviderReference.refund_id == first_id)
        )
    post_event(
        client,
        {
            "id": "evt_r1",
            "type": "refund.updated",
            "data": {"object": {"id": first_ref, "object": "refund", "status": "succeeded"}},
        },
    )
    with app.app_context():
        payment = db.session.get_one(Payment, payment_id)
        assert payment.refunded_amount == 1_000_000
        fee_back = payment.fee * 1_000_000 // payment.amount
        assert ledger.balance(Account.REVENUE) == -(payment.fee - fee_back)
    ledger_ok(app)


def test_cards_are_not_offered_without_keys(app):
    buyer, _coop, invoice_id, _total = invoiced(app)
    with app.app_context():
        saved = app.extensions["cards"]
        app.extensions["cards"] = None
        try:
            with pytest.raises(ValidationFailed):
                checkout.start_card_payment(actor(buyer), K.INVOICE, invoice_id, locale="vi")
        finally:
            app.extensions["cards"] = saved


def test_only_the_payers_manager_starts_a_card_payment_and_not_twice_once_paid(app, client):
    buyer, coop, invoice_id, total = invoiced(app)
    with app.app_context():
        with pytest.raises(PermissionDenied):
            checkout.start_card_payment(actor(coop), K.INVOICE, invoice_id, locale="vi")
        with pytest.raises(NotFound):
            checkout.start_card_payment(actor(make_person(app)), K.INVOICE, invoice_id, locale="vi")
        transfers.record_transfer(
            actor(coop),
            K.INVOICE,
            invoice_id,
            amount=str(total),
            paid_on=today(),
            bank_reference="FT1",
        )
        with pytest.raises(ValidationFailed):
            checkout.start_card_payment(actor(buyer), K.INVOICE, invoice_id, locale="vi")


# --- bank transfers ----------------------------------------------------------------------------


def test_transfers_flag_under_and_over_payment_and_refuse_duplicates(app):
    buyer, coop, invoice_id, total = invoiced(app)
    with app.app_context():
        me = actor(coop)

        def record(amount, reference="FT100", partial=False):
            return transfers.record_transfer(
                me,
                K.INVOICE,
                invoice_id,
                amount=str(amount),
                paid_on=today(),
                bank_reference=reference,
                partial=partial,
            )

        with pytest.raises(PermissionDenied):
            transfers.record_transfer(
                actor(buyer), K.INVOICE, invoice_id, amount="1", paid_on=today(), bank_reference="X"
            )
        with pytest.raises(ValidationFailed) as exc:
            record(total + 1)
        assert "amount" in exc.value.errors
        with pytest.raises(ValidationFailed) as exc:
            record(total - 1)  # underpaid, not marked as a part payment
        assert "amount" in exc.value.errors
        record(1_000_000, partial=True)
        with pytest.raises(ValidationFailed) as exc:
            record(total - 1_000_000, reference="FT100")  # the same bank transaction again
        assert "bank_reference" in exc.value.errors
        record(total - 1_000_000, reference="FT101")
        assert db.session.get_one(Invoice, invoice_id).status is InvoiceStatus.PAID
        fee = sum(p.fee for p in payables.payments_of(K.INVOICE, invoice_id))
        # Paid straight to the co-op: it owes the platform the commission.
        assert ledger.owed_to(coop.organization_id) == -fee
        assert ledger.balance(Account.DIRECT, coop.organization_id) == total
    ledger_ok(app)


def test_a_fair_fee_paid_by_transfer_confirms_the_booth(app):
    organiser = verified_organiser(app)
    exhibitor = verified_coop(app, organization_name="HTX Gian Hàng")
    fair_id, type_id = open_fair(app, organiser)
    with app.app_context():
        from marketplace.services import fairs

        applied = fairs.apply(
            actor(exhibitor), exhibitor.organization_id, fair_id, application(type_id)
        )
        fairs.review(actor(organiser), applied.id, "accept", "", None)
        fee = db.session.get_one(FairApplication, applied.id).fee_amount
        found = payables.payable(K.FAIR_FEE, applied.id)
        assert (
            found.payer_id == exhibitor.organization_id
            and found.payee_id == organiser.organization_id
        )
        transfers.record_transfer(
            actor(organiser),
            K.FAIR_FEE,
            applied.id,
            amount=str(fee),
            paid_on=today(),
            bank_reference="BIDV 77",
        )
        application_row = db.session.get_one(FairApplication, applied.id)
        assert application_row.status.value == "confirmed" and application_row.paid_at is not None
    ledger_ok(app)


def test_bank_details_and_the_vietqr_payload(app):
    from marketplace.payments import vietqr

    buyer, coop, invoice_id, total = invoiced(app)
    with app.app_context():
        found = payables.payable(K.INVOICE, invoice_id)
        # A co-op verified before a payout account was asked for has none.
        coop_row = db.session.get_one(Organization, coop.organization_id)
        coop_row.bank_bin = coop_row.bank_account_number = coop_row.bank_account_name = None
        db.session.flush()
        assert transfers.bank_details(found) is None  # no account yet
        with pytest.raises(ValidationFailed) as exc:
            transfers.save_bank_account(
                actor(coop), coop.organization_id, bin="123456", account="12ab", holder=""
            )
        assert set(exc.value.errors) == {"bin", "account", "holder"}
        transfers.save_bank_account(
            actor(coop),
            coop.organization_id,
            bin="970436",
            account="0011 0023 45678",
            holder="HTX SAM",
        )
        details = transfers.bank_details(found)
        decoded = vietqr.decode(details["payload"])
        assert decoded == {
            "bin": "970436",
            "account": "0011002345678",
            "amount": total,
            "message": found.reference,
            "static": False,
        }
        assert payables.parse_reference(f"CK {found.reference} thanh toan") == (
            K.INVOICE,
            invoice_id,
        )
        # A mistyped digit does not name another invoice.
        wrong = found.reference.replace(str(invoice_id), str(invoice_id + 1))
        assert payables.parse_reference(wrong) is None


def test_a_bank_statement_is_matched_reviewed_and_applied_all_or_nothing(app):
    buyer, coop, invoice_id, total = invoiced(app)
    _b2, _c2, other_invoice, _t2 = invoiced(app)
    with app.app_context():
        reference = payables.transfer_reference(K.INVOICE, invoice_id)
        elsewhere = payables.transfer_reference(K.INVOICE, other_invoice)
        lines = [
            "Ngày,Số tiền,Nội dung,Số tham chiếu",
            f"{today():%d/%m/%Y},{total},CK {reference} XANH MART,FT1",
            f"{today():%d/%m/%Y},{total - 5},{reference} thieu,FT2",
            f"{today():%d/%m/%Y},500000,Tien dien thang 11,FT3",
            f"{today():%d/%m/%Y},{total},{elsewhere},FT4",
            f"{today():%d/%m/%Y},12.5,{reference},FT5",
            f"{today():%d/%m/%Y},{total},CK {reference} XANH MART,FT1",
        ]
        data = ("\n".join(lines) + "\n").encode("utf-8-sig")
        with pytest.raises(ValidationFailed):
            statements.upload(
                actor(coop),
                coop.organization_id,
                "x.csv",
                "Ngày;Số tiền\n".encode("cp1258", errors="ignore") + b"\xff\xfe",
            )
        imported = statements.upload(actor(coop), coop.organization_id, "sao-ke.csv", data)
        verdicts = [row["verdict"] for row in imported.rows]
        # The second line for the same invoice finds it matched by the first.
        assert verdicts == ["match", "paid", "unknown", "not_yours", "bad_amount", "duplicate"]
        assert db.session.get_one(Invoice, invoice_id).status is InvoiceStatus.ISSUED  # nothing yet
        assert statements.apply(actor(coop), imported.id) == 1
        assert db.session.get_one(Invoice, invoice_id).status is InvoiceStatus.PAID
        with pytest.raises(ValidationFailed):
            statements.apply(actor(coop), imported.id)
        with pytest.raises(NotFound):
            statements.review(actor(buyer), imported.id)
    ledger_ok(app)


# --- payouts and the ledger --------------------------------------------------------------------


def test_payouts_never_exceed_what_is_owed_and_the_check_command_passes(app, client):
    buyer, coop, invoice_id, total = invoiced(app)
    payment_id = start_card(app, buyer, invoice_id)
    post_event(client, intent_event("evt_payout", "payment_intent.succeeded", payment_id))
    admin = admin_actor(app)
    with app.app_context():
        owed = ledger.owed_to(coop.organization_id)
        assert owed > 0
        with pytest.raises(PermissionDenied):
            payouts.record_payout(
                actor(coop), coop.organization_id, amount="1", paid_on=today(), bank_reference="X"
            )
        with pytest.raises(ValidationFailed):
            payouts.record_payout(
                actor(admin),
                coop.organization_id,
                amount=str(owed + 1),
                paid_on=today(),
                bank_reference="X",
            )
        payouts.record_payout(
            actor(admin),
            coop.organization_id,
            amount=str(owed),
            paid_on=today(),
            bank_reference="CHI 001",
        )
        assert ledger.owed_to(coop.organization_id) == 0
        assert ledger.balance(Account.CLEARING) == total - owed  # the commission stays
    result = app.test_cli_runner().invoke(args=["ledger", "check"])
    assert result.exit_code == 0 and "the ledger balances" in result.output
    # Tampering is found: an entry that does not balance, a paid invoice without money.
    with app.app_context():
        db.session.add(
            LedgerEntry(
                transaction="payout-999",
                account=Account.CLEARING,
                organization_id=None,
                amount=5,
                memo="x",
            )
        )
        invoice = db.session.get_one(Invoice, invoice_id)
        db.session.commit()
        report = ledger.check()
        assert not report.ok and any("payout-999" in p for p in report.problems)
        del invoice
    result = app.test_cli_runner().invoke(args=["ledger", "check"])
    assert result.exit_code == 1 and "PROBLEM" in result.output


def test_statement_page_and_pay_page_for_the_parties_only(app, client):
    buyer, coop, invoice_id, _total = invoiced(app)
    with app.app_context():
        transfers.save_bank_account(
            actor(coop), coop.organization_id, bin="970418", account="31410001234567", holder="HTX"
        )
    login(client, buyer)
    page = client.get(f"/pay/invoice/{invoice_id}").get_data(as_text=True)
    assert "<svg" in page and "31410001234567" in page and "BIDV" in page
    outsider = app.test_client()
    login(outsider, verified_buyer(app, name="Bếp Khác"))
    assert outsider.get(f"/pay/invoice/{invoice_id}").status_code == 404
    assert outsider.get(f"/orgs/{coop.organization_id}/statement").status_code == 404
    seller = app.test_client()
    login(seller, coop)
    assert seller.get(f"/orgs/{coop.organization_id}/statement").status_code == 200
    with app.app_context():
        assert db.session.get_one(Organization, coop.organization_id).bank_bin == "970418"


def test_a_category_can_have_its_own_commission(app, client):
    from marketplace.models import Category

    buyer, coop, invoice_id, total = invoiced(app)
    login(client, admin_actor(app))
    with app.app_context():
        wine = db.session.scalar(select(Category).where(Category.slug == "ruou"))
        names = {"name_vi": wine.name_vi, "name_en": wine.name_en, "vat_rate": wine.vat_rate}
        wine_id = wine.id
    assert (
        client.post(f"/admin/categories/{wine_id}", data=names | {"commission": "5,5"}).status_code
        == 302
    )
    client.post(f"/admin/categories/{wine_id}", data=names | {"commission": "abc"})  # refused
    with app.app_context():
        assert db.session.get_one(Category, wine_id).commission_bps == 550
        payment = transfers.record_transfer(
            actor(coop),
            K.INVOICE,
            invoice_id,
            amount=str(total),
            paid_on=today(),
            bank_reference="FT55",
        )
        assert payment.fee == total * 550 // 10_000
    ledger_ok(app)


def test_review_regressions_of_card_payments(app, client):
    """A second click reuses the open attempt; Stripe's page paid after "cancel" still counts;
    an event naming our payment with another amount or currency is not applied."""
    buyer, coop, invoice_id, total = invoiced(app)
    first = start_card(app, buyer, invoice_id)
    again = start_card(app, buyer, invoice_id)
    assert again == first
    login(client, buyer)
    assert client.get(f"/payments/{first}/cancelled").status_code == 302
    spoof = intent_event("evt_spoof", "payment_intent.succeeded", first, "pi_spoof")
    spoof["data"]["object"] |= {"amount": 1, "currency": "usd"}
    post_event(client, spoof)
    with app.app_context():
        assert db.session.get_one(Payment, first).status is PaymentStatus.PENDING
    paid = intent_event("evt_paid_after_cancel", "payment_intent.succeeded", first)
    paid["data"]["object"] |= {"amount": total, "currency": "vnd"}
    post_event(client, paid)
    with app.app_context():
        assert db.session.get_one(Payment, first).status is PaymentStatus.SUCCEEDED
        assert db.session.get_one(Invoice, invoice_id).status is InvoiceStatus.PAID
    page = client.get(f"/pay/invoice/{invoice_id}").get_data(as_text=True)
    assert "b&#39;" not in page and "&lt;?xml" not in page
    ledger_ok(app)


def test_refunds_in_parts_give_back_the_whole_fee(app, client):
    buyer, coop, invoice_id, total = invoiced(app)
    payment_id = start_card(app, buyer, invoice_id)
    post_event(client, intent_event("evt_fee", "payment_intent.succeeded", payment_id))
    for n, amount in enumerate((1, 1, total - 2)):
        with app.app_context():
            refund_id = refunds.request_refund(actor(coop), payment_id, str(amount), "Trả lại").id
            settle()  # committed: the refund goes to Stripe
            external = db.session.scalar(
                select(ProviderReference.reference).where(ProviderReference.refund_id == refund_id)
            )
        event = {
            "id": f"evt_part_{n}",
            "type": "refund.updated",
            "data": {"object": {"id": external, "object": "refund", "status": "succeeded"}},
        }
        post_event(client, event)
    with app.app_context():
        assert db.session.get_one(Payment, payment_id).refunded_amount == total
        assert ledger.balance(Account.REVENUE) == 0
        assert ledger.owed_to(coop.organization_id) == 0
    ledger_ok(app)


def test_a_payout_is_recorded_once_per_bank_reference_and_odd_statements_are_refused(app, client):
    buyer, coop, invoice_id, _total = invoiced(app)
    payment_id = start_card(app, buyer, invoice_id)
    post_event(client, intent_event("evt_for_payout", "payment_intent.succeeded", payment_id))
    admin = admin_actor(app)
    with app.app_context():
        payouts.record_payout(
            actor(admin),
            coop.organization_id,
            amount="1.000",
            paid_on=today(),
            bank_reference="UNC-9",
        )
        with pytest.raises(ValidationFailed) as exc:
            payouts.record_payout(
                actor(admin),
                coop.organization_id,
                amount="1.000",
                paid_on=today(),
                bank_reference="UNC-9",
            )
        assert "bank_reference" in exc.value.errors
        huge = ('Ngày,Số tiền,Nội dung\n01/11/2026,1000,"' + "x" * 200_000 + '"\n').encode()
        with pytest.raises(ValidationFailed):
            statements.upload(actor(coop), coop.organization_id, "a.csv", huge)
        fine = statements.upload(
            actor(coop), coop.organization_id, "sao\x00ke.csv", "Ngày,Số tiền,Nội dung\n".encode()
        )
        assert "\x00" not in fine.filename
    ledger_ok(app)


def test_a_transfer_recorded_by_mistake_is_reversed_not_deleted(app, client):
    buyer, coop, invoice_id, total = invoiced(app)
    with app.app_context():
        payment = transfers.record_transfer(
            actor(coop),
            K.INVOICE,
            invoice_id,
            amount=str(total),
            paid_on=today(),
            bank_reference="FT-WRONG",
        )
        payment_id = payment.id
        assert db.session.get_one(Invoice, invoice_id).status is InvoiceStatus.PAID
        with pytest.raises(PermissionDenied):
            transfers.reverse_transfer(actor(buyer), payment_id, "Không phải của tôi")
        with pytest.raises(ValidationFailed):
            transfers.reverse_transfer(actor(coop), payment_id, " ")
    login(client, coop)
    response = client.post(
        f"/payments/{payment_id}/reverse", data={f"reverse-{payment_id}-reason": "Ghi nhầm hóa đơn"}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get_one(Payment, payment_id).status is PaymentStatus.REVERSED
        assert db.session.get_one(Invoice, invoice_id).status is InvoiceStatus.ISSUED
        transactions = set(
            db.session.scalars(
                select(LedgerEntry.transaction).where(LedgerEntry.payment_id == payment_id)
            )
        )
        assert transactions == {f"payment-{payment_id}", f"reversal-{payment_id}"}
        assert ledger.owed_to(coop.organization_id) == 0
        # Owed again: it can be paid (the same bank reference stays used).
        transfers.record_transfer(
            actor(coop),
            K.INVOICE,
            invoice_id,
            amount=str(total),
            paid_on=today(),
            bank_reference="FT-RIGHT",
        )
        with pytest.raises(TransitionNotAllowed):
            transfers.reverse_transfer(actor(coop), payment_id, "Lần nữa")
    ledger_ok(app)
