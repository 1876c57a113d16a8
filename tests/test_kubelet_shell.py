"""The simulated container shell (engine/kubelet/shell.py) and the container it runs in (engine/kubelet/exec.py):
programs, shell syntax, messages of each userland flavour, and time on the engine's virtual clock."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from engine import Cluster
from engine.clock import VirtualClock
from engine.errors import ApiError
from engine.kubelet.exec import (
    attached_shell,
    choose_container,
    flavour,
    hosts_file,
    identity,
    kubelet_refusal,
    run_in_container,
)
from engine.kubelet.filesystem import FileSystem, FsError
from engine.kubelet.shell import BytesInput, Capture, NotFound, Process, System, run_program

START = 1767225600.0  # 2026-01-01T00:00:00Z


def system(clock: VirtualClock, flavour_name: str = "gnu", uid: int = 0) -> System:
    fs = FileSystem(START)
    fs.add_atomic_volume("/etc/config", [("app.properties", "color=blue\n", 0o644), ("mode", "fast", 0o644)], START)
    fs.add_file("/etc/hostname", "web-1\n", START)
    fs.add_file("/dev/null", "", START, 0o666)
    fs.mkdirs("/tmp", START)
    fs.mkdirs("/root", START)

    async def sleep(seconds: float) -> None:  # the virtual clock jumps: nothing waits in real time
        clock.advance_to(clock.now() + seconds)

    return System(fs, "web-1", "10.244.1.5", uid, 0, (0,), flavour_name, clock.now, sleep)


async def run(argv: list[str], stdin: bytes = b"", flavour_name: str = "gnu", uid: int = 0,
              clock: VirtualClock | None = None, env: dict[str, str] | None = None) -> tuple[Any, str, str]:
    out, err = Capture(), Capture()
    process = Process(system(clock or VirtualClock(START), flavour_name, uid),
                      env if env is not None else {"PATH": "/usr/bin:/bin", "HOSTNAME": "web-1", "HOME": "/root",
                                                   "GREETING": "hello world"},
                      "/", BytesInput(stdin), out, err)
    try:
        code: Any = await run_program(process, argv)
    except NotFound as exc:
        code = exc.runtime_message()
    return code, out.value().decode(), err.value().decode()


# --- programs ------------------------------------------------------------------------------------------------

async def test_env_printenv_echo_cat() -> None:
    assert await run(["env"]) == (0, "PATH=/usr/bin:/bin\nHOSTNAME=web-1\nHOME=/root\nGREETING=hello world\n", "")
    assert await run(["printenv", "HOME", "NOPE"]) == (1, "/root\n", "")
    assert await run(["echo", "-n", "a", "b"]) == (0, "a b", "")
    assert await run(["cat", "/etc/config/app.properties", "/etc/config/mode"]) == (0, "color=blue\nfast", "")
    assert await run(["cat", "/etc/nope"]) == (1, "", "cat: /etc/nope: No such file or directory\n")
    assert await run(["cat", "/etc/config"]) == (1, "", "cat: /etc/config: Is a directory\n")
    assert await run(["cat"], stdin=b"piped\n") == (0, "piped\n", "")
    assert await run(["cat", "/etc/nope"], flavour_name="busybox") == (
        1, "", "cat: can't open '/etc/nope': No such file or directory\n")


async def test_ls_shows_the_atomic_writer_layout() -> None:
    assert await run(["ls", "/etc/config"]) == (0, "app.properties\nmode\n", "")
    code, out, _ = await run(["ls", "-la", "/etc/config"])
    lines = out.splitlines()
    assert code == 0 and lines[0] == "total 12"
    assert lines[1].startswith("drwxrwxrwx") and lines[1].endswith(" .")
    assert lines[3].startswith("drwxr-xr-x") and lines[3].split()[-1].startswith("..2026_01_01_00_00_00.")
    assert lines[4].startswith("lrwxrwxrwx") and lines[4].endswith(" ..data -> " + lines[3].split()[-1])
    assert lines[5].endswith(" Jan  1 00:00 app.properties -> ..data/app.properties")
    assert await run(["ls", "/nope"]) == (2, "", "ls: cannot access '/nope': No such file or directory\n")
    assert await run(["ls", "/nope"], flavour_name="busybox") == (1, "", "ls: /nope: No such file or directory\n")


async def test_identity_and_host() -> None:
    assert await run(["id"]) == (0, "uid=0(root) gid=0(root) groups=0(root)\n", "")
    assert await run(["whoami"]) == (0, "root\n", "")
    assert await run(["whoami"], uid=1000) == (1, "", "whoami: cannot find name for user ID 1000\n")
    assert await run(["id", "-u"], uid=1000) == (0, "1000\n", "")
    assert await run(["hostname"]) == (0, "web-1\n", "")
    assert await run(["hostname", "-i"]) == (0, "10.244.1.5\n", "")
    assert await run(["pwd"]) == (0, "/\n", "")


async def test_date_and_sleep_follow_the_engine_clock() -> None:
    clock = VirtualClock(START)
    assert await run(["date"], clock=clock) == (0, "Thu Jan  1 00:00:00 UTC 2026\n", "")
    assert await run(["sh", "-c", "sleep 90; date +%s; sleep 1m; date -Iseconds"], clock=clock) == (
        0, f"{int(START) + 90}\n2026-01-01T00:02:30+00:00\n", "")
    assert clock.now() == START + 150
    assert await run(["sleep", "x"]) == (1, "", "sleep: invalid time interval 'x'\n"
                                                "Try 'sleep --help' for more information.\n")


# --- what the runtime refuses ----------------------------------------------------------------------------------

async def test_unknown_programs_and_shell_builtins_are_not_executables() -> None:
    assert (await run(["foo"]))[0] == ('OCI runtime exec failed: exec failed: unable to start container process: '
                                       'exec: "foo": executable file not found in $PATH: unknown')
    assert (await run(["/opt/app"]))[0] == ('OCI runtime exec failed: exec failed: unable to start container '
                                            'process: exec: "/opt/app": stat /opt/app: no such file or directory: '
                                            'unknown')
    assert "exec: \"exit\"" in (await run(["exit", "3"]))[0]  # a shell builtin, not a program
    assert "exec: \"bash\"" in (await run(["bash"], flavour_name="busybox"))[0]  # busybox images have no bash
    assert (await run(["/bin/sh", "-c", "true"]))[0] == 0


# --- the shell -----------------------------------------------------------------------------------------------

async def test_sh_c_lists_exit_codes_and_expansion() -> None:
    assert await run(["sh", "-c", "echo $HOSTNAME; exit 3"]) == (3, "web-1\n", "")
    assert await run(["sh", "-c", "false && echo no || echo yes; true; echo $?"]) == (0, "yes\n0\n", "")
    assert await run(["sh", "-c", 'echo $GREETING "$GREETING" \'$GREETING\' ${NOPE:-fallback} ${#HOME}']) == (
        0, "hello world hello world $GREETING fallback 5\n", "")
    assert await run(["sh", "-c", "X=1; export Y=2; Z=3 printenv X Y Z; echo $X"]) == (0, "2\n3\n1\n", "")
    assert await run(["sh", "-c", "echo $(hostname)-`pwd` | cat"]) == (0, "web-1-/\n", "")
    assert await run(["sh", "-c", "cat /etc/config/* && cd /etc/config && pwd && ls"]) == (
        0, "color=blue\nfast/etc/config\napp.properties\nmode\n", "")
    assert await run(["sh", "-c", 'echo "$0 $1 $#"', "name", "first"]) == (0, "name first 1\n", "")
    assert await run(["sh", "-c", "[ -f /etc/hostname ] && echo file; test -d /nope || echo none"]) == (
        0, "file\nnone\n", "")
    assert await run(["sh", "-c", "echo out; echo err >&2; ls /nope 2>/dev/null; echo $?"]) == (
        0, "out\n2\n", "err\n")
    assert await run(["sh", "-ec", "false; echo never"]) == (1, "", "")
    assert await run(["sh", "-c", "echo one\n# a comment\necho two # trailing"]) == (0, "one\ntwo\n", "")


async def test_messages_per_shell() -> None:
    assert await run(["sh", "-c", "foo"]) == (127, "", "sh: 1: foo: not found\n")
    assert await run(["/bin/sh", "-c", "true\nfoo"]) == (127, "", "/bin/sh: 2: foo: not found\n")
    assert await run(["bash", "-c", "foo"]) == (127, "", "bash: line 1: foo: command not found\n")
    assert await run(["sh", "-c", "foo"], flavour_name="busybox") == (127, "", "sh: foo: not found\n")
    assert await run(["sh", "-c", "cd /nope"]) == (2, "", "sh: 1: cd: can't cd to /nope\n")
    assert await run(["bash", "-c", "cd /nope"]) == (1, "", "bash: line 1: cd: /nope: No such file or directory\n")
    assert await run(["sh", "-c", "echo 'open"]) == (2, "", "sh: 1: Syntax error: Unterminated quoted string\n")
    assert await run(["bash", "-c", "echo a && && b"]) == (
        2, "", "bash: -c: line 1: syntax error near unexpected token `&&'\nbash: -c: line 1: `echo a && && b'\n")
    code, _, err = await run(["sh", "-c", "case x in x) echo;; esac"])
    assert code == 2 and "k9py's shell does not run `case`" in err
    code, _, err = await run(["sh", "-c", "echo hi > /tmp/file"])
    assert code == 2 and err == "sh: 1: cannot create /tmp/file: k9py does not simulate writing files\n"


async def test_interactive_shell_reads_stdin_line_by_line() -> None:
    script = b"echo one\nls /etc/config\ncat\nnot read by the shell: cat read it\n"
    assert await run(["sh"], stdin=script) == (
        0, "one\napp.properties\nmode\nnot read by the shell: cat read it\n", "")
    assert await run(["sh"], stdin=b"echo a\nexit 4\necho never\n") == (4, "a\n", "")
    assert await run(["sh"], stdin=b"echo 'multi\nline'\n") == (0, "multi\nline\n", "")
    assert await run(["sh"]) == (0, "", "")  # no stdin: end of input at once


async def test_network_programs_need_the_data_plane() -> None:
    code, _, err = await run(["curl", "http://web"])  # a System without a network hook
    assert code == 127 and "k9py does not simulate this command yet" in err


# --- the container, from the cluster ---------------------------------------------------------------------------

POD = """
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {greeting: hi}
---
apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  hostname: front
  subdomain: site
  securityContext: {runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000}
  containers:
  - name: app
    image: nginx:1.27
    workingDir: /srv
    env: [{name: MODE, value: fast}]
    ports: [{containerPort: 80}]
    volumeMounts: [{name: cfg, mountPath: /etc/config}, {name: cache, mountPath: /cache}]
  - name: side
    image: busybox:1.36
    command: [sh]
    stdin: true
  volumes: [{name: cfg, configMap: {name: cfg}}, {name: cache, emptyDir: {}}]
