"""Kubernetes `resource.Quantity` parsing and the integer views the control plane uses.

Parsing follows apimachinery `pkg/api/resource/quantity.go` (`parseQuantityString` and
`ParseQuantity`): the same scanner, the same three error messages, values rounded up to
a whole nano unit, and binary-SI values capped at 2^63-1. Values come back as exact
`Fraction`s so sums of container requests stay exact until they are converted once,
the way the scheduler converts a summed `ResourceList`.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

__all__ = [
    "ERR_FORMAT_WRONG",
    "ERR_NUMERIC",
    "ERR_SUFFIX",
    "bytes_value",
    "cpu_millis",
    "format_bytes",
    "format_cpu_millis",
    "nano_value",
    "parse_quantity",
    "scaled_value",
]

_SPLIT_RE = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
ERR_FORMAT_WRONG = f"quantities must match the regular expression '{_SPLIT_RE}'"
ERR_NUMERIC = "unable to parse numeric part of quantity"
ERR_SUFFIX = "unable to parse quantity's suffix"

_DIGITS = frozenset("0123456789")
_SUFFIX_CHARS = frozenset("eEinumkKMGTP")

# (base, exponent); the empty suffix means 10^0.
_DECIMAL_SUFFIXES: dict[str, int] = {
    "n": -9,
    "u": -6,
    "m": -3,
    "": 0,
    "k": 3,
    "M": 6,
    "G": 9,
    "T": 12,
    "P": 15,
    "E": 18,
}
_BINARY_SUFFIXES: dict[str, int] = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}

_NANO = Fraction(1, 10**9)
_MAX_INT64 = 2**63 - 1
_EXPONENT_LIMIT = 1000


def _scan(text: str) -> tuple[bool, str, str, str]:
    """Split `text` into (positive, numerator digits, denominator digits, suffix).

    A hand scanner rather than the regex because apimachinery's scanner is more lenient
    than its own documented regex (".", "1.G" and a bare sign all parse) and we want the
    same answers.
    """
    end = len(text)
    pos = 0
    positive = True
    if text[0] == "-":
        positive = False
        pos = 1
    elif text[0] == "+":
        pos = 1

    while pos < end and text[pos] == "0":
        pos += 1
    if pos >= end:
        return positive, "0", "", ""

    start = pos
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    num = text[start:pos] or "0"
    if pos >= end:
        return positive, num, "", ""

    denom = ""
    if text[pos] == ".":
        pos += 1
        start = pos
        while pos < end and text[pos] in _DIGITS:
            pos += 1
        denom = text[start:pos]
        if pos >= end:
            return positive, num, denom, ""

    suffix_start = pos
    while pos < end and text[pos] in _SUFFIX_CHARS:
        pos += 1
    if pos < end and text[pos] in "+-":
        pos += 1
    while pos < end:
        if text[pos] not in _DIGITS:
            raise ValueError(ERR_FORMAT_WRONG)
        pos += 1
    return positive, num, denom, text[suffix_start:]


def _interpret_suffix(suffix: str) -> tuple[int, int, bool]:
    """(base, exponent, is_binary) for a suffix, or ValueError(ERR_SUFFIX)."""
    exponent = _DECIMAL_SUFFIXES.get(suffix)
    if exponent is not None:
        return 10, exponent, False
    exponent = _BINARY_SUFFIXES.get(suffix)
    if exponent is not None:
        return 2, exponent, True
    if len(suffix) > 1 and suffix[0] in "eE":
        digits = suffix[1:]
        body = digits[1:] if digits[0] in "+-" else digits
        if body and all(c in _DIGITS for c in body):
            return 10, int(digits), False
    raise ValueError(ERR_SUFFIX)


@lru_cache(maxsize=4096)
def _parse_text(text: str) -> Fraction:
    if not text:
        raise ValueError(ERR_FORMAT_WRONG)
    positive, num, denom, suffix = _scan(text)
    base, exponent, binary = _interpret_suffix(suffix)

    mantissa = int(num + denom)
    if exponent < -_EXPONENT_LIMIT:
        # Far below nano resolution: Go rounds any non-zero amount up to 1n.
        value = _NANO if mantissa else Fraction(0)
    elif exponent > _EXPONENT_LIMIT:
        # Go keeps such a value as an unusable decimal; refusing it keeps us from
        # building an astronomically large integer.
        raise ValueError(ERR_NUMERIC)
    else:
        value = Fraction(mantissa, 10 ** len(denom)) * Fraction(base) ** exponent
    if (value / _NANO).denominator != 1:
        # Non-zero amounts below the nano resolution round up, so a request is never lost.
        value = math.ceil(value / _NANO) * _NANO
    if binary and value > _MAX_INT64:
        value = Fraction(_MAX_INT64)
    return value if positive else -value


def parse_quantity(text: str | int | float | Fraction) -> Fraction:
    """Parse a Kubernetes quantity ("100m", "1.5Gi", "1e3", 2, 0.5) into an exact Fraction.

    Numbers are accepted because a YAML manifest often has `cpu: 2`; they are read
    through their JSON spelling like the API server does.
    """
    if isinstance(text, Fraction):
        return text
    if isinstance(text, bool):
        raise ValueError(ERR_FORMAT_WRONG)
    if isinstance(text, int):
        return Fraction(text)
    if isinstance(text, float):
        if not math.isfinite(text):
            raise ValueError(ERR_FORMAT_WRONG)
        return _parse_text(repr(text))
    if not isinstance(text, str):
        raise ValueError(ERR_FORMAT_WRONG)
    return _parse_text(text)


@lru_cache(maxsize=8192)
def _nanos_of_text(text: str) -> int:
    value = _parse_text(text) * 10**9
    # Parsed values are whole nanos, except a binary value capped at 2^63-1 (integral).
    return value.numerator // value.denominator


def nano_value(q: str | int | float | Fraction) -> int:
    """The quantity as an integer count of 10^-9 units, its exact internal resolution.

    Integer nanos let hot paths add requests with plain ints instead of Fractions.
    """
    if isinstance(q, str):
        return _nanos_of_text(q)
    if isinstance(q, int) and not isinstance(q, bool):
        return q * 10**9
    return scaled_value(q, -9)


def scaled_value(q: str | int | float | Fraction, scale: int) -> int:
    """`Quantity.ScaledValue(scale)`: the value in units of 10^scale, rounded away from zero."""
    value = parse_quantity(q) / Fraction(10) ** scale
    if value.denominator == 1:
        return value.numerator
    magnitude = -(-abs(value.numerator) // value.denominator)
    return magnitude if value > 0 else -magnitude


def cpu_millis(q: str | int | float | Fraction) -> int:
    """`Quantity.MilliValue()`: milli-units, rounded up ("1.0001m" -> 2)."""
    return scaled_value(q, -3)


def bytes_value(q: str | int | float | Fraction) -> int:
    """`Quantity.Value()`: whole units, rounded up ("0.5" -> 1)."""
    return scaled_value(q, 0)


def format_cpu_millis(millis: int) -> str:
    """Milli-cpu as kubectl prints it: whole cores without a suffix ("2"), else "250m"."""
    if millis % 1000 == 0:
        return str(millis // 1000)
    return f"{millis}m"


_BINARY_FORMATS = (("Ei", 2**60), ("Pi", 2**50), ("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10))


def format_bytes(n: int) -> str:
    """Bytes with the largest binary suffix that divides them exactly ("128Mi"), else plain."""
    if n != 0:
        for suffix, size in _BINARY_FORMATS:
            if n % size == 0:
                return f"{n // size}{suffix}"
    return str(n)
