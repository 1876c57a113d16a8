"""kubectl-compatible table rows, ages and describe text (engine/printers)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from engine.printers import (
    EVENT_WIDE_COLUMNS,
    NODE_WIDE_COLUMNS,
    POD_COLUMNS,
    POD_WIDE_COLUMNS,
    age,
    deployment_row,
    deployment_row_wide,
    describe_deployment,
    describe_generic,
    describe_namespace,
    describe_node,
    describe_pod,
    describe_probe,
    describe_replicaset,
    event_interval,
    event_row,
    event_row_wide,
    events_cmd_row,
    format_label_selector,
    generic_row,
    human_duration,
    namespace_row,
    node_row,
    node_row_wide,
    pod_row,
    pod_row_wide,
    pod_status,
    qos_class,
    replicaset_row,
    replicaset_row_wide,
    rfc1123z,
    selector_string,
    short_human_duration,
    smart_label,
    tabwrite,
)
from engine.timeutil import format_time, parse_time

NOW = parse_time("2026-01-01T12:00:00Z")
MS = 0.001
MINUTE = 60.0
HOUR = 3600.0
DAY = 24 * HOUR
YEAR = 365 * DAY


def ago(seconds: float) -> str:
    return format_time(NOW - seconds)


# =========================================================================== durations (duration_test.go)


@pytest.mark.parametrize(
    ("seconds", "want"),
    [
        (1, "1s"),
        (70, "70s"),
        (190, "3m10s"),
        (70 * MINUTE, "70m"),
        (47 * HOUR, "47h"),
        (49 * HOUR, "2d1h"),
        ((8 * 24 + 2) * HOUR, "8d"),
        (367 * DAY, "367d"),
        ((365 * 2 * 24 + 25) * HOUR, "2y1d"),
        ((365 * 8 * 24 + 2) * HOUR, "8y"),
    ],
)
def test_human_duration(seconds: float, want: str) -> None:
    assert human_duration(seconds) == want


@pytest.mark.parametrize(
    ("seconds", "want"),
    [
        (-2, "<invalid>"),
        (-2 + 1e-9, "0s"),
        (0, "0s"),
        (1 - MS, "0s"),
        (2 * MINUTE - MS, "119s"),
        (2 * MINUTE, "2m"),
        (2 * MINUTE + 1, "2m1s"),
        (10 * MINUTE - MS, "9m59s"),
        (10 * MINUTE, "10m"),
        (10 * MINUTE + 1, "10m"),
        (3 * HOUR - MS, "179m"),
        (3 * HOUR, "3h"),
        (3 * HOUR + MINUTE, "3h1m"),
        (8 * HOUR - MS, "7h59m"),
        (8 * HOUR, "8h"),
        (8 * HOUR + 59 * MINUTE, "8h"),
        (2 * DAY - MS, "47h"),
        (2 * DAY, "2d"),
        (2 * DAY + HOUR, "2d1h"),
        (8 * DAY - MS, "7d23h"),
        (8 * DAY, "8d"),
        (8 * DAY + 23 * HOUR, "8d"),
        (2 * YEAR - MS, "729d"),
        (2 * YEAR, "2y"),
        (2 * YEAR + 23 * HOUR, "2y"),
        (2 * YEAR + 23 * HOUR + 59 * MINUTE, "2y"),
        (2 * YEAR + DAY - MS, "2y"),
        (2 * YEAR + DAY, "2y1d"),
        (3 * YEAR, "3y"),
        (4 * YEAR, "4y"),
        (5 * YEAR, "5y"),
        (6 * YEAR, "6y"),
        (7 * YEAR, "7y"),
        (8 * YEAR - MS, "7y364d"),
        (8 * YEAR, "8y"),
        (8 * YEAR + 364 * DAY, "8y"),
        (9 * YEAR, "9y"),
    ],
)
def test_human_duration_boundaries(seconds: float, want: str) -> None:
    assert human_duration(seconds) == want


@pytest.mark.parametrize(
    ("seconds", "want"),
    [
        (-2, "<invalid>"),
        (-2 + 1e-9, "0s"),
        (0, "0s"),
        (1 - MS, "0s"),
        (1, "1s"),
        (2 - MS, "1s"),
        (MINUTE - MS, "59s"),
        (MINUTE, "1m"),
        (2 * MINUTE - MS, "1m"),
        (HOUR - MS, "59m"),
        (HOUR, "1h"),
        (2 * HOUR - MS, "1h"),
        (DAY - MS, "23h"),
        (DAY, "1d"),
        (2 * DAY - MS, "1d"),
        (YEAR - MS, "364d"),
        (YEAR, "1y"),
        (2 * YEAR - MS, "1y"),
        (2 * YEAR, "2y"),
    ],
)
def test_short_human_duration_boundaries(seconds: float, want: str) -> None:
    assert short_human_duration(seconds) == want


def test_age_handles_missing_and_zero_times() -> None:
    assert age(None, NOW) == "<unknown>"
    assert age("", NOW) == "<unknown>"
    assert age("0001-01-01T00:00:00Z", NOW) == "<unknown>"
    assert age("not a time", NOW) == "<unknown>"
    assert age(ago(190), NOW) == "3m10s"
    assert age(format_time(NOW + 10), NOW) == "<invalid>"


# =========================================================================== pod fixtures


def running(started: float = 600) -> dict[str, Any]:
    return {"running": {"startedAt": ago(started)}}


def waiting(reason: str) -> dict[str, Any]:
    return {"waiting": {"reason": reason}}


def terminated(
    exit_code: int, reason: str | None = None, signal: int = 0, finished: float = 60
) -> dict[str, Any]:
    term: dict[str, Any] = {
        "exitCode": exit_code,
        "startedAt": ago(finished + 30),
        "finishedAt": ago(finished),
    }
    if reason:
        term["reason"] = reason
    if signal:
        term["signal"] = signal
    return {"terminated": term}


def cstatus(
    name: str,
    state: dict[str, Any],
    ready: bool = False,
    restarts: int = 0,
    last: dict[str, Any] | None = None,
    started: bool | None = None,
) -> dict[str, Any]:
    status: dict[str, Any] = {
        "name": name,
        "state": state,
        "ready": ready,
        "restartCount": restarts,
        "image": "busybox",
        "imageID": "",
        "lastState": last or {},
    }
    if started is not None:
        status["started"] = started
    return status


def conds(**values: bool) -> list[dict[str, Any]]:
    return [{"type": k, "status": "True" if v else "False"} for k, v in values.items()]


def make_pod(
    containers: list[str] | None = None,
    init: list[dict[str, Any]] | None = None,
    phase: str = "Running",
    statuses: list[dict[str, Any]] | None = None,
    init_statuses: list[dict[str, Any]] | None = None,
    conditions: list[dict[str, Any]] | None = None,
    **status_extra: Any,
) -> dict[str, Any]:
    names = containers or ["app"]
    status: dict[str, Any] = {"phase": phase, **status_extra}
    if statuses is not None:
        status["containerStatuses"] = statuses
    if init_statuses is not None:
        status["initContainerStatuses"] = init_statuses
    if conditions is not None:
        status["conditions"] = copy.deepcopy(conditions)
    spec: dict[str, Any] = {"containers": [{"name": n, "image": "busybox"} for n in names]}
    if init is not None:
        spec["initContainers"] = init
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web-1", "namespace": "default", "creationTimestamp": ago(3 * HOUR)},
        "spec": spec,
        "status": status,
    }


READY = conds(Initialized=True, Ready=True, ContainersReady=True, PodScheduled=True)
NOT_READY = conds(Initialized=True, Ready=False, ContainersReady=False, PodScheduled=True)


def row(pod: dict[str, Any]) -> list[str]:
    return pod_row(pod, NOW)


# =========================================================================== pod STATUS branches


def test_running_pod_row() -> None:
    pod = make_pod(statuses=[cstatus("app", running(), ready=True)], conditions=READY)
    assert row(pod) == ["web-1", "1/1", "Running", "0", "3h"]
    assert POD_COLUMNS == ("NAME", "READY", "STATUS", "RESTARTS", "AGE")


def test_container_creating() -> None:
    pod = make_pod(phase="Pending", statuses=[cstatus("app", waiting("ContainerCreating"))])
    assert row(pod)[1:4] == ["0/1", "ContainerCreating", "0"]


def test_pending_without_statuses() -> None:
    pod = make_pod(
        phase="Pending", conditions=[{"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}]
    )
    assert row(pod)[1:4] == ["0/1", "Pending", "0"]


def test_scheduling_gated() -> None:
    pod = make_pod(
        phase="Pending", conditions=[{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]
    )
    assert pod_status(pod) == "SchedulingGated"


def test_status_reason_overrides_phase() -> None:
    pod = make_pod(phase="Failed", reason="Evicted", statuses=[cstatus("app", terminated(137, "Error"))])
    # The app container's terminated reason still wins, exactly like upstream.
    assert pod_status(pod) == "Error"
    assert pod_status(make_pod(phase="Failed", reason="Evicted")) == "Evicted"


INIT_TWO = [{"name": "init-db", "image": "busybox"}, {"name": "init-cache", "image": "busybox"}]


def test_init_progress() -> None:
    first_running = make_pod(
        phase="Pending",
        init=INIT_TWO,
        init_statuses=[cstatus("init-db", running()), cstatus("init-cache", waiting("PodInitializing"))],
        statuses=[cstatus("app", waiting("PodInitializing"))],
    )
    assert row(first_running)[1:3] == ["0/1", "Init:0/2"]
    second = copy.deepcopy(first_running)
    second["status"]["initContainerStatuses"][0]["state"] = terminated(0, "Completed")
    second["status"]["initContainerStatuses"][1]["state"] = running()
    assert pod_status(second) == "Init:1/2"


def test_init_crash_loop_with_restarts_age() -> None:
    pod = make_pod(
        phase="Pending",
        init=INIT_TWO,
        init_statuses=[
            cstatus(
                "init-db", waiting("CrashLoopBackOff"), restarts=3, last=terminated(1, "Error", finished=120)
            ),
            cstatus("init-cache", waiting("PodInitializing")),
        ],
        statuses=[cstatus("app", waiting("PodInitializing"))],
    )
    assert row(pod)[1:4] == ["0/1", "Init:CrashLoopBackOff", "3 (2m ago)"]


@pytest.mark.parametrize(
    ("state", "want"),
    [
        (terminated(1, "Error"), "Init:Error"),
        (terminated(2), "Init:ExitCode:2"),
        (terminated(137, signal=9), "Init:Signal:9"),
        (terminated(137, "OOMKilled"), "Init:OOMKilled"),
        (waiting("ImagePullBackOff"), "Init:ImagePullBackOff"),
    ],
)
def test_init_failures(state: dict[str, Any], want: str) -> None:
    pod = make_pod(phase="Pending", init=INIT_TWO, init_statuses=[cstatus("init-db", state)])
    assert pod_status(pod) == want


def test_crash_loop_back_off_restarts() -> None:
    pod = make_pod(
        statuses=[
            cstatus(
                "app",
                waiting("CrashLoopBackOff"),
                restarts=3,
                last=terminated(1, "Error", finished=2 * MINUTE),
            )
        ],
        conditions=NOT_READY,
    )
    assert row(pod)[1:4] == ["0/1", "CrashLoopBackOff", "3 (2m ago)"]


def test_restarts_use_latest_finished_at_across_containers() -> None:
    pod = make_pod(
        containers=["a", "b"],
        statuses=[
            cstatus("a", running(), ready=True, restarts=2, last=terminated(1, "Error", finished=HOUR)),
            cstatus("b", running(), ready=True, restarts=1, last=terminated(1, "Error", finished=5 * MINUTE)),
        ],
        conditions=READY,
    )
    assert row(pod)[1:4] == ["2/2", "Running", "3 (5m ago)"]


def test_restarts_without_last_state_are_a_plain_number() -> None:
    pod = make_pod(statuses=[cstatus("app", running(), ready=True, restarts=4)], conditions=READY)
    assert row(pod)[3] == "4"


@pytest.mark.parametrize(
    ("phase", "state", "want"),
    [
        ("Succeeded", terminated(0, "Completed"), "Completed"),
        ("Failed", terminated(1, "Error"), "Error"),
        ("Running", terminated(137, "OOMKilled"), "OOMKilled"),
        ("Failed", terminated(3), "ExitCode:3"),
        ("Failed", terminated(143, signal=15), "Signal:15"),
    ],
)
def test_terminated_app_container(phase: str, state: dict[str, Any], want: str) -> None:
    pod = make_pod(phase=phase, statuses=[cstatus("app", state)])
    assert row(pod)[1:3] == ["0/1", want]


def test_completed_sibling_of_running_container() -> None:
    statuses = [cstatus("job", terminated(0, "Completed")), cstatus("server", running(), ready=True)]
    ready = make_pod(containers=["job", "server"], statuses=statuses, conditions=READY)
    assert row(ready)[1:3] == ["1/2", "Running"]
    not_ready = make_pod(containers=["job", "server"], statuses=statuses, conditions=NOT_READY)
    assert row(not_ready)[1:3] == ["1/2", "NotReady"]


def test_completed_does_not_hide_a_failed_sibling() -> None:
    # kubernetes/kubernetes#121563: the first container's Completed used to mask the second's Error.
    statuses = [cstatus("a", terminated(0, "Completed")), cstatus("b", terminated(1, "Error"))]
    pod = make_pod(containers=["a", "b"], phase="Failed", statuses=statuses)
    assert pod_status(pod) == "Error"


def test_terminating_and_node_lost() -> None:
    pod = make_pod(statuses=[cstatus("app", running(), ready=True)], conditions=READY)
    pod["metadata"]["deletionTimestamp"] = format_time(NOW + 30)
    assert pod_status(pod) == "Terminating"
    lost = copy.deepcopy(pod)
    lost["status"]["reason"] = "NodeLost"
    assert pod_status(lost) == "Unknown"
    done = make_pod(phase="Succeeded", statuses=[cstatus("app", terminated(0, "Completed"))])
    done["metadata"]["deletionTimestamp"] = format_time(NOW)
    assert pod_status(done) == "Completed"


SIDECAR_INIT = [
    {"name": "istio-proxy", "image": "proxy", "restartPolicy": "Always"},
    {"name": "migrate", "image": "busybox"},
]


def test_sidecar_counts_in_ready_and_total() -> None:
    starting = make_pod(
        phase="Pending",
        init=SIDECAR_INIT,
        init_statuses=[
            cstatus("istio-proxy", running(), ready=False, started=False),
            cstatus("migrate", waiting("PodInitializing")),
        ],
        statuses=[cstatus("app", waiting("PodInitializing"))],
    )
    assert row(starting)[1:3] == ["0/2", "Init:0/2"]
    migrating = copy.deepcopy(starting)
    migrating["status"]["initContainerStatuses"] = [
        cstatus("istio-proxy", running(), ready=True, started=True),
        cstatus("migrate", running()),
    ]
    assert row(migrating)[1:3] == ["1/2", "Init:1/2"]


def test_sidecar_restarts_survive_initialization() -> None:
    pod = make_pod(
        init=SIDECAR_INIT,
        init_statuses=[
            cstatus(
                "istio-proxy",
                running(),
                ready=True,
                started=True,
                restarts=1,
                last=terminated(1, finished=HOUR),
            ),
            cstatus("migrate", terminated(0, "Completed"), restarts=5, last=terminated(1, finished=30)),
        ],
        statuses=[
            cstatus(
                "app", running(), ready=True, restarts=2, last=terminated(1, "Error", finished=10 * MINUTE)
            )
        ],
        conditions=READY,
    )
    # The plain init container's 5 restarts no longer count once the pod is initialized.
    assert row(pod)[1:4] == ["2/2", "Running", "3 (10m ago)"]


def test_pod_wide_columns() -> None:
    pod = make_pod(
        statuses=[cstatus("app", running(), ready=True)], conditions=READY, podIPs=[{"ip": "10.244.1.7"}]
    )
    pod["spec"]["nodeName"] = "node-1"
    assert pod_row_wide(pod, NOW)[5:] == ["10.244.1.7", "node-1", "<none>", "<none>"]
    pod["spec"]["readinessGates"] = [
        {"conditionType": "example.com/lb"},
        {"conditionType": "example.com/dns"},
    ]
    pod["status"]["conditions"].append({"type": "example.com/lb", "status": "True"})
    pod["status"]["nominatedNodeName"] = "node-2"
    assert pod_row_wide(pod, NOW)[5:] == ["10.244.1.7", "node-1", "node-2", "1/2"]
    assert len(POD_WIDE_COLUMNS) == len(pod_row_wide(pod, NOW))
    bare = make_pod(phase="Pending")
    assert pod_row_wide(bare, NOW)[5:] == ["<none>", "<none>", "<none>", "<none>"]


# =========================================================================== workloads


def deployment(desired: int = 3, **status: int) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "default",
            "uid": "dep-1",
            "creationTimestamp": ago(20 * MINUTE),
        },
        "spec": {
            "replicas": desired,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [{"name": "nginx", "image": "nginx:1.27", "ports": [{"containerPort": 80}]}]
                },
            },
        },
        "status": status,
    }


def test_deployment_rows() -> None:
    dep = deployment(3, replicas=3, updatedReplicas=2, readyReplicas=1, availableReplicas=1)
    assert deployment_row(dep, NOW) == ["web", "1/3", "2", "1", "20m"]
    assert deployment_row_wide(dep, NOW)[5:] == ["nginx", "nginx:1.27", "app=web"]
    assert deployment_row(deployment(2), NOW)[1:4] == ["0/2", "0", "0"]


def test_selector_strings() -> None:
    selector = {
        "matchLabels": {"tier": "web", "app": "shop"},
        "matchExpressions": [
            {"key": "env", "operator": "In", "values": ["prod", "canary"]},
            {"key": "legacy", "operator": "DoesNotExist"},
            {"key": "zone", "operator": "NotIn", "values": ["b", "a"]},
            {"key": "owner", "operator": "Exists"},
        ],
    }
    assert (
        selector_string(selector) == "app=shop,env in (canary,prod),!legacy,owner,tier=web,zone notin (a,b)"
    )
    assert selector_string({}) == ""
    assert format_label_selector(None) == "<none>"


def replicaset(
    name: str, desired: int, created: float, image: str = "nginx:1.27", **status: int
) -> dict[str, Any]:
    dep = deployment()
    template = copy.deepcopy(dep["spec"]["template"])
    template["metadata"]["labels"]["pod-template-hash"] = name.rsplit("-", 1)[1]
    template["spec"]["containers"][0]["image"] = image
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": name,
            "namespace": "default",
            "uid": f"uid-{name}",
            "creationTimestamp": ago(created),
            "labels": dict(template["metadata"]["labels"]),
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "name": "web",
                    "uid": "dep-1",
                    "controller": True,
                }
            ],
        },
        "spec": {
            "replicas": desired,
            "selector": {"matchLabels": dict(template["metadata"]["labels"])},
            "template": template,
        },
        "status": status,
    }


def test_replicaset_rows() -> None:
    rs = replicaset("web-66b6c48dd5", 3, 5 * MINUTE, replicas=3, readyReplicas=2)
    assert replicaset_row(rs, NOW) == ["web-66b6c48dd5", "3", "3", "2", "5m"]
    assert replicaset_row_wide(rs, NOW)[5:] == ["nginx", "nginx:1.27", "app=web,pod-template-hash=66b6c48dd5"]


# =========================================================================== nodes and namespaces


def node(ready: str | None = "True", unschedulable: bool = False, **labels: str) -> dict[str, Any]:
    conditions = [] if ready is None else [{"type": "Ready", "status": ready}]
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "node-1", "creationTimestamp": ago(2 * DAY + 3 * HOUR), "labels": labels},
        "spec": {"unschedulable": unschedulable} if unschedulable else {},
        "status": {
            "conditions": [{"type": "MemoryPressure", "status": "False"}, *conditions],
            "addresses": [
                {"type": "InternalIP", "address": "172.18.0.2"},
                {"type": "Hostname", "address": "node-1"},
            ],
            "nodeInfo": {
                "kubeletVersion": "v1.34.1",
                "osImage": "Debian GNU/Linux 12 (bookworm)",
                "kernelVersion": "6.8.0",
                "containerRuntimeVersion": "containerd://2.1.1",
            },
        },
    }


@pytest.mark.parametrize(
    ("ready", "unschedulable", "want"),
    [
        ("True", False, "Ready"),
        ("False", False, "NotReady"),
        # Upstream prints NotReady for Ready=Unknown too; "Unknown" only means no Ready condition at all.
        ("Unknown", False, "NotReady"),
        (None, False, "Unknown"),
        ("True", True, "Ready,SchedulingDisabled"),
        ("Unknown", True, "NotReady,SchedulingDisabled"),
    ],
)
def test_node_status(ready: str | None, unschedulable: bool, want: str) -> None:
    assert node_row(node(ready, unschedulable), NOW)[1] == want


def test_node_roles_and_wide() -> None:
    assert node_row(node(), NOW) == ["node-1", "Ready", "<none>", "2d3h", "v1.34.1"]
    labels = {
        "node-role.kubernetes.io/worker": "",
        "node-role.kubernetes.io/control-plane": "",
        "kubernetes.io/role": "ingress",
    }
    assert node_row(node(**labels), NOW)[2] == "control-plane,ingress,worker"
    wide = node_row_wide(node(), NOW)
    assert wide[5:] == [
        "172.18.0.2",
        "<none>",
        "Debian GNU/Linux 12 (bookworm)",
        "6.8.0",
        "containerd://2.1.1",
    ]
    assert len(wide) == len(NODE_WIDE_COLUMNS)


def test_namespace_and_generic_rows() -> None:
    ns = {"metadata": {"name": "shop", "creationTimestamp": ago(90)}, "status": {"phase": "Terminating"}}
    assert namespace_row(ns, NOW) == ["shop", "Terminating", "90s"]
    assert generic_row({"metadata": {"name": "cfg"}}, NOW) == ["cfg", "<unknown>"]


# =========================================================================== events


def event(
    reason: str = "BackOff",
    count: int = 1,
    first: float = 10 * MINUTE,
    last: float = 3 * MINUTE,
    **extra: Any,
) -> dict[str, Any]:
    ev: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "web-1.17f0a", "namespace": "default"},
        "involvedObject": {"kind": "Pod", "namespace": "default", "name": "web-1"},
        "reason": reason,
        "message": "Back-off restarting failed container app in pod web-1_default(uid)\n",
        "source": {"component": "kubelet", "host": "node-1"},
        "firstTimestamp": ago(first),
        "lastTimestamp": ago(last),
        "count": count,
        "type": "Warning",
    }
    ev.update(extra)
    return ev


def test_event_row_matches_kubectl_get_events() -> None:
    ev = event(count=5)
    assert event_row(ev, NOW) == [
        "3m",
        "Warning",
        "BackOff",
        "pod/web-1",
        "Back-off restarting failed container app in pod web-1_default(uid)",
    ]
    wide = event_row_wide(ev, NOW)
    assert wide[4:] == ["", "kubelet, node-1", wide[6], "10m", "5", "web-1.17f0a"]
    assert len(wide) == len(EVENT_WIDE_COLUMNS)


def test_event_time_fallbacks() -> None:
    no_last = event(lastTimestamp=None)
    assert event_row(no_last, NOW)[0] == "10m"
    micro = event(firstTimestamp=None, lastTimestamp=None, count=0, eventTime="2026-01-01T11:58:00.123456Z")
    assert event_row(micro, NOW)[0] == "119s"
    assert event_row_wide(micro, NOW)[8] == "1"
    series = event(series={"count": 7, "lastObservedTime": "2026-01-01T11:59:00.000000Z"})
    assert event_row(series, NOW)[0] == "60s"
    assert event_interval(series, NOW) == "60s (x7 over 10m)"


def test_event_interval_for_kubectl_events() -> None:
    assert event_interval(event(count=5), NOW) == "3m (x5 over 10m)"
    assert event_interval(event(count=1, first=45, last=45), NOW) == "45s"
    assert events_cmd_row(event(count=2), NOW)[:4] == ["3m (x2 over 10m)", "Warning", "BackOff", "Pod/web-1"]


# =========================================================================== tabwriter and helpers


def test_tabwrite_aligns_blocks_like_go() -> None:
    text = "Name:\tweb\nNamespace:\tdefault\nContainers:\n  app:\n    Image:\tnginx\n    Port:\t80/TCP\n"
    assert tabwrite(text) == (
        "Name:       web\nNamespace:  default\nContainers:\n  app:\n    Image:  nginx\n    Port:   80/TCP\n"
    )
    # A line with fewer cells ends the block of the wider column only.
    assert tabwrite("a\tbb\tc\naaa\tb\tc\nx\ty\n") == "a    bb  c\naaa  b   c\nx    y\n"
    assert tabwrite("no tabs") == "no tabs"


def test_rfc1123z_and_probe_text() -> None:
    assert rfc1123z("2026-01-01T00:00:00Z") == "Thu, 01 Jan 2026 00:00:00 +0000"
    assert rfc1123z(None) == "Mon, 01 Jan 0001 00:00:00 +0000"
    assert describe_probe({"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 5}) == (
        "http-get http://:8080/healthz delay=0s timeout=1s period=5s successThreshold=1 failureThreshold=3"
    )
    assert describe_probe({"exec": {"command": ["cat", "/tmp/ready"]}, "initialDelaySeconds": 5}).startswith(
        "exec [cat /tmp/ready] delay=5s"
    )
    assert describe_probe({"tcpSocket": {"port": "db"}}).startswith("tcp-socket :db delay=0s")


@pytest.mark.parametrize(
    ("field", "want"),
    [
        ("apiVersion", "API Version"),
        ("creationTimestamp", "Creation Timestamp"),
        ("uid", "UID"),
        ("podIP", "Pod IP"),
        ("resourceVersion", "Resource Version"),
        ("kubernetes.io/name", "kubernetes.io/name"),
        ("data", "Data"),
    ],
)
def test_smart_label(field: str, want: str) -> None:
    assert smart_label(field) == want


def test_qos_class() -> None:
    def pod_with(resources: dict[str, Any]) -> dict[str, Any]:
        return {"spec": {"containers": [{"name": "a", "resources": resources}]}, "status": {}}

    assert qos_class(pod_with({})) == "BestEffort"
    assert qos_class(pod_with({"limits": {"cpu": "1", "memory": "1Gi"}})) == "Guaranteed"
    assert qos_class(pod_with({"requests": {"cpu": "100m"}})) == "Burstable"
    assert qos_class({"spec": {}, "status": {"qosClass": "Guaranteed"}}) == "Guaranteed"


# =========================================================================== describe


def described_pod() -> dict[str, Any]:
    pod = make_pod(
        statuses=[
            cstatus("app", running(300), ready=True, restarts=2, last=terminated(1, "Error", finished=400))
            | {"containerID": "containerd://0123", "imageID": "docker.io/library/busybox@sha256:ab"}
        ],
        conditions=READY,
        podIP="10.244.1.7",
        podIPs=[{"ip": "10.244.1.7"}],
        hostIP="172.18.0.2",
        startTime=ago(3 * HOUR),
        qosClass="Burstable",
    )
    pod["metadata"].update(
        labels={"app": "web", "pod-template-hash": "66b6c48dd5"},
        annotations={"kubectl.kubernetes.io/last-applied-configuration": "{}"},
        ownerReferences=[{"kind": "ReplicaSet", "name": "web-66b6c48dd5", "uid": "rs-1", "controller": True}],
    )
    pod["spec"].update(
        nodeName="node-1",
        serviceAccountName="default",
        priority=0,
        tolerations=[
            {
                "key": "node.kubernetes.io/unreachable",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 300,
            },
            {
                "key": "node.kubernetes.io/not-ready",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 300,
            },
        ],
        volumes=[{"name": "cache", "emptyDir": {}}],
    )
    pod["spec"]["containers"][0].update(
        command=["sh", "-c", "sleep 3600"],
        ports=[{"containerPort": 8080, "protocol": "TCP", "name": "http"}],
        resources={"limits": {"memory": "256Mi"}, "requests": {"cpu": "250m", "memory": "128Mi"}},
        livenessProbe={"httpGet": {"path": "/hz", "port": 8080, "scheme": "HTTP"}},
        env=[
            {"name": "MODE", "value": "prod"},
            {
                "name": "POD_NAME",
                "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}},
            },
            {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
        ],
        volumeMounts=[{"name": "cache", "mountPath": "/cache"}],
    )
    return pod


POD_DESCRIBE = """\
Name:             web-1
Namespace:        default
Priority:         0
Service Account:  default
Node:             node-1/172.18.0.2
Start Time:       Thu, 01 Jan 2026 09:00:00 +0000
Labels:           app=web
                  pod-template-hash=66b6c48dd5
