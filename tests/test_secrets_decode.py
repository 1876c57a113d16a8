"""`x` on a secret: what the decode view makes of each value."""

from __future__ import annotations

import base64

from k9py.views.secrets import decoded


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def test_text_is_shown_binary_is_described_and_keys_are_sorted() -> None:
    data = {"tls.key": b64(b"-----BEGIN KEY-----\nabc\n"), "keystore": b64(b"\x00\xff\x10"), "a": b64(b"x")}
    assert decoded(data) == {"a": "x", "keystore": "<binary, 3 bytes>", "tls.key": "-----BEGIN KEY-----\nabc\n"}


def test_a_value_that_is_not_base64_is_named_not_hidden() -> None:
    assert decoded({"token": "not base64!"}) == {"token": "<not base64: 'not base64!'>"}
