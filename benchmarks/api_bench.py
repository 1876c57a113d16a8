"""`k9py serve` side by side with a real control plane (issue 12, Speed), printed as a table (not a test: run it by
hand, with the kube kit running; see ../shared/kube/README.md).

    python benchmarks/api_bench.py                   # 10,000 pods, 1,000 applied objects, 5 runs of `get pods -A`
                                                     # (about an hour on 2 busy cores: the kit's rollout and clean-up)
    python benchmarks/api_bench.py --pods 1000 --objects 100 --runs 3     # a quick one (about two minutes)
    python benchmarks/api_bench.py --kit-kubeconfig PATH --skip apply      # parts: apply, rollout (get and memory
                                                                           # need the rollout's pods)

Both API servers get the same requests from the same kubectl, one after the other (never at once: they share the
machine's cores):

1. apply: `kubectl apply -f` of a file of N objects (ConfigMaps and one-replica Deployments, half and half) into an
   empty namespace; wall time.
2. rollout: Deployments of 100 replicas adding up to --pods pods, applied while a raw watch (HTTP, bearer token) on
   their namespace counts the events delivered until every pod is Ready: events, seconds, events per second.
3. get: `kubectl get pods -A` with those pods (and the clusters' own), wall time, median of --runs runs taken in
   alternation (k9py, kit, k9py, kit...).
4. memory: RSS of the `k9py serve` process (one process: engine and API) against the sum of the kit's processes
   (kube-apiserver, etcd, kube-controller-manager, kube-scheduler, kwok), before the rollout and after it, idle.

The kit's three nodes hold 110 pods each, so the rollout gets nodes of its own there: kwok fakes any Node with the
`kwok.x-k8s.io/node: fake` annotation. They carry a `k9py-bench` taint and label that only the benchmark's pods
tolerate and select, so other users of the kit never see their pods land on them; k9py's nodes get the same label.
Everything created on the kit (namespaces `bench-api-*`, nodes `bench-kwok-*`) is deleted at the end, also when a
step fails or the run is interrupted. The kit's controller-manager runs with its default client rate limit (20
requests per second), which bounds how fast its ReplicaSets create pods: the rollout takes minutes there.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import platform
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import yaml

Obj = dict[str, Any]
KIT_KUBECONFIG = Path.home() / ".cache" / "kube-kit" / "kubeconfig"
KIT_PROCESSES = ("kube-apiserver", "etcd", "kube-controller-manager", "kube-scheduler", "kwok")
NODE_PODS = 110  # a kubelet's default, and the kit's
REPLICAS = 100  # per Deployment of the rollout
BENCH_LABEL = "k9py-bench"
NS_APPLY = "bench-api-apply"
NS_ROLLOUT = "bench-api-rollout"


# --- the two servers ---------------------------------------------------------------------------------------------


class Server:
    """One API server as kubectl and the raw watch reach it: its kubeconfig, address, CA and token."""

    def __init__(self, name: str, kubeconfig: Path) -> None:
        self.name = name
        self.kubeconfig = kubeconfig
        config = yaml.safe_load(kubeconfig.read_text())
        cluster = config["clusters"][0]["cluster"]
        self.url: str = cluster["server"]
        self.token: str = config["users"][0]["user"]["token"]
        self.ssl = ssl.create_default_context(cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())

    def kubectl(
        self, *args: str, stdin: str | None = None, check: bool = True, timeout: float = 1800
    ) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "KUBECONFIG": str(self.kubeconfig)}
        done = subprocess.run(["kubectl", *args], input=stdin, capture_output=True, text=True, env=env, timeout=timeout)
        if check and done.returncode != 0:
            raise RuntimeError(f"{self.name}: kubectl {' '.join(args)} failed: {done.stderr.strip()[-2000:]}")
        return done

    def timed(self, *args: str, stdin: str | None = None) -> tuple[float, str]:
        started = time.perf_counter()
        out = self.kubectl(*args, stdin=stdin).stdout
        return time.perf_counter() - started, out

    def connection(self, timeout: float) -> http.client.HTTPSConnection:
        host, _, port = self.url.removeprefix("https://").partition(":")
        return http.client.HTTPSConnection(host, int(port or 443), context=self.ssl, timeout=timeout)

    def get_json(self, path: str) -> Obj:
        conn = self.connection(60)
        try:
            conn.request("GET", path, headers={"Authorization": f"Bearer {self.token}"})
            response = conn.getresponse()
            body = response.read()
            if response.status != 200:
                raise RuntimeError(f"{self.name}: GET {path}: {response.status} {body[:300]!r}")
            return json.loads(body)
        finally:
            conn.close()


def rss_mib(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        with suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


def kit_pids(kubeconfig: Path) -> list[int]:
    """The kit's processes, from its run/pids file (`name pid` lines) next to the kubeconfig."""
    pids = []
    for line in (kubeconfig.parent / "run" / "pids").read_text().splitlines():
        name, _, pid = line.partition(" ")
        if name in KIT_PROCESSES and Path(f"/proc/{pid.strip()}").exists():
            pids.append(int(pid))
    return pids


