"""NodeGroup documents in a watched folder (issue 15 part 3): the Cluster Autoscaler's node groups declared beside
the manifests, read on every save, refused at file:line, and `k9py check` growing the cluster with them.

A NodeGroup is the simulated cloud's configuration (as an AWS Auto Scaling group or a GKE node pool is the real
cloud's), so the API server never sees it: engine/manifests/config_docs.py hands it to the autoscaler. A group that
disappears leaves its nodes in place and unmanaged, as upstream skips a node whose cloud provider knows no group for
it ("Node should not be processed by cluster autoscaler (no node group config)",
cluster-autoscaler `processors/nodes/pre_filtering_processor.go`); new groups start at minSize
(`cloudprovider/cloud_provider.go` NodeGroup.MinSize, the cloud's own floor).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine import Cluster
from engine.check import run_check
from engine.controllers.cluster_autoscaler_groups import Problem
from engine.manifests.config_docs import CONFIG_KINDS, ConfigKind, register_config_kind
from engine.manifests.source import ManifestSource

GROUP_LABEL = "k9py.io/node-group"
GROUP = """\
apiVersion: k9py.io/v1alpha1
kind: NodeGroup
metadata:
  name: big
spec:
  minSize: {min}
  maxSize: {max}
  bootTime: 30s
  node:
    cpu: "8"
    memory: 32Gi
"""
# Two pods of 6 CPUs: more than the 4-CPU nodes of the cluster hold, one per 8-CPU node of the group.
BIG = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: crunch}
spec:
  replicas: 2
  selector: {matchLabels: {app: crunch}}
  template:
    metadata: {labels: {app: crunch}}
    spec:
      containers:
      - {name: app, image: busybox, resources: {requests: {cpu: "6"}}}
"""


class Clock:
    """The wall clock the folder measures its prune quiet period on, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def group_nodes(c: Cluster, group: str = "big") -> list[dict]:
    return [n for n in c.store.iter("nodes") if n["metadata"].get("labels", {}).get(GROUP_LABEL) == group]


def running(c: Cluster, app: str) -> int:
    return sum(
        1
        for p in c.store.iter("pods")
        if p["metadata"].get("labels", {}).get("app") == app and p.get("status", {}).get("phase") == "Running"
    )


def folder(tmp_path: Path, min_size: int = 0, max_size: int = 3) -> Path:
    (tmp_path / "groups.yaml").write_text(GROUP.format(min=min_size, max=max_size))
    (tmp_path / "app.yaml").write_text(BIG)
    return tmp_path


async def test_a_nodegroup_document_in_a_folder_scales_the_cluster_up_for_pending_pods(tmp_path: Path) -> None:
    """The pods fit no 4-CPU node; the folder's group brings an 8-CPU node for each (TriggeredScaleUp), as
    `core/scaleup/orchestrator/orchestrator.go` does for the cloud's groups; the document is not an API object."""
    async with Cluster(nodes=2) as c:
        source = ManifestSource(c.api, folder(tmp_path))
        record = source.sync()
        assert source.all_errors == []
        assert ("NodeGroup", "", "big") in record.created
        assert [g.name for g in c.node_groups] == ["big"]
        assert await c.run_until(lambda c: running(c, "crunch") == 2, timeout=300)
        assert len(group_nodes(c)) == 2
        reasons = {e["reason"] for e in c.store.iter("events")}
        assert "TriggeredScaleUp" in reasons
        assert ("NodeGroup", "", "big") not in source.inventory


async def test_saving_the_document_again_changes_the_group(tmp_path: Path) -> None:
    """Hot reload: raising minSize on save makes the group grow to it at once (the cloud keeps a group at its
    minimum), lowering maxSize caps later scale-ups with "max node group size reached" (skippedreasons.go)."""
    async with Cluster(nodes=2) as c:
        source = ManifestSource(c.api, folder(tmp_path, min_size=0, max_size=3))
        (tmp_path / "app.yaml").unlink()
        source.sync()
        assert group_nodes(c) == []
        (tmp_path / "groups.yaml").write_text(GROUP.format(min=2, max=3))
        record = source.sync()
        assert ("NodeGroup", "", "big") in record.updated
        assert len(group_nodes(c)) == 2
        assert c.node_groups[0].min_size == 2


async def test_a_bad_document_is_reported_at_its_line_and_the_last_good_group_stays(tmp_path: Path) -> None:
    """maxSize below minSize is refused with the field's message at the field's line, like any manifest error;
    the group keeps its last good declaration meanwhile (the folder's per-document isolation)."""
    async with Cluster(nodes=1) as c:
        source = ManifestSource(c.api, folder(tmp_path, min_size=1, max_size=3))
        source.sync()
        assert len(group_nodes(c)) == 1
        (tmp_path / "groups.yaml").write_text(GROUP.format(min=1, max=0))
        record = source.sync()
        [error] = record.errors
        assert error.file.endswith("groups.yaml")
        assert error.line == 7  # maxSize
        assert "spec.maxSize: Invalid value: 0" in error.message
        assert [(g.name, g.max_size) for g in c.node_groups] == [("big", 3)]
        (tmp_path / "groups.yaml").write_text(GROUP.format(min=1, max=4))
        assert source.sync().errors == ()
        assert [(g.name, g.max_size) for g in c.node_groups] == [("big", 4)]


