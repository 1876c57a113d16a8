"""The rollout panel: ctrl-l on a deployment, its progress and revision history, and rollback from it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import manifests
from textual.pilot import Pilot
from tui_support import CONFIRM, command, dashboard, until

from engine import Cluster
from k9py.app import K9App, MainScreen
from k9py.views.rollout import RolloutView
from k9py.views.yaml import YamlView
from k9py.widgets.dialogs import ConfirmDialog

CAUSES = ("deploy nginx 1.25", "upgrade to 1.26", "upgrade to 1.27")
IMAGES = ("nginx:1.25", "nginx:1.26", "nginx:1.27")


def deployment(image: str, cause: str, **spec: Any) -> dict[str, Any]:
    return manifests.deployment("web", replicas=3, cause=cause, containers=[{"name": "web", "image": image}], **spec)


def rolled_out(cluster: Cluster) -> bool:
    return cluster.rollout_status("web")[1]


@asynccontextmanager
async def panel(readonly: bool = False) -> AsyncIterator[tuple[K9App, Pilot[None], MainScreen, Cluster]]:
    """The dashboard on `:deploy default`, after three rollouts of `web`, with ctrl-l pressed on it."""
    async with dashboard([], readonly=readonly) as (app, pilot, screen, cluster):
        for image, cause in zip(IMAGES, CAUSES, strict=True):
            await cluster.apply(deployment(image, cause))
            await until(pilot, lambda: rolled_out(cluster))
        await command(pilot, "deploy default")
        await until(pilot, lambda: screen.view_name == "deployments" and screen.view.row_count == 1)  # type: ignore
        await pilot.press("ctrl+l")
        await until(pilot, lambda: isinstance(screen.view, RolloutView) and len(view(screen).history()) == 3)
        yield app, pilot, screen, cluster


def view(screen: MainScreen) -> RolloutView:
    assert isinstance(screen.view, RolloutView)
    return screen.view


def image(cluster: Cluster) -> str:
    d = cluster.get("deploy", "web")
    assert d is not None
    return str(d["spec"]["template"]["spec"]["containers"][0]["image"])


async def confirm_rollback(app: K9App, pilot: Pilot[None]) -> None:
    await pilot.press("ctrl+l")
    await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
    await pilot.press(*CONFIRM)
    await until(pilot, lambda: not isinstance(app.screen, ConfirmDialog))


async def test_ctrl_l_on_a_deployment_opens_its_rollout_with_history_newest_first() -> None:
    async with panel() as (_app, pilot, screen, _cluster):
        panel_view = view(screen)
        assert screen.crumbs.labels == ["deployments", "rollout:web"]
        assert screen.view_title.strip() == "rollout(deployment/default/web)[3]"
        history = panel_view.history()
        assert [row[0] for row in history] == ["3 (current)", "2", "1"]
        assert [row[1] for row in history] == list(reversed(CAUSES))
        assert [row[3] for row in history] == list(reversed(IMAGES))
        assert all(row[2].startswith("web-") for row in history)
        await until(pilot, lambda: [row[4] for row in panel_view.history()] == ["3/3", "0/0", "0/0"])
        text = panel_view.progress_text
        assert 'deployment "web" successfully rolled out' in text
        assert "Updated" in text and "3/3" in text and "RollingUpdate" in text and "max surge 25% (1)" in text
        assert "Rollback" in screen.hints.text


async def test_status_follows_a_rollout_live() -> None:
    async with panel() as (app, pilot, screen, cluster):
        panel_view = view(screen)
        await pilot.press("p")  # the cluster clock stops: the new pods cannot become ready
        assert app.backend.paused
        await cluster.apply(deployment("nginx:1.28", "upgrade to 1.28"))
        await until(pilot, lambda: 'Waiting for deployment "web" rollout to finish' in panel_view.progress_text)
        await until(pilot, lambda: panel_view.history()[0][:2] == ("4 (current)", "upgrade to 1.28"))
        await pilot.press("p")
        await until(pilot, lambda: 'deployment "web" successfully rolled out' in panel_view.progress_text)
        await until(pilot, lambda: "none" in panel_view.progress_text.splitlines()[-1])  # no old replicas left


async def test_rollback_to_a_chosen_revision_after_confirmation() -> None:
    async with panel() as (app, pilot, screen, cluster):
        panel_view = view(screen)
        await pilot.press("G")  # the oldest revision is the last row
        selected = panel_view.selected_revision()
        assert selected is not None and selected.revision == 1
        await confirm_rollback(app, pilot)
        await until(pilot, lambda: image(cluster) == "nginx:1.25")
        assert screen.flash_line.message == "deployment.apps/web rolled back"
        # Revision 1's ReplicaSet is reused as revision 4, now current, and the cursor follows it to the top.
        await until(pilot, lambda: [row[0] for row in panel_view.history()] == ["4 (current)", "3", "2"])
        assert panel_view.history()[0][1] == CAUSES[0]
        assert panel_view.selected_revision() is not None and panel_view.selected_revision().revision == 4  # type: ignore
        await until(pilot, lambda: rolled_out(cluster))

        await confirm_rollback(app, pilot)  # again, onto the revision that is already current
        await until(pilot, lambda: "skipped rollback" in screen.flash_line.message)
        assert screen.flash_line.message == (
            "deployment.apps/web skipped rollback (current template already matches revision 4)")


async def test_rollback_cancelled_changes_nothing() -> None:
    async with panel() as (app, pilot, screen, cluster):
        await pilot.press("j")
        await pilot.press("ctrl+l")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("enter")  # focus starts on Cancel
        await until(pilot, lambda: not isinstance(app.screen, ConfirmDialog))
        await pilot.pause(0.2)
        assert image(cluster) == "nginx:1.27"
        assert len(view(screen).history()) == 3


async def test_a_paused_deployment_refuses_rollback_with_an_error() -> None:
    async with panel() as (app, pilot, screen, cluster):
        await cluster.rollout_pause("web")
        await until(pilot, lambda: "PAUSED" in view(screen).progress_text)
        await pilot.press("j")
        await confirm_rollback(app, pilot)
        await until(pilot, lambda: screen.flash_line.level == "error")
        assert screen.flash_line.message == ("you cannot rollback a paused deployment; resume it first with "
                                             "'kubectl rollout resume' and try again")
        assert image(cluster) == "nginx:1.27"


async def test_readonly_opens_the_panel_but_cannot_roll_back() -> None:
    async with panel(readonly=True) as (app, pilot, screen, cluster):
        assert "ctrl-l" not in screen.hints.text
        await pilot.press("j", "ctrl+l")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmDialog)
        assert "read-only" in screen.flash_line.message
        assert image(cluster) == "nginx:1.27"


async def test_a_deleted_deployment_shows_as_gone() -> None:
    async with panel() as (_app, pilot, screen, cluster):
        await cluster.delete("deploy", "web")
        panel_view = view(screen)
        await until(pilot, lambda: panel_view.gone)
        assert "<deleted>" in screen.view_title
        assert 'is gone: deployments.apps "web" not found' in panel_view.progress_text
        assert panel_view.history() == []
        await pilot.press("ctrl+l")
        assert screen.flash_line.message == "nothing selected"


async def test_an_exceeded_progress_deadline_shows_kubectls_error() -> None:
    async with panel() as (_app, pilot, screen, cluster):
        broken = deployment("nginx:broken", "a typo", progressDeadlineSeconds=5)
        broken["spec"]["template"]["metadata"]["annotations"] = {"sim.k9py.io/image-pull": "fail"}
        await cluster.apply(broken)
        panel_view = view(screen)
        await until(pilot, lambda: 'error: deployment "web" exceeded its progress deadline' in panel_view.progress_text)
        assert panel_view.status is not None and panel_view.status.failed
        assert panel_view.history()[0][:2] == ("4 (current)", "a typo")


async def test_yaml_and_describe_show_the_deployment_and_esc_returns_to_the_panel() -> None:
    async with panel() as (_app, pilot, screen, _cluster):
        await pilot.press("y")
        await until(pilot, lambda: isinstance(screen.view, YamlView))
        assert "kind: Deployment" in screen.view.content  # type: ignore[union-attr]
        assert screen.crumbs.labels == ["deployments", "rollout:web", "yaml:web"]
        await pilot.press("escape", "d")
        await until(pilot, lambda: screen.view_name == "describe")
        assert "RollingUpdateStrategy" in screen.view.content  # type: ignore[union-attr]
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(screen.view, RolloutView) and len(view(screen).history()) == 3)


# --- a DaemonSet in the generic view: r restarts it, ctrl-l opens its rollout through ControllerRevisions ---


def daemonset(image: str) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent", "namespace": "default"},
            "spec": {"selector": {"matchLabels": {"app": "agent"}},
                     "template": {"metadata": {"labels": {"app": "agent"}},
                                  "spec": {"containers": [{"name": "agent", "image": image}]}}}}


def ds_rolled_out(cluster: Cluster) -> bool:
    return cluster.rollout_status("agent", kind="DaemonSet")[1]


async def test_ctrl_l_and_r_on_a_daemonset_use_its_controllerrevisions() -> None:
    """kubectl DaemonSetStatusViewer/DaemonSetHistoryViewer/DaemonSetRollbacker/ObjectRestarter, reached from the
    generic view's capability keys (the DaemonSet kind is restartable and has revisions)."""
    async with dashboard([]) as (app, pilot, screen, cluster):
        for tag in ("1.0", "2.0"):
            await cluster.apply(daemonset(f"agent:{tag}"))
            await until(pilot, lambda: ds_rolled_out(cluster))
        await command(pilot, "ds default")
        await until(pilot, lambda: screen.view.row_count == 1)  # type: ignore[attr-defined]
        assert "Restart" in screen.hints.text and "Rollout/Rollback" in screen.hints.text
        await pilot.press("ctrl+l")
        await until(pilot, lambda: isinstance(screen.view, RolloutView) and len(view(screen).history()) == 2)
        panel_view = view(screen)
        assert screen.view_title.strip() == "rollout(daemonset/default/agent)[2]"
        assert panel_view.table.labels[2] == "CONTROLLERREVISION"
        await until(pilot, lambda: [row[4] for row in panel_view.history()] == ["3/3", "0/0"])
        assert [row[0] for row in panel_view.history()] == ["2 (current)", "1"]
        assert [row[3] for row in panel_view.history()] == ["agent:2.0", "agent:1.0"]
        assert all(row[2].startswith("agent-") for row in panel_view.history())
        assert 'daemon set "agent" successfully rolled out' in panel_view.progress_text
        assert "max surge 0 (0), max unavailable 1 (1)" in panel_view.progress_text

        await pilot.press("G")  # revision 1, the oldest
        await confirm_rollback(app, pilot)
        await until(pilot, lambda: screen.flash_line.message == "daemonset.apps/agent rolled back")
        await until(pilot, lambda: [row[0] for row in panel_view.history()] == ["3 (current)", "2"])
        await until(pilot, lambda: ds_rolled_out(cluster))
        images = {p["spec"]["containers"][0]["image"] for p in cluster.list("pods", "default")}
        assert images == {"agent:1.0"}

        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(screen.view, RolloutView))
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press(*CONFIRM)
        await until(pilot, lambda: screen.flash_line.message == "daemonset.apps/agent restarted")
        ds = cluster.get("ds", "agent")
        assert ds is not None
        assert "kubectl.kubernetes.io/restartedAt" in ds["spec"]["template"]["metadata"]["annotations"]
