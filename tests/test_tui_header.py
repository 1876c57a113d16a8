"""The header: cluster summary, clock, and each watched folder's sync state with its error count."""

from __future__ import annotations

from pathlib import Path

from test_tui_sources import write_folder
from tui_support import SAMPLE_PODS, dashboard, table, until


async def test_header_counts_nodes_pods_and_shows_the_folder_synced() -> None:
    async with dashboard() as (_app, pilot, screen, _cluster):
        await until(pilot, lambda: table(screen).row_count == SAMPLE_PODS)
        await until(pilot, lambda: f"{SAMPLE_PODS} Running" in screen.header.plain())
        header = screen.header.plain()
        assert "3/3 Ready" in header and "0 Pending" in header and "0 Failed" in header
        assert "Folders:  sample-manifests Synced" in header


async def test_header_shows_drift_and_manifest_errors_per_folder(tmp_path: Path) -> None:
    folder = write_folder(tmp_path)  # two deployments and one file that is not YAML
    async with dashboard([folder]) as (_app, pilot, screen, cluster):
        await until(pilot, lambda: "manifests Synced 1 error" in screen.header.plain())
        await cluster.scale("Deployment", "web", 4, "default")  # imperative: drift from the file
        await until(pilot, lambda: "manifests 1 OutOfSync 1 error" in screen.header.plain())
