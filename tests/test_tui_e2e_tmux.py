"""End to end in a real terminal: k9py runs in tmux; keys are typed with send-keys and the screen is read back
with capture-pane, as a person would use it. Keys are sent one at a time, at typing speed, except where a burst
(one send-keys call, as a paste arrives) checks that a dialog gets the keys typed along with the one opening it,
in order, and that keys left over once it has answered do no harm. (tests/test_tui_key_fuzz.py sends random
bursts.)"""

import re
import shutil
import time

import pytest
from tui_support import HAS_TMUX, ROOT, Terminal

pytestmark = pytest.mark.skipif(not HAS_TMUX, reason="tmux is not installed")


def pod_names(screen: str, prefix: str) -> set[str]:
    return {word for line in screen.splitlines() for word in line.split() if word.startswith(prefix + "-")}


@pytest.fixture
def folder(tmp_path):
    target = tmp_path / "manifests"
    shutil.copytree(ROOT / "sample-manifests", target)
    return target


@pytest.fixture
def terminal(folder):
    term = Terminal([str(folder), "--speed", "8"])
    try:
        term.wait_for(lambda s: "pods(all)" in s and "Running" in s)
        yield term
    finally:
        term.close()


def test_kill_a_pod_then_scale_then_edit_a_watched_file(terminal, folder):
    # Kill a redis pod with ctrl-k (confirmed) and see its replacement take its place.
    terminal.command("po shop")
    screen = terminal.wait_for(lambda s: "pods(shop)" in s and pod_names(s, "redis"))
    [old] = pod_names(screen, "redis")
    terminal.filter("redis")
    terminal.burst("C-k", "Left", "Enter")  # the confirm dialog opens and takes the keys: OK, pressed
    terminal.wait_for(lambda s: pod_names(s, "redis") - {old}, timeout=40)

    # Scale the frontend with the `s` dialog and see the new count.
    terminal.keys("Escape")
    terminal.command("deploy shop")
    terminal.wait_for(lambda s: "deployments(shop)" in s)
    terminal.filter("frontend")
    terminal.burst("s", "5", "Enter")  # the scale dialog opens with the count selected: 5 replaces it
    terminal.wait_for(lambda s: any("frontend" in line and "/5" in line for line in s.splitlines()), timeout=40)

    # Edit the watched file: the image changes, a new ReplicaSet rolls out, the flash line says so.
    path = folder / "shop" / "frontend.yaml"
    path.write_text(path.read_text().replace("image: nginx:1.27", "image: nginx:1.28"))
    terminal.wait_for(lambda s: "applied shop/frontend.yaml" in s)
    terminal.keys("Escape")
    terminal.command("rs shop")
    terminal.wait_for(lambda s: sum(1 for line in s.splitlines() if " frontend-" in line) >= 2)


def edit_the_frontend(tmp_path, folder, script: str) -> Terminal:
    """k9py on `folder` with $EDITOR a `vi` running `script`, `e` pressed on the shop's frontend deployment."""
    editor = tmp_path / "bin" / "vi"
    editor.parent.mkdir()
    editor.write_text(f"#!/bin/sh\n{script}\n")
    editor.chmod(0o755)
    terminal = Terminal([str(folder), "--speed", "8"], env={"EDITOR": str(editor)})
    try:
        terminal.wait_for(lambda s: "pods(all)" in s and "Running" in s)
        terminal.command("deploy shop")
        terminal.wait_for(lambda s: "deployments(shop)" in s)
        terminal.filter("frontend")
        terminal.keys("e")
    except BaseException:
        terminal.close()
        raise
    return terminal


def test_e_hands_the_terminal_to_the_editor_and_the_save_is_applied(tmp_path, folder):
    # $EDITOR is a `vi` that records its arguments and raises the frontend's replicas from 3 to 4.
    record = tmp_path / "editor-args"
    terminal = edit_the_frontend(tmp_path, folder, f'echo "$@" > {record}\nfor f; do :; done\n'
                                                   'sed -i "s/replicas: 3/replicas: 4/" "$f"')
    try:
        # the dashboard steps aside for the editor, then comes back and applies the save
        terminal.wait_for(lambda s: "applied shop/frontend.yaml" in s)
        line, end_of_options, path = record.read_text().split()
        assert line.startswith("+") and end_of_options == "--" and path == str(folder / "shop" / "frontend.yaml")
        terminal.wait_for(lambda s: any("frontend" in row and "4/4" in row for row in s.splitlines()), timeout=40)
    finally:
        terminal.close()


