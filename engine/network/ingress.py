"""Requests that reach the ingress-nginx controller: the Ingress hosts the node's resolver knows, which pods are
the controller, and what the controller does with a request (engine/ingress_routing.py decides where it goes).

The controller is a pod (`engine/addons_ingress.py`: Deployment `ingress-nginx-controller` in `ingress-nginx`,
behind a LoadBalancer Service whose address its Ingresses publish). A request to an Ingress host reaches that
Service, kube-proxy sends it to a Ready controller pod (externalTrafficPolicy Local: only nodes that have one get
the load balancer's traffic, and the client's address is kept), and the pod's nginx routes it and opens the
connection to the backend from its own address: NetworkPolicies that admit the `ingress-nginx` namespace (or the
controller's pods) admit it, and a policy that admits only other namespaces drops it. With no Ready controller
pod nothing answers on the address. ingress-nginx sends to the endpoints it watches, not through the Service's
cluster IP; here the cluster IP stands for them (the policies see the same pods either way).
"""

from __future__ import annotations

from typing import Any

import attrs

from ..addons_ingress import NAMESPACE, SELECTOR
from ..controllers.lb_pool import ingress_ips
from ..ingress_routing import INGRESSES, IngressRoute, ingress_class_of, normalise_host, route
from ..store import Store
from .app import AppResponse
from .dns import register_external_resolver

Obj = dict[str, Any]
PORTS = (80, 443)  # nginx's HTTP and HTTPS listeners in the controller pod (its `http` and `https` ports)
NGINX_HTML = "<html>\r\n<head><title>{status}</title></head>\r\n<body>\r\n<center><h1>{status}</h1></center>\r\n" \
             "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"


def is_controller(pod: Obj) -> bool:
    """Whether the pod is one of the ingress-nginx controller's (its Deployment's selector, in its namespace)."""
    meta = pod["metadata"]
    if meta.get("namespace") != NAMESPACE:
        return False
    labels = meta.get("labels") or {}
    return all(labels.get(k) == v for k, v in SELECTOR.items())


def _host_matches(rule_host: str, name: str) -> bool:
    if rule_host.startswith("*."):
        head, _, rest = name.partition(".")
        return bool(head) and rest == rule_host[2:]
    return rule_host == name


def resolve_host(store: Store, name: str) -> list[str]:
    """An Ingress rule's host resolves to the controller's address, as the DNS record a user adds for it (or the
    /etc/hosts line a kind guide asks for) would make it."""
    for ing in store.iter(INGRESSES):
        if ingress_class_of(ing) is None:
            continue
        hosts = [str(rule.get("host") or "") for rule in (ing.get("spec") or {}).get("rules") or ()
                 if isinstance(rule, dict)]
        if any(host and _host_matches(host, name) for host in hosts):
            return sorted(ingress_ips(ing))
    return []


register_external_resolver(resolve_host)


@attrs.frozen
class Decision:
    """What the controller does with one request: answer it itself, or send it to `url` (a backend Service)."""

    route: IngressRoute
    response: AppResponse | None = None
    url: str = ""
    service: str = ""  # namespace/name of the backend Service


def page(status: int, reason: str, headers: dict[str, str] | None = None) -> AppResponse:
    """An answer of nginx's own: its HTML error page."""
    return AppResponse(status, NGINX_HTML.format(status=f"{status} {reason}"),
                       {"Content-Type": "text/html", **(headers or {})})


def decide(store: Store, host: str, path: str, port: int) -> Decision:
    """Where ingress-nginx sends `host` + `path` arriving on `port` (443: HTTPS)."""
    scheme = "https" if port == 443 else "http"  # the cloud manifest's https port is 443 on the pod too
    chosen = route(store, normalise_host(host), path, scheme=scheme)
    if chosen.redirect is not None:
        target = chosen.redirect.partition(" ")[2]
        return Decision(chosen, page(308, "Permanent Redirect", {"Location": target}))
    backend = chosen.backend
    if backend is None or backend.service is None:
        return Decision(chosen, page(404, "Not Found"))  # the controller's default backend
    svc = store.get("services", backend.namespace, backend.service)
    number = _port_number(svc, backend.port)
    if svc is None or number is None:
        return Decision(chosen, page(503, "Service Temporarily Unavailable"))
    # ingress-nginx sends to the endpoints it watches, not through DNS: the Service's cluster IP stands for them.
    ip = str((svc.get("spec") or {}).get("clusterIP") or "")
    if not ip or ip == "None":
        ip = f"{backend.service}.{backend.namespace}.svc.cluster.local"
    url = f"http://{ip}:{number}{chosen.upstream_path}"
    return Decision(chosen, url=url, service=f"{backend.namespace}/{backend.service}")


def _port_number(svc: Obj | None, port: int | str | None) -> int | None:
    for entry in ((svc or {}).get("spec") or {}).get("ports") or ():
        if not isinstance(entry, dict):
            continue
        if (isinstance(port, int) and entry.get("port") == port) or (port is not None and entry.get("name") == port):
            return int(entry.get("port") or 0) or None
    return None
