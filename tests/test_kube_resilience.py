"""The dashboard on a real API server when the connection is not perfect: the kit's kube-apiserver restarted under
an open view, etcd compacted past the view's resourceVersion (410 Gone), a namespace bigger than one list page, and
the network cut mid-watch; at 80x24 with keys in bursts, and once in a real terminal.

What k9py's informers copy is client-go's reflector (staging/src/k8s.io/client-go/tools/cache/reflector.go in
kubernetes/kubernetes): list in chunks of 500 with `limit`/`continue` (tools/pager/pager.go), watch from the list's
resourceVersion with `allowWatchBookmarks`, list again when the watch says "too old resource version" (410, the
`isExpiredError` case, as an ERROR event or as the watch request's status), and retry a broken connection with an
exponential backoff (800 ms to 30 s there) while the store, so the rows on screen, keep what they had.

Why the 410 test restarts the API server as well as compacting etcd: watches with a resourceVersion are served from
the API server's watch cache, which keeps its own window of events whatever etcd compacted
(staging/src/k8s.io/apiserver/pkg/storage/cacher/watch_cache.go, getAllEventsSinceLocked); a restarted server's
cache starts at etcd's current revision, so a watch from an older one is refused with 410 "too old resource
version", as it is on a real cluster after an API server restart or a long network outage.

The kit is shared with other tests: only its kube-apiserver is restarted (tests/kube_compare/kube.py,
`stop_apiserver`/`start_apiserver`), for as long as it takes to start again (10 to 20 s measured on the loaded 2-core
machine; 95 s once, with a benchmark's 10,000 pods and 100 nodes on the kit whose clients all listed again at once),
and only where the kit is this run's own (K9PY_REQUIRE_KUBE=1, as CI sets it) or K9PY_KUBE_RESTART=1 asks for it.
The namespaces are this file's own (`k9py-res-*`) and deleted at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kube_compare.kube import (
    STATE,
    compact_etcd,
    etcd_revision,
    kit_pid,
    restart_apiserver,
    start_apiserver,
    stop_apiserver,
)
from test_kube_backend import ScriptedServer, _pod, _settle, kubectl
from tui_support import CONFIRM, EXITED, HAS_TMUX, Terminal, burst, screen_lines, table, until

from k9py.app import K9App
from k9py.kube_backend import KubeBackend
from k9py.kube_client import KubeClient, KubeError
from k9py.kube_informer import PAGE, Informer
from k9py.views.table import TableView

RECONNECTING = "reconnecting…"
CONFIGMAPS = 1200  # more than two list pages of 500
RESTART_SECONDS = 300.0  # an API server restart on the loaded CI machine, with room to spare
SLOW_KIT_SECONDS = 120.0  # a Deployment's pods made by the kit's controllers while other tests load it
# Restarting the API server breaks every other client of the kit for its duration: only where the kit is this
# run's own (CI sets K9PY_REQUIRE_KUBE=1), or when asked for.
RESTARTS_ALLOWED = os.environ.get("K9PY_REQUIRE_KUBE") == "1" or os.environ.get("K9PY_KUBE_RESTART") == "1"
restarts = pytest.mark.skipif(
    not RESTARTS_ALLOWED, reason="restarts the shared kit's kube-apiserver: set K9PY_KUBE_RESTART=1 (CI does)"
)


def text(app: K9App) -> str:
    return "\n".join(screen_lines(app))


async def shown(app: K9App, pilot: Any, predicate: Callable[[], bool], timeout: float) -> None:
    """`until`, the screen and the flash line in the failure's message."""
    try:
        await until(pilot, predicate, timeout=timeout)
    except AssertionError:
        flash = app.main.flash_line.message if app.main is not None else ""
        raise AssertionError(f"not reached in {timeout}s; flash: {flash!r}; the screen:\n{text(app)}") from None


@pytest.fixture
def namespace(real_kubeconfig: Path) -> Iterator[str]:
    name = f"k9py-res-{uuid.uuid4().hex[:6]}"
    kubectl(real_kubeconfig, "create", "namespace", name)
    try:
        yield name
    finally:
        kubectl(real_kubeconfig, "delete", "namespace", name, "--wait=false")


async def _shown(app: K9App, pilot: Any, rows: int, timeout: float = 30) -> TableView:
    await shown(app, pilot, lambda: app.main is not None and isinstance(app.main.view, TableView), timeout=15)
    assert app.main is not None
    view = table(app.main)
    await shown(app, pilot, lambda: view.row_count == rows, timeout=timeout)
    return view


