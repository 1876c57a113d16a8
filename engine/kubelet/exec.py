"""`kubectl exec` into a simulated container: which container, whether it can be exec'd into, and what the
process finds there (built from the cluster, then run by `shell`).

The checks and their words follow the real path of a request: the API server refuses what it can tell from the
Pod object before the connection is upgraded (`pkg/registry/core/pod/strategy.go` streamLocation: a container
must be named when there are several, must exist, the pod must be bound to a node); the kubelet then refuses a
container that is not running (`kubelet_pods.go` GetExec/GetAttach: `container not found ("app")`), and the
runtime a program that is not in the image (runc's `executable file not found in $PATH`). Through a v1.30+ API
server's WebSocket translator the last two reach kubectl as `Internal error occurred: ...` on the error channel.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Awaitable, Callable
from typing import Any

from .. import errors
from ..network.dns import CLUSTER_DNS_IP, CLUSTER_DOMAIN, pod_resolv_conf
from ..quoting import go_quote
from .container_config import ContainerView
from .container_env import DEFAULT_PATH
from .filesystem import FileSystem
from .netcmds import Network
from .shell import Input, Interrupted, NotFound, Output, Process, System, run_program

Obj = dict[str, Any]
KUBELET_PORT = 10250
BUSYBOX_IMAGES = ("busybox", "alpine")


# --- which container -------------------------------------------------------------------------------------

def _names(containers: list[Obj]) -> str:
    return " ".join(str(c.get("name")) for c in containers)


def choose_container(pod: Obj, container: str | None) -> str:
    """streamLocation: the container an exec/attach/log request is for (ApiError 400 when it cannot tell)."""
    spec = pod.get("spec") or {}
    name = pod["metadata"]["name"]
    containers, inits = spec.get("containers") or [], spec.get("initContainers") or []
    ephemeral = spec.get("ephemeralContainers") or []
    if not container:
        if len(containers) == 1:
            return str(containers[0]["name"])
        if not containers:
            raise errors.bad_request(f"a container name must be specified for pod {name}")
        message = f"a container name must be specified for pod {name}, choose one of: [{_names(containers)}]"
        if inits:
            message += f" or one of the init containers: [{_names(inits)}]"
        if ephemeral:
            message += f" or one of the ephemeral containers: [{_names(ephemeral)}]"
        raise errors.bad_request(message)
    if not any(c.get("name") == container for c in containers + inits + ephemeral):
        raise errors.bad_request(f"container {container} is not valid for pod {name}")
    return container


def check_bound(pod: Obj) -> None:
    if not (pod.get("spec") or {}).get("nodeName"):
        raise errors.bad_request(f"pod {pod['metadata']['name']} does not have a host assigned")


def container_spec(pod: Obj, container: str) -> Obj:
    spec = pod.get("spec") or {}
    return next(c for key in ("containers", "initContainers", "ephemeralContainers") for c in spec.get(key) or ()
                if c.get("name") == container)


def container_status(pod: Obj, container: str) -> Obj | None:
    status = pod.get("status") or {}
    return next((cs for key in ("containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses")
                 for cs in status.get(key) or () if cs.get("name") == container), None)


def is_running(pod: Obj, container: str) -> bool:
    cs = container_status(pod, container)
    return cs is not None and "running" in (cs.get("state") or {})


def node_refusal(cluster: Any, pod: Obj) -> str | None:
    """The API server cannot reach the kubelet of the pod's node (k9py's node is stopped), or None."""
    node = pod["spec"]["nodeName"]
    kubelet = cluster.components.kubelets.kubelets.get(node)
    if kubelet is not None and kubelet.running:
        return None
    host = next((a.get("address") for a in ((cluster.store.get("nodes", "", node) or {}).get("status") or {})
                 .get("addresses") or () if a.get("type") == "InternalIP"), node)
    return f"dial tcp {host}:{KUBELET_PORT}: connect: connection refused"


def kubelet_refusal(cluster: Any, pod: Obj, container: str, attach: bool) -> str | None:
    """Why the pod's kubelet cannot serve the stream (the error the API server's translator reports), or None."""
    refusal = node_refusal(cluster, pod)
    if refusal is not None:
        return refusal
    if is_running(pod, container):
        return None
    if attach:
        full = f"{pod['metadata']['name']}_{pod['metadata'].get('namespace', '')}"
        return f"unable to upgrade connection: container {container} not found in pod {full}"
    return f"unable to upgrade connection: container not found ({go_quote(container)})"


def exec_id(pod: Obj, container: str, argv: list[str], now: float) -> str:
    """The runtime's id for one exec (containerd: 64 hex digits)."""
    return hashlib.sha256(f"{pod['metadata'].get('uid')}/{container}/{argv}/{now}".encode()).hexdigest()


