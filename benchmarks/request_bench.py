"""`Cluster.request` speed (issue 14): 1,000 Services, 10,000 endpoints and 200 NetworkPolicies (not a test: run it
by hand).

    python benchmarks/request_bench.py [--requests 20000] [--profile]

The cluster: 50 namespaces, each with 20 Deployments x 10 replicas (10,000 pods on 100 nodes) and a Service per
Deployment (1,000 Services, 10,000 endpoints), 4 NetworkPolicies per namespace (200: a default deny and three
allow rules by pod label, namespace label and port), CoreDNS and kube-dns as kubeadm starts them. Each request
goes from a random pod to a random Service by DNS name (`app-0007.ns-12`), through DNS (itself through
kube-proxy and the policies), kube-proxy and both policy verdicts, to the pod's answer. Printed: setup time,
throughput, p50/p99 of one request, and how many requests were answered, refused or timed out.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from network_support import ensure_cluster_dns

from engine import tune_gc
from engine.cluster import Cluster

NAMESPACES = 50
APPS = 20  # per namespace
REPLICAS = 10


def namespace(i: int) -> dict:
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": f"ns-{i:02d}", "labels": {"team": f"t{i % 5}"}}}


def objects(ns: str) -> list[dict]:
    out: list[dict] = []
    for a in range(APPS):
        name = f"app-{a:04d}"
        out.append({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns},
                    "spec": {"replicas": REPLICAS, "selector": {"matchLabels": {"app": name}}, "template": {
                        "metadata": {"labels": {"app": name, "tier": f"tier-{a % 4}"}},
                        "spec": {"containers": [{"name": "app", "image": "nginx:1.27",
                                                 "ports": [{"containerPort": 80, "name": "http"}],
                                                 "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}]}}}})
        out.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
                    "spec": {"selector": {"app": name}, "ports": [{"name": "http", "port": 80,
                                                                   "targetPort": "http"}]}})
    policies = [
        ("default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
        ("allow-dns", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [
            {"to": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
             "ports": [{"protocol": "UDP", "port": 53}]}]}),
        ("allow-teams", {"podSelector": {"matchExpressions": [{"key": "tier", "operator": "In",
                                                              "values": ["tier-0", "tier-1", "tier-2"]}]},
                         "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "t1"}}},
                                               {"podSelector": {"matchLabels": {"tier": "tier-3"}}}],
                                      "ports": [{"port": "http"}]}]}),
        ("allow-egress-http", {"podSelector": {}, "policyTypes": ["Egress"],
                               "egress": [{"ports": [{"port": 80}, {"port": 8000, "endPort": 9000}]}]}),
    ]
    out += [{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
             "metadata": {"name": name, "namespace": ns}, "spec": spec} for name, spec in policies]
    return out


async def main(requests: int, profile: bool) -> None:
    tune_gc()
    cluster = Cluster(nodes=100, node_cpu="32", node_memory="128Gi", node_pods=200)
    async with cluster:
        started = time.perf_counter()
        await ensure_cluster_dns(cluster)
        await cluster.apply([namespace(i) for i in range(NAMESPACES)])
        for i in range(NAMESPACES):
            await cluster.apply(objects(f"ns-{i:02d}"))
        await cluster.run_for(120)
        setup = time.perf_counter() - started
        pods = [f"{p['metadata']['namespace']}/{p['metadata']['name']}" for p in cluster.store.iter("pods")
                if p["metadata"]["namespace"].startswith("ns-")]
        services = sum(1 for s in cluster.store.iter("services") if s["metadata"]["namespace"].startswith("ns-"))
        policies = cluster.store.count("networkpolicies.networking.k8s.io")
        rng = random.Random(7)
        plan = [(rng.choice(pods), f"http://app-{rng.randrange(APPS):04d}.ns-{rng.randrange(NAMESPACES):02d}")
                for _ in range(requests)]
        cluster.request(*plan[0])  # the first request builds the indexes
        built = time.perf_counter()
        cluster.request(*plan[1])
        times: list[float] = []
        cpu: list[float] = []
        outcomes: Counter[str] = Counter()
        profiler = cProfile.Profile() if profile else None
        if profiler:
            profiler.enable()
        loop_start = time.perf_counter()
        for source, url in plan:
            t0, c0 = time.perf_counter(), time.thread_time()
            trace = cluster.request(source, url)
            times.append(time.perf_counter() - t0)
            cpu.append(time.thread_time() - c0)
            outcomes[trace.outcome] += 1
        total = time.perf_counter() - loop_start
        if profiler:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        times.sort()
        cpu.sort()
        p50, p99 = times[len(times) // 2], times[int(len(times) * 0.99)]
        cpu_p99 = cpu[int(len(cpu) * 0.99)]
        print(f"pods {len(pods)}, services {services}, policies {policies}; setup {setup:.1f} s wall, "
              f"first request (indexes) {(built - started - setup) * 1000:.1f} ms")
        print(f"{requests} requests in {total:.2f} s: {requests / total:.0f} requests/s, p50 {p50 * 1000:.3f} ms, "
              f"p99 {p99 * 1000:.3f} ms (target p99 <= 1 ms); CPU time p99 {cpu_p99 * 1000:.3f} ms "
              "(what the machine's other jobs do not stretch)")
        print("outcomes:", dict(outcomes))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.profile))
