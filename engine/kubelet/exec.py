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
import posixpath
import re
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from .. import errors
from ..network.app import AppRequest, answer
from ..quoting import go_quote
from .container_config import ContainerView
from .container_env import DEFAULT_PATH
from .filesystem import FileSystem
from .shell import Input, Interrupted, NotFound, Output, Process, System, run_program

Obj = dict[str, Any]
CLUSTER_DNS = "10.96.0.10"  # the kubelet's clusterDNS (kubeadm's default: the 10th address of the service range)
CLUSTER_DOMAIN = "cluster.local"
KUBELET_PORT = 10250
BUSYBOX_IMAGES = ("busybox", "alpine")


# --- which container -------------------------------------------------------------------------------------

def _names(containers: list[Obj]) -> str:
    return ", ".join(str(c.get("name")) for c in containers)


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


def resolv_conf(pod: Obj) -> str | None:
    """The kubelet's /etc/resolv.conf for the pod's dnsPolicy (ClusterFirst by default; None: the node's file,
    which k9py does not have)."""
    spec = pod.get("spec") or {}
    policy = spec.get("dnsPolicy") or "ClusterFirst"
    config = spec.get("dnsConfig") or {}
    host_network = bool(spec.get("hostNetwork"))
    namespace = pod["metadata"].get("namespace", "default")
    servers: list[str] = []
    searches: list[str] = []
    options: list[str] = []
    if policy == "ClusterFirstWithHostNet" or (policy == "ClusterFirst" and not host_network):
        servers = [CLUSTER_DNS]
        searches = [f"{namespace}.svc.{CLUSTER_DOMAIN}", f"svc.{CLUSTER_DOMAIN}", CLUSTER_DOMAIN]
        options = ["ndots:5"]
    elif policy != "None":
        return None
    servers += [s for s in config.get("nameservers") or () if s not in servers]
    searches += [s for s in config.get("searches") or () if s not in searches]
    for option in config.get("options") or ():
        name = option.get("name")
        options = [o for o in options if o.split(":")[0] != name]
        options.append(f"{name}:{option['value']}" if option.get("value") is not None else str(name))
    lines = []
    if searches:
        lines.append("search " + " ".join(searches))
    lines.extend(f"nameserver {s}" for s in servers)
    if options:
        lines.append("options " + " ".join(options))
    return "\n".join(lines) + "\n"


ATOMIC_SOURCES = ("ConfigMap", "Secret", "Projected", "DownwardAPI")


def file_system(pod: Obj, container: Obj, view: ContainerView, now: float) -> FileSystem:
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
    resolv = resolv_conf(pod)
    if resolv is not None:
        fs.add_file("/etc/resolv.conf", resolv, started)
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


