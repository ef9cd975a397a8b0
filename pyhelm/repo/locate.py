"""Turning a chart reference into a local chart file: a path, ``REPO/CHART``, a URL of
a package, or ``oci://HOST/PATH/NAME``. Downloads go to the cache and are verified."""

from __future__ import annotations

from pathlib import Path

from pyhelm.errors import RepoError
from pyhelm.repo import client
from pyhelm.repo.http_access import redacted
from pyhelm.repo.safe_paths import confined, url_file_name
from pyhelm.settings import RepoPaths


def locate_chart(ref: str, *, version: str | None = None, repo_url: str | None = None,
                 dest_dir: Path | None = None, paths: RepoPaths | None = None,
                 access: client.RepoEntry | None = None, plain_http: bool | None = None,
                 keyring: Path | None = None, prov: bool = False) -> Path:
    """A local path for ``ref``, downloading it into ``dest_dir`` (default: the content
    cache); ``access`` carries credentials and TLS settings for ``repo_url``. With a
    ``keyring`` (``--verify``) a download's provenance is checked before it is written
    anywhere; a local archive is checked in place. ``prov`` keeps the ``.prov`` too."""
    paths = client.resolve_paths(paths)
    dest = dest_dir or paths.content_cache
    dest.mkdir(parents=True, exist_ok=True)
    if ref.startswith("oci://"):
        from pyhelm.repo.oci import RegistryAccess, pull_chart

        return pull_chart(ref, version=version, dest_dir=dest, paths=paths,
                          plain_http=plain_http, prov=prov,
                          access=RegistryAccess(verify_keyring=keyring))
    if repo_url:
        access = access or client.RepoEntry("", repo_url)
        index = client.fetch_index(access)[0]
        entry = client.resolve(index, ref, version, access.shown_url)
        return client.download(entry, repo_url, access, dest, keyring=keyring, prov=prov)
    if "://" in ref and not ref.startswith("file://"):  # http(s), or a getter plugin's
        target = confined(dest, url_file_name(ref, redacted(ref)))
        client.write_verified(target, client.fetch(ref), lambda: client.fetch(ref + ".prov"),
                              redacted(ref) + ".prov", keyring=keyring, prov=prov)
        return target
    path = Path(ref)
    if path.exists():
        if keyring is not None:
            from pyhelm.repo.provenance import verify_package

            verify_package(path, keyring)
        return path
    if ref.count("/") == 1:
        repo_name, chart_name = ref.split("/")
        repo = client.RepoConfig.load(paths).get(repo_name)
        entry = client.resolve(client.cached_index(repo_name, paths), chart_name, version,
                               repo_name)
        return client.download(entry, repo.url, repo, dest, keyring=keyring, prov=prov)
    raise RepoError(f"{ref}: no such chart directory, archive, repository chart or URL")
