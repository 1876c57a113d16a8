"""EndpointSlice (discovery.k8s.io/v1): a Service's endpoints in slices of at most 100, as the EndpointSlice
controller writes them (`engine/controllers/endpointslice.py`) and kube-proxy reads them.

Defaulting is `SetDefaults_EndpointPort` (a port's name defaults to "" and its protocol to TCP); the registry
strategy sets generation 1 on create and bumps it whenever anything but metadata changes
(`pkg/registry/discovery/endpointslice/strategy.go`). Empty `endpoints` and `ports` are stored as null, as a real
API server returns them after the round trip through etcd. Validation follows
`pkg/apis/discovery/validation/validation.go`, in the order and with the messages a v1.36 API server gives
(checked against one). The table is printEndpointSlice (`pkg/printers/internalversion/printers.go`) and describe
is kubectl's describeEndpointSliceV1.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from ..printers.describe import _annotations_multiline, _describe_events, _labels_multiline, _Writer
from ..printers.duration import age
from . import validation as v
from .registry import REGISTRY, DescribeContext, FieldErrors, KindInfo, Obj
from .service_validation import VALID_IP_MSG

ADDRESS_TYPES = ["FQDN", "IPv4", "IPv6"]
PROTOCOLS = ["SCTP", "TCP", "UDP"]
MAX_ENDPOINTS = 1000
MAX_ADDRESSES = 100
MAX_PORTS = 100
MAX_SHOWN = 3  # printEndpointSlice lists three ports and three addresses, then "+ N more..."
UNSET = "<unset>"


# --------------------------------------------------------------------------- defaults


def _default(eps: Obj) -> None:
    meta = eps.get("metadata")
    if isinstance(meta, dict):
        meta.setdefault("generation", 1)  # PrepareForCreate; an update keeps the stored one (see _prepare_update)
    for key in ("endpoints", "ports"):
        if eps.get(key) in (None, []):
            eps[key] = None
    for endpoint in eps.get("endpoints") or ():
        if isinstance(endpoint, dict) and endpoint.get("conditions") is None:
            endpoint["conditions"] = {}  # a struct, not a pointer: always serialised
    for port in eps.get("ports") or ():
        if isinstance(port, dict):
            if port.get("name") is None:
                port["name"] = ""
            if port.get("protocol") is None:
                port["protocol"] = "TCP"


def _prepare_update(new: Obj, old: Obj) -> None:
    """PrepareForUpdate: generation grows when anything besides metadata changes."""
    if {k: val for k, val in new.items() if k != "metadata"} != {k: val for k, val in old.items() if k != "metadata"}:
        new["metadata"]["generation"] = (old["metadata"].get("generation") or 0) + 1


# --------------------------------------------------------------------------- validation


def _non_special_ip(path: str, text: str, ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> FieldErrors:
    """ValidateNonSpecialIP."""
    errors: FieldErrors = []
    if ip.is_unspecified:
        errors.append(v.invalid(path, text, f"may not be unspecified ({text})"))
    if ip.is_loopback:
        errors.append(v.invalid(path, text, "may not be in the loopback range (127.0.0.0/8, ::1/128)"))
    if ip in _LINK_LOCAL[ip.version]:
        errors.append(v.invalid(path, text, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"))
    # Go's IsLinkLocalMulticast: 224.0.0.0/24, or any IPv6 multicast of link-local scope (ffx2::).
    packed = ip.packed
    if (ip.version == 4 and packed[:3] == b"\xe0\x00\x00") or (
            ip.version == 6 and packed[0] == 0xFF and packed[1] & 0x0F == 0x02):
        errors.append(v.invalid(path, text, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"))
    return errors


_LINK_LOCAL = {4: ipaddress.ip_network("169.254.0.0/16"), 6: ipaddress.ip_network("fe80::/10")}


def _validate_address(path: str, index: int, address: Any, address_type: Any) -> FieldErrors:
    if not isinstance(address, str):
        return [v.type_error(f"{path}[{index}]", address, "string")]
    if address_type in ("IPv4", "IPv6"):
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return [v.invalid(f"{path}[{index}]", address, VALID_IP_MSG)]
        errors: FieldErrors = []
        if ip.version != (4 if address_type == "IPv4" else 6):
            # The v1.36 API server reports the family on the list, not on the item.
            errors.append(v.invalid(path, address, f"must be an {address_type} address"))
        return errors + _non_special_ip(f"{path}[{index}]", address, ip)
    if address_type == "FQDN":
        return _fqdn(f"{path}[{index}]", address)
    return []


def _fqdn(path: str, address: str) -> FieldErrors:
    """IsFullyQualifiedDomainName: a DNS subdomain (a trailing dot allowed) of at least two labels."""
    if not address:
        return [v.required(path)]
    name = address.removesuffix(".")
    errors = v.dns1123_subdomain(path, name)
    if errors:
        return errors
    if "." not in name:
        return [v.invalid(path, name, "should be a domain with at least two segments separated by dots")]
    return [error for label in name.split(".") for error in v.dns1123_label(path, label)]


def _validate_endpoints(endpoints: Any, address_type: Any) -> FieldErrors:
    if endpoints is None:
        return []
    if not isinstance(endpoints, list):
        return [v.type_error("endpoints", endpoints, "array")]
    if len(endpoints) > MAX_ENDPOINTS:
        return [("endpoints", f"Too many: {len(endpoints)}: must have at most {MAX_ENDPOINTS} items")]
    errors: FieldErrors = []
    for i, endpoint in enumerate(endpoints):
        path = f"endpoints[{i}]"
        if not isinstance(endpoint, dict):
            errors.append(v.type_error(path, endpoint, "object"))
            continue
        addresses = endpoint.get("addresses") or []
        if not isinstance(addresses, list):
            errors.append(v.type_error(f"{path}.addresses", addresses, "array"))
            continue
        if not addresses:
            errors.append(v.required(f"{path}.addresses", "must contain at least 1 address"))
        elif len(addresses) > MAX_ADDRESSES:
            errors.append((f"{path}.addresses",
                           f"Too many: {len(addresses)}: must have at most {MAX_ADDRESSES} items"))
        for j, address in enumerate(addresses):
            errors.extend(_validate_address(f"{path}.addresses", j, address, address_type))
        if endpoint.get("hostname") is not None:
            errors.extend(v.dns1123_label(f"{path}.hostname", endpoint["hostname"]))
        if endpoint.get("nodeName") is not None:
            errors.extend(v.dns1123_subdomain(f"{path}.nodeName", endpoint["nodeName"]))
    return errors


def _validate_ports(ports: Any) -> FieldErrors:
    if ports is None:
        return []
    if not isinstance(ports, list):
        return [v.type_error("ports", ports, "array")]
    if len(ports) > MAX_PORTS:
        return [("ports", f"Too many: {len(ports)}: must have at most {MAX_PORTS} items")]
    errors: FieldErrors = []
    names: set[str] = set()
    for i, port in enumerate(ports):
        path = f"ports[{i}]"
        if not isinstance(port, dict):
            errors.append(v.type_error(path, port, "object"))
            continue
        name = port.get("name") or ""
        if name:
            errors.extend(v.dns1123_label(f"{path}.name", name))
        if name in names:
            errors.append(v.duplicate(f"{path}.name", name))
        names.add(name)
        protocol = port.get("protocol")
        if protocol not in PROTOCOLS:
            errors.append(v.unsupported(f"{path}.protocol", protocol, PROTOCOLS))
        app = port.get("appProtocol")
        if app is not None:
            errors.extend(v.qualified_name(f"{path}.appProtocol", app))
    return errors


def _validate(eps: Obj, old: Obj | None) -> FieldErrors:
    address_type = eps.get("addressType")
    errors: FieldErrors = []
    if not address_type:
        errors.append(v.required("addressType"))
    elif address_type not in ADDRESS_TYPES and not (old is not None and address_type == "IP"):
        errors.append(v.unsupported("addressType", address_type, ADDRESS_TYPES))
    errors.extend(_validate_ports(eps.get("ports")))
    errors.extend(_validate_endpoints(eps.get("endpoints"), address_type))
    if old is not None:
        errors.extend(v.immutable("addressType", address_type, old.get("addressType")))
    return errors


# --------------------------------------------------------------------------- kubectl get / describe


def _listed(items: list[str], count: int) -> str:
    """listWithMoreString."""
    text = ",".join(items[:MAX_SHOWN])
    if count > MAX_SHOWN:
        return f"{text} + {count - MAX_SHOWN} more..."
    return text or UNSET


def _ports_cell(eps: Obj) -> str:
    ports = [p for p in eps.get("ports") or () if isinstance(p, dict)]
    shown = [str(p["port"]) if p.get("port") is not None else (p.get("name") if p.get("name") is not None else "*")
             for p in ports[:MAX_SHOWN]]
    return _listed(shown, len(ports))


def _endpoints_cell(eps: Obj) -> str:
    addresses = [str(a) for e in eps.get("endpoints") or () if isinstance(e, dict) for a in e.get("addresses") or ()]
    return _listed(addresses, len(addresses))


def _row(eps: Obj, now: float) -> list[str]:
    meta = eps["metadata"]
    return [meta["name"], str(eps.get("addressType") or ""), _ports_cell(eps), _endpoints_cell(eps),
            age(meta.get("creationTimestamp"), now)]


def _text(value: Any) -> str:
    if value is None:
        return UNSET
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _describe(eps: Obj, ctx: DescribeContext) -> str:
    meta = eps["metadata"]
    w = _Writer()
    w.write(0, f"Name:\t{meta['name']}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"AddressType:\t{eps.get('addressType') or ''}\n")
    ports = eps.get("ports") or []
    if not ports:
        w.write(0, "Ports: <unset>\n")
    else:
        w.write(0, "Ports:\n")
        w.write(1, "Name\tPort\tProtocol\n")
        w.write(1, "----\t----\t--------\n")
        for port in ports:
            w.write(1, f"{port.get('name') or UNSET}\t{_text(port.get('port'))}\t{port.get('protocol') or ''}\n")
    endpoints = eps.get("endpoints") or []
    if not endpoints:
        w.write(0, "Endpoints: <none>\n")
    else:
        w.write(0, "Endpoints:\n")
        for endpoint in endpoints:
            w.write(1, f"- Addresses:\t{', '.join(endpoint.get('addresses') or ()) or '<none>'}\n")
            w.write(2, "Conditions:\n")
            w.write(3, f"Ready:\t{_text((endpoint.get('conditions') or {}).get('ready'))}\n")
            w.write(2, f"Hostname:\t{_text(endpoint.get('hostname'))}\n")
            ref = endpoint.get("targetRef")
            if ref is not None:
                w.write(2, f"TargetRef:\t{ref.get('kind', '')}/{ref.get('name', '')}\n")
            w.write(2, f"NodeName:\t{_text(endpoint.get('nodeName'))}\n")
            w.write(2, f"Zone:\t{_text(endpoint.get('zone'))}\n")
    _describe_events(w, ctx.events(eps), ctx.now())
    return w.text()


def service_slices(ctx: DescribeContext, namespace: str, service: str) -> list[Obj]:
    """The EndpointSlices labelled `kubernetes.io/service-name=<service>`, in name order, as kubectl lists them."""
    return sorted((s for s in ctx.list("endpointslices.discovery.k8s.io", namespace)
                   if (s["metadata"].get("labels") or {}).get("kubernetes.io/service-name") == service),
                  key=lambda s: s["metadata"]["name"])


ENDPOINTSLICE = REGISTRY.register(KindInfo(
    kind="EndpointSlice", group="discovery.k8s.io", version="v1", plural="endpointslices", namespaced=True,
    # k9s has no alias of its own for EndpointSlices; `eps` is the one the networking views use.
    console_aliases=("eps",), default=_default, validate=_validate, prepare_update=_prepare_update,
    has_status=False, columns=("NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"), row=_row, describe=_describe,
))
