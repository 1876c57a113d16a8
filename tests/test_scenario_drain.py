"""Scenario: `kubectl drain` on the virtual clock: cordon, refuse bare pods without force, evict the rest,
and the Deployment's pods come back on the other nodes."""

from __future__ import annotations

from typing import Any

import pytest

from engine.cluster import Cluster
from engine.drain import DrainError

Obj = dict[str, Any]


def deployment(replicas: int = 6, grace: int = 30) -> Obj:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"terminationGracePeriodSeconds": grace,
                                           "containers": [{"name": "app", "image": "nginx:1.25"}]}}}}


def bare_pod(name: str, node: str, **extra: Any) -> Obj:
    spec: Obj = {"nodeName": node, "containers": [{"name": "app", "image": "nginx:1.25"}], **extra.pop("spec", {})}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default", **extra},
            "spec": spec}


def pods_on(c: Cluster, node: str) -> list[Obj]:
    return [p for p in c.list("pods", "default") if p["spec"].get("nodeName") == node]


def kube_proxy(c: Cluster, node: str) -> str:
    """The kube-proxy pod kubeadm's DaemonSet (engine/addons.py) runs on `node`, as kubectl names it."""
    [name] = [p["metadata"]["name"] for p in c.list("pods", "kube-system")
              if p["spec"].get("nodeName") == node and p["metadata"]["name"].startswith("kube-proxy-")]
    return f"kube-system/{name}"


def add_ons_on(c: Cluster, node: str) -> list[str]:
    """The add-ons' pods on `node` as namespace/name: the ingress-nginx controller (engine/addons_ingress.py) and
    CoreDNS's replicas (kubeadm's `coredns` Deployment, engine/addons_coredns.py). A drain evicts them too, after
    the pods of `default` (kubectl lists pods by namespace, then name)."""
    found = [f"ingress-nginx/{p['metadata']['name']}" for p in c.list("pods", "ingress-nginx")
             if p["spec"].get("nodeName") == node]
    return sorted(found) + sorted(f"kube-system/{p['metadata']['name']}" for p in c.list(
        "pods", "kube-system", selector="k8s-app=kube-dns") if p["spec"].get("nodeName") == node)


def evictions(c: Cluster, node: str, *names: str) -> tuple[list[str], list[str]]:
    """The `evicting pod` lines for the given pods of `default` and the add-ons' on `node`, and their `evicted`
    lines."""
    pods = [f"default/{n}" for n in names] + add_ons_on(c, node)
    return [f"evicting pod {p}" for p in pods], [f"pod/{p.split('/')[1]} evicted" for p in pods]


def node_status(c: Cluster, name: str) -> str:
    return next(row[1] for row in c.table("nodes")[1] if row[0] == name)


def web_ready(c: Cluster, replicas: int = 6) -> bool:
    return (c.get("deploy", "web")["status"].get("readyReplicas") or 0) == replicas


async def test_drain_moves_deployment_pods_to_the_other_nodes() -> None:
    async with Cluster(nodes=3) as c:
        await c.apply(deployment(6))
        assert await c.run_until(lambda c: c.rollout_status("web")[1], timeout=60)
        victims = sorted(p["metadata"]["name"] for p in pods_on(c, "node-1"))
        assert victims
        evicting, evicted = evictions(c, "node-1", *victims)
        started = c.now()

        output = await c.drain("node-1")

        # kube-proxy stays: kubectl's --ignore-daemonsets (the engine's default) leaves DaemonSet pods, with a warning.
        ignoring = f"Warning: ignoring DaemonSet-managed Pods: {kube_proxy(c, 'node-1')}"
        assert output[:2] == ["node/node-1 cordoned", ignoring]
        assert output[2:2 + len(evicting)] == evicting
        assert sorted(output[2 + len(evicting):-1]) == sorted(evicted)
        assert output[-1] == "node/node-1 drained"
        # Evictions are graceful: the pods terminate (nginx stops in about a second), not vanish at once.
        assert 0 < c.now() - started < 30
        assert node_status(c, "node-1") == "Ready,SchedulingDisabled"
        assert pods_on(c, "node-1") == []
        assert await c.run_until(web_ready, timeout=60)
        nodes = {p["spec"]["nodeName"] for p in c.list("pods", "default")}
        assert nodes <= {"node-2", "node-3"}
        assert len(c.list("pods", "default")) == 6

        # Draining again finds nothing to do; uncordoning lets pods land there again.
        assert await c.drain("node-1") == ["node/node-1 already cordoned", ignoring, "node/node-1 drained"]
        await c.cordon("node-1", False)
        assert node_status(c, "node-1") == "Ready"


