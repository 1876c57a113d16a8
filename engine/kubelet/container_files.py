"""What a container finds in its mounted volumes, as `kubectl exec -- cat` would show it.

Volume plugins (`pkg/volume/configmap`, `secret`, `projected`, `downwardapi`, `emptydir`): a ConfigMap or Secret
volume holds one file per key (or per `items` entry, at its `path`), a Secret's decoded; `projected` merges
ConfigMap, Secret, downward API and service-account token sources; file modes come from the item's `mode`, else
`defaultMode` (0644). `emptyDir`, a claim and a host path are empty directories here.

Updates: the kubelet re-mounts a pod's ConfigMap, Secret, projected and downward API volumes when it syncs the
pod, which it does every `syncFrequency` (KubeletConfiguration, default 1m; the pod worker jitters each resync
by up to +50%). Its ConfigMap/Secret manager uses the `Watch` change-detection strategy by default, so its cache
is current and the sync period is the whole delay ("kubelet sync period + cache propagation delay",
concepts/configuration/configmap.md). The simulator syncs each pod every `SYNC_SECONDS` exactly from its first
mount, and computes the files lazily: what a pod sees now is its sources as they were at its last sync, so a
change shows within a minute. A `subPath` mount is a bind mount made when the container is created: it keeps
that content until the container is created again. A ConfigMap or Secret deleted after the mount leaves the last
files in place (the re-mount fails; nothing is removed).
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import math
from typing import Any

import attrs

from ..quoting import go_quote
from ..satoken import ISSUER as SERVICE_ACCOUNT_ISSUER
from ..satoken import Signer, bound_claims, signer_for
from ..store import WatchEvent
from .container_env import decoded, field_value, resource_value

Obj = dict[str, Any]
Entry = tuple[str, str, int, bool]  # (path relative to the volume, content, mode, secret)
SYNC_SECONDS = 60.0  # syncFrequency's default (pkg/kubelet/apis/config/v1beta1/defaults.go)
DEFAULT_MODE = 0o644  # ConfigMapVolumeSourceDefaultMode, SecretVolumeSourceDefaultMode, Projected…
# The API server extends the admission plugin's 3607 s tokens to a year (--service-account-extend-token-expiration,
# on by default) and says when a client should have refreshed them (`warnafter`); the kubelet fetches a new
# token once 80% of the requested lifetime has passed.
TOKEN_EXTENDED_SECONDS = 365 * 24 * 3600
TOKEN_REFRESH_FRACTION = 0.8
# How long past versions of a ConfigMap or Secret are kept: a pod needs one sync period's worth; an hour lets log
# lines (regenerated whenever they are read) keep showing what a file held when they were printed.
HISTORY_SECONDS = 3600.0


@attrs.frozen
class File:
    path: str  # absolute, inside the container
    content: str
    mode: int
    secret: bool  # from a Secret or a token: the dashboard masks it until asked


@attrs.frozen
class Mount:
    path: str
    volume: str
    source: str  # what the volume is made of, as describe words it: `ConfigMap app-config`, `EmptyDir`, …
    read_only: bool
    sub_path: str
    files: tuple[File, ...]


class ConfigHistory:
    """Past versions of ConfigMaps and Secrets, so files can show what the kubelet's last sync of a pod saw."""

    def __init__(self, store: Any, clock: Any) -> None:
        self.store, self.clock = store, clock
        self._versions: dict[tuple[str, str, str], list[tuple[float, Obj | None]]] = {}
        store.add_listener(self._on_event)

    def _on_event(self, event: WatchEvent) -> None:
        if event.resource not in ("configmaps", "secrets"):
            return
        meta = event.object["metadata"]
        key = (event.resource, meta.get("namespace", ""), meta["name"])
        now = self.clock.now()
        versions = self._versions.setdefault(key, [])
        if not versions:
            versions.append((-math.inf, event.old if event.type != "ADDED" else None))
        versions.append((now, None if event.type == "DELETED" else event.object))
        while len(versions) > 2 and versions[1][0] <= now - HISTORY_SECONDS:
            del versions[0]

    def at(self, resource: str, namespace: str, name: str, when: float) -> Obj | None:
        """The object as of `when`; after a deletion, the last version that existed (its files stay)."""
        versions = self._versions.get((resource, namespace, name))
        current = self.store.get(resource, namespace, name)
        if not versions or when >= versions[-1][0]:
            if current is not None:
                return current
            versions = versions or []
        # A pod that has not synced since a burst of updates looks back past all of them: by bisection, so that
        # 1,000 updates cost each read a few steps, not 1,000.
        index = bisect.bisect_right(versions, when, key=_stamp)
        for position in range(index - 1, -1, -1):  # past a deletion, to the last version that existed
            if versions[position][1] is not None:
                return versions[position][1]
        return None


def _stamp(version: tuple[float, Obj | None]) -> float:
    return version[0]


