"""The one exception tree of pyhelm.

Every error a user can cause or meet is a ``PyhelmError``. Lower layers re-raise
Jinja, YAML, HTTP and Kubernetes API errors as one of these with the cause attached
(``raise ... from exc``) and a message that names the location (file, line, value
path) in one line. The CLI maps the classes to exit codes (``exit_code``). Imports
nothing from pyhelm::

    PyhelmError
    ├── ChartError                  Chart.yaml, layout, archive, dependencies
    ├── ValuesError                 values files, --set syntax, schema
    ├── RenderError                 templates
    ├── ReleaseError                a release operation that cannot proceed
    │   ├── ReleaseNotFoundError
    │   │   └── DiffReleaseMissing  `diff upgrade` of a missing release (helm-diff's banner)
    │   ├── ReleaseExistsError
    │   ├── ReleaseInProgressError
    │   │   └── ReleaseConflictError    a record changed under us (lock lost)
    │   └── HookFailedError         a hook Job or Pod failed or timed out
    ├── KubeError                   the API server (status, reason, details) or the way to it
    │   ├── KubeNotFoundError       404
    │   ├── KubeConflictError       409, ownership and field-manager conflicts
    │   ├── KubeForbiddenError      401, 403
    │   ├── KubeInvalidError        400, 422
    │   ├── KubeUnreachableError    no server, or a kubeconfig that leads to none
    │   ├── WaitTimeoutError        objects still not ready at the deadline
    │   ├── WaitFailedError         an object that will not become ready
    │   ├── WaitCancelledError      a wait its caller gave up on (a newer spec)
    │   └── DeleteError             some objects could not be deleted
    ├── RepoError                   chart repositories and OCI registries
    │   ├── UploadError             a hosted repository refused an upload (400)
    │   ├── VersionExists           a hosted repository has that version (409)
    │   ├── ProvenanceError         a chart's .prov is missing, tampered or not trusted
    │   └── StorageError            a hosted repository's storage backend failed
    │       ├── ObjectNotFound
    │       ├── ObjectExists        put-if-absent found the key taken
    │       └── InvalidKey          a key no object can have (escapes, too long)
    ├── PluginError                 plugin.yaml, installing, running a plugin
    │   └── PluginExitError         a plugin that ran and exited non-zero (its code kept)
    ├── HelmReleaseError            a HelmRelease the controller cannot act on
    │   ├── HelmReleaseSpecError    its spec (the message names the field)
    │   │   └── ValuesFromError     a valuesFrom reference that cannot be read
    │   └── ArtifactError           its chart source or artifact (missing, digest)
    ├── DiffChangesFound            `diff --detailed-exitcode` found changes (exit code 2)
    └── UsageError                  arguments that do not fit together
        └── IncomparableReleases    `diff release` of releases of two different charts
"""

from __future__ import annotations

from dataclasses import dataclass


class PyhelmError(Exception):
    """Base of every error pyhelm raises on purpose."""

    exit_code = 1


class ChartError(PyhelmError):
    """A chart that cannot be loaded: Chart.yaml, layout, archive, dependencies."""


class ValuesError(PyhelmError):
    """Values that cannot be read, parsed (--set syntax) or that break the schema."""


class RenderError(PyhelmError):
    """A template that fails to render or renders something that is not a manifest."""


class ReleaseError(PyhelmError):
    """A release operation that cannot proceed."""


class ReleaseNotFoundError(ReleaseError):
    """The named release (or revision) does not exist. ``helm_message`` is what Helm
    prints for it, which programs that drive ``helm`` match on; the CLI prints that."""

    def __init__(self, message: str, helm_message: str = "release: not found") -> None:
        super().__init__(message)
        self.helm_message = helm_message


class ReleaseExistsError(ReleaseError):
    """A release of that name already exists."""


class ReleaseInProgressError(ReleaseError):
    """Another operation holds the release."""


class ReleaseConflictError(ReleaseInProgressError):
    """A release record changed since it was read: another operation wrote it (this one
    lost its lock, or never had it)."""


class HookFailedError(ReleaseError):
    """A hook Job or Pod failed or did not finish in time."""


@dataclass(frozen=True)
class StatusCause:
    """One cause in a Kubernetes ``Status``'s details (e.g. a field-manager conflict)."""

    reason: str = ""
    message: str = ""
    field: str = ""


