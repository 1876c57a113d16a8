"""NetworkPolicy semantics (engine/network/policy.py), on requests through the simulated data plane.

Each rule is the NetworkPolicy API's (https://kubernetes.io/docs/concepts/services-networking/network-policies/ and
the networking.k8s.io/v1 type comments): isolation per direction, policies adding up, peers (podSelector,
namespaceSelector, both in one peer as AND, two peers as OR, ipBlock with except), ports (number, name, range,
protocol), the policyTypes defaults, the pod's own node always allowed in, and an egress default deny that also
stops DNS. A denied connection is dropped, so the client times out.
"""

from __future__ import annotations

import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from network_support import app, client, ensure_cluster_dns, namespace, policy, service

from engine.cluster import Cluster
from engine.network.policy import Party, compile_policies, evaluate

Obj = dict[str, Any]
SELECT_WEB = {"matchLabels": {"app": "web"}}


async def web_cluster(**web: Any) -> Cluster:
    c = Cluster(nodes=2)
    c.start()
    await ensure_cluster_dns(c)
    await c.apply(app("web", replicas=2, **web))
    await c.apply(service("web"))
    await c.apply(client("frontend", labels={"app": "frontend"}))
    await c.apply(client("other", labels={"app": "other"}))
    await c.run_for(30)
    return c


async def test_no_policy_means_everything_is_allowed() -> None:
    c = await web_cluster()
    try:
        trace = c.request("default/other", "http://web")
        assert trace.ok, trace.render()
        assert [v.reason for v in trace.verdicts if v.subject.startswith("default/web")] == [
            f"no NetworkPolicy selects {trace.endpoint} for ingress"]
    finally:
        await c.stop()


async def test_default_deny_ingress_drops_the_connection_and_says_no_rule_allowed() -> None:
    c = await web_cluster()
    try:
        await c.apply(policy("default-deny", {"podSelector": {}}))
        trace = c.request("default/frontend", "http://web")
        assert trace.outcome == "timeout"
        assert trace.message.endswith("port 80: Connection timed out")
        ingress = trace.verdicts[-1]
        assert (ingress.direction, ingress.allowed, ingress.selected_by) == ("ingress", False, ("default-deny",))
        assert "no ingress rule allows TCP 80 from default/frontend" in ingress.reason
        assert "✗ ingress" in trace.render()
        # Egress is not affected: the policy's types default to Ingress only.
        assert trace.verdicts[-2].direction == "egress" and trace.verdicts[-2].allowed
    finally:
        await c.stop()


async def test_pod_selector_peer_allows_only_the_selected_pods_and_the_verdict_names_the_rule() -> None:
    c = await web_cluster()
    try:
        await c.apply(policy("default-deny", {"podSelector": {}}))
        await c.apply(policy("allow-frontend", {"podSelector": SELECT_WEB, "ingress": [
            {"from": [{"podSelector": {"matchLabels": {"app": "nobody"}}}]},
            {"from": [{"podSelector": {"matchLabels": {"app": "frontend"}}}], "ports": [{"port": 80}]}]}))
        allowed = c.request("default/frontend", "http://web")
        assert allowed.ok, allowed.render()
        verdict = allowed.verdicts[-1]
        assert (verdict.policy, verdict.rule) == ("allow-frontend", 1)
        assert verdict.selected_by == ("allow-frontend", "default-deny")  # policies add up
        assert "NetworkPolicy default/allow-frontend ingress rule 2 allows TCP 80 from default/frontend" in \
            allowed.render()
        assert c.request("default/other", "http://web").outcome == "timeout"
    finally:
        await c.stop()


