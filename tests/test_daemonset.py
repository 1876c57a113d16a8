"""DaemonSets on the virtual clock: one pod per eligible node, rolling updates, revisions and `kubectl rollout`.

Expected texts were taken from a real v1.36 control plane (kwok nodes) running the same manifests.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from engine import ApiError, podutil
from engine.cluster import Cluster
from engine.store import WatchEvent

Obj = dict[str, Any]

# The seed's DaemonSet, as a learner applies it: fluentd reading the node's logs through a hostPath volume.
FLUENTD: Obj = {
    "apiVersion": "apps/v1", "kind": "DaemonSet",
    "metadata": {"name": "fluentd", "namespace": "default", "labels": {"app": "fluentd"}},
    "spec": {
        "selector": {"matchLabels": {"app": "fluentd"}},
        "template": {
            "metadata": {"labels": {"app": "fluentd"}},
            "spec": {
                "tolerations": [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}],
                "containers": [{
                    "name": "fluentd", "image": "fluent/fluentd:v1.16",
                    "resources": {"limits": {"memory": "200Mi"}, "requests": {"cpu": "100m", "memory": "200Mi"}},
                    "volumeMounts": [{"name": "varlog", "mountPath": "/var/log"}],
                }],
                "volumes": [{"name": "varlog", "hostPath": {"path": "/var/log"}}],
            },
        },
    },
}

DAEMON_TOLERATIONS = [
    {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
]


def fluentd(image: str = "fluent/fluentd:v1.16", **spec: Any) -> Obj:
    ds = copy.deepcopy(FLUENTD)
    ds["spec"]["template"]["spec"]["containers"][0]["image"] = image
    ds["spec"].update(spec)
    return ds


def status(c: Cluster, name: str = "fluentd") -> Obj:
    ds = c.get("ds", name)
    assert ds is not None
    return ds.get("status") or {}


def pods(c: Cluster) -> list[Obj]:
    return sorted((p for p in c.list("pods", "default") if podutil.is_active(p)),
                  key=lambda p: p["spec"].get("nodeName") or "")


def nodes_of(c: Cluster) -> list[str]:
    return [p["spec"].get("nodeName") or "" for p in pods(c)]


def available(n: int):
    return lambda c: status(c).get("numberAvailable") == n and status(c).get("updatedNumberScheduled") == n \
        and len(pods(c)) == n


def rolled_out(c: Cluster) -> bool:
    return c.rollout_status("fluentd", kind="ds")[1]


def ds_events(c: Cluster) -> list[tuple[str, str]]:
    return [(e["reason"], e["message"]) for e in c.events("default")
            if e["source"].get("component") == "daemonset-controller"]


async def test_one_pod_per_node_pinned_by_affinity_and_bound_by_the_scheduler() -> None:
    """daemon_controller.go syncNodes + util/daemonset_util.go AddOrUpdateDaemonPodTolerations and
    ReplaceDaemonSetPodNodeNameNodeAffinity: pods `<ds>-xxxxx`, the daemon tolerations, a matchFields affinity
    on the node's name, and a binding by the default scheduler; the hostPath volume mounts."""
    async with Cluster(nodes=3) as c:
        await c.apply(FLUENTD)
        assert await c.run_until(available(3), timeout=60)
        assert nodes_of(c) == ["node-1", "node-2", "node-3"]
        for pod in pods(c):
            node = pod["spec"]["nodeName"]
            assert pod["metadata"]["name"].startswith("fluentd-") and len(pod["metadata"]["name"]) == 13
            assert pod["spec"]["affinity"] == {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In",
                                                        "values": [node]}]}]}}}
            assert pod["spec"]["tolerations"] == DAEMON_TOLERATIONS
            assert pod["status"]["phase"] == "Running"
            assert pod["metadata"]["ownerReferences"][0]["kind"] == "DaemonSet"
            scheduled = [e["message"] for e in c.events("default", involved=pod) if e["reason"] == "Scheduled"]
            assert scheduled == [f"Successfully assigned default/{pod['metadata']['name']} to {node}"]
        created = [m for r, m in ds_events(c) if r == "SuccessfulCreate"]
        assert sorted(created) == sorted(f"Created pod: {p['metadata']['name']}" for p in pods(c))
        assert status(c) == {"currentNumberScheduled": 3, "numberMisscheduled": 0, "desiredNumberScheduled": 3,
                             "numberReady": 3, "observedGeneration": 1, "updatedNumberScheduled": 3,
                             "numberAvailable": 3}
        assert c.table("ds", "default") == (
            ["NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE"],
            [["fluentd", "3", "3", "3", "3", "3", "<none>", "1s"]])
        assert c.table("ds", "default", wide=True)[1][0][8:] == ["fluentd", "fluent/fluentd:v1.16", "app=fluentd"]
        assert c.health("ds", "fluentd") == ("Healthy", "")


