"""A deleted pod's containers stay ready until they stop, as the kubelet's prober manager keeps a running
container's readiness (kubectl shows `1/1 Terminating`); its EndpointSlice endpoint is then serving and terminating,
not ready, and kube-proxy sends to it only when no other endpoint is ready (upstream's CategorizeEndpoints)."""

from __future__ import annotations

from engine import Cluster

MANIFEST = """
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web}
  annotations:
    sim.k9py.io/stop-seconds: "20"
spec:
  terminationGracePeriodSeconds: 30
  containers:
    - name: nginx
      image: nginx:1.27
      ports: [{containerPort: 80}]
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{port: 80}]
"""


def _row(cluster: Cluster) -> dict[str, str]:
    columns, rows = cluster.table("pods", "default")
    return dict(zip(columns, rows[0], strict=True))


async def test_a_terminating_pod_stays_ready_until_its_container_stops_and_still_serves_as_a_last_resort() -> None:
    async with Cluster(nodes=1, clock="virtual") as cluster:
        await cluster.apply(MANIFEST)
        await cluster.run_for(10)
        assert (_row(cluster)["READY"], _row(cluster)["STATUS"]) == ("1/1", "Running")
        await cluster.delete("pod", "web")
        await cluster.run_for(5)
        assert (_row(cluster)["READY"], _row(cluster)["STATUS"]) == ("1/1", "Terminating")
        slices = cluster.list("EndpointSlice", "default", selector="kubernetes.io/service-name=web")
        conditions = [e["conditions"] for s in slices for e in s.get("endpoints") or ()]
        assert conditions == [{"ready": False, "serving": True, "terminating": True}]
        web = cluster.get("service", "web")
        assert web is not None
        trace = cluster.request("node/node-1", f"http://{web['spec']['clusterIP']}/")
        assert trace.ok and trace.endpoint == "default/web", trace.render()
        await cluster.run_for(20)  # nginx exits 20 s after SIGTERM: not ready any more, then gone
        assert cluster.get("pod", "web") is None
