"""Going back to a table view (esc, or its command again) shows it at once, as it was left, and up to date.

The main screen keeps the last few table views alive and hidden instead of listing and printing every object
again; these tests pin what a user sees of that: the cursor where it was, the rows current, the filter the
crumbs remember, fresh colours after a theme change, and no more than a few views held.
"""

from __future__ import annotations

from tui_support import ALL_DEPLOYMENTS, ALL_PODS, command, dashboard, filter_by, paste, table, until

from k9py.view_stack import KEPT_VIEWS
from k9py.views.table import TableView


def selected_name(screen) -> str:  # type: ignore[no-untyped-def]
    obj = table(screen).selected()
    assert obj is not None
    return obj["metadata"]["name"]


async def test_esc_back_from_describe_finds_the_cursor_where_it_was() -> None:
    async with dashboard() as (_app, pilot, screen, _cluster):
        await until(pilot, lambda: table(screen).row_count == ALL_PODS)
        await pilot.press("j", "j", "j")
        chosen = selected_name(screen)
        assert table(screen).table.cursor_row == 3
        await pilot.press("d")
        await until(pilot, lambda: screen.view_name == "describe")
        await pilot.press("escape")
        await until(pilot, lambda: screen.view_name == "pods")
        assert table(screen).table.cursor_row == 3
        assert selected_name(screen) == chosen


async def test_a_view_comes_back_up_to_date_with_what_changed_while_it_was_hidden() -> None:
    async with dashboard() as (_app, pilot, screen, cluster):
        await until(pilot, lambda: table(screen).row_count == ALL_PODS)
        await pilot.press("j")
        chosen = selected_name(screen)
        await command(pilot, "dp")
        await until(pilot, lambda: screen.view_name == "deployments")
        await cluster.scale("Deployment", "frontend", 5, "shop")
        await until(pilot, lambda: len(cluster.list("pods")) == ALL_PODS + 2)
        await command(pilot, "po")
        await until(pilot, lambda: screen.view_name == "pods")
        # The hidden view took in the new pods while on the deployments view, or does so as it comes back.
        await until(pilot, lambda: table(screen).row_count == ALL_PODS + 2, timeout=1.0)
        assert screen.view_title.strip() == f"pods(all)[{ALL_PODS + 2}]"
        assert selected_name(screen) == chosen  # the cursor stayed on its pod, wherever that row is now
        names = {p["metadata"]["name"] for p in cluster.list("pods")}
        assert set(table(screen).visible_names()) == names


async def test_a_view_switch_does_not_repaint_the_whole_screen() -> None:
    """`:po` enter and `:dp` enter between kept views: the frames painted redo the view and the lines that
    changed, not every line of the screen (the crumbs and the flash below the view stay as they were). The focus
    moving from the prompt to the new view's table made Textual repaint the whole screen (Screen.focused repaints,
    textual/screen.py), one more full frame after the switch's own, a quarter of a switch on a 10,000-pod
    cluster."""
    async with dashboard() as (app, pilot, screen, _cluster):
        await until(pilot, lambda: table(screen).row_count == ALL_PODS)
        await command(pilot, "dp")
        await until(pilot, lambda: screen.view_name == "deployments" and table(screen).row_count == ALL_DEPLOYMENTS)
        screen.backend.set_paused(True)  # the header and the rows stay as they are: only the keys change the screen
        await pilot.pause(0.3)
        every_line = set(range(app.size.height))
        frames: list[set[int]] = []
        display = app._display

        def counted(shown_on, update) -> None:  # type: ignore[no-untyped-def]
            if update is not None:  # a ChopsUpdate repaints its spans, a LayoutUpdate a whole region
                spans = getattr(update, "spans", None)
                if spans is not None:
                    frames.append({y for y, _x1, _x2 in spans})
                else:
                    frames.append(set(range(update.region.y, update.region.bottom)))
            display(shown_on, update)

        app._display = counted  # type: ignore[method-assign]
        for alias, view in (("po", "pods"), ("dp", "deployments"), ("po", "pods")):
            await pilot.press("colon")
            await paste(pilot, alias)
            await pilot.pause(0.1)
            frames.clear()
            await pilot.press("enter")
            await until(pilot, lambda view=view: screen.view_name == view)  # type: ignore[misc]
            await pilot.pause(0.2)
            assert frames, f":{alias} painted nothing"
            assert all(frame != every_line for frame in frames), f":{alias} repainted the whole screen"


