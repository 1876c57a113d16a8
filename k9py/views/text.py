"""A scrollable text view of one object that follows it live (YAML and describe build on this)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from ..backend import Backend
from ..keys import Key
from ..theme import Theme
from .base import MOVE_KEYS, ViewMixin, scroll
from .spec import ViewSpec

if TYPE_CHECKING:
    from ..actions import Host

Obj = dict[str, Any]
REFRESH_SECONDS = 1.0
_KEY = re.compile(r"^(\s*(?:- )?)([^\s:][^:]*?)(:)(?=\s|$)")


def colour_keys(body: str, skin: Theme) -> Text:
    """Colour `key:` prefixes (YAML keys, describe labels) in the theme's YAML colours."""
    text = Text()
    for line in body.splitlines():
        match = _KEY.match(line)
        if match:
            text.append(match.group(1))
            text.append(match.group(2), style=skin.yaml_key)
            text.append(":", style=skin.yaml_colon)
            text.append(line[match.end():], style=skin.yaml_value)
        else:
            text.append(line, style=skin.yaml_value)
        text.append("\n")
    text.rstrip()
    return text


class TextView(ViewMixin, VerticalScroll):
    DEFAULT_CSS = """
    TextView {
        border: round $k9-border-focus;
        border-title-align: center;
        background: $k9-body-bg;
        height: 1fr;
        padding: 0 1;
    }
    TextView > Static {
        width: auto;
    }
    TextView.wrap > Static {
        width: 1fr;
    }
    """
    can_focus = True
    label = "text"
    KEYS: ClassVar[tuple[Key, ...]] = (*MOVE_KEYS, Key("w", "wrap", "Wrap"))
    ONE_OBJECT = True

    def __init__(self, spec: ViewSpec, backend: Backend, skin: Theme) -> None:
        super().__init__()
        self.spec, self.backend, self.skin = spec, backend, skin
        self.kind = backend.resolve(spec.kind)
        self.body = Static(id="text-body")
        self.content = ""
        self.gone = False
        self.wrap = False

    def compose(self) -> ComposeResult:
        yield self.body

    def on_mount(self) -> None:
        self.update_title()
        self._refresh_body()
        self.set_interval(REFRESH_SECONDS, self._refresh_body)
        self.take_focus(self)

    def render_body(self) -> str | None:
        """The text to show, or None when the object is gone."""
        raise NotImplementedError

    def _refresh_body(self) -> None:
        body = self.render_body()
        if body is None:
            if not self.gone:
                self.gone = True
                self.update_title()
            return
        if body != self.content:
            self.content = body
            self._paint()

    def _paint(self) -> None:
        text = colour_keys(self.content, self.skin)
        text.no_wrap = not self.wrap
        self.body.update(text)

    def toggle_wrap(self) -> bool:
        self.wrap = not self.wrap
        self.set_class(self.wrap, "wrap")
        self._paint()
        return self.wrap

    def title(self) -> Text:
        namespace = self.spec.namespace if self.kind.namespaced else None
        target = f"{namespace}/{self.spec.name}" if namespace else self.spec.name
        return self.object_title(self.label, f"{self.kind.singular}/{target}", "deleted" if self.gone else "")

    def selected(self) -> Obj | None:
        return self.backend.get(self.kind, self.spec.name, self.spec.namespace)

    def move(self, how: str) -> None:
        scroll(self, how)

    def do_wrap(self, host: Host, _: Key) -> None:
        host.flash(f"wrap {'on' if self.toggle_wrap() else 'off'}")
