"""Ingress (networking.k8s.io/v1, `ing`): HTTP routing by host and path to Services, with TLS.

Validation is `ValidateIngressCreate`/`ValidateIngressSpec` (`pkg/apis/networking/validation/validation.go`), in
the order and with the messages of a v1.36 API server (checked against one). On create, the DefaultIngressClass
admission plugin (`plugin/pkg/admission/network/defaultingressclass`) gives an Ingress that names no class (by
field or by the `kubernetes.io/ingress.class` annotation) the default IngressClass, the newest when several are
marked. The table is printIngress (NAME CLASS HOSTS ADDRESS PORTS AGE) and describe kubectl's describeIngressV1,
with each backend's ready endpoints from its Service's EndpointSlices. Health is Argo CD's: Healthy once the
controller has published an address. The built-in controller is `controllers/ingress_nginx.py`; requests are
routed by `engine/ingress_routing.py`.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from ..printers.describe import _annotations_multiline, _describe_events, _labels_multiline, _Writer
from ..printers.describe_services import _service_endpoints
from ..printers.duration import age, timestamp
from ..quoting import go_quote
from . import validation as v
from .endpointslice import service_slices
from .ingressclass import is_default, typed_reference
from .registry import REGISTRY, DescribeContext, FieldErrors, Health, KindInfo, Obj

CLASS_ANNOTATION = "kubernetes.io/ingress.class"
PATH_TYPES = ["Exact", "ImplementationSpecific", "Prefix"]
_INVALID_SEQUENCES = ("//", "/./", "/../", "%2f", "%2F")
_INVALID_SUFFIXES = ("/..", "/.")
_WILDCARD = re.compile(r"^\*\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
WILDCARD_MSG = (
    "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of "
    "lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', "
    "regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
LOAD_BALANCER_WIDTH = 16
MAX_HOSTS_SHOWN = 3


def _default(ing: Obj) -> None:
    status = ing.get("status")
    if not isinstance(status, dict):
        ing["status"] = status = {}
    status.setdefault("loadBalancer", {})  # a struct, not a pointer: always shown


# --------------------------------------------------------------------------- validation


def _host(path: str, host: str) -> FieldErrors:
    if "*" in host:
        return [] if _WILDCARD.match(host) else [v.invalid(path, host, WILDCARD_MSG)]
    return v.dns1123_subdomain(path, host)


def _backend(path: str, backend: Any) -> FieldErrors:
    """validateIngressBackend."""
    if not isinstance(backend, dict):
        return [v.type_error(path, backend, "object")]
    service, resource = backend.get("service"), backend.get("resource")
    if service is not None and resource is not None:
        return [v.invalid(path, "", "cannot set both resource and service backends")]
    if isinstance(resource, dict):
        return typed_reference(f"{path}.resource", resource)
    if not isinstance(service, dict):
        return [v.invalid(path, "", "resource or service backend is required")]
    errors: FieldErrors = []
    name = service.get("name") or ""
    if not name:
        errors.append(v.required(f"{path}.service.name"))
    else:
        errors.extend(v.dns1123_label(f"{path}.service.name", name))
    port = service.get("port") if isinstance(service.get("port"), dict) else {}
    port_name, number = port.get("name") or "", port.get("number") or 0
    if port_name and number:
        errors.append(v.invalid(path, "", "cannot set both port name & port number"))
    elif port_name:
        errors.extend(v.port_name(f"{path}.service.port.name", port_name))
    elif number:
        errors.extend(v.port_number(f"{path}.service.port.number", number))
    else:
        errors.append(v.required(path, "port name or number is required"))
    return errors


def _http_path(path: str, item: Any) -> FieldErrors:
    """validateHTTPIngressPath: a pathType first; Exact and Prefix paths absolute and clean."""
    if not isinstance(item, dict):
        return [v.type_error(path, item, "object")]
    path_type, value = item.get("pathType"), str(item.get("path") or "")
    if path_type is None:
        return [v.required(f"{path}.pathType", "pathType must be specified")]
    errors: FieldErrors = []
    if path_type in ("Exact", "Prefix"):
        if not value.startswith("/"):
            errors.append(v.invalid(f"{path}.path", value, "must be an absolute path"))
        if value:
            errors.extend(v.invalid(f"{path}.path", value, f"must not contain '{seq}'")
                          for seq in _INVALID_SEQUENCES if seq in value)
            errors.extend(v.invalid(f"{path}.path", value, f"cannot end with '{suffix}'")
                          for suffix in _INVALID_SUFFIXES if value.endswith(suffix))
    elif path_type == "ImplementationSpecific":
        if value and not value.startswith("/"):
            errors.append(v.invalid(f"{path}.path", value, "must be an absolute path"))
    else:
        errors.append(v.unsupported(f"{path}.pathType", path_type, PATH_TYPES))
    return errors + _backend(f"{path}.backend", item.get("backend"))


def _rules(rules: list[Any]) -> FieldErrors:
    errors: FieldErrors = []
    for i, rule in enumerate(rules):
        path = f"spec.rules[{i}]"
        if not isinstance(rule, dict):
            errors.append(v.type_error(path, rule, "object"))
            continue
        host = rule.get("host") or ""
        if host:
            try:
                ipaddress.ip_address(host)
                errors.append(v.invalid(f"{path}.host", host, "must be a DNS name, not an IP address"))
            except ValueError:
                pass
            errors.extend(_host(f"{path}.host", host))
        http = rule.get("http")
        if isinstance(http, dict):
            paths = http.get("paths") or []
            if not paths:
                errors.append(v.required(f"{path}.http.paths"))
            for j, item in enumerate(paths):
                errors.extend(_http_path(f"{path}.http.paths[{j}]", item))
    return errors


def _tls(entries: list[Any]) -> FieldErrors:
    errors: FieldErrors = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            errors.append(v.type_error(f"spec.tls[{i}]", entry, "object"))
            continue
        for j, host in enumerate(entry.get("hosts") or ()):
            errors.extend(_host(f"spec.tls[{i}].hosts[{j}]", str(host)))
        if entry.get("secretName"):
            errors.extend(v.dns1123_subdomain(f"spec.tls[{i}].secretName", entry["secretName"]))
    return errors


def _validate(ing: Obj, old: Obj | None) -> FieldErrors:
    spec = ing.get("spec")
    if not isinstance(spec, dict):
        spec = {}
    rules, tls = spec.get("rules") or [], spec.get("tls") or []
    errors: FieldErrors = []
    if not isinstance(rules, list) or not isinstance(tls, list):
        return [v.type_error("spec.rules" if not isinstance(rules, list) else "spec.tls", rules, "array")]
    if not rules and spec.get("defaultBackend") is None:
        errors.append(("spec", "Invalid value: null: either `defaultBackend` or `rules` must be specified"))
    if spec.get("defaultBackend") is not None:
        errors.extend(_backend("spec.defaultBackend", spec["defaultBackend"]))
    errors.extend(_rules(rules))
    errors.extend(_tls(tls))
    name = spec.get("ingressClassName")
    if name is not None:
        errors.extend(v.dns1123_subdomain("spec.ingressClassName", name))
    annotation = (ing["metadata"].get("annotations") or {}).get(CLASS_ANNOTATION)
    if old is None and annotation is not None and name is not None and annotation != name:
        errors.append(v.invalid(f"annotations.{CLASS_ANNOTATION}", annotation,
                                "must match `ingressClassName` when both are specified"))
    return errors


def _admit(api: Any, ing: Obj, old: Obj | None) -> FieldErrors:
    """DefaultIngressClass admission (create only): the newest class marked default, if any."""
    spec = ing.get("spec")
    if old is not None or not isinstance(spec, dict) or spec.get("ingressClassName") is not None \
            or CLASS_ANNOTATION in (ing["metadata"].get("annotations") or {}):
        return []
    defaults = [ic for ic in api.store.iter("ingressclasses.networking.k8s.io") if is_default(ic)]
    if defaults:
        newest = max(defaults, key=lambda ic: (timestamp(ic["metadata"].get("creationTimestamp")) or 0.0,
                                               _reverse(ic["metadata"]["name"])))
        spec["ingressClassName"] = newest["metadata"]["name"]
    return []


def _reverse(name: str) -> tuple[int, ...]:
    """Among classes created in the same second, upstream takes the lowest name."""
    return tuple(-ord(ch) for ch in name)


# --------------------------------------------------------------------------- kubectl get / describe


def addresses(ing: Obj) -> list[str]:
    ingress = ((ing.get("status") or {}).get("loadBalancer") or {}).get("ingress") or ()
    return sorted({str(i.get("ip") or i.get("hostname")) for i in ingress
                   if isinstance(i, dict) and (i.get("ip") or i.get("hostname"))})


def _address_cell(ing: Obj, wide: bool) -> str:
    text = ",".join(addresses(ing))
    return text[:LOAD_BALANCER_WIDTH - 3] + "..." if not wide and len(text) > LOAD_BALANCER_WIDTH else text


def _hosts_cell(ing: Obj) -> str:
    """formatHosts: three hosts, then `+ N more...` counting every rule past the third."""
    rules = [r for r in (ing.get("spec") or {}).get("rules") or () if isinstance(r, dict)]
    shown = [r["host"] for r in rules[:MAX_HOSTS_SHOWN] if r.get("host")]
    if not shown:
        return "*"
    text = ",".join(shown)
    return f"{text} + {len(rules) - MAX_HOSTS_SHOWN} more..." if len(rules) > MAX_HOSTS_SHOWN else text


def _row(ing: Obj, now: float, wide: bool = False) -> list[str]:
    meta, spec = ing["metadata"], ing.get("spec") or {}
    return [meta["name"], str(spec.get("ingressClassName") or "<none>"), _hosts_cell(ing), _address_cell(ing, wide),
            "80, 443" if spec.get("tls") else "80", age(meta.get("creationTimestamp"), now)]


def _wide_row(ing: Obj, now: float) -> list[str]:
    return _row(ing, now, wide=True)


def _service_backend(service: Obj) -> str:
    port = service.get("port") or {}
    return f"{service.get('name', '')}:{port.get('number') or port.get('name') or ''}"


def describe_backend(backend: Obj, namespace: str, ctx: DescribeContext) -> str:
    """describeBackendV1: `svc:port (ready endpoints)`, or the error kubectl met looking the Service up."""
    service = backend.get("service")
    if isinstance(service, dict):
        text = _service_backend(service)
        svc = ctx.get("services", namespace, str(service.get("name", "")))
        if svc is None:
            return f"{text} (<error: services {go_quote(service.get('name', ''))} not found>)"
        port = service.get("port") or {}
        port_name = ""
        for sp in (svc.get("spec") or {}).get("ports") or ():
            if (port.get("number") and port["number"] == sp.get("port")) or (
                    port.get("name") and port["name"] == sp.get("name")):
                port_name = sp.get("name") or ""
        slices = service_slices(ctx, namespace, str(service.get("name", "")))
        return f"{text} ({_service_endpoints(slices, port_name)})"
    resource = backend.get("resource")
    if isinstance(resource, dict):
        return (f"APIGroup: {resource.get('apiGroup') or '<none>'}, Kind: {resource.get('kind', '')}, "
                f"Name: {resource.get('name', '')}")
    return ""


def _describe(ing: Obj, ctx: DescribeContext) -> str:
    meta, spec = ing["metadata"], ing.get("spec") or {}
    namespace = meta.get("namespace", "")
    w = _Writer()
    w.write(0, f"Name:\t{meta['name']}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    w.write(0, f"Namespace:\t{namespace}\n")
    w.write(0, f"Address:\t{_address_cell(ing, True)}\n")
    w.write(0, f"Ingress Class:\t{spec.get('ingressClassName') or '<none>'}\n")
    default = spec.get("defaultBackend")
    default_text = describe_backend(default, namespace, ctx) if isinstance(default, dict) else "<default>"
    w.write(0, f"Default backend:\t{default_text}\n")
    if spec.get("tls"):
        w.write(0, "TLS:\n")
        for entry in spec["tls"]:
            hosts = ",".join(entry.get("hosts") or ())
            if entry.get("secretName"):
                w.write(1, f"{entry['secretName']} terminates {hosts}\n")
            else:
                w.write(1, f"SNI routes {hosts}\n")
    w.write(0, "Rules:\n  Host\tPath\tBackends\n")
    w.write(1, "----\t----\t--------\n")
    count = 0
    for rule in spec.get("rules") or ():
        http = rule.get("http")
        if not isinstance(http, dict):
            continue
        count += 1
        w.write(1, f"{rule.get('host') or '*'}\t\n")
        for item in http.get("paths") or ():
            w.write(2, f"\t{item.get('path', '')} \t{describe_backend(item.get('backend') or {}, namespace, ctx)}\n")
    if not count:
        w.write(1, f"*\t*\t{default_text}\n")
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    _describe_events(w, ctx.events(ing), ctx.now())
    return w.text()


def _health(ing: Obj) -> Health:
    """gitops-engine health_ingress.go: Progressing until the controller publishes an address."""
    ingress = ((ing.get("status") or {}).get("loadBalancer") or {}).get("ingress")
    return Health("Healthy") if ingress else Health("Progressing")


INGRESS = REGISTRY.register(KindInfo(
    kind="Ingress", group="networking.k8s.io", version="v1", plural="ingresses", namespaced=True,
    short_names=("ing",), default=_default, validate=_validate, allocate=_admit,
    columns=("NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"), row=_row, wide_row=_wide_row,
    describe=_describe, health=_health, generation_tracks_spec=True,
))
