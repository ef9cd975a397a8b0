"""CLI plugins as verbs: ``pyhelm NAME ARGS...`` runs the installed ``cli/v1`` plugin NAME
(Helm 4's layout or the legacy one), as Helm 4.3's loadCLIPlugins makes them commands.

The words after NAME are not parsed as pyhelm's: Helm's global flags among them
(``--namespace``/``-n``, ``--kube-context``, ``--kubeconfig``, ``--debug``, ...) are taken
out and applied, everything else reaches the plugin as it was written (``--`` and
``--help`` too), or nothing does when the plugin says ``ignoreFlags``. The plugin gets
this process's environment plus Helm's (``helm env``: ``HELM_BIN`` is pyhelm,
``HELM_NAMESPACE``, ``HELM_KUBECONTEXT``, ``HELM_DEBUG``, ``HELM_PLUGINS``, the homes...)
and ``HELM_PLUGIN_NAME``/``HELM_PLUGIN_DIR``, shares stdin, stdout and stderr, and its
exit code becomes pyhelm's.

As in Helm, a plugin is a verb only when its name is no verb of Helm's (the first that
is stops the loading, with Helm's log line), and ``HELM_NO_PLUGINS=1`` turns them off.
pyhelm's own ``diff`` gives way to an installed plugin of that name.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click

from pyhelm.cli.globals import given_flags, settings
from pyhelm.plugin.loader import Plugin
from pyhelm.plugin.metadata import CLIConfig
from pyhelm.settings import Settings

# Helm 4.3's own verbs (a plugin of one of these names is refused)
HELM_VERBS = frozenset({
    "completion", "create", "dependency", "env", "get", "help", "history", "install",
    "lint", "list", "package", "plugin", "pull", "push", "registry", "repo", "rollback",
    "search", "show", "status", "template", "test", "uninstall", "upgrade", "verify",
    "version", "__complete", "__completeNoDesc"})
# Helm's global flags that manuallyProcessArgs takes out of a plugin's words: those
# that take the next word as their value, and their settings names
_VALUED = {"--kube-context": "kube_context", "--namespace": "namespace", "-n": "namespace",
           "--kubeconfig": "kubeconfig", "--kube-apiserver": "kube_apiserver",
           "--kube-token": "kube_token", "--kube-as-user": "kube_as_user",
           "--kube-as-group": "kube_as_groups", "--kube-ca-file": "kube_ca_file",
           "--registry-config": "registry_config", "--repository-cache": "repository_cache",
           "--repository-config": "repository_config",
           "--kube-insecure-skip-tls-verify": "kube_insecure_skip_tls_verify",
           "--kube-tls-server-name": "kube_tls_server_name"}


_FOUND = "pyhelm.cli_plugins"


def command_name(plugin: Plugin) -> str:
    """cobra's Name(): the first word of the plugin's usage, else its name."""
    config = plugin.metadata.config
    usage = config.usage if isinstance(config, CLIConfig) else ""
    return (usage or plugin.name).split(" ", 1)[0]


def cli_plugins(ctx: click.Context) -> list[Plugin]:
    """The plugins that are verbs, in Helm's order, found once per command (with Helm's
    log lines for those that fail to load or take a verb's name)."""
    root = ctx.find_root()
    if _FOUND not in root.meta:
        root.meta[_FOUND] = _load(settings(ctx))
    found: list[Plugin] = root.meta[_FOUND]
    return found


def _load(current: Settings) -> list[Plugin]:
    if current.no_plugins:
        return []
    from pyhelm.cli import helm_log
    from pyhelm.cli.plugin import warn_skipped
    from pyhelm.errors import PluginError
    from pyhelm.plugin.loader import find_plugins

    try:
        found = find_plugins(current.plugin_dirs, kind="cli/v1", on_skip=warn_skipped)
    except PluginError as exc:
        click.echo(helm_log.log_line("ERROR", "failed to load plugins", error=exc), err=True)
        return []
    usable: list[Plugin] = []
    for plugin in found:
        name = command_name(plugin)
        if name in HELM_VERBS or name in {command_name(p) for p in usable}:
            click.echo(helm_log.log_line("ERROR", "failed to load plugins: name conflicts",
                                         name=name), err=True)
            break
        usable.append(plugin)
    return usable


