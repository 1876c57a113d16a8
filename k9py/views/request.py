"""`:request [FROM] URL` and `b` on a Service: a simulated HTTP request through the cluster's network, drawn
hop by hop (source → DNS → Service → kube-proxy's endpoint → NetworkPolicy → the pod's answer). `r` sends it again,
`R` ten times: the tally under the trace counts where the requests landed, so kube-proxy's spread shows."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from ..backend import Backend, BackendError
from ..keys import Key
from ..theme import Theme
from .base import MOVE_KEYS, ViewMixin, scroll
from .spec import ViewSpec

if TYPE_CHECKING:
    from engine.network.trace import Trace

    from ..actions import Host

Obj = dict[str, Any]
OUTSIDE = "outside"
USAGE = "usage: request [outside|node/NAME|NAMESPACE/POD] URL"
BAR_WIDTH = 30


def request_spec(args: list[str], namespace: str | None) -> ViewSpec:
    """`:request URL` (from outside the cluster), `:request FROM URL` or `:request from FROM URL`."""
    if args and args[0] == "from":
        args = args[1:]
    if len(args) == 1:
        return ViewSpec(view="request", namespace=namespace, source=OUTSIDE, url=args[0])
    if len(args) == 2:
        return ViewSpec(view="request", namespace=namespace, source=args[0], url=args[1])
    raise ValueError(USAGE)


def _service_url(service: Obj, host: str) -> str:
    ports = (service.get("spec") or {}).get("ports") or [{}]
    port = int(ports[0].get("port") or 80)
    return f"http://{host}/" if port == 80 else f"http://{host}:{port}/"


def _node_ip(backend: Backend) -> str:
    for node in backend.list(backend.resolve("nodes")):
        for address in (node.get("status") or {}).get("addresses") or ():
            if address.get("type") == "InternalIP":
                return str(address.get("address"))
    return ""


def _running_pod(backend: Backend, namespace: str | None, avoid: dict[str, str]) -> str:
    """A Running pod to send from, in `namespace` first, preferring one the target does not select (a request
    from a pod to itself teaches nothing); empty when no pod runs."""
    def runs(pod: Obj) -> bool:
        return (pod.get("status") or {}).get("phase") == "Running" and not pod["metadata"].get("deletionTimestamp")

    def selected(pod: Obj) -> bool:
        labels = pod["metadata"].get("labels") or {}
        return bool(avoid) and all(labels.get(k) == v for k, v in avoid.items())

    pods_kind = backend.resolve("pods")
    for scope in (namespace, None):
        running = sorted((p for p in backend.list(pods_kind, scope) if runs(p)), key=lambda p: p["metadata"]["name"])
        pick = next((p for p in running if not selected(p)), running[0] if running else None)
        if pick is not None:
            return f"{pick['metadata'].get('namespace', '')}/{pick['metadata']['name']}"
    return ""


def suggest(backend: Backend, kind: str, obj: Obj) -> tuple[str, str]:
    """What `b` offers to send: to a Service, from where a client of its type would be; from a pod, to another
    Service of its namespace."""
    meta = obj["metadata"]
    namespace = meta.get("namespace", "")
    if kind == "Service":
        spec = obj.get("spec") or {}
        ingress = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or ()
        address = next((i.get("ip") or i.get("hostname") for i in ingress if i.get("ip") or i.get("hostname")), "")
        if spec.get("type") == "LoadBalancer" and address:
            return OUTSIDE, _service_url(obj, address)
        node_port = next((p.get("nodePort") for p in spec.get("ports") or () if p.get("nodePort")), None)
        node_ip = _node_ip(backend) if node_port else ""
        if node_port and node_ip:
            return OUTSIDE, f"http://{node_ip}:{node_port}/"
        source = _running_pod(backend, namespace, spec.get("selector") or {}) or OUTSIDE
        return source, _service_url(obj, f"{meta['name']}.{namespace}.svc.cluster.local")
    labels = meta.get("labels") or {}
    services = sorted(backend.list(backend.resolve("services"), namespace), key=lambda s: s["metadata"]["name"])
    others = [s for s in services if not _selects(s, labels)] or services
    url = _service_url(others[0], others[0]["metadata"]["name"]) if others else "http://kubernetes.default/"
    return f"{namespace}/{meta['name']}", url


def _selects(service: Obj, labels: dict[str, str]) -> bool:
    selector = (service.get("spec") or {}).get("selector") or {}
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


# `b` on Services (k9s's `b` benchmarks a Service with HTTP requests; here one request, traced).
REQUEST_KEY = Key("b", "request", "Request", simulated=True)


def ask(host: Host, backend: Backend, kind: str, obj: Obj | None) -> None:
    """`b`: offer a request to (a Service) or from (a pod) `obj`, then show its trace."""
    if obj is not None:
        from .. import actions

        actions.request(host, *suggest(backend, kind, obj))


def landed_on(trace: Trace) -> str:
    """Where one request ended, for the tally: the pod that answered, or what the client saw instead."""
    if trace.ok:
        return trace.endpoint or "answered"
    return trace.outcome


class RequestView(ViewMixin, VerticalScroll):
    DEFAULT_CSS = """
    RequestView {
        border: round $k9-border-focus;
        border-title-align: center;
        background: $k9-body-bg;
        height: 1fr;
        padding: 0 1;
    }
    RequestView > Static {
        width: auto;
    }
    RequestView.wrap > Static {
        width: 1fr;
    }
    """
    can_focus = True
    view_name = "request"
    COMMANDS: ClassVar[tuple[str, ...]] = ("request", "req", "curl")
    KEYS: ClassVar[tuple[Key, ...]] = (
        *MOVE_KEYS,
        Key("r", "again", "Send again"),
        Key("R", "ten", "Send 10"),
        Key("u", "change", "Change"),
        Key("w", "wrap", "Wrap"),
    )

    def __init__(self, spec: ViewSpec, backend: Backend, skin: Theme) -> None:
        super().__init__()
        self.spec, self.backend, self.skin = spec, backend, skin
        self.body = Static(id="text-body")
        self.last: Trace | None = None
        self.error = ""
        self.tally: Counter[str] = Counter()
        self.wrap = False

    @classmethod
    def from_command(cls, args: list[str], backend: Backend, namespace: str | None) -> ViewSpec:
        return request_spec(args, namespace)

    @classmethod
    def crumb(cls, spec: ViewSpec) -> str:
        return "request"

    def compose(self) -> ComposeResult:
        yield self.body

    def on_mount(self) -> None:
        self.update_title()
        self.send(1)
        self.take_focus(self)

    def title(self) -> Text:
        return self.object_title("request", f"{self.spec.url} from {self.spec.source}")

    def send(self, times: int) -> None:
        for _ in range(times):
            try:
                trace = self.backend.request(self.spec.source, self.spec.url)
            except BackendError as exc:
                self.error = str(exc)
                break
            self.last, self.error = trace, ""
            self.tally[landed_on(trace)] += 1
        self._paint()

    def _paint(self) -> None:
        skin = self.skin
        text = Text(no_wrap=not self.wrap)
        if self.error:
            text.append(self.error, style=skin.error)
        elif self.last is not None:
            colours = {"✓": skin.added, "✗": skin.error}
            for line in self.last.render().splitlines():
                mark = line.strip()[:1]
                text.append(line + "\n", style=colours.get(mark, skin.body_fg))
            text.append("\n")
            text.append_text(self._tally_text())
        self.body.update(text)

    def _tally_text(self) -> Text:
        """Sent N: each place the requests ended, with a bar, most first."""
        skin = self.skin
        total = sum(self.tally.values())
        text = Text(f"Sent {total}, landed on:\n", style=f"bold {skin.body_fg}")
        width = max(len(place) for place in self.tally)
        for place, count in sorted(self.tally.items(), key=lambda item: (-item[1], item[0])):
            bar = "█" * max(1, round(BAR_WIDTH * count / total))
            text.append(f"  {place:<{width}} {count:>4} ", style=skin.body_fg)
            text.append(bar + "\n", style=skin.added if "/" in place or place == "answered" else skin.error)
        text.rstrip()
        return text

    def move(self, how: str) -> None:
        scroll(self, how)

    def do_again(self, host: Host, _: Key) -> None:
        self.send(1)

    def do_ten(self, host: Host, _: Key) -> None:
        self.send(10)

    def do_change(self, host: Host, _: Key) -> None:
        from .. import actions

        async def reopen(source: str, url: str) -> None:
            await host.reopen(source=source, url=url)

        actions.request(host, self.spec.source, self.spec.url, then=reopen)

    def do_wrap(self, host: Host, _: Key) -> None:
        self.wrap = not self.wrap
        self.set_class(self.wrap, "wrap")
        self._paint()
        host.flash(f"wrap {'on' if self.wrap else 'off'}")
