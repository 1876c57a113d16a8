"""`kubectl rollout` for Deployments: undo, restart, pause/resume, status and history.

These are client-side operations in kubectl (`pkg/polymorphichelpers`); they write through the API like any
client and return kubectl's messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import errors
from .api import Api
from .controllers.deployment import util as du
from .store import deep_copy
from .timeutil import format_time

Obj = dict[str, Any]
NO_CAUSE = "<none>"  # what `kubectl rollout history` prints for a revision without a change-cause


@dataclass(frozen=True)
class RevisionInfo:
    """One revision of a Deployment: the ReplicaSet that holds it, as a rollout panel lists it."""

    revision: int
    change_cause: str
    replica_set: str
    images: tuple[str, ...]
    desired: int  # spec.replicas
    current: int  # status.replicas
    ready: int  # status.readyReplicas
    created: str  # the ReplicaSet's creationTimestamp (RFC 3339)
    is_current: bool  # its template is the Deployment's (the ReplicaSet new pods come from)


@dataclass(frozen=True)
class RolloutProgress:
    """The counts `kubectl rollout status` judges by, plus what explains their pace (strategy, pause)."""

    revision: int  # the Deployment's revision annotation, 0 before the first rollout is observed
    desired: int
    updated: int
    ready: int
    available: int
    replicas: int  # pods of every revision, terminating ones excluded
    old: int  # replicas - updated: kubectl's "old replicas pending termination"
    terminating: int | None  # status.terminatingReplicas, None when not every ReplicaSet reports it
    strategy: str  # RollingUpdate or Recreate
    max_surge: str  # as declared ("25%", "1"); "" for Recreate
    max_unavailable: str
    surge: int  # the declared values resolved against desired, as the controller uses them
    unavailable: int
    paused: bool
    observed: bool  # the controller has seen the latest spec (observedGeneration >= generation)


def _deployment(api: Api, name: str, namespace: str) -> Obj:
    return api.get("deployments", name, namespace)


def _owned_replica_sets(api: Api, d: Obj) -> list[Obj]:
    uid = d["metadata"]["uid"]
    return [rs for rs in api.store.dependents(uid, "replicasets.apps")
            if any(r.get("uid") == uid and r.get("controller") for r in rs["metadata"].get("ownerReferences") or ())]


def rollout_undo(api: Api, name: str, namespace: str, to_revision: int | None = None) -> str:
    """DeploymentRollbacker.Rollback, checks in kubectl's order: the target revision first, then paused."""
    revision = to_revision or 0
    if revision < 0:
        raise errors.bad_request(f"unable to find specified revision {revision} in history")
    d = _deployment(api, name, namespace)
    rss = _owned_replica_sets(api, d)
    target = du.find_rollback_target(rss, revision)
    if target is None:
        if revision > 0:
            raise errors.bad_request(f"unable to find specified revision {revision} in history")
        raise errors.bad_request(f'no rollout history found for deployment "{name}"')
    if d["spec"].get("paused"):
        raise errors.bad_request("you cannot rollback a paused deployment; resume it first with "
                                 "'kubectl rollout resume' and try again")
    if du.equal_ignore_hash(d["spec"]["template"], target["spec"]["template"]):
        # kubectl prints the --to-revision argument here (0 when it was not given), not the RS's revision.
        return f"deployment.apps/{name} skipped rollback (current template already matches revision {revision})"
    updated = deep_copy(d)
    updated["spec"]["template"] = du.rollback_template(target)
    updated["metadata"]["annotations"] = du.rollback_annotations(d, target)
    api.update(updated)
    return f"deployment.apps/{name} rolled back"


def rollout_restart(api: Api, name: str, namespace: str) -> str:
    d = deep_copy(_deployment(api, name, namespace))
    if d["spec"].get("paused"):
        raise errors.bad_request(
            f'deployments.apps "{name}" can\'t restart paused deployment (run rollout resume first)')
    template_meta = d["spec"]["template"].setdefault("metadata", {})
    annotations = template_meta.get("annotations") or {}
    annotations[du.RESTARTED_AT_ANNOTATION] = format_time(api.clock.now())
    template_meta["annotations"] = annotations
    api.update(d)
    return f"deployment.apps/{name} restarted"


def set_paused(api: Api, name: str, namespace: str, paused: bool) -> str:
    d = deep_copy(_deployment(api, name, namespace))
    if bool(d["spec"].get("paused")) == paused:
        # kubectl's ObjectPauser/ObjectResumer refuse a no-op, reported per object as `<resource> "<name>" <err>`.
        raise errors.bad_request(f'deployments.apps "{name}" {"is already paused" if paused else "is not paused"}')
    if paused:
        d["spec"]["paused"] = True
    else:
        d["spec"].pop("paused", None)
    api.update(d)
    return f"deployment.apps/{name} {'paused' if paused else 'resumed'}"


