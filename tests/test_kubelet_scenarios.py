"""Kubelet scenarios on the virtual clock, asserting what a user sees: STATUS/READY/RESTARTS, events, timings.

Timing reference for every pod here: the kubelet admits a pod the instant it is bound, sets up the sandbox in
0.1 s, and pulls an image in 1 s, so the first container starts at t = 1.1 s after `apply`.
"""

from __future__ import annotations

import ipaddress
import itertools
import re
from collections.abc import Callable
from typing import Any

import pytest

from engine.cluster import Cluster

Obj = dict[str, Any]
START = 1.1  # sandbox (0.1 s) + image pull (1 s)


# --- helpers ---------------------------------------------------------------------------------------------------


def pod_manifest(name: str = "p", *, command: str | None = None, image: str = "busybox:1.36",
                 restart_policy: str | None = None, annotations: dict[str, str] | None = None,
                 container: Obj | None = None, spec: Obj | None = None, container_name: str = "app") -> Obj:
    c: Obj = {"name": container_name, "image": image}
    if command is not None:
        c["command"] = ["sh", "-c", command]
    c.update(container or {})
    pod_spec: Obj = {"containers": [c], **(spec or {})}
    if restart_policy:
        pod_spec["restartPolicy"] = restart_policy
    meta: Obj = {"name": name}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": pod_spec}


def row(c: Cluster, name: str, namespace: str = "default") -> dict[str, str]:
    """The `kubectl get pods` row of one pod, as {column: cell}."""
    columns, rows = c.table("pods", namespace)
    for cells in rows:
        if cells[0] == name:
            return dict(zip(columns, cells, strict=True))
    raise AssertionError(f"pod {name} not listed")


def status_of(c: Cluster, name: str) -> str | None:
    pod = c.get("pod", name)
    return None if pod is None else row(c, name)["STATUS"]


def container_status(c: Cluster, name: str, container: str = "app", init: bool = False) -> Obj:
    pod = c.get("pod", name)
    assert pod is not None
    key = "initContainerStatuses" if init else "containerStatuses"
    return next(cs for cs in pod["status"][key] if cs["name"] == container)


def pod_events(c: Cluster, name: str, reason: str | None = None) -> list[Obj]:
    evs = [e for e in c.events("default") if e["involvedObject"].get("name") == name
           and e["involvedObject"].get("kind") == "Pod"]
    return [e for e in evs if reason is None or e["reason"] == reason]


def one_event(c: Cluster, name: str, reason: str, message: str | None = None) -> Obj:
    evs = [e for e in pod_events(c, name, reason) if message is None or e["message"] == message]
    assert len(evs) == 1, [(e["reason"], e["message"]) for e in pod_events(c, name)]
    return evs[0]


class Recorder:
    """Samples `probe(cluster)` after every step of the virtual clock and keeps each change with its time."""

    def __init__(self, c: Cluster, probe: Callable[[Cluster], Any]) -> None:
        self.c = c
        self.probe = probe
        self.t0 = c.now()
        self.changes: list[tuple[float, Any]] = []

    def _sample(self, c: Cluster) -> None:
        value = self.probe(c)
        if not self.changes or self.changes[-1][1] != value:
            self.changes.append((round(c.now() - self.t0, 3), value))

    async def run_for(self, seconds: float) -> None:
        def pred(c: Cluster) -> bool:
            self._sample(c)
            return False

        await self.c.run_until(pred, timeout=seconds)

    async def run_until(self, stop: Callable[[Cluster], bool], timeout: float = 600) -> None:
        def pred(c: Cluster) -> bool:
            self._sample(c)
            return stop(c)

        assert await self.c.run_until(pred, timeout=timeout)

    def values(self) -> list[Any]:
        return [v for _, v in self.changes]

    def times_of(self, value: Any) -> list[float]:
        return [t for t, v in self.changes if v == value]


def restart_count(name: str, container: str = "app", init: bool = False) -> Callable[[Cluster], int | None]:
    def probe(c: Cluster) -> int | None:
        pod = c.get("pod", name)
        statuses = (pod or {}).get("status", {}).get("initContainerStatuses" if init else "containerStatuses")
        for cs in statuses or ():
            if cs["name"] == container:
                return int(cs["restartCount"])
        return None

    return probe


# --- 1. crash loop ---------------------------------------------------------------------------------------------


