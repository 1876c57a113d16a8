"""HorizontalPodAutoscalers over many pods under varying load, on the virtual clock; not a test, run it by hand.

    python benchmarks/hpa_bench.py                              # 1,000 HPAs over 10,000 pods, one hour
    python benchmarks/hpa_bench.py --hpas 50 --pods-each 10 --minutes 10

Each HPA scales its own Deployment (min 5, max 20, CPU at 50 % of a 100m request) in one of --namespaces
namespaces; the load on each Deployment's Service rises and falls every 10 minutes (out of phase across
Deployments), so the HPAs scale up and down all hour. Prints the wall time, the CPU time (what a shared machine
does not inflate), the peak memory and the rescales made. Peak memory is tracemalloc's (exact, but it slows the
run about twofold) or, with `--memory rss`, the process's peak resident set (ru_maxrss).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import tune_gc
from engine.cluster import Cluster


def objects(i: int, namespace: str, pods: int) -> list[dict]:
    name = f"app-{i:04d}"
    template = {"metadata": {"labels": {"app": name}, "annotations": {"sim.k9py.io/cost-per-request": "10m"}},
                "spec": {"containers": [{"name": "app", "image": "nginx", "resources": {
                    "requests": {"cpu": "100m", "memory": "32Mi"}}}]}}
    return [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": namespace},
         "spec": {"replicas": pods, "selector": {"matchLabels": {"app": name}}, "template": template}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace},
         "spec": {"selector": {"app": name}, "ports": [{"port": 80}]}},
        {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
         "metadata": {"name": name, "namespace": namespace},
         "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                  "minReplicas": max(1, pods // 2), "maxReplicas": pods * 2, "metrics": [
                      {"type": "Resource", "resource": {"name": "cpu", "target": {
                          "type": "Utilization", "averageUtilization": 50}}}]}},
    ]


async def run(hpas: int, pods_each: int, minutes: int, namespaces: int, memory: str = "tracemalloc") -> None:
    tune_gc()
    if memory == "tracemalloc":
        tracemalloc.start()
    started, cpu_started = time.perf_counter(), time.process_time()
    async with Cluster(nodes=max(1, hpas * pods_each * 2 // 100), node_pods=110, node_cpu="64",
                       node_memory="256Gi", seed=1) as c:
        for n in range(namespaces):
            await c.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"ns-{n}"}})
        for i in range(hpas):
            await c.apply(objects(i, f"ns-{i % namespaces}", pods_each))
        await c.run_for(60)
        setup = time.perf_counter() - started
        for minute in range(minutes):
            if minute % 10 == 0:
                for i in range(hpas):  # half the apps under load for 10 minutes, then the other half
                    busy = (i + minute // 10) % 2 == 0
                    c.load(f"ns-{i % namespaces}/svc/app-{i:04d}", pods_each * 8.0 if busy else 0)
            await c.run_for(60)
        rescales = sum(1 for e in c.events(None) if e.get("reason") == "SuccessfulRescale")
        pods = c.store.count("pods")
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if memory == "tracemalloc":
        peak = tracemalloc.get_traced_memory()[1]
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    print(f"{hpas} HPAs, {pods} pods at the end, {minutes} min of cluster time: setup {setup:.1f} s, "
          f"total {wall:.1f} s wall, {cpu:.1f} s CPU, peak memory {peak / 2**20:.0f} MiB ({memory}), "
          f"{rescales} rescales (events kept)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hpas", type=int, default=1000)
    parser.add_argument("--pods-each", type=int, default=10)
    parser.add_argument("--minutes", type=int, default=60)
    parser.add_argument("--namespaces", type=int, default=100)
    parser.add_argument("--memory", choices=("tracemalloc", "rss"), default="tracemalloc")
    args = parser.parse_args()
    asyncio.run(run(args.hpas, args.pods_each, args.minutes, min(args.namespaces, args.hpas), args.memory))


if __name__ == "__main__":
    main()
