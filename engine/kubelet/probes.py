"""Container probes as the kubelet's prober workers run them: startup gates liveness and readiness; a failed
liveness or startup probe kills the container (which then restarts per the pod's restartPolicy); readiness moves
the container's `ready` flag (`pkg/kubelet/prober/worker.go`, `prober_manager.go`).

Probes that keep passing cost nothing: once a probe's outcome can no longer change, its loop stops, so an idle
cluster writes nothing but heartbeats (a real kubelet also writes nothing for passing probes).

A mixin of `Kubelet`: it uses the kubelet's `_pod`, `_after`, `_post`, `_event`, `_field`, `_spec`, `_run_next`,
`_exited`, `_stop_time`, `_scheduler` (shell_behaviour.py) and `_network_probe` (probe_network.py, for the probes
the network decides).
"""

from __future__ import annotations

from typing import Any

from .state import ContainerState, PodState

Obj = dict[str, Any]


def container_port(port: Any, container: Obj) -> Any:
    """A probe's port as the kubelet dials it: a name (`port: http`) is the container's port of that name, as
    upstream's probe ResolveContainerPort finds it; a name no port has is left as written."""
    if isinstance(port, str) and not port.isdigit():
        for declared in container.get("ports") or ():
            if declared.get("name") == port:
                return declared.get("containerPort", port)
    return port


