"""A watched folder applied to a real cluster (`k9py --kubeconfig PATH DIR`), as `kubectl apply --server-side
--prune --applyset` does it.

What is pure is the engine's: files are read and parsed by engine/manifests/loader (errors at file:line:column,
duplicate keys, editors' droppings), objects keyed as a folder keys them (source.object_key), refusals placed on
the offending field (loader.field_position), drift compared and written back as on the simulated cluster
(drift.predicted_drift on the API server's dry-run answer, diff.diff when it refuses one; writeback). What talks
to the cluster is here:

- Every valid document is applied by server-side apply as the field manager `k9py`, forced (`fieldManager=k9py,
  force=true`), labelled `applyset.kubernetes.io/part-of=<id>`. The ApplySet's parent is a ConfigMap,
  `k9py-<folder>` in the default namespace, labelled `applyset.kubernetes.io/id=<id>` (the id as KEP-3659 and
  kubectl compute it) and annotated with its tooling, the group-kinds and the other namespaces its members live
  in; it is updated to the superset before members are applied and to exactly the applied set after a prune.
- Prune only from the inventory: objects of the parent's group-kinds, in its namespaces, that carry its part-of
  label and that no document declares any more; deleted with the uid as a precondition. Never while a file has an
  error (a half-written file must not delete anything), and only once an object has been undeclared for
  PRUNE_QUIET_SECONDS. The first prune of a session is not done but asked: `prune_request` holds the objects and
  what a server-side dry-run delete said of each, for the dashboard to confirm (`prune(confirmed)`).
- Sync status as Argo CD's server-side diff (`ServerSideDiff=true`) decides it: the document applied with
  `dryRun=All` as `k9py`, the object the API server would store compared with the live one (engine/manifests/
  drift.predicted_drift). Fields other managers set that the document does not declare are not drift; a declared
  field another manager took from `k9py` is, even at the declared value. Once an HPA scales the object, the
  document's `spec.replicas` is its initial size only (engine/manifests/hpa_owned.py): applied as the live count,
  never drift. A dry run costs a request, so it is made only when the document or the live object (but its
  status) changed since the last one; an object whose declared fields `k9py` still owns as its last apply left
  them is Synced without one. Unlike Argo CD, what a mutating webhook adds at the dry run is not taken out
  (gitops-engine's removeWebhookMutation): a webhook that sets a field differently on every request shows as drift.
- Write-back (`w`): the live values of the drifted fields the document declares, written into its file by
  engine/manifests/writeback (a splice that keeps every other byte, the right `kind: List` item, an atomic
  replace that refuses if the file changed meanwhile), then the document applied again so `k9py` owns them.
- Self-heal (opt-in, named by context on the command line): an object OutOfSync for SELF_HEAL_DELAY seconds is
  applied again.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import hashlib
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.kinds import REGISTRY, KindInfo
from engine.manifests.diff import FieldDiff, diff
from engine.manifests.drift import applied_fields, predicted_drift
from engine.manifests.hpa_owned import scaled_by, with_live_replicas, without_replicas
from engine.manifests.loader import Document, LoadError, list_files, load_file, placed_error
from engine.manifests.source import (
    PRUNE_QUIET_SECONDS,
    SELF_HEAL_DELAY,
    apply_changes,
    drift_relevant,
    live_changes,
    object_key,
    owned_as_applied,
)
from engine.manifests.writeback import WriteBackError, WriteResult, write_back

from .kube_client import KubeClient, KubeError
from .kube_paths import collection_path, object_path

Obj = dict[str, Any]
ObjKey = tuple[str, str, str]  # (Kind, namespace or "", name)
FIELD_MANAGER = "k9py"
APPLY_PATCH = "application/apply-patch+yaml"
PART_OF = "applyset.kubernetes.io/part-of"
PARENT_ID = "applyset.kubernetes.io/id"
TOOLING = "applyset.kubernetes.io/tooling"
GROUP_KINDS = "applyset.kubernetes.io/contains-group-kinds"
NAMESPACES = "applyset.kubernetes.io/additional-namespaces"
TOOLING_VALUE = "k9py/v0.1.0"
# `failed to create typed patch object (ns/web; apps/v1, Kind=Deployment): .spec.replicas: expected numeric…`
TYPED_PATCH_FIELD = re.compile(r"^failed to create typed patch object \([^)]*\): \.(\S+?): ")
HPA_INFO = REGISTRY.resolve("HorizontalPodAutoscaler")


def applyset_id(name: str, namespace: str, kind: str = "ConfigMap", group: str = "") -> str:
    """KEP-3659's id of a parent: base64url(sha256(<name>.<namespace>.<kind>.<group>)), unpadded, in applyset-…-v1."""
    digest = hashlib.sha256(".".join((name, namespace, kind, group)).encode()).digest()
    return f"applyset-{base64.urlsafe_b64encode(digest).decode().rstrip('=')}-v1"


