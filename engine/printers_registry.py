"""`kubectl get` tables and `kubectl describe` text for any registered kind."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .kinds import KindInfo
from .printers import (
    describe_deployment,
    describe_generic,
    describe_namespace,
    describe_node,
    describe_pod,
    describe_replicaset,
    generic_row,
)
from .printers.describe_services import describe_configmap, describe_endpoints, describe_secret, describe_service
from .printers.tables import GENERIC_COLUMNS

if TYPE_CHECKING:
    from .cluster import Cluster

Obj = dict[str, Any]


def row_for(info: KindInfo, obj: Obj, now: float, wide: bool = False) -> list[str]:
    if wide and info.wide_row is not None:
        return info.wide_row(obj, now)
    return (info.row or generic_row)(obj, now)


def columns_for(info: KindInfo, wide: bool = False) -> list[str]:
    if wide and info.wide_columns:
        return list(info.wide_columns)
    return list(info.columns if info.row is not None else GENERIC_COLUMNS)


def table_for(info: KindInfo, objs: list[Obj], now: float, wide: bool = False,
              all_namespaces: bool = False) -> tuple[list[str], list[list[str]]]:
    """Column names and rows as `kubectl get` prints them (`-A` adds NAMESPACE first)."""
    columns = columns_for(info, wide)
    rows = [row_for(info, obj, now, wide) for obj in objs]
    if all_namespaces and info.namespaced:
        columns = ["NAMESPACE", *columns]
        rows = [[obj["metadata"].get("namespace", ""), *row] for obj, row in zip(objs, rows, strict=True)]
    return columns, rows


def describe_object(cluster: Cluster, info: KindInfo, obj: Obj) -> str:
    now = cluster.now()
    events = cluster.events(involved=obj)
    store = cluster.store
    uid = obj["metadata"].get("uid", "")
    if info.kind == "Pod":
        decision = None
        if not (obj.get("spec") or {}).get("nodeName"):
            decision = cluster.components.scheduler.explain_pod(obj)
        return describe_pod(obj, events, now, decision)
    if info.kind == "Deployment":
        return describe_deployment(obj, store.dependents(uid, "replicasets.apps"), events, now)
    if info.kind == "ReplicaSet":
        return describe_replicaset(obj, store.dependents(uid, "pods"), events, now)
    if info.kind == "Node":
        name = obj["metadata"]["name"]
        pods = [p for p in store.iter("pods") if (p.get("spec") or {}).get("nodeName") == name]
        return describe_node(obj, pods, events, now)
    if info.kind == "Namespace":
        return describe_namespace(obj, now)
    if info.kind == "Service":
        meta = obj["metadata"]
        return describe_service(obj, store.get("endpoints", meta.get("namespace", ""), meta["name"]), events, now)
    if info.kind == "Endpoints":
        return describe_endpoints(obj, events, now)
    if info.kind == "ConfigMap":
        return describe_configmap(obj, events, now)
    if info.kind == "Secret":
        return describe_secret(obj)
    return describe_generic(obj, events, now)