# --- 410 as the watch request's status -------------------------------------------------------------------------


async def test_a_watch_refused_with_410_lists_again_instead_of_retrying_the_same_version() -> None:
    """A watch request answered 410 Gone as its HTTP status (not as an ERROR event in a 200 stream): client-go's
    reflector lists again (reflector.go: a watch error that `isWatchErrorRetriable` does not retry ends ListAndWatch,
    which lists); retrying the same resourceVersion would be refused forever, the rows never refreshed again and the
    header saying reconnecting… for good."""
    pages = [{"kind": "PodList", "metadata": {"resourceVersion": "5"}, "items": [_pod("a", "1")]}]
    server = ScriptedServer(pages, [([], KubeError("too old resource version: 5 (9)", 410)) for _ in range(50)])
    informer = Informer(server, "/api/v1/pods", sleep=lambda _s: asyncio.sleep(0.01))  # type: ignore[arg-type]
    informer.start()
    try:
        await _settle(informer, lambda: len(server.list_calls) >= 3)
        assert not informer.reconnecting
    finally:
        await informer.stop()


# --- a network that can be cut -------------------------------------------------------------------------------------


class CuttableLink:
    """A TCP relay in front of the kit's API server (TLS passes through untouched: the serving certificate names
    127.0.0.1, whatever the port). `cut` is a network outage: every open connection is reset and new ones are
    accepted and dropped at once (each attempt noted, to see the client's backoff); `heal` ends it."""

    def __init__(self, target: tuple[str, int] = ("127.0.0.1", 6443)) -> None:
        self.target = target
        self.up = True
        self.refused: list[float] = []  # when each connection attempt during a cut came
        self._open: set[asyncio.StreamWriter] = set()
        self._relays: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
        # the relays end once their sockets are reset: let them, rather than leave them to the loop's teardown
        await asyncio.wait_for(asyncio.gather(*self._relays, return_exceptions=True), 10)

    def cut(self) -> None:
        self.up = False
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()

    def heal(self) -> None:
        self.up = True

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._relays.add(task)
        task.add_done_callback(self._relays.discard)
        if not self.up:
            self.refused.append(time.monotonic())
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._open |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            with contextlib.suppress(ConnectionError, OSError):  # the link was cut: the relay's end of it
                while chunk := await reader.read(65536):
                    writer.write(chunk)
                    await writer.drain()
        finally:
            self._open.discard(writer)
            writer.transport.abort()


def linked_kubeconfig(kubeconfig: Path, port: int, folder: Path) -> Path:
    """A copy of the kit's kubeconfig whose server is the relay on `port`."""
    config = yaml.safe_load(kubeconfig.read_text())
    for cluster in config["clusters"]:
        cluster["cluster"]["server"] = f"https://127.0.0.1:{port}"
    path = folder / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture
async def link() -> AsyncIterator[CuttableLink]:
    relay = CuttableLink()
    try:
        yield relay
    finally:
        await relay.close()


# --- the API server restarted ------------------------------------------------------------------------------------


