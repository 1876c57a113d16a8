"""Applying a strategic merge patch, as apimachinery's strategicpatch does (patch.go: StrategicMergeMapPatch).

A strategic merge patch is a JSON merge patch whose lists can merge: a list field tagged `patchStrategy:merge`
merges its elements by the field's `patchMergeKey` (containers by name, ports by containerPort), or, for a list
of scalars (finalizers), as a set. Directives steer it:
- `$patch: replace` (the map or list replaces what is there), `$patch: delete` (the map is emptied, or the list
  element with that merge key is removed), `$patch: merge` (rejected inside lists, as upstream);
- `$setElementOrder/<list>`: the order of the merged list; `$deleteFromPrimitiveList/<list>`: scalars to remove;
- `$retainKeys`: with the `retainKeys` strategy (volumes, deployment strategy), the fields to keep.
Fields without metadata are replaced like in a merge patch. The structure follows upstream function by function
(mergeMap, mergeSlice, mergePatchIntoOriginal, normalizeElementOrder) so that odd inputs behave the same way,
including Go's element comparisons (`1` and `1.0` differ) and the order of merged lists.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ..errors import ApiError
from ..store import deep_copy
from .errors import bad_request, go_json_type, go_type, go_value, internal, patch_not_applied, unsupported_media_type
from .merge_patch import prune_nulls
from .meta import PatchMeta, PatchSchema, SchemaLookupError, patch_schema

__all__ = ["DIRECTIVE", "MergeOptions", "SmpFailure", "apply_options", "merge_map", "remove_directives",
           "strategic_merge_patch"]

DIRECTIVE = "$patch"
DELETE = "delete"
REPLACE = "replace"
MERGE = "merge"
RETAIN_KEYS_STRATEGY = "retainKeys"
RETAIN_KEYS = "$retainKeys"
DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList"
SET_ELEMENT_ORDER = "$setElementOrder"

# mergepatch's sentinel errors that the patch handler answers with 400 (interpretStrategicMergePatchError)
BAD_PRIMITIVE_LIST = "invalid patch format of primitive list"
BAD_RETAIN_KEYS = "invalid patch format of retainKeys"
BAD_SET_ELEMENT_ORDER = "invalid patch format of setElementOrder list"
NO_LIST_OF_LISTS = "lists of lists are not supported"


class MergeOptions(NamedTuple):
    """upstream MergeOptions: the server applies with both True; merging two patches uses both False."""

    merge_parallel_list: bool
    ignore_unmatched_nulls: bool


def apply_options() -> MergeOptions:
    return MergeOptions(merge_parallel_list=True, ignore_unmatched_nulls=True)


class SmpFailure(Exception):
    """An error out of the merge; `api_error()` is how the API server reports it."""

    def __init__(self, message: str, code: int = 500) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def api_error(self) -> ApiError:
        if self.code == 400:
            return bad_request(self.message)
        if self.code == 422:
            return patch_not_applied(self.message)  # NewGenericServerResponse hides the text here too
        return internal(self.message)


def _bad(message: str) -> SmpFailure:
    return SmpFailure(message, 400)


def _bad_arg_type(expected: str, actual: Any) -> SmpFailure:
    return SmpFailure(f"expected a {expected}, but received a {go_type(actual)}")


def _no_merge_key(item: dict[str, Any], merge_key: str) -> SmpFailure:
    return SmpFailure(f"map: {go_value(item)} does not contain declared merge key: {merge_key}")


def _go_s(value: Any) -> str:
    """Go's %s of a decoded JSON value: strings bare, anything else flagged the way fmt flags a bad verb."""
    if isinstance(value, str):
        return value
    if value is None:
        return "%!s(<nil>)"
    return f"%!s({go_type(value)}={go_value(value)})"


def _same(left: Any, right: Any) -> bool:
    """Go's == on two interface{} values: same dynamic type and equal (int64 1 is not float64 1)."""
    return type(left) is type(right) and left == right


