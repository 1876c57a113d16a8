"""engine.resources: pod requests/limits and the QoS class, the one helper the scheduler, describe and the
kubelet share.

Tables are ported from `k8s.io/component-helpers/resource/helpers_test.go` (TestPodRequestsAndLimits,
TestPodResourceRequests, TestPodResourceLimits, TestPodLevelResourceRequests; the cases that read container
statuses for in-place resize are left out, as k9py has no resize) and from kubectl
`pkg/util/qos/qos_test.go` TestGetPodQOS (the same logic as k/k `pkg/apis/core/v1/helper/qos` ComputePodQOS).
"""

from __future__ import annotations

from typing import Any

import pytest

from engine.printers.describe import describe_node, describe_pod
from engine.quantity import Quantity
from engine.resources import (
    compute_pod_qos,
    get_pod_qos,
    pod_limits,
    pod_requests,
)
from engine.scheduler import compute_pod_resources
from engine.timeutil import parse_time

Obj = dict[str, Any]
ALWAYS = "Always"


def ctr(requests: dict[str, str] | None = None, limits: dict[str, str] | None = None, *,
        restart: str | None = None, name: str = "c") -> Obj:
    resources: Obj = {}
    if requests is not None:
        resources["requests"] = requests
    if limits is not None:
        resources["limits"] = limits
    out: Obj = {"name": name, "image": "nginx", "resources": resources}
    if restart:
        out["restartPolicy"] = restart
    return out


def sidecar(requests: dict[str, str] | None = None, limits: dict[str, str] | None = None) -> Obj:
    return ctr(requests, limits, restart=ALWAYS)


def pod(containers: list[Obj] | None = None, init: list[Obj] | None = None, *,
        overhead: dict[str, str] | None = None, resources: Obj | None = None) -> Obj:
    spec: Obj = {"containers": containers or []}
    if init is not None:
        spec["initContainers"] = init
    if overhead is not None:
        spec["overhead"] = overhead
    if resources is not None:
        spec["resources"] = resources
    return {"metadata": {"name": "p", "namespace": "default"}, "spec": spec}


def quantities(values: dict[str, str]) -> dict[str, Quantity]:
    return {name: Quantity.parse(v) for name, v in values.items()}


def get_pod(requests: dict[str, str], limits: dict[str, str], overhead: dict[str, str]) -> Obj:
    """helpers_test.go getPod: the same requirements on one container and one init container."""
    return pod([ctr(requests, limits)], [ctr(requests, limits, name="init-c")], overhead=overhead)


# TestPodRequestsAndLimits: (name, pod, requests, limits).
REQUESTS_AND_LIMITS = [
    # Upstream's PodRequests reads requests only and expects {} here; k9py reads requests as SetDefaults_Pod
    # leaves them (the limit stands for the missing request), which is what every stored pod holds.
    ("just-limit-no-overhead", get_pod({}, {"cpu": "9"}, {}), {"cpu": "9"}, {"cpu": "9"}),
    ("just-overhead", get_pod({}, {}, {"cpu": "5", "memory": "5"}), {"cpu": "5", "memory": "5"}, {}),
    ("req-and-overhead", get_pod({"cpu": "1", "memory": "10"}, {}, {"cpu": "5", "memory": "5"}),
     {"cpu": "6", "memory": "15"}, {}),
    ("all-req-lim-and-overhead",
     get_pod({"cpu": "1", "memory": "10"}, {"cpu": "2", "memory": "12"}, {"cpu": "5", "memory": "5"}),
     {"cpu": "6", "memory": "15"}, {"cpu": "7", "memory": "17"}),
    ("req-some-lim-and-overhead",
     get_pod({"cpu": "1", "memory": "10"}, {"cpu": "2"}, {"cpu": "5", "memory": "5"}),
     {"cpu": "6", "memory": "15"}, {"cpu": "7"}),
]


