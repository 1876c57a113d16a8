"""Scheduler plugins and cycle, with cases ported from kube-scheduler's plugin tests."""

from __future__ import annotations

import random
from typing import Any

import pytest

from engine.scheduler import (
    NodeInfo,
    Taint,
    Toleration,
    compute_pod_resources,
    explain,
    get_pod_info,
    schedule,
)
from engine.scheduler.filters import node_affinity, node_ports, run_filters
from engine.scheduler.scores import (
    balanced_allocation,
    balanced_allocation_skipped,
    default_normalize_score,
    least_allocated,
)

Obj = dict[str, Any]


# --- builders -------------------------------------------------------------------------


def make_node(
    name: str,
    cpu: str | None = "4",
    memory: str | None = "8Gi",
    pods: str | None = "110",
    *,
    labels: dict[str, str] | None = None,
    taints: list[Obj] | None = None,
    unschedulable: bool = False,
    extra: dict[str, str] | None = None,
) -> Obj:
    allocatable = {k: v for k, v in (("cpu", cpu), ("memory", memory), ("pods", pods)) if v is not None}
    allocatable.update(extra or {})
    spec: Obj = {}
    if taints:
        spec["taints"] = taints
    if unschedulable:
        spec["unschedulable"] = True
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels or {}},
        "spec": spec,
        "status": {"capacity": dict(allocatable), "allocatable": allocatable},
    }


def container(requests: dict[str, str] | None = None, limits: dict[str, str] | None = None, **kw: Any) -> Obj:
    resources: Obj = {}
    if requests is not None:
        resources["requests"] = requests
    if limits is not None:
        resources["limits"] = limits
    return {"name": kw.pop("name", "c"), "image": "nginx", "resources": resources, **kw}


def make_pod(name: str = "p", *containers: Obj, node_name: str = "", **spec: Any) -> Obj:
    body: Obj = {"containers": list(containers), **spec}
    if node_name:
        body["nodeName"] = node_name
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default"},
        "spec": body,
    }


def req(cpu: str | None = None, memory: str | None = None, **other: str) -> Obj:
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    requests.update({k.replace("_", "-"): v for k, v in other.items()})
    return container(requests)


def infos(*nodes: Obj) -> list[NodeInfo]:
    return [NodeInfo(n) for n in nodes]


# --- FitError messages ----------------------------------------------------------------

NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"


def test_mixed_resource_reasons_across_three_nodes() -> None:
    n1, n2, n3 = infos(make_node("n1", cpu="2"), make_node("n2", memory="4Gi"), make_node("n3", memory="4Gi"))
    n1.add_pod(make_pod("hog-cpu", req(cpu="1500m")))
    n2.add_pod(make_pod("hog-mem-1", req(memory="3584Mi")))
    n3.add_pod(make_pod("hog-mem-2", req(memory="3584Mi")))
    result = schedule(make_pod("web", req(cpu="1", memory="1Gi")), [n1, n2, n3])
    assert result.node_name is None
    assert result.message == (
        "0/3 nodes are available: 1 Insufficient cpu, 2 Insufficient memory. "
        "no new claims to deallocate, "
        "preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."
    )
    assert result.rejected_by == {"NodeResourcesFit"}


def test_one_node_can_report_several_resources() -> None:
    node = NodeInfo(make_node("n1", cpu="1", memory="1Gi", extra={"ephemeral-storage": "1Gi"}))
    node.add_pod(make_pod("hog", req(cpu="1", memory="1Gi")))
    pod = make_pod("web", req(cpu="100m", memory="1Mi", ephemeral_storage="2Gi", **{"example.com/foo": "1"}))
    result = schedule(pod, [node])
    decision = result.decisions[0]
    assert decision.plugin == "NodeResourcesFit"
    assert decision.reasons == (
        "Insufficient cpu",
        "Insufficient memory",
        "Insufficient ephemeral-storage",
        "Insufficient example.com/foo",
    )
    # ephemeral-storage and the extended resource exceed the node outright.
    assert decision.unresolvable
    assert result.message == (
        "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient ephemeral-storage, "
        "1 Insufficient example.com/foo, 1 Insufficient memory. "
        f"no new claims to deallocate, preemption: 0/1 nodes are available: 1 {NOT_HELPFUL}."
    )


