"""Dashboard speed numbers from issue 4 (not a test: run it by hand).

    python benchmarks/dashboard_bench.py              # everything below
    python benchmarks/dashboard_bench.py --pods 3000  # a smaller cluster

1. Startup: `k9py sample-manifests` in a real pseudo-terminal, wall time from spawning the process to the first
   frame that shows the pods table (median of three), and the CPU time the process took by then. Measured as a
   user's install starts: the child runs without PYTHONDONTWRITEBYTECODE (which this repository's environment
   sets, making every start compile every module, about 1.1 s), after one warm-up run that writes the bytecode
   caches and is not counted.
2. With N pods Running (1,000 deployments x 10 by default, 100 nodes), in one process, the app headless but
   rendering every frame to text as a terminal would receive it:
   - open: `:pods` + enter from the nodes view (`k9py -c nodes`), until the frame that shows the pods table;
   - key presses while 200 pod changes per second stream in (annotation patches through the API): j/k moves,
     a typed filter, esc, typing a command; each from posting the key to the end of the next frame painted
     after it was handled; and view switches (`:dp`, `:no`, `:rs`, each followed by `:po`), from the enter
     to the first frame that shows the new view (a big view then fills in over the next frames; one seen before comes
     back from the views the dashboard keeps); p50, p95;
   - idle: the dashboard showing the pods view, nothing changing, CPU share of one core over 10 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import os
import platform
import pstats
import pty
import random
import re
import resource
import select
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine_bench import deployment  # noqa: E402  (the same 1,000 x 10 workload)
from textual import events  # noqa: E402

from engine import ApiError, Cluster, tune_gc  # noqa: E402
from k9py.app import K9App  # noqa: E402
from k9py.backend import EngineBackend  # noqa: E402

ANSI = re.compile(rb"\x1b\[[0-9;?<>=]*[a-zA-Z]")
PROFILE = "--profile" in sys.argv
VERBOSE = PROFILE or "--verbose" in sys.argv
DEBUG = str
SWITCH_PROFILER = cProfile.Profile() if PROFILE else None  # --profile: what a view switch spends
CHARACTERS = {"colon": ":", "slash": "/", "enter": "\r", "escape": "\x1b", "minus": "-"}


# --- 1. startup in a real terminal -------------------------------------------------------------------------------

def startup_once(timeout: float = 30.0) -> tuple[float, float]:
    """Seconds from spawning `k9py sample-manifests` on a pty to the frame showing the pods table title, and the
    CPU seconds the process spent (up to its end, which follows that frame at once)."""
    main, child = pty.openpty()
    os.set_blocking(main, False)
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    env.update(TERM="xterm-256color", COLUMNS="160", LINES="48")
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "k9py.cli", str(ROOT / "sample-manifests")],
                            stdin=child, stdout=child, stderr=child, env=env, cwd=ROOT, close_fds=True)
    os.close(child)
    seen = b""
    try:
        while time.perf_counter() - started < timeout:
            ready, _, _ = select.select([main], [], [], 0.05)
            if ready:
                try:
                    seen += os.read(main, 1 << 16)
                except OSError:
                    break
                if b"pods(" in ANSI.sub(b"", seen):
                    elapsed = time.perf_counter() - started
                    proc.terminate()
                    proc.wait(5)
                    used = resource.getrusage(resource.RUSAGE_CHILDREN)
                    return elapsed, used.ru_utime + used.ru_stime - children.ru_utime - children.ru_stime
        raise RuntimeError("the dashboard showed no pods table")
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(5)
        os.close(main)


# --- 2. a big cluster, in process ----------------------------------------------------------------------------

class FrameClock:
    """Counts painted frames, rendering each to terminal text as a real driver would (headless skips that)."""

    def __init__(self, app: K9App) -> None:
        self.frames = 0
        self.last_end = 0.0
        self.awaited: Callable[[], bool] | None = None  # a state to catch on screen (see press)
        self.shown_at = 0.0
        original = app._display

        def display(screen, renderable) -> None:  # type: ignore[no-untyped-def]
            original(screen, renderable)
            if renderable is not None:
                render = getattr(renderable, "render_segments", None)
                if render is not None:
                    render(app.console)
                self.frames += 1
                self.last_end = time.perf_counter()
                if self.awaited is not None and self.awaited():
                    self.awaited, self.shown_at = None, self.last_end

        app._display = display  # type: ignore[method-assign]

    async def next_frame_after(self, frames: int, timeout: float = 10.0) -> float:
        deadline = time.perf_counter() + timeout
        while self.frames <= frames:
            if time.perf_counter() > deadline:
                raise RuntimeError("no frame was painted")
            await asyncio.sleep(0.0005)
        return self.last_end


async def press(app: K9App, frames: FrameClock, key: str, shows: Callable[[], bool] | None = None) -> float:
    """Post one key as the terminal driver would; seconds until the first frame painted after it was handled,
    or with `shows`, until the first frame painted while `shows()` holds (a new view on screen)."""
    handled = asyncio.Event()
    character = CHARACTERS.get(key, key if len(key) == 1 else None)
    frames.awaited, frames.shown_at = shows, 0.0
    t0 = time.perf_counter()
    app.post_message(events.Key(key, character))
    app.call_later(handled.set)  # runs after the key event (the app's queue is FIFO)
    await handled.wait()
    if shows is not None:
        await wait_for(lambda: frames.shown_at > 0, 10, f"the frame after {key}")
        return frames.shown_at - t0
    count = frames.frames
    end = await frames.next_frame_after(count)
    return end - t0


async def type_keys(app: K9App, frames: FrameClock, keys: list[str]) -> list[float]:
    samples = [await press(app, frames, key) for key in keys]
    if VERBOSE:
        print(" ".join(f"{key}:{sample * 1000:.0f}" for key, sample in zip(keys, samples, strict=True)))
    return samples


async def wait_for(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise RuntimeError(f"timed out waiting for {what}{DEBUG()}")
        await asyncio.sleep(0.05)


CHURN_CPU = [0.0]  # CPU seconds the patches took (the engine's side of the changes, not the dashboard's)
CHURN_BACKLOG_SECONDS = 0.25  # patches further behind than this are skipped, not sent in a burst
CHURN_BATCH = 4  # patches at most in one turn of the event loop (200 a second at one turn every 20 ms)


async def churn(cluster: Cluster, per_second: float, stop: asyncio.Event) -> int:
    """Patch an annotation on random pods at `per_second`: each is one MODIFIED pod event.

    A few patches a turn of the event loop (CHURN_BATCH), as changes from API clients come: `Cluster.patch` never
    waits, and a loop sending every overdue patch back to back held the dashboard for as long as the patches took.
    On a loaded machine that ran further behind with each burst, until no frame was painted for 10 s (`--pods 3000`
    failed so at its first j). A backlog past CHURN_BACKLOG_SECONDS is dropped instead: the rate printed is the
    rate achieved."""
    pods = [(p["metadata"]["name"], p["metadata"]["namespace"]) for p in cluster.store.iter("pods")]
    rng = random.Random(7)
    done, started = 0, time.perf_counter()
    skipped = 0
    while not stop.is_set():
        due = int((time.perf_counter() - started) * per_second) - skipped
        if due - done > per_second * CHURN_BACKLOG_SECONDS:
            skipped += due - done
            due = done
        if done < due:
            cpu = time.process_time()
            for _ in range(min(CHURN_BATCH, due - done)):
                name, namespace = rng.choice(pods)
                with contextlib.suppress(ApiError):  # a pod replaced meanwhile
                    await cluster.patch("Pod", name, {"metadata": {"annotations": {"bench/tick": str(done)}}},
                                        namespace)
                done += 1
            CHURN_CPU[0] += time.process_time() - cpu
            await asyncio.sleep(0)
        else:
            await asyncio.sleep(0.005)
    return done


class GcPauses:
    """The cyclic collector's pauses: with 10,000 pods the heap holds millions of objects, and a full collection
    stops the world for a while, which shows as a slow key press."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict) -> None:  # type: ignore[type-arg]
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append((info["generation"], time.perf_counter() - self._started))

    def worst(self) -> str:
        full = [d for g, d in self.pauses if g == 2]
        longest = max(self.pauses, key=lambda p: p[1], default=(0, 0.0))
        return (f"{len(full)} full collections; longest pause {longest[1] * 1000:.0f} ms "
                f"(generation {longest[0]}) of {len(self.pauses)}")


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def key_presses(app: K9App, frames: FrameClock, pods: int) -> dict[str, list[float]]:
    """Three rounds of j/k moves, a typed filter, esc, commands and view switches on the pods view, each timed to
    its painted frame (the caller streams pod changes meanwhile); the samples by kind of key."""
    main = app.main
    assert main is not None
    samples: dict[str, list[float]] = {"move": [], "filter": [], "command": [], "switch": []}

    async def switch(command: str, view: str) -> None:
        samples["command"].extend(await type_keys(app, frames, ["colon", *command]))
        if SWITCH_PROFILER is not None:
            SWITCH_PROFILER.enable()
        samples["switch"].append(await press(app, frames, "enter", lambda: main.view_name == view))
        if SWITCH_PROFILER is not None:
            SWITCH_PROFILER.disable()
        if VERBOSE:
            print(f"switch to {view}: {samples['switch'][-1] * 1000:.0f} ms")
    for _ in range(3):
        samples["move"] += await type_keys(app, frames, ["j"] * 20 + ["k"] * 10 + ["G", "g"])
        samples["filter"] += await type_keys(app, frames, ["slash", "a", "p", "p", "-", "0", "0", "1"])
        samples["filter"] += await type_keys(app, frames, ["enter", "escape"])
        for command, view in (("dp", "deployments"), ("po", "pods"), ("no", "nodes"), ("po", "pods"),
                              ("rs", "replicasets"), ("po", "pods")):
            await switch(command, view)
            await wait_for(lambda: getattr(main.view, "row_count", 0) > 0, 60, f"the {view} view")
        await wait_for(lambda: getattr(main.view, "row_count", 0) >= pods, 300, "the pods view")
    if SWITCH_PROFILER is not None:
        pstats.Stats(SWITCH_PROFILER).sort_stats("cumulative").print_stats(60)
    return samples


