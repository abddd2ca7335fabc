"""Email goes through the outbox: a failing mail server never loses the user's change."""

from sqlalchemy import select

from marketplace import create_app, unit_of_work
from marketplace.extensions import db
from marketplace.models import Invitation, Role, User
from marketplace.services import outbox
from marketplace.services.accounts import organizations
from marketplace.services.context import Actor
from tests.factories import free_port, make_person, make_test_config, settle


def test_a_failed_email_is_kept_and_retried_until_it_is_delivered(app, smtp_server):
    owner = make_person(app)
    smtp_server.clear()
    with app.app_context():
        connection = db.engines[None]
    # The same database, with SMTP pointing at a port where no server listens.
    down = create_app(
        make_test_config(
            app.config["SQLALCHEMY_DATABASE_URI"],
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=free_port(),
            SMTP_STARTTLS=False,
            SMTP_TIMEOUT=2,
        )
    )
    with down.app_context():
        db.engines[None] = connection
        db.session.configure(join_transaction_mode="create_savepoint")
        invitation = organizations.invite_member(
            Actor(user=db.session.get_one(User, owner.id)),
            owner.organization_id,
            "f@vidu.vn",
            Role.STAFF,
        )
        assert invitation.id is not None
        # The edge commits, then tries to deliver: the mail server is down, the invitation
        # itself is saved and the email waits.
        assert unit_of_work.deliver(unit_of_work.commit()) == 0
        [message] = outbox.pending("email")
        assert message.attempts == 1 and "ConnectionRefused" in message.last_error
        message_id = message.id
        settle()
    assert smtp_server.to("f@vidu.vn") == []

    # The mail server is back: the worker delivers what was waiting once it is due.
    with app.app_context():
        message = outbox.pending("email")[0]
        from marketplace.models._types import utcnow

        message.next_attempt_at = utcnow()
        db.session.commit()
        assert unit_of_work.deliver_due() == 1
        assert outbox.pending("email") == []
        assert (
            db.session.scalar(select(Invitation).where(Invitation.email == "f@vidu.vn")) is not None
        )
        assert db.session.get(type(message), message_id).delivered_at is not None
    assert len(smtp_server.to("f@vidu.vn")) == 1


def test_back_off_grows_and_is_capped():
    assert outbox._backoff(1).total_seconds() == 10
    assert outbox._backoff(2).total_seconds() == 20
    assert outbox._backoff(30).total_seconds() == 3600
    # Search changes are retried sooner: applying one twice is harmless.
    assert outbox._backoff(30, "search.index").total_seconds() == 30


def test_unknown_topic_stays_pending_with_an_error(app, ctx):
    message = outbox.enqueue("no-such-topic", {"x": 1})
    db.session.commit()
    assert unit_of_work.deliver([message.id]) == 0
    assert "KeyError" in message.last_error and message.delivered_at is None
