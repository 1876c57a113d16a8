"""The live table every resource view is built on.

Rows are kept in a model keyed by object uid (plus a sub-key for views with several rows per object). Watch
events are drained once per frame (30 Hz) and coalesced; a row whose text, colour or place changed is handed to
the table, which repaints it only if it is on screen. A slower tick refreshes what changes with time alone (ages)
for the rows on screen and fades the added/modified highlights.
"""

from __future__ import annotations

import dataclasses
import gc
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget

from .. import actions
from ..backend import Backend, BackendError, Change, Subscription
from ..keys import Key
from ..theme import Theme
from ..widgets.table import ResourceTable, TableRow
from .base import EDIT_KEY, MOVE_KEYS, OBJECT_KEYS, ViewMixin, table_frame_css
from .rows import RowFilter, RowState, delta
from .spec import ViewSpec

if TYPE_CHECKING:
    from ..actions import Host

Obj = dict[str, Any]

FRAME_SECONDS = 1 / 30
TICK_SECONDS = 1.0
HIGHLIGHT_SECONDS = 3.0  # how long an added/modified row keeps its colour
# Past this many rows appearing or disappearing in one frame, one re-sort of the model beats row-by-row moves.
BULK_ROWS = 100
NARROW_REMOVALS = 500  # rows a narrowing filter takes out one by one; past this, the table is refilled
# A view of 10,000 objects takes about 0.3 s to print: it fills in over a few frames, this much work before
# each, so the keys stay live while it loads (k9s blocks until the whole list is in).
LOAD_BUDGET_SECONDS = 0.014
# The young generation's size once a view has loaded. Textual's strips cache themselves (a crop of the whole line is
# the strip), so every line painted is cyclic garbage: with engine.tune_gc's 50,000 (right for loading and for the
# engine's bursts) each gen-0 collection freed ~30,000 objects in a 110-127 ms pause that one key press waited
# behind; at 10,000 the pauses are at most ~16 ms (10,000 pods, 200 changes a second).
STEADY_GEN0_THRESHOLD = 10_000
FIRST_LOAD_ROWS = 60  # the first frame of a new view comes fast: a screenful of rows is enough
LOAD_STEP = 100

# The table views' keys, for each view to pick from in its KEYS (TableView.KEYS: the keys every object list has).
DRILL_KEY = Key("enter", "enter", "View", group="navigation")  # `drill`: where enter leads
NAMESPACE_KEYS: tuple[Key, ...] = (
    Key("0", "all_namespaces", "All namespaces", group="navigation", hint=False),
    Key("1", "favorite", "Favourite namespace (1-9)", display="1-9", group="navigation", hint=False),
    *(Key(str(n), "favorite", f"Favourite namespace {n}", group="navigation", hint=False, listed=False)
      for n in range(2, 10)),
)
JUMP_OWNER_KEY = Key("J", "jump_owner", "Jump owner", display="shift-j", hint=False)
# space marks rows for kill/delete, as in k9s; ctrl-space marks every row between the last mark and here
MARK_KEYS: tuple[Key, ...] = (
    Key("space", "mark", "Mark"),
    Key("ctrl+@", "mark_range", "Mark range", display="ctrl-space", hint=False),
    Key("ctrl+backslash", "clear_marks", "Clear marks", display="ctrl-\\", hint=False),
)
DELETE_KEY = Key("ctrl+d", "delete", "Delete", destructive=True)
SCALE_KEY = Key("s", "scale", "Scale", destructive=True)
RESTART_KEY = Key("r", "restart", "Restart", destructive=True)
# k9s users press ctrl-l on a deployment to roll back: here it opens the panel to pick the revision, which only
# reads, so --readonly keeps it; the panel's own ctrl-l is the one that writes.
ROLLOUT_KEY = Key("ctrl+l", "rollout", "Rollout/Rollback")
WIDE_KEY = Key("ctrl+w", "wide", "Wide", hint=False)
SORT_NAME_KEY = Key("N", "sort_name", "Sort by name", display="shift-n", hint=False)
SORT_AGE_KEY = Key("A", "sort_age", "Sort by age", display="shift-a", hint=False)
SORT_STATUS_KEY = Key("S", "sort_status", "Sort by status", display="shift-s", hint=False)
LIST_KEYS = (WIDE_KEY, SORT_NAME_KEY, SORT_AGE_KEY, SORT_STATUS_KEY)


