"""Any kind without a screen of its own (leases, jobs, daemon sets, and whatever the engine adds next), with the
engine's kubectl columns, coloured by the kind's health. Its keys follow from what the kind offers: `s` if it
scales, `r` if it restarts, ctrl-l if it has revisions, enter if it owns pods."""

from __future__ import annotations

from typing import ClassVar

from ..backend import Backend, KindRef
from ..keys import Key
from ..theme import Theme
from .base import EDIT_KEY, MOVE_KEYS, OBJECT_KEYS
from .rows import RowState
from .spec import ViewSpec
from .table import (
    DELETE_KEY,
    DRILL_KEY,
    JUMP_OWNER_KEY,
    LIST_KEYS,
    MARK_KEYS,
    NAMESPACE_KEYS,
    RESTART_KEY,
    ROLLOUT_KEY,
    SCALE_KEY,
    TableView,
)

# Row colours from the kind's own health (Argo CD's words), for kinds without a view that knows their columns.
HEALTH_CATEGORY = {"Healthy": "normal", "Progressing": "pending", "Suspended": "completed", "Degraded": "error",
                   "Missing": "error"}
# The keys a capability brings, by action.
CAPABILITY_KEYS: dict[str, str] = {"enter": "owns_pods", "scale": "scalable", "restart": "restartable",
                                   "rollout": "rollout"}


def offers(kind: KindRef, key: Key) -> bool:
    capability = CAPABILITY_KEYS.get(key.action)
    return capability is None or bool(getattr(kind, capability))


class GenericView(TableView):
    view_name = "generic"
    # Every key any kind may bring (the screen binds them all); each view keeps those its kind offers.
    KEYS: ClassVar[tuple[Key, ...]] = (
        *MOVE_KEYS, DRILL_KEY, *NAMESPACE_KEYS, *OBJECT_KEYS, JUMP_OWNER_KEY, *MARK_KEYS, EDIT_KEY, DELETE_KEY,
        SCALE_KEY, RESTART_KEY, ROLLOUT_KEY, *LIST_KEYS,
    )

    def __init__(self, spec: ViewSpec, backend: Backend, skin: Theme) -> None:
        super().__init__(spec, backend, skin)
        self.KEYS = tuple(key for key in type(self).KEYS if offers(self.kind, key))  # type: ignore[misc]

    def category(self, state: RowState) -> str:
        return HEALTH_CATEGORY.get(self.backend.health(self.kind, state.obj), "normal")

    @classmethod
    def crumb(cls, spec: ViewSpec) -> str:
        return spec.kind.lower()
