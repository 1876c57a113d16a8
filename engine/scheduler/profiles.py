"""Scheduler profiles from a `KubeSchedulerConfiguration` (kubescheduler.config.k8s.io/v1): per profile its
`schedulerName`, the plugins enabled and disabled at each extension point (merged into the default MultiPoint set
as `pkg/scheduler/apis/config/v1/default_plugins.go` mergePlugins does), score weights, percentageOfNodesToScore,
NodeResourcesFit's scoringStrategy and PodTopologySpread's defaulting.

`parse_configuration` checks a document as kube-scheduler does at start, with its messages: the config validation
(pkg/scheduler/apis/config/validation), strict decoding of unknown fields, and what the framework refuses when it
builds a profile (framework/runtime/framework.go: a plugin that does not exist or does not extend an extension
point, a negative weight) or a plugin refuses its args (noderesources, podtopologyspread). Each problem comes
with the field path it is about, so that the manifest loader can place it at file:line.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from .filters import (
    NODE_AFFINITY,
    NODE_NAME,
    NODE_PORTS,
    NODE_RESOURCES_FIT,
    NODE_UNSCHEDULABLE,
    TAINT_TOLERATION,
    FilterFn,
    applicable_filters,
    node_affinity,
    node_name,
    node_ports,
    node_resources_fit,
    node_unschedulable,
    taint_toleration,
)
from .node_info import NodeInfo
from .pod_info import PodInfo
from .pod_terms import DO_NOT_SCHEDULE, HOSTNAME, SCHEDULE_ANYWAY, ZONE
from .requests import Resources
from .scores import (
    BALANCED_ALLOCATION,
    INTER_POD_AFFINITY,
    MAX_NODE_SCORE,
    POD_TOPOLOGY_SPREAD,
    balanced_allocation,
    node_affinity_raw,
    taint_toleration_raw,
)

__all__ = [
    "API_VERSION",
    "DEFAULT_PROFILE",
    "DEFAULT_SCHEDULER",
    "KIND",
    "ConfigProblem",
    "DefaultConstraint",
    "Profile",
    "is_scheduler_configuration",
    "parse_configuration",
]

DEFAULT_SCHEDULER = "default-scheduler"
GROUP = "kubescheduler.config.k8s.io"
API_VERSION = f"{GROUP}/v1"
KIND = "KubeSchedulerConfiguration"

# Extension points in the order the framework builds them (frameworkImpl.getExtensionPoints), with the Go interface
# named in its errors.
_POINTS: tuple[tuple[str, str], ...] = (
    ("preFilter", "PreFilterPlugin"),
    ("filter", "FilterPlugin"),
    ("postFilter", "PostFilterPlugin"),
    ("reserve", "ReservePlugin"),
    ("preScore", "PreScorePlugin"),
    ("score", "ScorePlugin"),
    ("preBind", "PreBindPlugin"),
    ("bind", "BindPlugin"),
    ("postBind", "PostBindPlugin"),
    ("permit", "PermitPlugin"),
    ("preEnqueue", "PreEnqueuePlugin"),
    ("queueSort", "QueueSortPlugin"),
)
_POINT_NAMES = frozenset(p for p, _ in _POINTS) | {"multiPoint"}

# The in-tree registry (pkg/scheduler/framework/plugins/registry.go): which extension points each plugin implements.
_F, _S = ("preFilter", "filter"), ("preScore", "score")
PLUGINS: dict[str, frozenset[str]] = {
    "SchedulingGates": frozenset({"preEnqueue"}),
    "PrioritySort": frozenset({"queueSort"}),
    NODE_UNSCHEDULABLE: frozenset({"filter"}),
    NODE_NAME: frozenset({"filter"}),
    TAINT_TOLERATION: frozenset({"filter", *_S}),
    NODE_AFFINITY: frozenset({*_F, *_S}),
    NODE_PORTS: frozenset(_F),
    NODE_RESOURCES_FIT: frozenset({*_F, *_S}),
    "VolumeRestrictions": frozenset(_F),
    "NodeVolumeLimits": frozenset(_F),
    "VolumeBinding": frozenset({*_F, *_S, "reserve", "preBind"}),
    "VolumeZone": frozenset(_F),
    POD_TOPOLOGY_SPREAD: frozenset({*_F, *_S}),
    INTER_POD_AFFINITY: frozenset({*_F, *_S}),
    "DynamicResources": frozenset({"preEnqueue", *_F, "postFilter", *_S, "reserve", "preBind"}),
    "DefaultPreemption": frozenset({"postFilter"}),
    BALANCED_ALLOCATION: frozenset(_S),
    "ImageLocality": frozenset({"score"}),
    "DefaultBinder": frozenset({"bind"}),
    "NodeDeclaredFeatures": frozenset(_F),
}
# Plugins removed from v1 configurations (validation.go invalidPluginsByVersion).
_INVALID_IN_V1 = frozenset({"AzureDiskLimits", "CinderLimits", "EBSLimits", "GCEPDLimits"})

# getDefaultPlugins (v1.36): the MultiPoint set, in order, with the score weights.
DEFAULT_PLUGINS: tuple[tuple[str, int], ...] = (
    ("SchedulingGates", 0),
    ("PrioritySort", 0),
    (NODE_UNSCHEDULABLE, 0),
    (NODE_NAME, 0),
    (TAINT_TOLERATION, 3),
    (NODE_AFFINITY, 2),
    (NODE_PORTS, 0),
    (NODE_RESOURCES_FIT, 1),
    ("VolumeRestrictions", 0),
    ("NodeVolumeLimits", 0),
    ("VolumeBinding", 0),
    ("VolumeZone", 0),
    (POD_TOPOLOGY_SPREAD, 2),
    (INTER_POD_AFFINITY, 2),
    ("DynamicResources", 2),
    ("DefaultPreemption", 0),
    (BALANCED_ALLOCATION, 1),
    ("ImageLocality", 1),
    ("DefaultBinder", 0),
    ("NodeDeclaredFeatures", 0),
)

# The filters k9py models, by plugin, as scheduler/filters.py runs them.
_FILTER_FNS: dict[str, FilterFn] = {
    NODE_UNSCHEDULABLE: node_unschedulable,
    NODE_NAME: node_name,
    TAINT_TOLERATION: taint_toleration,
    NODE_AFFINITY: node_affinity,
    NODE_PORTS: node_ports,
    NODE_RESOURCES_FIT: node_resources_fit,
}

LEAST_ALLOCATED, MOST_ALLOCATED, RATIO = "LeastAllocated", "MostAllocated", "RequestedToCapacityRatio"
_MAX_UTILIZATION, _MAX_CUSTOM_SCORE = 100, 10
SYSTEM, LIST = "System", "List"


@attrs.frozen
class DefaultConstraint:
    """A `defaultConstraints` entry of PodTopologySpreadArgs (its selector comes from the pod's Services and owner)."""

    max_skew: int
    topology_key: str
    when_unsatisfiable: str


# PodTopologySpread's systemDefaultConstraints (plugins/podtopologyspread/plugin.go).
SYSTEM_DEFAULT_CONSTRAINTS = (
    DefaultConstraint(3, HOSTNAME, SCHEDULE_ANYWAY),
    DefaultConstraint(5, ZONE, SCHEDULE_ANYWAY),
)

_ids = itertools.count(1)


@attrs.frozen
class Profile:
    """One scheduling profile, as the framework runs it."""

    scheduler_name: str = DEFAULT_SCHEDULER
    # Enabled Score plugins and their weights (a weight of 0 is taken as 1, as getScoreWeights does).
    weights: Mapping[str, int] = attrs.field(
        factory=lambda: {n: w for n, w in DEFAULT_PLUGINS if "score" in PLUGINS[n]}
    )
    filters: frozenset[str] = frozenset(_FILTER_FNS)
    pre_filters: frozenset[str] = frozenset(n for n, _ in DEFAULT_PLUGINS if "preFilter" in PLUGINS[n])
    percentage_of_nodes_to_score: int | None = None
    fit_strategy: str = LEAST_ALLOCATED
    fit_resources: tuple[tuple[str, int], ...] = (("cpu", 1), ("memory", 1))
    # RequestedToCapacityRatio's shape: (utilization 0-100, score 0-100 once scaled), sorted.
    fit_shape: tuple[tuple[int, int], ...] = ()
    spread_defaults: tuple[DefaultConstraint, ...] = SYSTEM_DEFAULT_CONSTRAINTS
    spread_defaulting: str = SYSTEM  # PodTopologySpreadArgs.defaultingType
    # A key of its own so the per-node verdict memos of two profiles never mix.
    id: int = attrs.field(factory=lambda: next(_ids), eq=False)

    @property
    def is_default(self) -> bool:
        return self == DEFAULT_PROFILE

    @property
    def system_defaulted(self) -> bool:
        return self.spread_defaulting == SYSTEM

    def weight(self, plugin: str) -> int:
        """The plugin's score weight; 0 when it does not score in this profile."""
        return self.weights.get(plugin, 0)

    def signature(self, pod_signature: int) -> int:
        """The memo key of a pod template's verdicts under this profile (negative: never a plain signature)."""
        return -((self.id << 32) | pod_signature)

    def checks(self, pod: PodInfo) -> tuple[FilterFn, ...]:
        return tuple(check for check in applicable_filters(pod) if _FILTER_NAMES[check] in self.filters)

    def fit_score(self, res: Resources, node: NodeInfo) -> int:
        """NodeResourcesFit's Score with this profile's strategy and resource weights (noderesources/*.go)."""
        total = weights = 0
        for name, weight in self.fit_resources:
            requested, capacity = _requested_and_capacity(name, res, node)
            if capacity == 0:
                continue
            if self.fit_strategy == MOST_ALLOCATED:
                score = min(requested, capacity) * MAX_NODE_SCORE // capacity
            elif self.fit_strategy == RATIO:
                utilization = _MAX_UTILIZATION if requested > capacity else requested * _MAX_UTILIZATION // capacity
                score = _broken_linear(self.fit_shape, utilization)
                if score <= 0:
                    continue  # requestedToCapacityRatio leaves zero-scored resources out of the average
            else:
                score = 0 if requested > capacity else (capacity - requested) * MAX_NODE_SCORE // capacity
            total += score * weight
            weights += weight
        if not weights:
            return 0
        if self.fit_strategy == RATIO:
            return math.floor(total / weights + 0.5)
        return total // weights

    def evaluate(
        self, pod: PodInfo, node: NodeInfo, checks: tuple[FilterFn, ...], balanced_on: bool
    ) -> tuple[Any, int, int, int, int, int, bool]:
        """scheduler._evaluate with this profile's filters, strategy and weights: the same verdict tuple."""
        for check in checks:
            failure = check(pod, node)
            if failure is not None:
                return (failure, 0, 0, 0, 0, 0, False)
        res = pod.resources
        taint_on = TAINT_TOLERATION in self.weights
        affinity_on = NODE_AFFINITY in self.weights
        taint = taint_toleration_raw(pod, node) if taint_on and node.prefer_taints else 0
        affinity = node_affinity_raw(pod, node) if affinity_on and pod.preferred_affinity else 0
        fit = self.fit_score(res, node) if NODE_RESOURCES_FIT in self.weights else 0
        balanced = balanced_allocation(res, node) if BALANCED_ALLOCATION in self.weights else 0
        base = self.weight(NODE_RESOURCES_FIT) * fit
        if balanced_on:
            base += self.weight(BALANCED_ALLOCATION) * balanced
        if taint_on and not taint:
            base += self.weight(TAINT_TOLERATION) * MAX_NODE_SCORE
        return (None, taint, affinity, fit, balanced, base, bool(taint or affinity))


_FILTER_NAMES: dict[FilterFn, str] = {fn: name for name, fn in _FILTER_FNS.items()}


def _requested_and_capacity(name: str, res: Resources, node: NodeInfo) -> tuple[int, int]:
    """Non-zero requests for cpu and memory, as NodeResourcesFit scores them (useRequested=false)."""
    if name == "cpu":
        return node.nonzero_milli_cpu + res.nonzero_milli_cpu, node.allocatable_milli_cpu
    if name == "memory":
        return node.nonzero_memory + res.nonzero_memory, node.allocatable_memory
    if name == "ephemeral-storage":
        return node.requested_ephemeral_storage + res.ephemeral_storage, node.allocatable_ephemeral_storage
    requested = dict(res.scalar).get(name, 0)
    return node.requested_scalar.get(name, 0) + requested, node.allocatable_scalar.get(name, 0)


def _broken_linear(shape: Sequence[tuple[int, int]], utilization: int) -> int:
    """helper.BuildBrokenLinearFunction."""
    for i, (point_utilization, score) in enumerate(shape):
        if utilization <= point_utilization:
            if i == 0:
                return score
            before_utilization, before_score = shape[i - 1]
            return before_score + (score - before_score) * (utilization - before_utilization) // (
                point_utilization - before_utilization
            )
    return shape[-1][1] if shape else 0


