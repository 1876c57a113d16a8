"""The seeds' PostgreSQL StatefulSet, applied exactly as the seed writes it (its indentation restored) with the
headless Service its `serviceName` names. A learner watches postgres-0, -1 and -2 start in order, each with its own
claim (data-postgres-0, ...), then deletes postgres-1 and sees it come back with the same claim and volume
(`k/k pkg/controller/statefulset/stateful_set_control.go` updateStatefulSet, `stateful_pod_control.go`
createPersistentVolumeClaims)."""

from __future__ import annotations

from typing import Any

import yaml

from engine.cluster import Cluster

Obj = dict[str, Any]

SEED = """\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: postgres
spec:
  serviceName: postgres
  replicas: 3
  selector:
    matchLabels:
      app: postgres
  template:
    metadata:
      labels:
        app: postgres
    spec:
      containers:
      - name: postgres
        image: postgres:16
        volumeMounts:
        - name: data
          mountPath: /var/lib/postgresql/data
  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      accessModes: ["ReadWriteOnce"]
      resources:
        requests:
          storage: 10Gi
"""

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: postgres
spec:
  clusterIP: None
  selector:
    app: postgres
  ports:
  - port: 5432
"""


def running(c: Cluster) -> list[str]:
    return sorted(p["metadata"]["name"] for p in c.api.store.list("pods", "default")
                  if any(cond.get("type") == "Ready" and cond.get("status") == "True"
                         for cond in (p.get("status") or {}).get("conditions") or ())
                  and not p["metadata"].get("deletionTimestamp"))


async def test_the_seed_postgres_statefulset() -> None:
    async with Cluster(nodes=3) as c:
        for text in (SERVICE, SEED):
            obj = yaml.safe_load(text)
            obj["metadata"].setdefault("namespace", "default")
            c.api.create(obj)
        order: list[list[str]] = []

        def watch(c: Cluster) -> bool:
            names = sorted(p["metadata"]["name"] for p in c.api.store.list("pods", "default"))
            if not order or order[-1] != names:
                order.append(names)
            return len(running(c)) == 3

        assert await c.run_until(watch, timeout=300)
        assert order == [["postgres-0"], ["postgres-0", "postgres-1"], ["postgres-0", "postgres-1", "postgres-2"]]
        claims = {p["metadata"]["name"]: p for p in c.api.store.list("persistentvolumeclaims", "default")}
        assert sorted(claims) == ["data-postgres-0", "data-postgres-1", "data-postgres-2"]
        # The default StorageClass provisions each claim on the node its pod was scheduled to.
        assert {cl["spec"]["storageClassName"] for cl in claims.values()} == {"standard"}
        assert {cl["status"]["phase"] for cl in claims.values()} == {"Bound"}
        assert c.table("sts", "default")[1][0][:2] == ["postgres", "3/3"]
        pod = c.get("pod", "postgres-1", "default")
        node, volume = pod["spec"]["nodeName"], claims["data-postgres-1"]["spec"]["volumeName"]
        assert (pod["spec"]["hostname"], pod["spec"]["subdomain"]) == ("postgres-1", "postgres")

        c.api.delete("pods", "postgres-1", "default")
        await c.run_for(1)
        assert "postgres-1" not in running(c)
        assert await c.run_until(lambda c: len(running(c)) == 3, timeout=300)
        back = c.get("pod", "postgres-1", "default")
        assert back["metadata"]["uid"] != pod["metadata"]["uid"]
        assert {"name": "data", "persistentVolumeClaim": {"claimName": "data-postgres-1"}} in back["spec"]["volumes"]
        assert c.get("pvc", "data-postgres-1", "default")["spec"]["volumeName"] == volume
        # The provisioned volume's node affinity brings the pod back to the node that holds its data.
        assert back["spec"]["nodeName"] == node
