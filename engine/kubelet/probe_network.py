"""Probes that the simulated network decides: an exec probe whose command k9py can run (`curl -f
http://other-svc/`, `nc -z db 5432`, `wget -q --spider ...`, see shell_behaviour.py) runs in the container's
simulated shell, and an httpGet or tcpSocket probe with a `host` is sent through the data plane. Their outcome can
change whenever the cluster does, so their loops never stop as the annotation-driven ones do.

How a real kubelet probes, and what k9py does:
- exec: the runtime runs the command in the container (ExecSync) with `timeoutSeconds` (default 1); the probe
  fails with the command's output (stdout and stderr), or with `command "..." timed out` when the timeout kills
  it (remote_runtime.go ExecSync, probe/exec/exec.go).
- httpGet / tcpSocket: sent by the kubelet itself, from the node's network namespace, to `host` (default: the
  pod's IP), never through the pod. A `host` name is looked up with the node's resolver, which knows no
  cluster.local names; a cluster IP works (kube-proxy's rules are on the node). Go's error strings are the
  failure messages (`Get "http://...": dial tcp ...: connect: connection refused`, `HTTP probe failed with
  statuscode: 503`, `dial tcp ...: i/o timeout`).
- Without a `host`, an httpGet, tcpSocket or grpc probe goes to the container itself and stays decided by its
  simulated app (the `sim.k9py.io/*` annotations: probes.py), whatever `ports` declares: a real app listens
  wherever it binds. NetworkPolicy never applies to it: traffic from the node a pod runs on is always allowed
  (the NetworkPolicy docs' exception; the data plane's policy.py says the same for a probe with a `host`).

A mixin of `Kubelet` (with ScriptMixin): it uses `_process`, `_scheduler`, `host` and `name`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..network.dns import NODE_RESOLV_CONF
from ..network.trace import ANSWERED, NO_ROUTE, REFUSED, TIMEOUT, UNRESOLVED, Trace
from .behaviour import script_of
from .probes import container_port
from .shell import Capture, run_program
from .shell_behaviour import Stepper, runnable

if TYPE_CHECKING:
    from .state import ContainerState, PodState

Obj = dict[str, Any]
Report = Callable[[bool, str], None]  # (failed, the event's message)
DEFAULT_TIMEOUT = 1.0  # timeoutSeconds' default


def exec_runnable(probe: Obj) -> list[str] | None:
    """The exec probe's command when k9py runs it in the simulated shell, else None."""
    command = (probe.get("exec") or {}).get("command") if isinstance(probe.get("exec"), dict) else None
    if not isinstance(command, list) or not command:
        return None
    argv = [str(a) for a in command]
    script = script_of({"command": argv})
    return argv if script is not None and runnable(script) else None


def _address(trace: Trace, host: str) -> str:
    """The address the name resolved to (the host itself when it was one)."""
    for resolution in trace.dns:
        if resolution.addresses:
            return resolution.addresses[0]
    return host


def socket_failure(trace: Trace, host: str, port: Any) -> str:
    """Go's net.Dial error for a failed connection."""
    if trace.outcome == UNRESOLVED:
        nameserver = NODE_RESOLV_CONF.nameservers[0] if NODE_RESOLV_CONF.nameservers else "127.0.0.53"
        return f"dial tcp: lookup {host} on {nameserver}:53: no such host"
    target = f"{_address(trace, host)}:{port}"
    if trace.outcome == TIMEOUT:
        return f"dial tcp {target}: i/o timeout"
    why = {REFUSED: "connection refused", NO_ROUTE: "no route to host"}.get(trace.outcome, trace.message)
    return f"dial tcp {target}: connect: {why}"


class NetworkProbeMixin:
    """Runs the probes the network decides; `_network_probe` says whether it took the probe."""

    def _network_probe(self, ps: PodState, c: ContainerState, pod: Obj, spec: Obj, probe: Obj,
                       report: Report) -> bool:
        argv = exec_runnable(probe)
        if argv is not None:
            self._exec_probe(ps, c, pod, probe, argv, report)
            return True
        http, tcp = probe.get("httpGet"), probe.get("tcpSocket")
        target = http if isinstance(http, dict) else tcp if isinstance(tcp, dict) else None
        if target is None or not target.get("host") or getattr(self.host, "network", None) is None:
            return False
        self._socket_probe(ps, c, probe, spec, http if isinstance(http, dict) else None, target, report)
        return True

    def _probe_timeout(self, probe: Obj) -> float:
        try:
            return max(1.0, float(probe.get("timeoutSeconds", DEFAULT_TIMEOUT)))
        except (TypeError, ValueError):
            return DEFAULT_TIMEOUT

    def _exec_probe(self, ps: PodState, c: ContainerState, pod: Obj, probe: Obj, argv: list[str],
                    report: Report) -> None:
        output = Capture()  # ExecSync's stdout and stderr, as the probe's output
        process = self._process(ps, pod, c, output, output)
        schedule = self._scheduler(ps, c)

        def done(code: int) -> None:
            report(code != 0, output.value().decode(errors="replace").rstrip("\n"))

        stepper = Stepper(run_program(process, argv), schedule, done)

        def timed_out() -> None:
            if not stepper.finished:
                stepper.stop()
                report(True, f'command "{" ".join(argv)}" timed out')

        schedule(self._probe_timeout(probe), timed_out)
        stepper.step()

    def _socket_probe(self, ps: PodState, c: ContainerState, probe: Obj, spec: Obj, http: Obj | None, target: Obj,
                      report: Report) -> None:
        host = str(target["host"])
        port = container_port(target.get("port"), spec)
        timeout = self._probe_timeout(probe)
        if http is not None:
            scheme = str(http.get("scheme") or "HTTP").lower()
            url = f"{scheme}://{host}:{port}{http.get('path') or '/'}"
            headers = {str(h.get("name")): str(h.get("value")) for h in http.get("httpHeaders") or ()
                       if isinstance(h, dict)}
        else:
            url, headers = f"http://{host}:{port}/", {}
        trace = self.host.network().request(f"node/{self.name}", url, "GET", headers)
        if trace.outcome == ANSWERED:
            status = trace.response.status if trace.response is not None else 200
            # probe/http: 200 to 399 is success (a redirect is not followed off the host, and counts as success).
            failed = http is not None and not 200 <= status < 400
            report(failed, f"HTTP probe failed with statuscode: {status}" if failed else "")
            return
        if trace.outcome == TIMEOUT:
            message = (f'Get "{url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
                       if http is not None else socket_failure(trace, host, port))
            self._scheduler(ps, c)(timeout, lambda: report(True, message))
            return
        failure = socket_failure(trace, host, port)
        report(True, f'Get "{url}": {failure}' if http is not None else failure)
