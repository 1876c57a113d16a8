"""The ReplicaSet controller's view of pods: the scale-down ranking, and an index kept from the watch.

Upstream's controller lists every pod of the namespace on each sync and guards against its informer's lag with
ControllerExpectations. Here the store is the informer cache and is updated synchronously, so expectations would
always be satisfied by the next sync; what a large ReplicaSet needs instead is a sync that does not walk its
pods. `PodIndex` is fed every pod event and keeps, per controlling owner UID (`OwnedPods`):

- the counts `calculateStatus` reports (replicas, ready, available, fully labelled, terminating);
- the pods whose labels no longer match the selector (to be released), usually none;
- the active, matching pods by node, each node's in deletion order, so that choosing the k pods a scale-down
  removes costs O(nodes + k log nodes) instead of a sort of every pod;

and, per owner UID named by any ownerReference, the active pods per node: the rank `getPodsToDelete` uses.
A sync therefore costs what changed since the last one (plus one entry per node on a scale-down).
"""

from __future__ import annotations

import functools
import heapq
import math
from collections.abc import Callable
from typing import Any

from .. import podutil
from ..selectors import LabelSelector, selector_from_dict
from ..timeutil import parse_time

Obj = dict[str, Any]
PodKey = tuple[str, str]  # (namespace, name)

POD_DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"
_PHASE_RANK = {"Pending": 0, "Unknown": 1, "Running": 2}
# Go's zero time.Time (0001-01-01T00:00:00Z) as a Unix timestamp.
GO_ZERO_TIME = -62135596800.0
# A node's deletion order is rebuilt this long before a log2 age bucket in it could change, at the least: more
# than the rounding of `now - t` (a few ulps of a Unix time, ~1e-7 s) can move the boundary.
_BUCKET_MARGIN = 1e-6

# --- the scale-down ranking (controller.ActivePodsWithRanks) -------------------------------------------------


def _log_rank(t: float, now: float) -> int:
    """logarithmicRankDiff: floor(log2(now - t in ns)), -1 when t is not in the past."""
    delta_ns = (now - t) * 1e9
    return math.floor(math.log2(delta_ns)) if delta_ns > 0 else -1


def _log_rank_until(t: float, now: float) -> tuple[int, float]:
    """`_log_rank(t, now)` and an instant before which it cannot change (time only moves forward)."""
    rank = _log_rank(t, now)
    if rank < 0:
        return rank, math.nextafter(t, math.inf)  # -1 for as long as now <= t
    margin = _BUCKET_MARGIN + 1e-15 * (abs(t) + abs(now))
    return rank, t + 2.0 ** (rank + 1) / 1e9 - margin


def _timestamp(value: str | None) -> float:
    """A metav1.Time; a missing one is Go's zero time, which ranks as the oldest possible instant."""
    return parse_time(value) if value else GO_ZERO_TIME


def _deletion_cost(pod: Obj) -> int:
    value = (pod["metadata"].get("annotations") or {}).get(POD_DELETION_COST)
    try:
        return int(value) if value is not None else 0
    except ValueError:
        return 0


def _ready_time(pod: Obj) -> float:
    """podReadyTime: the Ready condition's lastTransitionTime while Ready, else the zero time."""
    cond = podutil.condition(pod, "Ready")
    if cond is None or cond.get("status") != "True":
        return GO_ZERO_TIME
    return _timestamp(cond.get("lastTransitionTime"))


def _max_restarts(pod: Obj) -> tuple[int, int]:
    """maxContainerRestarts: (max over regular containers, max over sidecar init containers)."""
    status = pod.get("status") or {}
    regular = max((cs.get("restartCount", 0) for cs in status.get("containerStatuses") or ()), default=0)
    init_statuses = status.get("initContainerStatuses")
    if not init_statuses:
        return regular, 0
    sidecar_names = {c.get("name") for c in (pod.get("spec") or {}).get("initContainers") or ()
                     if c.get("restartPolicy") == "Always"}
    sidecar = max((cs.get("restartCount", 0) for cs in init_statuses if cs.get("name") in sidecar_names),
                  default=0)
    return regular, sidecar


def _sign(less: bool) -> int:
    return -1 if less else 1


