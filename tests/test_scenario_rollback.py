"""Scenario: `kubectl rollout` undo/restart/pause/resume, revision history and the progress deadline (§1)."""

from __future__ import annotations

from typing import Any

import manifests
import pytest

from engine.cluster import Cluster
from engine.errors import ApiError

Obj = dict[str, Any]

REVISION = "deployment.kubernetes.io/revision"
HISTORY = "deployment.kubernetes.io/revision-history"


def deployment(image: str, replicas: int = 2, annotations: dict[str, str] | None = None,
               cause: str | None = None, **spec: Any) -> Obj:
    return manifests.deployment("web", image, replicas=replicas, cause=cause, pod_annotations=annotations or {},
                                **spec)


def done(c: Cluster) -> bool:
    return c.rollout_status("web")[1]


def image_of(obj: Obj) -> str:
    spec = obj["spec"]["template"]["spec"] if obj.get("kind") != "Pod" else obj["spec"]
    return spec["containers"][0]["image"]


def rs_by_image(c: Cluster) -> dict[str, Obj]:
    return {image_of(rs): rs for rs in c.list("rs", "default")}


def progressing(c: Cluster) -> Obj:
    d = c.get("deploy", "web")
    return next(cond for cond in d["status"]["conditions"] if cond["type"] == "Progressing")


async def test_undo_creates_a_new_revision_from_the_previous_template() -> None:
    async with Cluster(nodes=3) as c:
        await c.apply(deployment("nginx:1.25", cause="v1"))
        assert await c.run_until(done, timeout=60)
        await c.apply(deployment("nginx:1.26", cause="v2"))
        assert await c.run_until(done, timeout=60)
        assert c.rollout_history("web") == [(1, "v1"), (2, "v2")]
        assert c.get("deploy", "web")["metadata"]["annotations"][REVISION] == "2"

        assert await c.rollout_undo("web") == "deployment.apps/web rolled back"
        d = c.get("deploy", "web")
        assert image_of(d) == "nginx:1.25"
        assert "pod-template-hash" not in d["spec"]["template"]["metadata"]["labels"]
        # kubectl copies the target RS's own annotations (its change-cause) onto the Deployment.
        assert d["metadata"]["annotations"]["kubernetes.io/change-cause"] == "v1"
        assert await c.run_until(done, timeout=60)
        rss = rs_by_image(c)
        assert len(rss) == 2  # the old RS is reused, not recreated
        assert rss["nginx:1.25"]["metadata"]["annotations"][REVISION] == "3"
        assert rss["nginx:1.25"]["metadata"]["annotations"][HISTORY] == "1"
        assert rss["nginx:1.25"]["spec"]["replicas"] == 2
        assert rss["nginx:1.26"]["spec"]["replicas"] == 0
        assert c.get("deploy", "web")["metadata"]["annotations"][REVISION] == "3"
        assert c.rollout_history("web") == [(2, "v2"), (3, "v1")]

        # Undo again flips back to revision 2's template as revision 4.
        assert await c.rollout_undo("web") == "deployment.apps/web rolled back"
        assert await c.run_until(done, timeout=60)
        rss = rs_by_image(c)
        assert rss["nginx:1.26"]["metadata"]["annotations"][REVISION] == "4"
        assert rss["nginx:1.26"]["metadata"]["annotations"][HISTORY] == "2"
        assert c.rollout_history("web") == [(3, "v1"), (4, "v2")]

        # Revision 4's RS carries history "2"; rolling back to 3 makes it 5 with history "1,3".
        assert await c.rollout_undo("web", to_revision=3) == "deployment.apps/web rolled back"
        assert await c.run_until(done, timeout=60)
        assert rs_by_image(c)["nginx:1.25"]["metadata"]["annotations"][HISTORY] == "1,3"