def last_sync(mounted_at: float, now: float) -> float:
    """When the kubelet last synced (re-mounted) a pod mounted at `mounted_at`."""
    if now <= mounted_at:
        return mounted_at
    return mounted_at + math.floor((now - mounted_at) / SYNC_SECONDS) * SYNC_SECONDS


def _mode(item: Obj, default: Any) -> int:
    mode = item.get("mode", default)
    return int(mode) if isinstance(mode, int) else DEFAULT_MODE


def _key_files(obj: Obj | None, source: Obj, secret: bool, default_mode: Any) -> list[Entry]:
    """(relative path, content, mode, secret) for a ConfigMap or Secret source, `items` or every key."""
    if obj is None:
        return []
    values: dict[str, str] = {}
    for key, value in (obj.get("data") or {}).items():
        values[key] = decoded(value) if secret else str(value)
    for key, value in (obj.get("binaryData") or {}).items():
        values[key] = decoded(value)
    items = source.get("items")
    if items:
        return [(str(i.get("path", i.get("key"))), values[i.get("key")], _mode(i, default_mode), secret)
                for i in items if isinstance(i, dict) and i.get("key") in values]
    return [(key, values[key], int(default_mode), secret) for key in sorted(values)]


def _downward_files(items: Any, pod: Obj, default_mode: Any, allocatable: Obj) -> list[Entry]:
    out = []
    spec = pod.get("spec") or {}
    for item in items or ():
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("fieldRef"), dict):
            path = str(item["fieldRef"].get("fieldPath", ""))
            value = _format_map(pod, path) if path in ("metadata.labels", "metadata.annotations") \
                else field_value(pod, path)
        elif isinstance(item.get("resourceFieldRef"), dict):
            ref = item["resourceFieldRef"]
            target = next((c for key in ("initContainers", "containers") for c in spec.get(key) or ()
                           if c.get("name") == ref.get("containerName")), None)
            value = resource_value(ref, target, allocatable)
        else:
            continue
        out.append((str(item.get("path", "")), value or "", _mode(item, default_mode), False))
    return out


def _format_map(pod: Obj, path: str) -> str:
    """fieldpath.FormatMap: sorted `key="value"` lines, the value Go-quoted."""
    values = (pod.get("metadata") or {}).get(path.split(".", 1)[1]) or {}
    return "\n".join(f"{k}={go_quote(str(values[k]))}" for k in sorted(values))


def _token(store: Any, pod: Obj, issued: float) -> str:
    """The bound service-account token the kubelet asked the API server for (TokenRequest bound to the pod,
    audience the API server's): signed with the cluster's key, so the API server takes it back."""
    meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
    namespace, sa_name = meta.get("namespace", ""), spec.get("serviceAccountName", "default")
    sa = store.get("serviceaccounts", namespace, sa_name) or {"metadata": {}}
    node = store.get("nodes", "", spec.get("nodeName", "")) or {"metadata": {}}
    signer = signer_for(store)
    # The key's id keys the cache too: tokens signed before the API server gave its kept key are signed anew.
    return _encoded_token(signer, signer.kid, namespace, sa_name, sa["metadata"].get("uid", ""),
                          spec.get("nodeName", ""), node["metadata"].get("uid", ""), meta.get("name", ""),
                          meta.get("uid", ""), int(issued))


# A token changes only when the kubelet refreshes it: reading 10,000 pods' files again and again must not
# sign each one again (the size covers the 10,000-pod benchmark; entries are about 1 KB).
@functools.lru_cache(maxsize=16384)
def _encoded_token(signer: Signer, kid: str, namespace: str, sa_name: str, sa_uid: str, node_name: str,
                   node_uid: str, pod_name: str, pod_uid: str, iat: int) -> str:
    def ref(name: str, uid: str) -> Obj:
        return {"metadata": {"name": name, "uid": uid, "namespace": namespace}}

    # The API server extends the admission plugin's 3607 s tokens to a year and says when a client should have
    # refreshed them (`warnafter`); the jti is made of the pod and the time, so runs stay reproducible.
    claims = bound_claims(ref(sa_name, sa_uid), [SERVICE_ACCOUNT_ISSUER], iat, TOKEN_EXTENDED_SECONDS,
                          pod=ref(pod_name, pod_uid), node=ref(node_name, node_uid), warn_after=iat + 3607,
                          jti=hashlib.sha256(f"{pod_uid}/{iat}".encode()).hexdigest()[:36])
    return signer.sign(claims)


