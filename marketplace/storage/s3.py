"""Files in any S3-compatible object store, through boto3."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from marketplace.storage.base import PUBLIC_CACHE_CONTROL, StorageError, StoredFile, check_key


class S3Storage:
    name = "s3"

    def __init__(
        self,
        *,
        bucket: str,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key: str | None = None,
        secret_key: str | None = None,
        public_base_url: str | None = None,
        client: Any = None,
    ):
        self.bucket = bucket
        self.endpoint_url = endpoint_url
        self.client = client or boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=5,
                read_timeout=30,
            ),
        )
        base = (
            public_base_url
            or f"{(endpoint_url or 'https://s3.amazonaws.com').rstrip('/')}/{bucket}"
        )
        self.public_base_url = base.rstrip("/")

    def put(self, key: str, data: bytes, content_type: str, *, public: bool) -> StoredFile:
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=check_key(key),
                Body=data,
                ContentType=content_type,
                CacheControl=PUBLIC_CACHE_CONTROL if public else "private",
            )
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"cannot store {key}: {exc}") from exc
        return StoredFile(key=key, content_type=content_type, size=len(data))

    def get(self, key: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=check_key(key))["Body"].read()
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"cannot read {key}: {exc}") from exc

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=check_key(key))
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"cannot delete {key}: {exc}") from exc

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=check_key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise StorageError(f"cannot check {key}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"cannot check {key}: {exc}") from exc
        return True

    def public_url(self, key: str) -> str:
        # Served by a bucket policy (or CDN) that allows reading the public/ prefix.
        return f"{self.public_base_url}/{check_key(key)}"

    def presigned_url(self, key: str, expires_in: int = 300) -> str:
        return self.client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": check_key(key)},
            ExpiresIn=expires_in,
        )

    def check(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"bucket {self.bucket} is not reachable: {exc}") from exc
