"""Modal dialogs: confirm a destructive action, ask for a replica count, pick drain options.

The confirm and drain dialogs focus Cancel: a stray enter must never kill anything (k9s #782). `y` confirms,
`n`/esc cancel.

Keys typed in one burst with the key that opens a dialog (`ctrl-k y` pasted, or sent by tmux) are read before
the dialog exists: Textual hands them to the table, or to the dialog screen before anything in it has focus.
Every dialog keeps such keys (`Dialog.feed`, which the main screen calls for keys that reached it) and replays
them in arrival order once it has focused its first widget.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import ClassVar, TypeVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
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


class Dialog(ModalScreen[ResultT]):
    """A modal that takes the keys typed before it could receive them and replays them once it has focus."""

    AUTO_FOCUS: ClassVar[str | None] = None  # each dialog picks its own widget (`take_focus`), Cancel for most
    OWN_KEYS = 64  # how many of its own recent keys the dialog remembers (they bubble up to the app in order)

    def __init__(self) -> None:
        super().__init__()
        self._early_keys: list[tuple[str, str | None]] = []
        self._own_keys: deque[events.Key] = deque(maxlen=self.OWN_KEYS)
        self._ready = False

    @property
    def ready(self) -> bool:
        """Whether the dialog has focused its widget, so keys sent to it now reach that widget."""
        return self._ready

    def owns(self, event: events.Key) -> bool:
        """Whether `event` came up through this dialog, rather than from a screen below it."""
        return any(own is event for own in self._own_keys)

    def feed(self, key: str, character: str | None) -> None:
        """A key meant for this dialog that reached another screen (typed before the dialog was shown)."""
        if self._ready:
            self._deliver(key, character)
        else:
            self._early_keys.append((key, character))

    def on_key(self, event: events.Key) -> None:
        if self._ready:
            self._own_keys.append(event)  # on its way to the app's bindings (enter submits, y confirms)
            return
        # Before `take_focus` nothing in the dialog has focus, so the app hands keys to the screen itself, where
        # no widget would act on them: keep them for the widget about to be focused.
        event.stop()
        event.prevent_default()
        self._early_keys.append((event.key, event.character))

    def take_focus(self, widget: Widget) -> None:
        """Focus `widget` now (not at the next idle, as Widget.focus would) and replay the early keys to it."""
        self.set_focus(widget)
        self._ready = True
        early, self._early_keys = self._early_keys, []
        for key, character in early:
            self._deliver(key, character)

    def _deliver(self, key: str, character: str | None) -> None:
        target = self.focused or self
        event = events.Key(key, character)
        # Marked as forwarded, as the app marks the keys it hands to the focused widget: on its way back up the
        # app then checks the bindings (enter submits, y confirms) instead of taking it for a fresh key press.
        event._set_forwarded()
        target.post_message(event)


class ConfirmDialog(Dialog[bool]):
    DEFAULT_CSS = DIALOG_CSS.format(name="ConfirmDialog")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", show=False),
        Binding("n,escape", "answer(False)", "No", show=False),
    ]

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

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "ok")


class ScaleDialog(Dialog["int | None"]):
    DEFAULT_CSS = DIALOG_CSS.format(name="ScaleDialog")
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", show=False)]
    MAX_REPLICAS = 10_000

    def __init__(self, target: str, replicas: int) -> None:
        super().__init__()
        self.target, self.replicas = target, replicas

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("<Scale>", classes="title")
            yield Label(f"Scale {self.target} (currently {self.replicas}) to:", classes="message")
            yield Input(str(self.replicas), id="replicas", restrict=r"[0-9]*", max_length=6)
            yield Label("", classes="error", id="error")
            with Horizontal():
                yield Button("OK", id="ok", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        field = self.query_one("#replicas", Input)
        field.select_all()  # typing replaces the current count
        self.take_focus(field)

    def _submit(self) -> None:
        text = self.query_one("#replicas", Input).value.strip()
        if not text.isdigit() or int(text) > self.MAX_REPLICAS:
            self.query_one("#error", Label).update(f"replicas must be a whole number from 0 to {self.MAX_REPLICAS}")
            return
        self.dismiss(int(text))

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self._submit()
        else:
            self.dismiss(None)


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
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "drain", "Drain", show=False),
        Binding("n,escape", "cancel", "Cancel", show=False),
        Binding("f", "toggle('#force')", "Force", show=False),
        Binding("e", "toggle('#emptydir')", "Delete emptyDir data", show=False),
    ]

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

    def action_drain(self) -> None:
        self.dismiss(self.choice())

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_toggle(self, selector: str) -> None:
        self.query_one(selector, Checkbox).toggle()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(self.choice() if event.button.id == "ok" else None)
