"""Cluster DNS (engine/network/dns.py): the resolv.conf the kubelet writes per dnsPolicy, the names the resolver
tries, and what CoreDNS's kubernetes plugin answers - checked against the Kubernetes DNS specification
(https://github.com/kubernetes/dns/blob/master/docs/specification.md), the CoreDNS kubernetes plugin docs
(https://coredns.io/plugins/kubernetes/) and the kubelet's GetPodDNS (pkg/kubelet/network/dns/dns.go)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from network_support import app, client, ensure_cluster_dns, service

from engine.cluster import Cluster
from engine.network.dns import ResolvConf, candidates, pod_resolv_conf
from engine.network.request import DataPlane, Source

Obj = dict[str, Any]
SEARCH = ("shop.svc.cluster.local", "svc.cluster.local", "cluster.local")


def pod(**spec: Any) -> Obj:
    return {"metadata": {"name": "p", "namespace": "shop"}, "spec": spec}


@pytest.mark.parametrize(("spec", "expected"), [
    ({}, ResolvConf(("10.96.0.10",), SEARCH, ("ndots:5",))),
    ({"dnsPolicy": "ClusterFirst", "hostNetwork": True}, ResolvConf(("172.18.0.1",))),  # falls back to Default
    ({"dnsPolicy": "ClusterFirstWithHostNet", "hostNetwork": True}, ResolvConf(("10.96.0.10",), SEARCH, ("ndots:5",))),
    ({"dnsPolicy": "Default"}, ResolvConf(("172.18.0.1",))),
    ({"dnsPolicy": "None", "dnsConfig": {"nameservers": ["1.1.1.1"], "searches": ["corp.example"],
                                         "options": [{"name": "ndots", "value": "2"}, {"name": "edns0"}]}},
     ResolvConf(("1.1.1.1",), ("corp.example",), ("ndots:2", "edns0"))),
    # dnsConfig is appended to ClusterFirst's: nameservers and searches added (duplicates dropped), options
    # replaced by name.
    ({"dnsConfig": {"nameservers": ["10.96.0.10", "8.8.8.8"], "searches": ["svc.cluster.local", "corp.example"],
                    "options": [{"name": "ndots", "value": "1"}]}},
     ResolvConf(("10.96.0.10", "8.8.8.8"), (*SEARCH, "corp.example"), ("ndots:1",))),
])
def test_resolv_conf_per_dns_policy(spec: Obj, expected: ResolvConf) -> None:
    assert pod_resolv_conf(pod(**spec)) == expected


def test_resolv_conf_text_is_the_file_the_kubelet_writes() -> None:
    assert pod_resolv_conf(pod()).text() == (
        "search shop.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n")


def test_names_tried_follow_ndots() -> None:
    conf = pod_resolv_conf(pod())
    assert candidates("db", conf) == [f"db.{s}" for s in SEARCH] + ["db"]
    # Four dots are still fewer than five: the search list first, then the name as written.
    assert candidates("db.shop.svc.cluster.local", conf)[-1] == "db.shop.svc.cluster.local"
    assert candidates("db.shop.svc.cluster.local.", conf) == ["db.shop.svc.cluster.local"]
    dotted = ResolvConf(("10.96.0.10",), SEARCH, ("ndots:1",))
    assert candidates("db.shop", dotted) == ["db.shop"] + [f"db.shop.{s}" for s in SEARCH]


async def dns_cluster() -> tuple[Cluster, DataPlane]:
    c = Cluster(nodes=2)
    c.start()
    await ensure_cluster_dns(c)
    await c.apply(app("web", namespace="default", replicas=2))
    await c.apply(service("web"))
    await c.apply(service("plain", selector={"app": "web"}, ports=[{"port": 80, "targetPort": 80}]))
    await c.apply(client())
    await c.run_for(30)
    return c, DataPlane(c.store, c.clock, random.Random(0))


def lookup(plane: DataPlane, name: str, qtype: str = "A", source: str = "default/client") -> Any:
    found = plane.source(source)
    assert isinstance(found, Source)
    resolution, _ = plane.resolve(found, name, qtype=qtype)
    assert resolution is not None
    return resolution


async def test_a_service_name_resolves_to_its_cluster_ip_from_its_namespace_and_by_full_name() -> None:
    c, plane = await dns_cluster()
    try:
        svc = c.get("service", "web")
        assert svc is not None
        ip = svc["spec"]["clusterIP"]
        for name in ("web", "web.default", "web.default.svc", "web.default.svc.cluster.local"):
            assert lookup(plane, name).addresses == (ip,), name
        short = lookup(plane, "web.default")
        assert [a.name for a in short.tried] == ["web.default.default.svc.cluster.local",
                                                 "web.default.svc.cluster.local"]
        assert [a.rcode for a in short.tried] == ["NXDOMAIN", "NOERROR"]
        assert not lookup(plane, "web.nope").addresses
    finally:
        await c.stop()


async def test_nxdomain_lists_every_name_tried() -> None:
    c, _ = await dns_cluster()
    try:
        trace = c.request("default/client", "http://db-service:5432")
        assert trace.outcome == "unresolved" and trace.message == "curl: (6) Could not resolve host: db-service"
        tried = [a.name for a in trace.dns[0].tried]
        assert tried == ["db-service.default.svc.cluster.local", "db-service.svc.cluster.local",
                         "db-service.cluster.local", "db-service"]
        text = trace.render()
        for name in tried:
            assert f"tried {name}: NXDOMAIN" in text
    finally:
        await c.stop()


async def test_headless_service_answers_ready_pod_ips_and_per_pod_names() -> None:
    c, plane = await dns_cluster()
    try:
        await c.apply(app("db", replicas=2, annotations={"sim.k9py.io/readiness": "fail"},
                          ports=[{"containerPort": 5432, "name": "pg"}],
                          container={"readinessProbe": {"tcpSocket": {"port": 5432}, "periodSeconds": 5}}))
        await c.apply(app("cache", replicas=3, ports=[{"containerPort": 6379, "name": "redis"}]))
        await c.apply(service("cache", clusterIP="None", ports=[{"name": "redis", "port": 6379}]))
        await c.apply(service("db", clusterIP="None", ports=[{"name": "pg", "port": 5432}]))
        await c.run_for(30)
        pods = sorted(p["status"]["podIP"] for p in c.list("pods", "default", selector="app=cache"))
        assert sorted(lookup(plane, "cache").addresses) == pods
        # A headless Service with no ready endpoint has no A record (spec 2.4.1).
        db = lookup(plane, "db")
        assert not db.addresses and db.tried[0].rcode == "NXDOMAIN"
        # Each ready endpoint without a hostname is named by its address with dashes (CoreDNS).
        dashed = pods[0].replace(".", "-")
        assert lookup(plane, f"{dashed}.cache").addresses == (pods[0],)
        # The deprecated pod record, unchecked (`pods insecure`).
        assert lookup(plane, f"{dashed}.default.pod").addresses == (pods[0],)
    finally:
        await c.stop()


async def test_statefulset_pods_have_stable_names_under_their_governing_service() -> None:
    c, plane = await dns_cluster()
    try:
        await c.apply(service("pg", clusterIP="None", selector={"app": "pg"},
                              ports=[{"name": "postgres", "port": 5432}]))
        await c.apply({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "pg"},
                       "spec": {"serviceName": "pg", "replicas": 2, "selector": {"matchLabels": {"app": "pg"}},
                                "template": {"metadata": {"labels": {"app": "pg"}}, "spec": {"containers": [
                                    {"name": "postgres", "image": "postgres:16"}]}}}})
        await c.run_until(lambda c: len([p for p in c.list("pods", "default", selector="app=pg")
                                         if p["status"].get("podIP")]) == 2, timeout=300)
        await c.run_for(10)
        pg0 = c.get("pod", "pg-0")
        assert pg0 is not None
        assert lookup(plane, "pg-0.pg").addresses == (pg0["status"]["podIP"],)
        assert lookup(plane, "pg-0.pg.default.svc.cluster.local").addresses == (pg0["status"]["podIP"],)
        # The seed's `curl http://postgres-0.postgres...:5432`: postgres listens on 5432 without declaring it.
        trace = c.request("default/client", "http://pg-0.pg.default.svc.cluster.local:5432")
        assert trace.ok and trace.endpoint == "default/pg-0", trace.render()
        # A pod knows its own fully qualified name from /etc/hosts.
        own = c.request("default/pg-1", "http://pg-1.pg.default.svc.cluster.local:5432")
        assert own.ok and "/etc/hosts" in own.render()
        srv = lookup(plane, "_postgres._tcp.pg.default.svc.cluster.local", "SRV")
        assert sorted(r.data.split()[-1] for r in srv.answer.records) == [
            "pg-0.pg.default.svc.cluster.local.", "pg-1.pg.default.svc.cluster.local."]
    finally:
        await c.stop()


async def test_external_name_is_a_cname_and_k9py_has_no_internet() -> None:
    c, plane = await dns_cluster()
    try:
        await c.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ext"},
                       "spec": {"type": "ExternalName", "externalName": "db.example.com"}})
        resolution = lookup(plane, "ext")
        assert resolution.answer.records[0].type == "CNAME"
        assert resolution.answer.records[0].data == "db.example.com."
        assert [a.name for a in resolution.chain] == ["db.example.com"]
        assert resolution.chain[0].rcode == "NXDOMAIN" and not resolution.addresses
        assert "then db.example.com: NXDOMAIN" in c.request("default/client", "http://ext").render()
    finally:
        await c.stop()


async def test_srv_records_for_named_ports_only() -> None:
    c, plane = await dns_cluster()
    try:
        srv = lookup(plane, "_http._tcp.web.default.svc.cluster.local", "SRV")
        assert [r.data for r in srv.answer.records] == ["0 100 80 web.default.svc.cluster.local."]
        assert not lookup(plane, "_http._udp.web.default.svc.cluster.local", "SRV").resolved
        assert not lookup(plane, "_metrics._tcp.web.default.svc.cluster.local", "SRV").resolved
        assert lookup(plane, "plain").addresses  # an unnamed port: an A record, but no SRV record
        assert not lookup(plane, "_._tcp.plain.default.svc.cluster.local", "SRV").resolved
    finally:
        await c.stop()


async def test_nodes_and_host_network_pods_resolve_with_the_nodes_resolver() -> None:
    c, _ = await dns_cluster()
    try:
        assert c.request("node/node-1", "http://web.default.svc.cluster.local").outcome == "unresolved"
        await c.apply(client("host", hostNetwork=True))
        await c.apply(client("host-dns", hostNetwork=True, dnsPolicy="ClusterFirstWithHostNet"))
        await c.run_for(10)
        assert c.request("default/host", "http://web").outcome == "unresolved"
        assert c.request("default/host-dns", "http://web").ok
    finally:
        await c.stop()


async def test_without_a_ready_coredns_every_name_fails() -> None:
    c, _ = await dns_cluster()
    try:
        await c.scale("deploy", "coredns", 0, namespace="kube-system")
        await c.run_for(60)
        trace = c.request("default/client", "http://web")
        assert trace.outcome == "unresolved"
        dns = trace.hops[1]
        assert any("kube-system/kube-dns:dns has no endpoints" in line for line in dns.details), dns.details
    finally:
        await c.stop()
