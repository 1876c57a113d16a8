"""`kubectl rollout` for Deployments, DaemonSets and StatefulSets: undo, restart, pause/resume, status and history.

These are client-side operations in kubectl (`pkg/polymorphichelpers`); they write through the API like any
client and return kubectl's messages. Every entry point takes the kind (`Deployment` by default); a Deployment's
revisions are its ReplicaSets, a DaemonSet's and a StatefulSet's their ControllerRevisions (DaemonSetStatusViewer,
StatefulSetStatusViewer, the History viewers and Rollbackers of both).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import errors
from .api import Api
from .controllers import daemonset_util as dsu
from .controllers import history as crh
from .controllers import statefulset_util as ssu
from .controllers.deployment import util as du
from .kinds import REGISTRY
from .kinds import statefulset as sts_kind
from .store import deep_copy
from .timeutil import format_time

Obj = dict[str, Any]
NO_CAUSE = "<none>"  # what `kubectl rollout history` prints for a revision without a change-cause


@dataclass(frozen=True)
class RevisionInfo:
    """One revision of a Deployment (the ReplicaSet that holds it) or of a DaemonSet (its ControllerRevision), as a
    rollout panel lists it."""

    revision: int
    change_cause: str
    replica_set: str  # the object holding the revision: a ReplicaSet, or a DaemonSet's ControllerRevision
    images: tuple[str, ...]
    desired: int  # spec.replicas (a DaemonSet's current revision: the nodes that should run it; older ones: 0)
    current: int  # status.replicas (a DaemonSet's revision: its pods)
    ready: int  # status.readyReplicas (a DaemonSet's revision: its ready pods)
    created: str  # the ReplicaSet's creationTimestamp (RFC 3339)
    is_current: bool  # its template is the workload's (the revision new pods come from)


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
    strategy: str  # RollingUpdate or Recreate (a DaemonSet: RollingUpdate or OnDelete)
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


def _kind(kind: str, verb: str) -> str:
    """The Kind `kind` names, when `kubectl rollout <verb>` supports it; kubectl's error otherwise."""
    info = REGISTRY.resolve(kind)
    if info.kind not in ("Deployment", "DaemonSet", "StatefulSet"):
        what = {"undo": "rollbacker", "status": "status viewer", "history": "history viewer"}.get(verb)
        if what is None:
            raise errors.bad_request(f"{verb} is not supported")
        raise errors.bad_request(f'no {what} has been implemented for "{info.kind}.{info.group}"'
                                 if info.group else f'no {what} has been implemented for "{info.kind}"')
    return info.kind


def rollout_undo(api: Api, name: str, namespace: str, to_revision: int | None = None,
                 kind: str = "Deployment", manager: str | None = None) -> str:
    """DeploymentRollbacker.Rollback, checks in kubectl's order: the target revision first, then paused.
    `manager`: the client's field manager (kubectl's rollout commands write as `kubectl-rollout`)."""
    which = _kind(kind, "undo")
    if which in _REVISION_KINDS:
        return _revision_undo(api, which, name, namespace, to_revision or 0, manager)
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
    api.update(updated, manager=manager)
    return f"deployment.apps/{name} rolled back"


def rollout_restart(api: Api, name: str, namespace: str, kind: str = "Deployment",
                    manager: str | None = None) -> str:
    """ObjectRestarter: stamps the pod template, so the controller rolls every pod."""
    which = _kind(kind, "restarting")
    d = deep_copy(api.get(_REVISION_KINDS[which], name, namespace) if which in _REVISION_KINDS
                  else _deployment(api, name, namespace))
    if d["spec"].get("paused") and which == "Deployment":
        raise errors.bad_request(
            f'deployments.apps "{name}" can\'t restart paused deployment (run rollout resume first)')
    template_meta = d["spec"]["template"].setdefault("metadata", {})
    annotations = template_meta.get("annotations") or {}
    annotations[du.RESTARTED_AT_ANNOTATION] = format_time(api.clock.now())
    template_meta["annotations"] = annotations
    api.update(d, manager=manager)
    return f"{which.lower()}.apps/{name} restarted"


