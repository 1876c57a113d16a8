"""`:sources`: every object the watched folders declare, with its sync and health status, and their errors.

Argo CD's application view, flattened into a k9s table: one row per declared object (FILE:LINE, sync status,
health) and one per current manifest error. The table is small (what the folders declare, not what the cluster
runs), so it is simply recomputed every second and repainted only when a row's text changed.

`w` (write the live values of the declared fields back to the file) and `S` (re-sync the live object to its
manifest) say what they will change and ask first, when there is something to change; ctrl-s re-syncs every
drifted object.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from .. import actions
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
# backend.source_drift's lines: `spec.replicas: 2 → 4 (live)`, or `… (live, managed by "kubectl" with …)`
DRIFT_LINE = re.compile(r"^(?P<path>.+?): (?P<declared>.*) → (?P<live>.*) \(live(?:, (?P<note>.*))?\)$")
NOT_DECLARED, MISSING = "<not declared>", "<missing>"  # format_diff's words for a side without the field
SHOWN_CHANGES = 6  # a dialog lists this many changes, then says how many more


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
    NAME_COLUMN = COLUMNS.index("NAME")
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
        self.seek_cursor(last_try=True)  # every row is in at once
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

    def drift(self, row: SourceRow) -> list[tuple[str, str, str]]:
        """(field, declared, live) for each field where the live object differs from its manifest."""
        try:
            text = self.backend.source_drift(row.object_key) if row.object_key is not None else ""
        except BackendError:
            return []
        return [(m["path"], m["declared"], m["live"]) for line in text.splitlines() if (m := DRIFT_LINE.match(line))]

    def _ask(self, host: Host, title: str, question: str, changes: list[str], ok: str,
             then: Callable[[], Awaitable[str]]) -> None:
        shown = [f"  {change}" for change in changes[:SHOWN_CHANGES]]
        if len(changes) > SHOWN_CHANGES:
            shown.append(f"  and {len(changes) - SHOWN_CHANGES} more")

        def refreshed() -> None:
            if self.is_attached:
                self.refresh_rows()

        actions.confirm(host, title, "\n".join([question, *shown]), ok, then, after=refreshed)

    @staticmethod
    def _object(row: SourceRow) -> str:
        return f"{row.kind.lower()} {row.namespace}/{row.name}" if row.namespace else f"{row.kind.lower()} {row.name}"

    async def do_resync(self, host: Host, _: Key) -> None:
        """`S`: the live object set back to its manifest; what changes is said, and asked, first."""
        if (row := self.object_row(host, "re-sync")) is None or row.object_key is None:
            return
        key = row.object_key
        changes = [f"{path}: {live} → {declared}" for path, declared, live in self.drift(row)]
        if not changes:  # nothing would change: nothing to ask
            await self._run(host, self.backend.resync(row.object_key))
            return
        self._ask(host, "Re-sync", f"Re-sync {self._object(row)} to {row.location}? The live object changes back:",
                  changes, "Re-sync", lambda: self.backend.resync(key))

    async def do_resync_all(self, host: Host, _: Key) -> None:
        await self._run(host, self.backend.resync())

    async def do_write_back(self, host: Host, _: Key) -> None:
        """`w`: the live values of the declared fields written into the manifest; what changes is said, and asked,
        first."""
        if (row := self.object_row(host, "write back")) is None or row.object_key is None:
            return
        key = row.object_key
        # What write-back writes: declared fields whose live value differs (not those live lacks or adds).
        written = [(path, declared, live) for path, declared, live in self.drift(row)
                   if declared != live and NOT_DECLARED not in (declared, live) and MISSING not in (declared, live)]
        if not written:  # nothing would change: the backend says so
            await self._run(host, self.backend.write_back(row.object_key))
            return
        names = dict.fromkeys("replicas" if path.endswith(".replicas") else "images" if path.endswith(".image")
                              else "values" for path, _, _ in written)
        what = "values" if "values" in names else " and ".join(names)
        self._ask(host, "Write back", f"Write the live {what} of {self._object(row)} into {row.location}?",
                  [f"{path}: {declared} → {live}" for path, declared, live in written], "Write",
                  lambda: self.backend.write_back(key))


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
