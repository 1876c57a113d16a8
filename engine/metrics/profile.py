"""What a simulated container consumes, read from the pod's `sim.k9py.io/*` annotations.

    sim.k9py.io/cpu: "250m"                        # a constant quarter of a core
    sim.k9py.io/memory: "64Mi, 512Mi@10m"          # 64Mi at start, growing linearly to 512Mi ten minutes in
    sim.k9py.io/cpu: "100m, 100m@1m, 900m@1m, 100m@2m"   # a spike one minute in, easing off over a minute
    sim.k9py.io/cost-per-request: "5m"             # each request/s served costs 5m of CPU (5 ms a request)
    sim.k9py.io/cost-per-request: "cpu=5m,memory=512Ki"  # ... and holds 512Ki of memory per request/s

A curve is `VALUE[@TIME], VALUE@TIME, ...`: values (Kubernetes quantities) at times since the container started
(Go durations), joined by straight lines, flat after the last point; the first point may leave out `@0`; two
points at the same time make a step. Every run of a container (a restart) starts its curve again. Load comes on
top of the curve: the requests per second the container serves times its cost per request.

Without annotations a container idles at `1m` of CPU and `8Mi` of memory (metrics-server leaves out containers that
report zero), and each request/s costs `1m` of CPU.
"""

from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Mapping

import attrs

from ..quantity import parse_quantity
from ..timeutil import parse_go_duration

PREFIX = "sim.k9py.io/"
CPU_ANNOTATION = PREFIX + "cpu"
MEMORY_ANNOTATION = PREFIX + "memory"
COST_ANNOTATION = PREFIX + "cost-per-request"
DEFAULT_CPU = "1m"
DEFAULT_MEMORY = "8Mi"
DEFAULT_CPU_PER_REQUEST = "1m"


@attrs.frozen
class Curve:
    """A piecewise-linear function of the seconds since the container started; flat before 0 and after the end.
    `times` never decrease; equal times make a step (the value jumps to the later point's)."""

    times: tuple[float, ...]
    values: tuple[float, ...]

    @classmethod
    def constant(cls, value: float) -> Curve:
        return cls((0.0,), (value,))

    @property
    def is_constant(self) -> bool:
        return len(set(self.values)) == 1

    @property
    def settles_at(self) -> float:
        """From when on the curve stays flat."""
        return self.times[-1]

    def at(self, t: float) -> float:
        times, values = self.times, self.values
        if t >= times[-1]:
            return values[-1]
        if t <= times[0]:
            return values[0]
        i = bisect.bisect_right(times, t)  # times[i-1] <= t < times[i]
        t0, t1 = times[i - 1], times[i]
        v0, v1 = values[i - 1], values[i]
        return v0 + (v1 - v0) * (t - t0) / (t1 - t0)

    def _pieces(self, a: float, b: float) -> list[tuple[float, float, float, float]]:
        """The linear pieces (t0, v0, t1, v1) covering [a, b], each inside one segment of the curve (a step
        belongs to no piece: it is only the end of one and the start of the next)."""
        pieces = []
        for s0, w0, s1, w1 in _segments(self):
            x, y = max(a, s0), min(b, s1)
            if y <= x:
                continue
            if w0 == w1:
                pieces.append((x, w0, y, w0))
            else:
                slope = (w1 - w0) / (s1 - s0)
                pieces.append((x, w0 + slope * (x - s0), y, w0 + slope * (y - s0)))
        return pieces

    def integral(self, a: float, b: float, offset: float = 0.0, cap: float = math.inf) -> float:
        """The integral over [a, b] of min(curve + offset, cap): CPU-seconds used while the limit throttles."""
        if b <= a:
            return 0.0
        if len(self.times) == 1:  # most containers: a constant
            return min(self.values[0] + offset, cap) * (b - a)
        total = 0.0
        for t0, v0, t1, v1 in self._pieces(a, b):
            total += _clipped_area(t0, v0 + offset, t1, v1 + offset, cap)
        return total

    def first_above(self, level: float, offset: float = 0.0, after: float = 0.0) -> float | None:
        """The first time from `after` on when curve + offset exceeds `level`; None if it never does."""
        if self.at(after) + offset > level:
            return after
        for t0, v0, t1, v1 in self._pieces(after, max(after, self.times[-1])):
            if v0 + offset > level:  # just after a step
                return t0
            if v1 + offset > level:
                if v1 == v0:
                    return t0
                return t0 + (level - offset - v0) * (t1 - t0) / (v1 - v0)
        if self.values[-1] + offset > level:
            return max(after, self.times[-1])
        return None