async def test_namespace_selector_and_pod_selector_in_one_peer_are_an_and_in_two_peers_an_or() -> None:
    c = await web_cluster()
    try:
        await c.apply(namespace("team-a", {"team": "a"}))
        await c.apply(namespace("team-b", {"team": "b"}))
        for ns in ("team-a", "team-b"):
            await c.apply(client("tester", namespace=ns, labels={"role": "tester"}))
            await c.apply(client("admin", namespace=ns, labels={"role": "admin"}))
        await c.run_for(10)
        team_a = {"namespaceSelector": {"matchLabels": {"team": "a"}}}
        testers = {"podSelector": {"matchLabels": {"role": "tester"}}}
        await c.apply(policy("and", {"podSelector": SELECT_WEB, "ingress": [{"from": [{**team_a, **testers}]}]}))
        reached = {src: c.request(src, "http://web.default").ok
                   for src in ("team-a/tester", "team-a/admin", "team-b/tester", "default/frontend")}
        assert reached == {"team-a/tester": True, "team-a/admin": False, "team-b/tester": False,
                           "default/frontend": False}
        await c.apply(policy("and", {"podSelector": SELECT_WEB, "ingress": [{"from": [team_a, testers]}]}))
        reached = {src: c.request(src, "http://web.default").ok
                   for src in ("team-a/tester", "team-a/admin", "team-b/tester", "default/frontend")}
        # OR: every pod of team-a, and testers of the policy's own namespace only (a bare podSelector).
        assert reached == {"team-a/tester": True, "team-a/admin": True, "team-b/tester": False,
                           "default/frontend": False}
    finally:
        await c.stop()


async def test_ip_block_with_except() -> None:
    c = await web_cluster()
    try:
        frontend = c.get("pod", "frontend")
        assert frontend is not None
        frontend_ip = frontend["status"]["podIP"]
        await c.apply(policy("by-address", {"podSelector": SELECT_WEB, "ingress": [{"from": [
            {"ipBlock": {"cidr": "10.244.0.0/16", "except": [f"{frontend_ip}/32"]}}]}]}))
        assert c.request("default/other", "http://web").ok
        denied = c.request("default/frontend", "http://web")
        assert denied.outcome == "timeout" and "no ingress rule allows" in denied.verdicts[-1].reason
    finally:
        await c.stop()


async def test_ports_by_number_name_range_and_protocol() -> None:
    c = await web_cluster(ports=[{"containerPort": 80, "name": "http"}, {"containerPort": 9090, "name": "metrics"}])
    try:
        await c.apply(service("web", ports=[{"name": "http", "port": 80, "targetPort": "http"},
                                            {"name": "metrics", "port": 9090, "targetPort": "metrics"}]))
        await c.run_for(1)  # the endpoints controller adds the new port

        async def reach(ports: list[Obj]) -> tuple[bool, bool]:
            await c.apply(policy("ports", {"podSelector": SELECT_WEB, "ingress": [{"ports": ports}]}))
            return c.request("default/frontend", "web:80").ok, c.request("default/frontend", "web:9090").ok

        assert await reach([{"port": 80}]) == (True, False)
        assert await reach([{"port": "metrics"}]) == (False, True)  # named: the destination pod's containerPort
        assert await reach([{"port": 8000, "endPort": 9999}]) == (False, True)
        assert await reach([{"port": 80, "protocol": "UDP"}]) == (False, False)
        # The port a policy sees is the pod's (after kube-proxy's DNAT), not the Service's.
        await c.apply(service("web", ports=[{"name": "http", "port": 8080, "targetPort": "http"}]))
        await c.run_for(1)
        await c.apply(policy("ports", {"podSelector": SELECT_WEB, "ingress": [{"ports": [{"port": 80}]}]}))
        assert c.request("default/frontend", "web:8080").ok
    finally:
        await c.stop()


async def test_policy_types_default_and_an_egress_only_policy() -> None:
    c = await web_cluster()
    try:
        await c.apply(policy("egress-only", {"podSelector": {"matchLabels": {"app": "frontend"}},
                                             "policyTypes": ["Egress"]}))
        assert c.request("default/other", "http://web").ok  # web is not isolated for ingress by it
        denied = c.request("default/frontend", "http://web")
        assert not denied.ok
        # The default deny of egress stops the DNS query first: the name never resolves.
        assert denied.outcome == "unresolved"
    finally:
        await c.stop()


