"""The header: cluster summary and clock on the left, favourite namespaces in the middle, the logo on the right.

It fits any terminal (see fit.py for the height bands) and never drops what the cluster's state depends on: the
clock's speed and PAUSED, read-only mode, each watched folder's sync state and its error count. What gives way as
the terminal narrows, in this order: the big logo (a one-word `k9py` takes its place where the first line has
room), the phases with no pods, the favourite namespaces column; then the values shorten, each line of the block
only as far as it must, through five levels:

    0  all words         2026-01-01 00:03:25  x1  PAUSED · 6 Running  3 Pending  0 Succeeded  0 Failed
    1  no empty phases   6 Running  3 Pending (Running always shows) · the clock single-spaced
    2  shorter           00:03:25 (no date) · folders counted together (`2 OutOfSync 3 errors`, no names) ·
                         `3/4` (no Ready) · the two commonest troubled statuses, the rest `+2 more`
    3  abbreviated       `6 run 3 pend 1 fail` · `[ro]` · `3 err` · one troubled status, the rest `+2`
    4  fewest            the clock's time goes; its speed and PAUSED stay

Under 22 lines the labelled block gives way to compact lines: the state (clock, read-only, folders) on the first,
the counts (nodes, pods, troubled statuses) after, so what is cut when nothing else helps is the counts' end.
`toggle()` hides the header altogether (k9s's headless mode, ctrl-e there); the crumbs line then carries the state
on its right.

Pods are counted by phase, as kubectl counts them (Running, Pending, Succeeded, Failed, and Unknown when any), then
the pods whose STATUS column shows trouble are named by that status (`1 CrashLoopBackOff`): such a pod's phase is
usually Running or Pending.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache

from rich.text import Text
from textual.dom import NoScreen
from textual.geometry import Size
from textual.widgets import Static

from ..backend import Summary
from ..theme import Theme
from ..views.colours import pod_category
from .crumbs import Crumbs
from .fit import BLOCK_MIN_HEIGHT, SHORT_HEIGHT, follow_screen_size, screen_size

LOGO = (
    r" _    ___              ",
    r"| | _/ _ \ _ __  _   _ ",
    r"| |/ / (_) | '_ \| | | |",
    r"|   < \__, | |_) | |_| |",
    r"|_|\_\  /_/| .__/ \__, |",
    r"          |_|    |___/ ",
)
LOGO_WIDTH = max(len(line) for line in LOGO)
SMALL_LOGO = "k9py"
BLOCK_LINES = 6  # Cluster, Nodes, Pods, Clock, Folders, K9py Rev
LABEL_WIDTH = 10
GAP = 2  # between columns, and between the compact header's items
LEVELS = 5  # how far the values shorten: 0 (all words) to 4 (the fewest)
PHASES = ("Running", "Pending", "Succeeded", "Failed")  # kubectl's pod phases (and Unknown, shown when any)
SHORT_PHASES = {"Running": "run", "Pending": "pend", "Succeeded": "succ", "Failed": "fail", "Unknown": "unkn"}


@cache
def _version() -> str:
    """k9py's version, read once: the installed metadata is parsed anew on every ask (an e-mail header parse, on
    every header refresh: most of an idle dashboard's CPU), and importlib.metadata is slow to import at start."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("k9py")
    except PackageNotFoundError:
        return "dev"


def format_speed(speed: float) -> str:
    return f"x{speed:g}"


def format_clock(now: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))


def pod_problems(statuses: dict[str, int]) -> list[tuple[str, int]]:
    """Pods whose STATUS shows trouble (CrashLoopBackOff, ErrImagePull, Error...), most first; a status that is
    only a phase's name (Failed) is already counted by phase."""
    problems = [(status, n) for status, n in statuses.items()
                if n > 0 and status not in PHASES and pod_category(status) == "error"]
    return sorted(problems, key=lambda item: (-item[1], item[0]))


