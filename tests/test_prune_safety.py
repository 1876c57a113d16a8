"""Nothing is pruned by a passing broken state: prune, like `kubectl apply --prune`, must be certain.

A file any of whose documents failed prunes nothing until it is valid again; a valid file that stops declaring
an object, an empty file and a vanished file prune only after staying so for the quiet period.
"""

from __future__ import annotations

import pytest
from manifests import deployment_yaml
from test_manifest_source import WallClock

from engine.cluster import Cluster
from engine.manifests.source import PRUNE_QUIET_SECONDS, ManifestSource

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
"""
FULL = deployment_yaml("web", replicas=2) + "---\n" + SERVICE + "---\n" + deployment_yaml("api")
KEYS = {("Deployment", "default", "web"), ("Service", "default", "web"), ("Deployment", "default", "api")}


@pytest.fixture
async def cluster():
    async with Cluster(nodes=2) as c:
        yield c


@pytest.fixture
def wall() -> WallClock:
    return WallClock()


def uids(cluster: Cluster) -> dict[tuple[str, str, str], str]:
    out = {}
    for kind, resource in (("Deployment", "deploy"), ("Service", "svc")):
        for obj in cluster.list(resource, "default"):
            out[(kind, "default", obj["metadata"]["name"])] = obj["metadata"]["uid"]
    return {k: v for k, v in out.items() if k[2] != "kubernetes"}


async def started(cluster: Cluster, tmp_path, wall: WallClock) -> tuple[ManifestSource, dict]:
    (tmp_path / "app.yaml").write_text(FULL)
    source = ManifestSource(cluster.api, tmp_path, monotonic=wall)
    source.sync()
    await cluster.run_for(30)
    before = uids(cluster)
    assert set(before) == KEYS
    return source, before


BROKEN_STATES = {
    "half written, cut inside a document": FULL[: FULL.index("selector", FULL.index("kind: Service"))] + "selec",
    "a syntax error": FULL.replace("ports:\n  - port: 80", "ports: [port: 80"),
    "one document briefly a scalar": deployment_yaml("web", replicas=2) + "---\njust some text\n---\n"
                                     + deployment_yaml("api"),
    "a misspelt kind": FULL.replace("kind: Service", "kind: Servise"),
    "a lost name": FULL.replace("  name: web\nspec:\n  selector", "spec:\n  selector"),
    "a document the API refuses": FULL.replace("port: 80", "port: 99999"),
}


@pytest.mark.parametrize("state", BROKEN_STATES.values(), ids=BROKEN_STATES.keys())
async def test_a_file_with_a_failed_document_prunes_nothing_however_long_it_stays(tmp_path, cluster, wall, state):
    source, before = await started(cluster, tmp_path, wall)
    (tmp_path / "app.yaml").write_text(state)
    record = source.sync()
    assert record.errors, "the user is told what is wrong"
    wall.advance(10 * PRUNE_QUIET_SECONDS)
    assert source.sync().pruned == ()
    await cluster.run_for(30)
    assert uids(cluster) == before
    (tmp_path / "app.yaml").write_text(FULL)
    source.sync()
    wall.advance(10 * PRUNE_QUIET_SECONDS)
    source.sync()
    assert uids(cluster) == before and source.all_errors == []


PASSING_STATES = {
    "truncated before the write": "",
    "only comments": "# being rewritten\n",
    "cut between two documents": FULL[: FULL.index("---\n" + SERVICE)],
}


@pytest.mark.parametrize("state", PASSING_STATES.values(), ids=PASSING_STATES.keys())
async def test_a_valid_state_shorter_than_the_quiet_period_prunes_nothing(tmp_path, cluster, wall, state):
    source, before = await started(cluster, tmp_path, wall)
    (tmp_path / "app.yaml").write_text(state)
    record = source.sync()
    assert record.pruned == () and set(record.pending) <= KEYS and record.pending
    wall.advance(PRUNE_QUIET_SECONDS * 0.9)
    assert source.sync().pruned == ()
    (tmp_path / "app.yaml").write_text(FULL)
    assert source.sync().pending == ()
    wall.advance(10 * PRUNE_QUIET_SECONDS)
    source.sync()
    assert uids(cluster) == before


async def test_a_vanished_file_that_comes_back_by_rename_prunes_nothing(tmp_path, cluster, wall):
    """vim's save: the old file is renamed away, the new one appears 30+ ms later."""
    source, before = await started(cluster, tmp_path, wall)
    (tmp_path / "app.yaml").rename(tmp_path / "app.yaml~")
    assert source.sync().pending
    wall.advance(0.05)
    (tmp_path / "app.yaml").write_text(FULL.replace("replicas: 2", "replicas: 3"))
    record = source.sync()
    assert record.pruned == () and record.pending == ()
    assert record.updated == (("Deployment", "default", "web"),)
    wall.advance(10 * PRUNE_QUIET_SECONDS)
    source.sync()
    assert uids(cluster) == before


async def test_a_file_that_stays_empty_or_gone_prunes_after_the_quiet_period(tmp_path, cluster, wall):
    source, _ = await started(cluster, tmp_path, wall)
    (tmp_path / "app.yaml").write_text(deployment_yaml("web", replicas=2))
    assert source.sync().pending == (("Service", "default", "web"), ("Deployment", "default", "api"))
    wall.advance(PRUNE_QUIET_SECONDS)
    record = source.sync()
    assert set(record.pruned) == {("Service", "default", "web"), ("Deployment", "default", "api")}
    (tmp_path / "app.yaml").unlink()
    source.sync()
    assert cluster.get("deploy", "web") is not None
    wall.advance(PRUNE_QUIET_SECONDS)
    assert source.sync().pruned == (("Deployment", "default", "web"),)
    assert uids(cluster) == {}


async def test_objects_of_a_broken_file_are_still_listed_as_declared(tmp_path, cluster, wall):
    source, _ = await started(cluster, tmp_path, wall)
    (tmp_path / "app.yaml").write_text("kind: [")
    source.sync()
    assert set(source.inventory) == KEYS
    [error] = source.all_errors
    assert error.file == str(tmp_path / "app.yaml") and error.message.startswith("YAML syntax error")
