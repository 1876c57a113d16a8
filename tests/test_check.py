"""`k9py check`: exit codes, report shape, and manifest errors at file:line."""

import json
import pathlib
import subprocess
import sys

import pytest

from k9py.cli import main

ROOT = pathlib.Path(__file__).resolve().parent.parent

GOOD = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
"""


def run(capsys, *args):
    code = main(["check", *map(str, args), "-o", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_sample_manifests_converge(capsys):
    code, report = run(capsys, ROOT / "sample-manifests")
    assert code == 0, report
    assert report["converged"] and report["errors"] == [] and report["problems"] == []
    assert {o["health"] for o in report["objects"]} == {"Healthy"}
    assert {"kind": "Deployment", "namespace": "shop", "name": "frontend", "health": "Healthy",
            "message": ""} in report["objects"]


def test_unschedulable_pods_are_problems_with_the_scheduler_message(tmp_path, capsys):
    (tmp_path / "big.yaml").write_text(GOOD.replace("image: nginx:1.25",
                                                    "image: nginx:1.25\n        resources: {requests: {cpu: '8'}}"))
    code, report = run(capsys, tmp_path, "--nodes", "2", "--for", "2m")
    assert code == 1
    assert not report["converged"]
    pending = [p for p in report["problems"] if p["reason"] == "FailedScheduling"]
    assert len(pending) == 2
    assert pending[0]["message"] == ("0/2 nodes are available: 2 Insufficient cpu. no new claims to deallocate, "
                                     "preemption: 0/2 nodes are "
                                     "available: 2 Preemption is not helpful for scheduling.")
    assert report["cluster_seconds"] <= 120


def test_crash_loops_and_image_pull_failures_are_problems(tmp_path, capsys):
    (tmp_path / "crash.yaml").write_text(GOOD.replace("image: nginx:1.25",
                                                      'image: busybox\n        command: ["sh", "-c", "exit 2"]'))
    (tmp_path / "pull.yaml").write_text(GOOD.replace("name: web", "name: pull").replace(
        "labels: {app: web}", "labels: {app: pull}\n      annotations: {sim.k9py.io/image-pull: fail}").replace(
        "matchLabels: {app: web}", "matchLabels: {app: pull}"))
    code, report = run(capsys, tmp_path, "--for", "3m")
    assert code == 1
    reasons = {p["reason"] for p in report["problems"]}
    assert "CrashLoopBackOff" in reasons and "ImagePullBackOff" in reasons


def test_bad_documents_are_reported_at_file_and_line_and_good_ones_still_apply(tmp_path, capsys):
    (tmp_path / "ok.yaml").write_text(GOOD)
    (tmp_path / "bad.yaml").write_text(GOOD.replace("name: web", "name: bad").replace("replicas: 2",
                                                                                       'replicas: "two"'))
    (tmp_path / "syntax.yml").write_text("apiVersion: v1\nkind: [\n")
    code, report = run(capsys, tmp_path)
    assert code == 1
    errors = {(pathlib.Path(e["file"]).name, e["line"]): e["message"] for e in report["errors"]}
    # kube-apiserver v1.36's decoder, word for word (checked side by side in test_admission_compare.py).
    assert errors[("bad.yaml", 6)] == ('Deployment in version "v1" cannot be handled as a Deployment: json: cannot '
                                       "unmarshal string into Go struct field DeploymentSpec.spec.replicas of type "
                                       "int32")
    assert errors[("syntax.yml", 3)].startswith("YAML syntax error:")
    assert [o["name"] for o in report["objects"]] == ["web"]


def test_unusable_input_exits_2(tmp_path, capsys):
    code, report = run(capsys, tmp_path / "missing")
    assert code == 2
    assert report["errors"][0]["message"] == "no such file or directory"
    code, _ = run(capsys, tmp_path)  # an empty folder
    assert code == 2


@pytest.mark.parametrize("args", [["--nodes", "0"], ["--node-cpu", "lots"], ["--for", "soon"]])
def test_bad_flags_are_refused_with_a_message(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "sample-manifests", *args])
    assert exit_info.value.code == 2
    assert "k9py check: error:" in capsys.readouterr().err


def test_console_script_runs(tmp_path):
    (tmp_path / "ok.yaml").write_text(GOOD)
    result = subprocess.run([sys.executable, "-m", "k9py.cli", "check", str(tmp_path)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Converged: 1 objects Healthy" in result.stdout


def test_unknown_fields_are_refused_at_their_line_with_a_suggestion(tmp_path, capsys):
    (tmp_path / "typo.yaml").write_text(GOOD.replace("  replicas: 2", "  replica: 2"))
    code, report = run(capsys, tmp_path)
    assert code == 2
    [error] = report["errors"]
    assert error["line"] == 6
    assert error["message"] == ('Deployment in version "v1" cannot be handled as a Deployment: strict decoding '
                                'error: unknown field "spec.replica" (did you mean "replicas"?)')
