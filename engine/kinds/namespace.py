"""Namespace (v1, cluster-scoped)."""

from __future__ import annotations

from ..printers.describe import describe_namespace
from ..printers.tables import NAMESPACE_COLUMNS, namespace_row
from . import validation as v
from .limitrange import namespace_section as limits_section
from .registry import REGISTRY, DescribeContext, FieldErrors, Health, KindInfo, Obj
from .resourcequota import namespace_section as quotas_section

BUILT_IN = ("default", "kube-system", "kube-public", "kube-node-lease")


def _default(ns: Obj) -> None:
    # The API server labels every namespace with its own name (since 1.21) and adds the finalizer that the
    # namespace controller removes once the namespace is empty.
    meta = ns.setdefault("metadata", {})
    meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = meta.get("name", "")
    spec = ns.setdefault("spec", {})
    given = spec.get("finalizers")
    if not isinstance(given, list):
        spec["finalizers"] = ["kubernetes"]
    elif "kubernetes" not in given:
        spec["finalizers"] = [*given, "kubernetes"]
    ns.setdefault("status", {}).setdefault("phase", "Active")


def _validate(ns: Obj, old: Obj | None) -> FieldErrors:
    return v.finalizers("spec.finalizers", (ns.get("spec") or {}).get("finalizers"))


def _health(ns: Obj) -> Health:
    if (ns.get("status") or {}).get("phase") == "Terminating":
        return Health("Progressing", "Namespace is terminating")
    return Health("Healthy")


def _describe(ns: Obj, ctx: DescribeContext) -> str:
    name = ns["metadata"]["name"]
    return describe_namespace(ns, ctx.now(), quotas_section(list(ctx.list("resourcequotas", name))),
                              limits_section(list(ctx.list("limitranges", name))))


NAMESPACE = REGISTRY.register(KindInfo(
    kind="Namespace", group="", version="v1", plural="namespaces", namespaced=False, short_names=("ns",),
    default=_default, validate=_validate,
    columns=NAMESPACE_COLUMNS, row=namespace_row, describe=_describe, health=_health,
    name_rule="label",
    generation_tracks_spec=False,
))
