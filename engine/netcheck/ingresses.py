"""Ingress backends that lead nowhere: a Service that does not exist, or a port the Service does not have.

A backend's `service.port.number` is a Service port (`spec.ports[].port`, not the targetPort) and
`service.port.name` a Service port's name (networking.k8s.io/v1 ServiceBackendPort). Ingress-nginx sends a
request for such a backend to an upstream with no server, and the client gets 503 Service Temporarily
Unavailable; `kubectl describe ingress` shows the backend with `<error: services "name" not found>`.
An ExternalName Service is a DNS alias with ports of its own choosing, so only its existence is checked.
`resource` backends (a custom resource instead of a Service) are not checked.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

from ..kinds.service_spec import ports_of, spec_of
from ..store import Store
from .finding import Finding
from .services import MAX_SUGGESTION_VALUES, port_text

Obj = dict[str, Any]
UNAVAILABLE = "requests routed there get 503 Service Temporarily Unavailable from the ingress controller"


def _backends(ing: Obj) -> Iterator[tuple[str, str, Obj]]:
    """(where in words, field path, backend.service) for each Service backend of the Ingress."""
    spec = ing.get("spec") or {}
    default = (spec.get("defaultBackend") or {}).get("service")
    if isinstance(default, dict):
        yield "the default backend", "spec.defaultBackend.service", default
    for i, rule in enumerate(spec.get("rules") or ()):
        if not isinstance(rule, dict):
            continue
        host = rule.get("host") or "every host"
        paths = (rule.get("http") or {}).get("paths") or ()
        for j, path in enumerate(paths):
            service = (path.get("backend") or {}).get("service") if isinstance(path, dict) else None
            if isinstance(service, dict):
                yield (f"the rule for {host}, path {path.get('path') or '/'}",
                       f"spec.rules[{i}].http.paths[{j}].backend.service", service)


def _missing(where: str, name: str, namespace: str, store: Store) -> tuple[str, str]:
    hint = ""
    if store.count("services", namespace) <= MAX_SUGGESTION_VALUES:
        names = [s["metadata"]["name"] for s in store.iter("services", namespace)]
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
        hint = f' Did you mean "{close[0]}"?' if close else ""
    return "BackendServiceNotFound", (
        f'{where} sends to Service "{name}", which does not exist in namespace {namespace}: {UNAVAILABLE} (kubectl '
        f'describe ingress shows <error: services "{name}" not found>).{hint} Create the Service, or name one that '
        "exists.")


def _wrong_port(where: str, backend: Obj, svc: Obj) -> tuple[str, str] | None:
    """(the port field at fault, the message), or None when the Service has the port."""
    port = backend.get("port") or {}
    ports = ports_of(svc)
    if "number" in port:
        if any(p.get("port") == port["number"] for p in ports):
            return None
        key, wanted = "number", f"port {port['number']}"
    elif "name" in port:
        if any(p.get("name") == port["name"] for p in ports):
            return None
        key, wanted = "name", f'port "{port["name"]}"'
    else:
        return None  # validation requires one of them
    has = ", ".join(port_text(p).removeprefix("port ") for p in ports) or "none"
    return key, (f'{where} sends to {wanted} of Service "{svc["metadata"]["name"]}", which has no such port (its '
                 f"ports: {has}): {UNAVAILABLE}. Set the backend's port to a port of the Service (its port or its "
                 "name, not the targetPort).")


def ingress_findings(ing: Obj, store: Store) -> list[Finding]:
    meta = ing["metadata"]
    namespace = meta.get("namespace", "")
    out = []
    for where, field, backend in _backends(ing):
        name = str(backend.get("name") or "")
        svc = store.get("services", namespace, name)
        if svc is None:
            reason, message = _missing(where, name, namespace, store)
            out.append(Finding("Ingress", namespace, meta["name"], reason, message, f"{field}.name"))
        elif spec_of(svc).get("type") != "ExternalName" and (wrong := _wrong_port(where, backend, svc)):
            key, message = wrong
            out.append(Finding("Ingress", namespace, meta["name"], "BackendPortNotFound", message,
                               f"{field}.port.{key}"))
    return out
