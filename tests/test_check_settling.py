"""`k9py check` judges convergence honestly (`engine/settling.py`): Healthy for an instant is not converged.

The rule: every declared object Healthy, no pod problem, the pods stable for the settle window (no pod created
or deleted, no restart, no readiness change for 60 s of cluster time), and every running container past its
first crash opportunity."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from manifests import deployment

from engine.check import run_check


def write(folder: Path, *objects: dict) -> Path:
    (folder / "app.yaml").write_text(yaml.safe_dump_all(objects))
    return folder


async def test_a_container_that_exits_after_two_seconds_is_a_crash_loop_not_healthy(tmp_path: Path) -> None:
    """The issue's case: the Deployment is Healthy for the first two seconds of each run."""
    crasher = deployment("crasher", containers=[{"name": "app", "image": "busybox",
                                                 "command": ["sh", "-c", "sleep 2; exit 1"]}])
    report = await run_check([str(write(tmp_path, crasher))], duration=600)
    assert not report.converged
    reasons = {(p["name"].rsplit("-", 2)[0], p["reason"]) for p in report.problems}
    assert ("crasher", "CrashLoopBackOff") in reasons
    crash = next(p for p in report.problems if p["reason"] == "CrashLoopBackOff")
    assert crash["message"].startswith("container app exited with code 1 (Error), restarted ")
    assert report.exit_code == 1


async def test_a_crash_loop_is_reported_even_while_the_container_runs_between_two_crashes(tmp_path: Path) -> None:
    """A container that exits after 40 s spends most of each back-off cycle Running: the report still names the
    loop (the kubelet's back-off: pkg/kubelet/kuberuntime, 10 s doubling to 5 min)."""
    slow = deployment("slow", pod_annotations={"sim.k9py.io/exit-after": "40s"})
    report = await run_check([str(write(tmp_path, slow))], duration=100)
    assert not report.converged
    assert any(p["reason"] == "CrashLoopBackOff" for p in report.problems), report.problems


async def test_a_liveness_probe_that_starts_failing_keeps_the_check_from_converging(tmp_path: Path) -> None:
    probed = deployment("probed", pod_annotations={"sim.k9py.io/liveness": "fail-after=30s"},
                        containers=[{"name": "app", "image": "nginx",
                                     "livenessProbe": {"httpGet": {"path": "/", "port": 80}, "periodSeconds": 10}}])
    report = await run_check([str(write(tmp_path, probed))], duration=600)
    assert not report.converged
    assert any(p["reason"] == "CrashLoopBackOff" for p in report.problems), report.problems


async def test_a_crash_beyond_the_check_duration_is_named_not_settled(tmp_path: Path) -> None:
    late = deployment("late", pod_annotations={"sim.k9py.io/exit-after": "1h"})
    report = await run_check([str(write(tmp_path, late))], duration=300)
    assert not report.converged
    [problem] = report.problems
    assert problem["reason"] == "NotSettled" and problem["severity"] == "warning"
    assert problem["message"].startswith("container app has run 4m5") and "of the 60m after which it fails" \
        in problem["message"], problem["message"]


async def test_a_healthy_deployment_converges_after_a_settle_window_of_stable_pods(tmp_path: Path) -> None:
    report = await run_check([str(write(tmp_path, deployment("web", replicas=3)))], duration=600)
    assert report.converged and report.problems == []
    assert 60 <= report.cluster_seconds <= 90
    assert json.dumps(report.as_json())  # serialisable as `-o json` prints it


async def test_a_failed_job_is_reported_once_by_its_own_reason_not_by_each_retry(tmp_path: Path) -> None:
    """A Job's failed pods are its retries (pkg/controller/job/job_controller.go syncJob, backoffLimit): the
    Job's own condition names the failure, once."""
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "flaky", "namespace": "default"},
           "spec": {"backoffLimit": 3, "template": {"spec": {"restartPolicy": "Never", "containers": [
               {"name": "app", "image": "busybox", "command": ["sh", "-c", "sleep 1; exit 1"]}]}}}}
    report = await run_check([str(write(tmp_path, job))], duration=600)
    assert [o["health"] for o in report.objects] == ["Degraded"]
    assert [p["reason"] for p in report.problems] == ["BackoffLimitExceeded"]


async def test_a_cronjob_that_runs_every_minute_converges(tmp_path: Path) -> None:
    """Its Jobs' pods come and go each minute by design (pkg/controller/cronjob/cronjob_controllerv2.go
    syncCronJob): they do not keep the pods from being stable."""
    cronjob = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "tick", "namespace": "default"},
               "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {"spec": {
                   "restartPolicy": "Never",
                   "containers": [{"name": "app", "image": "busybox", "command": ["sh", "-c", "sleep 5"]}]}}}}}}
    report = await run_check([str(write(tmp_path, cronjob, deployment("web")))], duration=600)
    assert report.converged, report.problems
    assert {o["health"] for o in report.objects} == {"Healthy"}
