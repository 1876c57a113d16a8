"""The `/` filter's first letter matches only the rows on screen, in their order (views/table.py set_filter): the
rows it keeps stay in the order the user sorted by, and the cursor stays on its row."""

from __future__ import annotations

from tui_support import ALL_PODS, dashboard, screen_lines, table, until


async def test_a_filter_keeps_the_sorted_order_and_the_cursor_row() -> None:
    async with dashboard() as (_app, pilot, screen, _cluster):
        view = table(screen)
        await until(pilot, lambda: view.row_count == ALL_PODS)
        await pilot.press("N", "N")  # by name, then Z to A
        await until(pilot, lambda: view.sort_by == "NAME" and view.sort_descending)
        names = view.visible_names()
        assert names == sorted(names, reverse=True)
        frontend = [n for n in names if n.startswith("frontend-")]
        assert len(frontend) == 3
        await pilot.press("g", *["j"] * names.index(frontend[1]))  # the sort kept the cursor on its row: from the top
        assert view.selected()["metadata"]["name"] == frontend[1]

        await pilot.press("slash", "f")  # the first letter: every row was shown, so it narrows what is shown
        await until(pilot, lambda: view.filter_text == "f")
        shown = view.visible_names()
        assert set(frontend) <= set(shown) and len(shown) < len(names)
        assert shown == [n for n in names if n in set(shown)]  # still Z to A
        assert view.selected()["metadata"]["name"] == frontend[1]

        await pilot.press("r", "o")
        await until(pilot, lambda: view.filter_text == "fro")
        assert view.visible_names() == frontend
        assert view.selected()["metadata"]["name"] == frontend[1]

        await pilot.press("escape")  # cleared: every row again, in the sorted order
        await until(pilot, lambda: view.row_count == ALL_PODS)
        assert view.visible_names() == names
        assert view.selected()["metadata"]["name"] == frontend[1]


async def test_a_filter_on_a_table_scrolled_to_its_end_shows_the_rows_it_keeps() -> None:
    """The table's scrollable size follows its rows without a layout of the screen (widgets/table.py _resize):
    scrolled to the last of more rows than fit, a filter keeping three brings the scroll back, not blank lines."""
    async with dashboard(size=(100, 16)) as (app, pilot, screen, _cluster):
        view = table(screen)
        await until(pilot, lambda: view.row_count == ALL_PODS)
        await pilot.press("G")
        await until(pilot, lambda: view.table.scroll_y > 0)
        await pilot.press("slash", *"fro", "enter")
        await until(pilot, lambda: view.row_count == 3)
        await pilot.pause()
        assert view.table.scroll_y == 0
        shown = [line for line in screen_lines(app) if "frontend-" in line]
        assert len(shown) == 3


async def test_every_sort_keeps_the_cursor_on_its_row() -> None:
    """shift-a sorts youngest first (the order flips), shift-s by status, shift-n by name, again to flip: the
    cursor stays on the pod it was on, wherever that pod lands."""
    async with dashboard() as (_app, pilot, screen, _cluster):
        view = table(screen)
        await until(pilot, lambda: view.row_count == ALL_PODS)
        await pilot.press(*["j"] * 5)
        chosen = view.selected()["metadata"]["name"]
        for key, column, descending in [("A", "AGE", True), ("S", "STATUS", False), ("A", "AGE", True),
                                        ("A", "AGE", False), ("N", "NAME", False), ("N", "NAME", True)]:
            await pilot.press(key)
            await until(pilot, lambda c=column, d=descending: (view.sort_by, view.sort_descending) == (c, d))
            assert view.selected()["metadata"]["name"] == chosen, key
            assert view.visible_names()[view.table.cursor_row] == chosen, key
