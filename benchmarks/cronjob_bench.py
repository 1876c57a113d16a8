"""CronJobs over a simulated day on the virtual clock; not a test, run it by hand.

    python benchmarks/cronjob_bench.py                          # 100 CronJobs, 24 hours of cluster time
    python benchmarks/cronjob_bench.py --cronjobs 20 --hours 2
    python benchmarks/cronjob_bench.py --profile /tmp/cj.prof   # cProfile the whole run

The CronJobs are a mix a cluster might have: a quarter every minute, a quarter every five minutes, a quarter
hourly and a quarter daily (spread over the day, half of them in Europe/Paris or America/New_York). Every Job runs
`sleep 5` to completion (Job controller, scheduler and kubelets included) and the default history limits delete
all but the newest three. Prints the wall time, the Jobs started and the rate, and checks every CronJob started
each Job its schedule asked for.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import tune_gc
from engine.cluster import Cluster
from engine.cron import parse_standard, with_time_zone
from engine.store import WatchEvent

TIME_ZONES = (None, "Europe/Paris", None, "America/New_York")


def schedule_for(i: int) -> tuple[str, str | None]:
    kind = i % 4
    if kind == 0:
        return "* * * * *", None
    if kind == 1:
        return f"{i % 5}-59/5 * * * *", None
    if kind == 2:
        return f"{i % 60} * * * *", None
    return f"{i % 60} {i % 24} * * *", TIME_ZONES[(i // 4) % 4]


def cronjob(i: int) -> dict:
    schedule, time_zone = schedule_for(i)
    spec: dict = {
        "schedule": schedule,
        "jobTemplate": {"spec": {"template": {"spec": {
            "restartPolicy": "Never",
            "containers": [{"name": "work", "image": "busybox", "command": ["sh", "-c", "sleep 5"],
                            "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}],
        }}}},
    }
    if time_zone:
        spec["timeZone"] = time_zone
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": f"cj-{i:03d}", "namespace": "default"},
            "spec": spec}


def expected_starts(i: int, start: float, end: float) -> int:
    schedule, time_zone = schedule_for(i)
    sched = parse_standard(with_time_zone(schedule, time_zone))
    count, t = 0, sched.next(start)
    while t is not None and t <= end:
        count += 1
        t = sched.next(t)
    return count


async def run(cronjobs: int, hours: float) -> None:
    async with Cluster() as cluster:
        created = 0

        def count(event: WatchEvent) -> None:
            nonlocal created
            if event.resource == "jobs.batch" and event.type == "ADDED":
                created += 1

        cluster.store.add_listener(count)
        await cluster.apply([cronjob(i) for i in range(cronjobs)])
        start = cluster.now()
        started = time.perf_counter()
        remaining, hour = hours * 3600, 0
        while remaining > 0:  # an hour at a time, so progress shows
            step = min(3600.0, remaining)
            await cluster.run_for(step)
            remaining -= step
            hour += 1
            print(f"  hour {hour:>2}: {created:>6} Jobs started, {time.perf_counter() - started:6.1f} s wall",
                  flush=True)
        wall = time.perf_counter() - started
        end = cluster.now()
        # A start due in the last 100 ms is synced just after the run ends (nextScheduleDelta).
        want = sum(expected_starts(i, start, end - 1) for i in range(cronjobs))
        jobs = len(cluster.list("jobs", "default"))
        print(f"{cronjobs} CronJobs, {hours:g} h of cluster time: {wall:.1f} s wall, {created} Jobs started "
              f"(their schedules: {want}), {created / wall:.0f} Jobs/s; {jobs} Jobs kept by the history limits")
        if created != want:
            raise SystemExit(f"started {created} Jobs, the schedules asked for {want}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cronjobs", type=int, default=100)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--profile", help="write cProfile stats to this file")
    args = parser.parse_args()
    tune_gc()
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        asyncio.run(run(args.cronjobs, args.hours))
        profiler.disable()
        profiler.dump_stats(args.profile)
    else:
        asyncio.run(run(args.cronjobs, args.hours))


if __name__ == "__main__":
    main()
