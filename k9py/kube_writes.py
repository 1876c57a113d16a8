"""The requests kubectl makes for the dashboard's keys, on a real cluster.

scale: the scale subresource; delete: with `--grace-period=0 --force` for ctrl-k; restart: the pod template's
`kubectl.kubernetes.io/restartedAt` annotation; rollback: the chosen ReplicaSet's template patched into the
Deployment (`kubectl rollout undo`); cordon: spec.unschedulable; drain: cordon, then the eviction API for each
pod kubectl would evict, again every 5 s while a PodDisruptionBudget refuses (429), until they are gone.
"""

from __future__ import annotations

import asyncio
import copy
import secrets
import time
from collections.abc import Callable
from typing import Any

from engine.kinds import REGISTRY, KindInfo
from engine.printers.duration import age

from .backend import DASHBOARD_FIELD_MANAGER, DASHBOARD_ROLLOUT_MANAGER, RolloutRevision, RolloutStatus
from .kube_client import KubeClient, KubeError
from .kube_paths import collection_path, object_path

Obj = dict[str, Any]
MERGE = "application/merge-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"
REVISION = "deployment.kubernetes.io/revision"
# The dashboard's writes are recorded under its own field managers, as on the simulated cluster (backend.py), so
# a watched folder's drift names them; without one the API server would take the User-Agent's `k9py`, the
# folder's own manager.
AS_DASHBOARD = {"fieldManager": DASHBOARD_FIELD_MANAGER}
AS_ROLLOUT = {"fieldManager": DASHBOARD_ROLLOUT_MANAGER}
EVICT_RETRY_SECONDS = 5.0  # kubectl drain's retry after a 429
DRAIN_TIMEOUT = 300.0
# Annotations `kubectl rollout undo` leaves alone when it copies a ReplicaSet's onto the Deployment.
_UNDO_SKIPPED = {
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
}


def _stamp(now: float | None = None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if now is None else now))


async def scale(client: KubeClient, info: KindInfo, name: str, namespace: str | None, replicas: int) -> str:
    if not info.scalable:
        raise KubeError(f"{info.resource} cannot be scaled")
    path = object_path(info, name, namespace, "scale")
    await client.request("PATCH", path, AS_DASHBOARD, body={"spec": {"replicas": replicas}}, content_type=MERGE)
    return f"{info.singular_name}/{name} scaled to {replicas}"


async def delete(client: KubeClient, info: KindInfo, name: str, namespace: str | None, force: bool) -> str:
    """ctrl-d: the default grace period; ctrl-k: kubectl delete --grace-period=0 --force (gone from the API at
    once, whether or not the kubelet has stopped the containers)."""
    body: Obj = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"}
    if force:
        body["gracePeriodSeconds"] = 0
    await client.request("DELETE", object_path(info, name, namespace if info.namespaced else None), body=body)
    return f"{info.singular_name}/{name} {'killed' if force else 'deleted'}"


async def restart(client: KubeClient, info: KindInfo, name: str, namespace: str) -> str:
    if not info.restartable:
        raise KubeError(f"{info.resource} cannot be restarted")
    patch = {"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": _stamp()}}}}}
    await client.request("PATCH", object_path(info, name, namespace), AS_ROLLOUT, body=patch, content_type=STRATEGIC)
    return f"{info.singular_name}.{info.group}/{name} restarted"


def _revision(obj: Obj) -> int:
    try:
        return int((obj["metadata"].get("annotations") or {}).get(REVISION, "0"))
    except ValueError:
        return 0


async def rollback(client: KubeClient, name: str, namespace: str, revision: int) -> str:
    """`kubectl rollout undo deployment/NAME [--to-revision=N]`: 0 is the revision before the current one."""
    deployments, replica_sets = REGISTRY.resolve("Deployment"), REGISTRY.resolve("ReplicaSet")
    deployment = await client.request("GET", object_path(deployments, name, namespace))
    uid = deployment["metadata"]["uid"]
    owned = [
        rs
        for rs in (await client.request("GET", collection_path(replica_sets, namespace))).get("items") or ()
        if any(r.get("uid") == uid for r in rs["metadata"].get("ownerReferences") or ())
    ]
    current = _revision(deployment)
    if revision == 0:
        older = sorted((rs for rs in owned if _revision(rs) < current), key=_revision)
        if not older:
            raise KubeError("no rollout history found for deployment " + f'"{name}"')
        target = older[-1]
    else:
        target = next((rs for rs in owned if _revision(rs) == revision), None)
        if target is None:
            raise KubeError(f"unable to find specified revision {revision} in history")
    template = copy.deepcopy(target["spec"]["template"])
    (template.get("metadata") or {}).get("labels", {}).pop("pod-template-hash", None)
    annotations = {k: v for k, v in (deployment["metadata"].get("annotations") or {}).items() if k in _UNDO_SKIPPED}
    annotations.update(
        {k: v for k, v in (target["metadata"].get("annotations") or {}).items() if k not in _UNDO_SKIPPED}
    )
    patch = [
        {"op": "replace", "path": "/spec/template", "value": template},
        {"op": "replace", "path": "/metadata/annotations", "value": annotations},
    ]
    path = object_path(deployments, name, namespace)
    await client.request("PATCH", path, AS_ROLLOUT, body=patch, content_type=JSON_PATCH)
    return f"deployment.apps/{name} rolled back to revision {_revision(target)}"


