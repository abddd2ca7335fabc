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


def check_all() -> tuple[bool, dict[str, Any]]:
    """(healthy, per-dependency report). Later capabilities add search, storage, payments."""
    checks = {"database": check_database(), "storage": check_storage()}
    healthy = all(c["status"] == "ok" for c in checks.values())
    return healthy, {"status": "ok" if healthy else "down", "checks": checks}
