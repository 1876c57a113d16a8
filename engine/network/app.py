"""What a pod's simulated app answers on a port: the end of every request the data plane carries.

There is no real process behind a container, so the answer is read from the pod object alone (no clock, no
store), which lets the request model and port-forward ask the same question.

Which ports listen. A real container listens wherever its process binds, whatever `ports` declares (the field is
informational, `kubectl explain pod.spec.containers.ports`). k9py cannot run the process, so a TCP port listens
on a pod when a container that is running (and whose startup probe, if any, has passed: `started`) either
- declares it as a `containerPort` (protocol TCP, the default),
- names it in the pod's `sim.k9py.io/listen` annotation (`"8080"`, `"8080,9090"`, or `"web=8080"` to say
  which container; a bare number belongs to the first app container), or
- runs a well-known official image that listens there out of the box (`nginx` and `httpd` on 80, `postgres` on
  5432, `redis` on 6379, ...: the port the image's Dockerfile EXPOSEs), so `curl postgres-0.postgres:5432`
  works on a StatefulSet that declares no ports, as it does on a real cluster.
Everything else refuses the connection. Readiness does not matter here: it only takes a pod out of a Service's
endpoints, and a request to the pod IP reaches a not-ready pod as on a real cluster.

What it answers. 200 with `Hello from {pod} (namespace {namespace}, node {node})` by default, so load balancing
is visible; the pod's `sim.k9py.io/response` annotation sets a template and `sim.k9py.io/response-status` the
status code. Template fields: {pod} {namespace} {node} {ip} (the pod's IP) {container} {image} {port} {method}
{path} {host} (the Host header as sent) {source_ip} (the client address the pod sees) and {header:Name}. Only
these are replaced; any other text, braces included, is written as is (as the log template, and for the same
reason: `str.format` on a manifest's text could read attributes or pad to gigabytes).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import attrs

LISTEN_ANNOTATION = "sim.k9py.io/listen"
RESPONSE_ANNOTATION = "sim.k9py.io/response"
STATUS_ANNOTATION = "sim.k9py.io/response-status"
DEFAULT_TEMPLATE = "Hello from {pod} (namespace {namespace}, node {node})\n"
TEMPLATE_FIELDS = ("pod", "namespace", "node", "ip", "container", "image", "port", "method", "path", "host",
                   "source_ip")
_PLACEHOLDER = re.compile(r"\{(" + "|".join(TEMPLATE_FIELDS) + r"|header:[A-Za-z0-9-]+)\}")

# The ports official images EXPOSE (their Dockerfiles on Docker Hub), for containers that declare none.
IMAGE_PORTS: Mapping[str, tuple[int, ...]] = {
    "nginx": (80,), "httpd": (80,), "caddy": (80, 443), "traefik": (80,), "haproxy": (80,),
    "postgres": (5432,), "mysql": (3306, 33060), "mariadb": (3306,), "redis": (6379,), "valkey": (6379,),
    "mongo": (27017,), "memcached": (11211,), "rabbitmq": (5672,), "elasticsearch": (9200, 9300),
    "cassandra": (9042,), "zookeeper": (2181,), "consul": (8500,), "etcd": (2379, 2380), "registry": (5000,),
    "tomcat": (8080,), "jenkins": (8080,), "grafana": (3000,), "prometheus": (9090,), "minio": (9000,),
    "coredns": (53,), "echoserver": (8080,), "http-echo": (5678,), "whoami": (80,), "podinfo": (9898,),
}


@attrs.frozen
class AppRequest:
    method: str = "GET"
    path: str = "/"
    host: str = ""                      # Host header as the client sent it
    headers: Mapping[str, str] = attrs.field(factory=dict)
    source_ip: str = ""


@attrs.frozen
class AppResponse:
    status: int
    body: str
    headers: Mapping[str, str]


def image_name(image: str) -> str:
    """`docker.io/library/nginx:1.27@sha256:…` → `nginx`: the repository's last path element."""
    image = image.split("@", 1)[0]
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[0].lower()


def _int(value: Any) -> int | None:
    try:
        port = int(str(value).strip())
    except ValueError:
        return None
    return port if 0 < port < 65536 else None


