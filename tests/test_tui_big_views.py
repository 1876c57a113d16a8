"""A view over many objects fills in over a few frames, so the keys stay live, and ends up exactly as a view
built in one go would be: every row, in order, columns wide enough, the cursor where the user left it."""

from __future__ import annotations

from textual.app import App, ComposeResult
from tui_support import command, dashboard, filter_by, table, until

from k9py.theme import load_theme
from k9py.views.table import FIRST_LOAD_ROWS
from k9py.widgets.table import ResourceTable, TableRow

COUNT = 1500
ROOT_CA = 5  # the kube-root-ca.crt ConfigMap of each built-in namespace (ingress-nginx's included)
KUBE_PROXY = 1  # kube-system's kube-proxy ConfigMap (engine/addons.py)
COREDNS = 2  # kube-system's coredns ConfigMap (engine/addons_coredns.py), ingress-nginx's (addons_ingress.py)


def config_map(i: int, name: str = "") -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name or f"settings-{i:04d}", "namespace": "default"}, "data": {"k": "v"}}


async def test_a_big_view_fills_in_over_frames_in_order_with_the_cursor_on_top() -> None:
    async with dashboard([]) as (app, pilot, screen, cluster):
        long_name = "settings-with-a-name-longer-than-all-the-others"
        # Shuffled, so rows arrive out of order; the long name last, so the widths must grow as rows come in.
        await cluster.apply([config_map(i) for i in range(COUNT - 1, -1, -2)] +
                            [config_map(i) for i in range(0, COUNT, 2)] + [config_map(0, long_name)])
        painted: list[int] = []  # the configmaps table's row count at each frame sent to the terminal
        display = app._display

        def counting_display(*args: object) -> None:
            display(*args)  # type: ignore[arg-type]
            if screen.view is not None and table(screen).kind.plural == "configmaps":
                painted.append(table(screen).row_count)

        app._display = counting_display  # type: ignore[method-assign]
        await command(pilot, "cm")
        await until(pilot, lambda: table(screen).row_count == COUNT + 1 + ROOT_CA + KUBE_PROXY + COREDNS)
        assert painted[0] == FIRST_LOAD_ROWS  # the first frame shows a screenful, not everything
        await pilot.pause()
        assert painted[-1] == COUNT + 1 + ROOT_CA + KUBE_PROXY + COREDNS  # then the rest, over the next frames
        # Sorted by namespace, then name: the built-in namespaces' ConfigMaps come after default's rows.
        names = table(screen).visible_names()
        assert names == ["kube-root-ca.crt", *sorted(names[1:-7]), "ingress-nginx-controller", "kube-root-ca.crt",
                         "kube-root-ca.crt", "kube-root-ca.crt", "coredns", "kube-proxy", "kube-root-ca.crt"]
        assert table(screen).table.cursor_row == 0
        assert screen.view_title.strip() == f"configmaps(all)[{COUNT + 1 + ROOT_CA + KUBE_PROXY + COREDNS}]"
        grid = table(screen).table
        assert grid.widths[grid.labels.index("NAME")] >= len(long_name)


class TableApp(App[None]):
    """The table alone, in the default skin's colours (its CSS uses the skin's variables)."""

    def __init__(self) -> None:
        super().__init__()
        theme = load_theme("default").textual_theme()
        self.register_theme(theme)
        self.theme = theme.name

    def compose(self) -> ComposeResult:
        self.grid = ResourceTable()
        yield self.grid


def rows(*names: str) -> list[TableRow]:
    return [TableRow(name, (name, "Running"), "white", name) for name in names]


