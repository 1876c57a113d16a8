"""busybox's `nslookup`, in its two lives, over the simulated cluster DNS (netcmds.py runs the Debian one).

busybox 1.28 and older (and Alpine 3.8 and older) asked the C library (`getaddrinfo`, which follows resolv.conf's
search list and ndots) and printed `Address 1: <ip> <reverse name>` lines, or `nslookup: can't resolve 'x'`.
That is the output the Kubernetes docs show, and why they pin `busybox:1.28`.

busybox 1.29 and later (networking/nslookup.c, "a version from LEDE / OpenWRT") sends its own queries: A and
AAAA for the name as given when it has a dot, else for the name under each search domain and never for the bare
name, and prints each reply: `** server can't find <name>: NXDOMAIN` for a failed one, which makes the exit
status 1. In a pod (`search <ns>.svc.cluster.local svc.cluster.local cluster.local`) `nslookup db-service`
therefore prints the Service's address and two NXDOMAIN replies, and exits 1 even though the name resolves: an
`until nslookup db-service; do sleep 2; done` loop in `busybox:1.36` never ends on a real cluster
(docker-library/busybox#48, #61), and does not here either. A fully qualified name (`db-service.default.svc.
cluster.local`) works with both.
"""

from __future__ import annotations

import re
from typing import Any

from ..network.dns import CLUSTER_DOMAIN, Answer
from .shell import Process

# busybox nslookup.c: G.default_timeout = 5 seconds for all its queries to one server, then the next server.
BUSYBOX_TIMEOUT = 5.0
# uClibc's resolver (busybox:1.28): two attempts of five seconds before getaddrinfo gives up.
LIBC_TIMEOUT = 10.0


def old_busybox(image: str) -> bool:
    """Whether the image's busybox is 1.28 or older (busybox:1.28, alpine:3.8): the libc-based nslookup."""
    name = image.split("@", 1)[0].rsplit("/", 1)[-1]
    repo, _, tag = name.partition(":")
    numbers = [int(n) for n in re.findall(r"\d+", tag)[:2]]
    if len(numbers) < 2:
        return False  # `latest`, or no version: today's busybox
    if repo.lower() == "busybox":
        return tuple(numbers) <= (1, 28)
    if repo.lower() == "alpine":
        return tuple(numbers) <= (3, 8)
    return False


def reverse_name(plane: Any, ip: str) -> str | None:
    """The PTR name CoreDNS gives a Service's cluster IP (`kube-dns.kube-system.svc.cluster.local`)."""
    services, _ = plane.addresses()
    svc = services.cluster_ips.get(ip)
    if svc is None:
        return None
    meta = svc["metadata"]
    return f"{meta['name']}.{meta.get('namespace', '')}.svc.{CLUSTER_DOMAIN}"


async def busybox_nslookup(proc: Process, plane: Any, source: Any, name: str, image: str) -> int:
    conf = plane.resolv_conf(source)
    server = conf.nameservers[0] if conf.nameservers else "127.0.0.1"
    if old_busybox(image):
        return await _libc_lookup(proc, plane, source, name, server)
    # add_query_with_search: the search list only for a name without a dot (and never the bare name then).
    names = [f"{name}.{domain}" for domain in conf.searches] if "." not in name and conf.searches else [name]
    replies: list[str] = []
    failed = False
    for qtype in ("A", "AAAA"):
        for query in names:
            resolution, _ = plane.resolve(source, query.rstrip(".") + ".", qtype=qtype)
            if resolution is None:  # no server answered (an egress policy that forgot DNS)
                await proc.sys.sleep(BUSYBOX_TIMEOUT)
                await proc.out(";; connection timed out; no servers could be reached\n\n")
                return 1
            answer = resolution.tried[-1]
            if answer.rcode != "NOERROR":
                replies.append(f"** server can't find {query}: {answer.rcode}\n\n")
                failed = True
                continue
            replies.append(_reply(answer, resolution.chain))
    await proc.out(f"Server:\t\t{server}\nAddress:\t{server}:53\n\n" + "".join(replies))
    return 1 if failed else 0


def _reply(answer: Answer, chain: tuple[Answer, ...]) -> str:
    """parse_reply's lines for one answer; CoreDNS answers for its own zone with the authoritative bit set."""
    lines = [] if answer.server == "CoreDNS" else ["Non-authoritative answer:\n"]
    for part in (answer, *chain):
        for record in part.records:
            if record.type == "CNAME":
                lines.append(f"{record.name}\tcanonical name = {record.data.rstrip('.')}\n")
            elif record.type == "A":
                lines.append(f"Name:\t{record.name}\nAddress: {record.data}\n")
    lines.append("\n")  # after every reply, an empty answer (AAAA of an IPv4 Service) included
    return "".join(lines)


def _address_lines(plane: Any, addresses: list[str] | tuple[str, ...]) -> str:
    out = []
    for n, ip in enumerate(addresses, 1):
        reverse = reverse_name(plane, ip)
        out.append(f"Address {n}: {ip}" + (f" {reverse}" if reverse else "") + "\n")
    return "".join(out)


async def _libc_lookup(proc: Process, plane: Any, source: Any, name: str, server: str) -> int:
    """busybox 1.28's print_host: `%-10s %s` headers, the server first, then the name (search list applied)."""
    resolution, _ = plane.resolve(source, name)
    # The server's own reverse lookup fails as well when no server can be reached.
    server_line = _address_lines(plane, [server]) if resolution is not None else f"Address 1: {server}\n"
    await proc.out(f"{'Server:':<10} {server}\n{server_line}\n")
    if resolution is None:
        await proc.sys.sleep(LIBC_TIMEOUT)
    if resolution is None or not resolution.addresses:
        await proc.err(f"nslookup: can't resolve '{name}'\n")
        return 1
    await proc.out(f"{'Name:':<10} {name}\n" + _address_lines(plane, resolution.addresses))
    return 0
