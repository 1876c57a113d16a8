"""`:xray` (k9s's xray): ownership as a live tree; enter on a container opens its logs, on anything else its
describe; a bad command says how to use it."""

from __future__ import annotations

from tui_support import command, dashboard, until

from k9py.views.xray import XrayView


def xray_view(screen) -> XrayView:  # type: ignore[no-untyped-def]
    assert isinstance(screen.view, XrayView)
    return screen.view


def cells(screen) -> list[str]:  # type: ignore[no-untyped-def]
    view = xray_view(screen)
    return [view.table.row(key).cells[0] for key in view.table.row_keys()]  # type: ignore[union-attr]


async def test_xray_shows_the_tree_and_opens_what_is_under_the_cursor() -> None:
    async with dashboard() as (_app, pilot, screen, _cluster):
        await command(pilot, "xray deploy shop")
        await until(pilot, lambda: isinstance(screen.view, XrayView) and any(
            c.startswith("      └─ container nginx") for c in cells(screen)), timeout=8)
        lines = cells(screen)
        assert lines[0] == "deployment cart" and "deployment frontend" in lines
        assert any(line.startswith("└─ replicaset frontend-") for line in lines)
        assert screen.view_title.startswith(" xray-deployments(shop)[")
        # Down to the first container of cart (cart → rs → pod → migrate), enter: its logs.
        first_container = next(i for i, line in enumerate(lines) if "container " in line)
        for _ in range(first_container):
            await pilot.press("j")
        await pilot.press("enter")
        await until(pilot, lambda: screen.view_name == "logs")
        await pilot.press("escape")
        await until(pilot, lambda: screen.view_name == "xray")
        await pilot.press("g", "d")
        await until(pilot, lambda: screen.view_name == "describe" and "cart" in screen.view_title)


async def test_a_bad_xray_command_says_how_to_use_it() -> None:
    async with dashboard() as (_app, pilot, screen, _cluster):
        await command(pilot, "xray cm")
        await until(pilot, lambda: "xray starts from deployments, replicasets, pods or services"
                    in screen.flash_line.message)
        await command(pilot, "xray")
        await until(pilot, lambda: screen.flash_line.message.startswith("usage: xray deploy|rs|po|svc"))


async def test_xray_keys_move_filter_and_open() -> None:
    async with dashboard() as (_app, pilot, screen, _cluster):
        await command(pilot, "xray deploy shop")
        await until(pilot, lambda: isinstance(screen.view, XrayView) and len(cells(screen)) > 10, timeout=8)
        table = xray_view(screen).table
        count = len(cells(screen))
        await pilot.press("G")
        assert table.cursor_row == count - 1
        await pilot.press("k")
        assert table.cursor_row == count - 2
        await pilot.press("g", "j")
        assert table.cursor_row == 1
        await pilot.press("y")
        await until(pilot, lambda: screen.view_name == "yaml" and "replicaset" in screen.view_title.lower())
        await pilot.press("escape")
        await until(pilot, lambda: screen.view_name == "xray" and table.cursor_row == 1)
        await pilot.press("slash", *"redis", "enter")
        await until(pilot, lambda: all("redis" in line for line in cells(screen)) and "</redis>"
                    in screen.view_title)
        await pilot.press("escape")  # clears the filter
        await until(pilot, lambda: len(cells(screen)) == count)
