"""The crumbs line: the view history, newest last (highlighted), as k9s shows it.

While the header is hidden (`ClusterHeader.toggle()`), the line also carries, on its right, the state the header
never drops: the clock's speed and PAUSED, read-only mode, the folders' sync state and errors. When the line is
too narrow for every crumb, the oldest go first, and last the newest: the state stays.
"""

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
        self.state: Text | None = None

    def show(self, labels: list[str]) -> None:
        self.labels = list(labels)
        self._paint()

    def show_state(self, state: Text | None) -> None:
        """The header's state on the right (None: nothing, the header shows it)."""
        if state is None and self.state is None:
            return
        if state is not None and self.state is not None and state == self.state:
            return
        self.state = state
        self._paint()

    def labels_width(self) -> int:
        """The cells the newest crumb takes (the state leaves it this much room when it can)."""
        return len(f" <{self.labels[-1]}> ") + 1 if self.labels else 0

    def on_resize(self) -> None:
        if self.state is not None:
            self._paint()

    def _paint(self) -> None:
        width = self.size.width or max(0, self.app.size.width - 2)  # the content, inside the padding
        state = self.state if self.state is not None and self.state.cell_len else None
        room = width - (state.cell_len + 2 if state is not None else 0)
        pieces = []
        for i, label in enumerate(self.labels):
            last = i == len(self.labels) - 1
            bg = self.skin.crumb_active if last else self.skin.crumb_bg
            piece = Text(f" <{label}> ", style=f"{self.skin.crumb_fg} on {bg}")
            piece.append(" ")
            pieces.append(piece)
        if state is not None:  # the crumbs give way to the state, the oldest first
            while pieces and sum(p.cell_len for p in pieces) > room:
                pieces.pop(0)
        text = Text(no_wrap=True, overflow="ellipsis")
        for piece in pieces:
            text.append_text(piece)
        if state is not None:
            text.pad_right(width - state.cell_len - text.cell_len)
            text.append_text(state)
        self.update(text)