@dataclass(frozen=True)
class StatusDetails:
    """The ``details`` of a Kubernetes ``Status``: which object, and why."""

    name: str = ""
    group: str = ""
    kind: str = ""
    causes: tuple[StatusCause, ...] = ()


class KubeError(PyhelmError):
    """An error from the Kubernetes API server or the way to reach it.

    ``status`` is the HTTP status code (None when no server answered), ``reason`` the
    ``Status`` reason (``NotFound``, ``AlreadyExists``, ``Conflict``, ``Forbidden``,
    ``Invalid``, ``Expired``, ...; empty when unknown) and ``details`` its details."""

    def __init__(self, message: str, *, status: int | None = None, reason: str = "",
                 details: StatusDetails | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.details = details or StatusDetails()

    @property
    def cause_reasons(self) -> tuple[str, ...]:
        """The reasons of the details' causes, e.g. ``("FieldManagerConflict",)``."""
        return tuple(cause.reason for cause in self.details.causes)


class KubeNotFoundError(KubeError):
    """The object or resource type does not exist."""


class KubeConflictError(KubeError):
    """The object exists already, changed under us, or has field-manager conflicts."""


class KubeForbiddenError(KubeError):
    """The credentials in use may not do this."""


class KubeUnreachableError(KubeError):
    """The API server cannot be reached, or the kubeconfig does not lead to one."""


class KubeInvalidError(KubeError):
    """The API server rejected an object as invalid."""


class WaitTimeoutError(KubeError):
    """The deadline passed with objects still not ready."""


class WaitFailedError(KubeError):
    """An object reached a state it will not recover from (a failed Job, say)."""


class WaitCancelledError(KubeError):
    """The wait was given up on by its caller (a controller with a newer spec to apply)."""


class DeleteError(KubeError):
    """Some objects could not be deleted; ``failures`` names each with its cause,
    ``deleted`` lists those that were."""

    def __init__(self, message: str, failures: list[str], deleted: list[str]) -> None:
        super().__init__(message)
        self.failures = failures
        self.deleted = deleted


class RepoError(PyhelmError):
    """A chart repository or OCI registry error."""


class UploadError(RepoError):
    """An upload to a hosted repository is not an acceptable chart (HTTP 400)."""


class ProvenanceError(RepoError):
    """A chart could not be signed, or its provenance does not verify (Helm's message)."""


class VersionExists(RepoError):
    """A hosted repository holds that version already and overwriting is off (HTTP 409)."""


class StorageError(RepoError):
    """A hosted repository's storage backend failed (unreachable, denied, I/O error)."""


class ObjectNotFound(StorageError):
    """No object under that key in the storage backend."""


class ObjectExists(StorageError):
    """A put-if-absent found an object under that key."""


class InvalidKey(StorageError):
    """A key no object can have: it could escape the repository, or a part of it is
    longer than a file name may be (HTTP 404 when asked for)."""


class PluginError(PyhelmError):
    """A plugin that cannot be loaded, installed, removed or run."""


class PluginExitError(PluginError):
    """A plugin ran and exited with a non-zero status; pyhelm exits with the same."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class UsageError(PyhelmError):
    """The command was called with arguments that do not fit together (exit code 1, as
    Helm exits for every error)."""


class DiffChangesFound(PyhelmError):
    """``diff --detailed-exitcode`` and something would change: helm-diff's exit code."""

    exit_code = 2


class DiffReleaseMissing(ReleaseNotFoundError):
    """``diff upgrade`` of a release that does not exist: ``banner`` is what helm-diff
    prints before its error."""

    def __init__(self, message: str, helm_message: str, banner: str) -> None:
        super().__init__(message, helm_message)
        self.banner = banner


class IncomparableReleases(UsageError):
    """``diff release`` of releases of two different charts; ``text`` is what helm-diff
    prints for it (on stdout)."""

    def __init__(self, message: str, text: str) -> None:
        super().__init__(message)
        self.text = text


class HelmReleaseError(PyhelmError):
    """A HelmRelease object the controller cannot act on."""


class HelmReleaseSpecError(HelmReleaseError):
    """A HelmRelease whose spec this controller cannot act on (the message names the
    field)."""


class ValuesFromError(HelmReleaseSpecError):
    """A valuesFrom reference that cannot be read (missing, bad YAML, no such key)."""


class ArtifactError(HelmReleaseError):
    """The chart's source is missing, not ready, or its artifact cannot be had or does
    not match its digest."""
