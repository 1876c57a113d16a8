"""StatefulSets on the virtual clock. Names, labels, events, status, revision names, columns, describe and `kubectl
rollout` texts were compared with a real v1.36 control plane (kwok nodes, the real statefulset-controller, static
PersistentVolumes); its controller-manager writes "Create Pod web-0 in StatefulSet web successful" with a capital
verb. Each test names the upstream function it follows (`k/k pkg/controller/statefulset/`)."""

from __future__ import annotations

from typing import Any

import pytest

from engine.cluster import Cluster
from engine.errors import ApiError
from engine.kinds import statefulset as sts_kind

Obj = dict[str, Any]
NS = "default"


def web(replicas: int = 3, **spec: Any) -> Obj:
    """The StatefulSet of the Kubernetes tutorial (its real revision name is web-847b47bbbc)."""
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "web", "namespace": NS},
            "spec": {"serviceName": "nginx", "replicas": replicas, "selector": {"matchLabels": {"app": "nginx"}},
                     "template": {"metadata": {"labels": {"app": "nginx"}},
                                  "spec": {"containers": [{
                                      "name": "nginx", "image": "registry.k8s.io/nginx-slim:0.8",
                                      "ports": [{"containerPort": 80, "name": "web"}],
                                      "volumeMounts": [{"name": "www", "mountPath": "/usr/share/nginx/html"}]}]}},
                     "volumeClaimTemplates": [{"metadata": {"name": "www"}, "spec": {
                         "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}],
                     **spec}}


HEADLESS = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "nginx", "namespace": NS},
            "spec": {"clusterIP": "None", "selector": {"app": "nginx"}, "ports": [{"port": 80, "name": "web"}]}}


def pods(c: Cluster) -> dict[str, Obj]:
    return {p["metadata"]["name"]: p for p in c.api.store.list("pods", NS)
            if (p["metadata"].get("labels") or {}).get("app") == "nginx"}


def ready(pod: Obj | None) -> bool:
    return pod is not None and any(cond.get("type") == "Ready" and cond.get("status") == "True"
                                   for cond in (pod.get("status") or {}).get("conditions") or ())


def all_ready(c: Cluster, count: int) -> bool:
    found = pods(c)
    return len(found) == count and all(ready(p) and not p["metadata"].get("deletionTimestamp")
                                       for p in found.values())


def set_events(c: Cluster) -> list[tuple[str, str, int]]:
    sts = c.get("sts", "web", NS)
    return [(e["reason"], e["message"], e.get("count", 1)) for e in c.events(NS, involved=sts)
            if e["source"].get("component") == "statefulset-controller"]


def status(c: Cluster) -> Obj:
    return dict((c.get("sts", "web", NS) or {}).get("status") or {})


async def start(c: Cluster, replicas: int = 3, **spec: Any) -> None:
    c.api.create(dict(HEADLESS))
    c.api.create(web(replicas, **spec))
    assert await c.run_until(lambda c: all_ready(c, replicas) and status(c).get("readyReplicas") == replicas,
                             timeout=120)


