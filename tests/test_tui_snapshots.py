"""SVG snapshots of the dashboard's main views, compared with pytest-textual-snapshot's `snap_compare`.

After an intended change to how the dashboard looks, regenerate them and review the new SVGs:

    python -m pytest tests/test_tui_snapshots.py --snapshot-update

A failing run writes snapshot_report.html (expected and actual side by side) to the current directory.

Every snapshot must come out the same on every run and every machine, so:
- the cluster runs on a virtual clock with a fixed seed (names, IPs, uids, ages, event times) and is driven to
  the state shown *before* the app starts: nothing changes while the app runs, so no row ever gets the
  added/modified highlight, which fades after 3 s of wall time (k9py/views/table.py);
- the header's clock is printed in local time, so TZ is pinned to UTC;
- flash messages vanish after a few seconds of wall time: the timer is made long enough to outlive a test;
- user skins (~/.config/k9py/themes) could override the bundled ones: XDG_CONFIG_HOME points at an empty folder;
- NO_COLOR, which Textual obeys, is unset;
- the one visible text cursor (the scale dialog's field) blinks on a wall-time timer: its blinking is turned off.

Pod names, IPs and uids come from the cluster's seeded random generator, so an engine change that draws from it
in a different order (a new object created at start-up, say) renames pods in every snapshot: regenerate then too.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import manifests
import pytest
import tui_support
from textual.pilot import Pilot
from textual.widgets import Input
from tui_support import command, filter_by

from engine import Cluster
from k9py.app import K9App, MainScreen
from k9py.backend import EngineBackend
from k9py.theme import load_theme
from k9py.widgets import flash
from k9py.widgets.dialogs import ConfirmDialog, ScaleDialog
from k9py.widgets.help import HelpScreen

SIZE = (120, 32)
SMALL = (80, 24)  # the classic terminal: the header drops its big logo, the hints wrap onto three lines
SEED = 7
# troubled_cluster's pods in the pods view: its own 9, kube-system's kube-proxy on each of its 4 nodes and CoreDNS's
# two replicas, and the ingress-nginx controller.
PODS = 9 + 4 + 2 + 1
Scenario = Callable[[Cluster], Awaitable[None]]
RunBefore = Callable[[Pilot[None]], Awaitable[None]]
SnapCompare = Callable[..., bool]

until = partial(tui_support.until, timeout=10.0)


# --- determinism -----------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _deterministic(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setattr(flash, "FLASH_SECONDS", 3600.0)
    monkeypatch.delenv("NO_COLOR", raising=False)  # Textual would render every snapshot colourless
    yield
    monkeypatch.undo()
    time.tzset()  # back to the machine's zone for the tests that run after these


# --- cluster states ----------------------------------------------------------------------------------------------


def deployment(name: str, namespace: str = "default", replicas: int = 1, image: str = "nginx:1.25",
               annotations: dict[str, str] | None = None, cause: str = "", probe: bool = False,
               **container: Any) -> dict[str, Any]:
    app: dict[str, Any] = {"name": "app", "image": image, **container}
    if probe:  # without a readiness probe a pod is ready as soon as it starts, and a rollout never stalls
        app["readinessProbe"] = {"httpGet": {"path": "/", "port": 80}, "periodSeconds": 5}
    return manifests.deployment(name, namespace=namespace, replicas=replicas, cause=cause,
                                pod_annotations=annotations or {}, containers=[app])


async def troubled_cluster(cluster: Cluster) -> None:
    """Four nodes (node-3 cordoned, node-4 NotReady) and pods in most states a pod can be in.

    shop/web is caught halfway through a rolling update (the new pods take 15 s to pass their readiness probe);
    default holds one pod of each kind of trouble: too-big fits no node (Pending), crasher exits every 2 s
    (CrashLoopBackOff), slow-pull spends an hour pulling its image (ContainerCreating) and init waits on an init
    container that never finishes (Init:0/1).
    """
    await cluster.set_node_ready("node-4", False)
    await cluster.run_for(60)  # NotReady (and tainted) before any pod exists, so none lands on it
    await cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
    await cluster.apply(deployment("web", "shop", replicas=4, probe=True, cause="deploy nginx 1.25"))
    await cluster.apply(deployment("crasher", image="busybox:1.36", command=["sh", "-c", "sleep 2; exit 1"]))
    await cluster.apply(deployment("too-big", resources={"requests": {"cpu": "64"}}))
    await cluster.run_for(120)
    await cluster.cordon("node-3")
    await cluster.apply(deployment("slow-pull", image="registry.example.com/ml/model-server:2.1",
                                   annotations={"sim.k9py.io/pull-seconds": "1h"}))
    init = deployment("init")
    init["spec"]["template"]["spec"]["initContainers"] = [
        {"name": "wait-for-db", "image": "busybox:1.36", "command": ["sh", "-c", "sleep 3600"]}]
    await cluster.apply(init)
    await cluster.apply(deployment("web", "shop", replicas=4, image="nginx:1.26", probe=True,
                                   annotations={"sim.k9py.io/start-seconds": "15s"}, cause="upgrade to 1.26"))
    await cluster.run_for(25)


def prepared(scenario: Scenario = troubled_cluster) -> Cluster:
    """A virtual-clock cluster already driven through `scenario`; its clock stands still from then on."""
    cluster = Cluster(nodes=4, clock="virtual", seed=SEED)
    cluster.start()
    asyncio.run(scenario(cluster))
    return cluster


def dashboard(scenario: Scenario = troubled_cluster, **options: Any) -> K9App:
    return K9App(EngineBackend(prepared(scenario)), **options)


# --- driving the app ---------------------------------------------------------------------------------------------


def main_screen(pilot: Pilot[None]) -> MainScreen:
    app = pilot.app
    assert isinstance(app, K9App) and app.main is not None
    return app.main


async def started(pilot: Pilot[None]) -> MainScreen:
    app = pilot.app
    assert isinstance(app, K9App)
    await until(pilot, lambda: app.main is not None and app.main.view is not None)
    return main_screen(pilot)


async def settled(pilot: Pilot[None], view: str, rows: int | None = None) -> MainScreen:
    """Wait until `view` is shown (with `rows` rows) and the header shows the cluster as it is now."""
    screen = main_screen(pilot)

    def ready() -> bool:
        if screen.view_name != view:
            return False
        if rows is not None:
            if getattr(screen.view, "row_count", None) != rows:
                return False
            # The view's count is its model; wait for the widget too, in case rows are painted a frame later.
            table = getattr(screen.view, "table", None)
            if table is not None and getattr(table, "row_count", rows) != rows:
                return False
        return screen.header.summary == screen.backend.summary()

    await until(pilot, ready)
    await pilot.pause()
    return screen


async def opened(pilot: Pilot[None], view: str, rows: int | None = None, via: str = "") -> MainScreen:
    """Wait for the dashboard to start, type `via` (`:command` or `/filter`, pasted) and wait until `view` is
    settled."""
    await started(pilot)
    if via.startswith(":"):
        await command(pilot, via[1:])
    elif via.startswith("/"):
        await filter_by(pilot, via[1:])
    return await settled(pilot, view, rows)


def showing(view: str, rows: int | None = None, via: str = "") -> RunBefore:
    """A snapshot's `run_before` that only opens `view` (see `opened`)."""

    async def run_before(pilot: Pilot[None]) -> None:
        await opened(pilot, view, rows, via)

    return run_before