def compare_for_deletion(a: Obj, b: Obj, rank_a: int, rank_b: int, now: float) -> int:
    """ActivePodsWithRanks.Less (LogarithmicScaleDown and PodDeletionCost on, as they are by default):
    negative when `a` should be deleted before `b`, 0 when neither is less. `deletion_key` orders the same way."""
    node_a, node_b = a["spec"].get("nodeName") or "", b["spec"].get("nodeName") or ""
    if node_a != node_b and (not node_a or not node_b):
        return _sign(not node_a)  # 1. unassigned first
    phase_a = _PHASE_RANK.get((a.get("status") or {}).get("phase", ""), 0)
    phase_b = _PHASE_RANK.get((b.get("status") or {}).get("phase", ""), 0)
    if phase_a != phase_b:
        return _sign(phase_a < phase_b)  # 2. Pending < Unknown < Running
    ready_a, ready_b = podutil.is_ready(a), podutil.is_ready(b)
    if ready_a != ready_b:
        return _sign(not ready_a)  # 3. not ready first
    cost_a, cost_b = _deletion_cost(a), _deletion_cost(b)
    if cost_a != cost_b:
        return _sign(cost_a < cost_b)  # 4. lower deletion cost first
    if rank_a != rank_b:
        return _sign(rank_a > rank_b)  # 5. more related pods on the same node first
    if ready_a and ready_b:  # 6. ready more recently first (same log2 bucket: fall through)
        t_a, t_b = _ready_time(a), _ready_time(b)
        if t_a != t_b:
            r_a, r_b = _log_rank(t_a, now), _log_rank(t_b, now)
            if r_a != r_b:
                return _sign(r_a < r_b)
    restarts_a, restarts_b = _max_restarts(a), _max_restarts(b)
    for x, y in zip(restarts_a, restarts_b, strict=True):
        if x != y:
            return _sign(x > y)  # 7. more restarts first (regular containers, then sidecars)
    c_a = _timestamp(a["metadata"].get("creationTimestamp"))
    c_b = _timestamp(b["metadata"].get("creationTimestamp"))
    if c_a != c_b:  # 8. newer first (same log2 bucket: fall through)
        r_a, r_b = _log_rank(c_a, now), _log_rank(c_b, now)
        if r_a != r_b:
            return _sign(r_a < r_b)
    uid_a, uid_b = a["metadata"].get("uid", ""), b["metadata"].get("uid", "")
    if uid_a != uid_b:
        return _sign(uid_a < uid_b)  # 9. the UID acts as a random tiebreak
    return 0


# The rank-free halves of a pod's deletion key: (head, tail) with the node's rank between them.
KeyHead = tuple[int, int, bool, int]
KeyTail = tuple[int, int, int, int, str]


def deletion_key_parts(pod: Obj, now: float) -> tuple[KeyHead, KeyTail, float]:
    """`compare_for_deletion` as a sort key split around the rank: the pod sorts as (head, -rank, tail).

    The third value is an instant before which neither log2 age bucket in the key can change.
    """
    meta, spec = pod["metadata"], pod["spec"]
    status = pod.get("status") or {}
    ready_cond = None
    for cond in status.get("conditions") or ():
        if cond.get("type") == "Ready":
            ready_cond = cond
            break
    ready = ready_cond is not None and ready_cond.get("status") == "True"
    head = (1 if spec.get("nodeName") else 0, _PHASE_RANK.get(status.get("phase", ""), 0), ready,
            _deletion_cost(pod))
    until = math.inf
    ready_rank = 0
    if ready:
        ready_rank, until = _log_rank_until(_timestamp(ready_cond.get("lastTransitionTime")), now)  # type: ignore[union-attr]
    regular, sidecar = _max_restarts(pod)
    created_rank, created_until = _log_rank_until(_timestamp(meta.get("creationTimestamp")), now)
    tail = (ready_rank, -regular, -sidecar, created_rank, meta.get("uid", ""))
    return head, tail, min(until, created_until)


def deletion_key(pod: Obj, rank: int, now: float) -> tuple[KeyHead, int, KeyTail]:
    head, tail, _ = deletion_key_parts(pod, now)
    return head, -rank, tail


def related_per_node(related: list[Obj]) -> dict[str, int]:
    """Active related pods per node; unassigned pods share the "" bucket, as upstream's map does."""
    per_node: dict[str, int] = {}
    for pod in related:
        if podutil.is_active(pod):
            node = pod["spec"].get("nodeName") or ""
            per_node[node] = per_node.get(node, 0) + 1
    return per_node


