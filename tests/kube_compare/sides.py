"""One side of the comparison: a kubeconfig (k9py's or the real cluster's), kubectl and plain HTTPS for it.

kubectl runs through asyncio's subprocess support: on the k9py side the API server answers in this same event
loop, so a blocking `subprocess.run` would stop the server that has to answer it.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import yaml

KUBECTL = shutil.which("kubectl")


def kubeconfig_client_parts(kubeconfig: Path) -> tuple[str, ssl.SSLContext, str]:
    """(server URL, TLS context trusting the cluster's CA, bearer token) of the current context."""
    config = yaml.safe_load(kubeconfig.read_text())
    context_name = config["current-context"]
    context = next(c["context"] for c in config["contexts"] if c["name"] == context_name)
    cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == context["cluster"])
    user = next(u["user"] for u in config["users"] if u["name"] == context["user"])
    if "certificate-authority-data" in cluster:
        tls = ssl.create_default_context(cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
    else:
        tls = ssl.create_default_context(cafile=cluster["certificate-authority"])
    return cluster["server"], tls, user["token"]


class Side:
    """kubectl and HTTPS against one cluster, in one namespace (set in a private copy of the kubeconfig, so a
    session types `kubectl get pods` exactly as the seeds do)."""

    def __init__(self, name: str, kubeconfig: Path, workdir: Path, namespace: str) -> None:
        self.name = name
        self.namespace = namespace
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        config = yaml.safe_load(kubeconfig.read_text())
        for context in config["contexts"]:
            if context["name"] == config["current-context"]:
                context["context"]["namespace"] = namespace
        self.kubeconfig = workdir / "kubeconfig"
        self.kubeconfig.write_text(yaml.safe_dump(config))
        self.kubeconfig.chmod(0o600)
        self.server, self._tls, self._token = kubeconfig_client_parts(self.kubeconfig)
        self._http: aiohttp.ClientSession | None = None

    # --- kubectl --------------------------------------------------------------------------------------------

    async def kubectl(self, *args: str, stdin: str | None = None, timeout: float = 90) -> tuple[int, str, str]:
        """(exit code, stdout, stderr). HOME and the cache dir are the side's own: kubectl must neither read the
        user's ~/.kube nor share a discovery cache between the two servers."""
        assert KUBECTL is not None
        env = {**os.environ, "HOME": str(self.workdir), "KUBECONFIG": str(self.kubeconfig)}
        proc = await asyncio.create_subprocess_exec(
            KUBECTL, f"--cache-dir={self.workdir / 'cache'}", *args, cwd=self.workdir, env=env,
            stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            out, err = await asyncio.wait_for(proc.communicate(stdin.encode() if stdin is not None else None), timeout)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise AssertionError(f"{self.name}: kubectl {' '.join(args)} took over {timeout}s") from None
        return proc.returncode or 0, out.decode(), err.decode()

    # --- plain HTTPS ----------------------------------------------------------------------------------------

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._http is None:
            self._http = aiohttp.ClientSession(
                base_url=self.server, connector=aiohttp.TCPConnector(ssl=self._tls),
                headers={"Authorization": f"Bearer {self._token}"})
        return self._http

    async def request(self, method: str, path: str, body: Any = None,
                      content_type: str = "application/json") -> tuple[int, Any]:
        """(status, decoded JSON body or text)."""
        data = body if isinstance(body, str | bytes | None) else json.dumps(body)
        headers = {"Content-Type": content_type, "Accept": "application/json"}
        async with self.http.request(method, path, data=data, headers=headers) as response:
            text = await response.text()
            try:
                return response.status, json.loads(text)
            except ValueError:
                return response.status, text

    @asynccontextmanager
    async def stream(self, path: str) -> AsyncIterator[aiohttp.ClientResponse]:
        """A watch (or any streamed GET), left open until the block ends."""
        async with self.http.get(path, headers={"Accept": "application/json"},
                                 timeout=aiohttp.ClientTimeout(total=None, sock_read=None)) as response:
            yield response

    # --- the session's namespace ----------------------------------------------------------------------------

    async def create_namespace(self) -> None:
        status, body = await self.request("POST", "/api/v1/namespaces",
                                          {"apiVersion": "v1", "kind": "Namespace",
                                           "metadata": {"name": self.namespace}})
        assert status == 201, f"{self.name}: creating namespace {self.namespace}: {status} {body}"
        # The real admission plugin refuses pods until the ServiceAccount controller has made `default`; a user
        # never notices (it takes milliseconds), so the session waits for it rather than comparing a race.
        for _ in range(200):
            status, _ = await self.request("GET", f"/api/v1/namespaces/{self.namespace}/serviceaccounts/default")
            if status == 200 or (status == 404 and self.name == "k9py"):
                return
            await asyncio.sleep(0.05)

    async def delete_namespace(self) -> None:
        await self.request("DELETE", f"/api/v1/namespaces/{self.namespace}")

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None