async def test_host_network_pods_also_tolerate_network_unavailable() -> None:
    """util/daemonset_util.go AddOrUpdateDaemonPodTolerations: network-unavailable only for hostNetwork pods."""
    ds = fluentd()
    ds["spec"]["template"]["spec"]["hostNetwork"] = True
    async with Cluster(nodes=1) as c:
        await c.apply(ds)
        assert await c.run_until(available(1), timeout=60)
        assert pods(c)[0]["spec"]["tolerations"][-1] == {
            "key": "node.kubernetes.io/network-unavailable", "operator": "Exists", "effect": "NoSchedule"}


async def test_new_cordoned_tainted_and_deleted_nodes() -> None:
    """daemon_controller.go addNode/updateNode and NodeShouldRunDaemonPod: a new node gets its pod; a cordoned
    node keeps its pod and a new cordoned node still gets one (the unschedulable toleration); a NoSchedule taint
    keeps new pods off but lets a running one stay; a NoExecute taint removes it; a node that is no longer
    desired is no longer counted."""
    async with Cluster(nodes=2) as c:
        await c.apply(FLUENTD)
        assert await c.run_until(available(2), timeout=60)
        await c.cordon("node-1")
        c.add_node("node-3")
        await c.run_for(1)
        c.add_node("node-4")
        await c.cordon("node-4")
        assert await c.run_until(available(4), timeout=60)
        assert nodes_of(c) == ["node-1", "node-2", "node-3", "node-4"]

        await c.patch("nodes", "node-2", {"spec": {"taints": [{"key": "dedicated", "value": "db",
                                                               "effect": "NoSchedule"}]}}, None)
        await c.run_for(5)
        assert "node-2" in nodes_of(c)  # shouldContinueRunning: a NoSchedule taint does not evict
        assert status(c)["desiredNumberScheduled"] == 3 and status(c)["numberMisscheduled"] == 1
        assert c.table("ds", "default")[1][0][1:3] == ["3", "3"]

        await c.patch("nodes", "node-3", {"spec": {"taints": [{"key": "dedicated", "value": "db",
                                                               "effect": "NoExecute"}]}}, None)
        assert await c.run_until(lambda c: "node-3" not in nodes_of(c), timeout=60)
        deleted = [m for r, m in ds_events(c) if r == "SuccessfulDelete"]
        assert len(deleted) == 1


async def test_node_selector_and_affinity_choose_the_nodes() -> None:
    """daemon_controller.go predicates: the template's nodeSelector and required node affinity; relabelling a node
    out of the selector deletes its pod."""
    async with Cluster(nodes=3) as c:
        await c.patch("nodes", "node-2", {"metadata": {"labels": {"logging": "on"}}}, None)
        await c.patch("nodes", "node-3", {"metadata": {"labels": {"logging": "on"}}}, None)
        ds = fluentd()
        ds["spec"]["template"]["spec"]["nodeSelector"] = {"logging": "on"}
        await c.apply(ds)
        assert await c.run_until(available(2), timeout=60)
        assert nodes_of(c) == ["node-2", "node-3"]
        assert c.table("ds", "default")[1][0][6] == "logging=on"
        # The pod's own affinity is replaced by the node-name term; its nodeSelector stays.
        assert pods(c)[0]["spec"]["nodeSelector"] == {"logging": "on"}
        await c.patch("nodes", "node-3", {"metadata": {"labels": {"logging": None}}}, None)
        assert await c.run_until(lambda c: nodes_of(c) == ["node-2"], timeout=60)
        assert status(c)["desiredNumberScheduled"] == 1


