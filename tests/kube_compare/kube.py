"""The real side: the control plane kit in ../shared/kube (or $KUBE_KIT_DIR).

A cluster already running from the kit's state dir is used as it is (and left running); otherwise the kit is
started for this pytest session and stopped at its end. No kit (or no kubectl) skips the comparison, unless
K9PY_REQUIRE_KUBE=1 (CI), which turns the skip into a failure.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import ssl
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from .sides import KUBECTL, kubeconfig_client_parts

KIT = Path(os.environ.get("KUBE_KIT_DIR") or Path(__file__).resolve().parents[3] / "shared" / "kube")
STATE = Path(os.environ.get("KUBE_KIT_HOME")
             or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kube-kit")
REQUIRED = os.environ.get("K9PY_REQUIRE_KUBE") == "1"


def _missing(why: str) -> None:
    if REQUIRED:
        pytest.fail(f"K9PY_REQUIRE_KUBE=1 but {why}", pytrace=False)
    pytest.skip(why)


def _ready(kubeconfig: Path) -> bool:
    """The kit's cluster answers /readyz (the kubeconfig outlives a stopped cluster, so its file proves nothing)."""
    if not kubeconfig.is_file():
        return False
    try:
        server, tls, token = kubeconfig_client_parts(kubeconfig)
        request = urllib.request.Request(server + "/readyz", headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=3, context=tls) as response:
            return bool(response.status == 200)
    except (OSError, ssl.SSLError, KeyError, ValueError):
        return False


@contextmanager
def real_cluster() -> Iterator[Path]:
    """The kubeconfig of a running real control plane, for the whole pytest session."""
    if not (KIT / "start").is_file():
        _missing(f"no real control plane kit at {KIT}")
    if KUBECTL is None:
        _missing("kubectl is not installed")
    kubeconfig = STATE / "kubeconfig"
    if _ready(kubeconfig):
        yield kubeconfig
        return
    run = subprocess.run(["bash", str(KIT / "start")], capture_output=True, text=True, timeout=600)
    if run.returncode != 0:
        pytest.fail("the kube kit failed to start:\n" + run.stderr[-5000:], pytrace=False)
    kubeconfig = Path(run.stdout.strip().splitlines()[-1].split("=", 1)[1])
    try:
        yield kubeconfig
    finally:
        subprocess.run(["bash", str(KIT / "stop")], capture_output=True, timeout=300)


# --- the kube-apiserver alone, stopped and started again (the watch surviving a restart) ---------------------------

APISERVER = "kube-apiserver"
APISERVER_PORT = 6443
ETCD = "http://127.0.0.1:2379"  # etcd's gRPC gateway: plain HTTP on the kit's client port


@dataclass(frozen=True)
class StoppedProcess:
    """What it takes to start a kit component again exactly as `start` launched it."""

    name: str
    pid: int
    argv: list[str]
    env: dict[str, str]
    cwd: str


def _pids_file() -> Path:
    return STATE / "run" / "pids"


def kit_pid(name: str) -> int:
    """The pid of a running kit component, as `stop` finds it: listed in run/pids and running <state>/bin/<name>;
    else any process running that binary (a kit started by someone else's run/pids)."""
    binary = os.path.realpath(STATE / "bin" / name)
    listed = [line.split() for line in _pids_file().read_text().splitlines() if line.strip()]
    candidates = [int(f[1]) for f in listed if len(f) >= 2 and f[0] == name and f[1].isdigit()]
    candidates += [int(p) for p in os.listdir("/proc") if p.isdigit()]
    for pid in candidates:
        try:
            if os.readlink(f"/proc/{pid}/exe").removesuffix(" (deleted)") == binary:
                return pid
        except OSError:
            continue
    raise RuntimeError(f"no {name} of the kit is running")


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _wait(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _gone(pid: int) -> bool:
    """Exited (a zombie counts: once a restarted server is stopped again, this process is its parent: reaped here)."""
    with contextlib.suppress(ChildProcessError):  # not our child: nothing to reap
        os.waitpid(pid, os.WNOHANG)
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] == "Z"
    except OSError:
        return True