class TableView(ViewMixin, Vertical):
    """A live table of one kind. Subclasses pick columns, colours, sort order, where enter leads and their keys."""

    DEFAULT_CSS = table_frame_css("TableView")

    KEYS: ClassVar[tuple[Key, ...]] = (*MOVE_KEYS, *NAMESPACE_KEYS, *OBJECT_KEYS, JUMP_OWNER_KEY, *MARK_KEYS,
                                       EDIT_KEY, DELETE_KEY, *LIST_KEYS)
    KEPT = True
    FOR_KIND: ClassVar[str] = ""  # the kind this is the table view of (`table_spec`); others get the generic one
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
        self._bulk = False  # model-only updates; the table is refilled at the end of the frame
        self._loading: list[Change] = []  # what existed at mount, loaded a frame's budget at a time
        self._loaded = 0
        self._load_queued = False  # the next slice waits for the frame after this one
        self._flashing: set[str] = set()  # rows whose added/modified highlight has yet to fade
        self._viewport: tuple[int, int, int] = (-1, -1, -1)
        self.sort_by = ""  # "", or a column the user sorted by with shift-N/A/S
        self.sort_descending = False
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
        for state in self._rows.values():
            state.row = None  # every row has a new place
        self._rebuild()
        self.update_title()
        return None

    def rows_for(self, obj: Obj) -> list[tuple[str, list[str]]]:
        """(sub-key, cells) for each row the object shows as; one row per object by default."""
        return [("", self._cells(obj))]

    def drill(self, state: RowState) -> ViewSpec | None:
        """Where enter leads: a kind that owns pods shows the pods its selector picks (as k9s does)."""
        if not self.kind.owns_pods:
            return None
        meta = state.obj["metadata"]
        return ViewSpec(view="pods", kind="Pod", namespace=meta.get("namespace"),
                        selector=self.backend.workload_selector(state.obj))

    def constraint_label(self) -> str:
        return self.spec.selector or self.spec.node or self.spec.name

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
        if self.spec.name:  # one object: a pod's containers, an owner jumped to, a pod's node
            name = self.spec.name
            checks.append(lambda o: o.get("metadata", {}).get("name") == name)
        if not checks:
            return None
        return lambda o: all(check(o) for check in checks)

    # --- lifecycle -----------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield self.table

    def on_mount(self) -> None:
        self.table.set_columns(self.columns)
        self.table.set_sort(None, self._reverse())
        self._subscription = self.backend.subscribe(self.kind, self.spec.namespace)
        self._loading = self._subscription.drain()  # ADDED for every object that exists now
        self._load_some(top=True)
        self._frame_timer = self.set_interval(FRAME_SECONDS, self._pump)
        self.set_interval(TICK_SECONDS, self._tick)
        self.take_focus(self.table)

    def hide(self) -> None:
        """Step aside for another view but stay live, so coming back is instant (the main screen keeps a few).
        A hidden view takes in its watch once a second instead of every frame, and paints nothing."""
        self.display = False
        self._frame_timer.pause()

    def show(self, filter_text: str) -> None:
        """Come back on screen as `hide` left it (cursor, sort order, marks), with `filter_text` applied.

        The first frame shows the rows as the view last took them in (at most a second ago), their ages and
        highlights caught up; what the watch brought since is taken in by the pump, which starts again right after
        that frame: on a busy cluster that is a couple of hundred rows to print, which made the switch wait."""
        self.display = True
        if filter_text != self.filter_text:
            self.set_filter(filter_text)
        self._tick()  # ages and highlights caught up for the rows now on screen
        self.take_focus(self.table)
        self.call_after_refresh(self._resume)

    def _resume(self) -> None:
        if self.display:  # not hidden again before its first frame
            self._frame_timer.resume()
            self._take_changes()

    def on_unmount(self) -> None:
        if self._subscription is not None:
            self._subscription.close()
            self._subscription = None
        gc.unfreeze()  # the widgets going away may form reference cycles only the collector can free

    def _pump(self) -> None:
        if self._loading and not self._load_queued:
            self._load_next()
        self._take_changes()
        viewport = (int(self.table.scroll_y), self.table.size.height, self.table.row_count)
        # Scrolled, or rows came or went above: rows coming into view may carry stale ages. Not while the view
        # fills in: its rows were all just built (a 10,000-pod view recomputed the screen's rows after every
        # slice, a third more rows worked out than it holds).
        if viewport != self._viewport and not self._loading:
            self._viewport = viewport
            self._refresh_viewport()

    def _take_changes(self) -> None:
        # While _load_some is at work, changes wait in the watch, so none is overtaken by an older copy.
        if self._subscription is not None and not self._loading:
            changes = self._subscription.drain()
            if changes:
                self._apply(changes)

    def _tick(self) -> None:
        """Ages move with the clock and highlights fade: refresh what is on screen, without marking it modified.

        Only rows in the viewport are recomputed (k9s re-renders every row every 2 s, which is what makes it slow
        on big clusters); off-screen rows catch up when scrolled into view or when the filter changes.
        """
        if not self.display:  # hidden: keep up with the watch, so it never holds more than a second's changes
            self._take_changes()
            return
        now = time.monotonic()
        for key in [k for k in self._flashing if k not in self._rows or self._rows[k].flash_until <= now]:
            self._flashing.discard(key)
            state = self._rows.get(key)
            if state is not None:
                # Repainted below if on screen, else when scrolled into view or refiltered (a mass change fades
                # thousands of rows at once, nearly all of them off screen).
                state.flash, state.deltas, state.row = "", {}, None
        self._refresh_viewport()

    def _refresh_viewport(self) -> None:
        uids = dict.fromkeys(state.uid for key in self.table.keys_on_screen() if (state := self._rows.get(key)))
        for uid in uids:
            obj = self._objects.get(uid)
            if obj is not None:
                self._upsert(obj, mark=False)
        self.update_title()

    # --- the model -----------------------------------------------------------------------------------------

    def _load_next(self) -> None:
        """Load a slice, and queue the next one for right after the frame that shows it: a big view fills in
        frame after frame, with keys handled in between. (Started by the pump, after the view's first frame: a
        callback queued while the view mounts could run before that frame.)"""
        self._load_queued = False
        self._load_some()
        if self._loading:
            self._load_queued = True
            self.call_after_refresh(self._load_next)

    def _load_some(self, top: bool = False) -> None:
        """Put the next objects that existed at mount into the table: a screenful for the view's first frame
        (`top`), then as many as a frame's budget allows."""
        deadline = time.perf_counter() + LOAD_BUDGET_SECONDS
        step = FIRST_LOAD_ROWS if top else LOAD_STEP
        start = self._loaded
        self._bulk = True  # rows are built here, and handed to the table together below
        while self._loaded < len(self._loading) and time.perf_counter() < deadline:
            for change in self._loading[self._loaded:self._loaded + step]:
                self._upsert(change.obj, mark=False)
            self._loaded += step
            if top:
                break
        self._bulk = False
        self._show_built([change.obj for change in self._loading[start:self._loaded]])
        if self._loaded >= len(self._loading):
            self._loading, self._loaded = [], 0
            self._keep_table_order()
            # The rows just built live as long as the view: take them (and the cluster's objects) out of the
            # cyclic collector's generations, which otherwise re-scan them in 250 ms pauses at 10,000 pods.
            # Reference counting still frees them; on_unmount hands them back to the collector.
            gc.freeze()
            gc.set_threshold(min(gc.get_threshold()[0], STEADY_GEN0_THRESHOLD), *gc.get_threshold()[1:])
        self.seek_cursor(last_try=not self._loading)
        self.update_title()

    def _show_built(self, objects: list[Obj]) -> None:
        """Hand the table, in one step, the rows just built for objects it does not hold yet."""
        rows = []
        for obj in objects:
            for key in self._by_uid.get(obj.get("metadata", {}).get("uid", ""), ()):
                state = self._rows[key]
                if self._visible(state):
                    state.shown = True
                    rows.append(self._painted_row(state))
        self.table.add_rows(rows)

    def _apply(self, changes: list[Change]) -> None:
        latest: dict[str, Change] = {}
        created: set[str] = set()
        for change in changes:
            uid = change.obj.get("metadata", {}).get("uid", "")
            if change.type == "ADDED":
                created.add(uid)
            latest[uid] = change
        added = [uid for uid, c in latest.items() if c.type != "DELETED" and uid not in self._objects]
        churn = sum(1 for c in latest.values() if c.type == "DELETED") + len(added)
        paged = len(added) > BULK_ROWS and churn == len(added)
        if paged:
            # Objects arriving in hundreds with nothing deleted (a real cluster's list, page after page): their rows
            # join the table as a view filling in does, without rebuilding the rows it holds (every 500-pod page
            # rebuilt and re-sorted all the rows before it: 105,000 rows painted for a 10,000-pod list).
            objects = [latest.pop(uid).obj for uid in added]
            self._bulk = True
            for obj in objects:
                self._upsert(obj, mark=True, new=True)
            self._bulk = False
            self._show_built(objects)
            gc.freeze()  # as a view that has filled in does (_load_some): these rows, too, live as long as the view
        self._bulk = churn > BULK_ROWS and not paged
        for uid, change in latest.items():
            if change.type == "DELETED":
                self._remove(uid)
                continue
            is_new = uid not in self._objects
            self._upsert(change.obj, mark=True, new=is_new or uid in created)
        if self._bulk:
            self._bulk = False
            self._rebuild()
        self.update_title()

    def _drop(self, state: RowState) -> None:
        if state.shown:
            state.shown, state.painted = False, ()
            if not self._bulk:
                self.table.remove(state.key)

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
                # A hidden view marks nothing: nobody sees it, and its usage cells stand in as 0 until it is shown
                # (pods, nodes), so a mark would read as a fall (`4000▽`) on coming back.
                if mark and self.display and cells != state.cells:
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
        return self._filter is None or self._filter.matches(state.obj, state.cells, state.text, state.ref or None)

    def _signature(self, state: RowState) -> tuple[Any, ...]:
        """Everything the table shows of a row: its text, colour and place."""
        category = self.category(state)
        if category == "normal" and state.flash:
            category = state.flash
        return tuple(state.cells), category, tuple(sorted(state.deltas.items())), self._order_key(state)

    def _table_row(self, state: RowState, painted: tuple[Any, ...]) -> TableRow:
        cells, category, deltas, order = painted
        if deltas:
            cells = tuple(cell + state.deltas.get(i, "") for i, cell in enumerate(cells))
        return TableRow(state.key, cells, self.skin.status(category), order, cell_colours=self.cell_colours(cells))

    def cell_colours(self, cells: tuple[str, ...]) -> tuple[tuple[int, str], ...]:
        """(column, style) of the cells coloured apart from their row; none by default."""
        return ()

    def _painted_row(self, state: RowState) -> TableRow:
        """The table row for `state`, painted anew if it changed since it was last painted."""
        if state.row is None:
            state.painted = self._signature(state)
            state.row = self._table_row(state, state.painted)
        return state.row

    def _sync(self, state: RowState) -> None:
        """Make the table show `state` as it is now, if anything it shows changed."""
        if self._bulk:
            state.row = None  # _rebuild paints it at the end of the frame
            return
        if not self._visible(state):
            self._drop(state)
            state.row = None  # it may have changed: _rebuild repaints it if a new filter shows it
            return
        painted = self._signature(state)
        if state.shown and painted == state.painted:
            return
        state.row = self._table_row(state, painted)
        self.table.upsert(state.row)
        state.shown, state.painted = True, painted

    def _rebuild(self, top: bool = False) -> None:
        """Refill the table from the model in one pass (initial load, new filter or order, mass changes)."""
        states = list(self._rows.values())
        # The filter matches the rows in one pass (RowFilter.passing), not row by row through _visible.
        passing = states if self._filter is None else self._filter.passing(states)
        if passing is not states:
            for state in states:
                state.shown = False
        rows = []
        for state in passing:
            state.shown = True
            rows.append(state.row if state.row is not None else self._painted_row(state))
        sorted_column = self._col_index.get(self.sort_by) if self.sort_by else None
        self.table.set_sort(sorted_column, self._reverse())
        self.table.replace_rows(rows, keep_cursor=not top)
        self._keep_table_order()

    def _keep_table_order(self) -> None:
        """Hold the model's rows in the table's order when the table shows them all: the next rebuild or narrowing
        then hands the table rows already in order, which Python's sort takes in one linear pass (in the store's
        order, the sort of 10,000 pod rows was 20 ms of each esc that cleared a filter)."""
        if self.table.row_count != len(self._rows):  # filtered: the table's order is not every row's
            return
        order = self.table.keys_in_order()
        if order != list(self._rows):
            self._rows = {key: self._rows[key] for key in order}

    def _narrow(self) -> None:
        """Apply a filter that passes a subset of the rows shown now (a word typed further, or the first letter
        typed): only the rows shown are matched, and if it passes them all (the first letters typed often do),
        nothing moves."""
        assert self._filter is not None
        shown = [state for state in self._rows.values() if state.shown]
        if len(shown) != self.table.row_count:  # not what the table holds (never seen): match every row
            self._rebuild()
            return
        passing = self._filter.passing(shown)
        dropped = len(shown) - len(passing)
        if dropped > NARROW_REMOVALS:
            for state in shown:
                state.shown = False
            for state in passing:
                state.shown = True
            self.table.replace_rows([self._painted_row(state) for state in passing])
            return
        for state in passing:
            if state.row is None:  # changed while hidden or in a bulk update: painted now
                self.table.upsert(self._painted_row(state))
        if dropped:
            # A few rows fail (the pods of kube-system, once "ap" is typed): taken out one by one, each in
            # O(log n), instead of handing the table 10,000 rows to sort and measure again.
            kept = set(map(id, passing))
            failing = [state for state in shown if id(state) not in kept]
            for state in failing:
                state.shown = False
            self.table.remove_rows((state.key for state in failing), fit=True)

    def _refilter(self, narrowing: bool = False) -> None:
        # Rows are matched on their cells as last computed: an off-screen row's age may be a tick behind, which
        # is not worth recomputing 10,000 rows on every keystroke.
        if narrowing:
            self._narrow()
        else:
            self._rebuild()
        self.update_title()

    # --- what the main screen asks -------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return self.table.row_count

    def visible_names(self) -> list[str]:
        """Names of the rows shown, in table order (tests and smoke checks)."""
        states = [self._rows[key] for key in self.table.row_keys() if key in self._rows]
        return [state.ref or state.obj.get("metadata", {}).get("name", "") for state in states]

    def title(self) -> Text:
        extras = (self.constraint_label(), f"/{self._filter.text}" if self._filter else "")
        return self.title_text(self.title_kind(), self.spec.namespace, self.row_count, extras, self.kind.namespaced)

    def title_kind(self) -> str:
        return self.kind.plural

    @property
    def filter_text(self) -> str:
        return self._filter.text if self._filter else ""

    def set_filter(self, text: str) -> str | None:
        try:
            new = RowFilter.parse(text, self.backend)
        except BackendError as exc:  # a malformed label selector
            return str(exc)
        if (new.text if new is not None else "") == self.filter_text:
            return None  # the filter applied as typed, entered: the rows shown are already the ones it passes
        # Without a filter every row is shown, so the first letter typed narrows too: it matches the rows in the
        # table, in the table's order, instead of every row of the model and a sort of them all.
        narrowing = new is not None and (self._filter is None or new.narrows(self._filter))
        self._filter = new
        if self.is_mounted:
            self._refilter(narrowing)
        return None

    def selected_state(self) -> RowState | None:
        key = self.table.selected_key()
        return self._rows.get(key) if key is not None else None

    def selected(self) -> Obj | None:
        state = self.selected_state()
        return state.obj if state is not None else None

    # --- marks (space): what kill and delete act on when there are any --------------------------------------

    def toggle_mark(self) -> None:
        key = self.table.selected_key()
        if key is not None:
            self.table.toggle_mark(key)
            self.table.action_cursor_down()  # k9s moves on, so space space space marks a run of rows

    def mark_range(self) -> int:
        self.table.mark_through(self.table.cursor_row)
        return len(self.table.marks)

    def clear_marks(self) -> int:
        count = len(self.table.marks)
        self.table.clear_marks()
        return count

    def marked(self) -> list[Obj]:
        """The marked objects in table order, each once (a pod's containers share the pod)."""
        uids: dict[str, Obj] = {}
        for key in self.table.row_keys():
            state = self._rows.get(key)
            if key in self.table.marks and state is not None:
                uids.setdefault(state.uid, state.obj)
        return list(uids.values())

    def drill_spec(self) -> ViewSpec | None:
        state = self.selected_state()
        return self.drill(state) if state is not None else None

    def move(self, how: str) -> None:
        self.table.move(how)

    @property
    def display_name(self) -> str:
        return self.kind.plural

    def focus_target(self) -> Widget:
        return self.table

    def cursor_table(self) -> ResourceTable:
        return self.table

    # --- keys ----------------------------------------------------------------------------------------------

    def target(self, host: Host) -> Obj | None:
        """The object under the cursor, or None after saying there is none."""
        obj = self.selected()
        if obj is None:
            host.flash("nothing selected", "warn")
        return obj

    async def do_enter(self, host: Host, _: Key) -> None:
        spec = self.drill_spec()
        if spec is None:
            if self.selected() is None:
                host.flash("nothing selected", "warn")
            return
        await host.push(spec)

    async def switch_namespace(self, host: Host, namespace: str | None) -> None:
        """0-9: `namespace` becomes the current one, and this view shows it."""
        host.namespace = namespace
        if not self.kind.namespaced:
            host.flash(f"namespace: {namespace or 'all'} ({self.kind.plural} are not namespaced)")
            return
        await host.show_namespace(namespace)

    async def do_all_namespaces(self, host: Host, _: Key) -> None:
        await self.switch_namespace(host, None)

    async def do_favorite(self, host: Host, key: Key) -> None:
        index = int(key.key) - 1
        if index >= len(host.favourites):
            host.flash(f"no favourite namespace <{key.key}>", "warn")
            return
        await self.switch_namespace(host, host.favourites[index])

    async def do_jump_owner(self, host: Host, _: Key) -> None:
        """shift-j: the object's controller (pod → ReplicaSet → Deployment), alone in its view (k9s's Jump Owner)."""
        if (obj := self.target(host)) is None:
            return
        meta = obj["metadata"]
        owner = next((r for r in meta.get("ownerReferences") or () if r.get("controller")), None)
        if owner is None:
            host.flash(f"{self.kind.singular}/{meta['name']} has no owner: nothing controls it", "warn")
            return
        try:
            kind = self.backend.resolve(owner["kind"])
        except BackendError as exc:
            host.flash(f"its owner {owner['kind']}/{owner['name']}: {exc}", "error")
            return
        from . import table_spec  # the registry of views, which imports this module

        spec = table_spec(kind.kind, meta.get("namespace") if kind.namespaced else None)
        await host.push(dataclasses.replace(spec, name=owner["name"]))

    def do_mark(self, host: Host, _: Key) -> None:
        self.toggle_mark()

    def do_mark_range(self, host: Host, _: Key) -> None:
        host.flash(f"{self.mark_range()} marked")

    def do_clear_marks(self, host: Host, _: Key) -> None:
        count = self.clear_marks()
        host.flash(f"{count} mark{'s' if count != 1 else ''} cleared" if count else "nothing marked")

    def do_edit(self, host: Host, _: Key) -> None:
        """`e`: the manifest that declares the object, in the user's editor."""
        if (obj := self.target(host)) is None:
            return
        meta = obj["metadata"]
        manifest = self.backend.manifest_of(self.kind, meta["name"], meta.get("namespace"))
        if manifest is None:
            owned = any(ref.get("controller") for ref in meta.get("ownerReferences") or ())
            host.flash(f"{self.kind.singular}/{meta['name']} is not declared in a watched folder: e edits manifests, "
                       f"not live objects{' (shift-j jumps to its owner)' if owned else ''}", "warn")
            return
        host.edit(manifest.path, manifest.line, manifest.shown)

    def do_delete(self, host: Host, _: Key) -> None:
        if marked := self.marked():
            actions.delete_marked(host, self.kind, marked, force=False, cleared=self.clear_marks)
        elif (obj := self.target(host)) is not None:
            actions.delete(host, self.kind, obj)

    def do_scale(self, host: Host, _: Key) -> None:
        if (obj := self.target(host)) is not None:
            actions.scale(host, self.kind, obj)

    def do_restart(self, host: Host, _: Key) -> None:
        if (obj := self.target(host)) is not None:
            actions.restart(host, self.kind, obj)

    async def do_rollout(self, host: Host, _: Key) -> None:
        if (obj := self.target(host)) is not None:
            meta = obj["metadata"]
            await host.push(ViewSpec(view="rollout", kind=self.kind.kind, namespace=meta.get("namespace"),
                                     name=meta["name"]))

    async def do_wide(self, host: Host, _: Key) -> None:
        await host.reopen(wide=not host.spec.wide)

    def sort(self, host: Host, column: str) -> None:
        if column == "STATUS" and "STATUS" not in self.columns:
            # events have a TYPE, not a STATUS; containers a STATE
            column = next((c for c in ("TYPE", "STATE") if c in self.columns), column)
        error = self.sort_column(column)
        if error:
            host.flash(error, "warn")
        else:
            host.flash(f"sorted by {column.lower()}, {'descending' if self.sort_descending else 'ascending'}")

    def do_sort_name(self, host: Host, _: Key) -> None:
        self.sort(host, "NAME")

    def do_sort_age(self, host: Host, _: Key) -> None:
        self.sort(host, "AGE")

    def do_sort_status(self, host: Host, _: Key) -> None:
        self.sort(host, "STATUS")
