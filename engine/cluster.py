"""`Cluster`: the embedded control plane wired together, and its public Python API.

    async with Cluster(nodes=3, clock="virtual") as cluster:
        await cluster.apply(yaml_text)
        await cluster.run_for(60)
        print(cluster.table("pods"))
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

import attrs

from . import errors
from .addons import ensure_add_ons
from .api import GENERATE_NAME_ALPHABET, Api
from .autoscale import autoscaler_for
from .clock import VIRTUAL_EPOCH, Clock, RealClock, VirtualClock
from .controllers.cluster_autoscaler import ClusterAutoscaler
from .controllers.cluster_autoscaler_groups import NodeGroup, as_node_groups
from .controllers.cronjob import manual_job
from .controllers.horizontal import HorizontalController
from .controllers.horizontal_history import ScaleHistory
from .controllers.ingress_nginx import IngressNginxController
from .controllers.kubernetes_service import ensure_kubernetes_service
from .controllers.lb_pool import DEFAULT_RANGE as DEFAULT_LB_RANGE
from .controllers.lb_pool import AddressPool
from .controllers.pod_gc import DEFAULT_TERMINATED_POD_THRESHOLD, PodGCController
from .controllers.service_lb import ServiceLoadBalancerController
from .drain import DEFAULT_TIMEOUT as DRAIN_TIMEOUT
from .drain import DrainOptions
from .drain import Progress as DrainProgress
from .drain import drain as drain_node
from .events import EventRecorder
from .kinds import REGISTRY, KindInfo
from .kinds.priorityclass import ensure_system_classes
from .kubelet.container_config import ContainerView
from .kubelet.logs import format_lines, no_log_reason
from .manifests.apply import apply_object, parse_documents
from .manifests.source import ManifestSource
from .metrics import MetricsApi
from .metrics.load import Load, LoadBook
from .metrics.scrape import Scraper
from .metrics.top import top_nodes, top_pods
from .network.request import DataPlane
from .network.trace import Trace
from .printers_registry import describe_object, table_for
from .quoting import go_quote
from .rbac.access import access_for
from .rbac.bootstrap import ensure_bootstrap_policy
from .rbac.identity import acting_as
from .rbac.rules import Attributes, table_rows
from .rbac.user import ADMIN, UserInfo, user_for
from .rollout import (
    RevisionInfo,
    RolloutProgress,
    rollout_history,
    rollout_progress,
    rollout_restart,
    rollout_revisions,
    rollout_status,
    rollout_undo,
    set_paused,
)
from .runner import Runner
from .runtime import Context, ControllerManager
from .selectors import parse_label_selector
from .store import Store, Watcher, WatchEvent, deep_copy
from .wiring import build_components

Obj = dict[str, Any]


class ByteStream(Protocol):
    """One forwarded connection's bytes, as `Cluster.port_forward` reads and answers them."""

    async def read(self) -> bytes: ...  # b"" once the other end has closed

    async def write(self, data: bytes) -> None: ...

    async def close(self) -> None: ...


class _ErrorStream:
    """The error stream of one forwarded connection: what the kubelet writes on it, kept."""

    def __init__(self) -> None:
        self.text = ""

    async def write(self, data: bytes) -> None:
        self.text += data.decode("utf-8", "replace")

    async def close(self) -> None:
        """Nothing to release: the text is read after the connection ends."""