def stop_apiserver(timeout: float = 30.0, grace: float = 3.0) -> StoppedProcess:
    """SIGTERM the kit's kube-apiserver, and only it (etcd, the controllers and kwok keep running; other tests share
    the kit), once its argv, environment and working directory are noted; back when it has exited.

    A kube-apiserver told to stop closes its port at once but was seen to keep the watches already open, silent,
    for a minute before it exits: what its clients see of a restart would then depend on that minute. After its
    port is closed it is given `grace` seconds, then SIGKILL (the kit's own `stop` kills it after 30 s)."""
    pid = kit_pid(APISERVER)
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().rstrip(b"\0").decode().split("\0")
    env = dict(
        entry.split("=", 1)
        for entry in Path(f"/proc/{pid}/environ").read_bytes().decode("utf-8", "surrogateescape").split("\0")
        if "=" in entry
    )
    stopped = StoppedProcess(APISERVER, pid, argv, env, os.readlink(f"/proc/{pid}/cwd"))
    os.kill(pid, signal.SIGTERM)
    _wait(lambda: not _port_open(APISERVER_PORT), timeout, f"{APISERVER} ({pid}) to close port {APISERVER_PORT}")
    try:
        _wait(lambda: _gone(pid), grace, f"{APISERVER} ({pid}) to exit")
    except RuntimeError:
        os.kill(pid, signal.SIGKILL)
        _wait(lambda: _gone(pid), timeout, f"{APISERVER} ({pid}) to exit after SIGKILL")
    return stopped


def _up_or_exited(process: subprocess.Popen[bytes]) -> bool:
    return _ready(STATE / "kubeconfig") or process.poll() is not None


def start_apiserver(stopped: StoppedProcess, timeout: float = 300.0, attempts: int = 5) -> int:
    """Start the kube-apiserver again as it was (argv, environment, cwd; output appended to its log), in a session
    of its own so it outlives the test, and list its new pid in run/pids so that the kit's `stop` stops it; back
    when /readyz answers ok. Its new pid.

    Started again when it exits before it is ready: on a loaded machine, with every client of the kit listing
    everything again at once, its rbac/bootstrap-roles post-start hook was seen to time out (a fatal error); the
    kit must not be left without its API server."""
    log = STATE / "logs" / f"{stopped.name}.log"
    for _ in range(attempts):
        with open(log, "ab") as out:
            process = subprocess.Popen(
                stopped.argv,
                env=stopped.env,
                cwd=stopped.cwd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                start_new_session=True,  # not hit by the test runner's ctrl-c or its terminal's hangup, as `start`
            )
        lines = _pids_file().read_text().splitlines()
        renamed = [f"{stopped.name} {process.pid}" if line.split()[:1] == [stopped.name] else line for line in lines]
        fresh = _pids_file().with_suffix(".k9py-tmp")
        fresh.write_text("\n".join(renamed) + "\n")
        fresh.replace(_pids_file())  # at once: `stop` never reads half a file
        _wait(partial(_up_or_exited, process), timeout, f"{stopped.name} /readyz")
        if process.poll() is None:
            return process.pid
        _wait(lambda: not _port_open(APISERVER_PORT), timeout, f"the port of the {stopped.name} that exited")
    raise RuntimeError(f"{stopped.name} exited {attempts} times before it was ready: see {log}")


def restart_apiserver() -> int:
    """The kit's kube-apiserver stopped and started again, etcd, the controllers and kwok running on; its new pid."""
    return start_apiserver(stop_apiserver())


def etcd_revision() -> int:
    """etcd's current revision (what the API server calls the resourceVersion)."""
    return int(_etcd("/v3/maintenance/status", {})["header"]["revision"])


def compact_etcd(revision: int) -> None:
    """Compact etcd's history up to `revision`: a watch or continue token older than that is 410 Gone from etcd."""
    _etcd("/v3/kv/compaction", {"revision": str(revision), "physical": True})


def _etcd(path: str, body: dict[str, object]) -> dict[str, Any]:
    request = urllib.request.Request(ETCD + path, data=json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)  # type: ignore[no-any-return]
