"""The dashboard shows Services, Endpoints, ConfigMaps and Secrets through its generic view (k9s's `:svc` …)."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual import events
from textual.pilot import Pilot

from engine import Cluster
from k9py.app import K9App, sample_manifests
from k9py.backend import EngineBackend
from k9py.views.table import TableView


async def until(pilot: Pilot[None], predicate: Callable[[], bool], timeout: float = 8.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await pilot.pause(0.02)


async def command(pilot: Pilot[None], text: str) -> None:
    await pilot.press("colon")
    focused = pilot.app.focused
    assert focused is not None
    focused.post_message(events.Paste(text))
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()


async def test_service_kinds_have_their_kubectl_columns() -> None:
    app = K9App(EngineBackend(Cluster(clock="real", speed=50.0)), [sample_manifests()])
    async with app.run_test(size=(160, 45)) as pilot:
        await until(pilot, lambda: app.main is not None and isinstance(app.main.view, TableView))
        screen = app.main
        assert screen is not None
        expected = {
            "svc": ("services(all)[5]", ["NAMESPACE", "NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]),
            "ep": ("endpoints(all)[5]", ["NAMESPACE", "NAME", "ENDPOINTS", "AGE"]),
            "cm": ("configmaps(all)[1]", ["NAMESPACE", "NAME", "DATA", "AGE"]),
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
