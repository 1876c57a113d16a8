"""`d`: `kubectl describe` of the object (with its events), following live changes; a pod's starts with its usage
over the last five minutes, as sparklines."""

from __future__ import annotations

from ..backend import BackendError
from .text import TextView
from .usage import usage_block


class DescribeView(TextView):
    view_name = "describe"
    label = "describe"

    def render_body(self) -> str | None:
        try:
            text = self.backend.describe(self.kind, self.spec.name, self.spec.namespace)
        except BackendError:
            return None
        if self.kind.kind == "Pod" and self.backend.metrics_available():
            # k9py's own lines above kubectl's describe: the pod's CPU and memory over the last scrapes.
            pod = self.backend.get(self.kind, self.spec.name, self.spec.namespace)
            detail = self.backend.usage_detail(pod) if pod is not None else None
            if pod is not None and detail is not None and (detail.containers or any(
                    cpu is not None for _, cpu, _ in detail.history)):  # a pod that never ran has none
                return f"{usage_block(detail, self.backend.pod_usage(pod))}\n{text}"
        return text
