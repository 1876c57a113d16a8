"""One big ReplicaSet: scale up to N replicas and back to 0 (issue 9 §3); not a test, run it by hand.

    python benchmarks/replicaset_bench.py                               # 100,000 replicas on 1,000 nodes
    python benchmarks/replicaset_bench.py --replicas 10000 --nodes 100
    python benchmarks/replicaset_bench.py --replicas 20000 --profile /tmp/rs.prof   # cProfile the whole run

1. Scale-up: apply one ReplicaSet of N replicas (virtual clock), wall time until every pod is Ready (the
   ReplicaSet's status.readyReplicas reaches N, then checked pod by pod), and the cluster time that took.
2. Scale-down: scale it to 0, wall time until status.replicas is 0 (every pod is being deleted), then until
   every pod is gone from the store (the kubelets' grace periods run on the virtual clock).

The per-pod cost to compare with is `engine_bench.py --large`: 10,000 Deployments x 10 replicas on 1,000 nodes.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import platform
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import tune_gc
from engine.cluster import Cluster


def replicaset(replicas: int) -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": "big", "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "big"}},
            "template": {
                "metadata": {"labels": {"app": "big"}},
                "spec": {"containers": [{"name": "app", "image": "nginx:1.27",
                                         "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}]},
            },
        },
    }


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _status(cluster: Cluster) -> dict:
    rs = cluster.store.get("replicasets.apps", "default", "big")
    return (rs or {}).get("status") or {}


def _ready(pod: dict) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions", ()))


async def run(replicas: int, nodes: int, scale_down: bool, timeout: float) -> dict[str, float]:
    cluster = Cluster(nodes=nodes, node_cpu="32", node_memory="128Gi",
                      node_pods=max(110, 2 * replicas // max(nodes, 1)))
    out: dict[str, float] = {}
    async with cluster:
        started, cpu = time.perf_counter(), time.process_time()
        cluster_start = cluster.now()
        await cluster.apply(replicaset(replicas))
        ok = await cluster.run_until(lambda c: _status(c).get("readyReplicas", 0) >= replicas, timeout=timeout)
        out["up_wall"] = time.perf_counter() - started
        out["up_cpu"] = time.process_time() - cpu
        out["up_cluster"] = cluster.now() - cluster_start
        assert ok, f"not Ready within {timeout:g} s of cluster time: {_status(cluster)}"
        assert cluster.store.count("pods") == replicas and all(_ready(p) for p in cluster.store.iter("pods"))
        out["up_rss"] = peak_rss_mib()
        if scale_down:
            started, cpu = time.perf_counter(), time.process_time()
            cluster_start = cluster.now()
            await cluster.scale("rs", "big", 0)
            ok = await cluster.run_until(lambda c: _status(c).get("replicas", 0) == 0, timeout=timeout)
            out["down_deleting_wall"] = time.perf_counter() - started
            assert ok, f"status.replicas not 0 within {timeout:g} s of cluster time: {_status(cluster)}"
            ok = await cluster.run_until(lambda c: c.store.count("pods") == 0, timeout=timeout)
            out["down_gone_wall"] = time.perf_counter() - started
            out["down_cpu"] = time.process_time() - cpu
            out["down_cluster"] = cluster.now() - cluster_start
            assert ok, f"{cluster.store.count('pods')} pods left after {timeout:g} s of cluster time"
        out["rss"] = peak_rss_mib()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--replicas", type=int, default=100_000)
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--no-scale-down", action="store_true")
    parser.add_argument("--timeout", type=float, default=3600.0, help="cluster seconds allowed for each phase")
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the run to FILE")
    args = parser.parse_args()
    tune_gc()  # as the k9py command line does
    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}")
    coro = run(args.replicas, args.nodes, not args.no_scale_down, args.timeout)
    if args.profile:
        profiler = cProfile.Profile()
        out = profiler.runcall(asyncio.run, coro)
        profiler.dump_stats(args.profile)
    else:
        out = asyncio.run(coro)
    n = args.replicas
    print(f"1 ReplicaSet x {n:,} replicas, {args.nodes:,} nodes: all Ready in {out['up_wall']:.2f} s wall "
          f"({1000 * out['up_wall'] / n:.3f} ms per pod, {out['up_cpu']:.2f} s CPU; "
          f"{out['up_cluster']:.0f} s of cluster time), peak RSS {out['up_rss']:.0f} MiB")
    if "down_gone_wall" in out:
        print(f"scale {n:,} -> 0: every pod deleting in {out['down_deleting_wall']:.2f} s wall, all gone in "
              f"{out['down_gone_wall']:.2f} s wall ({1000 * out['down_gone_wall'] / n:.3f} ms per pod, "
              f"{out['down_cpu']:.2f} s CPU; "
              f"{out['down_cluster']:.0f} s of cluster time), peak RSS {out['rss']:.0f} MiB")


if __name__ == "__main__":
    main()
