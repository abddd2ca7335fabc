"""Request tests for fair pages: forms keep what was typed, waitlist offer, edits, exports."""

import csv
import io
from datetime import timedelta

from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import ApplicationStatus, FairApplication, Notification
from marketplace.vietnam import today
from tests.factories import (
    add_member,
    count_queries,
    jpeg_with_gps,
    login,
    open_fair,
    verified_coop,
    verified_organiser,
)


def application_form(type_id: int, **changes: str) -> dict[str, str]:
    form = {
        "booth_type_id": str(type_id),
        "preferred_booth_id": "0",
        "contact_name": "A",
        "contact_phone": "0912345678",
    }
    return form | changes


def fee_received(app_id: int, amount: str = "2000000", reference: str = "") -> dict[str, str]:
    """The organiser's "fee received" form of one application: the whole fee, paid today."""
    prefix = f"fee-{app_id}-"
    return {
        prefix + "amount": amount,
        prefix + "paid_on": str(today()),
        prefix + "bank_reference": reference or f"FT-{app_id}",
    }


def post_application(client, coop, fair_id: int, type_id: int, **changes: str):
    return client.post(
        f"/orgs/{coop.organization_id}/fairs/{fair_id}/apply",
        data=application_form(type_id, **changes),
    )


def test_creating_a_fair_with_bad_dates_keeps_what_was_typed(app, client):
    organiser = verified_organiser(app)
    login(client, organiser)
    day = today()
    response = client.post(
        f"/orgs/{organiser.organization_id}/fairs/new",
        data={
            "name_vi": "Hội chợ Xuân",
            "venue": "Nhà văn hóa",
            "province": "Hà Giang",
            "starts_on": str(day + timedelta(days=10)),
            "ends_on": str(day + timedelta(days=5)),
            "applications_open_on": str(day),
            "applications_close_on": str(day + timedelta(days=3)),
            "payment_days": "7",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "không thể kết thúc trước khi bắt đầu" in page and 'value="Nhà văn hóa"' in page


def test_a_full_booth_type_offers_the_waitlist(app, client):
    organiser = verified_organiser(app)
    first, second = verified_coop(app), verified_coop(app, organization_name="HTX Sau")
    fair_id, type_id = open_fair(app, organiser, booths=1)
    url = f"/orgs/{first.organization_id}/fairs/{fair_id}/apply"
    login(client, first)
    form = application_form(type_id)
    assert client.post(url, data=form).status_code == 302
    other = app.test_client()
    login(other, organiser)
    with app.app_context():
        app_id = db.session.scalar(select(FairApplication.id))
    other.post(f"/fair-applications/{app_id}/review", data={"action": "accept", "booth_id": "0"})
    late = app.test_client()
    login(late, second)
    url2 = f"/orgs/{second.organization_id}/fairs/{fair_id}/apply"
    response = late.post(url2, data=form | {"contact_name": "Bình"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "danh sách chờ" in page and 'name="join_waitlist"' in page and 'value="Bình"' in page
    assert late.post(url2, data=form | {"join_waitlist": "y"}).status_code == 302
    with app.app_context():
        statuses = sorted(a.status.value for a in db.session.scalars(select(FairApplication)))
    assert statuses == ["accepted", "waitlisted"]


def test_applications_are_editable_until_reviewed(app, client):
    organiser = verified_organiser(app)
    coop = verified_coop(app)
    fair_id, type_id = open_fair(app, organiser)
    login(client, coop)
    form = application_form(type_id)
    client.post(f"/orgs/{coop.organization_id}/fairs/{fair_id}/apply", data=form)
    with app.app_context():
        app_id = db.session.scalar(select(FairApplication.id))
    edit = f"/orgs/{coop.organization_id}/fair-applications/{app_id}/edit"
    bad = client.post(edit, data=form | {"contact_phone": "12"})
    assert bad.status_code == 422 and 'value="12"' in bad.get_data(as_text=True)
    assert client.post(edit, data=form | {"needs": "Thêm điện"}).status_code == 302
    organiser_client = app.test_client()
    login(organiser_client, organiser)
    organiser_client.post(f"/fair-applications/{app_id}/review", data={"action": "waitlist"})
    response = client.post(edit, data=form, follow_redirects=True)
    assert "không thể thay đổi nữa" in response.get_data(as_text=True)
    with app.app_context():
        application = db.session.get(FairApplication, app_id)
        assert (
            application.needs == "Thêm điện" and application.status is ApplicationStatus.WAITLISTED
        )


def test_exports_open_in_excel_with_vietnamese_names(app, client):
    organiser = verified_organiser(app)
    coop = verified_coop(app, organization_name="HTX Sâm Ngọc Linh")
    fair_id, type_id = open_fair(app, organiser)
    login(client, coop)
    client.post(
        f"/orgs/{coop.organization_id}/fairs/{fair_id}/apply",
        data={
            "booth_type_id": str(type_id),
            "preferred_booth_id": "0",
            "contact_name": "Đinh Văn Dũng",
            "contact_phone": "0912345678",
        },
    )
    login(organiser_client := app.test_client(), organiser)
    with app.app_context():
        app_id = db.session.scalar(select(FairApplication.id))
    organiser_client.post(
        f"/fair-applications/{app_id}/review", data={"action": "accept", "booth_id": "0"}
    )
    organiser_client.post(f"/fair-applications/{app_id}/fee-received", data=fee_received(app_id))
    for kind, expected in (
        ("exhibitors", "Đinh Văn Dũng"),
        ("booths", "taken"),
        ("payments", "2000000"),
    ):
        response = organiser_client.get(f"/fairs/{fair_id}/export/{kind}.csv")
        body = response.get_data()
        assert body.startswith("\ufeff".encode())
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        assert any(expected in cell for row in rows for cell in row), (kind, rows)
    assert any(
        "HTX Sâm Ngọc Linh" in r
        for r in organiser_client.get(f"/fairs/{fair_id}/export/booths.csv")
        .get_data(as_text=True)
        .splitlines()
    )
    assert organiser_client.get(f"/fairs/{fair_id}/export/nonsense.csv").status_code == 404


def test_a_fair_with_a_cover_image_and_a_bad_cover_saves_nothing(app, client):
    from marketplace.models import Fair

    organiser = verified_organiser(app)
    login(client, organiser)
    day = today()
    form = {
        "name_vi": "Hội chợ có ảnh",
        "venue": "Nhà văn hóa",
        "province": "Lai Châu",
        "starts_on": str(day + timedelta(days=30)),
        "ends_on": str(day + timedelta(days=31)),
        "applications_open_on": str(day),
        "applications_close_on": str(day + timedelta(days=10)),
        "payment_days": "7",
    }
    bad = client.post(
        f"/orgs/{organiser.organization_id}/fairs/new",
        data=form | {"cover": (io.BytesIO(b"MZ not an image"), "cover.jpg")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422 and "JPEG, PNG hoặc WebP" in bad.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Fair.id)) is None
    good = client.post(
        f"/orgs/{organiser.organization_id}/fairs/new",
        data=form | {"cover": (io.BytesIO(jpeg_with_gps(1200, 600)), "cover.jpg")},
        content_type="multipart/form-data",
    )
    assert good.status_code == 302
    with app.app_context():
        fair = db.session.scalar(select(Fair))
        assert fair.cover_key.startswith("public/fairs/")


def test_each_step_leaves_a_notification_in_the_app(app, client):
    organiser = verified_organiser(app)
    coop = verified_coop(app)
    fair_id, type_id = open_fair(app, organiser)
    login(client, coop)
    post_application(client, coop, fair_id, type_id)
    organiser_client = app.test_client()
    login(organiser_client, organiser)
    assert "Đăng ký mới tham gia" in organiser_client.get("/notifications").get_data(as_text=True)
    with app.app_context():
        app_id = db.session.scalar(select(FairApplication.id))
    organiser_client.post(
        f"/fair-applications/{app_id}/review", data={"action": "accept", "booth_id": "0"}
    )
    home = client.get("/").get_data(as_text=True)
    assert 'id="bell"' in home and 'class="count"' in home
    page = client.get("/notifications").get_data(as_text=True)
    assert "đã được giữ: vui lòng nộp phí" in page
    # The notice opens the page where the fee is paid.
    with app.app_context():
        notice_id = db.session.scalar(
            select(func.max(Notification.id)).where(Notification.user_id == coop.id)
        )
    assert f"/notifications/{notice_id}/open" in page
    opened = client.post(f"/notifications/{notice_id}/open")
    assert opened.headers["Location"] == f"/pay/fair_fee/{app_id}"
    client.post("/notifications/read")
    assert 'class="count"' not in client.get("/").get_data(as_text=True)


def test_organiser_staff_may_look_but_not_decide(app, client):
    from marketplace.models import Role

    organiser = verified_organiser(app)
    staff = add_member(app, organiser.organization_id, Role.STAFF)
    coop = verified_coop(app)
    fair_id, type_id = open_fair(app, organiser)
    login(client, coop)
    post_application(client, coop, fair_id, type_id)
    with app.app_context():
        app_id = db.session.scalar(select(FairApplication.id))
    staff_client = app.test_client()
    login(staff_client, staff)
    assert staff_client.get(f"/fairs/{fair_id}/manage").status_code == 200
    for action in ("accept", "reject", "move"):
        response = staff_client.post(
            f"/fair-applications/{app_id}/review", data={"action": action, "booth_id": "0"}
        )
        assert response.status_code == 403, action
    response = staff_client.post(
        f"/fair-applications/{app_id}/fee-received", data=fee_received(app_id)
    )
    assert response.status_code == 403


def test_the_fair_page_runs_the_same_queries_for_one_or_three_exhibitors(app, client):
    organiser = verified_organiser(app)
    fair_id, type_id = open_fair(app, organiser, booths=4)
    organiser_client = app.test_client()
    login(organiser_client, organiser)

    def exhibit(name):
        coop = verified_coop(app, organization_name=name)
        coop_client = app.test_client()
        login(coop_client, coop)
        post_application(coop_client, coop, fair_id, type_id)
        with app.app_context():
            app_id = db.session.scalar(
                select(FairApplication.id).where(
                    FairApplication.organization_id == coop.organization_id
                )
            )
        organiser_client.post(
            f"/fair-applications/{app_id}/review", data={"action": "accept", "booth_id": "0"}
        )
        organiser_client.post(
            f"/fair-applications/{app_id}/fee-received", data=fee_received(app_id)
        )

    with app.app_context():
        from marketplace.models import Fair

        slug = db.session.get_one(Fair, fair_id).slug
    exhibit("HTX Một")
    client.get(f"/fairs/{slug}")
    with count_queries(app) as one:
        client.get(f"/fairs/{slug}")
    exhibit("HTX Hai")
    exhibit("HTX Ba")
    with count_queries(app) as three:
        page = client.get(f"/fairs/{slug}").get_data(as_text=True)
    assert page.count("plan__booth plan__booth--taken") == 3
    assert len(one) == len(three), (one, three)


def test_opening_a_badge_url_checks_nobody_in_the_button_does(app, client):
    """A badge's URL is a GET a cross-site link can trigger: the old link leads to the gate's
    page of the badge, which only shows who it is and a button; checking in is a POST."""
    from marketplace.models import Badge
    from marketplace.services import fairs
    from tests.factories import actor_for, application

    organiser = verified_organiser(app)
    coop = verified_coop(app, organization_name="HTX Chè Thẻ")
    fair_id, type_id = open_fair(app, organiser)
    with app.app_context():
        applied = fairs.apply(actor_for(coop), coop.organization_id, fair_id, application(type_id))
        fairs.review(actor_for(organiser), applied.id, "accept")
        fairs.mark_paid(actor_for(organiser), applied.id)
        db.session.commit()
        application_id = applied.id
        code = db.session.scalar(select(Badge.code).where(Badge.application_id == applied.id))

    def arrived():
        with app.app_context():
            return db.session.get(FairApplication, application_id).checked_in_at is not None

    login(client, organiser)
    page = client.get(f"/fairs/{fair_id}/badge/{code}", follow_redirects=True)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "HTX Chè Thẻ" in html and f'value="{code}"' in html
    assert not arrived()
    assert client.post(f"/fairs/{fair_id}/badge/{code}").status_code == 405
    assert client.post(f"/fairs/{fair_id}/gate/{code}").status_code == 405

    done = client.post(f"/fairs/{fair_id}/gate/scan", data={"code": code, "allow_outside": "y"})
    assert done.status_code == 200
    assert 'id="gate-result"' in done.get_data(as_text=True)
    assert arrived()


def test_the_organisers_people_find_the_manage_page_from_the_public_page(app, client):
    """The payee's pay page and the claim page lead back to the fair's public page: the
    organiser's people (and only they) find a link there to manage the fair."""
    from marketplace.models import Fair, Role

    organiser = verified_organiser(app)
    staff = add_member(app, organiser.organization_id, Role.STAFF)
    other_organiser = verified_organiser(app)
    coop = verified_coop(app)
    fair_id, _type_id = open_fair(app, organiser)
    with app.app_context():
        slug = db.session.get_one(Fair, fair_id).slug
    manage = f'href="/fairs/{fair_id}/manage"'
    for person in (organiser, staff):
        member = app.test_client()
        login(member, person)
        page = member.get(f"/fairs/{slug}").get_data(as_text=True)
        assert manage in page and "Quản lý hội chợ này" in page
        assert member.get(f"/fairs/{fair_id}/manage").status_code == 200
    assert manage not in client.get(f"/fairs/{slug}").get_data(as_text=True)
    for person in (other_organiser, coop):
        outsider = app.test_client()
        login(outsider, person)
        page = outsider.get(f"/fairs/{slug}")
        assert page.status_code == 200
        assert manage not in page.get_data(as_text=True)
