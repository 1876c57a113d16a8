"""The real kubectl (v1.32) against k9py's streaming subresources: exec and attach over WebSockets
(v5.channel.k8s.io), port-forward (SPDY/3.1 in a WebSocket), and the pods/services proxy. Every kubectl runs under
a timeout, so a hang fails the test instead of stalling it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import pty
import re
from collections.abc import AsyncIterator

import aiohttp
import pytest
from test_apiserver_kit import KUBECTL, Served, needs_kubectl, served

pytestmark = needs_kubectl
__all__ = ["served"]

MANIFESTS = """
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config}
data: {x: "hello from a ConfigMap\\n", mode: fast}
---
apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  containers:
  - name: app
    image: nginx:1.27
    env: [{name: GREETING, value: hi there}]
    ports: [{containerPort: 80}]
    volumeMounts: [{name: config, mountPath: /etc/config}]
  volumes: [{name: config, configMap: {name: web-config}}]
---
apiVersion: v1
kind: Service
metadata: {name: front}
spec:
  selector: {app: web}
  ports: [{port: 8080, targetPort: 80}]
---
apiVersion: v1
kind: Pod
metadata: {name: done}
spec:
  restartPolicy: Never
  containers: [{name: job, image: busybox, command: [sh, -c, "exit 0"]}]
---
apiVersion: v1
kind: Pod
metadata: {name: stuck, annotations: {sim.k9py.io/image-pull: fail}}
spec:
  containers: [{name: app, image: example.com/missing:1}]
---
apiVersion: v1
kind: Pod
metadata: {name: nowhere}
spec:
  nodeSelector: {disk: none-has-it}
  containers: [{name: app, image: nginx}]
---
apiVersion: v1
kind: Pod
metadata: {name: console}
spec:
  containers: [{name: sh, image: busybox, command: [sh], stdin: true, tty: true}]
