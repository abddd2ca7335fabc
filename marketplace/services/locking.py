"""Row locks for state changes that must not interleave (SELECT … FOR UPDATE).

The row is read again under the lock (``populate_existing``), so the caller decides on
what is committed now, not on what the session saw earlier. SQLite ignores the clause and
serialises writers instead.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select

from marketplace.extensions import db

T = TypeVar("T")


def lock(model: type[T], object_id: int | None) -> T | None:
    """The row of ``model`` with this id, locked until the transaction ends (or None)."""
    if object_id is None:
        return None
    return db.session.scalar(
        select(model)
        .where(model.id == object_id)  # type: ignore[attr-defined]
        # FOR NO KEY UPDATE: serialises updaters of this row, but leaves inserts that merely
        # reference it (audit entries, listings, memberships) free, which avoids deadlocks.
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
