"""Modal dialogs: confirm a destructive action, ask for a replica count.

The confirm dialog focuses Cancel: a stray enter must never kill anything (k9s #782). `y` confirms, `n`/esc
cancel.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

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
"""


class ConfirmDialog(ModalScreen[bool]):
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
        self.query_one("#cancel", Button).focus()

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "ok")


class ScaleDialog(ModalScreen["int | None"]):
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
        field.focus()
        field.select_all()

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