DEFAULT_PROFILE = Profile()


# --- parsing and validation -------------------------------------------------------------------------------------


@attrs.frozen
class ConfigProblem:
    """One thing kube-scheduler would refuse: the field it is about (for file:line) and its message."""

    field: str
    message: str


def is_scheduler_configuration(obj: Any) -> bool:
    return (
        isinstance(obj, Mapping)
        and obj.get("kind") == KIND
        and str(obj.get("apiVersion") or "").startswith(GROUP + "/")
    )


_TOP_FIELDS = frozenset(
    {
        "apiVersion",
        "kind",
        "parallelism",
        "leaderElection",
        "clientConnection",
        "healthzBindAddress",
        "metricsBindAddress",
        "enableProfiling",
        "enableContentionProfiling",
        "percentageOfNodesToScore",
        "podInitialBackoffSeconds",
        "podMaxBackoffSeconds",
        "profiles",
        "extenders",
        "delayCacheUntilActive",
    }
)
_PROFILE_FIELDS = frozenset({"schedulerName", "percentageOfNodesToScore", "plugins", "pluginConfig"})


def _go(value: Any) -> str:
    """A bad value as field.Invalid prints it."""
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_configuration(doc: Mapping[str, Any]) -> tuple[list[Profile], list[ConfigProblem]]:
    """The profiles of a configuration document, or the problems that stop kube-scheduler from starting with it."""
    problems: list[ConfigProblem] = []
    if doc.get("apiVersion") != API_VERSION:
        return [], [
            ConfigProblem(
                "apiVersion",
                f'no kind "{KIND}" is registered for version '
                f'"{doc.get("apiVersion")}" in scheme "pkg/runtime/scheme.go:111"',  # as a v1.36 binary says
            )
        ]
    for key in doc:
        if key not in _TOP_FIELDS:
            problems.append(ConfigProblem(str(key), f'strict decoding error: unknown field "{key}"'))
    raw_profiles = doc.get("profiles")
    if raw_profiles is None:
        raw_profiles = [{}]  # SetDefaults_KubeSchedulerConfiguration: one profile, default-scheduler
    if not isinstance(raw_profiles, list):
        return [], [*problems, ConfigProblem("profiles", "profiles: Invalid value: must be a list")]
    global_percentage = doc.get("percentageOfNodesToScore")
    problems += _percentage("percentageOfNodesToScore", global_percentage)
    if not raw_profiles:
        problems.append(ConfigProblem("profiles", "profiles: Required value"))
    profiles: list[Profile] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(raw_profiles):
        path = f"profiles[{i}]"
        if not isinstance(raw, Mapping):
            problems.append(ConfigProblem(path, f"{path}: Invalid value: must be an object"))
            continue
        profile, found = _profile(path, raw, _int(global_percentage))
        problems += found
        name = str(raw.get("schedulerName", DEFAULT_SCHEDULER) or "")
        if name in seen:
            # field.Duplicate of a *field.Path: kube-scheduler prints the path's struct, which shows as {}.
            problems.append(ConfigProblem(f"{path}.schedulerName", f"{path}.schedulerName: Duplicate value: {{}}"))
        seen[name] = i
        if profile is not None:
            profiles.append(profile)
    return profiles, problems


