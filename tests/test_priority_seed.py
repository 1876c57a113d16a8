"""The seeds' PriorityClass example (/work/shared/seeds/003_157f63722b04b12d.txt, "Not all pods are equally
important"), applied as the seed writes it: `high-priority` (1000000) and `low-priority` (10), and a pod naming
`high-priority` with one container `app` of `my-app:latest`. The seed says that when the scheduler cannot fit a
high-priority pod it preempts lower-priority pods, which are gracefully terminated (SIGTERM, then SIGKILL after the
grace period).

The seed's pod requests nothing, so here the cluster is full by pod count (the nodes' `pods` allocatable, which
NodeResourcesFit checks as "Too many pods"), filled by a low-priority batch Job of containers that ignore SIGTERM.

The wording of the events was read off a v1.36 control plane (kwok nodes) doing the same with the same pods:
`Preempted` by default-scheduler, "Preempted by pod <uid> on node <node>", and a FailedScheduling whose message has
no `preemption:` part when preemption succeeded. Upstream: pkg/scheduler/framework/preemption/preemption.go
(Evaluator.Preempt, prepareCandidate), pkg/scheduler/framework/preemption/executor.go (PreemptPod),
pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go (SelectVictimsOnNode).
"""

from __future__ import annotations

from typing import Any

from engine.cluster import Cluster

Obj = dict[str, Any]

# The seed's documents, with the indentation its text lost put back.
SEED_CLASSES = """\
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata:
  name: high-priority
value: 1000000
globalDefault: false
description: "High priority for user-facing services"
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata:
  name: low-priority
value: 10
globalDefault: false
description: "Low priority for batch jobs"
"""
# The seed's pod spec, under a name of ours.
SEED_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  priorityClassName: high-priority
  containers:
  - name: app
    image: my-app:latest
"""
NODE_PODS = 8


def batch_job(parallelism: int) -> Obj:
    """Low-priority batch work whose shell, PID 1, ignores SIGTERM: a preempted pod runs out its grace period."""
    container = {"name": "work", "image": "busybox", "command": ["sh", "-c", "sleep 3600"]}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "batch", "namespace": "default"},
        "spec": {
            "parallelism": parallelism,
            "completions": parallelism,
            "backoffLimit": 100,
            "template": {
                "spec": {
                    "priorityClassName": "low-priority",
                    "restartPolicy": "Never",
                    "terminationGracePeriodSeconds": 30,
                    "containers": [container],
                }
            },
        },
    }


def events(c: Cluster, reason: str, name: str | None = None) -> list[Obj]:
    return [
        e
        for e in c.events("default")
        if e["reason"] == reason and (name is None or e["involvedObject"]["name"] == name)
    ]


def running_batch(c: Cluster) -> list[Obj]:
    return [
        p
        for p in c.store.iter("pods", "default")
        if p["metadata"].get("labels", {}).get("job-name") == "batch"
        and (p.get("status") or {}).get("phase") == "Running"
        and not p["metadata"].get("deletionTimestamp")
    ]


async def test_the_seeds_high_priority_pod_evicts_a_low_priority_one_gracefully() -> None:
    async with Cluster(nodes=2, node_pods=NODE_PODS) as c:
        await c.apply(SEED_CLASSES)
        assert [(r[0], r[1]) for r in c.table("pc")[1]] == [
            ("high-priority", "1000000"),
            ("low-priority", "10"),
            ("system-cluster-critical", "2000000000"),
            ("system-node-critical", "2000001000"),
        ]
        # The ingress-nginx add-on's controller runs at priority 0: the lowest, so the first victim. Out of the way,
        # so that the seed's batch pods are what is preempted (a user may delete an add-on, as on a real cluster).
        c.api.delete("deployments.apps", "ingress-nginx-controller", "ingress-nginx")
        await c.run_for(60)  # settled: no pod of theirs still leaving to free a slot later
        free = 2 * NODE_PODS - sum(1 for p in c.store.iter("pods") if p["spec"].get("nodeName"))
        await c.create(batch_job(free))
        assert await c.run_until(lambda c: len(running_batch(c)) == free, timeout=120)
        assert all(p["spec"].get("nodeName") for p in c.store.iter("pods"))  # full, and nothing else waiting

        await c.apply(SEED_POD)
        web = c.get("pods", "web")
        assert web["spec"]["priority"] == 1000000  # the Priority admission filled it from the class
        await c.run_for(1)
        preempted = events(c, "Preempted")
        assert len(preempted) == 1  # one slot is all the seed's pod needs: one victim, of the low class
        victim = c.get("pods", preempted[0]["involvedObject"]["name"])
        node = victim["spec"]["nodeName"]
        assert victim["spec"]["priority"] == 10
        assert (preempted[0]["type"], preempted[0]["message"], preempted[0]["source"]["component"]) == (
            "Normal",
            f"Preempted by pod {web['metadata']['uid']} on node {node}",
            "default-scheduler",
        )
        assert events(c, "FailedScheduling", "web")[-1]["message"] == "0/2 nodes are available: 2 Too many pods."
        assert c.get("pods", "web")["status"]["nominatedNodeName"] == node

        # Gracefully: SIGTERM (the kubelet's Killing), ignored, so the pod holds its slot for its 30 s; then gone.
        assert victim["metadata"]["deletionGracePeriodSeconds"] == 30
        killing = events(c, "Killing", victim["metadata"]["name"])
        assert [e["message"] for e in killing] == ["Stopping container work"]
        await c.run_for(25)
        assert c.get("pods", victim["metadata"]["name"]) is not None
        assert not c.get("pods", "web")["spec"].get("nodeName")
        assert await c.run_until(lambda c: bool(c.get("pods", "web")["spec"].get("nodeName")), timeout=30)
        assert c.get("pods", victim["metadata"]["name"]) is None
        assert c.get("pods", "web")["spec"]["nodeName"] == node
        assert events(c, "Scheduled", "web")[-1]["message"] == f"Successfully assigned default/web to {node}"
        # The Job's replacement for its preempted pod is low priority: it waits and preempts nobody.
        await c.run_for(5)
        assert len(events(c, "Preempted")) == 1
        assert len(running_batch(c)) == free - 1
