"""What a big view filling in sends the terminal: each frame the frame title's new row count, and the table's lines
only when the rows on screen change (they were painted again on every frame, a third of each frame of a 10,000-pod
view's first second)."""

from __future__ import annotations

import pytest
from textual._compositor import ChopsUpdate
from tui_support import command, dashboard, screen_lines, table, until

from k9py.views import table as table_module

COUNT = 1500
OTHERS = 8  # the built-in ConfigMaps (root CAs, kube-proxy, coredns, ingress-nginx): see test_tui_big_views


def config_map(i: int) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"settings-{i:04d}", "namespace": "default"},
            "data": {"k": "v"}}


async def test_a_filling_view_repaints_its_title_each_frame_and_its_rows_only_when_they_change(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(table_module, "LOAD_BUDGET_SECONDS", 1e-4)  # a slice of LOAD_STEP rows a frame
    async with dashboard([]) as (app, pilot, screen, cluster):
        await cluster.apply([config_map(i) for i in range(COUNT)])
        lines_sent: list[set[int]] = []  # the screen lines each partial update sent, while the view fills in
        display = app._display

        def recording(*args: object) -> None:
            display(*args)  # type: ignore[arg-type]
            update = args[1]
            if isinstance(update, ChopsUpdate) and screen.view is not None and \
                    table(screen).kind.plural == "configmaps":
                lines_sent.append({y for y, _, _ in update.spans})

        app._display = recording  # type: ignore[method-assign]
        await command(pilot, "cm")
        await until(pilot, lambda: table(screen).row_count == COUNT + OTHERS, timeout=20)
        await pilot.pause()
        app._display = display  # type: ignore[method-assign]

        lines = screen_lines(app)
        title_y = next(y for y, line in enumerate(lines) if "configmaps(all)[" in line)
        assert f"configmaps(all)[{COUNT + OTHERS}]" in lines[title_y]  # the last count, on screen
        first_rows = [line.strip("│ ").split()[:2] for line in lines[title_y + 2:title_y + 4]]
        assert first_rows == [["default", "kube-root-ca.crt"], ["default", "settings-0000"]]
        # Each slice's frame sends the title's new count; the rows on screen (default's first ones, in name order)
        # stay as the first slice painted them, so only the frame where the columns widened (kube-system's rows came
        # in) and the last one (their ages brought up to date) send them again. (The cursor's row, title_y + 2, is
        # set anew after each slice.)
        counting = [sent for sent in lines_sent[1:] if title_y in sent]
        assert len(counting) >= 5
        body = set(range(title_y + 3, title_y + 20))
        assert sum(1 for sent in counting if sent & body) <= 2
