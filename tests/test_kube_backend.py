"""The dashboard on a real API server (`k9py --kubeconfig`): informers, and keys against the real control plane kit.

The kit's tests use namespaces of their own (`k9py-kb-*`), deleted at the end: other tests share the kit and may
have thousands of pods on it.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from tui_support import burst, command, screen_lines, table, until

from k9py.app import K9App
from k9py.kube_backend import KubeBackend, _LogStream
from k9py.kube_client import KubeClient, KubeError
from k9py.kube_informer import Informer
from k9py.views.table import TableView

# --- informers, against a scripted server ------------------------------------------------------------------------


def _pod(name: str, rv: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "ns", "resourceVersion": rv}}


class ScriptedServer:
    """Answers lists from `pages` and each watch from the next script in `watches`: a list of lines, or an
    exception raised once they are sent (a broken connection)."""

    def __init__(self, pages: list[dict[str, Any]], watches: list[tuple[list[dict[str, Any]], Exception | None]]):
        self.pages, self.watches = pages, watches
        self.list_calls: list[dict[str, Any]] = []
        self.watch_versions: list[str] = []

    async def request(self, method: str, path: str, query: dict[str, Any] | None = None, **_: Any) -> dict[str, Any]:
        self.list_calls.append(dict(query or {}))
        return self.pages[(len(self.list_calls) - 1) % len(self.pages)]

    async def lines(self, path: str, query: dict[str, Any] | None = None, **_: Any) -> AsyncIterator[bytes]:
        self.watch_versions.append(str((query or {}).get("resourceVersion")))
        if not self.watches:
            await asyncio.sleep(3600)
        events, error = self.watches.pop(0)
        for event in events:
            yield json.dumps(event).encode()
        if error is not None:
            raise error


async def _settle(informer: Informer, predicate: Any) -> None:
    for _ in range(200):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("informer did not get there")


async def test_informer_pages_resumes_from_bookmarks_relists_on_gone_and_keeps_rows_while_reconnecting() -> None:
    pages = [
        {"kind": "PodList", "apiVersion": "v1", "metadata": {"continue": "next"}, "items": [_pod("a", "1")]},
        {"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "10"}, "items": [_pod("b", "2")]},
    ]
    server = ScriptedServer(
        pages,
        [
            (
                [{"type": "ADDED", "object": _pod("c", "11")}, {"type": "BOOKMARK", "object": _pod("", "15")}],
                KubeError("connection reset", 0),
            ),
            (
                [{"type": "ERROR", "object": {"kind": "Status", "code": 410, "message": "too old resource version"}}],
                None,
            ),
        ],
    )
    informer = Informer(server, "/api/v1/pods", sleep=lambda _s: asyncio.sleep(0))  # type: ignore[arg-type]
    sub = informer.subscribe()
    informer.start()
    try:
        # pages: the second list call carries the first page's continue token
        await _settle(informer, lambda: informer.relists >= 2)
        assert server.list_calls[1]["continue"] == "next"
        assert server.list_calls[0]["limit"] == 500
        # after the broken watch it resumed from the bookmark's version, not from the list's
        assert server.watch_versions[:2] == ["10", "15"]
        # 410 Gone: listed again; "c" (not in the new list) is DELETED, the rest stays
        names = {c.obj["metadata"]["name"]: c.type for c in sub.drain()}
        assert names["c"] == "DELETED" and set(informer.objects) == {"ns/a", "ns/b"}
    finally:
        await informer.stop()


class HeldServer(ScriptedServer):
    """A ScriptedServer whose list pages after the first wait for `more` (a slow server, a big cluster)."""

    def __init__(self, pages: list[dict[str, Any]]) -> None:
        super().__init__(pages, [])
        self.more = asyncio.Event()

    async def request(self, method: str, path: str, query: dict[str, Any] | None = None, **_: Any) -> dict[str, Any]:
        if self.list_calls:
            await self.more.wait()
        return await super().request(method, path, query)


async def test_a_long_list_shows_its_first_page_before_the_rest_and_keeps_no_managed_fields() -> None:
    managed = [{"manager": "kubelet", "operation": "Update", "fieldsV1": {"f:status": {}}}]
    first = {**_pod("a", "1"), "metadata": {**_pod("a", "1")["metadata"], "managedFields": managed}}
    pages = [
        {"kind": "PodList", "apiVersion": "v1", "metadata": {"continue": "next"}, "items": [first]},
        {"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "10"}, "items": [_pod("b", "2")]},
    ]
    server = HeldServer(pages)
    informer = Informer(server, "/api/v1/pods")  # type: ignore[arg-type]
    view = informer.subscribe()
    informer.start()
    try:
        # The view has the first page's pod (its rows can be painted) while the second page is still asked for.
        await _settle(informer, lambda: "ns/a" in informer.objects)
        shown = view.drain()
        assert [(c.type, c.obj["metadata"]["name"]) for c in shown] == [("ADDED", "a")]
        assert not informer.synced
        # managedFields are dropped: a cache of 10,000 pods is 40 % smaller without them
        assert "managedFields" not in shown[0].obj["metadata"]
        assert shown[0].obj["kind"] == "Pod"  # a list's items get their kind, as the watch's objects have it
        server.more.set()
        await _settle(informer, lambda: informer.synced)
        assert [(c.type, c.obj["metadata"]["name"]) for c in view.drain()] == [("ADDED", "b")]
    finally:
        await informer.stop()


async def test_a_broken_watch_says_reconnecting_and_the_rows_stay() -> None:
    pages = [{"kind": "PodList", "metadata": {"resourceVersion": "5"}, "items": [_pod("a", "1")]}]
    server = ScriptedServer(pages, [([], KubeError("connection refused", 0)) for _ in range(50)])
    informer = Informer(server, "/api/v1/pods", sleep=lambda _s: asyncio.sleep(0.01))  # type: ignore[arg-type]
    informer.start()
    try:
        await _settle(informer, lambda: informer.reconnecting)
        assert set(informer.objects) == {"ns/a"}
    finally:
        await informer.stop()


def test_a_resumed_log_stream_skips_the_lines_it_already_has() -> None:
    """A followed log that ended (the container restarted, the connection dropped) is asked for again from its
    last line's timestamp; the server answers from that instant on, inclusive, so those lines come twice."""
    stream = _LogStream()
    for raw in (b"2026-12-03T10:00:00.1Z a", b"2026-12-03T10:00:01.5Z b", b"2026-12-03T10:00:01.5Z c"):
        stream.add(raw)
    assert stream.resuming() == "2026-12-03T10:00:01.5Z"
    for raw in (b"2026-12-03T10:00:01.5Z b", b"2026-12-03T10:00:01.5Z c", b"2026-12-03T10:00:02Z d"):
        stream.add(raw)
    stream.add(b"2026-12-03T10:00:02Z d")  # printed twice by the container: both kept
    assert [text for _, text in stream.lines] == ["a", "b", "c", "d", "d"]
    assert stream.last_stamp == "2026-12-03T10:00:02Z"


