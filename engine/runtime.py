"""Informer + work queue machinery shared by every controller, the scheduler and the kubelets.

Each controller subscribes to store events for the resources it cares about, maps each event to keys, and
`reconcile(key)` reads the current state (level-triggered: never trust the event that woke it) and writes
through the API. A key is queued at most once; a failing key is retried with exponential back-off on the
engine's clock, and the failure is recorded as a Warning event on the object.
"""

from __future__ import annotations

import logging
import random
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import attrs

from .api import Api
from .clock import Clock, Timer
from .errors import ApiError
from .events import EventRecorder
from .kinds import Registry
from .store import Store, WatchEvent

if TYPE_CHECKING:
    from .metrics import MetricsApi

log = logging.getLogger("engine.controllers")

# client-go's DefaultControllerRateLimiter: 5 ms doubling per failure, capped at 1000 s.
BASE_RETRY_DELAY = 0.005
MAX_RETRY_DELAY = 1000.0


@attrs.define
class Context:
    """What a controller may touch: the API for writes, the store as its informer cache, the clock."""

    api: Api
    store: Store
    clock: Clock
    recorder: EventRecorder
    rng: random.Random
    registry: Registry
    wake: Callable[[], None]
    # metrics-server's API (resource metrics), as the HPA controller reads it; set by the cluster once built.
    metrics: MetricsApi | None = None


class WorkQueue:
    """A deduplicating FIFO of keys with delayed adds and per-key failure back-off."""

    def __init__(self, clock: Clock, wake: Callable[[], None]) -> None:
        self._clock = clock
        self._wake = wake
        self._queue: deque[str] = deque()
        self._queued: set[str] = set()
        self._delayed: dict[str, Timer] = {}
        self._failures: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._queue)

    def add(self, key: str) -> None:
        if key not in self._queued:
            self._queued.add(key)
            self._queue.append(key)
            self._wake()

    def add_after(self, key: str, delay: float) -> None:
        if delay <= 0:
            self.add(key)
            return
        when = self._clock.now() + delay
        timer = self._delayed.get(key)
        if timer is not None and not timer.cancelled:
            if timer.when <= when:
                return
            timer.cancel()

        def fire() -> None:
            self._delayed.pop(key, None)
            self.add(key)

        self._delayed[key] = self._clock.call_at(when, fire)

    def add_rate_limited(self, key: str) -> float:
        failures = self._failures.get(key, 0)
        self._failures[key] = failures + 1
        delay = min(BASE_RETRY_DELAY * (2**failures), MAX_RETRY_DELAY)
        self.add_after(key, delay)
        return delay

    def forget(self, key: str) -> None:
        self._failures.pop(key, None)

    def pop(self) -> str | None:
        if not self._queue:
            return None
        key = self._queue.popleft()
        self._queued.discard(key)
        return key


class Controller:
    """Base class: subclasses set `name` and `resources`, and implement `keys_for` and `reconcile`."""

    name = "controller"
    # Qualified resources whose events this controller receives.
    resources: tuple[str, ...] = ()
    # Resources of which it needs only the objects its kind controls and orphans (a ReplicaSet controller's pods):
    # resource -> the controlling kind. Every pod event then reaches one workload controller, not all of them.
    owner_kinds: dict[str, str] = {}

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.api = ctx.api
        self.store = ctx.store
        self.clock = ctx.clock
        self.recorder = ctx.recorder
        self.queue = WorkQueue(ctx.clock, ctx.wake)

    def start(self) -> None:
        """Called once when the cluster starts: queue whatever already exists."""

    def keys_for(self, event: WatchEvent) -> Iterable[str]:
        return ()

    def on_event(self, event: WatchEvent) -> None:
        for key in self.keys_for(event):
            self.queue.add(key)

    def reconcile(self, key: str) -> float | None:
        """Make the world match the desired state for `key`; return seconds until a re-check, if one is due."""
        raise NotImplementedError

    def object_for_key(self, key: str) -> dict | None:
        """The object an error should be reported on (an Event needs an involvedObject)."""
        return None

    def process(self, key: str) -> None:
        try:
            requeue = self.reconcile(key)
        except Exception as exc:  # a controller must never take the engine down
            delay = self.queue.add_rate_limited(key)
            self._report_failure(key, exc, delay)
            return
        self.queue.forget(key)
        if requeue is not None:
            self.queue.add_after(key, requeue)

    def _report_failure(self, key: str, exc: Exception, delay: float) -> None:
        if isinstance(exc, ApiError):
            message = f"{self.name}: {exc.message} (retrying in {delay:g}s)"
        else:
            message = f"{self.name}: internal error {type(exc).__name__}: {exc} (retrying in {delay:g}s)"
            log.error("%s failed on %s:\n%s", self.name, key, traceback.format_exc())
        obj = None
        try:
            obj = self.object_for_key(key)
        except Exception:  # the report itself must not fail
            obj = None
        if obj is not None:
            self.recorder.record(obj, "Warning", "ReconcileError", message, self.name)


