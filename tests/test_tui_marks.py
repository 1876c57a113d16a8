"""Space marks rows; kill and delete then act on every marked row after one confirmation (k9s's bulk actions)."""

from __future__ import annotations

from tui_support import ALL_DEPLOYMENTS, ALL_PODS, CONFIRM, SIZE, SPEED, dashboard, table, until

from engine import Cluster
from k9py.app import K9App, sample_manifests
from k9py.backend import EngineBackend
from k9py.views.table import TableView
from k9py.widgets.dialogs import ConfirmDialog


async def test_space_marks_and_kill_takes_every_marked_pod() -> None:
    async with dashboard() as (app, pilot, screen, _cluster):
        view = table(screen)
        await until(pilot, lambda: view.row_count == ALL_PODS)
        await pilot.press("slash", *"frontend", "enter")
        await until(pilot, lambda: view.row_count == 3)
        victims = view.visible_names()[:2]
        await pilot.press("space", "space")  # marks a row and moves on: two presses mark two rows
        assert [o["metadata"]["name"] for o in view.marked()] == victims
        assert view.table.selected_key() == view.table.key_at(2)  # the cursor moved past the marked rows

        await pilot.press("ctrl+k")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "Kill 2 marked pods?" in app.screen.message  # type: ignore[attr-defined]
        await pilot.press(*CONFIRM)
        await until(pilot, lambda: view.row_count == 3 and not set(victims) & set(view.visible_names()))
        assert screen.flash_line.message == "2 pods killed"
        assert view.marked() == []  # the marks went with the rows


async def test_space_again_unmarks_and_ctrl_backslash_clears() -> None:
    async with dashboard() as (_app, pilot, screen, _cluster):
        view = table(screen)
        await until(pilot, lambda: view.row_count == ALL_PODS)
        await pilot.press("space", "up", "space")
        assert view.marked() == []
        await pilot.press("space", "space", "space")
        assert len(view.marked()) == 3
        await pilot.press("ctrl+backslash")
        assert view.marked() == [] and screen.flash_line.message == "3 marks cleared"


async def test_ctrl_space_marks_a_range() -> None:
    async with dashboard() as (_app, pilot, screen, _cluster):
        view = table(screen)
        await until(pilot, lambda: view.row_count == ALL_PODS)
        await pilot.press("down", "space")  # row 1 marked, cursor on row 2
        await pilot.press("down", "down", "ctrl+@")  # rows 1 to 4
        names = view.visible_names()
        assert [o["metadata"]["name"] for o in view.marked()] == names[1:5]


async def test_delete_with_marks_asks_once_and_cancel_keeps_everything() -> None:
    async with dashboard() as (app, pilot, screen, _cluster):
        await pilot.press("colon", *"deploy", "enter")
        await until(pilot, lambda: screen.view_name == "deployments" and table(screen).row_count == ALL_DEPLOYMENTS)
        view = table(screen)
        await pilot.press("space", "space", "ctrl+d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "Delete 2 marked deployments?" in app.screen.message  # type: ignore[attr-defined]
        await pilot.press("n")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmDialog))
        assert view.row_count == ALL_DEPLOYMENTS and len(view.marked()) == 2


async def test_no_confirm_kill_kills_at_once_but_delete_still_asks() -> None:
    cluster = Cluster(clock="real", speed=SPEED)
    app = K9App(EngineBackend(cluster), [sample_manifests()], confirm_kill=False)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.main is not None and isinstance(app.main.view, TableView))
        assert app.main is not None
        view = table(app.main)
        await until(pilot, lambda: view.row_count == ALL_PODS)
        victim = view.visible_names()[0]
        await pilot.press("ctrl+k")
        assert not isinstance(app.screen, ConfirmDialog)
        await until(pilot, lambda: victim not in view.visible_names())
        assert app.main.flash_line.message == f"pod/{victim} killed"
        await pilot.press("ctrl+d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
