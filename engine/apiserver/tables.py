"""meta.k8s.io/v1 Table answers (`kubectl get`) built from the engine's own printers.

The server always sends the full `-o wide` columns; the ones plain `kubectl get` leaves out have priority 1
and kubectl drops them unless asked for `-o wide`, as with kube-apiserver. kubectl adds NAMESPACE (`-A`) and
LABELS (`--show-labels`) itself, from each row's object metadata.
"""

from __future__ import annotations

from typing import Any

from ..errors import bad_request
from ..kinds import KindInfo
from ..printers_registry import columns_for, row_for

Obj = dict[str, Any]
TABLE_VERSION = "meta.k8s.io/v1"
# Upstream's spelling of column names the engine prints upper-case (kubectl upper-cases them back).
_WORDS = {"IP": "IP", "OS": "OS", "PORT(S)": "Port(s)"}
INCLUDE_OBJECT = ("None", "Metadata", "Object")


def column_name(header: str) -> str:
    """`NOMINATED NODE` → `Nominated Node`, `UP-TO-DATE` → `Up-to-date`, `CLUSTER-IP` → `Cluster-IP`."""
    words = []
    for word in header.split(" "):
        parts = word.split("-")
        parts = [_WORDS.get(p, p.capitalize() if i == 0 else p.lower()) for i, p in enumerate(parts)]
        words.append("-".join(parts))
    return " ".join(words)


def column_definitions(info: KindInfo) -> list[Obj]:
    wide = columns_for(info, wide=True)
    plain = columns_for(info, wide=False)
    definitions = []
    shown = 0  # the plain columns are a subsequence of the wide ones: match them in order
    for header in wide:
        priority = 1
        if shown < len(plain) and plain[shown] == header:
            priority = 0
            shown += 1
        definitions.append({"name": column_name(header), "type": "string", "format": "name" if header == "NAME" else "",
                            "description": "", "priority": priority})
    return definitions


def include_object(value: str | None) -> str:
    value = value or "Metadata"
    if value not in INCLUDE_OBJECT:
        raise bad_request(f'includeObject: Unsupported value: "{value}": supported values: "Metadata", "None", '
                          '"Object"')
    return value


def _row_object(obj: Obj, include: str) -> Obj | None:
    if include == "None":
        return None
    if include == "Object":
        return obj
    return {"kind": "PartialObjectMetadata", "apiVersion": TABLE_VERSION, "metadata": obj.get("metadata", {})}


def table(info: KindInfo, objs: list[Obj], now: float, list_meta: Obj, include: str = "Metadata",
          headers: bool = True) -> Obj:
    """A Table of `objs`; `headers` False leaves the column definitions out (every watch event after the first,
    as kube-apiserver does)."""
    rows = []
    for obj in objs:
        row: Obj = {"cells": row_for(info, obj, now, wide=True)}
        shown = _row_object(obj, include)
        if shown is not None:
            row["object"] = shown
        rows.append(row)
    return {"kind": "Table", "apiVersion": TABLE_VERSION, "metadata": list_meta,
            "columnDefinitions": column_definitions(info) if headers else [], "rows": rows}
