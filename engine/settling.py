"""When a cluster has settled, for `k9py check`.

Healthy at one instant is not converged: a container that exits after 2 s is Running and Ready for 2 s, and a
Deployment of it is Healthy until then. So a check converges only when every declared object is Healthy, no pod
has a problem, and the pods have been stable for `SETTLE_WINDOW` seconds of cluster time (no pod created or
deleted, no container restarted, no readiness change) with every running container past its first crash
opportunity: the moment its simulated behaviour (a `sleep 2; exit 1` command, an exit-after annotation, a
liveness or readiness probe that starts failing) would first make it fail. Virtual time is free, so waiting costs
nothing but the work the cluster does meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from .kubelet.behaviour import BehaviourError, ContainerBehaviour, ProbeBehaviour, container_behaviour
from .timeutil import parse_time

Obj = dict[str, Any]
SETTLE_WINDOW = 60.0
# A probe that starts failing fails the container after failureThreshold periods (upstream's defaults).
DEFAULT_PROBE_PERIOD = 10.0
DEFAULT_FAILURE_THRESHOLD = 3


@attrs.frozen
class Unproven:
    """A running container that has not yet lived past the moment it would first fail."""

    pod: Obj
    container: str
    ran: float  # seconds it has run
    fails_at: float  # seconds into its run when it first fails


def pod_fingerprint(pods: Iterable[Obj]) -> frozenset[tuple[Any, ...]]:
    """What must stay the same over the settle window: which pods exist, their containers' restarts and
    readiness."""
    out = set()
    for pod in pods:
        status = pod.get("status") or {}
        containers = tuple((cs.get("name"), cs.get("restartCount", 0), bool(cs.get("ready")))
                           for cs in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses")
                                                                                      or []))
        out.add((pod["metadata"].get("uid"), containers))
    return frozenset(out)


def _probe_failure(behaviour: ProbeBehaviour, probe: Obj | None) -> float | None:
    if probe is None or behaviour.mode == "pass":
        return None
    period = probe.get("periodSeconds", DEFAULT_PROBE_PERIOD)
    threshold = probe.get("failureThreshold", DEFAULT_FAILURE_THRESHOLD)
    delay = probe.get("initialDelaySeconds", 0)
    start = behaviour.after if behaviour.mode == "fail-after" else 0.0
    return float(max(start, delay)) + float(period) * float(threshold)


def first_failure(behaviour: ContainerBehaviour, container: Obj) -> float | None:
    """Seconds into a run when the container first fails (exits, or is failed by a probe); None: never."""
    moments = [behaviour.exit_after,
               _probe_failure(behaviour.liveness, container.get("livenessProbe")),
               _probe_failure(behaviour.readiness, container.get("readinessProbe"))]
    found = [m for m in moments if m is not None]
    return min(found) if found else None


def unproven_containers(pods: Iterable[Obj], now: float) -> list[Unproven]:
    """Running main containers (and sidecars) that have not yet run past their first failure."""
    out = []
    for pod in pods:
        spec, status = pod.get("spec") or {}, pod.get("status") or {}
        if pod["metadata"].get("deletionTimestamp") or status.get("phase") not in ("Pending", "Running"):
            continue
        specs = {c.get("name"): c for c in spec.get("containers") or []}
        sidecars = {c.get("name"): c for c in spec.get("initContainers") or [] if c.get("restartPolicy") == "Always"}
        statuses = (status.get("containerStatuses") or []) + (status.get("initContainerStatuses") or [])
        for cs in statuses:
            container = specs.get(cs.get("name")) or sidecars.get(cs.get("name"))
            started = ((cs.get("state") or {}).get("running") or {}).get("startedAt")
            if container is None or not started:
                continue
            try:
                # A sidecar runs as long as the pod does: it behaves as a main container, not an init step.
                fails_at = first_failure(container_behaviour(pod, container, is_init=False), container)
            except BehaviourError:
                continue  # the kubelet reports a bad annotation itself
            ran = now - parse_time(started)
            if fails_at is not None and ran <= fails_at:
                out.append(Unproven(pod, cs["name"], ran, fails_at))
    return out