def _percentage(path: str, value: Any) -> list[ConfigProblem]:
    if value is None:
        return []
    number = _int(value)
    if number is None:
        return [ConfigProblem(path, f"{path}: Invalid value: {_go(value)}: must be an integer")]
    if number < 0 or number > 100:
        return [ConfigProblem(path, f"{path}: Invalid value: {number}: not in valid range [0-100]")]
    return []


def _plugin_set(path: str, raw: Any, problems: list[ConfigProblem]) -> tuple[list[tuple[str, int, int]], list[str]]:
    """(enabled as (name, weight, index), disabled names) of a PluginSet."""
    if raw is None:
        return [], []
    if not isinstance(raw, Mapping):
        problems.append(ConfigProblem(path, f"{path}: Invalid value: must be an object"))
        return [], []
    enabled: list[tuple[str, int, int]] = []
    for i, item in enumerate(raw.get("enabled") or ()):
        name = str((item or {}).get("name") or "") if isinstance(item, Mapping) else ""
        weight = _int((item or {}).get("weight")) if isinstance(item, Mapping) else None
        if name in _INVALID_IN_V1:
            problems.append(
                ConfigProblem(
                    f"{path}.enabled[{i}]",
                    (
                        f'{path}.enabled[{i}]: Invalid value: "{name}": was invalid in version "v1" '
                        f'(KubeSchedulerConfiguration is version "{API_VERSION}")'
                    ),
                )
            )
            continue
        enabled.append((name, weight or 0, i))
    disabled = [str(item.get("name") or "") for item in raw.get("disabled") or () if isinstance(item, Mapping)]
    return enabled, disabled


