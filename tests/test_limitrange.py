"""LimitRange and the LimitRanger admission plugin (`k/k plugin/pkg/admission/limitranger/admission.go`,
SetDefaults_LimitRangeItem, ValidateLimitRange) on the virtual clock. Expected texts are kube-apiserver v1.36's
and kubectl's, as the kit printed them."""

from __future__ import annotations

from typing import Any

import pytest

from engine.cluster import Cluster
from engine.errors import ApiError

Obj = dict[str, Any]

LIMITS = """
apiVersion: v1
kind: Namespace
metadata: {name: team}
---
apiVersion: v1
kind: LimitRange
metadata: {name: limits, namespace: team}
spec:
  limits:
  - type: Container
    max: {cpu: "1", memory: 1Gi}
    min: {cpu: 100m, memory: 64Mi}
    default: {cpu: 500m}
    defaultRequest: {memory: 128Mi}
    maxLimitRequestRatio: {cpu: "2"}
  - type: Pod
    max: {cpu: "2"}
  - type: PersistentVolumeClaim
    min: {storage: 1Gi}
    max: {storage: 10Gi}
"""


def pod(name: str, *containers: Obj, init: list[Obj] | None = None) -> Obj:
    spec: Obj = {"containers": list(containers) or [{"name": "app", "image": "nginx:1.27"}]}
    if init:
        spec["initContainers"] = init
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "team"}, "spec": spec}


def container(name: str = "app", requests: Obj | None = None, limits: Obj | None = None) -> Obj:
    resources = {key: value for key, value in (("requests", requests), ("limits", limits)) if value}
    return {"name": name, "image": "nginx:1.27", "resources": resources}


async def refusal(c: Cluster, obj: Obj) -> str:
    with pytest.raises(ApiError) as info:
        await c.create(obj)
    assert info.value.code == 403
    return info.value.message


async def test_the_limit_range_is_defaulted_printed_and_described_as_upstream() -> None:
    """SetDefaults_LimitRangeItem: a Container item's default limit falls back to its max, its default request to
    the default limit. printLimitRange prints the creation time; describeLimitRange a row per type and resource."""
    async with Cluster(nodes=1) as c:
        await c.apply(LIMITS)
        [container_item, pod_item, claim_item] = c.get("limits", "limits", "team")["spec"]["limits"]
        assert container_item == {"type": "Container", "max": {"cpu": "1", "memory": "1Gi"},
                                  "min": {"cpu": "100m", "memory": "64Mi"},
                                  "default": {"cpu": "500m", "memory": "1Gi"},
                                  "defaultRequest": {"cpu": "500m", "memory": "128Mi"},
                                  "maxLimitRequestRatio": {"cpu": "2"}}
        assert pod_item == {"type": "Pod", "max": {"cpu": "2"}}
        assert claim_item == {"type": "PersistentVolumeClaim", "min": {"storage": "1Gi"}, "max": {"storage": "10Gi"}}
        created = c.get("limits", "limits", "team")["metadata"]["creationTimestamp"]
        assert c.table("limits", "team") == (["NAME", "CREATED AT"], [["limits", created]])
        assert c.describe("limitrange", "limits", "team") == (
            "Name:                  limits\n"
            "Namespace:             team\n"
            "Type                   Resource  Min   Max   Default Request  Default Limit  Max Limit/Request Ratio\n"
            "----                   --------  ---   ---   ---------------  -------------  -----------------------\n"
            "Container              cpu       100m  1     500m             500m           2\n"
            "Container              memory    64Mi  1Gi   128Mi            1Gi            -\n"
            "Pod                    cpu       -     2     -                -              -\n"
            "PersistentVolumeClaim  storage   1Gi   10Gi  -                -              -\n")


