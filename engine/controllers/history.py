"""ControllerRevision helpers shared by the DaemonSet and StatefulSet controllers and `kubectl rollout`
(`k/k pkg/controller/history/controller_history.go`, and the `getPatch` both controllers define).

A revision stores a strategic-merge patch that puts a pod template back: `{"spec":{"template":{...,
"$patch":"replace"}}}`. Nothing here decides when to snapshot; that is each controller's own history logic
(DaemonSet constructHistory, StatefulSet getStatefulSetRevisions).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from ..api import Api
from ..errors import ApiError
from ..podutil import controller_ref, key_of
from ..selectors import selector_from_dict
from ..store import WatchEvent, deep_copy
from .claim import set_controller

Obj = dict[str, Any]
REVISIONS = "controllerrevisions.apps"
# history.ControllerRevisionHashLabel: NewControllerRevision labels each revision with its hash.
HASH_LABEL = "controller.kubernetes.io/hash"
_SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # apimachinery util/rand SafeEncodeString


def revision_data(obj: Mapping[str, Any]) -> Obj:
    """getPatch: what a ControllerRevision stores, a patch that puts the object's pod template back."""
    template = ((obj.get("spec") or {}).get("template")) or {}
    return {"spec": {"template": {**deep_copy(dict(template)), "$patch": "replace"}}}


def revision_template(revision: Mapping[str, Any]) -> Obj:
    """The pod template a ControllerRevision holds (its patch without the `$patch` directive)."""
    template = dict(((revision.get("data") or {}).get("spec") or {}).get("template") or {})
    template.pop("$patch", None)
    return template


def matches_revision(obj: Mapping[str, Any], revision: Mapping[str, Any]) -> bool:
    """The revision holds exactly this object's template (history.EqualRevision on the patches)."""
    return revision.get("data") == revision_data(obj)


def revision_number(revision: Mapping[str, Any]) -> int:
    value = revision.get("revision")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def sort_revisions(revisions: list[Obj]) -> list[Obj]:
    """SortControllerRevisions: by revision, then creation time, then name."""
    return sorted(revisions, key=lambda r: (revision_number(r), r["metadata"].get("creationTimestamp") or "",
                                            r["metadata"]["name"]))


def go_json(value: Any) -> bytes:
    """encoding/json.Marshal of a decoded map: sorted keys, no spaces, `<>&` escaped, UTF-8 kept."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").encode()


def hash_revision(data: Obj, collision_count: int | None) -> str:
    """HashControllerRevision: FNV-1 (not 1a) 32 over the patch bytes and the decimal collision count, run through
    SafeEncodeString. The patch is serialised as Go's json.Marshal does, so for the same defaulted template the
    name matches a real cluster's (`web-847b47bbbc`)."""
    h = 0x811C9DC5
    payload = go_json(data) + (str(collision_count).encode() if collision_count is not None else b"")
    for byte in payload:
        h = (h * 0x01000193) & 0xFFFFFFFF
        h ^= byte
    return "".join(_SAFE_ALPHABET[ord(c) % 27] for c in str(h))


def claim_owned(api: Api, owner: Obj, resource: str, member: Callable[[Obj], bool] | None = None) -> list[Obj]:
    """ControllerRefManager.ClaimObjects (ClaimPods, ClaimControllerRevisions): the objects of `resource` that
    `owner` controls, after releasing those its selector (or `member`, e.g. a StatefulSet's name rule) stopped
    matching and adopting matching orphans. An owner being deleted neither releases nor adopts."""
    store = api.store
    meta = owner["metadata"]
    uid, namespace = meta["uid"], meta.get("namespace", "")
    selector = selector_from_dict((owner.get("spec") or {}).get("selector"))

    def matches(obj: Obj) -> bool:
        return selector.matches(obj["metadata"].get("labels")) and (member is None or member(obj))

    out = []
    for obj in store.dependents(uid, resource):
        ref = controller_ref(obj)
        if ref is None or ref.get("uid") != uid:
            continue
        if matches(obj) or meta.get("deletionTimestamp"):
            out.append(obj)
        else:
            set_controller(api, obj, uid, None)
    if not meta.get("deletionTimestamp"):
        for obj in store.uncontrolled(resource, namespace):
            if not obj["metadata"].get("deletionTimestamp") and matches(obj):
                adopted = set_controller(api, obj, uid, owner)
                if adopted is not None:
                    out.append(adopted)
    return out


def claim_revisions(api: Api, owner: Obj) -> list[Obj]:
    """ClaimControllerRevisions."""
    return claim_owned(api, owner, REVISIONS)


def delete_revision(api: Api, revision: Obj) -> None:
    """DeleteControllerRevision; one already gone is fine."""
    try:
        api.delete(REVISIONS, revision["metadata"]["name"], revision["metadata"].get("namespace", ""))
    except ApiError as exc:
        if exc.code != 404:
            raise


def owner_keys(store: Any, event: WatchEvent, kind: str, resource: str) -> set[str]:
    """The informer handlers of a workload's pods and ControllerRevisions (addPod/updatePod/deletePod,
    addHistory/...): the `kind` that controls the object before and after the change, or, for an orphan that
    appeared or was relabelled, every object of `resource` whose selector matches it (it may be adopted)."""
    obj, old = event.object, event.old
    namespace = obj["metadata"].get("namespace", "")
    keys = set()
    # Every pod event reaches every workload controller: each owner reference is read once.
    ref = controller_ref(obj)
    old_ref = controller_ref(old) if old else None
    for found in (ref, old_ref):
        if found is not None and found.get("kind") == kind and str(found.get("apiVersion", "")).startswith("apps/"):
            keys.add(f"{namespace}/{found['name']}")
    if ref is None and event.type != "DELETED" and (
        event.type == "ADDED" or obj["metadata"].get("labels") != (old or {}).get("metadata", {}).get("labels")
        or old_ref is not None
    ):
        labels = obj["metadata"].get("labels") or {}
        keys.update(key_of(owner) for owner in store.iter(resource, namespace)
                    if selector_from_dict(owner["spec"].get("selector")).matches(labels))
    return keys
