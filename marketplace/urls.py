"""Absolute links for emails, built from PUBLIC_BASE_URL so they work outside a request too."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app


def external_url(endpoint: str, **values: Any) -> str:
    base = urlsplit(current_app.config["PUBLIC_BASE_URL"])
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
