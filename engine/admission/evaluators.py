"""What a ResourceQuota counts, per resource: the evaluators of `k/k pkg/quota/v1/evaluator/core` (pods, services,
persistentvolumeclaims) and the object count evaluator of `apiserver/pkg/quota/v1/generic` for every other
namespaced kind. The quota admission (`resourcequota.py`) charges a request with them; the quota controller
(`engine/controllers/resourcequota.py`) recounts a namespace with them (`calculate_status`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from ..kinds import Obj, Registry
from ..kinds.resource_names import is_extended, is_hugepages, is_native, is_quota_hugepages
from ..printers.duration import timestamp
from ..quantity import Quantity, round_up
from ..resources import container_limits, container_requests, get_pod_qos, pod_limits, pod_requests

ResourceList = dict[str, Quantity]
# A scope requirement: (scopeName, operator, values); `spec.scopes` entries are (scope, "Exists", ()).
Selector = tuple[str, str, tuple[str, ...]]

ONE = Quantity(1)
# Never charged (pkg/quota/v1/install ignoredResources): events are not quota'd.
IGNORED = frozenset({"events", "events.events.k8s.io"})
# registry.go legacyObjectCountAliases: the names quota used for these counts before `count/<resource>`.
LEGACY_ALIASES = {"configmaps": "configmaps", "resourcequotas": "resourcequotas",
                  "replicationcontrollers": "replicationcontrollers", "secrets": "secrets"}
STORAGE_CLASS_SUFFIX = ".storageclass.storage.k8s.io/"


# --- ResourceList arithmetic (apiserver/pkg/quota/v1/resources.go) ----------------------------------------------

def parse_list(raw: Any) -> ResourceList:
    out: ResourceList = {}
    if isinstance(raw, Mapping):
        for name, value in raw.items():
            try:
                out[str(name)] = Quantity.parse(value)
            except ValueError:
                continue
    return out


def add(a: ResourceList, b: ResourceList) -> ResourceList:
    out = dict(a)
    for name, amount in b.items():
        present = out.get(name)
        out[name] = amount if present is None else present + amount
    return out


def subtract_non_negative(a: ResourceList, b: ResourceList) -> ResourceList:
    zero = Quantity()
    out: ResourceList = {}
    for name, amount in a.items():
        diff = amount + -b[name] if name in b else amount
        out[name] = diff if diff.value > 0 else zero
    for name in b:
        out.setdefault(name, zero)
    return out


def mask(items: ResourceList, names: Iterable[str]) -> ResourceList:
    wanted = set(names)
    return {name: amount for name, amount in items.items() if name in wanted}


def remove_zeros(items: ResourceList) -> ResourceList:
    return {name: amount for name, amount in items.items() if not amount.is_zero()}


def pretty(items: ResourceList) -> str:
    """prettyPrint: `name=value` sorted by name, joined by commas."""
    return ",".join(f"{name}={items[name]}" for name in sorted(items))


def quota_selectors(quota: Obj) -> list[Selector]:
    """getScopeSelectorsFromQuota: the scopes, then the scope selector's expressions."""
    spec = quota.get("spec") or {}
    out: list[Selector] = [(str(scope), "Exists", ()) for scope in spec.get("scopes") or ()]
    for expr in ((spec.get("scopeSelector") or {}).get("matchExpressions") or ()):
        if isinstance(expr, dict):
            out.append((str(expr.get("scopeName", "")), str(expr.get("operator", "")),
                        tuple(str(x) for x in expr.get("values") or ())))
    return out


def _selector_matches(selector: Selector, labels: Mapping[str, str]) -> bool:
    """ScopedResourceSelectorRequirementsAsSelector, then labels.Selector.Matches."""
    key, op, values = selector
    if op == "In":
        return key in labels and labels[key] in values
    if op == "NotIn":
        return key not in labels or labels[key] not in values
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    return False


