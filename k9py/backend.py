"""The dashboard's only door into a cluster.

Views talk to a `Backend`, never to the engine, so the same dashboard could later drive a real cluster (or a
recorded one in tests). `EngineBackend` adapts the embedded control plane; it is the one UI module that imports
`engine`. Objects handed out are the store's own dicts: read them, never mutate them.
"""

from __future__ import annotations

import abc
import asyncio
import dataclasses
import functools
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from engine import ApiError, Cluster
from engine.controllers.horizontal_history import ScaleHistory
from engine.drain import DrainError
from engine.kinds import REGISTRY, KindInfo
from engine.kubelet.container_config import ContainerView
from engine.kubelet.logs import format_lines, no_log_reason
from engine.manifests.diff import format_diff, parse_path
from engine.manifests.loader import LoadError, shown_path
from engine.manifests.source import PRUNE_QUIET_SECONDS, ManifestSource, SyncRecord
from engine.manifests.writeback import WriteBackError, WriteResult
from engine.metrics.api import millicores
from engine.network.trace import Trace
from engine.printers import pod_status as _pod_status
from engine.printers.duration import age as _age
from engine.printers_registry import columns_for, row_for
from engine.quantity import Quantity
from engine.selectors import parse_label_selector, selector_to_string

from .port_forward import ForwardError, LocalStream, PortForwards

if TYPE_CHECKING:
    from .kube_client import Context
    from .kube_folder import PruneRequest

Obj = dict[str, Any]
LogLine = tuple[float, str]
# The field manager of what the dashboard's keys change (managedFields), as a real cluster records k9s's scale
# under `k9s`, client-go's User-Agent: drift then names it beside `kubectl` and the folders' `k9py`.
DASHBOARD_FIELD_MANAGER = "k9py-dashboard"
# ... and of its rollout keys (restart, rollback), as kubectl's rollout commands write as `kubectl-rollout` apart from
# its other commands' `kubectl`
DASHBOARD_ROLLOUT_MANAGER = "k9py-dashboard-rollout"


def _field_name(path: str) -> str:
    """A field path's last name: `replicas`, `image`, `tier` (of `metadata.labels.tier`)."""
    names = [part for part in parse_path(path) if isinstance(part, str)]
    return names[-1] if names else path


def written_back(key: SourceKey, result: WriteResult | None, shown: str) -> str:
    """What `w` says of a write-back into the file shown as `shown`, on either backend."""
    if result is None or not result.changed:
        return f"nothing to write back: {key[0].lower()}/{key[2]}'s live values match its manifest"
    # Field paths name containers ("spec.template.spec.containers[name=web].image"): say the field's own name.
    what = dict.fromkeys(_field_name(f) for f in result.fields)
    return f"wrote {'/'.join(what)} back to {shown}"


class BackendError(Exception):
    """An operation failed; the message is fit to flash at the user as is."""


@dataclass(frozen=True)
class KindRef:
    """What a view needs to know about a resource type."""

    kind: str
    plural: str
    singular: str
    short_names: tuple[str, ...]
    namespaced: bool
    # What the kind offers (`KindInfo`'s capabilities): the dashboard's keys and drill-downs follow from these.
    scalable: bool
    restartable: bool = False
    rollout: bool = False
    owns_pods: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        """Every name `:` accepts for this kind."""
        return (self.plural, self.singular, *self.short_names)


@dataclass(frozen=True)
class Change:
    type: str  # ADDED, MODIFIED, DELETED
    obj: Obj


@dataclass(frozen=True)
class FolderSummary:
    """A watched folder as the header shows it: how much it declares, how much has drifted, how much is broken."""

    name: str
    objects: int
    out_of_sync: int
    errors: int


@dataclass(frozen=True)
class Summary:
    nodes_total: int
    nodes_ready: int
    pod_statuses: dict[str, int]  # pod STATUS column text -> count
    now: float
    speed: float
    paused: bool
    folders: tuple[FolderSummary, ...] = ()
    pod_phases: dict[str, int] = dataclasses.field(default_factory=dict)  # status.phase -> count, as kubectl counts
    # A real cluster (KubeBackend): its context and version for the header's Cluster line, and the connection's
    # state ("reconnecting…" while a watch is being retried: the rows on screen may be stale).
    cluster: str = ""
    simulated: bool = True
    connection: str = ""


@dataclass(frozen=True)
class RolloutStatus:
    """A Deployment's or DaemonSet's rollout: `kubectl rollout status`'s line and the counts behind it."""

    message: str  # kubectl's line; "error: ..." as kubectl prints it once the progress deadline has passed
    done: bool
    failed: bool  # the progress deadline was exceeded
    revision: int
    desired: int
    updated: int
    ready: int
    available: int
    replicas: int
    old: int  # old replicas pending termination
    terminating: int | None  # None: unknown
    strategy: str  # RollingUpdate or Recreate
    max_surge: str  # as declared ("25%"); "" for Recreate
    max_unavailable: str
    surge: int  # resolved against the desired count
    unavailable: int
    paused: bool
    observed: bool  # the controller has seen the latest spec


