"""The dashboard on a real cluster with 10,000 pods, next to the simulated one (issue 17's speed section; not a test).

    export KUBECONFIG=/root/.cache/kube-kit/kubeconfig   # the kit in ../shared/kube, already running
    python benchmarks/kube_dashboard_bench.py            # 10,000 pods on the kit, then the simulated cluster
    python benchmarks/kube_dashboard_bench.py --pods 2000 --skip-simulated

1. Setup on the real control plane (kwok nodes): namespaces k9bench-0..9, one fake node per 100 pods
   (k9bench-node-NNN, api_bench's: kwok's, tainted so that nobody else's pods land there), 1,000 Deployments of
   0 replicas (so the deployments and replicasets views hold as many rows as the simulated cluster's) and the
   10,000 pods, bound to those nodes directly. Bare pods because the controller-manager creates pods at its
   default 20 requests a second: 10,000 through Deployments would take over eight minutes of a shared kit.
   Everything is deleted at the end, even on failure.
2. `k9py --kubeconfig` (KubeBackend) in its own process, headless but rendering every frame to text
   (dashboard_bench's FrameClock), started on the pods view: seconds from the pods list returning (its last
   page) to the first frame with rows and to the frame with every row; then dashboard_bench's key presses while
   another process patches 200 pod annotations a second through the API (the kit takes what it can: on 2 cores,
   about a quarter of that); then the same keys with 200 changes a second put into the pods watch's stream
   (StreamedChurn), the API server quiet; idle CPU; peak RSS.
3. The same with the simulated EngineBackend (dashboard_bench's big cluster) in its own process, after the kit's
   pods are gone, so that neither run's memory or CPU counts in the other's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import os
import platform
import random
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from api_bench import BENCH_LABEL, bench_node  # noqa: E402
from dashboard_bench import VERBOSE, FrameClock, GcPauses, big_cluster, key_presses, print_keys, summarize_keys  # noqa: E402
from engine_bench import deployment  # noqa: E402

from engine import tune_gc  # noqa: E402
from k9py.app import K9App  # noqa: E402
from k9py.kube_backend import KubeBackend  # noqa: E402
from k9py.kube_client import KubeClient, KubeError, kubeconfig_path  # noqa: E402

PROFILE = "--profile" in sys.argv  # also read by dashboard_bench (a profile of its view switches)
PREFIX = "k9bench"  # every namespace and node this benchmark makes is named so, and only those are deleted
NAMESPACES = 10
PODS_PER_NODE = 100  # under kwok's nodes' 110
PER_DEPLOYMENT = 10  # pods named after a deployment, as the simulated cluster's are
PARALLEL = 32  # requests in flight while creating
CHURN_PARALLEL = 100  # patches in flight: a loaded API server takes up to half a second for one
MERGE_PATCH = "application/merge-patch+json"
RETRIED = (0, 429, 500, 503, 504)  # unreachable, throttled or shutting down: asked again


def pod_place(i: int, nodes: int) -> tuple[str, str, str]:
    """The i-th pod's namespace, name and node: the same for the creator and the churner."""
    app = i // PER_DEPLOYMENT
    return f"{PREFIX}-{app % NAMESPACES}", f"app-{app:04d}-{i % PER_DEPLOYMENT:02d}", f"{PREFIX}-node-{i % nodes:03d}"


