"""enter on an HPA: what it did, as a chart rather than numbers (hpa_render.py). Its replicas over the last syncs,
then each metric against its target, `now` at the right; the lines above say where it points, what it reads now
and what it wants. It follows the HPA live: repainted when the HPA changes (every sync that moves a number) and
every second as the clock moves the chart along; `y` and `d` show the HPA's YAML and describe."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from ..backend import Backend, Subscription
from ..keys import Key
from ..theme import Theme
from .base import MOVE_KEYS, OBJECT_KEYS, ViewMixin, scroll
from .hpa_render import render
from .spec import ViewSpec

Obj = dict[str, Any]
REFRESH_SECONDS = 1.0
FRAME_SECONDS = 0.1
MIN_ROWS, MAX_ROWS = 2, 8  # bar rows per chart


class HpaChartView(ViewMixin, VerticalScroll):
    DEFAULT_CSS = """
    HpaChartView {
        border: round $k9-border-focus;
        border-title-align: center;
        background: $k9-body-bg;
        height: 1fr;
        padding: 0 1;
    }
    HpaChartView > Static {
        width: auto;
    }
    """
    can_focus = True
    view_name = "hpachart"
    KEYS: ClassVar[tuple[Key, ...]] = (*MOVE_KEYS, *OBJECT_KEYS)
    ONE_OBJECT = True

    def __init__(self, spec: ViewSpec, backend: Backend, skin: Theme) -> None:
        super().__init__()
        self.spec, self.backend, self.skin = spec, backend, skin
        self.kind = backend.resolve(spec.kind or "HorizontalPodAutoscaler")
        self.body = Static(id="text-body")
        self.shown = ""  # what the chart says now, uncoloured (tests read it)
        self.gone = False
        self._subscription: Subscription | None = None

    @classmethod
    def crumb(cls, spec: ViewSpec) -> str:
        return f"hpa:{spec.name}"

    @property
    def display_name(self) -> str:
        return "hpa chart"

    def compose(self) -> ComposeResult:
        yield self.body

    def on_mount(self) -> None:
        self._subscription = self.backend.subscribe(self.kind, self.spec.namespace)
        self._subscription.drain()
        self.update_title()
        self.paint()
        self.set_interval(FRAME_SECONDS, self._pump)
        self.set_interval(REFRESH_SECONDS, self.paint)
        self.take_focus(self)

    def on_unmount(self) -> None:
        if self._subscription is not None:
            self._subscription.close()
            self._subscription = None

    def on_resize(self) -> None:
        self.paint()

    def _pump(self) -> None:
        if self._subscription is not None and any(
            change.obj["metadata"].get("name") == self.spec.name for change in self._subscription.drain()
        ):
            self.paint()

    def selected(self) -> Obj | None:
        return self.backend.get(self.kind, self.spec.name, self.spec.namespace)

    def title(self) -> Text:
        return self.object_title("hpa", f"{self.spec.namespace}/{self.spec.name}", "deleted" if self.gone else "")

    def lines(self, hpa: Obj) -> list[Text]:
        """The summary line, then the charts, sized to the view (one column per sync, rows to fit)."""
        row = self.backend.row(self.kind, hpa)
        columns = dict(zip(self.backend.columns(self.kind), row, strict=False))
        spec = hpa.get("spec") or {}
        history = self.backend.hpa_history(hpa)
        charts = 1 + (len(history.metrics) if history is not None else 0)
        # Each chart takes a title line besides its bars; the summary, a blank line and the time axis stay.
        height = self.size.height or 20
        rows = max(MIN_ROWS, min(MAX_ROWS, (height - 3) // charts - 1))
        width = max(20, (self.size.width or 78) - 2)
        summary = Text(
            f"{columns.get('REFERENCE', '')}   {columns.get('TARGETS', '')}   "
            f"min {columns.get('MINPODS', '')}  max {columns.get('MAXPODS', '')}",
            style=self.skin.body_fg,
        )
        return [
            summary,
            Text(""),
            *render(history, self.backend.now(), width, rows, int(spec.get("maxReplicas") or 1), self.skin),
        ]

    def paint(self) -> None:
        hpa = self.selected()
        if hpa is None:
            if not self.gone:
                self.gone = True
                self.update_title()
            return
        if self.gone:
            self.gone = False
            self.update_title()
        lines = self.lines(hpa)
        shown = "\n".join(line.plain for line in lines)
        if shown == self.shown:
            return
        self.shown = shown
        text = Text("\n", no_wrap=True).join(lines)
        text.no_wrap = True
        self.body.update(text)

    def move(self, how: str) -> None:
        scroll(self, how)