def _hash_key(value: Any) -> Any:
    """A dictionary key that keeps Go's distinction between types (1, 1.0 and True are three values)."""
    try:
        hash(value)
    except TypeError:
        return (type(value).__name__, repr(value))
    return (type(value).__name__, value)


# --- maps --------------------------------------------------------------------------------------------------

def merge_map(original: dict[str, Any] | None, patch: dict[str, Any], schema: PatchSchema,
              options: MergeOptions) -> dict[str, Any]:
    """mergeMap: merge `patch` into `original` (both are modified; pass copies)."""
    if DIRECTIVE in patch:
        return _map_directive(patch[DIRECTIVE], patch)
    if original is None:
        original = {}
    _apply_retain_keys(original, patch, options)
    _merge_ordered_lists(original, patch, schema, options)
    for key, patch_value in list(patch.items()):
        _merge_field(original, key, patch_value, schema, options)
    return original


def _merge_field(original: dict[str, Any], key: str, patch_value: Any, schema: PatchSchema,
                 options: MergeOptions) -> None:
    is_delete_list = False
    if key.startswith(DELETE_FROM_PRIMITIVE_LIST):
        if not options.merge_parallel_list:
            original[key] = patch_value  # merging two patches keeps the deletion list for the final apply
            return
        key = _strip_prefix(key, DELETE_FROM_PRIMITIVE_LIST, BAD_PRIMITIVE_LIST)
        is_delete_list = True
    if patch_value is None:
        original.pop(key, None)
        if options.ignore_unmatched_nulls:
            return
    if key not in original or _shape(original[key]) != _shape(patch_value):
        if not is_delete_list:
            _take_patch_value(original, key, patch_value, options)
        return
    current = original[key]
    if isinstance(current, dict):
        sub, meta = _lookup(schema.lookup_struct, key)
        strategy = _strategy(meta)[1]
        original[key] = patch_value if strategy == REPLACE else merge_map(current, patch_value, sub, options)
    elif isinstance(current, list):
        sub, meta = _lookup(schema.lookup_slice, key)
        original[key] = _merge_slice_handler(current, patch_value, sub, _strategy(meta)[1], meta.merge_key,
                                             is_delete_list, options)
    else:
        _take_patch_value(original, key, patch_value, options, discard_nulls=False)


def _shape(value: Any) -> str:
    # Only maps and lists recurse; scalars of different Go types end up replaced either way.
    if isinstance(value, dict):
        return "map"
    if isinstance(value, list):
        return "slice"
    return "nil" if value is None else "scalar"


def _take_patch_value(original: dict[str, Any], key: str, value: Any, options: MergeOptions,
                      discard_nulls: bool = True) -> None:
    """The patch's value where the original had none (or one of another type): directives stripped."""
    if discard_nulls and options.ignore_unmatched_nulls:
        prune_nulls(value)  # discardNullValuesFromPatch: the same walk as the merge patch's
    value, keep = remove_directives(value)
    if keep:
        original[key] = value
    else:
        original.pop(key, None)


def _map_directive(directive: Any, patch: dict[str, Any]) -> dict[str, Any]:
    if _same(directive, REPLACE):
        del patch[DIRECTIVE]
        return patch
    if _same(directive, DELETE):
        return {}
    raise SmpFailure(f"unknown patch type: {_go_s(directive)} in map: {go_value(patch)}")


def _lookup(lookup: Any, key: str) -> tuple[PatchSchema, PatchMeta]:
    try:
        return lookup(key)
    except SchemaLookupError as error:
        raise SmpFailure(str(error)) from None


