"""A plain-text, per-node account of a scheduling decision for describe-style views."""

from __future__ import annotations

from .scheduler import NodeDecision, ScheduleResult
from .scores import (
    BALANCED_ALLOCATION,
    INTER_POD_AFFINITY,
    NODE_AFFINITY,
    NODE_RESOURCES_FIT,
    POD_TOPOLOGY_SPREAD,
    SCORE_WEIGHTS,
    TAINT_TOLERATION,
)

__all__ = ["explain"]

_SCORE_COLUMNS = (
    (TAINT_TOLERATION, "TAINTS"),
    (NODE_AFFINITY, "AFFINITY"),
    (NODE_RESOURCES_FIT, "RESOURCES"),
    (BALANCED_ALLOCATION, "BALANCE"),
)
# Shown only when the plugin scored this pod, so a plain pod's table stays as narrow as before.
_OPTIONAL_COLUMNS = (
    (POD_TOPOLOGY_SPREAD, "SPREAD"),
    (INTER_POD_AFFINITY, "POD-AFFINITY"),
)


def _status(decision: NodeDecision) -> str:
    if decision.selected:
        return "selected"
    return "fits" if decision.passed else "rejected"


def _order(decision: NodeDecision) -> tuple[int, int, str]:
    # Chosen node first, then the runners-up best first, then rejections by name.
    if decision.selected:
        return (0, 0, decision.node_name)
    if decision.passed:
        return (1, -(decision.total or 0), decision.node_name)
    return (2, 0, decision.node_name)


def _row(decision: NodeDecision, scored: bool, columns: tuple[tuple[str, str], ...]) -> list[str]:
    row = [decision.node_name, _status(decision)]
    if scored:
        for plugin, _ in columns:
            value = decision.scores.get(plugin) if decision.passed else None
            row.append("-" if value is None else str(value))
        row.append("-" if decision.total is None else str(decision.total))
    if decision.passed:
        row.append("")
    else:
        reasons = ", ".join(decision.reasons)
        row.append(f"{decision.plugin}: {reasons}")
    return row


def explain(result: ScheduleResult) -> str:
    """Headline plus a table: one row per node with its verdict, scores or rejection reason."""
    if result.scheduled:
        headline = (
            f"Pod {result.pod_key} scheduled to {result.node_name}: "
            f"{result.feasible_nodes}/{result.num_all_nodes} nodes feasible."
        )
    else:
        headline = f"Pod {result.pod_key} is unschedulable: {result.message}"
    decisions = sorted(result.decisions, key=_order)
    if not decisions:
        return headline

    scored = any(d.total is not None for d in decisions)
    columns = _SCORE_COLUMNS + tuple(
        column for column in _OPTIONAL_COLUMNS if any(d.scores.get(column[0]) is not None for d in decisions)
    )
    header = ["NODE", "RESULT"]
    if scored:
        header += [f"{label}(x{SCORE_WEIGHTS[plugin]})" for plugin, label in columns]
        header.append("TOTAL")
    header.append("REASON")
    rows = [header] + [_row(d, scored, columns) for d in decisions]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [headline]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)