@dataclass(frozen=True)
class RolloutRevision:
    """One entry of a revision history: a Deployment's ReplicaSet or a DaemonSet's ControllerRevision."""

    revision: int
    change_cause: str  # "<none>" when absent, as kubectl prints it
    replica_set: str
    images: tuple[str, ...]
    desired: int
    current: int
    ready: int
    age: str
    is_current: bool


SourceKey = tuple[str, str, str]  # (Kind, namespace or "", name), as a watched folder's inventory keys objects


@dataclass(frozen=True)
class SourceRow:
    """One row of the sources view: an object a watched folder declares, or one of its current errors."""

    key: str  # stable row identity across refreshes
    location: str  # FILE:LINE (FILE:LINE:COL for errors), relative to the watched folder
    kind: str = ""
    namespace: str = ""
    name: str = ""
    sync: str = ""  # Synced, OutOfSync, or Error for a manifest error
    health: str = ""
    message: str = ""
    path: str = ""  # the file, absolute, and the line: what `e` opens
    line: int = 0

    @property
    def is_error(self) -> bool:
        return self.sync == "Error"

    @property
    def object_key(self) -> SourceKey | None:
        return None if self.is_error else (self.kind, self.namespace, self.name)


def error_row(folder: int, n: int, shown: str, error: LoadError) -> SourceRow:
    """The sources view's row of a watched folder's `n`th error (`shown`: its file as the user knows it)."""
    where = f"{shown}:{error.line}" + (f":{error.column}" if error.column else "")
    return SourceRow(key=f"err/{folder}/{n}/{where}", location=where, sync="Error", message=error.message,
                     path=error.file, line=error.line)


def object_row(folder: int, key: SourceKey, shown: str, path: str, line: int, sync: str, health: str,
               message: str = "") -> SourceRow:
    """The sources view's row of a declared object; rows sort by (`shown` file, line)."""
    kind, namespace, name = key
    return SourceRow(key=f"obj/{folder}/{kind}/{namespace}/{name}", location=f"{shown}:{line}", kind=kind,
                     namespace=namespace, name=name, sync=sync, health=health, message=message, path=path, line=line)


@dataclass(frozen=True)
class Manifest:
    """Where a watched folder declares an object: `e` opens it in the user's editor."""

    path: Path
    line: int
    shown: str  # FILE:LINE as the user knows it (relative to the watched folder)


@dataclass(slots=True)
class Usage:
    """What k9s's metric columns are computed from: usage as of metrics-server's last scrape (`measured` False
    when it has none) and what it is compared with: a pod's summed requests and limits (each container's requests,
    or its limits when it has none, as k9s sums them; sidecars included), a node's allocatable (as the requests)."""

    measured: bool
    cpu: int  # millicores (the summed usage's MilliValue)
    memory: int  # bytes
    cpu_request: int = 0
    cpu_limit: int = 0
    memory_request: int = 0
    memory_limit: int = 0


NO_USAGE = Usage(False, 0, 0)  # nothing measured (no metrics, or a view that is not on screen); never changed


@dataclass(frozen=True)
class UsageDetail:
    """A pod's or a node's recent usage for its describe: (scrape time, cores, bytes) over the last scrapes (None
    where there was no metric), and each running container of a pod now (engine.metrics.api.ContainerUsage)."""

    history: list[tuple[float, float | None, float | None]]
    containers: list[Any]


@dataclass(frozen=True)
class LoadRow:
    target: str  # `service/frontend in shop`
    rps: float
    pods: list[tuple[str, float]]  # (namespace/name, requests/s) of each ready pod serving it


class Subscription(Protocol):
    def drain(self) -> list[Change]:
        """Every change since the last drain (the first drain: ADDED for everything that exists)."""

    def close(self) -> None: ...


