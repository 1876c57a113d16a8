"""The learner's autoscaling story (issue 15, "Done when"), in the dashboard at 80x24 with keys in bursts, on the
virtual clock (the test moves cluster time with `run_for` where the learner presses `>` to speed the clock up): the
sample shop copied to a folder with a NodeGroup beside it, as the README's "Try autoscaling" says, on two small nodes.
`a` on the frontend Deployment autoscales it (kubectl autoscale's defaults: 1 to 10 replicas at 80 % CPU), shift-l
puts 2000 requests/s on it; the pods view's CPU climbs, `:hpa` shows TARGETS above 80 % and REPLICAS rising, two
replicas fit nowhere and stay Pending, their describe shows the Cluster Autoscaler's TriggeredScaleUp, and `:nodes`
shows the new machine join NotReady and turn Ready. The load taken off, the HPA scales back to 1 once its 5-minute
scale-down stabilization window has passed, and the Cluster Autoscaler drains and removes the machine 10 minutes after
it became unneeded.

Upstream:
- HPA: kubernetes/kubernetes pkg/controller/podautoscaler/horizontal.go (15 s sync; with no `behavior`,
  normalizeDesiredReplicas limits a scale-up to max(2 x current, 4); the 300 s downscale stabilization window,
  `--horizontal-pod-autoscaler-downscale-stabilization`, initialised with the current size when the HPA is new),
  replica_calculator.go (pods not yet ready count as 0 % on a scale-up), printers.go (printHorizontalPodAutoscaler:
  TARGETS `cpu: 266%/80%`, REPLICAS is status.currentReplicas); staging/src/k8s.io/kubectl/pkg/cmd/autoscale
  (`a`: --min 1, --max 10, --cpu-percent 80 as the dialog's defaults leave them).
- Cluster Autoscaler: kubernetes/autoscaler cluster-autoscaler/processors/status/eventing_scale_up_processor.go
  (TriggeredScaleUp `pod triggered scale-up: [{general 0->1 (max: 3)}]`), core/scaledown/actuation/actuator.go
  (taint ToBeDeletedByClusterAutoscaler, cordon, drain, delete), config/const.go (scale-down-unneeded-time 10m).
- kubelet: a node registers NotReady (KubeletNotReady) until its runtime and network are up.
- k9s: internal/render/pod.go (CPU in millicores, %CPU/R against the request).
"""

from __future__ import annotations

import re
import shutil
from functools import partial
from pathlib import Path
from typing import Any

import tui_support
from tui_support import ROOT, burst, command, dashboard, screen_lines

from engine import Cluster
from k9py.views.describe import DescribeView

until = partial(tui_support.until, timeout=20.0)
SMALL = (80, 24)

# What the README's "Try autoscaling" has the learner save beside the sample manifests (kept word for word).
NODE_GROUP = """\
apiVersion: k9py.io/v1alpha1
kind: NodeGroup
metadata:
  name: general
spec:
  minSize: 0
  maxSize: 3
  bootTime: 2m
  node:
    cpu: "4"
    memory: 16Gi
"""
LAB = "shop-lab"  # the copy's name in the README
LAB_NODES, LAB_NODE_CPU = 2, "2"  # `k9py --nodes 2 --node-cpu 2 shop-lab`: ten frontends do not fit on them
RPS = 2000  # 667m a pod on 3 replicas: 266 % of the 250m request; 200m a pod on 10: 80 %, the target


def lab(tmp_path: Path) -> Path:
    """The learner's folder: a copy of sample-manifests/ and the NodeGroup document beside it."""
    folder = tmp_path / LAB
    shutil.copytree(ROOT / "sample-manifests", folder)
    (folder / "nodegroup.yaml").write_text(NODE_GROUP)
    return folder


def rows(app: Any, pattern: str) -> list[list[str]]:
    """The painted table rows whose first cell matches `pattern`, split into cells."""
    out = []
    for line in screen_lines(app):
        cells = line.strip("│ ").split()
        if cells and re.fullmatch(pattern, cells[0]):
            out.append(cells)
    return out


def hpa(app: Any) -> list[str]:
    """The frontend HPA's row in `:hpa`, after its name: REFERENCE, TARGETS (two cells: `cpu: 82%/80%`), MINPODS,
    MAXPODS, REPLICAS."""
    found = rows(app, "frontend")
    if not found:
        return []
    cells = found[0][1:]
    return [cells[0], " ".join(cells[1:3]), *cells[3:6]]


def cordoned(cluster: Cluster, name: str) -> bool:
    node = cluster.get("nodes", name, None)
    return node is not None and bool(node["spec"].get("unschedulable"))


