"""Finding the chart a command names: a local directory or ``.tgz``, or (through the
repository layer, imported only then) ``REPO/CHART``, a package URL or ``oci://``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pyhelm.errors import ChartError

if TYPE_CHECKING:
    from pyhelm.chart.model import Chart
    from pyhelm.repo.client import RepoEntry
    from pyhelm.settings import RepoPaths


@dataclass(frozen=True, kw_only=True)
class ChartLocation:
    """Helm's chart path options: where and how a chart reference is fetched."""

    repo_url: str | None = None  # --repo: the chart is a name in this repository
    username: str = ""
    password: str = ""
    ca_file: str = ""
    cert_file: str = ""
    key_file: str = ""
    insecure_skip_tls_verify: bool = False
    pass_credentials: bool = False
    plain_http: bool = False  # oci:// over HTTP (loopback registries use it anyway)
    devel: bool = False  # no --version: prereleases count too (Helm's ">0.0.0-0")
    dependency_update: bool = False  # fetch missing dependencies of a local chart first
    verify: bool = False  # --verify: the chart's provenance must hold before it is used
    keyring: str = ""  # --keyring (default: Helm's, under $GNUPGHOME or ~/.gnupg)

    def verify_keyring(self) -> Path | None:
        """The keyring to verify with, or None without ``--verify``."""
        if not self.verify:
            return None
        if self.keyring:
            return Path(self.keyring)
        from pyhelm.repo.provenance import default_keyring

        return default_keyring()

    def version(self, version: str | None) -> str | None:
        return ">0.0.0-0" if self.devel and not version else version

    def access(self) -> RepoEntry | None:
        """Credentials and TLS for ``--repo``, as a repositories.yaml entry would give."""
        from pyhelm.repo.client import RepoEntry

        if not self.repo_url:
            return None
        return RepoEntry(name="", url=self.repo_url, username=self.username,
                         password=self.password, ca_file=self.ca_file,
                         cert_file=self.cert_file, key_file=self.key_file,
                         insecure_skip_tls_verify=self.insecure_skip_tls_verify,
                         pass_credentials_all=self.pass_credentials)


# compared by no one: eq=False spares making __eq__ and __hash__ at start-up
@dataclass(frozen=True, eq=False)
class ChartSource:
    """A loaded chart and the directory or archive it was loaded from (Helm charts are
    rendered by Helm's engine from there)."""

    chart: Chart
    path: Path


def locate_chart_ref(ref: str, version: str | None = None, repo_url: str | None = None,
                     paths: RepoPaths | None = None, location: ChartLocation | None = None
                     ) -> Path:
    """The local directory or archive of a chart reference, downloading it if needed; a
    local path is used as it is (and must hold ``version`` when one is asked for)."""
    location = location or ChartLocation(repo_url=repo_url)
    repo_url = location.repo_url
    path = Path(ref)
    if path.is_dir() and not repo_url and location.dependency_update:
        _update_missing_dependencies(path, paths)
    if path.exists() and not repo_url:
        keyring = location.verify_keyring()
        if keyring is not None:  # before anything is loaded from it
            from pyhelm.repo.provenance import verify_package

            verify_package(path, keyring)
        if version:
            from pyhelm.chart.loader import load_chart

            chart = load_chart(path)
            if chart.metadata.version != version:
                raise ChartError(f"{ref}: chart version is {chart.metadata.version}, "
                                 f"not the requested {version}")
        return path
    if not repo_url and (path.is_absolute() or ref.startswith(".")):
        raise ChartError(f'path "{ref}" not found')  # Helm's rule: never a repository
    if "://" in ref or ref.count("/") == 1 or repo_url:
        from pyhelm.repo.locate import locate_chart

        return Path(locate_chart(ref, version=location.version(version), repo_url=repo_url,
                                 paths=paths, access=location.access(),
                                 plain_http=location.plain_http or None,
                                 keyring=location.verify_keyring()))
    raise ChartError(f"{ref}: no such chart directory or archive")


def _update_missing_dependencies(chart_dir: Path, paths: RepoPaths | None) -> None:
    """``--dependency-update``: as Helm, only when a declared dependency is missing."""
    from pyhelm.action.dependency_update import update
    from pyhelm.chart.loader import load_chart

    chart = load_chart(chart_dir)
    present = {sub.name for sub in chart.subcharts}
    if any(d.name not in present for d in chart.metadata.dependencies):
        update(str(chart_dir), paths)


def open_chart_ref(ref: str, version: str | None = None, repo_url: str | None = None,
                   paths: RepoPaths | None = None, location: ChartLocation | None = None
                   ) -> ChartSource:
    """Locate and load a chart by reference (see ``locate_chart_ref``)."""
    from pyhelm.chart.loader import load_chart

    path = locate_chart_ref(ref, version, repo_url, paths, location)
    return ChartSource(load_chart(path), path)


def load_chart_ref(ref: str, version: str | None = None, repo_url: str | None = None,
                   paths: RepoPaths | None = None, location: ChartLocation | None = None
                   ) -> Chart:
    """Load a chart by reference (see ``open_chart_ref``)."""
    return open_chart_ref(ref, version, repo_url, paths, location).chart
