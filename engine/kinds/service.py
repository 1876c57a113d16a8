"""Service (v1): a stable virtual IP and DNS name in front of the pods its selector matches.

Defaulting follows `SetDefaults_Service` (core/v1 defaults.go); what the Service REST storage does on top
(patching allocated values on update, normalising clusterIP/clusterIPs, dropping fields a type change leaves
behind) is `_prepare_update`. Allocation of cluster IPs and node ports is in `service_alloc.py`, validation in
`service_validation.py`.

A LoadBalancer Service gets its EXTERNAL-IP from k9py's address pool (`controllers/service_lb.py`), as MetalLB
or cloud-provider-kind give a local cluster one; its node ports are allocated as usual.
"""

from __future__ import annotations

from ..printers.describe_services import describe_service
from ..printers.services import SERVICE_COLUMNS, SERVICE_WIDE_COLUMNS, service_row, service_row_wide
from .endpointslice import service_slices
from .registry import REGISTRY, DescribeContext, Health, KindInfo, Obj
from .service_alloc import allocate_service
from .service_spec import (
    EXTERNALLY_ACCESSIBLE,
    needs_cluster_ip,
    needs_health_check,
    needs_node_ports,
    node_ports,
    spec_of,
)
from .service_validation import validate_service

DEFAULT_CLIENT_IP_TIMEOUT = 10800  # DefaultClientIPServiceAffinitySeconds: 3 hours


def _default(svc: Obj) -> None:
    spec = svc.get("spec")
    if not isinstance(spec, dict):
        return
    affinity = spec.setdefault("sessionAffinity", "None")
    if affinity == "None":
        spec.pop("sessionAffinityConfig", None)
    elif affinity == "ClientIP":
        config = spec.get("sessionAffinityConfig")
        client_ip = config.get("clientIP") if isinstance(config, dict) else None
        if not isinstance(client_ip, dict) or client_ip.get("timeoutSeconds") is None:
            spec["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": DEFAULT_CLIENT_IP_TIMEOUT}}
    kind = spec.setdefault("type", "ClusterIP")
    for port in spec.get("ports") or ():
        if not isinstance(port, dict):
            continue
        port.setdefault("protocol", "TCP")
        if port.get("targetPort") in (None, 0, "") and "port" in port:
            port["targetPort"] = port["port"]
    if kind in EXTERNALLY_ACCESSIBLE:
        spec.setdefault("externalTrafficPolicy", "Cluster")
    if kind in ("ClusterIP", *EXTERNALLY_ACCESSIBLE):
        spec.setdefault("internalTrafficPolicy", "Cluster")
    if kind == "LoadBalancer":
        spec.setdefault("allocateLoadBalancerNodePorts", True)
    # normalizeClusterIPs on create: an old client sets only the singular field.
    if isinstance(spec.get("clusterIP"), str) and spec["clusterIP"] and not spec.get("clusterIPs"):
        spec["clusterIPs"] = [spec["clusterIP"]]
    status = svc.get("status")
    if not isinstance(status, dict):
        svc["status"] = status = {}
    status.setdefault("loadBalancer", {})  # LoadBalancerStatus is not a pointer: it always shows


def _patch_allocated_values(new: Obj, old: Obj) -> None:
    """A client may leave out what the server allocated (an apply of the original manifest does): keep it."""
    spec, old_spec = spec_of(new), spec_of(old)
    if needs_cluster_ip(old) and needs_cluster_ip(new):
        if not spec.get("clusterIP") and old_spec.get("clusterIP"):
            spec["clusterIP"] = old_spec["clusterIP"]
        if not spec.get("clusterIPs") and old_spec.get("clusterIPs"):
            spec["clusterIPs"] = list(old_spec["clusterIPs"])
    if needs_node_ports(old) and needs_node_ports(new):
        taken = node_ports(old) & node_ports(new)
        by_name = {p.get("name", ""): p.get("nodePort") for p in old_spec.get("ports") or () if isinstance(p, dict)}
        for port in spec.get("ports") or ():
            if isinstance(port, dict) and not port.get("nodePort"):
                previous = by_name.get(port.get("name", ""))
                if previous and previous not in taken:
                    port["nodePort"] = previous


