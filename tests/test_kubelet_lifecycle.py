"""Kubelet lifecycle rules beyond running containers: PID 1 and SIGTERM, activeDeadlineSeconds, admission.

Timing reference: the kubelet admits a pod the instant it is bound, sets up the sandbox in 0.1 s and pulls an
image in 1 s, so the first container starts at t = 1.1 s after `apply`.
"""

from __future__ import annotations

from typing import Any

from engine.cluster import Cluster
from tests.test_kubelet_scenarios import Recorder, container_status, one_event, pod_events, pod_manifest, row

Obj = dict[str, Any]


async def _deletion_seconds(c: Cluster, name: str) -> float:
    start = c.now()
    await c.delete("pod", name)
    assert await c.run_until(lambda c: c.get("pod", name) is None, timeout=120)
    return round(c.now() - start, 3)


# --- PID 1 and SIGTERM -----------------------------------------------------------------------------------------


async def test_a_bare_sleep_as_pid_1_ignores_sigterm() -> None:
    """kuberuntime_container.go killContainer: SIGTERM, then SIGKILL when the grace period ends. PID 1 in a
    container has no default signal actions, so `sleep` (or `sh -c "sleep …"`) run directly never exits on SIGTERM
    and the pod stays Terminating for its whole terminationGracePeriodSeconds; an app without such a command
    (nginx) handles SIGTERM and exits at once; a shell that traps TERM is an app like any other."""
    async with Cluster(nodes=1) as c:
        await c.apply([
            pod_manifest("bare", container={"command": ["sleep", "3600"]}, spec={"terminationGracePeriodSeconds": 20}),
            pod_manifest("shell", command="sleep 3600", spec={"terminationGracePeriodSeconds": 20}),
            pod_manifest("trapped", command="trap 'exit 0' TERM; sleep 3600 & wait",
                         spec={"terminationGracePeriodSeconds": 20}),
            pod_manifest("web", image="nginx:1.25", spec={"terminationGracePeriodSeconds": 20}),
        ])
        await c.run_for(10)
        await c.delete("pod", "bare")
        await c.run_for(19)
        assert row(c, "bare")["STATUS"] == "Terminating"
        await c.run_for(1)
        assert c.get("pod", "bare") is None
        assert await _deletion_seconds(c, "shell") == 20.0
        assert await _deletion_seconds(c, "trapped") == 1.0
        assert await _deletion_seconds(c, "web") == 1.0
        one_event(c, "bare", "Killing", "Stopping container app")


async def test_a_sigkilled_container_reports_exit_137() -> None:
    """kuberuntime_container.go killContainer: a container SIGKILLed at the end of the grace period exits 137
    (reason Error); one that handled SIGTERM exits 0 (Completed). Seen on a pod that is kept (restartPolicy
    Never, failed by its active deadline) so its container statuses can be read afterwards."""
    async with Cluster(nodes=1) as c:
        await c.apply([
            pod_manifest("bare", container={"command": ["sleep", "3600"]}, restart_policy="Never",
                         spec={"activeDeadlineSeconds": 10, "terminationGracePeriodSeconds": 5}),
            pod_manifest("web", image="nginx:1.25", restart_policy="Never",
                         spec={"activeDeadlineSeconds": 10, "terminationGracePeriodSeconds": 5}),
        ])
        await c.run_for(30)
        bare = container_status(c, "bare")["state"]["terminated"]
        web = container_status(c, "web")["state"]["terminated"]
        assert (bare["exitCode"], bare["reason"]) == (137, "Error")
        assert (web["exitCode"], web["reason"]) == (0, "Completed")


# --- activeDeadlineSeconds -------------------------------------------------------------------------------------


async def test_active_deadline_fails_the_pod_and_kills_its_containers() -> None:
    """pkg/kubelet/active_deadline.go activeDeadlineHandler.ShouldEvict (reason/message constants) and
    kubelet_pods.go generateAPIPodStatus: once the pod has been active since status.startTime for
    activeDeadlineSeconds, a Warning DeadlineExceeded event, phase Failed with that reason and message, and the
    containers are stopped (killPodWithSyncResult)."""
    async with Cluster(nodes=1) as c:
        await c.apply(pod_manifest("deadline", image="nginx:1.25", spec={"activeDeadlineSeconds": 30}))
        rec = Recorder(c, lambda c: (c.get("pod", "deadline")["status"]["phase"], row(c, "deadline")["STATUS"],
                                     row(c, "deadline")["READY"]))
        await rec.run_for(60)
        assert rec.changes == [(0, ("Pending", "ContainerCreating", "0/1")), (1.1, ("Running", "Running", "1/1")),
                               (30.0, ("Failed", "DeadlineExceeded", "0/1")),
                               # nginx exits 0 on SIGTERM a second later: printPod's STATUS then shows the
                               # container's own reason, as kubectl does; status.reason stays DeadlineExceeded.
                               (31.0, ("Failed", "Completed", "0/1"))]
        pod = c.get("pod", "deadline")
        assert pod["status"]["reason"] == "DeadlineExceeded"
        assert pod["status"]["message"] == "Pod was active on the node longer than the specified deadline"
        event = one_event(c, "deadline", "DeadlineExceeded")
        assert (event["type"], event["source"]["component"]) == ("Warning", "kubelet")
        assert event["message"] == "Pod was active on the node longer than the specified deadline"
        one_event(c, "deadline", "Killing", "Stopping container app")
        assert "terminated" in container_status(c, "deadline")["state"]
        # Nothing restarts a pod failed by its deadline, whatever its restartPolicy.
        await c.run_for(600)
        assert container_status(c, "deadline")["restartCount"] == 0