Annotations:      <none>
Status:           Running
IP:               10.244.1.7
IPs:
  IP:           10.244.1.7
Controlled By:  ReplicaSet/web-66b6c48dd5
Containers:
  app:
    Container ID:  containerd://0123
    Image:         busybox
    Image ID:      docker.io/library/busybox@sha256:ab
    Port:          8080/TCP (http)
    Host Port:     0/TCP (http)
    Command:
      sh
      -c
      sleep 3600
    State:          Running
      Started:      Thu, 01 Jan 2026 11:55:00 +0000
    Last State:     Terminated
      Reason:       Error
      Exit Code:    1
      Started:      Thu, 01 Jan 2026 11:52:50 +0000
      Finished:     Thu, 01 Jan 2026 11:53:20 +0000
    Ready:          True
    Restart Count:  2
    Limits:
      memory:  256Mi
    Requests:
      cpu:     250m
      memory:  128Mi
    Liveness:  http-get http://:8080/hz delay=0s timeout=1s period=10s successThreshold=1 failureThreshold=3
    Environment:
      MODE:      prod
      POD_NAME:  web-1 (v1:metadata.name)
      PASSWORD:  <set to the key 'password' in secret 'db'>  Optional: false
    Mounts:
      /cache from cache (rw)
Conditions:
  Type              Status
  Initialized       True
  Ready             True
  ContainersReady   True
  PodScheduled      True
