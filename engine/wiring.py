"""Builds a Cluster's control-plane components: every registered controller, the scheduler and the kubelets."""

from __future__ import annotations

from typing import TypeVar

import attrs

from . import controllers  # noqa: F401  (importing the package registers every controller)
from .kubelet.manager import KubeletManager
from .runtime import CONTROLLERS, Context, Controller, ControllerManager
from .scheduler.controller import SchedulerController

C = TypeVar("C", bound=Controller)


@attrs.define
class Components:
    controllers: dict[str, Controller]  # by name, as events name them ("replicaset-controller")
    scheduler: SchedulerController
    kubelets: KubeletManager

    def get(self, cls: type[C]) -> C:
        """The running instance of a controller class."""
        found = self.controllers[cls.name]
        assert isinstance(found, cls)
        return found


def build_components(ctx: Context, manager: ControllerManager) -> Components:
    # The scheduler and the kubelets run after the controllers in each round, as pods flow from one to the next.
    components = Components(controllers={cls.name: cls(ctx) for cls in CONTROLLERS},
                            scheduler=SchedulerController(ctx), kubelets=KubeletManager(ctx))
    for controller in (*components.controllers.values(), components.scheduler, components.kubelets):
        manager.add(controller)
    return components
