"""Nodes: STATUS ROLES AGE VERSION; enter shows the pods on the node; c/u cordon, f fails or recovers it."""

from __future__ import annotations

from .colours import node_category
from .rows import RowState
from .spec import ViewSpec
from .table import TableView


class NodesView(TableView):
    view_name = "nodes"

    def category(self, state: RowState) -> str:
        name = state.obj["metadata"]["name"]
        return node_category(self.cell(state, "STATUS"), self.backend.node_failed(name))

    def drill(self, state: RowState) -> ViewSpec | None:
        return ViewSpec(view="pods", kind="Pod", namespace=None, node=state.obj["metadata"]["name"])
