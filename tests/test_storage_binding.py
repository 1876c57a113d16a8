"""Claims, volumes and pods on the virtual clock: binding, provisioning, the scheduler's volume plugins, protection,
reclaim, attach and expansion. Event texts and scheduler messages were compared with a real v1.36 control plane
(kwok nodes; it has no provisioner, so the provisioner's events follow external-provisioner's controller.go)."""

from __future__ import annotations

from typing import Any

from engine.cluster import Cluster
from engine.kinds import REGISTRY

Obj = dict[str, Any]


def pvc(name: str, size: str = "1Gi", cls: str | None = None, modes: tuple[str, ...] = ("ReadWriteOnce",)) -> Obj:
    spec: Obj = {"accessModes": list(modes), "resources": {"requests": {"storage": size}}}
    if cls is not None:
        spec["storageClassName"] = cls
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name, "namespace": "default"},
            "spec": spec}


def pod(name: str, claim: str, **spec: Any) -> Obj:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
            "spec": {"containers": [{"name": "app", "image": "nginx",
                                     "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
                     "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": claim}}], **spec}}


def sc(name: str, provisioner: str = "example.com/fast", **fields: Any) -> Obj:
    return {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": name},
            "provisioner": provisioner, **fields}


def events(c: Cluster, obj: Obj | None) -> list[tuple[str, str, str]]:
    assert obj is not None
    return [(e["reason"], e["source"].get("component", ""), e["message"]) for e in c.events("default", involved=obj)]


def phase(c: Cluster, kind: str, name: str, namespace: str | None = "default") -> str:
    obj = c.get(kind, name, namespace)
    return "" if obj is None else str((obj.get("status") or {}).get("phase"))


