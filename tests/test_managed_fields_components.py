"""managedFields of what the engine's own components wrote (engine/fieldmanager/lazy.py), as a v1.36
kube-apiserver records its controllers' and kubelet's Updates: compared with the test kit's answers for
`kubectl create deployment web --image=nginx` (`kubectl get ... -o yaml --show-managed-fields`)."""

from __future__ import annotations

import copy
import json

import pytest
from test_apiserver_kit import DEPLOYMENT_YAML, Served, needs_kubectl, served

from engine.cluster import Cluster
from engine.errors import ApiError

__all__ = ["served"]

DEP = {"apiVersion": "apps/v1", "kind": "Deployment",
       "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
       "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": {
           "metadata": {"labels": {"app": "web"}},
           "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}}}}


@pytest.fixture
async def cluster():
    async with Cluster(nodes=1) as c:
        c.api.create(copy.deepcopy(DEP), manager="kubectl-create")
        await c.run_for(5)
        yield c


def _shown(cluster: Cluster, kind: str, obj: dict) -> list[dict]:
    return cluster.api.shown(cluster.api.registry.resolve(kind), obj)["metadata"]["managedFields"]


def _who(entries: list[dict]) -> list[tuple[str, str, str]]:
    return [(e["manager"], e["operation"], e.get("subresource", "")) for e in entries]


async def test_a_replicasets_pod_shows_the_controller_and_the_kubelet(cluster: Cluster) -> None:
    """The kit's pod of a Deployment: `kube-controller-manager` Update owns what the ReplicaSet controller sent
    (its template with defaults, labels, ownerReference), not what admission added after the field manager ran
    (token volume and mount, serviceAccountName, priority, tolerations) nor the binding's nodeName; the kubelet
    (kwok in the kit) Update with subresource status owns the status but the binding's PodScheduled condition
    and the QoS class (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/create.go runs the field manager
    before admission)."""
    pod = cluster.api.list("pods", "default")[0]
    assert "managedFields" not in pod["metadata"]  # nothing was worked out while the cluster ran
    entries = _shown(cluster, "pods", pod)
    assert _who(entries) == [("kube-controller-manager", "Update", ""), ("kubelet", "Update", "status")]
    main, status = entries[0]["fieldsV1"], entries[1]["fieldsV1"]
    owner = pod["metadata"]["ownerReferences"][0]["uid"]
    assert main["f:metadata"] == {"f:generateName": {}, "f:labels": {".": {}, "f:app": {}, "f:pod-template-hash": {}},
                                  "f:ownerReferences": {".": {}, f'k:{{"uid":"{owner}"}}': {}}}
    assert list(main["f:spec"]) == ["f:containers", "f:dnsPolicy", "f:enableServiceLinks", "f:restartPolicy",
                                    "f:schedulerName", "f:securityContext", "f:terminationGracePeriodSeconds"]
    assert main["f:spec"]["f:containers"] == {'k:{"name":"nginx"}': {
        ".": {}, "f:image": {}, "f:imagePullPolicy": {}, "f:name": {}, "f:resources": {},
        "f:terminationMessagePath": {}, "f:terminationMessagePolicy": {}}}
    conditions = status["f:status"]["f:conditions"]
    assert "." not in conditions and 'k:{"type":"PodScheduled"}' not in conditions
    assert 'k:{"type":"Ready"}' in conditions and "f:qosClass" not in status["f:status"]
    assert {"f:phase", "f:podIP", "f:containerStatuses", "f:startTime"} <= set(status["f:status"])


async def test_replicaset_and_deployment_status_belong_to_the_controller_manager(cluster: Cluster) -> None:
    """The kit's ReplicaSet: `kube-controller-manager` Update (spec, annotations, ownerReference) and
    `kube-controller-manager` Update with subresource status."""
    rs = cluster.api.list("replicasets.apps", "default")[0]
    entries = _shown(cluster, "replicasets.apps", rs)
    assert _who(entries) == [("kube-controller-manager", "Update", ""), ("kube-controller-manager", "Update", "status")]
    assert "f:replicas" in entries[0]["fieldsV1"]["f:spec"]
    assert "f:readyReplicas" in entries[1]["fieldsV1"]["f:status"]
    cm = cluster.api.get("configmaps", "kube-root-ca.crt", "default")
    (entry,) = _shown(cluster, "configmaps", cm)
    assert entry["manager"] == "kube-controller-manager"
    assert entry["fieldsV1"] == {"f:data": {".": {}, "f:ca.crt": {}},
                                 "f:metadata": {"f:annotations": {".": {}, "f:kubernetes.io/description": {}}}}


async def test_apply_of_a_controller_owned_field_conflicts(cluster: Cluster) -> None:
    """The kit: `kubectl apply --server-side` of a Deployment's ReplicaSet with other replicas answers
    `Apply failed with 1 conflict: conflict with "kube-controller-manager" using apps/v1: .spec.replicas`; forced,
    the applier takes the field and the controller's entry keeps the rest (merge/update.go Updater.Apply)."""
    rs = cluster.api.list("replicasets.apps", "default")[0]
    name = rs["metadata"]["name"]
    config = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": name, "namespace": "default"},
              "spec": {"replicas": 5}}
    with pytest.raises(ApiError) as raised:
        cluster.api.apply("replicasets.apps", name, "default", copy.deepcopy(config), "kubectl")
    assert raised.value.code == 409
    assert raised.value.message == ('Apply failed with 1 conflict: conflict with "kube-controller-manager" using '
                                    'apps/v1: .spec.replicas')
    obj, _ = cluster.api.apply("replicasets.apps", name, "default", copy.deepcopy(config), "kubectl", force=True)
    entries = obj["metadata"]["managedFields"]
    assert _who(entries) == [("kubectl", "Apply", ""), ("kube-controller-manager", "Update", ""),
                             ("kube-controller-manager", "Update", "status")]
    assert "f:replicas" not in entries[1]["fieldsV1"]["f:spec"] and "f:template" in entries[1]["fieldsV1"]["f:spec"]


async def test_a_tracked_write_keeps_the_components_entries(cluster: Cluster) -> None:
    """`kubectl label pod` of a ReplicaSet's pod: the kit shows the label's `kubectl-label` entry beside the
    controller's and the kubelet's, which stay as they were."""
    pod = cluster.api.list("pods", "default")[0]
    labelled = cluster.api.patch("pods", pod["metadata"]["name"], "default", {"metadata": {"labels": {"tier": "x"}}},
                                 manager="kubectl-label")
    assert _who(labelled["metadata"]["managedFields"]) == [  # by time (sortEncodedManagedFields)
        ("kube-controller-manager", "Update", ""), ("kubelet", "Update", "status"), ("kubectl-label", "Update", "")]
    assert labelled["metadata"]["managedFields"][2]["fieldsV1"] == {"f:metadata": {"f:labels": {"f:tier": {}}}}
    await cluster.run_for(2)  # later kubelet writes are recorded on the tracked object at once
    assert len(cluster.api.get("pods", pod["metadata"]["name"], "default")["metadata"]["managedFields"]) == 3


async def test_an_unschedulable_pod_shows_the_schedulers_status(cluster: Cluster) -> None:
    """The kit's pod requesting more CPU than any node has: `kube-scheduler` Update with subresource status owns
    the PodScheduled condition it wrote (False, Unschedulable, with why) and the conditions list."""
    big = copy.deepcopy(DEP)
    big["metadata"]["name"] = "big"
    big["spec"]["template"]["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "500"}}
    big["spec"]["selector"] = {"matchLabels": {"app": "big"}}
    big["spec"]["template"]["metadata"]["labels"] = {"app": "big"}
    cluster.api.create(big)
    await cluster.run_for(5)
    pod = cluster.api.list("pods", "default", label_selector="app=big")[0]
    entries = _shown(cluster, "pods", pod)
    assert _who(entries) == [("kube-controller-manager", "Update", ""), ("kube-scheduler", "Update", "status")]
    conditions = entries[1]["fieldsV1"]["f:status"]["f:conditions"]
    assert list(conditions) == [".", 'k:{"type":"PodScheduled"}']
    assert {"f:message", "f:reason", "f:status", "f:type"} <= set(conditions['k:{"type":"PodScheduled"}'])


@needs_kubectl
async def test_kubectl_shows_component_managers_and_conflicts(served: Served) -> None:
    """`kubectl get pod -o json --show-managed-fields` shows the controller's and the kubelet's entries (a plain
    `-o json` hides them, as kubectl does), and a server-side apply of a controller-owned label conflicts with
    the kit's message."""
    await served.ok("apply", "--server-side", "-f", "-", stdin=DEPLOYMENT_YAML)
    await served.ok("rollout", "status", "deployment/web", "--timeout=60s")
    pods = json.loads(await served.ok("get", "pods", "-l", "app=web", "-o", "json", "--show-managed-fields"))
    entries = pods["items"][0]["metadata"]["managedFields"]
    assert _who(entries) == [("kube-controller-manager", "Update", ""), ("kubelet", "Update", "status")]
    name = pods["items"][0]["metadata"]["name"]
    code, _, err = await served.kubectl("apply", "--server-side", "-f", "-", stdin=(
        f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels:\n    app: other\n"))
    assert code == 1
    assert 'Apply failed with 1 conflict: conflict with "kube-controller-manager" using v1: .metadata.labels.app' in err
