"""The library facade for charts, repositories and registries: what the CLI does offline
or against a chart repository or OCI registry, as typed functions.

Each is a thin call into ``pyhelm.action`` (the CLI calls the same actions). Chart
references are a directory, a ``.tgz``, ``repo/name`` (a repository added with
``repo_add``) or ``oci://HOST/PATH/NAME``. Repository settings and caches live where
Helm keeps them (``HELM_REPOSITORY_CONFIG``, ``HELM_REPOSITORY_CACHE``,
``HELM_REGISTRY_CONFIG``) unless ``paths`` says otherwise. Errors are the
``pyhelm.errors`` tree (``ChartError``, ``ValuesError``, ``RenderError``, ``RepoError``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyhelm.action import dependency_update as dependency_action
from pyhelm.action import lint as lint_action
from pyhelm.action import package as package_action
from pyhelm.action import registry as registry_action
from pyhelm.action import repo as repo_action
from pyhelm.action import template as template_action
from pyhelm.action.chart_source import ChartLocation, load_chart_ref
from pyhelm.action.post_renderer import PostRenderer
from pyhelm.action.values_options import ValueOptions
from pyhelm.chart.model import Chart
from pyhelm.engine.manifest import Hook, Manifest
from pyhelm.errors import RepoError, UsageError
from pyhelm.repo import provenance
from pyhelm.repo.client import RepoEntry, SearchHit
from pyhelm.settings import RepoPaths


@dataclass(frozen=True)
class RenderedChart:
    """A chart rendered offline: ``objects`` are the parsed Kubernetes objects (CRDs when
    asked for, then resources, then hooks), ``manifests``/``hooks``/``crds`` the rendered
    documents with their templates, ``text`` what ``pyhelm template`` prints."""

    engine: str
    objects: list[dict[str, Any]]
    manifests: tuple[Manifest, ...]
    hooks: tuple[Hook, ...]
    crds: tuple[Manifest, ...]
    notes: str
    text: str


def load_chart(ref: str, *, version: str | None = None, repo_url: str | None = None,
               paths: RepoPaths | None = None) -> Chart:
    """Load a chart (a Jinja2 chart or a Helm chart's metadata, values and files)."""
    return load_chart_ref(ref, version, repo_url, paths)


def lint_chart(*paths_to_lint: str, values: Mapping[str, Any] | None = None,
               values_files: Sequence[str] = (), set_values: Sequence[str] = (),
               strict: bool = False, with_subcharts: bool = False,
               namespace: str = "default", kube_version: str | None = None,
               skip_schema_validation: bool = False) -> lint_action.LintResult:
    """Lint chart directories; ``result.failed`` lists the charts that failed."""
    return lint_action.run(lint_action.LintOptions(
        paths=paths_to_lint, values=_values(values, values_files, set_values),
        strict=strict, with_subcharts=with_subcharts, namespace=namespace,
        kube_version=kube_version, skip_schema_validation=skip_schema_validation))


def package_chart(path: str, *, destination: str = ".", version: str | None = None,
                  app_version: str | None = None, sign: bool = False, key: str = "",
                  keyring: str | Path | None = None, passphrase: str | None = None) -> Path:
    """Package a chart directory as ``destination/NAME-VERSION.tgz``; returns its path.
    ``sign``: also write ``NAME-VERSION.tgz.prov``, as ``sign_chart`` does."""
    return package_action.run(package_action.PackageOptions(
        path=path, destination=destination, version=version, app_version=app_version,
        sign=sign, key=key, keyring=str(keyring or ""),
        passphrase=_passphrase(passphrase)))


def sign_chart(package: str | Path, *, key: str, keyring: str | Path | None = None,
               passphrase: str | None = None) -> Path:
    """Sign a chart archive as ``helm package --sign`` does: writes and returns
    ``PACKAGE.prov``. ``key`` names the secret key (a user ID or part of one) in
    ``keyring`` (default: Helm's, ``$GNUPGHOME/pubring.gpg`` or ``~/.gnupg/pubring.gpg``;
    usually a ``gpg --export-secret-keys`` file); ``passphrase`` unlocks an encrypted
    key. Raises ``ProvenanceError`` with Helm's message."""
    return provenance.sign_package(Path(package), key=key, keyring=_keyring(keyring),
                                   passphrase=_passphrase(passphrase))


def verify_chart(package: str | Path, *, keyring: str | Path | None = None,
                 provenance_file: str | Path | None = None) -> provenance.Verification:
    """Verify a chart archive against its ``.prov`` (``provenance_file``, default beside
    it) with the public keys of ``keyring``, as ``helm verify``: returns who signed it
    (``signed_by``, ``fingerprint``, ``file_hash``); raises ``ProvenanceError`` with
    Helm's message when the archive was tampered with, the key is unknown, expired or
    revoked, or the digest does not match."""
    return provenance.verify_package(
        Path(package), _keyring(keyring),
        Path(provenance_file) if provenance_file is not None else None)


def _keyring(keyring: str | Path | None) -> Path:
    return Path(keyring) if keyring else provenance.default_keyring()


def _passphrase(passphrase: str | None) -> provenance.PassphraseSource | None:
    return None if passphrase is None else (lambda _name: passphrase)


def render_chart(chart: str, *, release_name: str = "release-name",
                 namespace: str = "default", version: str | None = None,
                 values: Mapping[str, Any] | None = None, values_files: Sequence[str] = (),
                 set_values: Sequence[str] = (), kube_version: str | None = None,
                 api_versions: Sequence[str] = (), include_crds: bool = False,
                 skip_tests: bool = False, no_hooks: bool = False, is_upgrade: bool = False,
                 show_only: Sequence[str] = (), skip_schema_validation: bool = False,
                 paths: RepoPaths | None = None,
                 post_renderer: PostRenderer | None = None) -> RenderedChart:
    """Render a chart offline, as ``pyhelm template`` does, into objects and text
    (``post_renderer``: ``PostRenderer.find(NAME, args)``, as ``--post-renderer``)."""
    result = template_action.run(template_action.TemplateOptions(
        chart=chart, release_name=release_name, namespace=namespace, version=version,
        values=_values(values, values_files, set_values), kube_version=kube_version,
        api_versions=_strings("api_versions", api_versions), include_crds=include_crds,
        skip_tests=skip_tests, no_hooks=no_hooks, is_upgrade=is_upgrade,
        show_only=_strings("show_only", show_only),
        skip_schema_validation=skip_schema_validation, post_renderer=post_renderer), paths)
    rendered = result.rendered
    return RenderedChart(engine=result.engine,
                         objects=[dict(document.obj) for document in result.documents],
                         manifests=rendered.manifests, hooks=rendered.hooks,
                         crds=rendered.crds, notes=rendered.notes, text=result.text)


def repo_add(name: str, url: str, *, username: str = "", password: str = "",
             ca_file: str = "", cert_file: str = "", key_file: str = "",
             insecure_skip_tls_verify: bool = False, pass_credentials_all: bool = False,
             force_update: bool = False, paths: RepoPaths | None = None) -> None:
    """Add a chart repository (its index is downloaded and checked now)."""
    repo_action.add_repository(RepoEntry(
        name=name, url=url, username=username, password=password, ca_file=ca_file,
        cert_file=cert_file, key_file=key_file,
        insecure_skip_tls_verify=insecure_skip_tls_verify,
        pass_credentials_all=pass_credentials_all), force_update=force_update, paths=paths)


def repo_update(*names: str, paths: RepoPaths | None = None) -> list[str]:
    """Download the indexes of the named repositories (none named: all of them);
    returns the names updated. RepoError when any could not be updated (the others
    are, all the same)."""
    outcomes = repo_action.update_repositories(names, paths)
    failed = [f"{o.entry.name}: {o.error}" for o in outcomes if o.error is not None]
    if failed:
        raise RepoError("failed to update: " + "; ".join(failed))
    return [o.entry.name for o in outcomes]


def repo_search(keyword: str = "", *, constraint: str | None = None,
                all_versions: bool = False, devel: bool = False,
                paths: RepoPaths | None = None) -> list[SearchHit]:
    """Search the added repositories' indexes, as ``pyhelm search repo``."""
    return repo_action.search(keyword, constraint=constraint, all_versions=all_versions,
                              devel=devel, paths=paths)


def pull_chart(ref: str, *, version: str | None = None, destination: str = ".",
               untar: bool = False, untar_dir: str | None = None,
               repo_url: str | None = None, paths: RepoPaths | None = None,
               verify: bool = False, keyring: str | Path | None = None) -> Path:
    """Download a chart (``repo/name`` or ``oci://...``; digest-verified) into
    ``destination``; returns the archive's path (or the unpacked directory's with
    ``untar``). ``verify``: its provenance must verify against ``keyring`` (see
    ``verify_chart``) or nothing is written (``ProvenanceError``)."""
    location = ChartLocation(repo_url=repo_url, verify=verify, keyring=str(keyring or ""))
    return repo_action.pull(repo_action.PullOptions(
        ref=ref, version=version, destination=destination, untar=untar,
        untar_dir=untar_dir, repo_url=repo_url, location=location), paths)


def registry_login(host: str, username: str, password: str, *,
                   plain_http: bool | None = None, paths: RepoPaths | None = None) -> None:
    """Check credentials against an OCI registry and store them."""
    registry_action.login(host, username, password, plain_http=plain_http, paths=paths)


def registry_logout(host: str, *, paths: RepoPaths | None = None) -> bool:
    """Forget a registry's stored credentials; False when there were none."""
    return registry_action.logout(host, paths)


def registry_push(package: str | Path, remote: str, *, plain_http: bool | None = None,
                  paths: RepoPaths | None = None) -> str:
    """Push a packaged chart to ``oci://HOST/PATH``; returns the pushed reference."""
    return registry_action.push(package, remote, plain_http=plain_http, paths=paths)


def registry_pull(ref: str, *, version: str | None = None, destination: str = ".",
                  paths: RepoPaths | None = None) -> Path:
    """Pull ``oci://HOST/PATH/NAME`` (exact version, constraint or newest)."""
    if not ref.startswith("oci://"):
        raise UsageError(f"{ref}: a registry reference starts with oci://")
    return pull_chart(ref, version=version, destination=destination, paths=paths)


def dependency_update(chart_dir: str, *, paths: RepoPaths | None = None
                      ) -> list[dict[str, str]]:
    """Resolve, download and lock a chart's dependencies (``charts/``, ``Chart.lock``);
    returns the locked entries."""
    return dependency_action.update(chart_dir, paths)


def _strings(name: str, given: Sequence[str]) -> tuple[str, ...]:
    if isinstance(given, str):  # a str is a Sequence[str]: one item, not its letters
        raise UsageError(f"{name} takes a list of strings, not one string")
    return tuple(given)


def _values(values: Mapping[str, Any] | None, files: Sequence[str], sets: Sequence[str]
            ) -> ValueOptions:
    return ValueOptions(values=dict(values or {}),
                        values_files=_strings("values_files", files),
                        set_values=_strings("set_values", sets))
