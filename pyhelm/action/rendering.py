"""The one place a chart is rendered for a verb, whichever engine the chart is written for.

``render_chart`` takes the chart, where it was loaded from, the user's value sources, the
release and the capabilities, and returns what rendering produced plus the values to
record in the release (``config``). Jinja2 charts render in process
(``pyhelm.engine.render``); Helm charts render in Helm's own engine
(``pyhelm.engine.helm_engine``), which parses ``-f``/``--set`` itself so every value has
Helm's type. Upgrades say what to do with the previous values through ``ReuseRule``,
with Helm's rules for both engines.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyhelm import notices
from pyhelm.action.values_options import ValueOptions
from pyhelm.chart.engine_kind import HELM, tree_engine
from pyhelm.engine.manifest import Rendered
from pyhelm.engine.release_info import Capabilities, ReleaseContext
from pyhelm.errors import ChartError

if TYPE_CHECKING:
    from pyhelm.action.chart_source import ChartSource
    from pyhelm.action.configuration import Configuration
    from pyhelm.action.post_renderer import StreamRenderer
    from pyhelm.chart.model import Chart
    from pyhelm.engine.helm_inputs import KubeTarget, ReuseRule  # made by their users
    from pyhelm.settings import Settings


# compared by no one: eq=False spares making __eq__ and __hash__ at start-up
@dataclass(frozen=True, kw_only=True, eq=False)
class RenderSpec:
    """What to render. ``chart`` may be None for a Helm chart whose ``engine`` is known:
    Helm's engine loads it from ``chart_path`` itself."""

    chart: Chart | None
    chart_path: Path | None
    values: ValueOptions
    release: ReleaseContext
    capabilities: Capabilities
    cluster: bool = False  # capabilities come from a live cluster (not offline defaults)
    default_kube_version: bool = True  # offline and no --kube-version given
    reuse: ReuseRule | None = None
    kube: KubeTarget | None = None  # where Helm charts' `lookup` reads; None: offline
    objects: bool = True  # parse every object (not needed to print them)
    skip_schema_validation: bool = False
    subchart_notes: bool = False
    engine: str | None = None  # None: decided from the chart
    post_renderer: StreamRenderer | None = None
    enable_dns: bool = False  # Helm's --enable-dns, for getHostByName in Helm charts


@dataclass(frozen=True, eq=False)
class RenderOutcome:
    """A render's result, the values it used and the engine that made it."""

    rendered: Rendered
    config: dict[str, Any]
    engine: str


def render_chart(spec: RenderSpec) -> RenderOutcome:
    outcome = _render(spec)
    if spec.post_renderer is None:
        return outcome
    from pyhelm.action.post_renderer import post_render

    return RenderOutcome(post_render(outcome.rendered, spec.post_renderer), outcome.config,
                         outcome.engine)


def _render(spec: RenderSpec) -> RenderOutcome:
    engine = spec.engine or (tree_engine(spec.chart) if spec.chart else HELM)
    if engine == HELM:
        return _render_helm(spec)
    if spec.chart is None:
        raise ChartError("a Jinja2 chart renders from its loaded model, and none was given")
    check_kube_version(spec.chart, spec.capabilities)
    config = reused_values(spec.reuse, spec.values)
    from pyhelm.chart.prepare import prepare
    from pyhelm.engine.render import render

    prepared = prepare(spec.chart, config)
    return RenderOutcome(render(prepared, release=spec.release,
                                capabilities=spec.capabilities, heads_only=not spec.objects),
                         config, "jinja2")


