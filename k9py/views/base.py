"""What every view offers the main screen: its keys and their handlers, a title, a filter, and its selection.

Every view class with a `view_name` of its own registers itself (`REGISTRY`, which `views.VIEWS` reads): a new view
is one new file under views/, its keys (`KEYS`) and their handlers (`do_<action>(host, key)`) in it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.content import Content
from textual.dom import NoScreen
from textual.geometry import Region
from textual.widget import Widget

from ..backend import Backend, KindRef
from ..keys import Key
from ..theme import Theme
from .spec import ViewSpec

if TYPE_CHECKING:
    from ..actions import Host
    from ..widgets.table import ResourceTable

Obj = dict[str, Any]

# j, k, g, G: every view moves through what it shows with these.
MOVE_KEYS: tuple[Key, ...] = (
    Key("j", "down", "Down", group="navigation", hint=False),
    Key("k", "up", "Up", group="navigation", hint=False),
    Key("g", "top", "Top", group="navigation", hint=False),
    Key("G", "bottom", "Bottom", group="navigation", hint=False),
)
# y and d on a view whose selection is an object (a row, or the deployment of the rollout panel).
OBJECT_KEYS: tuple[Key, ...] = (
    Key("y", "yaml", "YAML"),
    Key("d", "describe", "Describe"),
)
EDIT_KEY = Key("e", "edit", "Edit", destructive=True)  # the manifest file that declares the object

REGISTRY: dict[str, type[Widget]] = {}  # view name -> view class, filled in as the view modules are imported


def table_frame_css(name: str) -> str:
    """The rounded, titled frame of every table view; the focused one is highlighted, as in k9s."""
    return f"""
    {name} {{
        border: round $k9-border;
        border-title-align: center;
        background: $k9-table-bg;
        height: 1fr;
    }}
    {name}:focus-within {{
        border: round $k9-border-focus;
    }}
    """


def scroll(widget: Widget, how: str) -> None:
    """j, k, g, G on scrolling text: a line down or up, the top, the end."""
    moves = {"down": widget.scroll_down, "up": widget.scroll_up, "top": widget.scroll_home,
             "bottom": widget.scroll_end}
    moves[how](animate=False)


class ViewMixin:
    """Mixed into a Textual widget. `view_name` names the view in specs (`ViewSpec.view`); `KEYS` are the keys it
    answers besides the screen's (`keys.GLOBAL_KEYS`), each handled by its `do_<action>(host, key)`."""

    view_name = "generic"
    KEYS: ClassVar[tuple[Key, ...]] = MOVE_KEYS
    KEPT: ClassVar[bool] = False  # kept alive, hidden, for a quick way back (`hide`/`show`): the table views
    ONE_OBJECT: ClassVar[bool] = False  # a view of one object: its crumb names it (`yaml:web-1`)
    spec: ViewSpec
    backend: Backend
    skin: Theme
    border_title: Text | str | None  # the Textual widget's
    _title_plain = ""
    _cursor_found = False  # the cursor is back on the row its crumb remembers (`seek_cursor`), or never will be

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "view_name" in cls.__dict__:
            REGISTRY[cls.view_name] = cls  # type: ignore[assignment]

    @classmethod
    def crumb(cls, spec: ViewSpec) -> str:
        """What the crumbs line shows for a view of this class opened from `spec`."""
        if cls.ONE_OBJECT:
            return f"{spec.view}:{spec.name}" + (f":{spec.container}" if spec.container else "")
        return spec.view

    @property
    def display_name(self) -> str:
        """The view as the user knows it, in messages ("does nothing in the configmaps view")."""
        return self.view_name

    def focus_target(self) -> Widget:
        """The widget that takes the keys while this view is on screen."""
        return self  # type: ignore[return-value]

    def take_focus(self, widget: Widget) -> None:
        """Focus the view's main widget as it mounts or comes back, unless the user is already typing at the
        prompt (its keys belong there), or the view has left the screen meanwhile (nothing to focus then)."""
        if not self.is_attached:  # type: ignore[attr-defined]
            return
        try:
            screen = self.screen  # type: ignore[attr-defined]
        except NoScreen:
            return
        if not getattr(screen, "typing", False):
            widget.focus()

    def title(self) -> Text:
        raise NotImplementedError

    def update_title(self) -> None:
        """Put the title on the frame if it reads differently now: views call this on every change.

        Only the frame's top line is repainted: Textual's `border_title` repaints the whole frame, every line of the
        table in it included, and a 10,000-pod view filling in counts more rows in its title every frame."""
        title = self.title()
        if title.plain == self._title_plain:
            return
        self._title_plain = title.plain
        frame: Widget = self  # type: ignore[assignment]
        if not frame.is_mounted or not frame.size:
            frame.border_title = title
            return
        # As the border_title setter stores it (textual/widget.py _BorderTitle.__set__), without its refresh().
        frame._border_title = frame.render_str(Content.from_rich_text(title)).expand_tabs(4).split()[0]
        offset = frame.content_offset  # refresh() takes regions inside the border
        frame.refresh(Region(-offset.x, -offset.y, frame.outer_size.width, 1))

    @property
    def plain_title(self) -> str:
        """The frame's title as text (the main screen's tests and checks read it)."""
        return self._title_plain

    def set_filter(self, text: str) -> str | None:
        """Apply a `/` filter; returns an error message for a bad one (the filter then stays as it was)."""
        return f"{self.display_name} view cannot be filtered"

    @property
    def filter_text(self) -> str:
        return ""

    def selected(self) -> Obj | None:
        """The object under the cursor (or the one object a detail view shows)."""
        return None

    def move(self, how: str) -> str | None:
        """Cursor/scroll movement for j, k, g, G: "down", "up", "top", "bottom"; returns a note to flash, if any."""
        return None

    # --- the cursor's row, kept in the crumb ---------------------------------------------------------------

    def cursor_table(self) -> ResourceTable | None:
        """The table whose cursor is kept when the user drills in and comes back (None: the view has none)."""
        return None

    def cursor_key(self) -> str:
        """The row the cursor is on: what the crumb remembers (`ViewSpec.cursor`)."""
        table = self.cursor_table()
        return (table.selected_key() or "") if table is not None else ""

    def seek_cursor(self, last_try: bool = False) -> None:
        """Put the cursor back on the row the crumb remembers, once that row is listed. Views call this whenever
        rows arrive, with `last_try` once every row is in: a row still missing then is gone, and the cursor stays
        where the user puts it from now on."""
        if self._cursor_found:
            return
        table = self.cursor_table()
        if not self.spec.cursor or table is None:
            self._cursor_found = True
            return
        index = table.index_of(self.spec.cursor)
        if index is not None:
            table.move_cursor(row=index)
        if index is not None or last_try:
            self._cursor_found = True

    # --- keys every view answers ---------------------------------------------------------------------------

    def _move(self, host: Host, how: str) -> None:
        self._cursor_found = True  # the user moves it: no row remembered takes it away from here
        if note := self.move(how):
            host.flash(note)

    def do_down(self, host: Host, _: Key) -> None:
        self._move(host, "down")

    def do_up(self, host: Host, _: Key) -> None:
        self._move(host, "up")

    def do_top(self, host: Host, _: Key) -> None:
        self._move(host, "top")

    def do_bottom(self, host: Host, _: Key) -> None:
        self._move(host, "bottom")

    # --- y and d, for the views that declare OBJECT_KEYS ---------------------------------------------------

    kind: KindRef

    async def open_detail(self, host: Host, view: str) -> None:
        """`view` (yaml, describe, decode) of the selected object, on top of this view."""
        obj = self.selected()
        if obj is None:
            host.flash("nothing selected", "warn")
            return
        meta = obj["metadata"]
        await host.push(ViewSpec(view=view, kind=self.kind.kind, namespace=meta.get("namespace"), name=meta["name"]))

    async def do_yaml(self, host: Host, _: Key) -> None:
        await self.open_detail(host, "yaml")

    async def do_describe(self, host: Host, _: Key) -> None:
        await self.open_detail(host, "describe")

    def object_title(self, label: str, target: str, gone: str = "", tags: tuple[tuple[str, str], ...] = ()) -> Text:
        """` yaml(deployment/shop/web) `: a view of one object; `tags` are (text, style) shown after it, `gone`
        says why the object is no longer there."""
        skin = self.skin
        text = Text(" ")
        text.append(f"{label}(", style=f"bold {skin.title_fg}")
        text.append(target, style=f"bold {skin.title_highlight}")
        text.append(")", style=f"bold {skin.title_fg}")
        for tag, style in tags:
            text.append(tag, style=style)
        if gone:
            text.append(f" <{gone}>", style=f"bold {skin.error}")
        text.append(" ")
        return text

    def title_text(self, kind: str, namespace: str | None, count: int | None, extras: tuple[str, ...] = (),
                   namespaced: bool = True) -> Text:
        """` pods(shop)[12] </filter> `, coloured like k9s's frame title."""
        skin = self.skin
        text = Text(" ")
        text.append(kind, style=f"bold {skin.title_fg}")
        if namespaced:
            text.append("(", style=skin.title_fg)
            text.append(namespace or "all", style=f"bold {skin.title_highlight}")
            text.append(")", style=skin.title_fg)
        if count is not None:
            text.append("[", style=skin.title_fg)
            text.append(str(count), style=f"bold {skin.title_counter}")
            text.append("]", style=skin.title_fg)
        for extra in extras:
            if extra:
                text.append(" ")
                text.append(f"<{extra}>", style=f"bold {skin.title_filter}")
        text.append(" ")
        return text
