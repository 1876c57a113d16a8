"""Simulated load: `shift-l` on a Deployment or a Service asks how many requests per second to send to it;
`:load TARGET RPS` does the same from the prompt (TARGET: `svc/NAME`, `deploy/NAME`, `NAMESPACE/KIND/NAME` or a bare
name, its Service first; RPS 0 stops it), then shows `:load`, every load with the pods serving it: the requests/s
each gets (an even share, as kube-proxy's random pick spreads them over the ready endpoints) and what that costs
them (k9s's CPU, %CPU/R, %CPU/L, MEM columns). The load follows the endpoints: scale up, and the new pods take
their share as soon as they are ready.

(k9s's own `b` benchmarks a Service with real HTTP requests for a while; here `b` sends one traced request and
`shift-l` a steady simulated rate, which the usage columns, `kubectl top` and an autoscaler then see.)
"""

from __future__ import annotations

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
from .usage import pod_cells

if TYPE_CHECKING:
    from ..actions import Host

Obj = dict[str, Any]
USAGE = "usage: load [TARGET RPS] (TARGET: svc/NAME, deploy/NAME or NAME; RPS 0 stops it)"
# In the ? help only: the hint bar keeps 80x24.
LOAD_KEY = Key("L", "load", "Load", display="shift-l", hint=False, simulated=True)
REFRESH_SECONDS = 1.0


def ask(host: Host, kind: str, obj: Obj | None) -> None:
    """`shift-l`: ask for the requests/s to send to the Deployment or Service `obj` (its current load to start)."""
    if obj is None:
        return
    from ..widgets.load_dialog import LoadDialog

    meta = obj["metadata"]
    namespace, name = meta.get("namespace") or "default", meta["name"]
    target = f"{'svc' if kind == 'Service' else 'deploy'}/{name}"
    word = "service" if kind == "Service" else "deployment"
    current = next((row.rps for row in host.backend.loads() if row.target == f"{word}/{name} in {namespace}"), 0.0)

    async def chosen(rps: float | None) -> None:
        if rps is not None:
            async def send() -> str:
                return host.backend.send_load(target, rps, namespace)

            await host.run(send())

    host.ask(LoadDialog(f"{word}/{name}", current), chosen)


class LoadView(ViewMixin, VerticalScroll):
    DEFAULT_CSS = """
    LoadView {
        border: round $k9-border-focus;
        border-title-align: center;
        background: $k9-body-bg;
        height: 1fr;
        padding: 0 1;
    }
    LoadView > Static {
        width: auto;
    }
    """
    can_focus = True
    view_name = "load"
    COMMANDS: ClassVar[tuple[str, ...]] = ("load",)
    KEYS: ClassVar[tuple[Key, ...]] = MOVE_KEYS

    def __init__(self, spec: ViewSpec, backend: Backend, skin: Theme) -> None:
        super().__init__()
        self.spec, self.backend, self.skin = spec, backend, skin
        self.body = Static(id="text-body")
        self.shown: str | None = None

    @classmethod
    def from_command(cls, args: list[str], backend: Backend, namespace: str | None) -> ViewSpec:
        """`:load` shows the loads; `:load TARGET RPS` sets one first (in the current namespace)."""
        if len(args) == 2:
            try:
                rps = float(args[1])
            except ValueError:
                raise ValueError(USAGE) from None
            try:
                backend.send_load(args[0], rps, namespace)
            except BackendError as exc:
                raise ValueError(str(exc)) from None
        elif args:
            raise ValueError(USAGE)
        return ViewSpec(view="load", namespace=namespace)

    @classmethod
    def crumb(cls, spec: ViewSpec) -> str:
        return "load"

    def compose(self) -> ComposeResult:
        yield self.body

    def on_mount(self) -> None:
        self.update_title()
        self._refresh()
        self.set_interval(REFRESH_SECONDS, self._refresh)
        self.take_focus(self)

    def title(self) -> Text:
        return self.object_title("load", f"{len(self.backend.loads())} sent")

    def lines(self) -> list[tuple[str, str]]:
        """(text, style) of each line shown."""
        skin = self.skin
        rows = self.backend.loads()
        if not rows:
            return [("No load is sent. shift-l on a deployment or a service, or :load TARGET RPS "
                     "(:load svc/frontend 100).", skin.body_fg)]
        pods_kind = self.backend.resolve("pods")
        out: list[tuple[str, str]] = []
        for row in rows:
            count = len(row.pods)
            spread = f"over {count} ready pod{'s' if count != 1 else ''}" if count else "no ready pod serves it"
            out.append((f"{row.target}: {row.rps:g} requests/s {spread}", f"bold {skin.body_fg}"))
            pods = []
            for key, rps in row.pods:
                namespace, _, name = key.partition("/")
                pod = self.backend.get(pods_kind, name, namespace)
                pods.append((name, rps, pod_cells(self.backend.pod_usage(pod)) if pod is not None else [""] * 6))
            if pods:
                # The pods view's columns (CPU in millicores, MEM in MiB; %CPU/R is what an HPA compares with its
                # target), in a table as narrow as the names allow: it fits 80 columns.
                width = max(len(name) for name, _, _ in pods)
                out.append((f"  {'POD':<{width}}  {'REQ/S':>7}  {'CPU':>5}  {'%CPU/R':>6}  {'%CPU/L':>6}  {'MEM':>5}",
                            f"{skin.header_fg} on {skin.header_bg}"))
                for name, rps, cells in pods:
                    out.append((f"  {name:<{width}}  {rps:>7.4g}  {cells[0]:>5}  {cells[1]:>6}  {cells[2]:>6}  "
                                f"{cells[3]:>5}", skin.body_fg))
            out.append(("", skin.body_fg))
        return out

    def _refresh(self) -> None:
        lines = self.lines()
        shown = "\n".join(text for text, _ in lines)
        if shown == self.shown:
            return
        self.shown = shown
        text = Text(no_wrap=True)
        for line, style in lines:
            text.append(line + "\n", style=style)
        text.rstrip()
        self.body.update(text)
        self.update_title()

    def move(self, how: str) -> None:
        scroll(self, how)
