"""pods/proxy and services/proxy: `kubectl proxy`'s and `kubectl get --raw`'s way to a pod's or Service's HTTP
port through the API server, answered by the pod's simulated app (`engine.network.app`).

`.../pods/NAME[:PORT]/proxy/PATH` and `.../services/[SCHEME:]NAME[:PORT]/proxy/PATH`, as kube-apiserver resolves
them (`pkg/registry/core/pod/strategy.go` and `service/storage/storage.go` ResourceLocation): a Service's port is
named or numbered, one of its Endpoints' ready addresses is picked at random, and the request goes to that pod's
port. The errors are the API server's: `no service port 81 found for service "web"`, `no endpoints available for
service "web"` (503), `address not allowed` (400, a pod without an IP), and `error trying to reach service: dial
tcp 10.244.1.5:81: connect: connection refused` (503) when nothing listens. An empty path is redirected to `/`.
Plain HTTP only: `https:` targets are refused with a message.
"""

from __future__ import annotations

import random
import time
from typing import Any

from aiohttp import web

from .. import errors
from ..cluster import Cluster
from ..network.app import AppRequest, answer
from .status import failure

Obj = dict[str, Any]
HOP_HEADERS = frozenset({"authorization", "connection", "keep-alive", "proxy-authorization", "te", "trailer",
                         "transfer-encoding", "upgrade", "host", "content-length"})


def split_scheme_name_port(identifier: str) -> tuple[str, str, str]:
    """utilnet.SplitSchemeNamePort: `name`, `name:port`, `scheme:name:port` (scheme http or https)."""
    parts = identifier.split(":")
    if len(parts) == 1:
        scheme, name, port = "", parts[0], ""
    elif len(parts) == 2:
        scheme, name, port = "", parts[0], parts[1]
    elif len(parts) == 3:
        scheme, name, port = parts
    else:
        raise ValueError(identifier)
    if not name or scheme not in ("", "http", "https"):
        raise ValueError(identifier)
    return scheme, name, port


def _unavailable(message: str) -> errors.ApiError:
    return failure(503, "ServiceUnavailable", message)


def _pod_target(cluster: Cluster, namespace: str, identifier: str) -> tuple[Obj, str, int]:
    try:
        scheme, name, port = split_scheme_name_port(identifier)
    except ValueError:
        raise errors.bad_request(f"invalid pod request {identifier!r}") from None
    pod = cluster.api.get("pods", name, namespace)
    ip = str((pod.get("status") or {}).get("podIP") or "")
    if not ip:
        raise errors.bad_request("address not allowed")
    try:
        number = int(port) if port else (443 if scheme == "https" else 80)
    except ValueError:
        number = _named_container_port(pod, port)
    return pod, scheme, number


def _named_container_port(pod: Obj, name: str) -> int:
    for key in ("containers", "initContainers"):
        for container in (pod.get("spec") or {}).get(key) or ():
            for port in container.get("ports") or ():
                if port.get("name") == name:
                    return int(port.get("containerPort"))
    raise _unavailable(f"error trying to reach service: dial tcp: lookup port {name}: unknown port")


def _service_target(cluster: Cluster, namespace: str, identifier: str) -> tuple[Obj, str, int]:
    try:
        scheme, name, port = split_scheme_name_port(identifier)
    except ValueError:
        raise errors.bad_request(f"invalid service request {identifier!r}") from None
    service = cluster.api.get("services", name, namespace)
    if port.isdigit():
        found = next((p for p in (service.get("spec") or {}).get("ports") or () if str(p.get("port")) == port), None)
        if found is None:
            raise _unavailable(f'no service port {int(port)} found for service "{name}"')
        port = str(found.get("name") or "")
    endpoints = cluster.api.get("endpoints", name, namespace)
    subsets = list(endpoints.get("subsets") or [])
    if not subsets:
        raise _unavailable(f'no endpoints available for service "{name}"')
    start = random.randrange(len(subsets))
    for i in range(len(subsets)):
        subset = subsets[(start + i) % len(subsets)]
        addresses = list(subset.get("addresses") or [])
        if not addresses:
            continue
        for subset_port in subset.get("ports") or ():
            if str(subset_port.get("name") or "") != port:
                continue
            offset = random.randrange(len(addresses))
            for j in range(len(addresses)):
                address = addresses[(offset + j) % len(addresses)]
                ref = address.get("targetRef") or {}
                pod = cluster.store.get("pods", ref.get("namespace") or namespace, ref.get("name") or "")
                if pod is None or (pod.get("status") or {}).get("podIP") != address.get("ip"):
                    continue  # isValidAddress: the address must still be that pod's
                return pod, scheme, int(subset_port.get("port"))
    raise _unavailable(f'no endpoints available for service "{name}"')


async def serve_proxy(request: web.Request, cluster: Cluster, kind: str) -> web.StreamResponse:
    info = request.match_info
    namespace, identifier, path = info["namespace"], info["name"], info.get("path")
    target = _pod_target if kind == "pods" else _service_target
    pod, scheme, port = target(cluster, namespace, identifier)
    if path is None:  # `.../proxy`: the API server redirects to `.../proxy/`
        query = f"?{request.query_string}" if request.query_string else ""
        return web.Response(status=301, headers={"Location": request.path + "/" + query})
    if scheme == "https":
        raise _unavailable("error trying to reach service: k9py's simulated apps speak plain HTTP only, not https")
    ip = str((pod.get("status") or {}).get("podIP") or "")
    headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_HEADERS}
    host = f"{ip}:{port}"
    headers["Host"] = host
    target_path = "/" + path + (f"?{request.query_string}" if request.query_string else "")
    await request.read()  # the body reaches the app, which does not look at it
    reply = answer(pod, port, AppRequest(method=request.method, path=target_path, host=host, headers=headers,
                                         source_ip="127.0.0.1"))
    if reply is None:
        raise _unavailable(f"error trying to reach service: dial tcp {host}: connect: connection refused")
    response = web.Response(status=reply.status, body=reply.body.encode() if request.method != "HEAD" else b"")
    for name, value in reply.headers.items():
        if name.lower() != "content-length":
            response.headers[name] = value
    response.headers["Date"] = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(cluster.now()))
    return response