def text(app: Any) -> str:
    return "\n".join(screen_lines(app))


async def test_load_scales_the_frontend_out_onto_a_new_node_and_back_in(tmp_path: Path) -> None:
    cluster = Cluster(nodes=LAB_NODES, node_cpu=LAB_NODE_CPU, clock="virtual")
    async with dashboard([lab(tmp_path)], size=SMALL, cluster=cluster) as (app, pilot, screen, _cluster):
        await cluster.run_for(60)  # the shop starts: images pulled, probes passed, the first metrics scraped
        await command(pilot, "deploy shop")
        await until(
            pilot,
            lambda: (
                [r[:2] for r in rows(app, "cart|frontend|redis")]
                == [["cart", "2/2"], ["frontend", "3/3"], ["redis", "1/1"]]
            ),
        )

        # `/frontend` Enter, `a`, Enter: kubectl autoscale with the dialog's defaults (--min 1 --max 10
        # --cpu-percent 80)
        burst(app, "slash", *"frontend", "enter", "a", "enter")
        await until(pilot, lambda: "horizontalpodautoscaler.autoscaling/frontend autoscaled" in text(app))
        # shift-l, 2000, Enter: the load is spread over the three ready pods
        burst(app, "L", *str(RPS), "enter")
        await until(
            pilot, lambda: f"{RPS} requests/s to deployment/frontend in shop: 666.667 each on 3 ready pods" in text(app)
        )

        # The pods view: the frontends' CPU climbs from 1m to 667m, 266 % of their 250m request.
        await command(pilot, "po shop")
        await until(pilot, lambda: len(rows(app, "frontend-.*")) == 3)
        assert [r[4] for r in rows(app, "frontend-.*")] == ["1"] * 3
        await cluster.run_for(15)
        # (667m of load and the 1m it idles at; the HPA's first sync has already asked for 6: three start)
        await until(
            pilot, lambda: [r[4:6] for r in rows(app, "frontend-.*") if r[2] == "Running"] == [["668", "267"]] * 3
        )

        # `:hpa`: the metric against its target and the replicas, as kubectl get hpa prints them. The HPA doubles
        # the frontend (3 -> 6) at a sync, then goes to its max, 10, at the next that sees the new pods.
        await command(pilot, "hpa shop")
        await until(pilot, lambda: hpa(app)[:3] == ["Deployment/frontend", "cpu: 267%/80%", "1"])
        await cluster.run_for(15)
        await until(pilot, lambda: hpa(app)[-1] == "6")
        await cluster.run_for(30)
        await until(pilot, lambda: hpa(app)[-1] == "10")
        assert hpa(app)[3:5] == ["10", "10"]  # MINPODS 1 MAXPODS 10 REPLICAS 10
        assert int(hpa(app)[1].removeprefix("cpu: ").split("%")[0]) > 80

        # Ten frontends do not fit on the two small nodes: the pods view shows the ones left Pending.
        await command(pilot, "po shop")
        await until(pilot, lambda: len(rows(app, "frontend-.*")) == 8)  # ten, two below the fold at 80x24
        burst(app, "slash", *"Pending", "enter")
        await until(pilot, lambda: [r[1:3] for r in rows(app, "frontend-.*")] == [["0/1", "Pending"]] * 2)
        # describe: the scheduler's reasons, then the Cluster Autoscaler's answer
        # (`w` wraps the long lines: the Cluster Autoscaler's message in full)
        burst(app, "d", "w", "G")
        await until(pilot, lambda: isinstance(screen.view, DescribeView) and "TriggeredScaleUp" in text(app))
        assert "Normal   TriggeredScaleUp" in text(app) and "cluster-autoscaler  pod triggered" in text(app)
        assert "scale-up: [{general 0->1 (max: 3)}]" in text(app)
        burst(app, "escape", "escape")

        # `:nodes`: the group's new machine registers NotReady, and turns Ready once booted (its bootTime, 2m)
        await command(pilot, "no")
        await until(pilot, lambda: [r[1] for r in rows(app, r"general-[a-z0-9]{5}")] == ["NotReady"])
        await cluster.run_for(120)
        await until(pilot, lambda: [r[1] for r in rows(app, r"general-[a-z0-9]{5}")] == ["Ready"])
        [machine] = [r[0] for r in rows(app, r"general-[a-z0-9]{5}")]
        await command(pilot, "po shop")
        await until(pilot, lambda: [r[1:3] for r in rows(app, "frontend-.*")] == [["1/1", "Running"]] * 8)

        # The load taken off: `/frontend` Enter, shift-l, 0, Enter (whether the view kept its cursor on frontend
        # depends on how many views were opened since)
        await command(pilot, "deploy shop")
        await until(pilot, lambda: [r[:2] for r in rows(app, "frontend")] == [["frontend", "10/10"]])
        burst(app, "slash", *"frontend", "enter", "L", "0", "enter")
        await until(pilot, lambda: "load on deployment/frontend in shop stopped" in text(app))
        # CPU falls at once, but the HPA keeps 10 replicas for its 5-minute scale-down stabilization window...
        await command(pilot, "hpa shop")
        await cluster.run_for(240)
        await until(pilot, lambda: hpa(app)[1:] == ["cpu: 0%/80%", "1", "10", "10"])
        # ... and then goes straight to its minimum, 1
        await cluster.run_for(90)
        await until(pilot, lambda: hpa(app)[1:] == ["cpu: 0%/80%", "1", "10", "1▽"])

        # The new machine is now unneeded: 10 minutes later the Cluster Autoscaler cordons it, drains it, removes it
        await command(pilot, "no")
        await until(pilot, lambda: [r[:2] for r in rows(app, r"general-[a-z0-9]{5}")] == [[machine, "Ready"]])
        # Nothing fell while the view was hidden: the allocatable CPU carries no ▽ coming back (4000, 2000, 2000).
        assert [r[6] for r in rows(app, r"general-.*|node-[12]")] == ["4000", "2000", "2000"]
        await cluster.run_for(500)
        await until(pilot, lambda: [r[:2] for r in rows(app, r"general-[a-z0-9]{5}")] == [[machine, "Ready"]])
        assert await cluster.run_until(lambda c: cordoned(c, machine), timeout=120)
        await until(
            pilot, lambda: [r[:2] for r in rows(app, r"general-[a-z0-9]{5}")] == [[machine, "Ready,SchedulingDisabled"]]
        )
        await cluster.run_for(60)
        await until(pilot, lambda: rows(app, r"general-[a-z0-9]{5}") == [] and len(rows(app, "node-[12]")) == 2)


