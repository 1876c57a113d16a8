"""Field sets as structured-merge-diff keeps them (sigs.k8s.io/structured-merge-diff/fieldpath), held directly in
their FieldsV1 wire form so that reading and writing `metadata.managedFields` costs nothing.

A set is a dict of path elements to child nodes. A path element is a string:
- `f:name` a field of a struct or a key of a map,
- `k:{"name":"web"}` an item of an associative list, by its key fields (sorted by name, JSON values),
- `v:"x"` an item of a set-like list of scalars, by its value,
- `i:3` an item of an atomic list, by index.
A child node `{}` is a member with nothing below it; a node with children is itself a member only when it holds
`".": {}` (listed first). The root is never a member. Every function here treats sets as immutable values: results
share untouched subtrees with their arguments, so nothing may mutate a set after it has been built.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from typing import Any

__all__ = [
    "EMPTY",
    "FieldSet",
    "difference",
    "element_string",
    "empty",
    "field",
    "has",
    "insert",
    "intersection",
    "key_element",
    "members",
    "path_string",
    "sorted_node",
    "sorted_set",
    "union",
    "value_element",
    "with_prefix",
]

FieldSet = dict[str, Any]
EMPTY: FieldSet = {}
MEMBER = "."


def _json(value: Any) -> str:
    # Go's encoding/json: no spaces, UTF-8 kept, and <, >, & escaped as the standard library does.
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def field(name: str) -> str:
    return "f:" + name


def key_element(keys: dict[str, Any]) -> str:
    """`k:{...}` with the key fields sorted by name (value.FieldList.Sort)."""
    # With each value's type: True, 1 and 1.0 are equal keys of a cache, not the same JSON.
    items = tuple((name, type(value), value) for name, value in sorted(keys.items()))
    try:
        return _key_text(items)
    except TypeError:  # a key field holding a list or a map: not hashable, and rare
        return "k:" + _json({name: value for name, _, value in items})


@functools.lru_cache(maxsize=65536)
def _key_text(items: tuple[tuple[str, type, Any], ...]) -> str:
    # The same few keys recur in every object (`{"name":"app"}`, `{"containerPort":80,"protocol":"TCP"}`).
    return "k:" + _json({name: value for name, _, value in items})


def value_element(value: Any) -> str:
    return "v:" + _json(value)


# --- ordering: PathElement.Compare (fields < keys < values < indices) ------------------------------------------

_TYPE_RANK = {type(None): 0, bool: 1, int: 2, float: 2, str: 3, list: 4, dict: 5}


def _value_key(value: Any) -> tuple[Any, ...]:
    """value.Compare: by type (null, bool, number, string, list, map), then by value."""
    rank = _TYPE_RANK.get(type(value), 6)
    if rank == 4:
        return (rank, tuple(_value_key(v) for v in value))
    if rank == 5:
        return (rank, tuple((k, _value_key(v)) for k, v in sorted(value.items())))
    return (rank, value)


@functools.lru_cache(maxsize=65536)
def _element_key(element: str) -> tuple[Any, ...]:
    kind, text = element[:1], element[2:]
    if kind == "f":
        return (0, text)
    if kind == "k":
        fields = json.loads(text)
        return (1, tuple((name, _value_key(fields[name])) for name in sorted(fields)))
    if kind == "v":
        return (2, _value_key(json.loads(text)))
    return (3, int(text)) if kind == "i" else (4, element)


def _sorted(children: dict[str, Any], member: bool) -> dict[str, Any]:
    """A node with its children in upstream's serialization order, "." first."""
    if len(children) < 2:
        ordered = list(children)
    elif all(name[:2] == "f:" for name in children):
        ordered = sorted(children)  # field names only (most nodes): their plain order is upstream's
    else:
        ordered = sorted(children, key=_element_key)
    if not member and ordered == list(children):
        return children  # already in order (a node just built, or read back as written): no copy
    if member:
        if not children:
            return {}
        out: dict[str, Any] = {MEMBER: {}}
        for name in ordered:
            out[name] = children[name]
        return out
    return {name: children[name] for name in ordered}


def _is_member(node: dict[str, Any]) -> bool:
    return not node or MEMBER in node


def _children(node: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in node.items() if k != MEMBER} if MEMBER in node else node


def sorted_node(children: dict[str, Any], member: bool) -> dict[str, Any]:
    """A node of `children` (each already in order) in upstream's order; with "." first when it is a member."""
    return _sorted(children, member)


def sorted_set(fields: FieldSet) -> FieldSet:
    """A set (for example one decoded from a request) in canonical order, recursively."""
    return _sort_children(fields)


def _sort_children(children: dict[str, Any]) -> dict[str, Any]:
    return _sorted({k: _sort_node(v) for k, v in children.items() if k != MEMBER}, False)