def frontend_row(screen: str) -> str:
    return next((line for line in screen.splitlines() if " frontend " in f" {line} "), "")


def scale_field(screen: str) -> str | None:
    """What the scale dialog's field shows (`▊  68   ▎`), None when no scale dialog is open."""
    if "<Scale>" not in screen:
        return None
    fields = (re.search(r"▊([^▔▁▎]*)▎", line) for line in screen.splitlines())
    return next((field.group(1).strip() for field in fields if field), None)


def test_keys_typed_in_one_burst_with_a_dialog(terminal):
    terminal.command("deploy shop")
    terminal.wait_for(lambda s: "deployments(shop)" in s)
    terminal.filter("frontend")

    def closed(s: str) -> bool:
        return "deployments(shop)" in s and "</frontend>" in s and "<Scale>" not in s and "<Delete>" not in s

    # Esc typed with the key that opens a dialog closes it.
    terminal.burst("C-d", "Escape")
    terminal.wait_for(closed)
    terminal.burst("s", "Escape")
    terminal.wait_for(closed)

    # The dialog opens with the count selected: backspace clears it, and the digit after it is typed.
    terminal.burst("s", "BSpace", "2", "Enter")
    terminal.wait_for(lambda s: closed(s) and "/2" in frontend_row(s), timeout=40)

    # Keys reach the field in the order typed: a backspace is not overtaken by the digit after it.
    terminal.burst("s", "6", "7", "BSpace", "8")
    terminal.wait_for(lambda s: scale_field(s) == "68")
    terminal.keys("Escape")
    terminal.wait_for(closed)

    # Enter twice: the dialog answers once (the second answer popped the dashboard's screen: blank, keys dead),
    # and the second enter does what it does typed after the dialog has gone: it opens the frontend's pods.
    terminal.burst("s", "3", "Enter", "Enter")
    terminal.wait_for(lambda s: "pods(shop)" in s and "scaled to 3" in s and "<Scale>" not in s)
    terminal.keys("Escape")
    terminal.wait_for(lambda s: closed(s) and "/3" in frontend_row(s), timeout=40)

    # The same with esc: the first closes the dialog, the second clears the filter.
    terminal.burst("s", "Escape", "Escape")
    terminal.wait_for(lambda s: "deployments(shop)" in s and "redis" in s and "<Scale>" not in s)
    terminal.command("ns")
    terminal.wait_for(lambda s: "namespaces[" in s)


def test_ctrl_d_y_typed_fast_deletes_nothing(terminal):
    # `y` is the YAML key one press earlier: typed with ctrl-d, it is no answer to the dialog, which says how to
    # confirm (k9s's dialogs answer to their buttons), and nothing is deleted.
    terminal.command("deploy shop")
    terminal.wait_for(lambda s: "deployments(shop)" in s)
    terminal.filter("redis")
    terminal.burst("C-d", "y")
    terminal.wait_for(lambda s: "<Delete>" in s and "y is no answer here" in s)
    time.sleep(1.0)
    screen = terminal.screen()
    assert "<Delete>" in screen and "yaml(" not in screen
    terminal.keys("Escape")
    terminal.wait_for(lambda s: "<Delete>" not in s and "deployments(shop)[1]" in s and " redis " in s)


def test_ctrl_c_and_ctrl_backslash_in_the_editor_are_the_editors(tmp_path, folder):
    # The terminal signals the whole foreground process group: the dashboard, waiting for the editor, got ctrl-c
    # as KeyboardInterrupt (it ended, and killed the editor) and ctrl-\ as SIGQUIT (it dumped core, status 131).
    terminal = edit_the_frontend(tmp_path, folder, "trap '' INT QUIT\nsleep 2")  # it takes both for itself
    try:
        time.sleep(0.5)
        terminal.send("C-c")
        time.sleep(0.2)
        terminal.send("C-\\")
        terminal.wait_for(lambda s: "edited shop/frontend.yaml" in s or terminal.exit_status() is not None)
        assert terminal.exit_status() is None, terminal.scrollback()
        terminal.command("ns")
        terminal.wait_for(lambda s: "namespaces[" in s)
    finally:
        terminal.close()
