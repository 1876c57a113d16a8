"""ReplicaSets: DESIRED CURRENT READY; enter shows the pods it selects; ctrl-l rolls its deployment back to it."""

from __future__ import annotations

from .colours import replicas_category
from .rows import RowState
from .spec import ViewSpec
from .table import TableView


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0


class ReplicaSetsView(TableView):
    view_name = "replicasets"

    def category(self, state: RowState) -> str:
        desired = _int(self.cell(state, "DESIRED"))
        if desired == 0:
            return "completed"  # an old revision kept for rollback
        return replicas_category(_int(self.cell(state, "READY")), desired)

    def drill(self, state: RowState) -> ViewSpec | None:
        meta = state.obj["metadata"]
        return ViewSpec(view="pods", kind="Pod", namespace=meta.get("namespace"),
                        selector=self.backend.workload_selector(state.obj))
