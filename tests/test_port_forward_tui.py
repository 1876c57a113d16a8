"""shift-f and `:pf` on the simulated cluster, at 80x24 with keys in bursts: k9s's port-forward
(internal/view/pf_dialog.go, pf_extender.go, internal/port; its `:pf` view internal/view/pf.go with the columns
of internal/render/portforward.go). A local TCP listener carries each connection to the pod through
`Cluster.port_forward`, the path `kubectl port-forward` takes through `k9py serve` (engine/apiserver/portforward.py):
the pod's simulated app answers as HTTP/1.1.

kubectl refuses a pod that is not Running with `unable to forward port because pod is not running. Current
status=Pending` (kubernetes/staging/src/k8s.io/kubectl/pkg/cmd/portforward/portforward.go); k9s refuses a
container that is not running with `Container NAME is not running?` and a local port already taken with `port N
is not available on host` (internal/port/tunnel.go).
"""

from __future__ import annotations

import asyncio
import socket
from functools import partial

import aiohttp
import pytest
import tui_support
from textual.app import App
from tui_support import CONFIRM, burst, command, dashboard, filter_by, screen_lines, table

from engine import Cluster
from k9py.port_forward import ForwardError, extract_port, parse_tunnels, port_specs

until = partial(tui_support.until, timeout=15.0)
SIZE = (80, 24)


def free_port() -> int:
    """A local port nothing listens on now (the kernel's pick), for the pod to declare and the forward to take."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def pod_yaml(name: str, port: int, annotations: str = "{}") -> str:
    return f"""
apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: default, annotations: {annotations}}}
spec:
  containers:
  - name: app
    image: nginx:1.27
    ports: [{{containerPort: {port}, name: http}}]
  - name: sidecar
    image: busybox
    command: [sh, -c, "sleep 3600"]
