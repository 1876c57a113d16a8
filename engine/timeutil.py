"""Kubernetes timestamps: RFC 3339 strings in objects, float seconds (Unix epoch) in the engine."""

from __future__ import annotations

import datetime as _dt
from functools import lru_cache

_UTC = _dt.UTC


def format_time(t: float) -> str:
    """metav1.Time: second precision, `2026-01-01T00:00:00Z`."""
    return _format_second(int(t))


@lru_cache(maxsize=4096)
def _format_second(second: int) -> str:
    return _dt.datetime.fromtimestamp(second, _UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_micro_time(t: float) -> str:
    """metav1.MicroTime (leases, event series): `2026-01-01T00:00:00.000000Z`."""
    return _dt.datetime.fromtimestamp(t, _UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@lru_cache(maxsize=65536)
def parse_time(value: str) -> float:
    """Parse an RFC 3339 timestamp as written by `format_time`/`format_micro_time` (or by a user)."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    parsed = _dt.datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_UTC)
    return parsed.timestamp()


def parse_go_duration(text: str) -> float:
    """Go `time.ParseDuration` syntax (`1h30m`, `300ms`, `2.5s`) to seconds; a bare number is seconds."""
    units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
    s = text.strip()
    if not s:
        raise ValueError(f'invalid duration "{text}"')
    try:
        return float(s)
    except ValueError:
        pass
    total = 0.0
    i = 0
    sign = 1.0
    if s[0] in "+-":
        sign = -1.0 if s[0] == "-" else 1.0
        i = 1
    if i >= len(s):
        raise ValueError(f'invalid duration "{text}"')
    while i < len(s):
        j = i
        while j < len(s) and (s[j].isdigit() or s[j] == "."):
            j += 1
        if j == i:
            raise ValueError(f'invalid duration "{text}"')
        number = float(s[i:j])
        k = j
        while k < len(s) and not (s[k].isdigit() or s[k] == "."):
            k += 1
        unit = s[j:k]
        if unit not in units:
            problem = f'unknown unit "{unit}"' if unit else "missing unit"
            raise ValueError(f'{problem} in duration "{text}"')
        total += number * units[unit]
        i = k
    return sign * total

def go_duration(seconds: float) -> str:
    """Go's time.Duration.String() for whole seconds: 10s, 1m20s, 5m0s."""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"
