"""Resource names and quantities as a ResourceQuota's `hard` and a LimitRange's items are validated.

`k/k pkg/apis/core/helper/helpers.go` (the standard, quota, container and integer resource names, native and
extended names) and `pkg/apis/core/validation` (validateResourceName, ValidateResourceQuotaResourceName,
validateContainerResourceName, ValidateResourceQuantityValue). A value that is not a quantity at all is the
decoder's 400, as `resource.Quantity`'s UnmarshalJSON fails before validation runs.
"""

from __future__ import annotations

from typing import Any

from .. import errors
from ..quantity import ERR_FORMAT_WRONG, Quantity
from . import validation as v
from .registry import FieldErrors

HUGEPAGES_PREFIX = "hugepages-"
REQUESTS_PREFIX = "requests."
REQUESTS_HUGEPAGES_PREFIX = "requests.hugepages-"

STANDARD_RESOURCES = frozenset({
    "cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory", "requests.ephemeral-storage",
    "limits.cpu", "limits.memory", "limits.ephemeral-storage", "pods", "resourcequotas", "services",
    "replicationcontrollers", "secrets", "configmaps", "persistentvolumeclaims", "storage", "requests.storage",
    "services.nodeports", "services.loadbalancers",
})
STANDARD_QUOTA_RESOURCES = STANDARD_RESOURCES - {"storage"}
STANDARD_CONTAINER_RESOURCES = frozenset({"cpu", "memory", "ephemeral-storage"})
STANDARD_INTEGER_RESOURCES = frozenset({
    "pods", "resourcequotas", "services", "replicationcontrollers", "secrets", "configmaps",
    "persistentvolumeclaims", "services.nodeports", "services.loadbalancers",
})


def is_hugepages(name: str) -> bool:
    return name.startswith(HUGEPAGES_PREFIX)


def is_quota_hugepages(name: str) -> bool:
    return name.startswith(HUGEPAGES_PREFIX) or name.startswith(REQUESTS_HUGEPAGES_PREFIX)


def is_native(name: str) -> bool:
    """IsNativeResource: no domain, or the kubernetes.io domain."""
    return "/" not in name or "kubernetes.io/" in name


def is_extended(name: str) -> bool:
    """IsExtendedResourceName: a domain-qualified name that quota can track as `requests.<name>`."""
    if is_native(name) or name.startswith(REQUESTS_PREFIX):
        return False
    return not v.qualified_name("", REQUESTS_PREFIX + name)


def is_integer_resource(name: str) -> bool:
    return name in STANDARD_INTEGER_RESOURCES or is_extended(name)


def overcommit_allowed(name: str) -> bool:
    """IsOvercommitAllowed: native resources other than hugepages."""
    return is_native(name) and not is_hugepages(name)


def _resource_name(path: str, name: str) -> FieldErrors:
    """validateResourceName."""
    errs = v.qualified_name(path, name)
    if errs:
        return errs
    if "/" not in name and name not in STANDARD_RESOURCES and not is_quota_hugepages(name):
        return [v.invalid(path, name, "must be a standard resource type or fully qualified")]
    return []


def quota_resource_name(path: str, name: str) -> FieldErrors:
    """ValidateResourceQuotaResourceName."""
    errs = _resource_name(path, name)
    if "/" not in name and name not in STANDARD_QUOTA_RESOURCES and not is_quota_hugepages(name):
        errs.append(v.invalid(path, name, "must be a standard resource for quota"))
    return errs


def container_resource_name(path: str, name: str) -> FieldErrors:
    """validateContainerResourceName."""
    errs = _resource_name(path, name)
    if "/" not in name:
        if name not in STANDARD_CONTAINER_RESOURCES and not is_hugepages(name):
            errs.append(v.invalid(path, name, "must be a standard resource for containers"))
    elif not is_native(name) and not is_extended(name):
        errs.append(v.invalid(path, name, "doesn't follow extended resource name standard"))
    return errs


def limit_range_resource_name(limit_type: Any, path: str, name: str) -> FieldErrors:
    """validateLimitRangeResourceName: Pod and Container items name container resources, others any resource."""
    if limit_type in ("Pod", "Container"):
        return container_resource_name(path, name)
    return _resource_name(path, name)


def quantity_value(path: str, name: str, raw: Any) -> FieldErrors:
    """ValidateResourceQuantityValue: non-negative, and whole for the resources counted in units."""
    q = Quantity.parse(raw)
    if q.value < 0:
        return [v.invalid(path, str(q), "must be greater than or equal to 0")]
    if is_integer_resource(name) and q.milli_value() % 1000:
        return [v.invalid(path, str(q), "must be an integer")]
    return []


def check_quantities(kind: str, field: str, resources: Any) -> None:
    """Decoding a ResourceList: a value `resource.Quantity` cannot parse is the decoder's 400."""
    if not isinstance(resources, dict):
        return
    for value in resources.values():
        try:
            Quantity.parse(value)
        except ValueError:
            message = f'{kind} in version "v1" cannot be handled as a {kind}: {ERR_FORMAT_WRONG}'
            raise errors.ApiError(400, "BadRequest", message, causes=[
                {"reason": "FieldValueInvalid", "message": message, "field": field}]) from None
