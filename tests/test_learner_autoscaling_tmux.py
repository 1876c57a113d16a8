"""The README's "Try autoscaling", exactly as written, in a real 80x24 terminal: its shell commands run from the
folder that holds sample-manifests/ (relative paths), then `k9py --nodes 2 --node-cpu 2 shop-lab` (the installed
console script) and the keys the README names, the clock sped up with `>` as it says. If a step stops working as
written, this fails. The same story in-process, step by step on the virtual clock: test_learner_autoscaling_tui.py
(which cites the upstream sources of each behaviour)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from test_learner_autoscaling_tui import LAB, LAB_NODE_CPU, LAB_NODES, NODE_GROUP, RPS
from tui_support import ROOT, Terminal

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

# The README's commands, word for word.
SHELL = f"""\
cp -r sample-manifests {LAB}
cat > {LAB}/nodegroup.yaml <<'EOF'
{NODE_GROUP}EOF
"""
COMMAND = ["--nodes", str(LAB_NODES), "--node-cpu", LAB_NODE_CPU, LAB]  # after `k9py`
MACHINE = r"general-[a-z0-9]{5}"


def cells(screen: str, pattern: str) -> list[list[str]]:
    """The table rows whose first cell matches `pattern`, split into cells."""
    out = []
    for line in screen.splitlines():
        words = line.strip("│ ").split()
        if words and re.fullmatch(pattern, words[0]):
            out.append(words)
    return out


def hpa_replicas(screen: str) -> int | None:
    row = cells(screen, "frontend")
    return int(row[0][-1].rstrip("△▽")) if row and row[0][-1].rstrip("△▽").isdigit() else None


def test_the_autoscaling_walkthrough_works_as_written(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "sample-manifests", tmp_path / "sample-manifests")
    subprocess.run(["bash", "-e", "-c", SHELL], cwd=tmp_path, check=True)
    assert (tmp_path / LAB / "shop" / "frontend.yaml").is_file()
    terminal = Terminal(COMMAND, size=(80, 24), cwd=tmp_path, command=shutil.which("k9py") or "")
    try:
        terminal.wait_for(lambda s: "shop-lab Synced" in s and "Nodes:    2/2 Ready" in s, timeout=40)
        # `>` three times: 8x
        terminal.keys(">", ">", ">")
        terminal.wait_for(lambda s: " x8 " in s)

        # 1. `:deploy shop`, `/frontend`, `a`, Enter: kubectl autoscale with the dialog's defaults
        terminal.command("deploy shop")
        terminal.wait_for(lambda s: [r[:2] for r in cells(s, "frontend")] == [["frontend", "3/3"]], timeout=60)
        terminal.filter("frontend")
        terminal.keys("a", "Enter")
        terminal.wait_for(lambda s: "horizontalpodautoscaler.autoscaling/frontend autoscaled" in s)
        # 2. shift-l, 2000, Enter
        terminal.keys("L")
        terminal.type(str(RPS))
        terminal.keys("Enter")
        terminal.wait_for(lambda s: f"{RPS} requests/s to deployment/frontend in shop" in s)

        # 3. `:po shop`: the frontends' CPU climbs (1m idle; 667m of load a pod while there are three)
        terminal.command("po shop")
        terminal.wait_for(
            lambda s: any(r[2] == "Running" and int(r[4]) >= 200 for r in cells(s, "frontend-.*")), timeout=30
        )

        # 4. `:hpa shop`: TARGETS above 80 %, REPLICAS up to 10
        terminal.command("hpa shop")
        screen = terminal.wait_for(lambda s: (hpa_replicas(s) or 0) > 3, timeout=30)
        assert "Deployment/frontend" in screen and re.search(r"cpu: \d+%/80%", screen)
        terminal.wait_for(lambda s: hpa_replicas(s) == 10, timeout=30)
        # Enter: its chart, replicas and CPU against the target over the last syncs
        terminal.keys("Enter")
        terminal.wait_for(lambda s: "replicas (now 10" in s and "(target 80% ╌" in s)
        terminal.keys("Escape")

        # 5. `:po shop`, `/Pending`: two frontends fit nowhere; `d`, `w`, `G`: the Cluster Autoscaler's answer
        terminal.command("po shop")
        terminal.filter("Pending")
        terminal.wait_for(lambda s: [r[2] for r in cells(s, "frontend-.*")] == ["Pending", "Pending"], timeout=30)
        terminal.keys("d", "w", "G")
        terminal.wait_for(lambda s: "TriggeredScaleUp" in s and "scale-up: [{general 0->1 (max: 3)}]" in s)
        terminal.keys("Escape", "Escape")
        # `:no`: the new machine, NotReady, then Ready
        terminal.command("no")
        screen = terminal.wait_for(lambda s: [r[1] for r in cells(s, MACHINE)] in (["NotReady"], ["Ready"]))
        [machine] = [r[0] for r in cells(screen, MACHINE)]
        terminal.wait_for(lambda s: [r[1] for r in cells(s, MACHINE)] == ["Ready"], timeout=60)
        # `d` on it (the first row): its CPU and memory sparklines
        terminal.keys("d")
        terminal.wait_for(lambda s: f"describe(node/{machine})" in s and "Usage (metrics-server" in s)
        assert re.search(r"CPU: .* \d+m \(\d+% of 4000m allocatable\)", terminal.screen())
        terminal.keys("Escape")

        # 6. the load off (`:deploy shop`, `/frontend`, shift-l, 0, Enter), `>` three more times: 64x
        terminal.command("deploy shop")
        terminal.wait_for(lambda s: [r[:2] for r in cells(s, "frontend")] == [["frontend", "10/10"]], timeout=60)
        terminal.filter("frontend")
        terminal.keys("L", "0", "Enter")
        terminal.wait_for(lambda s: "load on deployment/frontend in shop stopped" in s)
        terminal.keys(">", ">", ">")
        terminal.wait_for(lambda s: " x64 " in s)
        # `:hpa shop`: 10 replicas through the 5-minute window, then 1
        terminal.command("hpa shop")
        terminal.wait_for(lambda s: hpa_replicas(s) == 10)
        terminal.wait_for(lambda s: hpa_replicas(s) == 1, timeout=60)
        # `:no`: 10 minutes later the machine is cordoned and drained, then gone
        terminal.command("no")
        terminal.wait_for(lambda s: cells(s, machine) != [])
        terminal.wait_for(lambda s: [r[1] for r in cells(s, machine)] in (["Ready,SchedulingDisabled"], []), timeout=90)
        terminal.wait_for(lambda s: cells(s, machine) == [] and len(cells(s, "node-[12]")) == 2, timeout=60)
        assert terminal.exit_status() is None  # still running
        terminal.keys(":", "q", "Enter")
        terminal.wait_for(lambda s: "K9PY-EXITED-WITH=0" in s)
    finally:
        terminal.close()
