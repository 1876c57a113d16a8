"""Which scheduler profiles a cluster serves, and with what configuration.

- `default-scheduler`, with the default plugins, always (k9py's own kube-scheduler), unless a configuration in a
  watched folder redefines it.
- Every profile of the `KubeSchedulerConfiguration` documents of the watched folders (`set_folder`), as if k9py's
  kube-scheduler ran with them too (hot reloaded on every save).
- A profile named by the `sim.k9py.io/scheduler-profile` annotation of a pod (a custom scheduler's Deployment) is
  served only while one such pod is Running and Ready: killing it leaves that profile's pods Pending, as a real
  second scheduler would. Its configuration is the KubeSchedulerConfiguration profile of that name found in a
  ConfigMap the pod mounts (as `kube-scheduler --config` reads it), else the folder's profile of that name, else the
  default plugins. A mounted configuration kube-scheduler would refuse means no scheduler runs for that pod: its
  profile is not served (its pods stay Pending) and the pod gets a Warning `InvalidConfiguration` event carrying
  the line kube-scheduler logs before it exits (`"command failed" err="..."`, component-base/cli/run.go).
  Upstream the container would exit 1 and crash-loop with that line in its log; k9py's kubelet does not run
  kube-scheduler, so the pod stays Running and the event is where the error shows.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import yaml

from .. import podutil
from ..manifests.config_docs import ConfigKind, register_config_kind
from ..store import Store, WatchEvent
from .profiles import (
    DEFAULT_PROFILE,
    DEFAULT_SCHEDULER,
    KIND,
    ConfigProblem,
    Profile,
    is_scheduler_configuration,
    parse_configuration,
)

__all__ = ["INVALID_CONFIGURATION", "PROFILE_ANNOTATION", "ProfileRegistry", "command_failed", "profiles_for"]

PROFILE_ANNOTATION = "sim.k9py.io/scheduler-profile"
# k9py's event reason for a custom scheduler's pod whose mounted configuration kube-scheduler would refuse.
INVALID_CONFIGURATION = "InvalidConfiguration"
_DECODING = ("strict decoding error: ", "no kind ")
_FRAMEWORK = "creating profile for scheduler name "


def command_failed(problems: list[ConfigProblem]) -> str:
    """What kube-scheduler logs before exiting 1 with this configuration (after klog's header), as a v1.36 binary
    prints it: decoding stops at the decoding errors (strict ones joined into one); else validation's errors,
    the profiles' before percentageOfNodesToScore (ValidateKubeSchedulerConfiguration's order), aggregated
    (utilerrors: one alone, several in brackets); else the first profile the framework cannot build."""
    decoding = [p.message for p in problems if p.message.startswith(_DECODING)]
    framework = [p.message for p in problems if p.message.startswith(_FRAMEWORK)]
    validation = sorted(
        (p for p in problems if not p.message.startswith((*_DECODING, _FRAMEWORK))),
        key=lambda p: not p.field.startswith("profiles"),
    )
    if decoding:
        strict = [m.removeprefix(_DECODING[0]) for m in decoding if m.startswith(_DECODING[0])]
        error = f"{_DECODING[0]}{', '.join(strict)}" if strict else decoding[0]
    elif validation:
        messages = list(dict.fromkeys(p.message for p in validation))
        error = messages[0] if len(messages) == 1 else f"[{', '.join(messages)}]"
    else:
        error = f"initializing profiles: {framework[0]}"
    # klog's structured value: a Go-quoted string.
    return f'"command failed" err={json.dumps(error, ensure_ascii=False)}'


def _served_profile(pod: Mapping[str, Any]) -> str | None:
    annotations = (pod.get("metadata") or {}).get("annotations") or {}
    name = annotations.get(PROFILE_ANNOTATION)
    return str(name) if name else None


def _running_and_ready(pod: Mapping[str, Any]) -> bool:
    if pod["metadata"].get("deletionTimestamp"):
        return False
    status = pod.get("status") or {}
    return status.get("phase") == "Running" and any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or ()
    )


class ProfileRegistry:
    """The served profiles of one store; `listeners` hear of every change to them."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._folders: dict[int, dict[str, Profile]] = {}  # by source id, in the order first set
        self._servers: dict[str, tuple[str, bool]] = {}  # pod key -> (profile it serves, running and ready)
        self.listeners: list[Callable[[], None]] = []
        # Told (pod, message) when a serving pod's mounted configuration would stop kube-scheduler (the scheduler
        # controller records the event); each pod and message once.
        self.on_invalid: Callable[[Mapping[str, Any], str], None] | None = None
        self._reported: dict[str, str] = {}
        # A serving pod's mounted ConfigMap changing may start or stop its scheduler (an invalid configuration).
        store.add_listener(self._on_event)
        self._active: dict[str, Profile] | None = None
        self._configmaps_stamp = -1
        self.names: frozenset[str] = frozenset({DEFAULT_SCHEDULER})

    # --- inputs --------------------------------------------------------------------------------------------

    def set_folder(self, source: object, profiles: list[Profile]) -> None:
        """The profiles a watched folder's configuration documents declare (none: the folder has no such document)."""
        found = {p.scheduler_name: p for p in profiles}
        if self._folders.get(id(source), {}) == found and (found or id(source) not in self._folders):
            return
        if found:
            self._folders[id(source)] = found
        else:
            self._folders.pop(id(source), None)
        self._changed()

    def observe(self, pod: Mapping[str, Any], deleted: bool) -> bool:
        """Follow a pod that serves a profile; True when what is served changed."""
        key = podutil.key_of(pod)
        name = None if deleted else _served_profile(pod)
        before = self._servers.get(key)
        if name is None:
            if before is None:
                return False
            del self._servers[key]
        else:
            now = (name, _running_and_ready(pod))
            if now == before:
                return False
            self._servers[key] = now
        self._changed()
        return True

    def _on_event(self, event: WatchEvent) -> None:
        if event.resource != "configmaps" or not self._servers:
            return
        meta = event.object["metadata"]
        namespace, name = meta.get("namespace", ""), meta.get("name")
        for key in self._servers:
            pod_namespace, pod_name = podutil.split_key(key)
            if pod_namespace != namespace:
                continue
            pod = self._store.get("pods", pod_namespace, pod_name)
            volumes = ((pod or {}).get("spec") or {}).get("volumes") or ()
            if any((volume.get("configMap") or {}).get("name") == name for volume in volumes):
                self._changed()
                return

    def _changed(self) -> None:
        self._active = None
        self.names = frozenset(self.active())
        for listener in list(self.listeners):
            listener()

    # --- outputs -------------------------------------------------------------------------------------------

    def folder_profiles(self) -> dict[str, Profile]:
        out: dict[str, Profile] = {}
        for profiles in self._folders.values():
            for name, profile in profiles.items():
                out.setdefault(name, profile)
        return out

    def active(self) -> dict[str, Profile]:
        """Every served profile by scheduler name (recomputed when a mounted ConfigMap may have changed)."""
        stamp = self._store.changed_at("configmaps")
        if self._active is not None and stamp == self._configmaps_stamp:
            return self._active
        self._configmaps_stamp = stamp
        folders = self.folder_profiles()
        active = {DEFAULT_SCHEDULER: DEFAULT_PROFILE, **folders}
        served: dict[str, list[str]] = {}
        for key, (name, ready) in self._servers.items():
            served.setdefault(name, [])
            if ready:
                served[name].append(key)
        for name, ready_pods in served.items():
            active.pop(name, None)
            for key in sorted(ready_pods):
                mounted, invalid = self._mounted_profile(key, name)
                if invalid:
                    continue  # that pod's kube-scheduler would have exited: it serves nothing
                profile = mounted or folders.get(name)
                if profile is None:
                    profile = attrs.evolve(DEFAULT_PROFILE, scheduler_name=name)
                active[name] = profile
                break
        self._active = active
        return active

    def profile(self, pod: Mapping[str, Any]) -> Profile | None:
        """The profile that schedules this pod, or None when no scheduler of that name runs."""
        name = (pod.get("spec") or {}).get("schedulerName") or DEFAULT_SCHEDULER
        return self.active().get(name)

    def _mounted_profile(self, key: str, name: str) -> tuple[Profile | None, bool]:
        """The profile `name` of a KubeSchedulerConfiguration in a ConfigMap the serving pod mounts, and whether
        that configuration is one kube-scheduler would refuse (then reported through `on_invalid`)."""
        namespace, pod_name = podutil.split_key(key)
        pod = self._store.get("pods", namespace, pod_name)
        for volume in ((pod or {}).get("spec") or {}).get("volumes") or ():
            source = volume.get("configMap") or {}
            configmap = self._store.get("configmaps", namespace, str(source.get("name") or ""))
            for text in ((configmap or {}).get("data") or {}).values():
                if "KubeSchedulerConfiguration" not in text:
                    continue
                try:
                    documents = list(yaml.safe_load_all(text))
                except yaml.YAMLError:
                    continue
                for doc in documents:
                    if not is_scheduler_configuration(doc):
                        continue
                    profiles, problems = parse_configuration(doc)
                    if problems:
                        self._report(pod, command_failed(problems))
                        return None, True
                    self._reported.pop(str((pod or {}).get("metadata", {}).get("uid")), None)  # fixed: report anew
                    for profile in profiles:
                        if profile.scheduler_name == name:
                            return profile, False
        return None, False

    def _report(self, pod: Mapping[str, Any] | None, message: str) -> None:
        if pod is None or self.on_invalid is None:
            return
        uid = str(pod["metadata"].get("uid") or podutil.key_of(pod))
        if self._reported.get(uid) == message:
            return
        self._reported[uid] = message
        self.on_invalid(pod, message)


_REGISTRIES: weakref.WeakKeyDictionary[Store, ProfileRegistry] = weakref.WeakKeyDictionary()


def profiles_for(store: Store) -> ProfileRegistry:
    """The one registry of a store, shared by its scheduler and the folders that configure it."""
    return _REGISTRIES.get(store) or _REGISTRIES.setdefault(store, ProfileRegistry(store))


def _declare(store: Store, source: object, values: list[list[Profile]]) -> None:
    profiles_for(store).set_folder(source, [profile for profiles in values for profile in profiles])


# Watched folders hand their KubeSchedulerConfiguration documents to the scheduler (manifests/config_docs.py).
register_config_kind(ConfigKind(KIND, is_scheduler_configuration, parse_configuration, _declare))
