"""The `:sources` view: declared objects with sync/health, manifest errors, re-sync and write-back keys."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from manifests import deployment_yaml
from textual.pilot import Pilot
from tui_support import CONFIRM, command, dashboard, until

from engine import Cluster
from k9py.app import K9App, MainScreen
from k9py.backend import EngineBackend
from k9py.views.sources import SourcesView


def write_folder(root: Path) -> Path:
    folder = root / "manifests"
    folder.mkdir()
    (folder / "api.yaml").write_text(deployment_yaml("api"))
    (folder / "web.yaml").write_text(deployment_yaml("web", 2))
    (folder / "broken.yaml").write_text("apiVersion: v1\nkind: Deployment\nmetadata: [unclosed\n")
    return folder


@asynccontextmanager
async def sources_view(tmp_path: Path, readonly: bool = False) -> AsyncIterator[
        tuple[K9App, Pilot[None], MainScreen, EngineBackend, Path]]:
    folder = write_folder(tmp_path)
    async with dashboard([folder], readonly=readonly) as (app, pilot, screen, _cluster):
        backend = app.backend
        assert isinstance(backend, EngineBackend)
        await command(pilot, "src")
        await until(pilot, lambda: isinstance(screen.view, SourcesView))
        yield app, pilot, screen, backend, folder


def view(screen: MainScreen) -> SourcesView:
    assert isinstance(screen.view, SourcesView)
    return screen.view


def row(screen: MainScreen, name: str) -> tuple[str, ...]:
    found = [r for r in view(screen).rows.values() if r.name == name]
    assert len(found) == 1
    r = found[0]
    return r.location, r.kind, r.namespace, r.name, r.sync, r.health


async def select(pilot: Pilot[None], screen: MainScreen, name: str) -> None:
    table = view(screen).table
    keys = [k for k, r in view(screen).rows.items() if r.name == name]
    table.move_cursor(row=table.index_of(keys[0]) or 0)
    await pilot.pause()


async def test_lists_objects_and_errors_then_resyncs_and_writes_back(tmp_path: Path) -> None:
    async with sources_view(tmp_path) as (_app, pilot, screen, backend, folder):
        assert screen.crumbs.labels == ["sources"]
        await until(pilot, lambda: all(r.health == "Healthy" for r in view(screen).rows.values() if not r.is_error),
                    timeout=10)
        assert row(screen, "api") == ("api.yaml:1", "Deployment", "default", "api", "Synced", "Healthy")
        assert row(screen, "web") == ("web.yaml:1", "Deployment", "default", "web", "Synced", "Healthy")
        errors = [r for r in view(screen).rows.values() if r.is_error]
        error = backend.sources[0].all_errors[0]  # the parser reports where it gave up: line 3 or 4
        assert len(errors) == 1 and errors[0].location == f"broken.yaml:{error.line}:{error.column}"
        assert error.line in (3, 4) and "YAML" in errors[0].message and errors[0].sync == "Error"
        assert screen.view_title.strip() == "sources[3]"
        error_colour = screen.skin.status("error")
        assert view(screen).table.row(errors[0].key).colour == error_colour  # type: ignore[union-attr]

        # An imperative scale (as `kubectl scale` records it) is drift: the row turns OutOfSync (in the pending
        # colour) within a refresh.
        await backend.cluster.scale("Deployment", "web", 4, "default", manager="kubectl")
        await until(pilot, lambda: row(screen, "web")[4] == "OutOfSync")
        web_key = next(k for k, r in view(screen).rows.items() if r.name == "web")
        assert view(screen).table.row(web_key).colour == screen.skin.status("pending")  # type: ignore[union-attr]

        await select(pilot, screen, "web")
        await pilot.press("d")
        await until(pilot, lambda: screen.view_name == "drift")
        await until(pilot, lambda: 'spec.replicas: 2 → 4 (live, managed by "kubectl" with subresource "scale" '
                                   'using apps/v1)' in screen.view.content)  # type: ignore[union-attr]
        assert "Name:" in screen.view.content  # type: ignore[union-attr]  # the describe text follows
        await pilot.press("escape")
        await until(pilot, lambda: screen.view_name == "sources")

        await select(pilot, screen, "web")
        await pilot.press("S", *CONFIRM)  # it says what changes back, and asks (test_tui_k9s_habits)
        await until(pilot, lambda: row(screen, "web")[4] == "Synced")
        live = backend.get(backend.resolve("deployments"), "web", "default")
        assert live is not None and live["spec"]["replicas"] == 2

        # Write-back: only the replicas value changes in the file.
        await backend.cluster.scale("Deployment", "web", 3, "default")
        await until(pilot, lambda: row(screen, "web")[4] == "OutOfSync")
        before = (folder / "web.yaml").read_text()
        await select(pilot, screen, "web")
        await pilot.press("w", *CONFIRM)
        await until(pilot, lambda: screen.flash_line.message.startswith("wrote"))
        assert screen.flash_line.message == "wrote replicas back to web.yaml"
        assert (folder / "web.yaml").read_text() == before.replace("replicas: 2", "replicas: 3")
        await until(pilot, lambda: row(screen, "web")[4] == "Synced")

        # ctrl-s re-syncs everything OutOfSync.
        await backend.cluster.scale("Deployment", "api", 2, "default")
        await until(pilot, lambda: row(screen, "api")[4] == "OutOfSync")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: row(screen, "api")[4] == "Synced")
        assert screen.flash_line.message == "re-synced 1 out-of-sync object"

        # An error row has no object to act on.
        await select(pilot, screen, "")
        await pilot.press("S")
        assert "manifest error" in screen.flash_line.message
        assert screen.flash_line.level == "warn"


async def test_readonly_hides_resync_and_write_back(tmp_path: Path) -> None:
    async with sources_view(tmp_path, readonly=True) as (_app, pilot, screen, backend, folder):
        assert "<d> Drift/Describe" in screen.hints.text
        for hidden in ("shift-s", "ctrl-s", "<w>"):
            assert hidden not in screen.hints.text
        await until(pilot, lambda: view(screen).row_count == 3)
        await backend.cluster.scale("Deployment", "web", 4, "default")
        await until(pilot, lambda: row(screen, "web")[4] == "OutOfSync")
        before = (folder / "web.yaml").read_text()
        await select(pilot, screen, "web")
        await pilot.press("w")
        assert "read-only" in screen.flash_line.message
        await pilot.press("S")
        assert "read-only" in screen.flash_line.message
        assert row(screen, "web")[4] == "OutOfSync"
        assert (folder / "web.yaml").read_text() == before


# A typo'd field name: strict decoding refuses the document at the field, line 6 column 3.
WORKER = deployment_yaml("worker").replace("replicas:", "replica:")


async def test_a_save_flashes_its_error_where_the_sources_view_places_it(tmp_path: Path) -> None:
    async with sources_view(tmp_path) as (_app, pilot, screen, _backend, folder):
        (folder / "worker.yaml").write_text(WORKER)
        await until(pilot, lambda: "worker.yaml" in screen.flash_line.message, timeout=10)
        assert screen.flash_line.level == "error"
        assert screen.flash_line.message.startswith("manifest error: worker.yaml:6:3: ")  # not manifests/worker.yaml
        await until(pilot, lambda: any(r.location.startswith("worker.yaml") for r in view(screen).rows.values()))
        location = next(r.location for r in view(screen).rows.values() if r.location.startswith("worker.yaml"))
        assert screen.flash_line.message.startswith(f"manifest error: {location}: ")


async def test_with_several_folders_the_flash_names_the_folder_too(tmp_path: Path) -> None:
    """As the sources view does: `folder/file:line:column` once more than one folder is watched."""
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    backend = EngineBackend(Cluster(clock="virtual"))
    flashes: list[tuple[str, str]] = []
    await backend.start()
    try:
        assert await backend.load([first, second]) == []
        backend.on_sync = lambda message, level: flashes.append((message, level))
        (second / "worker.yaml").write_text(WORKER)
        backend.sources[1].sync()
        assert len(flashes) == 1
        message, level = flashes[0]
        assert level == "error" and message.startswith("manifest error: second/worker.yaml:6:3: ")
        assert [r.location for r in backend.source_rows() if r.is_error] == ["second/worker.yaml:6:3"]
        shutil.rmtree(second)
        backend.sources[1].sync()  # an error about the folder itself names the folder, as it was given
        assert flashes[-1][0].startswith(f"manifest error: {second}:0: watched folder is missing")
    finally:
        await backend.stop()


async def test_the_flash_line_names_a_broken_save_at_its_line_and_a_prune_when_it_happens(tmp_path: Path) -> None:
    async with sources_view(tmp_path) as (_app, pilot, screen, _backend, folder):
        (folder / "web.yaml").write_text(deployment_yaml("web", 2).replace("replicas: 2", "replicas: [2"))
        await until(pilot, lambda: screen.flash_line.message.startswith("manifest error: web.yaml:"), timeout=8)
        assert "YAML syntax error" in screen.flash_line.message
        (folder / "api.yaml").unlink()
        await until(pilot, lambda: "1 to prune unless declared again within 2s" in screen.flash_line.message,
                    timeout=8)
        await until(pilot, lambda: screen.flash_line.message == "1 pruned: deployment/api", timeout=8)
