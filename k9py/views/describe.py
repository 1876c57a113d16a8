"""`d`: `kubectl describe` of the object (with its events), following live changes; a pod's and a node's start
with its usage over the last five minutes, as sparklines."""

from __future__ import annotations

from ..backend import BackendError
from .text import TextView
from .usage import node_usage_block, usage_block


class DescribeView(TextView):
    view_name = "describe"
    label = "describe"

    def render_body(self) -> str | None:
        try:
            text = self.backend.describe(self.kind, self.spec.name, self.spec.namespace)
        except BackendError:
            return None
        if self.kind.kind in ("Pod", "Node") and self.backend.metrics_available():
            # k9py's own lines above kubectl's describe: the object's CPU and memory over the last scrapes.
            obj = self.backend.get(self.kind, self.spec.name, self.spec.namespace)
            detail = self.backend.usage_detail(obj) if obj is not None else None
            if (
                obj is None
                or detail is None
                or not (detail.containers or any(cpu is not None for _, cpu, _ in detail.history))
            ):  # a pod that never ran has none, nor a node before its second scrape
                return text
            if self.kind.kind == "Node":
                return f"{node_usage_block(detail, self.backend.node_usage(obj))}\n{text}"
            return f"{usage_block(detail, self.backend.pod_usage(obj))}\n{text}"
        return text
