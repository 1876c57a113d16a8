"""The `?` help: every key the current view answers, straight from the key table."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ..keys import GROUP_TITLES, Key
from ..theme import Theme


def help_table(keys: list[Key], view: str, skin: Theme) -> Table:
    grid = Table.grid(padding=(0, 4))
    groups = [g for g in GROUP_TITLES if any(k.group == g and k.listed for k in keys)]
    for _ in groups:
        grid.add_column(no_wrap=True)
    columns: list[Text] = []
    for group in groups:
        text = Text()
        text.append(f"{GROUP_TITLES[group]}\n", style=f"bold {skin.title_highlight}")
        for key in keys:
            if key.group != group or not key.listed:
                continue
            text.append(f"<{key.label}>".ljust(10), style=f"bold {skin.menu_key}")
            text.append(f" {key.description}\n", style=skin.menu_fg)
        text.rstrip()
        columns.append(text)
    grid.add_row(*columns)
    return grid


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        background: $background 50%;
    }
    HelpScreen > VerticalScroll {
        width: 90%;
        height: auto;
        max-height: 90%;
        border: round $k9-border-focus;
        border-title-color: $k9-title-fg;
        background: $k9-body-bg;
        padding: 1 2;
    }
    HelpScreen Static {
        width: 100%;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "close", "Close", show=False),
    ]

    def __init__(self, keys: list[Key], view: str, skin: Theme) -> None:
        super().__init__()
        self.keys, self.view, self.skin = keys, view, skin
        self.text = " ".join(f"<{k.label}> {k.description}" for k in keys if k.listed)

    def compose(self) -> ComposeResult:
        scroll = VerticalScroll()
        scroll.border_title = f" Help({self.view}) "
        with scroll:
            yield Static(help_table(self.keys, self.view, self.skin), id="help-body")

    def action_close(self) -> None:
        self.dismiss(None)