def test_request_larger_than_whole_node_is_unresolvable() -> None:
    # k/k#131345: preemption can't help when even an empty node is too small.
    small, busy = infos(make_node("small", cpu="1"), make_node("busy", cpu="4"))
    busy.add_pod(make_pod("hog", req(cpu="3")))
    result = schedule(make_pod("big", req(cpu="2")), [small, busy])
    assert result.message == (
        "0/2 nodes are available: 2 Insufficient cpu. "
        f"no new claims to deallocate, preemption: 0/2 nodes are available: 1 {NO_VICTIMS}, 1 {NOT_HELPFUL}."
    )


def test_untolerated_taint_text() -> None:
    nodes = infos(
        make_node("cp", taints=[{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]),
        make_node("gpu", taints=[{"key": "nvidia.com/gpu", "value": "present", "effect": "NoExecute"}]),
    )
    result = schedule(make_pod("web", req(cpu="100m")), nodes)
    assert result.message == (
        "0/2 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "1 node(s) had untolerated taint {nvidia.com/gpu: present}. "
        f"no new claims to deallocate, preemption: 0/2 nodes are available: 2 {NOT_HELPFUL}."
    )


def test_prefer_no_schedule_taint_does_not_filter() -> None:
    node = NodeInfo(make_node("n1", taints=[{"key": "a", "value": "b", "effect": "PreferNoSchedule"}]))
    assert schedule(make_pod("web", req(cpu="100m")), [node]).node_name == "n1"


def test_not_ready_node_filtered_by_its_taint() -> None:
    # The DefaultTolerationSeconds NoExecute toleration doesn't cover the NoSchedule taint.
    not_ready = make_node("n1", taints=[{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}])
    pod = make_pod(
        "web",
        req(cpu="100m"),
        tolerations=[
            {
                "key": "node.kubernetes.io/not-ready",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 300,
            }
        ],
    )
    result = schedule(pod, [NodeInfo(not_ready)])
    assert result.message.startswith(
        "0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }."
    )


def test_node_selector_mismatch() -> None:
    nodes = infos(make_node("a", labels={"disk": "hdd"}), make_node("b"))
    result = schedule(make_pod("web", req(cpu="100m"), nodeSelector={"disk": "ssd"}), nodes)
    assert result.message == (
        "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. "
        f"no new claims to deallocate, preemption: 0/2 nodes are available: 2 {NOT_HELPFUL}."
    )


def test_too_many_pods() -> None:
    node = NodeInfo(make_node("n1", pods="1"))
    node.add_pod(make_pod("first", req(cpu="100m")))
    result = schedule(make_pod("second", req(cpu="100m")), [node])
    assert result.message == (
        f"0/1 nodes are available: 1 Too many pods. no new claims to deallocate, "
        f"preemption: 0/1 nodes are available: 1 {NO_VICTIMS}."
    )


def test_node_without_pod_capacity_fits_nothing() -> None:
    result = schedule(make_pod("web"), [NodeInfo(make_node("n1", pods=None))])
    assert result.decisions[0].reasons == ("Too many pods",)


def test_reason_histogram_sorts_as_strings() -> None:
    nodes = [NodeInfo(make_node(f"big-{i:02}", cpu="1")) for i in range(10)]
    nodes += [NodeInfo(make_node(f"odd-{i}", labels={"x": "y"})) for i in range(2)]
    pod = make_pod("web", req(cpu="2"), nodeSelector={"x": "y"})
    for node in nodes[10:]:
        node.add_pod(make_pod(f"hog-{node.name}", req(cpu="3")))
    result = schedule(pod, nodes)
    # Go's sort.Strings puts "10 ..." before "2 ...".
    assert result.message == (
        "0/12 nodes are available: 10 node(s) didn't match Pod's node affinity/selector, 2 Insufficient cpu. "
        f"no new claims to deallocate, preemption: 0/12 nodes are available: 10 {NOT_HELPFUL}, 2 {NO_VICTIMS}."
    )


def test_first_failing_plugin_wins() -> None:
    node = NodeInfo(make_node("n1", cpu="1", unschedulable=True, labels={"a": "b"}))
    result = schedule(make_pod("web", req(cpu="2"), nodeSelector={"a": "c"}), [node])
    assert result.decisions[0].plugin == "NodeUnschedulable"
    assert result.message == (
        "0/1 nodes are available: 1 node(s) were unschedulable. "
        f"no new claims to deallocate, preemption: 0/1 nodes are available: 1 {NOT_HELPFUL}."
    )


def test_unschedulable_node_tolerated() -> None:
    node = NodeInfo(make_node("n1", unschedulable=True))
    tolerant = make_pod(
        "ds",
        req(cpu="100m"),
        tolerations=[
            {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"}
        ],
    )
    assert schedule(tolerant, [node]).node_name == "n1"


def test_node_name_mismatch() -> None:
    nodes = infos(make_node("a"), make_node("b"))
    result = schedule(make_pod("web", req(cpu="100m"), node_name="b"), nodes)
    assert result.node_name == "b"
    assert result.decisions[0].reasons == ("node(s) didn't match the requested node name",)


def test_zero_nodes() -> None:
    result = schedule(make_pod("web"), [])
    assert result.node_name is None
    assert result.message == "no nodes available to schedule pods"


def test_preemption_policy_never() -> None:
    node = NodeInfo(make_node("n1", cpu="1"))
    node.add_pod(make_pod("hog", req(cpu="1")))
    result = schedule(make_pod("web", req(cpu="1"), preemptionPolicy="Never"), [node])
    assert result.message == (
        "0/1 nodes are available: 1 Insufficient cpu. no new claims to deallocate, "
        "preemption: not eligible due to preemptionPolicy=Never."
    )


def _pinned_to(node_name: str) -> Obj:
    return {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node_name]}]}
                ]
            }
        }
    }


