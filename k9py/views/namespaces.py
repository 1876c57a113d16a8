"""Namespaces: enter switches to the namespace's pods (and makes it the current namespace, as in k9s)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from ..keys import Key
from .base import EDIT_KEY, MOVE_KEYS, OBJECT_KEYS
from .colours import namespace_category
from .rows import RowState
from .spec import ViewSpec
from .table import DELETE_KEY, DRILL_KEY, LIST_KEYS, MARK_KEYS, NAMESPACE_KEYS, TableView

if TYPE_CHECKING:
    from ..actions import Host


class NamespacesView(TableView):
    view_name = "namespaces"
    FOR_KIND = "Namespace"
    KEYS: ClassVar[tuple[Key, ...]] = (
        *MOVE_KEYS, DRILL_KEY, *NAMESPACE_KEYS, *OBJECT_KEYS, *MARK_KEYS, EDIT_KEY, DELETE_KEY, *LIST_KEYS,
    )

    def category(self, state: RowState) -> str:
        return namespace_category(self.cell(state, "STATUS"))

    def drill(self, state: RowState) -> ViewSpec | None:
        return ViewSpec(view="pods", kind="Pod", namespace=state.obj["metadata"]["name"])

    async def do_enter(self, host: Host, key: Key) -> None:
        spec = self.drill_spec()
        if spec is not None:
            host.namespace = spec.namespace  # k9s: picking a namespace makes it the current one
        await super().do_enter(host, key)