async def test_ordered_ready_starts_one_pod_at_a_time_with_its_claim() -> None:
    """stateful_set_control.go updateStatefulSet/processReplica (monotonic: each pod Running and Ready before the
    next), stateful_pod_control.go CreateStatefulPod (the claims first) and recordPodEvent/recordClaimEvent,
    stateful_set_utils.go newStatefulSetPod (identity, storage, revision label)."""
    async with Cluster(nodes=3) as c:
        c.api.create(dict(HEADLESS))
        c.api.create(web())
        seen: list[tuple[str, ...]] = []

        def order(c: Cluster) -> bool:
            found = pods(c)
            names = tuple(sorted(found))
            if not seen or seen[-1] != names:
                seen.append(names)
                # A new ordinal appears only once every lower one is Ready.
                for name in names:
                    number = int(name.rsplit("-", 1)[1])
                    assert all(ready(found.get(f"web-{i}")) for i in range(number)) or name in seen[0]
            return all_ready(c, 3)

        assert await c.run_until(order, timeout=120)
        assert seen == [("web-0",), ("web-0", "web-1"), ("web-0", "web-1", "web-2")]
        assert set_events(c) == [
            ("SuccessfulCreate", "Create Claim www-web-0 Pod web-0 in StatefulSet web success", 1),
            ("SuccessfulCreate", "Create Pod web-0 in StatefulSet web successful", 1),
            ("SuccessfulCreate", "Create Claim www-web-1 Pod web-1 in StatefulSet web success", 1),
            ("SuccessfulCreate", "Create Pod web-1 in StatefulSet web successful", 1),
            ("SuccessfulCreate", "Create Claim www-web-2 Pod web-2 in StatefulSet web success", 1),
            ("SuccessfulCreate", "Create Pod web-2 in StatefulSet web successful", 1),
        ]
        pod = c.get("pod", "web-1", NS)
        assert pod["metadata"]["labels"] == {"app": "nginx", "apps.kubernetes.io/pod-index": "1",
                                             "controller-revision-hash": "web-847b47bbbc",
                                             "statefulset.kubernetes.io/pod-name": "web-1"}
        assert pod["metadata"]["generateName"] == "web-"
        assert (pod["spec"]["hostname"], pod["spec"]["subdomain"]) == ("web-1", "nginx")
        assert {"name": "www", "persistentVolumeClaim": {"claimName": "www-web-1"}} in pod["spec"]["volumes"]
        claim = c.get("pvc", "www-web-1", NS)
        assert claim["metadata"]["labels"] == {"app": "nginx"}
        assert "ownerReferences" not in claim["metadata"]  # Retain/Retain: nobody owns the claims
        assert claim["status"]["phase"] == "Bound"
        await c.run_for(1)
        assert status(c) == {"observedGeneration": 1, "replicas": 3, "readyReplicas": 3, "availableReplicas": 3,
                             "currentReplicas": 3, "updatedReplicas": 3, "currentRevision": "web-847b47bbbc",
                             "updateRevision": "web-847b47bbbc", "collisionCount": 0}
        revision = c.get("controllerrevisions", "web-847b47bbbc", NS)
        assert revision["metadata"]["labels"] == {"app": "nginx", "controller.kubernetes.io/hash": "847b47bbbc"}
        assert revision["revision"] == 1
        header, rows = c.table("sts", NS)
        assert header == ["NAME", "READY", "AGE"] and rows[0][:2] == ["web", "3/3"]
        header, rows = c.table("sts", NS, wide=True)
        assert header == ["NAME", "READY", "AGE", "CONTAINERS", "IMAGES"]
        assert rows[0][3:] == ["nginx", "registry.k8s.io/nginx-slim:0.8"]
        assert c.rollout_status("web", NS, "StatefulSet") == (
            "partitioned roll out complete: 3 new pods have been updated...", True)
        assert c.rollout_history("web", NS, "StatefulSet") == [(1, "<none>")]


async def test_a_deleted_pod_comes_back_with_its_claim() -> None:
    """processReplica creates the missing ordinal again; createPersistentVolumeClaims finds the claim and reuses
    it, so the new web-1 mounts the same volume (the real event's count goes to 2)."""
    async with Cluster(nodes=3) as c:
        await start(c)
        volume = c.get("pvc", "www-web-1", NS)["spec"]["volumeName"]
        old_uid = c.get("pod", "web-1", NS)["metadata"]["uid"]
        c.api.delete("pods", "web-1", NS)
        assert await c.run_until(lambda c: (p := c.get("pod", "web-1", NS)) is not None
                                 and p["metadata"]["uid"] != old_uid and ready(p), timeout=120)
        assert c.get("pvc", "www-web-1", NS)["spec"]["volumeName"] == volume
        assert ("SuccessfulCreate", "Create Pod web-1 in StatefulSet web successful", 2) in set_events(c)
        assert [m for _, m, _ in set_events(c)].count("Create Claim www-web-1 Pod web-1 in StatefulSet web success") \
            == 1


