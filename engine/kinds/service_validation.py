"""Service validation with the API server's wording (`pkg/apis/core/validation`: ValidateService, …Update)."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from . import validation as v
from .registry import FieldErrors, Obj
from .service_spec import EXTERNALLY_ACCESSIBLE, HEADLESS, go_strings, is_headless, needs_cluster_ip, spec_of

TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
PROTOCOLS = ["SCTP", "TCP", "UDP"]
AFFINITIES = ["ClientIP", "None"]
TRAFFIC_POLICIES = ["Cluster", "Local"]
IP_FAMILY_POLICIES = ["PreferDualStack", "RequireDualStack", "SingleStack"]
IP_FAMILIES = ["IPv4", "IPv6"]
KUBELET_PORT = 10250
MAX_CLIENT_IP_TIMEOUT = 86400
VALID_IP_MSG = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"


def _is_ip(value: Any) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _go_port_key(protocol: Any, port: Any) -> str:
    """The (protocol, port) key a duplicate port is reported with: the internal core.ServicePort as v1.36 prints
    it, JSON of a struct without json tags (fields in declaration order)."""
    key = {"Name": "", "Protocol": protocol, "AppProtocol": None, "Port": port, "TargetPort": 0, "NodePort": 0}
    return json.dumps(key, separators=(",", ":"), ensure_ascii=False)


def _validate_port(path: str, port: Obj, require_name: bool, names: set[str]) -> FieldErrors:
    errors: FieldErrors = []
    name = port.get("name", "")
    if not name:
        if require_name:
            errors.append(v.required(f"{path}.name"))
    else:
        errors.extend(v.dns1123_label(f"{path}.name", name))
        if name in names:
            errors.append(v.duplicate(f"{path}.name", name))
        names.add(str(name))
    errors.extend(v.port_number(f"{path}.port", port.get("port")))
    errors.extend(v.one_of(f"{path}.protocol", port.get("protocol"), PROTOCOLS))
    target = port.get("targetPort")
    if target is not None:
        errors.extend(v.port_number_or_name(f"{path}.targetPort", target))
    node_port = port.get("nodePort")
    if node_port is not None and (isinstance(node_port, bool) or not isinstance(node_port, int)):
        errors.append(v.type_error(f"{path}.nodePort", node_port, "integer"))
    return errors


def _validate_ports(spec: Obj, kind: str) -> FieldErrors:
    ports = spec.get("ports") or []
    if not isinstance(ports, list):
        return [v.type_error("spec.ports", ports, "array")]
    errors: FieldErrors = []
    names: set[str] = set()
    seen: set[tuple[Any, Any]] = set()
    seen_node_ports: set[tuple[Any, Any]] = set()
    for i, port in enumerate(ports):
        path = f"spec.ports[{i}]"
        if not isinstance(port, dict):
            errors.append(v.type_error(path, port, "object"))
            continue
        errors.extend(_validate_port(path, port, len(ports) > 1, names))
        if kind == "LoadBalancer" and port.get("port") == KUBELET_PORT:
            errors.append(v.invalid(path, KUBELET_PORT,
                                    f"may not expose port {KUBELET_PORT} externally since it is used by kubelet"))
        if kind == "ClusterIP" and port.get("nodePort"):
            errors.append(v.forbidden(f"{path}.nodePort", "may not be used when `type` is 'ClusterIP'"))
        if port.get("nodePort"):
            key = (port.get("protocol"), port["nodePort"])
            if key in seen_node_ports:
                errors.append(v.duplicate(f"{path}.nodePort", port["nodePort"]))
            seen_node_ports.add(key)
        key = (port.get("protocol"), port.get("port"))
        if key in seen:
            errors.append((path, f"Duplicate value: {_go_port_key(*key)}"))
        seen.add(key)
    return errors


def _validate_type(spec: Obj, kind: str, headless: bool) -> FieldErrors:
    errors: FieldErrors = []
    if kind not in TYPES:
        return [v.unsupported("spec.type", kind, TYPES)]
    if kind in EXTERNALLY_ACCESSIBLE and headless:
        errors.append(v.invalid("spec.clusterIPs[0]", HEADLESS, f"may not be set to 'None' for {kind} services"))
    if kind == "ExternalName":
        if spec.get("clusterIPs") or spec.get("clusterIP"):
            errors.append(v.forbidden("spec.clusterIPs", "may not be set for ExternalName services"))
        for field in ("ipFamilies", "ipFamilyPolicy"):
            if spec.get(field):
                errors.append(v.forbidden(f"spec.{field}", "may not be set for ExternalName services"))
        cname = spec.get("externalName")
        if isinstance(cname, str) and cname.removesuffix("."):
            errors.extend(v.dns1123_subdomain("spec.externalName", cname.removesuffix(".")))
        else:
            errors.append(v.required("spec.externalName"))
    return errors


def _validate_cluster_ips(spec: Obj) -> FieldErrors:
    """validateServiceClusterIPsRelatedFields: clusterIP and clusterIPs agree, each is an IP or the lone None."""
    errors: FieldErrors = []
    cluster_ip, ips = spec.get("clusterIP") or "", spec.get("clusterIPs") or []
    if not isinstance(ips, list):
        return [v.type_error("spec.clusterIPs", ips, "array")]
    if cluster_ip:
        if not ips:
            errors.append(v.required("spec.clusterIPs"))
        elif ips[0] != cluster_ip:
            errors.append(("spec.clusterIPs", f"Invalid value: {go_strings(ips)}: first value must match `clusterIP`"))
    elif ips:
        errors.append(("spec.clusterIPs",
                       f"Invalid value: {go_strings(ips)}: must be empty when `clusterIP` is not specified"))
    for i, ip in enumerate(ips):
        if i == 0 and ip == HEADLESS:
            if len(ips) > 1:
                errors.append(("spec.clusterIPs",
                               f"Invalid value: {go_strings(ips)}: 'None' must be the first and only value"))
            continue
        if not _is_ip(ip):
            errors.append(v.invalid(f"spec.clusterIPs[{i}]", ip, VALID_IP_MSG))
    return errors


def _validate_policies(spec: Obj, kind: str) -> FieldErrors:
    errors: FieldErrors = []
    affinity = spec.get("sessionAffinity")
    if not affinity:
        errors.append(v.required("spec.sessionAffinity"))
    elif affinity not in AFFINITIES:
        errors.append(v.unsupported("spec.sessionAffinity", affinity, AFFINITIES))
    elif affinity == "ClientIP":
        timeout = ((spec.get("sessionAffinityConfig") or {}).get("clientIP") or {}).get("timeoutSeconds")
        if not isinstance(timeout, int) or not 0 < timeout <= MAX_CLIENT_IP_TIMEOUT:
            errors.append(v.invalid("spec.sessionAffinityConfig.clientIP.timeoutSeconds", timeout,
                                    f"must be greater than 0 and less than {MAX_CLIENT_IP_TIMEOUT}"))
    external = spec.get("externalTrafficPolicy")
    if kind in EXTERNALLY_ACCESSIBLE or (kind == "ClusterIP" and spec.get("externalIPs")):
        if not external:
            errors.append(v.required("spec.externalTrafficPolicy"))
        elif external not in TRAFFIC_POLICIES:
            errors.append(v.unsupported("spec.externalTrafficPolicy", external, TRAFFIC_POLICIES))
    elif external:
        errors.append(v.invalid("spec.externalTrafficPolicy", external,
                                "may only be set for externally-accessible services"))
    internal = spec.get("internalTrafficPolicy")
    if internal is None and kind in ("ClusterIP", *EXTERNALLY_ACCESSIBLE):
        errors.append(v.required("spec.internalTrafficPolicy",
                                 "must be specified when `type` is 'ClusterIP', 'NodePort', or 'LoadBalancer'"))
    elif internal is not None and internal not in TRAFFIC_POLICIES:
        errors.append(v.unsupported("spec.internalTrafficPolicy", internal, TRAFFIC_POLICIES))
    policy = spec.get("ipFamilyPolicy")
    if policy is not None and policy not in IP_FAMILY_POLICIES:
        errors.append(v.unsupported("spec.ipFamilyPolicy", policy, IP_FAMILY_POLICIES))
    families = spec.get("ipFamilies") or []
    for i, family in enumerate(families if isinstance(families, list) else []):
        if family not in IP_FAMILIES:
            errors.append(v.unsupported(f"spec.ipFamilies[{i}]", family, IP_FAMILIES))
        elif family in families[:i]:
            errors.append(v.duplicate(f"spec.ipFamilies[{i}]", family))
    return errors


def _validate_cluster_ip_update(new: Obj, old: Obj) -> FieldErrors:
    """validateUpgradeDowngradeClusterIPs: the primary cluster IP never changes while the type keeps one."""
    if not needs_cluster_ip(new) or not needs_cluster_ip(old) or (is_headless(new) and is_headless(old)):
        return []
    ips, old_ips = spec_of(new).get("clusterIPs") or [], spec_of(old).get("clusterIPs") or []
    if not old_ips:
        return []
    if not ips:
        return [("spec.clusterIPs[0]", f"Invalid value: {go_strings(spec_of(new).get('clusterIPs'))}: "
                                       "primary clusterIP can not be unset")]
    # Same length: every IP is fixed. Adding or releasing the secondary (dual-stack) IP: only the primary is.
    compared = range(len(ips)) if len(ips) == len(old_ips) else range(1)
    return [(f"spec.clusterIPs[{i}]", f"Invalid value: {go_strings(ips)}: may not change once set")
            for i in compared if ips[i] != old_ips[i]]


def validate_service(svc: Obj, old: Obj | None) -> FieldErrors:
    spec = svc.get("spec")
    if not isinstance(spec, dict):
        return [v.required("spec") if spec is None else v.type_error("spec", spec, "object")]
    kind = spec.get("type", "ClusterIP")
    headless = spec.get("clusterIP") == HEADLESS
    errors: FieldErrors = []
    if old is not None:
        errors.extend(_validate_cluster_ip_update(svc, old))
    if not spec.get("ports") and not headless and kind != "ExternalName":
        errors.append(v.required("spec.ports"))
    errors.extend(_validate_type(spec, kind, headless))
    errors.extend(_validate_ports(spec, kind))
    errors.extend(v.labels("spec.selector", spec.get("selector")))
    errors.extend(_validate_cluster_ips(spec))
    for i, ip in enumerate(spec.get("externalIPs") or []):
        if not _is_ip(ip):
            errors.append(v.invalid(f"spec.externalIPs[{i}]", ip, VALID_IP_MSG))
    errors.extend(_validate_policies(spec, kind))
    return errors
