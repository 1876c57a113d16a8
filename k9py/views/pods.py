"""Pods: k9s's columns (NAME READY STATUS RESTARTS IP NODE AGE), coloured by status; enter shows containers."""

from __future__ import annotations

from .colours import pod_category
from .rows import RowState
from .spec import ViewSpec
from .table import TableView


class PodsView(TableView):
    view_name = "pods"
    PICK = ("NAME", "READY", "STATUS", "RESTARTS", "IP", "NODE", "AGE")

    def category(self, state: RowState) -> str:
        return pod_category(self.cell(state, "STATUS"), self.cell(state, "READY"))

    def drill(self, state: RowState) -> ViewSpec | None:
        meta = state.obj["metadata"]
        return ViewSpec(view="containers", kind="Pod", namespace=meta.get("namespace"), name=meta["name"])
