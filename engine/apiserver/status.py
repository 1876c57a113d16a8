"""`Status` bodies and JSON responses, as kube-apiserver writes them."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from ..errors import ApiError

JSON = "application/json"
_STATUS_ORDER = ("kind", "apiVersion", "metadata", "status", "message", "reason", "details", "code")


# Compact like the API server; non-ASCII as is (Go's encoding/json does not escape it). No check for cycles: what
# is encoded is JSON-shaped data, which has none, and the check took a third of the time of a 500-pod Table page.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False)


def dumps(value: Any) -> str:
    return _ENCODER.encode(value)


def json_response(body: Any, status: int = 200, content_type: str = JSON) -> web.Response:
    response = web.Response(text=dumps(body), status=status)
    # Set whole: aiohttp's content_type argument would drop parameters such as `;as=Table;v=v1;g=meta.k8s.io`.
    response.headers["Content-Type"] = content_type
    return response


# apimachinery's field.ErrorType: a cause's `reason` follows from the words its message starts with. The engine
# words field errors as upstream does but files every cause under FieldValueInvalid; clients that branch on the
# reason (e.g. a missing required field) need the real one.
_CAUSE_REASONS = (("Required value", "FieldValueRequired"), ("Unsupported value", "FieldValueNotSupported"),
                  ("Forbidden", "FieldValueForbidden"), ("Duplicate value", "FieldValueDuplicate"),
                  ("Too long", "FieldValueTooLong"), ("Too many", "FieldValueTooMany"),
                  ("Not found", "FieldValueNotFound"), ("Internal error", "InternalError"))


def _cause(cause: dict[str, Any]) -> dict[str, Any]:
    if cause.get("reason") != "FieldValueInvalid":
        return cause
    message = str(cause.get("message") or "")
    reason = next((r for prefix, r in _CAUSE_REASONS if message.startswith(prefix)), "FieldValueInvalid")
    return {**cause, "reason": reason}


def error_response(error: ApiError) -> web.Response:
    # Go's omitempty: a Status without a reason (a watch's internal error) has no "reason" key at all.
    body = {key: error.status[key] for key in _STATUS_ORDER if key in error.status and error.status[key] != ""}
    details = body.get("details")
    if details:
        details = {k: v for k, v in details.items() if k != "name" or v}  # Go's omitempty: no "name": ""
        if "causes" in details:
            details["causes"] = [_cause(c) for c in details["causes"]]
        body["details"] = details
    return json_response(body, error.code)


def failure(code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> ApiError:
    """An ApiError for what the HTTP layer refuses itself (unknown path, method, media type). These Status
    bodies carry `details: {}` when there is nothing to say, as kube-apiserver's do."""
    error = ApiError(code, reason, message)
    error.status["details"] = details or {}
    return error


def not_found_path() -> ApiError:
    return failure(404, "NotFound", "the server could not find the requested resource")


def page_not_found() -> web.Response:
    """What Go's http.ServeMux answers for a path no handler is registered for (`/nope`, an unserved group)."""
    return web.Response(status=404, text="404 page not found\n", content_type="text/plain", charset="utf-8")


def method_not_allowed() -> ApiError:
    return failure(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")


def unsupported_patch_type() -> ApiError:
    return failure(415, "UnsupportedMediaType", "415: Unsupported Media Type")


def unsupported_body_type() -> ApiError:
    error = ApiError(415, "UnsupportedMediaType", "the body of the request was in an unknown format - accepted "
                     "media types include: application/json, application/yaml")
    return error


def not_acceptable() -> ApiError:
    return failure(406, "NotAcceptable", "406: Not Acceptable\n\nAvailable representations: application/json")


def too_large_resource_version(asked: int, current: int) -> ApiError:
    return failure(504, "Timeout", f"Timeout: Too large resource version: {asked}, current: {current}",
                   {"causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
                    "retryAfterSeconds": 1})


def success(name: str, group: str, kind: str, uid: str) -> dict[str, Any]:
    """What DELETE answers when the object is gone at once (no finalizers, no grace period)."""
    details: dict[str, Any] = {"name": name}
    if group:
        details["group"] = group
    details.update({"kind": kind, "uid": uid})
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}


def unauthorized() -> web.Response:
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": "Unauthorized",
            "reason": "Unauthorized", "code": 401}
    return json_response(body, 401)
