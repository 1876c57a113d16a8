"""`:ctx` on the real control plane kit: the kubeconfig's contexts as k9s lists them, switching while the dashboard
runs (the header names the new context, the views reload), an unreachable context refused with nothing changed,
and a session started on the simulated cluster going to the kit and back to the cluster it left running.

The kit's tests share it with others (thousands of pods at times): these read the header and their own rows only.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from tui_support import burst, command, dashboard, screen_lines, table, until

from k9py.app import K9App
from k9py.kube_backend import KubeBackend
from k9py.kube_client import KubeClient
from k9py.views.contexts import ContextsView
from k9py.views.table import TableView


@pytest.fixture
def contexts_kubeconfig(real_kubeconfig: Path, tmp_path: Path) -> Iterator[Path]:
    """The kit's kubeconfig with two more contexts: the same cluster in kube-system, and one nobody answers."""
    config = yaml.safe_load(real_kubeconfig.read_text())
    kit = config["contexts"][0]["context"]
    config["contexts"] += [
        {"name": "kit-system", "context": {**kit, "namespace": "kube-system"}},
        {"name": "nowhere", "context": {"cluster": "nowhere", "user": kit["user"]}},
    ]
    config["clusters"].append(
        {"name": "nowhere", "cluster": {"server": "https://127.0.0.1:9", "insecure-skip-tls-verify": True}}
    )
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    yield path


def _text(app: K9App) -> str:
    return "\n".join(screen_lines(app))


def _context_rows(app: K9App) -> list[str]:
    assert app.main is not None and isinstance(app.main.view, ContextsView)
    table = app.main.view.table
    rows = [table.row(table.key_at(i) or "") for i in range(table.row_count)]
    return [row.cells[0] for row in rows if row is not None]


async def test_ctx_lists_the_contexts_and_switches_while_running(contexts_kubeconfig: Path) -> None:
    app = K9App(KubeBackend(KubeClient(str(contexts_kubeconfig))), [], command="ns")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.main is not None and isinstance(app.main.view, TableView), timeout=10)
        screen = app.main
        assert screen is not None
        await command(pilot, "ctx")
        await until(pilot, lambda: isinstance(screen.view, ContextsView))
        assert _context_rows(app) == ["kube-kit(*)", "kit-system", "nowhere"]
        assert "NAME" in _text(app) and "AUTHINFO" in _text(app)
        # j then enter, in one burst: the second context, in its namespace
        burst(app, "j", "enter")
        await until(pilot, lambda: "switched to context kit-system" in screen.flash_line.message, timeout=15)
        assert isinstance(screen.view, TableView) and screen.view.plain_title.strip().startswith("pods(kube-system)")
        await until(pilot, lambda: "kit-system v1.36" in _text(app), timeout=5)
        first = app.backend
        # a context nobody answers: named, and the dashboard stays where it was
        await command(pilot, "ctx nowhere")
        await until(pilot, lambda: screen.flash_line.message.startswith("context nowhere: "), timeout=20)
        assert app.backend is first and "kit-system v1.36" in _text(app)
        await command(pilot, "ctx")
        await until(pilot, lambda: isinstance(screen.view, ContextsView))
        assert _context_rows(app) == ["kube-kit", "kit-system(*)", "nowhere"]
        await command(pilot, "ctx missing")
        assert screen.flash_line.message == 'no context exists with the name: "missing"'


async def test_from_the_simulated_cluster_to_the_kit_and_back(
    contexts_kubeconfig: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(contexts_kubeconfig))
    async with dashboard(size=(80, 24)) as (app, pilot, screen, cluster):
        simulated = app.backend
        await command(pilot, "ctx")
        await until(pilot, lambda: isinstance(screen.view, ContextsView))
        assert _context_rows(app)[:2] == ["simulated(*)", "kube-kit"]
        await command(pilot, "ctx kube-kit")
        await until(pilot, lambda: "switched to context kube-kit" in screen.flash_line.message, timeout=15)
        await until(pilot, lambda: "kube-kit v1.36" in _text(app), timeout=5)
        assert not getattr(app.backend, "simulated", True)
        await command(pilot, "ctx")
        await until(pilot, lambda: isinstance(screen.view, ContextsView))
        assert _context_rows(app)[:2] == ["simulated", "kube-kit(*)"]
        # back: the simulated cluster kept running, its shop still there
        burst(app, "g", "enter")
        await until(pilot, lambda: "switched to context simulated" in screen.flash_line.message, timeout=10)
        assert app.backend is simulated and cluster._started
        await until(pilot, lambda: "k9py (simulated)" in _text(app), timeout=5)
        await until(pilot, lambda: any(n.startswith("frontend-") for n in table(screen).visible_names()), timeout=5)



