"""Taint eviction (`k/k pkg/controller/tainteviction/taint_eviction.go`): pods on a node with a NoExecute taint
they do not tolerate are deleted; a toleration with `tolerationSeconds` delays that (the default 300 s for
not-ready/unreachable comes from the DefaultTolerationSeconds admission plugin).

Like upstream's TimedWorkerQueue, an eviction is scheduled when the controller first sees the pod on the tainted
node (not when the taint was added: a pod that lands on a long-tainted node still gets its full toleration), is
kept once scheduled, and is cancelled, with a `Cancelling deletion of Pod` event, when the taints go away.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from .. import podutil
from ..errors import ApiError
from ..events import TAINT_MANAGER
from ..runtime import Controller, register_controller
from ..scheduler.taints import Taint, Toleration
from ..store import WatchEvent, deep_copy
from ..timeutil import format_time

Obj = dict[str, Any]
DISRUPTION_TARGET = "DisruptionTarget"
FOREVER = -1.0


def _no_execute_taints(node: Obj | None) -> list[Obj]:
    return [t for t in ((node or {}).get("spec") or {}).get("taints") or () if t.get("effect") == "NoExecute"]


def min_toleration_seconds(pod: Obj, taints: list[Obj]) -> float | None:
    """GetMatchingTolerations + getMinTolerationTime: None if some taint is not tolerated, FOREVER if no used
    toleration has tolerationSeconds, else the smallest (0 for a non-positive one).

    For each taint only the first toleration that tolerates it counts, as upstream picks it."""
    tolerations = [t for t in (pod.get("spec") or {}).get("tolerations") or () if isinstance(t, dict)]
    used: list[Obj] = []
    for raw in taints:
        taint = Taint(raw.get("key", ""), raw.get("value", ""), raw.get("effect", ""))
        first = next((t for t in tolerations
                      if Toleration(t.get("key", ""), t.get("operator", ""), t.get("value", ""),
                                    t.get("effect", "")).tolerates(taint)), None)
        if first is None:
            return None
        used.append(first)
    if not used:
        return 0.0
    bounded = [t["tolerationSeconds"] for t in used if t.get("tolerationSeconds") is not None]
    if not bounded:
        return FOREVER
    return max(0.0, float(min(bounded)))


@attrs.define
class Work:
    """A scheduled eviction; `fired` ones stay, so the pod is not evicted twice (TimedWorkerQueue keeps the key)."""

    pod: Obj
    created: float
    fire_at: float
    fired: bool = False


@register_controller
class TaintEvictionController(Controller):
    name = TAINT_MANAGER
    resources = ("nodes", "pods")

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self.work: dict[str, Work] = {}

    def keys_for(self, event: WatchEvent) -> Iterable[str]:
        if event.resource == "nodes":
            if event.type == "DELETED":
                return ()
            old_taints = _no_execute_taints(event.old)
            if _no_execute_taints(event.object) == old_taints:
                return ()
            name = event.object["metadata"]["name"]
            return [podutil.key_of(p) for p in self.store.iter("pods") if p["spec"].get("nodeName") == name]
        key = podutil.key_of(event.object)
        if event.type == "DELETED":
            return (key,) if key in self.work else ()
        spec = event.object["spec"]
        if event.old is not None and event.old["spec"] is spec:
            return ()  # a status write: neither the node nor the tolerations moved
        old_spec = (event.old or {}).get("spec") or {}
        if event.old is not None and old_spec.get("nodeName") == spec.get("nodeName") and \
                old_spec.get("tolerations") == spec.get("tolerations"):
            return ()
        if not spec.get("nodeName") or key in self.work:
            return (key,) if key in self.work else ()
        # A pod landing on a node without NoExecute taints has nothing to wait for.
        node = self.store.get("nodes", "", spec["nodeName"])
        return (key,) if node is not None and _no_execute_taints(node) else ()

    def object_for_key(self, key: str) -> Obj | None:
        namespace, name = podutil.split_key(key)
        return self.store.get("pods", namespace, name)

    def reconcile(self, key: str) -> float | None:
        pod = self.object_for_key(key)
        work = self.work.get(key)
        if work is not None and pod is not None and pod["metadata"].get("uid") != work.pod["metadata"].get("uid"):
            self.work.pop(key)  # a new pod of the same name
            work = None
        if pod is None:
            self._cancel(key)
            self.work.pop(key, None)
            return None
        now = self.clock.now()
        if work is not None and work.fired:
            return None
        taints = _no_execute_taints(self.store.get("nodes", "", pod["spec"].get("nodeName") or ""))
        if not taints:
            self._cancel(key)
            return None
        seconds = min_toleration_seconds(pod, taints)
        if seconds is None:  # not tolerated at all: cancel whatever was scheduled and evict right away
            self._cancel(key)
            self.work[key] = Work(deep_copy(pod), now, now)
        elif seconds == FOREVER:
            self._cancel(key)
            return None
        elif work is None:
            self.work[key] = Work(deep_copy(pod), now, now + seconds)
        work = self.work[key]
        if work.fire_at > now:
            return work.fire_at - now
        self._evict(pod, work)
        return None

    def _cancel(self, key: str) -> None:
        """cancelWorkWithEvent: only an eviction still pending is worth an event."""
        work = self.work.get(key)
        if work is None or work.fired:
            return
        del self.work[key]
        namespace, name = podutil.split_key(key)
        self.recorder.record(work.pod, "Normal", "TaintManagerEviction",
                             f"Cancelling deletion of Pod {namespace}/{name}", self.name)

    def _evict(self, pod: Obj, work: Work) -> None:
        work.fired = True
        namespace, name = pod["metadata"].get("namespace", ""), pod["metadata"]["name"]
        self.recorder.record(pod, "Normal", "TaintManagerEviction", f"Marking for deletion Pod {namespace}/{name}",
                             self.name)
        self._add_disruption_condition(pod)
        try:
            self.api.delete("pods", name, namespace)
        except ApiError as exc:
            if exc.code != 404:
                raise

    def _add_disruption_condition(self, pod: Obj) -> None:
        """addConditionAndDeletePod: the pod says why it is going away (PodDisruptionConditions, GA in 1.31)."""
        status = deep_copy(pod.get("status") or {})
        conditions = [c for c in status.get("conditions") or () if c.get("type") != DISRUPTION_TARGET]
        previous = podutil.condition(pod, DISRUPTION_TARGET)
        wanted = {"type": DISRUPTION_TARGET, "status": "True", "reason": "DeletionByTaintManager",
                  "message": "Taint manager: deleting due to NoExecute taint"}
        if previous is not None and all(previous.get(k) == v for k, v in wanted.items()):
            return
        stamp = format_time(self.clock.now())
        conditions.append({**wanted, "lastProbeTime": None, "lastTransitionTime": stamp})
        status["conditions"] = conditions
        try:
            self.api.update_status({**pod, "status": status})
        except ApiError as exc:
            if exc.code != 404:
                raise