async def trigger(client: KubeClient, cronjob: str, namespace: str) -> str:
    """`kubectl create job --from=cronjob/NAME`, named as k9s names it."""
    info = REGISTRY.resolve("CronJob")
    cj = await client.request("GET", object_path(info, cronjob, namespace))
    template = cj["spec"]["jobTemplate"]
    meta = template.get("metadata") or {}
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": f"{cronjob}-manual-{secrets.token_hex(2)}"[:63],
            "namespace": namespace,
            "labels": meta.get("labels") or {},
            "annotations": {**(meta.get("annotations") or {}), "cronjob.kubernetes.io/instantiate": "manual"},
            "ownerReferences": [
                {
                    "apiVersion": "batch/v1",
                    "kind": "CronJob",
                    "name": cronjob,
                    "uid": cj["metadata"]["uid"],
                    "controller": True,
                }
            ],
        },
        "spec": template["spec"],
    }
    made = await client.request("POST", collection_path(REGISTRY.resolve("Job"), namespace), body=job)
    return f"job.batch/{made['metadata']['name']} created"


async def cordon(client: KubeClient, name: str, cordoned: bool) -> str:
    await client.request(
        "PATCH",
        object_path(REGISTRY.resolve("Node"), name),
        AS_DASHBOARD,
        body={"spec": {"unschedulable": cordoned or None}},
        content_type=MERGE,
    )
    return f"node/{name} {'cordoned' if cordoned else 'uncordoned'}"


def _drain_refusal(pod: Obj, force: bool, delete_emptydir_data: bool) -> tuple[bool, str]:
    """(evict it, why not): kubectl drain's filters with --ignore-daemonsets."""
    meta, spec = pod["metadata"], pod.get("spec") or {}
    if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
        return True, ""
    if "kubernetes.io/config.mirror" in (meta.get("annotations") or {}):
        return False, ""  # a static pod's mirror: nothing to evict
    owner = next((r for r in meta.get("ownerReferences") or () if r.get("controller")), None)
    if owner is not None and owner.get("kind") == "DaemonSet":
        return False, ""  # --ignore-daemonsets
    if owner is None and not force:
        return (
            False,
            f"cannot delete Pods that declare no controller (use --force to override): "
            f"{meta.get('namespace')}/{meta['name']}",
        )
    if not delete_emptydir_data and any("emptyDir" in v for v in spec.get("volumes") or ()):
        return (
            False,
            f"cannot delete Pods with local storage (use --delete-emptydir-data to override): "
            f"{meta.get('namespace')}/{meta['name']}",
        )
    return True, ""


async def drain(
    client: KubeClient,
    name: str,
    force: bool,
    delete_emptydir_data: bool,
    progress: Callable[[str, str], None] | None,
    timeout: float = DRAIN_TIMEOUT,
) -> str:
    def say(message: str, level: str) -> None:
        if progress is not None:
            progress(message, level)

    await cordon(client, name, True)
    pods_info = REGISTRY.resolve("Pod")
    listed = await client.request("GET", collection_path(pods_info), {"fieldSelector": f"spec.nodeName={name}"})
    evict, problems = [], []
    for pod in listed.get("items") or ():
        ok, why = _drain_refusal(pod, force, delete_emptydir_data)
        if ok:
            evict.append(pod)
        elif why:
            problems.append(why)
    if problems:
        raise KubeError(f"node/{name} cordoned, not drained: {'; '.join(problems)}")
    deadline = time.monotonic() + timeout
    pending = list(evict)
    while pending:
        held = []
        for pod in pending:
            meta = pod["metadata"]
            body = {
                "apiVersion": "policy/v1",
                "kind": "Eviction",
                "metadata": {"name": meta["name"], "namespace": meta["namespace"]},
            }
            try:
                await client.request(
                    "POST", object_path(pods_info, meta["name"], meta["namespace"], "eviction"), body=body
                )
                say(f"draining node/{name}: pod/{meta['name']} evicted", "info")
            except KubeError as exc:
                if exc.code == 404:
                    continue  # gone already
                causes = exc.details.get("causes") or ()
                if exc.code == 403 and any(c.get("reason") == "NamespaceTerminating" for c in causes):
                    continue  # its namespace is being deleted, and takes the pod with it (kubectl drain goes on too)
                if exc.code != 429:
                    raise
                causes = "; ".join(str(c.get("message", "")) for c in exc.details.get("causes") or ())
                say(
                    f"draining node/{name}: pod/{meta['name']} held: {causes or exc.message} (evicting again every "
                    f"{EVICT_RETRY_SECONDS:g}s)",
                    "warn",
                )
                held.append(pod)
        pending = held
        if pending:
            if time.monotonic() > deadline:
                raise KubeError(
                    f"node/{name} cordoned, not drained: {len(pending)} pod(s) still held by a disruption budget"
                )
            await asyncio.sleep(EVICT_RETRY_SECONDS)
    return f"node/{name} drained ({len(evict)} pod{'' if len(evict) == 1 else 's'} evicted)"


