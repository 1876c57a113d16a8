"""The live table every resource view is built on.

Rows are kept in a model keyed by object uid (plus a sub-key for views with several rows per object). Watch
events are drained once per frame (30 Hz) and coalesced, and only cells whose text or colour changed are written
to the DataTable (`update_cell`), so a busy cluster costs work proportional to what changed, not to the table.
A slower tick refreshes what changes with time alone (ages) and fades the added/modified highlights.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets.data_table import ColumnKey

from ..backend import Backend, BackendError, Change, Subscription
from ..theme import Theme
from ..widgets.table import Cell, ResourceTable
from .base import ViewMixin, table_frame_css
from .rows import RowFilter, RowState, delta
from .spec import ViewSpec

Obj = dict[str, Any]

FRAME_SECONDS = 1 / 30
TICK_SECONDS = 1.0
HIGHLIGHT_SECONDS = 3.0  # how long an added/modified row keeps its colour
# Past this many rows appearing or disappearing in one frame, rebuilding the table beats DataTable.remove_row,
# which is O(rows) per call (a 3000-pod filter took 30 s row by row, 50 ms rebuilt).
BULK_ROWS = 100
class TableView(ViewMixin, Vertical):
    """A live table of one kind. Subclasses pick columns, colours, sort order and where enter leads."""

    DEFAULT_CSS = table_frame_css("TableView")

    view_name = "generic"
    # Columns taken from the kind's wide row when not in wide mode (k9s shows IP and NODE for pods).
    PICK: ClassVar[tuple[str, ...]] = ()
    SORT_REVERSE: ClassVar[bool] = False

    def __init__(self, spec: ViewSpec, backend: Backend, skin: Theme) -> None:
        super().__init__()
        self.spec, self.backend, self.skin = spec, backend, skin
        self.kind = backend.resolve(spec.kind)
        self.all_namespaces = self.kind.namespaced and spec.namespace is None
        self.table = ResourceTable()
        self._rows: dict[str, RowState] = {}
        self._by_uid: dict[str, list[str]] = {}
        self._objects: dict[str, Obj] = {}
        self._filter: RowFilter | None = None
        self._constraint = self._make_constraint()
        self._subscription: Subscription | None = None
        self._pick: list[int] | None = None
        self.columns: list[str] = self._columns()
        self._col_index = {name: i for i, name in enumerate(self.columns)}
        self._shown = 0
        self._needs_sort = False  # a row was added: re-sort at the end of the frame
        self._bulk = False  # model-only updates; the table is rebuilt at the end of the frame
        self._flashing: set[str] = set()  # rows whose added/modified highlight has yet to fade
        self._viewport: tuple[int, int, int] = (-1, -1, -1)
        self.sort_by = ""  # "", or a column the user sorted by with shift-N/A/S
        self.sort_descending = False
        self._title_plain = ""
        if spec.filter:
            self.set_filter(spec.filter)

    # --- what subclasses customise -------------------------------------------------------------------------

    def category(self, state: RowState) -> str:
        return "normal"

    def sort_key(self, state: RowState) -> Any:
        meta = state.obj.get("metadata", {})
        return (meta.get("namespace", ""), meta.get("name", ""), state.ref)

    def _order_key(self, state: RowState) -> Any:
        """The view's own order, or the column the user picked (ties broken by the view's order)."""
        if self.sort_by == "NAME":
            return (state.obj.get("metadata", {}).get("name", ""), state.ref)
        if self.sort_by == "AGE":
            # ISO timestamps sort as text; newest first reads as youngest first, like k9s's AGE sort.
            return (state.obj.get("metadata", {}).get("creationTimestamp", ""), state.ref)
        if self.sort_by:
            return (self.cell(state, self.sort_by), self.sort_key(state))
        return self.sort_key(state)

    def _reverse(self) -> bool:
        return self.sort_descending if self.sort_by else self.SORT_REVERSE

    def sort_column(self, column: str) -> str | None:
        """Sort by NAME, AGE or STATUS (again: flip the order); returns an error when the view has no such column."""
        if column not in ("NAME", "AGE") and column not in self._col_index:
            return f"{self.title_kind()} have no {column} column"
        if self.sort_by == column:
            self.sort_descending = not self.sort_descending
        else:
            # AGE starts youngest first (latest creation time first), the others A to Z.
            self.sort_by, self.sort_descending = column, column == "AGE"
        self._rebuild()
        self._finish(sort=False)
        return None

    def rows_for(self, obj: Obj) -> list[tuple[str, list[str]]]:
        """(sub-key, cells) for each row the object shows as; one row per object by default."""
        return [("", self._cells(obj))]

    def drill(self, state: RowState) -> ViewSpec | None:
        return None

    def constraint_label(self) -> str:
        if self.spec.selector:
            return self.spec.selector
        return self.spec.node

    # --- columns and cells ---------------------------------------------------------------------------------

    def _columns(self) -> list[str]:
        columns = self.backend.columns(self.kind, wide=self.spec.wide)
        if self.PICK and not self.spec.wide:
            wide = self.backend.columns(self.kind, wide=True)
            self._pick = [wide.index(name) for name in self.PICK if name in wide]
            columns = [wide[i] for i in self._pick]
        return (["NAMESPACE"] if self.all_namespaces else []) + columns

    def _cells(self, obj: Obj) -> list[str]:
        if self._pick is not None:
            wide = self.backend.row(self.kind, obj, wide=True)
            row = [wide[i] for i in self._pick]
        else:
            row = self.backend.row(self.kind, obj, wide=self.spec.wide)
        if self.all_namespaces:
            return [obj.get("metadata", {}).get("namespace", ""), *row]
        return row

    def cell(self, state: RowState, column: str) -> str:
        i = self._col_index.get(column)
        return state.cells[i] if i is not None and i < len(state.cells) else ""

    def _make_constraint(self) -> Callable[[Obj], bool] | None:
        checks: list[Callable[[Obj], bool]] = []
        if self.spec.selector:
            checks.append(self.backend.label_matcher(self.spec.selector))
        if self.spec.node:
            node = self.spec.node
            checks.append(lambda o: (o.get("spec") or {}).get("nodeName") == node)
        if self.spec.name and self.view_name == "containers":
            name = self.spec.name
            checks.append(lambda o: o.get("metadata", {}).get("name") == name)
        if not checks:
            return None
        return lambda o: all(check(o) for check in checks)

    # --- lifecycle -----------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield self.table

    def on_mount(self) -> None:
        for i, name in enumerate(self.columns):
            self.table.add_column(name, key=f"c{i}")
        self._subscription = self.backend.subscribe(self.kind, self.spec.namespace)
        self._apply(self._subscription.drain(), initial=True)
        self.set_interval(FRAME_SECONDS, self._pump)
        self.set_interval(TICK_SECONDS, self._tick)
        self.table.focus()

    def on_unmount(self) -> None:
        if self._subscription is not None:
            self._subscription.close()
            self._subscription = None

    def _pump(self) -> None:
        if self._subscription is not None:
            changes = self._subscription.drain()
            if changes:
                self._apply(changes, initial=False)
        viewport = (int(self.table.scroll_y), self.table.size.height, self.table.row_count)
        if viewport != self._viewport:  # scrolled: rows coming into view may carry stale ages
            self._viewport = viewport
            self._refresh_viewport()

    def _tick(self) -> None:
        """Ages move with the clock and highlights fade: refresh what is on screen, without marking it modified.

        Only rows in the viewport are recomputed (k9s re-renders every row every 2 s, which is what makes it slow
        on big clusters); off-screen rows catch up when scrolled into view or when the filter changes.
        """
        now = time.monotonic()
        for key in [k for k in self._flashing if k not in self._rows or self._rows[k].flash_until <= now]:
            self._flashing.discard(key)
            state = self._rows.get(key)
            if state is not None:
                state.flash, state.deltas = "", {}
                self._sync(state)
        self._refresh_viewport()

    def _refresh_viewport(self) -> None:
        table = self.table
        first = max(0, int(table.scroll_y))
        last = min(table.row_count, first + table.size.height + 1)
        uids: dict[str, None] = {}
        for row in range(first, last):
            key = table.coordinate_to_cell_key((row, 0)).row_key.value
            state = self._rows.get(key or "")
            if state is not None:
                uids[state.uid] = None
        for uid in uids:
            obj = self._objects.get(uid)
            if obj is not None:
                self._upsert(obj, mark=False)
        self._finish(sort=False)

    # --- the model -----------------------------------------------------------------------------------------

    def _apply(self, changes: list[Change], initial: bool) -> None:
        latest: dict[str, Change] = {}
        created: set[str] = set()
        for change in changes:
            uid = change.obj.get("metadata", {}).get("uid", "")
            if change.type == "ADDED":
                created.add(uid)
            latest[uid] = change
        churn = sum(1 for uid, c in latest.items() if c.type == "DELETED" or uid not in self._objects)
        self._bulk = initial or churn > BULK_ROWS
        added = False
        for uid, change in latest.items():
            if change.type == "DELETED":
                self._remove(uid)
                continue
            is_new = uid not in self._objects
            added |= is_new
            self._upsert(change.obj, mark=not initial, new=is_new or uid in created)
        rebuilt = self._bulk
        if rebuilt:
            self._bulk = False
            self._rebuild(top=initial)
        self._finish(sort=added and not rebuilt)

    def _drop(self, state: RowState) -> None:
        if state.shown:
            state.shown = False
            self._shown -= 1
            if not self._bulk:
                self.table.remove_row(state.key)

    def _remove(self, uid: str) -> None:
        self._objects.pop(uid, None)
        for key in self._by_uid.pop(uid, []):
            self._drop(self._rows.pop(key))

    def _upsert(self, obj: Obj, mark: bool, new: bool = False) -> None:
        uid = obj.get("metadata", {}).get("uid", "")
        if self._constraint is not None and not self._constraint(obj):
            if uid in self._objects:
                self._remove(uid)  # e.g. a pod relabelled out of a deployment's selector
            return
        self._objects[uid] = obj
        now = time.monotonic()
        keys: list[str] = []
        for ref, cells in self.rows_for(obj):
            key = f"{uid}/{ref}" if ref else uid
            keys.append(key)
            state = self._rows.get(key)
            if state is None:
                state = RowState(key=key, uid=uid, obj=obj, cells=cells, ref=ref)
                self._rows[key] = state
                if mark:
                    state.flash, state.flash_until = "added", now + HIGHLIGHT_SECONDS
                    self._flashing.add(key)
            else:
                if mark and cells != state.cells:
                    for i, (old, value) in enumerate(zip(state.cells, cells, strict=False)):
                        if old != value and (sign := delta(old, value)):
                            state.deltas[i] = sign
                    if not (state.flash == "added" and state.flash_until > now):
                        state.flash = "added" if new else "modified"
                    state.flash_until = now + HIGHLIGHT_SECONDS
                    self._flashing.add(key)
                state.obj, state.cells = obj, cells
            if state.flash and state.flash_until <= now:
                state.flash, state.deltas = "", {}
            self._sync(state)
        for stale in set(self._by_uid.get(uid, [])) - set(keys):
            self._drop(self._rows.pop(stale))
        self._by_uid[uid] = keys

    def _visible(self, state: RowState) -> bool:
        return self._filter is None or self._filter.matches(state.obj, state.cells)

    def _signature(self, state: RowState) -> tuple[tuple[str, ...], str, tuple[tuple[int, str], ...]]:
        category = self.category(state)
        if category == "normal" and state.flash:
            category = state.flash
        return tuple(state.cells), category, tuple(sorted(state.deltas.items()))

    def _cell_text(self, state: RowState, i: int, colour: str) -> Text:
        value = state.cells[i] + state.deltas.get(i, "")
        cell = Cell(value, style=colour, no_wrap=True, overflow="ellipsis")
        if i == 0:
            cell.sort_key = self._order_key(state)
        return cell

    def _sync(self, state: RowState) -> None:
        """Make the DataTable show `state` as it is now, touching only what changed."""
        if self._bulk:
            return  # _rebuild paints everything at the end of the frame
        visible = self._visible(state)
        if not visible:
            if state.shown:
                self._drop(state)
                state.painted = ()
            return
        painted = self._signature(state)
        if state.shown and painted == state.painted:
            return
        colour = self.skin.status(painted[1])
        if not state.shown:
            self.table.add_row(*(self._cell_text(state, i, colour) for i in range(len(state.cells))), key=state.key)
            state.shown = True
            self._shown += 1
            self._needs_sort = True
        else:
            old_cells, old_category, old_deltas = state.painted
            repaint_all = old_category != painted[1] or old_deltas != painted[2]
            columns = self.table.columns
            for i in range(len(state.cells)):
                if repaint_all or i >= len(old_cells) or old_cells[i] != state.cells[i] or i == 0:
                    text = self._cell_text(state, i, colour)
                    # Only ask for a width update when the column must grow: a narrower cell makes DataTable
                    # re-measure the whole column, which turns a 1 s age refresh into O(rows^2).
                    column = columns.get(ColumnKey(f"c{i}"))
                    grow = column is not None and text.cell_len > column.content_width
                    self.table.update_cell(state.key, f"c{i}", text, update_width=grow)
        state.painted = painted

    def _finish(self, sort: bool) -> None:
        if sort or self._needs_sort:
            self._needs_sort = False
            self._sort()
        self._update_title()

    def _sort(self) -> None:
        selected = self.table.selected_key()
        self.table.sort("c0", key=lambda cell: cell.sort_key, reverse=self._reverse())
        if selected is not None and selected in self._rows and self._rows[selected].shown:
            self.table.move_cursor(row=self.table.get_row_index(selected), animate=False)

    def _rebuild(self, top: bool = False) -> None:
        """Repaint the whole table from the model in one pass (initial load, new filter, mass changes)."""
        table = self.table
        selected = None if top else table.selected_key()
        table.clear()
        visible = [state for state in self._rows.values() if self._visible(state)]
        visible.sort(key=self._order_key, reverse=self._reverse())
        for state in self._rows.values():
            state.shown, state.painted = False, ()
        for state in visible:
            painted = self._signature(state)
            colour = self.skin.status(painted[1])
            table.add_row(*(self._cell_text(state, i, colour) for i in range(len(state.cells))), key=state.key)
            state.shown, state.painted = True, painted
        self._shown = len(visible)
        self._needs_sort = False
        if selected is not None and selected in self._rows and self._rows[selected].shown:
            table.move_cursor(row=table.get_row_index(selected), animate=False)
        else:
            table.move_cursor(row=0, animate=False)

    def _refilter(self) -> None:
        # Cells of off-screen rows may be stale (see _tick): bring them up to date before matching.
        self._bulk = True
        for obj in list(self._objects.values()):
            self._upsert(obj, mark=False)
        self._bulk = False
        self._rebuild()
        self._finish(sort=False)

    # --- what the main screen asks -------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return self._shown

    def visible_names(self) -> list[str]:
        """Names of the rows shown, in table order (tests and smoke checks)."""
        out = []
        for i in range(self.table.row_count):
            key = self.table.coordinate_to_cell_key((i, 0)).row_key.value
            state = self._rows.get(key or "")
            if state is not None:
                out.append(state.ref or state.obj.get("metadata", {}).get("name", ""))
        return out

    def _update_title(self) -> None:
        title = self.title()
        if title.plain != self._title_plain:
            self._title_plain = title.plain
            self.border_title = title

    def title(self) -> Text:
        extras = (self.constraint_label(), f"/{self._filter.text}" if self._filter else "")
        return self.title_text(self.title_kind(), self.spec.namespace, self._shown, extras, self.kind.namespaced)

    def title_kind(self) -> str:
        return self.kind.plural

    @property
    def plain_title(self) -> str:
        return self._title_plain

    @property
    def filter_text(self) -> str:
        return self._filter.text if self._filter else ""

    def set_filter(self, text: str) -> str | None:
        try:
            new = RowFilter.parse(text, self.backend)
        except BackendError as exc:  # a malformed label selector
            return str(exc)
        self._filter = new
        if self.is_mounted:
            self._refilter()
        return None

    def selected_state(self) -> RowState | None:
        key = self.table.selected_key()
        return self._rows.get(key) if key is not None else None

    def selected(self) -> Obj | None:
        state = self.selected_state()
        return state.obj if state is not None else None

    def drill_spec(self) -> ViewSpec | None:
        state = self.selected_state()
        return self.drill(state) if state is not None else None

    def move(self, how: str) -> None:
        table = self.table
        if how == "down":
            table.action_cursor_down()
        elif how == "up":
            table.action_cursor_up()
        elif how == "top":
            table.move_cursor(row=0)
        elif how == "bottom":
            table.move_cursor(row=max(0, table.row_count - 1))