# --- evaluators ---------------------------------------------------------------------------------------------------

class Evaluator:
    """quota.Evaluator for one resource: the object count by default (generic.objectCountEvaluator)."""

    def __init__(self, resource: str) -> None:
        self.resource = resource
        count = f"count/{resource}"
        alias = LEGACY_ALIASES.get(resource)
        self.names: tuple[str, ...] = (count, alias) if alias else (count,)

    def handles(self, create: bool, obj: Obj, old: Obj | None) -> bool:
        return create

    def matching_resources(self, names: Iterable[str]) -> list[str]:
        return [name for name in names if name in self.names]

    def matches_scope(self, selector: Selector, obj: Obj) -> bool:
        return False  # MatchesNoScopeFunc

    def matches(self, quota: Obj, obj: Obj) -> bool:
        """generic.Matches: the quota limits one of this resource's names and every scope selects the object."""
        hard = (quota.get("status") or {}).get("hard") or {}
        if not self.matching_resources(hard):
            return False
        return all(self.matches_scope(selector, obj) for selector in quota_selectors(quota))

    def constraints(self, required: list[str], obj: Obj) -> str | None:
        return None

    def usage(self, obj: Obj, now: float) -> ResourceList:
        return {name: ONE for name in self.names}


# The pods evaluator's names, and the ones that oblige every container to state the resource (a mistake upstream
# keeps for compatibility: "if we quota cpu or memory, then each container must make an explicit request").
POD_RESOURCES = frozenset({"count/pods", "cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory",
                           "requests.ephemeral-storage", "limits.cpu", "limits.memory", "limits.ephemeral-storage",
                           "pods"})
VALIDATION_SET = frozenset({"cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"})


def _compute_usage(requests: ResourceList, limits: ResourceList) -> ResourceList:
    """podComputeUsageHelper."""
    out: ResourceList = {"pods": ONE}
    for name in ("cpu", "memory", "ephemeral-storage"):
        if name in requests:
            out[name] = out[f"requests.{name}"] = requests[name]
        if name in limits:
            out[f"limits.{name}"] = limits[name]
    for name, amount in requests.items():
        if is_hugepages(name):
            out[name] = out[f"requests.{name}"] = amount
        if is_extended(name):
            out[f"requests.{name}"] = amount
    return out


def pod_charged(pod: Obj, now: float) -> bool:
    """QuotaV1Pod: a pod counts until it is terminal, or its deletion is overdue by a whole grace period (a pod
    stuck terminating on a lost node must not keep its owner from scaling)."""
    if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
        return False
    meta = pod["metadata"]
    deletion, grace = timestamp(meta.get("deletionTimestamp")), meta.get("deletionGracePeriodSeconds")
    return not (deletion is not None and isinstance(grace, int) and now > deletion + grace)


def _cross_namespace_affinity(pod: Obj) -> bool:
    affinity = (pod.get("spec") or {}).get("affinity") or {}
    for kind in ("podAffinity", "podAntiAffinity"):
        terms = affinity.get(kind) or {}
        required = terms.get("requiredDuringSchedulingIgnoredDuringExecution") or []
        preferred = [t.get("podAffinityTerm") or {}
                     for t in terms.get("preferredDuringSchedulingIgnoredDuringExecution") or []]
        if any(t.get("namespaces") or t.get("namespaceSelector") is not None for t in [*required, *preferred]):
            return True
    return False


