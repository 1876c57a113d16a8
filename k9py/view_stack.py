"""The view stack: the crumbs as `ViewSpec`s, the views kept hidden for a quick way back, the switch lock and
the command history.

The crumbs are specs, not live widgets: esc rebuilds the view under, unless it is one of the last few table views
kept alive and hidden (`KEPT_VIEWS`), which comes back at once, cursor and all, instead of listing and printing
10,000 objects anew. The screen shows what is on top (`top`); this class only keeps the books.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator

from textual.widget import Widget

from .views import crumb
from .views.history import CommandHistory
from .views.spec import ViewSpec

KEPT_VIEWS = 3  # hidden table views kept live for a quick way back


def _kept_key(spec: ViewSpec) -> ViewSpec:
    # A kept view shows any filter the crumbs remember, and its cursor is where it was.
    return dataclasses.replace(spec, filter="", cursor="")


class ViewStack:
    def __init__(self, start: ViewSpec, keep: int = KEPT_VIEWS) -> None:
        self.specs: list[ViewSpec] = [start]
        self.history = CommandHistory()  # `-`, `[`, `]`: the views commands opened
        self.history.record(start)
        self.kept: dict[ViewSpec, Widget] = {}  # hidden views by spec (filter aside), oldest first
        self.keep_at_most = keep
        # One switch at a time: a switch waits for its new view to mount, and another one started meanwhile (from
        # a message handler, a worker) would take the same old view, keep it twice and leave two views showing.
        self.switching = asyncio.Lock()

    # --- the crumbs ----------------------------------------------------------------------------------------

    @property
    def top(self) -> ViewSpec:
        return self.specs[-1]

    def __len__(self) -> int:
        return len(self.specs)

    def __iter__(self) -> Iterator[ViewSpec]:
        return iter(self.specs)

    def __getitem__(self, index: int) -> ViewSpec:
        return self.specs[index]

    def crumbs(self) -> list[str]:
        return [crumb(spec) for spec in self.specs]

    def push(self, spec: ViewSpec) -> None:
        self.specs.append(spec)

    def replace(self, spec: ViewSpec) -> None:
        self.specs[-1] = spec

    def reset(self, spec: ViewSpec, record: bool = True) -> None:
        """`spec` alone, as a command opens it; `record` it in the command history."""
        self.specs = [spec]
        if record:
            self.history.record(spec)

    def pop(self) -> bool:
        """Drop the top spec for the one under it; False when there is none under it."""
        if len(self.specs) < 2:
            return False
        self.specs.pop()
        return True

    def drop_top(self) -> None:
        """Drop the top spec, whatever is under it (a view that could not be built)."""
        self.specs.pop()

    def remember(self, filter_text: str, cursor: str) -> None:
        """The filter the top view shows now and the row its cursor is on, so coming back to it (esc, a view
        built anew) shows them again."""
        if self.specs:
            self.specs[-1] = dataclasses.replace(self.specs[-1], filter=filter_text, cursor=cursor)

    # --- the views kept hidden -----------------------------------------------------------------------------

    def take_kept(self, spec: ViewSpec) -> Widget | None:
        """The kept view that shows `spec` (any filter), no longer kept; None if there is none, or it is gone."""
        view = self.kept.pop(_kept_key(spec), None)
        return view if view is not None and view.is_attached else None

    def keep(self, view: Widget, spec: ViewSpec) -> list[Widget]:
        """Keep `view`, which shows `spec` and just left the screen; returns the views to let go (a twin of it, the
        oldest kept one past `keep_at_most`)."""
        key = _kept_key(spec)
        drop = []
        if (twin := self.kept.pop(key, None)) is not None and twin is not view:
            drop.append(twin)
        self.kept[key] = view
        if len(self.kept) > self.keep_at_most:
            drop.append(self.kept.pop(next(iter(self.kept))))
        return drop

    def let_go(self) -> list[Widget]:
        """Every kept view, no longer kept (a new theme paints them anew)."""
        views = list(self.kept.values())
        self.kept.clear()
        return views
