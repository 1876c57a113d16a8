"""managedFields of objects only the engine's own components wrote, worked out when someone reads them.

kube-apiserver runs every write through the field manager, so a pod a ReplicaSet made shows
`kube-controller-manager` (Update) owning its spec and `kubelet` (Update, subresource status) owning its status.
Doing that on every controller and kubelet write doubled the CPU of a 10,000-pod cluster, so the engine keeps, per
untracked object, only who wrote it and when (`Writes`, a few words). The field sets are built from the object as
it stands when an API read shows it or a client's write (an update, a server-side apply and its conflict check)
needs the entries; from then on the object is tracked write by write as any client-written one
(`fieldmanager.record_update`).

The attribution follows from who writes what, as upstream's Updates would record it: the first component that
writes the main resource (the creator) owns all of it and the first that writes `status` all of the status, except
the fields admission plugins and the binding subresource set, which no manager owns upstream (the field manager
runs before mutating admission; binding writes around it). A later writer of the same part that is another
component owns what it changed (a condition, a second-level field), as its Update would have taken it. Values
a component rewrites with the same owner keep that owner, as upstream.
"""

from __future__ import annotations

from typing import Any

import attrs

from ..timeutil import format_time
from . import fieldpath as fp
from .managed import STRIPPED_META, VALUE_STRUCTS, Entry, new_entry, sort_entries, strip_set
from .schema import TypeNode, type_for
from .typed import item_element

__all__ = ["Writes", "WritesTable", "admission_owned", "component_for"]

Obj = dict[str, Any]
Path = tuple[str, ...]
# The ServiceAccount admission plugin's token volume (engine/kinds/serviceaccount.py): nobody owns it.
_TOKEN_MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"
_TOKEN_VOLUME = "kube-api-access-"
# DefaultTolerationSeconds admission's tolerations.
_DEFAULT_TOLERATION_KEYS = frozenset({"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"})
# Event sources as kube-apiserver names their writers (the User-Agent's program).
_EVENT_COMPONENTS = {"default-scheduler": "kube-scheduler", "kubelet": "kubelet"}
# Deleted objects whose last version a watch may still send: kept this many, then forgotten oldest first.
_GONE_KEPT = 4096


def component_for(kind: str, subresource: str, obj: Obj) -> str:
    """The manager upstream's component would write `obj` as: the kubelet registers its node, renews its lease
    and reports pod status; the scheduler reports why a pod is unschedulable (a pod with no node yet) and
    writes its events; the controllers write everything else."""
    if kind in ("Node", "Lease"):
        return "kubelet"
    if kind == "Pod":
        if subresource == "status":
            return "kubelet" if (obj.get("spec") or {}).get("nodeName") else "kube-scheduler"
        if "kubernetes.io/config.mirror" in (obj["metadata"].get("annotations") or {}):
            return "kubelet"  # a static pod's mirror
    if kind == "Event":
        source = obj.get("reportingComponent") or (obj.get("source") or {}).get("component") or ""
        return _EVENT_COMPONENTS.get(str(source), "kube-controller-manager")
    return "kube-controller-manager"


@attrs.define(slots=True)
class Writes:
    """Who wrote an untracked object: the first writer of its main resource and of its status (with when each
    last wrote), and any other component's parts (by the paths it changed)."""

    main: str
    main_time: float | str  # clock seconds; or the RFC 3339 stamp of an object the table learns of late
    status: str = ""
    status_time: float = 0.0
    # (manager, subresource) -> (last time, the paths it changed): writers after the first of each part
    others: dict[tuple[str, str], tuple[float, frozenset[Path]]] | None = None
    cached: tuple[str, list[Entry]] | None = None  # (resourceVersion, entries) of the last build
    main_cache: tuple[tuple[Any, ...], fp.FieldSet] | None = None  # the main part's set, and what it was built of


