"""Kubernetes `resource.Quantity`: the one parser, its canonical form, and the integer views.

Parsing follows apimachinery `pkg/api/resource/quantity.go` (`parseQuantityString` and
`ParseQuantity`): the same scanner, the same three error messages, values rounded up to
a whole nano unit, and binary-SI values capped at 2^63-1. Values come back as exact
`Fraction`s so sums of container requests stay exact until they are converted once,
the way the scheduler converts a summed `ResourceList`.

`Quantity` adds the format a value was written in (DecimalSI, BinarySI, DecimalExponent)
and prints the canonical form the API server stores (`CanonicalizeBytes`): "0.5" is
"500m", "1.5Gi" is "1536Mi", "1000m" is "1". `canonical_quantity` is that round trip for
a value found in a manifest.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache, total_ordering
from typing import Any

__all__ = [
    "BINARY_SI",
    "DECIMAL_EXPONENT",
    "DECIMAL_SI",
    "ERR_FORMAT_WRONG",
    "ERR_NUMERIC",
    "ERR_SUFFIX",
    "Quantity",
    "bytes_value",
    "canonical_quantity",
    "cpu_millis",
    "format_bytes",
    "format_cpu_millis",
    "json_number_text",
    "nano_value",
    "parse_quantity",
    "round_up",
    "scaled_value",
]

_SPLIT_RE = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
ERR_FORMAT_WRONG = f"quantities must match the regular expression '{_SPLIT_RE}'"
ERR_NUMERIC = "unable to parse numeric part of quantity"
ERR_SUFFIX = "unable to parse quantity's suffix"

# resource.Format: how a quantity was written, and so how it is printed again.
DECIMAL_SI = "DecimalSI"  # 12M (12 * 10^6)
BINARY_SI = "BinarySI"  # 12Mi (12 * 2^20)
DECIMAL_EXPONENT = "DecimalExponent"  # 12e6

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


# Go's fast path keeps a decimal mantissa in an int64 when it has at most this many digits.
_MAX_INT64_FACTORS = 18


def _keeps_text(num: str, denom: str, exponent: int, binary: bool) -> bool:
    """Whether `ParseQuantity` keeps the input itself as the quantity's string.

    Go's int64 fast path remembers the text when it already looks canonical: a decimal
    mantissa without a leading zero or a trailing "000" at a power-of-1000 scale, or a
    binary amount not divisible by 8. Such text is stored and printed as written, sign
    and exponent spelling included ("+1", "1E3", "05"); everything else is re-emitted
    in canonical form.
    """
    if binary:
        if denom:
            return False
        # 1Mi has about 6 decimal digits: float32(exponent)*3/10 truncated, as Go computes it.
        if 15 - len(num) - (exponent * 3) // 10 - 1 < 0:
            return False
        return int(num) & 0x07 != 0
    if _MAX_INT64_FACTORS - (len(num) + len(denom)) < 0:
        return False
    scale = exponent - len(denom)
    if scale < -9:
        return False
    shifted = num + denom
    return scale % 3 == 0 and not shifted.endswith("000") and shifted[0] != "0"


@lru_cache(maxsize=4096)
def _parse_full(text: str) -> tuple[Fraction, str, bool]:
    """(exact value, format, whether the text is kept as the canonical string)."""
    if not text:
        raise ValueError(ERR_FORMAT_WRONG)
    if text == "0":
        return Fraction(0), DECIMAL_SI, True
    positive, num, denom, suffix = _scan(text)
    base, exponent, binary = _interpret_suffix(suffix)
    if binary:
        fmt = BINARY_SI
    elif suffix[:1] in ("e", "E") and suffix not in _DECIMAL_SUFFIXES:
        fmt = DECIMAL_EXPONENT
    else:
        fmt = DECIMAL_SI

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
    keeps = _keeps_text(num, denom, exponent, binary)
    if (value / _NANO).denominator != 1:
        # Non-zero amounts below the nano resolution round up, so a request is never lost.
        value = math.ceil(value / _NANO) * _NANO
    if binary and value > _MAX_INT64:
        value = Fraction(_MAX_INT64)
    if binary and 0 < value < 1:
        # "This avoids rounding and hopefully confusion, too."
        fmt = DECIMAL_SI
    return (value if positive else -value), fmt, keeps


def _parse_text(text: str) -> Fraction:
    return _parse_full(text)[0]


def json_number_text(number: int | float) -> str:
    """A YAML/JSON number as encoding/json spells it, which is what `Quantity.UnmarshalJSON` parses.

    kubectl turns YAML into JSON with Go's encoder: integers as written, floats in plain
    decimal between 1e-6 and 1e21 ("0.5", "1000000000") and in exponent form outside it
    ("1e+21", "1e-7").
    """
    if isinstance(number, bool) or not isinstance(number, int | float):
        raise ValueError(ERR_FORMAT_WRONG)
    if isinstance(number, int):
        return str(number)
    if not math.isfinite(number):
        raise ValueError(ERR_FORMAT_WRONG)
    if number == 0 or 1e-6 <= abs(number) < 1e21:
        text = format(Decimal(repr(number)), "f")
        return text[:-2] if text.endswith(".0") else text
    mantissa, _, exp = repr(number).partition("e")
    sign = exp[0] if exp[:1] in ("+", "-") else "+"
    digits = exp.lstrip("+-").lstrip("0") or "0"
    if sign == "+" and len(digits) < 2:
        digits = digits.rjust(2, "0")  # strconv's 'e' keeps two exponent digits; json trims only "e-0N"
    return f"{mantissa}e{sign}{digits}"


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
        return _parse_text(json_number_text(text))
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


# ------------------------------------------------------------------ Quantity and its canonical form

_DECIMAL_BY_EXPONENT = {exponent: suffix for suffix, exponent in _DECIMAL_SUFFIXES.items()}
_BINARY_BY_POWER = {exponent // 10: suffix for suffix, exponent in _BINARY_SUFFIXES.items()}
_BINARY_BY_POWER[0] = ""


def _canonical_decimal(value: Fraction, fmt: str) -> str:
    """`AsCanonicalBytes`: every factor of ten into the exponent, then down to a multiple of 3."""
    nanos = value * 10**9
    mantissa = nanos.numerator // nanos.denominator
    if nanos.denominator != 1:  # not reachable from parsing; round away from zero like RoundUp
        mantissa = -((-abs(nanos.numerator)) // nanos.denominator) * (1 if value > 0 else -1)
    exponent = -9
    while mantissa % 10 == 0:
        mantissa //= 10
        exponent += 1
    shift = exponent % 3  # Python's modulo floors, so -1 becomes -3 and 2 becomes 0
    mantissa *= 10**shift
    exponent -= shift
    if fmt == DECIMAL_SI and exponent in _DECIMAL_BY_EXPONENT:
        return f"{mantissa}{_DECIMAL_BY_EXPONENT[exponent]}"
    # DecimalExponent, or a DecimalSI value past "E" (10^18), which has no suffix.
    return f"{mantissa}e{exponent}" if exponent else str(mantissa)


def _canonical(value: Fraction, fmt: str) -> str:
    """`Quantity.CanonicalizeBytes`: no precision lost, no fractional digits, the largest suffix."""
    if value == 0:
        return "0"
    if fmt == BINARY_SI:
        if -1024 < value < 1024 or value.denominator != 1:
            # Small or fractional binary amounts print as DecimalSI rather than round.
            return _canonical_decimal(value, DECIMAL_SI)
        mantissa, power = value.numerator, 0
        while mantissa % 1024 == 0 and power < 6:  # "Ei" is the largest binary suffix
            mantissa //= 1024
            power += 1
        return f"{mantissa}{_BINARY_BY_POWER[power]}"
    if fmt not in (DECIMAL_SI, DECIMAL_EXPONENT):
        fmt = DECIMAL_EXPONENT  # Go's default branch, for an unset Format
    return _canonical_decimal(value, fmt)


@total_ordering
class Quantity:
    """An immutable `resource.Quantity`: an exact value, the format it prints in, its canonical text.

    Compares by value, like `Quantity.Cmp` ("1" == "1000m"). `+` follows `Quantity.Add`:
    the sum keeps the left operand's format unless the left operand is zero.
    """

    __slots__ = ("_text", "format", "value")

    value: Fraction
    format: str
    _text: str | None

    def __init__(self, value: Fraction | int = 0, fmt: str = DECIMAL_SI, *, _text: str | None = None) -> None:
        object.__setattr__(self, "value", Fraction(value))
        object.__setattr__(self, "format", fmt)
        object.__setattr__(self, "_text", _text)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Quantity is immutable")

    @classmethod
    def parse(cls, raw: Any) -> Quantity:
        """`ParseQuantity` for text; a YAML/JSON number is read through its JSON spelling.

        Raises ValueError with apimachinery's message for anything else.
        """
        if isinstance(raw, Quantity):
            return raw
        if isinstance(raw, str):
            return _parse_cached(raw)
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            return _parse_cached(json_number_text(raw))
        raise ValueError(ERR_FORMAT_WRONG)

    @classmethod
    def milli(cls, millis: int, fmt: str = DECIMAL_SI) -> Quantity:
        """`NewMilliQuantity`."""
        return cls(Fraction(millis, 1000), fmt)

    def __str__(self) -> str:
        text = self._text
        if text is None:
            text = _canonical(self.value, self.format)
            object.__setattr__(self, "_text", text)
        return text

    def __repr__(self) -> str:
        return f"Quantity({str(self)!r})"

    def __add__(self, other: Quantity) -> Quantity:
        if not isinstance(other, Quantity):
            return NotImplemented
        fmt = other.format if self.value == 0 else self.format
        return Quantity(self.value + other.value, fmt)

    def __neg__(self) -> Quantity:
        return Quantity(-self.value, self.format)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Quantity):
            return self.value == other.value
        return NotImplemented

    def __lt__(self, other: Quantity) -> bool:
        if isinstance(other, Quantity):
            return self.value < other.value
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.value)

    def __bool__(self) -> bool:
        return self.value != 0

    def is_zero(self) -> bool:
        return self.value == 0

    def scaled_value(self, scale: int) -> int:
        """`ScaledValue`: the value in units of 10^scale, rounded away from zero."""
        return scaled_value(self.value, scale)

    def milli_value(self) -> int:
        """`MilliValue`: ceil(q * 1000)."""
        return scaled_value(self.value, -3)

    def int_value(self) -> int:
        """`Value`: whole units, rounded away from zero."""
        return scaled_value(self.value, 0)


@lru_cache(maxsize=8192)
def _parse_cached(text: str) -> Quantity:
    value, fmt, keeps = _parse_full(text)
    return Quantity(value, fmt, _text=text if keeps else None)


def round_up(q: Quantity, scale: int) -> Quantity:
    """`Quantity.RoundUp(scale)`: to a multiple of 10^scale, away from zero; unchanged when already one."""
    unit = Fraction(10) ** scale
    steps = q.value / unit
    if steps.denominator == 1:
        return q
    return Quantity(scaled_value(q.value, scale) * unit, q.format)


def canonical_quantity(raw: Any, *, resource_list: bool = False) -> str:
    """The string the API server stores for a quantity found in a request body.

    `Quantity.UnmarshalJSON` trims the spaces around a string and parses a bare number
    as written in JSON; the stored value is then `Quantity.String()`. With
    `resource_list`, the value is also rounded up to a whole milli-unit, as
    `SetDefaults_ResourceList` does to every v1 ResourceList ("1e-7" is stored as
    "1e-3"). Raises ValueError (apimachinery's message) when the value is not a quantity.
    """
    if isinstance(raw, str):
        return _canonical_text(raw, resource_list)
    q = Quantity.parse(raw)
    if resource_list:
        q = round_up(q, -3)
    return str(q)


@lru_cache(maxsize=8192)
def _canonical_text(raw: str, resource_list: bool) -> str:
    # Every pod a controller creates repeats its template's values: remember the answer.
    q = Quantity.parse(raw.strip())
    if resource_list:
        q = round_up(q, -3)
    return str(q)
