"""Cron schedules as the CronJob controller reads them: robfig/cron v3's `ParseStandard` and `Schedule.Next`.

The API server validates `spec.schedule` with this parser and the controller computes start times with it, so
its error texts are what `kubectl apply` prints (`expected exactly 5 fields, found 1: [bad]`) and its `Next` decides
when Jobs start, including what it does around daylight-saving changes (robfig/cron spec.go): a wall-clock time
that does not exist (02:30 on a spring-forward night) is skipped, and an hour that happens twice runs twice for
an hourly schedule.

Times are Unix seconds (floats from the engine's clock). Go's time arithmetic that `Next` relies on is mirrored
here on whole seconds: `time.Date` normalising overflowing fields and resolving a wall time in a zone, `AddDate`,
`Truncate`. A schedule without a time zone runs in the controller's local zone, which is UTC here (as in a
kube-controller-manager container).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import time as _time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from .timeutil import parse_go_duration

Location = _dt.tzinfo | None  # None: UTC (the controller's Local)

STAR_BIT = 1 << 63  # set when a field was written `*` or `?`: it changes how day-of-month and day-of-week combine


class CronError(ValueError):
    """A schedule robfig/cron refuses; str() is its error text, which the API server prints after the value."""


@attrs.frozen
class _Bounds:
    low: int
    high: int
    names: dict[str, int] | None = None


MINUTES = _Bounds(0, 59)
HOURS = _Bounds(0, 23)
DOM = _Bounds(1, 31)
MONTHS = _Bounds(1, 12, {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8,
                         "sep": 9, "oct": 10, "nov": 11, "dec": 12})
DOW = _Bounds(0, 6, {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6})


# =========================================================================== time zones


def load_location(name: str) -> Location:
    """Go's time.LoadLocation: "" and "UTC" are UTC; an unknown name raises with Go's message."""
    if name in ("", "UTC"):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError, IsADirectoryError) as exc:
        raise CronError(f"unknown time zone {name}") from exc


def _offset(u: int, loc: Location) -> int:
    if loc is None:
        return 0
    off = _dt.datetime.fromtimestamp(u, loc).utcoffset()
    return int(off.total_seconds()) if off is not None else 0


@attrs.frozen
class _Wall:
    """The wall-clock fields of an instant in a zone (Go's t.Year(), t.Month(), ...; weekday 0 = Sunday)."""

    year: int
    month: int
    day: int
    hour: int
    minute: int
    second: int
    weekday: int


def _wall(u: int, loc: Location) -> _Wall:
    if loc is None:
        g = _time.gmtime(u)
        return _Wall(g.tm_year, g.tm_mon, g.tm_mday, g.tm_hour, g.tm_min, g.tm_sec, (g.tm_wday + 1) % 7)
    d = _dt.datetime.fromtimestamp(u, loc)
    return _Wall(d.year, d.month, d.day, d.hour, d.minute, d.second, (d.weekday() + 1) % 7)


def go_date(year: int, month: int, day: int, hour: int, minute: int, second: int, loc: Location) -> int:
    """Go's time.Date: fields may overflow (month 13, day 32) and are normalised; a wall time a DST change skips or
    repeats is resolved the way Go resolves it (the offset in force at the wall time read as UTC, unless the
    resulting instant lies outside that offset's period)."""
    months = year * 12 + (month - 1)
    year, month0 = divmod(months, 12)
    days = _days_from_civil(year, month0 + 1, 1) + (day - 1)
    wall = days * 86400 + hour * 3600 + minute * 60 + second
    if loc is None:
        return wall
    offset = _offset(wall, loc)
    if offset:
        utc = wall - offset
        if _offset(utc, loc) != offset:
            offset = _offset(utc, loc)
    return wall - offset


def _days_from_civil(year: int, month: int, day: int) -> int:
    # Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
    year -= month <= 2
    era = (year if year >= 0 else year - 399) // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _add_date(u: int, loc: Location, months: int = 0, days: int = 0) -> int:
    w = _wall(u, loc)
    return go_date(w.year, w.month + months, w.day + days, w.hour, w.minute, w.second, loc)


# =========================================================================== schedules


@attrs.frozen
class SpecSchedule:
    """A crontab line as bit sets (robfig's SpecSchedule; the seconds field is always 0 for ParseStandard)."""

    minute: int
    hour: int
    dom: int
    month: int
    dow: int
    location: Location = None

    def _day_matches(self, w: _Wall) -> bool:
        dom_match = bool((1 << w.day) & self.dom)
        dow_match = bool((1 << w.weekday) & self.dow)
        # Both restricted: either may match (Vixie cron); one of them `*`: both must.
        if self.dom & STAR_BIT or self.dow & STAR_BIT:
            return dom_match and dow_match
        return dom_match or dow_match

    def next(self, t: float) -> float | None:
        """The first activation strictly after `t`, or None (Go's zero time) if none within five years."""
        loc = self.location
        u = math.floor(t) + 1  # the upcoming whole second
        added = False
        year_limit = _wall(u, loc).year + 5
        while True:  # WRAP: a field wrapped around, so every coarser field is checked again
            w = _wall(u, loc)
            if w.year > year_limit:
                return None
            wrapped = False
            while not (1 << w.month) & self.month:
                if not added:
                    added = True
                    u = go_date(w.year, w.month, 1, 0, 0, 0, loc)
                u = _add_date(u, loc, months=1)
                w = _wall(u, loc)
                if w.month == 1:
                    wrapped = True
                    break
            if wrapped:
                continue
            while not self._day_matches(w):
                if not added:
                    added = True
                    u = go_date(w.year, w.month, w.day, 0, 0, 0, loc)
                u = _add_date(u, loc, days=1)
                w = _wall(u, loc)
                # A DST change can move "midnight" to 23:00 or 01:00 (robfig/cron issue 157): back to midnight.
                if w.hour != 0:
                    u += (24 - w.hour) * 3600 if w.hour > 12 else -w.hour * 3600
                    w = _wall(u, loc)
                if w.day == 1:
                    wrapped = True
                    break
            if wrapped:
                continue
            while not (1 << w.hour) & self.hour:
                if not added:
                    added = True
                    u = go_date(w.year, w.month, w.day, w.hour, 0, 0, loc)
                u += 3600
                w = _wall(u, loc)
                if w.hour == 0:
                    wrapped = True
                    break
            if wrapped:
                continue
            while not (1 << w.minute) & self.minute:
                if not added:
                    added = True
                    u -= u % 60  # t.Truncate(time.Minute)
                u += 60
                w = _wall(u, loc)
                if w.minute == 0:
                    wrapped = True
                    break
            if wrapped:
                continue
            if w.second != 0:
                # The seconds field is "0": robfig steps a second at a time until it wraps to 0, then re-checks.
                added = True
                u += 60 - w.second
                continue
            return float(u)


@attrs.frozen
class ConstantDelaySchedule:
    """`@every <duration>`: whole seconds, at least one (robfig's Every)."""

    delay: int

    def next(self, t: float) -> float | None:
        return float(math.floor(t) + self.delay)


Schedule = SpecSchedule | ConstantDelaySchedule


def _parse_int(expr: str) -> int:
    # Go's strconv.Atoi: optional sign, ASCII digits only.
    if not re.fullmatch(r"[+-]?[0-9]+", expr):
        raise CronError(f'failed to parse int from {expr}: strconv.Atoi: parsing "{expr}": invalid syntax')
    num = int(expr)
    if num < 0:
        raise CronError(f"negative number ({num}) not allowed: {expr}")
    return num


def _parse_int_or_name(expr: str, names: dict[str, int] | None) -> int:
    if names is not None and expr.lower() in names:
        return names[expr.lower()]
    return _parse_int(expr)


def _bits(low: int, high: int, step: int) -> int:
    bits = 0
    for i in range(low, high + 1, step):
        bits |= 1 << i
    return bits


def _range(expr: str, r: _Bounds) -> int:
    range_and_step = expr.split("/")
    low_high = range_and_step[0].split("-")
    single = len(low_high) == 1
    extra = 0
    if low_high[0] in ("*", "?"):
        start, end, extra = r.low, r.high, STAR_BIT
    else:
        start = _parse_int_or_name(low_high[0], r.names)
        if len(low_high) == 1:
            end = start
        elif len(low_high) == 2:
            end = _parse_int_or_name(low_high[1], r.names)
        else:
            raise CronError(f"too many hyphens: {expr}")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _parse_int(range_and_step[1])
        if single:  # "N/step" means "N-max/step"
            end = r.high
        if step > 1:
            extra = 0
    else:
        raise CronError(f"too many slashes: {expr}")
    if start < r.low:
        raise CronError(f"beginning of range ({start}) below minimum ({r.low}): {expr}")
    if end > r.high:
        raise CronError(f"end of range ({end}) above maximum ({r.high}): {expr}")
    if start > end:
        raise CronError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise CronError(f"step of range should be a positive number: {expr}")
    return _bits(start, end, step) | extra


def _field(field: str, r: _Bounds) -> int:
    bits = 0
    for expr in (part for part in field.split(",") if part):
        bits |= _range(expr, r)
    return bits


def _all(r: _Bounds) -> int:
    return _bits(r.low, r.high, 1) | STAR_BIT


_DESCRIPTORS: dict[str, tuple[int, int, int, int, int]] = {
    "@yearly": (1, 1, 1 << 1, 1 << 1, _all(DOW)),
    "@annually": (1, 1, 1 << 1, 1 << 1, _all(DOW)),
    "@monthly": (1, 1, 1 << 1, _all(MONTHS), _all(DOW)),
    "@weekly": (1, 1, _all(DOM), _all(MONTHS), 1 << 0),
    "@daily": (1, 1, _all(DOM), _all(MONTHS), _all(DOW)),
    "@midnight": (1, 1, _all(DOM), _all(MONTHS), _all(DOW)),
    "@hourly": (1, _all(HOURS), _all(DOM), _all(MONTHS), _all(DOW)),
}


def _go_fields(fields: list[str]) -> str:
    # Go's %s of a []string: "[a b c]".
    return "[" + " ".join(fields) + "]"


def parse_standard(spec: str) -> Schedule:
    """robfig/cron's ParseStandard: five fields or a descriptor, optionally after `TZ=<zone> `/`CRON_TZ=<zone> `."""
    if not spec:
        raise CronError("empty spec string")
    loc: Location = None
    if spec.startswith(("TZ=", "CRON_TZ=")):
        space, eq = spec.find(" "), spec.find("=")
        if space < 0:
            # Go slices spec[eq+1:-1] and panics; the API server recovers and reports the panic.
            raise CronError("invalid schedule format: runtime error: slice bounds out of range [:-1]")
        name = spec[eq + 1:space]
        try:
            loc = load_location(name)
        except CronError as exc:
            raise CronError(f"provided bad location {name}: {exc}") from exc
        spec = spec[space:].strip()
    if spec.startswith("@"):
        return _parse_descriptor(spec, loc)
    fields = spec.split()
    if len(fields) != 5:
        raise CronError(f"expected exactly 5 fields, found {len(fields)}: {_go_fields(fields)}")
    return SpecSchedule(
        minute=_field(fields[0], MINUTES), hour=_field(fields[1], HOURS), dom=_field(fields[2], DOM),
        month=_field(fields[3], MONTHS), dow=_field(fields[4], DOW), location=loc,
    )


def _parse_descriptor(descriptor: str, loc: Location) -> Schedule:
    found = _DESCRIPTORS.get(descriptor)
    if found is not None:
        minute, hour, dom, month, dow = found
        return SpecSchedule(minute=minute, hour=hour, dom=dom, month=month, dow=dow, location=loc)
    every = "@every "
    if descriptor.startswith(every):
        text = descriptor[len(every):]
        try:
            if re.fullmatch(r"[+-]?[0-9.]+", text) and text.lstrip("+-") != "0":
                raise ValueError(f'missing unit in duration "{text}"')  # Go wants a unit on all but "0"
            seconds = parse_go_duration(text)
        except ValueError as exc:
            raise CronError(f"failed to parse duration {descriptor}: time: {exc}") from exc
        # Every(): under a second counts as one second; a fraction of a second is dropped.
        return ConstantDelaySchedule(delay=max(1, int(seconds)))
    raise CronError(f"unrecognized descriptor: {descriptor}")


def with_time_zone(spec: str, time_zone: str | None) -> str:
    """The controller's formatSchedule: a CronJob's timeZone becomes a `TZ=` prefix (an unknown zone is left out,
    the controller reports it separately)."""
    if "TZ" in spec or time_zone is None:
        return spec
    try:
        load_location(time_zone)
    except CronError:
        return spec
    return f"TZ={time_zone} {spec}"


def format_rfc3339(t: float, loc: Location) -> str:
    """Go's t.In(loc).Format(time.RFC3339): `2026-01-01T00:00:00Z`, or with the zone's offset (`+01:00`)."""
    u = math.floor(t)
    offset = _offset(u, loc)
    w = _wall(u, loc)
    base = f"{w.year:04d}-{w.month:02d}-{w.day:02d}T{w.hour:02d}:{w.minute:02d}:{w.second:02d}"
    if offset == 0:
        return base + "Z"  # Go prints Z for any zero offset
    sign = "+" if offset > 0 else "-"
    hours, minutes = divmod(abs(offset) // 60, 60)
    return f"{base}{sign}{hours:02d}:{minutes:02d}"


__all__ = ["ConstantDelaySchedule", "CronError", "Location", "Schedule", "SpecSchedule", "format_rfc3339", "go_date",
           "load_location", "parse_standard", "with_time_zone"]
