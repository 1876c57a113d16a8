"""`KubeBackend`: the dashboard on a real cluster, through its API server (`k9py --kubeconfig`).

Reads come from informers (kube_informer), one per kind and namespace a view shows, started when a view
subscribes and stopped when the last one closes; the header's namespaces and nodes are always watched. The
`Backend` protocol's reads are synchronous (views poll once a second), so what needs a request (describe, logs)
is fetched in the background and shown from the next poll on. Writes are the requests kubectl makes for the
same commands (kube_writes). The clock, failing nodes and simulated load belong to k9py's own cluster: those
keys are hidden here (`simulated` False).
"""

from __future__ import annotations

import asyncio
import calendar
import contextlib
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from engine import ApiError
from engine.autoscale import autoscaler_for
from engine.controllers.horizontal_history import ScaleHistory
from engine.kinds import KindInfo
from engine.kubelet.container_config import ContainerView
from engine.manifests.diff import format_diff
from engine.manifests.loader import LoadError
from engine.manifests.writeback import WriteBackError
from engine.network.trace import Trace

from . import kube_writes, port_forward_kube
from .backend import (
    DASHBOARD_FIELD_MANAGER,
    NO_USAGE,
    Backend,
    BackendError,
    FolderSummary,
    KindRef,
    LoadRow,
    LogLine,
    Manifest,
    PodStatusCounts,
    RegistryBackend,
    RolloutRevision,
    RolloutStatus,
    SourceKey,
    SourceRow,
    Subscription,
    Summary,
    Usage,
    UsageDetail,
    error_row,
    kind_ref,
    object_row,
    written_back,
)
from .contexts import SIMULATED, kube_backend, kubeconfig_contexts, simulated_context
from .kube_client import Context, KubeClient, KubeError
from .kube_describe import describe as describe_text
from .kube_discovery import TABLE, ServerPrinting, discover, lookup
from .kube_folder import KubeFolder, PruneRequest
from .kube_informer import Informer
from .kube_metrics import KubeMetrics, served_version
from .kube_paths import collection_path, object_path
from .port_forward import LocalStream, PortForwards

Obj = dict[str, Any]
LogKey = tuple[str, str, str, bool, int]  # (namespace, pod, container, previous, sinceSeconds or 0)
LOG_TAIL = 5000  # lines asked for when a log opens (`kubectl logs --tail`); more arrive as they are written
LOG_RETRY_SECONDS = 2.0  # wall clock: how soon a refused or ended log stream is asked for again
# The header's favourites, node count and pods by status: watched across the cluster while the dashboard runs.
ALWAYS_WATCHED = ("Namespace", "Node", "Pod")
RULES_SECONDS = 5.0  # how long the policy view's rules are shown before they are asked for again
FOLDER_POLL_SECONDS = 0.5  # how soon a save is applied
FOLDER_REFRESH_SECONDS = 3.0  # how often the declared objects are read back (sync status, health, self-heal)
# How long a kind no view shows is still watched: esc back from a drill-down (deployment → pods → back) finds its
# rows at once instead of an empty view until a new list returns.
IDLE_WATCH_SECONDS = 30.0


def parse_time(stamp: str) -> float:
    """An RFC 3339 timestamp (`2026-12-02T10:26:11.123456789Z`, as the kubelet stamps log lines) in seconds."""
    head, _, fraction = stamp.rstrip("Z").partition(".")
    try:
        seconds = calendar.timegm(time.strptime(head, "%Y-%m-%dT%H:%M:%S"))
    except ValueError:
        return 0.0
    return seconds + (float(f"0.{fraction}") if fraction.isdigit() else 0.0)