---
apiVersion: v1
kind: Service
metadata: {name: site}
spec:
  selector: {app: web}
  ports: [{port: 8080, targetPort: 80}]
"""


async def _in_container(cluster: Cluster, argv: list[str], container: str = "app") -> tuple[Any, str, str]:
    pod = cluster.api.get("pods", "web", "default")
    out, err = Capture(), Capture()
    task = asyncio.ensure_future(run_in_container(cluster, pod, container, argv, BytesInput(b""), out, err, False))
    while not task.done():  # the virtual clock moves only when driven: one second at a time
        await cluster.run_for(1)
        for _ in range(5):
            await asyncio.sleep(0)
    try:
        code: Any = task.result()
    except NotFound as exc:
        code = exc.runtime_message()
    return code, out.value().decode(), err.value().decode()


@pytest.fixture
async def cluster() -> Any:
    async with Cluster(nodes=2, clock="virtual") as c:
        await c.apply(POD)
        await c.run_for(30)
        yield c


async def test_the_container_as_exec_finds_it(cluster: Cluster) -> None:
    pod = cluster.api.get("pods", "web", "default")
    assert pod["status"]["phase"] == "Running"
    code, out, _ = await _in_container(cluster, ["sh", "-c", "pwd; printenv MODE; cat /etc/config/greeting; id"])
    assert (code, out) == (0, "/srv\nfast\nhiuid=1000 gid=3000 groups=3000,2000\n")  # the file has no newline
    code, out, _ = await _in_container(cluster, ["ls", "-ld", "/etc/config", "/cache"])
    assert [line.split()[0] for line in out.splitlines()] == ["drwxrwsrwx", "drwxrwsrwx"]
    assert [line.split()[3] for line in out.splitlines()] == ["2000", "2000"]
    ip = pod["status"]["podIP"]
    code, out, _ = await _in_container(cluster, ["cat", "/etc/hosts", "/etc/resolv.conf"])
    assert out.endswith(f"{ip}\tfront.site.default.svc.cluster.local\tfront\n"
                        "search default.svc.cluster.local svc.cluster.local cluster.local\n"
                        "nameserver 10.96.0.10\noptions ndots:5\n")
    assert hosts_file(pod) in out
    assert (await _in_container(cluster, ["hostname"]))[1] == "front\n"


async def test_sleep_in_a_container_is_a_timer_on_the_engine_clock(cluster: Cluster) -> None:
    start = cluster.now()
    code, out, _ = await _in_container(cluster, ["sh", "-c", "date +%s; sleep 45; date +%s"])
    first, second = (int(x) for x in out.split())
    assert code == 0 and int(start) <= first <= int(start) + 1 and 45 <= second - first <= 46


async def test_network_programs_go_through_the_data_plane(cluster: Cluster) -> None:
    code, out, _ = await _in_container(cluster, ["curl", "-s", "http://site:8080/"])
    node = cluster.api.get("pods", "web", "default")["spec"]["nodeName"]
    assert (code, out) == (0, f"Hello from web (namespace default, node {node})\n")
    assert (await _in_container(cluster, ["curl", "http://localhost:81/"]))[:3:2] == (
        7, "curl: (7) Failed to connect to localhost port 81: Connection refused\n")
    code, out, _ = await _in_container(cluster, ["nslookup", "site"])
    service_ip = cluster.api.get("services", "site", "default")["spec"]["clusterIP"]
    assert code == 0 and f"Name:\tsite.default.svc.cluster.local\nAddress: {service_ip}\n" in out
    code, out, _ = await _in_container(cluster, ["nslookup", "nope"])
    assert code == 1 and "** server can't find nope: NXDOMAIN" in out
    code, _, err = await _in_container(cluster, ["wget", "-qO-", "http://nope/"], container="side")
    assert (code, err) == (1, "wget: bad address 'nope'\n")
    assert (await _in_container(cluster, ["nc", "-z", "site", "8080"]))[0] == 0


async def test_exec_checks(cluster: Cluster) -> None:
    pod = cluster.api.get("pods", "web", "default")
    with pytest.raises(ApiError) as caught:
        choose_container(pod, None)
    assert caught.value.status["message"] == ("a container name must be specified for pod web, choose one of: "
                                              "[app side]")
    with pytest.raises(ApiError) as caught:
        choose_container(pod, "nope")
    assert caught.value.status["message"] == "container nope is not valid for pod web"
    assert kubelet_refusal(cluster, pod, "app", attach=False) is None
    stopped = {**pod, "status": {**pod["status"], "containerStatuses": [
        {**cs, "state": {"waiting": {"reason": "CrashLoopBackOff"}}} for cs in pod["status"]["containerStatuses"]]}}
    assert kubelet_refusal(cluster, stopped, "app", attach=False) == \
        'unable to upgrade connection: container not found ("app")'
    assert kubelet_refusal(cluster, stopped, "app", attach=True) == \
        "unable to upgrade connection: container app not found in pod web_default"
    assert identity(pod, pod["spec"]["containers"][0]) == (1000, 3000, (3000, 2000))
    assert attached_shell(pod, "side") == ["sh"] and attached_shell(pod, "app") is None
    assert [flavour(i) for i in ("nginx:1.27", "busybox", "docker.io/library/nginx:1.27-alpine", "alpine:3")] == [
        "gnu", "busybox", "busybox", "busybox"]


def test_filesystem_symlinks_resolve_like_the_kernel() -> None:
    fs = FileSystem(START)
    fs.add_atomic_volume("/etc/config", [("a", "A", 0o644)], START)
    assert fs.lookup("/etc/config/a").content == "A"
    assert fs.lookup("/etc/config/a", follow=False).kind == "link"
    assert fs.resolve("/etc/config/..data/../..") == "/etc"
    with pytest.raises(FsError) as caught:
        fs.lookup("/etc/config/a/b")
    assert caught.value.message == "Not a directory"
