"""Per pod template, every node's verdict laid out in node-list order, for scheduling by slices.

A cycle checks a window of up to hundreds of nodes, and nearly every verdict comes from a NodeInfo memo
because only about one node changes between cycles. Keeping each template's verdicts side by side, and
refreshing just the nodes its `ChangeLog` names, lets the scheduler find a window's end and its feasible nodes with
bytearray counts, list slices and compress instead of a Python loop per node.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import compress
from typing import Any, NamedTuple

from .node_info import ChangeLog, NodeInfo

__all__ = ["VerdictRows", "Window"]

# Rows kept at once; past that the least recently used template's row is dropped (rebuilt on next use).
_ROWS_LIMIT = 64

Verdict = tuple[Any, ...]  # scheduler.Verdict; kept loose here to avoid an import cycle
Lookup = Callable[[NodeInfo], Verdict]


class Window(NamedTuple):
    """What the loop would have gathered over the nodes it checks, each list in the order checked."""

    checked: list[NodeInfo]
    verdicts: list[Verdict]
    feasible: list[NodeInfo]
    totals: list[int]  # the feasible nodes' `base` totals: a fresh list, for the caller to adjust
    adjust: list[int]  # indexes into `feasible` of the nodes whose scores need normalising
    feasible_verdicts: Sequence[Verdict]  # read only at `adjust`, so empty when that is


# What a node's verdict means for the fast path, one byte per node so C-level count/find scan a window.
FAILS, PLAIN, NORMALISED = 0, 1, 2
# Extending a window past its failing nodes converges in a few rounds unless nearly every node fails.
_MAX_ROUNDS = 16


def kind_of(verdict: Verdict) -> int:
    """FAILS, PLAIN (passes, total is final) or NORMALISED (passes, score needs the other nodes' raw counts)."""
    if verdict[0] is not None:
        return FAILS
    return NORMALISED if verdict[6] else PLAIN


class _Row:
    """One template's verdicts, totals and kinds by node index, current as of `epoch`/`seen` in the change log."""

    __slots__ = ("epoch", "kinds", "seen", "totals", "verdicts")

    def __init__(self, nodes: Sequence[NodeInfo], lookup: Lookup, changes: ChangeLog) -> None:
        self.epoch = changes.epoch
        self.seen = len(changes.entries)
        self.verdicts: list[Verdict] = [lookup(node) for node in nodes]
        self.totals: list[int] = [verdict[5] for verdict in self.verdicts]
        self.kinds = bytearray(kind_of(verdict) for verdict in self.verdicts)

    def refresh(self, index: int, verdict: Verdict) -> None:
        self.verdicts[index] = verdict
        self.totals[index] = verdict[5]
        self.kinds[index] = kind_of(verdict)

    def window(self, nodes: list[NodeInfo], start: int, to_find: int) -> Window | None:
        """What the loop checks from `start` (wrapping) until `to_find` nodes pass; None if the end is slow to find."""
        count = len(nodes)
        end = self._end(start, to_find, count)
        if end is None:
            return None
        checked = _circular(nodes, start, end, count)
        verdicts = _circular(self.verdicts, start, end, count)
        totals = _circular(self.totals, start, end, count)
        fails = self._any(FAILS, start, end, count)
        if not fails and not self._any(NORMALISED, start, end, count):
            return Window(checked, verdicts, checked, totals, [], ())
        kinds = _circular(self.kinds, start, end, count)  # FAILS is the only 0: a ready compress selector
        adjust = _normalised(kinds)
        if not fails:
            return Window(checked, verdicts, checked, totals, adjust, verdicts)
        feasible_verdicts = list(compress(verdicts, kinds)) if adjust else ()
        return Window(
            checked, verdicts, list(compress(checked, kinds)), list(compress(totals, kinds)), adjust, feasible_verdicts
        )

    def _end(self, start: int, to_find: int, count: int) -> int | None:
        """The loop's stopping point: just past the `to_find`-th passing node, or a full turn when there aren't as many.

        Each round moves the end to where it would be if the nodes past it all passed; that never overshoots the
        true end (failures only grow with the range), and it stops moving exactly there.
        """
        limit = start + count
        end = min(start + to_find, limit)
        for _ in range(_MAX_ROUNDS):
            further = min(start + to_find + self._count(FAILS, start, end, count), limit)
            if further == end:
                return end
            end = further
        return None

    def _count(self, kind: int, start: int, end: int, count: int) -> int:
        if end <= count:
            return self.kinds.count(kind, start, end)
        return self.kinds.count(kind, start, count) + self.kinds.count(kind, 0, end - count)

    def _any(self, kind: int, start: int, end: int, count: int) -> bool:
        if end <= count:
            return self.kinds.find(kind, start, end) != -1
        return self.kinds.find(kind, start, count) != -1 or self.kinds.find(kind, 0, end - count) != -1


def _normalised(kinds: bytearray) -> list[int]:
    """Where the NORMALISED nodes fall among the passing ones: their positions less the failures before them."""
    out: list[int] = []
    fails = seen = 0
    at = kinds.find(NORMALISED)
    while at != -1:
        fails += kinds.count(FAILS, seen, at)
        out.append(at - fails)
        seen = at
        at = kinds.find(NORMALISED, at + 1)
    return out


def _circular(items: Sequence[Any], start: int, end: int, count: int) -> Any:
    """items[start:end] read round the end of the list (end <= start + count)."""
    if end <= count:
        return items[start:end]
    return items[start:] + items[: end - count]


class VerdictRows:
    """Verdict rows for one node list; a different list object starts afresh.

    Only NodeInfos made with this object's `changes` log can be followed (`row` returns None for a list with
    any other). The list must not be changed in place (the controller builds a new one when nodes come or go),
    and NodeInfos must change only through their own methods, which the memo already relies on.
    """

    def __init__(self) -> None:
        self.changes = ChangeLog()
        self._nodes: list[NodeInfo] = []
        self._index: dict[NodeInfo, int] = {}
        self._followed = False  # every node of `_nodes` records its changes in `changes`
        self._rows: dict[int, _Row] = {}

    def row(self, signature: int, nodes: list[NodeInfo], lookup: Lookup) -> _Row | None:
        """The row for a template, brought up to date with every node change since it was last used; None for
        nodes whose changes this log does not see."""
        # A list holding one NodeInfo twice never matches its index, so it is rebuilt each time: slow but right.
        if nodes is not self._nodes or len(nodes) != len(self._index):
            self._reset(nodes)
        if not self._followed:
            return None
        row = self._rows.pop(signature, None)
        if row is None or not self._catch_up(row, lookup):
            row = _Row(nodes, lookup, self.changes)
        if len(self._rows) >= _ROWS_LIMIT:
            del self._rows[next(iter(self._rows))]
        self._rows[signature] = row  # reinserted last: the dict's order is least recently used first
        return row

    def _reset(self, nodes: list[NodeInfo]) -> None:
        self._nodes = nodes
        self._index = {node: i for i, node in enumerate(nodes)}
        self._followed = all(node.changes is self.changes for node in nodes)
        self._rows.clear()

    def _catch_up(self, row: _Row, lookup: Lookup) -> bool:
        """Refresh the nodes changed since the row was last current; False when rebuilding is as cheap or needed."""
        entries = self.changes.entries
        if row.epoch != self.changes.epoch or len(entries) - row.seen > len(self._nodes):
            return False
        index = self._index
        for node in entries[row.seen :]:
            i = index.get(node)
            if i is not None:  # the log also holds nodes since deleted
                row.refresh(i, lookup(node))
        row.seen = len(entries)
        return True
