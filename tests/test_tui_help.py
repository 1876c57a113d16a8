"""The `?` help: generated from the view's keys and the screen's, in columns sized to their content that fit the
terminal; a description is never cut (the help used to end in "Pause/Re…" at 120 columns)."""

from __future__ import annotations

import re

import pytest
from textual.app import App
from tui_support import command, dashboard, screen_lines, until

from k9py import keys
from k9py.theme import load_theme
from k9py.views import VIEWS as ALL_VIEWS
from k9py.widgets.help import HelpScreen, column_width, help_groups, help_text

VIEWS = {"pods": "", "deployments": "deploy", "nodes": "no", "sources": "src"}


def listed(view: str) -> list[keys.Key]:
    return [k for k in keys.keys_for(ALL_VIEWS[view].KEYS) if k.listed]  # type: ignore[attr-defined]


def cut_or_missing(lines: list[str], view: str) -> list[str]:
    """Every listed key of `view` whose `<key> description` is not on one of `lines` in full."""
    text = "\n".join(lines)
    return [f"<{k.label}> {k.description}" for k in listed(view)
            if not re.search(re.escape(f"<{k.label}>") + " +" + re.escape(k.description) + r"(?=\s|│|$)", text,
                             re.MULTILINE)]


def help_lines(app: App[None]) -> list[str]:
    """What the help box shows, border included, cut out of the screen (the hint bar under it names keys too)."""
    lines = screen_lines(app)
    top = next(i for i, line in enumerate(lines) if "Help(" in line)
    left, right = lines[top].index("╭"), lines[top].index("╮")
    bottom = next(i for i in range(top, len(lines)) if lines[i][left] == "╰")
    return [line[left:right + 1] for line in lines[top:bottom + 1]]


@pytest.mark.parametrize("size", [(80, 24), (120, 32)])
async def test_every_description_is_on_screen_in_full(size: tuple[int, int]) -> None:
    async with dashboard(size=size) as (app, pilot, screen, _cluster):
        for view, alias in VIEWS.items():
            if alias:
                await command(pilot, alias)
                await until(pilot, lambda view=view: screen.view_name == view)
            await pilot.press("question_mark")
            await until(pilot, lambda: isinstance(app.screen, HelpScreen))
            await pilot.pause()
            lines = help_lines(app)
            assert f"Help({view})" in lines[0]
            assert cut_or_missing(lines, view) == [], "\n".join(lines)
            assert not any("…" in line for line in lines)
            await pilot.press("escape")
            await until(pilot, lambda: not isinstance(app.screen, HelpScreen))


async def test_the_help_lays_itself_out_again_when_the_terminal_is_resized() -> None:
    async with dashboard(size=(160, 48)) as (app, pilot, _screen, _cluster):
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause()
        titles = next(line for line in help_lines(app) if "GENERAL" in line)
        assert all(title in titles for title in ("NAVIGATION", "RESOURCE", "CLOCK"))  # all four side by side
        await pilot.resize_terminal(80, 24)
        await until(pilot, lambda: app.size == (80, 24))
        await pilot.pause()
        lines = help_lines(app)
        assert cut_or_missing(lines, "pods") == [], "\n".join(lines)
        titles = next(line for line in lines if "GENERAL" in line)
        assert "NAVIGATION" not in titles  # stacked under GENERAL now


@pytest.mark.parametrize("view", sorted(ALL_VIEWS))
def test_help_text_fits_any_width_and_keeps_every_character(view: str) -> None:
    skin = load_theme("default")
    widest_group = max(column_width([group]) for group in help_groups(listed(view)))
    for width in (20, 30, 40, 50, 71, 111, 151):
        lines = help_text(listed(view), width, skin).plain.splitlines()
        assert max(len(line) for line in lines) <= width
        if widest_group <= width:  # every group at its natural width: every row whole on its line
            assert cut_or_missing(lines, view) == []
        else:  # one column, descriptions wrapped under themselves: every character still there, in order
            compact = "".join("".join(lines).split())
            for k in listed(view):
                assert "".join(f"<{k.label}>{k.description}".split()) in compact
