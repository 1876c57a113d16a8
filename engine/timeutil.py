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


RFC3339_LAYOUT = "2006-01-02T15:04:05Z07:00"
_RFC3339_ELEMENTS = (("2006", 4), ("-", 0), ("01", 2), ("-", 0), ("02", 2), ("T", 0), ("15", 0), (":", 0),
                     ("04", 2), (":", 0), ("05", 2))
_RANGES = {"01": (1, 12, "month"), "15": (0, 23, "hour"), "04": (0, 59, "minute"), "05": (0, 59, "second")}


def parse_rfc3339(value: str) -> float:
    """Go's `time.Parse(time.RFC3339, value)` (a metav1.Time query parameter such as `sinceTime`): fractional
    seconds allowed, and ValueError in Go's own words when the value does not fit the layout."""
    def cannot(rest: str, element: str) -> ValueError:
        return ValueError(f'parsing time "{value}" as "{RFC3339_LAYOUT}": cannot parse "{rest}" as "{element}"')

    numbers: dict[str, int] = {}
    rest = value
    for element, digits in _RFC3339_ELEMENTS:
        if not element.isdigit():  # a literal of the layout
            if not rest.startswith(element):
                raise cannot(rest, element)
            rest = rest[len(element):]
            continue
        # The hour ("15") takes one or two digits; the other numbers exactly as many as the layout shows.
        width = digits or (2 if rest[1:2].isdigit() else 1)
        if not rest[:width].isdigit() or len(rest) < width:
            raise cannot(rest, element)
        numbers[element], rest = int(rest[:width]), rest[width:]
        low, high, name = _RANGES.get(element, (0, 9999, ""))
        if not low <= numbers[element] <= high:
            raise ValueError(f'parsing time "{value}": {name} out of range')
    fraction = ""
    if rest[:1] in (".", ",") and rest[1:2].isdigit():
        end = 1
        while rest[end:end + 1].isdigit():
            end += 1
        fraction, rest = rest[1:end], rest[end:]
    if rest.startswith("Z"):
        offset, rest = 0, rest[1:]
    elif len(rest) >= 6 and rest[0] in "+-" and rest[1:3].isdigit() and rest[3] == ":" and rest[4:6].isdigit():
        offset = (int(rest[1:3]) * 3600 + int(rest[4:6]) * 60) * (-1 if rest[0] == "+" else 1)
        rest = rest[6:]
    else:
        raise cannot(rest, "Z07:00")
    if rest:
        raise ValueError(f'parsing time "{value}": extra text: "{rest}"')
    try:
        day = _dt.datetime(numbers["2006"], numbers["01"], numbers["02"], numbers["15"], numbers["04"],
                           numbers["05"], tzinfo=_UTC)
    except ValueError:
        raise ValueError(f'parsing time "{value}": day out of range') from None
    return day.timestamp() + offset + (float(f"0.{fraction}") if fraction else 0.0)


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
