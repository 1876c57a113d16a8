"""DefaultPreemption, the PostFilter that runs when a pod fits no node, and the nominated pods it leaves behind.

Follows k/k pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go and
pkg/scheduler/framework/preemption (preemption.go, executor.go):

- A pod whose preemptionPolicy is Never, or whose nominated node still has a lower-priority pod terminating because
  the scheduler preempted it, is not eligible (PodEligibleToPreemptOthers).
- Candidates are the nodes a filter rejected as Unschedulable (not UnschedulableAndUnresolvable). On each, from a
  random offset until enough are found (calculateNumCandidates: 10% of them, at least 100), SelectVictimsOnNode
  removes every lower-priority pod, checks that the pod then fits, and reprieves as many as still fit, the ones
  whose PodDisruptionBudget they would violate first, most important first (priority, then the longest running).
- pickOneNodeForPreemption: fewest PDB violations, lowest highest victim priority, lowest sum of priorities,
  fewest victims, latest start of the highest-priority victims, then the first found.
- The victims are marked DisruptionTarget (PreemptionByScheduler), deleted gracefully (their own grace period, on
  the engine's clock) and get a `Preempted` event; lower-priority pods nominated to that node lose the nomination;
  the preemptor is nominated (status.nominatedNodeName) and waits for the space.
- With no candidate, the `preemption:` part of the FailedScheduling message says, per node, why: "No preemption
  victims found for incoming pod", what the filters still reject with the victims gone, or "Preemption is not
  helpful for scheduling" for the nodes it did not try.

Nominated pods hold their space (RunFilterPluginsWithNominatedPods): a pod of lower or equal priority passes a node
only if it also fits there with the nominated pods of priority at least its own added.

The dry run re-checks the filters whose verdict on a node depends on pods through their PreFilter state
(InterPodAffinity, PodTopologySpread, VolumeRestrictions' ReadWriteOncePod; preemption_state.py) with the victims
removed and the reprieved ones added back, so a node their Unschedulable verdict rejected (say, a lower-priority pod
the preemptor's anti-affinity refuses) is a candidate, and a node where removing the victims breaks the preemptor's
pod affinity is not. A pod with claims preempts too (VolumeBinding's own rejections are UnschedulableAndUnresolvable:
those nodes are not candidates).
"""

from __future__ import annotations

import functools
import random
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from .. import podutil
from ..errors import ApiError
from ..selectors import labels_match
from ..store import deep_copy
from ..timeutil import format_time, parse_time
from .filters import FilterFailure, FilterFn, applicable_filters, run_filters
from .fit_error import (
    NO_VICTIMS,
    POSTFILTER_PREFIX,
    PREEMPTION_NOT_HELPFUL,
    fit_error_message,
    reason_counts,
)
from .node_info import NodeInfo
from .pod_constraints import prefilter_states
from .pod_info import PodInfo, get_pod_info, pod_key
from .preemption_state import DryRunState, Nominated, NominatedMemo, VolumeChecks, nominated_pass
from .profiles import DEFAULT_PROFILE

__all__ = [
    "NominatedPods",
    "Preemption",
    "PreemptionOutcome",
    "Victims",
    "num_candidates",
    "pick_one_node",
    "pod_priority",
]

Obj = dict[str, Any]
PDBS = "poddisruptionbudgets.policy"
DISRUPTION_TARGET = "DisruptionTarget"
PREEMPTION_BY_SCHEDULER = "PreemptionByScheduler"
NOT_ELIGIBLE_TERMINATING = "not eligible due to a terminating pod on the nominated node."
# DefaultPreemptionArgs defaults.
MIN_CANDIDATE_NODES_PERCENTAGE = 10
MIN_CANDIDATE_NODES_ABSOLUTE = 100
_VICTIMS_MEMO_LIMIT = 64  # templates remembered per node
_NO_VICTIMS = FilterFailure("DefaultPreemption", (NO_VICTIMS,), unresolvable=True)


def pod_priority(pod: Mapping[str, Any]) -> int:
    """corev1helpers.PodPriority: a pod with no priority has 0."""
    return int((pod.get("spec") or {}).get("priority") or 0)


