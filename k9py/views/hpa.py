"""HorizontalPodAutoscalers (`:hpa`, as in k9s): kubectl's columns NAME REFERENCE TARGETS MINPODS MAXPODS REPLICAS
AGE, coloured by Argo CD's HPA health (a metric it cannot read is red, an HPA not yet synced orange); enter opens
its chart (hpa_chart.py): replicas and each metric against its target over the last syncs."""

from __future__ import annotations

from typing import ClassVar

from ..keys import Key
from .base import EDIT_KEY, MOVE_KEYS, OBJECT_KEYS
from .generic import HEALTH_CATEGORY
from .rows import RowState
from .spec import ViewSpec
from .table import DELETE_KEY, JUMP_OWNER_KEY, LIST_KEYS, MARK_KEYS, NAMESPACE_KEYS, TableView

CHART_KEY = Key("enter", "enter", "Chart", group="navigation")


class HpaView(TableView):
    view_name = "hpa"
    FOR_KIND = "HorizontalPodAutoscaler"
    KEYS: ClassVar[tuple[Key, ...]] = (
        *MOVE_KEYS,
        CHART_KEY,
        *NAMESPACE_KEYS,
        *OBJECT_KEYS,
        JUMP_OWNER_KEY,
        *MARK_KEYS,
        EDIT_KEY,
        DELETE_KEY,
        *LIST_KEYS,
    )

    def category(self, state: RowState) -> str:
        return HEALTH_CATEGORY.get(self.backend.health(self.kind, state.obj), "normal")

    def drill(self, state: RowState) -> ViewSpec | None:
        meta = state.obj["metadata"]
        return ViewSpec(view="hpachart", kind=self.kind.kind, namespace=meta.get("namespace"), name=meta["name"])

    @classmethod
    def crumb(cls, spec: ViewSpec) -> str:
        return "hpa"