def pods_to_delete(pods: list[Obj], related: list[Obj], count: int, now: float) -> list[Obj]:
    """The `count` pods a scale-down removes, ranked by related active pods on the same node (getPodsToDelete).

    The reference the index's per-node selection is tested against; it sorts every pod."""
    per_node = related_per_node(related)
    return heapq.nsmallest(count, pods, key=lambda p: deletion_key(p, per_node.get(p["spec"].get("nodeName") or "", 0),
                                                                   now))


def pods_to_delete_by_compare(pods: list[Obj], related: list[Obj], count: int, now: float) -> list[Obj]:
    """`pods_to_delete` through `compare_for_deletion`, as upstream sorts: for tests."""
    per_node = related_per_node(related)
    ranks = {id(p): per_node.get(p["spec"].get("nodeName") or "", 0) for p in pods}

    def cmp(a: Obj, b: Obj) -> int:
        return compare_for_deletion(a, b, ranks[id(a)], ranks[id(b)], now)

    return sorted(pods, key=functools.cmp_to_key(cmp))[:count]


# --- the index ------------------------------------------------------------------------------------------------


class PodState:
    """What the index needs of one pod, computed once per stored version of it."""

    __slots__ = (
        "active",
        "controller",
        "key",
        "labeled",
        "labels",
        "matched",
        "node",
        "pod",
        "ready",
        "refs",
        "since",
        "terminating",
    )

    def __init__(self, key: PodKey, pod: Obj) -> None:
        meta = pod["metadata"]
        status = pod.get("status") or {}
        self.key = key
        self.pod = pod
        self.labels: dict[str, str] | None = meta.get("labels")
        controller = None
        refs: list[str] = []
        for ref in meta.get("ownerReferences") or ():
            uid = ref.get("uid")
            if uid and uid not in refs:
                refs.append(uid)
            if controller is None and ref.get("controller"):
                controller = uid or ""
        self.controller: str | None = controller
        self.refs = tuple(refs)
        self.node: str = pod["spec"].get("nodeName") or ""
        terminal = status.get("phase") in ("Succeeded", "Failed")
        deleting = bool(meta.get("deletionTimestamp"))
        self.active = not terminal and not deleting
        self.terminating = deleting and not terminal
        self.ready = False
        self.since: float | None = None
        if self.active:
            for cond in status.get("conditions") or ():
                if cond.get("type") == "Ready":
                    if cond.get("status") == "True":
                        self.ready = True
                        stamp = cond.get("lastTransitionTime")
                        self.since = parse_time(stamp) if stamp else None
                    break
        # Set against the owner's selector and template labels by OwnedPods.
        self.matched = True
        self.labeled = False


class _NodeOrder:
    """One node's candidate pods in deletion order (rank aside), valid from `built_at` until `valid_until`."""

    __slots__ = ("built_at", "entries", "start", "valid_until")

    def __init__(self, pods: dict[PodKey, Obj], now: float) -> None:
        entries = []
        valid_until = math.inf
        for key, pod in pods.items():
            head, tail, until = deletion_key_parts(pod, now)
            entries.append((head, tail, key, pod))
            valid_until = min(valid_until, until)
        entries.sort(key=lambda e: (e[0], e[1], e[2]))
        self.entries = entries
        self.start = 0  # entries before this one are gone (deleted, no longer active, or changed)
        self.built_at = now
        self.valid_until = valid_until

    def next_live(self, i: int, pods: dict[PodKey, Obj]) -> int:
        """The first entry at or after `i` whose pod is still this node's candidate, unchanged."""
        entries = self.entries
        while i < len(entries):
            entry = entries[i]
            if pods.get(entry[2]) is entry[3]:
                break
            i += 1
        return i