class Backend(Protocol):
    # lifecycle
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def load(self, paths: Iterable[str | Path]) -> list[str]: ...
    # `:ctx`: the contexts this session can switch to, and the backend of one (a new one, not started yet, or a
    # running one: this backend, or the simulated cluster the session started on).
    def contexts(self) -> list[Context]: ...
    def for_context(self, name: str) -> Backend: ...
    # kinds and printing
    def kinds(self) -> list[KindRef]: ...
    def resolve(self, name: str) -> KindRef: ...
    # Before a view of the kind `name` is built: what its columns need that only a request can tell (a real
    # cluster's custom resources are printed by the API server).
    async def prepare(self, name: str) -> None: ...
    def columns(self, kind: KindRef, wide: bool = False) -> list[str]: ...
    def row(self, kind: KindRef, obj: Obj, wide: bool = False) -> list[str]: ...
    def pod_status(self, pod: Obj) -> str: ...
    def health(self, kind: KindRef, obj: Obj) -> str: ...  # Argo CD's word: Healthy, Progressing, Degraded…
    # reads
    def subscribe(self, kind: KindRef, namespace: str | None) -> Subscription: ...
    def list(self, kind: KindRef, namespace: str | None = None) -> list[Obj]: ...
    def get(self, kind: KindRef, name: str, namespace: str | None) -> Obj | None: ...
    def describe(self, kind: KindRef, name: str, namespace: str | None) -> str: ...
    # `since`: only the last that many seconds, as `kubectl logs --since` asks the server (None: from the tail).
    def logs(self, pod: Obj, container: str, previous: bool = False,
             since: float | None = None) -> list[LogLine] | None: ...
    def no_log_reason(self, pod: Obj, container: str, previous: bool = False) -> str: ...
    # A container's environment and mounted files (`kubectl exec -- env`, `cat`); None when the pod is gone.
    def container_view(self, pod: Obj, container: str) -> ContainerView | None: ...
    def format_logs(self, lines: list[LogLine], timestamps: bool) -> list[str]: ...
    def label_matcher(self, selector: str) -> Callable[[Obj], bool]: ...
    def workload_selector(self, obj: Obj) -> str: ...
    def summary(self) -> Summary: ...
    def node_failed(self, name: str) -> bool: ...
    def source_rows(self) -> list[SourceRow]: ...
    def source_drift(self, key: SourceKey) -> str: ...
    def manifest_of(self, kind: KindRef, name: str, namespace: str | None) -> Manifest | None: ...
    def rollout_status(self, name: str, namespace: str, kind: str = "Deployment") -> RolloutStatus: ...
    def rollout_revisions(self, name: str, namespace: str, kind: str = "Deployment") -> list[RolloutRevision]: ...
    # writes
    async def resync(self, key: SourceKey | None = None) -> str: ...
    async def write_back(self, key: SourceKey) -> str: ...
    # A watched folder's first prune on a real cluster waits for the user's yes (kube_folder.PruneRequest).
    def prune_request(self) -> PruneRequest | None: ...
    async def answer_prune(self, request: PruneRequest, confirmed: bool) -> str: ...
    async def scale(self, kind: KindRef, name: str, namespace: str | None, replicas: int) -> str: ...
    # `kubectl autoscale`: an HPA of the object's name, scaling it between the bounds (at a CPU utilization).
    async def autoscale(self, kind: KindRef, name: str, namespace: str | None, max_replicas: int,
                        min_replicas: int | None = None, cpu_percent: int | None = None) -> str: ...
    async def delete(self, kind: KindRef, name: str, namespace: str | None, force: bool = False) -> str: ...
    async def restart(self, name: str, namespace: str, kind: str = "Deployment") -> str: ...
    async def rollback(self, name: str, namespace: str, revision: int, kind: str = "Deployment") -> str: ...
    async def trigger(self, cronjob: str, namespace: str) -> str: ...  # a Job from the CronJob, now
    def request(self, source: str, url: str) -> Trace: ...  # a simulated HTTP request and its path
    # shift-f: the forwards open on this cluster (`:pf`), each connection carried by `forward_connection` (what the
    # kubelet says on the error stream, or None), after `check_forward` (ForwardError: the pod cannot be reached).
    port_forwards: PortForwards
    async def check_forward(self, namespace: str, name: str, port: int) -> None: ...
    async def forward_connection(self, namespace: str, name: str, port: int, stream: LocalStream) -> str | None: ...
    def metrics_available(self) -> bool: ...  # metrics.k8s.io is served: k9s shows its CPU/MEM columns
    def pod_usage(self, pod: Obj) -> Usage: ...
    def node_usage(self, node: Obj) -> Usage: ...
    def usage_detail(self, obj: Obj) -> UsageDetail | None: ...  # a pod's or a node's, for its describe
    def hpa_history(self, hpa: Obj) -> ScaleHistory | None: ...  # an HPA's recent syncs, for its chart
    def send_load(self, target: str, rps: float, namespace: str | None) -> str: ...  # requests/s from now on
    def loads(self) -> list[LoadRow]: ...
    # The RBAC rules that apply to a user in a namespace (`kubectl auth can-i --list --as`), before breakdown.
    def policy_rules(self, user: str, groups: tuple[str, ...], namespace: str) -> list[Obj]: ...
    async def set_node_failed(self, name: str, failed: bool) -> str: ...
    async def cordon(self, name: str, cordoned: bool) -> str: ...
    async def drain(self, name: str, force: bool = False, delete_emptydir_data: bool = False,
                    progress: Callable[[str, str], None] | None = None) -> str: ...
    # the cluster clock
    def now(self) -> float: ...
    @property
    def speed(self) -> float: ...
    @property
    def paused(self) -> bool: ...
    def set_speed(self, speed: float) -> None: ...
    def set_paused(self, paused: bool) -> None: ...


def kind_ref(info: KindInfo) -> KindRef:
    return KindRef(kind=info.kind, plural=info.plural, singular=info.singular_name,
                   short_names=(*info.short_names, *info.console_aliases), namespaced=info.namespaced,
                   scalable=info.scalable, restartable=info.restartable, rollout=info.rollout,
                   owns_pods=info.owns_pods)


class _EngineSubscription:
    def __init__(self, cluster: Cluster, kind: str, namespace: str | None) -> None:
        self._watcher = cluster.subscribe(kind, namespace)

    def drain(self) -> list[Change]:
        return [Change(e.type, e.object) for e in self._watcher.drain()]

    def close(self) -> None:
        self._watcher.close()


