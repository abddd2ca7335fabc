"""In-app notifications: in the reader's language, opened (and so read) through a POST that
leads where the reader acts, only by their owner."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Notification, Role
from marketplace.services import fairs
from tests.factories import (
    actor_for,
    add_member,
    application,
    login,
    make_person,
    open_fair,
    settle,
    verified_coop,
    verified_organiser,
)


def notices_of(app, person) -> list[Notification]:
    with app.app_context():
        found = list(
            db.session.scalars(
                select(Notification)
                .where(Notification.user_id == person.id)
                .order_by(Notification.id)
            )
        )
        db.session.expunge_all()
        return found


def accepted_booth(app, coop_locale: str = "vi"):
    """A co-op (its owner in ``coop_locale``, a Vietnamese colleague) whose booth a
    Vietnamese organiser accepted; returns (owner, colleague, application id)."""
    organiser = verified_organiser(app)
    coop = verified_coop(app, organization_name="HTX Triển Lãm", locale=coop_locale)
    colleague = add_member(app, coop.organization_id, Role.STAFF)
    fair_id, type_id = open_fair(app, organiser)
    with app.app_context():
        applied = fairs.apply(actor_for(coop), coop.organization_id, fair_id, application(type_id))
        fairs.review(actor_for(organiser), applied.id, "accept")
        application_id = applied.id
        settle()
    return coop, colleague, application_id


def test_each_member_reads_a_notice_in_their_own_language(app):
    coop, colleague, _ = accepted_booth(app, coop_locale="en")
    english = notices_of(app, coop)[-1].message
    vietnamese = notices_of(app, colleague)[-1].message
    assert english.startswith("Your booth at ")
    assert "please pay the fee" in english
    assert "Your booth" not in vietnamese
    assert vietnamese != english


def test_a_booth_fee_notice_opens_the_pay_page(app):
    coop, _, application_id = accepted_booth(app)
    assert notices_of(app, coop)[-1].link == f"/pay/fair_fee/{application_id}"


def test_a_new_application_notice_opens_its_review_page(app, client):
    """The organiser's notice of a new application leads to that application's review (the
    co-op's profile beside the decision), not to the top of the fair's page."""
    organiser = verified_organiser(app)
    coop = verified_coop(app, organization_name="HTX Đơn Mới")
    fair_id, type_id = open_fair(app, organiser)
    with app.app_context():
        applied = fairs.apply(actor_for(coop), coop.organization_id, fair_id, application(type_id))
        application_id = applied.id
        settle()
    notice = notices_of(app, organiser)[-1]
    assert notice.link == f"/fair-applications/{application_id}"
    login(client, organiser)
    opened = client.post(f"/notifications/{notice.id}/open", follow_redirects=True)
    assert opened.status_code == 200
    page = opened.get_data(as_text=True)
    assert "HTX Đơn Mới" in page and 'id="decision"' in page


def test_a_paid_booth_notice_and_email_open_its_badges_page(app, client, mailbox):
    """Once the fee is in, the co-op is sent where it acts next: naming its staff and printing
    their badges."""
    organiser = verified_organiser(app)
    coop = verified_coop(app, organization_name="HTX Đã Nộp Phí")
    fair_id, type_id = open_fair(app, organiser)
    with app.app_context():
        applied = fairs.apply(actor_for(coop), coop.organization_id, fair_id, application(type_id))
        fairs.review(actor_for(organiser), applied.id, "accept")
        fairs.mark_paid(actor_for(organiser), applied.id)
        application_id = applied.id
        settle()
    badges = f"/orgs/{coop.organization_id}/fair-applications/{application_id}/badges"
    # (The payment's own receipt notice opens the pay page; the booth's opens the badges.)
    [notice] = [n for n in notices_of(app, coop) if n.message.endswith("đã được xác nhận")]
    assert notice.link == badges
    texts = [m.get_body(preferencelist=("plain",)).get_content() for m in mailbox.to(coop.email)]
    [text] = [t for t in texts if "Hãy ghi tên nhân viên" in t]
    assert badges in text
    login(client, coop)
    opened = client.post(f"/notifications/{notice.id}/open", follow_redirects=True)
    assert opened.status_code == 200
    assert "Ghi tên nhân viên" in opened.get_data(as_text=True)


def test_other_fair_notices_open_the_fair_applications(app):
    organiser = verified_organiser(app)
    coop = verified_coop(app, organization_name="HTX Triển Lãm")
    fair_id, type_id = open_fair(app, organiser)
    with app.app_context():
        applied = fairs.apply(actor_for(coop), coop.organization_id, fair_id, application(type_id))
        fairs.review(actor_for(organiser), applied.id, "reject", note="Hết chỗ")
        settle()
    assert notices_of(app, coop)[-1].link == f"/orgs/{coop.organization_id}/fair-applications"


def test_opening_a_notice_marks_it_read_and_goes_to_its_link(app, client):
    coop, _, application_id = accepted_booth(app)
    notice = notices_of(app, coop)[-1]
    assert notice.read_at is None
    login(client, coop)
    page = client.get("/notifications")
    assert f'action="/notifications/{notice.id}/open"' in page.get_data(as_text=True)
    unread_before = len([n for n in notices_of(app, coop) if n.read_at is None])
    # Looking never writes.
    assert client.get(f"/notifications/{notice.id}/open").status_code == 405
    response = client.post(f"/notifications/{notice.id}/open")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/pay/fair_fee/{application_id}"
    after = notices_of(app, coop)
    assert next(n for n in after if n.id == notice.id).read_at is not None
    assert len([n for n in after if n.read_at is None]) == unread_before - 1
    # Opening it again keeps it read and still leads there.
    again = client.post(f"/notifications/{notice.id}/open")
    assert again.headers["Location"] == f"/pay/fair_fee/{application_id}"


def test_only_the_owner_opens_a_notice(app, client):
    coop, colleague, _ = accepted_booth(app)
    notice = notices_of(app, coop)[-1]
    stranger = make_person(app)
    for person in (colleague, stranger):
        other = app.test_client()
        login(other, person)
        assert other.post(f"/notifications/{notice.id}/open").status_code == 404
    assert client.post(f"/notifications/{notice.id}/open").status_code == 302  # to log in
    assert notices_of(app, coop)[-1].read_at is None
    login(client, coop)
    assert client.post("/notifications/999999/open").status_code == 404


def test_mark_all_read_empties_the_count(app, client):
    coop, colleague, _ = accepted_booth(app)
    login(client, coop)
    assert client.post("/notifications/read").status_code == 302
    assert all(n.read_at is not None for n in notices_of(app, coop))
    # A colleague's notices are theirs to read.
    assert any(n.read_at is None for n in notices_of(app, colleague))
    page = client.get("/notifications").get_data(as_text=True)
    assert 'class="count"' not in page
