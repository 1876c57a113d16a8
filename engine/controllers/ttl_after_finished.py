"""TTL-after-finished controller (`k/k pkg/controller/ttlafterfinished/ttlafterfinished_controller.go`).

A finished Job (Complete or Failed) with spec.ttlSecondsAfterFinished is deleted that many seconds after it
finished (the terminal condition's lastTransitionTime), with foreground propagation so its pods go first.
The wait is a delayed re-queue on the engine clock.
"""

from __future__ import annotations

from collections.abc import Iterable

from .. import podutil
from ..errors import ApiError
from ..kinds.job import RESOURCE
from ..runtime import Controller, register_controller
from ..store import WatchEvent
from ..timeutil import parse_time
from .job import is_finished

Obj = dict


def finish_time(job: Obj) -> float | None:
    """jobFinishTime: when the Complete or Failed condition became True."""
    for cond in (job.get("status") or {}).get("conditions") or ():
        if cond.get("type") in ("Complete", "Failed") and cond.get("status") == "True":
            stamp = cond.get("lastTransitionTime")
            return parse_time(stamp) if stamp else None
    return None


@register_controller
class TTLAfterFinishedController(Controller):
    name = "ttl-after-finished-controller"
    resources = (RESOURCE,)

    def start(self) -> None:
        for job in self.store.iter(RESOURCE):
            self.queue.add(podutil.key_of(job))

    def keys_for(self, event: WatchEvent) -> Iterable[str]:
        job = event.object
        # needsCleanup: only Jobs that have a TTL, are finished and are not already being deleted.
        if event.type == "DELETED" or job["spec"].get("ttlSecondsAfterFinished") is None or not is_finished(job):
            return ()
        return (podutil.key_of(job),)

    def reconcile(self, key: str) -> float | None:
        namespace, name = podutil.split_key(key)
        job = self.store.get(RESOURCE, namespace, name)
        if job is None or job["metadata"].get("deletionTimestamp"):
            return None
        ttl = job["spec"].get("ttlSecondsAfterFinished")
        finished = finish_time(job)
        if ttl is None or finished is None:
            return None
        remaining = finished + ttl - self.clock.now()
        if remaining > 0:
            return remaining  # processTTL: come back when it expires (the TTL may still be changed)
        try:
            # The uid precondition: a Job re-created under the same name is not the one that expired.
            self.api.delete(RESOURCE, name, namespace, propagation="Foreground", uid=job["metadata"]["uid"])
        except ApiError:
            pass  # gone, or replaced by a new Job of that name
        return None
