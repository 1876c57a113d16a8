"""`spec.activeDeadlineSeconds`, as `pkg/kubelet/active_deadline.go` enforces it: once a pod has been active on
the node (since `status.startTime`) for that long, the kubelet records a Warning `DeadlineExceeded` event, fails
the pod (phase Failed, reason `DeadlineExceeded`, message `Pod was active on the node longer than the specified
deadline`) and stops its containers. The field may be lowered on a running pod; the deadline follows it.

A mixin of `Kubelet`: it uses the kubelet's `_pod`, `_after`, `_event`, `_kill_pod` and `clock`.
"""

from __future__ import annotations

from typing import Any

from .state import PodState
from .termination import KILL_DEADLINE, pod_grace_period

Obj = dict[str, Any]

DEADLINE_REASON = "DeadlineExceeded"
DEADLINE_MESSAGE = "Pod was active on the node longer than the specified deadline"


class DeadlineMixin:
    """The active-deadline handler of one kubelet."""

    def _arm_deadline(self, ps: PodState, pod: Obj) -> None:
        """(Re)set the timer for the pod's deadline when the field is new or changed."""
        seconds = (pod.get("spec") or {}).get("activeDeadlineSeconds")
        seconds = float(seconds) if isinstance(seconds, int | float) and not isinstance(seconds, bool) else None
        if seconds == ps.deadline_seconds or ps.killing or ps.failed is not None:
            return
        if ps.deadline_timer is not None:
            ps.deadline_timer.cancel()
            ps.deadline_timer = None
        ps.deadline_seconds = seconds
        if seconds is None or ps.start_time is None:
            return
        due = max(0.0, ps.start_time + seconds - self.clock.now())
        ps.deadline_timer = self._after(ps, due, lambda: self._deadline_exceeded(ps))

    def _deadline_exceeded(self, ps: PodState) -> None:
        pod = self._pod(ps)
        if pod is None or ps.killing or ps.deadline_seconds is None or ps.start_time is None:
            return
        if self.clock.now() < ps.start_time + ps.deadline_seconds:
            return  # a timer from before the deadline was raised (one frozen while the node was down)
        self._event(pod, "Warning", DEADLINE_REASON, DEADLINE_MESSAGE)
        ps.failed = (DEADLINE_REASON, DEADLINE_MESSAGE)
        self._kill_pod(ps, pod, pod_grace_period(pod), KILL_DEADLINE)
