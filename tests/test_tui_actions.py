"""Dashboard actions end to end (Pilot, real clock at 50x): node drain, theme cycling, previous logs, and keys
typed in one burst with the key that opens a dialog."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest
import tui_support
from textual.pilot import Pilot
from textual.widgets import Checkbox
from tui_support import ALL_DEPLOYMENTS, ALL_PODS, CONFIRM, burst, dashboard, table

from k9py.app import MainScreen
from k9py.theme import STATUS_CATEGORIES, load_theme
from k9py.views.logs import LogsView
from k9py.views.table import TableView
from k9py.widgets.dialogs import ConfirmDialog, DrainDialog, ScaleDialog

pytestmark = pytest.mark.usefixtures("no_user_themes")

until = partial(tui_support.until, timeout=8.0)
command = partial(tui_support.command, typed=True)  # `:no` enter a key at a time

CRASHING = """\
apiVersion: v1
kind: Pod
metadata: {name: crash, namespace: default}
spec:
  containers:
  - {name: app, image: busybox:1.36, command: ["sh", "-c", "sleep 2; exit 1"]}
---
apiVersion: v1
kind: Pod
metadata: {name: calm, namespace: default}
spec:
  containers:
  - {name: web, image: nginx:1.27}
"""

BARE_POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bare", "namespace": "default"},
            "spec": {"nodeName": "node-1", "containers": [{"name": "app", "image": "nginx:1.27"}]}}


def logs(screen: MainScreen) -> LogsView:
    assert isinstance(screen.view, LogsView)
    return screen.view


async def filtered(pilot: Pilot[None], screen: MainScreen, text: str, rows: int = 1) -> TableView:
    await pilot.press("slash", *text, "enter")
    view = table(screen)
    await until(pilot, lambda: view.row_count == rows)
    return view


# --- node drain --------------------------------------------------------------------------------------------------


async def test_drain_evicts_the_node_and_its_pods_come_back_elsewhere() -> None:
    async with dashboard() as (app, pilot, screen, cluster):
        await until(pilot, lambda: table(screen).row_count == ALL_PODS)
        await until(pilot, lambda: all(p["status"].get("phase") == "Running" for p in cluster.list("pods")))
        on_node = [p for p in cluster.list("pods") if p["spec"].get("nodeName") == "node-1"]
        # Its kube-proxy pod stays: a drain leaves DaemonSet-managed pods (kubectl's --ignore-daemonsets).
        [proxy] = [p for p in on_node if p["metadata"]["ownerReferences"][0]["kind"] == "DaemonSet"]
        victims = [p for p in on_node if p is not proxy]
        assert victims and proxy["metadata"]["namespace"] == "kube-system"
        await command(pilot, "no")
        await filtered(pilot, screen, "node-1")
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, DrainDialog))
        dialog = app.screen
        assert isinstance(dialog, DrainDialog)
        assert dialog.focused is not None and dialog.focused.id == "cancel"  # a stray enter drains nothing
        await pilot.press(*CONFIRM)
        await until(pilot, lambda: "drained" in screen.flash_line.message, timeout=15)
        count = len(victims)
        assert screen.flash_line.message == f"node/node-1 drained ({count} pod{'' if count == 1 else 's'} evicted)"
        assert cluster.get("nodes", "node-1", None)["spec"]["unschedulable"] is True
        await until(pilot, lambda: "SchedulingDisabled" in " ".join(cluster.table("nodes")[1][0]))
        assert [p["metadata"]["name"] for p in cluster.list("pods") if p["spec"].get("nodeName") == "node-1"] == [
            proxy["metadata"]["name"]]
        await until(pilot, lambda: sum(p["status"].get("phase") == "Running" for p in cluster.list("pods"))
                    == ALL_PODS, timeout=15)


async def test_drain_refuses_a_bare_pod_unless_forced() -> None:
    async with dashboard() as (app, pilot, screen, cluster):
        await cluster.create(BARE_POD)
        await command(pilot, "no")
        await filtered(pilot, screen, "node-1")
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, DrainDialog))
        await pilot.press(*CONFIRM)
        await until(pilot, lambda: "not drained" in screen.flash_line.message)
        assert screen.flash_line.level == "error"
        assert screen.flash_line.message == (
            "node/node-1 cordoned, not drained: cannot delete Pods that declare no controller "
            "(use --force to override): default/bare")
        assert cluster.get("pod", "bare") is not None

        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, DrainDialog))
        await pilot.press("f")  # the Force checkbox
        assert app.screen.query_one("#force", Checkbox).value
        await pilot.press("tab", "tab", "tab")  # Cancel -> force -> emptyDir -> Drain
        assert app.screen.focused is not None and app.screen.focused.id == "ok"
        await pilot.press("enter")
        await until(pilot, lambda: "drained (" in screen.flash_line.message, timeout=15)
        assert cluster.get("pod", "bare") is None


async def test_drain_is_cancelled_by_default_and_hidden_when_readonly() -> None:
    async with dashboard() as (app, pilot, screen, cluster):
        await command(pilot, "no")
        await filtered(pilot, screen, "node-2")
        assert "<r> Drain" in screen.hints.text
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, DrainDialog))
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, DrainDialog))
        assert not cluster.get("nodes", "node-2", None)["spec"].get("unschedulable")
    async with dashboard(readonly=True) as (app, pilot, screen, _cluster):
        await command(pilot, "no")
        assert "Drain" not in screen.hints.text
        await pilot.press("r")
        assert not isinstance(app.screen, DrainDialog)
        assert "read-only" in screen.flash_line.message


# --- theme cycling -----------------------------------------------------------------------------------------------


def row_colour(view: TableView) -> str:
    row = view.table.row(view.table.key_at(0) or "")
    assert row is not None
    return row.colour


async def test_ctrl_t_cycles_themes_and_repaints_the_rows() -> None:
    default, dracula = load_theme("default"), load_theme("dracula")
    async with dashboard() as (app, pilot, screen, _cluster):
        await until(pilot, lambda: table(screen).row_count == ALL_PODS)
        await pilot.press("slash", *"redis", "enter")
        await until(pilot, lambda: table(screen).row_count == 1)
        assert app.theme == "k9py-default"
        assert row_colour(table(screen)) in {default.status(c) for c in STATUS_CATEGORIES}

        await pilot.press("ctrl+t")
        await until(pilot, lambda: screen.skin.name == "dracula")
        assert app.theme == "k9py-dracula"
        assert screen.flash_line.message == "theme: dracula"
        assert app.get_css_variables()["k9-body-bg"] == dracula.body_bg
        view = table(screen)  # rebuilt in the new skin, keeping the filter
        await until(pilot, lambda: view.row_count == 1)
        assert view.filter_text == "redis"
        assert row_colour(view) in {dracula.status(c) for c in STATUS_CATEGORIES}
        assert screen.header.skin == dracula and screen.hints.skin == dracula


async def test_theme_cycle_includes_user_skins_and_skips_broken_ones(tmp_path: Path) -> None:
    folder = tmp_path / "config" / "k9py" / "themes"
    folder.mkdir(parents=True)
    (folder / "mine.yaml").write_text("k9s:\n  frame:\n    status:\n      newColor: '#123456'\n")
    (folder / "broken.yaml").write_text("k9s:\n  body:\n    fgColor: notacolour\n")
    async with dashboard() as (app, pilot, screen, _cluster):
        seen = []
        for _ in range(5):  # default -> dracula -> high-contrast -> light -> mine -> (broken) default
            await pilot.press("ctrl+t")
            await pilot.pause()
            seen.append(screen.skin.name)
        assert seen == ["dracula", "high-contrast", "light", "mine", "default"]
        assert screen.flash_line.level == "warn" and "notacolour" in screen.flash_line.message
        assert app.theme == "k9py-default"


# --- logs --previous ---------------------------------------------------------------------------------------------


async def test_p_in_logs_shows_the_previous_container(tmp_path: Path) -> None:
    (tmp_path / "pods.yaml").write_text(CRASHING)
    async with dashboard([tmp_path]) as (app, pilot, screen, cluster):

        def restarts() -> int:
            statuses = (cluster.get("pod", "crash") or {}).get("status", {}).get("containerStatuses") or [{}]
            return int(statuses[0].get("restartCount", 0))

        await until(pilot, lambda: restarts() >= 1, timeout=15)
        await pilot.press("slash", *"crash", "enter", "l")
        await until(pilot, lambda: screen.view_name == "logs")
        assert "[previous]" not in screen.view_title
        await pilot.press("p")
        await until(pilot, lambda: "exited with code 1" in logs(screen).visible_lines())
        assert screen.view_title.strip() == "logs(default/crash:app)[previous]"
        assert logs(screen).visible_lines()[0] == "Starting busybox:1.36: sh -c sleep 2; exit 1"
        assert not app.backend.paused  # `p` means Previous here, not pause
        await pilot.press("p")
        await until(pilot, lambda: "[previous]" not in screen.view_title)
        assert screen.view_title.strip() == "logs(default/crash:app)"
        await command(pilot, "pause")  # the clock can still be paused from the logs view
        assert app.backend.paused
        await command(pilot, "resume")

        await pilot.press("escape", "escape", "slash", *"calm", "enter", "l")
        await until(pilot, lambda: screen.view_title.strip() == "logs(default/calm:web)")
        await pilot.press("p")
        missing = 'previous terminated container "web" in pod "calm" not found'
        await until(pilot, lambda: logs(screen).visible_lines() == [missing])
        assert screen.flash_line.message == missing and screen.flash_line.level == "error"


# --- keys typed in one burst with the key that opens a dialog ----------------------------------------------------


async def test_ctrl_k_left_enter_in_one_burst_kills_the_pod() -> None:
    async with dashboard() as (app, pilot, screen, cluster):
        await until(pilot, lambda: table(screen).row_count == ALL_PODS)
        view = await filtered(pilot, screen, "redis")
        victim = view.visible_names()[0]
        burst(app, "ctrl+k", *CONFIRM)  # the dialog takes the keys typed with the one that opened it, in order
        await until(pilot, lambda: cluster.get("pod", victim, "shop") is None)
        assert screen.flash_line.message == f"pod/{victim} killed"
        assert not isinstance(app.screen, ConfirmDialog)


async def test_ctrl_k_left_enter_pressed_without_pause_kills_the_pod() -> None:
    # Pilot lets the app go idle between the keys, so this is the slow path; the burst tests race.
    async with dashboard() as (_app, pilot, screen, cluster):
        await until(pilot, lambda: table(screen).row_count == ALL_PODS)
        view = await filtered(pilot, screen, "redis")
        victim = view.visible_names()[0]
        await pilot.press("ctrl+k", *CONFIRM)
        await until(pilot, lambda: cluster.get("pod", victim, "shop") is None)


async def test_scale_typed_in_one_burst() -> None:
    async with dashboard() as (app, pilot, screen, cluster):
        await command(pilot, "deploy")
        await until(pilot, lambda: table(screen).row_count == ALL_DEPLOYMENTS)
        await filtered(pilot, screen, "frontend")
        burst(app, "s", "5", "enter")  # the dialog selects the current count, so typing replaces it
        await until(pilot, lambda: cluster.get("deployments", "frontend", "shop")["spec"]["replicas"] == 5)
        assert screen.flash_line.message == "deployment/frontend scaled to 5"
        assert not isinstance(app.screen, ScaleDialog)
        burst(app, "s", "1", "2", "backspace", "enter")
        await until(pilot, lambda: cluster.get("deployments", "frontend", "shop")["spec"]["replicas"] == 1)


async def test_a_burst_that_cancels_the_dialog_leaves_the_pod() -> None:
    async with dashboard() as (app, pilot, screen, cluster):
        await until(pilot, lambda: table(screen).row_count == ALL_PODS)
        view = await filtered(pilot, screen, "redis")
        victim = view.visible_names()[0]
        burst(app, "ctrl+k", "enter")  # enter presses the focused button: Cancel
        await pilot.pause(0.5)
        assert not isinstance(app.screen, ConfirmDialog)
        assert screen.view_name == "pods"  # the enter did not reach the table (it would open the containers)
        assert cluster.get("pod", victim, "shop") is not None
