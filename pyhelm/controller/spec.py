"""The part of a ``helm.toolkit.fluxcd.io/v2`` HelmRelease this controller acts on, as
typed, frozen dataclasses parsed from the object (a JSON dict) with one clear error per
bad field. Defaults follow helm-controller's API (``github.com/fluxcd/helm-controller/api``
v1.7.1): release name ``[targetNamespace-]name``, namespaces from the object's, timeout
5m, max history 5, chartRef kind ``HelmChart`` and namespace the object's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pyhelm.errors import HelmReleaseSpecError

GROUP = "helm.toolkit.fluxcd.io"
API_VERSION = f"{GROUP}/v2"
KIND = "HelmRelease"
SOURCE_GROUP = "source.toolkit.fluxcd.io"
CHART_REF_KINDS = ("OCIRepository", "HelmChart")
DEFAULT_TIMEOUT = 300.0
DEFAULT_MAX_HISTORY = 5
DRIFT_MODES = ("enabled", "warn", "disabled")
# helm-controller's annotations (fluxcd/pkg/apis/meta): a reconcile request, a one-off
# forced install or upgrade, and a reset of the failure counters
REQUESTED_AT = "reconcile.fluxcd.io/requestedAt"
FORCE_AT = "reconcile.fluxcd.io/forceAt"
RESET_AT = "reconcile.fluxcd.io/resetAt"
DEFAULT_KUBECONFIG_KEYS = ("value", "value.yaml")  # Flux's, tried in this order
REMEDIATE_ON_FAILURE = "RemediateOnFailure"
RETRY_ON_FAILURE = "RetryOnFailure"
DEFAULT_RETRY_INTERVAL = 300.0  # strategy.retryInterval's default (5m)

_DURATION = re.compile(r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$")  # the CRD's pattern
_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


@dataclass(frozen=True, kw_only=True)
class ChartRef:
    """``spec.chartRef``: a source-controller object holding the chart as an artifact."""

    kind: str
    name: str
    namespace: str
    api_version: str = ""

    @property
    def display(self) -> str:
        return f"{self.kind}/{self.namespace}/{self.name}"


@dataclass(frozen=True, kw_only=True)
class ChartTemplate:
    """``spec.chart``: the HelmChart the controller makes and owns for this release."""

    chart: str
    version: str
    source_kind: str
    source_name: str
    source_namespace: str
    interval: str
    reconcile_strategy: str = "ChartVersion"
    values_files: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    # given to the HelmChart as they are: source-controller acts on them
    verify: Mapping[str, Any] = field(default_factory=dict)
    ignore_missing_values_files: bool = False


@dataclass(frozen=True, kw_only=True)
class ValuesReference:
    """One ``spec.valuesFrom`` entry: values from a ConfigMap or Secret key."""

    kind: str
    name: str
    values_key: str = "values.yaml"
    target_path: str = ""
    optional: bool = False


@dataclass(frozen=True, kw_only=True)
class InstallSpec:
    """``spec.install``: the options of Helm install this slice honours."""

    timeout: float | None = None
    disable_wait: bool = False
    disable_wait_for_jobs: bool = False
    disable_hooks: bool = False
    create_namespace: bool = False
    crds: str = "create"  # crds Skip, Create (the default) or CreateReplace: skip/create/replace
    retries: int = 0  # remediation.retries (-1: without end)
    remediate_last_failure: bool = False
    ignore_test_failures: bool = False  # remediation.ignoreTestFailures
    disable_schema_validation: bool = False
    take_ownership: bool = True  # not disableTakeOwnership: Flux adopts existing objects
    strategy: str = REMEDIATE_ON_FAILURE  # strategy.name
    retry_interval: float = DEFAULT_RETRY_INTERVAL  # strategy.retryInterval


@dataclass(frozen=True, kw_only=True)
class UpgradeSpec:
    """``spec.upgrade``: the options of Helm upgrade this slice honours."""

    timeout: float | None = None
    disable_wait: bool = False
    disable_wait_for_jobs: bool = False
    disable_hooks: bool = False
    force: bool = False
    preserve_values: bool = False
    retries: int = 0  # remediation.retries (-1: without end)
    remediate_last_failure: bool = False  # default: retries > 0
    remediation_strategy: str = "rollback"  # remediation.strategy: rollback or uninstall
    ignore_test_failures: bool = False  # remediation.ignoreTestFailures
    disable_schema_validation: bool = False
    take_ownership: bool = True  # not disableTakeOwnership
    cleanup_on_fail: bool = False
    crds: str = "skip"  # crds Skip (the default on upgrade), Create or CreateReplace
    strategy: str = REMEDIATE_ON_FAILURE  # strategy.name
    retry_interval: float = DEFAULT_RETRY_INTERVAL
    reinstall_on_chart_rename: bool = False  # chartNameChangeStrategy: Reinstall


@dataclass(frozen=True, kw_only=True)
class RollbackSpec:
    """``spec.rollback``: the rollback a failed upgrade's remediation does."""

    timeout: float | None = None
    disable_wait: bool = False
    disable_wait_for_jobs: bool = False
    disable_hooks: bool = False
    force: bool = False
    cleanup_on_fail: bool = False


