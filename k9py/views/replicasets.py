"""ReplicaSets: DESIRED CURRENT READY; enter shows the pods it selects; `s` scales; ctrl-l rolls its deployment
back to it."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from .. import actions
from ..keys import Key
from .base import EDIT_KEY, MOVE_KEYS, OBJECT_KEYS
from .colours import replicas_category
from .rows import RowState
from .table import DELETE_KEY, DRILL_KEY, JUMP_OWNER_KEY, LIST_KEYS, MARK_KEYS, NAMESPACE_KEYS, SCALE_KEY, TableView

if TYPE_CHECKING:
    from ..actions import Host


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0


class ReplicaSetsView(TableView):
    view_name = "replicasets"
    FOR_KIND = "ReplicaSet"
    KEYS: ClassVar[tuple[Key, ...]] = (
        *MOVE_KEYS, DRILL_KEY, *NAMESPACE_KEYS, *OBJECT_KEYS, JUMP_OWNER_KEY, *MARK_KEYS, EDIT_KEY, DELETE_KEY,
        SCALE_KEY,
        Key("ctrl+l", "rollback", "Rollback", destructive=True),
        *LIST_KEYS,
    )

    def category(self, state: RowState) -> str:
        desired = _int(self.cell(state, "DESIRED"))
        if desired == 0:
            return "completed"  # an old revision kept for rollback
        return replicas_category(_int(self.cell(state, "READY")), desired)

    def do_rollback(self, host: Host, _: Key) -> None:
        if (obj := self.target(host)) is not None:
            actions.rollback(host, self.kind, obj)
