"""A merge patch of a pod (`kubectl patch pod --type merge`, `Cluster.patch`), whose write path takes shortcuts
for what a patch does not reach (the stored status is not decoded again, the spec's immutability is checked by
comparing specs before building views of them): the answers must stay the API server's.

Upstream: kubernetes/kubernetes pkg/apis/core/validation/validation.go (ValidatePodUpdate: the spec may change
only in the images, activeDeadlineSeconds, added tolerations and terminationGracePeriodSeconds, else
`spec: Forbidden: pod updates may not change fields other than ...`), pkg/registry/core/pod/strategy.go
(podStrategy.PrepareForUpdate: `newPod.Status = oldPod.Status`, so a patch of the status through the pod itself
changes nothing). Checked against a v1.36 kube-apiserver (the test kit): a merge patch of a container's command
is refused with that message, one of activeDeadlineSeconds is taken, one of the status answers `patched (no
change)` with the resourceVersion unchanged, one of an annotation bumps the resourceVersion and not the
generation.
"""

from __future__ import annotations

import copy

import pytest

from engine.cluster import Cluster
from engine.errors import ApiError

POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web", "annotations": {"team": "a"}},
    "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]},
}
FORBIDDEN = (
    'Pod "web" is invalid: spec: Forbidden: pod updates may not change fields other than '
    "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` "
    "(only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it "
    "was previously negative)"
)


@pytest.fixture
async def cluster():
    async with Cluster(nodes=1) as c:
        await c.create(copy.deepcopy(POD))
        await c.run_for(10)
        yield c


async def test_a_patch_of_a_containers_command_is_refused_with_the_upstream_message(cluster: Cluster) -> None:
    pod = cluster.get("Pod", "web")
    containers = copy.deepcopy(pod["spec"]["containers"])
    containers[0]["command"] = ["sh"]
    with pytest.raises(ApiError) as err:
        await cluster.patch("Pod", "web", {"spec": {"containers": containers}})
    assert err.value.code == 422
    assert err.value.message == FORBIDDEN
    assert cluster.get("Pod", "web") == pod  # nothing written


async def test_a_patch_moving_a_bound_pod_to_another_node_is_refused(cluster: Cluster) -> None:
    pod = cluster.get("Pod", "web")
    assert pod["spec"]["nodeName"] == "node-1"
    with pytest.raises(ApiError) as err:
        await cluster.patch("Pod", "web", {"spec": {"nodeName": "node-2"}})
    assert err.value.message == 'Pod "web" is invalid: spec.nodeName: Invalid value: "node-2": field is immutable'


async def test_a_patch_of_the_image_or_the_deadline_is_taken(cluster: Cluster) -> None:
    pod = cluster.get("Pod", "web")
    containers = copy.deepcopy(pod["spec"]["containers"])
    containers[0]["image"] = "nginx:1.28"
    patched = await cluster.patch("Pod", "web", {"spec": {"containers": containers, "activeDeadlineSeconds": 30}})
    assert patched["spec"]["containers"][0]["image"] == "nginx:1.28"
    assert patched["spec"]["activeDeadlineSeconds"] == 30
    assert patched["metadata"]["generation"] == pod["metadata"]["generation"] + 1


async def test_an_annotation_patch_bumps_the_resource_version_and_sends_one_modified_event(cluster: Cluster) -> None:
    before = cluster.shared_get("Pod", "web")
    assert before is not None
    seen = copy.deepcopy(before)
    watch = cluster.subscribe("Pod", "default")
    watch.drain()
    patched = await cluster.patch("Pod", "web", {"metadata": {"annotations": {"bench/tick": "1", "team": None}}})
    assert patched["metadata"]["annotations"] == {"bench/tick": "1"}
    assert int(patched["metadata"]["resourceVersion"]) > int(seen["metadata"]["resourceVersion"])
    assert patched["metadata"]["generation"] == seen["metadata"]["generation"]  # metadata only: no new generation
    assert patched["spec"] == seen["spec"] and patched["status"] == seen["status"]
    events = watch.drain()
    assert [(e.type, e.object["metadata"]["annotations"]) for e in events] == [("MODIFIED", {"bench/tick": "1"})]
    assert events[0].old is before
    # The object stored before the patch, which watchers and controllers still hold, is left as it was, and so is
    # it after a later patch of the spec (the versions share what the annotation patch left alone).
    containers = copy.deepcopy(seen["spec"]["containers"])
    containers[0]["image"] = "nginx:1.28"
    await cluster.patch("Pod", "web", {"spec": {"containers": containers}})
    assert before == seen
    assert events[0].object["spec"] == seen["spec"]
    assert cluster.get("Pod", "web")["spec"]["containers"][0]["image"] == "nginx:1.28"


async def test_a_status_patch_through_the_pod_itself_changes_nothing(cluster: Cluster) -> None:
    pod = cluster.get("Pod", "web")
    assert pod["status"]["phase"] == "Running"
    patched = await cluster.patch("Pod", "web", {"status": {"phase": "Failed"}})
    assert patched == pod  # the API server answers `patched (no change)`: same resourceVersion
    annotated = await cluster.patch("Pod", "web", {"metadata": {"labels": {"x": "y"}}, "status": {"phase": "Failed"}})
    assert annotated["status"] == pod["status"]
    assert annotated["metadata"]["labels"] == {"x": "y"}
