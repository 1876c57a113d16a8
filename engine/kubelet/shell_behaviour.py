"""A container whose command is a script k9py can run in full runs it: in the simulated shell (`shell.py`), on the
engine's clock, its `nslookup`, `nc -z`, `wget` and `curl` carried by the simulated data plane (`netcmds.py`),
what it prints going to the container's log. So an init container's `until nc -z db-service 5432; do sleep 1;
done` keeps its pod at `Init:0/1` until the Service has a ready endpoint, `wget -qO- http://web` logs the page it
got (or busybox's `wget: bad address 'web'` and exits 1), and a loop that echoes every 10 seconds logs a line
every 10 seconds.

Which commands, decided once per distinct command line when behaviour.py reads the spec (a container without one
pays nothing): a `sh -c` script or a bare command line
- that the shell parses, whose every program (command substitutions included) the simulated container has,
- that writes no file (only to `/dev/null` and to the other stream) and uses its network programs as k9py
  simulates them (`nc -z`, `wget` to stdout or `--spider`, `curl` without `-o FILE`),
- and that does what only running it can tell: a network program, or a loop.
Anything else keeps behaviour.py's reading: a plain app runs until stopped, an init container completes after a
second.

The shell is a coroutine stepped by hand (Stepper), not an asyncio task: each `sleep` it awaits becomes a timer
on the engine's clock, so a virtual clock jumps straight over it, deterministically, and a paused one holds it.
The world a script sees is the cluster at the instant each step runs; a loop re-reads it every iteration.

Where k9py differs: a stopped container's script stops at once (its timers are cancelled), where a real shell as
PID 1 ignores SIGTERM and runs on until SIGKILL at the end of the grace period; the container still exits only
then, with 137.
"""

from __future__ import annotations

import functools
import logging
import posixpath
import re
import traceback
from collections.abc import Callable, Coroutine, Generator
from typing import TYPE_CHECKING, Any

from .exec import system_of
from .shell import (
    BUILTIN_NAMES,
    NETWORK_PROGRAMS,
    PATH_DIRS,
    PROGRAMS,
    AndOr,
    ForLoop,
    Group,
    IfClause,
    Input,
    Loop,
    NotFound,
    Output,
    Process,
    ShellSyntaxError,
    Simple,
    Word,
    lex,
    parse,
    run_program,
)

if TYPE_CHECKING:  # state.py reads behaviour.py, which reads this module
    from .state import ContainerState, PodState

Obj = dict[str, Any]
log = logging.getLogger("engine.kubelet")
LOOP = "loop"  # a marker among a script's program names: it loops
# Programs whose output is the container's log (`echo The app is running! && sleep 3600`, `cat /etc/config/*`).
PRINTING = ("echo", "printf", "cat", "env", "printenv", "date", "hostname", "id", "whoami", "ls", "pwd")
# What only running a script tells: what its network programs get, how often a loop goes round, what it prints.
RUN_TO_TELL = frozenset({*NETWORK_PROGRAMS, LOOP, *PRINTING})
_K8S_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# --- which commands ------------------------------------------------------------------------------------------

def _plain(word: Word) -> str | None:
    """A word's text when it holds no expansion (quoted or not), else None."""
    return "".join(text for _, text, _ in word) if all(kind == "lit" for kind, _, _ in word) else None


def _substitutions_known(words: list[Word], found: set[str]) -> bool:
    """Command substitutions run programs too: `$(cat /var/run/secrets/.../namespace)`. A `$(NAME)` is the
    kubelet's own expansion of a variable (done before the shell runs), not a program."""
    for word in words:
        for kind, text, _ in word:
            if kind == "cmd" and not _K8S_VARIABLE.fullmatch(text):
                try:
                    items = parse(lex(text))
                except ShellSyntaxError:
                    return False
                if not _known(items, found):
                    return False
    return True


def _supported_use(name: str, args: list[str | None]) -> bool:
    """Whether `name` is used as k9py simulates it (an argument made by an expansion is given the benefit)."""
    if None in args:
        return True
    words = [a for a in args if a is not None]
    if name == "nc":  # only the connection check: `nc -l` (a listener) would exit at once here
        return any(a.startswith("-") and not a.startswith("--") and "z" in a for a in words)
    if name == "wget":  # to stdout, to /dev/null, or a spider; a file download is not simulated
        return any(a == "--spider" or a.endswith("O-") or (a.endswith("O") and b in ("-", "/dev/null")) or
                   (a.startswith("-") and not a.startswith("--") and "s" in a.split("O", 1)[0])
                   for a, b in zip(words, [*words[1:], ""], strict=True))
    if name == "curl":
        return not any(a in ("-O", "--remote-name") or (a in ("-o", "--output") and b != "/dev/null")
                       for a, b in zip(words, [*words[1:], ""], strict=True))
    return True


def _simple_known(cmd: Simple, found: set[str]) -> bool:
    if not _substitutions_known([*cmd.words, *(v for _, v in cmd.assigns), *(t for _, _, t in cmd.redirs)], found):
        return False
    for _, op, target in cmd.redirs:
        if op in (">", ">>") and _plain(target) != "/dev/null":
            return False  # writing files is not simulated
    if not cmd.words:
        return True
    name = _plain(cmd.words[0])
    if name is None:
        return False  # a program named by a variable: unknown ahead of time
    if "/" in name:
        directory, name = posixpath.split(posixpath.normpath(name))
        if directory not in PATH_DIRS:
            return False
    if name not in BUILTIN_NAMES and name not in PROGRAMS:
        return False
    found.add(name)
    return _supported_use(name, [_plain(w) for w in cmd.words[1:]])


