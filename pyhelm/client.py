"""The library facade: ``pyhelm.Client`` runs the release actions from Python.

Each method builds the action's options from keyword arguments and returns the typed
result (``pyhelm.release.model.Release`` for the verbs that write a revision). Errors are
the ``pyhelm.errors`` tree: ``ReleaseNotFoundError``, ``ReleaseInProgressError``,
``KubeConflictError`` (ownership or field-manager conflicts), ``ChartError`` ...
Connecting is lazy; importing this module does not import the Kubernetes client.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pyhelm.action import history as history_action
from pyhelm.action import install as install_action
from pyhelm.action import list_releases, rollback, uninstall, upgrade
from pyhelm.action import template as template_action
from pyhelm.action.configuration import Configuration
from pyhelm.action.rollout import parse_duration
from pyhelm.action.values_options import ValueOptions
from pyhelm.settings import Settings


class Client:
    """Release operations against one cluster (kubeconfig + context) and namespace."""

    def __init__(self, kubeconfig: str | None = None, context: str | None = None,
                 namespace: str | None = None, driver: str | None = None,
                 progress: Callable[[str], None] | None = None) -> None:
        # like the CLI: Helm's environment variables, then these arguments
        settings = Settings.from_environ().with_flags(kubeconfig=kubeconfig,
                                                      kube_context=context,
                                                      namespace=namespace, driver=driver)
        extra: dict[str, Any] = {"progress": progress} if progress else {}
        self.config = Configuration.from_settings(settings, **extra)

    def install(self, name: str, chart: str, *, values: Mapping[str, Any] | None = None,
                values_files: tuple[str, ...] = (), set_values: tuple[str, ...] = (),
                timeout: str | float = 300.0, **options: Any) -> Any:
        """Install ``chart`` (a directory or .tgz) as release ``name``; returns the Release.
        Other keywords are the fields of ``pyhelm.action.install.InstallOptions``
        (wait, atomic, create_namespace, dry_run, take_ownership, ...)."""
        return install_action.run(self.config, install_action.InstallOptions(
            name=name, chart=chart, values=_values(values, values_files, set_values),
            timeout=parse_duration(timeout), **options))

    def upgrade(self, name: str, chart: str, *, values: Mapping[str, Any] | None = None,
                values_files: tuple[str, ...] = (), set_values: tuple[str, ...] = (),
                timeout: str | float = 300.0, **options: Any) -> Any:
        """Upgrade (``install=True``: or install) a release; see ``UpgradeOptions``."""
        return upgrade.run(self.config, upgrade.UpgradeOptions(
            name=name, chart=chart, values=_values(values, values_files, set_values),
            timeout=parse_duration(timeout), **options))

    def rollback(self, name: str, revision: int = 0, *, timeout: str | float = 300.0,
                 **options: Any) -> Any:
        """Roll back to ``revision`` (0: the previous one) as a new revision."""
        return rollback.run(self.config, rollback.RollbackOptions(
            name=name, revision=revision, timeout=parse_duration(timeout), **options))

    def uninstall(self, name: str, *, keep_history: bool = False, wait: bool = False,
                  timeout: str | float = 300.0, **options: Any) -> uninstall.UninstallResult:
        return uninstall.run(self.config, uninstall.UninstallOptions(
            name=name, keep_history=keep_history, wait=wait, timeout=parse_duration(timeout),
            **options))

    def history(self, name: str, *, max: int = 256) -> list[Any]:
        return history_action.run_history(self.config, history_action.HistoryOptions(
            name=name, max=max))

    def status(self, name: str, *, revision: int | None = None,
               show_resources: bool = False) -> history_action.StatusResult:
        return history_action.run_status(self.config, history_action.StatusOptions(
            name=name, revision=revision, show_resources=show_resources))

    def list(self, *, all_namespaces: bool = False, states: tuple[str, ...] = (),
             all_states: bool = False, filter: str | None = None) -> list[Any]:
        return list_releases.run(self.config, list_releases.ListOptions(
            all_namespaces=all_namespaces, states=frozenset(states), all_states=all_states,
            filter=filter))

    def get_values(self, name: str, *, revision: int | None = None,
                   all_values: bool = False) -> dict[str, Any]:
        return dict(history_action.run_get(self.config, history_action.GetOptions(
            name=name, what="values", revision=revision, all_values=all_values)))

    def template(self, name: str, chart: str, *, values: Mapping[str, Any] | None = None,
                 namespace: str = "default") -> str:
        """Render offline, as ``pyhelm template``; returns the manifest text."""
        return template_action.run(template_action.TemplateOptions(
            chart=chart, release_name=name, namespace=namespace,
            values=_values(values, (), ()))).text


def _values(values: Mapping[str, Any] | None, files: tuple[str, ...], sets: tuple[str, ...]
            ) -> ValueOptions:
    return ValueOptions(values=dict(values or {}), values_files=tuple(files),
                        set_values=tuple(sets))
