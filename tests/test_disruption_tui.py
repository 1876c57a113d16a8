"""The dashboard's node drain held by the seeds' PodDisruptionBudget (Pilot, real clock at 50x): the flash line says
which budget holds which pod while the drain retries as kubectl does, and the drain finishes once the evicted
replicas run elsewhere."""

from __future__ import annotations

from functools import partial

import pytest
import tui_support
from test_disruption import SEED_DEPLOYMENT, SEED_PDB
from tui_support import CONFIRM, dashboard, table

from k9py.widgets.dialogs import DrainDialog

pytestmark = pytest.mark.usefixtures("no_user_themes")

until = partial(tui_support.until, timeout=15.0)
HELD = "The disruption budget web-pdb needs 3 healthy pods and has 3 currently (evicting again every 5s)"


async def test_a_learner_drains_a_node_and_watches_the_budget_hold_the_last_replicas() -> None:
    async with dashboard([]) as (app, pilot, screen, cluster):
        # Every replica on node-1: the other nodes are cordoned before the Deployment comes.
        await cluster.cordon("node-2", True)
        await cluster.cordon("node-3", True)
        await cluster.apply(SEED_DEPLOYMENT)
        await cluster.apply(SEED_PDB)
        await until(pilot, lambda: (cluster.get("pdb", "web-pdb").get("status") or {}).get("currentHealthy") == 5)
        await tui_support.command(pilot, "pdb")
        await until(pilot, lambda: table(screen).row_count == 1)

        await tui_support.command(pilot, "no")
        await pilot.press("slash", *"node-1", "enter")
        await until(pilot, lambda: table(screen).row_count == 1)
        # The add-ons' pods on node-1 are evicted too: CoreDNS's and the ingress-nginx controller's.
        before = [*cluster.list("pods", "kube-system", selector="k8s-app=kube-dns"),
                  *cluster.list("pods", "ingress-nginx")]
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, DrainDialog))
        await pilot.press(*CONFIRM)

        # Two replicas go (the budget's two disruptions); their replacements stay Pending, so the last three hold.
        await until(pilot, lambda: "has 3 currently" in screen.flash_line.message)
        assert screen.flash_line.level == "warn"
        message = screen.flash_line.message
        assert message.startswith("draining node/node-1: pod/web-") and message.endswith(f" held: {HELD}")
        running = [p for p in cluster.list("pods", "default") if p["spec"].get("nodeName") == "node-1"
                   and not p["metadata"].get("deletionTimestamp")]
        assert len(running) == 3

        # Room elsewhere: the replacements become Ready, the budget lets the rest go, the drain finishes.
        await cluster.cordon("node-2", False)
        await until(pilot, lambda: "drained (" in screen.flash_line.message, timeout=30)
        # The five replicas, and the add-ons' pods that ran there too.
        evicted = 5 + sum(p["spec"].get("nodeName") == "node-1" for p in before)
        assert screen.flash_line.message == f"node/node-1 drained ({evicted} pods evicted)"
        assert not [p for p in cluster.list("pods", "default") if p["spec"].get("nodeName") == "node-1"]