@contextmanager
def k9py_serve(nodes: int) -> Iterator[tuple[Server, subprocess.Popen[str]]]:
    """`k9py serve` on any free port, with its credentials in a folder of its own (another k9py's kubeconfig is
    left alone); stopped with SIGTERM at the end."""
    with tempfile.TemporaryDirectory(prefix="k9py-bench-") as state:
        env = {**os.environ, "K9PY_STATE_DIR": state}
        command = [sys.executable, "-m", "k9py.cli", "serve", "--port", "0", "--nodes", str(nodes)]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
        try:
            assert process.stdout is not None
            line = process.stdout.readline()  # `export KUBECONFIG=...` once serving
            if not line.startswith("export KUBECONFIG="):
                raise RuntimeError(f"k9py serve did not start (exit code {process.poll()})")
            yield Server("k9py", Path(line.strip().split("=", 1)[1])), process
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# --- manifests -----------------------------------------------------------------------------------------------------


def dump(docs: list[Obj]) -> str:
    return yaml.safe_dump_all(docs, sort_keys=False)


def pod_template(app: str) -> Obj:
    return {
        "metadata": {"labels": {"app": app}},
        "spec": {
            "nodeSelector": {BENCH_LABEL: "true"},
            "tolerations": [{"key": BENCH_LABEL, "operator": "Exists", "effect": "NoSchedule"}],
            "containers": [
                {"name": "app", "image": "nginx:1.27", "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}
            ],
        },
    }


def deployment(name: str, namespace: str, replicas: int) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}}, "template": pod_template(name)},
    }


def apply_objects(count: int, namespace: str) -> list[Obj]:
    """`count` objects, half ConfigMaps and half one-replica Deployments."""
    out: list[Obj] = []
    for i in range(count):
        if i % 2 == 0:
            out.append(
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": f"config-{i:04d}", "namespace": namespace},
                    "data": {"app.properties": f"color=blue\nindex={i}\n", "mode": "bench"},
                }
            )
        else:
            out.append(deployment(f"web-{i:04d}", namespace, 1))
    return out


def rollout_objects(pods: int, namespace: str) -> list[Obj]:
    full, rest = divmod(pods, REPLICAS)
    sizes = [REPLICAS] * full + ([rest] if rest else [])
    return [deployment(f"app-{i:03d}", namespace, size) for i, size in enumerate(sizes)]


def namespace(name: str) -> Obj:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def bench_node(name: str) -> Obj:
    """A Node kwok fakes (Ready at once, its lease renewed), as the kit's own are made, with the bench's taint."""
    capacity = {"cpu": "32", "memory": "128Gi", "pods": str(NODE_PODS)}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {"node.alpha.kubernetes.io/ttl": "0", "kwok.x-k8s.io/node": "fake"},
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "type": "kwok",
                BENCH_LABEL: "true",
            },
        },
        "spec": {"taints": [{"key": BENCH_LABEL, "value": "true", "effect": "NoSchedule"}]},
        "status": {
            "allocatable": capacity,
            "capacity": capacity,
            "nodeInfo": {
                "architecture": "amd64",
                "operatingSystem": "linux",
                "kubeletVersion": "fake",
                "kubeProxyVersion": "fake",
            },
        },
    }


# --- measurements --------------------------------------------------------------------------------------------------


def _ready(pod: Obj) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in (pod.get("status") or {}).get("conditions") or ()
    )