async def test_added_rows_merge_into_the_order_and_a_moved_cursor_keeps_its_row() -> None:
    app = TableApp()
    async with app.run_test(size=(60, 12)) as pilot:
        grid = app.grid
        grid.set_columns(["NAME", "STATUS"])
        grid.add_rows(rows("delta", "bravo"))
        assert grid.row_keys() == ["bravo", "delta"]
        grid.add_rows(rows("echo", "alpha", "charlie"))
        assert grid.row_keys() == ["alpha", "bravo", "charlie", "delta", "echo"]
        assert grid.selected_key() == "alpha"  # the cursor stays on top while nobody moved it
        grid.move("down")
        grid.move("down")
        assert grid.selected_key() == "charlie"
        grid.add_rows(rows("aardvark", "a-very-long-name-indeed"))
        assert grid.selected_key() == "charlie"  # rows came in above it: the cursor went with its row
        assert grid.widths[0] >= len("a-very-long-name-indeed")
        grid.set_sort(None, True)
        grid.replace_rows(rows(*grid.row_keys()))
        grid.add_rows(rows("zulu"))
        assert grid.row_keys()[0] == "zulu"  # a reversed table shows the added row in its reversed place
        await pilot.pause()


async def test_rows_taken_out_together_leave_the_cursor_on_its_row_or_the_next_row_left() -> None:
    """ResourceTable.remove_rows (a filter letter dropping a few rows): rows above the cursor go, it stays on its
    row; its own row goes, the next row left in display order takes its place, reversed or not; the columns fit
    the rows left only when asked (a watch's deletions leave them)."""
    app = TableApp()
    async with app.run_test(size=(60, 12)) as pilot:
        grid = app.grid
        grid.set_columns(["NAME", "STATUS"])
        grid.replace_rows(rows("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "long-name-of-a-pod"))
        grid.move_cursor(row=grid.row_keys().index("delta"))
        grid.remove_rows(["alpha"])
        assert grid.selected_key() == "delta"
        grid.remove_rows(["bravo", "delta"])  # a row above and the cursor's own: the next row left, not its index
        assert grid.selected_key() == "echo"
        grid.remove_rows(["long-name-of-a-pod"])
        assert grid.widths[0] >= len("long-name-of-a-pod")  # not fitted: as deleted pods leave them
        grid.replace_rows(rows("echo", "foxtrot", "golf", "long-name-of-a-pod"))
        grid.move_cursor(row=grid.row_keys().index("foxtrot"))
        grid.remove_rows(["golf", "foxtrot", "long-name-of-a-pod"], fit=True)
        assert grid.row_keys() == ["echo"] and grid.selected_key() == "echo"  # none after it: the last row
        assert grid.widths[0] == len("NAME") + 1  # fitted: the label (and its sort arrow) is the widest now
        grid.set_sort(None, True)
        grid.replace_rows(rows("alpha", "bravo", "charlie", "delta"))
        assert grid.row_keys() == ["delta", "charlie", "bravo", "alpha"]
        grid.move_cursor(row=1)
        grid.remove_rows(["charlie", "bravo"])
        assert grid.selected_key() == "alpha"  # the next row down the reversed display
        await pilot.pause()


async def test_hundreds_of_objects_arriving_at_once_join_the_rows_in_order_under_the_filter() -> None:
    """A real cluster's list comes in pages of 500 (k9py/kube_informer.py), and a big apply creates hundreds of
    objects in one frame: the new rows merge into the order the table shows, the filter holds for them, and the
    row under the cursor stays under it."""
    async with dashboard([]) as (_app, pilot, screen, cluster):
        await cluster.apply([config_map(i) for i in range(0, 400, 2)])  # settings-0000, -0002, ...
        await command(pilot, "cm default")
        await until(pilot, lambda: table(screen).row_count == 200 + 1)  # and kube-root-ca.crt
        await filter_by(pilot, "settings-01")
        assert table(screen).visible_names() == [f"settings-{i:04d}" for i in range(100, 200, 2)]
        for _ in range(3):
            await pilot.press("j")
        selected = table(screen).visible_names()[3]
        await cluster.apply([config_map(i) for i in range(1, 400, 2)])  # 200 new ones, between the others
        await until(pilot, lambda: table(screen).row_count == 100)
        assert table(screen).visible_names() == [f"settings-{i:04d}" for i in range(100, 200)]
        cursor = table(screen).table
        assert table(screen).visible_names()[cursor.cursor_row] == selected
        assert screen.view_title.strip() == "configmaps(default)[100] </settings-01>"
