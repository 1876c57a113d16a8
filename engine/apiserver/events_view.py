"""events.k8s.io/v1 Events: a view over the engine's core/v1 Events, as kube-apiserver serves both groups from one
storage (pkg/apis/events/v1 conversion). The same object, under other names:

    core/v1            events.k8s.io/v1              core/v1             events.k8s.io/v1
    involvedObject     regarding                     source              deprecatedSource
    message            note                          firstTimestamp      deprecatedFirstTimestamp
    reportingComponent reportingController           lastTimestamp       deprecatedLastTimestamp
    count              deprecatedCount               (eventTime, series, action, reason, related, type,
                                                      reportingInstance: the same)

Served by converted_view.ConvertedView; writes are checked as kube-apiserver checks an Event created through
events.k8s.io/v1 (eventTime set, type Normal or Warning, the deprecated fields unset).
Server-side apply is not served on this view (415); the other patch types are.
"""

from __future__ import annotations

from typing import Any

from .. import errors
from ..kinds import KindInfo, Registry
from ..store import deep_copy
from . import discovery
from .converted_view import ConvertedView
from .resources import Resources

Obj = dict[str, Any]
GROUP = "events.k8s.io"
API_VERSION = f"{GROUP}/v1"
VIEW = discovery.serve_beside(KindInfo(kind="Event", group=GROUP, version="v1", plural="events", namespaced=True,
                                       short_names=("ev",), has_status=False), list(discovery.ALL_VERBS))

# events.k8s.io/v1 name -> core/v1 name, for fields named differently.
_RENAMED = {"regarding": "involvedObject", "note": "message", "reportingController": "reportingComponent",
            "deprecatedSource": "source", "deprecatedFirstTimestamp": "firstTimestamp",
            "deprecatedLastTimestamp": "lastTimestamp", "deprecatedCount": "count"}
# The events.k8s.io/v1 fields in the order Go writes them; `None`: written even when empty (no omitempty).
_ORDER: tuple[tuple[str, Any], ...] = (
    ("eventTime", None), ("series", ...), ("reportingController", ...), ("reportingInstance", ...),
    ("action", ...), ("reason", ...), ("regarding", {}), ("related", ...), ("note", ...), ("type", ...),
    ("deprecatedSource", {}), ("deprecatedFirstTimestamp", None), ("deprecatedLastTimestamp", None),
    ("deprecatedCount", ...))


def to_events_v1(core: Obj, with_type: bool = True) -> Obj:
    """A core/v1 Event as events.k8s.io/v1 writes it; list items carry no kind and apiVersion, as upstream's."""
    out: Obj = {"kind": "Event", "apiVersion": API_VERSION} if with_type else {}
    out["metadata"] = core.get("metadata", {})
    for name, empty in _ORDER:
        value = core.get(_RENAMED.get(name, name))
        if value not in (None, "", 0, {}, []):
            out[name] = value
        elif empty is not ...:
            out[name] = value if value is not None and empty is not None else deep_copy(empty)
    return out


def to_core(event: Obj) -> Obj:
    """An events.k8s.io/v1 Event as the core/v1 Event the engine stores."""
    core: Obj = {"apiVersion": "v1", "kind": "Event"}
    for key, value in event.items():
        if key not in ("apiVersion", "kind"):
            core[_RENAMED.get(key, key)] = value
    return core


def _field_selector(text: str | None) -> str | None:
    """The selector in core/v1 field names (`regarding.name` -> `involvedObject.name`), as the group's field label
    conversion does."""
    if not text:
        return text
    parts = []
    for part in text.split(","):
        for new, old in (("regarding.", "involvedObject."), ("reportingController", "reportingComponent"),
                         ("deprecatedSource", "source")):
            if part.strip().startswith(new):
                part = part.strip().replace(new, old, 1)
        parts.append(part)
    return ",".join(parts)


def _check_create(core: Obj) -> None:
    """ValidateEventCreate for a request through events.k8s.io/v1: the legacy checks, then the strict ones."""
    meta = core.get("metadata") or {}
    namespace = meta.get("namespace", "")
    involved = core.get("involvedObject") or {}
    causes: list[tuple[str, str]] = []
    if not core.get("eventTime"):
        if involved.get("namespace", "") != namespace and (involved.get("namespace") or namespace != "default"):
            causes.append(("involvedObject.namespace",
                           f'Invalid value: "{involved.get("namespace", "")}": does not match event.namespace'))
    else:
        if not involved.get("namespace") and namespace not in ("default", "kube-system"):
            causes.append(("involvedObject.namespace", 'Invalid value: "": does not match event.namespace'))
        for field, name in (("reportingComponent", "reportingController"), ("reportingInstance", "reportingInstance"),
                            ("action", "action"), ("reason", "reason")):
            if not core.get(field):
                causes.append((name, "Required value"))
    if not core.get("eventTime"):
        causes.append(("eventTime", "Required value"))
    if core.get("type") not in ("Normal", "Warning"):
        causes.append(("type", f'Invalid value: "": has invalid value: {core.get("type") or ""}'))
    for field in ("firstTimestamp", "lastTimestamp", "count"):
        if core.get(field):
            causes.append((field, 'Invalid value: "": needs to be unset'))
    if (core.get("source") or {}).get("component") or (core.get("source") or {}).get("host"):
        causes.append(("source", 'Invalid value: "": needs to be unset'))
    if causes:
        # Core field names (involvedObject, not regarding): upstream validates the internal, core-shaped Event.
        raise errors.invalid("Event", "", str(meta.get("name", "")), causes)


class EventsView(ConvertedView):
    view = VIEW

    def __init__(self, resources: Resources, registry: Registry) -> None:
        super().__init__(resources, registry, "events")

    def to_view(self, stored: Obj, with_type: bool = True) -> Obj:
        return to_events_v1(stored, with_type)

    def to_stored(self, body: Obj) -> Obj:
        return to_core(body)

    def field_selector(self, text: str | None) -> str | None:
        return _field_selector(text)

    def check_create(self, stored: Obj) -> None:
        _check_create(stored)