# --- the real control plane --------------------------------------------------------------------------------------


def kubectl(kubeconfig: Path, *args: str) -> str:
    run = subprocess.run(
        ["kubectl", "--kubeconfig", str(kubeconfig), *args], capture_output=True, text=True, timeout=60
    )
    return run.stdout + run.stderr


@pytest.fixture
def namespace(real_kubeconfig: Path) -> Iterator[str]:
    name = f"k9py-kb-{uuid.uuid4().hex[:6]}"
    kubectl(real_kubeconfig, "create", "namespace", name)
    kubectl(real_kubeconfig, "-n", name, "create", "deployment", "web", "--image=nginx", "--replicas=2")
    try:
        yield name
    finally:
        kubectl(real_kubeconfig, "delete", "namespace", name, "--wait=false")


def _app(kubeconfig: Path, command_text: str, **client: Any) -> K9App:
    return K9App(KubeBackend(KubeClient(str(kubeconfig), **client)), [], command=command_text)


async def _ready(app: K9App, pilot: Any, rows: int) -> None:
    await until(pilot, lambda: app.main is not None and isinstance(app.main.view, TableView), timeout=10)
    assert app.main is not None
    await until(pilot, lambda: table(app.main).row_count == rows, timeout=15)


async def test_pods_scale_describe_logs_and_delete_on_the_kit(real_kubeconfig: Path, namespace: str) -> None:
    app = _app(real_kubeconfig, f"po {namespace}")
    async with app.run_test(size=(80, 24)) as pilot:
        await _ready(app, pilot, 2)
        screen = app.main
        assert screen is not None
        text = "\n".join(screen_lines(app))
        assert "kube-kit v1.36" in text and "web-" in text and "Running" in text
        # logs: kwok runs nothing; the server's own words are shown
        await pilot.press("l")
        await until(pilot, lambda: "no logs found for container" in "\n".join(screen_lines(app)), timeout=10)
        await pilot.press("escape")
        # describe: kubectl's text, from the fetched pod and its events
        await pilot.press("d")
        await until(pilot, lambda: "Status:" in "\n".join(screen_lines(app)), timeout=10)
        await pilot.press("escape")
        # ctrl-d deletes the pod on the cursor; its ReplicaSet makes another
        victim = table(screen).visible_names()[0]
        burst(app, "ctrl+d", "left", "enter")
        await until(pilot, lambda: "deleted" in screen.flash_line.message, timeout=10)
        await until(pilot, lambda: victim not in table(screen).visible_names(), timeout=15)
        # scale the Deployment with `s`
        await command(pilot, f"dp {namespace}")
        await until(pilot, lambda: table(screen).row_count == 1, timeout=10)
        burst(app, "s", "3", "enter")
        await until(pilot, lambda: screen.flash_line.message == "deployment/web scaled to 3", timeout=10)
        assert "3" in kubectl(
            real_kubeconfig, "-n", namespace, "get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"
        )
        await command(pilot, f"po {namespace}")
        await until(pilot, lambda: table(screen).row_count == 3, timeout=15)


