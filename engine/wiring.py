"""Builds a Cluster's control-plane components: controllers, the scheduler and the kubelets."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from .controllers.deployment import DeploymentController
from .controllers.endpoints import EndpointsController
from .controllers.garbage_collector import GarbageCollector
from .controllers.namespace import NamespaceController
from .controllers.node_lifecycle import NodeLifecycleController
from .controllers.replicaset import ReplicaSetController
from .controllers.taint_eviction import TaintEvictionController
from .kubelet.manager import KubeletManager
from .scheduler.controller import SchedulerController

if TYPE_CHECKING:
    from .cluster import Cluster


@attrs.define
class Components:
    deployments: DeploymentController
    replicasets: ReplicaSetController
    endpoints: EndpointsController
    garbage_collector: GarbageCollector
    namespaces: NamespaceController
    node_lifecycle: NodeLifecycleController
    taint_eviction: TaintEvictionController
    scheduler: SchedulerController
    kubelets: KubeletManager


def build_components(cluster: Cluster) -> Components:
    ctx = cluster.ctx
    components = Components(
        deployments=DeploymentController(ctx),
        replicasets=ReplicaSetController(ctx),
        endpoints=EndpointsController(ctx),
        garbage_collector=GarbageCollector(ctx),
        namespaces=NamespaceController(ctx),
        node_lifecycle=NodeLifecycleController(ctx),
        taint_eviction=TaintEvictionController(ctx),
        scheduler=SchedulerController(ctx),
        kubelets=KubeletManager(ctx),
    )
    for controller in attrs.astuple(components, recurse=False):
        cluster.manager.add(controller)
    return components