def test_daemonset_style_pin_reports_other_nodes_as_prefiltered() -> None:
    nodes = infos(make_node("a", cpu="1"), make_node("b"), make_node("c"))
    nodes[0].add_pod(make_pod("hog", req(cpu="1")))
    result = schedule(make_pod("ds-a", req(cpu="100m"), affinity=_pinned_to("a")), nodes)
    assert result.message == (
        "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't satisfy plugin(s) [NodeAffinity]. "
        f"no new claims to deallocate, preemption: 0/3 nodes are available: 1 {NO_VICTIMS}, 2 {NOT_HELPFUL}."
    )
    assert schedule(make_pod("ds-b", req(cpu="100m"), affinity=_pinned_to("b")), nodes).node_name == "b"


def test_conflicting_node_name_terms_fail_prefilter() -> None:
    affinity = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {
                        "matchFields": [
                            {"key": "metadata.name", "operator": "In", "values": ["a"]},
                            {"key": "metadata.name", "operator": "In", "values": ["b"]},
                        ]
                    }
                ]
            }
        }
    }
    result = schedule(make_pod("web", affinity=affinity), infos(make_node("a"), make_node("b")))
    assert result.message == (
        "0/2 nodes are available: pod affinity terms conflict. "
        f"no new claims to deallocate, preemption: 0/2 nodes are available: 2 {NOT_HELPFUL}."
    )


def test_host_port_conflict_message() -> None:
    node = NodeInfo(make_node("n1"))
    node.add_pod(make_pod("a", container(ports=[{"containerPort": 80, "hostPort": 8080}])))
    result = schedule(make_pod("b", container(ports=[{"containerPort": 80, "hostPort": 8080}])), [node])
    assert result.message == (
        "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports. "
        f"no new claims to deallocate, preemption: 0/1 nodes are available: 1 {NO_VICTIMS}."
    )


# --- tolerations ------------------------------------------------------------------------

TOLERATION_CASES = [
    # (toleration, taint, tolerated) after api/core/v1 TestTolerationToleratesTaint.
    (Toleration("", "Exists"), Taint("foo", "bar", "NoSchedule"), True),
    (Toleration("", "Exists", effect="NoExecute"), Taint("foo", "bar", "NoSchedule"), False),
    (Toleration("foo", "Exists"), Taint("foo", "bar", "PreferNoSchedule"), True),
    (Toleration("foo", "Exists", effect="NoSchedule"), Taint("foo", "", "NoSchedule"), True),
    (Toleration("foo", "Equal", "bar", "NoSchedule"), Taint("foo", "bar", "NoSchedule"), True),
    (Toleration("foo", "", "bar", "NoSchedule"), Taint("foo", "bar", "NoSchedule"), True),
    (Toleration("foo", "Equal", "bar", "NoSchedule"), Taint("foo", "baz", "NoSchedule"), False),
    (Toleration("foo", "Equal", "bar", "NoSchedule"), Taint("foo", "bar", "NoExecute"), False),
    (Toleration("foo", "Equal", "bar"), Taint("foo", "bar", "NoExecute"), True),
    (Toleration("foo", "Equal", ""), Taint("foo", "", "NoSchedule"), True),
    (Toleration("other", "Exists"), Taint("foo", "bar", "NoSchedule"), False),
    (Toleration("foo", "Bogus", "bar"), Taint("foo", "bar", "NoSchedule"), False),
]


