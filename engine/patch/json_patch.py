"""RFC 6902 JSON patch, as kube-apiserver applies it with gopkg.in/evanphx/json-patch.v4.

The server's library is not the RFC to the letter, and clients see its behaviour, so this follows the library:
- `replace` of a missing object member adds it, and `copy` from a missing member copies null;
- `test` of a missing member against null passes; numbers compare by their JSON text (`0` is not `0.0`);
- `add` at the root path "" fails; `replace` at "" swaps the whole document for an object or array;
- negative array indices count from the end; the first token of a path without a leading `/` is ignored.
A failing operation is a 422 whose message is always NewGenericServerResponse's fixed sentence; the library's own
text (`testing value /spec/replicas failed: test failed`) is kept on the exception as `detail`.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from ..errors import ApiError
from ..store import deep_copy
from .errors import bad_request, go_float, go_json_type, internal, patch_not_applied, too_large

__all__ = ["MAX_JSON_PATCH_OPERATIONS", "json_patch"]

MAX_JSON_PATCH_OPERATIONS = 10000  # handlers/patch.go maxJSONPatchOperations
_MISSING = "missing value"
_BAD_INDEX = "invalid index referenced"
_ATOI = re.compile(r"[+-]?[0-9]+\Z")  # what strconv.Atoi accepts


class _OpFailed(Exception):
    """One operation did not apply; the text is evanphx/json-patch's error message."""


def json_patch(obj: Any, ops: Any) -> Any:
    """`obj` with the JSON patch `ops` (a decoded JSON array) applied; neither argument is modified.

    Raises ApiError: 400 when `ops` is not an array of operation objects (worded as the server's strict
    decoder words it), 413 past 10,000 operations, 422 when an operation does not apply, 500 for an operation
    the server's library panics on (`replace` at the root with no value).
    """
    operations = _decode(ops)
    doc = deep_copy(obj)  # the stored object, JSON-shaped: several times faster than copy.deepcopy
    for op in operations:
        try:
            doc = _apply(doc, op)
        except _OpFailed as failed:
            raise patch_not_applied(str(failed)) from None
    return doc


def _decode(ops: Any) -> list[dict[str, Any]]:
    if ops is None:
        return []  # `null` decodes to an empty patch: the server answers with the object unchanged
    if not isinstance(ops, list):
        raise _decode_error(f"cannot unmarshal {go_json_type(ops)} into Go value of type []handlers.jsonPatchOp")
    for op in ops:
        if not isinstance(op, dict):
            if op is None:
                continue
            raise _decode_error(f"cannot unmarshal {go_json_type(op)} into Go value of type handlers.jsonPatchOp")
        for field in ("op", "path", "from"):
            value = op.get(field)
            if value is not None and not isinstance(value, str):
                raise _decode_error(f"cannot unmarshal {go_json_type(value)} into Go struct field "
                                    f"jsonPatchOp.{field} of type string")
    if len(ops) > MAX_JSON_PATCH_OPERATIONS:
        raise too_large(f"The allowed maximum operations in a JSON patch is {MAX_JSON_PATCH_OPERATIONS}, "
                        f"got {len(ops)}")
    return [op if isinstance(op, dict) else {} for op in ops]


def _decode_error(text: str) -> ApiError:
    return bad_request(f"error decoding patch: json: {text}")


def _apply(doc: Any, op: dict[str, Any]) -> Any:
    kind = op.get("op")
    handler = _HANDLERS.get(kind if isinstance(kind, str) else "unknown")
    if handler is None:
        raise _OpFailed(f"Unexpected kind: {kind if isinstance(kind, str) else 'unknown'}")
    return handler(doc, op)


# --- paths -------------------------------------------------------------------------------------------------