def set_paused(api: Api, name: str, namespace: str, paused: bool, kind: str = "Deployment",
               manager: str | None = None) -> str:
    which = _kind(kind, "pausing" if paused else "resuming")
    if which in _REVISION_KINDS:
        api.get(_REVISION_KINDS[which], name, namespace)  # a missing one is NotFound first
        # ObjectPauser/ObjectResumer know Deployments only.
        raise errors.bad_request(f'{_REVISION_KINDS[which]}.apps "{name}" '
                                 f'{"pausing" if paused else "resuming"} is not supported')
    d = deep_copy(_deployment(api, name, namespace))
    if bool(d["spec"].get("paused")) == paused:
        # kubectl's ObjectPauser/ObjectResumer refuse a no-op, reported per object as `<resource> "<name>" <err>`.
        raise errors.bad_request(f'deployments.apps "{name}" {"is already paused" if paused else "is not paused"}')
    if paused:
        d["spec"]["paused"] = True
    else:
        d["spec"].pop("paused", None)
    api.update(d, manager=manager)
    return f"deployment.apps/{name} {'paused' if paused else 'resumed'}"


def rollout_status(api: Api, name: str, namespace: str, kind: str = "Deployment") -> tuple[str, bool]:
    """kubectl's one-line status and whether the rollout is done (DeploymentStatusViewer)."""
    which = _kind(kind, "status")
    if which == "DaemonSet":
        return _daemonset_status(api, name, namespace)
    if which == "StatefulSet":
        return _statefulset_status(api, name, namespace)
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


def rollout_history(api: Api, name: str, namespace: str, kind: str = "Deployment") -> list[tuple[int, str]]:
    """(revision, change-cause or `<none>`) oldest first, as `kubectl rollout history` lists them."""
    which = _kind(kind, "history")
    if which in _REVISION_KINDS:
        owner = api.get(_REVISION_KINDS[which], name, namespace)
        return sorted({crh.revision_number(cr): _cause(cr) for cr in _revisions(api, owner)}.items())
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


def rollout_revisions(api: Api, name: str, namespace: str, kind: str = "Deployment") -> list[RevisionInfo]:
    """Every revision the workload can be rolled back to, oldest first, as `rollout_history` orders them."""
    which = _kind(kind, "history")
    if which == "DaemonSet":
        return _daemonset_revisions(api, name, namespace)
    if which == "StatefulSet":
        return _statefulset_revisions(api, name, namespace)
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


def rollout_progress(api: Api, name: str, namespace: str, kind: str = "Deployment") -> RolloutProgress:
    which = _kind(kind, "status")
    if which == "DaemonSet":
        return _daemonset_progress(api, name, namespace)
    if which == "StatefulSet":
        return _statefulset_progress(api, name, namespace)
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


# --- DaemonSets and StatefulSets: revisions are ControllerRevisions ------------------------------------------

_REVISION_KINDS = {"DaemonSet": "daemonsets", "StatefulSet": "statefulsets"}  # Kind -> plural


def _controlled(api: Api, owner: Obj, resource: str) -> list[Obj]:
    uid = owner["metadata"]["uid"]
    return [o for o in api.store.dependents(uid, resource)
            if any(r.get("uid") == uid and r.get("controller") for r in o["metadata"].get("ownerReferences") or ())]


def _revisions(api: Api, ds: Obj) -> list[Obj]:
    """controlledHistories as kubectl reads them: the DaemonSet's ControllerRevisions, oldest revision first."""
    return sorted(_controlled(api, ds, "controllerrevisions.apps"), key=crh.revision_number)


def _cause(revision: Obj) -> str:
    return (revision["metadata"].get("annotations") or {}).get(du.CHANGE_CAUSE_ANNOTATION, NO_CAUSE)


def _revision_undo(api: Api, kind: str, name: str, namespace: str, to_revision: int, manager: str | None = None) -> str:
    """DaemonSetRollbacker / StatefulSetRollbacker.Rollback: puts a revision's template back (the previous
    revision by default).

    kubectl v1.36 prints "rolled back" even when the template already matches (its match compares serialised
    patches that never come out equal; checked against a real cluster for both kinds), so no "skipped rollback".
    """
    if to_revision < 0:
        raise errors.bad_request(f"unable to find specified revision {to_revision} in history")
    ds = api.get(_REVISION_KINDS[kind], name, namespace)
    history = _revisions(api, ds)
    if to_revision == 0 and len(history) <= 1:
        raise errors.bad_request("no last revision to roll back to")
    if to_revision == 0:
        target: Obj | None = history[-2]
    else:
        target = next((cr for cr in history if crh.revision_number(cr) == to_revision), None)
    if target is None:
        raise errors.bad_request(f"unable to find specified revision {to_revision} in history")
    updated = deep_copy(ds)
    updated["spec"]["template"] = crh.revision_template(target)
    api.update(updated, manager=manager)
    return f"{kind.lower()}.apps/{name} rolled back"


