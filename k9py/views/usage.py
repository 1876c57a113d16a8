"""k9s's usage columns and colours, and the sparklines of a pod's and a node's describe.

Columns as k9s renders them (internal/render/pod.go and node.go): CPU in millicores and MEM in MiB (whole numbers,
`0` for none), the percentages floored, `n/a` when there is no request, limit or allocatable to compare with:

- pods: CPU, %CPU/R, %CPU/L, MEM, %MEM/R, %MEM/L after RESTARTS;
- nodes: CPU, CPU/A, %CPU, MEM, MEM/A, %MEM.

Colours (k9s's view/helpers.go decorateCpuMemHeaderRows with its default thresholds, cpu and memory: warn 70,
critical 90): a %CPU/L or %MEM/L cell at 90 or more is bold red, at 70 or more bold orangered; nothing else is
coloured by usage.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..backend import Usage, UsageDetail

POD_COLUMNS = ("CPU", "%CPU/R", "%CPU/L", "MEM", "%MEM/R", "%MEM/L")
NODE_COLUMNS = ("CPU", "CPU/A", "%CPU", "MEM", "MEM/A", "%MEM")
COLOURED = ("%CPU/L", "%MEM/L")
WARN, CRITICAL = 70, 90  # k9s's config.NewSeverity
CRITICAL_COLOUR, WARN_COLOUR = "bold red", "bold #ff4500"  # k9s's SeverityColor: red, orangered
NA = "n/a"
MIB = 1024 * 1024
BARS = "▁▂▃▄▅▆▇█"


def _count(value: int) -> str:
    return str(value) if value else "0"


def _percent(value: int, whole: int) -> str:
    """k9s's ToPercentageStr: floor(v / dv * 100), `n/a` when there is nothing to compare with."""
    return NA if not whole else str(math.floor(value / whole * 100))


def pod_cells(usage: Usage) -> list[str]:
    return [_count(usage.cpu), _percent(usage.cpu, usage.cpu_request), _percent(usage.cpu, usage.cpu_limit),
            _count(usage.memory // MIB), _percent(usage.memory, usage.memory_request),
            _percent(usage.memory, usage.memory_limit)]


def node_cells(usage: Usage) -> list[str]:
    return [_count(usage.cpu), _count(usage.cpu_request), _percent(usage.cpu, usage.cpu_request),
            _count(usage.memory // MIB), _count(usage.memory_request // MIB),
            _percent(usage.memory, usage.memory_request)]


def severity_colour(cell: str) -> str | None:
    """The colour k9s gives a %CPU/L or %MEM/L cell (capped at 100 first); None below the warning level."""
    if not cell.isdigit():
        return None
    level = min(int(cell), 100)
    if level >= CRITICAL:
        return CRITICAL_COLOUR
    return WARN_COLOUR if level >= WARN else None


def sparkline(values: Sequence[float | None], top: float) -> str:
    """One character per value, ▁ to █ of `top`; a blank where there is no value."""
    if top <= 0:
        top = max((v for v in values if v is not None), default=0.0) or 1.0
    out = []
    for value in values:
        if value is None:
            out.append(" ")
        else:
            out.append(BARS[min(len(BARS) - 1, max(0, math.ceil(value / top * len(BARS)) - 1))])
    return "".join(out)


def _cpu(cores: float) -> str:
    return f"{math.ceil(cores * 1000 - 1e-6)}m"


def _mem(n: float) -> str:
    return f"{int(n) // MIB}Mi"


def _sparklines(detail: UsageDetail, cpu_top: float, mem_top: float, cpu_of: str = "", mem_of: str = "",
                latest: int | None = None) -> list[str]:
    """The CPU and memory over the last scrapes as sparklines scaled to `cpu_top` cores and `mem_top` bytes (their
    peak when 0), each with its last value (of the last `latest` scrapes; all by default) and what follows it
    (`cpu_of`, `mem_of`)."""
    cpus = [cpu for _, cpu, _ in detail.history]
    mems = [mem for _, _, mem in detail.history]
    minutes = len(detail.history) * 15 // 60
    last_cpu = next((v for v in reversed(cpus[-(latest or len(cpus)) :]) if v is not None), None)
    last_mem = next((v for v in reversed(mems[-(latest or len(mems)) :]) if v is not None), None)
    return [
        f"Usage (metrics-server, every 15s, last {minutes}m):",
        f"  CPU:     {sparkline(cpus, cpu_top)}  {_cpu(last_cpu) + cpu_of if last_cpu is not None else '<none>'}",
        f"  Memory:  {sparkline(mems, mem_top)}  {_mem(last_mem) + mem_of if last_mem is not None else '<none>'}",
    ]


def usage_block(detail: UsageDetail, usage: Usage) -> str:
    """The lines a pod's describe starts with: its CPU and memory over the last scrapes as sparklines (scaled to
    its limit, else its request, else its peak), then what each container uses now."""
    lines = _sparklines(
        detail, (usage.cpu_limit or usage.cpu_request) / 1000, float(usage.memory_limit or usage.memory_request)
    )
    for c in detail.containers:
        limit = f", limit {_cpu(c.cpu_limit)}" if math.isfinite(c.cpu_limit) else ""
        throttled = f", throttled {round(c.throttled * 100)}% (wants {_cpu(c.cpu_demand)})" if c.throttled else ""
        load = f", serving {c.rps:g} requests/s" if c.rps else ""
        lines.append(f"  {c.name}:  now {_cpu(c.cpu_used)}{limit}{throttled}, {_mem(c.memory)}{load}")
    return "\n".join(lines) + "\n"


def node_usage_block(detail: UsageDetail, usage: Usage) -> str:
    """The lines a node's describe starts with: its CPU and memory over the last scrapes as sparklines scaled to its
    allocatable (what k9s's %CPU and %MEM divide by), each with its share of it now (`<none>` once its kubelet has
    stopped answering: metrics-server serves no NodeMetrics then)."""
    cpu_of = f" ({_percent(usage.cpu, usage.cpu_request)}% of {usage.cpu_request}m allocatable)"
    mem_of = f" ({_percent(usage.memory, usage.memory_request)}% of {usage.memory_request // MIB}Mi allocatable)"
    lines = _sparklines(detail, usage.cpu_request / 1000, float(usage.memory_request), cpu_of, mem_of, latest=1)
    return "\n".join(lines) + "\n"
