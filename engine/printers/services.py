"""`kubectl get` rows for Services, Endpoints, ConfigMaps and Secrets.

Server-side printers from kubernetes/kubernetes `pkg/printers/internalversion/printers.go` (printService,
printEndpoints, printConfigMap, printSecret, formatEndpoints).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from engine.printers.duration import age

Obj = Mapping[str, Any]

NONE = "<none>"
PENDING = "<pending>"
LOAD_BALANCER_WIDTH = 16  # EXTERNAL-IP is clipped to this outside `-o wide`
MAX_ENDPOINTS_SHOWN = 3

SERVICE_COLUMNS = ("NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE")
SERVICE_WIDE_COLUMNS = (*SERVICE_COLUMNS, "SELECTOR")
ENDPOINTS_COLUMNS = ("NAME", "ENDPOINTS", "AGE")
CONFIGMAP_COLUMNS = ("NAME", "DATA", "AGE")
SECRET_COLUMNS = ("NAME", "TYPE", "DATA", "AGE")


def _meta(obj: Obj) -> Obj:
    return obj.get("metadata") or {}


def _spec(obj: Obj) -> Obj:
    return obj.get("spec") or {}


def _age(obj: Obj, now: float) -> str:
    return age(_meta(obj).get("creationTimestamp"), now)


def format_labels(labels: Mapping[str, Any] | None) -> str:
    """labels.FormatLabels: `k=v` pairs sorted by key, `<none>` when empty."""
    if not labels:
        return NONE
    return ",".join(f"{key}={labels[key]}" for key in sorted(labels))


def _load_balancer_ips(svc: Obj, wide: bool) -> str:
    ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    found = sorted({str(i.get("ip") or i.get("hostname")) for i in ingress if i.get("ip") or i.get("hostname")})
    text = ",".join(found)
    if not wide and len(text) > LOAD_BALANCER_WIDTH:
        text = text[: LOAD_BALANCER_WIDTH - 3] + "..."
    return text


def service_external_ip(svc: Obj, wide: bool = False) -> str:
    """getServiceExternalIP: externalIPs, the load balancer's ingress, or `<pending>` while none is provisioned."""
    spec = _spec(svc)
    kind = spec.get("type") or "ClusterIP"
    external = [str(ip) for ip in spec.get("externalIPs") or []]
    if kind in ("ClusterIP", "NodePort"):
        return ",".join(external) or NONE
    if kind == "LoadBalancer":
        lb = _load_balancer_ips(svc, wide)
        if external:
            return ",".join([*(lb.split(",") if lb else []), *external])
        return lb or PENDING
    if kind == "ExternalName":
        return str(spec.get("externalName") or "")
    return "<unknown>"


def service_ports(ports: Sequence[Obj] | None) -> str:
    """makePortString: `80/TCP`, or `80:30080/TCP` with a node port."""
    pieces = []
    for port in ports or []:
        protocol = port.get("protocol") or "TCP"
        if port.get("nodePort"):
            pieces.append(f"{port.get('port')}:{port['nodePort']}/{protocol}")
        else:
            pieces.append(f"{port.get('port')}/{protocol}")
    return ",".join(pieces)


def service_row(svc: Obj, now: float) -> list[str]:
    spec = _spec(svc)
    ips = spec.get("clusterIPs") or []
    return [
        str(_meta(svc).get("name") or ""),
        str(spec.get("type") or ""),
        str(ips[0]) if ips else NONE,
        service_external_ip(svc),
        service_ports(spec.get("ports")) or NONE,
        _age(svc, now),
    ]


def service_row_wide(svc: Obj, now: float) -> list[str]:
    row = service_row(svc, now)
    row[3] = service_external_ip(svc, wide=True)
    return [*row, format_labels(_spec(svc).get("selector"))]


def _join_host_port(ip: str, port: Any) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def format_endpoints(endpoints: Obj, port_names: set[str] | None = None) -> str:
    """formatEndpoints: up to three ready `ip:port`s, then ` + N more...`; `<none>` without subsets."""
    subsets = endpoints.get("subsets") or []
    if not subsets:
        return NONE
    shown: list[str] = []
    count = 0
    more = False
    for subset in subsets:
        addresses = subset.get("addresses") or []
        ports = subset.get("ports") or []
        # A headless Service without ports lists bare IPs.
        targets = [(None, a) for a in addresses] if not ports else [
            (p.get("port"), a) for p in ports if port_names is None or (p.get("name") or "") in port_names
            for a in addresses]
        count += len(targets)
        for port, address in targets:
            if len(shown) == MAX_ENDPOINTS_SHOWN:
                more = True
                break
            ip = str(address.get("ip") or "")
            shown.append(ip if port is None else _join_host_port(ip, port))
    text = ",".join(shown)
    return f"{text} + {count - MAX_ENDPOINTS_SHOWN} more..." if more else text


def endpoints_row(endpoints: Obj, now: float) -> list[str]:
    return [str(_meta(endpoints).get("name") or ""), format_endpoints(endpoints), _age(endpoints, now)]


def configmap_row(cm: Obj, now: float) -> list[str]:
    count = len(cm.get("data") or {}) + len(cm.get("binaryData") or {})
    return [str(_meta(cm).get("name") or ""), str(count), _age(cm, now)]


def decoded_size(value: Any) -> int:
    """How many bytes a base64 value stands for."""
    if not isinstance(value, str):
        return 0
    text = value.replace("\n", "").replace("\r", "")
    return len(text) * 3 // 4 - text[-2:].count("=")


def secret_row(secret: Obj, now: float) -> list[str]:
    return [str(_meta(secret).get("name") or ""), str(secret.get("type") or ""), str(len(secret.get("data") or {})),
            _age(secret, now)]
