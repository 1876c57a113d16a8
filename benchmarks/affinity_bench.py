"""Issue 16's speed target for pod affinity and spreading (not a test: run it by hand).

    python benchmarks/affinity_bench.py            # 3 alternating runs of each variant
    python benchmarks/affinity_bench.py --runs 1

1,000 Deployments x 10 replicas on 1,000 nodes in 10 zones (virtual clock), wall time from apply to every pod
Ready, each run in a fresh process, the two variants alternating (the machine is noisy):

- plain: the pods have no pod constraints (the scheduler's memoised fast path);
- constrained: every pod has required anti-affinity to its own replicas by hostname and a DoNotSchedule
  topology spread over zones (maxSkew 1).

The target is constrained within 3x plain.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import tune_gc
from engine.cluster import Cluster

DEPLOYMENTS, REPLICAS, NODES, ZONES = 1000, 10, 1000, 10


def deployment(i: int, constrained: bool) -> dict:
    name = f"app-{i:04d}"
    spec: dict = {"containers": [{"name": "app", "image": "nginx:1.27",
                                  "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}]}
    if constrained:
        selector = {"matchLabels": {"app": name}}
        spec["affinity"] = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": selector, "topologyKey": "kubernetes.io/hostname"}]}}
        spec["topologySpreadConstraints"] = [{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                                              "whenUnsatisfiable": "DoNotSchedule", "labelSelector": selector}]
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"replicas": REPLICAS, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}}, "spec": spec}},
    }


async def scale_up(constrained: bool) -> tuple[float, int]:
    cluster = Cluster(nodes=NODES, zones=ZONES, node_cpu="32", node_memory="128Gi")
    async with cluster:
        started = time.perf_counter()
        await cluster.apply([deployment(i, constrained) for i in range(DEPLOYMENTS)])
        expected = DEPLOYMENTS * REPLICAS
        ready = {"n": 0}

        def on_event(event) -> None:  # readyReplicas from ReplicaSet status writes, as engine_bench.py counts
            if event.resource != "replicasets.apps":
                return
            was = ((event.old or {}).get("status") or {}).get("readyReplicas", 0)
            now = (event.object.get("status") or {}).get("readyReplicas", 0) if event.type != "DELETED" else 0
            ready["n"] += now - was

        cluster.store.add_listener(on_event)
        ok = await cluster.run_until(lambda c: ready["n"] >= expected, timeout=3600)
        wall = time.perf_counter() - started
        assert ok, f"only {ready['n']} of {expected} pods became Ready"
        # Each app's replicas on distinct nodes, one per zone: the constraints held.
        if constrained:
            zones = {n["metadata"]["name"]: n["metadata"]["labels"]["topology.kubernetes.io/zone"]
                     for n in cluster.store.iter("nodes")}
            by_app: dict[str, list[str]] = {}
            for pod in cluster.store.iter("pods", "default"):
                by_app.setdefault(pod["metadata"]["labels"]["app"], []).append(pod["spec"]["nodeName"])
            assert all(len(set(nodes)) == len(nodes) for nodes in by_app.values())
            assert all(len({zones[n] for n in nodes}) == ZONES for nodes in by_app.values())
        return wall, expected


def _run(variant: str) -> float:
    out = subprocess.run([sys.executable, __file__, "--once", variant], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])[0]


def main() -> None:
    tune_gc()
    if "--once" in sys.argv:
        print(json.dumps(asyncio.run(scale_up(sys.argv[-1] == "constrained"))))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    plain, constrained = [], []
    for _ in range(args.runs):
        plain.append(_run("plain"))
        constrained.append(_run("constrained"))
    p, c = sorted(plain)[len(plain) // 2], sorted(constrained)[len(constrained) // 2]
    print(f"{DEPLOYMENTS:,} deployments x {REPLICAS} replicas, {NODES:,} nodes in {ZONES} zones, all pods Ready:")
    print(f"  plain:       {p:.2f} s wall (runs {', '.join(f'{r:.2f}' for r in plain)})")
    print(f"  constrained: {c:.2f} s wall (runs {', '.join(f'{r:.2f}' for r in constrained)}), "
          f"{c / p:.2f}x plain (target: within 3x)")


if __name__ == "__main__":
    main()
