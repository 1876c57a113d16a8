"""`k9py serve`: a headless cluster serving the API, the export line to paste, and a clean stop; the dashboard's
--serve runs the same server in its own loop."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest
from test_apiserver_kit import KUBECTL, needs_kubectl

from engine import Cluster
from engine.apiserver import ApiServer
from k9py.cli import _serving_backend, build_dashboard_parser, build_serve_parser

ROOT = Path(__file__).resolve().parent.parent


@needs_kubectl
async def test_serve_prints_the_export_line_and_serves_the_folders(tmp_path: Path) -> None:
    env = {**os.environ, "K9PY_STATE_DIR": str(tmp_path / "state"), "HOME": str(tmp_path)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "k9py.cli", "serve", str(ROOT / "sample-manifests"), "--port", "0", "--nodes", "2",
        "--speed", "8", env=env, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode().strip()
        assert line == f"export KUBECONFIG={tmp_path / 'state' / 'kubeconfig'}"
        assert KUBECTL is not None
        kubectl = await asyncio.create_subprocess_exec(
            KUBECTL, "get", "ns", "-o", "name", env={**env, "KUBECONFIG": line.split("=", 1)[1]},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(kubectl.communicate(), 60)
        assert kubectl.returncode == 0, err.decode()
        assert {"namespace/shop", "namespace/platform", "namespace/default"} <= set(out.decode().split())
    finally:
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(proc.wait(), 30)
    assert code == 0
    assert proc.stderr is not None
    assert "serving the Kubernetes API (v1.36.2+k9py) on https://127.0.0.1:" in (await proc.stderr.read()).decode()


def test_serve_and_dashboard_options() -> None:
    args = build_serve_parser().parse_args(["--port", "0", "--nodes", "5", "some/dir"])
    assert (args.port, args.nodes, args.dirs, args.speed) == (0, 5, ["some/dir"], 1.0)
    args = build_dashboard_parser().parse_args(["--serve", "--port", "7443"])
    assert (args.serve, args.port) == (True, 7443)
    with pytest.raises(SystemExit):
        build_serve_parser().parse_args(["--port", "70000"])


async def test_the_dashboard_backend_serves_in_its_own_loop(tmp_path: Path) -> None:
    cluster = Cluster(nodes=1, clock="real")
    server = ApiServer(cluster, port=0, state_dir=tmp_path / "state")
    backend = _serving_backend(server, cluster)
    await backend.start()
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.close()
        await writer.wait_closed()
        assert server.kubeconfig.read_text().count(f"https://127.0.0.1:{server.port}") == 1
    finally:
        await backend.stop()
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", server.port)
