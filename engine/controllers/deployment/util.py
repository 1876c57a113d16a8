"""deployment_util.go: the Deployment controller's shared helpers, over Kubernetes-shaped dicts.

Semantics follow `k/k pkg/controller/deployment/util/deployment_util.go` and the parts of
`pkg/controller/controller_utils.go` it uses (ComputeHash, the ReplicaSet sort orders) at master; the code is
our own. What is specific to one step of a sync lives beside it, as upstream: `sync.py`, `rolling.py`,
`recreate.py`, `progress.py`. Nothing here does I/O: functions answer a question about the objects or mutate
the dict they are explicitly handed (the `set_*` helpers, as their Go counterparts mutate their pointer
argument). The underscore accessors are shared by the package's modules, not meant for callers outside it.

Reading conventions (the engine stores objects as the API returns them, so zero-valued status fields and
unset optional fields are simply absent):
* a missing numeric status field is 0;
* a missing *spec* field takes its apps/v1 default (replicas 1, strategy RollingUpdate with maxSurge and
  maxUnavailable 25%, progressDeadlineSeconds 600, revisionHistoryLimit 10), because the API server
  defaults those on create; a field explicitly set to ``None`` behaves like a nil Go pointer.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cmp_to_key, lru_cache
from typing import Any

from engine.store import deep_copy
from engine.strconv import parse_int, parse_uint
from engine.timeutil import format_time, parse_time

Obj = dict[str, Any]

# The store's keys for the two kinds this controller reads and writes.
DEPLOYMENTS = "deployments.apps"
RS = "replicasets.apps"

# --- annotations, labels, reasons (deployment_util.go, apps/v1 types.go) ---------------------------------

REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
REVISION_HISTORY_ANNOTATION = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS_ANNOTATION = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS_ANNOTATION = "deployment.kubernetes.io/max-replicas"
DEPRECATED_ROLLBACK_TO_ANNOTATION = "deprecated.deployment.rollback.to"
LAST_APPLIED_CONFIG_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration"
CHANGE_CAUSE_ANNOTATION = "kubernetes.io/change-cause"
RESTARTED_AT_ANNOTATION = "kubectl.kubernetes.io/restartedAt"
POD_TEMPLATE_HASH_LABEL = "pod-template-hash"

# sync.go maxRevHistoryLengthInChars: keeps the revision-history annotation bounded.
MAX_REV_HISTORY_LENGTH_IN_CHARS = 2000

ROLLING_UPDATE = "RollingUpdate"
RECREATE = "Recreate"

DEPLOYMENT_AVAILABLE = "Available"
DEPLOYMENT_PROGRESSING = "Progressing"
DEPLOYMENT_REPLICA_FAILURE = "ReplicaFailure"
REPLICA_SET_REPLICA_FAILURE = "ReplicaFailure"

REPLICA_SET_UPDATED_REASON = "ReplicaSetUpdated"
FAILED_RS_CREATE_REASON = "ReplicaSetCreateError"
NEW_REPLICA_SET_REASON = "NewReplicaSetCreated"
FOUND_NEW_RS_REASON = "FoundNewReplicaSet"
NEW_RS_AVAILABLE_REASON = "NewReplicaSetAvailable"
TIMED_OUT_REASON = "ProgressDeadlineExceeded"
PAUSED_DEPLOY_REASON = "DeploymentPaused"
RESUMED_DEPLOY_REASON = "DeploymentResumed"
MINIMUM_REPLICAS_AVAILABLE = "MinimumReplicasAvailable"
MINIMUM_REPLICAS_UNAVAILABLE = "MinimumReplicasUnavailable"

MINIMUM_AVAILABLE_MESSAGE = "Deployment has minimum availability."
MINIMUM_UNAVAILABLE_MESSAGE = "Deployment does not have minimum availability."
PAUSED_MESSAGE = "Deployment is paused"
RESUMED_MESSAGE = "Deployment is resumed"

DEFAULT_MAX_SURGE = "25%"
DEFAULT_MAX_UNAVAILABLE = "25%"
DEFAULT_PROGRESS_DEADLINE_SECONDS = 600
DEFAULT_REVISION_HISTORY_LIMIT = 10
MAX_INT32 = 2**31 - 1

# apimachinery util/rand: vowels and confusable characters removed so generated names never spell words.
SAFE_ENCODE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"

# Annotations that belong to the controller or kubectl rather than to the user's template history.
ANNOTATIONS_TO_SKIP = frozenset(
    {
        LAST_APPLIED_CONFIG_ANNOTATION,
        REVISION_ANNOTATION,
        REVISION_HISTORY_ANNOTATION,
        DESIRED_REPLICAS_ANNOTATION,
        MAX_REPLICAS_ANNOTATION,
        DEPRECATED_ROLLBACK_TO_ANNOTATION,
    }
)


# --- small accessors -----------------------------------------------------------------------------------


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def _name(obj: Mapping[str, Any]) -> str:
    return _meta(obj).get("name", "")


def _annotations(obj: Mapping[str, Any]) -> Mapping[str, str]:
    return _meta(obj).get("annotations") or {}


def _ensure_annotations(obj: Obj) -> dict[str, str]:
    meta = obj.setdefault("metadata", {})
    annotations = meta.get("annotations")
    if annotations is None:
        annotations = {}
        meta["annotations"] = annotations
    return annotations


def _spec(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("spec") or {}


def _status(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("status") or {}


def _int(value: Any) -> int:
    return int(value) if value else 0


def spec_replicas(obj: Mapping[str, Any]) -> int:
    """spec.replicas of a Deployment or ReplicaSet (apps/v1 defaults both to 1)."""
    value = _spec(obj).get("replicas")
    return 1 if value is None else int(value)


def _status_int(obj: Mapping[str, Any] | None, key: str) -> int:
    if obj is None:
        return 0
    return _int(_status(obj).get(key))


def _go_quote(text: str) -> str:
    # Go's %q and JSON string quoting agree for the printable names used in these messages.
    return json.dumps(text, ensure_ascii=False)


def _time_or_minus_inf(value: str | None) -> float:
    # A missing metav1.Time is Go's zero time (year 1): older than anything the engine will compare with.
    return parse_time(value) if value else -math.inf


# --- IntOrString and fenceposts ------------------------------------------------------------------------


def scaled_value_from_int_or_percent(value: int | str | None, total: int, round_up: bool) -> int:
    """apimachinery intstr.GetScaledValueFromIntOrPercent.

    Ints are returned as-is; ``"N%"`` strings scale ``total`` (ceil when ``round_up``, else floor).
    Errors mirror upstream: ``None`` -> ``nil value for IntOrString``; a string without ``%`` (e.g.
    ``"abc"``) -> ``invalid value for IntOrString: invalid type: string is not a percentage``; a
    non-numeric percentage (e.g. ``"abc%"``) -> ``invalid value for IntOrString: invalid value "abc%":
    strconv.Atoi: parsing "abc": invalid syntax``.
    """
    if value is None:
        raise ValueError("nil value for IntOrString")
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("invalid value for IntOrString: invalid type: neither int nor percentage")
    if isinstance(value, int):
        return value
    if not value.endswith("%"):
        raise ValueError("invalid value for IntOrString: invalid type: string is not a percentage")
    try:
        percent = parse_int(value[:-1], "Atoi")
    except ValueError as err:
        raise ValueError(f"invalid value for IntOrString: invalid value {_go_quote(value)}: {err}") from None
    # Same float64 arithmetic as Go: exact integer product, then one division.
    scaled = percent * total / 100
    return math.ceil(scaled) if round_up else math.floor(scaled)


def resolve_fenceposts(
    max_surge: int | str | None, max_unavailable: int | str | None, desired: int
) -> tuple[int, int]:
    """ResolveFenceposts: (surge rounded up, unavailable rounded down); ``None`` counts as 0.

    If both resolve to 0, unavailable becomes 1: validation forbids 0/0, but flooring a small percentage
    can produce it, and surge might be blocked by quota, so progress must come from unavailability.
    Raises ValueError for an invalid IntOrString.
    """
    surge = scaled_value_from_int_or_percent(0 if max_surge is None else max_surge, desired, True)
    unavailable = scaled_value_from_int_or_percent(
        0 if max_unavailable is None else max_unavailable, desired, False
    )
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def is_rolling_update(d: Mapping[str, Any]) -> bool:
    strategy = _spec(d).get("strategy") or {}
    return (strategy.get("type") or ROLLING_UPDATE) == ROLLING_UPDATE


def _rolling_params(d: Mapping[str, Any]) -> tuple[int | str | None, int | str | None]:
    # Absent keys get the apps/v1 defaults; an explicit None stays None (a nil pointer upstream).
    strategy = _spec(d).get("strategy") or {}
    rolling = strategy.get("rollingUpdate") or {}
    return rolling.get("maxSurge", DEFAULT_MAX_SURGE), rolling.get("maxUnavailable", DEFAULT_MAX_UNAVAILABLE)


def max_surge(d: Mapping[str, Any]) -> int:
    """MaxSurge: 0 unless RollingUpdate; invalid values count as 0 (validation rejects them upstream)."""
    if not is_rolling_update(d):
        return 0
    surge_value, unavailable_value = _rolling_params(d)
    try:
        surge, _ = resolve_fenceposts(surge_value, unavailable_value, spec_replicas(d))
    except ValueError:
        return 0
    return surge


def max_unavailable(d: Mapping[str, Any]) -> int:
    """MaxUnavailable: 0 when not RollingUpdate or replicas == 0; never more than replicas."""
    replicas = spec_replicas(d)
    if not is_rolling_update(d) or replicas == 0:
        return 0
    surge_value, unavailable_value = _rolling_params(d)
    try:
        _, unavailable = resolve_fenceposts(surge_value, unavailable_value, replicas)
    except ValueError:
        return 0
    return min(unavailable, replicas)


# --- pod-template hash and template equality -----------------------------------------------------------


def _prune(value: Any) -> Any:
    """Drop nulls and empty maps/lists: in JSON they mean what a nil Go field means, and apimachinery's
    semantic DeepEqual treats nil and empty slices/maps as equal."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            pruned = _prune(item)
            if pruned is None or pruned == {} or pruned == []:
                continue
            out[key] = pruned
        return out
    if isinstance(value, list):
        return [_prune(item) for item in value]
    return value


