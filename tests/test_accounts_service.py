"""Unit tests of the account use cases (services called directly)."""

import time

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import AuditEntry, Membership, Organization, OrgKind, Role, User
from marketplace.services.accounts import accounts
from marketplace.services.context import Actor
from marketplace.services.errors import InvalidToken, ValidationFailed
from marketplace.tokens import make_token
from tests.factories import TEST_PASSWORD

ACTOR = Actor(user=None, ip="203.0.113.7")


def signup(**overrides) -> accounts.SignUp:
    values = {
        "name": "  Vàng   A Sính ",
        "email": "Sinh.Vang@VIDU.vn",
        "phone": "0912 345 678",
        "password": TEST_PASSWORD,
        "organization_kind": OrgKind.COOP,
        "organization_name": "HTX Sâm Lai Châu",
    }
    values.update(overrides)
    return accounts.SignUp(**values)


def test_register_creates_user_organisation_owner_membership_and_audit(ctx):
    user = accounts.register(ACTOR, signup())
    assert user.email == "sinh.vang@vidu.vn"
    assert user.name == "Vàng A Sính"
    assert user.phone == "+84912345678"
    assert user.password_hash.startswith("scrypt:") and TEST_PASSWORD not in user.password_hash
    membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
    assert membership.role is Role.OWNER
    assert membership.organization.kind is OrgKind.COOP
    assert membership.organization.name_folded == "htx sam lai chau"
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.actor_id == user.id).order_by(AuditEntry.id)
    ).all()
    assert actions == ["user.register", "organization.create"]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.register"))
    assert entry.ip == "203.0.113.7" and entry.object_id == str(user.id)


def test_email_is_unique_case_insensitively(ctx):
    accounts.register(ACTOR, signup())
    with pytest.raises(ValidationFailed) as exc:
        accounts.register(ACTOR, signup(email="SINH.vang@vidu.VN", organization_name="Khác"))
    assert set(exc.value.errors) == {"email"}
    assert db.session.scalar(select(func.count()).select_from(Organization)) == 1


def test_buyer_needs_a_buyer_type(ctx):
    with pytest.raises(ValidationFailed) as exc:
        accounts.register(ACTOR, signup(organization_kind=OrgKind.BUYER))
    assert "buyer_type" in exc.value.errors


def test_all_problems_are_reported_at_once(ctx):
    with pytest.raises(ValidationFailed) as exc:
        accounts.register(
            ACTOR, signup(name=" ", email="x@", phone="123", password="abc", organization_name="")
        )
    assert set(exc.value.errors) == {"name", "email", "phone", "password", "organization_name"}
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_authenticate(ctx):
    accounts.register(ACTOR, signup())
    assert accounts.authenticate(ACTOR, "SINH.VANG@vidu.vn", TEST_PASSWORD) is not None
    assert accounts.authenticate(ACTOR, "sinh.vang@vidu.vn", "wrong-password-1") is None
    assert accounts.authenticate(ACTOR, "nobody@vidu.vn", TEST_PASSWORD) is None
    failures = db.session.scalar(
        select(func.count()).where(AuditEntry.action == "user.login_failed")
    )
    assert failures == 2


def test_disabled_account_cannot_log_in(ctx):
    user = accounts.register(ACTOR, signup())
    user.is_enabled = False
    db.session.commit()
    assert accounts.authenticate(ACTOR, user.email, TEST_PASSWORD) is None


def test_reset_token_works_once_and_rotates_the_session(ctx):
    user = accounts.register(ACTOR, signup())
    old_nonce = user.session_nonce
    token = make_token("password-reset", {"u": user.id, "n": user.session_nonce})
    accounts.reset_password(ACTOR, token, "mot-mat-khau-moi-2026")
    assert user.session_nonce != old_nonce
    assert accounts.authenticate(ACTOR, user.email, "mot-mat-khau-moi-2026") is not None
    with pytest.raises(InvalidToken) as exc:
        accounts.reset_password(ACTOR, token, "mat-khau-khac-nua-2026")
    assert exc.value.reason == "used"


def test_reset_token_tampered_or_for_another_purpose_is_invalid(ctx):
    user = accounts.register(ACTOR, signup())
    token = make_token("password-reset", {"u": user.id, "n": user.session_nonce})
    for bad in [token[:-2] + "xx", make_token("invitation", {"u": user.id}), "", "a" * 5000]:
        with pytest.raises(InvalidToken) as exc:
            accounts.user_for_reset_token(bad)
        assert exc.value.reason == "invalid"


def test_reset_token_expires(app, ctx):
    user = accounts.register(ACTOR, signup())
    token = make_token("password-reset", {"u": user.id, "n": user.session_nonce})
    app.config["PASSWORD_RESET_MAX_AGE"] = 1
    try:
        time.sleep(2.1)
        with pytest.raises(InvalidToken) as exc:
            accounts.user_for_reset_token(token)
        assert exc.value.reason == "expired"
    finally:
        app.config["PASSWORD_RESET_MAX_AGE"] = 3600


def test_reset_refuses_a_weak_password(ctx):
    user = accounts.register(ACTOR, signup())
    token = make_token("password-reset", {"u": user.id, "n": user.session_nonce})
    with pytest.raises(ValidationFailed) as exc:
        accounts.reset_password(ACTOR, token, "123")
    assert "password" in exc.value.errors


def test_change_password_checks_the_current_one(ctx):
    user = accounts.register(ACTOR, signup())
    me = Actor(user=user, ip="127.0.0.1")
    with pytest.raises(ValidationFailed) as exc:
        accounts.change_password(me, "not-my-password", "mat-khau-moi-hon-2026")
    assert "current_password" in exc.value.errors
    accounts.change_password(me, TEST_PASSWORD, "mat-khau-moi-hon-2026")
    assert accounts.authenticate(ACTOR, user.email, "mat-khau-moi-hon-2026") is not None


def test_update_profile_validates_and_audits_what_changed(ctx):
    user = accounts.register(ACTOR, signup())
    me = Actor(user=user, ip="127.0.0.1")
    with pytest.raises(ValidationFailed) as exc:
        accounts.update_profile(me, name="", phone="0000", locale="fr")
    assert set(exc.value.errors) == {"name", "phone", "locale"}
    accounts.update_profile(me, name="Vàng A Sính", phone="", locale="en")
    assert user.phone is None and user.locale == "en"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.profile_update"))
    assert entry.details == {"phone": True, "locale": True}


def test_create_admin_creates_or_promotes(ctx):
    admin = accounts.create_admin(
        Actor.system(), email="Admin@Vidu.vn", name="Quản trị", password=TEST_PASSWORD
    )
    assert admin.is_admin and admin.email == "admin@vidu.vn"
    user = accounts.register(ACTOR, signup())
    promoted = accounts.create_admin(
        Actor.system(), email=user.email, name=user.name, password=TEST_PASSWORD
    )
    assert promoted.id == user.id and promoted.is_admin


def test_production_hashes_use_full_scrypt_cost(tmp_path, monkeypatch):
    from marketplace import create_app

    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    app = create_app({"TESTING": True})
    with app.app_context():
        hashed = accounts.hash_password("mot-mat-khau-dai-2026")
    assert hashed.startswith("scrypt:32768:8:1$")
