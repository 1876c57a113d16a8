"""Go's `%q` (strconv.Quote), which Kubernetes uses wherever it echoes user text in a message.

A name or value holding control characters (an escape sequence, a bell, a NUL) must never reach a terminal
raw: `pods "bad\\x1b[31m" not found` is what kubectl prints, and so must k9py.
"""

from __future__ import annotations

import unicodedata
from typing import Any

_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v",
            "\\": "\\\\", '"': '\\"'}


def _printable(ch: str) -> bool:
    """unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space (not other spaces)."""
    return ch == " " or unicodedata.category(ch)[0] in "LMNPS"


def go_quote(value: Any) -> str:
    """`value` (made a string) as Go's %q prints it: double quotes, backslash escapes for what is not printable."""
    text = value if isinstance(value, str) else str(value)
    if text.isascii() and text.isprintable():
        # The common case (every valid name): only quotes and backslashes need escaping.
        if '"' not in text and "\\" not in text:
            return f'"{text}"'
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    out = ['"']
    for ch in text:
        escape = _ESCAPES.get(ch)
        if escape is not None:
            out.append(escape)
        elif _printable(ch):
            out.append(ch)
        else:
            code = ord(ch)
            if code < 0x80:
                out.append(f"\\x{code:02x}")
            elif code < 0x10000:
                out.append(f"\\u{code:04x}")
            else:
                out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)
