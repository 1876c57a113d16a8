"""`d`: `kubectl describe` of the object (with its events), following live changes."""

from __future__ import annotations

from ..backend import BackendError
from .text import TextView


class DescribeView(TextView):
    view_name = "describe"
    label = "describe"

    def render_body(self) -> str | None:
        try:
            return self.backend.describe(self.kind, self.spec.name, self.spec.namespace)
        except BackendError:
            return None