@pytest.mark.parametrize(("toleration", "taint", "tolerated"), TOLERATION_CASES)
def test_toleration_matching(toleration: Toleration, taint: Taint, tolerated: bool) -> None:
    assert toleration.tolerates(taint) is tolerated


def test_first_untolerated_taint_in_node_order_is_reported() -> None:
    taints = [
        {"key": "a", "value": "1", "effect": "NoSchedule"},
        {"key": "b", "value": "2", "effect": "NoExecute"},
        {"key": "c", "value": "3", "effect": "NoSchedule"},
    ]
    node = NodeInfo(make_node("n1", taints=taints))
    pod = make_pod("web", tolerations=[{"key": "a", "operator": "Exists"}])
    failure = run_filters(get_pod_info(pod), node)
    assert failure is not None
    assert failure.reasons == ("node(s) had untolerated taint {b: 2}",)


# --- node affinity ----------------------------------------------------------------------

LABELS = {"zone": "us-1a", "gpu-count": "4", "disk": "ssd"}


def _expr(key: str, operator: str, *values: str) -> Obj:
    out: Obj = {"key": key, "operator": operator}
    if values:
        out["values"] = list(values)
    return out


def _required(*terms: Obj) -> Obj:
    return {
        "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": list(terms)}}
    }


AFFINITY_CASES = [
    ("In matches", [{"matchExpressions": [_expr("zone", "In", "us-1a", "us-1b")]}], True),
    ("In misses", [{"matchExpressions": [_expr("zone", "In", "us-1b")]}], False),
    ("In needs the label", [{"matchExpressions": [_expr("rack", "In", "r1")]}], False),
    ("NotIn excludes", [{"matchExpressions": [_expr("zone", "NotIn", "us-1a")]}], False),
    ("NotIn passes absent label", [{"matchExpressions": [_expr("rack", "NotIn", "r1")]}], True),
    ("Exists", [{"matchExpressions": [_expr("disk", "Exists")]}], True),
    ("Exists absent", [{"matchExpressions": [_expr("rack", "Exists")]}], False),
    ("DoesNotExist", [{"matchExpressions": [_expr("rack", "DoesNotExist")]}], True),
    ("DoesNotExist present", [{"matchExpressions": [_expr("disk", "DoesNotExist")]}], False),
    ("Gt", [{"matchExpressions": [_expr("gpu-count", "Gt", "3")]}], True),
    ("Gt equal", [{"matchExpressions": [_expr("gpu-count", "Gt", "4")]}], False),
    ("Lt", [{"matchExpressions": [_expr("gpu-count", "Lt", "5")]}], True),
    ("Lt on non-integer label", [{"matchExpressions": [_expr("zone", "Lt", "5")]}], False),
    ("Gt with bad value never matches", [{"matchExpressions": [_expr("gpu-count", "Gt", "three")]}], False),
    ("In without values never matches", [{"matchExpressions": [_expr("zone", "In")]}], False),
    ("Exists with values never matches", [{"matchExpressions": [_expr("zone", "Exists", "x")]}], False),
    (
        "expressions are ANDed",
        [{"matchExpressions": [_expr("zone", "In", "us-1a"), _expr("disk", "In", "hdd")]}],
        False,
    ),
    (
        "terms are ORed",
        [
            {"matchExpressions": [_expr("disk", "In", "hdd")]},
            {"matchExpressions": [_expr("zone", "In", "us-1a")]},
        ],
        True,
    ),
    ("an empty term matches nothing", [{}], False),
    ("no terms match nothing", [], False),
    ("matchFields In", [{"matchFields": [_expr("metadata.name", "In", "node-1")]}], True),
    ("matchFields NotIn", [{"matchFields": [_expr("metadata.name", "NotIn", "node-1")]}], False),
    (
        "matchFields and expressions together",
        [
            {
                "matchFields": [_expr("metadata.name", "In", "node-1")],
                "matchExpressions": [_expr("disk", "In", "hdd")],
            }
        ],
        False,
    ),
]


@pytest.mark.parametrize(("name", "terms", "matches"), AFFINITY_CASES, ids=[c[0] for c in AFFINITY_CASES])
def test_node_affinity_operators(name: str, terms: list[Obj], matches: bool) -> None:
    node = NodeInfo(make_node("node-1", labels=LABELS))
    failure = node_affinity(get_pod_info(make_pod("web", affinity=_required(*terms))), node)
    assert (failure is None) is matches


