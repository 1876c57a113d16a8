"""A Cluster Autoscaler scale-up from 100 to 300 nodes, on the virtual clock; not a test, run it by hand.

    python benchmarks/autoscaler_bench.py                     # 100 -> 300 nodes
    python benchmarks/autoscaler_bench.py --start 20 --end 60

One node group (4 CPU, 16Gi, 60 s boot, min --start, max --end) holds the whole cluster: --start nodes, each running
4 pods of a Deployment asking 900m (CoreDNS fits beside them). The Deployment is then scaled so that it needs --end
nodes: the pending pods trigger a scale-up, the new machines boot, the pods run. Prints the wall time to the last
pod Running (and how much of it the autoscaler's loops took), the cluster time it took, and the peak memory
(tracemalloc).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import tune_gc
from engine.cluster import Cluster
from engine.controllers.cluster_autoscaler import ClusterAutoscaler

PODS_PER_NODE = 4


def deployment(replicas: int) -> dict:
    container = {"name": "app", "image": "nginx", "resources": {"requests": {"cpu": "900m", "memory": "1Gi"}}}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "batch"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "batch"}},
            "template": {"metadata": {"labels": {"app": "batch"}}, "spec": {"containers": [container]}},
        },
    }


def running(cluster: Cluster) -> int:
    return sum(1 for p in cluster.store.iter("pods", "default") if p.get("status", {}).get("phase") == "Running")


async def run(start: int, end: int) -> None:
    tune_gc()
    group = {
        "apiVersion": "k9py.io/v1alpha1",
        "kind": "NodeGroup",
        "metadata": {"name": "pool"},
        "spec": {"minSize": start, "maxSize": end, "bootTime": "60s", "node": {"cpu": "4", "memory": "16Gi"}},
    }
    async with Cluster(nodes=0, node_groups=[group], seed=1) as c:
        await c.run_for(70)  # the min-size machines boot
        await c.apply(deployment(start * PODS_PER_NODE))
        assert await c.run_until(lambda c: running(c) == start * PODS_PER_NODE, timeout=600)
        autoscaler = c.components.get(ClusterAutoscaler)
        spent = [0.0]
        loop = autoscaler.run_once

        def timed(now: float) -> None:
            began = time.perf_counter()
            loop(now)
            spent[0] += time.perf_counter() - began

        autoscaler.run_once = timed  # type: ignore[method-assign]
        tracemalloc.start()
        began_at, cluster_began = time.perf_counter(), c.now()
        await c.scale("deployment", "batch", end * PODS_PER_NODE)
        done = await c.run_until(lambda c: running(c) == end * PODS_PER_NODE, timeout=1800)
        wall = time.perf_counter() - began_at
        _, peak = tracemalloc.get_traced_memory()
        nodes = len(c.list("nodes"))
        print(f"scale-up {start} -> {nodes} nodes, {end * PODS_PER_NODE} pods Running: {done}")
        print(
            f"  wall {wall:.2f} s (autoscaler loops {spent[0]:.2f} s), cluster time {c.now() - cluster_began:.0f} s,"
            f" peak memory {peak / 2**20:.0f} MiB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", type=int, default=100)
    parser.add_argument("--end", type=int, default=300)
    args = parser.parse_args()
    asyncio.run(run(args.start, args.end))


if __name__ == "__main__":
    main()
