"""Routes pod events to the kubelet of the pod's node (a controller, so it shares the engine's work queues)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import podutil
from ..runtime import Controller
from ..store import WatchEvent
from .kubelet import Kubelet

Obj = dict[str, Any]


class KubeletManager(Controller):
    name = "kubelet"
    resources = ("pods",)

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self.kubelets: dict[str, Kubelet] = {}

    def add_node(self, name: str, cpu: str, memory: str, pods: int, labels: dict[str, str]) -> Kubelet:
        if name in self.kubelets:
            raise ValueError(f'node "{name}" already exists')
        kubelet = Kubelet(self, name, len(self.kubelets) + 1)
        self.kubelets[name] = kubelet
        kubelet.register(cpu, memory, pods, labels)
        return kubelet

    def set_node_running(self, name: str, running: bool) -> None:
        kubelet = self.kubelets[name]
        if running:
            kubelet.resume()
        else:
            kubelet.stop()

    def keys_for(self, event: WatchEvent) -> Iterable[str]:
        obj = event.object
        node = obj["spec"].get("nodeName") or (event.old or {}).get("spec", {}).get("nodeName")
        if not node:
            return ()
        key = podutil.key_of(obj)
        if event.type == "MODIFIED" and event.old is not None:
            kubelet = self.kubelets.get(node)
            state = kubelet.pods.get(key) if kubelet is not None else None
            # The echo of this kubelet's own status write changes nothing it needs to act on.
            if state is not None and obj.get("status") is state.posted_status and obj["spec"] is event.old["spec"] \
                    and obj["metadata"].get("deletionTimestamp") == event.old["metadata"].get("deletionTimestamp"):
                return ()
        return (key,)

    def object_for_key(self, key: str) -> Obj | None:
        namespace, name = podutil.split_key(key)
        return self.store.get("pods", namespace, name)

    def reconcile(self, key: str) -> float | None:
        namespace, name = podutil.split_key(key)
        pod = self.store.get("pods", namespace, name)
        if pod is not None:
            kubelet = self.kubelets.get(pod["spec"].get("nodeName") or "")
            if kubelet is not None and kubelet.running:
                kubelet.sync(pod, key)
            return None
        for kubelet in self.kubelets.values():
            if key in kubelet.pods and kubelet.running:
                kubelet.logs.forget(kubelet.pods[key].uid)
                kubelet.sync(None, key)
        return None

    def logs(self, pod: Obj, container: str, previous: bool = False) -> list[tuple[float, str]] | None:
        kubelet = self.kubelets.get(pod["spec"].get("nodeName") or "")
        if kubelet is None:
            return None
        return kubelet.logs.lines(pod["metadata"]["uid"], container, self.clock.now(), previous)