async def test_undo_errors_and_skips() -> None:
    async with Cluster(nodes=3) as c:
        await c.apply(deployment("nginx:1.25"))
        assert await c.run_until(done, timeout=60)
        with pytest.raises(ApiError) as err:
            await c.rollout_undo("web")
        assert err.value.message == 'no rollout history found for deployment "web"'
        await c.apply(deployment("nginx:1.26"))
        assert await c.run_until(done, timeout=60)
        with pytest.raises(ApiError) as err:
            await c.rollout_undo("web", to_revision=7)
        assert err.value.message == "unable to find specified revision 7 in history"
        assert await c.rollout_undo("web", to_revision=2) == (
            "deployment.apps/web skipped rollback (current template already matches revision 2)")
        assert await c.rollout_pause("web") == "deployment.apps/web paused"
        with pytest.raises(ApiError) as err:
            await c.rollout_undo("web")
        assert err.value.message == ("you cannot rollback a paused deployment; resume it first with "
                                     "'kubectl rollout resume' and try again")
        # kubectl looks the revision up before it checks for pause.
        with pytest.raises(ApiError) as err:
            await c.rollout_undo("web", to_revision=9)
        assert err.value.message == "unable to find specified revision 9 in history"
        with pytest.raises(ApiError) as err:
            await c.rollout_pause("web")
        assert err.value.message == 'deployments.apps "web" is already paused'
        with pytest.raises(ApiError) as err:
            await c.rollout_restart("web")
        assert err.value.message == 'deployments.apps "web" can\'t restart paused deployment (run rollout resume first)'
        assert await c.rollout_resume("web") == "deployment.apps/web resumed"
        with pytest.raises(ApiError) as err:
            await c.rollout_resume("web")
        assert err.value.message == 'deployments.apps "web" is not paused'


async def test_restart_rolls_out_a_new_replica_set() -> None:
    async with Cluster(nodes=3) as c:
        await c.apply(deployment("nginx:1.25", replicas=3))
        assert await c.run_until(done, timeout=60)
        old_pods = {p["metadata"]["name"] for p in c.list("pods", "default")}
        assert await c.rollout_restart("web") == "deployment.apps/web restarted"
        d = c.get("deploy", "web")
        stamp = d["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"]
        assert stamp.endswith("Z") and "T" in stamp
        assert await c.run_until(done, timeout=60)
        rss = c.list("rs", "default")
        assert len(rss) == 2
        new_rs = next(rs for rs in rss if rs["spec"]["replicas"] == 3)
        assert new_rs["metadata"]["annotations"][REVISION] == "2"
        await c.run_for(5)  # the old pods finish terminating
        pods = c.list("pods", "default")
        assert len(pods) == 3 and not old_pods & {p["metadata"]["name"] for p in pods}
        assert all(p["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"] == stamp for p in pods)


async def test_pause_and_resume() -> None:
    async with Cluster(nodes=3) as c:
        await c.apply(deployment("nginx:1.25", replicas=3))
        assert await c.run_until(done, timeout=60)
        await c.rollout_pause("web")
        await c.run_for(1)
        cond = progressing(c)
        assert (cond["status"], cond["reason"], cond["message"]) == ("Unknown", "DeploymentPaused",
                                                                     "Deployment is paused")
        assert c.health("deploy", "web") == ("Suspended", "Deployment is paused")
        # Template edits while paused start nothing; scaling still works.
        await c.apply(deployment("nginx:1.26", replicas=3))
        await c.scale("deploy", "web", 4)
        await c.run_for(30)
        assert len(c.list("rs", "default")) == 1
        assert {image_of(p) for p in c.list("pods", "default")} == {"nginx:1.25"}
        assert len(c.list("pods", "default")) == 4
        d = c.get("deploy", "web")
        assert d["status"]["observedGeneration"] == d["metadata"]["generation"]
        assert d["status"].get("updatedReplicas", 0) == 0
        await c.rollout_resume("web")
        c.settle()
        cond = progressing(c)
        assert cond["reason"] in ("DeploymentResumed", "NewReplicaSetCreated", "ReplicaSetUpdated")
        assert await c.run_until(done, timeout=120)
        await c.run_for(5)  # the old pods finish terminating
        assert {image_of(p) for p in c.list("pods", "default")} == {"nginx:1.26"}
        assert len(c.list("pods", "default")) == 4
        reasons = [e["reason"] for e in c.events("default") if e["involvedObject"]["kind"] == "Deployment"]
        assert "ScalingReplicaSet" in reasons
        assert progressing(c)["reason"] == "NewReplicaSetAvailable"


