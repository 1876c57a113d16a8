"""EndpointSlice churn during a 10,000-pod rollout (issue 14, Speed): one Deployment of 10,000 replicas behind a
Service, on 100 nodes (virtual clock), rolled to a new image with the default strategy (25% surge, 25%
unavailable). Printed: wall time of the scale-up and of the rollout, the EndpointSlice writes (creates, updates,
deletes) each took, the Endpoints writes for comparison, and the slices at the end (100 endpoints each at most).

    python benchmarks/endpointslice_bench.py             # 10,000 pods
    python benchmarks/endpointslice_bench.py --pods 2000
    python benchmarks/endpointslice_bench.py --no-service  # the same Deployment alone, for comparison
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import tune_gc
from engine.cluster import Cluster
from engine.store import WatchEvent

SLICES = "endpointslices.discovery.k8s.io"


def manifests(replicas: int, image: str, service: bool = True) -> list[dict]:
    labels = {"app": "web"}
    return [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
         "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                  "template": {"metadata": {"labels": labels},
                               "spec": {"containers": [{"name": "app", "image": image,
                                                        "ports": [{"containerPort": 8080, "name": "http"}],
                                                        "resources": {"requests": {"cpu": "10m",
                                                                                   "memory": "16Mi"}}}]}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "default"},
         "spec": {"selector": labels, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}},
    ][:2 if service else 1]


class Writes:
    """Counts writes per resource and type from the store's event stream."""

    def __init__(self) -> None:
        self.counts: collections.Counter[tuple[str, str]] = collections.Counter()

    def __call__(self, event: WatchEvent) -> None:
        if event.resource in (SLICES, "endpoints") and event.object["metadata"].get("namespace") == "default":
            self.counts[(event.resource, event.type)] += 1

    def take(self) -> collections.Counter[tuple[str, str]]:
        counts, self.counts = self.counts, collections.Counter()
        return counts


def line(counts: collections.Counter[tuple[str, str]]) -> str:
    slices = {t: counts[(SLICES, t)] for t in ("ADDED", "MODIFIED", "DELETED")}
    return (f"EndpointSlice writes {sum(slices.values())} (created {slices['ADDED']}, updated {slices['MODIFIED']}, "
            f"deleted {slices['DELETED']}); Endpoints writes {sum(counts[('endpoints', t)] for t in slices)}")


def done(cluster: Cluster, replicas: int, image: str) -> bool:
    deploy = cluster.store.get("deployments.apps", "default", "web") or {}
    status = deploy.get("status") or {}
    return (status.get("updatedReplicas") == replicas and status.get("readyReplicas") == replicas
            and status.get("replicas") == replicas
            and deploy["spec"]["template"]["spec"]["containers"][0]["image"] == image)


async def run(pods: int, nodes: int, service: bool) -> None:
    cluster = Cluster(nodes=nodes, node_cpu="64", node_memory="256Gi", node_pods=max(110, 2 * pods // nodes))
    writes = Writes()
    async with cluster:
        cluster.store.add_listener(writes)
        started, start_cpu = time.perf_counter(), time.process_time()
        await cluster.apply(manifests(pods, "nginx:1.27", service))
        ok = await cluster.run_until(lambda c: done(c, pods, "nginx:1.27"), timeout=3600)
        assert ok, "the Deployment did not become Ready"
        print(f"scale-up to {pods:,} pods: {time.perf_counter() - started:.1f} s wall "
              f"({time.process_time() - start_cpu:.1f} s CPU); {line(writes.take())}")
        started, start_cpu, cluster_start = time.perf_counter(), time.process_time(), cluster.now()
        await cluster.patch("deploy", "web", {"spec": {"template": {"spec": {"containers": [
            {"name": "app", "image": "nginx:1.28"}]}}}})
        ok = await cluster.run_until(lambda c: done(c, pods, "nginx:1.28"), timeout=3600)
        assert ok, "the rollout did not finish"
        await cluster.run_for(60)  # the old pods finish terminating and leave their slices
        print(f"rollout of {pods:,} pods: {time.perf_counter() - started:.1f} s wall "
              f"({time.process_time() - start_cpu:.1f} s CPU, {cluster.now() - cluster_start:.0f} s of cluster "
              f"time); {line(writes.take())}")
        sizes = sorted(len(s.get("endpoints") or ()) for s in cluster.store.iter(SLICES, "default")
                       if (s["metadata"].get("labels") or {}).get("kubernetes.io/service-name") == "web")
        shape = f"{len(sizes)}, endpoints per slice {sizes[0]}-{sizes[-1]} (total {sum(sizes):,})" if sizes else "none"
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"slices at the end: {shape}; peak RSS {peak:.0f} MiB")


def main() -> None:
    tune_gc()  # as the k9py command line does
    parser = argparse.ArgumentParser()
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--nodes", type=int, default=100)
    parser.add_argument("--no-service", action="store_true", help="the Deployment alone, without its Service")
    args = parser.parse_args()
    asyncio.run(run(args.pods, args.nodes, not args.no_service))


if __name__ == "__main__":
    main()
