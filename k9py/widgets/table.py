"""The resource table: a virtual table that paints only the rows on screen.

Textual's DataTable keeps per-cell renderables and re-measures, re-sorts and removes rows in O(rows) steps, which
made a 10,000-pod view take seconds to open and a filter keystroke hundreds of milliseconds. This table keeps what
a k9s view needs and no more: rows in sort order (a bisected list, so a changed row moves in O(log n) compares),
one colour per row, and one cached line per row. A frame costs the lines on screen, whatever the table holds.

Row order is by each row's `sort_key` (ties broken by row key); `reverse` flips the display, not the list. The
cursor follows its row when rows are added or removed above it, as k9s's does.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

PADDING = 1  # blank cells either side of each column, as DataTable and k9s lay them out


@dataclass(slots=True)
class TableRow:
    key: str
    cells: tuple[str, ...]
    colour: str  # the row's foreground: a theme status colour
    sort_key: Any = None
    widths: tuple[int, ...] = ()
    # (column, style) of cells coloured apart from the row (k9s's %CPU/L over its thresholds); usually none.
    cell_colours: tuple[tuple[int, str], ...] = ()
    # (sort_key, key): the row's place in the table's order, made once, so that handing the table 10,000 rows
    # (a filter's first letter, its esc) sorts the rows' own tuples instead of allocating one per row.
    order: tuple[Any, str] = field(init=False)

    def __post_init__(self) -> None:
        self.order = (self.sort_key, self.key)
        if not self.widths:
            # One check for the whole row when it is printable ASCII, as nearly every row is (half the time of a
            # check per cell, over the 14 cells of each of 10,000 pod rows).
            joined = "".join(self.cells)
            measure = len if joined.isascii() and joined.isprintable() else _width
            self.widths = tuple(map(measure, self.cells))


def _width(cell: str) -> int:
    """The cells `cell` takes on screen: its length when it is printable ASCII, as nearly every cell is (rich's
    cell_len, a cache lookup per call, was a fifth of building a 10,000-pod view's rows)."""
    return len(cell) if cell.isascii() and cell.isprintable() else cell_len(cell)


@lru_cache(maxsize=256)
def _colour_style(colour: str) -> Style:
    return Style.parse(colour) if colour else Style()


class ResourceTable(ScrollView, can_focus=True):
    # `enter` is deliberately absent: the main screen's key table decides what enter does in each view.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", show=False),
        Binding("down", "cursor_down", show=False),
        Binding("left", "scroll_left", show=False),
        Binding("right", "scroll_right", show=False),
        Binding("pageup", "page_up", show=False),
        Binding("pagedown", "page_down", show=False),
        Binding("home", "cursor_top", show=False),
        Binding("end", "cursor_bottom", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "resource-table--header", "resource-table--cursor", "resource-table--sorter", "resource-table--mark",
    }

    DEFAULT_CSS = """
    ResourceTable {
        height: 1fr;
        background: $k9-table-bg;
        color: $k9-table-fg;
        /* No scrollbars, as in k9s: the title counts the rows, and a bar is a column of cells to paint anew on
           every scroll. Keys and the mouse wheel still scroll. */
        scrollbar-size-vertical: 0;
        scrollbar-size-horizontal: 0;
    }
    ResourceTable > .resource-table--header {
        background: $k9-header-bg;
        color: $k9-header-fg;
        text-style: bold;
    }
    ResourceTable > .resource-table--sorter {
        color: $k9-sorter;
        text-style: bold;
    }
    ResourceTable > .resource-table--cursor {
        background: $k9-cursor-bg;
        color: $k9-cursor-fg;
    }
    ResourceTable > .resource-table--mark {
        color: $k9-mark;
        text-style: bold;
    }
    """

    cursor_row: reactive[int] = reactive(0, always_update=True, repaint=False)

    def __init__(self) -> None:
        super().__init__()
        self.labels: list[str] = []
        self.widths: list[int] = []
        self.reverse = self._reverse_next = False
        self.sorted_column: int | None = None  # the header marks it with ↑/↓
        self._rows: dict[str, TableRow] = {}
        self._order: list[tuple[Any, str]] = []  # (sort_key, key), ascending
        self.marks: set[str] = set()
        self._lines: dict[str, tuple[int, Strip]] = {}  # key -> (paint generation, unstyled line)
        self._generation = 0  # bumped when column widths change: every cached line is stale
        self._header: Strip | None = None
        # The scrollable region's width and the rows it holds, measured at each resize and each full repaint:
        # Textual works the region out anew on every ask, and a burst of row updates asks once per row.
        self._width, self._body = 0, 1

    # --- columns and order -----------------------------------------------------------------------------------

    def set_columns(self, labels: Iterable[str]) -> None:
        self.labels = list(labels)
        self.widths = [cell_len(label) + 1 for label in self.labels]  # +1: room for the sort arrow
        self._relayout()

    def set_sort(self, column: int | None, reverse: bool) -> None:
        """How the header shows the order, and which way rows are displayed; takes effect at replace_rows, which
        reads the cursor's row in the order shown until then (a sort that flips the order keeps the cursor on its
        row, not at its index)."""
        self.sorted_column, self._reverse_next = column, reverse
        if not self._order:  # no cursor row to keep: rows added from now on are shown this way
            self.reverse = reverse

    @property
    def row_count(self) -> int:
        return len(self._order)

    def key_at(self, index: int) -> str | None:
        n = len(self._order)
        if not 0 <= index < n:
            return None
        return self._order[n - 1 - index if self.reverse else index][1]

    def row(self, key: str) -> TableRow | None:
        return self._rows.get(key)

    def index_of(self, key: str) -> int | None:
        row = self._rows.get(key)
        if row is None:
            return None
        i = bisect_left(self._order, row.order)
        return len(self._order) - 1 - i if self.reverse else i

    def keys_in_order(self) -> list[str]:
        """Every row key, ascending by sort key (the display order unless reversed)."""
        return [key for _, key in self._order]

    def row_keys(self) -> list[str]:
        """Every row key, in display order."""
        keys = self.keys_in_order()
        return keys[::-1] if self.reverse else keys

    def keys_on_screen(self) -> list[str]:
        first = int(self.scroll_y)
        return [key for i in range(first, min(self.row_count, first + self._body_height()))
                if (key := self.key_at(i)) is not None]

    # --- rows ------------------------------------------------------------------------------------------------

    def replace_rows(self, rows: Iterable[TableRow], keep_cursor: bool = True) -> None:
        """Show exactly `rows`; the cursor stays on its row when that row is still there."""
        selected = self.selected_key() if keep_cursor else None
        index = self.cursor_row if keep_cursor else 0
        self.reverse = self._reverse_next
        self._rows = {row.key: row for row in rows}
        # Each row's own (sort_key, key) tuple: nothing allocated per row; rows handed over in order (the model
        # keeps them so) sort in one linear pass.
        self._order = sorted([row.order for row in self._rows.values()])
        self.marks &= self._rows.keys()
        self._fit_columns()  # which lays the table out again: every cached line goes
        target = self.index_of(selected) if selected is not None else None
        self._set_cursor(target if target is not None else index)

    def _fit_columns(self) -> None:
        """Size each column to its widest cell (or label) among the rows held, and lay the table out again."""
        widths = [cell_len(label) + 1 for label in self.labels]
        if self._rows:
            # Over the distinct widths only: a few hundred among 10,000 pod rows, a quarter of the time of a
            # column-by-column pass over every row (a filter's first letter or its esc measures them all).
            distinct = {row.widths for row in self._rows.values()}
            widest = [max(column) for column in zip(*distinct, strict=False)]
            widths = [max(w, widest[i]) if i < len(widest) else w for i, w in enumerate(widths)]
        self.widths = widths
        self._relayout()

    def add_rows(self, rows: list[TableRow]) -> None:
        """Add rows the table does not hold yet (a view filling in): the cursor stays at the top until the user
        moves it, and then stays on its row."""
        if not rows:
            return
        selected = self.selected_key() if self.cursor_row else None
        shown = self.keys_on_screen()
        for row in rows:
            self._rows[row.key] = row
        added = sorted([row.order for row in rows])
        merge = bool(self._order) and added[0] < self._order[-1]
        self._order.extend(added)
        if merge:  # two sorted runs: merged in one pass (which still compares every row held, to find the runs)
            self._order.sort()
        # else they all come after the rows held, as a view filling in in the store's order adds them: the sorts of
        # a 10,000-pod view's ~90 slices were 6 % of its open's profile
        widths = [max([width, *(row.widths[i] for row in rows if i < len(row.widths))])
                  for i, width in enumerate(self.widths)]
        if widths != self.widths:
            self.widths = widths
            self._relayout()
        else:
            self._resize()
            # A view filling in adds rows below the screen nearly every time: the screen's lines are as painted
            # (repainting them was a third of each frame of a 10,000-pod view's first second).
            if self.keys_on_screen() != shown:
                self.refresh()
        self._follow(selected)

    def show_list(self, rows: Iterable[tuple[str, Iterable[str], str]]) -> None:
        """Show (key, cells, colour) rows in the order given (views that rebuild their whole list each time)."""
        self.replace_rows(TableRow(key, tuple(cells), colour, i) for i, (key, cells, colour) in enumerate(rows))

    def upsert(self, row: TableRow) -> None:
        """Add a row or update one in place, moving it if its sort key changed."""
        old = self._rows.get(row.key)
        self._lines.pop(row.key, None)
        if old is not None and old.sort_key == row.sort_key:
            self._rows[row.key] = row
            if not self._grow(row):
                self._refresh_row(row.key)
            return
        selected = self.selected_key()
        if old is not None:
            del self._order[bisect_left(self._order, old.order)]
        self._rows[row.key] = row
        insort(self._order, row.order)
        self._grow(row)
        self._resize()
        self._follow(selected)
        self.refresh()

    def remove(self, key: str) -> None:
        self.remove_rows([key])

    def remove_rows(self, keys: Iterable[str], fit: bool = False) -> None:
        """Take rows out, each in O(log n); the cursor stays on its row, or the next row left takes a removed
        one's place under it. `fit`: size the columns to the rows left (a filter narrowing; rows deleted one by
        one leave the columns as they are, which a watch's 200 deletions a second would otherwise re-measure)."""
        doomed = self._rows.keys() & set(keys)
        if not doomed:
            return
        selected = self.selected_key()
        successor = selected
        if selected in doomed:
            index = self.cursor_row + 1
            while (successor := self.key_at(index)) in doomed:
                index += 1
        for key in doomed:
            row = self._rows.pop(key)
            del self._order[bisect_left(self._order, row.order)]
            self._lines.pop(key, None)
        self.marks -= doomed
        if fit:
            self._fit_columns()
        else:
            self._resize()
        if selected in doomed:
            target = self.index_of(successor) if successor is not None else None
            self._set_cursor(target if target is not None else self.row_count - 1)
        else:
            self._follow(selected)
        self.refresh()

    def clear(self) -> None:
        self.replace_rows((), keep_cursor=False)

    def _grow(self, row: TableRow) -> bool:
        grew = False
        for i, width in enumerate(row.widths):
            if i < len(self.widths) and width > self.widths[i]:
                self.widths[i] = width
                grew = True
        if grew:
            self._relayout()
        return grew

    def _relayout(self) -> None:
        self._generation += 1
        self._lines.clear()
        self._header = None
        self._resize()
        self.refresh()

    def _resize(self) -> None:
        size = Size(sum(self.widths) + 2 * PADDING * len(self.widths), len(self._order) + 1)
        if size != self.virtual_size:
            # Set without a layout: the table's region does not depend on what it holds (1fr, no scrollbars), and
            # a layout repaints every widget on screen, for each slice of a view filling in and each row a filter
            # or the watch adds or removes. The scroll position is kept within it, as a layout would.
            self.set_reactive(ResourceTable.virtual_size, size)
            self._scroll_update(size)

    # --- marks (space) ---------------------------------------------------------------------------------------

    def toggle_mark(self, key: str) -> bool:
        if key in self.marks:
            self.marks.discard(key)
        elif key in self._rows:
            self.marks.add(key)
        self._refresh_row(key)
        return key in self.marks

    def mark_through(self, index: int) -> None:
        """Mark every row from the nearest marked one above `index` (else below it) through `index`."""
        marked = [i for key in self.marks if (i := self.index_of(key)) is not None]
        above = [i for i in marked if i <= index]
        start = max(above) if above else min(marked, default=index)
        first, last = sorted((start, index))
        self.marks.update(key for i in range(first, last + 1) if (key := self.key_at(i)) is not None)
        self.refresh()

    def clear_marks(self) -> None:
        self.marks.clear()
        self.refresh()

    # --- the cursor ------------------------------------------------------------------------------------------

    def selected_key(self) -> str | None:
        return self.key_at(self.cursor_row)

    def _follow(self, key: str | None) -> None:
        """Keep the cursor on `key` after rows moved around it."""
        if key is None:
            self._set_cursor(self.cursor_row)
            return
        index = self.index_of(key)
        if index is not None and index != self.cursor_row:
            self.set_reactive(ResourceTable.cursor_row, index)  # the same row: not a move the user made
            self._scroll_to_cursor()

    def _set_cursor(self, index: int) -> None:
        self.cursor_row = max(0, min(index, self.row_count - 1))

    def move_cursor(self, row: int, animate: bool = False) -> None:
        self._set_cursor(row)

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._refresh_index(old)
        self._refresh_index(new)
        self._scroll_to_cursor()

    def _measure(self) -> None:
        region = self.scrollable_content_region
        self._width, self._body = region.width, max(1, region.height - 1)

    def _body_height(self) -> int:
        return self._body

    def _scroll_to_cursor(self) -> None:
        top, height = int(self.scroll_y), self._body_height()
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + height:
            self.scroll_to(y=self.cursor_row - height + 1, animate=False, immediate=True)

    def move(self, how: str) -> None:
        """j/k/g/G from the main screen's key table."""
        {"down": self.action_cursor_down, "up": self.action_cursor_up, "top": self.action_cursor_top,
         "bottom": self.action_cursor_bottom}[how]()

    def action_cursor_down(self) -> None:
        self._set_cursor(self.cursor_row + 1)

    def action_cursor_up(self) -> None:
        self._set_cursor(self.cursor_row - 1)

    def action_cursor_top(self) -> None:
        self._set_cursor(0)

    def action_cursor_bottom(self) -> None:
        self._set_cursor(self.row_count - 1)

    def action_page_down(self) -> None:
        self._set_cursor(self.cursor_row + self._body_height())

    def action_page_up(self) -> None:
        self._set_cursor(self.cursor_row - self._body_height())

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:
            self._set_cursor(int(self.scroll_y) + event.y - 1)

    # --- painting --------------------------------------------------------------------------------------------

    def on_resize(self) -> None:
        self._measure()
        self._scroll_to_cursor()

    def _refresh_index(self, index: int) -> None:
        top = int(self.scroll_y)
        if top <= index < top + self._body_height():
            self.refresh_line(index + 1)

    def _refresh_row(self, key: str) -> None:
        index = self.index_of(key)
        if index is not None:
            self._refresh_index(index)

    def _row_strip(self, row: TableRow) -> Strip:
        cached = self._lines.get(row.key)
        if cached is not None and cached[0] == self._generation:
            return cached[1]
        pad = " " * PADDING
        cells = [f"{pad}{cell}{' ' * (width - own)}{pad}"
                 for cell, own, width in zip(row.cells, row.widths, self.widths, strict=False)]
        text = "".join(cells)
        if row.cell_colours:
            # The row's style goes under every segment (render_line); a coloured cell's own style wins over it.
            coloured = {i: _colour_style(colour) for i, colour in row.cell_colours}
            segments = [Segment(cell, coloured.get(i)) for i, cell in enumerate(cells)]
            strip = Strip(Segment.simplify(segments), cell_len(text))
        else:
            strip = Strip([Segment(text)], cell_len(text))
        self._lines[row.key] = (self._generation, strip)
        return strip

    def _header_strip(self) -> Strip:
        if self._header is None:
            header = self.get_component_rich_style("resource-table--header")
            sorter = header + self.get_component_rich_style("resource-table--sorter")
            segments: list[Segment] = []
            for i, (label, width) in enumerate(zip(self.labels, self.widths, strict=False)):
                arrow = ("↓" if self.reverse else "↑") if i == self.sorted_column else ""
                fill = " " * (width - cell_len(label) - len(arrow) + PADDING)
                segments.append(Segment(" " * PADDING + label, header))
                if arrow:
                    segments.append(Segment(arrow, sorter))
                segments.append(Segment(fill, header))
            self._header = Strip(segments)
        return self._header

    def render_line(self, y: int) -> Strip:
        if y == 0:  # a full repaint starts here: the region may have changed since the last one
            self._measure()
        width = self._width
        scroll_x = int(self.scroll_x)
        base = self.rich_style
        if y == 0:
            strip = self._header_strip()
            fill = self.get_component_rich_style("resource-table--header")
        else:
            index = int(self.scroll_y) + y - 1
            key = self.key_at(index)
            if key is None:
                return Strip.blank(width, base)
            row = self._rows[key]
            if index == self.cursor_row:
                style = base + self.get_component_rich_style("resource-table--cursor")
                if key in self.marks:
                    style += Style(bold=True)
            elif key in self.marks:
                style = base + self.get_component_rich_style("resource-table--mark")
            else:
                style = base + _colour_style(row.colour)
            strip = self._row_strip(row).apply_style(style)
            fill = style if index == self.cursor_row else base
        return strip.crop_extend(scroll_x, scroll_x + width, fill)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._header = None
        self.refresh()