def runtime_failure(error: NotFound, pod: Obj, container: str, argv: list[str], now: float) -> str:
    """What containerd's CRI reports when the exec cannot start, as the kubelet wraps it."""
    return (f"error executing command in container: failed to exec in container: failed to start exec "
            f"{go_quote(exec_id(pod, container, argv, now))}: {error.runtime_message()}")


# --- the container's world -------------------------------------------------------------------------------

def flavour(image: str) -> str:
    """`busybox` for busybox and Alpine-based images (ash, busybox's tools, no bash), else `gnu` (Debian)."""
    ref = image.split("@", 1)[0]
    name = ref.rsplit("/", 1)[-1]
    repo, _, tag = name.partition(":")
    if repo.lower() in BUSYBOX_IMAGES or "alpine" in tag.lower():
        return "busybox"
    return "gnu"


def _security(pod: Obj, container: Obj, field: str) -> Any:
    value = (container.get("securityContext") or {}).get(field)
    if value is None:
        value = ((pod.get("spec") or {}).get("securityContext") or {}).get(field)
    return value


def identity(pod: Obj, container: Obj) -> tuple[int, int, tuple[int, ...]]:
    """(uid, gid, groups): runAsUser/runAsGroup (the container's over the pod's), else root as most images run
    (an image's own USER is unknown to k9py); fsGroup and supplementalGroups are supplementary groups."""
    uid = _security(pod, container, "runAsUser")
    gid = _security(pod, container, "runAsGroup")
    uid = int(uid) if isinstance(uid, int) else 0
    gid = int(gid) if isinstance(gid, int) else 0
    pod_security = (pod.get("spec") or {}).get("securityContext") or {}
    extra = [pod_security.get("fsGroup"), *(pod_security.get("supplementalGroups") or [])]
    groups = [gid, *sorted({int(g) for g in extra if isinstance(g, int) and g != gid})]
    return uid, gid, tuple(groups)


def hostname_of(pod: Obj) -> str:
    spec = pod.get("spec") or {}
    return str(spec.get("hostname") or pod["metadata"]["name"])[:63]


