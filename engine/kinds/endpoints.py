"""Endpoints (v1): the addresses behind a Service, kept by the endpoints controller for Services with a selector
and written by hand for those without one."""

from __future__ import annotations

import ipaddress

from ..printers.describe_services import describe_endpoints
from ..printers.services import ENDPOINTS_COLUMNS, endpoints_row
from . import validation as v
from .registry import REGISTRY, DescribeContext, FieldErrors, KindInfo, Obj
from .service_validation import PROTOCOLS, VALID_IP_MSG


def _default(endpoints: Obj) -> None:
    for subset in endpoints.get("subsets") or ():
        if isinstance(subset, dict):
            for port in subset.get("ports") or ():
                if isinstance(port, dict):
                    port.setdefault("protocol", "TCP")


def _validate_address(path: str, address: object) -> FieldErrors:
    if not isinstance(address, dict):
        return [v.type_error(path, address, "object")]
    try:
        ipaddress.ip_address(address.get("ip"))
    except ValueError:
        # validateEndpointAddress checks twice: IsValidIP, then validateNonSpecialIP's own parse, each saying so.
        return [v.invalid(f"{path}.ip", address.get("ip"), VALID_IP_MSG),
                v.invalid(f"{path}.ip", address.get("ip"), "must be a valid IP address")]
    return []


def _validate(endpoints: Obj, old: Obj | None) -> FieldErrors:
    subsets = endpoints.get("subsets") or []
    if not isinstance(subsets, list):
        return [v.type_error("subsets", subsets, "array")]
    errors: FieldErrors = []
    for i, subset in enumerate(subsets):
        path = f"subsets[{i}]"
        if not isinstance(subset, dict):
            errors.append(v.type_error(path, subset, "object"))
            continue
        addresses, not_ready = subset.get("addresses") or [], subset.get("notReadyAddresses") or []
        if not addresses and not not_ready:
            errors.append(v.required(path, "must specify `addresses` or `notReadyAddresses`"))
        for key, group in (("addresses", addresses), ("notReadyAddresses", not_ready)):
            for j, address in enumerate(group):
                errors.extend(_validate_address(f"{path}.{key}[{j}]", address))
        ports = subset.get("ports") or []
        for j, port in enumerate(ports):
            port_path = f"{path}.ports[{j}]"
            if not isinstance(port, dict):
                errors.append(v.type_error(port_path, port, "object"))
                continue
            if port.get("name"):
                errors.extend(v.dns1123_label(f"{port_path}.name", port["name"]))
            elif len(ports) > 1:
                errors.append(v.required(f"{port_path}.name"))
            errors.extend(v.port_number(f"{port_path}.port", port.get("port")))
            if port.get("protocol") not in PROTOCOLS:
                errors.append(v.unsupported(f"{port_path}.protocol", port.get("protocol"), PROTOCOLS))
    return errors


def _describe(ep: Obj, ctx: DescribeContext) -> str:
    return describe_endpoints(ep, ctx.events(ep), ctx.now())


ENDPOINTS = REGISTRY.register(KindInfo(
    kind="Endpoints", group="", version="v1", plural="endpoints", namespaced=True, short_names=("ep",),
    singular="endpoints", default=_default, validate=_validate, has_status=False,
    columns=ENDPOINTS_COLUMNS, row=endpoints_row, describe=_describe,
))