def _known(items: list[AndOr], found: set[str]) -> bool:
    """Every command of the lists is one the simulated container runs as written; `found` collects the programs
    (and LOOP)."""
    for item in items:
        for pipeline in (item.first, *(p for _, p in item.rest)):
            for cmd in pipeline.commands:
                if isinstance(cmd, Simple):
                    if not _simple_known(cmd, found):
                        return False
                    continue
                lists: list[list[AndOr]]
                if isinstance(cmd, Loop):
                    found.add(LOOP)
                    lists = [cmd.condition, cmd.body]
                elif isinstance(cmd, ForLoop):
                    found.add(LOOP)
                    lists = [cmd.body]
                    if not _substitutions_known(cmd.items or [], found):
                        return False
                elif isinstance(cmd, IfClause):
                    lists = [part for branch in cmd.branches for part in branch]
                    lists += [cmd.otherwise] if cmd.otherwise is not None else []
                else:
                    assert isinstance(cmd, Group)
                    lists = [cmd.body]
                if not all(_known(part, found) for part in lists):
                    return False
    return True


@functools.lru_cache(maxsize=1024)
def runnable(script: str) -> bool:
    """Whether a command (a shell script, or a bare command line as shell text) runs in the simulated shell."""
    found: set[str] = set()
    try:
        return _known(parse(lex(script)), found) and bool(found & RUN_TO_TELL)
    except (ShellSyntaxError, RecursionError):  # a manifest's `$($($(...)))` a thousand deep is not run
        return False


# --- running one on the engine's clock -----------------------------------------------------------------------

class Sleep:
    """What a stepped process awaits to let time pass: the Stepper turns it into a timer."""

    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __await__(self) -> Generator[Sleep, None, None]:
        yield self


async def clock_sleep(seconds: float) -> None:
    """`System.sleep` of a process a Stepper runs."""
    await Sleep(max(0.0, seconds))


Schedule = Callable[[float, Callable[[], None]], Any]


class Stepper:
    """Runs a simulated process (a coroutine of `shell.py`) to its end without asyncio: `step` runs it until it
    sleeps, and `schedule(seconds, step)` resumes it on the engine's clock. `done(code)` gets its exit status."""

    def __init__(self, coro: Coroutine[Any, Any, int], schedule: Schedule, done: Callable[[int], None]) -> None:
        self.coro = coro
        self.schedule = schedule
        self.done = done
        self.finished = False

    def step(self) -> None:
        if self.finished:
            return
        try:
            request = self.coro.send(None)
        except StopIteration as stop:
            self._finish(stop.value if isinstance(stop.value, int) else 0)
            return
        except NotFound:  # the runtime found no such program: what a shell reports as 127
            self._finish(127)
            return
        except Exception:  # a simulated program must never take the kubelet down: the process dies
            log.error("a simulated process failed:\n%s", traceback.format_exc())
            self._finish(1)
            return
        if isinstance(request, Sleep):
            self.schedule(request.seconds, self.step)
            return
        # Only the engine's clock suspends a process run here; anything else would never be resumed.
        log.error("a simulated process awaited %r, which the kubelet cannot resume", request)
        self.stop()
        self._finish(1)

    def stop(self) -> None:
        """Kill the process: it runs no further (its `finally` blocks run now)."""
        self.finished = True
        self.coro.close()

    def _finish(self, code: int) -> None:
        self.finished = True
        self.done(code)


class ScriptMixin:
    """The kubelet's side: a scripted container's main process, and processes for its exec probes. A mixin of
    `Kubelet`: it uses `_pod`, `_spec`, `_after`, `_exited`, `clock`, `configs`, `logs` and `host`."""

    def _run_script(self, ps: PodState, c: ContainerState, argv: list[str]) -> None:
        """Start the container's command in the simulated shell, just after its start is posted (the data plane
        lets a pod send only once it shows a running container)."""
        self._after(ps, 0.0, lambda: self._begin_script(ps, c, argv), c)

    def _begin_script(self, ps: PodState, c: ContainerState, argv: list[str]) -> None:
        pod = self._pod(ps)
        if pod is None or c.state != "running":
            return
        run = c.container_id
        out = self.logs.output(ps, c, self.clock.now)
        process = self._process(ps, pod, c, out or Output(), out or Output())

        def done(code: int) -> None:
            if c.container_id == run and c.state == "running":
                self._exited(ps, c, code, "Completed" if code == 0 else "Error")

        Stepper(run_program(process, argv), self._scheduler(ps, c), done).step()

    def _process(self, ps: PodState, pod: Obj, c: ContainerState, stdout: Output, stderr: Output) -> Process:
        """A process in the container as it runs now, with no stdin (a container's stdin is closed unless
        `stdin: true`, and nothing here writes to it)."""
        spec = self._spec(ps, c)
        now = self.clock.now()
        view = self.configs.view(pod, spec, now)
        network = getattr(self.host, "network", None)
        system, env, cwd = system_of(pod, c.name, view, now, self.clock.now, clock_sleep,
                                     network() if network is not None else None)
        return Process(system, env, cwd, Input(), stdout, stderr)

    def _scheduler(self, ps: PodState, c: ContainerState) -> Schedule:
        """Timers of the container (cancelled with it), each dropped from its list once fired: a loop that runs
        for days keeps one pending timer, not one per iteration."""
        def schedule(delay: float, fn: Callable[[], None]) -> None:
            def fire() -> None:
                if timer in c.timers:
                    c.timers.remove(timer)
                fn()

            timer = self._after(ps, delay, fire, c)
        return schedule
