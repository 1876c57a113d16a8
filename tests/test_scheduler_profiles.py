"""Scheduler profiles (issue 16 part 4) and PodTopologySpread's system default constraints (part 3), on the virtual
clock.

Upstream: pkg/scheduler/apis/config/v1/default_plugins.go (the default plugins and weights), mergePlugins;
pkg/scheduler/apis/config/validation/validation.go (percentageOfNodesToScore range, duplicate schedulerName);
pkg/scheduler/framework/runtime/framework.go (`ScorePlugin "Foo" does not exist`); plugins/noderesources
(MostAllocated); pkg/scheduler/profile (a pod whose schedulerName no profile has is not this scheduler's: no event);
plugins/podtopologyspread common.go buildDefaultConstraints and helper.DefaultSelector (maxSkew 3 by hostname,
5 by zone, ScheduleAnyway, the selector of the pod's Services and ReplicaSet).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from engine import Cluster

PACKER = """\
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
- schedulerName: packer
  plugins:
    score:
      disabled:
      - name: NodeResourcesBalancedAllocation
      - name: PodTopologySpread
  pluginConfig:
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        type: MostAllocated
"""


def deployment(
    name: str, replicas: int, scheduler: str | None = None, cpu: str = "100m", annotations: dict[str, str] | None = None
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "containers": [{"name": "c", "image": "nginx:1.27", "resources": {"requests": {"cpu": cpu, "memory": "64Mi"}}}]
    }
    if scheduler:
        spec["schedulerName"] = scheduler
    meta: dict[str, Any] = {"labels": {"app": name}}
    if annotations:
        meta["annotations"] = annotations
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": meta, "spec": spec},
        },
    }


def placement(cluster: Cluster, app: str) -> Counter[str | None]:
    return Counter(p["spec"].get("nodeName") for p in cluster.list("pod", "default", selector=f"app={app}"))


async def test_a_most_allocated_profile_packs_where_the_default_profile_spreads(tmp_path: Path) -> None:
    """Pods naming the `packer` profile are scored with MostAllocated (noderesources/most_allocated.go) and all
    land on one node; the same Deployment on default-scheduler spreads over the three nodes."""
    (tmp_path / "scheduler.yaml").write_text(PACKER)
    async with Cluster(nodes=3) as cluster:
        source = cluster.watch_folder(tmp_path)
        source.sync()
        assert source.all_errors == []
        await cluster.apply([deployment("packed", 6, "packer"), deployment("spread", 6)])
        await cluster.run_for(30)
        packed, spread = placement(cluster, "packed"), placement(cluster, "spread")
    assert None not in packed and len(packed) == 1, packed
    assert None not in spread and sorted(spread.values()) == [2, 2, 2], spread


async def test_a_pod_naming_no_running_scheduler_stays_pending_without_an_event() -> None:
    async with Cluster(nodes=2) as cluster:
        await cluster.apply(deployment("lost", 2, "my-custom-scheduler"))
        await cluster.run_for(60)
        pods = cluster.list("pod", "default", selector="app=lost")
        assert len(pods) == 2 and all(not p["spec"].get("nodeName") for p in pods)
        assert all(not (p.get("status") or {}).get("conditions") for p in pods)  # not even PodScheduled=False
        assert not [
            e
            for e in cluster.events("default")
            if e["involvedObject"]["kind"] == "Pod" and e["involvedObject"]["name"].startswith("lost")
        ]


async def test_the_custom_scheduler_deployment_serves_its_profile_only_while_its_pod_is_ready() -> None:
    """The seed's "custom scheduler as a Deployment", annotated with the profile it serves: its pods schedule
    while the scheduler's pod is Running and Ready; with it gone they stay Pending; when the Deployment brings it
    back they are scheduled."""
    scheduler = deployment(
        "custom-scheduler",
        1,
        annotations={"sim.k9py.io/scheduler-profile": "my-custom-scheduler", "sim.k9py.io/start-seconds": "5s"},
    )
    async with Cluster(nodes=2) as cluster:
        await cluster.apply(scheduler)
        await cluster.run_for(20)
        await cluster.apply(deployment("app", 2, "my-custom-scheduler"))
        await cluster.run_for(10)
        assert None not in placement(cluster, "app")
        await cluster.scale("deployment", "custom-scheduler", 0)
        await cluster.run_for(40)
        await cluster.scale("deployment", "app", 4)
        await cluster.run_for(20)
        assert placement(cluster, "app")[None] == 2  # the two new replicas wait for their scheduler
        await cluster.scale("deployment", "custom-scheduler", 1)
        await cluster.run_for(30)
        assert None not in placement(cluster, "app")


async def test_configuration_errors_are_reported_at_their_line_and_a_fixed_file_reloads(tmp_path: Path) -> None:
    """validation.go and framework.go's messages, placed at the offending field; the last good profiles keep
    serving until the file is fixed, and a changed file is picked up without a restart."""
    config = tmp_path / "scheduler.yaml"
    config.write_text(PACKER + "percentageOfNodesToScore: 101\n")
    async with Cluster(nodes=3) as cluster:
        source = cluster.watch_folder(tmp_path)
        source.sync()
        [error] = source.all_errors
        assert (error.line, error.message) == (
            15,
            "percentageOfNodesToScore: Invalid value: 101: not in valid range [0-100]",
        )
        config.write_text(
            PACKER.replace(
                "      - name: PodTopologySpread\n",
                "      - name: PodTopologySpread\n      enabled:\n      - name: Foo\n",
            )
        )
        source.sync([str(config)])
        [error] = source.all_errors
        assert error.line == 11  # the `- name: Foo` item
        assert error.message == 'creating profile for scheduler name packer: ScorePlugin "Foo" does not exist'
        config.write_text(PACKER + "- schedulerName: packer\n")
        source.sync([str(config)])
        [error] = source.all_errors
        assert (error.line, error.message) == (15, "profiles[1].schedulerName: Duplicate value: {}")
        await cluster.apply(deployment("late", 2, "packer"))
        await cluster.run_for(20)
        assert None in placement(cluster, "late")  # never valid yet: no packer profile runs
        config.write_text(PACKER)
        source.sync([str(config)])
        assert source.all_errors == []
        await cluster.run_for(20)
        assert None not in placement(cluster, "late")


async def test_system_default_spreading_spreads_replicas_when_the_resource_scores_tie() -> None:
    """On nodes so large that a replica moves no resource score, only the system default constraints (by
    hostname, from the ReplicaSet's selector) keep the replicas even: 12 over 3 nodes is 4 each."""
    async with Cluster(nodes=3, node_cpu="100000", node_memory="100000Gi", node_pods=500, seed=7) as cluster:
        await cluster.apply(deployment("even", 12, cpu="1m"))
        await cluster.run_for(30)
        assert sorted(placement(cluster, "even").values()) == [4, 4, 4]


async def test_system_default_spreading_by_zone() -> None:
    """The zone constraint counts too: 9 replicas on two nodes of zone-1 and one of zone-2 end 5 and 4 by zone (by
    hostname alone they would end 3 per node, 6 and 3 by zone)."""
    async with Cluster(nodes=3, zones=2, node_cpu="100000", node_memory="100000Gi", node_pods=500) as cluster:
        await cluster.apply(deployment("zoned", 9, cpu="1m"))
        await cluster.run_for(30)
        nodes = {
            n["metadata"]["name"]: n["metadata"]["labels"]["topology.kubernetes.io/zone"]
            for n in cluster.list("node", None)
        }
        zones = Counter(nodes[name] for name, count in placement(cluster, "zoned").items() for _ in range(count))
    assert sorted(zones.values()) == [4, 5], zones
