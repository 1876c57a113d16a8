"""The one exception the engine raises for API misuse, carrying a Kubernetes `Status` (apimachinery errors)."""

from __future__ import annotations

from typing import Any

from .quoting import go_quote


class ApiError(Exception):
    """An API call failed; `status` is the `Status` object a real API server would return."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        *,
        name: str | None = None,
        group: str | None = None,
        kind: str | None = None,
        causes: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        details: dict[str, Any] = {}
        if name is not None:
            details["name"] = name
        if group:
            details["group"] = group
        if kind is not None:
            details["kind"] = kind
        if causes:
            details["causes"] = causes
        self.status: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": reason,
            "code": code,
        }
        if details:
            self.status["details"] = details

    def __str__(self) -> str:
        return self.message


def qualified(plural: str, group: str) -> str:
    """`pods`, `deployments.apps`: how Kubernetes names a resource in error messages."""
    return f"{plural}.{group}" if group else plural


def not_found(plural: str, group: str, name: str, kind: str | None = None) -> ApiError:
    return ApiError(404, "NotFound", f"{qualified(plural, group)} {go_quote(name)} not found",
                    name=name, group=group, kind=plural)


def already_exists(plural: str, group: str, name: str) -> ApiError:
    return ApiError(409, "AlreadyExists", f"{qualified(plural, group)} {go_quote(name)} already exists",
                    name=name, group=group, kind=plural)


def conflict(plural: str, group: str, name: str) -> ApiError:
    return ApiError(
        409,
        "Conflict",
        f"Operation cannot be fulfilled on {qualified(plural, group)} {go_quote(name)}: the object has been modified; "
        "please apply your changes to the latest version and try again",
        name=name, group=group, kind=plural,
    )


def invalid(kind: str, group: str, name: str, causes: list[tuple[str, str]]) -> ApiError:
    """422 with one cause per field, worded like apimachinery's field.ErrorList aggregate."""
    fields = [f"{path}: {msg}" if path else msg for path, msg in causes]
    if len(fields) == 1:
        body = fields[0]
    else:
        body = "[" + ", ".join(fields) + "]"
    qualified_kind = f"{kind}.{group}" if group else kind
    return ApiError(
        422,
        "Invalid",
        f"{qualified_kind} {go_quote(name)} is invalid: {body}",
        name=name, group=group, kind=kind,
        causes=[{"reason": "FieldValueInvalid", "message": msg, "field": path} for path, msg in causes],
    )


def forbidden(plural: str, group: str, name: str, why: str) -> ApiError:
    return ApiError(403, "Forbidden", f"{qualified(plural, group)} {go_quote(name)} is forbidden: {why}",
                    name=name, group=group, kind=plural)


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def expired(message: str) -> ApiError:
    return ApiError(410, "Expired", message)


def method_not_allowed(message: str) -> ApiError:
    return ApiError(405, "MethodNotAllowed", message)
