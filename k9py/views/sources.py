"""`:sources`: every object the watched folders declare, with its sync and health status, and their errors.

Argo CD's application view, flattened into a k9s table: one row per declared object (FILE:LINE, sync status,
health) and one per current manifest error. The table is small (what the folders declare, not what the cluster
runs), so it is simply recomputed every second and repainted only when a row's text changed.
"""

from __future__ import annotations

from collections.abc import Awaitable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ..backend import Backend, BackendError, SourceRow
from ..keys import Key
from ..theme import Theme
from .base import EDIT_KEY, MOVE_KEYS, table_frame_css
from .listed import ListedView
from .spec import ViewSpec
from .text import TextView

if TYPE_CHECKING:
    from ..actions import Host

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


class SourcesView(ListedView):
    DEFAULT_CSS = table_frame_css("SourcesView")

    view_name = "sources"
    NO_LABELS = "sources rows have no labels: filter by text instead"
    # `S` and `w` mean sort and wrap elsewhere; here they re-sync and write back
    KEYS: ClassVar[tuple[Key, ...]] = (
        *MOVE_KEYS, EDIT_KEY,
        Key("d", "source_drift", "Drift/Describe"),
        Key("S", "resync", "Re-sync", display="shift-s", destructive=True),
        Key("ctrl+s", "resync_all", "Re-sync all", destructive=True),
        Key("w", "write_back", "Write live to file", destructive=True),
    )

    def __init__(self, spec: ViewSpec, backend: Backend, skin: Theme) -> None:
        self.rows: dict[str, SourceRow] = {}
        self._painted: list[tuple[str, list[str], str]] = []
        super().__init__(spec, backend, skin)

    def on_mount(self) -> None:
        self.table.set_columns(COLUMNS)
        self.refresh_rows()
        self.set_interval(REFRESH_SECONDS, self.refresh_rows)
        self.take_focus(self.table)

    def refresh_rows(self) -> None:
        rows = self.backend.source_rows()
        self.rows = {row.key: row for row in rows}
        shown = [(row.key, cells(row), category(row)) for row in rows if self.passes(cells(row))]
        if shown != self._painted:
            self.table.show_list((key, values, self.skin.status(category)) for key, values, category in shown)
            self._painted = shown  # the cursor stays on its row when that row is still there
        self.update_title()

    show_rows = refresh_rows

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

    # --- keys ----------------------------------------------------------------------------------------------

    def object_row(self, host: Host, action: str) -> SourceRow | None:
        """The object row under the cursor, or None after flashing why `action` cannot apply."""
        row = self.selected_row()
        if row is None:
            host.flash("nothing selected", "warn")
            return None
        if row.is_error:
            host.flash(f"{row.location} is a manifest error, not an object: fix the file to {action} it", "warn")
            return None
        return row

    def do_edit(self, host: Host, _: Key) -> None:
        """`e`: the file that declares the object (or holds the error) at its line."""
        row = self.selected_row()
        if row is None or not row.path:
            host.flash("nothing selected", "warn")
            return
        host.edit(Path(row.path), row.line, row.location)

    async def do_source_drift(self, host: Host, _: Key) -> None:
        if (row := self.object_row(host, "describe")) is not None:
            await host.push(ViewSpec(view="drift", kind=row.kind, namespace=row.namespace or None, name=row.name))

    async def _run(self, host: Host, action: Awaitable[str]) -> None:
        await host.run(action)
        if self.is_attached:
            self.refresh_rows()  # show the new sync status now, not at the next tick

    async def do_resync(self, host: Host, _: Key) -> None:
        if (row := self.object_row(host, "re-sync")) is not None and row.object_key is not None:
            await self._run(host, self.backend.resync(row.object_key))

    async def do_resync_all(self, host: Host, _: Key) -> None:
        await self._run(host, self.backend.resync())

    async def do_write_back(self, host: Host, _: Key) -> None:
        if (row := self.object_row(host, "write back")) is not None and row.object_key is not None:
            await self._run(host, self.backend.write_back(row.object_key))


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
