"""What every view offers the main screen: a name for the key table, a title, a filter, and its selection."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.dom import NoScreen
from textual.widget import Widget

from ..backend import Backend
from ..theme import Theme
from .spec import ViewSpec

Obj = dict[str, Any]


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
    """Mixed into a Textual widget; `view_name` picks the view's keys in `keys.KEYS`."""

    view_name = "generic"
    spec: ViewSpec
    backend: Backend
    skin: Theme
    border_title: Text | str | None  # the Textual widget's
    _title_plain = ""

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
        """Put the title on the frame if it reads differently now: views call this on every change, and a frame
        title that is set anew repaints the whole frame."""
        title = self.title()
        if title.plain != self._title_plain:
            self._title_plain = title.plain
            self.border_title = title

    @property
    def plain_title(self) -> str:
        """The frame's title as text (the main screen's tests and checks read it)."""
        return self._title_plain

    def set_filter(self, text: str) -> str | None:
        """Apply a `/` filter; returns an error message for a bad one (the filter then stays as it was)."""
        return f"{self.view_name} view cannot be filtered"

    @property
    def filter_text(self) -> str:
        return ""

    def selected(self) -> Obj | None:
        """The object under the cursor (or the one object a detail view shows)."""
        return None

    def move(self, how: str) -> str | None:
        """Cursor/scroll movement for j, k, g, G: "down", "up", "top", "bottom"; returns a note to flash, if any."""
        return None

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
