"""StatefulSet (apps/v1): pods with stable names (`web-0`, `web-1`), stable network identity and their own claims.

Defaults follow `k/k pkg/apis/apps/v1/defaults.go` SetDefaults_StatefulSet; validation follows
`pkg/apis/apps/validation/validation.go` ValidateStatefulSetSpec / ValidateStatefulSetUpdate; the dropped field
follows `pkg/registry/apps/statefulset/strategy.go` dropStatefulSetDisabledFields. Health is gitops-engine's
`pkg/health/health_statefulset.go`, which borrows kubectl's StatefulSetStatusViewer.
"""

from __future__ import annotations

from typing import Any

from ..printers.statefulsets import (
    STATEFULSET_COLUMNS,
    STATEFULSET_WIDE_COLUMNS,
    describe_statefulset,
    statefulset_row,
    statefulset_row_wide,
)
from ..quoting import go_quote
from . import validation as v
from .daemonset import _status_int
from .deployment import _int_or_percent
from .podspec import default_pod_template
from .registry import REGISTRY, DescribeContext, FieldErrors, Health, KindInfo, Obj
from .workload import validate_workload

ROLLING_UPDATE = "RollingUpdate"
ON_DELETE = "OnDelete"
ORDERED_READY = "OrderedReady"
PARALLEL = "Parallel"
RETAIN = "Retain"
DELETE = "Delete"
# The MaxUnavailableStatefulSet feature gate, off by default in v1.36 (a v1.36 API server drops
# `rollingUpdate.maxUnavailable`, and its controller replaces one pod at a time). The controller implements the
# gated path too; tests flip this to exercise it.
MAX_UNAVAILABLE_STATEFULSET = False
# ValidateStatefulSetUpdate: the spec fields an update may change.
UPDATABLE_FIELDS = ("replicas", "ordinals", "template", "updateStrategy", "revisionHistoryLimit",
                    "persistentVolumeClaimRetentionPolicy", "minReadySeconds")
UPDATE_FORBIDDEN = ("updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
                    "'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and "
                    "'minReadySeconds' are forbidden")


def _default_claim_template(claim: Any) -> None:
    """SetDefaults_PersistentVolumeClaim on each template, which the API server also gives its type meta."""
    if not isinstance(claim, dict):
        return
    claim.setdefault("apiVersion", "v1")
    claim.setdefault("kind", "PersistentVolumeClaim")
    info = REGISTRY.by_kind("PersistentVolumeClaim")
    if info is not None:
        info.default(claim)


def _default(sts: Obj) -> None:
    spec = sts.get("spec")
    if not isinstance(spec, dict):
        return
    spec.setdefault("podManagementPolicy", ORDERED_READY)
    strategy = spec.setdefault("updateStrategy", {})
    if isinstance(strategy, dict):
        if not strategy.get("type"):
            strategy["type"] = ROLLING_UPDATE
            strategy.setdefault("rollingUpdate", {})
        rolling = strategy.get("rollingUpdate")
        if strategy["type"] == ROLLING_UPDATE and isinstance(rolling, dict):
            rolling.setdefault("partition", 0)
            if MAX_UNAVAILABLE_STATEFULSET:
                rolling.setdefault("maxUnavailable", 1)
        if isinstance(rolling, dict) and not MAX_UNAVAILABLE_STATEFULSET:
            rolling.pop("maxUnavailable", None)  # dropStatefulSetDisabledFields
    policy = spec.setdefault("persistentVolumeClaimRetentionPolicy", {})
    if isinstance(policy, dict):
        policy["whenDeleted"] = policy.get("whenDeleted") or RETAIN
        policy["whenScaled"] = policy.get("whenScaled") or RETAIN
    spec.setdefault("replicas", 1)
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("serviceName", "")  # not omitempty: a real API server shows serviceName: ""
    template = spec.get("template")
    default_pod_template(template)
    for claim in spec.get("volumeClaimTemplates") or ():
        _default_claim_template(claim)


