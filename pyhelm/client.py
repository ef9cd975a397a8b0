"""The library facade for releases: ``pyhelm.Client`` runs the release verbs from Python.

Every option of every verb is an explicit keyword parameter (a misspelt one fails the
type checker, and at run time a ``TypeError`` names it), and every method returns a
typed result: ``Release`` for the verbs that write a revision, ``UninstallResult``,
``StatusResult``, ``ReleaseTestResult``, ``ObjectDiff`` ... Errors are the
``pyhelm.errors`` tree: ``ReleaseNotFoundError``, ``ReleaseInProgressError``,
``KubeConflictError`` (ownership or field-manager conflicts), ``ChartError`` ...

Connecting is lazy: importing this module does not import the Kubernetes client, and
nothing reaches the cluster until a method needs it. One ``Client`` is one
``Configuration`` (cluster, namespace, release store); it is not thread-safe, so run
concurrent operations with one ``Client`` per thread. Durations are seconds or Go
durations (``"5m"``, ``"1h30m"``).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from pyhelm.action import diff as diff_action
from pyhelm.action import history as history_action
from pyhelm.action import install as install_action
from pyhelm.action import list_releases, release_test, rollback, uninstall, upgrade
from pyhelm.action.configuration import Configuration
from pyhelm.action.rollout import parse_duration
from pyhelm.action.values_options import ValueOptions
from pyhelm.errors import UsageError
from pyhelm.library import render_chart
from pyhelm.settings import Settings

if TYPE_CHECKING:
    from pyhelm.action.post_renderer import PostRenderer
    from pyhelm.release.model import Release

DryRun = Literal["client", "server"]
Cascade = Literal["background", "foreground", "orphan"]


class Client:
    """Release operations against one cluster (kubeconfig + context) and namespace.

    Settings come from Helm's environment variables (``KUBECONFIG``, ``HELM_NAMESPACE``,
    ``HELM_DRIVER`` ...), then these arguments; pass ``config`` to use a ready
    ``Configuration`` instead (tests pass one with a fake kube client and clock)."""

    def __init__(self, kubeconfig: str | None = None, context: str | None = None,
                 namespace: str | None = None, driver: str | None = None,
                 progress: Callable[[str], None] | None = None, *,
                 config: Configuration | None = None) -> None:
        if config is None:
            settings = Settings.from_environ().with_flags(
                kubeconfig=kubeconfig, kube_context=context, namespace=namespace,
                driver=driver)
            config = Configuration.from_settings(settings)
            if progress is not None:
                config.progress = progress
        self.config = config

    def install(self, name: str | None, chart: str, *, version: str | None = None,
                namespace: str | None = None, values: Mapping[str, Any] | None = None,
                values_files: Sequence[str] = (), set_values: Sequence[str] = (),
                set_string_values: Sequence[str] = (), set_json_values: Sequence[str] = (),
                set_file_values: Sequence[str] = (), set_literal_values: Sequence[str] = (),
                generate_name: bool = False, create_namespace: bool = False,
                dry_run: DryRun | None = None, wait: bool = False,
                wait_for_jobs: bool = False, atomic: bool = False,
                timeout: str | float = 300.0, description: str = "",
                take_ownership: bool = False, force_conflicts: bool = False,
                skip_crds: bool = False, no_hooks: bool = False,
                skip_schema_validation: bool = False,
                render_subchart_notes: bool = False,
                post_renderer: PostRenderer | None = None) -> Release:
        """Install ``chart`` (a directory, a .tgz, ``repo/name`` or ``oci://...``) as
        release ``name`` (None with ``generate_name=True``); returns the Release as
        recorded. A failure is recorded first (``atomic``: and the release uninstalled)."""
        return install_action.run(self.config, install_action.InstallOptions(
            name=name, chart=chart, version=version, namespace=namespace,
            values=_values(values, values_files, set_values, set_string_values,
                           set_json_values, set_file_values, set_literal_values),
            generate_name=generate_name, create_namespace=create_namespace, dry_run=dry_run,
            wait=wait, wait_for_jobs=wait_for_jobs, atomic=atomic,
            timeout=parse_duration(timeout), description=description,
            take_ownership=take_ownership, force_conflicts=force_conflicts,
            skip_crds=skip_crds, no_hooks=no_hooks,
            skip_schema_validation=skip_schema_validation,
            render_subchart_notes=render_subchart_notes, post_renderer=post_renderer))

    def upgrade(self, name: str, chart: str, *, version: str | None = None,
                namespace: str | None = None, values: Mapping[str, Any] | None = None,
                values_files: Sequence[str] = (), set_values: Sequence[str] = (),
                set_string_values: Sequence[str] = (), set_json_values: Sequence[str] = (),
                set_file_values: Sequence[str] = (), set_literal_values: Sequence[str] = (),
                install: bool = False, create_namespace: bool = False,
                reuse_values: bool = False, reset_values: bool = False,
                reset_then_reuse_values: bool = False, dry_run: DryRun | None = None,
                wait: bool = False, wait_for_jobs: bool = False, atomic: bool = False,
                cleanup_on_fail: bool = False, history_max: int = 10,
                timeout: str | float = 300.0, description: str = "",
                take_ownership: bool = False, force_conflicts: bool = False,
                skip_crds: bool = False, no_hooks: bool = False,
                skip_schema_validation: bool = False,
                render_subchart_notes: bool = False,
                post_renderer: PostRenderer | None = None) -> Release:
        """Upgrade release ``name`` to ``chart`` as a new revision (``install=True``:
        install it when it does not exist); returns the new Release."""
        return upgrade.run(self.config, upgrade.UpgradeOptions(
            name=name, chart=chart, version=version, namespace=namespace,
            values=_values(values, values_files, set_values, set_string_values,
                           set_json_values, set_file_values, set_literal_values),
            install=install, create_namespace=create_namespace, reuse_values=reuse_values,
            reset_values=reset_values, reset_then_reuse_values=reset_then_reuse_values,
            dry_run=dry_run, wait=wait, wait_for_jobs=wait_for_jobs, atomic=atomic,
            cleanup_on_fail=cleanup_on_fail, history_max=history_max,
            timeout=parse_duration(timeout), description=description,
            take_ownership=take_ownership, force_conflicts=force_conflicts,
            skip_crds=skip_crds, no_hooks=no_hooks,
            skip_schema_validation=skip_schema_validation,
            render_subchart_notes=render_subchart_notes, post_renderer=post_renderer))

    def rollback(self, name: str, revision: int = 0, *, namespace: str | None = None,
                 wait: bool = False, wait_for_jobs: bool = False,
                 timeout: str | float = 300.0, no_hooks: bool = False,
                 force_conflicts: bool = True, cleanup_on_fail: bool = False,
                 history_max: int = 10, dry_run: bool = False,
                 description: str = "") -> Release:
        """Roll back to ``revision`` (0: the one before the latest) as a new revision;
        ``description`` (at most 256 characters) replaces "Rollback to N"."""
        return rollback.run(self.config, rollback.RollbackOptions(
            name=name, revision=revision, namespace=namespace, wait=wait,
            wait_for_jobs=wait_for_jobs, timeout=parse_duration(timeout), no_hooks=no_hooks,
            force_conflicts=force_conflicts, cleanup_on_fail=cleanup_on_fail,
            history_max=history_max, dry_run=dry_run, description=description))

    def uninstall(self, name: str, *, namespace: str | None = None,
                  keep_history: bool = False, no_hooks: bool = False, wait: bool = False,
                  timeout: str | float = 300.0, dry_run: bool = False,
                  description: str = "", cascade: Cascade = "background"
                  ) -> uninstall.UninstallResult:
        """Delete the release's objects and (unless ``keep_history``) its records."""
        return uninstall.run(self.config, uninstall.UninstallOptions(
            name=name, namespace=namespace, keep_history=keep_history, no_hooks=no_hooks,
            wait=wait, timeout=parse_duration(timeout), dry_run=dry_run,
            description=description, cascade=cascade))

    def history(self, name: str, *, namespace: str | None = None, max: int = 256
                ) -> builtins.list[Release]:
        """The release's revisions, oldest first (at most ``max``, the newest ones)."""
        return history_action.run_history(self.config, history_action.HistoryOptions(
            name=name, namespace=namespace, max=max))

    def status(self, name: str, *, namespace: str | None = None, revision: int | None = None,
               show_resources: bool = False) -> history_action.StatusResult:
        """A revision (default: the latest) and, with ``show_resources``, its objects'
        readiness."""
        return history_action.run_status(self.config, history_action.StatusOptions(
            name=name, namespace=namespace, revision=revision,
            show_resources=show_resources))

    def list(self, *, namespace: str | None = None, all_namespaces: bool = False,
             states: Sequence[str] = (), all_states: bool = False, filter: str | None = None,
             selector: str | None = None, by_date: bool = False, reverse: bool = False,
             offset: int = 0, max: int = 256) -> builtins.list[Release]:
        """The latest revision of each release, as ``helm list`` selects and sorts them."""
        return list_releases.run(self.config, list_releases.ListOptions(
            namespace=namespace, all_namespaces=all_namespaces, states=frozenset(states),
            all_states=all_states, filter=filter, selector=selector, by_date=by_date,
            reverse=reverse, offset=offset, max=max))

    def get(self, name: str, *, namespace: str | None = None,
            revision: int | None = None) -> Release:
        """One stored revision (default: the latest), with its chart, values, manifest."""
        return history_action.run_get_release(self.config, history_action.GetOptions(
            name=name, what="release", namespace=namespace, revision=revision))

    def get_values(self, name: str, *, namespace: str | None = None,
                   revision: int | None = None, all_values: bool = False
                   ) -> dict[str, Any]:
        """The user-supplied values (``all_values``: merged with the chart's)."""
        release = self.get(name, namespace=namespace, revision=revision)
        return history_action.release_values(release, all_values)

    def test(self, name: str, *, namespace: str | None = None,
             timeout: str | float = 300.0) -> release_test.ReleaseTestResult:
        """Run the release's test hooks; a failed one raises ``HookFailedError``."""
        return release_test.run(self.config, release_test.ReleaseTestOptions(
            name=name, namespace=namespace, timeout=parse_duration(timeout)))

    def diff_upgrade(self, name: str, chart: str, *, namespace: str | None = None,
                     version: str | None = None, values: Mapping[str, Any] | None = None,
                     values_files: Sequence[str] = (), set_values: Sequence[str] = (),
                     set_string_values: Sequence[str] = (),
                     set_json_values: Sequence[str] = (),
                     set_file_values: Sequence[str] = (),
                     set_literal_values: Sequence[str] = (), reuse_values: bool = False,
                     reset_values: bool = False) -> builtins.list[diff_action.ObjectDiff]:
        """What an upgrade would change, object by object, against the live objects."""
        return diff_action.run(self.config, diff_action.DiffOptions(
            name=name, chart=chart, namespace=namespace, version=version,
            values=_values(values, values_files, set_values, set_string_values,
                           set_json_values, set_file_values, set_literal_values),
            reuse_values=reuse_values, reset_values=reset_values))

    def template(self, name: str, chart: str, *, values: Mapping[str, Any] | None = None,
                 values_files: Sequence[str] = (), set_values: Sequence[str] = (),
                 namespace: str = "default", version: str | None = None) -> str:
        """Render offline, as ``pyhelm template``; returns the manifest text (see
        ``pyhelm.render_chart`` for the parsed objects)."""
        return render_chart(chart, release_name=name, namespace=namespace, version=version,
                            values=values, values_files=values_files,
                            set_values=set_values).text


def _values(values: Mapping[str, Any] | None, files: Sequence[str], sets: Sequence[str],
            strings: Sequence[str], jsons: Sequence[str], file_sets: Sequence[str],
            literals: Sequence[str]) -> ValueOptions:
    for name, given in (("values_files", files), ("set_values", sets),
                        ("set_string_values", strings), ("set_json_values", jsons),
                        ("set_file_values", file_sets), ("set_literal_values", literals)):
        if isinstance(given, str):  # a str is a Sequence[str]: one flag, not its letters
            raise UsageError(f"{name} takes a list of strings, not one string")
    return ValueOptions(values=dict(values or {}), values_files=tuple(files),
                        set_values=tuple(sets), set_string_values=tuple(strings),
                        set_json_values=tuple(jsons), set_file_values=tuple(file_sets),
                        set_literal_values=tuple(literals))
