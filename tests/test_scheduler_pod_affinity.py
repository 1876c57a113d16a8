"""InterPodAffinity and PodTopologySpread: table tests with the arithmetic of upstream's plugin tests
(pkg/scheduler/framework/plugins/interpodaffinity, .../podtopologyspread: filtering_test.go, scoring_test.go)
and scenarios on the virtual clock whose FailedScheduling texts were copied from a v1.36 kube-scheduler."""

from __future__ import annotations

import math
from typing import Any

import pytest

from engine.cluster import Cluster
from engine.scheduler import NodeInfo, explain, schedule

Obj = dict[str, Any]
ZONE = "topology.kubernetes.io/zone"
HOST = "kubernetes.io/hostname"


def node(name: str, zone: str | None = None, taints: list[Obj] | None = None, **labels: str) -> Obj:
    node_labels = {HOST: name, **labels}
    if zone is not None:
        node_labels[ZONE] = zone
    return {
        "metadata": {"name": name, "labels": node_labels},
        "spec": {"taints": taints or []},
        "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"}},
    }


def pod(name: str, labels: dict[str, str] | None = None, node_name: str = "", namespace: str = "default",
        **spec: Any) -> Obj:
    body: Obj = {"containers": [{"name": "c", "image": "nginx"}], **spec}
    if node_name:
        body["nodeName"] = node_name
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace,
                                                           "labels": labels or {}}, "spec": body}


def spread(key: str, max_skew: int = 1, when: str = "DoNotSchedule", **extra: Any) -> Obj:
    return {"maxSkew": max_skew, "topologyKey": key, "whenUnsatisfiable": when,
            "labelSelector": {"matchLabels": {"foo": ""}}, **extra}


def term(key: str = HOST, **match: str) -> Obj:
    return {"labelSelector": {"matchLabels": match}, "topologyKey": key}


def cluster_of(nodes: list[Obj], pods: list[Obj]) -> list[NodeInfo]:
    infos = {n["metadata"]["name"]: NodeInfo(n) for n in nodes}
    for p in pods:
        infos[p["spec"]["nodeName"]].add_pod(p)
    return list(infos.values())


def verdicts(incoming: Obj, nodes: list[NodeInfo]) -> dict[str, str]:
    """Node -> "" when it passes, else its rejection reasons."""
    result = schedule(incoming, nodes)
    return {d.node_name: ", ".join(d.reasons) for d in result.decisions}


FOUR_NODES = [node("node-a", "zone1"), node("node-b", "zone1"), node("node-x", "zone2"), node("node-y", "zone2")]
NOT_MATCH = "node(s) didn't match pod topology spread constraints"


# --- PodTopologySpread Filter (filtering_test.go TestSingleConstraint / TestMultipleConstraints) -----------------