async def test_crash_loop_restart_times_messages_and_events() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(pod_manifest("crash", command="exit 1"))
        rec = Recorder(c, restart_count("crash"))
        await rec.run_until(lambda c: restart_count("crash")(c) == 8, timeout=2000)
        restarts = {v: t for t, v in rec.changes}
        # The container exits the instant it starts (t=1.1): restarted at once, then held back 10, 20, 40, 80,
        # 160, 300, 300 s, each measured from the previous exit.
        times = [restarts[n] for n in range(1, 9)]
        assert times == pytest.approx([START, START + 10, START + 30, START + 70, START + 150, START + 310,
                                       START + 610, START + 910])
        gaps = [round(b - a, 3) for a, b in itertools.pairwise(times)]
        assert gaps == [10, 20, 40, 80, 160, 300, 300]

    async with Cluster(nodes=1) as c:
        await c.apply(pod_manifest("crash", command="exit 1"))
        uid = c.get("pod", "crash")["metadata"]["uid"]
        # Restart 3 happens at 31.1 and exits at once; from 32.1 the kubelet reports a 40 s back-off.
        await c.run_for(50)
        r = row(c, "crash")
        assert (r["READY"], r["STATUS"], r["RESTARTS"]) == ("0/1", "CrashLoopBackOff", "3 (19s ago)")
        cs = container_status(c, "crash")
        assert cs["state"] == {"waiting": {
            "reason": "CrashLoopBackOff",
            "message": f"back-off 40s restarting failed container=app pod=crash_default({uid})"}}
        assert cs["lastState"]["terminated"]["exitCode"] == 1
        assert cs["lastState"]["terminated"]["reason"] == "Error"
        assert cs["ready"] is False and cs["started"] is False
        assert c.get("pod", "crash")["status"]["phase"] == "Running"

        backoff = one_event(c, "crash", "BackOff")
        assert backoff["type"] == "Warning"
        assert backoff["message"] == f"Back-off restarting failed container app in pod crash_default({uid})"
        assert backoff["source"] == {"component": "kubelet", "host": "node-1"}
        assert backoff["involvedObject"]["fieldPath"] == "spec.containers{app}"
        # Recorded by every sync that finds the container backing off: once per 10 s retry of the pod worker.
        # 10 s wait: 2.1; 20 s wait: 12.1, 22.1; 40 s wait so far: 32.1, 42.1.
        assert backoff["count"] == 5
        await c.run_for(20)
        assert one_event(c, "crash", "BackOff")["count"] == 7
        assert one_event(c, "crash", "Started", "Started container app")["count"] == 4
        # Restarts reuse the image: one pull, then "already present".
        assert one_event(c, "crash", "Pulling")["count"] == 1
        assert one_event(c, "crash", "Pulled", 'Container image "busybox:1.36" already present on machine'
                         )["count"] == 3

        # Each back-off message names the wait in Go duration syntax.
        await c.run_until(lambda c: restart_count("crash")(c) == 5, timeout=400)
        await c.run_for(2)
        assert container_status(c, "crash")["state"]["waiting"]["message"].startswith("back-off 2m40s ")


async def test_crash_loop_shows_error_until_the_kubelet_resyncs() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(pod_manifest("crash", command="exit 3"))
        rec = Recorder(c, lambda c: (row(c, "crash")["STATUS"], row(c, "crash")["RESTARTS"].split(" ")[0]))
        await rec.run_for(40)
        # Like `kubectl get pods -w`: the runtime reports the exit (Error) before the next sync reports the
        # back-off; the first restart is immediate.
        assert rec.changes == [
            (0.0, ("ContainerCreating", "0")),
            (START, ("Error", "1")),
            (START + 1, ("CrashLoopBackOff", "1")),
            (START + 10, ("Error", "2")),
            (START + 11, ("CrashLoopBackOff", "2")),
            (START + 30, ("Error", "3")),
            (START + 31, ("CrashLoopBackOff", "3")),
        ]
        cs = container_status(c, "crash")
        assert cs["lastState"]["terminated"]["exitCode"] == 3


async def test_deployment_in_crash_loop() -> None:
    async with Cluster(nodes=2) as c:
        await c.apply("""
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: busybox:1.36
        command: ["sh", "-c", "exit 1"]
""")
        await c.run_for(60)
        pods = c.list("pods", "default", selector="app=web")
        assert len(pods) == 2
        for pod in pods:
            name = pod["metadata"]["name"]
            r = row(c, name)
            assert (r["READY"], r["STATUS"]) == ("0/1", "CrashLoopBackOff")
            assert r["RESTARTS"].startswith("3 (")
            uid = pod["metadata"]["uid"]
            one_event(c, name, "BackOff", f"Back-off restarting failed container web in pod {name}_default({uid})")
        columns, rows = c.table("deployments", "default")
        assert dict(zip(columns, rows[0], strict=True))["READY"] == "0/2"