class PodStatusCounts:
    """Pods per STATUS text and per phase, kept from a pods watch of every namespace: the header asks twice a
    second, and going over every pod each time cost 5 % of a core at 10,000 pods; this costs what changed."""

    def __init__(self, subscription: Subscription) -> None:
        self._subscription = subscription
        self._status: dict[str, tuple[str, str]] = {}  # pod uid -> (STATUS, status.phase)
        self._counts: Counter[str] = Counter()
        self._phases: Counter[str] = Counter()
        self._apply(subscription.drain())

    def _apply(self, changes: Iterable[Change]) -> None:
        latest = {c.obj["metadata"].get("uid", ""): c for c in changes}
        for uid, change in latest.items():
            old = self._status.pop(uid, None)
            if old is not None:
                self._counts[old[0]] -= 1
                self._phases[old[1]] -= 1
            if change.type != "DELETED":
                status = _pod_status(change.obj)
                phase = (change.obj.get("status") or {}).get("phase") or "Pending"
                self._status[uid] = (status, phase)
                self._counts[status] += 1
                self._phases[phase] += 1

    def current(self) -> dict[str, int]:
        self._apply(self._subscription.drain())
        return {status: n for status, n in self._counts.items() if n > 0}

    def phases(self) -> dict[str, int]:
        self._apply(self._subscription.drain())
        return {phase: n for phase, n in self._phases.items() if n > 0}

    def close(self) -> None:
        self._subscription.close()


def _resources_key(pod: Obj) -> tuple[tuple[Any, Any], ...]:
    """Each counted container's (requests, limits) as k9s picks them: app containers and sidecars."""
    spec = pod.get("spec") or {}
    counted = [*(spec.get("containers") or ()),
               *(c for c in spec.get("initContainers") or () if c.get("restartPolicy") == "Always")]
    out = []
    for c in counted:
        res = c.get("resources") or {}
        requests, limits = res.get("requests") or res.get("limits") or {}, res.get("limits") or {}
        out.append(((requests.get("cpu"), requests.get("memory")), (limits.get("cpu"), limits.get("memory"))))
    return tuple(out)


@functools.lru_cache(maxsize=4096)
def _amounts(cpu: str, memory: str) -> tuple[int, int]:
    """(millicores, bytes) of two quantities, 0 for one that is not a quantity."""
    try:
        milli = Quantity.parse(cpu).milli_value()
    except ValueError:
        milli = 0
    try:
        size = Quantity.parse(memory).int_value()
    except ValueError:
        size = 0
    return milli, size


@functools.lru_cache(maxsize=4096)
def _pod_requests_limits(key: tuple[tuple[Any, Any], ...]) -> tuple[int, int, int, int]:
    """k9s's gatherPodMX sums: (cpu request, cpu limit, memory request, memory limit), in millicores and bytes."""
    totals = [0, 0, 0, 0]
    for (req_cpu, req_mem), (lim_cpu, lim_mem) in key:
        requested = _amounts(str(req_cpu or 0), str(req_mem or 0))
        limited = _amounts(str(lim_cpu or 0), str(lim_mem or 0))
        totals[0] += requested[0]
        totals[1] += limited[0]
        totals[2] += requested[1]
        totals[3] += limited[1]
    return totals[0], totals[1], totals[2], totals[3]


def pod_requests_limits(pod: Obj) -> tuple[int, int, int, int]:
    """What k9s compares a pod's usage with: (cpu request, cpu limit, memory request, memory limit)."""
    return _pod_requests_limits(_resources_key(pod))


def node_allocatable(node: Obj) -> tuple[int, int]:
    """A node's allocatable CPU and memory (millicores, bytes): k9s's CPU/A and MEM/A, what %CPU and %MEM divide by."""
    allocatable = (node.get("status") or {}).get("allocatable") or {}
    return _amounts(str(allocatable.get("cpu", "0")), str(allocatable.get("memory", "0")))


class RegistryBackend(abc.ABC):
    """What every backend answers the same way from the engine's kind registry and printers, which are plain
    functions over object dicts: a real cluster's objects print as the simulated ones do. `now()` is the
    subclass's: the cluster's clock, or the wall clock of a real one."""

    simulated = True  # the cluster is k9py's own: its clock, node failures and load are k9py's to drive

    @abc.abstractmethod
    def now(self) -> float:
        raise NotImplementedError

    def kinds(self) -> list[KindRef]:
        return [kind_ref(info) for info in REGISTRY.kinds()]

    def _info(self, kind: KindRef) -> KindInfo:
        return REGISTRY.resolve(kind.kind)

    def resolve(self, name: str) -> KindRef:
        info = REGISTRY.console_lookup(name)
        if info is None:
            raise BackendError(f'unknown resource "{name}"')
        return kind_ref(info)

    async def prepare(self, name: str) -> None:
        return None  # the engine's printers know every kind's columns

    def columns(self, kind: KindRef, wide: bool = False) -> list[str]:
        return columns_for(self._info(kind), wide)

    def row(self, kind: KindRef, obj: Obj, wide: bool = False) -> list[str]:
        return row_for(self._info(kind), obj, self.now(), wide)

    def health(self, kind: KindRef, obj: Obj) -> str:
        return self._info(kind).health(obj).status

    def pod_status(self, pod: Obj) -> str:
        return _pod_status(pod)

    def no_log_reason(self, pod: Obj, container: str, previous: bool = False) -> str:
        """Why `logs` has nothing for this container, as `kubectl logs` says it."""
        return no_log_reason(pod, container, previous)

    def format_logs(self, lines: list[LogLine], timestamps: bool) -> list[str]:
        return format_lines(lines, timestamps)

    def label_matcher(self, selector: str) -> Callable[[Obj], bool]:
        try:
            parsed = parse_label_selector(selector)
        except ApiError as exc:
            raise BackendError(f"bad label selector: {exc.message}") from None
        return lambda obj: parsed.matches(obj.get("metadata", {}).get("labels") or {})

    def workload_selector(self, obj: Obj) -> str:
        return selector_to_string((obj.get("spec") or {}).get("selector") or {})

    def prune_request(self) -> PruneRequest | None:
        return None  # k9py's own cluster prunes after the quiet period without asking (engine/manifests/source.py)

    async def answer_prune(self, request: PruneRequest, confirmed: bool) -> str:
        raise BackendError("no prune is waiting for an answer")


