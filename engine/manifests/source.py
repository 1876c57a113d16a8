"""A watched manifest folder as the declared desired state.

`ManifestSource.sync()` re-reads what changed, applies every valid document (Namespaces and other
cluster-scoped kinds first), and prunes what this folder applied before but no longer declares. Its rules:

- Per-document isolation: a document that fails keeps its last good version live and un-pruned, and its
  error stays until it is fixed. A file that does not parse at all keeps everything it declared before.
- Prune only from the inventory: objects this folder applied. Controller-made or imperatively made objects
  are never touched. Moving a document to another file or renaming a file is not a delete and a create.
- A folder that disappears keeps the last state and reports an error instead of pruning everything.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from .. import errors
from ..apply import apply_object
from ..kinds import REGISTRY
from ..store import deep_copy
from .diff import FieldDiff, diff, sync_status
from .loader import Document, LoadError, discover, field_position, load_file
from .writeback import WriteBackError, WriteResult, write_back

Obj = dict[str, Any]
ObjKey = tuple[str, str, str]  # (Kind, namespace or "", name)
HISTORY_LIMIT = 100
WATCH_STEP_MS = 30  # a burst of file events ends after this much quiet (an editor's write-rename save)
WATCH_DEBOUNCE_MS = 400  # …but a long burst (a git checkout) is applied at least this often
SELF_HEAL_DELAY = 5.0  # cluster seconds before an imperative change is reverted (Argo CD waits about as long)


@attrs.frozen
class InventoryEntry:
    """An object this folder applied, and the document that declares it."""

    key: ObjKey
    file: str
    index: int
    line: int
    declared: Obj
    uid: str = ""


@attrs.frozen
class SyncRecord:
    """One pass of `sync()`, for the dashboard's history of a folder."""

    at: float  # wall-clock time
    files: tuple[str, ...]
    created: tuple[ObjKey, ...] = ()
    updated: tuple[ObjKey, ...] = ()
    pruned: tuple[ObjKey, ...] = ()
    errors: tuple[LoadError, ...] = ()
    seconds: float = 0.0


def object_key(obj: Obj, default_namespace: str) -> ObjKey | None:
    """Identify a document even when it is invalid, so its last good version can be kept."""
    kind = obj.get("kind")
    meta = obj.get("metadata")
    if not isinstance(kind, str) or not isinstance(meta, dict) or not isinstance(meta.get("name"), str):
        return None
    info = REGISTRY.by_kind(kind)
    namespaced = info.namespaced if info is not None else bool(meta.get("namespace"))
    namespace = (meta.get("namespace") or default_namespace) if namespaced else ""
    return kind, str(namespace), meta["name"]


# Kinds every Kubernetes user knows that the engine does not serve yet: say so instead of "no matches".
KNOWN_UNSUPPORTED = frozenset({
    "StatefulSet", "DaemonSet", "Job", "CronJob", "Ingress", "HorizontalPodAutoscaler", "PersistentVolumeClaim",
    "PersistentVolume", "ServiceAccount", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding",
    "NetworkPolicy", "PodDisruptionBudget", "StorageClass", "CustomResourceDefinition", "EndpointSlice",
    "LimitRange", "ResourceQuota", "PriorityClass", "IngressClass",
})


def unsupported_kind(obj: Obj) -> str | None:
    kind = obj.get("kind")
    if isinstance(kind, str) and kind in KNOWN_UNSUPPORTED and REGISTRY.by_kind(kind) is None:
        return (f'kind "{kind}" ({obj.get("apiVersion", "?")}) is a Kubernetes kind that k9py does not '
                "simulate yet; the document was skipped")
    return None


def live_changes(declared: Obj, live: Obj) -> dict[str, Any]:
    """Field path -> live value for the fields write-back may carry into a file: replicas and images."""
    changes: dict[str, Any] = {}
    spec, live_spec = declared.get("spec") or {}, live.get("spec") or {}
    if "replicas" in live_spec and live_spec.get("replicas") != spec.get("replicas", 1):
        changes["spec.replicas"] = live_spec["replicas"]
    pod_path = "spec.template.spec" if "template" in spec else "spec"
    declared_pod = (spec.get("template") or {}).get("spec") if "template" in spec else spec
    live_pod = (live_spec.get("template") or {}).get("spec") if "template" in spec else live_spec
    for group in ("initContainers", "containers"):
        live_images = {c.get("name"): c.get("image") for c in (live_pod or {}).get(group) or ()}
        for container in (declared_pod or {}).get(group) or ():
            name = container.get("name")
            if name in live_images and live_images[name] != container.get("image"):
                changes[f"{pod_path}.{group}[name={name}].image"] = live_images[name]
    return changes


