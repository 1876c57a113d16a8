"""Strategic merge patch on built-in kinds, with the patch metadata of the official OpenAPI schemas.

Every expected result and error here was first checked against a real kube-apiserver v1.36 with
`kubectl patch --type=strategic --dry-run=server` (or the same PATCH through `kubectl proxy`) on this Deployment.
Behaviour follows staging/src/k8s.io/apimachinery/pkg/util/strategicpatch/patch.go (StrategicMergeMapPatch) and
the error mapping of staging/src/k8s.io/apiserver/pkg/endpoints/handlers/patch.go (interpretStrategicMergePatchError).
"""

from __future__ import annotations

from typing import Any

import pytest

from engine.errors import ApiError
from engine.patch import patch_schema, strategic_merge_patch


def deployment() -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}, "finalizers": ["example.com/a", "example.com/b"]},
        "spec": {
            "replicas": 0, "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                "containers": [
                    {"name": "nginx", "image": "nginx:1.25",
                     "ports": [{"containerPort": 80, "name": "http"}, {"containerPort": 443, "name": "https"}],
                     "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                     "volumeMounts": [{"name": "data", "mountPath": "/data"}]},
                    {"name": "side", "image": "busybox", "args": ["sleep", "1d"]},
                ],
                "volumes": [{"name": "data", "emptyDir": {}}, {"name": "cfg", "configMap": {"name": "cm"}}],
            }},
        },
    }


def pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    return obj["spec"]["template"]["spec"]


def containers(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in pod_spec(obj)["containers"]}


def with_pod_spec(spec: dict[str, Any]) -> dict[str, Any]:
    return {"spec": {"template": {"spec": spec}}}


def test_containers_merge_by_name() -> None:
    """patch.go mergeSliceWithoutSpecialElements: containers (patchMergeKey name) merge element by element."""
    result = strategic_merge_patch(deployment(), with_pod_spec({"containers": [{"name": "nginx", "image": "n:2"}]}))
    assert containers(result)["nginx"]["image"] == "n:2"
    assert containers(result)["nginx"]["env"] == deployment()["spec"]["template"]["spec"]["containers"][0]["env"]
    assert [c["name"] for c in pod_spec(result)["containers"]] == ["nginx", "side"]


def test_new_container_goes_first() -> None:
    """patch.go normalizeElementOrder/mergeSortedSlice: an element new to the list comes before server-only ones."""
    result = strategic_merge_patch(deployment(), with_pod_spec({"containers": [{"name": "extra", "image": "r"}]}))
    assert [c["name"] for c in pod_spec(result)["containers"]] == ["extra", "nginx", "side"]


def test_env_merges_by_name_in_patch_order() -> None:
    """patch.go mergeSlice: env (merge key name) keeps the patch's order, then the live-only entries."""
    patch = with_pod_spec({"containers": [{"name": "nginx", "env": [{"name": "C", "value": "3"},
                                                                     {"name": "A", "value": "9"}]}]})
    env = containers(strategic_merge_patch(deployment(), patch))["nginx"]["env"]
    assert env == [{"name": "C", "value": "3"}, {"name": "A", "value": "9"}, {"name": "B", "value": "2"}]


def test_ports_merge_by_container_port_and_delete() -> None:
    """patch.go mergeSliceWithSpecialElements: ports merge by containerPort; `$patch: delete` removes one."""
    added = strategic_merge_patch(deployment(), with_pod_spec(
        {"containers": [{"name": "nginx", "ports": [{"containerPort": 8080, "name": "alt"}]}]}))
    assert [p["containerPort"] for p in containers(added)["nginx"]["ports"]] == [8080, 80, 443]
    deleted = strategic_merge_patch(deployment(), with_pod_spec(
        {"containers": [{"name": "nginx", "ports": [{"containerPort": 443, "$patch": "delete"}]}]}))
    assert containers(deleted)["nginx"]["ports"] == [{"containerPort": 80, "name": "http"}]


