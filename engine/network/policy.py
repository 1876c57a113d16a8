"""NetworkPolicy verdicts: may this connection leave its source pod, and may it enter its destination pod?

The semantics are the NetworkPolicy API's (https://kubernetes.io/docs/concepts/services-networking/network-policies/
and the `networking.k8s.io/v1` type comments):

- A pod is isolated for ingress (egress) when at least one NetworkPolicy in its namespace selects it with
  `Ingress` (`Egress`) among its policyTypes. A pod no policy isolates accepts (sends) everything.
- An isolated pod accepts a connection only when some rule of some policy that selects it allows it: policies
  add up, none subtracts. Ingress from the pod's own node (the kubelet's probes) is always allowed.
- A rule allows a connection when one of its peers matches the other end (`from`/`to` absent or empty: any peer)
  and one of its ports matches (absent or empty: any port). A peer's `podSelector` alone selects pods in the
  policy's namespace; `namespaceSelector` alone, every pod of the matching namespaces; both in one peer, pods
  matching the first in namespaces matching the second (AND) - two peers, one of each, are an OR. `ipBlock`
  matches an address in `cidr` and in none of `except`.
- A port matches on protocol (default TCP) and on the number the destination pod receives (after kube-proxy's
  DNAT): a number, a range `port`..`endPort`, or a name, looked up among the destination pod's containerPorts.
- A connection needs both verdicts: egress from the source and ingress to the destination. Replies of an
  allowed connection are allowed.

Policies are compiled once per change of any NetworkPolicy (selectors parsed, CIDRs parsed, grouped by
namespace), so a verdict costs a few dictionary lookups per policy of one namespace.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from ..errors import ApiError
from ..kinds.networkpolicy import parse_cidr
from ..selectors import LabelSelector, selector_from_dict

Obj = dict[str, Any]
RESOURCE = "networkpolicies.networking.k8s.io"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@attrs.frozen
class Party:
    """One end of a connection as a policy sees it: an address, and the pod behind it when there is one."""

    ip: str
    pod: Obj | None = None
    namespace_labels: Mapping[str, str] | None = None  # the pod's namespace's labels
    node: str = ""  # the node the connection comes from or goes to (a pod's node, or a node itself)

    @property
    def namespace(self) -> str:
        return str(self.pod["metadata"].get("namespace", "")) if self.pod is not None else ""

    @property
    def name(self) -> str:
        if self.pod is not None:
            return f"{self.namespace}/{self.pod['metadata']['name']}"
        return self.ip


@attrs.frozen
class Peer:
    pods: LabelSelector | None
    namespaces: LabelSelector | None
    block: Network | None
    excepts: tuple[Network, ...] = ()

    def matches(self, policy_namespace: str, other: Party) -> bool:
        if self.block is not None:
            try:
                address = ipaddress.ip_address(other.ip)
            except ValueError:
                return False
            return address in self.block and not any(address in e for e in self.excepts)
        if other.pod is None or other.pod.get("spec", {}).get("hostNetwork"):
            return False  # selectors pick pods, and a host-network pod speaks with its node's address
        if self.namespaces is None:
            if other.namespace != policy_namespace:
                return False
        elif not self.namespaces.matches(other.namespace_labels or {}):
            return False
        return self.pods is None or self.pods.matches(other.pod["metadata"].get("labels") or {})


@attrs.frozen
class PortMatch:
    protocol: str
    port: int | str | None  # None: every port of the protocol
    end: int | None = None

    def matches(self, protocol: str, port: int, destination: Obj | None) -> bool:
        if protocol != self.protocol:
            return False
        if self.port is None:
            return True
        if isinstance(self.port, str):
            return destination is not None and named_port(destination, self.port, protocol) == port
        if self.end is not None:
            return self.port <= port <= self.end
        return port == self.port


@attrs.frozen
class Rule:
    index: int
    peers: tuple[Peer, ...] | None  # None: any peer
    ports: tuple[PortMatch, ...] | None  # None: any port

    def allows(self, namespace: str, other: Party, protocol: str, port: int, destination: Obj | None) -> bool:
        if self.ports is not None and not any(p.matches(protocol, port, destination) for p in self.ports):
            return False
        return self.peers is None or any(peer.matches(namespace, other) for peer in self.peers)


@attrs.frozen
class Policy:
    namespace: str
    name: str
    selector: LabelSelector
    ingress: tuple[Rule, ...] | None  # None: the policy does not isolate for ingress
    egress: tuple[Rule, ...] | None


def named_port(pod: Obj, name: str, protocol: str) -> int | None:
    """The number a pod's container (or sidecar) port called `name` has for `protocol`."""
    spec = pod.get("spec") or {}
    for key in ("containers", "initContainers"):
        for c in spec.get(key) or ():
            for p in (c.get("ports") or ()) if isinstance(c, dict) else ():
                if isinstance(p, dict) and p.get("name") == name and p.get("protocol", "TCP") == protocol:
                    number = p.get("containerPort")
                    return number if isinstance(number, int) else None
    return None


def _selector(value: Any) -> LabelSelector | None:
    if value is None:
        return None
    try:
        return selector_from_dict(value)
    except ApiError:
        return LabelSelector(nothing=True)  # validation refuses such selectors; match nothing if one slipped by


