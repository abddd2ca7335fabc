"""Request tests for reviewing fair applications: the review page, one decision, the list
with its filters and decisions for many at once (confirmation, summary, bad input)."""

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import ApplicationStatus as A
from marketplace.models import FairApplication, Role
from tests.factories import (
    add_member,
    admin_actor,
    audits,
    flashes,
    login,
    published_listing,
    verified_coop,
    verified_organiser,
)
from tests.test_fair_review import add_certificate, apply, booth_id, open_fair


def _world(app):
    organiser = verified_organiser(app)
    coops = [verified_coop(app, organization_name=f"HTX Xét Duyệt {n}") for n in range(1, 4)]
    fair_id, type_id, corner_id = open_fair(app, organiser, booths=3, corner=1)
    add_certificate(app, coops[0], admin_actor(app), "ocop", stars=5)
    listing_id, _slug = published_listing(app, coops[0], title_vi="Rượu sâm Ngọc Linh")
    with app.app_context():
        a02 = booth_id(fair_id, "A02")
    ids = [
        apply(app, coops[0], fair_id, type_id, preferred_booth_id=a02, listing_ids=[listing_id]),
        apply(app, coops[1], fair_id, type_id, needs="Cần ổ điện"),
        apply(app, coops[2], fair_id, corner_id),
    ]
    return organiser, coops, fair_id, type_id, corner_id, ids