@pytest.mark.parametrize(
    ("name", "p", "requests", "limits"), REQUESTS_AND_LIMITS, ids=[c[0] for c in REQUESTS_AND_LIMITS]
)
def test_pod_requests_and_limits(name: str, p: Obj, requests: dict[str, str], limits: dict[str, str]) -> None:
    assert pod_requests(p) == quantities(requests)
    assert pod_limits(p) == quantities(limits)


# TestPodResourceRequests (without the status-reading resize cases): (name, pod, options, expected).
POD_REQUESTS = [
    ("nil options, larger init container",
     pod([ctr({"cpu": "1"})], [ctr({"cpu": "4"})]), {}, {"cpu": "4"}),
    ("nil options, larger containers",
     pod([ctr({"cpu": "2"}), ctr({"cpu": "3"})], [ctr({"cpu": "2"})]), {}, {"cpu": "5"}),
    ("pod overhead excluded",
     pod([ctr({"cpu": "2"}), ctr({"cpu": "3"})], [ctr({"cpu": "2"})], overhead={"cpu": "1"}),
     {"exclude_overhead": True}, {"cpu": "5"}),
    ("pod overhead included",
     pod([ctr({"cpu": "2"}), ctr({"cpu": "3"})], [ctr({"cpu": "2"}, {"cpu": "2"})],
         overhead={"cpu": "1", "memory": "1Gi"}),
     {}, {"cpu": "6", "memory": "1Gi"}),
    ("restartable init container",
     pod([ctr({"cpu": "1"})], [sidecar({"cpu": "1"})]), {}, {"cpu": "2"}),
    # max(5, restartable init containers(3+2+1) + regular(1)) = 7
    ("multiple restartable init containers",
     pod([ctr({"cpu": "1"})], [ctr({"cpu": "5"}), sidecar({"cpu": "1"}), sidecar({"cpu": "2"}), sidecar({"cpu": "3"})]),
     {}, {"cpu": "7"}),
    # init-2 requires 5 + the previously running sidecars (1+2) = 8; the sidecar after it doesn't count
    ("multiple restartable and regular init containers",
     pod([ctr({"cpu": "1"})],
         [ctr({"cpu": "5"}), sidecar({"cpu": "1"}), sidecar({"cpu": "2"}), ctr({"cpu": "5"}), sidecar({"cpu": "3"})]),
     {}, {"cpu": "8"}),
    ("restartable-init, init and regular",
     pod([ctr({"cpu": "100"})], [sidecar({"cpu": "10"}), ctr({"cpu": "200"})]), {}, {"cpu": "210"}),
]


@pytest.mark.parametrize(("name", "p", "options", "expected"), POD_REQUESTS, ids=[c[0] for c in POD_REQUESTS])
def test_pod_resource_requests(name: str, p: Obj, options: dict[str, Any], expected: dict[str, str]) -> None:
    assert pod_requests(p, **options) == quantities(expected)


