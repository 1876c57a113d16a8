"""Age strings exactly as kubectl prints them (apimachinery `pkg/util/duration`).

Go computes these on integer nanoseconds with truncating division; we do the same so that
boundary values (119.999s, 2m, 8h-1ms, …) land in the same bucket as upstream.
"""

from __future__ import annotations

from engine.timeutil import parse_time

_NS = 1_000_000_000
_MINUTE = 60 * _NS
_HOUR = 60 * _MINUTE

UNKNOWN = "<unknown>"


def _to_ns(seconds: float) -> int:
    # Rounding (not truncating) absorbs float noise such as 0.1 + 0.2 before bucketing.
    return round(seconds * _NS)


def _whole_seconds(ns: int) -> int:
    # Go's int(d.Seconds()) truncates toward zero, which matters for the -1s tolerance band.
    return int(ns / _NS) if ns < 0 else ns // _NS


def _negative_or_none(ns: int) -> str | None:
    # Up to 2s (exclusive) in the future counts as "now": clocks of different machines drift.
    seconds = _whole_seconds(ns)
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    return None


def human_duration(seconds: float) -> str:
    """HumanDuration: ~2-3 significant figures, e.g. `70s`, `3m10s`, `70m`, `3h1m`, `2d1h`, `2y1d`."""
    ns = _to_ns(seconds)
    early = _negative_or_none(ns)
    if early is not None:
        return early
    if ns < 2 * _MINUTE:
        return f"{ns // _NS}s"
    minutes = ns // _MINUTE
    if minutes < 10:
        return _pair(minutes, "m", (ns // _NS) % 60, "s")
    if minutes < 60 * 3:
        return f"{minutes}m"
    return _human_hours(ns // _HOUR, minutes % 60)


def _human_hours(hours: int, minute_of_hour: int) -> str:
    if hours < 8:
        return _pair(hours, "h", minute_of_hour, "m")
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if hours < 24 * 8:
        return _pair(days, "d", hours % 24, "h")
    if hours < 24 * 365 * 2:
        return f"{days}d"
    years = days // 365
    if hours < 24 * 365 * 8:
        return _pair(years, "y", days % 365, "d")
    return f"{years}y"


def _pair(major: int, major_unit: str, minor: int, minor_unit: str) -> str:
    # Upstream drops a zero minor part: `2m`, not `2m0s`.
    if minor == 0:
        return f"{major}{major_unit}"
    return f"{major}{major_unit}{minor}{minor_unit}"


def short_human_duration(seconds: float) -> str:
    """ShortHumanDuration: one unit only, e.g. `59s`, `1m`, `23h`, `364d`, `2y`."""
    ns = _to_ns(seconds)
    early = _negative_or_none(ns)
    if early is not None:
        return early
    whole = ns // _NS
    if whole < 60:
        return f"{whole}s"
    if ns // _MINUTE < 60:
        return f"{ns // _MINUTE}m"
    hours = ns // _HOUR
    if hours < 24:
        return f"{hours}h"
    if hours < 24 * 365:
        return f"{hours // 24}d"
    return f"{hours // 24 // 365}y"


def timestamp(value: object) -> float | None:
    """Seconds since the epoch for an RFC 3339 string; None for a missing/zero/unparsable time."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = parse_time(value)
    except ValueError:
        return None
    # Go's zero time (0001-01-01) is what a "null" time means to kubectl.
    if parsed <= -62135596800.0:
        return None
    return parsed


def age(value: str | None, now: float) -> str:
    """kubectl's translateTimestampSince: HumanDuration of `now - value`, `<unknown>` when missing."""
    t = timestamp(value)
    if t is None:
        return UNKNOWN
    return human_duration(now - t)