def _start_time(pod: Mapping[str, Any], now: float) -> float:
    """util.GetPodStartTime: status.startTime, or now for a pod not started yet."""
    started = (pod.get("status") or {}).get("startTime")
    return parse_time(started) if started else now


def _importance(now: float) -> Callable[[Obj], tuple[int, float]]:
    """util.MoreImportantPod as a sort key (ascending = most important first): higher priority, then started
    earlier."""
    return lambda pod: (-pod_priority(pod), _start_time(pod, now))


@attrs.frozen
class Victims:
    """What preempting on one node takes: the pods, most important first, and how many budgets that breaks."""

    node: str
    pods: tuple[Obj, ...]
    pdb_violations: int
    # What pickOneNodeForPreemption compares, worked out once (the memo hands the same Victims to many preemptors):
    # the highest victim priority, the sum of (priority + MaxInt32 + 1), and the earliest start among the victims of
    # the highest priority that have started (None: none has), and whether one of those has not started yet.
    top_priority: int = attrs.field(init=False)
    priority_sum: int = attrs.field(init=False)
    earliest_started: float | None = attrs.field(init=False)
    top_unstarted: bool = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        priorities = [pod_priority(p) for p in self.pods]
        top = priorities[0] if priorities else 0
        # MaxInt32+1 on each priority keeps a few negative-priority victims from beating fewer of the same priority.
        starts = [
            (p.get("status") or {}).get("startTime")
            for p, priority in zip(self.pods, priorities, strict=True)
            if priority == top
        ]
        started = [parse_time(s) for s in starts if s]
        object.__setattr__(self, "top_priority", top)
        object.__setattr__(self, "priority_sum", sum(priorities) + len(priorities) * 2**31)
        object.__setattr__(self, "earliest_started", min(started) if started else None)
        object.__setattr__(self, "top_unstarted", len(started) < len(starts))


@attrs.frozen
class PreemptionOutcome:
    """The PostFilter's verdict. `nominate`: the node to nominate, "" to clear the nomination, None to keep it."""

    message: str
    victims: Victims | None = None
    nominate: str | None = None


class NominatedPods:
    """The scheduling queue's nominator: pending pods with status.nominatedNodeName, by node."""

    def __init__(self, on_change: Callable[[str], None] | None = None) -> None:
        self._by_node: dict[str, dict[str, Obj]] = {}
        self._node_of: dict[str, str] = {}
        self._on_change = on_change  # told the nodes whose nominated pods changed
        # ahead_of's answers by node and priority, until that node's nominated pods change: the same list object
        # each time, which is what the memo's verdicts are checked against.
        self._ahead: dict[str, dict[int, list[Obj]]] = {}
        self.memo = NominatedMemo()  # the scheduling cycles' first-pass verdicts

    def node_of(self, key: str) -> str | None:
        return self._node_of.get(key)

    def __bool__(self) -> bool:
        return bool(self._node_of)

    def update(self, key: str, pod: Obj | None) -> None:
        """Track `pod` (None: gone, bound or no longer pending) under its nominated node, if it has one."""
        node = ((pod.get("status") or {}).get("nominatedNodeName") or "") if pod is not None else ""
        previous = self._node_of.get(key)
        for changed in {previous, node}:
            if changed:
                self._ahead.pop(changed, None)
                if self._on_change is not None:
                    self._on_change(changed)
        if previous is not None and previous != node:
            pods = self._by_node[previous]
            del pods[key]
            if not pods:
                del self._by_node[previous]
            del self._node_of[key]
        if node and pod is not None:
            self._by_node.setdefault(node, {})[key] = pod
            self._node_of[key] = node

    def on_node(self, node: str) -> Iterable[tuple[str, Obj]]:
        return (self._by_node.get(node) or {}).items()

    def filter_for(self, key: str, priority: int, volumes: VolumeChecks | None = None) -> Nominated | None:
        """What the scheduling cycle of pod `key` of `priority` runs RunFilterPluginsWithNominatedPods' first pass
        with (scheduler.schedule); None when no nominated pod could be in its way, the common case, which costs the
        cycle nothing. `volumes`: the volume plugins' part for a pod with claims."""
        if not self._node_of or (len(self._node_of) == 1 and key in self._node_of):
            return None
        return Nominated(functools.partial(self.ahead_of, key=key, priority=priority), volumes, self.memo)

    def check(self, info: PodInfo, node: NodeInfo, key: str, priority: int) -> FilterFailure | None:
        """The node-local filters with the nominated pods of priority at least the pod's added (the first pass, for
        a pod whose PreFilter left no state to copy)."""
        ahead = self.ahead_of(node.name, key, priority)
        if not ahead:
            return None
        return nominated_pass(info, node, ahead, applicable_filters(info), DryRunState())

    def ahead_of(self, node: str, key: str, priority: int) -> list[Obj]:
        """The pods nominated to `node`, other than `key`, that a pod of `priority` must leave room for (not to be
        changed: the list may be shared)."""
        pods = self._by_node.get(node)
        if not pods:
            return []  # most nodes: one dict lookup
        if key in pods:  # the pod's own nominated node
            return [pod for other, pod in pods.items() if other != key and pod_priority(pod) >= priority]
        by_priority = self._ahead.setdefault(node, {})
        found = by_priority.get(priority)
        if found is None:
            found = by_priority[priority] = [pod for pod in pods.values() if pod_priority(pod) >= priority]
        return found