def steady_cursors(pilot: Pilot[None]) -> None:
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False


def snapshot(snap_compare: SnapCompare, app: K9App, run_before: RunBefore, size: tuple[int, int] = SIZE) -> None:
    assert snap_compare(app, terminal_size=size, run_before=run_before)


# --- the views ---------------------------------------------------------------------------------------------------


def test_pods_all_namespaces(snap_compare: SnapCompare) -> None:
    """Pods of every namespace: Running, Running but not ready (mid-rollout), Pending (fits no node),
    CrashLoopBackOff, ContainerCreating and Init:0/1, each in its status colour; kube-system's kube-proxy pods
    with their nodes' IPs."""
    snapshot(snap_compare, dashboard(), showing("pods", rows=PODS))


def test_deployments_mid_rollout(snap_compare: SnapCompare) -> None:
    """shop/web halfway through its rolling update (3/4 ready), and the default deployments that never become
    ready."""
    snapshot(snap_compare, dashboard(), showing("deployments", rows=7, via=":deploy"))


def test_replicasets(snap_compare: SnapCompare) -> None:
    """ReplicaSets: shop/web's old one scaled down to 1 and its new one at 4 (2 ready)."""
    snapshot(snap_compare, dashboard(), showing("replicasets", rows=8, via=":rs"))