async def test_back_off_resets_after_ten_minutes_of_running() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply([pod_manifest("long", command="sleep 601; exit 1"),
                       pod_manifest("short", command="sleep 590; exit 1")])
        rec = Recorder(c, lambda c: (restart_count("long")(c), restart_count("short")(c),
                                     status_of(c, "long"), status_of(c, "short")))
        await rec.run_until(lambda c: restart_count("long")(c) == 3, timeout=2500)
        long_restarts = sorted({v[0]: t for t, v in reversed(rec.changes)}.items())[1:]
        short_restarts = sorted({v[1]: t for t, v in reversed(rec.changes)}.items())[1:]
        # Each run lasts more than 10 min, so every exit finds the back-off expired: restarts are immediate.
        assert [t for _, t in long_restarts] == pytest.approx([START + 601, START + 1202, START + 1803])
        assert "CrashLoopBackOff" not in {v[2] for v in rec.values()}
        # A run of 590 s is not long enough: the second exit waits 10 s, the third 20 s.
        assert [t for _, t in short_restarts] == pytest.approx([START + 590, START + 1190, START + 1800])
        assert "CrashLoopBackOff" in {v[3] for v in rec.values()}


# --- 2. exit codes and restart policies --------------------------------------------------------------------------


async def test_sleep_then_exit_1_runs_five_seconds() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(pod_manifest("p", command="sleep 5; exit 1"))
        rec = Recorder(c, lambda c: (row(c, "p")["STATUS"], row(c, "p")["RESTARTS"]))
        await rec.run_for(START + 5.5)
        assert rec.changes == [(0.0, ("ContainerCreating", "0")), (START, ("Running", "0")),
                               (START + 5, ("Running", "1 (0s ago)"))]
        # The first exit restarts at once; the previous run is lastState.
        cs = container_status(c, "p")
        term = cs["lastState"]["terminated"]
        assert (term["exitCode"], term["reason"]) == (1, "Error")
        assert (term["startedAt"], term["finishedAt"]) == ("2026-01-01T00:00:01Z", "2026-01-01T00:00:06Z")
        assert cs["restartCount"] == 1
        assert row(c, "p")["RESTARTS"] == "1 (0s ago)"


async def test_exit_0_with_restart_policy_never_is_completed() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(pod_manifest("job", command="sleep 2; exit 0", restart_policy="Never"))
        await c.run_for(10)
        pod = c.get("pod", "job")
        assert pod["status"]["phase"] == "Succeeded"
        r = row(c, "job")
        assert (r["READY"], r["STATUS"], r["RESTARTS"]) == ("0/1", "Completed", "0")
        term = container_status(c, "job")["state"]["terminated"]
        assert (term["exitCode"], term["reason"]) == (0, "Completed")
        ready = next(cond for cond in pod["status"]["conditions"] if cond["type"] == "Ready")
        assert (ready["status"], ready["reason"]) == ("False", "PodCompleted")


async def test_restart_policies() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply([
            pod_manifest("never-fail", command="exit 2", restart_policy="Never"),
            pod_manifest("onfailure-ok", command="sleep 1; exit 0", restart_policy="OnFailure"),
            pod_manifest("onfailure-fail", command="sleep 1; exit 1", restart_policy="OnFailure"),
            pod_manifest("always-ok", command="sleep 1; exit 0", restart_policy="Always"),
        ])
        await c.run_for(30)
        assert c.get("pod", "never-fail")["status"]["phase"] == "Failed"
        assert row(c, "never-fail")["STATUS"] == "Error"
        assert c.get("pod", "onfailure-ok")["status"]["phase"] == "Succeeded"
        assert row(c, "onfailure-ok")["STATUS"] == "Completed"
        assert container_status(c, "onfailure-ok")["restartCount"] == 0
        # OnFailure restarts a failed container with the same back-off; the pod stays Running.
        assert c.get("pod", "onfailure-fail")["status"]["phase"] == "Running"
        assert container_status(c, "onfailure-fail")["restartCount"] == 2
        assert row(c, "onfailure-fail")["STATUS"] == "CrashLoopBackOff"
        # Always restarts even a successful exit, and backs off the same way.
        assert container_status(c, "always-ok")["restartCount"] == 2
        assert row(c, "always-ok")["STATUS"] == "CrashLoopBackOff"
        assert container_status(c, "always-ok")["lastState"]["terminated"]["reason"] == "Completed"


# --- 3. images -------------------------------------------------------------------------------------------------


