"""autoscaling/v1 HorizontalPodAutoscalers (issue 15 part 2): a watched folder may declare one, and it is applied as
the autoscaling/v2 object kube-apiserver would store (k/k pkg/apis/autoscaling/v1/conversion.go, with the
round-trip annotations of pkg/apis/autoscaling/annotations.go). The expected objects are what a v1.36 control plane
answered: `kubectl get --raw /apis/autoscaling/v2/...` of an HPA applied in v1, and `.../v1/...` of one applied in
v2."""

from __future__ import annotations

import json
from pathlib import Path

from test_hpa_folder import WEB

from engine import Cluster
from engine.kinds.hpa_v1 import to_v1, to_v2
from engine.manifests.source import ManifestSource

V1 = """\
---
apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata:
  name: web
  annotations:
    note: kept
    autoscaling.alpha.kubernetes.io/metrics: >-
      [{"type":"Resource","resource":{"name":"memory","targetAverageValue":"100Mi"}},
      {"type":"Pods","pods":{"metricName":"qps","targetAverageValue":"10"}}]
    autoscaling.alpha.kubernetes.io/behavior: >-
      {"ScaleDown":{"StabilizationWindowSeconds":60,"Policies":[{"Type":"Pods","Value":2,"PeriodSeconds":30}]}}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  maxReplicas: 5
  targetCPUUtilizationPercentage: 70
"""
# The v1.36 API server's v2 spec of that HPA.
KIT_V2_SPEC = {
    "scaleTargetRef": {"kind": "Deployment", "name": "web", "apiVersion": "apps/v1"},
    "minReplicas": 1,
    "maxReplicas": 5,
    "metrics": [
        {
            "type": "Resource",
            "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "100Mi"}},
        },
        {"type": "Pods", "pods": {"metric": {"name": "qps"}, "target": {"type": "AverageValue", "averageValue": "10"}}},
        {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}},
    ],
    "behavior": {
        "scaleUp": {
            "stabilizationWindowSeconds": 0,
            "selectPolicy": "Max",
            "policies": [
                {"type": "Pods", "value": 4, "periodSeconds": 15},
                {"type": "Percent", "value": 100, "periodSeconds": 15},
            ],
        },
        "scaleDown": {
            "stabilizationWindowSeconds": 60,
            "selectPolicy": "Max",
            "policies": [{"type": "Pods", "value": 2, "periodSeconds": 30}],
        },
    },
}


async def test_a_folder_may_declare_an_autoscaling_v1_hpa_and_it_is_stored_as_v2(tmp_path: Path) -> None:
    (tmp_path / "web.yaml").write_text(WEB + V1)
    async with Cluster(seed=1) as c:
        source = ManifestSource(c.api, tmp_path)
        record = source.sync()
        assert not source.all_errors, source.all_errors
        assert ("HorizontalPodAutoscaler", "default", "web") in record.created
        hpa = c.get("hpa", "web")
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"] == KIT_V2_SPEC
        assert hpa["metadata"]["annotations"] == {"note": "kept"}  # the round-trip annotations are consumed
        await c.run_for(60)
        assert source.sync_statuses()[("HorizontalPodAutoscaler", "default", "web")] == "Synced"
        assert c.get("hpa", "web")["status"]["conditions"]  # the controller works on it like any other


def test_a_v2_hpa_reads_in_v1_with_the_annotations_upstream_writes() -> None:
    """The kit's v1 read of a v2 HPA with a CPU and a memory metric and a scale-down behavior."""
    conditions = [
        {
            "type": "AbleToScale",
            "status": "True",
            "lastTransitionTime": "2026-12-02T10:26:44Z",
            "reason": "SucceededGetScale",
            "message": "the HPA controller was able to get the target's current scale",
        }
    ]
    v2 = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "multi", "namespace": "x", "annotations": {"note": "kept"}},
        "spec": {
            **KIT_V2_SPEC,
            "minReplicas": 1,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}},
                },
                {
                    "type": "Resource",
                    "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "100Mi"}},
                },
            ],
        },
        "status": {"currentReplicas": 2, "desiredReplicas": 0, "conditions": conditions},
    }
    v1 = to_v1(v2)
    assert v1["spec"] == {
        "scaleTargetRef": {"kind": "Deployment", "name": "web", "apiVersion": "apps/v1"},
        "minReplicas": 1,
        "maxReplicas": 5,
        "targetCPUUtilizationPercentage": 60,
    }
    assert v1["status"] == {"currentReplicas": 2, "desiredReplicas": 0}
    annotations = v1["metadata"]["annotations"]
    assert list(annotations) == sorted(annotations)
    assert (
        annotations["autoscaling.alpha.kubernetes.io/metrics"]
        == '[{"type":"Resource","resource":{"name":"memory","targetAverageValue":"100Mi"}}]'
    )
    assert json.loads(annotations["autoscaling.alpha.kubernetes.io/behavior"]) == {
        "ScaleUp": {
            "StabilizationWindowSeconds": 0,
            "SelectPolicy": "Max",
            "Policies": [
                {"Type": "Pods", "Value": 4, "PeriodSeconds": 15},
                {"Type": "Percent", "Value": 100, "PeriodSeconds": 15},
            ],
            "Tolerance": None,
        },
        "ScaleDown": {
            "StabilizationWindowSeconds": 60,
            "SelectPolicy": "Max",
            "Policies": [{"Type": "Pods", "Value": 2, "PeriodSeconds": 30}],
            "Tolerance": None,
        },
    }
    assert json.loads(annotations["autoscaling.alpha.kubernetes.io/conditions"]) == conditions
    assert annotations["note"] == "kept"
    # And back: the same v2 object.
    back = to_v2(v1)
    assert back["spec"]["metrics"] == [v2["spec"]["metrics"][1], v2["spec"]["metrics"][0]]  # others first, as upstream
    assert back["spec"]["behavior"] == v2["spec"]["behavior"]
    assert back["metadata"]["annotations"] == {"note": "kept"}
