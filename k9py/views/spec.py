"""What a view shows, as data: the view stack (crumbs, esc/back) is a list of these, not of live widgets."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ViewSpec:
    view: str  # pods, deployments, ..., yaml, describe, logs, rollout: a key of views.VIEWS
    kind: str = ""  # the API kind ("Pod") for every view but logs
    namespace: str | None = None  # None: all namespaces
    name: str = ""  # the object a detail view (containers, yaml, describe, logs) is about
    selector: str = ""  # drill-down constraint: label selector (deployment -> pods)
    node: str = ""  # drill-down constraint: spec.nodeName (node -> pods)
    container: str = ""  # logs: which container
    previous: bool = False  # logs: the previous (terminated) instance of the container, as `kubectl logs -p`
    timestamps: bool = False  # logs: `t`, kept across `p`
    wrap: bool = False  # logs: `w`, kept across `p`
    filter: str = ""  # the `/` filter, kept when the user drills in and comes back
    cursor: str = ""  # the row the cursor was on, kept when the user drills in and comes back (its table key)
    wide: bool = False
    source: str = ""  # request: where the simulated request comes from (ns/pod, node/NAME, outside)
    url: str = ""  # request: what it asks for