def test_delete_a_container_and_nested_entries() -> None:
    """patch.go deleteMatchingEntries, through a merge-key list nested in a merge-key list."""
    gone = strategic_merge_patch(deployment(), with_pod_spec({"containers": [{"name": "side", "$patch": "delete"}]}))
    assert list(containers(gone)) == ["nginx"]
    nested = strategic_merge_patch(deployment(), with_pod_spec({"containers": [{
        "name": "nginx", "env": [{"name": "B", "$patch": "delete"}],
        "volumeMounts": [{"mountPath": "/data", "$patch": "delete"}]}]}))
    assert containers(nested)["nginx"]["env"] == [{"name": "A", "value": "1"}]
    assert containers(nested)["nginx"]["volumeMounts"] == []


def test_list_replace_directive_and_non_merging_list() -> None:
    """patch.go mergeSliceWithSpecialElements `$patch: replace`; args has no strategy, so it is replaced."""
    replaced = strategic_merge_patch(deployment(), with_pod_spec(
        {"containers": [{"$patch": "replace"}, {"name": "only", "image": "i"}]}))
    assert pod_spec(replaced)["containers"] == [{"name": "only", "image": "i"}]
    args = strategic_merge_patch(deployment(), with_pod_spec({"containers": [{"name": "side", "args": ["x"]}]}))
    assert containers(args)["side"]["args"] == ["x"]


def test_set_element_order() -> None:
    """patch.go mergePatchIntoOriginal: `$setElementOrder/containers` reorders, and places new elements."""
    reordered = strategic_merge_patch(deployment(), with_pod_spec({
        "$setElementOrder/containers": [{"name": "side"}, {"name": "nginx"}],
        "containers": [{"name": "nginx", "image": "y"}]}))
    assert [c["name"] for c in pod_spec(reordered)["containers"]] == ["side", "nginx"]
    assert containers(reordered)["nginx"]["image"] == "y"
    placed = strategic_merge_patch(deployment(), with_pod_spec({
        "$setElementOrder/containers": [{"name": "side"}, {"name": "new"}, {"name": "nginx"}],
        "containers": [{"name": "new", "image": "z"}]}))
    assert [c["name"] for c in pod_spec(placed)["containers"]] == ["side", "new", "nginx"]


def test_volumes_retain_keys() -> None:
    """patch.go applyRetainKeysDirective: volumes are `merge,retainKeys`; the other source is cleared."""
    result = strategic_merge_patch(deployment(), with_pod_spec({"volumes": [
        {"name": "data", "hostPath": {"path": "/x"}, "$retainKeys": ["hostPath", "name"]}]}))
    assert pod_spec(result)["volumes"] == [{"name": "data", "hostPath": {"path": "/x"}},
                                           {"name": "cfg", "configMap": {"name": "cm"}}]


def test_deployment_strategy_retain_keys() -> None:
    """patch.go applyRetainKeysDirective on a map field: DeploymentSpec.strategy has the retainKeys strategy."""
    result = strategic_merge_patch(deployment(), {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}})
    assert result["spec"]["strategy"] == {"type": "Recreate"}


def test_finalizers_primitive_merge_list() -> None:
    """patch.go mergeSlice on scalars, deleteFromSlice, and `$setElementOrder` of a primitive list."""
    merged = strategic_merge_patch(deployment(), {"metadata": {"finalizers": ["example.com/c"]}})
    assert merged["metadata"]["finalizers"] == ["example.com/c", "example.com/a", "example.com/b"]
    deleted = strategic_merge_patch(deployment(), {"metadata": {
        "finalizers": ["example.com/c"], "$deleteFromPrimitiveList/finalizers": ["example.com/a"]}})
    assert deleted["metadata"]["finalizers"] == ["example.com/c", "example.com/b"]
    ordered = strategic_merge_patch(deployment(), {"metadata": {
        "$setElementOrder/finalizers": ["example.com/b", "example.com/c", "example.com/a"],
        "finalizers": ["example.com/c"]}})
    assert ordered["metadata"]["finalizers"] == ["example.com/b", "example.com/c", "example.com/a"]


