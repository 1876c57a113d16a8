"""Requests through the built-in ingress-nginx controller (issue 14 §2): an Ingress host resolves to the controller's
address, the controller routes by host and path (engine/ingress_routing.py) and proxies to the backend Service, and
answers itself as nginx does when it cannot: 404 from its default backend, 503 for a backend Service with no
endpoints or that does not exist, 308 to HTTPS for a host under `tls` (ssl-redirect), 502/504 when the backend
refuses or times out."""

from __future__ import annotations

from engine import Cluster

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
        assert any(h.step == "route" and f"{address}:80 is the ingress-nginx controller" in h.title
                   for h in trace.hops)
        assert any(h.step == "proxy" and "ingress-nginx (default/shop)" in h.title for h in trace.hops)
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
        refused = cluster.request("outside", "http://shop.example.com:8080/")
        assert refused.outcome == "refused", refused.render()
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
