"""A request's trace: each hop it took with its verdict, what the client finally saw, and a readable rendering.

The dashboard draws the hops; `render()` is the plain-text form (source → DNS → Service → kube-proxy's choice →
NetworkPolicy → pod → response), one line per hop with its details indented below.
"""

from __future__ import annotations

from http import HTTPStatus

import attrs

from .app import AppResponse
from .dns import Resolution
from .policy import Verdict
from .proxy import Choice

OK = "ok"
DENIED = "denied"
FAILED = "failed"
INFO = "info"
_MARKS = {OK: "✓", DENIED: "✗", FAILED: "✗", INFO: "·"}

# Outcomes, and what curl says for each.
ANSWERED = "ok"
REFUSED = "refused"
TIMEOUT = "timeout"
NO_ROUTE = "no route"
UNRESOLVED = "unresolved"
INVALID = "invalid"


@attrs.frozen
class Hop:
    step: str  # source, dns, service, kube-proxy, egress, ingress, route, pod, proxy, response
    title: str  # one line
    verdict: str = INFO  # ok, denied, failed, info
    details: tuple[str, ...] = ()

    def render(self) -> str:
        lines = [f"  {_MARKS.get(self.verdict, '·')} {self.step:<10} {self.title}"]
        lines += [f"               {line}" for line in self.details]
        return "\n".join(lines)


@attrs.frozen
class Trace:
    source: str  # pod ns/name, node/<name>, or outside
    method: str
    url: str
    hops: tuple[Hop, ...]
    outcome: str  # ok, refused, timeout, no route, unresolved, invalid
    message: str  # what the client prints
    response: AppResponse | None = None
    dns: tuple[Resolution, ...] = ()  # every name resolved on the way (the DNS of proxies included)
    services: tuple[str, ...] = ()  # ns/name:port of each Service the request went through
    endpoint: str = ""  # ns/pod (or address) that answered or refused, the last one
    choices: tuple[Choice, ...] = ()  # kube-proxy's decisions, in order
    verdicts: tuple[Verdict, ...] = ()  # NetworkPolicy verdicts, in order (DNS queries' included)

    @property
    def ok(self) -> bool:
        return self.outcome == ANSWERED

    @property
    def status(self) -> int | None:
        return self.response.status if self.response is not None else None

    def render(self) -> str:
        head = f"{self.method} {self.url} from {self.source}"
        body = "\n".join(hop.render() for hop in self.hops)
        if self.response is not None:
            text = self.response.body.rstrip("\n")
            end = f"  → {self.response.status} {status_phrase(self.response.status)}: {text}"
        else:
            end = f"  → {self.message}"
        return f"{head}\n{body}\n{end}" if body else f"{head}\n{end}"


def status_phrase(status: int) -> str:
    """`OK`, `Not Found`: the reason phrase of an HTTP status ("" for a code HTTP does not name)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