def test_null_deletes_a_map_entry() -> None:
    """patch.go mergeMap: a null value deletes the key, as in a JSON merge patch."""
    result = strategic_merge_patch(deployment(), {"metadata": {"labels": {"app": None, "tier": "web"}}})
    assert result["metadata"]["labels"] == {"tier": "web"}


@pytest.mark.parametrize(("patch", "code", "message"), [
    (with_pod_spec({"containers": [{"image": "x"}]}), 500,
     "map: map[image:x] does not contain declared merge key: name"),
    ({"metadata": {"finalizers": [{"$patch": "bogus"}]}}, 500,
     "list element types are not identical: [[example.com/a example.com/b] [map[$patch:bogus]]]"),
    ({"spec": {"$patch": "bogus"}}, 500, "unknown patch type: bogus in map: map[$patch:bogus]"),
    (with_pod_spec({"containers": [{"name": "nginx", "$patch": "merge"}]}), 500,
     "merging lists cannot yet be specified in the patch"),
    (with_pod_spec({"containers": [{"$patch": "delete"}]}), 500,
     "map: map[$patch:delete] does not contain declared merge key: name"),
    (with_pod_spec({"$setElementOrder/containers": [{"name": "side"}],
                    "containers": [{"name": "nginx", "image": "y"}]}), 500,
     "The order in patch list:\n[map[image:y name:nginx]]\n doesn't match $setElementOrder list:\n"
     "[map[name:side]]\n"),
    ({"metadata": {"$setElementOrder/finalizers": "x"}}, 500, "expected a []interface {}, but received a string"),
    (with_pod_spec({"volumes": [{"name": "data", "hostPath": {"path": "/x"}, "$retainKeys": ["name"]}]}), 400,
     "invalid patch format of retainKeys"),
    ({"spec": {"strategy": {"$retainKeys": "type"}}}, 400, "invalid patch format of retainKeys"),
    ({"metadata": {"$deleteFromPrimitiveListfinalizers": ["x"]}}, 400, "invalid patch format of primitive list"),
    ([1], 400, "json: cannot unmarshal array into Go value of type map[string]interface {}"),
])
def test_errors_as_the_api_server_reports_them(patch: Any, code: int, message: str) -> None:
    """handlers/patch.go interpretStrategicMergePatchError: mergepatch's format errors are 400, the rest 500."""
    with pytest.raises(ApiError) as raised:
        strategic_merge_patch(deployment(), patch)
    assert (raised.value.code, raised.value.message) == (code, message)
    assert ("reason" in raised.value.status) == (code != 500)  # a plain Go error has no reason


def test_null_patch_and_custom_resources() -> None:
    """handlers/patch.go strategicPatchObject: `null` decodes to an empty map; CRs are refused (415)."""
    assert strategic_merge_patch(deployment(), None) == deployment()
    with pytest.raises(ApiError) as raised:
        strategic_merge_patch({"apiVersion": "example.com/v1", "kind": "Widget"}, {})
    assert raised.value.code == 415


def test_schema_lookup() -> None:
    """meta.go LookupPatchMetadataForSlice, answered from the OpenAPI definitions."""
    spec = patch_schema("v1", "Pod")
    assert spec is not None
    pod_spec_schema, _ = spec.lookup_struct("spec")
    container, meta = pod_spec_schema.lookup_slice("containers")
    assert (meta.strategies, meta.merge_key) == (("merge",), "name")
    assert container.lookup_slice("ports")[1].merge_key == "containerPort"
    assert pod_spec_schema.lookup_slice("volumes")[1].strategies == ("merge", "retainKeys")
    assert patch_schema("example.com/v1", "Widget") is None