def _merge(
    defaults: list[tuple[str, int]], enabled: list[tuple[str, int, int]], disabled: list[str]
) -> list[tuple[str, int]]:
    """mergePluginSet: defaults minus the disabled ones (all with "*"), re-configured in place, then the rest."""
    custom = {name: weight for name, weight, _ in enabled}
    replaced: set[str] = set()
    out: list[tuple[str, int]] = []
    if "*" not in disabled:
        for name, weight in defaults:
            if name in disabled:
                continue
            if name in custom:
                weight = custom[name]
                replaced.add(name)
            out.append((name, weight))
    out += [(name, weight) for name, weight, _ in enabled if name not in replaced]
    return out


def _profile(
    path: str, raw: Mapping[str, Any], global_percentage: int | None
) -> tuple[Profile | None, list[ConfigProblem]]:
    problems: list[ConfigProblem] = []
    for key in raw:
        if key not in _PROFILE_FIELDS:
            problems.append(ConfigProblem(f"{path}.{key}", f'strict decoding error: unknown field "{path}.{key}"'))
    name = raw.get("schedulerName", DEFAULT_SCHEDULER)
    if not name:
        problems.append(ConfigProblem(f"{path}.schedulerName", f"{path}.schedulerName: Required value"))
    percentage = raw.get("percentageOfNodesToScore")
    problems += _percentage(f"{path}.percentageOfNodesToScore", percentage)
    plugins_raw = raw.get("plugins") or {}
    if not isinstance(plugins_raw, Mapping):
        plugins_raw = {}
    for key in plugins_raw:
        if key not in _POINT_NAMES:
            problems.append(
                ConfigProblem(f"{path}.plugins.{key}", f'strict decoding error: unknown field "{path}.plugins.{key}"')
            )
    sets = {point: _plugin_set(f"{path}.plugins.{point}", plugins_raw.get(point), problems) for point in _POINT_NAMES}
    args, found = _plugin_config(path, raw.get("pluginConfig"))
    problems += found
    if problems:
        return None, problems
    built, failure = _framework(str(name), sets, args, percentage if percentage is not None else global_percentage)
    if failure is not None:
        field, message = failure
        return None, [
            ConfigProblem(
                f"{path}.{field}" if field else path, f"creating profile for scheduler name {name}: {message}"
            )
        ]
    return built, []


