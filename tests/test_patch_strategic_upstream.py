"""Strategic merge patch: upstream's table tests, applied with upstream's own test type.

The cases are apimachinery's (staging/src/k8s.io/apimachinery/pkg/util/strategicpatch/patch_test.go): each of
its `strategicMergePatchRawTestCases` gives an original object, the two-way patch kubectl would compute and the
object it must yield, and a live object with the three-way patch and its result. `MERGE_ITEM` describes
patch_test.go's `MergeItem` struct (its patch strategies and merge keys) as the OpenAPI definitions the engine
reads for built-in kinds. Results are compared exactly, list order included: upstream's raw cases do too.
"""

from __future__ import annotations

from typing import Any

import pytest

from engine.errors import ApiError
from engine.patch import PatchSchema, strategic_merge_patch


def _list(item: str | None, strategy: str | None = None, key: str | None = None) -> dict[str, Any]:
    prop: dict[str, Any] = {
        "type": "array",
        "items": {"$ref": f"#/definitions/{item}"} if item else {"type": "integer"},
    }
    if strategy:
        prop["x-kubernetes-patch-strategy"] = strategy
    if key:
        prop["x-kubernetes-patch-merge-key"] = key
    return prop


_STRING = {"type": "string"}
_SIMPLE_MAP = {"type": "object", "additionalProperties": _STRING}
# patch_test.go's MergeItem and RetainKeysMergeItem, field by field, with their struct tags.
DEFINITIONS: dict[str, Any] = {
    "MergeItem": {
        "type": "object",
        "properties": {
            "name": _STRING,
            "value": _STRING,
            "other": _STRING,
            "mergingList": _list("MergeItem", "merge", "name"),
            "nonMergingList": _list("MergeItem"),
            "mergingIntList": _list(None, "merge"),
            "nonMergingIntList": _list(None),
            "mergeItemPtr": {
                "$ref": "#/definitions/MergeItem",
                "x-kubernetes-patch-strategy": "merge",
                "x-kubernetes-patch-merge-key": "name",
            },
            "simpleMap": _SIMPLE_MAP,
            "replacingItem": {"$ref": "#/definitions/RawExtension", "x-kubernetes-patch-strategy": "replace"},
            "retainKeysMap": {"$ref": "#/definitions/RetainKeysMergeItem", "x-kubernetes-patch-strategy": "retainKeys"},
            "retainKeysMergingList": _list("MergeItem", "merge,retainKeys", "name"),
        },
    },
    "RetainKeysMergeItem": {
        "type": "object",
        "properties": {
            "name": _STRING,
            "value": _STRING,
            "other": _STRING,
            "simpleMap": _SIMPLE_MAP,
            "mergingIntList": _list(None, "merge"),
            "mergingList": _list("MergeItem", "merge", "name"),
            "nonMergingList": _list("MergeItem"),
        },
    },
    "RawExtension": {"type": "object"},
}
MERGE_ITEM = PatchSchema(DEFINITIONS, DEFINITIONS["MergeItem"], "MergeItem")

