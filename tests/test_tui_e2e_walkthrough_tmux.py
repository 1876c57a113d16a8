"""The README's "first five minutes", step by step, in a real terminal: if a step there stops working as
written, this fails. Keys are the ones the README names; the clock runs at 8x (the README's `>` presses take
it to 64x for the node failure)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from tui_support import ROOT, Terminal

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def pod_names(screen: str, prefix: str) -> set[str]:
    return {word for line in screen.splitlines() for word in line.split() if word.startswith(prefix + "-")}


def row(screen: str, name: str) -> str:
    return next((line for line in screen.splitlines() if f" {name} " in f" {line} "), "")


def test_the_first_five_minutes_work_as_written(tmp_path: Path) -> None:
    folder = tmp_path / "sample-manifests"
    shutil.copytree(ROOT / "sample-manifests", folder)
    frontend = folder / "shop" / "frontend.yaml"
    terminal = Terminal([str(folder), "--speed", "8"], size=(140, 40))
    try:
        # 1. Look around.
        terminal.wait_for(lambda s: "Running" in s, timeout=40)
        terminal.command("deploy")
        terminal.wait_for(lambda s: "frontend" in s and "metrics-collector" in s)

        # 2. Kill a pod: ctrl-k, then OK (Tab, Enter); its ReplicaSet makes a new one.
        terminal.command("po shop")
        screen = terminal.wait_for(lambda s: len(pod_names(s, "redis")) == 1)
        [old] = pod_names(screen, "redis")
        terminal.filter("redis")
        terminal.keys("C-k", "Tab", "Enter")
        terminal.wait_for(lambda s: pod_names(s, "redis") - {old}, timeout=40)
        terminal.keys("Escape")

        # 3. Scale: s, 5, Enter; the folder goes OutOfSync.
        terminal.command("deploy shop")
        terminal.filter("frontend")
        terminal.keys("s", "5", "Enter")  # the dialog opens with the count selected: 5 replaces it
        terminal.wait_for(lambda s: "5/5" in row(s, "frontend") and "1 OutOfSync" in s, timeout=60)
        terminal.keys("Escape")

        # 4. Edit the file: a rolling update, a second frontend ReplicaSet.
        frontend.write_text(frontend.read_text().replace("image: nginx:1.27", "image: nginx:1.28"))
        terminal.command("rs shop")
        terminal.wait_for(lambda s: sum(1 for line in s.splitlines() if " frontend-" in line) >= 2, timeout=40)

        # 5. Break the file: named at file:line:column, nothing running changes.
        good = frontend.read_text()
        frontend.write_text(good.replace("replicas: 3", "replicas: [4"))
        terminal.wait_for(lambda s: re.search(r"shop/frontend\.yaml:\d+:\d+", s) is not None)
        frontend.write_text(good)

        # 6. Fail a node (f, then Fail), speed the clock up: NotReady; f again recovers it.
        terminal.command("no")
        terminal.wait_for(lambda s: "node-2" in s)
        terminal.keys("j", "f", "Tab", "Enter", ">", ">", ">")
        terminal.wait_for(lambda s: "NotReady" in s, timeout=60)
        terminal.keys("f")
        terminal.wait_for(lambda s: "NotReady" not in s, timeout=60)

        # 7. Roll back from the rollout panel to revision 1 (nginx:1.27).
        terminal.command("deploy shop")
        terminal.filter("frontend")
        terminal.keys("C-l")
        terminal.wait_for(lambda s: "REVISION" in s and "nginx:1.28" in s)
        terminal.keys("j", "C-l", "Tab", "Enter")
        terminal.wait_for(lambda s: "rolled back" in s, timeout=30)
    finally:
        terminal.close()
