"""Deployments: READY UP-TO-DATE AVAILABLE; enter shows the deployment's pods (by its selector, as k9s does)."""

from __future__ import annotations

from .colours import ready_ratio_category
from .rows import RowState
from .spec import ViewSpec
from .table import TableView


class DeploymentsView(TableView):
    view_name = "deployments"

    def category(self, state: RowState) -> str:
        return ready_ratio_category(self.cell(state, "READY"))

    def drill(self, state: RowState) -> ViewSpec | None:
        meta = state.obj["metadata"]
        return ViewSpec(view="pods", kind="Pod", namespace=meta.get("namespace"),
                        selector=self.backend.workload_selector(state.obj))