def _changed_paths(old: Obj, new: Obj, subresource: str) -> frozenset[Path]:
    """The parts a write changed, two levels down (a status condition by its type): what another component's
    Update takes from the part's first writer."""
    tops = ("status",) if subresource == "status" else tuple(k for k in {*old, *new}
                                                              if k not in ("status", "apiVersion", "kind"))
    out: set[Path] = set()
    for top in tops:
        before, after = old.get(top), new.get(top)
        if before is after or before == after:
            continue
        if not (isinstance(before, dict) and isinstance(after, dict)):
            out.add((fp.field(top),))
            continue
        for name in {*before, *after}:
            was, now = before.get(name), after.get(name)
            if was is now or was == now:
                continue
            if top == "status" and name == "conditions" and isinstance(was, list) and isinstance(now, list):
                kept = {c.get("type"): c for c in was if isinstance(c, dict)}
                for condition in now:
                    if isinstance(condition, dict) and kept.get(condition.get("type")) != condition:
                        out.add((fp.field(top), fp.field(name), fp.key_element({"type": condition.get("type")})))
                continue
            out.add((fp.field(top), fp.field(name)))
    return frozenset(out)


def _carve(fields: fp.FieldSet, path: Path) -> fp.FieldSet:
    """The part of `fields` at and below `path`, as a set rooted where `fields` is."""
    node: Any = fields
    for element in path:
        node = node.get(element) if isinstance(node, dict) else None
        if node is None:
            return {}
    for element in reversed(path):
        node = {element: node}
    return node  # type: ignore[no-any-return]


def _without_member(fields: fp.FieldSet, path: Path) -> fp.FieldSet:
    """`fields` less the node at `path` when nothing but its own membership is left there (a list admission
    created, once its items are taken out)."""
    node: Any = fields
    for element in path:
        node = node.get(element) if isinstance(node, dict) else None
        if node is None:
            return fields
    if set(node) - {fp.MEMBER}:
        return fields
    return fp.difference(fields, _carve(fields, path))


def admission_owned(kind: str, obj: Obj, fields: fp.FieldSet) -> fp.FieldSet:
    """What of `fields` (an object's set) mutating admission and the server set after the field manager ran,
    so that no manager owns it upstream: a pod's ServiceAccount token volume and its mounts, the account's
    name when admission chose `default`, the Priority plugin's fields, DefaultTolerationSeconds' tolerations,
    the node the binding set, the PodScheduled condition it wrote and the QoS class PrepareForCreate did."""
    if kind != "Pod":
        return {}
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    out: fp.FieldSet = {}

    def take(*path: str) -> None:
        nonlocal out
        out = fp.union(out, _carve(fields, path))

    take("f:spec", "f:nodeName")
    take("f:spec", "f:priority")
    take("f:spec", "f:preemptionPolicy")
    if spec.get("serviceAccountName") == "default":
        take("f:spec", "f:serviceAccountName")
        take("f:spec", "f:serviceAccount")
    tolerations = spec.get("tolerations") or []
    if all(isinstance(t, dict) and t.get("key") in _DEFAULT_TOLERATION_KEYS and t.get("effect") == "NoExecute"
           for t in tolerations):
        take("f:spec", "f:tolerations")
    token_volumes = {str(v.get("name")) for v in spec.get("volumes") or ()
                     if isinstance(v, dict) and str(v.get("name", "")).startswith(_TOKEN_VOLUME)}
    for name in token_volumes:
        take("f:spec", "f:volumes", fp.key_element({"name": name}))
    for key in ("initContainers", "containers"):
        for c in spec.get(key) or ():
            if not isinstance(c, dict):
                continue
            for mount in c.get("volumeMounts") or ():
                if isinstance(mount, dict) and mount.get("mountPath") == _TOKEN_MOUNT \
                        and mount.get("name") in token_volumes:
                    take("f:spec", fp.field(key), fp.key_element({"name": c.get("name")}), "f:volumeMounts",
                         fp.key_element({"mountPath": _TOKEN_MOUNT}))
    take("f:status", "f:qosClass")
    if any(isinstance(c, dict) and c.get("type") == "PodScheduled" and c.get("status") == "True"
           for c in status.get("conditions") or ()):
        # The binding's condition (the scheduler's own, False with why, is its Update's)
        take("f:status", "f:conditions", fp.key_element({"type": "PodScheduled"}))
        take("f:status", "f:conditions", fp.MEMBER)  # the binding made the list: the kubelet only added to it
    return out


