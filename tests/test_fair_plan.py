"""Editing a fair and its booth types once co-ops have applied, and laying out the floor plan."""

from dataclasses import replace
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import ApplicationStatus as A
from marketplace.models import AuditEntry, Booth, Fair, Notification, User
from marketplace.models.fairs import MapFeature
from marketplace.services import fair_plan, fairs
from marketplace.services.errors import NotFound, ValidationFailed
from tests.factories import (
    actor_for,
    application,
    fair_data,
    open_fair,
    verified_coop,
    verified_organiser,
)


def _codes(fair_id: int) -> list[str]:
    return sorted(db.session.scalars(select(Booth.code).where(Booth.fair_id == fair_id)))


def _audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _notices(person) -> list[str]:
    return list(
        db.session.scalars(select(Notification.message).where(Notification.user_id == person.id))
    )


def _booth_type(fair_id: int, type_id: int, **changes) -> fairs.BoothTypeData:
    values = {
        "name": "Tiêu chuẩn 3×3 m",
        "size": "3×3 m",
        "fee": "2.000.000",
        "staff_badges": 2,
        "booths": None,
    }
    values.update(changes)
    return fairs.BoothTypeData(**values)


# --- editing ------------------------------------------------------------------------------------


def test_a_date_change_is_told_to_live_applicants_only_with_old_and_new(app, mailbox):
    organiser = verified_organiser(app)
    live, gone = verified_coop(app), verified_coop(app, organization_name="HTX Rút Đơn")
    fair_id, type_id = open_fair(app, organiser)
    with app.app_context():
        fairs.apply(actor_for(live), live.organization_id, fair_id, application(type_id))
        withdrawn = fairs.apply(
            actor_for(gone), gone.organization_id, fair_id, application(type_id)
        )
        fairs.withdraw(actor_for(gone), gone.organization_id, withdrawn.id)
        fair = db.session.get_one(Fair, fair_id)
        old_start = fair.starts_on
        data = fair_data(
            starts_on=old_start + timedelta(days=2), ends_on=fair.ends_on + timedelta(days=2)
        )
        fairs.update_fair(actor_for(organiser), fair_id, 1, data)
        assert fair.version == 2 and fair.starts_on == old_start + timedelta(days=2)
        (entry,) = _audit("fair.update")
        assert entry.details["before"]["starts_on"] == old_start.isoformat()
        assert entry.details["after"]["starts_on"] == (old_start + timedelta(days=2)).isoformat()
        assert set(entry.details["before"]) == {"starts_on", "ends_on"}
        old_day = old_start.strftime("%d/%m/%Y")
        new_day = (old_start + timedelta(days=2)).strftime("%d/%m/%Y")
        notices = _notices(live)
        assert any(f"Ngày khai mạc: {old_day} → {new_day}" in n for n in notices), notices
        assert not any("thay đổi" in n for n in _notices(gone))
        db.session.commit()
    bodies = [mailbox.body(m) for m in mailbox.to(live.email)]
    assert any(f"{old_day} → {new_day}" in b for b in bodies)
    assert not any("thay đổi:" in m["Subject"] for m in mailbox.to(gone.email))


def test_a_change_of_description_is_audited_but_told_to_nobody(app):
    organiser = verified_organiser(app)
    coop = verified_coop(app)
    fair_id, type_id = open_fair(app, organiser)
    with app.app_context():
        fairs.apply(actor_for(coop), coop.organization_id, fair_id, application(type_id))
        before = len(_notices(coop))
        fairs.update_fair(
            actor_for(organiser), fair_id, 1, fair_data(description_vi="Thêm khu ẩm thực")
        )
        assert len(_notices(coop)) == before
        (entry,) = _audit("fair.update")
        assert entry.details["after"] == {"description_vi": "Thêm khu ẩm thực"}


def test_a_stale_form_a_cancelled_fair_and_bad_dates_are_refused(app):
    organiser = verified_organiser(app)
    other = verified_organiser(app)
    fair_id, type_id = open_fair(app, organiser)
    with app.app_context():
        me = actor_for(organiser)
        fairs.update_fair(me, fair_id, 1, fair_data(venue="Nhà văn hóa"))
        with pytest.raises(ValidationFailed) as exc:  # opened before the change above
            fairs.update_fair(me, fair_id, 1, fair_data(venue="Sân vận động"))
        assert "thay đổi" in str(exc.value.errors["changed"])
        with pytest.raises(ValidationFailed) as exc:
            fairs.update_booth_type(me, type_id, 1, _booth_type(fair_id, type_id))
        assert "changed" in exc.value.errors
        day = db.session.get_one(Fair, fair_id).starts_on
        with pytest.raises(ValidationFailed) as exc:  # creation's checks
            fairs.update_fair(me, fair_id, 2, fair_data(applications_close_on=day))
        assert "applications_close_on" in exc.value.errors
        with pytest.raises(NotFound):
            fairs.update_fair(actor_for(other), fair_id, 2, fair_data())
        fairs.cancel_fair(me, fair_id, "Mưa bão")
        with pytest.raises(ValidationFailed) as exc:
            fairs.update_fair(me, fair_id, 2, fair_data(venue="Sân vận động"))
        assert "đã bị hủy" in str(exc.value.errors["status"])
        with pytest.raises(ValidationFailed):
            fairs.update_booth_type(me, type_id, 2, _booth_type(fair_id, type_id, name="X"))
        assert db.session.get_one(Fair, fair_id).venue == "Nhà văn hóa"


