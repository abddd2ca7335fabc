"""Use cases for people's accounts: sign up, log in, passwords, profile, language, admins."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from marketplace.extensions import db
from marketplace.models import BuyerType, Membership, Organization, OrgKind, Role, User
from marketplace.models._types import utcnow
from marketplace.models.accounts import new_session_nonce
from marketplace.search.folding import fold
from marketplace.services import audit
from marketplace.services.context import Actor
from marketplace.services.errors import InvalidToken, ValidationFailed
from marketplace.services.locking import lock
from marketplace.services.notifications import queue_email
from marketplace.services.permissions import require_login
from marketplace.services.slugs import slugify, unique_organization_slug
from marketplace.tokens import make_token, read_token
from marketplace.urls import external_url
from marketplace.validation import (
    InvalidValue,
    check_password_strength,
    normalise_email,
    normalise_vn_phone,
)

LOCALES = ("vi", "en")
# Hashing a password no one has, so a log-in for an unknown email costs the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password-ever")


def hash_password(password: str) -> str:
    # scrypt (Werkzeug's default, n=2^15), a memory-hard KDF; no extra dependency needed.
    # The test suite sets a cheaper cost through PASSWORD_HASH_METHOD; the stored hash
    # carries its own parameters, so checking works whatever the current setting.
    return generate_password_hash(
        password, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    )


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == (email or "").strip().lower()))


@dataclass(frozen=True)
class SignUp:
    name: str
    email: str
    phone: str
    password: str
    locale: str = "vi"
    #: What the person represents; None when joining through an invitation.
    organization_kind: OrgKind | None = None
    organization_name: str = ""
    buyer_type: BuyerType | None = None


def _validate_person(name: str, email: str, phone: str, errors: dict[str, object]) -> tuple:
    clean_name = " ".join((name or "").split())
    if not clean_name:
        errors["name"] = _l("Enter your full name.")
    clean_email = ""
    try:
        clean_email = normalise_email(email)
    except InvalidValue as exc:
        errors["email"] = exc.message
    clean_phone = None
    if phone and phone.strip():
        try:
            clean_phone = normalise_vn_phone(phone)
        except InvalidValue as exc:
            errors["phone"] = exc.message
    return clean_name, clean_email, clean_phone


class EmailTaken(ValidationFailed):
    """The email already has an account (checked only once the rest of the input is good)."""

    def __init__(self):
        super().__init__(
            {"email": _l("An account with this email already exists. Log in instead.")}
        )


# A sign-up's "continue to your account" link works this long, and once.
SIGN_UP_LINK_MAX_AGE = 2 * 24 * 3600


def sign_up(actor: Actor, data: SignUp) -> None:
    """Sign up from the public form without telling anyone whether the email has an account.

    A new email gets its account and organisation (see ``register``) and an email with a
    link that continues to it; an email that already has an account gets nothing new, and
    its owner is emailed that someone tried to sign up with it (log in or reset instead).
    Both go out after the answer, so the answer and its timing are the same either way.
    Raises ValidationFailed for bad input (never for a taken email).
    """
    try:
        user = register(actor, data)
    except EmailTaken:
        hash_password(data.password)  # the same work as a real sign-up, so timing says nothing
        owner = find_user_by_email(normalise_email(data.email))
        if owner is not None and owner.is_active:
            queue_email(
                owner.email,
                "sign_up_existing",
                owner.locale,
                _l("Someone tried to sign up with your email"),
                user=owner,
                login_link=external_url("auth.login"),
                reset_link=external_url("auth.forgot_password"),
            )
        audit.record(actor, "user.sign_up_existing_email", "user", owner.id if owner else None)
        db.session.flush()
        return
    token = make_token("sign-up", {"u": user.id, "n": user.session_nonce})
    queue_email(
        user.email,
        "sign_up_continue",
        user.locale,
        _l("Continue to your Chợ HTX account"),
        user=user,
        link=external_url("auth.continue_sign_up", token=token),
        hours=SIGN_UP_LINK_MAX_AGE // 3600,
    )


def user_for_sign_up_token(token: str) -> User:
    """The user a sign-up link was made for; raises InvalidToken(expired|invalid|used)."""
    payload = read_token("sign-up", token, max_age=SIGN_UP_LINK_MAX_AGE)
    user = db.session.get(User, payload.get("u")) if isinstance(payload.get("u"), int) else None
    if user is None or not user.is_active:
        raise InvalidToken("invalid")
    if payload.get("n") != user.session_nonce:
        raise InvalidToken("used")
    return user


def continue_sign_up(actor: Actor, token: str) -> User:
    """Log in through a sign-up link. The link works once: the nonce rotates (which ends
    no other session worth keeping, the account being new)."""
    user_id = user_for_sign_up_token(token).id
    lock(User, user_id)
    user = user_for_sign_up_token(token)
    user.session_nonce = new_session_nonce()
    user.last_login_at = utcnow()
    audit.record(Actor(user=user, ip=actor.ip), "user.login", "user", user.id)
    db.session.flush()
    return user


def _sign_up_checked(data: SignUp) -> tuple[dict[str, object], tuple]:
    """Every problem with a sign-up's input at once (field → message), and the cleaned name,
    email, phone and organisation name. Reads nothing from the database."""
    errors: dict[str, object] = {}
    name, email, phone = _validate_person(data.name, data.email, data.phone, errors)
    try:
        check_password_strength(data.password or "", email=email or None)
    except InvalidValue as exc:
        errors["password"] = exc.message
    org_name = " ".join((data.organization_name or "").split())
    if data.organization_kind is not None:
        if not org_name:
            errors["organization_name"] = _l("Enter the name of your organisation.")
        if data.organization_kind is OrgKind.BUYER and data.buyer_type is None:
            errors["buyer_type"] = _l("Choose what kind of buyer you are.")
    return errors, (name, email, phone, org_name)


def sign_up_problems(data: SignUp) -> dict[str, object]:
    """What ``register`` would refuse in this input, all of it: for a form that already
    found a problem of its own, so that the person sees everything on the first try."""
    return _sign_up_checked(data)[0]


def register(actor: Actor, data: SignUp) -> User:
    """Create an account and, unless joining by invitation, the organisation it represents.

    The new user owns the new organisation. Raises ValidationFailed (field → message) for
    bad input, and EmailTaken (a ValidationFailed) for an email that is already registered
    — also when two sign-ups for the same email race each other.
    """
    errors, (name, email, phone, org_name) = _sign_up_checked(data)
    if errors:
        raise ValidationFailed(errors)
    if find_user_by_email(email) is not None:
        raise EmailTaken()

    user = User(
        email=email,
        name=name,
        phone=phone,
        password_hash=hash_password(data.password),
        locale=data.locale if data.locale in LOCALES else "vi",
    )
    try:
        # A savepoint: a refused insert leaves the caller's unit of work usable.
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError as exc:  # another sign-up with this email committed first
        raise EmailTaken() from exc
    acting = Actor(user=user, ip=actor.ip)
    audit.record(acting, "user.register", "user", user.id)
    if data.organization_kind is not None:
        organization = _new_organization(data, org_name)
        db.session.add(Membership(user=user, organization=organization, role=Role.OWNER))
        audit.record(
            acting,
            "organization.create",
            "organization",
            organization.id,
            organization_id=organization.id,
            details={"kind": organization.kind.value, "name": organization.name},
        )
    db.session.flush()
    return user


def _new_organization(data: SignUp, org_name: str) -> Organization:
    """The new organisation, under a slug no other one has."""
    organization = Organization(
        kind=data.organization_kind,
        buyer_type=data.buyer_type if data.organization_kind is OrgKind.BUYER else None,
        name=org_name,
        name_folded=fold(org_name),
        slug=unique_organization_slug(org_name),
    )
    try:
        with db.session.begin_nested():
            db.session.add(organization)
    except IntegrityError:
        # Another organisation took the same slug a moment ago: a random suffix, which
        # cannot collide again in practice.
        organization.slug = f"{slugify(org_name)}-{secrets.token_hex(3)}"
        with db.session.begin_nested():
            db.session.add(organization)
    return organization


def authenticate(actor: Actor, email: str, password: str) -> User | None:
    """The user whose email and password match, or None. Failures are audited."""
    user = find_user_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        audit.record(actor, "user.login_failed", "user", None, details={"email": email[:254]})
        db.session.flush()
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.is_active:
        audit.record(actor, "user.login_failed", "user", user.id)
        db.session.flush()
        return None
    user.last_login_at = utcnow()
    audit.record(Actor(user=user, ip=actor.ip), "user.login", "user", user.id)
    db.session.flush()
    return user


def record_logout(actor: Actor) -> None:
    """End the acting user's sessions: rotating the nonce makes every session and
    remember-me cookie made before it (including copies of this one) worthless."""
    if actor.user is not None:
        actor.user.session_nonce = new_session_nonce()
        audit.record(actor, "user.logout", "user", actor.user.id)
        db.session.flush()


def request_password_reset(actor: Actor, email: str) -> None:
    """Email a reset link if the address has an account. Says nothing either way, so the
    form cannot be used to find out who has an account; the email goes out after the
    answer (like every outgoing message), so timing says nothing either."""
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        return
    token = make_token("password-reset", {"u": user.id, "n": user.session_nonce})
    queue_email(
        user.email,
        "password_reset",
        user.locale,
        _l("Reset your Chợ HTX password"),
        user=user,
        link=external_url("auth.reset_password", token=token),
        minutes=current_app.config["PASSWORD_RESET_MAX_AGE"] // 60,
    )
    audit.record(actor, "user.password_reset_requested", "user", user.id)
    db.session.flush()


def user_for_reset_token(token: str) -> User:
    """The user a reset token was made for; raises InvalidToken(expired|invalid|used)."""
    payload = read_token(
        "password-reset", token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"]
    )
    user = db.session.get(User, payload.get("u")) if isinstance(payload.get("u"), int) else None
    if user is None or not user.is_active:
        raise InvalidToken("invalid")
    # The nonce changes when the password does, so a link works only once.
    if payload.get("n") != user.session_nonce:
        raise InvalidToken("used")
    return user


def reset_password(actor: Actor, token: str, new_password: str) -> User:
    """Set a new password from a reset link; every other session is logged out."""
    user_id = user_for_reset_token(token).id
    # Lock the row and reload it, then check the token again: two submissions of the same
    # link must not both succeed.
    lock(User, user_id)
    user = user_for_reset_token(token)
    _set_password(user, new_password, field="password")
    audit.record(Actor(user=user, ip=actor.ip), "user.password_reset", "user", user.id)
    db.session.flush()
    return user


def _set_password(user: User, new_password: str, *, field: str) -> None:
    """Check and store a new password; rotating the nonce ends every other session."""
    try:
        check_password_strength(new_password, email=user.email)
    except InvalidValue as exc:
        raise ValidationFailed({field: exc.message}) from exc
    user.password_hash = hash_password(new_password)
    user.session_nonce = new_session_nonce()


def change_password(actor: Actor, current_password: str, new_password: str) -> User:
    """Change the acting user's password after checking the current one."""
    user = require_login(actor)
    if not check_password_hash(user.password_hash, current_password or ""):
        raise ValidationFailed({"current_password": _l("Your current password is not right.")})
    _set_password(user, new_password, field="new_password")
    audit.record(actor, "user.password_change", "user", user.id)
    db.session.flush()
    return user


