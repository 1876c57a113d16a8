"""`:ctx` (k9s's contexts view): the kubeconfig's contexts, the one in use marked `(*)`; enter switches to the
one under the cursor while the dashboard runs (the views reload on the new cluster, the header names it).
`:ctx NAME` switches at once. A session started on k9py's simulated cluster lists it too (`simulated`), to come back to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from ..backend import Backend
from ..keys import Key
from .base import MOVE_KEYS, table_frame_css
from .listed import ListedView
from .spec import ViewSpec

if TYPE_CHECKING:
    from ..actions import Host
    from ..kube_client import Context

COLUMNS = ("NAME", "CLUSTER", "AUTHINFO", "NAMESPACE")
CURRENT_MARK = "(*)"  # k9s's mark of the context in use


def context_cells(context: Context) -> list[str]:
    return [context.name + (CURRENT_MARK if context.current else ""), context.cluster, context.user, context.namespace]


class ContextsView(ListedView):
    DEFAULT_CSS = table_frame_css("ContextsView")

    view_name = "contexts"
    COMMANDS: ClassVar[tuple[str, ...]] = ("ctx", "context", "contexts")
    KEYS: ClassVar[tuple[Key, ...]] = (*MOVE_KEYS, Key("enter", "enter", "Use context", group="navigation"))
    NO_LABELS = "contexts have no labels: filter by text instead"

    @classmethod
    def from_command(cls, args: list[str], backend: Backend, namespace: str | None) -> ViewSpec:
        if len(args) > 1:
            raise ValueError("usage: ctx [NAME]")
        # `:ctx NAME` is a switch, not a view: the main screen runs it (`name` says which).
        return ViewSpec(view="contexts", name=args[0] if args else "")

    def on_mount(self) -> None:
        self.table.set_columns(COLUMNS)
        self.show_rows()
        self.take_focus(self.table)

    def show_rows(self) -> None:
        found = self.backend.contexts()
        self.table.show_list(
            (c.name, cells, self.skin.status("highlight" if c.current else "normal"))
            for c in found
            if self.passes(cells := context_cells(c))
        )
        self.seek_cursor(last_try=True)
        self.update_title()

    async def do_enter(self, host: Host, _: Key) -> None:
        name = self.table.selected_key()
        if name is not None:
            await host.use_context(name)
