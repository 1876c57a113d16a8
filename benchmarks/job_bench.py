"""Many Jobs at once on the virtual clock: wall time until every one is Complete; not a test, run it by hand.

    python benchmarks/job_bench.py                       # 1,000 Jobs x 10 completions, parallelism 2
    python benchmarks/job_bench.py --jobs 200 --completions 5 --parallelism 5

Each Job's pods run `sleep 5`; the cluster has enough pod slots for every Job's parallel pods (10 nodes of
250 pods), so the time measured is the controllers', the scheduler's and the kubelets' work, not waiting.
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


def job(name: str, completions: int, parallelism: int) -> dict:
    return {
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "completions": completions, "parallelism": parallelism,
            "template": {"spec": {"restartPolicy": "Never", "containers": [
                {"name": "work", "image": "busybox", "command": ["sh", "-c", "sleep 5"],
                 "resources": {"requests": {"cpu": "1m", "memory": "1Mi"}}}]}},
        },
    }


def _complete(cluster: Cluster) -> int:
    return sum(1 for j in cluster.store.iter("jobs.batch", "default")
               if any(c.get("type") == "Complete" and c.get("status") == "True"
                      for c in (j.get("status") or {}).get("conditions") or ()))


async def run(jobs: int, completions: int, parallelism: int) -> None:
    async with Cluster(nodes=10, node_pods=250, node_cpu="64", node_memory="256Gi") as cluster:
        print(f"{jobs:,} Jobs x {completions} completions, parallelism {parallelism} "
              f"(Python {platform.python_version()}, {platform.machine()})")
        started, cluster_start = time.perf_counter(), cluster.now()
        for i in range(jobs):
            cluster.api.create(job(f"job-{i:05d}", completions, parallelism))
        assert await cluster.run_until(lambda c: _complete(c) == jobs, timeout=24 * 3600)
        wall = time.perf_counter() - started
        pods = cluster.store.count("pods", "default")
        print(f"  all Complete: {wall:.1f} s wall, {cluster.now() - cluster_start:.0f} s cluster time, "
              f"{pods:,} pods")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--completions", type=int, default=10)
    parser.add_argument("--parallelism", type=int, default=2)
    args = parser.parse_args()
    asyncio.run(run(args.jobs, args.completions, args.parallelism))


if __name__ == "__main__":
    main()