def test_an_eligibility_change_warns_with_the_count_and_keeps_applications(app):
    organiser = verified_organiser(app)
    coop = verified_coop(app)
    fair_id, type_id = open_fair(app, organiser)
    with app.app_context():
        applied = fairs.apply(actor_for(coop), coop.organization_id, fair_id, application(type_id))
        db.session.commit()
        data = fair_data(eligible_provinces=["Hà Nội"])
        with pytest.raises(ValidationFailed) as exc:
            fairs.update_fair(actor_for(organiser), fair_id, 1, data)
        assert str(exc.value.errors["confirm_exclusion"]).startswith("1 HTX")
        db.session.rollback()
        fairs.update_fair(actor_for(organiser), fair_id, 1, data, confirm_exclusion=True)
        db.session.refresh(applied)
        assert applied.status is A.SUBMITTED
        assert any("Hà Nội" in n and "mọi tỉnh, thành" in n for n in _notices(coop))


def test_a_fee_change_keeps_invoiced_fees_and_tells_the_types_applicants(app, mailbox):
    organiser = verified_organiser(app)
    accepted, waiting = verified_coop(app), verified_coop(app, organization_name="HTX Chờ Xét")
    fair_id, type_id = open_fair(app, organiser, booths=3)
    with app.app_context():
        me = actor_for(organiser)
        a1 = fairs.apply(
            actor_for(accepted), accepted.organization_id, fair_id, application(type_id)
        )
        fairs.review(me, a1.id, "accept")
        fairs.apply(actor_for(waiting), waiting.organization_id, fair_id, application(type_id))
        fairs.update_booth_type(
            me, type_id, 1, _booth_type(fair_id, type_id, fee="2.500.000", staff_badges=4)
        )
        db.session.refresh(a1)
        assert a1.fee_amount == 2_000_000
        booth_type = a1.booth_type
        assert booth_type.fee == 2_500_000 and booth_type.staff_badges == 4
        for person in (accepted, waiting):
            assert any("2.000.000\xa0₫ → 2.500.000\xa0₫" in n for n in _notices(person)), _notices(
                person
            )
        (entry,) = _audit("fair.booth_type_update")
        assert entry.details["before"] == {"fee": 2_000_000, "staff_badges": 2}
        assert entry.details["after"] == {"fee": 2_500_000, "staff_badges": 4}
        # Only the fee is told: a new name is not.
        before = len(_notices(waiting))
        fairs.update_booth_type(
            me, type_id, 2, _booth_type(fair_id, type_id, fee="2.500.000", name="Chuẩn")
        )
        assert len(_notices(waiting)) == before
        db.session.commit()
    bodies = [mailbox.body(m) for m in mailbox.to(waiting.email)]
    assert any("không thay đổi" in b and "2.500.000\xa0₫" in b for b in bodies)
    with app.app_context():
        english = db.session.get_one(User, accepted.id)
        english.locale = "en"
        db.session.commit()
        fairs.update_booth_type(
            actor_for(organiser), type_id, 3, _booth_type(fair_id, type_id, fee="3.000.000")
        )
        assert any(
            "has changed" in n and "2.500.000\xa0₫ → 3.000.000\xa0₫" in n
            for n in _notices(accepted)
        )


def test_a_booth_type_never_shrinks_below_its_taken_booths(app):
    organiser = verified_organiser(app)
    one, two = verified_coop(app), verified_coop(app, organization_name="HTX Hai")
    fair_id, type_id = open_fair(app, organiser, booths=4)
    with app.app_context():
        me = actor_for(organiser)
        for coop in (one, two):
            applied = fairs.apply(
                actor_for(coop), coop.organization_id, fair_id, application(type_id)
            )
            fairs.review(me, applied.id, "accept")
        with pytest.raises(ValidationFailed) as exc:
            fairs.update_booth_type(me, type_id, 1, _booth_type(fair_id, type_id, booths=1))
        assert str(exc.value.errors["booths"]).startswith("2 gian")
        assert _codes(fair_id) == ["A01", "A02", "A03", "A04"]
        fairs.update_booth_type(me, type_id, 1, _booth_type(fair_id, type_id, booths=2))
        assert _codes(fair_id) == ["A01", "A02"]
        fairs.update_booth_type(me, type_id, 2, _booth_type(fair_id, type_id, booths=4))
        assert _codes(fair_id) == ["A01", "A02", "A03", "A04"]
        with pytest.raises(ValidationFailed) as exc:
            fairs.update_booth_type(me, type_id, 3, _booth_type(fair_id, type_id, staff_badges=21))
        assert "staff_badges" in exc.value.errors


