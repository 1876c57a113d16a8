"""Go's `strconv.ParseInt(s, 10, 64)` / `Atoi` / `ParseUint`, with their error messages.

Kubernetes echoes these errors where a number arrives as text (a revision annotation, a query parameter such as
`tailLines`), and Python's int() is laxer than Go's (spaces, underscores), so it accepts what Go refuses.
"""

from __future__ import annotations

import re

from .quoting import go_quote

_INT = re.compile(r"[+-]?[0-9]+\Z")
_UINT = re.compile(r"[0-9]+\Z")
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def parse_int(text: str, func: str = "ParseInt") -> int:
    """A base-10 int64, or ValueError in Go's words (`strconv.ParseInt: parsing "abc": invalid syntax`)."""
    if not _INT.match(text):
        raise ValueError(f"strconv.{func}: parsing {go_quote(text)}: invalid syntax")
    value = int(text)
    if not INT64_MIN <= value <= INT64_MAX:
        raise ValueError(f"strconv.{func}: parsing {go_quote(text)}: value out of range")
    return value


def parse_uint(text: str, bits: int = 64) -> int:
    """`strconv.ParseUint(text, 10, bits)`: no sign allowed, ValueError in Go's words."""
    if not _UINT.match(text):
        raise ValueError(f"strconv.ParseUint: parsing {go_quote(text)}: invalid syntax")
    value = int(text)
    if value >= 2**bits:
        raise ValueError(f"strconv.ParseUint: parsing {go_quote(text)}: value out of range")
    return value