def local_network(cluster: Any, pod: Obj) -> Callable[[Process, list[str]], Awaitable[int]]:
    """`curl`/`wget` to the pod itself (localhost, its IP, its hostname): the pod's simulated app answers
    (engine.network.app). Other destinations need the simulated network (DNS, Services): said so, exit 127."""
    pod_ip = str((pod.get("status") or {}).get("podIP") or "")
    local = {"localhost", "127.0.0.1", "::1", "[::1]", pod_ip, hostname_of(pod)}

    async def network(proc: Process, argv: list[str]) -> int:
        name = posixpath.basename(argv[0])
        if name not in ("curl", "wget"):
            await proc.err(f"{name}: k9py does not simulate this command yet: there is no simulated network "
                           f"to carry it\n")
            return 127
        parsed = _http_args(name, argv[1:])
        if isinstance(parsed, str):
            await proc.err(parsed)
            return 2 if name == "curl" else 1
        url, method, headers, flags = parsed
        parts = urlsplit(url if "://" in url else f"http://{url}")
        host = parts.hostname or ""
        if parts.scheme not in ("http", ""):
            await proc.err(f"{name}: k9py simulates plain HTTP only, not {parts.scheme}://\n")
            return 1
        if host not in local:
            await proc.err(f"{name}: k9py does not simulate requests to other pods or Services yet: only to this "
                           f"pod (localhost, {pod_ip or 'its IP'})\n")
            return 127
        port = parts.port or 80
        current = cluster.store.get("pods", pod["metadata"].get("namespace", ""), pod["metadata"]["name"]) or pod
        shown_host = f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)
        request = AppRequest(method=method, path=(parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
                             host=shown_host, headers={"Host": shown_host, **headers},
                             source_ip="127.0.0.1" if host != pod_ip else pod_ip)
        reply = answer(current, port, request)
        address = "127.0.0.1" if host in ("localhost", "127.0.0.1") else host
        if reply is None:
            if name == "curl":
                if "s" not in flags or "S" in flags:
                    await proc.err(f"curl: (7) Failed to connect to {host} port {port} after 0 ms: "
                                   f"Couldn't connect to server\n")
                return 7
            await proc.err(f"wget: can't connect to remote host ({address}): Connection refused\n")
            return 1
        head = f"HTTP/1.1 {reply.status} {_reason(reply.status)}\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in reply.headers.items()) + "\r\n"
        if name == "wget":
            if reply.status >= 400:
                await proc.err(f"wget: server returned error: HTTP/1.1 {reply.status} {_reason(reply.status)}\n")
                return 1
            await proc.out(reply.body)
            return 0
        if "i" in flags or "I" in flags:
            await proc.out(head)
        if method != "HEAD":
            if "f" in flags and reply.status >= 400:
                if "s" not in flags or "S" in flags:
                    await proc.err(f"curl: (22) The requested URL returned error: {reply.status}\n")
                return 22
            await proc.out(reply.body)
        return 0

    return network


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


_CURL_VALUES = ("-X", "--request", "-H", "--header", "-m", "--max-time", "--connect-timeout", "-o", "--output",
                "-w", "--write-out", "-A", "--user-agent", "-d", "--data")
_CURL_LONG = {"--silent": "s", "--show-error": "S", "--fail": "f", "--include": "i", "--head": "I"}


def _http_args(name: str, args: list[str]) -> tuple[str, str, dict[str, str], str] | str:
    """(url, method, headers, single-letter flags) from curl's or wget's arguments, or an error message."""
    url, method, headers, flags = "", "GET", {}, ""
    to_stdout = False
    i = 0
    while i < len(args):
        arg = args[i]
        value = args[i + 1] if i + 1 < len(args) else None
        if name == "curl" and arg in _CURL_VALUES:
            if value is None:
                return f"curl: option {arg}: requires parameter\n"
            if arg in ("-X", "--request"):
                method = value.upper()
            elif arg in ("-H", "--header"):
                key, _, val = value.partition(":")
                headers[key.strip()] = val.strip()
            elif arg in ("-A", "--user-agent"):
                headers["User-Agent"] = value
            elif arg in ("-d", "--data") and method == "GET":
                method = "POST"
            elif arg in ("-o", "--output") and value != "/dev/null":
                return "curl: k9py does not simulate writing files: use -o /dev/null or no -o\n"
            i += 2
            continue
        if name == "wget" and arg in ("-O", "-T", "--timeout", "-U"):
            to_stdout = to_stdout or (arg == "-O" and value == "-")
            i += 2
            continue
        if arg in _CURL_LONG:
            flags += _CURL_LONG[arg]
        elif name == "wget" and re.fullmatch(r"-[a-zA-Z]*O-?", arg):
            to_stdout = to_stdout or arg.endswith("O-")
            flags += arg[1:].replace("O", "").replace("-", "")
        elif arg.startswith("--"):
            pass  # long options that change nothing here (--location, --verbose, ...)
        elif arg.startswith("-") and len(arg) > 1:
            flags += arg[1:]
        else:
            url = arg
        i += 1
    if "I" in flags:
        method = "HEAD"
    if not url:
        return ("curl: no URL specified\ncurl: try 'curl --help' or 'curl --manual' for more information\n"
                if name == "curl" else "BusyBox: wget: missing URL\n")
    if name == "wget" and not to_stdout:
        return "wget: k9py does not simulate writing files: use -qO- (or -O -) to print the page\n"
    return url, method, headers, flags


def container_system(cluster: Any, pod: Obj, container: str, interrupts: Any = None
                     ) -> tuple[System, dict[str, str], str]:
    """The running container as its processes see it: (system, environment, working directory)."""
    meta = pod["metadata"]
    view = cluster.container_view(meta["name"], meta.get("namespace"), container)
    spec = container_spec(pod, container)
    now = cluster.now()
    uid, gid, groups = identity(pod, spec)
    env = {e.name: e.value for e in view.env} or {"PATH": DEFAULT_PATH, "HOSTNAME": hostname_of(pod)}
    system = System(
        fs=file_system(pod, spec, view, now), hostname=hostname_of(pod),
        pod_ip=str((pod.get("status") or {}).get("podIP") or ""), uid=uid, gid=gid, groups=groups,
        flavour=flavour(str(spec.get("image") or "")), now=cluster.now, sleep=engine_sleep(cluster, interrupts),
        network=local_network(cluster, pod))
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
