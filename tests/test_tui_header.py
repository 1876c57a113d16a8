"""The header: cluster summary, clock, pods by phase (and troubled pods by STATUS), each watched folder's sync state
with its error count. (How it fits small terminals: tests/test_tui_small_terminal.py.)"""

from __future__ import annotations

from pathlib import Path

import manifests
from test_tui_sources import write_folder
from tui_support import ALL_PODS, dashboard, table, until

from k9py.widgets.header import pod_problems


async def test_header_counts_nodes_pods_and_shows_the_folder_synced() -> None:
    async with dashboard() as (_app, pilot, screen, _cluster):
        await until(pilot, lambda: table(screen).row_count == ALL_PODS)
        await until(pilot, lambda: f"{ALL_PODS} Running" in screen.header.plain())
        header = screen.header.plain()
        assert "3/3 Ready" in header and "0 Pending" in header and "0 Succeeded" in header and "0 Failed" in header
        assert "Folders:  sample-manifests Synced" in header


async def test_header_shows_drift_and_manifest_errors_per_folder(tmp_path: Path) -> None:
    folder = write_folder(tmp_path)  # two deployments and one file that is not YAML
    async with dashboard([folder]) as (_app, pilot, screen, cluster):
        await until(pilot, lambda: "manifests Synced 1 error" in screen.header.plain())
        await cluster.scale("Deployment", "web", 4, "default")  # imperative: drift from the file
        await until(pilot, lambda: "manifests 1 OutOfSync 1 error" in screen.header.plain())


async def test_pods_are_counted_by_phase_as_kubectl_counts_them_and_trouble_is_named() -> None:
    """A crash-looping pod is Running by phase, a pod whose image may never be pulled is Pending: neither is
    Failed. Each is named by its STATUS after the phases."""
    async with dashboard() as (app, pilot, screen, cluster):
        await until(pilot, lambda: f"{ALL_PODS} Running" in screen.header.plain())
        await cluster.apply(manifests.deployment("crasher", containers=[
            {"name": "app", "image": "busybox:1.36", "command": ["sh", "-c", "sleep 1; exit 1"]}]))
        await cluster.apply(manifests.deployment("unpulled", containers=[
            {"name": "app", "image": "registry.example.com/missing:1", "imagePullPolicy": "Never"}]))
        await until(pilot, lambda: "1 CrashLoopBackOff" in screen.header.plain()
                    and "1 ErrImageNeverPull" in screen.header.plain(), timeout=15)
        pods = next(line for line in screen.header.plain().splitlines() if line.startswith("Pods:"))
        assert pods.split("  <")[0].rstrip() == (f"Pods:     {ALL_PODS + 1} Running  1 Pending  0 Succeeded  "
                                                 "0 Failed  1 CrashLoopBackOff  1 ErrImageNeverPull")
        assert app.backend.summary().pod_phases == {"Running": ALL_PODS + 1, "Pending": 1}


def test_troubled_statuses_are_the_error_ones_most_first() -> None:
    statuses = {"Running": 5, "CrashLoopBackOff": 1, "ErrImagePull": 3, "Pending": 2, "ContainerCreating": 1,
                "Init:0/1": 1, "Terminating": 1, "Completed": 2, "Failed": 1, "OOMKilled": 1, "Error": 0}
    # Pending-like and finished statuses are not trouble; Failed is a phase, counted as one.
    assert pod_problems(statuses) == [("ErrImagePull", 3), ("CrashLoopBackOff", 1), ("OOMKilled", 1)]
