"""Deployments: READY UP-TO-DATE AVAILABLE; enter shows the deployment's pods (by its selector, as k9s does); `s`
scales, `r` restarts, ctrl-l opens the rollout panel, shift-l sends it simulated load, `a` autoscales it (k9py's
own: k9s has no key for `kubectl autoscale`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from .. import actions
from ..keys import Key
from .base import EDIT_KEY, MOVE_KEYS, OBJECT_KEYS
from .colours import ready_ratio_category
from .load import LOAD_KEY
from .load import ask as ask_load
from .rows import RowState
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

if TYPE_CHECKING:
    from ..actions import Host

# In the ? help, not the hint bar: the deployments view's hints fit 80x24 as they are. It writes: not --readonly.
AUTOSCALE_KEY = Key("a", "autoscale", "Autoscale", destructive=True, hint=False)


class DeploymentsView(TableView):
    view_name = "deployments"
    FOR_KIND = "Deployment"
    KEYS: ClassVar[tuple[Key, ...]] = (
        *MOVE_KEYS, DRILL_KEY, *NAMESPACE_KEYS, *OBJECT_KEYS, JUMP_OWNER_KEY, *MARK_KEYS, EDIT_KEY, DELETE_KEY,
        SCALE_KEY, RESTART_KEY, ROLLOUT_KEY, LOAD_KEY, AUTOSCALE_KEY, *LIST_KEYS,
    )

    def category(self, state: RowState) -> str:
        return ready_ratio_category(self.cell(state, "READY"))

    def do_load(self, host: Host, _: Key) -> None:
        ask_load(host, "Deployment", self.target(host))

    def do_autoscale(self, host: Host, _: Key) -> None:
        obj = self.target(host)
        if obj is not None:
            actions.autoscale(host, self.kind, obj)
