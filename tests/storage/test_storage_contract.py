"""The same assertions against the local folder and the real S3 server (versitygw)."""

import time
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest

from marketplace.storage import StorageError
from marketplace.storage.s3 import S3Storage
from marketplace.storage.uploads import new_key
from tests.factories import s3_settings

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_put_get_exists_delete(backend):
    storage = backend.storage
    key = new_key("private/orgs/1/docs", "pdf")
    stored = storage.put(key, PDF, "application/pdf", public=False)
    assert stored.size == len(PDF) and stored.key == key
    assert storage.exists(key)
    assert storage.get(key) == PDF
    storage.put(key, PDF + b"x", "application/pdf", public=False)  # overwrite
    assert storage.get(key) == PDF + b"x"
    storage.delete(key)
    assert not storage.exists(key)
    storage.delete(key)  # deleting twice is fine


def test_missing_object_is_a_storage_error(backend):
    with pytest.raises(StorageError):
        backend.storage.get("private/khong-co/nothing.pdf")


@pytest.mark.parametrize(
    "key", ["../etc/passwd", "/abs/path", "a/../../b", "Hoa Sen.jpg", "a//b", ""]
)
def test_unsafe_keys_are_refused(backend, key):
    with pytest.raises(ValueError):
        backend.storage.put(key, b"x", "text/plain", public=False)


def test_presigned_url_serves_the_document(backend):
    key = new_key("private/orgs/2/docs", "pdf")
    backend.storage.put(key, PDF, "application/pdf", public=False)
    status, body = backend.fetch(backend.storage.presigned_url(key, expires_in=60))
    assert status == 200 and body == PDF


def _tamper(url: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    for name in ("signature", "X-Amz-Signature"):
        if name in query:
            query[name] = ("0" if query[name][0] != "0" else "1") + query[name][1:]
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_tampered_or_expired_presigned_url_is_refused(backend):
    key = new_key("private/orgs/3/docs", "pdf")
    backend.storage.put(key, PDF, "application/pdf", public=False)
    url = backend.storage.presigned_url(key, expires_in=60)
    assert backend.fetch(_tamper(url))[0] == 403
    short = backend.storage.presigned_url(key, expires_in=1)
    time.sleep(2.2)
    assert backend.fetch(short)[0] == 403
    # A private key without any signature is refused too.
    assert backend.fetch(url.split("?")[0])[0] == 403


def test_public_url_names_the_key(backend):
    key = new_key("public/orgs/4/photos", "webp")
    backend.storage.put(key, b"RIFF0000WEBP", "image/webp", public=True)
    assert backend.storage.public_url(key).endswith("/" + key)


def test_check_passes_on_a_working_backend(backend):
    backend.storage.check()


def test_s3_checks_signatures_and_reports_a_wrong_key(s3_bucket):
    settings = s3_settings()
    wrong = S3Storage(
        bucket=s3_bucket,
        endpoint_url=settings["endpoint_url"],
        access_key=settings["access_key"],
        secret_key="not-the-secret",
    )
    with pytest.raises(StorageError):
        wrong.check()
    with pytest.raises(StorageError):
        wrong.put("private/x.pdf", PDF, "application/pdf", public=False)


def test_s3_missing_bucket_fails_the_check():
    settings = s3_settings()
    missing = S3Storage(
        bucket="chohtx-no-such-bucket",
        endpoint_url=settings["endpoint_url"],
        access_key=settings["access_key"],
        secret_key=settings["secret_key"],
    )
    with pytest.raises(StorageError):
        missing.check()
