"""The key hint bar, generated from the key table for the current view (so it never lies about a key)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from ..keys import Key
from ..theme import Theme


class KeyHints(Static):
    DEFAULT_CSS = """
    KeyHints {
        height: auto;
        max-height: 2;
        background: $k9-body-bg;
        padding: 0 1;
    }
    """

    def __init__(self, skin: Theme) -> None:
        super().__init__(id="hints")
        self.skin = skin
        self.text = ""

    def show(self, keys: list[Key]) -> None:
        text = Text()
        seen: set[str] = set()
        for key in keys:
            if not key.hint or key.label in seen:
                continue
            seen.add(key.label)
            text.append(f"<{key.label}>", style=f"bold {self.skin.menu_key}")
            text.append(f" {key.description}  ", style=self.skin.menu_fg)
        self.text = text.plain
        self.update(text)
