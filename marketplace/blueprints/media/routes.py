"""Files of the local storage backend (with S3, URLs point at the object store instead), and
JPEG link-preview renditions of public images on any backend.

``public/…`` keys are served to anyone; every other key needs a signed, unexpired URL made
by ``Storage.presigned_url`` — the local equivalent of an S3 presigned URL.
"""

from __future__ import annotations

import hashlib
import mimetypes

from flask import Response, abort, current_app, request

from marketplace.blueprints.media import bp
from marketplace.storage import StorageError
from marketplace.storage.base import PUBLIC_CACHE_CONTROL, check_key
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


#: The share image's size: the 1.91:1 card Facebook, Zalo and most chat apps show.
SHARE_IMAGE_SIZE = (1200, 630)
_SHARE_VERSION = "1"


def share_image_jpeg(webp: bytes) -> bytes:
    """A stored WebP variant as a 1200×630 JPEG for link previews (some apps, Zalo among them,
    preview no WebP): a wide picture is cropped to fill the card, a square or tall one (a logo,
    a phone photo) is shown whole on a light background."""
    import io

    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(webp)) as source:
        picture = source.convert("RGB")
    width, height = SHARE_IMAGE_SIZE
    if picture.width / max(picture.height, 1) >= 1.5:
        card = ImageOps.fit(picture, SHARE_IMAGE_SIZE, Image.Resampling.LANCZOS)
    else:
        card = ImageOps.pad(
            picture, SHARE_IMAGE_SIZE, Image.Resampling.LANCZOS, color=(246, 244, 238)
        )
    buffer = io.BytesIO()
    card.save(buffer, "JPEG", quality=85, optimize=True, progressive=True)
    return buffer.getvalue()


@bp.route("/share/<path:key_prefix>.jpg")
def share_image(key_prefix: str) -> Response:
    """A public image as a JPEG link preview (og:image), made from its stored 1600 px WebP on
    each request; caches keep it an hour (it can be taken down) and revalidate by ETag."""
    if not key_prefix.startswith("public/"):
        abort(404)
    try:
        source_key = check_key(f"{key_prefix}-1600.webp")
    except ValueError:
        abort(404)
    etag = hashlib.sha256(f"{_SHARE_VERSION}:{source_key}".encode()).hexdigest()[:32]
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        try:
            data = current_app.extensions["storage"].get(source_key)
            body = share_image_jpeg(data)
        except (StorageError, ValueError, OSError):
            abort(404)
        response = Response(body, mimetype="image/jpeg")
    response.set_etag(etag)
    response.headers["Cache-Control"] = PUBLIC_CACHE_CONTROL
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
