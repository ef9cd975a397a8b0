"""An S3-compatible bucket as repository storage (boto3).

``s3://BUCKET/PREFIX`` with credentials from boto3's usual chain (environment,
``~/.aws``, instance/pod roles). An S3-compatible server is named by ``?endpoint=URL``
in the storage URL or ``PYHELM_S3_ENDPOINT`` (boto3's own ``AWS_ENDPOINT_URL_S3`` /
``AWS_ENDPOINT_URL`` work too); ``?region=`` or ``AWS_REGION`` picks the region. Custom
endpoints use path-style addressing. Put-if-absent is ``PutObject`` with
``If-None-Match: *`` (AWS S3 since 2024, SeaweedFS, MinIO). Every call is bounded:
5 s to connect, 30 s to read, 3 attempts.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import parse_qs, urlparse

from pyhelm.repo.storage import ObjectExists, ObjectInfo, ObjectNotFound, StorageError, check_key


def _client(endpoint: str | None, region: str | None) -> Any:
    try:
        import boto3
        from botocore.config import Config
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise StorageError("s3:// storage needs boto3: pip install 'pyhelm-k8s[server]'") \
            from exc
    config = Config(connect_timeout=5, read_timeout=30,
                    retries={"max_attempts": 3, "mode": "standard"},
                    s3={"addressing_style": "path"} if endpoint else {},
                    max_pool_connections=64)
    session = boto3.session.Session()
    return session.client("s3", endpoint_url=endpoint,
                          region_name=region or session.region_name or "us-east-1",
                          config=config)


class S3Storage:
    def __init__(self, bucket: str, prefix: str = "", *, endpoint: str | None = None,
                 region: str | None = None) -> None:
        if not bucket:
            raise StorageError("s3:// storage URL has no bucket")
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.endpoint = endpoint
        self.url = f"s3://{bucket}/{self.prefix}"
        self._s3 = _client(endpoint, region)
        from botocore.exceptions import BotoCoreError, ClientError

        self._errors = (BotoCoreError, ClientError)

    @classmethod
    def from_url(cls, url: str) -> S3Storage:
        parsed = urlparse(url)
        query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        endpoint = query.get("endpoint") or os.environ.get("PYHELM_S3_ENDPOINT") or None
        return cls(parsed.netloc, parsed.path, endpoint=endpoint,
                   region=query.get("region") or None)

    def _fail(self, action: str, key: str, exc: Exception) -> StorageError:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
        detail = code or str(exc).splitlines()[0]
        return StorageError(f"s3 {action} {self.bucket}/{self.prefix}{key} failed: {detail}")

    @staticmethod
    def _code(exc: Exception) -> str:
        return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))

    def list(self, prefix: str = "") -> list[ObjectInfo]:
        found: list[ObjectInfo] = []
        try:
            pages = self._s3.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix + prefix)
            for page in pages:
                for item in page.get("Contents", []):
                    key = item["Key"][len(self.prefix):]
                    if key and not key.endswith("/"):
                        found.append(ObjectInfo(key, str(item.get("ETag", "")).strip('"'),
                                                int(item.get("Size", 0)),
                                                item["LastModified"].timestamp()))
        except self._errors as exc:
            raise self._fail("list", prefix, exc) from exc
        return sorted(found, key=lambda o: o.key)

    def get(self, key: str) -> bytes:
        try:
            reply = self._s3.get_object(Bucket=self.bucket, Key=self.prefix + check_key(key))
            return bytes(reply["Body"].read())
        except self._errors as exc:
            if self._code(exc) in ("NoSuchKey", "404", "NotFound"):
                raise ObjectNotFound(f"{key}: not found") from exc
            raise self._fail("get", key, exc) from exc

    def put(self, key: str, data: bytes, *, overwrite: bool = True) -> ObjectInfo:
        extra = {} if overwrite else {"IfNoneMatch": "*"}
        try:
            reply = self._s3.put_object(Bucket=self.bucket, Key=self.prefix + check_key(key),
                                        Body=data, **extra)
        except self._errors as exc:
            if not overwrite and self._code(exc) in ("PreconditionFailed", "412",
                                                     "ConditionalRequestConflict"):
                raise ObjectExists(f"{key} already exists") from exc
            raise self._fail("put", key, exc) from exc
        import time

        return ObjectInfo(key, str(reply.get("ETag", "")).strip('"'), len(data), time.time())

    def delete(self, key: str) -> bool:
        full = self.prefix + check_key(key)
        try:
            self._s3.head_object(Bucket=self.bucket, Key=full)
        except self._errors as exc:
            if self._code(exc) in ("NoSuchKey", "404", "NotFound"):
                return False
            raise self._fail("delete", key, exc) from exc
        try:
            self._s3.delete_object(Bucket=self.bucket, Key=full)
        except self._errors as exc:
            raise self._fail("delete", key, exc) from exc
        return True

    def create_bucket(self) -> None:
        """Create the bucket if missing (tests and first deployments)."""
        try:
            self._s3.create_bucket(Bucket=self.bucket)
        except self._errors as exc:
            if self._code(exc) not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise self._fail("create bucket", "", exc) from exc
