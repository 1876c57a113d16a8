"""The table model's rows and the `/` filter that decides which of them are shown."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..backend import Backend

Obj = dict[str, Any]

# Counts worth a delta marker: "3", "1/2", "4 (2m ago)"; not ages like "3s" that change with time alone.
_REGEX_SPECIALS = frozenset(".^$*+?{}[]\\|()")
_COUNT = re.compile(r"^(\d+)(?:/\d+)?(?: \(.*\))?$")


@dataclass
class RowState:
    key: str  # the DataTable row key: uid, or uid/sub for sub-rows
    uid: str
    obj: Obj
    cells: list[str]
    ref: str = ""  # which part of the object the row is (a container name)
    flash: str = ""  # "added" / "modified" while the highlight lasts
    flash_until: float = 0.0
    deltas: dict[int, str] = field(default_factory=dict)  # column -> "△"/"▽" while the highlight lasts
    shown: bool = False
    painted: tuple[Any, ...] = ()
    row: Any = None  # the table row last painted from `painted`; None once the state changed while hidden
    _text: str | None = None
    _text_of: list[str] | None = None
    _folded: str | None = None
    _folded_of: list[str] | None = None

    @property
    def text(self) -> str:
        """The row as one line, for the `/` filter (kept until the cells change)."""
        if self._text_of is not self.cells:
            self._text, self._text_of = " ".join(self.cells), self.cells
        return self._text  # type: ignore[return-value]

    @property
    def folded(self) -> str | None:
        """`text` in lower case when it is ASCII, for a plain word's substring test (kept until the cells
        change); None when it is not, where only the regex knows Unicode's case rules (K matches the Kelvin
        sign)."""
        if self._folded_of is not self.cells:
            text = self.text
            self._folded, self._folded_of = text.lower() if text.isascii() else None, self.cells
        return self._folded


def fuzzy_match(pattern: str, name: str) -> bool:
    """Whether `pattern`'s characters all appear in `name`, in order, case aside (`frtnd` finds frontend-7d9f)."""
    rest = iter(name.lower())
    return all(char in rest for char in pattern.lower())


class RowFilter:
    """k9s's `/` filter: a case-insensitive regex over the row, `!` inverts it, `-l` is a label selector, `-f` a
    fuzzy match on the row's name (its characters in order, as k9s's fuzzy filter; rows keep their order)."""

    def __init__(self, text: str, backend: Backend) -> None:
        self.text = text
        self.inverse = False
        self.labels: Callable[[Obj], bool] | None = None
        self.fuzzy: str | None = None
        self.regex: re.Pattern[str] | None = None
        self.literal: str | None = None  # the pattern, when it is a plain word (see narrows)
        self.needle: str | None = None  # the plain word in lower case, for `passing`
        body = text.strip()
        if body.startswith("-l"):
            self.labels = backend.label_matcher(body[2:].strip())
            return
        if body.startswith("-f"):
            self.fuzzy = "".join(body[2:].split())
            return
        if body.startswith("!"):
            self.inverse, body = True, body[1:]
        self.literal = body if not any(c in _REGEX_SPECIALS for c in body) else None
        # A plain ASCII word is found in each row's lower-cased text by `in`, which is what the case-insensitive
        # regex finds there and several times faster over 10,000 rows on every key typed.
        if self.literal is not None and body.isascii() and not self.inverse:
            self.needle = body.lower()
        try:
            self.regex = re.compile(body, re.IGNORECASE)
        except re.error:  # half-typed patterns like "web(" are common while typing: match them literally
            self.regex = re.compile(re.escape(body), re.IGNORECASE)

    @classmethod
    def parse(cls, text: str, backend: Backend) -> RowFilter | None:
        """The filter `text` asks for; None for an empty one or a bare `!` (nothing to match yet)."""
        body = text.strip()
        return cls(text, backend) if body and body != "!" else None

    def narrows(self, previous: RowFilter | None) -> bool:
        """Whether every row this filter passes also passed `previous`: a plain word typed further ("we" then
        "web"), so only the rows shown now need matching again."""
        if previous is not None and self.fuzzy is not None and previous.fuzzy is not None:
            return self.fuzzy.lower().startswith(previous.fuzzy.lower())  # more characters to find, in order
        return (previous is not None and self.literal is not None and previous.literal is not None
                and not self.inverse and not previous.inverse and self.literal.lower().startswith(
                    previous.literal.lower()))

    def passing(self, states: list[RowState]) -> list[RowState]:
        """The rows of `states` this filter lets through, in their order."""
        needle = self.needle
        if needle is None:
            return [s for s in states if self.matches(s.obj, s.cells, s.text, s.ref or None)]
        search = self.regex.search  # type: ignore[union-attr]  # a plain word always has one
        return [s for s in states if ((folded := s.folded) is not None and needle in folded)
                or (folded is None and search(s.text) is not None)]

    def matches(self, obj: Obj, cells: list[str], text: str | None = None, name: str | None = None) -> bool:
        """Whether a row passes; `text` is the cells already joined, when the caller keeps it; `name` the row's
        name, when it is not its object's (a container's row)."""
        if self.labels is not None:
            return self.labels(obj)
        if self.fuzzy is not None:
            if name is None:
                name = obj.get("metadata", {}).get("name") or " ".join(cells)
            return fuzzy_match(self.fuzzy, name)
        assert self.regex is not None
        found = self.regex.search(" ".join(cells) if text is None else text) is not None
        return found != self.inverse


def delta(old: str, new: str) -> str:
    a, b = _COUNT.match(old), _COUNT.match(new)
    if a is None or b is None:
        return ""
    before, after = int(a.group(1)), int(b.group(1))
    return "△" if after > before else "▽" if after < before else ""
