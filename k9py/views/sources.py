"""`:sources`: every object the watched folders declare, with its sync and health status, and their errors.

Argo CD's application view, flattened into a k9s table: one row per declared object (FILE:LINE, sync status,
health) and one per current manifest error. The table is small (what the folders declare, not what the cluster
runs), so it is simply recomputed every second and repainted only when a row's text changed.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical

from ..backend import Backend, BackendError, SourceRow
from ..theme import Theme
from ..widgets.table import ResourceTable
from .base import ViewMixin, table_frame_css
from .rows import RowFilter
from .spec import ViewSpec
from .text import TextView

Obj = dict[str, Any]
REFRESH_SECONDS = 1.0
COLUMNS = ("FILE", "KIND", "NAMESPACE", "NAME", "SYNC", "HEALTH", "MESSAGE")


def category(row: SourceRow) -> str:
    if row.is_error:
        return "error"
    # Pending (not "modified", which k9s flashes for a moment on any change): drift stays until re-synced.
    return "pending" if row.sync == "OutOfSync" else "normal"


def cells(row: SourceRow) -> list[str]:
    return [row.location, row.kind, row.namespace, row.name, row.sync, row.health, row.message]


class SourcesView(ViewMixin, Vertical):
    DEFAULT_CSS = table_frame_css("SourcesView")

    view_name = "sources"

    def __init__(self, spec: ViewSpec, backend: Backend, skin: Theme) -> None:
        super().__init__()
        self.spec, self.backend, self.skin = spec, backend, skin
        self.table = ResourceTable()
        self.rows: dict[str, SourceRow] = {}
        self._painted: list[tuple[str, list[str], str]] = []
        self._filter: RowFilter | None = None
        if spec.filter:
            self.set_filter(spec.filter)

    def compose(self) -> ComposeResult:
        yield self.table

    def on_mount(self) -> None:
        self.table.set_columns(COLUMNS)
        self.refresh_rows()
        self.set_interval(REFRESH_SECONDS, self.refresh_rows)
        self.take_focus(self.table)

    def refresh_rows(self) -> None:
        rows = self.backend.source_rows()
        self.rows = {row.key: row for row in rows}
        shown = [(row.key, cells(row), category(row)) for row in rows
                 if self._filter is None or self._filter.matches({}, cells(row))]
        if shown != self._painted:
            self._paint(shown)
        self.update_title()

    def _paint(self, shown: list[tuple[str, list[str], str]]) -> None:
        """Rebuild the table, keeping the cursor on the same row when it is still there."""
        self.table.show_list((key, values, self.skin.status(category)) for key, values, category in shown)
        self._painted = shown

    # --- what the main screen asks -------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self._painted)

    def title(self) -> Text:
        extras = (f"/{self._filter.text}" if self._filter else "",)
        return self.title_text("sources", None, self.row_count, extras, namespaced=False)

    @property
    def filter_text(self) -> str:
        return self._filter.text if self._filter else ""

    def set_filter(self, text: str) -> str | None:
        body = text.strip()
        if body.startswith("-l"):
            return "sources rows have no labels: filter by text instead"
        self._filter = RowFilter.parse(text, self.backend)
        if self.is_mounted:
            self.refresh_rows()
        return None

    def selected_row(self) -> SourceRow | None:
        key = self.table.selected_key()
        return self.rows.get(key) if key is not None else None

    def selected(self) -> Obj | None:
        row = self.selected_row()
        if row is None or row.is_error:
            return None
        try:
            return self.backend.get(self.backend.resolve(row.kind), row.name, row.namespace or None)
        except BackendError:
            return None

    def move(self, how: str) -> None:
        self.table.move(how)


class DriftView(TextView):
    """`d` in the sources view: how the live object differs from its manifest, then its describe text."""

    view_name = "drift"
    label = "drift"

    def render_body(self) -> str | None:
        key = (self.kind.kind, self.spec.namespace or "", self.spec.name)
        try:
            drift = self.backend.source_drift(key)
            described = self.backend.describe(self.kind, self.spec.name, self.spec.namespace)
        except BackendError:
            return None
        head = "Drift (declared → live):\n" + (
            "\n".join(f"  {line}" for line in drift.splitlines()) if drift else "  none: Synced")
        return f"{head}\n\n{described}"
