"""A request's path and its trace (engine/network/request.py, trace.py): the plain-text rendering a person reads,
the sources and addresses a learner may name, /etc/hosts, the API server behind `kubernetes.default`, hostPorts
and host-network pods, the hooks an Ingress controller uses, and input that never crashes the engine."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from network_support import app, client, ensure_cluster_dns, service

from engine.cluster import Cluster
from engine.network import dns, request
from engine.network.app import AppRequest
from engine.network.request import Forward


async def shop() -> Cluster:
    c = Cluster(nodes=2)
    c.start()
    await ensure_cluster_dns(c)
    await c.apply(app("web", replicas=1))
    await c.apply(service("web"))
    await c.apply(client())
    await c.run_for(30)
    return c


async def test_the_trace_reads_as_the_path_with_a_verdict_per_hop() -> None:
    c = await shop()
    try:
        trace = c.request("default/client", "http://web/cart?id=3")
        pod = c.list("pods", "default", selector="app=web")[0]
        lines = trace.render().splitlines()
        assert lines[0] == "GET http://web/cart?id=3 from default/client"
        steps = [line.split()[1] for line in lines[1:] if line.startswith("  ") and line[2] in "✓✗·"]
        assert steps == ["source", "dns", "service", "kube-proxy", "egress", "ingress", "pod"]
        assert lines[-1] == f"  → 200 OK: Hello from {pod['metadata']['name']} (namespace default, node " \
                            f"{pod['spec']['nodeName']})"
        assert trace.ok and trace.status == 200 and trace.message == "HTTP/1.1 200 OK"
        assert [h.step for h in trace.hops] == ["source", "dns", "service", "kube-proxy", "egress", "ingress", "pod"]
    finally:
        await c.stop()


async def test_sources_and_their_errors() -> None:
    c = await shop()
    try:
        assert c.request("client", "http://web").ok  # a bare name is a pod in default
        assert c.request("default/nope", "http://web").message == 'pods "nope" not found in namespace "default"'
        sleepy = client("sleepy")
        sleepy["metadata"]["annotations"] = {"sim.k9py.io/pull-seconds": "1h"}
        sleepy["spec"]["containers"][0]["image"] = "alpine:3.20"  # not on any node yet: pulled for an hour
        await c.apply(sleepy)
        await c.run_for(1)
        assert "has no running container" in c.request("default/sleepy", "http://web").message
        assert c.request("default/client", "gopher://web").outcome == "invalid"
    finally:
        await c.stop()


async def test_localhost_is_the_pods_own_containers() -> None:
    c = await shop()
    try:
        pod = c.list("pods", "default", selector="app=web")[0]["metadata"]["name"]
        trace = c.request(f"default/{pod}", "http://localhost:80")
        assert trace.ok and "loopback inside" in trace.render()
        assert c.request("default/client", "http://localhost:80").outcome == "refused"  # busybox serves nothing
    finally:
        await c.stop()


async def test_kubernetes_default_reaches_the_api_server_which_refuses_anonymous() -> None:
    c = await shop()
    try:
        trace = c.request("default/client", "https://kubernetes.default/api")
        assert trace.status == 403 and trace.endpoint == "kube-apiserver"
        assert 'cannot get path \\"/api\\"' in trace.response.body
    finally:
        await c.stop()


async def test_host_port_and_host_network_pods_answer_on_their_node() -> None:
    c = await shop()
    try:
        await c.apply(app("hp", ports=[{"containerPort": 80, "hostPort": 8081}], nodeName="node-2"))
        await c.apply(app("hn", ports=[{"containerPort": 9100}], hostNetwork=True, nodeName="node-2"))
        await c.run_for(30)
        node = c.get("node", "node-2", None)
        ip = next(a["address"] for a in node["status"]["addresses"] if a["type"] == "InternalIP")
        host_port = c.request("outside", f"http://{ip}:8081")
        assert host_port.ok and host_port.endpoint.startswith("default/hp-"), host_port.render()
        host_net = c.request("default/client", f"http://{ip}:9100")
        assert host_net.ok and "host-network pod default/hn-" in host_net.render()
        assert c.request("outside", f"http://{ip}:9101").outcome == "refused"
    finally:
        await c.stop()


@pytest.fixture
def ingress_hooks() -> Iterator[None]:
    """A toy Ingress controller: `shop.example` resolves (outside the cluster) to the web pod's node, and a pod
    labelled role=proxy forwards everything to the web Service."""
    def resolver(store: object, name: str) -> list[str]:
        return ["172.18.0.3"] if name == "shop.example" else []

    def forwarder(pod: dict, port: int, req: AppRequest) -> Forward | None:
        if (pod["metadata"].get("labels") or {}).get("role") != "proxy":
            return None
        return Forward("http://web.default.svc.cluster.local" + req.path, host=req.host, title="proxy → web")

    dns.register_external_resolver(resolver)
    request.register_forwarder(forwarder)
    try:
        yield
    finally:
        dns._EXTERNAL.remove(resolver)
        request._FORWARDERS.remove(forwarder)


async def test_hooks_for_an_ingress_controller(ingress_hooks: None) -> None:
    c = await shop()
    try:
        await c.apply(app("proxy", labels={"role": "proxy"}, ports=[{"containerPort": 80, "hostPort": 80}],
                          nodeName="node-1"))
        await c.run_for(30)
        trace = c.request("outside", "http://shop.example/cart")
        assert trace.ok, trace.render()
        steps = [h.step for h in trace.hops]
        assert steps.count("dns") == 2 and "proxy" in steps
        assert trace.endpoint.startswith("default/web-") and trace.response.body.startswith("Hello from web-")
    finally:
        await c.stop()


URLS = st.one_of(st.text(max_size=30), st.sampled_from([
    "", "http://", "::1", "http://[::1]:80/", "http://web:99999", "http://web:0", "web:abc", "http://%zz/",
    "http://user:pw@web/x?y=1", "http://WEB.default.SVC.cluster.local./", "http://256.1.1.1/", "http://10.96.0.10:53",
    "http://[fe80::1]/", "http://web./", "http://" + "a" * 300]))
SOURCES = st.one_of(st.none(), st.text(max_size=20), st.sampled_from([
    "outside", "node/node-1", "node/", "node/nope", "default/client", "a/b/c", "/client"]))


async def test_no_input_crashes_the_data_plane() -> None:
    c = await shop()
    try:
        @settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
        @given(SOURCES, URLS, st.sampled_from(["GET", "POST", ""]))
        def check(source: str | None, url: str, method: str) -> None:
            trace = c.request(source, url, method)
            assert trace.outcome in ("ok", "refused", "timeout", "no route", "unresolved", "invalid")
            assert trace.render()

        check()
    finally:
        await c.stop()
