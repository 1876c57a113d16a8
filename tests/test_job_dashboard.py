"""The dashboard opens Jobs as k9s does: `:job` and `:jobs` list them with kubectl's columns, and enter on a
Job shows its pods (the kind's owns_pods capability)."""

from __future__ import annotations

from pathlib import Path

from test_job_kind import job_yaml
from tui_support import command, dashboard, table, until


async def test_job_and_jobs_open_the_jobs_and_enter_shows_the_pods(tmp_path: Path) -> None:
    """k9s's resource aliases (`:job`, `:jobs`) and its enter on a workload (the pods its selector picks);
    columns from printers.go printJob."""
    (tmp_path / "job.yaml").write_text(job_yaml("batch", "  completions: 2\n  parallelism: 2\n", cmd="sleep 3600"))
    async with dashboard([tmp_path]) as (_app, pilot, screen, _cluster):
        await command(pilot, "jobs")
        await until(pilot, lambda: table(screen).row_count == 1)
        assert table(screen).columns[:6] == ["NAMESPACE", "NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]
        await command(pilot, "job")
        await until(pilot, lambda: table(screen).row_count == 1)
        assert screen.crumbs.labels == ["job"]
        assert "enter" in {key.key for key in screen.active_keys()}
        await pilot.press("enter")
        await until(pilot, lambda: table(screen).kind.kind == "Pod" and table(screen).row_count == 2)
