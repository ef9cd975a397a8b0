"""``pyhelm history``, ``pyhelm status``, ``pyhelm list`` and ``pyhelm get``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from pyhelm.cli.common import dump, output_option
from pyhelm.cli.globals import settings
from pyhelm.cli.output import configuration, table

if TYPE_CHECKING:
    from pyhelm.release.model import Release
    from pyhelm.release.summary import Summary


def _ns(ctx: click.Context) -> str | None:
    return settings(ctx).namespace


def history_rows(revisions: list[Summary], *, for_table: bool) -> list[dict[str, Any]]:
    from pyhelm.release.codec import format_time
    from pyhelm.release.timefmt import ansic

    when = ansic if for_table else format_time
    rows: list[dict[str, Any]] = []
    for r in revisions:
        row: dict[str, Any] = {"revision": r.version, "updated": when(r.last_deployed),
                               "status": r.status.value, "chart": r.chart,
                               "app_version": r.app_version}
        if r.rollback_revision or for_table:  # Helm 4.3: omitted from JSON/YAML when 0
            row["rollback_revision"] = r.rollback_revision or ""
        row["description"] = r.description or ""
        rows.append(row)
    return rows


@click.command("history")
@click.argument("name")
@click.option("--max", "max_", default=256, type=int, help="Most revisions to show.")
@click.option("--show-rollback-revision", is_flag=True,
              help="Show the rollback revision column in table output.")
@output_option()
@click.pass_context
def history_command(ctx: click.Context, name: str, max_: int, show_rollback_revision: bool,
                    output: str) -> None:
    """Show a release's revisions."""
    from pyhelm.action.history import HistoryOptions, run_history_summaries

    rows = history_rows(run_history_summaries(configuration(ctx), HistoryOptions(
        name=name, namespace=settings(ctx).namespace, max=max_)), for_table=output == "table")
    if output != "table":
        click.echo(dump(rows, output))
        return
    headers = ["REVISION", "UPDATED", "STATUS", "CHART", "APP VERSION", "ROLLBACK",
               "DESCRIPTION"]
    if not show_rollback_revision:
        headers.remove("ROLLBACK")
        for row in rows:
            del row["rollback_revision"]
    click.echo(table(headers, [list(r.values()) for r in rows]))


@click.command("status")
@click.argument("name")
@click.option("--revision", type=int, default=None, help="Show this revision.")
@click.option("--show-resources", is_flag=True,
              help="Also show pyhelm's readiness verdict for each object.")
@output_option()
@click.pass_context
def status_command(ctx: click.Context, name: str, revision: int | None, show_resources: bool,
                   output: str) -> None:
    """Show a release's status."""
    from pyhelm.action.history import StatusOptions, run_status
    from pyhelm.cli.release_output import resources_by_kind, status_dict, status_text


    cfg = configuration(ctx)
    # -o json/yaml carry the live objects, as Helm 4's do
    result = run_status(cfg, StatusOptions(
        name=name, namespace=settings(ctx).namespace, revision=revision,
        show_resources=show_resources or output != "table"))
    if output != "table":
        from pyhelm.action.history import RELATED, related_pods

        resources = resources_by_kind(result.live)
        pods = related_pods(cfg, result.live, result.release.namespace)
        if pods:
            resources[RELATED] = pods
        click.echo(dump(status_dict(result.release, resources), output))
        return
    from pyhelm.action.history import live_tables
    from pyhelm.cli.release_output import resources_text

    tables = live_tables(cfg, result.release, result.release.namespace)
    click.echo(status_text(result.release, resources=resources_text(tables)), nl=False)
    if show_resources:  # pyhelm's readiness verdict per object, beyond Helm's tables
        verdicts = [[s.ref, s.ready, s.reason] for s in result.resources]
        click.echo("READINESS:\n" + table(["RESOURCE", "READY", "REASON"], verdicts))


@click.command("list")
@click.option("-A", "--all-namespaces", is_flag=True, help="List in every namespace.")
@click.option("-a", "--all", "all_states", is_flag=True,
              help="Every status (Helm 4's default; kept for Helm 3 habits).")
@click.option("--deployed", is_flag=True, help="Show deployed releases.")
@click.option("--failed", is_flag=True, help="Show failed releases.")
@click.option("--pending", is_flag=True, help="Show pending releases.")
@click.option("--uninstalled", is_flag=True, help="Show uninstalled releases (kept history).")
@click.option("--uninstalling", is_flag=True, help="Show releases being uninstalled.")
@click.option("--superseded", is_flag=True, help="Show superseded releases.")
@click.option("-f", "--filter", "filter_", default=None, help="Regex on release names.")
@click.option("-l", "--selector", default=None,
              help="Label selector on the release records (=, ==, !=), e.g. -l status=failed.")
