"""The one door for every read and write: validation, defaulting, admission, generateName, deletion semantics.

Callers: controllers, the scheduler, kubelets, the manifest loader and the public `Cluster` API. Objects handed
in are copied; objects handed back are the stored ones, which callers must not mutate (the `Cluster` facade
hands out copies).
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterable, Iterator
from typing import Any

from . import admission, errors, fieldmanager
from .clock import Clock
from .kinds import REGISTRY, KindInfo, Obj, Registry
from .kinds import validation as v
from .kinds.decoding import INT_RANGES, check_integers, decode_error, decoded_copy, json_type
from .kinds.namespace import BUILT_IN as BUILT_IN_NAMESPACES
from .manifests.loader import yaml_type
from .quoting import go_quote
from .selectors import parse_field_selector, parse_label_selector, selector_to_string
from .store import Store, WatchEvent, deep_copy
from .timeutil import format_time

GENERATE_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
MAX_GENERATED_NAME_LENGTH = 63
RANDOM_SUFFIX_LENGTH = 5
UNDELETABLE_NAMESPACES = ("default", "kube-system", "kube-public")
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
# Metadata only the server sets: whatever a create request says of them is dropped.
_SERVER_FIELDS = frozenset({"resourceVersion", "uid", "creationTimestamp", "deletionTimestamp",
                            "deletionGracePeriodSeconds", "generation", "selfLink"})
# RFC 4122 version 4: the version nibble is 4 and the variant bits are 10.
_UUID_CLEAR = ~((0xF << 76) | (0x3 << 62))
_UUID_SET = (0x4 << 76) | (0x2 << 62)
_STATUS = frozenset({"status"})
_NOTHING: frozenset[str] = frozenset()


class Api:
    def __init__(self, store: Store, clock: Clock, rng: random.Random | None = None,
                 registry: Registry = REGISTRY) -> None:
        self.store = store
        self.clock = clock
        self.rng = rng or random.Random()
        self.registry = registry
        # Who wrote each object only engine components wrote: its managedFields are built when read.
        self.writers = fieldmanager.WritesTable()
        store.add_listener(self._forget_deleted)

    def _forget_deleted(self, event: WatchEvent) -> None:
        if event.type == "DELETED":
            self.writers.deleted(event.object["metadata"].get("uid", ""))

    def managed_fields(self, info: KindInfo, obj: Obj) -> list[Obj]:
        """The object's managedFields entries: those it holds, else those built for what components wrote."""
        return obj["metadata"].get("managedFields") or self.writers.entries(info.kind, obj)

    def shown(self, info: KindInfo, obj: Obj) -> Obj:
        """The object as an API read shows it: with the managedFields of what only components wrote (a pod a
        ReplicaSet made: `kube-controller-manager`'s spec, the `kubelet`'s status), as kube-apiserver has them."""
        meta = obj["metadata"]
        if "managedFields" in meta:
            return obj
        entries = self.writers.entries(info.kind, obj)
        return {**obj, "metadata": {**meta, "managedFields": entries}} if entries else obj

    # --- helpers -------------------------------------------------------------------------------------------

    def kind_of(self, obj: Obj) -> KindInfo:
        """The registered kind for an object's apiVersion/kind, or kubectl's error."""
        if not isinstance(obj, dict):
            raise errors.bad_request(f"object must be a mapping, got {yaml_type(obj)}")
        kind, api_version = obj.get("kind"), obj.get("apiVersion")
        if not kind:
            raise errors.bad_request("Object 'Kind' is missing in the object")
        if not api_version:
            raise errors.bad_request(f"Object 'apiVersion' is missing in the {kind} object")
        info = self.registry.by_kind(str(kind))
        if info is None or info.api_version != api_version:
            message = f"no matches for kind {go_quote(kind)} in version {go_quote(api_version)}"
            if info is None:
                suggestion = self.registry.suggest_kind(str(kind))
                if suggestion:
                    message += f" (did you mean {go_quote(suggestion)}?)"
            elif info is not None:
                message += f" (the kind {go_quote(kind)} is served as {go_quote(info.api_version)})"
            raise errors.ApiError(404, "NotFound", message)
        return info

    def _decode(self, info: KindInfo, obj: Obj) -> Obj:
        """The request body as the API server's decoder leaves it: a copy without null fields, integers within
        their Go types (else its 400)."""
        obj = decoded_copy(obj)
        check_integers(obj, info.kind, info.version, info.api_version)
        return obj

    def _namespace_for(self, info: KindInfo, namespace: str | None) -> str:
        if not info.namespaced:
            return ""
        return namespace or "default"

    def _generate_name(self, base: str) -> str:
        max_base = MAX_GENERATED_NAME_LENGTH - RANDOM_SUFFIX_LENGTH
        suffix = "".join(self.rng.choice(GENERATE_NAME_ALPHABET) for _ in range(RANDOM_SUFFIX_LENGTH))
        return base[:max_base] + suffix

    def _metadata_errors(self, info: KindInfo, obj: Obj) -> list[tuple[str, str]]:
        meta = obj["metadata"]
        errs: list[tuple[str, str]] = []
        name = meta.get("name")
        if not name:
            errs.append(v.required("metadata.name", "name or generateName is required"))
        elif info.name_rule == "label":
            errs.extend(v.dns1123_label("metadata.name", name))
        elif info.name_rule == "subdomain":
            errs.extend(v.dns1123_subdomain("metadata.name", name))
        elif info.name_rule == "path":
            errs.extend(v.path_segment_name("metadata.name", name))
        if info.namespaced:
            errs.extend(v.dns1123_label("metadata.namespace", meta.get("namespace")))
        errs.extend(v.labels("metadata.labels", meta.get("labels")))
        errs.extend(v.annotations("metadata.annotations", meta.get("annotations")))
        errs.extend(v.finalizers("metadata.finalizers", meta.get("finalizers")))
        owners = meta.get("ownerReferences")
        errs.extend(v.is_list("metadata.ownerReferences", owners))
        for i, ref in enumerate(owners if isinstance(owners, list) else []):
            if not isinstance(ref, dict):
                errs.append(v.type_error(f"metadata.ownerReferences[{i}]", ref, "object"))
                continue
            for field in ("apiVersion", "kind", "name", "uid"):
                if not ref.get(field):
                    errs.append(v.required(f"metadata.ownerReferences[{i}].{field}"))
        return errs

    def _validate(self, info: KindInfo, obj: Obj, old: Obj | None) -> None:
        errs = self._metadata_errors(info, obj)
        errs.extend(info.validate(obj, old))
        if errs:
            raise errors.invalid(info.kind, info.group, obj["metadata"].get("name", ""), errs)

    def _allocate(self, info: KindInfo, obj: Obj, old: Obj | None) -> None:
        if info.allocate is None:
            return
        errs = info.allocate(self, obj, old)
        if errs:
            raise errors.invalid(info.kind, info.group, obj["metadata"].get("name", ""), errs)

    def _check_namespace_admission(self, info: KindInfo, namespace: str, name: str) -> None:
        """NamespaceLifecycle admission: the namespace must exist and not be terminating."""
        if not info.namespaced:
            return
        ns = self.store.get("namespaces", "", namespace)
        if ns is None:
            raise errors.not_found("namespaces", "", namespace)
        if ns["metadata"].get("deletionTimestamp"):
            raise errors.ApiError(
                403, "Forbidden",
                f"{info.resource} {go_quote(name)} is forbidden: unable to create new content in namespace {namespace} "
                "because it is being terminated",
                name=name, group=info.group, kind=info.plural,
                causes=[{"reason": "NamespaceTerminating", "message": f"namespace {namespace} is being terminated",
                         "field": "metadata.namespace"}],
            )

    def new_uid(self) -> str:
        """A random (version 4) UUID from the cluster's seeded generator, so runs are reproducible."""
        h = "%032x" % (self.rng.getrandbits(128) & _UUID_CLEAR | _UUID_SET)
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def _stamp(self, obj: Obj) -> int:
        rv = self.store.next_resource_version()
        obj["metadata"]["resourceVersion"] = str(rv)
        return rv

    # --- reads ---------------------------------------------------------------------------------------------

    def get(self, kind: str | KindInfo, name: str, namespace: str | None = None) -> Obj:
        info = kind if isinstance(kind, KindInfo) else self.registry.resolve(kind)
        obj = self.store.get(info.resource, self._namespace_for(info, namespace), name)
        if obj is None:
            raise errors.not_found(info.plural, info.group, name)
        return obj

    def list(self, kind: str | KindInfo, namespace: str | None = None, label_selector: str | None = None,
             field_selector: str | None = None) -> list[Obj]:
        info = kind if isinstance(kind, KindInfo) else self.registry.resolve(kind)
        ns = namespace if info.namespaced else None
        selector = parse_label_selector(label_selector)
        field_pred = parse_field_selector(field_selector)
        objs = self.store.ordered(info.resource, ns or None)  # in order already: no sort per request
        if selector.empty and field_pred is None:
            return objs
        return [obj for obj in objs if (selector.empty or selector.matches(obj["metadata"].get("labels")))
                and (field_pred is None or field_pred(obj))]

    # --- writes --------------------------------------------------------------------------------------------

    def create(self, obj: Obj, namespace: str | None = None, *, trusted: bool = False, dry_run: bool = False,
               manager: str | None = None, managed_fields: list[Obj] | None = None, decoded: bool = False) -> Obj:
        """POST. `trusted` is for objects the engine itself builds fresh (events, leases): they are taken
        as they are, without a defensive copy or validation. `dry_run` (dryRun=All): everything but the write;
        the answer has no resourceVersion, as the API server's. `manager`: the field manager of a client's
        request, recorded in managedFields (engine-internal creates stay untracked: see engine/fieldmanager).
        `decoded`: `obj` is the caller's own, already decoded (server-side apply's), so it is not copied again."""
        info = self.kind_of(obj)
        if not trusted and not decoded:
            obj = self._decode(info, obj)
        meta = obj.get("metadata")
        if meta is None:
            meta = obj["metadata"] = {}
        if not isinstance(meta, dict):
            raise errors.invalid(info.kind, info.group, "", [v.type_error("metadata", meta, "object")])
        if info.namespaced:
            meta["namespace"] = meta.get("namespace") or namespace or "default"
        else:
            meta.pop("namespace", None)
        if not meta.get("name") and meta.get("generateName"):
            base = str(meta["generateName"])
            for _ in range(8):
                meta["name"] = self._generate_name(base)
                if self.store.get(info.resource, meta.get("namespace", ""), meta["name"]) is None:
                    break
        elif not meta.get("name") and info.kind == "LimitRange":
            # pkg/registry/core/limitrange/strategy.go PrepareForCreate: a LimitRange without a name is named by a
            # new UUID (the only kind that does this).
            meta["name"] = self.new_uid()
        if not _SERVER_FIELDS.isdisjoint(meta):
            for server_field in _SERVER_FIELDS:
                meta.pop(server_field, None)
        if info.decode is not None:
            info.decode(obj)
        info.default(obj)
        admission.mutate(self, info, obj, None)  # LimitRanger's defaults, which validation then sees
        if not trusted:
            self._validate(info, obj, None)
        namespace_name = meta.get("namespace", "")
        if self.store.get(info.resource, namespace_name, meta["name"]) is not None:
            raise errors.already_exists(info.plural, info.group, meta["name"])
        self._check_namespace_admission(info, namespace_name, meta["name"])
        self._allocate(info, obj, None)
        admission.validate(self, info, obj, None, dry_run)  # LimitRanger's bounds, then ResourceQuota, last
        meta["uid"] = self.new_uid()
        meta["creationTimestamp"] = format_time(self.clock.now())
        if "spec" in obj and info.generation_tracks_spec:
            meta["generation"] = 1
        if managed_fields is not None:
            _set_managed(meta, managed_fields)
        elif manager is not None:
            fieldmanager.record_update(None, obj, manager, "", meta["creationTimestamp"], from_request=True,
                                       ignore=_STATUS if info.has_status else _NOTHING)
        elif "managedFields" in meta:
            del meta["managedFields"]  # only the field manager writes them
        if dry_run:
            return obj
        self._stamp(obj)
        if manager is None and managed_fields is None:
            self.writers.created(obj, fieldmanager.component_for(info.kind, "", obj), self.clock.now())
        elif "managedFields" not in meta:
            self.writers.tracked(meta["uid"], False)
        self.store.put(info.resource, obj, None)
        return obj

    def _prepare_update(self, obj: Obj, trusted: bool = False) -> tuple[KindInfo, Obj, Obj]:
        info = self.kind_of(obj)
        obj = deep_copy(obj) if trusted else self._decode(info, obj)
        meta = obj.get("metadata")
        if not isinstance(meta, dict) or not meta.get("name"):
            raise errors.invalid(info.kind, info.group, "", [v.required("metadata.name")])
        namespace = self._namespace_for(info, meta.get("namespace"))
        old = self.store.get(info.resource, namespace, meta["name"])
        if old is None:
            raise errors.not_found(info.plural, info.group, meta["name"])
        rv = meta.get("resourceVersion")
        if rv and str(rv) != old["metadata"]["resourceVersion"]:
            raise errors.conflict(info.plural, info.group, meta["name"])
        old_meta = old["metadata"]
        for fixed in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                      "generation", "namespace"):
            if fixed in old_meta:
                meta[fixed] = old_meta[fixed]
            else:
                meta.pop(fixed, None)
        return info, obj, old

    def _commit_update(self, info: KindInfo, obj: Obj, old: Obj, dry_run: bool = False) -> Obj:
        meta = obj["metadata"]
        if dry_run:
            return obj
        if meta.get("deletionTimestamp") and not meta.get("finalizers") and not (
            info.kind == "Pod" and (meta.get("deletionGracePeriodSeconds") or 0) > 0
        ):
            # The last finalizer is gone: the object finally goes away.
            self.store.remove(info.resource, obj)
            return obj
        self._stamp(obj)
        self.store.put(info.resource, obj, old)
        return obj

    def update(self, obj: Obj, *, trusted: bool = False, dry_run: bool = False, manager: str | None = None,
               subresource: str = "", managed_fields: list[Obj] | None = None) -> Obj:
        """PUT: replace everything but status (for kinds with a status subresource) and server-owned metadata.
        `trusted` (engine-built objects such as event counts and lease renewals) skips validation; `dry_run`
        skips only the write. `manager`/`subresource`: who writes, for managedFields (`scale` for …/scale)."""
        info, obj, old = self._prepare_update(obj, trusted)
        if info.has_status:
            if "status" in old:
                obj["status"] = old["status"]
            else:
                obj.pop("status", None)
        if info.decode is not None:
            info.decode(obj)
        info.default(obj)
        if info.prepare_update is not None:
            info.prepare_update(obj, old)
        if not trusted:
            self._validate(info, obj, old)
        self._allocate(info, obj, old)
        admission.validate(self, info, obj, old, dry_run, subresource)
        if managed_fields is not None:
            _set_managed(obj["metadata"], managed_fields)
        else:
            self._manage(info, old, obj, manager, subresource, manager is not None and not subresource)
        if obj == old:
            return old
        same_spec = obj.get("spec") == old.get("spec")
        if info.generation_tracks_spec and not same_spec:
            obj["metadata"]["generation"] = old["metadata"].get("generation", 0) + 1
        if not dry_run:
            _share_unchanged(obj, old, same_spec)
        return self._commit_update(info, obj, old, dry_run)

    def update_status(self, obj: Obj, *, trusted: bool = False, dry_run: bool = False,
                      manager: str | None = None, managed_fields: list[Obj] | None = None) -> Obj:
        """PUT …/status: only status changes; spec and metadata stay as stored. `trusted` callers hand over a
        status dict they built fresh and will not touch again, so it is stored without a copy."""
        info = self.kind_of(obj)
        meta = obj.get("metadata") or {}
        old = self.store.get(info.resource, self._namespace_for(info, meta.get("namespace")), meta.get("name", ""))
        if old is None:
            raise errors.not_found(info.plural, info.group, meta.get("name", ""))
        rv = meta.get("resourceVersion")
        if rv and str(rv) != old["metadata"]["resourceVersion"]:
            raise errors.conflict(info.plural, info.group, meta["name"])
        status = obj.get("status", {})
        if status == old.get("status") and managed_fields in (None, old["metadata"].get("managedFields")):
            return old
        new = {**old, "status": status if trusted else deep_copy(status), "metadata": dict(old["metadata"])}
        if managed_fields is not None:
            _set_managed(new["metadata"], managed_fields)
        else:
            self._manage(info, old, new, manager, "status", False)
        if dry_run:
            return new
        self._stamp(new)
        self.store.put(info.resource, new, old)
        return new

    def patch(self, kind: str | KindInfo, name: str, namespace: str | None, patch: Obj,
              subresource: str | None = None, dry_run: bool = False, manager: str | None = None) -> Obj:
        """JSON merge patch (RFC 7386), as `kubectl patch --type merge` and `kubectl scale` send."""
        info = kind if isinstance(kind, KindInfo) else self.registry.resolve(kind)
        current = self.get(info, name, namespace)
        # The stored object is not copied here: `update` decodes the merged body into a fresh copy anyway, so the
        # merge builds new mappings only along the patch's paths and shares the rest with `current` (read only).
        merged = _merged(current, patch)
        meta = merged["metadata"]
        if meta is current["metadata"]:
            meta = merged["metadata"] = dict(meta)
        meta["resourceVersion"] = current["metadata"]["resourceVersion"]
        status = current.get("status")
        if info.has_status and subresource != "status" and status is not None and merged.get("status") is status:
            # A status the patch does not reach: `update` keeps the stored one whatever the body says, so it is not
            # sent to be decoded (a copy of half a pod) and dropped.
            del merged["status"]
        if subresource == "status":
            return self.update_status(merged, dry_run=dry_run, manager=manager)
        return self.update(merged, dry_run=dry_run, manager=manager, subresource=subresource or "")

    def _manage(self, info: KindInfo, old: Obj, new: Obj, manager: str | None, subresource: str,
                from_request: bool) -> None:
        """managedFields for an Update. Internal writers (manager None) are recorded at once only on objects
        that already carry managedFields; on the others, which component wrote is noted and their entries are
        built when read (fieldmanager/lazy.py), which keeps the controllers' constant status writes cheap."""
        stored = old["metadata"].get("managedFields")
        if manager is None:
            if not stored:
                new["metadata"].pop("managedFields", None)
                self.writers.updated(old, new, fieldmanager.component_for(info.kind, subresource, old), subresource,
                                     self.clock.now())
                return
            manager = fieldmanager.component_for(info.kind, subresource, old)
        fieldmanager.record_update(old, new, manager, subresource, format_time(self.clock.now()),
                                   from_request=from_request,
                                   ignore=_STATUS if info.has_status and not subresource else _NOTHING,
                                   stored=None if stored else self.writers.entries(info.kind, old))
        kept = bool(new["metadata"].get("managedFields"))
        if not (stored and kept):  # an untracked object a client wrote now, or whose entries a client cleared
            self.writers.tracked(old["metadata"].get("uid", ""), kept)

    def apply(self, kind: str | KindInfo, name: str, namespace: str | None, config: Obj, manager: str, *,
              force: bool = False, subresource: str | None = None, dry_run: bool = False) -> tuple[Obj, bool]:
        """Server-side apply (PATCH application/apply-patch+yaml): merge `config` for `manager`, creating the
        object when it is missing. Returns (object, created). Conflicts raise the API server's 409."""
        info = kind if isinstance(kind, KindInfo) else self.registry.resolve(kind)
        live = self.store.get(info.resource, self._namespace_for(info, namespace), name)
        sub = subresource or ""
        base = live if live is not None else {
            "apiVersion": info.api_version, "kind": info.kind,
            "metadata": {"name": name, **({"namespace": self._namespace_for(info, namespace)}
                                          if info.namespaced else {})}}
        config = self._decode(info, config)
        ignore = _STATUS if info.has_status and not sub else (
            frozenset({"spec", "metadata"}) if sub == "status" else _NOTHING)
        result = fieldmanager.apply(
            base, config, list(self.managed_fields(info, live) if live is not None else ()),
            fieldmanager.type_for(info.api_version, info.kind), manager, info.api_version, sub, force,
            format_time(self.clock.now()), ignore)
        obj = result.object if result.object is not None else deep_copy(base)
        if live is None:
            return self.create(obj, namespace, dry_run=dry_run, managed_fields=result.entries, decoded=True), True
        if not dry_run:
            self.writers.tracked(live["metadata"].get("uid", ""), bool(result.entries))
        obj["metadata"]["resourceVersion"] = live["metadata"]["resourceVersion"]
        if sub == "status":
            return self.update_status(obj, dry_run=dry_run, managed_fields=result.entries), False
        return self.update(obj, dry_run=dry_run, managed_fields=result.entries), False

    def bind(self, namespace: str, name: str, node_name: str) -> Obj:
        """POST pods/binding: the scheduler's only write to a pod's spec."""
        pod = self.get("pods", name, namespace)
        if (pod.get("spec") or {}).get("nodeName"):
            raise errors.conflict("pods", "", name)
        if pod["metadata"].get("deletionTimestamp"):
            raise errors.ApiError(409, "Conflict", f'pod {name} is being deleted, cannot be assigned to a host')
        status = dict(pod.get("status") or {})
        status.pop("nominatedNodeName", None)  # preemption's nomination is spent once the pod is bound
        status["conditions"] = [c for c in status.get("conditions") or () if c.get("type") != "PodScheduled"] + [
            {"type": "PodScheduled", "status": "True", "lastProbeTime": None,
             "lastTransitionTime": format_time(self.clock.now())}]
        new = {**pod, "metadata": dict(pod["metadata"]), "spec": {**pod["spec"], "nodeName": node_name},
               "status": status}
        self._stamp(new)
        self.store.put("pods", new, pod)
        return new

    # --- scale subresource ---------------------------------------------------------------------------------

    def get_scale(self, kind: str | KindInfo, name: str, namespace: str | None = None) -> Obj:
        info = kind if isinstance(kind, KindInfo) else self.registry.resolve(kind)
        if not info.scalable:
            raise errors.ApiError(404, "NotFound", f'the server could not find the requested resource '
                                                   f'(get {info.resource} {name}/scale)')
        obj = self.get(info, name, namespace)
        return {
            "kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {k: obj["metadata"][k] for k in ("name", "namespace", "uid", "resourceVersion",
                                                         "creationTimestamp") if k in obj["metadata"]},
            "spec": {"replicas": obj["spec"].get("replicas", 1)},
            "status": {"replicas": (obj.get("status") or {}).get("replicas", 0),
                       "selector": selector_to_string(obj["spec"].get("selector"))},
        }

    def scale(self, kind: str | KindInfo, name: str, namespace: str | None, replicas: Any,
              dry_run: bool = False, manager: str | None = None) -> Obj:
        """PUT …/scale: `replicas` is what the Scale body's spec.replicas (an int32) would hold."""
        info = kind if isinstance(kind, KindInfo) else self.registry.resolve(kind)
        if not info.scalable:
            raise errors.ApiError(404, "NotFound", f'the server could not find the requested resource '
                                                   f'(patch {info.resource} {name}/scale)')
        if isinstance(replicas, float) and replicas.is_integer():
            replicas = int(replicas)  # JSON has one number type: 5.0 is 5
        low, high = INT_RANGES["int32"]
        if isinstance(replicas, bool) or not isinstance(replicas, int) or not low <= replicas <= high:
            # Anything else never gets past decoding the body, and a huge count must never reach a controller.
            raise decode_error("Scale", "v1", json_type(replicas), "ScaleSpec", "spec.replicas", "int32",
                               "spec.replicas")
        if replicas < 0:
            raise errors.invalid("Scale", "autoscaling", name,
                                 [v.invalid("spec.replicas", replicas, "must be greater than or equal to 0")])
        return self.patch(info, name, namespace, {"spec": {"replicas": replicas}}, dry_run=dry_run, manager=manager,
                          subresource="scale" if manager is not None else None)

    # --- deletion ------------------------------------------------------------------------------------------

    def delete(self, kind: str | KindInfo, name: str, namespace: str | None = None, *,
               grace_period: int | None = None, propagation: str | None = None,
               uid: str | None = None, dry_run: bool = False) -> Obj | None:
        """DELETE with graceful pod termination, finalizers and propagation policies.

        Returns the object as it stands (with deletionTimestamp) if it lingers, or None once it is gone.
        """
        info = kind if isinstance(kind, KindInfo) else self.registry.resolve(kind)
        obj = self.get(info, name, namespace)
        if uid is not None and obj["metadata"].get("uid") != uid:
            raise errors.conflict(info.plural, info.group, name)
        if propagation not in (None, "Background", "Foreground", "Orphan"):
            raise errors.bad_request(f'propagationPolicy: Unsupported value: "{propagation}": supported values: '
                                     '"Background", "Foreground", "Orphan"')
        if grace_period is not None and grace_period < 0:
            raise errors.bad_request("gracePeriodSeconds: must be greater than or equal to 0")
        if info.kind == "Namespace" and name in UNDELETABLE_NAMESPACES:
            raise errors.forbidden("namespaces", "", name, "this namespace may not be deleted")
        if info.before_delete is not None:
            info.before_delete(obj)
        meta = obj["metadata"]
        now = self.clock.now()
        finalizers = list(meta.get("finalizers") or [])
        if propagation == "Orphan" and "orphan" not in finalizers:
            finalizers.append("orphan")
        elif propagation == "Foreground" and "foregroundDeletion" not in finalizers:
            finalizers.append("foregroundDeletion")
        if dry_run:
            # What the answer would be: the object if it lingers (finalizers, graceful termination), else None.
            lingers = finalizers or info.kind == "Namespace" or (info.kind == "Pod" and grace_period != 0
                                                                  and (obj.get("spec") or {}).get("nodeName"))
            return obj if lingers else None

        if info.kind == "Pod":
            return self._delete_pod(obj, grace_period, finalizers)
        if info.kind == "Namespace":
            return self._delete_namespace(obj, finalizers)
        if finalizers:
            if meta.get("deletionTimestamp") and finalizers == meta.get("finalizers"):
                return obj
            new = {**obj, "metadata": {**meta, "finalizers": finalizers,
                                       "deletionTimestamp": meta.get("deletionTimestamp") or format_time(now),
                                       "deletionGracePeriodSeconds": 0}}
            self._stamp(new)
            self.store.put(info.resource, new, obj)
            return new
        self.store.remove(info.resource, obj)
        return None

    def _delete_pod(self, pod: Obj, grace_period: int | None, finalizers: list[str]) -> Obj | None:
        meta, spec = pod["metadata"], pod.get("spec") or {}
        phase = (pod.get("status") or {}).get("phase")
        if grace_period is None:
            grace_period = spec.get("terminationGracePeriodSeconds", 30)
        # Pods that never ran or already finished have nothing to stop (pod strategy CheckGracefulDelete).
        if not spec.get("nodeName") or phase in ("Succeeded", "Failed"):
            grace_period = 0
        current = meta.get("deletionGracePeriodSeconds")
        if meta.get("deletionTimestamp") and current is not None and grace_period >= current and (
            finalizers == (meta.get("finalizers") or [])
        ):
            return pod  # already terminating at least this fast
        if grace_period == 0 and not finalizers:
            self.store.remove("pods", pod)
            return None
        now = self.clock.now()
        new_meta = {**meta, "deletionTimestamp": format_time(now + grace_period),
                    "deletionGracePeriodSeconds": grace_period}
        if finalizers:
            new_meta["finalizers"] = finalizers
        new = {**pod, "metadata": new_meta}
        self._stamp(new)
        self.store.put("pods", new, pod)
        return new

    def _delete_namespace(self, ns: Obj, finalizers: list[str]) -> Obj:
        meta = ns["metadata"]
        if meta.get("deletionTimestamp"):
            return ns
        new = {**ns, "metadata": {**meta, "deletionTimestamp": format_time(self.clock.now()),
                                  "deletionGracePeriodSeconds": 0},
               "status": {**(ns.get("status") or {}), "phase": "Terminating"}}
        if finalizers:
            new["metadata"]["finalizers"] = finalizers
        self._stamp(new)
        self.store.put("namespaces", new, ns)
        return new

    def finalize_namespace(self, name: str) -> None:
        """PUT namespaces/x/finalize with the `kubernetes` finalizer removed: the namespace disappears."""
        ns = self.get("namespaces", name)
        spec_finalizers = [f for f in (ns.get("spec") or {}).get("finalizers") or [] if f != "kubernetes"]
        new = {**ns, "spec": {**(ns.get("spec") or {}), "finalizers": spec_finalizers}}
        if not spec_finalizers and not ns["metadata"].get("finalizers"):
            self.store.remove("namespaces", new)
            return
        self._stamp(new)
        self.store.put("namespaces", new, ns)

    def remove_finalizer(self, kind: str | KindInfo, name: str, namespace: str | None, finalizer: str) -> None:
        info = kind if isinstance(kind, KindInfo) else self.registry.resolve(kind)
        obj = self.get(info, name, namespace)
        finalizers = [f for f in obj["metadata"].get("finalizers") or [] if f != finalizer]
        if finalizers == obj["metadata"].get("finalizers"):
            return
        new = {**obj, "metadata": {**obj["metadata"], "finalizers": finalizers}}
        if not finalizers:
            del new["metadata"]["finalizers"]
        self._commit_update(info, new, obj)

    def ensure_builtin_namespaces(self) -> None:
        for name in BUILT_IN_NAMESPACES:
            if self.store.get("namespaces", "", name) is None:
                self.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})

    @contextlib.contextmanager
    def own_random(self, seed: str) -> Iterator[None]:
        """Objects the system makes for itself (the `kubernetes` Service, add-ons, `default` ServiceAccounts) draw
        their uids from a random source of their own, so that the cluster's seeded sequence (pod names, uids,
        cluster IPs) stays what it would be without them."""
        seeded, self.rng = self.rng, random.Random(seed)
        try:
            yield
        finally:
            self.rng = seeded

    def ensure_created(self, objects: Iterable[Obj], seed: str) -> None:
        """Create what is missing of `objects` (with `own_random(seed)`); one that exists is left as it is."""
        with self.own_random(seed):
            for obj in objects:
                try:
                    self.create(obj)
                except errors.ApiError as exc:
                    if exc.code != 409:
                        raise


