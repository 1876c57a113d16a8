"""autoscaling/v1 HorizontalPodAutoscalers over the stored autoscaling/v2 ones, through kubectl and the official
Python client (AutoscalingV1Api). Shapes checked against a real v1.36 kube-apiserver."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import yaml
from test_apiserver_kit import DEPLOYMENT_YAML, Served, needs_kubectl, served

from engine.kinds.hpa_v1 import METRICS

__all__ = ["served"]
V1 = "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers"
V2 = "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers"
HPA_V1 = """\
apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata:
  name: api
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  minReplicas: 2
  maxReplicas: 5
  targetCPUUtilizationPercentage: 60
"""


def _v1(name: str = "api", cpu: int = 60) -> dict[str, Any]:
    return {"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": {"name": name},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                     "minReplicas": 2, "maxReplicas": 5, "targetCPUUtilizationPercentage": cpu}}


async def test_discovery_serves_v1_beside_v2(served: Served) -> None:
    _, listed, _ = await served.request("GET", "/apis/autoscaling/v1")
    assert listed["resources"] == [
        {"name": "horizontalpodautoscalers", "singularName": "horizontalpodautoscaler", "namespaced": True,
         "kind": "HorizontalPodAutoscaler", "verbs": ["create", "delete", "deletecollection", "get", "list", "patch",
                                                      "update", "watch"], "shortNames": ["hpa"], "categories": ["all"]},
        {"name": "horizontalpodautoscalers/status", "singularName": "", "namespaced": True,
         "kind": "HorizontalPodAutoscaler", "verbs": ["get", "patch", "update"]}]
    _, group, _ = await served.request("GET", "/apis/autoscaling")
    assert [v["groupVersion"] for v in group["versions"]] == ["autoscaling/v2", "autoscaling/v1"]
    assert group["preferredVersion"]["groupVersion"] == "autoscaling/v2"
    code, document, _ = await served.request("GET", "/openapi/v3/apis/autoscaling/v1")
    assert code == 200 and "io.k8s.api.autoscaling.v1.HorizontalPodAutoscaler" in document["components"]["schemas"]


async def test_create_read_patch_and_delete_through_v1(served: Served) -> None:
    code, created, _ = await served.request("POST", V1, json=_v1())
    assert code == 201 and created["apiVersion"] == "autoscaling/v1"
    assert created["spec"]["targetCPUUtilizationPercentage"] == 60
    assert created["status"] == {"currentReplicas": 0, "desiredReplicas": 0}
    [entry] = created["metadata"]["managedFields"]
    assert entry["apiVersion"] == "autoscaling/v1" and "f:targetCPUUtilizationPercentage" in entry["fieldsV1"]["f:spec"]
    _, stored, _ = await served.request("GET", f"{V2}/api")
    assert stored["spec"]["metrics"] == [{"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}}]
    for content_type, body in (
            ("application/merge-patch+json", {"spec": {"targetCPUUtilizationPercentage": 70}}),
            ("application/strategic-merge-patch+json", {"spec": {"maxReplicas": 7}}),
            ("application/json-patch+json", [{"op": "replace", "path": "/spec/minReplicas", "value": 3}])):
        code, patched, _ = await served.request("PATCH", f"{V1}/api", data=json.dumps(body),
                                                headers={"Content-Type": content_type})
        assert code == 200, patched
    assert patched["spec"] == {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api"},
                               "minReplicas": 3, "maxReplicas": 7, "targetCPUUtilizationPercentage": 70}
    # A v2 metric v1 cannot say travels in the annotation, and comes back from it on a v1 write.
    memory = {"type": "Resource", "resource": {"name": "memory", "target": {"type": "AverageValue",
                                                                            "averageValue": "100Mi"}}}
    code, _, _ = await served.request("PATCH", f"{V2}/api", data=json.dumps([
        {"op": "add", "path": "/spec/metrics/-", "value": memory}]),
        headers={"Content-Type": "application/json-patch+json"})
    assert code == 200
    _, read, _ = await served.request("GET", f"{V1}/api")
    assert json.loads(read["metadata"]["annotations"][METRICS]) == [
        {"type": "Resource", "resource": {"name": "memory", "targetAverageValue": "100Mi"}}]
    code, _, _ = await served.request("PUT", f"{V1}/api", json={**read, "spec": {**read["spec"], "maxReplicas": 9}})
    assert code == 200
    _, stored, _ = await served.request("GET", f"{V2}/api")
    assert stored["spec"]["maxReplicas"] == 9 and memory in stored["spec"]["metrics"]
    assert METRICS not in (stored["metadata"].get("annotations") or {})
    code, _, _ = await served.request("GET", f"{V1}/api/scale")
    assert code == 404  # no scale subresource in either version
    code, status, _ = await served.request("DELETE", f"{V1}/api")
    assert code == 200 and (status["kind"], status["details"]["group"]) == ("Status", "autoscaling")
    code, _, _ = await served.request("GET", f"{V1}/api")
    assert code == 404


async def test_server_side_apply_in_v1(served: Served) -> None:
    headers = {"Content-Type": "application/apply-patch+yaml"}
    code, applied, _ = await served.request("PATCH", f"{V1}/api?fieldManager=flux", data=HPA_V1, headers=headers)
    assert code == 201, applied
    [entry] = applied["metadata"]["managedFields"]
    assert (entry["manager"], entry["operation"], entry["apiVersion"]) == ("flux", "Apply", "autoscaling/v1")
    assert set(entry["fieldsV1"]["f:spec"]) == {"f:maxReplicas", "f:minReplicas", "f:scaleTargetRef",
                                                "f:targetCPUUtilizationPercentage"}
    code, _, _ = await served.request("PATCH", f"{V1}/api", data=json.dumps({"spec": {"maxReplicas": 8}}),
                                      headers={"Content-Type": "application/merge-patch+json"})
    assert code == 200
    code, conflict, _ = await served.request("PATCH", f"{V1}/api?fieldManager=flux", data=HPA_V1, headers=headers)
    assert code == 409, conflict
    code, forced, _ = await served.request("PATCH", f"{V1}/api?fieldManager=flux&force=true", data=HPA_V1,
                                           headers=headers)
    assert code == 200 and forced["spec"]["maxReplicas"] == 5


@needs_kubectl
async def test_kubectl_reads_and_applies_v1(served: Served) -> None:
    await served.ok("apply", "-f", "-", stdin=DEPLOYMENT_YAML)
    await served.ok("autoscale", "deployment", "web", "--cpu-percent=70", "--min=3", "--max=10")
    read = yaml.safe_load(await served.ok("get", "horizontalpodautoscalers.v1.autoscaling", "web", "-o", "yaml"))
    assert read["apiVersion"] == "autoscaling/v1" and read["spec"]["targetCPUUtilizationPercentage"] == 70
    await served.ok("apply", "-f", "-", stdin=HPA_V1)
    await served.ok("apply", "--server-side", "-f", "-", stdin=HPA_V1.replace("maxReplicas: 5", "maxReplicas: 6"))
    table = await served.ok("get", "horizontalpodautoscalers.v1.autoscaling")
    assert table.splitlines()[0].split() == ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"]
    assert [line.split()[0] for line in table.splitlines()[1:]] == ["api", "web"]
    assert "6" in table.splitlines()[1].split()


async def test_the_python_client_in_v1(served: Served) -> None:
    kubernetes = pytest.importorskip("kubernetes")
    from kubernetes import client, config, watch

    api = client.AutoscalingV1Api(config.new_client_from_config(config_file=str(served.server.kubeconfig)))
    body = client.V1HorizontalPodAutoscaler(
        metadata=client.V1ObjectMeta(name="api"),
        spec=client.V1HorizontalPodAutoscalerSpec(
            scale_target_ref=client.V1CrossVersionObjectReference(api_version="apps/v1", kind="Deployment",
                                                                  name="api"),
            min_replicas=1, max_replicas=4, target_cpu_utilization_percentage=50))
    created = await asyncio.to_thread(api.create_namespaced_horizontal_pod_autoscaler, "default", body)
    assert created.spec.target_cpu_utilization_percentage == 50
    listed = await asyncio.to_thread(api.list_namespaced_horizontal_pod_autoscaler, "default")
    assert [h.metadata.name for h in listed.items] == ["api"]
    patched = await asyncio.to_thread(api.patch_namespaced_horizontal_pod_autoscaler, "api", "default",
                                      {"spec": {"maxReplicas": 6}})
    assert patched.spec.max_replicas == 6
    status = await asyncio.to_thread(api.read_namespaced_horizontal_pod_autoscaler_status, "api", "default")
    status.status.current_replicas = 3
    replaced = await asyncio.to_thread(api.replace_namespaced_horizontal_pod_autoscaler_status, "api", "default",
                                       status)
    assert replaced.status.current_replicas == 3
    events = await asyncio.to_thread(lambda: [e["type"] for e in watch.Watch().stream(
        api.list_namespaced_horizontal_pod_autoscaler, "default", timeout_seconds=1)])
    assert events == ["ADDED"]
    await asyncio.to_thread(api.delete_namespaced_horizontal_pod_autoscaler, "api", "default")
    del kubernetes
