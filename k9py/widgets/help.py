"""The `?` help: every key the current view answers, straight from the key table.

Laid out like k9s's help: one column per group (GENERAL, NAVIGATION, RESOURCE, CLOCK), each as wide as its
widest `<key> description`, side by side. When the terminal is too narrow for all of them, groups stack, in
order, under one another in fewer columns (GENERAL over NAVIGATION, RESOURCE over CLOCK at 80 columns), as few
lines tall as fit; a group wider than the whole box wraps its descriptions under themselves; what is still too
tall scrolls (arrows, j/k). A description is never cut. The layout is redone whenever the terminal is resized.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ..keys import GROUP_TITLES, Key
from ..theme import Theme

KEY_GAP = 1  # between a key and its description
GROUP_GAP = 4  # between two groups side by side
MIN_WIDTH = 20  # the narrowest body laid out; narrower terminals crop the box rather than squeeze it further
# Columns the box takes around its body: the border (1 each side), the padding (2 each side) and the scrollbar's
# gutter (1, kept even when nothing scrolls so the width never jumps); and the screen's margin around the box.
BOX_CHROME = 2 + 4 + 1
MARGIN = 2
BOX_LINES = 2  # the box's border: the terminal's lines the help's body cannot have


@dataclass(frozen=True)
class HelpGroup:
    """One group of the help (GENERAL, ...): its title and its `(<key>, description)` rows."""

    title: str
    rows: tuple[tuple[str, str], ...]

    @property
    def key_width(self) -> int:
        return max(len(label) for label, _ in self.rows)

    def lines(self, width: int, key_width: int, skin: Theme) -> list[Text]:
        """The column at `width` cells, each line padded to exactly that width; descriptions wrap when `width` is
        less than the column's natural width. Keys are padded to `key_width`, so a column's descriptions line up."""
        key_width = min(key_width, max(1, width // 2))
        text_width = max(1, width - key_width - KEY_GAP)
        out = [Text(self.title.ljust(width), style=f"bold {skin.title_highlight}")]
        for label, description in self.rows:
            if len(label) > key_width:  # a key longer than half a tiny column: on its own line
                out.append(Text(label.ljust(width), style=f"bold {skin.menu_key}"))
                label = ""
            wrapped = textwrap.wrap(description, text_width, break_long_words=True) or [""]
            for i, part in enumerate(wrapped):
                line = Text((label if i == 0 else "").ljust(key_width + KEY_GAP), style=f"bold {skin.menu_key}")
                line.append(part.ljust(text_width), style=skin.menu_fg)
                out.append(line)
        return out


def help_groups(keys: list[Key]) -> list[HelpGroup]:
    """The listed keys by group, in the key table's order; groups without a listed key are left out."""
    groups = []
    for group, title in GROUP_TITLES.items():
        rows = tuple((f"<{k.label}>", k.description) for k in keys if k.group == group and k.listed)
        if rows:
            groups.append(HelpGroup(title, rows))
    return groups


def _splits(groups: list[HelpGroup]) -> Iterator[list[list[HelpGroup]]]:
    """Every way to cut `groups`, in order, into consecutive runs: one run per column."""
    if not groups:
        yield []
        return
    for n in range(1, len(groups) + 1):
        for rest in _splits(groups[n:]):
            yield [groups[:n], *rest]


def column_width(column: list[HelpGroup]) -> int:
    """A column's natural width: its widest row (keys as wide as its widest key) or title, nothing wrapped."""
    key_width = max(g.key_width for g in column)
    widest = max(len(description) for g in column for _, description in g.rows)
    return max(max(len(g.title) for g in column), key_width + KEY_GAP + widest)


def _height(column: list[HelpGroup]) -> int:
    return sum(1 + len(g.rows) for g in column) + len(column) - 1  # a title per group, a blank line between


