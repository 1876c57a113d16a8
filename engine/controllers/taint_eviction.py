"""Taint eviction (`k/k pkg/controller/tainteviction/taint_eviction.go`): pods on a node with a NoExecute taint
they do not tolerate are deleted; a toleration with `tolerationSeconds` delays that (the default 300 s for
not-ready/unreachable comes from the DefaultTolerationSeconds admission plugin)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import podutil
from ..errors import ApiError
from ..events import TAINT_MANAGER
from ..scheduler.taints import Taint, Toleration
from ..store import WatchEvent, deep_copy
from ..timeutil import format_time, parse_time
from .runtime import Controller

Obj = dict[str, Any]
DISRUPTION_TARGET = "DisruptionTarget"


def eviction_delay(pod: Obj, node: Obj, now: float) -> float | None:
    """Seconds until the pod must be evicted (0 for now), or None if every NoExecute taint is tolerated forever."""
    taints = [t for t in (node.get("spec") or {}).get("taints") or () if t.get("effect") == "NoExecute"]
    if not taints:
        return None
    tolerations = [t for t in (pod.get("spec") or {}).get("tolerations") or () if isinstance(t, dict)]
    delay: float | None = None
    for raw in taints:
        taint = Taint(raw.get("key", ""), raw.get("value", ""), raw.get("effect", ""))
        matching = [t for t in tolerations
                    if Toleration(t.get("key", ""), t.get("operator", ""), t.get("value", ""),
                                  t.get("effect", "")).tolerates(taint)]
        if not matching:
            return 0.0
        bounded = [t["tolerationSeconds"] for t in matching if t.get("tolerationSeconds") is not None]
        if len(bounded) < len(matching) or not bounded:
            continue  # some toleration has no time limit
        added = parse_time(raw["timeAdded"]) if raw.get("timeAdded") else now
        remaining = max(0.0, added + min(bounded) - now)
        delay = remaining if delay is None else min(delay, remaining)
    return delay


class TaintEvictionController(Controller):
    name = TAINT_MANAGER
    resources = ("nodes", "pods")

    def keys_for(self, event: WatchEvent) -> Iterable[str]:
        if event.type == "DELETED":
            return ()
        if event.resource == "nodes":
            old_taints = ((event.old or {}).get("spec") or {}).get("taints")
            if event.object["spec"].get("taints") == old_taints:
                return ()
            name = event.object["metadata"]["name"]
            return [podutil.key_of(p) for p in self.store.iter("pods") if p["spec"].get("nodeName") == name]
        node_name = event.object["spec"].get("nodeName")
        if node_name and (event.old is None or not (event.old.get("spec") or {}).get("nodeName")):
            return (podutil.key_of(event.object),)
        return ()

    def object_for_key(self, key: str) -> Obj | None:
        namespace, name = podutil.split_key(key)
        return self.store.get("pods", namespace, name)

    def reconcile(self, key: str) -> float | None:
        pod = self.object_for_key(key)
        if pod is None or pod["metadata"].get("deletionTimestamp"):
            return None
        node = self.store.get("nodes", "", pod["spec"].get("nodeName") or "")
        if node is None:
            return None
        delay = eviction_delay(pod, node, self.clock.now())
        if delay is None:
            return None
        if delay > 0:
            return delay
        namespace, name = podutil.split_key(key)
        self.recorder.record(pod, "Normal", "TaintManagerEviction", f"Marking for deletion Pod {namespace}/{name}",
                             self.name)
        self._add_disruption_condition(pod)
        try:
            self.api.delete("pods", name, namespace)
        except ApiError as exc:
            if exc.code != 404:
                raise
        return None

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