def test_the_review_page_shows_the_co_op_and_accepts_with_its_preferred_booth(app, client):
    organiser, coops, fair_id, _type_id, _corner_id, ids = _world(app)
    login(client, organiser)
    page = client.get(f"/fair-applications/{ids[0]}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "HTX Xét Duyệt 1" in html and "Đã được Chợ HTX xác minh" in html
    assert "OCOP ★★★★★" in html and "hiệu lực đến" in html
    assert "Rượu sâm Ngọc Linh" in html and "-320.webp" in html
    assert 'id="jump-to-decision"' in html and 'href="#decision"' in html
    assert "vẫn còn trống" in html and "plan__booth--highlight" in html
    with app.app_context():
        a02 = booth_id(fair_id, "A02")
    assert f'<option selected value="{a02}">' in html

    response = client.post(
        f"/fair-applications/{ids[0]}/decide",
        data={"action": "accept", "booth_id": str(a02), "note": "Chào mừng"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/fairs/{fair_id}/applications"
    with app.app_context():
        accepted = db.session.get_one(FairApplication, ids[0])
        assert accepted.status is A.ACCEPTED and accepted.booth_id == a02
        assert accepted.decision_note == "Chào mừng"
    # Decided: the page shows no controls; deciding again is refused with a message.
    html = client.get(f"/fair-applications/{ids[0]}").get_data(as_text=True)
    assert 'name="action"' not in html and "đang giữ cho HTX này" in html
    again = client.post(
        f"/fair-applications/{ids[0]}/decide", data={"action": "reject", "note": "x"}
    )
    assert again.status_code == 302
    assert any(c == "error" for c, _ in flashes(client))


def test_bad_decisions_keep_what_was_typed_and_never_fail(app, client):
    organiser, coops, fair_id, _type_id, _corner_id, ids = _world(app)
    other_organiser = verified_organiser(app)
    other_fair, _t, _c = open_fair(app, other_organiser)
    login(client, organiser)
    refused = client.post(
        f"/fair-applications/{ids[1]}/decide", data={"action": "reject", "note": "  "}
    )
    assert refused.status_code == 422
    assert 'id="note-error"' in refused.get_data(as_text=True)
    with app.app_context():
        foreign_booth = booth_id(other_fair, "A01")
    for data in (
        {"action": "accept", "booth_id": str(foreign_booth), "note": "Giữ lại ghi chú"},
        {"action": "accept", "booth_id": "99999999999999999999", "note": "Giữ lại ghi chú"},
        {"action": "pay", "note": "Giữ lại ghi chú"},
        {"action": "accept", "note": "x" * 2001},
    ):
        response = client.post(f"/fair-applications/{ids[1]}/decide", data=data)
        assert response.status_code in (302, 422), data
        if data.get("booth_id") == str(foreign_booth) or data["action"] == "pay":
            assert response.status_code == 422
            assert "Giữ lại ghi chú" in response.get_data(as_text=True)
    with app.app_context():
        # A too-large booth id means "preferred or first free": that one was accepted.
        assert db.session.get_one(FairApplication, ids[1]).status is A.ACCEPTED
    for missing in ("/fair-applications/999999", "/fair-applications/0"):
        assert client.get(missing).status_code == 404
    assert (
        client.post("/fair-applications/999999/decide", data={"action": "accept"}).status_code
        == 404
    )


def test_only_the_organiser_s_managers_decide(app, client):
    organiser, coops, fair_id, _type_id, _corner_id, ids = _world(app)
    staff = add_member(app, organiser.organization_id, Role.STAFF)
    login(client, staff)
    html = client.get(f"/fair-applications/{ids[0]}").get_data(as_text=True)
    assert "HTX Xét Duyệt 1" in html and 'name="action"' not in html
    assert (
        client.post(f"/fair-applications/{ids[0]}/decide", data={"action": "accept"}).status_code
        == 403
    )
    bulk = {"application_ids": [str(ids[1])], "action": "waitlist", "confirmed": "yes"}
    assert client.post(f"/fairs/{fair_id}/applications/decide", data=bulk).status_code == 403
    # The applicant co-op and other organisers do not see the review page at all.
    for outsider in (coops[0], verified_organiser(app)):
        other = app.test_client()
        login(other, outsider)
        assert other.get(f"/fair-applications/{ids[0]}").status_code == 404
        assert other.get(f"/fairs/{fair_id}/applications").status_code == 404
        assert other.post(f"/fairs/{fair_id}/applications/decide", data=bulk).status_code == 404
    with app.app_context():
        assert db.session.get_one(FairApplication, ids[1]).status is A.SUBMITTED


def test_the_list_filters_and_links_each_application(app, client):
    organiser, coops, fair_id, type_id, corner_id, ids = _world(app)
    login(client, organiser)
    assert f"/fairs/{fair_id}/applications" in client.get(f"/fairs/{fair_id}/manage").get_data(
        as_text=True
    )
    html = client.get(f"/fairs/{fair_id}/applications").get_data(as_text=True)
    for application_id in ids:
        assert f'href="/fair-applications/{application_id}"' in html
        assert f'name="application_ids" value="{application_id}"' in html
    html = client.get(f"/fairs/{fair_id}/applications?type={corner_id}").get_data(as_text=True)
    assert "HTX Xét Duyệt 3" in html and "HTX Xét Duyệt 1" not in html
    html = client.get(f"/fairs/{fair_id}/applications?status=rejected").get_data(as_text=True)
    assert "HTX Xét Duyệt" not in html.split('id="list-heading"')[1]
    for odd in ("?status=%00", "?type=-1", "?type=99999999999999999999", "?status=x" * 50):
        assert client.get(f"/fairs/{fair_id}/applications{odd}").status_code == 200
    assert client.get("/fairs/999999/applications").status_code == 404


def test_bulk_decisions_confirm_then_report_by_name(app, client):
    organiser, coops, fair_id, type_id, corner_id, ids = _world(app)
    other_organiser = verified_organiser(app)
    other_fair, other_type, _ = open_fair(app, other_organiser)
    stranger = apply(app, verified_coop(app, organization_name="HTX Lạ"), other_fair, other_type)
    login(client, organiser)
    url = f"/fairs/{fair_id}/applications/decide"
    chosen = [str(ids[0]), str(ids[1]), str(stranger)]

    # First the confirmation: how many, which; nothing changed yet.
    confirm = client.post(url, data={"application_ids": chosen, "action": "accept"})
    assert confirm.status_code == 200
    html = confirm.get_data(as_text=True)
    assert "Nhận: 2 đơn?" in html and "HTX Lạ" not in html
    assert "HTX Xét Duyệt 1 · gian A02" in html and "HTX Xét Duyệt 2 · gian A01" in html
    assert "1 đơn đã chọn không thuộc hội chợ này" in html
    assert f'name="application_ids" value="{stranger}"' not in html
    with app.app_context():
        assert db.session.get_one(FairApplication, ids[0]).status is A.SUBMITTED

    # The corner booth goes to the third; a second bulk accept of the same is reported.
    done = client.post(
        url,
        data={"application_ids": chosen, "action": "accept", "confirmed": "yes"},
    )
    assert done.status_code == 302 and done.headers["Location"] == f"/fairs/{fair_id}/applications"
    messages = [m for _c, m in flashes(client)]
    assert messages == [
        f"Đã nhận 2 đơn; 1 đơn không thực hiện được: #{stranger} — không phải đơn của hội chợ này."
    ]
    with app.app_context():
        a = {x.id: x for x in db.session.scalars(select(FairApplication))}
        assert a[ids[0]].booth.code == "A02" and a[ids[1]].booth.code == "A01"
        assert a[stranger].status is A.SUBMITTED
        assert audits("fair.accept", ids[0]) == audits("fair.accept", ids[1]) == 1
    client.get(f"/fairs/{fair_id}/applications")  # the flash is shown and gone

    # Already decided: the confirmation counts only those that will change.
    html = client.post(
        url, data={"application_ids": [str(ids[0]), str(ids[2])], "action": "accept"}
    ).get_data(as_text=True)
    assert "Nhận: 1 đơn?" in html and "HTX Xét Duyệt 3 · gian B01" in html
    assert "HTX Xét Duyệt 1 — đã có quyết định" in html.split('id="skipped"')[1]
    again = client.post(
        url,
        data={
            "application_ids": [str(ids[0]), str(ids[2])],
            "action": "accept",
            "confirmed": "yes",
        },
    )
    assert again.status_code == 302
    assert flashes(client)[0][1] == (
        "Đã nhận 1 đơn; 1 đơn không thực hiện được: HTX Xét Duyệt 1 — đã có quyết định"
        " (đang giữ gian, chờ nộp phí)."
    )


def test_bulk_reject_needs_a_note_and_a_choice(app, client):
    organiser, coops, fair_id, type_id, corner_id, ids = _world(app)
    login(client, organiser)
    url = f"/fairs/{fair_id}/applications/decide"
    empty = client.post(url, data={"action": "waitlist", "confirmed": "yes"})
    assert empty.status_code == 422 and "Hãy chọn ít nhất một đơn." in empty.get_data(as_text=True)
    no_note = client.post(
        url, data={"application_ids": [str(ids[1])], "action": "reject", "confirmed": "yes"}
    )
    assert no_note.status_code == 422
    html = no_note.get_data(as_text=True)
    assert f'id="pick-{ids[1]}" checked' in html
    for odd in (["abc"], ["-5"], ["99999999999999999999"], ["0"]):
        response = client.post(
            url, data={"application_ids": odd, "action": "waitlist", "confirmed": "yes"}
        )
        assert response.status_code in (302, 422), odd
    rejected = client.post(
        url,
        data={
            "application_ids": [str(ids[1]), str(ids[2])],
            "action": "reject",
            "note": "Không đúng nhóm hàng",
            "confirmed": "yes",
        },
    )
    assert rejected.status_code == 302
    assert flashes(client)[0][1] == "Đã từ chối 2 đơn."
    with app.app_context():
        for application_id in ids[1:]:
            got = db.session.get_one(FairApplication, application_id)
            assert got.status is A.REJECTED and got.decision_note == "Không đúng nhóm hàng"
