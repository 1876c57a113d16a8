"""The typed operations of structured-merge-diff (sigs.k8s.io/structured-merge-diff/typed) on plain dicts:
ToFieldSet, Compare, Merge, RemoveItems and Set.EnsureNamedFieldsAreMembers.

Values are never mutated: results are new containers that may share unchanged subtrees with the inputs. Compare
first asks whether two subtrees are equal (a C-speed `==`), so comparing an object with its next version only
walks the parts that changed: that is what keeps recording managedFields cheap for status writes.
"""

from __future__ import annotations

from typing import Any

from . import fieldpath as fp
from .schema import KEY_DEFAULTS, TypeNode

__all__ = ["Comparison", "TypedError", "compare", "ensure_named_fields_are_members", "item_element", "merge",
           "remove_items", "to_field_set"]

_MISSING: Any = object()


class TypedError(ValueError):
    """A value the schema cannot key (upstream: a ValidationError of the typed value); text is upstream's."""


def _shape(t: TypeNode, value: Any) -> str:
    """How to walk `value` of type `t`: "map" (separable fields), "list" (associative items) or "leaf"."""
    if isinstance(value, dict):
        return t.dict_shape
    if isinstance(value, list):
        return t.list_shape
    return "leaf"


def item_element(t: TypeNode, item: Any, index: int) -> str:
    """listItemToPathElement: `k:{...}` for a keyed list, `v:...` for a set, `i:N` for an atomic list."""
    if t.list_type == "map" and t.keys:
        if not isinstance(item, dict):
            raise TypedError(f"element {index}: associative list with keys may not have non-map elements")
        keys: dict[str, Any] = {}
        for name in t.keys:
            value = item.get(name)
            if value is None:
                if name not in KEY_DEFAULTS:
                    continue  # as v1.36 does: the item keys by what it has, and validation names what is missing
                value = KEY_DEFAULTS[name]
            keys[name] = value
        return fp.key_element(keys)
    if t.list_type in ("set", "map"):
        if isinstance(item, dict | list):
            raise TypedError(f"element {index}: associative list without keys has an element that's a map type")
        return fp.value_element(item)
    return f"i:{index}"


def _elements(t: TypeNode, items: list[Any]) -> list[tuple[str, Any]]:
    return [(item_element(t, item, i), item) for i, item in enumerate(items)]


# --- ToFieldSet ---------------------------------------------------------------------------------------------

def to_field_set(value: dict[str, Any], t: TypeNode) -> fp.FieldSet:
    """Every leaf, every list item, every map key and every empty or null field of `value` (typed/tofieldset.go).

    Each node is built in its final order as the walk returns from it, rather than by inserting path after path
    from the root and sorting the whole set at the end: a folder sync computes one set per document it applies.
    """
    shape = _shape(t, value)
    return _fields_of(value, t, shape) if shape != "leaf" else {}


def _fields_of(value: Any, t: TypeNode, shape: str) -> dict[str, Any]:
    """The children of the node of `value`, a map or a list (not a leaf)."""
    out: dict[str, Any] = {}
    if shape == "map":
        for name, child in value.items():
            # A leaf is a member, null or not; whatever its type, a value that is no container is a leaf.
            if isinstance(child, dict):
                child_t, known = t.child(name)
                child_shape = child_t.dict_shape
            elif isinstance(child, list):
                child_t, known = t.child(name)
                child_shape = child_t.list_shape
            else:
                child_shape = "leaf"
            if child_shape == "leaf":
                out["f:" + name] = {}  # a leaf is a member, null or not
                continue
            kids = _fields_of(child, child_t, child_shape)
            # an empty map, or a field the schema does not know, is a member of its own
            member = not known or (isinstance(child, dict) and not child)
            if member:
                out["f:" + name] = {fp.MEMBER: {}, **kids} if kids else {}
            elif kids:
                out["f:" + name] = kids
        if len(out) < 2:
            return out
        # Field names only: their plain order is upstream's (fieldpath's ordering, without its key function).
        names = sorted(out)
        return out if names == list(out) else {name: out[name] for name in names}
    elem = t.elem()
    pairs = _elements(t, value)
    seen: set[str] = set()
    duplicates: set[str] = set()
    for element, _ in pairs:
        if element in seen:
            duplicates.add(element)
        seen.add(element)
    for element, item in pairs:
        if element in duplicates:
            out[element] = {}  # upstream keeps a duplicated item as one member, without its fields
            continue
        item_shape = _shape(elem, item)
        kids = _fields_of(item, elem, item_shape) if item_shape != "leaf" else {}
        out[element] = {fp.MEMBER: {}, **kids} if kids else {}
    return fp.sorted_node(out, False)


