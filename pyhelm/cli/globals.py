"""Helm's persistent flags: accepted before the verb, after it, and between subcommand
words (``pyhelm repo --debug add ...``), as cobra accepts them.

``GLOBAL_FLAGS`` declares them once. The root group shows them; ``attach`` adds hidden
copies to every command and subgroup when the lazy group loads it. Each copy records the
value it was given on the root context, the last one on the command line winning, and
``settings(ctx)`` lays them over the environment (``pyhelm.settings``) once per run.
"""

from __future__ import annotations

from typing import Any

import click

from pyhelm.cli.pflag import with_pflag_grammar
from pyhelm.settings import RepoPaths, Settings

_GIVEN = "pyhelm.global_flags"
_SETTINGS = "pyhelm.settings"
_ATTACHED = "_pyhelm_globals_attached"

# (declarations, keyword arguments) -- the destination is the settings field name
GLOBAL_FLAGS: list[tuple[tuple[str, ...], dict[str, Any]]] = [
    (("-n", "--namespace", "namespace"), {"help": "Namespace scope for this request."}),
    (("--kubeconfig", "kubeconfig"), {"help": "Path to the kubeconfig file."}),
    (("--kube-context", "kube_context"), {"help": "Name of the kubeconfig context to use."}),
    (("--kube-token", "kube_token"), {"help": "Bearer token used for authentication."}),
    (("--kube-apiserver", "kube_apiserver"),
     {"help": "Address and port of the Kubernetes API server."}),
    (("--kube-as-user", "kube_as_user"), {"help": "Username to impersonate."}),
    (("--kube-as-group", "kube_as_groups"),
     {"multiple": True, "help": "Group to impersonate (repeatable)."}),
    (("--kube-ca-file", "kube_ca_file"), {"help": "CA file for the API server connection."}),
    (("--kube-insecure-skip-tls-verify", "kube_insecure_skip_tls_verify"),
     {"is_flag": True, "default": None, "help": "Do not verify the API server's certificate."}),
    (("--kube-tls-server-name", "kube_tls_server_name"),
     {"help": "Server name for the API server certificate check."}),
    (("--burst-limit", "burst_limit"), {"type": int, "help": "Client-side throttling burst."}),
    (("--qps", "qps"), {"type": float, "help": "Queries per second to the API server."}),
    (("--debug", "debug"), {"is_flag": True, "default": None, "help": "Verbose output."}),
    (("--registry-config", "registry_config"), {"help": "Path to the registry config file."}),
    (("--repository-config", "repository_config"),
     {"help": "Path to the file of repository names and URLs."}),
    (("--repository-cache", "repository_cache"),
     {"help": "Directory of cached repository indexes."}),
    (("--content-cache", "content_cache"), {"help": "Directory of cached content (charts)."}),
    (("--color", "--colour", "color"),
     {"type": click.Choice(["never", "auto", "always"]), "help": "Colored output."}),
]


def _record(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Keep a value that was given; later occurrences (further right) overwrite earlier."""
    if value is None or value == () or value is False:
        return value
    root = ctx.find_root()
    root.meta.setdefault(_GIVEN, {})[param.name] = value
    root.meta.pop(_SETTINGS, None)
    return value


def make_options(*, hidden: bool) -> list[click.Option]:
    return [click.Option(list(decls), expose_value=False, callback=_record, hidden=hidden,
                         **{"default": None, **kwargs}) for decls, kwargs in GLOBAL_FLAGS]


def attach(command: click.Command) -> click.Command:
    """Give a command (and, for a group, each subcommand) the hidden global flags."""
    if getattr(command, _ATTACHED, False):
        return command
    own = {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)}
    command.params.extend(o for o in make_options(hidden=True) if not own & set(o.opts))
    if command.epilog is None:
        command.epilog = "Global flags (pyhelm --help) are accepted here too."
    with_pflag_grammar(command)
    setattr(command, _ATTACHED, True)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            attach(sub)
    return command


def given_flags(ctx: click.Context) -> dict[str, Any]:
    """The global flags given on the command line so far (settings field -> value)."""
    return dict(ctx.find_root().meta.get(_GIVEN, {}))


def settings(ctx: click.Context) -> Settings:
    """The environment with the given global flags on top, built once per run."""
    root = ctx.find_root()
    if _SETTINGS not in root.meta:
        given = root.meta.get(_GIVEN, {})
        root.meta[_SETTINGS] = Settings.from_environ().with_flags(**given)
    result: Settings = root.meta[_SETTINGS]
    return result


def repo_paths() -> RepoPaths:
    """The repository and registry files of the running command's settings."""
    return settings(click.get_current_context()).repo_paths
