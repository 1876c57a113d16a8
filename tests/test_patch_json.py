"""JSON patch (RFC 6902) and JSON merge patch (RFC 7386), as kube-apiserver applies them.

The examples are the RFCs' own: RFC 6902 appendix A (A.1-A.16) and RFC 7386 appendix A. Where the server's
library (gopkg.in/evanphx/json-patch.v4, called from staging/src/k8s.io/apiserver/pkg/endpoints/handlers/patch.go
applyJSPatch) departs from the RFC, the tests follow the server; those answers were checked against a real
kube-apiserver v1.36 with `kubectl patch --type=json|merge --dry-run=server`.
"""

from __future__ import annotations

from typing import Any

import pytest

from engine.errors import ApiError
from engine.patch import json_patch, merge_patch

REJECTED = "the server rejected our request due to an error in our request"

RFC6902_OK = [
    ("A.1 adding an object member", {"foo": "bar"}, [{"op": "add", "path": "/baz", "value": "qux"}],
     {"baz": "qux", "foo": "bar"}),
    ("A.2 adding an array element", {"foo": ["bar", "baz"]}, [{"op": "add", "path": "/foo/1", "value": "qux"}],
     {"foo": ["bar", "qux", "baz"]}),
    ("A.3 removing an object member", {"baz": "qux", "foo": "bar"}, [{"op": "remove", "path": "/baz"}],
     {"foo": "bar"}),
    ("A.4 removing an array element", {"foo": ["bar", "qux", "baz"]}, [{"op": "remove", "path": "/foo/1"}],
     {"foo": ["bar", "baz"]}),
    ("A.5 replacing a value", {"baz": "qux", "foo": "bar"}, [{"op": "replace", "path": "/baz", "value": "boo"}],
     {"baz": "boo", "foo": "bar"}),
    ("A.6 moving a value", {"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}},
     [{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}],
     {"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}}),
    ("A.7 moving an array element", {"foo": ["all", "grass", "cows", "eat"]},
     [{"op": "move", "from": "/foo/1", "path": "/foo/3"}], {"foo": ["all", "cows", "eat", "grass"]}),
    ("A.8 testing a value: success", {"baz": "qux", "foo": ["a", 2, "c"]},
     [{"op": "test", "path": "/baz", "value": "qux"}, {"op": "test", "path": "/foo/1", "value": 2}],
     {"baz": "qux", "foo": ["a", 2, "c"]}),
    ("A.10 adding a nested member object", {"foo": "bar"},
     [{"op": "add", "path": "/child", "value": {"grandchild": {}}}],
     {"foo": "bar", "child": {"grandchild": {}}}),
    ("A.11 ignoring unrecognized elements", {"foo": "bar"},
     [{"op": "add", "path": "/baz", "value": "qux", "xyz": 123}], {"foo": "bar", "baz": "qux"}),
    ("A.14 ~ escape ordering", {"/": 9, "~1": 10}, [{"op": "test", "path": "/~01", "value": 10}], {"/": 9, "~1": 10}),
    ("A.16 adding an array value", {"foo": ["bar"]}, [{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}],
     {"foo": ["bar", ["abc", "def"]]}),
    ("escaped slash in a key", {"a": {}}, [{"op": "add", "path": "/a/b~1c", "value": 1}], {"a": {"b/c": 1}}),
    ("negative index counts from the end", {"f": ["a", "b"]}, [{"op": "remove", "path": "/f/-1"}], {"f": ["a"]}),
    ("server: replace of a missing member adds it", {"data": {"a": "1"}},
     [{"op": "replace", "path": "/data/zz", "value": "2"}], {"data": {"a": "1", "zz": "2"}}),
    ("server: copy from a missing member copies null", {"data": {"a": "1"}},
     [{"op": "copy", "from": "/data/nope", "path": "/data/c"}], {"data": {"a": "1", "c": None}}),
    ("server: test of a missing member against null passes", {"data": {}},
     [{"op": "test", "path": "/data/zz", "value": None}], {"data": {}}),
    ("server: add without a value adds null", {"data": {}}, [{"op": "add", "path": "/data/x"}], {"data": {"x": None}}),
    ("server: objects compare regardless of member order", {"d": {"a": "1", "b": "2"}},
     [{"op": "test", "path": "/d", "value": {"b": "2", "a": "1"}}], {"d": {"a": "1", "b": "2"}}),
    ("server: a path without a leading slash loses its first token", {"x": 1}, [{"op": "add", "path": "data/q",
                                                                             "value": 2}], {"x": 1, "q": 2}),
    ("server: replace at the root swaps the document", {"a": 1}, [{"op": "replace", "path": "", "value": {"b": 2}}],
     {"b": 2}),
    ("server: a null patch changes nothing", {"a": 1}, None, {"a": 1}),
]


@pytest.mark.parametrize(("doc", "ops", "expected"), [case[1:] for case in RFC6902_OK],
                         ids=[case[0] for case in RFC6902_OK])
def test_json_patch_applies(doc: Any, ops: Any, expected: Any) -> None:
    """RFC 6902 appendix A; evanphx/json-patch v4 patch.go Patch.Apply for the `server:` cases."""
    before = repr(doc)
    assert json_patch(doc, ops) == expected
    assert repr(doc) == before  # the argument is left alone


RFC6902_FAIL = [
    ("A.9 testing a value: error", {"baz": "qux"}, [{"op": "test", "path": "/baz", "value": "bar"}],
     "testing value /baz failed: test failed"),
    ("A.12 adding to a nonexistent target", {"foo": "bar"}, [{"op": "add", "path": "/baz/bat", "value": "qux"}],
     'add operation does not apply: doc is missing path: "/baz/bat": missing value'),
    ("A.15 comparing strings and numbers", {"/": 9, "~1": 10}, [{"op": "test", "path": "/~01", "value": "10"}],
     "testing value /~01 failed: test failed"),
    ("numbers compare by their text", {"n": 0}, [{"op": "test", "path": "/n", "value": 0.0}],
     "testing value /n failed: test failed"),
    ("removing a missing member", {"a": {}}, [{"op": "remove", "path": "/a/zz"}],
     "error in remove for path: '/a/zz': Unable to remove nonexistent key: zz: missing value"),
    ("index out of range", {"f": ["a"]}, [{"op": "add", "path": "/f/5", "value": "x"}],
     "error in add for path: '/f/5': Unable to access invalid index: 5: invalid index referenced"),
    ("index that is not a number", {"f": ["a"]}, [{"op": "remove", "path": "/f/x"}],
     "error in remove for path: '/f/x': strconv.Atoi: parsing \"x\": invalid syntax"),
    ("unknown operation", {}, [{"op": "bogus", "path": "/a"}], "Unexpected kind: bogus"),
    ("operation missing", {}, [{"path": "/a"}], "Unexpected kind: unknown"),
    ("add at the root", {}, [{"op": "add", "path": "", "value": {}}],
     'add operation does not apply: doc is missing path: "": missing value'),
    ("replace the root with a scalar", {}, [{"op": "replace", "path": "", "value": 5}],
     "replace operation value must be object or array"),
    ("move without from", {}, [{"op": "move", "path": "/c"}],
     "move operation failed to decode from: operation, missing from field: missing value"),
]


@pytest.mark.parametrize(("doc", "ops", "detail"), [case[1:] for case in RFC6902_FAIL],
                         ids=[case[0] for case in RFC6902_FAIL])
def test_json_patch_failures_are_422(doc: Any, ops: Any, detail: str) -> None:
    """handlers/patch.go applyJSPatch: a failed operation is NewGenericServerResponse(422), which shows only a
    fixed sentence and an empty `details`; evanphx/json-patch v4's own message is kept as `detail`."""
    with pytest.raises(ApiError) as raised:
        json_patch(doc, ops)
    error = raised.value
    assert (error.code, error.status["reason"], error.message) == (422, "Invalid", REJECTED)
    assert error.status["details"] == {}
    assert error.detail == detail  # type: ignore[attr-defined]


@pytest.mark.parametrize(("ops", "message"), [
    ({"op": "add"}, "error decoding patch: json: cannot unmarshal object into Go value of type "
                    "[]handlers.jsonPatchOp"),
    ([1], "error decoding patch: json: cannot unmarshal number into Go value of type handlers.jsonPatchOp"),
    ([{"op": 5, "path": "/a"}], "error decoding patch: json: cannot unmarshal number into Go struct field "
                                "jsonPatchOp.op of type string"),
    ([{"op": "add", "path": 6}], "error decoding patch: json: cannot unmarshal number into Go struct field "
                                 "jsonPatchOp.path of type string"),
])
def test_json_patch_that_does_not_decode_is_400(ops: Any, message: str) -> None:
    """handlers/patch.go applyJSPatch: kjson.UnmarshalStrict into []jsonPatchOp fails with a 400."""
    with pytest.raises(ApiError) as raised:
        json_patch({}, ops)
    assert (raised.value.code, raised.value.message) == (400, message)


def test_json_patch_operation_limit() -> None:
    """handlers/patch.go maxJSONPatchOperations: more than 10,000 operations is a 413."""
    with pytest.raises(ApiError) as raised:
        json_patch({}, [{"op": "test", "path": "/a", "value": None}] * 10001)
    assert raised.value.code == 413
    assert raised.value.message.endswith("The allowed maximum operations in a JSON patch is 10000, got 10001")


RFC7386 = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], {"a": "b"}, {"a": "b"}),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("target", "patch", "expected"), RFC7386)
def test_merge_patch_rfc7386_appendix(target: Any, patch: Any, expected: Any) -> None:
    """RFC 7386 appendix A, through evanphx/json-patch v4 merge.go MergePatch (the rows whose patch is an
    object: the API server refuses the others before applying them)."""
    before = repr(target)
    assert merge_patch(target, patch) == expected
    assert repr(target) == before


def test_merge_patch_as_the_server_does() -> None:
    """merge.go mergeDocs: nulls nested in an added object are pruned; arrays replace whole."""
    doc = {"data": {"a": "1", "b": "2"}, "list": [1, 2]}
    patch = {"data": {"a": None, "n": {"x": None, "y": 1}}, "list": [3]}
    assert merge_patch(doc, patch) == {"data": {"b": "2", "n": {"y": 1}}, "list": [3]}


@pytest.mark.parametrize(("patch", "message"), [
    (None, "Invalid JSON Patch"),
    ([1], "error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}"),
    ("x", "error decoding patch: json: cannot unmarshal string into Go value of type map[string]interface {}"),
])
def test_merge_patch_that_is_not_an_object_is_400(patch: Any, message: str) -> None:
    """handlers/patch.go applyJSPatch (MergePatchType): what a v1.36 server answers for these bodies."""
    with pytest.raises(ApiError) as raised:
        merge_patch({}, patch)
    assert (raised.value.code, raised.value.message) == (400, message)