@dataclass(frozen=True)
class Plan:
    """How the header is laid out at one size: the labelled block or compact lines, and how short the values may
    get (in the block each line takes the longest of its values that fits, down to `level`)."""

    block: bool
    level: int
    logo: bool = False  # the big logo (block only)
    favourites: bool = False  # the favourite namespaces column (block only)
    lines: int = BLOCK_LINES


# The block's layouts, most preferred first: the logo goes first, then the phases with no pods, then the favourites.
BLOCK_PLANS = (Plan(True, 0, logo=True, favourites=True), Plan(True, 0, favourites=True),
               Plan(True, 1, favourites=True), *(Plan(True, level) for level in range(1, LEVELS)))


class ClusterHeader(Static):
    DEFAULT_CSS = """
    ClusterHeader {
        height: 6;
        background: $k9-body-bg;
        padding: 0 1;
    }
    ClusterHeader.-hidden {
        display: none;
    }
    """

    def __init__(self, skin: Theme) -> None:
        super().__init__(id="header")
        self.skin = skin
        self.summary: Summary | None = None
        self.favourites: list[str] = []
        self.readonly = False
        self.plan = BLOCK_PLANS[0]
        self.painted: list[Text] = []  # as painted
        self._height = BLOCK_LINES
        self._text: Text | None = None  # as last handed to Static.update
        self._laid_out_for = Size(0, 0)

    # --- what the app calls ----------------------------------------------------------------------------------

    def show(self, summary: Summary, favourites: list[str], readonly: bool) -> None:
        self.summary, self.favourites, self.readonly = summary, favourites, readonly
        self._paint()

    @property
    def hidden(self) -> bool:
        """Hidden by `toggle()` (k9s's headless mode): no header lines, the state shown on the crumbs line."""
        return self.has_class("-hidden")

    def toggle(self) -> bool:
        """Hide the header, or show it again; True when it is now hidden."""
        self.set_class(not self.hidden, "-hidden")
        self._paint()
        return self.hidden

    def plain(self) -> str:
        """The header as painted, as text (tests and the tmux smoke check read it); empty while hidden."""
        return "" if self.hidden else "\n".join(line.plain.rstrip() for line in self.painted)

    def state_text(self, width: int) -> Text | None:
        """The state that must never be hidden (clock speed and PAUSED, read-only, folders' sync and errors) in at
        most `width` cells, its longest words that fit: what the crumbs line shows while the header is hidden.
        None when it does not fit `width`."""
        if self.summary is None:
            return Text()
        for level in range(LEVELS):
            text = self._join(self._state_items(level))
            if text.cell_len <= width:
                return text
        return None

    # --- sizing -----------------------------------------------------------------------------------------------

    def on_mount(self) -> None:
        follow_screen_size(self, self._screen_resized)

    def _screen_resized(self, size: Size) -> None:
        if size != self._laid_out_for:
            self._paint()

    def _paint(self) -> None:
        size = screen_size(self)
        self._laid_out_for = size
        self._mirror_state(size.width)
        if self.summary is None or self.hidden:
            return
        width = max(1, size.width - 2)  # the padding
        self.plan, self.painted = self._lay_out(width, size.height)
        height = max(1, len(self.painted)) if not self.plan.block else BLOCK_LINES
        text = Text("\n", no_wrap=True, overflow="crop").join(self.painted)
        if height == self._height and text == self._text:
            return  # refreshed twice a second, the header mostly reads as it did: nothing to paint again
        self._text = text
        if height != self._height:
            self._height = height
            self.styles.height = height
            self.update(text)
        else:
            self.update(text, layout=False)  # the same height: no need to lay the screen out again

    def _mirror_state(self, width: int) -> None:
        """While hidden, the crumbs line carries the state; shown again, it stops."""
        try:
            crumbs = list(self.screen.query(Crumbs))
        except NoScreen:  # not on a screen yet
            return
        for widget in crumbs:
            if self.hidden:  # beside the newest crumb if it fits there, else on the whole line
                line = max(1, width - 2)
                state = self.state_text(line - widget.labels_width() - GAP) or self.state_text(line)
                if state is None:
                    state = _cut(self._join(self._state_items(LEVELS - 1)), line)
                widget.show_state(state)
            else:
                widget.show_state(None)

    def _lay_out(self, width: int, height: int) -> tuple[Plan, list[Text]]:
        if height >= BLOCK_MIN_HEIGHT:
            for plan in BLOCK_PLANS:
                lines = self._block(plan, width)
                if lines is not None:
                    return plan, lines
            return self._compact(width, range(1, BLOCK_LINES + 1), fewest_lines=False)
        if height >= SHORT_HEIGHT:
            return self._compact(width, (2,))
        return self._compact(width, (1, 2))

    # --- the labelled block -----------------------------------------------------------------------------------

    def _block(self, plan: Plan, width: int) -> list[Text] | None:
        """The block's six lines at `plan`, or None if they do not fit `width`."""
        favourites = self._favourites() if plan.favourites else []
        favourites_width = max((line.cell_len for line in favourites), default=0)
        logo_width = LOGO_WIDTH + GAP if plan.logo else 0
        budget = width - logo_width - (GAP + favourites_width if favourites else 0)
        info = self._info(plan.level, budget)
        if info is None:
            return None
        info_width = max(line.cell_len for line in info)
        # The favourites sit where they did in a ratio 3:2 grid, or right after the info when it is wider.
        column = max(info_width + GAP, (width - logo_width) * 3 // 5) if favourites else 0
        column = min(column, width - logo_width - favourites_width)
        lines = []
        for i in range(BLOCK_LINES):
            line = info[i].copy()
            if i < len(favourites):
                line.pad_right(column - line.cell_len)
                line.append_text(favourites[i])
            if plan.logo:
                line.pad_right(width - LOGO_WIDTH - line.cell_len)
                line.append(LOGO[i].ljust(LOGO_WIDTH), style=f"bold {self.skin.logo}")
            lines.append(line)
        if not plan.logo and lines[0].cell_len + GAP + len(SMALL_LOGO) <= width:
            lines[0].pad_right(width - len(SMALL_LOGO) - lines[0].cell_len)
            lines[0].append(SMALL_LOGO, style=f"bold {self.skin.logo}")
        return lines

    def _info(self, max_level: int, width: int) -> list[Text] | None:
        """The labelled lines, each with the longest of its values (down to `max_level`) that fits `width`; None
        when one does not fit even then."""
        skin = self.skin

        def cluster(level: int) -> Text:
            s = self.summary
            assert s is not None
            text = Text(s.cluster or "k9py (simulated)", style=skin.info_section)
            if self.readonly:
                text.append(" " * GAP)
                text.append_text(self._readonly(level))
            return text

        def version(_level: int) -> Text:
            return Text(f"v{_version()}", style=skin.info_section)

        rows: list[tuple[str, Callable[[int], Text]]] = [
            ("Cluster:", cluster), ("Nodes:", self._node_count), ("Pods:", self._pods), ("Clock:", self._clock),
            ("Folders:", self._folders), ("K9py Rev:", version)]
        lines = []
        for label, value in rows:
            for level in range(max_level + 1):
                line = Text(f"{label:<{LABEL_WIDTH}}", style=f"bold {skin.info_fg}")
                line.append_text(value(level))
                if line.cell_len <= width:
                    break
            else:
                return None
            lines.append(line)
        return lines

    def _favourites(self) -> list[Text]:
        """`<0> all`, `<1> shop`...: what the number keys switch to, in columns of five like k9s."""
        entries = ["all", *self.favourites[:9]]
        columns = [entries[i:i + 5] for i in range(0, len(entries), 5)]
        widths = [max(len(f"<{c * 5}> {name}") for name in column) for c, column in enumerate(columns)]
        lines = []
        for row in range(min(5, len(entries))):
            line = Text()
            for c, column in enumerate(columns):
                if row >= len(column):
                    break
                if c:
                    line.pad_right(sum(widths[:c]) + GAP * c - line.cell_len)
                line.append(f"<{c * 5 + row}> ", style=self.skin.menu_numkey)
                line.append(column[row], style=self.skin.menu_fg)
            lines.append(line)
        return lines

    # --- compact lines ----------------------------------------------------------------------------------------

    def _compact(self, width: int, line_counts: Iterable[int], fewest_lines: bool = True) -> tuple[Plan, list[Text]]:
        """The state first, the counts after, on one of `line_counts` lines with the longest values that fit: the
        fewest lines first (or the longest values first). When nothing fits, the shortest values on the most
        lines, cut at the end."""
        counts = list(line_counts)
        tries = ([(lines, level) for lines in counts for level in range(LEVELS)] if fewest_lines else
                 [(lines, level) for level in range(LEVELS) for lines in counts])
        for lines, level in tries:
            if lines >= 2 and level == 0 and (split := self._state_over_counts(width)) is not None:
                return split
            laid = _flow([self._state_items(level), self._count_items(level)], width, lines)
            if laid is not None:
                return Plan(False, level, lines=lines), [self._join(items) for items in laid]
        lines, level = counts[-1], LEVELS - 1
        items = [*self._state_items(level), *self._count_items(level)]
        laid = _flow_cut(items, width, lines)
        return Plan(False, level, lines=lines), [_cut(self._join(row), width) for row in laid]

    def _state_over_counts(self, width: int) -> tuple[Plan, list[Text]] | None:
        """The state on one line and the counts on the next, each with the longest values that fit; None when one
        does not fit its line."""
        state = next((items for level in range(LEVELS) if _fits(items := self._state_items(level), width)), None)
        counts = next((items for level in range(LEVELS) if _fits(items := self._count_items(level), width)), None)
        if state is None or counts is None:
            return None
        return Plan(False, 0, lines=2), [self._join(state), self._join(counts)]

    def _state_items(self, level: int) -> list[Text]:
        s = self.summary
        assert s is not None
        items = [self._clock(level)]
        if self.readonly:
            items.append(self._readonly(level))
        if s.folders:
            folders = self._folders(level)
            if level < 3:
                folders = Text("Folders ", style=f"bold {self.skin.info_fg}").append_text(folders)
            items.append(folders)
        return items

    def _count_items(self, level: int) -> list[Text]:
        label = f"bold {self.skin.info_fg}"
        nodes = Text("Nodes ", style=label).append_text(self._node_count(level))
        pods = Text("Pods ", style=label).append_text(self._phases(level))
        problems = self._problems(level)
        return [nodes, pods, problems] if problems.cell_len else [nodes, pods]

    @staticmethod
    def _join(items: list[Text]) -> Text:
        return Text(" " * GAP).join(items)

    # --- the values, from all words (level 0) to the fewest (level 4) ----------------------------------------

    def _readonly(self, level: int) -> Text:
        return Text("[read-only]" if level < 3 else "[ro]", style=f"bold {self.skin.pending}")

    def _node_count(self, level: int) -> Text:
        s, skin = self.summary, self.skin
        assert s is not None
        style = skin.info_section if s.nodes_ready == s.nodes_total else skin.error
        return Text(f"{s.nodes_ready}/{s.nodes_total}" + (" Ready" if level < 2 else ""), style=style)

    def _pods(self, level: int) -> Text:
        """Phases as kubectl counts them, then the troubled STATUSes by name."""
        phases, problems = self._phases(level), self._problems(level)
        if problems.cell_len:
            phases.append("  " if level < 2 else " ")
            phases.append_text(problems)
        return phases

    def _phases(self, level: int) -> Text:
        s, skin = self.summary, self.skin
        assert s is not None
        phases = dict.fromkeys(PHASES, 0)
        phases.update({phase: n for phase, n in s.pod_phases.items() if n})
        styles = {"Pending": skin.pending, "Failed": skin.error, "Unknown": skin.error}
        gap = "  " if level < 2 else " "
        parts: list[Text] = []
        for phase, n in phases.items():
            if level >= 1 and n == 0 and phase != "Running":
                continue
            name = SHORT_PHASES.get(phase, phase) if level >= 3 else phase
            parts.append(Text(f"{n} {name}", style=styles.get(phase, skin.info_section) if n else skin.info_section))
        return Text(gap).join(parts)

    def _problems(self, level: int) -> Text:
        s, skin = self.summary, self.skin
        assert s is not None
        gap = "  " if level < 2 else " "
        parts: list[Text] = []
        problems = pod_problems(s.pod_statuses)
        named = len(problems) if level < 2 else 2 if level < 3 else 1  # the rest summed: "+2 more"
        parts.extend(Text(f"{n} {status}", style=skin.error) for status, n in problems[:named])
        if len(problems) > named:
            rest = sum(n for _status, n in problems[named:])
            parts.append(Text(f"+{rest} more" if level < 3 else f"+{rest}", style=skin.error))
        return Text(gap).join(parts)

    def _clock(self, level: int) -> Text:
        s, skin = self.summary, self.skin
        assert s is not None
        gap = "  " if level < 1 else " "
        stamp = format_clock(s.now)
        words = [stamp] if level < 2 else [stamp.split()[1]] if level < 4 else []
        if not s.simulated:  # a real cluster's time is the wall clock's: no speed to show, but the connection
            text = Text(gap.join(words), style=skin.info_section)
            if s.connection:
                text.append(gap)
                text.append(s.connection, style=f"bold reverse {skin.pending}")
            return text
        text = Text(gap.join([*words, format_speed(s.speed)]), style=skin.info_section)
        if s.paused:
            text.append(gap)
            text.append("PAUSED", style=f"bold reverse {skin.pending}")
        return text

    def _folders(self, level: int) -> Text:
        """Each watched folder's sync state, like an Argo CD app: Synced, or how many objects drifted or broke;
        from level 2 on, all folders counted together."""
        s, skin = self.summary, self.skin
        assert s is not None
        text = Text()
        if not s.folders:
            text.append("none", style=skin.info_section)
            return text
        error_word: Callable[[int], str] = (
            (lambda n: f"error{'s' if n != 1 else ''}") if level < 3 else (lambda _n: "err"))
        groups = ([(f"{f.name} ", f.out_of_sync, f.errors) for f in s.folders] if level < 2 else
                  [("", sum(f.out_of_sync for f in s.folders), sum(f.errors for f in s.folders))])
        for i, (name, out_of_sync, errors) in enumerate(groups):
            if i:
                text.append("  ")
            text.append(name, style=skin.info_section)
            if out_of_sync:
                text.append(f"{out_of_sync} OutOfSync", style=skin.pending)
            else:
                text.append("Synced", style=skin.info_section)
            if errors:
                text.append(f" {errors} {error_word(errors)}", style=skin.error)
        return text


def _fits(items: list[Text], width: int) -> bool:
    return sum(item.cell_len for item in items) + GAP * (len(items) - 1) <= width


def _flow(groups: list[list[Text]], width: int, lines: int) -> list[list[Text]] | None:
    """`groups` of items on at most `lines` lines of `width`, none cut: each group on a line of its own when that
    fits the line count, else the items one after another; None when they do not fit."""
    if len(groups) <= lines and all(_fits(group, width) for group in groups):
        return [group for group in groups if group]
    laid = _flow_cut([item for group in groups for item in group], width, lines)
    if any(not _fits(row, width) for row in laid):
        return None
    return laid


def _flow_cut(items: list[Text], width: int, lines: int) -> list[list[Text]]:
    """The items one after another on at most `lines` lines; what does not fit goes on the last line (to be cut)."""
    laid: list[list[Text]] = [[]]
    for item in items:
        row = laid[-1]
        if row and not _fits([*row, item], width) and len(laid) < lines:
            laid.append([item])
        else:
            row.append(item)
    return laid


def _cut(text: Text, width: int) -> Text:
    text = text.copy()
    text.truncate(width, overflow="ellipsis")
    return text
