"""Files chosen in a refused form, kept so that they need not be chosen again.

A browser never sends a chosen file twice: once a form comes back with an error, its file
inputs are empty. So when a refused form is shown again, ``keep_files(form)`` stores each
file it carried once, privately, under ``tmp/kept/<random>``, and the field (``KeptFileField``
and ``KeptMultipleFileField`` in ``marketplace.blueprints.common``) renders beside its input a
hidden signed token naming that key and the file's own name, "Kept: scan.pdf — choose another
file to replace it" and a box to tick to remove it. On the next submit a field left empty
takes its data from a valid token (``restore``): a werkzeug ``FileStorage`` with the stored
bytes and the original name, so validators and routes read it as if it had just been chosen.
A file chosen anew replaces the kept one.

Where the storing happens: in one call, ``keep_files``, made where a refused form is about
to be shown again — ``handle_form``'s two 422 answers, and the few routes that answer a
refused form themselves. Not while the template renders: rendering stays free of writes and
of storage calls, a page that renders a form twice stores nothing twice, and the request
tests walk every form with a file to prove none of those routes forgets the call.

A token is signed with the app's secret (its own salt), is good for 24 hours and names an
owner: a random id kept in the visitor's session (signed in or not), so a token copied into
another browser is ignored, as are forged and expired ones — the field is then just empty.

Clean-up: each kept file's deletion is queued (``images.discard_later``) through the outbox
topic ``storage.delete``, due 24 hours later. The request edge commits it although the page
answered 422 (as it does for other files stored for a change that did not happen), delivery
right after the response leaves it alone because it is not due, and ``flask outbox work``
deletes it once it is. A file that cannot be stored is not kept (logged); the page still
answers.
"""

from __future__ import annotations

import logging
import mimetypes
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from io import BytesIO
from typing import Any

from flask import current_app, session
from werkzeug.datastructures import FileStorage
from wtforms import FieldList, FormField

from marketplace.services import images
from marketplace.services.errors import InvalidToken
from marketplace.storage.base import check_key
from marketplace.tokens import make_token, read_token

log = logging.getLogger("marketplace.kept_files")

#: How long a kept file can be used; it is deleted then.
MAX_AGE = timedelta(hours=24)
PREFIX = "tmp/kept/"
#: The session key of the visitor's random owner id.
OWNER = "kept_files_owner"
_PURPOSE = "kept-file"
#: At most this many kept files are read back for one field.
MAX_FILES = 10
_NAME_LENGTH = 120


@dataclass(frozen=True)
class Kept:
    """One kept file: where it is stored, its own name and the token the page carries."""

    key: str
    name: str
    token: str


def token_name(field: Any) -> str:
    """The name of the hidden input carrying a field's kept-file tokens."""
    return f"{field.name}-kept"


def remove_name(field: Any) -> str:
    """The name of the box ticked to drop a field's kept file."""
    return f"{field.name}-kept-remove"


def _owner(create: bool) -> str | None:
    owner = session.get(OWNER)
    if isinstance(owner, str) and owner:
        return owner
    if not create:
        return None
    owner = secrets.token_urlsafe(16)
    session[OWNER] = owner
    return owner


def chosen(field: Any) -> list[FileStorage]:
    """The files a file field carries (chosen now or restored), without empty inputs."""
    data = field.data
    files = data if isinstance(data, list) else [data]
    return [f for f in files if isinstance(f, FileStorage) and f.filename]


# --- reading kept files back --------------------------------------------------------------------


def _read(token: str, owner: str) -> tuple[str, str] | None:
    try:
        payload = read_token(_PURPOSE, token, int(MAX_AGE.total_seconds()))
    except InvalidToken:
        return None
    key, name = payload.get("k"), payload.get("n")
    if payload.get("o") != owner or not isinstance(key, str) or not isinstance(name, str):
        return None
    if not key.startswith(PREFIX):
        return None
    try:
        check_key(key)
    except ValueError:
        return None
    return key, name


def restore(field: Any, formdata: Any) -> tuple[list[Kept], list[FileStorage]]:
    """The files kept for ``field`` by the page just submitted, when its tokens are good and
    its remove box is not ticked: (what stays kept, the files as if chosen now)."""
    if formdata is None or not hasattr(formdata, "getlist") or formdata.get(remove_name(field)):
        return [], []
    tokens = [t for t in formdata.getlist(token_name(field)) if isinstance(t, str) and t]
    owner = _owner(create=False)
    if not tokens or owner is None:
        return [], []
    storage = current_app.extensions["storage"]
    kept: list[Kept] = []
    files: list[FileStorage] = []
    for token in tokens[:MAX_FILES]:
        found = _read(token, owner)
        if found is None:
            continue
        key, name = found
        try:
            data = storage.get(key)
        except Exception:  # noqa: BLE001 - a kept file gone or unreachable is just not there
            log.warning("kept file %s could not be read back", key, exc_info=True)
            continue
        kept.append(Kept(key=key, name=name, token=token))
        files.append(
            FileStorage(
                BytesIO(data),
                filename=name,
                name=field.name,
                content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
            )
        )
    return kept, files


# --- keeping the files of a refused form --------------------------------------------------------


def file_fields(form: Any) -> Iterator[Any]:
    """Every field of ``form`` that keeps its files, also inside lists and sub-forms."""
    for field in form:
        if isinstance(field, FormField):
            yield from file_fields(field.form)
        elif isinstance(field, FieldList):
            for entry in field.entries:
                if isinstance(entry, FormField):
                    yield from file_fields(entry.form)
                elif hasattr(entry, "kept"):
                    yield entry
        elif hasattr(field, "kept"):
            yield field


def _content(upload: FileStorage) -> bytes:
    # A route may have read it already (the use case ran and was refused).
    upload.stream.seek(0)
    data = upload.stream.read()
    upload.stream.seek(0)
    return data


def keep_files(form: Any) -> None:
    """Store the files chosen in ``form``, refused and about to be shown again, so that its
    page carries them (see the module's text). Files kept from an earlier refusal stay as
    they are; a field whose own file was refused keeps nothing (another must be chosen)."""
    for field in file_fields(form):
        if field.errors:
            field.kept = []
            continue
        if field.kept:
            continue
        uploads = chosen(field)
        if not uploads:
            continue
        try:
            field.kept = _store(uploads)
        except Exception:  # noqa: BLE001 - the page answers; the file is just not kept
            log.exception("a chosen file could not be kept for %s", field.name)
            field.kept = []


def _store(uploads: list[FileStorage]) -> list[Kept]:
    storage = current_app.extensions["storage"]
    owner = _owner(create=True)
    kept: list[Kept] = []
    try:
        for upload in uploads[:MAX_FILES]:
            key = f"{PREFIX}{secrets.token_hex(16)}"
            name = (upload.filename or "").strip()[-_NAME_LENGTH:] or "file"
            storage.put(key, _content(upload), "application/octet-stream", public=False)
            kept.append(Kept(key, name, make_token(_PURPOSE, {"k": key, "n": name, "o": owner})))
    finally:
        # Whatever was stored is deleted once its token has expired.
        if kept:
            images.discard_later([k.key for k in kept], MAX_AGE)
    return kept
