"""CPU time of one merge patch of a pod's annotations in a 10,000-pod cluster (not a test: run it by hand).

    python benchmarks/patch_bench.py [--pods 10000] [--patches 2000] [--batches 5] [--serve] [--profile]

The dashboard benchmark streams 200 such patches a second into the cluster running in its own process
(`Cluster.patch("Pod", name, {"metadata": {"annotations": {...}}}, namespace)`), and `k9py serve` pays the same
per PATCH request, so this is the write path's cost per request: the facade's call (decoding, merging, defaulting,
validation, admission, managedFields, the store's write and its watch fan-out to the controllers' informers and
one shared watch as a dashboard holds), then the controllers' reaction to the MODIFIED events (`settle`), which
is printed apart. Virtual clock: no time passes, so nothing else runs between the patches. Printed: CPU time per
patch (process time, so other jobs on a shared machine count less than in wall time), per batch and the median.

`--serve`: the engine's side of the same PATCH sent to `k9py serve` instead (engine/apiserver/resources.py: the
merge patch applied to the stored object by engine.patch, then `Api.update` with the request's field manager, so
managedFields are recorded); the HTTP, JSON and fieldValidation parts of the request are not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine_bench import all_ready, deployment

from engine import tune_gc
from engine.cluster import Cluster
from engine.patch import merge_patch


async def measure(pods: int, patches: int, batches: int, serve: bool, profile: bool, profile_file: str | None) -> None:
    nodes = max(3, pods // 100)
    async with Cluster(
        nodes=nodes, node_cpu="32", node_memory="128Gi", node_pods=max(110, 2 * pods // nodes)
    ) as cluster:
        started = time.perf_counter()
        await cluster.apply([deployment(i, 10) for i in range(pods // 10)])
        assert await cluster.run_until(lambda c: all_ready(c, pods), timeout=3600), "pods did not become ready"
        print(f"setup: {pods:,} pods Ready in {time.perf_counter() - started:.1f} s wall")
        watch = cluster.subscribe("Pod")  # what the dashboard's pods view holds
        watch.drain()
        names = [(p["metadata"]["name"], p["metadata"]["namespace"]) for p in cluster.store.iter("pods", "default")]
        rng = random.Random(7)
        profiler = cProfile.Profile() if profile else None
        per_patch: list[float] = []
        per_settle: list[float] = []
        done = 0
        for _ in range(batches):
            chosen = [rng.choice(names) for _ in range(patches)]
            if profiler is not None:
                profiler.enable()
            cpu0 = time.process_time()
            for name, namespace in chosen:
                body = {"metadata": {"annotations": {"bench/tick": str(done)}}}
                if serve:
                    current = cluster.api.get("pods", name, namespace)
                    cluster.api.update(merge_patch(current, body), manager="kubectl-patch")
                else:
                    await cluster.patch("Pod", name, body, namespace)
                done += 1
            cpu1 = time.process_time()
            cluster.settle()  # the controllers' reaction to the MODIFIED events
            cpu2 = time.process_time()
            if profiler is not None:
                profiler.disable()
            events = len(watch.drain())
            assert events == patches, f"{events} watch events for {patches} patches"
            per_patch.append((cpu1 - cpu0) / patches * 1000)
            per_settle.append((cpu2 - cpu1) / patches * 1000)
        print(
            f"{patches:,} patches x {batches} batches, CPU per patch: median {statistics.median(per_patch):.3f} ms "
            f"(batches {', '.join(f'{t:.3f}' for t in per_patch)}); controllers' reaction per patch: median "
            f"{statistics.median(per_settle):.3f} ms"
        )
        if profiler is not None:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
            if profile_file:
                profiler.dump_stats(profile_file)


def main() -> None:
    tune_gc()  # as the k9py command line does
    parser = argparse.ArgumentParser()
    parser.add_argument("--pods", type=int, default=10_000, help="pods in the cluster (10 per Deployment)")
    parser.add_argument("--patches", type=int, default=2000, help="patches per batch")
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--serve", action="store_true", help="the engine's side of a PATCH request to k9py serve")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the patches")
    parser.add_argument("--profile-file", help="also write the profile's stats to this file (pstats)")
    args = parser.parse_args()
    asyncio.run(
        measure(
            args.pods,
            args.patches,
            args.batches,
            args.serve,
            args.profile or bool(args.profile_file),
            args.profile_file,
        )
    )


if __name__ == "__main__":
    main()
