"""What the pv-controller, the provisioner and the scheduler's VolumeBinding plugin share about claims and volumes.

Matching follows `k/k pkg/controller/volume/persistentvolume/util/util.go` FindMatchingVolume and
`pkg/volume/util` CheckNodeAffinity; the annotations are the ones `pv_controller.go` and the scheduler's binder
(`pkg/scheduler/framework/plugins/volumebinding/binder.go`) write.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..kinds.storageclass import NO_PROVISIONER, WAIT_FOR_FIRST_CONSUMER
from ..printers.storage import claim_class, volume_class
from ..quantity import parse_quantity
from ..scheduler.affinity import _parse_term
from ..selectors import parse_label_selector

Obj = dict[str, Any]

PVCS = "persistentvolumeclaims"
PVS = "persistentvolumes"
CLASSES = "storageclasses.storage.k8s.io"

ANN_BIND_COMPLETED = "pv.kubernetes.io/bind-completed"
ANN_BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller"
ANN_SELECTED_NODE = "volume.kubernetes.io/selected-node"
ANN_STORAGE_PROVISIONER = "volume.kubernetes.io/storage-provisioner"
ANN_BETA_STORAGE_PROVISIONER = "volume.beta.kubernetes.io/storage-provisioner"
ANN_PROVISIONED_BY = "pv.kubernetes.io/provisioned-by"
HOSTNAME_LABEL = "kubernetes.io/hostname"


def annotations(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return (obj.get("metadata") or {}).get("annotations") or {}


def storage_of(resources: Any) -> Any:
    return (resources or {}).get("storage") if isinstance(resources, Mapping) else None


def quantity(value: Any) -> Any:
    try:
        return parse_quantity(value)
    except (TypeError, ValueError):
        return 0


def claim_request(claim: Mapping[str, Any]) -> Any:
    return quantity(storage_of(((claim.get("spec") or {}).get("resources") or {}).get("requests")))


def volume_capacity(pv: Mapping[str, Any]) -> Any:
    return quantity(storage_of((pv.get("spec") or {}).get("capacity")))


def is_delay_binding(claim: Mapping[str, Any], classes: Mapping[str, Obj] | None = None, store: Any = None) -> bool:
    """IsDelayBindingMode: the claim's class binds WaitForFirstConsumer (a missing class does not)."""
    name = claim_class(claim)
    if not name:
        return False
    sc = classes.get(name) if classes is not None else store.get(CLASSES, "", name)
    return bool(sc) and sc.get("volumeBindingMode") == WAIT_FOR_FIRST_CONSUMER


def simulated_provisioner(sc: Mapping[str, Any] | None) -> str | None:
    """The provisioner k9py simulates for a class: every one but kubernetes.io/no-provisioner."""
    if not sc:
        return None
    provisioner = str(sc.get("provisioner") or "")
    return None if not provisioner or provisioner == NO_PROVISIONER else provisioner


def volume_node_affinity_matches(pv: Mapping[str, Any], node_labels: Mapping[str, str], node_name: str) -> bool:
    """CheckNodeAffinity: a volume with required node affinity is usable only where one of its terms matches."""
    required = (((pv.get("spec") or {}).get("nodeAffinity") or {}).get("required")) or None
    if not isinstance(required, Mapping):
        return True
    terms = [_parse_term(term or {}) for term in required.get("nodeSelectorTerms") or ()]
    return any(term is not None and term.matches(node_labels, node_name) for term in terms)


def is_bound_to(pv: Mapping[str, Any], claim: Mapping[str, Any]) -> bool:
    """IsVolumeBoundToClaim: the volume's claimRef names this claim (and its uid, once one is recorded)."""
    ref = (pv.get("spec") or {}).get("claimRef") or {}
    meta = claim.get("metadata") or {}
    if ref.get("name") != meta.get("name") or ref.get("namespace") != meta.get("namespace"):
        return False
    return not ref.get("uid") or ref.get("uid") == meta.get("uid")