def _strategy(meta: PatchMeta) -> tuple[bool, str]:
    """extractRetainKeysPatchStrategy: (has retainKeys, the other strategy or "")."""
    strategies = meta.strategies
    if not strategies:
        return False, ""
    if len(strategies) == 1:
        return (True, "") if strategies[0] == RETAIN_KEYS_STRATEGY else (False, strategies[0])
    if len(strategies) == 2 and RETAIN_KEYS_STRATEGY in strategies:
        other = strategies[1] if strategies[0] == RETAIN_KEYS_STRATEGY else strategies[0]
        return True, other
    raise SmpFailure(f"unexpected patch strategy: [{' '.join(strategies)}]")


def _strip_prefix(key: str, prefix: str, bad_format: str) -> str:
    """extractKey: `$setElementOrder/containers` -> `containers`; a malformed key is a 400."""
    head, sep, rest = key.partition("/")
    if not sep or head != prefix:
        raise _bad(bad_format)
    return rest


def remove_directives(value: Any) -> tuple[Any, bool]:
    """removeDirectives: (value without `$patch` maps, whether to keep it at all)."""
    if isinstance(value, dict):
        if DIRECTIVE in value:
            return None, False
        for key in list(value):
            item, keep = remove_directives(value[key])
            if keep:
                value[key] = item
            else:
                del value[key]
        return value, True
    if isinstance(value, list):
        kept = []
        for item in value:
            item, keep = remove_directives(item)
            if keep:
                kept.append(item)
        return kept, True
    return value, True


def _apply_retain_keys(original: dict[str, Any], patch: dict[str, Any], options: MergeOptions) -> None:
    """applyRetainKeysDirective: with `$retainKeys`, clear the original's fields the list does not name."""
    if RETAIN_KEYS not in patch:
        return
    retain = patch.pop(RETAIN_KEYS)
    if not options.merge_parallel_list:
        # Merging two patches: both must carry the same list; the final apply uses it.
        if RETAIN_KEYS in original:
            if original[RETAIN_KEYS] != retain:
                raise SmpFailure(f"{go_value(original[RETAIN_KEYS])} and {go_value(retain)} are not deep equal: "
                                 "this may happen when calculating the 3-way diff patch")
        else:
            original[RETAIN_KEYS] = retain
        return
    if not isinstance(retain, list):
        raise _bad(BAD_RETAIN_KEYS)
    allowed = {k for k in retain if isinstance(k, str)}
    for key, value in patch.items():
        if value is None or key.startswith((DELETE_FROM_PRIMITIVE_LIST, SET_ELEMENT_ORDER)):
            continue
        if key not in allowed:
            raise _bad(BAD_RETAIN_KEYS)
    for key in [k for k in original if k not in allowed]:
        del original[key]


# --- $setElementOrder ----------------------------------------------------------------------------------------

def _merge_ordered_lists(original: dict[str, Any], patch: dict[str, Any], schema: PatchSchema,
                         options: MergeOptions) -> None:
    """mergePatchIntoOriginal: merge each list that has a `$setElementOrder` and put it in that order.

    The order's precedence is: the `$setElementOrder` list, then the patch list, then the live list.
    """
    for key in [k for k in patch if k.startswith(SET_ELEMENT_ORDER)]:
        order = patch.pop(key)
        if not options.merge_parallel_list:
            if key in original and original[key] != order:
                raise _bad(BAD_SET_ELEMENT_ORDER)
            original.setdefault(key, order)
        if not isinstance(order, list):
            raise _bad_arg_type("[]interface {}", order)
        list_key = _strip_prefix(key, SET_ELEMENT_ORDER, BAD_SET_ELEMENT_ORDER)
        merged = _merge_one_ordered_list(original, patch, list_key, order, schema, options)
        if merged is not None:
            original[list_key] = merged
            patch.pop(list_key, None)