def summarize_keys(samples: dict[str, list[float]]) -> dict[str, tuple[float, float]]:
    """p50 and p95 of each kind of key, and of all."""
    every = [s for group in samples.values() for s in group]
    return {name: (percentile(group, 0.5), percentile(group, 0.95))
            for name, group in [*samples.items(), ("all", every)]}


def print_keys(keys: dict[str, tuple[float, float]], rate: float) -> None:
    print(f"key press to painted frame, {rate:.0f} pod changes/s streaming:")
    for name, (p50, p95) in keys.items():
        print(f"  {name:<7} p50 {p50 * 1000:6.1f} ms   p95 {p95 * 1000:6.1f} ms")


async def big_cluster(deployments: int, replicas: int, nodes: int) -> dict[str, object]:
    pods = deployments * replicas
    cluster = Cluster(nodes=nodes, node_cpu="32", node_memory="128Gi", clock="real", speed=50.0,
                      node_pods=max(110, 2 * pods // nodes))
    backend = EngineBackend(cluster)
    app = K9App(backend, command="nodes")  # watch the nodes while the pods start: no pods view exists yet
    results: dict[str, object] = {}
    async with app.run_test(size=(160, 48)) as pilot:
        frames = FrameClock(app)
        await cluster.apply([deployment(i, replicas) for i in range(deployments)])
        store = cluster.store

        def running() -> bool:
            return store.count("pods") >= pods and all(
                (p.get("status") or {}).get("phase") == "Running" for p in store.iter("pods"))

        await wait_for(running, 900, f"{pods} pods Running")
        cluster.set_speed(1.0)
        await asyncio.sleep(1.0)
        main = app.main
        assert main is not None
        global DEBUG
        DEBUG = lambda: f" (view {main.view_name}, {main.view_title!r}, stack {main.stack})"  # noqa: E731

        # Opening the pods view: the enter of `:pods` to the first frame with the table filled, caught as it is
        # painted (polling for the rows, then waiting for the next frame, waited for the 1 s tick whenever the
        # last slice's frame came before the poll: 0.6 s or 1.0-1.4 s at random).
        await type_keys(app, frames, ["colon", "p", "o", "d", "s"])
        cpu0 = time.process_time()
        results["open"] = await press(
            app, frames, "enter", lambda: main.view_name == "pods" and getattr(main.view, "row_count", 0) >= pods
        )
        # The process's CPU time meanwhile (the engine's own work included): on a loaded machine the wall time
        # says more about the other processes than about the dashboard.
        results["open_cpu"] = time.process_time() - cpu0
        await pilot.pause(4.0)  # highlights fade

        gc_pauses = GcPauses()
        stop = asyncio.Event()
        churner = asyncio.create_task(churn(cluster, 200.0, stop))
        await asyncio.sleep(1.0)
        churn_started = time.perf_counter()
        samples = await key_presses(app, frames, pods)
        stop.set()
        changes = await churner
        rate = changes / (time.perf_counter() - churn_started + 1.0)
        results["keys"] = summarize_keys(samples)
        results["rate"] = rate
        results["patch_cpu"] = CHURN_CPU[0] / max(1, changes)
        results["gc"] = gc_pauses.worst()

        await pilot.pause(5.0)  # the churn's highlights fade
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await asyncio.sleep(10.0)
        results["idle"] = 100 * (time.process_time() - cpu0) / (time.perf_counter() - wall0)
        results["rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return results


def main() -> None:
    tune_gc()  # as the k9py command line does
    parser = argparse.ArgumentParser()
    parser.add_argument("--pods", type=int, default=10_000, help="pods in the big cluster (10 per deployment)")
    parser.add_argument("--skip-startup", action="store_true")
    parser.add_argument("--profile", action="store_true", help="print a profile of the key-press phase")
    parser.add_argument("--verbose", action="store_true", help="print every key press's time")
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}")
    if not args.skip_startup:
        startup_once(120.0)  # warm-up: writes the bytecode caches a user's install has (compiling: slower)
        runs = sorted(startup_once() for _ in range(3))
        cpu = sorted(used for _, used in runs)[1]
        print(f"startup to first frame (k9py sample-manifests, real pty, bytecode cached): {runs[1][0]:.2f} s "
              f"median (runs {', '.join(f'{wall:.2f}' for wall, _ in runs)}), CPU {cpu:.2f} s")
    pods = args.pods
    results = asyncio.run(big_cluster(pods // 10, 10, max(3, pods // 100)))
    print(f"{pods:,} pods: pods view open in {results['open']:.2f} s (CPU {results['open_cpu']:.2f} s)")
    keys = results["keys"]
    assert isinstance(keys, dict)
    rate = results["rate"]
    assert isinstance(rate, float)
    print_keys(keys, rate)
    print(f"  each pod change cost the engine {results['patch_cpu'] * 1000:.2f} ms of CPU (the patch and what reacts)")
    print(f"  garbage collector during the key presses: {results['gc']}")
    print(f"idle with the pods view open: {results['idle']:.1f} % of one core; peak RSS {results['rss']:.0f} MiB")


if __name__ == "__main__":
    main()
