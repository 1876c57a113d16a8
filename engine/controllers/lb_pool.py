"""The address pool LoadBalancer Services take their external IPs from, as MetalLB's layer-2 pool or
cloud-provider-kind gives a local cluster addresses on its node network (the ingress-nginx controller's Service is
one of them: its Ingresses publish its address).

The default range, 172.18.255.200-172.18.255.250, is the top of a kind cluster's Docker network (172.18.0.0/16),
where kind's own MetalLB guide puts its pool; `Cluster(load_balancer_pool=...)` changes it (a range `a-b` or a
CIDR). As with cluster IPs, the store is the allocation table: an address is in use while a Service's status holds
it, so releasing one is clearing that status. Addresses are handed out lowest first, as
MetalLB does, so the first LoadBalancer gets the first address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator
from typing import Any

import attrs

Obj = dict[str, Any]
DEFAULT_RANGE = "172.18.255.200-172.18.255.250"
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def ingress_ips(obj: Obj) -> list[str]:
    """The IPs an object's status.loadBalancer.ingress lists."""
    ingress = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or ()
    return [str(i["ip"]) for i in ingress if isinstance(i, dict) and i.get("ip")]


@attrs.frozen
class AddressPool:
    """A range of addresses, `first` to `last` inclusive."""

    first: Address
    last: Address

    @classmethod
    def parse(cls, text: str = DEFAULT_RANGE) -> AddressPool:
        """`172.18.255.200-172.18.255.250` or `172.18.255.192/27`; a ValueError says what is wrong."""
        text = text.strip()
        if "/" in text:
            network = ipaddress.ip_network(text, strict=False)
            return cls(network[0], network[-1])
        start, sep, end = text.partition("-")
        if not sep:
            address = ipaddress.ip_address(start)
            return cls(address, address)
        first, last = ipaddress.ip_address(start.strip()), ipaddress.ip_address(end.strip())
        if first.version != last.version or int(last) < int(first):
            raise ValueError(f"invalid address range {text!r}: the first address must not be after the last")
        return cls(first, last)

    def __str__(self) -> str:
        return f"{self.first}-{self.last}"

    def __contains__(self, address: object) -> bool:
        try:
            ip = ipaddress.ip_address(str(address))
        except ValueError:
            return False
        return ip.version == self.first.version and int(self.first) <= int(ip) <= int(self.last)

    def addresses(self) -> Iterator[str]:
        for value in range(int(self.first), int(self.last) + 1):
            yield str(ipaddress.ip_address(value))

    def taken(self, store: Any, skip: Obj | None = None) -> set[str]:
        """Addresses held by Services (other than `skip`). An Ingress's address is its controller's Service's."""
        held: set[str] = set()
        for obj in store.iter("services"):
            if skip is not None and obj["metadata"].get("uid") == skip["metadata"].get("uid"):
                continue
            held.update(ip for ip in ingress_ips(obj) if ip in self)
        return held

    def first_free(self, taken: Iterable[str]) -> str | None:
        used = set(taken)
        return next((ip for ip in self.addresses() if ip not in used), None)