def _merge_one_ordered_list(original: dict[str, Any], patch: dict[str, Any], list_key: str, order: list[Any],
                            schema: PatchSchema, options: MergeOptions) -> list[Any] | None:
    current = _list_field(original, list_key)
    patch_list = _list_field(patch, list_key)
    sub, meta = _lookup(schema.lookup_slice, list_key)
    strategy = _strategy(meta)[1]
    merge_key = meta.merge_key
    _validate_order(patch_list or [], order, merge_key)
    if current is not None and patch_list is None:
        merged = current
    elif current is None and patch_list is not None:
        merged = remove_directives(patch_list)[0]
    elif current is not None and patch_list is not None:
        if strategy == MERGE:
            merged, current = _merge_slice(current, patch_list, sub, merge_key, options, False)
        else:
            merged = _merge_slice_handler(current, patch_list, sub, strategy, merge_key, False, options)
    else:
        return None
    if merge_key:
        patch_items, server_only = _partition_maps(merged, order, merge_key)
    else:
        patch_items, server_only = _partition_scalars(merged, order)
    kind = _element_kind(current or [], patch_list or [])
    return _normalize_order(patch_items, server_only, order, current or [], merge_key, kind)


def _list_field(holder: dict[str, Any], key: str) -> list[Any] | None:
    if key not in holder:
        return None
    value = holder[key]
    if not isinstance(value, list):
        raise _bad_arg_type("[]interface {}", value)
    return value


def _validate_order(patch_list: list[Any], order: list[Any], merge_key: str) -> None:
    """validatePatchWithSetOrderList: the patch's elements must appear in the order list, in its order."""
    if not patch_list or not order:
        return
    items = _split_deletions(patch_list)[0] if merge_key else patch_list
    at_patch = at_order = 0
    while at_patch < len(items) and at_order < len(order):
        if isinstance(items[at_patch], dict) and DIRECTIVE in items[at_patch]:
            at_patch += 1
            continue
        if _merge_key_equal(items[at_patch], order[at_order], merge_key):
            at_patch += 1
        at_order += 1
    if at_patch < len(items) and at_order >= len(order):
        raise SmpFailure(f"The order in patch list:\n{go_value(patch_list)}\n doesn't match {SET_ELEMENT_ORDER} "
                         f"list:\n{go_value(order)}\n")


def _merge_key_equal(left: Any, right: Any, merge_key: str) -> bool:
    if not merge_key:
        return _same(left, right)
    for item in (left, right):
        if not isinstance(item, dict):
            raise _bad_arg_type("map[string]interface {}", item)
        if merge_key not in item:
            raise _no_merge_key(item, merge_key)
    return _same(left[merge_key], right[merge_key])


def _split_deletions(items: list[Any]) -> tuple[list[Any], list[Any]]:
    """extractToDeleteItems: (elements to keep, elements marked `$patch: delete`)."""
    keep: list[Any] = []
    delete: list[Any] = []
    for item in items:
        if not isinstance(item, dict):
            raise _bad_arg_type("map[string]interface {}", item)
        (delete if _same(item.get(DIRECTIVE), DELETE) else keep).append(item)
    return keep, delete


def _partition_scalars(merged: list[Any], present: list[Any]) -> tuple[list[Any], list[Any]]:
    in_present = {_hash_key(v) for v in present}
    inside = [v for v in merged if _hash_key(v) in in_present]
    outside = [v for v in merged if _hash_key(v) not in in_present]
    return inside, outside


def _partition_maps(merged: list[Any], present: list[Any], merge_key: str) -> tuple[list[Any], list[Any]]:
    inside: list[Any] = []
    outside: list[Any] = []
    for item in merged:
        if not isinstance(item, dict):
            raise _bad_arg_type("map[string]interface {}", item)
        if merge_key not in item:
            raise _no_merge_key(item, merge_key)
        found = _find_by_merge_key(present, merge_key, item[merge_key]) >= 0
        (inside if found else outside).append(item)
    return inside, outside


def _find_by_merge_key(items: list[Any], merge_key: str, value: Any) -> int:
    """findMapInSliceBasedOnKeyValue: the index of the first map whose merge key equals `value`, or -1."""
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise SmpFailure(f"value for key {index} is not a map")
        if merge_key in item and _same(item[merge_key], value):
            return index
    return -1


