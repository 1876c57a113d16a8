"""A kind is one unit: a throwaway kind in one module (`tests/example_kind/widget.py`: the kind and its
controller, nothing else edited) is served by the API, listed by the dashboard's `:`, printed, described, and
judged by `k9py check`."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tui_support import command, dashboard, table, until

from engine import Cluster
from engine.check import run_check
from engine.errors import ApiError
from engine.kinds import REGISTRY
from engine.runtime import CONTROLLERS

MODULE = Path(__file__).parent / "example_kind" / "widget.py"
WIDGETS = """\
apiVersion: example.k9py.io/v1
kind: Widget
metadata:
  name: gear
spec:
  replicas: 3
---
apiVersion: example.k9py.io/v1
kind: Widget
metadata:
  name: hinge
spec:
  colour: rust
"""


@pytest.fixture
def widget_kind() -> Iterator[None]:
    """Load the module as a plugin would be; forget its kind and controller afterwards."""
    spec = importlib.util.spec_from_file_location("example_widget_kind", MODULE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    try:
        yield
    finally:
        REGISTRY.unregister("Widget")
        CONTROLLERS.remove(module.WidgetController)
        del sys.modules[spec.name]


async def test_an_unknown_kind_is_refused_before_the_module_is_loaded() -> None:
    with pytest.raises(ApiError, match='the server doesn\'t have a resource type "widgets"'):
        REGISTRY.resolve("widgets")


async def test_the_kind_is_served_printed_described_and_reconciled(widget_kind: None) -> None:
    async with Cluster() as cluster:
        await cluster.apply(WIDGETS)
        await cluster.run_for(1)
        gear = cluster.get("wd", "gear")
        assert gear is not None and gear["spec"]["colour"] == "blue"  # the kind's defaults
        assert gear["status"] == {"polished": 3}  # its controller ran, registered by nothing but its class
        columns, rows = cluster.table("widgets.example.k9py.io", "default")
        assert columns == ["NAME", "COLOUR", "POLISHED", "AGE"]
        assert [row[:3] for row in rows] == [["gear", "blue", "3/3"], ["hinge", "rust", "1/1"]]
        text = cluster.describe("widget", "gear")
        assert "Colour:    blue" in text and "Polished:  3 of 3" in text and "Events:    1" in text
        await cluster.scale("widgets", "gear", 5)  # `scalable`: the scale subresource
        await cluster.run_for(1)
        assert cluster.get("widgets", "gear")["status"] == {"polished": 5}
        with pytest.raises(ApiError, match=r"spec\.replicas: Invalid value: -1"):
            await cluster.apply(WIDGETS.split("---")[0].replace("replicas: 3", "replicas: -1"))


async def test_check_judges_the_kind_by_its_own_health_and_problems(widget_kind: None, tmp_path: Path) -> None:
    (tmp_path / "widgets.yaml").write_text(WIDGETS)
    report = await run_check([str(tmp_path)], duration=30)
    health = {o["name"]: (o["health"], o["message"]) for o in report.objects}
    assert health == {"gear": ("Healthy", ""), "hinge": ("Degraded", "the widget has rusted")}
    assert [(p["name"], p["reason"]) for p in report.problems] == [("hinge", "Rusted")]
    assert report.exit_code == 1


async def test_the_dashboard_lists_the_kind_and_offers_the_keys_its_capabilities_bring(
        widget_kind: None, tmp_path: Path) -> None:
    (tmp_path / "widgets.yaml").write_text(WIDGETS)
    async with dashboard([tmp_path]) as (_app, pilot, screen, _cluster):
        await command(pilot, "wd")
        await until(pilot, lambda: table(screen).row_count == 2)
        assert screen.crumbs.labels == ["widget"]
        assert table(screen).columns[:4] == ["NAMESPACE", "NAME", "COLOUR", "POLISHED"]
        keys = {key.key for key in screen.active_keys()}
        assert "s" in keys  # scalable
        assert "r" not in keys and "ctrl+l" not in keys and "enter" not in keys  # no restart, revisions or pods
        view = table(screen)
        await until(pilot, lambda: all(s.obj.get("status") for s in view._rows.values()))
        colours = {s.obj["metadata"]["name"]: view.category(s) for s in view._rows.values()}
        assert colours == {"gear": "normal", "hinge": "error"}  # from the kind's health: Healthy, Degraded
        await command(pilot, "rs")
        keys = {key.key for key in screen.active_keys()}
        assert {"s", "enter"} <= keys and "r" not in keys