async def test_coming_back_to_the_nodes_view_shows_no_fall_that_did_not_happen() -> None:
    """A view hidden behind another keeps up with its watch but leaves its usage cells at 0 (only a view on screen
    asks for usage); coming back, a node cordoned meanwhile showed `42▽ 4000▽`, as if its CPU and allocatable
    had fallen. Nothing is marked while hidden."""
    cluster = Cluster(nodes=2, clock="virtual")
    async with dashboard([], size=SMALL, cluster=cluster, command="no") as (app, pilot, _screen, _cluster):
        await cluster.run_for(60)
        await until(pilot, lambda: [r[5:7] for r in rows(app, "node-[12]")] == [["42", "4000"], ["43", "4000"]])
        await command(pilot, "deploy")
        await cluster.cordon("node-1")
        await cluster.run_for(15)
        await pilot.pause(1.5)  # the hidden view takes in the cordon (once a second)
        await command(pilot, "no")
        await until(
            pilot,
            lambda: (
                [r[:2] for r in rows(app, "node-[12]")] == [["node-1", "Ready,SchedulingDisabled"], ["node-2", "Ready"]]
            ),
        )
        assert [r[5:7] for r in rows(app, "node-[12]")] == [["42", "4000"], ["43", "4000"]]


async def test_the_load_view_shows_each_pods_share_and_cpu_within_80_columns(tmp_path: Path) -> None:
    """`:load` at 80x24: each pod's requests/s and what they cost it in the pods view's columns, %CPU/R (what the
    HPA compares with its target) included; its rows were 95 columns wide, cut after `CPU 668m  %CPU`."""
    cluster = Cluster(nodes=LAB_NODES, node_cpu=LAB_NODE_CPU, clock="virtual")
    async with dashboard([lab(tmp_path)], size=SMALL, cluster=cluster) as (app, pilot, _screen, _cluster):
        await cluster.run_for(60)
        await command(pilot, f"load shop/deploy/frontend {RPS}")
        await cluster.run_for(15)
        await until(
            pilot, lambda: [r[1:] for r in rows(app, "frontend-.*")] == [["666.7", "668", "267", "n/a", "8"]] * 3
        )
        lines = screen_lines(app)
        assert any(line.split() == ["│", "POD", "REQ/S", "CPU", "%CPU/R", "%CPU/L", "MEM", "│"] for line in lines)
        assert "deployment/frontend in shop: 2000 requests/s over 3 ready pods" in text(app)