# --- ordering ------------------------------------------------------------------------------------------------

def _normalize_order(patch_items: list[Any], server_only: list[Any], patch_order: list[Any],
                     server_order: list[Any], merge_key: str, kind: str) -> list[Any]:
    """normalizeElementOrder: patch items in the patch's order, server-only ones in the live order, interleaved."""
    patch_items = _sort_by_order(patch_items, patch_order, merge_key, kind)
    server_only = _sort_by_order(server_only, server_order, merge_key, kind)
    return _merge_sorted(server_only, patch_items, server_order, merge_key, kind)


def _identity(item: Any, merge_key: str, kind: str) -> Any:
    """What `index` compares: the merge key's value for maps (nil when absent), the element itself otherwise."""
    if kind == "map":
        return _hash_key(item.get(merge_key)) if isinstance(item, dict) else _hash_key(None)
    return _hash_key(item)


def _positions(order: list[Any], merge_key: str, kind: str) -> dict[Any, int]:
    positions: dict[Any, int] = {}
    for index, item in enumerate(order):
        positions.setdefault(_identity(item, merge_key, kind), index)
    return positions


def _sort_by_order(items: list[Any], order: list[Any], merge_key: str, kind: str) -> list[Any]:
    """normalizeSliceOrder: stable sort by position in `order`; `$patch: delete` elements go last."""
    deletions: list[Any] = []
    if kind == "map":
        for item in items + order:
            if not isinstance(item, dict):
                raise _bad_arg_type("map[string]interface {}", item)
            if merge_key not in item:
                raise _no_merge_key(item, merge_key)
        items, deletions = _split_deletions(items)
    positions = _positions(order, merge_key, kind)
    ranks = [positions.get(_identity(item, merge_key, kind), -1) for item in items]
    if all(rank >= 0 for rank in ranks):
        ordered = [item for _, item in sorted(zip(ranks, items, strict=True), key=lambda pair: pair[0])]
    else:
        ordered = _insertion_sort(items, ranks)
    return ordered + deletions


def _insertion_sort(items: list[Any], ranks: list[int]) -> list[Any]:
    """Go's sort.SliceStable on short slices, with upstream's comparator: an element missing from the order is
    "less" than anything, which is no ordering at all, so only replaying the algorithm gives upstream's result."""
    pairs = list(zip(ranks, items, strict=True))
    for i in range(1, len(pairs)):
        j = i
        while j > 0 and _less(pairs[j][0], pairs[j - 1][0]):
            pairs[j], pairs[j - 1] = pairs[j - 1], pairs[j]
            j -= 1
    return [item for _, item in pairs]


def _less(left: int, right: int) -> bool:
    return left < right if left >= 0 and right >= 0 else True


def _merge_sorted(left: list[Any], right: list[Any], server_order: list[Any], merge_key: str,
                  kind: str) -> list[Any]:
    """mergeSortedSlice: interleave server-only (left) into patch items (right) by the live order."""
    positions = _positions(server_order, merge_key, kind)
    merged: list[Any] = []
    i = j = 0
    while i < len(left) or j < len(right):
        if i >= len(left):
            merged.append(right[j])
            j += 1
        elif j >= len(right):
            merged.append(left[i])
            i += 1
        else:
            li = positions.get(_identity(left[i], merge_key, kind), -1)
            ri = positions.get(_identity(right[j], merge_key, kind), -1)
            if li >= 0 and ri >= 0 and li < ri:
                merged.append(left[i])
                i += 1
            else:
                merged.append(right[j])
                j += 1
    return merged


# --- lists ---------------------------------------------------------------------------------------------------

