"""Absolute links (emails, QR codes, share tags), built from the site's address so they work
outside a request too."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request


def public_base_url() -> str:
    """The site's address, ending in ``/``.

    PUBLIC_BASE_URL when it is set (always, in production: the app refuses to start without it,
    and a request's Host header, which the client chooses, never decides the links there).
    Outside production without it: the host and port the current request came in on, so a
    laptop serving on another port or address links to itself; outside a request (worker,
    CLI) the address ``flask run`` was given (LOCAL_BASE_URL).
    """
    config = current_app.config
    configured = config.get("PUBLIC_BASE_URL")
    if not configured:
        if config.get("ENV_NAME") != "production" and has_request_context():
            configured = request.url_root
        else:
            configured = config.get("LOCAL_BASE_URL") or "http://127.0.0.1:5000"
    return configured.rstrip("/") + "/"


def external_url(endpoint: str, **values: Any) -> str:
    base = urlsplit(public_base_url())
    adapter = current_app.url_map.bind(
        base.netloc, url_scheme=base.scheme or "https", script_name=base.path or "/"
    )
    return adapter.build(endpoint, values, force_external=True)


def url_path(endpoint: str, **values: Any) -> str:
    """The path of an endpoint (for links stored in the database), outside a request too."""
    return urlsplit(external_url(endpoint, **values)).path


def is_safe_next(target: str | None) -> bool:
    """Only same-site relative paths may be used as a redirect target after login."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(c) < 32 for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc
