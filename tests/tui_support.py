"""What the dashboard's tests (tests/test_tui_*.py) share: start the dashboard, wait for it, type into it, read
the screen back; in-process with Textual's Pilot, or in a real terminal (tmux) with `Terminal`.

A plain module, imported by the tests (`from tui_support import ...`): pytest puts tests/ on sys.path.
"""

from __future__ import annotations

import io
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
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
NODES = 3  # a Cluster's nodes unless told otherwise: node-1 .. node-3
SAMPLE_PODS = 8  # sample-manifests: metrics-collector 2, cart 2, frontend 3, redis 1
KUBE_PROXY_PODS = NODES  # kube-system/kube-proxy-xxxxx, one per node, as kubeadm starts a cluster (engine/addons.py)
COREDNS_PODS = 2  # kube-system/coredns-<hash>-xxxxx, kubeadm's two replicas (engine/addons_coredns.py)
INGRESS_NGINX_PODS = 1  # ingress-nginx/ingress-nginx-controller-<hash>-xxxxx (engine/addons_ingress.py)
# The add-ons' pods (kube-system's and ingress-nginx's), what pods(all) shows with no folder loaded.
SYSTEM_PODS = KUBE_PROXY_PODS + COREDNS_PODS + INGRESS_NGINX_PODS
ALL_PODS = SAMPLE_PODS + SYSTEM_PODS  # the first view, pods(all), over the sample; the header counts as many
SAMPLE_DEPLOYMENTS = 4  # sample-manifests: metrics-collector, cart, frontend, redis
ALL_DEPLOYMENTS = SAMPLE_DEPLOYMENTS + 2  # and kube-system/coredns, ingress-nginx/ingress-nginx-controller
STARTUP_SECONDS = 8.0  # how long the dashboard may take to show its first table
# A dialog's OK, as in k9s: from Cancel (focused) to the action's button on its left, Enter presses it. `y` is no
# answer: typed right after the key that opened the dialog, it was meant for the view (YAML).
CONFIRM = ("left", "enter")

Dashboard = tuple[K9App, Pilot[None], MainScreen, Cluster]


async def until(pilot: Pilot[None], predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Let the app run until `predicate` holds; fail after `timeout` seconds of wall time."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await pilot.pause(0.02)


@asynccontextmanager
async def dashboard(paths: Sequence[str | Path] | None = None, *, readonly: bool = False, speed: float = SPEED,
                    size: tuple[int, int] = SIZE, command: str = "",
                    cluster: Cluster | None = None) -> AsyncIterator[Dashboard]:
    """The dashboard over a real-clock cluster at `speed` (or over `cluster`, e.g. one on a virtual clock that the
    test moves with `run_for`), watching `paths` (None: the bundled sample manifests, `[]`: nothing), started with
    `-c command`, once it shows its first table: (app, pilot, main screen, cluster)."""
    cluster = Cluster(clock="real", speed=speed) if cluster is None else cluster
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


# --- a real terminal: tmux ---------------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
HAS_TMUX = shutil.which("tmux") is not None
EXITED = "K9PY-EXITED-WITH="  # what the pane prints once k9py is gone: its exit status, then the terminal's mode
# The terminal's line discipline after k9py: `icanon echo` is a usable terminal, `-icanon -echo` one left raw.
TTY_MODE = "$(stty -a | tr ' ;' '\\n\\n' | grep -x -e -icanon -e icanon -e -echo -e echo | tr '\\n' ' ')"


class Terminal:
    """`argv` (k9py's arguments) run as `python -m k9py.cli` (or `python *program`) in a new tmux session of
    `size`, from the checkout, with `env` added; when k9py exits, the pane prints EXITED, the exit status and the
    terminal's mode (`K9PY-EXITED-WITH=0 icanon echo`), and stays."""

    def __init__(self, argv: Sequence[str], size: tuple[int, int] = (160, 40), env: dict[str, str] | None = None,
                 program: Sequence[str] = ("-m", "k9py.cli"), cwd: Path = ROOT, command: str = "") -> None:
        """`command`: run as the user types it (the installed `k9py`) instead of `python *program`."""
        self.name = f"k9py-e2e-{uuid.uuid4().hex[:8]}"
        assign = " ".join(f"{key}={shlex.quote(value)}" for key, value in (env or {}).items())
        run = shlex.join([command] if command else [sys.executable, *program]) + " " + shlex.join(argv)
        # Once k9py has exited, the shell ignores what ctrl-c and ctrl-\\ typed late would signal to it.
        script = f'{assign} {run}; status=$?; trap "" INT QUIT TSTP; echo "{EXITED}$status {TTY_MODE}"; sleep 600'
        width, height = size
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height),
                        "-c", str(cwd), script], check=True)
        # Keep the pane, and what it shows, should a key typed after k9py exited stop the shell's sleep.
        subprocess.run(["tmux", "set-option", "-t", self.name, "remain-on-exit", "on"], capture_output=True)

    def screen(self) -> str:
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True).stdout

    def scrollback(self) -> str:
        """The screen and what scrolled off it (a traceback printed on the way out), wrapped lines joined."""
        return subprocess.run(["tmux", "capture-pane", "-p", "-J", "-S", "-500", "-t", self.name],
                              capture_output=True, text=True).stdout

    def exited(self) -> tuple[int, str] | None:
        """k9py's exit status and the terminal's mode after it (`icanon echo`), once it has exited; else None."""
        for line in self.scrollback().splitlines():
            if EXITED in line:  # after the ^C a terminal echoes for ctrl-c typed meanwhile
                status, _, mode = line.partition(EXITED)[2].partition(" ")
                return int(status), mode.strip()
        return None

    def exit_status(self) -> int | None:
        """k9py's exit status once it has exited, else None."""
        exited = self.exited()
        return exited[0] if exited else None

    def send(self, *keys: str) -> None:
        """tmux key names (`Enter`, `Escape`, `C-k`, `BSpace`, a character) in one send-keys: one burst."""
        subprocess.run(["tmux", "send-keys", "-t", self.name, "--", *keys], check=True)

    def keys(self, *keys: str) -> None:
        """One key at a time, at typing speed."""
        for key in keys:
            self.send(key)
            time.sleep(0.15)

    def burst(self, *keys: str) -> None:
        """Keys in one send-keys call, as a paste arrives: all read before any is handled."""
        self.send(*keys)
        time.sleep(0.15)

    def type(self, text: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, "-l", text], check=True)

    def filter(self, text: str) -> None:
        """`/text` enter, and wait until the title shows the filter."""
        self.keys("/")
        self.type(text)
        self.keys("Enter")
        self.wait_for(lambda s: f"</{text}>" in s)

    def command(self, text: str) -> None:
        self.keys(":")
        self.type(text)
        time.sleep(0.2)
        self.keys("Enter")

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if predicate(screen):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"timed out; the screen shows:\n{screen}")

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def shows_a_tick(lines: list[str]) -> bool:
    """Whether a log line of the seeds' ticker (`echo tick`) is on screen: the word alone, since the pod it runs in
    is called `ticker` and its name is in the logs view's title before any line has arrived."""
    return any(re.search(r"\btick\b", line) for line in lines)
