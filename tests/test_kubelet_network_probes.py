"""Probes the simulated network decides (engine/kubelet/probe_network.py), on the virtual clock: exec probes that
run `wget`, `curl` or `nc -z` in the container, their timeout, httpGet and tcpSocket probes with a `host` sent
from the node, and the seed's probes on the container itself, which stay with its simulated app."""

from __future__ import annotations

from network_support import app, ensure_cluster_dns, policy, service

from engine.cluster import Cluster
from tests.test_kubelet_scenarios import row

# The seed's probes (/work/shared/seeds/003_*, "Pod lifecycle"), indentation restored; my-app declares no port.
SEED_PROBES = """\
apiVersion: v1
kind: Pod
metadata:
  name: probed
spec:
  containers:
  - name: app
    image: my-app:latest
    livenessProbe:
      httpGet:
        path: /healthz
        port: 8080
      initialDelaySeconds: 3
      periodSeconds: 5
    readinessProbe:
      httpGet:
        path: /ready
        port: 8080
      initialDelaySeconds: 5
      periodSeconds: 10
"""


def probed(name: str, kind: str, probe: dict, **fields: object) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": name}},
            "spec": {"containers": [{"name": "app", "image": "busybox:1.36", "command": ["sleep", "infinity"],
                                     kind: {"periodSeconds": 5, **probe, **fields}}]}}


def unhealthy(c: Cluster, name: str) -> list[str]:
    return [e["message"] for e in c.events(involved=c.get("pod", name)) if e["reason"] == "Unhealthy"]


async def test_an_exec_readiness_probe_follows_the_service_it_calls() -> None:
    async with Cluster(nodes=2) as c:
        await ensure_cluster_dns(c)
        await c.apply(probed("client", "readinessProbe", {"exec": {"command": ["wget", "-q", "-O-", "http://backend/"]}}))
        await c.apply(probed("quiet", "readinessProbe",
                             {"exec": {"command": ["wget", "-q", "-O", "/dev/null", "http://backend/"]}}))
        await c.run_for(20)
        assert row(c, "client")["READY"] == row(c, "quiet")["READY"] == "0/1"
        assert unhealthy(c, "client") == ["Readiness probe failed: wget: bad address 'backend'"]
        await c.apply(service("backend"))
        await c.apply(app("backend"))
        await c.run_for(15)
        assert row(c, "client")["READY"] == row(c, "quiet")["READY"] == "1/1"
        # The probe goes on every period: the backend going away makes the client unready again.
        await c.apply(app("backend", replicas=0))
        await c.run_for(30)
        assert row(c, "client")["READY"] == "0/1"
        ip = c.get("service", "backend")["spec"]["clusterIP"]
        assert unhealthy(c, "client")[-1] == (
            f"Readiness probe failed: wget: can't connect to remote host ({ip}): Connection refused")


async def test_an_exec_liveness_probe_restarts_on_the_answer_it_gets() -> None:
    async with Cluster(nodes=2) as c:
        await ensure_cluster_dns(c)
        await c.apply(service("backend"))
        await c.apply(app("backend", annotations={"sim.k9py.io/response-status": "503"}))
        await c.apply(probed("client", "livenessProbe",
                             {"exec": {"command": ["sh", "-c", "curl -fsS http://backend/ > /dev/null"]}}))
        await c.run_for(50)  # three failures 5 s apart, then `sleep` ignores SIGTERM for the 30 s grace period
        assert row(c, "client")["RESTARTS"].startswith("1")
        assert unhealthy(c, "client")[0] == (
            "Liveness probe failed: curl: (22) The requested URL returned error: 503")
        killing = [e["message"] for e in c.events(involved=c.get("pod", "client")) if e["reason"] == "Killing"]
        assert killing[0] == "Container app failed liveness probe, will be restarted"


async def test_an_exec_probe_that_outlives_its_timeout_fails_as_timed_out() -> None:
    async with Cluster(nodes=2) as c:
        await ensure_cluster_dns(c)
        await c.apply(service("backend"))
        await c.apply(app("backend"))
        # Ingress to the backend is denied: the connection hangs (the packets are dropped) until nc gives up.
        await c.apply(policy("deny", {"podSelector": {"matchLabels": {"app": "backend"}}, "policyTypes": ["Ingress"]}))
        await c.apply(probed("client", "readinessProbe", {"exec": {"command": ["nc", "-z", "backend", "80"]}},
                             timeoutSeconds=2))
        await c.run_for(30)
        assert row(c, "client")["READY"] == "0/1"
        events = [e for e in c.events(involved=c.get("pod", "client")) if e["reason"] == "Unhealthy"]
        assert events[0]["message"] == 'Readiness probe failed: command "nc -z backend 80" timed out'
        started = next(e for e in c.events(involved=c.get("pod", "client")) if e["reason"] == "Started")
        # The first probe runs as the container starts and fails when the kubelet gives up, 2 s later.
        assert events[0]["firstTimestamp"] > started["firstTimestamp"]


async def test_http_and_tcp_probes_with_a_host_go_from_the_node() -> None:
    async with Cluster(nodes=2) as c:
        await ensure_cluster_dns(c)
        await c.apply(service("backend"))
        await c.apply(app("backend"))
        await c.run_for(10)
        ip = c.get("service", "backend")["spec"]["clusterIP"]
        # A cluster IP works from the node: kube-proxy's rules are there.
        await c.apply(probed("by-ip", "readinessProbe", {"httpGet": {"host": ip, "path": "/", "port": 80}}))
        # The node's resolver knows no cluster.local name.
        await c.apply(probed("by-name", "readinessProbe", {"httpGet": {"host": "backend", "port": 80}}))
        # A port the Service does not have: nothing answers, the dial times out.
        await c.apply(probed("tcp", "readinessProbe", {"tcpSocket": {"host": ip, "port": 81}}, timeoutSeconds=3))
        await c.run_for(20)
        assert [row(c, n)["READY"] for n in ("by-ip", "by-name", "tcp")] == ["1/1", "0/1", "0/1"]
        assert unhealthy(c, "by-name")[0] == (
            'Readiness probe failed: Get "http://backend:80/": dial tcp: lookup backend on 172.18.0.1:53: no such host')
        assert unhealthy(c, "tcp")[0] == f"Readiness probe failed: dial tcp {ip}:81: i/o timeout"


async def test_the_seeds_probes_on_the_container_itself_stay_with_its_simulated_app() -> None:
    """No `host`: the kubelet dials the pod's own IP, where the app listens wherever it binds (my-app declares no
    port 8080); NetworkPolicy does not apply to its own node."""
    async with Cluster(nodes=1) as c:
        await c.apply(policy("deny-all", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}))
        await c.apply(SEED_PROBES)
        await c.run_for(60)
        assert (row(c, "probed")["READY"], row(c, "probed")["RESTARTS"]) == ("1/1", "0")
        assert unhealthy(c, "probed") == []
