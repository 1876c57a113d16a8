"""Cluster DNS: a pod's resolv.conf, the names its resolver tries, and what CoreDNS answers for each.

What CoreDNS's kubernetes plugin answers (https://coredns.io/plugins/kubernetes/, kubeadm's Corefile: `kubernetes
cluster.local in-addr.arpa ip6.arpa { pods insecure ... }`, `forward . /etc/resolv.conf`), which is the
Kubernetes DNS specification (https://github.com/kubernetes/dns/blob/master/docs/specification.md):

- `<service>.<ns>.svc.cluster.local` A: the cluster IP; for a headless Service, one A record per ready endpoint
  (NXDOMAIN when there is none, spec 2.4.1); for an ExternalName Service, a CNAME to `externalName` (2.5).
- `<hostname>.<service>.<ns>.svc.cluster.local` A: the ready endpoint with that hostname - the endpoint's
  `hostname` (a pod's `hostname` with `subdomain` naming the Service: StatefulSet pods are `web-0.web...`), or
  its address with dashes, `10-244-1-5`, when it has none (2.4.1; CoreDNS's default without endpoint_pod_names).
- `_<port>._<proto>.<service>.<ns>.svc.cluster.local` SRV: per named port, the Service (2.3.2), or for a headless
  Service each ready endpoint (2.4.2). Unnamed ports have no SRV record.
- `<a-b-c-d>.<ns>.pod.cluster.local` A: `a.b.c.d`, unchecked (`pods insecure`, the deprecated record of 2.6).
- Any other name under cluster.local: NXDOMAIN. Names outside it are forwarded to the node's resolver.

What the pod's resolver does (the kubelet writes resolv.conf, `pkg/kubelet/network/dns/dns.go`; glibc's
res_search tries the names): `dnsPolicy: ClusterFirst` (the default) gives `nameserver <kube-dns IP>`, `search
<ns>.svc.cluster.local svc.cluster.local cluster.local` and `options ndots:5`; a host-network pod with
ClusterFirst falls back to `Default`, unless it says `ClusterFirstWithHostNet`; `Default` copies the node's
resolv.conf, which knows no cluster names; `None` uses `dnsConfig` alone, and `dnsConfig` is appended to the
others (nameservers and searches added, options merged by name). A name with fewer dots than ndots is tried
with each search domain first and as written last; one with ndots or more dots as written first.

k9py has no Internet: the node's resolver (and so CoreDNS's forward) knows only the names other parts of
k9py register with `register_external_resolver` (an Ingress host, for example), and answers NXDOMAIN otherwise.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs

from ..kinds.service_spec import is_headless, ports_of, spec_of
from ..store import Store
from .endpoints import Endpoint

Obj = dict[str, Any]
CLUSTER_DOMAIN = "cluster.local"
# kubeadm's clusterDNS: the tenth address of the 10.96.0.0/12 service range, held by kube-dns.
CLUSTER_DNS_IP = "10.96.0.10"
# A kind node's resolv.conf points at its Docker network's gateway; k9py's nodes are 172.18.0.x.
NODE_NAMESERVER = "172.18.0.1"
MAX_NAMESERVERS = 3  # validation.MaxDNSNameservers
MAX_SEARCHES = 32  # validation.MaxDNSSearchPaths
DEFAULT_NDOTS = 1  # glibc's default, for resolv.conf files without the option

# Name -> addresses for names outside the cluster (Ingress hosts, ...); an empty list: not this resolver's name.
ExternalResolver = Callable[[Store, str], list[str]]
_EXTERNAL: list[ExternalResolver] = []


def register_external_resolver(resolver: ExternalResolver) -> None:
    """Let the node's (upstream) resolver answer some names outside cluster.local."""
    if resolver not in _EXTERNAL:
        _EXTERNAL.append(resolver)


