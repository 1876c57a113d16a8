"""ctrl-a (`:aliases`): every resource `:` can open and the names it answers to, as k9s lists them; enter opens one."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from ..backend import Backend
from ..keys import Key
from .base import MOVE_KEYS, table_frame_css
from .listed import ListedView
from .port_forwards import PortForwardsView

if TYPE_CHECKING:
    from ..actions import Host

COLUMNS = ("RESOURCE", "COMMAND", "KIND", "NAMESPACED")


def alias_rows(backend: Backend, extra: dict[str, str], sources: tuple[str, ...]) -> list[tuple[str, list[str]]]:
    """(the command enter runs, cells) per resource, by name; `extra` maps k9s aliases to the plural they open."""
    rows = []
    for kind in backend.kinds():
        names = [*kind.names, *(alias for alias, plural in extra.items() if plural == kind.plural)]
        shortest = sorted(dict.fromkeys(names), key=lambda n: (len(n), n))
        rows.append((kind.plural, [kind.plural, ",".join(shortest), kind.kind, str(kind.namespaced).lower()]))
    rows.append((sources[0], [sources[0], ",".join(sorted(sources, key=len)), "(watched folders)", "false"]))
    forwards = PortForwardsView.COMMANDS  # k9s lists its port-forwards view among the resources too
    rows.append((forwards[-1], [forwards[-1], ",".join(sorted(forwards, key=len)), "(port-forwards)", "false"]))
    return sorted(rows)


class AliasesView(ListedView):
    DEFAULT_CSS = table_frame_css("AliasesView")

    view_name = "aliases"
    KEYS: ClassVar[tuple[Key, ...]] = (*MOVE_KEYS, Key("enter", "enter", "View", group="navigation"))
    NO_LABELS = "aliases have no labels: filter by text instead"

    def on_mount(self) -> None:
        self.table.set_columns(COLUMNS)
        self.show_rows()
        self.take_focus(self.table)

    def show_rows(self) -> None:
        from .commands import ALIASES, SOURCES  # the command line's own tables (commands imports the views)

        colour = self.skin.status("normal")
        self.table.show_list((command, cells, colour) for command, cells in alias_rows(self.backend, ALIASES, SOURCES)
                             if self.passes(cells))
        self.seek_cursor(last_try=True)
        self.update_title()

    def selected_command(self) -> str | None:
        """What enter types after `:` for the row under the cursor."""
        return self.table.selected_key()

    async def do_enter(self, host: Host, _: Key) -> None:
        command = self.selected_command()
        if command is not None:
            await host.run_command(command)  # as if typed after `:`, in the current namespace
