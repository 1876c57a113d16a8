"""Drift of a watched folder's object, judged by server-side apply and field ownership.

A folder sync applies each document by server-side apply under the `k9py` field manager, forced (apply.py). So an
object is OutOfSync, as Argo CD's server-side diff decides it, when applying its document again would change it:
the document is applied in dry-run, and the object that apply would store is compared with the live one. On top
of that, a field the document declares that `k9py` no longer owns is drift even where the value matches: another
manager took it (`kubectl scale` to 5 and back to 3 leaves `kubectl` owning `spec.replicas`), so dropping it from
the file would no longer remove it.

What this makes right by construction, since the comparison goes through the API's own apply:
- defaults and fields controllers set are never drift (the dry-run keeps them, as the real apply would);
- values the API normalises (a quantity `0.5` stored as `500m`, a Secret's `stringData`) are compared as stored;
- lists merge as server-side apply merges them: a container another manager added is not drift, a field `k9py`
  applied before and the document no longer declares is (the apply would remove it), unless another manager
  owns it too.

Each difference names its owners, as a 409 conflict names them. When the dry-run itself is refused (an immutable
field someone changed by re-creating the object), the client-side comparison of diff.py is the fallback.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from typing import Any

from ..api import Api
from ..errors import ApiError
from ..fieldmanager import describe_manager, fieldpath, type_for
from ..fieldmanager.managed import identity, stripped
from ..fieldmanager.schema import TypeNode
from ..fieldmanager.typed import TypedError, compare, item_element
from ..kinds import REGISTRY
from ..kinds.hpa_v1 import as_stored
from .apply import FIELD_MANAGER, server_side_apply
from .diff import FieldDiff, PathPart, Select, diff, format_path
from .hpa_owned import respecting_hpa, without_hpa_fields

__all__ = ["applied_fields", "drift", "predicted_drift"]

Obj = dict[str, Any]
FieldSet = dict[str, Any]
_ABSENT: Any = object()
_STATUS = frozenset({"status"})
log = logging.getLogger("engine.manifests")


def applied_fields(obj: Obj | None, manager: str = FIELD_MANAGER) -> FieldSet | None:
    """The fields `manager` owns by its last apply of `obj` (its `Apply` entry's fieldsV1); None without one."""
    for entry in (obj or {}).get("metadata", {}).get("managedFields") or ():
        if entry.get("manager") == manager and entry.get("operation") == "Apply" and not entry.get("subresource"):
            fields = entry.get("fieldsV1")
            return fields if isinstance(fields, dict) else {}
    return None


@contextlib.contextmanager
def _random_kept(api: Api) -> Iterator[None]:
    """A dry-run may allocate (a Service's node port when its type changes) from the cluster's seeded random
    generator; looking at drift must not change what the cluster does next."""
    state = api.rng.getstate()
    try:
        yield
    finally:
        api.rng.setstate(state)


def drift(api: Api, declared: Obj, live: Obj | None, namespace: str, manager: str = FIELD_MANAGER
          ) -> list[FieldDiff]:
    """How `live` differs from what applying `declared` (as `manager`, forced) would make of it; [] when Synced.
    An HPA's `spec.replicas` is never drift (hpa_owned.py)."""
    declared = respecting_hpa(api.store, as_stored(declared), live)
    return without_hpa_fields(api.store, live, _drift(api, declared, live, namespace, manager))


def _drift(api: Api, declared: Obj, live: Obj | None, namespace: str, manager: str) -> list[FieldDiff]:
    info = REGISTRY.by_kind(str(declared.get("kind", "")))
    if live is None or info is None:
        return diff(declared, live)
    try:
        with _random_kept(api):
            predicted = server_side_apply(api, declared, namespace, manager=manager, dry_run=True)
        return predicted_drift(declared, live, predicted, manager)
    except (ApiError, TypedError):  # the dry-run apply is refused (or a value cannot be keyed, which it refuses)
        return diff(declared, live)
    except Exception:  # a bug here must never stop what asks (the dashboard, every second): say so, and compare
        log.exception("drift of %s %s by server-side apply failed", info.kind, (declared.get("metadata") or {})
                      .get("name"))
        return diff(declared, live)


def predicted_drift(declared: Obj, live: Obj, predicted: Obj, manager: str = FIELD_MANAGER) -> list[FieldDiff]:
    """How `live` differs from `predicted`, what a dry-run apply of `declared` as `manager` answered (this engine's,
    or a real API server's `dryRun=All`), plus the declared fields `manager` would take back; each names its
    owners. A value that cannot be keyed (a list item without its key) is compared client-side (diff.py)."""
    info = REGISTRY.by_kind(str(declared.get("kind", "")))
    if info is None:
        return diff(declared, live)
    t = type_for(info.api_version, info.kind)
    try:
        return _Differ(t, declared, live, predicted).run(
            compare(stripped(live), stripped(predicted), t, _STATUS if info.has_status else frozenset()),
            fieldpath.difference(applied_fields(predicted, manager) or {}, applied_fields(live, manager) or {}))
    except TypedError:
        return diff(declared, live)


class _Differ:
    def __init__(self, t: TypeNode, declared: Obj, live: Obj, predicted: Obj) -> None:
        self.t = t
        self.declared = declared
        self.live = live
        self.predicted = predicted
        self.entries = [e for e in live.get("metadata", {}).get("managedFields") or () if isinstance(e, dict)]

    def run(self, cmp: Any, taken: FieldSet) -> list[FieldDiff]:
        out: list[FieldDiff] = []
        changed = fieldpath.union(fieldpath.union(cmp.modified, cmp.added), cmp.removed)
        shown: list[tuple[str, ...]] = []
        for path in _topmost(changed):
            kind = "missing" if fieldpath.has(cmp.added, path) else "extra" if fieldpath.has(cmp.removed, path) \
                else "changed"
            out.append(self._field(path, kind))
            shown.append(path)
        for path in _topmost(taken):
            if not any(path[:len(p)] == p for p in shown):
                out.append(self._field(path, "taken"))
        return out

    def _field(self, path: tuple[str, ...], kind: str) -> FieldDiff:
        live = _value(self.live, path, self.t)
        predicted = _value(self.predicted, path, self.t)
        # What the user wrote reads best (`cpu: "0.5"`, not the stored `500m`); what the apply stores otherwise.
        declared = _value(self.declared, path, self.t)
        if declared is _ABSENT:
            declared = predicted
        return FieldDiff(
            format_path(_parts(path, (self.declared, self.live, self.predicted), self.t)),
            None if kind == "extra" or declared is _ABSENT else declared,
            None if live is _ABSENT else live,
            kind,  # type: ignore[arg-type]
            tuple(describe_manager(identity(e)) for e in self.entries if _owns(e.get("fieldsV1"), path)))


def _topmost(fields: FieldSet) -> Iterator[tuple[str, ...]]:
    """The members of `fields` that are not below another member (a whole missing container, not its fields)."""
    last: tuple[str, ...] | None = None
    for path in fieldpath.members(fields):
        if last is not None and path[:len(last)] == last:
            continue
        last = path
        yield path


def _owns(fields: Any, path: tuple[str, ...]) -> bool:
    """Whether a manager's set holds the field at `path` or anything below it."""
    node = fields
    for element in path:
        if not isinstance(node, dict):
            return False
        node = node.get(element)
    return node is not None


def _item(items: list[Any], element: str, t: TypeNode) -> Any:
    for index, item in enumerate(items):
        try:
            if item_element(t, item, index) == element:
                return item
        except TypedError:
            continue
    return _ABSENT


def _value(obj: Any, path: tuple[str, ...], t: TypeNode) -> Any:
    """The value at a field path (`f:`/`k:`/`v:`/`i:` elements), or _ABSENT."""
    node: Any = obj
    for element in path:
        if element.startswith("f:"):
            if not isinstance(node, dict) or element[2:] not in node:
                return _ABSENT
            node, t = node[element[2:]], t.field(element[2:])
        else:
            if not isinstance(node, list):
                return _ABSENT
            node, t = _item(node, element, t), t.elem()
            if node is _ABSENT:
                return _ABSENT
    return node


def _parts(path: tuple[str, ...], sides: tuple[Any, ...], t: TypeNode) -> list[PathPart]:
    """A field path in diff.py's syntax: `spec.template.spec.containers[name=web].image`. A keyed list item is
    named by the key the document's own item has (so write-back finds it in the file), `name` first."""
    parts: list[PathPart] = []
    nodes = list(sides)
    for element in path:
        if element.startswith("f:"):
            name = element[2:]
            parts.append(name)
            nodes = [n.get(name, _ABSENT) if isinstance(n, dict) else _ABSENT for n in nodes]
            t = t.field(name)
            continue
        items = [n if isinstance(n, list) else [] for n in nodes]
        found = [_item(i, element, t) for i in items]
        parts.append(_list_part(element, items, found))
        nodes, t = found, t.elem()
    return parts


def _list_part(element: str, lists: list[list[Any]], found: list[Any]) -> PathPart:
    if element.startswith("i:"):
        return int(element[2:])
    for items, item in zip(lists, found, strict=True):
        if item is _ABSENT:
            continue
        if element.startswith("k:") and isinstance(item, dict):
            # The key fields this side's item has (the document's may leave out a defaulted `protocol`).
            for key in sorted((k for k in json.loads(element[2:]) if k in item), key=lambda k: (k != "name", k)):
                value = item[key]
                if isinstance(value, (str, int)) and not isinstance(value, bool) and sum(
                        1 for other in items if isinstance(other, dict) and other.get(key) == value) == 1:
                    return Select(key, str(value))
        return next(i for i, other in enumerate(items) if other is item)
    return 0  # not on any side: cannot happen for a member of a comparison of two of them
