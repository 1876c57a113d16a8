"""Requests through the built-in ingress-nginx controller (issue 14 §2): an Ingress host resolves to the controller's
address (its LoadBalancer Service's, `--publish-service`), the request reaches the controller pod through that
Service, the controller routes by host and path (engine/ingress_routing.py) and proxies to the backend Service from
its own pod, and answers itself as nginx does when it cannot: 404 from its default backend, 503 for a backend
Service with no endpoints or that does not exist, 308 to HTTPS for a host under `tls` (ssl-redirect), 502/504 when
the backend refuses or times out.

Because the controller is a pod in the `ingress-nginx` namespace (ingress-nginx's cloud manifest,
deploy/static/provider/cloud/deploy.yaml), the NetworkPolicy pattern the docs give for it (allow ingress from
`namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}`) admits Ingress traffic and
nothing else (NetworkPolicy API: https://kubernetes.io/docs/concepts/services-networking/network-policies/), and
with no Ready controller pod the load balancer has nowhere to send a request (externalTrafficPolicy Local: only
nodes with a Ready endpoint pass its health check)."""

from __future__ import annotations

from network_support import client, namespace, policy

from engine import Cluster
from engine.addons_ingress import NAME as CONTROLLER
from engine.addons_ingress import NAMESPACE as CONTROLLER_NAMESPACE

MANIFESTS = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: nginx, image: nginx:1.27, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80, name: http}]}
---
apiVersion: v1
kind: Service
metadata: {name: idle}
spec: {selector: {app: nobody}, ports: [{port: 80}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop}
spec:
  rules:
    - host: shop.example.com
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: web, port: {name: http}}}}
          - {path: /idle, pathType: Prefix, backend: {service: {name: idle, port: {number: 80}}}}
          - {path: /gone, pathType: Exact, backend: {service: {name: missing, port: {number: 80}}}}
    - host: exact.example.com
      http:
        paths:
          - {path: /only, pathType: Exact, backend: {service: {name: web, port: {number: 80}}}}
