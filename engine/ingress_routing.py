"""Where the built-in ingress controller (class `nginx`, `controllers/ingress_nginx.py`) sends an HTTP request:
the Ingress rule, backend Service and port for a host and a path, as ingress-nginx configures nginx from the
Ingresses of its class.

    route(store, "api.example.com", "/v1/users")  ->  IngressRoute(backend=Backend("default", "api-v1", 80), ...)

Hosts (https://kubernetes.io/docs/concepts/services-networking/ingress/#hostname-wildcards): nginx picks one
server per request, an exact host first, then a wildcard `*.example.com` (which, as the Ingress API defines it,
covers exactly one more label: `a.example.com`, not `example.com` or `a.b.example.com`), then the catch-all
server that holds the rules without a host. Only the chosen server's paths are tried.

Paths (the API's path types): `Exact` matches the path as written; `Prefix` matches element by element, split on
`/` (`/foo` matches `/foo`, `/foo/` and `/foo/bar`, not `/foobar`; a trailing slash in the rule is ignored);
`ImplementationSpecific` is what nginx's `location /foo` does, a plain string prefix (`/foo` matches `/foobar`).
An Ingress with `nginx.ingress.kubernetes.io/use-regex` or `rewrite-target` makes its paths case-insensitive
regular expressions anchored at the start. The longest matching path wins; between equally long ones Exact wins
over Prefix, and an older Ingress over a newer one (ingress-nginx keeps the first it read).

No path matches: the defaultBackend of an Ingress of that server (the oldest), else ingress-nginx's own default
backend, which answers 404 (`backend` None). `rewrite-target` rewrites the path sent upstream (nginx's
`rewrite`, which replaces the whole path, `$1`... from the rule's groups). A host listed under `tls` is served
over HTTPS with its Secret's certificate (ingress-nginx's self-signed "Fake Certificate" when that Secret is
missing or unusable), and a plain-HTTP request to it is redirected with 308 (ssl-redirect, on by default).

Differences from nginx, on purpose: a wildcard covers one label (nginx's `*.example.com` covers several), and
regular expressions are Python's.
"""

from __future__ import annotations

import base64
import binascii
import re
import weakref
from collections.abc import Iterable
from typing import Any

import attrs

from .store import Store, WatchEvent
from .timeutil import parse_time

Obj = dict[str, Any]
NGINX_CLASS = "nginx"
NGINX_CONTROLLER = "k8s.io/ingress-nginx"
CLASS_ANNOTATION = "kubernetes.io/ingress.class"
REWRITE_TARGET = "nginx.ingress.kubernetes.io/rewrite-target"
USE_REGEX = "nginx.ingress.kubernetes.io/use-regex"
SSL_REDIRECT = "nginx.ingress.kubernetes.io/ssl-redirect"
FAKE_CERTIFICATE = "Kubernetes Ingress Controller Fake Certificate"
INGRESSES = "ingresses.networking.k8s.io"
_TYPE_RANK = {"Exact": 0, "Prefix": 1, "ImplementationSpecific": 2}


@attrs.frozen
class Backend:
    """A backend as the Ingress names it: a Service and port (a number, or a port name as written), or a resource."""

    namespace: str
    service: str | None
    port: int | str | None
    resource: Obj | None = None


@attrs.frozen
class IngressRoute:
    """What the controller does with one request."""

    host: str  # the request's host (port and trailing dot removed, lower case)
    path: str  # the request's path
    ingress: str | None  # `namespace/name` of the Ingress whose rule or defaultBackend answered
    rule_host: str | None  # the matching rule's host ("" for a rule without one); None when no rule matched
    rule_path: str | None
    path_type: str | None
    backend: Backend | None  # None: ingress-nginx's default backend answers 404
    upstream_path: str  # the path sent to the backend (rewrite-target applied)
    reason: str  # why this route, in words
    tls_secret: str | None = None  # `namespace/name` of the Secret serving this host, if it is under `tls`
    certificate: str | None = None  # whose certificate the client sees over HTTPS
    tls_problem: str | None = None  # ingress-nginx's message when the Secret is missing or unusable
    redirect: str | None = None  # `308 https://...` when a plain-HTTP request is redirected instead


def ingress_class_of(ing: Obj) -> str | None:
    """The class an Ingress asks for: the field, else the old annotation."""
    return (ing.get("spec") or {}).get("ingressClassName") or \
        (ing["metadata"].get("annotations") or {}).get(CLASS_ANNOTATION)


def served_ingresses(store: Store, ingress_class: str = NGINX_CLASS) -> list[Obj]:
    """The Ingresses of a class, oldest first (the order ingress-nginx resolves conflicts in)."""
    found = [ing for ing in store.iter(INGRESSES) if ingress_class_of(ing) == ingress_class
             and not ing["metadata"].get("deletionTimestamp")]
    return sorted(found, key=lambda i: (parse_time(i["metadata"].get("creationTimestamp") or "1970-01-01T00:00:00Z"),
                                        i["metadata"].get("namespace", ""), i["metadata"]["name"]))