def node_count(pods: int) -> int:
    return max(1, -(-pods // PODS_PER_NODE))


def bench_pod(i: int, nodes: int) -> dict[str, Any]:
    namespace, name, node = pod_place(i, nodes)
    template = deployment(i // PER_DEPLOYMENT, 1)["spec"]["template"]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            # Not the deployment's selector (app=...): its ReplicaSet would adopt the pod and scale it to 0.
            "labels": {"run": name.rsplit("-", 1)[0], PREFIX: "1"},
        },
        "spec": {
            **template["spec"],
            "nodeName": node,  # bound already: the scheduler (50 bindings a second) is not what is measured
            "tolerations": [{"key": BENCH_LABEL, "operator": "Exists", "effect": "NoSchedule"}],  # bench_node's taint
            "terminationGracePeriodSeconds": 0,
        },
    }


async def each(count: int, make: Any) -> None:
    """`make(i)` for i in range(count), PARALLEL at a time."""
    gate = asyncio.Semaphore(PARALLEL)

    async def one(i: int) -> None:
        async with gate:
            await make(i)

    await asyncio.gather(*(one(i) for i in range(count)))


async def ask(client: KubeClient, method: str, path: str, query: dict[str, Any] | None = None, **kw: Any) -> Any:
    """A request that waits out the shared API server's restarts (other tests restart it now and then); {} for a
    404."""
    deadline = time.perf_counter() + 300
    while True:
        try:
            return await client.request(method, path, query, **kw)
        except KubeError as exc:
            if exc.code == 404:
                return {}
            if exc.code not in RETRIED or time.perf_counter() > deadline:
                raise
            await asyncio.sleep(2.0)  # unreachable, or shutting down: being restarted


async def create(client: KubeClient, path: str, body: dict[str, Any]) -> None:
    try:
        await ask(client, "POST", path, body=body)
    except KubeError as exc:
        if exc.code != 409:  # left from an interrupted run: kept
            raise


async def setup(client: KubeClient, pods: int) -> float:
    """The namespaces, nodes, deployments and pods; seconds until every pod is Running."""
    started = time.perf_counter()
    nodes = node_count(pods)
    for n in range(NAMESPACES):
        namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"{PREFIX}-{n}"}}
        await create(client, "/api/v1/namespaces", namespace)
    await each(nodes, lambda n: create(client, "/api/v1/nodes", bench_node(f"{PREFIX}-node-{n:03d}")))

    def scaled_to_zero(d: int) -> dict[str, Any]:
        doc = deployment(d, 0)
        doc["metadata"]["namespace"] = f"{PREFIX}-{d % NAMESPACES}"
        return doc

    await each(
        pods // PER_DEPLOYMENT,
        lambda d: create(client, f"/apis/apps/v1/namespaces/{PREFIX}-{d % NAMESPACES}/deployments", scaled_to_zero(d)),
    )

    def post_pod(i: int) -> Any:
        pod = bench_pod(i, nodes)
        return create(client, f"/api/v1/namespaces/{pod['metadata']['namespace']}/pods", pod)

    await each(pods, post_pod)
    print(f"  created in {time.perf_counter() - started:.0f} s; waiting for kwok to run them", flush=True)
    query = {"labelSelector": f"{PREFIX}=1", "fieldSelector": "status.phase!=Running", "limit": 1}
    deadline = time.perf_counter() + 900
    while time.perf_counter() < deadline:
        page = await ask(client, "GET", "/api/v1/pods", query, timeout=120)
        if not page.get("items") and not (page.get("metadata") or {}).get("continue"):
            return time.perf_counter() - started
        await asyncio.sleep(2.0)
    raise RuntimeError("the pods did not all become Running in 15 minutes")


async def teardown(client: KubeClient) -> float:
    """Delete this benchmark's namespaces (the pods first: kwok finalizes them while their nodes exist), then its
    nodes; seconds until all are gone. Other tests restart the shared API server now and then: keep asking."""
    started = time.perf_counter()
    deadline = started + 900

    async def mine() -> list[str]:
        listed = (await ask(client, "GET", "/api/v1/namespaces")).get("items") or ()
        return [n["metadata"]["name"] for n in listed if n["metadata"]["name"].startswith(f"{PREFIX}-")]

    async def nodes() -> list[str]:  # api_bench's nodes have the same label: only ours by name
        mark = {"labelSelector": f"{BENCH_LABEL}=true"}
        listed = (await ask(client, "GET", "/api/v1/nodes", mark)).get("items") or ()
        return [n["metadata"]["name"] for n in listed if n["metadata"]["name"].startswith(f"{PREFIX}-node-")]

    for name in await mine():
        await ask(client, "DELETE", f"/api/v1/namespaces/{name}")
    while await mine():
        if time.perf_counter() > deadline:
            raise RuntimeError(f"namespaces still terminating after 15 minutes: {', '.join(await mine())}")
        await asyncio.sleep(2.0)
    for name in await nodes():
        await ask(client, "DELETE", f"/api/v1/nodes/{name}")
    while await nodes():
        if time.perf_counter() > deadline:
            raise RuntimeError("nodes still there after 15 minutes")
        await asyncio.sleep(1.0)
    return time.perf_counter() - started