async def test_a_view_typed_after_the_switch_shows_the_new_cluster_not_the_one_left(
    contexts_kubeconfig: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The view on screen when `:ctx` switches shows the old cluster: it must not be kept for a quick way back, or
    typing the same command again (`:po kube-system`) brings back the simulated pods, whose `s` opens the
    simulator's shell view on a pod the real cluster does not have."""
    monkeypatch.setenv("KUBECONFIG", str(contexts_kubeconfig))
    async with dashboard(size=(80, 24)) as (app, pilot, screen, _cluster):
        await command(pilot, "po kube-system")
        await until(pilot, lambda: any(n.startswith("coredns-") for n in table(screen).visible_names()))
        await command(pilot, "ctx kube-kit")
        await until(pilot, lambda: "switched to context kube-kit" in screen.flash_line.message, timeout=30)
        await command(pilot, "po kube-system")
        await until(pilot, lambda: "kube-system" in " ".join(screen_lines(app)[:12]), timeout=10)
        assert screen.view.backend is app.backend and not app.backend.simulated
        # the kit runs no CoreDNS pods (its kube-system has the control plane's only): none of the simulator's show
        await pilot.pause(1.0)
        assert not any(n.startswith("coredns-") for n in table(screen).visible_names())

def _unreachable_kubeconfig(path: Path) -> Path:
    """Three contexts on servers nobody answers: listing them talks to no cluster."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "far", "cluster": {"server": "https://127.0.0.1:9", "insecure-skip-tls-verify": True}}],
        "users": [{"name": "me", "user": {"token": "not-a-secret"}}],
        "contexts": [
            {"name": name, "context": {"cluster": "far", "user": "me", **({"namespace": ns} if ns else {})}}
            for name, ns in (("alpha", ""), ("beta", "shop"), ("gamma", ""))
        ],
        "current-context": "beta",
    }
    path.write_text(yaml.safe_dump(config))
    return path


async def test_ctx_keys_move_filter_and_an_unreachable_context_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(_unreachable_kubeconfig(tmp_path / "kubeconfig")))
    async with dashboard(size=(80, 24)) as (app, pilot, screen, _cluster):
        simulated = app.backend
        await command(pilot, "ctx")
        await until(pilot, lambda: isinstance(screen.view, ContextsView))
        view = screen.view
        assert isinstance(view, ContextsView)
        # the simulated cluster is the one in use: the kubeconfig's current-context is not marked here
        assert _context_rows(app) == ["simulated(*)", "alpha", "beta", "gamma"]
        text = _text(app)
        assert "k9py (simulated)" in text and "shop" in text and "me" in text
        await pilot.press("G")
        assert view.table.selected_key() == "gamma"
        await pilot.press("k")
        assert view.table.selected_key() == "beta"
        await pilot.press("g")
        assert view.table.selected_key() == "simulated"
        await pilot.press("j")
        assert view.table.selected_key() == "alpha"
        await pilot.press("slash", "g", "a", "m", "enter")
        assert _context_rows(app) == ["gamma"]
        await pilot.press("escape")
        assert len(_context_rows(app)) == 4
        # the cursor stays on the row it was on; enter on a context nobody answers: said, and nothing changes
        assert view.table.selected_key() == "gamma"
        await pilot.press("enter")
        await until(pilot, lambda: screen.flash_line.message.startswith("context gamma: cannot reach"), timeout=20)
        assert app.backend is simulated and isinstance(screen.view, ContextsView)
        assert "k9py (simulated)" in _text(app)
