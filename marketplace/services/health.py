"""Liveness (/healthz) and readiness (/readyz) of the app and its dependencies.

A failure is logged, never returned: the report says only which dependency is down.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import current_app
from sqlalchemy import text

from marketplace.extensions import db
from marketplace.storage import StorageError

log = logging.getLogger("marketplace.health")


def check_database() -> dict[str, Any]:
    started = time.perf_counter()
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except Exception:  # noqa: BLE001 - any failure means "down"
        log.warning("health check failed: database", exc_info=True)
        db.session.rollback()
        return {"status": "down"}
    return {"status": "ok", "ms": round((time.perf_counter() - started) * 1000, 1)}


def check_storage() -> dict[str, Any]:
    storage = current_app.extensions["storage"]
    try:
        storage.check()
    except StorageError:
        log.warning("health check failed: storage (%s)", storage.name, exc_info=True)
        return {"status": "down", "backend": storage.name}
    return {"status": "ok", "backend": storage.name}


def check_search() -> dict[str, Any]:
    """ "degraded" (not "down") when the engine fails: the database answers searches."""
    return current_app.extensions["search"].health()


def check_all() -> tuple[bool, dict[str, Any]]:
    """(ready, report with each dependency). A degraded search engine leaves the app ready."""
    checks = {"database": check_database(), "storage": check_storage(), "search": check_search()}
    ready = all(c["status"] in ("ok", "degraded") for c in checks.values())
    return ready, {"status": "ready" if ready else "not ready", "checks": checks}
