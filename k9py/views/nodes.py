"""Nodes: STATUS ROLES AGE VERSION and k9s's CPU CPU/A %CPU MEM MEM/A %MEM; enter shows the pods on the node;
`c`/`u` cordon and uncordon it, `r` drains it, `f` fails or recovers it."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from .. import actions
from ..backend import NO_USAGE
from ..keys import Key
from .base import EDIT_KEY, MOVE_KEYS, OBJECT_KEYS
from .colours import node_category
from .rows import RowState
from .spec import ViewSpec
from .table import DELETE_KEY, DRILL_KEY, LIST_KEYS, MARK_KEYS, NAMESPACE_KEYS, TableView
from .usage import NODE_COLUMNS, node_cells

if TYPE_CHECKING:
    from ..actions import Host


class NodesView(TableView):
    view_name = "nodes"
    FOR_KIND = "Node"
    KEYS: ClassVar[tuple[Key, ...]] = (
        *MOVE_KEYS, DRILL_KEY, *NAMESPACE_KEYS, *OBJECT_KEYS, *MARK_KEYS, EDIT_KEY, DELETE_KEY,
        Key("c", "cordon", "Cordon", destructive=True),
        Key("u", "uncordon", "Uncordon", destructive=True),
        Key("f", "fail_node", "Fail/Recover", destructive=True, simulated=True),
        Key("r", "drain", "Drain", destructive=True),
        *LIST_KEYS,
    )

    def category(self, state: RowState) -> str:
        name = state.obj["metadata"]["name"]
        return node_category(self.cell(state, "STATUS"), self.backend.node_failed(name))

    def _columns(self) -> list[str]:
        columns = super()._columns()
        return [*columns, *NODE_COLUMNS] if self.backend.metrics_available() else columns

    def _cells(self, obj: actions.Obj) -> list[str]:
        cells = super()._cells(obj)
        if not self.backend.metrics_available():
            return cells
        # Only a view on screen asks for usage (a hidden one is repainted when shown): see PodsView._cells.
        return [*cells, *node_cells(self.backend.node_usage(obj) if self.display else NO_USAGE)]

    def drill(self, state: RowState) -> ViewSpec | None:
        return ViewSpec(view="pods", kind="Pod", namespace=None, node=state.obj["metadata"]["name"])

    def do_cordon(self, host: Host, _: Key) -> None:
        if (node := self.target(host)) is not None:
            actions.cordon(host, node, True)

    def do_uncordon(self, host: Host, _: Key) -> None:
        if (node := self.target(host)) is not None:
            actions.cordon(host, node, False)

    def do_fail_node(self, host: Host, _: Key) -> None:
        if (node := self.target(host)) is not None:
            actions.fail_node(host, node)

    def do_drain(self, host: Host, _: Key) -> None:
        if (node := self.target(host)) is not None:
            actions.drain(host, node)