async def test_image_pull_failure() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(pod_manifest("bad", image="nginx:1.99", annotations={"sim.k9py.io/image-pull": "fail"}))
        rec = Recorder(c, lambda c: row(c, "bad")["STATUS"])
        await rec.run_for(40)
        # Pull fails at 1.1 (ErrImagePull); the next sync reports the back-off; retries after 10 s, then 20 s.
        assert rec.changes == [
            (0.0, "ContainerCreating"),
            (START, "ErrImagePull"), (START + 1, "ImagePullBackOff"),
            (START + 11, "ErrImagePull"), (START + 12, "ImagePullBackOff"),
            (START + 32, "ErrImagePull"), (START + 33, "ImagePullBackOff"),
        ]
        error = ('rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nginx:1.99": '
                 'failed to resolve reference "docker.io/library/nginx:1.99": docker.io/library/nginx:1.99: '
                 "not found")
        assert one_event(c, "bad", "Failed", f'Failed to pull image "nginx:1.99": {error}')["type"] == "Warning"
        assert one_event(c, "bad", "Failed", "Error: ErrImagePull")["count"] == 3
        backoff = one_event(c, "bad", "BackOff", 'Back-off pulling image "nginx:1.99"')
        assert backoff["type"] == "Normal"
        assert one_event(c, "bad", "Failed", "Error: ImagePullBackOff")["type"] == "Warning"
        assert one_event(c, "bad", "Pulling", 'Pulling image "nginx:1.99"')["count"] == 3
        waiting = container_status(c, "bad")["state"]["waiting"]
        assert waiting == {"reason": "ImagePullBackOff",
                           "message": f'Back-off pulling image "nginx:1.99": ErrImagePull: {error}'}
        assert c.get("pod", "bad")["status"]["phase"] == "Pending"


async def test_pull_events_and_image_cache() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(pod_manifest("first", image="nginx:1.25", container_name="web"))
        await c.run_for(5)
        evs = pod_events(c, "first")
        assert [e["reason"] for e in evs] == ["Scheduled", "Pulling", "Pulled", "Created", "Started"]
        msgs = {e["reason"]: e["message"] for e in evs}
        assert msgs["Scheduled"] == "Successfully assigned default/first to node-1"
        assert msgs["Pulling"] == 'Pulling image "nginx:1.25"'
        assert re.fullmatch(r'Successfully pulled image "nginx:1\.25" in 1s \(1s including waiting\)\. '
                            r"Image size: [1-9][0-9]* bytes\.", msgs["Pulled"])
        assert msgs["Created"] == "Created container: web"
        assert msgs["Started"] == "Started container web"
        for e in evs[1:]:
            assert e["source"] == {"component": "kubelet", "host": "node-1"}
            assert e["involvedObject"]["fieldPath"] == "spec.containers{web}"

        # Same node, same image: no pull at all.
        await c.apply(pod_manifest("second", image="nginx:1.25", container_name="web"))
        await c.run_for(1)
        assert [e["reason"] for e in pod_events(c, "second")] == ["Scheduled", "Pulled", "Created", "Started"]
        one_event(c, "second", "Pulled", 'Container image "nginx:1.25" already present on machine')
        assert row(c, "second")["STATUS"] == "Running"

        # A slower pull, as the annotation says.
        await c.apply(pod_manifest("slow", image="redis:7", annotations={"sim.k9py.io/pull-seconds": "2.5s"}))
        await c.run_for(5)
        pulled = one_event(c, "slow", "Pulled")["message"]
        assert pulled.startswith('Successfully pulled image "redis:7" in 2.5s (2.5s including waiting). ')


# --- 4. init containers ----------------------------------------------------------------------------------------


def init_pod(name: str, second: str, restart_policy: str | None = None) -> Obj:
    return pod_manifest(name, image="nginx:1.25", restart_policy=restart_policy, spec={"initContainers": [
        {"name": "i1", "image": "busybox:1.36", "command": ["sh", "-c", "sleep 3"]},
        {"name": "i2", "image": "busybox:1.36", "command": ["sh", "-c", second]},
    ]})


async def test_init_containers_progress() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(init_pod("p", "sleep 2"))
        await c.run_for(0)
        init_cond = next(x for x in c.get("pod", "p")["status"]["conditions"] if x["type"] == "Initialized")
        assert (init_cond["status"], init_cond["message"]) == ("False", "containers with incomplete status: [i1 i2]")
        rec = Recorder(c, lambda c: (row(c, "p")["READY"], row(c, "p")["STATUS"]))
        await rec.run_for(20)
        # i1 pulls (1 s) and sleeps 3 s; i2 reuses the image and sleeps 2 s; then the app's image is pulled (1 s)
        # while the pod shows PodInitializing.
        assert rec.changes == [
            (0.0, ("0/1", "Init:0/2")),
            (START + 3, ("0/1", "Init:1/2")),
            (START + 5, ("0/1", "PodInitializing")),
            (START + 6, ("1/1", "Running")),
        ]
        i1 = container_status(c, "p", "i1", init=True)
        assert i1["state"]["terminated"]["reason"] == "Completed"
        assert i1["ready"] is True and i1["started"] is False


