"""Request tests for badges, the gate and attendance: who may open what, bad input never a
500, a GET never checks anyone in, the badge sheet read back from its PDF."""

import json
import subprocess
from datetime import datetime, timedelta

from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import Badge, Fair, Role, Scan
from marketplace.services import fair_gate, fairs
from marketplace.vietnam import VN_TZ, today
from tests.factories import (
    actor_for,
    add_member,
    application,
    login,
    open_fair,
    settle,
    verified_coop,
    verified_organiser,
)


def booth(app, *, paid=True):
    """(organiser, coop, fair id, application id, contact code) for a fair on today."""
    organiser = verified_organiser(app)
    coop = verified_coop(app, organization_name="HTX Chè Thẻ")
    fair_id, type_id = open_fair(app, organiser)
    with app.app_context():
        applied = fairs.apply(actor_for(coop), coop.organization_id, fair_id, application(type_id))
        fairs.review(actor_for(organiser), applied.id, "accept")
        if paid:
            fairs.mark_paid(actor_for(organiser), applied.id)
        fair = db.session.get(Fair, fair_id)
        fair.applications_open_on = today() - timedelta(days=20)
        fair.applications_close_on = today() - timedelta(days=2)
        fair.starts_on, fair.ends_on = today(), today() + timedelta(days=1)
        code = db.session.scalar(select(Badge.code).where(Badge.application_id == applied.id))
        application_id = applied.id
        settle()
    return organiser, coop, fair_id, application_id, code


def checked_in(app, code) -> bool:
    with app.app_context():
        return db.session.scalar(select(Badge.checked_in_at).where(Badge.code == code)) is not None


def test_the_co_op_names_its_staff_and_prints_the_badges(app, client):
    organiser, coop, fair_id, application_id, code = booth(app)
    login(client, coop)
    url = f"/orgs/{coop.organization_id}/fair-applications/{application_id}/badges"
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert fair_gate.grouped(code) in html and "<svg" in html and 'id="badges-valid"' in html
    refused = client.post(url, data={"name": "Lò Thị Mai", "phone": "12"})
    assert refused.status_code == 422
    assert 'value="Lò Thị Mai"' in refused.get_data(as_text=True)
    assert client.post(url, data={"name": "Lò Thị Mai", "phone": ""}).status_code == 302
    with app.app_context():
        staff = db.session.scalar(select(Badge).where(Badge.name == "Lò Thị Mai"))
        staff_id, staff_code = staff.id, staff.code
    edit = f"/orgs/{coop.organization_id}/badges/{staff_id}/edit"
    assert client.get(edit).status_code == 200
    assert client.post(edit, data={"name": "", "phone": ""}).status_code == 422
    assert client.post(edit, data={"name": "Lò Thị Mai Anh", "phone": ""}).status_code == 302

    pdf = client.get(url + ".pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    words = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf.data, capture_output=True, check=True
    ).stdout.decode()
    assert fair_gate.grouped(code) in words and fair_gate.grouped(staff_code) in words
    assert "Lò Thị Mai Anh" in words and "HTX Chè Thẻ" in words and "A01" in words

    revoke = f"/orgs/{coop.organization_id}/badges/{staff_id}/revoke"
    assert client.post(revoke).status_code == 302
    assert client.post(revoke).status_code == 302  # already revoked: a message, no 500
    assert client.get(edit).status_code == 302
    pdf = client.get(url + ".pdf")
    words = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf.data, capture_output=True, check=True
    ).stdout.decode()
    assert fair_gate.grouped(staff_code) not in words

    # The organiser prints every badge of the fair.
    client.post("/logout")
    login(client, organiser)
    sheet = client.get(f"/fairs/{fair_id}/badges.pdf")
    assert sheet.status_code == 200
    words = subprocess.run(
        ["pdftotext", "-", "-"], input=sheet.data, capture_output=True, check=True
    ).stdout.decode()
    assert fair_gate.grouped(code) in words


def test_unpaid_badges_say_so_and_link_the_pay_page(app, client):
    organiser, coop, fair_id, application_id, code = booth(app, paid=False)
    login(client, coop)
    html = client.get(
        f"/orgs/{coop.organization_id}/fair-applications/{application_id}/badges"
    ).get_data(as_text=True)
    assert 'id="badges-not-valid"' in html and f"/pay/fair_fee/{application_id}" in html


def test_who_may_open_the_badges_and_the_gate(app, client):
    organiser, coop, fair_id, application_id, code = booth(app)
    staff = add_member(app, coop.organization_id, Role.STAFF)
    other_organiser = verified_organiser(app)
    other_coop = verified_coop(app, organization_name="HTX Khác")
    badges = f"/orgs/{coop.organization_id}/fair-applications/{application_id}/badges"
    organiser_pages = [
        f"/fairs/{fair_id}/gate",
        f"/fairs/{fair_id}/gate/{code}",
        f"/fairs/{fair_id}/attendance",
        f"/fairs/{fair_id}/attendance.csv",
        f"/fairs/{fair_id}/badges.pdf",
    ]
    for url in [*organiser_pages, badges]:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.location, url
    assert client.post(f"/fairs/{fair_id}/gate/scan", json={"code": code}).status_code in (
        302,
        400,
    )
    for person in (other_organiser, coop):
        login(client, person)
        for url in organiser_pages:
            assert client.get(url).status_code == 404, (url, person.email)
        answer = client.post(f"/fairs/{fair_id}/gate/scan", json={"code": code})
        assert answer.status_code == 404 and answer.is_json
        client.post("/logout")
    assert not checked_in(app, code)
    login(client, other_coop)
    assert client.get(badges).status_code == 404
    client.post("/logout")
    login(client, staff)
    page = client.get(badges)
    assert page.status_code == 200 and "Make the badge" not in page.get_data(as_text=True)
    assert client.post(badges, data={"name": "Ai đó"}).status_code == 403
    client.post("/logout")
    login(client, organiser)
    assert client.get(badges).status_code == 404  # the co-op's page, not the organiser's


