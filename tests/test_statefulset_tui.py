"""StatefulSets in the dashboard: `:sts` lists them with kubectl's columns; the generic view's capability keys
give enter (its pods), s (scale), r (restart) and ctrl-l (the rollout panel through its ControllerRevisions:
kubectl's StatefulSetStatusViewer, StatefulSetHistoryViewer and StatefulSetRollbacker). k9s's StatefulSet view
(internal/view/sts.go) has no drill-down to claims: the claims are on `:pvc`."""

from __future__ import annotations

from typing import Any

from tui_support import CONFIRM, command, dashboard, until

from engine import Cluster
from k9py.views.rollout import RolloutView
from k9py.widgets.dialogs import ConfirmDialog


def statefulset(image: str) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "namespace": "default"},
            "spec": {"serviceName": "db", "replicas": 2, "selector": {"matchLabels": {"app": "db"}},
                     "template": {"metadata": {"labels": {"app": "db"}},
                                  "spec": {"containers": [{"name": "db", "image": image,
                                                           "volumeMounts": [{"name": "data", "mountPath": "/d"}]}]}},
                     "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                         "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}}


def rolled_out(cluster: Cluster) -> bool:
    sts = cluster.get("sts", "db") or {}
    status = sts.get("status") or {}
    return (cluster.rollout_status("db", kind="StatefulSet")[1] and status.get("readyReplicas") == 2
            and status.get("currentRevision") == status.get("updateRevision"))


async def test_sts_view_and_its_rollout_panel() -> None:
    async with dashboard([]) as (app, pilot, screen, cluster):
        for tag in ("15", "16"):
            await cluster.apply(statefulset(f"postgres:{tag}"))
            await until(pilot, lambda: rolled_out(cluster))
        await command(pilot, "sts default")
        await until(pilot, lambda: screen.view.row_count == 1)  # type: ignore[attr-defined]
        hints = screen.hints.text
        assert "Restart" in hints and "Rollout/Rollback" in hints and "Scale" in hints
        await pilot.press("ctrl+l")
        await until(pilot, lambda: isinstance(screen.view, RolloutView) and len(panel(screen).history()) == 2)
        view = panel(screen)
        assert screen.view_title.strip() == "rollout(statefulset/default/db)[2]"
        assert view.table.labels[2] == "CONTROLLERREVISION"
        await until(pilot, lambda: [row[4] for row in view.history()] == ["2/2", "0/0"])
        assert [row[0] for row in view.history()] == ["2 (current)", "1"]
        assert [row[3] for row in view.history()] == ["postgres:16", "postgres:15"]
        assert "partitioned roll out complete: 2 new pods have been updated..." in view.progress_text

        await pilot.press("G")  # revision 1
        await pilot.press("ctrl+l")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press(*CONFIRM)
        await until(pilot, lambda: screen.flash_line.message == "statefulset.apps/db rolled back")
        await until(pilot, lambda: [row[0] for row in view.history()] == ["3 (current)", "2"])
        await until(pilot, lambda: rolled_out(cluster))
        images = {p["spec"]["containers"][0]["image"] for p in cluster.list("pods", "default")}
        assert images == {"postgres:15"}

        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(screen.view, RolloutView))
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press(*CONFIRM)
        await until(pilot, lambda: screen.flash_line.message == "statefulset.apps/db restarted")
        await pilot.press("enter")
        await until(pilot, lambda: screen.view_name == "pods" and screen.view.row_count == 2)  # type: ignore


def panel(screen: Any) -> RolloutView:
    assert isinstance(screen.view, RolloutView)
    return screen.view