# --- the floor plan -----------------------------------------------------------------------------


def _draft(app, organiser) -> tuple[int, int]:
    with app.app_context():
        me = actor_for(organiser)
        fair = fairs.create_fair(me, organiser.organization_id, fair_data())
        booth_type = fairs.add_booth_type(me, fair.id, name="Tiêu chuẩn", size="3×3", fee="1000")
        return fair.id, booth_type.id


def test_blocks_are_numbered_by_letter_and_double_booths_take_two_cells(app):
    organiser = verified_organiser(app)
    fair_id, type_id = _draft(app, organiser)
    with app.app_context():
        me = actor_for(organiser)
        fair_plan.set_grid(me, fair_id, rows=10, cols=12)
        block = fair_plan.add_block(
            me, fair_id, booth_type_id=type_id, row=0, col=0, rows=2, cols=3
        )
        assert [b.code for b in block] == ["A01", "A02", "A03", "A04", "A05", "A06"]
        assert (block[3].row, block[3].col) == (1, 0)
        doubles = fair_plan.add_block(
            me, fair_id, booth_type_id=type_id, row=4, col=0, rows=1, cols=3, size_kind="double"
        )
        assert [(b.code, b.col, b.width) for b in doubles] == [
            ("B01", 0, 2),
            ("B02", 2, 2),
            ("B03", 4, 2),
        ]
        more = fair_plan.add_block(
            me, fair_id, booth_type_id=type_id, row=2, col=0, rows=1, cols=2, letter="a"
        )
        assert [b.code for b in more] == ["A07", "A08"]  # A01–A06 keep their codes
        # Removing a free booth renumbers only its block, in reading order.
        a02 = next(b for b in block if b.code == "A02")
        fair_plan.remove_item(me, fair_id, f"booth-{a02.id}")
        assert _codes(fair_id) == [*(f"A0{n}" for n in range(1, 8)), "B01", "B02", "B03"]
        plan = fair_plan.floor_plan(db.session.get_one(Fair, fair_id))
        assert (plan.rows, plan.cols, plan.sized) == (10, 12, True)


def test_overlaps_and_outside_the_grid_are_refused_by_name_and_nothing_is_saved(app):
    organiser = verified_organiser(app)
    fair_id, type_id = _draft(app, organiser)
    with app.app_context():
        me = actor_for(organiser)
        fair_plan.set_grid(me, fair_id, rows=8, cols=8)
        fair_plan.add_feature(me, fair_id, kind="stage", row=0, col=2, width=3, height=2)
        db.session.commit()
        with pytest.raises(ValidationFailed) as exc:
            fair_plan.add_block(me, fair_id, booth_type_id=type_id, row=0, col=0, rows=1, cols=4)
        assert str(exc.value.errors["plan"]) == "A03 chồng lên sân khấu."
        db.session.rollback()
        assert _codes(fair_id) == []
        fair_plan.add_block(me, fair_id, booth_type_id=type_id, row=3, col=0, rows=1, cols=4)
        db.session.commit()
        with pytest.raises(ValidationFailed) as exc:
            fair_plan.add_feature(me, fair_id, kind="aisle", row=2, col=1, width=1, height=3)
        assert str(exc.value.errors["plan"]) == "lối đi chồng lên A02."
        db.session.rollback()
        with pytest.raises(ValidationFailed) as exc:
            fair_plan.add_block(
                me, fair_id, booth_type_id=type_id, row=5, col=6, rows=1, cols=2, size_kind="double"
            )
        assert str(exc.value.errors["plan"]) == "B02 sẽ nằm ngoài lưới (8 hàng × 8 cột)."
        db.session.rollback()
        with pytest.raises(ValidationFailed) as exc:  # a smaller grid would cut A04 off
            fair_plan.set_grid(me, fair_id, rows=8, cols=3)
        assert "A04" in str(exc.value.errors["plan"])
        db.session.rollback()
        with pytest.raises(ValidationFailed) as exc:
            fair_plan.add_block(
                me,
                fair_id,
                booth_type_id=type_id,
                row=None,
                col=-1,
                rows=0,
                cols=99,
                size_kind="huge",
                letter="ÂB",
            )
        assert set(exc.value.errors) == {"row", "col", "rows", "cols", "size_kind", "letter"}
        db.session.rollback()
        assert _codes(fair_id) == ["A01", "A02", "A03", "A04"]
        kinds = db.session.scalars(select(MapFeature.kind).where(MapFeature.fair_id == fair_id))
        assert sorted(kinds) == ["hall", "stage"]