def _framework(
    name: str,
    sets: Mapping[str, tuple[list[tuple[str, int, int]], list[str]]],
    args: Mapping[str, Any],
    percentage: int | None,
) -> tuple[Profile | None, tuple[str, str] | None]:
    """NewFramework: each extension point's plugins (its own list first, then MultiPoint's), score weights, args."""
    multi_enabled, multi_disabled = sets["multiPoint"]
    multi = _merge(list(DEFAULT_PLUGINS), multi_enabled, multi_disabled)
    per_point: dict[str, list[tuple[str, int]]] = {}
    for point, interface in _POINTS:
        enabled, disabled = sets[point]
        seen: set[str] = set()
        for plugin, _, index in enabled:  # updatePluginList
            field = f"plugins.{point}.enabled[{index}]"
            if plugin not in PLUGINS:
                return None, (field, f'{interface} "{plugin}" does not exist')
            if point not in PLUGINS[plugin]:
                return None, (field, f'plugin "{plugin}" does not extend {interface} plugin')
            if plugin in seen:
                return None, (field, f'plugin "{plugin}" already registered as "{interface}"')
            seen.add(plugin)
        chosen = [(plugin, weight) for plugin, weight, _ in enabled]
        if "*" not in disabled:  # expandMultiPointPlugins
            for plugin, weight in multi:
                if plugin not in PLUGINS:
                    index = next((i for n, _, i in multi_enabled if n == plugin), 0)
                    return None, (f"plugins.multiPoint.enabled[{index}]", f'{interface} "{plugin}" does not exist')
                if point in PLUGINS[plugin] and plugin not in disabled and plugin not in seen:
                    chosen.append((plugin, weight))
                    seen.add(plugin)
        per_point[point] = chosen
    weights: dict[str, int] = {}
    for plugin, weight in per_point["score"]:  # getScoreWeights: the score point's own weight wins
        if weight < 0:
            return None, ("", "score plugins: total score of Score plugins could overflow")
        weights[plugin] = weight or 1
    fit = args.get(NODE_RESOURCES_FIT) or {}
    strategy = fit.get("scoringStrategy") or {}
    fit_fields, failure = _fit_args(strategy)
    if failure is not None:
        return None, failure
    spread = args.get(POD_TOPOLOGY_SPREAD) or {}
    defaults, defaulting = SYSTEM_DEFAULT_CONSTRAINTS, SYSTEM
    if spread.get("defaultingType") == LIST:
        defaulting = LIST
        defaults = tuple(
            DefaultConstraint(
                int(c.get("maxSkew") or 1),
                str(c.get("topologyKey") or ""),
                str(c.get("whenUnsatisfiable") or DO_NOT_SCHEDULE),
            )
            for c in spread.get("defaultConstraints") or ()
        )
    profile = Profile(
        scheduler_name=name,
        weights=weights,
        filters=frozenset(p for p, _ in per_point["filter"] if p in _FILTER_FNS),
        pre_filters=frozenset(p for p, _ in per_point["preFilter"]),
        percentage_of_nodes_to_score=percentage,
        spread_defaults=defaults,
        spread_defaulting=defaulting,
        **fit_fields,
    )
    if profile == DEFAULT_PROFILE:
        profile = attrs.evolve(DEFAULT_PROFILE, scheduler_name=name)
    return profile, None


