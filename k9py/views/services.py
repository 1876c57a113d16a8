"""Services: the kubectl columns; enter shows the pods the service selects, in its namespace (as k9s does); `b` sends
a simulated request to the service and shows its path, shift-l a steady simulated load."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from ..keys import Key
from .base import EDIT_KEY, MOVE_KEYS, OBJECT_KEYS
from .load import LOAD_KEY
from .load import ask as ask_load
from .request import REQUEST_KEY, ask
from .rows import RowState
from .spec import ViewSpec
from .table import DELETE_KEY, DRILL_KEY, JUMP_OWNER_KEY, LIST_KEYS, MARK_KEYS, NAMESPACE_KEYS, TableView

if TYPE_CHECKING:
    from ..actions import Host


def selector(service: dict[str, object]) -> str:
    """The service's selector as a label selector (`app=web,tier=front`); empty when it selects nothing."""
    labels = (service.get("spec") or {}).get("selector") or {}  # type: ignore[union-attr]
    return ",".join(f"{key}={value}" for key, value in sorted(labels.items()))


class ServicesView(TableView):
    view_name = "services"
    FOR_KIND = "Service"
    KEYS: ClassVar[tuple[Key, ...]] = (
        *MOVE_KEYS, DRILL_KEY, *NAMESPACE_KEYS, *OBJECT_KEYS, REQUEST_KEY, LOAD_KEY, JUMP_OWNER_KEY, *MARK_KEYS,
        EDIT_KEY, DELETE_KEY, *LIST_KEYS,
    )

    def do_request(self, host: Host, _: Key) -> None:
        ask(host, self.backend, "Service", self.target(host))

    def do_load(self, host: Host, _: Key) -> None:
        ask_load(host, "Service", self.target(host))

    def drill(self, state: RowState) -> ViewSpec | None:
        labels = selector(state.obj)
        if not labels:
            return None
        return ViewSpec(view="pods", kind="Pod", namespace=state.obj["metadata"].get("namespace"), selector=labels)

    async def do_enter(self, host: Host, key: Key) -> None:
        service = self.selected()
        if service is not None and not selector(service):
            host.flash(f"service/{service['metadata']['name']} has no selector: it picks no pods (its endpoints are "
                       "set by hand)", "warn")
            return
        await super().do_enter(host, key)