async def test_failing_init_container_crash_loops() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(init_pod("p", "sleep 2; exit 1"))
        rec = Recorder(c, lambda c: (row(c, "p")["STATUS"], row(c, "p")["RESTARTS"].split(" ")[0]))
        await rec.run_for(30)
        # i2 starts at 4.1 and fails at 6.1 (restarted at once), fails again at 8.1, then backs off 10 s.
        assert rec.changes == [
            (0.0, ("Init:0/2", "0")),
            (START + 3, ("Init:1/2", "0")),
            (START + 5, ("Init:1/2", "1")),
            (START + 7, ("Init:Error", "1")),
            (START + 8, ("Init:CrashLoopBackOff", "1")),
            (START + 17, ("Init:1/2", "2")),
            (START + 19, ("Init:Error", "2")),
            (START + 20, ("Init:CrashLoopBackOff", "2")),
        ]
        assert c.get("pod", "p")["status"]["phase"] == "Pending"
        uid = c.get("pod", "p")["metadata"]["uid"]
        one_event(c, "p", "BackOff", f"Back-off restarting failed container i2 in pod p_default({uid})")
        # The app container never started.
        assert not [e for e in pod_events(c, "p") if e["involvedObject"].get("fieldPath") == "spec.containers{app}"]
        assert container_status(c, "p")["state"] == {"waiting": {"reason": "PodInitializing"}}


async def test_failing_init_container_with_restart_policy_never_fails_the_pod() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(init_pod("p", "exit 1", restart_policy="Never"))
        await c.run_for(30)
        assert c.get("pod", "p")["status"]["phase"] == "Failed"
        assert row(c, "p")["STATUS"] == "Init:Error"
        assert container_status(c, "p", "i2", init=True)["restartCount"] == 0


# --- 5. probes -------------------------------------------------------------------------------------------------



async def test_a_probe_on_a_named_port_dials_the_container_port_of_that_name() -> None:
    async with Cluster(nodes=1) as c:
        probe = {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 5}
        await c.apply(pod_manifest("p", image="nginx:1.25", annotations={"sim.k9py.io/start-seconds": "20s"},
                                   container={"ports": [{"name": "http", "containerPort": 8080}],
                                              "readinessProbe": probe}))
        await c.run_for(15)
        ip = c.get("pod", "p")["status"]["podIP"]
        assert one_event(c, "p", "Unhealthy")["message"] == (
            f'Readiness probe failed: Get "http://{ip}:8080/healthz": dial tcp {ip}:8080: connect: connection refused')

async def test_readiness_probe_waits_for_the_app() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(pod_manifest("p", image="nginx:1.25", annotations={"sim.k9py.io/start-seconds": "20s"},
                                   container={"readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080},
                                                                 "initialDelaySeconds": 5, "periodSeconds": 7}}))
        rec = Recorder(c, lambda c: (row(c, "p")["READY"], row(c, "p")["STATUS"]))
        await rec.run_for(60)
        # Probes at 6.1, 13.1, 20.1 (app not listening until 21.1), 27.1 (passes).
        assert rec.changes == [(0.0, ("0/1", "ContainerCreating")), (START, ("0/1", "Running")),
                               (START + 26, ("1/1", "Running"))]
        ip = c.get("pod", "p")["status"]["podIP"]
        unhealthy = one_event(c, "p", "Unhealthy")
        assert unhealthy["type"] == "Warning"
        assert unhealthy["message"] == (f'Readiness probe failed: Get "http://{ip}:8080/healthz": '
                                        f"dial tcp {ip}:8080: connect: connection refused")
        assert unhealthy["count"] == 3
        assert (unhealthy["firstTimestamp"], unhealthy["lastTimestamp"]) == ("2026-01-01T00:00:06Z",
                                                                              "2026-01-01T00:00:20Z")
        ready = next(x for x in c.get("pod", "p")["status"]["conditions"] if x["type"] == "Ready")
        assert (ready["status"], ready["lastTransitionTime"]) == ("True", "2026-01-01T00:00:27Z")


