"""The verdict-row fast path (`schedule(..., rows=...)`) must decide exactly as the per-node loop does.

Two copies of a random cluster go through the same pods, node changes and binds: one is scheduled by the loop
(`rows=None`), the other with `VerdictRows`, from equal rng states and the same start index. Every cycle must
pick the same node from the same tie list with the same draw, check the same nodes and explain itself alike.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from engine.cluster import Cluster
from engine.scheduler import NodeInfo, ScheduleResult
from engine.scheduler import controller as controller_module
from engine.scheduler import scheduler as scheduler_module
from engine.scheduler.scheduler import VerdictRows, schedule

Obj = dict[str, Any]


def node_object(rng: random.Random, name: str, special: float, tight: float) -> Obj:
    """`special`: how likely taints and cordons are; `tight`: how likely the node is small enough to fill up."""
    taints = []
    if rng.random() < special:
        taints.append({"key": "dedicated", "value": "batch", "effect": rng.choice(["NoSchedule", "PreferNoSchedule"])})
    if rng.random() < special / 2:
        taints.append({"key": "gpu", "value": "yes", "effect": "PreferNoSchedule"})
    small = rng.random() < tight
    return {
        "metadata": {"name": name, "labels": {"zone": rng.choice("abc"), "disk": rng.choice(["ssd", "hdd"])}},
        "spec": {"taints": taints, "unschedulable": rng.random() < special / 2},
        "status": {
            "allocatable": {
                "cpu": rng.choice(["1", "2", "4"] if small else ["16", "32"]),
                "memory": rng.choice(["2Gi", "8Gi"] if small else ["64Gi", "128Gi"]),
                "pods": str(rng.choice([3, 8] if small else [110])),
            }
        },
    }


def pod_template(rng: random.Random, node_names: list[str]) -> Obj:
    container: Obj = {"name": "app", "image": "nginx"}
    if rng.random() < 0.7:
        requests = {"cpu": rng.choice(["10m", "100m", "500m"])}
        if rng.random() < 0.7:
            requests["memory"] = rng.choice(["16Mi", "256Mi", "1Gi"])
        container["resources"] = {"requests": requests}
    if rng.random() < 0.1:
        container["ports"] = [{"containerPort": 80, "hostPort": 8080}]
    spec: Obj = {"containers": [container]}
    roll = rng.random()
    if roll < 0.15:
        spec["nodeSelector"] = {"zone": rng.choice("abc")}
    elif roll < 0.25:
        term = {"matchExpressions": [{"key": "disk", "operator": "In", "values": ["ssd"]}]}
        spec["affinity"] = {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 10, "preference": term}]}}
    elif roll < 0.3 and node_names:
        names = rng.sample(node_names, min(3, len(node_names)))
        term = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": names}]}
        spec["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [term]}}}
    if rng.random() < 0.2:
        spec["tolerations"] = [{"key": "dedicated", "operator": "Exists"}]
    return spec


class Twin:
    """One copy of the cluster: NodeInfos in name order, rebuilt as a new list when nodes come or go."""

    def __init__(self, objects: dict[str, Obj], rows: VerdictRows | None) -> None:
        self.rows = rows
        self.changes = rows.changes if rows is not None else None
        self.infos = {name: NodeInfo(obj, changes=self.changes) for name, obj in objects.items()}
        self.nodes = self._sorted()
        self.start = 0
        self.rng = random.Random(7)

    def _sorted(self) -> list[NodeInfo]:
        return [self.infos[name] for name in sorted(self.infos)]

    def schedule(self, pod: Obj) -> ScheduleResult:
        result = schedule(pod, self.nodes, self.rng, self.start, self.rows)
        if self.nodes:
            self.start = (self.start + result.processed) % len(self.nodes)
        if result.node_name is not None:
            self.infos[result.node_name].add_pod({**pod, "spec": {**pod["spec"], "nodeName": result.node_name}})
        return result

    def set_node(self, obj: Obj) -> None:
        name = obj["metadata"]["name"]
        if name in self.infos:
            self.infos[name].set_node(obj)
        else:
            self.infos[name] = NodeInfo(obj, changes=self.changes)
            self.nodes = self._sorted()

    def delete_node(self, name: str) -> None:
        del self.infos[name]
        self.nodes = self._sorted()


def picks_recorded(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[int], list[str], str]]:
    """Every `_pick` call as (totals, candidate names in order, chosen): the tie list is what `best` selects."""
    calls: list[tuple[list[int], list[str], str]] = []
    pick = scheduler_module._pick

    def recording(totals, feasible, rng):  # type: ignore[no-untyped-def]
        chosen = pick(totals, feasible, rng)
        calls.append((list(totals), [node.name for node in feasible], chosen.name))
        return chosen

    monkeypatch.setattr(scheduler_module, "_pick", recording)
    return calls


def fast_cycles_counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    counter = [0]
    window = scheduler_module._schedule_window

    def counting(*args):  # type: ignore[no-untyped-def]
        result = window(*args)
        counter[0] += result is not None
        return result

    monkeypatch.setattr(scheduler_module, "_schedule_window", counting)
    return counter


def assert_same(old: ScheduleResult, new: ScheduleResult) -> None:
    assert new.node_name == old.node_name
    assert new.processed == old.processed
    assert (new.num_all_nodes, new.feasible_nodes) == (old.num_all_nodes, old.feasible_nodes)
    assert (new.message, new.rejected_by) == (old.message, old.rejected_by)
    assert new.decisions == old.decisions  # what `explain` prints: per node verdict, scores, totals, selected


def mutate(rng: random.Random, objects: dict[str, Obj], twins: list[Twin], pods: list[tuple[str, str]],
           special: float, tight: float, serial: list[int]) -> None:
    """A random cluster change applied to both twins: a node updated, added or removed, or a pod leaving."""
    roll = rng.random()
    if roll < 0.4 and objects:
        name = rng.choice(sorted(objects))
        objects[name] = node_object(rng, name, special, tight)
        for twin in twins:
            twin.set_node(objects[name])
    elif roll < 0.55:
        serial[0] += 1
        name = f"node-{serial[0]:04d}x"
        objects[name] = node_object(rng, name, special, tight)
        for twin in twins:
            twin.set_node(objects[name])
    elif roll < 0.65 and len(objects) > 1:
        name = rng.choice(sorted(objects))
        del objects[name]
        for twin in twins:
            twin.delete_node(name)
        pods[:] = [(node, key) for node, key in pods if node != name]
    elif pods:
        node, key = pods.pop(rng.randrange(len(pods)))
        for twin in twins:
            twin.infos[node].remove_pod(key)


@pytest.mark.parametrize(
    ("seed", "size", "special", "tight"),
    [(1, 5, 0.2, 0.5), (2, 60, 0.0, 0.0), (3, 99, 0.05, 0.3), (4, 100, 0.0, 0.0), (5, 101, 0.02, 0.1),
     (6, 130, 0.0, 0.0), (7, 250, 0.01, 0.02), (8, 250, 0.1, 0.3), (9, 600, 0.0, 0.0), (10, 180, 0.3, 0.5),
     (11, 1000, 0.0, 0.01), (12, 120, 0.0, 0.9), (13, 300, 0.003, 0.0)],
)
def test_rows_decide_exactly_like_the_loop(monkeypatch: pytest.MonkeyPatch, seed: int, size: int, special: float,
                                           tight: float) -> None:
    rng = random.Random(seed)
    objects = {f"node-{i:04d}": node_object(rng, f"node-{i:04d}", special, tight) for i in range(size)}
    old, new = Twin(objects, None), Twin(objects, VerdictRows())
    picks = picks_recorded(monkeypatch)
    fast = fast_cycles_counted(monkeypatch)
    templates = [pod_template(rng, sorted(objects)) for _ in range(6)]
    bound: list[tuple[str, str]] = []  # (node, pod key) of pods either twin could remove
    serial = [size]
    cycles = 400 if size < 500 else 150
    for i in range(cycles):
        if rng.random() < 0.15:
            mutate(rng, objects, [old, new], bound, special, tight, serial)
        pod = {"metadata": {"name": f"p-{i}", "namespace": "default"}, "spec": rng.choice(templates)}
        picks.clear()
        expected = old.schedule(pod)
        old_picks = list(picks)
        picks.clear()
        actual = new.schedule(pod)
        assert_same(expected, actual)
        assert picks == old_picks  # same candidates in the same order, same totals, same tie, same choice
        assert new.rng.getstate() == old.rng.getstate()  # the same single draw (or none)
        assert new.start == old.start
        if expected.node_name is not None:
            bound.append((expected.node_name, f"default/p-{i}"))
    print(f"fast path: {fast[0]}/{cycles} cycles")
    assert fast[0] > cycles // 10, "the fast path hardly ran: the test proves little"


def test_explain_dry_run_matches_and_a_stale_list_is_not_trusted() -> None:
    rng = random.Random(3)
    objects = {f"n-{i:03d}": node_object(rng, f"n-{i:03d}", 0.0, 0.0) for i in range(150)}
    rows = VerdictRows()
    nodes = [NodeInfo(obj, changes=rows.changes) for obj in objects.values()]
    pod = {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "1"}}}]}}
    assert_same(schedule(pod, nodes, None, 40), schedule(pod, nodes, None, 40, rows))
    # A new list (a node gone) must not be read through the old list's rows.
    shorter = nodes[1:]
    assert_same(schedule(pod, shorter, None, 40), schedule(pod, shorter, None, 40, rows))
    nodes[5].add_pod({"metadata": {"name": "q"}, "spec": {"containers": [{"name": "c", "resources": {
        "requests": {"cpu": "500m"}}}]}})
    assert_same(schedule(pod, shorter, None, 0), schedule(pod, shorter, None, 0, rows))


def deployment(name: str, replicas: int, cpu: str) -> Obj:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "default"},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}}, "template": {
            "metadata": {"labels": {"app": name}},
            "spec": {"containers": [{"name": "app", "image": "nginx", "resources": {"requests": {"cpu": cpu}}}]}}},
    }


async def placements(nodes: int) -> dict[str, str]:
    async with Cluster(nodes=nodes, node_cpu="2", node_pods=12) as cluster:
        await cluster.apply([deployment(f"a{i}", 8, "100m") for i in range(40)])
        await cluster.run_for(2)
        await cluster.cordon("node-3")
        await cluster.apply([deployment(f"b{i}", 8, "250m") for i in range(40)])
        await cluster.run_for(5)
        return {p["metadata"]["name"]: p["spec"].get("nodeName", "") for p in cluster.list("pods")}


async def test_a_cluster_places_every_pod_as_it_would_without_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    with_rows = await placements(150)

    def loop_only(pod, nodes, rng=None, start=0, rows=None, *rest, **options):  # type: ignore[no-untyped-def]
        return schedule(pod, nodes, rng, start, None, *rest, **options)  # the nominated pods' filter passes through

    monkeypatch.setattr(controller_module, "schedule", loop_only)
    assert await placements(150) == with_rows
    assert sum(1 for node in with_rows.values() if node) > 400


def test_nodes_made_without_the_rows_change_log_are_left_to_the_loop() -> None:
    rng = random.Random(5)
    objects = {f"n-{i:03d}": node_object(rng, f"n-{i:03d}", 0.0, 0.0) for i in range(120)}
    rows = VerdictRows()
    strangers = [NodeInfo(obj) for obj in objects.values()]  # their changes go to no log the rows can read
    assert rows.row(1, strangers, lambda node: ()) is None
    pod = {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "1"}}}]}}
    assert_same(schedule(pod, strangers, None, 7), schedule(pod, strangers, None, 7, rows))
