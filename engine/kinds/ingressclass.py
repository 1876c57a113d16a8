"""IngressClass (networking.k8s.io/v1, cluster-scoped): which controller implements the Ingresses that name it.

Defaulting is `SetDefaults_IngressClass` (parameters without a scope are Cluster-scoped); validation is
`ValidateIngressClass` (`pkg/apis/networking/validation/validation.go`) with a v1.36 API server's messages; the
table is printIngressClass (NAME CONTROLLER PARAMETERS AGE) and describe kubectl's describeIngressClassV1. The
annotation `ingressclass.kubernetes.io/is-default-class: "true"` makes a class the one the DefaultIngressClass
admission plugin gives new Ingresses that name none (`kinds/ingress.py`).
"""

from __future__ import annotations

import re

from ..printers.describe import _annotations_multiline, _describe_events, _labels_multiline, _Writer
from ..printers.duration import age
from . import validation as v
from .registry import REGISTRY, DescribeContext, FieldErrors, KindInfo, Obj

DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"
MAX_CONTROLLER_LENGTH = 250
SCOPES = ["Cluster", "Namespace"]
_HTTP_PATH = re.compile(r"^[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$")


def _default(ic: Obj) -> None:
    spec = ic.get("spec")
    if not isinstance(spec, dict):
        ic["spec"] = spec = {}
    params = spec.get("parameters")
    if isinstance(params, dict) and params.get("scope") is None:
        params["scope"] = "Cluster"


def typed_reference(path: str, ref: Obj) -> FieldErrors:
    """validateIngressTypedLocalObjectReference (an IngressClass's parameters, an Ingress's resource backend)."""
    errors: FieldErrors = []
    if ref.get("apiGroup") is not None:
        errors.extend(v.dns1123_subdomain(f"{path}.apiGroup", ref["apiGroup"]))
    for field in ("kind", "name"):
        if not ref.get(field):
            errors.append(v.required(f"{path}.{field}"))
        else:
            errors.extend(v.path_segment_name(f"{path}.{field}", ref[field]))
    return errors


def _domain_prefixed_path(path: str, value: str) -> FieldErrors:
    """IsDomainPrefixedPath: `example.com/controller`."""
    if not value:
        return [v.required(path)]
    host, sep, rest = value.partition("/")
    if not sep or not host or not rest:
        return [v.invalid(path, value, 'must be a domain-prefixed path (such as "acme.io/foo")')]
    errors = v.dns1123_subdomain(path, host)
    if not _HTTP_PATH.match(rest):
        errors.append(v.invalid(path, rest, "Invalid path (regex used for validation is "
                                            "'[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')"))
    return errors


def _validate(ic: Obj, old: Obj | None) -> FieldErrors:
    spec = ic.get("spec") or {}
    if not isinstance(spec, dict):
        return [v.type_error("spec", spec, "object")]
    controller = spec.get("controller") or ""
    errors: FieldErrors = []
    if len(controller) > MAX_CONTROLLER_LENGTH:
        errors.append(v.too_long("spec.controller", controller, MAX_CONTROLLER_LENGTH))
    errors.extend(_domain_prefixed_path("spec.controller", controller))
    params = spec.get("parameters")
    if isinstance(params, dict):
        errors.extend(typed_reference("spec.parameters", params))
        scope = params.get("scope")
        if scope is None:
            errors.append(v.required("spec.parameters.scope"))
        elif scope not in SCOPES:
            errors.append(v.unsupported("spec.parameters.scope", scope, SCOPES))
        elif scope == "Namespace" and params.get("namespace") is None:
            errors.append(v.required("spec.parameters.namespace", "`parameters.scope` is set to 'Namespace'"))
        elif scope == "Namespace":
            errors.extend(v.dns1123_label("spec.parameters.namespace", params["namespace"]))
        elif params.get("namespace") is not None:
            errors.append(v.forbidden("spec.parameters.namespace", "`parameters.scope` is set to 'Cluster'"))
    if old is not None:
        errors.extend(v.immutable("spec.controller", controller, (old.get("spec") or {}).get("controller") or ""))
    return errors


def _parameters(ic: Obj) -> str:
    params = (ic.get("spec") or {}).get("parameters")
    if not isinstance(params, dict):
        return "<none>"
    kind = str(params.get("kind", ""))
    if params.get("apiGroup") is not None:
        kind += f".{params['apiGroup']}"
    return f"{kind}/{params.get('name', '')}"


def _row(ic: Obj, now: float) -> list[str]:
    meta = ic["metadata"]
    return [meta["name"], str((ic.get("spec") or {}).get("controller") or ""), _parameters(ic),
            age(meta.get("creationTimestamp"), now)]


def _describe(ic: Obj, ctx: DescribeContext) -> str:
    meta, spec = ic["metadata"], ic.get("spec") or {}
    w = _Writer()
    w.write(0, f"Name:\t{meta['name']}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Controller:\t{spec.get('controller', '')}\n")
    params = spec.get("parameters")
    if isinstance(params, dict):
        w.write(0, "Parameters:\n")
        if params.get("apiGroup") is not None:
            w.write(1, f"APIGroup:\t{params['apiGroup']}\n")
        w.write(1, f"Kind:\t{params.get('kind', '')}\n")
        w.write(1, f"Name:\t{params.get('name', '')}\n")
    _describe_events(w, ctx.events(ic), ctx.now())
    return w.text()


def is_default(ic: Obj) -> bool:
    return (ic["metadata"].get("annotations") or {}).get(DEFAULT_CLASS_ANNOTATION) == "true"


INGRESSCLASS = REGISTRY.register(KindInfo(
    kind="IngressClass", group="networking.k8s.io", version="v1", plural="ingressclasses", namespaced=False,
    default=_default, validate=_validate, has_status=False, columns=("NAME", "CONTROLLER", "PARAMETERS", "AGE"),
    row=_row, describe=_describe,
))
