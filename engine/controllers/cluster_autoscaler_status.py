"""The `kube-system/cluster-autoscaler-status` ConfigMap the Cluster Autoscaler writes every loop.

Its `status` key holds the YAML of `clusterstate/api/types.go` ClusterAutoscalerStatus as
`clusterstate/utils/status.go` WriteStatusConfigMap marshals it (sigs.k8s.io/yaml: keys sorted, empty
`omitempty` fields left out, a zero time as null), and the annotation `cluster-autoscaler.kubernetes.io/last-updated`
the same time in Go's `2006-01-02 15:04:05.999999999 -0700 MST` layout.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import attrs
import yaml

from ..timeutil import format_time

Obj = dict[str, Any]

STATUS_CONFIGMAP = "cluster-autoscaler-status"
LAST_UPDATED = "cluster-autoscaler.kubernetes.io/last-updated"
# clusterstate.go: a cluster (or group) with more unready nodes than both of these is Unhealthy.
OK_TOTAL_UNREADY_COUNT = 3
MAX_TOTAL_UNREADY_PERCENTAGE = 45.0


def go_time(now: float) -> str:
    """Go's `2006-01-02 15:04:05.999999999 -0700 MST` for a UTC instant (trailing zeros of the fraction dropped)."""
    moment = _dt.datetime.fromtimestamp(now, _dt.UTC)
    fraction = f"{moment.microsecond:06d}".rstrip("0")
    return moment.strftime("%Y-%m-%d %H:%M:%S") + (f".{fraction}" if fraction else "") + " +0000 UTC"


@attrs.define
class Counts:
    """NodeCount: registered nodes by state (and the unregistered, which k9py's machines never are)."""

    total: int = 0
    ready: int = 0
    not_started: int = 0
    being_deleted: int = 0
    unready: int = 0

    def as_yaml(self) -> Obj:
        registered: Obj = {
            "total": self.total,
            "ready": self.ready,
            "notStarted": self.not_started,
            "unready": {"total": self.unready, "resourceUnready": 0},
        }
        if self.being_deleted:
            registered["beingDeleted"] = self.being_deleted
        return {"registered": registered, "longUnregistered": 0, "unregistered": 0}

    @property
    def healthy(self) -> bool:
        return self.unready <= OK_TOTAL_UNREADY_COUNT or self.unready <= self.total * MAX_TOTAL_UNREADY_PERCENTAGE / 100


@attrs.define
class Condition:
    """A condition's status with the time it last changed (lastTransitionTime), kept across loops."""

    status: str = ""
    since: float | None = None

    def set(self, status: str, now: float) -> Obj:
        if status != self.status:
            self.status, self.since = status, now
        return {
            "status": status,
            "lastProbeTime": _Time(format_time(now)),
            "lastTransitionTime": _Time(format_time(self.since)) if self.since is not None else None,
        }


@attrs.define
class GroupStatus:
    name: str
    counts: Counts
    target: int
    min_size: int
    max_size: int
    scaling_up: bool
    candidates: int
    health: Condition = attrs.field(factory=Condition)
    scale_up: Condition = attrs.field(factory=Condition)
    scale_down: Condition = attrs.field(factory=Condition)


class _Time(str):
    """A timestamp string, double-quoted as go-yaml quotes a string that would otherwise read as a time."""


class _Dumper(yaml.SafeDumper):
    """A SafeDumper of its own, so the _Time representer below does not change every SafeDumper's output."""


_Dumper.add_representer(
    _Time, lambda dumper, data: dumper.represent_scalar("tag:yaml.org,2002:str", str(data), style='"')
)


def _scale_down(condition: Condition, candidates: int, now: float) -> Obj:
    out = condition.set("CandidatesPresent" if candidates else "NoCandidates", now)
    if candidates:
        out["candidates"] = candidates
    return out


def status_text(
    now: float, cluster: Counts, cluster_conditions: tuple[Condition, Condition, Condition], groups: list[GroupStatus]
) -> str:
    """The ConfigMap's `status` value."""
    health, scale_up, scale_down = cluster_conditions
    candidates = sum(g.candidates for g in groups)
    document: Obj = {
        "time": go_time(now),
        "autoscalerStatus": "Running",
        "clusterWide": {
            "health": {
                **health.set("Healthy" if cluster.healthy else "Unhealthy", now),
                "nodeCounts": cluster.as_yaml(),
            },
            "scaleUp": scale_up.set("InProgress" if any(g.scaling_up for g in groups) else "NoActivity", now),
            "scaleDown": _scale_down(scale_down, candidates, now),
        },
    }
    if groups:
        document["nodeGroups"] = [
            {
                "name": g.name,
                "health": {
                    **g.health.set("Healthy" if g.counts.healthy else "Unhealthy", now),
                    "nodeCounts": g.counts.as_yaml(),
                    "cloudProviderTarget": g.target,
                    "minSize": g.min_size,
                    "maxSize": g.max_size,
                },
                "scaleUp": {**g.scale_up.set("InProgress" if g.scaling_up else "NoActivity", now), "backoffInfo": {}},
                "scaleDown": _scale_down(g.scale_down, g.candidates, now),
            }
            for g in groups
        ]
    return yaml.dump(document, Dumper=_Dumper, sort_keys=True, default_flow_style=False, width=1 << 16)


def status_configmap(existing: Obj | None, text: str, now: float) -> Obj:
    """The ConfigMap to write: `existing` updated in place of its status and annotation, or a new one."""
    if existing is None:
        return {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": STATUS_CONFIGMAP,
                "namespace": "kube-system",
                "annotations": {LAST_UPDATED: go_time(now)},
            },
            "data": {"status": text},
        }
    meta = existing["metadata"]
    return {
        **existing,
        "metadata": {**meta, "annotations": {**(meta.get("annotations") or {}), LAST_UPDATED: go_time(now)}},
        "data": {**(existing.get("data") or {}), "status": text},
    }
