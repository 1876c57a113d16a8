"""The HPA in the dashboard (issue 15 part 2): `:hpa` with kubectl's columns, enter on an HPA opens its chart
(replicas, and the metric against its target, over the last syncs), which moves as the HPA scales; `a` on a
deployment is `kubectl autoscale` from a dialog (--min, --max, --cpu-percent), refused with kubectl's message on bad
input and absent under --readonly. Keys are sent in bursts, at 80x24.

Upstream: the columns are printHorizontalPodAutoscaler's (k/k pkg/printers/internalversion/printers.go); the
HPA `a` creates is the one `kubectl autoscale` builds (staging/src/k8s.io/kubectl/pkg/cmd/autoscale/autoscale.go),
checked against a v1.36 control plane: name of the target, scaleTargetRef apps/v1 Deployment, the given bounds
and a CPU Utilization metric.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import tui_support
from test_hpa_folder import HPA, WEB
from tui_support import burst, command, dashboard, screen_lines, table

from k9py.views.hpa_chart import HpaChartView
from k9py.widgets.autoscale_dialog import AutoscaleDialog

until = partial(tui_support.until, timeout=20.0)
SMALL = (80, 24)


async def test_hpa_view_has_kubectls_columns_and_enter_opens_a_chart_that_follows_the_scaling(tmp_path: Path) -> None:
    (tmp_path / "web.yaml").write_text(WEB + HPA)
    async with dashboard([tmp_path], size=SMALL) as (app, pilot, screen, cluster):
        await command(pilot, "hpa default")
        view = table(screen)
        assert view.columns == ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"]
        await until(pilot, lambda: any("Deployment/web" in line for line in screen_lines(app)))
        # The first sync (15 s of cluster time) fills in TARGETS.
        await until(pilot, lambda: any("cpu: 20%/50%" in line for line in screen_lines(app)))
        burst(app, "enter")
        await until(pilot, lambda: isinstance(screen.view, HpaChartView) and "replicas (now 2" in screen.view.shown)
        chart = screen.view
        assert isinstance(chart, HpaChartView)
        assert "cpu: 20% (target 50% ╌)" in chart.shown
        assert "╌" in chart.shown.split("(target 50% ╌)")[1]  # the target line is drawn across the metric's chart
        assert chart.shown.rstrip().endswith("now")
        # Load: the HPA scales up, and the chart shows it without a key pressed.
        cluster.load("svc/web", 40, "default")
        await until(pilot, lambda: int(chart.shown.split("replicas (now ")[1].split(",")[0]) > 2, timeout=30)
        lines = screen_lines(app)
        assert any("hpa(default/web)" in line for line in lines)
        assert any("█" in line for line in lines)  # the replicas' bars, on screen at 80x24
        burst(app, "escape")
        await until(pilot, lambda: screen.view is view)


async def test_a_on_a_deployment_autoscales_it_as_kubectl_autoscale(tmp_path: Path) -> None:
    (tmp_path / "web.yaml").write_text(WEB)
    async with dashboard([tmp_path], size=SMALL) as (app, pilot, screen, cluster):
        await command(pilot, "deploy default")
        view = table(screen)
        await until(pilot, lambda: len(view._rows) == 1)
        # --max 0: kubectl's own refusal, flashed; nothing created.
        burst(app, "a", "0", "shift+tab", "ctrl+u", "enter")
        await until(
            pilot, lambda: "--max=MAXPODS is required and must be at least 1, max: 0" in screen.flash_line.message
        )
        assert cluster.get("hpa", "web") is None
        # min 2, max 10, cpu 50, typed in one burst with the key that opens the dialog.
        burst(
            app, "a", "1", "0", "shift+tab", "backspace", "2", "tab", "tab", "backspace", "backspace", "5", "0", "enter"
        )
        await until(pilot, lambda: cluster.get("hpa", "web") is not None)
        hpa = cluster.get("hpa", "web")
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"] == {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": 2,
            "maxReplicas": 10,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}},
                }
            ],
        }
        await until(pilot, lambda: "horizontalpodautoscaler.autoscaling/web autoscaled" in screen.flash_line.message)
        # Again: the API server's AlreadyExists, flashed.
        burst(app, "a", "enter")
        await until(
            pilot, lambda: 'horizontalpodautoscalers.autoscaling "web" already exists' in screen.flash_line.message
        )


async def test_the_autoscale_dialog_says_max_is_required_and_readonly_has_no_a(tmp_path: Path) -> None:
    (tmp_path / "web.yaml").write_text(WEB)
    async with dashboard([tmp_path], size=SMALL) as (app, pilot, screen, _cluster):
        await command(pilot, "deploy default")
        await until(pilot, lambda: len(table(screen)._rows) == 1)
        burst(app, "a", "backspace", "backspace", "enter")
        await until(pilot, lambda: isinstance(app.screen, AutoscaleDialog))
        await until(pilot, lambda: any("--max is required" in line for line in screen_lines(app)))
        burst(app, "escape")
        await until(pilot, lambda: not isinstance(app.screen, AutoscaleDialog))
    async with dashboard([tmp_path], size=SMALL, readonly=True) as (app, pilot, screen, cluster):
        await command(pilot, "deploy default")
        await until(pilot, lambda: len(table(screen)._rows) == 1)
        burst(app, "a")
        await pilot.pause(0.2)
        assert not isinstance(app.screen, AutoscaleDialog)
        assert cluster.get("hpa", "web") is None


async def test_the_charts_keys_scroll_refuse_a_filter_and_open_yaml_and_describe(tmp_path: Path) -> None:
    (tmp_path / "web.yaml").write_text(WEB + HPA)
    async with dashboard([tmp_path], size=SMALL, command="hpa default") as (app, pilot, screen, _cluster):
        await until(pilot, lambda: len(table(screen)._rows) == 1)
        burst(app, "enter", "j", "j", "G", "k", "g")
        await until(pilot, lambda: isinstance(screen.view, HpaChartView))
        chart = screen.view
        await until(pilot, lambda: chart.scroll_y == 0)
        await pilot.press("slash", "x", "enter")
        await until(pilot, lambda: "hpa chart view cannot be filtered" in screen.flash_line.message)
        burst(app, "y")
        await until(pilot, lambda: screen.view_name == "yaml")
        assert "yaml(horizontalpodautoscaler/default/web)" in screen.view.plain_title
        await until(pilot, lambda: any("scaleTargetRef:" in line for line in screen_lines(app)))
        burst(app, "escape")
        await until(pilot, lambda: isinstance(screen.view, HpaChartView))
        burst(app, "d")
        await until(pilot, lambda: screen.view_name == "describe")
        await until(pilot, lambda: any("Reference:" in line and "Deployment/web" in line for line in screen_lines(app)))
        burst(app, "escape", "escape")
        await until(pilot, lambda: screen.view_name == "hpa")
