"""`:pf` (k9s's port-forwards view): the forwards shift-f opened on this cluster, NAMESPACE NAME CONTAINER PORTS
URL C N AGE; ctrl-d deletes one (its listeners close, its connections drop). Also shift-f itself (`ask_forward`),
which the pods and containers views bind.

k9s's C and N are its benchmark's concurrency and request count (ctrl-b on a forward runs `hey` against the URL);
k9py has no benchmark, and counts the forward's connections instead: C open now, N carried since it started.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from .. import actions
from ..backend import Backend
from ..keys import Key
from ..port_forward import DEFAULT_ADDRESS, ForwardError, PortForward, not_running, parse_tunnels, port_specs
from ..widgets.port_forward_dialog import PortForwardDialog
from .base import MOVE_KEYS, table_frame_css
from .listed import ListedView
from .spec import ViewSpec

if TYPE_CHECKING:
    from ..actions import Host
    from ..port_forward import Tunnel

Obj = dict[str, Any]
COLUMNS = ("NAMESPACE", "NAME", "CONTAINER", "PORTS", "URL", "C", "N", "AGE")
REFRESH_SECONDS = 1.0  # C, N and AGE move; a forward whose pod went disappears
PORT_FORWARD_KEY = Key("F", "port_forward", "Port-Forward", display="shift-f")


def forward_cells(forward: PortForward) -> list[str]:
    return [
        forward.namespace,
        forward.pod,
        forward.container,
        forward.ports,
        forward.url,
        str(forward.open_connections),
        str(forward.connections),
        forward.age(),
    ]


def container_not_running(pod: Obj, container: str) -> str | None:
    """k9s's refusal of shift-f on a container that is not running (internal/view/container.go), or None."""
    statuses = (pod.get("status") or {}).get("containerStatuses") or ()
    status = next((s for s in statuses if s.get("name") == container), None)
    if status is None or "running" not in (status.get("state") or {}):
        return f"Container {container} is not running?"
    return None


def ask_forward(host: Host, pod: Obj, container: str = "") -> None:
    """shift-f on a pod (every container's ports offered) or on one container (its own): k9s's dialog, then the
    forward; what stops it (a port in use, the pod not running or unreachable) goes to the flash line."""
    forwards = host.backend.port_forwards
    meta = pod["metadata"]
    namespace, name = meta.get("namespace") or "default", meta["name"]
    path = f"{namespace}/{name}" + (f"|{container}" if container else "")
    if container:
        existing: PortForward | None = forwards.active.get(path)
        refusal = container_not_running(pod, container)
    else:
        existing, refusal = forwards.for_pod(namespace, name), not_running(pod)
    if existing is not None:
        host.flash(f"a port-forward is already active on {existing.key} ({existing.url}): :pf lists it", "error")
        return
    if refusal is not None:
        host.flash(refusal, "error")
        return
    offered = port_specs(pod, container)
    names = [c["name"] for c in (pod.get("spec") or {}).get("containers") or ()]
    default_container = container or (offered[0].container if offered else (names[0] if names else ""))

    def parse(specs: str, local_ports: str, address: str) -> list[Tunnel]:
        return parse_tunnels(pod, default_container, address, specs, local_ports)

    async def chosen(tunnels: list[Tunnel] | None) -> None:
        if not tunnels:
            return
        current = host.backend.get(host.backend.resolve("Pod"), name, namespace) or pod
        try:
            forward = await forwards.start(current, tunnels, host.flash)
        except ForwardError as exc:
            host.flash(str(exc), "error")
            return
        host.flash(f"port-forward activated {forward.key} {forward.ports}: {forward.url}")

    host.ask(PortForwardDialog(path, offered, DEFAULT_ADDRESS, parse), chosen)


class PortForwardsView(ListedView):
    DEFAULT_CSS = table_frame_css("PortForwardsView")

    view_name = "portforwards"
    COMMANDS: ClassVar[tuple[str, ...]] = ("pf", "portforward", "portforwards")
    KEYS: ClassVar[tuple[Key, ...]] = (*MOVE_KEYS, Key("ctrl+d", "delete", "Delete"))
    NAME_COLUMN: ClassVar[int] = 1
    NO_LABELS = "port-forwards have no labels: filter by text instead"

    def __init__(self, spec: ViewSpec, backend: Backend, skin: Any) -> None:
        self._painted: list[tuple[str, list[str]]] = []
        super().__init__(spec, backend, skin)

    @classmethod
    def from_command(cls, args: list[str], backend: Backend, namespace: str | None) -> ViewSpec:
        if args:
            raise ValueError("usage: pf (it lists every port-forward)")
        return ViewSpec(view="portforwards")

    def on_mount(self) -> None:
        self.table.set_columns(COLUMNS)
        self.show_rows()
        self.set_interval(REFRESH_SECONDS, self.show_rows)
        self.take_focus(self.table)

    def show_rows(self) -> None:
        shown = [(f.key, cells) for f in self.backend.port_forwards.list() if self.passes(cells := forward_cells(f))]
        if shown != self._painted:
            colour = self.skin.status("normal")
            self.table.show_list((key, cells, colour) for key, cells in shown)
            self._painted = shown
        self.seek_cursor(last_try=True)
        self.update_title()

    def do_delete(self, host: Host, _: Key) -> None:
        """ctrl-d: stop the forward under the cursor, once confirmed (k9s asks too)."""
        key = self.table.selected_key()
        forward = self.backend.port_forwards.active.get(key) if key is not None else None
        if forward is None:
            host.flash("nothing selected", "warn")
            return

        async def stop() -> str:
            await self.backend.port_forwards.stop(forward.key)
            self.show_rows()
            return f"port-forward {forward.key} {forward.ports} deleted"

        actions.confirm(host, "Delete", f"Delete port-forward {forward.key} ({forward.ports})?", "Delete", stop)
