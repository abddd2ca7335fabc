"""Home page, language switch, liveness and readiness checks."""

from __future__ import annotations

import hmac
import time

from flask import (
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

from marketplace.blueprints.main import bp
from marketplace.extensions import csrf, limiter
from marketplace.i18n import LANG_COOKIE, LANGUAGES
from marketplace.services import fairs, health
from marketplace.services.accounts import accounts, organizations
from marketplace.services.catalogue import categories, listings
from marketplace.urls import is_safe_next
from marketplace.web import current_actor


@bp.route("/")
def home():
    locale = str(get_locale())
    return render_template(
        "main/home.html",
        newest_coops=organizations.newest_verified_coops(6),
        product_sections=_product_sections(locale),
        categories=categories.tree(),
        upcoming_fairs=fairs.upcoming_fairs(6),
        locale=locale,
    )


def _product_sections(locale: str) -> Markup:
    """Rendered product cards per language, kept for HOME_CACHE_SECONDS.

    The two listing queries and fourteen cards are most of the home page's cost, and a few
    seconds before a new listing shows there is fine. Kept per app in each worker process;
    nothing user-specific is in them.
    """
    ttl = current_app.config.get("HOME_CACHE_SECONDS", 30)
    now = time.monotonic()
    cache = current_app.extensions.setdefault("home_product_cache", {})
    cached = cache.get(locale)
    if ttl and cached and now - cached[0] < ttl:
        return cached[1]
    sections = listings.home_listings()
    html = Markup(  # noqa: S704 - the output of an autoescaping template
        render_template(
            "main/_products.html", featured=sections.featured, recent=sections.new, locale=locale
        )
    )
    if ttl:
        cache[locale] = (now, html)
    return html


@bp.route("/lang", methods=["POST"])
def set_language():
    lang = request.form.get("lang", "")
    target = request.form.get("next")
    response = make_response(redirect(target if is_safe_next(target) else url_for("main.home")))
    if lang in LANGUAGES:
        accounts.set_locale(current_actor(), lang)
        response.set_cookie(
            LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True
        )
    return response


@bp.route("/healthz")
@limiter.exempt
@csrf.exempt
def healthz():
    """Liveness: the process answers. Touches no database, storage or search engine."""
    return jsonify({"status": "ok"})


def _health_limit() -> str:
    return current_app.config["HEALTH_RATE_LIMIT"]


def _sees_health_details() -> bool:
    if current_user.is_authenticated and current_user.is_admin:
        return True
    token = current_app.config.get("HEALTH_TOKEN")
    given = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(
        given.encode("utf-8", "replace"), f"Bearer {token}".encode()
    )


@bp.route("/readyz")
@limiter.limit(_health_limit)
@csrf.exempt
def readyz():
    """Readiness: database, storage and search. Everyone gets the status code and whether the
    app is ready; only a platform admin or the HEALTH_TOKEN bearer sees each dependency."""
    ready, report = health.check_all()
    body = report if _sees_health_details() else {"status": report["status"]}
    return jsonify(body), 200 if ready else 503
