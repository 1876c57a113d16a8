"""kube-proxy: which endpoint a connection to a Service lands on, or why it is rejected or dropped.

What the iptables proxier does (`k/k pkg/proxy/iptables/proxier.go`, and `pkg/proxy/topology.go`
CategorizeEndpoints for which endpoints are usable), decided per connection as the rules would decide it:

- Usable endpoints are the Ready ones; only when none is Ready anywhere are serving-but-terminating endpoints
  used (for Cluster policy; for Local policy, the same fallback among this node's endpoints).
- Traffic to a cluster IP follows `internalTrafficPolicy`; traffic to a NodePort, a load-balancer IP or an
  external IP follows `externalTrafficPolicy`, except when it comes from a pod or from a node of the cluster
  (the KUBE-EXT chain sends that to the cluster-wide endpoints). `Local` means only endpoints on the node that
  received the packet.
- No usable endpoint at all: the packet is REJECTed, and the client sees "connection refused". Endpoints exist
  but none on this node under a Local policy: the packet is DROPped, and the client times out.
- Otherwise one endpoint is picked at random, each with the same chance (the `statistic --mode random` chain);
  `sessionAffinity: ClientIP` first sends a client back to the endpoint it last used, through the `recent`
  match, as long as that endpoint is still usable and the client's last connection through this node is less
  than `timeoutSeconds` (default 10800) ago.
- External traffic under the Cluster policy, and a pod reaching itself through its Service (hairpin), is
  masqueraded: the pod sees the node's address, not the client's. Local policy keeps the client's address.

The affinity table is kernel state of each node, so it is kept per node here too; time is the engine's clock.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import attrs

from .endpoints import Endpoint

Obj = dict[str, Any]
DEFAULT_AFFINITY_SECONDS = 10800  # v1.DefaultClientIPServiceAffinitySeconds

CLUSTER_IP = "cluster IP"
NODE_PORT = "node port"
LOAD_BALANCER = "load-balancer IP"
EXTERNAL_IP = "external IP"


@attrs.frozen
class Choice:
    """kube-proxy's decision for one connection."""

    endpoint: Endpoint | None
    target_port: int | None  # the endpoint's port for the Service port
    policy: str  # the traffic policy that applied: Cluster or Local
    reason: str  # why this endpoint, or why none
    failure: str = ""  # "" (DNAT to the endpoint), "refused" (REJECT) or "timeout" (DROP)
    usable: tuple[Endpoint, ...] = ()
    snat: bool = False  # the endpoint sees the node's address instead of the client's


@attrs.define
class _Affinity:
    endpoint: str  # ip:port
    last: float


class KubeProxy:
    """The proxiers of every node, as one object: their rules are the same, their affinity tables are not."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        # (node, namespace/service:port, client IP) -> the endpoint last used and when.
        self._affinity: dict[tuple[str, str, str], _Affinity] = {}

    def forget(self) -> None:
        self._affinity.clear()

    def choose(self, svc: Obj, port: Obj, endpoints: Sequence[Endpoint], *, node: str, entry: str,
               client_ip: str, from_cluster: bool, now: float) -> Choice:
        spec = svc.get("spec") or {}
        name, protocol = str(port.get("name") or ""), str(port.get("protocol") or "TCP")
        offered = [ep for ep in endpoints if ep.port(name, protocol) is not None]
        external = entry != CLUSTER_IP
        if external and not from_cluster:
            policy = str(spec.get("externalTrafficPolicy") or "Cluster")
        elif external:
            policy = "Cluster"  # pods and nodes reaching an external address take the cluster-wide endpoints
        else:
            policy = str(spec.get("internalTrafficPolicy") or "Cluster")
        usable, has_any, why = _categorize(offered, node, local=policy == "Local")
        label = f"{svc['metadata'].get('namespace', '')}/{svc['metadata']['name']}:{name or port.get('port')}"
        if not usable:
            if has_any:
                return Choice(None, None, policy, f"{label} has no local endpoints on {node} "
                              f"({'external' if external else 'internal'}TrafficPolicy: Local): kube-proxy drops "
                              "the packet", "timeout")
            return Choice(None, None, policy, f"{label} has no endpoints: kube-proxy rejects the connection",
                          "refused")
        snat = external and policy == "Cluster" and not from_cluster
        chosen, reason = self._pick(svc, label, usable, node, client_ip, now, name, protocol)
        if chosen.ip == client_ip:
            snat = True  # hairpin: the KUBE-SEP chain masquerades a pod reaching itself
        reason = f"{reason}{why}"
        return Choice(chosen, chosen.port(name, protocol), policy, reason, "", tuple(usable), snat)

    def _pick(self, svc: Obj, label: str, usable: list[Endpoint], node: str, client_ip: str, now: float,
              name: str, protocol: str) -> tuple[Endpoint, str]:
        spec = svc.get("spec") or {}
        count = f"{len(usable)} usable endpoint{'s' if len(usable) != 1 else ''}"
        if spec.get("sessionAffinity") != "ClientIP":
            return self.rng.choice(usable), f"picked at random among {count}"
        timeout = ((spec.get("sessionAffinityConfig") or {}).get("clientIP") or {}).get(
            "timeoutSeconds") or DEFAULT_AFFINITY_SECONDS
        key = (node, label, client_ip)
        entry = self._affinity.get(key)
        by_address = {f"{ep.ip}:{ep.port(name, protocol)}": ep for ep in usable}
        if entry is not None and entry.endpoint in by_address and now - entry.last < timeout:
            age = now - entry.last
            entry.last = now
            return by_address[entry.endpoint], (f"sessionAffinity ClientIP: {client_ip} used this endpoint "
                                                f"{age:g}s ago (timeout {timeout}s)")
        chosen = self.rng.choice(usable)
        self._affinity[key] = _Affinity(f"{chosen.ip}:{chosen.port(name, protocol)}", now)
        if entry is None:
            why = f"no affinity yet for {client_ip}"
        elif entry.endpoint not in by_address:
            why = f"{client_ip}'s endpoint {entry.endpoint} is no longer usable"
        else:
            why = f"{client_ip}'s affinity expired ({now - entry.last:g}s > {timeout}s)"
        return chosen, f"sessionAffinity ClientIP: {why}; picked at random among {count}"


def _categorize(endpoints: list[Endpoint], node: str, local: bool) -> tuple[list[Endpoint], bool, str]:
    """CategorizeEndpoints for one policy: (usable endpoints, whether any endpoint is usable anywhere, a note)."""
    ready = [ep for ep in endpoints if ep.ready]
    fallback = [ep for ep in endpoints if ep.serving and ep.terminating]
    has_any = bool(ready or fallback)
    if not local:
        if ready:
            return ready, has_any, ""
        return fallback, has_any, " (no Ready endpoint: using serving endpoints that are terminating)"
    here_ready = [ep for ep in ready if ep.node == node]
    if here_ready:
        return here_ready, has_any, f" on {node} (traffic policy Local)"
    here_fallback = [ep for ep in fallback if ep.node == node]
    return here_fallback, has_any, f" on {node} (traffic policy Local; terminating endpoints, none Ready)"