def render_for_release(cfg: Configuration, source: ChartSource, values: ValueOptions,
                       release: ReleaseContext, *, reuse: ReuseRule | None = None,
                       offline: bool = False, skip_schema_validation: bool = False,
                       subchart_notes: bool = False,
                       post_renderer: StreamRenderer | None = None,
                       enable_dns: bool = False) -> RenderOutcome:
    """Render for install, upgrade or diff: the cluster's capabilities, and `lookup`
    reading the cluster (``offline``: Helm's defaults and no cluster, as
    ``--dry-run=client``)."""
    kube = None if offline else kube_target(cfg.settings)
    return render_chart(RenderSpec(
        chart=source.chart, chart_path=source.path, values=values, release=release,
        capabilities=Capabilities() if offline else cfg.capabilities(), cluster=not offline,
        default_kube_version=offline, reuse=reuse, kube=kube, objects=True,
        skip_schema_validation=skip_schema_validation, subchart_notes=subchart_notes,
        post_renderer=post_renderer, enable_dns=enable_dns))


def kube_target(settings: Settings) -> KubeTarget:
    """Where Helm charts' ``lookup`` reads: the cluster these settings reach."""
    from pyhelm.engine.helm_inputs import KubeTarget

    return KubeTarget(
        kubeconfig=settings.kubeconfig or settings.kubeconfig_env,
        context=settings.kube_context, token=settings.kube_token,
        apiserver=settings.kube_apiserver, ca_file=settings.kube_ca_file,
        insecure_skip_tls_verify=settings.kube_insecure_skip_tls_verify,
        tls_server_name=settings.kube_tls_server_name, as_user=settings.kube_as_user,
        as_groups=tuple(settings.kube_as_groups or ()))


def check_kube_version(chart: Chart, capabilities: Capabilities) -> None:
    wanted = chart.metadata.kube_version
    if not wanted:
        return
    from pyhelm.chart.semver import Constraint, SemverError, Version

    try:
        constraint = Constraint.parse(wanted)
    except SemverError as exc:
        raise ChartError(f"{chart.name}/Chart.yaml: kubeVersion: {exc}") from None
    version = Version.parse(capabilities.kube_version.lstrip("v").split("+")[0])
    if not constraint.allows(version):
        raise ChartError(f"chart requires kubeVersion: {wanted} which is incompatible with "
                         f"Kubernetes {capabilities.kube_version}")


def reused_values(reuse: ReuseRule | None, values: ValueOptions) -> dict[str, Any]:
    """Helm's upgrade rules for the user's values, on pyhelm's own parsing."""
    overrides = values.merged()
    if reuse is None or reuse.mode == "reset":
        return overrides
    if reuse.mode in ("reuse", "reset-then-reuse"):
        from pyhelm.chart.values import merge_maps

        return merge_maps(dict(reuse.previous_config), overrides)
    if values.is_empty():
        return dict(reuse.previous_config)
    return overrides


def _render_helm(spec: RenderSpec) -> RenderOutcome:
    from pyhelm.engine import helm_engine

    if spec.chart_path is None:
        name = spec.chart.name if spec.chart else "chart"
        raise ChartError(f"{name}: a Helm chart renders from its directory or archive, and "
                         "none is known here")
    caps = spec.capabilities
    request = helm_engine.EngineRequest(
        chart_path=spec.chart_path, release=spec.release, values=spec.values.sources(),
        kube_version=None if spec.default_kube_version else caps.kube_version,
        api_versions=(caps.api_versions if spec.cluster else ()) + caps.extra_api_versions,
        cluster=spec.cluster, reuse=spec.reuse, kube=spec.kube, objects=spec.objects,
        skip_schema_validation=spec.skip_schema_validation,
        subchart_notes=spec.subchart_notes, enable_dns=spec.enable_dns)
    result = helm_engine.render(request)
    if spec.chart is None and result.deprecated:  # else told as the chart was loaded
        notices.tell(notices.ChartDeprecated())
    for hook_types in result.skipped_hooks:
        notices.tell(notices.UnknownHookSkipped(hook_types))
    return RenderOutcome(result.rendered, result.config, HELM)


def tell_if_deprecated(chart: Chart) -> None:
    """Helm's warning for a chart marked deprecated, as the chart is loaded."""
    if chart.metadata.deprecated:
        notices.tell(notices.ChartDeprecated())