class EngineBackend(RegistryBackend):
    """A `Backend` over the embedded control plane (`engine.Cluster`)."""

    def __init__(self, cluster: Cluster, *, namespace: str = "default", self_heal: bool = False) -> None:
        self.cluster = cluster
        self.namespace = namespace
        self.self_heal = self_heal
        self.sources: list[ManifestSource] = []
        # Set by the UI: called with (message, level) after each watched-folder sync.
        self.on_sync: Callable[[str, str], None] | None = None
        self._stop_watching = asyncio.Event()
        self._watches: list[asyncio.Task[None]] = []
        self._pod_counts: PodStatusCounts | None = None
        # (pod-template-hash or pod uid, namespace) -> k9s's request and limit sums
        self._pod_amounts: dict[tuple[str, str], tuple[int, int, int, int]] = {}
        self.port_forwards = PortForwards(self)

    # --- lifecycle -----------------------------------------------------------------------------------------

    async def start(self) -> None:
        self.cluster.start()

    async def stop(self) -> None:
        await self.port_forwards.stop_all()
        self._stop_watching.set()
        if self._pod_counts is not None:
            self._pod_counts.close()
        for task in self._watches:
            try:
                await asyncio.wait_for(task, 2)
            except (TimeoutError, asyncio.CancelledError):
                task.cancel()
        await self.cluster.stop()

    async def load(self, paths: Iterable[str | Path]) -> list[str]:
        """Make each folder a watched source of desired state: apply it now, then re-apply on every save."""
        added = []
        for path in paths:
            source = self.cluster.watch_folder(path, namespace=self.namespace, self_heal=self.self_heal)
            source.sync()
            source.listeners.append(self._synced)
            self.sources.append(source)
            added.append(source)
            self._watches.append(asyncio.create_task(source.watch(self._stop_watching)))
        # Named once every folder is known: with several, each file is prefixed by its folder.
        return [self._error_text(source, e) for source in added for e in source.all_errors]

    def _error_text(self, source: ManifestSource | None, error: LoadError) -> str:
        """FILE:LINE[:COL]: message, the file named as the sources view names it (relative to its watched folder);
        an error about the folder itself (gone missing) names the folder as it was given."""
        where = error.file
        if source is not None and Path(error.file) != source.root:
            where = self._relative(source, error.file)
        return f"{where}:{error.line}" + (f":{error.column}" if error.column else "") + f": {error.message}"

    def _synced(self, record: SyncRecord) -> None:
        """Tell the UI what a save did: its first error, or what it changed (and what it is about to prune)."""
        if self.on_sync is None:
            return
        source = next((s for s in self.sources if s.history and s.history[-1] is record), None)
        if record.errors:
            more = f" (+{len(record.errors) - 1} more)" if len(record.errors) > 1 else ""
            self.on_sync(f"manifest error: {self._error_text(source, record.errors[0])}{more}", "error")
            return
        changes = [f"{len(keys)} {what}" for what, keys in (
            ("created", record.created), ("updated", record.updated), ("pruned", record.pruned)) if keys]
        if record.pending:
            changes.append(f"{len(record.pending)} to prune unless declared again within "
                           f"{PRUNE_QUIET_SECONDS:g}s")
        if not record.files:  # no save: a prune that waited for quiet, or a refused document accepted at last
            names = [f"{kind.lower()}/{name}" for kind, _, name in record.pruned + record.created + record.updated]
            more = f" (+{len(names) - 3} more)" if len(names) > 3 else ""
            self.on_sync(f"{', '.join(changes)}: {', '.join(names[:3])}{more}", "info")
            return
        files = ", ".join(self._relative(source, f) if source else Path(f).name for f in record.files)
        self.on_sync(f"applied {files}: {', '.join(changes) or 'no change'}", "info")

    def contexts(self) -> list[Context]:
        from .contexts import default_kubeconfig, kubeconfig_contexts, simulated_context

        return [simulated_context(True), *kubeconfig_contexts(default_kubeconfig(), None)]

    def for_context(self, name: str) -> Backend:
        """This cluster (`k9py`), or a real one from the kubeconfig kubectl reads; it keeps running meanwhile."""
        from .contexts import SIMULATED, default_kubeconfig, kube_backend, kubeconfig_contexts

        if name == SIMULATED:
            return self
        path = default_kubeconfig()
        if path is None or not any(c.name == name for c in kubeconfig_contexts(path, None)):
            raise BackendError(f'no context exists with the name: "{name}"')
        return kube_backend(path, name, home=self)

    # --- kinds and printing --------------------------------------------------------------------------------

    # --- reads ---------------------------------------------------------------------------------------------

    def subscribe(self, kind: KindRef, namespace: str | None) -> Subscription:
        return _EngineSubscription(self.cluster, kind.kind, namespace)

    def list(self, kind: KindRef, namespace: str | None = None) -> list[Obj]:
        return self.cluster.shared_list(kind.kind, namespace)

    def get(self, kind: KindRef, name: str, namespace: str | None) -> Obj | None:
        return self.cluster.shared_get(kind.kind, name, namespace)

    def describe(self, kind: KindRef, name: str, namespace: str | None) -> str:
        try:
            return self.cluster.describe(kind.kind, name, namespace)
        except ApiError as exc:
            raise BackendError(exc.message) from None

    def logs(self, pod: Obj, container: str, previous: bool = False,
             since: float | None = None) -> list[LogLine] | None:
        return self.cluster.container_logs(pod, container, previous)  # all of it: the view keeps the range

    def container_view(self, pod: Obj, container: str) -> ContainerView | None:
        meta = pod["metadata"]
        try:
            return self.cluster.container_view(meta["name"], meta.get("namespace"), container)
        except ApiError:
            return None

    def summary(self) -> Summary:
        nodes = self.cluster.shared_list("Node")
        ready = sum(
            1 for n in nodes
            if any(c.get("type") == "Ready" and c.get("status") == "True"
                   for c in (n.get("status") or {}).get("conditions") or ()))
        if self._pod_counts is None:
            self._pod_counts = PodStatusCounts(_EngineSubscription(self.cluster, "Pod", None))
        folders = tuple(
            FolderSummary(name=source.root.name, objects=len(source.inventory), errors=len(source.all_errors),
                          out_of_sync=sum(1 for s in source.sync_statuses().values() if s == "OutOfSync"))
            for source in self.sources)
        return Summary(nodes_total=len(nodes), nodes_ready=ready, pod_statuses=self._pod_counts.current(),
                       now=self.now(), speed=self.speed, paused=self.paused, folders=folders,
                       pod_phases=self._pod_counts.phases())

    def rollout_status(self, name: str, namespace: str, kind: str = "Deployment") -> RolloutStatus:
        """`kind`: Deployment or DaemonSet."""
        try:
            progress = self.cluster.rollout_progress(name, namespace, kind)
        except ApiError as exc:
            raise BackendError(exc.message) from None
        try:
            message, done = self.cluster.rollout_status(name, namespace, kind)
            failed = False
        except ApiError as exc:
            # The workload exists (progress read it): a deployment's progress deadline, or a daemon set that
            # does not roll (OnDelete), which kubectl reports as an error too.
            message, done, failed = f"error: {exc.message}", False, True
        return RolloutStatus(message=message, done=done, failed=failed, **dataclasses.asdict(progress))

    def rollout_revisions(self, name: str, namespace: str, kind: str = "Deployment") -> list[RolloutRevision]:
        """Newest first, as the rollout panel lists them."""
        try:
            revisions = self.cluster.rollout_revisions(name, namespace, kind)
        except ApiError as exc:
            raise BackendError(exc.message) from None
        now = self.now()
        return [RolloutRevision(revision=r.revision, change_cause=r.change_cause, replica_set=r.replica_set,
                                images=r.images, desired=r.desired, current=r.current, ready=r.ready,
                                age=_age(r.created, now), is_current=r.is_current)
                for r in reversed(revisions)]

    def node_failed(self, name: str) -> bool:
        try:
            return not self.cluster.node_running(name)
        except ApiError:
            return False

    # --- watched folders -----------------------------------------------------------------------------------

    def _relative(self, source: ManifestSource, file: str) -> str:
        """A file as the user knows it: relative to its watched folder, prefixed by the folder when several."""
        path = Path(file)
        if path == source.root:  # a single watched file
            return shown_path(path.name)
        try:
            shown = str(path.relative_to(source.root))
        except ValueError:
            shown = str(path)
        return shown_path(f"{source.root.name}/{shown}" if len(self.sources) > 1 else shown)

    def source_rows(self) -> list[SourceRow]:
        """Errors first (what needs fixing), then every declared object in file order."""
        problems: list[SourceRow] = []
        objects: list[SourceRow] = []
        for i, source in enumerate(self.sources):
            problems += [error_row(i, n, self._relative(source, e.file), e) for n, e in enumerate(source.all_errors)]
            statuses = source.sync_statuses()
            for key, entry in list(source.inventory.items()):
                kind, namespace, name = key
                try:
                    health, message = self.cluster.health(kind, name, namespace or None)
                except ApiError as exc:
                    health, message = "Unknown", exc.message
                objects.append(object_row(i, key, self._relative(source, entry.file), entry.file, entry.line,
                                          statuses.get(key, "Unknown"), health, message))
        return problems + sorted(objects, key=lambda row: (row.location.rpartition(":")[0], row.line))

    def _source_for(self, key: SourceKey) -> ManifestSource:
        source = next((s for s in self.sources if key in s.inventory), None)
        if source is None:
            raise BackendError(f"{key[0]} {key[2]} is not declared in any watched folder")
        return source

    def source_drift(self, key: SourceKey) -> str:
        return format_diff(self._source_for(key).drift(key))

    def manifest_of(self, kind: KindRef, name: str, namespace: str | None) -> Manifest | None:
        """The watched file and line that declare an object; None for one no folder declares."""
        key = (kind.kind, (namespace or "") if kind.namespaced else "", name)
        for source in self.sources:
            entry = source.inventory.get(key)
            if entry is not None:
                return Manifest(path=Path(entry.file), line=entry.line, shown=f"{self._relative(source, entry.file)}:"
                                                                                  f"{entry.line}")
        return None

    async def resync(self, key: SourceKey | None = None) -> str:
        """Re-apply the declared version of one object, or of every OutOfSync object in every folder."""
        if key is not None:
            records = [self._source_for(key).resync([key])]
        else:
            records = [source.resync() for source in self.sources]
        problems = [e for r in records for e in r.errors]
        if problems:
            raise BackendError(f"re-sync failed: {problems[0]}")
        if key is not None:
            return f"{key[0].lower()}/{key[2]} re-synced from its manifest"
        count = sum(len(r.created) + len(r.updated) for r in records)
        if not count:
            return "nothing to re-sync: every object matches its manifest"
        return f"re-synced {count} out-of-sync object{'s' if count != 1 else ''}"

    async def write_back(self, key: SourceKey) -> str:
        source = self._source_for(key)
        file = source.inventory[key].file  # as declared: `result.path` is a symbolic link's target
        try:
            result = source.write_back_live(key)
        except WriteBackError as exc:
            raise BackendError(str(exc)) from None
        return written_back(key, result, self._relative(source, file))

    # --- writes --------------------------------------------------------------------------------------------

    async def scale(self, kind: KindRef, name: str, namespace: str | None, replicas: int) -> str:
        try:
            await self.cluster.scale(kind.kind, name, replicas, namespace, manager=DASHBOARD_FIELD_MANAGER)
        except ApiError as exc:
            raise BackendError(exc.message) from None
        return f"{kind.singular}/{name} scaled to {replicas}"

    async def autoscale(self, kind: KindRef, name: str, namespace: str | None, max_replicas: int,
                        min_replicas: int | None = None, cpu_percent: int | None = None) -> str:
        try:
            hpa = await self.cluster.autoscale(kind.kind, name, max_replicas, min_replicas, cpu_percent, namespace,
                                               manager=DASHBOARD_FIELD_MANAGER)
        except ApiError as exc:
            raise BackendError(exc.message) from None
        return f"horizontalpodautoscaler.autoscaling/{hpa['metadata']['name']} autoscaled"

    async def delete(self, kind: KindRef, name: str, namespace: str | None, force: bool = False) -> str:
        try:
            await self.cluster.delete(kind.kind, name, namespace, grace_period=0 if force else None)
        except ApiError as exc:
            raise BackendError(exc.message) from None
        return f"{kind.singular}/{name} {'killed' if force else 'deleted'}"

    async def restart(self, name: str, namespace: str, kind: str = "Deployment") -> str:
        try:
            return await self.cluster.rollout_restart(name, namespace, kind, manager=DASHBOARD_ROLLOUT_MANAGER)
        except ApiError as exc:
            raise BackendError(exc.message) from None

    def request(self, source: str, url: str) -> Trace:
        """`Cluster.request`: the simulated data plane answers at once, and changes nothing in the store."""
        return self.cluster.request(source, url)

    # --- usage (metrics-server's API and the simulated load) ------------------------------------------------

    def metrics_available(self) -> bool:
        return True

    async def check_forward(self, namespace: str, name: str, port: int) -> None:
        try:
            self.cluster.port_forward_pod(name, namespace)
        except ApiError as exc:
            raise ForwardError(str(exc)) from None

    async def forward_connection(self, namespace: str, name: str, port: int, stream: LocalStream) -> str | None:
        """One connection, as `kubectl port-forward` through `k9py serve` carries it: the pod's simulated app
        answers it as HTTP/1.1."""
        try:
            return await self.cluster.port_forward(name, namespace, port, stream)
        except ApiError as exc:
            raise ForwardError(str(exc)) from None

    def pod_usage(self, pod: Obj) -> Usage:
        meta = pod["metadata"]
        point = self.cluster.metrics.pod_point(meta.get("namespace", ""), meta["name"])
        # A pod's resources do not change (no in-place resize), and a ReplicaSet's pods share their template's:
        # worked out once per template (its pod-template-hash) or per pod.
        uid = meta.get("uid", "")
        key = ((meta.get("labels") or {}).get("pod-template-hash") or uid, meta.get("namespace", ""))
        amounts = self._pod_amounts.get(key)
        if amounts is None:
            if len(self._pod_amounts) > 100_000:
                self._pod_amounts.clear()
            amounts = self._pod_amounts[key] = pod_requests_limits(pod)
        cpu_request, cpu_limit, memory_request, memory_limit = amounts
        measured = point is not None and point.uid == uid
        return Usage(measured, millicores(point.nanocores) if measured else 0, point.bytes if measured else 0,
                     cpu_request, cpu_limit, memory_request, memory_limit)

    def node_usage(self, node: Obj) -> Usage:
        point = self.cluster.metrics.node_point(node["metadata"]["name"])
        cpu, memory = node_allocatable(node)
        return Usage(point is not None, millicores(point.nanocores) if point else 0, point.bytes if point else 0,
                     cpu_request=cpu, memory_request=memory)

    def usage_detail(self, obj: Obj) -> UsageDetail | None:
        meta = obj["metadata"]
        namespace, name = meta.get("namespace", ""), meta["name"]
        metrics = self.cluster.metrics
        if obj.get("kind") == "Node":
            return UsageDetail(metrics.node_history(name), [])
        return UsageDetail(metrics.history(namespace, name), metrics.usage_now(namespace, name))

    def hpa_history(self, hpa: Obj) -> ScaleHistory | None:
        meta = hpa["metadata"]
        return self.cluster.hpa_history(meta["name"], meta.get("namespace"))

    def send_load(self, target: str, rps: float, namespace: str | None) -> str:
        try:
            return self.cluster.load(target, rps, namespace)
        except ApiError as exc:
            raise BackendError(exc.message) from None

    def loads(self) -> list[LoadRow]:
        return [LoadRow(str(load.target), load.rps, sorted(load.shares.items()))
                for load in self.cluster.loads()]

    def policy_rules(self, user: str, groups: tuple[str, ...], namespace: str) -> list[Obj]:
        return self.cluster.policy_rules(user, groups, namespace)

    async def trigger(self, cronjob: str, namespace: str) -> str:
        try:
            job = await self.cluster.create_job_from_cronjob(cronjob, None, namespace)
        except ApiError as exc:
            raise BackendError(exc.message) from None
        return f"job.batch/{job['metadata']['name']} created"

    async def rollback(self, name: str, namespace: str, revision: int, kind: str = "Deployment") -> str:
        try:
            return await self.cluster.rollout_undo(name, namespace, revision, kind, manager=DASHBOARD_ROLLOUT_MANAGER)
        except ApiError as exc:
            raise BackendError(exc.message) from None

    async def set_node_failed(self, name: str, failed: bool) -> str:
        try:
            await self.cluster.set_node_ready(name, not failed)
        except ApiError as exc:
            raise BackendError(exc.message) from None
        if failed:
            return f"node/{name} failed: kubelet stopped (NotReady after the node monitor grace period)"
        return f"node/{name} recovered: kubelet running again"

    async def cordon(self, name: str, cordoned: bool) -> str:
        try:
            await self.cluster.cordon(name, cordoned, manager=DASHBOARD_FIELD_MANAGER)
        except ApiError as exc:
            raise BackendError(exc.message) from None
        return f"node/{name} {'cordoned' if cordoned else 'uncordoned'}"

    async def drain(self, name: str, force: bool = False, delete_emptydir_data: bool = False,
                    progress: Callable[[str, str], None] | None = None) -> str:
        """`kubectl drain`: returns once every evicted pod is gone (on the cluster clock; seconds at 1x).
        `progress(message, level)` hears how it goes: each pod evicted, each eviction a budget refuses."""

        def heard(line: str, budget_says: str) -> None:
            if progress is None:
                return
            if budget_says:  # kubectl's retry line names the pod; the budget's cause says which budget and why
                pod = line.split('"')[1] if line.count('"') >= 2 else ""
                progress(f"draining node/{name}: pod/{pod} held: {budget_says} (evicting again every 5s)", "warn")
            elif line.startswith("pod/") and line.endswith(" evicted"):
                progress(f"draining node/{name}: {line}", "info")

        try:
            output = await self.cluster.drain(name, force=force, delete_emptydir_data=delete_emptydir_data,
                                              progress=heard, manager=DASHBOARD_FIELD_MANAGER)
        except DrainError as exc:
            # kubectl cordons before it checks the pods, so a refused drain leaves the node cordoned: say so.
            done = f"{exc.output[0]}, not drained: " if exc.output else ""
            raise BackendError(f"{done}{exc.message}") from None
        except ApiError as exc:
            raise BackendError(exc.message) from None
        evicted = sum(1 for line in output if line.startswith("pod/") and line.endswith(" evicted"))
        return f"node/{name} drained ({evicted} pod{'' if evicted == 1 else 's'} evicted)"

    # --- the clock -----------------------------------------------------------------------------------------

    def now(self) -> float:
        return self.cluster.now()

    @property
    def speed(self) -> float:
        return self.cluster.speed

    @property
    def paused(self) -> bool:
        return self.cluster.paused

    def set_speed(self, speed: float) -> None:
        try:
            self.cluster.set_speed(speed)
        except ApiError as exc:
            raise BackendError(exc.message) from None

    def set_paused(self, paused: bool) -> None:
        try:
            if paused:
                self.cluster.pause()
            else:
                self.cluster.resume()
        except ApiError as exc:
            raise BackendError(exc.message) from None