async def test_a_pod_without_resources_gets_the_defaults_and_the_annotation_saying_so() -> None:
    """mergePodResourceRequirements: missing requests and limits are set, per container and init container, and
    `kubernetes.io/limit-ranger` lists them; the QoS class is decided after (PrepareForCreate)."""
    async with Cluster(nodes=1) as c:
        await c.apply(LIMITS)
        created = await c.create(pod("p1"))
        assert created["spec"]["containers"][0]["resources"] == {
            "requests": {"cpu": "500m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "1Gi"}}
        assert created["metadata"]["annotations"]["kubernetes.io/limit-ranger"] == (
            "LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app")
        assert created["status"]["qosClass"] == "Burstable"
        stated = await c.create(pod("p6", container(limits={"cpu": "1", "memory": "1Gi"}),
                                    init=[container("init", limits={"cpu": "300m"})]))
        assert stated["metadata"]["annotations"]["kubernetes.io/limit-ranger"] == (
            "LimitRanger plugin set: memory request for init container init; memory limit for init container init")
        assert stated["spec"]["containers"][0]["resources"] == {
            "requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}}


async def test_every_replica_of_a_deployment_gets_the_defaults() -> None:
    """The ReplicaSet's pods are admitted one by one, each defaulted and annotated; a changed LimitRange applies to
    the pods created after it."""
    async with Cluster(nodes=1) as c:
        await c.apply(LIMITS + """---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: team}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: app, image: nginx:1.27}
""")
        await c.run_for(5)
        pods = c.list("pods", "team")
        assert len(pods) == 3
        for p in pods:
            assert p["spec"]["containers"][0]["resources"] == {
                "requests": {"cpu": "500m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "1Gi"}}
            assert p["metadata"]["annotations"]["kubernetes.io/limit-ranger"].startswith("LimitRanger plugin set: ")
        await c.patch("limits", "limits", {"spec": {"limits": [{"type": "Container", "default": {"cpu": "300m"}}]}},
                      "team")
        await c.scale("deployment", "web", 4, "team")
        await c.run_for(5)
        limits = sorted(p["spec"]["containers"][0]["resources"]["limits"]["cpu"] for p in c.list("pods", "team"))
        assert limits == ["300m", "500m", "500m", "500m"]


async def test_min_max_and_ratio_refusals_use_the_plugins_words() -> None:
    """minConstraint, maxConstraint, limitRequestRatioConstraint (the ratio printed with %f), the Pod item over
    the containers' sum; several problems come as utilerrors' bracketed aggregate."""
    async with Cluster(nodes=1) as c:
        await c.apply(LIMITS)
        assert await refusal(c, pod("p2", container(requests={"cpu": "50m"}))) == (
            'pods "p2" is forbidden: [minimum cpu usage per Container is 100m, but request is 50m, '
            "cpu max limit to request ratio per Container is 2, but provided ratio is 10.000000]")
        assert await refusal(c, pod("p3", container(limits={"memory": "2Gi"}))) == (
            'pods "p3" is forbidden: maximum memory usage per Container is 1Gi, but limit is 2Gi')
        assert await refusal(c, pod("p4", container(requests={"cpu": "200m"}, limits={"cpu": "800m"}))) == (
            'pods "p4" is forbidden: cpu max limit to request ratio per Container is 2, but provided ratio is 4.000000')
        three = [container(n, requests={"cpu": "900m"}, limits={"cpu": "1"}) for n in ("a", "b", "c")]
        assert await refusal(c, pod("p5", *three)) == (
            'pods "p5" is forbidden: maximum cpu usage per Pod is 2, but limit is 3')
        assert c.list("pods", "team") == []


async def test_claims_are_held_to_the_storage_bounds() -> None:
    """PersistentVolumeClaimValidateLimitFunc: only the requested storage counts, never defaulted."""
    async with Cluster(nodes=1) as c:
        await c.apply(LIMITS)

        def claim(name: str, size: str) -> Obj:
            meta = {"name": name, "namespace": "team"}
            return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta,
                    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}}

        assert await refusal(c, claim("big", "20Gi")) == (
            'persistentvolumeclaims "big" is forbidden: maximum storage usage per PersistentVolumeClaim is 10Gi, '
            "but request is 20Gi")
        assert await refusal(c, claim("small", "500Mi")) == (
            'persistentvolumeclaims "small" is forbidden: minimum storage usage per PersistentVolumeClaim is 1Gi, '
            "but request is 500Mi")
        await c.create(claim("fits", "5Gi"))


async def test_a_deployment_refused_by_a_limit_range_shows_failed_create() -> None:
    """The ReplicaSet controller turns the plugin's refusal into FailedCreate, as for any API error."""
    async with Cluster(nodes=1) as c:
        await c.apply(LIMITS + """---
apiVersion: apps/v1
kind: Deployment
metadata: {name: greedy, namespace: team}
spec:
  replicas: 1
  selector: {matchLabels: {app: greedy}}
  template:
    metadata: {labels: {app: greedy}}
    spec:
      containers:
      - name: app
        image: nginx:1.27
        resources: {limits: {memory: 2Gi}}
""")
        await c.run_for(5)
        assert c.list("pods", "team") == []
        [event] = [e for e in c.events("team") if e["reason"] == "FailedCreate"][:1]
        assert event["message"].startswith('Error creating: pods "greedy-')
        assert event["message"].endswith(
            '" is forbidden: maximum memory usage per Container is 1Gi, but limit is 2Gi')


async def test_limit_ranger_defaults_before_the_quota_checks() -> None:
    """Admission order: LimitRanger (mutating) runs before ResourceQuota (validating), so a pod that states no
    resources satisfies a quota on limits.cpu with the defaults, and is charged them."""
    async with Cluster(nodes=1) as c:
        await c.apply(LIMITS + """---
apiVersion: v1
kind: ResourceQuota
metadata: {name: compute, namespace: team}
spec:
  hard: {limits.cpu: "1", requests.memory: 1Gi}
""")
        await c.run_for(1)
        await c.create(pod("a"))
        await c.create(pod("b"))
        assert c.get("quota", "compute", "team")["status"]["used"] == {"limits.cpu": "1", "requests.memory": "256Mi"}
        assert "exceeded quota: compute, requested: limits.cpu=500m, used: limits.cpu=1, limited: limits.cpu=1" in (
            await refusal(c, pod("c")))


async def test_validation_uses_the_api_servers_messages() -> None:
    """ValidateLimitRange, after defaulting: names, the bounds' order, the ratio, Pod items without defaults,
    claims needing a storage bound, one item per type."""
    async with Cluster(nodes=1) as c:
        await c.apply("apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n")
        with pytest.raises(ApiError) as info:
            await c.apply("""
apiVersion: v1
kind: LimitRange
metadata: {name: bad, namespace: team}
spec:
  limits:
  - type: Container
    max: {cpu: "1"}
    min: {cpu: "2"}
    default: {cpu: "3", foo: 1}
    maxLimitRequestRatio: {cpu: "500m"}
  - type: Pod
    default: {cpu: "1"}
  - type: Foo
  - type: PersistentVolumeClaim
  - type: Container
""")
        assert [f"{cause['field']}: {cause['message']}" for cause in info.value.status["details"]["causes"]] == [
            'spec.limits[0].default[foo]: Invalid value: "foo": must be a standard resource type or fully qualified',
            'spec.limits[0].default[foo]: Invalid value: "foo": must be a standard resource for containers',
            'spec.limits[0].defaultRequest[foo]: Invalid value: "foo": must be a standard resource type or fully '
            "qualified",
            'spec.limits[0].defaultRequest[foo]: Invalid value: "foo": must be a standard resource for containers',
            'spec.limits[0].min[cpu]: Invalid value: "2": min value 2 is greater than max value 1',
            'spec.limits[0].defaultRequest[cpu]: Invalid value: "3": default request value 3 is greater than max '
            "value 1",
            'spec.limits[0].default[cpu]: Invalid value: "1": default value 3 is greater than max value 1',
            'spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: "500m": ratio 500m is less than 1',
            "spec.limits[1].default: Forbidden: may not be specified when `type` is 'Pod'",
            'spec.limits[2].type: Invalid value: "Foo": must be a standard limit type or fully qualified',
            "spec.limits[3].limits: Required value: either minimum or maximum storage value is required, but "
            "neither was provided",
            'spec.limits[4].type: Duplicate value: "Container"',
        ]