@restarts
async def test_the_pods_view_survives_an_api_server_restart(real_kubeconfig: Path, namespace: str) -> None:
    """The kit's kube-apiserver stopped and started again under `:pods NS`: the header says reconnecting… and the
    rows stay while it is down; once it is back the view is live again (its watch, 410 Gone from the new server's
    fresh watch cache, lists again), ctrl-d deletes a pod (the ReplicaSet replaces it) and a pod created with
    kubectl appears. The restarted server is listed in the kit's run/pids, so the kit's `stop` stops it."""
    kubectl(real_kubeconfig, "-n", namespace, "create", "deployment", "web", "--image=nginx", "--replicas=2")
    backend = KubeBackend(KubeClient(str(real_kubeconfig)))
    app = K9App(backend, [], command=f"po {namespace}")
    async with app.run_test(size=(80, 24)) as pilot:
        view = await _shown(app, pilot, 2, timeout=SLOW_KIT_SECONDS)
        screen = app.main
        assert screen is not None
        await shown(app, pilot, lambda: "Running" in text(app), timeout=SLOW_KIT_SECONDS)
        before = view.visible_names()
        informer = backend.informer("Pod")
        assert informer is not None
        relists = informer.relists
        # Stopped and started from a thread: the dashboard keeps running meanwhile, and meets the server starting
        # (connection refused, then 500s and 429s until it is ready).
        stopped = await asyncio.to_thread(stop_apiserver)
        try:
            await shown(app, pilot, lambda: RECONNECTING in text(app), timeout=15)
            assert view.visible_names() == before and "Running" in text(app)  # the last known rows, not a blank
            burst(app, "ctrl+d", *CONFIRM)  # a key that needs the server: its failure said, nothing crashes
            await shown(app, pilot, lambda: "cannot reach" in screen.flash_line.message, timeout=15)
            assert view.visible_names() == before
        finally:
            await asyncio.to_thread(start_apiserver, stopped)
        await shown(app, pilot, lambda: RECONNECTING not in text(app), timeout=RESTART_SECONDS)
        assert informer.relists > relists  # the new server's watch cache starts later than the old version: 410
        new_pid = kit_pid("kube-apiserver")
        assert f"kube-apiserver {new_pid}" in (STATE / "run" / "pids").read_text().splitlines()
        assert os.readlink(f"/proc/{new_pid}/exe") == os.path.realpath(STATE / "bin" / "kube-apiserver")
        # keys work on the restarted server: ctrl-d the pod on the cursor (gone, or Terminating while kwok, which
        # finishes deletions on the kit, is still catching up with the restart itself)
        victim = view.visible_names()[0]
        burst(app, "ctrl+d", *CONFIRM)
        await shown(app, pilot, lambda: "deleted" in screen.flash_line.message, timeout=SLOW_KIT_SECONDS)

        def deleted() -> bool:
            return victim not in view.visible_names() or "Terminating" in text(app)

        await shown(app, pilot, deleted, timeout=SLOW_KIT_SECONDS)
        await asyncio.to_thread(kubectl, real_kubeconfig, "-n", namespace, "run", "extra", "--image=nginx")
        await shown(app, pilot, lambda: "extra" in view.visible_names(), timeout=SLOW_KIT_SECONDS)
        assert len(set(view.visible_names())) == view.row_count  # no row twice after the relist
        assert app.return_code is None


# --- pages, and 410 Gone ----------------------------------------------------------------------------------------


async def _create_configmaps(kubeconfig: Path, namespace: str, count: int) -> None:
    """`count` ConfigMaps cm-0000..., 16 requests at a time (kubectl create one by one would take a minute)."""
    client = KubeClient(str(kubeconfig))
    await client.open()
    gate = asyncio.Semaphore(16)

    async def create(i: int) -> None:
        async with gate:
            body = {"metadata": {"name": f"cm-{i:04d}"}, "data": {"index": str(i)}}
            await client.request("POST", f"/api/v1/namespaces/{namespace}/configmaps", body=body)

    try:
        await asyncio.gather(*(create(i) for i in range(count)))
    finally:
        await client.close()


