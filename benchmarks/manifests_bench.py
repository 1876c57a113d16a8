"""Watched-folder speed numbers from issue 3 (run by hand, not a test):

1. First load and apply of 1,000 files x 3 documents into the store.
2. Save -> applied in the store, wall time including the watcher's debounce, p50 and p95 over 40 saves.
"""

from __future__ import annotations

import asyncio
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import tune_gc
from engine.cluster import Cluster
from engine.manifests.source import ManifestSource

DOCUMENT = """\
# {name}: part of the generated benchmark app
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  labels:
    app: {name}
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
      containers:
        - name: app
          image: nginx:1.27
          resources:
            requests:
              cpu: 10m
              memory: 16Mi
"""


def write_tree(root: Path, files: int, per_file: int) -> None:
    for f in range(files):
        docs = [DOCUMENT.format(name=f"app-{f:04d}-{d}", replicas=1) for d in range(per_file)]
        (root / f"app-{f:04d}.yaml").write_text("---\n".join(docs))


async def first_load(files: int = 1000, per_file: int = 3) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_tree(root, files, per_file)
        async with Cluster(nodes=3) as cluster:
            source = ManifestSource(cluster.api, root)
            started = time.perf_counter()
            source.sync()
            took = time.perf_counter() - started
            assert not source.all_errors, source.all_errors[:3]
            return took, cluster.store.count("deployments.apps")


async def save_latency(saves: int = 40) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_tree(root, 50, 3)
        async with Cluster(nodes=3, clock="real") as cluster:
            source = ManifestSource(cluster.api, root)
            stop = asyncio.Event()
            task = asyncio.create_task(source.watch(stop))
            await asyncio.sleep(0.5)
            target = root / "app-0007.yaml"
            samples = []
            for i in range(saves):
                replicas = 2 + i % 5
                text = "---\n".join(DOCUMENT.format(name=f"app-0007-{d}", replicas=replicas) for d in range(3))
                started = time.perf_counter()
                target.write_text(text)
                while True:
                    live = cluster.store.get("deployments.apps", "default", "app-0007-2")
                    if live["spec"]["replicas"] == replicas:
                        break
                    await asyncio.sleep(0.002)
                samples.append(time.perf_counter() - started)
                await asyncio.sleep(0.1)
            stop.set()
            await task
            return samples


def main() -> None:
    tune_gc()  # as the k9py command line does
    print(f"machine: {platform.machine()}, python {platform.python_version()}")
    took, count = asyncio.run(first_load())
    print(f"first load of 1,000 files x 3 documents: {count} objects in the store in {took:.2f} s")
    samples = sorted(asyncio.run(save_latency()))
    p50 = statistics.median(samples) * 1000
    p95 = samples[int(len(samples) * 0.95) - 1] * 1000
    print(f"save -> applied: p50 {p50:.0f} ms, p95 {p95:.0f} ms over {len(samples)} saves")


if __name__ == "__main__":
    main()