def _validate_strategy(strategy: Any) -> FieldErrors:
    if not isinstance(strategy, dict):
        return [v.type_error("spec.updateStrategy", strategy, "object")]
    kind, rolling = strategy.get("type"), strategy.get("rollingUpdate")
    path = "spec.updateStrategy.rollingUpdate"
    if kind == ROLLING_UPDATE:
        if rolling is None:
            return []
        if not isinstance(rolling, dict):
            return [v.type_error(path, rolling, "object")]
        errors = v.non_negative(f"{path}.partition", rolling.get("partition"))
        if rolling.get("maxUnavailable") is not None:
            more, number, percent = _int_or_percent(f"{path}.maxUnavailable", rolling["maxUnavailable"])
            errors.extend(more)
            if not more and number == 0:
                errors.append(v.invalid(f"{path}.maxUnavailable", rolling["maxUnavailable"],
                                        "must be greater than 0"))
            if percent and number is not None and number > 100:
                errors.append(v.invalid(f"{path}.maxUnavailable", rolling["maxUnavailable"],
                                        "must not be greater than 100%"))
        return errors
    if kind == ON_DELETE:
        if rolling is not None:
            shown = _rolling_text(rolling)
            return [(path, f"Invalid value: {shown}: only allowed for updateStrategy '{ROLLING_UPDATE}'")]
        return []
    if not kind:
        return [v.required("spec.updateStrategy")]
    rolling_text = "null" if rolling is None else _rolling_text(rolling)
    shown = f'{{"Type":{go_quote(str(kind))},"RollingUpdate":{rolling_text}}}'
    return [("spec.updateStrategy", f"Invalid value: {shown}: must be '{ROLLING_UPDATE}' or '{ON_DELETE}'")]


def _rolling_text(rolling: Any) -> str:
    """The Go struct as the API server's error shows it: `{"Partition":1,"MaxUnavailable":null}`."""
    if not isinstance(rolling, dict):
        return "{...}"
    partition = rolling.get("partition")
    unavailable = rolling.get("maxUnavailable")
    shown = "null" if unavailable is None else (go_quote(unavailable) if isinstance(unavailable, str)
                                                else str(unavailable))
    return f'{{"Partition":{"null" if partition is None else partition},"MaxUnavailable":{shown}}}'


def _validate(sts: Obj, old: Obj | None) -> FieldErrors:
    spec = sts.get("spec")
    if not isinstance(spec, dict):
        return validate_workload(sts, None, kind_word="statefulset")
    errors: FieldErrors = []
    policy = spec.get("podManagementPolicy")
    if not policy:
        errors.append(v.required("spec.podManagementPolicy"))
    elif policy not in (ORDERED_READY, PARALLEL):
        errors.append(v.invalid("spec.podManagementPolicy", policy,
                                f"must be '{ORDERED_READY}' or '{PARALLEL}'"))
    errors.extend(_validate_strategy(spec.get("updateStrategy") or {}))
    retention = spec.get("persistentVolumeClaimRetentionPolicy") or {}
    if isinstance(retention, dict):
        for field in ("whenDeleted", "whenScaled"):
            if retention.get(field) not in (RETAIN, DELETE):
                errors.append(v.unsupported(f"spec.persistentVolumeClaimRetentionPolicy.{field}",
                                            retention.get(field), [RETAIN, DELETE]))
    ordinals = spec.get("ordinals")
    if isinstance(ordinals, dict):
        errors.extend(v.non_negative("spec.ordinals.start", ordinals.get("start")))
    # The counts first, checked here: the shared workload check skips the template's checks after any error, but
    # a real API server reports a bad replica count and mismatched labels together. Selector immutability is the
    # update rule below, not the generic workload check.
    counts = ("replicas", "minReadySeconds", "revisionHistoryLimit")
    for field in counts:
        errors.extend(v.non_negative(f"spec.{field}", spec.get(field)))
    rest = {**sts, "spec": {k: val for k, val in spec.items() if k not in counts}}
    template = spec.get("template")
    claims = spec.get("volumeClaimTemplates")
    if isinstance(template, dict) and isinstance(template.get("spec"), dict) and isinstance(claims, list):
        # A container may mount a claim template by name: each becomes a volume of the pods.
        pod_spec = template["spec"]
        volumes = list(pod_spec.get("volumes") or []) + [
            {"name": (c.get("metadata") or {}).get("name")} for c in claims if isinstance(c, dict)]
        rest["spec"]["template"] = {**template, "spec": {**pod_spec, "volumes": volumes}}
    errors.extend(validate_workload(rest, None, kind_word="statefulset"))
    errors.extend(_validate_claim_templates(spec.get("volumeClaimTemplates")))
    if old is not None and isinstance(old.get("spec"), dict):
        rest = {k: val for k, val in spec.items() if k not in UPDATABLE_FIELDS}
        old_rest = {k: val for k, val in old["spec"].items() if k not in UPDATABLE_FIELDS}
        if rest != old_rest:
            errors.append(v.forbidden("spec", UPDATE_FORBIDDEN))
    return errors