def _int_or_percent(value: Any, total: int, round_up: bool) -> int:
    text = str(value if value is not None else "25%")
    if text.endswith("%"):
        share = int(text[:-1]) * total / 100
        return int(-(-share // 1)) if round_up else int(share)
    return int(text)


def rollout_status(deployment: Obj) -> RolloutStatus:
    """`kubectl rollout status deployment/NAME`'s line, from the Deployment's status as the controller wrote it."""
    meta, spec, status = deployment["metadata"], deployment.get("spec") or {}, deployment.get("status") or {}
    name = meta["name"]
    desired = int(spec.get("replicas", 1))
    updated, ready = int(status.get("updatedReplicas", 0)), int(status.get("readyReplicas", 0))
    available, replicas = int(status.get("availableReplicas", 0)), int(status.get("replicas", 0))
    strategy = (spec.get("strategy") or {}).get("type", "RollingUpdate")
    rolling = (spec.get("strategy") or {}).get("rollingUpdate") or {}
    observed = int(status.get("observedGeneration", 0)) >= int(meta.get("generation", 0))
    deadline = any(
        c.get("type") == "Progressing" and c.get("reason") == "ProgressDeadlineExceeded"
        for c in status.get("conditions") or ()
    )
    waiting = f'Waiting for deployment "{name}" rollout to finish: '
    done = False
    if not observed:
        message = "Waiting for deployment spec update to be observed..."
    elif deadline:
        message = f'error: deployment "{name}" exceeded its progress deadline'
    elif updated < desired:
        message = f"{waiting}{updated} out of {desired} new replicas have been updated..."
    elif replicas > updated:
        message = f"{waiting}{replicas - updated} old replicas are pending termination..."
    elif available < updated:
        message = f"{waiting}{available} of {updated} updated replicas are available..."
    else:
        message, done = f'deployment "{name}" successfully rolled out', True
    return RolloutStatus(
        message=message,
        done=done,
        failed=deadline,
        revision=_revision(deployment),
        desired=desired,
        updated=updated,
        ready=ready,
        available=available,
        replicas=replicas,
        old=max(0, replicas - updated),
        terminating=None,
        strategy=strategy,
        max_surge=str(rolling.get("maxSurge", "25%")) if strategy == "RollingUpdate" else "",
        max_unavailable=str(rolling.get("maxUnavailable", "25%")) if strategy == "RollingUpdate" else "",
        surge=_int_or_percent(rolling.get("maxSurge"), desired, True) if strategy == "RollingUpdate" else 0,
        unavailable=_int_or_percent(rolling.get("maxUnavailable"), desired, False)
        if strategy == "RollingUpdate"
        else desired,
        paused=bool(spec.get("paused")),
        observed=observed,
    )


def revisions(deployment: Obj, owned: list[Obj], now: float) -> list[RolloutRevision]:
    """A Deployment's ReplicaSets as revisions, newest first (the rollout panel's list)."""
    current = _revision(deployment)
    out = []
    for rs in sorted(owned, key=_revision, reverse=True):
        containers = ((rs.get("spec") or {}).get("template") or {}).get("spec", {}).get("containers") or ()
        status = rs.get("status") or {}
        out.append(
            RolloutRevision(
                revision=_revision(rs),
                change_cause=(rs["metadata"].get("annotations") or {}).get("kubernetes.io/change-cause", "<none>"),
                replica_set=rs["metadata"]["name"],
                images=tuple(c.get("image", "") for c in containers),
                desired=int((rs.get("spec") or {}).get("replicas", 0)),
                current=int(status.get("replicas", 0)),
                ready=int(status.get("readyReplicas", 0)),
                age=age(rs["metadata"].get("creationTimestamp"), now),
                is_current=_revision(rs) == current,
            )
        )
    return out