def _fit_args(strategy: Mapping[str, Any]) -> tuple[dict[str, Any], tuple[str, str] | None]:
    """NewFit's ValidateNodeResourcesFitArgs of the scoring strategy, and the profile fields it sets."""
    where = "pluginConfig"
    kind = strategy.get("type") or LEAST_ALLOCATED
    prefix = f'initializing plugin "{NODE_RESOURCES_FIT}": '
    if kind not in (LEAST_ALLOCATED, MOST_ALLOCATED, RATIO):
        return {}, (
            where,
            prefix + f"scoringStrategy.type: Unsupported value: {_go(kind)}: supported values: "
            f'"{LEAST_ALLOCATED}", "{MOST_ALLOCATED}", "{RATIO}"',
        )
    resources: list[tuple[str, int]] = []
    for i, item in enumerate(strategy.get("resources") or ({"name": "cpu"}, {"name": "memory"})):
        resource = str(item.get("name") or "")
        weight = _int(item.get("weight")) or 1
        if weight < 0 or weight > 100:
            return {}, (
                where,
                prefix + f"scoringStrategy.resources[{i}].weight: Invalid value: {weight}: "
                f"resource weight of {resource} not in valid range (0, 100]",
            )
        resources.append((resource, weight))
    fields: dict[str, Any] = {"fit_strategy": kind, "fit_resources": tuple(resources)}
    if kind != RATIO:
        return fields, None
    ratio = strategy.get("requestedToCapacityRatio")
    if not isinstance(ratio, Mapping):
        return {}, (
            where,
            prefix + "scoringStrategy.requestedToCapacityRatio: Required value: must be specified "
            "when type is RequestedToCapacityRatio",
        )
    shape = [(_int(p.get("utilization")) or 0, _int(p.get("score")) or 0) for p in ratio.get("shape") or ()]
    path = "scoringStrategy.requestedToCapacityRatio.shape"
    if not shape:
        return {}, (where, prefix + f"{path}: Required value: at least one point must be specified")
    for i in range(1, len(shape)):
        if shape[i - 1][0] >= shape[i][0]:
            return {}, (
                where,
                prefix + f"{path}[{i}].utilization: Invalid value: {shape[i][0]}: utilization values "
                "must be sorted in increasing order",
            )
    for i, (utilization, score) in enumerate(shape):
        if not 0 <= utilization <= _MAX_UTILIZATION:
            return {}, (
                where,
                prefix + f"{path}[{i}].utilization: Invalid value: {utilization}: not in valid range "
                f"[0, {_MAX_UTILIZATION}]",
            )
        if not 0 <= score <= _MAX_CUSTOM_SCORE:
            return {}, (
                where,
                prefix + f"{path}[{i}].score: Invalid value: {score}: not in valid range [0, {_MAX_CUSTOM_SCORE}]",
            )
    scale = MAX_NODE_SCORE // _MAX_CUSTOM_SCORE
    fields["fit_shape"] = tuple((u, s * scale) for u, s in shape)
    return fields, None


