"""The seeds' Pod with a PersistentVolumeClaim ("POD-PVC.YAML"), applied as the seed writes it (indentation
restored). Its claim `postgres-data` is not in the seed: the pod stays Pending with the scheduler's words until a
learner makes one; the default StorageClass (`standard`, WaitForFirstConsumer, as the seed's tip advises) then
provisions a volume on the node the scheduler picks for the pod, and the pod runs there with its data directory
mounted."""

from __future__ import annotations

import yaml

from engine.cluster import Cluster

SEED = """\
apiVersion: v1
kind: Pod
metadata:
  name: postgres
spec:
  containers:
  - name: postgres
    image: postgres:15
    volumeMounts:
    - name: data
      mountPath: /var/lib/postgresql/data
  volumes:
  - name: data
    persistentVolumeClaim:
      claimName: postgres-data
"""

CLAIM = """\
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: postgres-data
spec:
  accessModes: ["ReadWriteOnce"]
  resources:
    requests:
      storage: 1Gi
"""


async def test_the_seed_pod_waits_for_its_claim_then_runs_on_the_volumes_node() -> None:
    async with Cluster(nodes=3) as c:
        await c.apply(yaml.safe_load(SEED))
        await c.run_for(5)
        pod = c.get("pod", "postgres")
        assert pod["status"]["phase"] == "Pending"
        assert [e["message"] for e in c.events("default", involved=pod) if e["reason"] == "FailedScheduling"] == [
            '0/3 nodes are available: persistentvolumeclaim "postgres-data" not found. not found']

        await c.apply(yaml.safe_load(CLAIM))
        assert await c.run_until(lambda c: (c.get("pod", "postgres")["status"].get("phase")) == "Running",
                                 timeout=60)
        claim = c.get("pvc", "postgres-data")
        assert claim["spec"]["storageClassName"] == "standard" and claim["status"]["phase"] == "Bound"
        volume = c.get("pv", claim["spec"]["volumeName"], None)
        node = c.get("pod", "postgres")["spec"]["nodeName"]
        terms = volume["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"]
        assert terms[0]["matchExpressions"][0]["values"] == [node]  # local-path: the volume lives on that node
        mounts = {m.path: m for m in c.container_view("postgres").mounts}
        assert mounts["/var/lib/postgresql/data"].source == "PersistentVolumeClaim postgres-data"
        # No kubelet complaint: the scheduler kept the pod away from the node until its claim was bound.
        assert [e["reason"] for e in c.events("default", involved=c.get("pod", "postgres"))
                if e["source"].get("component") == "kubelet" and e["type"] == "Warning"] == []
