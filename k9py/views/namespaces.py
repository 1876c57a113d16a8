"""Namespaces: enter switches to the namespace's pods (and makes it the current namespace, as in k9s)."""

from __future__ import annotations

from .colours import namespace_category
from .rows import RowState
from .spec import ViewSpec
from .table import TableView


class NamespacesView(TableView):
    view_name = "namespaces"

    def category(self, state: RowState) -> str:
        return namespace_category(self.cell(state, "STATUS"))

    def drill(self, state: RowState) -> ViewSpec | None:
        return ViewSpec(view="pods", kind="Pod", namespace=state.obj["metadata"]["name"])
