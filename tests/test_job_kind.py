"""The Job kind as the API server and kubectl show it: defaults, the generated selector, validation messages,
immutability on update, `kubectl get jobs` cells, `kubectl describe job`, Argo CD health. Expected texts were
read off a v1.36 API server."""

from __future__ import annotations

import pytest

from engine import Cluster
from engine.controllers.job_pods import format_indexes, parse_indexes
from engine.errors import ApiError
from engine.kinds import REGISTRY
from engine.printers.jobs import cap_indexes, job_completions, job_status_word

TEMPLATE = """\
  template:
    spec:
      containers:
      - name: c
        image: busybox
        command: [sh, -c, "{cmd}"]
      restartPolicy: {restart}
"""


def job_yaml(name: str, spec: str = "", cmd: str = "sleep 1", restart: str = "Never") -> str:
    return (f"apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\nspec:\n{spec}"
            + TEMPLATE.format(cmd=cmd, restart=restart))


async def invalid(cluster: Cluster, manifest: str) -> str:
    with pytest.raises(ApiError) as caught:
        await cluster.apply(manifest)
    assert caught.value.code == 422
    return caught.value.message


async def test_defaults_and_the_generated_selector() -> None:
    """pkg/apis/batch/v1/defaults.go SetDefaults_Job and pkg/registry/batch/job/strategy.go generateSelector:
    the fields a v1.36 API server fills in for a Job that names only its template."""
    async with Cluster() as c:
        [job] = await c.apply(job_yaml("pi"))
        uid = job["metadata"]["uid"]
        spec = job["spec"]
        assert {k: spec[k] for k in ("backoffLimit", "completionMode", "completions", "manualSelector",
                                     "parallelism", "podReplacementPolicy", "suspend")} == {
            "backoffLimit": 6, "completionMode": "NonIndexed", "completions": 1, "manualSelector": False,
            "parallelism": 1, "podReplacementPolicy": "TerminatingOrFailed", "suspend": False}
        assert spec["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
        labels = {"batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": "pi",
                  "controller-uid": uid, "job-name": "pi"}
        assert spec["template"]["metadata"]["labels"] == labels
        assert job["metadata"]["labels"] == labels  # a Job without labels takes its template's
        [parallel] = await c.apply(job_yaml("par", "  parallelism: 3\n"))
        assert "completions" not in parallel["spec"]  # parallel pods, any one success completes the Job
        [policy] = await c.apply(job_yaml("pfp", "  podFailurePolicy:\n    rules:\n    - action: Ignore\n"
                                                 "      onPodConditions:\n      - type: DisruptionTarget\n"))
        assert policy["spec"]["podReplacementPolicy"] == "Failed"
        assert policy["spec"]["podFailurePolicy"]["rules"][0]["onPodConditions"] == [
            {"type": "DisruptionTarget", "status": "True"}]


async def test_validation_messages() -> None:
    """pkg/apis/batch/validation/validation.go ValidateJob/validateJobSpec/validatePodFailurePolicy: the
    messages and their order as a v1.36 API server reports them."""
    async with Cluster() as c:
        assert await invalid(c, job_yaml("a", restart="Always")) == (
            'Job.batch "a" is invalid: spec.template.spec.restartPolicy: Required value: valid values: '
            '"OnFailure", "Never"')
        message = await invalid(c, job_yaml("b", "  completions: -1\n  parallelism: -2\n  backoffLimit: -1\n"
                                                 "  ttlSecondsAfterFinished: -1\n"))
        assert message == (
            'Job.batch "b" is invalid: [spec.parallelism: Invalid value: -2: must be greater than or equal to 0, '
            "spec.completions: Invalid value: -1: must be greater than or equal to 0, "
            "spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0, "
            "spec.ttlSecondsAfterFinished: Invalid value: -1: must be greater than or equal to 0]")
        assert "spec.completionMode: Unsupported value: \"Foo\": supported values: \"NonIndexed\", \"Indexed\"" in (
            await invalid(c, job_yaml("c", "  completionMode: Foo\n")))
        assert "spec.completions: Required value: when completion mode is Indexed" in (
            await invalid(c, job_yaml("d", "  completionMode: Indexed\n  parallelism: 2\n")))
        message = await invalid(c, job_yaml("e", "  podFailurePolicy:\n    rules:\n    - action: FailIndex\n"
                                                 "      onExitCodes: {operator: In, values: [1, 1]}\n"
                                                 "    - action: Ignore\n"
                                                 "    - action: Count\n"
                                                 "      onExitCodes: {operator: Foo, values: [0]}\n"
                                                 "      onPodConditions: [{type: DisruptionTarget}]\n"))
        for expected in (
            'spec.podFailurePolicy.rules[0].action: Invalid value: "FailIndex": requires the backoffLimitPerIndex '
            "to be set",
            "spec.podFailurePolicy.rules[0].onExitCodes.values[1]: Duplicate value: 1",
            "spec.podFailurePolicy.rules[1]: Invalid value: specifying one of OnExitCodes and OnPodConditions is "
            "required",
            'spec.podFailurePolicy.rules[2].onExitCodes.operator: Unsupported value: "Foo": supported values: '
            '"In", "NotIn"',
            "spec.podFailurePolicy.rules[2]: Invalid value: specifying both OnExitCodes and OnPodConditions is "
            "not supported",
        ):
            assert expected in message
        assert ('spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when '
                "podFailurePolicy is specified") in await invalid(c, job_yaml(
                    "f", "  podFailurePolicy:\n    rules:\n    - action: FailJob\n"
                         "      onExitCodes: {operator: In, values: [1]}\n", restart="OnFailure"))
        message = await invalid(c, job_yaml("g", "  selector:\n    matchLabels: {a: b}\n"))
        assert "`selector` not auto-generated" in message
        assert "spec.template.metadata.labels: Invalid value: {" in message
        assert "`selector` does not match template `labels`" in message


async def test_what_an_update_may_not_change() -> None:
    """pkg/apis/batch/validation/validation.go ValidateJobSpecUpdate: template, completions and completionMode
    are immutable; a suspended Job that never started may change its template's scheduling directives."""
    async with Cluster() as c:
        await c.apply(job_yaml("pi", cmd="sleep 60"))
        with pytest.raises(ApiError) as caught:
            await c.patch("job", "pi", {"spec": {"completions": 3}})
        assert caught.value.message.endswith("spec.completions: Invalid value: 3: field is immutable")
        with pytest.raises(ApiError) as caught:
            await c.patch("job", "pi", {"spec": {"completionMode": "Indexed"}})
        assert 'spec.completionMode: Invalid value: "Indexed": field is immutable' in caught.value.message
        with pytest.raises(ApiError) as caught:
            await c.patch("job", "pi", {"spec": {"template": {"spec": {"nodeSelector": {"disk": "ssd"}}}}})
        assert caught.value.message.startswith('Job.batch "pi" is invalid: spec.template: Invalid value: {')
        assert caught.value.message.endswith(": field is immutable")
        # Mutable fields go through.
        await c.patch("job", "pi", {"spec": {"parallelism": 2, "backoffLimit": 1, "activeDeadlineSeconds": 100}})
        await c.apply(job_yaml("later", "  suspend: true\n", cmd="sleep 60"))
        await c.run_for(1)
        await c.patch("job", "later", {"spec": {"template": {"spec": {"nodeSelector": {"disk": "ssd"}}}}})
        assert c.get("job", "later")["spec"]["template"]["spec"]["nodeSelector"] == {"disk": "ssd"}


def test_the_completions_and_status_cells() -> None:
    """pkg/printers/internalversion/printers.go printJob: COMPLETIONS and STATUS."""
    def job(spec: dict, status: dict | None = None, deleting: bool = False) -> dict:
        meta = {"name": "j", "deletionTimestamp": "2026-01-01T00:00:00Z"} if deleting else {"name": "j"}
        return {"metadata": meta, "spec": spec, "status": status or {}}

    assert job_completions(job({"completions": 3, "parallelism": 2}, {"succeeded": 2})) == "2/3"
    assert job_completions(job({"parallelism": 3}, {"succeeded": 1})) == "1/1 of 3"
    assert job_completions(job({"parallelism": 1})) == "0/1"

    def cond(ctype: str, status: str = "True") -> dict:
        return {"conditions": [{"type": ctype, "status": status}]}

    assert job_status_word(job({}, cond("Complete"))) == "Complete"
    assert job_status_word(job({}, cond("Failed"))) == "Failed"
    assert job_status_word(job({}, deleting=True)) == "Terminating"
    assert job_status_word(job({}, cond("Suspended"))) == "Suspended"
    assert job_status_word(job({}, cond("Suspended", "False"))) == "Running"
    assert job_status_word(job({}, cond("FailureTarget"))) == "FailureTarget"
    assert job_status_word(job({}, cond("SuccessCriteriaMet"))) == "SuccessCriteriaMet"


def test_completed_indexes_text() -> None:
    """pkg/controller/job/indexed_job_utils.go orderedIntervals.String and parseIndexesFromString; kubectl
    describe.go capIndexesListOrNone."""
    assert format_indexes([4, 0, 1, 2]) == "0-2,4"
    assert format_indexes([0, 1]) == "0-1"
    assert format_indexes([]) == ""
    assert parse_indexes("0-2,4,7-9", 8) == {0, 1, 2, 4, 7}
    long = ",".join(str(i) for i in range(0, 80, 2))
    assert cap_indexes(long).endswith(",...") and len(cap_indexes(long)) < len(long)
    assert cap_indexes("") == "<none>"


async def test_kubectl_get_and_describe_of_a_finished_job() -> None:
    """printers.go printJob (and -o wide) and kubectl describe.go describeJob, against `kubectl get jobs -o
    wide` and `kubectl describe job` on a v1.36 cluster."""
    async with Cluster() as c:
        [job] = await c.apply(job_yaml("pi", cmd="sleep 2"))
        await c.run_for(30)
        uid = job["metadata"]["uid"]
        columns, rows = c.table("jobs", "default", wide=True)
        assert columns == ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]
        assert rows == [["pi", "Complete", "1/1", "3s", "30s", "c", "busybox",
                         f"batch.kubernetes.io/controller-uid={uid}"]]
        text = c.describe("job", "pi")
        head = text.split("Pod Template:")[0]
        assert head == (
            "Name:             pi\n"
            "Namespace:        default\n"
            f"Selector:         batch.kubernetes.io/controller-uid={uid}\n"
            f"Labels:           batch.kubernetes.io/controller-uid={uid}\n"
            "                  batch.kubernetes.io/job-name=pi\n"
            f"                  controller-uid={uid}\n"
            "                  job-name=pi\n"
            "Annotations:      <none>\n"
            "Parallelism:      1\n"
            "Completions:      1\n"
            "Completion Mode:  NonIndexed\n"
            "Suspend:          false\n"
            "Backoff Limit:    6\n"
            "Start Time:       Thu, 01 Jan 2026 00:00:00 +0000\n"
            "Completed At:     Thu, 01 Jan 2026 00:00:03 +0000\n"
            "Duration:         3s\n"
            "Pods Statuses:    0 Active (0 Ready) / 1 Succeeded / 0 Failed\n")
        events = text.split("Events:")[1]
        assert "Normal  SuccessfulCreate" in events and "job-controller  Created pod: pi-" in events
        assert "Normal  Completed         27s   job-controller  Job completed" in events


def test_the_kind_is_found_by_kubectl_and_k9s_names() -> None:
    """kubectl has no short name for jobs (`job`, `jobs`, `jobs.batch`); k9s's `:job`/`:jobs` open it; enter
    shows its pods (owns_pods), and a Job is not adopted by CronJobs (cronjob_controllerv2.go adopts nothing)."""
    for name in ("job", "jobs", "jobs.batch", "Job"):
        assert REGISTRY.console_lookup(name) is REGISTRY.lookup("jobs")
    info = REGISTRY.lookup("jobs")
    assert info is not None and info.short_names == () and info.owns_pods and not info.adoptable
    assert not info.scalable
