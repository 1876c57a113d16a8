"""Requests that reach the built-in ingress-nginx controller: its address, the Ingress hosts the node's resolver
knows, and what the controller does with a request (engine/ingress_routing.py decides where it goes).

k9py's ingress controller has no pods (engine/controllers/ingress_nginx.py): it answers on the address its
Ingresses publish, and forwards to the backend Service from the node that received the request. A real
ingress-nginx forwards from its own pod, straight to the endpoints (not through the Service's cluster IP), so
NetworkPolicies that admit the `ingress-nginx` namespace admit it there; here the backend sees a node's address.
"""

from __future__ import annotations

import weakref
from typing import Any

import attrs

from ..controllers.lb_pool import ingress_ips
from ..ingress_routing import INGRESSES, IngressRoute, ingress_class_of, normalise_host, route, served_ingresses
from ..store import Store
from .app import AppResponse
from .dns import register_external_resolver

Obj = dict[str, Any]
PORTS = (80, 443)  # the controller's HTTP and HTTPS listeners
NGINX_HTML = "<html>\r\n<head><title>{status}</title></head>\r\n<body>\r\n<center><h1>{status}</h1></center>\r\n" \
             "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"


# store -> (its Ingresses' change stamp, the addresses): every connection asks, Ingresses change rarely.
_ADDRESSES: weakref.WeakKeyDictionary[Store, tuple[int, frozenset[str]]] = weakref.WeakKeyDictionary()


def addresses(store: Store) -> frozenset[str]:
    """The addresses the ingress controller answers on: those its Ingresses carry in their status."""
    stamp = store.changed_at(INGRESSES)
    hit = _ADDRESSES.get(store)
    if hit is None or hit[0] != stamp:
        hit = _ADDRESSES[store] = (stamp, frozenset(ip for ing in served_ingresses(store) for ip in ingress_ips(ing)))
    return hit[1]


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
    scheme = "https" if port == 443 else "http"
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