@dataclass(frozen=True, kw_only=True)
class UninstallSpec:
    """``spec.uninstall``: the uninstall of a deleted HelmRelease or a remediation."""

    timeout: float | None = None
    disable_hooks: bool = False
    disable_wait: bool = False
    keep_history: bool = False
    deletion_propagation: str = "background"


@dataclass(frozen=True, kw_only=True)
class TestSpec:
    """``spec.test``: run the chart's Helm tests after each install and upgrade."""

    enable: bool = False
    timeout: float | None = None
    ignore_failures: bool = False
    include: frozenset[str] = frozenset()  # filters without exclude: only these run
    exclude: frozenset[str] = frozenset()


@dataclass(frozen=True, kw_only=True)
class Dependency:
    """One ``spec.dependsOn`` entry: a HelmRelease that must be Ready first."""

    name: str
    namespace: str

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True, kw_only=True)
class ObjectSelector:
    """A kustomize-style target: objects matched by group, version, kind, name,
    namespace and label and annotation selectors (empty: any)."""

    group: str = ""
    version: str = ""
    kind: str = ""
    name: str = ""
    namespace: str = ""
    label_selector: str = ""
    annotation_selector: str = ""


@dataclass(frozen=True, kw_only=True)
class IgnoreRule:
    """``spec.driftDetection.ignore[]``: JSON pointers not compared, on the objects the
    target selects (all objects without one)."""

    paths: tuple[str, ...]
    target: ObjectSelector | None = None


@dataclass(frozen=True, kw_only=True)
class DriftDetection:
    """``spec.driftDetection``: ``enabled`` corrects drift, ``warn`` reports it."""

    mode: str = "disabled"
    ignore: tuple[IgnoreRule, ...] = ()


@dataclass(frozen=True, kw_only=True)
class KustomizePatch:
    """A strategic merge or JSON 6902 patch and the objects it applies to."""

    patch: str
    target: ObjectSelector | None = None


@dataclass(frozen=True, kw_only=True)
class ImageOverride:
    """A kustomize ``images`` entry: a new name, tag or digest for an image."""

    name: str
    new_name: str = ""
    new_tag: str = ""
    digest: str = ""


@dataclass(frozen=True, kw_only=True)
class KustomizePostRenderer:
    """``spec.postRenderers[].kustomize``."""

    patches: tuple[KustomizePatch, ...] = ()
    images: tuple[ImageOverride, ...] = ()


@dataclass(frozen=True, kw_only=True)
class KubeConfigRef:
    """``spec.kubeConfig.secretRef``: the Secret key holding a kubeconfig for a remote
    cluster (``key`` empty: ``value``, else ``value.yaml``)."""

    secret: str
    key: str = ""


