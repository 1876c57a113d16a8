"""Modal dialogs: confirm a destructive action, ask for a replica count, pick drain options.

The confirm and drain dialogs focus Cancel: a stray enter must never kill anything (k9s #782); `n`/esc cancel.
As the dashboard opens them (k9py/actions.py's `Confirm` and `Drain`) they answer to their buttons only, as k9s's
do: a `y` typed just after the YAML key must not delete anything.

Keys do not reach a dialog through Textual's focus routing, where each widget works through its own queue (a
character is typed in the field's queue while a backspace bubbles up to the app's bindings, so `6 7 BSpace 8`
typed fast gave 67) and where keys typed in one burst with the key that opens the dialog land before anything in
it has focus. The app hands the dialog every key, as it reads it (`Dialog.feed`), and the dialog applies each at
once, in arrival order: to its own keys (y, n, esc...), else to the focused field or button. Keys fed before it
has focused its widget wait, and are applied then; keys fed after it has answered are dropped (`s enter enter`:
the second enter has nothing left to do), and so is a second answer: a dialog dismisses itself once only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label

ResultT = TypeVar("ResultT")

DIALOG_CSS = """
{name} {{
    align: center middle;
    background: $background 50%;
}}
{name} > Vertical {{
    width: 64;
    height: auto;
    border: round $k9-dialog-fg;
    background: $k9-dialog-bg;
    color: $k9-dialog-fg;
    padding: 1 2;
}}
{name} .title {{
    color: $k9-dialog-label;
    text-style: bold;
    width: 100%;
    content-align: center middle;
    margin-bottom: 1;
}}
{name} .message {{
    width: 100%;
    margin-bottom: 1;
}}
{name} .error {{
    color: $k9-error;
    height: auto;
}}
{name} Horizontal {{
    height: auto;
    align: center middle;
}}
{name} Button {{
    margin: 0 2;
    min-width: 12;
    background: $k9-button-bg;
    color: $k9-button-fg;
    border: none;
    border-top: none;
    border-bottom: none;
    height: 1;
    text-style: none;
}}
{name} Button:focus {{
    background: $k9-button-focus-bg;
    color: $k9-button-focus-fg;
    text-style: bold;
}}
{name} Input {{
    border: round $k9-dialog-fg;
    background: $k9-dialog-bg;
    color: $k9-dialog-field;
    margin-bottom: 1;
}}
{name} Checkbox {{
    background: $k9-dialog-bg;
    color: $k9-dialog-field;
    border: none;
    padding: 0;
    height: 1;
    width: 100%;
}}
{name} Checkbox:focus {{
    background: $k9-button-focus-bg;
    color: $k9-button-focus-fg;
}}
{name} .options {{
    height: auto;
    margin-bottom: 1;
}}
"""

# A dialog's labelled input rows (`.field`: a Label, then an Input `input_width` wide).
FIELD_ROWS_CSS = """
{name} .field {{
    height: 3;
    align: left middle;
}}
{name} .field Label {{
    width: 16;
    padding: 1 0 0 0;
}}
{name} .field Input {{
    width: {input_width};
    margin-bottom: 0;
}}
"""


class Dialog(ModalScreen[ResultT]):
    """A modal that applies the keys the app feeds it, in order: its `KEYS` first, then the focused widget."""

    AUTO_FOCUS: ClassVar[str | None] = None  # each dialog picks its own widget (`take_focus`), Cancel for most
    KEYS: ClassVar[dict[str, str]] = {}  # key -> the name of a method that takes no argument (y -> "yes")

    def __init__(self) -> None:
        super().__init__()
        self._early_keys: list[tuple[str, str | None]] = []
        self._ready = False
        self._answered = False

    @property
    def ready(self) -> bool:
        """Whether the dialog has focused its widget, so keys fed to it now are applied at once."""
        return self._ready

    @property
    def answered(self) -> bool:
        """Whether the dialog has dismissed itself: it takes no more keys, and gives no second answer."""
        return self._answered

    def feed(self, key: str, character: str | None) -> None:
        """A key typed while this dialog is on top (or in the burst that opened it), in arrival order."""
        if self._answered:
            self._give_back([(key, character)])
        elif not self._ready:
            self._early_keys.append((key, character))
        else:
            self.apply_key(key, character)

    def take_focus(self, widget: Widget) -> None:
        """Focus `widget` now (not at the next idle, as Widget.focus would) and apply the early keys to it."""
        self.set_focus(widget)
        self._ready = True
        early, self._early_keys = self._early_keys, []
        for index, (key, character) in enumerate(early):
            if self._answered:
                self._give_back(early[index:])
                break
            self.apply_key(key, character)

    def _give_back(self, keys: list[tuple[str, str | None]]) -> None:
        """Keys typed after the answer: the app's, for what is on screen now (an app that cannot take them back
        drops them)."""
        take_back = getattr(self.app, "take_back_keys", None)
        if take_back is not None:
            take_back(keys)

    def apply_key(self, key: str, character: str | None) -> None:
        """What a key does, now: the dialog's own key, else the focused widget's (a field types, a button presses,
        a checkbox toggles; tab and the arrows move between them)."""
        if (method := self.KEYS.get(key)) is not None:
            getattr(self, method)()
            return
        focused = self.focused
        if isinstance(focused, Input) and self._edit(focused, key, character):
            return
        if key in ("tab", "down", "right"):
            self.focus_next()
        elif key in ("shift+tab", "up", "left"):
            self.focus_previous()
        elif key in ("enter", "space"):
            if isinstance(focused, Checkbox):
                focused.toggle()
            elif isinstance(focused, Button):
                self.pressed(focused.id or "")
            elif isinstance(focused, Input) and key == "enter":
                self.submit()

    def _edit(self, field: Input, key: str, character: str | None) -> bool:
        """Type `key` into `field` as Textual's Input would, but now; False for keys a field has no use for."""
        edits = {"backspace": field.action_delete_left, "delete": field.action_delete_right,
                 "left": field.action_cursor_left, "right": field.action_cursor_right, "home": field.action_home,
                 "end": field.action_end, "enter": self.submit}
        if (edit := edits.get(key)) is not None:
            edit()
        elif character is not None and len(character) == 1 and character.isprintable():
            selection = field.selection
            if selection.is_empty:
                field.insert_text_at_cursor(character)
            else:
                field.replace(character, *selection)  # typing replaces a selection, as in Textual's Input
        else:
            return False
        return True

    def submit(self) -> None:
        """enter in a field (dialogs with a field override this)."""

    def pressed(self, button: str) -> None:
        """A button pressed, by enter or space on it, or by the mouse (`ok`, `cancel`)."""

    @on(Button.Pressed)
    def _button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.pressed(event.button.id or "")

    def dismiss(self, result: ResultT | None = None) -> AwaitComplete:
        """Answer once: a second answer (enter typed twice in a burst, a click after a key) is dropped, as is one
        from a dialog no longer on top, which would pop the screen under it."""
        if self._answered or not self.is_active:
            return AwaitComplete.nothing()
        self._answered = True
        return super().dismiss(result)