def test_node_selector_and_affinity_are_anded() -> None:
    node = NodeInfo(make_node("node-1", labels=LABELS))
    affinity = _required({"matchExpressions": [_expr("zone", "In", "us-1a")]})
    assert (
        node_affinity(get_pod_info(make_pod(affinity=affinity, nodeSelector={"disk": "ssd"})), node) is None
    )
    assert (
        node_affinity(get_pod_info(make_pod(affinity=affinity, nodeSelector={"disk": "hdd"})), node)
        is not None
    )


def test_preferred_affinity_steers_choice() -> None:
    nodes = infos(make_node("a", labels={"zone": "x"}), make_node("b", labels={"zone": "y"}))
    affinity = {
        "nodeAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 80, "preference": {"matchExpressions": [_expr("zone", "In", "y")]}},
                {"weight": 20, "preference": {"matchExpressions": [_expr("zone", "In", "x")]}},
            ]
        }
    }
    result = schedule(make_pod("web", req(cpu="100m"), affinity=affinity), nodes)
    assert result.node_name == "b"
    scores = {d.node_name: d.scores["NodeAffinity"] for d in result.decisions}
    assert scores == {"a": 25, "b": 100}


# --- host ports -------------------------------------------------------------------------


def _port_pod(name: str, port: int, protocol: str = "TCP", host_ip: str = "") -> Obj:
    spec = {"containerPort": port, "hostPort": port, "protocol": protocol}
    if host_ip:
        spec["hostIP"] = host_ip
    return make_pod(name, container(ports=[spec]))


@pytest.mark.parametrize(
    ("existing", "incoming", "conflict"),
    [
        (_port_pod("a", 8080), _port_pod("b", 8080), True),
        (_port_pod("a", 8080), _port_pod("b", 8081), False),
        (_port_pod("a", 8080, "UDP"), _port_pod("b", 8080), False),
        (_port_pod("a", 8080, host_ip="10.0.0.1"), _port_pod("b", 8080, host_ip="10.0.0.2"), False),
        (_port_pod("a", 8080, host_ip="10.0.0.1"), _port_pod("b", 8080, host_ip="10.0.0.1"), True),
        (_port_pod("a", 8080, host_ip="10.0.0.1"), _port_pod("b", 8080), True),
        (_port_pod("a", 8080), _port_pod("b", 8080, host_ip="10.0.0.1"), True),
        (make_pod("a", container(ports=[{"containerPort": 8080}])), _port_pod("b", 8080), False),
    ],
)
def test_host_ports(existing: Obj, incoming: Obj, conflict: bool) -> None:
    node = NodeInfo(make_node("n1"))
    node.add_pod(existing)
    assert (node_ports(get_pod_info(incoming), node) is not None) is conflict


def test_removing_a_pod_frees_its_port() -> None:
    node = NodeInfo(make_node("n1"))
    holder = _port_pod("a", 8080)
    node.add_pod(holder)
    assert schedule(_port_pod("b", 8080), [node]).node_name is None
    assert node.remove_pod(holder)
    assert schedule(_port_pod("b", 8080), [node]).node_name == "n1"


# --- requests ---------------------------------------------------------------------------


def test_requests_sum_containers_and_max_init_containers() -> None:
    # The computePodResourceRequest doc example: CPU 3, memory 3G.
    pod = make_pod(
        "p",
        req(cpu="2", memory="1G"),
        req(cpu="1", memory="1G"),
        initContainers=[req(cpu="2", memory="1G"), req(cpu="2", memory="3G")],
    )
    res = compute_pod_resources(pod)
    assert (res.milli_cpu, res.memory) == (3000, 3 * 10**9)


def test_sidecars_add_to_everything_after_them() -> None:
    sidecar = {**req(cpu="500m", memory="100Mi"), "restartPolicy": "Always"}
    pod = make_pod("p", req(cpu="1"), initContainers=[req(cpu="1200m"), sidecar, req(cpu="1200m")])
    # max(1 + 0.5 running, 1.2 first init, 0.5 + 1.2 second init) = 1.7
    assert compute_pod_resources(pod).milli_cpu == 1700


def test_limits_default_requests_and_overhead_adds() -> None:
    pod = make_pod(
        "p",
        container(limits={"cpu": "500m", "memory": "64Mi"}, requests={"cpu": "250m"}),
        overhead={"cpu": "100m"},
    )
    res = compute_pod_resources(pod)
    assert (res.milli_cpu, res.memory) == (350, 64 * 2**20)


