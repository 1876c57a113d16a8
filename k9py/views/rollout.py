"""ctrl-l on a deployment or a daemon set: its rollout, live. `kubectl rollout status` with the counts behind it,
then the revision history (`kubectl rollout history` with each revision's ReplicaSet or ControllerRevision, images
and readiness), where ctrl-l rolls back to the selected revision (`kubectl rollout undo --to-revision`).

The panel is a few lines and a handful of rows, so it is simply recomputed whenever the workload or one of its
revisions changes (and every second, for the ages and pod counts) and repainted only when what it shows changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static

from .. import actions
from ..backend import Backend, BackendError, Change, RolloutRevision, RolloutStatus, Subscription
from ..keys import Key
from ..theme import Theme
from ..widgets.table import ResourceTable
from .base import MOVE_KEYS, OBJECT_KEYS, ViewMixin, table_frame_css
from .rollout_render import REVISION_KINDS, columns_for, render_progress, revision_category, revision_cells
from .spec import ViewSpec

Obj = dict[str, Any]
FRAME_SECONDS = 0.1
REFRESH_SECONDS = 1.0
Row = tuple[str, tuple[str, ...], str]  # (ReplicaSet or ControllerRevision name, cells, colour category)

if TYPE_CHECKING:
    from ..actions import Host


class RolloutView(ViewMixin, Vertical):
    DEFAULT_CSS = table_frame_css("RolloutView") + """
    RolloutView > #rollout-progress {
        height: auto;
        padding: 0 1 1 1;
        background: $k9-table-bg;
    }
    """

    view_name = "rollout"
    # y and d show the panel's workload; ctrl-l rolls it back to the selected revision
    KEYS: ClassVar[tuple[Key, ...]] = (*MOVE_KEYS, *OBJECT_KEYS,
                                       Key("ctrl+l", "rollback_revision", "Rollback", destructive=True))
    ONE_OBJECT = True

    def __init__(self, spec: ViewSpec, backend: Backend, skin: Theme) -> None:
        super().__init__()
        self.spec, self.backend, self.skin = spec, backend, skin
        self.kind = backend.resolve(spec.kind or "Deployment")
        self.namespace = spec.namespace or "default"
        self.progress = Static(id="rollout-progress")
        self.table = ResourceTable()
        self.status: RolloutStatus | None = None
        self.revisions: dict[str, RolloutRevision] = {}
        self.gone = False
        self._painted: list[Row] = []
        self._painted_progress: tuple[object, ...] = ()
        self.progress_text = ""  # what the progress lines say, uncoloured (tests and smoke checks)
        self._subscriptions: list[Subscription] = []

    def compose(self) -> ComposeResult:
        yield self.progress
        yield self.table

    def on_mount(self) -> None:
        self.table.set_columns(columns_for(self.kind.kind))
        self._subscriptions = [self.backend.subscribe(self.backend.resolve(kind), self.namespace)
                               for kind in (self.kind.kind, REVISION_KINDS.get(self.kind.kind, "ReplicaSet"))]
        for subscription in self._subscriptions:
            subscription.drain()  # the backlog is the current state, which refresh_panel reads anyway
        self.refresh_panel()
        self.set_interval(FRAME_SECONDS, self._pump)
        self.set_interval(REFRESH_SECONDS, self.refresh_panel)
        self.take_focus(self.table)

    def on_unmount(self) -> None:
        for subscription in self._subscriptions:
            subscription.close()
        self._subscriptions = []

    def _concerns(self, change: Change) -> bool:
        meta = change.obj.get("metadata") or {}
        if change.obj.get("kind") == self.kind.kind:
            return meta.get("name") == self.spec.name
        return any(ref.get("kind") == self.kind.kind and ref.get("name") == self.spec.name
                   for ref in meta.get("ownerReferences") or ())

    def _pump(self) -> None:
        changed = False
        for subscription in self._subscriptions:
            changed |= any(self._concerns(change) for change in subscription.drain())
        if changed:
            self.refresh_panel()

    def refresh_panel(self) -> None:
        try:
            status = self.backend.rollout_status(self.spec.name, self.namespace, self.kind.kind)
            revisions = self.backend.rollout_revisions(self.spec.name, self.namespace, self.kind.kind)
        except BackendError as exc:
            self._show_gone(str(exc))
            return
        self.gone, self.status = False, status
        self.revisions = {rev.replica_set: rev for rev in revisions}
        self._paint_progress(("ok", status), lambda: render_progress(status, self.skin))
        self._paint_rows([(rev.replica_set, revision_cells(rev), revision_category(rev, status))
                          for rev in revisions])
        self.update_title()

    def _show_gone(self, reason: str) -> None:
        self.gone, self.status, self.revisions = True, None, {}

        def gone() -> Text:
            return Text(f"{self.kind.singular} {self.namespace}/{self.spec.name} is gone: {reason}",
                        style=f"bold {self.skin.error}")

        self._paint_progress(("gone", reason), gone)
        self._paint_rows([])
        self.update_title()

    def _paint_progress(self, signature: tuple[object, ...], render: Callable[[], Text]) -> None:
        if signature != self._painted_progress:
            self._painted_progress = signature
            text = render()
            self.progress_text = text.plain
            self.progress.update(text)

    def _paint_rows(self, rows: list[Row]) -> None:
        """Rebuild the history, keeping the cursor on the same revision holder (a rollback renumbers it)."""
        if rows == self._painted:
            return
        self.table.show_list((key, values, self.skin.status(category)) for key, values, category in rows)
        self._painted = rows
        self.seek_cursor(last_try=True)

    # --- what the main screen asks -------------------------------------------------------------------------

    def title(self) -> Text:
        skin = self.skin
        count = () if self.gone else (("[", skin.title_fg), (str(len(self.revisions)), f"bold {skin.title_counter}"),
                                      ("]", skin.title_fg))
        return self.object_title("rollout", f"{self.kind.singular}/{self.namespace}/{self.spec.name}",
                                 "deleted" if self.gone else "", count)

    def history(self) -> list[tuple[str, ...]]:
        """The history rows as shown, top to bottom (tests and smoke checks)."""
        return [values for _, values, _ in self._painted]

    def selected_revision(self) -> RolloutRevision | None:
        key = self.table.selected_key()
        return self.revisions.get(key) if key is not None else None

    def selected(self) -> Obj | None:
        """The workload itself, so y and d show it."""
        return self.backend.get(self.kind, self.spec.name, self.namespace)

    def move(self, how: str) -> None:
        self.table.move(how)

    def focus_target(self) -> Widget:
        return self.table

    def cursor_table(self) -> ResourceTable:
        return self.table

    def do_rollback_revision(self, host: Host, _: Key) -> None:
        revision = self.selected_revision()
        if revision is None:
            host.flash("nothing selected", "warn")
            return
        actions.rollback_to(host, self.spec.name, self.namespace, revision, self.kind.kind)