def find_command(ctx: click.Context, name: str) -> click.Command | None:
    """The plugin verb called ``name``, or None."""
    plugin = next((p for p in cli_plugins(ctx) if command_name(p) == name), None)
    return None if plugin is None else PluginCommand(plugin)


class PluginCommand(click.Command):
    """A plugin as a verb: its words are handed over, not parsed."""

    def __init__(self, plugin: Plugin) -> None:
        config = plugin.metadata.config
        short = config.short_help if isinstance(config, CLIConfig) else ""
        long = config.long_help if isinstance(config, CLIConfig) else ""
        super().__init__(command_name(plugin), callback=None, add_help_option=False,
                         help=long or short or f'the "{plugin.name}" plugin',
                         short_help=short or f'the "{plugin.name}" plugin')
        self.plugin = plugin

    def get_help(self, ctx: click.Context) -> str:
        """cobra's help of a plugin command: its long (else short) help and usage."""
        config = self.plugin.metadata.config
        use = (config.usage if isinstance(config, CLIConfig) else "") or self.plugin.name
        parent = ctx.parent.command_path if ctx.parent else "pyhelm"
        return f"{self.help}\n\nUsage:\n  {parent} {use} [flags]"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["pyhelm.plugin_words"] = list(args)
        return []

    def invoke(self, ctx: click.Context) -> Any:
        from pyhelm.plugin import runtime

        words: list[str] = ctx.meta.get("pyhelm.plugin_words", [])
        given, extra = split_words(words)
        if "kube_as_groups" in given:  # pflag's string array: added to those given before
            before = given_flags(ctx).get("kube_as_groups", ())
            given["kube_as_groups"] = (*before, *given["kube_as_groups"])
        current = settings(ctx).with_flags(**given)
        config = self.plugin.metadata.config
        if isinstance(config, CLIConfig) and config.ignore_flags:
            extra = []
        env = current.env_vars(sys.argv[0], context_namespace(current))

        def log(argv: list[str]) -> None:
            from pyhelm.cli import helm_log

            helm_log.debug(current.debug, "executing plugin command",
                           pluginName=self.plugin.name, command=" ".join(argv))

        runtime.run_cli(self.plugin, extra, env, on_start=log)


def split_words(words: Sequence[str]) -> tuple[dict[str, Any], list[str]]:
    """Helm's manuallyProcessArgs: the global flags among a plugin's words (as settings)
    and the words left for the plugin."""
    given: dict[str, Any] = {}
    left: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        name, equals, value = word.partition("=")
        if word == "--debug":
            given["debug"] = True
        elif word in _VALUED:
            index += 1
            if index == len(words) and _VALUED[word] != "kube_insecure_skip_tls_verify":
                from pyhelm.errors import UsageError

                short = f"'{word[1]}' in {word}" if len(word) == 2 else word
                raise UsageError(f"flag needs an argument: {short}")
            _set(given, word, words[index] if index < len(words) else "")
        elif equals and name in _VALUED:
            _set(given, name, value)
        else:
            left.append(word)
        index += 1
    return given, left


def _set(given: dict[str, Any], flag: str, value: str) -> None:
    field = _VALUED[flag]
    if field == "kube_insecure_skip_tls_verify":
        # a boolean to pflag: set by its name whatever follows (Helm then drops that word)
        given[field] = True
    elif field == "kube_as_groups":
        given[field] = (*given.get(field, ()), value)
    else:
        given[field] = value


def context_namespace(current: Settings) -> str | None:
    """The namespace of the kubeconfig's context, which Helm's HELM_NAMESPACE reports
    when no flag names one (None when there is none or the kubeconfig does not read)."""
    if current.namespace:
        return current.namespace
    from pyhelm.errors import PyhelmError
    from pyhelm.kube.kubeconfig import KubeOverrides, config_files, merge

    try:
        merged = merge(config_files(KubeOverrides(kubeconfig=current.kubeconfig,
                                                  kubeconfig_env=current.kubeconfig_env)))
    except PyhelmError:
        return None
    context = merged["contexts"].get(current.kube_context or merged["current-context"], {})
    namespace = context.get("namespace")
    return str(namespace) if namespace else None
