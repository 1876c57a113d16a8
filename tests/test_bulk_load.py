"""Reading a large folder fast (issue 9 §3): one stat a file, and a helper process reading alongside this one for
thousands of files. Both must give exactly what the plain, one-file-at-a-time reading gives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine.cluster import Cluster
from engine.manifests import bulk_read
from engine.manifests.bulk_read import load_files
from engine.manifests.loader import LoadError, discover, discover_stats, list_files, load_file
from engine.manifests.source import ManifestSource

GOOD = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\ndata:\n  k: v{i}\n"


def tree(root: Path) -> None:
    """Names whose order differs between a plain string sort and Path's part-by-part sort, files beside folders,
    and every kind of file the loader must report on."""
    for folder in ("a", "a-b", "a/x", "a.b", "b"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(["a/1.yaml", "a/x/2.yaml", "a/z.yaml", "a-b/3.yaml", "a.b/4.yml", "b/5.json", "0.yaml",
                              "c.yaml"]):
        (root / name).write_text(GOOD.format(i=i))
    (root / "a" / "bad.yaml").write_text("a: [\n")
    (root / "a" / "dup.yaml").write_text("a: 1\na: 2\n")
    (root / "b" / "latin1.yaml").write_bytes(b"a: caf\xe9\n")
    (root / "b" / "Chart.yaml").write_text("name: x\n")
    (root / "b" / ".hidden.yaml").write_text(GOOD.format(i=99))
    (root / "b" / "notes.txt").write_text("not a manifest")
    os.symlink(root / "a" / "1.yaml", root / "b" / "link.yaml")
    os.symlink(root / "gone.yaml", root / "b" / "dangling.yaml")
    os.mkfifo(root / "b" / "pipe.yaml")


@pytest.mark.parametrize("relative", [False, True])
def test_discover_stats_lists_what_discover_lists_in_the_same_order(tmp_path, monkeypatch, relative):
    tree(tmp_path)
    root: Path = tmp_path
    if relative:
        monkeypatch.chdir(tmp_path)
        root = Path(".")
    files, errors = discover(root)
    found, found_errors = discover_stats(root)
    assert [name for name, _ in found] == [str(f) for f in files] == [str(f) for f in sorted(files)]
    assert found_errors == errors
    assert sorted(Path(e.file).name for e in errors) == ["dangling.yaml", "pipe.yaml"]
    assert [name for name, _ in found if "a-b" in name or name.startswith(("a/", f"{tmp_path}/a/"))]
    for name, info in found:
        assert (info.st_ino, info.st_size) == (os.stat(name).st_ino, os.stat(name).st_size)
    single, _ = discover_stats(root / "c.yaml")
    assert [name for name, _ in single] == [str(root / "c.yaml")]


def test_load_file_with_a_stat_reads_as_without_one(tmp_path):
    tree(tmp_path)
    for name, info in discover_stats(tmp_path)[0]:
        assert load_file(name, info=info) == load_file(name) == load_file(Path(name))


def test_a_short_read_of_the_whole_file_is_the_end_of_it(tmp_path):
    (tmp_path / "a.yaml").write_text(GOOD.format(i=1))
    (tmp_path / "empty.yaml").write_text("")
    (tmp_path / "big.yaml").write_text("".join(f"k{i}: {'v' * 60}\n" for i in range(20_000)))  # > one 64 KiB read
    for name in ("a.yaml", "empty.yaml", "big.yaml"):
        assert load_file(tmp_path / name)[1] == []
    assert len(load_file(tmp_path / "big.yaml")[0][0].obj) == 20_000


@pytest.fixture
def many(tmp_path, monkeypatch):
    """A folder of a few hundred files, read with the helper process as a large one would be."""
    monkeypatch.setattr(bulk_read, "PARALLEL_MIN_FILES", 50)
    monkeypatch.setattr(bulk_read, "_CHUNK_FILES", 7)
    tree(tmp_path)
    for i in range(300):
        (tmp_path / f"m{i:03d}.yaml").write_text(GOOD.format(i=f"m{i}") + ("---\nkind: [\n" if i % 50 == 7 else ""))
    started: list[bulk_read._Helper] = []
    real_start = bulk_read._Helper.start.__func__  # type: ignore[attr-defined]

    def start(cls: type[bulk_read._Helper]) -> bulk_read._Helper | None:
        helper = real_start(cls)
        if helper is not None:
            started.append(helper)
        return helper

    monkeypatch.setattr(bulk_read._Helper, "start", classmethod(start))
    return tmp_path, started


def plain(loaded: list) -> list:
    """What `load_files` gives, without the stats (checked on their own)."""
    return [None if result is None else result[:2] for result in loaded]


def same_file(stats: list) -> bool:
    """Each (name, stat) pair's stat is the file's."""
    return all((info.st_ino, info.st_size, info.st_mtime_ns) == (os.stat(name).st_ino, os.stat(name).st_size,
                                                                   os.stat(name).st_mtime_ns) for name, info in stats)


LISTINGS = [discover_stats, list_files]


@pytest.mark.parametrize("listing", LISTINGS)
def test_a_large_load_reads_with_a_helper_and_gives_the_same_results(many, listing):
    root, started = many
    files, _ = listing(root)
    serial = [load_file(name) for name, _ in files]
    loaded = load_files(files)
    assert plain(loaded) == serial
    assert same_file([(name, result[2]) for (name, _), result in zip(files, loaded, strict=True) if not result[1]])
    [helper] = started
    assert helper.process.poll() is not None  # stopped, and reaped
    assert any(errors for _, errors in serial) and any(docs for docs, _ in serial)


@pytest.mark.parametrize("listing", LISTINGS)
def test_a_helper_that_answers_everything_gives_the_same_results(many, monkeypatch, listing):
    root, _ = many
    files, _ = listing(root)
    serial = [load_file(name) for name, _ in files]
    real_send = bulk_read._Helper.send
    answered = []

    def send(self: bulk_read._Helper, chunk: int, paths: list) -> bool:
        sent = real_send(self, chunk, paths)
        answer = self.answers.get(timeout=30)  # wait for it: the helper reads this chunk, not this process
        self.answers.put(answer)
        answered.append(chunk)
        return sent

    monkeypatch.setattr(bulk_read._Helper, "send", send)
    loaded = load_files(files)
    assert plain(loaded) == serial
    assert answered
    assert all(result[2] is not None for result in loaded if not result[1])


@pytest.mark.parametrize("code", ["import sys; sys.exit(3)",
                                  "import sys, time; time.sleep(0.2); sys.stdout.buffer.write(b'garbage' * 9)",
                                  "import sys; sys.stdin.read()"])
def test_a_helper_that_fails_or_never_answers_changes_nothing(many, monkeypatch, code):
    root, started = many
    monkeypatch.setattr(bulk_read, "_HELPER_CODE", code)
    files, _ = list_files(root)
    assert plain(load_files(files)) == [load_file(name) for name, _ in files]
    assert all(helper.process.poll() is not None for helper in started)


def test_no_helper_at_all_changes_nothing(many, monkeypatch):
    root, _ = many
    monkeypatch.setattr(bulk_read.sys, "executable", "")
    files, _ = discover_stats(root)
    assert plain(load_files(files)) == [load_file(name, info=info) for name, info in files]


def test_list_files_lists_what_discover_lists_without_asking_regular_files_again(tmp_path):
    tree(tmp_path)
    found, errors = discover_stats(tmp_path)
    listed, listed_errors = list_files(tmp_path)
    assert [name for name, _ in listed] == [name for name, _ in found] and listed_errors == errors
    assert [Path(name).name for name, info in listed if info is not None] == ["link.yaml"]  # a link is looked at


def test_a_listed_file_that_is_gone_or_changed_kind_when_opened_is_left_out(tmp_path):
    for name in ("gone", "folder", "link", "pipe", "kept"):
        (tmp_path / f"{name}.yaml").write_text(GOOD.format(i=name))
    listed, _ = list_files(tmp_path)
    assert [info for _, info in listed] == [None] * 5
    (tmp_path / "gone.yaml").unlink()
    (tmp_path / "folder.yaml").unlink()
    (tmp_path / "folder.yaml").mkdir()
    (tmp_path / "link.yaml").unlink()
    os.symlink(tmp_path / "kept.yaml", tmp_path / "link.yaml")
    (tmp_path / "pipe.yaml").unlink()
    os.mkfifo(tmp_path / "pipe.yaml")
    loaded = dict(zip([Path(name).name for name, _ in listed], load_files(listed), strict=True))
    assert loaded["gone.yaml"] is None and loaded["folder.yaml"] is None and loaded["link.yaml"] is None
    assert loaded["pipe.yaml"][:2] == ([], [LoadError(str(tmp_path / "pipe.yaml"), 0, (
        "not a regular file (a named pipe): only regular files are read"))])
    assert [d.obj["metadata"]["name"] for d in loaded["kept.yaml"][0]] == ["cm-kept"]


async def test_a_large_first_sync_applies_what_a_small_one_would(many, monkeypatch):
    root, started = many

    async def first_sync() -> tuple[set[str], list[tuple[str, int, str]]]:
        async with Cluster(nodes=1) as cluster:
            source = ManifestSource(cluster.api, root)
            source.sync()
            names = {obj["metadata"]["name"] for obj in cluster.store.iter("configmaps", "default")}
            assert source.sync().files == ()  # nothing changed: nothing read again
            return names, [(e.file, e.line, e.message) for e in source.all_errors]

    names, errors = await first_sync()
    assert started  # the helper was used
    monkeypatch.setattr(bulk_read, "PARALLEL_MIN_FILES", 10**9)
    assert await first_sync() == (names, errors)
    # the six files with a broken document apply nothing; kube-root-ca.crt is the root CA publisher's
    assert len(names) == 8 + 294 + 1
    assert {Path(file).name for file, _, _ in errors} >= {"bad.yaml", "dup.yaml", "latin1.yaml", "Chart.yaml",
                                                          "m007.yaml", "dangling.yaml", "pipe.yaml", "link.yaml"}


@pytest.mark.parametrize("helper", [False, True])
async def test_the_stats_of_a_first_read_are_those_later_syncs_compare_with(many, monkeypatch, helper):
    root, _ = many
    if not helper:
        monkeypatch.setattr(bulk_read, "PARALLEL_MIN_FILES", 10**9)
    from engine.manifests import source as source_module

    real_load_files = source_module.load_files
    read: list[str] = []

    def counting(files: list) -> list:
        read.extend(name for name, _ in files)
        return real_load_files(files)

    monkeypatch.setattr(source_module, "load_files", counting)
    async with Cluster(nodes=1) as cluster:
        source = ManifestSource(cluster.api, root)
        source.sync()
        assert len(read) > 300
        read.clear()
        source.sync()
        assert read == []  # nothing changed, and nothing was read again
        (root / "m010.yaml").write_text(GOOD.format(i="changed"))
        source.sync()
        assert [Path(name).name for name in read] == ["m010.yaml"]
        assert cluster.store.get("configmaps", "default", "cm-changed") is not None


@pytest.mark.parametrize("enabled", [True, False])
async def test_a_large_sync_pauses_the_collector_and_leaves_it_as_it_was(tmp_path, monkeypatch, enabled):
    import gc

    from engine.manifests import source as source_module

    for i in range(5):
        (tmp_path / f"c{i}.yaml").write_text(GOOD.format(i=i))
    seen: list[bool] = []
    real_read = ManifestSource._read_changed

    def reading(self: ManifestSource, *args: object) -> list[str]:
        seen.append(gc.isenabled())
        return real_read(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(ManifestSource, "_read_changed", reading)
    async with Cluster(nodes=1) as cluster:
        source = ManifestSource(cluster.api, tmp_path)
        was = gc.isenabled()
        try:
            (gc.enable if enabled else gc.disable)()
            monkeypatch.setattr(source_module, "BULK_FILES", 6)
            source.sync()  # 5 files: not a large sync
            monkeypatch.setattr(source_module, "BULK_FILES", 5)
            (tmp_path / "c0.yaml").write_text(GOOD.format(i="new"))
            source.sync()
            assert gc.isenabled() is enabled
        finally:
            (gc.enable if was else gc.disable)()
    assert seen == [enabled, False]
    assert cluster.store.get("configmaps", "default", "cm-new") is not None
