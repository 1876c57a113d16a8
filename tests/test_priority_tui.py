"""The dashboard's generic view serves PriorityClasses: `:pc` (kubectl's short name) and `:priorityclasses` open a
table with printPriorityClass's columns, the two system classes included."""

from __future__ import annotations

from pathlib import Path

from tui_support import command, dashboard, table, until


async def test_priority_classes_open_by_short_and_plural_name(tmp_path: Path) -> None:
    (tmp_path / "pc.yaml").write_text(
        "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata:\n  name: batch\nvalue: 100\n"
        "preemptionPolicy: Never\n")
    async with dashboard([tmp_path], speed=60.0) as (_app, pilot, screen, _cluster):
        await command(pilot, "pc")
        await until(pilot, lambda: table(screen).kind.kind == "PriorityClass" and table(screen).row_count == 3)
        assert table(screen).visible_names() == ["batch", "system-cluster-critical", "system-node-critical"]
        await command(pilot, "priorityclasses")
        await until(pilot, lambda: table(screen).kind.kind == "PriorityClass" and table(screen).row_count == 3)
