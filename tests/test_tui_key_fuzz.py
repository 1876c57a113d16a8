"""Never crash, never freeze, never lose a key: keys typed faster than the dashboard handles them.

In a real terminal (tmux), as users meet it: hundreds of random keys per session, sent in bursts (one send-keys
call each, so they arrive together, as a paste or a fast typist's do), at 80x24 and larger. Every burst starts
with a scene that opens one of the views or dialogs (each scene once per session, in a random order) and goes on
with random keys, which land in whatever that opened, or in what the keys before them opened. The test fails on
any exit (a traceback, a crash log), and on a frozen screen: every so often, and at the end, `:po` and `:ns` must
still open their views. Seeds are fixed, so a failure names the keys that found it; K9PY_FUZZ_SEEDS=1,2,3 runs
other seeds, K9PY_FUZZ_KEYS how many keys each.

Also here, in-process (Pilot), the defects the fuzz found, each pinned by a test of its own.
"""

from __future__ import annotations

import os
import random
import shutil
import time
from pathlib import Path

import pytest
import tui_support
from textual.widgets import Input
from tui_support import ROOT, Terminal, burst, dashboard, table

from k9py.app import K9App, crash_log_folder, write_crash_log
from k9py.widgets.dialogs import ConfirmDialog, ScaleDialog

# --- the fuzz, in tmux -------------------------------------------------------------------------------------------

SESSIONS = {1: (80, 24), 2: (160, 45), 3: (80, 24), 4: (120, 40)}  # seed: terminal size
SEEDS = [int(s) for s in os.environ.get("K9PY_FUZZ_SEEDS", ",".join(map(str, SESSIONS))).split(",") if s]
KEYS = int(os.environ.get("K9PY_FUZZ_KEYS", "400"))
CHECK_EVERY = 150  # keys between two checks that the dashboard still answers

# Views as `:` opens them, and a few commands that are not views, or are wrong.
COMMANDS = ("po", "deploy", "rs", "svc", "ep", "cm", "no", "ns", "ev", "src", "sec", "aliases", "po shop",
            "dp shop", "po /cart", "po app=frontend", "rs shop", "deploy platform", "speed 4", "speed 1", "pause",
            "resume", "help", "nosuchthing", "po nosuchns")
# Keys that open every view and dialog: each session types each scene once, with random keys after it.
SCENES = (
    ("deploy", "s"), ("deploy", "C-d"), ("deploy", "r"), ("deploy", "C-l"), ("deploy", "C-l", "Down", "C-l"),
    ("deploy", "y"), ("deploy", "d"), ("deploy", "e"), ("deploy", "Enter"), ("rs", "C-l"), ("rs", "s"),
    ("rs", "J"), ("po", "C-k"), ("po", "C-d"), ("po", "Space", "Down", "Space", "C-k"), ("po", "C-Space", "C-d"),
    ("po", "l"), ("po", "Enter"), ("po", "Enter", "Enter"), ("po", "o"), ("po", "J"), ("po shop", "y"),
    ("no", "r"), ("no", "f"), ("no", "c"), ("no", "u"), ("no", "Enter"), ("ns", "Enter"), ("sec", "x"),
    ("src", "d"), ("src", "S"), ("src", "C-s"), ("src", "w"), ("src", "e"), ("svc",), ("ep",), ("cm", "y"),
    ("ev",), ("aliases", "Enter"), (None, "C-a", "Down", "Enter"), (None, "?"), (None, "C-t"), (None, "-"),
    (None, "["), (None, "]"), (None, "/"), (None, "C-w"),
)
# Single keys: everything the dashboard binds and more, but nothing that quits (ctrl-c, :q) or stops the process.
RANDOM_KEYS = (
    *"abcdefghijklmnoprstuvwxyzAGJNSX0123456789-[]/?<>",
    *("Enter",) * 6, *("Escape",) * 4, "Tab", "BTab", "BSpace", "Space", "Up", "Down", "Left", "Right", "PageUp",
    "PageDown", "Home", "End", "C-k", "C-d", "C-l", "C-a", "C-t", "C-w", "C-s", "C-Space", "C-\\",
)
SECRET = """\
apiVersion: v1
kind: Secret
metadata: {name: cart-token, namespace: shop}
type: Opaque
stringData: {token: "s3cr3t", config.yaml: "a: 1\\nb: 2\\n"}
"""


def command_keys(text: str) -> list[str]:
    return [":", *(" " if c == " " else c for c in text), "Enter"]


def bursts(seed: int, total: int) -> list[list[str]]:
    """`total` keys or so, in bursts: every scene once, random keys after each and in bursts between."""
    rng = random.Random(seed)
    scenes = list(SCENES)
    rng.shuffle(scenes)
    out: list[list[str]] = []
    count = 0
    while count < total:
        roll = rng.random()
        if scenes and (roll < 0.5 or count > total * 0.7):
            view, *keys = scenes.pop()
            keys = [*(command_keys(view) if view else []), *keys]
        elif roll < 0.65:
            keys = command_keys(rng.choice(COMMANDS))
        else:
            keys = []
        keys += [rng.choice(RANDOM_KEYS) for _ in range(rng.randint(0 if keys else 1, 14))]
        out.append(keys)
        count += len(keys)
    return out


