"""Quantities are stored the way the API server stores them: in canonical form, ResourceLists rounded up to a
milli-unit (the Pod and pod-template defaulting, engine/kinds/podspec.py), and QoS set once at creation from
quantities compared by value. Expected strings were checked against kube-apiserver v1.36.2."""

from __future__ import annotations

from typing import Any

import pytest

from engine.cluster import Cluster
from engine.errors import ApiError

Obj = dict[str, Any]


@pytest.fixture
async def cluster():
    async with Cluster(nodes=1) as c:
        yield c


def pod(name: str, containers: list[Obj], **spec: Any) -> Obj:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": {"containers": containers, **spec}}


def deployment(name: str, resources: Obj) -> Obj:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                         "spec": {"containers": [{"name": "app", "image": "nginx:1.25", "resources": resources}]}},
        },
    }


async def test_pod_quantities_are_stored_canonical(cluster):
    created = await cluster.create(pod("p", [
        {"name": "a", "image": "nginx", "resources": {"requests": {"cpu": 0.5, "memory": "1.5Gi"},
                                                      "limits": {"cpu": "1.0", "memory": 2e9}}},
        {"name": "b", "image": "nginx", "resources": {"limits": {"cpu": 1000, "memory": " 1024Mi "}}},
    ], initContainers=[{"name": "i", "image": "busybox", "resources": {"limits": {"cpu": 1e-7, "memory": "+1Ki"}}}],
        volumes=[{"name": "v", "emptyDir": {"sizeLimit": "0.5Gi"}}]))
    a, b = created["spec"]["containers"]
    assert a["resources"] == {"requests": {"cpu": "500m", "memory": "1536Mi"}, "limits": {"cpu": "1", "memory": "2G"}}
    # Requests default from the canonical limits.
    assert b["resources"] == {"limits": {"cpu": "1k", "memory": "1Gi"}, "requests": {"cpu": "1k", "memory": "1Gi"}}
    init = created["spec"]["initContainers"][0]
    assert init["resources"]["limits"] == {"cpu": "1e-3", "memory": "+1Ki"}  # rounded up to 1m; kept as written
    assert created["spec"]["volumes"][0]["emptyDir"]["sizeLimit"] == "512Mi"
    stored = cluster.api.get("pods", "p", "default")
    assert stored["spec"]["containers"][0]["resources"]["requests"]["cpu"] == "500m"


async def test_qos_compares_requests_and_limits_as_quantities(cluster):
    created = await cluster.create(pod("g", [{"name": "a", "image": "nginx", "resources": {
        "requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1000m", "memory": "1024Mi"}}}]))
    assert created["status"]["qosClass"] == "Guaranteed"
    created = await cluster.create(pod("h", [{"name": "a", "image": "nginx", "resources": {
        "requests": {"cpu": 0.5, "memory": "1Gi"}, "limits": {"cpu": "500m", "memory": 1073741824}}}]))
    assert created["status"]["qosClass"] == "Guaranteed"
    created = await cluster.create(pod("b", [{"name": "a", "image": "nginx", "resources": {
        "requests": {"cpu": "100m"}, "limits": {"cpu": "1"}}}]))
    assert created["status"]["qosClass"] == "Burstable"
    await cluster.run_for(5)
    # The kubelet's status keeps the class the API server set.
    assert cluster.api.get("pods", "g", "default")["status"]["qosClass"] == "Guaranteed"


async def test_validation_sees_canonical_values(cluster):
    with pytest.raises(ApiError) as err:
        await cluster.create(pod("bad", [{"name": "a", "image": "nginx", "resources": {
            "requests": {"memory": "1.5Gi"}, "limits": {"memory": 1e9}}}]))
    # kube-apiserver: `Invalid value: "1536Mi": must be less than or equal to memory limit of 1G`
    assert "must be less than or equal to memory limit of 1G" in str(err.value)
    assert '"1536Mi"' in str(err.value)
    with pytest.raises(ApiError) as err:
        await cluster.create(pod("worse", [{"name": "a", "image": "nginx",
                                            "resources": {"requests": {"cpu": "1.1.1"}}}]))
    assert "quantities must match the regular expression" in str(err.value)


async def test_templates_are_stored_canonical_before_they_are_hashed(cluster):
    written = await cluster.create(deployment("loose", {"requests": {"cpu": 0.5, "memory": "1.5Gi"},
                                                        "limits": {"cpu": "1000m"}}))
    canonical = {"requests": {"cpu": "500m", "memory": "1536Mi"}, "limits": {"cpu": "1"}}
    assert written["spec"]["template"]["spec"]["containers"][0]["resources"] == canonical
    await cluster.create(deployment("tidy", canonical))
    await cluster.run_for(5)
    hashes = {}
    for rs in cluster.api.list("replicasets", "default"):
        owner = rs["metadata"]["ownerReferences"][0]["name"]
        hashes[owner] = rs["metadata"]["labels"]["pod-template-hash"]
        assert rs["spec"]["template"]["spec"]["containers"][0]["resources"] == canonical
    # The same stored template, however it was written, hashes the same.
    assert hashes["loose"] == hashes["tidy"]
    for p in cluster.api.list("pods", "default"):
        assert p["spec"]["containers"][0]["resources"] == canonical
        assert p["status"]["qosClass"] == "Burstable"


async def test_node_capacity_is_reported_canonical_as_a_kubelet_reports_it() -> None:
    async with Cluster(nodes=1, node_cpu="0.5", node_memory="1.5Gi") as cluster:
        capacity = cluster.list("nodes")[0]["status"]["capacity"]
        assert (capacity["cpu"], capacity["memory"]) == ("500m", "1536Mi")
