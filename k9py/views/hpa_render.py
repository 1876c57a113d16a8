"""The HPA chart's drawing: replicas, and each metric against its target, over the HPA's last syncs.

Time runs left to right, one column per sync period (15 s), `now` at the right edge: a column shows what the HPA's
last sync up to that moment saw (a step chart, as the HPA only changes at a sync), so the chart scrolls left as
the cluster's clock runs, paused or sped up alike, and an HPA younger than the chart leaves the left of it blank.
Bars are drawn in eighths of a row (▁ to █). A metric's chart goes up to twice its target, which is a dashed line
(╌) halfway up; bars above it (the HPA wants more pods) take the skin's pending colour, below it the normal one.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

from rich.text import Text

from ..backend import ScaleHistory
from ..theme import Theme

SYNC_SECONDS = 15.0  # the HPA controller's period: one column each
EIGHTHS = " ▁▂▃▄▅▆▇█"
TARGET_MARK = "╌"
AXIS = "┤"
LABEL_WIDTH = 5  # the y axis labels ("100%", "10")
MIB = 1024 * 1024


def columns_at(times: Sequence[float], values: Sequence[float], now: float, width: int) -> list[float | None]:
    """The value shown in each of `width` columns ending at `now`: the last sample at or before the column's end
    (None before the first sample, or for a NaN sample)."""
    out: list[float | None] = []
    for i in range(width):
        end = now - (width - 1 - i) * SYNC_SECONDS
        at = bisect.bisect_right(times, end) - 1
        value = values[at] if at >= 0 else None
        out.append(None if value is None or (isinstance(value, float) and math.isnan(value)) else value)
    return out


def nice_top(peak: float) -> float:
    """The top of a chart's scale: `peak` rounded up to 1, 2 or 5 times a power of ten."""
    if peak <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(peak))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= peak)


def bar_rows(values: Sequence[float | None], top: float, rows: int) -> list[str]:
    """`rows` lines of bars, top line first: each value filled to its height in eighths of a row (a value above
    zero shows at least ▁)."""
    lines = []
    for row in range(rows - 1, -1, -1):
        chars = []
        for value in values:
            if value is None:
                chars.append(" ")
                continue
            level = min(rows * 8, math.ceil(value / top * rows * 8)) if value > 0 else 0
            chars.append(EIGHTHS[max(0, min(8, level - row * 8))])
        lines.append("".join(chars))
    return lines


def format_value(value: float, unit: str) -> str:
    """A metric value as kubectl shows it: `82%`, `250m` cores, `100Mi` bytes."""
    if unit == "%":
        return f"{value:g}%"
    if unit == "cpu":
        return f"{math.ceil(value * 1000 - 1e-6)}m"
    if unit == "memory":
        return f"{value / MIB:.0f}Mi"
    return f"{value:g}"


def _chart(
    title: str, values: list[float | None], top: float, rows: int, unit: str, skin: Theme, target: float | None = None
) -> list[Text]:
    """A titled chart: `rows` lines of bars under the title, the top and zero labelled on the axis."""
    lines = [Text(title, style=f"bold {skin.body_fg}")]
    target_row = None
    if target is not None and not math.isnan(target):
        # The row whose band holds the target: a bar reaching into it is at or above the target.
        target_row = min(rows - 1, max(0, math.ceil(target / top * rows) - 1))
    for index, bars in enumerate(bar_rows(values, top, rows)):
        row = rows - 1 - index
        label = format_value(top, unit) if index == 0 else ("0" if row == 0 else "")
        text = Text(f"{label:>{LABEL_WIDTH - 1}}{AXIS}", style=skin.title_fg)
        for value, char in zip(values, bars, strict=True):
            above = target is not None and value is not None and value > target
            if char == " " and row == target_row:
                text.append(TARGET_MARK, style=skin.pending)
            else:
                text.append(char, style=skin.pending if above else skin.normal)
        lines.append(text)
    return lines


def render(
    history: ScaleHistory | None, now: float, width: int, rows: int, max_replicas: int, skin: Theme
) -> list[Text]:
    """The charts of an HPA: replicas, then each metric against its target, over `width` columns."""
    columns = max(8, width - LABEL_WIDTH)
    if history is None or not history.times:
        return [
            Text(
                "No sync yet: the HPA controller looks at it every 15 s, and the chart starts then.", style=skin.body_fg
            )
        ]
    replicas = columns_at(history.times, [float(r) for r in history.replicas], now, columns)
    desired = history.desired[-1]
    peak = max([max_replicas, *(v for v in replicas if v is not None)])
    out = _chart(
        f"replicas (now {history.replicas[-1]}, wants {desired}, max {max_replicas})",
        replicas,
        float(peak),
        rows,
        "",
        skin,
    )
    for metric in history.metrics:
        values = columns_at(history.times, metric.values, now, columns)
        target = metric.target
        seen = [v for v in values if v is not None]
        peak = max(seen, default=0.0)
        # Twice the target at the top puts the target line halfway up, where above and below read at a glance;
        # a spike past the top fills its column (the title gives the peak).
        top = 2 * target if not math.isnan(target) and target > 0 else nice_top(peak)
        last = next((v for v in reversed(metric.values) if not math.isnan(v)), None)
        shown = format_value(last, metric.unit) if last is not None else "<unknown>"
        wanted = format_value(target, metric.unit) if not math.isnan(target) else "<auto>"
        over = f", peak {format_value(peak, metric.unit)}" if peak > top else ""
        out += _chart(
            f"{metric.label}: {shown} (target {wanted} {TARGET_MARK}{over})",
            values,
            top,
            rows,
            metric.unit,
            skin,
            target,
        )
    seconds = int(columns * SYNC_SECONDS)
    start = f"-{seconds // 60}m" + (f"{seconds % 60}s" if seconds % 60 else "")
    out.append(Text(" " * LABEL_WIDTH + start + "now".rjust(columns - len(start)), style=skin.title_fg))
    return out
