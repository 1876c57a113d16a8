"""Pods: k9s's columns (NAME READY STATUS RESTARTS CPU %CPU/R %CPU/L MEM %MEM/R %MEM/L IP NODE AGE), coloured by
status (and %CPU/L, %MEM/L by k9s's thresholds); enter shows containers, `l` the log of the default container, `o`
the node, ctrl-k kills."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from .. import actions
from ..backend import NO_USAGE
from ..keys import Key
from .base import EDIT_KEY, MOVE_KEYS, OBJECT_KEYS
from .colours import pod_category
from .container_env import SHELL_KEY
from .port_forwards import PORT_FORWARD_KEY, ask_forward
from .rows import RowState
from .spec import ViewSpec
from .table import DELETE_KEY, DRILL_KEY, JUMP_OWNER_KEY, LIST_KEYS, MARK_KEYS, NAMESPACE_KEYS, TableView
from .usage import COLOURED, POD_COLUMNS, pod_cells, severity_colour

if TYPE_CHECKING:
    from ..actions import Host

DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container"
LOGS_KEY = Key("l", "logs", "Logs")


class PodsView(TableView):
    view_name = "pods"
    FOR_KIND = "Pod"
    PICK = ("NAME", "READY", "STATUS", "RESTARTS", "IP", "NODE", "AGE")
    KEYS: ClassVar[tuple[Key, ...]] = (
        *MOVE_KEYS, DRILL_KEY, *NAMESPACE_KEYS, *OBJECT_KEYS, LOGS_KEY, SHELL_KEY, PORT_FORWARD_KEY,
        Key("o", "show_node", "Show node", hint=False),
        JUMP_OWNER_KEY, *MARK_KEYS, EDIT_KEY,
        Key("ctrl+k", "kill", "Kill", destructive=True),
        DELETE_KEY, *LIST_KEYS,
    )

    def category(self, state: RowState) -> str:
        return pod_category(self.cell(state, "STATUS"), self.cell(state, "READY"))

    # --- k9s's usage columns, after RESTARTS (hidden when the cluster serves no metrics, as k9s hides them) ------

    def _columns(self) -> list[str]:
        columns = super()._columns()
        self._usage_at = columns.index("RESTARTS") + 1 if self.backend.metrics_available() else 0
        if self._usage_at:
            columns[self._usage_at:self._usage_at] = POD_COLUMNS
        self._coloured_at = tuple(columns.index(name) for name in COLOURED) if self._usage_at else ()
        return columns

    def _cells(self, obj: actions.Obj) -> list[str]:
        cells = super()._cells(obj)
        if self._usage_at:
            # A hidden view's rows are repainted when it is shown again: only a view on screen asks for usage (on a
            # real cluster, asking is what keeps metrics-server's lists coming).
            usage = self.backend.pod_usage(obj) if self.display else NO_USAGE
            cells[self._usage_at:self._usage_at] = pod_cells(usage)
        return cells

    def cell_colours(self, cells: tuple[str, ...]) -> tuple[tuple[int, str], ...]:
        coloured: tuple[tuple[int, str], ...] = ()
        for i in self._coloured_at:  # asked for every row painted: no generators (a tenth of painting a row)
            if i < len(cells) and (colour := severity_colour(cells[i])):
                coloured += ((i, colour),)
        return coloured

    def drill(self, state: RowState) -> ViewSpec | None:
        meta = state.obj["metadata"]
        return ViewSpec(view="containers", kind="Pod", namespace=meta.get("namespace"), name=meta["name"])

    def log_container(self, pod: actions.Obj) -> str:
        """The container `l` shows: the pod's default container (kubectl's annotation), else its first."""
        annotations = pod["metadata"].get("annotations") or {}
        names = [c["name"] for c in (pod.get("spec") or {}).get("containers") or ()]
        return annotations.get(DEFAULT_CONTAINER_ANNOTATION) or (names[0] if names else "")

    async def do_logs(self, host: Host, _: Key) -> None:
        if (pod := self.target(host)) is None:
            return
        meta = pod["metadata"]
        await host.push(ViewSpec(view="logs", kind="Pod", namespace=meta.get("namespace"), name=meta["name"],
                                 container=self.log_container(pod)))

    async def do_shell(self, host: Host, _: Key) -> None:
        """`s` on a pod: its container's environment and files (a shell in it on a real cluster); with several, the
        default container's (kubectl's annotation), else the containers view to pick one from, as k9s asks which
        container to shell into."""
        if (pod := self.target(host)) is None:
            return
        meta = pod["metadata"]
        names = [c["name"] for c in (pod.get("spec") or {}).get("containers") or ()]
        chosen = (meta.get("annotations") or {}).get(DEFAULT_CONTAINER_ANNOTATION) or (
            names[0] if len(names) == 1 else "")
        if not chosen:
            host.flash(f"pod {meta['name']} has {len(names)} containers: pick one, then s")
            await host.push(ViewSpec(view="containers", kind="Pod", namespace=meta.get("namespace"),
                                     name=meta["name"]))
            return
        if not self.backend.simulated:  # a real cluster: kubectl's shell in it, as k9s opens one
            from ..kube_shell import shell_in

            await shell_in(host, self.backend, pod, chosen)  # type: ignore[arg-type]
            return
        await host.push(ViewSpec(view="shell", kind="Pod", namespace=meta.get("namespace"), name=meta["name"],
                                 container=chosen))

    def do_port_forward(self, host: Host, _: Key) -> None:
        """shift-f on a pod: k9s's port-forward dialog, every container's ports offered."""
        if (pod := self.target(host)) is not None:
            ask_forward(host, pod)

    async def do_show_node(self, host: Host, _: Key) -> None:
        """`o` on a pod: its node, alone in the nodes view (k9s's Show Node)."""
        if (pod := self.target(host)) is None:
            return
        node = (pod.get("spec") or {}).get("nodeName")
        if not node:
            host.flash(f"pod {pod['metadata']['name']} is not scheduled on a node yet", "warn")
            return
        await host.push(ViewSpec(view="nodes", kind="Node", name=node))

    def do_kill(self, host: Host, _: Key) -> None:
        if marked := self.marked():
            actions.delete_marked(host, self.kind, marked, force=True, cleared=self.clear_marks)
        elif (pod := self.target(host)) is not None:
            actions.kill(host, self.kind, pod)
