"""80x24 and smaller are first-class: what the dashboard paints at 80x24, 60x15 and 40x10, read back as text.

At every size the header keeps the clock's speed and PAUSED, read-only mode, the folders' sync state and error
count; the table keeps rows; no key of the view is lost from the hint bar (it wraps, then pages); nothing scrolls
the screen (no scrollbar). The header also fits every width from 30 to 200 columns at every height band, and hides
with `ClusterHeader.toggle()` (its state then on the crumbs line). One check runs k9py in a real 80x24 terminal.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import manifests
import pytest
from test_tui_sources import write_folder
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from tui_support import HAS_TMUX, SPEED, Terminal, command, dashboard, screen_lines, until

from k9py.app import K9App, MainScreen
from k9py.backend import EngineBackend, FolderSummary, Summary
from k9py.theme import Theme, load_theme
from k9py.widgets import flash, hints
from k9py.widgets.crumbs import Crumbs
from k9py.widgets.header import ClusterHeader, format_speed

SIZES = [(80, 24), (60, 15), (40, 10)]
# Table rows each size has room for with the worst header (paused, read-only, drift, errors, a crash loop).
MIN_ROWS = {(80, 24): 9, (60, 15): 6, (40, 10): 3}
SCROLLBAR = set("▁▂▃▄▅▆▇█▔▏▎▍▌▋▊▉▐▕")


@pytest.fixture(autouse=True)
def _quick(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Flash messages go in half a second (the flash line folds away when idle under 12 lines); hint pages turn
    every 0.2 s."""
    monkeypatch.setattr(flash, "FLASH_SECONDS", 0.5)
    monkeypatch.setattr(hints, "HINT_PAGE_SECONDS", 0.2)
    yield


# --- reading the painted screen ----------------------------------------------------------------------------------


def frame(lines: list[str]) -> tuple[int, int]:
    """The rows of the view's frame: its top border and its bottom border."""
    top = next(i for i, line in enumerate(lines) if line.startswith("╭"))
    bottom = next(i for i, line in enumerate(lines) if line.startswith("╰"))
    return top, bottom


def header_text(lines: list[str]) -> str:
    return "\n".join(lines[:frame(lines)[0]])


def table_rows(lines: list[str]) -> list[str]:
    """The painted rows of the table (the column header left out), blank ones left out."""
    top, bottom = frame(lines)
    return [line for line in lines[top + 2:bottom] if line.strip("│ ")]


def room(lines: list[str]) -> int:
    """How many table rows the frame has room for."""
    top, bottom = frame(lines)
    return bottom - top - 2  # the column header


def below_frame(lines: list[str]) -> str:
    return "\n".join(lines[frame(lines)[1] + 1:])


def assert_state_shown(text: str, speed: str, *, folder_errors: int = 1, out_of_sync: int = 1) -> None:
    """The state the header never drops, whatever the width."""
    assert speed in text and "PAUSED" in text
    assert "[read-only]" in text or "[ro]" in text
    assert f"{out_of_sync} OutOfSync" in text
    assert re.search(rf"\b{folder_errors} (errors?|err)\b", text), text


def assert_no_scrollbar(lines: list[str]) -> None:
    assert not any(SCROLLBAR & set(line) for line in lines), "\n".join(lines)


# --- the whole dashboard -----------------------------------------------------------------------------------------


async def crash_loop(pilot: Pilot[None], app: K9App) -> None:
    backend = app.backend
    assert isinstance(backend, EngineBackend)
    await backend.cluster.apply(manifests.deployment(
        "crasher", containers=[{"name": "app", "image": "busybox:1.36", "command": ["sh", "-c", "sleep 1; exit 1"]}]))
    await until(pilot, lambda: "CrashLoopBackOff" in backend.summary().pod_statuses, timeout=15)


