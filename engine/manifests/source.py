"""A watched manifest folder (or single file) as the declared desired state.

`ManifestSource.sync()` re-reads what changed, applies every valid document (Namespaces and other
cluster-scoped kinds first) by server-side apply as the `k9py` field manager (apply.py), and prunes what this
folder applied before but no longer declares. Drift follows field ownership (drift.py). Its rules:

- Per-document isolation: a document that fails keeps its last good version live, and its error stays until it
  is fixed; every valid document beside it is still applied.
- Prune only from the inventory: objects this folder applied. Controller-made or imperatively made objects
  are never touched. Moving a document to another file or renaming a file is not a delete and a create.
- Prune must be certain, as with `kubectl apply --prune` and Argo CD: a file any of whose documents failed (to
  parse, to be a mapping, to name a known kind, to have a name, or to be accepted by the API) prunes nothing, and
  neither does a file under a folder that cannot be read. A valid file that stops declaring an object, an empty
  file and a vanished file prune only once they have stayed so for `PRUNE_QUIET_SECONDS`: editors truncate
  before writing, write half a file, or rename the old file away before the new one appears, and none of those
  passing states is what the user declared.
- A folder that disappears keeps the last state and reports an error instead of pruning everything.
- `sync()` never raises: whatever goes wrong becomes an error the dashboard and `check` show.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import logging
import os
import stat
import time
import traceback
from collections import deque
from collections.abc import Callable, Container, Iterable, Iterator
from pathlib import Path
from typing import Any

import attrs

from .. import errors
from ..kinds import REGISTRY
from ..kinds.hpa_v1 import as_stored
from ..store import deep_copy
from .apply import server_side_apply
from .bulk_read import load_files
from .config_docs import ConfigKind, config_kind
from .diff import FieldDiff, Select, parse_path
from .drift import applied_fields, drift
from .hpa_owned import respecting_hpa
from .loader import Document, LoadError, list_files, placed_error, shown_path
from .loader import discover_stats as discover  # every manifest file, with the stat its type was read from
from .writeback import WriteBackError, WriteResult, write_back

Obj = dict[str, Any]
ObjKey = tuple[str, str, str]  # (Kind, namespace or "", name)
DocId = tuple[str, int, int | None]  # (file, document index, item in a `kind: List`)
HISTORY_LIMIT = 100
SELF_HEAL_DELAY = 5.0  # cluster seconds before an imperative change is reverted (Argo CD waits about as long)
# Wall-clock seconds a file must stay as it is before what it no longer declares is pruned. It measures editors
# and git, not the cluster, so it is not on the cluster clock (a paused or 64x clock must not change it). vim's
# rename-then-write leaves a file missing for 30+ ms; a git checkout of a large tree takes a second or so.
PRUNE_QUIET_SECONDS = 2.0

# A sync of a folder of this many files pauses Python's cyclic garbage collector while it reads and applies.
# A first load of 100,000 documents builds a million objects that live as long as the folder is watched, and
# the collector would walk them over and over as they pile up (a second of 8 at 100,000 ConfigMaps, profiled);
# after the sync, one collection sees them. The pause only ever lasts one sync, and never changes the
# collector's thresholds, which are the application's to set (engine/tuning.py).
BULK_FILES = 5_000

log = logging.getLogger("engine.manifests")


@contextlib.contextmanager
def _collector_paused(pause: bool) -> Iterator[None]:
    if not pause or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@attrs.frozen
class InventoryEntry:
    """An object this folder applied, and the document that declares it."""

    key: ObjKey
    file: str
    index: int
    line: int
    declared: Obj
    uid: str = ""
    item: int | None = None  # its position inside a `kind: List` document
    # What `k9py` owned right after it applied `declared` (its managedFields Apply entry). While the live object's
    # entry is still this set, nobody has changed a declared field: any write that changes a field takes it from
    # its owners. So a Synced object costs a set comparison, not a dry-run apply (see `_in_sync`).
    applied: Obj | None = None


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
    pending: tuple[ObjKey, ...] = ()  # no longer declared: pruned once their file has stayed so for the quiet period


@attrs.frozen
class FileState:
    """A manifest file as last read."""

    stamp: tuple[int, ...]  # what stat says; a change means the file must be read again
    documents: tuple[Document, ...]
    load_errors: tuple[LoadError, ...]
    since: float  # monotonic time this content was first seen: how long the file has stayed as it is


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
    "CustomResourceDefinition", "VolumeAttachment", "CSIDriver", "RuntimeClass",
    "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "APIService", "ReplicationController",
})


def unsupported_kind(obj: Obj) -> str | None:
    kind = obj.get("kind")
    if isinstance(kind, str) and kind in KNOWN_UNSUPPORTED and REGISTRY.by_kind(kind) is None:
        return (f'kind "{kind}" ({obj.get("apiVersion", "?")}) is a Kubernetes kind that k9py does not '
                "simulate yet; the document was skipped")
    return None


def _holder(obj: Any, path: str) -> tuple[Any, str | int] | None:
    """The container of the field at `path` (diff.py's syntax) in a plain document, and its key there; None when
    the document does not declare that field. A `[key=value]` item must be the only one with that value, as
    write-back requires of the file."""
    parts = parse_path(path)
    node = obj
    for part in parts[:-1]:
        if isinstance(part, Select):
            found = [item for item in node if isinstance(item, dict) and str(item.get(part.key)) == part.value] \
                if isinstance(node, list) else []
            if len(found) != 1:
                return None
            node = found[0]
        elif isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                return None
            node = node[part]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    last = parts[-1]
    if isinstance(last, Select):
        return None
    present = (isinstance(node, dict) and isinstance(last, str) and last in node) or (
        isinstance(node, list) and isinstance(last, int) and last < len(node))
    return (node, last) if present else None


def live_changes(declared: Obj, diffs: Iterable[FieldDiff]) -> dict[str, Any]:
    """Field path -> live value for each field the document declares whose live value differs: what write-back
    carries into the file. Fields the live object lacks, or holds without the document declaring them, have no
    value to write (re-sync is what settles those)."""
    return {d.path: d.live for d in diffs if d.kind == "changed" and _holder(declared, d.path) is not None}


def apply_changes(obj: Obj, changes: dict[str, Any]) -> None:
    """Set `changes` (paths as `live_changes` gives them, each one the document declares) inside a plain dict."""
    for path, value in changes.items():
        found = _holder(obj, path)
        if found is not None:
            node, key = found
            node[key] = value


def owned_as_applied(declared: Obj, live: Obj) -> Obj | None:
    """What `k9py` owns of `live` right after applying `declared`, for `_in_sync`; None when the document has a
    field the API does not store as written (a Secret's write-only `stringData`, folded into `data`): a change
    to what it became would move no field of k9py's, so only a dry-run apply can tell."""
    if any(name not in live for name in declared if name not in ("apiVersion", "kind", "status")):
        return None
    spec, live_spec = declared.get("spec"), live.get("spec")
    if isinstance(spec, dict) and "replicas" in spec and (live_spec or {}).get("replicas") != spec["replicas"]:
        return None  # applied with the live count an HPA set (hpa_owned.py), not the declared one
    return applied_fields(live)


def drift_relevant(live: Obj | None) -> Any:
    """What of a live object drift can depend on: all but its resourceVersion, its status and the managedFields
    entries of status writes (a controller's constant status updates leave it as it was). Compared with `==`,
    which stops at once on the subtrees a status write left in place."""
    if live is None:
        return None
    meta = live["metadata"]
    # Dicts, not item lists: an object read by GET and the same one from a list differ in their keys' order.
    return ({k: v for k, v in live.items() if k not in ("metadata", "status")},
            {k: v for k, v in meta.items() if k not in ("resourceVersion", "managedFields")},
            [e for e in meta.get("managedFields") or () if e.get("subresource") != "status"])


def _digest_if_regular(path: Path) -> str | None:
    """The sha256 of a regular file's bytes; None for anything else (a FIFO must never be opened here)."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return None
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _stamp(info: os.stat_result) -> tuple[int, ...]:
    """What stat says of a file. The inode and ctime catch a save by rename and a same-size rewrite within the
    kernel's coarse mtime tick."""
    return info.st_mtime_ns, info.st_ctime_ns, info.st_size, info.st_ino, info.st_dev


def _stat_or_none(name: str) -> os.stat_result | None:
    try:
        return os.stat(name)
    except (OSError, ValueError):
        return None


def _doc_id(doc: Document) -> DocId:
    return doc.file, doc.index, doc.item


def _apply_rank(doc: Document) -> int:
    kind = doc.obj.get("kind")
    if kind == "Namespace":
        return 0
    info = REGISTRY.by_kind(str(kind))
    return 1 if info is not None and not info.namespaced else 2


def _config_of(values: dict[DocId, tuple[ConfigKind, Any]], kind: ConfigKind) -> list[Any]:
    """The values of one configuration kind, in file order."""
    return [value for doc_id, (k, value) in sorted(values.items(), key=lambda i: (i[0][0], i[0][1], i[0][2] or 0))
            if k is kind]


def _under(file: str, folder: str) -> bool:
    return file == folder or file.startswith(folder.rstrip(os.sep) + os.sep)


class ManifestSource:
    def __init__(self, api: Any, root: str | Path, *, namespace: str = "default", self_heal: bool = False,
                 self_heal_delay: float = SELF_HEAL_DELAY, prune_quiet: float = PRUNE_QUIET_SECONDS,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.api = api
        self.root = Path(root)  # as the user gave it: files are named under it, as they typed it
        self.namespace = namespace
        self.self_heal = self_heal
        self.self_heal_delay = self_heal_delay
        self.prune_quiet = prune_quiet
        self._monotonic = monotonic
        self._heal_pending: set[ObjKey] = set()
        self.inventory: dict[ObjKey, InventoryEntry] = {}
        self._sync_cache: dict[ObjKey, tuple[Obj, Any, str]] = {}  # see sync_statuses
        self.errors: dict[str, list[LoadError]] = {}  # file -> its current errors
        self.history: deque[SyncRecord] = deque(maxlen=HISTORY_LIMIT)
        self._files: dict[str, FileState] = {}
        self._vanished: dict[str, float] = {}  # file -> when it was first seen missing
        self._apply_errors: dict[DocId, LoadError] = {}  # the API's refusal of a document, until it is accepted
        self._declared_twice: list[LoadError] = []
        self._discover_errors: list[LoadError] = []
        self._root_error: LoadError | None = None  # the folder is missing, or a sync failed unexpectedly
        self._watch_error: LoadError | None = None  # the watch cannot work; see `watch`
        self._own_writes: dict[str, str] = {}  # file -> digest of content k9py itself wrote
        self.pending_prune: tuple[ObjKey, ...] = ()
        # Configuration documents of k9py's components (config_docs.py): this sync's, and the last good value of
        # each handed to its component, with the refusals of those that failed.
        self._config_docs: list[tuple[Document, ConfigKind]] = []
        self._config_values: dict[DocId, tuple[ConfigKind, Any]] = {}
        self._config_errors: dict[DocId, tuple[LoadError, ...]] = {}
        self.listeners: list[Callable[[SyncRecord], None]] = []
        api.store.add_listener(self._on_store_event)

    # --- reading -------------------------------------------------------------------------------------------

    @property
    def all_errors(self) -> list[LoadError]:
        return sorted((e for errs in self.errors.values() for e in errs), key=lambda e: (e.file, e.line))

    @property
    def document_count(self) -> int:
        return sum(len(state.documents) for state in self._files.values())

    def expect_own_write(self, file: str | Path, digest: str) -> None:
        """A write-back is about to change `file` to content with this sha256: not a user edit."""
        self._own_writes[str(file)] = digest

    def _read_changed(self, files: list[tuple[str, os.stat_result | None]], forced: set[str], now: float
                      ) -> list[str]:
        """Re-read every file whose stat changed (or that a watch event named); the files whose content did.
        `files` are as `discover` lists them, each with the stat it just took (or as `list_files` lists a folder
        read for the first time, without one: the stat of the opened file is taken instead)."""
        touched = []
        changed = []
        for name, info in files:
            state = self._files.get(name)
            if state is not None and info is not None and _stamp(info) == state.stamp \
                    and os.path.abspath(name) not in forced:
                continue
            changed.append((name, info, state))
        loaded = load_files([(name, info) for name, info, _ in changed])  # many at once: on two cores
        for (name, info, state), result in zip(changed, loaded, strict=True):
            if result is None:
                continue  # listed, and gone by the time it was opened: as if it had not been listed
            docs, load_errors, opened = result
            stamped = info or opened or _stat_or_none(name)  # the last: a listed file refused before opening
            stamp = _stamp(stamped) if stamped is not None else ()
            documents, problems = tuple(docs), tuple(load_errors)
            if state is not None and (documents, problems) == (state.documents, state.load_errors):
                self._files[name] = attrs.evolve(state, stamp=stamp)  # touched, not changed
                continue
            self._files[name] = FileState(stamp, documents, problems, now)
            self._vanished.pop(name, None)
            touched.append(name)
        return touched

    # --- syncing -------------------------------------------------------------------------------------------

    def sync(self, paths: Iterable[str] | None = None) -> SyncRecord:
        """Re-read changed files, apply, prune what is due; never raises.

        `paths` are the files a watch event named: they are read again even when stat shows no change (a save of
        the same size within one mtime tick).
        """
        started = time.perf_counter()
        try:
            return self._sync({os.path.abspath(p) for p in paths or ()}, started)
        except Exception as exc:  # a bug here must never stop the watch or lose what is running: report it
            log.error("sync of %s failed:\n%s", self.root, traceback.format_exc())
            self._root_error = LoadError(str(self.root), 0, f"k9py could not sync this folder, so nothing was "
                                                            f"pruned ({type(exc).__name__}: {exc})")
            self._collect_errors()
            return self._record([], (), (), (), [self._root_error], started)

    def _sync(self, forced: set[str], started: float) -> SyncRecord:
        now = self._monotonic()
        if not self.root.exists():
            message = ("watched folder is missing; keeping the last applied state" if self._files or self.inventory
                       else "no such file or directory")
            error = LoadError(str(self.root), 0, message)
            repeated = error == self._root_error
            self._root_error = error
            self._collect_errors()
            return self._record([], (), (), (), [error], started, quiet=repeated)
        self._root_error = None
        # A folder read for the first time is listed without a stat a file (the stat comes with each read).
        files, self._discover_errors = discover(self.root) if self._files else list_files(self.root)
        with _collector_paused(len(files) >= BULK_FILES):
            touched = self._read_changed(files, forced, now)
            present = {name for name, _ in files}
            for name in set(self._files) - present:
                del self._files[name]
                self._vanished.setdefault(name, now)
                touched.append(name)
            own = {name for name in touched if name in self._own_writes
                   and self._own_writes.pop(name) == _digest_if_regular(Path(name))}
            created, updated, pruned = self._apply_all(set(touched), own, now)
        self._collect_errors()
        user_files = sorted(name for name in touched if name not in own)
        if not (user_files or created or updated or pruned):
            return self._record([], (), (), (), [], started, quiet=True)
        # What the user must hear about: every current error of the files this save touched.
        problems = sorted((e for name in user_files for e in self.errors.get(name, ())),
                          key=lambda e: (e.file, e.line, e.column))
        return self._record(user_files, created, updated, pruned, problems, started)

    def _collect_errors(self) -> None:
        errors_by_file: dict[str, list[LoadError]] = {}
        everything = [e for state in self._files.values() for e in state.load_errors]
        everything += [*self._apply_errors.values(), *self._declared_twice, *self._discover_errors]
        everything += [e for refused in self._config_errors.values() for e in refused]
        everything += [e for e in (self._root_error, self._watch_error) if e is not None]
        for error in everything:
            errors_by_file.setdefault(error.file, []).append(error)
        self.errors = errors_by_file

    def _declared(self, touched: Container[str] = ()) -> tuple[dict[ObjKey, Document], list[Document]]:
        """Every document that names its object, first declaration first (later ones are errors); and the
        documents of the `touched` files that name none."""
        declared: dict[ObjKey, Document] = {}
        nameless: list[Document] = []
        self._declared_twice = []
        self._config_docs = []
        for name in sorted(self._files):
            for doc in self._files[name].documents:
                kind = config_kind(doc.obj)
                if kind is not None:
                    self._config_docs.append((doc, kind))
                    continue
                key = object_key(doc.obj, self.namespace)
                if key is None:
                    if name in touched:
                        nameless.append(doc)
                    continue
                first = declared.get(key)
                if first is None:
                    declared[key] = doc
                    continue
                what = shown_path(f'{key[0]} {key[1] + "/" if key[1] else ""}{key[2]}')
                self._declared_twice.append(LoadError(doc.file, doc.line, (
                    f"{what} is declared twice: here and at {shown_path(first.where)}; only the first is applied")))
        return declared, nameless

    def _apply_all(self, touched: set[str], own: set[str], now: float
                   ) -> tuple[list[ObjKey], list[ObjKey], list[ObjKey]]:
        declared, nameless = self._declared(touched)
        for doc_id in [d for d in self._apply_errors if d[0] in touched]:
            del self._apply_errors[doc_id]
        # A document without a kind or a name cannot be applied; the API says exactly what is missing.
        for doc in nameless:
            self._try_apply(doc)
        created: list[ObjKey] = []
        updated: list[ObjKey] = []
        ranks: dict[str, int] = {}  # by kind

        def order(item: tuple[ObjKey, Document]) -> tuple[int, str, int]:
            doc = item[1]
            rank = ranks.get(item[0][0])
            if rank is None:
                rank = ranks[item[0][0]] = _apply_rank(doc)
            return rank, doc.file, doc.line

        for key, doc in sorted(declared.items(), key=order):
            entry = self.inventory.get(key)
            unchanged = entry is not None and entry.declared == doc.obj and _doc_id(doc) not in self._apply_errors
            if unchanged and (doc.file not in touched or doc.file in own):
                # Only its place may have moved; k9py's own write-back already matches the cluster. Drift of an
                # unchanged document is left for self-heal or a re-sync, as Argo CD leaves it without selfHeal.
                self.inventory[key] = attrs.evolve(entry, file=doc.file, index=doc.index, line=doc.line,
                                                   item=doc.item)
                continue
            before = self._live(key)
            live = self._try_apply(doc)
            if live is None:
                continue
            if before is None:
                created.append(key)
            elif live is not before:
                updated.append(key)
            uid = live["metadata"].get("uid", "")
            self.inventory[key] = InventoryEntry(key, doc.file, doc.index, doc.line, doc.obj, uid, doc.item,
                                                 owned_as_applied(doc.obj, live))
        pruned = self._configure(touched, now, created, updated)
        pruned += self._prune(set(declared), now)
        return created, updated, pruned

    def _configure(self, touched: set[str], now: float, created: list[ObjKey], updated: list[ObjKey]
                   ) -> list[ObjKey]:
        """Read the configuration documents (config_docs.py) and hand each component its folder's values when they
        changed; the keys of the values dropped. Sets `pending_prune` to those that wait for their file's quiet."""
        failed, unreadable = self._failed_files()
        values: dict[DocId, tuple[ConfigKind, Any]] = {}
        refused: dict[DocId, tuple[LoadError, ...]] = {}
        firsts: dict[tuple[str, str], Document] = {}
        for doc, kind in self._config_docs:  # few, and cheap to read: all of them, so the first of a name wins
            doc_id = _doc_id(doc)
            before = self._config_values.get(doc_id)
            value, problems = kind.read(doc.obj)
            name = None if problems else kind.name(value)
            first = firsts.setdefault((kind.kind, name), doc) if name is not None else doc
            if first is not doc:
                refused[doc_id] = (LoadError(doc.file, doc.line, (
                    f"{kind.kind} {name} is declared twice: here and at {shown_path(first.where)}; only the first "
                    "is used")),)
            elif problems:  # each at its field's line, as the component would list them all
                known = self._config_errors.get(doc_id)
                refused[doc_id] = known if known is not None and doc.file not in touched else tuple(
                    self._field_error(doc, p.field, p.message) for p in problems)
                if before is not None:
                    values[doc_id] = before  # a document that fails keeps its last good value
            else:
                values[doc_id] = (kind, value)
                if before is None or before[1] != value:
                    (updated if before is not None else created).append((kind.kind, "", name or ""))
        self._config_errors = refused
        present = {_doc_id(doc) for doc, _ in self._config_docs}
        dropped, pending = [], []
        for doc_id, (kind, value) in self._config_values.items():
            if doc_id in present:
                continue
            file, since = doc_id[0], self._stable_since(doc_id[0])
            key = (kind.kind, "", kind.name(value) or "")
            if file in failed or any(_under(file, folder) for folder in unreadable):
                values[doc_id] = (kind, value)  # a broken file keeps its last values until it is valid again
            elif since is not None and now - since < self.prune_quiet:
                values[doc_id] = (kind, value)
                pending.append(key)
            else:
                dropped.append(key)
        previous, self._config_values = self._config_values, values
        for kind in {kind.kind: kind for kind, _ in (*previous.values(), *values.values())}.values():
            if _config_of(values, kind) != _config_of(previous, kind):
                kind.declare(self.api.store, self, _config_of(values, kind))
        self.pending_prune = tuple(pending)
        return dropped

    def _try_apply(self, doc: Document) -> Obj | None:
        """Apply one document: the object as stored, or None when refused. A refusal is kept as an error until the
        document is accepted."""
        problem = unsupported_kind(doc.obj)
        error = LoadError(doc.file, doc.line, problem) if problem else None
        live = None
        if error is None:
            try:
                live = server_side_apply(self.api, self._respecting_hpa(doc.obj), self.namespace)
            except errors.ApiError as exc:
                error = self._document_error(doc, exc)
        if error is None:
            self._apply_errors.pop(_doc_id(doc), None)
            return live
        self._apply_errors[_doc_id(doc)] = error
        return None

    def _failed_files(self) -> tuple[set[str], list[str]]:
        """Files with any failed document, and folders that could not be read: neither prunes anything."""
        failed = {e.file for state in self._files.values() for e in state.load_errors}
        failed |= {e.file for e in self._apply_errors.values()} | {e.file for e in self._declared_twice}
        failed |= {e.file for e in self._discover_errors} | {doc_id[0] for doc_id in self._config_errors}
        return failed, [e.file for e in self._discover_errors]

    def _stable_since(self, file: str) -> float | None:
        state = self._files.get(file)
        return state.since if state is not None else self._vanished.get(file)

    def _prune(self, declared: set[ObjKey], now: float) -> list[ObjKey]:
        failed, unreadable = self._failed_files()
        pruned, pending = [], []
        for key, entry in list(self.inventory.items()):
            if key in declared:
                continue
            if entry.file in failed or any(_under(entry.file, folder) for folder in unreadable):
                continue  # its file is broken: its last good declaration stands until the file is valid again
            since = self._stable_since(entry.file)
            if since is not None and now - since < self.prune_quiet:
                pending.append(key)
                continue
            info = REGISTRY.by_kind(key[0])
            live = self._live(key)
            # Only the object this folder made: one re-created by someone else since is not ours to delete.
            if info is not None and live is not None and live["metadata"].get("uid") == entry.uid:
                try:
                    self.api.delete(info, key[2], key[1] or None)
                except errors.ApiError:
                    pass
                pruned.append(key)
            del self.inventory[key]
        remembered = {e.file for e in self.inventory.values()} | {doc_id[0] for doc_id in self._config_values}
        for name in [n for n in self._vanished if n not in remembered]:
            del self._vanished[name]
        self.pending_prune += tuple(pending)
        return pruned

    def _document_error(self, doc: Document, exc: errors.ApiError) -> LoadError:
        """An API refusal placed at the offending field's line and column when the error names a field."""
        causes = (exc.status.get("details") or {}).get("causes") or []
        field = next((c.get("field") for c in causes if c.get("field")), None)
        return self._field_error(doc, field, exc.message)

    def _field_error(self, doc: Document, field: str | None, message: str) -> LoadError:
        """An error placed at the line and column of `field` in the document, else at the document's start."""
        return placed_error(doc, field, message)

    def _record(self, files: list[str], created: Any, updated: Any, pruned: Any, errs: list[LoadError],
                started: float, quiet: bool = False) -> SyncRecord:
        record = SyncRecord(time.time(), tuple(files), tuple(created), tuple(updated), tuple(pruned),
                            tuple(errs), time.perf_counter() - started, self.pending_prune)
        if not quiet:
            self.history.append(record)
            for listener in self.listeners:
                listener(record)
        return record

    def _respecting_hpa(self, doc: Obj) -> Obj:
        """The document as applied: in the version the engine stores (an autoscaling/v1 HPA as v2, as the API
        server converts it), and an HPA-scaled object with its live replicas (hpa_owned.py)."""
        doc = as_stored(doc)
        key = object_key(doc, self.namespace)
        return respecting_hpa(self.api.store, doc, self._live(key)) if key is not None else doc

    # --- drift ---------------------------------------------------------------------------------------------

    def _live(self, key: ObjKey) -> Obj | None:
        info = REGISTRY.by_kind(key[0])
        return self.api.store.get(info.resource, key[1], key[2]) if info is not None else None

    def _in_sync(self, entry: InventoryEntry, live: Obj | None) -> bool:
        """The cheap proof of Synced: the object this folder applied, whose declared fields `k9py` still owns
        exactly as its last apply left them. Every write through the API that changes a field moves it to the
        writer (an Update takes what it changes, a forced apply what it takes; a non-forced one is refused), so
        no declared value can have changed since."""
        if live is None or entry.applied is None or live["metadata"].get("uid") != entry.uid:
            return False
        fields = applied_fields(live)
        return fields is entry.applied or fields == entry.applied

    def drift(self, key: ObjKey) -> list[FieldDiff]:
        """What re-applying the declared document would change in the live object, and the declared fields
        another manager has taken (see drift.py); each names its owners. Defaults and status are never drift."""
        entry = self.inventory[key]
        live = self._live(key)
        if self._in_sync(entry, live):
            return []
        return drift(self.api, entry.declared, live, self.namespace)

    def sync_statuses(self) -> dict[ObjKey, str]:
        """Synced or OutOfSync for every object this folder declares.

        The dashboard asks every second or two. An object whose declared fields `k9py` still owns as it applied
        them is Synced at the cost of a set comparison; any other is compared by a dry-run apply, again only when
        the declared document or something of the live object but its status changed since it was last asked.
        """
        statuses: dict[ObjKey, str] = {}
        cache: dict[ObjKey, tuple[Obj, Any, str]] = {}
        for key, entry in self.inventory.items():
            live = self._live(key)
            if self._in_sync(entry, live):
                statuses[key] = "Synced"
                continue
            seen = drift_relevant(live)
            hit = self._sync_cache.get(key)
            if hit is not None and hit[0] is entry.declared and hit[1] == seen:
                status = hit[2]
            else:
                status = "OutOfSync" if drift(self.api, entry.declared, live, self.namespace) else "Synced"
            statuses[key], cache[key] = status, (entry.declared, seen, status)
        self._sync_cache = cache
        return statuses

    def _apply_declared(self, entry: InventoryEntry, declared: Obj) -> InventoryEntry:
        """Apply a declared document again (server-side, forced: fields other managers took come back to
        `k9py`); the entry as it then stands. Raises the API's refusal."""
        live = server_side_apply(self.api, self._respecting_hpa(declared), self.namespace)
        return attrs.evolve(entry, declared=declared, uid=live["metadata"].get("uid", ""),
                            applied=owned_as_applied(declared, live))

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
                self.inventory[key] = self._apply_declared(entry, entry.declared)
            except errors.ApiError as exc:
                problems.append(LoadError(entry.file, entry.line, exc.message))
                continue
            (created if before is None else updated).append(key)
        return self._record([], created, updated, (), problems, started)

    def write_back_live(self, key: ObjKey) -> WriteResult | None:
        """Write the live values of the fields a drifted object's document declares into that document.

        Only declared fields whose live value differs are written. The document is then applied again, so `k9py`
        owns the fields it now declares (as a sync of a commit would). Returns None when there is nothing to write;
        raises WriteBackError when the file cannot be safely edited.
        """
        # A save the watcher has not seen yet is the user's latest word: apply it first, never write over it.
        self.sync()
        entry = self.inventory.get(key)
        if entry is None:
            raise WriteBackError(f"{key[0]} {key[2]} is no longer declared in {self.root}: nothing to write back")
        if self._live(key) is None:
            raise WriteBackError(f"{key[0]} {key[2]} no longer exists in the cluster: nothing to write back")
        changes = live_changes(entry.declared, self.drift(key))
        if not changes:
            return None
        path = Path(entry.file)
        if not path.resolve().is_relative_to(self.root.resolve()):
            raise WriteBackError(f"{entry.file} is outside the watched folder {self.root}")
        result = write_back(path, entry.index, changes, item=entry.item, expected=entry.declared)
        if not result.changed:
            return result
        declared = deep_copy(entry.declared)
        apply_changes(declared, changes)
        try:
            self.inventory[key] = self._apply_declared(entry, declared)
        except errors.ApiError:
            return result  # not marked as k9py's own write: the watcher reads the file and reports the refusal
        # No await between the write and this line, so the watcher cannot see the change before it knows it.
        self.expect_own_write(entry.file, result.digest)
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
        if key in self.inventory and self.drift(key):
            self.resync([key])

    # --- watching ------------------------------------------------------------------------------------------

    def report_watch_problem(self, message: str | None) -> None:
        """The watch cannot work (or works again): shown with the folder's errors, in the header and `:src`."""
        self._watch_error = LoadError(str(self.root), 0, message) if message else None
        self._collect_errors()

    async def watch(self, stop: asyncio.Event | None = None) -> None:
        """Sync on every burst of file changes until `stop` is set (or the task is cancelled)."""
        from .watch import watch_source

        await watch_source(self, stop or asyncio.Event())