"""


def _phase(served: Served, name: str) -> str:
    pod = served.cluster.get("pod", name)
    return str(((pod or {}).get("status") or {}).get("phase"))


@pytest.fixture
async def cluster(served: Served) -> Served:
    await served.cluster.apply(MANIFESTS)
    await served.wait_for(lambda: _phase(served, "web") == "Running" and _phase(served, "done") == "Succeeded"
                          and _phase(served, "console") == "Running")
    return served


# --- exec ------------------------------------------------------------------------------------------------------

async def test_exec_env_and_mounted_files(cluster: Served) -> None:
    env = await cluster.ok("exec", "web", "--", "env")
    assert "GREETING=hi there\n" in env and "HOSTNAME=web\n" in env and env.startswith("PATH=")
    assert "FRONT_SERVICE_PORT=8080\n" in env and env.endswith("HOME=/root\n")
    assert await cluster.ok("exec", "web", "--", "cat", "/etc/config/x") == "hello from a ConfigMap\n"
    assert await cluster.ok("exec", "web", "-c", "app", "--", "ls", "/etc/config") == "mode\nx\n"


async def test_exec_exit_codes_reach_kubectl(cluster: Served) -> None:
    assert await cluster.kubectl("exec", "web", "--", "sh", "-c", "echo $HOSTNAME; exit 3") == (
        3, "web\n", "command terminated with exit code 3\n")
    assert await cluster.kubectl("exec", "web", "--", "false") == (1, "", "command terminated with exit code 1\n")
    assert await cluster.kubectl("exec", "web", "--", "sh", "-c", "nope") == (
        127, "", "sh: 1: nope: not found\ncommand terminated with exit code 127\n")


async def test_exec_unknown_program_gets_the_runtime_error(cluster: Served) -> None:
    code, out, err = await cluster.kubectl("exec", "web", "--", "ps", "aux")
    assert (code, out) == (1, "")
    assert re.fullmatch(r'error: Internal error occurred: Internal error occurred: error executing command in '
                        r'container: failed to exec in container: failed to start exec "[0-9a-f]{64}": OCI runtime '
                        r'exec failed: exec failed: unable to start container process: exec: "ps": executable file '
                        r'not found in \$PATH: unknown\n', err), err


async def test_exec_refusals(cluster: Served) -> None:
    assert await cluster.kubectl("exec", "done", "--", "env") == (
        1, "", "error: cannot exec into a container in a completed pod; current phase is Succeeded\n")
    assert await cluster.kubectl("exec", "web", "-c", "nope", "--", "env") == (
        1, "", "Error from server (BadRequest): container nope is not valid for pod web\n")
    assert await cluster.kubectl("exec", "nowhere", "--", "env") == (
        1, "", "Error from server (BadRequest): pod nowhere does not have a host assigned\n")
    await cluster.wait_for(lambda: bool(cluster.cluster.get("pod", "stuck")["spec"].get("nodeName")))
    assert await cluster.kubectl("exec", "stuck", "--", "env") == (
        1, "", 'error: Internal error occurred: unable to upgrade connection: container not found ("app")\n')
    code, _, err = await cluster.kubectl("exec", "absent", "--", "env")
    assert (code, err) == (1, 'Error from server (NotFound): pods "absent" not found\n')


async def test_exec_on_a_stopped_node(cluster: Served) -> None:
    """The API server cannot reach the kubelet of a stopped node: the dial error, after the upgrade for exec and
    attach, before it for port-forward."""
    node = cluster.cluster.get("pod", "web")["spec"]["nodeName"]
    await cluster.cluster.set_node_ready(node, False)
    address = next(a["address"] for a in cluster.cluster.get("node", node, None)["status"]["addresses"]
                   if a["type"] == "InternalIP")
    dial = f"dial tcp {address}:10250: connect: connection refused"
    assert await cluster.kubectl("exec", "web", "--", "env") == (1, "", f"error: Internal error occurred: {dial}\n")
    code, _, err = await cluster.kubectl("port-forward", "pod/web", ":80")
    assert (code, err) == (1, f"error: error upgrading connection: error dialing backend: {dial}\n")


async def test_exec_with_stdin(cluster: Served) -> None:
    assert await cluster.ok("exec", "-i", "web", "--", "cat", stdin="line one\nline two\n") == \
        "line one\nline two\n"
    code, out, err = await cluster.kubectl("exec", "-i", "web", "--", "sh", stdin="echo $GREETING\nexit 4\necho no\n")
    assert (code, out, err) == (4, "hi there\n", "command terminated with exit code 4\n")


async def test_exec_sleeps_on_the_cluster_clock(cluster: Served) -> None:
    # 16 s of cluster time at speed 8: two seconds on the wall clock.
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await cluster.ok("exec", "web", "--", "sleep", "16") == ""
    assert 1.5 <= loop.time() - started < 15


# --- a terminal ------------------------------------------------------------------------------------------------

class Terminal:
    """kubectl on a pseudo-terminal, as a person types into it."""

    def __init__(self, master: int, proc: asyncio.subprocess.Process) -> None:
        self.master, self.proc, self.output = master, proc, b""
        self._more = asyncio.Event()
        asyncio.get_running_loop().add_reader(master, self._read)

    def _read(self) -> None:
        try:
            self.output += os.read(self.master, 65536)
        except OSError:
            asyncio.get_running_loop().remove_reader(self.master)
        self._more.set()

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    async def expect(self, text: str, timeout: float = 20) -> str:
        async with asyncio.timeout(timeout):
            while text.encode() not in self.output:
                self._more.clear()
                await self._more.wait()
        return self.output.decode(errors="replace")


@contextlib.asynccontextmanager
async def terminal(served: Served, *args: str) -> AsyncIterator[Terminal]:
    assert KUBECTL is not None
    master, slave = pty.openpty()
    proc = await asyncio.create_subprocess_exec(
        KUBECTL, f"--kubeconfig={served.server.kubeconfig}", f"--cache-dir={served.cache}", *args,
        stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    os.close(slave)
    term = Terminal(master, proc)
    try:
        yield term
    finally:
        asyncio.get_running_loop().remove_reader(master)
        if proc.returncode is None:
            proc.kill()
        await proc.wait()
        os.close(master)


async def test_exec_interactive_shell_on_a_terminal(cluster: Served) -> None:
    async with terminal(cluster, "exec", "-it", "web", "--", "sh") as term:
        await term.expect("# ")
        term.type("echo $GREETING\r")
        await term.expect("hi there\r\n# ")
        term.type("cat /etc/config/mode\x7f\x7f\x7f\x7fx\r")  # typed `mode`, erased, then `x`
        await term.expect("hello from a ConfigMap\r\n# ")
        term.type("sleep 1000\r")
        await term.expect("sleep 1000\r\n")
        term.type("\x03")  # ^C interrupts the sleep
        await term.expect("^C\r\n# ")
        term.type("exit 5\r")
        assert await asyncio.wait_for(term.proc.wait(), 20) == 5
        assert "command terminated with exit code 5" in term.output.decode()


# --- attach ----------------------------------------------------------------------------------------------------

async def test_attach_streams_the_containers_output(cluster: Served) -> None:
    assert KUBECTL is not None
    proc = await asyncio.create_subprocess_exec(
        KUBECTL, f"--kubeconfig={cluster.server.kubeconfig}", f"--cache-dir={cluster.cache}", "attach", "web",
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    assert proc.stdout is not None
    try:
        # A line every 5 s of cluster time (0.6 s here): the same lines `kubectl logs -f` shows, from now on.
        lines = [await asyncio.wait_for(proc.stdout.readline(), 20) for _ in range(2)]
    finally:
        proc.terminate()
        await proc.wait()
    logged = await cluster.ok("logs", "web")
    for line in lines:
        assert line.decode() in logged
        assert re.fullmatch(rb'\S+ - - "GET / HTTP/1.1" 200 615 "-" "kube-probe/1.36" request=\d+\n', line)


async def test_attach_ends_when_the_container_stops(cluster: Served) -> None:
    await cluster.cluster.apply("""
