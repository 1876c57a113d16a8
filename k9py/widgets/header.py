"""The header: cluster summary and clock on the left, favourite namespaces in the middle, the logo on the right."""

from __future__ import annotations

import time
from importlib.metadata import PackageNotFoundError, version

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from ..backend import Summary
from ..theme import Theme
from ..views.colours import pod_category

LOGO = (
    r" _    ___              ",
    r"| | _/ _ \ _ __  _   _ ",
    r"| |/ / (_) | '_ \| | | |",
    r"|   < \__, | |_) | |_| |",
    r"|_|\_\  /_/| .__/ \__, |",
    r"          |_|    |___/ ",
)


def _version() -> str:
    try:
        return version("k9py")
    except PackageNotFoundError:
        return "dev"


def format_speed(speed: float) -> str:
    return f"x{speed:g}"


def format_clock(now: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))


class ClusterHeader(Static):
    DEFAULT_CSS = """
    ClusterHeader {
        height: 6;
        background: $k9-body-bg;
        padding: 0 1;
    }
    """

    def __init__(self, skin: Theme) -> None:
        super().__init__(id="header")
        self.skin = skin
        self.summary: Summary | None = None
        self.favourites: list[str] = []
        self.readonly = False

    def show(self, summary: Summary, favourites: list[str], readonly: bool) -> None:
        self.summary, self.favourites, self.readonly = summary, favourites, readonly
        self.update(self._render_header(), layout=False)  # a fixed height: no need to lay the screen out again

    def plain(self) -> str:
        """The header as text (tests and the tmux smoke check read it)."""
        return self._info().plain

    def _info(self) -> Text:
        s, skin = self.summary, self.skin
        text = Text(no_wrap=True, overflow="ellipsis")
        if s is None:
            return text

        def line(label: str, value: Text | str) -> None:
            text.append(f"{label:<10}", style=f"bold {skin.info_fg}")
            text.append(value if isinstance(value, Text) else Text(value, style=skin.info_section))
            text.append("\n")

        line("Cluster:", "k9py (simulated)" + ("  [read-only]" if self.readonly else ""))
        ready_style = skin.info_section if s.nodes_ready == s.nodes_total else skin.error
        line("Nodes:", Text(f"{s.nodes_ready}/{s.nodes_total} Ready", style=ready_style))
        counts = {"running": 0, "pending": 0, "failed": 0}
        for status, n in s.pod_statuses.items():
            category = pod_category(status)
            if category == "normal":
                counts["running"] += n
            elif category == "pending":
                counts["pending"] += n
            elif category == "error":
                counts["failed"] += n
        pods = Text()
        pods.append(f"{counts['running']} Running", style=skin.info_section)
        pods.append("  ")
        pods.append(f"{counts['pending']} Pending", style=skin.pending if counts["pending"] else skin.info_section)
        pods.append("  ")
        pods.append(f"{counts['failed']} Failed", style=skin.error if counts["failed"] else skin.info_section)
        line("Pods:", pods)
        clock = Text(f"{format_clock(s.now)}  {format_speed(s.speed)}", style=skin.info_section)
        if s.paused:
            clock.append("  PAUSED", style=f"bold reverse {skin.pending}")
        line("Clock:", clock)
        line("Folders:", self._folders())
        line("K9py Rev:", f"v{_version()}")
        text.rstrip()
        return text

    def _folders(self) -> Text:
        """Each watched folder's sync state, like an Argo CD app: Synced, or how many objects drifted or broke."""
        s, skin = self.summary, self.skin
        text = Text()
        if s is None or not s.folders:
            text.append("none", style=skin.info_section)
            return text
        for i, folder in enumerate(s.folders):
            if i:
                text.append("  ")
            text.append(f"{folder.name} ", style=skin.info_section)
            if folder.out_of_sync:
                text.append(f"{folder.out_of_sync} OutOfSync", style=skin.pending)
            else:
                text.append("Synced", style=skin.info_section)
            if folder.errors:
                text.append(f" {folder.errors} error{'s' if folder.errors != 1 else ''}", style=skin.error)
        return text

    def _favourites(self) -> Table:
        """`<0> all`, `<1> shop`...: what the number keys switch to, in columns of five like k9s."""
        grid = Table.grid(padding=(0, 2))
        entries = ["all", *self.favourites[:9]]
        columns = [entries[i:i + 5] for i in range(0, len(entries), 5)]
        for _ in columns:
            grid.add_column(no_wrap=True)
        for row in range(min(5, len(entries))):
            cells = []
            for c, column in enumerate(columns):
                if row < len(column):
                    cell = Text(f"<{c * 5 + row}> ", style=self.skin.menu_numkey)
                    cell.append(column[row], style=self.skin.menu_fg)
                    cells.append(cell)
                else:
                    cells.append(Text(""))
            grid.add_row(*cells)
        return grid

    def _render_header(self) -> Table:
        grid = Table.grid(expand=True, padding=(0, 2))
        grid.add_column(ratio=3, no_wrap=True)
        grid.add_column(ratio=2, no_wrap=True)
        grid.add_column(justify="right", no_wrap=True)
        width = max(len(line) for line in LOGO)  # right-aligned as a block, not line by line
        logo = Text("\n".join(line.ljust(width) for line in LOGO), style=f"bold {self.skin.logo}", no_wrap=True,
                    justify="left")
        grid.add_row(self._info(), self._favourites(), logo)
        return grid
