"""Usage in the dashboard (issue 15 part 1): k9s's CPU/MEM columns on pods and nodes with its colours, a pod's
sparklines in its describe, and simulated load from shift-l and `:load`. The learner's path: put load on the sample
shop's frontend, watch its CPU climb to its limit, and take the load off again."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import tui_support
from tui_support import command, dashboard, filter_by, screen_lines, table

from k9py.views.load import LoadView
from k9py.views.usage import CRITICAL_COLOUR, WARN_COLOUR, node_cells, pod_cells, severity_colour, sparkline
from k9py.widgets.load_dialog import LoadDialog

until = partial(tui_support.until, timeout=15.0)


WEB = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations: {sim.k9py.io/cpu: "50m", sim.k9py.io/cost-per-request: "1m"}
    spec:
      containers:
      - name: app
        image: nginx:1.27
        resources: {requests: {cpu: 250m, memory: 64Mi}, limits: {cpu: 500m, memory: 128Mi}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  selector: {app: web}
  ports: [{port: 80}]
"""


def _cells(screen, column: str, prefix: str) -> list[str]:
    view = table(screen)
    return [view.cell(state, column) for state in view._rows.values()
            if state.obj["metadata"]["name"].startswith(prefix)]


def _frontend_cells(screen, column: str) -> list[str]:
    return _cells(screen, column, "frontend-")


def _usage_shown(screen) -> bool:
    cells = _frontend_cells(screen, "CPU")
    return len(cells) == 3 and all(c not in ("", "0") for c in cells)


async def test_pod_and_node_columns_are_k9s() -> None:
    async with dashboard() as (_app, pilot, screen, _cluster):
        await command(pilot, "po shop")
        view = table(screen)
        assert view.columns[:10] == ["NAME", "READY", "STATUS", "RESTARTS", "CPU", "%CPU/R", "%CPU/L", "MEM",
                                     "%MEM/R", "%MEM/L"]
        assert view.columns[10:] == ["IP", "NODE", "AGE"]
        await until(pilot, lambda: _usage_shown(screen))  # metrics-server's first windows: 15-30 s of cluster time
        await command(pilot, "no")
        nodes = table(screen)
        assert nodes.columns[-6:] == ["CPU", "CPU/A", "%CPU", "MEM", "MEM/A", "%MEM"]
        await until(pilot, lambda: all(nodes.cell(s, "CPU") not in ("", "0") for s in nodes._rows.values()))
        state = next(iter(nodes._rows.values()))
        assert nodes.cell(state, "CPU/A") == "4000" and nodes.cell(state, "MEM/A") == "16384"  # 4 cores, 16Gi


async def test_load_shows_in_the_pods_cpu_throttled_at_its_limit_and_coloured(tmp_path: Path) -> None:
    (tmp_path / "web.yaml").write_text(WEB)
    async with dashboard([tmp_path]) as (app, pilot, screen, cluster):
        await command(pilot, "deploy default")
        await until(pilot, lambda: screen.view_title.strip().startswith("deployments(default)"))
        await filter_by(pilot, "web")
        await until(pilot, lambda: table(screen).selected() is not None)
        await pilot.press("L")
        await until(pilot, lambda: isinstance(app.screen, LoadDialog))
        for key in "3000":
            await pilot.press(key)
        await pilot.press("enter")
        await until(pilot, lambda: cluster.load_book.loads != {})
        [load] = cluster.load_book.loads.values()
        assert load.rps == 3000
        await command(pilot, "po default")
        # 1000 requests/s x 1m each on top of 50m: 1050m wanted, 500m allowed (its limit): 200% of its request.
        await until(pilot, lambda: _cells(screen, "%CPU/L", "web-") == ["100"] * 3)
        assert _cells(screen, "CPU", "web-") == ["500"] * 3 and _cells(screen, "%CPU/R", "web-") == ["200"] * 3
        view = table(screen)
        row = next(state for state in view._rows.values() if state.obj["metadata"]["name"].startswith("web-"))
        assert (view.columns.index("%CPU/L"), CRITICAL_COLOUR) in view.cell_colours(tuple(row.cells))
        # The describe of one starts with its usage: sparklines, the throttling, the load it serves.
        await filter_by(pilot, "web-")
        await until(pilot, lambda: view.selected() is not None)
        await pilot.press("d")
        await until(pilot, lambda: "Usage (metrics-server" in "\n".join(screen_lines(app)))
        text = "\n".join(screen_lines(app))
        assert "throttled 52% (wants 1050m)" in text and "serving 1000 requests/s" in text, text
        # `:load` lists it, `:load deploy/web 0` takes it off.
        await command(pilot, "load")
        await until(pilot, lambda: isinstance(screen.view, LoadView))
        assert "deployment/web in default: 3000 requests/s over 3 ready pods" in "\n".join(screen_lines(app))
        await command(pilot, "load deploy/web 0")
        await until(pilot, lambda: cluster.load_book.loads == {})
        await until(pilot, lambda: "No load is sent." in "\n".join(screen_lines(app)))