def recorded_lists(backend: KubeBackend, path_end: str) -> list[dict[str, Any]]:
    """Every list (GET) the backend sends for collections ending in `path_end`, its query noted: the client's
    `request` wrapped, the rest untouched."""
    calls: list[dict[str, Any]] = []
    real = backend.client.request

    async def request(method: str, path: str, query: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
        if method == "GET" and path.endswith(path_end):
            calls.append(dict(query or {}))
        return await real(method, path, query, **kw)

    backend.client.request = request  # type: ignore[method-assign]
    return calls


def recorded_watch_errors(backend: KubeBackend) -> list[bytes]:
    """The ERROR events of every watch the backend reads."""
    errors: list[bytes] = []
    real = backend.client.lines

    async def lines(path: str, query: dict[str, Any] | None = None, **kw: Any) -> AsyncIterator[bytes]:
        async for line in real(path, query, **kw):
            if line.startswith(b'{"type":"ERROR"'):
                errors.append(line)
            yield line

    backend.client.lines = lines  # type: ignore[method-assign]
    return errors


def pages(calls: list[dict[str, Any]]) -> list[bool]:
    """For each list call: did it carry a continue token (a next page)?"""
    assert all(c.get("limit") == PAGE for c in calls), calls
    return [bool(c.get("continue")) for c in calls]


@restarts
async def test_1200_configmaps_in_pages_and_a_relist_after_410_gone(
    real_kubeconfig: Path, namespace: str, link: CuttableLink, tmp_path: Path
) -> None:
    """`:cm NS` over 1,200 ConfigMaps: listed in pages of 500 (limit, then continue twice), all rows there (the
    last one found with a filter typed in a burst). Then the network is cut; meanwhile 5 ConfigMaps are deleted,
    5 created and one edited, etcd is compacted past the view's resourceVersion and the API server restarted, so
    the watch resumed after the network is back is answered 410 "too old resource version": the view lists again
    (in pages) and shows exactly what is there: the deleted gone, the new shown, the edit's DATA, no row twice."""
    await _create_configmaps(real_kubeconfig, namespace, CONFIGMAPS)
    expected = len(kubectl(real_kubeconfig, "-n", namespace, "get", "cm", "--no-headers").splitlines())
    assert expected >= CONFIGMAPS  # and the namespace's own kube-root-ca.crt (and the kit's fork adds one more)
    port = await link.start()
    backend = KubeBackend(KubeClient(str(linked_kubeconfig(real_kubeconfig, port, tmp_path))))
    lists = recorded_lists(backend, f"/namespaces/{namespace}/configmaps")
    watch_errors = recorded_watch_errors(backend)
    app = K9App(backend, [], command=f"cm {namespace}")
    async with app.run_test(size=(80, 24)) as pilot:
        view = await _shown(app, pilot, expected, timeout=60)
        assert pages(lists) == [False, True, True]  # 500 + 500 + the rest
        assert f"[{expected}]" in text(app)  # the title counts them all
        burst(app, "slash", *"cm-1199", "enter")
        await shown(app, pilot, lambda: view.visible_names() == ["cm-1199"], timeout=10)
        burst(app, "escape")
        await shown(app, pilot, lambda: view.row_count == expected, timeout=10)

        informer = backend.informer("ConfigMap", namespace)
        assert informer is not None
        seen_version = int(informer.resource_version)
        link.cut()
        await shown(app, pilot, lambda: RECONNECTING in text(app), timeout=15)
        gone, new = [f"cm-{i:04d}" for i in range(5)], [f"new-{i}" for i in range(5)]
        await asyncio.to_thread(kubectl, real_kubeconfig, "-n", namespace, "delete", "cm", *gone)
        changed = [{"metadata": {"name": n}, "data": {"a": "1", "b": "2"}} for n in new]
        changed.append({"metadata": {"name": "cm-0010"}, "data": {"index": "10", "more": "x"}})
        manifest = tmp_path / "changes.yaml"
        items = [{"apiVersion": "v1", "kind": "ConfigMap", **c} for c in changed]
        manifest.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}))
        apply = ("apply", "--server-side", "--force-conflicts", "-f", str(manifest))
        await asyncio.to_thread(kubectl, real_kubeconfig, "-n", namespace, *apply)
        revision = etcd_revision()
        assert revision > seen_version
        compact_etcd(revision)
        await asyncio.to_thread(restart_apiserver)
        assert view.row_count == expected  # still the rows of before the outage
        listed_before = len(lists)
        link.heal()
        await shown(app, pilot, lambda: RECONNECTING not in text(app), timeout=RESTART_SECONDS)
        await shown(app, pilot, lambda: "new-4" in view.visible_names(), timeout=SLOW_KIT_SECONDS)
        assert any(b"too old resource version" in e and b"410" in e for e in watch_errors), watch_errors
        assert pages(lists[listed_before:])[:3] == [False, True, True]  # the relist is paged too
        names = view.visible_names()
        assert len(names) == len(set(names)) == expected  # 5 gone, 5 new, none twice
        assert not set(gone) & set(names) and set(new) <= set(names)
        burst(app, "slash", *"cm-0010", "enter")
        await shown(app, pilot, lambda: view.visible_names() == ["cm-0010"], timeout=10)
        row = next(line for line in screen_lines(app) if "cm-0010" in line and "/" not in line)
        data = row.strip("│ ").split()[1]
        assert data.rstrip("△▽") == "2"  # DATA: the edit made while disconnected (△: it went up, as k9s marks it)


# --- the network cut mid-watch -----------------------------------------------------------------------------------


