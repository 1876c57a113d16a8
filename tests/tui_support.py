"""What the dashboard's Pilot tests (tests/test_tui_*.py) share: start the dashboard, wait for it, type into it,
read the screen back.

A plain module, imported by the tests (`from tui_support import ...`): pytest puts tests/ on sys.path.
"""

from __future__ import annotations

import io
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from rich.console import Console
from textual import events
from textual.app import App
from textual.pilot import Pilot

from engine import Cluster
from k9py.app import K9App, MainScreen, sample_manifests
from k9py.backend import EngineBackend
from k9py.views.table import TableView

SPEED = 50.0  # a real clock fast enough that pods are ready and a rollout finishes within a second or two
SIZE = (160, 45)
SAMPLE_PODS = 8  # sample-manifests: metrics-collector 2, cart 2, frontend 3, redis 1
STARTUP_SECONDS = 8.0  # how long the dashboard may take to show its first table

Dashboard = tuple[K9App, Pilot[None], MainScreen, Cluster]


async def until(pilot: Pilot[None], predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Let the app run until `predicate` holds; fail after `timeout` seconds of wall time."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await pilot.pause(0.02)


@asynccontextmanager
async def dashboard(paths: Sequence[str | Path] | None = None, *, readonly: bool = False, speed: float = SPEED,
                    size: tuple[int, int] = SIZE, command: str = "") -> AsyncIterator[Dashboard]:
    """The dashboard over a real-clock cluster at `speed`, watching `paths` (None: the bundled sample manifests,
    `[]`: nothing), started with `-c command`, once it shows its first table: (app, pilot, main screen, cluster)."""
    cluster = Cluster(clock="real", speed=speed)
    app = K9App(EngineBackend(cluster), [sample_manifests()] if paths is None else list(paths), readonly=readonly,
                command=command)
    async with app.run_test(size=size) as pilot:
        await until(pilot, lambda: app.main is not None and isinstance(app.main.view, TableView),
                    timeout=STARTUP_SECONDS)
        assert app.main is not None
        yield app, pilot, app.main, cluster


def table(screen: MainScreen) -> TableView:
    assert isinstance(screen.view, TableView)
    return screen.view


# --- typing ------------------------------------------------------------------------------------------------------


async def paste(pilot: Pilot[None], text: str) -> None:
    """Paste into the focused widget: one event instead of a key press (and an idle wait) per character."""
    focused = pilot.app.focused
    assert focused is not None
    focused.post_message(events.Paste(text))
    await pilot.pause()


async def command(pilot: Pilot[None], text: str, *, typed: bool = False) -> None:
    """`:text` enter: the text pasted in one event, or `typed` a key at a time."""
    if typed:
        await pilot.press("colon", *text, "enter")
    else:
        await pilot.press("colon")
        await paste(pilot, text)
        await pilot.press("enter")
    await pilot.pause()


async def filter_by(pilot: Pilot[None], text: str) -> None:
    """`/text` enter, the text pasted in one event."""
    await pilot.press("slash")
    await paste(pilot, text)
    await pilot.press("enter")
    await pilot.pause()


def burst(app: App[None], *keys: str) -> None:
    """Keys as a terminal delivers a paste or `tmux send-keys a b c`: all queued before any is handled.

    Pilot's `press` waits for the app to go idle after each key, by which time a dialog is open and focused; a
    burst is what races the dialog.
    """
    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else None))


# --- reading the screen ------------------------------------------------------------------------------------------


def screen_lines(app: App[None]) -> list[str]:
    """The terminal's lines as plain text, as they are painted now (screens underneath a modal included): what
    `app.export_screenshot()` draws, without the SVG."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True, record=True,
                      legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text().splitlines()
