"""shift-f and `:pf` on real API servers, through KubeBackend at 80x24 with keys in bursts: k9py's own
(`k9py serve`, another process) and the control plane kit (kube-apiserver v1.36 with kwok nodes).

The dashboard forwards through the API server's `pods/NAME/portforward` subresource with the kubelet's WebSocket
protocol `v4.channel.k8s.io` (kubernetes/pkg/kubelet/cri/streaming/portforward/websocket.go: channel 0 data,
channel 1 errors, each opening with the port as a little-endian uint16), one WebSocket per local connection, as
the official Python client does. `k9py serve` answers it from the simulated pod's app; kwok's fake kubelet
(sigs.k8s.io/kwok) answers the upgrade with 406 Not Acceptable: it forwards SPDY only, and to nothing.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_apiserver_kit import KUBECTL, needs_kubectl
from test_kube_servers import served_kubeconfig  # noqa: F401  (the fixture: `k9py serve` in its own process)
from test_port_forward_tui import free_port, http_get, on_screen, refused
from tui_support import CONFIRM, burst, command, screen_lines, table, until

from k9py.app import K9App
from k9py.kube_backend import KubeBackend
from k9py.kube_client import KubeClient
from k9py.views.table import TableView


def kubectl(kubeconfig: Path, *args: str, stdin: str | None = None) -> str:
    assert KUBECTL is not None
    run = subprocess.run(
        [KUBECTL, "--kubeconfig", str(kubeconfig), *args], input=stdin, capture_output=True, text=True, timeout=300
    )
    return run.stdout + run.stderr


def pod_manifest(namespace: str, port: int) -> str:
    return f"""
apiVersion: v1
kind: Pod
metadata: {{name: web, namespace: {namespace}}}
spec:
  containers:
  - name: app
    image: nginx:1.27
    ports: [{{containerPort: {port}, name: http}}]
"""


@pytest.fixture
def namespace_on(request: pytest.FixtureRequest) -> Iterator[tuple[Path, str, int]]:
    """(kubeconfig, namespace, port): a namespace of this test's own on the server the test names, holding the
    pod `web` that declares `port` (free here); deleted at the end."""
    if KUBECTL is None:
        pytest.skip("kubectl is not installed")
    kubeconfig = Path(request.getfixturevalue(request.param))
    name, port = f"k9py-pf-{uuid.uuid4().hex[:6]}", free_port()
    kubectl(kubeconfig, "create", "namespace", name)
    kubectl(kubeconfig, "apply", "-f", "-", stdin=pod_manifest(name, port))
    # kwok marks a pod Running in a second, or minutes when the kit holds thousands of other tests' pods
    kubectl(kubeconfig, "-n", name, "wait", "--for=jsonpath={.status.phase}=Running", "pod/web", "--timeout=240s")
    try:
        yield kubeconfig, name, port
    finally:
        kubectl(kubeconfig, "delete", "namespace", name, "--wait=false")


async def _open_pods(app: K9App, pilot: object) -> None:
    await until(pilot, lambda: app.main is not None and isinstance(app.main.view, TableView), timeout=15)  # type: ignore[arg-type]
    assert app.main is not None
    screen = app.main
    await until(pilot, lambda: table(screen).row_count == 1 and "Running" in str(screen_lines(app)), timeout=30)  # type: ignore[arg-type]


@needs_kubectl
@pytest.mark.parametrize("namespace_on", ["served_kubeconfig"], indirect=True)
async def test_shift_f_on_k9py_serve_forwards_to_the_simulated_pod_and_ctrl_d_stops_it(
    namespace_on: tuple[Path, str, int],
) -> None:
    """The same keys as on the simulated cluster, through the API server: shift-f enter, a GET answered by the
    served pod's app, `:pf` lists it, ctrl-d stops it; a forward whose pod is deleted stops."""
    kubeconfig, namespace, port = namespace_on
    app = K9App(KubeBackend(KubeClient(str(kubeconfig))), [], command=f"po {namespace}")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_pods(app, pilot)
        screen = app.main
        assert screen is not None
        burst(app, "F", "enter")
        await until(pilot, lambda: screen.flash_line.message.startswith("port-forward activated"), timeout=15)
        assert screen.flash_line.message == (
            f"port-forward activated {namespace}/web|app {port}:{port}: http://localhost:{port}/"
        )
        status, body = await http_get(port)
        assert status == 200 and body.startswith(f"Hello from web (namespace {namespace}")
        await command(pilot, "pf")
        await until(pilot, lambda: screen.view_name == "portforwards" and on_screen(app, f"{port}:{port}"))
        burst(app, "ctrl+d", *CONFIRM)
        await until(pilot, lambda: screen.flash_line.message.endswith("deleted"), timeout=10)
        assert await refused(port)

        # forwarded again, then the pod deleted: the forward stops with it (the pods informer sees it go)
        await command(pilot, f"po {namespace}")
        await until(pilot, lambda: screen.view_name == "pods" and table(screen).row_count == 1, timeout=15)
        burst(app, "F", "enter")
        await until(pilot, lambda: screen.flash_line.message.startswith("port-forward activated"), timeout=15)
        assert (await http_get(port))[0] == 200
        kubectl(kubeconfig, "-n", namespace, "delete", "pod", "web", "--grace-period=0", "--force")
        await until(pilot, lambda: "stopped" in screen.flash_line.message, timeout=30)
        assert screen.flash_line.message == (
            f"port-forward {namespace}/web|app {port}:{port} stopped: pod {namespace}/web is gone"
        )
        assert await refused(port)


@needs_kubectl
@pytest.mark.parametrize("namespace_on", ["real_kubeconfig"], indirect=True)
async def test_shift_f_on_a_kwok_pod_says_its_node_cannot_forward(namespace_on: tuple[Path, str, int]) -> None:
    """kwok's nodes run no containers: the forward is refused when asked for, with the node's answer named, and
    nothing is left listening."""
    kubeconfig, namespace, port = namespace_on
    app = K9App(KubeBackend(KubeClient(str(kubeconfig))), [], command=f"po {namespace}")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_pods(app, pilot)
        screen = app.main
        assert screen is not None
        burst(app, "F", "enter")
        await until(pilot, lambda: "cannot be port-forwarded" in screen.flash_line.message, timeout=15)
        message = screen.flash_line.message
        assert message.startswith(f"pod {namespace}/web cannot be port-forwarded: its kubelet (kwok/")
        assert "406 Not Acceptable: kwok's nodes run no containers to forward to" in message
        assert screen.flash_line.level == "error"
        assert app.backend.port_forwards.list() == []  # type: ignore[attr-defined]
        assert await refused(port)
