"""Public images (logos, photos, covers): checked, re-encoded into variants and stored.

Callers store the image *before* they lock the row it belongs to, so decoding a 12 MP photo
and talking to S3 never happen while a lock is held; if the database change then fails,
``discard`` queues the stored files for deletion.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l

from marketplace.extensions import db
from marketplace.models._types import utcnow
from marketplace.services import outbox
from marketplace.services.errors import ValidationFailed
from marketplace.storage import StorageError
from marketplace.storage.uploads import (
    IMAGE_WIDTHS,
    check_upload,
    new_key,
    new_key_prefix,
    prepare_image,
)
from marketplace.validation import InvalidValue


def variant_keys(key_prefix: str) -> list[str]:
    return [f"{key_prefix}-{width}.webp" for width in IMAGE_WIDTHS]


def store_image(prefix: str, data: bytes, *, field: str = "file") -> str:
    """Check, clean and store an image's variants under a new key; returns its key prefix.
    Refusals name ``field`` so the message shows next to it."""
    try:
        variants = prepare_image(check_upload(data, allow_pdf=False))
    except InvalidValue as exc:
        raise ValidationFailed({field: exc.message}) from exc
    key_prefix = new_key_prefix(prefix)
    storage = current_app.extensions["storage"]
    try:
        for width in IMAGE_WIDTHS:
            variant = variants[str(width)]
            storage.put(
                f"{key_prefix}-{width}.webp", variant.data, variant.content_type, public=True
            )
    except StorageError as exc:
        raise ValidationFailed(
            {field: _l("The file could not be saved. Try again in a moment.")}
        ) from exc
    return key_prefix


def forget(keys: list[str], *, not_before: datetime | None = None) -> None:
    """Queue deletions of files no longer used, to run after the current transaction commits
    (through the outbox, so a failing store never blocks or loses the change) — or not
    before ``not_before``."""
    for key in keys:
        message = outbox.enqueue("storage.delete", {"key": key})
        if not_before is not None:
            message.next_attempt_at = not_before


#: Keys of files stored for a change that did not happen (``session.info``).
ORPHANS = "orphan_files"
#: (key, when) of files to delete only later (``session.info``): files kept for a refused
#: form shown again (``marketplace.kept_files``).
ORPHANS_LATER = "orphan_files_later"


def discard(keys: list[str]) -> None:
    """Files stored for a change that did not happen: the edge queues their deletion once
    the unit of work ends, whether it then commits or rolls back."""
    db.session.info.setdefault(ORPHANS, []).extend(keys)


def discard_later(keys: list[str], delay: timedelta) -> None:
    """Like ``discard``, but the deletion is due only after ``delay``."""
    due = utcnow() + delay
    db.session.info.setdefault(ORPHANS_LATER, []).extend((key, due) for key in keys)


def store_private(
    prefix: str, data: bytes, *, field: str = "file", allow_pdf: bool = True
) -> tuple[str, str, int]:
    """Check and store one private file (a PDF as sent, an image re-encoded without its
    metadata); returns (key, content type, size). Refusals name ``field``."""
    try:
        checked = check_upload(data, allow_pdf=allow_pdf)
        if checked.content_type == "application/pdf":
            body, content_type, extension = checked.data, checked.content_type, checked.extension
        else:
            variant = prepare_image(checked)["original"]
            body, content_type, extension = variant.data, variant.content_type, variant.extension
    except InvalidValue as exc:
        raise ValidationFailed({field: exc.message}) from exc
    key = new_key(prefix, extension)
    try:
        current_app.extensions["storage"].put(key, body, content_type, public=False)
    except StorageError as exc:
        raise ValidationFailed(
            {field: _l("The file could not be saved. Try again in a moment.")}
        ) from exc
    return key, content_type, len(body)
