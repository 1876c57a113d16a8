"""The kinds the engine serves. Importing this package registers every built-in kind."""

from . import deployment, event, lease, namespace, node, pod, replicaset  # noqa: F401  (registration)
from .registry import REGISTRY, FieldErrors, Health, KindInfo, Obj, Registry

__all__ = ["REGISTRY", "FieldErrors", "Health", "KindInfo", "Obj", "Registry"]
