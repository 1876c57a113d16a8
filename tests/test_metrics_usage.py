"""Usage and metrics on the virtual clock: what `kubectl top` and metrics.k8s.io show as containers start, take
load, hit their CPU limit and leak memory.

Sources: metrics-server `pkg/storage` (two scrapes, the fresh-container window, CPU as a rate), its manifests
(`--metric-resolution=15s`), kubectl `pkg/metricsutil/metrics_printer.go` and `pkg/cmd/top` (columns, units,
errors), the iptables proxier (an even random spread over Ready endpoints), CFS quota (CPU capped at the limit).
Every pod here starts its container 1.1 s after it is created (sandbox 0.1 s, image pull 1 s).
"""

from __future__ import annotations

from typing import Any

import pytest

from engine.cluster import Cluster
from engine.errors import ApiError

Obj = dict[str, Any]


def web(replicas: int = 3, *, annotations: dict[str, str] | None = None, resources: Obj | None = None,
        name: str = "web") -> list[Obj]:
    template: Obj = {"metadata": {"labels": {"app": name}, "annotations": annotations or {}},
                     "spec": {"containers": [{"name": "app", "image": "nginx:1.27",
                                              "resources": resources or {}}]}}
    return [{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
             "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}}, "template": template}},
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
             "spec": {"selector": {"app": name}, "ports": [{"port": 80}]}}]


def top(c: Cluster, namespace: str | None = "default") -> dict[str, list[str]]:
    columns, rows = c.top("pods", namespace)
    return {r[columns.index("NAME")]: r for r in rows}


def cpu_column(c: Cluster) -> list[str]:
    return [r[1] for r in top(c).values()]


async def test_top_pods_prints_kubectls_columns_and_units() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(web(2, annotations={"sim.k9py.io/cpu": "250m", "sim.k9py.io/memory": "64Mi"}))
        await c.run_for(45)
        columns, rows = c.top("pods", "default")
        assert columns == ["NAME", "CPU(cores)", "MEMORY(bytes)"]
        assert [r[1:] for r in rows] == [["250m", "64Mi"], ["250m", "64Mi"]]
        assert [r[0] for r in rows] == sorted(r[0] for r in rows)
        all_columns, all_rows = c.top("pods", None)
        assert all_columns == ["NAMESPACE", "NAME", "CPU(cores)", "MEMORY(bytes)"]
        assert {r[0] for r in all_rows} == {"default", "kube-system", "ingress-nginx"}


async def test_pod_metrics_have_metrics_servers_shape() -> None:
    """The contract the HorizontalPodAutoscaler reads: metrics.k8s.io/v1beta1 PodMetrics as of the last scrape."""
    async with Cluster(nodes=1) as c:
        await c.apply(web(1, annotations={"sim.k9py.io/cpu": "250m", "sim.k9py.io/memory": "64Mi"}))
        await c.run_for(40)
        [metrics] = c.metrics.pod_metrics("default", "app=web")
        assert metrics["kind"] == "PodMetrics" and metrics["apiVersion"] == "metrics.k8s.io/v1beta1"
        assert metrics["metadata"]["namespace"] == "default" and metrics["metadata"]["labels"]["app"] == "web"
        assert metrics["timestamp"] == "2026-01-01T00:00:30Z"  # the last scrape: every 15 s from the start
        assert metrics["window"] == "15s"
        assert metrics["containers"] == [{"name": "app", "usage": {"cpu": "250m", "memory": "64Mi"}}]
        assert c.metrics.pod_metrics("default", "app=other") == []
        [node] = c.metrics.node_metrics()
        assert node["kind"] == "NodeMetrics" and node["window"] == "15s" and set(node["usage"]) == {"cpu", "memory"}


async def test_a_new_pod_has_no_metrics_until_metrics_server_has_two_points() -> None:
    """Scrapes at 0, 15, 30 s; the container starts at 1.1 s. At the 15 s scrape it has run 13.9 s: between 10 and
    15 s, a fresh container's first window starts at its start (storage/pod.go freshContainerMinMetricsResolution)."""
    async with Cluster(nodes=1) as c:
        await c.apply(web(1, annotations={"sim.k9py.io/cpu": "300m"}))
        await c.run_for(14)
        with pytest.raises(ApiError) as caught:
            c.top("pods", "default")
        assert caught.value.message == "metrics not available yet"
        await c.run_for(2)
        [metrics] = c.metrics.pod_metrics("default")
        assert metrics["window"] == "14s" and metrics["containers"][0]["usage"]["cpu"] == "300m"