def without_admission(kind: str, obj: Obj, fields: fp.FieldSet) -> fp.FieldSet:
    """`fields` less `admission_owned`, and less the lists admission created that are left empty."""
    owned = admission_owned(kind, obj, fields)
    if not owned:
        return fields
    fields = fp.difference(fields, owned)
    spec = obj.get("spec") or {}
    fields = _without_member(fields, ("f:spec", "f:volumes"))
    for key in ("initContainers", "containers"):
        for c in spec.get(key) or ():
            if isinstance(c, dict):
                fields = _without_member(fields, ("f:spec", fp.field(key), fp.key_element({"name": c.get("name")}),
                                                  "f:volumeMounts"))
    return fields


def _created_set(obj: Obj, t: TypeNode) -> fp.FieldSet:
    """What an Update creating `obj` records (typed.compare of create_base with it, in one walk): every field,
    and every map and list added whole as a member of its own (unlike ToFieldSet), but neither the value-typed
    structs nor the required fields an empty Go object already has."""
    return strip_set(_created_children(obj, t))


def _child_shape(t: TypeNode, name: str, child: Any) -> tuple[TypeNode, str]:
    if isinstance(child, dict) and child:
        child_t = t.child(name)[0]
        return child_t, child_t.dict_shape
    if isinstance(child, list) and child:
        child_t = t.child(name)[0]
        return child_t, child_t.list_shape
    return t, "leaf"  # a scalar, null, or an empty map or list: one member


def _created_children(value: Obj, t: TypeNode) -> fp.FieldSet:
    """The children of a map whose own membership is settled (the root, a value-typed struct)."""
    required = t.required()
    out: fp.FieldSet = {}
    for name, child in value.items():
        child_t, shape = _child_shape(t, name, child)
        if shape == "leaf":
            if not (name in VALUE_STRUCTS and child == {}):
                out["f:" + name] = {}
            continue
        if shape == "map" and (name in VALUE_STRUCTS or name in required):
            kids = _created_children(child, child_t)
            if kids:
                out["f:" + name] = kids
            continue
        kids = _added_children(child, child_t, shape)
        out["f:" + name] = kids if name in required else fp.sorted_node(kids, True)
    return {name: out[name] for name in sorted(out)}


def _added_children(value: Any, t: TypeNode, shape: str) -> fp.FieldSet:
    """The children of a map or list added whole: each container below is a member too."""
    out: fp.FieldSet = {}
    if shape == "map":
        for name, child in value.items():
            child_t, child_shape = _child_shape(t, name, child)
            out["f:" + name] = {} if child_shape == "leaf" else fp.sorted_node(
                _added_children(child, child_t, child_shape), True)
        return {name: out[name] for name in sorted(out)}
    elem = t.elem()
    for index, item in enumerate(value):
        element = item_element(t, item, index)
        item_shape = (elem.dict_shape if isinstance(item, dict) else elem.list_shape) if item else "leaf"
        out[element] = {} if item_shape == "leaf" or element in out else fp.sorted_node(
            _added_children(item, elem, item_shape), True)
    return fp.sorted_node(out, False)


def _main_refs(obj: Obj) -> tuple[Any, ...]:
    """What the main part's set depends on, by identity: a write builds a new object but keeps the parts it did
    not change (a status write keeps the spec), so a set built for one version serves the next."""
    meta = obj.get("metadata") or {}
    return (*(v for k, v in obj.items() if k not in ("status", "metadata")),
            *(v for k, v in meta.items() if k not in STRIPPED_META and k != "resourceVersion"))


def _main_set(kind: str, obj: Obj, t: TypeNode, writes: Writes) -> fp.FieldSet:
    refs = _main_refs(obj)
    cached = writes.main_cache
    if cached is not None and len(cached[0]) == len(refs) and all(a is b for a, b in zip(cached[0], refs,
                                                                                        strict=True)):
        return cached[1]
    main = {k: v for k, v in obj.items() if k != "status"}
    fields = without_admission(kind, obj, _created_set(main, t))
    writes.main_cache = (refs, fields)
    return fields


