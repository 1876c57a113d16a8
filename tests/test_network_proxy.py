"""kube-proxy's choice of endpoint (engine/network/proxy.py), checked against the iptables proxier
(k/k pkg/proxy/iptables/proxier.go) and CategorizeEndpoints (pkg/proxy/topology.go): ready endpoints only,
random and seeded, ClientIP affinity with its timeout on the engine clock, the Local traffic policies, terminating
endpoints as a last resort, NodePort and load-balancer entry, REJECT when there is no endpoint and DROP when
there is none on the node, and named targetPorts."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest
from network_support import app, bodies, client, ensure_cluster_dns, service

from engine.cluster import Cluster
from engine.network.endpoints import Endpoint, from_endpoints, from_slices, uses_slices
from engine.network.proxy import CLUSTER_IP, KubeProxy

Obj = dict[str, Any]
SOURCE_TEMPLATE = {"sim.k9py.io/response": "{pod} on {node} saw {source_ip}"}


async def started(nodes: int = 3, replicas: int = 3, **web: Any) -> Cluster:
    c = Cluster(nodes=nodes)
    c.start()
    await ensure_cluster_dns(c)
    await c.apply(app("web", replicas=replicas, **web))
    await c.apply(service("web"))
    await c.apply(client(nodeName="node-1"))
    await c.run_for(30)
    return c


def pods(c: Cluster, app_name: str = "web") -> list[Obj]:
    return c.list("pods", "default", selector=f"app={app_name}")


async def test_random_choice_among_ready_endpoints_spreads_the_load_and_is_seeded() -> None:
    c = await started()
    try:
        seen = Counter(body.split(" (")[0] for body in bodies(c, "default/client", "http://web", 300))
        names = {f"Hello from {p['metadata']['name']}" for p in pods(c)}
        assert set(seen) == names and min(seen.values()) > 60, seen
    finally:
        await c.stop()
    again = await started()
    try:
        first = bodies(again, "default/client", "http://web", 20)
    finally:
        await again.stop()
    third = await started()
    try:
        assert bodies(third, "default/client", "http://web", 20) == first  # same seed, same choices
    finally:
        await third.stop()


async def test_a_pod_that_is_not_ready_gets_no_traffic() -> None:
    probe = {"readinessProbe": {"httpGet": {"path": "/", "port": 80}, "periodSeconds": 5}}
    c = await started(replicas=1, labels={"tier": "web"}, container=probe)
    try:
        await c.apply(app("sick", replicas=2, labels={"tier": "web"}, container=probe,
                          annotations={"sim.k9py.io/readiness": "fail"}))
        await c.apply(service("tier", selector={"tier": "web"}))
        await c.run_for(60)
        landed = {t.endpoint.split("/")[1].rsplit("-", 2)[0]
                  for t in (c.request("default/client", "http://tier") for _ in range(30))}
        assert landed == {"web"}
        await c.scale("deploy", "web", 0)
        await c.run_for(60)
        trace = c.request("default/client", "http://tier")
        ip = c.get("service", "tier")["spec"]["clusterIP"]
        assert trace.outcome == "refused"
        assert trace.message == f"curl: (7) Failed to connect to {ip} port 80: Connection refused"
        assert "default/tier:http has no endpoints: kube-proxy rejects the connection" in trace.render()
        # The not-ready pods still answer on their own address: readiness only gates Services.
        sick = pods(c, "sick")[0]
        assert c.request("default/client", f"http://{sick['status']['podIP']}").ok
    finally:
        await c.stop()


async def test_a_service_with_no_endpoints_refuses() -> None:
    c = await started()
    try:
        await c.apply(service("nobody"))
        trace = c.request("default/client", "http://nobody")
        assert trace.outcome == "refused" and trace.choices[-1].failure == "refused"
    finally:
        await c.stop()


async def test_session_affinity_client_ip_sticks_until_its_timeout() -> None:
    c = await started()
    try:
        await c.apply(service("web", sessionAffinity="ClientIP",
                              sessionAffinityConfig={"clientIP": {"timeoutSeconds": 60}}))
        first = bodies(c, "default/client", "http://web", 10)
        assert len(set(first)) == 1
        trace = c.request("default/client", "http://web")
        assert "sessionAffinity ClientIP: 10." in trace.choices[-1].reason
        await c.run_for(59)  # each connection renews it: still within 60 s of the last one
        assert bodies(c, "default/client", "http://web", 1) == first[:1]
        await c.run_for(61)
        expired = c.request("default/client", "http://web")
        assert "affinity expired (61s > 60s); picked at random among 3 usable endpoints" in \
            expired.choices[-1].reason
        assert set(bodies(c, "default/client", "http://web", 10)) == {expired.response.body}
        # Another client has its own affinity.
        await c.apply(client("other", nodeName="node-1"))
        await c.run_for(10)
        assert len(set(bodies(c, "default/other", "http://web", 10))) == 1
    finally:
        await c.stop()


async def test_session_affinity_moves_when_its_endpoint_goes() -> None:
    c = await started()
    try:
        await c.apply(service("web", sessionAffinity="ClientIP"))
        chosen = c.request("default/client", "http://web").endpoint
        await c.delete("pod", chosen.split("/")[1])
        await c.run_for(5)
        trace = c.request("default/client", "http://web")
        assert trace.ok and trace.endpoint != chosen
        assert "is no longer usable" in trace.choices[-1].reason
    finally:
        await c.stop()


async def test_internal_traffic_policy_local_stays_on_the_clients_node() -> None:
    c = await started(replicas=1, annotations=SOURCE_TEMPLATE)
    try:
        await c.apply(service("web", internalTrafficPolicy="Local"))
        web_node = pods(c)[0]["spec"]["nodeName"]
        other = next(n for n in ("node-1", "node-2", "node-3") if n != web_node)
        await c.apply(client("here", nodeName=web_node))
        await c.apply(client("there", nodeName=other))
        await c.run_for(10)
        assert c.request("default/here", "http://web").ok
        dropped = c.request("default/there", "http://web")
        # Endpoints exist, but none on this node: DROP, and the client waits in vain.
        assert dropped.outcome == "timeout"
        assert f"has no local endpoints on {other}" in dropped.render()
    finally:
        await c.stop()


async def test_node_port_from_outside_cluster_policy_masquerades_local_policy_keeps_the_client() -> None:
    c = await started(replicas=1, annotations=SOURCE_TEMPLATE)
    try:
        await c.apply(service("web", type="NodePort"))
        svc = c.get("service", "web")
        node_port = svc["spec"]["ports"][0]["nodePort"]
        web_node = pods(c)[0]["spec"]["nodeName"]
        other = next(n for n in c.list("nodes", None) if n["metadata"]["name"] != web_node)
        other_ip = next(a["address"] for a in other["status"]["addresses"] if a["type"] == "InternalIP")
        cluster = c.request("outside", f"http://{other_ip}:{node_port}")
        assert cluster.ok and cluster.response.body.endswith(f"saw {other_ip}"), cluster.render()  # SNAT
        await c.apply(service("web", type="NodePort", externalTrafficPolicy="Local",
                              ports=[{"name": "http", "port": 80, "targetPort": "http", "nodePort": node_port}]))
        dropped = c.request("outside", f"http://{other_ip}:{node_port}")
        assert dropped.outcome == "timeout" and "externalTrafficPolicy: Local" in dropped.render()
        local_node = c.get("node", web_node, None)
        local_ip = next(a["address"] for a in local_node["status"]["addresses"] if a["type"] == "InternalIP")
        kept = c.request("outside", f"http://{local_ip}:{node_port}")
        assert kept.ok and kept.response.body.endswith("saw 203.0.113.10")  # the client's own address
        # A pod reaching a node port takes the cluster-wide endpoints whatever the policy (KUBE-EXT).
        assert c.request("default/client", f"http://{other_ip}:{node_port}").ok
        # A port no Service holds on a node: the node's kernel refuses.
        assert c.request("outside", f"http://{other_ip}:31999").outcome == "refused"
    finally:
        await c.stop()


async def test_load_balancer_ip_from_outside_and_from_a_pod() -> None:
    c = await started(replicas=2)
    try:
        await c.apply(service("web", type="LoadBalancer"))
        await c.run_for(1)
        ip = c.get("service", "web")["status"]["loadBalancer"]["ingress"][0]["ip"]
        assert ip == "172.18.255.201"  # the pool's first is the ingress-nginx controller's
        trace = c.request("outside", f"http://{ip}/")
        assert trace.ok and trace.services == ("default/web:http",)
        assert f"via its load-balancer IP {ip}" in trace.render()
        assert c.request("default/client", f"http://{ip}").ok
        assert c.request("outside", f"http://{ip}:81").outcome == "timeout"
    finally:
        await c.stop()


async def test_named_target_port_resolves_per_pod_and_a_missing_port_refuses() -> None:
    c = await started(replicas=1, ports=[{"containerPort": 8080, "name": "http"}])
    try:
        await c.apply(app("web2", replicas=1, labels={"tier": "web"}, ports=[{"containerPort": 9090, "name": "http"}]))
        await c.apply(app("web3", replicas=1, labels={"tier": "web"}, ports=[{"containerPort": 80}]))
        await c.apply(service("tier", selector={"tier": "web"}))
        await c.apply(service("numeric", selector={"tier": "web"}, ports=[{"port": 80, "targetPort": 8080}]))
        await c.run_for(30)
        ports = {t.choices[-1].target_port for t in (c.request("default/client", "http://tier") for _ in range(30))}
        assert ports == {9090}  # web3 has no port named http: it is no endpoint of the Service
        text = c.request("default/client", "http://tier").render()
        assert "targetPort http is 9090 in default/web2-" in text
        # A numeric targetPort the pod does not listen on: the pod's kernel refuses.
        refused = c.request("default/client", "http://numeric")
        assert refused.outcome == "refused" and "nothing listens on port 8080" in refused.render()
    finally:
        await c.stop()


async def test_wrong_port_unallocated_ip_and_unknown_pod_address() -> None:
    c = await started(replicas=1)
    try:
        assert c.request("default/client", "http://web:8080").outcome == "timeout"
        assert c.request("default/client", "http://10.111.222.1").outcome == "timeout"
        trace = c.request("default/client", "http://10.244.9.9")
        assert trace.outcome == "no route" and trace.message.endswith("No route to host")
        assert c.request("outside", f"http://{c.get('service', 'web')['spec']['clusterIP']}").outcome == "timeout"
    finally:
        await c.stop()


def endpoint(ip: str, *, ready: bool = True, serving: bool = True, terminating: bool = False,
             node: str = "node-1") -> Endpoint:
    return Endpoint(ip, (("http", 80, "TCP"),), ready, serving, terminating, node, ("default", ip))


SVC = {"metadata": {"name": "web", "namespace": "default"}, "spec": {"ports": [{"name": "http", "port": 80}]}}
PORT = {"name": "http", "port": 80, "protocol": "TCP"}


def choose(endpoints: list[Endpoint], svc: Obj = SVC, node: str = "node-1") -> Any:
    return KubeProxy(random.Random(1)).choose(svc, PORT, endpoints, node=node, entry=CLUSTER_IP,
                                              client_ip="10.244.1.2", from_cluster=True, now=0.0)


def test_terminating_endpoints_serve_only_when_no_endpoint_is_ready() -> None:
    """CategorizeEndpoints: Ready first; serving+terminating as the fallback; terminating but not serving never."""
    draining = endpoint("10.244.1.5", ready=False, serving=True, terminating=True)
    gone = endpoint("10.244.1.6", ready=False, serving=False, terminating=True)
    fresh = endpoint("10.244.1.7")
    assert {choose([draining, gone, fresh]).endpoint for _ in range(10)} == {fresh}
    fallback = choose([draining, gone])
    assert fallback.endpoint == draining and "terminating" in fallback.reason
    assert choose([gone]).failure == "refused"
    local = {**SVC, "spec": {**SVC["spec"], "internalTrafficPolicy": "Local"}}
    remote_draining = endpoint("10.244.2.5", ready=False, serving=True, terminating=True, node="node-2")
    assert choose([remote_draining], local).failure == "timeout"  # usable elsewhere: DROP, not REJECT
    assert choose([remote_draining, draining], local).endpoint == draining


async def test_a_terminating_endpoint_serves_only_while_nothing_else_can() -> None:
    """A terminating endpoint that still serves (an EndpointSlice's serving+terminating) is used only when no
    endpoint is ready anywhere (KEP-1669, CategorizeEndpoints). The slice is written by hand for a Service
    without a selector, as a controller of one's own would."""
    if not uses_slices():
        pytest.skip("EndpointSlices are not served: the Endpoints object drops terminating pods")
    c = await started(replicas=2)
    try:
        (old, old_ip), (new, new_ip) = sorted((p["metadata"]["name"], p["status"]["podIP"]) for p in pods(c))
        await c.apply(service("manual", selector={}))

        async def slice_of(conditions: list[Obj]) -> None:
            await c.apply({
                "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
                "metadata": {"name": "manual-1", "labels": {"kubernetes.io/service-name": "manual"}},
                "ports": [{"name": "http", "port": 80, "protocol": "TCP"}],
                "endpoints": [{"addresses": [ip], "conditions": cond, "targetRef": {
                    "kind": "Pod", "namespace": "default", "name": name}}
                    for (name, ip), cond in zip(((old, old_ip), (new, new_ip)), conditions, strict=True)]})

        draining = {"ready": False, "serving": True, "terminating": True}
        await slice_of([draining, {"ready": True}])
        assert {c.request("default/client", "http://manual").endpoint for _ in range(10)} == {f"default/{new}"}
        await slice_of([draining, {"ready": False, "serving": False}])
        trace = c.request("default/client", "http://manual")
        assert trace.ok and trace.endpoint == f"default/{old}", trace.render()
        assert "serving endpoints that are terminating" in trace.choices[-1].reason
        await slice_of([{**draining, "serving": False}, {"ready": False, "serving": False}])
        assert c.request("default/client", "http://manual").outcome == "refused"
    finally:
        await c.stop()


def test_endpoints_read_from_an_endpoints_object_and_from_slices() -> None:
    endpoints = {"subsets": [{"addresses": [{"ip": "10.244.1.2", "nodeName": "node-1", "hostname": "a",
                                             "targetRef": {"kind": "Pod", "namespace": "ns", "name": "a"}}],
                              "notReadyAddresses": [{"ip": "10.244.1.3"}],
                              "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}]}
    ready, not_ready = from_endpoints(endpoints)
    assert (ready.ip, ready.ready, ready.node, ready.pod, ready.hostname, ready.port("http")) == (
        "10.244.1.2", True, "node-1", ("ns", "a"), "a", 8080)
    assert (not_ready.ready, not_ready.serving, not_ready.terminating) == (False, False, False)
    slices = [{"ports": [{"name": "http", "port": 8080}], "endpoints": [
        {"addresses": ["10.244.1.2"], "conditions": {}},
        {"addresses": ["10.244.1.3"], "conditions": {"ready": False, "serving": True, "terminating": True}},
        {"addresses": [], "conditions": {}}]}]
    first, second = from_slices(slices)
    assert (first.ready, first.serving, first.terminating) == (True, True, False)  # unset conditions: ready
    assert (second.ready, second.serving, second.terminating) == (False, True, True)
    assert second.port("http", "TCP") == 8080 and second.port("http", "UDP") is None


async def test_without_endpointslices_the_endpoints_object_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """The one switch between the two sources (engine/network/endpoints.py): the Endpoints object."""
    monkeypatch.setattr("engine.network.endpoints.uses_slices", lambda: False)
    c = await started()
    try:
        seen = {t.endpoint for t in (c.request("default/client", "http://web") for _ in range(30))}
        assert seen == {f"default/{p['metadata']['name']}" for p in pods(c)}
    finally:
        await c.stop()
