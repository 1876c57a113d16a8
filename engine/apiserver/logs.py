"""GET pods/{name}/log: the simulated kubelet's log lines, as `kubectl logs` reads them.

Parameters: container, previous, tailLines, timestamps, sinceSeconds or sinceTime, limitBytes, and follow, which
streams new lines as the container prints them and ends when it stops running (or the pod goes away), as the
kubelet's stream does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import attrs
from aiohttp import web

from ..cluster import Cluster
from ..errors import bad_request, invalid
from ..kubelet.logs import format_lines
from ..timeutil import parse_rfc3339
from .query_params import flag, int_param

FOLLOW_POLL_SECONDS = 0.2  # wall clock: how soon a followed log shows a new line


@attrs.frozen
class LogOptions:
    """PodLogOptions from the query, as the API server converts and validates them."""

    container: str | None
    previous: bool
    timestamps: bool
    follow: bool
    tail: int | None
    since_seconds: int | None
    since_time: float | None
    limit_bytes: int | None


def log_options(query: Mapping[str, str], name: str) -> LogOptions:
    """The query's options, refused in the API server's words (conversion errors 400, validation 422)."""
    since_time = None
    if query.get("sinceTime") is not None:
        try:
            since_time = parse_rfc3339(query["sinceTime"])
        except ValueError as exc:
            raise bad_request(str(exc)) from None
    options = LogOptions(
        container=query.get("container") or None,
        previous=flag(query, "previous"),
        timestamps=flag(query, "timestamps"),
        follow=flag(query, "follow"),
        tail=int_param(query, "tailLines"),
        since_seconds=int_param(query, "sinceSeconds"),
        since_time=since_time,
        limit_bytes=int_param(query, "limitBytes"),
    )
    causes = []  # ValidatePodLogOptions, in its order
    if options.tail is not None and options.tail < 0:
        causes.append(("tailLines", f"Invalid value: {options.tail}: must be greater than or equal to 0"))
    if options.limit_bytes is not None and options.limit_bytes < 1:
        causes.append(("limitBytes", f"Invalid value: {options.limit_bytes}: must be greater than 0"))
    if options.since_seconds is not None and options.since_time is not None:
        causes.append(("[]", "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified"))
    elif options.since_seconds is not None and options.since_seconds < 1:
        causes.append(("sinceSeconds", f"Invalid value: {options.since_seconds}: must be greater than 0"))
    if causes:
        raise invalid("PodLogOptions", "", name, causes)
    return options


def _running(pod: dict[str, Any] | None, uid: str, container: str) -> bool:
    if pod is None or pod["metadata"].get("uid") != uid:
        return False
    status = pod.get("status") or {}
    for cs in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
        if cs.get("name") == container:
            return "running" in (cs.get("state") or {})
    return False


async def serve_log(request: web.Request, cluster: Cluster, namespace: str, name: str) -> web.StreamResponse:
    options = log_options(request.query, name)
    # The engine's own checks next: which container, and kubectl's errors when there is no log to show.
    cluster.logs(name, namespace, options.container, options.previous)
    pod = cluster.api.get("pods", name, namespace)
    container = options.container or pod["spec"]["containers"][0]["name"]
    uid = pod["metadata"]["uid"]
    lines = cluster.components.kubelets.logs(pod, container, options.previous) or []
    since = cluster.now() - options.since_seconds if options.since_seconds is not None else options.since_time
    if since is not None:
        lines = [line for line in lines if line[0] >= since]
    if options.tail is not None:
        lines = lines[-options.tail:] if options.tail else []
    budget = _Budget(options.limit_bytes)
    text = budget.take("".join(line + "\n" for line in format_lines(lines, options.timestamps)))
    if not options.follow or options.previous:
        return web.Response(text=text, content_type="text/plain")
    response = web.StreamResponse(status=200)
    response.content_type = "text/plain"
    response.enable_chunked_encoding()
    await response.prepare(request)
    if text:
        await response.write(text.encode())
    last = lines[-1][0] if lines else float("-inf")
    try:
        while not budget.spent:
            current = cluster.store.get("pods", namespace, name)
            if current is not None and current["metadata"].get("uid") != uid:
                current = None  # a new pod of the same name: not the one being followed
            running = _running(current, uid, container)
            fresh = [line for line in (cluster.components.kubelets.logs(current, container) or [] if current else [])
                     if line[0] > last and (since is None or line[0] >= since)]
            if fresh:
                last = fresh[-1][0]
                text = budget.take("".join(t + "\n" for t in format_lines(fresh, options.timestamps)))
                await response.write(text.encode())
            if not running:
                break
            await asyncio.sleep(FOLLOW_POLL_SECONDS)
        await response.write_eof()
    except ConnectionResetError:
        pass  # the client stopped following
    return response


class _Budget:
    """limitBytes: the kubelet stops writing the log once that many bytes have gone out (mid-line if need be)."""

    def __init__(self, limit: int | None) -> None:
        self.left = limit

    @property
    def spent(self) -> bool:
        return self.left is not None and self.left <= 0

    def take(self, text: str) -> str:
        if self.left is None:
            return text
        data = text.encode()[: self.left]
        self.left -= len(data)
        return data.decode("utf-8", "ignore")