async def test_a_pod_started_just_before_a_scrape_waits_for_the_next() -> None:
    async with Cluster(nodes=1) as c:
        await c.run_for(10)
        await c.apply(web(1))  # container up at 11.1 s: 3.9 s old at the 15 s scrape, 18.9 s at the 30 s one
        await c.run_for(8)
        assert c.metrics.pod_metrics("default") == []
        await c.run_for(15)
        assert len(c.metrics.pod_metrics("default")) == 1


async def test_old_pods_without_metrics_get_kubectls_error() -> None:
    async with Cluster(nodes=2) as c:
        await c.apply(web(1))
        await c.run_for(180)
        node = c.list("pods", "default")[0]["spec"]["nodeName"]
        await c.set_node_ready(node, False)  # its kubelet answers no scrape
        with pytest.raises(ApiError) as caught:
            c.top("pods", "default")
        assert caught.value.message.startswith("Metrics not available for pod default/web-")
        assert caught.value.message.endswith(", age: 3m0s")
        _, rows = c.top("nodes")
        other = "node-2" if node == "node-1" else "node-1"
        assert [r[0] for r in rows] == [other, node]  # nodes without metrics last
        assert rows[1][1:] == ["<unknown>"] * 4


async def test_top_nodes_shows_shares_of_allocatable() -> None:
    async with Cluster(nodes=1, node_cpu="2", node_memory="4Gi") as c:
        await c.apply(web(2, annotations={"sim.k9py.io/cpu": "500m", "sim.k9py.io/memory": "1Gi"}))
        await c.run_for(45)
        columns, [row] = c.top("nodes")
        assert columns == ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"]
        cpu, memory = int(row[1].removesuffix("m")), int(row[3].removesuffix("Mi"))
        # The two pods; kube-proxy, CoreDNS and the ingress-nginx controller idling at 1m and 8Mi each; the node's
        # own 40m and 200Mi.
        assert cpu == 1000 + 4 * 1 + 40
        assert memory == 2048 + 4 * 8 + 200
        assert row[2] == f"{int(cpu / 2000 * 100)}%" and row[4] == f"{int(memory / 4096 * 100)}%"


async def test_load_spreads_over_the_services_ready_pods_and_follows_scaling() -> None:
    async with Cluster(nodes=2) as c:
        await c.apply(web(2, annotations={"sim.k9py.io/cost-per-request": "10m"}))
        await c.run_for(30)
        assert c.load("svc/web", 100) == "100 requests/s to service/web in default: 50 each on 2 ready pods"
        await c.run_for(30)
        assert cpu_column(c) == ["501m", "501m"]  # 1m idle + 50 requests/s x 10m
        await c.scale("deploy", "web", 4)
        await c.run_for(45)
        assert cpu_column(c) == ["251m"] * 4  # the new pods share the load as soon as they are Ready endpoints
        c.load("web", 0)
        await c.run_for(30)
        assert cpu_column(c) == ["1m"] * 4


async def test_the_window_averages_a_load_that_began_inside_it() -> None:
    """CPU is the rate between two scrapes of the cumulative usage: load starting 5 s before a scrape shows as a
    third of it, then in full (storage/types.go resourceUsage)."""
    async with Cluster(nodes=1) as c:
        await c.apply(web(1, annotations={"sim.k9py.io/cpu": "0", "sim.k9py.io/cost-per-request": "3m"}))
        await c.run_for(40)
        c.load("deploy/web", 100)  # at 40 s; the next scrape is at 45 s
        await c.run_for(5)
        assert cpu_column(c) == ["100m"]
        await c.run_for(15)
        assert cpu_column(c) == ["300m"]