class Unavailable:
    """The most nodes without an available daemon pod, over every store write."""

    def __init__(self, c: Cluster, nodes: int) -> None:
        self.c, self.nodes, self.worst, self.most_pods = c, nodes, 0, 0
        c.store.add_listener(self._on_event)

    def _on_event(self, event: WatchEvent) -> None:
        if event.resource != "pods":
            return
        live = [p for p in self.c.store.iter("pods", "default") if podutil.is_active(p)]
        ready_nodes = {p["spec"].get("nodeName") for p in live if podutil.is_ready(p)}
        self.worst = max(self.worst, self.nodes - len(ready_nodes))
        self.most_pods = max(self.most_pods, len(live))


async def test_rolling_update_replaces_one_node_at_a_time() -> None:
    """update.go rollingUpdate (maxSurge 0): at most maxUnavailable (default 1) nodes lack an available pod; a new
    ControllerRevision `<ds>-<hash>`, the controller-revision-hash label and the template generation annotation."""
    async with Cluster(nodes=4) as c:
        await c.apply(FLUENTD)
        assert await c.run_until(available(4), timeout=60)
        first = c.list("controllerrevisions", "default")
        assert len(first) == 1 and first[0]["revision"] == 1
        old_hash = first[0]["metadata"]["labels"]["controller-revision-hash"]
        assert first[0]["metadata"]["name"] == f"fluentd-{old_hash}"
        watch = Unavailable(c, 4)
        await c.apply(fluentd("fluent/fluentd:v1.17"))
        c.settle()
        assert c.get("ds", "fluentd")["metadata"]["annotations"]["deprecated.daemonset.template.generation"] == "2"
        assert c.rollout_status("fluentd", kind="ds") == (
            'Waiting for daemon set "fluentd" rollout to finish: 0 out of 4 new pods have been updated...', False)
        assert await c.run_until(rolled_out, timeout=120)
        assert watch.worst == 1 and watch.most_pods == 4
        assert c.rollout_status("fluentd", kind="ds") == ('daemon set "fluentd" successfully rolled out', True)
        revisions = sorted(c.list("controllerrevisions", "default"), key=lambda r: r["revision"])
        assert [r["revision"] for r in revisions] == [1, 2]
        new_hash = revisions[1]["metadata"]["labels"]["controller-revision-hash"]
        assert all(p["metadata"]["labels"]["controller-revision-hash"] == new_hash for p in pods(c))
        assert all(p["metadata"]["labels"]["pod-template-generation"] == "2" for p in pods(c))
        assert [r for r, _ in ds_events(c)].count("SuccessfulDelete") == 4
        rows = {row[0]: row for row in c.table("controllerrevisions", "default")[1]}
        assert rows[revisions[1]["metadata"]["name"]][1:3] == ["daemonset.apps/fluentd", "2"]


async def test_percentages_round_up_and_max_surge_keeps_old_pods_until_new_ones_are_ready() -> None:
    """update.go updatedDesiredNodeCounts/rollingUpdate with maxSurge: 50% of 4 nodes surges 2 at a time, every
    node keeps an available pod, and an old pod goes once its replacement is available."""
    async with Cluster(nodes=4) as c:
        await c.apply(fluentd(updateStrategy={"type": "RollingUpdate",
                                              "rollingUpdate": {"maxSurge": "50%", "maxUnavailable": 0}}))
        assert await c.run_until(available(4), timeout=60)
        watch = Unavailable(c, 4)
        await c.apply(fluentd("fluent/fluentd:v1.17", updateStrategy={
            "type": "RollingUpdate", "rollingUpdate": {"maxSurge": "50%", "maxUnavailable": 0}}))
        assert await c.run_until(rolled_out, timeout=120)
        assert watch.worst == 0 and watch.most_pods == 6
        progress = c.rollout_progress("fluentd", kind="ds")
        assert (progress.max_surge, progress.surge, progress.max_unavailable, progress.unavailable) == \
            ("50%", 2, "0", 0)


