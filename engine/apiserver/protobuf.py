"""Request bodies in Kubernetes' protobuf encoding, decoded to the dict their JSON form would be.

kubectl's typed clients send `application/vnd.kubernetes.protobuf` for every built-in kind (`kubectl create
configmap/secret/deployment/...`, DeleteOptions, evictions, access reviews), and client-go never falls back to
JSON for them: its 415 fallback is for CBOR only (rest/client.go, v1.32). So the server decodes them.

The encoding is a 4-byte magic (`k8s\\x00`) and a `runtime.Unknown` envelope (1: typeMeta {1: apiVersion,
2: kind}, 2: raw, 3: contentEncoding, 4: contentType) whose `raw` is the object's message. Messages are decoded
from the field tables of protobuf_tables.py (generated from upstream's generated.proto and the Go types' json
tags by tools/gen_protobuf_tables.py), and shaped as Go's encoding/json would shape the same Go value: JSON
names, `,inline` fields merged into their parent, zero scalars of `omitempty` fields left out (gogo-protobuf
writes non-pointer fields even when zero), and the types with their own JSON form (Time, MicroTime, Duration,
Quantity, IntOrString, RawExtension, FieldsV1, bytes as base64, slice-typed wrappers as bare lists).
"""

from __future__ import annotations

import base64
import datetime
import json
import struct
from collections.abc import Iterator
from typing import Any

from ..errors import bad_request
from .protobuf_tables import API_VERSIONS, MESSAGES, WRAPPERS, Field

MAGIC = b"k8s\x00"
PROTOBUF = "application/vnd.kubernetes.protobuf"

# The table's flags (tools/gen_protobuf_tables.py).
REPEATED, OMIT_ZERO, INLINE = 1, 2, 4
_VARINT_TYPES = frozenset({"int32", "int64", "uint32", "uint64", "bool"})


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


