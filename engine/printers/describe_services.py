"""`kubectl describe` for Services, Endpoints, ConfigMaps and Secrets (kubectl `pkg/describe/describe.go`)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from engine.printers.describe import (
    NONE,
    Events,
    _annotations_multiline,
    _describe_events,
    _labels_multiline,
    _Writer,
)
from engine.printers.services import MAX_ENDPOINTS_SHOWN, _join_host_port, decoded_size, format_labels

Obj = Mapping[str, Any]


def _service_endpoints(slices: list[Obj], port_name: str) -> str:
    """The `Endpoints:` line of one port: formatEndpointSlices over the Service's EndpointSlices (ready endpoints
    only, a nil condition counting as ready), `<none>` when it has no slice at all. Its counting quirk is kept:
    `more` is set before an endpoint's readiness is looked at, so a not-ready fourth endpoint shows `+ 0 more...`."""
    if not slices:
        return NONE
    shown: list[str] = []
    more, count = False, 0
    for eps in slices:
        endpoints = [e for e in eps.get("endpoints") or [] if e.get("addresses")]
        ports = eps.get("ports") or []
        targets = [None] if not ports else [p.get("port") for p in ports if (p.get("name") or "") == port_name]
        for port in targets:
            for endpoint in endpoints:
                if len(shown) == MAX_ENDPOINTS_SHOWN:
                    more = True
                if (endpoint.get("conditions") or {}).get("ready") is False:
                    continue
                if not more:
                    address = str(endpoint["addresses"][0])
                    shown.append(address if port is None else _join_host_port(address, port))
                count += 1
    text = ",".join(shown)
    return f"{text} + {count - MAX_ENDPOINTS_SHOWN} more..." if more else text


def _describe_service_ports(w: _Writer, spec: Obj, slices: list[Obj]) -> None:
    for port in spec.get("ports") or []:
        name = port.get("name") or "<unset>"
        protocol = port.get("protocol") or "TCP"
        w.write(0, f"Port:\t{name}\t{port.get('port')}/{protocol}\n")
        target = port.get("targetPort", port.get("port"))
        w.write(0, f"TargetPort:\t{target}/{protocol}\n")
        if port.get("appProtocol"):
            w.write(0, f"AppProtocol:\t{port['appProtocol']}\n")
        if port.get("nodePort"):
            w.write(0, f"NodePort:\t{name}\t{port['nodePort']}/{protocol}\n")
        w.write(0, f"Endpoints:\t{_service_endpoints(slices, port.get('name') or '')}\n")


def describe_service(svc: Obj, slices: list[Obj], events: Events, now: float) -> str:
    """`kubectl describe service`; `slices` are the EndpointSlices labelled with its name, in name order."""
    meta, spec = svc.get("metadata") or {}, svc.get("spec") or {}
    status = svc.get("status") or {}
    w = _Writer()
    w.write(0, f"Name:\t{meta.get('name') or ''}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace') or ''}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Selector:\t{format_labels(spec.get('selector'))}\n")
    w.write(0, f"Type:\t{spec.get('type') or ''}\n")
    if spec.get("ipFamilyPolicy"):
        w.write(0, f"IP Family Policy:\t{spec['ipFamilyPolicy']}\n")
    w.write(0, f"IP Families:\t{','.join(spec.get('ipFamilies') or []) or NONE}\n")
    w.write(0, f"IP:\t{spec.get('clusterIP') or ''}\n")
    w.write(0, f"IPs:\t{','.join(spec.get('clusterIPs') or []) or NONE}\n")
    if spec.get("externalIPs"):
        w.write(0, f"External IPs:\t{','.join(spec['externalIPs'])}\n")
    if spec.get("loadBalancerIP"):
        w.write(0, f"Desired LoadBalancer IP:\t{spec['loadBalancerIP']}\n")
    if spec.get("externalName"):
        w.write(0, f"External Name:\t{spec['externalName']}\n")
    ingress = (status.get("loadBalancer") or {}).get("ingress") or []
    if ingress:
        # buildIngressString: an IP with its ipMode in brackets, else the hostname.
        hosts = ", ".join(f"{i['ip']} ({i['ipMode']})" if i.get("ip") and i.get("ipMode") else
                          str(i.get("ip") or i.get("hostname") or "") for i in ingress)
        w.write(0, f"LoadBalancer Ingress:\t{hosts}\n")
    _describe_service_ports(w, spec, slices)
    w.write(0, f"Session Affinity:\t{spec.get('sessionAffinity') or ''}\n")
    for label, key in (("External Traffic Policy", "externalTrafficPolicy"),
                       ("Internal Traffic Policy", "internalTrafficPolicy"),
                       ("HealthCheck NodePort", "healthCheckNodePort")):
        if spec.get(key):
            w.write(0, f"{label}:\t{spec[key]}\n")
    if spec.get("loadBalancerSourceRanges"):
        w.write(0, f"LoadBalancer Source Ranges:\t{','.join(spec['loadBalancerSourceRanges'])}\n")
    if spec.get("trafficDistribution"):
        w.write(0, f"Traffic Distribution:\t{spec['trafficDistribution']}\n")
    _describe_events(w, events, now)
    return w.text()


def _header(w: _Writer, obj: Obj) -> None:
    meta = obj.get("metadata") or {}
    w.write(0, f"Name:\t{meta.get('name') or ''}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace') or ''}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))


def _ips(addresses: Any) -> str:
    return ",".join(str(a.get("ip") or "") for a in addresses or []) or NONE


def describe_endpoints(endpoints: Obj, events: Events, now: float) -> str:
    w = _Writer()
    _header(w, endpoints)
    w.write(0, "Subsets:\n")
    for subset in endpoints.get("subsets") or []:
        w.write(1, f"Addresses:\t{_ips(subset.get('addresses'))}\n")
        w.write(1, f"NotReadyAddresses:\t{_ips(subset.get('notReadyAddresses'))}\n")
        if subset.get("ports"):
            w.write(1, "Ports:\n")
            w.write(2, "Name\tPort\tProtocol\n")
            w.write(2, "----\t----\t--------\n")
            for port in subset["ports"]:
                w.write(2, f"{port.get('name') or '<unset>'}\t{port.get('port')}\t{port.get('protocol') or ''}\n")
        w.write(0, "\n")
    _describe_events(w, events, now)
    return w.text()


def describe_configmap(cm: Obj, events: Events, now: float) -> str:
    """Keys in sorted order (kubectl ranges over a Go map, so its order varies from run to run)."""
    w = _Writer()
    _header(w, cm)
    w.write(0, "\nData\n====\n")
    data = cm.get("data") or {}
    for key in sorted(data):
        w.write(0, f"{key}:\n----\n{data[key]}\n")
    w.write(0, "\nBinaryData\n====\n")
    binary = cm.get("binaryData") or {}
    for key in sorted(binary):
        w.write(0, f"{key}: {decoded_size(binary[key])} bytes\n")
    w.write(0, "\n")
    _describe_events(w, events, now)
    return w.text()


def describe_secret(secret: Obj) -> str:
    """Values are never shown, only their sizes (a service-account token excepted)."""
    w = _Writer()
    _header(w, secret)
    w.write(0, f"\nType:\t{secret.get('type') or ''}\n")
    w.write(0, "\nData\n====\n")
    data = secret.get("data") or {}
    for key in sorted(data):
        if key == "token" and secret.get("type") == "kubernetes.io/service-account-token":
            w.write(0, f"{key}:\t{base64.b64decode(data[key]).decode(errors='replace')}\n")
        else:
            w.write(0, f"{key}:\t{decoded_size(data[key])} bytes\n")
    return w.text()
