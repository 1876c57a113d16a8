"""Scenario: Ingress and IngressClass with k9py's built-in ingress-nginx controller, on the virtual clock.

Sources: the Ingress API (https://kubernetes.io/docs/concepts/services-networking/ingress/: path types, host
wildcards, precedence, defaultBackend), `pkg/apis/networking/validation/validation.go`, the DefaultIngressClass
admission plugin (`plugin/pkg/admission/network/defaultingressclass/admission.go`), kubectl's printIngress and
describeIngressV1, and ingress-nginx (`internal/ingress/controller/store/store.go` for its `Sync` events,
`internal/ingress/status/status.go` for the 60 s status sync, `store/backend_ssl.go` for TLS Secrets,
`rewrite-target` and `use-regex` from its annotations documentation). Expected texts were checked against a real
v1.36 API server where it gives them (kwok's cluster has no ingress controller)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from engine.cluster import Cluster
from engine.errors import ApiError
from engine.ingress_routing import FAKE_CERTIFICATE, route

Obj = dict[str, Any]

# The seed's Ingress (../shared/seeds/003), exactly as written there, its indentation restored.
SEED = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: api-ingress
  annotations:
    nginx.ingress.kubernetes.io/rewrite-target: /
spec:
  ingressClassName: nginx
  rules:
  - host: api.example.com
    http:
      paths:
      - path: /v1
        pathType: Prefix
        backend:
          service:
            name: api-v1-service
            port:
              number: 80
      - path: /v2
        pathType: Prefix
        backend:
          service:
            name: api-v2-service
            port:
              number: 80
  - host: admin.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: admin-service
            port:
              number: 80
"""


def ingress(name: str, *rules: Obj, **spec: Any) -> Obj:
    if rules:
        spec["rules"] = list(rules)
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": name, "namespace": "default"},
            "spec": spec}


def rule(host: str | None, *paths: tuple[str, str, str]) -> Obj:
    out: Obj = {"http": {"paths": [{"path": p, "pathType": t, "backend": {"service": {"name": s,
                                                                                     "port": {"number": 80}}}}
                                   for p, t, s in paths]}}
    if host:
        out["host"] = host
    return out


def to(c: Cluster, host: str, path: str) -> str | None:
    found = route(c.store, host, path)
    return found.backend.service if found.backend else None


def address(c: Cluster, name: str) -> str:
    return next(r[3] for r in c.table("ing", "default")[1] if r[0] == name)


def events(c: Cluster, name: str) -> list[tuple[str, str, str, int]]:
    return [(e["type"], e["reason"], e["message"], e["count"]) for e in c.events("default", c.get("ing", name))]


async def rejected(c: Cluster, obj: Obj) -> str:
    with pytest.raises(ApiError) as info:
        await c.apply(obj)
    return info.value.message


async def test_the_seed_ingress_gets_the_controllers_address_and_routes_by_host_and_path() -> None:
    async with Cluster(nodes=1) as c:
        assert c.table("ingressclass", None)[1] == [["nginx", "k8s.io/ingress-nginx", "<none>", "0s"]]
        await c.apply(SEED)
        await c.run_for(5)
        # ADDRESS stays empty until the controller's next status sync (every 60 s from its start).
        assert c.table("ing", "default")[1] == [["api-ingress", "nginx", "api.example.com,admin.example.com", "",
                                                 "80", "5s"]]
        assert c.health("ing", "api-ingress") == ("Progressing", "")
        await c.run_for(60)
        assert address(c, "api-ingress") == "172.18.255.200"
        assert c.get("ing", "api-ingress")["status"] == {"loadBalancer": {"ingress": [{"ip": "172.18.255.200"}]}}
        assert c.health("ing", "api-ingress") == ("Healthy", "")
        # Added, then changed by the status write: ingress-nginx's `Sync` twice.
        assert events(c, "api-ingress") == [("Normal", "Sync", "Scheduled for sync", 2)]
        assert to(c, "api.example.com", "/v1/users") == "api-v1-service"
        assert to(c, "api.example.com", "/v2") == "api-v2-service"
        assert to(c, "admin.example.com", "/anything") == "admin-service"
        assert route(c.store, "api.example.com", "/v3").backend is None  # the default backend's 404
        # rewrite-target: / replaces the whole path sent upstream (nginx's rewrite).
        assert route(c.store, "API.example.com:80", "/v1/users").upstream_path == "/"
        text = c.describe("ing", "api-ingress")
        assert text.startswith(
            "Name:             api-ingress\n"
            "Labels:           <none>\n"
            "Namespace:        default\n"
            "Address:          172.18.255.200\n"
            "Ingress Class:    nginx\n"
            "Default backend:  <default>\n"
            "Rules:\n"
            "  Host               Path  Backends\n"
            "  ----               ----  --------\n"
            "  api.example.com    \n"
            '                     /v1   api-v1-service:80 (<error: services "api-v1-service" not found>)\n'
            '                     /v2   api-v2-service:80 (<error: services "api-v2-service" not found>)\n'
            "  admin.example.com  \n"
            '                     /   admin-service:80 (<error: services "admin-service" not found>)\n'
            "Annotations:         nginx.ingress.kubernetes.io/rewrite-target: /\n")
        assert "Normal  Sync    5s (x2 over 65s)  nginx-ingress-controller  Scheduled for sync" in text


