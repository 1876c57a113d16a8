"""The pure parts of the StatefulSet controller (`k/k pkg/controller/statefulset/stateful_set_utils.go`).

Nothing here writes: stable identities (`web-0`, hostname, subdomain, the pod-name and pod-index labels), the
claims a pod gets from volumeClaimTemplates (`<template>-<set>-<ordinal>`), the pod for an ordinal at a revision,
the health predicates the monotonic rules use, and the claim ownerReferences persistentVolumeClaimRetentionPolicy
asks for.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .. import podutil
from ..kinds.statefulset import DELETE, ON_DELETE, PARALLEL, RETAIN, ROLLING_UPDATE
from ..store import deep_copy
from .deployment.util import scaled_value_from_int_or_percent
from .history import revision_template

Obj = dict[str, Any]
POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"  # apps.StatefulSetPodNameLabel
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"  # apps.PodIndexLabel (PodIndexLabel is GA)
REVISION_LABEL = "controller-revision-hash"  # apps.StatefulSetRevisionLabel: the revision's name
_ORDINAL = re.compile(r"(.*)-([0-9]+)$")  # statefulPodRegex
_INT32_MAX = 2**31 - 1


def parent_and_ordinal(pod: Mapping[str, Any]) -> tuple[str, int]:
    """getParentNameAndOrdinal: ("", -1) for a name that is not `<set>-<n>`."""
    match = _ORDINAL.match(str((pod.get("metadata") or {}).get("name") or ""))
    if match is None:
        return "", -1
    ordinal = int(match.group(2))
    return match.group(1), ordinal if ordinal <= _INT32_MAX else -1


def ordinal(pod: Mapping[str, Any]) -> int:
    return parent_and_ordinal(pod)[1]


def start_ordinal(sts: Mapping[str, Any]) -> int:
    ordinals = (sts.get("spec") or {}).get("ordinals")
    start = ordinals.get("start") if isinstance(ordinals, dict) else 0
    return start if isinstance(start, int) else 0


def replicas(sts: Mapping[str, Any]) -> int:
    value = (sts.get("spec") or {}).get("replicas", 1)
    return value if isinstance(value, int) and not isinstance(value, bool) else 1


def in_ordinal_range(pod: Mapping[str, Any], sts: Mapping[str, Any]) -> bool:
    """podInOrdinalRange: start <= ordinal <= start + replicas - 1."""
    start = start_ordinal(sts)
    return start <= ordinal(pod) <= start + replicas(sts) - 1


def is_member(sts: Mapping[str, Any], pod: Mapping[str, Any]) -> bool:
    """isMemberOf: the pod's name says it belongs to this set (only such pods are adopted)."""
    return parent_and_ordinal(pod)[0] == sts["metadata"]["name"]


def pod_name(sts: Mapping[str, Any], number: int) -> str:
    return f"{sts['metadata']['name']}-{number}"


def claim_name(sts: Mapping[str, Any], template: Mapping[str, Any], number: int) -> str:
    return f"{(template.get('metadata') or {}).get('name')}-{sts['metadata']['name']}-{number}"


def claims_for(sts: Mapping[str, Any], number: int) -> dict[str, Obj]:
    """getPersistentVolumeClaims: template name -> the claim the pod with this ordinal uses. A claim's labels are
    its template's plus the set's selector matchLabels."""
    spec = sts.get("spec") or {}
    match_labels = (spec.get("selector") or {}).get("matchLabels") or {}
    out: dict[str, Obj] = {}
    for template in spec.get("volumeClaimTemplates") or ():
        meta = dict(template.get("metadata") or {})
        meta["name"] = claim_name(sts, template, number)
        meta["namespace"] = sts["metadata"].get("namespace", "")
        meta["labels"] = {**(meta.get("labels") or {}), **match_labels}
        out[str((template.get("metadata") or {}).get("name"))] = {
            "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta,
            "spec": deep_copy(template.get("spec") or {})}
    return out


def _storage_volumes(sts: Mapping[str, Any], number: int, volumes: list[Obj]) -> list[Obj]:
    """updateStorage: one claim volume per template (first), then the template's other volumes."""
    claims = claims_for(sts, number)
    out: list[Obj] = [{"name": name, "persistentVolumeClaim": {"claimName": claim["metadata"]["name"]}}
                      for name, claim in claims.items()]
    out.extend(vol for vol in volumes if vol.get("name") not in claims)
    return out


