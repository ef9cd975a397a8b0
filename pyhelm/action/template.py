"""``template``: render a chart offline, as ``helm template`` does."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pyhelm.action.chart_source import load_chart_ref
from pyhelm.action.values_options import ValueOptions
from pyhelm.chart.model import Chart
from pyhelm.chart.prepare import prepare
from pyhelm.engine.context import Capabilities, ReleaseContext
from pyhelm.engine.manifest import Manifest, Rendered, manifest_text
from pyhelm.engine.render import render
from pyhelm.errors import UsageError
from pyhelm.settings import RepoPaths


@dataclass(frozen=True, kw_only=True)
class TemplateOptions:
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


@dataclass(frozen=True)
class TemplateResult:
    chart: Chart
    rendered: Rendered
    documents: tuple[Manifest, ...]

    @property
    def text(self) -> str:
        return manifest_text(self.documents)


def render_release(chart: Chart, options: TemplateOptions) -> Rendered:
    """Prepare values and render; shared by template and the release verbs."""
    prepared = prepare(chart, options.values.merged())
    capabilities = Capabilities(
        **({"kube_version": options.kube_version} if options.kube_version else {}),
        extra_api_versions=options.api_versions)
    release = ReleaseContext(options.release_name, options.namespace,
                             is_install=not options.is_upgrade, is_upgrade=options.is_upgrade)
    return render(prepared, release=release, capabilities=capabilities)


def _is_test(template: str) -> bool:
    return "/templates/tests/" in template


def _selected(documents: list[Manifest], show_only: tuple[str, ...]) -> list[Manifest]:
    if not show_only:
        return documents
    picked = [m for m in documents
              if any(m.template == s or m.template.endswith("/" + s.lstrip("./"))
                     for s in show_only)]
    if not picked:
        raise UsageError(f"could not find template(s) {', '.join(show_only)} in chart")
    return picked


def run(options: TemplateOptions, paths: RepoPaths | None = None) -> TemplateResult:
    chart = load_chart_ref(options.chart, options.version, paths=paths)
    rendered = render_release(chart, options)
    documents = list(rendered.crds) if options.include_crds else []
    documents += list(rendered.manifests)
    if not options.no_hooks:
        documents += [h.manifest for h in rendered.hooks
                      if not (options.skip_tests and ("test" in h.events or _is_test(
                          h.manifest.template)))]
    documents = _selected(documents, options.show_only)
    if options.output_dir:
        _write_output_dir(Path(options.output_dir), documents)
    return TemplateResult(chart, rendered, tuple(documents))


def _write_output_dir(root: Path, documents: list[Manifest]) -> None:
    by_file: dict[str, list[Manifest]] = {}
    for manifest in documents:
        by_file.setdefault(manifest.template, []).append(manifest)
    for template, manifests in by_file.items():
        target = root / template
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(manifest_text(manifests))
