"""The FailedScheduling / PodScheduled=False message (`framework.FitError.Error`).

Also the PostFilter part: DynamicResources' "no new claims to deallocate" (a pod without resource claims), then
DefaultPreemption's, as a v1.36 scheduler joins them. `preemption_message` is DefaultPreemption's verdict when no
node holds a pod of lower priority; `preemption.py` writes it when some do.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from .filters import FilterFailure

__all__ = [
    "NO_NODES_AVAILABLE",
    "NO_VICTIMS",
    "POSTFILTER_PREFIX",
    "PREEMPTION_NEVER",
    "PREEMPTION_NOT_HELPFUL",
    "fit_error_message",
    "preemption_message",
    "reason_counts",
]

NO_NODES_AVAILABLE = "no nodes available to schedule pods"
NO_VICTIMS = "No preemption victims found for incoming pod"
PREEMPTION_NOT_HELPFUL = "Preemption is not helpful for scheduling"
PREEMPTION_NEVER = "not eligible due to preemptionPolicy=Never."
# DynamicResources' PostFilter status for a pod with no claims, which RunPostFilterPlugins joins with ", ".
POSTFILTER_PREFIX = "no new claims to deallocate, "


def reason_counts(failures: Iterable[FilterFailure]) -> Counter[str]:
    """How many nodes gave each reason; a node failing several resources counts in each. Counted by reason tuple
    first: on a large cluster most nodes fail alike (hundreds of `Insufficient cpu`), and this runs on every failed
    attempt of every pending pod."""
    counts: Counter[str] = Counter()
    for reasons, nodes in Counter(failure.reasons for failure in failures).items():
        for reason in reasons:
            counts[reason] += nodes
    return counts


def fit_error_message(
    num_all_nodes: int, counts: Mapping[str, int], prefilter_message: str = "", postfilter_message: str = ""
) -> str:
    """`0/N nodes are available: <sorted "count reason" list>. <postfilter message>`.

    The histogram is sorted as strings, like Go's sort.Strings, so "10 x" sorts before "2 y".
    A PreFilter rejection replaces the histogram with its own message.
    """
    message = f"0/{num_all_nodes} nodes are available:"
    if prefilter_message:
        message += f" {prefilter_message}."
    else:
        histogram = sorted(f"{count} {reason}" for reason, count in counts.items())
        if histogram:
            message += f" {', '.join(histogram)}."
    if postfilter_message:
        message += f" {postfilter_message}"
    return message


def preemption_message(num_all_nodes: int, failures: Iterable[FilterFailure], preemption_never: bool) -> str:
    """DefaultPreemption's verdict when it finds no candidate.

    Nodes rejected as Unschedulable are dry-run and, with no lower-priority pods to
    evict, report "No preemption victims found"; the rest (UnschedulableAndUnresolvable,
    or never evaluated) count as "Preemption is not helpful for scheduling".
    """
    if preemption_never:
        return f"{POSTFILTER_PREFIX}preemption: {PREEMPTION_NEVER}"
    tried = sum(1 for failure in failures if not failure.unresolvable)
    counts: dict[str, int] = {}
    if tried:
        counts[NO_VICTIMS] = tried
    if num_all_nodes - tried:
        counts[PREEMPTION_NOT_HELPFUL] = num_all_nodes - tried
    return f"{POSTFILTER_PREFIX}preemption: " + fit_error_message(num_all_nodes, counts)
