"""Private files attached to quote versions and messages: checked, cleaned and stored."""

from __future__ import annotations

from contextlib import contextmanager

from flask_babel import lazy_gettext as _l

from marketplace.parsing import text_of
from marketplace.services import images
from marketplace.services.errors import ValidationFailed
from marketplace.validation import strip_control

#: Attachments per quote version or message.
MAX_ATTACHMENTS = 3


@contextmanager
def stored_attachments(prefix: str, files: list[tuple[str, bytes]], field: str):
    """Store the files first (never while a row is locked); if the change that uses them is
    then refused, they are deleted again."""
    stored = store_attachments(prefix, files, field)
    try:
        yield stored
    except Exception:
        if stored:
            images.discard([values["key"] for values in stored])
        raise


def store_attachments(prefix: str, files: list[tuple[str, bytes]], field: str) -> list[dict]:
    """Store up to MAX_ATTACHMENTS private files (PDF or image, cleaned); returns their rows'
    values. Raises ValidationFailed naming ``field``."""
    files = [(name, data) for name, data in files if data]
    if len(files) > MAX_ATTACHMENTS:
        raise ValidationFailed({field: _l("Attach at most %(n)d files.", n=MAX_ATTACHMENTS)})
    stored = []
    for name, data in files:
        key, content_type, size = images.store_private(prefix, data, field=field, allow_pdf=True)
        stored.append(
            {
                "key": key,
                "filename": text_of(strip_control(name), 200) or "file",
                "content_type": content_type,
                "size": size,
            }
        )
    return stored