@asynccontextmanager
async def troubled(tmp_path: Path, size: tuple[int, int], readonly: bool = True
                   ) -> AsyncIterator[tuple[K9App, Pilot[None], MainScreen]]:
    """The dashboard at `size` over a folder with one broken file, one object drifted from its file (scaled by
    hand), a crash-looping pod, read-only, its clock paused; once the flash line has gone quiet."""
    folder = write_folder(tmp_path)
    async with dashboard([folder], readonly=readonly, size=size) as (app, pilot, screen, cluster):
        await until(pilot, lambda: any(f.errors for f in app.backend.summary().folders))
        await cluster.scale("Deployment", "web", 4, "default")
        await crash_loop(pilot, app)
        await until(pilot, lambda: any(f.out_of_sync for f in app.backend.summary().folders))
        app.backend.set_paused(True)
        await until(pilot, lambda: "PAUSED" in "\n".join(screen_lines(app)) and not screen.flash_line.message)
        await pilot.pause(0.1)
        yield app, pilot, screen


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_header_keeps_the_state_and_the_table_keeps_rows(tmp_path: Path, size: tuple[int, int]) -> None:
    width, height = size
    async with troubled(tmp_path, size) as (app, pilot, screen):
        pods = screen.view.row_count  # type: ignore[union-attr]
        await until(pilot, lambda: len(table_rows(screen_lines(app))) == min(pods, room(screen_lines(app))))
        lines = screen_lines(app)
        assert len(lines) == height and all(len(line) <= width for line in lines)
        assert_state_shown(header_text(lines), format_speed(SPEED))
        assert room(lines) >= MIN_ROWS[size], "\n".join(lines)
        assert_no_scrollbar(lines)
        # Top to bottom: the header from the first line, the frame, the crumbs right under it, the hints last.
        assert lines[0].strip() and not lines[0].startswith("╭")
        assert "<pods>" in lines[frame(lines)[1] + 1]
        assert [line for line in lines if line.strip()][-1].lstrip().startswith("<"), "\n".join(lines)  # a hint
        # The `:` prompt opens between the header and the frame, and still nothing scrolls.
        await pilot.press("colon")
        await until(pilot, lambda: sum(line.startswith("╭") for line in screen_lines(app)) == 2)  # prompt, frame
        assert_no_scrollbar(screen_lines(app))
        await pilot.press("escape")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("view", ["pods", "nodes", "deployments"])
async def test_no_key_is_lost_from_the_hint_bar(size: tuple[int, int], view: str) -> None:
    """Every hint of the view is painted, on one page or another (pages turn by themselves)."""
    async with dashboard(size=size) as (app, pilot, screen, _cluster):
        if view != "pods":
            await command(pilot, {"nodes": "no", "deployments": "deploy"}[view])
        await until(pilot, lambda: screen.view_name == view)
        expected = [f"<{label}> {description}" for label, description in screen.hints.hints]
        assert len(expected) >= 10
        seen = ""
        deadline = time.monotonic() + 10
        while not all(hint in seen for hint in expected) and time.monotonic() < deadline:
            lines = screen_lines(app)
            assert_no_scrollbar(lines)
            seen += below_frame(lines) + "\n"
            await pilot.pause(0.05)
        assert [hint for hint in expected if hint not in seen] == []
        if view == "nodes":
            assert "<f> Fail/Recover" in seen and "<r> Drain" in seen


async def test_80x24_shows_every_hint_without_paging() -> None:
    async with dashboard(size=(80, 24)) as (app, pilot, screen, _cluster):
        for view, alias in (("pods", ""), ("nodes", "no"), ("deployments", "deploy")):
            if alias:
                await command(pilot, alias)
            await until(pilot, lambda: screen.view_name == view)  # noqa: B023
            await pilot.pause()
            painted = below_frame(screen_lines(app))
            assert all(f"<{label}> {description}" in painted for label, description in screen.hints.hints), painted
            assert not re.search(r"\d+/\d+\s*$", painted)


async def test_hiding_the_header_gives_its_lines_to_the_table_and_the_state_to_the_crumbs(tmp_path: Path) -> None:
    async with troubled(tmp_path, (80, 24)) as (app, pilot, screen):
        before = screen_lines(app)
        await pilot.press("ctrl+e")
        assert screen.header.hidden
        await until(pilot, lambda: screen_lines(app)[0].startswith("╭"))
        lines = screen_lines(app)
        top, bottom = frame(lines)
        assert top == 0 and bottom - top > frame(before)[1] - frame(before)[0]
        crumbs = lines[bottom + 1]
        assert "<pods>" in crumbs
        assert_state_shown(crumbs, format_speed(SPEED))
        await pilot.press("ctrl+e")
        assert not screen.header.hidden
        await until(pilot, lambda: not screen_lines(app)[0].startswith("╭"))
        lines = screen_lines(app)
        assert_state_shown(header_text(lines), format_speed(SPEED))
        assert lines[frame(lines)[1] + 1].strip() == "<pods>"


# --- the header alone, every width -------------------------------------------------------------------------------