class ConfirmDialog(Dialog[bool]):
    DEFAULT_CSS = DIALOG_CSS.format(name="ConfirmDialog")
    KEYS: ClassVar[dict[str, str]] = {"y": "yes", "n": "no", "escape": "no"}

    def __init__(self, title: str, message: str, ok: str = "OK") -> None:
        super().__init__()
        self.title_text, self.message, self.ok = title, message, ok

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"<{self.title_text}>", classes="title")
            yield Label(self.message, classes="message")
            with Horizontal():
                yield Button(self.ok, id="ok", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.take_focus(self.query_one("#cancel", Button))

    def yes(self) -> None:
        self.dismiss(True)

    def no(self) -> None:
        self.dismiss(False)

    def pressed(self, button: str) -> None:
        self.dismiss(button == "ok")


class FieldDialog(Dialog[ResultT]):
    """A dialog of text fields with OK and Cancel: enter in a field or OK submits (`submit`, which may refuse
    with a message), esc or Cancel answers None."""

    KEYS: ClassVar[dict[str, str]] = {"escape": "cancel"}

    def cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()  # enter is applied by `apply_key`; this is in case the field ever gets a key of its own
        self.submit()

    def pressed(self, button: str) -> None:
        if button == "ok":
            self.submit()
        else:
            self.dismiss(None)


class ScaleDialog(FieldDialog["int | None"]):
    DEFAULT_CSS = DIALOG_CSS.format(name="ScaleDialog")
    MAX_REPLICAS = 10_000

    def __init__(self, target: str, replicas: int) -> None:
        super().__init__()
        self.target, self.replicas = target, replicas

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("<Scale>", classes="title")
            yield Label(f"Scale {self.target} (currently {self.replicas}) to:", classes="message")
            # Selected once, here, not again whenever it gets the focus: that would come after the keys typed.
            yield Input(str(self.replicas), id="replicas", restrict=r"[0-9]*", max_length=6, select_on_focus=False)
            yield Label("", classes="error", id="error")
            with Horizontal():
                yield Button("OK", id="ok", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        field = self.query_one("#replicas", Input)
        field.select_all()  # typing replaces the current count
        self.take_focus(field)

    def submit(self) -> None:
        text = self.query_one("#replicas", Input).value.strip()
        if not text.isdigit() or int(text) > self.MAX_REPLICAS:
            self.query_one("#error", Label).update(f"replicas must be a whole number from 0 to {self.MAX_REPLICAS}")
            return
        self.dismiss(int(text))



class Option(Checkbox):
    """A checkbox whose mark is blank when off: Textual's shows X either way, telling them apart by colour only."""

    def __init__(self, label: str, *, id: str) -> None:
        super().__init__(label, id=id, compact=True)
        self.BUTTON_INNER = " "

    def watch_value(self) -> None:
        self.BUTTON_INNER = "X" if self.value else " "
        super().watch_value()


@dataclass(frozen=True)
class DrainChoice:
    """What the drain dialog was confirmed with (kubectl drain's --force and --delete-emptydir-data)."""

    force: bool = False
    delete_emptydir_data: bool = False


class DrainDialog(Dialog["DrainChoice | None"]):
    """k9s's drain dialog: the options as checkboxes, Cancel focused; `y` drains, `f` toggles Force."""

    DEFAULT_CSS = DIALOG_CSS.format(name="DrainDialog")
    KEYS: ClassVar[dict[str, str]] = {"y": "drain", "n": "cancel", "escape": "cancel", "f": "toggle_force",
                                      "e": "toggle_emptydir"}

    def __init__(self, node: str) -> None:
        super().__init__()
        self.node = node

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("<Drain>", classes="title")
            yield Label(f"Drain node {self.node}? It is cordoned, then its pods are evicted and their controllers "
                        "re-create them on other nodes.", classes="message")
            with Vertical(classes="options"):
                yield Option("Force: also delete pods no controller re-creates (f)", id="force")
                yield Option("Delete emptyDir data (e)", id="emptydir")
            with Horizontal():
                yield Button("Drain", id="ok", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.take_focus(self.query_one("#cancel", Button))

    def choice(self) -> DrainChoice:
        return DrainChoice(force=self.query_one("#force", Checkbox).value,
                           delete_emptydir_data=self.query_one("#emptydir", Checkbox).value)

    def drain(self) -> None:
        self.dismiss(self.choice())

    def cancel(self) -> None:
        self.dismiss(None)

    def toggle_force(self) -> None:
        self.query_one("#force", Checkbox).toggle()

    def toggle_emptydir(self) -> None:
        self.query_one("#emptydir", Checkbox).toggle()

    def pressed(self, button: str) -> None:
        self.dismiss(self.choice() if button == "ok" else None)


class RequestDialog(FieldDialog["tuple[str, str] | None"]):
    """`b`: where a simulated HTTP request comes from (a pod `ns/name`, `node/<name>` or `outside`) and its URL."""

    DEFAULT_CSS = DIALOG_CSS.format(name="RequestDialog")

    def __init__(self, source: str, url: str) -> None:
        super().__init__()
        self.source, self.url = source, url

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("<Request>", classes="title")
            yield Label("From (namespace/pod, node/NAME or outside):", classes="message")
            yield Input(self.source, id="source", select_on_focus=False)
            yield Label("URL:", classes="message")
            yield Input(self.url, id="url", select_on_focus=False)
            yield Label("", classes="error", id="error")
            with Horizontal():
                yield Button("Send", id="ok", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        field = self.query_one("#url", Input)
        field.cursor_position = len(field.value)  # the URL is the usual edit: typing goes at its end
        self.take_focus(field)

    def submit(self) -> None:
        source = self.query_one("#source", Input).value.strip()
        url = self.query_one("#url", Input).value.strip()
        if not source or not url:
            self.query_one("#error", Label).update("both where from and the URL are needed")
            return
        self.dismiss((source, url))

