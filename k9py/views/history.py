"""The `:` command history behind k9s's `[` (back), `]` (forward) and `-` (last view, like `cd -`).

Only the views a command opened (`:po`, `:dp shop`, `:po /cart`, a namespace picked with 0-9, the `-c` view) are
recorded, as the command opened them: drilling in and esc move along the crumbs, and a filter typed later is
not part of the command.
"""

from __future__ import annotations

from .spec import ViewSpec

MAX_HISTORY = 20  # as k9s keeps


class CommandHistory:
    def __init__(self) -> None:
        self.entries: list[ViewSpec] = []
        self.index = -1  # the entry on screen

    def record(self, spec: ViewSpec) -> None:
        """A command opened `spec`: it becomes the newest entry; anything `[` had gone back over is dropped, as a
        browser does."""
        if self.index >= 0 and self.entries[self.index] == spec:
            return
        del self.entries[self.index + 1:]
        self.entries.append(spec)
        del self.entries[:-MAX_HISTORY]
        self.index = len(self.entries) - 1

    def back(self) -> ViewSpec | None:
        if self.index <= 0:
            return None
        self.index -= 1
        return self.entries[self.index]

    def forward(self) -> ViewSpec | None:
        if self.index >= len(self.entries) - 1:
            return None
        self.index += 1
        return self.entries[self.index]

    def last(self) -> ViewSpec | None:
        """The view before this one; going there records it, so `-` again comes back (`cd -`)."""
        return self.entries[self.index - 1] if self.index >= 1 else None

