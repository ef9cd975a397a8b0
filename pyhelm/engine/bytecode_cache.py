"""Compiled chart templates kept on disk, so a chart is compiled once per machine.

Compiling is most of a small chart's render (the demo chart: about 80% of it). The key
is a hash of everything the generated code depends on: the template's name and source,
Jinja's and pyhelm's versions, the sandbox's code generation and the names of its filters
and tests. Charts
never collide, concurrent processes are safe (Jinja writes a temporary file and renames
it), and a cache that cannot be written is only slower.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import jinja2
from jinja2.bccache import Bucket, FileSystemBytecodeCache

from pyhelm._version import __version__
from pyhelm.cache_dir import cache_dir


class ContentBytecodeCache(FileSystemBytecodeCache):
    def __init__(self, directory: Path) -> None:
        super().__init__(str(directory), "%s.jinjac")
        self._writable = True

    def get_bucket(self, environment: Any, name: str, filename: str | None,
                   source: str) -> Bucket:
        fingerprint = "\0".join((
            __version__, jinja2.__version__, type(environment).__name__,
            str(getattr(environment, "generated_code_version", "")),
            ",".join(sorted(environment.filters)), ",".join(sorted(environment.tests)),
            name, source))
        bucket = Bucket(environment, hashlib.sha256(fingerprint.encode()).hexdigest(),
                        self.get_source_checksum(source))
        self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, ValueError, EOFError):
            bucket.reset()  # unreadable or truncated: compile again

    def dump_bytecode(self, bucket: Bucket) -> None:
        if not self._writable:
            return
        try:
            Path(self.directory).mkdir(parents=True, exist_ok=True, mode=0o700)
            super().dump_bytecode(bucket)
        except OSError:
            self._writable = False


_shared: ContentBytecodeCache | None = None


def bytecode_cache() -> ContentBytecodeCache:
    global _shared
    if _shared is None:
        _shared = ContentBytecodeCache(Path(cache_dir("jinja")))
    return _shared
