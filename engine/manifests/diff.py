"""Field differences between a manifest and a live object, and the field path syntax drift and write-back share.

A watched folder's drift is judged by server-side apply and field ownership (drift.py); this comparison is what
it falls back on for an object that is missing, or whose dry-run apply is refused. It answers "what would
client-side `kubectl apply` change" (`manifests/apply.py`'s `apply_object`): a three-way merge where fields nobody
declared are kept, fields dropped from the document since the last apply are removed, and lists are replaced
whole and re-defaulted. So:

- only fields the user declared are compared; status, server-set metadata and controller annotations never are;
- a field the user left out is not drift, even if live differs from its default (an HPA owning `replicas` is not
  drift), unless it sits inside a declared list item: apply replaces that item and re-defaults it, so a live value
  that differs from the default (or a live-only field there) *is* drift;
- extra live items in a declared list are drift, and so are fields the live object's last-applied annotation says
  were declared before but the document no longer declares (apply would delete them);
- defaults never show as drift (the false OutOfSync of argo-cd#15898): the declared document is defaulted with
  the kind's own defaulting before it is compared;
- quantities compare by value (`"1"` cpu is `1000m`), other scalars strictly (`3` is not `"3"`).

Field paths use the syntax `spec.template.spec.containers[name=web].image`, shared with `writeback`: `.key`,
`[0]` list indexes, `[key=value]` selectors for lists of mappings, and `["a.b/c"]` for keys that contain dots.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import Any, Literal

import attrs

from ..errors import ApiError
from ..kinds import REGISTRY
from ..quantity import canonical_quantity, parse_quantity

__all__ = [
    "FieldDiff",
    "PathPart",
    "Select",
    "diff",
    "format_diff",
    "format_path",
    "parse_path",
    "sync_status",
]

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
# Set by the API server on every object; never the user's to declare (`kubectl get -o yaml` exports them).
SERVER_METADATA = frozenset({
    "uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "deletionTimestamp",
    "deletionGracePeriodSeconds", "ownerReferences", "selfLink",
})
# Written by the server or by controllers; an exported manifest may carry them, but they are not the user's.
SERVER_ANNOTATIONS = frozenset({
    LAST_APPLIED,
    "deployment.kubernetes.io/revision",
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
})
SERVER_LABELS = frozenset({"kubernetes.io/metadata.name", "pod-template-hash", "controller-revision-hash"})
# Fields inside a declared list item that the API server allocates when they are left out, and keeps on every
# update that leaves them out (a Service port's nodePort): not drift.
SERVER_ALLOCATED = frozenset({"nodePort"})
TOP_LEVEL_IGNORED = frozenset({"apiVersion", "kind", "status"})
# Keys that identify an item in a list of mappings, tried in order (containers/env/volumes, ports, mounts).
MERGE_KEYS = ("name", "containerPort", "mountPath", "devicePath")
# Maps whose values are resource quantities (ResourceRequirements, ResourceQuota, LimitRange, node capacity).
QUANTITY_MAPS = frozenset({
    "requests", "limits", "hard", "used", "capacity", "allocatable", "overhead", "default", "defaultRequest",
    "min", "max", "maxLimitRequestRatio",
})
QUANTITY_FIELDS = frozenset({"sizeLimit"})

# "taken": live holds the declared value, but another manager has taken the field from k9py (see drift.py)
DiffKind = Literal["changed", "missing", "extra", "taken"]


@attrs.frozen
class Select:
    """A `[key=value]` path part: the one item of a list of mappings whose `key` is `value`."""

    key: str
    value: str

    def __str__(self) -> str:
        return f"[{self.key}={_quote_selector(self.value)}]"


PathPart = str | int | Select


@attrs.frozen
class FieldDiff:
    """One field where live differs from declared. `declared`/`live` are None when that side lacks the field."""

    path: str
    declared: Any
    live: Any
    kind: DiffKind  # "changed": both have it; "missing": only declared; "extra": only live
    # Who owns the field in the live object's managedFields, as a 409 conflict names them
    # (`"kubectl" with subresource "scale" using apps/v1`); empty when the diff does not know.
    owners: tuple[str, ...] = ()


# --- field paths ---------------------------------------------------------------------------------------------

_PLAIN_KEY = re.compile(r"[A-Za-z0-9_\-/:$@+~]+")
_PLAIN_SELECTOR_VALUE = re.compile(r"[^\s\]\"'=\\][^\]\"'=\\]*(?<!\s)")


def _quote_selector(value: str) -> str:
    return value if _PLAIN_SELECTOR_VALUE.fullmatch(value) else json.dumps(value, ensure_ascii=False)


def format_path(parts: Iterable[PathPart]) -> str:
    """The text form of a parsed path; `parse_path(format_path(p)) == p` for every path."""
    out: list[str] = []
    for part in parts:
        if isinstance(part, Select):
            out.append(str(part))
        elif isinstance(part, int):
            out.append(f"[{part}]")
        elif _PLAIN_KEY.fullmatch(part):
            out.append(f".{part}" if out else part)
        else:
            out.append(f"[{json.dumps(part, ensure_ascii=False)}]")
    return "".join(out)


def _read_quoted(text: str, pos: int) -> tuple[str, int]:
    """A JSON or single-quoted string starting at `pos`; returns (value, position after it)."""
    quote = text[pos]
    if quote == '"':
        try:
            value, end = json.JSONDecoder().raw_decode(text, pos)
        except ValueError:
            raise ValueError(f"unterminated or invalid quoted string at column {pos + 1}") from None
        return str(value), end
    end = pos + 1
    chars: list[str] = []
    while True:
        if end >= len(text):
            raise ValueError(f"unterminated quoted string at column {pos + 1}")
        if text[end] == "'":
            if text[end + 1: end + 2] == "'":
                chars.append("'")
                end += 2
                continue
            return "".join(chars), end + 1
        chars.append(text[end])
        end += 1


def parse_path(path: str) -> list[PathPart]:
    """`spec.containers[name=web].image` -> ["spec", "containers", Select("name", "web"), "image"].

    Keys may escape `.`, `[`, `]` and `\\` with a backslash, or be written `["app.kubernetes.io/name"]`.
    Raises ValueError with the column of the problem.
    """
    parts: list[PathPart] = []
    pos, n = 0, len(path)
    expect_key = True  # at the start, or right after a `.`
    while pos < n:
        ch = path[pos]
        if ch == "[":
            close = pos + 1
            if close < n and path[close] in "\"'":
                key, close = _read_quoted(path, close)
                if close >= n or path[close] != "]":
                    raise ValueError(f"expected ']' at column {close + 1} of {path!r}")
                parts.append(key)
                pos = close + 1
            else:
                end = close
                while end < n and path[end] not in "=]":
                    end += 1
                if end >= n:
                    raise ValueError(f"unclosed '[' at column {pos + 1} of {path!r}")
                inner = path[close:end].strip()
                if path[end] == "]":
                    if not inner.isdigit():
                        raise ValueError(f"a list index must be a number or key=value, got [{inner}] in {path!r}")
                    parts.append(int(inner))
                    pos = end + 1
                else:
                    if not inner:
                        raise ValueError(f"a selector needs a key before '=' at column {end + 1} of {path!r}")
                    value_start = end + 1
                    while value_start < n and path[value_start] == " ":
                        value_start += 1
                    if value_start < n and path[value_start] in "\"'":
                        value, value_end = _read_quoted(path, value_start)
                        while value_end < n and path[value_end] == " ":
                            value_end += 1
                    else:
                        value_end = value_start
                        while value_end < n and path[value_end] != "]":
                            value_end += 1
                        value = path[value_start:value_end].strip()
                    if value_end >= n or path[value_end] != "]":
                        raise ValueError(f"expected ']' at column {value_end + 1} of {path!r}")
                    parts.append(Select(inner, value))
                    pos = value_end + 1
            expect_key = False
            continue
        if ch == ".":
            if expect_key:
                raise ValueError(f"empty key at column {pos + 1} of {path!r}")
            expect_key = True
            pos += 1
            continue
        if not expect_key:
            raise ValueError(f"expected '.' or '[' at column {pos + 1} of {path!r}")
        chars: list[str] = []
        while pos < n and path[pos] not in ".[":
            if path[pos] == "]":
                raise ValueError(f"unexpected ']' at column {pos + 1} of {path!r}")
            if path[pos] == "\\" and pos + 1 < n:
                pos += 1
            chars.append(path[pos])
            pos += 1
        parts.append("".join(chars))
        expect_key = False
    if expect_key:
        raise ValueError(f"path {path!r} is empty or ends with '.'" if path else "the field path is empty")
    return parts


# --- comparison ----------------------------------------------------------------------------------------------


class _Absent:
    """The field is not there at all (distinct from an explicit null)."""

    def __repr__(self) -> str:
        return "<absent>"


ABSENT: Any = _Absent()


def _as_quantity(value: Any) -> Fraction | None:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    try:
        return parse_quantity(value)
    except ValueError:
        return None


def _is_quantity(parts: Sequence[PathPart]) -> bool:
    if not parts or not isinstance(parts[-1], str):
        return False
    return parts[-1] in QUANTITY_FIELDS or (len(parts) >= 2 and parts[-2] in QUANTITY_MAPS)


def _stored_alike(a: Any, b: Any) -> bool:
    """The API server rounds a resource list's quantities up to a milli-unit as it stores them (`1e-7` is stored
    as `1e-3`): a declared value that rounds to the live one is what was applied, not drift."""
    try:
        return canonical_quantity(a, resource_list=True) == canonical_quantity(b, resource_list=True)
    except ValueError:
        return False


def _scalar_equal(a: Any, b: Any, quantity: bool) -> bool:
    if quantity:
        qa, qb = _as_quantity(a), _as_quantity(b)
        if qa is not None and qb is not None:
            return qa == qb or _stored_alike(a, b)
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b  # JSON has one number type: 3 and 3.0 are the same number
    return type(a) is type(b) and a == b


def _equal(a: Any, b: Any, parts: list[PathPart]) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_equal(a[k], b[k], [*parts, k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(
            _equal(x, y, [*parts, i]) for i, (x, y) in enumerate(zip(a, b, strict=True)))
    if isinstance(b, (dict, list)):
        return False
    return _scalar_equal(a, b, _is_quantity(parts))


def _merge_key(items: list[Any]) -> str | None:
    """The key that names every item of a declared list of mappings uniquely, if there is one."""
    if not items or not all(isinstance(item, dict) for item in items):
        return None
    for key in MERGE_KEYS:
        values = [item.get(key) for item in items]
        if all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in values) and \
                len({str(v) for v in values}) == len(values):
            return key
    return None


def _ignored(parts: list[PathPart], key: Any) -> bool:
    if not parts:
        return key in TOP_LEVEL_IGNORED
    if parts[-1] == "metadata":
        # The top-level namespace is identity, not content (apply records the defaulted namespace, too).
        return key in SERVER_METADATA or (len(parts) == 1 and key == "namespace")
    if len(parts) >= 2 and parts[-2] == "metadata":
        if parts[-1] == "annotations":
            return key in SERVER_ANNOTATIONS
        if parts[-1] == "labels":
            return key in SERVER_LABELS
    return False


class _Walker:
    def __init__(self) -> None:
        self.out: list[FieldDiff] = []

    def report(self, parts: list[PathPart], declared: Any, live: Any, kind: DiffKind) -> None:
        self.out.append(FieldDiff(
            format_path(parts),
            None if declared is ABSENT else copy.deepcopy(declared),
            None if live is ABSENT else copy.deepcopy(live),
            kind,
        ))

    def walk(self, parts: list[PathPart], raw: Any, dflt: Any, live: Any, last: Any, in_list: bool) -> None:
        """`raw`: what the user wrote; `dflt`: the same after defaulting; `last`: the last-applied document.

        `in_list`: inside a declared list item, which apply replaces whole, so undeclared fields count there.
        """
        if raw is ABSENT:
            self._undeclared(parts, dflt, live, last, in_list)
            return
        if live is ABSENT:
            if raw is not None:  # a declared null is the same as leaving the field out
                self.report(parts, raw, ABSENT, "missing")
            return
        if isinstance(raw, dict):
            if not isinstance(live, dict):
                self.report(parts, raw, live, "changed")
                return
            self._mapping(parts, raw, dflt, live, last, in_list)
        elif isinstance(raw, list):
            if not isinstance(live, list):
                self.report(parts, raw, live, "changed")
                return
            self._list(parts, raw, dflt, live)
        elif isinstance(live, (dict, list)) or not _scalar_equal(raw, live, _is_quantity(parts)):
            self.report(parts, raw, live, "changed")

    def _mapping(self, parts: list[PathPart], raw: dict[str, Any], dflt: Any, live: dict[str, Any], last: Any,
                 in_list: bool) -> None:
        dflt = dflt if isinstance(dflt, dict) else raw
        last = last if isinstance(last, dict) else {}
        keys = list(raw)
        seen = set(keys)
        extra_sources: list[Iterable[str]] = [dflt, last]
        if in_list:
            extra_sources.append(live)
        for source in extra_sources:
            for key in source:
                if key not in seen:
                    seen.add(key)
                    keys.append(key)
        for key in keys:
            if _ignored(parts, key):
                continue
            self.walk([*parts, key], raw.get(key, ABSENT), dflt.get(key, ABSENT), live.get(key, ABSENT),
                      last.get(key, ABSENT), in_list)

    def _undeclared(self, parts: list[PathPart], dflt: Any, live: Any, last: Any, in_list: bool) -> None:
        if live is ABSENT:
            return
        if not in_list:
            # Apply keeps fields nobody declared; it removes only those declared last time and dropped since.
            if last is not ABSENT:
                self.report(parts, ABSENT, live, "extra")
            return
        if dflt is ABSENT:
            if not (parts and parts[-1] in SERVER_ALLOCATED):
                self.report(parts, ABSENT, live, "extra")
        elif isinstance(dflt, dict) and isinstance(live, dict):
            for key in dict.fromkeys([*dflt, *live]):
                self._undeclared([*parts, key], dflt.get(key, ABSENT), live.get(key, ABSENT), ABSENT, True)
        elif not _equal(dflt, live, parts):
            self.report(parts, dflt, live, "changed")

    def _list(self, parts: list[PathPart], raw: list[Any], dflt: Any, live: list[Any]) -> None:
        dflt_items = dflt if isinstance(dflt, list) and len(dflt) == len(raw) else raw
        key = _merge_key(raw)
        if key is not None and all(isinstance(item, dict) for item in live):
            live_by_name: dict[str, Any] = {}
            for item in live:
                if key in item:
                    live_by_name.setdefault(str(item[key]), item)
            declared_names = set()
            for item, dflt_item in zip(raw, dflt_items, strict=True):
                name = str(item[key])
                declared_names.add(name)
                self.walk([*parts, Select(key, name)], item, dflt_item, live_by_name.get(name, ABSENT), ABSENT,
                          True)
            for i, item in enumerate(live):
                name = item.get(key)
                if name is None:
                    self.report([*parts, i], ABSENT, item, "extra")
                elif str(name) not in declared_names:
                    self.report([*parts, Select(key, str(name))], ABSENT, item, "extra")
            return
        for i, item in enumerate(raw):
            self.walk([*parts, i], item, dflt_items[i], live[i] if i < len(live) else ABSENT, ABSENT, True)
        for i in range(len(raw), len(live)):
            self.report([*parts, i], ABSENT, live[i], "extra")


def _decoded(declared: dict[str, Any]) -> dict[str, Any]:
    """`declared` as the API server reads it (a Secret's stringData folded into data), the form it is stored in."""
    info = REGISTRY.by_kind(str(declared.get("kind", "")))
    if info is None or info.decode is None:
        return declared
    result = copy.deepcopy(declared)
    try:
        info.decode(result)
    except (ApiError, TypeError, ValueError, AttributeError):
        return declared  # the API refuses it; the diff compares what was written
    return result


def _defaulted(declared: dict[str, Any]) -> dict[str, Any]:
    """A copy of `declared` with the kind's API defaults filled in (unchanged for kinds the engine lacks)."""
    result = copy.deepcopy(declared)
    info = REGISTRY.by_kind(str(declared.get("kind", "")))
    if info is not None:
        try:
            info.default(result)
        except (TypeError, ValueError, AttributeError, KeyError):
            # A malformed document (which validation will reject) must still get a diff, just an undefaulted one.
            return copy.deepcopy(declared)
    return result


def _last_applied(live: dict[str, Any]) -> Any:
    annotations = (live.get("metadata") or {}).get("annotations") or {}
    text = annotations.get(LAST_APPLIED) if isinstance(annotations, dict) else None
    if not isinstance(text, str):
        return ABSENT
    try:
        return json.loads(text)
    except ValueError:
        return ABSENT


def diff(declared: dict[str, Any], live: dict[str, Any] | None) -> list[FieldDiff]:
    """Fields where `live` differs from what `declared` asks for, in the declared document's order."""
    walker = _Walker()
    if live is None:
        for key, value in declared.items():
            if key in TOP_LEVEL_IGNORED:
                continue
            if key == "metadata" and isinstance(value, dict):
                value = {k: v for k, v in value.items() if k not in SERVER_METADATA}
            walker.report([key], value, ABSENT, "missing")
        return walker.out
    declared = _decoded(declared)
    walker.walk([], declared, _defaulted(declared), live, _last_applied(live), False)
    return walker.out


def sync_status(declared: dict[str, Any], live: dict[str, Any] | None) -> str:
    """Argo CD's vocabulary: "Synced" when live matches everything declared, else "OutOfSync"."""
    if live is None:
        return "OutOfSync"
    return "OutOfSync" if diff(declared, live) else "Synced"


def _show(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _live_note(d: FieldDiff) -> str:
    if d.owners:
        return f"(live, managed by {' and '.join(d.owners)})"
    return "(live, not managed by k9py)" if d.kind == "taken" else "(live)"


def format_diff(diffs: Iterable[FieldDiff]) -> str:
    """One line per field: `spec.replicas: 3 → 5 (live)`, or with the field's owners `spec.replicas: 3 → 5 (live,
    managed by "kubectl" with subresource "scale" using apps/v1)`; empty when there is no drift."""
    lines = []
    for d in diffs:
        if d.kind == "missing":
            lines.append(f"{d.path}: {_show(d.declared)} → <missing> {_live_note(d)}")
        elif d.kind == "extra":
            lines.append(f"{d.path}: <not declared> → {_show(d.live)} {_live_note(d)}")
        else:
            lines.append(f"{d.path}: {_show(d.declared)} → {_show(d.live)} {_live_note(d)}")
    return "\n".join(lines)
