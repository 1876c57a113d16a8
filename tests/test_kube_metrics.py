"""k9s's usage columns on a real cluster (`k9py --kubeconfig`), from metrics.k8s.io: against `k9py serve` (which
serves metrics-server's API) the pods and nodes views show CPU, %CPU/R, %CPU/L, MEM, %MEM/R, %MEM/L and CPU/A, MEM/A;
against the control plane kit (no metrics-server) the columns stay hidden, as k9s hides them.

Upstream: k9s internal/client/metrics.go (PodsMetrics sums each container's `Usage.Cpu().MilliValue()`;
NodesMetrics reads the node's allocatable), internal/render/pod.go and node.go (the columns), internal/client/
client.go supportsMetricsResources (the columns show when discovery lists metrics.k8s.io);
kubernetes-sigs/metrics-server pkg/api (PodMetrics/NodeMetrics lists, `--metric-resolution` 15s by default).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_kube_servers import kubectl
from tui_support import ROOT, command, table, until

from k9py import kube_metrics
from k9py.app import K9App
from k9py.kube_backend import KubeBackend
from k9py.kube_client import KubeClient, KubeError
from k9py.kube_metrics import DECODE_SLICE, KubeMetrics, decode_items

SHOP = """
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations: {sim.k9py.io/cpu: "300m", sim.k9py.io/memory: "200Mi"}
    spec:
      containers:
      - name: app
        image: nginx:1.27
        resources: {requests: {cpu: 500m, memory: 256Mi}, limits: {cpu: "1", memory: 512Mi}}
      - name: side
        image: busybox:1.36
        command: [sh, -c, "sleep 100000"]
"""
POD_COLUMNS = ["NAME", "READY", "STATUS", "RESTARTS", "CPU", "%CPU/R", "%CPU/L", "MEM", "%MEM/R", "%MEM/L"]


@pytest.fixture(scope="module")
def shop_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """`k9py serve --speed 8` of a folder with the shop's deployment, in a process of its own: metrics-server's
    15 s windows pass in about 2 s."""
    home = tmp_path_factory.mktemp("metrics-serve")
    (home / "app").mkdir()
    (home / "app" / "shop.yaml").write_text(SHOP)
    env = {**os.environ, "K9PY_STATE_DIR": str(home / "state"), "HOME": str(home)}
    argv = [sys.executable, "-m", "k9py.cli", "serve", "--port", "0", "--speed", "8", str(home / "app")]
    server = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert server.stdout is not None
        first = server.stdout.readline().strip()
        assert first.startswith("export KUBECONFIG="), first
        yield Path(first.partition("=")[2])
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)


def _row(view, prefix: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    for state in view._rows.values():
        if state.obj["metadata"]["name"].startswith(prefix):
            return {column: view.cell(state, column) for column in view.columns}
    return {}


# --- the columns, against k9py serve and the kit --------------------------------------------------------------------


async def test_pods_and_nodes_show_metrics_servers_usage_against_k9py_serve(shop_served: Path) -> None:
    """Each pod sums its containers (2 x 300m, 2 x 200Mi) against the sum of its requests and limits (the sidecar
    asks for nothing): 600m is 120% of the 500m requested and 60% of the 1-core limit; 400Mi is 156% of 256Mi and
    78% of 512Mi (k9s floors percentages). A node's CPU/A and MEM/A are its allocatable (4 cores, 16Gi)."""
    app = K9App(KubeBackend(KubeClient(str(shop_served))), [], command="po shop")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.main is not None and app.main.view is not None, timeout=15)
        screen = app.main
        assert screen is not None
        view = table(screen)
        assert view.columns[:10] == POD_COLUMNS
        await until(pilot, lambda: _row(table(screen), "web-").get("CPU") == "600", timeout=30)
        row = _row(table(screen), "web-")
        assert [row[c] for c in POD_COLUMNS[4:]] == ["600", "120", "60", "400", "156", "78"]
        # %MEM/L at 78 is past k9s's warning level (70): coloured as k9s colours it
        state = next(s for s in view._rows.values() if s.obj["metadata"]["name"].startswith("web-"))
        assert view.cell_colours(state.cells)

        await command(pilot, "no")
        nodes = table(screen)
        assert nodes.columns[-6:] == ["CPU", "CPU/A", "%CPU", "MEM", "MEM/A", "%MEM"]
        await until(pilot, lambda: all(nodes.cell(s, "CPU") not in ("", "0") for s in nodes._rows.values()), 30)
        node = _row(nodes, "node-1")
        assert (node["CPU/A"], node["MEM/A"]) == ("4000", "16384")
        # Every scheduled pod's usage is part of its node's: the node with a web pod uses at least its 600m
        busy = [s for s in nodes._rows.values() if int(nodes.cell(s, "CPU")) >= 600]
        assert busy


