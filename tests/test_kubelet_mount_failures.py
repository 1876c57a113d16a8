"""A pod whose volumes cannot be mounted, in the kubelet's v1.36 words and on its timing (virtual clock).

Upstream: pkg/kubelet/volumemanager/volume_manager.go WaitForAttachAndMount (podAttachAndMountTimeout 2m3s, the
`unmounted volumes=%v, unattached volumes=%v, failed to process volumes=%v: %w` error), pkg/kubelet/kubelet.go
SyncPod (the `Unable to attach or mount volumes: %v` event, skipped when `wait.Interrupted(err)` since
kubernetes/kubernetes#117412, v1.28), populator/desired_state_of_world_populator.go (createVolumeSpec,
getPVCExtractPV, getPVSpec: the claim errors), nestedpendingoperations (0.5 s doubling to 2m2s between SetUp
attempts), pod_workers.go (10 s back-off after a failed sync). The control plane kit runs kwok nodes, which have no
kubelet: these messages are read from the source, not compared with a live node.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from test_storage_binding import phase, pod, pvc, sc

from engine.cluster import Cluster

Obj = dict[str, Any]
SETUP = 'MountVolume.SetUp failed for volume "cfg" : configmap "settings" not found'


def kubelet_events(c: Cluster, name: str, reason: str = "FailedMount") -> dict[str, int]:
    """message -> count of the kubelet's events of `reason` about pod `name`."""
    return {e["message"]: e["count"] for e in c.events("default")
            if e["involvedObject"]["name"] == name and e["reason"] == reason
            and e["source"].get("component") == "kubelet"}


def status_of(c: Cluster, name: str) -> str:
    return c.table("pods", "default")[1][[r[0] for r in c.table("pods", "default")[1]].index(name)][2]


def with_config_volume(obj: Obj) -> Obj:
    spec = obj["spec"]
    spec["containers"][0]["volumeMounts"].append({"name": "cfg", "mountPath": "/etc/cfg"})
    spec["volumes"].append({"name": "cfg", "configMap": {"name": "settings"}})
    return obj


def config_pod() -> Obj:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "app", "namespace": "default"},
            "spec": {"containers": [{"name": "app", "image": "nginx",
                                     "volumeMounts": [{"name": "cfg", "mountPath": "/etc/cfg"}]}],
                     "volumes": [{"name": "cfg", "configMap": {"name": "settings"}}]}}


async def test_a_missing_config_map_fails_setup_with_back_off_and_the_timeout_says_nothing() -> None:
    """SetUp is retried 0.5 s, 1 s, 2 s … up to 2m2s apart, each attempt a FailedMount event; the pod worker's
    2m3s wait ends in `context deadline exceeded`, which v1.36 keeps out of the events. A ConfigMap created late is
    mounted at the next attempt, so the pod may wait up to two more minutes, as on a real node."""
    async with Cluster(nodes=1) as c:
        await c.apply(config_pod())
        await c.run_until(lambda c: kubelet_events(c, "app"), timeout=5)
        await c.run_for(60)  # attempts at 0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s; the next at 63.5 s
        assert kubelet_events(c, "app") == {SETUP: 7}
        await c.run_for(70)  # 63.5 and 127.5 s
        assert kubelet_events(c, "app") == {SETUP: 9}
        await c.run_for(170)  # past two 2m3s waits: nothing but SetUp (249.5 s, then every 2m2s)
        assert kubelet_events(c, "app") == {SETUP: 10}
        assert status_of(c, "app") == "ContainerCreating"
        # The ConfigMap appears at ~305 s; the next attempt, at 371.5 s, mounts it and the waiting pod starts.
        await c.run_for(5)
        await c.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"a": "1"}})
        await c.run_for(60)
        assert status_of(c, "app") == "ContainerCreating"
        assert await c.run_until(lambda c: status_of(c, "app") == "Running", timeout=10)
        assert kubelet_events(c, "app") == {SETUP: 10}


async def test_a_missing_claim_is_the_populators_error_every_sync() -> None:
    """A pod bound to a node by hand skips the scheduler's VolumeBinding, so the kubelet meets the missing claim:
    WaitForAttachAndMount returns the populator's error at once, SyncPod records it, and the pod worker tries
    again 10 s later. Once the claim is bound the next sync mounts it and the pod starts."""
    async with Cluster(nodes=1) as c:
        c.api.create(pod("app", "data", nodeName="node-1"))
        await c.run_for(35)
        message = ("Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[], failed to "
                   "process volumes=[data]: error processing PVC default/data: failed to fetch PVC from API server: "
                   'persistentvolumeclaims "data" not found')
        assert kubelet_events(c, "app") == {message: 4}  # at 0, 10, 20 and 30 s
        assert status_of(c, "app") == "ContainerCreating"
        c.api.create(sc("now", volumeBindingMode="Immediate"))
        c.api.create(pvc("data", cls="now"))
        assert await c.run_until(lambda c: phase(c, "pvc", "data") == "Bound", timeout=30)
        assert await c.run_until(lambda c: status_of(c, "app") == "Running", timeout=11)


