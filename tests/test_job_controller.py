"""The Job controller as a user sees it: pods created and finished, `kubectl get jobs`/`pods` cells, conditions,
events, back-off, deadlines, suspension, indexes, pod failure policy, TTL and garbage collection. All on the
virtual clock; the expected conditions and events were read off a v1.36 control plane."""

from __future__ import annotations

from typing import Any

from test_job_kind import job_yaml

from engine import Cluster
from engine.timeutil import parse_time

Obj = dict[str, Any]


def job_events(c: Cluster, name: str) -> list[tuple[str, str, str]]:
    return [(e["type"], e["reason"], e["message"]) for e in c.events("default")
            if e["involvedObject"]["kind"] == "Job" and e["involvedObject"]["name"] == name
            and e["source"]["component"] == "job-controller"]


def conditions(c: Cluster, name: str) -> list[tuple[str, str, str, str]]:
    status = c.get("job", name)["status"]
    return [(k["type"], k["status"], k["reason"], k["message"]) for k in status.get("conditions") or ()]


def row(c: Cluster, name: str) -> list[str]:
    return next(r for r in c.table("jobs", "default")[1] if r[0] == name)


def pod_rows(c: Cluster, job: str) -> list[list[str]]:
    return c.table("pods", "default", selector=f"batch.kubernetes.io/job-name={job}")[1]


async def test_completions_with_parallelism() -> None:
    """job_controller.go manageJob (wantActive = min(completions - succeeded, parallelism)) and the v1.31+
    terminal conditions: SuccessCriteriaMet, then Complete with completionTime and a `Completed` event."""
    async with Cluster() as c:
        await c.apply(job_yaml("work", "  completions: 3\n  parallelism: 2\n", cmd="sleep 5"))
        await c.run_for(3)
        assert row(c, "work")[1:4] == ["Running", "0/3", "3s"]
        assert [r[2] for r in pod_rows(c, "work")] == ["Running", "Running"]
        assert c.get("job", "work")["status"]["active"] == 2
        await c.run_for(5)
        assert row(c, "work")[1:3] == ["Running", "2/3"]
        await c.run_for(20)
        assert row(c, "work")[1:4] == ["Complete", "3/3", "12s"]
        assert sorted(r[2] for r in pod_rows(c, "work")) == ["Completed"] * 3
        assert conditions(c, "work") == [
            ("SuccessCriteriaMet", "True", "CompletionsReached", "Reached expected number of succeeded pods"),
            ("Complete", "True", "CompletionsReached", "Reached expected number of succeeded pods")]
        status = c.get("job", "work")["status"]
        assert status["completionTime"] == "2026-01-01T00:00:12Z"
        assert status["uncountedTerminatedPods"] == {} and status["ready"] == 0 and status["terminating"] == 0
        events = job_events(c, "work")
        assert [e[1] for e in events] == ["SuccessfulCreate"] * 3 + ["Completed"]
        assert events[-1] == ("Normal", "Completed", "Job completed")
        assert c.health("job", "work") == ("Healthy", "Reached expected number of succeeded pods")
        # Counted pods lose the tracking finalizer; each names its Job as a blocking controller.
        for pod in c.list("pods", "default"):
            assert "finalizers" not in pod["metadata"]
            [ref] = pod["metadata"]["ownerReferences"]
            assert (ref["kind"], ref["name"], ref["controller"], ref["blockOwnerDeletion"]) == (
                "Job", "work", True, True)


async def test_backoff_limit_with_the_pod_failure_backoff() -> None:
    """job_controller.go syncJob (failed > backoffLimit -> FailureTarget then Failed, BackoffLimitExceeded) and
    backoff_utils.go getRemainingTime: a replacement waits 10 s after the first failure, 20 s after the second."""
    async with Cluster() as c:
        await c.apply(job_yaml("flaky", "  backoffLimit: 2\n", cmd="sleep 2; exit 1"))
        await c.run_for(120)
        created = sorted(parse_time(p["metadata"]["creationTimestamp"]) - parse_time("2026-01-01T00:00:00Z")
                         for p in c.list("pods", "default"))
        # Each pod pulls for 1 s and runs 2 s; the next waits 10 s, then 20 s, after the failure.
        assert created == [0, 13, 36]
        assert sorted(r[2] for r in pod_rows(c, "flaky")) == ["Error"] * 3
        assert row(c, "flaky")[1:3] == ["Failed", "0/1"]
        message = "Job has reached the specified backoff limit"
        assert conditions(c, "flaky") == [("FailureTarget", "True", "BackoffLimitExceeded", message),
                                          ("Failed", "True", "BackoffLimitExceeded", message)]
        assert c.get("job", "flaky")["status"]["failed"] == 3
        assert "completionTime" not in c.get("job", "flaky")["status"]
        assert job_events(c, "flaky")[-1] == ("Warning", "BackoffLimitExceeded", message)
        assert c.health("job", "flaky") == ("Degraded", message)
        assert c.kind("job").problems(c.get("job", "flaky")) == [("BackoffLimitExceeded", message)]
        assert "Pods Statuses:    0 Active (0 Ready) / 0 Succeeded / 3 Failed" in c.describe("job", "flaky")


