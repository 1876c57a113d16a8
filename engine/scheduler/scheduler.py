"""One scheduling cycle: PreFilter, Filter, (PostFilter message), Score, select host.

Follows `schedule_one.go` for a single profile with the default plugins k9py models,
including numFeasibleNodesToFind's rotating window of nodes in large clusters. Per-node
verdicts are memoised on the NodeInfo by pod template, so a cycle costs a dict lookup for
every node that hasn't changed since the last pod like it; with the caller's `VerdictRows`
a window whose nodes all pass plainly costs a few list slices instead (`_schedule_window`).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from itertools import compress
from typing import TYPE_CHECKING, Any

import attrs

from .filters import NODE_AFFINITY, FilterFailure, FilterFn, applicable_filters
from .fit_error import NO_NODES_AVAILABLE, fit_error_message, preemption_message, reason_counts
from .node_info import NodeInfo
from .pod_constraints import PodCycle, prepare
from .pod_info import PodInfo, get_pod_info, pod_key
from .preemption_state import Nominated, nominated_pass
from .profiles import DEFAULT_PROFILE, Profile
from .scores import (
    BALANCED_ALLOCATION,
    MAX_NODE_SCORE,
    NODE_RESOURCES_FIT,
    SCORE_WEIGHTS,
    TAINT_TOLERATION,
    balanced_allocation,
    balanced_allocation_skipped,
    default_normalize_score,
    least_allocated,
    node_affinity_raw,
    taint_toleration_raw,
)
from .scores import NODE_AFFINITY as NODE_AFFINITY_SCORE
from .window import VerdictRows

if TYPE_CHECKING:
    from .default_spread import DefaultSpreading

__all__ = ["NodeDecision", "ScheduleResult", "VerdictRows", "schedule"]

ERR_AFFINITY_CONFLICT = "pod affinity terms conflict"
_PREFILTER_REJECTED = FilterFailure(
    NODE_AFFINITY, (f"node(s) didn't satisfy plugin(s) [{NODE_AFFINITY}]",), unresolvable=True
)
_AFFINITY_CONFLICT = FilterFailure(NODE_AFFINITY, (ERR_AFFINITY_CONFLICT,), unresolvable=True)

_TT_WEIGHT = SCORE_WEIGHTS[TAINT_TOLERATION]
_NA_WEIGHT = SCORE_WEIGHTS[NODE_AFFINITY_SCORE]
_FIT_WEIGHT = SCORE_WEIGHTS[NODE_RESOURCES_FIT]
_BA_WEIGHT = SCORE_WEIGHTS[BALANCED_ALLOCATION]

# Everything a node contributes to a cycle, a pure function of (node state, pod template):
# (failure or None, taint raw, affinity raw, least-allocated, balanced, base total, adjust).
# `base` is the weighted total assuming zero raw taint/affinity counts, which normalise to
# fixed values (100 and 0); only `adjust` nodes need the cross-node normalisation.
Verdict = tuple[FilterFailure | None, int, int, int, int, int, bool]
_PREFILTER_VERDICT: Verdict = (_PREFILTER_REJECTED, 0, 0, 0, 0, 0, False)
_CONFLICT_VERDICT: Verdict = (_AFFINITY_CONFLICT, 0, 0, 0, 0, 0, False)


@attrs.frozen
class NodeDecision:
    """What the scheduler concluded about one node for one pod."""

    node_name: str
    passed: bool
    plugin: str | None = None
    reasons: tuple[str, ...] = ()
    unresolvable: bool = False
    # Normalised 0-100 score per plugin before weighting; None when the plugin skipped.
    scores: Mapping[str, int | None] = attrs.field(factory=dict)
    total: int | None = None
    selected: bool = False


@attrs.define(eq=False)
class ScheduleResult:
    """The outcome of one cycle. `message` is the FitError text when no node fits."""

    pod_key: str
    node_name: str | None
    message: str = ""
    num_all_nodes: int = 0
    feasible_nodes: int = 0
    # Plugins that rejected at least one node (upstream's UnschedulablePlugins).
    rejected_by: frozenset[str] = frozenset()
    _nodes: Sequence[NodeInfo] = attrs.field(default=(), alias="nodes", repr=False)
    _verdicts: Sequence[Verdict] = attrs.field(default=(), alias="verdicts", repr=False)
    _scoring: _Scoring | None = attrs.field(default=None, alias="scoring", repr=False)
    _decisions: list[NodeDecision] | None = attrs.field(default=None, init=False, repr=False)

    @property
    def scheduled(self) -> bool:
        return self.node_name is not None

    @property
    def processed(self) -> int:
        """How many nodes this cycle checked (upstream advances nextStartNodeIndex by this)."""
        return len(self._nodes)

    @property
    def decisions(self) -> list[NodeDecision]:
        """Per-node verdicts in node order; built on first use since most callers never look."""
        if self._decisions is None:
            self._decisions = self._build_decisions()
        return self._decisions

    def failures(self) -> dict[str, FilterFailure]:
        """The nodes a filter rejected and why, by name: what preemption reads, without building `decisions`."""
        return {node.name: v[0] for node, v in zip(self._nodes, self._verdicts, strict=True) if v[0] is not None}

    def _build_decisions(self) -> list[NodeDecision]:
        out = []
        scoring = self._scoring
        index = 0
        for node, verdict in zip(self._nodes, self._verdicts, strict=True):
            failure = verdict[0]
            if failure is not None:
                out.append(
                    NodeDecision(node.name, False, failure.plugin, failure.reasons, failure.unresolvable)
                )
                continue
            if scoring is None:
                out.append(NodeDecision(node.name, True, selected=node.name == self.node_name))
                continue
            scores = scoring.plugin_scores(verdict, index)
            out.append(
                NodeDecision(
                    node.name,
                    True,
                    scores=scores,
                    total=scoring.totals[index],
                    selected=node.name == self.node_name,
                )
            )
            index += 1
        return out


@attrs.frozen
class _Scoring:
    """What it takes to recover each plugin's normalised score for a feasible node."""

    totals: Sequence[int]
    taint_max: int
    affinity_max: int | None  # None: NodeAffinity skipped scoring
    balanced: bool
    # PodTopologySpread / InterPodAffinity normalised scores by feasible index, for the plugins that scored.
    others: Mapping[str, Sequence[int]] = attrs.field(factory=dict)

    def plugin_scores(self, verdict: Verdict, index: int) -> dict[str, int | None]:
        # Normalising [raw, max] reproduces what the whole feasible list normalised to.
        taint_raw, affinity_raw = verdict[1], verdict[2]
        affinity = None
        if self.affinity_max is not None:
            affinity = default_normalize_score([affinity_raw, self.affinity_max], reverse=False)[0]
        scores: dict[str, int | None] = {
            TAINT_TOLERATION: default_normalize_score([taint_raw, self.taint_max], reverse=True)[0],
            NODE_AFFINITY_SCORE: affinity,
            NODE_RESOURCES_FIT: verdict[3],
            BALANCED_ALLOCATION: verdict[4] if self.balanced else None,
        }
        for plugin, values in self.others.items():
            scores[plugin] = values[index]
        return scores