class ProbeMixin:
    """The probe loops of one kubelet."""

    def _start_probe(self, ps: PodState, c: ContainerState, spec: Obj, kind: str) -> None:
        probe = spec.get(kind)
        if not isinstance(probe, dict):
            return
        self._after(ps, float(probe.get("initialDelaySeconds", 0)), lambda: self._probe(ps, c, spec, kind), c)

    def _probe_fails(self, c: ContainerState, kind: str, run: float) -> bool:
        if run < c.behaviour.start_seconds:
            return True  # the app is not listening yet
        if kind == "readinessProbe":
            return c.behaviour.readiness.failing_at(run)
        if kind == "livenessProbe":
            return c.behaviour.liveness.failing_at(run)
        return False

    def _probe_failure_text(self, ps: PodState, probe: Obj, run: float, c: ContainerState, container: Obj) -> str:
        if "httpGet" in probe:
            http = probe["httpGet"]
            if run < c.behaviour.start_seconds:
                port = container_port(http.get("port"), container)
                return (f'Get "{http.get("scheme", "HTTP").lower()}://{ps.ip}:{port}{http.get("path", "/")}": '
                        f"dial tcp {ps.ip}:{port}: connect: connection refused")
            return "HTTP probe failed with statuscode: 503"
        if "tcpSocket" in probe:
            port = container_port(probe["tcpSocket"].get("port"), container)
            return f"dial tcp {ps.ip}:{port}: connect: connection refused"
        if "grpc" in probe:
            return f'timeout: failed to connect service ":{probe["grpc"].get("port")}" within 1s'
        command = (probe.get("exec") or {}).get("command") or []
        if len(command) == 2 and command[0] == "cat":
            return f"cat: can't open '{command[1]}': No such file or directory"
        return ""

    def _probe(self, ps: PodState, c: ContainerState, spec: Obj, kind: str) -> None:
        pod = self._pod(ps)
        if pod is None or c.state != "running" or c.started_at is None:
            return
        probe = spec[kind]
        run = c.container_id

        def network_outcome(failed: bool, message: str) -> None:
            if c.container_id == run and c.state == "running":  # the run it probed still runs
                self._probe_outcome(ps, c, spec, kind, failed, message, live=True)

        if self._network_probe(ps, c, pod, spec, probe, network_outcome):
            return  # probe_network.py: the data plane or the container's shell decides, maybe later
        elapsed = self.clock.now() - c.started_at
        failed = self._probe_fails(c, kind, elapsed)
        message = self._probe_failure_text(ps, probe, elapsed, c, spec) if failed else ""
        self._probe_outcome(ps, c, spec, kind, failed, message, live=False)

    def _probe_outcome(self, ps: PodState, c: ContainerState, spec: Obj, kind: str, failed: bool, message: str,
                       live: bool) -> None:
        """A probe's result, as the prober worker takes it. `live`: the network decided it, so it may change any
        time and the probe goes on every period."""
        pod = self._pod(ps)
        if pod is None or c.started_at is None:
            return
        probe = spec[kind]
        run = self.clock.now() - c.started_at
        period = float(probe.get("periodSeconds", 10))
        success_threshold = int(probe.get("successThreshold", 1))
        failure_threshold = int(probe.get("failureThreshold", 3))
        successes, failures = c.probe_counts.get(kind, (0, 0))
        field = self._field(c)
        label = {"readinessProbe": "Readiness", "livenessProbe": "Liveness", "startupProbe": "Startup"}[kind]
        if failed:
            successes, failures = 0, failures + 1
            self._event(pod, "Warning", "Unhealthy", f"{label} probe failed: {message}", field)
        else:
            successes, failures = successes + 1, 0
        c.probe_counts[kind] = (successes, failures)

        if kind == "startupProbe":
            if not failed:
                c.startup_done = True
                c.ready = "readinessProbe" not in spec
                self._start_probe(ps, c, {**spec, "readinessProbe": {**spec["readinessProbe"],
                                                                     "initialDelaySeconds": 0}}
                                  if "readinessProbe" in spec else spec, "readinessProbe")
                self._start_probe(ps, c, spec, "livenessProbe")
                self._post(ps)
                if c.sidecar:
                    # A sidecar counts as started only now: the next init container (or the app containers)
                    # waited for this (computeInitContainerActions).
                    self._run_next(ps)
                return
            if failures >= failure_threshold:
                self._kill_for_probe(ps, c, pod, "startup")
                return
        elif kind == "livenessProbe":
            if failed and failures >= failure_threshold:
                self._kill_for_probe(ps, c, pod, "liveness")
                return
        else:
            ready = c.ready
            if not failed and successes >= success_threshold:
                ready = True
            elif failed and (failures >= failure_threshold or not c.ready):
                ready = False
            if ready != c.ready:
                c.ready = ready
                self._post(ps)
        delay = period if live else self._next_probe_delay(c, kind, run, period, failed)
        if delay is not None:
            self._scheduler(ps, c)(delay, lambda: self._probe(ps, c, spec, kind))

    def _next_probe_delay(self, c: ContainerState, kind: str, run: float, period: float,
                          failed: bool) -> float | None:
        """When the next probe matters; None when its outcome can no longer change."""
        if failed:
            return period
        behaviour = c.behaviour.readiness if kind == "readinessProbe" else c.behaviour.liveness
        if kind == "readinessProbe" and c.probe_counts[kind][0] < 1:
            return period
        if behaviour.mode == "fail-after" and run < behaviour.after:
            periods = max(1, -(-(behaviour.after - run) // period))
            return periods * period
        if kind == "readinessProbe" and not c.ready:
            return period  # still collecting successes toward successThreshold
        return None

    def _kill_for_probe(self, ps: PodState, c: ContainerState, pod: Obj, which: str) -> None:
        """Stop a container whose liveness/startup probe failed, as killContainer does: SIGTERM, then SIGKILL
        when the grace period (the probe's own, else the pod's) runs out."""
        restart = c.sidecar or ps.restart_policy != "Never"
        message = f"Container {c.name} failed {which} probe" + (", will be restarted" if restart else "")
        self._event(pod, "Normal", "Killing", message, self._field(c))
        probe = self._spec(ps, c).get(f"{which}Probe") or {}
        grace = probe.get("terminationGracePeriodSeconds")
        if grace is None:
            grace = pod["spec"].get("terminationGracePeriodSeconds", 30)
        c.cancel_timers()  # probes stop; a process that was about to exit on its own is killed first
        stop_after, code = self._stop_time(c, float(grace))
        self._after(ps, stop_after, lambda: self._exited(ps, c, code, "Completed" if code == 0 else "Error",
                                                         killed_by_probe=True), c)