def new_pod(sts: Obj, template: Mapping[str, Any], number: int, revision: str) -> Obj:
    """newStatefulSetPod + setPodRevision: GetPodFromTemplate (labels, annotations, finalizers, spec,
    generateName `<set>-`, a controller reference), then the identity (name, the pod-name and pod-index labels,
    hostname, subdomain from serviceName) and the claim volumes."""
    meta = sts["metadata"]
    tmeta = template.get("metadata") or {}
    name = pod_name(sts, number)
    labels = dict(tmeta.get("labels") or {})
    labels[POD_NAME_LABEL] = name
    labels[POD_INDEX_LABEL] = str(number)
    labels[REVISION_LABEL] = revision
    pod_meta: Obj = {"name": name, "generateName": f"{meta['name']}-", "namespace": meta.get("namespace", ""),
                     "labels": labels, "ownerReferences": [podutil.owner_reference(sts)]}
    if tmeta.get("annotations"):
        pod_meta["annotations"] = dict(tmeta["annotations"])
    if tmeta.get("finalizers"):
        pod_meta["finalizers"] = list(tmeta["finalizers"])
    spec = deep_copy(template.get("spec") or {})
    spec["hostname"] = name
    service = (sts.get("spec") or {}).get("serviceName")
    if service:
        spec["subdomain"] = service
    volumes = _storage_volumes(sts, number, list(spec.get("volumes") or ()))
    if volumes:
        spec["volumes"] = volumes
    return {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": spec}


def versioned_pod(sts: Obj, current: Obj, update: Obj, number: int) -> Obj:
    """newVersionedStatefulSetPod: ordinals below the partition (or, with no rollingUpdate block, below
    status.currentReplicas) are made at the current revision, the rest at the update revision."""
    strategy = (sts.get("spec") or {}).get("updateStrategy") or {}
    rolling = strategy.get("rollingUpdate")
    start = start_ordinal(sts)
    status_current = int((sts.get("status") or {}).get("currentReplicas") or 0)
    # Go's operator precedence: (RollingUpdate && rolling == nil && below current) || (rolling != nil && below
    # partition).
    at_current = ((strategy.get("type") == ROLLING_UPDATE and rolling is None and number < start + status_current)
                  or (isinstance(rolling, dict) and number < start + int(rolling.get("partition") or 0)))
    revision = current if at_current else update
    return new_pod(sts, revision_template(revision), number, revision["metadata"]["name"])


def identity_matches(sts: Mapping[str, Any], pod: Mapping[str, Any]) -> bool:
    parent, number = parent_and_ordinal(pod)
    meta = pod.get("metadata") or {}
    return (number >= 0 and parent == sts["metadata"]["name"] and meta.get("name") == pod_name(sts, number)
            and meta.get("namespace", "") == sts["metadata"].get("namespace", "")
            and (meta.get("labels") or {}).get(POD_NAME_LABEL) == meta.get("name"))


def storage_matches(sts: Mapping[str, Any], pod: Mapping[str, Any]) -> bool:
    number = ordinal(pod)
    if number < 0:
        return False
    volumes = {vol.get("name"): vol for vol in (pod.get("spec") or {}).get("volumes") or ()}
    for template in (sts.get("spec") or {}).get("volumeClaimTemplates") or ():
        volume = volumes.get((template.get("metadata") or {}).get("name"))
        claim = (volume or {}).get("persistentVolumeClaim") or {}
        if claim.get("claimName") != claim_name(sts, template, number):
            return False
    return True


# --- health (the monotonic rules wait on these) -------------------------------------------------------------


def phase(pod: Mapping[str, Any]) -> str:
    return str((pod.get("status") or {}).get("phase") or "")


def is_created(pod: Mapping[str, Any]) -> bool:
    """isCreated: the API server has it (a pod only built in memory has no phase)."""
    return phase(pod) != ""


def is_terminating(pod: Mapping[str, Any]) -> bool:
    return bool((pod.get("metadata") or {}).get("deletionTimestamp"))


def is_running_and_ready(pod: Obj) -> bool:
    return phase(pod) == "Running" and podutil.is_ready(pod)


def is_running_and_available(pod: Obj, min_ready: int, now: float) -> bool:
    return podutil.is_available(pod, min_ready, now)


def is_healthy(pod: Obj) -> bool:
    return is_running_and_ready(pod) and not is_terminating(pod)


def is_unavailable(pod: Obj, min_ready: int, now: float) -> bool:
    return not is_healthy(pod) or not is_running_and_available(pod, min_ready, now)


def pod_revision(pod: Mapping[str, Any]) -> str:
    return str(((pod.get("metadata") or {}).get("labels") or {}).get(REVISION_LABEL) or "")


def allows_burst(sts: Mapping[str, Any]) -> bool:
    return (sts.get("spec") or {}).get("podManagementPolicy") == PARALLEL


def is_on_delete(sts: Mapping[str, Any]) -> bool:
    return ((sts.get("spec") or {}).get("updateStrategy") or {}).get("type") == ON_DELETE


def max_unavailable(sts: Mapping[str, Any]) -> int:
    """getStatefulSetMaxUnavailable: against spec.replicas, rounded down, at least 1."""
    rolling = ((sts.get("spec") or {}).get("updateStrategy") or {}).get("rollingUpdate") or {}
    value = rolling.get("maxUnavailable")
    try:
        number = scaled_value_from_int_or_percent(1 if value is None else value, replicas(sts), False)
    except ValueError:
        number = 1
    return max(1, number)


# --- persistentVolumeClaimRetentionPolicy -----------------------------------------------------------------


def retention(sts: Mapping[str, Any]) -> tuple[str, str]:
    """(whenDeleted, whenScaled), Retain when unset."""
    policy = (sts.get("spec") or {}).get("persistentVolumeClaimRetentionPolicy") or {}
    return policy.get("whenDeleted") or RETAIN, policy.get("whenScaled") or RETAIN


def _refs(claim: Mapping[str, Any]) -> list[Obj]:
    return list((claim.get("metadata") or {}).get("ownerReferences") or ())


def _matches_ref(ref: Mapping[str, Any], obj: Mapping[str, Any], api_version: str, kind: str) -> bool:
    return (ref.get("apiVersion") == api_version and ref.get("kind") == kind
            and ref.get("name") == (obj.get("metadata") or {}).get("name"))


def _uid(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("uid") or "")


def _has_owner(claim: Mapping[str, Any], owner: Mapping[str, Any]) -> bool:
    uid = _uid(owner)
    return any(ref.get("uid") == uid for ref in _refs(claim))


def _stale_ref(claim: Mapping[str, Any], obj: Mapping[str, Any], api_version: str, kind: str) -> bool:
    """hasStaleOwnerRef: a reference naming the object but with another uid."""
    for ref in _refs(claim):
        if _matches_ref(ref, obj, api_version, kind):
            return ref.get("uid") != _uid(obj)
    return False


def claim_is_stale(sts: Mapping[str, Any], claim: Mapping[str, Any], pod: Mapping[str, Any]) -> bool:
    """PodClaimIsStale for one existing claim: with whenScaled Delete, a claim still owned by an earlier pod of
    that name is on its way out, and the pod must wait for it to go."""
    return retention(sts)[1] != RETAIN and _stale_ref(claim, pod, "v1", "Pod")


def _unexpected_controller(claim: Mapping[str, Any], sts: Mapping[str, Any], pod: Mapping[str, Any]) -> bool:
    if retention(sts) == (RETAIN, RETAIN):
        return False
    for ref in _refs(claim):
        if _matches_ref(ref, sts, "apps/v1", "StatefulSet"):
            if ref.get("uid") != _uid(sts):
                return True
            continue
        if _matches_ref(ref, pod, "v1", "Pod"):
            if ref.get("uid") != _uid(pod):
                return True
            continue
        if ref.get("controller"):
            return True
    return False


def claim_owner_up_to_date(claim: Mapping[str, Any], sts: Mapping[str, Any], pod: Mapping[str, Any]) -> bool:
    """isClaimOwnerUpToDate: Retain/Retain no reference; whenDeleted Delete a reference to the set; whenScaled
    Delete a reference to the pod once it is scaled away (and then none to the set)."""
    if _stale_ref(claim, sts, "apps/v1", "StatefulSet") or _stale_ref(claim, pod, "v1", "Pod"):
        return True  # managed by an earlier incarnation: left alone
    if _unexpected_controller(claim, sts, pod):
        return not (_has_owner(claim, sts) or _has_owner(claim, pod))
    uids = {_uid(sts), _uid(pod)}
    if any(ref.get("uid") in uids and not ref.get("controller") for ref in _refs(claim)):
        return False
    when_deleted, when_scaled = retention(sts)
    has_set, has_pod = _has_owner(claim, sts), _has_owner(claim, pod)
    scaled_down = not in_ordinal_range(pod, sts)
    if when_scaled == DELETE and when_deleted == DELETE:
        return scaled_down != has_set and scaled_down == has_pod
    if when_scaled == DELETE:
        return not has_set and scaled_down == has_pod
    if when_deleted == DELETE:
        return has_set and not has_pod
    return not has_set and not has_pod


def claim_owner_refs(claim: Mapping[str, Any], sts: Obj, pod: Obj) -> list[Obj]:
    """updateClaimOwnerRefForSetAndPod: the claim's references with ours scrubbed and put back as the policy
    says."""
    unexpected = _unexpected_controller(claim, sts, pod)
    refs = [ref for ref in _refs(claim) if not (_matches_ref(ref, sts, "apps/v1", "StatefulSet")
                                                or _matches_ref(ref, pod, "v1", "Pod"))]
    if unexpected:
        return refs
    when_deleted, when_scaled = retention(sts)
    scaled_down = not in_ordinal_range(pod, sts)
    owners: list[Obj] = []
    if when_scaled == DELETE and scaled_down:
        owners.append(pod)
    if when_deleted == DELETE and not (when_scaled == DELETE and scaled_down):
        owners.append(sts)
    for owner in owners:
        if not any(ref.get("uid") == _uid(owner) for ref in refs):
            refs.append(podutil.owner_reference(owner))
    return refs