def test_nonzero_defaults_apply_per_container() -> None:
    pod = make_pod("p", container(), req(cpu="0"), req(memory="1Gi"))
    res = compute_pod_resources(pod)
    assert (res.milli_cpu, res.memory) == (0, 2**30)
    # An explicit zero stays zero; each missing request counts as 100m / 200Mi.
    assert res.nonzero_milli_cpu == 100 + 0 + 100
    assert res.nonzero_memory == 200 * 2**20 * 2 + 2**30


def test_pod_level_requests_override_containers() -> None:
    pod = make_pod(
        "p", req(cpu="100m"), req(cpu="100m"), resources={"requests": {"cpu": "1", "memory": "1Gi"}}
    )
    res = compute_pod_resources(pod)
    assert (res.milli_cpu, res.memory, res.nonzero_milli_cpu, res.nonzero_memory) == (
        1000,
        2**30,
        1000,
        2**30,
    )


def test_fractional_requests_sum_before_rounding() -> None:
    pod = make_pod("p", req(cpu="0.5m"), req(cpu="0.5m"))
    assert compute_pod_resources(pod).milli_cpu == 1


# --- NodeInfo ---------------------------------------------------------------------------


def test_node_info_tracks_pods_incrementally() -> None:
    node = NodeInfo(make_node("n1"))
    pod = make_pod("a", req(cpu="250m", memory="64Mi"))
    node.add_pod(pod)
    node.add_pod(pod)  # re-adding replaces rather than double counts
    assert (node.pod_count, node.requested_milli_cpu, node.requested_memory) == (1, 250, 64 * 2**20)
    assert node.pod_keys == ["default/a"]
    generation = node.generation
    assert node.remove_pod("default/a")
    assert not node.remove_pod("default/a")
    assert (node.pod_count, node.requested_milli_cpu, node.nonzero_milli_cpu) == (0, 0, 0)
    assert node.generation > generation


def test_set_node_refreshes_verdicts() -> None:
    node = NodeInfo(make_node("n1", cpu="1"))
    pod = make_pod("web", req(cpu="2"))
    assert schedule(pod, [node]).node_name is None
    node.set_node(make_node("n1", cpu="4"))
    assert schedule(pod, [node]).node_name == "n1"


# --- scores -----------------------------------------------------------------------------


def _capacity_node(name: str, cpu: str, memory: str, pods: list[Obj]) -> NodeInfo:
    return NodeInfo.from_objects(make_node(name, cpu=cpu, memory=memory, pods="110"), pods)


def _req_pod(name: str, *requests: tuple[str, str]) -> Obj:
    return make_pod(name, *(req(cpu=c, memory=m) for c, m in requests))


# least_allocated_test.go TestLeastAllocatedScoringStrategy (cpu given in cores there too).
LEAST_ALLOCATED_CASES = [
    (
        "nothing scheduled, nothing requested",
        make_pod("p"),
        [("4000", "10000", []), ("4000", "10000", [])],
        [100, 100],
    ),
    (
        "nothing scheduled, resources requested, differently sized nodes",
        _req_pod("p", ("1000", "2000"), ("2000", "3000")),
        [("4000", "10000", []), ("6000", "10000", [])],
        [37, 50],
    ),
    (
        "no resources requested, pods scheduled",
        make_pod("p"),
        [
            ("4000", "10000", [make_pod("e1"), make_pod("e2")]),
            ("4000", "10000", [make_pod("e3"), make_pod("e4")]),
        ],
        [100, 100],
    ),
    (
        "no resources requested, pods scheduled with resources",
        make_pod("p"),
        [
            ("10000", "20000", [_req_pod("e1", ("3000", "0")), _req_pod("e2", ("3000", "0"))]),
            ("10000", "20000", [_req_pod("e3", ("3000", "0")), _req_pod("e4", ("3000", "5000"))]),
        ],
        [70, 57],
    ),
    (
        "resources requested, pods scheduled with resources",
        _req_pod("p", ("1000", "2000"), ("2000", "3000")),
        [
            ("10000", "20000", [_req_pod("e1", ("3000", "0"))]),
            ("10000", "20000", [_req_pod("e2", ("3000", "5000"))]),
        ],
        [57, 45],
    ),
    (
        "resources requested, pods scheduled with resources, differently sized nodes",
        _req_pod("p", ("1000", "2000"), ("2000", "3000")),
        [
            ("10000", "20000", [_req_pod("e1", ("3000", "0"))]),
            ("10000", "50000", [_req_pod("e2", ("3000", "5000"))]),
        ],
        [57, 60],
    ),
    (
        "requested resources exceed node capacity",
        _req_pod("p", ("3000", "0")),
        [
            ("4000", "10000", [_req_pod("e1", ("3000", "0"))]),
            ("4000", "10000", [_req_pod("e2", ("3000", "5000"))]),
        ],
        [50, 25],
    ),
    (
        "zero node resources, pods scheduled with resources",
        make_pod("p"),
        [("0", "0", [_req_pod("e1", ("3000", "0"))]), ("0", "0", [_req_pod("e2", ("3000", "5000"))])],
        [0, 0],
    ),
]


