"""PodDisruptionBudgets through the HTTP API with the real kubectl: the eviction subresource's 429 (the body a v1.36
kube-apiserver wrote, taken with `kubectl create --raw .../eviction -v=9`), and `kubectl get pdb`."""

from __future__ import annotations

from test_apiserver_kit import Served, needs_kubectl, served

pytestmark = needs_kubectl
__all__ = ["served"]

WEB = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: app, image: nginx:1.27}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web-pdb, namespace: default}
spec:
  minAvailable: 2
  selector: {matchLabels: {app: web}}
"""


async def test_a_refused_eviction_answers_429_as_kube_apiserver(served: Served) -> None:
    await served.ok("apply", "-f", "-", stdin=WEB)
    await served.wait_for(lambda: (served.cluster.get("pdb", "web-pdb").get("status") or {}).get(
        "currentHealthy") == 2)
    out = await served.ok("get", "pdb")
    assert out.splitlines()[0].split() == ["NAME", "MIN", "AVAILABLE", "MAX", "UNAVAILABLE", "ALLOWED",
                                           "DISRUPTIONS", "AGE"]
    assert out.splitlines()[1].split()[:4] == ["web-pdb", "2", "N/A", "0"]
    name = served.cluster.list("pods", "default")[0]["metadata"]["name"]
    code, body, response = await served.request(
        "POST", f"/api/v1/namespaces/default/pods/{name}/eviction",
        json={"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name}})
    assert code == 429 and "Retry-After" not in response.headers
    assert body == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                    "message": "Cannot evict pod as it would violate the pod's disruption budget.",
                    "reason": "TooManyRequests",
                    "details": {"causes": [{"reason": "DisruptionBudget", "message": "The disruption budget web-pdb "
                                            "needs 2 healthy pods and has 2 currently"}]},
                    "code": 429}
    assert served.cluster.get("pod", name)["metadata"].get("deletionTimestamp") is None
