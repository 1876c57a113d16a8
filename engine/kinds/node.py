"""Node (v1, cluster-scoped). Nodes are registered by their simulated kubelets, as in a real cluster."""

from __future__ import annotations

from ..printers.describe import describe_node
from ..printers.tables import NODE_COLUMNS, NODE_WIDE_COLUMNS, node_row, node_row_wide
from .registry import REGISTRY, DescribeContext, Health, KindInfo, Obj


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
    describe=_describe,
))
