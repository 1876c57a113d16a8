"""What decoding a request body into the API's Go structs does before defaulting and validation see it.

Two things a Python dict can hold that a Go struct cannot:

- a null: JSON null leaves a pointer field nil (and omitempty drops it), so `replicas: null` is the same as
  leaving replicas out, and defaulting fills it in. `decoded_copy` copies an object without its null fields.
- an integer outside its field's Go type: `replicas: 2147483648` cannot go into an int32, and the API server
  answers 400 `Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal number
  2147483648 into Go struct field DeploymentSpec.spec.replicas of type int32`. Accepting it would have the
  ReplicaSet controller create pods forever. `check_integers` finds such fields from the OpenAPI schema's
  `format: int32`/`int64`, the data engine/manifests/schema.py already loads, and makes integral floats (3.0)
  ints, as kubectl's YAML-to-JSON conversion does.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ..errors import ApiError
from ..manifests import schema

INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
_INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
# Definitions that hold no Go integer field worth descending into (and some recursive ones).
_OPAQUE = frozenset({
    "io.k8s.apimachinery.pkg.api.resource.Quantity", "io.k8s.apimachinery.pkg.apis.meta.v1.Time",
    "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime", "io.k8s.apimachinery.pkg.runtime.RawExtension",
    "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1",
})


def decoded_copy(value: Any) -> Any:
    """A copy of JSON-shaped data without the null fields of its mappings (what Go's decoder leaves unset)."""
    if isinstance(value, dict):
        return {k: decoded_copy(v) if isinstance(v, (dict, list)) else v for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [decoded_copy(v) if isinstance(v, (dict, list)) else v for v in value]
    return value


class _Struct:
    """The integer-bearing fields of one Go struct: only what leads to an integer is kept, so the walk over an
    object visits a handful of keys."""

    __slots__ = ("children", "ints", "name")

    def __init__(self, name: str) -> None:
        self.name = name  # the Go type name, as the decoder names it in messages: DeploymentSpec
        self.ints: dict[str, str] = {}  # field -> int32 / int64
        self.children: dict[str, tuple[_Struct, bool]] = {}  # field -> (struct, is a list of them)


class _Index:
    def __init__(self, definitions: Mapping[str, Any]) -> None:
        self.definitions = definitions
        self.structs: dict[str, _Struct | None] = {}
        self.lock = threading.Lock()

    def struct(self, name: str) -> _Struct | None:
        if name in self.structs:
            return self.structs[name]
        with self.lock:
            return self._build(name)

    def _build(self, name: str) -> _Struct | None:
        if name in self.structs:
            return self.structs[name]
        raw = self.definitions.get(name)
        props = raw.get("properties") if isinstance(raw, Mapping) else None
        if name in _OPAQUE or not isinstance(props, Mapping):
            self.structs[name] = None
            return None
        struct = _Struct(name.rsplit(".", 1)[-1])
        self.structs[name] = struct  # before the fields: a definition that refers to itself finds it
        for field, sub in props.items():
            if not isinstance(sub, Mapping):
                continue
            fmt = _int_format(sub)
            if fmt is not None:
                struct.ints[str(field)] = fmt
                continue
            items = sub.get("items")
            is_list = isinstance(items, Mapping) and "array" in _types(sub)
            ref = _ref(items if is_list else sub)
            if ref is None:
                continue
            child = self._build(ref)
            if child is not None:
                struct.children[str(field)] = (child, is_list)
        if not struct.ints and not struct.children:
            self.structs[name] = None
            return None
        return struct


def _types(sub: Mapping[str, Any]) -> set[str]:
    raw = sub.get("type")
    return {raw} if isinstance(raw, str) else set(raw) if isinstance(raw, list) else set()


def _ref(sub: Any) -> str | None:
    if not isinstance(sub, Mapping):
        return None
    ref = sub.get("$ref")
    if not isinstance(ref, str):
        all_of = sub.get("allOf")
        ref = all_of[0].get("$ref") if isinstance(all_of, list) and len(all_of) == 1 and isinstance(
            all_of[0], Mapping) else None
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None


def _int_format(sub: Mapping[str, Any]) -> str | None:
    """int32/int64 for an integer field; IntOrString holds an int32 (intstr.IntVal)."""
    if sub.get("x-kubernetes-int-or-string") or sub.get("format") == "int-or-string" or _ref(sub) == _INT_OR_STRING:
        return "int32"
    if "integer" in _types(sub):
        fmt = sub.get("format")
        return fmt if fmt in INT_RANGES else "int64"
    return None


_index: _Index | None = None
_index_lock = threading.Lock()


def _roots() -> tuple[_Index, Mapping[tuple[str, str], str]] | None:
    global _index
    # The schema module owns loading the bundled OpenAPI data; its registry is read, never changed.
    registry = schema._load_registry()
    if registry is None:
        return None
    if _index is None:
        with _index_lock:
            if _index is None:
                _index = _Index(registry.definitions)
    return _index, registry.kinds


def go_json_number(value: int | float) -> str | None:
    """A number as the decoder's message prints it after kubectl's YAML-to-JSON conversion: int64 values as
    written, anything larger as a float64 (`9223372036854776000`, `1e+30`); None when not even a float64 holds
    it, since the conversion then leaves it a string."""
    if isinstance(value, int) and INT_RANGES["int64"][0] <= value <= INT_RANGES["int64"][1]:
        return str(value)
    try:
        number = float(value)
    except OverflowError:
        return None
    if number != number or number in (float("inf"), float("-inf")):
        return None
    if number == 0 or 1e-6 <= abs(number) < 1e21:
        text = format(Decimal(repr(number)), "f")
        return text[:-2] if text.endswith(".0") else text
    # encoding/json's exponent form: shortest digits, and a one-digit exponent without a leading zero.
    return re.sub(r"e([+-])0(\d)$", r"e\1\2", repr(number))


def json_type(value: Any) -> str:
    """How encoding/json names a value's JSON type in "cannot unmarshal X into ..." (null included, which Go
    itself would silently skip)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        shown = go_json_number(value)
        return "string" if shown is None else f"number {shown}"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def decode_error(kind: str, version: str, what: str, struct: str, go_path: str, go_type: str,
                 field: str) -> ApiError:
    message = (f'{kind} in version "{version}" cannot be handled as a {kind}: json: cannot unmarshal {what} into '
               f"Go struct field {struct}.{go_path} of type {go_type}")
    # The API server's Status has no causes here; one with the field lets a manifest error point at its line.
    return ApiError(400, "BadRequest", message, causes=[{"reason": "FieldValueInvalid", "message": message,
                                                         "field": field}])


def check_integers(obj: dict[str, Any], kind: str, version: str, api_version: str) -> None:
    """Raise the decoder's 400 for the first integer field out of its Go type's range; make integral floats in
    integer fields ints. `obj` is the caller's own copy (it is changed in place)."""
    roots = _roots()
    if roots is None:
        return
    index, kinds = roots
    name = kinds.get((api_version, kind))
    struct = index.struct(name) if name else None
    if struct is not None:
        _walk(obj, struct, "", "", kind, version)


def _walk(obj: dict[str, Any], struct: _Struct, go_path: str, field_path: str, kind: str, version: str) -> None:
    for field, fmt in struct.ints.items():
        value = obj.get(field)
        if value is None or isinstance(value, (bool, str)):
            continue  # a wrong type is validation's to report, in its own words
        if isinstance(value, float):
            if not value.is_integer():
                continue
            low, high = INT_RANGES[fmt]
            if low <= value <= high:
                obj[field] = int(value)
                continue
        elif not isinstance(value, int):
            continue
        low, high = INT_RANGES[fmt]
        if low <= value <= high:
            continue
        raise decode_error(kind, version, json_type(value), struct.name, go_path + field, fmt, field_path + field)
    for field, (child, is_list) in struct.children.items():
        value = obj.get(field)
        if value is None:
            continue
        if is_list:
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, dict):
                        _walk(item, child, f"{go_path}{field}.", f"{field_path}{field}[{i}].", kind, version)
        elif isinstance(value, dict):
            _walk(value, child, f"{go_path}{field}.", f"{field_path}{field}.", kind, version)


# --- wrong JSON types -----------------------------------------------------------------------------------------
# The decoder stops at the first value whose JSON type its Go field cannot hold, in document order, and answers
# 400 with encoding/json's words (checked against kube-apiserver v1.36):
#   json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32
#   json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string
#   json: cannot unmarshal string into Go struct field PodSpec.spec.template.spec.containers of type []v1.Container
# The struct is the Go type holding the field, the path runs from the root without list indices or map keys, and
# the type is the field's (a list's or map's element type when an element is wrong). Quantities have their own
# decoder, with its own message. Unknown fields are strict decoding's, reported only when decoding succeeds.

_QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
_TIMES = frozenset({"io.k8s.apimachinery.pkg.apis.meta.v1.Time", "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime"})
_ANY = frozenset({"io.k8s.apimachinery.pkg.runtime.RawExtension", "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1"})
_GO_SCALARS = {"string": "string", "boolean": "bool", "number": "float64"}
_JSON_KINDS = {"string": str, "bool": bool, "array": list, "object": dict}


class _Mismatch(Exception):
    def __init__(self, what: str, struct: str, go_path: str, go_type: str, field: str) -> None:
        super().__init__(what)
        self.parts = (what, struct, go_path, go_type, field)


class _Unparsable(Exception):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def first_type_error(obj: Mapping[str, Any], kind: str, version: str, api_version: str) -> ApiError | None:
    """The decoder's 400 for the first value of the wrong JSON type in `obj`, or None when every value fits."""
    roots = _roots()
    if roots is None:
        return None
    index, kinds = roots
    name = kinds.get((api_version, kind))
    if name is None:
        return None
    try:
        _check_struct(index.definitions, name, obj, kind, "", "")
    except _Mismatch as mismatch:
        return decode_error(kind, version, *mismatch.parts)
    except _Unparsable as bad:
        message = f'{kind} in version "{version}" cannot be handled as a {kind}: {bad}'
        return ApiError(400, "BadRequest", message,
                        causes=[{"reason": "FieldValueInvalid", "message": message, "field": bad.field}])
    except RecursionError:
        return None
    return None


def _check_struct(definitions: Mapping[str, Any], name: str, obj: Mapping[str, Any], struct: str, go_path: str,
                  field_path: str) -> None:
    props = definitions[name].get("properties") or {}
    for key, value in obj.items():
        sub = props.get(key)
        if value is None or not isinstance(sub, Mapping) or (not go_path and key == "status"):
            continue  # null leaves a pointer nil; an unknown field is strict decoding's to report
        _check_value(definitions, sub, value, struct, f"{go_path}{key}", f"{field_path}{key}")


def _check_value(definitions: Mapping[str, Any], sub: Mapping[str, Any], value: Any, struct: str, go_path: str,
                 field: str) -> None:
    ref = _ref(sub)
    if ref is not None:
        if ref in _ANY:
            return
        if ref == _QUANTITY:
            _check_quantity(value, field)
            return
        if ref in _TIMES:
            if not isinstance(value, str):
                raise _Mismatch(_json_kind(value), struct, go_path, "string", field)
            return
        if ref == _INT_OR_STRING:
            if not isinstance(value, str):
                _check_integer(value, "int32", struct, go_path, field)
            return
        target = definitions.get(ref)
        if not isinstance(target, Mapping) or not isinstance(target.get("properties"), Mapping):
            return  # a definition without fields (apiextensions JSON): any value
        if not isinstance(value, Mapping):
            raise _Mismatch(_json_kind(value), struct, go_path, _go_type(sub), field)
        _check_struct(definitions, ref, value, ref.rsplit(".", 1)[-1], go_path + ".", field + ".")
        return
    types = _types(sub)
    if "integer" in types:
        _check_integer(value, _int_format(sub) or "int64", struct, go_path, field)
    elif "array" in types:
        if not isinstance(value, list):
            raise _Mismatch(_json_kind(value), struct, go_path, _go_type(sub), field)
        items = sub.get("items")
        if isinstance(items, Mapping):
            for i, item in enumerate(value):
                if item is not None:
                    _check_value(definitions, items, item, struct, go_path, f"{field}[{i}]")
    elif "object" in types:
        if not isinstance(value, Mapping):
            raise _Mismatch(_json_kind(value), struct, go_path, _go_type(sub), field)
        extra = sub.get("additionalProperties")
        if isinstance(extra, Mapping):
            for key, item in value.items():
                if item is not None:
                    _check_value(definitions, extra, item, struct, go_path, f"{field}[{key}]")
    else:
        for json_type_name, go in _GO_SCALARS.items():
            if json_type_name in types:
                fits = isinstance(value, (int, float)) and not isinstance(value, bool) if go == "float64" \
                    else isinstance(value, _JSON_KINDS["bool" if go == "bool" else "string"])
                if not fits:
                    raise _Mismatch(_json_kind(value), struct, go_path, _go_type(sub), field)
                return


def _check_integer(value: Any, fmt: str, struct: str, go_path: str, field: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Mismatch(_json_kind(value), struct, go_path, fmt, field)
    low, high = INT_RANGES[fmt]
    if (isinstance(value, float) and not value.is_integer()) or not low <= value <= high:
        raise _Mismatch(json_type(value), struct, go_path, fmt, field)


def _check_quantity(value: Any, field: str) -> None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return
    from ..quantity import ERR_FORMAT_WRONG, parse_quantity  # the quantity parser is only needed on this path

    if not isinstance(value, str):
        raise _Unparsable(ERR_FORMAT_WRONG, field)
    try:
        parse_quantity(value)
    except ValueError as exc:
        raise _Unparsable(str(exc), field) from None


def _json_kind(value: Any) -> str:
    """encoding/json's name for a value of the wrong kind (a number's digits only matter when it is the right
    kind, out of range)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return json_type(value)


def _go_type(sub: Mapping[str, Any]) -> str:
    """A field's Go type as encoding/json prints it: int32, string, v1.LabelSelector, []v1.Container,
    map[string]string, []uint8 (a `format: byte` string)."""
    ref = _ref(sub)
    if ref is not None:
        if ref in _TIMES:
            return "string"
        if ref == _INT_OR_STRING:
            return "int32"
        package, _, short = ref.rpartition(".")
        return f"{package.rsplit('.', 1)[-1]}.{short}"
    types = _types(sub)
    if "integer" in types:
        return _int_format(sub) or "int64"
    if "array" in types:
        items = sub.get("items")
        return "[]" + (_go_type(items) if isinstance(items, Mapping) else "interface {}")
    if "object" in types:
        extra = sub.get("additionalProperties")
        return "map[string]" + (_go_type(extra) if isinstance(extra, Mapping) else "interface {}")
    if "string" in types:
        return "[]uint8" if sub.get("format") == "byte" else "string"
    return next((go for name, go in _GO_SCALARS.items() if name in types), "interface {}")