def _evaluate(pod: PodInfo, node: NodeInfo, checks: tuple[FilterFn, ...], balanced_on: bool) -> Verdict:
    for check in checks:
        failure = check(pod, node)
        if failure is not None:
            return (failure, 0, 0, 0, 0, 0, False)
    res = pod.resources
    # Guards skip the calls in the common case where they would return 0.
    taint = taint_toleration_raw(pod, node) if node.prefer_taints else 0
    affinity = node_affinity_raw(pod, node) if pod.preferred_affinity else 0
    fit = least_allocated(res, node)
    balanced = balanced_allocation(res, node)
    base = _FIT_WEIGHT * fit
    if balanced_on:
        base += _BA_WEIGHT * balanced
    if not taint:
        base += _TT_WEIGHT * MAX_NODE_SCORE
    return (None, taint, affinity, fit, balanced, base, bool(taint or affinity))


def _pick(totals: Sequence[int], feasible: Sequence[NodeInfo], rng: random.Random | None) -> NodeInfo:
    """The best total. Ties: uniformly at random with `rng`, else the first by name.

    Upstream reservoir-samples the tied nodes, which is the same uniform choice; one
    draw per cycle keeps a seeded rng reproducible and cheap.
    """
    best = max(totals)
    if totals.count(best) == 1:
        return feasible[totals.index(best)]
    tied = list(compress(feasible, map(best.__eq__, totals)))
    if rng is None:
        return min(tied, key=lambda node: node.name)
    return tied[rng.randrange(len(tied))]


