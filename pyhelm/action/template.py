"""``template``: render a chart offline and assemble the text as ``helm template`` does.

The text is Helm's: CRDs (with ``--include-crds``) and manifests in install order, each
under ``---`` and ``# Source:``, trimmed, then the hooks; ``--show-only`` keeps the
documents whose source path (without the chart name) matches a glob, as Helm's
``filepath.Match``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pyhelm.action.chart_source import ChartLocation, locate_chart_ref
from pyhelm.action.rendering import RenderSpec, render_chart, tell_if_deprecated
from pyhelm.action.values_options import ValueOptions
from pyhelm.chart.archive import check_archives
from pyhelm.chart.engine_kind import HELM, path_engine
from pyhelm.engine.manifest import Hook, Manifest, Rendered, manifest_text
from pyhelm.engine.release_info import Capabilities, ReleaseContext
from pyhelm.errors import UsageError
from pyhelm.helm_reference import DEFAULT_KUBE_VERSION
from pyhelm.release.names import validate_release_name
from pyhelm.settings import RepoPaths

if TYPE_CHECKING:
    from pyhelm.action.post_renderer import StreamRenderer
    from pyhelm.engine.helm_inputs import KubeTarget


# compared by no one: eq=False spares making __eq__ and __hash__ at start-up
@dataclass(frozen=True, kw_only=True, eq=False)
class TemplateOptions:
    """``template``'s options."""

    chart: str
    release_name: str = "release-name"
    namespace: str = "default"
    version: str | None = None
    values: ValueOptions = field(default_factory=ValueOptions)
    kube_version: str | None = None
    api_versions: tuple[str, ...] = ()
    include_crds: bool = False
    skip_tests: bool = False
    no_hooks: bool = False
    is_upgrade: bool = False
    show_only: tuple[str, ...] = ()
    output_dir: str | None = None
    skip_schema_validation: bool = False
    location: ChartLocation = field(default_factory=ChartLocation)
    post_renderer: StreamRenderer | None = None
    enable_dns: bool = False  # Helm charts' getHostByName resolves (else it gives "")
    # --dry-run=server: the cluster's capabilities, and `lookup` reading it (else offline)
    cluster: Capabilities | None = None
    kube: KubeTarget | None = None


@dataclass(frozen=True, eq=False)
class TemplateResult:
    """``template``'s result: the render and the text to print."""

    engine: str
    rendered: Rendered
    documents: tuple[Manifest, ...]
    text: str


def _is_test(hook: Hook) -> bool:
    return "test" in hook.events or "test-success" in hook.events


def run(options: TemplateOptions, paths: RepoPaths | None = None) -> TemplateResult:
    validate_release_name(options.release_name)
    if options.kube_version:
        check_kube_version_flag(options.kube_version)
    path = locate_chart_ref(options.chart, options.version, paths=paths,
                            location=options.location)
    engine = path_engine(path)
    # a Helm chart is loaded by Helm's engine; only a Jinja2 chart needs pyhelm's model
    chart = None
    if engine != HELM:
        from pyhelm.chart.loader import load_chart

        chart = load_chart(path)
        tell_if_deprecated(chart)
    else:
        check_archives(path)  # one budget for all its archives, which Helm lacks
    capabilities = options.cluster or Capabilities(
        kube_version=options.kube_version or DEFAULT_KUBE_VERSION,
        extra_api_versions=options.api_versions)
    release = ReleaseContext(options.release_name, options.namespace,
                             is_install=not options.is_upgrade, is_upgrade=options.is_upgrade)
    outcome = render_chart(RenderSpec(
        chart=chart, chart_path=path, values=options.values, release=release,
        capabilities=capabilities, cluster=options.cluster is not None, kube=options.kube,
        default_kube_version=options.kube_version is None and options.cluster is None,
        objects=False, skip_schema_validation=options.skip_schema_validation, engine=engine,
        enable_dns=options.enable_dns, post_renderer=options.post_renderer))
    rendered = outcome.rendered
    resources = [*(rendered.crds if options.include_crds else ()), *rendered.manifests]
    hooks = [] if options.no_hooks else [
        h.manifest for h in rendered.hooks if not (options.skip_tests and _is_test(h))]
    documents = [*resources, *hooks]
    if options.output_dir:
        _write_output_dir(Path(options.output_dir), documents)
    text = manifest_text(resources).strip() + "\n" + manifest_text(hooks)
    if options.show_only:
        text = show_only(text, options.show_only)
    return TemplateResult(engine, rendered, tuple(documents), text)


def check_kube_version_flag(text: str) -> None:
    """``--kube-version`` as Helm's ParseKubeVersion accepts it (1.29, v1.29.3, 1.29.3-rc.1)."""
    if not re.fullmatch(r"v?\d+(\.\d+){0,2}([-+][0-9A-Za-z.+-]*)?", text):
        raise UsageError(f"invalid kube version '{text}': could not parse \"{text}\" as version")


def show_only(text: str, patterns: tuple[str, ...]) -> str:
    """The documents of ``text`` whose template path matches a pattern, Helm's way."""
    # Helm's releaseutil.SplitManifests (4.3): a separator is `---` at a line's start
    separator = re.compile(r"^---[ \t]*", re.MULTILINE)
    documents = [d.lstrip() for d in separator.split(text.lstrip()) if d.strip()]
    picked: list[str] = []
    for pattern in patterns:
        matcher = _glob(pattern.replace("\\", "/"))
        found = False
        for document in documents:
            source = re.search(r"# Source: [^/]+/(.+)", document)
            if source and matcher.fullmatch(source.group(1)):
                picked.append(document)
                found = True
        if not found:
            raise UsageError(f"could not find template {pattern} in chart")
    return "".join(f"---\n{d}\n" for d in picked)


def _glob(pattern: str) -> re.Pattern[str]:
    """Go's filepath.Match as a regex: * and ? never cross '/', [...] classes."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = pattern.find("]", index + 2)
            if end < 0:
                raise UsageError(f"--show-only {pattern}: syntax error in pattern")
            body = pattern[index + 1:end]
            body = "^" + body[1:] if body.startswith("^") else body
            out.append(f"[{body.replace(chr(92), chr(92) * 2)}]")
            index = end
        elif char == "\\" and index + 1 < len(pattern):
            index += 1
            out.append(re.escape(pattern[index]))
        else:
            out.append(re.escape(char))
        index += 1
    return re.compile("".join(out))


def _write_output_dir(root: Path, documents: list[Manifest]) -> None:
    by_file: dict[str, list[Manifest]] = {}
    for manifest in documents:
        by_file.setdefault(manifest.template, []).append(manifest)
    for template, manifests in by_file.items():
        target = root / template
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(manifest_text(manifests))
        except OSError as exc:
            raise UsageError(f"--output-dir: {exc.filename}: {exc.strerror}") from None
