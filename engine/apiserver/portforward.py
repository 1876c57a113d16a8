"""pods/portforward: `kubectl port-forward`, answered by the pod's simulated app.

kubectl v1.31+ opens `GET .../pods/NAME/portforward` as a WebSocket with the subprotocol
`SPDY/3.1+portforward.k8s.io` and speaks SPDY inside it (`spdy.py`). For each connection to its local port it
opens two streams with the headers `streamType` (`error`, then `data`), `port` (the pod's port) and `requestID`;
the bytes of the connection flow on the data stream, and whatever the server writes on the error stream is an
error kubectl prints before giving up (`error: lost connection to pod`). The kubelet's older WebSocket protocol
(`v4.channel.k8s.io` with `?ports=80,8080`: one connection per port, data on channel 2i and errors on 2i+1, each
channel opening with its port as a little-endian uint16), which the official Python client speaks, is served
too.

There is no process in a k9py pod, so the data stream is read as HTTP/1.1: each request is answered by
`engine.network.app.answer` (the same app model that answers in-cluster requests), as keep-alive allows. A port
nothing listens on gets containerd's refusal on the error stream, as the kubelet words it; bytes that are not an
HTTP request get a message saying that k9py's apps speak HTTP only.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from http import HTTPStatus
from typing import Any

from aiohttp import WSMsgType, web

from .. import errors
from ..cluster import Cluster
from ..network.app import AppRequest, answer, container_for_port
from . import spdy
from .streaming import require_websocket

TUNNEL_PROTOCOL = "SPDY/3.1+portforward.k8s.io"
CHANNEL_PROTOCOL = "v4.channel.k8s.io"  # the kubelet's WebSocket protocol: a data and an error channel per port
MAX_HEAD = 64 * 1024  # bytes of request line and headers read before giving up on a request
_REQUEST_LINE = re.compile(rb"^([A-Z]+) (\S+) HTTP/(\d)\.(\d)\r?$")


def _plausible(buffer: bytes) -> bool:
    """Could `buffer` be (the start of) an HTTP/1.x request?"""
    line, newline, _ = buffer.partition(b"\n")
    if newline:
        return bool(_REQUEST_LINE.match(line))
    return bool(re.fullmatch(rb"[A-Z]{0,20}|[A-Z]{1,20} \S*|[A-Z]{1,20} \S+ [HTP/0-9.]{0,8}\r?", line))


def sandbox_id(pod: dict[str, Any]) -> str:
    """The pod sandbox's id, as containerd names it (64 hex digits)."""
    return hashlib.sha256(f"{pod['metadata'].get('uid')}/sandbox".encode()).hexdigest()


def netns_path(pod: dict[str, Any]) -> str:
    digest = hashlib.sha256(f"{pod['metadata'].get('uid')}/netns".encode()).hexdigest()
    return f"/var/run/netns/cni-{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


def refused(pod: dict[str, Any], port: int) -> str:
    """The kubelet's message for a port nothing listens on (containerd's sandbox_portforward_linux.go)."""
    sandbox = sandbox_id(pod)
    return (f"error forwarding port {port} to pod {sandbox}, uid : failed to execute portforward in network "
            f'namespace "{netns_path(pod)}": failed to connect to localhost:{port} inside namespace "{sandbox}", '
            f"IPv4: dial tcp4 127.0.0.1:{port}: connect: connection refused IPv6 dial tcp6 [::1]:{port}: "
            f"connect: connection refused ")


def _http_date(when: float) -> str:
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(when))


