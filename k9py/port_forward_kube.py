"""Port-forward on a real cluster: the API server's `pods/NAME/portforward` subresource over WebSocket.

kubectl speaks SPDY (tunnelled in a WebSocket since v1.31); the official Python clients, kubernetes_asyncio
included, speak the kubelet's WebSocket protocol `v4.channel.k8s.io`, which the API server passes through to the
kubelet (kubernetes/pkg/kubelet/cri/streaming/portforward/websocket.go): `?ports=P` opens channel 0 for P's data
and channel 1 for its errors, every binary message starts with its channel's number, and each channel's first two
bytes are the port, little-endian. kubernetes_asyncio 36's `WsApiClient` only opens that WebSocket
(`connect_get_namespaced_pod_portforward(..., _preload_content=False)` gives aiohttp's socket, no framing), so the
framing is here, over the client's own aiohttp session. The protocol has no half-close: one WebSocket carries
one local connection, and closes with it.
"""

from __future__ import annotations

import asyncio
import contextlib

from aiohttp import WSMsgType

from .kube_client import KubeClient, KubeError
from .port_forward import ForwardError, LocalStream

PROTOCOL = "v4.channel.k8s.io"
DATA, ERROR = 0, 1  # channels of the first (only) port


def _path(namespace: str, name: str) -> str:
    return f"/api/v1/namespaces/{namespace}/pods/{name}/portforward"


def _refusal(exc: KubeError, namespace: str, name: str) -> str:
    """Why the upgrade was refused, in the server's words; a kubelet that answers 406 Not Acceptable (kwok's fake
    kubelet) speaks SPDY only, which k9py does not: say so rather than show its bare status line."""
    server = str(exc.details.get("server") or "")
    if exc.code == 406:
        who = f"its kubelet ({server})" if server else "its kubelet"
        note = ": kwok's nodes run no containers to forward to" if server.startswith("kwok") else ""
        return (
            f"pod {namespace}/{name} cannot be port-forwarded: {who} refused the WebSocket port-forward "
            f"protocol ({PROTOCOL}) with 406 Not Acceptable{note}"
        )
    return exc.message


async def check(client: KubeClient, namespace: str, name: str, port: int) -> None:
    """Open and close a forward to `port`, so that a refusal (RBAC's `pods/portforward`, a kubelet that cannot
    forward) is said when the forward is asked for, not at its first connection. A real kubelet dials the port as
    the WebSocket opens, so the app sees one connection that closes at once."""
    try:
        ws = await client.websocket(_path(namespace, name), {"ports": port}, PROTOCOL)
    except KubeError as exc:
        raise ForwardError(_refusal(exc, namespace, name)) from None
    await ws.close()


async def forward(client: KubeClient, namespace: str, name: str, port: int, stream: LocalStream) -> str | None:
    """Carry one local connection to the pod's `port`; what the kubelet said on the error channel, or None."""
    try:
        ws = await client.websocket(_path(namespace, name), {"ports": port}, PROTOCOL)
    except KubeError as exc:
        raise ForwardError(_refusal(exc, namespace, name)) from None
    errors = bytearray()
    skip = {DATA: 2, ERROR: 2}  # each channel opens with the port (2 bytes), which is no data

    async def upstream() -> None:
        while chunk := await stream.read():
            await ws.send_bytes(bytes([DATA]) + chunk)

    sender = asyncio.create_task(upstream())
    receiver = asyncio.create_task(_downstream(ws, stream, errors, skip))
    try:
        await asyncio.wait([sender, receiver], return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (sender, receiver):
            task.cancel()
        with contextlib.suppress(Exception):
            await ws.close()
    return errors.decode("utf-8", "replace").strip() or None


async def _downstream(ws: object, stream: LocalStream, errors: bytearray, skip: dict[int, int]) -> None:
    async for message in ws:  # type: ignore[attr-defined]
        if message.type != WSMsgType.BINARY or not message.data:
            continue
        channel, data = message.data[0], bytes(message.data[1:])
        if skip.get(channel):
            dropped = min(skip[channel], len(data))
            skip[channel] -= dropped
            data = data[dropped:]
        if channel == DATA and data:
            await stream.write(data)
        elif channel == ERROR:
            errors.extend(data)
