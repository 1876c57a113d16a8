"""A pod's containers (init containers first), as k9s shows them on enter; enter or `l` opens a container's logs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from ..keys import Key
from .base import MOVE_KEYS
from .container_env import SHELL_KEY
from .pods import LOGS_KEY
from .port_forwards import PORT_FORWARD_KEY, ask_forward
from .rows import Obj, RowState
from .spec import ViewSpec
from .table import DRILL_KEY, NAMESPACE_KEYS, SORT_NAME_KEY, SORT_STATUS_KEY, TableView

if TYPE_CHECKING:
    from ..actions import Host

COLUMNS = ["NAME", "IMAGE", "READY", "STATE", "INIT", "RESTARTS", "LAST STATE", "PROBES(L:R:S)", "PORTS"]


def _state(status: dict[str, Any]) -> str:
    state = status.get("state") or {}
    if "running" in state:
        return "Running"
    if "waiting" in state:
        return str((state["waiting"] or {}).get("reason") or "Waiting")
    if "terminated" in state:
        return str((state["terminated"] or {}).get("reason") or "Terminated")
    return "Pending"


def _last_state(status: dict[str, Any]) -> str:
    last = (status.get("lastState") or {}).get("terminated")
    if not last:
        return ""
    return f"{last.get('reason') or 'Terminated'} (exit {last.get('exitCode', '?')})"


def _probes(spec: dict[str, Any]) -> str:
    return ":".join("on" if spec.get(p) else "off" for p in ("livenessProbe", "readinessProbe", "startupProbe"))


def _ports(spec: dict[str, Any]) -> str:
    return ",".join(f"{p.get('name') + ':' if p.get('name') else ''}{p.get('containerPort')}"
                    for p in spec.get("ports") or ())


class ContainersView(TableView):
    view_name = "containers"
    ONE_OBJECT = True  # one pod's
    KEYS: ClassVar[tuple[Key, ...]] = (*MOVE_KEYS, DRILL_KEY, *NAMESPACE_KEYS, LOGS_KEY, SHELL_KEY, PORT_FORWARD_KEY,
                                       SORT_NAME_KEY, SORT_STATUS_KEY)

    def _columns(self) -> list[str]:
        self.all_namespaces = False  # one pod: the namespace is in the title
        return list(COLUMNS)

    def rows_for(self, obj: Obj) -> list[tuple[str, list[str]]]:
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        rows = []
        for init, key in ((True, "initContainers"), (False, "containers")):
            statuses = {s.get("name"): s for s in status.get("initContainerStatuses" if init else
                                                             "containerStatuses") or ()}
            for c in spec.get(key) or ():
                s = statuses.get(c["name"], {})
                rows.append((c["name"], [
                    c["name"], str(c.get("image", "")), "true" if s.get("ready") else "false", _state(s),
                    "true" if init else "false", str(s.get("restartCount", 0)), _last_state(s), _probes(c),
                    _ports(c),
                ]))
        return rows

    def category(self, state: RowState) -> str:
        current = self.cell(state, "STATE")
        if current == "Running":
            return "normal" if self.cell(state, "READY") == "true" else "pending"
        if current in ("Completed",):
            return "completed"
        if current in ("Pending", "ContainerCreating", "PodInitializing", "Waiting"):
            return "pending"
        return "error"

    def sort_key(self, state: RowState) -> Any:
        # Declaration order (init containers first), not alphabetical: that is the order they run in.
        refs = [ref for ref, _ in self.rows_for(state.obj)]
        return refs.index(state.ref) if state.ref in refs else len(refs)

    def title_kind(self) -> str:
        return f"containers:{self.spec.name}"

    def constraint_label(self) -> str:
        return ""  # the pod is in the title already

    def drill(self, state: RowState) -> ViewSpec | None:
        meta = state.obj["metadata"]
        return ViewSpec(view="logs", kind="Pod", namespace=meta.get("namespace"), name=meta["name"],
                        container=state.ref)

    def selected_container(self) -> str:
        state = self.selected_state()
        return state.ref if state is not None else ""

    @property
    def display_name(self) -> str:
        return "containers"

    async def switch_namespace(self, host: Host, namespace: str | None) -> None:
        host.namespace = namespace  # one pod's containers: the namespace is for the next list
        host.flash(f"namespace: {namespace or 'all'} (this view shows the containers of one pod)")

    async def do_logs(self, host: Host, _: Key) -> None:
        """`l` on a container: its log."""
        state = self.selected_state()
        if state is None:
            host.flash("nothing selected", "warn")
            return
        spec = self.drill(state)
        if spec is not None:
            await host.push(spec)

    async def do_shell(self, host: Host, _: Key) -> None:
        """`s` on a container: its environment and mounted files (a shell in it on a real cluster)."""
        state = self.selected_state()
        if state is None:
            host.flash("nothing selected", "warn")
            return
        if not self.backend.simulated:
            from ..kube_shell import shell_in

            await shell_in(host, self.backend, state.obj, state.ref)  # type: ignore[arg-type]
            return
        meta = state.obj["metadata"]
        await host.push(ViewSpec(view="shell", kind="Pod", namespace=meta.get("namespace"), name=meta["name"],
                                 container=state.ref))

    def do_port_forward(self, host: Host, _: Key) -> None:
        """shift-f on a container: k9s's port-forward dialog, its own ports offered (it must be running)."""
        state = self.selected_state()
        if state is None:
            host.flash("nothing selected", "warn")
            return
        ask_forward(host, state.obj, state.ref)