class PodEvaluator(Evaluator):
    """core/pods.go: charged on create only (in-place resize is not simulated)."""

    def __init__(self) -> None:
        super().__init__("pods")

    def matching_resources(self, names: Iterable[str]) -> list[str]:
        return [name for name in names if name in POD_RESOURCES or is_quota_hugepages(name)
                or (not is_native(name) and name.startswith("requests."))]

    def matches_scope(self, selector: Selector, obj: Obj) -> bool:
        """podMatchesScopeFunc."""
        scope, op, _ = selector
        spec = obj.get("spec") or {}
        if scope in ("Terminating", "NotTerminating"):
            deadline = spec.get("activeDeadlineSeconds")
            terminating = isinstance(deadline, int) and not isinstance(deadline, bool) and deadline >= 0
            return terminating == (scope == "Terminating")
        if scope in ("BestEffort", "NotBestEffort"):
            return (get_pod_qos(obj) == "BestEffort") == (scope == "BestEffort")
        if scope == "PriorityClass":
            name = spec.get("priorityClassName") or ""
            if op == "Exists":
                return bool(name)
            return _selector_matches(selector, {"PriorityClass": name} if name else {})
        if scope == "CrossNamespacePodAffinity":
            return _cross_namespace_affinity(obj)
        return False

    def constraints(self, required: list[str], obj: Obj) -> str | None:
        """Constraints: each container (and init container) must state what a compute quota limits."""
        wanted = VALIDATION_SET.intersection(required)
        if not wanted:
            return None
        missing: dict[str, set[str]] = {}
        spec = obj.get("spec") or {}
        for key in ("containers", "initContainers"):
            for container in spec.get(key) or ():
                if not isinstance(container, dict):
                    continue
                stated = _compute_usage(container_requests(container), container_limits(container))
                for name in wanted.difference(stated):
                    missing.setdefault(name, set()).add(str(container.get("name", "")))
        if not missing:
            return None
        return "must specify " + "; ".join(f"{name} for: {','.join(sorted(missing[name]))}" for name in sorted(missing))

    def usage(self, obj: Obj, now: float) -> ResourceList:
        """PodUsageFunc: the object count always; compute resources while the pod is not done."""
        out: ResourceList = {"count/pods": ONE}
        if not pod_charged(obj, now):
            return out
        return add(out, _compute_usage(pod_requests(obj), pod_limits(obj)))


def service_quota_type(svc: Obj | None) -> str:
    """GetQuotaServiceType."""
    kind = ((svc or {}).get("spec") or {}).get("type")
    return kind if kind in ("NodePort", "LoadBalancer") else ""


class ServiceEvaluator(Evaluator):
    """core/services.go: charged on create and on update, as a type change changes node ports and load balancers."""

    def __init__(self) -> None:
        super().__init__("services")
        self.names = ("count/services", "services", "services.nodeports", "services.loadbalancers")

    def handles(self, create: bool, obj: Obj, old: Obj | None) -> bool:
        return True

    def usage(self, obj: Obj, now: float) -> ResourceList:
        spec = obj.get("spec") or {}
        ports = [p for p in spec.get("ports") or () if isinstance(p, dict)]
        node_ports, balancers = 0, 0
        kind = service_quota_type(obj)
        if kind == "NodePort":
            node_ports = len(ports)
        elif kind == "LoadBalancer":
            # Without node port allocation only the ports that name one count (the intent, not the allocation).
            allocates = spec.get("allocateLoadBalancerNodePorts") is not False
            node_ports = len(ports) if allocates else sum(1 for p in ports if p.get("nodePort"))
            balancers = 1
        return {"count/services": ONE, "services": ONE, "services.nodeports": Quantity(node_ports),
                "services.loadbalancers": Quantity(balancers)}


def claim_class(claim: Obj) -> str:
    """GetPersistentVolumeClaimClass: the beta annotation first, then spec.storageClassName."""
    annotations = claim["metadata"].get("annotations") or {}
    if "volume.beta.kubernetes.io/storage-class" in annotations:
        return str(annotations["volume.beta.kubernetes.io/storage-class"])
    return str((claim.get("spec") or {}).get("storageClassName") or "")


