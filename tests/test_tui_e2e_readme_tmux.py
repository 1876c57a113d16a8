"""The README's first command, exactly as a new user runs it: `k9py sample-manifests` from the folder that holds
it (a relative path), in an 80x24 terminal; then the files are edited the ways people edit them. Every save must
reach the cluster, a broken save must be named at file:line:column and keep what runs, and a folder deleted and
cloned again must be watched again."""

from __future__ import annotations

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
    def __init__(self, command: str, cwd: Path, width: int = 80, height: int = 24) -> None:
        self.name = f"k9py-readme-{uuid.uuid4().hex[:8]}"
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height),
                        "-c", str(cwd), command], check=True)

    def screen(self) -> str:
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True).stdout

    def command(self, text: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, ":"], check=True)
        time.sleep(0.15)
        subprocess.run(["tmux", "send-keys", "-t", self.name, "-l", text], check=True)
        time.sleep(0.2)
        subprocess.run(["tmux", "send-keys", "-t", self.name, "Enter"], check=True)

    def wait_for(self, predicate, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if predicate(screen):
                return screen
            time.sleep(0.2)
        raise AssertionError(f"timed out; the screen shows:\n{screen}")

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def frontend_ready(screen: str) -> str | None:
    """The READY column of the frontend's row in the deployments view, e.g. "3/3"."""
    for line in screen.splitlines():
        words = line.split()
        if "frontend" in words:
            return next((w for w in words if "/" in w), None)
    return None


def test_the_readme_command_applies_every_save_of_a_relative_folder(tmp_path):
    shutil.copytree(ROOT / "sample-manifests", tmp_path / "sample-manifests")
    k9py = shutil.which("k9py")
    program = k9py if k9py else f"{sys.executable} -m k9py.cli"
    terminal = Terminal(f"{program} sample-manifests --speed 8", cwd=tmp_path)
    path = tmp_path / "sample-manifests" / "shop" / "frontend.yaml"
    original = path.read_text()
    try:
        terminal.wait_for(lambda s: "Running" in s)
        terminal.command("deploy shop")
        terminal.wait_for(lambda s: frontend_ready(s) == "3/3", timeout=40)

        # sed -i saves by writing a new file and renaming it over the old one.
        subprocess.run(["sed", "-i", "s/replicas: 3/replicas: 5/", "sample-manifests/shop/frontend.yaml"],
                       cwd=tmp_path, check=True)
        terminal.wait_for(lambda s: "applied shop/frontend.yaml" in s and (frontend_ready(s) or "").endswith("/5"))
        terminal.wait_for(lambda s: frontend_ready(s) == "5/5", timeout=40)

        # A save with a syntax error, written in place: named at file:line:column; nothing that runs is lost.
        broken = original.replace("replicas: 3", "replicas: [4")
        path.write_text(broken)
        line = broken[: broken.index("[4")].count("\n") + 1
        terminal.wait_for(lambda s: f"shop/frontend.yaml:{line + 1}:" in s or f"shop/frontend.yaml:{line}:" in s)
        time.sleep(3)  # longer than the prune quiet period
        assert frontend_ready(terminal.screen()) == "5/5"

        # Deleted and cloned again with another count: watched again, applied, never pruned.
        shutil.rmtree(tmp_path / "sample-manifests")
        terminal.wait_for(lambda s: "missing" in s)
        time.sleep(1)
        shutil.copytree(ROOT / "sample-manifests", tmp_path / "sample-manifests")
        path.write_text(original.replace("replicas: 3", "replicas: 2"))
        terminal.wait_for(lambda s: frontend_ready(s) == "2/2", timeout=40)
        path.write_text(original.replace("replicas: 3", "replicas: 4"))
        terminal.wait_for(lambda s: (frontend_ready(s) or "").endswith("/4"), timeout=40)
    finally:
        terminal.close()