async def test_metrics_are_asked_for_only_while_a_pods_view_is_on_screen(
    shop_served: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lists are asked for again every resolution while the pods view is shown, and not at all while another
    view is (the pods view kept behind it included); coming back asks again."""
    monkeypatch.setattr(kube_metrics, "RESOLUTION_SECONDS", 0.5)
    backend = KubeBackend(KubeClient(str(shop_served)))
    app = K9App(backend, [], command="po shop")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: backend.metrics is not None and backend.metrics.requests >= 3, timeout=20)
        await command(pilot, "deploy shop")
        await pilot.pause(1.5)  # a request already on its way may land
        assert backend.metrics is not None
        asked = backend.metrics.requests
        # A new pod changes the pods the hidden view keeps up with: still nothing is asked for
        kubectl(shop_served, "-n", "shop", "scale", "deployment", "web", "--replicas=3")
        await pilot.pause(3.0)
        assert backend.metrics.requests == asked
        assert len(backend.list(backend.resolve("po"), "shop")) == 3
        await command(pilot, "po shop")
        await until(pilot, lambda: backend.metrics is not None and backend.metrics.requests >= asked + 2, timeout=10)
    kubectl(shop_served, "-n", "shop", "scale", "deployment", "web", "--replicas=2")


async def test_the_usage_columns_stay_hidden_on_a_cluster_without_metrics_server(real_kubeconfig: Path) -> None:
    """The kit serves no metrics.k8s.io (no metrics-server): the pods and nodes views show kubectl's columns only,
    and nothing asks for metrics."""
    namespace = "k9py-mx-" + os.urandom(3).hex()
    kubectl(real_kubeconfig, "create", "namespace", namespace)
    kubectl(real_kubeconfig, "-n", namespace, "run", "p", "--image=busybox")
    backend = KubeBackend(KubeClient(str(real_kubeconfig)))
    try:
        app = K9App(backend, [], command=f"po {namespace}")
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.main is not None and app.main.view is not None, timeout=15)
            screen = app.main
            assert screen is not None
            await until(pilot, lambda: table(screen).row_count == 1, timeout=30)
            assert table(screen).columns == ["NAME", "READY", "STATUS", "RESTARTS", "IP", "NODE", "AGE"]
            await command(pilot, "no")
            assert not {"CPU", "CPU/A", "%CPU"} & set(table(screen).columns)
            assert backend.metrics is None
    finally:
        kubectl(real_kubeconfig, "delete", "namespace", namespace, "--wait=false")


# --- a big list, decoded without holding the loop ------------------------------------------------------------------


async def test_a_big_metrics_list_is_decoded_a_slice_at_a_time() -> None:
    """10,000 PodMetrics (3 MB, a tenth of a second to decode at once): the loop runs between slices, so frames
    are painted while it is read; the items are json.loads's."""
    items = [
        {
            "metadata": {"name": f"web-{i:05d}", "namespace": "shop", "labels": {"app": "web"}},
            "timestamp": "2026-12-02T10:00:00Z",
            "window": "15s",
            "containers": [{"name": "app", "usage": {"cpu": f"{i}n", "memory": "12Ki"}}],
        }
        for i in range(10_000)
    ]
    text = json.dumps(
        {"kind": "PodMetricsList", "apiVersion": "metrics.k8s.io/v1beta1", "metadata": {}, "items": items}
    )
    turns = 0

    async def ticker() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    tick = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    start = turns
    decoded = await decode_items(text)
    tick.cancel()
    assert decoded == items
    assert turns - start >= len(items) // DECODE_SLICE - 1


async def test_a_list_that_is_not_json_is_an_error() -> None:
    for text in ('{"items": [{"a": 1}', "[]", '{"items": [1 2]}', ""):
        with pytest.raises(ValueError):
            await decode_items(text)
    assert await decode_items(' { "kind" : "PodMetricsList" , "items" : [ ] } ') == []


# --- what is asked for, against a scripted server --------------------------------------------------------------------


class MetricsServer:
    """Answers metrics.k8s.io lists from `pods` (namespace -> [(name, cpu, memory)]); `refuse`: paths answered with
    that KubeError instead."""

    def __init__(self, pods: dict[str, list[tuple[str, str, str]]], refuse: dict[str, KubeError] | None = None):
        self.pods, self.refuse, self.asked = pods, refuse or {}, []

    async def text(self, path: str) -> str:
        self.asked.append(path)
        if path in self.refuse:
            raise self.refuse[path]
        ns = path.split("/namespaces/")[1].split("/")[0] if "/namespaces/" in path else None
        items = [
            {"metadata": {"name": n, "namespace": pns}, "containers": [{"name": "c", "usage": {"cpu": c, "memory": m}}]}
            for pns, pods in self.pods.items()
            if ns in (None, pns)
            for n, c, m in pods
        ]
        return json.dumps({"kind": "PodMetricsList", "items": items})


def _pod(namespace: str, name: str) -> dict[str, Any]:
    return {"metadata": {"namespace": namespace, "name": name}, "spec": {"containers": []}}


def _metrics(server: MetricsServer, told: list[str] | None = None) -> KubeMetrics:
    loop = asyncio.get_running_loop()
    return KubeMetrics(server, "v1beta1", loop.create_task, told.append if told is not None else None)  # type: ignore[arg-type]


async def _settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_one_namespaces_rows_ask_for_that_namespace_and_several_for_all() -> None:
    server = MetricsServer({"shop": [("web", "250m", "64Mi")], "db": [("pg", "1", "1Gi")]})
    metrics = _metrics(server)
    assert not metrics.pod_usage(_pod("shop", "web")).measured  # nothing yet: asked in the background
    await _settle()
    assert server.asked == ["/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods"]
    usage = metrics.pod_usage(_pod("shop", "web"))
    assert (usage.measured, usage.cpu, usage.memory) == (True, 250, 64 * 1024 * 1024)
    # rows of another namespace (an all-namespaces view): every namespace, at once, not after the resolution
    metrics.pod_usage(_pod("db", "pg"))
    metrics.pod_usage(_pod("shop", "web"))
    await _settle()
    assert server.asked[1:] == ["/apis/metrics.k8s.io/v1beta1/pods"]
    assert metrics.pod_usage(_pod("db", "pg")).cpu == 1000
    # and nothing more until metrics-server can have scraped again
    for _ in range(5):
        metrics.pod_usage(_pod("db", "pg"))
        await _settle()
    assert len(server.asked) == 2


async def test_a_user_who_may_not_list_every_namespace_is_asked_namespace_by_namespace() -> None:
    forbidden = KubeError('podmetrics.metrics.k8s.io is forbidden: User "jane" cannot list resource', 403)
    server = MetricsServer({"a": [("x", "1m", "1Mi")], "b": [("y", "2m", "2Mi")]},
                           refuse={"/apis/metrics.k8s.io/v1beta1/pods": forbidden})  # fmt: skip
    told: list[str] = []
    metrics = _metrics(server, told)
    metrics.pod_usage(_pod("a", "x"))
    metrics.pod_usage(_pod("b", "y"))
    await _settle()
    assert server.asked[0] == "/apis/metrics.k8s.io/v1beta1/pods"
    assert sorted(server.asked[1:]) == [
        "/apis/metrics.k8s.io/v1beta1/namespaces/a/pods",
        "/apis/metrics.k8s.io/v1beta1/namespaces/b/pods",
    ]
    assert [metrics.pod_usage(_pod(ns, n)).cpu for ns, n in (("a", "x"), ("b", "y"))] == [1, 2]
    assert told == []


async def test_a_metrics_api_that_fails_is_said_once_and_asked_again_at_the_resolution(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """metrics-server registered but down: the API server's 503, flashed once (not every 15 s)."""
    monkeypatch.setattr(kube_metrics, "RESOLUTION_SECONDS", 0.05)
    down = KubeError("the server is currently unable to handle the request", 503)
    server = MetricsServer({}, refuse={"/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods": down})
    told: list[str] = []
    metrics = _metrics(server, told)
    for _ in range(3):
        assert not metrics.pod_usage(_pod("shop", "web")).measured
        await _settle()
        await asyncio.sleep(0.06)
    assert len(server.asked) == 3
    assert told == ["metrics.k8s.io pods: the server is currently unable to handle the request"]
