"""`Cluster.can_i` with many bindings (issue 16, Speed: 1,000 bindings, p99 <= 0.1 ms); not a test, run it by
hand.

    python benchmarks/rbac_bench.py                    # 1,000 RoleBindings and ClusterRoleBindings
    python benchmarks/rbac_bench.py --bindings 10000

Creates `--bindings` bindings spread over 50 namespaces (RoleBindings to Users, Groups and ServiceAccounts of
per-namespace Roles, and one in ten a ClusterRoleBinding to `view`), then asks `can_i` questions that are allowed
and refused, for users, ServiceAccounts and group members, and prints the latency percentiles of one check. The
first check after a binding changes rebuilds the subject index; it is timed separately.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import Cluster, tune_gc

GROUP = "rbac.authorization.k8s.io"
NAMESPACES = 50


def _objects(bindings: int) -> list[dict]:
    objs: list[dict] = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"team-{n}"}}
                        for n in range(NAMESPACES)]
    for n in range(NAMESPACES):
        objs.append({"apiVersion": f"{GROUP}/v1", "kind": "Role", "metadata": {"name": "pod-reader",
                                                                                "namespace": f"team-{n}"},
                     "rules": [{"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list"]},
                               {"apiGroups": ["apps"], "resources": ["deployments", "deployments/scale"],
                                "verbs": ["get", "update"], "resourceNames": ["web"]}]})
    for i in range(bindings):
        n = i % NAMESPACES
        kinds = ({"kind": "User", "name": f"user-{i}", "apiGroup": GROUP},
                 {"kind": "Group", "name": f"group-{i}", "apiGroup": GROUP},
                 {"kind": "ServiceAccount", "name": f"sa-{i}", "namespace": f"team-{n}"})
        subject = kinds[i % 3]
        if i % 10 == 9:
            objs.append({"apiVersion": f"{GROUP}/v1", "kind": "ClusterRoleBinding", "metadata": {"name": f"crb-{i}"},
                         "subjects": [subject], "roleRef": {"kind": "ClusterRole", "name": "view", "apiGroup": GROUP}})
        else:
            objs.append({"apiVersion": f"{GROUP}/v1", "kind": "RoleBinding",
                         "metadata": {"name": f"rb-{i}", "namespace": f"team-{n}"}, "subjects": [subject],
                         "roleRef": {"kind": "Role", "name": "pod-reader", "apiGroup": GROUP}})
    return objs


def _questions(bindings: int, count: int) -> list[tuple[str, str, str, str, list[str]]]:
    rng = random.Random(1)
    out = []
    for _ in range(count):
        i = rng.randrange(bindings)
        n = i % NAMESPACES
        user, groups = [(f"user-{i}", []), ("someone", [f"group-{i}"]),
                        (f"system:serviceaccount:team-{n}:sa-{i}", [])][i % 3]
        verb, resource = rng.choice([("get", "pods"), ("list", "pods/log"), ("delete", "pods"),
                                     ("update", "deployments.apps/scale"), ("create", "secrets")])
        namespace = f"team-{n}" if rng.random() < 0.8 else f"team-{(n + 1) % NAMESPACES}"
        out.append((verb, resource, namespace, user, groups))
    return out


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bindings", type=int, default=1000)
    parser.add_argument("--checks", type=int, default=20000)
    args = parser.parse_args()
    tune_gc()  # as `k9py` and `k9py serve` run
    async with Cluster(nodes=1) as cluster:
        start = time.perf_counter()
        for obj in _objects(args.bindings):
            await cluster.create(obj)
        created = time.perf_counter() - start
        questions = _questions(args.bindings, args.checks)
        start = time.perf_counter()
        cluster.can_i("get", "pods", "team-0", user="user-0")  # builds the subject index
        first = time.perf_counter() - start
        timings, allowed = [], 0
        for verb, resource, namespace, user, groups in questions:
            t0 = time.perf_counter()
            allowed += cluster.can_i(verb, resource, namespace, user=user, groups=groups, name="web")
            timings.append(time.perf_counter() - t0)
    timings.sort()
    ms = [t * 1000 for t in timings]
    print(f"python {platform.python_version()} on {platform.machine()}")
    print(f"{args.bindings} bindings created in {created:.2f} s; first check (index build) {first * 1000:.2f} ms")
    print(f"{len(ms)} checks ({allowed} allowed): median {statistics.median(ms):.4f} ms, "
          f"p99 {ms[int(len(ms) * 0.99)]:.4f} ms, max {ms[-1]:.4f} ms")


if __name__ == "__main__":
    asyncio.run(main())
