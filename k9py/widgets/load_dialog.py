"""The dialog of `shift-l` on a Deployment or a Service: how many requests per second to send to it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label

from .dialogs import DIALOG_CSS, FieldDialog

MAX_RPS = 1_000_000


class LoadDialog(FieldDialog["float | None"]):
    DEFAULT_CSS = DIALOG_CSS.format(name="LoadDialog")

    def __init__(self, target: str, rps: float) -> None:
        super().__init__()
        self.target, self.rps = target, rps

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("<Load>", classes="title")
            yield Label(f"Requests per second to {self.target} (0 stops it), spread over its ready pods:",
                        classes="message")
            yield Input(f"{self.rps:g}", id="rps", restrict=r"[0-9.]*", max_length=9, select_on_focus=False)
            yield Label("", classes="error", id="error")
            with Horizontal():
                yield Button("OK", id="ok", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        field = self.query_one("#rps", Input)
        field.select_all()  # typing replaces the current load
        self.take_focus(field)

    def submit(self) -> None:
        text = self.query_one("#rps", Input).value.strip()
        try:
            rps = float(text)
        except ValueError:
            rps = -1.0
        if not 0 <= rps <= MAX_RPS:
            self.query_one("#error", Label).update(f"requests per second: a number from 0 to {MAX_RPS:,}")
            return
        self.dismiss(rps)

