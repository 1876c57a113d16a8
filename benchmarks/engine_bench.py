"""Engine speed numbers from issue 2 §6, printed as a small table (not a test: run it by hand).

    python benchmarks/engine_bench.py            # the 10,000-pod scale-up, watch latency, idle CPU
    python benchmarks/engine_bench.py --large    # also 100,000 pods

1. Scale-up: N Deployments x 10 replicas on nodes (virtual clock), wall time from apply to every pod Ready
   (median of three runs), and peak RSS.
2. Write latency: one object update fanned out to 20 watchers, p50/p99 over 2,000 writes.
3. Idle: 10,000 running pods on the real clock with nothing changing, CPU share over 10 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import tune_gc
from engine.cluster import Cluster


def deployment(i: int, replicas: int) -> dict:
    name = f"app-{i:04d}"
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "app", "image": "nginx:1.27",
                                         "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}]},
            },
        },
    }


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def all_ready(cluster: Cluster, expected: int) -> bool:
    """Every pod of the benchmark's Deployments Ready (the add-ons' pods in their own namespaces do not count)."""
    store = cluster.store
    if store.count("pods", "default") < expected:
        return False
    return all(_ready(p) for p in store.iter("pods", "default"))


async def scale_up(deployments: int, replicas: int, nodes: int) -> tuple[float, float, float]:
    cluster = Cluster(nodes=nodes, node_cpu="32", node_memory="128Gi",
                      node_pods=max(110, 2 * deployments * replicas // nodes))
    async with cluster:
        started = time.perf_counter()
        cluster_start = cluster.now()
        await cluster.apply([deployment(i, replicas) for i in range(deployments)])
        expected = deployments * replicas
        ready_counter = {"n": 0}

        # Sum readyReplicas from ReplicaSet status writes: far fewer events than pod writes, so the measurement
        # itself costs next to nothing.
        def on_event(event) -> None:
            if event.resource != "replicasets.apps":
                return
            was = ((event.old or {}).get("status") or {}).get("readyReplicas", 0)
            now = (event.object.get("status") or {}).get("readyReplicas", 0) if event.type != "DELETED" else 0
            ready_counter["n"] += now - was

        cluster.store.add_listener(on_event)
        ok = await cluster.run_until(lambda c: ready_counter["n"] >= expected, timeout=600)
        wall = time.perf_counter() - started
        assert ok and all_ready(cluster, expected), "not every pod became Ready"
        return wall, cluster.now() - cluster_start, peak_rss_mib()


def _ready(pod: dict | None) -> bool:
    if not pod:
        return False
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions", ()))


async def write_latency(watchers: int = 20, writes: int = 2000) -> tuple[float, float]:
    async with Cluster(nodes=1) as cluster:
        obj = await cluster.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bench"}})
        streams = [cluster.watch("namespaces") for _ in range(watchers)]
        for stream in streams:
            await anext(stream)  # start each watcher
        samples = []
        for i in range(writes):
            obj = dict(obj, metadata={**obj["metadata"], "labels": {"i": str(i)}})
            t0 = time.perf_counter()
            obj = cluster.api.update(obj)
            samples.append(time.perf_counter() - t0)
            if i % 100 == 0:
                for stream in streams:
                    while True:
                        event = await anext(stream)
                        if event["object"]["metadata"]["resourceVersion"] == obj["metadata"]["resourceVersion"]:
                            break
        for stream in streams:
            await stream.aclose()
        samples.sort()
        return samples[len(samples) // 2] * 1000, samples[int(len(samples) * 0.99)] * 1000


async def idle_cpu(pods: int = 10_000, seconds: float = 10.0) -> float:
    async with Cluster(nodes=100, node_cpu="32", node_memory="128Gi", clock="real", speed=50.0) as cluster:
        await cluster.apply([deployment(i, 10) for i in range(pods // 10)])
        ok = await cluster.run_until(lambda c: all_ready(c, pods), timeout=3600)
        assert ok, "pods did not become ready"
        cluster.clock.set_speed(1.0)
        await asyncio.sleep(1.0)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await asyncio.sleep(seconds)
        return 100 * (time.process_time() - cpu0) / (time.perf_counter() - wall0)


def _scale_up_in_subprocess() -> tuple[float, float, float]:
    out = subprocess.run([sys.executable, __file__, "--scale-once"], capture_output=True, text=True, check=True)
    wall, simulated, rss = json.loads(out.stdout.strip().splitlines()[-1])
    return wall, simulated, rss


def main() -> None:
    tune_gc()  # as the k9py command line does
    if "--scale-once" in sys.argv:
        print(json.dumps(asyncio.run(scale_up(1000, 10, 100))))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--large", action="store_true", help="also scale to 100,000 pods")
    parser.add_argument("--skip-idle", action="store_true")
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}")
    # Runs vary by a few percent on a shared machine: the median of three, each in a fresh process (a second
    # cluster in the same process would start with the first one's heap).
    runs = sorted((_scale_up_in_subprocess() for _ in range(3)), key=lambda run: run[0])
    wall, simulated, rss = runs[1]
    print(f"1,000 deployments x 10 replicas, 100 nodes: all 10,000 pods Ready in {wall:.2f} s wall, median of 3 "
          f"(runs {', '.join(f'{r[0]:.2f}' for r in runs)}; {simulated:.0f} s of cluster time), peak RSS {rss:.0f} MiB")
    p50, p99 = asyncio.run(write_latency())
    print(f"one write, 20 watchers: p50 {p50:.3f} ms, p99 {p99:.3f} ms")
    if not args.skip_idle:
        share = asyncio.run(idle_cpu())
        print(f"10,000 running pods, real clock, idle: {share:.1f} % of one core")
    if args.large:
        wall, _, rss = asyncio.run(scale_up(10_000, 10, 1000))
        print(f"10,000 deployments x 10 replicas, 1,000 nodes: all 100,000 pods Ready in {wall:.2f} s wall, "
              f"peak RSS {rss:.0f} MiB")


if __name__ == "__main__":
    main()
