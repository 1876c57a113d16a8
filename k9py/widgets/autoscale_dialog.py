"""The dialog of `a` on a Deployment (or any kind with a scale subresource): `kubectl autoscale`'s --min, --max and
--cpu-percent. Only digits can be typed; --max is required; an empty --min or --cpu-percent is left out, as
kubectl leaves an unset flag out (the API server then defaults minReplicas to 1 and the target to 80 % CPU).
Everything else (max below 1 or below min, a 0 % target, an HPA of that name already there) is for kubectl's
and the API server's checks, whose message the flash line shows."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label

from .dialogs import DIALOG_CSS, FIELD_ROWS_CSS, FieldDialog

FIELDS = (("min", "--min"), ("max", "--max"), ("cpu", "--cpu-percent"))


@dataclass(frozen=True)
class AutoscaleChoice:
    max_replicas: int
    min_replicas: int | None
    cpu_percent: int | None


class AutoscaleDialog(FieldDialog["AutoscaleChoice | None"]):
    DEFAULT_CSS = DIALOG_CSS.format(name="AutoscaleDialog") + FIELD_ROWS_CSS.format(
        name="AutoscaleDialog", input_width="12"
    )

    def __init__(self, target: str, replicas: int) -> None:
        super().__init__()
        self.target, self.replicas = target, replicas

    def compose(self) -> ComposeResult:
        # What the API server defaults an unset --min and --cpu-percent to; --max: room to grow.
        values = {"min": "1", "max": str(max(10, 2 * self.replicas)), "cpu": "80"}
        with Vertical():
            yield Label("<Autoscale>", classes="title")
            yield Label(f"A HorizontalPodAutoscaler for {self.target} (kubectl autoscale):", classes="message")
            for field, flag in FIELDS:
                with Horizontal(classes="field"):
                    yield Label(flag)
                    yield Input(values[field], id=field, restrict=r"[0-9]*", max_length=6, select_on_focus=False)
            yield Label("", classes="error", id="error")
            with Horizontal():
                yield Button("OK", id="ok", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        field = self.query_one("#max", Input)
        field.select_all()  # the one flag kubectl requires: typing replaces it
        self.take_focus(field)

    def _number(self, field: str) -> int | None:
        text = self.query_one(f"#{field}", Input).value.strip()
        return int(text) if text.isdigit() else None

    def submit(self) -> None:
        maximum = self._number("max")
        if maximum is None:
            self.query_one("#error", Label).update("--max is required: the most replicas the HPA may set")
            return
        self.dismiss(AutoscaleChoice(maximum, self._number("min"), self._number("cpu")))