Volumes:
  cache:
    Type:        EmptyDir (a temporary directory that shares a pod's lifetime)
    Medium:
    SizeLimit:   <unset>
QoS Class:       Burstable
Node-Selectors:  <none>
Tolerations:     node.kubernetes.io/not-ready:NoExecute op=Exists for 300s
                 node.kubernetes.io/unreachable:NoExecute op=Exists for 300s
Events:
  Type     Reason     Age               From               Message
  ----     ------     ----              ----               -------
  Normal   Scheduled  3h                default-scheduler  Successfully assigned default/web-1 to node-1
  Warning  BackOff    3m (x5 over 10m)  kubelet            spec.containers{app}: Back-off restarting
"""


def pod_events() -> list[dict[str, Any]]:
    scheduled = event(
        "Scheduled",
        first=3 * HOUR,
        last=3 * HOUR,
        type="Normal",
        message="Successfully assigned default/web-1 to node-1",
        source={"component": "default-scheduler"},
    )
    backoff = event(count=5, message="Back-off restarting")
    backoff["involvedObject"]["fieldPath"] = "spec.containers{app}"
    return [backoff, scheduled]  # out of order on purpose: describe sorts by lastTimestamp


def test_describe_pod_full_text() -> None:
    text = describe_pod(described_pod(), pod_events(), NOW)
    # The golden text is kept free of trailing blanks; kubectl's own trailing blanks are checked below.
    assert [line.rstrip() for line in text.splitlines()] == POD_DESCRIBE.splitlines()
    assert "Ready             True \n" in text  # kubectl's trailing space after each condition status


def test_describe_pod_scheduling_block_and_no_events() -> None:
    pending = make_pod(
        phase="Pending", conditions=[{"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}]
    )
    decision = "0/3 nodes are available: 3 Insufficient cpu.\nnode-1: Insufficient cpu (requested 2, free 1)"
    text = describe_pod(pending, [], NOW, decision_text=decision)
    assert "Node:         <none>\n" in text
    assert "Scheduling:\n  0/3 nodes are available: 3 Insufficient cpu.\n  node-1: Insufficient cpu" in text
    assert text.index("Scheduling:") < text.index("Events:")
    assert text.endswith("Events:  <none>\n")
    assert "Events" not in describe_pod(pending, None, NOW)


def test_describe_pod_terminating_and_init_containers() -> None:
    pod = make_pod(
        phase="Pending",
        init=INIT_TWO,
        init_statuses=[
            cstatus("init-db", waiting("CrashLoopBackOff"), restarts=1, last=terminated(2, "Error"))
        ],
    )
    pod["metadata"]["deletionTimestamp"] = format_time(NOW + 20)
    pod["metadata"]["deletionGracePeriodSeconds"] = 30
    text = describe_pod(pod, [], NOW)
    assert "Status:                    Terminating (lasts <invalid>)\n" in text
    assert "Termination Grace Period:  30s\n" in text
    assert "Init Containers:\n  init-db:\n" in text
    assert "    State:          Waiting\n      Reason:       CrashLoopBackOff\n" in text
    assert "  init-cache:\n    Image:" in text  # no status yet: no Container ID / State lines


def test_describe_deployment() -> None:
    dep = deployment(3, replicas=3, updatedReplicas=3, readyReplicas=3, availableReplicas=3)
    dep["spec"]["strategy"] = {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": 1},
    }
    dep["status"]["conditions"] = [
        {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
        {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"},
    ]
    new = replicaset("web-66b6c48dd5", 3, 10 * MINUTE, replicas=3)
    old = replicaset("web-7d9f8b6c5", 0, HOUR, image="nginx:1.26", replicas=0)
    scaled = event(
        "ScalingReplicaSet",
        count=1,
        first=10 * MINUTE,
        last=10 * MINUTE,
        type="Normal",
        message="Scaled up replica set web-66b6c48dd5 from 0 to 3",
        source={"component": "deployment-controller"},
    )
    text = describe_deployment(dep, [new, old], [scaled], NOW)
    lines = text.splitlines()
    assert lines[:3] == [
        "Name:                   web",
        "Namespace:              default",
        "CreationTimestamp:      Thu, 01 Jan 2026 11:40:00 +0000",
    ]
    assert "Selector:               app=web" in lines
    assert "Replicas:               3 desired | 3 updated | 3 total | 3 available | 0 unavailable" in lines
    assert "StrategyType:           RollingUpdate" in lines
    assert "RollingUpdateStrategy:  25% max unavailable, 1 max surge" in lines
    assert (
        "Pod Template:\n  Labels:  app=web\n  Containers:\n   nginx:\n    Image:         nginx:1.27\n" in text
    )
    assert "  Type           Status  Reason\n  ----           ------  ------\n" in text
    assert "  Progressing    True    NewReplicaSetAvailable\n" in text
    assert "OldReplicaSets:  web-7d9f8b6c5 (0/0 replicas created)" in lines
    assert "NewReplicaSet:   web-66b6c48dd5 (3/3 replicas created)" in lines
    scaled_line = (
        "  Normal  ScalingReplicaSet  10m   deployment-controller  Scaled up replica set web-66b6c48dd5 "
    )
    assert scaled_line + "from 0 to 3" in lines


def test_describe_deployment_defaults_strategy_and_no_replicasets() -> None:
    text = describe_deployment(deployment(1), [], None, NOW)
    assert "RollingUpdateStrategy:  25% max unavailable, 25% max surge" in text
    assert "OldReplicaSets" not in text and "Events" not in text


def test_describe_replicaset_counts_only_owned_pods() -> None:
    rs = replicaset("web-66b6c48dd5", 3, 5 * MINUTE, replicas=3, readyReplicas=2)
    owned = {"metadata": {"ownerReferences": [{"uid": "uid-web-66b6c48dd5", "controller": True}]}}
    pods = [
        owned | {"status": {"phase": "Running"}},
        owned | {"status": {"phase": "Running"}},
        owned | {"status": {"phase": "Pending"}},
        {"metadata": {}, "status": {"phase": "Running"}},
    ]
    text = describe_replicaset(rs, pods, [], NOW)
    assert "Controlled By:  Deployment/web\n" in text
    assert "Replicas:       3 current / 3 desired\n" in text
    assert "Pods Status:    2 Running / 1 Waiting / 0 Succeeded / 0 Failed\n" in text
    assert "Selector:       app=web,pod-template-hash=66b6c48dd5\n" in text


def node_pod(
    name: str, requests: dict[str, str], limits: dict[str, str] | None = None, phase: str = "Running"
) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "default", "creationTimestamp": ago(HOUR)},
        "spec": {
            "nodeName": "node-1",
            "containers": [{"name": "c", "resources": {"requests": requests, "limits": limits or {}}}],
        },
        "status": {"phase": phase},
    }


def test_describe_node_allocated_resources() -> None:
    n = node(**{"node-role.kubernetes.io/control-plane": ""})
    n["spec"] = {
        "taints": [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}],
        "podCIDR": "10.244.0.0/24",
    }
    n["status"]["capacity"] = {"cpu": "4", "memory": "8Gi", "pods": "110", "ephemeral-storage": "100Gi"}
    n["status"]["allocatable"] = {"cpu": "2", "memory": "4Gi", "pods": "110", "ephemeral-storage": "100Gi"}
    pods = [
        node_pod("api", {"cpu": "250m", "memory": "128Mi"}, {"cpu": "1", "memory": "256Mi"}),
        node_pod("worker", {"cpu": "0.5", "memory": "1Gi"}),
        node_pod("batch", {"cpu": "1"}, phase="Succeeded"),
    ]
    text = describe_node(n, pods, [], NOW)
    lines = text.splitlines()
    assert "Roles:              control-plane" in lines
    assert "Taints:             node-role.kubernetes.io/control-plane:NoSchedule" in lines
    assert "Unschedulable:      false" in lines
    # Missing heartbeat times print as Go's zero time, like kubectl.
    ready_line = (
        "  Ready            True    Mon, 01 Jan 0001 00:00:00 +0000   Mon, 01 Jan 0001 00:00:00 +0000"
    )
    assert ready_line in [line.rstrip() for line in lines]
    # One column block runs from the last System Info line through the pods table, as in kubectl.
    assert "  Kubelet Version:            v1.34.1" in lines
    assert "PodCIDR:                      10.244.0.0/24" in lines
    assert "Non-terminated Pods:          (2 in total)" in lines
    pad = "  default" + " " * 21
    assert pad + "api       250m (12%)    1 (50%)     128Mi (3%)       256Mi (6%)     60m" in lines
    assert pad + "worker    500m (25%)    0 (0%)      1Gi (25%)        0 (0%)         60m" in lines
    assert "  cpu                750m (37%)    1 (50%)" in lines
    assert "  memory             1152Mi (28%)  256Mi (6%)" in lines
    assert "  ephemeral-storage  0 (0%)        0 (0%)" in lines
    assert lines[-1] == "Events:              <none>"


def test_describe_namespace() -> None:
    ns = {
        "metadata": {"name": "shop", "labels": {"kubernetes.io/metadata.name": "shop"}},
        "status": {"phase": "Active"},
    }
    assert describe_namespace(ns, NOW) == (
        "Name:         shop\n"
        "Labels:       kubernetes.io/metadata.name=shop\n"
        "Annotations:  <none>\n"
        "Status:       Active\n"
        "\n"
        "No resource quota.\n"
        "\n"
        "No LimitRange resource.\n"
    )


def test_describe_generic() -> None:
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "cfg",
            "namespace": "default",
            "uid": "u-1",
            "labels": {"app": "web"},
            "managedFields": [{}],
        },
        "data": {"mode": "prod"},
    }
    assert describe_generic(cm, [], NOW) == (
        "Name:         cfg\n"
        "Namespace:    default\n"
        "Labels:       app=web\n"
        "Annotations:  <none>\n"
        "API Version:  v1\n"
        "Data:\n"
        "  Mode:  prod\n"
        "Kind:    ConfigMap\n"
        "Metadata:\n"
        # `Events:  <none>` does not flush the tabwriter, so it shares UID's column block.
        "  UID:   u-1\n"
        "Events:  <none>\n"
    )
