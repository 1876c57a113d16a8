"""Native sidecars (KEP-753): init containers with `restartPolicy: Always`, on the virtual clock.

Timing reference: the kubelet admits a pod the instant it is bound, sets up the sandbox in 0.1 s and pulls each
new image in 1 s, so the first container starts at t = 1.1 s after `apply`.
"""

from __future__ import annotations

from typing import Any

from engine.cluster import Cluster
from tests.test_kubelet_scenarios import Recorder, container_status, pod_events, row

Obj = dict[str, Any]


def sidecar_pod(name: str = "web", *, sidecars: list[Obj] | None = None, init: list[Obj] | None = None,
                app: Obj | None = None, restart_policy: str | None = None,
                annotations: dict[str, str] | None = None, grace: int | None = None) -> Obj:
    spec: Obj = {
        "initContainers": [*(sidecars if sidecars is not None
                             else [{"name": "proxy", "image": "envoyproxy/envoy:v1.31", "restartPolicy": "Always"}]),
                           *(init or [])],
        "containers": [app or {"name": "app", "image": "nginx:1.25"}],
    }
    if restart_policy:
        spec["restartPolicy"] = restart_policy
    if grace is not None:
        spec["terminationGracePeriodSeconds"] = grace
    meta: Obj = {"name": name}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def state_of(c: Cluster, pod: str, container: str, init: bool = False) -> str:
    status = container_status(c, pod, container, init=init)
    return next(iter(status["state"]))


async def test_a_sidecar_starts_first_keeps_running_and_counts_in_ready() -> None:
    """pkg/kubelet/kuberuntime/kuberuntime_container.go computeInitContainerActions: a restartable init container
    is started and, once started, the next container starts while it keeps running; printers.go printPod counts
    it in READY (`2/2 Running`)."""
    async with Cluster(nodes=1) as c:
        await c.apply(sidecar_pod(init=[{"name": "migrate", "image": "busybox:1.36",
                                         "command": ["sh", "-c", "sleep 2"]}]))
        rec = Recorder(c, lambda c: (row(c, "web")["READY"], row(c, "web")["STATUS"]))
        await rec.run_for(600)
        assert rec.values() == [("0/2", "Init:0/2"), ("1/2", "Init:1/2"), ("1/2", "PodInitializing"),
                                ("2/2", "Running")]
        # proxy starts at 1.1; migrate pulls (1 s), runs 2 s; app pulls (1 s) and starts at 5.1.
        assert rec.times_of(("2/2", "Running")) == [5.1]
        started = [e["involvedObject"]["fieldPath"] for e in pod_events(c, "web", "Started")]
        assert started == ["spec.initContainers{proxy}", "spec.initContainers{migrate}", "spec.containers{app}"]
        proxy = container_status(c, "web", "proxy", init=True)
        assert (proxy["restartCount"], proxy["started"], proxy["ready"]) == (0, True, True)
        assert "running" in proxy["state"]
        pod = c.get("pod", "web")
        assert pod["status"]["phase"] == "Running"
        conditions = {x["type"]: x["status"] for x in pod["status"]["conditions"]}
        assert conditions["Initialized"] == conditions["Ready"] == "True"


async def test_the_next_container_waits_for_the_sidecars_startup_probe() -> None:
    """kuberuntime_container.go computeInitContainerActions: a sidecar with a startup probe counts as started
    (status `started: true`) only once the probe passes; nothing after it starts before that."""
    probe = {"exec": {"command": ["true"]}, "periodSeconds": 5, "failureThreshold": 10}
    async with Cluster(nodes=1) as c:
        await c.apply(sidecar_pod(
            sidecars=[{"name": "proxy", "image": "envoyproxy/envoy:v1.31", "restartPolicy": "Always",
                       "startupProbe": probe}],
            annotations={"sim.k9py.io/start-seconds": "12s"}))
        rec = Recorder(c, lambda c: row(c, "web")["STATUS"])
        await rec.run_for(60)
        # Probes at 1.1, 6.1, 11.1 fail (the app needs 12 s); 16.1 passes; app then pulls 1 s.
        assert rec.times_of("PodInitializing") == [16.1]
        assert rec.times_of("Running") == [17.1]
        [unhealthy] = pod_events(c, "web", "Unhealthy")
        assert unhealthy["count"] == 3


