"""`kubectl get` rows for Kubernetes-shaped dicts.

Each row function takes `(obj, now)` and returns the cells of one table row as strings, in the
order of the matching column tuple. Logic follows the server-side printers in
kubernetes/kubernetes `pkg/printers/internalversion/printers.go` (printPod, printDeployment,
printReplicaSet, printNode, printNamespace, printEvent) and kubectl `pkg/cmd/events`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.printers.duration import age, human_duration, timestamp

Obj = Mapping[str, Any]
RowFn = Callable[[Obj, float], list[str]]

NONE = "<none>"
UNKNOWN = "<unknown>"
NODE_LOST = "NodeLost"  # pkg/util/node NodeUnreachablePodReason
ROLE_LABEL_PREFIX = "node-role.kubernetes.io/"
ROLE_LABEL = "kubernetes.io/role"


# --------------------------------------------------------------------------- small dict helpers


def _meta(obj: Obj) -> Obj:
    return obj.get("metadata") or {}


def _spec(obj: Obj) -> Obj:
    return obj.get("spec") or {}


def _status(obj: Obj) -> Obj:
    return obj.get("status") or {}


def _name(obj: Obj) -> str:
    return str(_meta(obj).get("name") or "")


def _created_age(obj: Obj, now: float) -> str:
    return age(_meta(obj).get("creationTimestamp"), now)


def _int(value: Any, default: int = 0) -> int:
    # API ints may arrive as None when a status field has not been written yet.
    return default if value is None else int(value)


def condition(obj: Obj, ctype: str) -> Obj | None:
    """The status condition of the given type, or None."""
    for cond in _status(obj).get("conditions") or []:
        if cond.get("type") == ctype:
            return cond
    return None


def _condition_true(obj: Obj, ctype: str) -> bool:
    cond = condition(obj, ctype)
    return cond is not None and cond.get("status") == "True"


# --------------------------------------------------------------------------- label selectors


def _requirement(key: str, op: str, values: Iterable[str]) -> str:
    ordered = ",".join(sorted(values))
    if op == "In":
        return f"{key} in ({ordered})"
    if op == "NotIn":
        return f"{key} notin ({ordered})"
    if op == "Exists":
        return key
    if op == "DoesNotExist":
        return f"!{key}"
    return f"{key}={ordered}"


def selector_string(selector: Obj | None) -> str:
    """labels.Selector.String() of a metav1.LabelSelector: requirements sorted by key, "" if empty."""
    if not selector:
        return ""
    reqs = [(k, _requirement(k, "=", [str(v)])) for k, v in (selector.get("matchLabels") or {}).items()]
    for expr in selector.get("matchExpressions") or []:
        key = str(expr.get("key", ""))
        reqs.append((key, _requirement(key, str(expr.get("operator", "")), expr.get("values") or [])))
    # Go sorts requirements by key with a stable sort, so equal keys keep insertion order.
    reqs.sort(key=lambda pair: pair[0])
    return ",".join(text for _, text in reqs)


def format_label_selector(selector: Obj | None) -> str:
    """metav1.FormatLabelSelector: like `selector_string` but `<none>` when empty."""
    return selector_string(selector) or NONE


def _container_cells(template: Obj) -> list[str]:
    containers = _spec(template).get("containers") or []
    names = ",".join(str(c.get("name", "")) for c in containers)
    images = ",".join(str(c.get("image", "")) for c in containers)
    return [names, images]


# --------------------------------------------------------------------------- pods


@dataclass
class PodSummary:
    """The READY / STATUS / RESTARTS cells of `kubectl get pods`, before formatting."""

    ready: int
    total: int
    status: str
    restarts: int
    last_restart: float | None  # latest lastState.terminated.finishedAt among counted containers

    def ready_cell(self) -> str:
        return f"{self.ready}/{self.total}"

    def restarts_cell(self, now: float) -> str:
        if self.restarts != 0 and self.last_restart is not None:
            return f"{self.restarts} ({human_duration(now - self.last_restart)} ago)"
        return str(self.restarts)


@dataclass
class _Restarts:
    count: int = 0
    last: float | None = None

    def add(self, cs: Obj) -> None:
        self.count += _int(cs.get("restartCount"))
        terminated = (cs.get("lastState") or {}).get("terminated")
        finished = timestamp((terminated or {}).get("finishedAt"))
        if finished is not None and (self.last is None or finished > self.last):
            self.last = finished


@dataclass
class _PodScan:
    reason: str
    ready: int = 0
    restarts: _Restarts = field(default_factory=_Restarts)
    sidecar_restarts: _Restarts = field(default_factory=_Restarts)


def _is_sidecar(container: Obj | None) -> bool:
    return container is not None and container.get("restartPolicy") == "Always"


def _states(cs: Obj) -> tuple[Obj | None, Obj | None, Obj | None]:
    state = cs.get("state") or {}
    return state.get("waiting"), state.get("running"), state.get("terminated")


def _terminated_reason(term: Obj, prefix: str = "") -> str:
    reason = term.get("reason")
    if reason:
        return prefix + str(reason)
    signal = _int(term.get("signal"))
    if signal != 0:
        return f"{prefix}Signal:{signal}"
    return f"{prefix}ExitCode:{_int(term.get('exitCode'))}"


def _init_reason(index: int, n_init: int, waiting: Obj | None, term: Obj | None) -> str:
    if term is not None:
        return _terminated_reason(term, "Init:")
    waiting_reason = (waiting or {}).get("reason")
    if waiting_reason and waiting_reason != "PodInitializing":
        return f"Init:{waiting_reason}"
    return f"Init:{index}/{n_init}"


def _scan_init_containers(pod: Obj, scan: _PodScan) -> bool:
    """Walk init container statuses in order; returns True while the pod is still initializing."""
    if not _status(pod).get("initContainerStatuses"):
        return False  # most pods have no init containers: nothing to index
    init_specs = _spec(pod).get("initContainers") or []
    by_name = {c.get("name"): c for c in init_specs}
    for index, cs in enumerate(_status(pod).get("initContainerStatuses") or []):
        sidecar = _is_sidecar(by_name.get(cs.get("name")))
        scan.restarts.add(cs)
        if sidecar:
            scan.sidecar_restarts.add(cs)
        waiting, _running, term = _states(cs)
        if term is not None and _int(term.get("exitCode")) == 0:
            continue
        # A started sidecar has done its init job; it keeps running next to the app containers.
        if sidecar and cs.get("started") is True:
            scan.ready += 1 if cs.get("ready") else 0
            continue
        scan.reason = _init_reason(index, len(init_specs), waiting, term)
        return True
    return False


def _scan_app_containers(pod: Obj, scan: _PodScan) -> None:
    # Once initialized, init-container restarts no longer count, except the sidecars'.
    scan.restarts = scan.sidecar_restarts
    has_running = False
    error_reason = ""
    # Reverse order so that the first container's state wins, as upstream does.
    for cs in reversed(_status(pod).get("containerStatuses") or []):
        scan.restarts.add(cs)
        waiting, running, term = _states(cs)
        if waiting is not None and waiting.get("reason"):
            scan.reason = str(waiting["reason"])
        elif term is not None:
            scan.reason = _terminated_reason(term)
            if _int(term.get("exitCode")) != 0:
                error_reason = scan.reason
        elif cs.get("ready") and running is not None:
            has_running = True
            scan.ready += 1
    # "Completed" from one finished container must not hide a running or failed sibling.
    if scan.reason == "Completed":
        if has_running and _condition_true(pod, "Ready"):
            scan.reason = "Running"
        elif error_reason:
            scan.reason = error_reason
        elif has_running:
            scan.reason = "NotReady"


def _base_reason(pod: Obj) -> str:
    status = _status(pod)
    reason = str(status.get("reason") or status.get("phase") or "")
    scheduled = condition(pod, "PodScheduled")
    if scheduled is not None and scheduled.get("reason") == "SchedulingGated":
        return "SchedulingGated"
    return reason


def _deletion_reason(pod: Obj, reason: str) -> str:
    if not _meta(pod).get("deletionTimestamp"):
        return reason
    status = _status(pod)
    if status.get("reason") == NODE_LOST:
        return "Unknown"
    if status.get("phase") not in ("Succeeded", "Failed"):
        return "Terminating"
    return reason


def pod_summary(pod: Obj) -> PodSummary:
    """READY, STATUS and RESTARTS of a pod exactly as upstream printPod computes them."""
    spec = _spec(pod)
    init = spec.get("initContainers")
    sidecars = sum(1 for c in init if _is_sidecar(c)) if init else 0
    total = len(spec.get("containers") or []) + sidecars
    scan = _PodScan(reason=_base_reason(pod))
    initializing = _scan_init_containers(pod, scan)
    if not initializing or _condition_true(pod, "Initialized"):
        _scan_app_containers(pod, scan)
    reason = _deletion_reason(pod, scan.reason)
    return PodSummary(scan.ready, total, reason, scan.restarts.count, scan.restarts.last)


def pod_status(pod: Obj) -> str:
    """The STATUS cell of `kubectl get pods` (Running, Init:0/2, CrashLoopBackOff, Terminating, …)."""
    return pod_summary(pod).status


POD_COLUMNS = ("NAME", "READY", "STATUS", "RESTARTS", "AGE")
POD_WIDE_COLUMNS = (*POD_COLUMNS, "IP", "NODE", "NOMINATED NODE", "READINESS GATES")


def pod_row(pod: Obj, now: float) -> list[str]:
    s = pod_summary(pod)
    return [_name(pod), s.ready_cell(), s.status, s.restarts_cell(now), _created_age(pod, now)]


def _pod_ip(pod: Obj) -> str:
    status = _status(pod)
    ips = status.get("podIPs") or []
    # podIP is the legacy mirror of podIPs[0]; fall back to it for objects that only set podIP.
    ip = (ips[0].get("ip") if ips else None) or status.get("podIP")
    return str(ip) if ip else NONE


def _readiness_gates(pod: Obj) -> str:
    gates = _spec(pod).get("readinessGates") or []
    if not gates:
        return NONE
    passing = sum(1 for g in gates if _condition_true(pod, str(g.get("conditionType"))))
    return f"{passing}/{len(gates)}"


def pod_row_wide(pod: Obj, now: float) -> list[str]:
    node = _spec(pod).get("nodeName") or NONE
    nominated = _status(pod).get("nominatedNodeName") or NONE
    return [*pod_row(pod, now), _pod_ip(pod), str(node), str(nominated), _readiness_gates(pod)]


# --------------------------------------------------------------------------- deployments, replicasets

DEPLOYMENT_COLUMNS = ("NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE")
DEPLOYMENT_WIDE_COLUMNS = (*DEPLOYMENT_COLUMNS, "CONTAINERS", "IMAGES", "SELECTOR")


def deployment_row(deploy: Obj, now: float) -> list[str]:
    status = _status(deploy)
    desired = _int(_spec(deploy).get("replicas"), 1)  # apps/v1 defaults replicas to 1
    ready = _int(status.get("readyReplicas"))
    return [
        _name(deploy),
        f"{ready}/{desired}",
        str(_int(status.get("updatedReplicas"))),
        str(_int(status.get("availableReplicas"))),
        _created_age(deploy, now),
    ]


def deployment_row_wide(deploy: Obj, now: float) -> list[str]:
    spec = _spec(deploy)
    cells = _container_cells(spec.get("template") or {})
    return [*deployment_row(deploy, now), *cells, selector_string(spec.get("selector"))]


REPLICASET_COLUMNS = ("NAME", "DESIRED", "CURRENT", "READY", "AGE")
REPLICASET_WIDE_COLUMNS = (*REPLICASET_COLUMNS, "CONTAINERS", "IMAGES", "SELECTOR")


def replicaset_row(rs: Obj, now: float) -> list[str]:
    status = _status(rs)
    return [
        _name(rs),
        str(_int(_spec(rs).get("replicas"), 1)),
        str(_int(status.get("replicas"))),
        str(_int(status.get("readyReplicas"))),
        _created_age(rs, now),
    ]


def replicaset_row_wide(rs: Obj, now: float) -> list[str]:
    spec = _spec(rs)
    cells = _container_cells(spec.get("template") or {})
    return [*replicaset_row(rs, now), *cells, format_label_selector(spec.get("selector"))]


# --------------------------------------------------------------------------- nodes

NODE_COLUMNS = ("NAME", "STATUS", "ROLES", "AGE", "VERSION")
NODE_WIDE_COLUMNS = (
    *NODE_COLUMNS,
    "INTERNAL-IP",
    "EXTERNAL-IP",
    "OS-IMAGE",
    "KERNEL-VERSION",
    "CONTAINER-RUNTIME",
)


def node_roles(node: Obj) -> list[str]:
    """Sorted roles from `node-role.kubernetes.io/<role>` keys and the `kubernetes.io/role` value."""
    roles: set[str] = set()
    for key, value in (_meta(node).get("labels") or {}).items():
        if key.startswith(ROLE_LABEL_PREFIX):
            role = key[len(ROLE_LABEL_PREFIX) :]
            if role:
                roles.add(role)
        elif key == ROLE_LABEL and value:
            roles.add(str(value))
    return sorted(roles)


def node_status(node: Obj) -> str:
    """Ready / NotReady (also for Ready=Unknown, as upstream) / Unknown (no Ready condition)."""
    ready = condition(node, "Ready")
    if ready is None:
        parts = ["Unknown"]
    else:
        parts = ["Ready" if ready.get("status") == "True" else "NotReady"]
    if _spec(node).get("unschedulable"):
        parts.append("SchedulingDisabled")
    return ",".join(parts)


def node_row(node: Obj, now: float) -> list[str]:
    info = _status(node).get("nodeInfo") or {}
    return [
        _name(node),
        node_status(node),
        ",".join(node_roles(node)) or NONE,
        _created_age(node, now),
        str(info.get("kubeletVersion") or ""),
    ]


def _node_address(node: Obj, kind: str) -> str:
    for address in _status(node).get("addresses") or []:
        if address.get("type") == kind:
            return str(address.get("address", ""))
    return NONE


def node_row_wide(node: Obj, now: float) -> list[str]:
    info = _status(node).get("nodeInfo") or {}
    return [
        *node_row(node, now),
        _node_address(node, "InternalIP"),
        _node_address(node, "ExternalIP"),
        str(info.get("osImage") or UNKNOWN),
        str(info.get("kernelVersion") or UNKNOWN),
        str(info.get("containerRuntimeVersion") or UNKNOWN),
    ]


# --------------------------------------------------------------------------- namespaces

NAMESPACE_COLUMNS = ("NAME", "STATUS", "AGE")


def namespace_row(ns: Obj, now: float) -> list[str]:
    return [_name(ns), str(_status(ns).get("phase") or ""), _created_age(ns, now)]


# --------------------------------------------------------------------------- events

EVENT_COLUMNS = ("LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE")
EVENT_WIDE_COLUMNS = (
    "LAST SEEN",
    "TYPE",
    "REASON",
    "OBJECT",
    "SUBOBJECT",
    "SOURCE",
    "MESSAGE",
    "FIRST SEEN",
    "COUNT",
    "NAME",
)


def _event_first_seen(event: Obj, now: float) -> str:
    # core/v1 events carry firstTimestamp; events.k8s.io-style ones only eventTime.
    if timestamp(event.get("firstTimestamp")) is not None:
        return age(event.get("firstTimestamp"), now)
    return age(event.get("eventTime"), now)


def _event_last_seen_and_count(event: Obj, now: float) -> tuple[str, int]:
    series = event.get("series")
    if series:
        return age(series.get("lastObservedTime"), now), _int(series.get("count"))
    last = event.get("lastTimestamp")
    seen = age(last, now) if timestamp(last) is not None else _event_first_seen(event, now)
    # Singleton events of the newer API have no count.
    return seen, _int(event.get("count")) or 1


def _event_target(event: Obj) -> str:
    involved = event.get("involvedObject") or {}
    kind = str(involved.get("kind") or "").lower()
    name = involved.get("name")
    return f"{kind}/{name}" if name else kind


def _event_source(event: Obj) -> str:
    source = event.get("source") or {}
    component = source.get("component") or event.get("reportingController") or ""
    host = source.get("host") or event.get("reportingInstance") or ""
    return f"{component}, {host}" if host else str(component)


def event_row(event: Obj, now: float) -> list[str]:
    """`kubectl get events` (server-side printEvent): LAST SEEN is only the last occurrence's age."""
    last_seen, _count = _event_last_seen_and_count(event, now)
    return [
        last_seen,
        str(event.get("type") or ""),
        str(event.get("reason") or ""),
        _event_target(event),
        str(event.get("message") or "").strip(),
    ]


