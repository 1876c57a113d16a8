"""One DaemonSet on many nodes: time to a Ready pod on every node, then a rolling update across them; not a test,
run it by hand.

    python benchmarks/daemonset_bench.py               # 100 nodes
    python benchmarks/daemonset_bench.py --nodes 500 --max-unavailable 10%

1. Roll-out: apply the DaemonSet (virtual clock); wall time and cluster time until status.numberAvailable equals
   the number of nodes and every node runs a Ready pod.
2. Rolling update: change the image; wall time and cluster time until `kubectl rollout status` says done (every
   node's pod replaced, maxUnavailable nodes at a time).
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.cluster import Cluster


def daemonset(image: str, max_unavailable: int | str) -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": "agent", "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": max_unavailable}},
            "template": {
                "metadata": {"labels": {"app": "agent"}},
                "spec": {"containers": [{"name": "agent", "image": image,
                                         "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}],
                         "volumes": [{"name": "varlog", "hostPath": {"path": "/var/log"}}]},
            },
        },
    }


def _every_node_ready(cluster: Cluster, nodes: int) -> bool:
    status = (cluster.store.get("daemonsets.apps", "default", "agent") or {}).get("status") or {}
    if status.get("numberAvailable") != nodes:
        return False
    ready_nodes = {p["spec"].get("nodeName") for p in cluster.store.iter("pods", "default")
                   if any(c.get("type") == "Ready" and c.get("status") == "True"
                          for c in (p.get("status") or {}).get("conditions", ()))}
    return len(ready_nodes) == nodes


async def run(nodes: int, max_unavailable: int | str) -> None:
    async with Cluster(nodes=nodes) as cluster:
        print(f"DaemonSet on {nodes} nodes, maxUnavailable {max_unavailable} "
              f"(Python {platform.python_version()}, {platform.machine()})")
        started, cluster_start = time.perf_counter(), cluster.now()
        await cluster.apply(daemonset("agent:1.0", max_unavailable))
        assert await cluster.run_until(lambda c: _every_node_ready(c, nodes), timeout=3600)
        print(f"  all {nodes} pods Ready: {time.perf_counter() - started:.2f} s wall, "
              f"{cluster.now() - cluster_start:.1f} s cluster time")

        started, cluster_start = time.perf_counter(), cluster.now()
        await cluster.apply(daemonset("agent:2.0", max_unavailable))
        assert await cluster.run_until(lambda c: c.rollout_status("agent", kind="DaemonSet")[1], timeout=36000)
        print(f"  rolling update: {time.perf_counter() - started:.2f} s wall, "
              f"{cluster.now() - cluster_start:.1f} s cluster time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=100)
    parser.add_argument("--max-unavailable", default="1",
                        help="an integer or a percentage (default 1, the API default)")
    args = parser.parse_args()
    value = args.max_unavailable
    asyncio.run(run(args.nodes, int(value) if value.isdigit() else value))


if __name__ == "__main__":
    main()