"""


async def _cluster() -> Cluster:
    cluster = Cluster(nodes=2, clock="virtual")
    await cluster.__aenter__()
    await cluster.apply(MANIFESTS)
    await cluster.run_for(90)  # pods ready; the controller's status sync has published its address
    return cluster


async def test_an_ingress_host_reaches_a_backend_pod_through_the_controller() -> None:
    cluster = await _cluster()
    try:
        ingress = cluster.get("ingress", "shop")
        assert ingress is not None
        address = ingress["status"]["loadBalancer"]["ingress"][0]["ip"]
        trace = cluster.request("outside", "http://shop.example.com/cart")
        assert trace.ok, trace.render()
        assert trace.endpoint.startswith("default/web-")
        controller = cluster.get("service", CONTROLLER, CONTROLLER_NAMESPACE)
        assert controller["status"]["loadBalancer"]["ingress"][0]["ip"] == address
        [pod] = cluster.list("pods", CONTROLLER_NAMESPACE)
        pod_name, pod_ip = f"{CONTROLLER_NAMESPACE}/{pod['metadata']['name']}", pod["status"]["podIP"]
        steps = [(h.step, h.title) for h in trace.hops]
        assert (f"Service {CONTROLLER_NAMESPACE}/{CONTROLLER} port 80/TCP (via its load-balancer IP {address})"
                in [title for step, title in steps if step == "service"])
        proxy = next(i for i, (step, _) in enumerate(steps) if step == "proxy")
        assert steps[proxy - 2][0] == "kube-proxy" and pod_name in steps[proxy - 2][1]
        assert steps[proxy - 1] == ("ingress", f"{pod_name}: allowed")  # into the controller pod
        assert steps[proxy][1].startswith("ingress-nginx (default/shop) forwards to http://")
        assert steps[proxy][1].endswith(f" from {pod_name} ({pod_ip})")
        assert (("egress", f"{pod_name}: allowed")) in steps[proxy:]  # the backend leg leaves the controller pod
        # The same address with the Host header a client sets by hand (curl -H Host:...).
        by_ip = cluster.request("outside", f"http://{address}/", headers={"Host": "shop.example.com"})
        assert by_ip.ok and by_ip.endpoint.startswith("default/web-")
    finally:
        await cluster.stop()


async def test_the_controller_answers_itself_when_no_backend_can() -> None:
    cluster = await _cluster()
    try:
        assert cluster.request("outside", "http://exact.example.com/other").status == 404  # default backend
        assert cluster.request("outside", "http://shop.example.com/idle").status == 503  # no endpoints
        assert cluster.request("outside", "http://shop.example.com/gone").status == 503  # no such Service
        unserved = cluster.request("outside", "http://shop.example.com:8080/")
        assert unserved.outcome == "timeout", unserved.render()  # the load balancer has no such port
        unknown = cluster.request("outside", "http://elsewhere.example.com/")
        assert unknown.outcome == "unresolved"
    finally:
        await cluster.stop()


async def test_a_host_under_tls_is_redirected_to_https() -> None:
    cluster = await _cluster()
    try:
        ingress = cluster.get("ingress", "shop")
        assert ingress is not None
        ingress["spec"]["tls"] = [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}]
        await cluster.apply(ingress)
        await cluster.run_for(1)
        plain = cluster.request("outside", "http://shop.example.com/cart")
        assert plain.status == 308 and plain.response is not None
        assert plain.response.headers["Location"] == "https://shop.example.com/cart"
        secure = cluster.request("outside", "https://shop.example.com/cart")
        assert secure.ok and secure.endpoint.startswith("default/web-")
    finally:
        await cluster.stop()


# The NetworkPolicy the ingress-nginx docs and most guides give for a backend behind it.
FROM_INGRESS_NGINX = {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"],
                      "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {
                          "kubernetes.io/metadata.name": "ingress-nginx"}}}]}]}


async def test_a_policy_admitting_only_the_ingress_nginx_namespace_admits_ingress_traffic_only() -> None:
    cluster = await _cluster()
    try:
        await cluster.apply([namespace("other"), client(namespace="other"), client("local"),
                             policy("from-ingress-nginx", FROM_INGRESS_NGINX)])
        await cluster.run_for(10)
        through = cluster.request("outside", "http://shop.example.com/cart")
        assert through.ok and through.endpoint.startswith("default/web-"), through.render()
        admitted = through.verdicts[-1]
        assert admitted.direction == "ingress" and admitted.allowed and "from-ingress-nginx" in admitted.reason
        for source in ("other/client", "default/local"):
            direct = cluster.request(source, "http://web.default.svc.cluster.local/")
            assert direct.outcome == "timeout", direct.render()
            assert not direct.verdicts[-1].allowed and direct.verdicts[-1].subject.startswith("default/web-")
        # The same client through the Ingress host: it reaches the controller, which the policy admits.
        assert cluster.request("other/client", "http://shop.example.com/").ok
    finally:
        await cluster.stop()


async def test_requests_fail_while_no_controller_pod_is_ready_and_work_again_once_it_is_replaced() -> None:
    cluster = await _cluster()
    try:
        assert cluster.request("outside", "http://shop.example.com/").ok
        [pod] = cluster.list("pods", CONTROLLER_NAMESPACE)
        await cluster.delete("pods", pod["metadata"]["name"], CONTROLLER_NAMESPACE, grace_period=0)
        await cluster.run_for(1)
        down = cluster.request("outside", "http://shop.example.com/")
        assert down.outcome == "timeout" and not down.ok, down.render()
        assert "has no healthy node to send to" in down.render()
        web = next(p["metadata"]["name"] for p in cluster.list("pods", "default", selector="app=web"))
        inside = cluster.request(f"default/{web}", "http://shop.example.com/")
        assert inside.outcome == "refused", inside.render()  # in the cluster: kube-proxy rejects, no endpoint
        # The Deployment replaces it; until its readiness probe passes (initialDelaySeconds 10) nothing answers.
        await cluster.run_for(5)
        [new] = cluster.list("pods", CONTROLLER_NAMESPACE)
        assert new["metadata"]["name"] != pod["metadata"]["name"] and new["status"]["phase"] == "Running"
        assert not cluster.request("outside", "http://shop.example.com/").ok
        await cluster.run_for(30)
        again = cluster.request("outside", "http://shop.example.com/")
        assert again.ok and new["metadata"]["name"] in again.render(), again.render()
    finally:
        await cluster.stop()

