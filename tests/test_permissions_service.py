"""The permission helpers services rely on, called directly."""

import pytest

from marketplace.extensions import db
from marketplace.models import Role, User
from marketplace.services import admin
from marketplace.services.accounts import accounts, organizations
from marketplace.services.context import Actor
from marketplace.services.errors import NotFound, PermissionDenied
from marketplace.services.permissions import member_of, require_admin
from tests.factories import add_member, make_person


def actor(person) -> Actor:
    return Actor(user=db.session.get_one(User, person.id), ip="127.0.0.1")


def test_require_member_by_role(app):
    owner = make_person(app)
    staff = add_member(app, owner.organization_id, Role.STAFF)
    outsider = make_person(app)
    with app.app_context():
        assert member_of(actor(owner), owner.organization_id, Role.OWNER).role is Role.OWNER
        assert member_of(actor(staff), owner.organization_id).role is Role.STAFF
        with pytest.raises(PermissionDenied):
            member_of(actor(staff), owner.organization_id, Role.MANAGER)
        with pytest.raises(NotFound):
            member_of(actor(outsider), owner.organization_id)
        with pytest.raises(NotFound):
            member_of(actor(owner), 987654)
        with pytest.raises(PermissionDenied):
            member_of(Actor.system(), owner.organization_id)


def test_disabled_user_has_no_rights(app):
    owner = make_person(app, admin=True)
    with app.app_context():
        me = actor(owner)
        me.user.is_enabled = False
        with pytest.raises(PermissionDenied):
            member_of(me, owner.organization_id)
        with pytest.raises(PermissionDenied):
            require_admin(me)


def test_services_refuse_anonymous_and_non_admin_callers(app):
    person = make_person(app)
    with app.app_context():
        with pytest.raises(PermissionDenied):
            accounts.change_password(Actor.system(), "a", "b")
        with pytest.raises(PermissionDenied):
            accounts.update_profile(Actor.system(), name="x", phone="", locale="vi")
        with pytest.raises(PermissionDenied):
            admin.overview(actor(person))
        with pytest.raises(PermissionDenied):
            organizations.accept_invitation(Actor.system(), "token")
        with pytest.raises(NotFound):
            organizations.revoke_invitation(actor(person), person.organization_id, 123456)


def test_admin_overview_counts_and_lists_the_audit_log(app):
    make_person(app)
    boss = make_person(app, kind=None, admin=True)
    with app.app_context():
        overview = admin.overview(actor(boss))
        assert overview.users == 2
        assert overview.organizations_by_kind == {"coop": 1}
        assert {e.action for e in overview.recent} >= {"user.register", "organization.create"}