# --- Compare ------------------------------------------------------------------------------------------------

class Comparison:
    """Removed / Modified / Added field sets of lhs → rhs (typed.Comparison)."""

    __slots__ = ("added", "modified", "removed")

    def __init__(self) -> None:
        self.added: fp.FieldSet = {}
        self.modified: fp.FieldSet = {}
        self.removed: fp.FieldSet = {}

    def same(self) -> bool:
        return not (self.added or self.modified or self.removed)

    def finish(self) -> Comparison:
        self.added = fp.sorted_set(self.added)
        self.modified = fp.sorted_set(self.modified)
        self.removed = fp.sorted_set(self.removed)
        return self


def compare(lhs: dict[str, Any], rhs: dict[str, Any], t: TypeNode,
            skip: frozenset[str] = frozenset()) -> Comparison:
    """What changed from `lhs` to `rhs`; top-level fields named in `skip` are not looked at."""
    cmp = Comparison()
    if lhs is not rhs:
        for name in _keys(lhs, rhs):
            if name not in skip:
                _compare(lhs.get(name, _MISSING), rhs.get(name, _MISSING), t.field(name), ("f:" + name,), cmp)
    return cmp.finish()


def _keys(lhs: dict[str, Any], rhs: dict[str, Any]) -> list[str]:
    return [*lhs, *(k for k in rhs if k not in lhs)]


def _compare(lhs: Any, rhs: Any, t: TypeNode, path: tuple[str, ...], cmp: Comparison) -> None:
    if lhs is rhs or (lhs is not _MISSING and rhs is not _MISSING and lhs == rhs):
        return
    # null stands for an empty map or list (a Go nil slice), without being "absent"
    shape = _shape(t, rhs if lhs is _MISSING or lhs is None else lhs)
    if shape != "leaf" and lhs not in (_MISSING, None) and rhs not in (_MISSING, None) and _shape(t, rhs) != shape:
        shape = "leaf"  # the type changed (a map became a string): one leaf
    if shape != "leaf" and not (lhs is not _MISSING and lhs) and not (rhs is not _MISSING and rhs):
        shape = "leaf"  # both empty or absent: a leaf, which keeps the empty/null distinction
    if shape == "leaf":
        target = cmp.added if lhs is _MISSING else cmp.removed if rhs is _MISSING else cmp.modified
        fp.insert(target, path)
        return
    empty: Any = [] if shape == "list" else {}
    left = empty if lhs is _MISSING or lhs is None else lhs
    right = empty if rhs is _MISSING or rhs is None else rhs
    if shape == "map":
        for name in _keys(left, right):
            _compare(left.get(name, _MISSING), right.get(name, _MISSING), t.field(name), (*path, "f:" + name), cmp)
    else:
        elem = t.elem()
        lmap = _first_by_element(t, left)
        rmap = _first_by_element(t, right)
        for element in [*lmap, *(e for e in rmap if e not in lmap)]:
            _compare(lmap.get(element, _MISSING), rmap.get(element, _MISSING), elem, (*path, element), cmp)
    if lhs is _MISSING:
        fp.insert(cmp.added, path)
    elif rhs is _MISSING:
        fp.insert(cmp.removed, path)