async def test_scale_down_goes_in_reverse_one_at_a_time_and_keeps_claims() -> None:
    """processCondemned (monotonic): the highest ordinal first, waiting for each to be gone; whenScaled Retain
    keeps the claims."""
    async with Cluster(nodes=3) as c:
        await start(c)
        await c.scale("sts", "web", 1, NS)
        order: list[str] = []

        def watch(c: Cluster) -> bool:
            for name, pod in pods(c).items():
                if pod["metadata"].get("deletionTimestamp") and name not in order:
                    order.append(name)
            terminating = [n for n, p in pods(c).items() if p["metadata"].get("deletionTimestamp")]
            assert len(terminating) <= 1
            return sorted(pods(c)) == ["web-0"]

        assert await c.run_until(watch, timeout=200)
        assert order == ["web-2", "web-1"]
        deletes = [m for r, m, _ in set_events(c) if r == "SuccessfulDelete"]
        assert deletes == ["Delete Pod web-2 in StatefulSet web successful",
                           "Delete Pod web-1 in StatefulSet web successful"]
        assert {c.get("pvc", f"www-web-{i}", NS)["status"]["phase"] for i in range(3)} == {"Bound"}
        # Scaling up again re-attaches the retained claims.
        await c.scale("sts", "web", 3, NS)
        assert await c.run_until(lambda c: all_ready(c, 3), timeout=200)
        assert [m for _, m, _ in set_events(c)].count("Create Claim www-web-2 Pod web-2 in StatefulSet web success") \
            == 1


async def test_parallel_creates_every_pod_at_once() -> None:
    """allowsBurst: Parallel pod management does not wait for predecessors."""
    async with Cluster(nodes=3) as c:
        c.api.create(dict(HEADLESS))
        c.api.create(web(podManagementPolicy="Parallel"))
        await c.run_for(0.5)
        assert sorted(pods(c)) == ["web-0", "web-1", "web-2"]
        assert not any(ready(p) for p in pods(c).values())