async def test_cordon_and_drain_a_kwok_node(real_kubeconfig: Path, namespace: str) -> None:
    backend = KubeBackend(KubeClient(str(real_kubeconfig)))
    await backend.start()
    try:
        # The kit's own nodes, not a benchmark's (benchmarks/api_bench.py labels its nodes k9py-bench; their bare
        # pods would refuse a drain) that may be up on the shared kit meanwhile.
        kit_nodes = ["get", "nodes", "-l", "type=kwok,!k9py-bench", "-o", "json"]
        nodes = json.loads(kubectl(real_kubeconfig, *kit_nodes))["items"]
        name = nodes[0]["metadata"]["name"]
        assert await backend.cordon(name, True) == f"node/{name} cordoned"
        assert "true" in kubectl(real_kubeconfig, "get", "node", name, "-o", "jsonpath={.spec.unschedulable}")
        said: list[str] = []
        message = await backend.drain(name, progress=lambda m, _level: said.append(m))
        assert message.startswith(f"node/{name} drained")
    finally:
        await backend.cordon(name, False)
        await backend.stop()
    assert "true" not in kubectl(real_kubeconfig, "get", "node", name, "-o", "jsonpath={.spec.unschedulable}")


async def test_an_impersonated_user_is_refused_with_the_servers_words(real_kubeconfig: Path, namespace: str) -> None:
    app = _app(real_kubeconfig, f"po {namespace}", as_user="k9py-nobody")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.main is not None and isinstance(app.main.view, TableView), timeout=10)
        assert app.main is not None
        await until(pilot, lambda: 'is forbidden: User "k9py-nobody"' in app.main.flash_line.message, timeout=10)
        assert app.return_code is None  # still running: nothing crashed


async def test_simulator_keys_are_hidden_on_a_real_cluster(real_kubeconfig: Path, namespace: str) -> None:
    app = _app(real_kubeconfig, "nodes")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.main is not None and isinstance(app.main.view, TableView), timeout=10)
        assert app.main is not None
        keys = {k.action for k in app.main.active_keys()}
        assert "pause" not in keys and "fail_node" not in keys
        await pilot.press("p")
        assert "only k9py's simulated cluster" in app.main.flash_line.message


async def test_a_panel_opened_again_finds_its_rows_without_listing_again(
    real_kubeconfig: Path, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kind no view shows any more is still watched for a while: ctrl-l's rollout panel (the deployment's
    ReplicaSets), esc, ctrl-l again shows the revisions at once from the same watch, where stopping it at esc left the
    panel empty until a new list came back (typed fast, esc then ctrl-l ctrl-l said "nothing selected"); a kind
    left alone for longer is no longer watched, and is listed anew when a view needs it again."""
    app = _app(real_kubeconfig, f"dp {namespace}")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.main is not None and table(app.main).row_count == 1, timeout=20)
        backend = app.backend
        assert isinstance(backend, KubeBackend) and app.main is not None
        await pilot.press("ctrl+l")
        await until(pilot, lambda: backend.informer("ReplicaSet", namespace) is not None, timeout=10)
        watching = backend.informer("ReplicaSet", namespace)
        await until(pilot, lambda: watching.synced, timeout=20)
        relists = watching.relists
        burst(app, "escape")
        await pilot.pause(0.5)
        burst(app, "ctrl+l")
        await pilot.pause(0.2)
        assert backend.informer("ReplicaSet", namespace) is watching and watching.relists == relists
        assert "web-" in "\n".join(screen_lines(app))  # the revision's ReplicaSet, shown at once
        # left alone for longer than that, the kind is no longer watched; needed again, it is listed anew
        monkeypatch.setattr("k9py.kube_backend.IDLE_WATCH_SECONDS", 0.2)
        burst(app, "escape")
        await until(pilot, lambda: backend.informer("ReplicaSet", namespace) is None, timeout=10)
        burst(app, "ctrl+l")
        await until(pilot, lambda: backend.informer("ReplicaSet", namespace) not in (None, watching), timeout=10)
