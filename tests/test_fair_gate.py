"""Badges and the gate at the service level: codes, staff badges per booth type, revoking,
scan results, replayed queues, the fair's days and two gates scanning one badge at once."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, select, text

from marketplace.extensions import db
from marketplace.models import AuditEntry, Badge, FairApplication, Role, Scan
from marketplace.services import fair_gate, fairs
from marketplace.services.errors import NotFound, PermissionDenied, ValidationFailed
from marketplace.vietnam import VN_TZ, today
from tests.factories import (
    actor_for,
    add_member,
    application,
    open_fair,
    settle,
    verified_coop,
    verified_organiser,
)


def confirmed_booth(app, *, paid=True, starts_in=0, organiser=None, coop=None, **fair):
    """A fair on now (from ``starts_in`` days) with one co-op's booth, paid or not.
    Returns (organiser, coop, fair id, application id, contact badge code)."""
    organiser = organiser or verified_organiser(app)
    coop = coop or verified_coop(app, organization_name="HTX Chè Shan Tuyết")
    day = today()
    fair_id, type_id = open_fair(app, organiser, booths=3, **fair)
    with app.app_context():
        applied = fairs.apply(actor_for(coop), coop.organization_id, fair_id, application(type_id))
        fairs.review(actor_for(organiser), applied.id, "accept")
        if paid:
            fairs.mark_paid(actor_for(organiser), applied.id)
        application_id = applied.id
        settle()
    with app.app_context():
        # The fair is moved onto its days (applications closed before it started).
        from marketplace.models import Fair

        record = db.session.get(Fair, fair_id)
        record.applications_open_on = day - timedelta(days=30)
        record.applications_close_on = day - timedelta(days=10)
        record.starts_on = day + timedelta(days=starts_in)
        record.ends_on = day + timedelta(days=starts_in + 2)
        code = db.session.scalar(
            select(Badge.code).where(Badge.application_id == application_id, Badge.is_contact)
        )
        settle()
    return organiser, coop, fair_id, application_id, code


def test_codes_use_the_alphabet_without_look_alikes_and_are_unique():
    codes = {fair_gate.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == fair_gate.CODE_LENGTH == 7 for c in codes)
    assert not set("".join(codes)) - set(fair_gate.CODE_ALPHABET)
    assert not set(fair_gate.CODE_ALPHABET) & set("01OIL")
    assert fair_gate.grouped("ABCDEFG") == "ABC-DEFG"


@pytest.mark.parametrize(
    ("read", "code"),
    [
        ("abc-defg", "ABCDEFG"),
        (" ABC DEFG ", "ABCDEFG"),
        ("https://chohtx.vn/fairs/3/gate/ABCDEFG", "ABCDEFG"),
        ("https://chohtx.vn/fairs/3/gate/ABCDEFG/?x=1", "ABCDEFG"),
        ("ABC-0EFG", None),  # 0 is no badge character
        ("AB", None),
        ("A" * 10_000, None),
        ("", None),
        (None, None),
        ("'; DROP TABLE fair_badges; --", None),
        ("http://[abc/ABCDEFG", "ABCDEFG"),  # not a valid URL: still its last segment
        ("https://chohtx.vn/fairs/3/gate/ABCDEFG#top", "ABCDEFG"),
    ],
)
def test_typed_and_scanned_codes_are_read(read, code):
    assert fair_gate.normalise_code(read) == code


def test_a_code_taken_meanwhile_is_drawn_again(app, monkeypatch):
    organiser, coop, fair_id, application_id, code = confirmed_booth(app)
    drawn = iter([code, code, "ZZZZZZZ"])
    monkeypatch.setattr(fair_gate, "new_code", lambda: next(drawn))
    with app.app_context():
        badge = fair_gate.add_staff_badge(
            actor_for(coop), coop.organization_id, application_id, "Lò Thị Mai"
        )
        assert badge.code == "ZZZZZZZ"
        settle()


def test_staff_badges_up_to_the_booth_type_then_revoke_frees_a_place(app):
    organiser, coop, fair_id, application_id, code = confirmed_booth(app)
    with app.app_context():
        me = actor_for(coop)
        one = fair_gate.add_staff_badge(me, coop.organization_id, application_id, "Lò Thị Mai")
        fair_gate.add_staff_badge(
            me, coop.organization_id, application_id, "Vàng A Páo", "0912 888 777"
        )
        with pytest.raises(ValidationFailed) as exc:  # the standard booth includes 2
            fair_gate.add_staff_badge(me, coop.organization_id, application_id, "Người thứ ba")
        assert "2" in str(exc.value.errors["name"])
        with pytest.raises(ValidationFailed) as exc:
            fair_gate.add_staff_badge(me, coop.organization_id, application_id, "  ", "12")
        assert set(exc.value.errors) == {"name", "phone"}
        fair_gate.update_staff_badge(me, coop.organization_id, one.id, "Lò Thị Mai Anh", "")
        fair_gate.revoke_badge(me, coop.organization_id, one.id)
        with pytest.raises(ValidationFailed):  # revoked already
            fair_gate.revoke_badge(me, coop.organization_id, one.id)
        third = fair_gate.add_staff_badge(me, coop.organization_id, application_id, "Người ba")
        view = fair_gate.badges_of_application(me, coop.organization_id, application_id)
        assert [b.name for b in view.badges][0] == "Vàng A Sính"  # the contact person first
        assert view.staff_named == 2 and view.staff_allowed == 2 and not view.can_add
        assert view.valid
        actions = set(
            db.session.scalars(
                select(AuditEntry.action).where(AuditEntry.action.like("fair.badge%"))
            )
        )
        assert actions == {"fair.badge_add", "fair.badge_update", "fair.badge_revoke"}
        contact = db.session.scalar(select(Badge).where(Badge.code == code))
        with pytest.raises(ValidationFailed):  # the contact's badge follows the application
            fair_gate.revoke_badge(me, coop.organization_id, contact.id)
        organiser_actor = actor_for(organiser)
        assert fair_gate.scan(organiser_actor, fair_id, one.code).result == "revoked"
        assert fair_gate.scan(organiser_actor, fair_id, third.code).result == "checked_in"
        settle()


def test_only_owners_and_managers_of_the_co_op_name_staff(app):
    organiser, coop, fair_id, application_id, code = confirmed_booth(app)
    staff = add_member(app, coop.organization_id, Role.STAFF)
    other = verified_coop(app, organization_name="HTX Khác")
    with app.app_context():
        with pytest.raises(PermissionDenied):
            fair_gate.add_staff_badge(actor_for(staff), coop.organization_id, application_id, "A")
        # Staff see the badges; others do not know the application exists.
        fair_gate.badges_of_application(actor_for(staff), coop.organization_id, application_id)
        with pytest.raises(NotFound):
            fair_gate.badges_of_application(actor_for(other), other.organization_id, application_id)
        with pytest.raises(NotFound):
            fair_gate.badges_of_application(
                actor_for(organiser), coop.organization_id, application_id
            )


def test_badges_are_valid_only_once_the_fee_is_paid(app):
    organiser, coop, fair_id, application_id, code = confirmed_booth(app, paid=False)
    with app.app_context():
        view = fair_gate.badges_of_application(
            actor_for(coop), coop.organization_id, application_id
        )
        assert not view.valid
        # Staff can be named while the fee is due; nobody is let in yet.
        staff = fair_gate.add_staff_badge(
            actor_for(coop), coop.organization_id, application_id, "Lò Thị Mai"
        )
        assert fair_gate.scan(actor_for(organiser), fair_id, code).result == "revoked"
        assert fair_gate.scan(actor_for(organiser), fair_id, staff.code).result == "revoked"
        assert fair_gate.sheet_of_fair(actor_for(organiser), fair_id) == []
        fairs.mark_paid(actor_for(organiser), application_id)
        assert fair_gate.scan(actor_for(organiser), fair_id, code).result == "checked_in"
        assert len(fair_gate.sheet_of_fair(actor_for(organiser), fair_id)) == 2
        settle()


def test_every_scan_result(app):
    organiser, coop, fair_id, application_id, code = confirmed_booth(app)
    other_organiser = verified_organiser(app)
    _, _, other_fair, _, other_code = confirmed_booth(
        app, organiser=other_organiser, coop=verified_coop(app, organization_name="HTX Hai")
    )
    with app.app_context():
        me = actor_for(organiser)
        first = fair_gate.scan(me, fair_id, code.lower(), device="Cổng 1")
        assert first.result == "checked_in"
        later = fair_gate.scan(me, fair_id, fair_gate.grouped(code), device="Cổng 2")
        assert later.result == "duplicate" and later.first_gate == "Cổng 1"
        assert fair_gate.scan(me, fair_id, other_code).result == "other_fair"
        assert fair_gate.scan(me, fair_id, "ZZZZZZZ").result == "unknown"
        assert fair_gate.scan(me, fair_id, "x" * 10_000).result == "unknown"
        with pytest.raises(NotFound):  # another organiser's gate
            fair_gate.scan(me, other_fair, other_code)
        with pytest.raises(PermissionDenied):
            fair_gate.scan(fair_gate.Actor.system(), fair_id, code)
        rows = list(db.session.scalars(select(Scan).where(Scan.fair_id == fair_id)))
        assert [r.result for r in rows] == [
            "checked_in",
            "duplicate",
            "other_fair",
            "unknown",
            "unknown",
        ]
        assert all(len(r.read) <= 60 for r in rows)
        # The other fair's badge is not shown to this gate.
        assert fair_gate.scan(me, fair_id, other_code).badge is None
        view = fair_gate.attendance(me, fair_id)
        assert view.present == 1 and view.people_in == 1
        assert view.exhibitors[0].people[0].gate == "Cổng 1"
        settle()


def test_a_replayed_queued_scan_returns_its_first_result(app):
    organiser, coop, fair_id, application_id, code = confirmed_booth(app)
    with app.app_context():
        me = actor_for(organiser)
        first = fair_gate.scan(me, fair_id, code, client_scan_id="phone-1-scan-7", device="A")
        again = fair_gate.scan(me, fair_id, code, client_scan_id="phone-1-scan-7", device="A")
        assert first.result == again.result == "checked_in"
        assert again.replayed and not first.replayed
        assert db.session.scalar(select(func.count()).select_from(Scan)) == 1
        assert (
            db.session.scalar(select(func.count()).where(AuditEntry.action == "fair.check_in")) == 1
        )
        settle()


def test_the_fair_days_in_vietnam_time_and_the_override(app):
    organiser, coop, fair_id, application_id, code = confirmed_booth(app, starts_in=5)
    with app.app_context():
        me = actor_for(organiser)
        assert fair_gate.scan(me, fair_id, code).result == "outside_dates"
        badge = db.session.scalar(select(Badge).where(Badge.code == code))
        assert badge.checked_in_at is None
        card = fair_gate.gate_card(me, fair_id, code)
        assert card.state == "outside_dates" and card.badge is not None
        allowed = fair_gate.scan(me, fair_id, code, allow_outside_dates=True)
        assert allowed.result == "checked_in"
        assert db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "fair.check_in_outside_dates")
        )
        settle()
    # A scan made late on the fair's last day (Vietnam time) and sent after midnight from a
    # phone's queue counts on the day it was made.
    organiser, coop, fair_id, application_id, code = confirmed_booth(app, starts_in=-3)
    with app.app_context():
        last_day = today() - timedelta(days=1)
        late = datetime.combine(last_day, time(23, 50), tzinfo=VN_TZ)
        queued = fair_gate.scan(actor_for(organiser), fair_id, code, scanned_at=late)
        assert queued.result == "checked_in"
        settle()


def test_a_scan_time_far_from_now_is_not_believed(app):
    organiser, coop, fair_id, application_id, code = confirmed_booth(app)
    with app.app_context():
        future = datetime.now(VN_TZ) + timedelta(days=400)
        outcome = fair_gate.scan(actor_for(organiser), fair_id, code, scanned_at=future)
        assert outcome.result == "checked_in"
        assert outcome.scan.scanned_at < datetime.now(VN_TZ) + timedelta(minutes=1)
        settle()


def test_attendance_csv_lists_every_person(app):
    organiser, coop, fair_id, application_id, code = confirmed_booth(app)
    with app.app_context():
        fair_gate.add_staff_badge(
            actor_for(coop), coop.organization_id, application_id, "=Lò Thị Mai"
        )
        fair_gate.scan(actor_for(organiser), fair_id, code, device="Cổng 1")
        content = fair_gate.attendance_csv(actor_for(organiser), fair_id)
        lines = content.lstrip("\ufeff").splitlines()
        assert lines[0].startswith("co-op,booth,exhibitor present")
        assert len(lines) == 3
        assert "Cổng 1" in lines[1] and fair_gate.grouped(code) in lines[1]
        assert "'=Lò Thị Mai" in lines[2]  # no formula from a name
        settle()


@pytest.mark.race
def test_two_gates_scanning_one_badge_at_once_check_it_in_once(app):
    organiser, coop, fair_id, application_id, code = confirmed_booth(app)
    barrier = threading.Barrier(2)

    def gate(i):
        with app.app_context():
            barrier.wait()
            try:
                return fair_gate.scan(
                    actor_for(organiser), fair_id, code, device=f"Cổng {i}"
                ).result
            finally:
                settle()

    def same_scan(i):
        with app.app_context():
            barrier.wait()
            try:
                return fair_gate.scan(
                    actor_for(organiser), fair_id, code, client_scan_id="queued-1"
                ).result
            finally:
                settle()

    try:
        with ThreadPoolExecutor(2) as pool:
            results = sorted(pool.map(gate, range(2)))
        assert results == ["checked_in", "duplicate"]
        with app.app_context():
            badge = db.session.scalar(select(Badge).where(Badge.code == code))
            assert db.session.get(FairApplication, application_id).checked_in_at is not None
            assert badge.checked_in_at is not None
            assert (
                db.session.scalar(select(func.count()).where(AuditEntry.action == "fair.check_in"))
                == 1
            )
        # One queued scan sent twice at once: one row, both answered with its result.
        with ThreadPoolExecutor(2) as pool:
            replays = list(pool.map(same_scan, range(2)))
        assert replays == ["duplicate", "duplicate"]
        with app.app_context():
            assert (
                db.session.scalar(select(func.count()).where(Scan.client_scan_id == "queued-1"))
                == 1
            )
    finally:
        with app.app_context():
            tables = ", ".join(t.name for t in db.metadata.sorted_tables if t.name != "categories")
            db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            db.session.commit()
            settle()
