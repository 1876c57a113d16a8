"""How kube-apiserver reports a failed patch, and Go's `%v` for the values its messages echo.

The patch handler (k8s.io/apiserver/pkg/endpoints/handlers/patch.go) sorts failures into a few shapes:
- a body that does not decode: 400 BadRequest with the decoder's message;
- a JSON patch operation that does not apply: 422 Invalid with a fixed message and an empty `details`
  (NewGenericServerResponse drops evanphx/json-patch's own text, so clients never see it);
- the sentinel errors of mergepatch (bad $retainKeys, $setElementOrder, $deleteFromPrimitiveList formats): 400;
- every other strategic merge patch error: a plain Go error, which the response writer turns into a 500 Status
  with no reason and the error text as its message (checked against a v1.36 API server).
"""

from __future__ import annotations

import math
from typing import Any

from ..errors import ApiError

__all__ = ["bad_request", "go_value", "internal", "patch_not_applied", "too_large", "unsupported_media_type"]

# NewGenericServerResponse's text for 422: the only message a failed JSON patch operation shows a client.
REJECTED = "the server rejected our request due to an error in our request"


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def patch_not_applied(detail: str) -> ApiError:
    """422 for a JSON patch op that does not apply; `detail` (evanphx's text) stays on the exception only."""
    error = ApiError(422, "Invalid", REJECTED)
    error.status["details"] = {}  # present but empty, exactly as the real server answers
    error.detail = detail  # type: ignore[attr-defined]  # for logs and tests; not part of the Status
    return error


def internal(message: str) -> ApiError:
    """A plain Go error out of strategicpatch: the server answers 500 with no `reason` field."""
    error = ApiError(500, "", message)
    del error.status["reason"]  # StatusReasonUnknown is "" and omitted from the JSON
    return error


def too_large(message: str) -> ApiError:
    return ApiError(413, "RequestEntityTooLarge", f"Request entity too large: {message}")


def unsupported_media_type(accepted: list[str]) -> ApiError:
    return ApiError(415, "UnsupportedMediaType",
                    "the body of the request was in an unknown format - accepted media types include: "
                    + ", ".join(accepted))


def go_json_type(value: Any) -> str:
    """The JSON type name encoding/json puts in "cannot unmarshal X into ..." messages."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def go_value(value: Any) -> str:
    """`value` as Go's fmt prints a decoded JSON value with %v: `map[a:1 b:[x y]]`, `<nil>`, `true`."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        # fmt sorts map keys, which makes these messages deterministic
        return "map[" + " ".join(f"{k}:{go_value(v)}" for k, v in sorted(value.items())) + "]"
    if isinstance(value, list):
        return "[" + " ".join(go_value(v) for v in value) + "]"
    if isinstance(value, float):
        return go_float(value)
    return str(value)


def go_float(value: float) -> str:
    """A float64 as %v prints it: %g with the shortest digits, exponent past 1e21 (`1e+21`)."""
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        sign = exponent[0] if exponent[0] in "+-" else "+"
        digits = exponent.lstrip("+-").rjust(2, "0")
        return f"{mantissa}e{sign}{digits}"
    return text


def go_type(value: Any) -> str:
    """reflect.TypeOf(value) of a decoded JSON value, as mergepatch.ErrBadArgType names it."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "[]interface {}"
    return "map[string]interface {}"