async def test_readiness_that_starts_failing_takes_the_pod_out() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(pod_manifest("p", image="nginx:1.25", annotations={"sim.k9py.io/readiness": "fail-after=30s"},
                                   container={"readinessProbe": {"httpGet": {"path": "/ready", "port": 80}}}))
        rec = Recorder(c, lambda c: row(c, "p")["READY"])
        await rec.run_for(90)
        # Passes at once (1.1), fails from 30 s into the run: 31.1, 41.1, 51.1 -> unready after failureThreshold 3.
        assert rec.changes == [(0.0, "0/1"), (START, "1/1"), (START + 50, "0/1")]
        unhealthy = one_event(c, "p", "Unhealthy")
        assert unhealthy["message"] == "Readiness probe failed: HTTP probe failed with statuscode: 503"
        assert unhealthy["count"] == 6  # keeps failing every period; readiness never restarts anything
        assert row(c, "p")["STATUS"] == "Running"
        assert container_status(c, "p")["restartCount"] == 0


async def test_probe_failure_messages_by_handler() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply([
            pod_manifest("exec", annotations={"sim.k9py.io/liveness": "fail"}, command="sleep 3600",
                         container={"livenessProbe": {"exec": {"command": ["cat", "/tmp/healthy"]}}}),
            pod_manifest("tcp", image="redis:7", annotations={"sim.k9py.io/start-seconds": "1m"},
                         container={"readinessProbe": {"tcpSocket": {"port": 6379}}}),
        ])
        await c.run_for(5)
        assert one_event(c, "exec", "Unhealthy")["message"] == (
            "Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory")
        ip = c.get("pod", "tcp")["status"]["podIP"]
        assert one_event(c, "tcp", "Unhealthy")["message"] == (
            f"Readiness probe failed: dial tcp {ip}:6379: connect: connection refused")


async def test_liveness_probe_failure_restarts_the_container() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(pod_manifest("p", image="nginx:1.25", annotations={"sim.k9py.io/liveness": "fail-after=30s"},
                                   container={"livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080},
                                                                "periodSeconds": 5}}))
        await c.run_for(START + 40.5)
        unhealthy = one_event(c, "p", "Unhealthy")
        assert unhealthy["message"] == "Liveness probe failed: HTTP probe failed with statuscode: 503"
        assert unhealthy["type"] == "Warning"
        # Probes fail from 30 s into the run: 31.1, 36.1, 41.1 (failureThreshold 3), then the kill.
        assert unhealthy["count"] == 3
        killing = one_event(c, "p", "Killing")
        assert killing["message"] == "Container app failed liveness probe, will be restarted"
        assert killing["type"] == "Normal"
        assert killing["firstTimestamp"] == "2026-01-01T00:00:41Z"
        assert container_status(c, "p")["restartCount"] == 0  # nginx takes 1 s to stop on SIGTERM
        await c.run_for(1)
        cs = container_status(c, "p")
        assert cs["restartCount"] == 1
        assert cs["lastState"]["terminated"]["finishedAt"] == "2026-01-01T00:00:42Z"
        assert (cs["lastState"]["terminated"]["exitCode"], cs["lastState"]["terminated"]["reason"]) == (0, "Completed")
        assert row(c, "p")["STATUS"] == "Running"


async def test_repeated_liveness_kills_end_in_crash_loop() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(pod_manifest("p", image="nginx:1.25", annotations={"sim.k9py.io/liveness": "fail"},
                                   container={"livenessProbe": {"httpGet": {"path": "/", "port": 80}}}))
        rec = Recorder(c, restart_count("p"))
        statuses: list[tuple[float, str | None]] = []

        def track(c: Cluster) -> bool:
            status = status_of(c, "p")
            if not statuses or statuses[-1][1] != status:
                statuses.append((round(c.now() - rec.t0, 3), status))
            return restart_count("p")(c) == 5

        await rec.run_until(track, timeout=400)
        # Each run is killed after three failed probes (0, 10, 20 s) and takes 1 s to stop. The kill and the
        # restart share one sync, whose back-off check sees only the run before the killed one; so restarts
        # are immediate until a run ends within the back-off of the previous one.
        assert [t for t, v in rec.changes if v] == pytest.approx(
            [START + 21, START + 42, START + 63, START + 84, START + 145])
        assert (pytest.approx(START + 106), "CrashLoopBackOff") in statuses
        # Five kills, but the spam filter (25 writes per source and object, then one per 5 minutes) has held the
        # last two writes back by now: the stored count is 3, as a real API server would show.
        assert one_event(c, "p", "Killing")["count"] == 3