@pytest.mark.parametrize(
    ("name", "pod", "nodes", "expected"), LEAST_ALLOCATED_CASES, ids=[c[0] for c in LEAST_ALLOCATED_CASES]
)
def test_least_allocated(
    name: str, pod: Obj, nodes: list[tuple[str, str, list[Obj]]], expected: list[int]
) -> None:
    infos_ = [_capacity_node(f"node{i}", cpu, mem, pods) for i, (cpu, mem, pods) in enumerate(nodes, 1)]
    res = get_pod_info(pod).resources
    assert [least_allocated(res, node) for node in infos_] == expected


def _milli(cpu_millis: int) -> str:
    return f"{cpu_millis}m"


CPU_ONLY = _req_pod("cpu-only", ("1000m", "0"), ("2000m", "0"))
CPU_AND_MEMORY = _req_pod("cpu-and-memory", ("1000m", "2000"), ("2000m", "3000"))

# balanced_allocation_test.go TestNodeResourcesBalancedAllocation (makeNode takes milli-cpu).
BALANCED_CASES = [
    (
        "nothing scheduled, resources requested, differently sized nodes",
        CPU_AND_MEMORY,
        [(4000, "10000", []), (6000, "10000", [])],
        [87, 100],
    ),
    (
        "resources requested, pods scheduled with resources",
        CPU_AND_MEMORY,
        [(10000, "20000", [CPU_ONLY]), (10000, "20000", [CPU_AND_MEMORY])],
        [82, 95],
    ),
    (
        "resources requested, pods scheduled with resources, differently sized nodes",
        CPU_AND_MEMORY,
        [(10000, "20000", [CPU_ONLY]), (10000, "50000", [CPU_AND_MEMORY])],
        [82, 80],
    ),
    (
        "requested resources at node capacity",
        CPU_ONLY,
        [(6000, "10000", [CPU_ONLY]), (6000, "10000", [CPU_AND_MEMORY])],
        [50, 75],
    ),
]


@pytest.mark.parametrize(
    ("name", "pod", "nodes", "expected"), BALANCED_CASES, ids=[c[0] for c in BALANCED_CASES]
)
def test_balanced_allocation(
    name: str, pod: Obj, nodes: list[tuple[int, str, list[Obj]]], expected: list[int]
) -> None:
    infos_ = [
        _capacity_node(f"node{i}", _milli(cpu), mem, pods) for i, (cpu, mem, pods) in enumerate(nodes, 1)
    ]
    res = get_pod_info(pod).resources
    assert [balanced_allocation(res, node) for node in infos_] == expected


def test_balanced_allocation_skips_best_effort_pods() -> None:
    assert balanced_allocation_skipped(get_pod_info(make_pod("p", container())).resources)
    assert not balanced_allocation_skipped(get_pod_info(CPU_ONLY).resources)
    nodes = infos(make_node("a"), make_node("b"))
    result = schedule(make_pod("p", container()), nodes)
    assert all(d.scores["NodeResourcesBalancedAllocation"] is None for d in result.decisions)


@pytest.mark.parametrize(
    ("scores", "reverse", "expected"),
    [
        ([0, 0, 0], True, [100, 100, 100]),
        ([0, 0, 0], False, [0, 0, 0]),
        ([1, 2, 4], False, [25, 50, 100]),
        ([1, 2, 4], True, [75, 50, 0]),
        ([3, 0], True, [0, 100]),
    ],
)
def test_default_normalize_score(scores: list[int], reverse: bool, expected: list[int]) -> None:
    assert default_normalize_score(scores, reverse) == expected


# --- picking a node ---------------------------------------------------------------------