@dataclass(frozen=True, kw_only=True)
class HelmRelease:
    """One HelmRelease: identity, generation and the spec fields acted on."""

    name: str
    namespace: str
    generation: int
    uid: str
    chart_ref: ChartRef
    interval: float
    suspend: bool = False
    release_name: str = ""
    target_namespace: str = ""
    storage_namespace: str = ""
    values: Mapping[str, Any] = field(default_factory=dict)
    timeout: float = DEFAULT_TIMEOUT
    max_history: int = DEFAULT_MAX_HISTORY
    install: InstallSpec = field(default_factory=InstallSpec)
    upgrade: UpgradeSpec = field(default_factory=UpgradeSpec)
    chart_template: ChartTemplate | None = None
    values_from: tuple[ValuesReference, ...] = ()
    test: TestSpec = field(default_factory=TestSpec)
    rollback: RollbackSpec = field(default_factory=RollbackSpec)
    uninstall: UninstallSpec = field(default_factory=UninstallSpec)
    depends_on: tuple[Dependency, ...] = ()
    drift: DriftDetection = field(default_factory=DriftDetection)
    service_account: str = ""
    kube_config: KubeConfigRef | None = None
    common_labels: Mapping[str, str] = field(default_factory=dict)
    common_annotations: Mapping[str, str] = field(default_factory=dict)
    post_renderers: tuple[KustomizePostRenderer, ...] = ()
    annotations: Mapping[str, str] = field(default_factory=dict)

    @property
    def requested_at(self) -> str:
        return self.annotations.get(REQUESTED_AT, "")

    @property
    def force_at(self) -> str:
        return self.annotations.get(FORCE_AT, "")

    @property
    def reset_at(self) -> str:
        return self.annotations.get(RESET_AT, "")

    @property
    def release(self) -> str:
        """helm-controller's GetReleaseName: releaseName, else [targetNamespace-]name."""
        if self.release_name:
            return self.release_name
        if self.target_namespace:
            return f"{self.target_namespace}-{self.name}"
        return self.name

    @property
    def release_namespace(self) -> str:
        return self.target_namespace or self.namespace

    @property
    def storage(self) -> str:
        return self.storage_namespace or self.namespace

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


def parse_duration(text: object, where: str) -> float:
    """Seconds in a duration as the CRD accepts it (``10m``, ``1h30m``, ``500ms``)."""
    if not isinstance(text, str) or not _DURATION.fullmatch(text):
        raise HelmReleaseSpecError(
            f"{where}: {text!r} is not a duration such as 30s, 10m or 1h30m")
    return sum(float(n) * _UNIT_SECONDS[u] for n, u in _DURATION_PART.findall(text))