def canonical_template_json(template: Mapping[str, Any]) -> str:
    """The serialization `compute_hash` hashes: pruned, keys sorted, no whitespace."""
    return json.dumps(_prune(template), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fnv1a_32(data: bytes) -> int:
    """FNV-1a, 32-bit (Go's hash/fnv New32a)."""
    value = 0x811C9DC5
    for byte in data:
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def safe_encode_string(text: str) -> str:
    """apimachinery rand.SafeEncodeString: each character c -> alphabet[ord(c) % 27]."""
    return "".join(SAFE_ENCODE_ALPHABET[ord(ch) % len(SAFE_ENCODE_ALPHABET)] for ch in text)


@lru_cache(maxsize=4096)
def _hash_serialized(serialized: str, collision_count: int | None) -> str:
    data = serialized.encode()
    if collision_count is not None:
        # Upstream writes PutUint32 into an 8-byte buffer, so the hash also covers 4 trailing zero bytes.
        data += struct.pack("<I", collision_count & 0xFFFFFFFF) + b"\x00\x00\x00\x00"
    return safe_encode_string(str(fnv1a_32(data)))


def compute_hash(template: Mapping[str, Any] | str, collision_count: int | None = None) -> str:
    """controller.ComputeHash: the pod-template-hash label value / ReplicaSet name suffix.

    FNV-1a 32 over `canonical_template_json(template)` (or over ``template`` itself when a pre-serialized
    string is passed), followed by the collision count as a little-endian uint32 padded to 8 bytes exactly
    as upstream does, then the decimal value run through `safe_encode_string`. Upstream hashes a
    go-spew dump of the Go struct, so values differ from a real cluster's (same shape: 8-10 characters
    from the safe alphabet); this is accepted. Results are memoized by the serialized form, so calling
    it on every sync costs one `json.dumps` plus a dict lookup.
    """
    serialized = template if isinstance(template, str) else canonical_template_json(template)
    return _hash_serialized(serialized, collision_count)


def _without_hash_label(template: Mapping[str, Any]) -> Mapping[str, Any]:
    labels = _meta(template).get("labels")
    if not labels or POD_TEMPLATE_HASH_LABEL not in labels:
        return template
    stripped = {k: v for k, v in labels.items() if k != POD_TEMPLATE_HASH_LABEL}
    return {**template, "metadata": {**template["metadata"], "labels": stripped}}


def equal_ignore_hash(t1: Mapping[str, Any] | None, t2: Mapping[str, Any] | None) -> bool:
    """EqualIgnoreHash: pod templates equal apart from the pod-template-hash label (inputs untouched)."""
    a = _without_hash_label(t1 or {})
    b = _without_hash_label(t2 or {})
    # Plain equality settles the common case cheaply; pruning handles null/empty-vs-absent differences.
    return a == b or _prune(a) == _prune(b)


# --- revisions and annotations -------------------------------------------------------------------------


def revision(obj: Mapping[str, Any]) -> int:
    """Revision: the revision annotation as an int, 0 when absent; ValueError when unparsable."""
    value = _annotations(obj).get(REVISION_ANNOTATION)
    if value is None:
        return 0
    return parse_int(value, "ParseInt")


def _parsable_revisions(rss: Iterable[Mapping[str, Any] | None]) -> Iterator[int]:
    """The revisions that parse; absent RSs and unparsable annotations are skipped, as upstream does."""
    for rs in rss:
        if rs is None:
            continue
        try:
            yield revision(rs)
        except ValueError:
            continue


def max_revision(rss: Iterable[Mapping[str, Any] | None]) -> int:
    """MaxRevision: highest parsable revision (unparsable ones are skipped)."""
    return max([0, *_parsable_revisions(rss)])


def skip_copy_annotation(key: str) -> bool:
    return key in ANNOTATIONS_TO_SKIP


def copy_deployment_annotations_to_rs(d: Mapping[str, Any], rs: Obj) -> bool:
    """copyDeploymentAnnotationsToReplicaSet: copy all but the skipped keys; True if rs changed."""
    target = _ensure_annotations(rs)
    changed = False
    for key, value in _annotations(d).items():
        if skip_copy_annotation(key) or (key in target and target[key] == value):
            continue
        target[key] = value
        changed = True
    return changed


def get_skipped_annotations(annotations: Mapping[str, str] | None) -> dict[str, str]:
    return {k: v for k, v in (annotations or {}).items() if skip_copy_annotation(k)}


def set_deployment_revision(d: Obj, rev: str) -> bool:
    """SetDeploymentRevision: True if the annotation changed."""
    annotations = _ensure_annotations(d)
    if annotations.get(REVISION_ANNOTATION, "") != rev:
        annotations[REVISION_ANNOTATION] = rev
        return True
    return False


def set_replicas_annotations(rs: Obj, desired_replicas: int, max_replicas: int) -> bool:
    """SetReplicasAnnotations: record desired-replicas and max-replicas; True if either changed."""
    annotations = _ensure_annotations(rs)
    updated = False
    for key, value in (
        (DESIRED_REPLICAS_ANNOTATION, str(desired_replicas)),
        (MAX_REPLICAS_ANNOTATION, str(max_replicas)),
    ):
        if annotations.get(key, "") != value:
            annotations[key] = value
            updated = True
    return updated


def replicas_annotations_need_update(rs: Mapping[str, Any], desired_replicas: int, max_replicas: int) -> bool:
    annotations = _meta(rs).get("annotations")
    if annotations is None:
        return True
    return annotations.get(DESIRED_REPLICAS_ANNOTATION, "") != str(desired_replicas) or annotations.get(
        MAX_REPLICAS_ANNOTATION, ""
    ) != str(max_replicas)


def set_new_replica_set_annotations(
    d: Mapping[str, Any],
    new_rs: Obj,
    new_revision: str,
    exists: bool,
    rev_history_limit_in_chars: int = MAX_REV_HISTORY_LENGTH_IN_CHARS,
) -> bool:
    """SetNewReplicaSetAnnotations (mutates ``new_rs``); True if its annotations changed.

    Copies the Deployment's annotations, raises the revision to ``new_revision`` only if that is larger
    (old RSs may have been deleted since), and when an RS that already had a revision is bumped (a
    rollback to it) appends the old number to revision-history, dropping the oldest entries to stay
    within ``rev_history_limit_in_chars``. A not-yet-created RS also gets desired/max-replicas.
    Like upstream, an unparsable existing or new revision makes it return False straight away.
    """
    changed = copy_deployment_annotations_to_rs(d, new_rs)
    annotations = _ensure_annotations(new_rs)
    had_revision = REVISION_ANNOTATION in annotations
    old_revision = annotations.get(REVISION_ANNOTATION, "")
    try:
        old_value = parse_int(old_revision, "ParseInt")
    except ValueError:
        if old_revision != "":
            return False
        old_value = 0
    try:
        new_value = parse_int(new_revision, "ParseInt")
    except ValueError:
        return False
    if old_value < new_value:
        annotations[REVISION_ANNOTATION] = new_revision
        changed = True
    if had_revision and old_value < new_value:
        history = annotations.get(REVISION_HISTORY_ANNOTATION, "")
        old_revisions = history.split(",")
        if not old_revisions[0]:
            annotations[REVISION_HISTORY_ANNOTATION] = old_revision
        else:
            total = len(history) + len(old_revision) + 1
            start = 0
            while total > rev_history_limit_in_chars and start < len(old_revisions):
                total -= len(old_revisions[start]) + 1
                start += 1
            if total <= rev_history_limit_in_chars:
                annotations[REVISION_HISTORY_ANNOTATION] = ",".join([*old_revisions[start:], old_revision])
    if not exists:
        replicas = spec_replicas(d)
        if set_replicas_annotations(new_rs, replicas, replicas + max_surge(d)):
            changed = True
    return changed


def get_non_negative_int32_from_annotation(rs: Mapping[str, Any], key: str) -> tuple[int, bool, str | None]:
    """getNonNegativeInt32FromAnnotation: (value, ok, error message or None)."""
    annotations = _annotations(rs)
    if key not in annotations:
        return 0, False, None
    try:
        value = parse_uint(annotations[key], 32)
    except ValueError as exc:
        return 0, False, str(exc)
    if value > MAX_INT32:
        return 0, False, f"value {value} is out of range (higher than {MAX_INT32})"
    return value, True, None


def get_desired_replicas_annotation(rs: Mapping[str, Any]) -> int | None:
    value, ok, _ = get_non_negative_int32_from_annotation(rs, DESIRED_REPLICAS_ANNOTATION)
    return value if ok else None


def get_max_replicas_annotation(rs: Mapping[str, Any]) -> int | None:
    value, ok, _ = get_non_negative_int32_from_annotation(rs, MAX_REPLICAS_ANNOTATION)
    return value if ok else None


# --- counting ------------------------------------------------------------------------------------------


def get_replica_count_for_replica_sets(rss: Iterable[Mapping[str, Any] | None]) -> int:
    """Σ spec.replicas."""
    return sum(spec_replicas(rs) for rs in rss if rs is not None)


def get_actual_replica_count_for_replica_sets(rss: Iterable[Mapping[str, Any] | None]) -> int:
    """Σ status.replicas."""
    return sum(_status_int(rs, "replicas") for rs in rss if rs is not None)


def get_ready_replica_count_for_replica_sets(rss: Iterable[Mapping[str, Any] | None]) -> int:
    return sum(_status_int(rs, "readyReplicas") for rs in rss if rs is not None)


def get_available_replica_count_for_replica_sets(rss: Iterable[Mapping[str, Any] | None]) -> int:
    return sum(_status_int(rs, "availableReplicas") for rs in rss if rs is not None)


def get_terminating_replica_count_for_replica_sets(rss: Iterable[Mapping[str, Any] | None]) -> int | None:
    """Σ status.terminatingReplicas, or None when a synced RS does not report it (unknown).

    An RS the ReplicaSet controller has never synced (observedGeneration 0) contributes 0.
    """
    total = 0
    for rs in rss:
        if rs is None:
            continue
        status = _status(rs)
        terminating = status.get("terminatingReplicas")
        if terminating is None:
            if _int(status.get("observedGeneration")) == 0:
                continue
            return None
        total += int(terminating)
    return total


def filter_active_replica_sets(rss: Iterable[Obj | None]) -> list[Obj]:
    """FilterActiveReplicaSets: RSs that have (or ought to have) pods, i.e. spec.replicas > 0."""
    return [rs for rs in rss if rs is not None and spec_replicas(rs) > 0]


# --- sorting -------------------------------------------------------------------------------------------


def _creation_key(rs: Mapping[str, Any]) -> tuple[float, str]:
    return _time_or_minus_inf(_meta(rs).get("creationTimestamp")), _name(rs)


def _cmp(a: Any, b: Any) -> int:
    return (a > b) - (a < b)


def sort_replica_sets_by_creation_timestamp(rss: Iterable[Obj]) -> list[Obj]:
    """ReplicaSetsByCreationTimestamp: oldest first, name as tie-breaker."""
    return sorted(rss, key=_creation_key)


def _by_size(rss: Iterable[Obj], newer_first: bool) -> list[Obj]:
    # Sorting by age first and then (stably) by size leaves equal sizes in age order.
    by_age = sorted(rss, key=_creation_key, reverse=newer_first)
    return sorted(by_age, key=lambda rs: -spec_replicas(rs))


def sort_replica_sets_by_size_newer(rss: Iterable[Obj]) -> list[Obj]:
    """ReplicaSetsBySizeNewer: largest first; equal sizes newest first (used when scaling up)."""
    return _by_size(rss, newer_first=True)


def sort_replica_sets_by_size_older(rss: Iterable[Obj]) -> list[Obj]:
    """ReplicaSetsBySizeOlder: largest first; equal sizes oldest first (used when scaling down)."""
    return _by_size(rss, newer_first=False)


def sort_replica_sets_by_revision(rss: Iterable[Obj]) -> list[Obj]:
    """ReplicaSetsByRevision: lowest revision first; unparsable or equal revisions fall back to age."""

    def compare(a: Obj, b: Obj) -> int:
        try:
            rev_a, rev_b = revision(a), revision(b)
        except ValueError:
            return _cmp(_creation_key(a), _creation_key(b))
        if rev_a == rev_b:
            return _cmp(_creation_key(a), _creation_key(b))
        return _cmp(rev_a, rev_b)

    return sorted(rss, key=cmp_to_key(compare))


# --- finding the new and old ReplicaSets ---------------------------------------------------------------


def is_controlled_by(obj: Mapping[str, Any], owner: Mapping[str, Any]) -> bool:
    """metav1.IsControlledBy: obj's controller ownerReference points at owner's UID."""
    uid = _meta(owner).get("uid")
    for ref in _meta(obj).get("ownerReferences") or ():
        if ref.get("controller"):
            return uid is not None and ref.get("uid") == uid
    return False


def find_new_replica_set(d: Mapping[str, Any], rss: Iterable[Obj]) -> Obj | None:
    """FindNewReplicaSet: the oldest RS whose template equals d's ignoring pod-template-hash.

    Oldest, because after upgrades more than one RS can match (kubernetes#40415) and the choice must be
    deterministic.
    """
    template = _spec(d).get("template") or {}
    for rs in sort_replica_sets_by_creation_timestamp(rss):
        if equal_ignore_hash(_spec(rs).get("template"), template):
            return rs
    return None


def _same_object(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return a is b or (_meta(a).get("namespace"), _name(a)) == (_meta(b).get("namespace"), _name(b))


def find_old_replica_sets(d: Mapping[str, Any], rss: Iterable[Obj]) -> tuple[list[Obj], list[Obj]]:
    """FindOldReplicaSets, but returned as ``(all_old, active_old)`` (upstream returns them swapped).

    Both lists are oldest first, as upstream's in-place sort leaves them.
    """
    ordered = sort_replica_sets_by_creation_timestamp(rss)
    new_rs = find_new_replica_set(d, ordered)
    all_old = [rs for rs in ordered if new_rs is None or not _same_object(rs, new_rs)]
    active_old = [rs for rs in all_old if spec_replicas(rs) != 0]
    return all_old, active_old


def find_active_or_latest(new_rs: Obj | None, old_rss: Sequence[Obj]) -> Obj | None:
    """FindActiveOrLatest: the only active RS, or the newest one when none is active; None if >1 active."""
    if new_rs is None and not old_rss:
        return None
    newest_old_first = sorted(old_rss, key=_creation_key, reverse=True)
    active = filter_active_replica_sets([*newest_old_first, new_rs])
    if not active:
        return new_rs if new_rs is not None else newest_old_first[0]
    if len(active) == 1:
        return active[0]
    return None


def is_saturated(d: Mapping[str, Any], rs: Mapping[str, Any] | None) -> bool:
    """IsSaturated: the RS owns all desired replicas by spec, by its desired-replicas annotation, and by
    availability (all three must agree, so a broken new RS never causes old ones to be dropped)."""
    if rs is None:
        return False
    text = _annotations(rs).get(DESIRED_REPLICAS_ANNOTATION, "")
    try:
        desired = parse_int(text, "Atoi")
    except ValueError:
        return False
    replicas = spec_replicas(d)
    return (
        spec_replicas(rs) == replicas
        and desired == replicas
        and _status_int(rs, "availableReplicas") == replicas
    )


# --- sizing --------------------------------------------------------------------------------------------


def new_rs_new_replicas(
    d: Mapping[str, Any], all_rss: Sequence[Obj | None], new_rs: Mapping[str, Any]
) -> int:
    """NewRSNewReplicas: the size the new RS should grow to now.

    RollingUpdate: up to replicas+maxSurge pods in total, never beyond replicas for the new RS itself.
    Recreate: straight to replicas. Raises ValueError for an unknown strategy or bad maxSurge.
    """
    strategy = (_spec(d).get("strategy") or {}).get("type") or ROLLING_UPDATE
    replicas = spec_replicas(d)
    if strategy == ROLLING_UPDATE:
        surge_value, _ = _rolling_params(d)
        surge = scaled_value_from_int_or_percent(surge_value, replicas, True)
        current = get_replica_count_for_replica_sets(all_rss)
        max_total = replicas + surge
        new_size = spec_replicas(new_rs)
        if current >= max_total:
            return new_size
        return new_size + min(max_total - current, replicas - new_size)
    if strategy == RECREATE:
        return replicas
    raise ValueError(f"deployment type {strategy} isn't supported")


def _round_half_away_from_zero(value: float) -> int:
    # k8s.io/utils/integer.RoundToInt32; Python's round() would round half to even.
    return int(value - 0.5) if value < 0 else int(value + 0.5)


def get_replica_set_fraction(rs: Mapping[str, Any], d: Mapping[str, Any]) -> int:
    """getReplicaSetFraction: how many replicas this RS gains (or loses) in a proportional scale.

    Scales the RS by (replicas + maxSurge) / max-replicas-annotation, falling back to the Deployment's
    status.replicas when the annotation is missing, invalid or 0; returns 0 if that is 0 too, since there
    is nothing to scale against. Scaling the Deployment to 0 takes the whole RS away.
    """
    rs_size = spec_replicas(rs)
    replicas = spec_replicas(d)
    if replicas == 0:
        return -rs_size
    deployment_max_replicas = replicas + max_surge(d)
    before = get_max_replicas_annotation(rs)
    if not before:
        before = _status_int(d, "replicas")
        if before == 0:
            return 0
    return _round_half_away_from_zero(rs_size * deployment_max_replicas / before) - rs_size


def get_proportion(rs: Mapping[str, Any] | None, d: Mapping[str, Any], to_add: int, added: int) -> int:
    """GetReplicaSetProportion: the RS's fraction, clamped so the running total never passes ``to_add``."""
    if rs is None or spec_replicas(rs) == 0 or to_add == 0 or to_add == added:
        return 0
    fraction = get_replica_set_fraction(rs, d)
    allowed = to_add - added
    return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)


# --- owner references ----------------------------------------------------------------------------------


def controller_ref(d: Mapping[str, Any]) -> Obj:
    """metav1.NewControllerRef for a Deployment."""
    meta = _meta(d)
    return {
        "apiVersion": d.get("apiVersion", "apps/v1"),
        "kind": d.get("kind", "Deployment"),
        "name": meta.get("name", ""),
        "uid": meta.get("uid", ""),
        "controller": True,
        "blockOwnerDeletion": True,
    }


# --- conditions ----------------------------------------------------------------------------------------


def new_deployment_condition(cond_type: str, status: str, reason: str, message: str, now: float) -> Obj:
    """NewDeploymentCondition, with both timestamps at ``now`` (RFC 3339, second precision)."""
    stamp = format_time(now)
    condition: Obj = {
        "type": cond_type,
        "status": status,
        "lastUpdateTime": stamp,
        "lastTransitionTime": stamp,
    }
    if reason:
        condition["reason"] = reason
    if message:
        condition["message"] = message
    return condition


def get_condition(status: Mapping[str, Any] | None, cond_type: str) -> Obj | None:
    for condition in (status or {}).get("conditions") or ():
        if condition.get("type") == cond_type:
            return condition
    return None


def set_condition(status: Obj, condition: Obj) -> None:
    """SetDeploymentCondition (mutates ``status``).

    No-op when a condition of that type already has the same status and reason (its message and times
    are kept); otherwise it replaces it at the end of the list, keeping the old lastTransitionTime if
    only the reason changed.
    """
    current = get_condition(status, condition["type"])
    if current is not None and current.get("status") == condition.get("status"):
        if current.get("reason", "") == condition.get("reason", ""):
            return
        condition = dict(condition)
        if current.get("lastTransitionTime") is not None:
            condition["lastTransitionTime"] = current["lastTransitionTime"]
        else:
            condition.pop("lastTransitionTime", None)
    others = [c for c in status.get("conditions") or () if c.get("type") != condition["type"]]
    status["conditions"] = [*others, condition]


def remove_condition(status: Obj, cond_type: str) -> None:
    """RemoveDeploymentCondition (mutates ``status``; drops the key when no condition is left)."""
    others = [c for c in status.get("conditions") or () if c.get("type") != cond_type]
    if others:
        status["conditions"] = others
    else:
        status.pop("conditions", None)


def replica_set_to_deployment_condition(cond: Mapping[str, Any]) -> Obj:
    """ReplicaSetToDeploymentCondition: both times come from the RS condition's lastTransitionTime."""
    converted: Obj = {"type": cond.get("type"), "status": cond.get("status")}
    if cond.get("lastTransitionTime") is not None:
        converted["lastUpdateTime"] = cond["lastTransitionTime"]
        converted["lastTransitionTime"] = cond["lastTransitionTime"]
    if cond.get("reason"):
        converted["reason"] = cond["reason"]
    if cond.get("message"):
        converted["message"] = cond["message"]
    return converted


# --- progress predicates and limits --------------------------------------------------------------------


def has_progress_deadline(d: Mapping[str, Any]) -> bool:
    """HasProgressDeadline: False for an explicit None or MaxInt32 (absent means the default 600)."""
    deadline = _spec(d).get("progressDeadlineSeconds", DEFAULT_PROGRESS_DEADLINE_SECONDS)
    return deadline is not None and int(deadline) != MAX_INT32


def _progress_deadline(d: Mapping[str, Any]) -> int:
    return int(_spec(d).get("progressDeadlineSeconds", DEFAULT_PROGRESS_DEADLINE_SECONDS))


def deployment_complete(d: Mapping[str, Any], new_status: Mapping[str, Any]) -> bool:
    """DeploymentComplete: all replicas updated and available, no old ones left, generation observed."""
    replicas = spec_replicas(d)
    return (
        _int(new_status.get("updatedReplicas")) == replicas
        and _int(new_status.get("replicas")) == replicas
        and _int(new_status.get("availableReplicas")) == replicas
        and _int(new_status.get("observedGeneration")) >= _int(_meta(d).get("generation"))
    )


def deployment_progressing(d: Mapping[str, Any], new_status: Mapping[str, Any]) -> bool:
    """DeploymentProgressing: compared with d's current status, more updated/ready/available pods or
    fewer old pods."""
    old = _status(d)
    old_old = _int(old.get("replicas")) - _int(old.get("updatedReplicas"))
    new_old = _int(new_status.get("replicas")) - _int(new_status.get("updatedReplicas"))
    return (
        _int(new_status.get("updatedReplicas")) > _int(old.get("updatedReplicas"))
        or new_old < old_old
        or _int(new_status.get("readyReplicas")) > _int(old.get("readyReplicas"))
        or _int(new_status.get("availableReplicas")) > _int(old.get("availableReplicas"))
    )


def deployment_timed_out(d: Mapping[str, Any], new_status: Mapping[str, Any], now: float) -> bool:
    """DeploymentTimedOut: the Progressing condition's lastUpdateTime is more than the deadline ago.

    Never after a completed rollout (NewReplicaSetAvailable; a stale cache could otherwise fail a fresh
    rollout), always once ProgressDeadlineExceeded has been reported.
    """
    if not has_progress_deadline(d):
        return False
    condition = get_condition(new_status, DEPLOYMENT_PROGRESSING)
    if condition is None:
        return False
    if condition.get("reason") == NEW_RS_AVAILABLE_REASON:
        return False
    if condition.get("reason") == TIMED_OUT_REASON:
        return True
    return _time_or_minus_inf(condition.get("lastUpdateTime")) + _progress_deadline(d) < now


def has_revision_history_limit(d: Mapping[str, Any]) -> bool:
    """HasRevisionHistoryLimit: False for an explicit None or MaxInt32 (keep everything)."""
    limit = _spec(d).get("revisionHistoryLimit", DEFAULT_REVISION_HISTORY_LIMIT)
    return limit is not None and int(limit) != MAX_INT32


# --- rollback: the target and what the Deployment becomes (kubectl rollout undo) -----------------------


def find_rollback_target(rss: Iterable[Obj | None], to_revision: int) -> Obj | None:
    """The RS to roll back to, as `kubectl rollout undo` picks it (None if there is none).

    ``to_revision > 0``: the RS with exactly that revision. ``0``: the RS with the second-highest revision
    (the previous one). RSs with unparsable revisions are ignored.
    """
    latest_rev, previous_rev = -1, -1
    latest: Obj | None = None
    previous: Obj | None = None
    for rs in rss:
        if rs is None:
            continue
        try:
            value = revision(rs)
        except ValueError:
            continue
        if to_revision > 0:
            if value == to_revision:
                return rs
            continue
        if latest_rev < value:
            previous_rev, previous = latest_rev, latest
            latest_rev, latest = value, rs
        elif previous_rev < value:
            previous_rev, previous = value, rs
    return None if to_revision > 0 else previous


def rollback_template(rs: Mapping[str, Any]) -> Obj:
    """The RS's pod template (deep copy) without the pod-template-hash label, ready for d.spec.template."""
    template = deep_copy(_spec(rs).get("template") or {})
    meta = template.get("metadata")
    if meta and meta.get("labels") and POD_TEMPLATE_HASH_LABEL in meta["labels"]:
        meta["labels"].pop(POD_TEMPLATE_HASH_LABEL)
        if not meta["labels"]:
            del meta["labels"]
    return template


def rollback_annotations(d: Mapping[str, Any], rs: Mapping[str, Any]) -> dict[str, str]:
    """The annotations `kubectl rollout undo` writes: d's controller-owned ones plus the RS's others
    (e.g. its kubernetes.io/change-cause)."""
    annotations = get_skipped_annotations(_annotations(d))
    annotations.update({k: v for k, v in _annotations(rs).items() if not skip_copy_annotation(k)})
    return annotations