async def test_describe_lists_each_backends_ready_endpoints() -> None:
    web = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
           "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                    "template": {"metadata": {"labels": {"app": "web"}},
                                 "spec": {"containers": [{"name": "app", "image": "nginx",
                                                          "ports": [{"containerPort": 8080}]}]}}}}
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "default"},
           "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}}
    async with Cluster(nodes=1) as c:
        await c.apply([web, svc, ingress("only-default", defaultBackend={"service": {"name": "web",
                                                                                     "port": {"name": "http"}}})])
        await c.run_for(30)
        ips = sorted(p["status"]["podIP"] for p in c.list("pods", "default"))
        endpoints = ",".join(f"{ip}:8080" for ip in ips)
        text = c.describe("ing", "only-default")
        assert f"Default backend:  web:http ({endpoints})\n" in text
        assert f"  *           *     web:http ({endpoints})\n" in text
        assert c.get("ing", "only-default")["spec"]["ingressClassName"] == "nginx"  # the default class


async def test_default_class_admission() -> None:
    """On create only: no class by field or annotation -> the newest class marked default."""
    async with Cluster(nodes=1) as c:
        await c.apply(ingress("a", rule("a.example.com", ("/", "Prefix", "a"))))
        assert c.get("ing", "a")["spec"]["ingressClassName"] == "nginx"
        legacy = ingress("b", rule("b.example.com", ("/", "Prefix", "b")))
        legacy["metadata"]["annotations"] = {"kubernetes.io/ingress.class": "traefik"}
        await c.apply(legacy)
        assert "ingressClassName" not in c.get("ing", "b")["spec"]
        await c.run_for(5)
        await c.apply({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
                       "metadata": {"name": "traefik", "annotations": {
                           "ingressclass.kubernetes.io/is-default-class": "true"}},
                       "spec": {"controller": "traefik.io/ingress-controller"}})
        await c.apply(ingress("c", rule("c.example.com", ("/", "Prefix", "c"))))
        assert c.get("ing", "c")["spec"]["ingressClassName"] == "traefik"  # the newest default
        await c.run_for(60)
        # The built-in controller serves only its own class: the others wait for theirs.
        assert (address(c, "a"), address(c, "b"), address(c, "c")) == ("172.18.255.200", "", "")
        assert events(c, "c") == []


async def test_the_controller_publishes_its_load_balancer_services_address() -> None:
    """--publish-service=ingress-nginx/ingress-nginx-controller: the Ingresses carry that Service's EXTERNAL-IP
    (the pool's first, taken at start), the user's LoadBalancers get the next ones, and without an address on the
    Service the Ingresses' status is emptied at the next sync."""
    lb = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "lb", "namespace": "default"},
          "spec": {"type": "LoadBalancer", "selector": {"app": "x"}, "ports": [{"port": 80}]}}
    async with Cluster(nodes=1) as c:
        await c.apply(lb)
        await c.run_for(1)
        await c.apply(ingress("web", rule("web.example.com", ("/", "Prefix", "web"))))
        await c.run_for(60)
        assert c.table("svc", "default")[1][1][3] == "172.18.255.201"
        assert c.table("svc", "ingress-nginx")[1][0][:4] == ["ingress-nginx-controller", "LoadBalancer",
                                                             c.get("svc", "ingress-nginx-controller", "ingress-nginx")[
                                                                 "spec"]["clusterIP"], "172.18.255.200"]
        assert address(c, "web") == "172.18.255.200"
        await c.delete("svc", "ingress-nginx-controller", "ingress-nginx")
        await c.run_for(60)
        assert address(c, "web") == "" and c.get("ing", "web")["status"] == {"loadBalancer": {}}


