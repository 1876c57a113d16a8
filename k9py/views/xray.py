"""`:xray deploy [NS]` (k9s's xray): what owns what, as a live tree. Deployment → ReplicaSets → Pods → containers,
or a Service → the pods it selects. Enter, `d` and `y` open the object under the cursor (a container's logs)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text

from ..backend import Backend, BackendError
from ..keys import Key
from ..xray import ROOTS, XrayNode, xray
from .base import MOVE_KEYS, OBJECT_KEYS, table_frame_css
from .listed import ListedView
from .spec import ViewSpec

if TYPE_CHECKING:
    from ..actions import Host

Obj = dict[str, Any]
REFRESH_SECONDS = 1.0
COLUMNS = ("RESOURCE", "STATUS")


def xray_spec(args: list[str], backend: Backend, namespace: str | None) -> ViewSpec:
    """`:xray KIND [NS|all]`, as k9s reads it; raises ValueError with the usage on a bad one."""
    usage = f"usage: xray {'|'.join(('deploy', 'rs', 'po', 'svc'))} [namespace|all]"
    if not args or len(args) > 2:
        raise ValueError(usage)
    try:
        kind = backend.resolve(args[0])
    except BackendError as exc:
        raise ValueError(f"{exc}; {usage}") from None
    if kind.kind not in ROOTS:
        raise ValueError(f"xray starts from deployments, replicasets, pods or services, not {kind.plural}")
    if len(args) == 2:
        namespace = None if args[1] in ("all", "-A", "0") else args[1]
    return ViewSpec(view="xray", kind=kind.kind, namespace=namespace)


class XrayView(ListedView):
    DEFAULT_CSS = table_frame_css("XrayView")

    view_name = "xray"
    COMMANDS: ClassVar[tuple[str, ...]] = ("xray", "x")  # k9s's names for it
    KEYS: ClassVar[tuple[Key, ...]] = (*MOVE_KEYS, Key("enter", "enter", "View", group="navigation"),
                                       *OBJECT_KEYS)
    NO_LABELS = "xray's lines have no labels: filter by text instead"

    def __init__(self, spec: ViewSpec, backend: Backend, skin: Any) -> None:
        super().__init__(spec, backend, skin)
        self.kind = backend.resolve(spec.kind)
        self.nodes: dict[str, XrayNode] = {}

    @classmethod
    def from_command(cls, args: list[str], backend: Backend, namespace: str | None) -> ViewSpec:
        return xray_spec(args, backend, namespace)

    @classmethod
    def crumb(cls, spec: ViewSpec) -> str:
        return f"xray:{spec.kind.lower()}"

    def on_mount(self) -> None:
        self.table.set_columns(COLUMNS)
        self.show_rows()
        self.set_interval(REFRESH_SECONDS, self.show_rows)
        self.take_focus(self.table)

    def show_rows(self) -> None:
        nodes: dict[str, XrayNode] = {}
        rows = []
        for node in xray(self.backend, self.kind, self.spec.namespace):
            key = self._key(node, nodes)
            nodes[key] = node
            cells = [node.label, node.status]
            if self.passes(cells):
                rows.append((key, cells, self.skin.status("normal" if node.healthy else "error")))
        self.nodes = nodes
        self.table.show_list(rows)
        self.seek_cursor(last_try=True)
        self.update_title()

    @staticmethod
    def _key(node: XrayNode, seen: dict[str, XrayNode]) -> str:
        """A row's key: the object (a pod selected by two Services appears under each, so the tree path)."""
        meta = (node.obj or {}).get("metadata") or {}
        key = f"{node.kind}/{meta.get('namespace', '')}/{meta.get('name', '')}"
        if node.kind == "Container":
            key += f"/{node.name}"
        while key in seen:
            key += "'"
        return key

    def title(self) -> Text:
        extras = (f"/{self.filter_text}" if self.filter_text else "",)
        return self.title_text(f"xray-{self.kind.plural}", self.spec.namespace, len(self.nodes), extras)

    def _selected_node(self) -> XrayNode | None:
        key = self.table.selected_key()
        return self.nodes.get(key) if key else None

    def selected(self) -> Obj | None:
        node = self._selected_node()
        return node.obj if node is not None else None

    async def open_detail(self, host: Host, view: str) -> None:
        node = self._selected_node()
        if node is None or node.obj is None:
            host.flash("nothing selected", "warn")
            return
        meta = node.obj["metadata"]
        kind = "Pod" if node.kind == "Container" else node.kind
        await host.push(ViewSpec(view=view, kind=kind, namespace=meta.get("namespace"), name=meta["name"]))

    async def do_enter(self, host: Host, _: Key) -> None:
        """A container: its logs; anything else: describe (what a learner wants next)."""
        node = self._selected_node()
        if node is not None and node.kind == "Container" and node.obj is not None:
            meta = node.obj["metadata"]
            await host.push(ViewSpec(view="logs", kind="Pod", namespace=meta.get("namespace"), name=meta["name"],
                                     container=node.name))
            return
        await self.open_detail(host, "describe")
