"""The HorizontalPodAutoscaler on the virtual clock: the seed's example applied unchanged, load on and off, and
what `kubectl get/describe hpa` print, compared with kube-apiserver and kubectl v1.36 of the kit (the texts marked
"kit" were printed there; the kit runs no metrics-server).

Sources: `k/k pkg/controller/podautoscaler/horizontal.go` (15 s sync, conditions, events, the no-behavior rules:
scale up to at most max(2 x current, 4), scale down to the highest recommendation of the last 300 s),
`pkg/apis/autoscaling/v2/defaults.go` and `validation/validation.go`.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from engine.cluster import Cluster
from engine.errors import ApiError

Obj = dict[str, Any]

# The seed's HPA (/work/shared/seeds, "The HPA scales the number of pod replicas based on CPU, memory"), unchanged.
SEED_HPA = """
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web-hpa
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: web
  minReplicas: 3
  maxReplicas: 10
  metrics:
  - type: Resource
    resource:
      name: cpu
      target:
        type: Utilization
        averageUtilization: 70
  - type: Resource
    resource:
      name: memory
      target:
        type: Utilization
        averageUtilization: 80
"""


def web(replicas: int = 3) -> list[Obj]:
    template: Obj = {"metadata": {"labels": {"app": "web"}, "annotations": {"sim.k9py.io/cost-per-request": "10m"}},
                     "spec": {"containers": [{"name": "app", "image": "nginx:1.27", "resources": {
                         "requests": {"cpu": "100m", "memory": "64Mi"}}}]}}
    return [{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
             "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}}, "template": template}},
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
             "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}]


def hpa(name: str = "web", target: str = "web", **spec: Any) -> Obj:
    body: Obj = {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
                 "maxReplicas": 10, "metrics": [{"type": "Resource", "resource": {
                     "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}]}
    body.update(spec)
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": name},
            "spec": body}


def replicas(c: Cluster) -> int:
    return int(c.get("deploy", "web")["spec"]["replicas"])


def rescales(c: Cluster, name: str) -> list[str]:
    return [e["message"] for e in c.events("default", c.get("hpa", name)) if e["reason"] == "SuccessfulRescale"]


def conditions(c: Cluster, name: str) -> dict[str, tuple[str, str]]:
    return {x["type"]: (x["status"], x["reason"]) for x in c.get("hpa", name)["status"].get("conditions", [])}


async def test_the_seeds_hpa_scales_up_under_load_and_back_after_the_stabilization_window() -> None:
    async with Cluster(nodes=3) as c:
        await c.apply(web(3))
        await c.apply(SEED_HPA)
        await c.run_for(60)
        assert c.table("hpa", "default")[1][0][2] == "cpu: 1%/70%, memory: 12%/80%"
        assert replicas(c) == 3
        c.load("svc/web", 60)  # 20 requests/s a pod: 201m of a 100m request
        await c.run_until(lambda c: replicas(c) > 3, timeout=60)
        # ceil(3 x 201/70) = 9; without a behavior the first step may reach max(2 x 3, 4) = 6.
        assert replicas(c) == 6
        assert rescales(c, "web-hpa")[0] == \
            "New size: 6; reason: cpu resource utilization (percentage of request) above target"
        assert conditions(c, "web-hpa")["ScalingLimited"] == ("True", "ScaleUpLimit")
        await c.run_for(120)
        # At 6 pods, 101 % of request: ceil(6 x 101/70) = 9; at 9, 68 % is within 10 % of 70 %: it stays.
        assert replicas(c) == 9
        assert c.table("hpa", "default")[1][0][2].startswith("cpu: 68%/70%")
        c.load("svc/web", 0)
        await c.run_for(240)
        assert replicas(c) == 9  # recommendations of the last 300 s still say 9
        assert conditions(c, "web-hpa")["AbleToScale"] == ("True", "ScaleDownStabilized")
        await c.run_until(lambda c: replicas(c) < 9, timeout=120)
        assert replicas(c) == 3  # minReplicas
        assert rescales(c, "web-hpa")[-1] == "New size: 3; reason: All metrics below target"


async def test_a_new_hpa_is_first_synced_after_15_seconds_and_waits_for_metrics() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(hpa())  # no Deployment yet
        assert c.get("hpa", "web")["status"] == {"desiredReplicas": 0}
        await c.run_for(14)
        assert "conditions" not in c.get("hpa", "web")["status"]
        await c.run_for(2)
        # kit: the same condition and event for a missing target.
        assert conditions(c, "web")["AbleToScale"] == ("False", "FailedGetScale")
        assert [e["message"] for e in c.events("default", c.get("hpa", "web"))] == [
            'deployments.apps "web" not found']
        no_requests = web(1)
        no_requests[0]["spec"]["template"]["spec"]["containers"][0]["resources"] = {}
        await c.apply(no_requests)
        await c.run_for(60)
        status = c.get("hpa", "web")["status"]
        assert conditions(c, "web")["ScalingActive"] == ("False", "FailedGetResourceMetric")
        assert status["currentMetrics"] == [{"type": ""}]  # kit: one empty status per metric
        assert c.table("hpa", "default")[1][0][2] == "cpu: <unknown>/50%"
        pod = c.list("pods", "default")[0]["metadata"]["name"]
        messages = [e["message"] for e in c.events("default", c.get("hpa", "web"))]
        assert ("invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: "
                f"failed to get cpu utilization: missing request for cpu in container app of Pod {pod}") in messages
        assert c.health("hpa", "web")[0] == "Degraded"  # Argo CD: FailedGetResourceMetric


async def test_behavior_policies_pace_the_scaling() -> None:
    behavior = {"scaleUp": {"policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]},
                "scaleDown": {"stabilizationWindowSeconds": 0,
                              "policies": [{"type": "Pods", "value": 1, "periodSeconds": 30}]}}
    async with Cluster(nodes=3) as c:
        await c.apply(web(2))
        await c.apply(hpa(behavior=behavior, minReplicas=1))
        stored = c.get("hpa", "web")["spec"]["behavior"]
        assert stored["scaleUp"]["selectPolicy"] == "Max" and stored["scaleUp"]["stabilizationWindowSeconds"] == 0
        assert stored["scaleDown"]["selectPolicy"] == "Max"  # what was not given, defaulted
        await c.run_for(45)
        c.load("svc/web", 100)
        seen = []
        for _ in range(10):
            await c.run_for(15)
            seen.append(replicas(c))
        assert max(b - a for a, b in itertools.pairwise(seen)) == 1  # one pod per minute
        assert seen[-1] - seen[0] == 2
        c.load("svc/web", 0)
        await c.run_for(45)
        before = replicas(c)
        await c.run_for(30)
        assert before - replicas(c) == 1  # one pod per 30 s down, without a window


async def test_replicas_outside_min_and_max_are_brought_back() -> None:
    async with Cluster(nodes=2) as c:
        await c.apply(web(12))
        await c.apply(hpa(maxReplicas=5))
        await c.run_for(16)
        assert replicas(c) == 5
        assert rescales(c, "web") == ["New size: 5; reason: Current number of replicas above Spec.MaxReplicas"]


async def test_a_target_scaled_to_zero_disables_autoscaling() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(web(0))
        await c.apply(hpa())
        await c.run_for(16)
        assert conditions(c, "web")["ScalingActive"] == ("False", "ScalingDisabled")
        assert replicas(c) == 0


async def test_two_hpas_over_the_same_pods_neither_scales() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(web(1))
        await c.apply([hpa("a"), hpa("b")])
        await c.run_for(31)
        assert conditions(c, "b")["ScalingActive"][1] == "AmbiguousSelector"
        message = c.get("hpa", "b")["status"]["conditions"][1]["message"]
        assert message == "pods by selector app=web are controlled by multiple HPAs: [default/a default/b]"


async def test_container_resource_and_average_value_metrics() -> None:
    metrics = [{"type": "ContainerResource", "containerResource": {
        "name": "cpu", "container": "app", "target": {"type": "Utilization", "averageUtilization": 50}}},
               {"type": "Resource", "resource": {"name": "memory", "target": {"type": "AverageValue",
                                                                              "averageValue": "100Mi"}}}]
    async with Cluster(nodes=2) as c:
        await c.apply(web(2))
        await c.apply(hpa(metrics=metrics))
        c.load("svc/web", 20)  # 101m of 100m in each pod: ceil(2 x 2.02) = 5, at most max(2 x 2, 4) = 4
        await c.run_for(75)
        assert rescales(c, "web")[0] == \
            "New size: 4; reason: cpu container resource utilization (percentage of request) above target"
        row = c.table("hpa", "default")[1][0]
        assert row[2].startswith("cpu: ") and row[2].endswith(", memory: 8388608/100Mi")  # DecimalSI bytes, as upstream


def causes(error: ApiError) -> list[str]:
    """The causes as kubectl prints them, one `* ` line each."""
    listed = error.message.split(" is invalid: [", 1)[1][:-1]
    return ["* " + part if i == 0 else "* spec." + part for i, part in enumerate(listed.split(", spec."))]


def test_validation_messages_are_the_api_servers() -> None:
    # kit: `kubectl apply` of these two manifests printed exactly these causes.
    bad = hpa(minReplicas=0, maxReplicas=0,
              metrics=[{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization"}}}])
    bad2 = hpa(minReplicas=3, maxReplicas=2, metrics=[
        {"type": "Resource", "resource": {"name": "cpu", "target": {
            "type": "Utilization", "averageUtilization": 0, "averageValue": "100m"}}},
        {"type": "Foo"}], behavior={
        "scaleUp": {"stabilizationWindowSeconds": 4000, "selectPolicy": "Fast", "policies": []},
        "scaleDown": {"policies": [{"type": "Nodes", "value": 0, "periodSeconds": 2000}]}})
    c = Cluster(nodes=0)
    with pytest.raises(ApiError) as first:
        c.api.create(bad)
    assert causes(first.value) == [
        "* spec.minReplicas: Invalid value: 0: must be greater than or equal to 1",
        "* spec.maxReplicas: Required value: must be set and greater than 0",
        "* spec.metrics[0].resource.target.averageUtilization: Required value: must set either a target raw value "
        "or a target utilization",
        "* spec.metrics: Forbidden: must specify at least one Object or External metric to support scaling to zero "
        "replicas"]
    with pytest.raises(ApiError) as second:
        c.api.create(bad2)
    assert causes(second.value) == [
        "* spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`",
        "* spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater than 0",
        "* spec.metrics[0].resource.target.averageValue: Forbidden: may not set both a target raw value and a "
        "target utilization",
        '* spec.metrics[1].type: Unsupported value: "Foo": supported values: "ContainerResource", "External", '
        '"Object", "Pods", "Resource"',
        "* spec.behavior.scaleUp.stabilizationWindowSeconds: Invalid value: 4000: must be less than or equal to 3600",
        '* spec.behavior.scaleUp.selectPolicy: Unsupported value: "Fast": supported values: "Disabled", "Max", "Min"',
        "* spec.behavior.scaleUp.policies: Required value: must specify at least one Policy",
        '* spec.behavior.scaleDown.policies[0].type: Unsupported value: "Nodes": supported values: "Percent", "Pods"',
        "* spec.behavior.scaleDown.policies[0].value: Invalid value: 0: must be greater than zero",
        "* spec.behavior.scaleDown.policies[0].periodSeconds: Invalid value: 2000: must be less than or equal to 1800"]


async def test_describe_lays_out_as_kubectl() -> None:
    behavior = {"scaleDown": {"policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]}}
    async with Cluster(nodes=1) as c:
        await c.apply(hpa("web-b", target="other", behavior=behavior, metrics=None, maxReplicas=5))
        await c.run_for(16)
        text = c.describe("hpa", "web-b")
    # kit (its lines; the Behavior's policy lines share a tab column with "Deployment pods:").
    assert text.split("Reference:")[1].splitlines()[1:] == [
        "Metrics:                                               ( current / target )",
        "  resource cpu on pods  (as a percentage of request):  <unknown> / 80%",
        "Min replicas:                                          1",
        "Max replicas:                                          5",
        "Behavior:",
        "  Scale Up:",
        "    Stabilization Window: 0 seconds",
        "    Select Policy: Max",
        "    Policies:",
        "      - Type: Pods     Value: 4    Period: 15 seconds",
        "      - Type: Percent  Value: 100  Period: 15 seconds",
        "  Scale Down:",
        "    Select Policy: Max",
        "    Policies:",
        "      - Type: Pods  Value: 1  Period: 60 seconds",
        "Deployment pods:    0 current / 0 desired",
        "Conditions:",
        "  Type         Status  Reason          Message",
        "  ----         ------  ------          -------",
        "  AbleToScale  False   FailedGetScale  the HPA controller was unable to get the target's current scale: "
        'deployments.apps "other" not found',
        "Events:",
        "  Type     Reason          Age   From                       Message",
        "  ----     ------          ----  ----                       -------",
        '  Warning  FailedGetScale  1s    horizontal-pod-autoscaler  deployments.apps "other" not found']
