"""Container logs, generated lazily: nothing is stored per line until someone reads a log.

A container prints a start line, then a line every `LOG_PERIOD` seconds while it runs, from the pod's
`sim.k9py.io/log` template (placeholders: {n} {pod} {container} {namespace} {image} {ip}, plus {env:NAME}, the
container's variable as it was created, and {file:/path}, a mounted file as the line's moment saw it) or a default
access-log style line. Only those placeholders are replaced; any other text, braces included, is printed as
written: the template comes from a manifest, and `str.format` would let it read attributes (`{pod.x}`) or pad a
line to gigabytes (`{n:>300000000}`).

A container whose command k9py runs in its simulated shell (`shell_behaviour.py`) logs what it prints instead,
stdout and stderr as they come, each line stamped with the engine time it was written (the last
MAX_LINES_PER_RUN lines are kept, as a rotated log would).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from typing import Any

import attrs

from ..quoting import go_quote
from ..timeutil import format_micro_time

LOG_PERIOD = 5.0
MAX_LINES_PER_RUN = 5000
DEFAULT_TEMPLATE = '{ip} - - "GET / HTTP/1.1" 200 615 "-" "kube-probe/1.36" request={n}'
TEMPLATE_FIELDS = ("n", "pod", "container", "namespace", "image", "ip")
_PLACEHOLDER = re.compile(r"\{(" + "|".join(TEMPLATE_FIELDS) + r"|env:[^{}]+|file:/[^{}]*)\}")
# A piece of a compiled template: literal text, None for the line number, or a file read at the line's moment.
Piece = str | None | Callable[[float], str]
FileReader = Callable[[str, float], str | None]


def _file_piece(path: str, read: FileReader | None) -> Callable[[float], str]:
    def piece(when: float) -> str:
        content = read(path, when) if read is not None else None
        # What `cat` would have printed instead, in the line: the file's text, or its error.
        return content.rstrip("\n") if content is not None else f"cat: {path}: No such file or directory"
    return piece


def compile_template(template: str, fields: dict[str, str], env: dict[str, str] | None = None,
                     read_file: FileReader | None = None) -> tuple[Piece, ...]:
    """The template as pieces with the run's fixed fields (and environment) filled in."""
    pieces: list[Piece] = []
    for i, part in enumerate(_PLACEHOLDER.split(template)):
        if i % 2 == 0:
            if part:
                pieces.append(part)
        elif part == "n":
            pieces.append(None)
        elif part.startswith("env:"):
            pieces.append((env or {}).get(part[4:], ""))  # an unset variable expands to nothing, as in a shell
        elif part.startswith("file:"):
            pieces.append(_file_piece(part[5:], read_file))
        else:
            pieces.append(str(fields.get(part, "")))
    return tuple(pieces)


def render(pieces: tuple[Piece, ...], n: int, when: float = 0.0) -> str:
    return "".join(str(n) if piece is None else piece if isinstance(piece, str) else piece(when)
                   for piece in pieces)


@attrs.define
class Run:
    """One run of a container (a restart starts a new run; `--previous` reads the one before)."""

    started: float
    stopped: float | None
    fields: dict[str, str]
    template: tuple[Piece, ...]  # compile_template's pieces
    first_line: str
    last_line: str | None = None
    # What the process printed, when k9py runs it (None: lines generated from the template): (time, line).
    output: deque[tuple[float, str]] | None = None
    partial: str = ""  # printed after the last newline


class RunOutput:
    """A process's stdout and stderr into its run's log (a `shell.Output`; `clock` stamps each line)."""

    def __init__(self, run: Run, clock: Callable[[], float]) -> None:
        self.run = run
        self.clock = clock

    async def write(self, data: bytes) -> None:
        self.add(data.decode(errors="replace"))

    def add(self, text: str) -> None:
        run = self.run
        if run.output is None or run.stopped is not None:
            return
        *lines, run.partial = (run.partial + text).split("\n")
        now = self.clock()
        run.output.extend((now, line) for line in lines)


