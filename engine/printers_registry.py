"""`kubectl get` tables and `kubectl describe` text for any registered kind, from what the kind declares."""

from __future__ import annotations

from typing import Any

from .kinds import KindInfo
from .kinds.registry import DescribeContext
from .printers import describe_generic, generic_row
from .printers.tables import GENERIC_COLUMNS

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


def describe_object(ctx: DescribeContext, info: KindInfo, obj: Obj) -> str:
    if info.describe is not None:
        return info.describe(obj, ctx)
    return describe_generic(obj, ctx.events(obj), ctx.now())
