"""Building a ``Chart`` from a directory, a ``.tgz`` or files already in memory.

Loading first gathers the chart's files (``archive.py``), then builds the model from
them, so a chart from disk and one from an archive or a release record go through the
same checks. Errors name the file and the field: ``demo/Chart.yaml: field "version":
"1.x" is not a valid SemVer 2 version``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pyhelm.chart import semver
from pyhelm.chart.archive import read_archive, read_directory
from pyhelm.chart.archive_budget import ArchiveBudget
from pyhelm.chart.model import (
    TEMPLATES_DIR,
    Chart,
    ChartFile,
    ChartLock,
    ChartMetadata,
    Dependency,
    LockedDependency,
    Maintainer,
)
from pyhelm.chart.values import parse_mapping, parse_values
from pyhelm.errors import ChartError, ValuesError

KNOWN_FIELDS = frozenset({
    "apiVersion", "name", "version", "appVersion", "description", "type", "kubeVersion",
    "keywords", "home", "sources", "maintainers", "icon", "deprecated", "annotations",
    "dependencies", "engine", "tillerVersion", "condition", "tags"})
_SPECIAL = {"Chart.yaml", "Chart.lock", "values.yaml", "values.schema.json",
            "requirements.yaml", "requirements.lock"}


def load_chart(path: str | Path) -> Chart:
    """Load a chart from a directory or a packaged ``.tgz``."""
    path = Path(path)
    if path.is_dir():
        chart_yaml = path.absolute() / "Chart.yaml"
        if not chart_yaml.is_file():  # Helm reads it first, for its apiVersion
            raise ChartError(f"unable to detect chart at {chart_yaml}: open {chart_yaml}: no "
                             "such file or directory")
        return load_files(read_directory(path), str(path).rstrip("/"))
    if not path.exists():
        raise ChartError(f"{path}: no such chart directory or archive")
    return load_archive_bytes(path.read_bytes(), path.name)


def load_archive_bytes(data: bytes, source: str, budget: ArchiveBudget | None = None
                       ) -> Chart:
    """Load a packaged chart; ``budget`` is the enclosing chart's when it is a subchart."""
    budget = budget or ArchiveBudget()
    files = read_archive(data, source, budget)
    if "Chart.yaml" not in files:
        raise ChartError(f"{source}: unable to detect chart version, no Chart.yaml found")
    return load_files(files, source, budget)


def load_files(files: Mapping[str, bytes], source: str,
               budget: ArchiveBudget | None = None) -> Chart:
    """Build a chart (and its subcharts) from ``{relative path: bytes}``; its subchart
    archives spend from ``budget`` (a new one when none is given)."""
    budget = budget or ArchiveBudget()
    raw_metadata = _raw_metadata(files, source)
    metadata = parse_metadata(raw_metadata, f"{source}/Chart.yaml")
    values = parse_values(files.get("values.yaml", b""), f"{source}/values.yaml",
                          ValuesError)
    special = _SPECIAL - ({"requirements.yaml", "requirements.lock"}
                          if metadata.api_version == "v1" else set())
    templates: list[ChartFile] = []
    other: list[ChartFile] = []
    subchart_files: dict[str, dict[str, bytes]] = {}
    subchart_archives: list[tuple[str, bytes]] = []
    for name in sorted(files):
        data = files[name]
        if name in special:
            continue
        if name.startswith("charts/") and not name.endswith(".prov"):
            sub, slash, inner = name[len("charts/"):].partition("/")
            if sub.startswith(("_", ".")):  # Helm passes these over
                continue
            if slash:
                subchart_files.setdefault(sub, {})[inner] = data
            elif sub.endswith((".tgz", ".tar.gz")):
                subchart_archives.append((sub, data))
            continue
        target = templates if name.startswith(TEMPLATES_DIR) else other
        target.append(ChartFile(name, data))
    subcharts: list[Chart] = []
    if subchart_files or subchart_archives:
        with budget.nested(source):
            subcharts += [load_files(sub_files, f"{source}/charts/{sub}", budget)
                          for sub, sub_files in sorted(subchart_files.items())]
            subcharts += [load_archive_bytes(data, f"{source}/charts/{name}", budget)
                          for name, data in subchart_archives]
    # Helm reads the lock files in path order: requirements.lock is read last
    lock = files.get("requirements.lock", files.get("Chart.lock"))
    return Chart(metadata=metadata, values=values, schema=files.get("values.schema.json"),
                 templates=tuple(templates), files=tuple(other), subcharts=tuple(subcharts),
                 lock=_parse_lock(lock, f"{source}/Chart.lock"),
                 raw_values=files.get("values.yaml", b""), raw_metadata=raw_metadata)


def _raw_metadata(files: Mapping[str, bytes], source: str) -> dict[str, Any]:
    """Chart.yaml, with what requirements.yaml says over it (Helm reads both into the
    same metadata, whatever the apiVersion). Helm 2's charts had no apiVersion: v1."""
    if "Chart.yaml" in files:
        raw = _chart_yaml(files["Chart.yaml"], source)
        raw["apiVersion"] = raw.get("apiVersion") or "v1"
    elif "requirements.yaml" in files or "requirements.lock" in files:
        raise ChartError(f"{source}: validation: chart.metadata.apiVersion is required")
    else:
        raise ChartError(f"{source}: Chart.yaml file is missing")
    if "requirements.yaml" in files:
        requirements = parse_mapping(files["requirements.yaml"],
                                     f"{source}/requirements.yaml", ChartError)
        raw |= {key: value for key, value in requirements.items() if key in KNOWN_FIELDS}
    return raw


