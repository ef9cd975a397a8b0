"""An S3-compatible bucket as repository storage (obstore, Rust's object_store).

``s3://BUCKET/PREFIX`` with credentials from the usual sources (``AWS_ACCESS_KEY_ID`` /
``AWS_SECRET_ACCESS_KEY`` / ``AWS_SESSION_TOKEN``, web identity tokens as on EKS, ECS
task roles, EC2 instance metadata). An S3-compatible server is named by
``?endpoint=URL`` in the storage URL, ``PYHELM_S3_ENDPOINT`` or ``AWS_ENDPOINT_URL``;
``?region=`` or ``AWS_REGION`` picks the region. Custom endpoints use path-style
addressing (plain http only for loopback or when the endpoint says ``http://``).
Put-if-absent is ``PutObject`` with ``If-None-Match: *`` (AWS S3 since 2024,
SeaweedFS, MinIO). Every call is bounded: 5 s to connect, 30 s per request, 3 retries.

obstore rather than boto3, measured against SeaweedFS on 127.0.0.1 (16 KiB objects,
300 each): put 3.4 ms vs 6.4 ms, get 1.1 ms vs 4.3 ms, a 300-object listing 9 ms vs
36 ms, import 7 ms vs 281 ms.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import parse_qs, urlparse

from pyhelm.repo.storage import ObjectExists, ObjectInfo, ObjectNotFound, StorageError, check_key


class S3Storage:
    def __init__(self, bucket: str, prefix: str = "", *, endpoint: str | None = None,
                 region: str | None = None) -> None:
        if not bucket:
            raise StorageError("s3:// storage URL has no bucket")
        try:
            import obstore
            import obstore.exceptions
            from obstore.store import S3Store
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise StorageError("s3:// storage needs obstore: pip install "
                               "'pyhelm-k8s[server]'") from exc
        self._ob = obstore
        self._errors = obstore.exceptions
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint = endpoint or os.environ.get("PYHELM_S3_ENDPOINT") or \
            os.environ.get("AWS_ENDPOINT_URL") or None
        self.url = f"s3://{bucket}/{self.prefix}"
        config: Any = {}
        if self.endpoint:
            config["endpoint"] = self.endpoint
            config["virtual_hosted_style_request"] = False
        region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        config["region"] = region or "us-east-1"
        client: Any = {"connect_timeout": "5s", "timeout": "30s",
                  "allow_http": bool(self.endpoint and self.endpoint.startswith("http://"))}
        try:
            self._store = S3Store(bucket, prefix=self.prefix or None, config=config,
                                  client_options=client,
                                  retry_config={"max_retries": 3,
                                                "retry_timeout": _seconds(60)})
        except (self._errors.BaseError, ValueError) as exc:
            raise StorageError(f"s3 storage {self.url}: {_line(exc)}") from exc

    @classmethod
    def from_url(cls, url: str) -> S3Storage:
        parsed = urlparse(url)
        query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        return cls(parsed.netloc, parsed.path, endpoint=query.get("endpoint") or None,
                   region=query.get("region") or None)

    def _fail(self, action: str, key: str, exc: Exception) -> StorageError:
        return StorageError(f"s3 {action} {self.bucket}/{self.prefix}/{key} failed: "
                            f"{_line(exc)}")

    def list(self, prefix: str = "") -> list[ObjectInfo]:
        # object_store lists by whole path segments: ask for the directory part, then
        # filter by the string prefix
        directory = prefix.rpartition("/")[0] or None
        found: list[ObjectInfo] = []
        try:
            for chunk in self._ob.list(self._store, directory, chunk_size=1000):
                for item in chunk:
                    key = item["path"]
                    if key.startswith(prefix):
                        found.append(ObjectInfo(key, str(item.get("e_tag") or "").strip('"'),
                                                int(item["size"]),
                                                item["last_modified"].timestamp()))
        except self._errors.BaseError as exc:
            raise self._fail("list", prefix, exc) from exc
        return sorted(found, key=lambda o: o.key)

    def get(self, key: str) -> bytes:
        try:
            return bytes(self._ob.get(self._store, check_key(key)).bytes())
        except (self._errors.NotFoundError, FileNotFoundError) as exc:
            raise ObjectNotFound(f"{key}: not found") from exc
        except self._errors.BaseError as exc:
            raise self._fail("get", key, exc) from exc

    def put(self, key: str, data: bytes, *, overwrite: bool = True) -> ObjectInfo:
        import time

        try:
            reply = self._ob.put(self._store, check_key(key), data, use_multipart=False,
                                 mode="overwrite" if overwrite else "create")
        except (self._errors.AlreadyExistsError, self._errors.PreconditionError) as exc:
            if overwrite:
                raise self._fail("put", key, exc) from exc
            raise ObjectExists(f"{key} already exists") from exc
        except self._errors.BaseError as exc:
            raise self._fail("put", key, exc) from exc
        return ObjectInfo(key, str(reply.get("e_tag") or "").strip('"'), len(data),
                          time.time())

    def delete(self, key: str) -> bool:
        check_key(key)
        try:
            self._ob.head(self._store, key)
        except (self._errors.NotFoundError, FileNotFoundError):
            return False
        except self._errors.BaseError as exc:
            raise self._fail("delete", key, exc) from exc
        try:
            self._ob.delete(self._store, key)
        except self._errors.BaseError as exc:
            raise self._fail("delete", key, exc) from exc
        return True


def _seconds(value: float) -> Any:
    from datetime import timedelta

    return timedelta(seconds=value)


def _line(exc: Exception) -> str:
    """object_store's messages span lines (with debug dumps) and quote response bodies:
    keep the first line, up to the status."""
    line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    head, found, status = line.partition("Server returned non-2xx status code: ")
    if found:
        line = head.rstrip(" -") + ": " + status.partition(":")[0]
    return line[:300]