async def test_paused_condition_is_resumed_then_progresses() -> None:
    async with Cluster(nodes=3) as c:
        await c.apply(deployment("nginx:1.25", replicas=1))
        assert await c.run_until(done, timeout=60)
        await c.rollout_pause("web")
        c.settle()
        await c.rollout_resume("web")
        c.settle()
        cond = progressing(c)
        # Nothing changed while paused: resumed, then immediately complete again.
        assert cond["status"] in ("Unknown", "True")
        assert cond["reason"] in ("DeploymentResumed", "NewReplicaSetAvailable")
        await c.run_for(5)
        assert progressing(c)["reason"] == "NewReplicaSetAvailable"


async def test_revision_history_limit_cleans_up_old_replica_sets() -> None:
    async with Cluster(nodes=3) as c:
        for i in range(6):  # the initial version and 5 updates
            await c.apply(deployment(f"nginx:1.{20 + i}", replicas=1, revisionHistoryLimit=2))
            assert await c.run_until(done, timeout=60)
            await c.run_for(1)
        rss = c.list("rs", "default")
        revisions = sorted(int(rs["metadata"]["annotations"][REVISION]) for rs in rss)
        assert revisions == [4, 5, 6]  # the current RS plus 2 old ones
        assert [r for r, _ in c.rollout_history("web")] == [4, 5, 6]
        with pytest.raises(ApiError) as err:
            await c.rollout_undo("web", to_revision=2)
        assert err.value.message == "unable to find specified revision 2 in history"


async def test_revision_history_limit_zero() -> None:
    async with Cluster(nodes=3) as c:
        await c.apply(deployment("nginx:1.25", replicas=1, revisionHistoryLimit=0))
        assert await c.run_until(done, timeout=60)
        await c.apply(deployment("nginx:1.26", replicas=1, revisionHistoryLimit=0))
        assert await c.run_until(done, timeout=60)
        await c.run_for(5)
        assert [image_of(rs) for rs in c.list("rs", "default")] == ["nginx:1.26"]


async def test_progress_deadline_exceeded() -> None:
    async with Cluster(nodes=3) as c:
        await c.apply(deployment("nginx:1.25", replicas=2, progressDeadlineSeconds=60))
        assert await c.run_until(done, timeout=60)
        start = c.now()
        await c.apply(deployment("nginx:broken", replicas=2, progressDeadlineSeconds=60,
                                 annotations={"sim.k9py.io/image-pull": "fail"}))
        await c.run_for(30)
        cond = progressing(c)
        assert (cond["status"], cond["reason"]) == ("True", "ReplicaSetUpdated")
        new_rs = rs_by_image(c)["nginx:broken"]["metadata"]["name"]
        assert cond["message"] == f'ReplicaSet "{new_rs}" is progressing.'
        assert c.health("deploy", "web")[0] == "Progressing"
        assert await c.run_until(lambda c: progressing(c)["status"] == "False", timeout=120)
        # lastUpdateTime + 60 s < now, checked by a requeue one second after the deadline.
        assert 60 < c.now() - start <= 63
        cond = progressing(c)
        assert cond["reason"] == "ProgressDeadlineExceeded"
        assert cond["message"] == f'ReplicaSet "{new_rs}" has timed out progressing.'
        assert c.health("deploy", "web") == ("Degraded", 'Deployment "web" exceeded its progress deadline')
        with pytest.raises(ApiError) as err:
            c.rollout_status("web")
        assert err.value.message == 'deployment "web" exceeded its progress deadline'
        # There is no automatic rollback: the old pods keep serving (2 replicas: surge 1, unavailable 0).
        await c.run_for(120)
        assert rs_by_image(c)["nginx:1.25"]["spec"]["replicas"] == 2
        assert rs_by_image(c)["nginx:broken"]["spec"]["replicas"] == 1
        avail = next(cond for cond in c.get("deploy", "web")["status"]["conditions"] if cond["type"] == "Available")
        assert avail["status"] == "True"
        assert progressing(c)["reason"] == "ProgressDeadlineExceeded"

        # Undo recovers: the deployment progresses again and completes.
        assert await c.rollout_undo("web") == "deployment.apps/web rolled back"
        assert await c.run_until(done, timeout=120)
        assert progressing(c)["reason"] == "NewReplicaSetAvailable"
        assert c.health("deploy", "web") == ("Healthy", "")
