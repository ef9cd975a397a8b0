"""The one exception tree of pyhelm.

Every error a user can cause or meet is a ``PyhelmError``. Lower layers re-raise
Jinja, YAML, HTTP and Kubernetes API errors as one of these with the cause attached
(``raise ... from exc``) and a message that names the location (file, line, value
path) in one line. The CLI maps the classes to exit codes. Imports nothing from pyhelm.
"""

from __future__ import annotations


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
    """The named release (or revision) does not exist."""


class ReleaseExistsError(ReleaseError):
    """A release of that name already exists."""


class ReleaseInProgressError(ReleaseError):
    """Another operation holds the release."""


class ReleaseConflictError(ReleaseInProgressError):
    """A release record changed since it was read: another operation wrote it (this one
    lost its lock, or never had it)."""


class KubeError(PyhelmError):
    """An error from the Kubernetes API server or the way to reach it."""


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


class RepoError(PyhelmError):
    """A chart repository or OCI registry error."""


class UsageError(PyhelmError):
    """The command was called with arguments that do not fit together (exit code 1, as
    Helm exits for every error)."""