async def test_a_crashing_sidecar_restarts_with_back_off() -> None:
    """kuberuntime_manager.go computePodActions / computeInitContainerActions: an exited restartable init
    container is restarted whatever the pod's restartPolicy, with the usual container back-off
    (CrashLoopBackOff); printPod shows `Init:CrashLoopBackOff` while it waits, the app keeps running."""
    async with Cluster(nodes=1) as c:
        await c.apply(sidecar_pod(
            sidecars=[{"name": "proxy", "image": "busybox:1.36", "restartPolicy": "Always",
                       "command": ["sh", "-c", "sleep 5; exit 1"]}],
            restart_policy="Never"))
        restarts = Recorder(c, lambda c: container_status(c, "web", "proxy", init=True)["restartCount"])
        await restarts.run_for(60)
        # Runs 1.1-6.1, restarts at once, exits 11.1, back-off 10 s: 21.1, exits 26.1, back-off 20 s: 46.1.
        assert restarts.changes == [(0, 0), (6.1, 1), (21.1, 2), (46.1, 3)]
        await c.run_until(lambda c: row(c, "web")["STATUS"] == "Init:CrashLoopBackOff", timeout=60)
        cells = row(c, "web")
        assert cells["READY"] == "1/2"
        assert cells["RESTARTS"].startswith("3 (")
        assert state_of(c, "web", "app") == "running"
        assert c.get("pod", "web")["status"]["phase"] == "Running"
        backoff = pod_events(c, "web", "BackOff")
        assert backoff and backoff[0]["message"].startswith("Back-off restarting failed container proxy in pod web")


async def test_sidecars_stop_after_the_app_containers_in_reverse_order() -> None:
    """kuberuntime_termination_order.go newTerminationOrdering / waitForTurn, kuberuntime_container.go
    killContainer: every container gets its Killing event at once; the app containers get SIGTERM first, then
    each sidecar once the app containers and the sidecars declared after it exited."""
    sidecars = [{"name": "log", "image": "fluent/fluent-bit:3.1", "restartPolicy": "Always"},
                {"name": "proxy", "image": "envoyproxy/envoy:v1.31", "restartPolicy": "Always"}]
    async with Cluster(nodes=1) as c:
        await c.apply(sidecar_pod(sidecars=sidecars, annotations={"sim.k9py.io/stop-seconds": "4s"}))
        await c.run_for(30)
        assert row(c, "web")["READY"] == "3/3"

        def states(c: Cluster) -> tuple[str, ...] | None:
            if c.get("pod", "web") is None:
                return None
            return tuple(state_of(c, "web", name, init=name != "app") for name in ("app", "proxy", "log"))

        await c.delete("pod", "web")
        rec = Recorder(c, states)
        await rec.run_until(lambda c: c.get("pod", "web") is None, timeout=60)
        assert rec.changes == [
            (0, ("running", "running", "running")),
            (4.0, ("terminated", "running", "running")),
            (8.0, ("terminated", "terminated", "running")),
            (12.0, None),
        ]
        killing = [e["involvedObject"]["fieldPath"] for e in pod_events(c, "web", "Killing")]
        assert sorted(killing) == ["spec.containers{app}", "spec.initContainers{log}", "spec.initContainers{proxy}"]


async def test_a_sidecar_still_waiting_when_the_grace_period_ends_gets_two_seconds() -> None:
    """kuberuntime_termination_order.go waitForTurn: the wait ends with the grace period; killContainer then
    gives the sidecar at least minimumGracePeriodInSeconds (2 s) and SIGKILLs it after that (exit 137)."""
    async with Cluster(nodes=1) as c:
        await c.apply(sidecar_pod(grace=5, annotations={"sim.k9py.io/stop-seconds": "4s"}))
        await c.run_for(30)
        start = c.now()
        await c.delete("pod", "web")
        assert await c.run_until(lambda c: c.get("pod", "web") is None, timeout=60)
        # The app stops at 4 s; the proxy's turn comes then with max(2, 5 - 4) = 2 s; it needs 4: SIGKILL at 6.
        assert c.now() - start == 6.0


async def test_a_job_pod_with_a_sidecar_succeeds_when_its_app_finishes() -> None:
    """kuberuntime_manager.go computePodActions: when no regular container runs or will restart, the pod is
    killed and its restartable init containers are not restarted; kubelet_pods.go getPhase ignores stopped
    sidecars, so the pod Succeeds."""
    async with Cluster(nodes=1) as c:
        await c.apply(sidecar_pod(
            "job", app={"name": "work", "image": "busybox:1.36", "command": ["sh", "-c", "sleep 5"]},
            restart_policy="Never"))
        phases = Recorder(c, lambda c: (c.get("pod", "job")["status"].get("phase"), row(c, "job")["STATUS"]))
        await phases.run_for(120)
        # work runs 2.1-7.1; the proxy handles SIGTERM and is gone a second later.
        assert phases.changes == [(0, ("Pending", "Init:0/1")), (1.1, ("Pending", "PodInitializing")),
                                  (2.1, ("Running", "Running")),
                                  # printPod: the app's `Completed` shows while the sidecar is being stopped.
                                  (7.1, ("Running", "Completed")),
                                  (8.1, ("Succeeded", "Completed"))]
        proxy = container_status(c, "job", "proxy", init=True)
        assert proxy["restartCount"] == 0
        assert proxy["state"]["terminated"]["exitCode"] == 0
        killing = pod_events(c, "job", "Killing")
        assert [(e["involvedObject"]["fieldPath"], e["message"]) for e in killing] == [
            ("spec.initContainers{proxy}", "Stopping container proxy")]
        assert row(c, "job")["READY"] == "0/2"
