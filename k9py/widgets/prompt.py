"""The `:` command and `/` filter prompt, shown above the table while typing.

Tab completes a command from the completer's first candidate (shown as grey ghost text while typing, like
k9s's suggestions); the filter prompt applies as you type.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.suggester import Suggester
from textual.widgets import Input, Label

Completer = Callable[[str], list[str]]


class _CommandSuggester(Suggester):
    def __init__(self, completer: Completer) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.completer = completer

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        candidates = self.completer(value)
        return candidates[0] if candidates else None


class PromptInput(Input):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("tab", "complete", "Complete", show=False)]

    def __init__(self, completer: Completer) -> None:
        super().__init__(id="prompt-input")
        self.completer = completer
        self.completing = True  # off in filter mode: a filter is free text
        self.suggester = _CommandSuggester(self._candidates)

    def _candidates(self, value: str) -> list[str]:
        return self.completer(value) if self.completing else []

    def action_complete(self) -> None:
        if not self.completing:
            return
        candidates = self._candidates(self.value)
        if candidates:
            self.value = candidates[0]
            self.cursor_position = len(self.value)


class Prompt(Horizontal):
    DEFAULT_CSS = """
    Prompt {
        height: 3;
        border: round $k9-border-focus;
        background: $k9-prompt-bg;
        display: none;
    }
    Prompt Label {
        width: auto;
        color: $k9-prompt-fg;
        text-style: bold;
        padding: 0 1 0 0;
    }
    Prompt Input {
        border: none;
        height: 1;
        padding: 0;
        background: $k9-prompt-bg;
        color: $k9-prompt-fg;
    }
    Prompt Input:focus {
        border: none;
    }
    Prompt Input > .input--suggestion {
        color: $k9-prompt-suggest 60%;
    }
    """

    class Submitted(Message):
        def __init__(self, mode: str, value: str) -> None:
            super().__init__()
            self.mode, self.value = mode, value

    class Changed(Message):
        def __init__(self, mode: str, value: str) -> None:
            super().__init__()
            self.mode, self.value = mode, value

    def __init__(self, completer: Completer) -> None:
        super().__init__(id="prompt")
        self.mode = ""
        self.label = Label(">")
        self.input = PromptInput(completer)
        # Open or not: a flag, not a CSS class, whose change would restyle the prompt, its label and its input
        # once more on every `:`, `/` and esc (no rule reads it; `display` shows and hides the prompt).
        self._active = False
        self._label = ">"

    def compose(self) -> ComposeResult:
        yield self.label
        yield self.input

    @property
    def active(self) -> bool:
        return self._active

    def open(self, mode: str, value: str = "") -> None:
        self.mode = mode
        label = "🐶>" if mode == ":" else "/"
        if label != self._label:  # a new label lays out the prompt's line again
            self.label.update(label)
            self._label = label
        self.input.completing = mode == ":"
        self.input.value = value
        self.input.cursor_position = len(value)
        self._active = True
        self.display = True
        # Focus now, not on the next idle (Widget.focus): keys typed right after `:` must land in the input.
        self.screen.set_focus(self.input)

    def close(self) -> None:
        self._active = False
        self.display = False
        self.mode = ""

    def take(self) -> tuple[str, str]:
        """Close the prompt and return what was typed: (mode, text)."""
        mode, value = self.mode, self.input.value
        self.close()
        return mode, value

    def submit(self) -> None:
        self.post_message(self.Submitted(*self.take()))

    def type_key(self, key: str, character: str | None) -> bool:
        """Apply a key to the input now (the screen hands every key here while the prompt is open); False for
        keys the prompt has no use for, which then take their usual way (ctrl-c still quits)."""
        action = {"enter": self.submit, "backspace": self.input.action_delete_left, "tab": self.input.action_complete,
                  "delete": self.input.action_delete_right, "left": self.input.action_cursor_left,
                  "right": self.input.action_cursor_right, "home": self.input.action_home,
                  "end": self.input.action_end}.get(key)
        if action is not None:
            action()
        elif character is not None and character.isprintable():
            self.input.insert_text_at_cursor(character)
        else:
            return False
        return True

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.active:
            self.submit()

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        if self.active:
            self.post_message(self.Changed(self.mode, event.value))
