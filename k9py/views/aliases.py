"""ctrl-a (`:aliases`): every resource `:` can open and the names it answers to, as k9s lists them; enter opens one."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical

from ..backend import Backend
from ..theme import Theme
from ..widgets.table import ResourceTable
from .base import ViewMixin, table_frame_css
from .rows import RowFilter
from .spec import ViewSpec

COLUMNS = ("RESOURCE", "COMMAND", "KIND", "NAMESPACED")


def alias_rows(backend: Backend, extra: dict[str, str], sources: tuple[str, ...]) -> list[tuple[str, list[str]]]:
    """(the command enter runs, cells) per resource, by name; `extra` maps k9s aliases to the plural they open."""
    rows = []
    for kind in backend.kinds():
        names = [*kind.names, *(alias for alias, plural in extra.items() if plural == kind.plural)]
        shortest = sorted(dict.fromkeys(names), key=lambda n: (len(n), n))
        rows.append((kind.plural, [kind.plural, ",".join(shortest), kind.kind, str(kind.namespaced).lower()]))
    rows.append((sources[0], [sources[0], ",".join(sorted(sources, key=len)), "(watched folders)", "false"]))
    return sorted(rows)


class AliasesView(ViewMixin, Vertical):
    DEFAULT_CSS = table_frame_css("AliasesView")

    view_name = "aliases"

    def __init__(self, spec: ViewSpec, backend: Backend, skin: Theme) -> None:
        super().__init__()
        self.spec, self.backend, self.skin = spec, backend, skin
        self.table = ResourceTable()
        self._filter: RowFilter | None = None
        if spec.filter:
            self.set_filter(spec.filter)

    def compose(self) -> ComposeResult:
        yield self.table

    def on_mount(self) -> None:
        self.table.set_columns(COLUMNS)
        self._paint()
        self.take_focus(self.table)

    def _paint(self) -> None:
        from .commands import ALIASES, SOURCES  # the command line's own tables (commands imports the views)

        colour = self.skin.status("normal")
        self.table.show_list((command, cells, colour) for command, cells in alias_rows(self.backend, ALIASES, SOURCES)
                             if self._filter is None or self._filter.matches({}, cells))
        self.update_title()

    # --- what the main screen asks -------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return self.table.row_count

    def title(self) -> Text:
        extras = (f"/{self._filter.text}" if self._filter else "",)
        return self.title_text("aliases", None, self.row_count, extras, namespaced=False)

    @property
    def filter_text(self) -> str:
        return self._filter.text if self._filter else ""

    def set_filter(self, text: str) -> str | None:
        if text.strip().startswith("-l"):
            return "aliases have no labels: filter by text instead"
        self._filter = RowFilter.parse(text, self.backend)
        if self.is_mounted:
            self._paint()
        return None

    def selected_command(self) -> str | None:
        """What enter types after `:` for the row under the cursor."""
        return self.table.selected_key()

    def move(self, how: str) -> None:
        self.table.move(how)
