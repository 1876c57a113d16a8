"""apply_object copies only at the API boundary (issue 9 §3): the caller's document is never changed, the store
never shares anything with it, and a re-apply never edits the stored object in place."""

from __future__ import annotations

import copy
import json

from engine.api import LAST_APPLIED
from engine.cluster import Cluster
from engine.manifests.apply import apply_object


def configmap(**meta: object) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", **meta}, "data": {"k": "v"}}


async def test_the_document_is_never_changed_and_never_shared():
    async with Cluster(nodes=1) as cluster:
        doc = configmap(labels={"app": "x"}, annotations={"a": "1", LAST_APPLIED: "{}"})
        before = copy.deepcopy(doc)
        created = apply_object(cluster.api, doc, "default")
        assert doc == before
        doc["data"]["k"] = "changed"
        doc["metadata"]["labels"]["app"] = "changed"
        doc["metadata"]["annotations"]["a"] = "changed"
        stored = cluster.store.get("configmaps", "default", "cm")
        assert stored is created
        assert stored["data"] == {"k": "v"} and stored["metadata"]["labels"] == {"app": "x"}
        assert stored["metadata"]["annotations"]["a"] == "1"
        assert json.loads(stored["metadata"]["annotations"][LAST_APPLIED]) == {
            "apiVersion": "v1", "kind": "ConfigMap", "data": {"k": "v"},
            "metadata": {"name": "cm", "namespace": "default", "labels": {"app": "x"}, "annotations": {"a": "1"}}}

        again = configmap(labels={"app": "y"})
        before = copy.deepcopy(again)
        updated = apply_object(cluster.api, again, "default")
        assert again == before
        assert updated["metadata"]["labels"] == {"app": "y"} and "a" not in updated["metadata"]["annotations"]
        again["metadata"]["labels"]["app"] = "changed"
        assert cluster.store.get("configmaps", "default", "cm")["metadata"]["labels"] == {"app": "y"}


async def test_a_re_apply_never_edits_the_stored_object_in_place():
    async with Cluster(nodes=1) as cluster:
        first = apply_object(cluster.api, configmap(), "default")
        text = first["metadata"]["annotations"][LAST_APPLIED]
        changed = configmap()
        changed["data"] = {"k": "w"}
        second = apply_object(cluster.api, changed, "default")
        assert second is not first
        assert first["metadata"]["annotations"][LAST_APPLIED] == text  # the old version, as watchers saw it
        assert json.loads(second["metadata"]["annotations"][LAST_APPLIED])["data"] == {"k": "w"}


async def test_null_annotations_are_applied_like_absent_ones():
    async with Cluster(nodes=1) as cluster:
        created = apply_object(cluster.api, configmap(annotations=None), "default")
        assert list(created["metadata"]["annotations"]) == [LAST_APPLIED]
        updated = apply_object(cluster.api, {**configmap(annotations=None), "data": {"k": "w"}}, "default")
        assert list(updated["metadata"]["annotations"]) == [LAST_APPLIED] and updated["data"] == {"k": "w"}
