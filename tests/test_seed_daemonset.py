"""The seeds' DaemonSet (../shared/seeds/003: "A DaemonSet ensures that every node ... runs exactly one copy of a
pod. When a new node joins the cluster, the DaemonSet automatically creates a pod on it. When a node leaves, the
pod is garbage collected."), applied exactly as the tutorial writes it."""

from __future__ import annotations

from engine import Cluster

SEED = """\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: fluentd
spec:
  selector:
    matchLabels:
      name: fluentd
  template:
    metadata:
      labels:
        name: fluentd
    spec:
      containers:
      - name: fluentd
        image: fluent/fluentd:v1.16
        volumeMounts:
        - name: varlog
          mountPath: /var/log
      volumes:
      - name: varlog
        hostPath:
          path: /var/log
"""


def nodes_with_fluentd(c: Cluster) -> list[str]:
    return sorted(p["spec"]["nodeName"] for p in c.list("pods", "default", "name=fluentd")
                  if (p.get("status") or {}).get("phase") == "Running" and not p["metadata"].get("deletionTimestamp"))


async def test_the_seed_daemonset_runs_one_pod_per_node_follows_new_nodes_and_leaves_with_them() -> None:
    """pkg/controller/daemon/daemon_controller.go syncNodes (one pod per node) and
    pkg/controller/podgc/gc_controller.go gcOrphaned (a deleted node's pod is collected)."""
    async with Cluster(nodes=3) as c:
        await c.apply(SEED)
        await c.run_for(30)
        assert nodes_with_fluentd(c) == ["node-1", "node-2", "node-3"]
        columns, rows = c.table("ds", "default")
        assert columns == ["NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE"]
        assert rows[0][:7] == ["fluentd", "3", "3", "3", "3", "3", "<none>"]
        c.add_node("node-4")
        await c.run_for(30)
        assert nodes_with_fluentd(c) == ["node-1", "node-2", "node-3", "node-4"]
        await c.delete("nodes", "node-2", None)
        await c.run_for(120)
        assert nodes_with_fluentd(c) == ["node-1", "node-3", "node-4"]
        assert [row[1:4] for row in c.table("ds", "default")[1]] == [["3", "3", "3"]]
        assert c.health("ds", "fluentd") == ("Healthy", "")
