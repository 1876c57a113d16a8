"""`kubectl autoscale`: the HorizontalPodAutoscaler kubectl builds for a scalable object
(`staging/src/k8s.io/kubectl/pkg/cmd/autoscale/autoscale.go`), in its autoscaling/v2 form.

kubectl names the HPA after its target, points scaleTargetRef at the object's own apiVersion and kind, sets
minReplicas only when `--min` is given and a CPU utilization metric only when `--cpu-percent` is (else the API
server's default, 80 %, applies). Its own checks come first, with its messages; the API server's validation
answers the rest (`--cpu-percent=0`: `averageUtilization: Invalid value: 0: must be greater than 0`).
"""

from __future__ import annotations

from typing import Any

from .errors import ApiError
from .kinds import KindInfo

Obj = dict[str, Any]


def check_bounds(max_replicas: int, min_replicas: int | None) -> str | None:
    """kubectl's AutoscaleOptions.Validate: its message for bad bounds, or None."""
    if max_replicas < 1:
        return f"--max=MAXPODS is required and must be at least 1, max: {max_replicas}"
    if min_replicas is not None and max_replicas < min_replicas:
        return f"--max=MAXPODS must be larger or equal to --min=MINPODS, max: {max_replicas}, min: {min_replicas}"
    return None


def autoscaler_for(
    info: KindInfo, target: Obj, max_replicas: int, min_replicas: int | None = None, cpu_percent: int | None = None
) -> Obj:
    """The HPA `kubectl autoscale` creates for `target` (an object of `info`); ApiError (400) with kubectl's
    message when the bounds are wrong or the kind cannot be scaled."""
    problem = check_bounds(max_replicas, min_replicas)
    if problem is None and not info.scalable:
        problem = f"cannot autoscale a {info.kind}: it has no scale subresource"
    if problem is not None:
        raise ApiError(400, "BadRequest", problem)
    meta = target["metadata"]
    spec: Obj = {
        "scaleTargetRef": {"apiVersion": info.api_version, "kind": info.kind, "name": meta["name"]},
        "maxReplicas": max_replicas,
    }
    if min_replicas is not None:
        spec["minReplicas"] = min_replicas
    if cpu_percent is not None:
        spec["metrics"] = [
            {
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": cpu_percent}},
            }
        ]
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": meta["name"], "namespace": meta.get("namespace", "")},
        "spec": spec,
    }
