"""Per-node scheduling state, kept up to date incrementally by the caller.

Like the scheduler cache's `framework.NodeInfo`: allocatable parsed from the Node, and
the requested / non-zero-requested totals, used host ports and pods aggregated from the
pods bound to it. Every mutation bumps `generation`, drops the memoised verdicts and is
recorded in the scheduler's `ChangeLog`, when it has one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from ..quantity import bytes_value, cpu_millis
from .pod_index import PodIndex, PodRef, pod_ref
from .pod_info import HostPort, PodInfo, get_pod_info, pod_key
from .requests import Resources, is_scalar_resource_name
from .taints import NO_EXECUTE, NO_SCHEDULE, PREFER_NO_SCHEDULE, Taint, parse_taints

__all__ = ["ChangeLog", "NodeInfo"]

_WILDCARD_IP = "0.0.0.0"
# Verdicts for this many distinct pod templates are kept per node state.
_MEMO_LIMIT = 256


# Enough to cover many scheduling cycles; a reader that falls further behind rebuilds from scratch.
_CHANGE_LOG_LIMIT = 65536


class ChangeLog:
    """Every mutation of one scheduler's NodeInfos, in order.

    Readers keeping something derived from many nodes (the scheduler's verdict rows) catch up by
    reading the entries past their last position instead of re-checking every node. When the log
    is full it starts a new epoch, and readers from an older epoch know they missed changes.
    """

    __slots__ = ("entries", "epoch", "pods")

    def __init__(self) -> None:
        self.entries: list[NodeInfo] = []
        self.epoch = 0
        # Which pods match which selectors, for InterPodAffinity and PodTopologySpread: every pod added to
        # or removed from these NodeInfos is reported to it.
        self.pods = PodIndex()

    def record(self, node: NodeInfo) -> None:
        if len(self.entries) >= _CHANGE_LOG_LIMIT:
            self.entries = []
            self.epoch += 1
        self.entries.append(node)



# Binding copies a pod's spec shallowly, so a bound pod still holds the containers list of the spec that was
# scheduled: keyed by that list's identity, accounting a bound pod needs no new parse of its spec.
_BY_CONTAINERS: dict[int, tuple[Any, Any, Resources, tuple[HostPort, ...]]] = {}
_BY_CONTAINERS_LIMIT = 65536


def _resources_and_ports(pod: Mapping[str, Any]) -> tuple[Resources, tuple[HostPort, ...]]:
    spec = pod.get("spec") or {}
    containers, inits = spec.get("containers"), spec.get("initContainers")
    hit = _BY_CONTAINERS.get(id(containers))
    if hit is not None and hit[0] is containers and hit[1] is inits:
        return hit[2], hit[3]
    info: PodInfo = get_pod_info(pod)
    if len(_BY_CONTAINERS) >= _BY_CONTAINERS_LIMIT:
        _BY_CONTAINERS.clear()
    _BY_CONTAINERS[id(containers)] = (containers, inits, info.resources, info.host_ports)
    return info.resources, info.host_ports


def pod_requests(pod: Mapping[str, Any]) -> Resources:
    """What the pod requests, as NodeInfo accounts it (cached by the pod's container list)."""
    return _resources_and_ports(pod)[0]


@attrs.define(eq=False)
class NodeInfo:
    """A Node plus the aggregate of the pods bound to it.

    The caller calls `add_pod` when a pod is bound to (or assumed on) the node,
    `remove_pod` when it goes away, and `set_node` whenever the Node object changes.
    """

    node: dict[str, Any]
    # Where mutations are recorded, for the scheduler's verdict rows (none for a NodeInfo of its own).
    changes: ChangeLog | None = attrs.field(default=None, kw_only=True)
    name: str = attrs.field(init=False, default="")
    labels: dict[str, str] = attrs.field(init=False, factory=dict)
    taints: tuple[Taint, ...] = attrs.field(init=False, default=())
    # NoSchedule and NoExecute taints: the ones the TaintToleration filter enforces.
    filter_taints: tuple[Taint, ...] = attrs.field(init=False, default=())
    prefer_taints: tuple[Taint, ...] = attrs.field(init=False, default=())
    unschedulable: bool = attrs.field(init=False, default=False)

    allocatable_milli_cpu: int = attrs.field(init=False, default=0)
    allocatable_memory: int = attrs.field(init=False, default=0)
    allocatable_ephemeral_storage: int = attrs.field(init=False, default=0)
    allowed_pod_number: int = attrs.field(init=False, default=0)
    allocatable_scalar: dict[str, int] = attrs.field(init=False, factory=dict)

    requested_milli_cpu: int = attrs.field(init=False, default=0)
    requested_memory: int = attrs.field(init=False, default=0)
    requested_ephemeral_storage: int = attrs.field(init=False, default=0)
    requested_scalar: dict[str, int] = attrs.field(init=False, factory=dict)
    nonzero_milli_cpu: int = attrs.field(init=False, default=0)
    nonzero_memory: int = attrs.field(init=False, default=0)

    # (hostIP, protocol, port) -> number of pods using it. Counted, unlike upstream's set,
    # so removing one of two conflicting pods keeps the port marked as used.
    used_ports: dict[HostPort, int] = attrs.field(init=False, factory=dict)
    pod_count: int = attrs.field(init=False, default=0)
    generation: int = attrs.field(init=False, default=0)

    _pods: dict[str, tuple[Resources, tuple[HostPort, ...]]] = attrs.field(init=False, factory=dict)
    # What pod affinity and topology spreading read of each pod: namespace, labels, terms.
    pod_refs: dict[str, PodRef] = attrs.field(init=False, factory=dict, repr=False)
    # The pods among them with pod (anti-)affinity terms (upstream's PodsWithAffinity).
    term_pods: dict[str, PodRef] = attrs.field(init=False, factory=dict, repr=False)
    _ports_any_ip: dict[tuple[str, int], int] = attrs.field(init=False, factory=dict)
    # PodInfo.signature -> verdict for pods of that template; see scheduler._evaluate.
    memo: dict[int, Any] = attrs.field(init=False, factory=dict, repr=False)

    def __attrs_post_init__(self) -> None:
        self.set_node(self.node)

    @classmethod
    def from_objects(cls, node: dict[str, Any], pods: Iterable[Mapping[str, Any]] = ()) -> NodeInfo:
        info = cls(node)
        for pod in pods:
            info.add_pod(pod)
        return info

    def snapshot(self) -> NodeInfo:
        """A copy to simulate on (upstream's NodeInfo.Snapshot): adding and removing pods on it leaves this one, its
        memo and the change log alone."""
        copy = NodeInfo.__new__(NodeInfo)
        for field in attrs.fields(NodeInfo):
            value = getattr(self, field.name)
            setattr(copy, field.name, dict(value) if isinstance(value, dict) else value)
        copy.changes = None
        copy.memo = {}
        return copy

    def simulate(self, pod: Mapping[str, Any], sign: int) -> None:
        """On a snapshot: count a pod's requests and host ports in (1) or out (-1), without the bookkeeping a bound
        pod needs (its refs, the memo, the change log). Enough for the node-local filters, which read only these:
        what preemption's dry run and the nominated pods' check ask of a node."""
        res, ports = _resources_and_ports(pod)
        self._apply(res, ports, sign)

    # --- node -------------------------------------------------------------------------

    def set_node(self, node: dict[str, Any]) -> None:
        """Re-read labels, taints, unschedulable and allocatable from a (new) Node object."""
        self.node = node
        meta = node.get("metadata") or {}
        self.name = str(meta.get("name") or "")
        old_labels, old_taints = self.labels, self.taints
        self.labels = {str(k): str(v) for k, v in (meta.get("labels") or {}).items()}
        self.taints = parse_taints(node)
        if self.changes is not None and (old_labels != self.labels or old_taints != self.taints):
            self.changes.pods.nodes_changed()  # topology domains may have moved
        self.filter_taints = tuple(t for t in self.taints if t.effect in (NO_SCHEDULE, NO_EXECUTE))
        self.prefer_taints = tuple(t for t in self.taints if t.effect == PREFER_NO_SCHEDULE)
        self.unschedulable = bool((node.get("spec") or {}).get("unschedulable"))

        allocatable = (node.get("status") or {}).get("allocatable") or {}
        self.allocatable_milli_cpu = cpu_millis(allocatable.get("cpu", 0))
        self.allocatable_memory = bytes_value(allocatable.get("memory", 0))
        self.allocatable_ephemeral_storage = bytes_value(allocatable.get("ephemeral-storage", 0))
        # A node that reports no pod capacity fits no pods, exactly as upstream.
        self.allowed_pod_number = bytes_value(allocatable.get("pods", 0))
        self.allocatable_scalar = {
            str(name): bytes_value(value)
            for name, value in allocatable.items()
            if is_scalar_resource_name(str(name))
        }
        self._changed()

    # --- pods -------------------------------------------------------------------------

    @property
    def pod_keys(self) -> list[str]:
        return list(self._pods)

    def has_pod(self, key: str) -> bool:
        return key in self._pods

    def add_pod(self, pod: Mapping[str, Any]) -> None:
        """Account for a pod on this node; re-adding a known pod replaces its old figures."""
        key = pod_key(pod)
        if key in self._pods:
            self._remove(key)
        res, ports = _resources_and_ports(pod)
        self._pods[key] = (res, ports)
        self._apply(res, ports, 1)
        ref = self.pod_refs[key] = pod_ref(pod)
        if ref.terms is not None and ref.terms.has_affinity:
            self.term_pods[key] = ref
        if self.changes is not None:
            self.changes.pods.pod_changed(self, key, ref, 1)
        self._changed()

    def remove_pod(self, pod: Mapping[str, Any] | str) -> bool:
        """Forget a pod (by object or "namespace/name" key); False if it was not here."""
        key = pod if isinstance(pod, str) else pod_key(pod)
        if key not in self._pods:
            return False
        self._remove(key)
        self._changed()
        return True

    def _remove(self, key: str) -> None:
        # Subtract what was added, even if the pod object has changed since.
        res, ports = self._pods.pop(key)
        self._apply(res, ports, -1)
        ref = self.pod_refs.pop(key)
        self.term_pods.pop(key, None)
        if self.changes is not None:
            self.changes.pods.pod_changed(self, key, ref, -1)

    def _apply(self, res: Resources, ports: tuple[HostPort, ...], sign: int) -> None:
        self.requested_milli_cpu += sign * res.milli_cpu
        self.requested_memory += sign * res.memory
        self.requested_ephemeral_storage += sign * res.ephemeral_storage
        for name, amount in res.scalar:
            total = self.requested_scalar.get(name, 0) + sign * amount
            if total:
                self.requested_scalar[name] = total
            else:
                self.requested_scalar.pop(name, None)
        self.nonzero_milli_cpu += sign * res.nonzero_milli_cpu
        self.nonzero_memory += sign * res.nonzero_memory
        self.pod_count += sign
        for port in ports:
            _bump(self.used_ports, port, sign)
            _bump(self._ports_any_ip, (port[1], port[2]), sign)

    def port_conflict(self, port: HostPort) -> bool:
        """`HostPortInfo.CheckConflict`: 0.0.0.0 clashes with every IP on the same protocol/port."""
        ip, protocol, number = port
        if ip == _WILDCARD_IP:
            return (protocol, number) in self._ports_any_ip
        used = self.used_ports
        return (_WILDCARD_IP, protocol, number) in used or port in used

    def remember(self, signature: int, verdict: Any) -> None:
        """Memoise a verdict for a pod template until this node next changes."""
        if len(self.memo) >= _MEMO_LIMIT:
            self.memo.clear()
        self.memo[signature] = verdict

    def _changed(self) -> None:
        self.generation += 1
        self.memo.clear()
        if self.changes is not None:
            self.changes.record(self)


def _bump(counts: dict[Any, int], key: Any, sign: int) -> None:
    total = counts.get(key, 0) + sign
    if total > 0:
        counts[key] = total
    else:
        counts.pop(key, None)
