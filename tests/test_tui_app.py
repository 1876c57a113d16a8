"""The dashboard end to end: a real-clock cluster at 50x on the sample manifests, driven through Textual's Pilot."""

from __future__ import annotations

import asyncio

from textual import events
from tui_support import ALL_DEPLOYMENTS, ALL_PODS, CONFIRM, SPEED, command, dashboard, paste, table, until

from k9py.backend import EngineBackend
from k9py.widgets.dialogs import ConfirmDialog, ScaleDialog
from k9py.widgets.help import HelpScreen


async def test_starts_on_all_pods_of_the_sample() -> None:
    async with dashboard() as (_app, pilot, screen, _cluster):
        await until(pilot, lambda: table(screen).row_count == ALL_PODS)
        assert screen.view_name == "pods"
        assert screen.view_title.strip() == f"pods(all)[{ALL_PODS}]"
        assert table(screen).columns == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "CPU", "%CPU/R",
                                         "%CPU/L", "MEM", "%MEM/R", "%MEM/L", "IP", "NODE", "AGE"]
        assert any(name.startswith("frontend-") for name in table(screen).visible_names())
        await until(pilot, lambda: f"{ALL_PODS} Running" in screen.header.plain())
        assert "3/3 Ready" in screen.header.plain()


async def test_command_switches_view_title_and_crumbs() -> None:
    async with dashboard() as (_app, pilot, screen, _cluster):
        await command(pilot, "deploy")
        await until(pilot, lambda: screen.view_name == "deployments")
        await until(pilot, lambda: table(screen).row_count == ALL_DEPLOYMENTS)
        assert screen.view_title.strip() == f"deployments(all)[{ALL_DEPLOYMENTS}]"
        assert screen.crumbs.labels == ["deployments"]
        await command(pilot, "po shop")
        await until(pilot, lambda: screen.view_title.strip() == "pods(shop)[6]")
        await command(pilot, "no")
        await until(pilot, lambda: screen.view_title.strip() == "nodes[3]")


async def test_a_command_can_carry_a_filter_and_a_label_selector_as_in_k9s() -> None:
    async with dashboard() as (_app, pilot, screen, _cluster):
        await until(pilot, lambda: table(screen).row_count == ALL_PODS)
        await command(pilot, "po /cart")
        await until(pilot, lambda: screen.view_title.strip() == "pods(all)[2] </cart>")
        await command(pilot, "dp shop app=frontend")
        await until(pilot, lambda: screen.view_title.strip() == "deployments(shop)[1] <app=frontend>")
        await pilot.press("minus")  # the last view comes back as its command opened it
        await until(pilot, lambda: screen.view_title.strip() == "pods(all)[2] </cart>")
        await command(pilot, "po")  # and the same kind without a filter shows everything again
        await until(pilot, lambda: screen.view_title.strip() == f"pods(all)[{ALL_PODS}]")
        await command(pilot, "po a=b=c")
        assert screen.flash_line.message == ("bad label selector: unable to parse requirement: found '=', expected: "
                                             "',' or 'end of string'")
        assert screen.flash_line.level == "error"
        assert screen.view_title.strip() == f"pods(all)[{ALL_PODS}]"


async def test_unknown_command_flashes_an_error() -> None:
    async with dashboard() as (_app, pilot, screen, _cluster):
        await command(pilot, "flurb")
        assert screen.flash_line.message == 'unknown resource "flurb"'
        assert screen.flash_line.level == "error"
        assert screen.view_name == "pods"


async def test_tab_completes_a_command() -> None:
    async with dashboard() as (_app, pilot, screen, _cluster):
        await pilot.press("colon", "d", "e", "p", "tab")
        assert screen.prompt.input.value == "deploy"
        await pilot.press("enter")
        await until(pilot, lambda: screen.view_name == "deployments")


