"""A fair's booth fee through the money path (the fee invoice, its PDF and email, the
organiser's "fee received") and the organiser's dashboard."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.i18n import amount_in_words
from marketplace.models import (
    ApplicationStatus,
    Fair,
    FairApplication,
    Notification,
    OutboxMessage,
    PayableKind,
    Payment,
    Role,
    Scan,
    User,
)
from marketplace.services import fair_dashboard, fair_fees, fairs
from marketplace.services.errors import NotFound, PermissionDenied, ValidationFailed
from marketplace.services.payments.payables import paid_so_far, transfer_reference
from marketplace.vietnam import today
from tests.factories import (
    actor_for,
    add_member,
    application,
    audits,
    login,
    open_fair,
    settle,
    verified_coop,
    verified_organiser,
)
from tests.test_documents import NOT_AN_E_INVOICE, download, flat, pdf_text

pytestmark = pytest.mark.usefixtures("stripe_mock")

FEE = 2_000_000


def accepted(app, organiser=None, coop=None, booths=2):
    """(organiser, co-op, fair id, application id): a co-op accepted to a published fair."""
    organiser = organiser or verified_organiser(app)
    coop = coop or verified_coop(app, organization_name="HTX Chè Shan Tuyết")
    fair_id, type_id = open_fair(app, organiser, booths=booths)
    with app.app_context():
        applied = fairs.apply(actor_for(coop), coop.organization_id, fair_id, application(type_id))
        fairs.review(actor_for(organiser), applied.id, "accept")
        application_id = applied.id
        settle()
    return organiser, coop, fair_id, application_id


# --- the fee invoice -----------------------------------------------------------------------


def test_the_fee_document_names_both_parties_the_booth_the_fee_and_where_to_pay(app):
    organiser, coop, fair_id, app_id = accepted(app)
    with app.app_context():
        doc = fair_fees.fee_document(actor_for(coop), app_id)
        application_row = db.session.get_one(FairApplication, app_id)
        assert doc.number == f"PHGH-{fair_id}-{app_id}"
        assert doc.seller.legal_name and "Lai Châu" in doc.seller.address
        assert doc.seller.tax_code
        assert doc.buyer.name == "HTX Chè Shan Tuyết"
        assert doc.booth_type == "Tiêu chuẩn 3×3 m" and doc.booth_code == application_row.booth.code
        assert doc.fee == doc.total == FEE and doc.paid == 0 and doc.outstanding == FEE
        assert doc.total_in_words == amount_in_words(FEE, "vi")
        assert doc.due_date == application_row.fee_due_on
        assert doc.reference == transfer_reference(PayableKind.FAIR_FEE, app_id)
        assert doc.payment is not None and doc.payment.amount == FEE
        assert doc.payment.account == "106870123456"
        assert doc.payment.reference == doc.reference
        # The organiser's members read the same document; the number is stable.
        assert fair_fees.fee_document(actor_for(organiser), app_id).number == doc.number


def test_the_fee_document_is_for_the_two_parties_only_and_only_once_accepted(app):
    organiser, coop, fair_id, app_id = accepted(app)
    stranger = verified_coop(app, organization_name="HTX Khác")
    with app.app_context():
        with pytest.raises(NotFound):
            fair_fees.fee_document(actor_for(stranger), app_id)
        with pytest.raises(NotFound):
            fair_fees.fee_document(actor_for(coop), 10**9)
        type_id = db.session.get_one(Fair, fair_id).booth_types[0].id
        waiting = fairs.apply(
            actor_for(stranger), stranger.organization_id, fair_id, application(type_id)
        ).id
        settle()
    with app.app_context(), pytest.raises(NotFound):
        fair_fees.fee_document(actor_for(stranger), waiting)


def test_the_fee_invoice_pdf_shows_number_total_words_and_what_it_is_not(app, client):
    _organiser, coop, fair_id, app_id = accepted(app)
    login(client, coop)
    data = download(client, f"/fair-applications/{app_id}/fee-invoice.pdf")
    text = flat(pdf_text(data))
    number = f"PHGH-{fair_id}-{app_id}"
    assert number in text
    assert "2.000.000" in text
    assert flat(amount_in_words(FEE, "vi")) in text
    assert NOT_AN_E_INVOICE in text
    assert transfer_reference(PayableKind.FAIR_FEE, app_id) in text
    assert "Tiêu chuẩn 3×3 m" in text


def test_the_acceptance_email_carries_the_fee_invoice(app, mailbox):
    _organiser, coop, fair_id, app_id = accepted(app)
    with app.app_context():
        queued = [
            m.payload
            for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "email"))
            if any(spec["kind"] == "fair_fee" for spec in m.payload.get("attach", ()))
        ]
        assert queued and all(
            p["attach"] == [{"kind": "fair_fee", "id": app_id, "language": "vi"}] for p in queued
        )
    [message] = [m for m in mailbox.to(coop.email) if list(m.iter_attachments())]
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"PHGH-{fair_id}-{app_id}.pdf"
    text = flat(pdf_text(attachment.get_content()))
    assert f"PHGH-{fair_id}-{app_id}" in text and NOT_AN_E_INVOICE in text


# --- fee received ----------------------------------------------------------------------------


def test_fee_received_in_full_confirms_the_booth_and_is_audited(app):
    organiser, _coop, _fair_id, app_id = accepted(app)
    with app.app_context():
        payment = fair_fees.record_fee_received(
            actor_for(organiser),
            app_id,
            amount="2.000.000",
            paid_on=today(),
            bank_reference="FT2612345",
        ).id
        settle()
    with app.app_context():
        assert db.session.get_one(FairApplication, app_id).status is ApplicationStatus.CONFIRMED
        payment = db.session.get_one(Payment, payment)
        assert payment.amount == FEE and payment.bank_reference == "FT2612345"
        assert payment.payable_kind is PayableKind.FAIR_FEE and payment.payable_id == app_id
        assert audits("payment.transfer", payment.id) == 1
        assert audits("fair.fee_paid", app_id) == 1


def test_an_underpaid_fee_is_refused_unless_a_part_and_confirms_only_when_covered(app):
    organiser, _coop, _fair_id, app_id = accepted(app)
    me = lambda: actor_for(organiser)  # noqa: E731
    with app.app_context():
        with pytest.raises(ValidationFailed) as refused:
            fair_fees.record_fee_received(
                me(), app_id, amount="1500000", paid_on=today(), bank_reference="FT1"
            )
        assert "Underpaid" in str(refused.value.errors["amount"]) or refused.value.errors["amount"]
        db.session.rollback()
        fair_fees.record_fee_received(
            me(), app_id, amount="1500000", paid_on=today(), bank_reference="FT1", partial=True
        )
        settle()
    with app.app_context():
        assert db.session.get_one(FairApplication, app_id).status is ApplicationStatus.ACCEPTED
        assert paid_so_far(PayableKind.FAIR_FEE, app_id) == 1_500_000
        assert fair_fees.owed_on(app_id) == 500_000
        fair_fees.record_fee_received(
            me(), app_id, amount="500000", paid_on=today(), bank_reference="FT2"
        )
        settle()
    with app.app_context():
        assert db.session.get_one(FairApplication, app_id).status is ApplicationStatus.CONFIRMED
        assert audits("payment.transfer") >= 2


def test_an_overpaid_fee_is_named_and_not_recorded(app):
    organiser, _coop, _fair_id, app_id = accepted(app)
    with app.app_context():
        with pytest.raises(ValidationFailed) as refused:
            fair_fees.record_fee_received(
                actor_for(organiser),
                app_id,
                amount="2500000",
                paid_on=today(),
                bank_reference="FT9",
            )
        assert "amount" in refused.value.errors
        db.session.rollback()
        assert paid_so_far(PayableKind.FAIR_FEE, app_id) == 0
        assert db.session.get_one(FairApplication, app_id).status is ApplicationStatus.ACCEPTED


def test_only_the_organisers_managers_record_a_fee(app):
    organiser, coop, _fair_id, app_id = accepted(app)
    staff = add_member(app, organiser.organization_id, Role.STAFF)
    stranger = verified_coop(app, organization_name="HTX Lạ")
    with app.app_context():
        for person, error in ((staff, PermissionDenied), (coop, PermissionDenied)):
            with pytest.raises(error):
                fair_fees.record_fee_received(
                    actor_for(person), app_id, amount="2000000", paid_on=today(), bank_reference="X"
                )
            db.session.rollback()
        for person in (stranger, coop):
            with pytest.raises(NotFound):
                fair_fees.fee_to_record(actor_for(person), app_id)
        with pytest.raises(PermissionDenied):
            fair_fees.fee_to_record(actor_for(staff), app_id)
        assert fair_fees.fee_to_record(actor_for(organiser), app_id).id == app_id


# --- the dashboard ----------------------------------------------------------------------------


def test_the_dashboard_counts_states_booths_money_and_check_ins_by_vietnam_hour(app):
    organiser = verified_organiser(app)
    fair_id, type_id = open_fair(app, organiser, booths=4)
    coops = [verified_coop(app, organization_name=f"HTX Số {n}") for n in range(4)]
    with app.app_context():
        me = actor_for(organiser)
        ids = [
            fairs.apply(actor_for(c), c.organization_id, fair_id, application(type_id)).id
            for c in coops
        ]
        fairs.review(me, ids[0], "accept")
        fairs.review(me, ids[1], "accept")
        fairs.review(me, ids[2], "accept")
        fairs.review(me, ids[3], "reject", note="Không đủ điều kiện")
        fair_fees.record_fee_received(
            me, ids[0], amount="2000000", paid_on=today(), bank_reference="A1"
        )
        fair_fees.record_fee_received(
            me, ids[1], amount="500000", paid_on=today(), bank_reference="A2", partial=True
        )
        fair = db.session.get_one(Fair, fair_id)
        # 08:10 and 08:50 Vietnam time on the first day (01:10 and 01:50 UTC), 10:05 (03:05 UTC);
        # a duplicate scan is not a check-in.
        first = datetime(fair.starts_on.year, fair.starts_on.month, fair.starts_on.day, tzinfo=UTC)
        for minutes, result in ((70, "checked_in"), (110, "checked_in"), (185, "checked_in")):
            db.session.add(
                Scan(
                    fair_id=fair_id,
                    read=f"code{minutes}",
                    result=result,
                    scanned_at=first + timedelta(minutes=minutes),
                )
            )
        db.session.add(
            Scan(
                fair_id=fair_id,
                read="dup",
                result="duplicate",
                scanned_at=first + timedelta(minutes=75),
            )
        )
        # 23:30 UTC on the day before is 06:30 the first day in Vietnam.
        db.session.add(
            Scan(
                fair_id=fair_id,
                read="early",
                result="checked_in",
                scanned_at=first - timedelta(minutes=30),
            )
        )
        settle()
    with app.app_context():
        board = fair_dashboard.dashboard(actor_for(organiser), fair_id)
        states = {state.value: count for state, count in board.by_state}
        assert states["accepted"] == 2 and states["confirmed"] == 1 and states["rejected"] == 1
        assert states["submitted"] == 0 and board.applications == 4
        [booths] = board.booths
        assert (booths.total, booths.confirmed, booths.held, booths.free) == (4, 1, 2, 1)
        assert board.invoiced == 3 * FEE
        assert board.collected == FEE + 500_000
        assert board.outstanding == 1_500_000 + FEE
        assert board.check_ins_total == 4
        day = board.check_ins[0]
        assert day.day == db.session.get_one(Fair, fair_id).starts_on
        by_hour = {h.hour: h.count for h in day.hours}
        assert by_hour == {6: 1, 7: 0, 8: 2, 9: 0, 10: 1}
        assert len(board.check_ins) == 5  # every day of the fair, the same hours each
        assert all(d.total == 0 for d in board.check_ins[1:])
        numbers = fair_dashboard.key_numbers([db.session.get_one(Fair, fair_id)])[fair_id]
        assert (numbers.applications, numbers.booths, numbers.booths_confirmed) == (4, 4, 1)
        assert numbers.collected == FEE + 500_000


def test_the_dashboard_is_for_the_organisers_members_only(app):
    organiser, coop, fair_id, _app_id = accepted(app)
    with app.app_context():
        with pytest.raises(NotFound):
            fair_dashboard.dashboard(actor_for(coop), fair_id)
        assert fair_dashboard.dashboard(actor_for(organiser), fair_id).applications == 1


# --- the routes -------------------------------------------------------------------------------


def fee_form(app_id: int, **values: str) -> dict[str, str]:
    prefix = f"fee-{app_id}-"
    form = {"amount": "2000000", "paid_on": str(today()), "bank_reference": "FT-OK-1"} | values
    return {prefix + name: value for name, value in form.items()}


def test_the_fee_invoice_route_is_for_both_parties_only(app, client):
    organiser, coop, _fair_id, app_id = accepted(app)
    coop_staff = add_member(app, coop.organization_id, Role.STAFF)
    url = f"/fair-applications/{app_id}/fee-invoice.pdf"
    for person in (coop, coop_staff, organiser):
        member = app.test_client()
        login(member, person)
        assert download(member, url).startswith(b"%PDF-")
    outsider = app.test_client()
    login(outsider, verified_coop(app, organization_name="HTX Ngoài"))
    assert outsider.get(url).status_code == 404
    assert outsider.get("/fair-applications/999999/fee-invoice.pdf").status_code == 404
    assert app.test_client().get(url).status_code == 302


def test_the_pages_link_the_fee_invoice_and_the_notice_opens_the_pay_page(app, client):
    organiser, coop, _fair_id, app_id = accepted(app)
    login(client, coop)
    invoice = f"/fair-applications/{app_id}/fee-invoice.pdf"
    pay = f"/pay/fair_fee/{app_id}"
    assert invoice in client.get(f"/orgs/{coop.organization_id}/fair-applications").get_data(
        as_text=True
    )
    page = client.get(pay).get_data(as_text=True)
    assert invoice in page and "Tải hoá đơn phí (PDF)" in page
    with app.app_context():
        links = db.session.scalars(
            select(Notification.link).where(Notification.user_id == coop.id)
        ).all()
    assert pay in links
    organiser_client = app.test_client()
    login(organiser_client, organiser)
    with app.app_context():
        fair_id = db.session.get_one(FairApplication, app_id).fair_id
    manage = organiser_client.get(f"/fairs/{fair_id}/manage").get_data(as_text=True)
    assert invoice in manage and "Ghi nhận đã nhận phí" in manage
    assert f'value="{FEE}"' in manage and f"/fairs/{fair_id}/dashboard" in manage


def test_fee_received_through_the_form_confirms_the_booth(app, client):
    organiser, _coop, fair_id, app_id = accepted(app)
    login(client, organiser)
    response = client.post(f"/fair-applications/{app_id}/fee-received", data=fee_form(app_id))
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/fairs/{fair_id}/manage")
    with app.app_context():
        assert db.session.get_one(FairApplication, app_id).status is ApplicationStatus.CONFIRMED
        assert db.session.scalar(select(Payment.bank_reference)) == "FT-OK-1"
    dashboard = client.get(f"/fairs/{fair_id}/dashboard").get_data(as_text=True)
    assert "2.000.000" in dashboard and 'id="booths-sold">1/2' in dashboard


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount", "abc", None),
        ("amount", "-5", None),
        ("amount", "1" + "0" * 15, None),
        ("amount", "1500000", "Underpaid"),
        ("amount", "2500000", "Overpaid"),
        ("paid_on", "2026-13-45", None),
        ("paid_on", str(today() + timedelta(days=3)), None),
        ("bank_reference", "", None),
    ],
)
def test_bad_fee_received_input_is_answered_beside_the_field_and_kept(
    app, client, field, value, message
):
    organiser, _coop, _fair_id, app_id = accepted(app)
    login(client, organiser)
    with app.app_context():
        user = db.session.get_one(User, organiser.id)
        user.locale = "en"
        db.session.commit()
    response = client.post(
        f"/fair-applications/{app_id}/fee-received", data=fee_form(app_id, **{field: value})
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="fee-{app_id}-{field}-error"' in page or f"fee-{app_id}-{field}" in page
    assert '<details class="fee-received"' in page and " open>" in page
    if value:
        assert f'value="{value}"' in page
    if message:
        assert message in page
    with app.app_context():
        assert paid_so_far(PayableKind.FAIR_FEE, app_id) == 0


def test_only_the_organisers_managers_post_fee_received(app):
    organiser, coop, _fair_id, app_id = accepted(app)
    staff = add_member(app, organiser.organization_id, Role.STAFF)
    url = f"/fair-applications/{app_id}/fee-received"
    for person, status in ((staff, 403), (coop, 404)):
        other = app.test_client()
        login(other, person)
        assert other.post(url, data=fee_form(app_id)).status_code == status
    assert app.test_client().post(url, data=fee_form(app_id)).status_code == 302
    with app.app_context():
        assert paid_so_far(PayableKind.FAIR_FEE, app_id) == 0


def test_the_dashboard_page_draws_its_charts_with_tables_and_the_list_shows_numbers(app, client):
    organiser, coop, fair_id, app_id = accepted(app)
    login(client, organiser)
    page = client.get(f"/fairs/{fair_id}/dashboard")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Đơn đăng ký theo trạng thái" in text and "<svg" in text and "<table" in text
    assert 'id="fees-outstanding">2.000.000' in text
    assert "Chưa có ai được điểm danh" in text
    listing = client.get(f"/orgs/{organiser.organization_id}/fairs").get_data(as_text=True)
    assert "1 đơn đăng ký" in listing and f"/fairs/{fair_id}/dashboard" in listing
    for person in (coop,):
        other = app.test_client()
        login(other, person)
        assert other.get(f"/fairs/{fair_id}/dashboard").status_code == 404
    assert client.get("/fairs/999999/dashboard").status_code == 404


def test_the_review_page_of_an_accepted_application_offers_fee_received(app, client):
    organiser, _coop, _fair_id, app_id = accepted(app)
    login(client, organiser)
    page = client.get(f"/fair-applications/{app_id}").get_data(as_text=True)
    assert f'action="/fair-applications/{app_id}/fee-received"' in page
    assert f"/fair-applications/{app_id}/fee-invoice.pdf" in page
    assert f'value="{FEE}"' in page


def test_the_fee_pay_page_and_statements_lead_each_side_to_its_own_page(app, client):
    """The co-op goes back to its applications, the organiser to the application's review
    (never to the public fair page, which offers to apply again); statements link the same."""
    organiser, coop, _fair_id, app_id = accepted(app)
    with app.app_context():
        fairs.mark_paid(actor_for(organiser), app_id, "FT-LINKS-1")
        settle()
    coop_back = f'href="/orgs/{coop.organization_id}/fair-applications"'
    organiser_back = f'href="/fair-applications/{app_id}"'
    login(client, coop)
    page = client.get(f"/pay/fair_fee/{app_id}").get_data(as_text=True)
    assert coop_back in page and organiser_back not in page
    statement = client.get(f"/orgs/{coop.organization_id}/statement").get_data(as_text=True)
    assert coop_back in statement
    organiser_client = app.test_client()
    login(organiser_client, organiser)
    page = organiser_client.get(f"/pay/fair_fee/{app_id}").get_data(as_text=True)
    assert organiser_back in page and coop_back not in page
    statement = organiser_client.get(f"/orgs/{organiser.organization_id}/statement")
    assert organiser_back in statement.get_data(as_text=True)
    assert organiser_client.get(f"/fair-applications/{app_id}").status_code == 200