class Cluster:
    def __init__(
        self,
        nodes: int = 3,
        node_cpu: str = "4",
        node_memory: str = "16Gi",
        node_pods: int = 110,
        clock: str | Clock = "virtual",
        speed: float = 1.0,
        seed: int | None = 0,
        start_time: float | None = None,
        event_limit: int = 100_000,
        terminated_pod_gc_threshold: int = DEFAULT_TERMINATED_POD_THRESHOLD,
        load_balancer_pool: str = DEFAULT_LB_RANGE,
        zones: int = 0,
        user: str | None = None,
        groups: Iterable[str] = (),
        node_groups: Iterable[NodeGroup | Obj] = (),
    ) -> None:
        if isinstance(clock, Clock):
            self.clock = clock
        elif clock == "virtual":
            self.clock = VirtualClock(VIRTUAL_EPOCH if start_time is None else start_time)
        elif clock == "real":
            self.clock = RealClock(start_time, speed=speed)
        else:
            raise ValueError(f'clock must be "virtual" or "real", got {clock!r}')
        if not isinstance(nodes, int) or nodes < 0:
            raise ValueError(f"nodes must be a non-negative integer, got {nodes!r}")
        if not isinstance(zones, int) or zones < 0:
            raise ValueError(f"zones must be a non-negative integer, got {zones!r}")
        # Spread the initial nodes round-robin over this many `topology.kubernetes.io/zone` values (zone-1, ...),
        # as a cloud provider labels them, for pod topology spreading by zone; 0 leaves nodes unzoned, as kind.
        self._zones = zones
        self.rng = random.Random(seed if seed is not None else time.time_ns())
        self.store = Store(adoptable=REGISTRY.adoptable_resources())
        self.api = Api(self.store, self.clock, self.rng)
        self.recorder = EventRecorder(self.api, limit=event_limit)
        self.manager = ControllerManager(self.store)
        self.runner = Runner(self.clock, self.manager)
        self.ctx = Context(api=self.api, store=self.store, clock=self.clock, recorder=self.recorder,
                           rng=self.rng, registry=REGISTRY, wake=self.runner.wake)
        self.node_spec = {"cpu": node_cpu, "memory": node_memory, "pods": node_pods}
        self._initial_nodes = nodes
        self._started = False
        self.components = build_components(self.ctx, self.manager)
        self.components.kubelets.network = lambda: self.data_plane  # containers' nslookup, nc, wget and curl
        # kube-controller-manager's --terminated-pod-gc-threshold (0 or less: terminated pods are never collected).
        self.components.get(PodGCController).terminated_pod_threshold = terminated_pod_gc_threshold
        # Where LoadBalancer Services (and the ingress controller) get external IPs: a range `a-b` or a CIDR.
        pool = AddressPool.parse(load_balancer_pool)
        self.components.get(ServiceLoadBalancerController).pool = pool
        self.components.get(IngressNginxController).pool = pool
        # Who writes through this facade (`kubectl --as user --as-group group`): None is the admin, whom nothing
        # is checked for; a user's writes are authorized by RBAC and refused with the API server's 403.
        self.identity: UserInfo | None = user_for(user, tuple(groups)) if user else None
        # Simulated load (Cluster.load) and metrics-server (Cluster.metrics), scraping from the cluster's start.
        self.load_book = LoadBook(self.ctx, self.components.kubelets, self.manager)
        self._metrics = MetricsApi(Scraper(self.components.kubelets, self.clock.now()), self.store, self.clock,
                                   self.components.kubelets)
        self.ctx.metrics = self._metrics  # the HPA controller's resource metrics client
        # The Cluster Autoscaler's node groups (NodeGroup records or `k9py.io/v1alpha1 NodeGroup` documents),
        # checked now, declared at start; its new machines are kubelets like the initial nodes.
        self._node_groups = as_node_groups(node_groups)
        self.components.get(ClusterAutoscaler).machines = self.components.kubelets

    # --- lifecycle -----------------------------------------------------------------------------------------

    async def __aenter__(self) -> Cluster:
        self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def start(self) -> None:
        if self._started:
            return
        self._started = True
        self.api.ensure_builtin_namespaces()
        ensure_kubernetes_service(self.api)
        ensure_add_ons(self.api)
        ensure_bootstrap_policy(self.api)
        ensure_system_classes(self.api)
        for i in range(1, self._initial_nodes + 1):
            zone = {"topology.kubernetes.io/zone": f"zone-{(i - 1) % self._zones + 1}"} if self._zones else None
            self.add_node(f"node-{i}", labels=zone)
        if self._node_groups:
            self.components.get(ClusterAutoscaler).set_node_groups(self._node_groups)
        for controller in self.manager.controllers:
            controller.start()
        self.runner.settle()
        self.runner.start_background()

    async def stop(self) -> None:
        await self.runner.stop_background()

    def add_node(self, name: str, cpu: str | None = None, memory: str | None = None,
                 pods: int | None = None, labels: dict[str, str] | None = None) -> None:
        self.components.kubelets.add_node(name, cpu or self.node_spec["cpu"], memory or self.node_spec["memory"],
                                          pods or self.node_spec["pods"], labels or {})

    @property
    def node_groups(self) -> list[NodeGroup]:
        """The Cluster Autoscaler's node groups, as declared."""
        if not self._started:
            return list(self._node_groups)
        return list(self.components.get(ClusterAutoscaler).groups.values())

    def set_node_groups(self, groups: Iterable[NodeGroup | Obj]) -> None:
        """Declare the Cluster Autoscaler's node groups (replacing those before); raises NodeGroupError (a
        ValueError naming the field) for a bad one. A new group starts at its min size."""
        declared = as_node_groups(groups)
        if not self._started:
            self._node_groups = declared
            return
        self.components.get(ClusterAutoscaler).set_node_groups(declared)
        self.runner.wake()

    # --- time ----------------------------------------------------------------------------------------------

    def now(self) -> float:
        return self.clock.now()

    async def run_for(self, seconds: float) -> None:
        """Advance the cluster by `seconds` of cluster time (instantly on a virtual clock)."""
        if isinstance(self.clock, VirtualClock):
            await self.runner.advance(seconds)
            return
        assert isinstance(self.clock, RealClock)
        target = self.clock.now() + seconds
        while self.clock.now() < target:
            wait = self.clock.wall_seconds_until(target)
            await asyncio.sleep(0.05 if wait is None else min(wait, 0.05) or 0)

    async def run_until(self, predicate: Callable[[Cluster], bool], timeout: float = 600.0) -> bool:
        """Advance until `predicate(cluster)` holds (True) or `timeout` seconds of cluster time pass (False)."""
        if isinstance(self.clock, VirtualClock):
            return await self.runner.advance(timeout, lambda: bool(predicate(self)))
        assert isinstance(self.clock, RealClock)
        target = self.clock.now() + timeout
        while self.clock.now() < target:
            if predicate(self):
                return True
            await asyncio.sleep(0.01)
        return bool(predicate(self))

    # --- clock control (real clock) ------------------------------------------------------------------------

    @property
    def speed(self) -> float:
        """How fast cluster time runs against the wall clock; 0.0 on a virtual clock (it jumps)."""
        return self.clock.speed if isinstance(self.clock, RealClock) else 0.0

    @property
    def paused(self) -> bool:
        return isinstance(self.clock, RealClock) and self.clock.paused

    def _real_clock(self) -> RealClock:
        if not isinstance(self.clock, RealClock):
            raise errors.bad_request("this cluster runs on a virtual clock: use run_for to move time")
        return self.clock

    def set_speed(self, speed: float) -> None:
        try:
            self._real_clock().set_speed(speed)
        except ValueError as exc:
            raise errors.bad_request(str(exc)) from None
        self.runner.wake()  # every pending timer now falls due at a different wall time

    def pause(self) -> None:
        self._real_clock().pause()
        self.runner.wake()

    def resume(self) -> None:
        self._real_clock().resume()
        self.runner.wake()

    def node_running(self, name: str) -> bool:
        """Whether the node's kubelet is running (False after `set_node_ready(name, False)`)."""
        self.api.get("nodes", name)
        kubelet = self.components.kubelets.kubelets.get(name)
        return kubelet is not None and kubelet.running

    def settle(self) -> None:
        """Let controllers react to everything that has happened, without moving time."""
        self.runner.settle()

    # --- the data plane ----------------------------------------------------------------------------------

    def request(self, source: str | None, url: str, method: str = "GET",
                headers: dict[str, str] | None = None) -> Trace:
        """Send a simulated HTTP request from a pod (`ns/name`), a node (`node/<name>`) or `outside` the cluster
        to `url`, and trace its path: DNS, Service, kube-proxy's choice, NetworkPolicy, the pod's answer
        (engine/network/request.py). Built on first use, so a cluster that sends no request pays nothing."""
        trace = self.data_plane.request(source, url, method, headers)
        if trace.ok and "/" in trace.endpoint:
            self.components.kubelets.request_served(trace.endpoint)  # the pod pays the request's CPU
        return trace

    @property
    def data_plane(self) -> DataPlane:
        """The simulated data plane (DNS, Services, NetworkPolicy, the pods' apps), built on first use."""
        plane = getattr(self, "_data_plane", None)
        if plane is None:
            # Its own seeded generator, so requests never shift the names the control plane draws.
            plane = self._data_plane = DataPlane(self.store, self.clock, random.Random(repr(self.rng.getstate())))
        return plane

    def port_forward_pod(self, name: str, namespace: str | None = "default") -> Obj:
        """The pod `kubectl port-forward` would reach, or ApiError as the API server refuses it: not found, not
        yet scheduled (`does not have a host assigned`), or its node's kubelet unreachable (`error dialing
        backend: ...`, a Status of unknown reason)."""
        from .kubelet.exec import check_bound, node_refusal

        pod = self.api.get("pods", name, namespace or "default")
        check_bound(pod)
        refusal = node_refusal(self, pod)
        if refusal is not None:
            # The upgrade-aware proxy's dial error, which the API server answers as a Status of unknown reason.
            error = errors.ApiError(500, "", f"error dialing backend: {refusal}")
            del error.status["reason"]  # StatusReasonUnknown is "", and omitted
            raise error
        return pod

    async def port_forward(self, name: str, namespace: str | None, port: int, data: ByteStream) -> str | None:
        """Forward one connection to `port` of the pod, as `kubectl port-forward` does for each connection to its
        local port: the bytes read from `data` are HTTP/1.1 requests the pod's simulated app answers, written back
        to `data` (engine/apiserver/portforward.py). Returns what the kubelet would send on the error stream (a
        port nothing listens on: containerd's `connection refused`), or None; ApiError as `port_forward_pod`."""
        from .apiserver.portforward import forward

        pod = self.port_forward_pod(name, namespace)
        error = _ErrorStream()
        await forward(self, pod, port, error, data)
        return error.text or None

    # --- usage and metrics --------------------------------------------------------------------------------

    @property
    def metrics(self) -> MetricsApi:
        """metrics-server's API: `pod_metrics(namespace, selector)` and `node_metrics()`, as of the last 15 s
        scrape (engine/metrics)."""
        return self._metrics

    def load(self, target: str, rps: float, namespace: str | None = "default") -> str:
        """Send `rps` requests per second to a Service or Deployment (`svc/NAME`, `deploy/NAME`, `NS/KIND/NAME`,
        or a bare name: its Service, else its Deployment), spread evenly over its ready pods as kube-proxy spreads
        them, from now until changed; 0 stops it. Each request costs its pod `sim.k9py.io/cost-per-request`."""
        before = dict(self.load_book.loads)
        load = self.load_book.set(target, rps, namespace or "default")
        if load is None:
            # Say which load stopped, as the dashboard's flash line shows it ("no load" read as if nothing was sent).
            stopped = [old for key, old in before.items() if key not in self.load_book.loads]
            return f"load on {stopped[0].target} stopped" if stopped else f"no load on {target}"
        pods = len(load.shares)
        spread = f"{load.rps / pods:g} each on {pods} ready pod{'s' if pods != 1 else ''}" if pods else \
            "no ready pod to serve it yet"
        return f"{load.rps:g} requests/s to {load.target}: {spread}"

    def top(self, kind: str = "pods", namespace: str | None = None, containers: bool = False,
            selector: str | None = None) -> tuple[list[str], list[list[str]]]:
        """`kubectl top pods|nodes` (-A when `namespace` is None, `--containers`, `-l`): (columns, rows) as kubectl
        prints them; raises ApiError with kubectl's message when there are no metrics yet."""
        if REGISTRY.resolve(kind).kind == "Node":
            return top_nodes(self._metrics, self.api.list("nodes", None, selector))
        pods = self.api.list("pods", namespace, selector)
        return top_pods(self._metrics, pods, self.clock.now(), namespace, containers)

    def hpa_history(self, name: str, namespace: str | None = "default") -> ScaleHistory | None:
        """A HorizontalPodAutoscaler's last 30 minutes of syncs (replicas found and wanted, each metric against
        its target), oldest first; None before its first sync (engine/controllers/horizontal_history.py)."""
        return self.components.get(HorizontalController).scale_history(namespace or "default", name)

    # --- reads ---------------------------------------------------------------------------------------------

    def kind(self, kind: str) -> KindInfo:
        return REGISTRY.resolve(kind)

    def get(self, kind: str, name: str, namespace: str | None = "default") -> Obj | None:
        info = REGISTRY.resolve(kind)
        obj = self.store.get(info.resource, namespace or "default" if info.namespaced else "", name)
        return deep_copy(obj) if obj is not None else None

    def list(self, kind: str, namespace: str | None = None, selector: str | None = None,
             field_selector: str | None = None) -> list[Obj]:
        return [deep_copy(o) for o in self.api.list(kind, namespace, selector, field_selector)]

    def events(self, namespace: str | None = None, involved: Obj | None = None) -> list[Obj]:
        """Events, oldest first (by last occurrence), optionally only those about one object."""
        evs = self.store.list("events", namespace)
        if involved is not None:
            uid = involved["metadata"].get("uid")
            evs = [e for e in evs if e.get("involvedObject", {}).get("uid") == uid]
        evs.sort(key=lambda e: (e.get("lastTimestamp") or "", e["metadata"].get("resourceVersion", "0").zfill(12)))
        return [deep_copy(e) for e in evs]

    def logs(self, name: str, namespace: str | None = "default", container: str | None = None,
             previous: bool = False, tail: int | None = None, timestamps: bool = False) -> list[str]:
        """`kubectl logs` for a pod's container, with kubectl's errors for the cases it refuses."""
        pod = self.api.get("pods", name, namespace)
        spec = pod.get("spec") or {}
        names = [c["name"] for c in (spec.get("initContainers") or []) + (spec.get("containers") or [])]
        if container is None:
            if len(spec.get("containers") or []) != 1:
                app = " ".join(c["name"] for c in spec.get("containers") or [])
                raise errors.bad_request(f"a container name must be specified for pod {name}, choose one of: [{app}]")
            container = spec["containers"][0]["name"]
        if container not in names:
            # Unquoted as kubectl prints it, but escaped: the name was typed by a user, not validated.
            raise errors.bad_request(f"container {go_quote(container)[1:-1]} is not valid for pod {name}")
        lines = self.components.kubelets.logs(pod, container, previous)
        if lines is None:
            raise errors.bad_request(no_log_reason(pod, container, previous))
        text = format_lines(lines, timestamps)
        return text[-tail:] if tail is not None and tail >= 0 else text

    def container_view(self, name: str, namespace: str | None = "default",
                       container: str | None = None) -> ContainerView:
        """What `kubectl exec <pod> -c <container> -- env` and `cat` of its mounted files show, now: the
        environment the container was created with, its command after `$(VAR)` expansion, and its mounts with
        the files as the kubelet last synced them. A container not created yet has no environment (`started` is
        None); its mounts show once the pod's volumes are set up. `container` defaults to the first one."""
        pod = self.api.get("pods", name, namespace)
        spec = pod.get("spec") or {}
        containers = (spec.get("initContainers") or []) + (spec.get("containers") or [])
        wanted = container or ((spec.get("containers") or [{}])[0]).get("name")
        found = next((c for c in containers if c.get("name") == wanted), None)
        if found is None:
            raise errors.bad_request(f"container {go_quote(str(wanted))[1:-1]} is not valid for pod {name}")
        kubelet = self.components.kubelets.kubelets.get(spec.get("nodeName") or "")
        if kubelet is None:
            return ContainerView((), (), (), None)
        return kubelet.configs.view(pod, found, self.clock.now())

    def health(self, kind: str, name: str, namespace: str | None = "default") -> tuple[str, str]:
        info = REGISTRY.resolve(kind)
        obj = self.store.get(info.resource, (namespace or "default") if info.namespaced else "", name)
        if obj is None:
            return "Missing", f"{info.resource} {go_quote(name)} not found"
        health = info.health(obj)
        return health.status, health.message

    def table(self, kind: str, namespace: str | None = None, wide: bool = False,
              selector: str | None = None) -> tuple[list[str], list[list[str]]]:
        info = REGISTRY.resolve(kind)
        objs = self.api.list(info, namespace, selector)
        return table_for(info, objs, self.clock.now(), wide=wide, all_namespaces=namespace is None)

    def describe(self, kind: str, name: str, namespace: str | None = "default") -> str:
        info = REGISTRY.resolve(kind)
        obj = self.api.get(info, name, namespace)
        return describe_object(_DescribeReads(self), info, obj)

    async def watch(self, kind: str | None = None, namespace: str | None = None,
                    resource_version: str | int | None = None, selector: str | None = None,
                    ) -> AsyncIterator[Obj]:
        """Watch events as the API streams them: ADDED for what exists (unless resuming), then changes.

        Resuming from a resourceVersion older than the kept history yields one ERROR event carrying a
        410 Expired Status, as the API server does; the caller then re-lists.
        """
        info = REGISTRY.resolve(kind) if kind else None
        label_selector = parse_label_selector(selector)
        try:
            rv = int(resource_version) if resource_version not in (None, "") else None
        except ValueError:
            raise errors.bad_request(f"invalid resource version {go_quote(resource_version)}") from None
        try:
            watcher, backlog = self.store.add_watcher(info.resource if info else None, namespace, rv)
        except errors.ApiError as exc:
            yield {"type": "ERROR", "object": exc.status}
            return
        try:
            pending = list(backlog)
            while True:
                for event in pending:
                    labels = event.object.get("metadata", {}).get("labels")
                    if label_selector.empty or label_selector.matches(labels):
                        yield {"type": event.type, "object": deep_copy(event.object)}
                pending = await watcher.next_batch()
        finally:
            watcher.close()

    # --- zero-copy reads, for a dashboard in the same process ----------------------------------------------
    # `get`, `list` and `watch` hand out copies, as an API server's JSON does; a dashboard that repaints 10,000
    # pods twice a second cannot afford a copy each, so these hand out the store's own objects. Read them, never
    # mutate them: they are the cluster's state.

    def shared_get(self, kind: str, name: str, namespace: str | None = "default") -> Obj | None:
        """The stored object itself (no copy), or None."""
        info = REGISTRY.resolve(kind)
        return self.store.get(info.resource, (namespace or "default") if info.namespaced else "", name)

    def shared_list(self, kind: str, namespace: str | None = None) -> list[Obj]:
        """The stored objects themselves (no copy); a cluster-scoped kind ignores `namespace`."""
        info = REGISTRY.resolve(kind)
        return self.store.list(info.resource, namespace if info.namespaced else None)

    def subscribe(self, kind: str, namespace: str | None = None) -> SharedWatch:
        """A buffered watch of one kind (one namespace, or all) whose events carry the stored objects themselves:
        `drain()` returns ADDED for everything that exists first, then every change since the last drain."""
        info = REGISTRY.resolve(kind)
        # Cluster-scoped objects carry no namespace, so a namespace filter would hide all of them.
        watcher, backlog = self.store.add_watcher(info.resource, namespace if info.namespaced else None)
        return SharedWatch(watcher, list(backlog))

    def container_logs(self, pod: Obj, container: str, previous: bool = False) -> list[tuple[float, str]] | None:
        """A container's log lines as (cluster time, text), as its kubelet keeps them; None when there are none
        (`engine.kubelet.logs.no_log_reason` says why, as kubectl does)."""
        return self.components.kubelets.logs(pod, container, previous)

    def loads(self) -> list[Load]:
        """The simulated loads set with `load`, each with its pods' shares."""
        return list(self.load_book.loads.values())

    def policy_rules(self, user: str, groups: Iterable[str] = (), namespace: str | None = "default") -> list[Obj]:
        """The RBAC rules that apply to `user` (in `groups`) in `namespace`, as `kubectl auth can-i --list` finds
        them, before it breaks them down (`engine.rbac.rules.breakdown`)."""
        found = access_for(self.store).rules_for(user_for(user, tuple(groups)), namespace or "default")
        return list(found.rules)

    def watch_folder(self, root: str | Path, *, namespace: str = "default", self_heal: bool = False) -> ManifestSource:
        """A folder (or file) of manifests as a source of desired state for this cluster: `sync()` applies it,
        `await watch(stop)` re-applies on every save (engine/manifests/source.py)."""
        return ManifestSource(self.api, root, namespace=namespace, self_heal=self_heal)

    # --- writes --------------------------------------------------------------------------------------------

    async def apply(self, manifests: str | Obj | Iterable[Obj], namespace: str | None = None) -> list[Obj]:
        """Create or declaratively update objects (like `kubectl apply`); returns the live objects."""
        docs = parse_documents(manifests)
        ordered = sorted(docs, key=_apply_order)
        out = []
        for doc in ordered:
            with self._acting(*self._apply_verb(doc, namespace)):
                out.append(deep_copy(apply_object(self.api, doc, namespace)))
        return out

    async def create(self, obj: Obj, namespace: str | None = None) -> Obj:
        with self._acting(*self._write_of("create", obj, namespace)):
            return deep_copy(self.api.create(obj, namespace))

    async def update(self, obj: Obj) -> Obj:
        with self._acting(*self._write_of("update", obj, None)):
            return deep_copy(self.api.update(obj))

    async def patch(self, kind: str, name: str, patch: Obj, namespace: str | None = "default") -> Obj:
        with self._acting("patch", kind, namespace, name):
            return deep_copy(self.api.patch(kind, name, namespace, patch))

    async def scale(self, kind: str, name: str, replicas: int, namespace: str | None = "default",
                    manager: str | None = None) -> Obj:
        """The scale subresource: `replicas` that is not an int32 (a string, None, 2**31) raises the API's 400,
        a negative one its 422, before any controller sees it. `manager`: the field manager to record, as a
        client names itself (`kubectl` scales as `kubectl` with subresource `scale`); None writes as the engine's
        own components do."""
        with self._acting("update", kind, namespace, name, "scale"):
            return deep_copy(self.api.scale(kind, name, namespace, replicas, manager=manager))

    async def autoscale(self, kind: str, name: str, max_replicas: int, min_replicas: int | None = None,
                        cpu_percent: int | None = None, namespace: str | None = "default",
                        manager: str | None = None) -> Obj:
        """`kubectl autoscale KIND NAME --max=N [--min=N] [--cpu-percent=N]`: a HorizontalPodAutoscaler of the
        same name scaling that object, as kubectl builds it (engine/autoscale.py), created as `manager` (kubectl's
        is `kubectl-autoscale`). Raises ApiError with kubectl's own message for a bad --max/--min, the API's
        otherwise (the target not found, the HPA already there, --cpu-percent=0)."""
        info = REGISTRY.resolve(kind)
        target = self.api.get(info, name, namespace or "default")
        hpa = autoscaler_for(info, target, max_replicas, min_replicas, cpu_percent)
        with self._acting("create", "HorizontalPodAutoscaler.autoscaling", namespace, ""):
            return deep_copy(self.api.create(hpa, namespace or "default", manager=manager))

    async def delete(self, kind: str, name: str, namespace: str | None = "default", grace_period: int | None = None,
                     propagation: str = "Background") -> Obj | None:
        with self._acting("delete", kind, namespace, name):
            result = self.api.delete(kind, name, namespace, grace_period=grace_period, propagation=propagation)
        return deep_copy(result) if result is not None else None

    # `kubectl rollout`: `kind` is any name of Deployment (the default) or DaemonSet ("ds", "daemonsets", ...).

    # `manager`: the field manager the write is recorded under (kubectl's rollout commands are `kubectl-rollout`);
    # None writes as the engine's own components do.

    async def rollout_undo(self, name: str, namespace: str | None = "default",
                           to_revision: int | None = None, kind: str = "Deployment", manager: str | None = None) -> str:
        with self._acting("patch", kind, namespace, name):
            return rollout_undo(self.api, name, namespace or "default", to_revision, kind, manager)

    async def rollout_restart(self, name: str, namespace: str | None = "default", kind: str = "Deployment",
                              manager: str | None = None) -> str:
        with self._acting("patch", kind, namespace, name):
            return rollout_restart(self.api, name, namespace or "default", kind, manager)

    async def rollout_pause(self, name: str, namespace: str | None = "default", kind: str = "Deployment",
                            manager: str | None = None) -> str:
        with self._acting("patch", kind, namespace, name):
            return set_paused(self.api, name, namespace or "default", True, kind, manager)

    async def rollout_resume(self, name: str, namespace: str | None = "default", kind: str = "Deployment",
                             manager: str | None = None) -> str:
        with self._acting("patch", kind, namespace, name):
            return set_paused(self.api, name, namespace or "default", False, kind, manager)

    def rollout_status(self, name: str, namespace: str | None = "default",
                       kind: str = "Deployment") -> tuple[str, bool]:
        return rollout_status(self.api, name, namespace or "default", kind)

    def rollout_history(self, name: str, namespace: str | None = "default",
                        kind: str = "Deployment") -> list[tuple[int, str]]:
        return rollout_history(self.api, name, namespace or "default", kind)

    def rollout_revisions(self, name: str, namespace: str | None = "default",
                          kind: str = "Deployment") -> list[RevisionInfo]:
        """Per revision (oldest first): change-cause, ReplicaSet (a DaemonSet's ControllerRevision), images, pod
        counts, and which is current."""
        return rollout_revisions(self.api, name, namespace or "default", kind)

    def rollout_progress(self, name: str, namespace: str | None = "default",
                         kind: str = "Deployment") -> RolloutProgress:
        """The counts behind `rollout_status`, with the strategy and whether the rollout is paused."""
        return rollout_progress(self.api, name, namespace or "default", kind)

    async def create_job_from_cronjob(self, cronjob: str, name: str | None = None,
                                      namespace: str | None = "default") -> Obj:
        """`kubectl create job NAME --from=cronjob/CRONJOB`; without a name, k9s's trigger names it
        `<cronjob>-manual-<3 random>` (the CronJob's name cut to 41 characters first)."""
        cj = self.api.get("cronjobs.batch", cronjob, namespace)
        if name is None:
            name = f"{cronjob[:41]}-manual-" + "".join(self.rng.choice(GENERATE_NAME_ALPHABET) for _ in range(3))
        with self._acting("create", "jobs.batch", namespace, ""):
            return deep_copy(self.api.create(manual_job(cj, name)))

    async def set_node_ready(self, name: str, ready: bool) -> None:
        """Simulate a node failing (its kubelet stops heartbeating and its containers stop) or coming back. Not an
        API call: no identity is checked (it is the machine that fails)."""
        self.api.get("nodes", name)
        self.components.kubelets.set_node_running(name, ready)
        self.runner.wake()

    async def cordon(self, name: str, unschedulable: bool = True, manager: str | None = None) -> Obj:
        """`manager`: as for the rollout commands (kubectl cordons as `kubectl`)."""
        with self._acting("patch", "nodes", None, name):
            return deep_copy(self.api.patch("nodes", name, None, {"spec": {"unschedulable": unschedulable or None}},
                                            manager=manager))

    async def drain(self, name: str, *, force: bool = False, ignore_daemonsets: bool = True,
                    delete_emptydir_data: bool = False, grace_period: int | None = None,
                    timeout: float = DRAIN_TIMEOUT, progress: DrainProgress | None = None,
                    manager: str | None = None) -> list[str]:
        """`kubectl drain`: cordon, evict every pod kubectl would, wait until they are gone; kubectl's output.

        Waiting moves cluster time (a virtual clock jumps). An eviction a PodDisruptionBudget refuses is tried
        again every 5 s, as kubectl does; `progress(line, budget_says)` hears each output line as it is printed.
        Raises `engine.drain.DrainError` (an `ApiError` carrying the output so far) when a pod may not be evicted
        without `force`/`delete_emptydir_data`, or when the drain has not finished within `timeout` seconds of
        cluster time.
        """
        with self._acting("patch", "nodes", None, name):
            pass  # kubectl drain cordons first: a user who may not is refused before anything happens
        options = DrainOptions(force=force, ignore_daemonsets=ignore_daemonsets,
                               delete_emptydir_data=delete_emptydir_data, grace_period=grace_period,
                               timeout=timeout)
        return await drain_node(self.api, name, options,
                                lambda done, seconds: self.run_until(lambda _: done(), timeout=seconds), progress,
                                manager)

    # --- access control ------------------------------------------------------------------------------------

    def act_as(self, user: str | None, groups: Iterable[str] = ()) -> None:
        """Make the writes through this facade as `user` (in `groups`), as `Cluster(user=..., groups=...)` does;
        None: as the admin again."""
        self.identity = user_for(user, tuple(groups)) if user else None

    def _user(self, user: str | None, groups: Iterable[str]) -> UserInfo:
        if user is not None:
            return user_for(user, tuple(groups))
        return self.identity or ADMIN

    def _attributes(self, verb: str, resource: str, namespace: str | None, name: str = "",
                    subresource: str = "") -> Attributes:
        """A request's attributes as `kubectl auth can-i` builds them: a URL path is a non-resource request;
        `pods/log` names a subresource; a resource the cluster does not serve is asked about as written."""
        if resource.startswith("/"):
            return Attributes(verb, path=resource, resource_request=False)
        head, _, sub = resource.partition("/")
        info = REGISTRY.lookup(head)
        plural, group = (info.plural, info.group) if info is not None else head.partition(".")[::2]
        scoped = info is None or info.namespaced
        return Attributes(verb, plural, group, (namespace or "default") if scoped else "", name, subresource or sub)

    def can_i(self, verb: str, resource: str, namespace: str | None = "default", *, name: str = "",
              subresource: str = "", user: str | None = None, groups: Iterable[str] = ()) -> bool:
        """`kubectl auth can-i VERB RESOURCE [NAME] -n NAMESPACE [--as USER --as-group G]`: whether RBAC (or
        system:masters) allows it. `resource` may be `pods`, `deployments.apps`, `pods/log` or a URL path
        (`/healthz`); without `user`, the cluster's own identity (the admin unless `Cluster(user=...)`)."""
        request = self._attributes(verb, resource, namespace, name, subresource)
        return access_for(self.store).authorize(self._user(user, groups), request).allowed

    def can_i_list(self, namespace: str | None = "default", *, user: str | None = None,
                   groups: Iterable[str] = ()) -> list[tuple[str, str, str, str]]:
        """`kubectl auth can-i --list`: rows of Resources, Non-Resource URLs, Resource Names, Verbs, as kubectl
        prints them (broken down, compacted, sorted)."""
        found = access_for(self.store).rules_for(self._user(user, groups), namespace or "default")
        return table_rows(found.rules)

    def _write_of(self, verb: str, obj: Obj, namespace: str | None) -> tuple[str, str, str | None, str]:
        if self.identity is None or not isinstance(obj, dict):
            return verb, "", namespace, ""
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        return (verb, f"{obj.get('kind', '')}.{str(obj.get('apiVersion', '')).rpartition('/')[0]}".rstrip("."),
                meta.get("namespace") or namespace, "" if verb == "create" else str(meta.get("name", "")))

    def _apply_verb(self, doc: Obj, namespace: str | None) -> tuple[str, str, str | None, str]:
        """kubectl apply creates what is missing and patches what exists."""
        verb, kind, ns, _ = self._write_of("create", doc, namespace)
        if self.identity is None or not kind:
            return verb, kind, ns, ""
        info = REGISTRY.lookup(kind)
        name = str(((doc.get("metadata") or {}) if isinstance(doc.get("metadata"), dict) else {}).get("name", ""))
        if info is not None and self.store.get(info.resource, (ns or "default") if info.namespaced else "", name):
            return "patch", kind, ns, name
        return verb, kind, ns, ""

    @contextlib.contextmanager
    def _acting(self, verb: str, kind: str, namespace: str | None, name: str,
                subresource: str = "") -> Iterator[None]:
        """Authorize a write for the cluster's identity (nothing to do for the admin), then make it as that
        identity, so that RBAC's own storage checks (escalation) see who asks."""
        if self.identity is None:
            yield
            return
        access_for(self.store).check(self.identity, self._attributes(verb, kind, namespace, name, subresource))
        with acting_as(self.identity):
            yield