async def kit(kubeconfig: str, action: str, pods: int) -> float:
    client = KubeClient(kubeconfig)
    await client.open()
    try:
        return await (setup(client, pods) if action == "setup" else teardown(client))
    finally:
        await client.close()


# --- the churner: its own process, as the cluster's changes come from elsewhere ------------------------------------


async def churn(kubeconfig: str, pods: int, per_second: float) -> None:
    """Patch an annotation on random pods at `per_second` (each one MODIFIED pod event) until SIGTERM; then print
    how many were patched and how many seconds that took."""
    client = KubeClient(kubeconfig)
    await client.open()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    rng = random.Random(7)
    nodes = node_count(pods)
    done, started = 0, time.perf_counter()
    running: set[asyncio.Task[Any]] = set()

    async def patch(n: int) -> None:
        namespace, name, _ = pod_place(rng.randrange(pods), nodes)
        body = {"metadata": {"annotations": {"bench/tick": str(n)}}}
        with contextlib.suppress(KubeError):
            await client.request(
                "PATCH", f"/api/v1/namespaces/{namespace}/pods/{name}", body=body, content_type=MERGE_PATCH
            )

    while not stop.is_set():
        due = int((time.perf_counter() - started) * per_second)
        while done < due and len(running) < CHURN_PARALLEL:
            task = asyncio.create_task(patch(done))
            running.add(task)
            task.add_done_callback(running.discard)
            done += 1
        await asyncio.sleep(0.005)
    await asyncio.gather(*running)
    await client.close()
    print(json.dumps({"changes": done, "seconds": time.perf_counter() - started}), flush=True)


def start_churner(kubeconfig: str, pods: int, per_second: float) -> subprocess.Popen[str]:
    command = [sys.executable, __file__, "--phase", "churn", "--pods", str(pods), "--rate", str(per_second)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=dict(os.environ, KUBECONFIG=kubeconfig))


def stop_churner(churner: subprocess.Popen[str]) -> float:
    """Pod changes a second it made."""
    churner.send_signal(signal.SIGTERM)
    out, _ = churner.communicate(timeout=60)
    made = json.loads(out.strip().splitlines()[-1])
    return float(made["changes"]) / max(float(made["seconds"]), 1e-9)


class StreamedChurn:
    """200 pod changes a second as the pods watch delivers them, without the API server's work.

    On this 2-core machine the kit spends about 7 ms of CPU on each pod patch (API server, etcd), so patching 200
    pods a second takes 1.4 cores from the dashboard being measured, and the kit takes only about 50. This puts
    MODIFIED events into the pods watch's line stream itself (the kit's own events go on passing through): the
    informer parses and caches them and the views repaint them exactly as they would a real server's. Made in
    the dashboard's process: 200 `json.dumps` a second of about 40 microseconds each."""

    def __init__(self, client: KubeClient, backend: KubeBackend, per_second: float) -> None:
        self.backend, self.per_second = backend, per_second
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None
        self.made, self.seconds = 0, 0.0
        real_lines = client.lines

        async def lines(path: str, query: dict[str, Any] | None = None, **kw: Any) -> Any:
            if path != "/api/v1/pods":
                async for line in real_lines(path, query, **kw):
                    yield line
                return

            async def relay() -> None:
                try:
                    async for line in real_lines(path, query, **kw):
                        await self.queue.put(line)
                finally:
                    await self.queue.put(None)

            relaying = asyncio.create_task(relay())
            try:
                while (line := await self.queue.get()) is not None:
                    yield line
            finally:
                relaying.cancel()

        client.lines = lines  # type: ignore[method-assign]

    def start(self) -> None:
        self.task = asyncio.create_task(self._make())

    async def stop(self) -> float:
        """Stop; the changes a second it made."""
        assert self.task is not None
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        return self.made / max(self.seconds, 1e-9)

    async def _make(self) -> None:
        informer = self.backend.informer("pods")
        assert informer is not None
        keys = sorted(informer.objects)
        rng = random.Random(7)
        started = time.perf_counter()
        try:
            while True:
                due = int((time.perf_counter() - started) * self.per_second)
                while self.made < due:
                    pod = informer.objects.get(rng.choice(keys))
                    if pod is not None:
                        meta = pod["metadata"]
                        annotations = {**(meta.get("annotations") or {}), "bench/tick": str(self.made)}
                        # The version the informer has seen last: a watch resumed from it stays valid on the kit.
                        changed = {**pod, "metadata": {**meta, "annotations": annotations,
                                                       "resourceVersion": informer.resource_version}}
                        self.queue.put_nowait(json.dumps({"type": "MODIFIED", "object": changed}).encode())
                    self.made += 1
                await asyncio.sleep(0.005)
        finally:
            self.seconds = time.perf_counter() - started