async def test_eviction_marks_the_pod_as_a_disruption_target() -> None:
    async with Cluster(nodes=2) as c:
        await c.apply(bare_pod("slow", "node-1", spec={"terminationGracePeriodSeconds": 30,
                                                        "containers": [{"name": "app", "image": "busybox",
                                                                        "command": ["sh", "-c", "sleep 3600"]}]}))
        await c.run_for(10)
        watcher, _ = c.store.add_watcher("pods", "default")
        evicting, evicted = evictions(c, "node-1", "slow")
        output = await c.drain("node-1", force=True)
        terminating = [e.object for e in watcher.drain() if e.object["metadata"].get("deletionTimestamp")]
        watcher.close()
        # One Warning line, kubectl's PodDeleteList.Warnings(): each message with its pods, joined by "; ".
        assert output[:2 + len(evicting)] == ["node/node-1 cordoned",
                                              "Warning: deleting Pods that declare no controller: default/slow; "
                                              f"ignoring DaemonSet-managed Pods: {kube_proxy(c, 'node-1')}",
                                              *evicting]
        assert sorted(output[2 + len(evicting):-1]) == sorted(evicted) and output[-1] == "node/node-1 drained"
        condition = next(x for x in terminating[0]["status"]["conditions"] if x["type"] == "DisruptionTarget")
        assert (condition["status"], condition["reason"], condition["message"]) == (
            "True", "EvictionByEvictionAPI", "Eviction API: evicting")


async def test_bare_pod_refused_without_force_deleted_with_it() -> None:
    async with Cluster(nodes=3) as c:
        await c.apply(deployment(3))
        await c.apply(bare_pod("bare", "node-1"))
        assert await c.run_until(lambda c: c.rollout_status("web")[1], timeout=60)
        before = {p["metadata"]["name"] for p in pods_on(c, "node-1")}

        with pytest.raises(DrainError) as refused:
            await c.drain("node-1")
        assert refused.value.message == (
            "cannot delete Pods that declare no controller (use --force to override): default/bare")
        assert refused.value.code == 400
        assert refused.value.output == ["node/node-1 cordoned"]
        # Nothing was evicted, but the node stays cordoned, as after kubectl's refusal.
        assert {p["metadata"]["name"] for p in pods_on(c, "node-1")} == before
        assert node_status(c, "node-1") == "Ready,SchedulingDisabled"

        output = await c.drain("node-1", force=True)
        assert output[:2] == ["node/node-1 already cordoned",
                              "Warning: deleting Pods that declare no controller: default/bare; "
                              f"ignoring DaemonSet-managed Pods: {kube_proxy(c, 'node-1')}"]
        assert "evicting pod default/bare" in output and "pod/bare evicted" in output
        assert output[-1] == "node/node-1 drained"
        assert c.get("pod", "bare") is None  # no controller brings it back
        assert pods_on(c, "node-1") == []
        assert await c.run_until(lambda c: web_ready(c, 3), timeout=60)


AGENT = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent", "namespace": "default"},
         "spec": {"selector": {"matchLabels": {"app": "agent"}}, "template": {
             "metadata": {"labels": {"app": "agent"}},
             "spec": {"nodeSelector": {"kubernetes.io/hostname": "node-1"},
                      "containers": [{"name": "agent", "image": "busybox"}]}}}}


