"""Event recording as client-go's EventRecorder does it: aggregation of repeats, bounded memory.

A repeat of the same (source, object, type, reason, message) bumps `count` and `lastTimestamp` on the existing
Event instead of creating a new one (events_cache.go EventLogger). Events are bounded: past `limit`, the oldest
is deleted first.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from .errors import ApiError
from .timeutil import format_time

if TYPE_CHECKING:
    from .api import Api

Obj = dict[str, Any]
AggregateKey = tuple[str, str, str, str, str, str, str, str]

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


class EventRecorder:
    def __init__(self, api: Api, limit: int = 100_000) -> None:
        self.api = api
        self.limit = limit
        # Aggregation key -> (namespace, event name), oldest first: the order in which events are evicted.
        self._index: OrderedDict[AggregateKey, tuple[str, str]] = OrderedDict()
        self._last_nanos = 0
        # (source, object, type, reason) -> (distinct messages seen, last seen): for "combined" events.
        self._similar: OrderedDict[tuple[str, ...], tuple[set[str], float]] = OrderedDict()
        # event key -> (tokens, last refill): client-go's token-bucket spam filter.
        self._spam: OrderedDict[tuple[str, ...], tuple[float, float]] = OrderedDict()

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
        similar = (component, host or "", ref["kind"], namespace, ref["name"], ref.get("uid", ""),
                   event_type + "/" + reason)
        message = self._aggregate(similar, message, now)
        if not self._allowed_by_spam_filter((*similar, message), now):
            return None
        key: AggregateKey = (*similar, message)
        stamp = format_time(now)
        existing = self._index.get(key)
        if existing is not None:
            live = self.api.store.get("events", *existing)
            if live is not None:
                updated = {**live, "count": live.get("count", 1) + 1, "lastTimestamp": stamp,
                           "involvedObject": ref}
                self._index.move_to_end(key)
                return self.api.update(updated, trusted=True)
            del self._index[key]
        source = {"component": component}
        if host:
            source["host"] = host
        event = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": self._event_name(ref["name"], now), "namespace": namespace},
            "involvedObject": ref,
            "reason": reason,
            "message": message,
            "source": source,
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
            "type": event_type,
            "eventTime": None,
            "reportingComponent": component,
            "reportingInstance": host or "",
        }
        created = self._insert(event, namespace, stamp)
        if created is None:
            return None
        self._index[key] = (namespace, created["metadata"]["name"])
        self._evict()
        return created

    def _aggregate(self, similar: tuple[str, ...], message: str, now: float) -> str:
        """EventAggregator: past 10 distinct messages for one (source, object, type, reason) within 10 minutes,
        further ones fold into a single `(combined from similar events): …` event."""
        record = self._similar.get(similar)
        if record is None or now - record[1] > AGGREGATE_WINDOW_SECONDS:
            record = (set(), now)
        messages = record[0]
        messages.add(message)
        self._similar[similar] = (messages, now)
        self._similar.move_to_end(similar)
        if len(self._similar) > self.limit:
            self._similar.popitem(last=False)  # O(1); popping a plain dict's first key degrades to O(n)
        if len(messages) <= AGGREGATE_MAX_EVENTS:
            return message
        return COMBINED_PREFIX + message

    def _allowed_by_spam_filter(self, key: tuple[str, ...], now: float) -> bool:
        """EventSourceObjectSpamFilter: a burst of 25, then one event per 5 minutes for the same event."""
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
            _, (namespace, name) = self._index.popitem(last=False)
            event = self.api.store.get("events", namespace, name)
            if event is not None:
                self.api.store.remove("events", event)

    def forget_namespace(self, namespace: str) -> None:
        for key in [k for k, (ns, _) in self._index.items() if ns == namespace]:
            del self._index[key]