def hosts_file(pod: Obj) -> str:
    """The kubelet's managed /etc/hosts (kubelet_pods.go managedHostsFileContent)."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    lines = ["# Kubernetes-managed hosts file.", "127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback",
             "fe00::0\tip6-localnet", "fe00::0\tip6-mcastprefix", "fe00::1\tip6-allnodes", "fe00::2\tip6-allrouters"]
    hostname = hostname_of(pod)
    ips = [str(i.get("ip")) for i in status.get("podIPs") or () if i.get("ip")] or \
        ([str(status["podIP"])] if status.get("podIP") else [])
    subdomain = spec.get("subdomain")
    for ip in ips:
        if subdomain:
            domain = f"{subdomain}.{pod['metadata'].get('namespace')}.svc.{CLUSTER_DOMAIN}"
            lines.append(f"{ip}\t{hostname}.{domain}\t{hostname}")
        else:
            lines.append(f"{ip}\t{hostname}")
    text = "\n".join(lines) + "\n"
    aliases = spec.get("hostAliases") or []
    if aliases:
        text += "\n# Entries added by HostAliases.\n"
        for alias in aliases:
            text += "".join(f"{alias.get('ip')}\t{name}\n" for name in alias.get("hostnames") or ())
    return text


ATOMIC_SOURCES = ("ConfigMap", "Secret", "Projected", "DownwardAPI")


def file_system(pod: Obj, container: Obj, view: ContainerView, now: float, resolv_conf: str) -> FileSystem:
    started = view.started if view.started is not None else now
    fs = FileSystem(started)
    fs_group = ((pod.get("spec") or {}).get("securityContext") or {}).get("fsGroup")
    gid = int(fs_group) if isinstance(fs_group, int) else 0
    for path in ("/etc", "/dev", "/tmp", "/root", "/proc", "/var/run"):
        fs.mkdirs(path, started)
    fs.lookup("/tmp").mode = 0o1777
    fs.lookup("/root").mode = 0o700
    working = container.get("workingDir")
    if working:
        fs.mkdirs(str(working), started)
    fs.add_file("/dev/null", "", started, 0o666)
    fs.add_file(str(container.get("terminationMessagePath") or "/dev/termination-log"), "", started, 0o666)
    fs.add_file("/etc/hostname", hostname_of(pod) + "\n", started)
    fs.add_file("/etc/hosts", hosts_file(pod), started)
    fs.add_file("/etc/resolv.conf", resolv_conf, started)
    for mount in view.mounts:
        kind = mount.source.split(" ", 1)[0]
        if mount.sub_path:
            for f in mount.files:
                fs.add_file(f.path, f.content, started, f.mode, 0, gid)
            if not mount.files:
                fs.mkdirs(mount.path, started, 0o777 if gid else 0o755, 0, gid)
            continue
        if kind in ATOMIC_SOURCES:
            prefix = mount.path.rstrip("/") + "/"
            fs.add_atomic_volume(mount.path, [(f.path[len(prefix):], f.content, f.mode) for f in mount.files
                                              if f.path.startswith(prefix)], started, 0, gid)
        else:
            fs.mkdirs(mount.path, started, 0o2777 if gid else 0o777, 0, gid)
    return fs


# --- running a command -----------------------------------------------------------------------------------

def engine_sleep(cluster: Any, interrupts: Any = None) -> Callable[[float], Awaitable[None]]:
    """`sleep` on the engine's clock (a timer, as every wait in the engine): a paused clock pauses it, a faster
    one shortens it. `interrupts` (the terminal: an `interrupted` event set by ^C, and `consume_interrupt()`)
    ends it early with Interrupted."""
    async def sleep(seconds: float) -> None:
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        timer = cluster.clock.call_later(seconds, lambda: done.done() or done.set_result(None))
        cluster.runner.wake()
        waiters: list[asyncio.Future[Any]] = [done]
        if interrupts is not None:
            waiters.append(asyncio.ensure_future(interrupts.interrupted.wait()))
        try:
            finished, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            timer.cancel()
            for waiter in waiters[1:]:
                waiter.cancel()
        if done not in finished:
            interrupts.consume_interrupt()
            raise Interrupted()
    return sleep


def container_system(cluster: Any, pod: Obj, container: str, interrupts: Any = None
                     ) -> tuple[System, dict[str, str], str]:
    """The running container as its processes see it: (system, environment, working directory)."""
    meta = pod["metadata"]
    view = cluster.container_view(meta["name"], meta.get("namespace"), container)
    return system_of(pod, container, view, cluster.now(), cluster.now, engine_sleep(cluster, interrupts),
                     cluster.data_plane)


def system_of(pod: Obj, container: str, view: ContainerView, now: float, clock: Callable[[], float],
              sleep: Callable[[float], Awaitable[None]], plane: Any) -> tuple[System, dict[str, str], str]:
    """The container as its processes see it, from its view (environment and mounts), the engine's clock and a
    `sleep` on it, and the data plane its network programs go through (None: they are not simulated):
    (system, environment, directory)."""
    spec = container_spec(pod, container)
    uid, gid, groups = identity(pod, spec)
    env = {e.name: e.value for e in view.env} or {"PATH": DEFAULT_PATH, "HOSTNAME": hostname_of(pod)}
    resolv = pod_resolv_conf(pod, plane.cluster_dns_ip() if plane is not None else CLUSTER_DNS_IP).text()
    system = System(
        fs=file_system(pod, spec, view, now, resolv), hostname=hostname_of(pod),
        pod_ip=str((pod.get("status") or {}).get("podIP") or ""), uid=uid, gid=gid, groups=groups,
        flavour=flavour(str(spec.get("image") or "")), now=clock, sleep=sleep,
        network=Network(plane, pod, str(spec.get("image") or "")) if plane is not None else None)
    cwd = str(spec.get("workingDir") or "/")
    return system, env, cwd


async def run_in_container(cluster: Any, pod: Obj, container: str, argv: list[str], stdin: Input, stdout: Output,
                           stderr: Output, tty: bool, interrupts: Any = None) -> int:
    """Run `argv` in the container: its exit status; NotFound when the runtime cannot start it."""
    system, env, cwd = container_system(cluster, pod, container, interrupts)
    process = Process(system, env, cwd, stdin, stdout, stderr, tty)
    try:
        return await run_program(process, argv)
    except Interrupted:
        return 130


_SHELL = re.compile(r"^(?:/(?:usr/)?bin/)?(sh|bash|ash)$")


def attached_shell(pod: Obj, container: str) -> list[str] | None:
    """The argv of a container whose main process is an interactive shell reading its stdin (`kubectl run -it
    --image=busybox -- sh`), so `kubectl attach -i` talks to it; None for any other container."""
    spec = container_spec(pod, container)
    argv = [str(a) for a in (spec.get("command") or []) + (spec.get("args") or [])]
    if not spec.get("stdin") or not argv or not _SHELL.match(argv[0]):
        return None
    if any(a.startswith("-") and "c" in a.lstrip("-") for a in argv[1:]) or (len(argv) > 1 and \
            not all(a.startswith("-") for a in argv[1:])):
        return None
    return argv


def main_process_exited(cluster: Any, pod: Obj, container: str, code: int) -> None:
    """The attached shell that is the container's main process ended (`exit`, end of input): the container ends
    with its status, so `kubectl run -it --rm ... -- sh` sees its pod complete and deletes it."""
    meta = pod["metadata"]
    kubelet = cluster.components.kubelets.kubelets.get((pod.get("spec") or {}).get("nodeName") or "")
    key = f"{meta.get('namespace', '')}/{meta['name']}"
    if kubelet is not None and kubelet.process_exited(key, str(meta.get("uid")), container, code):
        cluster.runner.wake()
