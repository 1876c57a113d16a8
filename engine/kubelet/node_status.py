"""The Node and Lease objects a kubelet registers, and the node conditions it reports."""

from __future__ import annotations

import hashlib
from typing import Any

from ..quantity import canonical_quantity
from ..timeutil import format_micro_time, format_time

Obj = dict[str, Any]
KUBELET_VERSION = "v1.36.0"
CONTAINER_RUNTIME = "containerd://2.1.4"
OS_IMAGE = "Debian GNU/Linux 12 (bookworm)"
KERNEL_VERSION = "6.1.0-40-amd64"
LEASE_DURATION_SECONDS = 40  # the kubelet's nodeLeaseDurationSeconds

_HEALTHY = (
    ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
)


_MEMORY_PRESSURE = ("MemoryPressure", "True", "KubeletHasInsufficientMemory",
                    "kubelet has insufficient memory available")


def ready_conditions(now: float, previous: list[Obj] | None = None, memory_pressure: bool = False) -> list[Obj]:
    """The four conditions of a running node (healthy, or under memory pressure: eviction.py); lastTransitionTime
    moves only when a status changes."""
    before = {c.get("type"): c for c in previous or ()}
    stamp = format_time(now)
    out = []
    for kind, status, reason, message in _HEALTHY:
        if memory_pressure and kind == "MemoryPressure":
            kind, status, reason, message = _MEMORY_PRESSURE
        old = before.get(kind)
        transition = old["lastTransitionTime"] if old and old.get("status") == status else stamp
        out.append({"type": kind, "status": status, "lastHeartbeatTime": stamp,
                    "lastTransitionTime": transition, "reason": reason, "message": message})
    return out


# What a kubelet reports while its machine is still booting (its network plugin not up yet), as on a fresh node.
_BOOTING_READY = ("Ready", "False", "KubeletNotReady",
                  "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady "
                  "message:Network plugin returns error: cni plugin not initialized")


def booting_conditions(now: float) -> list[Obj]:
    """The conditions of a node that registered but is not ready yet: healthy pressures, Ready False."""
    stamp = format_time(now)
    return [{"type": kind, "status": status, "lastHeartbeatTime": stamp, "lastTransitionTime": stamp,
             "reason": reason, "message": message}
            for kind, status, reason, message in (*_HEALTHY[:-1], _BOOTING_READY)]


def node_object(kubelet: Any, cpu: str, memory: str, pods: int, labels: dict[str, str], now: float,
                taints: list[Obj] | None = None, booting: bool = False) -> Obj:
    """The Node a kubelet registers; `taints` are its `--register-with-taints`, `booting` registers it NotReady."""
    name = kubelet.name
    # As a kubelet reports it: canonical (`--node-cpu 0.5` is `500m`).
    capacity = {"cpu": canonical_quantity(str(cpu), resource_list=True),
                "memory": canonical_quantity(str(memory), resource_list=True), "pods": str(pods),
                "ephemeral-storage": "100Gi",
                "hugepages-1Gi": "0", "hugepages-2Mi": "0"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
                **labels,
            },
            "annotations": {
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
        },
        "spec": {"podCIDR": kubelet.pod_cidr, "podCIDRs": [kubelet.pod_cidr], **({"taints": taints} if taints else {})},
        "status": {
            "capacity": capacity,
            "allocatable": dict(capacity),
            "conditions": booting_conditions(now) if booting else ready_conditions(now),
            "addresses": [{"type": "InternalIP", "address": kubelet.host_ip}, {"type": "Hostname", "address": name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                # Derived from the name with a stable hash: str hash() changes per process (PYTHONHASHSEED).
                "machineID": hashlib.md5(name.encode()).hexdigest(),
                "systemUUID": f"{kubelet.index:08x}-0000-4000-8000-{kubelet.index:012x}",
                "bootID": f"{kubelet.index:08x}-b007-4000-8000-000000000000",
                "kernelVersion": KERNEL_VERSION,
                "osImage": OS_IMAGE,
                "containerRuntimeVersion": CONTAINER_RUNTIME,
                "kubeletVersion": KUBELET_VERSION,
                "kubeProxyVersion": "",
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
        },
    }


def lease_object(kubelet: Any, node: Obj, now: float) -> Obj:
    """The node's Lease as the kubelet's lease controller creates it: owned by the Node (setNodeOwnerFunc), so
    the garbage collector removes it with the Node; no acquireTime."""
    meta = node["metadata"]
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": kubelet.name, "namespace": "kube-node-lease",
                     "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": meta["name"],
                                          "uid": meta.get("uid", "")}]},
        "spec": {"holderIdentity": kubelet.name, "leaseDurationSeconds": LEASE_DURATION_SECONDS,
                 "renewTime": format_micro_time(now)},
    }
