"""A table of rows that are not objects of one kind (the watched folders' objects, the aliases): a ResourceTable,
a text filter, and the main screen's questions about both; subclasses say what the rows are in `show_rows`."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget

from ..backend import Backend
from ..theme import Theme
from ..widgets.table import ResourceTable
from .base import ViewMixin
from .rows import RowFilter
from .spec import ViewSpec


class ListedView(ViewMixin, Vertical):
    NO_LABELS = "these rows have no labels: filter by text instead"
    NAME_COLUMN: ClassVar[int] = 0  # the column the fuzzy filter (`/-f`) matches

    def __init__(self, spec: ViewSpec, backend: Backend, skin: Theme) -> None:
        super().__init__()
        self.spec, self.backend, self.skin = spec, backend, skin
        self.table = ResourceTable()
        self._filter: RowFilter | None = None
        if spec.filter:
            self.set_filter(spec.filter)

    def compose(self) -> ComposeResult:
        yield self.table

    def show_rows(self) -> None:
        """Show the rows that pass the filter (on mount and when the filter changes)."""
        raise NotImplementedError

    def passes(self, cells: list[str]) -> bool:
        return self._filter is None or self._filter.matches({}, cells, name=cells[self.NAME_COLUMN])

    @property
    def row_count(self) -> int:
        return self.table.row_count

    def title(self) -> Text:
        extras = (f"/{self._filter.text}" if self._filter else "",)
        return self.title_text(self.view_name, None, self.row_count, extras, namespaced=False)

    @property
    def filter_text(self) -> str:
        return self._filter.text if self._filter else ""

    def set_filter(self, text: str) -> str | None:
        if text.strip().startswith("-l"):
            return self.NO_LABELS
        self._filter = RowFilter.parse(text, self.backend)
        if self.is_mounted:
            self.show_rows()
        return None

    def move(self, how: str) -> None:
        self.table.move(how)

    def focus_target(self) -> Widget:
        return self.table

    def cursor_table(self) -> ResourceTable:
        return self.table