async def test_host_and_path_matching_as_the_ingress_api_defines_it() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply([
            ingress("paths", rule("shop.example.com", ("/", "Prefix", "root"), ("/foo", "Prefix", "foo"),
                                  ("/foo/bar", "Prefix", "foobar"), ("/foo/bar", "Exact", "exact"),
                                  ("/aaa/bbb/", "Prefix", "slash"), ("/img", "ImplementationSpecific", "img"))),
            ingress("wild", rule("*.example.com", ("/", "Prefix", "wild"))),
            ingress("anyhost", rule(None, ("/", "Prefix", "fallback"))),
        ])
        assert to(c, "shop.example.com", "/foo") == "foo"
        assert to(c, "shop.example.com", "/foo/") == "foo"
        assert to(c, "shop.example.com", "/foobar") == "root"  # Prefix matches element by element
        assert to(c, "shop.example.com", "/foo/bar") == "exact"  # equally long: Exact wins over Prefix
        assert to(c, "shop.example.com", "/foo/bar/baz") == "foobar"  # the longest match
        assert to(c, "shop.example.com", "/aaa/bbb") == "slash"  # a rule's trailing slash is ignored
        assert to(c, "shop.example.com", "/imgs/x.png") == "img"  # ImplementationSpecific: nginx's string prefix
        assert to(c, "a.example.com", "/") == "wild"
        assert to(c, "a.b.example.com", "/") == "fallback"  # a wildcard covers exactly one label
        assert to(c, "example.com", "/") == "fallback"
        assert to(c, "elsewhere.org", "/x") == "fallback"
        found = route(c.store, "shop.example.com", "/foo/bar/baz")
        assert (found.ingress, found.rule_host, found.rule_path, found.path_type) == (
            "default/paths", "shop.example.com", "/foo/bar", "Prefix")
        assert found.reason == "host shop.example.com; Prefix path /foo/bar is the longest that matches"


async def test_default_backends_conflicts_and_rewrites() -> None:
    """An Ingress's defaultBackend answers what its hosts' paths do not; the older Ingress keeps a contested
    path; rewrite-target substitutes the path's regular expression groups."""
    async with Cluster(nodes=1) as c:
        await c.apply(ingress("first", rule("app.example.com", ("/api", "Prefix", "api-old")),
                              defaultBackend={"service": {"name": "app-default", "port": {"number": 80}}}))
        await c.run_for(1)
        await c.apply(ingress("second", rule("app.example.com", ("/api", "Prefix", "api-new"),
                                             ("/docs", "Prefix", "docs"))))
        rewrite = ingress("rewrite", rule("rw.example.com", ("/something(/|$)(.*)", "ImplementationSpecific", "rw")))
        rewrite["metadata"]["annotations"] = {"nginx.ingress.kubernetes.io/rewrite-target": "/$2"}
        await c.apply(rewrite)
        assert to(c, "app.example.com", "/api/x") == "api-old"
        assert to(c, "app.example.com", "/docs") == "docs"
        unmatched = route(c.store, "app.example.com", "/elsewhere")
        assert (unmatched.backend.service, unmatched.ingress) == ("app-default", "default/first")
        assert route(c.store, "rw.example.com", "/something/new/path").upstream_path == "/new/path"
        assert route(c.store, "rw.example.com", "/SOMETHING").upstream_path == "/"
        assert route(c.store, "nobody.example.com", "/").backend is None


def tls_secret(name: str, cert: str | None = None, key: str | None = None) -> Obj:
    body = base64.b64encode(b"\x30\x82\x01\x0a" + bytes(range(40))).decode()
    cert = cert or f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"
    key = key or f"-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n"
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": "default"},
            "type": "kubernetes.io/tls", "stringData": {"tls.crt": cert, "tls.key": key}}


async def test_tls_from_a_secret_and_the_controllers_word_when_it_is_missing_or_malformed() -> None:
    async with Cluster(nodes=1) as c:
        secure = ingress("secure", rule("api.example.com", ("/", "Prefix", "api")),
                         tls=[{"hosts": ["api.example.com"], "secretName": "api-tls-secret"}])
        await c.apply(secure)
        await c.run_for(1)
        missing = ('Error getting SSL certificate "default/api-tls-secret": local SSL certificate '
                   "default/api-tls-secret was not found. Using default certificate")
        assert ("Warning", "TLSSecret", missing, 1) in events(c, "secure")
        assert route(c.store, "api.example.com", "/", scheme="https").certificate == FAKE_CERTIFICATE
        await c.apply(tls_secret("api-tls-secret", cert="not a certificate"))
        await c.run_for(1)
        assert ("Warning", "TLSSecret", "Error obtaining X.509 certificate: unexpected error creating SSL Cert: no "
                "valid PEM formatted block found", 1) in events(c, "secure")
        await c.apply(tls_secret("api-tls-secret"))
        await c.run_for(1)
        served = route(c.store, "api.example.com", "/x", scheme="https")
        assert (served.certificate, served.tls_problem, served.redirect) == ("default/api-tls-secret", None, None)
        assert served.backend.service == "api"
        # Plain HTTP to a TLS host: ingress-nginx's ssl-redirect (308), unless the Ingress turns it off.
        assert route(c.store, "api.example.com", "/x").redirect == "308 https://api.example.com/x"
        await c.patch("ing", "secure", {"metadata": {"annotations": {"nginx.ingress.kubernetes.io/ssl-redirect":
                                                                     "false"}}})
        assert route(c.store, "api.example.com", "/x").redirect is None
        assert c.table("ing", "default")[1][0][4] == "80, 443"
        assert "TLS:\n  api-tls-secret terminates api.example.com\n" in c.describe("ing", "secure")


