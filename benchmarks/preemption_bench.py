"""Preemption of 1,000 low-priority pods (issue 16's speed list), on the virtual clock: run it by hand.

    python benchmarks/preemption_bench.py

101 nodes of 9 cpu are filled by a Deployment of 1,000 low-priority pods (900m each: ten to a node, less on the two
nodes CoreDNS shares); then a Deployment of 1,000 high-priority pods of the same size arrives, and all but the few
that find a free slot must each preempt a low one. Printed: the wall time from applying the high Deployment to all
of its pods Running (median of three runs), the number of `Preempted` events, and how many low pods are left.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import tune_gc
from engine.cluster import Cluster

NODES = 101
REPLICAS = 1000


def priority_class(name: str, value: int) -> dict[str, Any]:
    return {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": name}, "value": value}


def deployment(name: str, klass: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "replicas": REPLICAS,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "priorityClassName": klass,
                    "containers": [
                        {"name": "app", "image": "nginx", "resources": {"requests": {"cpu": "900m", "memory": "64Mi"}}}
                    ],
                },
            },
        },
    }


def running(cluster: Cluster, app: str) -> int:
    return sum(
        1
        for p in cluster.store.iter("pods", "default")
        if p["metadata"]["labels"].get("app") == app
        and (p.get("status") or {}).get("phase") == "Running"
        and not p["metadata"].get("deletionTimestamp")
    )


async def run() -> tuple[float, int, int]:
    async with Cluster(nodes=NODES, node_cpu="9", node_memory="64Gi") as cluster:
        for name, value in (("low", 10), ("high", 1000)):
            cluster.api.create(priority_class(name, value))
        await cluster.create(deployment("low", "low"))
        assert await cluster.run_until(lambda c: running(c, "low") >= NODES * 10 - 2 - 10, timeout=600)
        started = time.perf_counter()
        await cluster.create(deployment("high", "high"))
        assert await cluster.run_until(lambda c: running(c, "high") == REPLICAS, timeout=3600)
        wall = time.perf_counter() - started
        preempted = sum(1 for e in cluster.events("default") if e["reason"] == "Preempted")
        return wall, preempted, running(cluster, "low")


def main() -> None:
    tune_gc()
    runs = [asyncio.run(run()) for _ in range(3)]
    walls = [r[0] for r in runs]
    _, preempted, low_left = runs[-1]
    print(f"{REPLICAS:,} high-priority pods over {REPLICAS:,} low-priority ones on {NODES} nodes:")
    print(
        f"  all high pods Running: {statistics.median(walls):.2f} s wall (runs {', '.join(f'{w:.2f}' for w in walls)})"
    )
    print(f"  Preempted events: {preempted:,}; low pods still Running: {low_left:,}")


if __name__ == "__main__":
    main()