async def test_mirror_daemonset_and_local_storage_pods() -> None:
    """k8s.io/kubectl/pkg/drain/filters.go: daemonSetFilter, mirrorPodFilter, localStorageFilter,
    unreplicatedFilter, in that order."""
    async with Cluster(nodes=2) as c:
        await c.apply(bare_pod("static", "node-1", annotations={"kubernetes.io/config.mirror": "abc"}))
        await c.apply(AGENT)
        await c.apply(bare_pod("scratch", "node-1", spec={"volumes": [{"name": "tmp", "emptyDir": {}}]}))
        await c.run_for(5)
        [agent] = [p["metadata"]["name"] for p in pods_on(c, "node-1") if p["metadata"]["name"].startswith("agent-")]
        proxy = kube_proxy(c, "node-1")

        with pytest.raises(DrainError) as refused:
            await c.drain("node-1", ignore_daemonsets=False)
        assert refused.value.message == (
            f"[cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): default/{agent}, {proxy}, "
            "cannot delete Pods with local storage (use --delete-emptydir-data to override): default/scratch]")

        with pytest.raises(DrainError) as refused:
            await c.drain("node-1", force=True)
        assert refused.value.message == (
            "cannot delete Pods with local storage (use --delete-emptydir-data to override): default/scratch")

        output = await c.drain("node-1", force=True, delete_emptydir_data=True)
        # The local-storage warning is lost to the unreplicated filter's, as in kubectl (a known TODO there).
        assert output[1] == (f"Warning: ignoring DaemonSet-managed Pods: default/{agent}, {proxy}; "
                             "deleting Pods that declare no controller: default/scratch")
        assert "evicting pod default/scratch" in output
        assert not any("static" in line or "agent" in line for line in output[2:])
        assert sorted(p["metadata"]["name"] for p in pods_on(c, "node-1")) == [agent, "static"]


async def test_a_pod_whose_daemonset_is_gone_is_refused_and_goes_with_force() -> None:
    """daemonSetFilter GETs the DaemonSet: NotFound refuses the drain, or warns and deletes with --force. The
    garbage collector would delete such an orphan soon; one whose owner reference names no uid it can check
    (orphaned with `--cascade=orphan` and re-pointed by hand) is what a drain meets."""
    async with Cluster(nodes=2) as c:
        await c.apply(AGENT)
        await c.run_for(5)
        [pod] = [p for p in pods_on(c, "node-1") if p["metadata"]["name"].startswith("agent-")]
        await c.delete("ds", "agent", propagation="Orphan")
        await c.run_for(1)
        pod = c.get("pod", pod["metadata"]["name"])
        pod["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent",
                                              "uid": pod["metadata"]["uid"], "controller": True}]
        await c.update(pod)
        name = pod["metadata"]["name"]
        with pytest.raises(DrainError) as refused:
            await c.drain("node-1")
        assert refused.value.message == f'cannot delete daemonsets.apps "agent" not found: default/{name}'
        # With --force it goes; its warning is overwritten by the filters after it, as in kubectl.
        evicting, evicted = evictions(c, "node-1", name)
        output = await c.drain("node-1", force=True)
        assert output[:2 + len(evicting)] == [
            "node/node-1 already cordoned", f"Warning: ignoring DaemonSet-managed Pods: {kube_proxy(c, 'node-1')}",
            *evicting]
        assert sorted(output[2 + len(evicting):-1]) == sorted(evicted) and output[-1] == "node/node-1 drained"


async def test_finished_bare_pods_are_deleted_without_force() -> None:
    async with Cluster(nodes=2) as c:
        await c.apply(bare_pod("job", "node-1", spec={
            "restartPolicy": "Never", "containers": [{"name": "app", "image": "busybox", "command": ["true"]}]}))
        assert await c.run_until(lambda c: c.get("pod", "job")["status"]["phase"] == "Succeeded", timeout=60)
        evicting, evicted = evictions(c, "node-1", "job")
        output = await c.drain("node-1")
        assert output[:2 + len(evicting)] == ["node/node-1 cordoned",
                                              f"Warning: ignoring DaemonSet-managed Pods: {kube_proxy(c, 'node-1')}",
                                              *evicting]
        assert sorted(output[2 + len(evicting):-1]) == sorted(evicted) and output[-1] == "node/node-1 drained"


async def test_drain_timeout_and_unknown_node() -> None:
    async with Cluster(nodes=2) as c:
        # A shell as PID 1 ignores SIGTERM: the pod terminates only when its grace period runs out.
        await c.apply(bare_pod("stubborn", "node-1", spec={
            "terminationGracePeriodSeconds": 120,
            "containers": [{"name": "app", "image": "busybox", "command": ["sh", "-c", "sleep 3600"]}]}))
        await c.run_for(5)
        with pytest.raises(DrainError) as timed_out:
            await c.drain("node-1", force=True, timeout=60)
        assert timed_out.value.message == (
            'error when waiting for pod "stubborn" terminating: global timeout reached: 1m0s')
        assert "evicting pod default/stubborn" in timed_out.value.output
        output = await c.drain("node-1", force=True, grace_period=0)
        assert output[-2:] == ["pod/stubborn evicted", "node/node-1 drained"]

        with pytest.raises(Exception, match='nodes "nope" not found'):
            await c.drain("nope")