def tls_problem(store: Store, namespace: str, secret_name: str) -> str | None:
    """Why ingress-nginx cannot use a TLS Secret, in its own words (its log: getPemCertificate, CreateSSLCert),
    or None when it holds a PEM certificate and key. The key pair is checked for its PEM form, not
    cryptographically."""
    key = f"{namespace}/{secret_name}"
    secret = store.get("secrets", namespace, secret_name)
    if secret is None:
        return (f'Error getting SSL certificate "{key}": local SSL certificate {key} was not found. '
                "Using default certificate")
    data = secret.get("data") or {}
    if "tls.crt" not in data or "tls.key" not in data:
        if "ca.crt" in data:
            return None
        return f'Error obtaining X.509 certificate: secret "{key}" contains no keypair or CA certificate'
    cert, private = _decoded(data.get("tls.crt")), _decoded(data.get("tls.key"))
    block = _pem_block(cert)
    if block is None:
        return ("Error obtaining X.509 certificate: unexpected error creating SSL Cert: no valid PEM formatted block "
                "found")
    if block != "CERTIFICATE":
        return ("Error obtaining X.509 certificate: unexpected error creating SSL Cert: no certificate PEM data found, "
                "make sure certificate content starts with 'BEGIN CERTIFICATE'")
    if not (_pem_block(private) or "").endswith("PRIVATE KEY"):
        return ("Error obtaining X.509 certificate: unexpected error creating SSL Cert: certificate and private key "
                "does not have a matching public key: tls: failed to find any PEM data in key input")
    return None


def _decoded(value: Any) -> str:
    try:
        return base64.b64decode(str(value or ""), validate=False).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return ""


_PEM = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END \1-----")


def _pem_block(text: str) -> str | None:
    """The type of the first PEM block whose body decodes, as Go's pem.Decode finds it."""
    for match in _PEM.finditer(text):
        try:
            body = base64.b64decode("".join(match.group(2).split()), validate=True)
        except (binascii.Error, ValueError):
            continue
        if body[:1] == b"\x30":  # DER starts with a SEQUENCE
            return match.group(1)
    return None


# --------------------------------------------------------------------------- the routing table


@attrs.frozen
class _Path:
    ingress: Obj
    rule_host: str
    path: str
    path_type: str
    backend: Obj
    regex: re.Pattern[str] | None
    order: int

    def matches(self, request_path: str) -> bool:
        if self.regex is not None:
            return self.regex.match(request_path) is not None
        if self.path_type == "Exact":
            return request_path == self.path
        if self.path_type == "Prefix":
            rule = self.path.rstrip("/")
            return not rule or request_path == rule or request_path.startswith(rule + "/")
        return request_path.startswith(self.path or "/")

    def rank(self) -> tuple[int, int, int]:
        """Longest path first, then Exact over Prefix, then the older Ingress."""
        return (-len(self.path or "/"), _TYPE_RANK.get(self.path_type, 3), self.order)


@attrs.define
class _Server:
    paths: list[_Path] = attrs.Factory(list)
    default: tuple[Obj, Obj] | None = None  # (ingress, defaultBackend) of the oldest Ingress that has one


def _regex_paths(ing: Obj) -> bool:
    annotations = ing["metadata"].get("annotations") or {}
    return annotations.get(USE_REGEX) == "true" or REWRITE_TARGET in annotations


def _compile(path: str) -> re.Pattern[str] | None:
    try:
        return re.compile(path or "/", re.IGNORECASE)
    except re.error:
        return None


class _Table:
    """The servers nginx would be configured with, from the Ingresses of one class."""

    def __init__(self, ingresses: Iterable[Obj]) -> None:
        self.servers: dict[str, _Server] = {}  # host ("" for the catch-all) -> server
        self.tls: dict[str, tuple[Obj, Obj]] = {}  # host under `tls` -> (the oldest Ingress, its tls entry)
        order = 0
        for ing in ingresses:
            spec = ing.get("spec") or {}
            rules = [r for r in spec.get("rules") or () if isinstance(r, dict)]
            regex = _regex_paths(ing)
            for rule in rules:
                host = str(rule.get("host") or "").lower()
                server = self.servers.setdefault(host, _Server())
                for item in (rule.get("http") or {}).get("paths") or ():
                    if not isinstance(item, dict) or not isinstance(item.get("backend"), dict):
                        continue
                    path = str(item.get("path") or "")
                    server.paths.append(_Path(ing, host, path, str(item.get("pathType") or ""), item["backend"],
                                              _compile(path) if regex else None, order))
                    order += 1
            default = spec.get("defaultBackend")
            hosts = {str(r.get("host") or "").lower() for r in rules} or {""}
            for host in hosts:
                server = self.servers.setdefault(host, _Server())
                if isinstance(default, dict) and server.default is None:
                    server.default = (ing, default)
            for entry in spec.get("tls") or ():
                for host in (entry.get("hosts") or ()) if isinstance(entry, dict) else ():
                    self.tls.setdefault(str(host).lower(), (ing, entry))
        for server in self.servers.values():
            server.paths.sort(key=_Path.rank)

    def server_for(self, host: str) -> tuple[_Server | None, str]:
        """nginx's server selection: the exact name, then a wildcard covering one more label, then the catch-all."""
        if host in self.servers and host:
            return self.servers[host], f"host {host}"
        first, dot, rest = host.partition(".")
        wildcard = f"*.{rest}"
        if dot and first and wildcard in self.servers:
            return self.servers[wildcard], f"wildcard host {wildcard}"
        return self.servers.get(""), "no rule for this host: the catch-all server"

    def tls_for(self, host: str) -> tuple[Obj, Obj] | None:
        """The certificate nginx presents (SNI): one listed for the host, else for a wildcard covering it."""
        first, dot, rest = host.partition(".")
        return self.tls.get(host) or (self.tls.get(f"*.{rest}") if dot and first else None)


