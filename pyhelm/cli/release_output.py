"""What ``status`` and ``get`` print, in Helm 4's shapes (checked beside Helm in
tests/e2e/test_release_outputs.py): the status text, ``status -o json`` (the release
record without its chart, live objects under ``info.resources``), ``get metadata`` and
``get all``."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from pyhelm.cli.common import dump, sorted_tree

_APPLY_METHODS = {"ssa": "server-side apply", "csa": "client-side apply"}


def status_text(release: Any, *, show_metadata: bool = False, resources: str = "",
                values: tuple[dict[str, Any] | None, dict[str, Any] | None] | None = None,
                show_manifest: bool = False, show_notes: bool = True) -> str:
    """Helm's status printer; ``get all`` turns on metadata, values and manifests."""
    from pyhelm.release.timefmt import ansic

    info = release.info
    meta = release.chart.metadata
    lines = [f"NAME: {release.name}"]
    if info.last_deployed is not None:
        lines.append(f"LAST DEPLOYED: {ansic(info.last_deployed)}")
    lines += [f"NAMESPACE: {release.namespace}", f"STATUS: {_state(release)}",
              f"REVISION: {release.version}"]
    if show_metadata:
        lines += [f"CHART: {meta.name}", f"VERSION: {meta.version}",
                  f"APP_VERSION: {meta.app_version or ''}"]
    lines.append(f"DESCRIPTION: {info.description}")
    lines += _test_suite(release)
    text = "\n".join(lines) + "\n" + resources
    if values is not None:
        supplied, computed = values
        text += f"USER-SUPPLIED VALUES:\n{values_yaml(supplied)}\n"
        text += f"COMPUTED VALUES:\n{values_yaml(computed)}\n"
    if show_manifest or info.description.lower() == "dry run complete":  # as Helm's printer
        text += "HOOKS:\n" + "".join(f"---\n# Source: {h.path}\n{h.manifest}\n"
                                     for h in release.hooks or [])
        text += f"MANIFEST:\n{release.manifest}\n"
    if show_notes and (info.notes or "").strip():
        text += f"NOTES:\n{info.notes.strip()}\n"
    return text


def resources_text(tables: dict[str, list[dict[str, Any]]]) -> str:
    """Helm 4's RESOURCES section: per kind, each object printed as kubectl prints a
    server Table (columns of priority 0, upper-cased; one tabwriter flush per object,
    the header with the first), a blank line after each kind and one more at the end."""
    if not tables:
        return ""
    out = "RESOURCES:\n"
    for key, printed in tables.items():
        out += f"==> {key}\n"
        header = True  # kubectl prints the header with the first object of a kind only
        for table in printed:
            if not table.get("rows"):  # a workload without pods prints nothing
                continue
            columns = [i for i, c in enumerate(table.get("columnDefinitions") or [])
                       if not c.get("priority")]
            rows = [[_cell(r["cells"][i]) for i in columns] for r in table["rows"]]
            if header:
                rows.insert(0, [table["columnDefinitions"][i]["name"].upper()
                                for i in columns])
                header = False
            out += _kubectl_tabwriter(rows)
        out += "\n"
    return out + "\n"


def _cell(value: Any) -> str:
    return "<none>" if value is None else str(value)


def _kubectl_tabwriter(rows: list[list[str]]) -> str:
    """Go's tabwriter as kubectl configures it: min width 6, padding 3, spaces; the
    last cell of a line is not padded."""
    if not rows:
        return ""
    widths = [max(max(len(r[i]) for r in rows) + 3, 6) for i in range(len(rows[0]) - 1)]
    return "".join("".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) + r[-1] + "\n"
                   for r in rows)


def _test_suite(release: Any) -> list[str]:
    """Helm's TEST SUITE lines: None without test hooks; a block per test that ran."""
    from pyhelm.release.timefmt import ansic

    tests = [h for h in release.hooks or [] if "test" in h.events]
    if not tests:
        return ["TEST SUITE: None"]
    return [line for h in tests if h.last_run_started for line in (
        f"TEST SUITE:     {h.name}", f"Last Started:   {ansic(h.last_run_started)}",
        f"Last Completed: {ansic(h.last_run_completed)}", f"Phase:          {h.last_run_phase}")]


def release_dict(release: Any) -> dict[str, Any]:
    """``install/upgrade -o json``: the whole release record, chart included."""
    from pyhelm.release.codec import to_dict

    data = status_dict(release, None)
    data["chart"] = to_dict(release)["chart"]
    order = ("name", "info", "chart", "config", "manifest", "hooks", "version", "namespace")
    return {k: data[k] for k in order if k in data} | {
        k: v for k, v in data.items() if k not in order}


