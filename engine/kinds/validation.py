"""Field validation with apimachinery's wording (`util/validation`, `util/validation/field`)."""

from __future__ import annotations

import json
import re
from typing import Any

from ..quoting import go_quote
from .registry import FieldErrors

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
QUALIFIED_NAME_PART = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")

DNS1123_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
    "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
PORT_NAME_CHARSET = re.compile(r"^[-a-z0-9]+$")
CONFIG_KEY_MSG = (
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
    "'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
)
PORT_RANGE_MSG = "must be between 1 and 65535, inclusive"
DNS1123_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
QUALIFIED_NAME_MSG = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
    "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)


def show(value: Any) -> str:
    """How field.Invalid prints a value: strings quoted with Go's %q (control characters escaped, never raw),
    numbers bare, maps as JSON."""
    if isinstance(value, str):
        return go_quote(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return go_json(value)
    return str(value)


def go_json(value: Any) -> str:
    """How a v1.36 API server prints a map or struct in `Invalid value: ...`: compact JSON, map keys sorted."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def invalid(path: str, value: Any, detail: str) -> tuple[str, str]:
    return path, f"Invalid value: {show(value)}: {detail}"


def required(path: str, detail: str = "") -> tuple[str, str]:
    return path, "Required value" + (f": {detail}" if detail else "")


def unsupported(path: str, value: Any, supported: list[str]) -> tuple[str, str]:
    options = ", ".join(go_quote(s) for s in supported)
    return path, f"Unsupported value: {show(value)}: supported values: {options}"


def one_of(path: str, value: Any, supported: list[str]) -> FieldErrors:
    """A required enum field: Required when empty, Unsupported when not one of `supported`."""
    if not value:
        return [required(path)]
    return [] if value in supported else [unsupported(path, value, supported)]


def forbidden(path: str, detail: str) -> tuple[str, str]:
    return path, f"Forbidden: {detail}"


def duplicate(path: str, value: Any) -> tuple[str, str]:
    return path, f"Duplicate value: {show(value)}"


def too_long(path: str, value: Any, limit: int) -> tuple[str, str]:
    return path, f"Too long: may not be more than {limit} bytes"


def type_error(path: str, value: Any, expected: str) -> tuple[str, str]:
    return path, f"Invalid value: {show(value)}: must be of type {expected}"


def dns1123_label(path: str, value: Any) -> FieldErrors:
    if not isinstance(value, str):
        return [type_error(path, value, "string")]
    errors: FieldErrors = []
    if len(value) > 63:
        errors.append(invalid(path, value, "must be no more than 63 characters"))
    if not DNS1123_LABEL.match(value):
        # IsDNS1123Label (v1.36): a valid subdomain that is no label can only have dots, and is told so.
        dots = DNS1123_SUBDOMAIN.match(value) is not None
        errors.append(invalid(path, value, "must not contain dots" if dots else DNS1123_LABEL_MSG))
    return errors


STANDARD_FINALIZERS = ("kubernetes", "orphan", "foregroundDeletion")


def finalizers(path: str, value: Any) -> FieldErrors:
    """ValidateFinalizers: each a qualified name, and one without a domain must be a standard one. Errors name
    the list, not the entry (upstream passes the list's path down)."""
    if value is None:
        return []
    if not isinstance(value, list):
        return [type_error(path, value, "array")]
    errors: FieldErrors = []
    for name in value:
        errors.extend(qualified_name(path, name))
        if isinstance(name, str) and "/" not in name and name not in STANDARD_FINALIZERS:
            errors.append(invalid(path, name, "name is neither a standard finalizer name nor is it fully qualified"))
    return errors


def path_segment_name(path: str, name: Any) -> FieldErrors:
    """path.IsValidPathSegmentName: the only rule for names of kinds such as Roles and HPAs' bindings."""
    if not isinstance(name, str):
        return [type_error(path, name, "string")]
    if name in (".", ".."):
        return [invalid(path, name, f"may not be '{name}'")]
    return [invalid(path, name, f"may not contain '{c}'") for c in ("/", "%") if c in name]


def dns1123_subdomain(path: str, value: Any) -> FieldErrors:
    if not isinstance(value, str):
        return [type_error(path, value, "string")]
    errors: FieldErrors = []
    if len(value) > 253:
        errors.append(invalid(path, value, "must be no more than 253 characters"))
    if not DNS1123_SUBDOMAIN.match(value):
        errors.append(invalid(path, value, DNS1123_SUBDOMAIN_MSG))
    return errors


def qualified_name(path: str, key: Any) -> FieldErrors:
    """Label and annotation keys: optional DNS subdomain prefix, a slash, then a 63-char name."""
    if not isinstance(key, str):
        return [type_error(path, key, "string")]
    prefix, _, name = key.rpartition("/")
    errors: FieldErrors = []
    if "/" in key and not prefix:
        errors.append(invalid(path, key, "prefix part must be non-empty"))
    elif prefix and (len(prefix) > 253 or not DNS1123_SUBDOMAIN.match(prefix)):
        errors.append(invalid(path, key, "prefix part " + DNS1123_SUBDOMAIN_MSG))
    if not name:
        errors.append(invalid(path, key, "name part must be non-empty"))
    elif len(name) > 63:
        errors.append(invalid(path, key, "name part must be no more than 63 bytes"))
    elif not QUALIFIED_NAME_PART.match(name):
        errors.append(invalid(path, key, QUALIFIED_NAME_MSG))
    return errors


def labels(path: str, value: Any) -> FieldErrors:
    if value is None:
        return []
    if not isinstance(value, dict):
        return [type_error(path, value, "object")]
    errors: FieldErrors = []
    for key, val in value.items():
        errors.extend(qualified_name(path, key))
        if not isinstance(val, str):
            errors.append(type_error(path, val, "string"))
            continue
        if len(val.encode()) > 63:  # v1.36 counts bytes, and says so
            errors.append(invalid(path, val, "must be no more than 63 bytes"))
        elif not LABEL_VALUE.match(val):
            errors.append(invalid(path, val, LABEL_VALUE_MSG))
    return errors


def annotations(path: str, value: Any) -> FieldErrors:
    if value is None:
        return []
    if not isinstance(value, dict):
        return [type_error(path, value, "object")]
    errors: FieldErrors = []
    total = 0
    for key, val in value.items():
        errors.extend(qualified_name(path, key))
        if not isinstance(val, str):
            errors.append(type_error(path, val, "string"))
            continue
        total += len(key) + len(val)
    if total > 256 * 1024:
        errors.append(too_long(path, "", 256 * 1024))
    return errors


def non_negative(path: str, value: Any) -> FieldErrors:
    if value is None:
        return []
    if isinstance(value, bool) or not isinstance(value, int):
        return [type_error(path, value, "integer")]
    if value < 0:
        return [invalid(path, value, "must be greater than or equal to 0")]
    return []


def positive(path: str, value: Any) -> FieldErrors:
    if value is None:
        return []
    if isinstance(value, bool) or not isinstance(value, int):
        return [type_error(path, value, "integer")]
    if value <= 0:
        return [invalid(path, value, "must be greater than 0")]
    return []


def is_mapping(path: str, value: Any) -> FieldErrors:
    if value is not None and not isinstance(value, dict):
        return [type_error(path, value, "object")]
    return []


def is_list(path: str, value: Any) -> FieldErrors:
    if value is not None and not isinstance(value, list):
        return [type_error(path, value, "array")]
    return []


def label_selector(path: str, selector: Any) -> FieldErrors:
    """metav1validation.ValidateLabelSelector."""
    if selector is None:
        return []
    if not isinstance(selector, dict):
        return [type_error(path, selector, "object")]
    errors = labels(f"{path}.matchLabels", selector.get("matchLabels"))
    exprs = selector.get("matchExpressions") or []
    if not isinstance(exprs, list):
        return [*errors, type_error(f"{path}.matchExpressions", exprs, "array")]
    for i, expr in enumerate(exprs):
        p = f"{path}.matchExpressions[{i}]"
        if not isinstance(expr, dict):
            errors.append(type_error(p, expr, "object"))
            continue
        op = expr.get("operator")
        values = expr.get("values") or []
        if op in ("In", "NotIn"):
            if not values:
                errors.append(required(f"{p}.values", "must be specified when `operator` is 'In' or 'NotIn'"))
        elif op in ("Exists", "DoesNotExist"):
            if values:
                errors.append(forbidden(f"{p}.values",
                                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
        else:
            errors.append(invalid(f"{p}.operator", op, "not a valid selector operator"))
        errors.extend(qualified_name(f"{p}.key", expr.get("key", "")))
    return errors


def immutable(path: str, new: Any, old: Any) -> FieldErrors:
    if new != old:
        return [invalid(path, new, "field is immutable")]
    return []


def config_key(path: str, key: Any) -> FieldErrors:
    """IsConfigMapKey: a key of ConfigMap/Secret data (it becomes a file name in a volume)."""
    if not isinstance(key, str):
        return [type_error(path, key, "string")]
    errors: FieldErrors = []
    if len(key) > 253:
        errors.append(invalid(path, key, "must be no more than 253 characters"))
    if not CONFIG_KEY.match(key):
        errors.append(invalid(path, key, CONFIG_KEY_MSG))
    if key == ".":
        errors.append(invalid(path, key, "must not be '.'"))
    elif key == "..":
        errors.append(invalid(path, key, "must not be '..'"))
    elif key.startswith(".."):
        errors.append(invalid(path, key, "must not start with '..'"))
    return errors


def port_number(path: str, value: Any) -> FieldErrors:
    if isinstance(value, bool) or not isinstance(value, int):
        return [type_error(path, value, "integer")]
    if not 1 <= value <= 65535:
        return [invalid(path, value, PORT_RANGE_MSG)]
    return []


def port_name(path: str, value: str) -> FieldErrors:
    """IsValidPortName: an IANA_SVC_NAME, what a named targetPort or containerPort name must be."""
    errors: FieldErrors = []
    if len(value) > 15:
        errors.append(invalid(path, value, "must be no more than 15 characters"))
    if not PORT_NAME_CHARSET.match(value):
        errors.append(invalid(path, value, "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"))
    if not re.search(r"[a-z]", value):
        errors.append(invalid(path, value, "must contain at least one letter (a-z)"))
    if "--" in value:
        errors.append(invalid(path, value, "must not contain consecutive hyphens"))
    if value and (value[0] == "-" or value[-1] == "-"):
        errors.append(invalid(path, value, "must not begin or end with a hyphen"))
    return errors


def port_number_or_name(path: str, value: Any) -> FieldErrors:
    """ValidatePortNumOrName: an IntOrString port."""
    if isinstance(value, str):
        return port_name(path, value)
    return port_number(path, value)