# (description, object, patch, expected result, expected error text or None)
CASES: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any], str | None]] = [
    (
        "nested patch merge with empty list (two-way)",
        {"name": "hi"},
        {"mergingList": [{"name": "hello"}, {"$patch": "delete", "name": "doesntexist"}]},
        {"name": "hi", "mergingList": [{"name": "hello"}]},
        None,
    ),
    (
        "nested patch merge with empty list (three-way, on the live object)",
        {"name": "hi", "mergingList": [{"name": "hello2"}]},
        {
            "$setElementOrder/mergingList": [{"name": "hello"}, {"name": "doesntexist"}],
            "mergingList": [{"name": "hello"}],
        },
        {"name": "hi", "mergingList": [{"name": "hello"}, {"name": "hello2"}]},
        None,
    ),
    (
        "delete items in lists of scalars (two-way)",
        {"mergingIntList": [1, 2, 3]},
        {"$setElementOrder/mergingIntList": [1, 2], "$deleteFromPrimitiveList/mergingIntList": [3]},
        {"mergingIntList": [1, 2]},
        None,
    ),
    (
        "delete items in lists of scalars (three-way, on the live object)",
        {"mergingIntList": [1, 2, 3, 4]},
        {"$setElementOrder/mergingIntList": [1, 2], "$deleteFromPrimitiveList/mergingIntList": [3]},
        {"mergingIntList": [1, 2, 4]},
        None,
    ),
    (
        "delete all duplicate items in lists of scalars (two-way)",
        {"mergingIntList": [1, 2, 3, 3]},
        {"$setElementOrder/mergingIntList": [1, 2], "$deleteFromPrimitiveList/mergingIntList": [3]},
        {"mergingIntList": [1, 2]},
        None,
    ),
    (
        "delete all duplicate items in lists of scalars (three-way, on the live object)",
        {"mergingIntList": [1, 2, 3, 3, 4]},
        {"$setElementOrder/mergingIntList": [1, 2], "$deleteFromPrimitiveList/mergingIntList": [3]},
        {"mergingIntList": [1, 2, 4]},
        None,
    ),
    (
        "add and delete items in lists of scalars (two-way)",
        {"mergingIntList": [1, 2, 3]},
        {
            "$setElementOrder/mergingIntList": [1, 2, 4],
            "$deleteFromPrimitiveList/mergingIntList": [3],
            "mergingIntList": [4],
        },
        {"mergingIntList": [1, 2, 4]},
        None,
    ),
    (
        "add and delete items in lists of scalars (three-way, on the live object)",
        {"mergingIntList": [1, 2, 3, 4]},
        {"$setElementOrder/mergingIntList": [1, 2, 4], "$deleteFromPrimitiveList/mergingIntList": [3]},
        {"mergingIntList": [1, 2, 4]},
        None,
    ),
    (
        "merge lists of maps (two-way)",
        {"mergingList": [{"name": 1}, {"name": 2, "value": 2}]},
        {
            "$setElementOrder/mergingList": [{"name": 4}, {"name": 1}, {"name": 2}, {"name": 3}],
            "mergingList": [{"name": 4, "value": 4}, {"name": 3, "value": 3}],
        },
        {"mergingList": [{"name": 4, "value": 4}, {"name": 1}, {"name": 2, "value": 2}, {"name": 3, "value": 3}]},
        None,
    ),
    (
        "merge lists of maps (three-way, on the live object)",
        {"mergingList": [{"name": 1, "other": "a"}, {"name": 2, "value": 2, "other": "b"}]},
        {
            "$setElementOrder/mergingList": [{"name": 4}, {"name": 1}, {"name": 2}, {"name": 3}],
            "mergingList": [{"name": 4, "value": 4}, {"name": 3, "value": 3}],
        },
        {
            "mergingList": [
                {"name": 4, "value": 4},
                {"name": 1, "other": "a"},
                {"name": 2, "value": 2, "other": "b"},
                {"name": 3, "value": 3},
            ]
        },
        None,
    ),
    (
        "add field to map in merging list (two-way)",
        {"mergingList": [{"name": 1}, {"name": 2, "value": 2}]},
        {"$setElementOrder/mergingList": [{"name": 1}, {"name": 2}], "mergingList": [{"name": 1, "value": 1}]},
        {"mergingList": [{"name": 1, "value": 1}, {"name": 2, "value": 2}]},
        None,
    ),
    (
        "add field to map in merging list (three-way, on the live object)",
        {"mergingList": [{"name": 1, "other": "a"}, {"name": 2, "value": 2, "other": "b"}]},
        {"$setElementOrder/mergingList": [{"name": 1}, {"name": 2}], "mergingList": [{"name": 1, "value": 1}]},
        {"mergingList": [{"name": 1, "value": 1, "other": "a"}, {"name": 2, "value": 2, "other": "b"}]},
        None,
    ),
    (
        "add duplicate field to map in merging list (two-way)",
        {"mergingList": [{"name": 1}, {"name": 2, "value": 2}]},
        {"$setElementOrder/mergingList": [{"name": 1}, {"name": 2}], "mergingList": [{"name": 1, "value": 1}]},
        {"mergingList": [{"name": 1, "value": 1}, {"name": 2, "value": 2}]},
        None,
    ),
    (
        "add duplicate field to map in merging list (three-way, on the live object)",
        {"mergingList": [{"name": 1, "value": 1, "other": "a"}, {"name": 2, "value": 2, "other": "b"}]},
        {},
        {"mergingList": [{"name": 1, "value": 1, "other": "a"}, {"name": 2, "value": 2, "other": "b"}]},
        None,
    ),
    (
        "replace map field value in merging list (two-way)",
        {"mergingList": [{"name": 1, "value": 1}, {"name": 2, "value": 2}]},
        {"$setElementOrder/mergingList": [{"name": 1}, {"name": 2}], "mergingList": [{"name": 1, "value": "a"}]},
        {"mergingList": [{"name": 1, "value": "a"}, {"name": 2, "value": 2}]},
        None,
    ),
    (
        "replace map field value in merging list (three-way, on the live object)",
        {"mergingList": [{"name": 1, "value": 1, "other": "a"}, {"name": 2, "value": 2, "other": "b"}]},
        {"$setElementOrder/mergingList": [{"name": 1}, {"name": 2}], "mergingList": [{"name": 1, "value": "a"}]},
        {"mergingList": [{"name": 1, "value": "a", "other": "a"}, {"name": 2, "value": 2, "other": "b"}]},
        None,
    ),
    (
        "delete map from merging list (two-way)",
        {"mergingList": [{"name": 1}, {"name": 2}]},
        {"$setElementOrder/mergingList": [{"name": 2}], "mergingList": [{"name": 1, "$patch": "delete"}]},
        {"mergingList": [{"name": 2}]},
        None,
    ),
    (
        "delete map from merging list (three-way, on the live object)",
        {"mergingList": [{"name": 1}, {"name": 2, "other": "b"}]},
        {"$setElementOrder/mergingList": [{"name": 2}], "mergingList": [{"name": 1, "$patch": "delete"}]},
        {"mergingList": [{"name": 2, "other": "b"}]},
        None,
    ),
    (
        "delete missing map from merging list (two-way)",
        {"mergingList": [{"name": 1}, {"name": 2}]},
        {"$setElementOrder/mergingList": [{"name": 2}], "mergingList": [{"name": 1, "$patch": "delete"}]},
        {"mergingList": [{"name": 2}]},
        None,
    ),
    (
        "delete missing map from merging list (three-way, on the live object)",
        {"mergingList": [{"name": 2, "other": "b"}]},
        {"$setElementOrder/mergingList": [{"name": 2}], "mergingList": [{"name": 1, "$patch": "delete"}]},
        {"mergingList": [{"name": 2, "other": "b"}]},
        None,
    ),
    (
        "add map and delete map from merging list (two-way)",
        {"mergingList": [{"name": 1}, {"name": 2}]},
        {
            "$setElementOrder/mergingList": [{"name": 2}, {"name": 3}],
            "mergingList": [{"name": 3}, {"name": 1, "$patch": "delete"}],
        },
        {"mergingList": [{"name": 2}, {"name": 3}]},
        None,
    ),
    (
        "add map and delete map from merging list (three-way, on the live object)",
        {"mergingList": [{"name": 1}, {"name": 2, "other": "b"}, {"name": 4, "other": "c"}]},
        {
            "$setElementOrder/mergingList": [{"name": 2}, {"name": 3}],
            "mergingList": [{"name": 3}, {"name": 1, "$patch": "delete"}],
        },
        {"mergingList": [{"name": 2, "other": "b"}, {"name": 4, "other": "c"}, {"name": 3}]},
        None,
    ),
    (
        "add map and delete map from merging list with conflict (two-way)",
        {"mergingList": [{"name": 1}, {"name": 2}]},
        {
            "$setElementOrder/mergingList": [{"name": 2}, {"name": 3}],
            "mergingList": [{"name": 3}, {"name": 1, "$patch": "delete"}],
        },
        {"mergingList": [{"name": 2}, {"name": 3}]},
        None,
    ),
    (
        "add map and delete map from merging list with conflict (three-way, on the live object)",
        {"mergingList": [{"name": 1, "other": "a"}, {"name": 4, "other": "c"}]},
        {
            "$setElementOrder/mergingList": [{"name": 2}, {"name": 3}],
            "mergingList": [{"name": 2}, {"name": 3}, {"name": 1, "$patch": "delete"}],
        },
        {"mergingList": [{"name": 4, "other": "c"}, {"name": 2}, {"name": 3}]},
        None,
    ),
    (
        "delete field from map in merging list (two-way)",
        {"mergingList": [{"name": 1, "value": 1}, {"name": 2, "value": 2}]},
        {"$setElementOrder/mergingList": [{"name": 1}, {"name": 2}], "mergingList": [{"name": 1, "value": None}]},
        {"mergingList": [{"name": 1}, {"name": 2, "value": 2}]},
        None,
    ),
    (
        "delete field from map in merging list (three-way, on the live object)",
        {"mergingList": [{"name": 1, "value": 1, "other": "a"}, {"name": 2, "value": 2, "other": "b"}]},
        {"$setElementOrder/mergingList": [{"name": 1}, {"name": 2}], "mergingList": [{"name": 1, "value": None}]},
        {"mergingList": [{"name": 1, "other": "a"}, {"name": 2, "value": 2, "other": "b"}]},
        None,
    ),
    (
        "replace non merging list nested in merging list (two-way)",
        {"mergingList": [{"name": 1, "nonMergingList": [{"name": 1}, {"name": 2, "value": 2}]}, {"name": 2}]},
        {
            "$setElementOrder/mergingList": [{"name": 1}, {"name": 2}],
            "mergingList": [{"name": 1, "nonMergingList": [{"name": 1, "value": 1}]}],
        },
        {"mergingList": [{"name": 1, "nonMergingList": [{"name": 1, "value": 1}]}, {"name": 2}]},
        None,
    ),
    (
        "replace non merging list nested in merging list (three-way, on the live object)",
        {
            "mergingList": [
                {"name": 1, "other": "a", "nonMergingList": [{"name": 1}, {"name": 2, "value": 2}]},
                {"name": 2, "other": "b"},
            ]
        },
        {
            "$setElementOrder/mergingList": [{"name": 1}, {"name": 2}],
            "mergingList": [{"name": 1, "nonMergingList": [{"name": 1, "value": 1}]}],
        },
        {
            "mergingList": [
                {"name": 1, "other": "a", "nonMergingList": [{"name": 1, "value": 1}]},
                {"name": 2, "other": "b"},
            ]
        },
        None,
    ),
    (
        "add field to map in merging list nested in merging list (two-way)",
        {"mergingList": [{"name": 1, "mergingList": [{"name": 1}, {"name": 2, "value": 2}]}, {"name": 2}]},
        {
            "$setElementOrder/mergingList": [{"name": 1}, {"name": 2}],
            "mergingList": [
                {
                    "$setElementOrder/mergingList": [{"name": 1}, {"name": 2}],
                    "name": 1,
                    "mergingList": [{"name": 1, "value": 1}],
                }
            ],
        },
        {"mergingList": [{"name": 1, "mergingList": [{"name": 1, "value": 1}, {"name": 2, "value": 2}]}, {"name": 2}]},
        None,
    ),
    (
        "add field to map in merging list nested in merging list (three-way, on the live object)",
        {
            "mergingList": [
                {"name": 1, "other": "a", "mergingList": [{"name": 1}, {"name": 2, "value": 2}]},
                {"name": 2, "other": "b"},
            ]
        },
        {
            "$setElementOrder/mergingList": [{"name": 1}, {"name": 2}],
            "mergingList": [
                {
                    "$setElementOrder/mergingList": [{"name": 1}, {"name": 2}],
                    "name": 1,
                    "mergingList": [{"name": 1, "value": 1}],
                }
            ],
        },
        {
            "mergingList": [
                {"name": 1, "other": "a", "mergingList": [{"name": 1, "value": 1}, {"name": 2, "value": 2}]},
                {"name": 2, "other": "b"},
            ]
        },
        None,
    ),
    (
        "merge lists of scalars (two-way)",
        {"mergingIntList": [1, 2]},
        {"$setElementOrder/mergingIntList": [1, 2, 3], "mergingIntList": [3]},
        {"mergingIntList": [1, 2, 3]},
        None,
    ),
    (
        "merge lists of scalars (three-way, on the live object)",
        {"mergingIntList": [1, 2, 4]},
        {"$setElementOrder/mergingIntList": [1, 2, 3], "mergingIntList": [3]},
        {"mergingIntList": [1, 2, 3, 4]},
        None,
    ),
    (
        "add an item in a list of primitives and preserve order (two-way)",
        {"mergingIntList": [1, 2]},
        {"$setElementOrder/mergingIntList": [3, 1, 2], "mergingIntList": [3]},
        {"mergingIntList": [3, 1, 2]},
        None,
    ),
    (
        "add an item in a list of primitives and preserve order (three-way, on the live object)",
        {"mergingIntList": [1, 4, 2]},
        {"$setElementOrder/mergingIntList": [3, 1, 2], "mergingIntList": [3]},
        {"mergingIntList": [3, 1, 4, 2]},
        None,
    ),
    (
        "delete an item in a list and preserve order (two-way)",
        {"mergingList": [{"name": 1}, {"name": 3, "value": 3}, {"name": 2, "value": 2}]},
        {"$setElementOrder/mergingList": [{"name": 2}, {"name": 1}], "mergingList": [{"name": 3, "$patch": "delete"}]},
        {"mergingList": [{"name": 2, "value": 2}, {"name": 1}]},
        None,
    ),
    (
        "delete an item in a list and preserve order (three-way, on the live object)",
        {"mergingList": [{"name": 1, "other": "a"}, {"name": 2, "value": 2, "other": "b"}, {"name": 3, "value": 3}]},
        {"$setElementOrder/mergingList": [{"name": 2}, {"name": 1}], "mergingList": [{"name": 3, "$patch": "delete"}]},
        {"mergingList": [{"name": 2, "value": 2, "other": "b"}, {"name": 1, "other": "a"}]},
        None,
    ),
    (
        "change an item in a list and preserve order (two-way)",
        {"mergingList": [{"name": 1}, {"name": 3, "value": 3}, {"name": 2, "value": 2}]},
        {
            "$setElementOrder/mergingList": [{"name": 2}, {"name": 3}, {"name": 1}],
            "mergingList": [{"name": 3, "value": "x"}],
        },
        {"mergingList": [{"name": 2, "value": 2}, {"name": 3, "value": "x"}, {"name": 1}]},
        None,
    ),
    (
        "change an item in a list and preserve order (three-way, on the live object)",
        {"mergingList": [{"name": 1, "other": "a"}, {"name": 2, "value": 2, "other": "b"}, {"name": 3, "value": 3}]},
        {
            "$setElementOrder/mergingList": [{"name": 2}, {"name": 3}, {"name": 1}],
            "mergingList": [{"name": 3, "value": "x"}],
        },
        {"mergingList": [{"name": 2, "value": 2, "other": "b"}, {"name": 3, "value": "x"}, {"name": 1, "other": "a"}]},
        None,
    ),
    (
        "add and delete an item in a list and preserve order (two-way)",
        {"mergingList": [{"name": 1}, {"name": 3, "value": 3}, {"name": 2, "value": 2}]},
        {
            "$setElementOrder/mergingList": [{"name": 4}, {"name": 2}, {"name": 1}],
            "mergingList": [{"name": 4, "value": 4}, {"name": 3, "$patch": "delete"}],
        },
        {"mergingList": [{"name": 4, "value": 4}, {"name": 2, "value": 2}, {"name": 1}]},
        None,
    ),
    (
        "add and delete an item in a list and preserve order (three-way, on the live object)",
        {"mergingList": [{"name": 1, "other": "a"}, {"name": 2, "value": 2, "other": "b"}, {"name": 3, "value": 3}]},
        {
            "$setElementOrder/mergingList": [{"name": 4}, {"name": 2}, {"name": 1}],
            "mergingList": [{"name": 4, "value": 4}, {"name": 3, "$patch": "delete"}],
        },
        {"mergingList": [{"name": 4, "value": 4}, {"name": 2, "value": 2, "other": "b"}, {"name": 1, "other": "a"}]},
        None,
    ),
    (
        "set elements order in a list with server-only items (two-way)",
        {"mergingList": [{"name": 1}, {"name": 3, "value": 3}, {"name": 4, "value": 4}, {"name": 2, "value": 2}]},
        {"$setElementOrder/mergingList": [{"name": 4}, {"name": 2}, {"name": 3}, {"name": 1}]},
        {"mergingList": [{"name": 4, "value": 4}, {"name": 2, "value": 2}, {"name": 3, "value": 3}, {"name": 1}]},
        None,
    ),
    (
        "set elements order in a list with server-only items (three-way, on the live object)",
        {
            "mergingList": [
                {"name": 1, "other": "a"},
                {"name": 3, "value": 3},
                {"name": 4, "value": 4},
                {"name": 2, "value": 2},
                {"name": 9},
            ]
        },
        {"$setElementOrder/mergingList": [{"name": 4}, {"name": 2}, {"name": 3}, {"name": 1}]},
        {
            "mergingList": [
                {"name": 4, "value": 4},
                {"name": 2, "value": 2},
                {"name": 3, "value": 3},
                {"name": 1, "other": "a"},
                {"name": 9},
            ]
        },
        None,
    ),
    (
        "set elements order in a list with server-only items 3 (two-way)",
        {"mergingList": [{"name": 1}, {"name": 2, "value": 2}, {"name": 3, "value": 3}, {"name": 4, "value": 4}]},
        {"$setElementOrder/mergingList": [{"name": 2}, {"name": 1}, {"name": 4}, {"name": 3}]},
        {"mergingList": [{"name": 2, "value": 2}, {"name": 1}, {"name": 4, "value": 4}, {"name": 3, "value": 3}]},
        None,
    ),
    (
        "set elements order in a list with server-only items 3 (three-way, on the live object)",
        {
            "mergingList": [
                {"name": 1, "other": "a"},
                {"name": 2, "value": 2},
                {"name": 7},
                {"name": 9},
                {"name": 8},
                {"name": 3, "value": 3},
                {"name": 4, "value": 4},
            ]
        },
        {"$setElementOrder/mergingList": [{"name": 2}, {"name": 1}, {"name": 4}, {"name": 3}]},
        {
            "mergingList": [
                {"name": 2, "value": 2},
                {"name": 1, "other": "a"},
                {"name": 7},
                {"name": 9},
                {"name": 8},
                {"name": 4, "value": 4},
                {"name": 3, "value": 3},
            ]
        },
        None,
    ),
    (
        "set elements order in a int list with server-only items 2 (two-way)",
        {"mergingIntList": [1, 2, 3, 4]},
        {"$setElementOrder/mergingIntList": [2, 1, 4, 3]},
        {"mergingIntList": [2, 1, 4, 3]},
        None,
    ),
    (
        "set elements order in a int list with server-only items 2 (three-way, on the live object)",
        {"mergingIntList": [1, 2, 9, 3, 4]},
        {"$setElementOrder/mergingIntList": [2, 1, 4, 3]},
        {"mergingIntList": [2, 1, 9, 4, 3]},
        None,
    ),
    (
        "behavior of set element order for a merging list with duplicate (two-way)",
        {
            "mergingList": [
                {"name": 1},
                {"name": 2, "value": "dup1"},
                {"name": 3},
                {"name": 2, "value": "dup2"},
                {"name": 4},
            ]
        },
        {"$setElementOrder/mergingList": [{"name": 2}, {"name": 1}, {"name": 4}, {"name": 3}, {"name": 2}]},
        {
            "mergingList": [
                {"name": 2, "value": "dup1"},
                {"name": 2, "value": "dup2"},
                {"name": 1},
                {"name": 4},
                {"name": 3},
            ]
        },
        None,
    ),
    (
        "behavior of set element order for a merging list with duplicate (three-way, on the live object)",
        {
            "mergingList": [
                {"name": 1},
                {"name": 2, "value": "dup1"},
                {"name": 3},
                {"name": 2, "value": "dup2"},
                {"name": 4},
            ]
        },
        {"$setElementOrder/mergingList": [{"name": 2}, {"name": 1}, {"name": 4}, {"name": 3}, {"name": 2}]},
        {
            "mergingList": [
                {"name": 2, "value": "dup1"},
                {"name": 2, "value": "dup2"},
                {"name": 1},
                {"name": 4},
                {"name": 3},
            ]
        },
        None,
    ),
    (
        "retainKeys map adds a field and clear a field (two-way)",
        {"retainKeysMap": {"name": "foo"}},
        {"retainKeysMap": {"$retainKeys": ["name", "value"], "value": "bar"}},
        {"retainKeysMap": {"name": "foo", "value": "bar"}},
        None,
    ),
    (
        "retainKeys map adds a field and clear a field (three-way, on the live object)",
        {"retainKeysMap": {"name": "foo", "other": "a"}},
        {"retainKeysMap": {"$retainKeys": ["name", "value"], "value": "bar"}},
        {"retainKeysMap": {"name": "foo", "value": "bar"}},
        None,
    ),
    (
        "retainKeys map deletes a field and clears a field (two-way)",
        {"retainKeysMap": {"name": "foo", "value": "bar"}},
        {"retainKeysMap": {"$retainKeys": ["name"], "value": None}},
        {"retainKeysMap": {"name": "foo"}},
        None,
    ),
    (
        "retainKeys map deletes a field and clears a field (three-way, on the live object)",
        {"retainKeysMap": {"name": "foo", "value": "bar", "other": "a"}},
        {"retainKeysMap": {"$retainKeys": ["name"], "value": None}},
        {"retainKeysMap": {"name": "foo"}},
        None,
    ),
    (
        "retainKeys map adds an item and deletes an item in nested merging int list (two-way)",
        {"retainKeysMap": {"name": "foo", "mergingIntList": [1, 2, 3]}},
        {
            "retainKeysMap": {
                "$retainKeys": ["mergingIntList", "name"],
                "mergingIntList": [5],
                "$deleteFromPrimitiveList/mergingIntList": [2],
                "$setElementOrder/mergingIntList": [1, 3, 5],
            }
        },
        {"retainKeysMap": {"name": "foo", "mergingIntList": [1, 3, 5]}},
        None,
    ),
    (
        "retainKeys map adds an item and deletes an item in nested merging int list (three-way, on the live object)",
        {"retainKeysMap": {"name": "foo", "mergingIntList": [1, 2, 3, 4]}},
        {
            "retainKeysMap": {
                "$retainKeys": ["mergingIntList", "name"],
                "mergingIntList": [5],
                "$deleteFromPrimitiveList/mergingIntList": [2],
                "$setElementOrder/mergingIntList": [1, 3, 5],
            }
        },
        {"retainKeysMap": {"name": "foo", "mergingIntList": [1, 3, 5, 4]}},
        None,
    ),
    (
        "retainKeys list of maps changes a field and clear a field (two-way)",
        {"retainKeysMergingList": [{"name": "bar"}, {"name": "foo", "value": "old"}]},
        {
            "$setElementOrder/retainKeysMergingList": [{"name": "bar"}, {"name": "foo"}],
            "retainKeysMergingList": [{"$retainKeys": ["name", "value"], "name": "foo", "value": "new"}],
        },
        {"retainKeysMergingList": [{"name": "bar"}, {"name": "foo", "value": "new"}]},
        None,
    ),
    (
        "retainKeys list of maps changes a field and clear a field (three-way, on the live object)",
        {"retainKeysMergingList": [{"name": "bar"}, {"name": "foo", "value": "old", "other": "x"}]},
        {
            "$setElementOrder/retainKeysMergingList": [{"name": "bar"}, {"name": "foo"}],
            "retainKeysMergingList": [{"$retainKeys": ["name", "value"], "name": "foo", "value": "new"}],
        },
        {"retainKeysMergingList": [{"name": "bar"}, {"name": "foo", "value": "new"}]},
        None,
    ),
    (
        "delete and reorder in one list, reorder in another (two-way)",
        {
            "mergingList": [{"name": "a", "value": "a"}, {"name": "b", "value": "b"}],
            "mergeItemPtr": [{"name": "c", "value": "c"}, {"name": "d", "value": "d"}],
        },
        {
            "$setElementOrder/mergingList": [{"name": "b"}],
            "$setElementOrder/mergeItemPtr": [{"name": "d"}, {"name": "c"}],
            "mergingList": [{"$patch": "delete", "name": "a"}],
        },
        {
            "mergingList": [{"name": "b", "value": "b"}],
            "mergeItemPtr": [{"name": "d", "value": "d"}, {"name": "c", "value": "c"}],
        },
        None,
    ),
    (
        "delete and reorder in one list, reorder in another (three-way, on the live object)",
        {
            "mergingList": [{"name": "a", "value": "a"}, {"name": "b", "value": "b"}],
            "mergeItemPtr": [{"name": "c", "value": "c"}, {"name": "d", "value": "d"}],
        },
        {
            "$setElementOrder/mergingList": [{"name": "b"}],
            "$setElementOrder/mergeItemPtr": [{"name": "d"}, {"name": "c"}],
            "mergingList": [{"$patch": "delete", "name": "a"}],
        },
        {
            "mergingList": [{"name": "b", "value": "b"}],
            "mergeItemPtr": [{"name": "d", "value": "d"}, {"name": "c", "value": "c"}],
        },
        None,
    ),
    (
        "$setElementOrder contains item that is not present in the list to be merged",
        {"mergingList": [{"name": 1}, {"name": 3}]},
        {
            "$setElementOrder/mergingList": [{"name": 3}, {"name": 2}, {"name": 1}],
            "mergingList": [{"name": 3, "value": 3}, {"name": 1, "value": 1}],
        },
        {"mergingList": [{"name": 3, "value": 3}, {"name": 1, "value": 1}]},
        None,
    ),
    (
        "should check if order in $setElementOrder and patch list match",
        {"mergingList": [{"name": 1}, {"name": 3}, {"name": 2}]},
        {
            "$setElementOrder/mergingList": [{"name": 1}, {"name": 2}, {"name": 3}],
            "mergingList": [{"name": 3, "value": 3}, {"name": 1, "value": 1}],
        },
        {},
        "doesn't match",
    ),
    (
        "missing merge key should error out",
        {"mergingList": [{"name": 1, "value": "a"}]},
        {"mergingList": [{"value": "b"}]},
        {},
        "does not contain declared merge key",
    ),
    (
        "$deleteFromPrimitiveList of nonexistent item in primitive list should not add the item to the list",
        {"mergingIntList": [1, 2]},
        {"$deleteFromPrimitiveList/mergingIntList": [3]},
        {"mergingIntList": [1, 2]},
        None,
    ),
    (
        "$deleteFromPrimitiveList should delete item from a list without merge patch strategy",
        {"nonMergingIntList": [1, 2, 3]},
        {"$deleteFromPrimitiveList/nonMergingIntList": [2]},
        {"nonMergingIntList": [1, 3]},
        None,
    ),
    (
        "replace RawExtension field and merge list (two-way)",
        {
            "name": "my-object",
            "value": "some-value",
            "other": "current-other",
            "mergingList": [{"name": 1}],
            "replacingItem": {"Some": "Generic", "Yaml": "Inside", "The": "RawExtension", "Field": "Period"},
        },
        {
            "$setElementOrder/mergingList": [{"name": 1}, {"name": 2}],
            "mergingList": [{"name": 2}],
            "replacingItem": {"Newly": "Modified", "Yaml": "Inside", "The": "RawExtension"},
        },
        {
            "name": "my-object",
            "value": "some-value",
            "other": "current-other",
            "mergingList": [{"name": 1}, {"name": 2}],
            "replacingItem": {"Newly": "Modified", "Yaml": "Inside", "The": "RawExtension"},
        },
        None,
    ),
    (
        "replace RawExtension field and merge list (three-way, on the live object)",
        {
            "name": "my-object",
            "value": "some-value",
            "other": "current-other",
            "mergingList": [{"name": 1}, {"name": 3}],
            "replacingItem": {"Some": "Generic", "Yaml": "Inside", "The": "RawExtension", "Field": "Period"},
        },
        {
            "$setElementOrder/mergingList": [{"name": 1}, {"name": 2}],
            "mergingList": [{"name": 2}],
            "replacingItem": {"Newly": "Modified", "Yaml": "Inside", "The": "RawExtension"},
        },
        {
            "name": "my-object",
            "value": "some-value",
            "other": "current-other",
            "mergingList": [{"name": 1}, {"name": 2}, {"name": 3}],
            "replacingItem": {"Newly": "Modified", "Yaml": "Inside", "The": "RawExtension"},
        },
        None,
    ),
]


