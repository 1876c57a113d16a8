"""k9s's CPU/MEM columns on a real cluster: metrics-server's PodMetrics and NodeMetrics (metrics.k8s.io).

The columns show only when discovery lists the metrics.k8s.io group, as k9s's `supportsMetricsResources` decides
(a cluster without metrics-server, such as the test kit, shows none). The lists are fetched in the background, only
while a pods or nodes view on screen asks for usage, and at most once per RESOLUTION_SECONDS: metrics-server scrapes
that often (its default `--metric-resolution`), so asking sooner returns the same numbers. k9s caches the lists for
a minute (internal/client/metrics.go, mxCacheExpiry); k9py asks as often as there can be a new scrape. Until the
first list arrives the cells read 0, as k9s's do.

A list of 10,000 pods is about 3 MB of JSON, 0.1 s to decode at once: its items are decoded a slice at a time with
the loop free between slices, so the dashboard keeps painting frames meanwhile. Quantities are read only for the
rows on screen, when they are painted.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from engine.quantity import bytes_value, cpu_millis

from .backend import Usage, node_allocatable, pod_requests_limits
from .kube_client import KubeClient, KubeError

Obj = dict[str, Any]
GROUP = "metrics.k8s.io"
RESOLUTION_SECONDS = 15.0  # metrics-server's default --metric-resolution
DECODE_SLICE = 500  # list items decoded between two yields to the loop (a few milliseconds' work)

Usages = tuple[tuple[str, str], ...]  # each container's (cpu, memory) quantities, as metrics-server wrote them
Entry = tuple[tuple[str, str], Usages]  # ((namespace or "", name), usages)
T = TypeVar("T")

_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def _whole(item: Obj) -> Obj:
    return item


async def served_version(client: KubeClient) -> str | None:
    """The metrics.k8s.io version to ask for (the group's preferred one), None when discovery does not list the group
    (no metrics-server) or cannot be read."""
    try:
        groups = await client.request("GET", "/apis")
    except KubeError:
        return None
    for group in groups.get("groups") or ():
        if group.get("name") == GROUP:
            return str((group.get("preferredVersion") or {}).get("version") or "v1beta1")
    return None


def _skip(text: str, at: int) -> int:
    match = _SPACE.match(text, at)
    return match.end() if match else at


def _after(text: str, at: int, end: str) -> int:
    """Past the comma after a value, or at the `end` that closes its array or object."""
    at = _skip(text, at)
    if text[at] == ",":
        return _skip(text, at + 1)
    if text[at] != end:
        raise ValueError(f"',' or '{end}' expected at {at}")
    return at


async def decode_items(text: str, keep: Callable[[Obj], T] = _whole) -> list[T]:
    """The `items` of a JSON List document, decoded DECODE_SLICE items at a time, yielding to the loop in between;
    each item as `keep` reduces it. Raises ValueError on anything that is not a JSON object."""
    items: list[T] = []
    try:
        at = _skip(text, 0)
        if text[at] != "{":
            raise ValueError("not a JSON object")
        at = _skip(text, at + 1)
        while text[at] != "}":
            key, at = _DECODER.raw_decode(text, at)
            at = _skip(text, at)
            if text[at] != ":":
                raise ValueError(f"':' expected at {at}")
            at = _skip(text, at + 1)
            if key == "items" and text[at] == "[":
                at = _skip(text, at + 1)
                while text[at] != "]":
                    item, at = _DECODER.raw_decode(text, at)
                    if not isinstance(item, dict):
                        raise ValueError(f"an item that is not an object at {at}")
                    items.append(keep(item))
                    at = _after(text, at, "]")
                    if len(items) % DECODE_SLICE == 0:
                        await asyncio.sleep(0)
                at += 1
            else:
                _, at = _DECODER.raw_decode(text, at)
            at = _after(text, at, "}")
    except IndexError:
        raise ValueError("the document ends too soon") from None
    return items


def _usage(usage: Obj) -> Usages:
    return ((str(usage.get("cpu", "0")), str(usage.get("memory", "0"))),)


def _pod_entry(item: Obj) -> Entry:
    """A PodMetrics as the columns need it: its key and each container's (cpu, memory) quantities. Only these small
    tuples outlive the decoding (10,000 items' dicts kept would give the cyclic collector long pauses to scan them)."""
    meta = item.get("metadata") or {}
    usages = tuple(u for c in item.get("containers") or () for u in _usage(c.get("usage") or {}))
    return (str(meta.get("namespace", "")), str(meta.get("name", ""))), usages


def _node_entry(item: Obj) -> Entry:
    return ("", str((item.get("metadata") or {}).get("name", ""))), _usage(item.get("usage") or {})


def _summed(usages: Usages) -> tuple[int, int]:
    """(millicores, bytes) of a PodMetrics' containers, each container's CPU rounded up to a millicore before the
    sum, as k9s sums `Usage.Cpu().MilliValue()` (internal/client/metrics.go PodsMetrics)."""
    cpu = memory = 0
    for cores, size in usages:
        try:
            cpu += cpu_millis(cores)
            memory += bytes_value(size)
        except ValueError:
            continue
    return cpu, memory


class _Lists:
    """One kind's metrics list (pods or nodes): the last answer, and when to ask again."""

    def __init__(self) -> None:
        self.raw: dict[tuple[str, str], Usages] = {}  # (namespace or "", name) -> each container's (cpu, memory)
        self.usage: dict[tuple[str, str], tuple[int, int]] = {}  # what the raw entries read, once read
        self.asked = -math.inf  # time.monotonic() of the last request
        self.scope: frozenset[str] | None = frozenset()  # namespaces the last request covered (None: all)
        self.wanted: set[str] = set()  # namespaces asked about since that request
        self.task: asyncio.Task[None] | None = None
        self.refused_all = False  # listing across namespaces is forbidden (RBAC): ask namespace by namespace


class KubeMetrics:
    """metrics.k8s.io as the usage columns read it: `pod_usage`/`node_usage` answer from the last lists at once,
    and start the next request when it is due."""

    def __init__(
        self,
        client: KubeClient,
        version: str,
        spawn: Callable[[Coroutine[Any, Any, None]], asyncio.Task[None]],
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self.client = client
        self.version = version
        self._spawn = spawn
        self._on_error = on_error
        self._told: set[str] = set()  # failures already flashed (once each, not every 15 s)
        self.pods = _Lists()
        self.nodes = _Lists()
        self.requests = 0  # lists asked for (tests count them)

    # --- what the views read -------------------------------------------------------------------------------

    def pod_usage(self, pod: Obj) -> Usage:
        meta = pod["metadata"]
        namespace = meta.get("namespace", "")
        found = self._read(self.pods, (namespace, meta["name"]), namespace)
        cpu_request, cpu_limit, memory_request, memory_limit = pod_requests_limits(pod)
        cpu, memory = found or (0, 0)
        return Usage(found is not None, cpu, memory, cpu_request, cpu_limit, memory_request, memory_limit)

    def node_usage(self, node: Obj) -> Usage:
        found = self._read(self.nodes, ("", node["metadata"]["name"]), None)
        cpu_allocatable, memory_allocatable = node_allocatable(node)
        cpu, memory = found or (0, 0)
        return Usage(found is not None, cpu, memory, cpu_request=cpu_allocatable, memory_request=memory_allocatable)

    def _read(self, lists: _Lists, key: tuple[str, str], namespace: str | None) -> tuple[int, int] | None:
        self._due(lists, namespace)
        found = lists.usage.get(key)
        if found is None and key in lists.raw:
            found = lists.usage[key] = _summed(lists.raw[key])
        return found

    # --- fetching --------------------------------------------------------------------------------------------

    def _due(self, lists: _Lists, namespace: str | None) -> None:
        """Ask again once metrics-server can have scraped again, or at once for a namespace the last list did not
        cover (another namespace's pods view just opened)."""
        if namespace is not None:
            lists.wanted.add(namespace)
        if lists.task is not None and not lists.task.done():
            return
        covered = namespace is None or lists.scope is None or namespace in lists.scope
        if covered and time.monotonic() - lists.asked < RESOLUTION_SECONDS:
            return
        lists.task = self._spawn(self._fetch(lists, namespaced=namespace is not None))

    def _path(self, resource: str, namespace: str | None = None) -> str:
        where = f"/namespaces/{namespace}" if namespace else ""
        return f"/apis/{GROUP}/{self.version}{where}/{resource}"

    async def _fetch(self, lists: _Lists, namespaced: bool) -> None:
        # Every row painted in this frame asks before the request goes: it covers the namespaces of all of them.
        await asyncio.sleep(0)
        is_pods = lists is self.pods
        resource, keep = ("pods", _pod_entry) if is_pods else ("nodes", _node_entry)
        # One namespace's pods view asks for that namespace. Rows of several namespaces (all namespaces), or another
        # namespace within the same scrape (the user moving between namespaces), ask for every namespace. What was
        # asked counts as covered even if the request fails: it is tried again at the usual interval.
        wanted = set(lists.wanted)
        if lists.scope and time.monotonic() - lists.asked < RESOLUTION_SECONDS:
            wanted |= lists.scope
        lists.wanted = set()
        scope = frozenset(wanted) if namespaced and (len(wanted) == 1 or lists.refused_all) else None
        lists.asked, lists.scope = time.monotonic(), scope
        try:
            if scope is None:
                try:
                    items = await self._list(self._path(resource), keep)
                except KubeError as exc:
                    if not (is_pods and exc.code == 403):
                        raise
                    lists.refused_all = True  # as the pods informer falls back to one namespace's list
                    scope = lists.scope = frozenset(wanted)
            if scope is not None:
                answers = await asyncio.gather(*(self._list(self._path(resource, ns), keep) for ns in sorted(scope)))
                items = [item for answer in answers for item in answer]
        except KubeError as exc:
            self._tell(f"{GROUP} {resource}: {exc.message}")
            return
        lists.usage = {}
        lists.raw = dict(items)

    async def _list(self, path: str, keep: Callable[[Obj], Entry]) -> list[Entry]:
        self.requests += 1
        text = await self.client.text(path)
        try:
            return await decode_items(text, keep)
        except ValueError as exc:
            raise KubeError(f"cannot read the metrics list: {exc}") from None

    def _tell(self, message: str) -> None:
        """A failing metrics API (metrics-server down answers 503, RBAC 403): said once; the cells keep their last
        numbers meanwhile, and the next request is tried at the usual interval."""
        if message in self._told or self._on_error is None:
            return
        self._told.add(message)
        self._on_error(message)