def apply_changes(obj: Obj, changes: dict[str, Any]) -> None:
    """Set `changes` (paths as `live_changes` writes them) inside a plain dict."""
    for path, value in changes.items():
        node: Any = obj
        parts = re.findall(r"\[name=([^\]]+)\]|([^.\[\]]+)", path)
        for i, (selector, key) in enumerate(parts):
            last = i == len(parts) - 1
            if selector:
                node = next(c for c in node if c.get("name") == selector)
            elif last:
                node[key] = value
            else:
                node = node.setdefault(key, {})


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _apply_rank(doc: Document) -> int:
    kind = doc.obj.get("kind")
    if kind == "Namespace":
        return 0
    info = REGISTRY.by_kind(str(kind))
    return 1 if info is not None and not info.namespaced else 2


class ManifestSource:
    def __init__(self, api: Any, root: str | Path, *, namespace: str = "default", self_heal: bool = False,
                 self_heal_delay: float = SELF_HEAL_DELAY) -> None:
        self.api = api
        self.root = Path(root)
        self.namespace = namespace
        self.self_heal = self_heal
        self.self_heal_delay = self_heal_delay
        self._heal_pending: set[ObjKey] = set()
        self.inventory: dict[ObjKey, InventoryEntry] = {}
        self._sync_cache: dict[ObjKey, tuple[Obj, str | None, str]] = {}  # see sync_statuses
        self.errors: dict[str, list[LoadError]] = {}  # file -> its current errors
        self.history: deque[SyncRecord] = deque(maxlen=HISTORY_LIMIT)
        self._documents: dict[str, list[Document]] = {}  # file -> last successfully parsed documents
        self._stamps: dict[str, tuple[int, int]] = {}  # file -> (mtime_ns, size) when last read
        self._own_writes: dict[str, str] = {}  # file -> digest of content k9py itself wrote
        self.listeners: list[Callable[[SyncRecord], None]] = []
        api.store.add_listener(self._on_store_event)

    # --- reading -------------------------------------------------------------------------------------------

    @property
    def all_errors(self) -> list[LoadError]:
        return sorted((e for errs in self.errors.values() for e in errs), key=lambda e: (e.file, e.line))

    @property
    def document_count(self) -> int:
        return sum(len(docs) for docs in self._documents.values())

    def expect_own_write(self, file: str | Path, digest: str) -> None:
        """A write-back is about to change `file` to content with this sha256: not a user edit."""
        self._own_writes[str(file)] = digest

    def _changed_files(self) -> tuple[list[Path], set[str], list[LoadError]]:
        """Files to re-read, files that vanished, and discovery errors."""
        files, discover_errors = discover(self.root)
        present = {str(p) for p in files}
        changed = []
        for path in files:
            try:
                stat = path.stat()
            except OSError:
                continue
            stamp = (stat.st_mtime_ns, stat.st_size)
            if self._stamps.get(str(path)) != stamp:
                changed.append(path)
        vanished = set(self._documents) - present
        return changed, vanished, discover_errors

    # --- syncing -------------------------------------------------------------------------------------------

    def sync(self, paths: set[str] | None = None) -> SyncRecord:
        """Re-read changed files (all changed files when `paths` is None), apply, prune; never raises."""
        started = time.perf_counter()
        if not self.root.exists():
            message = ("watched folder is missing; keeping the last applied state" if self._documents
                       else "no such file or directory")
            error = LoadError(str(self.root), 0, message)
            self.errors = {str(self.root): [error]}
            return self._record([], (), (), (), [error], started)
        self.errors.pop(str(self.root), None)
        changed, vanished, discover_errors = self._changed_files()
        if paths is not None:
            wanted = {str(Path(p)) for p in paths}
            changed = [p for p in changed if str(p) in wanted] + [
                p for p in changed if str(p) not in wanted and str(p) not in self._stamps]
        touched: list[str] = []
        for path in changed:
            name = str(path)
            docs, load_errors = load_file(path)
            try:
                stat = path.stat()
                self._stamps[name] = (stat.st_mtime_ns, stat.st_size)
            except OSError:
                self._stamps.pop(name, None)
            self.errors[name] = list(load_errors)
            if load_errors and not docs and name in self._documents:
                touched.append(name)
                continue  # the file no longer parses: keep what it declared before it broke
            self._documents[name] = docs
            if self._own_writes.pop(name, None) == _digest(path):
                # k9py wrote this file itself (write-back): the cluster already matches it.
                self._refresh_locations(name, docs)
                continue
            touched.append(name)
        for name in vanished:
            touched.append(name)
            self._documents.pop(name, None)
            self._stamps.pop(name, None)
            self.errors.pop(name, None)
        for error in discover_errors:
            self.errors.setdefault(error.file, []).append(error)
        if not touched:
            return self._record([], (), (), (), [], started, quiet=True)
        created, updated, pruned, apply_errors = self._apply_all(set(touched))
        return self._record(touched, created, updated, pruned, apply_errors, started)

    def _refresh_locations(self, name: str, docs: list[Document]) -> None:
        for doc in docs:
            key = object_key(doc.obj, self.namespace)
            entry = self.inventory.get(key) if key else None
            if entry is not None:
                self.inventory[key] = attrs.evolve(entry, file=name, index=doc.index, line=doc.line, declared=doc.obj)

    def _apply_all(self, touched: set[str]) -> tuple[list[ObjKey], list[ObjKey], list[ObjKey], list[LoadError]]:
        declared: dict[ObjKey, Document] = {}
        keep: set[ObjKey] = set()  # declared but invalid: keep the last good version
        new_errors: list[LoadError] = []
        everything = [d for name in sorted(self._documents) for d in self._documents[name]]
        for doc in everything:
            key = object_key(doc.obj, self.namespace)
            if key is None:
                # Without a kind or a name it cannot be applied; the API says exactly what is missing.
                try:
                    apply_object(self.api, doc.obj, self.namespace)
                except errors.ApiError as exc:
                    new_errors.append(self._document_error(doc, exc))
                continue
            if key in declared:
                first = declared[key]
                kind, ns, name = key
                message = (f'{kind} {ns + "/" if ns else ""}{name} is declared twice: here and at {first.where}; '
                           "only the first is applied")
                new_errors.append(LoadError(doc.file, doc.line, message))
                continue
            declared[key] = doc
        created: list[ObjKey] = []
        updated: list[ObjKey] = []
        # Only documents of files that changed are applied again; drift elsewhere is left for self-heal.
        for key, doc in sorted(declared.items(), key=lambda kv: (_apply_rank(kv[1]), kv[1].file, kv[1].line)):
            entry = self.inventory.get(key)
            if doc.file not in touched and entry is not None:
                self.inventory[key] = attrs.evolve(entry, file=doc.file, index=doc.index, line=doc.line)
                continue
            unsupported = unsupported_kind(doc.obj)
            if unsupported:
                new_errors.append(LoadError(doc.file, doc.line, unsupported))
                continue
            before = self.api.store.get(REGISTRY.by_kind(key[0]).resource, key[1], key[2]) \
                if REGISTRY.by_kind(key[0]) else None
            try:
                live = apply_object(self.api, doc.obj, self.namespace)
            except errors.ApiError as exc:
                new_errors.append(self._document_error(doc, exc))
                keep.add(key)
                continue
            if before is None:
                created.append(key)
            elif live is not before:
                updated.append(key)
            self.inventory[key] = InventoryEntry(key, doc.file, doc.index, doc.line, doc.obj,
                                                 live["metadata"].get("uid", ""))
        for error in new_errors:
            self.errors.setdefault(error.file, []).append(error)
        pruned = self._prune(set(declared), keep)
        return created, updated, pruned, new_errors

    def _prune(self, declared: set[ObjKey], keep: set[ObjKey]) -> list[ObjKey]:
        pruned = []
        for key, entry in list(self.inventory.items()):
            if key in declared or key in keep:
                continue
            info = REGISTRY.by_kind(key[0])
            if info is None:
                del self.inventory[key]
                continue
            live = self.api.store.get(info.resource, key[1], key[2])
            # Only the object this folder made: one re-created by someone else since is not ours to delete.
            if live is not None and live["metadata"].get("uid") == entry.uid:
                try:
                    self.api.delete(info, key[2], key[1] or None)
                except errors.ApiError:
                    pass
                pruned.append(key)
            del self.inventory[key]
        return pruned

    def _document_error(self, doc: Document, exc: errors.ApiError) -> LoadError:
        """An API refusal placed at the offending field's line and column when the error names a field."""
        causes = (exc.status.get("details") or {}).get("causes") or []
        field = next((c.get("field") for c in causes if c.get("field")), None)
        position = None
        if field and doc.item is None:
            try:
                position = field_position(Path(doc.file).read_text(encoding="utf-8"), doc.index, field)
            except OSError:
                position = None
        line, column = position or (doc.line, 0)
        return LoadError(doc.file, line, exc.message, column)

    def _record(self, files: list[str], created: Any, updated: Any, pruned: Any, errs: list[LoadError],
                started: float, quiet: bool = False) -> SyncRecord:
        record = SyncRecord(time.time(), tuple(sorted(files)), tuple(created), tuple(updated), tuple(pruned),
                            tuple(errs), time.perf_counter() - started)
        if not quiet:
            self.history.append(record)
            for listener in self.listeners:
                listener(record)
        return record

    # --- drift ---------------------------------------------------------------------------------------------

    def _live(self, key: ObjKey) -> Obj | None:
        info = REGISTRY.by_kind(key[0])
        return self.api.store.get(info.resource, key[1], key[2]) if info is not None else None

    def drift(self, key: ObjKey) -> list[FieldDiff]:
        """What differs between the declared document and the live object (defaults and status ignored)."""
        entry = self.inventory[key]
        return diff(entry.declared, self._live(key))

    def sync_statuses(self) -> dict[ObjKey, str]:
        """Synced or OutOfSync for every object this folder declares.

        The dashboard asks every second or two; a status is recomputed (a field-by-field diff) only when the
        declared document or the live object changed since it was last asked.
        """
        statuses: dict[ObjKey, str] = {}
        cache: dict[ObjKey, tuple[Obj, str | None, str]] = {}
        for key, entry in self.inventory.items():
            live = self._live(key)
            version = live["metadata"].get("resourceVersion") if live is not None else None
            hit = self._sync_cache.get(key)
            if hit is not None and hit[0] is entry.declared and hit[1] == version:
                status = hit[2]
            else:
                status = sync_status(entry.declared, live)
            statuses[key], cache[key] = status, (entry.declared, version, status)
        self._sync_cache = cache
        return statuses

    def resync(self, keys: list[ObjKey] | None = None) -> SyncRecord:
        """Re-apply the declared documents (all OutOfSync objects by default), undoing imperative changes."""
        started = time.perf_counter()
        if keys is None:
            keys = [k for k, status in self.sync_statuses().items() if status == "OutOfSync"]
        created, updated, problems = [], [], []
        for key in keys:
            entry = self.inventory.get(key)
            if entry is None:
                continue
            before = self._live(key)
            try:
                live = apply_object(self.api, entry.declared, self.namespace)
            except errors.ApiError as exc:
                problems.append(LoadError(entry.file, entry.line, exc.message))
                continue
            (created if before is None else updated).append(key)
            self.inventory[key] = attrs.evolve(entry, uid=live["metadata"].get("uid", ""))
        return self._record([], created, updated, (), problems, started)

    def write_back_live(self, key: ObjKey) -> WriteResult | None:
        """Write the live replicas and container images of a drifted object into the document that declares it.

        Only those two kinds of field are written, and only where they differ. Returns None when there is
        nothing to write; raises WriteBackError when the file cannot be safely edited.
        """
        entry = self.inventory[key]
        live = self._live(key)
        if live is None:
            raise WriteBackError(f"{key[0]} {key[2]} no longer exists in the cluster: nothing to write back")
        changes = live_changes(entry.declared, live)
        if not changes:
            return None
        path = Path(entry.file)
        if not path.resolve().is_relative_to(self.root.resolve()):
            raise WriteBackError(f"{entry.file} is outside the watched folder {self.root}")
        result = write_back(path, entry.index, changes, expected=entry.declared)
        # No await between the write and this line, so the watcher cannot see the change before it knows it.
        self.expect_own_write(entry.file, result.digest)
        declared = deep_copy(entry.declared)
        apply_changes(declared, changes)
        self.inventory[key] = attrs.evolve(entry, declared=declared)
        return result

    def _on_store_event(self, event: Any) -> None:
        """With self-heal on, an imperative change to a declared object is reverted after a short delay."""
        if not self.self_heal or event.resource == "events":
            return
        meta = event.object["metadata"]
        key = (event.object.get("kind", ""), meta.get("namespace", ""), meta.get("name", ""))
        if key not in self.inventory or key in self._heal_pending:
            return
        self._heal_pending.add(key)
        self.api.clock.call_later(self.self_heal_delay, lambda: self._heal(key))

    def _heal(self, key: ObjKey) -> None:
        self._heal_pending.discard(key)
        entry = self.inventory.get(key)
        if entry is not None and sync_status(entry.declared, self._live(key)) == "OutOfSync":
            self.resync([key])

    # --- watching ------------------------------------------------------------------------------------------

    async def watch(self, stop: asyncio.Event | None = None) -> None:
        """Sync on every burst of file changes until `stop` is set (or the task is cancelled)."""
        from watchfiles import awatch

        self.sync()
        watch_root = self.root if self.root.exists() else self.root.parent
        async for changes in awatch(watch_root, debounce=WATCH_DEBOUNCE_MS, step=WATCH_STEP_MS,
                                    stop_event=stop, recursive=True, ignore_permission_denied=True):
            paths = {path for _, path in changes}
            self.sync(paths)