async def test_validation_speaks_like_the_api_server() -> None:
    async with Cluster(nodes=1) as c:
        assert await rejected(c, ingress("bad1")) == (
            'Ingress.networking.k8s.io "bad1" is invalid: spec: Invalid value: null: either `defaultBackend` or '
            "`rules` must be specified")
        bad = ingress("bad2", {"host": "1.2.3.4", "http": {"paths": [
            {"path": "v1", "pathType": "Prefix", "backend": {"service": {"name": "svc", "port": {"number": 0}}}},
            {"path": "/a", "pathType": "Weird",
             "backend": {"service": {"name": "svc", "port": {"name": "http", "number": 80}}}},
            {"path": "/b", "backend": {"service": {"name": "svc"}}},
            {"path": "/c//d", "pathType": "Exact", "backend": {"service": {"name": "svc", "port": {"number": 70000}}}},
        ]}}, {"host": "foo*.bar.com"}, ingressClassName="Bad_Class")
        assert await rejected(c, bad) == (
            'Ingress.networking.k8s.io "bad2" is invalid: [spec.rules[0].host: Invalid value: "1.2.3.4": must be a '
            'DNS name, not an IP address, spec.rules[0].http.paths[0].path: Invalid value: "v1": must be an absolute '
            "path, spec.rules[0].http.paths[0].backend: Required value: port name or number is required, "
            'spec.rules[0].http.paths[1].pathType: Unsupported value: "Weird": supported values: "Exact", '
            '"ImplementationSpecific", "Prefix", spec.rules[0].http.paths[1].backend: Invalid value: "": cannot set '
            "both port name & port number, spec.rules[0].http.paths[2].pathType: Required value: pathType must be "
            'specified, spec.rules[0].http.paths[3].path: Invalid value: "/c//d": must not contain \'//\', '
            "spec.rules[0].http.paths[3].backend.service.port.number: Invalid value: 70000: must be between 1 and "
            '65535, inclusive, spec.rules[1].host: Invalid value: "foo*.bar.com": a wildcard DNS-1123 subdomain must '
            "start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric "
            "characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for "
            "validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*'), "
            'spec.ingressClassName: Invalid value: "Bad_Class": a lowercase RFC 1123 subdomain must consist of lower '
            "case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
            "'example.com', regex used for validation is "
            "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')]")
        both = ingress("bad3", defaultBackend={"service": {"name": "svc", "port": {"number": 80}},
                                               "resource": {"kind": "Foo", "name": "bar"}})
        assert await rejected(c, both) == (
            'Ingress.networking.k8s.io "bad3" is invalid: spec.defaultBackend: Invalid value: "": cannot set both '
            "resource and service backends")
        params = {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "good"},
                  "spec": {"controller": "k8s.io/ingress-nginx", "parameters": {"kind": "", "name": "",
                                                                                "scope": "Weird"}}}
        assert await rejected(c, params) == (
            'IngressClass.networking.k8s.io "good" is invalid: [spec.parameters.kind: Required value, '
            'spec.parameters.name: Required value, spec.parameters.scope: Unsupported value: "Weird": supported '
            'values: "Cluster", "Namespace"]')


async def test_ingressclass_is_printed_and_described_as_kubectl_does() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "ext"},
                       "spec": {"controller": "example.com/ingress",
                                "parameters": {"apiGroup": "k8s.example.com", "kind": "IngressParameters",
                                               "name": "external-lb"}}})
        row = next(r for r in c.table("ingressclass", None)[1] if r[0] == "ext")
        assert row[:3] == ["ext", "example.com/ingress", "IngressParameters.k8s.example.com/external-lb"]
        assert c.get("ingressclass", "ext", None)["spec"]["parameters"]["scope"] == "Cluster"
        assert c.describe("ingressclass", "nginx", None) == (
            "Name:         nginx\n"
            "Labels:       app.kubernetes.io/component=controller\n"
            "              app.kubernetes.io/instance=ingress-nginx\n"
            "              app.kubernetes.io/name=ingress-nginx\n"
            "              app.kubernetes.io/part-of=ingress-nginx\n"
            "              app.kubernetes.io/version=1.14.2\n"
            "Annotations:  ingressclass.kubernetes.io/is-default-class: true\n"
            "Controller:   k8s.io/ingress-nginx\n"
            "Events:       <none>\n")
