"""Any other registered kind, with the engine's kubectl columns (leases, and whatever the engine adds next)."""

from __future__ import annotations

from .spec import ViewSpec
from .table import TableView


class GenericView(TableView):
    view_name = "generic"

    @classmethod
    def crumb(cls, spec: ViewSpec) -> str:
        return spec.kind.lower()
