"""Simultaneous requests against PostgreSQL with real commits (no rollback isolation)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, text

from marketplace.extensions import db
from marketplace.models import Invitation, Membership, OrgKind, Role, User
from marketplace.services.accounts import accounts, organizations
from marketplace.services.context import Actor
from marketplace.services.errors import InvalidToken, ServiceError, ValidationFailed
from marketplace.tokens import make_token
from tests.factories import (
    PDF_BYTES,
    TEST_PASSWORD,
    add_member,
    application,
    make_person,
    open_fair,
    settle,
    verified_coop,
    verified_organiser,
)

pytestmark = pytest.mark.race


@pytest.fixture(autouse=True)
def _truncate(app):
    yield
    with app.app_context():
        # The category tree is reference data from migration 0003: later tests need it.
        tables = ", ".join(t.name for t in db.metadata.sorted_tables if t.name != "categories")
        db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.session.commit()
        settle()


def run_together(app, n, fn):
    barrier = threading.Barrier(n)

    def worker(i):
        with app.app_context():
            barrier.wait()
            try:
                return ("ok", fn(i))
            except (ValidationFailed, InvalidToken, ServiceError) as exc:
                db.session.rollback()
                return ("refused", type(exc).__name__)
            finally:
                settle()

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(worker, range(n)))


def test_simultaneous_sign_ups_with_one_email_create_one_account(app):
    def sign_up(i):
        accounts.register(
            Actor.system(),
            accounts.SignUp(
                name=f"Người {i}",
                email="trung@vidu.vn" if i % 2 else "TRUNG@vidu.vn",
                phone="",
                password=TEST_PASSWORD,
                organization_kind=OrgKind.COOP,
                organization_name=f"HTX {i}",
            ),
        )
        return i

    results = run_together(app, 6, sign_up)
    assert sorted(r[0] for r in results) == ["ok"] + ["refused"] * 5
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
        assert db.session.scalar(select(func.count()).select_from(Membership)) == 1


def test_one_invitation_accepted_twice_at_once_makes_one_membership(app):
    owner = make_person(app)
    guest = make_person(app, kind=None, email="khach@vidu.vn")
    with app.app_context():
        invitation = organizations.invite_member(
            Actor(user=db.session.get_one(User, owner.id)),
            owner.organization_id,
            guest.email,
            Role.STAFF,
        )
        token = make_token("invitation", {"i": invitation.id})
        settle()

    def accept(_):
        user = db.session.get_one(User, guest.id)
        return organizations.accept_invitation(Actor(user=user), token).id

    results = run_together(app, 4, accept)
    assert [r[0] for r in results].count("ok") >= 1
    with app.app_context():
        count = db.session.scalar(
            select(func.count()).where(
                Membership.user_id == guest.id, Membership.organization_id == owner.organization_id
            )
        )
        assert count == 1
        assert db.session.scalar(select(Invitation.accepted_at)) is not None


def test_one_reset_link_used_twice_at_once_changes_the_password_once(app):
    person = make_person(app)
    with app.app_context():
        user = db.session.get_one(User, person.id)
        token = make_token("password-reset", {"u": user.id, "n": user.session_nonce})
        settle()

    def reset(i):
        accounts.reset_password(Actor.system(), token, f"mat-khau-moi-so-{i}-2026")
        return i

    results = run_together(app, 4, reset)
    winners = [r[1] for r in results if r[0] == "ok"]
    assert len(winners) == 1
    with app.app_context():
        assert accounts.authenticate(
            Actor.system(), person.email, f"mat-khau-moi-so-{winners[0]}-2026"
        )


def test_two_owners_stepping_down_at_once_leave_one_owner(app):
    first = make_person(app)
    second = add_member(app, first.organization_id, Role.OWNER)
    with app.app_context():
        ids = {m.user_id: m.id for m in db.session.scalars(select(Membership))}
        settle()
    people = [first, second]

    def step_down(i):
        me = db.session.get_one(User, people[i].id)
        return organizations.change_role(
            Actor(user=me), first.organization_id, ids[people[i].id], Role.MANAGER
        ).id

    results = run_together(app, 2, step_down)
    assert sorted(r[0] for r in results) == ["ok", "refused"]
    with app.app_context():
        owners = db.session.scalar(
            select(func.count()).where(
                Membership.organization_id == first.organization_id, Membership.role == Role.OWNER
            )
        )
        assert owners == 1


def test_a_certificate_sent_twice_at_once_is_added_once(app):
    from datetime import date

    from marketplace.models import Certificate
    from marketplace.services.accounts import certificates

    owner = make_person(app)
    data = certificates.CertificateData(
        kind="vietgap",
        number="VG-9",
        issuer="Trung tâm",
        issued_on=date(2025, 1, 1),
        expires_on=date(2028, 1, 1),
    )

    def add(_):
        me = db.session.get_one(User, owner.id)
        return certificates.add_certificate(
            Actor(user=me), owner.organization_id, data, PDF_BYTES
        ).id

    results = run_together(app, 3, add)
    assert sorted(r[0] for r in results) == ["ok", "refused", "refused"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1


def test_booths_are_never_promised_twice_under_concurrent_acceptances(app):
    from datetime import timedelta

    from marketplace.models import ApplicationStatus, FairApplication
    from marketplace.services import fairs
    from marketplace.vietnam import today

    organiser = verified_organiser(app)
    coops = [verified_coop(app, organization_name=f"HTX Đua {i}") for i in range(6)]
    fair_id, type_id = open_fair(app, organiser, booths=3)
    with app.app_context():
        application_ids = [
            fairs.apply(
                Actor(user=db.session.get_one(User, c.id)),
                c.organization_id,
                fair_id,
                application(type_id),
            ).id
            for c in coops
        ]
        settle()

    def accept(i):
        me = Actor(user=db.session.get_one(User, organiser.id))
        return fairs.review(me, application_ids[i], "accept").booth_id

    results = run_together(app, 6, accept)
    booths = [r[1] for r in results if r[0] == "ok"]
    assert len(booths) == 3 and len(set(booths)) == 3
    assert sum(r[0] == "refused" for r in results) == 3

    # Payment, expiry and a cancellation racing each other keep the count right.
    with app.app_context():
        held = list(
            db.session.scalars(
                select(FairApplication).where(FairApplication.status == ApplicationStatus.ACCEPTED)
            )
        )
        held_ids = [h.id for h in held]
        due = held[0].fee_due_on
        for refused_id in [i for i in application_ids if i not in held_ids]:
            fairs.review(Actor(user=db.session.get_one(User, organiser.id)), refused_id, "waitlist")
        settle()

    def race(i):
        if i == 0:
            me = Actor(user=db.session.get_one(User, organiser.id))
            return fairs.mark_paid(me, held_ids[0]).status.value
        if i == 1:
            return len(fairs.expire_overdue(fair_id, on=due + timedelta(days=1)))
        me = Actor(user=db.session.get_one(User, organiser.id))
        return fairs.review(me, held_ids[2], "accept").status.value

    run_together(app, 3, race)
    with app.app_context():
        rows = list(
            db.session.scalars(select(FairApplication).where(FairApplication.fair_id == fair_id))
        )
        holding = [
            r for r in rows if r.status in (ApplicationStatus.ACCEPTED, ApplicationStatus.CONFIRMED)
        ]
        assert len(holding) <= 3
        assert len({r.booth_id for r in holding}) == len(holding)
        assert all(r.booth_id is not None for r in holding)
        assert today() <= due


def test_two_co_ops_with_one_name_signing_up_at_once_both_get_in(app):
    def sign_up(i):
        return accounts.register(
            Actor.system(),
            accounts.SignUp(
                name=f"Người {i}",
                email=f"nguoi{i}@vidu.vn",
                phone="",
                password=TEST_PASSWORD,
                organization_kind=OrgKind.COOP,
                organization_name="HTX Trùng Tên",
            ),
        ).id

    results = run_together(app, 4, sign_up)
    assert [r[0] for r in results] == ["ok"] * 4
    with app.app_context():
        from marketplace.models import Organization

        slugs = list(db.session.scalars(select(Organization.slug)))
        assert len(slugs) == 4 and len(set(slugs)) == 4


def test_one_form_token_sent_twice_at_once_passes_once(app):
    from marketplace.web import first_submission

    barrier = threading.Barrier(4)

    def submit(_):
        with app.test_request_context("/", method="POST", data={"submission": "same-token"}):
            barrier.wait()
            try:
                return first_submission()
            finally:
                settle()

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(submit, range(4)))
    assert sorted(results) == [False, False, False, True]
