"""Event (core/v1): what `kubectl get events` and `describe` show."""

from __future__ import annotations

from .registry import REGISTRY, KindInfo

EVENT = REGISTRY.register(KindInfo(
    kind="Event", group="", version="v1", plural="events", namespaced=True, short_names=("ev",),
    has_status=False, columns=("LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"),
))
