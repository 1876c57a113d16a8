"""`l`: a container's log, followed live (`s` autoscroll, `w` wrap, `t` timestamps, `/` filters lines, `p` the
previous instance's log, `0`-`6` k9s's ranges: the last 100 lines, all of it, the last 1m to 1h).

Scrolling back (k, g, arrows, page up, the mouse wheel) turns autoscroll off, so the lines being read stay put
as new ones arrive; G (or s) follows the log again. k9s keeps following until `s` is pressed, which users of
log viewers trip over (the log jumps away mid-read); this is what `less +F` and most log viewers do.

The engine generates log lines on demand, so the view polls and appends only lines after the last one it showed;
a container restart simply continues the stream with the new run's lines. The previous instance's log is a
finished run, shown whole, and replaced when the container terminates again. A container with no log (not
started yet: ContainerCreating, ImagePullBackOff, a pod not scheduled; no previous instance) shows why, in
kubectl's words, until its log begins. Timestamps and wrap stay as they were across `p` and back.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import RichLog, Static

from ..backend import Backend, LogLine
from ..keys import Key
from ..theme import Theme
from .base import MOVE_KEYS, ViewMixin, scroll
from .spec import ViewSpec

if TYPE_CHECKING:
    from ..actions import Host

Obj = dict[str, Any]
POLL_SECONDS = 0.25
MAX_LINES = 10_000
TAIL_LINES = 100  # k9s's logger.tail default
# k9s's log ranges: 0 the last lines, 1 everything from the start, 2-6 the last minutes of the log.
RANGES: dict[str, tuple[str, float | None]] = {
    "0": ("tail", None), "1": ("head", None), "2": ("1m", 60), "3": ("5m", 300), "4": ("15m", 900),
    "5": ("30m", 1800), "6": ("1h", 3600),
}

RANGES_SECONDS = {label: seconds for label, seconds in RANGES.values() if seconds is not None}


class FollowedLog(RichLog):
    """A RichLog that tells its view when the reader scrolls back by any means (False), or jumps to the end (True)."""

    def __init__(self, follow: Callable[[bool], object]) -> None:
        # min_width=1: RichLog's default (78) would wrap lines at 78 columns even in a narrower view, cutting them.
        super().__init__(wrap=False, markup=False, highlight=False, auto_scroll=True, max_lines=MAX_LINES,
                         min_width=1)
        self._follow = follow

    def on_mouse_scroll_up(self) -> None:
        self._follow(False)

    def action_scroll_up(self) -> None:
        self._follow(False)
        super().action_scroll_up()

    def action_page_up(self) -> None:
        self._follow(False)
        super().action_page_up()

    def action_scroll_home(self) -> None:
        self._follow(False)
        super().action_scroll_home()

    def action_scroll_end(self) -> None:
        self._follow(True)
        super().action_scroll_end()


class LogsView(ViewMixin, Vertical):
    view_name = "logs"
    KEYS: ClassVar[tuple[Key, ...]] = (
        *MOVE_KEYS,
        Key("s", "autoscroll", "Autoscroll"),
        Key("w", "wrap", "Wrap"),
        Key("t", "timestamps", "Timestamps"),
        # k9s's Previous (the last terminated container's log): it takes `p` over from the clock, which `:pause`
        # still pauses from here.
        Key("p", "previous", "Previous"),
        Key("0", "log_range", f"Tail (last {TAIL_LINES} lines)", hint=False),
        Key("1", "log_range", "Head (from the start)", hint=False),
        Key("2", "log_range", "Last 1m 5m 15m 30m 1h", display="2-6", hint=False),
        *(Key(str(n), "log_range", "Last minutes", hint=False, listed=False) for n in range(3, 7)),
    )
    ONE_OBJECT = True
    DEFAULT_CSS = """
    LogsView {
        border: round $k9-border-focus;
        border-title-align: center;
        background: $k9-logs-bg;
        height: 1fr;
    }
    LogsView > #log-status {
        height: 1;
        padding: 0 1;
    }
    LogsView > RichLog {
        background: $k9-logs-bg;
        color: $k9-logs-fg;
        height: 1fr;
        padding: 0 1;
        scrollbar-size-vertical: 1;
    }
    """

    def __init__(self, spec: ViewSpec, backend: Backend, skin: Theme) -> None:
        super().__init__()
        self.spec, self.backend, self.skin = spec, backend, skin
        self.kind = backend.resolve("pods")
        self.lines: list[LogLine] = []
        self.autoscroll = True
        self.timestamps = spec.timestamps
        self.wrap = spec.wrap
        self.gone = False
        self.range = "head"  # what part of the log is shown: tail, head, or the last 1m ... 1h (0-6)
        self.missing = ""  # why there is no log to show (not started, no previous instance), in kubectl's words
        self._filter: re.Pattern[str] | None = None
        self._filter_text = ""
        self._inverse = False
        self.status = Static(id="log-status")
        self.log_widget = FollowedLog(self.follow)

    def compose(self) -> ComposeResult:
        yield self.status
        yield self.log_widget

    def on_mount(self) -> None:
        self.update_title()
        self.log_widget.wrap = self.wrap
        self._paint_status()
        self._poll()
        self.set_interval(POLL_SECONDS, self._poll)
        self.take_focus(self.log_widget)

    # --- data ----------------------------------------------------------------------------------------------

    def _pod(self) -> Obj | None:
        return self.backend.get(self.kind, self.spec.name, self.spec.namespace)

    def _poll(self) -> None:
        pod = self._pod()
        if pod is None:
            if not self.gone:
                self.gone = True
                self.update_title()
            return
        seconds = RANGES_SECONDS.get(self.range)
        found = self.backend.logs(pod, self.spec.container, previous=self.spec.previous, since=seconds)
        if found is None:
            self._show_missing(self.backend.no_log_reason(pod, self.spec.container, self.spec.previous))
            return
        if self.spec.previous:
            self._show_previous(found)
            return
        if self.missing:  # the container has started: its log takes the place of the reason
            self.missing, self.lines = "", []
            self._rewrite()
        fresh = self._after_last(found)
        if not fresh:
            return
        refill = not self.lines  # the first lines, or a range's anew (set_range): shown as the range shows them
        self.lines.extend(fresh)
        if len(self.lines) > MAX_LINES:
            del self.lines[: len(self.lines) - MAX_LINES]
        if refill:
            self._rewrite()
        else:
            self._write(fresh)

    def _show_missing(self, reason: str) -> None:
        """No log to show: say why (the API server's words, as `kubectl logs` prints them)."""
        if reason != self.missing:
            self.missing, self.lines = reason, []
            self._rewrite()

    def _show_previous(self, lines: list[LogLine]) -> None:
        if self.missing or lines[:1] != self.lines[:1] or len(lines) != len(self.lines):
            self.missing = ""  # the container terminated (again): this is another instance's log
            self.lines = list(lines[-MAX_LINES:])
            self._rewrite()

    def _after_last(self, lines: list[LogLine]) -> list[LogLine]:
        if not self.lines:
            return list(lines)
        last = self.lines[-1]
        for i in range(len(lines) - 1, -1, -1):
            if lines[i] == last:
                return lines[i + 1:]
        return [line for line in lines if line[0] > last[0]]  # the last line shown rolled out of the window

    def _matches(self, text: str) -> bool:
        if self._filter is None:
            return True
        return (self._filter.search(text) is not None) != self._inverse

    def _write(self, lines: list[LogLine]) -> None:
        formatted = self.backend.format_logs(lines, self.timestamps)
        for text in formatted:
            if self._matches(text):
                self.log_widget.write(Text(text, style=self.skin.logs_fg), scroll_end=self.autoscroll)

    def _in_range(self) -> list[LogLine]:
        if self.range == "tail":
            return self.lines[-TAIL_LINES:]
        seconds = next(s for label, s in RANGES.values() if label == self.range)
        if seconds is None:
            return self.lines
        since = self.backend.now() - seconds
        return [line for line in self.lines if line[0] >= since]

    def set_range(self, key: str) -> str:
        """0-6: the last lines, all of it, or the last minutes; returns the range's name. The last minutes are
        asked of the backend (a real API server's sinceSeconds), so what is shown starts over from its answer."""
        changed = RANGES_SECONDS.get(RANGES[key][0]) != RANGES_SECONDS.get(self.range)
        self.range = RANGES[key][0]
        if changed:
            self.lines = []
        self.update_title()
        self._rewrite()
        if changed:
            self._poll()  # the new range's lines at once, when the backend has them (the simulated cluster does)
        return self.range

    def _rewrite(self) -> None:
        self.log_widget.clear()
        self.log_widget.wrap = self.wrap
        if self.missing:
            self.log_widget.write(Text(self.missing, style=self.skin.error))
        self._write(self._in_range())
        if self.autoscroll:
            self.log_widget.scroll_end(animate=False)

    # --- toggles -------------------------------------------------------------------------------------------

    def _paint_status(self) -> None:
        text = Text()
        for label, on in (("Autoscroll", self.autoscroll), ("Timestamps", self.timestamps), ("Wrap", self.wrap)):
            text.append(f"{label}:", style=f"bold {self.skin.info_fg}")
            text.append(f"{'On' if on else 'Off'}     ", style=self.skin.info_section if on else self.skin.completed)
        self.status.update(text)

    def toggle_autoscroll(self) -> bool:
        self._set_autoscroll(not self.autoscroll)
        return self.autoscroll

    def _set_autoscroll(self, on: bool) -> None:
        self.autoscroll = on
        self.log_widget.auto_scroll = on
        if on:
            self.log_widget.scroll_end(animate=False)
        self._paint_status()

    def follow(self, on: bool) -> bool:
        """Follow the log (the reader went to its end) or stop (they scrolled back); True if that changed it."""
        if on == self.autoscroll:
            return False
        self._set_autoscroll(on)
        return True

    def toggle_timestamps(self) -> bool:
        self.timestamps = not self.timestamps
        self._paint_status()
        self._rewrite()
        return self.timestamps

    def toggle_wrap(self) -> bool:
        self.wrap = not self.wrap
        self._paint_status()
        self._rewrite()
        return self.wrap

    # --- what the main screen asks -------------------------------------------------------------------------

    def title(self) -> Text:
        tags = [(f"[{self.range}]", f"bold {self.skin.title_counter}")] if self.range != "head" else []
        if self.spec.previous:
            tags.append(("[previous]", f"bold {self.skin.title_counter}"))
        if self._filter_text:
            tags.append((f" </{self._filter_text}>", f"bold {self.skin.title_filter}"))
        return self.object_title("logs", f"{self.spec.namespace}/{self.spec.name}:{self.spec.container}",
                                 "pod deleted" if self.gone else "", tuple(tags))

    @property
    def filter_text(self) -> str:
        return self._filter_text

    def set_filter(self, text: str) -> str | None:
        body, inverse = text.strip(), False
        if body.startswith("!"):
            body, inverse = body[1:], True
        if not body:
            self._filter, self._filter_text = None, ""
        else:
            try:
                self._filter = re.compile(body, re.IGNORECASE)
            except re.error:
                self._filter = re.compile(re.escape(body), re.IGNORECASE)
            self._filter_text = text.strip()
        self._inverse = inverse
        if self.is_mounted:
            self.update_title()
            self._rewrite()
        return None

    def visible_lines(self) -> list[str]:
        return [str(line.text) if hasattr(line, "text") else str(line) for line in self.log_widget.lines]

    def selected(self) -> Obj | None:
        return self._pod()

    def move(self, how: str) -> str | None:
        note = None
        if how in ("up", "top") and self.follow(False):
            note = "autoscroll off while you read back (G or s follows the log again)"
        elif how == "bottom" and self.follow(True):
            note = "autoscroll on"
        scroll(self.log_widget, how)
        return note

    def focus_target(self) -> Widget:
        return self.log_widget

    # --- keys ----------------------------------------------------------------------------------------------

    def do_autoscroll(self, host: Host, _: Key) -> None:
        host.flash(f"autoscroll {'on' if self.toggle_autoscroll() else 'off'}")

    def do_wrap(self, host: Host, _: Key) -> None:
        host.flash(f"wrap {'on' if self.toggle_wrap() else 'off'}")

    def do_timestamps(self, host: Host, _: Key) -> None:
        host.flash(f"timestamps {'on' if self.toggle_timestamps() else 'off'}")

    def do_log_range(self, host: Host, key: Key) -> None:
        name = self.set_range(key.key)
        host.flash({"tail": f"the last {TAIL_LINES} lines", "head": "the whole log, from the start"}.get(
            name, f"the last {name} of the log"))

    async def do_previous(self, host: Host, _: Key) -> None:
        """`p`: the previous (terminated) instance of the container, as `kubectl logs --previous`; `p` again the
        current one."""
        previous = not self.spec.previous
        view = await host.reopen(previous=previous, timestamps=self.timestamps, wrap=self.wrap)
        missing = getattr(view, "missing", "")
        if missing:
            host.flash(missing, "error")
        else:
            host.flash("previous container's logs" if previous else "current container's logs")
