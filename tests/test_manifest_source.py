"""A watched folder is the desired state: apply, isolate bad documents, prune only what it applied."""

import asyncio
import shutil

import pytest
from manifests import deployment_yaml as deployment

from engine.cluster import Cluster
from engine.manifests.source import PRUNE_QUIET_SECONDS, ManifestSource


class WallClock:
    """A hand-moved stand-in for time.monotonic: how long a file has stayed as it is."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
async def cluster():
    async with Cluster(nodes=2) as c:
        yield c


ADDON_NAMESPACES = ("kube-system", "ingress-nginx")


def names(cluster, kind="deploy", namespace=None):
    """Names of `kind`; the add-ons' objects (CoreDNS, the ingress-nginx controller) are left out of an
    all-namespaces list."""
    return sorted(o["metadata"]["name"] for o in cluster.list(kind, namespace)
                  if namespace is not None or o["metadata"].get("namespace") not in ADDON_NAMESPACES)


async def test_first_sync_applies_namespaces_first_and_everything_else(tmp_path, cluster):
    (tmp_path / "a-app.yaml").write_text(deployment("web", namespace="shop"))
    (tmp_path / "z-ns.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n")
    source = ManifestSource(cluster.api, tmp_path)
    record = source.sync()
    assert source.all_errors == []
    assert set(record.created) == {("Namespace", "", "shop"), ("Deployment", "shop", "web")}
    assert names(cluster, "deploy", "shop") == ["web"]


async def test_editing_a_file_updates_only_what_changed(tmp_path, cluster):
    path = tmp_path / "web.yaml"
    path.write_text(deployment("web") + "---\n" + deployment("api"))
    source = ManifestSource(cluster.api, tmp_path)
    source.sync()
    api_rv = cluster.get("deploy", "api")["metadata"]["resourceVersion"]
    path.write_text(deployment("web", replicas=3) + "---\n" + deployment("api"))
    record = source.sync()
    assert record.updated == (("Deployment", "default", "web"),)
    assert cluster.get("deploy", "web")["spec"]["replicas"] == 3
    assert cluster.get("deploy", "api")["metadata"]["resourceVersion"] == api_rv
    assert source.sync().files == ()  # nothing changed: nothing re-read


async def test_an_invalid_document_keeps_its_last_good_version_and_shows_its_error(tmp_path, cluster):
    path = tmp_path / "web.yaml"
    path.write_text(deployment("web", replicas=2))
    source = ManifestSource(cluster.api, tmp_path)
    source.sync()
    path.write_text(deployment("web", replicas=2).replace("replicas: 2", 'replicas: "two"'))
    source.sync()
    assert cluster.get("deploy", "web")["spec"]["replicas"] == 2  # still running as before
    [error] = source.all_errors
    assert (error.file, error.line) == (str(path), 6)
    assert "cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32" in error.message
    path.write_text(deployment("web", replicas=4))
    source.sync()
    assert source.all_errors == []
    assert cluster.get("deploy", "web")["spec"]["replicas"] == 4


async def test_a_file_that_stops_parsing_keeps_everything_it_declared(tmp_path, cluster):
    path = tmp_path / "both.yaml"
    path.write_text(deployment("web") + "---\n" + deployment("api"))
    source = ManifestSource(cluster.api, tmp_path)
    source.sync()
    path.write_text("apiVersion: apps/v1\nkind: [broken\n")
    source.sync()
    assert names(cluster) == ["api", "web"]
    assert source.all_errors[0].message.startswith("YAML syntax error")


async def test_removing_a_document_prunes_only_objects_this_folder_applied(tmp_path, cluster):
    (tmp_path / "web.yaml").write_text(deployment("web"))
    (tmp_path / "api.yaml").write_text(deployment("api"))
    wall = WallClock()
    source = ManifestSource(cluster.api, tmp_path, monotonic=wall)
    source.sync()
    await cluster.apply(deployment("manual"))  # made by hand: never this folder's to delete
    await cluster.run_for(10)
    (tmp_path / "api.yaml").unlink()
    record = source.sync()
    assert record.pruned == () and record.pending == (("Deployment", "default", "api"),)
    wall.advance(PRUNE_QUIET_SECONDS)
    record = source.sync()
    assert record.pruned == (("Deployment", "default", "api"),)
    assert names(cluster) == ["manual", "web"]
    await cluster.run_for(60)
    assert not [p for p in cluster.list("pods") if p["metadata"]["name"].startswith("api-")]
    assert [p for p in cluster.list("pods") if p["metadata"]["name"].startswith("manual-")]


async def test_moving_a_document_to_another_file_does_not_recreate_it(tmp_path, cluster):
    (tmp_path / "old.yaml").write_text(deployment("web"))
    source = ManifestSource(cluster.api, tmp_path)
    source.sync()
    uid = cluster.get("deploy", "web")["metadata"]["uid"]
    (tmp_path / "old.yaml").rename(tmp_path / "new.yaml")
    record = source.sync()
    assert record.pruned == () and record.created == ()
    assert cluster.get("deploy", "web")["metadata"]["uid"] == uid
    assert source.inventory[("Deployment", "default", "web")].file == str(tmp_path / "new.yaml")


async def test_a_vanished_folder_prunes_nothing(tmp_path, cluster):
    folder = tmp_path / "deploy"
    folder.mkdir()
    (folder / "web.yaml").write_text(deployment("web"))
    source = ManifestSource(cluster.api, folder)
    source.sync()
    shutil.rmtree(folder)
    source.sync()
    assert names(cluster) == ["web"]
    assert "watched folder is missing" in source.all_errors[0].message


async def test_the_same_object_declared_twice_names_both_places(tmp_path, cluster):
    (tmp_path / "a.yaml").write_text(deployment("web", replicas=1))
    (tmp_path / "b.yaml").write_text("# a copy\n" + deployment("web", replicas=5))
    source = ManifestSource(cluster.api, tmp_path)
    source.sync()
    [error] = source.all_errors
    assert error.file == str(tmp_path / "b.yaml")
    assert error.message == (f"Deployment default/web is declared twice: here and at {tmp_path / 'a.yaml'}:1; "
                             "only the first is applied")
    assert cluster.get("deploy", "web")["spec"]["replicas"] == 1


async def test_saving_a_file_is_applied_by_the_watcher(tmp_path, cluster):
    path = tmp_path / "web.yaml"
    path.write_text(deployment("web", replicas=1))
    source = ManifestSource(cluster.api, tmp_path)
    stop = asyncio.Event()
    task = asyncio.create_task(source.watch(stop))
    try:
        for _ in range(100):
            if cluster.get("deploy", "web"):
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)  # let the watcher settle before the edit
        path.write_text(deployment("web", replicas=4))
        for _ in range(200):
            if cluster.get("deploy", "web")["spec"]["replicas"] == 4:
                break
            await asyncio.sleep(0.02)
        assert cluster.get("deploy", "web")["spec"]["replicas"] == 4
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)


async def test_imperative_changes_are_drift_shown_not_reverted_by_default(tmp_path, cluster):
    (tmp_path / "web.yaml").write_text(deployment("web", replicas=2))
    source = ManifestSource(cluster.api, tmp_path)
    source.sync()
    await cluster.run_for(30)
    key = ("Deployment", "default", "web")
    assert source.sync_statuses()[key] == "Synced"  # defaults and status are not drift
    await cluster.scale("deploy", "web", 5)
    await cluster.run_for(30)
    assert source.sync_statuses()[key] == "OutOfSync"
    [change] = source.drift(key)
    assert (change.path, change.declared, change.live) == ("spec.replicas", 2, 5)
    assert cluster.get("deploy", "web")["spec"]["replicas"] == 5
    record = source.resync()
    assert record.updated == (key,)
    assert cluster.get("deploy", "web")["spec"]["replicas"] == 2
    assert source.sync_statuses()[key] == "Synced"


async def test_self_heal_reverts_imperative_changes_after_a_delay(tmp_path, cluster):
    (tmp_path / "web.yaml").write_text(deployment("web", replicas=2))
    source = ManifestSource(cluster.api, tmp_path, self_heal=True)
    source.sync()
    await cluster.run_for(30)
    await cluster.scale("deploy", "web", 7)
    await cluster.run_for(1)
    assert cluster.get("deploy", "web")["spec"]["replicas"] == 7
    await cluster.run_for(10)
    assert cluster.get("deploy", "web")["spec"]["replicas"] == 2
    await cluster.delete("deploy", "web")
    await cluster.run_for(10)
    assert cluster.get("deploy", "web")["spec"]["replicas"] == 2  # re-created


async def test_write_back_carries_live_replicas_and_image_into_the_file_and_nothing_else(tmp_path, cluster):
    original = ("# The web tier.\n" + deployment("web", replicas=2).replace("replicas: 2", "replicas: 2  # HPA-free")
                + "---\n# another one\n" + deployment("api"))
    path = tmp_path / "web.yaml"
    path.write_text(original)
    path.chmod(0o640)
    source = ManifestSource(cluster.api, tmp_path)
    source.sync()
    await cluster.scale("deploy", "web", 4)
    live = cluster.get("deploy", "web")
    live["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.26"
    await cluster.update(live)
    key = ("Deployment", "default", "web")
    assert source.sync_statuses()[key] == "OutOfSync"
    result = source.write_back_live(key)
    assert result is not None and result.changed
    expected = original.replace("replicas: 2  # HPA-free", "replicas: 4  # HPA-free").replace(
        "image: nginx:1.25", "image: nginx:1.26", 1)
    assert path.read_text() == expected
    assert path.stat().st_mode & 0o777 == 0o640
    assert source.sync_statuses()[key] == "Synced"
    rv = cluster.get("deploy", "web")["metadata"]["resourceVersion"]
    record = source.sync()  # the watcher sees k9py's own write: nothing is re-applied
    assert record.updated == () and record.created == ()
    assert cluster.get("deploy", "web")["metadata"]["resourceVersion"] == rv
    assert source.write_back_live(key) is None  # nothing left to write


async def test_write_back_applies_a_save_the_watcher_has_not_seen_before_writing(tmp_path, cluster):
    path = tmp_path / "web.yaml"
    path.write_text(deployment("web", replicas=2))
    source = ManifestSource(cluster.api, tmp_path)
    source.sync()
    await cluster.scale("deploy", "web", 7)
    path.write_text(deployment("web", replicas=5) + "---\n" + deployment("api"))  # saved, then w at once
    assert source.write_back_live(("Deployment", "default", "web")) is None  # the user's 5 wins over the live 7
    assert "replicas: 5" in path.read_text()
    assert cluster.get("deploy", "web")["spec"]["replicas"] == 5
    assert cluster.get("deploy", "api") is not None  # the document the user just added is created


async def test_write_back_keeps_the_error_of_a_refused_document_beside_it(tmp_path, cluster):
    path = tmp_path / "web.yaml"
    path.write_text(deployment("web", replicas=2) + "---\n" + deployment("bad").replace("replicas: 1",
                                                                                         'replicas: "two"'))
    source = ManifestSource(cluster.api, tmp_path)
    source.sync()
    [error] = source.all_errors
    await cluster.scale("deploy", "web", 4)
    result = source.write_back_live(("Deployment", "default", "web"))
    assert result is not None and result.changed
    assert source.sync().created == ()
    assert source.all_errors == [error]


async def test_write_back_into_a_list_item_edits_that_item(tmp_path, cluster):
    path = tmp_path / "list.yaml"
    items = "".join("- " + deployment(name).replace("\n", "\n  ").rstrip() + "\n" for name in ("web", "api"))
    path.write_text("apiVersion: v1\nkind: List\nitems:\n" + items)
    source = ManifestSource(cluster.api, tmp_path)
    source.sync()
    assert source.all_errors == []
    await cluster.scale("deploy", "api", 3)
    key = ("Deployment", "default", "api")
    result = source.write_back_live(key)
    assert result is not None and result.changed
    text = path.read_text()
    assert text.count("replicas: 3") == 1 and text.index("replicas: 3") > text.index("name: api")
    assert source.sync().updated == ()
    assert source.sync_statuses()[key] == "Synced"
    assert source.write_back_live(key) is None
