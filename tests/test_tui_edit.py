"""`e`: the manifest that declares an object opens in the user's editor at its line, and the save is applied.

The editor here is a script named `vi` (so it is handed `+LINE`, as vi would be): it records how it was called
and edits the file as a user would.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_tui_sources import select, sources_view
from textual.pilot import Pilot
from tui_support import command, dashboard, filter_by, table, until

from k9py.app import MainScreen, sample_manifests

EDITOR = """\
#!{python}
import json, sys, time
from pathlib import Path
args = sys.argv[1:]
Path({record!r}).write_text(json.dumps(args))
time.sleep(2.0)  # a user reading the file: the cluster's clock must not run meanwhile
path = Path(args[-1])
path.write_text(path.read_text().replace("replicas: 3", "replicas: 5"))
"""


@pytest.fixture
def editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """$EDITOR is a `vi` that sets replicas: 3 to 5; yields the file where it records its arguments."""
    record = tmp_path / "editor-args.json"
    script = tmp_path / "bin" / "vi"
    script.parent.mkdir()
    script.write_text(EDITOR.format(python=sys.executable, record=str(record)))
    script.chmod(0o755)
    monkeypatch.delenv("KUBE_EDITOR", raising=False)
    monkeypatch.setenv("EDITOR", str(script))
    yield record


async def command_dp(pilot: Pilot[None], screen: MainScreen) -> None:
    await command(pilot, "dp")
    await until(pilot, lambda: screen.view_name == "deployments")


def copied_samples(tmp_path: Path) -> Path:
    folder = tmp_path / "manifests"
    source = sample_manifests()
    assert source is not None
    shutil.copytree(source, folder)
    return folder


async def test_e_on_a_declared_deployment_edits_its_file_at_its_line_and_the_save_rolls_out(
        tmp_path: Path, editor: Path) -> None:
    folder = copied_samples(tmp_path)
    async with dashboard([folder]) as (app, pilot, screen, cluster):
        await command_dp(pilot, screen)
        await filter_by(pilot, "frontend")
        manifest = app.backend.manifest_of(table(screen).kind, "frontend", "shop")
        assert manifest is not None and manifest.shown == f"shop/frontend.yaml:{manifest.line}"
        before = cluster.now()
        await pilot.press("e")
        args = json.loads(editor.read_text())
        assert args == [f"+{manifest.line}", "--", str(folder / "shop" / "frontend.yaml")]
        # The editor took 2 s of a x50 clock: 100 s, had the clock run; what remains is the app stepping aside and
        # back (a few tenths of a second on a loaded machine).
        assert cluster.now() - before < 50
        assert not app.backend.paused  # and it runs again
        assert "replicas: 5" in (folder / "shop" / "frontend.yaml").read_text()
        await until(pilot, lambda: (cluster.get("Deployment", "frontend", "shop") or {})["spec"]["replicas"] == 5)
        await until(pilot, lambda: screen.view_title.strip() == "deployments(all)[1] </frontend>")


async def test_e_on_an_object_no_folder_declares_says_what_e_edits(tmp_path: Path, editor: Path) -> None:
    async with dashboard() as (_app, pilot, screen, _cluster):
        await until(pilot, lambda: table(screen).row_count > 0)
        await filter_by(pilot, "frontend")
        name = table(screen).selected()["metadata"]["name"]  # type: ignore[index]
        await pilot.press("e")
        assert screen.flash_line.message == (f"pod/{name} is not declared in a watched folder: e edits manifests, "
                                             "not live objects (shift-j jumps to its owner)")
        assert not editor.exists()


async def test_e_with_an_editor_that_cannot_start_says_how_to_choose_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBE_EDITOR", raising=False)
    monkeypatch.setenv("EDITOR", str(tmp_path / "no-such-editor"))
    folder = copied_samples(tmp_path)
    async with dashboard([folder]) as (app, pilot, screen, _cluster):
        await command_dp(pilot, screen)
        await filter_by(pilot, "redis")
        await pilot.press("e")
        assert screen.flash_line.level == "error"
        assert screen.flash_line.message.startswith(f"cannot start the editor '{tmp_path / 'no-such-editor'}' (")
        assert screen.flash_line.message.endswith("): set $KUBE_EDITOR or $EDITOR")
        assert not app.backend.paused


async def test_e_on_a_manifest_error_in_the_sources_view_opens_the_file_at_the_error(
        tmp_path: Path, editor: Path) -> None:
    async with sources_view(tmp_path) as (_app, pilot, screen, backend, folder):
        error = backend.sources[0].all_errors[0]
        await select(pilot, screen, "")  # the error row: no object name
        await pilot.press("e")
        assert json.loads(editor.read_text()) == [f"+{error.line}", "--", str(folder / "broken.yaml")]


async def test_e_is_gone_in_read_only_mode(tmp_path: Path, editor: Path) -> None:
    async with dashboard(readonly=True) as (_app, pilot, screen, _cluster):
        await until(pilot, lambda: table(screen).row_count > 0)
        await pilot.press("e")
        assert screen.flash_line.message == "<e> edit is disabled: read-only mode"
        assert not editor.exists()
