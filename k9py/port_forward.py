"""shift-f's port-forwards (k9s's): a local TCP listener per tunnel, each connection carried to the pod's port.

k9s asks for `container::port` pairs, local ports and an address (internal/view/pf_dialog.go, internal/port), checks
that each local port is free, then runs client-go's port forwarder until it fails or is deleted from `:pf`. Here
each backend carries one connection at a time (`Backend.forward_connection`): the simulated cluster through
`Cluster.port_forward`, the path `kubectl port-forward` takes through `k9py serve`; a real cluster through its API
server's `pods/portforward` subresource (port_forward_kube). A forward stops when its pod goes (it is looked for
twice a second), when ctrl-d in `:pf` deletes it, and when the dashboard quits or leaves its cluster
(`Backend.stop`).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.printers.duration import human_duration

if TYPE_CHECKING:
    from .backend import Backend

Obj = dict[str, Any]
Flash = Callable[[str, str], None]
DEFAULT_ADDRESS = "localhost"  # k9s's default `portForwardAddress`
WATCH_SECONDS = 0.5  # how often a forward looks for its pod
READ_SIZE = 64 * 1024
_SPEC = re.compile(r"\A(?:([\w.-]+)::)?([\w-]+)\Z")  # k9s's `container::port` (or a bare port)


class ForwardError(Exception):
    """A forward cannot start, or a connection could not be carried: the message is fit to flash as is."""


@dataclass(frozen=True)
class PortSpec:
    """A container's TCP port as k9s offers it in the dialog (`nginx::80`, listed as `nginx::80(http)`)."""

    container: str
    port: int
    name: str = ""

    @property
    def spec(self) -> str:
        return f"{self.container}::{self.port}"

    def __str__(self) -> str:
        return self.spec + (f"({self.name})" if self.name else "")


@dataclass(frozen=True)
class Tunnel:
    """One local port carried to one container port (k9s's PortTunnel)."""

    address: str
    container: str
    local_port: int
    container_port: int


def port_specs(pod: Obj, container: str = "") -> list[PortSpec]:
    """The TCP ports the pod's containers declare (only `container`'s when given), in declaration order: what
    k9s's dialog offers. UDP and SCTP ports cannot be forwarded (kubectl port-forward is TCP only)."""
    found = []
    for c in (pod.get("spec") or {}).get("containers") or ():
        if container and c.get("name") != container:
            continue
        for p in c.get("ports") or ():
            if (p.get("protocol") or "TCP") == "TCP" and isinstance(p.get("containerPort"), int):
                found.append(PortSpec(c["name"], p["containerPort"], p.get("name") or ""))
    return found


def extract_port(spec: str) -> str:
    """k9s's `extractPort`: the Local Port field follows what is typed as Container Port (`web::8080` -> 8080)."""
    _, sep, tail = spec.partition("::")
    if sep:
        return tail
    return spec if all(part.strip().isdigit() for part in spec.split(",")) else ""


def parse_tunnels(pod: Obj, default_container: str, address: str, specs: str, local_ports: str) -> list[Tunnel]:
    """The dialog's fields as tunnels (k9s's port.ToTunnels): comma-separated `container::port` (a number or a
    port's name) and as many local ports. ForwardError with k9s's words when they do not match."""
    if not specs.strip() or not local_ports.strip():
        raise ForwardError("container to local port mismatch")
    wanted, locals_ = [s.strip() for s in specs.split(",")], [s.strip() for s in local_ports.split(",")]
    if len(wanted) != len(locals_):
        raise ForwardError(f"spec to local port count mismatch. Expected {len(wanted)} but got {len(locals_)}")
    if not address.strip():
        raise ForwardError("an address to listen on is needed (localhost, 127.0.0.1, 0.0.0.0)")
    offered = port_specs(pod)
    tunnels = []
    for spec, local in zip(wanted, locals_, strict=True):
        match = _SPEC.match(spec)
        if match is None:
            raise ForwardError(f"invalid port-forward specification {spec}")
        container, port = match.group(1) or "", match.group(2)
        candidates = [p for p in offered if not container or p.container == container]
        if port.isdigit():
            number = int(port)
        else:
            named = next((p for p in candidates if p.name == port), None)
            if named is None:
                raise ForwardError(f"no port named {port!r} in {container or 'the pod'}")
            number = named.port
        if not 0 < number < 65536:
            raise ForwardError(f"invalid container port {port}")
        if not container:  # a bare port: the container that declares it, else the one the dialog is for
            container = next((p.container for p in candidates if p.port == number), default_container)
        if not local.isdigit() or not 0 < int(local) < 65536:
            raise ForwardError(f"invalid local port {local!r}: a number from 1 to 65535")
        tunnels.append(Tunnel(address.strip(), container, int(local), number))
    return tunnels


def not_running(pod: Obj) -> str | None:
    """kubectl port-forward's refusal of a pod that is not Running (kubectl/pkg/cmd/portforward), or None."""
    phase = (pod.get("status") or {}).get("phase") or "Unknown"
    if phase != "Running":
        return f"unable to forward port because pod is not running. Current status={phase}"
    return None


