"""How the rollout panel draws a rollout: status colours, progress bars, history rows."""

from __future__ import annotations

from rich.text import Text

from ..backend import RolloutRevision, RolloutStatus
from ..theme import Theme

BAR_WIDTH = 30
COLUMNS = ("REVISION", "CHANGE-CAUSE", "REPLICASET", "IMAGES", "READY", "AGE")
# A DaemonSet's and a StatefulSet's revisions are ControllerRevisions; READY counts their pods on each revision
# against the nodes that should run one (a DaemonSet) or the replicas (a StatefulSet).
DAEMONSET_COLUMNS = ("REVISION", "CHANGE-CAUSE", "CONTROLLERREVISION", "IMAGES", "READY", "AGE")
# What the panel watches besides the workload: the objects holding its revisions.
REVISION_KINDS = {"Deployment": "ReplicaSet", "DaemonSet": "ControllerRevision", "StatefulSet": "ControllerRevision"}


def columns_for(kind: str) -> tuple[str, ...]:
    return COLUMNS if REVISION_KINDS.get(kind, "ReplicaSet") == "ReplicaSet" else DAEMONSET_COLUMNS


def status_category(status: RolloutStatus) -> str:
    if status.failed:
        return "error"
    return "normal" if status.done else "pending"


def revision_category(rev: RolloutRevision, status: RolloutStatus | None) -> str:
    if not rev.is_current:
        # An old revision still holding pods is being scaled down; an empty one is kept for rollback.
        return "kill" if rev.desired or rev.current else "completed"
    if status is not None and status.failed:
        return "error"
    return "normal" if rev.ready >= rev.desired else "pending"


def revision_cells(rev: RolloutRevision) -> tuple[str, ...]:
    number = f"{rev.revision} (current)" if rev.is_current else str(rev.revision)
    return (number, rev.change_cause, rev.replica_set, ", ".join(rev.images), f"{rev.ready}/{rev.desired}", rev.age)


def _bar(count: int, desired: int, colour: str, empty: str) -> Text:
    filled = BAR_WIDTH if desired and count >= desired else (BAR_WIDTH * count // desired if desired else 0)
    return Text.assemble(("█" * filled, colour), ("░" * (BAR_WIDTH - filled), empty))


def render_progress(status: RolloutStatus, skin: Theme) -> Text:
    """The status line, the strategy, and one bar per count against the desired replicas (a DaemonSet: the nodes
    that should run its pod)."""
    label, value = skin.yaml_key, skin.yaml_value
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{'Status':<11}", style=label)
    text.append(status.message, style=f"bold {skin.status(status_category(status))}")
    text.append(f"\n{'Revision':<11}", style=label)
    text.append(str(status.revision or "-"), style=value)
    text.append("   Strategy ", style=label)
    text.append(status.strategy, style=value)
    if status.max_surge or status.max_unavailable:
        text.append(f"  max surge {status.max_surge} ({status.surge}), "
                    f"max unavailable {status.max_unavailable} ({status.unavailable})", style=value)
    if status.paused:
        text.append("   PAUSED", style=f"bold {skin.pending}")
    for name, count in (("Updated", status.updated), ("Ready", status.ready), ("Available", status.available)):
        category = "normal" if count >= status.desired else ("error" if status.failed else "pending")
        text.append(f"\n{name:<11}", style=label)
        text.append_text(_bar(count, status.desired, skin.status(category), skin.completed))
        text.append(f"  {count}/{status.desired}", style=value)
    text.append(f"\n{'Old':<11}", style=label)
    text.append_text(_bar(status.old, status.desired, skin.kill, skin.completed))
    old = f"{status.old} pending termination" if status.old else "none"
    if status.terminating:
        old += f" ({status.terminating} terminating)"
    text.append(f"  {old}", style=value)
    return text
