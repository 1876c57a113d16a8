"""Questions about a Service's spec that defaulting, validation, allocation and the endpoints controller share."""

from __future__ import annotations

from typing import Any

from ..quoting import go_quote

Obj = dict[str, Any]

HEADLESS = "None"
EXTERNALLY_ACCESSIBLE = ("NodePort", "LoadBalancer")


def spec_of(svc: Obj) -> Obj:
    spec = svc.get("spec")
    return spec if isinstance(spec, dict) else {}


def needs_cluster_ip(svc: Obj) -> bool:
    return spec_of(svc).get("type", "ClusterIP") != "ExternalName"


def needs_node_ports(svc: Obj) -> bool:
    return spec_of(svc).get("type") in EXTERNALLY_ACCESSIBLE


def needs_health_check(svc: Obj) -> bool:
    """A LoadBalancer that keeps client source IPs needs a health-check node port for the cloud's probes."""
    spec = spec_of(svc)
    return spec.get("type") == "LoadBalancer" and spec.get("externalTrafficPolicy") == "Local"


def is_headless(svc: Obj) -> bool:
    return spec_of(svc).get("clusterIP") == HEADLESS


def ports_of(svc: Obj) -> list[Obj]:
    ports = spec_of(svc).get("ports")
    return [p for p in ports if isinstance(p, dict)] if isinstance(ports, list) else []


def node_ports(svc: Obj) -> set[int]:
    return {p["nodePort"] for p in ports_of(svc) if isinstance(p.get("nodePort"), int) and p["nodePort"]}


def selector_of(svc: Obj) -> dict[str, Any] | None:
    """The pod selector the endpoints controller uses. An empty map counts as none: storage turns it into nil."""
    selector = spec_of(svc).get("selector")
    return selector if isinstance(selector, dict) and selector else None


def go_strings(values: Any) -> str:
    """How field errors print a []string (Go's %#v)."""
    if values is None:
        return "[]string(nil)"
    inner = ", ".join(go_quote(v) for v in values)
    return f"[]string{{{inner}}}"
