"""The controllers of kube-controller-manager. Importing this package imports every module in it, and each
controller class registers itself (`runtime.register_controller`): a new controller is a new file."""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