async def test_wait_for_first_consumer_provisions_on_the_chosen_node() -> None:
    """pv_controller.go syncUnboundClaim (WaitForFirstConsumer, then provisionClaim for an external provisioner),
    volumebinding PreBind (the selected-node annotation, the pod bound once its claim is) and external-provisioner's
    Provisioning / ProvisioningSucceeded; local-path pins the volume to the node, so a replacement pod returns
    there and stays Pending when that node cannot take it."""
    async with Cluster(nodes=3) as c:
        claim = c.api.create(pvc("data"))
        await c.run_for(5)
        assert phase(c, "pvc", "data") == "Pending"
        assert events(c, claim) == [("WaitForFirstConsumer", "persistentvolume-controller",
                                     "waiting for first consumer to be created before binding")]
        c.api.create(pod("db", "data"))
        assert await c.run_until(lambda c: phase(c, "pod", "db") == "Running", timeout=60)
        claim = c.get("pvc", "data")
        node = c.get("pod", "db")["spec"]["nodeName"]
        volume_name = f"pvc-{claim['metadata']['uid']}"
        assert claim["spec"]["volumeName"] == volume_name
        assert claim["metadata"]["annotations"]["volume.kubernetes.io/selected-node"] == node
        assert claim["metadata"]["annotations"]["volume.kubernetes.io/storage-provisioner"] == "rancher.io/local-path"
        source = "rancher.io/local-path_k9py-provisioner"
        assert events(c, claim)[1:] == [
            ("ExternalProvisioning", "persistentvolume-controller",
             "Waiting for a volume to be created either by the external provisioner 'rancher.io/local-path' or "
             "manually by the system administrator. If volume creation is delayed, please verify that the "
             "provisioner is running and correctly registered."),
            ("Provisioning", source, 'External provisioner is provisioning volume for claim "default/data"'),
            ("ProvisioningSucceeded", source, f"Successfully provisioned volume {volume_name}"),
        ]
        volume = c.get("pv", volume_name, None)
        assert volume["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]["matchExpressions"] == [
            {"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}]
        assert volume["spec"]["persistentVolumeReclaimPolicy"] == "Delete"
        assert c.table("pvc", "default")[1] == [["data", "Bound", volume_name, "1Gi", "RWO", "standard", "<unset>",
                                                 c.table("pvc", "default")[1][0][7]]]
        scheduled = [m for r, _, m in events(c, c.get("pod", "db")) if r == "Scheduled"]
        assert scheduled == [f"Successfully assigned default/db to {node}"]

        # The replacement goes where the data is.
        c.api.delete("pod", "db", "default", grace_period=0)
        c.api.create(pod("db2", "data"))
        assert await c.run_until(lambda c: phase(c, "pod", "db2") == "Running", timeout=60)
        assert c.get("pod", "db2")["spec"]["nodeName"] == node

        # That node cordoned: nowhere else may use the volume.
        c.api.delete("pod", "db2", "default", grace_period=0)
        cordoned = c.api.get("node", node)
        c.api.update({**cordoned, "spec": {**cordoned["spec"], "unschedulable": True}})
        c.api.create(pod("db3", "data"))
        await c.run_for(5)
        pending = c.get("pod", "db3")
        assert pending["status"]["conditions"][0]["message"] == (
            "0/3 nodes are available: 1 node(s) were unschedulable, 2 node(s) didn't match PersistentVolume's node "
            "affinity. no new claims to deallocate, "
            "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.")


async def test_pods_whose_claims_cannot_be_used_stay_pending() -> None:
    """volume_binding.go PreFilter: a missing claim, and an unbound claim of an Immediate class (here the empty
    class, which only a static volume can satisfy); pv_controller.go's FailedBinding and ProvisioningFailed."""
    async with Cluster(nodes=3) as c:
        c.api.create(pod("nope", "missing"))
        none = c.api.create(pvc("none", cls=""))
        c.api.create(pod("waits", "none"))
        lost = c.api.create(pvc("lost", cls="nosuch"))
        await c.run_for(5)
        assert [m for r, _, m in events(c, c.get("pod", "nope")) if r == "FailedScheduling"] == [
            '0/3 nodes are available: persistentvolumeclaim "missing" not found. not found']
        assert [m for r, _, m in events(c, c.get("pod", "waits")) if r == "FailedScheduling"] == [
            "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. not found"]
        assert events(c, none) == [("FailedBinding", "persistentvolume-controller",
                                    "no persistent volumes available for this claim and no storage class is set")]
        assert events(c, lost) == [("ProvisioningFailed", "persistentvolume-controller",
                                    'storageclass.storage.k8s.io "nosuch" not found')]
        claim_kind = REGISTRY.by_kind("PersistentVolumeClaim")
        assert claim_kind is not None
        assert claim_kind.problems(c.get("pvc", "none")) == [
            ("FailedBinding", "no persistent volumes available for this claim and no storage class is set")]
        assert c.health("pvc", "none") == ("Progressing", "")
        # An administrator adds a volume: the claim binds and the pod is scheduled.
        c.api.create({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "manual"},
                      "spec": {"capacity": {"storage": "2Gi"}, "accessModes": ["ReadWriteOnce"],
                               "storageClassName": "", "hostPath": {"path": "/tmp/manual"}}})
        assert await c.run_until(lambda c: phase(c, "pod", "waits") == "Running", timeout=400)
        assert c.get("pvc", "none")["spec"]["volumeName"] == "manual"


async def test_claim_in_use_stays_terminating_and_volumes_are_reclaimed() -> None:
    """pvc_protection_controller.go processPVC (a claim a pod uses keeps its finalizer), pv_controller.go
    reclaimVolume (Retain: Released; a provisioned Delete volume deleted by its provisioner; the hostPath deleter
    refusing paths outside /tmp) and pv_protection_controller.go."""
    async with Cluster(nodes=1) as c:
        c.api.create(pvc("data"))
        c.api.create(pod("db", "data"))
        assert await c.run_until(lambda c: phase(c, "pod", "db") == "Running", timeout=60)
        volume_name = c.get("pvc", "data")["spec"]["volumeName"]
        c.api.delete("pvc", "data", "default")
        await c.run_for(5)
        claim = c.get("pvc", "data")
        assert claim is not None and claim["metadata"]["finalizers"] == ["kubernetes.io/pvc-protection"]
        assert c.table("pvc", "default")[1][0][1] == "Terminating"
        assert "Status:        Terminating (lasts 5s)\n" in c.describe("pvc", "data")
        assert "Used By:       db\n" in c.describe("pvc", "data")
        c.api.delete("pod", "db", "default")
        assert await c.run_until(lambda c: c.get("pvc", "data") is None and c.get("pv", volume_name, None) is None,
                                 timeout=120)

        c.api.create({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "keep"},
                      "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
                               "storageClassName": "manual", "hostPath": {"path": "/mnt/keep"}}})
        c.api.create({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "del"},
                      "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
                               "persistentVolumeReclaimPolicy": "Delete", "storageClassName": "del",
                               "hostPath": {"path": "/mnt/y"}}})
        c.api.create(pvc("k", cls="manual"))
        c.api.create(pvc("d", cls="del"))
        await c.run_for(2)
        c.api.delete("pv", "keep", None)
        await c.run_for(2)
        rows = {row[0]: row for row in c.table("pv")[1]}
        assert rows["keep"][4] == "Terminating"  # Bound: pv-protection holds it
        c.api.delete("pvc", "k", "default")
        c.api.delete("pvc", "d", "default")
        await c.run_for(2)
        assert c.get("pv", "keep", None) is None  # Released, so pv-protection let it go
        failed = c.get("pv", "del", None)
        assert failed["status"]["phase"] == "Failed"
        assert failed["status"]["message"] == "host_path deleter only supports /tmp/.+ but received provided /mnt/y"
        assert [(r, m) for r, _, m in events(c, failed)] == [
            ("VolumeFailedDelete", "host_path deleter only supports /tmp/.+ but received provided /mnt/y")]