def test_a_held_booth_cannot_be_removed_and_keeps_its_block_numbers(app):
    organiser = verified_organiser(app)
    coop = verified_coop(app)
    fair_id, type_id = open_fair(app, organiser, booths=3)
    with app.app_context():
        me = actor_for(organiser)
        applied = fairs.apply(actor_for(coop), coop.organization_id, fair_id, application(type_id))
        fairs.review(me, applied.id, "accept")
        db.session.commit()
        held = applied.booth
        with pytest.raises(ValidationFailed) as exc:
            fair_plan.remove_item(me, fair_id, f"booth-{held.id}")
        assert "A01" in str(exc.value.errors["plan"])
        with pytest.raises(ValidationFailed):
            fair_plan.remove_item(me, fair_id, "block-A")
        db.session.rollback()
        a02 = db.session.scalar(select(Booth).where(Booth.fair_id == fair_id, Booth.code == "A02"))
        fair_plan.remove_item(me, fair_id, f"booth-{a02.id}")
        assert _codes(fair_id) == ["A01", "A03"]  # A01 is held: the block keeps its codes
        with pytest.raises(NotFound):
            fair_plan.remove_item(me, fair_id, "booth-999999")
        with pytest.raises(NotFound):
            fair_plan.remove_item(me, fair_id, "nonsense")
        (entry,) = _audit("fair.plan_remove")
        assert entry.details["booths"] == ["A02"]


def test_the_drawing_names_each_booth_for_screen_readers(app):
    organiser = verified_organiser(app)
    fair_id, type_id = _draft(app, organiser)
    with app.app_context():
        me = actor_for(organiser)
        fair_plan.add_block(
            me, fair_id, booth_type_id=type_id, row=0, col=0, rows=1, cols=1, size_kind="corner"
        )
        fair_plan.add_feature(me, fair_id, kind="entrance", row=2, col=0, width=2, height=1)
        drawing = fair_plan.drawing(db.session.get_one(Fair, fair_id))
        (booth,) = drawing.booths
        assert booth.label == "Gian A01, góc, loại Tiêu chuẩn, còn trống"
        assert drawing.feature_kinds == ["entrance"] and drawing.size_kinds == ["corner"]
        assert replace(booth, state="taken", owner="HTX Sâm").label.endswith("đã có chủ, HTX Sâm")
        with force_locale("en"):
            assert booth.label == "Booth A01, corner, type Tiêu chuẩn, available"


def test_moving_the_days_after_badges_were_issued_needs_a_tick_and_asks_for_a_reprint(app, mailbox):
    """Badges carry the fair's days: moving them is refused until confirmed (nothing saved),
    then the exhibitors are told to print their badges again; the codes stay."""
    from marketplace.models import Badge
    from tests.factories import settle

    organiser = verified_organiser(app)
    coop = verified_coop(app)
    fair_id, type_id = open_fair(app, organiser)
    with app.app_context():
        applied = fairs.apply(actor_for(coop), coop.organization_id, fair_id, application(type_id))
        fairs.review(actor_for(organiser), applied.id, "accept")
        db.session.commit()
        [badge] = db.session.scalars(select(Badge).where(Badge.fair_id == fair_id)).all()
        code = badge.code
        fair = db.session.get_one(Fair, fair_id)
        old_start, old_end = fair.starts_on, fair.ends_on
        moved = fair_data(
            starts_on=old_start + timedelta(days=7), ends_on=old_end + timedelta(days=7)
        )
        with pytest.raises(ValidationFailed) as refused:
            fairs.update_fair(actor_for(organiser), fair_id, 1, moved)
        assert str(refused.value.errors["confirm_badges"]).startswith("1 thẻ ra vào")
        db.session.rollback()
        assert db.session.get_one(Fair, fair_id).starts_on == old_start
        # Another change than the days needs no tick.
        fairs.update_fair(actor_for(organiser), fair_id, 1, fair_data(venue="Nhà thi đấu"))
        fairs.update_fair(actor_for(organiser), fair_id, 2, moved, confirm_badges=True)
        assert db.session.get_one(Fair, fair_id).starts_on == old_start + timedelta(days=7)
        assert db.session.get_one(Badge, badge.id).code == code
        settle()
    [told] = [m for m in mailbox.to(coop.email) if "thay đổi" in m["Subject"]]
    assert "in lại" in mailbox.body(told)
