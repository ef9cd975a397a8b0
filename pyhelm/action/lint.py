"""``lint``: check charts for errors and questionable choices without a cluster."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path

from pyhelm.action.rendering import RenderSpec, render_chart
from pyhelm.action.values_options import ValueOptions
from pyhelm.chart.engine_kind import HELM, tree_engine
from pyhelm.chart.loader import KNOWN_FIELDS, load_chart
from pyhelm.chart.model import Chart
from pyhelm.engine.manifest import Manifest
from pyhelm.engine.release_info import Capabilities, ReleaseContext
from pyhelm.errors import PyhelmError
from pyhelm.helm_reference import DEFAULT_KUBE_VERSION

_DNS1123_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN = re.compile(rf"^{_DNS1123_LABEL}(\.{_DNS1123_LABEL})*$")
DEPRECATED_API_VERSIONS = {
    ("extensions/v1beta1", None): "networking.k8s.io/v1 or apps/v1",
    ("apps/v1beta1", None): "apps/v1", ("apps/v1beta2", None): "apps/v1",
    ("batch/v1beta1", "CronJob"): "batch/v1",
    ("networking.k8s.io/v1beta1", None): "networking.k8s.io/v1",
    ("policy/v1beta1", None): "policy/v1",
    ("autoscaling/v2beta1", None): "autoscaling/v2",
    ("autoscaling/v2beta2", None): "autoscaling/v2",
    ("rbac.authorization.k8s.io/v1beta1", None): "rbac.authorization.k8s.io/v1",
    ("apiextensions.k8s.io/v1beta1", None): "apiextensions.k8s.io/v1",
}


class Severity(IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3


@dataclass(frozen=True)
class LintMessage:
    severity: Severity
    path: str
    text: str

    def __str__(self) -> str:
        return f"[{self.severity.name}] {self.path}: {self.text}"


@dataclass(frozen=True)
class ChartLint:
    path: str
    messages: tuple[LintMessage, ...]

    def failed(self, strict: bool) -> bool:
        worst = max((m.severity for m in self.messages), default=Severity.INFO)
        return worst >= (Severity.WARNING if strict else Severity.ERROR)


@dataclass(frozen=True, kw_only=True)
class LintOptions:
    paths: tuple[str, ...]
    values: ValueOptions = field(default_factory=ValueOptions)
    strict: bool = False
    with_subcharts: bool = False
    namespace: str = "default"
    kube_version: str | None = None
    skip_schema_validation: bool = False


@dataclass(frozen=True)
class LintResult:
    charts: tuple[ChartLint, ...]
    strict: bool

    @property
    def failed(self) -> list[ChartLint]:
        return [c for c in self.charts if c.failed(self.strict)]


def _metadata_messages(chart: Chart) -> list[LintMessage]:
    messages = [LintMessage(Severity.WARNING, "Chart.yaml", f'unknown field "{key}"')
                for key in chart.raw_metadata if key not in KNOWN_FIELDS]
    if not chart.metadata.icon:
        messages.append(LintMessage(Severity.INFO, "Chart.yaml", "icon is recommended"))
    if chart.metadata.api_version != "v2":
        messages.append(LintMessage(Severity.WARNING, "Chart.yaml",
                                    "apiVersion v1 charts are deprecated; use v2"))
    if chart.metadata.deprecated:
        messages.append(LintMessage(Severity.WARNING, "Chart.yaml", "chart is deprecated"))
    return messages


def _manifest_messages(manifest: Manifest) -> list[LintMessage]:
    messages = []
    where = manifest.template.split("/", 1)[-1]
    if not _DNS1123_SUBDOMAIN.match(manifest.name) or len(manifest.name) > 253:
        messages.append(LintMessage(Severity.ERROR, where, f'{manifest.kind} name '
                                    f'"{manifest.name}" is not a valid DNS-1123 subdomain'))
    for (api_version, kind), replacement in DEPRECATED_API_VERSIONS.items():
        if manifest.api_version == api_version and kind in (None, manifest.kind):
            messages.append(LintMessage(
                Severity.WARNING, where, f"{manifest.kind} uses deprecated apiVersion "
                f"{api_version}; use {replacement}"))
    return messages


def lint_chart(path: str, options: LintOptions) -> ChartLint:
    messages: list[LintMessage] = []
    try:
        chart = load_chart(path)
    except PyhelmError as exc:
        return ChartLint(path, (LintMessage(Severity.ERROR, "Chart.yaml", str(exc)),))
    try:
        engine = tree_engine(chart)
    except PyhelmError as exc:
        return ChartLint(path, (LintMessage(Severity.ERROR, "Chart.yaml", str(exc)),))
    if engine == HELM:
        return ChartLint(path, tuple(_helm_lint(path, options)))
    messages += _metadata_messages(chart)
    if not chart.metadata.is_library:
        try:
            capabilities = Capabilities(
                kube_version=options.kube_version or DEFAULT_KUBE_VERSION)
            rendered = render_chart(RenderSpec(
                chart=chart, chart_path=Path(path), values=options.values,
                release=ReleaseContext("release-name", options.namespace),
                capabilities=capabilities, objects=True,
                skip_schema_validation=options.skip_schema_validation)).rendered
        except PyhelmError as exc:
            messages.append(LintMessage(Severity.ERROR, "templates/", str(exc)))
        else:
            for manifest in [*rendered.manifests, *(h.manifest for h in rendered.hooks)]:
                messages += _manifest_messages(manifest)
    return ChartLint(path, tuple(messages))


def _helm_lint(path: str, options: LintOptions) -> list[LintMessage]:
    """Helm's own lint rules, for a Helm (Go template) chart."""
    from pyhelm.engine import helm_engine

    try:
        found = helm_engine.lint(Path(path), options.values.sources(),
                                 namespace=options.namespace,
                                 kube_version=options.kube_version,
                                 skip_schema_validation=options.skip_schema_validation)
    except PyhelmError as exc:
        return [LintMessage(Severity.ERROR, "templates/", str(exc))]
    levels = {"INFO": Severity.INFO, "WARNING": Severity.WARNING, "ERROR": Severity.ERROR}
    return [LintMessage(levels.get(severity, Severity.ERROR), where, text)
            for severity, where, text in found]


def run(options: LintOptions) -> LintResult:
    results = []
    for path in options.paths:
        results.append(lint_chart(path, options))
        charts_dir = Path(path) / "charts"
        if options.with_subcharts and charts_dir.is_dir():
            for sub in sorted(charts_dir.iterdir()):
                if sub.is_dir() or sub.name.endswith(".tgz"):
                    results.append(lint_chart(str(sub), options))
    return LintResult(tuple(results), options.strict)