async def test_lowering_the_active_deadline_of_a_running_pod_moves_it() -> None:
    """active_deadline.go pastActiveDeadline reads spec.activeDeadlineSeconds on every sync, so a running pod whose
    deadline is lowered (the field may be set or decreased) is failed by the new one."""
    async with Cluster(nodes=1) as c:
        await c.apply(pod_manifest("p", image="nginx:1.25"))
        await c.run_for(20)
        await c.patch("pod", "p", {"spec": {"activeDeadlineSeconds": 25}})
        await c.run_for(4)
        assert c.get("pod", "p")["status"]["phase"] == "Running"
        await c.run_for(1)
        assert c.get("pod", "p")["status"]["reason"] == "DeadlineExceeded"


# --- admission -------------------------------------------------------------------------------------------------


def _bound(name: str, node: str, requests: Obj) -> Obj:
    return pod_manifest(name, image="nginx:1.25", spec={"nodeName": node},
                        container={"resources": {"requests": requests}})


async def test_a_pod_bound_by_node_name_to_a_full_node_is_rejected() -> None:
    """pkg/kubelet/lifecycle/predicate.go predicateAdmitHandler.Admit (InsufficientResourceError.Error, reasons
    OutOfcpu/OutOfmemory) and kubelet.go rejectPod: a Warning event with the admit message, phase Failed, reason
    OutOf<resource>, message "Pod was rejected: " + the admit message."""
    async with Cluster(nodes=1) as c:
        # 3200m, CoreDNS's two replicas and the ingress-nginx controller (100m each), all on the only node: 3500m
        # used.
        await c.apply(pod_manifest("big", image="nginx:1.25", container={"resources": {"requests": {"cpu": "3200m"}}}))
        await c.run_for(5)
        await c.apply([_bound("cpu-hog", "node-1", {"cpu": "2"}), _bound("mem-hog", "node-1", {"memory": "20Gi"}),
                       _bound("fits", "node-1", {"cpu": "500m"})])
        await c.run_for(5)
        pod = c.get("pod", "cpu-hog")
        assert pod["status"]["phase"] == "Failed"
        assert pod["status"]["reason"] == "OutOfcpu"
        assert pod["status"]["message"] == ("Pod was rejected: Node didn't have enough resource: cpu, requested: "
                                            "2000, used: 3500, capacity: 4000")
        assert row(c, "cpu-hog")["STATUS"] == "OutOfcpu"
        event = one_event(c, "cpu-hog", "OutOfcpu")
        assert event["type"] == "Warning"
        assert event["message"] == "Node didn't have enough resource: cpu, requested: 2000, used: 3500, capacity: 4000"
        mem = c.get("pod", "mem-hog")["status"]
        assert (mem["reason"], mem["message"]) == (
            "OutOfmemory", "Pod was rejected: Node didn't have enough resource: memory, requested: 21474836480, "
                           "used: 241172480, capacity: 17179869184")  # CoreDNS's 2 x 70Mi, ingress-nginx's 90Mi
        assert row(c, "fits")["STATUS"] == "Running"
        assert not pod_events(c, "cpu-hog", "Pulling")


async def test_a_pod_bound_to_a_node_with_no_pod_slot_left_is_rejected() -> None:
    """predicate.go Admit, OutOfpods: the pods resource counts the pods the kubelet already runs."""
    async with Cluster(nodes=1, node_pods=2) as c:
        await c.apply([pod_manifest("a", image="nginx:1.25"), pod_manifest("b", image="nginx:1.25")])
        await c.run_for(5)
        await c.apply(_bound("extra", "node-1", {}))
        await c.run_for(5)
        status = c.get("pod", "extra")["status"]
        assert (status["phase"], status["reason"]) == ("Failed", "OutOfpods")
        assert status["message"] == ("Pod was rejected: Node didn't have enough resource: pods, requested: 1, "
                                     "used: 2, capacity: 2")
