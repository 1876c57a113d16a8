"""What k9s users expect of the views (issue 10 §2, §4), each pinned by a test that failed before its fix: the cursor
back on its row after any sub-view, w and S saying what they change before they do it, a log pane that says why a
container has no log yet, enter on a Service, confirmations for cordon and uncordon, log toggles that survive `p`,
the fuzzy filter `/-f`, and confirm dialogs that a `y` typed one press too late for the view cannot answer."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import tui_support
from manifests import deployment, deployment_yaml
from test_tui_sources import row, select, sources_view
from test_tui_sources import view as sources
from tui_support import ALL_PODS, CONFIRM, burst, command, dashboard, filter_by, table

from k9py.app import MainScreen
from k9py.views.logs import LogsView
from k9py.views.rollout import RolloutView
from k9py.widgets.dialogs import ConfirmDialog, DrainDialog

until = partial(tui_support.until, timeout=10.0)


def selected_name(screen: MainScreen) -> str:
    return str((screen.view.selected() or {})["metadata"]["name"])  # type: ignore[union-attr]


def dialog_message(app: object) -> str:
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, ConfirmDialog)
    return screen.message


# --- the cursor stays on its row across every sub-view -----------------------------------------------------------


async def test_d_then_esc_in_the_sources_view_keeps_the_cursor_on_its_row(tmp_path: Path) -> None:
    async with sources_view(tmp_path) as (_app, pilot, screen, _backend, _folder):
        await until(pilot, lambda: sources(screen).row_count == 3)
        await select(pilot, screen, "web")
        assert sources(screen).table.cursor_row > 0  # not the first row, where a new view's cursor starts
        await pilot.press("d")
        await until(pilot, lambda: screen.view_name == "drift")
        await pilot.press("escape")
        await until(pilot, lambda: screen.view_name == "sources")
        await pilot.pause()
        assert sources(screen).selected_row().name == "web"  # type: ignore[union-attr]


async def test_the_rollout_panel_keeps_its_cursor_across_yaml_and_describe() -> None:
    async with dashboard([]) as (_app, pilot, screen, cluster):
        for image in ("nginx:1.25", "nginx:1.26", "nginx:1.27"):
            await cluster.apply(deployment("web", image, replicas=1))
            await until(pilot, lambda: cluster.rollout_status("web")[1])
        await command(pilot, "deploy default")
        await until(pilot, lambda: screen.view_name == "deployments" and screen.view.row_count == 1)  # type: ignore
        await pilot.press("ctrl+l")
        await until(pilot, lambda: isinstance(screen.view, RolloutView) and len(screen.view.history()) == 3)
        await pilot.press("j", "j")
        for key, name in (("y", "yaml"), ("d", "describe")):
            await pilot.press(key)
            await until(pilot, lambda name=name: screen.view_name == name)
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(screen.view, RolloutView) and len(screen.view.history()) == 3)
            await pilot.pause()
            assert screen.view.table.cursor_row == 2, key  # type: ignore[union-attr]


async def test_a_table_view_built_anew_from_its_crumb_finds_its_row_again() -> None:
    # Only the last few table views are kept alive; a new theme lets them all go: the one under the describe view
    # is then listed anew when esc comes back to it, and its cursor went back to the first row.
    async with dashboard() as (_app, pilot, screen, _cluster):
        await until(pilot, lambda: table(screen).row_count == ALL_PODS)
        await pilot.press("j", "j", "j")
        chosen = selected_name(screen)
        await pilot.press("d")
        await until(pilot, lambda: screen.view_name == "describe")
        await pilot.press("ctrl+t")
        await until(pilot, lambda: screen.skin.name != "default")
        await pilot.press("escape")
        await until(pilot, lambda: screen.view_name == "pods" and table(screen).row_count == ALL_PODS)
        await until(pilot, lambda: selected_name(screen) == chosen)
        assert table(screen).table.cursor_row == 3


# --- w and S say what they change, and ask ------------------------------------------------------------------------


async def test_w_and_S_say_what_they_will_change_and_ask_first(tmp_path: Path) -> None:
    async with sources_view(tmp_path) as (app, pilot, screen, backend, folder):
        await until(pilot, lambda: sources(screen).row_count == 3)
        await backend.cluster.scale("Deployment", "web", 4, "default")
        await until(pilot, lambda: row(screen, "web")[4] == "OutOfSync")
        before = (folder / "web.yaml").read_text()
        await select(pilot, screen, "web")

        await pilot.press("w")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert dialog_message(app) == ("Write the live replicas of deployment default/web into web.yaml:1?\n"
                                       "  spec.replicas: 2 → 4")
        assert app.screen.focused is not None and app.screen.focused.id == "cancel"
        await pilot.press("enter")  # Cancel
        await until(pilot, lambda: not isinstance(app.screen, ConfirmDialog))
        assert (folder / "web.yaml").read_text() == before

        await pilot.press("S")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert dialog_message(app) == ("Re-sync deployment default/web to web.yaml:1? The live object changes back:\n"
                                       "  spec.replicas: 4 → 2")
        assert app.screen.focused is not None and app.screen.focused.id == "cancel"
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmDialog))
        await pilot.pause(0.3)
        assert row(screen, "web")[4] == "OutOfSync"

        await pilot.press("w", *CONFIRM)
        await until(pilot, lambda: screen.flash_line.message == "wrote replicas back to web.yaml")
        assert (folder / "web.yaml").read_text() == before.replace("replicas: 2", "replicas: 4")
        await until(pilot, lambda: row(screen, "web")[4] == "Synced")

        await pilot.press("S")  # nothing to change: nothing to ask
        await until(pilot, lambda: screen.flash_line.message == "deployment/web re-synced from its manifest")
        assert not isinstance(app.screen, ConfirmDialog)


# --- logs of a container that has not started ---------------------------------------------------------------------


async def test_l_on_a_pod_that_has_not_started_says_why_until_its_log_begins(tmp_path: Path) -> None:
    (tmp_path / "slow.yaml").write_text(deployment_yaml("slow").replace(
        "      labels: {app: slow}\n",
        "      labels: {app: slow}\n      annotations: {sim.k9py.io/pull-seconds: '150'}\n"))
    async with dashboard([tmp_path]) as (app, pilot, screen, _cluster):
        await until(pilot, lambda: table(screen).row_count == 1 + tui_support.SYSTEM_PODS)
        await until(pilot, lambda: "ContainerCreating" in " ".join(tui_support.screen_lines(app)))
        await filter_by(pilot, "slow")  # the cursor stays on the row it was on (a kube-system pod's): put it on the pod
        [pod] = table(screen).visible_names()
        await pilot.press("l")
        await until(pilot, lambda: screen.view_name == "logs")
        logs = screen.view
        assert isinstance(logs, LogsView)
        waiting = f'container "app" in pod "{pod}" is waiting to start: ContainerCreating'
        await until(pilot, lambda: logs.visible_lines() == [waiting])
        await until(pilot, lambda: bool(logs.lines), timeout=20)  # the image is pulled: the log replaces it
        await until(pilot, lambda: logs.visible_lines()[:1] == ["Starting nginx:1.25"])
        assert waiting not in logs.visible_lines()


async def test_l_on_a_pod_whose_image_cannot_be_pulled_says_so() -> None:
    bad = deployment("bad", "nginx:nope", pod_annotations={"sim.k9py.io/image-pull": "fail"})
    async with dashboard([]) as (_app, pilot, screen, cluster):
        await cluster.apply(bad)
        await until(pilot, lambda: table(screen).row_count == 1 + tui_support.SYSTEM_PODS)
        await filter_by(pilot, "bad")  # the cursor stays on the row it was on (a kube-system pod's): put it on the pod
        [pod] = table(screen).visible_names()
        await pilot.press("l")
        await until(pilot, lambda: screen.view_name == "logs")
        logs = screen.view
        assert isinstance(logs, LogsView)
        await until(pilot, lambda: any(line.startswith(f'container "app" in pod "{pod}" is waiting to start: ')
                                       and "ImagePull" in line for line in logs.visible_lines()))


# --- enter on a Service, and views named as the user knows them -------------------------------------------------


async def test_enter_on_a_service_shows_the_pods_it_selects() -> None:
    async with dashboard() as (_app, pilot, screen, cluster):
        await until(pilot, lambda: sum(p["status"].get("phase") == "Running" for p in cluster.list("pods"))
                    == ALL_PODS)
        await command(pilot, "svc shop")
        await until(pilot, lambda: screen.view_title.strip() == "services(shop)[3]")
        await filter_by(pilot, "frontend")
        await pilot.press("enter")
        await until(pilot, lambda: screen.view_title.strip() == "pods(shop)[3] <app=frontend>")
        assert all(name.startswith("frontend-") for name in table(screen).visible_names())
        assert screen.crumbs.labels == ["services", "pods"]
        await pilot.press("escape")
        await until(pilot, lambda: screen.view_title.strip() == "services(shop)[1] </frontend>")


async def test_messages_name_views_as_the_user_knows_them() -> None:
    async with dashboard() as (app, pilot, screen, _cluster):
        await command(pilot, "cm")
        # cart-config, kube-system's kube-proxy and coredns, ingress-nginx's controller, and the kube-root-ca.crt of
        # each of the 7 namespaces
        await until(pilot, lambda: screen.view_title.strip() == "configmaps(all)[11]")
        await pilot.press("x")
        assert screen.flash_line.message == "<x> does nothing in the configmaps view (? lists the keys)"
        await pilot.press("question_mark")
        await until(pilot, lambda: "Help(configmaps)" in " ".join(tui_support.screen_lines(app)))


# --- cordon and uncordon ask, as in k9s -------------------------------------------------------------------------


async def test_cordon_and_uncordon_ask_first() -> None:
    async with dashboard() as (app, pilot, screen, cluster):
        await command(pilot, "no")
        await until(pilot, lambda: table(screen).row_count == 3)
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert dialog_message(app) == "Cordon node node-1? No new pod is scheduled on it; its pods keep running."
        assert app.screen.focused is not None and app.screen.focused.id == "cancel"
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmDialog))
        await pilot.pause(0.3)
        assert not (cluster.get("nodes", "node-1", None) or {})["spec"].get("unschedulable")
        await pilot.press("c", *CONFIRM)
        await until(pilot, lambda: screen.flash_line.message == "node/node-1 cordoned")
        await pilot.press("u")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert dialog_message(app) == "Uncordon node node-1? New pods can be scheduled on it again."
        await pilot.press(*CONFIRM)
        await until(pilot, lambda: screen.flash_line.message == "node/node-1 uncordoned")


# --- log toggles survive `p` --------------------------------------------------------------------------------------


async def test_timestamps_and_wrap_stay_on_across_previous_and_back() -> None:
    async with dashboard() as (_app, pilot, screen, cluster):
        await until(pilot, lambda: sum(p["status"].get("phase") == "Running" for p in cluster.list("pods"))
                    == ALL_PODS)
        await filter_by(pilot, "redis")
        await pilot.press("l")
        await until(pilot, lambda: screen.view_name == "logs")
        await pilot.press("t", "w")
        for previous in (True, False):
            await pilot.press("p")
            await until(pilot, lambda previous=previous: isinstance(screen.view, LogsView)
                        and screen.view.spec.previous == previous)
            view = screen.view
            assert isinstance(view, LogsView)
            assert view.timestamps and view.wrap
            assert "Timestamps:On" in str(view.status.render()) and "Wrap:On" in str(view.status.render())


# --- the fuzzy filter ---------------------------------------------------------------------------------------------


async def test_slash_dash_f_filters_names_fuzzily() -> None:
    async with dashboard() as (_app, pilot, screen, _cluster):
        view = table(screen)
        await until(pilot, lambda: view.row_count == ALL_PODS)
        await filter_by(pilot, "-f frtnd")  # f, r, t, n, d in that order: frontend
        await until(pilot, lambda: view.row_count == 3)
        assert all(name.startswith("frontend-") for name in view.visible_names())
        assert screen.view_title.strip() == "pods(all)[3] </-f frtnd>"
        await pilot.press("escape")
        # Case does not matter. Generated suffixes have no vowels, so only redis has r, d, i, s in that order.
        await filter_by(pilot, "-f RDIS")
        await until(pilot, lambda: view.row_count == 1 and view.visible_names()[0].startswith("redis-"))


# --- confirm dialogs and a y typed one press after the key that opened them ---------------------------------------


async def test_ctrl_d_y_typed_fast_deletes_nothing_and_the_dialog_says_how_to_confirm() -> None:
    # `y` is YAML in the view: typed right after ctrl-d (or with it, in one burst), it was meant for the view, not
    # as an answer. Dialogs answer to their buttons, as in k9s: Tab to the action, Enter; n or esc cancel.
    async with dashboard() as (app, pilot, screen, cluster):
        await command(pilot, "deploy")
        await until(pilot, lambda: table(screen).row_count == tui_support.ALL_DEPLOYMENTS)
        await filter_by(pilot, "redis")
        burst(app, "ctrl+d", "y")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog) and app.screen.ready)
        await pilot.pause(0.3)
        assert isinstance(app.screen, ConfirmDialog)
        assert "Tab to Delete, then Enter" in " ".join(tui_support.screen_lines(app))
        assert cluster.get("deployments", "redis", "shop") is not None
        await pilot.press("y")  # however late
        await pilot.pause(0.3)
        assert isinstance(app.screen, ConfirmDialog) and cluster.get("deployments", "redis", "shop") is not None
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)

        await command(pilot, "no")
        await until(pilot, lambda: table(screen).row_count == 3)
        burst(app, "r", "y")  # the drain dialog: the same
        await until(pilot, lambda: isinstance(app.screen, DrainDialog) and app.screen.ready)
        await pilot.pause(0.3)
        assert isinstance(app.screen, DrainDialog)
        assert not (cluster.get("nodes", "node-1", None) or {})["spec"].get("unschedulable")
        await pilot.press("escape")
