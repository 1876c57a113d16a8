"""`s` on a real cluster: a shell in the container, as k9s opens one (internal/view/exec.go runK, pod.go shellIn).

The dashboard hands the terminal over (Textual's `App.suspend`) to
`kubectl exec -it -n NS POD -c CONTAINER -- sh -c "command -v bash >/dev/null && exec bash || exec sh"` (bash when the
image has it, else sh), with the context, kubeconfig and impersonation the dashboard uses, as k9s's runK passes
`--as`, `--as-group`, `--context` and `--kubeconfig`; it comes back when the shell exits. kubectl's own complaints
(its stderr; the shell's output is the terminal's) are shown as it prints them and also kept, so that a failure
is flashed in kubectl's words (its reason first) when the dashboard returns: kwok's pods (the test kit), which run
nothing, answer `error: Internal error occurred: ... no exec found for container`.

Where k9py differs from k9s: k9s clears the screen after the shell and says nothing unless exec failed; k9py says
how the shell ended too (`command terminated with exit code N` is how kubectl reports the shell's last status, not a
failure). On k9py's own simulated cluster `s` shows the container's environment and files instead
(views/container_env.py).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
from typing import IO, TYPE_CHECKING, Any, cast

from textual.app import App, SuspendNotSupported

from .app import editor_signals

if TYPE_CHECKING:
    from textual.screen import Screen

    from .actions import Host
    from .kube_backend import KubeBackend

Obj = dict[str, Any]
SHELL_CHECK = "command -v bash >/dev/null && exec bash || exec sh"  # k9s's shellCheck
# k9s's bannerFmt, then how to come back
BANNER = "<<K9s-Shell>> Pod: {pod} | Container: {container}\n(exit or ctrl-d returns to k9py)"
ENDED = re.compile(r"command terminated with exit code (\d+)")  # kubectl: the remote shell's own exit status
GENERIC = "Internal error occurred: "  # the API server's InternalError message, before the reason
STDERR_KEPT = 4096  # bytes of kubectl's stderr kept for the flash line (its last words)


def shell_argv(kubectl: str, backend: KubeBackend, namespace: str, pod: str, container: str) -> list[str]:
    """The kubectl command k9s runs for its shell, against the context the dashboard shows."""
    client = backend.client
    argv = [kubectl, "exec", "-it", "-n", namespace, pod, "-c", container]
    if client.as_user:
        argv += ["--as", client.as_user]
        for group in client.as_groups:
            argv += ["--as-group", group]
    if client.context:
        argv += ["--context", client.context]
    argv += ["--kubeconfig", client.kubeconfig]
    return [*argv, "--", "sh", "-c", SHELL_CHECK]


def outcome(target: str, code: int, stderr: str) -> tuple[str, str]:
    """What the flash line says once kubectl has exited: (message, level). A failure in kubectl's last words (its
    `error: ...` line when it printed one: `Unable to use a TTY` is a warning it goes on after), most specific
    first: without kubectl's `error: ` and the API server's generic `Internal error occurred: ` before the reason
    (twice in front of kwok's `no exec found for container`), so that the reason fits an 80-column flash line."""
    said = [line.strip() for line in stderr.splitlines() if line.strip()]
    last = next((line for line in reversed(said) if line.startswith("error:")), said[-1] if said else "")
    if code == 0:
        return f"shell in {target} ended", "info"
    if ended := ENDED.search(last):
        return f"shell in {target} ended (exit code {ended[1]})", "info"
    reason = last.removeprefix("error: ")
    while reason.startswith(GENERIC):
        reason = reason.removeprefix(GENERIC)
    return f"shell: {reason or f'kubectl exited with status {code}'}", "error"


def _running(pod: Obj, container: str) -> bool:
    """Whether the container runs now (k9s opens a shell only in a running pod; exec needs a running container)."""
    status = pod.get("status") or {}
    if status.get("phase") != "Running" or pod["metadata"].get("deletionTimestamp"):
        return False
    statuses = [*(status.get("containerStatuses") or ()), *(status.get("initContainerStatuses") or ())]
    found = next((s for s in statuses if s.get("name") == container), None)
    return found is None or "running" in (found.get("state") or {})


async def shell_in(host: Host, backend: KubeBackend, pod: Obj, container: str) -> None:
    """`s` on a pod or container of a real cluster: kubectl's shell in it, then back to the dashboard, the flash
    line saying how it ended."""
    meta = pod["metadata"]
    namespace, name = meta.get("namespace") or "default", meta["name"]
    target = f"{namespace}/{name}:{container}"
    if getattr(host, "readonly", False):
        host.flash("--readonly: no shell (a shell can change what runs; k9s hides Shell when read-only)", "warn")
        return
    if not _running(pod, container):
        host.flash(f"{target} is not in a running state", "error")
        return
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        host.flash("s opens a shell with `kubectl exec -it`: kubectl is not on your PATH", "error")
        return
    argv = shell_argv(kubectl, backend, namespace, name, container)
    app = cast("Screen[Any]", host).app
    try:
        if app.is_headless:  # tests: no terminal to hand over; kubectl reads an empty stdin (the shell ends at once)
            code, stderr = await _run_headless(argv)
        else:
            code, stderr = await _handed_over(app, argv, BANNER.format(pod=f"{namespace}/{name}", container=container))
    except SuspendNotSupported:
        host.flash("this terminal cannot be handed to a shell", "error")
        return
    except OSError as exc:
        host.flash(f"cannot run kubectl ({exc.strerror or exc})", "error")
        return
    host.flash(*outcome(target, code, stderr))


async def _handed_over(app: App[Any], argv: list[str], banner: str) -> tuple[int, str]:
    """kubectl with the terminal (its stdin and stdout) until it exits, its stderr shown as it comes and kept:
    (status, stderr). The dashboard is suspended meanwhile (no input read, ctrl-c the shell's) and paints nothing:
    its writer is stopped, and a paint queued to it would block the loop, so repaints are held (`batch_update`)
    until the terminal is back. The loop itself goes on: watches stay current, and a cluster running in this
    process (the simulated one, `--serve`) keeps its clock and can answer this very exec."""
    with app.suspend(), app.batch_update(), editor_signals():
        out = cast("IO[str]", sys.__stdout__)
        out.write("\x1b[H\x1b[2J" + banner + "\n")  # k9s clears the screen and prints its banner first
        out.flush()
        process = await asyncio.create_subprocess_exec(*argv, stderr=subprocess.PIPE)
        assert process.stderr is not None
        err = cast("IO[str]", sys.__stderr__).fileno()
        kept = b""
        while chunk := await process.stderr.read(1024):
            os.write(err, chunk)
            kept = (kept + chunk)[-STDERR_KEPT:]
        code = await process.wait()
    return code, kept.decode("utf-8", "replace")


async def _run_headless(argv: list[str]) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, stderr = await process.communicate()
    return process.returncode or 0, stderr.decode("utf-8", "replace")
