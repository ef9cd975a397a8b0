"""Rendering a prepared chart into manifests, hooks, CRDs and notes. Pure.

Each chart of the tree (the top chart and every enabled subchart, library charts
excepted) renders its templates in its own sandbox with its own section of the values.
Partials (``_*``) are imported, never rendered alone; a chart may import its
subcharts' partials as ``"<subchart>/<path>"`` (that is how library charts are used).
Every error becomes a ``RenderError`` naming ``chart/templates/file:line``.
"""

from __future__ import annotations

import types
from collections.abc import Iterator, Mapping
from typing import Any

from jinja2 import TemplateNotFound, TemplateSyntaxError
from jinja2.exceptions import SecurityError, TemplateRuntimeError

from pyhelm import yamlhead
from pyhelm.chart.model import TEMPLATES_DIR, Chart
from pyhelm.chart.prepare import PreparedChart
from pyhelm.engine import bounds, functions
from pyhelm.engine.context import Files, chart_dict, template_dict
from pyhelm.engine.deadline import RenderMemoryExceeded, RenderTimeout, deadline
from pyhelm.engine.documents import parse_manifests, sort_manifests
from pyhelm.engine.manifest import Manifest, Rendered
from pyhelm.engine.release_info import Capabilities, ReleaseContext
from pyhelm.engine.sandbox import ChartSandbox, MemoryLoader, RenderLimits, index_value_paths
from pyhelm.errors import RenderError

NOTES = "NOTES.txt"


def render(prepared: PreparedChart, *, release: ReleaseContext,
           capabilities: Capabilities | None = None,
           lookup: functions.LookupFunc | None = None,
           limits: RenderLimits | None = None, heads_only: bool = False) -> Rendered:
    """``heads_only``: the objects need only their heads (apiVersion, kind, metadata
    name, namespace, annotations), as ``template`` prints the text as rendered."""
    capabilities = capabilities or Capabilities()
    limits = limits or RenderLimits()
    budget = OutputBudget(limits.max_output_bytes, prepared.chart.name)
    try:
        with deadline(limits.max_seconds, limits.max_memory_bytes):
            texts, notes, crds = _render_tree(prepared, release, capabilities, lookup, limits,
                                              budget)
    except RenderTimeout:
        raise RenderError(f"{budget.template}: rendering took longer than "
                          f"{limits.max_seconds:g}s (the chart may loop without end)") from None
    except RenderMemoryExceeded:
        raise RenderError(f"{budget.template}: rendering used more than "
                          f"{limits.max_memory_bytes // 2**20} MiB of memory (the chart may "
                          "build values without end)") from None
    except MemoryError:
        raise RenderError(f"{budget.template}: rendering ran out of memory") from None
    documents = sum(text.count("\n---") + 1 for text in texts.values()) if heads_only else 0
    with yamlhead.head_loader(documents) as load:
        hooks, manifests = sort_manifests(texts, load)
    _check_duplicates([*manifests, *(h.manifest for h in hooks)], release.namespace)
    return Rendered(manifests=tuple(manifests), hooks=tuple(hooks), crds=tuple(crds),
                    notes=notes, templates=texts)


def _render_tree(prepared: PreparedChart, release: ReleaseContext,
                 capabilities: Capabilities, lookup: functions.LookupFunc | None,
                 limits: RenderLimits, budget: OutputBudget
                 ) -> tuple[dict[str, str], str, list[Manifest]]:
    """Every template of the tree rendered: {chart/templates/path: text}, the notes and
    the CRDs. One output budget covers all of them."""
    texts: dict[str, str] = {}
    notes = ""
    crds: list[Manifest] = []
    for chart, values, chart_path in _walk(prepared.chart, prepared.values,
                                           prepared.chart.name):
        crds += _crd_manifests(chart, chart_path)
        if chart.metadata.is_library:
            continue
        sandbox = _sandbox(chart, limits, lookup)
        index_value_paths(values, "Values", sandbox.value_paths)
        base = {"Values": values, "Release": release.as_dict(), "Chart": chart_dict(chart),
                "Capabilities": capabilities.as_dict(), "Files": Files(chart.files)}
        for template in chart.templates:
            relative = template.name[len(TEMPLATES_DIR):]
            if relative.rsplit("/", 1)[-1].startswith("_"):
                continue
            full_name = f"{chart_path}/{template.name}"
            if relative == NOTES:
                if chart is prepared.chart:
                    notes = _render_one(sandbox, relative, full_name,
                                        {**base, "Template": template_dict(chart_path, relative)},
                                        budget)
                continue
            texts[full_name] = _render_one(
                sandbox, relative, full_name,
                {**base, "Template": template_dict(chart_path, template.name)}, budget)
    return texts, notes, crds