async def test_load_command_errors_are_flashed() -> None:
    async with dashboard() as (app, pilot, _screen, _cluster):
        await command(pilot, "load nope 10")
        await until(pilot, lambda: 'no Service or Deployment "nope"' in "\n".join(screen_lines(app)))
        await command(pilot, "load svc/frontend lots")
        await until(pilot, lambda: "usage: load [TARGET RPS]" in "\n".join(screen_lines(app)))


def test_cells_and_colours_follow_k9s() -> None:
    from k9py.backend import Usage

    usage = Usage(True, cpu=450, memory=100 * 2**20 + 5, cpu_request=100, cpu_limit=500, memory_request=0,
                  memory_limit=128 * 2**20)
    assert pod_cells(usage) == ["450", "450", "90", "100", "n/a", "78"]
    assert pod_cells(Usage(False, 0, 0)) == ["0", "n/a", "n/a", "0", "n/a", "n/a"]
    assert node_cells(Usage(True, 1042, 344 * 2**20, cpu_request=4000, memory_request=16 * 2**30)) == [
        "1042", "4000", "26", "344", "16384", "2"]
    assert [severity_colour(c) for c in ("69", "70", "89", "90", "250", "n/a")] == [
        None, WARN_COLOUR, WARN_COLOUR, CRITICAL_COLOUR, CRITICAL_COLOUR, None]
    assert sparkline([0.1, 0.25, 0.5, None, 1.0], 1.0) == "▁▂▄ █"


async def test_load_view_lists_every_load_and_scrolls() -> None:
    """shift-l on a Service, `:load` with more loads than the screen holds: G, k, j and g scroll it, / filters
    nothing (esc closes the prompt)."""
    async with dashboard(size=(80, 24)) as (app, pilot, screen, cluster):
        await command(pilot, "svc shop")
        await until(pilot, lambda: screen.view_title.strip() == "services(shop)[3]")
        await filter_by(pilot, "cart")
        await until(pilot, lambda: table(screen).selected() is not None)
        await pilot.press("L")
        await until(pilot, lambda: isinstance(app.screen, LoadDialog))
        for key in "40":
            await pilot.press(key)
        await pilot.press("enter")
        await until(pilot, lambda: [str(load.target) for load in cluster.load_book.loads.values()]
                    == ["service/cart in shop"])
        for target in ("deploy/frontend", "deploy/redis"):
            cluster.load(target, 10, "shop")
        cluster.load("deploy/metrics-collector", 10, "platform")
        await command(pilot, "load")
        await until(pilot, lambda: isinstance(screen.view, LoadView))
        view = screen.view
        assert isinstance(view, LoadView)
        await until(pilot, lambda: "service/cart in shop: 40 requests/s over" in "\n".join(screen_lines(app)))
        await pilot.press("G")
        await until(pilot, lambda: view.scroll_y > 0)
        bottom = view.scroll_y
        await pilot.press("k")
        await until(pilot, lambda: view.scroll_y == bottom - 1)
        await pilot.press("j")
        await until(pilot, lambda: view.scroll_y == bottom)
        await pilot.press("g")
        await until(pilot, lambda: view.scroll_y == 0)
        await pilot.press("slash", "x")
        await until(pilot, lambda: screen.prompt.active)
        await pilot.press("escape")  # closes the prompt, the view stays
        await until(pilot, lambda: not screen.prompt.active and isinstance(screen.view, LoadView))
        await pilot.press("slash", "x", "enter")  # a text of loads, not rows: nothing to filter
        await until(pilot, lambda: screen.flash_line.message == "load view cannot be filtered")