SPREAD_FILTER_CASES = [
    (
        "no existing pods: every node fits",
        {"topologySpreadConstraints": [spread(ZONE)]},
        [],
        {"node-a": "", "node-b": "", "node-x": "", "node-y": ""},
    ),
    (
        # zone1 holds 3 matching pods, zone2 2: 3+1-2 > 1 rejects zone1.
        "pods spread across zones as 3/2: only zone2 fits",
        {"topologySpreadConstraints": [spread(ZONE)]},
        [("p-a1", "node-a"), ("p-a2", "node-a"), ("p-b1", "node-b"), ("p-x1", "node-x"), ("p-y1", "node-y")],
        {"node-a": NOT_MATCH, "node-b": NOT_MATCH, "node-x": "", "node-y": ""},
    ),
    (
        # hostname domains 2/1/0/0 with maxSkew 1: the empty nodes only.
        "spread by hostname: only the emptiest nodes fit",
        {"topologySpreadConstraints": [spread(HOST)]},
        [("p-a1", "node-a"), ("p-a2", "node-a"), ("p-b1", "node-b")],
        {"node-a": NOT_MATCH, "node-b": NOT_MATCH, "node-x": "", "node-y": ""},
    ),
    (
        # Two constraints: zone 2/1 is fine for maxSkew 1 anywhere but the hostname one rejects node-a.
        "zone and hostname constraints: both must hold",
        {"topologySpreadConstraints": [spread(ZONE), spread(HOST)]},
        [("p-a1", "node-a"), ("p-b1", "node-b"), ("p-x1", "node-x")],
        {"node-a": NOT_MATCH, "node-b": NOT_MATCH, "node-x": NOT_MATCH, "node-y": ""},
    ),
    (
        # minDomains 3 with only 2 zones: the global minimum counts as 0, so zone2's 1 pod + itself is a skew of 2.
        "minDomains above the number of domains",
        {"topologySpreadConstraints": [spread(ZONE, minDomains=3)]},
        [("p-a1", "node-a"), ("p-x1", "node-x")],
        {"node-a": NOT_MATCH, "node-b": NOT_MATCH, "node-x": NOT_MATCH, "node-y": NOT_MATCH},
    ),
    (
        "a pod that doesn't match its own selector doesn't add itself",
        {"topologySpreadConstraints": [{**spread(ZONE), "labelSelector": {"matchLabels": {"bar": ""}}}]},
        [],
        {"node-a": "", "node-b": "", "node-x": "", "node-y": ""},
    ),
]


@pytest.mark.parametrize(("name", "spec", "existing", "expected"), SPREAD_FILTER_CASES,
                         ids=[c[0] for c in SPREAD_FILTER_CASES])
def test_spread_filter(name: str, spec: Obj, existing: list[tuple[str, str]], expected: dict[str, str]) -> None:
    nodes = cluster_of(FOUR_NODES, [pod(p, {"foo": ""}, n) for p, n in existing])
    assert verdicts(pod("p", {"foo": ""}, **spec), nodes) == expected