# Every controller class, in the order they were registered: `register_controller` adds one, and the cluster
# builds one of each (kube-controller-manager's NewControllerDescriptors, without the central list).
CONTROLLERS: list[type[Controller]] = []


def register_controller(cls: type[Controller]) -> type[Controller]:
    """Class decorator: the cluster runs this controller. A controller module needs nothing else to be wired in."""
    if any(existing.name == cls.name for existing in CONTROLLERS):
        raise ValueError(f"two controllers are named {cls.name!r}")
    CONTROLLERS.append(cls)
    return cls


def _controller_kind(refs: list[dict] | None) -> str | None:
    for ref in refs or ():
        if ref.get("controller"):
            return str(ref.get("kind"))
    return None


class WallClockExceeded(Exception):
    """Raised by `ControllerManager.drain` once the manager's `wall_deadline` has passed.

    Whoever set the deadline (`k9py check`) catches it: the store is consistent (it is raised between two
    reconciles), and whatever is still queued is simply never processed.
    """


class ControllerManager:
    """Fans store events out to controllers and drains their queues."""

    def __init__(self, store: Store) -> None:
        self.controllers: list[Controller] = []
        self._by_resource: dict[str, list[Controller]] = {}
        # resource -> owner kind -> controllers that only need the objects that kind controls, and orphans.
        self._by_owner: dict[str, dict[str, list[Controller]]] = {}
        # A bound on the wall time of everything that drains (None: unbounded), on `wall_clock`'s scale.
        self.wall_deadline: float | None = None
        self.wall_clock: Callable[[], float] = time.perf_counter
        store.add_listener(self._dispatch)

    def add(self, controller: Controller) -> Controller:
        self.controllers.append(controller)
        for resource in controller.resources:
            kind = controller.owner_kinds.get(resource)
            if kind is None:
                self._by_resource.setdefault(resource, []).append(controller)
            else:
                self._by_owner.setdefault(resource, {}).setdefault(kind, []).append(controller)
        return controller

    def _dispatch(self, event: WatchEvent) -> None:
        for controller in self._by_resource.get(event.resource, ()):
            controller.on_event(event)
        by_owner = self._by_owner.get(event.resource)
        if by_owner:
            for controller in self._owners_of(event, by_owner):
                controller.on_event(event)

    @staticmethod
    def _owners_of(event: WatchEvent, by_owner: dict[str, list[Controller]]) -> Iterable[Controller]:
        """The workload controllers an owned object's event concerns: those of the kind that controls it, before
        and after the change; all of them for an orphan, which any of them may adopt (or just released)."""
        refs = event.object["metadata"].get("ownerReferences")
        kind = _controller_kind(refs)
        old = event.old
        if old is not None:
            old_refs = old["metadata"].get("ownerReferences")
            if old_refs is not refs:  # status writes share the metadata's lists: most events stop here
                old_kind = _controller_kind(old_refs)
                if old_kind != kind:
                    if kind is None or old_kind is None:
                        return [c for controllers in by_owner.values() for c in controllers]
                    return [*by_owner.get(kind, ()), *by_owner.get(old_kind, ())]
        if kind is None:
            return [c for controllers in by_owner.values() for c in controllers]
        return by_owner.get(kind, ())

    def has_work(self) -> bool:
        return any(len(c.queue) for c in self.controllers)

    def drain(self, wall_budget: float | None = None) -> bool:
        """Process queued keys round-robin until every queue is empty (True) or the wall budget is spent.

        Raises WallClockExceeded when `wall_deadline` is set and passes (checked after each round).
        """
        deadline = None if wall_budget is None else time.perf_counter() + wall_budget
        controllers = self.controllers
        while True:
            progressed = False
            for controller in controllers:
                # A few keys per controller per round keeps one busy controller from starving the others.
                for _ in range(64):
                    key = controller.queue.pop()
                    if key is None:
                        break
                    progressed = True
                    controller.process(key)
            if not progressed:
                return True
            if self.wall_deadline is not None and self.wall_clock() > self.wall_deadline:
                raise WallClockExceeded
            if deadline is not None and time.perf_counter() > deadline:
                return not self.has_work()
