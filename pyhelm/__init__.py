"""pyhelm: a Helm-compatible package manager for Kubernetes with Jinja2 charts.

The public API: ``Client`` (release verbs over one cluster and namespace), the chart,
repository and registry functions of ``pyhelm.library``, their typed results, the
``pyhelm.errors`` tree, and the warnings of ``pyhelm.notices`` (what Helm logs as it
works: a deprecated chart, a hook left out). Names are imported lazily (module
``__getattr__``) so that ``import pyhelm`` stays fast and never imports the Kubernetes
client or click; the ``TYPE_CHECKING`` imports below let type checkers see each name
with its real type.
"""

from __future__ import annotations

import importlib

from pyhelm._version import __version__

# ``typing`` itself takes 10 ms to import, which every ``pyhelm`` command would pay
# before it reaches the command server; type checkers read this name as typing's.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from pyhelm.action.diff import (
        ObjectDiff as ObjectDiff,
    )
    from pyhelm.action.history import (
        ResourceState as ResourceState,
    )
    from pyhelm.action.history import (
        StatusResult as StatusResult,
    )
    from pyhelm.action.hooks import (
        HookRun as HookRun,
    )
    from pyhelm.action.lint import (
        ChartLint as ChartLint,
    )
    from pyhelm.action.lint import (
        LintMessage as LintMessage,
    )
    from pyhelm.action.lint import (
        LintResult as LintResult,
    )
    from pyhelm.action.lint import (
        Severity as Severity,
    )
    from pyhelm.action.post_renderer import (
        PostRenderer as PostRenderer,
    )
    from pyhelm.action.release_test import (
        ReleaseTestResult as ReleaseTestResult,
    )
    from pyhelm.action.uninstall import (
        UninstallResult as UninstallResult,
    )
    from pyhelm.async_client import (
        AsyncClient as AsyncClient,
    )
    from pyhelm.chart.model import (
        Chart as Chart,
    )
    from pyhelm.chart.model import (
        ChartMetadata as ChartMetadata,
    )
    from pyhelm.client import (
        Client as Client,
    )
    from pyhelm.engine.manifest import (
        Hook as Hook,
    )
    from pyhelm.engine.manifest import (
        Manifest as Manifest,
    )
    from pyhelm.errors import (
        ChartError as ChartError,
    )
    from pyhelm.errors import (
        DeleteError as DeleteError,
    )
    from pyhelm.errors import (
        HookFailedError as HookFailedError,
    )
    from pyhelm.errors import (
        KubeConflictError as KubeConflictError,
    )
    from pyhelm.errors import (
        KubeError as KubeError,
    )
    from pyhelm.errors import (
        KubeForbiddenError as KubeForbiddenError,
    )
    from pyhelm.errors import (
        KubeInvalidError as KubeInvalidError,
    )
    from pyhelm.errors import (
        KubeNotFoundError as KubeNotFoundError,
    )
    from pyhelm.errors import (
        KubeUnreachableError as KubeUnreachableError,
    )
    from pyhelm.errors import (
        ProvenanceError as ProvenanceError,
    )
    from pyhelm.errors import (
        PyhelmError as PyhelmError,
    )
    from pyhelm.errors import (
        ReleaseConflictError as ReleaseConflictError,
    )
    from pyhelm.errors import (
        ReleaseError as ReleaseError,
    )
    from pyhelm.errors import (
        ReleaseExistsError as ReleaseExistsError,
    )
    from pyhelm.errors import (
        ReleaseInProgressError as ReleaseInProgressError,
    )
    from pyhelm.errors import (
        ReleaseNotFoundError as ReleaseNotFoundError,
    )
    from pyhelm.errors import (
        RenderError as RenderError,
    )
    from pyhelm.errors import (
        RepoError as RepoError,
    )
    from pyhelm.errors import (
        StatusCause as StatusCause,
    )
    from pyhelm.errors import (
        StatusDetails as StatusDetails,
    )
    from pyhelm.errors import (
        UsageError as UsageError,
    )
    from pyhelm.errors import (
        ValuesError as ValuesError,
    )
    from pyhelm.errors import (
        WaitFailedError as WaitFailedError,
    )
    from pyhelm.errors import (
        WaitTimeoutError as WaitTimeoutError,
    )
    from pyhelm.library import (
        RenderedChart as RenderedChart,
    )
    from pyhelm.library import (
        dependency_update as dependency_update,
    )
    from pyhelm.library import (
        lint_chart as lint_chart,
    )
    from pyhelm.library import (
        load_chart as load_chart,
    )
    from pyhelm.library import (
        package_chart as package_chart,
    )
    from pyhelm.library import (
        pull_chart as pull_chart,
    )
    from pyhelm.library import (
        registry_login as registry_login,
    )
    from pyhelm.library import (
        registry_logout as registry_logout,
    )
    from pyhelm.library import (
        registry_pull as registry_pull,
    )
    from pyhelm.library import (
        registry_push as registry_push,
    )
    from pyhelm.library import (
        render_chart as render_chart,
    )
    from pyhelm.library import (
        repo_add as repo_add,
    )
    from pyhelm.library import (
        repo_search as repo_search,
    )
    from pyhelm.library import (
        repo_update as repo_update,
    )
    from pyhelm.library import (
        sign_chart as sign_chart,
    )
    from pyhelm.library import (
        verify_chart as verify_chart,
    )
    from pyhelm.notices import (
        ChartDeprecated as ChartDeprecated,
    )
    from pyhelm.notices import (
        Notice as Notice,
    )
    from pyhelm.notices import (
        UnknownHookSkipped as UnknownHookSkipped,
    )
    from pyhelm.release.model import (
        HookRecord as HookRecord,
    )
    from pyhelm.release.model import (
        Info as Info,
    )
    from pyhelm.release.model import (
        Release as Release,
    )
    from pyhelm.release.status import (
        Status as Status,
    )
    from pyhelm.repo.client import (
        SearchHit as SearchHit,
    )
    from pyhelm.repo.provenance import (
        Verification as Verification,
    )
    from pyhelm.settings import (
        RepoPaths as RepoPaths,
    )

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "PostRenderer": "pyhelm.action.post_renderer",
    "PyhelmError": "pyhelm.errors",
    "ChartError": "pyhelm.errors",
    "ValuesError": "pyhelm.errors",
    "RenderError": "pyhelm.errors",
    "ReleaseError": "pyhelm.errors",
    "ReleaseNotFoundError": "pyhelm.errors",
    "ReleaseExistsError": "pyhelm.errors",
    "ReleaseInProgressError": "pyhelm.errors",
    "ReleaseConflictError": "pyhelm.errors",
    "HookFailedError": "pyhelm.errors",
    "KubeError": "pyhelm.errors",
    "KubeNotFoundError": "pyhelm.errors",
    "KubeConflictError": "pyhelm.errors",
    "KubeForbiddenError": "pyhelm.errors",
    "KubeUnreachableError": "pyhelm.errors",
    "KubeInvalidError": "pyhelm.errors",
    "WaitTimeoutError": "pyhelm.errors",
    "WaitFailedError": "pyhelm.errors",
    "DeleteError": "pyhelm.errors",
    "StatusDetails": "pyhelm.errors",
    "StatusCause": "pyhelm.errors",
    "RepoError": "pyhelm.errors",
    "ProvenanceError": "pyhelm.errors",
    "UsageError": "pyhelm.errors",
    "Chart": "pyhelm.chart.model",
    "ChartMetadata": "pyhelm.chart.model",
    "Client": "pyhelm.client",
    "AsyncClient": "pyhelm.async_client",
    "RenderedChart": "pyhelm.library",
    "load_chart": "pyhelm.library",
    "lint_chart": "pyhelm.library",
    "package_chart": "pyhelm.library",
    "render_chart": "pyhelm.library",
    "repo_add": "pyhelm.library",
    "repo_update": "pyhelm.library",
    "repo_search": "pyhelm.library",
    "pull_chart": "pyhelm.library",
    "registry_login": "pyhelm.library",
    "registry_logout": "pyhelm.library",
    "registry_push": "pyhelm.library",
    "registry_pull": "pyhelm.library",
    "dependency_update": "pyhelm.library",
    "sign_chart": "pyhelm.library",
    "verify_chart": "pyhelm.library",
    "Verification": "pyhelm.repo.provenance",
    "Release": "pyhelm.release.model",
    "Info": "pyhelm.release.model",
    "HookRecord": "pyhelm.release.model",
    "Status": "pyhelm.release.status",
    "UninstallResult": "pyhelm.action.uninstall",
    "StatusResult": "pyhelm.action.history",
    "ResourceState": "pyhelm.action.history",
    "ReleaseTestResult": "pyhelm.action.release_test",
    "ObjectDiff": "pyhelm.action.diff",
    "LintResult": "pyhelm.action.lint",
    "ChartLint": "pyhelm.action.lint",
    "LintMessage": "pyhelm.action.lint",
    "Severity": "pyhelm.action.lint",
    "HookRun": "pyhelm.action.hooks",
    "Manifest": "pyhelm.engine.manifest",
    "Hook": "pyhelm.engine.manifest",
    "SearchHit": "pyhelm.repo.client",
    "Notice": "pyhelm.notices",
    "ChartDeprecated": "pyhelm.notices",
    "UnknownHookSkipped": "pyhelm.notices",
    "RepoPaths": "pyhelm.settings",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pyhelm' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