@attrs.frozen
class _Budget:
    namespace: str
    selector: Obj
    allowed: int
    disrupted: frozenset[str]


def _budgets(store: Any) -> tuple[list[_Budget], tuple[str, ...]]:
    """The budgets, and their resourceVersions: what the dry run's memo is valid for."""
    out = []
    versions = []
    for pdb in store.iter(PDBS):
        versions.append(str(pdb["metadata"].get("resourceVersion", "")))
        selector = (pdb.get("spec") or {}).get("selector") or {}
        status = pdb.get("status") or {}
        out.append(
            _Budget(
                pdb["metadata"].get("namespace", ""),
                selector,
                int(status.get("disruptionsAllowed") or 0),
                frozenset(status.get("disruptedPods") or {}),
            )
        )
    return out, tuple(versions)


def _split_by_budget(pods: Sequence[Obj], budgets: Sequence[_Budget]) -> tuple[list[Obj], list[Obj]]:
    """filterPodsWithPDBViolation: (violating, non-violating), each in the given order. A budget is spent by each
    pod it selects that it has not already counted as disrupted; the pods past its allowance violate it."""
    allowed = [budget.allowed for budget in budgets]
    violating, fine = [], []
    for pod in pods:
        meta = pod["metadata"]
        labels = meta.get("labels")
        violated = False
        if labels:
            for i, budget in enumerate(budgets):
                if budget.namespace != meta.get("namespace", ""):
                    continue
                if not (budget.selector.get("matchLabels") or budget.selector.get("matchExpressions")):
                    continue  # a nil or empty selector matches nothing here
                try:
                    if not labels_match(budget.selector, labels):
                        continue
                except ApiError:
                    continue  # an invalid selector matches no pod
                if meta.get("name") in budget.disrupted:
                    continue
                allowed[i] -= 1
                if allowed[i] < 0:
                    violated = True
        (violating if violated else fine).append(pod)
    return violating, fine


def num_candidates(num_nodes: int) -> int:
    """calculateNumCandidates with the default DefaultPreemptionArgs."""
    n = num_nodes * MIN_CANDIDATE_NODES_PERCENTAGE // 100
    return min(max(n, MIN_CANDIDATE_NODES_ABSOLUTE), num_nodes)


def pick_one_node(candidates: Sequence[Victims], now: float) -> Victims:
    """pickOneNodeForPreemption's default score functions, each deciding only among the previous one's ties."""

    def earliest_start(victims: Victims) -> float:
        # GetEarliestPodStartTime: the earliest start among the highest-priority victims (now for one not started).
        started = victims.earliest_started
        if victims.top_unstarted:
            return now if started is None else min(started, now)
        return started if started is not None else now

    scores: tuple[Callable[[Victims], float], ...] = (
        lambda v: -v.pdb_violations,
        lambda v: -v.top_priority,
        lambda v: -v.priority_sum,
        lambda v: -len(v.pods),
        earliest_start,
    )
    remaining = list(candidates)
    for score in scores:
        values = [score(c) for c in remaining]
        best = max(values)
        remaining = [c for c, value in zip(remaining, values, strict=True) if value == best]
        if len(remaining) == 1:
            break
    return remaining[0]


