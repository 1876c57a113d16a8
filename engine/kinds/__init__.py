"""The kinds the engine serves. Importing this package registers every built-in kind."""

from . import (  # noqa: F401  (registration)
    configmap,
    deployment,
    endpoints,
    event,
    lease,
    namespace,
    node,
    pod,
    replicaset,
    secret,
    service,
)
from .registry import REGISTRY, FieldErrors, Health, KindInfo, Obj, Registry

__all__ = ["REGISTRY", "FieldErrors", "Health", "KindInfo", "Obj", "Registry"]