def claim_storage(claim: Obj) -> Quantity | None:
    """getStorageUsage: the request in whole bytes, or the allocated size when a resize made it larger."""
    requested = parse_list(((claim.get("spec") or {}).get("resources") or {}).get("requests")).get("storage")
    if requested is None:
        return None
    requested = round_up(requested, 0)
    allocated = parse_list((claim.get("status") or {}).get("allocatedResources")).get("storage")
    if allocated is not None and allocated > requested:
        return round_up(allocated, 0)
    return requested


class ClaimEvaluator(Evaluator):
    """core/persistent_volume_claims.go: claims and requested storage, in total and per storage class."""

    def __init__(self) -> None:
        super().__init__("persistentvolumeclaims")
        self.names = ("count/persistentvolumeclaims", "persistentvolumeclaims", "requests.storage")

    def handles(self, create: bool, obj: Obj, old: Obj | None) -> bool:
        return True

    def matching_resources(self, names: Iterable[str]) -> list[str]:
        return [name for name in names if name in self.names or name.endswith(
            (STORAGE_CLASS_SUFFIX + "persistentvolumeclaims", STORAGE_CLASS_SUFFIX + "requests.storage"))]

    def usage(self, obj: Obj, now: float) -> ResourceList:
        out: ResourceList = {"persistentvolumeclaims": ONE, "count/persistentvolumeclaims": ONE}
        cls = claim_class(obj)
        if cls:
            out[f"{cls}{STORAGE_CLASS_SUFFIX}persistentvolumeclaims"] = ONE
        storage = claim_storage(obj)
        if storage is not None:
            out["requests.storage"] = storage
            if cls:
                out[f"{cls}{STORAGE_CLASS_SUFFIX}requests.storage"] = storage
        return out


_SPECIAL: dict[str, type[Evaluator]] = {"pods": PodEvaluator, "services": ServiceEvaluator,
                                        "persistentvolumeclaims": ClaimEvaluator}


@lru_cache(maxsize=256)
def evaluator_for(resource: str) -> Evaluator | None:
    """The evaluator of a qualified resource (`pods`, `deployments.apps`); None for what quota ignores."""
    if resource in IGNORED:
        return None
    special = _SPECIAL.get(resource)
    return special() if special is not None else Evaluator(resource)


def evaluators(registry: Registry) -> list[Evaluator]:
    """Every evaluator the quota controller recounts with: one per namespaced kind the API serves."""
    found = (evaluator_for(info.resource) for info in registry.kinds() if info.namespaced)
    return [e for e in found if e is not None]


# --- the controller's recount (apiserver/pkg/quota/v1 CalculateUsage and CalculateUsageStats) ---------------------

def calculate_usage(store: Any, registry: Registry, quota: Obj, now: float) -> ResourceList:
    """The usage of everything a quota's `spec.hard` names, counted over the objects of its namespace."""
    namespace = quota["metadata"].get("namespace", "")
    hard = list(parse_list((quota.get("spec") or {}).get("hard")))
    selectors = quota_selectors(quota)
    usage: ResourceList = {}
    matched: set[str] = set()
    for evaluator in evaluators(registry):
        names = evaluator.matching_resources(hard)
        if not names:
            continue
        stats: ResourceList = {name: Quantity() for name in names}
        for obj in store.iter(evaluator.resource, namespace):
            if all(evaluator.matches_scope(selector, obj) for selector in selectors):
                stats = add(stats, evaluator.usage(obj, now))
        usage = add(usage, stats)
        matched.update(names)
    return mask(usage, matched)


def quota_status(store: Any, registry: Registry, quota: Obj, now: float) -> Obj:
    """syncResourceQuota's new status: hard from the spec, used recounted (a resource no evaluator counts keeps
    the usage admission charged it), both only for the resources the spec limits."""
    spec_hard = (quota.get("spec") or {}).get("hard") or {}
    used = parse_list((quota.get("status") or {}).get("used"))
    used.update(calculate_usage(store, registry, quota, now))
    return {"hard": dict(spec_hard), "used": {name: str(amount) for name, amount in used.items() if name in spec_hard}}