async def test_the_filter_comes_back_with_esc_but_not_with_a_new_command() -> None:
    async with dashboard() as (_app, pilot, screen, _cluster):
        await until(pilot, lambda: table(screen).row_count == ALL_PODS)
        await filter_by(pilot, "cart")
        await until(pilot, lambda: table(screen).row_count == 2)
        await pilot.press("y")
        await until(pilot, lambda: screen.view_name == "yaml")
        await pilot.press("escape")
        await until(pilot, lambda: screen.view_name == "pods")
        assert screen.view_title.strip() == "pods(all)[2] </cart>"
        await command(pilot, "dp")
        await until(pilot, lambda: screen.view_name == "deployments")
        await command(pilot, "po")  # a new pods view, as k9s's command opens: no filter
        await until(pilot, lambda: screen.view_name == "pods")
        assert screen.view_title.strip() == f"pods(all)[{ALL_PODS}]"


async def test_only_a_few_views_are_kept_and_the_others_stop_watching() -> None:
    async with dashboard() as (_app, pilot, screen, cluster):
        watchers = len(cluster.store._watchers)
        for alias, view in (("dp", "deployments"), ("rs", "replicasets"), ("no", "nodes"), ("ns", "namespaces"),
                            ("ev", "events"), ("po", "pods")):
            await command(pilot, alias)
            await until(pilot, lambda view=view: screen.view_name == view)  # type: ignore[misc]
        await until(pilot, lambda: len(screen.query(TableView)) == 1 + KEPT_VIEWS)
        # The shown view and each kept one hold a watch; those of the views let go are closed.
        assert len(cluster.store._watchers) == watchers + KEPT_VIEWS
        shown = [view for view in screen.query(TableView) if view.display]
        assert shown == [screen.view]


async def test_a_new_theme_repaints_views_that_were_kept() -> None:
    async with dashboard() as (_app, pilot, screen, _cluster):
        await until(pilot, lambda: table(screen).row_count == ALL_PODS)
        old_skin = screen.skin
        await command(pilot, "dp")
        await until(pilot, lambda: screen.view_name == "deployments")
        await pilot.press("ctrl+t")
        await until(pilot, lambda: screen.skin is not old_skin)
        await command(pilot, "po")
        await until(pilot, lambda: screen.view_name == "pods" and table(screen).row_count == ALL_PODS)
        assert table(screen).skin is screen.skin
        assert len(screen.query(TableView)) <= 2


# --- -c: the first view (k9s's --command) ------------------------------------------------------------------------


async def test_dash_c_opens_the_named_view_first_and_the_namespace_with_it() -> None:
    async with dashboard(command="deploy") as (_app, pilot, screen, _cluster):
        assert screen.view_name == "deployments"
        await until(pilot, lambda: screen.view_title.strip() == f"deployments(all)[{ALL_DEPLOYMENTS}]")
    async with dashboard(command="po shop") as (_app, pilot, screen, _cluster):
        await until(pilot, lambda: screen.view_title.strip() == "pods(shop)[6]")
        assert screen.namespace == "shop"  # what 0-9 and the next commands start from


async def test_dash_c_with_a_bad_command_says_why_and_opens_the_pods() -> None:
    for typed, why in (("deploymints", '-c deploymints: unknown resource "deploymints"'),
                         ("speed 2", "-c speed 2: not a view (try -c deploy, or -c 'po shop')")):
        async with dashboard(command=typed) as (_app, pilot, screen, _cluster):
            assert screen.view_name == "pods"
            await until(pilot, lambda why=why: screen.flash_line.message == why)  # type: ignore[misc]
            assert screen.flash_line.level == "error"


def test_dash_c_is_on_the_command_line() -> None:
    from k9py.cli import build_dashboard_parser

    parser = build_dashboard_parser()
    assert parser.parse_args(["-c", "deploy", "here"]).command == "deploy"
    assert parser.parse_args(["--command", "po shop"]).command == "po shop"
    assert parser.parse_args([]).command == ""