def _set_managed(meta: Obj, entries: list[Obj]) -> None:
    if entries:
        meta["managedFields"] = entries
    else:
        meta.pop("managedFields", None)


# Metadata fields an update leaves as they were more often than not (a status-only or annotation-only write).
_SHARED_METADATA = ("labels", "annotations", "ownerReferences", "finalizers", "managedFields")


def _share_unchanged(new: Obj, old: Obj, same_spec: bool) -> None:
    """Point `new`'s parts that equal `old`'s at `old`'s own (stored objects are never changed in place, so two
    versions may share them). The watch history keeps the previous versions, so a copy of an unchanged spec in
    each new one is garbage the collector walks over for nothing; and readers that compare by identity first (the
    store's owner index, the controllers' owner dispatch) stop there."""
    if same_spec and "spec" in new and "spec" in old:
        new["spec"] = old["spec"]
    meta, old_meta = new["metadata"], old["metadata"]
    for key in _SHARED_METADATA:
        value = meta.get(key)
        if value is not None and key in old_meta and value == old_meta[key]:
            meta[key] = old_meta[key]


def _merged(target: Any, patch: Any) -> Any:
    """RFC 7386 (maps merge recursively, null deletes, everything else replaces) without touching `target`: a
    mapping the patch reaches is a new one, everything else is `target`'s own, and the patch's values are not
    copied, so the caller must copy the result before it keeps or changes it."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = _merged(out.get(key), value)
    return out
