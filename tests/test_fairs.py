"""Trade fairs at the service level: building a fair, applications, booths, fees, check-in."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import ApplicationStatus as A
from marketplace.models import Badge, Booth, FairApplication, FairStatus, User
from marketplace.services import fair_gate, fairs
from marketplace.services.errors import NotFound, ValidationFailed
from marketplace.services.fairs import ApplicationTransitionNotAllowed
from marketplace.vietnam import today
from tests.factories import (
    actor_for,
    application,
    fair_data,
    make_person,
    open_fair,
    verified_coop,
    verified_organiser,
)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ends_on": today() + timedelta(days=20)}, "ends_on"),
        ({"applications_close_on": today() + timedelta(days=31)}, "applications_close_on"),
        ({"province": "Atlantis"}, "province"),
        ({"name_vi": " "}, "name_vi"),
        ({"payment_days": 0}, "payment_days"),
    ],
)
def test_bad_fair_dates_and_fields(app, overrides, field):
    organiser = verified_organiser(app)
    with app.app_context():
        with pytest.raises(ValidationFailed) as exc:
            fairs.create_fair(
                actor_for(organiser), organiser.organization_id, fair_data(**overrides)
            )
        assert field in exc.value.errors


def test_only_organisers_build_fairs_and_a_fair_needs_booths(app):
    organiser = verified_organiser(app)
    coop = verified_coop(app)
    other_organiser = verified_organiser(app)
    with app.app_context():
        with pytest.raises(NotFound):
            fairs.create_fair(actor_for(coop), coop.organization_id, fair_data())
        fair = fairs.create_fair(actor_for(organiser), organiser.organization_id, fair_data())
        with pytest.raises(ValidationFailed) as exc:
            fairs.publish_fair(actor_for(organiser), fair.id)
        assert "ít nhất một" in str(exc.value.errors["status"])
        with pytest.raises(NotFound):
            fairs.own_fair(actor_for(other_organiser), fair.id)
        booth_type = fairs.add_booth_type(
            actor_for(organiser), fair.id, name="Góc", size="3×6 m", fee="4.500.000"
        )
        fairs.add_booth_row(
            actor_for(organiser), fair.id, letter="a", count=3, booth_type_id=booth_type.id
        )
        with pytest.raises(ValidationFailed) as exc:
            fairs.add_booth_row(
                actor_for(organiser), fair.id, letter="A", count=2, booth_type_id=booth_type.id
            )
        assert "letter" in exc.value.errors
        codes = sorted(db.session.scalars(select(Booth.code).where(Booth.fair_id == fair.id)))
        assert codes == ["A01", "A02", "A03"]
        fairs.publish_fair(actor_for(organiser), fair.id)
        assert fair.status is FairStatus.PUBLISHED


def test_apply_accept_pay_check_in(app, mailbox):
    organiser = verified_organiser(app)
    coop = verified_coop(app)
    fair_id, type_id = open_fair(app, organiser)
    with app.app_context():
        me = actor_for(coop)
        applied = fairs.apply(me, coop.organization_id, fair_id, application(type_id))
        assert applied.status is A.SUBMITTED
        with pytest.raises(ValidationFailed) as exc:
            fairs.apply(me, coop.organization_id, fair_id, application(type_id))
        assert "đã đăng ký" in str(exc.value.errors["status"])
        fairs.update_application(
            me, coop.organization_id, applied.id, application(type_id, needs="Thêm 1 bàn")
        )
        with pytest.raises(NotFound):  # the co-op is not a member of the organiser
            fairs.review(me, applied.id, "accept")
        accepted = fairs.review(actor_for(organiser), applied.id, "accept")
        assert accepted.status is A.ACCEPTED and accepted.booth.code == "A01"
        assert accepted.fee_amount == 2_000_000 and accepted.fee_due_on == today() + timedelta(
            days=7
        )
        with pytest.raises(ValidationFailed):
            fairs.update_application(me, coop.organization_id, applied.id, application(type_id))
        # The contact person's badge comes with the booth; it opens the gate once paid.
        badge = db.session.scalar(select(Badge).where(Badge.application_id == applied.id))
        assert badge.is_contact and badge.name == "Vàng A Sính"
        unpaid = fair_gate.scan(actor_for(organiser), fair_id, badge.code, allow_outside_dates=True)
        assert unpaid.result == "revoked" and badge.checked_in_at is None
        fairs.mark_paid(actor_for(organiser), applied.id)
        assert accepted.status is A.CONFIRMED
        first = fair_gate.scan(actor_for(organiser), fair_id, badge.code, allow_outside_dates=True)
        assert first.result == "checked_in"
        again = fair_gate.scan(
            actor_for(organiser), fair_id, f"http://x/fairs/{fair_id}/gate/{badge.code}"
        )
        assert again.result == "duplicate"
        assert fair_gate.scan(actor_for(organiser), fair_id, "forged-code").result == "unknown"
        assert fairs.arrivals(actor_for(organiser), fair_id) == (1, 1)
    subjects = [m["Subject"] for m in mailbox.to(coop.email)]
    assert any("đã được giữ" in s for s in subjects) and any(
        "đã được xác nhận" in s for s in subjects
    )


def test_unverified_or_ineligible_co_ops_cannot_apply(app):
    organiser = verified_organiser(app)
    unverified = make_person(app)
    coop = verified_coop(app)
    fair_id, type_id = open_fair(app, organiser, only_ocop=True)
    closed_id, closed_type = open_fair(
        app,
        organiser,
        applications_open_on=today() - timedelta(days=10),
        applications_close_on=today() - timedelta(days=1),
    )
    with app.app_context():
        with pytest.raises(ValidationFailed) as exc:
            fairs.apply(
                actor_for(unverified), unverified.organization_id, fair_id, application(type_id)
            )
        assert "xác minh" in str(exc.value.errors["status"])
        with pytest.raises(ValidationFailed) as exc:
            fairs.apply(actor_for(coop), coop.organization_id, fair_id, application(type_id))
        assert "OCOP" in str(exc.value.errors["status"])
        with pytest.raises(ValidationFailed) as exc:
            fairs.apply(actor_for(coop), coop.organization_id, closed_id, application(closed_type))
        assert "từ" in str(exc.value.errors["status"])


def test_full_fair_offers_the_waitlist_and_an_expired_hold_goes_to_it(app, mailbox):
    organiser = verified_organiser(app)
    first, second = verified_coop(app), verified_coop(app, organization_name="HTX Thứ Hai")
    fair_id, type_id = open_fair(app, organiser, booths=1)
    with app.app_context():
        a1 = fairs.apply(actor_for(first), first.organization_id, fair_id, application(type_id))
        fairs.review(actor_for(organiser), a1.id, "accept")
        with pytest.raises(ValidationFailed) as exc:
            fairs.apply(actor_for(second), second.organization_id, fair_id, application(type_id))
        assert "danh sách chờ" in str(exc.value.errors["booth_type_id"])
        a2 = fairs.apply(
            actor_for(second),
            second.organization_id,
            fair_id,
            application(type_id, join_waitlist=True),
        )
        assert a2.status is A.WAITLISTED
        # Nothing happens before the due date...
        assert fairs.expire_overdue(fair_id, on=a1.fee_due_on) == []
        # ...the day after, the hold expires and the booth goes to the waitlist.
        expired = fairs.expire_overdue(fair_id, on=a1.fee_due_on + timedelta(days=1))
        assert [e.id for e in expired] == [a1.id]
        db.session.refresh(a2)
        assert a1.status is A.EXPIRED and a1.booth_id is None
        assert a2.status is A.ACCEPTED and a2.booth.code == "A01"
    assert any("đã hết hạn" in m["Subject"] for m in mailbox.to(first.email))


def test_cancelling_a_booth_follows_the_refund_rule_and_frees_it(app):
    organiser = verified_organiser(app)
    coop = verified_coop(app)
    fair_id, type_id = open_fair(app, organiser)
    with app.app_context():
        applied = fairs.apply(actor_for(coop), coop.organization_id, fair_id, application(type_id))
        fairs.review(actor_for(organiser), applied.id, "accept")
        fairs.mark_paid(actor_for(organiser), applied.id)
        assert fairs.refund_for(applied, today()) == 2_000_000
        assert fairs.refund_for(applied, applied.fair.full_refund_until + timedelta(days=1)) == 0
        fairs.cancel_booth(actor_for(coop), coop.organization_id, applied.id)
        assert applied.status is A.CANCELLED and applied.refund_amount == 2_000_000
        assert len(fairs.free_booths(applied.fair, type_id)) == 2
        with pytest.raises(ApplicationTransitionNotAllowed):
            fairs.cancel_booth(actor_for(coop), coop.organization_id, applied.id)


def test_organiser_cancels_the_fair_and_everyone_is_told(app, mailbox):
    organiser = verified_organiser(app)
    coop = verified_coop(app)
    fair_id, type_id = open_fair(app, organiser)
    with app.app_context():
        applied = fairs.apply(actor_for(coop), coop.organization_id, fair_id, application(type_id))
        fairs.review(actor_for(organiser), applied.id, "accept")
        fairs.mark_paid(actor_for(organiser), applied.id)
        with pytest.raises(ValidationFailed):
            fairs.cancel_fair(actor_for(organiser), fair_id, "")
        fair = fairs.cancel_fair(actor_for(organiser), fair_id, "Mưa bão")
        assert fair.status is FairStatus.CANCELLED
        assert applied.status is A.CANCELLED and applied.refund_amount == 2_000_000
    assert any("bị hủy" in m["Subject"] for m in mailbox.to(coop.email))


def test_reject_needs_a_reason_and_another_organiser_gets_404(app):
    organiser = verified_organiser(app)
    stranger = verified_organiser(app)
    coop = verified_coop(app)
    fair_id, type_id = open_fair(app, organiser)
    with app.app_context():
        applied = fairs.apply(actor_for(coop), coop.organization_id, fair_id, application(type_id))
        with pytest.raises(ValidationFailed):
            fairs.review(actor_for(organiser), applied.id, "reject", "")
        with pytest.raises(NotFound):
            fairs.review(actor_for(stranger), applied.id, "accept")
        fairs.review(actor_for(organiser), applied.id, "reject", "Không đúng nhóm hàng")
        assert applied.status is A.REJECTED
        count = db.session.scalar(select(func.count()).select_from(FairApplication))
        assert count == 1


def test_new_booths_go_to_the_waitlist_first_but_not_after_the_fair_starts(app):
    organiser = verified_organiser(app)
    first, second = verified_coop(app), verified_coop(app, organization_name="HTX Chờ")
    fair_id, type_id = open_fair(app, organiser, booths=1)
    with app.app_context():
        a1 = fairs.apply(actor_for(first), first.organization_id, fair_id, application(type_id))
        fairs.review(actor_for(organiser), a1.id, "accept")
        a2 = fairs.apply(
            actor_for(second),
            second.organization_id,
            fair_id,
            application(type_id, join_waitlist=True),
        )
        fairs.add_booth_row(
            actor_for(organiser), fair_id, letter="B", count=1, booth_type_id=type_id
        )
        db.session.refresh(a2)
        assert a2.status is A.ACCEPTED and a2.booth.code == "B01"
        # Once the fair has started, a freed booth is not offered any more.
        fair = a1.fair
        fairs.cancel_booth(actor_for(second), second.organization_id, a2.id)
        third = verified_coop(app, organization_name="HTX Muộn")
        a3 = fairs.apply(actor_for(third), third.organization_id, fair_id, application(type_id))
        fairs.review(actor_for(organiser), a3.id, "waitlist")
        fair.starts_on = today()
        db.session.commit()
        assert fairs._promote_waitlist(fair, type_id) is None


def test_fair_emails_use_the_readers_language_for_the_fair_name(app, mailbox):
    organiser = verified_organiser(app)
    coop = verified_coop(app)
    with app.app_context():
        user = db.session.get_one(User, coop.id)
        user.locale = "en"
        db.session.commit()
    fair_id, type_id = open_fair(app, organiser, name_en="Lai Chau OCOP Fair 2026")
    with app.app_context():
        applied = fairs.apply(actor_for(coop), coop.organization_id, fair_id, application(type_id))
        fairs.review(actor_for(organiser), applied.id, "accept")
    message = mailbox.to(coop.email)[-1]
    assert "Lai Chau OCOP Fair 2026" in message["Subject"]
    # The acceptance email carries the fee invoice: its text is the plain part.
    assert "Lai Chau OCOP Fair 2026" in mailbox.body(message.get_body(("plain",)))
    organiser_mail = mailbox.to(organiser.email)[-1]
    assert "Hội chợ OCOP Lai Châu 2026" in organiser_mail["Subject"]
