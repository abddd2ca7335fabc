"""Files in a local folder: the embedded default.

Public files are served by the app under ``/media/<key>``; private ones only through a
URL signed with the app's secret that expires (the same contract as S3 presigned URLs).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import tempfile
import time
from urllib.parse import urlencode

from marketplace.storage.base import StorageError, StoredFile, check_key


class LocalStorage:
    name = "local"

    def __init__(self, root: str, *, secret: str = "", url_prefix: str = "/media"):
        self.root = os.path.abspath(root)
        self.secret = secret.encode()
        self.url_prefix = url_prefix.rstrip("/")

    def _path(self, key: str) -> str:
        path = os.path.abspath(os.path.join(self.root, check_key(key)))
        if not path.startswith(self.root + os.sep):
            raise ValueError(f"unsafe storage key: {key!r}")
        return path

    def put(self, key: str, data: bytes, content_type: str, *, public: bool) -> StoredFile:
        path = self._path(key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        # Write to a temporary file and rename, so a reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except OSError as exc:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise StorageError(f"cannot write {key}: {exc}") from exc
        return StoredFile(key=key, content_type=content_type, size=len(data))

    def get(self, key: str) -> bytes:
        try:
            with open(self._path(key), "rb") as f:
                return f.read()
        except FileNotFoundError as exc:
            raise StorageError(f"no such file: {key}") from exc

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._path(key))

    def exists(self, key: str) -> bool:
        return os.path.isfile(self._path(key))

    def public_url(self, key: str) -> str:
        return f"{self.url_prefix}/{check_key(key)}"

    def _signature(self, key: str, expires: int) -> str:
        return hmac.new(self.secret, f"{key}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def presigned_url(self, key: str, expires_in: int = 300) -> str:
        expires = int(time.time()) + expires_in
        query = urlencode({"expires": expires, "signature": self._signature(key, expires)})
        return f"{self.url_prefix}/{check_key(key)}?{query}"

    def verify_signature(self, key: str, expires: str | None, signature: str | None) -> bool:
        """True if a presigned URL for ``key`` is genuine and not expired."""
        if not expires or not signature or not (expires.isascii() and expires.isdigit()):
            return False
        if int(expires) < time.time():
            return False
        return hmac.compare_digest(self._signature(key, int(expires)), signature)

    def check(self) -> None:
        if os.path.exists(self.root) and not os.access(self.root, os.W_OK):
            raise StorageError(f"{self.root} is not writable")
