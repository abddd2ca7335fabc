"""Both storage backends, for the same contract assertions."""

from __future__ import annotations

import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import boto3
import pytest
from botocore.config import Config

from marketplace import create_app
from marketplace.storage import Storage
from marketplace.storage.local import LocalStorage
from marketplace.storage.s3 import S3Storage
from tests.factories import make_test_config, s3_settings


def s3_client(access_key: str | None = None, secret_key: str | None = None):
    settings = s3_settings()
    return boto3.client(
        "s3",
        endpoint_url=settings["endpoint_url"],
        region_name="us-east-1",
        aws_access_key_id=access_key or settings["access_key"],
        aws_secret_access_key=secret_key or settings["secret_key"],
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


@pytest.fixture(scope="session")
def s3_bucket() -> str:
    """A fresh bucket on the real S3 server for this run, emptied and removed afterwards."""
    client = s3_client()
    name = f"chohtx-test-{uuid.uuid4().hex[:12]}"
    try:
        client.create_bucket(Bucket=name)
    except Exception as exc:  # noqa: BLE001
        pytest.exit(
            f"The S3 server at {s3_settings()['endpoint_url']} refused: {exc}", returncode=1
        )
    yield name
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=name, Key=item["Key"])
    client.delete_bucket(Bucket=name)


@dataclass
class Backend:
    storage: Storage
    fetch: Callable[[str], tuple[int, bytes]]  # GET a URL the storage made → (status, body)


def _http_get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture(params=["local", "s3"])
def backend(request, tmp_path, app) -> Backend:
    if request.param == "local":
        media_app = create_app(
            make_test_config(
                app.config["SQLALCHEMY_DATABASE_URI"], LOCAL_STORAGE_PATH=str(tmp_path / "files")
            )
        )
        storage = media_app.extensions["storage"]
        assert isinstance(storage, LocalStorage)
        client = media_app.test_client()

        def fetch(url: str) -> tuple[int, bytes]:
            response = client.get(url)
            return response.status_code, response.get_data()

        return Backend(storage, fetch)
    settings = s3_settings()
    bucket = request.getfixturevalue("s3_bucket")
    storage = S3Storage(
        bucket=bucket,
        endpoint_url=settings["endpoint_url"],
        access_key=settings["access_key"],
        secret_key=settings["secret_key"],
    )
    return Backend(storage, _http_get)
