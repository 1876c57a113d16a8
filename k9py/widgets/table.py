"""The resource table: a DataTable whose only own keys are the arrows, so everything else reaches the key table."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist


class Cell(Text):
    """A table cell that can carry the row's sort key (DataTable's sort sees cells, never row keys)."""

    sort_key: Any = None


class ResourceTable(DataTable[Text], inherit_bindings=False):
    # `enter` is deliberately absent: the main screen's key table decides what enter does in each view.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", show=False),
        Binding("down", "cursor_down", show=False),
        Binding("left", "scroll_left", show=False),
        Binding("right", "scroll_right", show=False),
        Binding("pageup", "page_up", show=False),
        Binding("pagedown", "page_down", show=False),
        Binding("home", "scroll_top", show=False),
        Binding("end", "scroll_bottom", show=False),
    ]

    DEFAULT_CSS = """
    ResourceTable {
        height: 1fr;
        background: $k9-table-bg;
        color: $k9-table-fg;
        scrollbar-size-vertical: 1;
    }
    ResourceTable > .datatable--header {
        background: $k9-header-bg;
        color: $k9-header-fg;
        text-style: bold;
    }
    ResourceTable > .datatable--cursor {
        background: $k9-cursor-bg;
        color: $k9-cursor-fg;
        text-style: none;
    }
    ResourceTable > .datatable--hover {
        background: transparent;
    }
    ResourceTable:focus > .datatable--cursor {
        background: $k9-cursor-bg;
        color: $k9-cursor-fg;
    }
    """

    def __init__(self) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, show_cursor=True, cursor_foreground_priority="css")

    def selected_key(self) -> str | None:
        if self.row_count == 0:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except CellDoesNotExist:  # the cursor can sit past the end for a frame after rows were removed
            return None
        return key.value