def _chart_yaml(data: bytes, source: str) -> dict[str, Any]:
    from pyhelm.yamlio import YamlSyntaxError

    try:
        return parse_mapping(data, f"{source}/Chart.yaml", ChartError)
    except ChartError as exc:
        cause = exc.__cause__
        if isinstance(cause, YamlSyntaxError):  # Helm's words
            raise ChartError(f"{source}: cannot load Chart.yaml: error converting YAML to "
                             f"JSON: yaml: line {cause.line}: {cause.problem}") from cause
        raise


def _field(raw: Mapping[str, Any], key: str, source: str, kind: type | tuple[type, ...],
           default: Any = None) -> Any:
    value = raw.get(key, default)
    if value is not None and not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ChartError(f'{source}: field "{key}": expected {names}, got {value!r}')
    return value


def _strings(raw: Mapping[str, Any], key: str, source: str) -> tuple[str, ...]:
    return tuple(clean(str(v)) for v in _field(raw, key, source, list, []) or [])


def clean(text: str) -> str:
    """Helm's sanitizeString: white space becomes a space, other control characters go."""
    return "".join(" " if c.isspace() else c for c in text if c.isspace() or c.isprintable())


def _text(raw: Mapping[str, Any], key: str, source: str) -> str | None:
    value = _field(raw, key, source, str)
    return None if value is None else clean(value)


_ALIAS = re.compile(r"^[a-zA-Z0-9_-]+$")


def _invalid(source: str, problem: str) -> ChartError:
    return ChartError(f"{source}: validation: {problem}")  # Helm's ValidationError


def parse_metadata(raw: Mapping[str, Any], source: str) -> ChartMetadata:
    """Chart.yaml fields to ``ChartMetadata``, with Helm's checks and words."""
    api_version = _field(raw, "apiVersion", source, str) or "v1"
    if api_version not in ("v1", "v2"):
        raise ChartError(f'{source}: unsupported chart version (apiVersion "{api_version}")')
    name = clean(_field(raw, "name", source, str) or "")
    if not name:
        raise _invalid(source, "chart.metadata.name is required")
    if name in (".", ".."):
        raise _invalid(source, f'chart.metadata.name "{name}" is not allowed')
    if "/" in name:
        raise _invalid(source, f'chart.metadata.name "{name}" is invalid')
    version = raw.get("version")
    if version is None or version == "":
        raise _invalid(source, "chart.metadata.version is required")
    if not semver.is_loose_valid(str(version)):
        raise _invalid(source, f'chart.metadata.version "{version}" is invalid')
    chart_type = _field(raw, "type", source, str) or "application"
    if chart_type not in ("application", "library"):
        raise _invalid(source, "chart.metadata.type must be application or library")
    app_version = raw.get("appVersion")
    annotations = _field(raw, "annotations", source, dict, {}) or {}
    dependencies = tuple(_dependency(d, i, source) for i, d in enumerate(
        _field(raw, "dependencies", source, list, []) or []))
    seen: set[str] = set()
    for dependency in dependencies:
        if dependency.effective_name in seen:
            raise _invalid(source, "more than one dependency with name or alias "
                                   f'"{dependency.effective_name}"')
        seen.add(dependency.effective_name)
    return ChartMetadata(
        api_version=api_version, name=name, version=str(version),
        app_version=None if app_version is None else clean(str(app_version)),
        description=_text(raw, "description", source),
        type=chart_type, kube_version=_text(raw, "kubeVersion", source),
        keywords=_strings(raw, "keywords", source), home=_text(raw, "home", source),
        sources=_strings(raw, "sources", source),
        maintainers=tuple(_maintainer(m, source) for m in
                          _field(raw, "maintainers", source, list, []) or []),
        icon=_text(raw, "icon", source),
        deprecated=bool(_field(raw, "deprecated", source, bool, False)),
        annotations={str(k): str(v) for k, v in annotations.items()},
        dependencies=dependencies)


def _maintainer(raw: Any, source: str) -> Maintainer:
    if not isinstance(raw, dict) or not raw.get("name"):
        raise ChartError(f'{source}: field "maintainers": each maintainer needs a name')
    return Maintainer(name=str(raw["name"]), email=raw.get("email"), url=raw.get("url"))


def _dependency(raw: Any, index: int, source: str) -> Dependency:
    where = f'{source}: field "dependencies[{index}]"'
    if not isinstance(raw, dict) or not raw.get("name"):
        raise ChartError(f"{where}: a dependency needs a name")
    tags = raw.get("tags") or []
    if not isinstance(tags, list):
        raise ChartError(f"{where}.tags: expected a list")
    import_values = raw.get("import-values") or []
    if not isinstance(import_values, list):
        raise ChartError(f"{where}.import-values: expected a list")
    alias = raw.get("alias")
    if alias and not _ALIAS.match(str(alias)):
        raise _invalid(source, f'dependency "{raw["name"]}" has disallowed characters in the '
                               "alias")
    condition = raw.get("condition")
    return Dependency(
        name=clean(str(raw["name"])), version=clean(str(raw.get("version") or "")),
        repository=clean(str(raw.get("repository") or "")),
        condition=None if condition is None else clean(str(condition)),
        tags=tuple(clean(str(t)) for t in tags), alias=str(alias) if alias else None,
        import_values=tuple(import_values), enabled=bool(raw.get("enabled", True)))


def _parse_lock(data: bytes | None, source: str) -> ChartLock | None:
    if data is None:
        return None
    raw = parse_mapping(data, source, ChartError)
    return ChartLock(
        generated=str(raw.get("generated", "")), digest=str(raw.get("digest", "")),
        dependencies=tuple(LockedDependency(str(d.get("name", "")), str(d.get("version", "")),
                                            str(d.get("repository", "")))
                           for d in raw.get("dependencies") or []))
