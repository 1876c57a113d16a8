"""GET pods/{name}/log: the simulated kubelet's log lines, as `kubectl logs` reads them.

Parameters: container, previous, tailLines, timestamps, sinceSeconds, and follow, which streams new lines as the
container prints them and ends when it stops running (or the pod goes away), as the kubelet's stream does.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from ..cluster import Cluster
from ..errors import bad_request
from ..kubelet.logs import format_lines

FOLLOW_POLL_SECONDS = 0.2  # wall clock: how soon a followed log shows a new line


def _int(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise bad_request(f'{name}: Invalid value: "{value}": must be an integer') from None


def _bool(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true")


def _running(pod: dict[str, Any] | None, uid: str, container: str) -> bool:
    if pod is None or pod["metadata"].get("uid") != uid:
        return False
    status = pod.get("status") or {}
    for cs in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
        if cs.get("name") == container:
            return "running" in (cs.get("state") or {})
    return False


async def serve_log(request: web.Request, cluster: Cluster, namespace: str, name: str) -> web.StreamResponse:
    query = request.query
    container = query.get("container") or None
    previous = _bool(query.get("previous"))
    timestamps = _bool(query.get("timestamps"))
    tail = _int(query.get("tailLines"), "tailLines")
    since = _int(query.get("sinceSeconds"), "sinceSeconds")
    if since is not None and since < 1:
        raise bad_request(f'sinceSeconds: Invalid value: {since}: must be greater than 0')
    # The engine's own checks first: which container, and kubectl's errors when there is no log to show.
    cluster.logs(name, namespace, container, previous)
    pod = cluster.api.get("pods", name, namespace)
    if container is None:
        container = pod["spec"]["containers"][0]["name"]
    uid = pod["metadata"]["uid"]
    lines = cluster.components.kubelets.logs(pod, container, previous) or []
    if since is not None:
        lines = [line for line in lines if line[0] >= cluster.now() - since]
    if tail is not None and tail >= 0:
        lines = lines[-tail:] if tail else []
    text = "".join(line + "\n" for line in format_lines(lines, timestamps))
    if not _bool(query.get("follow")) or previous:
        return web.Response(text=text, content_type="text/plain")
    response = web.StreamResponse(status=200)
    response.content_type = "text/plain"
    response.enable_chunked_encoding()
    await response.prepare(request)
    if text:
        await response.write(text.encode())
    last = lines[-1][0] if lines else float("-inf")
    try:
        while True:
            current = cluster.store.get("pods", namespace, name)
            if current is not None and current["metadata"].get("uid") != uid:
                current = None  # a new pod of the same name: not the one being followed
            running = _running(current, uid, container)
            fresh = [line for line in (cluster.components.kubelets.logs(current, container) or [] if current else [])
                     if line[0] > last]
            if fresh:
                last = fresh[-1][0]
                await response.write("".join(t + "\n" for t in format_lines(fresh, timestamps)).encode())
            if not running:
                break
            await asyncio.sleep(FOLLOW_POLL_SECONDS)
        await response.write_eof()
    except ConnectionResetError:
        pass  # the client stopped following
    return response