def _sort_node(node: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(node, dict) or not node:
        return {}
    return _sorted({k: _sort_node(v) for k, v in node.items() if k != MEMBER}, MEMBER in node)


# --- set algebra (fieldpath.Set Union / Difference / Intersection) ------------------------------------------

def empty(fields: FieldSet | None) -> bool:
    return not fields


def union(a: FieldSet, b: FieldSet) -> FieldSet:
    if a is b or not b:
        return a
    if not a:
        return b
    return _union_children(a, b)


def _union_children(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    added = False
    for name, node in b.items():
        current = out.get(name)
        if current is None:
            out[name] = node
            added = True
        elif current is not node:
            out[name] = _union_node(current, node)
    return _sorted(out, False) if added else out


def _union_node(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    a_member, b_member = _is_member(a), _is_member(b)
    a_kids, b_kids = _children(a), _children(b)
    if not b_kids:
        if a_member or not b_member:
            return a
        return _sorted(a_kids, True)
    if not a_kids and (b_member or not a_member):
        return b
    kids = _union_children(a_kids, b_kids)
    return _sorted(kids, a_member or b_member) if (a_member or b_member) else kids


def difference(a: FieldSet, b: FieldSet) -> FieldSet:
    """Members of `a` not in `b` (Set.Difference: a member of `b` does not take `a`'s children with it)."""
    if not a or not b:
        return a
    if a is b:
        return EMPTY
    return _difference_children(a, b)


def _difference_children(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    changed = False
    for name, node in a.items():
        other = b.get(name)
        if other is None:
            out[name] = node
            continue
        rest = _difference_node(node, other)
        if rest is not node:
            changed = True
        if rest is not None:
            out[name] = rest
    return out if changed else a


def _difference_node(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any] | None:
    if a is b:
        return None
    member = _is_member(a) and not _is_member(b)
    a_kids, b_kids = _children(a), _children(b)
    kids = _difference_children(a_kids, b_kids) if a_kids and b_kids else a_kids
    if member == _is_member(a) and kids is a_kids:
        return a
    if not kids:
        return {} if member else None
    return {MEMBER: {}, **kids} if member else kids


def intersection(a: FieldSet, b: FieldSet) -> FieldSet:
    if not a or not b:
        return EMPTY
    return _intersection_children(a, b)


def _intersection_children(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    for name, node in small.items():
        other = large.get(name)
        if other is None:
            continue
        both = _intersection_node(node, other)
        if both is not None:
            out[name] = both
    return _sorted(out, False) if small is not a else out


def _intersection_node(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any] | None:
    if a is b:
        return a
    member = _is_member(a) and _is_member(b)
    a_kids, b_kids = _children(a), _children(b)
    kids = _intersection_children(a_kids, b_kids) if a_kids and b_kids else {}
    if not kids:
        return {} if member else None
    return {MEMBER: {}, **kids} if member else kids


# --- building, querying, iterating --------------------------------------------------------------------------

def insert(fields: FieldSet, path: list[str] | tuple[str, ...]) -> None:
    """Add `path` as a member, in place: only for sets under construction (walkers), never for stored ones."""
    node = fields
    for element in path[:-1]:
        child = node.get(element)
        if child is None:
            child = node[element] = {}
        elif not child:  # a leaf member gains children: keep its membership
            child[MEMBER] = {}
        node = child
    last = path[-1]
    child = node.get(last)
    if child is None:
        node[last] = {}
    elif child and MEMBER not in child:
        child[MEMBER] = {}


def has(fields: FieldSet, path: list[str] | tuple[str, ...]) -> bool:
    node: dict[str, Any] | None = fields
    for element in path:
        node = node.get(element) if node is not None else None
        if node is None:
            return False
    return node is not None and _is_member(node)


def with_prefix(fields: FieldSet, element: str) -> FieldSet:
    """The subset below `element` (Set.WithPrefix), as a set rooted there."""
    node = fields.get(element)
    return _children(node) if node else EMPTY


def members(fields: FieldSet, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every member path, in order (Set.Iterate)."""
    for name in sorted(fields, key=_element_key):
        if name == MEMBER:
            continue
        node = fields[name]
        path = (*prefix, name)
        if _is_member(node):
            yield path
        if node:
            yield from members(node, path)


def element_string(element: str) -> str:
    """PathElement.String: `.name`, `[name="web",port=80]`, `[="x"]`, `[3]`."""
    kind, text = element[:1], element[2:]
    if kind == "f":
        return "." + text
    if kind == "k":
        fields = json.loads(text)
        return "[" + ",".join(f"{name}={_json(fields[name])}" for name in sorted(fields)) + "]"
    if kind == "v":
        return "[=" + text + "]"
    return "[" + text + "]"


def path_string(path: tuple[str, ...] | list[str]) -> str:
    return "".join(element_string(e) for e in path)