def _peer(peer: Obj) -> Peer | None:
    block = peer.get("ipBlock")
    if isinstance(block, dict):
        network = parse_cidr(str(block.get("cidr", "")))
        if network is None:
            return None
        excepts = tuple(n for n in (parse_cidr(str(e)) for e in block.get("except") or ()) if n is not None)
        return Peer(None, None, network, excepts)
    return Peer(_selector(peer.get("podSelector")), _selector(peer.get("namespaceSelector")), None)


def _port(port: Obj) -> PortMatch:
    number = port.get("port")
    end = port.get("endPort")
    return PortMatch(str(port.get("protocol") or "TCP"), number if isinstance(number, (int, str)) else None,
                     end if isinstance(end, int) and isinstance(number, int) else None)


def _rules(rules: Any, peers_key: str) -> tuple[Rule, ...]:
    out = []
    for i, rule in enumerate(rules if isinstance(rules, list) else ()):
        if not isinstance(rule, dict):
            continue
        peers = rule.get(peers_key) or None
        ports = rule.get("ports") or None
        out.append(Rule(
            i, None if peers is None else tuple(p for p in (_peer(x) for x in peers if isinstance(x, dict)) if p),
            None if ports is None else tuple(_port(p) for p in ports if isinstance(p, dict))))
    return tuple(out)


def compile_policy(obj: Obj) -> Policy:
    meta, spec = obj["metadata"], obj.get("spec") or {}
    types = spec.get("policyTypes") or ["Ingress"] + (["Egress"] if spec.get("egress") else [])
    return Policy(
        namespace=str(meta.get("namespace", "")), name=str(meta["name"]),
        selector=_selector(spec.get("podSelector") or {}) or LabelSelector(),
        ingress=_rules(spec.get("ingress"), "from") if "Ingress" in types else None,
        egress=_rules(spec.get("egress"), "to") if "Egress" in types else None)


def compile_policies(objects: Iterable[Obj]) -> dict[str, tuple[Policy, ...]]:
    """Policies by namespace, each namespace's sorted by name (the order verdicts name them in)."""
    by_namespace: dict[str, list[Policy]] = {}
    for obj in objects:
        policy = compile_policy(obj)
        by_namespace.setdefault(policy.namespace, []).append(policy)
    return {ns: tuple(sorted(found, key=lambda p: p.name)) for ns, found in by_namespace.items()}


@attrs.frozen
class Verdict:
    """Whether one direction of a connection is allowed, and which policy and rule decided it."""

    direction: str  # "egress" (leaving `subject`) or "ingress" (entering `subject`)
    subject: str  # the pod the verdict is about, ns/name
    allowed: bool
    selected_by: tuple[str, ...] = ()  # the policies that isolate the pod in this direction (empty: none does)
    policy: str = ""  # the policy that allowed, when one did
    rule: int | None = None  # its rule's index in spec.ingress / spec.egress
    reason: str = ""

    @property
    def isolated(self) -> bool:
        return bool(self.selected_by)

    def text(self) -> str:
        return f"{self.direction} {'allowed' if self.allowed else 'denied'}: {self.reason}"


def _peer_words(direction: str, other: Party) -> str:
    return f"{'to' if direction == 'egress' else 'from'} {other.name}"


def evaluate(policies: Mapping[str, tuple[Policy, ...]], direction: str, subject: Party, other: Party,
             protocol: str, port: int, destination: Obj | None) -> Verdict:
    """The verdict for `subject` (a pod) sending to (egress) or receiving from (ingress) `other` on `port` of
    `destination` (the pod receiving, needed for named ports; None when it is not a pod)."""
    pod = subject.pod
    assert pod is not None
    name = subject.name
    labels = pod["metadata"].get("labels") or {}
    selecting = [p for p in policies.get(subject.namespace, ())
                 if getattr(p, direction) is not None and p.selector.matches(labels)]
    if pod.get("spec", {}).get("hostNetwork"):
        # Host-network pods live in the node's network namespace: policies do not apply to them (upstream
        # leaves it undefined; every common plugin ignores them).
        return Verdict(direction, name, True, reason="a host-network pod is not subject to NetworkPolicy")
    if not selecting:
        return Verdict(direction, name, True, reason=f"no NetworkPolicy selects {name} for {direction}")
    names = tuple(p.name for p in selecting)
    if direction == "ingress" and _from_own_node(subject, other):
        return Verdict(direction, name, True, names,
                       reason=f"traffic from {name}'s own node {other.node} is always allowed")
    for policy in selecting:
        for rule in getattr(policy, direction):
            if rule.allows(policy.namespace, other, protocol, port, destination):
                return Verdict(direction, name, True, names, policy.name, rule.index,
                               f"NetworkPolicy {policy.namespace}/{policy.name} {direction} rule "
                               f"{rule.index + 1} allows {protocol} {port} {_peer_words(direction, other)}")
    listed = ", ".join(names)
    return Verdict(direction, name, False, names,
                   reason=f"{name} is isolated for {direction} by {listed}, and no {direction} rule allows "
                          f"{protocol} {port} {_peer_words(direction, other)}")


def _from_own_node(subject: Party, other: Party) -> bool:
    """The pod's own node reaches it always (kubelet probes): a connection from the node itself, or from a
    host-network pod on it."""
    node = (subject.pod or {}).get("spec", {}).get("nodeName")
    if not node or other.node != node:
        return False
    return other.pod is None or bool(other.pod.get("spec", {}).get("hostNetwork"))