def rollout_status(api: Api, name: str, namespace: str) -> tuple[str, bool]:
    """kubectl's one-line status and whether the rollout is done (DeploymentStatusViewer)."""
    d = _deployment(api, name, namespace)
    spec, status, meta = d["spec"], d.get("status") or {}, d["metadata"]
    if meta.get("generation", 0) > status.get("observedGeneration", 0):
        return "Waiting for deployment spec update to be observed...", False
    for cond in status.get("conditions") or ():
        if cond.get("type") == "Progressing" and cond.get("reason") == du.TIMED_OUT_REASON:
            raise errors.bad_request(f'deployment "{name}" exceeded its progress deadline')
    desired = spec.get("replicas", 1)
    updated = status.get("updatedReplicas", 0)
    replicas = status.get("replicas", 0)
    available = status.get("availableReplicas", 0)
    prefix = f'Waiting for deployment "{name}" rollout to finish: '
    if updated < desired:
        return f"{prefix}{updated} out of {desired} new replicas have been updated...", False
    if replicas > updated:
        return f"{prefix}{replicas - updated} old replicas are pending termination...", False
    if available < updated:
        return f"{prefix}{available} of {updated} updated replicas are available...", False
    return f'deployment "{name}" successfully rolled out', True


def rollout_history(api: Api, name: str, namespace: str) -> list[tuple[int, str]]:
    """(revision, change-cause or `<none>`) oldest first, as `kubectl rollout history` lists them."""
    d = _deployment(api, name, namespace)
    history: dict[int, str] = {}
    for rs in _owned_replica_sets(api, d):
        try:
            rev = du.revision(rs)
        except ValueError:
            continue
        cause = (rs["metadata"].get("annotations") or {}).get(du.CHANGE_CAUSE_ANNOTATION, NO_CAUSE)
        history[rev] = cause
    return sorted(history.items())


def _images(rs: Obj) -> tuple[str, ...]:
    pod_spec = ((rs.get("spec") or {}).get("template") or {}).get("spec") or {}
    return tuple(c.get("image", "") for c in pod_spec.get("containers") or ())


def rollout_revisions(api: Api, name: str, namespace: str) -> list[RevisionInfo]:
    """Every revision the Deployment can be rolled back to, oldest first, as `rollout_history` orders them."""
    d = _deployment(api, name, namespace)
    rss = _owned_replica_sets(api, d)
    new_rs = du.find_new_replica_set(d, rss)
    out: list[RevisionInfo] = []
    for rs in rss:
        try:
            rev = du.revision(rs)
        except ValueError:
            continue  # kubectl's history skips an unparsable revision too
        meta, status = rs["metadata"], rs.get("status") or {}
        out.append(RevisionInfo(
            revision=rev,
            change_cause=(meta.get("annotations") or {}).get(du.CHANGE_CAUSE_ANNOTATION, NO_CAUSE),
            replica_set=meta["name"],
            images=_images(rs),
            desired=du.spec_replicas(rs),
            current=int(status.get("replicas", 0)),
            ready=int(status.get("readyReplicas", 0)),
            created=meta.get("creationTimestamp", ""),
            is_current=new_rs is not None and new_rs["metadata"]["uid"] == meta["uid"],
        ))
    return sorted(out, key=lambda r: (r.revision, r.created))


def _declared(params: Obj, key: str, default: str) -> str:
    value = params.get(key, default)
    return "" if value is None else str(value)


def rollout_progress(api: Api, name: str, namespace: str) -> RolloutProgress:
    d = _deployment(api, name, namespace)
    spec, status, meta = d["spec"], d.get("status") or {}, d["metadata"]
    rolling = du.is_rolling_update(d)
    params = (spec.get("strategy") or {}).get("rollingUpdate") or {}  # absent: the API server defaults, 25%/25%
    updated, replicas = status.get("updatedReplicas", 0), status.get("replicas", 0)
    try:
        revision = du.revision(d)
    except ValueError:
        revision = 0
    return RolloutProgress(
        revision=revision,
        desired=du.spec_replicas(d),
        updated=updated,
        ready=status.get("readyReplicas", 0),
        available=status.get("availableReplicas", 0),
        replicas=replicas,
        old=max(0, replicas - updated),
        terminating=status.get("terminatingReplicas"),
        strategy=(spec.get("strategy") or {}).get("type") or du.ROLLING_UPDATE,
        max_surge=_declared(params, "maxSurge", du.DEFAULT_MAX_SURGE) if rolling else "",
        max_unavailable=_declared(params, "maxUnavailable", du.DEFAULT_MAX_UNAVAILABLE) if rolling else "",
        surge=du.max_surge(d),
        unavailable=du.max_unavailable(d),
        paused=bool(spec.get("paused")),
        observed=meta.get("generation", 0) <= status.get("observedGeneration", 0),
    )
