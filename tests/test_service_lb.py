"""Scenario: LoadBalancer Services get external IPs from k9py's address pool, with the cloud-provider service
controller's behaviour (`k8s.io/cloud-provider/controllers/service/controller.go`: the
`service.kubernetes.io/load-balancer-cleanup` finalizer, EnsuringLoadBalancer/EnsuredLoadBalancer,
DeletingLoadBalancer/DeletedLoadBalancer, SyncLoadBalancerFailed, wantsLoadBalancer leaving other classes alone)
and addresses handed out lowest first, as MetalLB's allocator does. The pool's first address is taken at start by the
ingress-nginx controller's Service (`ingress-nginx/ingress-nginx-controller`, an add-on), so a user's first
LoadBalancer gets the second."""

from __future__ import annotations

from typing import Any

from engine.cluster import Cluster

Obj = dict[str, Any]
FINALIZER = "service.kubernetes.io/load-balancer-cleanup"


def lb(name: str, **spec: Any) -> Obj:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "default"},
            "spec": {"type": "LoadBalancer", "selector": {"app": name}, "ports": [{"port": 80}], **spec}}


def external_ip(c: Cluster, name: str) -> str:
    return next(r[3] for r in c.table("svc", "default")[1] if r[0] == name)


def reasons(c: Cluster, name: str) -> list[tuple[str, str, str]]:
    svc = c.get("svc", name) or {"metadata": {"uid": None}}
    return [(e["type"], e["reason"], e["message"]) for e in c.events("default", svc)]


async def test_a_load_balancer_gets_the_first_free_address_of_the_pool() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(lb("web"))
        await c.run_for(1)
        svc = c.get("svc", "web")
        assert svc["metadata"]["finalizers"] == [FINALIZER]
        assert svc["status"] == {"loadBalancer": {"ingress": [{"ip": "172.18.255.201", "ipMode": "VIP"}]}}
        assert external_ip(c, "web") == "172.18.255.201"
        controller = c.get("svc", "ingress-nginx-controller", "ingress-nginx")
        assert controller["status"]["loadBalancer"]["ingress"][0]["ip"] == "172.18.255.200"
        assert c.health("svc", "web") == ("Healthy", "")
        assert reasons(c, "web") == [("Normal", "EnsuringLoadBalancer", "Ensuring load balancer"),
                                     ("Normal", "EnsuredLoadBalancer", "Ensured load balancer")]
        text = c.describe("svc", "web")
        assert "LoadBalancer Ingress:     172.18.255.201 (VIP)\n" in text
        assert "service-controller  Ensured load balancer" in text
        # Changing what the balancer serves ensures it again; the address stays.
        await c.patch("svc", "web", {"spec": {"ports": [{"port": 80, "name": "http"}, {"port": 443, "name": "https"}]}})
        await c.run_for(1)
        ensured = [e for e in c.events("default", c.get("svc", "web")) if e["reason"] == "EnsuredLoadBalancer"]
        assert [e["count"] for e in ensured] == [2]  # the same event again: its count grows
        assert external_ip(c, "web") == "172.18.255.201"


async def test_addresses_are_released_when_the_service_goes_or_changes_type() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply([lb("a"), lb("b")])
        await c.run_for(1)
        assert (external_ip(c, "a"), external_ip(c, "b")) == ("172.18.255.201", "172.18.255.202")
        await c.patch("svc", "a", {"spec": {"type": "ClusterIP"}})
        await c.run_for(1)
        a = c.get("svc", "a")
        assert "finalizers" not in a["metadata"] and external_ip(c, "a") == "<none>"
        assert reasons(c, "a")[-2:] == [("Normal", "DeletingLoadBalancer", "Deleting load balancer"),
                                        ("Normal", "DeletedLoadBalancer", "Deleted load balancer")]
        await c.apply(lb("c"))
        await c.run_for(1)
        assert external_ip(c, "c") == "172.18.255.201"
        # Deleting waits for the controller's finalizer, then the Service is gone and its address free again.
        await c.delete("svc", "b")
        await c.run_for(1)
        assert c.get("svc", "b") is None
        await c.apply(lb("d"))
        await c.run_for(1)
        assert external_ip(c, "d") == "172.18.255.202"


async def test_load_balancer_ip_and_class() -> None:
    """spec.loadBalancerIP is honoured within the pool; a class the default controller does not implement is left
    alone (no finalizer, no events, `<pending>`)."""
    async with Cluster(nodes=1) as c:
        await c.apply([lb("wanted", loadBalancerIP="172.18.255.220"), lb("outside", loadBalancerIP="10.0.0.5"),
                       lb("other", loadBalancerClass="example.com/other")])
        await c.run_for(1)
        assert external_ip(c, "wanted") == "172.18.255.220"
        assert external_ip(c, "outside") == "<pending>"
        assert reasons(c, "outside")[-1] == (
            "Warning", "SyncLoadBalancerFailed",
            "Error syncing load balancer: failed to ensure load balancer: requested IP 10.0.0.5 is not in the load "
            "balancer address pool 172.18.255.200-172.18.255.250")
        other = c.get("svc", "other")
        assert external_ip(c, "other") == "<pending>" and "finalizers" not in other["metadata"]
        assert reasons(c, "other") == [] and c.health("svc", "other") == ("Progressing", "")


async def test_an_exhausted_pool_leaves_the_next_pending_until_an_address_frees() -> None:
    async with Cluster(nodes=1, load_balancer_pool="192.168.50.10-192.168.50.12") as c:
        await c.apply([lb("a"), lb("b"), lb("c")])
        await c.run_for(1)
        # The first address is the ingress-nginx controller's.
        assert [external_ip(c, n) for n in "abc"] == ["192.168.50.11", "192.168.50.12", "<pending>"]
        assert reasons(c, "c")[-1] == (
            "Warning", "SyncLoadBalancerFailed",
            "Error syncing load balancer: failed to ensure load balancer: no available IPs in the load balancer "
            "address pool 192.168.50.10-192.168.50.12")
        await c.delete("svc", "a")
        await c.run_for(1)
        assert external_ip(c, "c") == "192.168.50.11"