class LocalStream:
    """A local TCP connection as the byte stream a backend forwards (read gives b"" once it is closed)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def read(self) -> bytes:
        try:
            return await self.reader.read(READ_SIZE)
        except (ConnectionError, OSError):
            return b""

    async def write(self, data: bytes) -> None:
        if self.writer.is_closing():
            return
        self.writer.write(data)
        with contextlib.suppress(ConnectionError, OSError):
            await self.writer.drain()

    async def close(self) -> None:
        if not self.writer.is_closing():
            with contextlib.suppress(ConnectionError, OSError):
                if self.writer.can_write_eof():
                    self.writer.write_eof()
            self.writer.close()


@dataclass(eq=False)
class PortForward:
    """One pod's (or container's) forward: k9s's row in `:pf`."""

    namespace: str
    pod: str
    uid: str
    container: str
    tunnels: list[Tunnel]
    started: float = field(
        default_factory=time.time
    )  # wall time: the forward is the user's machine's, not the cluster's
    open_connections: int = 0  # C: connections being carried now
    connections: int = 0  # N: connections carried since it started
    servers: list[asyncio.Server] = field(default_factory=list)
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    @property
    def key(self) -> str:
        """k9s's id of a forward: `namespace/pod|container`."""
        return f"{self.namespace}/{self.pod}|{self.container}"

    @property
    def path(self) -> str:
        return f"{self.namespace}/{self.pod}"

    @property
    def ports(self) -> str:
        """k9s's PORTS: `local:container` per tunnel."""
        return ",".join(f"{t.local_port}:{t.container_port}" for t in self.tunnels)

    @property
    def url(self) -> str:
        """k9s's URL: the first tunnel's, as a browser would open it."""
        first = self.tunnels[0]
        return f"http://{first.address}:{first.local_port}/"

    def age(self, now: float | None = None) -> str:
        return human_duration((time.time() if now is None else now) - self.started)


class PortForwards:
    """The forwards a backend's dashboard has open, by `PortForward.key`."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.active: dict[str, PortForward] = {}

    def list(self) -> list[PortForward]:
        return sorted(self.active.values(), key=lambda f: (f.namespace, f.pod, f.container))

    def for_pod(self, namespace: str, pod: str) -> PortForward | None:
        return next((f for f in self.active.values() if f.namespace == namespace and f.pod == pod), None)

    async def start(self, pod: Obj, tunnels: list[Tunnel], flash: Flash) -> PortForward:
        """Check the pod (Running, reachable: `Backend.check_forward`) and every local port, then listen on each.
        ForwardError says why not; nothing is left listening then."""
        meta = pod["metadata"]
        namespace, name = meta.get("namespace") or "default", meta["name"]
        if (refusal := not_running(pod)) is not None:
            raise ForwardError(refusal)
        forward = PortForward(namespace, name, meta.get("uid", ""), tunnels[0].container, tunnels)
        if forward.key in self.active:
            raise ForwardError(f"a port-forward is already active on {forward.key}")
        for tunnel in tunnels:
            await self.backend.check_forward(namespace, name, tunnel.container_port)
        try:
            for tunnel in tunnels:
                forward.servers.append(await self._listen(forward, tunnel, flash))
        except OSError as exc:
            await self._close(forward)
            # asyncio says "error while attempting to bind on address ('127.0.0.1', 80): address already in use"
            reason = (exc.strerror or str(exc)).rpartition(": ")[2]
            raise ForwardError(
                f"port {tunnel.local_port} is not available on host {tunnel.address}: {reason}"
            ) from None
        self.active[forward.key] = forward
        watcher = asyncio.create_task(self._watch(forward, flash))
        forward.tasks.add(watcher)
        watcher.add_done_callback(forward.tasks.discard)
        return forward

    async def _listen(self, forward: PortForward, tunnel: Tunnel, flash: Flash) -> asyncio.Server:
        async def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            if task is not None:
                forward.tasks.add(task)
            forward.open_connections += 1
            forward.connections += 1
            stream = LocalStream(reader, writer)
            try:
                error = await self.backend.forward_connection(
                    forward.namespace, forward.pod, tunnel.container_port, stream
                )
            except ForwardError as exc:
                error = str(exc)
            finally:
                forward.open_connections -= 1
                await stream.close()
                if task is not None:
                    forward.tasks.discard(task)
            if error:  # kubectl's words for a connection it could not carry
                flash(f"an error occurred forwarding {tunnel.local_port} -> {tunnel.container_port}: {error}", "error")

        return await asyncio.start_server(connected, host=tunnel.address, port=tunnel.local_port, reuse_address=True)

    async def _watch(self, forward: PortForward, flash: Flash) -> None:
        """Stop the forward once its pod is gone (deleted, or replaced by one of the same name) or has finished."""
        from .backend import BackendError

        kind = self.backend.resolve("Pod")
        while forward.key in self.active:
            await asyncio.sleep(WATCH_SECONDS)
            try:
                pod = self.backend.get(kind, forward.pod, forward.namespace)
            except BackendError:
                continue
            phase = ((pod or {}).get("status") or {}).get("phase")
            if pod is None or pod["metadata"].get("uid", "") != forward.uid or phase in ("Succeeded", "Failed"):
                why = "is gone" if pod is None or pod["metadata"].get("uid", "") != forward.uid else f"is {phase}"
                await self.stop(forward.key)
                flash(f"port-forward {forward.key} {forward.ports} stopped: pod {forward.path} {why}", "warn")
                return

    async def stop(self, key: str) -> bool:
        """Stop listening and drop every connection of the forward `key`; False when there is none."""
        forward = self.active.pop(key, None)
        if forward is None:
            return False
        await self._close(forward)
        return True

    async def _close(self, forward: PortForward) -> None:
        for server in forward.servers:
            server.close()
        current = asyncio.current_task()  # the watcher, when the pod has gone: it returns by itself
        for task in list(forward.tasks):
            if task is not current:
                task.cancel()
        for server in forward.servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 1.0)

    async def stop_all(self) -> None:
        for key in list(self.active):
            await self.stop(key)