def test_nodes_cordoned_and_not_ready(snap_compare: SnapCompare) -> None:
    """node-3 Ready,SchedulingDisabled (cordoned) and node-4 NotReady (its kubelet stopped)."""
    snapshot(snap_compare, dashboard(), showing("nodes", rows=4, via=":no"))


def test_events_with_warnings(snap_compare: SnapCompare) -> None:
    """Events newest first; Warnings (Unhealthy, FailedScheduling) in the error colour. The crash loop's BackOff is
    further down: the kubelet's spam filter (25 events per pod, then one per 5 minutes) held back its updates."""
    snapshot(snap_compare, dashboard(), showing("events", via=":ev"))


def test_describe_pending_pod(snap_compare: SnapCompare) -> None:
    """`d` on the pod that fits no node: its FailedScheduling event says why (Insufficient cpu, unschedulable,
    untolerated taint)."""

    async def run_before(pilot: Pilot[None]) -> None:
        await opened(pilot, "pods", rows=1, via="/too-big")
        await pilot.press("d")
        await settled(pilot, "describe")
        await pilot.press("G")  # the Events section, at the end, is the scheduler's explanation

    snapshot(snap_compare, dashboard(), run_before)


def test_yaml_of_a_deployment(snap_compare: SnapCompare) -> None:
    """`y` on shop/web: its manifest as stored, keys coloured."""

    async def run_before(pilot: Pilot[None]) -> None:
        await opened(pilot, "deployments", rows=1, via=":deploy shop")
        await pilot.press("y")
        await settled(pilot, "yaml")

    snapshot(snap_compare, dashboard(), run_before)


def test_rollout_panel(snap_compare: SnapCompare) -> None:
    """ctrl-l on shop/web mid-rollout: the progress bars and the revision history with change-causes."""

    async def run_before(pilot: Pilot[None]) -> None:
        await opened(pilot, "deployments", rows=1, via=":deploy shop")
        await pilot.press("ctrl+l")
        await settled(pilot, "rollout")

    snapshot(snap_compare, dashboard(), run_before)


def test_help_screen(snap_compare: SnapCompare) -> None:
    """`?` over the pods view: every key of the view, grouped."""

    async def run_before(pilot: Pilot[None]) -> None:
        await opened(pilot, "pods", rows=PODS)
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(pilot.app.screen, HelpScreen))

    snapshot(snap_compare, dashboard(), run_before)


def test_kill_confirm_dialog(snap_compare: SnapCompare) -> None:
    """ctrl-k on the crash-looping pod: the confirm dialog, Cancel focused."""

    async def run_before(pilot: Pilot[None]) -> None:
        await opened(pilot, "pods", rows=1, via="/crasher")
        await pilot.press("ctrl+k")
        await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmDialog) and pilot.app.screen.ready)

    snapshot(snap_compare, dashboard(), run_before)


def test_scale_dialog(snap_compare: SnapCompare) -> None:
    """`s` on shop/web: the scale dialog with the current count (4) selected, ready to be typed over."""

    async def run_before(pilot: Pilot[None]) -> None:
        await opened(pilot, "deployments", rows=1, via=":deploy shop")
        await pilot.press("s")
        await until(pilot, lambda: isinstance(pilot.app.screen, ScaleDialog) and pilot.app.screen.ready)
        steady_cursors(pilot)

    snapshot(snap_compare, dashboard(), run_before)


