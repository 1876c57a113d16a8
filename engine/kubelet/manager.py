"""Routes pod events to the kubelet of the pod's node (a controller, so it shares the engine's work queues)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .. import podutil
from ..runtime import Controller
from ..store import WatchEvent
from .kubelet import Kubelet

Obj = dict[str, Any]
NODE_KEY_PREFIX = "node:"  # pod keys are "namespace/name"; node names hold no ":"


class KubeletManager(Controller):
    name = "kubelet"
    resources = ("pods", "nodes")

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self.kubelets: dict[str, Kubelet] = {}
        # The cluster's data plane, built on first use (Cluster sets this): the network programs of the scripts
        # containers run (shell_behaviour.py) go through it. None: they are not simulated.
        self.network: Callable[[], Any] | None = None
        self._machines = 0  # every machine gets its own host IP and pod CIDR, even after others were removed
        # Requests/s each pod serves (`engine.metrics.load`), by namespace/name: its usage follows (usage.py).
        self.pod_rps: dict[str, float] = {}

    def add_node(self, name: str, cpu: str, memory: str, pods: int, labels: dict[str, str],
                 taints: list[Obj] | None = None, booting: bool = False) -> Kubelet:
        """A machine joins: its kubelet registers the Node (with `taints`; NotReady until `finish_boot` when
        `booting`)."""
        if name in self.kubelets:
            raise ValueError(f'node "{name}" already exists')
        self._machines += 1
        kubelet = Kubelet(self, name, self._machines)
        self.kubelets[name] = kubelet
        kubelet.register(cpu, memory, pods, labels, taints, booting)
        return kubelet

    def set_node_running(self, name: str, running: bool) -> None:
        kubelet = self.kubelets[name]
        if running:
            kubelet.resume()
        else:
            kubelet.stop()

    def keys_for(self, event: WatchEvent) -> Iterable[str]:
        obj = event.object
        if event.resource == "nodes":
            # `kubectl delete node`: the machine is taken away with its kubelet.
            return (NODE_KEY_PREFIX + obj["metadata"]["name"],) if event.type == "DELETED" else ()
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
        if key.startswith(NODE_KEY_PREFIX):
            self._node_deleted(key.removeprefix(NODE_KEY_PREFIX))
            return None
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

    def _node_deleted(self, name: str) -> None:
        """The Node object is gone: its kubelet stops for good (no heartbeats, no status, no Lease recreated).
        Its pods stay bound to the missing node until PodGC deletes them; a node of that name may be added again."""
        kubelet = self.kubelets.get(name)
        if kubelet is None or self.store.get("nodes", "", name) is not None:
            return
        kubelet.stop()
        del self.kubelets[name]

    def set_pod_rps(self, key: str, rps: float) -> None:
        """The requests/s the pod `namespace/name` serves from now on."""
        before = self.pod_rps.get(key, 0.0)
        if rps:
            self.pod_rps[key] = rps
        else:
            self.pod_rps.pop(key, None)
        for kubelet in self._kubelets_of(key):
            kubelet.load_changed(key, before)

    def request_served(self, key: str) -> None:
        """A simulated request reached the pod `namespace/name`."""
        for kubelet in self._kubelets_of(key):
            kubelet.request_served(key)

    def _kubelets_of(self, key: str) -> list[Kubelet]:
        namespace, name = podutil.split_key(key)
        pod = self.store.get("pods", namespace, name)
        kubelet = self.kubelets.get((pod or {}).get("spec", {}).get("nodeName") or "")
        return [kubelet] if kubelet is not None and key in kubelet.pods else []

    def logs(self, pod: Obj, container: str, previous: bool = False) -> list[tuple[float, str]] | None:
        kubelet = self.kubelets.get(pod["spec"].get("nodeName") or "")
        if kubelet is None:
            return None
        return kubelet.logs.lines(pod["metadata"]["uid"], container, self.clock.now(), previous)