def update_profile(actor: Actor, *, name: str, phone: str, locale: str) -> User:
    """Change the acting user's name, phone and language."""
    user = require_login(actor)
    errors: dict[str, object] = {}
    clean_name, _, clean_phone = _validate_person(name, user.email, phone, errors)
    if locale not in LOCALES:
        errors["locale"] = _l("Choose Tiếng Việt or English.")
    if errors:
        raise ValidationFailed(errors)
    changed = {
        field: True
        for field, old, new in (
            ("name", user.name, clean_name),
            ("phone", user.phone, clean_phone),
            ("locale", user.locale, locale),
        )
        if old != new
    }
    user.name, user.phone, user.locale = clean_name, clean_phone, locale
    if changed:
        audit.record(actor, "user.profile_update", "user", user.id, details=changed)
    db.session.flush()
    return user


def set_locale(actor: Actor, locale: str) -> None:
    """Remember the acting user's language (visitors keep theirs in a cookie)."""
    if locale not in LOCALES:
        raise ValidationFailed({"lang": _l("Choose Tiếng Việt or English.")})
    if actor.user is not None and actor.user.locale != locale:
        actor.user.locale = locale
        db.session.flush()


def create_admin(actor: Actor, *, email: str, name: str, password: str) -> User:
    """Make a platform admin: a new account, or promote the existing one with that email."""
    errors: dict[str, object] = {}
    clean_name, clean_email, _ = _validate_person(name, email, "", errors)
    try:
        check_password_strength(password, email=clean_email or None)
    except InvalidValue as exc:
        errors["password"] = exc.message
    if errors:
        raise ValidationFailed(errors)
    user = find_user_by_email(clean_email)
    if user is None:
        user = User(email=clean_email, name=clean_name, password_hash=hash_password(password))
        db.session.add(user)
    else:
        user.password_hash = hash_password(password)
        user.session_nonce = new_session_nonce()
    user.is_admin = True
    db.session.flush()
    audit.record(actor, "user.make_admin", "user", user.id)
    db.session.flush()
    return user


def count_users() -> int:
    return db.session.scalar(select(func.count()).select_from(User)) or 0