def test_pods_light_theme(snap_compare: SnapCompare) -> None:
    """The pods view in the bundled light skin."""
    snapshot(snap_compare, dashboard(skin=load_theme("light")), showing("pods", rows=PODS))


def test_deployments_high_contrast_theme(snap_compare: SnapCompare) -> None:
    """The deployments view in the bundled high-contrast skin."""
    snapshot(snap_compare, dashboard(skin=load_theme("high-contrast")), showing("deployments", rows=7, via=":deploy"))


# --- 80x24 -------------------------------------------------------------------------------------------------------


def test_pods_at_80x24(snap_compare: SnapCompare) -> None:
    """The header without its big logo (a small `k9py` instead), pods counted by phase and the crash loop named;
    every hint of the view on three lines."""
    snapshot(snap_compare, dashboard(), showing("pods", rows=PODS), SMALL)


def test_deployments_at_80x24(snap_compare: SnapCompare) -> None:
    snapshot(snap_compare, dashboard(), showing("deployments", rows=7, via=":deploy"), SMALL)


def test_nodes_at_80x24(snap_compare: SnapCompare) -> None:
    """The node view's hints, `<f> Fail/Recover` and `<r> Drain` included, one space apart to fit three lines."""
    snapshot(snap_compare, dashboard(), showing("nodes", rows=4, via=":no"), SMALL)


def test_help_screen_at_80x24(snap_compare: SnapCompare) -> None:
    """`?` over the pods view at 80 columns: the groups stacked two by two."""

    async def run_before(pilot: Pilot[None]) -> None:
        await opened(pilot, "pods", rows=PODS)
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(pilot.app.screen, HelpScreen))

    snapshot(snap_compare, dashboard(), run_before, SMALL)


# --- the sources view --------------------------------------------------------------------------------------------

GOOD = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: nginx:1.25
"""

# A typo'd field name: strict decoding refuses the document, at the field's line and column.
BROKEN = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
  namespace: shop
spec:
  replica: 2
  selector:
    matchLabels: {app: worker}
  template:
    metadata:
      labels: {app: worker}
    spec:
      containers:
        - name: worker
          image: busybox:1.36
"""


def sources_scenario(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[K9App, RunBefore]:
    """A watched folder with a namespace, a deployment and a broken file; `run_before` opens `:src` on it."""
    folder = tmp_path / "manifests"
    folder.mkdir()
    (folder / "namespace.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n")
    (folder / "api.yaml").write_text(GOOD)
    (folder / "worker.yaml").write_text(BROKEN)
    # Messages name files as the folder was given: a relative path keeps the temporary directory out of them.
    monkeypatch.chdir(tmp_path)

    async def nodes_up(cluster: Cluster) -> None:
        await cluster.run_for(10)

    async def run_before(pilot: Pilot[None]) -> None:
        screen = await started(pilot)
        app = pilot.app
        assert isinstance(app, K9App) and isinstance(app.backend, EngineBackend)
        # The folder was applied when the app started; let the cluster run the deployment up, then open the
        # view (a view opened now starts without highlights, unlike the pods view that watched it happen).
        await app.backend.cluster.run_for(60)
        await command(pilot, "src")
        await settled(pilot, "sources", rows=3)
        assert screen.flash_line.level == "error"

    return dashboard(nodes_up, paths=["manifests"]), run_before


def test_sources_with_a_manifest_error(snap_compare: SnapCompare, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """`:src` over a watched folder: the manifest error first (file:line:col and why), then each declared object
    Synced and Healthy; the flash line names the error too."""
    snapshot(snap_compare, *sources_scenario(tmp_path, monkeypatch))


def test_sources_at_80x24(snap_compare: SnapCompare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sources view at 80x24: the header names the folder, Synced, and its one error."""
    snapshot(snap_compare, *sources_scenario(tmp_path, monkeypatch), SMALL)