async def test_cpu_above_the_limit_is_throttled() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(web(1, annotations={"sim.k9py.io/cpu": "100m", "sim.k9py.io/cost-per-request": "10m"},
                          resources={"requests": {"cpu": "200m"}, "limits": {"cpu": "500m"}}))
        await c.run_for(30)
        c.load("web", 100)  # wants 1100m
        await c.run_for(30)
        assert cpu_column(c) == ["500m"]
        pod = c.list("pods", "default")[0]["metadata"]["name"]
        [usage] = c.metrics.usage_now("default", pod)
        assert usage.cpu_demand == pytest.approx(1.1) and usage.cpu_used == pytest.approx(0.5)
        assert usage.throttled == pytest.approx(1 - 0.5 / 1.1)


async def test_a_cpu_curve() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(web(1, annotations={"sim.k9py.io/cpu": "100m, 100m@1m, 900m@1m, 900m@2m, 100m@2m"}))
        await c.run_for(45)
        assert cpu_column(c) == ["100m"]
        await c.run_for(45)  # scrape at 90 s: the spike began at 61.1 s
        assert cpu_column(c) == ["900m"]
        await c.run_for(60)
        assert cpu_column(c) == ["100m"]


async def test_a_memory_leak_is_oom_killed_when_it_crosses_the_limit() -> None:
    """64Mi growing to 512Mi over 10 minutes crosses a 256Mi limit at 257.14 s into the run."""
    async with Cluster(nodes=1) as c:
        await c.apply(web(1, annotations={"sim.k9py.io/memory": "64Mi, 512Mi@10m"},
                          resources={"limits": {"memory": "256Mi"}}))
        await c.run_for(1.1 + 257)
        pod = c.list("pods", "default")[0]
        assert pod["status"]["containerStatuses"][0]["restartCount"] == 0
        await c.run_for(0.2)
        status = c.list("pods", "default")[0]["status"]["containerStatuses"][0]
        # Restarted at once (the first restart has no back-off), with a new curve from 64Mi.
        assert status["restartCount"] == 1
        last = status["lastState"]["terminated"]
        assert (last["reason"], last["exitCode"], last["finishedAt"]) == ("OOMKilled", 137, "2026-01-01T00:04:18Z")


async def test_memory_held_per_request_is_oom_killed_when_the_load_grows() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(web(1, annotations={"sim.k9py.io/memory": "100Mi", "sim.k9py.io/cost-per-request":
                                          "cpu=1m,memory=1Mi"}, resources={"limits": {"memory": "200Mi"}}))
        await c.run_for(30)
        c.load("web", 50)
        await c.run_for(30)
        assert top(c)[next(iter(top(c)))][2] == "150Mi"
        c.load("web", 150)  # 250Mi: over the limit the moment the load arrives
        await c.run_for(0.1)
        status = c.list("pods", "default")[0]["status"]["containerStatuses"][0]
        assert status["restartCount"] == 1 and status["lastState"]["terminated"]["reason"] == "OOMKilled"


async def test_requests_through_the_data_plane_cost_cpu() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(web(1, annotations={"sim.k9py.io/cpu": "0", "sim.k9py.io/cost-per-request": "150m"}))
        await c.run_for(31)
        ip = c.get("svc", "web")["spec"]["clusterIP"]
        for _ in range(10):
            assert c.request("node/node-1", f"http://{ip}").ok
        await c.run_for(14)
        assert cpu_column(c) == ["100m"]  # 10 requests x 150 ms of CPU over the 15 s window


async def test_bad_usage_annotations_are_reported() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(web(1, annotations={"sim.k9py.io/memory": "64Mi, 128Mi"}))
        await c.run_for(5)
        messages = [e["message"] for e in c.events("default") if e["reason"] == "InvalidSimulation"]
        assert messages == ['annotation sim.k9py.io/memory: "128Mi" needs a time: VALUE@TIME, e.g. 512Mi@10m']


async def test_load_on_something_missing_is_refused() -> None:
    async with Cluster(nodes=1) as c:
        with pytest.raises(ApiError, match='no Service or Deployment "nope" in namespace "default"'):
            c.load("nope", 10)
        with pytest.raises(ApiError, match='services "nope" not found'):
            c.load("svc/nope", 10)
        with pytest.raises(ApiError, match="requests per second must be a number"):
            c.load("svc/nope", -1)
