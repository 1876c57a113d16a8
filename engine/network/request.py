"""A request's whole path through the simulated data plane: `DataPlane.request(source, url)` → `Trace`.

The source is a pod (`namespace/name`, or a bare name in `default`), a node (`node/<name>`) or `outside` the
cluster. The URL names a Service by DNS name, a cluster IP, a pod IP, a node IP with a NodePort, a load-balancer
or external IP, or a name some other part of k9py registers (an Ingress host). The path:

1. The name is looked up: /etc/hosts first (`localhost`, the pod's own hostname), then DNS with the source's
   resolv.conf (`dns.py`). The DNS query itself travels: UDP 53 to the kube-dns Service, through kube-proxy to a
   CoreDNS pod, under the same NetworkPolicies - an egress default-deny that forgets DNS makes every name fail.
2. The address decides the route. A cluster IP, NodePort, load-balancer or external IP goes through kube-proxy
   (`proxy.py`): a Service with no endpoint refuses (REJECT); a port the Service does not have on its cluster
   IP matches no rule, and the packet goes unanswered (iptables mode; nftables mode would reject it); a Local
   traffic policy with no endpoint on the node drops it. A pod IP is reached directly; an address no pod holds
   inside the pod network has no route; an address outside the cluster goes nowhere (no Internet).
3. NetworkPolicy (`policy.py`): egress from the source pod, then ingress into the destination pod, on the
   destination port after kube-proxy's translation. A denial drops the packets: the client times out.
4. The destination pod's app answers (`app.py`), or refuses when nothing listens on the port.

A pod that proxies can be given a handler with `register_forwarder`: it decides where the request goes next,
and the path continues from that pod. The ingress-nginx controller's pods are such proxies (`ingress.py`): on
ports 80 and 443 they route by host and path, and the request goes on from the controller pod to the backend.
"""

from __future__ import annotations

import ipaddress
import json
import random
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import attrs

from ..clock import Clock
from ..controllers.kubernetes_service import APISERVER_ADDRESS, APISERVER_PORT
from ..store import Store
from . import app as app_module
from . import endpoints as endpoint_source
from . import ingress as ingress_module
from .app import AppRequest, AppResponse
from .dns import (
    CLUSTER_DNS_IP,
    NODE_RESOLV_CONF,
    Answer,
    ClusterDns,
    Resolution,
    ResolvConf,
    pod_resolv_conf,
    resolve,
    upstream_query,
)
from .endpoints import SLICES, Endpoint, service_endpoints, slices_by_service
from .index import NODES, PODS, SERVICES, Addresses, Lazy, build_addresses, node_ip
from .policy import RESOURCE as POLICIES
from .policy import Party, Verdict, compile_policies, evaluate
from .proxy import CLUSTER_IP, EXTERNAL_IP, LOAD_BALANCER, NODE_PORT, Choice, KubeProxy
from .trace import (
    ANSWERED,
    DENIED,
    FAILED,
    INFO,
    INVALID,
    NO_ROUTE,
    OK,
    REFUSED,
    TIMEOUT,
    UNRESOLVED,
    Hop,
    Trace,
    status_phrase,
)

Obj = dict[str, Any]
OUTSIDE = "outside"
OUTSIDE_IP = "203.0.113.10"  # a documentation address (RFC 5737) for "a laptop outside the cluster"
# The pods' addresses: a /24 per node from 10.244.0.0 (kube-proxy's clusterCIDR in addons.py is kind's /16; a
# cluster of more than 256 nodes carries on past it, as one with a larger --cluster-cidr would).
POD_NETWORK = ipaddress.ip_network("10.240.0.0/12")
SERVICE_NETWORK = ipaddress.ip_network("10.96.0.0/12")
MAX_FORWARDS = 5


@attrs.frozen
class Source:
    kind: str  # pod, node or outside
    name: str  # ns/name, node/<name> or outside
    ip: str
    node: str = ""  # the node whose network the packets leave from
    pod: Obj | None = None

    @property
    def in_cluster(self) -> bool:
        return self.kind != OUTSIDE


@attrs.frozen
class Forward:
    """A proxying pod's decision: send the request on to `url` (with `host` as the Host header)."""

    url: str
    host: str = ""
    title: str = ""  # one line for the trace: why this upstream
    details: tuple[str, ...] = ()


# (pod, port, request) -> Forward when this pod proxies the request elsewhere, None when it answers itself.
Forwarder = Callable[[Obj, int, AppRequest], Forward | AppResponse | None]
_FORWARDERS: list[Forwarder] = []