async def test_startup_probe_gates_liveness_and_readiness() -> None:
    http = {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 10}
    async with Cluster(nodes=1) as c:
        await c.apply(pod_manifest("p", image="nginx:1.25", annotations={"sim.k9py.io/start-seconds": "25s"},
                                   container={"startupProbe": {**http, "failureThreshold": 5},
                                              "livenessProbe": {**http, "periodSeconds": 3},
                                              "readinessProbe": http}))
        rec = Recorder(c, lambda c: (row(c, "p")["READY"], container_status(c, "p").get("started")))
        await rec.run_for(60)
        # Startup probes at 1.1, 11.1, 21.1 fail; 31.1 passes, and readiness is probed at once.
        assert rec.changes == [(0.0, ("0/1", False)), (START + 30, ("1/1", True))]
        ip = c.get("pod", "p")["status"]["podIP"]
        startup = one_event(c, "p", "Unhealthy")
        assert startup["message"] == (f'Startup probe failed: Get "http://{ip}:8080/healthz": '
                                      f"dial tcp {ip}:8080: connect: connection refused")
        assert startup["count"] == 3
        assert container_status(c, "p")["restartCount"] == 0

    async with Cluster(nodes=1) as c:
        await c.apply(pod_manifest("p", image="nginx:1.25", annotations={"sim.k9py.io/start-seconds": "5m"},
                                   container={"startupProbe": {**http, "failureThreshold": 3}}))
        await c.run_for(START + 20.5)
        assert one_event(c, "p", "Killing")["message"] == "Container app failed startup probe, will be restarted"
        assert one_event(c, "p", "Unhealthy")["count"] == 3


async def test_passing_probes_write_nothing_once_ready() -> None:
    probe = {"httpGet": {"path": "/", "port": 80}, "periodSeconds": 5}
    async with Cluster(nodes=1) as c:
        await c.apply(pod_manifest("p", image="nginx:1.25",
                                   container={"readinessProbe": probe, "livenessProbe": probe}))
        await c.run_for(10)
        assert row(c, "p")["READY"] == "1/1"
        before = c.get("pod", "p")
        events_before = len(c.events("default"))
        await c.run_for(600)
        assert c.get("pod", "p") == before
        assert len(c.events("default")) == events_before


# --- 6. OOM ----------------------------------------------------------------------------------------------------


async def test_memory_above_the_limit_is_oom_killed() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(pod_manifest("p", image="nginx:1.25", annotations={"sim.k9py.io/memory": "600Mi"},
                                   container={"resources": {"limits": {"memory": "512Mi"}}}))
        rec = Recorder(c, lambda c: row(c, "p")["STATUS"])
        await rec.run_for(20)
        # Killed 1 s into each run; restarted at once the first time, then backing off.
        assert rec.changes == [(0.0, "ContainerCreating"), (START, "Running"), (START + 2, "OOMKilled"),
                               (START + 3, "CrashLoopBackOff"), (START + 12, "Running"), (START + 13, "OOMKilled"),
                               (START + 14, "CrashLoopBackOff")]
        term = container_status(c, "p")["lastState"]["terminated"]
        assert (term["exitCode"], term["reason"]) == (137, "OOMKilled")


# --- 7. graceful termination -----------------------------------------------------------------------------------


async def _deleted_after(c: Cluster, name: str, grace_period: int | None = None) -> tuple[float, list[str]]:
    """Delete a running pod; return how long it lingered and the STATUS values seen meanwhile."""
    start = c.now()
    await c.delete("pod", name, "default", grace_period=grace_period)
    seen: list[str] = []

    def gone(c: Cluster) -> bool:
        status = status_of(c, name)
        if status is not None and (not seen or seen[-1] != status):
            seen.append(status)
        return status is None

    assert await c.run_until(gone, timeout=120)
    return round(c.now() - start, 3), seen


async def test_graceful_termination() -> None:
    sleeper = {"command": ["sh", "-c", "sleep 3600"]}
    async with Cluster(nodes=1) as c:
        await c.apply([
            pod_manifest("web", image="nginx:1.25"),
            pod_manifest("shell", image="busybox:1.36", container=sleeper),
            pod_manifest("quick", image="busybox:1.36", container=sleeper, spec={"terminationGracePeriodSeconds": 5}),
            pod_manifest("tiny", image="busybox:1.36", container=sleeper, spec={"terminationGracePeriodSeconds": 1}),
            pod_manifest("custom", image="busybox:1.36", container=sleeper),
            pod_manifest("forced", image="busybox:1.36", container=sleeper),
        ])
        await c.run_for(10)
        # An app that handles SIGTERM stops in about a second.
        assert await _deleted_after(c, "web") == (1.0, ["Terminating"])
        killing = one_event(c, "web", "Killing")
        assert (killing["type"], killing["message"]) == ("Normal", "Stopping container app")
        # A shell as PID 1 ignores SIGTERM: killed when the grace period ends.
        assert await _deleted_after(c, "shell") == (30.0, ["Terminating"])
        one_event(c, "shell", "Killing", "Stopping container app")
        assert await _deleted_after(c, "quick") == (5.0, ["Terminating"])
        # The kubelet never gives a container less than 2 s.
        assert await _deleted_after(c, "tiny") == (2.0, ["Terminating"])
        assert await _deleted_after(c, "custom", grace_period=12) == (12.0, ["Terminating"])
        # Grace period 0 removes the object at once; the kubelet still stops the container.
        await c.delete("pod", "forced", "default", grace_period=0)
        assert c.get("pod", "forced") is None
        await c.run_for(0)
        one_event(c, "forced", "Killing", "Stopping container app")


