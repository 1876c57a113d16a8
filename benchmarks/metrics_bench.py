"""Metrics refresh cost at 10,000 pods (issue 15): what one metrics-server scrape costs when it is read, what the
reads after it cost, and what load on every Deployment adds (not a test: run it by hand).

    python benchmarks/metrics_bench.py [--profile]

The cluster: 1,000 Deployments x 10 replicas on 100 nodes (virtual clock), every pod with a CPU curve and a cost
per request; then each of 1,000 Services gets a load, spread over its 10 ready pods. Printed, each the median of
20 scrapes (15 s of cluster time apart):

- the scrape: the first read after a scrape is due computes the batch of 10,000 pods and 100 nodes from the
  kubelets' usage accounts (engine/metrics/scrape.py): while the curves still move, and once they are flat (a
  steady container costs a lookup);
- `pod_metrics` of every namespace (all 10,000 PodMetrics dicts, as `kubectl top pods -A` asks), of one
  Deployment's pods by label selector (what an autoscaler asks every 15 s), and `node_metrics`;
- the dashboard's per-row read (`pod_point`, then k9s's cells), which its pods view makes for the rows on screen
  every second;
- setting 1,000 loads (each spread over a Service's ready endpoints, each pod's usage account marked).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import tune_gc
from engine.cluster import Cluster

DEPLOYMENTS, REPLICAS, NODES = 1000, 10, 100
SCRAPES = 20


def objects(i: int) -> list[dict]:
    name = f"app-{i:04d}"
    annotations = {"sim.k9py.io/cpu": "20m, 80m@2m, 40m@5m", "sim.k9py.io/memory": "32Mi, 48Mi@10m",
                   "sim.k9py.io/cost-per-request": "cpu=2m,memory=64Ki"}
    return [{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "default"},
             "spec": {"replicas": REPLICAS, "selector": {"matchLabels": {"app": name}}, "template": {
                 "metadata": {"labels": {"app": name}, "annotations": annotations},
                 "spec": {"containers": [{"name": "app", "image": "nginx:1.27", "resources": {
                     "requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "256Mi"}}}]}}}},
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "default"},
             "spec": {"selector": {"app": name}, "ports": [{"port": 80}]}}]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


async def main(profile: bool) -> None:
    tune_gc()
    cluster = Cluster(nodes=NODES, node_cpu="32", node_memory="128Gi", node_pods=250)
    async with cluster:
        started = time.perf_counter()
        await cluster.apply([o for i in range(DEPLOYMENTS) for o in objects(i)])
        pods = DEPLOYMENTS * REPLICAS
        ok = await cluster.run_until(lambda c: sum(1 for p in c.store.iter("pods") if p["status"].get("phase")
                                                   == "Running") >= pods, timeout=600)
        assert ok, "the pods did not all start"
        print(f"{pods:,} pods Running in {time.perf_counter() - started:.1f} s wall")
        loads = timed(lambda: [cluster.load(f"svc/app-{i:04d}", 100) for i in range(DEPLOYMENTS)])
        print(f"1,000 loads set (each spread over 10 ready pods): {ms(loads)}")
        metrics = cluster.metrics
        from k9py.backend import EngineBackend
        from k9py.views.usage import pod_cells

        backend = EngineBackend(cluster)
        one_pod = next(iter(cluster.store.iter("pods")))
        samples: dict[str, list[float]] = {k: [] for k in ("scrape", "all", "selector", "nodes", "row")}
        profiler = cProfile.Profile() if profile else None
        for _ in range(SCRAPES):
            await cluster.run_for(15)
            if profiler is not None:
                profiler.enable()
            samples["scrape"].append(timed(lambda: metrics.pod_point("default", "none")))
            samples["all"].append(timed(lambda: metrics.pod_metrics("")))
            samples["selector"].append(timed(lambda: metrics.pod_metrics("default", "app=app-0500")))
            samples["nodes"].append(timed(metrics.node_metrics))
            samples["row"].append(timed(lambda: [pod_cells(backend.pod_usage(one_pod)) for _ in range(1000)]) / 1000)
            if profiler is not None:
                profiler.disable()
        # Ten minutes on, every curve is flat and every load steady: a scrape reads each container's steady rate.
        await cluster.run_for(600)
        flat = []
        for _ in range(5):
            await cluster.run_for(15)
            flat.append(timed(lambda: metrics.pod_point("default", "none")))
        count = len(metrics.pod_metrics(""))
        median = {k: statistics.median(v) for k, v in samples.items()}
        print(f"one scrape of {count:,} pods and {NODES} nodes, computed on first read: {ms(median['scrape'])} "
              f"(every 15 s of cluster time: {median['scrape'] / 15 * 100:.2f} % of one core at 1x)")
        print(f"the same scrape once the curves are flat: {ms(statistics.median(flat))}")
        print(f"pod_metrics of every namespace ({count:,} PodMetrics): {ms(median['all'])}; of one Deployment by "
              f"selector: {ms(median['selector'])}; node_metrics: {ms(median['nodes'])}")
        print(f"one pods-view row's usage cells: {median['row'] * 1e6:.1f} µs")
        if profiler is not None:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", action="store_true")
    asyncio.run(main(parser.parse_args().profile))
