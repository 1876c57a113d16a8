"""SVG snapshots of the HPA's chart and the autoscale dialog at 80x24 (the layout is the point of both: the chart
must fit the classic terminal with its axis, target line and time scale; the dialog its three fields and buttons).
Deterministic as tests/test_tui_snapshots.py makes its snapshots: a seeded virtual-clock cluster driven to its state
before the app starts. Regenerate with `python -m pytest tests/test_hpa_snapshots.py --snapshot-update`."""

from __future__ import annotations

from test_hpa_folder import HPA, WEB
from test_tui_snapshots import SMALL, SnapCompare, _deterministic, dashboard, opened, snapshot, steady_cursors, until
from textual.pilot import Pilot

from engine import Cluster
from k9py.views.hpa_chart import HpaChartView
from k9py.widgets.autoscale_dialog import AutoscaleDialog

__all__ = ["_deterministic"]


async def scaling_web(cluster: Cluster) -> None:
    """web under a load that spikes, then eases: its HPA scales it 2 -> 4 -> 8 and holds there, near its target."""
    await cluster.apply(WEB + HPA)
    await cluster.run_for(120)
    cluster.load("svc/web", 60, "default")
    await cluster.run_for(240)
    cluster.load("svc/web", 20, "default")
    await cluster.run_for(420)


def test_hpa_chart_at_80x24(snap_compare: SnapCompare) -> None:
    """enter on default/web in `:hpa`: replicas climbing with the load, the CPU against its 50 % target line."""

    async def run_before(pilot: Pilot[None]) -> None:
        screen = await opened(pilot, "hpa", rows=1, via=":hpa default")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(screen.view, HpaChartView) and "replicas" in screen.view.shown)
        await pilot.pause()

    snapshot(snap_compare, dashboard(scaling_web), run_before, SMALL)


def test_autoscale_dialog_at_80x24(snap_compare: SnapCompare) -> None:
    """`a` on default/web: kubectl autoscale's --min, --max (focused, selected) and --cpu-percent."""

    async def run_before(pilot: Pilot[None]) -> None:
        await opened(pilot, "deployments", rows=1, via=":deploy default")
        await pilot.press("a")
        await until(pilot, lambda: isinstance(pilot.app.screen, AutoscaleDialog) and pilot.app.screen.ready)
        steady_cursors(pilot)

    snapshot(snap_compare, dashboard(scaling_web), run_before, SMALL)