async def test_on_delete_waits_for_pods_to_be_deleted() -> None:
    """daemon_controller.go updateDaemonSet (OnDelete: no rollingUpdate); kubectl's DaemonSetStatusViewer refuses
    OnDelete; gitops-engine health_daemonset.go reports it Healthy with the counts."""
    async with Cluster(nodes=2) as c:
        await c.apply(fluentd(updateStrategy={"type": "OnDelete"}))
        assert await c.run_until(available(2), timeout=60)
        await c.apply(fluentd("fluent/fluentd:v1.17", updateStrategy={"type": "OnDelete"}))
        await c.run_for(30)
        assert status(c).get("updatedNumberScheduled", 0) == 0
        assert c.health("ds", "fluentd") == ("Healthy", "daemon set 0 out of 2 new pods have been updated")
        with pytest.raises(ApiError, match="rollout status is only available for RollingUpdate strategy type"):
            c.rollout_status("fluentd", kind="ds")
        await c.delete("pods", pods(c)[0]["metadata"]["name"])
        assert await c.run_until(lambda c: status(c).get("updatedNumberScheduled") == 1
                                 and status(c).get("numberAvailable") == 2, timeout=60)
        images = sorted(p["spec"]["containers"][0]["image"] for p in pods(c))
        assert images == ["fluent/fluentd:v1.16", "fluent/fluentd:v1.17"]


async def test_rollout_history_undo_restart_and_revision_clean_up() -> None:
    """kubectl polymorphichelpers DaemonSetHistoryViewer/DaemonSetRollbacker/ObjectRestarter and update.go
    constructHistory (a rolled-back revision is renumbered) and cleanupHistory (revisionHistoryLimit)."""
    async with Cluster(nodes=2) as c:
        await c.apply(fluentd(revisionHistoryLimit=1))
        assert await c.run_until(available(2), timeout=60)
        with pytest.raises(ApiError, match="no last revision to roll back to"):
            await c.rollout_undo("fluentd", kind="ds")
        await c.apply(fluentd("fluent/fluentd:v1.17", revisionHistoryLimit=1))
        assert await c.run_until(rolled_out, timeout=120)
        assert c.rollout_history("fluentd", kind="ds") == [(1, "<none>"), (2, "<none>")]
        assert await c.rollout_undo("fluentd", kind="ds") == "daemonset.apps/fluentd rolled back"
        assert await c.run_until(rolled_out, timeout=120)
        assert c.rollout_history("fluentd", kind="ds") == [(2, "<none>"), (3, "<none>")]
        assert {p["spec"]["containers"][0]["image"] for p in pods(c)} == {"fluent/fluentd:v1.16"}
        with pytest.raises(ApiError, match="unable to find specified revision 9 in history"):
            await c.rollout_undo("fluentd", to_revision=9, kind="ds")

        assert await c.rollout_restart("fluentd", kind="ds") == "daemonset.apps/fluentd restarted"
        template = c.get("ds", "fluentd")["spec"]["template"]
        assert "kubectl.kubernetes.io/restartedAt" in template["metadata"]["annotations"]
        assert await c.run_until(rolled_out, timeout=120)
        # Three templates seen, one old revision kept: revision 2 was deleted.
        assert c.rollout_history("fluentd", kind="ds") == [(3, "<none>"), (4, "<none>")]
        revisions = c.rollout_revisions("fluentd", kind="ds")
        assert [(r.revision, r.is_current, r.desired, r.current, r.ready) for r in revisions] == [
            (3, False, 0, 0, 0), (4, True, 2, 2, 2)]
        with pytest.raises(ApiError, match=re.escape('daemonsets.apps "fluentd" pausing is not supported')):
            await c.rollout_pause("fluentd", kind="ds")