# TestPodResourceLimits (without the status-reading resize cases).
POD_LIMITS = [
    ("nil options, larger init container",
     pod([ctr(limits={"cpu": "1"})], [ctr(limits={"cpu": "4"})]), {}, {"cpu": "4"}),
    ("nil options, larger containers",
     pod([ctr(limits={"cpu": "2"}), ctr(limits={"cpu": "3"})], [ctr(limits={"cpu": "2"})]), {}, {"cpu": "5"}),
    ("pod overhead excluded",
     pod([ctr(limits={"cpu": "2"}), ctr(limits={"cpu": "3"})], [ctr(limits={"cpu": "2"})], overhead={"cpu": "1"}),
     {"exclude_overhead": True}, {"cpu": "5"}),
    # overhead is only added to non-zero limits, so there is no memory limit
    ("pod overhead included",
     pod([ctr(limits={"cpu": "2"}), ctr(limits={"cpu": "3"})], [ctr(limits={"cpu": "2"})],
         overhead={"cpu": "1", "memory": "1Gi"}),
     {}, {"cpu": "6"}),
    ("no limited containers should result in no limits for the pod", pod([ctr()], []), {}, {}),
    ("one limited and one unlimited container should result in the limited container's limits for the pod",
     pod([ctr(limits={"cpu": "2", "memory": "2Gi"}), ctr()], []), {}, {"cpu": "2", "memory": "2Gi"}),
    ("one limited and one unlimited init container should result in the limited init container's limits",
     pod([ctr(limits={"cpu": "1", "memory": "1Gi"})], [ctr(limits={"cpu": "2", "memory": "2Gi"}), ctr()]),
     {}, {"cpu": "2", "memory": "2Gi"}),
    ("restartable init container",
     pod([ctr(limits={"cpu": "1"})], [sidecar(limits={"cpu": "1"})]), {}, {"cpu": "2"}),
    ("multiple restartable init containers",
     pod([ctr(limits={"cpu": "1"})],
         [ctr(limits={"cpu": "5"}), sidecar(limits={"cpu": "1"}), sidecar(limits={"cpu": "2"}),
          sidecar(limits={"cpu": "3"})]),
     {}, {"cpu": "7"}),
    ("multiple restartable and regular init containers",
     pod([ctr(limits={"cpu": "1"})],
         [ctr(limits={"cpu": "5"}), sidecar(limits={"cpu": "1"}), sidecar(limits={"cpu": "2"}),
          ctr(limits={"cpu": "5"}), sidecar(limits={"cpu": "3"})]),
     {}, {"cpu": "8"}),
    ("restartable-init, init and regular",
     pod([ctr(limits={"cpu": "100"})], [sidecar(limits={"cpu": "10"}), ctr(limits={"cpu": "200"})]),
     {}, {"cpu": "210"}),
]


@pytest.mark.parametrize(("name", "p", "options", "expected"), POD_LIMITS, ids=[c[0] for c in POD_LIMITS])
def test_pod_resource_limits(name: str, p: Obj, options: dict[str, Any], expected: dict[str, str]) -> None:
    assert pod_limits(p, **options) == quantities(expected)


MEM_CPU = {"memory": "3Mi", "cpu": "2m"}