def event_row_wide(event: Obj, now: float) -> list[str]:
    last_seen, count = _event_last_seen_and_count(event, now)
    involved = event.get("involvedObject") or {}
    return [
        last_seen,
        str(event.get("type") or ""),
        str(event.get("reason") or ""),
        _event_target(event),
        str(involved.get("fieldPath") or ""),
        _event_source(event),
        str(event.get("message") or "").strip(),
        _event_first_seen(event, now),
        str(count),
        _name(event),
    ]


def event_interval(event: Obj, now: float) -> str:
    """`3m (x5 over 10m)` when an event repeated, else its age: used by `kubectl events` and describe."""
    first = event.get("eventTime")
    first_seen = age(first, now) if timestamp(first) is not None else age(event.get("firstTimestamp"), now)
    series = event.get("series")
    if series:
        last_seen = age(series.get("lastObservedTime"), now)
        return f"{last_seen} (x{_int(series.get('count'))} over {first_seen})"
    count = _int(event.get("count"))
    if count > 1:
        return f"{age(event.get('lastTimestamp'), now)} (x{count} over {first_seen})"
    return first_seen


EVENTS_CMD_COLUMNS = EVENT_COLUMNS


def events_cmd_row(event: Obj, now: float) -> list[str]:
    """`kubectl events` (client-side printer): interval in LAST SEEN, OBJECT keeps the Kind's case."""
    involved = event.get("involvedObject") or {}
    return [
        event_interval(event, now),
        str(event.get("type") or ""),
        str(event.get("reason") or ""),
        f"{involved.get('kind') or ''}/{involved.get('name') or ''}",
        str(event.get("message") or "").strip(),
    ]


# --------------------------------------------------------------------------- fallback

GENERIC_COLUMNS = ("NAME", "AGE")


def generic_row(obj: Obj, now: float) -> list[str]:
    return [_name(obj), _created_age(obj, now)]
