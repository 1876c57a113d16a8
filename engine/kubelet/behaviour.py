"""What a simulated container does, decided by its spec and the pod's `sim.k9py.io/*` annotations.

There are no real images. A container's `command`/`args` are read for a shell one-liner made of `sleep N`,
`exit N`, `true` and `false` joined by `;` or `&&` (`sh -c "sleep 5; exit 1"` runs 5 s then exits 1). A script
that needs running to tell what it does (a loop, `nslookup`, `nc -z`, `wget`, `curl`, or `echo` and the other
programs whose output is its log) and that k9py can run in full is run in the simulated shell
(`shell_behaviour.py`). Anything else runs until stopped, except init
containers, which complete successfully after a second (they usually wait for something the simulation does not
model); sidecars (init containers with `restartPolicy: Always`) are long-running like app containers.
Annotations say what a spec cannot.
"""

from __future__ import annotations

import functools
import re
import shlex
from typing import Any

import attrs

from ..metrics.profile import ProfileError, profile_of
from ..timeutil import parse_go_duration
from .shell_behaviour import runnable

Obj = dict[str, Any]
PREFIX = "sim.k9py.io/"
DEFAULT_PULL_SECONDS = 1.0
DEFAULT_INIT_SECONDS = 1.0
# How long an app that handles SIGTERM takes to exit. A shell or `sleep` as PID 1 ignores SIGTERM and is killed
# when the grace period ends, exactly as on a real node.
DEFAULT_STOP_SECONDS = 1.0
SHELLS = ("sh", "bash", "ash", "dash", "/bin/sh", "/bin/bash", "/bin/ash", "/bin/dash", "/usr/bin/env")


@attrs.frozen
class ProbeBehaviour:
    """`pass`, `fail` (never passes), or `fail-after` (passes until `after` seconds into the run)."""

    mode: str = "pass"
    after: float = 0.0

    def failing_at(self, run_seconds: float) -> bool:
        if self.mode == "fail":
            return True
        return self.mode == "fail-after" and run_seconds >= self.after


@attrs.frozen
class ContainerBehaviour:
    pull_seconds: float = DEFAULT_PULL_SECONDS
    pull_fails: bool = False
    # Seconds after start when the app is ready to serve (readiness/startup probes pass from then on).
    start_seconds: float = 0.0
    # Seconds after start when the process exits on its own, None for never.
    exit_after: float | None = None
    exit_code: int = 0
    readiness: ProbeBehaviour = ProbeBehaviour()
    liveness: ProbeBehaviour = ProbeBehaviour()
    stop_seconds: float = DEFAULT_STOP_SECONDS
    ignores_sigterm: bool = False
    log_template: str | None = None
    # The command runs in the simulated shell (shell_behaviour.py): it decides when the container exits, and how.
    scripted: bool = False


class BehaviourError(ValueError):
    """An annotation's value cannot be understood (reported as an event, the default is used)."""


def _annotation_seconds(annotations: dict[str, str], name: str, default: float) -> float:
    value = annotations.get(PREFIX + name)
    if value is None:
        return default
    try:
        seconds = parse_go_duration(str(value))
    except ValueError as exc:
        raise BehaviourError(f"annotation {PREFIX}{name}: {exc}") from None
    return max(0.0, seconds)


def _probe_behaviour(annotations: dict[str, str], name: str) -> ProbeBehaviour:
    value = annotations.get(PREFIX + name)
    if value is None or value == "pass":
        return ProbeBehaviour()
    if value == "fail":
        return ProbeBehaviour("fail")
    match = re.fullmatch(r"fail-after=(.+)", str(value))
    if match:
        try:
            return ProbeBehaviour("fail-after", max(0.0, parse_go_duration(match.group(1))))
        except ValueError as exc:
            raise BehaviourError(f"annotation {PREFIX}{name}: {exc}") from None
    raise BehaviourError(f'annotation {PREFIX}{name}: "{value}" is not one of pass, fail, fail-after=<duration>')


def script_of(container: Obj) -> str | None:
    """The shell text of `command` + `args` when the container runs a shell one-liner or a bare command."""
    argv = [str(a) for a in (container.get("command") or []) + (container.get("args") or [])]
    if not argv:
        return None
    if argv[0] in SHELLS or argv[0].endswith("/sh"):
        rest = argv[1:]
        if rest and rest[0] == "sh":  # /usr/bin/env sh -c …
            rest = rest[1:]
        while rest and rest[0].startswith("-") and rest[0] != "-c":
            rest = rest[1:]
        if rest and rest[0] == "-c" and len(rest) > 1:
            return rest[1]
        return None
    return shlex.join(argv)