# TestPodLevelResourceRequests.
POD_LEVEL = [
    ("nil", pod([]), {}, {}),
    ("pod level memory resource with SkipPodLevelResources true",
     pod([], resources={"requests": {"memory": "2Mi"}}), {"skip_pod_level": True}, {}),
    ("pod level memory resource with SkipPodLevelResources false",
     pod([], resources={"requests": {"memory": "2Mi"}}), {}, {"memory": "2Mi"}),
    ("pod level memory and container level cpu resources",
     pod([ctr({"cpu": "2m"})], resources={"requests": {"memory": "2Mi"}}), {}, {"memory": "2Mi", "cpu": "2m"}),
    ("pod level unsupported resources set at both pod-level and container-level",
     pod([ctr({"storage": "3Mi"})], resources={"requests": {"storage": "2Mi"}}), {}, {"storage": "3Mi"}),
    ("pod level unsupported resources set at pod-level",
     pod([ctr({"memory": "3Mi"})], resources={"requests": {"storage": "2Mi"}}), {}, {"memory": "3Mi"}),
    ("only container level resources set", pod([ctr(MEM_CPU)]), {}, MEM_CPU),
    ("both container-level and pod-level resources set",
     pod([ctr(MEM_CPU)], resources={"requests": {"memory": "6Mi", "cpu": "8m"}}), {},
     {"memory": "6Mi", "cpu": "8m"}),
    ("container-level resources and init container set",
     pod([ctr(MEM_CPU)], [ctr({"memory": "5Mi", "cpu": "4m"})]), {}, {"memory": "5Mi", "cpu": "4m"}),
    ("container-level resources and init container set with SkipPodLevelResources true",
     pod([ctr(MEM_CPU)], [ctr({"memory": "5Mi", "cpu": "4m"})]), {"skip_pod_level": True},
     {"memory": "5Mi", "cpu": "4m"}),
    ("container-level resources and sidecar container set",
     pod([ctr(MEM_CPU)], [sidecar({"memory": "5Mi", "cpu": "4m"})]), {}, {"memory": "8Mi", "cpu": "6m"}),
    ("container-level resources, init and sidecar container set",
     pod([ctr(MEM_CPU)], [sidecar({"memory": "5Mi", "cpu": "4m"}), ctr({"memory": "6Mi", "cpu": "8m"})]), {},
     {"memory": "11Mi", "cpu": "12m"}),
    ("pod-level resources, container-level resources, init and sidecar container set",
     pod([ctr(MEM_CPU)], [sidecar({"memory": "5Mi", "cpu": "4m"}), ctr({"memory": "6Mi", "cpu": "8m"})],
         resources={"requests": {"memory": "15Mi", "cpu": "18m"}}), {},
     {"memory": "15Mi", "cpu": "18m"}),
    ("pod-level resources, hugepage request/limit single page size",
     pod([], resources={"limits": {"hugepages-2Mi": "2Mi"}, "requests": {"memory": "10Mi", "hugepages-2Mi": "2Mi"}}),
     {}, {"memory": "10Mi", "hugepages-2Mi": "2Mi"}),
    ("pod-level resources, hugepage request/limit multiple page sizes",
     pod([], resources={"limits": {"hugepages-2Mi": "2Mi", "hugepages-1Gi": "1Gi"},
                        "requests": {"cpu": "1", "hugepages-2Mi": "2Mi", "hugepages-1Gi": "1Gi"}}),
     {}, {"cpu": "1", "hugepages-2Mi": "2Mi", "hugepages-1Gi": "1Gi"}),
    ("pod-level resources, container-level resources, hugepage request/limit single page size",
     pod([ctr({"hugepages-2Mi": "6Mi"}, {"hugepages-2Mi": "6Mi"})],
         resources={"limits": {"hugepages-2Mi": "10Mi"}, "requests": {"cpu": "1", "hugepages-2Mi": "10Mi"}}),
     {}, {"cpu": "1", "hugepages-2Mi": "10Mi"}),
    ("pod-level resources, container-level resources, hugepage multiple page sizes between the levels",
     pod([ctr({"memory": "4Mi", "hugepages-1Gi": "1Gi"}, {"hugepages-1Gi": "1Gi"})],
         resources={"limits": {"hugepages-2Mi": "10Mi"}, "requests": {"cpu": "1", "hugepages-2Mi": "10Mi"}}),
     {}, {"cpu": "1", "memory": "4Mi", "hugepages-2Mi": "10Mi", "hugepages-1Gi": "1Gi"}),
]


@pytest.mark.parametrize(("name", "p", "options", "expected"), POD_LEVEL, ids=[c[0] for c in POD_LEVEL])
def test_pod_level_resource_requests(name: str, p: Obj, options: dict[str, Any], expected: dict[str, str]) -> None:
    assert pod_requests(p, **options) == quantities(expected)


def test_non_missing_requests_fill_only_what_a_container_leaves_out() -> None:
    p = pod([ctr(), ctr({"cpu": "0"}), ctr({"memory": "1Gi"})], [sidecar({"cpu": "50m"})])
    filled = pod_requests(p, non_missing=quantities({"cpu": "100m", "memory": "200Mi"}))
    # An explicit zero stays zero; the sidecar's 50m is its own, its memory the default 200Mi.
    assert filled == quantities({"cpu": "250m", "memory": "1624Mi"})
    assert str(filled["memory"]) == "1624Mi"


def test_sums_keep_the_first_format() -> None:
    # addResourceList: the first amount's format carries the sum, so memory prints in binary suffixes.
    p = pod([ctr({"cpu": "250m", "memory": "1Gi"}), ctr({"cpu": "0.75", "memory": "512Mi"})])
    assert {k: str(v) for k, v in pod_requests(p).items()} == {"cpu": "1", "memory": "1536Mi"}


