"""The flash line: the result of the last action or an error, gone after a few seconds.

On a terminal under 12 lines (fit.SHORT_HEIGHT) the line takes no room while it has nothing to say, so the table
keeps one more row; a message takes its line back for as long as it shows.
"""

from __future__ import annotations

from rich.text import Text
from textual.timer import Timer
from textual.widgets import Static

from ..theme import Theme
from .fit import SHORT_HEIGHT, follow_screen_size, screen_size

FLASH_SECONDS = 4.0


class Flash(Static):
    DEFAULT_CSS = """
    Flash {
        height: 1;
        background: $k9-body-bg;
        padding: 0 1;
    }
    Flash.-idle-folded {
        display: none;
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
        self._fold()

    def clear(self) -> None:
        self.message = ""
        self.update("")
        self._fold()

    def on_mount(self) -> None:
        follow_screen_size(self, lambda _size: self._fold())
        self._fold()

    def _fold(self) -> None:
        """No line while idle on a terminal under SHORT_HEIGHT lines."""
        if self.is_mounted:
            self.set_class(not self.message and screen_size(self).height < SHORT_HEIGHT, "-idle-folded")