def arrange(groups: list[HelpGroup], width: int) -> list[list[HelpGroup]]:
    """The groups in columns that fit side by side in `width`: all in a row when they fit (k9s's layout), else
    stacked, in order, in as few lines as fit; one column when even the widest group is too wide."""
    if not groups:
        return []
    best: tuple[tuple[int, int], list[list[HelpGroup]]] | None = None
    for columns in _splits(groups):
        used = sum(column_width(column) for column in columns) + GROUP_GAP * (len(columns) - 1)
        if used <= width:
            score = (max(_height(column) for column in columns), used)
            if best is None or score < best[0]:
                best = (score, columns)
    return best[1] if best is not None else [groups]


def help_text(keys: list[Key], width: int, skin: Theme, height: int | None = None) -> Text:
    """The help laid out in at most `width` cells, as narrow as its columns make it; when its tallest column would
    be taller than `height` lines, the groups stacked in a column go without the blank line between them."""
    columns: list[tuple[int, list[Text]]] = []
    arranged = arrange(help_groups(keys), width)
    spaced = height is None or max((_height(column) for column in arranged), default=0) <= height
    for column in arranged:
        cells = min(width, column_width(column))
        aligned = cells == column_width(column)  # else each group keeps its own key width, and wraps less
        key_width = max(g.key_width for g in column)
        lines: list[Text] = []
        for group in column:
            if lines and spaced:
                lines.append(Text(" " * cells))
            lines.extend(group.lines(cells, key_width if aligned else group.key_width, skin))
        columns.append((cells, lines))
    rows: list[Text] = []
    for i in range(max((len(lines) for _, lines in columns), default=0)):
        row = Text()
        for n, (cells, lines) in enumerate(columns):
            if n:
                row.append(" " * GROUP_GAP)
            row.append_text(lines[i] if i < len(lines) else Text(" " * cells))
        row.rstrip()
        rows.append(row)
    return Text("\n", no_wrap=True).join(rows)


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        background: $background 50%;
    }
    HelpScreen > VerticalScroll {
        height: auto;
        max-width: 100%;
        max-height: 100%;
        border: round $k9-border-focus;
        border-title-color: $k9-title-fg;
        background: $k9-body-bg;
        padding: 0 2;
        scrollbar-gutter: stable;
        scrollbar-size-vertical: 1;
        scrollbar-size-horizontal: 0;  /* nothing scrolls sideways; Textual's height: auto would count it */
    }
    HelpScreen #help-body {
        width: auto;
        height: auto;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "close", "Close", show=False),
        Binding("j", "scroll(1)", "Down", show=False),
        Binding("k", "scroll(-1)", "Up", show=False),
    ]

    def __init__(self, keys: list[Key], view: str, skin: Theme) -> None:
        super().__init__()
        self.keys, self.view, self.skin = keys, view, skin
        self.text = " ".join(f"<{k.label}> {k.description}" for k in keys if k.listed)
        self.body = Static(id="help-body")
        self.box = VerticalScroll(self.body)
        self.box.border_title = f" Help({self.view}) "

    def compose(self) -> ComposeResult:
        yield self.box

    def on_mount(self) -> None:
        self._lay_out(self.app.size.width)

    def on_resize(self, event: events.Resize) -> None:
        self._lay_out(event.size.width)

    def _lay_out(self, terminal_width: int) -> None:
        """Lay the help out for the terminal's width, and size the box to it (the box's `width: auto` would not
        count the scrollbar's gutter, and cut the widest line)."""
        text = help_text(self.keys, max(MIN_WIDTH, terminal_width - MARGIN - BOX_CHROME), self.skin,
                         self.app.size.height - BOX_LINES)
        self.body.update(text)
        self.box.styles.width = max((line.cell_len for line in text.split()), default=0) + BOX_CHROME

    def action_scroll(self, lines: int) -> None:
        self.box.scroll_relative(y=lines, animate=False)

    def action_close(self) -> None:
        if self.is_active:  # a second close (esc typed twice) would pop the screen under it
            self.dismiss(None)
