"""ConfigMap updates reaching mounted files: 1,000 updates to one ConfigMap that 10,000 pods mount; not a test,
run it by hand.

    python benchmarks/configmap_bench.py                          # 1,000 Deployments x 10 replicas, 100 nodes
    python benchmarks/configmap_bench.py --deployments 100 --updates 100 --profile

Every pod mounts the ConfigMap `settings` at /etc/settings. Once all are Ready (not timed), the ConfigMap is
updated `--updates` times, one every `--interval` seconds of cluster time (the virtual clock), `version` counting
up; then the cluster runs on, and every pod's file is read as `kubectl exec -- cat /etc/settings/version` (and the
dashboard's `s` view) read it, through `Cluster.container_view`, until each shows the last value. Prints the wall
time of the updates and of the reads, and the cluster time from the last update until the last pod showed it:
at most one kubelet sync period (`syncFrequency`, 60 s), as on a real node.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import platform
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import engine_bench  # benchmarks/, the script's folder, is on sys.path

from engine import tune_gc
from engine.cluster import Cluster

MOUNT = "/etc/settings"
READ_STEP = 5.0  # cluster seconds between two rounds of reading the pods that do not show the last value yet


def configmap(version: int) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": "default"},
            "data": {"version": str(version), "app.properties": f"mode=production\nversion={version}\n"}}


def deployment(i: int, replicas: int) -> dict:
    """engine_bench's Deployment, its pods mounting the ConfigMap."""
    obj = engine_bench.deployment(i, replicas)
    spec = obj["spec"]["template"]["spec"]
    spec["containers"][0]["volumeMounts"] = [{"name": "settings", "mountPath": MOUNT}]
    spec["volumes"] = [{"name": "settings", "configMap": {"name": "settings"}}]
    return obj


def shown(cluster: Cluster, pod: str) -> str | None:
    """What `cat /etc/settings/version` prints in the pod."""
    view = cluster.container_view(pod)
    return next((f.content for m in view.mounts for f in m.files if f.path == f"{MOUNT}/version"), None)


async def run(deployments: int, replicas: int, nodes: int, updates: int, interval: float) -> None:
    expected = deployments * replicas
    cluster = Cluster(nodes=nodes, node_cpu="32", node_memory="128Gi",
                      node_pods=max(110, 2 * expected // nodes))
    async with cluster:
        print(f"{updates} ConfigMap updates, one every {interval:g} s, to {expected} pods mounting it "
              f"({deployments} Deployments x {replicas}) on {nodes} nodes "
              f"(Python {platform.python_version()}, {platform.machine()})")
        await cluster.apply(configmap(0))
        started = time.perf_counter()
        await cluster.apply([deployment(i, replicas) for i in range(deployments)])
        assert await cluster.run_until(lambda c: c.store.count("pods") >= expected, timeout=600)
        assert await cluster.run_until(lambda c: all(engine_bench._ready(p) for p in c.store.iter("pods")), timeout=600)
        print(f"setup: {expected} pods Ready in {time.perf_counter() - started:.2f} s wall (not counted)")
        pods = sorted(p["metadata"]["name"] for p in cluster.store.iter("pods", "default"))
        assert all(shown(cluster, name) == "0" for name in pods[:: max(1, len(pods) // 100)])

        started = time.perf_counter()
        for version in range(1, updates + 1):
            cluster.api.update(configmap(version))
            await cluster.run_for(interval)
        updated = time.perf_counter()
        last_update = cluster.now() - interval
        last = str(updates)
        waiting, reads = pods, 0
        while waiting:
            reads += len(waiting)
            waiting = [name for name in waiting if shown(cluster, name) != last]
            if waiting:
                await cluster.run_for(READ_STEP)
        done = time.perf_counter()
        print(f"updates: {updated - started:.2f} s wall for {updates} updates over "
              f"{updates * interval:g} s cluster time")
        print(f"reads until every pod shows version {last}: {done - updated:.2f} s wall, {reads} file reads, "
              f"last pod {cluster.now() - last_update:.0f} s cluster time after the last update")
        print(f"total: {done - started:.2f} s wall")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deployments", type=int, default=1000)
    parser.add_argument("--replicas", type=int, default=10)
    parser.add_argument("--nodes", type=int, default=100)
    parser.add_argument("--updates", type=int, default=1000)
    parser.add_argument("--interval", type=float, default=0.1, help="cluster seconds between two updates")
    parser.add_argument("--profile", action="store_true", help="print the top of a cProfile of the whole run")
    args = parser.parse_args()
    tune_gc()
    job = run(args.deployments, args.replicas, args.nodes, args.updates, args.interval)
    if not args.profile:
        asyncio.run(job)
        return
    profile = cProfile.Profile()
    profile.runcall(asyncio.run, job)
    pstats.Stats(profile).sort_stats("cumulative").print_stats(35)


if __name__ == "__main__":
    main()