class OwnedPods:
    """The pods one owner UID controls, counted and ordered for its ReplicaSet's syncs."""

    def __init__(self) -> None:
        self.states: dict[PodKey, PodState] = {}
        self.active = 0
        self.ready = 0
        self.labeled = 0  # active pods that carry every template label (fullyLabeledReplicas)
        self.terminating = 0
        self.unmatched: set[PodKey] = set()  # controlled pods the selector no longer matches
        self.by_node: dict[str, dict[PodKey, Obj]] = {}  # active matching pods: the scale-down candidates
        self.claimed = 0  # how many there are
        self.owner_gone = False
        # What the pods are classified against: the ReplicaSet's selector, template labels, minReadySeconds.
        self._selector_spec: Any = None
        self._selector: LabelSelector | None = None
        self._template_labels: dict[str, str] | None = None
        self.min_ready = 0
        # minReadySeconds > 0: pods counted available, and (ready since, key) of ready pods not yet available.
        self._available: set[PodKey] = set()
        self._pending: list[tuple[float, PodKey]] = []
        self._orders: dict[str, _NodeOrder] = {}
        self._dirty: set[str] = set()  # nodes whose order is stale because a candidate was added or changed

    def __len__(self) -> int:
        return len(self.states)

    # --- classification -------------------------------------------------------------------------------------

    def set_owner(self, rs: Obj) -> None:
        """Classify the pods against this ReplicaSet's selector, template labels and minReadySeconds (a change
        of selector or labels re-reads every pod; in practice they are set once)."""
        spec = rs["spec"]
        selector = spec.get("selector")
        labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
        if self._selector is None or selector != self._selector_spec or labels != self._template_labels:
            self._selector_spec = selector
            self._selector = selector_from_dict(selector)
            self._template_labels = labels
            self._reclassify()
        min_ready = spec.get("minReadySeconds", 0) or 0
        if min_ready != self.min_ready:
            self.min_ready = min_ready
            self._reset_available()

    def _classify(self, st: PodState, previous: PodState | None) -> None:
        if previous is not None and previous.labels is st.labels:
            st.matched, st.labeled = previous.matched, previous.labeled
            return
        if self._selector is None:
            return  # until the owner's first sync
        labels = st.labels or {}
        st.matched = self._selector.matches(labels)
        st.labeled = all(labels.get(k) == v for k, v in self._template_labels.items())  # type: ignore[union-attr]

    def _reclassify(self) -> None:
        states = list(self.states.values())
        for st in states:
            self._remove(st)
        for st in states:
            self._classify(st, None)
            self._add(st)
        self._orders.clear()
        self._dirty.clear()

    # --- changes --------------------------------------------------------------------------------------------

    def replace(self, old: PodState | None, new: PodState | None) -> None:
        if new is not None:
            self._classify(new, old)
        if old is not None:
            self._remove(old)
        if new is not None:
            self._add(new)

    def _add(self, st: PodState) -> None:
        key = st.key
        self.states[key] = st
        if st.terminating:
            self.terminating += 1
        if not st.matched:
            self.unmatched.add(key)
        if not st.active:
            return
        self.active += 1
        if st.labeled:
            self.labeled += 1
        if st.ready:
            self.ready += 1
            if self.min_ready and st.since is not None:
                heapq.heappush(self._pending, (st.since, key))
        if st.matched:
            self.claimed += 1
            pods = self.by_node.get(st.node)
            if pods is None:
                pods = self.by_node[st.node] = {}
            pods[key] = st.pod
            self._dirty.add(st.node)

    def _remove(self, st: PodState) -> None:
        key = st.key
        del self.states[key]
        if st.terminating:
            self.terminating -= 1
        if not st.matched:
            self.unmatched.discard(key)
        if not st.active:
            return
        self.active -= 1
        if st.labeled:
            self.labeled -= 1
        if st.ready:
            self.ready -= 1
            self._available.discard(key)
        if st.matched:
            self.claimed -= 1
            pods = self.by_node[st.node]
            del pods[key]
            if not pods:  # the node's order goes with its last candidate
                del self.by_node[st.node]
                self._orders.pop(st.node, None)
                self._dirty.discard(st.node)

    # --- availability ---------------------------------------------------------------------------------------

    def _reset_available(self) -> None:
        self._available = set()
        self._pending = []
        if self.min_ready:
            self._pending = [(st.since, st.key) for st in self.states.values() if st.ready and st.since is not None]
            heapq.heapify(self._pending)

    def available(self, now: float) -> tuple[int, float | None]:
        """Ready pods that have been Ready for minReadySeconds (IsPodAvailable), and how long until the next
        ready one will be, if any is waiting. Once available a pod stays so until its Ready condition changes."""
        if not self.min_ready:
            return self.ready, None
        pending, available, states, min_ready = self._pending, self._available, self.states, self.min_ready
        while pending:
            since, key = pending[0]
            st = states.get(key)
            if st is None or not st.ready or st.since != since or key in available:
                heapq.heappop(pending)  # stale: the pod changed since it was queued
            elif since + min_ready < now:  # upstream uses a strict Before
                heapq.heappop(pending)
                available.add(key)
            else:
                break
        if len(pending) > 2 * self.ready + 64:
            self._pending = [e for e in pending if (st := states.get(e[1])) is not None and st.ready
                             and st.since == e[0] and e[1] not in available]
            heapq.heapify(self._pending)
            pending = self._pending
        return len(available), (pending[0][0] + min_ready - now if pending else None)

    def is_available(self, key: PodKey) -> bool:
        st = self.states[key]
        return st.ready and (not self.min_ready or key in self._available)

    # --- scale-down -----------------------------------------------------------------------------------------

    def pods_to_delete(self, count: int, rank: Callable[[str], int], now: float) -> list[Obj]:
        """The `count` active matching pods a scale-down removes, as `pods_to_delete` would choose them.

        A node's pods share its rank, so each node's candidates are kept sorted by the rest of the key, and the
        nodes' heads are merged on a heap keyed by (head, -rank, tail).
        """
        heap = []
        orders, dirty = self._orders, self._dirty
        for node, pods in self.by_node.items():
            order = orders.get(node)
            if order is None or node in dirty or not order.built_at <= now < order.valid_until:
                order = orders[node] = _NodeOrder(pods, now)
            order.start = i = order.next_live(order.start, pods)
            if i < len(order.entries):
                head, tail = order.entries[i][0], order.entries[i][1]
                heap.append((head, -rank(node), tail, node, i))
        dirty.clear()
        heapq.heapify(heap)
        chosen: list[Obj] = []
        while heap and len(chosen) < count:
            _, neg_rank, _, node, i = heapq.heappop(heap)
            order = orders[node]
            chosen.append(order.entries[i][3])
            i = order.next_live(i + 1, self.by_node[node])
            if i < len(order.entries):
                head, tail = order.entries[i][0], order.entries[i][1]
                heapq.heappush(heap, (head, neg_rank, tail, node, i))
        return chosen


