"""A node's describe starts with sparklines of its CPU and memory over the last five minutes (issue 15 part 1: "a
sparkline of recent CPU/MEM in describe"), as a pod's does: what metrics-server scraped of the node every 15 s
(its containers and its own share, kubelet and runtime), scaled to its allocatable, with the share of it now.

Upstream: kubernetes-sigs/metrics-server pkg/storage/node.go (a node's CPU is the rate between two scrapes of its
cgroup root, memory the last scrape's working set), pkg/scraper (every kubelet, every --metric-resolution: 15s);
k9s internal/render/node.go (%CPU and %MEM against allocatable). The sparkline itself is k9py's own: k9s shows none.
"""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path
from typing import Any

import tui_support
from tui_support import burst, dashboard, screen_lines

from engine import Cluster
from k9py.views.describe import DescribeView

until = partial(tui_support.until, timeout=20.0)
SMALL = (80, 24)

WEB = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations: {sim.k9py.io/cpu: "20m", sim.k9py.io/memory: "100Mi"}
    spec:
      containers:
      - {name: app, image: nginx:1.27, resources: {requests: {cpu: 100m, memory: 64Mi}}}
"""


def text(app: Any) -> str:
    return "\n".join(screen_lines(app))


def usage_line(app: Any, name: str) -> tuple[str, str]:
    """The describe's `  CPU:` or `  Memory:` line as painted: (its 20-scrape sparkline, the value after it)."""
    line = next(line for line in screen_lines(app) if f"  {name}:" in line)
    start = line.index(f"{name}:") + len("Memory:  ")  # the labels are padded to one width
    spark, rest = line[start : start + 20], line[start + 20 :]
    value = re.match(r"\s*(<none>|\S.*?\))", rest)  # up to the scrollbar at the right edge
    return spark, value.group(1) if value else ""


async def test_a_nodes_describe_shows_its_cpu_climbing_under_load_and_keeps_its_past(tmp_path: Path) -> None:
    (tmp_path / "web.yaml").write_text(WEB)
    cluster = Cluster(nodes=1, clock="virtual")
    async with dashboard([tmp_path], size=SMALL, cluster=cluster, command="no") as (app, pilot, screen, _):
        await cluster.run_for(180)
        cluster.load("deploy/web", 2000, "default")  # 1000 requests/s a pod at 1m each: 2 cores more on the node
        await cluster.run_for(60)
        burst(app, "d")
        await until(pilot, lambda: isinstance(screen.view, DescribeView) and "Usage (metrics-server" in text(app))
        assert "Usage (metrics-server, every 15s, last 5m):" in text(app)
        # 20 scrapes: the first 4 before the node had two scrapes (blank), 12 idle (40m + 2 x 20m + kube-proxy
        # and CoreDNS's 1m each, of 4 cores: the lowest bar), then 4 under load (2084m: 52 %)
        cpu, now = usage_line(app, "CPU")
        assert cpu == "    " + "▁" * 12 + "▅" * 4, cpu
        assert now == "2084m (52% of 4000m allocatable)"
        memory, now = usage_line(app, "Memory")
        assert memory == "    " + "▁" * 16 and now.endswith("(2% of 16384Mi allocatable)")

        # The load off and the pods gone: the describe follows, and the node's past keeps what they used.
        cluster.load("deploy/web", 0, "default")
        await cluster.scale("deployment", "web", 0)
        await cluster.run_for(45)
        await until(pilot, lambda: usage_line(app, "CPU")[0].endswith("▅▁▁▁"))
        assert usage_line(app, "CPU")[0] == " " + "▁" * 12 + "▅" * 4 + "▁" * 3


async def test_a_failed_nodes_sparkline_stops_when_its_kubelet_did() -> None:
    """metrics-server scrapes nothing of a node whose kubelet is down: its sparkline is blank from then on and the
    describe shows no usage now, while what was scraped before stays as it was."""
    cluster = Cluster(nodes=1, clock="virtual")
    async with dashboard([], size=SMALL, cluster=cluster, command="no") as (app, pilot, screen, _):
        await cluster.run_for(120)
        before = cluster.metrics.node_history("node-1")
        assert [cpu is not None for _, cpu, _ in before] == [False] * 12 + [True] * 8
        point = cluster.metrics.node_point("node-1")  # the last point is what kubectl top node shows now
        assert point is not None and (round(before[-1][1] * 1e9), before[-1][2]) == (point.nanocores, point.bytes)
        # `f` and OK: the node's kubelet stops
        burst(app, "f", *tui_support.CONFIRM)
        await until(pilot, lambda: not cluster.node_running("node-1"))
        await cluster.run_for(45)
        burst(app, "d")
        await until(pilot, lambda: isinstance(screen.view, DescribeView) and "Usage (metrics-server" in text(app))
        assert usage_line(app, "CPU") == (" " * 9 + "▁" * 8 + " " * 3, "<none>")
        assert usage_line(app, "Memory") == (" " * 9 + "▁" * 8 + " " * 3, "<none>")
        assert cluster.metrics.node_history("node-1")[9:17] == before[-8:]