# --- QoS ----------------------------------------------------------------------------------

GUARANTEED = {"cpu": "1", "memory": "1Gi"}

# kubectl TestGetPodQOS: (name, pod, want).
QOS = [
    ("guaranteed pod with status", {"status": {"qosClass": "Guaranteed"}}, "Guaranteed"),
    ("burstable pod with status", {"status": {"qosClass": "Burstable"}}, "Burstable"),
    ("besteffort pod with status", {"status": {"qosClass": "BestEffort"}}, "BestEffort"),
    ("guaranteed pod without status", pod([ctr(GUARANTEED, GUARANTEED)]), "Guaranteed"),
    ("guaranteed pod with two containers",
     pod([ctr(GUARANTEED, GUARANTEED), ctr(GUARANTEED, GUARANTEED, name="d")]), "Guaranteed"),
    ("burstable pod without status", pod([ctr({"cpu": "100m", "memory": "1Gi"}, GUARANTEED)]), "Burstable"),
    ("burstable pod with two containers",
     pod([ctr(GUARANTEED, GUARANTEED), ctr({"cpu": "100m", "memory": "1Gi"}, GUARANTEED, name="d")]), "Burstable"),
    ("besteffort pod without status", pod([ctr()]), "BestEffort"),
    ("empty pod level resources should fallback to containers",
     pod([ctr(GUARANTEED, GUARANTEED)], resources={"requests": {}, "limits": {}}), "Guaranteed"),
    ("completely empty pod level resources should fallback to containers",
     pod([ctr(GUARANTEED, GUARANTEED)], resources={}), "Guaranteed"),
    ("zero pod level resources should not fallback to containers",
     pod([ctr(GUARANTEED, GUARANTEED)],
         resources={"requests": {"cpu": "0", "memory": "0"}, "limits": {"cpu": "0", "memory": "0"}}), "BestEffort"),
    ("guaranteed with pod level resources",
     pod([ctr({"cpu": "100m", "memory": "100Mi"})], resources={"requests": GUARANTEED, "limits": GUARANTEED}),
     "Guaranteed"),
    ("burstable with pod level resources",
     pod([ctr(GUARANTEED, GUARANTEED)],
         resources={"requests": {"cpu": "100m", "memory": "100Mi"}, "limits": GUARANTEED}), "Burstable"),
    ("burstable with pod level requests only",
     pod([ctr(GUARANTEED, GUARANTEED)], resources={"requests": {"cpu": "100m", "memory": "1Gi"}}), "Burstable"),
    ("container with zero requests limits",
     pod([ctr({"cpu": "0", "memory": "0"}, {"cpu": "0", "memory": "0"})]), "BestEffort"),
    ("guaranteed with pod level resources and hugepages",
     pod([ctr(GUARANTEED, GUARANTEED)],
         resources={"requests": {"cpu": "10m", "memory": "100Mi", "hugepages-2Mi": "100Mi"},
                    "limits": {"cpu": "10m", "memory": "100Mi", "hugepages-2Mi": "100Mi"}}), "Guaranteed"),
    ("burstable with pod level resources and hugepages",
     pod([ctr(GUARANTEED, GUARANTEED)],
         resources={"requests": {"cpu": "10m", "hugepages-2Mi": "100Mi"}, "limits": {"hugepages-2Mi": "100Mi"}}),
     "Burstable"),
    # The brief's case: requests and limits compare as quantities.
    ("equal quantities spelled differently",
     pod([ctr({"cpu": "1", "memory": "1Gi"}, {"cpu": "1000m", "memory": "1024Mi"})]), "Guaranteed"),
    ("limits only: requests default to them", pod([ctr(limits={"cpu": "500m", "memory": "64Mi"})]), "Guaranteed"),
    ("cpu only", pod([ctr({"cpu": "1"}, {"cpu": "1"})]), "Burstable"),
    ("only other resources", pod([ctr({"ephemeral-storage": "1Gi"})]), "BestEffort"),
    ("a best-effort init container with a guaranteed app container",
     pod([ctr(GUARANTEED, GUARANTEED)], [ctr(name="i")]), "Burstable"),
    ("no containers", pod([]), "BestEffort"),
]