async def test_deleting_a_crash_looping_pod_is_immediate() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(pod_manifest("crash", command="exit 1"))
        await c.run_for(5)
        assert row(c, "crash")["STATUS"] == "CrashLoopBackOff"
        duration, _ = await _deleted_after(c, "crash")
        assert duration == 0
        assert not pod_events(c, "crash", "Killing")


# --- 8. pod IPs and logs ---------------------------------------------------------------------------------------


async def test_pod_ips_come_from_the_node_cidr() -> None:
    async with Cluster(nodes=3) as c:
        await c.apply("""
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 9
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.25}]
""")
        await c.run_for(10)
        pods = c.list("pods", "default", selector="app=web")
        assert len(pods) == 9
        ips = [p["status"]["podIP"] for p in pods]
        assert len(set(ips)) == 9
        for pod in pods:
            node = c.get("node", pod["spec"]["nodeName"], None)
            cidr = ipaddress.ip_network(node["spec"]["podCIDR"])
            assert re.fullmatch(r"10\.244\.[1-3]\.0/24", str(cidr))
            assert ipaddress.ip_address(pod["status"]["podIP"]) in cidr
            assert pod["status"]["podIPs"] == [{"ip": pod["status"]["podIP"]}]
            assert pod["status"]["hostIP"] == node["status"]["addresses"][0]["address"]
        cidrs = {c.get("node", f"node-{i}", None)["spec"]["podCIDR"] for i in (1, 2, 3)}
        assert len(cidrs) == 3


async def test_logs_current_and_previous() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(pod_manifest("p", command="sleep 30; exit 1"))
        await c.run_for(20)
        pod = c.get("pod", "p")
        logs = c.components.kubelets.logs(pod, "app")
        assert logs is not None and len(logs) >= 2
        assert logs[0][1] == "Starting busybox:1.36: sh -c sleep 30; exit 1"
        assert c.components.kubelets.logs(pod, "app", previous=True) is None
        assert c.components.kubelets.logs(pod, "nope") is None
        await c.run_for(15)  # exited at 31.1 and restarted at once
        assert container_status(c, "p")["restartCount"] == 1
        previous = c.components.kubelets.logs(pod, "app", previous=True)
        assert previous is not None
        assert previous[-1][1] == "exited with code 1"
        current = c.components.kubelets.logs(pod, "app")
        assert current is not None and current[0] == (pytest.approx(previous[-1][0]), previous[0][1])


async def test_readiness_gates_hold_ready_and_other_components_conditions_are_kept() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                       "spec": {"readinessGates": [{"conditionType": "example.com/lb-ready"}],
                                "containers": [{"name": "app", "image": "nginx:1.25"}]}})
        await c.run_for(5)
        pod = c.get("pod", "p")
        ready = next(x for x in pod["status"]["conditions"] if x["type"] == "Ready")
        assert (ready["status"], ready["reason"]) == ("False", "ReadinessGatesNotReady")
        assert ready["message"] == (
            'corresponding condition of pod readiness gate "example.com/lb-ready" does not exist.')
        assert c.table("pods", "default")[1][0][1:3] == ["1/1", "Running"]  # containers are ready; the pod is not
        conditions = [*pod["status"]["conditions"], {"type": "example.com/lb-ready", "status": "True"}]
        c.api.patch("pods", "p", "default", {"status": {"conditions": conditions}}, subresource="status")
        await c.run_for(5)
        pod = c.get("pod", "p")
        types = {x["type"]: x["status"] for x in pod["status"]["conditions"]}
        assert types["example.com/lb-ready"] == "True" and types["Ready"] == "True"


async def test_a_recovered_node_records_that_it_is_ready_again() -> None:
    async with Cluster(nodes=1) as c:
        await c.set_node_ready("node-1", False)
        await c.run_for(120)
        await c.set_node_ready("node-1", True)
        await c.run_for(10)
        node = c.get("node", "node-1")
        ready = [e for e in c.events(involved=node) if e["reason"] == "NodeReady"]
        assert ready and ready[0]["count"] == 2
