"""Deployments: READY UP-TO-DATE AVAILABLE; enter shows the deployment's pods (by its selector, as k9s does); `s`
scales, `r` restarts, ctrl-l opens the rollout panel."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from .. import actions
from ..keys import Key
from .base import EDIT_KEY, MOVE_KEYS, OBJECT_KEYS
from .colours import ready_ratio_category
from .rows import RowState
from .spec import ViewSpec
from .table import DELETE_KEY, DRILL_KEY, JUMP_OWNER_KEY, LIST_KEYS, MARK_KEYS, NAMESPACE_KEYS, SCALE_KEY, TableView

if TYPE_CHECKING:
    from ..actions import Host


class DeploymentsView(TableView):
    view_name = "deployments"
    FOR_KIND = "Deployment"
    KEYS: ClassVar[tuple[Key, ...]] = (
        *MOVE_KEYS, DRILL_KEY, *NAMESPACE_KEYS, *OBJECT_KEYS, JUMP_OWNER_KEY, *MARK_KEYS, EDIT_KEY, DELETE_KEY,
        SCALE_KEY,
        Key("r", "restart", "Restart", destructive=True),
        # k9s users press ctrl-l on a deployment to roll back: here it opens the panel to pick the revision,
        # which only reads, so --readonly keeps it; the panel's own ctrl-l is the one that writes.
        Key("ctrl+l", "rollout", "Rollout/Rollback"),
        *LIST_KEYS,
    )

    def category(self, state: RowState) -> str:
        return ready_ratio_category(self.cell(state, "READY"))

    def drill(self, state: RowState) -> ViewSpec | None:
        meta = state.obj["metadata"]
        return ViewSpec(view="pods", kind="Pod", namespace=meta.get("namespace"),
                        selector=self.backend.workload_selector(state.obj))

    def do_restart(self, host: Host, _: Key) -> None:
        if (obj := self.target(host)) is not None:
            actions.restart(host, self.kind, obj)

    async def do_rollout(self, host: Host, _: Key) -> None:
        if (obj := self.target(host)) is not None:
            meta = obj["metadata"]
            await host.push(ViewSpec(view="rollout", kind="Deployment", namespace=meta.get("namespace"),
                                     name=meta["name"]))