class LogBook:
    def __init__(self) -> None:
        self._runs: dict[tuple[str, str, str], list[Run]] = {}  # (pod uid, container) -> runs

    def started(self, ps: Any, c: Any, spec: dict[str, Any], now: float, env: dict[str, str] | None = None,
                read_file: FileReader | None = None, argv: list[str] | None = None) -> None:
        """`argv`: the command line after `$(VAR)` expansion (else the spec's, as written)."""
        fields = {"pod": ps.name, "namespace": ps.namespace, "container": c.name, "image": c.image, "ip": ps.ip}
        if argv is None:
            argv = [str(x) for x in (spec.get("command") or []) + (spec.get("args") or [])]
        command = " ".join(argv)
        first = f"Starting {c.image}" + (f": {command}" if command else "")
        template = compile_template(c.behaviour.log_template or DEFAULT_TEMPLATE, fields, env, read_file)
        runs = self._runs.setdefault((ps.uid, c.name, ""), [])
        runs.append(Run(now, None, fields, template, first))
        del runs[:-2]  # the kubelet keeps the current and the previous container's logs

    def output(self, ps: Any, c: Any, clock: Callable[[], float]) -> RunOutput | None:
        """The current run's log becomes what its process prints (k9py runs the container's command)."""
        runs = self._runs.get((ps.uid, c.name, ""))
        if not runs or runs[-1].stopped is not None:
            return None
        runs[-1].output = deque(maxlen=MAX_LINES_PER_RUN)
        return RunOutput(runs[-1], clock)

    def stopped(self, ps: Any, c: Any, now: float) -> None:
        runs = self._runs.get((ps.uid, c.name, ""))
        if runs and runs[-1].stopped is None:
            run = runs[-1]
            run.stopped = now
            if run.output is not None:
                if run.partial:  # an unfinished last line is still in the log
                    run.output.append((now, run.partial))
                    run.partial = ""
                return
            if c.state == "terminated":
                if c.reason == "OOMKilled":
                    run.last_line = "Killed"
                elif c.exit_code:
                    run.last_line = f"exited with code {c.exit_code}"

    def forget(self, uid: str) -> None:
        for key in [k for k in self._runs if k[0] == uid]:
            del self._runs[key]

    def lines(self, uid: str, container: str, now: float, previous: bool = False) -> list[tuple[float, str]] | None:
        runs = self._runs.get((uid, container, ""))
        if not runs:
            return None
        if previous:
            if len(runs) < 2:
                return None
            run = runs[-2]
        else:
            run = runs[-1]
        if run.output is not None:
            return list(run.output)
        end = run.stopped if run.stopped is not None else now
        out = [(run.started, run.first_line)]
        count = int((end - run.started) // LOG_PERIOD)
        first = max(1, count - MAX_LINES_PER_RUN + 1)
        for n in range(first, count + 1):
            when = run.started + n * LOG_PERIOD
            out.append((when, render(run.template, n, when)))
        if run.last_line and run.stopped is not None:
            out.append((run.stopped, run.last_line))
        return out


def format_lines(lines: list[tuple[float, str]], timestamps: bool) -> list[str]:
    return [f"{format_micro_time(t)} {text}" if timestamps else text for t, text in lines]


def no_log_reason(pod: dict[str, Any], container: str, previous: bool) -> str:
    """Why a container has no log to show, in the API server's words (what `kubectl logs` prints)."""
    name = pod["metadata"]["name"]
    if previous:
        return f"previous terminated container {go_quote(container)} in pod {go_quote(name)} not found"
    status = pod.get("status") or {}
    statuses = (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or [])
    found = next((cs for cs in statuses if cs.get("name") == container), None)
    waiting = ((found or {}).get("state") or {}).get("waiting") or {}
    reason = waiting.get("reason") or "ContainerCreating"
    return f"container {go_quote(container)} in pod {go_quote(name)} is waiting to start: {reason}"