async def test_unbound_and_deleted_claims_next_to_a_missing_config_map() -> None:
    """`unmounted volumes` lists every volume not mounted, `failed to process volumes` the claims the populator
    could not follow; a ConfigMap volume has its own SetUp events meanwhile. A claim in use that is deleted stays
    (pvc-protection) and a new pod on it is told it is being deleted."""
    async with Cluster(nodes=1) as c:
        c.api.create(pvc("data"))  # `standard` waits for a first consumer, which the scheduler never sees here
        c.api.create(with_config_volume(pod("app", "data", nodeName="node-1")))
        await c.run_for(5)
        assert kubelet_events(c, "app") == {
            SETUP: 4,
            "Unable to attach or mount volumes: unmounted volumes=[cfg data], unattached volumes=[], failed to "
            "process volumes=[data]: error processing PVC default/data: PVC is not bound": 1,
        }
        assert phase(c, "pvc", "data") == "Pending"

        c.api.create(sc("now", volumeBindingMode="Immediate"))
        c.api.create(pvc("kept", cls="now"))
        c.api.create(pod("holder", "kept"))
        assert await c.run_until(lambda c: phase(c, "pod", "holder") == "Running", timeout=60)
        c.api.delete("pvc", "kept", "default")
        c.api.create(pod("late", "kept", nodeName="node-1"))
        await c.run_for(1)
        assert c.get("pvc", "kept")["metadata"]["deletionTimestamp"]
        assert kubelet_events(c, "late") == {
            "Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[], failed to process "
            "volumes=[data]: error processing PVC default/kept: PVC is being deleted": 1}


async def test_a_volume_attached_to_another_node_has_no_kubelet_event() -> None:
    """Multi-Attach: the attach/detach controller says why; the kubelet's VerifyControllerAttachedVolume fails
    without an event and its 2m3s wait times out silently. `k9py check` reports the controller's event."""
    async with Cluster(nodes=2) as c:
        c.api.create(sc("disk", volumeBindingMode="Immediate"))
        c.api.create(pvc("shared", cls="disk"))
        assert await c.run_until(lambda c: phase(c, "pvc", "shared") == "Bound", timeout=30)
        c.api.create(pod("first", "shared", nodeName="node-1"))
        assert await c.run_until(lambda c: phase(c, "pod", "first") == "Running", timeout=30)
        c.api.create(pod("second", "shared", nodeName="node-2"))
        await c.run_for(300)
        assert status_of(c, "second") == "ContainerCreating"
        assert kubelet_events(c, "second") == {}
        assert [e["reason"] for e in c.events("default") if e["involvedObject"]["name"] == "second"] == [
            "FailedAttachVolume"]


async def test_check_names_the_volume_a_pod_waits_for(tmp_path: Path) -> None:
    from engine.check import run_check

    (tmp_path / "pods.yaml").write_text(
        "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: disk}\nprovisioner: example.com/fast\n"
        "volumeBindingMode: Immediate\n---\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: shared}\n"
        "spec: {storageClassName: disk, accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n"
        + "".join(f"---\napiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n  nodeName: {node}\n"
                  "  containers: [{name: app, image: nginx, volumeMounts: [{name: data, mountPath: /data}]}]\n"
                  "  volumes: [{name: data, persistentVolumeClaim: {claimName: shared}}]\n"
                  for name, node in (("first", "node-1"), ("second", "node-2"))))
    report = await run_check([str(tmp_path)], duration=120)
    problems = [(p["name"], p["reason"], p["message"]) for p in report.problems]
    assert len(problems) == 1 and problems[0][:2] == ("second", "FailedAttachVolume")
    assert problems[0][2].startswith('Multi-Attach error for volume "pvc-') \
        and problems[0][2].endswith('" Volume is already used by pod(s) first')


async def test_a_pod_deleted_while_it_waits_goes_at_once_without_more_mount_events() -> None:
    """No container ran, so there is nothing to stop: the kubelet confirms the deletion at once."""
    async with Cluster(nodes=1) as c:
        await c.apply(config_pod())
        await c.run_for(10)
        count = kubelet_events(c, "app")[SETUP]
        c.api.delete("pod", "app", "default")
        assert await c.run_until(lambda c: c.get("pod", "app") is None, timeout=1)
        await c.run_for(60)
        assert kubelet_events(c, "app")[SETUP] == count
