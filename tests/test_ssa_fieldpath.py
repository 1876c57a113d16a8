"""Field sets and the typed operations of engine.fieldmanager, as table tests ported from structured-merge-diff."""

from __future__ import annotations

import pytest

from engine.fieldmanager import fieldpath as fp
from engine.fieldmanager import type_for
from engine.fieldmanager.typed import compare, merge, remove_items, to_field_set

POD = type_for("v1", "Pod")
DEPLOYMENT = type_for("apps/v1", "Deployment")
CONFIGMAP = type_for("v1", "ConfigMap")


def test_path_element_strings() -> None:
    """fieldpath/element_test.go TestPathElementString and serialize-pe_test.go: `f:`, `k:`, `v:`, `i:`."""
    assert fp.key_element({"protocol": "TCP", "containerPort": 80}) == 'k:{"containerPort":80,"protocol":"TCP"}'
    assert fp.value_element("a<b") == 'v:"a\\u003cb"'
    assert fp.path_string(("f:spec", "f:containers", 'k:{"name":"web"}', "f:image")) == \
        '.spec.containers[name="web"].image'
    assert fp.path_string(("f:metadata", "f:finalizers", 'v:"x"')) == '.metadata.finalizers[="x"]'
    assert fp.path_string(("f:list", "i:3")) == ".list[3]"
    assert fp.path_string(("f:ports", 'k:{"containerPort":80,"protocol":"TCP"}')) == \
        '.ports[containerPort=80,protocol="TCP"]'


def test_set_order_is_fields_then_keys_then_values_then_indices() -> None:
    """fieldpath/element.go PathElement.Compare: numbers compare as numbers, not as text."""
    s = fp.sorted_set({"i:0": {}, 'v:"b"': {}, 'k:{"port":10}': {}, 'k:{"port":9}': {}, "f:z": {}, "f:a": {}})
    assert list(s) == ["f:a", "f:z", 'k:{"port":9}', 'k:{"port":10}', 'v:"b"', "i:0"]


@pytest.mark.parametrize(("a", "b", "union", "difference", "intersection"), [
    # fieldpath/set_test.go TestSetUnion / TestSetDifference / TestSetIntersection, in FieldsV1 form
    ({"f:a": {}}, {"f:b": {}}, {"f:a": {}, "f:b": {}}, {"f:a": {}}, {}),
    ({"f:a": {"f:x": {}}}, {"f:a": {}}, {"f:a": {".": {}, "f:x": {}}}, {"f:a": {"f:x": {}}}, {}),
    ({"f:a": {".": {}, "f:x": {}}}, {"f:a": {"f:x": {}}}, {"f:a": {".": {}, "f:x": {}}}, {"f:a": {}},
     {"f:a": {"f:x": {}}}),
    ({"f:a": {"f:x": {}, "f:y": {}}}, {"f:a": {"f:y": {}}}, {"f:a": {"f:x": {}, "f:y": {}}},
     {"f:a": {"f:x": {}}}, {"f:a": {"f:y": {}}}),
])
def test_set_algebra(a, b, union, difference, intersection) -> None:
    assert fp.union(a, b) == union
    assert fp.difference(a, b) == difference
    assert fp.intersection(a, b) == intersection


def test_members_iterate_in_order() -> None:
    """fieldpath/set.go Set.Iterate: members only, parents before children."""
    s = {"f:a": {".": {}, "f:x": {}}, "f:b": {"f:c": {}}}
    assert list(fp.members(s)) == [("f:a",), ("f:a", "f:x"), ("f:b", "f:c")]


def test_to_field_set_of_an_applied_deployment() -> None:
    """typed/tofieldset.go as `kubectl apply --server-side` records it on a v1.36 API server: list items are
    members, maps and structs are not, an atomic selector is one leaf, a missing protocol key takes its default."""
    config = {"metadata": {"labels": {"app": "web"}}, "spec": {
        "replicas": 2, "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [
            {"name": "nginx", "image": "nginx:1.27", "ports": [{"containerPort": 80}]}]}}}}
    assert to_field_set(config, DEPLOYMENT) == {
        "f:metadata": {"f:labels": {"f:app": {}}},
        "f:spec": {"f:replicas": {}, "f:selector": {}, "f:template": {
            "f:metadata": {"f:labels": {"f:app": {}}},
            "f:spec": {"f:containers": {'k:{"name":"nginx"}': {
                ".": {}, "f:image": {}, "f:name": {},
                "f:ports": {'k:{"containerPort":80,"protocol":"TCP"}': {".": {}, "f:containerPort": {}}}}}}}}}


def test_to_field_set_sets_and_empty_values() -> None:
    """typed/toset_test.go: set-like lists key items by value; empty maps and nulls are leaves."""
    pod = {"metadata": {"finalizers": ["a", "b"]}, "spec": {"containers": [{"name": "c", "resources": {}}]}}
    assert to_field_set(pod, POD) == {
        "f:metadata": {"f:finalizers": {'v:"a"': {}, 'v:"b"': {}}},
        "f:spec": {"f:containers": {'k:{"name":"c"}': {".": {}, "f:name": {}, "f:resources": {}}}}}


def test_compare_walks_only_what_changed() -> None:
    """typed/comparison_test.go: added, modified and removed leaves; an added map is a member itself."""
    old = {"data": {"a": "1", "b": "2"}}
    new = {"data": {"a": "9", "c": "3"}, "binaryData": {"x": "eA=="}}
    cmp = compare(old, new, CONFIGMAP)
    assert cmp.modified == {"f:data": {"f:a": {}}}
    assert cmp.added == {"f:binaryData": {".": {}, "f:x": {}}, "f:data": {"f:c": {}}}
    assert cmp.removed == {"f:data": {"f:b": {}}}


@pytest.mark.parametrize(("live", "config", "merged"), [
    # merge/multiple_appliers_test.go and typed/merge_test.go: associative lists merge by key, keep the live
    # order, place new items where the applied list puts them; atomic lists and scalars are replaced.
    ({"containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "1"}]},
     {"containers": [{"name": "b", "image": "2"}]},
     {"containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "2"}]}),
    ({"containers": [{"name": "a"}, {"name": "c"}]},
     {"containers": [{"name": "a"}, {"name": "b"}, {"name": "c"}]},
     {"containers": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}),
    ({"containers": [{"name": "a", "args": ["x", "y"]}]}, {"containers": [{"name": "a", "args": ["z"]}]},
     {"containers": [{"name": "a", "args": ["z"]}]}),
])
def test_merge(live, config, merged) -> None:
    spec = POD.field("spec")
    assert merge(live, config, spec) == merged


def test_remove_items_drops_containers_left_empty() -> None:
    """typed/remove_test.go: members go with their subtrees; an emptied map goes too."""
    obj = {"metadata": {"labels": {"a": "1"}, "annotations": {"k": "v"}}}
    assert remove_items(obj, {"f:metadata": {"f:labels": {"f:a": {}}}}, CONFIGMAP) == \
        {"metadata": {"annotations": {"k": "v"}}}
