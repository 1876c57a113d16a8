"""Node (v1, cluster-scoped). Nodes are registered by their simulated kubelets, as in a real cluster."""

from __future__ import annotations

import ipaddress
from typing import Any

from ..printers.describe import describe_node
from ..printers.tables import NODE_COLUMNS, NODE_WIDE_COLUMNS, node_row, node_row_wide
from . import validation as v
from .registry import REGISTRY, DescribeContext, FieldErrors, Health, KindInfo, Obj

TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"]
CIDR_MSG = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"


def _default(node: Obj) -> None:
    """SetDefaults_NodeSpec: podCIDRs follows a lone podCIDR."""
    spec = node.get("spec")
    if isinstance(spec, dict) and spec.get("podCIDR") and not spec.get("podCIDRs"):
        spec["podCIDRs"] = [spec["podCIDR"]]


def _valid_cidr(value: Any) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except (TypeError, ValueError):
        return False
    return isinstance(value, str) and "/" in value


def _validate(node: Obj, old: Obj | None) -> FieldErrors:
    """ValidateNode (pkg/apis/core/validation): pod CIDRs and taints."""
    spec = node.get("spec") or {}
    errors: FieldErrors = []
    for i, cidr in enumerate(spec.get("podCIDRs") or ()):
        if not _valid_cidr(cidr):
            errors.append(v.invalid(f"spec.podCIDRs[{i}]", cidr, CIDR_MSG))
    for i, taint in enumerate(spec.get("taints") or ()):
        # Upstream validates them under field.NewPath("metadata"), so its messages say metadata.taints[i].
        path = f"metadata.taints[{i}]"
        if not isinstance(taint, dict):
            errors.append(v.type_error(path, taint, "object"))
            continue
        errors.extend(v.qualified_name(f"{path}.key", taint.get("key")))
        errors.extend(v.one_of(f"{path}.effect", taint.get("effect"), TAINT_EFFECTS))
    return errors


def ready_condition(node: Obj) -> Obj | None:
    for cond in (node.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return cond
    return None


def _health(node: Obj) -> Health:
    cond = ready_condition(node)
    if cond is None:
        return Health("Progressing", "Node has not reported status yet")
    if cond.get("status") == "True":
        return Health("Healthy")
    return Health("Degraded", cond.get("message", "Node is not ready"))


def _describe(node: Obj, ctx: DescribeContext) -> str:
    name = node["metadata"]["name"]
    pods = [p for p in ctx.list("pods") if (p.get("spec") or {}).get("nodeName") == name]
    lease = ctx.get("leases.coordination.k8s.io", "kube-node-lease", name)
    return describe_node(node, pods, ctx.events(node), ctx.now(), lease)


NODE = REGISTRY.register(KindInfo(
    kind="Node", group="", version="v1", plural="nodes", namespaced=False, short_names=("no",),
    columns=NODE_COLUMNS, row=node_row, wide_columns=NODE_WIDE_COLUMNS, wide_row=node_row_wide, health=_health,
    describe=_describe, default=_default, validate=_validate,
))