class RolloutWatch(threading.Thread):
    """A raw watch on the pods of one namespace, from a resourceVersion, counting events until `expected` pods are
    Ready (or the deadline)."""

    def __init__(self, server: Server, ns: str, resource_version: str, expected: int, timeout: float) -> None:
        super().__init__(daemon=True)
        self.server, self.ns, self.rv, self.expected = server, ns, resource_version, expected
        self.deadline = time.monotonic() + timeout
        self.events = 0
        self.last_event = 0.0
        self.all_ready = 0.0
        self.error: str | None = None
        self.connected = threading.Event()

    def run(self) -> None:
        ready: set[str] = set()
        rv = self.rv
        try:
            while not self.all_ready and time.monotonic() < self.deadline:  # a server may end a watch: resume it
                rv = self._watch(rv, ready)
        except Exception as exc:  # reported by the main thread
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.connected.set()

    def _watch(self, rv: str, ready: set[str]) -> str:
        conn = self.server.connection(timeout=max(1.0, self.deadline - time.monotonic()))
        path = f"/api/v1/namespaces/{self.ns}/pods?watch=1&resourceVersion={rv}&timeoutSeconds=3600"
        conn.request("GET", path, headers={"Authorization": f"Bearer {self.server.token}"})
        response = conn.getresponse()
        if response.status != 200:
            raise RuntimeError(f"watch: {response.status} {response.read()[:300]!r}")
        self.connected.set()
        try:
            while line := response.readline():
                event = json.loads(line)
                pod = event["object"]
                if event["type"] == "ERROR":
                    raise RuntimeError(f"watch: {pod.get('message')}")
                self.events += 1
                self.last_event = time.perf_counter()
                rv = pod["metadata"]["resourceVersion"]
                name = pod["metadata"]["name"]
                if event["type"] != "DELETED" and _ready(pod):
                    ready.add(name)
                else:
                    ready.discard(name)
                if len(ready) >= self.expected:
                    self.all_ready = self.last_event
                    break
        finally:
            conn.close()
        return rv


def rollout(server: Server, pods: int, timeout: float) -> dict[str, float]:
    """Apply the rollout's Deployments and watch its pods until all are Ready."""
    server.kubectl("apply", "-f", "-", stdin=dump([namespace(NS_ROLLOUT)]))
    rv = server.get_json(f"/api/v1/namespaces/{NS_ROLLOUT}/pods?limit=1")["metadata"]["resourceVersion"]
    watch = RolloutWatch(server, NS_ROLLOUT, rv, pods, timeout)
    watch.start()
    watch.connected.wait(30)
    started = time.perf_counter()
    server.kubectl("apply", "-f", "-", stdin=dump(rollout_objects(pods, NS_ROLLOUT)))
    watch.join(timeout + 30)
    if watch.error or not watch.all_ready:
        raise RuntimeError(
            f"{server.name}: rollout: {watch.error or 'not every pod Ready in time'} ({watch.events} events)"
        )
    seconds = watch.all_ready - started
    return {"events": watch.events, "seconds": seconds, "rate": watch.events / seconds}


def get_pods_all(server: Server) -> tuple[float, int]:
    seconds, out = server.timed("get", "pods", "-A")
    return seconds, len(out.splitlines()) - 1


def apply_folder(server: Server, folder: Path, ns: str) -> float:
    server.kubectl("apply", "-f", "-", stdin=dump([namespace(ns)]))
    return server.timed("apply", "-f", str(folder))[0]


# --- the run -------------------------------------------------------------------------------------------------------


