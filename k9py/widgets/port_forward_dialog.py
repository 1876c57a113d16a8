"""shift-f's dialog, as k9s's (internal/view/pf_dialog.go): Container Port (`container::port`, the first TCP port
the pod or container declares), Local Port (the same number) and Address (`localhost`), with the pod's other
exposed ports listed above them. Typing a Container Port sets the Local Port to its number, as in k9s. The
fields are checked as k9s checks them (`parse`, which may refuse with k9s's words, shown in the dialog); the
answer is the tunnels to open."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label

from ..port_forward import ForwardError, PortSpec, Tunnel, extract_port
from .dialogs import DIALOG_CSS, FIELD_ROWS_CSS, FieldDialog

FIELDS = (("container", "Container Port:"), ("local", "Local Port:"), ("address", "Address:"))
Parse = Callable[[str, str, str], list[Tunnel]]  # (container ports, local ports, address) -> tunnels


class PortForwardDialog(FieldDialog["list[Tunnel] | None"]):
    DEFAULT_CSS = DIALOG_CSS.format(name="PortForwardDialog") + FIELD_ROWS_CSS.format(
        name="PortForwardDialog", input_width="1fr"
    )

    def __init__(self, path: str, offered: list[PortSpec], address: str, parse: Parse) -> None:
        super().__init__()
        self.path, self.offered, self.address, self.parse = path, offered, address, parse

    def compose(self) -> ComposeResult:
        first = self.offered[0] if self.offered else None
        values = {
            "container": first.spec if first else "",
            "local": str(first.port) if first else "",
            "address": self.address,
        }
        message = self.path
        if len(self.offered) > 1:  # k9s lists them when there is a choice, one a line: here on one, to fit 24 rows
            message += "\nExposed Ports: " + ", ".join(str(p) for p in self.offered)
        with Vertical():
            yield Label("<PortForward>", classes="title")
            yield Label(message, classes="message")
            placeholders = {"container": "Enter a container name::port", "local": "Enter a local port"}
            for field, label in FIELDS:
                with Horizontal(classes="field"):
                    yield Label(label)
                    yield Input(values[field], id=field, placeholder=placeholders.get(field, ""), select_on_focus=False)
            yield Label("", classes="error", id="error")
            with Horizontal():
                yield Button("OK", id="ok", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.take_focus(self.query_one("#container", Input))  # k9s's form starts on its first field

    def apply_key(self, key: str, character: str | None) -> None:
        """As `Dialog.apply_key`; a change to Container Port sets Local Port at once (k9s's changed func), before
        the next key of a burst can type into it."""
        field = self.query_one("#container", Input)
        before = field.value
        super().apply_key(key, character)
        if field.value != before:
            self.query_one("#local", Input).value = extract_port(field.value)

    def submit(self) -> None:
        values = [self.query_one(f"#{field}", Input).value for field, _ in FIELDS]
        try:
            tunnels = self.parse(*values)
        except ForwardError as exc:
            self.query_one("#error", Label).update(str(exc))
            return
        self.dismiss(tunnels)