class PodIndex:
    """Every pod's `PodState`, grouped by controlling owner, with active pods per node for every owner UID."""

    def __init__(self) -> None:
        self.owned: dict[str, OwnedPods] = {}
        self.per_node: dict[str, dict[str, int]] = {}  # owner uid (any ownerReference) -> node -> active pods
        self._states: dict[PodKey, PodState] = {}

    def clear(self) -> None:
        self.owned.clear()
        self.per_node.clear()
        self._states.clear()

    def owned_by(self, uid: str) -> OwnedPods:
        pods = self.owned.get(uid)
        if pods is None:
            pods = self.owned[uid] = OwnedPods()
        pods.owner_gone = False
        return pods

    def owner_deleted(self, uid: str) -> None:
        pods = self.owned.get(uid)
        if pods is not None:
            if pods.states:
                pods.owner_gone = True
            else:
                del self.owned[uid]

    def observe(self, key: PodKey, pod: Obj | None) -> None:
        """The pod at `key` is now `pod` (None: gone)."""
        old = self._states.get(key)
        if old is not None and old.pod is pod:
            return
        new = PodState(key, pod) if pod is not None else None
        if new is None:
            self._states.pop(key, None)
        else:
            self._states[key] = new
        old_counted = old is not None and old.active and bool(old.refs)
        new_counted = new is not None and new.active and bool(new.refs)
        if old_counted != new_counted or (old_counted and (new.node != old.node or new.refs != old.refs)):  # type: ignore[union-attr]
            if old_counted:
                self._count(old, -1)  # type: ignore[arg-type]
            if new_counted:
                self._count(new, 1)  # type: ignore[arg-type]
        self._update_owned(old, new)

    def _count(self, st: PodState, delta: int) -> None:
        for uid in st.refs:
            nodes = self.per_node.get(uid)
            if nodes is None:
                nodes = self.per_node[uid] = {}
            n = nodes.get(st.node, 0) + delta
            if n:
                nodes[st.node] = n
            else:
                del nodes[st.node]
                if not nodes:
                    del self.per_node[uid]

    def _update_owned(self, old: PodState | None, new: PodState | None) -> None:
        old_owner = old.controller if old is not None else None
        new_owner = new.controller if new is not None else None
        if old_owner is not None and old_owner == new_owner:
            self.owned_by_existing(old_owner).replace(old, new)
            return
        if old_owner is not None:
            pods = self.owned_by_existing(old_owner)
            pods.replace(old, None)
            if not pods.states and pods.owner_gone:
                del self.owned[old_owner]
        if new_owner is not None:
            pods = self.owned.get(new_owner)
            if pods is None:
                pods = self.owned[new_owner] = OwnedPods()
            pods.replace(None, new)

    def owned_by_existing(self, uid: str) -> OwnedPods:
        return self.owned[uid]

