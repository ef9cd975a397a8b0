"""Options and helpers shared by several commands (values flags, output formats)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from pyhelm.action.values_options import ValueOptions

F = TypeVar("F", bound=Callable[..., Any])


def values_options(func: F) -> F:
    """Helm's value flags: -f and the --set family, in Helm's spelling."""
    options = [
        click.option("-f", "--values", "values_files", multiple=True,
                     help="Values file (YAML); may be given several times."),
        click.option("--set", "set_values", multiple=True,
                     help="Set a value: key=value[,key=value]."),
        click.option("--set-string", "set_string_values", multiple=True,
                     help="Set a value as a string."),
        click.option("--set-file", "set_file_values", multiple=True,
                     help="Set a value from a file: key=path."),
        click.option("--set-json", "set_json_values", multiple=True,
                     help="Set a value from JSON: key=jsonvalue."),
        click.option("--set-literal", "set_literal_values", multiple=True,
                     help="Set a literal string value: key=value (no parsing)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def chart_location_options(func: F) -> F:
    """Helm's chart path flags (install, upgrade, template): --repo and its access, and
    --dependency-update."""
    func = click.option("--dependency-update", "loc_dependency_update", is_flag=True,
                        help="Update missing dependencies before installing the chart.")(func)
    return repository_access_options(func)


def repository_access_options(func: F) -> F:
    """Helm's flags that reach a chart in a repository (show, pull, and the verbs above):
    --repo, its credentials and TLS, --plain-http, --devel."""
    options = [
        click.option("--repo", "loc_repo", default=None,
                     help="Chart repository URL where to locate the requested chart."),
        click.option("--username", "loc_username", default="",
                     help="Chart repository username."),
        click.option("--password", "loc_password", default="",
                     help="Chart repository password."),
        click.option("--ca-file", "loc_ca_file", default="",
                     help="Verify the repository's certificate with this CA bundle."),
        click.option("--cert-file", "loc_cert_file", default="",
                     help="Identify to the repository with this client certificate."),
        click.option("--key-file", "loc_key_file", default="",
                     help="Identify to the repository with this client key."),
        click.option("--insecure-skip-tls-verify", "loc_insecure", is_flag=True,
                     help="Skip the repository's certificate check."),
        click.option("--pass-credentials", "loc_pass_credentials", is_flag=True,
                     help="Send credentials to every domain."),
        click.option("--plain-http", "loc_plain_http", is_flag=True,
                     help="Reach an oci:// registry over HTTP, not HTTPS."),
        click.option("--devel", "loc_devel", is_flag=True,
                     help="Use development versions too (ignored with --version)."),
        click.option("--verify", "loc_verify", is_flag=True,
                     help="Verify the package before using it."),
        click.option("--keyring", "loc_keyring", default="",
                     help="Location of public keys used for verification "
                          "(default: ~/.gnupg/pubring.gpg)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def chart_location(kwargs: dict[str, Any]) -> Any:
    """The ``chart_location_options`` flags (popped from kwargs) as a ChartLocation."""
    from pyhelm.action.chart_source import ChartLocation

    return ChartLocation(
        repo_url=kwargs.pop("loc_repo"), username=kwargs.pop("loc_username"),
        password=kwargs.pop("loc_password"), ca_file=kwargs.pop("loc_ca_file"),
        cert_file=kwargs.pop("loc_cert_file"), key_file=kwargs.pop("loc_key_file"),
        insecure_skip_tls_verify=kwargs.pop("loc_insecure"),
        pass_credentials=kwargs.pop("loc_pass_credentials"),
        plain_http=kwargs.pop("loc_plain_http"), devel=kwargs.pop("loc_devel"),
        dependency_update=kwargs.pop("loc_dependency_update", False),
        verify=kwargs.pop("loc_verify", False), keyring=kwargs.pop("loc_keyring", ""))


def output_option(formats: tuple[str, ...] = ("table", "json", "yaml"),
                  default: str = "table") -> Callable[[F], F]:
    return click.option("-o", "--output", "output", type=click.Choice(formats),
                        default=default, show_default=True, help="Output format.")


def sorted_tree(data: Any) -> Any:
    """Mappings with sorted keys at every level: how Go encodes a map (not a struct)."""
    if isinstance(data, dict):
        return {k: sorted_tree(data[k]) for k in sorted(data)}
    if isinstance(data, list):
        return [sorted_tree(v) for v in data]
    return data


def dump(data: Any, fmt: str) -> str:
    """Render data for -o as Helm does: json is Go's ``json.Encoder`` (compact, HTML
    characters escaped, fields in struct order); yaml is ``sigs.k8s.io/yaml`` (the
    JSON form as YAML, so keys sorted). No trailing newline (echo adds it)."""
    if fmt == "json":
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, default=str)
        for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                              ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
            text = text.replace(char, escaped)
        return text
    import yaml

    return yaml.dump(json.loads(json.dumps(data, default=str)), Dumper=_output_dumper(),
                     sort_keys=True, default_flow_style=False, allow_unicode=True,
                     width=80).rstrip("\n")


def _output_dumper() -> type:
    """go-yaml v2's encoder: a string that would read back as another type (or is empty)
    is double-quoted; the emitter decides the rest."""
    import yaml

    from pyhelm.yamlio import GoYamlDumper

    # go-yaml v2 reads these as timestamps, so its encoder quotes them
    timestamp = re.compile(
        r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}"
        r"(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::?[0-9]{2})?))?)?$")

    class OutputDumper(GoYamlDumper):
        pass

    def represent(dumper: Any, data: str) -> Any:
        style = None
        if "\n" in data and not data.endswith((" ", "\t")) and "\r" not in data:
            style = "|"
        elif dumper.resolve(yaml.ScalarNode, data, (True, False)) != "tag:yaml.org,2002:str" \
                or timestamp.match(data):
            style = '"'
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)

    OutputDumper.add_representer(str, represent)
    return OutputDumper


def value_options(kwargs: dict[str, Any]) -> ValueOptions:
    """The ``values_options`` flags (popped from kwargs) as an action ValueOptions."""
    from pyhelm.action.values_options import ValueOptions

    def flag(name: str) -> tuple[str, ...]:
        return tuple(kwargs.pop(name))

    from pyhelm.cli.pflag import string_slice

    return ValueOptions(values_files=string_slice(flag("values_files")),
                        set_values=flag("set_values"),
                        set_string_values=flag("set_string_values"),
                        set_file_values=flag("set_file_values"),
                        set_json_values=flag("set_json_values"),
                        set_literal_values=flag("set_literal_values"))


def post_renderer_options(func: F) -> F:
    """--post-renderer and its repeatable arguments (install, upgrade, template)."""
    func = click.option("--post-renderer-args", "post_renderer_args", multiple=True,
                        help="An argument to the post-renderer (can specify multiple).")(func)
    return click.option(
        "--post-renderer", "post_renderer", default=None,
        help="The name of a postrenderer/v1 plugin (in $HELM_PLUGINS) to post-render "
             "with; when no plugin has that name, an executable's path or a name on "
             "$PATH (Helm 3's form).")(func)


def post_renderer(kwargs: dict[str, Any], plugin_dirs: tuple[Any, ...]) -> Any:
    """The PostRenderer the flags name, or None; pops both flags from ``kwargs``."""
    name = kwargs.pop("post_renderer")
    args = tuple(kwargs.pop("post_renderer_args"))
    if not name:
        return None
    from pyhelm.action.post_renderer import PostRenderer

    return PostRenderer.find(name, args, plugin_dirs)


def deprecated_flag(name: str, reason: str) -> Callable[[F], F]:
    """A hidden boolean flag Helm still accepts but ignores, warned about as pflag does."""
    def warn(ctx: click.Context, _param: click.Parameter, given: bool) -> None:
        if given:
            click.echo(f"Flag {name} has been deprecated, {reason}", err=True)

    return click.option(name, is_flag=True, hidden=True, expose_value=False, callback=warn)


def registry_tls_options(insecure_flag: str) -> Callable[[F], F]:
    """Helm's TLS flags of the OCI verbs: --ca-file, --cert-file, --key-file and the
    check-nothing flag, which Helm spells ``--insecure`` on ``registry login`` and
    ``--insecure-skip-tls-verify`` on ``push``."""
    def apply(func: F) -> F:
        options = [
            click.option("--ca-file", "tls_ca_file", default="",
                         help="Verify the registry's certificate with this CA bundle."),
            click.option("--cert-file", "tls_cert_file", default="",
                         help="Identify to the registry with this client certificate."),
            click.option("--key-file", "tls_key_file", default="",
                         help="Identify to the registry with this client key."),
            click.option(insecure_flag, "tls_insecure", is_flag=True,
                         help="Skip the registry's certificate check."),
        ]
        for option in reversed(options):
            func = option(func)
        return func
    return apply


def registry_tls(kwargs: dict[str, Any]) -> Any:
    """The ``registry_tls_options`` flags (popped from kwargs): TlsSettings, or None
    when none was given."""
    from pyhelm.tls import TlsSettings

    given = (kwargs.pop("tls_ca_file"), kwargs.pop("tls_cert_file"),
             kwargs.pop("tls_key_file"), kwargs.pop("tls_insecure"))
    if not any(given):
        return None
    ca_file, cert_file, key_file, insecure = given
    return TlsSettings(ca_file=ca_file or None, cert_file=cert_file or None,
                       key_file=key_file or None, insecure=insecure)
