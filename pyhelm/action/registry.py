"""OCI registry verbs: log in and out, push a packaged chart (pull is ``repo.pull``).

The OCI client is imported when a verb runs, so importing this module stays cheap.
"""

from __future__ import annotations

from pathlib import Path

from pyhelm.settings import RepoPaths
from pyhelm.tls import TlsSettings


def login(host: str, username: str, password: str, *, plain_http: bool | None = None,
          paths: RepoPaths | None = None, tls: TlsSettings | None = None) -> None:
    """Check the credentials against the registry, then store them as Docker does."""
    from pyhelm.repo.oci import login as oci_login

    oci_login(host, username, password, plain_http=plain_http, paths=paths, tls=tls)


def logout(host: str, paths: RepoPaths | None = None) -> bool:
    """Forget the stored credentials of ``host``; False when there were none."""
    from pyhelm.repo.registry_auth import forget

    return forget(host, paths)


def push(package: str | Path, remote: str, *, plain_http: bool | None = None,
         paths: RepoPaths | None = None, tls: TlsSettings | None = None,
         credentials: tuple[str, str] | None = None) -> str:
    """Push a packaged chart (.tgz) under ``remote`` (``oci://HOST/PATH``); returns the
    pushed reference (``oci://HOST/PATH/NAME:VERSION``). ``credentials`` win over a
    stored login; ``tls``: the registry's CA, a client certificate, or no check."""
    from pyhelm.repo.oci import push_chart

    return push_chart(Path(package), remote, plain_http=plain_http, paths=paths, tls=tls,
                      credentials=credentials)