_TABLES: weakref.WeakKeyDictionary[Store, dict[str, _Table]] = weakref.WeakKeyDictionary()


def _table(store: Store, ingress_class: str) -> _Table:
    """The routing table, rebuilt only after an Ingress changed."""
    tables = _TABLES.get(store)
    if tables is None:
        tables = _TABLES[store] = {}

        def invalidate(event: WatchEvent) -> None:
            if event.resource == INGRESSES:
                tables.clear()

        store.add_listener(invalidate)
    table = tables.get(ingress_class)
    if table is None:
        table = tables[ingress_class] = _Table(served_ingresses(store, ingress_class))
    return table


def _key(ing: Obj) -> str:
    return f"{ing['metadata'].get('namespace', '')}/{ing['metadata']['name']}"


def _backend(ing: Obj, backend: Obj) -> Backend:
    namespace = ing["metadata"].get("namespace", "")
    service = backend.get("service")
    if isinstance(service, dict):
        port = service.get("port") or {}
        return Backend(namespace, str(service.get("name") or ""), port.get("number") or port.get("name"))
    return Backend(namespace, None, None, backend.get("resource"))


def _rewrite(entry: _Path, request_path: str) -> str:
    target = (entry.ingress["metadata"].get("annotations") or {}).get(REWRITE_TARGET)
    if target is None or entry.regex is None:
        return request_path
    match = entry.regex.match(request_path)
    groups = match.groups() if match else ()

    def group(found: re.Match[str]) -> str:
        index = int(found.group(1))
        return (groups[index - 1] or "") if 0 < index <= len(groups) else ""

    return re.sub(r"\$(\d)", group, target)


def normalise_host(host: str) -> str:
    """The Host header as nginx matches it: no port, no trailing dot, lower case."""
    host = host.strip().lower()
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0].rstrip(".") if host.count(":") == 1 else host.rstrip(".")


def route(store: Store, host: str, path: str = "/", *, scheme: str = "http",
          ingress_class: str = NGINX_CLASS) -> IngressRoute:
    """Where the `ingress_class` controller sends `scheme://host/path` (see the module docstring)."""
    host, path = normalise_host(host), path or "/"
    table = _table(store, ingress_class)
    server, why = table.server_for(host)
    tls_secret = certificate = problem = redirect = None
    tls = table.tls_for(host)
    if tls is not None:
        tls_ing, entry = tls
        namespace = tls_ing["metadata"].get("namespace", "")
        secret = entry.get("secretName")
        if secret:
            tls_secret = f"{namespace}/{secret}"
            problem = tls_problem(store, namespace, secret)
        certificate = FAKE_CERTIFICATE if problem or not secret else tls_secret
        annotations = tls_ing["metadata"].get("annotations") or {}
        if scheme == "http" and annotations.get(SSL_REDIRECT, "true") != "false":
            redirect = f"308 https://{host}{path}"
    elif scheme == "https":
        certificate = FAKE_CERTIFICATE
    common = {"host": host, "path": path, "tls_secret": tls_secret, "certificate": certificate,
              "tls_problem": problem, "redirect": redirect}
    for entry in server.paths if server is not None else ():
        if entry.matches(path):
            return IngressRoute(
                ingress=_key(entry.ingress), rule_host=entry.rule_host, rule_path=entry.path,
                path_type=entry.path_type, backend=_backend(entry.ingress, entry.backend),
                upstream_path=_rewrite(entry, path),
                reason=f"{why}; {entry.path_type or 'ImplementationSpecific'} path {entry.path or '/'!s} is the "
                       "longest that matches", **common)
    if server is not None and server.default is not None:
        ing, default = server.default
        return IngressRoute(ingress=_key(ing), rule_host=None, rule_path=None, path_type=None,
                            backend=_backend(ing, default), upstream_path=path,
                            reason=f"{why}; no path matches: the Ingress's defaultBackend", **common)
    return IngressRoute(ingress=None, rule_host=None, rule_path=None, path_type=None, backend=None,
                        upstream_path=path, reason=f"{why}; no path matches: the controller's default backend "
                                                   "(404 Not Found)", **common)
