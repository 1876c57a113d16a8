"""A custom scheduler's Deployment that mounts its KubeSchedulerConfiguration from a ConfigMap, on the virtual clock.

Upstream: cmd/kube-scheduler/app/server.go (Setup: the --config file decoded strictly, then
ValidateKubeSchedulerConfiguration, then the profiles built), component-base/cli/run.go (`"command failed" err=...`
logged before exiting 1). Every message below is what the kit's v1.36 kube-scheduler binary printed for the same
file; there the container exits and crash-loops, and no scheduler of that name runs.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from engine import Cluster

Obj = dict[str, Any]

VALID = """\
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
- schedulerName: my-scheduler
"""


def configmap(text: str) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "my-scheduler-config"},
        "data": {"config.yaml": text},
    }


def scheduler_deployment() -> Obj:
    container = {
        "name": "kube-scheduler",
        "image": "registry.k8s.io/kube-scheduler:v1.36.0",
        "command": ["kube-scheduler", "--config=/etc/kubernetes/my-scheduler/config.yaml"],
        "volumeMounts": [{"name": "config", "mountPath": "/etc/kubernetes/my-scheduler"}],
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "my-scheduler"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "my-scheduler"}},
            "template": {
                "metadata": {
                    "labels": {"app": "my-scheduler"},
                    "annotations": {"sim.k9py.io/scheduler-profile": "my-scheduler"},
                },
                "spec": {
                    "containers": [container],
                    "volumes": [{"name": "config", "configMap": {"name": "my-scheduler-config"}}],
                },
            },
        },
    }


def app(replicas: int) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "app"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "app"}},
            "template": {
                "metadata": {"labels": {"app": "app"}},
                "spec": {"schedulerName": "my-scheduler", "containers": [{"name": "c", "image": "nginx"}]},
            },
        },
    }


def placed(c: Cluster) -> Counter[bool]:
    return Counter(
        bool(p["spec"].get("nodeName")) for p in c.list("pods", "default") if p["metadata"]["name"].startswith("app-")
    )


def config_events(c: Cluster) -> list[tuple[str, str, str, str]]:
    return [
        (e["type"], e["involvedObject"]["name"].rsplit("-", 2)[0], e["source"]["component"], e["message"])
        for e in c.events("default")
        if e["reason"] == "InvalidConfiguration"
    ]


@pytest.mark.parametrize(
    ("text", "err"),
    [
        (
            VALID + "percentageOfNodesToScore: 101\n",
            r'"percentageOfNodesToScore: Invalid value: 101: not in valid range [0-100]"',
        ),
        (
            VALID + "  foo: 1\nbar: 2\n",
            r'"strict decoding error: unknown field \"bar\", unknown field \"profiles[0].foo\""',
        ),
        (
            VALID + "- schedulerName: my-scheduler\npercentageOfNodesToScore: 101\n",
            r'"[profiles[1].schedulerName: Duplicate value: {}, percentageOfNodesToScore: Invalid value: 101: '
            r'not in valid range [0-100]]"',
        ),
        (
            VALID + "  plugins:\n    score:\n      enabled:\n      - name: Foo\n",
            r'"initializing profiles: creating profile for scheduler name my-scheduler: ScorePlugin \"Foo\" does not '
            r'exist"',
        ),
        (
            VALID.replace("/v1\n", "/v1beta9\n", 1),
            r'"no kind \"KubeSchedulerConfiguration\" is registered for version '
            r'\"kubescheduler.config.k8s.io/v1beta9\" in scheme \"pkg/runtime/scheme.go:111\""',
        ),
    ],
    ids=["validation", "strict-decoding", "aggregate", "framework", "api-version"],
)
async def test_an_invalid_mounted_configuration_runs_no_scheduler_and_says_why(text: str, err: str) -> None:
    async with Cluster(nodes=2) as c:
        await c.apply(configmap(text))
        await c.apply(scheduler_deployment())
        await c.apply(app(2))
        await c.run_for(20)
        assert placed(c) == Counter({False: 2})  # no my-scheduler runs: its pods wait
        assert config_events(c) == [("Warning", "my-scheduler", "my-scheduler", f'"command failed" err={err}')]
        # Fixed: the scheduler's configuration is read again and its pods are scheduled.
        await c.apply(configmap(VALID))
        await c.run_for(20)
        assert placed(c) == Counter({True: 2})
        assert len(config_events(c)) == 1
