"""Scenario: what the dashboard's rollout panel reads (`rollout_revisions`, `rollout_progress`), on a virtual clock."""

from __future__ import annotations

from typing import Any

import manifests
import pytest

from engine.cluster import Cluster
from engine.errors import ApiError
from engine.printers.duration import timestamp

Obj = dict[str, Any]


def deployment(image: str, replicas: int = 3, cause: str | None = None, sidecar: str | None = None,
               **spec: Any) -> Obj:
    containers = [{"name": "app", "image": image}]
    if sidecar:
        containers.append({"name": "proxy", "image": sidecar})
    return manifests.deployment("web", replicas=replicas, cause=cause, containers=containers, **spec)


def done(c: Cluster) -> bool:
    return c.rollout_status("web")[1]


async def three_revisions(c: Cluster) -> None:
    for image, cause in (("nginx:1.25", "initial"), ("nginx:1.26", "bump to 1.26"), ("nginx:1.27", None)):
        await c.apply(deployment(image, cause=cause))
        assert await c.run_until(done, timeout=120)
        await c.run_for(10)  # distinct creation times, and the old pods finish terminating


async def test_revisions_list_each_replica_set_oldest_first() -> None:
    async with Cluster(nodes=3) as c:
        await three_revisions(c)
        revisions = c.rollout_revisions("web")
        assert [r.revision for r in revisions] == [1, 2, 3]
        # Revision 3's manifest dropped the annotation, so apply removed it from the Deployment too.
        assert [r.change_cause for r in revisions] == ["initial", "bump to 1.26", "<none>"]
        assert [r.images for r in revisions] == [("nginx:1.25",), ("nginx:1.26",), ("nginx:1.27",)]
        assert [r.is_current for r in revisions] == [False, False, True]
        assert [(r.desired, r.current, r.ready) for r in revisions] == [(0, 0, 0), (0, 0, 0), (3, 3, 3)]
        names = {rs["metadata"]["name"]: rs for rs in c.list("rs", "default")}
        assert {r.replica_set for r in revisions} == set(names)
        for r in revisions:
            assert r.created == names[r.replica_set]["metadata"]["creationTimestamp"]
        created = [timestamp(r.created) for r in revisions]
        assert created == sorted(created) and len(set(created)) == 3
        # The history kubectl prints is the same list, revisions and causes only.
        assert c.rollout_history("web") == [(r.revision, r.change_cause) for r in revisions]


async def test_a_revision_without_change_cause_reads_none_and_lists_every_image() -> None:
    async with Cluster(nodes=3) as c:
        await c.apply(deployment("nginx:1.25", replicas=1, sidecar="envoy:1.30"))
        assert await c.run_until(done, timeout=60)
        [only] = c.rollout_revisions("web")
        assert (only.revision, only.change_cause, only.images) == (1, "<none>", ("nginx:1.25", "envoy:1.30"))
        assert only.is_current


async def test_rollback_moves_the_target_to_a_new_revision_that_becomes_current() -> None:
    async with Cluster(nodes=3) as c:
        await three_revisions(c)
        assert await c.rollout_undo("web", to_revision=1) == "deployment.apps/web rolled back"
        c.settle()
        revisions = c.rollout_revisions("web")
        assert [r.revision for r in revisions] == [2, 3, 4]
        newest = revisions[-1]
        assert (newest.images, newest.change_cause, newest.is_current) == (("nginx:1.25",), "initial", True)
        assert await c.run_until(done, timeout=120)
        assert c.rollout_progress("web").revision == 4
        assert await c.rollout_undo("web", to_revision=4) == (
            "deployment.apps/web skipped rollback (current template already matches revision 4)")


async def test_progress_counts_a_rolling_update_until_it_completes() -> None:
    async with Cluster(nodes=3) as c:
        rolling = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
        await c.apply(deployment("nginx:1.25", strategy=rolling))
        assert await c.run_until(done, timeout=120)
        settled = c.rollout_progress("web")
        assert (settled.revision, settled.desired, settled.updated, settled.ready, settled.available) == (1, 3, 3, 3, 3)
        assert (settled.replicas, settled.old, settled.paused, settled.observed) == (3, 0, False, True)
        assert (settled.strategy, settled.max_surge, settled.max_unavailable) == ("RollingUpdate", "1", "0")
        assert (settled.surge, settled.unavailable) == (1, 0)

        await c.apply(deployment("nginx:1.26", strategy=rolling))
        assert not c.rollout_progress("web").observed  # the controller has not seen the new template yet
        c.settle()
        seen: list[tuple[int, int, int]] = []

        def record(c: Cluster) -> bool:
            p = c.rollout_progress("web")
            seen.append((p.updated, p.available, p.old))
            return done(c)

        assert await c.run_until(record, timeout=120)
        # One surge pod at a time: never fewer than 3 available, old pods leave as new ones become available.
        assert all(available >= 3 for _, available, _ in seen)
        assert any(0 < updated < 3 and old > 0 for updated, _, old in seen)
        final = c.rollout_progress("web")
        assert (final.revision, final.updated, final.available, final.old) == (2, 3, 3, 0)


async def test_progress_reports_default_parameters_and_pause() -> None:
    async with Cluster(nodes=3) as c:
        await c.apply(deployment("nginx:1.25", replicas=4))
        assert await c.run_until(done, timeout=60)
        p = c.rollout_progress("web")
        # apps/v1 defaults: 25% of 4 is one pod either way.
        assert (p.strategy, p.max_surge, p.max_unavailable, p.surge, p.unavailable) == (
            "RollingUpdate", "25%", "25%", 1, 1)
        await c.rollout_pause("web")
        c.settle()
        assert c.rollout_progress("web").paused


async def test_progress_of_a_recreate_deployment_has_no_surge() -> None:
    async with Cluster(nodes=3) as c:
        await c.apply(deployment("nginx:1.25", replicas=4, strategy={"type": "Recreate"}))
        assert await c.run_until(done, timeout=60)
        p = c.rollout_progress("web")
        assert (p.strategy, p.max_surge, p.max_unavailable, p.surge, p.unavailable) == ("Recreate", "", "", 0, 0)


async def test_a_paused_template_change_has_no_current_revision_yet() -> None:
    async with Cluster(nodes=3) as c:
        await c.apply(deployment("nginx:1.25"))
        assert await c.run_until(done, timeout=60)
        await c.rollout_pause("web")
        await c.apply(deployment("nginx:1.26"))
        await c.run_for(5)
        assert [(r.revision, r.is_current) for r in c.rollout_revisions("web")] == [(1, False)]
        await c.rollout_resume("web")
        assert await c.run_until(done, timeout=120)
        assert [(r.revision, r.is_current) for r in c.rollout_revisions("web")] == [(1, False), (2, True)]


async def test_a_missing_deployment_is_not_found() -> None:
    async with Cluster(nodes=1) as c:
        for read in (c.rollout_revisions, c.rollout_progress):
            with pytest.raises(ApiError) as err:
                read("web")
            assert (err.value.code, err.value.message) == (404, 'deployments.apps "web" not found')