async def test_released_retain_volume() -> None:
    """pv_controller.go syncVolume: a volume whose claim is gone is Released and, with Retain, stays so."""
    async with Cluster(nodes=1) as c:
        c.api.create(sc("keep", reclaimPolicy="Retain", volumeBindingMode="Immediate"))
        c.api.create(pvc("data", cls="keep"))
        assert await c.run_until(lambda c: phase(c, "pvc", "data") == "Bound", timeout=30)
        volume_name = c.get("pvc", "data")["spec"]["volumeName"]
        assert c.get("pv", volume_name, None)["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
        c.api.delete("pvc", "data", "default")
        await c.run_for(2)
        row = c.table("pv")[1][0]
        assert row[3:6] == ["Retain", "Released", "default/data"]


async def test_read_write_once_volume_on_two_nodes_is_a_multi_attach_error() -> None:
    """attachdetach reconciler.go reportMultiAttachError: the second pod, on another node, waits in
    ContainerCreating with FailedAttachVolume until the first pod is gone; then the volume follows it."""
    async with Cluster(nodes=2) as c:
        c.api.create(sc("disk", volumeBindingMode="Immediate"))
        c.api.create(pvc("shared", cls="disk"))
        assert await c.run_until(lambda c: phase(c, "pvc", "shared") == "Bound", timeout=30)
        volume_name = c.get("pvc", "shared")["spec"]["volumeName"]
        c.api.create(pod("first", "shared", nodeName="node-1"))
        assert await c.run_until(lambda c: phase(c, "pod", "first") == "Running", timeout=30)
        c.api.create(pod("second", "shared", nodeName="node-2"))
        await c.run_for(30)
        second = c.get("pod", "second")
        assert second["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] == "ContainerCreating"
        assert ("FailedAttachVolume", "attachdetach-controller",
                f'Multi-Attach error for volume "{volume_name}" Volume is already used by pod(s) first') \
            in events(c, second)
        c.api.delete("pod", "first", "default")
        assert await c.run_until(lambda c: phase(c, "pod", "second") == "Running", timeout=400)
        assert ("SuccessfulAttachVolume", "attachdetach-controller",
                f'AttachVolume.Attach succeeded for volume "{volume_name}" ') in events(c, c.get("pod", "second"))


async def test_read_write_once_pod_claim_in_use_refuses_a_second_pod() -> None:
    """volumerestrictions PreFilter/Filter: a ReadWriteOncePod claim used by a scheduled pod rejects every node
    for another pod (Unschedulable, so preemption is tried), in v1.36's words."""
    async with Cluster(nodes=3) as c:
        c.api.create(sc("single", volumeBindingMode="Immediate"))
        c.api.create(pvc("only", cls="single", modes=("ReadWriteOncePod",)))
        c.api.create(pod("one", "only"))
        assert await c.run_until(lambda c: phase(c, "pod", "one") == "Running", timeout=60)
        c.api.create(pod("two", "only"))
        await c.run_for(5)
        assert [m for r, _, m in events(c, c.get("pod", "two")) if r == "FailedScheduling"] == [
            "0/3 nodes are available: 3 node(s) unavailable due to PersistentVolumeClaim with ReadWriteOncePod access "
            "mode already in-use by another pod. no new claims to deallocate, "
            "preemption: 0/3 nodes are available: 3 No preemption victims found "
            "for incoming pod."]


async def test_expansion_where_the_class_allows_it() -> None:
    """external-resizer: a bound claim of a class with allowVolumeExpansion grows (Resizing, then
    VolumeResizeSuccessful; status.capacity follows)."""
    async with Cluster(nodes=1) as c:
        c.api.create(sc("grow", volumeBindingMode="Immediate", allowVolumeExpansion=True))
        c.api.create(pvc("data", cls="grow"))
        assert await c.run_until(lambda c: phase(c, "pvc", "data") == "Bound", timeout=30)
        claim = c.get("pvc", "data")
        c.api.update({**claim, "spec": {**claim["spec"], "resources": {"requests": {"storage": "5Gi"}}}})
        assert await c.run_until(lambda c: c.get("pvc", "data")["status"]["capacity"]["storage"] == "5Gi",
                                 timeout=30)
        volume_name = c.get("pvc", "data")["spec"]["volumeName"]
        assert c.get("pv", volume_name, None)["spec"]["capacity"]["storage"] == "5Gi"
        assert [r for r, _, _ in events(c, claim)][-2:] == ["Resizing", "VolumeResizeSuccessful"]
        assert "conditions" not in c.get("pvc", "data")["status"]


async def test_a_claim_made_before_any_default_class_gets_it_later() -> None:
    """pv_controller.go syncUnboundClaim with RetroactiveDefaultStorageClass: a claim that names no class (nil,
    not "") gets the default class once one exists, then provisions as usual."""
    async with Cluster(nodes=1) as c:
        c.api.delete("sc", "standard", None)
        c.api.create(pvc("late"))
        await c.run_for(2)
        assert "storageClassName" not in c.get("pvc", "late")["spec"]
        c.api.create(sc("fresh", volumeBindingMode="Immediate",
                        metadata={"name": "fresh",
                                  "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}}))
        assert await c.run_until(lambda c: phase(c, "pvc", "late") == "Bound", timeout=60)
        assert c.get("pvc", "late")["spec"]["storageClassName"] == "fresh"
