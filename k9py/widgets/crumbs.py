"""The crumbs line: the view history, newest last (highlighted), as k9s shows it."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from ..theme import Theme


class Crumbs(Static):
    DEFAULT_CSS = """
    Crumbs {
        height: 1;
        background: $k9-body-bg;
        padding: 0 1;
    }
    """

    def __init__(self, skin: Theme) -> None:
        super().__init__(id="crumbs")
        self.skin = skin
        self.labels: list[str] = []

    def show(self, labels: list[str]) -> None:
        self.labels = list(labels)
        text = Text(no_wrap=True, overflow="ellipsis")
        for i, label in enumerate(labels):
            last = i == len(labels) - 1
            bg = self.skin.crumb_active if last else self.skin.crumb_bg
            text.append(f" <{label}> ", style=f"{self.skin.crumb_fg} on {bg}")
            text.append(" ")
        self.update(text)