def interpret_script(script: str) -> tuple[float | None, int, bool]:
    """(seconds until exit or None for never, exit code, understood) for `sleep 5; exit 1` and friends."""
    elapsed = 0.0
    for part in re.split(r";|&&|\n", script):
        words = part.split()
        if not words:
            continue
        cmd = words[0]
        if cmd == "sleep" and len(words) == 2:
            if words[1] in ("infinity", "inf"):
                return None, 0, True
            try:
                elapsed += parse_go_duration(words[1]) if not words[1].replace(".", "").isdigit() else float(words[1])
            except ValueError:
                return None, 0, False
        elif cmd == "exit":
            code = int(words[1]) if len(words) > 1 and words[1].isdigit() else 0
            return elapsed, code % 256, True
        elif cmd == "true":
            continue
        elif cmd == "false":
            return elapsed, 1, True
        elif cmd in ("echo", "date", "printf"):
            continue
        else:
            return None, 0, False
    return elapsed, 0, True


def container_behaviour(pod: Obj, container: Obj, *, is_init: bool) -> ContainerBehaviour:
    """The behaviour of one container; memoised, since every replica of a template behaves alike."""
    annotations = tuple(sorted((str(k), str(v)) for k, v in ((pod.get("metadata") or {}).get("annotations") or {})
                               .items() if str(k).startswith(PREFIX)))
    limit = ((container.get("resources") or {}).get("limits") or {}).get("memory")
    key = (annotations, tuple(map(str, container.get("command") or ())), tuple(map(str, container.get("args") or ())),
           str(limit), is_init)
    return _behaviour(key)


@functools.lru_cache(maxsize=4096)
def _behaviour(key: tuple[Any, ...]) -> ContainerBehaviour:
    annotation_items, command, args, limit, is_init = key
    pod = {"metadata": {"annotations": dict(annotation_items)}}
    container: Obj = {"command": list(command), "args": list(args)}
    if limit != "None":
        container["resources"] = {"limits": {"memory": limit}}
    return _parse_behaviour(pod, container, is_init=is_init)


def _parse_behaviour(pod: Obj, container: Obj, *, is_init: bool) -> ContainerBehaviour:
    annotations = {str(k): str(v) for k, v in ((pod.get("metadata") or {}).get("annotations") or {}).items()}
    exit_after: float | None = None
    exit_code = 0
    ignores_sigterm = False
    understood = False
    script = script_of(container)
    if script is not None:
        seconds, code, understood = interpret_script(script)
        if understood:
            exit_after, exit_code = seconds, code
            # PID 1 of a container gets no default signal actions: `sleep 3600` or a shell running it (without a
            # `trap`, which is not understood and so runs as a plain app) ignores SIGTERM and is SIGKILLed when
            # the grace period ends (docs: "Termination of Pods").
            ignores_sigterm = True
    # The annotations that say when the process exits win over running its script.
    scripted = script is not None and runnable(script) and \
        PREFIX + "exit-after" not in annotations and PREFIX + "exit-code" not in annotations
    if scripted:
        exit_after, exit_code = None, 0  # the script decides, as it runs
        ignores_sigterm = True  # PID 1 (the shell, or nslookup itself) has no default SIGTERM action
    elif is_init and not understood:
        exit_after = DEFAULT_INIT_SECONDS
    if PREFIX + "exit-after" in annotations:
        exit_after = _annotation_seconds(annotations, "exit-after", 0.0)
        exit_code = 1
    if PREFIX + "exit-code" in annotations:
        try:
            exit_code = int(annotations[PREFIX + "exit-code"]) % 256
        except ValueError:
            raise BehaviourError(f"annotation {PREFIX}exit-code: must be an integer") from None
        if exit_after is None:
            exit_after = 0.0
    try:
        profile_of(annotations)  # cpu, memory, cost-per-request: what the container uses (usage.py reads it)
    except ProfileError as exc:
        raise BehaviourError(str(exc)) from None
    return ContainerBehaviour(
        pull_seconds=_annotation_seconds(annotations, "pull-seconds", DEFAULT_PULL_SECONDS),
        pull_fails=annotations.get(PREFIX + "image-pull") == "fail",
        start_seconds=_annotation_seconds(annotations, "start-seconds", 0.0),
        exit_after=exit_after,
        exit_code=exit_code,
        readiness=_probe_behaviour(annotations, "readiness"),
        liveness=_probe_behaviour(annotations, "liveness"),
        stop_seconds=_annotation_seconds(annotations, "stop-seconds", DEFAULT_STOP_SECONDS),
        ignores_sigterm=ignores_sigterm,
        log_template=annotations.get(PREFIX + "log"),
        scripted=scripted,
    )
