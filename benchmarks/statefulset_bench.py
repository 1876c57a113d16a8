"""Many StatefulSets with claims: time until every pod is Ready; not a test, run it by hand.

    python benchmarks/statefulset_bench.py                      # 100 StatefulSets x 10 replicas, 100 nodes
    python benchmarks/statefulset_bench.py --sets 20 --replicas 5 --nodes 20 --parallel

Each StatefulSet has one volumeClaimTemplate; its claims use the default StorageClass `standard`
(WaitForFirstConsumer, the simulated provisioner), so every pod start means a claim created, a volume provisioned
on the scheduled node and bound. With OrderedReady (the default) each set starts its pods one at a time; the sets
progress side by side. Prints the wall time and the cluster (virtual clock) time until every set reports all its
replicas ready.
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


def statefulset(name: str, replicas: int, parallel: bool) -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "serviceName": name, "replicas": replicas,
            "podManagementPolicy": "Parallel" if parallel else "OrderedReady",
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "db", "image": "postgres:16",
                                         "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
                                         "volumeMounts": [{"name": "data", "mountPath": "/data"}]}]},
            },
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}],
        },
    }


def _all_ready(cluster: Cluster, sets: int, replicas: int) -> bool:
    done = sum(1 for s in cluster.store.iter("statefulsets.apps", "default")
               if (s.get("status") or {}).get("readyReplicas") == replicas)
    return done == sets


async def run(sets: int, replicas: int, nodes: int, parallel: bool) -> None:
    async with Cluster(nodes=nodes) as cluster:
        policy = "Parallel" if parallel else "OrderedReady"
        print(f"{sets} StatefulSets x {replicas} replicas with claims on {nodes} nodes, {policy} "
              f"(Python {platform.python_version()}, {platform.machine()})")
        started, cluster_start = time.perf_counter(), cluster.now()
        for i in range(sets):
            cluster.api.create(statefulset(f"db-{i}", replicas, parallel))
        assert await cluster.run_until(lambda c: _all_ready(c, sets, replicas), timeout=36000)
        wall = time.perf_counter() - started
        claims = len(cluster.store.list("persistentvolumeclaims", "default"))
        print(f"all {sets * replicas} pods Ready with {claims} bound claims: {wall:.2f} s wall, "
              f"{cluster.now() - cluster_start:.0f} s cluster time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", type=int, default=100)
    parser.add_argument("--replicas", type=int, default=10)
    parser.add_argument("--nodes", type=int, default=100)
    parser.add_argument("--parallel", action="store_true", help="podManagementPolicy: Parallel")
    args = parser.parse_args()
    asyncio.run(run(args.sets, args.replicas, args.nodes, args.parallel))


if __name__ == "__main__":
    main()