async def test_egress_default_deny_also_blocks_dns_and_the_trace_shows_it() -> None:
    """The learner's classic mistake: deny all egress, allow the database, forget DNS."""
    c = await web_cluster()
    try:
        await c.apply(policy("deny-egress", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [
            {"to": [{"podSelector": SELECT_WEB}], "ports": [{"port": 80}]}]}))
        trace = c.request("default/frontend", "http://web")
        assert trace.outcome == "unresolved"
        assert trace.message == "curl: (6) Could not resolve host: web"
        dns_hop = next(h for h in trace.hops if h.step == "dns")
        assert dns_hop.verdict == "failed"
        assert any("53/UDP failed: connection timed out" in line for line in dns_hop.details)
        assert ";; connection timed out; no servers could be reached" in dns_hop.details
        udp = next(v for v in trace.verdicts if not v.allowed)
        assert udp.direction == "egress" and "UDP 53" in udp.reason and udp.selected_by == ("deny-egress",)
        # By address, the same request passes: only DNS was missing.
        svc = c.get("service", "web")
        assert svc is not None and c.request("default/frontend", f"http://{svc['spec']['clusterIP']}").ok
        # The fix the seed shows: allow UDP 53 to kube-dns in any namespace.
        await c.apply(policy("allow-dns", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [
            {"to": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
             "ports": [{"protocol": "UDP", "port": 53}]}]}))
        assert c.request("default/frontend", "http://web").ok
    finally:
        await c.stop()


async def test_the_pods_own_node_may_always_reach_it() -> None:
    c = await web_cluster()
    try:
        await c.apply(policy("default-deny", {"podSelector": {}}))
        pod = next(p for p in c.list("pods", "default", selector="app=web"))
        node, ip = pod["spec"]["nodeName"], pod["status"]["podIP"]
        own = c.request(f"node/{node}", f"http://{ip}")
        assert own.ok and "always allowed" in own.verdicts[-1].reason
        other_node = next(n["metadata"]["name"] for n in c.list("nodes", None) if n["metadata"]["name"] != node)
        assert c.request(f"node/{other_node}", f"http://{ip}").outcome == "timeout"
    finally:
        await c.stop()


# --------------------------------------------------------------------------- properties of the evaluator

LABELS = st.dictionaries(st.sampled_from(["app", "tier"]), st.sampled_from(["a", "b"]), max_size=2)
SELECTOR = st.one_of(st.just({}), LABELS.map(lambda labels: {"matchLabels": labels}))
PEER = st.one_of(
    st.fixed_dictionaries({"podSelector": SELECTOR}),
    st.fixed_dictionaries({"namespaceSelector": SELECTOR}),
    st.fixed_dictionaries({"podSelector": SELECTOR, "namespaceSelector": SELECTOR}),
    st.sampled_from([{"ipBlock": {"cidr": "10.244.0.0/16"}},
                     {"ipBlock": {"cidr": "10.244.0.0/16", "except": ["10.244.1.0/24"]}}]),
)
PORT = st.sampled_from([{"port": 80}, {"port": "http"}, {"port": 70, "endPort": 90}, {"port": 80, "protocol": "UDP"},
                        {"protocol": "TCP"}])
RULE = st.fixed_dictionaries({}, optional={"from": st.lists(PEER, max_size=2), "ports": st.lists(PORT, max_size=2)})
POLICY = st.fixed_dictionaries({"podSelector": SELECTOR, "ingress": st.lists(RULE, max_size=2)},
                               optional={"policyTypes": st.sampled_from([["Ingress"], ["Ingress", "Egress"]])})
NAMESPACES = {"ns1": {"kubernetes.io/metadata.name": "ns1", "app": "a"},
              "ns2": {"kubernetes.io/metadata.name": "ns2", "tier": "b"}}


def _pod(name: str, namespace: str, labels: dict[str, str], ip: str) -> Obj:
    return {"metadata": {"name": name, "namespace": namespace, "labels": labels},
            "spec": {"nodeName": "node-1", "containers": [{"name": "c", "ports": [
                {"containerPort": 80, "name": "http"}]}]},
            "status": {"podIP": ip}}


