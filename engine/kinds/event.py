"""Event (core/v1): what `kubectl get events` and `describe` show."""

from __future__ import annotations

from ..printers.tables import EVENT_COLUMNS, EVENT_WIDE_COLUMNS, event_row, event_row_wide
from .registry import REGISTRY, KindInfo

EVENT = REGISTRY.register(KindInfo(
    kind="Event", group="", version="v1", plural="events", namespaced=True, short_names=("ev",),
    has_status=False, columns=EVENT_COLUMNS, row=event_row, wide_columns=EVENT_WIDE_COLUMNS, wide_row=event_row_wide,
))
