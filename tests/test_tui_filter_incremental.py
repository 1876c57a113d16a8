"""A filter typed letter by letter narrows the table in place (views/table.py `_narrow`): the few rows a letter
drops are taken out one by one, more than NARROW_REMOVALS refill the table. Whatever the path, what the user sees
is what refilling the table from scratch shows: the same rows, in the same order, the cursor on the same row, and
columns never narrower than the cells they hold."""

from __future__ import annotations

import random

import pytest
from textual.pilot import Pilot
from tui_support import ALL_PODS, dashboard, table, until

from k9py.views import table as table_module
from k9py.views.table import TableView

KEY_NAMES = {"-": "minus", ".": "full_stop"}


def rows_matching(view: TableView, text: str) -> set[str]:
    """Every row whose text holds `text`, case aside (the filter's plain-word meaning), from the model."""
    return {state.ref or state.obj["metadata"]["name"] for state in view._rows.values()
            if text.lower() in " ".join(state.cells).lower()}


async def typed_and_checked(pilot: Pilot[None], view: TableView, key: str) -> None:
    await pilot.press(key)
    names, widths, selected = view.visible_names(), list(view.table.widths), view.table.selected_key()
    if view.filter_text:
        assert set(names) == rows_matching(view, view.filter_text), view.filter_text
    view._rebuild()  # from scratch: every row matched again, sorted and measured
    assert (view.visible_names(), view.table.selected_key()) == (names, selected), view.filter_text
    # Columns grow as cells do (an age going from 59s to 2m24s) and fit again when rows are taken out or the table
    # refilled: never narrower than the cells they hold.
    assert all(fit <= width for fit, width in zip(view.table.widths, widths, strict=True)), view.filter_text


@pytest.mark.parametrize("removals", [0, 3, 500])
async def test_a_filter_typed_letter_by_letter_shows_what_a_refill_shows(monkeypatch: pytest.MonkeyPatch,
                                                                         removals: int) -> None:
    monkeypatch.setattr(table_module, "NARROW_REMOVALS", removals)
    rng = random.Random(removals)
    async with dashboard() as (_app, pilot, screen, _cluster):
        view = table(screen)
        await until(pilot, lambda: view.row_count == ALL_PODS)
        names = view.visible_names()
        for round_ in range(8):
            if round_ % 3 == 1:
                await pilot.press("N")  # by name, then the other way: narrowing keeps whichever order is shown
            await pilot.press("g", *["j"] * rng.randrange(len(names)))
            word = rng.choice(names)
            start = rng.choice([i for i, c in enumerate(word[:-1]) if c.isalnum()])  # "-f…" would be fuzzy
            typed = word[start:start + rng.randint(2, 7)]
            await pilot.press("slash")
            for character in typed:
                await typed_and_checked(pilot, view, KEY_NAMES.get(character, character))
            await typed_and_checked(pilot, view, "backspace")  # wider again: matched anew, not narrowed
            await pilot.press("enter")
            await typed_and_checked(pilot, view, "escape")
            assert view.row_count == ALL_PODS
