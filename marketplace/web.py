"""Glue between HTTP and services: the logged-in user, the acting user, navigation."""

from __future__ import annotations

import secrets

from flask import Flask, abort, g, has_request_context, request, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.routing import IntegerConverter
from werkzeug.wrappers import Response

from marketplace.extensions import db, login_manager
from marketplace.field_labels import field_label
from marketplace.models import OrgKind, Role, User
from marketplace.services.context import Actor
from marketplace.services.errors import NotFound, PermissionDenied
from marketplace.urls import external_url, public_base_url
from marketplace.validation import MAX_DB_INT, small_int
from marketplace.vietnam import today


def current_actor() -> Actor:
    user = current_user._get_current_object() if current_user.is_authenticated else None
    return Actor(user=user, ip=request.remote_addr)


def call_or_abort(fn, *args, **kwargs):
    """Run a service; NotFound → 404, PermissionDenied → 403."""
    try:
        return fn(*args, **kwargs)
    except NotFound:
        abort(404)
    except PermissionDenied:
        abort(403)


def member_view(organization_id: int, kind: OrgKind | None = None, min_role: Role = Role.STAFF):
    """(organisation, membership) by the services' one loader (``permissions.member_of``),
    for a page that shows an organisation to its members: 404 for anyone else, 403 for a
    member below ``min_role``."""
    from marketplace.services.permissions import member_of

    membership = call_or_abort(member_of, current_actor(), organization_id, min_role, kind)
    return membership.organization, membership


SUBMISSION_FIELD = "submission"


def new_submission_token() -> str:
    """A fresh token for a create form; every render (first or after an error) gets its own."""
    return secrets.token_urlsafe(24)


def first_submission() -> bool:
    """True the first time this form's token arrives; False for a second click on the same form.

    The token is recorded in its own short transaction before the use case runs, so two
    simultaneous copies of one submission cannot both pass. Forms without a token (older
    pages, API clients) are let through.
    """
    from sqlalchemy.exc import IntegrityError

    from marketplace.models import FormSubmission

    token = (request.form.get(SUBMISSION_FIELD) or "").strip()[:48]
    if not token:
        return True
    # Its own short transaction, committed here; nothing else is in it yet (the use case
    # runs after), and whatever the request queues later is handed over by the edge.
    db.session.add(FormSubmission(token=token))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


def prune_submissions(older_than_days: int = 2) -> int:
    """Forget tokens of forms sent more than ``older_than_days`` ago (run by the worker)."""
    from datetime import timedelta

    from sqlalchemy import delete

    from marketplace.models import FormSubmission
    from marketplace.models._types import utcnow

    result = db.session.execute(
        delete(FormSubmission).where(
            FormSubmission.created_at < utcnow() - timedelta(days=older_than_days)
        )
    )
    db.session.commit()
    return result.rowcount or 0


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    if g.get("database_away"):  # answering "back in a moment" without the database
        return None
    user_id, _, nonce = (session_id or "").partition(":")
    if small_int(user_id) is None or not nonce:
        return None
    user = db.session.get(User, small_int(user_id))
    # A password change rotates the nonce, ending sessions and remember-me cookies elsewhere.
    if user is None or user.session_nonce != nonce:
        return None
    return user


class BoundedIntConverter(IntegerConverter):
    """<int:…> in URLs, refusing (404) numbers too large for an INTEGER column, which the
    database would otherwise answer with an error."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_DB_INT)
        super().__init__(url_map, *args, **kwargs)


def register_request_hooks(app: Flask) -> None:
    # Before any blueprint registers its rules, so every <int:…> is bounded.
    app.url_map.converters["int"] = BoundedIntConverter
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    register_context(app)

    @app.after_request
    def no_store_for_private_pages(response: Response) -> Response:
        # Read from the session cookie, not the user row: the unit of work has ended by now
        # (reloading the user would be one more query, and fails while the database is away).
        if g.get("database_away"):
            response.headers.setdefault("Cache-Control", "no-store")
        elif session.get("_user_id"):
            response.headers.setdefault("Cache-Control", "private, no-store")
        return response


def media_url(key: str) -> str:
    """The public URL of a stored public file (local /media/… or the S3 public base)."""
    from flask import current_app

    return current_app.extensions["storage"].public_url(key)


def absolute_media_url(key: str) -> str:
    """media_url, made absolute for links shared outside the site (Open Graph)."""
    from urllib.parse import urljoin, urlsplit

    url = media_url(key)
    if urlsplit(url).scheme:  # already absolute (an S3 or CDN address)
        return url
    # The site's address (in production the configured one, never the request's Host header).
    return urljoin(public_base_url(), url.lstrip("/"))


def share_image_url(key_prefix: str) -> str:
    """The absolute address of a public image's JPEG link preview (og:image), 1200×630."""
    return external_url("media.share_image", key_prefix=key_prefix)


def excerpt(text: str | None, limit: int = 200) -> str:
    """``text`` on one line, cut at the last whole word within ``limit`` characters and then
    ended with "…" (page descriptions and share cards)."""
    words = " ".join((text or "").split())
    if len(words) <= limit:
        return words
    cut = words[: limit - 1]
    if words[limit - 1] != " " and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.-–—") + "…"


def register_context(app: Flask) -> None:
    from marketplace.form_problems import field_shown, form_problems

    app.jinja_env.globals["media_url"] = media_url
    app.jinja_env.globals["vn_today"] = today
    app.jinja_env.globals["field_label"] = field_label
    app.jinja_env.globals["external_url"] = external_url
    app.jinja_env.globals["new_submission_token"] = new_submission_token
    app.jinja_env.globals["absolute_media_url"] = absolute_media_url
    app.jinja_env.globals["share_image_url"] = share_image_url
    app.jinja_env.filters["excerpt"] = excerpt
    app.jinja_env.globals["form_problems"] = form_problems
    app.jinja_env.globals["field_shown"] = field_shown

    @app.context_processor
    def navigation() -> dict:
        """Memberships for the role-aware navigation (co-op, buyer, organiser links)."""
        if not has_request_context() or g.get("database_away") or not current_user.is_authenticated:
            return {
                "nav_memberships": [],
                "unread_notifications": 0,
                "payout_accounts_missing": [],
            }
        from marketplace.services.accounts.organizations import memberships_of
        from marketplace.services.inbox import unread_count

        memberships = memberships_of(current_user)
        return {
            "nav_memberships": memberships,
            "unread_notifications": unread_count(current_user),
            "payout_accounts_missing": payout_accounts_missing(memberships),
        }


def payout_accounts_missing(memberships: list) -> list[tuple[object, bool]]:
    """(membership, may add it) for each of the user's co-ops and fair organisers that has no
    bank account for buyers' transfers yet, from the memberships the navigation already
    loaded (no query of its own). Left out on the pages where the account is being added."""
    if request.endpoint == "payments.bank_account" or (
        request.endpoint == "onboarding.step"
        and (request.view_args or {}).get("step_key") == "bank"
    ):
        return []
    return [
        (m, m.role.at_least(Role.MANAGER))
        for m in memberships
        if m.organization.is_payee and not m.organization.has_bank_account
    ]


def private_file(key: str | None) -> Response:
    """A redirect to a short-lived signed URL of a private stored file (404 without one)."""
    from flask import current_app, redirect

    if not key:
        abort(404)
    storage = current_app.extensions["storage"]
    return redirect(
        storage.presigned_url(key, expires_in=current_app.config["PRIVATE_URL_MAX_AGE"])
    )