@attrs.frozen
class ResolvConf:
    nameservers: tuple[str, ...]
    searches: tuple[str, ...] = ()
    options: tuple[str, ...] = ()

    @property
    def ndots(self) -> int:
        for option in self.options:
            name, _, value = option.partition(":")
            if name == "ndots":
                try:
                    return max(0, min(15, int(value)))  # glibc caps ndots at 15
                except ValueError:
                    return DEFAULT_NDOTS
        return DEFAULT_NDOTS

    def text(self) -> str:
        """The file as the kubelet writes it."""
        lines = [f"search {' '.join(self.searches)}"] if self.searches else []
        lines += [f"nameserver {ns}" for ns in self.nameservers]
        if self.options:
            lines.append(f"options {' '.join(self.options)}")
        return "\n".join(lines) + "\n"


NODE_RESOLV_CONF = ResolvConf((NODE_NAMESERVER,))


def _unique(values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    return [v for v in values if not (v in seen or seen.add(v))]  # type: ignore[func-returns-value]


def _merge_options(existing: Sequence[str], extra: Iterable[Obj]) -> list[str]:
    """mergeDNSOptions: dnsConfig options replace the same-named ones, values written `name:value`."""
    merged: dict[str, str] = {}
    for option in existing:
        merged[option.partition(":")[0]] = option
    for option in extra:
        if isinstance(option, dict) and option.get("name"):
            name = str(option["name"])
            merged[name] = f"{name}:{option['value']}" if option.get("value") is not None else name
    return list(merged.values())


def dns_policy(pod: Obj) -> str:
    """The policy the kubelet applies: ClusterFirst on a host-network pod means Default (getPodDNSType)."""
    spec = pod.get("spec") or {}
    policy = str(spec.get("dnsPolicy") or "ClusterFirst")
    if policy == "ClusterFirst" and spec.get("hostNetwork"):
        return "Default"
    return policy


def pod_resolv_conf(pod: Obj, cluster_dns: str = CLUSTER_DNS_IP, node: ResolvConf = NODE_RESOLV_CONF) -> ResolvConf:
    """The /etc/resolv.conf the kubelet writes for `pod` (GetPodDNS)."""
    spec = pod.get("spec") or {}
    namespace = str(pod["metadata"].get("namespace", "default"))
    policy = dns_policy(pod)
    if policy in ("ClusterFirst", "ClusterFirstWithHostNet"):
        nameservers = [cluster_dns]
        searches = [f"{namespace}.svc.{CLUSTER_DOMAIN}", f"svc.{CLUSTER_DOMAIN}", CLUSTER_DOMAIN, *node.searches]
        options = ["ndots:5"]
    elif policy == "None":
        nameservers, searches, options = [], [], []
    else:
        nameservers, searches, options = list(node.nameservers), list(node.searches), list(node.options)
    config = spec.get("dnsConfig")
    if isinstance(config, dict):
        nameservers += [str(n) for n in config.get("nameservers") or ()]
        searches += [str(s) for s in config.get("searches") or ()]
        options = _merge_options(options, config.get("options") or ())
    return ResolvConf(tuple(_unique(nameservers)[:MAX_NAMESERVERS]), tuple(_unique(searches)[:MAX_SEARCHES]),
                      tuple(options))


def candidates(name: str, conf: ResolvConf) -> list[str]:
    """The names glibc's res_search asks for, in order."""
    if name.endswith("."):
        return [name[:-1]]
    as_is = name.count(".") >= conf.ndots
    tried = [name] if as_is else []
    tried += [f"{name}.{domain}" for domain in conf.searches]
    if not as_is:
        tried.append(name)
    return _unique(tried)


@attrs.frozen
class Record:
    name: str
    type: str  # A, CNAME, SRV
    data: str  # an address, a target name, or `priority weight port target` for SRV

    def text(self) -> str:
        return f"{self.name}. 30 IN {self.type} {self.data}"


@attrs.frozen
class Answer:
    name: str
    qtype: str
    rcode: str  # NOERROR or NXDOMAIN
    records: tuple[Record, ...] = ()
    server: str = ""  # who answered: "CoreDNS" or "upstream"
    note: str = ""

    @property
    def found(self) -> bool:
        return self.rcode == "NOERROR" and bool(self.records)

    def addresses(self) -> list[str]:
        return [r.data for r in self.records if r.type == "A"]


def _dashed(ip: str) -> str:
    return ip.replace(".", "-").replace(":", "-")


class ClusterDns:
    """CoreDNS's kubernetes plugin over the store; `endpoints` gives a Service's endpoints (EndpointSlices or
    Endpoints, as the data plane reads them)."""

    def __init__(self, store: Store, endpoints: Callable[[Obj], list[Endpoint]]) -> None:
        self.store = store
        self.endpoints = endpoints

    def query(self, name: str, qtype: str = "A") -> Answer:
        name = name.lower().rstrip(".")  # the spec: comparisons are case-insensitive
        if name == CLUSTER_DOMAIN or name.endswith("." + CLUSTER_DOMAIN):
            return self._cluster(name, qtype)
        answer = upstream_query(self.store, name, qtype)
        return attrs.evolve(answer, server="CoreDNS (forwarded upstream)")

    def _cluster(self, name: str, qtype: str) -> Answer:
        labels = name[: -len(CLUSTER_DOMAIN) - 1].split(".") if name != CLUSTER_DOMAIN else []
        nx = Answer(name, qtype, "NXDOMAIN", server="CoreDNS")
        if len(labels) == 3 and labels[2] == "pod" and qtype == "A":
            return self._pod_record(name, labels[0], nx)
        if len(labels) < 3 or labels[-1] != "svc":
            return nx
        namespace = labels[-2]
        if qtype == "SRV" and len(labels) == 5 and labels[0].startswith("_") and labels[1].startswith("_"):
            svc = self.store.get("services", namespace, labels[2])
            return self._srv(name, svc, labels[0][1:], labels[1][1:].upper()) if svc else nx
        if len(labels) == 3:
            svc = self.store.get("services", namespace, labels[0])
            return self._service(name, qtype, svc) if svc else nx
        if len(labels) == 4:
            svc = self.store.get("services", namespace, labels[1])
            return self._endpoint(name, qtype, svc, labels[0]) if svc else nx
        return nx

    def _pod_record(self, name: str, dashed: str, nx: Answer) -> Answer:
        try:
            ip = ipaddress.ip_address(dashed.replace("-", ".") if dashed.count("-") == 3 else dashed)
        except ValueError:
            return nx
        return Answer(name, "A", "NOERROR", (Record(name, "A", str(ip)),), "CoreDNS",
                      "a pod record: `pods insecure` answers any address without checking a pod has it")

    def _ready(self, svc: Obj) -> list[Endpoint]:
        return [ep for ep in self.endpoints(svc) if ep.ready]

    def _service(self, name: str, qtype: str, svc: Obj) -> Answer:
        spec = spec_of(svc)
        if spec.get("type") == "ExternalName":
            target = str(spec.get("externalName") or "").rstrip(".")
            return Answer(name, qtype, "NOERROR", (Record(name, "CNAME", f"{target}."),), "CoreDNS",
                          f"ExternalName Service: a CNAME to {target}")
        if qtype != "A":
            return Answer(name, qtype, "NOERROR", server="CoreDNS")
        if is_headless(svc):
            ips = _unique(ep.ip for ep in self._ready(svc))
            if not ips:
                return Answer(name, qtype, "NXDOMAIN", server="CoreDNS",
                              note="a headless Service with no ready endpoint has no A record")
            return Answer(name, qtype, "NOERROR", tuple(Record(name, "A", ip) for ip in ips), "CoreDNS",
                          f"headless Service: one A record per ready endpoint ({len(ips)})")
        ips = [ip for ip in spec.get("clusterIPs") or [spec.get("clusterIP")] if ip and ip != "None"]
        return Answer(name, qtype, "NOERROR", tuple(Record(name, "A", ip) for ip in ips[:1]), "CoreDNS",
                      "the Service's cluster IP")

    def _endpoint(self, name: str, qtype: str, svc: Obj, hostname: str) -> Answer:
        ips = _unique(ep.ip for ep in self._ready(svc) if (ep.hostname or _dashed(ep.ip)) == hostname)
        if not ips:
            return Answer(name, qtype, "NXDOMAIN", server="CoreDNS",
                          note=f"no ready endpoint of {svc['metadata']['name']} is named {hostname}")
        if qtype != "A":
            return Answer(name, qtype, "NOERROR", server="CoreDNS")
        return Answer(name, "A", "NOERROR", tuple(Record(name, "A", ip) for ip in ips), "CoreDNS",
                      "a ready endpoint's own name")

    def _srv(self, name: str, svc: Obj, port_name: str, protocol: str) -> Answer:
        meta = svc["metadata"]
        base = f"{meta['name']}.{meta.get('namespace', '')}.svc.{CLUSTER_DOMAIN}"
        ports = [p for p in ports_of(svc) if p.get("name") == port_name and p.get("protocol", "TCP") == protocol]
        if not ports:
            return Answer(name, "SRV", "NXDOMAIN", server="CoreDNS",
                          note=f"{meta['name']} has no port named {port_name} ({protocol}); unnamed ports have "
                               "no SRV record")
        if not is_headless(svc):
            return Answer(name, "SRV", "NOERROR", (Record(name, "SRV", f"0 100 {ports[0].get('port')} {base}."),),
                          "CoreDNS", "the Service's named port")
        targets = [(ep.port(port_name, protocol), ep.hostname or _dashed(ep.ip)) for ep in self._ready(svc)]
        targets = [(number, host) for number, host in targets if number is not None]
        if not targets:
            return Answer(name, "SRV", "NXDOMAIN", server="CoreDNS", note="no ready endpoint")
        weight = 100 // len(targets)  # CoreDNS shares the weight among the records of one priority
        records = [Record(name, "SRV", f"0 {weight} {number} {host}.{base}.") for number, host in targets]
        return Answer(name, "SRV", "NOERROR", tuple(records), "CoreDNS",
                      "headless Service: one SRV record per ready endpoint")


def upstream_query(store: Store, name: str, qtype: str = "A") -> Answer:
    """The node's resolver: only names registered by other parts of k9py (there is no Internet)."""
    name = name.lower().rstrip(".")
    if qtype == "A":
        for resolver in _EXTERNAL:
            ips = resolver(store, name)
            if ips:
                return Answer(name, qtype, "NOERROR", tuple(Record(name, "A", ip) for ip in ips), "upstream")
    return Answer(name, qtype, "NXDOMAIN", server="upstream",
                  note="k9py simulates no Internet: the node's resolver knows only k9py's own names")


@attrs.frozen
class Resolution:
    """What the client's resolver did for one name."""

    query: str
    qtype: str
    conf: ResolvConf
    tried: tuple[Answer, ...]
    answer: Answer | None  # the answer that ended the search (None: every candidate failed)
    addresses: tuple[str, ...] = ()
    chain: tuple[Answer, ...] = ()  # answers for CNAME targets, in order

    @property
    def resolved(self) -> bool:
        return bool(self.addresses) or (self.answer is not None and self.qtype != "A" and self.answer.found)


def resolve(query: Callable[[str, str], Answer], conf: ResolvConf, name: str, qtype: str = "A") -> Resolution:
    """res_search: each candidate name in turn until one has records; CNAMEs are followed (CoreDNS resolves an
    ExternalName's target through its upstream, and so does the client for what it gets back)."""
    tried: list[Answer] = []
    for candidate in candidates(name, conf):
        answer = query(candidate, qtype)
        tried.append(answer)
        if not answer.found:
            continue
        if qtype != "A":
            return Resolution(name, qtype, conf, tuple(tried), answer)
        chain: list[Answer] = []
        current = answer
        for _ in range(8):  # a CNAME loop ends where a resolver gives up
            target = next((r.data for r in current.records if r.type == "CNAME"), None)
            if target is None or current.addresses():
                break
            current = query(target.rstrip("."), "A")
            chain.append(current)
        return Resolution(name, qtype, conf, tuple(tried), answer, tuple(current.addresses()), tuple(chain))
    return Resolution(name, qtype, conf, tuple(tried), None)
