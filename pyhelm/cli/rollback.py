"""``pyhelm rollback NAME [REVISION]`` and ``pyhelm uninstall NAME``."""

from __future__ import annotations

from typing import Any

import click

from pyhelm.cli.globals import settings
from pyhelm.cli.install import check_server_side, server_side_option
from pyhelm.cli.output import configuration, seconds, timeout_option


@click.command("rollback")
@click.argument("name")
@click.argument("revision", type=int, required=False, default=0)
@click.option("--wait", is_flag=True, help="Wait until all objects are ready.")
@click.option("--wait-for-jobs", is_flag=True, help="Also wait for Jobs to complete.")
@timeout_option
@click.option("--no-hooks", is_flag=True, help="Do not run hooks.")
@click.option("--force-conflicts/--no-force-conflicts", default=True, show_default=True,
              help="Take fields other field managers own.")
@click.option("--force-replace", is_flag=True,
              help="Force resource updates by replacement (PUT), not apply.")
@click.option("--cleanup-on-fail", is_flag=True, help="Delete new objects on failure.")
@click.option("--history-max", default=None, type=int,
              help="Revisions to keep (default $HELM_MAX_HISTORY or 10).")
@click.option("--dry-run", is_flag=True, help="Simulate a rollback.")
@click.option("--description", default="",
              help="Add a custom description for the rollback (max 256 characters).")
@server_side_option
@click.pass_context
def rollback_command(ctx: click.Context, name: str, revision: int, wait: bool,
                     wait_for_jobs: bool, timeout: str, no_hooks: bool, force_conflicts: bool,
                     force_replace: bool, cleanup_on_fail: bool, history_max: int | None,
                     dry_run: bool, description: str, server_side: str) -> None:
    """Roll a release back to REVISION (default: the previous one)."""
    from pyhelm.action import rollback

    check_server_side(server_side)
    rollback.check_description(description)  # before any cluster access, as Helm
    options = rollback.RollbackOptions(
        name=name, revision=revision, namespace=settings(ctx).namespace,
        wait=wait, wait_for_jobs=wait_for_jobs, timeout=seconds(timeout), no_hooks=no_hooks,
        force_conflicts=force_conflicts, force_replace=force_replace,
        cleanup_on_fail=cleanup_on_fail,
        history_max=settings(ctx).max_history if history_max is None else history_max,
        dry_run=dry_run, description=description)
    rollback.run(configuration(ctx), options)
    click.echo("Rollback was a success! Happy Helming!")


@click.command("uninstall")
@click.argument("names", nargs=-1, required=True)
@click.option("--keep-history", is_flag=True, help="Keep the history, marked uninstalled.")
@click.option("--no-hooks", is_flag=True, help="Do not run hooks.")
@click.option("--wait", is_flag=True, help="Wait until every object is deleted.")
@timeout_option
@click.option("--dry-run", is_flag=True, help="Show what would be deleted.")
@click.option("--description", default="", help="Custom description.")
@click.option("--ignore-not-found", is_flag=True,
              help='Treat "release not found" as a successful uninstall.')
@click.option("--cascade", type=click.Choice(["background", "foreground", "orphan"]),
              default="background", show_default=True,
              help="Deletion cascading strategy for the dependents.")
@click.pass_context
def uninstall_command(ctx: click.Context, names: tuple[str, ...], keep_history: bool,
                      no_hooks: bool, wait: bool, timeout: str, dry_run: bool,
                      description: str, ignore_not_found: bool, cascade: str) -> None:
    """Uninstall one or more releases."""
    from pyhelm.action import uninstall
    from pyhelm.errors import ReleaseNotFoundError

    cfg = configuration(ctx)
    for name in names:
        try:
            result = uninstall.run(cfg, uninstall.UninstallOptions(
                name=name, namespace=settings(ctx).namespace, keep_history=keep_history,
                no_hooks=no_hooks, wait=wait, timeout=seconds(timeout), dry_run=dry_run,
                description=description, cascade=cascade))
        except ReleaseNotFoundError:
            if not ignore_not_found:
                raise
            click.echo(f'release "{name}" uninstalled')  # what Helm 4 prints here too
            continue
        _log_skipped(result, name, dry_run=dry_run, debug=settings(ctx).debug)
        info = _uninstall_info(result, dry_run=dry_run)
        if info:
            click.echo(info)
        click.echo(f'release "{name}" uninstalled')


def _uninstall_info(result: Any, *, dry_run: bool) -> str:
    """What Helm 4.3 prints before 'release "NAME" uninstalled': the objects kept by
    their resource policy and (not in a dry run, which logs them) those left alone."""
    sections = []
    if result.kept_manifests:
        sections.append("These resources were kept due to the resource policy:\n" + "".join(
            f"[{m.kind}] {m.name}\n" for m in result.kept_manifests))
    if result.not_owned and not dry_run:
        sections.append(f"{len(result.not_owned)} resource(s) were not deleted because they "
                        "are not owned by this release:\n" + "".join(
                            f"[{s.manifest.kind}] {s.manifest.name}\n"
                            for s in result.not_owned))
    if result.unverified and not dry_run:
        sections.append(f"{len(result.unverified)} resource(s) were not deleted because "
                        "their ownership could not be verified:\n" + "".join(
                            f"[{s.manifest.kind}] {s.manifest.name}: {s.error}\n"
                            for s in result.unverified))
    return "\n".join(sections)


def _log_skipped(result: Any, name: str, *, dry_run: bool, debug: bool) -> None:
    from pyhelm.cli import helm_log

    def where(skipped: Any) -> dict[str, str]:
        return {"kind": skipped.manifest.kind, "name": skipped.manifest.name,
                "namespace": skipped.namespace}

    if not dry_run:
        for skipped in result.not_owned:
            helm_log.warn("skipping delete of resource not owned by this release",
                          **where(skipped), release=name)
        for skipped in result.unverified:
            helm_log.warn("skipping delete of resource because ownership could not be "
                          "verified", **where(skipped), release=name, error=skipped.error)
        return
    if result.not_owned:
        helm_log.warn("dry-run: resources would be skipped because they are not owned by "
                      "this release", release=name, count=len(result.not_owned))
        for skipped in result.not_owned:
            helm_log.warn("dry-run: would skip resource", **where(skipped))
    if result.unverified:
        helm_log.warn("dry-run: resources would be skipped because their ownership could "
                      "not be verified", release=name, count=len(result.unverified))
        for skipped in result.unverified:
            helm_log.warn("dry-run: would skip resource (ownership could not be verified)",
                          **where(skipped), error=skipped.error)
    if result.deleted:
        helm_log.debug(debug, "dry-run: resources would be deleted", release=name,
                       count=len(result.deleted))
        for ref in result.deleted:
            helm_log.debug(debug, "dry-run: would delete resource", resource=ref)
