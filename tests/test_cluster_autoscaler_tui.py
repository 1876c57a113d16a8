"""The Cluster Autoscaler in the dashboard (issue 15 part 3), at 80x24 with keys in bursts: a NodeGroup document in
the watched folder is all it takes (no flag); the nodes view shows a new machine register NotReady, turn Ready, and
later be cordoned for scale-down (Ready,SchedulingDisabled) and go; describe of a pod shows TriggeredScaleUp, and of
a pod no group can hold NotTriggerScaleUp.

Upstream: cluster-autoscaler `processors/status/eventing_scale_up_processor.go` (the two events and their
messages), `core/scaledown/actuation/actuator.go` (taint ToBeDeletedByClusterAutoscaler and cordon, then drain,
then the machine goes), `config/const.go` (10 minutes unneeded, 10 minutes after a scale-up); the kubelet registers
a node NotReady until it is up.
"""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path
from typing import Any

import tui_support
from test_cluster_autoscaler_folder import BIG
from test_cluster_autoscaler_folder import GROUP as FOLDER_GROUP
from tui_support import burst, command, dashboard, filter_by, screen_lines

from engine.store import WatchEvent

until = partial(tui_support.until, timeout=30.0)
SMALL = (80, 24)

# The folder test's group (8-CPU machines) at most 2, and its two 6-CPU pods, beside a pod no group can hold.
GROUP = FOLDER_GROUP.format(min=0, max=2)
CRUNCH = (
    BIG
    + """\
---
apiVersion: v1
kind: Pod
metadata: {name: huge}
spec:
  containers:
  - {name: app, image: busybox, resources: {requests: {cpu: "64"}}}
"""
)
# A light pod that would rather run on the group's nodes: what keeps one of them under 50 % and drained, not empty.
LIGHT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: light}
spec:
  replicas: 1
  selector: {matchLabels: {app: light}}
  template:
    metadata: {labels: {app: light}}
    spec:
      affinity:
        nodeAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 100
            preference: {matchExpressions: [{key: k9py.io/node-group, operator: Exists}]}
      containers:
      - {name: app, image: busybox, resources: {requests: {cpu: 100m}}}
"""


def group_rows(app: Any) -> list[list[str]]:
    """The nodes view's rows of the group's machines, as painted: [name, status, ...]."""
    rows = [line.strip("│ ").split() for line in screen_lines(app)]
    return [row for row in rows if row and re.fullmatch(r"big-[a-z0-9]{5}", row[0])]


def statuses(app: Any) -> list[str]:
    return sorted(row[1] for row in group_rows(app) if len(row) > 1)


async def test_nodes_arrive_notready_turn_ready_and_are_drained_and_removed(tmp_path: Path) -> None:
    (tmp_path / "groups.yaml").write_text(GROUP)
    (tmp_path / "app.yaml").write_text(CRUNCH)
    async with dashboard([tmp_path], size=SMALL, speed=10, command="nodes") as (app, pilot, _screen, cluster):
        await until(pilot, lambda: statuses(app) == ["NotReady", "NotReady"])
        await until(pilot, lambda: statuses(app) == ["Ready", "Ready"])
        machines = sorted(row[0] for row in group_rows(app))

        # describe: the pending pods' scale-up, and the pod no group can hold
        await command(pilot, "pods default")
        await filter_by(pilot, "crunch")
        await until(pilot, lambda: "pods(default)[2] </crunch>" in "".join(screen_lines(app)))
        burst(app, "d", "G")
        await until(pilot, lambda: any("TriggeredScaleUp" in line for line in screen_lines(app)))
        burst(app, "escape", "escape")  # describe, then the filter
        await until(pilot, lambda: "pods(default)[3]" in "".join(screen_lines(app)))
        await filter_by(pilot, "huge")
        await until(pilot, lambda: "pods(default)[1] </huge>" in "".join(screen_lines(app)))
        burst(app, "d", "G")
        await until(pilot, lambda: any("NotTriggerScaleUp" in line for line in screen_lines(app)))
        burst(app, "escape")

        # scale-down: the machines' work goes, a light pod prefers one of them; the clock stops when that one is
        # cordoned (an empty one is removed at once, a drained one waits for its pod to leave)
        cordoned: list[str] = []

        def on_write(event: WatchEvent) -> None:
            node = event.object
            name = node["metadata"]["name"]
            if event.resource != "nodes" or not node["spec"].get("unschedulable") or cordoned or name not in machines:
                return
            if any(p["spec"].get("nodeName") == name for p in cluster.store.iter("pods", "default")):
                cordoned.append(name)
                cluster.pause()

        cluster.store.add_listener(on_write)
        await cluster.scale("deployment", "crunch", 0)
        (tmp_path / "light.yaml").write_text(LIGHT)
        await command(pilot, "nodes")
        cluster.set_speed(200)
        await until(pilot, lambda: bool(cordoned))
        await until(pilot, lambda: "Ready,SchedulingDisabled" in statuses(app))
        cluster.resume()
        await until(pilot, lambda: group_rows(app) == [])