async def test_min_ready_seconds_delays_availability() -> None:
    """daemon_controller.go updateDaemonSetStatus: numberAvailable counts pods Ready for minReadySeconds;
    numberUnavailable is the rest; the health waits for them."""
    async with Cluster(nodes=2) as c:
        await c.apply(fluentd(minReadySeconds=30))
        assert await c.run_until(lambda c: status(c).get("numberReady") == 2, timeout=60)
        assert status(c).get("numberAvailable", 0) == 0 and status(c)["numberUnavailable"] == 2
        assert c.health("ds", "fluentd") == ("Progressing", 'Waiting for daemon set "fluentd" rollout to finish: '
                                                            "0 of 2 updated pods are available...")
        assert await c.run_until(available(2), timeout=40)
        assert "numberUnavailable" not in status(c)


async def test_failed_daemon_pods_are_replaced_with_an_event() -> None:
    """daemon_controller.go podsShouldBeOnNode: a Failed daemon pod is deleted (FailedDaemonPod, rate limited by
    failedPodsBackoff) and a new one created on its node."""
    ds = fluentd()
    ds["spec"]["template"]["metadata"]["annotations"] = {"sim.k9py.io/exit-after": "5s"}
    async with Cluster(nodes=1) as c:
        await c.apply(ds)
        assert await c.run_until(available(1), timeout=60)
        first = pods(c)[0]["metadata"]["name"]
        # restartPolicy Always: the kubelet restarts it; the pod never fails. Force a failure through status.
        pod = c.get("pods", first)
        pod["status"]["phase"] = "Failed"
        c.api.update_status(pod)
        assert await c.run_until(lambda c: pods(c) and pods(c)[0]["metadata"]["name"] != first, timeout=60)
        assert ("FailedDaemonPod", f"Found failed daemon pod default/{first} on node node-1, will try to kill it") \
            in ds_events(c)


async def test_validation_and_describe() -> None:
    """apps validation ValidateDaemonSetSpec/ValidateRollingUpdateDaemonSet and kubectl's DaemonSetDescriber."""
    async with Cluster(nodes=1) as c:
        bad = fluentd(updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0}})
        with pytest.raises(ApiError, match=re.escape(
                "spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0")):
            await c.apply(bad)
        bad = fluentd(updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}})
        with pytest.raises(ApiError, match="maxSurge: Invalid value: 1: may not be set when maxUnavailable is "
                                           "non-zero"):
            await c.apply(bad)
        with pytest.raises(ApiError, match=r'spec\.updateStrategy: Unsupported value: .*"Foo".*supported values: '
                                           r'"RollingUpdate", "OnDelete"'):
            await c.apply(fluentd(updateStrategy={"type": "Foo"}))
        await c.apply(FLUENTD)
        assert await c.run_until(available(1), timeout=60)
        text = c.describe("ds", "fluentd")
        assert text.startswith("Name:           fluentd\nSelector:       app=fluentd\nNode-Selector:  <none>\n"
                               "Labels:         app=fluentd\n")
        assert ("Desired Number of Nodes Scheduled: 1\nCurrent Number of Nodes Scheduled: 1\n"
                "Number of Nodes Scheduled with Up-to-date Pods: 1\n"
                "Number of Nodes Scheduled with Available Pods: 1\nNumber of Nodes Misscheduled: 0\n"
                "Pods Status:  1 Running / 0 Waiting / 0 Succeeded / 0 Failed\n") in text
        assert "Type:          HostPath (bare host directory volume)" in text
        assert "daemonset-controller  Created pod: fluentd-" in text
        assert c.kind("ds").kind == "DaemonSet" and c.kind("controllerrevisions").short_names == ()


async def test_deleting_the_daemonset_removes_its_pods_and_revisions() -> None:
    """garbage collector: pods and ControllerRevisions carry the DaemonSet as controller owner."""
    async with Cluster(nodes=2) as c:
        await c.apply(FLUENTD)
        assert await c.run_until(available(2), timeout=60)
        await c.delete("ds", "fluentd")
        assert await c.run_until(lambda c: not c.list("pods", "default")
                                 and not c.list("controllerrevisions", "default"), timeout=120)