apiVersion: v1
kind: Pod
metadata: {name: brief, annotations: {sim.k9py.io/exit-after: 20s, sim.k9py.io/exit-code: "0"}}
spec:
  restartPolicy: Never
  containers: [{name: app, image: nginx}]
""")
    await cluster.wait_for(lambda: _phase(cluster, "brief") == "Running")
    code, out, _ = await cluster.kubectl("attach", "brief", timeout=30)
    assert code == 0 and "request=" in out
    assert _phase(cluster, "brief") == "Succeeded"


async def test_attach_to_a_shell_reading_its_terminal(cluster: Served) -> None:
    async with terminal(cluster, "attach", "-it", "console") as term:
        await term.expect("If you don't see a command prompt, try pressing enter.")
        term.type("\r")
        await term.expect("/ # ")
        term.type("hostname\r")
        await term.expect("console\r\n/ # ")
        term.type("exit\r")
        assert await asyncio.wait_for(term.proc.wait(), 20) == 0
        assert "Session ended, resume using 'kubectl attach console -c sh -i -t' command" in term.output.decode()


async def test_run_it_rm_a_shell(cluster: Served) -> None:
    """`kubectl run -it --rm ... -- sh`: kubectl attaches to the shell that is the container's main process; its
    `exit` ends the container, the pod completes, and kubectl deletes it."""
    async with terminal(cluster, "run", "debug", "--image=busybox", "--rm", "-it", "--restart=Never", "--",
                        "sh") as term:
        await term.expect("If you don't see a command prompt, try pressing enter.", timeout=40)
        term.type("\r")
        await term.expect("/ # ")
        term.type("wget -qO- http://front:8080/ && exit 3\r")
        assert await asyncio.wait_for(term.proc.wait(), 40) == 3
        output = term.output.decode()
        assert "Hello from web" in output and 'pod "debug" deleted' in output
        assert "pod default/debug terminated (Error)" in output
    assert cluster.cluster.get("pod", "debug") is None


# --- port-forward ------------------------------------------------------------------------------------------------

@contextlib.asynccontextmanager
async def port_forward(served: Served, target: str, remote: str
                       ) -> AsyncIterator[tuple[int, asyncio.subprocess.Process]]:
    assert KUBECTL is not None
    proc = await asyncio.create_subprocess_exec(
        KUBECTL, f"--kubeconfig={served.server.kubeconfig}", f"--cache-dir={served.cache}", "port-forward", target,
        f":{remote}", "--address=127.0.0.1",
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    assert proc.stdout is not None
    try:
        line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
        match = re.match(r"Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)", line)
        assert match, line
        yield int(match.group(1)), proc
    finally:
        if proc.returncode is None:
            proc.terminate()
        await proc.wait()


async def test_port_forward_to_a_pod_and_a_service(cluster: Served) -> None:
    timeout = aiohttp.ClientTimeout(total=20)
    async with port_forward(cluster, "pod/web", "80") as (port, _), aiohttp.ClientSession(timeout=timeout) as http:
        for path in ("/hello", "/again"):  # two connections through one forward
            async with http.get(f"http://127.0.0.1:{port}{path}") as response:
                assert response.status == 200
                node = cluster.cluster.get("pod", "web")["spec"]["nodeName"]
                assert await response.text() == f"Hello from web (namespace default, node {node})\n"
                assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    async with port_forward(cluster, "svc/front", "8080") as (port, _), \
            aiohttp.ClientSession(timeout=timeout) as http, \
            http.get(f"http://127.0.0.1:{port}/") as response:  # kubectl maps 8080 to targetPort 80
        assert response.status == 200 and (await response.text()).startswith("Hello from web")


async def test_port_forward_to_a_port_nothing_listens_on(cluster: Served) -> None:
    async with port_forward(cluster, "pod/web", "81") as (port, proc):
        with contextlib.suppress(OSError):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert await asyncio.wait_for(reader.read(), 20) == b""  # the connection closes, no answer
            writer.close()
        assert await asyncio.wait_for(proc.wait(), 20) == 1
        assert proc.stderr is not None
        err = (await proc.stderr.read()).decode()
        assert re.search(r'an error occurred forwarding \d+ -> 81: error forwarding port 81 to pod [0-9a-f]{64}, '
                         r'uid : failed to execute portforward in network namespace \\"/var/run/netns/cni-[0-9a-f-]+'
                         r'\\": failed to connect to localhost:81 inside namespace \\"[0-9a-f]{64}\\", IPv4: dial '
                         r'tcp4 127.0.0.1:81: connect: connection refused IPv6 dial tcp6 \[::1\]:81: connect: '
                         r'connection refused ', err), err
        assert err.endswith("error: lost connection to pod\n")


async def test_port_forward_refusals(cluster: Served) -> None:
    code, _, err = await cluster.kubectl("port-forward", "pod/done", ":80")
    assert (code, err) == (1, "error: unable to forward port because pod is not running. Current status=Succeeded\n")


# --- proxy -------------------------------------------------------------------------------------------------------

async def test_proxy_to_pods_and_services(cluster: Served) -> None:
    node = cluster.cluster.get("pod", "web")["spec"]["nodeName"]
    hello = f"Hello from web (namespace default, node {node})\n"
    assert await cluster.ok("get", "--raw", "/api/v1/namespaces/default/services/front:8080/proxy/x") == hello
    assert await cluster.ok("get", "--raw", "/api/v1/namespaces/default/services/front/proxy/") == hello
    assert await cluster.ok("get", "--raw", "/api/v1/namespaces/default/pods/web/proxy/") == hello
    assert await cluster.kubectl("get", "--raw", "/api/v1/namespaces/default/pods/web:81/proxy/") == (
        1, "", "Error from server (ServiceUnavailable): error trying to reach service: dial tcp "
        f"{cluster.cluster.get('pod', 'web')['status']['podIP']}:81: connect: connection refused\n")
    assert await cluster.kubectl("get", "--raw", "/api/v1/namespaces/default/services/front:81/proxy/") == (
        1, "", 'Error from server (ServiceUnavailable): no service port 81 found for service "front"\n')
    code, _, err = await cluster.kubectl("get", "--raw", "/api/v1/namespaces/default/services/absent/proxy/")
    assert (code, err) == (1, 'Error from server (NotFound): services "absent" not found\n')
    status, _, response = await cluster.request("GET", "/api/v1/namespaces/default/pods/web/proxy",
                                                allow_redirects=False)
    assert status == 301 and response.headers["Location"] == "/api/v1/namespaces/default/pods/web/proxy/"


# --- a client nobody here wrote ----------------------------------------------------------------------------------

async def test_the_python_client_execs_and_forwards(cluster: Served) -> None:
    """The official `kubernetes` client: exec over v5.channel.k8s.io, port-forward over the kubelet's WebSocket
    protocol (v4.channel.k8s.io with ports=)."""
    pytest.importorskip("kubernetes", reason="the kubernetes Python client is not installed (test extra)")
    from kubernetes import client, config
    from kubernetes.stream import portforward, stream

    core = client.CoreV1Api(config.new_client_from_config(config_file=str(cluster.server.kubeconfig)))
    out = await asyncio.to_thread(stream, core.connect_get_namespaced_pod_exec, "web", "default",
                                  command=["cat", "/etc/config/x"], stderr=True, stdin=False, stdout=True, tty=False)
    assert out == "hello from a ConfigMap\n"

    def exit_code() -> int:
        response = stream(core.connect_get_namespaced_pod_exec, "web", "default", command=["sh", "-c", "exit 3"],
                          stderr=True, stdin=False, stdout=True, tty=False, _preload_content=False)
        response.run_forever(timeout=20)
        return int(response.returncode)

    assert await asyncio.to_thread(exit_code) == 3

    def fetch() -> bytes:
        forwarded = portforward(core.connect_get_namespaced_pod_portforward, "web", "default", ports="80")
        sock = forwarded.socket(80)
        sock.setblocking(True)
        sock.settimeout(20)
        sock.sendall(b"GET /py HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
        sock.close()
        return data

    data = await asyncio.to_thread(fetch)
    node = cluster.cluster.get("pod", "web")["spec"]["nodeName"]
    assert data.startswith(b"HTTP/1.1 200 OK\r\n") and b"\r\nConnection: close\r\n" in data
    assert data.endswith(f"\r\n\r\nHello from web (namespace default, node {node})\n".encode())