@functools.lru_cache(maxsize=1024)
def _segments(curve: Curve) -> tuple[tuple[float, float, float, float], ...]:
    """The curve's segments (t0, v0, t1, v1), flat ones before its start and after its end included."""
    times, values = curve.times, curve.values
    inner = [(times[k], values[k], times[k + 1], values[k + 1])
             for k in range(len(times) - 1) if times[k] < times[k + 1]]
    return ((-math.inf, values[0], times[0], values[0]), *inner, (times[-1], values[-1], math.inf, values[-1]))


def _clipped_area(t0: float, v0: float, t1: float, v1: float, cap: float) -> float:
    """Area under the segment (t0, v0)-(t1, v1) cut off at `cap`."""
    if v0 <= cap and v1 <= cap:
        return (v0 + v1) / 2 * (t1 - t0)
    if v0 >= cap and v1 >= cap:
        return cap * (t1 - t0)
    cross = t0 + (cap - v0) * (t1 - t0) / (v1 - v0)
    if v0 < cap:
        return (v0 + cap) / 2 * (cross - t0) + cap * (t1 - cross)
    return cap * (cross - t0) + (cap + v1) / 2 * (t1 - cross)


@attrs.frozen
class UsageProfile:
    cpu: Curve  # cores
    memory: Curve  # bytes
    cpu_per_rps: float  # cores per request/s
    memory_per_rps: float  # bytes per request/s


class ProfileError(ValueError):
    """An annotation's value cannot be understood; the message names the annotation."""


def parse_curve(text: str, annotation: str, memory: bool) -> Curve:
    points: list[tuple[float, float]] = []
    for i, item in enumerate(text.split(",")):
        value_text, at, time_text = item.strip().partition("@")
        if not at and i > 0:
            raise ProfileError(f'annotation {annotation}: "{item.strip()}" needs a time: VALUE@TIME, e.g. 512Mi@10m')
        try:
            value = float(parse_quantity(value_text.strip()))
        except ValueError:
            raise ProfileError(f'annotation {annotation}: "{value_text.strip()}" is not a quantity') from None
        try:
            seconds = parse_go_duration(time_text) if at else 0.0
        except ValueError as exc:
            raise ProfileError(f"annotation {annotation}: {exc}") from None
        if value < 0 or seconds < 0:
            raise ProfileError(f'annotation {annotation}: "{item.strip()}" is negative')
        if points and seconds < points[-1][0]:
            raise ProfileError(f'annotation {annotation}: times must not go back ("{item.strip()}")')
        points.append((seconds, float(math.floor(value)) if memory else value))
    return Curve(tuple(t for t, _ in points), tuple(v for _, v in points))


def _parse_cost(text: str) -> tuple[float, float]:
    cpu, memory = float(parse_quantity(DEFAULT_CPU_PER_REQUEST)), 0.0
    if "=" not in text:
        try:
            return float(parse_quantity(text.strip())), 0.0
        except ValueError:
            raise ProfileError(f'annotation {COST_ANNOTATION}: "{text}" is not a quantity') from None
    for item in text.split(","):
        key, _, value = item.partition("=")
        key = key.strip()
        if key not in ("cpu", "memory"):
            raise ProfileError(f'annotation {COST_ANNOTATION}: "{key}" is not one of cpu, memory')
        try:
            amount = float(parse_quantity(value.strip()))
        except ValueError:
            raise ProfileError(f'annotation {COST_ANNOTATION}: "{value.strip()}" is not a quantity') from None
        if key == "cpu":
            cpu = amount
        else:
            memory = amount
    return cpu, memory


@functools.lru_cache(maxsize=1024)
def _profile(cpu: str, memory: str, cost: str) -> UsageProfile:
    cpu_per_rps, memory_per_rps = _parse_cost(cost)
    return UsageProfile(parse_curve(cpu, CPU_ANNOTATION, memory=False),
                        parse_curve(memory, MEMORY_ANNOTATION, memory=True), cpu_per_rps, memory_per_rps)


def profile_of(annotations: Mapping[str, str] | None) -> UsageProfile:
    """The usage profile the pod's annotations describe (memoised: every replica of a template is alike).
    Raises ProfileError for a value it cannot read."""
    ann = annotations or {}
    return _profile(str(ann.get(CPU_ANNOTATION, DEFAULT_CPU)), str(ann.get(MEMORY_ANNOTATION, DEFAULT_MEMORY)),
                    str(ann.get(COST_ANNOTATION, DEFAULT_CPU_PER_REQUEST)))


DEFAULT_PROFILE = profile_of({})
