"""The flash line: the result of the last action or an error, gone after a few seconds."""

from __future__ import annotations

from rich.text import Text
from textual.timer import Timer
from textual.widgets import Static

from ..theme import Theme

FLASH_SECONDS = 4.0


class Flash(Static):
    DEFAULT_CSS = """
    Flash {
        height: 1;
        background: $k9-body-bg;
        padding: 0 1;
    }
    """

    def __init__(self, skin: Theme) -> None:
        super().__init__(id="flash")
        self.skin = skin
        self.message = ""
        self.level = "info"
        self._timer: Timer | None = None

    def show(self, message: str, level: str = "info") -> None:
        self.message, self.level = message, level
        colour = {"info": self.skin.info_section, "warn": self.skin.pending, "error": self.skin.error}.get(
            level, self.skin.info_section)
        icon = {"info": "", "warn": "! ", "error": "x "}.get(level, "")
        self.update(Text(icon + message.replace("\n", " "), style=colour, no_wrap=True, overflow="ellipsis"))
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(FLASH_SECONDS, self.clear)

    def clear(self) -> None:
        self.message = ""
        self.update("")
