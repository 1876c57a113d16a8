"""Events: newest first, warnings in the error colour."""

from __future__ import annotations

from typing import Any, ClassVar

from ..keys import Key
from .base import MOVE_KEYS, OBJECT_KEYS
from .colours import event_category
from .rows import RowState
from .table import LIST_KEYS, NAMESPACE_KEYS, TableView


class EventsView(TableView):
    view_name = "events"
    FOR_KIND = "Event"
    KEYS: ClassVar[tuple[Key, ...]] = (*MOVE_KEYS, *NAMESPACE_KEYS, *OBJECT_KEYS, *LIST_KEYS)  # events are read-only
    SORT_REVERSE = True

    def category(self, state: RowState) -> str:
        return event_category(self.cell(state, "TYPE"))

    def sort_key(self, state: RowState) -> Any:
        event = state.obj
        last = (event.get("series") or {}).get("lastObservedTime") or event.get("lastTimestamp") \
            or event.get("eventTime") or ""
        return (str(last), event.get("metadata", {}).get("resourceVersion", "0").zfill(12))