class _LogStream:
    """A followed container log (`kubectl logs -f --timestamps`), kept while its view polls it."""

    def __init__(self) -> None:
        self.lines: list[LogLine] = []
        self.last_stamp = ""  # the last line's timestamp as the kubelet wrote it: where a resumed stream starts
        self.error = ""  # the server's refusal, in its words ("no logs found for container ...")
        self.task: asyncio.Task[None] | None = None
        self.polled = time.monotonic()
        self._repeats: set[LogLine] = set()
        self._floor = 0.0

    def resuming(self) -> str:
        """The sinceTime to ask a resumed stream for. The server answers from that instant on, inclusive: the
        lines already shown from it come again and are skipped."""
        self._floor = self.lines[-1][0]
        self._repeats = {line for line in self.lines[-100:] if line[0] == self._floor}
        return self.last_stamp

    def add(self, raw: bytes) -> None:
        stamp, _, text = raw.decode("utf-8", "replace").partition(" ")
        line = (parse_time(stamp), text)
        if line[0] < self._floor or line in self._repeats:
            self._repeats.discard(line)
            return
        self.lines.append(line)
        self.last_stamp = stamp


class KubeBackend(RegistryBackend):
    """A `Backend` over a real API server, from a kubeconfig context."""

    simulated = False

    def __init__(self, client: KubeClient, *, home: Backend | None = None, self_heal: bool = False) -> None:
        self.client = client
        self.home = home  # the simulated cluster this session started on, still running: `:ctx simulated` goes back
        self.self_heal = self_heal  # only ever True when the command line named this context (cli.py)
        self.version = ""
        self.sources: list[KubeFolder] = []
        self.on_sync: Callable[[str, str], None] | None = None
        self._informers: dict[tuple[str, str | None], Informer] = {}
        self._idle_since: dict[Informer, float] = {}  # when each informer no view shows was left
        self._descriptions: dict[tuple[str, str, str | None], tuple[str, float]] = {}
        self._describing: dict[tuple[str, str, str | None], asyncio.Task[None]] = {}
        self._logs: dict[LogKey, _LogStream] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._pod_counts: PodStatusCounts | None = None
        self._rules: dict[tuple[str, tuple[str, ...], str], tuple[list[Obj], float]] = {}  # policy view's answers
        self._rules_asked: dict[tuple[str, tuple[str, ...], str], asyncio.Task[None]] = {}
        self.port_forwards = PortForwards(self)
        self.metrics: KubeMetrics | None = None  # metrics-server's lists, when discovery lists metrics.k8s.io
        self.discovered: dict[str, KindInfo] = {}  # by kind: what the server serves beyond k9py's own kinds
        self._printing: dict[str, ServerPrinting] = {}  # the server's columns and cells of each discovered kind
        self._rediscovering: asyncio.Task[None] | None = None

    @property
    def context(self) -> str:
        return self.client.context or ""

    # --- lifecycle -------------------------------------------------------------------------------------------

    async def start(self) -> None:
        try:
            await self.client.open()
            version, metrics, discovered = await asyncio.gather(
                self.client.request("GET", "/version"), served_version(self.client), discover(self.client)
            )
            self.version = str(version.get("gitVersion", ""))
            self.discovered = {info.kind: info for info in discovered}
        except KubeError as exc:
            raise BackendError(exc.message) from None
        if metrics is not None:
            self.metrics = KubeMetrics(self.client, metrics, self._spawn, self._metrics_refused)
        for kind in ALWAYS_WATCHED:
            self._informer(kind, None, keep=True)
        self._pod_counts = PodStatusCounts(self._informers[("Pod", None)].subscribe())

    async def stop(self) -> None:
        await self.port_forwards.stop_all()
        if self._pod_counts is not None:
            self._pod_counts.close()
            self._pod_counts = None
        for task in [*self._tasks, *self._describing.values(), *(s.task for s in self._logs.values() if s.task)]:
            task.cancel()
        for informer in list(self._informers.values()):
            await informer.stop()
        self._informers.clear()
        await self.client.close()

    async def load(self, paths: Iterable[str | Path]) -> list[str]:
        """Apply each folder (kube_folder: server-side apply under an ApplySet) and keep watching it."""
        added = []
        for path in paths:
            folder = KubeFolder(self.client, path, namespace=self.client.namespace, self_heal=self.self_heal)
            try:
                await folder.sync()
            except KubeError as exc:
                folder.errors.append(LoadError(str(path), 0, exc.message))
            self.sources.append(folder)
            added.append(folder)
            self._spawn(self._watch(folder))
        return [self._error_text(folder, e) for folder in added for e in folder.errors]

    def _error_text(self, folder: KubeFolder, error: LoadError) -> str:
        where = self._relative(folder, error.file)
        return f"{where}:{error.line}" + (f":{error.column}" if error.column else "") + f": {error.message}"

    def _relative(self, folder: KubeFolder, file: str) -> str:
        try:
            shown = str(Path(file).relative_to(folder.root))
        except ValueError:
            shown = Path(file).name
        return f"{folder.root.name}/{shown}" if len(self.sources) > 1 else shown

    async def _watch(self, folder: KubeFolder) -> None:
        """Apply on every save; between saves look at the live objects (sync, health, self-heal) and prune what
        has waited its quiet period."""
        last_refresh = 0.0
        while True:
            await asyncio.sleep(FOLDER_POLL_SECONDS)
            try:
                if folder.changed():
                    result = await folder.sync()
                    self._say_synced(folder, result.applied, result.pruned, result.errors)
                    continue
                pruned = await folder.prune_due()
                if pruned:
                    self._say_synced(folder, [], pruned, [])
                if time.monotonic() - last_refresh >= FOLDER_REFRESH_SECONDS:
                    last_refresh = time.monotonic()
                    healed = await folder.refresh()
                    if healed and self.on_sync is not None:
                        self.on_sync(
                            f"self-heal: re-applied {', '.join(f'{k[0].lower()}/{k[2]}' for k in healed)}", "info"
                        )
            except KubeError as exc:
                if self.on_sync is not None:
                    self.on_sync(f"{folder.root.name}: {exc.message}", "error")

    def _say_synced(self, folder: KubeFolder, applied: list[Any], pruned: list[Any], errors: list[LoadError]) -> None:
        if self.on_sync is None:
            return
        if errors:
            more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
            self.on_sync(f"manifest error: {self._error_text(folder, errors[0])}{more}", "error")
            return
        words = [f"{len(applied)} applied"] if applied else []
        words += [f"{len(pruned)} pruned"] if pruned else []
        self.on_sync(f"{folder.root.name}: {', '.join(words) or 'no change'}", "info")

    def contexts(self) -> list[Context]:
        found = kubeconfig_contexts(self.client.kubeconfig, self.context)
        return [simulated_context(False), *found] if self.home is not None else found

    def for_context(self, name: str) -> Backend:
        """A new backend on another context of the same kubeconfig (as the same impersonated user), this one, or
        the simulated cluster the session started on."""
        if name == self.context:
            return self
        if name == SIMULATED and self.home is not None:
            return self.home
        if not any(c.name == name for c in kubeconfig_contexts(self.client.kubeconfig, None)):
            raise BackendError(f'no context exists with the name: "{name}"')
        return kube_backend(
            self.client.kubeconfig,
            name,
            home=self.home,
            as_user=self.client.as_user,
            as_groups=self.client.as_groups,
        )

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # --- informers -------------------------------------------------------------------------------------------

    def _informer(self, kind: str, namespace: str | None, keep: bool = False) -> Informer:
        """The informer serving `kind` in `namespace` (None: all): an all-namespaces one already running serves
        every namespace; else one is started for just this namespace."""
        info = self._info(self.resolve(kind))
        ns = namespace if info.namespaced else None
        found = self._serving(info.kind, ns)
        if found is not None:
            return found
        informer = Informer(
            self.client,
            collection_path(info, ns),
            on_idle=None if keep else self._idle,
            on_error=self._refused,
            printing=self._server_printing(info.kind),
        )
        self._informers[(info.kind, ns)] = informer
        informer.start()
        return informer

    def _serving(self, kind: str, namespace: str | None) -> Informer | None:
        """The running informer that serves `kind` in `namespace`: an all-namespaces one serves a namespace too once
        it has listed (a user whom RBAC lets list one namespace only gets an informer of that namespace)."""
        whole = self._informers.get((kind, None))
        if whole is not None and (namespace is None or (whole.synced and not whole.error)):
            return whole
        return self._informers.get((kind, namespace))

    def _refused(self, message: str) -> None:
        """A list the server refuses (RBAC): flash its words, as kubectl prints them."""
        if self.on_sync is not None:
            self.on_sync(message, "error")

    def _idle(self, informer: Informer) -> None:
        """The last view of a kind closed: stop watching it unless a view takes it again within
        IDLE_WATCH_SECONDS (only the kinds views show are watched)."""
        self._idle_since[informer] = since = asyncio.get_running_loop().time()
        self._spawn(self._stop_when_idle(informer, since))

    async def _stop_when_idle(self, informer: Informer, since: float) -> None:
        await asyncio.sleep(IDLE_WATCH_SECONDS)
        if informer.subscribers or self._idle_since.get(informer) != since:
            return  # taken again, or idle again later (that later wait decides)
        del self._idle_since[informer]
        key = next((k for k, v in self._informers.items() if v is informer), None)
        if key is not None and key[0] not in ALWAYS_WATCHED:
            del self._informers[key]
            await informer.stop()

    def informer(self, kind: str, namespace: str | None = None) -> Informer | None:
        """The running informer for a kind, if any (tests look at its state)."""
        return self._serving(self._info(self.resolve(kind)).kind, namespace)

    # --- kinds the server serves beyond k9py's own ------------------------------------------------------------

    def _server_printing(self, kind: str) -> ServerPrinting | None:
        if kind not in self.discovered:
            return None
        return self._printing.setdefault(kind, ServerPrinting())

    def kinds(self) -> list[KindRef]:
        return [*super().kinds(), *(kind_ref(info) for info in self.discovered.values())]

    def resolve(self, name: str) -> KindRef:
        try:
            return super().resolve(name)
        except BackendError:
            found = lookup(list(self.discovered.values()), name)
            if found is None:
                # As kubectl does on a name its cached discovery lacks: discover again (a CRD installed since
                # k9py started is there the next time the name is typed).
                if not self._rediscovering or self._rediscovering.done():
                    self._rediscovering = self._spawn(self._rediscover())
                raise
            return kind_ref(found)

    async def _rediscover(self) -> None:
        found = await discover(self.client)
        if found:
            self.discovered = {info.kind: info for info in found}

    def _info(self, kind: KindRef) -> KindInfo:
        return self.discovered.get(kind.kind) or super()._info(kind)

    async def prepare(self, name: str) -> None:
        """A discovered kind's columns, from a one-row Table, before its first view is built (the view's columns
        are set when it is made; the server's come with its Tables)."""
        kind = self.discovered.get(name) or lookup(list(self.discovered.values()), name)
        if kind is None:
            return
        printing = self._server_printing(kind.kind)
        if printing is None or printing.columns:
            return
        with contextlib.suppress(KubeError):  # refused (RBAC): the view says so, with NAME and AGE meanwhile
            page = await self.client.request(
                "GET", collection_path(kind), {"limit": 1, "includeObject": "None"}, accept=TABLE
            )
            printing.learn_columns(page)

    def columns(self, kind: KindRef, wide: bool = False) -> list[str]:
        printing = self._server_printing(kind.kind)
        return printing.header(wide) if printing is not None else super().columns(kind, wide)

    def row(self, kind: KindRef, obj: Obj, wide: bool = False) -> list[str]:
        printing = self._server_printing(kind.kind)
        return printing.row(obj, self.now(), wide) if printing is not None else super().row(kind, obj, wide)

    # --- reads -----------------------------------------------------------------------------------------------

    def subscribe(self, kind: KindRef, namespace: str | None) -> Subscription:
        return self._informer(kind.kind, namespace).subscribe(namespace if kind.namespaced else None)

    def list(self, kind: KindRef, namespace: str | None = None) -> list[Obj]:
        informer = self._informer(kind.kind, namespace)
        objs = list(informer.objects.values())
        if namespace and kind.namespaced:
            objs = [o for o in objs if o["metadata"].get("namespace") == namespace]
        return objs

    def get(self, kind: KindRef, name: str, namespace: str | None) -> Obj | None:
        informer = self._informer(kind.kind, namespace)
        return informer.objects.get(f"{(namespace or 'default') if kind.namespaced else ''}/{name}")

    def describe(self, kind: KindRef, name: str, namespace: str | None) -> str:
        """The last description fetched (a new one is fetched in the background on every poll)."""
        key = (kind.kind, name, namespace if kind.namespaced else None)
        if key not in self._describing or self._describing[key].done():
            self._describing[key] = self._spawn(self._describe(kind, *key[1:]))
        found = self._descriptions.get(key)
        if found is None:
            return f"Name: {name}\n(describing: asking the API server...)"
        text, _ = found
        if text.startswith("error: "):
            raise BackendError(text.removeprefix("error: "))
        return text

    async def _describe(self, kind: KindRef, name: str, namespace: str | None) -> None:
        key = (kind.kind, name, namespace)
        try:
            text = await describe_text(self.client, self._info(kind), name, namespace, self.now())
        except KubeError as exc:
            text = f"error: {exc.message}"
        self._descriptions[key] = (text, time.monotonic())

    def logs(
        self, pod: Obj, container: str, previous: bool = False, since: float | None = None
    ) -> list[LogLine] | None:
        """The container's log as followed so far: the last LOG_TAIL lines and what comes after, or, with `since`,
        what the server has of the last that many seconds (sinceSeconds: the server filters, the kubelet reads)."""
        meta = pod["metadata"]
        key = (meta.get("namespace", "default"), meta["name"], container, previous, int(since) if since else 0)
        stream = self._logs.get(key)
        if stream is None:
            stream = self._logs[key] = _LogStream()
            stream.task = self._spawn(self._follow(key, stream))
        stream.polled = time.monotonic()
        self._forget_logs()
        if stream.error and not stream.lines:  # once lines are shown, a resumed stream's failure keeps them
            return None
        return stream.lines

    def _forget_logs(self) -> None:
        """Stop following the logs no view has polled for a while (their view was closed)."""
        stale = [k for k, s in self._logs.items() if time.monotonic() - s.polled > 10]
        for key in stale:
            stream = self._logs.pop(key)
            if stream.task is not None:
                stream.task.cancel()

    async def _follow(self, key: LogKey, stream: _LogStream) -> None:
        """Follow the log as `kubectl logs -f` does, and, unlike it, keep at it: a container not started yet is
        asked again until it has a log (its reason shown meanwhile), and a stream that ends (the container
        restarted, the connection dropped) is resumed from its last line, as k9s does."""
        namespace, name, container, previous, since = key
        path = object_path(self._info(self.resolve("pods")), name, namespace, "log")
        query: dict[str, Any] = {
            "container": container,
            "timestamps": True,
            "tailLines": None if since else LOG_TAIL,
            "sinceSeconds": since or None,
            "previous": previous or None,
            "follow": None if previous else True,
        }

        def opened() -> None:
            stream.error = ""

        while True:
            if stream.lines:
                query.update(tailLines=None, sinceSeconds=None, sinceTime=stream.resuming())
            try:
                async for raw in self.client.lines(path, query, opened=opened):
                    stream.add(raw)
            except KubeError as exc:
                stream.error = exc.message
            if previous:
                return  # the instance before is done writing: its log is whole
            await asyncio.sleep(LOG_RETRY_SECONDS)

    def no_log_reason(self, pod: Obj, container: str, previous: bool = False) -> str:
        meta = pod["metadata"]
        key = (meta.get("namespace", "default"), meta["name"], container, previous)
        error = next((s.error for k, s in self._logs.items() if k[:4] == key and s.error), "")
        return error or super().no_log_reason(pod, container, previous)

    def container_view(self, pod: Obj, container: str) -> ContainerView | None:
        return None  # `s` runs a real shell here instead (kube_shell: `kubectl exec -it`, as k9s does)

    def summary(self) -> Summary:
        nodes = list(self._informer("Node", None).objects.values())
        ready = sum(
            1
            for n in nodes
            if any(
                c.get("type") == "Ready" and c.get("status") == "True"
                for c in (n.get("status") or {}).get("conditions") or ()
            )
        )
        counts = self._pod_counts
        connection = "reconnecting…" if any(i.reconnecting for i in self._informers.values()) else ""
        return Summary(
            nodes_total=len(nodes),
            nodes_ready=ready,
            pod_statuses=counts.current() if counts is not None else {},
            now=self.now(),
            speed=1.0,
            paused=False,
            pod_phases=counts.phases() if counts is not None else {},
            folders=tuple(
                FolderSummary(
                    name=f.root.name,
                    objects=len(f.declared),
                    out_of_sync=sum(1 for k in f.declared if f.status(k) == "OutOfSync"),
                    errors=len(f.errors),
                )
                for f in self.sources
            ),
            cluster=f"{self.context} {self.version}".strip(),
            simulated=False,
            connection=connection,
        )

    def node_failed(self, name: str) -> bool:
        return False

    def rollout_status(self, name: str, namespace: str, kind: str = "Deployment") -> RolloutStatus:
        workload = self.get(self.resolve(kind), name, namespace)
        if workload is None:
            raise BackendError(f'{kind.lower()}s.apps "{name}" not found')
        return kube_writes.rollout_status(workload)

    def rollout_revisions(self, name: str, namespace: str, kind: str = "Deployment") -> list[RolloutRevision]:
        workload = self.get(self.resolve(kind), name, namespace)
        if workload is None or kind != "Deployment":
            return []
        owned = [
            rs
            for rs in self.list(self.resolve("ReplicaSet"), namespace)
            if any(r.get("uid") == workload["metadata"].get("uid") for r in rs["metadata"].get("ownerReferences") or ())
        ]
        return kube_writes.revisions(workload, owned, self.now())

    # --- watched folders ------------------------------------------------------------------------------------------

    def source_rows(self) -> list[SourceRow]:
        """Errors first, then every declared object in file order, its sync and health from the live object."""
        rows: list[SourceRow] = []
        objects: list[SourceRow] = []
        for i, folder in enumerate(self.sources):
            rows += [error_row(i, n, self._relative(folder, e.file), e) for n, e in enumerate(folder.errors)]
            for key, entry in folder.declared.items():
                health = self.health(self.resolve(key[0]), entry.live) if entry.live is not None else "Missing"
                shown = self._relative(folder, entry.doc.file)
                objects.append(object_row(i, key, shown, entry.doc.file, entry.doc.line, folder.status(key), health))
        return rows + sorted(objects, key=lambda row: (row.location.rpartition(":")[0], row.line))

    def _folder_of(self, key: SourceKey) -> KubeFolder:
        folder = next((f for f in self.sources if key in f.declared), None)
        if folder is None:
            raise BackendError(f"{key[0]} {key[2]} is not declared in any watched folder")
        return folder

    def source_drift(self, key: SourceKey) -> str:
        return format_diff(self._folder_of(key).drift(key))

    def manifest_of(self, kind: KindRef, name: str, namespace: str | None) -> Manifest | None:
        key = (kind.kind, (namespace or "") if kind.namespaced else "", name)
        for folder in self.sources:
            entry = folder.declared.get(key)
            if entry is not None:
                shown = f"{self._relative(folder, entry.doc.file)}:{entry.doc.line}"
                return Manifest(path=Path(entry.doc.file), line=entry.doc.line, shown=shown)
        return None

    async def resync(self, key: SourceKey | None = None) -> str:
        try:
            if key is not None:
                await self._folder_of(key).resync([key])
                return f"{key[0].lower()}/{key[2]} re-synced from its manifest"
            count = sum([len(await folder.resync()) for folder in self.sources])
        except KubeError as exc:
            raise BackendError(f"re-sync failed: {exc.message}") from None
        if not count:
            return "nothing to re-sync: every object matches its manifest"
        return f"re-synced {count} out-of-sync object{'s' if count != 1 else ''}"

    async def write_back(self, key: SourceKey) -> str:
        """`w`: the live values of the declared fields written into the manifest, then applied (kube_folder)."""
        folder = self._folder_of(key)
        file = folder.declared[key].doc.file  # as declared: `result.path` is a symbolic link's target
        try:
            result = await folder.write_back(key)
        except WriteBackError as exc:
            raise BackendError(str(exc)) from None
        except KubeError as exc:
            raise BackendError(f"write-back failed: {exc.message}") from None
        return written_back(key, result, self._relative(folder, file))

    def prune_request(self) -> PruneRequest | None:
        """The first prune of a watched folder, waiting for the user's yes (kube_folder)."""
        return next((f.prune_request for f in self.sources if f.prune_request is not None), None)

    async def answer_prune(self, request: PruneRequest, confirmed: bool) -> str:
        try:
            pruned = await request.folder.prune(confirmed)
        except KubeError as exc:
            raise BackendError(exc.message) from None
        if not confirmed:
            return f"{request.folder.root.name}: nothing pruned (kept until the folder changes)"
        return f"{request.folder.root.name}: {len(pruned)} pruned"

    # --- writes (kubectl's requests) -------------------------------------------------------------------------

    async def _call(self, action: Any) -> str:
        try:
            return str(await action)
        except KubeError as exc:
            raise BackendError(exc.message) from None

    async def scale(self, kind: KindRef, name: str, namespace: str | None, replicas: int) -> str:
        return await self._call(kube_writes.scale(self.client, self._info(kind), name, namespace, replicas))

    async def autoscale(
        self,
        kind: KindRef,
        name: str,
        namespace: str | None,
        max_replicas: int,
        min_replicas: int | None = None,
        cpu_percent: int | None = None,
    ) -> str:
        """`kubectl autoscale`: the HorizontalPodAutoscaler it creates (engine.autoscale builds it), posted."""
        ns = (namespace or self.client.namespace) if kind.namespaced else None
        target = self.get(kind, name, ns) or {"metadata": {"name": name, "namespace": ns or ""}}
        try:
            hpa = autoscaler_for(self._info(kind), target, max_replicas, min_replicas, cpu_percent)
        except ApiError as exc:
            raise BackendError(exc.message) from None
        hpa["metadata"]["namespace"] = ns or self.client.namespace
        hpas = self._info(self.resolve("HorizontalPodAutoscaler"))
        query = {"fieldManager": DASHBOARD_FIELD_MANAGER}
        path = collection_path(hpas, hpa["metadata"]["namespace"])
        made = await self._call(self._created(self.client.request("POST", path, query, body=hpa)))
        return f"horizontalpodautoscaler.autoscaling/{made} autoscaled"

    @staticmethod
    async def _created(request: Any) -> str:
        return str((await request)["metadata"]["name"])

    def hpa_history(self, hpa: Obj) -> ScaleHistory | None:
        return None  # the chart's samples are the simulated controller's record; a real one keeps none to read

    async def delete(self, kind: KindRef, name: str, namespace: str | None, force: bool = False) -> str:
        return await self._call(kube_writes.delete(self.client, self._info(kind), name, namespace, force))

    async def restart(self, name: str, namespace: str, kind: str = "Deployment") -> str:
        info = self._info(self.resolve(kind))
        return await self._call(kube_writes.restart(self.client, info, name, namespace))

    async def rollback(self, name: str, namespace: str, revision: int, kind: str = "Deployment") -> str:
        if kind != "Deployment":
            raise BackendError(f"rollback of a {kind} on a real cluster is not offered yet")
        return await self._call(kube_writes.rollback(self.client, name, namespace, revision))

    async def trigger(self, cronjob: str, namespace: str) -> str:
        return await self._call(kube_writes.trigger(self.client, cronjob, namespace))

    async def cordon(self, name: str, cordoned: bool) -> str:
        return await self._call(kube_writes.cordon(self.client, name, cordoned))

    async def drain(
        self,
        name: str,
        force: bool = False,
        delete_emptydir_data: bool = False,
        progress: Callable[[str, str], None] | None = None,
    ) -> str:
        return await self._call(kube_writes.drain(self.client, name, force, delete_emptydir_data, progress))

    async def set_node_failed(self, name: str, failed: bool) -> str:
        raise BackendError("failing a node is k9py's simulated cluster's: a real node fails on its own")

    def policy_rules(self, user: str, groups: tuple[str, ...], namespace: str) -> list[Obj]:
        """`kubectl auth can-i --list --as USER`: a SelfSubjectRulesReview asked as the user (impersonated), fetched
        in the background; the last answer meanwhile (nothing before the first)."""
        key = (user, groups, namespace)
        found = self._rules.get(key)
        running = self._rules_asked.get(key)
        if (found is None or time.monotonic() - found[1] > RULES_SECONDS) and (running is None or running.done()):
            self._rules_asked[key] = self._spawn(self._ask_rules(key))
        return found[0] if found is not None else []

    async def _ask_rules(self, key: tuple[str, tuple[str, ...], str]) -> None:
        user, groups, namespace = key
        review = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectRulesReview",
            "spec": {"namespace": namespace},
        }
        try:
            answer = await self.client.request(
                "POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", body=review, impersonate=(user, groups)
            )
        except KubeError as exc:
            if self.on_sync is not None and key not in self._rules:
                self.on_sync(exc.message, "error")
            self._rules[key] = ([], time.monotonic())
            return
        status = answer.get("status") or {}
        rules = [dict(r) for r in (*(status.get("resourceRules") or ()), *(status.get("nonResourceRules") or ()))]
        self._rules[key] = (rules, time.monotonic())

    # --- the simulator's own (hidden keys; answered harmlessly) ----------------------------------------------

    def request(self, source: str, url: str) -> Trace:
        raise BackendError("simulated requests need k9py's simulated cluster")

    async def check_forward(self, namespace: str, name: str, port: int) -> None:
        await port_forward_kube.check(self.client, namespace, name, port)

    async def forward_connection(self, namespace: str, name: str, port: int, stream: LocalStream) -> str | None:
        return await port_forward_kube.forward(self.client, namespace, name, port, stream)

    # --- usage: metrics-server's lists (kube_metrics), k9s's CPU/MEM columns ------------------------------------

    def metrics_available(self) -> bool:
        return self.metrics is not None

    def pod_usage(self, pod: Obj) -> Usage:
        return self.metrics.pod_usage(pod) if self.metrics is not None else NO_USAGE

    def node_usage(self, node: Obj) -> Usage:
        return self.metrics.node_usage(node) if self.metrics is not None else NO_USAGE

    def _metrics_refused(self, message: str) -> None:
        if self.on_sync is not None:
            self.on_sync(message, "warn")

    def usage_detail(self, pod: Obj) -> UsageDetail | None:
        return None  # the describe's sparklines are the simulated scrapes' history: metrics-server keeps only the last

    # --- the simulator's own, continued --------------------------------------------------------------------------

    def send_load(self, target: str, rps: float, namespace: str | None) -> str:
        raise BackendError("simulated load needs k9py's simulated cluster")

    def loads(self) -> list[LoadRow]:
        return []

    def now(self) -> float:
        return time.time()

    @property
    def speed(self) -> float:
        return 1.0

    @property
    def paused(self) -> bool:
        return False

    def set_speed(self, speed: float) -> None:
        raise BackendError("a real cluster's clock is the wall clock's")

    def set_paused(self, paused: bool) -> None:
        if paused:  # the editor pauses a simulated cluster while it has the terminal; a real one goes on
            return
