"""The little protobuf the server reads: DeleteOptions, which typed clients (kubectl drain, client-go
controllers) send as `application/vnd.kubernetes.protobuf` with every DELETE.

Kubernetes' protobuf encoding is a 4-byte magic (`k8s\\x00`) and a `runtime.Unknown` envelope
(1: typeMeta {1: apiVersion, 2: kind}, 2: raw, 3: contentEncoding, 4: contentType) whose `raw` is the message
itself. Other request bodies in protobuf (typed creates such as `kubectl create configmap`) need every kind's
field numbers and are not decoded yet: they are answered 415 (see resources.read_body).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..errors import bad_request

MAGIC = b"k8s\x00"
PROTOBUF = "application/vnd.kubernetes.protobuf"


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ValueError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def fields(data: bytes) -> Iterator[tuple[int, int | bytes]]:
    """(field number, value) pairs: an int for varints, bytes for length-delimited fields; fixed-width fields
    are skipped (none of the messages read here has one)."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
            yield number, value
        elif wire == 2:
            size, pos = _varint(data, pos)
            if pos + size > len(data):
                raise ValueError("truncated field")
            yield number, data[pos:pos + size]
            pos += size
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        else:
            raise ValueError(f"unsupported wire type {wire}")


def unwrap(body: bytes) -> bytes:
    """The message inside the `k8s\\x00` envelope."""
    if not body.startswith(MAGIC):
        raise ValueError("missing the k8s protobuf prefix")
    for number, value in fields(body[len(MAGIC):]):
        if number == 2 and isinstance(value, bytes):
            return value
    return b""


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value  # int64 as a two's complement varint


def delete_options(body: bytes) -> dict[str, Any]:
    """meta/v1 DeleteOptions (1: gracePeriodSeconds, 2: preconditions {1: uid, 2: resourceVersion},
    3: orphanDependents, 4: propagationPolicy, 5: dryRun) as the JSON form's dict."""
    try:
        return delete_options_message(unwrap(body))
    except ValueError as exc:
        raise bad_request(f"error decoding DeleteOptions: {exc}") from None


def delete_options_message(message: bytes) -> dict[str, Any]:
    """DeleteOptions from the message itself (as nested in an Eviction); ValueError (UnicodeDecodeError
    included) when it is malformed."""
    options: dict[str, Any] = {}
    for number, value in fields(message):
        if number == 1 and isinstance(value, int):
            options["gracePeriodSeconds"] = _signed(value)
        elif number == 2 and isinstance(value, bytes):
            names = {1: "uid", 2: "resourceVersion"}
            options["preconditions"] = {names[n]: v.decode() for n, v in fields(value)
                                        if n in names and isinstance(v, bytes)}
        elif number == 3 and isinstance(value, int):
            options["orphanDependents"] = bool(value)
        elif number == 4 and isinstance(value, bytes):
            options["propagationPolicy"] = value.decode()
        elif number == 5 and isinstance(value, bytes):
            options.setdefault("dryRun", []).append(value.decode())
    return options
