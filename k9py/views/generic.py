"""Any other registered kind, with the engine's kubectl columns (leases, and whatever the engine adds next)."""

from __future__ import annotations

from .table import TableView


class GenericView(TableView):
    view_name = "generic"