def _first_by_element(t: TypeNode, items: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for element, item in _elements(t, items):
        out.setdefault(element, item)
    return out


# --- Merge --------------------------------------------------------------------------------------------------

def merge(lhs: Any, rhs: Any, t: TypeNode) -> Any:
    """lhs with rhs merged in, as an applied configuration merges into the live object (typed/merge.go)."""
    if rhs is _MISSING:
        return lhs
    if lhs is _MISSING or lhs is None or rhs is None:
        return rhs
    shape = _shape(t, rhs)
    if shape == "leaf" or _shape(t, lhs) != shape:
        return rhs
    if shape == "map":
        out = dict(lhs)
        for name, value in rhs.items():
            out[name] = merge(lhs.get(name, _MISSING), value, t.field(name))
        return out
    return _merge_list(lhs, rhs, t)


def _merge_list(lhs: list[Any], rhs: list[Any], t: TypeNode) -> list[Any]:
    """visitListItems of the merging walker: items keep the live order, new ones land where the applied order
    puts them."""
    elem = t.elem()
    lpes = [e for e, _ in _elements(t, lhs)]
    rpairs = _elements(t, rhs)
    rpes = [e for e, _ in rpairs]
    observed_r: dict[str, Any] = {}
    for element, item in rpairs:
        if element in observed_r:
            raise TypedError(f"duplicate entries for key {fp.element_string(element)}")
        observed_r[element] = item
    observed_l: dict[str, Any] = {}
    for element, item in zip(lpes, lhs, strict=True):
        observed_l[element] = None if element in observed_l else item
    shared = [e for e in rpes if e in observed_l]
    next_shared = shared.pop(0) if shared else None
    merged_r: set[str] = set()
    out: list[Any] = []
    li = ri = 0
    while li < len(lpes) or ri < len(rpes):
        if li < len(lpes) and ri < len(rpes):
            pe = lpes[li]
            if pe == rpes[ri]:
                merged_r.add(pe)
                out.append(merge(observed_l.get(pe, _MISSING), observed_r[pe], elem))
                li += 1
                ri += 1
                next_shared = shared.pop(0) if shared else None
                continue
            if pe in observed_r and next_shared is not None and next_shared != pe:
                li += 1
                continue
        if li < len(lpes):
            pe = lpes[li]
            if pe not in observed_r:
                out.append(lhs[li])
                li += 1
                continue
            if pe in merged_r:
                li += 1
        if ri < len(rpes):
            pe = rpes[ri]
            merged_r.add(pe)
            live = observed_l.get(pe, _MISSING)
            out.append(merge(_MISSING if live is None else live, observed_r[pe], elem))
            ri += 1
            if next_shared is not None and next_shared == pe:
                next_shared = shared.pop(0) if shared else None
    return out


# --- RemoveItems and EnsureNamedFieldsAreMembers ------------------------------------------------------------

def remove_items(value: dict[str, Any], fields: fp.FieldSet, t: TypeNode) -> dict[str, Any]:
    """`value` without the members of `fields` (whole subtrees); containers left empty go too."""
    if not fields:
        return value
    out = _remove(value, fields, t)
    return out if out is not None else {}


def _remove(value: Any, fields: dict[str, Any], t: TypeNode) -> Any:
    shape = _shape(t, value)
    if shape == "leaf" or not value:
        return value
    if shape == "map":
        out: dict[str, Any] = {}
        for name, child in value.items():
            node = fields.get("f:" + name)
            if node is None:
                out[name] = child
                continue
            if not node or "." in node:
                continue
            rest = _remove(child, node, t.field(name))
            if rest is not None:
                out[name] = rest
        return out or None
    elem = t.elem()
    items = []
    for element, item in _elements(t, value):
        node = fields.get(element)
        if node is None:
            items.append(item)
            continue
        if not node or "." in node:
            continue
        rest = _remove(item, node, elem)
        if rest is not None:
            items.append(rest)
    return items or None


def ensure_named_fields_are_members(fields: fp.FieldSet, t: TypeNode) -> fp.FieldSet:
    """Struct fields with children become members themselves, so that RemoveItems takes them whole."""
    return _ensure(fields, t) if fields else fields


def _ensure(children: dict[str, Any], t: TypeNode) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for element, node in children.items():
        if element == ".":
            out[element] = node
            continue
        if not node:
            out[element] = node
            continue
        if element.startswith("f:"):
            name = element[2:]
            sub = _ensure({k: v for k, v in node.items() if k != "."}, t.field(name))
            member = "." in node or t.has_field(name)
        else:
            sub = _ensure({k: v for k, v in node.items() if k != "."}, t.elem())
            member = "." in node
        out[element] = {".": {}, **sub} if member else sub
    return out
