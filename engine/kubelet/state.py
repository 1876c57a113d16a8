"""The kubelet's own records of the pods and containers it runs, and the pod status they produce.

Status generation follows `kubelet_pods.go` (getPhase, convertToAPIContainerStatuses) and
`kubelet/status/generate.go` (conditions and their reasons).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import attrs

from ..clock import Timer
from ..resources import get_pod_qos
from ..timeutil import format_time
from .behaviour import ContainerBehaviour

Obj = dict[str, Any]

# Container restart back-off (`kubelet.go` backOffPeriod / MaxContainerBackOff): 10 s doubling to 5 min.
BACKOFF_INITIAL = 10.0
BACKOFF_MAX = 300.0


KUBELET_CONDITIONS = frozenset({"PodReadyToStartContainers", "Initialized", "ContainersReady", "Ready"})


def readiness_gate_problem(pod: Obj, conditions: Any) -> str | None:
    """Why the pod's readiness gates hold it back from Ready, in the kubelet's words; None when they do not."""
    by_type = {c.get("type"): c for c in conditions or ()}
    for gate in (pod.get("spec") or {}).get("readinessGates") or ():
        kind = gate.get("conditionType", "")
        cond = by_type.get(kind)
        if cond is None:
            return f'corresponding condition of pod readiness gate "{kind}" does not exist.'
        if cond.get("status") != "True":
            return f'the status of pod readiness gate "{kind}" is not "True", but {cond.get("status")}'
    return None


@attrs.define(eq=False)
class ContainerState:
    name: str
    image: str
    is_init: bool
    sidecar: bool
    behaviour: ContainerBehaviour
    state: str = "waiting"  # waiting | running | terminated
    reason: str = "ContainerCreating"
    message: str = ""
    started_at: float | None = None
    finished_at: float | None = None
    exit_code: int = 0
    last_terminated: Obj | None = None
    restart_count: int = 0
    # The kubelet's flowcontrol.Backoff entry for this container: the current back-off (0 = no entry) and when
    # it was last advanced (the restart that began the current run).
    backoff: float = 0.0
    backoff_updated: float = 0.0
    last_finished_at: float | None = None  # when the run before the current one ended (lastState's finishedAt)
    ready: bool = False
    startup_done: bool = False
    ever_started: bool = False
    # Set when the container exits: whether the kubelet will start it again (restartPolicy, back-off pending).
    will_restart: bool = False
    container_id: str = ""
    image_pull_backoff: float = 0.0
    probe_counts: dict[str, tuple[int, int]] = attrs.Factory(dict)  # kind -> (successes, failures)
    timers: list[Timer] = attrs.Factory(list)

    def cancel_timers(self) -> None:
        for timer in self.timers:
            timer.cancel()
        self.timers.clear()

    @property
    def started(self) -> bool:
        """The container status's `started`: running, and its startup probe (if any) has passed."""
        return self.state == "running" and self.startup_done

    # flowcontrol.Backoff (client-go util/flowcontrol/backoff.go), keyed by this container. An entry counts as
    # stale once an exit comes more than 2 x max (10 min) after the entry was last advanced: a container that ran
    # that long starts over at no back-off.

    def _backoff_expired(self, finished: float) -> bool:
        return finished - self.backoff_updated > 2 * BACKOFF_MAX

    def in_backoff_since(self, finished: float, now: float) -> bool:
        """IsInBackOffSince: is a restart after the exit at `finished` still held back at `now`?"""
        if not self.backoff or self._backoff_expired(finished):
            return False
        return now - finished < self.backoff

    def next_backoff(self, finished: float, now: float) -> None:
        """Next: the restart happens now; the one after the next exit waits twice as long (up to 5 min)."""
        if not self.backoff or self._backoff_expired(finished):
            self.backoff = BACKOFF_INITIAL
        else:
            self.backoff = min(self.backoff * 2, BACKOFF_MAX)
        self.backoff_updated = now

    def retire_termination(self) -> None:
        """The current termination becomes lastState (the container restarts or waits to)."""
        if self.state == "terminated":
            self.last_terminated = self.terminated_dict()
            self.last_finished_at = self.finished_at

    def terminated_dict(self) -> Obj:
        out: Obj = {"exitCode": self.exit_code, "reason": self.reason,
                    "startedAt": format_time(self.started_at) if self.started_at is not None else None,
                    "finishedAt": format_time(self.finished_at if self.finished_at is not None else 0),
                    "containerID": self.container_id}
        if self.message:
            out["message"] = self.message
        return out

    def status(self) -> Obj:
        state: Obj
        if self.state == "running":
            state = {"running": {"startedAt": format_time(self.started_at or 0)}}
        elif self.state == "terminated":
            state = {"terminated": self.terminated_dict()}
        else:
            waiting: Obj = {"reason": self.reason}
            if self.message:
                waiting["message"] = self.message
            state = {"waiting": waiting}
        out: Obj = {
            "name": self.name,
            "state": state,
            "lastState": {"terminated": self.last_terminated} if self.last_terminated else {},
            "ready": self.ready,
            "restartCount": self.restart_count,
            "image": self.image,
            "imageID": image_id(self.image) if self.ever_started else "",
            # `started` means the startup probe passed (or there is none), for app and init containers alike.
            "started": self.started,
        }
        if self.container_id:
            out["containerID"] = self.container_id
        return out