def register_forwarder(forwarder: Forwarder) -> None:
    if forwarder not in _FORWARDERS:
        _FORWARDERS.append(forwarder)


@attrs.define
class _Walk:
    """What a request has gathered so far."""

    hops: list[Hop] = attrs.Factory(list)
    dns: list[Resolution] = attrs.Factory(list)
    services: list[str] = attrs.Factory(list)
    choices: list[Choice] = attrs.Factory(list)
    verdicts: list[Verdict] = attrs.Factory(list)
    endpoint: str = ""


@attrs.frozen
class _Arrival:
    """Where a connection ended up: a pod (and the port it receives on), or a failure."""

    pod: Obj | None = None
    port: int = 0
    seen_ip: str = ""  # the client address the pod sees
    failure: str = ""  # refused, timeout, no route
    message: str = ""
    apiserver: bool = False  # arrived at the API server, not at a pod


class DataPlane:
    def __init__(self, store: Store, clock: Clock, rng: random.Random) -> None:
        self.store = store
        self.clock = clock
        self.proxy = KubeProxy(rng)
        self.rng = rng
        g = store
        # The pods' index is the costly one (every pod status write invalidates it): it is only read for a
        # request to a raw pod address or a hostPort; endpoints name their pods.
        self._services = Lazy(g, SERVICES, lambda: build_addresses((), (), store.iter(SERVICES)))
        self._nodes = Lazy(g, NODES, lambda: build_addresses((), store.iter(NODES), ()))
        self._pods = Lazy(g, PODS, lambda: build_addresses(store.iter(PODS), (), ()))
        self._slices = Lazy(g, SLICES, lambda: slices_by_service(store))
        self._policies = Lazy(g, POLICIES, lambda: compile_policies(store.iter(POLICIES)))
        self._endpoint_cache: dict[tuple[str, str], tuple[Any, list[Endpoint]]] = {}
        self.cluster_dns = ClusterDns(store, self.endpoints)

    # --- lookups -------------------------------------------------------------------------------------------

    def endpoints(self, svc: Obj) -> list[Endpoint]:
        """The Service's endpoints, rebuilt only when the object they come from was replaced."""
        meta = svc["metadata"]
        key = (str(meta.get("namespace", "")), str(meta["name"]))
        marker: Any = self._slices.get().get(key) if endpoint_source.uses_slices() \
            else self.store.get("endpoints", *key)
        cached = self._endpoint_cache.get(key)
        if cached is not None and cached[0] is marker and marker is not None:
            return cached[1]
        found = service_endpoints(self.store, svc, self._slices.get)
        self._endpoint_cache[key] = (marker, found)
        return found

    def addresses(self) -> tuple[Addresses, Addresses]:
        """Who holds which Service address and node address."""
        return self._services.get(), self._nodes.get()

    def pod_at(self, ip: str, ref: tuple[str, str] | None = None) -> Obj | None:
        """The live pod holding `ip`: the one an endpoint names when it still has that address, else by index."""
        if ref is not None:
            pod = self.store.get("pods", *ref)
            if pod is not None and (pod.get("status") or {}).get("podIP") == ip and \
                    not (pod.get("spec") or {}).get("hostNetwork") and \
                    (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed"):
                return pod
        return self._pods.get().pods.get(ip)

    def _namespace_labels(self, namespace: str) -> Mapping[str, str]:
        ns = self.store.get("namespaces", "", namespace)
        return ((ns or {}).get("metadata") or {}).get("labels") or {}

    def _party(self, ip: str, pod: Obj | None, node: str = "") -> Party:
        if pod is None:
            return Party(ip, None, None, node)
        return Party(ip, pod, self._namespace_labels(str(pod["metadata"].get("namespace", ""))),
                     str((pod.get("spec") or {}).get("nodeName") or node))

    def cluster_dns_ip(self) -> str:
        svc = self.store.get("services", "kube-system", "kube-dns")
        ip = ((svc or {}).get("spec") or {}).get("clusterIP")
        return str(ip) if ip and ip != "None" else CLUSTER_DNS_IP

    def resolv_conf(self, source: Source) -> ResolvConf:
        if source.pod is not None:
            return pod_resolv_conf(source.pod, self.cluster_dns_ip())
        return NODE_RESOLV_CONF

    # --- sources -------------------------------------------------------------------------------------------

    def source(self, text: str | None) -> Source | str:
        """The Source a string names, or an error message."""
        if text is None or text.strip() in ("", OUTSIDE):
            return Source(OUTSIDE, OUTSIDE, OUTSIDE_IP)
        text = text.strip()
        if text.startswith("node/"):
            node = self.store.get("nodes", "", text[5:])
            if node is not None:
                return Source("node", text, node_ip(node), node["metadata"]["name"])
        namespace, _, name = text.rpartition("/")
        pod = self.store.get("pods", namespace or "default", name)
        if pod is None:
            return f'pods "{name}" not found in namespace "{namespace or "default"}"'
        spec, status = pod.get("spec") or {}, pod.get("status") or {}
        if not status.get("podIP") or status.get("phase") in ("Succeeded", "Failed"):
            return f"pod {namespace or 'default'}/{name} has no network: it has no IP (phase {status.get('phase')})"
        statuses = (status.get("containerStatuses") or []) + (status.get("initContainerStatuses") or [])
        if not any("running" in (cs.get("state") or {}) for cs in statuses):
            # What `kubectl exec` into it would say: there is nothing to run curl in. An init container counts:
            # it shares the pod's network (`until nc -z db 5432` waits in one).
            return f"pod {namespace or 'default'}/{name} has no running container to send the request from"
        return Source("pod", f"{namespace or 'default'}/{name}", str(status["podIP"]),
                      str(spec.get("nodeName") or ""), pod)

    # --- the request ---------------------------------------------------------------------------------------

    def request(self, source_text: str | None, url: str, method: str = "GET",
                headers: Mapping[str, str] | None = None) -> Trace:
        walk = _Walk()
        source = self.source(source_text)
        if isinstance(source, str):
            return Trace(str(source_text), method, url, (), INVALID, source)
        walk.hops.append(_source_hop(source))
        outcome, message, response = self._request(source, url, method, dict(headers or {}), walk, 0)
        return Trace(source.name, method, url, tuple(walk.hops), outcome, message, response, tuple(walk.dns),
                     tuple(walk.services), walk.endpoint, tuple(walk.choices), tuple(walk.verdicts))

    def _request(self, source: Source, url: str, method: str, headers: dict[str, str], walk: _Walk,
                 depth: int) -> tuple[str, str, AppResponse | None]:
        parsed = _parse_url(url)
        if isinstance(parsed, str):
            return INVALID, parsed, None
        host, port, path, host_header = parsed
        ip = self._address_of(source, host, walk)
        if ip is None:
            return UNRESOLVED, f"curl: (6) Could not resolve host: {host}", None
        arrival = self.connect(source, ip, port, "TCP", walk)
        if arrival.failure:
            return arrival.failure, arrival.message, None
        if arrival.apiserver:
            response = _apiserver_answer(path.partition("?")[0])
            return ANSWERED, _status_line(response), response
        pod = arrival.pod
        assert pod is not None
        if arrival.port in ingress_module.PORTS and ingress_module.is_controller(pod):
            return self._through_ingress(pod, arrival.seen_ip, headers.get("Host", host_header) or host, path,
                                         arrival.port, method, headers, walk, depth)
        request = AppRequest(method, path, headers.get("Host", host_header), headers, arrival.seen_ip)
        for forwarder in _FORWARDERS:
            decision = forwarder(pod, arrival.port, request)
            if isinstance(decision, AppResponse):
                walk.hops.append(Hop("pod", f"{_pod_name(pod)} answers on port {arrival.port}", OK))
                return ANSWERED, _status_line(decision), decision
            if isinstance(decision, Forward):
                if depth >= MAX_FORWARDS:
                    return TIMEOUT, "proxy loop: the request was forwarded too many times", None
                walk.hops.append(Hop("proxy", decision.title or f"{_pod_name(pod)} forwards to {decision.url}",
                                     OK, decision.details))
                spec = pod.get("spec") or {}
                hop_source = Source("pod", _pod_name(pod), str((pod.get("status") or {}).get("podIP") or ""),
                                    str(spec.get("nodeName") or ""), pod)
                forwarded = {**headers, "Host": decision.host or host_header,
                             "X-Forwarded-For": arrival.seen_ip}
                return self._request(hop_source, decision.url, method, forwarded, walk, depth + 1)
        response = app_module.answer(pod, arrival.port, request)
        if response is None:
            walk.hops.append(Hop("pod", f"{_pod_name(pod)}: nothing listens on port {arrival.port}", FAILED,
                                 (_listening_text(pod),
                                  "its kernel answers the connection with a reset")))
            return REFUSED, f"curl: (7) Failed to connect to {host} port {port}: Connection refused", None
        container = app_module.container_for_port(pod, arrival.port)
        walk.hops.append(Hop("pod", f"{_pod_name(pod)} container {container} answers on port {arrival.port}", OK))
        return ANSWERED, _status_line(response), response

    def _through_ingress(self, controller: Obj, client_ip: str, host: str, path: str, port: int, method: str,
                         headers: dict[str, str], walk: _Walk, depth: int) -> tuple[str, str, AppResponse | None]:
        """ingress-nginx in `controller` (a pod): route by host and path (engine/ingress_routing.py), then proxy to
        the backend Service from the pod's own address, answering 404/503 itself when there is nowhere to send
        the request and 502/504 when the backend cannot answer, as nginx does."""
        decision = ingress_module.decide(self.store, host, path, port)
        chosen = decision.route
        name = _pod_name(controller)
        details = (chosen.reason,) + ((f"TLS: {chosen.tls_problem}",) if chosen.tls_problem else ())
        if decision.response is not None:
            verdict = INFO if decision.response.status < 400 else FAILED
            walk.hops.append(Hop("ingress", f"ingress-nginx in {name} answers {decision.response.status} itself",
                                 verdict, details))
            walk.endpoint = name
            return ANSWERED, _status_line(decision.response), decision.response
        svc = self.store.get("services", *decision.service.split("/", 1))
        if svc is not None and (svc.get("spec") or {}).get("type") != "ExternalName" \
                and not any(ep.ready for ep in self.endpoints(svc)):
            walk.hops.append(Hop("ingress", f"ingress-nginx in {name} ({chosen.ingress}): Service "
                                 f"{decision.service} has no ready endpoint", FAILED, details))
            walk.endpoint = name
            response = ingress_module.page(503, "Service Temporarily Unavailable")
            return ANSWERED, _status_line(response), response
        if depth >= MAX_FORWARDS:
            return TIMEOUT, "proxy loop: the request was forwarded too many times", None
        spec, status = controller.get("spec") or {}, controller.get("status") or {}
        hop_source = Source("pod", name, str(status.get("podIP") or ""), str(spec.get("nodeName") or ""), controller)
        walk.hops.append(Hop("proxy", f"ingress-nginx ({chosen.ingress}) forwards to {decision.url} from "
                             f"{name} ({hop_source.ip})", OK, details))
        forwarded = {**headers, "Host": host, "X-Forwarded-For": client_ip}
        outcome, message, response = self._request(hop_source, decision.url, method, forwarded, walk, depth + 1)
        if outcome == ANSWERED:
            return outcome, message, response
        status_code, reason = (504, "Gateway Time-out") if outcome == TIMEOUT else (502, "Bad Gateway")
        response = ingress_module.page(status_code, reason)
        walk.hops.append(Hop("ingress", f"ingress-nginx in {name} answers {status_code}: the backend gave {message}",
                             FAILED))
        return ANSWERED, _status_line(response), response

    # --- names ---------------------------------------------------------------------------------------------

    def _address_of(self, source: Source, host: str, walk: _Walk) -> str | None:
        try:
            return str(ipaddress.ip_address(host))
        except ValueError:
            pass
        lowered = host.lower().rstrip(".")
        if lowered in ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"):
            loopback = "::1" if lowered.startswith("ip6") else "127.0.0.1"
            walk.hops.append(Hop("dns", f"{host} → {loopback} (/etc/hosts)", OK))
            return loopback
        if source.pod is not None:
            own = _own_names(source.pod)
            if lowered in own:
                walk.hops.append(Hop("dns", f"{host} → {source.ip} (/etc/hosts: the pod's own name)", OK))
                return source.ip
        resolution, transport = self.resolve(source, host, walk)
        if resolution is None:
            walk.hops.append(Hop("dns", f"{host}: no DNS server could be reached", FAILED, transport))
            return None
        walk.dns.append(resolution)
        details = (*transport, *_dns_lines(resolution))
        if not resolution.addresses:
            walk.hops.append(Hop("dns", f"{host}: not found (NXDOMAIN)", FAILED, details))
            return None
        addresses = list(resolution.addresses)
        if len(addresses) > 1:
            # CoreDNS's loadbalance plugin rotates the records; the client connects to the first.
            shift = self.rng.randrange(len(addresses))
            addresses = addresses[shift:] + addresses[:shift]
        found = resolution.answer.name if resolution.answer else host
        walk.hops.append(Hop("dns", f"{host} → {addresses[0]} ({found})", OK, details))
        return addresses[0]

    def resolve(self, source: Source, name: str, walk: _Walk | None = None,
                qtype: str = "A") -> tuple[Resolution | None, tuple[str, ...]]:
        """Resolve `name` as the source's resolver would: (the resolution, or None when no nameserver could be
        reached; lines saying how the queries travelled)."""
        conf = self.resolv_conf(source)
        if source.kind == OUTSIDE:
            return resolve(lambda n, t: upstream_query(self.store, n, t), conf, name, qtype), (
                "the client's own resolver (outside the cluster: it knows no cluster.local names)",)
        lines: list[str] = [f"resolv.conf: nameserver {' '.join(conf.nameservers) or '(none)'}; search "
                            f"{' '.join(conf.searches) or '(none)'}; {' '.join(conf.options) or 'ndots:1'}"]
        services, _ = self.addresses()
        for nameserver in conf.nameservers:
            owner = services.cluster_ips.get(nameserver)
            if nameserver == self.cluster_dns_ip() and owner is None:
                lines.append(f"{nameserver}: no kube-dns Service holds it; k9py's built-in cluster DNS answers")
                return resolve(self.cluster_dns.query, conf, name, qtype), tuple(lines)
            if owner is None:
                lines.append(f"{nameserver}: the node's upstream resolver")
                return resolve(lambda n, t: upstream_query(self.store, n, t), conf, name, qtype), tuple(lines)
            inner = _Walk()
            arrival = self.connect(source, nameserver, 53, "UDP", inner)
            if walk is not None:
                walk.verdicts.extend(inner.verdicts)
                walk.choices.extend(inner.choices)
            via = "; ".join(h.title for h in inner.hops)
            if arrival.failure:
                why = "connection timed out" if arrival.failure == TIMEOUT else arrival.message
                lines.append(f"query to {nameserver}:53/UDP failed: {why} ({via})")
                lines += [f"{v.direction} denied: {v.reason}" for v in inner.verdicts if not v.allowed]
                continue
            lines.append(f"query to {nameserver}:53/UDP reached {_pod_name(arrival.pod)} ({via})")
            return resolve(self.cluster_dns.query, conf, name, qtype), tuple(lines)
        lines.append(";; connection timed out; no servers could be reached")
        return None, tuple(lines)

    # --- connections ---------------------------------------------------------------------------------------

    def connect(self, source: Source, ip: str, port: int, protocol: str, walk: _Walk) -> _Arrival:
        """Open a connection from `source` to ip:port; where it arrives, with every hop on `walk`."""
        services, nodes = self.addresses()
        if ipaddress.ip_address(ip).is_loopback:
            return self._loopback(source, port, protocol, walk)
        svc = services.cluster_ips.get(ip)
        if svc is not None:
            if not source.in_cluster:
                return self._fail(walk, "route", f"{ip} is a cluster IP: only nodes and pods can reach it",
                                  TIMEOUT, ip, port)
            return self._via_service(source, svc, ip, port, protocol, CLUSTER_IP, source.node, walk)
        svc = services.external_ips.get(ip)
        if svc is not None:
            entry = LOAD_BALANCER if ip in _lb_ips(svc) else EXTERNAL_IP
            node = source.node if source.in_cluster else self._balancer_node(svc, port, protocol)
            if not node:
                return self._fail(walk, "route", f"the load balancer at {ip} has no healthy node to send to",
                                  TIMEOUT, ip, port)
            return self._via_service(source, svc, ip, port, protocol, entry, node, walk)
        node_obj = nodes.nodes.get(ip)
        if node_obj is not None:
            return self._to_node(source, node_obj, ip, port, protocol, walk)
        address = ipaddress.ip_address(ip)
        if address in SERVICE_NETWORK:
            return self._fail(walk, "route", f"{ip} is in the service range but no Service holds it: the packet "
                              "is dropped", TIMEOUT, ip, port)
        return self._to_address(source, ip, port, protocol, walk)

    def _fail(self, walk: _Walk, step: str, title: str, failure: str, host: str, port: int,
              details: tuple[str, ...] = ()) -> _Arrival:
        walk.hops.append(Hop(step, title, FAILED, details))
        return _Arrival(failure=failure, message=_client_message(failure, host, port))

    def _loopback(self, source: Source, port: int, protocol: str, walk: _Walk) -> _Arrival:
        if source.pod is not None and not (source.pod.get("spec") or {}).get("hostNetwork"):
            walk.hops.append(Hop("route", f"loopback inside {source.name}: its own containers", OK))
            return _Arrival(source.pod, port, "127.0.0.1")
        if source.kind == OUTSIDE:
            return self._fail(walk, "route", "localhost is the client's own machine, not the cluster", REFUSED,
                              "localhost", port)
        return self._host_network(source, source.node, "127.0.0.1", port, protocol, walk, "127.0.0.1")

    def _balancer_node(self, svc: Obj, port: int, protocol: str) -> str:
        """The node a load balancer sends to: with externalTrafficPolicy Local only nodes whose health check
        (healthCheckNodePort) reports a ready local endpoint, else any Ready node."""
        _, nodes = self.addresses()
        ready = sorted(n["metadata"]["name"] for n in nodes.nodes.values() if _node_ready(n))
        if (svc.get("spec") or {}).get("externalTrafficPolicy") == "Local":
            local = {ep.node for ep in self.endpoints(svc) if ep.ready}
            ready = [n for n in ready if n in local]
        return self.rng.choice(ready) if ready else ""

    def _via_service(self, source: Source, svc: Obj, ip: str, port: int, protocol: str, entry: str, node: str,
                     walk: _Walk) -> _Arrival:
        meta = svc["metadata"]
        name = f"{meta.get('namespace', '')}/{meta['name']}"
        ports = [p for p in (svc.get("spec") or {}).get("ports") or ()
                 if isinstance(p, dict) and (p.get("nodePort") if entry == NODE_PORT else p.get("port")) == port
                 and p.get("protocol", "TCP") == protocol]
        if not ports:
            offered = ", ".join(f"{p.get('port')}/{p.get('protocol', 'TCP')}"
                                for p in (svc.get("spec") or {}).get("ports") or ())
            return self._fail(walk, "service", f"Service {name} has no port {port}/{protocol} on its {entry} {ip}",
                              TIMEOUT, ip, port,
                              (f"its ports: {offered or 'none'}",
                               "no kube-proxy rule matches: the packet leaves the node by its default route and "
                               "nothing answers (iptables mode; nftables mode rejects it)"))
        svc_port = ports[0]
        label = f"{name}:{svc_port.get('name') or svc_port.get('port')}"
        walk.services.append(label)
        target = svc_port.get("targetPort", svc_port.get("port"))
        walk.hops.append(Hop("service", f"Service {name} port {svc_port.get('port')}/{protocol} "
                             f"(via its {entry} {ip}{':' + str(port) if entry == NODE_PORT else ''})", OK,
                             (f"targetPort {target}",)))
        choice = self.proxy.choose(svc, svc_port, self.endpoints(svc), node=node, entry=entry,
                                   client_ip=source.ip, from_cluster=source.in_cluster, now=self.clock.now())
        walk.choices.append(choice)
        if choice.failure or choice.endpoint is None:
            walk.hops.append(Hop("kube-proxy", f"on {node}: {choice.reason}", FAILED))
            return _Arrival(failure=choice.failure, message=_client_message(choice.failure, ip, port))
        endpoint = choice.endpoint
        target_port = int(choice.target_port or 0)
        where = f" on {endpoint.node}" if endpoint.node else ""
        named = (f"; targetPort {target} is {target_port} in {endpoint.pod_key}" if isinstance(target, str)
                 else "")
        walk.hops.append(Hop("kube-proxy", f"on {node}: {endpoint.ip}:{target_port} ({endpoint.pod_key}{where})",
                             OK, (choice.reason + named,)))
        seen_ip = source.ip
        if choice.snat:
            seen_ip = self._nodes.get().node_ips.get(node, source.ip)
        return self._to_address(source, endpoint.ip, target_port, protocol, walk, seen_ip=seen_ip,
                                via_proxy=True, ref=endpoint.pod)

    def _to_node(self, source: Source, node: Obj, ip: str, port: int, protocol: str, walk: _Walk) -> _Arrival:
        services, _ = self.addresses()
        name = node["metadata"]["name"]
        found = services.node_ports.get((port, protocol))
        if found is not None:
            svc, _ = found
            return self._via_service(source, svc, ip, port, protocol, NODE_PORT, name, walk)
        host_port = self._pods.get().host_ports.get((name, port, protocol))
        if host_port is not None:
            pod, container_port = host_port
            # The CNI portmap plugin DNATs a hostPort to the pod, keeping the client's address.
            walk.hops.append(Hop("route", f"hostPort {port} on {name} → {_pod_name(pod)}:{container_port}", OK))
            meta = pod["metadata"]
            return self._to_address(source, str((pod.get("status") or {}).get("podIP") or ""),
                                    int(container_port or 0), protocol, walk, via_proxy=True,
                                    ref=(str(meta.get("namespace", "")), str(meta["name"])))
        return self._host_network(source, name, ip, port, protocol, walk, source.ip)

    def _host_network(self, source: Source, node: str, ip: str, port: int, protocol: str, walk: _Walk,
                      seen_ip: str) -> _Arrival:
        if source.pod is not None and ip != "127.0.0.1" and \
                not self._egress(source, self._party(ip, None, node), protocol, port, None, walk):
            return _Arrival(failure=TIMEOUT, message=_client_message(TIMEOUT, ip, port))
        for pod in self.store.iter("pods"):
            spec = pod.get("spec") or {}
            if spec.get("hostNetwork") and spec.get("nodeName") == node and protocol == "TCP" \
                    and app_module.container_for_port(pod, port) is not None:
                walk.hops.append(Hop("route", f"{node}:{port} is served by host-network pod {_pod_name(pod)}", OK))
                return _Arrival(pod, port, seen_ip)
        return self._fail(walk, "route", f"nothing listens on node {node} port {port}/{protocol}", REFUSED, ip, port,
                          ("not a NodePort of any Service, no hostPort, no host-network pod serving it",))

    def _to_address(self, source: Source, ip: str, port: int, protocol: str, walk: _Walk,
                    seen_ip: str | None = None, via_proxy: bool = False,
                    ref: tuple[str, str] | None = None) -> _Arrival:
        """The last leg: to a pod's address, with the NetworkPolicy verdicts on both ends."""
        _, nodes = self.addresses()
        pod = self.pod_at(ip, ref)
        if pod is None:
            node = nodes.nodes.get(ip)
            if node is not None:  # a host-network endpoint: its address is its node's
                return self._host_network(source, node["metadata"]["name"], ip, port, protocol, walk,
                                          seen_ip or source.ip)
            # Leaving the pod network: an isolated pod's egress rules still decide (by ipBlock).
            if source.pod is not None and not self._egress(source, Party(ip), protocol, port, None, walk):
                return _Arrival(failure=TIMEOUT, message=_client_message(TIMEOUT, ip, port))
        if pod is None and (ip, port) == (APISERVER_ADDRESS, APISERVER_PORT):
            walk.hops.append(Hop("route", f"{ip}:{port} is the API server (kube-apiserver on the control plane)",
                                 OK))
            walk.endpoint = "kube-apiserver"
            return _Arrival(apiserver=True)
        if pod is None:
            if ipaddress.ip_address(ip) in POD_NETWORK:
                return self._fail(walk, "route", f"no pod has the address {ip}", NO_ROUTE, ip, port,
                                  ("the node's bridge finds no one answering for it",))
            return self._fail(walk, "route", f"{ip} is outside the cluster and k9py simulates no network there",
                              TIMEOUT, ip, port)
        if not source.in_cluster and not via_proxy:
            return self._fail(walk, "route", f"{ip} is a pod address: only nodes and pods can reach it", TIMEOUT,
                              ip, port)
        seen = seen_ip or source.ip
        if source.pod is not None and not self._egress(source, self._party(ip, pod), protocol, port, pod, walk):
            return _Arrival(failure=TIMEOUT, message=_client_message(TIMEOUT, ip, port))
        seen_pod = source.pod if source.pod is not None and seen == source.ip else None
        if seen_pod is None and source.pod is not None and seen == "127.0.0.1":
            seen_pod = source.pod
        seen_node = self._node_of_ip(seen) or (source.node if seen == source.ip and source.kind == "node" else "")
        verdict = evaluate(self._policies.get(), "ingress", self._party(ip, pod),
                           self._party(seen, seen_pod, seen_node), protocol, port, pod)
        walk.verdicts.append(verdict)
        walk.hops.append(_verdict_hop(verdict))
        if not verdict.allowed:
            return _Arrival(failure=TIMEOUT, message=_client_message(TIMEOUT, ip, port))
        walk.endpoint = _pod_name(pod)
        return _Arrival(pod, port, seen)

    def _egress(self, source: Source, other: Party, protocol: str, port: int, destination: Obj | None,
                walk: _Walk) -> bool:
        """The source pod's egress verdict, recorded on the walk: whether the packet may leave."""
        assert source.pod is not None
        verdict = evaluate(self._policies.get(), "egress", self._party(source.ip, source.pod), other, protocol,
                           port, destination)
        walk.verdicts.append(verdict)
        walk.hops.append(_verdict_hop(verdict))
        return verdict.allowed

    def _node_of_ip(self, ip: str) -> str:
        node = self._nodes.get().nodes.get(ip)
        return node["metadata"]["name"] if node is not None else ""


# --- helpers ------------------------------------------------------------------------------------------------


def _parse_url(url: str) -> tuple[str, int, str, str] | str:
    """(host, port, path, Host header) of a URL; `web:8080/x` and `10.0.0.1` are accepted as curl accepts them."""
    text = url.strip()
    if "://" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        return f"curl: (3) URL rejected: {exc}"
    if parts.scheme not in ("http", "https"):
        return f'curl: (1) Protocol "{parts.scheme}" not supported'
    host = parts.hostname or ""
    if not host:
        return "curl: (3) URL rejected: No host part in the URL"
    if port == 0:
        return "curl: (3) URL rejected: Port number was not a decimal number between 0 and 65535"
    port = port or (443 if parts.scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    header = parts.netloc.rpartition("@")[2]
    return host, port, path, header


def _status_line(response: AppResponse) -> str:
    return f"HTTP/1.1 {response.status} {status_phrase(response.status)}".rstrip()


def _apiserver_answer(path: str) -> AppResponse:
    """What kube-apiserver answers a request without credentials: anonymous is authenticated, not authorised."""
    body = json.dumps({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                       "message": f'forbidden: User "system:anonymous" cannot get path "{path}"', "reason": "Forbidden",
                       "details": {}, "code": 403}, indent=2) + "\n"
    return AppResponse(403, body, {"Content-Type": "application/json"})


def _client_message(failure: str, host: str, port: int) -> str:
    if failure == REFUSED:
        return f"curl: (7) Failed to connect to {host} port {port}: Connection refused"
    if failure == NO_ROUTE:
        return f"curl: (7) Failed to connect to {host} port {port}: No route to host"
    return f"curl: (28) Failed to connect to {host} port {port}: Connection timed out"


def _pod_name(pod: Obj | None) -> str:
    if pod is None:
        return "?"
    return f"{pod['metadata'].get('namespace', '')}/{pod['metadata']['name']}"


def _own_names(pod: Obj) -> set[str]:
    """The names the kubelet writes into the pod's /etc/hosts for the pod itself."""
    spec, meta = pod.get("spec") or {}, pod["metadata"]
    hostname = str(spec.get("hostname") or meta["name"]).lower()
    names = {hostname}
    if spec.get("subdomain"):
        names.add(f"{hostname}.{spec['subdomain']}.{meta.get('namespace', '')}.svc.cluster.local".lower())
    return names


def _lb_ips(svc: Obj) -> set[str]:
    return {i.get("ip") for i in ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or ()}


def _node_ready(node: Obj) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (node.get("status") or {}).get("conditions") or ())


def _source_hop(source: Source) -> Hop:
    if source.kind == OUTSIDE:
        return Hop("source", f"a client outside the cluster ({source.ip})", INFO)
    if source.kind == "node":
        return Hop("source", f"node {source.node} ({source.ip})", INFO)
    return Hop("source", f"pod {source.name} ({source.ip} on {source.node})", INFO)


def _verdict_hop(verdict: Verdict) -> Hop:
    return Hop(verdict.direction, f"{verdict.subject}: {'allowed' if verdict.allowed else 'DENIED'}",
               OK if verdict.allowed else DENIED, (verdict.reason,))


def _dns_lines(resolution: Resolution) -> tuple[str, ...]:
    lines = [f"tried {_answer_text(a)}" for a in resolution.tried]
    lines += [f"then {_answer_text(a)}" for a in resolution.chain]
    return tuple(lines)


def _answer_text(answer: Answer) -> str:
    if not answer.found:
        text = f"{answer.name}: {answer.rcode}"
    else:
        text = f"{answer.name}: " + ", ".join(f"{r.type} {r.data}" for r in answer.records)
    return f"{text} ({answer.note})" if answer.note else text


def _listening_text(pod: Obj) -> str:
    ports = app_module.listening_ports(pod)
    if not ports:
        return "nothing in the pod listens at all (no container running and started)"
    return "it listens on " + ", ".join(f"{p} ({c})" for p, c in sorted(ports.items()))
