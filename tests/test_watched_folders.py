"""Every save is applied, whatever the folder goes through: started the way the CLI starts it (a relative path, a
single file), saved the way editors save (in place, by rename, truncate then write), deleted and re-cloned,
swapped in by rename, broken by a symbolic link loop or a FIFO, or by a bug inside a sync."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from manifests import deployment_yaml

from engine.cluster import Cluster
from engine.manifests import source as source_module
from engine.manifests.source import ManifestSource


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    async with Cluster(nodes=2) as c:
        yield c


async def eventually(check: Callable[[], object], seconds: float = 8.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)
    assert check()


def replicas(cluster: Cluster, name: str = "web") -> int | None:
    obj = cluster.get("deploy", name)
    return obj["spec"]["replicas"] if obj else None


def save_by_rename(path: Path, text: str) -> None:
    """How vim (backupcopy=no), VS Code and most tools save: a new file renamed over the old one."""
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(text)
    os.replace(temp, path)


@pytest.fixture
async def watching(cluster: Cluster):
    """Start watching a source as the CLI does; stop it at the end of the test."""
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []

    async def start(root: str | Path) -> ManifestSource:
        source = ManifestSource(cluster.api, root)
        tasks.append(asyncio.create_task(source.watch(stop)))
        await asyncio.sleep(0.7)  # the first sync, and the OS watch in place
        return source

    yield start
    stop.set()
    for task in tasks:
        await asyncio.wait_for(task, 5)
        assert task.exception() is None


async def test_a_relative_folder_applies_every_save(tmp_path, cluster, watching, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "manifests" / "shop").mkdir(parents=True)
    path = Path("manifests/shop/web.yaml")
    path.write_text(deployment_yaml("web", replicas=3))
    source = await watching("manifests")
    assert replicas(cluster) == 3
    for count in (5, 2, 4):
        path.write_text(deployment_yaml("web", replicas=count))
        await eventually(lambda count=count: replicas(cluster) == count)
    assert source.all_errors == []
    assert source.inventory[("Deployment", "default", "web")].file == "manifests/shop/web.yaml"


async def test_a_single_file_source_applies_saves_by_rename_and_by_truncation(tmp_path, cluster, watching,
                                                                             monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = Path("web.yaml")
    path.write_text(deployment_yaml("web", replicas=1))
    await watching("web.yaml")
    uid = cluster.get("deploy", "web")["metadata"]["uid"]
    for count in (2, 3):
        save_by_rename(path, deployment_yaml("web", replicas=count))
        await eventually(lambda count=count: replicas(cluster) == count)
    with path.open("w") as file:  # truncate, then write
        file.write(deployment_yaml("web", replicas=4))
    await eventually(lambda: replicas(cluster) == 4)
    (tmp_path / "other.yaml").write_text(deployment_yaml("other"))  # beside it, not part of the source
    await asyncio.sleep(0.7)
    assert cluster.get("deploy", "other") is None
    assert cluster.get("deploy", "web")["metadata"]["uid"] == uid


async def test_a_deleted_and_recloned_folder_is_watched_again(tmp_path, cluster, watching, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("repo").mkdir()
    Path("repo/web.yaml").write_text(deployment_yaml("web", replicas=1))
    source = await watching("repo")
    uid = cluster.get("deploy", "web")["metadata"]["uid"]
    shutil.rmtree("repo")
    await eventually(lambda: any("watched folder is missing" in e.message for e in source.all_errors))
    Path("repo").mkdir()
    Path("repo/web.yaml").write_text(deployment_yaml("web", replicas=2))
    await eventually(lambda: replicas(cluster) == 2)
    await eventually(lambda: source.all_errors == [])
    Path("repo/web.yaml").write_text(deployment_yaml("web", replicas=3))  # the new folder is watched too
    await eventually(lambda: replicas(cluster) == 3)
    assert cluster.get("deploy", "web")["metadata"]["uid"] == uid  # nothing was pruned while it was gone


async def test_a_folder_swapped_in_by_rename_is_watched(tmp_path, cluster, watching, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name, count in (("live", 1), ("next", 5)):
        Path(name).mkdir()
        Path(name, "web.yaml").write_text(deployment_yaml("web", replicas=count))
    await watching("live")
    os.rename("live", "old")
    os.rename("next", "live")
    await eventually(lambda: replicas(cluster) == 5)
    Path("live/web.yaml").write_text(deployment_yaml("web", replicas=6))
    await eventually(lambda: replicas(cluster) == 6)
    Path("old/web.yaml").write_text(deployment_yaml("web", replicas=9))  # the folder that was swapped out
    await asyncio.sleep(0.7)
    assert replicas(cluster) == 6


async def test_a_failing_sync_is_reported_and_the_watch_goes_on(tmp_path, cluster, watching, monkeypatch):
    (tmp_path / "web.yaml").write_text(deployment_yaml("web", replicas=1))
    source = await watching(tmp_path)
    real_discover = source_module.discover
    monkeypatch.setattr(source_module, "discover", lambda root: 1 / 0)
    (tmp_path / "web.yaml").write_text(deployment_yaml("web", replicas=2))
    await eventually(lambda: any("ZeroDivisionError" in e.message for e in source.all_errors))
    [error] = source.all_errors
    assert error.message.startswith("k9py could not sync this folder, so nothing was pruned")
    assert replicas(cluster) == 1
    monkeypatch.setattr(source_module, "discover", real_discover)
    (tmp_path / "web.yaml").write_text(deployment_yaml("web", replicas=3))
    await eventually(lambda: replicas(cluster) == 3)
    assert source.all_errors == []


async def test_a_symlink_loop_is_an_error_and_the_rest_still_applies(tmp_path, cluster, watching):
    (tmp_path / "web.yaml").write_text(deployment_yaml("web", replicas=1))
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    source = await watching(tmp_path)
    assert replicas(cluster) == 1
    assert {Path(e.file).name for e in source.all_errors} == {"a.yaml", "b.yaml"}
    (tmp_path / "web.yaml").write_text(deployment_yaml("web", replicas=2))
    await eventually(lambda: replicas(cluster) == 2)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_check_does_not_hang_on_a_fifo_or_a_dangling_link(tmp_path):
    (tmp_path / "web.yaml").write_text(deployment_yaml("web"))
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
    result = subprocess.run([sys.executable, "-m", "k9py.cli", "check", str(tmp_path)], capture_output=True,
                            text=True, timeout=20)
    assert "pipe.yaml" in result.stdout and "gone.yaml" in result.stdout
    assert "Deployment   default     web" in result.stdout


def test_check_never_prints_a_file_name_raw(tmp_path):
    (tmp_path / "evil\x1b[31m.yaml").write_text("kind: [")
    result = subprocess.run([sys.executable, "-m", "k9py.cli", "check", str(tmp_path)], capture_output=True,
                            text=True, timeout=20)
    assert "\x1b" not in result.stdout
    assert "evil\\x1b[31m.yaml:" in result.stdout