@click.option("-d", "--date", "by_date", is_flag=True, help="Sort by release date.")
@click.option("-r", "--reverse", is_flag=True, help="Reverse the sort order.")
@click.option("-m", "--max", "max_", default=256, show_default=True, type=int,
              help="Most releases to show (0: all).")
@click.option("--offset", default=0, type=int, help="Skip this many releases first.")
@click.option("--no-headers", is_flag=True, help="No header row in the table.")
@click.option("--time-format", default=None,
              help='Go time layout for UPDATED, e.g. "2006-01-02 15:04:05Z0700".')
@click.option("-q", "--short", is_flag=True, help="Names only.")
@output_option()
@click.pass_context
def list_command(ctx: click.Context, all_namespaces: bool, all_states: bool, deployed: bool,
                 failed: bool, pending: bool, uninstalled: bool, uninstalling: bool,
                 superseded: bool, filter_: str | None, selector: str | None, by_date: bool,
                 reverse: bool, max_: int, offset: int, no_headers: bool,
                 time_format: str | None, short: bool, output: str) -> None:
    """List releases."""
    from pyhelm.action.history import list_row
    from pyhelm.action.list_releases import ListOptions, run_summaries

    states = {s for s, on in (("deployed", deployed), ("failed", failed),
                              ("uninstalled", uninstalled), ("uninstalling", uninstalling),
                              ("superseded", superseded)) if on}
    if pending:
        states |= {"pending-install", "pending-upgrade", "pending-rollback"}
    found = run_summaries(configuration(ctx), ListOptions(
        namespace=settings(ctx).namespace, all_namespaces=all_namespaces,
        states=frozenset(states), all_states=all_states, filter=filter_, selector=selector,
        by_date=by_date, reverse=reverse, offset=offset, max=max_))
    rows = [list_row(r) for r in found]
    if time_format:
        from pyhelm.release.timefmt import go_format

        for row, release in zip(rows, found, strict=True):
            row["updated"] = go_format(release.last_deployed, time_format)
    if short:
        if rows:
            click.echo("\n".join(r["name"] for r in rows))
    elif output != "table":
        click.echo(dump(rows, output))
    else:
        headers = ["NAME", "NAMESPACE", "REVISION", "UPDATED", "STATUS", "CHART", "APP VERSION"]
        text = table(None if no_headers else headers, [list(r.values()) for r in rows])
        if text:
            click.echo(text)


@click.command("get")
@click.argument("what", type=click.Choice(["values", "manifest", "notes", "hooks", "metadata",
                                           "all"]))
@click.argument("name")
@click.option("--revision", type=int, default=None, help="Get this revision.")
@click.option("-a", "--all", "all_values", is_flag=True, help="Computed values.")
@click.option("--template", "template", default="",
              help="With `all`: a Go template over the release, e.g. {{.Release.Name}}.")
@output_option()
@click.pass_context
def get_command(ctx: click.Context, what: str, name: str, revision: int | None,
                all_values: bool, template: str, output: str) -> None:
    """Show part of a release: values, manifest, notes, hooks, metadata or all."""
    from pyhelm.action.history import GetOptions, run_get
    from pyhelm.cli import release_output as shape

    if template and what != "all":
        raise click.UsageError("unknown flag: --template")
    release = run_get(configuration(ctx), GetOptions(
        name=name, what="release", namespace=settings(ctx).namespace, revision=revision))
    if template:
        from pyhelm.cli.go_template_output import print_go_template
        from pyhelm.release.codec import to_dict

        print_go_template(template, "release", to_dict(release))
    elif what == "values":
        values = run_get_values(release, all_values)
        if output != "table":  # Go encodes maps with sorted keys; no values: null
            click.echo(dump(values, output))
            return
        title = "COMPUTED VALUES:" if all_values else "USER-SUPPLIED VALUES:"
        click.echo(title + "\n" + shape.values_yaml(values), nl=False)
    elif what == "metadata":
        click.echo(shape.metadata_text(release) if output == "table"
                   else dump(shape.metadata_dict(release), output))
    elif what == "manifest":
        click.echo(release.manifest)
    elif what == "hooks":
        click.echo("".join(f"---\n# Source: {h.path}\n{h.manifest}\n"
                           for h in release.hooks or []), nl=False)
    elif what == "notes":
        if release.info.notes:
            click.echo(f"NOTES:\n{release.info.notes}")
    else:
        both = (run_get_values(release, False), run_get_values(release, True))
        click.echo(shape.status_text(release, show_metadata=True, values=both,
                                     show_manifest=True), nl=False)


def run_get_values(release: Release, computed: bool) -> dict[str, object] | None:
    """A release's values as Go holds them: keys sorted, None when there are none."""
    from pyhelm.action.history import release_values
    from pyhelm.cli.common import sorted_tree

    values = release_values(release, computed)
    return sorted_tree(values) if values or computed else None