def wire_fields(data: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """(field number, wire type, value): an int for varints, bytes for length-delimited and fixed-width ones."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
            yield number, wire, value
            continue
        if wire == 2:
            size, pos = _varint(data, pos)
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        if pos + size > len(data):
            raise ValueError("truncated field")
        yield number, wire, data[pos:pos + size]
        pos += size


def fields(data: bytes) -> Iterator[tuple[int, int | bytes]]:
    """(field number, value) pairs of varint and length-delimited fields: the envelope and the special types."""
    for number, wire, value in wire_fields(data):
        if wire in (0, 2):
            yield number, value


def envelope(body: bytes) -> tuple[str, str, bytes]:
    """(apiVersion, kind, message) of a `k8s\\x00`-prefixed body."""
    if not body.startswith(MAGIC):
        raise ValueError("missing the k8s protobuf prefix")
    api_version = kind = ""
    raw = b""
    for number, value in fields(body[len(MAGIC):]):
        if number == 1 and isinstance(value, bytes):
            type_meta = {n: v.decode() for n, v in fields(value) if isinstance(v, bytes)}
            api_version, kind = type_meta.get(1, ""), type_meta.get(2, "")
        elif number == 2 and isinstance(value, bytes):
            raw = value
    return api_version, kind, raw


def unwrap(body: bytes) -> bytes:
    """The message inside the `k8s\\x00` envelope."""
    return envelope(body)[2]


# --- decoding with the tables -------------------------------------------------------------------------------


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value  # int32/int64 as a two's complement varint


def _scalar(kind: str, wire: int, value: int | bytes) -> Any:
    if isinstance(value, int):
        if kind == "bool":
            return bool(value)
        return _signed(value) if kind in ("int32", "int64") else value
    if kind == "string":
        return value.decode()
    if kind == "bytes":
        return base64.b64encode(value).decode()  # Go's encoding/json writes []byte as standard base64
    if kind in ("double", "float") and wire in (1, 5):
        return struct.unpack("<d" if wire == 1 else "<f", value)[0]
    raise ValueError(f"a {kind} field in wire type {wire}")


def _packed(kind: str, data: bytes) -> list[Any]:
    """A packed repeated scalar (proto3 style; gogo's proto2 output does not pack, but a decoder must accept it)."""
    values: list[Any] = []
    pos = 0
    while pos < len(data):
        value, pos = _varint(data, pos)
        values.append(_scalar(kind, 0, value))
    return values


def _go_duration(nanoseconds: int) -> str:
    """Go's time.Duration.String(), which metav1.Duration's JSON form is: 1h0m0s, 1m30s, 1.5s, 500ms."""
    if nanoseconds == 0:
        return "0s"
    sign, left = ("-" if nanoseconds < 0 else ""), abs(nanoseconds)

    def decimal(value: int, unit: int) -> str:
        whole, fraction = divmod(value, unit)
        digits = str(fraction).rjust(len(str(unit)) - 1, "0").rstrip("0")
        return f"{whole}.{digits}" if digits else str(whole)

    if left < 1000:
        return f"{sign}{left}ns"
    if left < 1_000_000:
        return f"{sign}{decimal(left, 1000)}µs"
    if left < 1_000_000_000:
        return f"{sign}{decimal(left, 1_000_000)}ms"
    hours, left = divmod(left, 3600 * 10**9)
    minutes, left = divmod(left, 60 * 10**9)
    text = f"{hours}h{minutes}m" if hours else (f"{minutes}m" if minutes else "")
    return f"{sign}{text}{decimal(left, 10**9)}s"


def _time(data: bytes, micro: bool) -> str | None:
    """meta/v1 Time (RFC 3339 to the second) and MicroTime (to the microsecond); None for the zero time, which
    JSON writes as null and this decoder leaves out."""
    parts = {n: v for n, v in fields(data) if isinstance(v, int)}
    seconds, nanos = _signed(parts.get(1, 0)), _signed(parts.get(2, 0))
    if not seconds and not nanos:
        return None
    moment = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(seconds=seconds)
    if micro:
        return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{nanos // 1000:06d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _raw_json(data: bytes) -> Any:
    """RawExtension and FieldsV1: their `raw` (field 1) is the embedded object's JSON, or a protobuf object."""
    raw = b"".join(v for n, v in fields(data) if n == 1 and isinstance(v, bytes))
    if not raw:
        return None
    if raw.startswith(MAGIC):
        return decode_object(raw)
    return json.loads(raw)


def _special(name: str, data: bytes) -> tuple[bool, Any]:
    """(True, value) for the types whose JSON form is not their fields'."""
    if name in ("meta/v1.Time", "meta/v1.MicroTime"):
        return True, _time(data, micro=name == "meta/v1.MicroTime")
    if name == "meta/v1.Duration":
        return True, _go_duration(_signed(dict(fields(data)).get(1, 0)))  # type: ignore[arg-type]
    if name in ("resource.Quantity", "resource.QuantityValue"):
        return True, b"".join(v for n, v in fields(data) if n == 1 and isinstance(v, bytes)).decode()
    if name == "intstr.IntOrString":
        parts = dict(fields(data))
        if parts.get(1, 0) == 1:
            value = parts.get(3, b"")
            return True, value.decode() if isinstance(value, bytes) else ""
        number = parts.get(2, 0)
        return True, _signed(number) if isinstance(number, int) else 0
    if name in ("runtime.RawExtension", "meta/v1.FieldsV1"):
        return True, _raw_json(data)
    if name in WRAPPERS:  # a Go slice type wrapped for protobuf (`ExtraValue []string`): JSON is the list
        return True, _fields(data, name).get("items", [])
    return False, None


_BY_NUMBER: dict[str, dict[int, Field]] = {}


def _value(kind: str, wire: int, value: int | bytes) -> Any:
    if "." not in kind:
        return _scalar(kind, wire, value)
    if not isinstance(value, bytes):
        raise ValueError(f"a {kind} message in wire type {wire}")
    return decode_message(value, kind)


def _is_zero(value: Any) -> bool:
    return value is None or (not isinstance(value, dict) and value in ("", 0, False))


def decode_message(data: bytes, name: str) -> Any:
    """The JSON form of message `name` (a key of MESSAGES) encoded in `data`. Unknown field numbers are skipped,
    as Go's unmarshalling skips them; ValueError (UnicodeDecodeError included) when the bytes are malformed."""
    special, value = _special(name, data)
    return value if special else _fields(data, name)


def _fields(data: bytes, name: str) -> dict[str, Any]:
    table = MESSAGES.get(name)
    if table is None:
        raise ValueError(f"no protobuf table for {name}")
    by_number = _BY_NUMBER.get(name)
    if by_number is None:
        by_number = _BY_NUMBER[name] = {f[0]: f for f in table}
    found: dict[int, Any] = {}
    for number, wire, raw in wire_fields(data):
        spec = by_number.get(number)
        if spec is None:
            continue
        _, _, kind, flags = spec
        if kind.startswith("map:"):
            if not isinstance(raw, bytes):
                raise ValueError(f"a map entry in wire type {wire}")
            value_kind = kind[4:]
            # An entry without its value holds the value type's zero (an empty string or message, 0, false).
            key, item = "", _value(value_kind, 2, b"") if value_kind in ("string", "bytes") or "." in value_kind \
                else _scalar(value_kind, 0, 0)
            for inner, inner_wire, inner_value in wire_fields(raw):
                if inner == 1 and isinstance(inner_value, bytes):
                    key = inner_value.decode()
                elif inner == 2:
                    item = _value(value_kind, inner_wire, inner_value)
            found.setdefault(number, {})[key] = item
        elif flags & REPEATED:
            items = found.setdefault(number, [])
            if wire == 2 and kind in _VARINT_TYPES and isinstance(raw, bytes):
                items.extend(_packed(kind, raw))
            else:
                items.append(_value(kind, wire, raw))
        else:
            found[number] = _value(kind, wire, raw)  # the last one wins, as in Go's unmarshalling
    result: dict[str, Any] = {}
    for number, json_name, kind, flags in table:  # the Go struct's field order, which its JSON form follows
        if number not in found:
            continue
        value = found[number]
        if flags & INLINE and isinstance(value, dict):
            result.update(value)
        elif value is None or (flags & OMIT_ZERO and "." not in kind and _is_zero(value)):
            continue
        else:
            result[json_name] = value
    return result


def decode_object(body: bytes) -> dict[str, Any]:
    """A `k8s\\x00` body as the object's JSON form, apiVersion and kind first; ValueError when it cannot be read."""
    api_version, kind, raw = envelope(body)
    package = API_VERSIONS.get(api_version)
    if package is None or f"{package}.{kind}" not in MESSAGES:
        raise ValueError(f"no kind {kind!r} is registered for version {api_version!r}")
    obj: dict[str, Any] = {"kind": kind, "apiVersion": api_version}
    obj.update(decode_message(raw, f"{package}.{kind}"))
    return obj


def decode_body(body: bytes) -> dict[str, Any]:
    """A request body in protobuf as its JSON form; the server's 400 when it is malformed."""
    try:
        return decode_object(body)
    except ValueError as exc:
        raise bad_request(f"error decoding protobuf request body: {exc}") from None


def delete_options(body: bytes) -> dict[str, Any]:
    """meta/v1 DeleteOptions (a DELETE's body) as the JSON form's dict, whatever kind its envelope names."""
    try:
        return _fields(unwrap(body), "meta/v1.DeleteOptions")
    except ValueError as exc:
        raise bad_request(f"error decoding DeleteOptions: {exc}") from None