def _daemonset_status(api: Api, name: str, namespace: str) -> tuple[str, bool]:
    """DaemonSetStatusViewer: only for RollingUpdate; updated pods first, then available ones."""
    ds = api.get("daemonsets", name, namespace)
    spec, status, meta = ds["spec"], ds.get("status") or {}, ds["metadata"]
    if ((spec.get("updateStrategy") or {}).get("type") or dsu.ROLLING_UPDATE) != dsu.ROLLING_UPDATE:
        raise errors.bad_request("rollout status is only available for RollingUpdate strategy type")
    if meta.get("generation", 0) > status.get("observedGeneration", 0):
        return "Waiting for daemon set spec update to be observed...", False
    desired, updated = status.get("desiredNumberScheduled", 0), status.get("updatedNumberScheduled", 0)
    available = status.get("numberAvailable", 0)
    prefix = f'Waiting for daemon set "{name}" rollout to finish: '
    if updated < desired:
        return f"{prefix}{updated} out of {desired} new pods have been updated...", False
    if available < desired:
        return f"{prefix}{available} of {desired} updated pods are available...", False
    return f'daemon set "{name}" successfully rolled out', True


def _active_pods(api: Api, ds: Obj) -> list[Obj]:
    return [p for p in _controlled(api, ds, "pods") if not p["metadata"].get("deletionTimestamp")
            and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]


def _daemonset_revisions(api: Api, name: str, namespace: str) -> list[RevisionInfo]:
    ds = api.get("daemonsets", name, namespace)
    status = ds.get("status") or {}
    pods = _active_pods(api, ds)
    out = []
    for cr in _revisions(api, ds):
        hash_ = (cr["metadata"].get("labels") or {}).get(dsu.CONTROLLER_REVISION_HASH)
        mine = [p for p in pods if (p["metadata"].get("labels") or {}).get(dsu.CONTROLLER_REVISION_HASH) == hash_]
        current = dsu.matches_revision(ds, cr)
        out.append(RevisionInfo(
            revision=dsu.revision_number(cr), change_cause=_cause(cr), replica_set=cr["metadata"]["name"],
            images=_images({"spec": {"template": dsu.revision_template(cr)}}),
            desired=int(status.get("desiredNumberScheduled", 0)) if current else 0,
            current=len(mine), ready=sum(1 for p in mine if _pod_ready(p)),
            created=cr["metadata"].get("creationTimestamp", ""), is_current=current,
        ))
    return out


def _pod_ready(pod: Obj) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or ())


def _daemonset_progress(api: Api, name: str, namespace: str) -> RolloutProgress:
    ds = api.get("daemonsets", name, namespace)
    spec, status, meta = ds["spec"], ds.get("status") or {}, ds["metadata"]
    strategy = (spec.get("updateStrategy") or {}).get("type") or dsu.ROLLING_UPDATE
    rolling = (spec.get("updateStrategy") or {}).get("rollingUpdate") or {}
    desired = int(status.get("desiredNumberScheduled", 0))
    surge, unavailable = dsu.rolling_counts(ds, desired) if strategy == dsu.ROLLING_UPDATE else (0, 0)
    current = next((cr for cr in _revisions(api, ds) if dsu.matches_revision(ds, cr)), None)
    hash_ = (current["metadata"].get("labels") or {}).get(dsu.CONTROLLER_REVISION_HASH, "") if current else ""
    generation = dsu.template_generation(ds)
    pods = _controlled(api, ds, "pods")
    active = _active_pods(api, ds)
    is_rolling = strategy == dsu.ROLLING_UPDATE
    return RolloutProgress(
        revision=dsu.revision_number(current) if current else 0,
        desired=desired,
        updated=int(status.get("updatedNumberScheduled", 0)),
        ready=int(status.get("numberReady", 0)),
        available=int(status.get("numberAvailable", 0)),
        replicas=int(status.get("currentNumberScheduled", 0)),
        old=sum(1 for p in active if not dsu.is_pod_updated(p, hash_, generation)),
        terminating=sum(1 for p in pods if p["metadata"].get("deletionTimestamp")),
        strategy=strategy,
        max_surge=_declared(rolling, "maxSurge", "0") if is_rolling else "",
        max_unavailable=_declared(rolling, "maxUnavailable", "1") if is_rolling else "",
        surge=surge,
        unavailable=unavailable,
        paused=False,
        observed=meta.get("generation", 0) <= status.get("observedGeneration", 0),
    )


