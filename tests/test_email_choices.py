"""Per-kind email choices: every email is of a kind a person can turn off or always goes; a
kind turned off keeps the notice in the app; the choices page (saved, audited, CSRF-checked)."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from marketplace import create_app
from marketplace.extensions import db
from marketplace.models import EmailPreference, Notification, Role
from marketplace.services import notifications
from marketplace.services.context import Actor
from marketplace.services.errors import PermissionDenied, ValidationFailed
from tests.factories import (
    actor_for,
    add_member,
    admin_actor,
    audits,
    count_queries,
    flashes,
    login,
    make_person,
    make_test_config,
    settle,
)

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "email"


def email_templates() -> set[str]:
    """Every email the site can send (partials, named with a leading "_", are not emails)."""
    return {p.stem for p in TEMPLATES.glob("*.txt") if not p.name.startswith("_")}


def test_every_email_is_of_a_kind_or_always_sent():
    templates = email_templates()
    assert len(templates) > 30
    forgotten = templates - set(notifications.TEMPLATE_KINDS) - notifications.ALWAYS_SENT
    assert not forgotten, f"give these a kind or list them as always sent: {sorted(forgotten)}"
    assert not set(notifications.TEMPLATE_KINDS) & notifications.ALWAYS_SENT
    assert set(notifications.TEMPLATE_KINDS.values()) == set(notifications.KIND_KEYS)
    assert notifications.TEMPLATE_KINDS["message_received"] == "messages"
    for template in ("password_reset", "sign_up_continue", "sign_up_existing", "invitation"):
        assert notifications.email_kind(template) is None


def set_choices(app, person, **choices: bool) -> None:
    with app.app_context():
        notifications.set_email_choices(actor_for(person), choices)
        settle()


def tell_invoice_paid(app, organization_id: int) -> None:
    with app.app_context():
        notifications.tell(
            organization_id,
            "invoice_paid",
            "Hoá đơn HD-7 đã được thanh toán",
            "notifications.index",
            context={"invoice": SimpleNamespace(number="HD-7")},
        )
        settle()


def notices(app, person) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Notification.message).where(Notification.user_id == person.id)
            )
        )


def test_emails_go_by_default_and_end_with_the_line_that_turns_them_off(app, mailbox):
    owner = make_person(app)
    english = add_member(app, owner.organization_id, Role.STAFF, locale="en")
    tell_invoice_paid(app, owner.organization_id)
    vietnamese = mailbox.body(mailbox.to(owner.email)[-1]).rstrip()
    assert "HD-7" in vietnamese
    assert vietnamese.splitlines()[-1] == (
        "Tắt các email này: http://localhost/account/emails#kind-payments"
    )
    assert mailbox.body(mailbox.to(english.email)[-1]).rstrip().splitlines()[-1] == (
        "Turn off these emails: http://localhost/account/emails#kind-payments"
    )


def test_a_kind_turned_off_skips_the_email_but_leaves_the_notice(app, mailbox):
    owner = make_person(app)
    colleague = add_member(app, owner.organization_id, Role.STAFF)
    set_choices(app, owner, payments=False)
    mailbox.clear()
    tell_invoice_paid(app, owner.organization_id)
    assert mailbox.to(owner.email) == []
    assert len(mailbox.to(colleague.email)) == 1
    assert notices(app, owner) == ["Hoá đơn HD-7 đã được thanh toán"]
    assert notices(app, colleague) == ["Hoá đơn HD-7 đã được thanh toán"]
    # Another kind still goes.
    with app.app_context():
        notifications.tell(
            owner.organization_id,
            "delivery_dispatched",
            "Đã gửi hàng",
            "notifications.index",
            context={
                "delivery": SimpleNamespace(sequence=1, contract=SimpleNamespace(number="HĐ-1"))
            },
        )
        settle()
    assert len(mailbox.to(owner.email)) == 1
    # Turned on again: sent again.
    set_choices(app, owner, payments=True)
    tell_invoice_paid(app, owner.organization_id)
    assert len(mailbox.to(owner.email)) == 2


def test_admins_who_turned_a_kind_off_get_only_the_notice(app, mailbox):
    admin = admin_actor(app)
    set_choices(app, admin, payments=False)
    mailbox.clear()
    with app.app_context():
        notifications.tell_admins(
            "invoice_paid",
            "Hoá đơn HD-8 đã được thanh toán",
            "notifications.index",
            context={"invoice": SimpleNamespace(number="HD-8")},
        )
        settle()
    assert mailbox.to(admin.email) == []
    assert notices(app, admin) == ["Hoá đơn HD-8 đã được thanh toán"]


def test_emails_that_always_go_ignore_the_choices(app, client, mailbox):
    person = make_person(app)
    set_choices(app, person, **dict.fromkeys(notifications.KIND_KEYS, False))
    mailbox.clear()
    assert client.post("/password/forgot", data={"email": person.email}).status_code == 302
    body = mailbox.body(mailbox.to(person.email)[-1])
    assert "/password/reset/" in body
    assert "/account/emails" not in body


def test_the_choices_of_every_member_are_read_in_one_query(app, mailbox):
    owner = make_person(app)
    others = [add_member(app, owner.organization_id, Role.STAFF) for _ in range(3)]
    set_choices(app, others[0], payments=False)
    set_choices(app, others[1], fairs=False)
    mailbox.clear()
    with count_queries(app) as statements:
        tell_invoice_paid(app, owner.organization_id)
    assert len([s for s in statements if "email_preferences" in s]) == 1
    assert mailbox.to(others[0].email) == []
    assert all(len(mailbox.to(p.email)) == 1 for p in (owner, others[1], others[2]))


def test_choices_are_saved_audited_and_checked(app):
    person = make_person(app)
    with app.app_context():
        actor = actor_for(person)
        assert all(choice.send for choice in notifications.email_choices(actor))
        notifications.set_email_choices(actor, {"quotes": False, "fairs": True})
        settle()
    with app.app_context():
        actor = actor_for(person)
        chosen = {c.kind.key: c.send for c in notifications.email_choices(actor)}
        assert chosen == dict.fromkeys(notifications.KIND_KEYS, True) | {"quotes": False}
        # Only a kind turned off has a row (no row: sent).
        rows = db.session.scalars(
            select(EmailPreference).where(EmailPreference.user_id == person.id)
        ).all()
        assert [(r.kind, r.send) for r in rows] == [("quotes", False)]
        assert audits("user.email_choices", person.id) == 1
        # Saving the same choices again changes nothing and writes no audit entry.
        notifications.set_email_choices(actor, {"quotes": False})
        with pytest.raises(ValidationFailed):
            notifications.set_email_choices(actor, {"spam": False})
        with pytest.raises(PermissionDenied):
            notifications.email_choices(Actor.system())
        with pytest.raises(PermissionDenied):
            notifications.set_email_choices(Actor.system(), {"quotes": True})
        settle()
    with app.app_context():
        assert audits("user.email_choices", person.id) == 1


# --- the page ---------------------------------------------------------------------------------


def test_the_page_has_a_labelled_checkbox_per_kind_and_is_linked(app, client):
    person = make_person(app)
    set_choices(app, person, deliveries=False)
    login(client, person)
    page = client.get("/account/emails").get_data(as_text=True)
    boxes = re.findall(r'<input type="checkbox"[^>]*name="send" value="(\w+)"([^>]*)>', page)
    assert [value for value, _ in boxes] == list(notifications.KIND_KEYS)
    assert [v for v, rest in boxes if "checked" not in rest] == ["deliveries"]
    assert "Tin nhắn" in page and "Hoá đơn và thanh toán" in page
    assert "Đợt giao hàng đã gửi đi, đã nhận hoặc bị trễ." in page
    for path in ("/account", "/notifications"):
        assert 'href="/account/emails"' in client.get(path).get_data(as_text=True)


def test_saving_the_page_flashes_and_redirects(app, client):
    person = make_person(app)
    login(client, person)
    kept = [k for k in notifications.KIND_KEYS if k not in ("messages", "fairs")]
    response = client.post("/account/emails", data={"send": kept})
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/emails"
    assert flashes(client)[-1] == ("success", "Đã lưu lựa chọn email của bạn.")
    with app.app_context():
        off = set(
            db.session.scalars(
                select(EmailPreference.kind).where(
                    EmailPreference.user_id == person.id, EmailPreference.send.is_(False)
                )
            )
        )
    assert off == {"messages", "fairs"}
    page = client.get("/account/emails").get_data(as_text=True)
    assert 'value="messages" aria-describedby="kind-messages-help">' in page
    # Nothing ticked: every kind off.
    assert client.post("/account/emails", data={}).status_code == 302
    with app.app_context():
        assert all(not c.send for c in notifications.email_choices(actor_for(person)))


def test_anonymous_visitors_are_sent_to_log_in(client):
    for method in ("get", "post"):
        response = getattr(client, method)("/account/emails")
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    "data",
    [
        {"send": "spam"},
        {"send": ["quotes", "../../etc"]},
        {"send": "x" * 5000},
        {"send": "\x00"},
    ],
)
def test_bad_input_is_refused_on_the_page_and_nothing_changes(app, client, data):
    person = make_person(app)
    login(client, person)
    response = client.post("/account/emails", data=data)
    assert response.status_code == 422
    assert "Hãy kiểm tra lại giá trị này." in response.get_data(as_text=True)
    with app.app_context():
        assert all(c.send for c in notifications.email_choices(actor_for(person)))


def test_saving_needs_the_form_token(app):
    csrf_app = create_app(
        make_test_config(app.config["SQLALCHEMY_DATABASE_URI"], WTF_CSRF_ENABLED=True)
    )
    with app.app_context():
        connection = db.engines[None]
    with csrf_app.app_context():
        db.engines[None] = connection
        db.session.configure(join_transaction_mode="create_savepoint")
    person = make_person(app)
    client = csrf_app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    client.post(
        "/login", data={"email": person.email, "password": person.password, "csrf_token": token}
    )
    assert client.post("/account/emails", data={"send": "quotes"}).status_code == 400
    with app.app_context():
        assert all(c.send for c in notifications.email_choices(actor_for(person)))
