"""Timing sanity check: schedule 10,000 pods onto 100 nodes and print the wall time.

Run `python benchmarks/scheduler_bench.py` for pods from 10 templates (as Deployments
make them), or add `--unique` to give every pod a distinct spec, so that no node verdict
can be reused between pods (the worst case).
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from typing import Any

from engine.scheduler import NodeInfo, schedule

Obj = dict[str, Any]


def make_node(i: int) -> Obj:
    labels = {"kubernetes.io/hostname": f"node-{i:03}", "topology.kubernetes.io/zone": f"zone-{i % 3}"}
    taints = []
    if i % 10 == 0:
        taints.append({"key": "dedicated", "value": "batch", "effect": "PreferNoSchedule"})
    return {
        "metadata": {"name": f"node-{i:03}", "labels": labels},
        "spec": {"taints": taints},
        "status": {
            "allocatable": {"cpu": "32", "memory": "128Gi", "pods": "110", "ephemeral-storage": "10Gi"}
        },
    }


def make_pod(i: int, template: int, unique: bool) -> Obj:
    memory_ki = 64 * 1024 * (1 + template % 4) + (i if unique else 0)
    container = {
        "name": "app",
        "image": "nginx",
        "resources": {"requests": {"cpu": f"{50 + 25 * template}m", "memory": f"{memory_ki}Ki"}},
    }
    spec: Obj = {
        "containers": [container],
        "tolerations": [
            {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
        ],
    }
    if template % 5 == 1:
        spec["affinity"] = {
            "nodeAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "weight": 50,
                        "preference": {
                            "matchExpressions": [
                                {"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["zone-1"]}
                            ]
                        },
                    }
                ]
            }
        }
    return {
        "metadata": {
            "name": f"web-{template}-{i}",
            "namespace": "default",
            "uid": f"uid-{i}",
            "resourceVersion": "1",
        },
        "spec": spec,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--nodes", type=int, default=100)
    parser.add_argument("--unique", action="store_true", help="make every pod spec distinct")
    args = parser.parse_args()

    nodes = [NodeInfo(make_node(i)) for i in range(args.nodes)]
    by_name = {n.name: n for n in nodes}
    pods = [make_pod(i, i % 10, args.unique) for i in range(args.pods)]
    rng = random.Random(0)

    start = time.perf_counter()
    unscheduled = 0
    for pod in pods:
        result = schedule(pod, nodes, rng)
        if result.node_name is None:
            unscheduled += 1
        else:
            by_name[result.node_name].add_pod(pod)
    elapsed = time.perf_counter() - start

    per_node = Counter(n.pod_count for n in nodes)
    print(
        f"scheduled {args.pods - unscheduled}/{args.pods} pods onto {args.nodes} nodes "
        f"in {elapsed:.3f}s ({elapsed / args.pods * 1e6:.1f} us/pod); "
        f"pods per node min={min(per_node)} max={max(per_node)}"
    )


if __name__ == "__main__":
    main()
