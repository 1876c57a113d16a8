"""Event recording as client-go's EventRecorder does it (`tools/record/event.go`, `events_cache.go`
EventCorrelator.EventCorrelate), with bounded memory:

1. EventAggregator: per (source, object, type, reason) the distinct messages of the last 10 minutes are kept;
   from the 10th distinct one on, events fold into one `(combined from similar events): <latest message>` Event
   whose count grows.
2. EventLogger: a repeat of the same (source, object incl. fieldPath, type, reason, message) bumps `count` and
   `lastTimestamp` of the existing Event instead of creating one; the count is kept even for repeats the spam
   filter then drops, so the next one written carries the full count (`x25 over 2m`).
3. EventSourceObjectSpamFilter: per source and object (whatever the reason), a burst of 25 writes, then one per
   5 minutes.

Events are bounded: past `limit`, the oldest is deleted first.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import attrs

from .errors import ApiError
from .timeutil import format_time

if TYPE_CHECKING:
    from .api import Api

Obj = dict[str, Any]
EventKey = tuple[str, ...]

# client-go tools/record/events_cache.go defaults.
AGGREGATE_MAX_EVENTS = 10
AGGREGATE_WINDOW_SECONDS = 600
COMBINED_PREFIX = "(combined from similar events): "
SPAM_BURST = 25
SPAM_REFILL_PER_SECOND = 1 / 300

# Components as Kubernetes names them in `source.component` (describe's "From" column).
DEPLOYMENT_CONTROLLER = "deployment-controller"
REPLICASET_CONTROLLER = "replicaset-controller"
SCHEDULER = "default-scheduler"
KUBELET = "kubelet"
NODE_CONTROLLER = "node-controller"
NAMESPACE_CONTROLLER = "namespace-controller"
GARBAGE_COLLECTOR = "garbage-collector-controller"
TAINT_MANAGER = "taint-eviction-controller"
ENDPOINT_CONTROLLER = "endpoint-controller"


def involved_object(obj: Obj, field_path: str | None = None) -> Obj:
    meta = obj.get("metadata") or {}
    ref = {
        "kind": obj.get("kind", ""),
        "namespace": meta.get("namespace", ""),
        "name": meta.get("name", ""),
        "uid": meta.get("uid", ""),
        "apiVersion": obj.get("apiVersion", ""),
        "resourceVersion": meta.get("resourceVersion", ""),
    }
    if not ref["namespace"]:
        del ref["namespace"]
    if field_path:
        ref["fieldPath"] = field_path
    return ref


@attrs.define
class _Observed:
    """An EventLogger cache entry: the Event that carries this key, and how often it happened."""

    namespace: str
    name: str
    count: int
    first: str  # firstTimestamp
    uid: str = ""  # of the Event once written: another Event of that name (or none) is not this one


class EventRecorder:
    def __init__(self, api: Api, limit: int = 100_000) -> None:
        self.api = api
        self.limit = limit
        # Event key -> its Event and count, oldest first: the order in which events are evicted.
        self._index: OrderedDict[EventKey, _Observed] = OrderedDict()
        self._last_nanos = 0
        # Aggregate key -> (distinct messages, oldest first, last seen): the EventAggregator's records.
        self._similar: OrderedDict[EventKey, tuple[dict[str, None], float]] = OrderedDict()
        # Spam key (source and object) -> (tokens, last refill): client-go's token-bucket spam filter.
        self._spam: OrderedDict[EventKey, tuple[float, float]] = OrderedDict()

    def _event_name(self, object_name: str, now: float) -> str:
        # `<object>.<hex unix nanoseconds>`; on a virtual clock many events share one instant, so the
        # nanoseconds only ever move forward to keep names unique.
        self._last_nanos = max(int(now * 1e9), self._last_nanos + 1)
        return f"{object_name}.{self._last_nanos:x}"

    def record(self, obj: Obj, event_type: str, reason: str, message: str, component: str,
               host: str | None = None, field_path: str | None = None) -> Obj | None:
        """Record an event about `obj`; never raises (a lost event must not break a controller)."""
        try:
            return self._record(obj, event_type, reason, message, component, host, field_path)
        except ApiError:
            return None

    def _record(self, obj: Obj, event_type: str, reason: str, message: str, component: str,
                host: str | None, field_path: str | None) -> Obj | None:
        ref = involved_object(obj, field_path)
        namespace = ref.get("namespace") or "default"
        now = self.api.clock.now()
        stamp = format_time(now)
        source_object = (component, host or "", ref["kind"], namespace, ref["name"], ref.get("uid", ""),
                         ref["apiVersion"])
        # EventAggregatorByReasonFunc (reportingController and reportingInstance are the source here).
        similar = (*source_object, event_type, reason)
        if self._aggregate(similar, message, now):
            # The combined Event is keyed without the message, so every further similar event lands on it.
            key: EventKey = ("combined", *similar)
            message = COMBINED_PREFIX + message
        else:
            key = (*source_object, field_path or "", event_type, reason, message)  # getEventKey
        observed = self._observe(key, namespace, ref["name"], now, stamp)
        if not self._allowed_by_spam_filter(source_object, now):
            return None
        live = self.api.store.get("events", observed.namespace, observed.name)
        if live is not None and live["metadata"].get("uid") == observed.uid:
            updated = {**live, "count": observed.count, "lastTimestamp": stamp, "message": message,
                       "involvedObject": ref}
            return self.api.update(updated, trusted=True)
        source = {"component": component}
        if host:
            source["host"] = host
        event = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": observed.name, "namespace": namespace},
            "involvedObject": ref,
            "reason": reason,
            "message": message,
            "source": source,
            "firstTimestamp": observed.first,
            "lastTimestamp": stamp,
            "count": observed.count,
            "type": event_type,
            "eventTime": None,
            "reportingComponent": component,
            "reportingInstance": host or "",
        }
        created = self._insert(event, namespace, stamp)
        if created is not None:
            observed.uid = created["metadata"]["uid"]
        self._evict()
        return created

    def _observe(self, key: EventKey, namespace: str, object_name: str, now: float, stamp: str) -> _Observed:
        """EventLogger.eventObserve: count this occurrence on the key's Event (a new one for a new key)."""
        observed = self._index.get(key)
        if observed is None:
            name = self._event_name(object_name, now)
            while self.api.store.get("events", namespace, name) is not None:  # another recorder's, same instant
                name = self._event_name(object_name, now)
            observed = _Observed(namespace, name, 0, stamp)
            self._index[key] = observed
        else:
            self._index.move_to_end(key)
        observed.count += 1
        return observed

    def _aggregate(self, similar: EventKey, message: str, now: float) -> bool:
        """EventAggregator.EventAggregate: True once this is the 10th (or later) distinct message of the same
        source, object, type and reason within 10 minutes of the previous one; the set then drops one message
        so it never holds more than 10."""
        record = self._similar.get(similar)
        if record is None or now - record[1] > AGGREGATE_WINDOW_SECONDS:
            record = ({}, now)
        messages = record[0]
        messages[message] = None
        self._similar[similar] = (messages, now)
        self._similar.move_to_end(similar)
        if len(self._similar) > self.limit:
            self._similar.popitem(last=False)  # O(1); popping a plain dict's first key degrades to O(n)
        if len(messages) < AGGREGATE_MAX_EVENTS:
            return False
        del messages[next(iter(messages))]  # PopAny: here the oldest, so runs are reproducible
        return True

    def _allowed_by_spam_filter(self, key: EventKey, now: float) -> bool:
        """EventSourceObjectSpamFilter: a burst of 25, then one event per 5 minutes, per source and object."""
        tokens, last = self._spam.get(key, (float(SPAM_BURST), now))
        tokens = min(float(SPAM_BURST), tokens + (now - last) * SPAM_REFILL_PER_SECOND)
        allowed = tokens >= 1.0
        self._spam[key] = (tokens - 1.0 if allowed else tokens, now)
        self._spam.move_to_end(key)
        if len(self._spam) > 4 * self.limit:
            self._spam.popitem(last=False)
        return allowed

    def _insert(self, event: Obj, namespace: str, stamp: str) -> Obj | None:
        """Store a complete Event directly: the recorder builds every field itself, so the API's copying,
        defaulting and validation would only cost time (events are the most frequent write of all)."""
        ns = self.api.store.get("namespaces", "", namespace)
        if ns is None or ns["metadata"].get("deletionTimestamp"):
            return None  # the API server refuses events in a missing or terminating namespace too
        meta = event["metadata"]
        meta["uid"] = self.api.new_uid()
        meta["creationTimestamp"] = stamp
        meta["resourceVersion"] = str(self.api.store.next_resource_version())
        self.api.store.put("events", event, None)
        return event

    def _evict(self) -> None:
        while len(self._index) > self.limit:
            _, observed = self._index.popitem(last=False)
            event = self.api.store.get("events", observed.namespace, observed.name)
            if event is not None:
                self.api.store.remove("events", event)

    def forget_namespace(self, namespace: str) -> None:
        for key in [k for k, observed in self._index.items() if observed.namespace == namespace]:
            del self._index[key]
