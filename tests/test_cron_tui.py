"""The dashboard lists CronJobs (`:cj`, `:cronjobs`) and enter leads to the Jobs a CronJob created, then to pods."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import tui_support
from tui_support import command, dashboard, table

from k9py.views.cronjobs import CronJobJobsView, CronJobsView

until = partial(tui_support.until, timeout=10.0)

MANIFEST = """\
apiVersion: batch/v1
kind: CronJob
metadata: {name: tick, namespace: default}
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
          - {name: c, image: busybox, command: ["sh", "-c", "sleep 5"]}
"""


async def test_cronjobs_list_and_enter_shows_their_jobs(tmp_path: Path) -> None:
    """kubectl's short name `cj`; k9s's enter on a CronJob shows its Jobs (owned by it), enter on a Job its pods.
    At 120x a `* * * * *` CronJob runs every half second of wall time."""
    (tmp_path / "cron.yaml").write_text(MANIFEST)
    async with dashboard([tmp_path], speed=120.0) as (_app, pilot, screen, cluster):
        await until(pilot, lambda: len(cluster.list("jobs", "default")) >= 2)
        for alias in ("cronjobs", "cj"):
            await command(pilot, alias)
            await until(pilot, lambda: isinstance(screen.view, CronJobsView) and table(screen).row_count == 1)
        view = table(screen)
        assert view.columns[:7] == ["NAMESPACE", "NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST SCHEDULE"]
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(screen.view, CronJobJobsView) and table(screen).row_count >= 2)
        assert all(name.startswith("tick-") for name in table(screen).visible_names())
        assert "cronjob/tick" in screen.view_title
        await pilot.press("enter")
        await until(pilot, lambda: table(screen).kind.kind == "Pod")


async def test_t_triggers_a_job_from_the_cronjob_now_as_k9s_does(tmp_path: Path) -> None:
    """k9s's `t` on a CronJob (internal/dao/cronjob.go Run): a Job `<cronjob>-manual-xxx` from the template,
    annotated as kubectl create job --from=cronjob annotates it, confirmed first."""
    (tmp_path / "cron.yaml").write_text(MANIFEST.replace('"* * * * *"', '"0 0 1 1 *"'))  # not due for a year
    async with dashboard([tmp_path]) as (_app, pilot, screen, cluster):
        await command(pilot, "cj")
        await until(pilot, lambda: isinstance(screen.view, CronJobsView) and table(screen).row_count == 1)
        assert "t" in {key.key for key in screen.active_keys()}
        await pilot.press("t")
        await pilot.press(*tui_support.CONFIRM)
        await until(pilot, lambda: len(cluster.list("jobs", "default")) == 1)
        [job] = cluster.list("jobs", "default")
        assert job["metadata"]["name"].startswith("tick-manual-") and len(job["metadata"]["name"]) == 15
        assert job["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"] == "manual"
        assert job["metadata"]["ownerReferences"][0]["kind"] == "CronJob"
        assert screen.flash_line.message == f"job.batch/{job['metadata']['name']} created"
