"""Scenario: the CronJob kind and controller on the virtual clock (`k/k pkg/controller/cronjob`), with the Job
controller and kubelets running the Jobs it creates."""

from __future__ import annotations

from typing import Any

import pytest

from engine.cluster import Cluster
from engine.errors import ApiError

Obj = dict[str, Any]
MINUTE = 60


def cronjob(name: str = "hello", *, schedule: str = "* * * * *", command: str = "sleep 5", **spec: Any) -> Obj:
    job_spec = spec.pop("job_spec", {})
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "schedule": schedule,
            "jobTemplate": {
                "metadata": {"labels": {"tier": "batch"}, "annotations": {"note": "x"}},
                "spec": {**job_spec, "template": {"spec": {
                    "restartPolicy": "Never",
                    "containers": [{"name": "c", "image": "busybox", "command": ["sh", "-c", command]}],
                }}},
            },
            **spec,
        },
    }


def cronjob_events(c: Cluster, name: str = "hello") -> list[tuple[str, str]]:
    return [(e["reason"], e["message"]) for e in c.events("default")
            if e["involvedObject"]["kind"] == "CronJob" and e["involvedObject"]["name"] == name]


def job_names(c: Cluster) -> list[str]:
    return sorted(job["metadata"]["name"] for job in c.list("jobs", "default"))


async def test_every_minute_creates_a_job_named_after_its_minute() -> None:
    """cronjob_controllerv2.go syncCronJob, utils.go getJobFromTemplate2/getTimeHashInMinutes: a `* * * * *`
    CronJob starts `<name>-<minutes since the epoch>` each minute, with the template's labels and annotations, the
    scheduled-time annotation and a controller reference; the cluster starts at 2026-01-01T00:00:00Z."""
    async with Cluster() as c:
        await c.apply(cronjob())
        await c.run_for(3 * MINUTE + 10)
        assert job_names(c) == ["hello-29453761", "hello-29453762", "hello-29453763"]
        job = c.get("jobs", "hello-29453763")
        meta = job["metadata"]
        assert meta["creationTimestamp"] == "2026-01-01T00:03:00Z"
        assert meta["labels"]["tier"] == "batch"
        assert meta["annotations"] == {"note": "x",
                                       "batch.kubernetes.io/cronjob-scheduled-timestamp": "2026-01-01T00:03:00Z"}
        owner = meta["ownerReferences"][0]
        assert (owner["kind"], owner["name"], owner["controller"], owner["blockOwnerDeletion"]) == (
            "CronJob", "hello", True, True)
        assert cronjob_events(c)[:2] == [
            ("SuccessfulCreate", "Created job hello-29453761"),
            ("SawCompletedJob", "Saw completed job: hello-29453761, condition: Complete"),
        ]
        status = c.get("cronjobs", "hello")["status"]
        assert status["lastScheduleTime"] == "2026-01-01T00:03:00Z"
        assert status["lastSuccessfulTime"] == "2026-01-01T00:03:06Z"  # ~1 s image pull, then sleep 5
        assert "active" not in status
        header, rows = c.table("cronjobs", "default")
        assert header == ["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE"]
        assert rows == [["hello", "* * * * *", "<none>", "False", "0", "10s", "3m10s"]]
        assert c.health("cronjobs", "hello") == ("Healthy", "CronJob has completed its last execution successfully")


async def test_history_limits_keep_the_newest_finished_jobs() -> None:
    """cronjob_controllerv2.go cleanupFinishedJobs/removeOldestJobs: three successful and one failed Job are kept
    by default; older ones are deleted with a SuccessfulDelete event, oldest start time first."""
    async with Cluster() as c:
        await c.apply(cronjob())
        await c.run_for(6 * MINUTE + 10)
        assert job_names(c) == ["hello-29453764", "hello-29453765", "hello-29453766"]
        assert ("SuccessfulDelete", "Deleted job hello-29453761") in cronjob_events(c)
        # The deleted Jobs' pods go too (background propagation).
        assert {p["metadata"]["labels"]["job-name"] for p in c.list("pods", "default")} == set(job_names(c))

        await c.apply(cronjob("broken", command="exit 1", job_spec={"backoffLimit": 0}))
        await c.run_for(3 * MINUTE + 10)
        failed = [n for n in job_names(c) if n.startswith("broken-")]
        assert len(failed) == 1
        # Argo CD cannot tell "never succeeded" from "not run yet"; `k9py check` reports the failure.
        assert c.health("cronjobs", "broken") == ("Healthy", "The Cronjob never completed succesfully. It may not "
                                                              "be healthy")
        broken = c.get("cronjobs", "broken")
        assert c.kind("cronjobs").problems(broken) == [
            ("LastJobFailed", "the Job scheduled at 2026-01-01T00:09:00Z did not complete successfully")]
        assert c.kind("cronjobs").problems(c.get("cronjobs", "hello")) == []
        assert "Saw completed job: " + failed[0] + ", condition: Failed" in [m for _, m in cronjob_events(c, "broken")]