def _merge_slice_handler(original: list[Any], patch: Any, schema: PatchSchema, strategy: str, merge_key: str,
                         is_delete_list: bool, options: MergeOptions) -> list[Any]:
    if not isinstance(patch, list):
        raise _bad_arg_type("[]interface {}", patch)
    # A deletion list is applied the same way whatever the field's strategy.
    if strategy == MERGE or is_delete_list:
        return _merge_slice(original, patch, schema, merge_key, options, is_delete_list)[0]
    return patch


def _element_kind(*lists: list[Any]) -> str:
    """sliceElementType: the one Go type of every element ("map" for objects); lists of lists are refused."""
    kind: str | None = None
    for items in lists:
        for item in items:
            item_kind = go_type(item)
            if kind is None:
                kind = item_kind
                if isinstance(item, list):
                    raise SmpFailure(NO_LIST_OF_LISTS, 422)
            elif kind != item_kind:
                raise SmpFailure(f"list element types are not identical: {go_value(list(lists))}")
    if kind is None:
        raise SmpFailure("no elements in any of the given slices")
    return "map" if kind == "map[string]interface {}" else kind


def _merge_slice(original: list[Any], patch: list[Any], schema: PatchSchema, merge_key: str,
                 options: MergeOptions, is_delete_list: bool) -> tuple[list[Any], list[Any]]:
    """mergeSlice: merge lists of scalars as sets and lists of maps by merge key, then fix the order.

    Returns the merged list and what the caller's `original` reads afterwards: upstream deletes and appends in
    the slice's shared backing array, and mergePatchIntoOriginal then orders by that changed list.
    """
    if not original and not patch:
        return original, original
    kind = _element_kind(original, patch)
    view = original
    if kind != "map":
        if options.merge_parallel_list and is_delete_list:
            doomed = {_hash_key(v) for v in patch}
            return [v for v in original if _hash_key(v) not in doomed], original
        merged = _dedupe(original + patch)
    else:
        if not merge_key:
            raise SmpFailure(f"cannot merge lists without merge key for {schema.name}")
        shared = _SharedSlice(original)
        patch = _apply_special_elements(shared, patch, merge_key)
        original = shared.items()
        merged = _merge_by_key(shared, patch, merge_key, schema, options)
        view = shared.caller
    if merge_key:
        patch_items, server_only = _partition_maps(merged, patch, merge_key)
    else:
        patch_items, server_only = _partition_scalars(merged, patch)
    return _normalize_order(patch_items, server_only, patch, original, merge_key, kind), view


class _SharedSlice:
    """A Go slice that shares its backing array with the caller's copy of the live list.

    `append(s[:i], s[i+1:]...)` shifts the array in place and a later append fills the freed slots, so the
    caller's `window` (the first len(original) slots) changes too; `$patch: replace` swaps in a new array.
    """

    def __init__(self, original: list[Any]) -> None:
        self.window = list(original)
        self.caller = self.window  # what the caller's slice reads: the same array until a replace
        self.extra: list[Any] = []  # appended past the window: invisible to the caller
        self.length = len(original)

    def items(self) -> list[Any]:
        return (self.window + self.extra)[:self.length]

    def delete(self, index: int) -> None:
        items = self.items()
        del items[index]
        self.window[:len(items)] = items[:len(self.window)]
        self.extra = items[len(self.window):]
        self.length -= 1

    def append(self, item: Any) -> None:
        if self.length < len(self.window):
            self.window[self.length] = item
        else:
            self.extra.append(item)
        self.length += 1

    def set(self, index: int, item: Any) -> None:
        if index < len(self.window):
            self.window[index] = item
        else:
            self.extra[index - len(self.window)] = item

    def replace(self, items: list[Any]) -> None:
        # A new array: the caller's copy keeps what it had so far.
        self.window, self.extra, self.length = [], list(items), len(items)


def _dedupe(items: list[Any]) -> list[Any]:
    # Upstream's in-place deduplication scrambles the order, but normalizing the order afterwards makes the
    # result the same as keeping first occurrences.
    seen: set[Any] = set()
    unique = []
    for item in items:
        key = _hash_key(item)
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


