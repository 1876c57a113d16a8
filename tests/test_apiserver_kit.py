"""Shared by the API server's tests: a served cluster on a free port, kubectl and HTTPS clients for it.

kubectl runs as a child process while the server answers in this test's event loop, so it is started with
asyncio's subprocess support (a blocking `subprocess.run` would stop the loop that must answer it).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from manifests import deployment_yaml

from engine import Cluster
from engine.apiserver import ApiServer

KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")

DEPLOYMENT_YAML = deployment_yaml("web", replicas=2, image="nginx:1.27")  # one container, named `app`


class Served:
    """A cluster on the real clock (sped up) with its API server, and clients for it."""

    def __init__(self, cluster: Cluster, server: ApiServer, cache: Path) -> None:
        self.cluster = cluster
        self.server = server
        self.cache = cache
        self._session: aiohttp.ClientSession | None = None

    async def kubectl(self, *args: str, stdin: str | None = None, timeout: float = 60) -> tuple[int, str, str]:
        assert KUBECTL is not None
        proc = await asyncio.create_subprocess_exec(
            KUBECTL, f"--kubeconfig={self.server.kubeconfig}", f"--cache-dir={self.cache}", *args,
            stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(stdin.encode() if stdin is not None else None), timeout)
        return proc.returncode or 0, out.decode(), err.decode()

    async def ok(self, *args: str, stdin: str | None = None) -> str:
        """kubectl's stdout; the test fails with its stderr if it failed."""
        code, out, err = await self.kubectl(*args, stdin=stdin)
        assert code == 0, f"kubectl {' '.join(args)} failed ({code}): {err}"
        return out

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            context = ssl.create_default_context(cafile=str(self.server.credentials.ca_cert))
            self._session = aiohttp.ClientSession(
                base_url=self.server.url, connector=aiohttp.TCPConnector(ssl=context),
                headers={"Authorization": f"Bearer {self.server.token}"})
        return self._session

    async def request(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any, aiohttp.ClientResponse]:
        """(status, decoded JSON body or text, response)."""
        async with self.session.request(method, path, **kwargs) as response:
            text = await response.text()
            try:
                body: Any = json.loads(text)
            except ValueError:
                body = text
            return response.status, body, response

    async def wait_for(self, predicate: Any, timeout: float = 20.0) -> None:
        assert await self.cluster.run_until(lambda _: predicate(), timeout=timeout)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


@pytest.fixture
async def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Served]:
    monkeypatch.setenv("K9PY_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("HOME", str(tmp_path))  # kubectl must not read or write the real ~/.kube
    cluster = Cluster(nodes=2, clock="real", speed=8)
    async with cluster:
        server = ApiServer(cluster, port=0, bookmark_seconds=0.5)
        await server.start()
        kit = Served(cluster, server, tmp_path / "kube-cache")
        try:
            yield kit
        finally:
            await kit.close()
            await server.stop()