def _mapping(value: object, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise HelmReleaseSpecError(f"{where}: expected an object, got {type(value).__name__}")
    return value


def _string(value: object, where: str, *, required: bool = False) -> str:
    if value is None or value == "":
        if required:
            raise HelmReleaseSpecError(f"{where}: required")
        return ""
    if not isinstance(value, str):
        raise HelmReleaseSpecError(f"{where}: expected a string, got {type(value).__name__}")
    return value


def _bool(value: object, where: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise HelmReleaseSpecError(f"{where}: expected true or false, got {value!r}")
    return value


def _optional_duration(value: object, where: str) -> float | None:
    return None if value is None else parse_duration(value, where)


SOURCE_KINDS = ("HelmRepository", "GitRepository", "Bucket")


def _chart_template(spec: Mapping[str, Any], name: str, namespace: str
                    ) -> tuple[ChartRef, ChartTemplate]:
    """helm-controller's HelmChart template: the HelmChart ``<namespace>-<name>``, in the
    source's namespace when the sourceRef names one."""
    template = _mapping(spec.get("chart"), "spec.chart")
    kind = _string(template.get("kind"), "spec.chart.kind") or "HelmChart"
    if kind != "HelmChart":
        raise HelmReleaseSpecError(f"spec.chart.kind: {kind!r} templates are not supported "
                                   "yet (only HelmChart)")
    body = _mapping(template.get("spec"), "spec.chart.spec")
    meta = _mapping(template.get("metadata"), "spec.chart.metadata")
    source = _mapping(body.get("sourceRef"), "spec.chart.spec.sourceRef")
    source_kind = _string(source.get("kind"), "spec.chart.spec.sourceRef.kind",
                          required=True)
    if source_kind not in SOURCE_KINDS:
        raise HelmReleaseSpecError(f"spec.chart.spec.sourceRef.kind: {source_kind!r} is not "
                                   f"one of {', '.join(SOURCE_KINDS)}")
    source_namespace = _string(source.get("namespace"), "spec.chart.spec.sourceRef.namespace")
    interval = body.get("interval") or spec.get("interval")
    parse_duration(interval, "spec.chart.spec.interval")
    files = body.get("valuesFiles") or []
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        raise HelmReleaseSpecError("spec.chart.spec.valuesFiles: expected a list of paths")
    result = ChartTemplate(
        chart=_string(body.get("chart"), "spec.chart.spec.chart", required=True),
        version=_string(body.get("version"), "spec.chart.spec.version") or "*",
        source_kind=source_kind,
        source_name=_string(source.get("name"), "spec.chart.spec.sourceRef.name",
                            required=True),
        source_namespace=source_namespace, interval=str(interval),
        reconcile_strategy=_string(body.get("reconcileStrategy"),
                                   "spec.chart.spec.reconcileStrategy") or "ChartVersion",
        values_files=tuple(files),
        verify=_verify(body.get("verify")),
        ignore_missing_values_files=_bool(body.get("ignoreMissingValuesFiles"),
                                          "spec.chart.spec.ignoreMissingValuesFiles"),
        labels=_mapping(meta.get("labels"), "spec.chart.metadata.labels"),
        annotations=_mapping(meta.get("annotations"), "spec.chart.metadata.annotations"))
    ref = ChartRef(kind="HelmChart", name=f"{namespace}-{name}",
                   namespace=source_namespace or namespace)
    return ref, result


def _verify(raw: object) -> Mapping[str, Any]:
    """``spec.chart.spec.verify``: how source-controller checks the chart's signature."""
    verify = _mapping(raw, "spec.chart.spec.verify")
    if verify:
        _string(verify.get("provider"), "spec.chart.spec.verify.provider", required=True)
        _mapping(verify.get("secretRef"), "spec.chart.spec.verify.secretRef")
    return verify


def _chart_ref(spec: Mapping[str, Any], namespace: str) -> ChartRef:
    if "chartRef" not in spec:
        raise HelmReleaseSpecError("spec.chartRef or spec.chart: one is required")
    ref = _mapping(spec["chartRef"], "spec.chartRef")
    kind = _string(ref.get("kind"), "spec.chartRef.kind") or "HelmChart"
    if kind not in CHART_REF_KINDS:
        raise HelmReleaseSpecError(
            f"spec.chartRef.kind: {kind!r} is not one of {', '.join(CHART_REF_KINDS)}")
    return ChartRef(kind=kind, name=_string(ref.get("name"), "spec.chartRef.name",
                                            required=True),
                    namespace=_string(ref.get("namespace"), "spec.chartRef.namespace")
                    or namespace,
                    api_version=_string(ref.get("apiVersion"), "spec.chartRef.apiVersion"))


def _retries(remediation: Mapping[str, Any], where: str) -> int:
    retries = remediation.get("retries", 0)
    if not isinstance(retries, int) or isinstance(retries, bool) or retries < -1:
        raise HelmReleaseSpecError(f"{where}.retries: {retries!r} is not a count or -1")
    return retries


# the API's crds policies, as the rollout's
CRD_POLICIES = {"Skip": "skip", "Create": "create", "CreateReplace": "replace"}


def _choice(value: object, where: str, choices: tuple[str, ...], default: str) -> str:
    text = _string(value, where) or default
    if text not in choices:
        raise HelmReleaseSpecError(f"{where}: {text!r} is not one of {', '.join(choices)}")
    return text


def _strategy(spec: Mapping[str, Any], where: str) -> tuple[str, float]:
    """``strategy``: its name, and the pause between retries with RetryOnFailure."""
    strategy = _mapping(spec.get("strategy"), f"{where}.strategy")
    name = _choice(strategy.get("name"), f"{where}.strategy.name",
                   (REMEDIATE_ON_FAILURE, RETRY_ON_FAILURE), REMEDIATE_ON_FAILURE)
    interval = _optional_duration(strategy.get("retryInterval"),
                                  f"{where}.strategy.retryInterval")
    if interval is not None and name != RETRY_ON_FAILURE:
        raise HelmReleaseSpecError(f"{where}.strategy.retryInterval: only with "
                                   f"{RETRY_ON_FAILURE}")
    return name, DEFAULT_RETRY_INTERVAL if interval is None else interval


def _server_side_apply(value: object, where: str) -> None:
    """pyhelm always applies server-side: "disabled" (or false) is refused, not ignored."""
    if value is False or value == "disabled":
        raise HelmReleaseSpecError(f"{where}: client-side apply is not supported (pyhelm "
                                   "applies server-side)")
    if value not in (None, True, "enabled", "auto"):
        raise HelmReleaseSpecError(f"{where}: {value!r} is not enabled, disabled or auto")


def _install(raw: object) -> InstallSpec:
    spec = _mapping(raw, "spec.install")
    remediation = _mapping(spec.get("remediation"), "spec.install.remediation")
    _server_side_apply(spec.get("serverSideApply"), "spec.install.serverSideApply")
    strategy, retry_interval = _strategy(spec, "spec.install")
    crds = CRD_POLICIES[_choice(spec.get("crds"), "spec.install.crds", tuple(CRD_POLICIES),
                                "Create")]
    return InstallSpec(
        retries=_retries(remediation, "spec.install.remediation"),
        remediate_last_failure=_bool(remediation.get("remediateLastFailure"),
                                     "spec.install.remediation.remediateLastFailure"),
        ignore_test_failures=_bool(remediation.get("ignoreTestFailures"),
                                   "spec.install.remediation.ignoreTestFailures"),
        timeout=_optional_duration(spec.get("timeout"), "spec.install.timeout"),
        disable_wait=_bool(spec.get("disableWait"), "spec.install.disableWait"),
        disable_wait_for_jobs=_bool(spec.get("disableWaitForJobs"),
                                    "spec.install.disableWaitForJobs"),
        disable_hooks=_bool(spec.get("disableHooks"), "spec.install.disableHooks"),
        create_namespace=_bool(spec.get("createNamespace"), "spec.install.createNamespace"),
        crds="skip" if _bool(spec.get("skipCRDs"), "spec.install.skipCRDs") else crds,
        disable_schema_validation=_bool(spec.get("disableSchemaValidation"),
                                        "spec.install.disableSchemaValidation"),
        take_ownership=not _bool(spec.get("disableTakeOwnership"),
                                 "spec.install.disableTakeOwnership"),
        strategy=strategy, retry_interval=retry_interval)


def _upgrade(raw: object) -> UpgradeSpec:
    spec = _mapping(raw, "spec.upgrade")
    remediation = _mapping(spec.get("remediation"), "spec.upgrade.remediation")
    retries = _retries(remediation, "spec.upgrade.remediation")
    last = remediation.get("remediateLastFailure")
    remediation_strategy = _choice(remediation.get("strategy"),
                                   "spec.upgrade.remediation.strategy",
                                   ("rollback", "uninstall"), "rollback")
    _server_side_apply(spec.get("serverSideApply"), "spec.upgrade.serverSideApply")
    strategy, retry_interval = _strategy(spec, "spec.upgrade")
    rename = _choice(spec.get("chartNameChangeStrategy"),
                     "spec.upgrade.chartNameChangeStrategy", ("InPlaceUpdate", "Reinstall"),
                     "InPlaceUpdate")
    return UpgradeSpec(
        retries=retries, remediation_strategy=remediation_strategy,
        remediate_last_failure=retries > 0 if last is None else _bool(
            last, "spec.upgrade.remediation.remediateLastFailure"),
        ignore_test_failures=_bool(remediation.get("ignoreTestFailures"),
                                   "spec.upgrade.remediation.ignoreTestFailures"),
        timeout=_optional_duration(spec.get("timeout"), "spec.upgrade.timeout"),
        disable_wait=_bool(spec.get("disableWait"), "spec.upgrade.disableWait"),
        disable_wait_for_jobs=_bool(spec.get("disableWaitForJobs"),
                                    "spec.upgrade.disableWaitForJobs"),
        disable_hooks=_bool(spec.get("disableHooks"), "spec.upgrade.disableHooks"),
        force=_bool(spec.get("force"), "spec.upgrade.force"),
        preserve_values=_bool(spec.get("preserveValues"), "spec.upgrade.preserveValues"),
        disable_schema_validation=_bool(spec.get("disableSchemaValidation"),
                                        "spec.upgrade.disableSchemaValidation"),
        take_ownership=not _bool(spec.get("disableTakeOwnership"),
                                 "spec.upgrade.disableTakeOwnership"),
        cleanup_on_fail=_bool(spec.get("cleanupOnFail"), "spec.upgrade.cleanupOnFail"),
        crds=CRD_POLICIES[_choice(spec.get("crds"), "spec.upgrade.crds",
                                  tuple(CRD_POLICIES), "Skip")],
        strategy=strategy, retry_interval=retry_interval,
        reinstall_on_chart_rename=rename == "Reinstall")


def _rollback(raw: object) -> RollbackSpec:
    spec = _mapping(raw, "spec.rollback")
    _server_side_apply(spec.get("serverSideApply"), "spec.rollback.serverSideApply")
    return RollbackSpec(
        timeout=_optional_duration(spec.get("timeout"), "spec.rollback.timeout"),
        disable_wait=_bool(spec.get("disableWait"), "spec.rollback.disableWait"),
        disable_wait_for_jobs=_bool(spec.get("disableWaitForJobs"),
                                    "spec.rollback.disableWaitForJobs"),
        disable_hooks=_bool(spec.get("disableHooks"), "spec.rollback.disableHooks"),
        force=_bool(spec.get("force"), "spec.rollback.force"),
        cleanup_on_fail=_bool(spec.get("cleanupOnFail"), "spec.rollback.cleanupOnFail"))


def _uninstall(raw: object) -> UninstallSpec:
    spec = _mapping(raw, "spec.uninstall")
    return UninstallSpec(
        timeout=_optional_duration(spec.get("timeout"), "spec.uninstall.timeout"),
        disable_hooks=_bool(spec.get("disableHooks"), "spec.uninstall.disableHooks"),
        disable_wait=_bool(spec.get("disableWait"), "spec.uninstall.disableWait"),
        keep_history=_bool(spec.get("keepHistory"), "spec.uninstall.keepHistory"),
        deletion_propagation=_choice(spec.get("deletionPropagation"),
                                     "spec.uninstall.deletionPropagation",
                                     ("background", "foreground", "orphan"), "background"))


def _test(raw: object) -> TestSpec:
    spec = _mapping(raw, "spec.test")
    include: set[str] = set()
    exclude: set[str] = set()
    for index, item in enumerate(_list(spec.get("filters"), "spec.test.filters")):
        where = f"spec.test.filters[{index}]"
        entry = _mapping(item, where)
        name = _string(entry.get("name"), f"{where}.name", required=True)
        (exclude if _bool(entry.get("exclude"), f"{where}.exclude") else include).add(name)
    return TestSpec(enable=_bool(spec.get("enable"), "spec.test.enable"),
                    timeout=_optional_duration(spec.get("timeout"), "spec.test.timeout"),
                    ignore_failures=_bool(spec.get("ignoreFailures"),
                                          "spec.test.ignoreFailures"),
                    include=frozenset(include), exclude=frozenset(exclude))


def _values_from(raw: object) -> tuple[ValuesReference, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise HelmReleaseSpecError("spec.valuesFrom: expected a list")
    refs = []
    for index, item in enumerate(raw):
        where = f"spec.valuesFrom[{index}]"
        entry = _mapping(item, where)
        kind = _string(entry.get("kind"), f"{where}.kind", required=True)
        if kind not in ("ConfigMap", "Secret"):
            raise HelmReleaseSpecError(f"{where}.kind: {kind!r} is not ConfigMap or Secret")
        refs.append(ValuesReference(
            kind=kind, name=_string(entry.get("name"), f"{where}.name", required=True),
            values_key=_string(entry.get("valuesKey"), f"{where}.valuesKey")
            or "values.yaml",
            target_path=_string(entry.get("targetPath"), f"{where}.targetPath"),
            optional=_bool(entry.get("optional"), f"{where}.optional")))
    return tuple(refs)


def _string_map(value: object, where: str) -> Mapping[str, str]:
    mapping = _mapping(value, where)
    for key, item in mapping.items():
        if not isinstance(item, str):
            raise HelmReleaseSpecError(f"{where}.{key}: expected a string, "
                                       f"got {type(item).__name__}")
    return mapping


def _list(value: object, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise HelmReleaseSpecError(f"{where}: expected a list, got {type(value).__name__}")
    return value


def _depends_on(raw: object, namespace: str) -> tuple[Dependency, ...]:
    found = []
    for index, item in enumerate(_list(raw, "spec.dependsOn")):
        where = f"spec.dependsOn[{index}]"
        entry = _mapping(item, where)
        if entry.get("readyExpr"):
            raise HelmReleaseSpecError(f"{where}.readyExpr: CEL expressions are not "
                                       "supported yet")
        found.append(Dependency(
            name=_string(entry.get("name"), f"{where}.name", required=True),
            namespace=_string(entry.get("namespace"), f"{where}.namespace") or namespace))
    return tuple(found)


def _selector(raw: object, where: str) -> ObjectSelector | None:
    if raw is None:
        return None
    entry = _mapping(raw, where)
    fields = {"group": "group", "version": "version", "kind": "kind", "name": "name",
              "namespace": "namespace", "labelSelector": "label_selector",
              "annotationSelector": "annotation_selector"}
    return ObjectSelector(**{attr: _string(entry.get(key), f"{where}.{key}")
                             for key, attr in fields.items()})


def _drift(raw: object) -> DriftDetection:
    spec = _mapping(raw, "spec.driftDetection")
    mode = _string(spec.get("mode"), "spec.driftDetection.mode") or "disabled"
    if mode not in DRIFT_MODES:
        raise HelmReleaseSpecError(f"spec.driftDetection.mode: {mode!r} is not one of "
                                   f"{', '.join(DRIFT_MODES)}")
    rules = []
    for index, item in enumerate(_list(spec.get("ignore"), "spec.driftDetection.ignore")):
        where = f"spec.driftDetection.ignore[{index}]"
        entry = _mapping(item, where)
        paths = _list(entry.get("paths"), f"{where}.paths")
        for number, path in enumerate(paths):
            if not isinstance(path, str) or not (path == "" or path.startswith("/")):
                raise HelmReleaseSpecError(f"{where}.paths[{number}]: {path!r} is not a "
                                           "JSON pointer such as /spec/replicas")
        rules.append(IgnoreRule(paths=tuple(paths),
                                target=_selector(entry.get("target"), f"{where}.target")))
    return DriftDetection(mode=mode, ignore=tuple(rules))


def _post_renderers(raw: object) -> tuple[KustomizePostRenderer, ...]:
    found = []
    for index, item in enumerate(_list(raw, "spec.postRenderers")):
        where = f"spec.postRenderers[{index}].kustomize"
        kustomize = _mapping(_mapping(item, f"spec.postRenderers[{index}]").get("kustomize"),
                             where)
        patches = []
        for number, patch in enumerate(_list(kustomize.get("patches"), f"{where}.patches")):
            entry = _mapping(patch, f"{where}.patches[{number}]")
            patches.append(KustomizePatch(
                patch=_string(entry.get("patch"), f"{where}.patches[{number}].patch",
                              required=True),
                target=_selector(entry.get("target"), f"{where}.patches[{number}].target")))
        images = []
        for number, image in enumerate(_list(kustomize.get("images"), f"{where}.images")):
            at = f"{where}.images[{number}]"
            entry = _mapping(image, at)
            images.append(ImageOverride(
                name=_string(entry.get("name"), f"{at}.name", required=True),
                new_name=_string(entry.get("newName"), f"{at}.newName"),
                new_tag=_string(entry.get("newTag"), f"{at}.newTag"),
                digest=_string(entry.get("digest"), f"{at}.digest")))
        found.append(KustomizePostRenderer(patches=tuple(patches), images=tuple(images)))
    return tuple(found)


def _kube_config(raw: object) -> KubeConfigRef | None:
    if raw is None:
        return None
    spec = _mapping(raw, "spec.kubeConfig")
    if spec.get("configMapRef"):
        raise HelmReleaseSpecError("spec.kubeConfig.configMapRef: cloud provider "
                                   "kubeconfigs are not supported yet (use secretRef)")
    ref = _mapping(spec.get("secretRef"), "spec.kubeConfig.secretRef")
    return KubeConfigRef(
        secret=_string(ref.get("name"), "spec.kubeConfig.secretRef.name", required=True),
        key=_string(ref.get("key"), "spec.kubeConfig.secretRef.key"))


def _accepted_as_is(spec: Mapping[str, Any]) -> None:
    """Fields whose every allowed value pyhelm already behaves as, and those it refuses.

    ``persistentClient``: pyhelm keeps one client per release step either way.
    ``waitStrategy`` poller or legacy: pyhelm's wait (watches, kstatus-like readiness)
    serves both. ``postRenderStrategy``: pyhelm post-renders hooks with the templates
    (``combined``, Helm 4's default); the others are refused, as is ``healthCheckExprs``
    (CEL)."""
    _bool(spec.get("persistentClient"), "spec.persistentClient")
    wait = _mapping(spec.get("waitStrategy"), "spec.waitStrategy")
    _choice(wait.get("name"), "spec.waitStrategy.name", ("poller", "legacy"), "poller")
    strategy = _string(spec.get("postRenderStrategy"), "spec.postRenderStrategy")
    if strategy not in ("", "combined"):
        raise HelmReleaseSpecError(f"spec.postRenderStrategy: {strategy!r} is not supported "
                                   "yet (hooks are post-rendered with the templates: "
                                   "combined)")
    if spec.get("healthCheckExprs"):
        raise HelmReleaseSpecError("spec.healthCheckExprs: CEL expressions are not "
                                   "supported yet")


def parse_helmrelease(obj: Mapping[str, Any]) -> HelmRelease:
    """The typed HelmRelease; ``HelmReleaseSpecError`` names the first bad field."""
    if obj.get("apiVersion") != API_VERSION or obj.get("kind") != KIND:
        raise HelmReleaseSpecError(
            f"expected {API_VERSION} {KIND}, got {obj.get('apiVersion')} {obj.get('kind')}")
    meta = _mapping(obj.get("metadata"), "metadata")
    namespace = _string(meta.get("namespace"), "metadata.namespace", required=True)
    spec = _mapping(obj.get("spec"), "spec")
    max_history = spec.get("maxHistory", DEFAULT_MAX_HISTORY)
    if not isinstance(max_history, int) or isinstance(max_history, bool) or max_history < 0:
        raise HelmReleaseSpecError(f"spec.maxHistory: {max_history!r} is not a count")
    timeout = _optional_duration(spec.get("timeout"), "spec.timeout")
    _accepted_as_is(spec)
    common = _mapping(spec.get("commonMetadata"), "spec.commonMetadata")
    name = _string(meta.get("name"), "metadata.name", required=True)
    template = None
    if spec.get("chart") is not None:
        if spec.get("chartRef") is not None:
            raise HelmReleaseSpecError("spec.chart and spec.chartRef: give one, not both")
        chart_ref, template = _chart_template(spec, name, namespace)
    else:
        chart_ref = _chart_ref(spec, namespace)
    return HelmRelease(
        name=name,
        namespace=namespace,
        generation=int(meta.get("generation") or 0),
        uid=_string(meta.get("uid"), "metadata.uid"),
        chart_ref=chart_ref, chart_template=template,
        interval=parse_duration(spec.get("interval"), "spec.interval"),
        suspend=_bool(spec.get("suspend"), "spec.suspend"),
        release_name=_string(spec.get("releaseName"), "spec.releaseName"),
        target_namespace=_string(spec.get("targetNamespace"), "spec.targetNamespace"),
        storage_namespace=_string(spec.get("storageNamespace"), "spec.storageNamespace"),
        values=_mapping(spec.get("values"), "spec.values"),
        timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
        max_history=max_history,
        values_from=_values_from(spec.get("valuesFrom")),
        test=_test(spec.get("test")),
        install=_install(spec.get("install")),
        upgrade=_upgrade(spec.get("upgrade")),
        rollback=_rollback(spec.get("rollback")),
        uninstall=_uninstall(spec.get("uninstall")),
        depends_on=_depends_on(spec.get("dependsOn"), namespace),
        drift=_drift(spec.get("driftDetection")),
        service_account=_string(spec.get("serviceAccountName"), "spec.serviceAccountName"),
        kube_config=_kube_config(spec.get("kubeConfig")),
        common_labels=_string_map(common.get("labels"), "spec.commonMetadata.labels"),
        common_annotations=_string_map(common.get("annotations"),
                                       "spec.commonMetadata.annotations"),
        post_renderers=_post_renderers(spec.get("postRenderers")),
        annotations=_string_map(meta.get("annotations"), "metadata.annotations"))