def _adjust_totals(
    info: PodInfo,
    totals: list[int],
    feasible: Sequence[Verdict],
    adjust: Sequence[int],
    profile: Profile = DEFAULT_PROFILE,
) -> tuple[int, int | None]:
    """Add the normalised TaintToleration/NodeAffinity scores of nodes with non-zero raw counts.

    Returns the maxima DefaultNormalizeScore divides by.
    """
    tt_weight, na_weight = profile.weight(TAINT_TOLERATION), profile.weight(NODE_AFFINITY_SCORE)
    taint_max = max((feasible[i][1] for i in adjust), default=0)
    affinity_on = info.preferred_affinity is not None and na_weight > 0
    affinity_max = max((feasible[i][2] for i in adjust), default=0) if affinity_on else None
    for i in adjust:
        _, taint, affinity = feasible[i][:3]
        if taint:
            totals[i] += tt_weight * (MAX_NODE_SCORE - MAX_NODE_SCORE * taint // taint_max)
        if affinity and affinity_max:
            totals[i] += na_weight * (MAX_NODE_SCORE * affinity // affinity_max)
    return taint_max, affinity_max


MIN_FEASIBLE_NODES_TO_FIND = 100
MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5
BASE_PERCENTAGE_OF_NODES_TO_SCORE = 50


def num_feasible_nodes_to_find(num_all: int, percentage: int | None = None) -> int:
    """schedule_one.go numFeasibleNodesToFind: a profile's percentageOfNodesToScore, 0 or None for the adaptive one."""
    if num_all < MIN_FEASIBLE_NODES_TO_FIND:
        return num_all
    if not percentage:
        percentage = max(BASE_PERCENTAGE_OF_NODES_TO_SCORE - num_all // 125, MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND)
    return max(num_all * percentage // 100, MIN_FEASIBLE_NODES_TO_FIND)


def _lookup(info: PodInfo, balanced_on: bool, profile: Profile | None) -> Callable[[NodeInfo], Verdict]:
    """A node's verdict for the template: memoised, else evaluated and memoised, like the loop in `schedule`."""
    if profile is None:
        signature, checks, evaluate = info.signature, applicable_filters(info), _evaluate
    else:
        signature, checks, evaluate = profile.signature(info.signature), profile.checks(info), profile.evaluate

    def lookup(node: NodeInfo) -> Verdict:
        verdict = node.memo.get(signature)
        if verdict is None:
            verdict = evaluate(info, node, checks, balanced_on)
            node.remember(signature, verdict)
        return verdict

    return lookup


def _schedule_window(
    info: PodInfo,
    key: str,
    nodes: list[NodeInfo],
    rng: random.Random | None,
    start: int,
    rows: VerdictRows,
    profile: Profile | None = None,
    cycle: PodCycle | None = None,
) -> ScheduleResult | None:
    """What `schedule`'s loop would conclude, from the template's verdict row; None to leave it to the loop.

    Only when at least two nodes are feasible: no node means a FitError message, one means no scoring.
    `cycle`: the pod's PodTopologySpread/InterPodAffinity scores (it has no Filter here).
    """
    num_all = len(nodes)
    to_find = num_feasible_nodes_to_find(num_all, profile.percentage_of_nodes_to_score if profile else None)
    if to_find < num_all:
        start %= num_all
    else:
        start, to_find = 0, num_all  # the loop checks every node, in order, ignoring `start`
    balanced_on = not balanced_allocation_skipped(info.resources)
    signature = info.signature if profile is None else profile.signature(info.signature)
    row = rows.row(signature, nodes, _lookup(info, balanced_on, profile))
    window = row.window(nodes, start, to_find) if row is not None else None
    if window is None:
        return None
    feasible, totals = window.feasible, window.totals
    if len(feasible) < 2:
        return None
    taint_max, affinity_max = 0, None
    if window.adjust or info.preferred_affinity is not None:
        taint_max, affinity_max = _adjust_totals(
            info, totals, window.feasible_verdicts, window.adjust, profile or DEFAULT_PROFILE
        )
    others = _add_pod_scores(cycle, feasible, totals, profile or DEFAULT_PROFILE) if cycle is not None else {}
    chosen = _pick(totals, feasible, rng)
    scoring = _Scoring(totals, taint_max, affinity_max, balanced_on, others)
    return ScheduleResult(
        key, chosen.name, "", num_all, len(feasible), nodes=window.checked, verdicts=window.verdicts, scoring=scoring
    )


def schedule(
    pod: Mapping[str, Any],
    nodes: Sequence[NodeInfo],
    rng: random.Random | None = None,
    start: int = 0,
    rows: VerdictRows | None = None,
    volume_filter: FilterFn | None = None,
    *,
    profile: Profile | None = None,
    defaults: DefaultSpreading | None = None,
    nominated: Nominated | None = None,
    all_nodes: Sequence[NodeInfo] | None = None,
) -> ScheduleResult:
    """Pick a node for `pod` among `nodes`, or explain why none fits.

    Pure: nothing is mutated except the NodeInfos' verdict memos. Binding (and calling
    `add_pod` on the chosen NodeInfo) is the caller's job. Ties between equally scored
    nodes go to `rng` when given, else to the first node by name.

    In a large cluster only enough nodes to find `num_feasible_nodes_to_find` feasible ones are checked,
    starting at `start` (the caller rotates it by `result.processed`, as upstream's nextStartNodeIndex), so the
    result describes the nodes checked. Below 100 nodes every node is checked, in order, as upstream does.

    `rows`, kept by the caller for this very list object (not changed in place), lets common cycles skip the
    per-node loop; the result is the same with or without it.

    `volume_filter`: the volume plugins' Filter for this pod (scheduler/volume_binding.py), run after the
    memoised filters on nodes that pass them; its verdicts depend on claims and volumes, so they are not memoised.

    `profile`: a scheduler profile other than the default one (scheduler/profiles.py); `defaults`: PodTopologySpread's
    default constraints for pods without their own (scheduler/default_spread.py), None for none.

    `nominated`: the pods nominated to nodes that this pod must leave room for (NominatedPods.filter_for). A node
    with some is checked as RunFilterPluginsWithNominatedPods does: every filter with them added to copies of the
    node and of the PreFilter state (resources, ports, claims, spreading and pod (anti-)affinity), then, if that
    passed, without them (the memoised verdicts and the filters after them); it fits only if both pass.

    `all_nodes`: the cluster's nodes when `nodes` are only the ones to filter (a preemptor's nominated node, tried
    first): PreFilter looks at all of them, as upstream runs it before evaluateNominatedNode.
    """
    info = get_pod_info(pod)
    key = pod_key(pod)
    num_all = len(nodes)
    if num_all == 0:
        return ScheduleResult(key, None, NO_NODES_AVAILABLE)
    hooks = nodes[0].changes.pods if nodes[0].changes is not None else None
    if hooks is not None:  # the scheduler controller's NodeInfos: its profiles and Services decide
        if profile is None and hooks.profile_for is not None:
            profile = hooks.profile_for(pod)
        if defaults is None:
            defaults = hooks.default_spreading
    if profile is DEFAULT_PROFILE:
        profile = None  # the default profile's own code path: the fast one
    # PodTopologySpread and InterPodAffinity, when they have anything to do for this pod: not memoised.
    cycle = prepare(pod, info, nodes if all_nodes is None else all_nodes, profile or DEFAULT_PROFILE, defaults)
    extra_filter = cycle.filter if cycle is not None else None
    # Node-name candidates turn off the rotation and reject nodes by name: the loop below handles them.
    if (
        rows is not None
        and isinstance(nodes, list)
        and info.node_name_candidates is None
        and volume_filter is None
        and extra_filter is None
        and nominated is None
    ):
        result = _schedule_window(info, key, nodes, rng, start, rows, profile, cycle)
        if result is not None:
            return result
    to_find = num_feasible_nodes_to_find(num_all, profile.percentage_of_nodes_to_score if profile else None)
    if to_find < num_all and info.node_name_candidates is None:
        start %= num_all
        nodes = [*nodes[start:], *nodes[:start]]
    else:
        to_find = num_all
        nodes = list(nodes)

    candidates = info.node_name_candidates
    if candidates is not None and not candidates:
        message = fit_error_message(
            num_all,
            {},
            prefilter_message=ERR_AFFINITY_CONFLICT,
            postfilter_message=preemption_message(num_all, (), info.preemption_never),
        )
        conflicted = [_CONFLICT_VERDICT] * num_all
        rejected = frozenset({NODE_AFFINITY})
        return ScheduleResult(key, None, message, num_all, 0, rejected, nodes=nodes, verdicts=conflicted)

    signature = info.signature if profile is None else profile.signature(info.signature)
    evaluate = _evaluate if profile is None else profile.evaluate
    balanced_on = not balanced_allocation_skipped(info.resources)
    checks: tuple[FilterFn, ...] | None = None
    ahead_of = nominated.ahead if nominated is not None else None
    first_state = None  # the PreFilter state the first pass copies, made for the first node that needs it
    verdicts: list[Verdict] = []
    feasible_verdicts: list[Verdict] = []
    feasible: list[NodeInfo] = []
    totals: list[int] = []
    adjust: list[int] = []
    # The hot loop of the whole simulator: keep it to a memo lookup and a few appends.
    for node in nodes:
        if candidates is not None and node.name not in candidates:
            verdicts.append(_PREFILTER_VERDICT)
            continue
        if ahead_of is not None and (ahead := ahead_of(node.name)):
            # RunFilterPluginsWithNominatedPods' first pass; its failure is the node's status. The second pass is
            # the ordinary one below.
            if checks is None:
                checks = applicable_filters(info) if profile is None else profile.checks(info)
            assert nominated is not None
            if first_state is None:
                spread, affinity = (cycle.spread_state, cycle.affinity_state) if cycle else (None, None)
                first_state = nominated.state(spread, affinity)
            failure = nominated_pass(info, node, ahead, checks, first_state, nominated.memo, signature)
            if failure is not None:
                verdicts.append((failure, 0, 0, 0, 0, 0, False))
                continue
        verdict = node.memo.get(signature)
        if verdict is None:
            if checks is None:
                checks = applicable_filters(info) if profile is None else profile.checks(info)
            verdict = evaluate(info, node, checks, balanced_on)
            node.remember(signature, verdict)
        if volume_filter is not None and verdict[0] is None:
            failure = volume_filter(info, node)
            if failure is not None:
                verdict = (failure, 0, 0, 0, 0, 0, False)
        if extra_filter is not None and verdict[0] is None:
            failure = extra_filter(node)
            if failure is not None:
                verdict = (failure, 0, 0, 0, 0, 0, False)
        verdicts.append(verdict)
        if verdict[0] is None:
            if verdict[6]:
                adjust.append(len(totals))
            totals.append(verdict[5])
            feasible.append(node)
            feasible_verdicts.append(verdict)
            if len(feasible) >= to_find:
                break
    if len(verdicts) < len(nodes):
        nodes = nodes[: len(verdicts)]  # the nodes actually checked, for the decisions and `processed`

    if not feasible:
        failures = [v[0] for v in verdicts if v[0] is not None]
        message = fit_error_message(
            num_all,
            reason_counts(failures),
            postfilter_message=preemption_message(num_all, failures, info.preemption_never),
        )
        rejected = frozenset(f.plugin for f in failures)
        return ScheduleResult(key, None, message, num_all, 0, rejected, nodes=nodes, verdicts=verdicts)

    if len(feasible) == 1:
        # Upstream skips scoring when there is nothing to choose between.
        return ScheduleResult(key, feasible[0].name, "", num_all, 1, nodes=nodes, verdicts=verdicts)

    taint_max, affinity_max = 0, None
    if adjust or info.preferred_affinity is not None:
        taint_max, affinity_max = _adjust_totals(info, totals, feasible_verdicts, adjust, profile or DEFAULT_PROFILE)
    others = _add_pod_scores(cycle, feasible, totals, profile or DEFAULT_PROFILE) if cycle is not None else {}
    chosen = _pick(totals, feasible, rng)
    scoring = _Scoring(totals, taint_max, affinity_max, balanced_on, others)
    return ScheduleResult(
        key, chosen.name, "", num_all, len(feasible), nodes=nodes, verdicts=verdicts, scoring=scoring
    )


def _add_pod_scores(
    cycle: PodCycle, feasible: Sequence[NodeInfo], totals: list[int], profile: Profile
) -> dict[str, list[int]]:
    """PodTopologySpread and InterPodAffinity's weighted normalised scores, added to the totals."""
    others = cycle.scores(feasible)
    for plugin, values in others.items():
        weight = profile.weight(plugin)
        totals[:] = [total + weight * value for total, value in zip(totals, values, strict=True)]
    return others