async def test_a_group_declared_twice_in_a_folder_is_refused_the_second_time(tmp_path: Path) -> None:
    async with Cluster(nodes=1) as c:
        source = ManifestSource(c.api, folder(tmp_path))
        (tmp_path / "more.yaml").write_text(GROUP.format(min=0, max=9))
        source.sync()
        [error] = source.all_errors
        assert error.file.endswith("more.yaml")
        assert "NodeGroup big is declared twice" in error.message
        assert c.node_groups[0].max_size == 3


async def test_removing_the_document_removes_the_group_and_leaves_its_nodes(tmp_path: Path) -> None:
    """The group goes once the file has stayed so for the prune quiet period (an editor's truncate-then-write is
    not a removal); its nodes stay, and once empty they are never scaled down: no group owns them any more
    (with the group they would go after --scale-down-unneeded-time, 10 minutes)."""
    clock = Clock()
    async with Cluster(nodes=1) as c:
        source = ManifestSource(c.api, folder(tmp_path), monotonic=clock)
        source.sync()
        assert await c.run_until(lambda c: running(c, "crunch") == 2, timeout=300)
        names = sorted(n["metadata"]["name"] for n in group_nodes(c))
        (tmp_path / "groups.yaml").write_text("")
        record = source.sync()
        assert record.pending == (("NodeGroup", "", "big"),)
        assert [g.name for g in c.node_groups] == ["big"]
        (tmp_path / "groups.yaml").unlink()
        source.sync()
        clock.now += 5
        record = source.sync()
        assert ("NodeGroup", "", "big") in record.pruned
        assert c.node_groups == []
        await c.scale("deployment", "crunch", 0)
        await c.run_for(1800)
        assert sorted(n["metadata"]["name"] for n in group_nodes(c)) == names


async def test_an_editor_truncating_the_file_does_not_remove_the_group(tmp_path: Path) -> None:
    """Saved empty and written again within the quiet period: the same group, the same machine, no second one."""
    clock = Clock()
    async with Cluster(nodes=1) as c:
        source = ManifestSource(c.api, folder(tmp_path, min_size=1), monotonic=clock)
        source.sync()
        [node] = group_nodes(c)
        (tmp_path / "groups.yaml").write_text("")
        source.sync()
        clock.now += 1
        (tmp_path / "groups.yaml").write_text(GROUP.format(min=1, max=3))
        source.sync()
        clock.now += 5
        assert source.sync().pruned == ()
        assert [n["metadata"]["name"] for n in group_nodes(c)] == [node["metadata"]["name"]]
        assert [g.name for g in c.node_groups] == ["big"]


async def test_a_group_declared_again_takes_back_its_machines(tmp_path: Path) -> None:
    """Its nodes carry the group in their providerID, as a cloud's instances belong to their group: declared again,
    the group counts them and its minSize brings no new machine."""
    clock = Clock()
    async with Cluster(nodes=1) as c:
        source = ManifestSource(c.api, folder(tmp_path, min_size=1), monotonic=clock)
        source.sync()
        (tmp_path / "groups.yaml").unlink()
        source.sync()
        clock.now += 5
        source.sync()
        assert c.node_groups == []
        (tmp_path / "groups.yaml").write_text(GROUP.format(min=1, max=3))
        source.sync()
        assert len(group_nodes(c)) == 1


@pytest.mark.parametrize("with_group", [True, False])
async def test_k9py_check_accepts_a_nodegroup_and_converges_with_its_nodes(tmp_path: Path, with_group: bool) -> None:
    """`k9py check` applies the folder to a 3-node cluster: without the group the big pods stay Pending (exit 1);
    with it the autoscaler adds the nodes they need and the check converges with no manifest error (exit 0)."""
    folder(tmp_path)
    if not with_group:
        (tmp_path / "groups.yaml").unlink()
    report = await run_check([str(tmp_path)], wall_budget=None)
    assert report.errors == []
    assert (report.exit_code == 0) is with_group


async def test_a_configuration_kind_reports_each_of_its_problems_at_its_line(tmp_path: Path) -> None:
    """The dispatch (engine/manifests/config_docs.py) is the components': a kind refusing two fields of a document
    gets both placed, as kube-scheduler lists every problem of its --config; nothing reaches the API server."""
    declared: list[list[Any]] = []
    kind = ConfigKind(
        "Example",
        lambda doc: doc.get("kind") == "Example",
        lambda doc: (None, [Problem("spec.a", "spec.a: too big"), Problem("spec.b", "spec.b: unknown")]),
        lambda store, source, values: declared.append(values),
    )
    register_config_kind(kind)
    try:
        (tmp_path / "x.yaml").write_text("apiVersion: example.io/v1\nkind: Example\nspec:\n  a: 1\n  b: 2\n")
        async with Cluster(nodes=1) as c:
            source = ManifestSource(c.api, tmp_path)
            source.sync()
            assert [(e.line, e.message) for e in source.all_errors] == [(4, "spec.a: too big"), (5, "spec.b: unknown")]
            assert declared == []  # never a good value to hand over
    finally:
        del CONFIG_KINDS["Example"]