async def test_on_failure_restarts_count_toward_the_backoff_limit() -> None:
    """job_controller.go pastBackoffLimitOnFailure: with restartPolicy OnFailure the kubelet restarts the
    container in place, and the restarts of a running pod reach backoffLimit without a second pod."""
    async with Cluster() as c:
        await c.apply(job_yaml("crash", "  backoffLimit: 2\n", cmd="sleep 1; exit 1", restart="OnFailure"))
        await c.run_for(120)
        assert [e[1] for e in job_events(c, "crash")].count("SuccessfulCreate") == 1
        assert conditions(c, "crash")[-1] == ("Failed", "True", "BackoffLimitExceeded",
                                              "Job has reached the specified backoff limit")
        assert row(c, "crash")[1] == "Failed"


async def test_active_deadline_seconds() -> None:
    """job_controller.go pastActiveDeadline: DeadlineExceeded; the running pods are deleted (SuccessfulDelete)
    and counted as failed, and Failed follows FailureTarget once they have stopped."""
    async with Cluster() as c:
        await c.apply(job_yaml("slow", "  activeDeadlineSeconds: 5\n  parallelism: 2\n  completions: 4\n",
                               cmd="sleep 600"))
        await c.run_for(6)
        message = "Job was active longer than specified deadline"
        assert conditions(c, "slow") == [("FailureTarget", "True", "DeadlineExceeded", message)]
        assert row(c, "slow")[1] == "FailureTarget"
        assert [e[1] for e in job_events(c, "slow")] == ["SuccessfulCreate"] * 2 + ["SuccessfulDelete"] * 2
        assert job_events(c, "slow")[-1][2].startswith("Deleted pod: slow-")
        await c.run_for(60)
        assert conditions(c, "slow")[-1] == ("Failed", "True", "DeadlineExceeded", message)
        assert c.get("job", "slow")["status"]["failed"] == 2
        assert job_events(c, "slow")[-1] == ("Warning", "DeadlineExceeded", message)
        assert c.kind("job").problems(c.get("job", "slow")) == [("DeadlineExceeded", message)]


async def test_suspend_and_resume() -> None:
    """job_controller.go syncJob (Suspended condition JobSuspended/JobResumed, events, StartTime reset on
    resume) and deleteJobPods (pods removed for a suspension are not failures)."""
    async with Cluster() as c:
        await c.apply(job_yaml("pause", "  parallelism: 2\n  completions: 2\n", cmd="sleep 600"))
        await c.run_for(5)
        await c.patch("job", "pause", {"spec": {"suspend": True}})
        await c.run_for(40)
        assert conditions(c, "pause") == [("Suspended", "True", "JobSuspended", "Job suspended")]
        assert row(c, "pause")[1:4] == ["Suspended", "0/2", ""]
        status = c.get("job", "pause")["status"]
        assert "failed" not in status and "startTime" not in status and "active" not in status
        assert pod_rows(c, "pause") == []
        reasons = [e[1] for e in job_events(c, "pause")]
        assert reasons == ["SuccessfulCreate"] * 2 + ["SuccessfulDelete"] * 2 + ["Suspended"]
        assert c.health("job", "pause")[0] == "Suspended"
        await c.patch("job", "pause", {"spec": {"suspend": False}})
        await c.run_for(2)
        assert conditions(c, "pause") == [("Suspended", "False", "JobResumed", "Job resumed")]
        assert c.get("job", "pause")["status"]["startTime"] == "2026-01-01T00:00:45Z"
        assert job_events(c, "pause")[-1] == ("Normal", "Resumed", "Job resumed")
        assert row(c, "pause")[1] == "Running" and len(pod_rows(c, "pause")) == 2


async def test_a_job_created_suspended_starts_nothing() -> None:
    """job_controller.go syncJob: a Job created with suspend true gets the Suspended condition and event,
    no pods and no startTime (as `kubectl get jobs` shows: Suspended, empty DURATION)."""
    async with Cluster() as c:
        await c.apply(job_yaml("later", "  suspend: true\n  completions: 3\n  parallelism: 2\n"))
        await c.run_for(10)
        assert row(c, "later")[1:4] == ["Suspended", "0/3", ""]
        assert job_events(c, "later") == [("Normal", "Suspended", "Job suspended")]
        assert c.list("pods", "default") == []


