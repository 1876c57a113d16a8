"""HTTP to a real Kubernetes API server, authenticated from a kubeconfig as kubectl does.

`kubernetes_asyncio`'s kubeconfig loader does the authentication (client certificates, bearer tokens and token
files, exec credential plugins with their refresh, the cluster's CA or insecure-skip-tls-verify, proxy-url): the
same code paths as the official client's. The requests themselves go through its aiohttp session as plain JSON:
the dashboard works on dicts (as the engine's printers do), and turning 10,000 pods into generated model objects
and back would cost seconds; watches and `logs -f` are line streams the generated API does not expose either.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from multidict import CIMultiDict

Obj = dict[str, Any]
DEFAULT_TIMEOUT = 30.0


class KubeError(Exception):
    """The API server refused (its Status's message and code) or could not be reached (code 0)."""

    def __init__(self, message: str, code: int = 0, reason: str = "", details: Obj | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.reason = reason
        self.details = details or {}


@dataclass(frozen=True)
class Context:
    """A kubeconfig context, as `kubectl config get-contexts` lists it."""

    name: str
    cluster: str
    user: str
    namespace: str
    current: bool


def kubeconfig_path(given: str | None) -> str:
    """The kubeconfig kubectl would read: --kubeconfig, else the first file of $KUBECONFIG, else ~/.kube/config."""
    import os

    if given:
        return given
    env = os.environ.get("KUBECONFIG", "")
    first = next((p for p in env.split(os.pathsep) if p), "")
    return first or str(Path.home() / ".kube" / "config")


def contexts(path: str) -> list[Context]:
    """The contexts of a kubeconfig file, the current one marked."""
    from kubernetes_asyncio.config import list_kube_config_contexts

    found, active = list_kube_config_contexts(config_file=path)
    current = (active or {}).get("name", "")
    return [
        Context(
            name=c["name"],
            cluster=c.get("context", {}).get("cluster", ""),
            user=c.get("context", {}).get("user", ""),
            namespace=c.get("context", {}).get("namespace", "") or "",
            current=c["name"] == current,
        )
        for c in found or ()
    ]


def status_error(status: int, body: bytes) -> KubeError:
    """The API server's Status as an error whose message is the server's own words."""
    try:
        doc = json.loads(body)
    except ValueError:
        doc = None
    if isinstance(doc, dict) and doc.get("kind") == "Status":
        return KubeError(
            str(doc.get("message") or doc.get("reason") or status),
            int(doc.get("code") or status),
            str(doc.get("reason") or ""),
            doc.get("details") or {},
        )
    text = body.decode("utf-8", "replace").strip()
    return KubeError(text or f"the server answered HTTP {status}", status)


class KubeClient:
    """One authenticated connection to an API server (one kubeconfig context). `open` before use, `close` after."""

    def __init__(
        self,
        kubeconfig: str,
        context: str | None = None,
        *,
        as_user: str | None = None,
        as_groups: tuple[str, ...] = (),
    ) -> None:
        self.kubeconfig = kubeconfig
        self.context = context
        self.as_user = as_user
        self.as_groups = as_groups
        self.host = ""
        self.namespace = "default"  # the context's namespace: objects that name none
        self._api: Any = None  # kubernetes_asyncio.client.ApiClient
        self._config: Any = None

    async def open(self) -> None:
        from kubernetes_asyncio import client, config
        from kubernetes_asyncio.config.config_exception import ConfigException

        cfg = client.Configuration()
        try:
            await config.load_kube_config(
                config_file=self.kubeconfig, context=self.context, client_configuration=cfg, persist_config=False
            )
        except (ConfigException, OSError, ValueError, TypeError) as exc:
            raise KubeError(f"kubeconfig {self.kubeconfig}: {exc}") from None
        found = contexts(self.kubeconfig)
        chosen = next((c for c in found if c.name == self.context), None) or next((c for c in found if c.current), None)
        if chosen is not None:
            self.context = chosen.name
            self.namespace = chosen.namespace or "default"
        self._config = cfg
        self._api = client.ApiClient(configuration=cfg)
        self.host = cfg.host.rstrip("/")

    async def close(self) -> None:
        if self._api is not None:
            await self._api.close()
            self._api = None

    @property
    def _session(self) -> aiohttp.ClientSession:
        if self._api is None:
            raise KubeError("not connected")
        return self._api.rest_client.pool_manager  # type: ignore[no-any-return]

    async def _headers(
        self,
        content_type: str = "application/json",
        impersonate: tuple[str, tuple[str, ...]] | None = None,
        accept: str = "application/json",
    ) -> CIMultiDict[str]:
        headers: CIMultiDict[str] = CIMultiDict()
        headers["Accept"] = accept
        headers["Content-Type"] = content_type
        headers["User-Agent"] = "k9py"
        # auth_settings runs the exec plugin again when its credential has expired (kubectl's refresh).
        for setting in (await self._config.auth_settings()).values():
            if setting.get("value"):
                headers[setting["key"]] = setting["value"]
        user, groups = impersonate or (self.as_user, self.as_groups)
        if user:
            headers["Impersonate-User"] = user
            for group in groups:
                headers.add("Impersonate-Group", group)
        return headers

    def _url(self, path: str, query: dict[str, Any] | None) -> str:
        clean = {
            k: ("true" if v is True else "false" if v is False else v)
            for k, v in (query or {}).items()
            if v is not None
        }
        return self.host + path + (f"?{urlencode(clean)}" if clean else "")

    async def request(
        self,
        method: str,
        path: str,
        query: dict[str, Any] | None = None,
        body: Any = None,
        content_type: str = "application/json",
        timeout: float = DEFAULT_TIMEOUT,
        impersonate: tuple[str, tuple[str, ...]] | None = None,
        accept: str = "application/json",
    ) -> Obj:
        """One request; the decoded JSON answer. Raises KubeError with the server's message. `impersonate`: (user,
        groups) to ask as, instead of the --as ones (what a user may do is asked as that user); `accept`: another
        representation (a Table, aggregated discovery)."""
        data = None if body is None else body if isinstance(body, (bytes, str)) else json.dumps(body)
        try:
            async with self._session.request(
                method,
                self._url(path, query),
                data=data,
                headers=await self._headers(content_type, impersonate, accept),
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as response:
                raw = await response.read()
                if response.status >= 400:
                    raise status_error(response.status, raw)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise KubeError(f"cannot reach {self.host}: {exc or type(exc).__name__}") from None
        if not raw:
            return {}
        try:
            doc = json.loads(raw)
        except ValueError:
            return {"text": raw.decode("utf-8", "replace")}
        return doc if isinstance(doc, dict) else {"items": doc}

    async def websocket(self, path: str, query: dict[str, Any], protocol: str) -> aiohttp.ClientWebSocketResponse:
        """A WebSocket upgrade of `path` speaking `protocol` (a port-forward's `v4.channel.k8s.io`). KubeError on a
        refusal, with the refusal's body (a Status's message) and the answering server (`details["server"]`: a
        kubelet's refusal is proxied as is, kwok names itself)."""
        headers = await self._headers()
        del headers["Content-Type"]
        url = self._url(path, query).replace("https://", "wss://", 1).replace("http://", "ws://", 1)
        try:
            return await self._session.ws_connect(url, headers=headers, protocols=(protocol,), autoping=True)
        except aiohttp.WSServerHandshakeError as exc:
            refused = exc.status
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise KubeError(f"cannot reach {self.host}: {exc or type(exc).__name__}") from None
        # aiohttp keeps a refused handshake's body to itself: ask again as a plain upgrade request, to read it.
        headers.update({"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
                        "Sec-WebSocket-Key": "azlweS1wb3J0LWZvcndhcmQ=", "Sec-WebSocket-Protocol": protocol})
        try:
            async with self._session.get(self._url(path, query), headers=headers) as response:
                body = await response.read() if response.status >= 400 else b""
                server = response.headers.get("Server", "")
        except (aiohttp.ClientError, TimeoutError, OSError):
            body, server = b"", ""
        error = status_error(refused, body)
        error.details.setdefault("server", server)
        raise error

    async def text(self, path: str, query: dict[str, Any] | None = None, timeout: float = DEFAULT_TIMEOUT) -> str:
        """A plain-text GET (`/version` is JSON; a log without follow is text)."""
        try:
            async with self._session.get(
                self._url(path, query), headers=await self._headers(), timeout=aiohttp.ClientTimeout(total=timeout)
            ) as response:
                raw = await response.read()
                if response.status >= 400:
                    raise status_error(response.status, raw)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise KubeError(f"cannot reach {self.host}: {exc or type(exc).__name__}") from None
        return raw.decode("utf-8", "replace")

    async def lines(
        self,
        path: str,
        query: dict[str, Any] | None = None,
        read_timeout: float | None = None,
        opened: Callable[[], None] | None = None,
        accept: str = "application/json",
    ) -> AsyncIterator[bytes]:
        """A streamed GET, line by line (a watch's events, a followed log). KubeError on a refusal or a broken
        connection; the iterator simply ends when the server closes the stream. `opened` is called once the server
        has accepted the stream: a quiet watch may send no line for minutes, yet it is connected."""
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=read_timeout)
        try:
            async with self._session.get(
                self._url(path, query), headers=await self._headers(accept=accept), timeout=timeout
            ) as response:
                if response.status >= 400:
                    raise status_error(response.status, await response.read())
                if opened is not None:
                    opened()
                buffer = b""
                async for chunk in response.content.iter_any():
                    buffer += chunk
                    *complete, buffer = buffer.split(b"\n")
                    for line in complete:
                        yield line
                if buffer:
                    yield buffer
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise KubeError(f"connection to {self.host} lost: {exc or type(exc).__name__}") from None