def send(term: Terminal, keys: list[str]) -> None:
    """A burst as tmux sends it: one write. ";" would end tmux's command; a space is tmux's "Space"."""
    term.send(*("Space" if k == " " else k for k in keys))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "manifests"
    shutil.copytree(ROOT / "sample-manifests", target)
    (target / "shop" / "secret.yaml").write_text(SECRET)
    return target


def start(folder: Path, tmp_path: Path, size: tuple[int, int]) -> Terminal:
    """k9py on `folder` in tmux: `e` runs an editor that returns at once, crash logs go under tmp_path."""
    env = {"EDITOR": "true", "KUBE_EDITOR": "true", "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_CONFIG_HOME": str(tmp_path / "config")}
    term = Terminal([str(folder), "--speed", "4"], size=size, env=env)
    term.wait_for(lambda s: "pods(all)" in s and "Running" in s, timeout=40)
    return term


def crash_report(term: Terminal, tmp_path: Path, what: str) -> str:
    logs = sorted((tmp_path / "state").rglob("*.log"))
    log = logs[0].read_text() if logs else "(no crash log)"
    return f"{what}\n--- the terminal:\n{term.scrollback()}\n--- the crash log:\n{log}"


def assert_answers(term: Terminal, tmp_path: Path, after: str) -> None:
    """The dashboard is alive and answers: close whatever is open (a dialog, the prompt, the help), then `:po`
    and `:ns` open their views. Each esc is sent alone: one right before `:` could be read as alt-:."""
    for _ in range(3):
        if term.exit_status() is not None:
            break
        term.send("Escape")
        time.sleep(0.3)
    status = term.exit_status()
    assert status is None, crash_report(term, tmp_path, f"k9py exited with status {status} {after}")
    for view, title in (("po", "pods("), ("ns", "namespaces[")):
        send(term, command_keys(view))
        try:
            term.wait_for(lambda s, title=title: title in s, timeout=20)
        except AssertionError:
            raise AssertionError(crash_report(term, tmp_path, f":{view} does not answer {after}")) from None
    assert not list((tmp_path / "state").rglob("*.log")), crash_report(term, tmp_path, f"a crash log {after}")


@pytest.mark.skipif(not tui_support.HAS_TMUX, reason="tmux is not installed")
@pytest.mark.parametrize("seed", SEEDS)
def test_random_key_bursts_never_crash_freeze_or_exit(seed: int, folder: Path, tmp_path: Path) -> None:
    term = start(folder, tmp_path, SESSIONS.get(seed, (100, 30)))
    try:
        sent: list[list[str]] = []
        since_check = 0
        for keys in bursts(seed, KEYS):
            send(term, keys)
            sent.append(keys)
            since_check += len(keys)
            time.sleep(random.Random(seed + len(sent)).choice((0.0, 0.02, 0.05, 0.1)))
            if since_check >= CHECK_EVERY:
                assert_answers(term, tmp_path, f"after burst {len(sent)}: {sent[-3:]}")
                since_check = 0
        assert_answers(term, tmp_path, f"after the last burst: {sent[-3:]}")
    finally:
        term.close()


# --- the defects the fuzz found, one by one (Pilot) ---------------------------------------------------------------

until = tui_support.until


async def scale_dialog_typed(*keys: str) -> tuple[str | None, str, str]:
    """The frontend deployment's scale dialog, opened by `s` in one burst with `keys`: (what its field holds,
    None if no dialog is left; the view on the main screen, "" if it is not on top; the flash line)."""
    async with dashboard() as (app, pilot, screen, _cluster):
        await tui_support.command(pilot, "deploy")
        await until(pilot, lambda: table(screen).row_count == tui_support.ALL_DEPLOYMENTS)
        await tui_support.filter_by(pilot, "frontend")
        await until(pilot, lambda: table(screen).row_count == 1)
        burst(app, "s", *keys)
        await pilot.pause(0.5)
        value = app.screen.query_one(Input).value if isinstance(app.screen, ScaleDialog) else None
        return value, screen.view_name if app.screen is screen else "", screen.flash_line.message


async def test_enter_twice_in_one_burst_answers_the_scale_dialog_once() -> None:
    # The second enter dismissed the dialog again, which popped the main screen: a blank screen, keys dead. Now
    # the dialog answers once, and the enter typed after its answer does what it does typed after the dialog
    # has gone: it opens the deployment's pods.
    assert await scale_dialog_typed("4", "enter", "enter") == (None, "pods", "deployment/frontend scaled to 4")
    assert await scale_dialog_typed("escape", "escape") == (None, "deployments", "")  # the second clears the filter


async def test_backspace_then_a_digit_in_one_burst_types_the_digit() -> None:
    # The digit was typed in the field's queue before the backspace came back from the app's bindings: it
    # replaced the selected count, then the backspace deleted it.
    value, _, _ = await scale_dialog_typed("backspace", "7")
    assert value == "7"