def _objects(specs: list[Obj]) -> list[Obj]:
    return [{"metadata": {"name": f"p{i}", "namespace": "ns1"}, "spec": spec} for i, spec in enumerate(specs)]


def _ingress(specs: list[Obj], target: Obj, source: Obj, port: int = 80) -> bool:
    policies = compile_policies(_objects(specs))
    me = Party(target["status"]["podIP"], target, NAMESPACES["ns1"], "node-1")
    them = Party(source["status"]["podIP"], source, NAMESPACES[source["metadata"]["namespace"]], "node-2")
    return evaluate(policies, "ingress", me, them, "TCP", port, target).allowed


PODS = st.tuples(LABELS, LABELS, st.sampled_from(["ns1", "ns2"]), st.sampled_from(["10.244.1.7", "10.244.2.7"]))


@settings(max_examples=200, deadline=None)
@given(st.lists(POLICY, max_size=3), PODS)
def test_a_pod_no_policy_selects_is_never_isolated(specs: list[Obj], pods: tuple) -> None:
    target_labels, source_labels, source_ns, source_ip = pods
    target = _pod("target", "ns1", {**target_labels, "unique": "yes"}, "10.244.3.3")
    source = _pod("source", source_ns, source_labels, source_ip)
    for spec in specs:
        spec["podSelector"] = {"matchLabels": {"unique": "no"}}
    assert _ingress(specs, target, source)


@settings(max_examples=200, deadline=None)
@given(st.lists(POLICY, min_size=1, max_size=3), RULE, st.integers(0, 2), PODS, st.sampled_from([80, 85, 443]))
def test_adding_an_allow_rule_never_denies_more(specs: list[Obj], rule: Obj, which: int, pods: tuple,
                                                port: int) -> None:
    target_labels, source_labels, source_ns, source_ip = pods
    target = _pod("target", "ns1", target_labels, "10.244.3.3")
    source = _pod("source", source_ns, source_labels, source_ip)
    before = _ingress(specs, target, source, port)
    grown = [dict(s) for s in specs]
    chosen = grown[which % len(grown)]
    chosen["ingress"] = [*chosen.get("ingress", []), rule]
    if before:
        assert _ingress(grown, target, source, port)


@settings(max_examples=200, deadline=None)
@given(st.lists(POLICY, max_size=4), PODS, st.randoms(use_true_random=False))
def test_the_order_of_policies_does_not_matter(specs: list[Obj], pods: tuple, rnd: random.Random) -> None:
    target_labels, source_labels, source_ns, source_ip = pods
    target = _pod("target", "ns1", target_labels, "10.244.3.3")
    source = _pod("source", source_ns, source_labels, source_ip)
    shuffled = list(specs)
    rnd.shuffle(shuffled)
    assert _ingress(specs, target, source) == _ingress(shuffled, target, source)


async def test_egress_to_addresses_outside_the_pod_network_is_decided_by_ip_block() -> None:
    c = await web_cluster()
    try:
        await c.apply(policy("egress", {"podSelector": {"matchLabels": {"app": "frontend"}},
                                        "policyTypes": ["Egress"], "egress": [
            {"to": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
             "ports": [{"protocol": "UDP", "port": 53}]}]}))
        # kubernetes.default reaches the API server at 172.18.0.2:6443, outside the pod network: denied ...
        denied = c.request("default/frontend", "https://kubernetes.default")
        assert denied.outcome == "timeout" and "no egress rule allows TCP 6443 to 172.18.0.2" in denied.render()
        # ... until an ipBlock lets it out.
        await c.apply(policy("to-apiserver", {"podSelector": {"matchLabels": {"app": "frontend"}},
                                              "policyTypes": ["Egress"], "egress": [
            {"to": [{"ipBlock": {"cidr": "172.18.0.0/16"}}], "ports": [{"port": 6443}]}]}))
        assert c.request("default/frontend", "https://kubernetes.default").status == 403
    finally:
        await c.stop()
