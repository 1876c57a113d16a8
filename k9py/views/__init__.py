"""One view per file; `build_view` turns a `ViewSpec` into the widget that shows it.

Every module here is imported, and every view class with a `view_name` of its own registers itself (`VIEWS`), with
its keys: a new view is a new file, and nothing else changes. A table view names the kind it is the view of
(`FOR_KIND`); every other kind gets the generic table.
"""

from __future__ import annotations

import importlib
import pkgutil

from textual.widget import Widget

from ..backend import Backend
from ..keys import Key
from ..theme import Theme
from .base import REGISTRY
from .spec import ViewSpec

VIEWS: dict[str, type[Widget]] = REGISTRY


def table_spec(kind: str, namespace: str | None) -> ViewSpec:
    """The table view of `kind`: its own if it has one (`FOR_KIND`), else the generic one."""
    view = next((name for name, cls in VIEWS.items() if getattr(cls, "FOR_KIND", "") == kind), "generic")
    return ViewSpec(view=view, kind=kind, namespace=namespace)


def build_view(spec: ViewSpec, backend: Backend, skin: Theme) -> Widget:
    return VIEWS[spec.view](spec, backend, skin)  # type: ignore[call-arg]


def crumb(spec: ViewSpec) -> str:
    """What the crumbs line shows for `spec`."""
    return VIEWS[spec.view].crumb(spec)  # type: ignore[attr-defined]


def view_keys(view: str) -> tuple[Key, ...]:
    """The keys the view named `view` declares (the screen's global keys aside)."""
    return VIEWS[view].KEYS  # type: ignore[attr-defined,no-any-return]


for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["VIEWS", "ViewSpec", "build_view", "crumb", "table_spec", "view_keys"]
