"""End to end in a real terminal: k9py runs in tmux; keys are typed with send-keys and the screen is read back
with capture-pane, as a person would use it. Keys are sent one at a time, at typing speed, except where a burst
(one send-keys call, as a paste arrives) checks that a dialog gets the keys typed along with the one opening it."""

import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Terminal:
    def __init__(self, command: str) -> None:
        self.name = f"k9py-e2e-{uuid.uuid4().hex[:8]}"
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", "160", "-y", "40", command], check=True)

    def screen(self) -> str:
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True).stdout

    def keys(self, *keys: str) -> None:
        for key in keys:
            subprocess.run(["tmux", "send-keys", "-t", self.name, key], check=True)
            time.sleep(0.15)

    def burst(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)
        time.sleep(0.15)

    def filter(self, text: str) -> None:
        """`/text` enter, and wait until the title shows the filter."""
        self.keys("/")
        subprocess.run(["tmux", "send-keys", "-t", self.name, "-l", text], check=True)
        self.keys("Enter")
        self.wait_for(lambda s: f"</{text}>" in s)

    def command(self, text: str) -> None:
        self.keys(":")
        subprocess.run(["tmux", "send-keys", "-t", self.name, "-l", text], check=True)
        time.sleep(0.2)
        self.keys("Enter")

    def wait_for(self, predicate, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if predicate(screen):
                return screen
            time.sleep(0.25)
        raise AssertionError(f"timed out; the screen shows:\n{screen}")

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def pod_names(screen: str, prefix: str) -> set[str]:
    return {word for line in screen.splitlines() for word in line.split() if word.startswith(prefix + "-")}


@pytest.fixture
def folder(tmp_path):
    target = tmp_path / "manifests"
    shutil.copytree(ROOT / "sample-manifests", target)
    return target


@pytest.fixture
def terminal(folder):
    term = Terminal(f"{sys.executable} -m k9py.cli {folder} --speed 8")
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
    terminal.burst("C-k", "y")  # the confirm dialog opens and takes the y
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


def test_e_hands_the_terminal_to_the_editor_and_the_save_is_applied(tmp_path, folder):
    # $EDITOR is a `vi` that records its arguments and raises the frontend's replicas from 3 to 4.
    record = tmp_path / "editor-args"
    editor = tmp_path / "bin" / "vi"
    editor.parent.mkdir()
    editor.write_text(f'#!/bin/sh\necho "$@" > {record}\nfor f; do :; done\nsed -i "s/replicas: 3/replicas: 4/" "$f"\n')
    editor.chmod(0o755)
    terminal = Terminal(f"EDITOR={editor} {sys.executable} -m k9py.cli {folder} --speed 8")
    try:
        terminal.wait_for(lambda s: "pods(all)" in s and "Running" in s)
        terminal.command("deploy shop")
        terminal.wait_for(lambda s: "deployments(shop)" in s)
        terminal.filter("frontend")
        terminal.keys("e")  # the dashboard steps aside for the editor, then comes back and applies the save
        terminal.wait_for(lambda s: "applied shop/frontend.yaml" in s)
        line, end_of_options, path = record.read_text().split()
        assert line.startswith("+") and end_of_options == "--" and path == str(folder / "shop" / "frontend.yaml")
        terminal.wait_for(lambda s: any("frontend" in row and "4/4" in row for row in s.splitlines()), timeout=40)
    finally:
        terminal.close()
