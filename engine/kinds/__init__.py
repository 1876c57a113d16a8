"""The kinds the engine serves, one module each. Importing this package imports every module in it, and each kind
module registers its kind (`REGISTRY.register`): a new kind is a new file."""

import importlib
import pkgutil

from .registry import REGISTRY, DescribeContext, FieldErrors, Health, KindInfo, Obj, Registry

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["REGISTRY", "DescribeContext", "FieldErrors", "Health", "KindInfo", "Obj", "Registry"]
