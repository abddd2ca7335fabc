"""Health of each configured dependency, for /healthz."""

from __future__ import annotations

import time
from typing import Any

from flask import current_app
from sqlalchemy import text

from marketplace.extensions import db
from marketplace.storage import StorageError


def check_database() -> dict[str, Any]:
    started = time.perf_counter()
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        db.session.rollback()
        return {"status": "down", "error": type(exc).__name__}
    return {"status": "ok", "ms": round((time.perf_counter() - started) * 1000, 1)}


def check_storage() -> dict[str, Any]:
    storage = current_app.extensions["storage"]
    try:
        storage.check()
    except StorageError as exc:
        return {"status": "down", "backend": storage.name, "error": str(exc)[:200]}
    return {"status": "ok", "backend": storage.name}


def check_search() -> dict[str, Any]:
    """ "degraded" (not "down") when the engine fails: the database answers searches."""
    return current_app.extensions["search"].health()


def check_all() -> tuple[bool, dict[str, Any]]:
    """(healthy, per-dependency report). A degraded search engine leaves the app healthy."""
    checks = {"database": check_database(), "storage": check_storage(), "search": check_search()}
    healthy = all(c["status"] in ("ok", "degraded") for c in checks.values())
    degraded = any(c["status"] == "degraded" for c in checks.values())
    status = "down" if not healthy else "degraded" if degraded else "ok"
    return healthy, {"status": status, "checks": checks}