def _normalize_cluster_ips(new: Obj, old: Obj) -> None:
    """normalizeClusterIPs on update: keep the singular and plural fields in step for clients that set one."""
    spec, old_spec = spec_of(new), spec_of(old)
    old_ip, new_ip = old_spec.get("clusterIP", ""), spec.get("clusterIP", "")
    old_ips = old_spec.get("clusterIPs") or []
    if old_ips and not spec.get("clusterIPs") and old_ip == new_ip:
        spec["clusterIPs"] = list(old_ips)
    if old_ip != new_ip and (spec.get("clusterIPs") or []) == old_ips:
        if old_ip and not new_ip:
            spec.pop("clusterIPs", None)
        else:
            spec["clusterIPs"] = [new_ip]


def _drop_type_dependent_fields(new: Obj, old: Obj) -> None:
    """Fields the old type needed and the new one does not are wiped, unless the client changed them too."""
    spec, old_spec = spec_of(new), spec_of(old)

    def same(field: str) -> bool:
        return spec.get(field) == old_spec.get(field)

    if needs_cluster_ip(old) and not needs_cluster_ip(new):
        if same("clusterIP") and same("clusterIPs"):
            spec.pop("clusterIP", None)
            spec.pop("clusterIPs", None)
        for field in ("ipFamilies", "ipFamilyPolicy"):
            if same(field):
                spec.pop(field, None)
    if needs_node_ports(old) and not needs_node_ports(new) and node_ports(new) == node_ports(old):
        for port in spec.get("ports") or ():
            if isinstance(port, dict):
                port.pop("nodePort", None)
    if needs_health_check(old) and not needs_health_check(new) and same("healthCheckNodePort"):
        spec.pop("healthCheckNodePort", None)
    if old_spec.get("type") == "LoadBalancer" and spec.get("type") != "LoadBalancer" \
            and same("allocateLoadBalancerNodePorts"):
        spec.pop("allocateLoadBalancerNodePorts", None)
    if needs_node_ports(old) and not needs_node_ports(new) and same("externalTrafficPolicy"):
        spec.pop("externalTrafficPolicy", None)
    if spec.get("type") != "LoadBalancer" and isinstance(new.get("status"), dict):
        new["status"] = {**new["status"], "loadBalancer": {}}


def _prepare_update(new: Obj, old: Obj) -> None:
    if not isinstance(new.get("spec"), dict):
        return
    _patch_allocated_values(new, old)
    _normalize_cluster_ips(new, old)
    _drop_type_dependent_fields(new, old)


def service_health(svc: Obj) -> Health:
    """gitops-engine health_service.go: only a LoadBalancer waits, for its ingress."""
    if spec_of(svc).get("type") == "LoadBalancer":
        ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress")
        return Health("Healthy") if ingress else Health("Progressing")
    return Health("Healthy")


def _describe(svc: Obj, ctx: DescribeContext) -> str:
    """kubectl lists the EndpointSlices labelled `kubernetes.io/service-name=<name>` for the Endpoints lines."""
    meta = svc["metadata"]
    slices = service_slices(ctx, meta.get("namespace", ""), meta["name"])
    return describe_service(svc, slices, ctx.events(svc), ctx.now())


SERVICE = REGISTRY.register(KindInfo(
    kind="Service", group="", version="v1", plural="services", namespaced=True, short_names=("svc",),
    default=_default, validate=validate_service, prepare_update=_prepare_update, allocate=allocate_service,
    columns=SERVICE_COLUMNS, row=service_row, wide_columns=SERVICE_WIDE_COLUMNS, wide_row=service_row_wide,
    describe=_describe, health=service_health, name_rule="label", generation_tracks_spec=False,
))