async def test_filter_narrows_and_inverts_rows() -> None:
    async with dashboard() as (_app, pilot, screen, _cluster):
        view = table(screen)
        await until(pilot, lambda: view.row_count == ALL_PODS)
        await pilot.press("slash", *"FRO", "enter")
        await pilot.pause()
        assert view.row_count == 3
        assert all(name.startswith("frontend-") for name in view.visible_names())
        assert screen.view_title.strip() == "pods(all)[3] </FRO>"
        await pilot.press("escape")  # esc clears the filter
        assert view.row_count == ALL_PODS
        await pilot.press("slash", "!", *"fro", "enter")
        await pilot.pause()
        assert view.row_count == ALL_PODS - 3
        assert not any(name.startswith("frontend-") for name in view.visible_names())
        await pilot.press("escape")
        await pilot.press("slash")
        await paste(pilot, "-l app=redis")
        await pilot.press("enter")
        await pilot.pause()
        assert view.visible_names() and all(n.startswith("redis-") for n in view.visible_names())


async def test_enter_drills_from_deployment_to_its_pods_and_esc_returns() -> None:
    async with dashboard() as (_app, pilot, screen, _cluster):
        await command(pilot, "deploy")
        await until(pilot, lambda: table(screen).row_count == ALL_DEPLOYMENTS)
        await pilot.press("slash", *"fro", "enter", "enter")
        await until(pilot, lambda: screen.view_name == "pods")
        await until(pilot, lambda: table(screen).row_count == 3)
        assert screen.view_title.strip() == "pods(shop)[3] <app=frontend>"
        assert screen.crumbs.labels == ["deployments", "pods"]
        await pilot.press("escape")
        await until(pilot, lambda: screen.view_name == "deployments")
        assert table(screen).filter_text == "fro"  # the filter survives the round trip


async def test_kill_pod_asks_then_a_replacement_appears() -> None:
    async with dashboard() as (app, pilot, screen, _cluster):
        view = table(screen)
        await until(pilot, lambda: view.row_count == ALL_PODS)
        await pilot.press("slash", *"redis", "enter")
        await pilot.pause()
        victim = view.visible_names()[0]
        await pilot.press("ctrl+k")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press(*CONFIRM)
        await until(pilot, lambda: view.visible_names() and view.visible_names() != [victim])
        replacement = view.visible_names()
        assert len(replacement) == 1 and replacement[0].startswith("redis-") and replacement[0] != victim
        assert "killed" in screen.flash_line.message


async def test_kill_cancelled_by_default_button() -> None:
    async with dashboard() as (app, pilot, screen, _cluster):
        view = table(screen)
        await until(pilot, lambda: view.row_count == ALL_PODS)
        before = view.visible_names()
        await pilot.press("ctrl+k")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("enter")  # focus starts on Cancel: a stray enter kills nothing
        await until(pilot, lambda: not isinstance(app.screen, ConfirmDialog))
        await pilot.pause(0.2)
        assert view.visible_names() == before


async def test_scale_dialog_changes_replicas() -> None:
    async with dashboard() as (app, pilot, screen, _cluster):
        await command(pilot, "deploy")
        await until(pilot, lambda: table(screen).row_count == ALL_DEPLOYMENTS)
        await pilot.press("slash", *"fro", "enter", "s")
        await until(pilot, lambda: isinstance(app.screen, ScaleDialog))
        await pilot.press("backspace", "5", "enter")
        backend = app.backend
        assert isinstance(backend, EngineBackend)
        await until(pilot, lambda: backend.cluster.get("deployments", "frontend", "shop")["spec"]["replicas"] == 5)
        assert "scaled to 5" in screen.flash_line.message


async def test_pause_and_speed_show_in_the_header() -> None:
    async with dashboard() as (app, pilot, screen, _cluster):
        await pilot.press("p")
        assert app.backend.paused
        assert "PAUSED" in screen.header.plain()
        await pilot.press("p")
        assert not app.backend.paused
        assert "PAUSED" not in screen.header.plain()
        await pilot.press("less_than_sign")
        assert app.backend.speed == SPEED / 2
        assert "x25" in screen.header.plain()
        await pilot.press("greater_than_sign", "greater_than_sign")
        assert app.backend.speed == 64  # the ceiling