async def test_a_network_cut_mid_watch_retries_with_backoff_and_resumes(
    real_kubeconfig: Path, namespace: str, link: CuttableLink, tmp_path: Path
) -> None:
    """The network between k9py and the API server cut for 8 s under `:cm NS`: the header says reconnecting…,
    the rows stay, and the watches are retried with a growing backoff (a handful of attempts, fewer as time goes,
    not a busy loop). Once the network is back the header is quiet again at once, even for watches on which
    nothing happens (the watch resumed, not only when an event comes), and a ConfigMap created meanwhile is shown
    without a relist: the server's watch cache still holds the events since the view's resourceVersion."""
    for name in ("a", "b"):
        kubectl(real_kubeconfig, "-n", namespace, "create", "cm", name)
    expected = len(kubectl(real_kubeconfig, "-n", namespace, "get", "cm", "--no-headers").splitlines())
    port = await link.start()
    backend = KubeBackend(KubeClient(str(linked_kubeconfig(real_kubeconfig, port, tmp_path))))
    app = K9App(backend, [], command=f"cm {namespace}")
    async with app.run_test(size=(80, 24)) as pilot:
        view = await _shown(app, pilot, expected)
        before = view.visible_names()
        informer = backend.informer("ConfigMap", namespace)
        assert informer is not None
        await shown(app, pilot, lambda: informer.relists == 1 and RECONNECTING not in text(app), timeout=15)
        link.cut()
        cut_at = time.monotonic()
        await shown(app, pilot, lambda: RECONNECTING in text(app), timeout=15)
        await asyncio.to_thread(kubectl, real_kubeconfig, "-n", namespace, "create", "cm", "made-offline")
        while time.monotonic() - cut_at < 8.0:
            await pilot.pause(0.2)
            assert view.visible_names() == before
        link.heal()
        # (the all-namespaces Pod informer may be told 410 and list every pod again: 10,000 when a benchmark's
        # are on the kit)
        await shown(app, pilot, lambda: RECONNECTING not in text(app), timeout=90)
        await shown(app, pilot, lambda: "made-offline" in view.visible_names(), timeout=15)
        assert informer.relists == 1  # resumed from its resourceVersion: nothing listed again
        # A second, short outage is retried from the shortest wait again, not from where the first one left off
        # (16 s by then): a ConfigMap created once the network is back is shown a few seconds later.
        refused = len(link.refused)
        link.cut()
        await shown(app, pilot, lambda: informer.reconnecting, timeout=15)
        await pilot.pause(1.5)
        link.heal()
        healed_at = time.monotonic()
        await asyncio.to_thread(kubectl, real_kubeconfig, "-n", namespace, "create", "cm", "made-online")
        await shown(app, pilot, lambda: "made-online" in view.visible_names(), timeout=30)
        assert time.monotonic() - healed_at < 8.0
        del link.refused[refused:]
    # 0.5 s doubling: 4 tries for each watch in 8 s (at 0.5, 1.5, 3.5 and 7.5 s), the last 4 s apart; a watch
    # retried every second would have tried 8 times, and never have waited 2 s.
    watchers = 4  # Namespace, Node and Pod (the header's) and this view's ConfigMaps
    assert len(link.refused) <= watchers * 6, len(link.refused)
    gaps = [b - a for a, b in zip(link.refused, link.refused[1:], strict=False)]
    assert max(gaps) >= 1.9, gaps


# --- a real terminal -----------------------------------------------------------------------------------------------


class LinkThread:
    """A CuttableLink served from a thread of its own: a test that drives tmux (blocking calls) can cut it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.link = CuttableLink()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self.port = asyncio.run_coroutine_threadsafe(self.link.start(), self.loop).result(10)

    def call(self, action: Callable[[], None]) -> None:
        self.loop.call_soon_threadsafe(action)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.link.close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


@pytest.mark.skipif(not HAS_TMUX, reason="tmux is not installed")
def test_k9py_in_a_terminal_rides_out_a_network_cut(real_kubeconfig: Path, namespace: str, tmp_path: Path) -> None:
    """`k9py --kubeconfig PATH -c 'cm NS'` in tmux at 80x24 with its network cut: the header says reconnecting…
    with the rows still drawn; after the network is back a ConfigMap created meanwhile is drawn, and q quits."""
    kubectl(real_kubeconfig, "-n", namespace, "create", "cm", "before-the-cut")
    relay = LinkThread()
    kubeconfig = linked_kubeconfig(real_kubeconfig, relay.port, tmp_path)
    terminal = Terminal(["--kubeconfig", str(kubeconfig), "-c", f"cm {namespace}"], size=(80, 24))
    try:
        terminal.wait_for(lambda s: "before-the-cut" in s and RECONNECTING not in s, timeout=60)
        relay.call(relay.link.cut)
        terminal.wait_for(lambda s: RECONNECTING in s and "before-the-cut" in s, timeout=30)
        kubectl(real_kubeconfig, "-n", namespace, "create", "cm", "after-the-cut")
        relay.call(relay.link.heal)
        terminal.wait_for(lambda s: "after-the-cut" in s and RECONNECTING not in s, timeout=60)
        terminal.command("q")
        terminal.wait_for(lambda s: EXITED in s, timeout=15)
        assert terminal.exited() == (0, "icanon echo")
    finally:
        terminal.close()
        relay.close()