def group_kind(info: KindInfo) -> str:
    """`Deployment.apps`, `Service`: how the parent's contains-group-kinds names a kind."""
    return f"{info.kind}.{info.group}" if info.group else info.kind


def parent_name(root: Path) -> str:
    name = "".join(c if c.isalnum() else "-" for c in (root.resolve().name or "root").lower()).strip("-")
    return f"k9py-{name or 'folder'}"[:63]


def _apply_rank(doc: Document) -> int:
    kind = doc.obj.get("kind")
    info = REGISTRY.by_kind(str(kind))
    return 0 if kind == "Namespace" else 1 if info is not None and not info.namespaced else 2


@dataclass
class Declared:
    """A document this folder applies, and what the cluster said of it last."""

    doc: Document
    info: KindInfo
    body: Obj  # as applied: namespace filled in, the part-of label added
    live: Obj | None = None
    out_of_sync_since: float | None = None
    drift: list[FieldDiff] = field(default_factory=list)  # as last judged; [] is Synced (when live is there)
    uid: str = ""  # of the object k9py's last apply made or updated
    applied: Obj | None = None  # k9py's fields right after that apply: while live has them so, it is Synced
    judged: tuple[Obj, Any] | None = None  # (body, drift_relevant(live)) the last dry run was made for


class _Autoscalers:
    """The HorizontalPodAutoscalers of each namespace, listed once per pass over a folder (only when a document
    that declares `spec.replicas` needs them)."""

    def __init__(self, client: KubeClient) -> None:
        self.client = client
        self.found: dict[str, list[Obj]] = {}

    async def scaling(self, body: Obj) -> bool:
        """Whether an HPA scales the object `body` declares."""
        spec = body.get("spec")
        info = REGISTRY.by_kind(str(body.get("kind")))
        if info is None or not info.scalable or not isinstance(spec, dict) or "replicas" not in spec:
            return False
        namespace = str(body["metadata"].get("namespace") or "")
        if namespace not in self.found:
            try:
                listed = await self.client.request("GET", collection_path(HPA_INFO, namespace))
            except KubeError:
                listed = {}  # not allowed to list them (RBAC): the document's replicas are the folder's
            self.found[namespace] = list(listed.get("items") or ())
        return scaled_by(self.found[namespace], body) is not None


@dataclass
class PruneRequest:
    """The first prune of a session, waiting for the user: the objects and the dry-run delete's word on each."""

    folder: KubeFolder
    keys: tuple[ObjKey, ...]
    preview: tuple[str, ...]


@dataclass
class SyncResult:
    applied: list[ObjKey] = field(default_factory=list)
    pruned: list[ObjKey] = field(default_factory=list)
    errors: list[LoadError] = field(default_factory=list)


