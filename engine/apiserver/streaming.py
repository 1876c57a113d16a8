"""pods/exec and pods/attach over WebSockets, as kubectl v1.30+ asks for them.

kubectl opens `GET .../pods/NAME/exec?command=env&container=app&stdout=true&stderr=true` with the WebSocket
subprotocol `v5.channel.k8s.io` (client-go tools/remotecommand/websocket.go). Every binary message starts with a
channel byte: 0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize (`{"Width":..,"Height":..}`); v5 adds 255, a stream
close (`[255, 0]`: the client's stdin is done). The server sends an empty message on the first output channel once
the streams are up, then the output, then one `metav1.Status` on the error channel (success, `NonZeroExitCode`
with the exit code as cause, or an internal error), then closes the connection.

The checks before the upgrade answer as kube-apiserver does with a `Status` body (kubectl then retries over SPDY,
gets the same answer, and prints it as `Error from server (BadRequest): ...`). What the kubelet and the runtime
refuse comes after the upgrade, on the error channel, wrapped as the API server's stream translator wraps it
(`Internal error occurred: ...`). SPDY itself (`KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false`) is not served.

With a TTY the container side behaves as a pseudo-terminal does: input is echoed and edited a line at a time
(backspace, ^U), ^C interrupts the foreground program (status 130) or drops the line at a prompt, ^D on an empty
line is end of input, output newlines become CRLF, and stderr goes to the terminal too.
"""

from __future__ import annotations

import asyncio
import collections
import json
from collections.abc import Awaitable, Callable
from typing import Any

import attrs
from aiohttp import WSMsgType, web

from .. import errors
from ..cluster import Cluster
from ..kubelet.exec import (
    attached_shell,
    check_bound,
    choose_container,
    container_spec,
    container_system,
    is_running,
    kubelet_refusal,
    main_process_exited,
    run_in_container,
    runtime_failure,
)
from ..kubelet.logs import format_lines
from ..kubelet.shell import Input, Interrupted, NotFound, Output, Process, Shell
from .query_params import flag
from .status import dumps

PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
STDIN, STDOUT, STDERR, ERROR, RESIZE = 0, 1, 2, 3, 4
CLOSE = 255  # v5: a stream is closed
ATTACH_POLL_SECONDS = 0.2  # wall clock: how soon an attached client sees a new output line
SPDY_MESSAGE = ("k9py serves exec, attach and port-forward over WebSockets only, as kubectl v1.30 and later ask for "
                "them; SPDY is not served (unset KUBECTL_REMOTE_COMMAND_WEBSOCKETS and "
                "KUBECTL_PORT_FORWARD_WEBSOCKETS)")


# --- request checks ----------------------------------------------------------------------------------------

@attrs.frozen
class Options:
    stdin: bool
    stdout: bool
    stderr: bool
    tty: bool
    container: str
    command: tuple[str, ...]


def options(request: web.Request, container: str, command: bool) -> tuple[Options, str | None]:
    """PodExecOptions / PodAttachOptions from the query, and what the kubelet refuses in them (its NewOptions; it
    sees them only after the API server upgraded the client's connection)."""
    query = request.query
    stdin, stdout, stderr, tty = (flag(query, k) for k in ("stdin", "stdout", "stderr", "tty"))
    if tty and stderr:
        stderr = False  # "Access to exec with tty and stderr is not supported, bypassing stderr"
    argv = tuple(query.getall("command", []))
    refusal = None
    if not (stdin or stdout or stderr):
        refusal = "unable to upgrade connection: you must specify at least 1 of stdin, stdout, stderr"
    elif command and not argv:
        refusal = "unable to upgrade connection: cmd is empty"  # the CRI's ValidateExecRequest
    return Options(stdin, stdout, stderr, tty, container, argv), refusal


def is_websocket(request: web.Request) -> bool:
    return "websocket" in request.headers.get("Upgrade", "").lower() and \
        "upgrade" in request.headers.get("Connection", "").lower()


def require_websocket(request: web.Request) -> None:
    """What kube-apiserver answers to a connect request that cannot be served here."""
    if is_websocket(request):
        return
    if "spdy" in request.headers.get("Upgrade", "").lower():
        raise errors.bad_request(SPDY_MESSAGE)
    raise errors.bad_request("Upgrade request required")


def status_success() -> dict[str, Any]:
    return {"metadata": {}, "status": "Success"}