class SharedWatch:
    """`Cluster.subscribe`'s watch: events whose objects are the store's own (read them, never mutate them)."""

    def __init__(self, watcher: Watcher, backlog: list[WatchEvent]) -> None:
        self._watcher = watcher
        self._pending = backlog

    def drain(self) -> list[WatchEvent]:
        """Every event since the last drain (the first: ADDED for everything that existed when subscribed)."""
        out = self._pending
        self._pending = []
        out.extend(self._watcher.drain())
        return out

    def close(self) -> None:
        self._watcher.close()


@attrs.frozen
class _DescribeReads:
    """The reads `kubectl describe` may make (`DescribeContext`), answered from the cluster's store."""

    cluster: Cluster

    def now(self) -> float:
        return self.cluster.now()

    def events(self, obj: Obj) -> list[Obj]:
        return self.cluster.events(involved=obj)

    def dependents(self, obj: Obj, resource: str) -> list[Obj]:
        return self.cluster.store.dependents(obj["metadata"].get("uid", ""), resource)

    def get(self, resource: str, namespace: str, name: str) -> Obj | None:
        return self.cluster.store.get(resource, namespace, name)

    def list(self, resource: str, namespace: str | None = None) -> Iterable[Obj]:
        store = self.cluster.store
        return store.iter(resource) if namespace is None else store.list(resource, namespace)

    def explain_pod(self, pod: Obj) -> str | None:
        return self.cluster.components.scheduler.explain_pod(pod)


def _apply_order(obj: Obj) -> int:
    """Namespaces first, then other cluster-scoped kinds, then everything else (Argo CD / Flux order)."""
    kind = obj.get("kind") if isinstance(obj, dict) else None
    if kind == "Namespace":
        return 0
    info = REGISTRY.by_kind(str(kind)) if kind else None
    if info is not None and not info.namespaced:
        return 1
    return 2