WORST = Summary(
    nodes_total=4, nodes_ready=3, now=1767225805.0, speed=0.25, paused=True,
    pod_statuses={"Running": 5, "CrashLoopBackOff": 3, "ErrImagePull": 1, "Pending": 2, "Error": 1},
    pod_phases={"Running": 8, "Pending": 3, "Failed": 1},
    folders=(FolderSummary("sample-manifests", 9, 2, 3), FolderSummary("other", 2, 0, 0)))


class HeaderApp(App[None]):
    """The header and the crumbs line, as the main screen stacks them, over a fixed summary."""

    def __init__(self, skin: Theme, summary: Summary) -> None:
        super().__init__()
        theme = skin.textual_theme()
        self.register_theme(theme)
        self.theme = theme.name
        self.header, self.crumbs, self.summary = ClusterHeader(skin), Crumbs(skin), summary

    def compose(self) -> ComposeResult:
        yield self.header
        yield self.crumbs

    def on_mount(self) -> None:
        self.crumbs.show(["deployments", "pods"])
        self.header.show(self.summary, ["default", "shop", "kube-public"], True)


@pytest.mark.parametrize("height", [10, 15, 24, 40])
async def test_the_header_fits_every_width_and_keeps_the_state(height: int) -> None:
    """Every width from 30 to 100 columns (every third one in the bands 10 and 24 cover already), and wider."""
    step = 1 if height in (10, 24) else 3
    app = HeaderApp(load_theme("default"), WORST)
    async with app.run_test(size=(200, height)) as pilot:
        for width in [200, 160, 140, 120, 110, *range(100, 29, -step)]:
            await pilot.resize_terminal(width, height)
            await pilot.pause()
            lines = screen_lines(app)
            header_lines = len(app.header.painted)
            painted = "\n".join(lines[:header_lines])
            assert lines[header_lines].strip().startswith("<"), f"{width}x{height}:\n{painted}"  # the crumbs
            assert_state_shown(painted, "x0.25", folder_errors=3, out_of_sync=2)
            assert "\n".join(line[1:].rstrip() for line in lines[:header_lines]) == app.header.plain()  # the padding
            if height >= 22:
                assert header_lines <= 6
            elif height >= 12:
                assert header_lines == 2
            else:
                assert header_lines <= 2
            if width >= 80:
                assert "CrashLoopBackOff" in painted, f"{width}x{height}:\n{painted}"
            if width >= 120 and height >= 22:
                assert "Failed" in painted and "[read-only]" in painted


async def test_the_big_logo_shows_only_when_everything_else_fits() -> None:
    app = HeaderApp(load_theme("default"), WORST)
    async with app.run_test(size=(160, 40)) as pilot:
        assert "|_|\\_\\" in app.header.plain()  # the big logo
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        first = screen_lines(app)[0]
        assert "|_|" not in app.header.plain() and first.rstrip().endswith("k9py")  # the small one


async def test_the_hidden_header_leaves_the_state_on_the_crumbs_line_at_any_width() -> None:
    app = HeaderApp(load_theme("default"), WORST)
    async with app.run_test(size=(120, 24)) as pilot:
        app.header.toggle()
        for width in (120, 80, 60, 45):
            await pilot.resize_terminal(width, 24)
            await pilot.pause()
            lines = screen_lines(app)
            assert_state_shown(lines[0], "x0.25", folder_errors=3, out_of_sync=2)
            if width >= 60:
                assert "<pods>" in lines[0]  # the newest crumb stays while there is room


# --- a real terminal ---------------------------------------------------------------------------------------------


@pytest.mark.skipif(not HAS_TMUX, reason="tmux is not installed")
def test_the_header_in_a_real_80x24_terminal() -> None:
    term = Terminal(["--readonly", "sample-manifests"], size=(80, 24))
    try:
        screen = term.wait_for(lambda s: "pods(all)" in s and "Running" in s)
        term.keys("p")
        screen = term.wait_for(lambda s: "PAUSED" in s)
        lines = screen.splitlines()
        assert all(len(line) <= 80 for line in lines)
        header = "\n".join(lines[:next(i for i, line in enumerate(lines) if line.startswith("╭"))])
        assert header.count("\n") == 5, header  # six lines
        assert "Cluster:  k9py (simulated)  [read-only]" in header
        assert re.search(r"Clock: +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +x1 +PAUSED", header), header
        assert "Folders:  sample-manifests Synced" in header
        assert re.search(r"Pods: +\d+ Running", header) and "Nodes:    3/3 Ready" in header
        assert "<p> Pause/Resume" in screen and "<?> Help" in screen
    finally:
        term.close()
