"""What ConfigMaps and Secrets share: data-key validation, the `immutable` flag, Go's base64 decoding."""

from __future__ import annotations

import string
from typing import Any

from .. import errors
from . import validation as v
from .registry import FieldErrors, Obj

MAX_SIZE = 1024 * 1024  # MaxSecretSize, also the limit for a ConfigMap's data
_ALPHABET = frozenset(string.ascii_letters + string.digits + "+/")
IMMUTABLE_MSG = "field is immutable when `immutable` is set"


def base64_error(text: str) -> int | None:
    """Where Go's base64.StdEncoding.DecodeString would fail (its CorruptInputError offset), or None.

    Newlines are skipped; padding is required; anything after the padding is an error.
    """
    n = len(text)
    si = 0
    while si < n:
        j = 0
        while j < 4:
            if si == n:
                return None if j == 0 else si - j
            ch = text[si]
            si += 1
            if ch in _ALPHABET:
                j += 1
                continue
            if ch in "\r\n":
                continue
            if ch != "=" or j < 2:
                return si - 1
            if j == 2:  # "==" is expected: the first "=" is consumed, the second must follow
                while si < n and text[si] in "\r\n":
                    si += 1
                if si == n:
                    return n
                if text[si] != "=":
                    return si - 1
                si += 1
            while si < n and text[si] in "\r\n":
                si += 1
            return si if si < n else None
    return None


def check_base64(kind: str, field: str, obj: Obj) -> None:
    """The decoder's 400 for a `[]byte` field (Secret data, ConfigMap binaryData) that is not base64."""
    values = obj.get(field)
    if not isinstance(values, dict):
        return
    for value in values.values():
        if isinstance(value, str):
            at = base64_error(value)
            if at is not None:
                raise errors.bad_request(f'{kind} in version "v1" cannot be handled as a {kind}: '
                                         f"illegal base64 data at input byte {at}")


def validate_keys(field: str, values: Any) -> FieldErrors:
    if values is None:
        return []
    if not isinstance(values, dict):
        return [v.type_error(field, values, "object")]
    out: FieldErrors = []
    for key in values:
        out.extend(v.config_key(f"{field}[{key}]", key))
    return out


def immutable_errors(obj: Obj, old: Obj | None, fields: tuple[str, ...]) -> FieldErrors:
    """Once `immutable: true` is stored, neither it nor the data may change."""
    if old is None or old.get("immutable") is not True:
        return []
    out: FieldErrors = []
    if obj.get("immutable") is not True:
        out.append(v.forbidden("immutable", IMMUTABLE_MSG))
    for field in fields:
        if (obj.get(field) or {}) != (old.get(field) or {}):
            out.append(v.forbidden(field, IMMUTABLE_MSG))
    return out
