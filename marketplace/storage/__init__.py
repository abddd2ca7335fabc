"""File storage: a ``Storage`` protocol with a local-folder and an S3 implementation."""

from marketplace.storage.base import Storage, StorageError, StoredFile, storage_from_config

__all__ = ["Storage", "StorageError", "StoredFile", "storage_from_config"]
