"""The real kubectl's `top` against `engine.apiserver`'s metrics.k8s.io (metrics-server's API: discovery, lists,
gets, label selectors, tables, its 404s), on a cluster whose clock runs 8x."""

from __future__ import annotations

import json

from test_apiserver_kit import Served, needs_kubectl, served

pytestmark = needs_kubectl
__all__ = ["served"]

WEB = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations: {sim.k9py.io/cpu: "250m", sim.k9py.io/memory: "64Mi"}
    spec:
      containers:
      - {name: app, image: "nginx:1.27", resources: {requests: {cpu: 100m}}}
      - {name: log, image: "busybox:1.36", command: [sleep, infinity]}
"""


async def _web_with_metrics(served: Served) -> list[str]:
    assert "deployment.apps/web created" in await served.ok("apply", "-f", "-", stdin=WEB)
    # Two pods, past their first (fresh-container) window: every window the full 15s.
    await served.wait_for(lambda: [m["window"] for m in served.cluster.metrics.pod_metrics("default", "app=web")]
                          == ["15s", "15s"], timeout=60)
    return sorted(p["metadata"]["name"] for p in served.cluster.list("pods", "default"))


async def test_discovery_lists_the_metrics_api(served: Served) -> None:
    resources = await served.ok("api-resources", "--api-group=metrics.k8s.io")
    lines = [line.split() for line in resources.splitlines()[1:]]
    assert lines == [["nodes", "metrics.k8s.io/v1beta1", "false", "NodeMetrics"],
                     ["pods", "metrics.k8s.io/v1beta1", "true", "PodMetrics"]]
    versions = await served.ok("api-versions")
    assert "metrics.k8s.io/v1beta1" in versions.split()


async def test_top_pods(served: Served) -> None:
    pods = await _web_with_metrics(served)
    lines = (await served.ok("top", "pods", "-l", "app=web")).splitlines()
    assert lines[0].split() == ["NAME", "CPU(cores)", "MEMORY(bytes)"]
    # Both containers use what the pod's annotations say: 250m and 64Mi each.
    assert [line.split() for line in lines[1:]] == [[pod, "500m", "128Mi"] for pod in pods]
    containers = (await served.ok("top", "pod", pods[0], "--containers")).splitlines()
    assert containers[0].split() == ["POD", "NAME", "CPU(cores)", "MEMORY(bytes)"]
    assert [line.split() for line in containers[1:]] == [[pods[0], "app", "250m", "64Mi"],
                                                          [pods[0], "log", "250m", "64Mi"]]
    every = (await served.ok("top", "pods", "-A")).splitlines()
    assert every[0].split() == ["NAMESPACE", "NAME", "CPU(cores)", "MEMORY(bytes)"]
    assert {line.split()[0] for line in every[1:]} >= {"default", "kube-system"}


async def test_top_nodes(served: Served) -> None:
    await _web_with_metrics(served)
    await served.wait_for(lambda: len(served.cluster.metrics.node_metrics()) == 2, timeout=30)
    lines = (await served.ok("top", "nodes")).splitlines()
    assert lines[0].split() == ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"]
    _, rows = served.cluster.top("nodes")
    assert [line.split() for line in lines[1:]] == rows


async def test_raw_pod_metrics_and_tables(served: Served) -> None:
    pods = await _web_with_metrics(served)
    raw = json.loads(await served.ok("get", "--raw", f"/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/{pods[0]}"))
    assert raw["kind"] == "PodMetrics" and raw["apiVersion"] == "metrics.k8s.io/v1beta1"
    assert raw["window"] == "15s"
    assert raw["containers"] == [{"name": "app", "usage": {"cpu": "250m", "memory": "64Mi"}},
                                 {"name": "log", "usage": {"cpu": "250m", "memory": "64Mi"}}]
    listed = json.loads(await served.ok("get", "--raw", "/apis/metrics.k8s.io/v1beta1/pods?labelSelector=app%3Dweb"))
    assert listed["kind"] == "PodMetricsList" and [i["metadata"]["name"] for i in listed["items"]] == pods
    table = (await served.ok("get", "pods.metrics.k8s.io", "-l", "app=web")).splitlines()
    assert table[0].split() == ["NAME", "CPU", "MEMORY", "WINDOW"]
    assert [line.split() for line in table[1:]] == [[pod, "500m", "128Mi", "15s"] for pod in pods]


async def test_metrics_not_there_yet_or_for_no_such_pod(served: Served) -> None:
    code, _, err = await served.kubectl("top", "pod", "nope")
    assert code == 1 and err.strip() == 'Error from server (NotFound): pods "nope" not found'
    await served.ok("run", "fresh", "--image=nginx:1.27")
    await served.wait_for(lambda: served.cluster.get("pod", "fresh") is not None)
    served.cluster.pause()  # no scrape while kubectl asks: it stays without metrics
    code, _, err = await served.kubectl("top", "pod", "fresh")
    assert code == 1 and err.strip() == \
        'Error from server (NotFound): pods.metrics.k8s.io "default/fresh" not found'
    code, _, err = await served.kubectl("top", "pods", "-l", "run=fresh")
    assert code == 1 and err.strip() == "error: metrics not available yet"
