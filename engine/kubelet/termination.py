"""Stopping a pod's containers: on deletion, when the pod's active deadline passes, and when a pod with sidecars
has finished its work.

Follows `pkg/kubelet/kuberuntime/kuberuntime_container.go` (killContainer, killContainersWithSyncResult) and
`kuberuntime_termination_order.go`: every running container gets its `Killing` event at once; the app
containers are sent SIGTERM at once; each sidecar (an init container with `restartPolicy: Always`) waits until
every app container and every sidecar declared after it has exited, or until the grace period runs out, and then
gets what is left of the grace period (never less than 2 s). So sidecars stop last, in reverse order.

A mixin of `Kubelet`: it uses the kubelet's `_pod`, `_after`, `_post`, `_event`, `_field`, `_forget`,
`_delete_now`, `clock` and `logs`.
"""

from __future__ import annotations

import math
from typing import Any

from .state import ContainerState, PodState

Obj = dict[str, Any]

# killContainer never gives a container less than this (minimumGracePeriodInSeconds).
MIN_GRACE_SECONDS = 2.0
DEFAULT_GRACE_SECONDS = 30

# Why the kubelet is stopping a pod's containers (PodState.killing).
KILL_DELETE = "delete"          # the pod is being deleted: the object is removed once everything stopped
KILL_DEADLINE = "deadline"      # activeDeadlineSeconds passed: the pod is Failed, the object stays
KILL_COMPLETE = "complete"      # the app containers are done for good: the sidecars must not keep it alive


def stop_time(c: ContainerState, grace: float) -> tuple[float, int]:
    """(seconds until a SIGTERMed container is gone, its exit code)."""
    grace = max(grace, MIN_GRACE_SECONDS)
    if c.behaviour.ignores_sigterm or c.behaviour.stop_seconds > grace:
        return grace, 137  # SIGKILL at the end of the grace period
    return c.behaviour.stop_seconds, 0


def pod_grace_period(pod: Obj) -> float:
    """The grace period of a deletion (the DELETE's own, else the pod's terminationGracePeriodSeconds)."""
    grace = (pod.get("metadata") or {}).get("deletionGracePeriodSeconds")
    if grace is None:
        grace = (pod.get("spec") or {}).get("terminationGracePeriodSeconds", DEFAULT_GRACE_SECONDS)
    return float(grace)


class TerminationMixin:
    """Pod-level kills with sidecar termination ordering."""

    @staticmethod
    def _stop_time(c: ContainerState, grace: float) -> tuple[float, int]:
        return stop_time(c, grace)

    def _terminate(self, ps: PodState, pod: Obj) -> None:
        """The pod was deleted (it has a deletionTimestamp): stop everything, then remove the object."""
        ps.terminating = True
        self._kill_pod(ps, pod, pod_grace_period(pod), KILL_DELETE)

    def _kill_pod(self, ps: PodState, pod: Obj, grace: float, why: str) -> None:
        """killPodWithSyncResult: Killing events for every running container, SIGTERM to the app containers,
        the sidecars queued in reverse order for their turn."""
        ps.killing = why
        ps.cancel_timers()  # no probes, no restarts, no exits of their own: only the stop timers below
        running = [c for c in ps.all_containers() if c.state == "running"]
        for c in running:
            self._event(pod, "Normal", "Killing", f"Stopping container {c.name}", self._field(c))
        ps.kill_started, ps.kill_grace = self.clock.now(), grace
        for c in ps.containers:
            if c.state == "running":
                self._sigterm(ps, c, grace)
        ps.sidecar_queue = [c for c in reversed(ps.init_containers) if c.sidecar and c.state == "running"]
        # A deleted pod's containers stay ready until they stop (prober_manager.UpdatePodStatus keeps a running
        # container's last readiness result): it reads 1/1 Terminating, and its EndpointSlice endpoint is serving
        # and terminating, which kube-proxy falls back to when nothing else is ready. Upstream keeps probing
        # readiness meanwhile; here the last result holds until the container exits. A pod the kubelet fails
        # (deadline, eviction) is terminal: nothing in it is ready.
        if why != KILL_DELETE:
            for c in ps.all_containers():
                c.ready = False
        if ps.sidecar_queue:
            # waitForTurn gives up when the grace period is over: the sidecars still waiting are sent SIGTERM
            # with the minimum grace.
            self._after(ps, grace, lambda: self._sidecars_out_of_time(ps))
        self._sidecar_turns(ps)
        self._post(ps)
        if not running:
            self._all_stopped(ps)

    def _sigterm(self, ps: PodState, c: ContainerState, grace: float) -> None:
        stop_after, code = self._stop_time(c, grace)
        self._after(ps, stop_after, lambda: self._stopped(ps, c, code), c)

    def _sidecar_turns(self, ps: PodState) -> None:
        """Send SIGTERM to the next sidecar once the app containers and the sidecars declared after it exited."""
        while ps.sidecar_queue:
            if any(c.state == "running" for c in ps.containers):
                return
            head = ps.sidecar_queue[0]
            later = ps.init_containers[ps.init_containers.index(head) + 1:]
            if any(c.sidecar and c.state == "running" and c not in ps.sidecar_queue for c in later):
                return
            ps.sidecar_queue.pop(0)
            # The seconds waited come off the grace period, truncated to whole seconds as upstream does.
            waited = math.floor(self.clock.now() - ps.kill_started)
            self._sigterm(ps, head, ps.kill_grace - waited)

    def _sidecars_out_of_time(self, ps: PodState) -> None:
        queue, ps.sidecar_queue = ps.sidecar_queue, []
        for c in queue:
            self._sigterm(ps, c, 0.0)

    def _stopped(self, ps: PodState, c: ContainerState, code: int) -> None:
        now = self.clock.now()
        c.cancel_timers()
        c.state, c.exit_code, c.reason, c.finished_at = "terminated", code, "Completed" if code == 0 else "Error", now
        c.message = ""
        c.ready = False
        self._usage_stopped(c)
        self.logs.stopped(ps, c, now)
        self._sidecar_turns(ps)
        if not any(x.state == "running" for x in ps.all_containers()):
            self._all_stopped(ps)
        else:
            self._post(ps)

    def _all_stopped(self, ps: PodState) -> None:
        self._post(ps)
        if ps.killing != KILL_DELETE:
            return  # a Failed or Succeeded pod stays until someone deletes it (its controller, PodGC)
        pod = self._pod(ps)
        self._forget(ps)
        if pod is not None:
            self._delete_now(pod)