@attrs.define(eq=False)
class PodState:
    namespace: str
    name: str
    uid: str
    restart_policy: str
    init_containers: list[ContainerState]
    containers: list[ContainerState]
    ip: str = ""
    # False while the pod waits for its volumes: no sandbox yet, hence no IP and no containers.
    sandbox_ready: bool = True
    start_time: float | None = None
    init_done: int = 0  # how many init containers completed
    terminating: bool = False  # deleted: the kubelet is stopping it before the object is removed
    # Why the containers are being stopped (termination.KILL_*), None while the pod runs: no restarts then.
    killing: str | None = None
    kill_started: float = 0.0
    kill_grace: float = 0.0
    sidecar_queue: list[ContainerState] = attrs.Factory(list)  # sidecars still waiting for their turn to stop
    # (reason, message) of a pod the kubelet failed on its own (activeDeadlineSeconds, eviction): phase Failed.
    failed: tuple[str, str] | None = None
    # The DisruptionTarget condition of a pod the kubelet evicted (its status function adds it).
    disruption: Obj | None = None
    # An evicted pod's container statuses as the kubelet posted them with the eviction, none ready: kept as its
    # last word, so kubectl's STATUS reads `Evicted`. (A real node usually posts the containers' final state
    # afterwards, and kubectl then prints that instead: Error, Completed or ContainerStatusUnknown, k/k#105467.)
    frozen_statuses: tuple[list[Obj], list[Obj]] | None = None
    deadline_timer: Timer | None = None
    deadline_seconds: float | None = None
    condition_times: dict[str, tuple[str, float]] = attrs.Factory(dict)
    timers: list[Timer] = attrs.Factory(list)
    paused_timers: list[tuple[float, Any]] = attrs.Factory(list)
    posted_status: Obj | None = None  # the status object this kubelet last wrote

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    def all_containers(self) -> list[ContainerState]:
        return [*self.init_containers, *self.containers]

    def cancel_timers(self) -> None:
        for timer in self.timers:
            timer.cancel()
        self.timers.clear()
        for c in self.all_containers():
            c.cancel_timers()

    @property
    def sidecars(self) -> list[ContainerState]:
        return [c for c in self.init_containers if c.sidecar]

    @property
    def any_app_started(self) -> bool:
        """HasAnyRegularContainerStarted: once true, a restarting sidecar no longer makes the pod initializing."""
        return any(c.ever_started for c in self.containers)

    @property
    def initialized(self) -> bool:
        """Every regular init container completed and every sidecar started (or an app container ran)."""
        if self.any_app_started:
            return True
        return self.init_done >= len([c for c in self.init_containers if not c.sidecar]) and all(
            c.started for c in self.sidecars)

    def phase(self) -> str:
        """getPhase (kubelet_pods.go). A running sidecar keeps the pod Running; a stopped one does not count."""
        if self.failed is not None:
            return "Failed"
        for c in self.init_containers:
            if not c.sidecar and c.state == "terminated" and c.exit_code != 0 and self.restart_policy == "Never":
                return "Failed"
        if not self.initialized:
            return "Pending"
        running = waiting = stopped = succeeded = 0
        for c in self.sidecars:
            if c.state == "running":
                running += 1
        for c in self.containers:
            if c.state == "running":
                running += 1
            elif c.state == "terminated":
                stopped += 1
                succeeded += c.exit_code == 0
            elif c.last_terminated is not None:
                stopped += 1
            else:
                waiting += 1
        if waiting:
            return "Pending"
        if running:
            return "Running"
        if stopped:
            if self.restart_policy == "Always" and not self.terminating:
                return "Running"
            if stopped == succeeded:
                return "Succeeded"
            if self.restart_policy == "Never" or self.terminating:
                return "Failed"
            return "Running"
        return "Pending"

    def statuses_now(self) -> tuple[list[Obj], list[Obj]]:
        """(init container statuses, container statuses) as they are now, none ready or started."""
        def unready(c: ContainerState) -> Obj:
            return {**c.status(), "ready": False, "started": False}

        return [unready(c) for c in self.init_containers], [unready(c) for c in self.containers]

    def _condition(self, kind: str, status: str, now: float, reason: str = "", message: str = "") -> Obj:
        previous = self.condition_times.get(kind)
        if previous is None or previous[0] != status:
            self.condition_times[kind] = (status, now)
        cond: Obj = {"type": kind, "status": status, "lastProbeTime": None,
                     "lastTransitionTime": format_time(self.condition_times[kind][1])}
        if reason:
            cond["reason"] = reason
        if message:
            cond["message"] = message
        return cond

    def status(self, pod: Obj, now: float, host_ip: str) -> Obj:
        phase = self.phase()
        initialized = self.initialized
        incomplete = [c.name for c in self.init_containers
                      if not (c.state == "terminated" and c.exit_code == 0) and not (c.sidecar and c.started)]
        # Sidecars count toward ContainersReady and Ready, first (GenerateContainersReadyCondition).
        unready = [c.name for c in (*self.sidecars, *self.containers) if not c.ready]
        conditions = [self._condition("PodReadyToStartContainers", "True" if self.sandbox_ready else "False", now)]
        if initialized:
            conditions.append(self._condition("Initialized", "True", now))
        else:
            conditions.append(self._condition("Initialized", "False", now, "ContainersNotInitialized",
                                              f"containers with incomplete status: [{' '.join(incomplete)}]"))
        if phase == "Succeeded":
            ready_reason, ready_message = "PodCompleted", ""
        elif unready:
            ready_reason = "ContainersNotReady"
            ready_message = f"containers with unready status: [{' '.join(unready)}]"
        else:
            ready_reason = ready_message = ""
        containers_ready = "True" if not unready and phase == "Running" and initialized else "False"
        reason, message = (ready_reason, ready_message) if containers_ready == "False" else ("", "")
        existing = (pod.get("status") or {}).get("conditions") or ()
        gate_problem = readiness_gate_problem(pod, existing) if containers_ready == "True" else None
        if gate_problem is not None:
            conditions.append(self._condition("Ready", "False", now, "ReadinessGatesNotReady", gate_problem))
        else:
            conditions.append(self._condition("Ready", containers_ready, now, reason, message))
        conditions.append(self._condition("ContainersReady", containers_ready, now, reason, message))
        # Conditions other components own (PodScheduled, DisruptionTarget, readiness gates) are kept as they are.
        conditions.extend(cond for cond in existing if cond.get("type") not in KUBELET_CONDITIONS
                          and not (self.disruption and cond.get("type") == "DisruptionTarget"))
        if self.disruption is not None:  # podutil.UpdatePodCondition: appended, with its transition time
            conditions.append(self._condition("DisruptionTarget", "True", now, self.disruption["reason"],
                                              self.disruption["message"]))
        init_statuses, statuses = self.frozen_statuses or (
            [c.status() for c in self.init_containers], [c.status() for c in self.containers])
        status: Obj = {
            "phase": phase,
            "conditions": conditions,
            "hostIP": host_ip,
            "hostIPs": [{"ip": host_ip}],
            "startTime": format_time(self.start_time if self.start_time is not None else now),
            "containerStatuses": statuses,
            "qosClass": get_pod_qos(pod),
        }
        if self.failed is not None:
            status["reason"], status["message"] = self.failed
        if self.ip:
            status["podIP"] = self.ip
            status["podIPs"] = [{"ip": self.ip}]
        if self.init_containers:
            status["initContainerStatuses"] = init_statuses
        return status


def image_ref(image: str) -> str:
    """`nginx` → `docker.io/library/nginx:latest`, as containerd resolves short names."""
    name, digest = ([*image.split("@", 1), ""])[:2]
    last = name.rsplit("/", 1)[-1]
    if ":" not in last:
        name += ":latest"
    first = name.split("/", 1)[0]
    if "/" not in name:
        name = f"docker.io/library/{name}"
    elif "." not in first and ":" not in first and first != "localhost":
        name = f"docker.io/{name}"
    return f"{name}@{digest}" if digest else name


def _fnv(text: str) -> int:
    h = 0xCBF29CE484222325
    for byte in text.encode():
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


@lru_cache(maxsize=4096)
def image_id(image: str) -> str:
    ref = image_ref(image).split(":")[0].split("@")[0]
    digest = "".join(f"{_fnv(image + str(i)):016x}" for i in range(4))
    return f"{ref}@sha256:{digest}"


def image_size(image: str) -> int:
    """A stable, plausible image size (20 to 200 MB) for the `Pulled` event."""
    return 20_000_000 + _fnv(image) % 180_000_000