async def test_help_is_generated_from_the_bindings() -> None:
    async with dashboard() as (app, pilot, _screen, _cluster):
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        for fragment in ("<ctrl-k> Kill", "<l> Logs", "<:> Command", "<p> Pause/Resume"):
            assert fragment in help_screen.text
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, HelpScreen))


async def test_readonly_hides_and_disables_destructive_keys() -> None:
    async with dashboard(readonly=True) as (app, pilot, screen, _cluster):
        assert "ctrl-k" not in screen.hints.text
        assert "ctrl-d" not in screen.hints.text
        await until(pilot, lambda: table(screen).row_count == ALL_PODS)
        await pilot.press("ctrl+k")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmDialog)
        assert "read-only" in screen.flash_line.message
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert "Kill" not in app.screen.text  # type: ignore[attr-defined]


async def test_yaml_describe_and_logs_views() -> None:
    async with dashboard() as (_app, pilot, screen, _cluster):
        await until(pilot, lambda: table(screen).row_count == ALL_PODS)
        await pilot.press("slash", *"redis", "enter", "y")
        await until(pilot, lambda: screen.view_name == "yaml")
        assert "kind: Pod" in screen.view.content  # type: ignore[union-attr]
        await pilot.press("escape", "d")
        await until(pilot, lambda: screen.view_name == "describe")
        assert "Containers:" in screen.view.content  # type: ignore[union-attr]
        await pilot.press("escape", "l")
        await until(pilot, lambda: screen.view_name == "logs")
        assert screen.view_title.strip().endswith(":redis)")
        await until(pilot, lambda: len(screen.view.lines) > 0)  # type: ignore[union-attr]
        await pilot.press("t")
        assert screen.view.timestamps  # type: ignore[union-attr]
        await pilot.press("escape")
        await until(pilot, lambda: screen.view_name == "pods")


async def test_node_view_fail_and_recover() -> None:
    async with dashboard() as (app, pilot, screen, _cluster):
        await command(pilot, "no")
        await until(pilot, lambda: table(screen).row_count == 3)
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press(*CONFIRM)
        await until(pilot, lambda: app.backend.node_failed("node-1"))
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press(*CONFIRM)
        await until(pilot, lambda: "cordoned" in screen.flash_line.message)
        await pilot.press("f")  # recovering asks nothing
        await until(pilot, lambda: not app.backend.node_failed("node-1"))
        await pilot.press("enter")
        await until(pilot, lambda: screen.view_name == "pods")
        assert "<node-1>" in screen.view_title


async def test_keys_that_mean_nothing_here_say_so() -> None:
    async with dashboard() as (_app, pilot, screen, _cluster):
        await pilot.press("r")  # restart is for deployments (`s` is Shell on a pod)
        assert "does nothing in the pods view" in screen.flash_line.message


async def test_shift_n_sorts_by_name_and_again_reverses() -> None:
    async with dashboard() as (_app, pilot, screen, _cluster):
        view = table(screen)
        await until(pilot, lambda: view.row_count == ALL_PODS)
        await pilot.press("N")
        names = view.visible_names()
        assert names == sorted(names)  # by name across namespaces: cart, frontend, metrics..., redis
        await pilot.press("N")
        assert view.visible_names() == sorted(names, reverse=True)
        assert "descending" in screen.flash_line.message


async def test_commands_typed_in_one_burst_all_land() -> None:
    """`:dp` enter `:no` enter typed faster than a view mounts: the second prompt keeps its keys."""
    async with dashboard() as (app, pilot, screen, _cluster):
        await until(pilot, lambda: table(screen).row_count == ALL_PODS)
        for key in ("colon", "d", "p", "enter", "colon", "n", "o", "enter"):
            app.post_message(events.Key(key, ":" if key == "colon" else key if len(key) == 1 else None))
            await asyncio.sleep(0)  # each key handled before the next arrives, as a fast typist's are
        await until(pilot, lambda: screen.view_name == "nodes")
        assert screen.crumbs.labels == ["nodes"]
        assert not screen.backend.paused  # no stray `p` reached the clock
