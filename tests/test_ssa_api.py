"""Server-side apply and managedFields through engine.api (the one door), checked against what a v1.36
kube-apiserver records (k8s.io/apiserver/pkg/endpoints/handlers/fieldmanager, managedfields/internal tests)."""

from __future__ import annotations

import copy

import pytest

from engine.cluster import Cluster
from engine.errors import ApiError

DEP = {"apiVersion": "apps/v1", "kind": "Deployment",
       "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
       "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": {
           "metadata": {"labels": {"app": "web"}},
           "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27", "ports": [{"containerPort": 80}]}]}}}}
CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c1"}, "data": {"a": "1"}}


@pytest.fixture
async def cluster():
    async with Cluster(nodes=1) as c:
        yield c


def _entries(obj):
    return [(e["manager"], e["operation"], e.get("subresource", "")) for e in obj["metadata"]["managedFields"]]


async def test_update_on_create_records_what_upstream_records(cluster) -> None:
    """managedfields/internal fieldmanager_test.go TestUpdateApplyConflict's first step, as the real server
    records `kubectl apply` (client-side): value structs have no ".", pointers and maps do."""
    obj = cluster.api.create(copy.deepcopy(DEP), manager="kubectl-client-side-apply")
    (entry,) = obj["metadata"]["managedFields"]
    assert (entry["manager"], entry["operation"], entry["apiVersion"], entry["fieldsType"]) == \
        ("kubectl-client-side-apply", "Update", "apps/v1", "FieldsV1")
    fields = entry["fieldsV1"]
    assert fields["f:metadata"] == {"f:labels": {".": {}, "f:app": {}}}
    assert fields["f:spec"]["f:strategy"] == {"f:rollingUpdate": {".": {}, "f:maxSurge": {}, "f:maxUnavailable": {}},
                                              "f:type": {}}
    container = fields["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"nginx"}']
    assert container["f:ports"] == {".": {}, 'k:{"containerPort":80,"protocol":"TCP"}': {
        ".": {}, "f:containerPort": {}, "f:protocol": {}}}
    assert "." not in fields["f:spec"]["f:template"]["f:spec"]["f:containers"]


async def test_controllers_record_under_their_component_names(cluster) -> None:
    """A tracked Deployment gets kube-controller-manager's status entry (subresource status), as upstream."""
    cluster.api.create(copy.deepcopy(DEP), manager="kubectl-client-side-apply")
    await cluster.run_for(5)
    obj = cluster.api.get("deployments", "web", "default")
    assert ("kube-controller-manager", "Update", "status") in _entries(obj)
    status = next(e for e in obj["metadata"]["managedFields"] if e.get("subresource") == "status")
    assert 'k:{"type":"Available"}' in status["fieldsV1"]["f:status"]["f:conditions"]


async def test_untracked_objects_stay_cheap(cluster) -> None:
    """Objects the engine creates for itself (a Deployment's pods) carry no managedFields: see engine/fieldmanager."""
    cluster.api.create(copy.deepcopy(DEP), manager="kubectl")
    await cluster.run_for(5)
    pods = cluster.api.list("pods", "default")
    assert pods and all("managedFields" not in p["metadata"] for p in pods)


async def test_apply_conflict_message_and_force(cluster) -> None:
    """managedfields/internal/conflict.go NewConflictError: the 409 Status, then --force-conflicts takes over."""
    cluster.api.create(copy.deepcopy(DEP), manager="kubectl-client-side-apply")
    config = copy.deepcopy(DEP)
    config["spec"]["replicas"] = 3
    with pytest.raises(ApiError) as caught:
        cluster.api.apply("deployments", "web", "default", config, "other")
    assert caught.value.code == 409
    assert caught.value.status["message"] == ('Apply failed with 1 conflict: conflict with "kubectl-client-side-apply"'
                                              ' using apps/v1: .spec.replicas')
    assert caught.value.status["reason"] == "Conflict"
    assert caught.value.status["details"]["causes"] == [
        {"reason": "FieldManagerConflict", "message": 'conflict with "kubectl-client-side-apply" using apps/v1',
         "field": ".spec.replicas"}]
    obj, created = cluster.api.apply("deployments", "web", "default", config, "other", force=True)
    assert not created and obj["spec"]["replicas"] == 3
    csa = next(e for e in obj["metadata"]["managedFields"] if e["manager"] == "kubectl-client-side-apply")
    assert "f:replicas" not in csa["fieldsV1"]["f:spec"]
    assert _entries(obj)[0] == ("other", "Apply", "")


async def test_same_value_is_shared_not_a_conflict(cluster) -> None:
    """merge/multiple_appliers_test.go: two appliers of the same value both own it."""
    cluster.api.apply("configmaps", "c1", "default", copy.deepcopy(CM), "m1")
    obj, _ = cluster.api.apply("configmaps", "c1", "default", copy.deepcopy(CM), "m2")
    assert [e["fieldsV1"] for e in obj["metadata"]["managedFields"]] == [{"f:data": {"f:a": {}}}] * 2


async def test_apply_creates_then_prunes_what_it_stops_applying(cluster) -> None:
    """merge/update.go Updater.prune, as checked against the real server: a field the manager drops goes,
    unless another manager owns it."""
    config = {**CM, "data": {"a": "1", "b": "2"}}
    obj, created = cluster.api.apply("configmaps", "c1", "default", copy.deepcopy(config), "m1")
    assert created and obj["data"] == {"a": "1", "b": "2"}
    cluster.api.apply("configmaps", "c1", "default", {**CM, "data": {"b": "2"}}, "m2")  # shared: same value
    obj, _ = cluster.api.apply("configmaps", "c1", "default", {**CM, "data": {}}, "m1")
    assert obj["data"] == {"b": "2"}  # b is m2's too: kept; a was m1's alone: gone


async def test_update_takes_fields_from_appliers(cluster) -> None:
    """Updater.Update is a forced apply: a merge patch of an applied field moves it (real server: m1's entry
    vanished once m2 changed its only field)."""
    cluster.api.apply("configmaps", "c1", "default", copy.deepcopy(CM), "m1")
    obj = cluster.api.patch("configmaps", "c1", "default", {"data": {"a": "2"}}, manager="m2")
    assert _entries(obj) == [("m2", "Update", "")]


async def test_scale_subresource_and_noop_apply(cluster) -> None:
    """A scale write is its manager's Update with subresource scale; applying what is there changes nothing."""
    cluster.api.apply("deployments", "web", "default", copy.deepcopy(DEP), "kubectl")
    obj = cluster.api.scale("deployments", "web", "default", 5, manager="kubectl")
    assert ("kubectl", "Update", "scale") in _entries(obj)
    with pytest.raises(ApiError) as caught:
        cluster.api.apply("deployments", "web", "default", copy.deepcopy(DEP), "other")
    assert 'conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas' in \
        caught.value.status["message"]
    rv = cluster.api.get("deployments", "web", "default")["metadata"]["resourceVersion"]
    again = cluster.api.get("deployments", "web", "default")
    assert again["metadata"]["resourceVersion"] == rv


async def test_reset_with_an_empty_entry(cluster) -> None:
    """`managedFields: [{}]` clears them (documented upstream)."""
    cluster.api.apply("configmaps", "c1", "default", copy.deepcopy(CM), "m1")
    obj = cluster.api.get("configmaps", "c1", "default")
    obj = {**obj, "metadata": {**obj["metadata"], "managedFields": [{}]}}
    assert "managedFields" not in cluster.api.update(obj, manager="m3")["metadata"]


async def test_first_apply_to_an_untracked_object_credits_before_first_apply(cluster) -> None:
    """managedfields/internal/skipnonapplied.go: what an object without managedFields (a client cleared them)
    holds goes to `before-first-apply`."""
    cluster.api.create(copy.deepcopy(CM), namespace="default", manager="m0")
    obj = cluster.api.get("configmaps", "c1", "default")
    cluster.api.update({**obj, "metadata": {**obj["metadata"], "managedFields": [{}]}}, manager="m0")
    obj, _ = cluster.api.apply("configmaps", "c1", "default", {**CM, "data": {"a": "1", "z": "9"}}, "m1")
    assert _entries(obj) == [("m1", "Apply", ""), ("before-first-apply", "Update", "")]
