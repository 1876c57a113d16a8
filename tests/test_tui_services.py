"""The dashboard shows Services (their own view), Endpoints, ConfigMaps (the generic view) and Secrets (`:svc` …)."""

from __future__ import annotations

from functools import partial

import tui_support
from tui_support import command, dashboard

from k9py.views.table import TableView

until = partial(tui_support.until, timeout=8.0)


async def test_service_kinds_have_their_kubectl_columns() -> None:
    async with dashboard() as (_app, pilot, screen, _cluster):
        expected = {
            # the sample's four, `kubernetes`, kube-system's kube-dns and ingress-nginx's controller
            "svc": ("services(all)[7]", ["NAMESPACE", "NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]),
            "ep": ("endpoints(all)[7]", ["NAMESPACE", "NAME", "ENDPOINTS", "AGE"]),
            # cart-config, kube-system's kube-proxy and coredns, ingress-nginx's controller, and the
            # kube-root-ca.crt of each of the 7 namespaces
            "cm": ("configmaps(all)[11]", ["NAMESPACE", "NAME", "DATA", "AGE"]),
            "secrets": ("secrets(all)[0]", ["NAMESPACE", "NAME", "TYPE", "DATA", "AGE"]),
        }
        for alias, (title, columns) in expected.items():
            await command(pilot, alias)
            await until(pilot, lambda title=title: screen.view_title.strip() == title)
            view = screen.view
            assert isinstance(view, TableView) and view.columns == columns
        await command(pilot, "svc shop")
        await until(pilot, lambda: screen.view_title.strip() == "services(shop)[3]")
        assert isinstance(screen.view, TableView)
        assert sorted(screen.view.visible_names()) == ["cart", "frontend", "redis"]
