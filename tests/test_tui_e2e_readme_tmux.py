"""The README's first command, exactly as a new user runs it: `k9py sample-manifests` from the folder that holds
it (a relative path), in an 80x24 terminal; then the files are edited the ways people edit them. Every save must
reach the cluster, a broken save must be named at file:line:column and keep what runs, and a folder deleted and
cloned again must be watched again."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest
from tui_support import ROOT, Terminal

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def frontend_ready(screen: str) -> str | None:
    """The READY column of the frontend's row in the deployments view, e.g. "3/3"."""
    for line in screen.splitlines():
        words = line.split()
        if "frontend" in words:
            return next((w for w in words if "/" in w), None)
    return None


def test_the_readme_command_applies_every_save_of_a_relative_folder(tmp_path):
    shutil.copytree(ROOT / "sample-manifests", tmp_path / "sample-manifests")
    # The console script `pip install -e .` puts on the PATH (python -m k9py.cli where it is not).
    terminal = Terminal(["sample-manifests", "--speed", "8"], size=(80, 24), cwd=tmp_path,
                        command=shutil.which("k9py") or "")
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
        terminal.wait_for(lambda s: "error" in s)
        time.sleep(1)
        shutil.copytree(ROOT / "sample-manifests", tmp_path / "sample-manifests")
        path.write_text(original.replace("replicas: 3", "replicas: 2"))
        terminal.wait_for(lambda s: frontend_ready(s) == "2/2", timeout=40)
        path.write_text(original.replace("replicas: 3", "replicas: 4"))
        terminal.wait_for(lambda s: (frontend_ready(s) or "").endswith("/4"), timeout=40)
    finally:
        terminal.close()