def test_spread_counts_only_the_pods_namespace_and_not_terminating_pods() -> None:
    terminating = pod("p-a2", {"foo": ""}, "node-a")
    terminating["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    existing = [pod("p-a1", {"foo": ""}, "node-a", namespace="other"), terminating, pod("p-x1", {"foo": ""}, "node-x")]
    nodes = cluster_of(FOUR_NODES, existing)
    result = verdicts(pod("p", {"foo": ""}, topologySpreadConstraints=[spread(HOST)]), nodes)
    assert result == {"node-a": "", "node-b": "", "node-x": NOT_MATCH, "node-y": ""}


def test_node_without_the_topology_key_is_unresolvable() -> None:
    nodes = cluster_of([node("node-a", "zone1"), node("node-b")], [])
    result = schedule(pod("p", {"foo": ""}, topologySpreadConstraints=[spread(ZONE)]), nodes)
    decisions = {d.node_name: d for d in result.decisions}
    assert decisions["node-b"].reasons == (NOT_MATCH + " (missing required label)",)
    assert decisions["node-b"].unresolvable and result.node_name == "node-a"


def test_node_affinity_policy_decides_which_domains_count() -> None:
    """The kit's case: two pods on node-a, a third that must go there. Honor (default) counts node-a only, so the
    skew is 2+1-2; Ignore counts all three nodes, whose minimum is 0."""
    nodes_raw = [node("node-a"), node("node-b"), node("node-c")]
    existing = [pod("p1", {"foo": ""}, "node-a"), pod("p2", {"foo": ""}, "node-a")]
    selector = {"nodeSelector": {HOST: "node-a"}}
    honor = schedule(pod("p", {"foo": ""}, topologySpreadConstraints=[spread(HOST)], **selector),
                     cluster_of(nodes_raw, existing))
    assert honor.node_name == "node-a"
    ignore = schedule(pod("p", {"foo": ""}, topologySpreadConstraints=[spread(HOST, nodeAffinityPolicy="Ignore")],
                          **selector), cluster_of(nodes_raw, existing))
    assert ignore.message.startswith(
        "0/3 nodes are available: 1 node(s) didn't match pod topology spread constraints, "
        "2 node(s) didn't match Pod's node affinity/selector. no new claims to deallocate, "
        "preemption: 0/3 nodes are available: "
        "1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.")


def test_node_taints_policy_honor_leaves_out_tainted_domains() -> None:
    taint = [{"key": "k", "value": "v", "effect": "NoSchedule"}]
    nodes_raw = [node("node-a"), node("node-b"), node("node-c", taints=taint)]
    existing = [pod("p1", {"foo": ""}, "node-a")]
    # Ignore (default): node-c's empty domain makes the minimum 0, so node-a (1+1-0) is rejected.
    ignore = verdicts(pod("p", {"foo": ""}, topologySpreadConstraints=[spread(HOST)]), cluster_of(nodes_raw, existing))
    assert ignore["node-a"] == NOT_MATCH
    assert ignore["node-c"] == "node(s) had untolerated taint {k: v}"
    # Honor: the domains are node-a (1) and node-b (0): still a minimum of 0.
    honor_spec = [spread(HOST, nodeTaintsPolicy="Honor")]
    honor = verdicts(pod("p", {"foo": ""}, topologySpreadConstraints=honor_spec), cluster_of(nodes_raw, existing))
    assert honor["node-a"] == NOT_MATCH and honor["node-b"] == ""


def test_match_label_keys_narrow_the_selector_to_the_pods_own_values() -> None:
    existing = [pod("old1", {"foo": "", "hash": "v1"}, "node-a"), pod("old2", {"foo": "", "hash": "v1"}, "node-a")]
    constraint = spread(HOST, matchLabelKeys=["hash"])
    result = verdicts(pod("p", {"foo": "", "hash": "v2"}, topologySpreadConstraints=[constraint]),
                      cluster_of(FOUR_NODES, existing))
    assert set(result.values()) == {""}  # the v1 pods don't count for a v2 pod


# --- PodTopologySpread Score (scoring_test.go) -----------------------------------------------------------------


def test_spread_score_hostname() -> None:
    """One ScheduleAnyway hostname constraint, 4 candidates, pods 2/1/0/0: raw score count*ln(4+2) + (maxSkew-1),
    rounded, then normalised as 100*(max+min-s)/max."""
    existing = [pod(name, {"foo": ""}, at) for name, at in (("p-a1", "node-a"), ("p-a2", "node-a"), ("p-b1", "node-b"))]
    result = schedule(pod("p", {"foo": ""}, topologySpreadConstraints=[spread(HOST, when="ScheduleAnyway")]),
                      cluster_of(FOUR_NODES, existing))
    weight = math.log(6)
    raw = {"node-a": round(2 * weight), "node-b": round(weight), "node-x": 0, "node-y": 0}
    high, low = max(raw.values()), min(raw.values())
    expected = {n: 100 * (high + low - s) // high for n, s in raw.items()}
    assert expected == {"node-a": 0, "node-b": 50, "node-x": 100, "node-y": 100}
    assert {d.node_name: d.scores["PodTopologySpread"] for d in result.decisions} == expected
    assert result.node_name in ("node-x", "node-y")


def test_spread_score_zone_ignores_nodes_without_the_key() -> None:
    """Zone constraint: nodes in a zone share the zone's count; a node without the label is ignored (score 0)."""
    nodes_raw = [node("node-a", "zone1"), node("node-b", "zone1"), node("node-x", "zone2"), node("node-n")]
    existing = [pod(name, {"foo": ""}, at) for name, at in (("p-a1", "node-a"), ("p-x1", "node-x"), ("p-x2", "node-x"))]
    result = schedule(pod("p", {"foo": ""}, topologySpreadConstraints=[spread(ZONE, when="ScheduleAnyway")]),
                      cluster_of(nodes_raw, existing))
    weight = math.log(2 + 2)  # two zones among the candidates
    raw = {"zone1": math.floor(1 * weight + 0.5), "zone2": math.floor(2 * weight + 0.5)}
    high, low = max(raw.values()), min(raw.values())
    zone1 = 100 * (high + low - raw["zone1"]) // high
    scores = {d.node_name: d.scores["PodTopologySpread"] for d in result.decisions}
    assert scores == {"node-a": zone1, "node-b": zone1, "node-x": 100 * low // high, "node-n": 0}


# --- InterPodAffinity Filter (filtering_test.go TestRequiredAffinitySingleNode / MultipleNodes) -----------------

AFFINITY_FAIL = "node(s) didn't match pod affinity rules"
ANTI_FAIL = "node(s) didn't match pod anti-affinity rules"
EXISTING_FAIL = "node(s) didn't satisfy existing pods anti-affinity rules"
THREE_HOSTS = [node("node-a", "zone1"), node("node-b", "zone1"), node("node-c", "zone2")]

AFFINITY_FILTER_CASES = [
    (
        "required affinity: only where a matching pod runs",
        {"affinity": {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term(app="db")]}}},
        {"app": "web"},
        [pod("db", {"app": "db"}, "node-b")],
        {"node-a": AFFINITY_FAIL, "node-b": "", "node-c": AFFINITY_FAIL},
    ),
    (
        "required affinity by zone: the whole zone qualifies",
        {"affinity": {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term(ZONE, app="db")]}}},
        {"app": "web"},
        [pod("db", {"app": "db"}, "node-b")],
        {"node-a": "", "node-b": "", "node-c": AFFINITY_FAIL},
    ),
    (
        "the first pod of a series with affinity to itself goes anywhere",
        {"affinity": {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term(app="web")]}}},
        {"app": "web"},
        [],
        {"node-a": "", "node-b": "", "node-c": ""},
    ),
    (
        "required affinity to a pod in another namespace isn't satisfied by default",
        {"affinity": {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term(app="db")]}}},
        {"app": "web"},
        [pod("db", {"app": "db"}, "node-b", namespace="data")],
        {"node-a": AFFINITY_FAIL, "node-b": AFFINITY_FAIL, "node-c": AFFINITY_FAIL},
    ),
    (
        "namespaces list the other namespace",
        {"affinity": {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {**term(app="db"), "namespaces": ["data"]}]}}},
        {"app": "web"},
        [pod("db", {"app": "db"}, "node-b", namespace="data")],
        {"node-a": AFFINITY_FAIL, "node-b": "", "node-c": AFFINITY_FAIL},
    ),
    (
        "an empty namespaceSelector selects every namespace",
        {"affinity": {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {**term(app="db"), "namespaceSelector": {}}]}}},
        {"app": "web"},
        [pod("db", {"app": "db"}, "node-c", namespace="data")],
        {"node-a": AFFINITY_FAIL, "node-b": AFFINITY_FAIL, "node-c": ""},
    ),
    (
        "required anti-affinity by hostname",
        {"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term(app="web")]}}},
        {"app": "web"},
        [pod("w1", {"app": "web"}, "node-a")],
        {"node-a": ANTI_FAIL, "node-b": "", "node-c": ""},
    ),
    (
        "required anti-affinity by zone",
        {"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term(ZONE, app="web")]}}},
        {"app": "web"},
        [pod("w1", {"app": "web"}, "node-a")],
        {"node-a": ANTI_FAIL, "node-b": ANTI_FAIL, "node-c": ""},
    ),
    (
        # Symmetry: the incoming pod has no terms, but an existing pod's anti-affinity selects it.
        "existing pods' anti-affinity",
        {},
        {"app": "web"},
        [pod("guard", {"app": "guard"}, "node-c", affinity={"podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [term(ZONE, app="web")]}})],
        {"node-a": "", "node-b": "", "node-c": EXISTING_FAIL},
    ),
    (
        # matchLabelKeys merge the pod's own value: pods of another version don't count.
        "anti-affinity with matchLabelKeys",
        {"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {**term(app="web"), "matchLabelKeys": ["hash"]}]}}},
        {"app": "web", "hash": "v2"},
        [pod("w1", {"app": "web", "hash": "v1"}, "node-a"), pod("w2", {"app": "web", "hash": "v2"}, "node-b")],
        {"node-a": "", "node-b": ANTI_FAIL, "node-c": ""},
    ),
]


@pytest.mark.parametrize(("name", "spec", "labels", "existing", "expected"), AFFINITY_FILTER_CASES,
                         ids=[c[0] for c in AFFINITY_FILTER_CASES])
def test_affinity_filter(name: str, spec: Obj, labels: dict[str, str], existing: list[Obj],
                         expected: dict[str, str]) -> None:
    assert verdicts(pod("p", labels, **spec), cluster_of(THREE_HOSTS, existing)) == expected


# --- InterPodAffinity Score (scoring_test.go TestPreferredAffinity) -------------------------------------------


def test_preferred_affinity_and_anti_affinity_scores_are_min_max_normalised() -> None:
    """Affinity to app=db weight 5 and anti-affinity to app=web weight 3, by zone: zone1 has one db and one web
    (5-3=2), zone2 one db (5); normalised over [2, 5]."""
    existing = [pod("db1", {"app": "db"}, "node-a"), pod("web1", {"app": "web"}, "node-b"),
                pod("db2", {"app": "db"}, "node-c")]
    affinity = {
        "podAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 5, "podAffinityTerm": term(ZONE, app="db")}]},
        "podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 3, "podAffinityTerm": term(ZONE, app="web")}]},
    }
    result = schedule(pod("p", {"app": "x"}, affinity=affinity), cluster_of(THREE_HOSTS, existing))
    scores = {d.node_name: d.scores["InterPodAffinity"] for d in result.decisions}
    assert scores == {"node-a": 0, "node-b": 0, "node-c": 100}
    assert result.node_name == "node-c"
    assert "POD-AFFINITY(x2)" in explain(result)


def test_existing_pods_preferred_terms_and_hard_affinity_score_the_incoming_pod() -> None:
    """Symmetry in scoring: an existing pod's required affinity counts hardPodAffinityWeight (1) and its preferred
    anti-affinity its negated weight, where they select the incoming pod."""
    existing = [
        pod("fan", {"app": "fan"}, "node-a", affinity={"podAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [term(app="star")]}}),
        pod("hater", {"app": "hater"}, "node-b", affinity={"podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 10, "podAffinityTerm": term(app="star")}]}}),
    ]
    result = schedule(pod("p", {"app": "star"}), cluster_of(THREE_HOSTS, existing))
    scores = {d.node_name: d.scores["InterPodAffinity"] for d in result.decisions}
    # raw: node-a +1, node-b -10, node-c 0 -> (s+10)/11*100
    assert scores == {"node-a": 100, "node-b": 0, "node-c": int(100 * (10 / 11))}


def test_plain_pods_are_untouched_by_unrelated_terms() -> None:
    existing = [pod("hater", {"app": "hater"}, "node-b", affinity={"podAntiAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": [term(app="star")]}})]
    result = schedule(pod("p", {"app": "other"}), cluster_of(THREE_HOSTS, existing))
    assert all(d.passed and "InterPodAffinity" not in d.scores for d in result.decisions)


# --- scenarios on the virtual clock ----------------------------------------------------------------------------

HA = {
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
    "spec": {
        "replicas": 3,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                # The seed: "Use pod anti-affinity with topologyKey: kubernetes.io/hostname to spread replicas
                # across nodes for high availability."
                "affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                    {"labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": HOST}]}},
                "containers": [{"name": "web", "image": "nginx"}],
            },
        },
    },
}


def failed_scheduling(c: Cluster, name: str) -> list[str]:
    return [e["message"] for e in c.events("default")
            if e["reason"] == "FailedScheduling" and e["involvedObject"]["name"] == name]


def web_pods(c: Cluster) -> list[Obj]:
    return [p for p in c.store.iter("pods", "default") if (p["metadata"].get("labels") or {}).get("app") == "web"]


async def test_ha_anti_affinity_places_one_replica_per_node_and_a_fourth_waits() -> None:
    async with Cluster(nodes=3) as c:
        await c.apply([HA])
        await c.run_for(30)
        assert sorted(p["spec"].get("nodeName") for p in web_pods(c)) == ["node-1", "node-2", "node-3"]

        await c.apply([{**HA, "spec": {**HA["spec"], "replicas": 4}}])
        await c.run_for(30)
        pending = [p for p in web_pods(c) if not p["spec"].get("nodeName")]
        assert len(pending) == 1
        name = pending[0]["metadata"]["name"]
        assert failed_scheduling(c, name)[-1] == (
            "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. no new claims to deallocate, "
            "preemption: "
            "0/3 nodes are available: 3 No preemption victims found for incoming pod.")
        described = c.describe("pods", name)
        assert "node-2  rejected  InterPodAffinity: node(s) didn't match pod anti-affinity rules" in described

        # A fourth node makes room.
        c.add_node("node-4")
        await c.run_for(30)
        assert sorted(p["spec"].get("nodeName") for p in web_pods(c)) == ["node-1", "node-2", "node-3", "node-4"]


async def test_kit_messages_for_affinity_symmetry_and_missing_zone() -> None:
    async with Cluster(nodes=3) as c:
        await c.apply([HA])
        await c.run_for(30)
        await c.create(pod("lookalike", {"app": "web"}))
        await c.create(pod("needs-db", {"app": "x"}, affinity={"podAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [term(app="db")]}}))
        await c.create(pod("zone-spread", {"app": "z"}, topologySpreadConstraints=[
            {**spread(ZONE), "labelSelector": {"matchLabels": {"app": "z"}}}]))
        await c.run_for(10)
        assert failed_scheduling(c, "lookalike")[-1] == (
            "0/3 nodes are available: 3 node(s) didn't satisfy existing pods anti-affinity rules. "
            "no new claims to deallocate, preemption: "
            "0/3 nodes are available: 3 No preemption victims found for incoming pod.")
        assert failed_scheduling(c, "needs-db")[-1] == (
            "0/3 nodes are available: 3 node(s) didn't match pod affinity rules. no new claims to deallocate, "
            "preemption: "
            "0/3 nodes are available: 3 Preemption is not helpful for scheduling.")
        assert failed_scheduling(c, "zone-spread")[-1] == (
            "0/3 nodes are available: 3 node(s) didn't match pod topology spread constraints (missing required "
            "label). no new claims to deallocate, "
            "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.")

        # The pod needing a db is retried as soon as one is bound, not after the five-minute backoff.
        await c.create(pod("db", {"app": "db"}))
        await c.run_for(2)
        db_node = c.get("pods", "db")["spec"]["nodeName"]
        assert c.get("pods", "needs-db")["spec"].get("nodeName") == db_node


async def test_zones_spread_a_deployment_evenly() -> None:
    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "namespace": "default"},
        "spec": {"replicas": 6, "selector": {"matchLabels": {"app": "api"}}, "template": {
            "metadata": {"labels": {"app": "api"}},
            "spec": {"topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": ZONE,
                                                    "whenUnsatisfiable": "DoNotSchedule",
                                                    "labelSelector": {"matchLabels": {"app": "api"}}}],
                     "containers": [{"name": "api", "image": "nginx"}]}}},
    }
    async with Cluster(nodes=6, zones=3) as c:
        await c.apply([deployment])
        await c.run_for(30)
        zones = {n["metadata"]["name"]: n["metadata"]["labels"][ZONE] for n in c.store.iter("nodes")}
        placed = [zones[p["spec"]["nodeName"]] for p in c.store.iter("pods", "default") if p["spec"].get("nodeName")]
        assert sorted(placed) == ["zone-1", "zone-1", "zone-2", "zone-2", "zone-3", "zone-3"]
