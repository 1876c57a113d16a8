"""Helpers for the data-plane tests: small manifests and a cluster DNS like kubeadm's (a plain module)."""

from __future__ import annotations

from typing import Any

from engine.cluster import Cluster

Obj = dict[str, Any]

# The seeds' NetworkPolicy (/work/shared/seeds/003_*), its indentation restored.
SEED_API_POLICY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api-policy
spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes:
  - Ingress
  - Egress
  ingress:
  - from:
    - podSelector:
        matchLabels:
          app: frontend
    ports:
    - protocol: TCP
      port: 8080
  egress:
  - to:
    - podSelector:
        matchLabels:
          app: database
    ports:
    - protocol: TCP
      port: 5432
  - to:
    - namespaceSelector: {}
      podSelector:
        matchLabels:
          k8s-app: kube-dns
    ports:
    - protocol: UDP
      port: 53
"""
COREDNS_IMAGE = "registry.k8s.io/coredns/coredns:v1.12.1"


def app(name: str, *, namespace: str = "default", replicas: int = 1, labels: dict[str, str] | None = None,
        ports: list[Obj] | None = None, image: str = "nginx:1.27", annotations: dict[str, str] | None = None,
        container: Obj | None = None, **pod_spec: Any) -> Obj:
    """A Deployment of pods labelled `app: <name>` (plus `labels`), one container `app` with `ports`
    (default: 80 named http) and the fields of `container`."""
    pod_labels = {"app": name, **(labels or {})}
    container = {"name": "app", "image": image,
                 "ports": ports if ports is not None else [{"containerPort": 80, "name": "http"}],
                 **(container or {})}
    template: Obj = {"metadata": {"labels": pod_labels}, "spec": {"containers": [container], **pod_spec}}
    if annotations:
        template["metadata"]["annotations"] = annotations
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": namespace},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}}, "template": template}}


def service(name: str, *, namespace: str = "default", selector: dict[str, str] | None = None,
            ports: list[Obj] | None = None, **spec: Any) -> Obj:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace},
            "spec": {"selector": selector if selector is not None else {"app": name},
                     "ports": ports if ports is not None else [{"name": "http", "port": 80, "targetPort": "http"}],
                     **spec}}


def client(name: str = "client", *, namespace: str = "default", labels: dict[str, str] | None = None,
           **spec: Any) -> Obj:
    """A pod that sleeps: the source of requests."""
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace, "labels": labels or {"app": name}},
            "spec": {"containers": [{"name": "c", "image": "busybox:1.36", "command": ["sleep", "infinity"]}],
                     **spec}}


def namespace(name: str, labels: dict[str, str] | None = None) -> Obj:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels or {}}}


def policy(name: str, spec: Obj, namespace: str = "default") -> Obj:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}


async def ensure_cluster_dns(c: Cluster) -> None:
    """kubeadm's CoreDNS: a `coredns` Deployment and the `kube-dns` Service on 10.96.0.10, unless the cluster
    already has them."""
    if c.get("service", "kube-dns", "kube-system") is None:
        await c.apply(app("coredns", namespace="kube-system", replicas=2, labels={"k8s-app": "kube-dns"},
                          image=COREDNS_IMAGE,
                          ports=[{"containerPort": 53, "name": "dns", "protocol": "UDP"},
                                 {"containerPort": 53, "name": "dns-tcp", "protocol": "TCP"},
                                 {"containerPort": 9153, "name": "metrics", "protocol": "TCP"}]))
        await c.apply(service("kube-dns", namespace="kube-system", selector={"k8s-app": "kube-dns"},
                              clusterIP="10.96.0.10",
                              ports=[{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                                     {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                                     {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153}]))
    await c.run_for(30)


def bodies(c: Cluster, source: str, url: str, n: int) -> list[str]:
    """The bodies of `n` requests (failures as their messages)."""
    out = []
    for _ in range(n):
        trace = c.request(source, url)
        out.append(trace.response.body if trace.response is not None else trace.message)
    return out