def _annotation_ports(annotations: Mapping[str, Any], first_container: str) -> dict[int, str]:
    """`sim.k9py.io/listen`: port → container name; a malformed entry is skipped (the pod is still valid)."""
    out: dict[int, str] = {}
    for entry in str(annotations.get(LISTEN_ANNOTATION) or "").split(","):
        name, _, number = entry.strip().rpartition("=")
        port = _int(number)
        if port is not None:
            out.setdefault(port, name.strip() or first_container)
    return out


def _serving_containers(pod: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The pod's app containers and sidecars that are running with their startup probe passed, by name."""
    status = pod.get("status") or {}
    if status.get("phase") != "Running" or not status.get("podIP"):
        return {}
    running = {cs.get("name"): cs for key in ("containerStatuses", "initContainerStatuses")
               for cs in status.get(key) or () if isinstance(cs, dict)
               and "running" in (cs.get("state") or {}) and cs.get("started") is not False}
    spec = pod.get("spec") or {}
    out: dict[str, Mapping[str, Any]] = {}
    for key in ("initContainers", "containers"):
        for c in spec.get(key) or ():
            if not isinstance(c, dict) or c.get("name") not in running:
                continue
            if key == "initContainers" and c.get("restartPolicy") != "Always":
                continue  # a plain init container runs to completion; it is not the pod's server
            out[c["name"]] = c
    return out


def listening_ports(pod: Mapping[str, Any]) -> dict[int, str]:
    """Every TCP port something in the pod listens on now, with the container that listens."""
    containers = _serving_containers(pod)
    if not containers:
        return {}
    out: dict[int, str] = {}
    for name, c in containers.items():
        for p in c.get("ports") or ():
            if isinstance(p, dict) and p.get("protocol", "TCP") == "TCP":
                port = _int(p.get("containerPort"))
                if port is not None:
                    out.setdefault(port, name)
    apps = [c.get("name") for c in (pod.get("spec") or {}).get("containers") or () if isinstance(c, dict)]
    annotations = (pod.get("metadata") or {}).get("annotations") or {}
    for port, name in _annotation_ports(annotations, str(apps[0]) if apps else "").items():
        if name in containers:
            out.setdefault(port, name)
    for name, c in containers.items():
        for port in IMAGE_PORTS.get(image_name(str(c.get("image") or "")), ()):
            out.setdefault(port, name)
    return out


def container_for_port(pod: Mapping[str, Any], port: int) -> str | None:
    """The container listening on `port`, or None when the connection is refused."""
    return listening_ports(pod).get(port)


def _status(annotations: Mapping[str, Any]) -> int:
    code = _int(annotations.get(STATUS_ANNOTATION))
    return code if code is not None and 100 <= code <= 599 else 200


def render_template(template: str, fields: Mapping[str, str], headers: Mapping[str, str]) -> str:
    lowered = {k.lower(): v for k, v in headers.items()}
    parts = _PLACEHOLDER.split(template)
    out = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            out.append(part)
        elif part.startswith("header:"):
            out.append(str(lowered.get(part[7:].lower(), "")))
        else:
            out.append(str(fields.get(part, "")))
    return "".join(out)


def answer(pod: dict[str, Any], port: int, request: AppRequest) -> AppResponse | None:
    """What the pod's simulated app answers on `port` (a container port number): None when nothing listens
    there (the caller reports `connection refused`)."""
    container = container_for_port(pod, port)
    if container is None:
        return None
    meta, spec, status = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    annotations = meta.get("annotations") or {}
    image = next((str(c.get("image") or "") for key in ("containers", "initContainers")
                  for c in spec.get(key) or () if isinstance(c, dict) and c.get("name") == container), "")
    fields = {"pod": str(meta.get("name", "")), "namespace": str(meta.get("namespace", "")),
              "node": str(spec.get("nodeName", "")), "ip": str(status.get("podIP", "")), "container": container,
              "image": image, "port": str(port), "method": request.method, "path": request.path,
              "host": request.host, "source_ip": request.source_ip}
    template = annotations.get(RESPONSE_ANNOTATION)
    body = render_template(str(template) if template is not None else DEFAULT_TEMPLATE, fields, request.headers)
    headers = {"Content-Type": "text/plain; charset=utf-8", "Content-Length": str(len(body.encode()))}
    return AppResponse(status=_status(annotations), body=body, headers=headers)