def volume_files(store: Any, history: ConfigHistory, pod: Obj, volume: Obj, mounted_at: float, when: float,
                 allocatable: Obj) -> list[Entry]:
    """The files of one volume as the kubelet last wrote them before `when`."""
    namespace = (pod.get("metadata") or {}).get("namespace", "")
    synced = last_sync(mounted_at, when)

    def source_files(kind: str, source: Obj, default_mode: Any) -> list[Entry]:
        if kind == "configMap":
            obj = history.at("configmaps", namespace, str(source.get("name")), synced)
            return _key_files(obj, source, False, default_mode)
        name = source.get("secretName", source.get("name"))
        return _key_files(history.at("secrets", namespace, str(name), synced), source, True, default_mode)

    for kind in ("configMap", "secret"):
        if isinstance(volume.get(kind), dict):
            return source_files(kind, volume[kind], volume[kind].get("defaultMode", DEFAULT_MODE))
    if isinstance(volume.get("downwardAPI"), dict):
        source = volume["downwardAPI"]
        return _downward_files(source.get("items"), pod, source.get("defaultMode", DEFAULT_MODE), allocatable)
    projected = volume.get("projected")
    if not isinstance(projected, dict):
        return []
    default_mode = projected.get("defaultMode", DEFAULT_MODE)
    out: list[Entry] = []
    for item in projected.get("sources") or ():
        if not isinstance(item, dict):
            continue
        for kind in ("configMap", "secret"):
            if isinstance(item.get(kind), dict):
                out.extend(source_files(kind, item[kind], default_mode))
        if isinstance(item.get("downwardAPI"), dict):
            out.extend(_downward_files(item["downwardAPI"].get("items"), pod, default_mode, allocatable))
        token = item.get("serviceAccountToken")
        if isinstance(token, dict):
            lifetime = float(token.get("expirationSeconds") or 3600) * TOKEN_REFRESH_FRACTION
            issued = mounted_at + math.floor(max(0.0, when - mounted_at) / lifetime) * lifetime
            out.append((str(token.get("path", "token")), _token(store, pod, issued), int(default_mode), True))
    return out


def describe_source(volume: Obj) -> str:
    for kind, label, field in (("configMap", "ConfigMap", "name"), ("secret", "Secret", "secretName"),
                               ("persistentVolumeClaim", "PersistentVolumeClaim", "claimName"),
                               ("hostPath", "HostPath", "path")):
        if isinstance(volume.get(kind), dict):
            return f"{label} {volume[kind].get(field, '')}"
    for kind, label in (("projected", "Projected"), ("downwardAPI", "DownwardAPI"), ("emptyDir", "EmptyDir")):
        if kind in volume:
            return label
    return next((k for k in volume if k != "name"), "unknown")


def mounts_of(store: Any, history: ConfigHistory, pod: Obj, container: Obj, mounted_at: float, now: float,
              allocatable: Obj, pinned: dict[str, list[Entry]] | None = None) -> list[Mount]:
    """The container's mounts and the files in them. `pinned`: each subPath mount's files as of the container's
    creation (by mount path); without it, a subPath mount shows the volume as it is now."""
    volumes = {v.get("name"): v for v in (pod.get("spec") or {}).get("volumes") or () if isinstance(v, dict)}
    out = []
    for mount in container.get("volumeMounts") or ():
        if not isinstance(mount, dict) or mount.get("name") not in volumes:
            continue
        volume = volumes[mount["name"]]
        path = str(mount.get("mountPath", "")).rstrip("/") or "/"
        sub = str(mount.get("subPath") or "").strip("/")
        if sub and pinned is not None and path in pinned:
            entries = pinned[path]
        else:
            entries = volume_files(store, history, pod, volume, mounted_at, now, allocatable)
            if sub:
                entries = sub_path_entries(entries, sub)
        files = tuple(File(path if not rel else f"{path.rstrip('/')}/{rel}", content, mode, secret)
                      for rel, content, mode, secret in entries)
        out.append(Mount(path, str(mount["name"]), describe_source(volume), bool(mount.get("readOnly")),
                         sub, files))
    return out


def sub_path_entries(entries: list[Entry], sub: str) -> list[Entry]:
    """The part of a volume a subPath mount shows: the one file (at the mount path itself) or a directory."""
    out = []
    for rel, content, mode, secret in entries:
        if rel == sub:
            out.append(("", content, mode, secret))
        elif rel.startswith(sub + "/"):
            out.append((rel[len(sub) + 1:], content, mode, secret))
    return out


def pin_sub_paths(store: Any, history: ConfigHistory, pod: Obj, container: Obj, now: float,
                  allocatable: Obj) -> dict[str, list[Entry]]:
    """The subPath mounts' files as the container is created: they never change after that."""
    if not any(isinstance(m, dict) and m.get("subPath") for m in container.get("volumeMounts") or ()):
        return {}
    volumes = {v.get("name"): v for v in (pod.get("spec") or {}).get("volumes") or () if isinstance(v, dict)}
    pinned = {}
    for mount in container.get("volumeMounts") or ():
        if isinstance(mount, dict) and mount.get("subPath") and mount.get("name") in volumes:
            # The container is created in a pod sync, which re-mounted the volume just before: content as of now.
            entries = volume_files(store, history, pod, volumes[mount["name"]], now, now, allocatable)
            path = str(mount.get("mountPath", "")).rstrip("/") or "/"
            pinned[path] = sub_path_entries(entries, str(mount["subPath"]).strip("/"))
    return pinned
