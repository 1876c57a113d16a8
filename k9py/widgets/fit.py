"""How the screen's chrome (header, key hints, flash line) fits the terminal: the height bands it shrinks at, and a
way to hear of the screen's size from a widget, without the screen's help.

The screen lays out, top to bottom: the header, the prompt (only while typing), the view in its frame, the crumbs,
the flash line and the key hints. Each piece of chrome sizes itself from the *screen's* size (the header's own
height is what it chose, so its own size cannot tell it the terminal got shorter), re-checked whenever the screen
lays out again, which it does on every resize.

    terminal height   header                        key hints        flash line
    22 and more       the labelled block, 6 lines   up to 3 lines    1 line
                      (compact lines, up to 6, when
                      too narrow for the block)
    12 to 21          2 compact lines               up to 2 lines    1 line
    under 12          1 compact line (2 when one    1 line           only while it shows a message
                      cannot hold it all)

Hints that do not fit their lines are split into pages, turned every few seconds.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.dom import NoScreen
from textual.geometry import Size
from textual.widget import Widget

BLOCK_MIN_HEIGHT = 22  # from this height up the header is the labelled block, six lines tall
SHORT_HEIGHT = 12  # under this height: one header line when it can hold everything, one hint line, no idle flash


def hint_lines(height: int) -> int:
    """The most lines the key hints may take on a terminal `height` lines tall."""
    if height < SHORT_HEIGHT:
        return 1
    if height < BLOCK_MIN_HEIGHT:
        return 2
    return 3


def screen_size(widget: Widget) -> Size:
    """The size of the screen `widget` is on (the app's, before it is laid out)."""
    try:
        size = widget.screen.size
    except NoScreen:  # not on a screen yet
        size = Size(0, 0)
    if not size.width or not size.height:
        size = widget.app.size
    return size


def follow_screen_size(widget: Widget, callback: Callable[[Size], None]) -> None:
    """Call `callback(size)` after each layout of `widget`'s screen (every resize lays the screen out), from the
    widget's own message loop. Call from the widget's on_mount."""

    def laid_out(_screen: object) -> None:
        if widget.is_attached:
            callback(screen_size(widget))

    widget.screen.screen_layout_refresh_signal.subscribe(widget, laid_out)
