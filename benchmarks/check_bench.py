"""`k9py check` on a folder of many small files (issue 9 §3); not a test, run it by hand.

    python benchmarks/check_bench.py                          # 100,000 files, one ConfigMap each
    python benchmarks/check_bench.py --files 20000 --kind deployment
    python benchmarks/check_bench.py --files 20000 --profile /tmp/check.prof

Writes the files into a temporary folder, then runs what `k9py check DIR` runs (`engine.check.run_check`, in this
process) and prints the wall time: in total, and split into reading and applying the files (`ManifestSource.sync`,
timed by wrapping it; within it, listing the folder, reading and parsing, and applying, where ManifestSource has
those steps as `list_files` (or `discover`), `_read_changed` and `_apply_all`) and the rest (settling the cluster
and the report).
A first load of thousands of files is read on two cores (engine/manifests/loader.py, `load_files`), so the
reading time depends on how busy the other core is.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import tune_gc
from engine.check import run_check
from engine.manifests import source as manifest_source

CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings-{i:06d}
  namespace: default
data:
  greeting: hello {i}
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i:06d}
  namespace: default
spec:
  replicas: 1
  selector:
    matchLabels: {{app: app-{i:06d}}}
  template:
    metadata:
      labels: {{app: app-{i:06d}}}
    spec:
      containers:
      - name: app
        image: nginx:1.27
        resources: {{requests: {{cpu: 10m, memory: 16Mi}}}}
"""


def write_files(root: Path, files: int, kind: str) -> None:
    template = CONFIGMAP if kind == "configmap" else DEPLOYMENT
    for i in range(files):
        sub = root / f"dir-{i // 1000:03d}"  # a thousand files a folder, as a large repository would have
        if i % 1000 == 0:
            sub.mkdir()
        (sub / f"obj-{i:06d}.yaml").write_text(template.format(i=i))


def _time_method(owner: Any, method: str, spent: dict[str, float]) -> None:
    """Add the time every call of `owner.method` (a class's method or a module's function) takes to spent[method]."""
    original = getattr(owner, method)

    def timed(*a: Any, **kw: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return original(*a, **kw)
        finally:
            spent[method] = spent.get(method, 0.0) + time.perf_counter() - t0

    setattr(owner, method, timed)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--kind", choices=["configmap", "deployment"], default="configmap")
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the check to FILE")
    args = parser.parse_args()
    tune_gc()  # as the k9py command line does
    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}")
    spent: dict[str, float] = {}
    for method in ("sync", "_read_changed", "_apply_all"):
        if hasattr(manifest_source.ManifestSource, method):
            _time_method(manifest_source.ManifestSource, method, spent)
    for function in ("discover", "list_files"):  # a first sync lists with list_files, later ones with discover
        if hasattr(manifest_source, function):
            _time_method(manifest_source, function, spent)
    with tempfile.TemporaryDirectory(prefix="k9py-check-bench-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        write_files(root, args.files, args.kind)
        print(f"wrote {args.files:,} files ({args.kind}) in {time.perf_counter() - t0:.1f} s")
        coro = run_check([str(root)], nodes=args.nodes, node_cpu="64", node_memory="256Gi")
        started = time.perf_counter()
        if args.profile:
            profiler = cProfile.Profile()
            report = profiler.runcall(asyncio.run, coro)
            profiler.dump_stats(args.profile)
        else:
            report = asyncio.run(coro)
        wall = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sync = spent.get("sync", 0.0)
    if "discover" in spent or "list_files" in spent:
        spent["listing"] = spent.get("discover", 0.0) + spent.get("list_files", 0.0)
    steps = ", ".join(f"{what} {spent[method]:.2f} s" for method, what in (("listing", "listing"),
                                                                            ("_read_changed", "reading"),
                                                                            ("_apply_all", "applying"))
                      if method in spent)
    print(f"k9py check, {report.documents:,} documents in {args.files:,} files: {wall:.2f} s wall "
          f"(ManifestSource.sync {sync:.2f} s{': ' + steps if steps else ''}; the rest {wall - sync:.2f} s), "
          f"converged={report.converged} after {report.cluster_seconds:.0f} s of cluster time, "
          f"{len(report.errors)} errors, peak RSS {rss:.0f} MiB")


if __name__ == "__main__":
    main()