def test_opening_a_badge_link_checks_nobody_in_the_button_does(app, client):
    organiser, coop, fair_id, application_id, code = booth(app)
    login(client, organiser)
    old = client.get(f"/fairs/{fair_id}/badge/{code}")
    assert old.status_code == 301 and old.location.endswith(f"/fairs/{fair_id}/gate/{code}")
    assert client.get(f"/fairs/{fair_id}/check-in").status_code == 301
    page = client.get(f"/fairs/{fair_id}/gate/{fair_gate.grouped(code).lower()}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Vàng A Sính" in html and "HTX Chè Thẻ" in html and 'id="check-in-button"' in html
    assert not checked_in(app, code)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Scan)) == 0
    done = client.post(f"/fairs/{fair_id}/gate/scan", data={"code": code, "device": "Cổng 1"})
    assert done.status_code == 200
    assert "gate-result--ok" in done.get_data(as_text=True)
    assert checked_in(app, code)
    again = client.get(f"/fairs/{fair_id}/gate/{code}").get_data(as_text=True)
    assert "gate-result--warn" in again and "Cổng 1" in again
    assert client.get(f"/fairs/{fair_id}/gate/ZZZZZZZ").status_code == 404
    assert client.get(f"/fairs/{fair_id}/gate/{'x' * 10_000}").status_code in (404, 414)


def test_the_gate_page_may_use_the_camera_no_other_page_may(app, client):
    organiser, coop, fair_id, application_id, code = booth(app)
    login(client, organiser)
    gate = client.get(f"/fairs/{fair_id}/gate")
    assert gate.status_code == 200
    assert "camera=(self)" in gate.headers["Permissions-Policy"]
    assert "vendor/jsQR.js" in gate.get_data(as_text=True)
    assert "camera=()" in client.get(f"/fairs/{fair_id}/attendance").headers["Permissions-Policy"]
    assert client.get("/static/vendor/jsQR.js").status_code == 200


def test_scans_as_json_replayed_and_bad_input(app, client):
    organiser, coop, fair_id, application_id, code = booth(app)
    login(client, organiser)
    url = f"/fairs/{fair_id}/gate/scan"
    scan = {
        "code": f"https://x.vn/fairs/{fair_id}/gate/{code}",
        "client_scan_id": "8b7e-1",
        "device": "Cổng 2",
        # Now in Vietnam: on the fair's first day (today there), whenever the test runs.
        "scanned_at": datetime.now(VN_TZ).isoformat(timespec="seconds"),
    }
    first = client.post(url, json=scan)
    assert first.status_code == 200 and first.json["result"] == "checked_in"
    assert first.json["name"] == "Vàng A Sính" and first.json["booth"] == "A01"
    replay = client.post(url, json=scan)
    assert replay.json["result"] == "checked_in" and replay.json["replayed"] is True
    other = client.post(url, json={**scan, "client_scan_id": "8b7e-2"})
    assert other.json["result"] == "duplicate" and "Cổng 2" in other.json["message"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Scan)) == 2
    # Bad input: never a 500.
    bad = [
        client.post(url, data="{not json", content_type="application/json"),
        client.post(url, data=json.dumps([1, 2]), content_type="application/json"),
    ]
    assert [r.status_code for r in bad] == [400, 400]
    for body in (
        {"code": "Z" * 10_000},
        {"code": "http://[::1/not-a-url"},
        {"code": "AB\x00C", "device": "C\x00ng", "client_scan_id": "\x00"},
        {"code": 12, "client_scan_id": ["x"], "device": {"a": 1}, "scanned_at": "tomorrow"},
        {"code": "ABC-DEFG", "scanned_at": 1e30},
        {"code": "ABC-DEFG", "scanned_at": True, "allow_outside": "yes"},
        {},
    ):
        response = client.post(url, json=body)
        assert response.status_code == 200, body
        assert response.json["result"] == "unknown"
    typed = client.post(url, data={"code": "x" * 3000})
    assert typed.status_code == 422
    typed = client.post(url, data={"code": "forged!", "scanned_at": "??"})
    assert typed.status_code == 200 and "gate-result--stop" in typed.get_data(as_text=True)


def test_attendance_lists_present_and_absent_with_csv(app, client):
    organiser, coop, fair_id, application_id, code = booth(app)
    login(client, organiser)
    absent = client.get(f"/fairs/{fair_id}/attendance?show=absent").get_data(as_text=True)
    assert "HTX Chè Thẻ" in absent
    client.post(f"/fairs/{fair_id}/gate/scan", json={"code": code, "device": "Cổng 1"})
    page = client.get(f"/fairs/{fair_id}/attendance").get_data(as_text=True)
    assert "HTX Chè Thẻ" in page and "Cổng 1" in page
    assert "HTX Chè Thẻ" in client.get(f"/fairs/{fair_id}/attendance?show=present").get_data(
        as_text=True
    )
    assert "HTX Chè Thẻ" not in client.get(f"/fairs/{fair_id}/attendance?show=absent").get_data(
        as_text=True
    )
    assert client.get(f"/fairs/{fair_id}/attendance?show=<script>").status_code == 200
    csv = client.get(f"/fairs/{fair_id}/attendance.csv")
    assert csv.mimetype == "text/csv"
    assert fair_gate.grouped(code) in csv.get_data(as_text=True)
