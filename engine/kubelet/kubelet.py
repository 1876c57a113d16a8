"""A simulated kubelet: one per node, driving the pods bound to it through their lifecycle on the engine clock.

What it does, in Kubernetes terms: registers its Node and keeps its heartbeats (`heartbeat.py`); pulls images (cached
per node, but not serialized as a real kubelet's puller is); runs init containers in order, then the app containers;
runs startup, readiness and liveness probes on their declared timing; restarts containers per restartPolicy with
back-off 10 s doubling to 5 min (reset after 10 min of running), showing the exit (Error, OOMKilled) until the
next sync reports CrashLoopBackOff; runs sidecars (init containers with `restartPolicy: Always`) next to the app
containers; stops containers gracefully (SIGTERM, SIGKILL after the grace period) on deletion and failed probes;
posts pod status.

Probes live in `probes.py`, pod-level kills (deletion, sidecar ordering) in `termination.py`.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections import deque
from collections.abc import Callable
from typing import Any

from .. import podutil
from ..clock import Timer
from ..errors import ApiError
from ..events import KUBELET
from ..metrics.usage import Account
from ..resources import get_pod_qos
from ..scheduler.node_info import NodeInfo
from ..timeutil import format_time, go_duration
from .admission import REJECTED_PREFIX, admission_failure
from .behaviour import BehaviourError, ContainerBehaviour, container_behaviour
from .config_refs import env_error
from .container_config import ContainerBook
from .container_env import expand_command
from .deadline import DeadlineMixin
from .eviction import EvictionMixin
from .heartbeat import NODE_STATUS_REPORT_SECONDS, HeartbeatMixin
from .logs import LogBook
from .probe_network import NetworkProbeMixin
from .probes import ProbeMixin
from .shell_behaviour import ScriptMixin
from .state import (
    BACKOFF_INITIAL,
    BACKOFF_MAX,
    KUBELET_CONDITIONS,
    ContainerState,
    PodState,
    image_ref,
    image_size,
)
from .termination import KILL_COMPLETE, TerminationMixin, pod_grace_period
from .usage import UsageMixin
from .volumes import VolumeMixin, VolumeSetup

Obj = dict[str, Any]

ERR_IMAGE_PULL_SHOWN_FOR = 1.0  # ErrImagePull turns into ImagePullBackOff on the next sync
# The PLEG relists containers every second: an exit shows as Error/OOMKilled until the sync it triggers, which
# finds the container in back-off and reports CrashLoopBackOff.
PLEG_RELIST_SECONDS = 1.0
# A pod whose sync failed (back-off) is retried after the pod worker's backOffPeriod; every retry inside the
# back-off window records the BackOff event again, so its count climbs as on a real node.
BACKOFF_RESYNC_SECONDS = 10.0



def _pull_duration(seconds: float) -> str:
    text = f"{seconds:.3f}".rstrip("0").rstrip(".")
    return f"{text}s" if seconds < 60 else go_duration(seconds)


class Kubelet(HeartbeatMixin, ProbeMixin, TerminationMixin, DeadlineMixin, VolumeMixin, ScriptMixin,
              NetworkProbeMixin, UsageMixin, EvictionMixin):
    def __init__(self, host: Any, name: str, index: int) -> None:
        self.host = host  # the KubeletManager: api, clock, recorder, store
        self.name = name
        self.index = index
        self.running = True
        self.down_since: float | None = None  # when `stop` took the node dark: metrics-server's last scrape of it
        # Addresses counted on from a base, so node 300 gets 10.245.44.0/24 and 172.18.1.46, not an invalid
        # 10.244.300.0/24: kind's node network and a /24 per node out of the cluster CIDR (see POD_NETWORK).
        self.host_ip = str(ipaddress.IPv4Address("172.18.0.2") + index)
        self._pod_base = ipaddress.IPv4Address("10.244.0.0") + 256 * index
        self._pod_prefix = str(self._pod_base).rsplit(".", 1)[0] + "."
        self.pod_cidr = f"{self._pod_base}/24"
        self.pods: dict[str, PodState] = {}
        self._admitted: NodeInfo | None = None  # `_admitted_info`, built at the first admission
        self.images: set[str] = set()
        self._next_ip = 2
        self._used_ips: set[int] = set()
        self.logs = LogBook()
        self.configs = ContainerBook(host.store, host.clock, name)  # environments and mounted files
        self._volume_setups: dict[str, VolumeSetup] = {}  # pod uid -> its wait for volumes (volumes.py)
        self.accounts: dict[str, Account] = {}  # container ID -> its usage (usage.py), closed ones for a while
        self._oom_timers: dict[str, Timer] = {}
        self._closed: deque[tuple[float, str]] = deque()

    # --- plumbing ------------------------------------------------------------------------------------------

    @property
    def api(self) -> Any:
        return self.host.api

    @property
    def clock(self) -> Any:
        return self.host.clock

    def _event(self, pod: Obj, kind: str, reason: str, message: str, field_path: str | None = None) -> None:
        self.host.recorder.record(pod, kind, reason, message, KUBELET, host=self.name, field_path=field_path)

    @staticmethod
    def _field(c: ContainerState) -> str:
        return f"spec.{'initContainers' if c.is_init else 'containers'}{{{c.name}}}"

    def _resync_while(self, ps: PodState, c: ContainerState, until: float, fn: Callable[[], None]) -> None:
        """Call `fn` every BACKOFF_RESYNC_SECONDS while still before `until` (pod worker retries in back-off)."""
        if self.clock.now() + BACKOFF_RESYNC_SECONDS >= until:
            return

        def tick() -> None:
            fn()
            self._resync_while(ps, c, until, fn)

        self._after(ps, BACKOFF_RESYNC_SECONDS, tick, c)

    def _pod(self, ps: PodState) -> Obj | None:
        pod = self.host.store.get("pods", ps.namespace, ps.name)
        if pod is None or pod["metadata"].get("uid") != ps.uid:
            return None
        return pod

    def _after(self, ps: PodState, delay: float, fn: Callable[[], None],
               container: ContainerState | None = None) -> Timer:
        """Run `fn` after `delay` unless the pod is gone or the node is down by then."""
        def fire() -> None:
            if self.running and self.pods.get(ps.key) is ps:
                fn()

        timer = self.clock.call_later(delay, fire)
        (container.timers if container is not None else ps.timers).append(timer)
        return timer

    def _post(self, ps: PodState) -> None:
        pod = self._pod(ps)
        if pod is None:
            return
        status = ps.status(pod, self.clock.now(), self.host_ip)
        if status != pod.get("status"):
            # Recorded before the write: the store tells watchers synchronously, and a trusted write stores this
            # very dict, so the kubelet recognises the echo of its own write.
            previous, ps.posted_status = ps.posted_status, status
            try:
                self.api.update_status({**pod, "status": status}, trusted=True)
            except ApiError:
                ps.posted_status = previous
            else:
                if status.get("phase") in ("Succeeded", "Failed"):
                    self._release_admitted(ps.key)

    def _allocate_ip(self) -> str:
        for _ in range(253):
            candidate = self._next_ip
            self._next_ip = 2 if self._next_ip >= 254 else self._next_ip + 1
            if candidate not in self._used_ips:
                self._used_ips.add(candidate)
                return f"{self._pod_prefix}{candidate}"
        return ""

    def _release_ip(self, ip: str) -> None:
        if ip.startswith(self._pod_prefix):
            self._used_ips.discard(int(ip.rsplit(".", 1)[1]))

    # --- node failure --------------------------------------------------------------------------------------

    def stop(self) -> None:
        """The node goes dark: no heartbeats, no status, no progress (timers are frozen, not lost)."""
        if not self.running:
            return
        self.running = False
        self._stop_heartbeats()
        now = self.down_since = self.clock.now()
        for ps in self.pods.values():
            frozen = []
            for owner in (ps, *ps.all_containers()):
                for timer in owner.timers:
                    if not timer.cancelled:
                        frozen.append((owner, max(0.0, timer.when - now), timer.callback))
                        timer.cancel()
                owner.timers.clear()
            ps.paused_timers = frozen

    def resume(self) -> None:
        if self.running:
            return
        self.running, self.down_since = True, None
        for ps in list(self.pods.values()):
            for owner, remaining, callback in ps.paused_timers:
                owner.timers.append(self.clock.call_later(remaining, callback))
            ps.paused_timers = []
        self._renew_lease()  # also schedules the next renewal
        self.post_ready()
        self._eviction_poke()  # the eviction manager's loop stopped with the node: it looks again
        self._status_timer = self.clock.call_later(NODE_STATUS_REPORT_SECONDS, self._report_node_status)
        # Relist, as a restarted kubelet does: pods it knew (some may be gone) and pods bound while it was away.
        keys = set(self.pods) | {f"{p['metadata'].get('namespace', '')}/{p['metadata']['name']}"
                                 for p in self.host.store.iter("pods") if p["spec"].get("nodeName") == self.name}
        for key in sorted(keys):
            self.host.queue.add(key)

    # --- a container's process ending on its own ------------------------------------------------------------

    def process_exited(self, key: str, uid: str, container: str, code: int) -> bool:
        """A running container's main process ended with `code`, as a process k9py runs for it reports (an
        attached interactive shell told `exit`): the container terminates as if its command had finished, and
        restarts or not by the pod's policy. False when that container is not running here."""
        ps = self.pods.get(key)
        if ps is None or ps.uid != uid or not self.running:
            return False
        c = next((c for c in ps.all_containers() if c.name == container and c.state == "running"), None)
        if c is None:
            return False
        self._exited(ps, c, code, "Completed" if code == 0 else "Error")
        return True

    # --- pod sync ------------------------------------------------------------------------------------------

    def sync(self, pod: Obj | None, key: str) -> None:
        ps = self.pods.get(key)
        if pod is None or (ps is not None and pod["metadata"].get("uid") != ps.uid):
            if ps is not None:
                self._kill_vanished(ps)
                self._forget(ps)
            if pod is None:
                return
            ps = None
        if ps is None:
            if pod["metadata"].get("deletionTimestamp"):
                self._delete_now(pod)
                return
            if podutil.is_terminal(pod):
                return
            self._admit(pod)
            return
        if pod["metadata"].get("deletionTimestamp") and not ps.terminating:
            self._terminate(ps, pod)
            return
        self._arm_deadline(ps, pod)
        if pod.get("status") is not ps.posted_status:
            self._post(ps)  # someone else changed the status (the node controller); say what is true

    def _kill_vanished(self, ps: PodState) -> None:
        """A pod removed from the API at once (grace period 0) still has its running containers stopped."""
        ref = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": ps.name, "namespace": ps.namespace, "uid": ps.uid}}
        for c in ps.all_containers():
            if c.state == "running":
                self._event(ref, "Normal", "Killing", f"Stopping container {c.name}", self._field(c))

    def _forget(self, ps: PodState) -> None:
        self._usage_forget(ps)
        self._release_admitted(ps.key)
        ps.cancel_timers()
        self._release_ip(ps.ip)
        self.pods.pop(ps.key, None)
        self.configs.forget(ps.uid)
        self._volume_setups.pop(ps.uid, None)

    def _delete_now(self, pod: Obj) -> None:
        try:
            self.api.delete("pods", pod["metadata"]["name"], pod["metadata"].get("namespace"), grace_period=0)
        except ApiError:
            pass

    def _admitted_info(self, node: Obj) -> NodeInfo:
        """The node and the pods it runs that still hold their resources, kept up to date as pods are admitted,
        finish (`_post`) and go (`_forget`): admission must not re-add every pod for each new one."""
        if self._admitted is None:
            self._admitted = NodeInfo.from_objects(node, self._admitted_pods())
        elif self._admitted.node is not node:
            self._admitted.set_node(node)
        return self._admitted

    def _release_admitted(self, key: str) -> None:
        if self._admitted is not None:
            self._admitted.remove_pod(key)

    def _admitted_pods(self) -> list[Obj]:
        """The pods this kubelet runs that still hold their resources (not Succeeded or Failed)."""
        # A finished pod's last posted phase says so without a store lookup: a node that ran thousands of Job
        # pods must not walk them all for each new one.
        live = (ps for ps in self.pods.values()
                if (ps.posted_status or {}).get("phase") not in ("Succeeded", "Failed"))
        pods = (self._pod(ps) for ps in live)
        return [p for p in pods if p is not None and not podutil.is_terminal(p)]

    def _reject(self, pod: Obj, reason: str, message: str) -> None:
        """kubelet.go rejectPod: a Warning event with the admit message, then phase Failed."""
        self._event(pod, "Warning", reason, message)
        existing = (pod.get("status") or {}).get("conditions") or ()
        status: Obj = {"phase": "Failed", "reason": reason, "message": REJECTED_PREFIX + message,
                       "startTime": format_time(self.clock.now()), "qosClass": get_pod_qos(pod)}
        conditions = [c for c in existing if c.get("type") not in KUBELET_CONDITIONS]
        if conditions:
            status["conditions"] = conditions
        try:
            self.api.update_status({**pod, "status": status}, trusted=True)
        except ApiError:
            pass

    def _admit(self, pod: Obj) -> None:
        meta, spec = pod["metadata"], pod["spec"]
        now = self.clock.now()
        node = self.host.store.get("nodes", "", self.name)
        if node is not None:
            admitted = self._admitted_info(node)
            rejection = self.pressure_admission(pod) or admission_failure(pod, admitted)
            if rejection is not None:
                self._reject(pod, *rejection)
                return
            admitted.add_pod(pod)

        def state(c: Obj, is_init: bool) -> ContainerState:
            sidecar = is_init and c.get("restartPolicy") == "Always"
            try:
                # A sidecar is a long-running container, not a step that completes (KEP-753).
                behaviour = container_behaviour(pod, c, is_init=is_init and not sidecar)
            except BehaviourError as exc:
                self._event(pod, "Warning", "InvalidSimulation", str(exc))
                behaviour = ContainerBehaviour()
            return ContainerState(name=c["name"], image=c.get("image", ""), is_init=is_init, sidecar=sidecar,
                                  behaviour=behaviour,
                                  reason="PodInitializing" if is_init or spec.get("initContainers")
                                  else "ContainerCreating")

        ps = PodState(
            namespace=meta.get("namespace", ""), name=meta["name"], uid=meta["uid"],
            restart_policy=spec.get("restartPolicy", "Always"),
            init_containers=[state(c, True) for c in spec.get("initContainers") or ()],
            containers=[state(c, False) for c in spec.get("containers") or ()],
            start_time=now,
        )
        self.pods[ps.key] = ps
        self._arm_deadline(ps, pod)
        self._set_up_volumes(ps, spec)

    def _start_sandbox(self, ps: PodState) -> None:
        ps.sandbox_ready = True
        self.configs.mounted(ps.uid, self.clock.now())  # the volumes are set up with the sandbox
        pod = self._pod(ps)
        # A host-network pod (kube-proxy, CNI agents) shares the node's address: no pod IP is allocated.
        ps.ip = self.host_ip if pod is not None and (pod.get("spec") or {}).get("hostNetwork") else self._allocate_ip()
        self._post(ps)
        # The sandbox (pause container and network) takes a moment before the first image pull.
        self._after(ps, 0.1, lambda: self._run_next(ps))

    def _spec(self, ps: PodState, c: ContainerState) -> Obj:
        pod = self._pod(ps) or {}
        key = "initContainers" if c.is_init else "containers"
        for spec in (pod.get("spec") or {}).get(key) or ():
            if spec.get("name") == c.name:
                return spec
        return {}

    def _run_next(self, ps: PodState) -> None:
        """Start whatever is next: the next init container, or the app containers one by one.

        computeInitContainerActions: a sidecar must have started (running, and past its startup probe if it has
        one) before anything declared after it starts; a regular init container must have completed."""
        if ps.killing:
            return
        for c in ps.init_containers:
            if c.state == "waiting" and not c.ever_started and c.reason in ("PodInitializing", "ContainerCreating"):
                self._pull_and_start(ps, c)
                return
            if not c.sidecar and not (c.state == "terminated" and c.exit_code == 0):
                return  # still running (or restarting) this init container
            if c.sidecar and not c.started:
                return
        for c in ps.containers:
            # App containers of a pod with init containers keep showing PodInitializing until they run, even
            # while their image is pulled (convertToAPIContainerStatuses' default waiting state).
            if c.state == "waiting" and not c.ever_started and c.reason in ("PodInitializing", "ContainerCreating"):
                self._pull_and_start(ps, c)
                return
        # Nothing posted here: every caller has just posted the state this pass changed (or changed nothing).

    # --- images --------------------------------------------------------------------------------------------

    def _pull_and_start(self, ps: PodState, c: ContainerState) -> None:
        """EnsureImageExists, then create and start. The container's shown state is left alone meanwhile: the
        default waiting reason on a first start, the last termination or CrashLoopBackOff on a restart."""
        pod = self._pod(ps)
        if pod is None:
            return
        spec = self._spec(ps, c)
        field = self._field(c)
        policy = spec.get("imagePullPolicy", "IfNotPresent")
        if c.image in self.images and policy != "Always":
            self._event(pod, "Normal", "Pulled", f'Container image "{c.image}" already present on machine', field)
            self._create_and_start(ps, c)
            return
        if policy == "Never":
            c.retire_termination()
            c.state, c.reason = "waiting", "ErrImageNeverPull"
            c.message = f'Container image "{c.image}" is not present with pull policy of Never'
            self._event(pod, "Warning", "ErrImageNeverPull", c.message, field)
            self._post(ps)
            return
        self._event(pod, "Normal", "Pulling", f'Pulling image "{c.image}"', field)
        seconds = c.behaviour.pull_seconds
        self._after(ps, seconds, lambda: self._pulled(ps, c, seconds), c)

    def _pulled(self, ps: PodState, c: ContainerState, seconds: float) -> None:
        pod = self._pod(ps)
        if pod is None:
            return
        field = self._field(c)
        if c.behaviour.pull_fails:
            ref = image_ref(c.image)
            error = (f'rpc error: code = NotFound desc = failed to pull and unpack image "{ref}": failed to '
                     f'resolve reference "{ref}": {ref}: not found')
            self._event(pod, "Warning", "Failed", f'Failed to pull image "{c.image}": {error}', field)
            self._event(pod, "Warning", "Failed", "Error: ErrImagePull", field)
            c.retire_termination()
            c.state, c.reason, c.message = "waiting", "ErrImagePull", error
            c.image_pull_backoff = BACKOFF_INITIAL if not c.image_pull_backoff else min(
                c.image_pull_backoff * 2, BACKOFF_MAX)
            self._post(ps)
            self._after(ps, ERR_IMAGE_PULL_SHOWN_FOR, lambda: self._image_backoff(ps, c, error), c)
            return
        size = image_size(c.image)
        took = _pull_duration(seconds)
        self._event(pod, "Normal", "Pulled", f'Successfully pulled image "{c.image}" in {took} ({took} including '
                                             f"waiting). Image size: {size} bytes.", field)
        self.images.add(c.image)
        self._create_and_start(ps, c)

    def _image_backoff(self, ps: PodState, c: ContainerState, error: str) -> None:
        pod = self._pod(ps)
        if pod is None:
            return
        field = self._field(c)
        c.reason = "ImagePullBackOff"
        c.message = f'Back-off pulling image "{c.image}": ErrImagePull: {error}'

        def backoff_events() -> None:
            pod_now = self._pod(ps)
            if pod_now is not None:
                self._event(pod_now, "Normal", "BackOff", f'Back-off pulling image "{c.image}"', field)
                self._event(pod_now, "Warning", "Failed", "Error: ImagePullBackOff", field)

        backoff_events()
        self._post(ps)
        retry_in = max(0.0, c.image_pull_backoff - ERR_IMAGE_PULL_SHOWN_FOR)
        self._resync_while(ps, c, self.clock.now() + retry_in, backoff_events)

        def retry() -> None:
            pod_now = self._pod(ps)
            if pod_now is None:
                return
            self._event(pod_now, "Normal", "Pulling", f'Pulling image "{c.image}"', field)
            self._after(ps, c.behaviour.pull_seconds, lambda: self._pulled(ps, c, c.behaviour.pull_seconds), c)

        self._after(ps, retry_in, retry, c)

    # --- containers ----------------------------------------------------------------------------------------

    def _create_and_start(self, ps: PodState, c: ContainerState) -> None:
        pod = self._pod(ps)
        if pod is None:
            return
        now = self.clock.now()
        field = self._field(c)
        spec = self._spec(ps, c)
        config_error = env_error(self.host.store, ps.namespace, spec)
        if config_error is not None:
            self._config_error(ps, c, pod, config_error)
            return
        self._event(pod, "Normal", "Created", f"Created container: {c.name}", field)
        self._event(pod, "Normal", "Started", f"Started container {c.name}", field)
        if c.ever_started:
            # The runtime counts a restart when the new container is created, not when the old one exits.
            c.restart_count += 1
        c.retire_termination()
        c.state, c.reason, c.message = "running", "", ""
        c.started_at, c.finished_at = now, None
        c.ever_started = True
        c.will_restart = False
        digest = hashlib.sha256(f"{ps.uid}/{c.name}/{c.restart_count}".encode()).hexdigest()
        c.container_id = f"containerd://{digest}"
        c.probe_counts.clear()
        env = self.configs.started(pod, spec, now)  # resolved once: later ConfigMap changes do not reach it
        argv = expand_command(spec, env)
        self.logs.started(ps, c, spec, now, {e.name: e.value for e in env},
                          self.configs.file_reader(ps.namespace, ps.name, ps.uid, c.name), argv)
        c.startup_done = "startupProbe" not in spec
        c.ready = (c.startup_done and "readinessProbe" not in spec) and (not c.is_init or c.sidecar)
        behaviour = c.behaviour
        self._usage_started(ps, c, pod, spec)  # arms the OOM kill, if its memory ever exceeds its limit
        if behaviour.exit_after is not None:
            code = behaviour.exit_code
            self._after(ps, behaviour.exit_after,
                        lambda: self._exited(ps, c, code, "Completed" if code == 0 else "Error"), c)
        elif behaviour.scripted:
            self._run_script(ps, c, argv)  # shell_behaviour.py: the script decides when it exits
        if c.startup_done:
            self._start_probe(ps, c, spec, "readinessProbe")
            self._start_probe(ps, c, spec, "livenessProbe")
        else:
            self._start_probe(ps, c, spec, "startupProbe")
        self._post(ps)
        if not c.is_init or c.sidecar:
            self._run_next(ps)

    def _config_error(self, ps: PodState, c: ContainerState, pod: Obj, error: str) -> None:
        """generateContainerConfig failed: the container is not created; the pod worker tries again after its
        back-off, pulling (or finding) the image first each time."""
        self._event(pod, "Warning", "Failed", f"Error: {error}", self._field(c))
        c.retire_termination()
        c.state, c.reason, c.message = "waiting", "CreateContainerConfigError", error
        self._post(ps)
        self._after(ps, BACKOFF_RESYNC_SECONDS, lambda: self._pull_and_start(ps, c), c)
        if not c.is_init or c.sidecar:
            self._run_next(ps)  # the other app containers are started regardless

    def _exited(self, ps: PodState, c: ContainerState, code: int, reason: str, message: str = "",
                killed_by_probe: bool = False) -> None:
        """The container's process ended: on its own, OOM-killed, or stopped after a failed probe."""
        c.cancel_timers()
        now = self.clock.now()
        c.state, c.exit_code, c.reason, c.message = "terminated", code, reason, message
        c.finished_at = now
        self._usage_stopped(c)
        # A finished init container reports ready (prober manager UpdatePodStatus); anything else that stops is not.
        c.ready = c.is_init and not c.sidecar and code == 0
        self.logs.stopped(ps, c, now)
        if ps.killing:
            return
        if c.is_init and not c.sidecar and code == 0:
            ps.init_done += 1
            self._post(ps)
            self._run_next(ps)
            return
        if killed_by_probe:
            # A probe kill restarts unless the policy is Never, whatever the exit code (computePodActions); a
            # sidecar always restarts.
            restart = c.sidecar or ps.restart_policy != "Never"
        else:
            restart = c.sidecar or ps.restart_policy == "Always" or (
                ps.restart_policy == "OnFailure" and code != 0)
        c.will_restart = restart
        # The runtime reports the exit first: STATUS shows Error / OOMKilled / Completed until the next sync.
        self._post(ps)
        if not restart:
            self._stop_sidecars_if_done(ps)
            return
        if killed_by_probe:
            # The kill and the restart happen in one sync, whose back-off check could only see the run before the
            # killed one (doBackOff uses the newest exited container in the pod status taken before the kill).
            previous = c.last_finished_at
            if previous is None:
                self._restart(ps, c)
            elif c.in_backoff_since(previous, now):
                self._after(ps, PLEG_RELIST_SECONDS, lambda: self._crash_loop(ps, c), c)
            else:
                c.next_backoff(previous, now)
                self._restart(ps, c)
            return
        if c.in_backoff_since(now, now):
            self._after(ps, PLEG_RELIST_SECONDS, lambda: self._crash_loop(ps, c), c)
            return
        c.next_backoff(now, now)  # the first restart (or the first after a long run) is immediate
        self._restart(ps, c)

    def _crash_loop(self, ps: PodState, c: ContainerState) -> None:
        """The sync after an exit finds the container in back-off: CrashLoopBackOff until the back-off ends."""
        pod = self._pod(ps)
        if pod is None or c.state != "terminated" or c.finished_at is None:
            return
        field = self._field(c)
        pod_ref = f"{ps.name}_{ps.namespace}({ps.uid})"
        finished = c.finished_at
        c.retire_termination()
        c.state, c.reason = "waiting", "CrashLoopBackOff"
        c.message = f"back-off {go_duration(c.backoff)} restarting failed container={c.name} pod={pod_ref}"

        def backoff_event() -> None:
            pod_now = self._pod(ps)
            if pod_now is not None:
                self._event(pod_now, "Warning", "BackOff",
                            f"Back-off restarting failed container {c.name} in pod {pod_ref}", field)

        backoff_event()
        self._post(ps)
        restart_at = finished + c.backoff

        def backoff_over() -> None:
            c.next_backoff(finished, self.clock.now())
            self._restart(ps, c)

        self._after(ps, restart_at - self.clock.now(), backoff_over, c)
        self._resync_while(ps, c, restart_at, backoff_event)

    def _restart(self, ps: PodState, c: ContainerState) -> None:
        c.cancel_timers()
        self._pull_and_start(ps, c)

    def _stop_sidecars_if_done(self, ps: PodState) -> None:
        """computePodActions: once no app container runs or will run again (a Job's pod finished, or an init
        container failed under restartPolicy Never), the pod is killed so its sidecars don't keep it alive."""
        if not ps.sidecars:
            return
        init_failed = any(not c.sidecar and c.state == "terminated" and c.exit_code != 0
                          for c in ps.init_containers) and ps.restart_policy == "Never"
        apps_done = all(c.state == "terminated" and not c.will_restart for c in ps.containers)
        pod = self._pod(ps)
        if pod is not None and (init_failed or apps_done):
            self._kill_pod(ps, pod, pod_grace_period(pod), KILL_COMPLETE)