def _decode_token(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _find_parent(doc: Any, path: str) -> tuple[Any, str] | None:
    """The container holding the last token of `path` and that token (findObject); None when unreachable."""
    tokens = path.split("/")
    if len(tokens) < 2:
        return None
    node = doc
    for token in tokens[1:-1]:
        try:
            node = _get(node, _decode_token(token))
        except _OpFailed:
            return None
        if not isinstance(node, (dict, list)):
            return None
    return node, _decode_token(tokens[-1])


def _index(key: str, size: int) -> int:
    """An array index as partialArray reads it: Atoi, then negative indices counted from the end."""
    if not _ATOI.match(key):
        raise _OpFailed(f'strconv.Atoi: parsing "{key}": invalid syntax')
    index = int(key)
    if index < 0:
        if index < -size:
            raise _OpFailed(f"Unable to access invalid index: {index}: {_BAD_INDEX}")
        index += size
    return index


def _get(container: Any, key: str) -> Any:
    if isinstance(container, dict):
        return container.get(key)  # a missing member reads as null, not as an error
    index = _index(key, len(container))
    if index >= len(container):
        raise _OpFailed(f"Unable to access invalid index: {index}: {_BAD_INDEX}")
    return container[index]


def _add(container: Any, key: str, value: Any) -> None:
    if isinstance(container, dict):
        container[key] = value
        return
    if key == "-":
        container.append(value)
        return
    if not _ATOI.match(key):
        raise _OpFailed(f"value was not a proper array index: '{key}': strconv.Atoi: parsing \"{key}\": "
                        "invalid syntax")
    index = int(key)
    size = len(container) + 1
    if index >= size or index < -size:
        raise _OpFailed(f"Unable to access invalid index: {index}: {_BAD_INDEX}")
    container.insert(index + size if index < 0 else index, value)


def _remove(container: Any, key: str) -> None:
    if isinstance(container, dict):
        if key not in container:
            raise _OpFailed(f"Unable to remove nonexistent key: {key}: {_MISSING}")
        del container[key]
        return
    if not _ATOI.match(key):
        raise _OpFailed(f'strconv.Atoi: parsing "{key}": invalid syntax')
    index = int(key)
    if index >= len(container) or index < -len(container):
        raise _OpFailed(f"Unable to access invalid index: {index}: {_BAD_INDEX}")
    del container[index]


def _path(op: dict[str, Any], field: str = "path") -> str | None:
    value = op.get(field)
    return value if isinstance(value, str) else None


def _missing_field(field: str) -> str:
    return "operation missing path field" if field == "path" else "operation, missing from field"


# --- operations --------------------------------------------------------------------------------------------

def _op_add(doc: Any, op: dict[str, Any]) -> Any:
    path = _path(op)
    if path is None:
        raise _OpFailed(f"add operation failed to decode path: {_MISSING}")
    found = _find_parent(doc, path)
    if found is None:
        raise _OpFailed(f'add operation does not apply: doc is missing path: "{path}": {_MISSING}')
    try:
        _add(*found, copy.deepcopy(op.get("value")))
    except _OpFailed as failed:
        raise _OpFailed(f"error in add for path: '{path}': {failed}") from None
    return doc


def _op_remove(doc: Any, op: dict[str, Any]) -> Any:
    path = _path(op)
    if path is None:
        raise _OpFailed(f"remove operation failed to decode path: {_MISSING}")
    found = _find_parent(doc, path)
    if found is None:
        raise _OpFailed(f'remove operation does not apply: doc is missing path: "{path}": {_MISSING}')
    try:
        _remove(*found)
    except _OpFailed as failed:
        raise _OpFailed(f"error in remove for path: '{path}': {failed}") from None
    return doc


def _op_replace(doc: Any, op: dict[str, Any]) -> Any:
    path = _path(op)
    if path is None:
        raise _OpFailed(f"replace operation failed to decode path: {_missing_field('path')}: {_MISSING}")
    if path == "":
        if "value" not in op:
            raise internal("runtime error: invalid memory address or nil pointer dereference")
        value = op["value"]
        if not isinstance(value, (dict, list)):
            raise _OpFailed("replace operation value must be object or array")
        return copy.deepcopy(value)
    found = _find_parent(doc, path)
    if found is None:
        raise _OpFailed(f"replace operation does not apply: doc is missing path: {path}: {_MISSING}")
    container, key = found
    try:
        _get(container, key)
    except _OpFailed:
        raise _OpFailed(f"replace operation does not apply: doc is missing key: {path}: {_MISSING}") from None
    value = copy.deepcopy(op.get("value"))
    if isinstance(container, dict):
        container[key] = value
    else:
        container[_index(key, len(container))] = value
    return doc


def _source(doc: Any, op: dict[str, Any], verb: str) -> tuple[Any, str, str]:
    """The container and key that `from` names, for move and copy."""
    source = _path(op, "from")
    if source is None:
        raise _OpFailed(f"{verb} operation failed to decode from: {_missing_field('from')}: {_MISSING}")
    found = _find_parent(doc, source)
    if found is None:
        raise _OpFailed(f"{verb} operation does not apply: doc is missing from path: {source}: {_MISSING}")
    return found[0], found[1], source


def _destination(doc: Any, op: dict[str, Any], verb: str, undecodable: str) -> tuple[Any, str, str]:
    """The container and key that `path` names, for move and copy."""
    path = _path(op)
    if path is None:
        raise _OpFailed(f"{verb} operation failed to decode path: {undecodable}")
    found = _find_parent(doc, path)
    if found is None:
        raise _OpFailed(f"{verb} operation does not apply: doc is missing destination path: {path}: {_MISSING}")
    return found[0], found[1], path


def _op_move(doc: Any, op: dict[str, Any]) -> Any:
    container, key, _ = _source(doc, op, "move")
    try:
        value = _get(container, key)
        _remove(container, key)
    except _OpFailed as failed:
        raise _OpFailed(f"error in move for path: '{key}': {failed}") from None
    container, key, path = _destination(doc, op, "move", f"{_missing_field('path')}: {_MISSING}")
    try:
        _add(container, key, value)
    except _OpFailed as failed:
        raise _OpFailed(f"error in move for path: '{path}': {failed}") from None
    return doc


def _op_copy(doc: Any, op: dict[str, Any]) -> Any:
    container, key, source = _source(doc, op, "copy")
    try:
        value = _get(container, key)
    except _OpFailed as failed:
        raise _OpFailed(f"error in copy for from: '{source}': {failed}") from None
    container, key, _ = _destination(doc, op, "copy", _MISSING)
    try:
        _add(container, key, copy.deepcopy(value))
    except _OpFailed as failed:
        raise _OpFailed(f"error while adding value during copy: {failed}") from None
    return doc


def _op_test(doc: Any, op: dict[str, Any]) -> Any:
    path = _path(op)
    if path is None:
        raise _OpFailed(f"test operation failed to decode path: {_missing_field('path')}: {_MISSING}")
    failed = f"testing value {path} failed: test failed"
    if path == "":
        if "value" in op and _json_equal(doc, op["value"]):
            return doc
        raise _OpFailed(failed)
    found = _find_parent(doc, path)
    if found is None:
        raise _OpFailed(f"test operation does not apply: is missing path: {path}: {_MISSING}")
    try:
        actual = _get(*found)
    except _OpFailed as error:
        raise _OpFailed(f"error in test for path: '{path}': {error}") from None
    if actual is None:
        # A missing member and a null one both read as "no node": only an explicit null value matches them.
        if "value" in op and op["value"] is None:
            return doc
        raise _OpFailed(failed)
    if "value" not in op or not _json_equal(actual, op["value"]):
        raise _OpFailed(failed)
    return doc


_HANDLERS = {"add": _op_add, "remove": _op_remove, "replace": _op_replace, "move": _op_move, "copy": _op_copy,
             "test": _op_test}


def _json_equal(actual: Any, expected: Any) -> bool:
    """lazyNode.equal: objects and arrays structurally, scalars by their compact JSON text.

    `actual` comes from the stored object, which Go serialises canonically (an integral float64 prints as `1`);
    `expected` is the patch's own text, so `1.0` there does not equal `1` in the object.
    """
    if isinstance(actual, dict):
        return (isinstance(expected, dict) and actual.keys() == expected.keys()
                and all(_json_equal(v, expected[k]) for k, v in actual.items()))
    if isinstance(actual, list):
        return (isinstance(expected, list) and len(actual) == len(expected)
                and all(_json_equal(a, e) for a, e in zip(actual, expected, strict=True)))
    return _scalar_text(actual, canonical=True) == _scalar_text(expected, canonical=False)


def _scalar_text(value: Any, *, canonical: bool) -> str:
    if isinstance(value, float) and canonical:
        return go_float(value)
    if isinstance(value, (dict, list)):
        return "\0structured"  # never equal to a scalar's text
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
