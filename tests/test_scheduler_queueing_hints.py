"""Node events requeue an unschedulable pod only when they may help it (QueueingHints), on the virtual clock.

Upstream: k/k pkg/scheduler/backend/queue/scheduling_queue.go (movePodsToActiveOrBackoffQueue asks the
QueueingHints of the pod's UnschedulablePlugins; flushUnschedulablePodsLeftover after 5 minutes),
framework/plugins/noderesources/fit.go isSchedulableAfterNodeChange (the pod must fit the node's allocatable; an
update must grow a resource the pod requests), tainttoleration isSchedulableAfterNodeChange (untolerated before,
tolerated now), nodeaffinity isSchedulableAfterNodeChange (not matching before, matching now). What a user sees:
`kubectl describe pod` counts one FailedScheduling per attempt, so a node that cannot help adds none.
"""

from __future__ import annotations

from typing import Any

from engine import Cluster

Obj = dict[str, Any]


def pod(name: str, cpu: str = "100m", **spec: Any) -> Obj:
    container = {"name": "app", "image": "nginx", "resources": {"requests": {"cpu": cpu}}}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": {"containers": [container], **spec}}


def attempts(c: Cluster, name: str) -> int:
    """FailedScheduling occurrences of the pod (an event's count grows on a repeat of the same message)."""
    return sum(
        int(e.get("count") or 1)
        for e in c.store.iter("events", "default")
        if e.get("reason") == "FailedScheduling" and e["involvedObject"]["name"] == name
    )


def node_of(c: Cluster, name: str) -> str | None:
    return c.get("pod", name)["spec"].get("nodeName")


async def pending_beside_a_small_node(c: Cluster) -> None:
    """A 6-CPU pod that fits no 4-CPU node is tried once; then a 2-CPU node joins, too small to help it."""
    await c.apply(pod("big", cpu="6"))
    await c.run_for(5)
    assert attempts(c, "big") == 1
    c.add_node("small", cpu="2")
    await c.run_for(5)


async def test_a_node_too_small_for_the_pod_does_not_retry_it_and_one_big_enough_does() -> None:
    async with Cluster(nodes=2) as c:
        await pending_beside_a_small_node(c)
        assert attempts(c, "big") == 1
        assert node_of(c, "big") is None
        c.add_node("large", cpu="8")
        await c.run_for(5)
        assert node_of(c, "big") == "large"


async def test_a_node_write_that_changes_nothing_the_filters_read_does_not_retry_the_pod() -> None:
    """A providerID or a label on a full node: no resource grew, so NodeResourcesFit says QueueSkip."""
    async with Cluster(nodes=1) as c:
        await c.apply(pod("big", cpu="6"))
        await c.run_for(5)
        await c.patch("node", "node-1", {"spec": {"providerID": "k9py://static/node-1"}}, namespace=None)
        await c.patch("node", "node-1", {"metadata": {"labels": {"tier": "web"}}}, namespace=None)
        await c.run_for(5)
        assert attempts(c, "big") == 1


async def test_removing_the_taint_that_kept_the_pod_off_retries_it_at_once() -> None:
    async with Cluster(nodes=1) as c:
        taint = {"key": "dedicated", "value": "db", "effect": "NoSchedule"}
        await c.patch("node", "node-1", {"spec": {"taints": [taint]}}, namespace=None)
        await c.apply(pod("web"))
        await c.run_for(5)
        assert attempts(c, "web") == 1
        await c.patch("node", "node-1", {"metadata": {"labels": {"tier": "web"}}}, namespace=None)
        await c.run_for(5)
        assert attempts(c, "web") == 1  # a label cannot make a taint tolerated
        await c.patch("node", "node-1", {"spec": {"taints": None}}, namespace=None)
        await c.run_for(1)
        assert node_of(c, "web") == "node-1"


async def test_labelling_a_node_to_match_the_selector_retries_the_pod() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(pod("picky", nodeSelector={"disk": "ssd"}))
        await c.run_for(5)
        c.add_node("other", labels={"disk": "hdd"})
        await c.run_for(5)
        assert attempts(c, "picky") == 1
        await c.patch("node", "other", {"metadata": {"labels": {"disk": "ssd"}}}, namespace=None)
        await c.run_for(1)
        assert node_of(c, "picky") == "other"


async def test_a_pod_no_node_event_helps_is_still_tried_every_five_minutes() -> None:
    """flushUnschedulablePodsLeftover: podMaxInUnschedulablePodsDuration is 5 minutes."""
    async with Cluster(nodes=1) as c:
        await pending_beside_a_small_node(c)
        await c.run_for(285)
        assert attempts(c, "big") == 1
        await c.run_for(15)
        assert attempts(c, "big") == 2