async def test_forbid_skips_a_start_while_a_job_runs() -> None:
    """syncCronJob, concurrencyPolicy Forbid: JobAlreadyActive, worded as upstream, and no second Job."""
    async with Cluster() as c:
        await c.apply(cronjob(command="sleep 600", concurrencyPolicy="Forbid"))
        await c.run_for(2 * MINUTE + 10)
        assert job_names(c) == ["hello-29453761"]
        assert ("JobAlreadyActive", "Not starting job because prior execution is running and concurrency policy is "
                "Forbid") in cronjob_events(c)
        cj = c.get("cronjobs", "hello")
        assert [ref["name"] for ref in cj["status"]["active"]] == ["hello-29453761"]
        assert c.table("cronjobs", "default")[1][0][4] == "1"
        assert "Active Jobs:         hello-29453761\n" in c.describe("cronjobs", "hello")


async def test_replace_deletes_the_running_job_and_starts_a_new_one() -> None:
    """syncCronJob, concurrencyPolicy Replace: deleteJob (SuccessfulDelete) then SuccessfulCreate."""
    async with Cluster() as c:
        await c.apply(cronjob(command="sleep 600", concurrencyPolicy="Replace"))
        await c.run_for(2 * MINUTE + 10)
        assert job_names(c) == ["hello-29453762"]
        assert cronjob_events(c) == [
            ("SuccessfulCreate", "Created job hello-29453761"),
            ("SuccessfulDelete", "Deleted job hello-29453761"),
            ("SuccessfulCreate", "Created job hello-29453762"),
        ]


async def test_allow_runs_jobs_side_by_side() -> None:
    """syncCronJob, concurrencyPolicy Allow (the default): every start gets its Job, all listed as active."""
    async with Cluster() as c:
        await c.apply(cronjob(command="sleep 600"))
        await c.run_for(3 * MINUTE + 10)
        assert len(c.get("cronjobs", "hello")["status"]["active"]) == 3
        assert c.health("cronjobs", "hello")[0] == "Healthy"


async def test_suspended_then_resumed_after_many_missed_starts() -> None:
    """utils.go mostRecentScheduleTime/nextScheduleTime: a CronJob resumed after more than 100 missed starts warns
    TooManyMissedTimes and starts one Job, for the most recent missed time, not one per missed minute."""
    async with Cluster() as c:
        await c.apply(cronjob(suspend=True))
        await c.run_for(150 * MINUTE + 30)
        assert job_names(c) == []
        assert c.health("cronjobs", "hello") == ("Suspended", "CronJob is Suspended")
        await c.patch("cronjobs", "hello", {"spec": {"suspend": False}})
        await c.run_for(5)
        assert job_names(c) == ["hello-29453910"]  # 02:30, the latest missed minute
        assert ("Warning", "TooManyMissedTimes") in [(e["type"], e["reason"]) for e in c.events("default")]
        assert ("TooManyMissedTimes", "too many missed start times. Set or decrease .spec.startingDeadlineSeconds "
                "or check clock skew") in cronjob_events(c)


async def test_starting_deadline_drops_starts_that_are_too_late() -> None:
    """mostRecentScheduleTime with startingDeadlineSeconds: resumed 30 s after a missed minute with a 10 s
    deadline, no catch-up Job starts; the next minute's does."""
    async with Cluster() as c:
        await c.apply(cronjob(suspend=True, startingDeadlineSeconds=10))
        await c.run_for(MINUTE + 30)
        await c.patch("cronjobs", "hello", {"spec": {"suspend": False}})
        await c.run_for(20)
        assert job_names(c) == []
        await c.run_for(MINUTE)
        assert job_names(c) == ["hello-29453762"]


async def test_time_zone_and_the_scheduled_timestamp() -> None:
    """formatSchedule (TZ= from spec.timeZone) and getJobFromTemplate2: 09:00 in Paris is 08:00Z in January,
    and the annotation carries the Paris offset."""
    async with Cluster() as c:
        await c.apply(cronjob(schedule="0 9 * * *", timeZone="Europe/Paris"))
        await c.run_for(8 * 3600 - 5)
        assert job_names(c) == []
        await c.run_for(10)
        assert job_names(c) == [f"hello-{(1767225600 + 8 * 3600) // 60}"]
        job = c.list("jobs", "default")[0]
        assert job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"] == (
            "2026-01-01T09:00:00+01:00")
        assert c.table("cronjobs", "default", wide=True)[1][0][2] == "Europe/Paris"


