"""One kubelet's record of what its containers were configured with: the environment each run was created with,
when each pod's volumes were mounted, and the subPath files pinned at creation. Files are computed when asked
(`container_files`), never copied per pod, so 10,000 pods mounting one ConfigMap cost nothing until one is read.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import attrs

from .container_env import EnvVar, expand_command, process_env, resolve_env
from .container_files import ConfigHistory, Entry, Mount, last_sync, mounts_of, pin_sub_paths

Obj = dict[str, Any]

# One history per store (every kubelet of a cluster shares it), made with the first kubelet so that it has seen
# every change since before any pod was mounted.
_HISTORIES: weakref.WeakKeyDictionary[Any, ConfigHistory] = weakref.WeakKeyDictionary()


@attrs.frozen
class ContainerView:
    """What `kubectl exec <pod> -c <container> -- env` and `cat` would show."""

    env: tuple[EnvVar, ...]
    command: tuple[str, ...]  # command + args after `$(VAR)` expansion
    mounts: tuple[Mount, ...]
    started: float | None  # when this run of the container was created; None: not created yet


@attrs.define
class _Run:
    env: list[EnvVar]
    started: float
    pinned: dict[str, list[Entry]]


class ContainerBook:
    def __init__(self, store: Any, clock: Any, node: str) -> None:
        self.store, self.clock, self.node = store, clock, node
        history = _HISTORIES.get(store)
        if history is None:
            history = _HISTORIES[store] = ConfigHistory(store, clock)
        self.history = history
        self._mounted: dict[str, float] = {}  # pod uid -> when its volumes were first set up
        self._runs: dict[tuple[str, str], _Run] = {}  # (pod uid, container) -> the current run

    def _allocatable(self) -> Obj:
        node = self.store.get("nodes", "", self.node) or {}
        return dict((node.get("status") or {}).get("allocatable") or {})

    def mounted(self, uid: str, now: float) -> None:
        self._mounted.setdefault(uid, now)

    def started(self, pod: Obj, container: Obj, now: float) -> list[EnvVar]:
        """A container is created: its environment is resolved now, once (it never follows later changes)."""
        allocatable = self._allocatable()
        env = process_env(pod, resolve_env(self.store, pod, container, allocatable))
        pinned = pin_sub_paths(self.store, self.history, pod, container, now, allocatable)
        self._runs[(pod["metadata"]["uid"], str(container.get("name")))] = _Run(env, now, pinned)
        return env

    def forget(self, uid: str) -> None:
        self._mounted.pop(uid, None)
        for key in [k for k in self._runs if k[0] == uid]:
            del self._runs[key]

    def view(self, pod: Obj, container: Obj, now: float) -> ContainerView:
        uid = pod["metadata"]["uid"]
        run = self._runs.get((uid, str(container.get("name"))))
        mounted = self._mounted.get(uid)
        mounts = mounts_of(self.store, self.history, pod, container, mounted, now, self._allocatable(),
                           run.pinned if run else None) if mounted is not None else []
        env = run.env if run else []
        return ContainerView(tuple(env), tuple(expand_command(container, env)) if run else (),
                             tuple(mounts), run.started if run else None)

    def file_reader(self, namespace: str, name: str, uid: str, container: str) -> Callable[[str, float], str | None]:
        """For log templates: a file's content at a given time, re-read only when the pod has synced since."""
        synced_at: list[float] = []
        files: dict[str, str] = {}

        def read(path: str, when: float) -> str | None:
            mounted = self._mounted.get(uid)
            pod = self.store.get("pods", namespace, name)
            if mounted is None or pod is None or pod["metadata"].get("uid") != uid:
                return None
            synced = last_sync(mounted, when)
            if synced_at != [synced]:  # a log is read in time order: one look at the volumes per sync period
                spec = next((c for k in ("initContainers", "containers") for c in pod["spec"].get(k) or ()
                             if c.get("name") == container), {})
                run = self._runs.get((uid, container))
                mounts = mounts_of(self.store, self.history, pod, spec, mounted, when, self._allocatable(),
                                   run.pinned if run else None)
                files.clear()
                files.update((f.path, f.content) for m in mounts for f in m.files)
                synced_at[:] = [synced]
            return files.get(path)

        return read
