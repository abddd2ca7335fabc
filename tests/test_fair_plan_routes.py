"""Request tests for editing a fair and its booth types and for the floor plan's pages."""

import re

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Booth, Fair, FairApplication, Role
from marketplace.services import fairs
from marketplace.vietnam import province_name, resolve_province
from tests.factories import (
    actor_for,
    add_member,
    application,
    fair_data,
    login,
    open_fair,
    verified_coop,
    verified_organiser,
)


def _fair_form(fair: Fair, **changes: str) -> dict[str, str]:
    form = {
        "version": str(fair.version),
        "name_vi": fair.name_vi,
        "venue": fair.venue,
        "province": province_name(fair.province_code),
        "starts_on": fair.starts_on.isoformat(),
        "ends_on": fair.ends_on.isoformat(),
        "applications_open_on": fair.applications_open_on.isoformat(),
        "applications_close_on": fair.applications_close_on.isoformat(),
        "payment_days": str(fair.payment_days),
        "full_refund_until": fair.full_refund_until.isoformat(),
    }
    return form | changes


def _fair(app, fair_id: int) -> Fair:
    with app.app_context():
        fair = db.session.get_one(Fair, fair_id)
        db.session.expunge(fair)
        return fair


def test_the_fair_edit_form_is_prefilled_and_a_stale_one_keeps_the_typing(app, client):
    organiser = verified_organiser(app)
    fair_id, _type_id = open_fair(app, organiser)
    login(client, organiser)
    manage = client.get(f"/fairs/{fair_id}/manage").get_data(as_text=True)
    assert f'href="/fairs/{fair_id}/edit"' in manage and "Sửa hội chợ" in manage
    assert "Sửa loại gian hàng" in manage and f'href="/fairs/{fair_id}/plan"' in manage
    page = client.get(f"/fairs/{fair_id}/edit").get_data(as_text=True)
    assert 'value="Quảng trường Nhân dân"' in page and 'value="Lai Châu"' in page
    assert 'name="version" type="hidden" value="1"' in page
    fair = _fair(app, fair_id)
    saved = client.post(f"/fairs/{fair_id}/edit", data=_fair_form(fair, venue="Nhà văn hóa"))
    assert saved.status_code == 302
    stale = client.post(f"/fairs/{fair_id}/edit", data=_fair_form(fair, venue="Sân vận động"))
    assert stale.status_code == 422
    text = stale.get_data(as_text=True)
    assert "vừa được người khác thay đổi" in text and 'value="Sân vận động"' in text
    assert 'name="version" type="hidden" value="2"' in text  # saving again goes through
    assert _fair(app, fair_id).venue == "Nhà văn hóa"


def test_narrowing_who_may_apply_asks_for_a_tick_with_the_count(app, client):
    organiser = verified_organiser(app)
    coop = verified_coop(app)
    fair_id, type_id = open_fair(app, organiser)
    with app.app_context():
        fairs.apply(actor_for(coop), coop.organization_id, fair_id, application(type_id))
        db.session.commit()
    login(client, organiser)
    form = _fair_form(_fair(app, fair_id), eligible_provinces="Hà Nội")
    warned = client.post(f"/fairs/{fair_id}/edit", data=form)
    assert warned.status_code == 422
    text = warned.get_data(as_text=True)
    assert "1 HTX đã đăng ký sẽ không còn đủ điều kiện" in text
    assert 'name="confirm_exclusion"' in text and 'value="Hà Nội"' in text
    assert (
        client.post(f"/fairs/{fair_id}/edit", data=form | {"confirm_exclusion": "y"}).status_code
        == 302
    )
    with app.app_context():
        assert db.session.get_one(Fair, fair_id).eligible_provinces == resolve_province("Hà Nội")
        assert db.session.scalar(select(FairApplication.status)).value == "submitted"


def test_booth_type_edit_refuses_shrinking_below_taken_booths_by_count(app, client):
    organiser = verified_organiser(app)
    coop = verified_coop(app)
    fair_id, type_id = open_fair(app, organiser, booths=3)
    with app.app_context():
        applied = fairs.apply(actor_for(coop), coop.organization_id, fair_id, application(type_id))
        fairs.review(actor_for(organiser), applied.id, "accept")
        db.session.commit()
    login(client, organiser)
    page = client.get(f"/booth-types/{type_id}/edit").get_data(as_text=True)
    assert 'value="2.000.000"' in page and 'name="booths"' in page and 'value="3"' in page
    assert "không thay đổi" in page  # invoiced fees stay, said on the form
    form = {
        "version": "1",
        "name": "Tiêu chuẩn 3×3 m",
        "size": "3×3 m",
        "fee": "2.000.000",
        "staff_badges": "3",
        "booths": "0",
    }
    refused = client.post(f"/booth-types/{type_id}/edit", data=form)
    assert refused.status_code == 422
    assert "1 gian loại này đang được HTX giữ chỗ" in refused.get_data(as_text=True)
    assert (
        client.post(f"/booth-types/{type_id}/edit", data=form | {"booths": "1"}).status_code == 302
    )
    with app.app_context():
        codes = db.session.scalars(select(Booth.code).where(Booth.fair_id == fair_id)).all()
        assert codes == ["A01"]
    for odd in ("-1", "abc", "99999999999999999999", "21"):
        response = client.post(f"/booth-types/{type_id}/edit", data=form | {"staff_badges": odd})
        assert response.status_code == 422