async def test_schedule_change_waits_for_the_new_next_time() -> None:
    """updateCronJob: a new schedule requeues the CronJob for its next start time."""
    async with Cluster() as c:
        await c.apply(cronjob(schedule="0 * * * *"))
        await c.run_for(10 * MINUTE)
        await c.patch("cronjobs", "hello", {"spec": {"schedule": "*/15 * * * *"}})
        await c.run_for(5 * MINUTE + 10)
        assert job_names(c) == [f"hello-{1767225600 // 60 + 15}"]


@pytest.mark.parametrize(("spec", "message"), [
    ({"schedule": "bad"}, 'spec.schedule: Invalid value: "bad": expected exactly 5 fields, found 1: [bad]'),
    ({"schedule": "CRON_TZ=UTC 0 * * * *"}, 'spec.schedule: Invalid value: "CRON_TZ=UTC 0 * * * *": cannot use TZ '
                                             "or CRON_TZ in schedule, use timeZone field instead"),
    ({"timeZone": "Europe/Pariss"}, 'spec.timeZone: Invalid value: "Europe/Pariss": unknown time zone Europe/Pariss'),
    ({"timeZone": ""}, 'spec.timeZone: Invalid value: "": timeZone must be nil or non-empty string'),
    ({"timeZone": "Local"}, 'spec.timeZone: Invalid value: "Local": timeZone must be an explicit time zone as '
                            "defined in https://www.iana.org/time-zones"),
    ({"concurrencyPolicy": "Sometimes"}, 'spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: '
                                         '"Allow", "Forbid", "Replace"'),
    ({"startingDeadlineSeconds": -1}, "spec.startingDeadlineSeconds: Invalid value: -1: must be greater than or "
                                      "equal to 0"),
    ({"successfulJobsHistoryLimit": -1}, "spec.successfulJobsHistoryLimit: Invalid value: -1: must be greater than "
                                         "or equal to 0"),
])
async def test_invalid_cronjobs_are_refused_as_the_api_server_does(spec: Obj, message: str) -> None:
    """validation.go validateCronJobSpec, validateScheduleFormat, validateTimeZone; texts read off v1.36."""
    async with Cluster() as c:
        with pytest.raises(ApiError) as err:
            await c.apply(cronjob("t1", **spec))
        assert message in err.value.message


async def test_long_names_and_job_templates_are_refused() -> None:
    """ValidateCronJobCreate (52 characters leave room for the Job suffix) and ValidateJobTemplateSpec."""
    async with Cluster() as c:
        with pytest.raises(ApiError) as err:
            await c.apply(cronjob("a" * 53))
        assert "metadata.name: Invalid value" in err.value.message
        assert "must be no more than 52 characters" in err.value.message
        await c.apply(cronjob("a" * 52))
        bad = cronjob("t2")
        bad["spec"]["jobTemplate"]["spec"]["template"]["spec"]["restartPolicy"] = "Always"
        bad["spec"]["jobTemplate"]["spec"]["selector"] = {"matchLabels": {"a": "b"}}
        with pytest.raises(ApiError) as err:
            await c.apply(bad)
        assert ('spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", '
                '"Never"') in err.value.message
        assert ('spec.jobTemplate.spec.selector: Invalid value: {"matchLabels":{"a":"b"}}: `selector` will be '
                "auto-generated") in err.value.message


async def test_defaults_and_describe() -> None:
    """SetDefaults_CronJob, and kubectl's describeCronJob layout as a v1.36 cluster printed it."""
    async with Cluster() as c:
        await c.apply(cronjob(suspend=True, startingDeadlineSeconds=200, timeZone="Europe/Paris",
                              successfulJobsHistoryLimit=0,
                              job_spec={"parallelism": 2, "completions": 3, "activeDeadlineSeconds": 60}))
        spec = c.get("cronjobs", "hello")["spec"]
        assert (spec["concurrencyPolicy"], spec["failedJobsHistoryLimit"]) == ("Allow", 1)
        text = c.describe("cj", "hello")
        assert ("Schedule:                      * * * * *\n"
                "Concurrency Policy:            Allow\n"
                "Suspend:                       True\n"
                "Successful Job History Limit:  0\n"
                "Failed Job History Limit:      1\n"
                "Starting Deadline Seconds:     200s\n"
                "Selector:                      <unset>\n"
                "Parallelism:                   2\n"
                "Completions:                   3\n"
                "Active Deadline Seconds:       60s\n"
                "Pod Template:\n") in text
        assert "Last Schedule Time:  <unset>\nActive Jobs:         <none>\nEvents:              <none>\n" in text
        header, rows = c.table("cronjobs", "default", wide=True)
        assert header[-3:] == ["CONTAINERS", "IMAGES", "SELECTOR"]
        assert rows[0][-3:] == ["c", "busybox", "<none>"]