class HttpConnection:
    """One forwarded connection, read as HTTP/1.1 requests."""

    def __init__(self, cluster: Cluster, pod: dict[str, Any], port: int, data: Any) -> None:
        self.cluster, self.pod, self.port, self.data = cluster, pod, port, data
        self.buffer = b""

    async def _fill(self) -> bool:
        chunk = await self.data.read()
        self.buffer += chunk
        return bool(chunk)

    async def _body(self, headers: dict[str, str]) -> bool:
        """Read (and drop) the request body; False when the client closed first."""
        if "chunked" in headers.get("transfer-encoding", "").lower():
            while True:
                while b"\r\n" not in self.buffer:
                    if not await self._fill():
                        return False
                size_line, _, self.buffer = self.buffer.partition(b"\r\n")
                try:
                    size = int(size_line.split(b";")[0].strip() or b"0", 16)
                except ValueError:
                    return False
                while len(self.buffer) < size + 2:
                    if not await self._fill():
                        return False
                self.buffer = self.buffer[size + 2:]
                if size == 0:
                    return True
        try:
            length = int(headers.get("content-length", "0") or "0")
        except ValueError:
            length = 0
        while len(self.buffer) < length:
            if not await self._fill():
                return False
        self.buffer = self.buffer[length:]
        return True

    async def serve(self) -> str | None:
        """Answer requests until the client closes or asks to; an error message for the error stream, or None."""
        while True:
            while b"\n\r\n" not in self.buffer and b"\n\n" not in self.buffer:
                if self.buffer and not _plausible(self.buffer):
                    return self._not_http()
                if len(self.buffer) > MAX_HEAD:
                    await self._reply(431, "", close=True)
                    return None
                if not await self._fill():
                    return None  # the client closed the connection
            head, _, self.buffer = self.buffer.partition(b"\r\n\r\n") if b"\r\n\r\n" in self.buffer else \
                self.buffer.partition(b"\n\n")
            lines = head.decode("latin-1").replace("\r\n", "\n").split("\n")
            match = _REQUEST_LINE.match(lines[0].encode("latin-1"))
            if match is None:
                return self._not_http()
            method, target = match.group(1).decode(), match.group(2).decode()
            version = (int(match.group(3)), int(match.group(4)))
            headers: dict[str, str] = {}
            for line in lines[1:]:
                name, sep, value = line.partition(":")
                if sep:
                    headers[name.strip()] = value.strip()
            lowered = {k.lower(): v for k, v in headers.items()}
            if not await self._body(lowered):
                return None
            connection = lowered.get("connection", "").lower()
            close = "close" in connection or (version < (1, 1) and "keep-alive" not in connection)
            current = self.cluster.store.get("pods", self.pod["metadata"].get("namespace", ""),
                                             self.pod["metadata"]["name"])
            if current is None or current["metadata"].get("uid") != self.pod["metadata"].get("uid"):
                return refused(self.pod, self.port)
            reply = answer(current, self.port, AppRequest(method=method, path=target, host=lowered.get("host", ""),
                                                          headers=headers, source_ip="127.0.0.1"))
            if reply is None:  # the app stopped listening since the connection was made
                return None
            await self._reply(reply.status, reply.body if method != "HEAD" else "", close, dict(reply.headers))
            if close:
                return None

    def _not_http(self) -> str:
        name = self.pod["metadata"]["name"]
        return (f"error forwarding port {self.port} to pod {name}: k9py's simulated apps speak HTTP/1.1 only, and "
                f"what arrived on this connection is not an HTTP request")

    async def _reply(self, status: int, body: str, close: bool, headers: dict[str, str] | None = None) -> None:
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = ""
        fields = dict(headers or {"Content-Length": str(len(body.encode()))})
        fields["Date"] = _http_date(self.cluster.now())
        if close:
            fields["Connection"] = "close"
        head = f"HTTP/1.1 {status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items()) + "\r\n"
        await self.data.write(head.encode("latin-1") + body.encode())


async def forward(cluster: Cluster, pod: dict[str, Any], port: int, error: Any, data: Any) -> None:
    """One forwarded connection to `port`: served as HTTP, or refused on the error stream; then both close."""
    current = cluster.store.get("pods", pod["metadata"].get("namespace", ""), pod["metadata"]["name"])
    if current is None or container_for_port(current, port) is None:
        message: str | None = refused(pod, port)
    else:
        message = await HttpConnection(cluster, current, port, data).serve()
    if message:
        await error.write(message.encode())
    await error.close()
    await data.close()


class Forwarder:
    """One port-forward session: pairs each request's error and data streams and serves them."""

    def __init__(self, cluster: Cluster, pod: dict[str, Any]) -> None:
        self.cluster, self.pod = cluster, pod
        self.pending: dict[str, dict[str, spdy.Stream]] = {}
        self.tasks: set[asyncio.Task[None]] = set()

    def on_stream(self, stream: spdy.Stream) -> None:
        kind = stream.header("streamtype")
        pair = self.pending.setdefault(stream.header("requestid"), {})
        pair[kind] = stream
        if "error" in pair and "data" in pair:
            del self.pending[stream.header("requestid")]
            task = asyncio.create_task(self._forward(pair["error"], pair["data"]))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _forward(self, error: spdy.Stream, data: spdy.Stream) -> None:
        try:
            port = int(data.header("port"))
            if not 0 < port < 65536:
                raise ValueError(port)
        except ValueError:
            await error.write(f"invalid port: {data.header('port')!r}".encode())
            await error.close()
            await data.close()
            return
        await forward(self.cluster, self.pod, port, error, data)

    def cancel(self) -> None:
        for task in self.tasks:
            task.cancel()