def test_organiser_staff_and_others_cannot_edit_or_lay_out(app, client):
    organiser = verified_organiser(app)
    staff = add_member(app, organiser.organization_id, Role.STAFF)
    fair_id, type_id = open_fair(app, organiser)
    login(client, staff)
    for url in (f"/fairs/{fair_id}/edit", f"/booth-types/{type_id}/edit", f"/fairs/{fair_id}/plan"):
        assert client.get(url).status_code == 403
    response = client.post(f"/fairs/{fair_id}/plan/grid", data={"grid_rows": "5", "grid_cols": "5"})
    assert response.status_code == 403
    stranger = app.test_client()
    login(stranger, verified_organiser(app))
    assert stranger.get(f"/fairs/{fair_id}/plan").status_code == 404
    assert stranger.post(f"/booth-types/{type_id}/edit", data={}).status_code == 404


def test_laying_out_the_plan_with_plain_forms(app, client):
    organiser = verified_organiser(app)
    with app.app_context():
        me = actor_for(organiser)
        fair = fairs.create_fair(me, organiser.organization_id, fair_data())
        booth_type = fairs.add_booth_type(me, fair.id, name="Tiêu chuẩn", size="3×3", fee="1000")
        fair_id, type_id = fair.id, booth_type.id
        db.session.commit()
    login(client, organiser)
    base = f"/fairs/{fair_id}/plan"
    assert client.post(f"{base}/grid", data={"grid_rows": "6", "grid_cols": "8"}).status_code == 302
    stage = {"kind": "stage", "row": "1", "col": "3", "height": "2", "width": "3"}
    assert client.post(f"{base}/features", data=stage).status_code == 302
    block = {
        "booth_type_id": str(type_id),
        "size_kind": "corner",
        "row": "1",
        "col": "1",
        "rows": "1",
        "cols": "4",
    }
    overlap = client.post(f"{base}/blocks", data=block)
    assert overlap.status_code == 422
    text = overlap.get_data(as_text=True)
    assert "A03 chồng lên sân khấu." in text and 'value="4"' in text
    assert client.post(f"{base}/blocks", data=block | {"row": "4"}).status_code == 302
    outside = client.post(f"{base}/features", data=stage | {"kind": "aisle", "row": "6"})
    assert "lối đi sẽ nằm ngoài lưới (6 hàng × 8 cột)." in outside.get_data(as_text=True)
    for odd in ("", "-5", "abc", "99999999999999999999"):
        response = client.post(f"{base}/blocks", data=block | {"row": odd, "rows": odd})
        assert response.status_code == 422
    page = client.get(base).get_data(as_text=True)
    assert page.count('class="plan__booth ') == 4 and 'data-feature="stage"' in page
    assert 'aria-label="Gian A01, góc, loại Tiêu chuẩn, còn trống"' in page
    assert "Vuốt để xem cả sơ đồ" in page
    # The old "add a row" form's route still lays a row out, below the plan.
    row = {"letter": "C", "count": "2", "booth_type_id": str(type_id)}
    refused = client.post(f"/fairs/{fair_id}/rows", data=row | {"letter": "A"})
    assert refused.headers["Location"] == base
    assert "Dãy A đã có trên sơ đồ" in client.get(base).get_data(as_text=True)
    assert client.post(f"/fairs/{fair_id}/rows", data=row).status_code == 302
    with app.app_context():
        c01 = db.session.scalar(select(Booth).where(Booth.fair_id == fair_id, Booth.code == "C01"))
        assert (c01.row, c01.col) == (4, 0)
        a02 = db.session.scalar(
            select(Booth.id).where(Booth.fair_id == fair_id, Booth.code == "A02")
        )
    removed = client.post(f"{base}/remove", data={"item": f"booth-{a02}"})
    assert removed.status_code == 302
    assert client.post(f"{base}/remove", data={"item": "booth-999999"}).status_code == 404


def test_a_co_op_taps_a_free_booth_to_prefer_it(app, client):
    organiser = verified_organiser(app)
    coop = verified_coop(app)
    fair_id, type_id = open_fair(app, organiser, booths=3)
    login(client, coop)
    url = f"/orgs/{coop.organization_id}/fairs/{fair_id}/apply"
    page = client.get(url).get_data(as_text=True)
    radios = re.findall(
        r'<input type="radio" class="plan__radio" name="preferred_booth_id" value="(\d+)"', page
    )
    assert len(radios) == 3
    response = client.post(
        url,
        data={
            "booth_type_id": str(type_id),
            "preferred_booth_id": radios[1],
            "contact_name": "A",
            "contact_phone": "0912345678",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        chosen = db.session.scalar(select(FairApplication.preferred_booth_id))
        assert db.session.get_one(Booth, chosen).code == "A02"
