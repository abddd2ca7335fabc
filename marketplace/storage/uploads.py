"""Checking uploaded files by their content, and preparing images.

Only JPEG, PNG, WebP and PDF are accepted, recognised by their bytes (never by name or by
the browser's content type). Images are decoded with a pixel limit (a decompression bomb
is refused before it is decoded), re-encoded without EXIF (phones put GPS positions there)
and resized into a few widths.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from marketplace.validation import InvalidValue

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000  # 40 MP: any phone photo, far below a bomb
MAX_IMAGE_SIDE = 12_000
IMAGE_WIDTHS = (320, 800, 1600)

_IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


@dataclass(frozen=True)
class CheckedUpload:
    kind: str  # "image" | "pdf"
    content_type: str
    extension: str
    data: bytes
    width: int | None = None
    height: int | None = None


def sniff(data: bytes) -> str | None:
    """The file type from its first bytes: "jpeg", "png", "webp", "pdf" or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:1024].lstrip(b"\r\n\t ").startswith(b"%PDF-"):
        return "pdf"
    return None


def check_upload(
    data: bytes, *, allow_pdf: bool, max_bytes: int = MAX_UPLOAD_BYTES
) -> CheckedUpload:
    """Accept the file or raise InvalidValue with a message for the person who sent it."""
    if not data:
        raise InvalidValue(_l("The file is empty."))
    if len(data) > max_bytes:
        raise InvalidValue(
            _l("The file is too large: at most %(mb)s MB.", mb=max_bytes // (1024 * 1024))
        )
    kind = sniff(data)
    if kind == "pdf":
        if not allow_pdf:
            raise InvalidValue(_l("Upload a photo (JPEG, PNG or WebP)."))
        if b"%%EOF" not in data[-2048:]:
            raise InvalidValue(_l("This PDF is damaged or incomplete."))
        return CheckedUpload("pdf", "application/pdf", "pdf", data)
    if kind is None:
        message = (
            _l("Upload a photo (JPEG, PNG or WebP) or a PDF.")
            if allow_pdf
            else _l("Upload a photo (JPEG, PNG or WebP).")
        )
        raise InvalidValue(message)
    width, height = _image_size(data)
    return CheckedUpload(
        "image", f"image/{kind}", "jpg" if kind == "jpeg" else kind, data, width, height
    )


def _image_size(data: bytes) -> tuple[int, int]:
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size  # read from the header; nothing decoded yet
            if image.format not in _IMAGE_FORMATS:
                raise InvalidValue(_l("Upload a photo (JPEG, PNG or WebP)."))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InvalidValue(_l("This image is damaged and cannot be read.")) from exc
    except Image.DecompressionBombError as exc:
        raise InvalidValue(_l("This image is too large in pixels.")) from exc
    if width * height > MAX_IMAGE_PIXELS or max(width, height) > MAX_IMAGE_SIDE:
        raise InvalidValue(_l("This image is too large in pixels."))
    return width, height


@dataclass(frozen=True)
class ImageVariant:
    width: int
    height: int
    data: bytes
    content_type: str = "image/webp"
    extension: str = "webp"


def prepare_image(upload: CheckedUpload) -> dict[str, ImageVariant]:
    """The image re-encoded without metadata: "original" (≤ 1600 px) and one per width."""
    try:
        with Image.open(io.BytesIO(upload.data)) as image:
            # JPEG can decode straight at 1/2, 1/4 or 1/8 scale; the largest variant never
            # needs more, so a 12 MP photo is decoded at about a quarter of the cost.
            largest = IMAGE_WIDTHS[-1]
            image.draft("RGB", (largest, 1))
            image.load()
            # Respect the camera's rotation, then drop every metadata block (EXIF, GPS, XMP).
            upright = ImageOps.exif_transpose(image)
            clean = upright.convert("RGBA" if upright.mode in ("RGBA", "LA", "P") else "RGB")
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidValue(_l("This image is damaged and cannot be read.")) from exc
    variants: dict[str, ImageVariant] = {}
    # Largest first, each smaller one from the previous: a fraction of resizing every
    # variant from the full photo, with the same quality.
    current = clean
    for width in sorted(IMAGE_WIDTHS, reverse=True):
        current = current.copy()
        current.thumbnail((width, width * 4), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        current.save(buffer, "WEBP", quality=82, method=3)
        variants[str(width)] = ImageVariant(current.width, current.height, buffer.getvalue())
    variants["original"] = variants[str(IMAGE_WIDTHS[-1])]
    return variants


def new_key(prefix: str, extension: str) -> str:
    """A fresh storage key; the uploaded file's own name is never used."""
    return f"{new_key_prefix(prefix)}.{extension}"


def new_key_prefix(prefix: str) -> str:
    """A fresh key stem under ``prefix``, for a group of files (an image's variants)."""
    return f"{prefix.strip('/')}/{secrets.token_hex(16)}"