async def test_indexed_completion() -> None:
    """job_controller.go manageJob with indexed_job_utils.go: pods `<job>-<index>-<random>` with the
    completion-index annotation and label, hostname `<job>-<index>`, JOB_COMPLETION_INDEX, completedIndexes."""
    async with Cluster() as c:
        await c.apply(job_yaml("ix", "  completionMode: Indexed\n  completions: 5\n  parallelism: 2\n",
                               cmd="sleep 3"))
        await c.run_for(1)
        pods = sorted(c.list("pods", "default"), key=lambda p: p["metadata"]["name"])
        assert [p["metadata"]["name"][:5] for p in pods] == ["ix-0-", "ix-1-"]
        assert all(len(p["metadata"]["name"]) == len("ix-0-") + 5 for p in pods)
        first = pods[0]
        assert first["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"] == "0"
        assert first["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"] == "0"
        assert first["spec"]["hostname"] == "ix-0"
        assert first["spec"]["containers"][0]["env"] == [{"name": "JOB_COMPLETION_INDEX", "valueFrom": {
            "fieldRef": {"apiVersion": "v1",
                         "fieldPath": "metadata.annotations['batch.kubernetes.io/job-completion-index']"}}}]
        await c.run_for(5)
        assert c.get("job", "ix")["status"]["completedIndexes"] == "0-1"
        await c.run_for(30)
        assert c.get("job", "ix")["status"]["completedIndexes"] == "0-4"
        assert row(c, "ix")[1:3] == ["Complete", "5/5"]
        assert "Completed Indexes:  0-4\n" in c.describe("job", "ix")


async def test_pod_failure_policy() -> None:
    """pod_failure_policy.go matchPodFailurePolicy: FailJob ends the Job at the first matching exit code
    (reason PodFailurePolicy); Ignore does not count the failure toward backoffLimit."""
    async with Cluster() as c:
        rules = ("  backoffLimit: 0\n  podFailurePolicy:\n    rules:\n"
                 "    - action: {action}\n      onExitCodes: {{operator: In, values: [{code}]}}\n")
        await c.apply(job_yaml("fatal", rules.format(action="FailJob", code=3), cmd="sleep 1; exit 3"))
        await c.apply(job_yaml("ignored", rules.format(action="Ignore", code=2), cmd="sleep 1; exit 2"))
        await c.run_for(30)
        [pod] = c.list("pods", "default", selector="job-name=fatal")
        message = (f"Container c for pod default/{pod['metadata']['name']} failed with exit code 3 matching "
                   "FailJob rule at index 0")
        assert conditions(c, "fatal") == [("FailureTarget", "True", "PodFailurePolicy", message),
                                          ("Failed", "True", "PodFailurePolicy", message)]
        assert job_events(c, "fatal")[-1] == ("Warning", "PodFailurePolicy", message)
        # backoffLimit 0, yet the ignored failures leave the Job running and replacing its pod.
        assert row(c, "ignored")[1] == "Running"
        assert "failed" not in c.get("job", "ignored")["status"]
        assert len(c.list("pods", "default", selector="job-name=ignored")) >= 2


async def test_ttl_after_finished_deletes_the_job_and_its_pods() -> None:
    """ttlafterfinished_controller.go processTTL: the Job is deleted ttlSecondsAfterFinished after its
    Complete condition, with foreground propagation (its pods go too)."""
    async with Cluster() as c:
        await c.apply(job_yaml("brief", "  ttlSecondsAfterFinished: 30\n", cmd="sleep 1"))
        await c.run_for(20)
        assert row(c, "brief")[1] == "Complete" and len(pod_rows(c, "brief")) == 1
        await c.run_for(20)  # completed at 2 s: gone at 32 s
        assert c.get("job", "brief") is None
        assert c.list("pods", "default") == []


async def test_deleting_a_job_deletes_its_pods() -> None:
    """garbagecollector: a Job's pods name it as their controller with blockOwnerDeletion, so deleting the
    Job (background propagation, kubectl's default) deletes them; job_controller.go removes the tracking
    finalizer of pods whose Job is gone."""
    async with Cluster() as c:
        await c.apply(job_yaml("doomed", "  parallelism: 3\n  completions: 3\n", cmd="sleep 600"))
        await c.run_for(5)
        pods = c.list("pods", "default")
        assert len(pods) == 3
        assert all(p["metadata"]["finalizers"] == ["batch.kubernetes.io/job-tracking"] for p in pods)
        await c.delete("job", "doomed")
        await c.run_for(60)
        assert c.list("pods", "default") == []


async def test_orphan_pods_are_adopted() -> None:
    """job_controller.go getPodsForJob (ClaimPods): with manualSelector a pod that no controller owns and that
    matches the selector is adopted and counts toward the completions; the Job creates only the rest."""
    async with Cluster() as c:
        await c.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "stray", "labels": {"app": "batch"}},
                        "spec": {"restartPolicy": "Never", "containers": [
                            {"name": "c", "image": "busybox", "command": ["sh", "-c", "sleep 3"]}]}})
        spec = ("  manualSelector: true\n  selector:\n    matchLabels: {app: batch}\n"
                "  completions: 2\n  parallelism: 2\n")
        manifest = job_yaml("adopter", spec, cmd="sleep 3").replace("  template:\n", "  template:\n"
                                                                    "    metadata:\n      labels: {app: batch}\n")
        await c.apply(manifest)
        await c.run_for(1)
        [ref] = c.get("pod", "stray")["metadata"]["ownerReferences"]
        assert (ref["kind"], ref["name"]) == ("Job", "adopter")
        assert len(c.list("pods", "default")) == 2
        await c.run_for(30)
        assert row(c, "adopter")[1:3] == ["Complete", "2/2"]
