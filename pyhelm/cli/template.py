"""``pyhelm template [NAME] CHART``."""

from __future__ import annotations

from typing import Any

import click

from pyhelm.action import template
from pyhelm.cli.common import (
    chart_location,
    chart_location_options,
    deprecated_flag,
    post_renderer,
    post_renderer_options,
    value_options,
    values_options,
)
from pyhelm.cli.globals import settings
from pyhelm.cli.pflag import string_slice
from pyhelm.errors import UsageError

_NO_EFFECT = "this flag has no effect for 'helm template' and will be removed in Helm 5"
# install's flags that Helm's template accepts and that change nothing it prints
# (programs such as pyhelm3 pass --skip-crds); (flags, takes a value)
_INSTALL_ONLY = (
    (("--create-namespace",), False), (("--disable-openapi-validation",), False),
    (("--force-conflicts",), False), (("--force-replace",), False), (("--replace",), False),
    (("--rollback-on-failure", "--atomic"), False), (("--server-side",), False),
    (("--skip-crds",), False), (("--take-ownership",), False), (("--wait",), False),
    (("--wait-for-jobs",), False), (("--description",), True), (("-l", "--labels"), True),
    (("--timeout",), True))


def _dry_run_strategy(given: str | None) -> str:
    """Helm's reading of template's --dry-run: "client" or "server" (a template is
    always a dry run, so "none" and false are refused; a bare flag and true warn)."""
    from pyhelm.cli import helm_log

    if given is None or given == "client":
        return "client"
    if given == "server":
        return "server"
    if given == "unset":
        helm_log.warn("--dry-run is deprecated and should be replaced with '--dry-run=client'")
        return "client"
    if given in ("true", "1", "t", "T", "TRUE", "True"):
        helm_log.warn(f"boolean '--dry-run={given}' flag is deprecated and must be replaced "
                      "with '--dry-run=client'")
        return "client"
    if given in ("none", "false", "0", "f", "F", "FALSE", "False"):
        raise UsageError(f'invalid dry-run value ("{given}"). Must be "server" or "client"')
    raise UsageError(f'invalid dry-run value ("{given}"). Must be "none", "server", or '
                     '"client"')


def _install_only_flags(func: Any) -> Any:
    for names, takes_value in reversed(_INSTALL_ONLY):
        func = click.option(*names, is_flag=not takes_value, multiple=takes_value,
                            expose_value=False,
                            help="Accepted as Helm's template does; no effect here.")(func)
    return func


@click.command("template")
@click.argument("args", nargs=-1, required=True)
@values_options
@click.option("--release-name", default=None, help="Release name (also the first argument).")
@click.option("--generate-name", "-g", is_flag=True, help="Generate the release name.")
@click.option("--name-template", default="",
              help="A Go template (with Sprig) that makes the release name.")
@click.option("--version", default=None, help="Chart version to use.")
@click.option("--show-only", "-s", multiple=True, help="Only show manifests of this template.")
@click.option("--output-dir", default=None, help="Write each template to a file here.")
@click.option("--include-crds", is_flag=True, help="Include CRDs in the output.")
@click.option("--skip-tests", is_flag=True, help="Leave out test hooks.")
@click.option("--no-hooks", is_flag=True, help="Leave out hooks.")
@click.option("--is-upgrade", is_flag=True, help="Set Release.IsUpgrade instead of IsInstall.")
@click.option("--kube-version", default=None, help="Kubernetes version for Capabilities.")
@click.option("--api-versions", "-a", multiple=True, help="Extra API versions for Capabilities.")
@chart_location_options
@post_renderer_options
@click.option("--skip-schema-validation", is_flag=True,
              help="Do not validate values against values.schema.json.")
@click.option("--enable-dns", is_flag=True,
              help="Let Helm charts' getHostByName resolve names (off: it gives \"\").")
@click.option("--dry-run", "dry_run", is_flag=False, flag_value="unset", default=None,
              help='"client" (the default: offline) or "server" (the cluster\'s '
                   "capabilities, and lookup reading it).")
@deprecated_flag("--hide-notes", _NO_EFFECT)
@deprecated_flag("--render-subchart-notes", _NO_EFFECT)
@_install_only_flags
@click.pass_context
def template_command(ctx: click.Context, /, args: tuple[str, ...],
                     release_name: str | None, generate_name: bool, name_template: str,
                     **kwargs: Any) -> None:
    """Render chart templates locally and print the manifests."""
    if len(args) > 2:
        raise UsageError(f"template takes [NAME] CHART, got {len(args)} arguments")
    chart = args[-1]
    name = args[0] if len(args) == 2 else release_name
    if name_template and len(args) == 1:
        from pyhelm.action.install import template_name

        name = template_name(name_template)
    if generate_name or not name:
        name = name or "release-name"
    cluster, kube = None, None
    if _dry_run_strategy(kwargs.pop("dry_run")) == "server":
        from pyhelm.action.rendering import kube_target
        from pyhelm.cli.output import configuration

        cluster = configuration(ctx).capabilities()
        kube = kube_target(settings(ctx))
    result = template.run(template.TemplateOptions(
        chart=chart, release_name=name, namespace=settings(ctx).namespace or "default",
        values=value_options(kwargs), version=kwargs["version"],
        show_only=tuple(kwargs["show_only"]), output_dir=kwargs["output_dir"],
        include_crds=kwargs["include_crds"], skip_tests=kwargs["skip_tests"],
        no_hooks=kwargs["no_hooks"], is_upgrade=kwargs["is_upgrade"],
        kube_version=kwargs["kube_version"],
        api_versions=string_slice(kwargs["api_versions"]),
        skip_schema_validation=kwargs["skip_schema_validation"],
        location=chart_location(kwargs),
        post_renderer=post_renderer(kwargs, settings(ctx).plugin_dirs),
        enable_dns=kwargs["enable_dns"], cluster=cluster, kube=kube),
        settings(ctx).repo_paths)
    if kwargs["output_dir"]:
        for name_ in sorted({m.template for m in result.documents}):
            click.echo(f"wrote {kwargs['output_dir']}/{name_}")
        return
    click.echo(result.text, nl=False)