@pytest.mark.parametrize(("name", "p", "want"), QOS, ids=[c[0] for c in QOS])
def test_get_pod_qos(name: str, p: Obj, want: str) -> None:
    assert get_pod_qos(p) == want


def test_compute_ignores_the_stored_class() -> None:
    p = pod([ctr(GUARANTEED, GUARANTEED)])
    p["status"] = {"qosClass": "BestEffort"}
    assert get_pod_qos(p) == "BestEffort"
    assert compute_pod_qos(p) == "Guaranteed"


# --- the helpers' users ---------------------------------------------------------------------


def test_scheduler_reserves_the_shared_requests() -> None:
    p = pod([ctr({"cpu": "100", "memory": "1Gi"})], [sidecar({"cpu": "10", "memory": "512Mi"}), ctr({"cpu": "200"})],
            overhead={"cpu": "250m"})
    res = compute_pod_resources(p)
    requests = pod_requests(p)
    assert res.milli_cpu == requests["cpu"].milli_value() == 210_250
    assert res.memory == requests["memory"].int_value() == 1536 * 2**20


NOW = parse_time("2026-01-01T12:00:00Z")


def test_describe_pod_qos_compares_quantities() -> None:
    p = pod([ctr({"cpu": "1", "memory": "1Gi"}, {"cpu": "1000m", "memory": "1024Mi"})])
    p["status"] = {"phase": "Pending"}
    assert "QoS Class:        Guaranteed" in describe_pod(p, None, NOW).splitlines()


def test_describe_node_allocates_sidecars_and_init_peaks() -> None:
    node: Obj = {
        "metadata": {"name": "node-1", "creationTimestamp": "2026-01-01T00:00:00Z"},
        "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110", "ephemeral-storage": "100Gi"}},
    }
    app = pod([ctr({"cpu": "1", "memory": "1Gi"}, {"cpu": "2", "memory": "2Gi"})],
              [sidecar({"cpu": "0.5", "memory": "512Mi"}), ctr({"cpu": "3"}, name="migrate")])
    app["metadata"]["creationTimestamp"] = "2026-01-01T11:00:00Z"
    app["status"] = {"phase": "Running"}
    lines = describe_node(node, [app], [], NOW).splitlines()
    # Requests: max(1 + 0.5 sidecar, 3 + 0.5 before it) = 3500m; limits: 2 (the sidecar sets none).
    assert any(line.split()[:6] == ["default", "p", "3500m", "(87%)", "2", "(50%)"] for line in lines), lines
    assert any(line.split()[:5] == ["cpu", "3500m", "(87%)", "2", "(50%)"] for line in lines)
    assert any(line.split()[:5] == ["memory", "1536Mi", "(18%)", "2Gi", "(25%)"] for line in lines)


def test_describe_prints_quantities_as_quantity_string() -> None:
    # kubectl prints quantity.String(): a raw manifest's 0.5 reads 500m, a stored "05" stays as stored.
    p = pod([ctr({"cpu": 0.5, "memory": "1.5Gi", "example.com/x": "05"}, {"cpu": "1000m"})])
    p["status"] = {"phase": "Pending"}
    lines = [line.split() for line in describe_pod(p, None, NOW).splitlines()]
    start = lines.index(["Limits:"])
    assert lines[start + 1:start + 6] == [
        ["cpu:", "1"], ["Requests:"], ["cpu:", "500m"], ["example.com/x:", "05"], ["memory:", "1536Mi"],
    ]