def bench_nodes_needed(pods: int) -> int:
    return -(-pods * 11 // 10 // NODE_PODS)  # 10 % spare, as a scheduler spreading pods needs a little


def prepare_kit(kit: Server, nodes: int) -> None:
    kit.kubectl("apply", "-f", "-", stdin=dump([bench_node(f"bench-kwok-{i:03d}") for i in range(nodes)]))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # kwok marks them Ready within a second or two
        out = kit.kubectl(
            "get",
            "nodes",
            "-l",
            BENCH_LABEL,
            "-o",
            'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}',
        ).stdout
        if out.split().count("True") >= nodes:
            return
        time.sleep(1)
    raise RuntimeError("kit: the benchmark's kwok nodes did not become Ready")


def clean_kit(kit: Server, log: Callable[[str], None]) -> None:
    """Delete what the run made on the kit, waiting for the namespaces to go (their pods with them) before the
    nodes they ran on."""
    log("kit: deleting the benchmark's namespaces and nodes")
    for ns in (NS_APPLY, NS_ROLLOUT):
        kit.kubectl("delete", "namespace", ns, "--ignore-not-found", "--wait=false", check=False)
    for ns in (NS_APPLY, NS_ROLLOUT):
        kit.kubectl("wait", "--for=delete", f"namespace/{ns}", "--timeout=900s", check=False, timeout=960)
    kit.kubectl("delete", "nodes", "-l", BENCH_LABEL, "--ignore-not-found", check=False)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pods", type=int, default=10_000, help="pods of the rollout (default 10000)")
    parser.add_argument("--objects", type=int, default=1000, help="objects of the apply (default 1000)")
    parser.add_argument("--runs", type=int, default=5, help="runs of `kubectl get pods -A` per server (default 5)")
    parser.add_argument(
        "--kit-kubeconfig",
        type=Path,
        default=KIT_KUBECONFIG,
        help=f"the real control plane's kubeconfig (default {KIT_KUBECONFIG})",
    )
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=("apply", "rollout"),
        help="leave a part out (repeatable); without the rollout there is no get or memory",
    )
    parser.add_argument("--timeout", type=float, default=1800, help="seconds allowed for each rollout")
    args = parser.parse_args()

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    kit = Server("kit", args.kit_kubeconfig)
    version = kit.get_json("/version")["gitVersion"]
    pids = kit_pids(args.kit_kubeconfig)
    nodes = bench_nodes_needed(args.pods)
    rows: list[tuple[str, str, str]] = []

    def row(*cells: str) -> None:  # logged at once too: a later step that fails leaves the earlier numbers
        rows.append((cells[0], cells[1], cells[2]))
        log(" | ".join(cells))

    with k9py_serve(nodes) as (k9py, process), tempfile.TemporaryDirectory(prefix="k9py-bench-") as scratch:
        servers = (k9py, kit)
        try:
            k9py.kubectl("label", "nodes", "--all", f"{BENCH_LABEL}=true")
            log(f"kit: {nodes} kwok nodes for the benchmark's pods")
            prepare_kit(kit, nodes)
            rss_before = (rss_mib([process.pid]), rss_mib(pids))
            if "apply" not in args.skip:
                folder = Path(scratch, "apply")
                folder.mkdir()
                (folder / "objects.yaml").write_text(dump(apply_objects(args.objects, NS_APPLY)))
                log(f"apply: {args.objects} objects")
                applied = [apply_folder(server, folder, NS_APPLY) for server in servers]
                row(
                    f"`kubectl apply -f` of {args.objects:,} objects (ConfigMaps, Deployments)",
                    f"{applied[0]:.1f} s",
                    f"{applied[1]:.1f} s",
                )
                kit.kubectl("delete", "namespace", NS_APPLY, "--wait=false")
            if "rollout" not in args.skip:
                results = []
                for server in servers:
                    log(f"{server.name}: rollout of {args.pods} pods")
                    results.append(rollout(server, args.pods, args.timeout))
                    log(f"{server.name}: {results[-1]}")
                row(
                    f"watch during a {args.pods:,}-pod rollout: events per second (events; seconds to all Ready)",
                    *(f"{r['rate']:,.0f} ({r['events']:,.0f}; {r['seconds']:.1f} s)" for r in results),
                )
                timings: dict[str, list[float]] = {"k9py": [], "kit": []}
                listed = {}
                for run in range(args.runs):
                    for server in servers if run % 2 == 0 else reversed(servers):
                        seconds, listed[server.name] = get_pods_all(server)
                        timings[server.name].append(seconds)
                log(f"get pods -A: {timings}")
                row(
                    f"`kubectl get pods -A`, {args.pods:,} pods (+ {listed['k9py'] - args.pods} / "
                    f"{listed['kit'] - args.pods} of the clusters' own), median of {args.runs}",
                    f"{median(timings['k9py']):.2f} s",
                    f"{median(timings['kit']):.2f} s",
                )
                time.sleep(10)  # idle
                row(
                    "RSS before the rollout (k9py serve / the kit's five processes)",
                    f"{rss_before[0]:.0f} MiB",
                    f"{rss_before[1]:.0f} MiB",
                )
                row(
                    f"RSS idle with {args.pods:,} pods",
                    f"{rss_mib([process.pid]):.0f} MiB",
                    f"{rss_mib(pids):.0f} MiB",
                )
        finally:
            clean_kit(kit, log)
    print(
        f"machine: {os.cpu_count()} cores ({platform.processor() or platform.machine()}), python "
        f"{platform.python_version()}; kit: {version} ({', '.join(KIT_PROCESSES)}); "
        f"{nodes} nodes of {NODE_PODS} pods on each side"
    )
    print("| measure | k9py serve | kube-apiserver (kit) |")
    print("|---|---|---|")
    for cells in rows:
        print("| " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
