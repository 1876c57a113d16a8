"""Shell arithmetic, `$((expression))`, as POSIX sh defines it: signed 64-bit integers, C's operators and their
precedence, variables read by name (unset or empty is 0). Assignment operators (`=`, `+=`, `++`) and `?:` are not
simulated: they are an error that says so. Used by shell.py for loops like `i=$((i+1))`."""

from __future__ import annotations

import re
from collections.abc import Callable

_TOKEN = re.compile(r"\s*(?:(0[xX][0-9a-fA-F]+|\d+)|([A-Za-z_][A-Za-z0-9_]*)|"
                    r"(\*\*|<<|>>|<=|>=|==|!=|&&|\|\||\+\+|--|[-+*/%()<>!~&|^=?:]))")
# Binary operators from the lowest precedence to the highest (C's table; `**` is bash's).
_LEVELS: tuple[tuple[str, ...], ...] = (("||",), ("&&",), ("|",), ("^",), ("&",), ("==", "!="),
                                        ("<", ">", "<=", ">="), ("<<", ">>"), ("+", "-"), ("*", "/", "%"), ("**",))
_MASK = (1 << 64) - 1
MAX_DEPTH = 16  # a variable naming a variable naming ...: a shell gives up somewhere too


class ArithError(Exception):
    """`kind`: "syntax", "division" (by zero) or "unsupported"."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(kind, detail)
        self.kind = kind
        self.detail = detail


def _wrap(value: int) -> int:
    value &= _MASK
    return value - (1 << 64) if value >> 63 else value


def _divide(a: int, b: int, op: str) -> int:
    if b == 0:
        raise ArithError("division")
    quotient = abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1)  # C truncates toward zero
    return quotient if op == "/" else a - b * quotient


def _binary(op: str, a: int, b: int) -> int:
    if op in ("/", "%"):
        return _divide(a, b, op)
    if op == "**":
        if b < 0:
            raise ArithError("syntax", "exponent less than 0")
        return pow(a, b, 1 << 64)
    if op in ("<<", ">>"):
        return a << (b & 63) if op == "<<" else a >> (b & 63)
    table: dict[str, Callable[[int, int], int]] = {
        "||": lambda x, y: int(bool(x) or bool(y)), "&&": lambda x, y: int(bool(x) and bool(y)),
        "|": lambda x, y: x | y, "^": lambda x, y: x ^ y, "&": lambda x, y: x & y,
        "==": lambda x, y: int(x == y), "!=": lambda x, y: int(x != y), "<": lambda x, y: int(x < y),
        ">": lambda x, y: int(x > y), "<=": lambda x, y: int(x <= y), ">=": lambda x, y: int(x >= y),
        "+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y}
    return table[op](a, b)


def evaluate(expression: str, lookup: Callable[[str], str | None], depth: int = 0) -> int:
    """The value of an arithmetic expression whose `$` expansions are already done; `lookup` reads a variable."""
    tokens: list[str] = []
    kinds: list[str] = []
    pos = 0
    text = expression.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise ArithError("syntax", text[pos:].strip())
        number, name, op = match.groups()
        if op in ("=", "?", ":", "++", "--"):
            raise ArithError("unsupported", op)
        tokens.append(number or name or op)
        kinds.append("num" if number else "name" if name else "op")
        pos = match.end()
    at = 0

    def peek() -> str | None:
        return tokens[at] if at < len(tokens) and kinds[at] == "op" else None

    def primary() -> int:
        nonlocal at
        if at >= len(tokens):
            raise ArithError("syntax", "")
        token, kind = tokens[at], kinds[at]
        at += 1
        if kind == "num":
            return _wrap(int(token, 16) if token[:2].lower() == "0x" else
                         int(token, 8) if token.startswith("0") and len(token) > 1 else int(token))
        if kind == "name":
            value = (lookup(token) or "").strip()
            if not value:
                return 0
            if depth >= MAX_DEPTH:
                raise ArithError("syntax", value)
            return evaluate(value, lookup, depth + 1)
        if token in ("-", "+", "!", "~"):
            operand = primary()
            return _wrap({"-": -operand, "+": operand, "!": int(not operand), "~": ~operand}[token])
        if token == "(":
            value = binary(0)
            if peek() != ")":
                raise ArithError("syntax", tokens[at] if at < len(tokens) else "")
            at += 1
            return value
        raise ArithError("syntax", token)

    def binary(level: int) -> int:
        nonlocal at
        if level == len(_LEVELS):
            return primary()
        left = binary(level + 1)
        while (op := peek()) in _LEVELS[level]:
            at += 1
            left = _wrap(_binary(op, left, binary(level + 1)))
        return left

    if not tokens:
        return 0  # `$(( ))` is 0
    value = binary(0)
    if at != len(tokens):
        raise ArithError("syntax", tokens[at])
    return value