class Preemption:
    """The DefaultPreemption plugin of one scheduler: reads the scheduler's NodeInfos and the store, writes through
    the API."""

    def __init__(self, ctrl: Any) -> None:
        self.ctrl = ctrl
        self.nominated = NominatedPods(self.touched)
        # Priorities of the pods bound to nodes: whether any pod could be a victim, without looking at any node.
        self._bound = Counter[int]()
        # SelectVictimsOnNode's answers, per node, until a pod on it or nominated to it changes (`touched`): the
        # dry run samples up to 100 nodes for every preemptor, while one preemption changes one node.
        self._victims_memo: dict[str, dict[tuple[Any, ...], Victims | FilterFailure]] = {}

    # --- what the scheduler's informer tells it ----------------------------------------------------------------

    def bound(self, pod: Obj, sign: int) -> None:
        priority = pod_priority(pod)
        count = self._bound[priority] + sign
        if count > 0:
            self._bound[priority] = count
        else:
            del self._bound[priority]

    def touched(self, node: str) -> None:
        """A pod bound to `node` or nominated to it was added, changed or removed: its victims are chosen anew."""
        self._victims_memo.pop(node, None)

    def could_preempt(self, priority: int) -> bool:
        return any(p < priority for p in self._bound)

    # --- PostFilter ----------------------------------------------------------------------------------------------

    def post_filter(
        self, pod: Obj, result: Any, message: str, volumes: VolumeChecks | None = None
    ) -> PreemptionOutcome:
        """Preempt for `pod`, which `result` found no node for; `message` is the FitError text without preemption
        candidates (every Unschedulable node "No preemption victims found"); `volumes`: the volume plugins' part for
        a pod with claims. Writes when it preempts."""
        outcome = self.evaluate(pod, result, message, volumes=volumes)
        if outcome.victims is not None:
            self._prepare_candidate(pod, outcome.victims)
        return outcome

    def evaluate(
        self,
        pod: Obj,
        result: Any,
        message: str,
        rng: random.Random | None = None,
        volumes: VolumeChecks | None = None,
    ) -> PreemptionOutcome:
        """What post_filter would conclude, without writing anything (describe's dry run uses it too, with an `rng`
        of its own so that looking leaves the cluster's seeded sequence alone)."""
        spec, status = pod.get("spec") or {}, pod.get("status") or {}
        priority = pod_priority(pod)
        if spec.get("preemptionPolicy") == "Never":
            return PreemptionOutcome(message)  # the message says so already; a nomination stays
        if not self.could_preempt(priority):
            return PreemptionOutcome(message, nominate="")  # no node holds a pod of lower priority: as it says
        base = message.partition(f" {POSTFILTER_PREFIX}")[0]
        failures: dict[str, FilterFailure] = result.failures()
        nominated_node = status.get("nominatedNodeName")
        if nominated_node:
            nominated_status = failures.get(nominated_node)
            unresolvable = nominated_status is not None and nominated_status.unresolvable
            if not unresolvable and self._victim_terminating(nominated_node, priority):
                return PreemptionOutcome(_with_postfilter(base, f"preemption: {NOT_ELIGIBLE_TERMINATING}"))
        # nodesWherePreemptionMightHelp: the nodes a filter rejected as Unschedulable, not as unresolvable.
        potential = [name for name, failure in failures.items() if not failure.unresolvable and name in self.ctrl.nodes]
        if not potential:
            return PreemptionOutcome(message, nominate="")
        candidates, statuses = self._dry_run(pod, potential, rng or self.ctrl.ctx.rng, volumes)
        if not candidates:
            num_all = result.num_all_nodes
            counts = reason_counts(statuses.values())
            if num_all - len(statuses):
                counts[PREEMPTION_NOT_HELPFUL] = num_all - len(statuses)
            fit = fit_error_message(num_all, counts)
            return PreemptionOutcome(_with_postfilter(base, f"preemption: {fit}"), nominate="")
        chosen = pick_one_node(candidates, self.ctrl.clock.now())
        return PreemptionOutcome(base, chosen, chosen.node)

    def _victim_terminating(self, node_name: str, priority: int) -> bool:
        """A lower-priority pod on the node that is terminating because the scheduler preempted it."""
        info = self.ctrl.nodes.get(node_name)
        if info is None:
            return False
        for key in info.pod_keys:
            victim = self.ctrl.object_for_key(key)
            if victim is None or pod_priority(victim) >= priority or not victim["metadata"].get("deletionTimestamp"):
                continue
            for condition in (victim.get("status") or {}).get("conditions") or ():
                if condition.get("type") == DISRUPTION_TARGET:
                    if condition.get("status") == "True" and condition.get("reason") == PREEMPTION_BY_SCHEDULER:
                        return True
                    break
        return False

    def _prefilter(self, pod: Obj, info: PodInfo, volumes: VolumeChecks | None) -> DryRunState:
        """The PreFilter state the dry run copies per node, with the profile and default spreading the scheduling
        cycle used (scheduler.schedule reads them from the same hooks)."""
        nodes = self.ctrl._node_list()
        hooks = nodes[0].changes.pods if nodes and nodes[0].changes is not None else None
        profile = hooks.profile_for(pod) if hooks is not None and hooks.profile_for is not None else None
        defaults = hooks.default_spreading if hooks is not None else None
        spread, affinity = prefilter_states(pod, info, nodes, profile or DEFAULT_PROFILE, defaults)
        return DryRunState(spread, affinity, volumes, volumes.rwop_in_use if volumes is not None else 0)

    def _dry_run(
        self, pod: Obj, potential: list[str], rng: random.Random, volumes: VolumeChecks | None = None
    ) -> tuple[list[Victims], dict[str, FilterFailure]]:
        """DryRunPreemption, one node after another from a random offset: the candidates (non-violating ones
        first) and the status of every node tried that is not one."""
        info = get_pod_info(pod)
        state = self._prefilter(pod, info, volumes)
        checks = applicable_filters(info)
        key = podutil.key_of(pod)
        priority = pod_priority(pod)
        budgets, budgets_version = _budgets(self.ctrl.store)
        wanted = num_candidates(len(potential))
        offset = rng.randrange(len(potential))
        fine: list[Victims] = []
        violating: list[Victims] = []
        statuses: dict[str, FilterFailure] = {}
        now = self.ctrl.clock.now()
        # A node's answer depends on its pods (its generation; their objects: `touched`), the pods nominated there
        # (`touched`, and whether this pod is one of them), the template, its priority and the budgets. `now` only
        # places the pods not started yet after all started ones, whatever its value.
        template = (info.signature, checks, priority, budgets_version)
        nominated_here = self.nominated.node_of(key)
        nodes, memos = self.ctrl.nodes, self._victims_memo
        for i in range(len(potential)):
            name = potential[(offset + i) % len(potential)]
            node = nodes[name]
            memo_key = (template, node.generation, name == nominated_here)
            memo = memos.get(name)
            if memo is None:
                memo = memos[name] = {}
            if state.needed:
                # The verdict depends on pods elsewhere (domain counts, claims): not remembered per node.
                found = self._select_victims(info, checks, key, priority, node, budgets, now, state.copy())
            else:
                found = memo.get(memo_key)
                if found is None:
                    found = self._select_victims(info, checks, key, priority, node, budgets, now)
                    if len(memo) >= _VICTIMS_MEMO_LIMIT:
                        memo.clear()
                    memo[memo_key] = found
            if isinstance(found, FilterFailure):
                statuses[name] = found
                continue
            (violating if found.pdb_violations else fine).append(found)
            if fine and len(fine) + len(violating) >= wanted:
                break
        return fine + violating, statuses

    def _select_victims(
        self,
        info: PodInfo,
        checks: tuple[FilterFn, ...],
        key: str,
        priority: int,
        node: NodeInfo,
        budgets: list[_Budget],
        now: float,
        state: DryRunState | None = None,
    ) -> Victims | FilterFailure:
        """SelectVictimsOnNode: the minimal set of lower-priority pods to remove, or why the node will not do.
        `state`: this node's own copy of the PreFilter state of the plugins that look at pods (None: none does)."""
        lower = []
        for other_key in node.pod_keys:
            other = self.ctrl.object_for_key(other_key)
            if other is not None and pod_priority(other) < priority:
                lower.append(other)
        if not lower:
            return _NO_VICTIMS
        simulated = node.snapshot()
        ahead = self.nominated.ahead_of(node.name, key, priority)
        move: Callable[[Obj, int], None]
        fits: Callable[[], FilterFailure | None]
        if state is None:
            # RunFilterPluginsWithNominatedPods: the nominated pods that go first are counted in from the start (its
            # second pass, without them, can only differ for the plugins that look at pods, which have no state).
            for pod in ahead:
                simulated.simulate(pod, 1)
            move = simulated.simulate

            def fits() -> FilterFailure | None:
                return run_filters(info, simulated, checks)

        else:
            # RemovePod/AddPod replayed on the PreFilter state, and every check run as RunFilterPluginsWithNominatedPods
            # does: with the nominated pods that go first added, then, if that passed, without them.
            refs = node.pod_refs

            def move(pod: Obj, sign: int) -> None:
                simulated.simulate(pod, sign)
                state.update_with_pod(pod, refs.get(pod_key(pod)), simulated, sign)

            def fits() -> FilterFailure | None:
                if ahead:
                    failure = nominated_pass(info, simulated, ahead, checks, state)
                    if failure is not None:
                        return failure
                return run_filters(info, simulated, checks) or state.filter(info, simulated)

        for pod in lower:
            move(pod, -1)
        failure = fits()
        if failure is not None:
            return failure
        lower.sort(key=_importance(now))
        violating, fine = _split_by_budget(lower, budgets)
        victims: list[Obj] = []
        violations = 0
        for group, counts in ((violating, True), (fine, False)):
            for pod in group:
                move(pod, 1)  # reprieve it if the pod still fits
                if fits() is not None:
                    move(pod, -1)
                    victims.append(pod)
                    violations += counts
        if violating and fine:
            victims.sort(key=_importance(now))
        return Victims(node.name, tuple(victims), violations)

    # --- executor ------------------------------------------------------------------------------------------------

    def _prepare_candidate(self, preemptor: Obj, victims: Victims) -> None:
        """prepareCandidate: preempt each victim not already going, then clear lower-priority nominations there."""
        ctrl = self.ctrl
        for victim in victims.pods:
            if victim["metadata"].get("deletionTimestamp"):
                continue  # graceful deletion already started: nothing more to ask
            self._preempt(preemptor, victim, victims.node)
        priority = pod_priority(preemptor)
        for key, pod in list(self.nominated.on_node(victims.node)):
            if pod_priority(pod) < priority:
                status = dict(pod.get("status") or {})
                status.pop("nominatedNodeName", None)
                try:
                    ctrl.api.update_status({**pod, "status": status})
                except ApiError:
                    pass  # not critical: it is retried with its nomination
                self.nominated.update(key, ctrl.object_for_key(key))

    def _preempt(self, preemptor: Obj, victim: Obj, node: str) -> None:
        """Executor.PreemptPod: the DisruptionTarget condition, a graceful delete, the `Preempted` event."""
        ctrl = self.ctrl
        meta = victim["metadata"]
        scheduler = (preemptor.get("spec") or {}).get("schedulerName") or "default-scheduler"
        status = deep_copy(victim.get("status") or {})
        conditions = [c for c in status.get("conditions") or () if c.get("type") != DISRUPTION_TARGET]
        conditions.append(
            {
                "type": DISRUPTION_TARGET,
                "status": "True",
                "reason": PREEMPTION_BY_SCHEDULER,
                "message": f"{scheduler}: preempting to accommodate a higher priority pod",
                "lastProbeTime": None,
                "lastTransitionTime": format_time(ctrl.clock.now()),
            }
        )
        status["conditions"] = conditions
        try:
            ctrl.api.update_status({**victim, "status": status})
            ctrl.api.delete("pods", meta["name"], meta.get("namespace"), uid=meta.get("uid"))
        except ApiError as exc:
            if exc.code == 404:
                return  # already gone
            raise
        message = f"Preempted by pod {preemptor['metadata'].get('uid', '')} on node {node}"
        ctrl.recorder.record(victim, "Normal", "Preempted", message, ctrl.name)


def _with_postfilter(base: str, preemption: str) -> str:
    """The FitError text with the PostFilter plugins' messages: DynamicResources' then DefaultPreemption's."""
    return f"{base} {POSTFILTER_PREFIX}{preemption}"
