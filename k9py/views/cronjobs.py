"""CronJobs: enter shows the Jobs a CronJob created (as k9s does), and enter on one of those shows its pods.

A CronJob's Jobs carry no label of their own (only its template's labels), so the Jobs view is constrained by
the controller reference, as the CronJob controller itself finds them (getJobsToBeReconciled)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from .. import actions
from ..keys import Key
from .base import EDIT_KEY, MOVE_KEYS, OBJECT_KEYS
from .generic import GenericView
from .rows import RowState
from .spec import ViewSpec
from .table import DELETE_KEY, DRILL_KEY, JUMP_OWNER_KEY, LIST_KEYS, MARK_KEYS, NAMESPACE_KEYS, TableView

if TYPE_CHECKING:
    from ..actions import Host

Obj = dict[str, Any]


class CronJobsView(TableView):
    view_name = "cronjobs"
    FOR_KIND = "CronJob"
    KEYS: ClassVar[tuple[Key, ...]] = (
        *MOVE_KEYS, DRILL_KEY, *NAMESPACE_KEYS, *OBJECT_KEYS, JUMP_OWNER_KEY, *MARK_KEYS, EDIT_KEY, DELETE_KEY,
        Key("t", "trigger", "Trigger", destructive=True), *LIST_KEYS,
    )

    def category(self, state: RowState) -> str:
        return "completed" if self.cell(state, "SUSPEND") == "True" else "normal"

    def do_trigger(self, host: Host, _: Key) -> None:
        if (obj := self.target(host)) is not None:
            actions.trigger(host, self.kind, obj)

    def drill(self, state: RowState) -> ViewSpec | None:
        meta = state.obj["metadata"]
        return ViewSpec(view=CronJobJobsView.view_name, kind="Job", namespace=meta.get("namespace"),
                        name=meta.get("name", ""))


class CronJobJobsView(GenericView):
    """The Jobs one CronJob controls (`spec.name` is the CronJob's name); otherwise the Jobs' generic table."""

    view_name = "cronjob-jobs"

    def _make_constraint(self) -> Any:
        owner = self.spec.name

        def controlled(job: Obj) -> bool:
            return any(ref.get("controller") and ref.get("kind") == "CronJob" and ref.get("name") == owner
                       for ref in (job.get("metadata") or {}).get("ownerReferences") or ())

        return controlled

    def constraint_label(self) -> str:
        return f"cronjob/{self.spec.name}"

    @classmethod
    def crumb(cls, spec: ViewSpec) -> str:
        return "jobs"