class KubeFolder:
    def __init__(
        self,
        client: KubeClient,
        root: str | Path,
        *,
        namespace: str = "default",
        self_heal: bool = False,
        prune_quiet: float = PRUNE_QUIET_SECONDS,
    ) -> None:
        self.client = client
        self.root = Path(root)
        self.namespace = namespace
        self.self_heal = self_heal
        self.prune_quiet = prune_quiet
        self.parent = parent_name(self.root)
        self.id = applyset_id(self.parent, namespace)
        self.declared: dict[ObjKey, Declared] = {}
        self.errors: list[LoadError] = []
        self.prune_confirmed = False  # the user said yes once: later prunes go ahead as on the simulated cluster
        self.prune_request: PruneRequest | None = None
        self._declined: set[ObjKey] = set()
        self._absent_since: dict[ObjKey, float] = {}
        self._candidates: dict[ObjKey, str] = {}  # undeclared members found by label -> uid
        self._stamps: dict[str, tuple[int, int]] = {}
        # One thing at a time: a write-back must not interleave with the watcher's sync of the same files.
        self.lock = asyncio.Lock()

    # --- reading the folder ------------------------------------------------------------------------------------

    def _stamp_files(self) -> dict[str, tuple[int, int]]:
        files, _ = list_files(self.root)
        out = {}
        for name, info in files:
            try:
                stat = info or os.stat(name)
            except OSError:
                continue
            out[name] = (stat.st_mtime_ns, stat.st_size)
        return out

    def changed(self) -> bool:
        return self._stamp_files() != self._stamps

    def _load(self) -> tuple[list[Document], list[LoadError]]:
        self._stamps = self._stamp_files()
        files, errors = list_files(self.root)
        docs: list[Document] = []
        for name, info in files:
            found, problems = load_file(name, info=info)
            docs += found
            errors += problems
        return docs, errors

    def _field_error(self, doc: Document, exc: KubeError) -> LoadError:
        """The API server's refusal at the line and column of the field it names, else at the document's start."""
        causes = exc.details.get("causes") or []
        name = next((str(c["field"]) for c in causes if c.get("field")), None)
        if name is None and (typed := TYPED_PATCH_FIELD.search(exc.message)) is not None:
            name = typed[1]  # the structured-merge decoder names the field in its message only
        return placed_error(doc, name, exc.message)

    def _body(self, doc: Document, info: KindInfo) -> Obj:
        meta = dict(doc.obj.get("metadata") or {})
        if info.namespaced:
            meta["namespace"] = meta.get("namespace") or self.namespace
        else:
            meta.pop("namespace", None)
        meta["labels"] = {**(meta.get("labels") or {}), PART_OF: self.id}
        return {**doc.obj, "metadata": meta}

    # --- applying ------------------------------------------------------------------------------------------------

    async def _apply(self, body: Obj, info: KindInfo, dry_run: bool = False) -> Obj:
        meta = body["metadata"]
        query = {"fieldManager": FIELD_MANAGER, "force": True, "dryRun": "All" if dry_run else None}
        path = object_path(info, meta["name"], meta.get("namespace"))
        return await self.client.request("PATCH", path, query, body=body, content_type=APPLY_PATCH)

    async def _apply_parent(self, kinds: set[str], namespaces: set[str]) -> None:
        annotations = {TOOLING: TOOLING_VALUE, GROUP_KINDS: ",".join(sorted(kinds))}
        others = sorted(n for n in namespaces if n and n != self.namespace)
        if others:
            annotations[NAMESPACES] = ",".join(others)
        body = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": self.parent,
                "namespace": self.namespace,
                "labels": {PARENT_ID: self.id},
                "annotations": annotations,
            },
        }
        await self._apply(body, REGISTRY.resolve("ConfigMap"))

    async def _parent(self) -> Obj | None:
        try:
            return await self.client.request(
                "GET", object_path(REGISTRY.resolve("ConfigMap"), self.parent, self.namespace)
            )
        except KubeError as exc:
            if exc.code == 404:
                return None
            raise

    async def check(self) -> tuple[list[ObjKey], list[LoadError]]:
        """`k9py check DIR --kubeconfig`: every document through a server-side dry-run apply (nothing changes);
        the objects the API server accepted, and its refusals at file:line:column."""
        docs, errors = self._load()
        accepted: list[ObjKey] = []
        namespaces = {str((d.obj.get("metadata") or {}).get("name")) for d in docs if d.obj.get("kind") == "Namespace"}
        for doc in sorted(docs, key=_apply_rank):
            info = REGISTRY.by_kind(str(doc.obj.get("kind")))
            key = object_key(doc.obj, self.namespace)
            if info is None or key is None:
                missing = (
                    f"no kind {doc.obj.get('kind')!r} known to k9py"
                    if info is None
                    else "metadata.name: Required value"
                )
                errors.append(LoadError(doc.file, doc.line, missing))
                continue
            try:
                await self._apply(self._body(doc, info), info, dry_run=True)
            except KubeError as exc:
                # A namespace the folder declares is not created by a dry run: what goes in it cannot be checked.
                if not (exc.code == 404 and key[1] in namespaces):
                    errors.append(self._field_error(doc, exc))
                    continue
            accepted.append(key)
        return accepted, errors

    async def sync(self) -> SyncResult:
        """Apply the folder, then find what it no longer declares (pruned now, later, or once confirmed)."""
        async with self.lock:
            return await self._sync()

    async def _sync(self) -> SyncResult:
        before = self._stamps
        try:
            return await self._apply_folder(before)
        except KubeError:
            self._stamps = before  # not applied (the server did not answer): the watcher tries again
            raise

    async def _apply_folder(self, before: dict[str, tuple[int, int]]) -> SyncResult:
        result = SyncResult()
        refused = {e.file for e in self.errors}
        docs, errors = self._load()
        touched = {name for name, stamp in self._stamps.items() if before.get(name) != stamp} | refused
        declared: dict[ObjKey, Declared] = {}
        for doc in docs:
            info = REGISTRY.by_kind(str(doc.obj.get("kind")))
            key = object_key(doc.obj, self.namespace)
            if info is None:
                errors.append(LoadError(doc.file, doc.line, f"no kind {doc.obj.get('kind')!r} known to k9py"))
            elif key is None:
                errors.append(LoadError(doc.file, doc.line, "metadata.name: Required value"))
            else:
                declared[key] = Declared(doc, info, self._body(doc, info))
        # A file that fails to load keeps its last good declarations: they stay declared (and are not pruned).
        broken = {e.file for e in errors}
        for key, old in self.declared.items():
            if old.doc.file in broken and key not in declared:
                declared[key] = old
        kinds = {group_kind(d.info) for d in declared.values()}
        namespaces = {key[1] for key in declared}
        parent = await self._parent()
        known = set(((parent or {}).get("metadata", {}).get("annotations") or {}).get(GROUP_KINDS, "").split(","))
        known_ns = set(((parent or {}).get("metadata", {}).get("annotations") or {}).get(NAMESPACES, "").split(","))
        await self._apply_parent(kinds | (known - {""}), namespaces | (known_ns - {""}))  # the superset first
        hpas = _Autoscalers(self.client)
        for key, entry in sorted(declared.items(), key=lambda i: (_apply_rank(i[1].doc), i[1].doc.file)):
            old = self.declared.get(key)
            if old is entry:
                continue  # kept from a broken file, as it was
            if old is not None:
                if entry.doc.file not in touched and old.doc.obj == entry.doc.obj:
                    # Unchanged, in a file nobody saved: its drift is left for S, w or self-heal, as the simulated
                    # folder leaves it (and Argo CD without selfHeal), not reverted by a save of another file.
                    old.doc = entry.doc
                    declared[key] = old
                    continue
                entry.live, entry.uid, entry.applied = old.live, old.uid, old.applied
            if entry.doc.file in broken:
                await self._judge(entry, hpas)  # not applied: how the live object differs from it
                continue
            try:
                await self._apply_declared(entry, hpas)
                result.applied.append(key)
            except KubeError as exc:
                errors.append(self._field_error(entry.doc, exc))
                await self._judge(entry, hpas)
        self.declared, self.errors = declared, errors
        result.errors = errors
        await self._find_candidates(known | kinds, known_ns | namespaces)
        result.pruned = await self._prune_due()
        if not self._candidates:
            await self._apply_parent(kinds, namespaces)  # nothing left to prune: exactly what is applied
        return result

    async def _members(self, scopes: set[tuple[KindInfo, str | None]]) -> dict[ObjKey, Obj]:
        """The live members of this ApplySet (by its part-of label) of each (kind, namespace or None): one list
        request each. A scope the server refuses to list is left out."""
        found: dict[ObjKey, Obj] = {}
        for info, ns in sorted(scopes, key=lambda s: (s[0].kind, s[1] or "")):
            try:
                listed = await self.client.request(
                    "GET", collection_path(info, ns), {"labelSelector": f"{PART_OF}={self.id}"}
                )
            except KubeError:
                continue
            for obj in listed.get("items") or ():
                meta = obj["metadata"]
                # A list's items carry no kind of their own: as a GET of each would show them.
                obj.setdefault("apiVersion", info.api_version)
                obj.setdefault("kind", info.kind)
                found[(info.kind, meta.get("namespace", "") if info.namespaced else "", meta["name"])] = obj
        return found

    async def _find_candidates(self, kinds: set[str], namespaces: set[str]) -> None:
        """Members of this ApplySet (by its part-of label) that no document declares."""
        scopes: set[tuple[KindInfo, str | None]] = set()
        for gk in sorted(k for k in kinds if k):
            kind, _, group = gk.partition(".")
            info = REGISTRY.by_kind(kind)
            if info is not None and info.group == group:
                names = sorted(n for n in namespaces | {self.namespace} if n) if info.namespaced else [None]
                scopes |= {(info, ns) for ns in names}
        members = await self._members(scopes)
        found = {k: str(obj["metadata"].get("uid", "")) for k, obj in members.items() if k not in self.declared}
        now = time.monotonic()
        self._absent_since = {k: self._absent_since.get(k, now) for k in found}
        self._candidates = found
        self._declined &= set(found)

    async def prune_due(self) -> list[ObjKey]:
        """Delete the candidates that have stayed undeclared for the quiet period, unless a file is broken; the
        session's first prune becomes a request for the user instead."""
        async with self.lock:
            return await self._prune_due()

    async def _prune_due(self) -> list[ObjKey]:
        if self.errors or not self._candidates:
            return []
        now = time.monotonic()
        due = [
            k
            for k in sorted(self._candidates)
            if now - self._absent_since[k] >= self.prune_quiet and k not in self._declined
        ]
        if not due:
            return []
        if not self.prune_confirmed:
            if self.prune_request is None or set(self.prune_request.keys) != set(due):
                self.prune_request = PruneRequest(self, tuple(due), tuple([await self._preview(k) for k in due]))
            return []
        return await self._delete(due)

    async def _preview(self, key: ObjKey) -> str:
        info = REGISTRY.resolve(key[0])
        what = f"{info.singular_name}/{key[2]}" + (f" in {key[1]}" if key[1] else "")
        try:
            # Said in the body too: kube-apiserver reads a DELETE's options from its body when it has one.
            options = {**self._delete_options(key), "dryRun": ["All"]}
            await self.client.request(
                "DELETE", object_path(info, key[2], key[1] or None), {"dryRun": "All"}, body=options
            )
        except KubeError as exc:
            return f"{what}: {exc.message}"
        return f"{what} would be deleted"

    def _delete_options(self, key: ObjKey) -> Obj:
        return {
            "kind": "DeleteOptions",
            "apiVersion": "v1",
            "propagationPolicy": "Background",
            "preconditions": {"uid": self._candidates[key]},
        }

    async def _delete(self, keys: list[ObjKey]) -> list[ObjKey]:
        pruned = []
        for key in keys:
            info = REGISTRY.resolve(key[0])
            try:
                await self.client.request(
                    "DELETE", object_path(info, key[2], key[1] or None), body=self._delete_options(key)
                )
            except KubeError as exc:
                if exc.code not in (404, 409):  # gone already, or re-created by someone else since: not ours
                    self.errors.append(LoadError(str(self.root), 0, f"prune {key[0]} {key[2]}: {exc.message}"))
                    continue
            pruned.append(key)
            self._candidates.pop(key, None)
        if not self._candidates:
            kinds = {group_kind(d.info) for d in self.declared.values()}
            await self._apply_parent(kinds, {k[1] for k in self.declared})
        return pruned

    async def prune(self, confirmed: bool) -> list[ObjKey]:
        """The user's answer to `prune_request`: delete them (and from now on prune without asking), or keep them
        until what the folder leaves out changes."""
        request, self.prune_request = self.prune_request, None
        if request is None:
            return []
        if not confirmed:
            self._declined |= set(request.keys)
            return []
        self.prune_confirmed = True
        async with self.lock:
            return await self._delete([k for k in request.keys if k in self._candidates])

    # --- the live objects ------------------------------------------------------------------------------------------

    async def _get(self, entry: Declared) -> Obj | None:
        """The declared object as it is live; None when it does not exist."""
        meta = entry.body["metadata"]
        try:
            return await self.client.request("GET", object_path(entry.info, meta["name"], meta.get("namespace")))
        except KubeError as exc:
            if exc.code == 404:
                return None
            raise

    async def _apply_declared(self, entry: Declared, hpas: _Autoscalers) -> None:
        """Apply the document (forced: the fields other managers took come back to `k9py`); Synced after. Once an
        HPA scales the object, with the live replica count (hpa_owned.py). Raises the API server's refusal."""
        body = entry.body
        if await hpas.scaling(body) and (live := await self._get(entry)) is not None:
            body = with_live_replicas(body, live)
        live = await self._apply(body, entry.info)
        entry.live, entry.uid = live, str(live["metadata"].get("uid", ""))
        entry.applied = owned_as_applied(entry.body, live)
        # What a forced apply stored is what applying it again would store: no dry run needed to know.
        entry.drift, entry.judged, entry.out_of_sync_since = [], None, None

    async def _judge(self, entry: Declared, hpas: _Autoscalers) -> None:
        """`entry.drift` for `entry.live`, as Argo CD's server-side diff finds it: the document applied with
        `dryRun=All` as `k9py`, compared with the live object (engine/manifests/drift.predicted_drift).

        Cheap when nothing changed: the object k9py applied, whose fields k9py still owns exactly as that apply left
        them, cannot have had a declared value changed (every write that changes a field takes it from k9py), so it
        is Synced without a request; otherwise the last answer stands until the document or the live object (but
        its status) changes."""
        live = entry.live
        if live is None:
            entry.drift, entry.judged = diff(entry.body, None), None
            return
        if (
            entry.applied is not None
            and live["metadata"].get("uid") == entry.uid
            and applied_fields(live) == entry.applied
        ):
            entry.drift = []
            return
        seen = drift_relevant(live)
        if entry.judged is not None and entry.judged[0] is entry.body and entry.judged[1] == seen:
            return
        scaled = await hpas.scaling(entry.body)
        try:
            for _attempt in range(3):
                body = with_live_replicas(entry.body, live) if scaled else entry.body
                predicted = await self._apply(body, entry.info, dry_run=True)
                # A dry run answers from the object as it is now (its resourceVersion unchanged): when a controller
                # wrote it since `live` was read (the revision annotation after `kubectl set image`), that write
                # is not drift. Compared with the object the dry run saw, read again (dry run again only when it
                # has moved on once more).
                version = predicted["metadata"].get("resourceVersion")
                if version != live["metadata"].get("resourceVersion") and (fresh := await self._get(entry)):
                    live = entry.live = fresh
                    seen = drift_relevant(live)
                    if version != live["metadata"].get("resourceVersion"):
                        continue
                break
        except KubeError as exc:
            if exc.code == 0 or exc.code >= 500:
                return  # the server is not answering: the last judgement stands, and is made again next time
            # Refused (an immutable field that changed, a webhook): compared client-side, as the engine does.
            drift = diff(entry.body, live)
        else:
            drift = predicted_drift(body, live, predicted, FIELD_MANAGER)
        entry.drift = without_replicas(drift) if scaled else drift
        entry.judged = (entry.body, seen)

    async def refresh(self) -> list[ObjKey]:
        """Fetch every declared object as it is live and judge its sync; self-heal what has been OutOfSync long
        enough (returned)."""
        async with self.lock:
            healed = []
            now = time.monotonic()
            hpas = _Autoscalers(self.client)
            # One list per kind and namespace, not a GET per object: what a list misses (the label taken off, or
            # the object gone) is asked for by name.
            members = await self._members({(e.info, k[1] or None) for k, e in self.declared.items()})
            for key, entry in list(self.declared.items()):
                try:
                    entry.live = members[key] if key in members else await self._get(entry)
                except KubeError:
                    continue  # not answering now: judged again at the next refresh
                await self._judge(entry, hpas)
                if not entry.drift:
                    entry.out_of_sync_since = None
                    continue
                entry.out_of_sync_since = entry.out_of_sync_since or now
                if self.self_heal and now - entry.out_of_sync_since >= SELF_HEAL_DELAY:
                    try:
                        await self._apply_declared(entry, hpas)
                        healed.append(key)
                    except KubeError as exc:
                        error = self._field_error(entry.doc, exc)
                        if error not in self.errors:
                            self.errors.append(error)
            return healed

    async def resync(self, keys: list[ObjKey] | None = None) -> list[ObjKey]:
        """Apply the documents of `keys` again (of every OutOfSync object by default)."""
        async with self.lock:
            hpas = _Autoscalers(self.client)
            done = []
            for key in keys if keys is not None else [k for k, e in self.declared.items() if e.drift]:
                await self._apply_declared(self.declared[key], hpas)
                done.append(key)
            return done

    async def write_back(self, key: ObjKey) -> WriteResult | None:
        """Write the live values of the fields a drifted object's document declares into that document, then apply
        it again so `k9py` owns them (Synced). Only declared fields whose live value differs are written, never
        what the server or a controller filled in. None when there is nothing to write; WriteBackError when the
        object is gone or the file cannot be edited safely."""
        async with self.lock:
            if self.changed():
                await self._sync()  # a save not applied yet is the user's latest word: apply it, never write over it
            entry = self.declared.get(key)
            if entry is None:
                raise WriteBackError(f"{key[0]} {key[2]} is no longer declared in {self.root}: nothing to write back")
            entry.live = await self._get(entry)
            if entry.live is None:
                raise WriteBackError(f"{key[0]} {key[2]} no longer exists in the cluster: nothing to write back")
            hpas = _Autoscalers(self.client)
            await self._judge(entry, hpas)
            changes = live_changes(entry.doc.obj, entry.drift)
            if not changes:
                return None
            path = Path(entry.doc.file)
            if not path.resolve().is_relative_to(self.root.resolve()):
                raise WriteBackError(f"{entry.doc.file} is outside the watched folder {self.root}")
            # The document and each changed field must still read as they did (else the user edited them since).
            result = write_back(path, entry.doc.index, changes, item=entry.doc.item, expected=entry.doc.obj)
            if result.changed and self._reread(key, changes):
                try:
                    await self._apply_declared(self.declared[key], hpas)
                except KubeError as exc:
                    self.errors.append(self._field_error(self.declared[key].doc, exc))
            return result

    def _reread(self, key: ObjKey, changes: dict[str, Any]) -> bool:
        """After k9py's own write of `key`'s file: its documents as they now read, and the file marked as seen so
        the watcher does not take the write for a save. False (the file left for the watcher to apply whole) when
        the file holds more than that write changed: the user saved it meanwhile."""
        entry = self.declared[key]
        name = entry.doc.file
        expected = {k: e.doc.obj for k, e in self.declared.items() if e.doc.file == name}
        expected[key] = copy.deepcopy(entry.doc.obj)
        apply_changes(expected[key], changes)
        try:
            stat = os.stat(name)
        except OSError:
            return False
        docs, problems = load_file(name)
        found = {object_key(d.obj, self.namespace): d for d in docs}
        if problems or {k: d.obj for k, d in found.items()} != expected:
            return False
        for found_key, doc in found.items():
            if found_key is not None:  # always: the keys are those of `expected`
                old = self.declared[found_key]
                old.doc, old.body = doc, self._body(doc, old.info)
        self._stamps[name] = (stat.st_mtime_ns, stat.st_size)
        return True

    def drift(self, key: ObjKey) -> list[FieldDiff]:
        """How the live object differs from its document, as last judged (`_judge`); [] when Synced."""
        return self.declared[key].drift

    def status(self, key: ObjKey) -> str:
        return "OutOfSync" if self.declared[key].drift else "Synced"