"""


def phase(cluster: Cluster, name: str) -> str:
    return str(((cluster.get("pod", name) or {}).get("status") or {}).get("phase", ""))


def on_screen(app: App[None], text: str) -> bool:
    return any(text in line for line in screen_lines(app))


async def http_get(port: int) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/", timeout=aiohttp.ClientTimeout(total=10)) as response,
    ):
        return response.status, await response.text()


async def refused(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except ConnectionRefusedError:
        return True
    writer.close()
    return False


async def test_shift_f_forwards_a_local_port_to_the_pods_app_and_pf_lists_it_until_ctrl_d() -> None:
    """shift-f enter takes k9s's defaults (the first TCP port, the same local port, localhost); a GET to the
    local port gets the simulated app's answer; `:pf` lists the forward with k9s's columns and counts the
    connection; ctrl-d (confirmed) stops it: the port refuses connections again."""
    port = free_port()
    async with dashboard([], size=SIZE) as (app, pilot, screen, cluster):
        await cluster.apply(pod_yaml("web", port))
        await until(pilot, lambda: phase(cluster, "web") == "Running")
        await filter_by(pilot, "web")
        await until(pilot, lambda: (table(screen).selected() or {}).get("metadata", {}).get("name") == "web")

        burst(app, "F")
        await until(pilot, lambda: on_screen(app, "<PortForward>"))
        lines = [line.replace("▊", "│").replace("▎", "│") for line in screen_lines(app)]
        assert any(f"Container Port: │  app::{port} " in line for line in lines)  # the first TCP port
        assert any(f"Local Port:     │  {port} " in line for line in lines)  # the same number
        assert any("Address:        │  localhost " in line for line in lines)  # k9s's portForwardAddress
        assert on_screen(app, "default/web") and not on_screen(app, "Exposed Ports")  # listed when there is a choice
        burst(app, "enter")
        await until(pilot, lambda: screen.flash_line.message.startswith("port-forward activated"))
        assert screen.flash_line.message == f"port-forward activated default/web|app {port}:{port}: " + (
            f"http://localhost:{port}/"
        )
        status, body = await http_get(port)
        assert status == 200 and body.startswith("Hello from web (namespace default")

        await command(pilot, "pf")
        await until(pilot, lambda: screen.view_name == "portforwards" and on_screen(app, f"{port}:{port}"))
        lines = screen_lines(app)
        header = next(line for line in lines if "NAMESPACE" in line)
        assert header.strip("│ ").split()[:5] == ["NAMESPACE", "NAME", "CONTAINER", "PORTS", "URL"]
        row = next(line for line in lines if f"{port}:{port}" in line).strip("│ ").split()
        assert row[:4] == ["default", "web", "app", f"{port}:{port}"] and row[5:7] == ["0", "1"]  # C 0 now, N 1
        assert "portforwards" in screen.view_title and "[1]" in screen.view_title

        burst(app, "ctrl+d", *CONFIRM)
        await until(pilot, lambda: screen.flash_line.message.endswith("deleted"))
        assert screen.flash_line.message == f"port-forward default/web|app {port}:{port} deleted"
        assert await refused(port)
        await until(pilot, lambda: not on_screen(app, f"{port}:{port}"))


async def test_port_in_use_pod_not_running_and_pod_gone_are_said() -> None:
    """A local port already taken is refused as k9s words it; a Pending pod as kubectl words it; a container
    that is not running as k9s words it; a forward whose pod is deleted stops, says why, and frees its port."""
    taken, port = socket.socket(), free_port()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    busy = int(taken.getsockname()[1])
    try:
        async with dashboard([], size=SIZE) as (app, pilot, screen, cluster):
            await cluster.apply(pod_yaml("busy", busy))
            await cluster.apply(pod_yaml("stuck", port, "{sim.k9py.io/image-pull: fail}"))
            await cluster.apply(pod_yaml("gone", port))
            await until(pilot, lambda: phase(cluster, "busy") == "Running" and phase(cluster, "gone") == "Running")

            await filter_by(pilot, "busy")
            await until(pilot, lambda: table(screen).row_count == 1)
            burst(app, "F", "enter")
            await until(pilot, lambda: "not available" in screen.flash_line.message)
            assert (
                screen.flash_line.message == f"port {busy} is not available on host localhost: address already in use"
            )
            assert screen.flash_line.level == "error" and not cluster_forwards(app)

            await filter_by(pilot, "stuck")
            await until(pilot, lambda: table(screen).row_count == 1)
            burst(app, "F")
            await until(pilot, lambda: "not running" in screen.flash_line.message)
            assert screen.flash_line.message == (
                "unable to forward port because pod is not running. Current status=Pending"
            )
            burst(app, "enter")  # the containers of the stuck pod: its app is waiting on its image
            await until(pilot, lambda: screen.view_name == "containers")
            burst(app, "F")
            await until(pilot, lambda: screen.flash_line.message == "Container app is not running?")
            burst(app, "escape")

            await filter_by(pilot, "gone")
            await until(pilot, lambda: screen.view_name == "pods" and table(screen).row_count == 1)
            burst(app, "F", "enter")
            await until(pilot, lambda: screen.flash_line.message.startswith("port-forward activated"))
            assert (await http_get(port))[0] == 200
            await cluster.delete("pod", "gone", grace_period=0)
            await until(pilot, lambda: "stopped" in screen.flash_line.message)
            assert (
                screen.flash_line.message
                == f"port-forward default/gone|app {port}:{port} stopped: pod default/gone is gone"
            )
            assert await refused(port)
    finally:
        taken.close()


def cluster_forwards(app: App[None]) -> list[object]:
    return app.backend.port_forwards.list()  # type: ignore[attr-defined,no-any-return]


async def test_a_container_forward_offers_its_own_ports_and_refused_ports_are_said() -> None:
    """shift-f in the containers view forwards that container (CONTAINER column); typing a Container Port
    sets the Local Port to its number, as k9s's dialog does; a port nothing listens on in the pod is refused on
    the connection with the kubelet's words, flashed as kubectl prints them."""
    port, other = free_port(), free_port()
    async with dashboard([], size=SIZE) as (app, pilot, screen, cluster):
        await cluster.apply(pod_yaml("duo", port))
        await until(pilot, lambda: phase(cluster, "duo") == "Running")
        await filter_by(pilot, "duo")
        await until(pilot, lambda: table(screen).row_count == 1)
        burst(app, "enter")
        await until(pilot, lambda: screen.view_name == "containers" and table(screen).row_count == 2)
        # the dialog opens on Container Port, filled with app::PORT: replace it with a port nothing listens on
        burst(app, "F", *["backspace"] * len(f"app::{port}"), *f"app::{other}", "enter")
        await until(pilot, lambda: screen.flash_line.message.startswith("port-forward activated"))
        assert screen.flash_line.message.startswith(f"port-forward activated default/duo|app {other}:{other}")
        assert (await http_get_error(other)) is not None
        await until(pilot, lambda: "an error occurred forwarding" in screen.flash_line.message)
        assert screen.flash_line.message.startswith(
            f"an error occurred forwarding {other} -> {other}: error forwarding"
        )
        assert "connect: connection refused" in screen.flash_line.message