class ChannelStream:
    """One channel of the kubelet's WebSocket port-forward protocol, as a stream (v4 has no half-close)."""

    def __init__(self, ws: web.WebSocketResponse, channel: int) -> None:
        self.ws, self.channel = ws, channel
        self.incoming: asyncio.Queue[bytes] = asyncio.Queue()

    async def read(self) -> bytes:
        data = await self.incoming.get()
        if not data:
            self.incoming.put_nowait(b"")
        return data

    async def write(self, data: bytes) -> None:
        if not self.ws.closed:
            await self.ws.send_bytes(bytes([self.channel]) + data)

    async def close(self) -> None:
        pass


def _ports(request: web.Request) -> list[int]:
    """The `ports` query parameter of the WebSocket protocol, as the kubelet's NewV4Options reads it."""
    values = request.query.getall("ports", [])
    if not values:
        raise errors.bad_request('query parameter "ports" is required')
    ports = []
    for value in values:
        if not value:
            raise errors.bad_request('query parameter "ports" cannot be empty')
        for part in value.split(","):
            try:
                port = int(part)
                if not 0 <= port < 65536:
                    raise ValueError(part)
            except ValueError:
                raise errors.bad_request(f'unable to parse "{value}" as a port: strconv.ParseUint: parsing '
                                         f'"{part}": invalid syntax') from None
            if port < 1:
                raise errors.bad_request(f'port "{value}" must be > 0')
            ports.append(port)
    return ports


async def _serve_channels(ws: web.WebSocketResponse, cluster: Cluster, pod: dict[str, Any], ports: list[int]) -> None:
    """The kubelet's WebSocket protocol: channel 2i carries port i's data, 2i+1 its errors; each starts with the
    port as a little-endian uint16."""
    streams = []
    for i, port in enumerate(ports):
        data, error = ChannelStream(ws, 2 * i), ChannelStream(ws, 2 * i + 1)
        await data.write(port.to_bytes(2, "little"))
        await error.write(port.to_bytes(2, "little"))
        streams.append((port, data, error))
    tasks = [asyncio.create_task(forward(cluster, pod, port, error, data)) for port, data, error in streams]
    done = asyncio.gather(*tasks)

    async def read() -> None:
        async for message in ws:
            if message.type == WSMsgType.BINARY and message.data:
                channel = message.data[0]
                if channel % 2 == 0 and channel // 2 < len(streams):
                    streams[channel // 2][1].incoming.put_nowait(bytes(message.data[1:]))
        for _, data, _ in streams:
            data.incoming.put_nowait(b"")

    reader = asyncio.create_task(read())
    try:
        await asyncio.wait([done, reader], return_when=asyncio.FIRST_COMPLETED)
    finally:
        reader.cancel()
        for task in tasks:
            task.cancel()
        if not ws.closed:
            await ws.close()


async def serve_portforward(request: web.Request, cluster: Cluster, namespace: str, name: str) -> web.StreamResponse:
    pod = cluster.port_forward_pod(name, namespace)
    require_websocket(request)
    ws = web.WebSocketResponse(protocols=(TUNNEL_PROTOCOL, CHANNEL_PROTOCOL), autoping=True, compress=False,
                               max_msg_size=16 * 1024 * 1024)
    ready = ws.can_prepare(request)
    if not ready.ok or ready.protocol is None:
        offered = request.headers.get("Sec-WebSocket-Protocol", "")
        raise errors.bad_request(f"unable to upgrade: the requested subprotocols ({offered}) are not supported: "
                                 f"{TUNNEL_PROTOCOL} and {CHANNEL_PROTOCOL} are")
    if ready.protocol == CHANNEL_PROTOCOL:
        ports = _ports(request)
        await ws.prepare(request)
        await _serve_channels(ws, cluster, pod, ports)
        return ws
    await ws.prepare(request)
    forwarder = Forwarder(cluster, pod)

    async def send(frame: bytes) -> None:
        if not ws.closed:
            await ws.send_bytes(frame)

    session = spdy.Session(send, forwarder.on_stream)
    try:
        async for message in ws:
            if message.type == WSMsgType.BINARY:
                await session.feed(message.data)
            if session.closed:
                break
    except (spdy.ProtocolError, ConnectionResetError):
        pass
    finally:
        session.close()
        forwarder.cancel()
        if not ws.closed:
            await ws.close()
    return ws