def status_exit(code: int) -> dict[str, Any]:
    return {"metadata": {}, "status": "Failure",
            "message": f"command terminated with non-zero exit code: command terminated with exit code {code}",
            "reason": "NonZeroExitCode", "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}


def status_internal(message: str) -> dict[str, Any]:
    """apierrors.NewInternalError, as the stream translator writes it on the error channel."""
    return {"metadata": {}, "status": "Failure", "message": f"Internal error occurred: {message}",
            "reason": "InternalError", "details": {"causes": [{"message": message}]}, "code": 500}


# --- the channels --------------------------------------------------------------------------------------------

class ChannelOutput(Output):
    def __init__(self, channels: Channels, channel: int, tty: bool) -> None:
        self.channels, self.channel, self.tty = channels, channel, tty

    async def write(self, data: bytes) -> None:
        if self.tty:
            data = data.replace(b"\n", b"\r\n")  # the terminal's output processing (ONLCR)
        await self.channels.send(self.channel, data)


class QueueInput(Input):
    """Bytes the client sends on stdin, b"" once it closed it (or went away)."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()
        self.done = False

    def feed(self, data: bytes) -> None:
        if not self.done and data:
            self.queue.put_nowait(data)

    def close(self) -> None:
        if not self.done:
            self.done = True
            self.queue.put_nowait(b"")

    async def read(self) -> bytes:
        data = await self.queue.get()
        if not data:
            self.queue.put_nowait(b"")
        return data


_INTERRUPT = b"\x03"


class Terminal(Input):
    """The container side of a pseudo-terminal in canonical mode: echo, line editing, ^C, ^D."""

    def __init__(self, channels: Channels) -> None:
        self.channels = channels
        self.line = bytearray()
        self.cooked: collections.deque[bytes] = collections.deque()
        self.ready = asyncio.Event()
        self.interrupted = asyncio.Event()
        self.closed = False
        self._escape = 0  # inside an escape sequence (arrow keys): swallowed

    async def feed(self, data: bytes) -> None:
        echo = bytearray()
        for byte in data:
            if self._escape:
                # ESC [ ... final byte (0x40-0x7e), or ESC and one more byte
                if self._escape == 1 and byte in (0x5B, 0x4F):
                    self._escape = 2
                elif self._escape == 1 or 0x40 <= byte <= 0x7E:
                    self._escape = 0
                continue
            if byte == 0x1B:
                self._escape = 1
            elif byte == 0x03:
                echo += b"^C\r\n"
                self.line.clear()
                self.cooked.append(_INTERRUPT)
                self.interrupted.set()
            elif byte == 0x04:
                self.cooked.append(bytes(self.line))  # with text: the line without its newline; alone: end of input
                self.line.clear()
            elif byte in (0x0D, 0x0A):
                echo += b"\r\n"
                self.cooked.append(bytes(self.line) + b"\n")
                self.line.clear()
            elif byte in (0x7F, 0x08):
                if self.line:
                    del self.line[-1]
                    while self.line and 0x80 <= self.line[-1] < 0xC0:  # the rest of a UTF-8 character
                        del self.line[-1]
                    echo += b"\b \b"
            elif byte == 0x15:  # ^U: kill the line
                echo += b"\b \b" * len(self.line.decode(errors="replace"))
                self.line.clear()
            elif byte >= 0x20 or byte == 0x09:
                self.line.append(byte)
                echo.append(byte)
        if echo:
            await self.channels.send(STDOUT, bytes(echo))
        self.ready.set()

    def close(self) -> None:
        self.closed = True
        self.ready.set()

    def consume_interrupt(self) -> None:
        """A sleeping program took the ^C: it is not seen again by the next read."""
        self.interrupted.clear()
        self.cooked = collections.deque(item for item in self.cooked if item != _INTERRUPT)

    async def read(self) -> bytes:
        while True:
            if self.cooked:
                item = self.cooked.popleft()
                if item == _INTERRUPT:
                    self.interrupted.clear()
                    raise Interrupted()
                return item
            if self.closed:
                return b""
            self.ready.clear()
            await self.ready.wait()

    readline = read  # a line at a time already


class Channels:
    """One upgraded connection: numbered channels over WebSocket binary messages."""

    def __init__(self, ws: web.WebSocketResponse, opts: Options) -> None:
        self.ws = ws
        self.opts = opts
        self.v5 = ws.ws_protocol == PROTOCOLS[0]
        self.stdin: QueueInput | Terminal = Terminal(self) if opts.tty and opts.stdin else QueueInput()
        if not opts.stdin:
            self.stdin.close()
        self.gone = asyncio.Event()
        self.size: tuple[int, int] | None = None
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        # "Send an empty message to the lowest writable channel to notify the client the connection is established"
        first = STDOUT if self.opts.stdout else STDERR if self.opts.stderr else ERROR
        await self.send(first, b"")
        self._reader = asyncio.create_task(self._read())

    async def send(self, channel: int, data: bytes) -> None:
        if self.ws.closed:
            return
        async with self._lock:
            try:
                await self.ws.send_bytes(bytes([channel]) + data)
            except (ConnectionResetError, RuntimeError):
                self.gone.set()

    def output(self, channel: int) -> Output:
        if self.opts.tty:
            return ChannelOutput(self, STDOUT, True)  # a terminal has one output
        wanted = self.opts.stdout if channel == STDOUT else self.opts.stderr
        return ChannelOutput(self, channel, False) if wanted else Output()

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                if message.type != WSMsgType.BINARY or not message.data:
                    continue
                data: bytes = message.data
                channel, payload = data[0], data[1:]
                if channel == STDIN:
                    if isinstance(self.stdin, Terminal):
                        await self.stdin.feed(payload)
                    else:
                        self.stdin.feed(payload)
                elif channel == CLOSE and self.v5 and payload[:1] == bytes([STDIN]):
                    self.stdin.close()
                elif channel == RESIZE:
                    try:
                        size = json.loads(payload)
                        self.size = (int(size.get("Width", 0)), int(size.get("Height", 0)))
                    except (ValueError, TypeError, AttributeError):
                        pass
        finally:
            self.stdin.close()
            self.gone.set()

    async def finish(self, status: dict[str, Any]) -> None:
        """The status on the error channel, then the connection closes."""
        await self.send(ERROR, dumps(status).encode())
        await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()

    async def run(self, work: Any) -> Any:
        """Run `work` (a coroutine) until it ends or the client goes away (then it is cancelled: None). If this
        request itself is cancelled (the connection dropped), the work goes with it."""
        task = asyncio.ensure_future(work)
        gone = asyncio.ensure_future(self.gone.wait())
        try:
            await asyncio.wait([task, gone], return_when=asyncio.FIRST_COMPLETED)
        finally:
            gone.cancel()
            if not task.done():
                task.cancel()
                try:
                    await task
                except (asyncio.CancelledError, Exception):
                    pass
        return task if not task.cancelled() else None

    def stop_reading(self) -> None:
        if self._reader is not None:
            self._reader.cancel()


async def _upgrade(request: web.Request, protocols: tuple[str, ...]) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(protocols=protocols, autoping=True, compress=False, max_msg_size=16 * 1024 * 1024)
    ready = ws.can_prepare(request)
    if not ready.ok or ready.protocol is None:
        offered = request.headers.get("Sec-WebSocket-Protocol", "")
        raise errors.bad_request(f"unable to upgrade: the requested subprotocols ({offered}) are not supported: "
                                 f"{', '.join(protocols)} are")
    await ws.prepare(request)
    return ws


def _pod(cluster: Cluster, namespace: str, name: str) -> dict[str, Any]:
    return cluster.api.get("pods", name, namespace)


# --- exec ----------------------------------------------------------------------------------------------------

class _Interrupts:
    """What engine_sleep needs of the terminal: the ^C event, and a way to say it was taken."""

    def __init__(self, terminal: Terminal) -> None:
        self.terminal = terminal
        self.interrupted = terminal.interrupted

    def consume_interrupt(self) -> None:
        self.terminal.consume_interrupt()


_Session = Callable[["Channels", Cluster, dict[str, Any], str, "str | None"], Awaitable[None]]


async def _serve(request: web.Request, cluster: Cluster, namespace: str, name: str, *, command: bool,
                 session: _Session) -> web.StreamResponse:
    """The shared half of exec and attach: the pod and container, the WebSocket upgrade, the channels."""
    pod = _pod(cluster, namespace, name)
    container = choose_container(pod, request.query.get("container"))
    check_bound(pod)
    require_websocket(request)
    ws = await _upgrade(request, PROTOCOLS)
    opts, refusal = options(request, container, command=command)
    channels = Channels(ws, opts)
    await channels.start()
    try:
        await session(channels, cluster, pod, container, refusal)
    finally:
        channels.stop_reading()
    return ws


async def serve_exec(request: web.Request, cluster: Cluster, namespace: str, name: str) -> web.StreamResponse:
    return await _serve(request, cluster, namespace, name, command=True, session=_exec)


async def _exec(channels: Channels, cluster: Cluster, pod: dict[str, Any], container: str,
                refusal: str | None) -> None:
    opts = channels.opts
    refusal = refusal or kubelet_refusal(cluster, pod, container, attach=False)
    if refusal is not None:
        await channels.finish(status_internal(refusal))
        return
    argv = list(opts.command)
    interrupts = _Interrupts(channels.stdin) if isinstance(channels.stdin, Terminal) else None
    task = await channels.run(run_in_container(cluster, pod, container, argv, channels.stdin,
                                               channels.output(STDOUT), channels.output(STDERR), opts.tty,
                                               interrupts))
    if task is None:
        return  # the client went away: the process was killed with it
    try:
        code = task.result()
    except NotFound as exc:
        # The kubelet's status ("Internal error occurred: error executing command in container: ..."), wrapped
        # once more by the API server's translator.
        inner = status_internal(runtime_failure(exc, pod, container, argv, cluster.now()))["message"]
        await channels.finish(status_internal(inner))
        return
    await channels.finish(status_success() if code == 0 else status_exit(code & 0xFF or 1))


# --- attach --------------------------------------------------------------------------------------------------

async def _stream_output(cluster: Cluster, pod: dict[str, Any], container: str, out: Output,
                         stdin: Input | None) -> None:
    """What an attached client sees: the container's output from now on, until it stops (or, when the container
    takes stdin and the client closes its own, until then, as containerd detaches)."""
    namespace, name, uid = pod["metadata"].get("namespace", ""), pod["metadata"]["name"], pod["metadata"]["uid"]
    lines = cluster.components.kubelets.logs(pod, container) or []
    last = lines[-1][0] if lines else float("-inf")
    stdin_done = asyncio.ensure_future(_drain(stdin)) if stdin is not None else None
    try:
        while True:
            current = cluster.store.get("pods", namespace, name)
            if current is None or current["metadata"].get("uid") != uid:
                return
            fresh = [line for line in cluster.components.kubelets.logs(current, container) or [] if line[0] > last]
            if fresh:
                last = fresh[-1][0]
                await out.write("".join(t + "\n" for t in format_lines(fresh, False)).encode())
            if not is_running(current, container) or (stdin_done is not None and stdin_done.done()):
                return
            await asyncio.sleep(ATTACH_POLL_SECONDS)
    finally:
        if stdin_done is not None:
            stdin_done.cancel()


async def _drain(stdin: Input) -> None:
    """Read the client's stdin to its end (the container's process would read it; k9py has none)."""
    try:
        while await stdin.read():
            pass
    except Interrupted:
        pass


async def serve_attach(request: web.Request, cluster: Cluster, namespace: str, name: str) -> web.StreamResponse:
    return await _serve(request, cluster, namespace, name, command=False, session=_attach)


async def _attach(channels: Channels, cluster: Cluster, pod: dict[str, Any], container: str,
                  refusal: str | None) -> None:
    opts = channels.opts
    refusal = refusal or kubelet_refusal(cluster, pod, container, attach=True)
    if refusal is not None:
        await channels.finish(status_internal(refusal))
        return
    spec = container_spec(pod, container)
    shell = attached_shell(pod, container) if opts.stdin else None
    if shell is not None:
        # The container's main process is a shell reading its terminal: the client talks to it.
        interrupts = _Interrupts(channels.stdin) if isinstance(channels.stdin, Terminal) else None
        system, env, cwd = container_system(cluster, pod, container, interrupts)
        process = Process(system, env, cwd, channels.stdin, channels.output(STDOUT), channels.output(STDERR),
                          opts.tty)
        kind = "bash" if shell[0].endswith("bash") else "dash" if system.flavour == "gnu" else "ash"
        task = await channels.run(Shell(process, shell[0], kind).interactive(prompt_first=False))
        if task is None:
            return  # detached: the shell goes on (a later attach meets a fresh one)
        main_process_exited(cluster, pod, container, task.result())
        await channels.finish(status_success())
        return
    # Only a container created with stdin reads what the client types (containerd drops it otherwise).
    takes_stdin = opts.stdin and bool(spec.get("stdin")) and not opts.tty
    task = await channels.run(_stream_output(cluster, pod, container, channels.output(STDOUT),
                                             channels.stdin if takes_stdin else None))
    if task is None:
        return
    task.result()
    await channels.finish(status_success())