async def http_get_error(port: int) -> str | None:
    try:
        await http_get(port)
    except aiohttp.ClientError as exc:
        return str(exc) or type(exc).__name__
    return None


def test_the_dialogs_fields_are_read_as_k9s_reads_them() -> None:
    """internal/port/pfs.go ToTunnels and pf_dialog.go extractPort: `container::port` (a number or a port's name),
    as many local ports as specs, k9s's words for a mismatch."""
    pod = {
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "ports": [{"containerPort": 8080, "name": "http"}, {"containerPort": 53, "protocol": "UDP"}],
                },
                {"name": "metrics", "ports": [{"containerPort": 9090}]},
            ]
        },
    }
    assert [str(p) for p in port_specs(pod)] == ["app::8080(http)", "metrics::9090"]  # UDP is not forwardable
    assert extract_port("metrics::9090") == "9090" and extract_port("8080") == "8080" and extract_port("x") == ""
    tunnels = parse_tunnels(pod, "app", "localhost", "app::http,9090", "18080,19090")
    assert [(t.container, t.local_port, t.container_port) for t in tunnels] == [
        ("app", 18080, 8080),
        ("metrics", 19090, 9090),
    ]
    with pytest.raises(ForwardError, match=r"^spec to local port count mismatch. Expected 2 but got 1$"):
        parse_tunnels(pod, "app", "localhost", "app::http,9090", "18080")
    with pytest.raises(ForwardError, match=r"^container to local port mismatch$"):
        parse_tunnels(pod, "app", "localhost", "", "18080")
    with pytest.raises(ForwardError, match="no port named 'grpc'"):
        parse_tunnels(pod, "app", "localhost", "app::grpc", "18080")


async def test_pf_keys_move_filter_and_go_back() -> None:
    """`:pf` is a table like k9s's: j k g G move the cursor over the forwards (by namespace, then name), `/`
    filters them by text, esc clears the filter; leaving the view stops no forward, quitting the dashboard stops
    every one."""
    ports = {name: free_port() for name in ("pf-a", "pf-b", "pf-c")}
    async with dashboard([], size=SIZE) as (app, pilot, screen, cluster):
        for name, port in ports.items():
            await cluster.apply(pod_yaml(name, port))
        await until(pilot, lambda: all(phase(cluster, name) == "Running" for name in ports))
        for name in ports:
            await filter_by(pilot, name)
            await until(pilot, lambda: table(screen).row_count == 1)
            burst(app, "F", "enter")
            await until(pilot, lambda name=name: f"default/{name}|app" in screen.flash_line.message)
        await command(pilot, "pf")
        await until(pilot, lambda: screen.view_name == "portforwards" and screen.view.row_count == 3)  # type: ignore[union-attr]
        view = screen.view

        def cursor() -> str | None:
            return view.table.selected_key()  # type: ignore[union-attr]

        assert cursor() == "default/pf-a|app"
        for keys, expected in ((("j",), "pf-b"), (("G",), "pf-c"), (("k",), "pf-b"), (("g",), "pf-a")):
            burst(app, *keys)
            await until(pilot, lambda expected=expected: cursor() == f"default/{expected}|app")
        burst(app, "slash", *"pf-c", "enter")
        await until(pilot, lambda: view.row_count == 1 and on_screen(app, f"{ports['pf-c']}:{ports['pf-c']}"))
        assert not on_screen(app, f"{ports['pf-a']}:{ports['pf-a']}")
        burst(app, "escape")
        await until(pilot, lambda: view.row_count == 3)
        burst(app, "minus")  # the last view: the pods
        await until(pilot, lambda: screen.view_name == "pods")
        assert len(cluster_forwards(app)) == 3  # leaving the view stops nothing
        assert not await refused(ports["pf-a"])
    for port in ports.values():  # quitting the dashboard stops them all
        assert await refused(port)