# --- StatefulSets --------------------------------------------------------------------------------------------


def _statefulset_status(api: Api, name: str, namespace: str) -> tuple[str, bool]:
    """StatefulSetStatusViewer: only for RollingUpdate."""
    sts = api.get("statefulsets", name, namespace)
    if ((sts["spec"].get("updateStrategy") or {}).get("type") or sts_kind.ROLLING_UPDATE) != sts_kind.ROLLING_UPDATE:
        raise errors.bad_request("rollout status is only available for RollingUpdate strategy type")
    return sts_kind.rollout_message(sts)


def _statefulset_revisions(api: Api, name: str, namespace: str) -> list[RevisionInfo]:
    """A StatefulSet's pods name their revision (controller-revision-hash is the revision's name); the update
    revision is the current one, the one new pods come from."""
    sts = api.get("statefulsets", name, namespace)
    update = (sts.get("status") or {}).get("updateRevision")
    pods = _active_pods(api, sts)
    out = []
    for cr in _revisions(api, sts):
        mine = [p for p in pods if ssu.pod_revision(p) == cr["metadata"]["name"]]
        current = cr["metadata"]["name"] == update if update else crh.matches_revision(sts, cr)
        out.append(RevisionInfo(
            revision=crh.revision_number(cr), change_cause=_cause(cr), replica_set=cr["metadata"]["name"],
            images=_images({"spec": {"template": crh.revision_template(cr)}}),
            desired=ssu.replicas(sts) if current else 0,
            current=len(mine), ready=sum(1 for p in mine if _pod_ready(p)),
            created=cr["metadata"].get("creationTimestamp", ""), is_current=current,
        ))
    return out


def _statefulset_progress(api: Api, name: str, namespace: str) -> RolloutProgress:
    sts = api.get("statefulsets", name, namespace)
    spec, status, meta = sts["spec"], sts.get("status") or {}, sts["metadata"]
    strategy = (spec.get("updateStrategy") or {}).get("type") or sts_kind.ROLLING_UPDATE
    rolling = (spec.get("updateStrategy") or {}).get("rollingUpdate") or {}
    partition = rolling.get("partition") if strategy == sts_kind.ROLLING_UPDATE else None
    update = status.get("updateRevision") or ""
    current = next((cr for cr in _revisions(api, sts) if cr["metadata"]["name"] == update), None)
    pods = _controlled(api, sts, "pods")
    active = _active_pods(api, sts)
    declared = rolling.get("maxUnavailable")
    return RolloutProgress(
        revision=crh.revision_number(current) if current else 0,
        desired=ssu.replicas(sts),
        updated=int(status.get("updatedReplicas", 0)),
        ready=int(status.get("readyReplicas", 0)),
        available=int(status.get("availableReplicas", 0)),
        replicas=int(status.get("replicas", 0)),
        old=sum(1 for p in active if ssu.pod_revision(p) != update),
        terminating=sum(1 for p in pods if p["metadata"].get("deletionTimestamp")),
        # The panel has no partition line of its own: the strategy says it.
        strategy=f"{strategy}, partition {partition}" if partition else strategy,
        max_surge="",
        max_unavailable="" if declared is None else str(declared),
        surge=0,
        unavailable=ssu.max_unavailable(sts) if strategy == sts_kind.ROLLING_UPDATE else 0,
        paused=False,
        observed=meta.get("generation", 0) <= status.get("observedGeneration", 0),
    )
