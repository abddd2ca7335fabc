"""Translated error pages (HTML) and JSON errors for machine clients."""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger("marketplace.errors")


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path in ("/healthz", "/readyz")


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Bad request"), _("The request could not be understood. Go back and try again.")),
        403: (_("Not allowed"), _("You do not have permission to do this.")),
        404: (_("Page not found"), _("The page you are looking for does not exist or has moved.")),
        405: (_("Not allowed"), _("This page cannot be used that way.")),
        413: (_("File too large"), _("What you sent is larger than allowed.")),
        429: (
            _("Too many attempts"),
            _("You have tried too many times. Wait a few minutes and try again."),
        ),
        503: (
            _("Back in a moment"),
            _(
                "We could not reach our database for a moment. Nothing was changed; try again in a "
                "few seconds."
            ),
        ),
        500: (
            _("Something went wrong"),
            _("Sorry, there was a problem on our side. Your data is safe; try again shortly."),
        ),
    }


#: Seconds a client is asked to wait before trying again while the database is away.
RETRY_AFTER_SECONDS = 5


def is_database_away(exc: BaseException) -> bool:
    """The database could not be reached or dropped the connection (a restart, a failover).

    Only that: a deadlock, a lock timeout or a serialisation failure is an error of ours
    (logged with its traceback as a 500), not a reason to ask the client to come back.
    """
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated or isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    # Connection failures carry no SQLSTATE, or one of class 08 (connection exception) or
    # 57P (operator intervention: shutdown, crash, cannot connect now).
    state = getattr(exc.orig, "sqlstate", None)
    return state is None or state.startswith(("08", "57P"))


def database_away(exc: BaseException):
    """503 with Retry-After, so browsers, API clients and Stripe's webhook deliveries try
    again; the connection pool (``pool_pre_ping``) reconnects by itself once it is back."""
    g.database_away = True  # what renders this answer must not read the database again
    log.warning(
        "database unavailable on %s %s: %s", request.method, request.path, type(exc).__name__
    )
    try:
        from marketplace.extensions import db

        db.session.rollback()
    except Exception:  # noqa: BLE001, S110 - the page must answer while the database is away
        pass
    title, message = _messages()[503]
    if _wants_json():
        body = jsonify({"error": {"code": 503, "message": message}})
    else:
        body = render_template("errors/unavailable.html", title=title, message=message)
    response = make_response(body, 503)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _documented_api() -> bool:
    """A path of the documented API, whose errors are problem documents (the older search
    API keeps its own shape)."""
    return request.path.startswith("/api/v1/") and not request.path.startswith("/api/v1/search")


def render_error(code: int, detail: str | None = None):
    title, message = _messages().get(code, (str(code), ""))
    if _documented_api():
        from marketplace.blueprints.api.core import problem

        return problem(code, detail or message)
    if _wants_json():
        return jsonify({"error": {"code": code, "message": detail or message}}), code
    return render_template(
        "errors/error.html", code=code, title=title, message=detail or message
    ), code


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return render_error(
            400, _("This form has expired or was not sent from this site. Reload and try again.")
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = exc.code or 500
        if code < 400:
            return exc
        if code == 500:
            return internal_error(exc)
        return render_error(code if code in _messages() else code)

    @app.errorhandler(DBAPIError)
    def database_error(exc: DBAPIError):
        if is_database_away(exc):
            return database_away(exc)
        return internal_error(exc)

    @app.errorhandler(InternalServerError)
    def internal_error(exc: Exception):
        log.error("internal error on %s %s", request.method, request.path, exc_info=exc)
        try:
            from marketplace.extensions import db

            db.session.rollback()
        except Exception:  # noqa: BLE001, S110 - the error page must render regardless
            pass
        return render_error(500)