@pytest.mark.parametrize(
    ("description", "original", "patch", "expected", "error"), CASES, ids=[case[0] for case in CASES]
)
def test_upstream_case(
    description: str, original: dict[str, Any], patch: dict[str, Any], expected: dict[str, Any], error: str | None
) -> None:
    """patch_test.go TestStrategicMergePatch (testTwoWayPatchForRawTestCase / testThreeWayPatchForRawTestCase:
    their testPatchApplication half) and TestCustomStrategicMergePatch / TestReplaceWithRawExtension."""
    if error:
        with pytest.raises(ApiError) as raised:
            strategic_merge_patch(original, patch, MERGE_ITEM)
        assert error in raised.value.message
        return
    assert strategic_merge_patch(original, patch, MERGE_ITEM) == expected


def test_arguments_are_not_modified() -> None:
    """patch.go StrategicMergeMapPatch warns that it mutates its arguments; this port must not."""
    original = {"mergingList": [{"name": "a", "value": "1"}], "simpleMap": {"k": "v"}}
    patch = {"mergingList": [{"name": "a", "$patch": "delete"}], "simpleMap": {"k": None}}
    before = (repr(original), repr(patch))
    strategic_merge_patch(original, patch, MERGE_ITEM)
    assert (repr(original), repr(patch)) == before