def values_yaml(values: dict[str, Any] | None) -> str:
    """Values as ``get values`` prints them (sigs.k8s.io/yaml, newline-ended)."""
    return dump(values, "yaml") + "\n"


def status_dict(release: Any, resources: dict[str, list[Any]] | None) -> dict[str, Any]:
    """``status -o json``: the release as Helm 4 encodes it, without the chart."""
    from pyhelm.release.codec import GO_ZERO_TIME, to_dict

    data = to_dict(release)
    data.pop("chart", None)
    info = dict(data.get("info") or {})
    if info.get("deleted") in ("", GO_ZERO_TIME):
        info.pop("deleted")
    if resources:
        info["resources"] = sorted_tree(resources)
    data["info"] = info
    if "config" in data:
        data["config"] = sorted_tree(data["config"])
    hooks = [_hook_order(h) for h in data.pop("hooks", None) or []]
    if hooks:  # omitempty, as Go writes it
        data["hooks"] = hooks
    return {key: data[key] for key in ("name", "info", "config", "manifest", "hooks",
                                       "version", "namespace") if key in data} | {
        key: value for key, value in data.items()
        if key not in ("name", "info", "config", "manifest", "hooks", "version", "namespace")}


def _hook_order(hook: dict[str, Any]) -> dict[str, Any]:
    order = ("name", "kind", "path", "manifest", "events", "last_run", "weight",
             "delete_policies", "output_log_policies")
    return {k: hook[k] for k in order if k in hook} | {
        k: v for k, v in hook.items() if k not in order}


def resources_by_kind(live: list[tuple[Any, dict[str, Any] | None]]) -> dict[str, list[Any]]:
    """Live objects grouped as Helm 4 keys them: ``VERSION/Kind`` (no API group)."""
    grouped: dict[str, list[Any]] = {}
    for manifest, obj in live:
        if obj is not None:
            version = manifest.api_version.rsplit("/", 1)[-1]
            grouped.setdefault(f"{version}/{manifest.kind}", []).append(obj)
    return dict(sorted(grouped.items()))


def metadata_dict(release: Any) -> dict[str, Any]:
    """``get metadata -o json`` (Helm's field order; empty maps and lists left out)."""
    meta = release.chart.metadata
    data: dict[str, Any] = {"name": release.name, "chart": meta.name, "version": meta.version,
                            "appVersion": meta.app_version or ""}
    if meta.annotations:
        data["annotations"] = dict(meta.annotations)
    if release.labels:
        data["labels"] = dict(sorted(release.labels.items()))
    if meta.dependencies:
        data["dependencies"] = [_dependency(d) for d in meta.dependencies]
    data.update(namespace=release.namespace, revision=release.version,
                status=_state(release), deployedAt=_rfc3339(release.info.last_deployed))
    method = release.extra.get("apply_method")
    if method:
        data["applyMethod"] = method
    return data


def metadata_text(release: Any) -> str:
    data = metadata_dict(release)
    method = _APPLY_METHODS.get(data.get("applyMethod", ""), "client-side apply (defaulted)")

    def pairs(mapping: dict[str, str] | None) -> str:
        return ",".join(f"{k}={v}" for k, v in sorted((mapping or {}).items()))

    return "\n".join([
        f"NAME: {data['name']}", f"CHART: {data['chart']}", f"VERSION: {data['version']}",
        f"APP_VERSION: {data['appVersion']}",
        f"ANNOTATIONS: {pairs(data.get('annotations'))}",
        f"LABELS: {pairs(data.get('labels'))}",
        f"DEPENDENCIES: {','.join(d['name'] for d in data.get('dependencies', []))}",
        f"NAMESPACE: {data['namespace']}", f"REVISION: {data['revision']}",
        f"STATUS: {data['status']}", f"DEPLOYED_AT: {data['deployedAt']}",
        f"APPLY_METHOD: {method}"])


def _dependency(dependency: Any) -> dict[str, Any]:
    raw = {"name": dependency.name, "version": dependency.version,
           "repository": dependency.repository, "condition": dependency.condition,
           "alias": dependency.alias}
    return {k: v for k, v in raw.items() if v}


def _rfc3339(value: Any) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else ""


def _state(release: Any) -> str:
    return str(release.state)
