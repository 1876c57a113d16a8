"""The key hint bar, generated from the key table for the current view (so it never lies about a key).

No key is ever cut: the hints wrap, a hint never split across lines, onto as many lines as the terminal's height
allows (fit.hint_lines: 3 from 22 lines up, 2 from 12, else 1), two spaces apart, or one when that makes them fit.
When that is not enough they are split into pages of those lines, shown in turn every HINT_PAGE_SECONDS, the
page's last line ending with its number (`1/3`).
"""

from __future__ import annotations

from rich.text import Text
from textual.geometry import Size
from textual.timer import Timer
from textual.widgets import Static

from ..keys import Key
from ..theme import Theme
from .fit import follow_screen_size, hint_lines, screen_size

GAP = 2  # between two hints; 1 when that saves a page
HINT_PAGE_SECONDS = 3.0
PAGE_MARK_WIDTH = 7  # room kept at the end of a page for its number: "  12/12"

Hint = tuple[str, str]  # (key label, description)


class KeyHints(Static):
    DEFAULT_CSS = """
    KeyHints {
        height: 1;
        background: $k9-body-bg;
        padding: 0 1;
    }
    """

    def __init__(self, skin: Theme) -> None:
        super().__init__(id="hints")
        self.skin = skin
        self.text = ""  # every hint of the view, whatever page shows
        self.hints: list[Hint] = []
        self.pages: list[list[list[Hint]]] = []  # page -> line -> hints
        self.page = 0
        self.gap = GAP
        self._laid_out_for = Size(0, 0)
        self._timer: Timer | None = None

    def show(self, keys: list[Key]) -> None:
        # Where the hints come from: the view's keys, in the key table's order, each label once.
        hints: list[Hint] = []
        seen: set[str] = set()
        for key in keys:
            if not key.hint or key.label in seen:
                continue
            seen.add(key.label)
            hints.append((key.label, key.description))
        self.set_hints(hints)

    # --- the layout (where the hints come from does not matter below) ---------------------------------------

    def set_hints(self, hints: list[Hint]) -> None:
        self.hints = hints
        self.text = "".join(f"<{label}> {description}  " for label, description in hints)
        self.page = 0
        self._lay_out()

    def on_mount(self) -> None:
        follow_screen_size(self, self._screen_resized)

    def _screen_resized(self, size: Size) -> None:
        if size != self._laid_out_for:
            self._lay_out()

    def _lay_out(self) -> None:
        size = screen_size(self)
        self._laid_out_for = size
        width = max(1, size.width - 2)  # the padding
        lines = hint_lines(size.height)
        self.gap, self.pages = GAP, paginate(self.hints, width, lines)
        if len(self.pages) > 1 and len(tight := paginate(self.hints, width, lines, gap=1)) == 1:
            self.gap, self.pages = 1, tight
        self.page = min(self.page, len(self.pages) - 1)
        height = max(len(page) for page in self.pages)
        if self.styles.height is None or self.styles.height.value != height:
            self.styles.height = height
        self._turn(0)
        if len(self.pages) > 1 and self._timer is None:
            self._timer = self.set_interval(HINT_PAGE_SECONDS, lambda: self._turn(1))
        elif len(self.pages) <= 1 and self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _turn(self, by: int) -> None:
        """Show the page `by` pages on from the current one."""
        self.page = (self.page + by) % len(self.pages)
        skin = self.skin
        rows = []
        for line in self.pages[self.page]:
            row = Text(no_wrap=True, overflow="ellipsis")
            for i, (label, description) in enumerate(line):
                if i:
                    row.append(" " * self.gap)
                row.append(f"<{label}>", style=f"bold {skin.menu_key}")
                row.append(f" {description}", style=skin.menu_fg)
            rows.append(row)
        if len(self.pages) > 1:
            width = max(1, self._laid_out_for.width - 2)
            mark = f"{self.page + 1}/{len(self.pages)}"
            rows[-1].pad_right(width - rows[-1].cell_len - len(mark))
            rows[-1].append(mark, style=f"bold {skin.menu_key}")
        self.update(Text("\n", no_wrap=True).join(rows))


def hint_width(hint: Hint) -> int:
    label, description = hint
    return len(f"<{label}> {description}")


def paginate(hints: list[Hint], width: int, lines: int, gap: int = GAP) -> list[list[list[Hint]]]:
    """The hints, `gap` apart, wrapped onto lines of `width`, and the lines into pages of `lines`; with more than
    one page, each page's last line keeps PAGE_MARK_WIDTH cells for the page's number. A hint wider than a line has
    one to itself (and is cut)."""
    for reserve in (0, PAGE_MARK_WIDTH):
        pages: list[list[list[Hint]]] = [[[]]]
        for hint in hints:
            page, line = pages[-1], pages[-1][-1]
            last_line = len(page) == lines
            room = width - (reserve if last_line else 0)
            used = sum(hint_width(h) for h in line) + gap * len(line)
            if line and used + hint_width(hint) > room:
                if last_line:
                    pages.append([[hint]])
                else:
                    page.append([hint])
            else:
                line.append(hint)
        if len(pages) == 1 or reserve:
            return pages
    raise AssertionError("unreachable")