# --- 2. the dashboard on the real cluster --------------------------------------------------------------------------


async def kube_dashboard(kubeconfig: str, pods: int) -> dict[str, Any]:
    client = KubeClient(kubeconfig)
    marks: dict[str, float] = {}
    request = client.request

    async def timed_request(method: str, path: str, query: dict[str, Any] | None = None, **kw: Any) -> Any:
        """The pods list's first request and the arrival of its last page (the informer then fills the cache)."""
        listing = method == "GET" and path == "/api/v1/pods" and "watch" not in (query or {})
        if listing:
            marks.setdefault("list_asked", time.perf_counter())
        answer = await request(method, path, query, **kw)
        if listing:
            marks.setdefault("first_page", time.perf_counter())
            if not (answer.get("metadata") or {}).get("continue"):
                marks.setdefault("listed", time.perf_counter())
        return answer

    client.request = timed_request  # type: ignore[method-assign]
    backend = KubeBackend(client)
    streamed = StreamedChurn(client, backend, 200.0)
    app = K9App(backend, command="pods")
    frames = FrameClock(app)
    counted = app._display

    def display(screen: Any, renderable: Any) -> None:
        counted(screen, renderable)
        main = app.main
        if renderable is None or main is None or main.view_name != "pods":
            return
        rows = getattr(main.view, "row_count", 0)
        if rows > 0:
            marks.setdefault("first_rows", frames.last_end)
        listed = backend.informer("pods")
        if "listed" in marks and listed is not None and rows >= len(listed.objects) > 0:
            marks.setdefault("all_rows", frames.last_end)  # every pod of the list (others' pods too) on screen

    app._display = display  # type: ignore[method-assign]
    results: dict[str, Any] = {}
    cpu0 = time.process_time()
    profiler = cProfile.Profile() if PROFILE else None  # --profile: what the open and the key presses spend
    if profiler is not None:
        profiler.enable()
    async with app.run_test(size=(160, 48)) as pilot:
        deadline = time.perf_counter() + 300
        while "all_rows" not in marks:
            if time.perf_counter() > deadline:
                raise RuntimeError(f"the pods view never showed {pods} rows: {marks}")
            await asyncio.sleep(0.01)
        if VERBOSE:
            print({k: round(v - marks["list_asked"], 2) for k, v in marks.items()}, file=sys.stderr)
        results["list"] = marks["listed"] - marks["list_asked"]
        results["first_page"] = marks["first_page"] - marks["list_asked"]
        # Rows come in as the pages do: the first ones usually before the list has returned (then negative).
        results["first_rows"] = marks["first_rows"] - marks["listed"]
        results["all_rows"] = marks["all_rows"] - marks["listed"]
        results["open_cpu"] = time.process_time() - cpu0
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats("/tmp/k9bench-open.prof")
            profiler = cProfile.Profile()
        await pilot.pause(4.0)  # highlights fade
        main = app.main
        assert main is not None
        churner = start_churner(kubeconfig, pods, 200.0)
        await asyncio.sleep(2.0)  # its client connected and patching
        gc_pauses = GcPauses()
        if profiler is not None:
            profiler.enable()
        try:
            samples = await key_presses(app, frames, pods)
        finally:
            results["rate"] = stop_churner(churner)
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats("/tmp/k9bench-keys.prof")
        results["keys"] = summarize_keys(samples)
        results["gc"] = gc_pauses.worst()
        await pilot.pause(5.0)  # the churn's highlights fade
        # The same keys with 200 changes a second put into the watch stream (StreamedChurn), the kit left quiet.
        streamed.start()
        await asyncio.sleep(1.0)
        try:
            streamed_samples = await key_presses(app, frames, pods)
        finally:
            results["streamed_rate"] = await streamed.stop()
        results["streamed_keys"] = summarize_keys(streamed_samples)
        await pilot.pause(5.0)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await asyncio.sleep(10.0)
        results["idle"] = 100 * (time.process_time() - cpu0) / (time.perf_counter() - wall0)
        results["rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return results


def child(phase: str, pods: int, kubeconfig: str, more: list[str] | None = None) -> dict[str, Any]:
    """One measured phase in a new process: its peak RSS is its own."""
    command = [sys.executable, __file__, "--phase", phase, "--pods", str(pods), "--kubeconfig", kubeconfig]
    command += more or []
    run = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
    return dict(json.loads(run.stdout.strip().splitlines()[-1]))


def report(title: str, results: dict[str, Any]) -> None:
    print(title)
    if "list" in results:
        print(
            f"  pods list in pages of 500: first page {results['first_page']:.2f} s, last {results['list']:.2f} s; "
            f"from the last page to the first frame with rows {results['first_rows']:+.2f} s, to the frame with "
            f"every row {results['all_rows']:+.2f} s (CPU from start to every row {results['open_cpu']:.1f} s)"
        )
    else:
        print(f"  pods view open (:pods from the nodes view to every row) {results['open']:.2f} s")
    print_keys(results["keys"], results["rate"])
    print(f"  garbage collector during the key presses: {results['gc']}")
    if "streamed_keys" in results:
        print("  the same keys, pod changes put into the watch stream (StreamedChurn), the API server quiet:")
        print_keys(results["streamed_keys"], results["streamed_rate"])
    print(f"  idle with the pods view open: {results['idle']:.1f} % of one core; peak RSS {results['rss']:.0f} MiB")


def main() -> None:
    tune_gc()  # as the k9py command line does
    parser = argparse.ArgumentParser()
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--kubeconfig", default=None, help="default: $KUBECONFIG, as kubectl")
    parser.add_argument("--skip-simulated", action="store_true")
    parser.add_argument("--profile", action="store_true", help="the kube phase's profiles in /tmp/k9bench-*.prof")
    parser.add_argument("--verbose", action="store_true", help="every key press's time, the open's milestones")
    parser.add_argument("--keep", action="store_true", help="leave the pods on the cluster (then --teardown)")
    parser.add_argument("--reuse", action="store_true", help="measure the pods a --keep run left")
    parser.add_argument("--teardown", action="store_true", help="only delete what a --keep run left")
    parser.add_argument("--phase", choices=("kube", "simulated", "churn"), help=argparse.SUPPRESS)
    parser.add_argument("--rate", type=float, default=200.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    kubeconfig = kubeconfig_path(args.kubeconfig)
    pods = args.pods
    if args.phase == "churn":
        asyncio.run(churn(kubeconfig, pods, args.rate))
        return
    if args.phase == "kube":
        print(json.dumps(asyncio.run(kube_dashboard(kubeconfig, pods))))
        return
    if args.phase == "simulated":
        print(json.dumps(asyncio.run(big_cluster(pods // PER_DEPLOYMENT, PER_DEPLOYMENT, node_count(pods)))))
        return
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores (shared), "
        f"python {platform.python_version()}, load {os.getloadavg()[0]:.1f}"
    )
    print(f"{pods:,} pods on the real cluster ({node_count(pods)} kwok nodes)...", flush=True)
    if args.teardown:
        print(f"  deleted in {asyncio.run(kit(kubeconfig, 'teardown', pods)):.0f} s", flush=True)
        return
    try:
        if not args.reuse:
            setup_seconds = asyncio.run(kit(kubeconfig, "setup", pods))
            print(f"  all Running {setup_seconds:.0f} s after the first request", flush=True)
        kube = child("kube", pods, kubeconfig, ["--profile"] if args.profile else [])
    finally:
        if not args.keep:
            print(f"  deleted in {asyncio.run(kit(kubeconfig, 'teardown', pods)):.0f} s", flush=True)
    report(f"KubeBackend, {pods:,} pods (load {os.getloadavg()[0]:.1f}):", kube)
    if not args.skip_simulated:
        simulated = child("simulated", pods, kubeconfig)
        report(f"EngineBackend (simulated), {pods:,} pods (load {os.getloadavg()[0]:.1f}):", simulated)


if __name__ == "__main__":
    main()