async def test_rolling_update_in_reverse_order_with_a_partition_then_undo() -> None:
    """updateStatefulSet's rolling update: the highest ordinal not at the update revision is deleted, down to the
    partition; newVersionedStatefulSetPod recreates ordinals below the partition at the current revision.
    kubectl's StatefulSetStatusViewer, StatefulSetHistoryViewer and StatefulSetRollbacker (a rollback renumbers the
    old revision: getStatefulSetRevisions)."""
    async with Cluster(nodes=3) as c:
        await start(c, updateStrategy={"rollingUpdate": {"partition": 2}})
        sts = c.get("sts", "web", NS)
        sts["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.25"
        c.api.update(sts)
        assert await c.run_until(lambda c: status(c).get("updatedReplicas") == 1 and all_ready(c, 3), timeout=120)
        await c.run_for(1)
        revisions = {p["metadata"]["name"]: p["metadata"]["labels"]["controller-revision-hash"]
                     for p in pods(c).values()}
        assert revisions == {"web-0": "web-847b47bbbc", "web-1": "web-847b47bbbc", "web-2": "web-7649495d95"}
        assert status(c)["currentReplicas"] == 2 and status(c)["currentRevision"] == "web-847b47bbbc"
        assert c.rollout_status("web", NS, "StatefulSet") == (
            "partitioned roll out complete: 1 new pods have been updated...", True)
        assert sts_kind.statefulset_health(c.get("sts", "web", NS)).status == "Healthy"
        # Lowering the partition rolls web-1, then web-0.
        deleted: list[str] = []
        c.api.patch("statefulsets", "web", NS, {"spec": {"updateStrategy": {"rollingUpdate": {"partition": 0}}}})

        def watch(c: Cluster) -> bool:
            for name, pod in pods(c).items():
                if pod["metadata"].get("deletionTimestamp") and name not in deleted:
                    deleted.append(name)
            return status(c).get("currentRevision") == "web-7649495d95" and all_ready(c, 3)

        assert await c.run_until(watch, timeout=200)
        assert deleted == ["web-1", "web-0"]
        assert status(c)["updateRevision"] == "web-7649495d95"
        assert c.rollout_history("web", NS, "StatefulSet") == [(1, "<none>"), (2, "<none>")]
        assert await c.rollout_undo("web", NS, kind="StatefulSet") == "statefulset.apps/web rolled back"
        assert await c.run_until(lambda c: status(c).get("currentRevision") == "web-847b47bbbc"
                                 and all_ready(c, 3), timeout=200)
        assert c.rollout_history("web", NS, "StatefulSet") == [(2, "<none>"), (3, "<none>")]
        assert await c.rollout_undo("web", NS, 3, kind="StatefulSet") == "statefulset.apps/web rolled back"
        assert await c.rollout_restart("web", NS, kind="StatefulSet") == "statefulset.apps/web restarted"
        with pytest.raises(ApiError) as caught:
            await c.rollout_pause("web", NS, kind="StatefulSet")
        assert caught.value.message == 'statefulsets.apps "web" pausing is not supported'
        await c.run_for(1)
        revisions_info = c.rollout_revisions("web", NS, "StatefulSet")
        assert [r.revision for r in revisions_info][-1] == 4 and revisions_info[-1].is_current


async def test_on_delete_replaces_only_deleted_pods() -> None:
    """OnDelete: updateStatefulSet returns before the rolling update; a deleted pod comes back at the update
    revision (newVersionedStatefulSetPod without a rollingUpdate block). Argo CD calls it Healthy with a count;
    kubectl refuses `rollout status`."""
    async with Cluster(nodes=3) as c:
        await start(c, updateStrategy={"type": "OnDelete"})
        sts = c.get("sts", "web", NS)
        assert "rollingUpdate" not in sts["spec"]["updateStrategy"]
        sts["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.25"
        c.api.update(sts)
        await c.run_for(30)
        assert {p["metadata"]["labels"]["controller-revision-hash"] for p in pods(c).values()} == {"web-847b47bbbc"}
        assert sts_kind.statefulset_health(c.get("sts", "web", NS)) == sts_kind.Health(
            "Healthy", "statefulset has 3 ready pods")
        problems = c.api.registry.by_kind("StatefulSet").problems(c.get("sts", "web", NS))
        assert problems and problems[0][0] == "OnDelete"
        with pytest.raises(ApiError) as caught:
            c.rollout_status("web", NS, "StatefulSet")
        assert caught.value.message == "rollout status is only available for RollingUpdate strategy type"
        c.api.delete("pods", "web-0", NS)
        assert await c.run_until(lambda c: (p := c.get("pod", "web-0", NS)) is not None and ready(p)
                                 and p["metadata"]["labels"]["controller-revision-hash"] == "web-7649495d95",
                                 timeout=120)
        assert status(c)["updatedReplicas"] == 1


async def test_retention_policy_delete_owns_claims() -> None:
    """stateful_set_utils.go isClaimOwnerUpToDate / updateClaimOwnerRefForSetAndPod: whenDeleted Delete makes the
    set the claims' controller; whenScaled Delete hands a condemned pod's claim to the pod, so the garbage
    collector removes it once the pod is gone; deleting the set removes the rest."""
    async with Cluster(nodes=3) as c:
        await start(c, persistentVolumeClaimRetentionPolicy={"whenDeleted": "Delete", "whenScaled": "Delete"})
        sts = c.get("sts", "web", NS)
        refs = c.get("pvc", "www-web-0", NS)["metadata"]["ownerReferences"]
        assert refs == [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web",
                         "uid": sts["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}]
        await c.scale("sts", "web", 2, NS)
        assert await c.run_until(lambda c: c.get("pvc", "www-web-2", NS) is None, timeout=200)
        assert c.get("pvc", "www-web-1", NS) is not None
        c.api.delete("statefulsets", "web", NS)
        assert await c.run_until(lambda c: not c.api.store.list("persistentvolumeclaims", NS), timeout=300)


async def test_min_ready_seconds_holds_the_next_pod() -> None:
    """processReplica's isRunningAndAvailable wait and the availableReplicas count (minReadySeconds)."""
    async with Cluster(nodes=3) as c:
        c.api.create(dict(HEADLESS))
        c.api.create(web(2, minReadySeconds=20))
        assert await c.run_until(lambda c: ready(c.get("pod", "web-0", NS)), timeout=60)
        since = c.clock.now()
        assert await c.run_until(lambda c: c.get("pod", "web-1", NS) is not None, timeout=120)
        assert c.clock.now() - since >= 19
        assert await c.run_until(lambda c: status(c).get("availableReplicas") == 2, timeout=120)


async def test_max_unavailable_when_the_gate_is_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """updateStatefulSetAfterInvariantEstablished (MaxUnavailableStatefulSet, off by default in v1.36, whose API
    server drops the field): maxUnavailable 2 replaces two pods at a time, highest ordinals first."""
    monkeypatch.setattr(sts_kind, "MAX_UNAVAILABLE_STATEFULSET", True)
    async with Cluster(nodes=3) as c:
        await start(c, replicas=4, updateStrategy={"rollingUpdate": {"maxUnavailable": 2}})
        sts = c.get("sts", "web", NS)
        assert sts["spec"]["updateStrategy"]["rollingUpdate"] == {"maxUnavailable": 2, "partition": 0}
        sts["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.25"
        c.api.update(sts)
        await c.run_for(0.2)
        assert sorted(n for n, p in pods(c).items() if p["metadata"].get("deletionTimestamp")) == ["web-2", "web-3"]


async def test_max_unavailable_is_dropped_by_default() -> None:
    """dropStatefulSetDisabledFields: a v1.36 API server forgets rollingUpdate.maxUnavailable."""
    async with Cluster(nodes=1) as c:
        created = c.api.create(web(updateStrategy={"rollingUpdate": {"maxUnavailable": 2}}))
        assert created["spec"]["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
        assert created["spec"]["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain",
                                                                          "whenScaled": "Retain"}
        assert created["spec"]["podManagementPolicy"] == "OrderedReady"
        assert created["spec"]["volumeClaimTemplates"][0]["spec"]["volumeMode"] == "Filesystem"
        assert created["spec"]["volumeClaimTemplates"][0]["status"] == {"phase": "Pending"}


def _errors(obj: Obj, old: Obj | None = None) -> list[str]:
    from engine.kinds import REGISTRY

    info = REGISTRY.by_kind("StatefulSet")
    assert info is not None
    copy = __import__("copy").deepcopy(obj)
    info.default(copy)
    return [f"{path}: {message}" for path, message in info.validate(copy, old)]


def test_validation_messages_as_a_real_api_server() -> None:
    """ValidateStatefulSetSpec / ValidateStatefulSetUpdate (messages copied from a v1.36 API server)."""
    bad = web()
    bad["spec"].update(podManagementPolicy="Foo", replicas=-1,
                       updateStrategy={"type": "OnDelete", "rollingUpdate": {"partition": 1}},
                       persistentVolumeClaimRetentionPolicy={"whenDeleted": "Keep"})
    bad["spec"]["template"]["metadata"]["labels"] = {"app": "yy"}
    bad["spec"]["template"]["spec"]["restartPolicy"] = "Never"
    assert _errors(bad) == [
        "spec.podManagementPolicy: Invalid value: \"Foo\": must be 'OrderedReady' or 'Parallel'",
        'spec.updateStrategy.rollingUpdate: Invalid value: {"Partition":1,"MaxUnavailable":null}: only allowed '
        "for updateStrategy 'RollingUpdate'",
        'spec.persistentVolumeClaimRetentionPolicy.whenDeleted: Unsupported value: "Keep": supported values: '
        '"Retain", "Delete"',
        "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
        'spec.template.metadata.labels: Invalid value: {"app":"yy"}: `selector` does not match template `labels`',
        'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ]
    bad["spec"]["updateStrategy"] = {"type": "Foo"}
    assert _errors(bad)[1] == ("spec.updateStrategy: Invalid value: {\"Type\":\"Foo\",\"RollingUpdate\":null}: "
                               "must be 'RollingUpdate' or 'OnDelete'")
    partition = web()
    partition["spec"]["updateStrategy"] = {"rollingUpdate": {"partition": -1}}
    assert _errors(partition) == [
        "spec.updateStrategy.rollingUpdate.partition: Invalid value: -1: must be greater than or equal to 0"]
    old = web()
    sts_kind.STATEFULSET.default(old)
    changed = __import__("copy").deepcopy(old)
    changed["spec"]["serviceName"] = "other"
    assert _errors(changed, old) == [
        "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
        "'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' "
        "are forbidden"]


async def test_describe_statefulset() -> None:
    """kubectl's StatefulSetDescriber and describeVolumeClaimTemplates, as a real cluster printed them."""
    async with Cluster(nodes=3) as c:
        await start(c)
        text = c.describe("sts", "web", NS)
        lines = text.splitlines()
        assert lines[:10] == [
            "Name:               web",
            "Namespace:          default",
            lines[2],
            "Selector:           app=nginx",
            "Labels:             <none>",
            "Annotations:        <none>",
            "Replicas:           3 desired | 3 total",
            "Update Strategy:    RollingUpdate",
            "  Partition:        0",
            "Pods Status:        3 Running / 0 Waiting / 0 Succeeded / 0 Failed",
        ]
        claims = lines[lines.index("Volume Claims:"):lines.index("Events:")]
        assert claims == ["Volume Claims:", "  Name:          www", "  StorageClass:  ", "  Labels:        <none>",
                          "  Annotations:   <none>", "  Capacity:      1Gi", "  Access Modes:  [ReadWriteOnce]"]
        assert "Create Claim www-web-0 Pod web-0 in StatefulSet web success" in text