async def test_keys_reach_the_field_in_the_order_typed() -> None:
    value, _, _ = await scale_dialog_typed("6", "7", "backspace", "8")
    assert value == "68"
    value, _, _ = await scale_dialog_typed("1", "2", "left", "3", "end", "backspace", "backspace", "9")
    assert value == "19"


async def test_esc_typed_with_the_key_that_opens_a_dialog_closes_it() -> None:
    async with dashboard() as (app, pilot, screen, cluster):
        await until(pilot, lambda: table(screen).row_count == tui_support.ALL_PODS)
        pods = cluster.list("pods")
        burst(app, "ctrl+k", "escape", "escape")  # the second esc comes after the answer: dropped, or back
        await pilot.pause(0.5)
        assert app.screen is screen and not isinstance(app.screen, ConfirmDialog)
        assert len(cluster.list("pods")) == len(pods)
        burst(app, "ctrl+k", "escape", "ctrl+k", *tui_support.CONFIRM)  # the second dialog opens after the first
        await until(pilot, lambda: screen.flash_line.message.endswith("killed"))


async def test_a_key_typed_after_a_command_acts_on_the_view_the_command_opened() -> None:
    # `:rs` enter `-` in one burst: `-` went to the bindings while the command was still on its way, so it
    # acted first (the last view before :rs), and the command then opened the replica sets.
    async with dashboard() as (app, pilot, screen, _cluster):
        await tui_support.command(pilot, "deploy")
        await until(pilot, lambda: screen.view_name == "deployments")
        burst(app, "colon", "r", "s", "enter", "minus")
        await pilot.pause(1.0)
        assert screen.view_name == "deployments"  # `-` after :rs goes back to the view before it
        assert [s.view for s in screen.stack] == ["deployments"]
        shown = [view for view in screen.query("TableView") if view.display]
        assert shown == [screen.view]


# --- an exception nothing caught ----------------------------------------------------------------------------------


def test_a_crash_log_holds_the_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        path = write_crash_log(exc)
    assert path is not None and path.parent == crash_log_folder() == tmp_path / "state" / "k9py"
    text = path.read_text()
    assert "Traceback (most recent call last)" in text and "RuntimeError: boom" in text


def test_a_crash_log_falls_back_to_the_temp_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("")  # a file where the folder should be: mkdir fails
    monkeypatch.setenv("XDG_STATE_HOME", str(blocked))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    path = write_crash_log(ValueError("x"))
    assert path is not None and path.parent == tmp_path / "tmp" / "k9py"


CRASHING = """\
import sys
from k9py import app, cli

def boom(self, key):
    raise RuntimeError("injected by the test")

app.MainScreen.do_pause = boom  # p: an exception nothing catches
sys.exit(cli.main(sys.argv[1:]))
"""


@pytest.mark.skipif(not tui_support.HAS_TMUX, reason="tmux is not installed")
def test_a_crash_restores_the_terminal_names_its_log_and_exits_non_zero(folder: Path, tmp_path: Path) -> None:
    script = tmp_path / "crashing.py"
    script.write_text(CRASHING)
    env = {"XDG_STATE_HOME": str(tmp_path / "state"), "PYTHONPATH": str(ROOT)}
    term = Terminal([str(folder)], size=(100, 30), env=env, program=(str(script),))
    try:
        term.wait_for(lambda s: "pods(all)" in s, timeout=40)
        term.send("p")
        # Keys typed while it goes down reach a terminal no longer raw, as signals: they must not cut the exit
        # short (ctrl-\ would dump core, status 131) before it has named the log.
        deadline = time.monotonic() + 20
        while "the traceback is in" not in term.scrollback() and time.monotonic() < deadline:
            term.send("C-\\", "C-c")
            time.sleep(0.03)
        term.wait_for(lambda s: tui_support.EXITED in s)
        exited = term.exited()
        assert exited is not None, term.scrollback()
        status, mode = exited
        text = term.scrollback()
        assert status == 70, text
        assert mode.split() == ["icanon", "echo"], text  # the terminal is usable again
        [log] = (tmp_path / "state" / "k9py").glob("crash-*.log")
        assert f"the traceback is in {log}" in text
        assert "RuntimeError: injected by the test" in log.read_text()
    finally:
        term.close()


def test_the_crash_exit_status_and_message(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path) -> None:
    """`k9py` after the app ended on an exception: it names the log and exits 70 (EX_SOFTWARE)."""
    from k9py import cli

    log = tmp_path / "crash.log"

    def run(self: K9App) -> None:
        self.crash, self.crash_log = RuntimeError("boom"), log

    monkeypatch.setattr(K9App, "run", run)
    assert cli.main([str(ROOT / "sample-manifests")]) == cli.CRASH_STATUS == 70
    err = capsys.readouterr().err
    assert "k9py stopped on an unexpected error: RuntimeError: boom" in err and f"the traceback is in {log}" in err