class OutputBudget:
    """The output a whole render may produce, spent as templates print it; it knows the
    template being rendered, for the errors of limits that hold for the whole render."""

    def __init__(self, cap: int, chart: str) -> None:
        self.cap = cap
        self.spent = 0
        self.template = chart

    def spend(self, size: int) -> None:
        self.spent += size
        if self.spent > self.cap:
            raise SecurityError(f"the chart's output is larger than {self.cap} bytes")


def _walk(chart: Chart, values: Mapping[str, Any], path: str
          ) -> Iterator[tuple[Chart, dict[str, Any], str]]:
    yield chart, dict(values), path
    for sub in chart.subcharts:
        section = values.get(sub.name)
        yield from _walk(sub, section if isinstance(section, Mapping) else {},
                         f"{path}/charts/{sub.name}")


def _template_sources(chart: Chart, prefix: str = "") -> dict[str, str]:
    sources: dict[str, str] = {}
    for template in chart.templates:
        try:
            text = template.data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RenderError(f"{chart.name}/{template.name}: not UTF-8 text") from exc
        sources[prefix + template.name[len(TEMPLATES_DIR):]] = text
    for sub in chart.subcharts:
        sources.update(_template_sources(sub, f"{prefix}{sub.name}/"))
    return sources


def _sandbox(chart: Chart, limits: RenderLimits,
             lookup: functions.LookupFunc | None) -> ChartSandbox:
    sandbox = ChartSandbox(MemoryLoader(_template_sources(chart)), limits)
    sandbox.filters.update(functions.FILTERS)
    bounds.bound_filters(sandbox.filters, limits.max_output_bytes)
    sandbox.globals.update(functions.GLOBALS)
    sandbox.globals["tpl"] = functions.make_tpl(limits.max_tpl_depth)
    sandbox.filters["tpl"] = sandbox.globals["tpl"]
    sandbox.globals["lookup"] = functions.make_lookup(lookup)
    return sandbox


def _template_line(tb: types.TracebackType | None, filenames: set[str]) -> tuple[str, int] | None:
    """The innermost template frame of a traceback: (template, line)."""
    found = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename in filenames or filename == "<template>":
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _render_one(sandbox: ChartSandbox, relative: str, full_name: str,
                context: dict[str, Any], budget: OutputBudget) -> str:
    prefix = full_name[: len(full_name) - len(relative)]
    budget.template = full_name
    try:
        template = sandbox.get_template(relative)
        chunks: list[str] = []
        spent, cap = budget.spent, budget.cap  # locals: this loop runs once per chunk
        for chunk in template.generate(context):
            spent += len(chunk)
            if spent > cap:
                budget.spend(spent - budget.spent)  # raises, naming the limit
            chunks.append(chunk)
        budget.spent = spent
        sandbox.check_time()
        return "".join(chunks)
    except TemplateSyntaxError as exc:
        where = f"{prefix}{exc.name or relative}:{exc.lineno}"
        raise RenderError(f"{where}: syntax error: {exc.message}") from None
    except TemplateNotFound as exc:
        raise RenderError(f"{full_name}: template not found: {exc.name}") from None
    except (TemplateRuntimeError, functions.TemplateFailure, RenderError,
            ArithmeticError, TypeError, ValueError, LookupError, RecursionError) as exc:
        if isinstance(exc, RenderError):
            raise
        located = _template_line(exc.__traceback__, set(sandbox.templates.list_templates()))
        where = full_name
        if located:
            name, line = located
            where = f"{prefix}{name}:{line}" if name != "<template>" else f"{full_name} (tpl)"
        kind = "sandbox: " if isinstance(exc, SecurityError) else \
            "" if isinstance(exc, (TemplateRuntimeError, functions.TemplateFailure)) else \
            f"{type(exc).__name__}: "
        raise RenderError(f"{where}: {kind}{exc}") from exc


def _check_duplicates(manifests: list[Manifest], default_namespace: str) -> None:
    seen: dict[tuple[str, str, str, str], Manifest] = {}
    for manifest in manifests:
        group = manifest.api_version.rsplit("/", 1)[0] if "/" in manifest.api_version else ""
        key = (group, manifest.kind, manifest.namespace or default_namespace, manifest.name)
        if key in seen:
            raise RenderError(f"{manifest.template}: duplicate resource {manifest.ref} "
                              f"(also rendered by {seen[key].template})")
        seen[key] = manifest


def _crd_manifests(chart: Chart, chart_path: str) -> list[Manifest]:
    crds: list[Manifest] = []
    for file in chart.crds:
        if not file.name.endswith((".yaml", ".yml", ".json")):
            continue
        crds += parse_manifests(file.data.decode("utf-8", "replace"),
                                f"{chart_path}/{file.name}")
    return crds
