"""Files of the local storage backend. (With S3, URLs point at the object store instead.)

``public/…`` keys are served to anyone; every other key needs a signed, unexpired URL made
by ``Storage.presigned_url`` — the local equivalent of an S3 presigned URL.
"""

from __future__ import annotations

import mimetypes

from flask import Response, abort, current_app, request

from marketplace.blueprints.media import bp
from marketplace.storage import StorageError
from marketplace.storage.base import PUBLIC_CACHE_CONTROL
from marketplace.storage.local import LocalStorage


@bp.route("/media/<path:key>")
def file(key: str) -> Response:
    storage = current_app.extensions["storage"]
    if not isinstance(storage, LocalStorage):
        abort(404)
    if not key.startswith("public/") and not storage.verify_signature(
        key, request.args.get("expires"), request.args.get("signature")
    ):
        abort(403)
    try:
        data = storage.get(key)
    except (StorageError, ValueError):
        abort(404)
    content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
    response = Response(data, mimetype=content_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    if key.startswith("public/"):
        # A public file can be taken down: caches keep it an hour, not a year.
        response.headers["Cache-Control"] = PUBLIC_CACHE_CONTROL
    else:
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["Content-Disposition"] = "inline"
    # A file may be shown in a frame of this site (documents in the admin review), and can
    # run nothing: only checked images and PDFs are ever stored.
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'self'"
    return response