def test_least_loaded_node_is_chosen() -> None:
    nodes = infos(make_node("a"), make_node("b"), make_node("c"))
    nodes[0].add_pod(make_pod("x", req(cpu="2", memory="4Gi")))
    nodes[2].add_pod(make_pod("y", req(cpu="1", memory="1Gi")))
    result = schedule(make_pod("web", req(cpu="500m", memory="512Mi")), nodes)
    assert result.node_name == "b"
    assert result.feasible_nodes == 3
    totals = {d.node_name: d.total for d in result.decisions}
    assert totals["b"] == max(totals.values())
    chosen = next(d for d in result.decisions if d.selected)
    assert chosen.node_name == "b"
    # TaintToleration: no PreferNoSchedule taints anywhere, so 100 each (x3).
    assert chosen.scores["TaintToleration"] == 100
    assert chosen.scores["NodeAffinity"] is None


def test_prefer_no_schedule_taint_lowers_score() -> None:
    nodes = infos(
        make_node("a", taints=[{"key": "k", "value": "v", "effect": "PreferNoSchedule"}]), make_node("b")
    )
    result = schedule(make_pod("web", req(cpu="100m")), nodes)
    assert result.node_name == "b"
    assert {d.node_name: d.scores["TaintToleration"] for d in result.decisions} == {"a": 0, "b": 100}


def test_ties_are_deterministic() -> None:
    nodes = infos(make_node("c"), make_node("a"), make_node("b"))
    pod = make_pod("web", req(cpu="100m"))
    assert schedule(pod, nodes).node_name == "a"
    picks = {schedule(pod, nodes, random.Random(seed)).node_name for seed in range(30)}
    assert picks == {"a", "b", "c"}
    first = [schedule(pod, nodes, random.Random(7)).node_name for _ in range(3)]
    assert len(set(first)) == 1


def test_spreads_a_replica_set_over_nodes() -> None:
    nodes = infos(make_node("a"), make_node("b"), make_node("c"))
    by_name = {n.name: n for n in nodes}
    for i in range(9):
        pod = make_pod(f"web-{i}", req(cpu="100m", memory="128Mi"))
        result = schedule(pod, nodes)
        assert result.node_name is not None
        by_name[result.node_name].add_pod(pod)
    assert [n.pod_count for n in nodes] == [3, 3, 3]


def test_single_feasible_node_is_not_scored() -> None:
    nodes = infos(make_node("a"), make_node("b", cpu="100m"))
    result = schedule(make_pod("web", req(cpu="1")), nodes)
    assert result.node_name == "a"
    assert result.decisions[0].total is None


def test_explain_lists_each_node() -> None:
    nodes = infos(make_node("a"), make_node("b", cpu="100m"), make_node("c"))
    text = explain(schedule(make_pod("web", req(cpu="1")), nodes))
    lines = text.splitlines()
    assert lines[0].startswith("Pod default/web scheduled to ")
    assert "TOTAL" in lines[1]
    assert any(line.startswith("b ") and "NodeResourcesFit: Insufficient cpu" in line for line in lines)
    assert "selected" in lines[2]

    failed = explain(schedule(make_pod("web", req(cpu="8")), nodes))
    assert failed.splitlines()[0].startswith("Pod default/web is unschedulable: 0/3 nodes are available:")
    assert "TOTAL" not in failed


@pytest.mark.parametrize(("nodes", "expected"), [(3, 3), (99, 99), (100, 100), (250, 120), (1000, 420),
                                                 (5000, 500), (6000, 300)])
def test_num_feasible_nodes_to_find_matches_upstream(nodes: int, expected: int) -> None:
    from engine.scheduler.scheduler import num_feasible_nodes_to_find

    assert num_feasible_nodes_to_find(nodes) == expected


def test_a_large_cluster_checks_a_rotating_subset_of_nodes() -> None:
    nodes = [NodeInfo(make_node(f"n-{i:03d}")) for i in range(250)]
    pod = make_pod("p", container({"cpu": "100m"}))
    first = schedule(pod, nodes, None, 0)
    assert first.processed == 120 and first.feasible_nodes == 120
    assert {d.node_name for d in first.decisions} == {f"n-{i:03d}" for i in range(120)}
    second = schedule(pod, nodes, None, 120 + 130)  # wraps around
    assert {d.node_name for d in second.decisions} == {f"n-{i:03d}" for i in range(120)}
    too_big = schedule(make_pod("big", container({"cpu": "64"})), nodes, None, 7)
    assert too_big.processed == 250 and too_big.message.startswith("0/250 nodes are available: 250 Insufficient cpu.")
