"""Row colour categories from what a row says, as k9s colours rows from their rendered status.

A category names a status colour of the theme: normal, added, modified, pending, error, kill, completed.
"""

from __future__ import annotations

import re

_INIT_PROGRESS = re.compile(r"^Init:\d+/\d+$")
_PENDING_POD = {"Pending", "ContainerCreating", "PodInitializing"}
_COMPLETED_POD = {"Completed", "Succeeded"}


def pod_category(status: str, ready: str = "") -> str:
    if status == "Running":
        return "normal" if _fully(ready) else "pending"  # up but not (yet) ready: still converging
    if status in _COMPLETED_POD:
        return "completed"
    if status == "Terminating":
        return "kill"
    if status in _PENDING_POD or _INIT_PROGRESS.match(status):
        return "pending"
    return "error"  # CrashLoopBackOff, Error, ErrImagePull, OOMKilled, Init:Error, Unknown...


def _ratio(text: str) -> tuple[int, int] | None:
    left, sep, right = text.partition("/")
    if not sep:
        return None
    try:
        return int(left), int(right)
    except ValueError:
        return None


def _fully(ready: str) -> bool:
    ratio = _ratio(ready)
    return ratio is None or ratio[0] >= ratio[1]


def replicas_category(ready: int, desired: int) -> str:
    """Deployments and ReplicaSets: all replicas ready is normal, none is an error, in between is converging."""
    if ready >= desired:
        return "normal"
    return "error" if ready == 0 else "pending"


def ready_ratio_category(ready: str) -> str:
    ratio = _ratio(ready)
    return "normal" if ratio is None else replicas_category(*ratio)


def node_category(status: str, failed: bool = False) -> str:
    if "NotReady" in status or status.startswith("Unknown"):
        return "error"
    if failed or "SchedulingDisabled" in status:
        return "pending"
    return "normal"


def namespace_category(status: str) -> str:
    return "kill" if status == "Terminating" else "normal"


def event_category(event_type: str) -> str:
    return "error" if event_type == "Warning" else "normal"