def _apply_special_elements(shared: _SharedSlice, patch: list[Any], merge_key: str) -> list[Any]:
    """mergeSliceWithSpecialElements: act on `$patch` elements; returns the patch without them."""
    plain: list[Any] = []
    replace = False
    for item in patch:
        if DIRECTIVE not in item:
            plain.append(item)
            continue
        directive = item[DIRECTIVE]
        if _same(directive, DELETE):
            if merge_key not in item:
                raise _no_merge_key(item, merge_key)
            while (index := _find_by_merge_key(shared.items(), merge_key, item[merge_key])) >= 0:
                shared.delete(index)
        elif _same(directive, REPLACE):
            replace = True  # keep going: the other `$patch` elements must still be dropped
        elif _same(directive, MERGE):
            raise SmpFailure("merging lists cannot yet be specified in the patch")
        else:
            raise SmpFailure(f"unknown patch type: {_go_s(directive)} in map: {go_value(item)}")
    if replace:
        shared.replace(plain)
        return []
    return plain


def _merge_by_key(shared: _SharedSlice, patch: list[Any], merge_key: str, schema: PatchSchema,
                  options: MergeOptions) -> list[Any]:
    """mergeSliceWithoutSpecialElements: merge each patch element into the element with its key, or append it."""
    for item in patch:
        if merge_key not in item:
            raise _no_merge_key(item, merge_key)
        index = _find_by_merge_key(shared.items(), merge_key, item[merge_key])
        if index >= 0:
            shared.set(index, merge_map(shared.items()[index], item, schema, options))
        else:
            shared.append(item)
    return shared.items()


# --- entry point ---------------------------------------------------------------------------------------------

# What a custom resource accepts instead (apiextensions-apiserver offers no strategic merge patch).
CUSTOM_RESOURCE_PATCH_TYPES = ["application/json-patch+json", "application/merge-patch+json",
                               "application/apply-patch+yaml"]


def strategic_merge_patch(obj: dict[str, Any], patch: Any,
                          schema: PatchSchema | tuple[str, str] | None = None) -> dict[str, Any]:
    """`obj` with the strategic merge patch `patch` (a decoded JSON value) applied; neither is modified.

    `schema` says where the patch metadata comes from: a PatchSchema, an (apiVersion, kind) pair, or None for
    the apiVersion and kind of `obj`. Raises ApiError as kube-apiserver answers: 415 for a kind with no built-in
    schema (custom resources take JSON and merge patches only), 400 for a patch that is not an object or has a
    malformed directive, 500 (no reason) for the other merge errors, with upstream's messages.
    """
    resolved = _resolve_schema(obj, schema)
    if patch is None:
        patch = {}  # `null` decodes into the empty map: nothing changes
    if not isinstance(patch, dict):
        raise bad_request(f"json: cannot unmarshal {go_json_type(patch)} into Go value of type "
                          "map[string]interface {}")
    try:
        # JSON-shaped, so deep_copy (several times faster than copy.deepcopy on a stored object).
        return merge_map(deep_copy(obj), deep_copy(patch), resolved, apply_options())
    except SmpFailure as failure:
        raise failure.api_error() from None


def _resolve_schema(obj: Any, schema: PatchSchema | tuple[str, str] | None) -> PatchSchema:
    if isinstance(schema, PatchSchema):
        return schema
    if schema is None:
        api_version = obj.get("apiVersion") if isinstance(obj, dict) else None
        kind = obj.get("kind") if isinstance(obj, dict) else None
        schema = (api_version if isinstance(api_version, str) else "", kind if isinstance(kind, str) else "")
    found = patch_schema(*schema)
    if found is None:
        raise unsupported_media_type(CUSTOM_RESOURCE_PATCH_TYPES)
    return found