def _validate_claim_templates(templates: Any) -> FieldErrors:
    if templates is None:
        return []
    if not isinstance(templates, list):
        return [v.type_error("spec.volumeClaimTemplates", templates, "array")]
    info = REGISTRY.by_kind("PersistentVolumeClaim")
    errors: FieldErrors = []
    for i, claim in enumerate(templates):
        path = f"spec.volumeClaimTemplates[{i}]"
        if not isinstance(claim, dict):
            errors.append(v.type_error(path, claim, "object"))
            continue
        name = (claim.get("metadata") or {}).get("name")
        if not name:
            errors.append(v.required(f"{path}.metadata.name", "name or generateName is required"))
        else:
            errors.extend(v.dns1123_subdomain(f"{path}.metadata.name", name))
        if info is not None:
            errors.extend((f"{path}.{field}", message) for field, message in info.validate(claim, None))
    return errors


def _replicas(sts: Obj) -> int:
    value = (sts.get("spec") or {}).get("replicas", 1)
    return value if isinstance(value, int) and not isinstance(value, bool) else 1


def rollout_message(sts: Obj) -> tuple[str, bool]:
    """kubectl's StatefulSetStatusViewer for RollingUpdate (`kubectl pkg/polymorphichelpers/rollout_status.go`):
    the message without its newline, and whether the rollout is done."""
    meta, spec, status = sts.get("metadata") or {}, sts.get("spec") or {}, sts.get("status") or {}
    observed = _status_int(status, "observedGeneration")
    if observed == 0 or meta.get("generation", 0) > observed:
        return "Waiting for statefulset spec update to be observed...", False
    replicas = _replicas(sts)
    ready = _status_int(status, "readyReplicas")
    if ready < replicas:
        return f"Waiting for {replicas - ready} pods to be ready...", False
    updated = _status_int(status, "updatedReplicas")
    rolling = (spec.get("updateStrategy") or {}).get("rollingUpdate")
    if isinstance(rolling, dict):
        partition = rolling.get("partition")
        if isinstance(partition, int) and updated < replicas - partition:
            return (f"Waiting for partitioned roll out to finish: {updated} out of {replicas - partition} new pods "
                    "have been updated..."), False
        return f"partitioned roll out complete: {updated} new pods have been updated...", True
    if status.get("updateRevision") != status.get("currentRevision"):
        return (f"waiting for statefulset rolling update to complete {updated} pods at revision "
                f"{status.get('updateRevision') or ''}..."), False
    return (f"statefulset rolling update complete {_status_int(status, 'currentReplicas')} pods at revision "
            f"{status.get('currentRevision') or ''}..."), True


def statefulset_health(sts: Obj) -> Health:
    """gitops-engine getAppsv1StatefulSetHealth: kubectl's viewer, except that OnDelete is Healthy with a count."""
    spec, status = sts.get("spec") or {}, sts.get("status") or {}
    message, done = rollout_message(sts)
    strategy = (spec.get("updateStrategy") or {}).get("type")
    if not done and not message.startswith("waiting for statefulset rolling update"):
        return Health("Progressing", message)
    if strategy == ON_DELETE:
        return Health("Healthy", f"statefulset has {_status_int(status, 'readyReplicas')} ready pods")
    return Health("Healthy" if done else "Progressing", message)


def _problems(sts: Obj) -> list[tuple[str, str]]:
    """What a learner may not expect: an update held back by a partition or by OnDelete."""
    spec, status = sts.get("spec") or {}, sts.get("status") or {}
    update, current = status.get("updateRevision"), status.get("currentRevision")
    if not update or update == current:
        return []
    replicas, updated = _replicas(sts), _status_int(status, "updatedReplicas")
    if updated >= replicas:
        return []
    strategy = spec.get("updateStrategy") or {}
    if strategy.get("type") == ON_DELETE:
        return [("OnDelete", f"{replicas - updated} pod(s) still run revision {current}: the OnDelete strategy "
                             "replaces a pod only when it is deleted")]
    partition = (strategy.get("rollingUpdate") or {}).get("partition") or 0
    if isinstance(partition, int) and partition > 0 and updated >= replicas - partition:
        return [("Partitioned", f"pods with an ordinal below the partition ({partition}) stay at revision "
                                f"{current}; lower the partition to update them")]
    return []


def _describe(sts: Obj, ctx: DescribeContext) -> str:
    return describe_statefulset(sts, ctx.dependents(sts, "pods"), ctx.events(sts), ctx.now())


STATEFULSET = REGISTRY.register(KindInfo(
    kind="StatefulSet", group="apps", version="v1", plural="statefulsets", namespaced=True, short_names=("sts",),
    default=_default, validate=_validate, name_rule="label",  # ValidateStatefulSetName: the pods' hostnames
    columns=STATEFULSET_COLUMNS, row=statefulset_row, wide_columns=STATEFULSET_WIDE_COLUMNS,
    wide_row=statefulset_row_wide, describe=_describe, health=statefulset_health, problems=_problems,
    scalable=True, restartable=True, rollout=True, owns_pods=True,
))