def _plugin_config(path: str, raw: Any) -> tuple[dict[str, Any], list[ConfigProblem]]:
    """pluginConfig by plugin name, with validatePluginConfig's checks of PodTopologySpreadArgs."""
    problems: list[ConfigProblem] = []
    out: dict[str, Any] = {}
    for i, item in enumerate(raw or ()):
        where = f"{path}.pluginConfig[{i}]"
        if not isinstance(item, Mapping):
            continue
        name = str(item.get("name") or "")
        if name in out:
            problems.append(ConfigProblem(where, f'{where}: Duplicate value: "{name}"'))
            continue
        if name in _INVALID_IN_V1:
            problems.append(
                ConfigProblem(
                    where,
                    f'{where}: Invalid value: "{name}": was invalid in version "v1" '
                    f'(KubeSchedulerConfiguration is version "{API_VERSION}")',
                )
            )
            continue
        args = item.get("args") or {}
        out[name] = args if isinstance(args, Mapping) else {}
        if name == POD_TOPOLOGY_SPREAD:
            problems += _spread_args(f"{where}.args", out[name])
    return out, problems


def _spread_args(path: str, args: Mapping[str, Any]) -> list[ConfigProblem]:
    """ValidatePodTopologySpreadArgs."""
    problems: list[ConfigProblem] = []
    kind = args.get("defaultingType") or SYSTEM
    constraints = args.get("defaultConstraints") or []
    if kind == SYSTEM and constraints:
        problems.append(
            ConfigProblem(
                f"{path}.defaultingType",
                (f'{path}.defaultingType: Invalid value: "{SYSTEM}": when .defaultConstraints are not empty'),
            )
        )
    elif kind not in (SYSTEM, LIST):
        problems.append(
            ConfigProblem(
                f"{path}.defaultingType",
                (f'{path}.defaultingType: Unsupported value: {_go(kind)}: supported values: "{LIST}", "{SYSTEM}"'),
            )
        )
    seen: set[tuple[str, str]] = set()
    for i, c in enumerate(constraints):
        where = f"{path}.defaultConstraints[{i}]"
        if not isinstance(c, Mapping):
            continue
        skew = _int(c.get("maxSkew")) or 0
        if skew <= 0:
            problems.append(
                ConfigProblem(
                    f"{where}.maxSkew", f"{where}.maxSkew: Invalid value: {skew}: not in valid range (0, inf)"
                )
            )
        key = str(c.get("topologyKey") or "")
        if not key:
            problems.append(
                ConfigProblem(f"{where}.topologyKey", f"{where}.topologyKey: Required value: can not be empty")
            )
        action = str(c.get("whenUnsatisfiable") or "")
        if action not in (DO_NOT_SCHEDULE, SCHEDULE_ANYWAY):
            problems.append(
                ConfigProblem(
                    f"{where}.whenUnsatisfiable",
                    (
                        f"{where}.whenUnsatisfiable: Unsupported value: {_go(action)}: supported values: "
                        f'"{DO_NOT_SCHEDULE}", "{SCHEDULE_ANYWAY}"'
                    ),
                )
            )
        if (key, action) in seen:
            problems.append(ConfigProblem(where, f'{where}: Duplicate value: "{{{key}, {action}}}"'))
        seen.add((key, action))
        if c.get("labelSelector") is not None:
            problems.append(
                ConfigProblem(
                    f"{where}.labelSelector",
                    (
                        f"{where}.labelSelector: Forbidden: constraint must not define a selector, as they deduced for "
                        "each pod"
                    ),
                )
            )
    return problems