def _modes_fit(pv: Mapping[str, Any], claim: Mapping[str, Any]) -> bool:
    offered = set((pv.get("spec") or {}).get("accessModes") or ())
    return set((claim.get("spec") or {}).get("accessModes") or ()) <= offered


def find_matching_volume(claim: Mapping[str, Any], volumes: Iterable[Mapping[str, Any]],
                         node: Mapping[str, Any] | None, delay_binding: bool,
                         excluded: frozenset[str] = frozenset()) -> Obj | None:
    """FindMatchingVolume: a volume pre-bound to the claim wins; otherwise the volume with the fewest access modes,
    then the smallest capacity, among the Available ones of the claim's class that are big enough, match its
    selector and modes, and (with a node) can be used on the node. Without a node, a WaitForFirstConsumer claim
    matches only a pre-bound volume: the scheduler picks its volume."""
    spec = claim.get("spec") or {}
    wanted = claim_request(claim)
    wanted_class = claim_class(claim)
    wanted_mode = spec.get("volumeMode") or "Filesystem"
    selector = spec.get("selector")
    parsed = _selector(selector) if selector else None
    node_labels = ((node or {}).get("metadata") or {}).get("labels") or {}
    node_name = ((node or {}).get("metadata") or {}).get("name", "")
    best: tuple[Any, ...] | None = None
    chosen: Obj | None = None
    for pv in volumes:
        name = pv["metadata"]["name"]
        if name in excluded or pv["metadata"].get("deletionTimestamp"):
            continue
        pv_spec = pv.get("spec") or {}
        if (pv_spec.get("volumeMode") or "Filesystem") != wanted_mode:
            continue
        # A volume bound (or pre-bound) elsewhere is passed over before its capacity is parsed: with every volume
        # bound, as in a big StatefulSet, that is all most of them get.
        if pv_spec.get("claimRef"):
            if is_bound_to(pv, claim):
                return dict(pv)
            continue
        if volume_capacity(pv) < wanted:
            continue
        if node is None and delay_binding:
            continue
        if (pv.get("status") or {}).get("phase") != "Available" or volume_class(pv) != wanted_class:
            continue
        if parsed is not None and not parsed(pv["metadata"].get("labels") or {}):
            continue
        if node is not None and not volume_node_affinity_matches(pv, node_labels, node_name):
            continue
        if not _modes_fit(pv, claim):
            continue
        key = (len(pv_spec.get("accessModes") or ()), volume_capacity(pv), name)
        if best is None or key < best:
            best, chosen = key, dict(pv)
    return chosen


def _selector(selector: Mapping[str, Any]) -> Any:
    """A predicate over labels for a LabelSelector (matchLabels and matchExpressions)."""
    parts = [f"{k}={v}" for k, v in (selector.get("matchLabels") or {}).items()]
    for expr in selector.get("matchExpressions") or ():
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(str(key))
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    parsed = parse_label_selector(",".join(parts))
    return parsed.matches


def claim_ref(claim: Mapping[str, Any]) -> Obj:
    meta = claim["metadata"]
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "name": meta["name"],
            "namespace": meta.get("namespace", ""), "resourceVersion": meta.get("resourceVersion", ""),
            "uid": meta.get("uid", "")}


def claim_key(claim: Mapping[str, Any]) -> str:
    return f"claim:{claim['metadata'].get('namespace', '')}/{claim['metadata']['name']}"


class ClaimAndVolumeKeys:
    """The keys of the controllers that work on both claims (`claim:<namespace>/<name>`) and volumes
    (`volume:<name>`): the pv-controller and the provisioner. Mixed into a runtime.Controller."""

    store: Any
    queue: Any

    def start(self) -> None:
        for claim in self.store.iter(PVCS):
            self.queue.add(claim_key(claim))
        for pv in self.store.iter(PVS):
            self.queue.add(f"volume:{pv['metadata']['name']}")

    def object_for_key(self, key: str) -> Obj | None:
        kind, _, rest = key.partition(":")
        if kind == "claim":
            namespace, _, name = rest.partition("/")
            return self.store.get(PVCS, namespace, name)
        return self.store.get(PVS, "", rest)