def build(kind: str, obj: Obj, writes: Writes) -> list[Entry]:
    """The entries of an untracked object as upstream's field manager would have recorded its writers."""
    api_version = str(obj.get("apiVersion"))
    t = type_for(api_version, kind)
    main_part = _main_set(kind, obj, t, writes)
    status_part: fp.FieldSet = {}
    if isinstance(obj.get("status"), dict) and obj["status"]:
        status_part = without_admission(kind, obj, _created_set({"status": obj["status"]}, t))
        if not writes.status and kind == "Node":
            # nodeStrategy keeps the status a node registers with: its creator, the kubelet, wrote it then.
            main_part, status_part = fp.union(main_part, status_part), {}
    out: list[Entry] = []
    for (manager, subresource), (when, paths) in (writes.others or {}).items():
        theirs: fp.FieldSet = {}
        for path in paths:
            theirs = fp.union(theirs, _carve(status_part if subresource == "status" else main_part, path))
        if subresource == "status":
            status_part = fp.difference(status_part, theirs)
        else:
            main_part = fp.difference(main_part, theirs)
        if theirs:
            out.append(new_entry((manager, "Update", api_version, subresource), api_version, theirs,
                                 format_time(when)))
    if main_part:
        when = writes.main_time
        out.append(new_entry((writes.main, "Update", api_version, ""), api_version, main_part,
                             when if isinstance(when, str) else format_time(when)))
    if status_part and writes.status:
        out.append(new_entry((writes.status, "Update", api_version, "status"), api_version, status_part,
                             format_time(writes.status_time)))
    return sort_entries(out)


class WritesTable:
    """The `Writes` of every untracked object, by uid; an object's entry goes when it is deleted (a watch still
    sending its DELETED event finds it among the last few thousand gone)."""

    def __init__(self) -> None:
        self._writes: dict[str, Writes] = {}
        self._gone: dict[str, Writes] = {}
        self._tracked: set[str] = set()  # uids a client wrote: their metadata holds their entries, or none

    def created(self, obj: Obj, manager: str, now: float) -> None:
        self._writes[obj["metadata"]["uid"]] = Writes(manager, now)

    def updated(self, old: Obj, new: Obj, manager: str, subresource: str, now: float) -> None:
        """A component's Update of an untracked object. Unknown objects (made before the table, or tracked
        once and reset) start their record with this writer."""
        uid = old["metadata"].get("uid", "")
        found = self._writes.get(uid)
        if found is None:
            if uid in self._tracked:
                return  # a client reset its managedFields (`[{}]`): they stay empty
            found = self._writes[uid] = Writes(manager, now) if subresource != "status" else Writes("", 0.0)
        if subresource == "status":
            if not found.status or found.status == manager:
                found.status, found.status_time = manager, now
                return
        elif found.main == manager:
            found.main_time = now
            return
        others = found.others if found.others is not None else {}
        key = (manager, subresource)
        paths = _changed_paths(old, new, subresource)
        previous = others.get(key)
        others[key] = (now, paths | previous[1] if previous else paths)
        found.others = others

    def entries(self, kind: str, obj: Obj) -> list[Entry]:
        """The object's entries, built at most once per version."""
        meta = obj["metadata"]
        uid = meta.get("uid", "")
        found = self._writes.get(uid) or self._gone.get(uid)
        if found is None:
            if uid in self._tracked:
                return []
            # Written around the API (the event recorder stores its events itself): its creator, as of then.
            found = Writes(component_for(kind, "", obj), str(meta.get("creationTimestamp") or ""))
            self._writes[uid] = found
        version = str(meta.get("resourceVersion", ""))
        if found.cached is not None and found.cached[0] == version:
            return found.cached[1]
        built = build(kind, obj, found)
        found.cached = (version, built)
        return built

    def tracked(self, uid: str, has_entries: bool) -> None:
        """A client wrote the object: from now on its entries live in its metadata (and when it has none, a
        client cleared them, so none are made up for it)."""
        self._writes.pop(uid, None)
        if not has_entries:
            self._tracked.add(uid)

    def deleted(self, uid: str) -> None:
        self._tracked.discard(uid)
        found = self._writes.pop(uid, None)
        if found is None:
            return
        if len(self._gone) >= _GONE_KEPT:
            for stale in list(self._gone)[:_GONE_KEPT // 2]:
                del self._gone[stale]
        self._gone[uid] = found

    def __len__(self) -> int:
        return len(self._writes)
