"""Drift between a declared manifest and the live object: real changes show, defaults and server fields never do."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from engine.cluster import Cluster
from engine.kinds import REGISTRY
from engine.manifests.diff import FieldDiff, diff, format_diff, sync_status

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def deployment() -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "nginx:1.25",
                            "ports": [{"containerPort": 80}],
                            "readinessProbe": {"httpGet": {"port": 80}},
                            "resources": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"memory": "2Gi"}},
                            "env": [{"name": "MODE", "value": "fast"}, {"name": "DEBUG", "value": "0"}],
                        },
                        {"name": "logs", "image": "busybox:1.36", "args": ["tail", "-f"]},
                    ],
                },
            },
        },
    }


def live_of(declared: dict[str, Any]) -> dict[str, Any]:
    """What the API server and controllers make of `declared`: defaults, server metadata, annotations, status."""
    live = copy.deepcopy(declared)
    REGISTRY.by_kind("Deployment").default(live)
    meta = live["metadata"]
    meta.update({"namespace": "default", "uid": "0b5c", "resourceVersion": "42", "generation": 2,
                 "creationTimestamp": "2026-01-01T00:00:00Z", "managedFields": [{"manager": "kubectl"}]})
    last = copy.deepcopy(declared)
    last["metadata"]["namespace"] = "default"
    meta["annotations"] = {LAST_APPLIED: json.dumps(last, sort_keys=True),
                           "deployment.kubernetes.io/revision": "2"}
    live["status"] = {"replicas": 3, "readyReplicas": 3, "observedGeneration": 2}
    return live


def paths(diffs: list[FieldDiff]) -> list[tuple[str, str]]:
    return [(d.path, d.kind) for d in diffs]


def test_defaults_status_and_server_metadata_are_not_drift():
    declared = deployment()
    live = live_of(declared)
    # The defaults really are there on the live side; they must not show.
    container = live["spec"]["template"]["spec"]["containers"][0]
    assert container["imagePullPolicy"] == "IfNotPresent" and container["readinessProbe"]["periodSeconds"] == 10
    assert live["spec"]["strategy"]["rollingUpdate"]["maxSurge"] == "25%"
    assert diff(declared, live) == []
    assert sync_status(declared, live) == "Synced"
    assert format_diff([]) == ""


def test_a_minimal_deployment_against_its_defaulted_live_object():
    declared = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                         "template": {"metadata": {"labels": {"app": "web"}},
                                      "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}}
    live = live_of(declared)
    assert live["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == "Always"
    assert diff(declared, live) == []


def test_exported_yaml_with_server_fields_declared_is_not_drift():
    # `kubectl get -o yaml` / `create --dry-run -o yaml` output carries these; they are not the user's.
    declared = deployment()
    declared["metadata"].update({"creationTimestamp": None, "uid": "old", "resourceVersion": "1"})
    declared["metadata"]["annotations"] = {"deployment.kubernetes.io/revision": "1", LAST_APPLIED: "{}"}
    declared["spec"]["template"]["metadata"]["creationTimestamp"] = None
    declared["status"] = {}
    live = live_of(deployment())
    assert diff(declared, live) == []


def test_scaled_deployment():
    declared = deployment()
    live = live_of(declared)
    live["spec"]["replicas"] = 5
    diffs = diff(declared, live)
    assert diffs == [FieldDiff("spec.replicas", 3, 5, "changed")]
    assert sync_status(declared, live) == "OutOfSync"
    assert format_diff(diffs) == "spec.replicas: 3 → 5 (live)"


def test_changed_image_is_found_by_container_name_even_if_containers_are_reordered():
    declared = deployment()
    live = live_of(declared)
    containers = live["spec"]["template"]["spec"]["containers"]
    containers.reverse()
    containers[1]["image"] = "nginx:1.26"
    assert paths(diff(declared, live)) == [("spec.template.spec.containers[name=web].image", "changed")]
    assert format_diff(diff(declared, live)) == \
        'spec.template.spec.containers[name=web].image: "nginx:1.25" → "nginx:1.26" (live)'


def test_quantities_compare_by_value():
    declared = deployment()
    live = live_of(declared)
    live["spec"]["template"]["spec"]["containers"][0]["resources"] = {
        "requests": {"cpu": "1000m", "memory": "1024Mi"}, "limits": {"memory": 2147483648}}
    assert diff(declared, live) == []
    live["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"] = "999m"
    assert diff(declared, live) == [FieldDiff("spec.template.spec.containers[name=web].resources.requests.cpu",
                                              "1", "999m", "changed")]


async def test_a_quantity_the_api_server_rounds_as_it_stores_it_is_not_drift():
    async with Cluster(nodes=1) as cluster:
        declared = deployment()
        declared["spec"]["template"]["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "1e-7"}}
        await cluster.apply(copy.deepcopy(declared))
        live = cluster.get("deploy", declared["metadata"]["name"])
        assert live["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"] == "1e-3"
        assert sync_status(declared, live) == "Synced"


def test_numbers_and_strings_are_different_outside_quantities():
    declared = deployment()
    live = live_of(declared)
    live["spec"]["replicas"] = "3"
    assert diff(declared, live) == [FieldDiff("spec.replicas", 3, "3", "changed")]
    live["spec"]["replicas"] = 3.0  # JSON has one number type
    assert diff(declared, live) == []
    live["spec"]["replicas"] = True
    assert paths(diff(declared, live)) == [("spec.replicas", "changed")]


def test_removed_env_var_is_missing_and_an_added_one_is_extra():
    declared = deployment()
    live = live_of(declared)
    env = live["spec"]["template"]["spec"]["containers"][0]["env"]
    env[:] = [{"name": "MODE", "value": "fast"}, {"name": "TRACE", "value": "1"}]
    diffs = diff(declared, live)
    assert diffs == [
        FieldDiff("spec.template.spec.containers[name=web].env[name=DEBUG]", {"name": "DEBUG", "value": "0"}, None,
                  "missing"),
        FieldDiff("spec.template.spec.containers[name=web].env[name=TRACE]", None, {"name": "TRACE", "value": "1"},
                  "extra"),
    ]
    assert format_diff(diffs).splitlines() == [
        'spec.template.spec.containers[name=web].env[name=DEBUG]: {"name": "DEBUG", "value": "0"} → <missing> (live)',
        'spec.template.spec.containers[name=web].env[name=TRACE]: <not declared> → {"name": "TRACE", "value": "1"} '
        "(live)",
    ]


def test_a_declared_field_the_live_object_lacks_is_missing():
    declared = deployment()
    declared["spec"]["minReadySeconds"] = 10
    live = live_of(deployment())
    assert diff(declared, live) == [FieldDiff("spec.minReadySeconds", 10, None, "missing")]


def test_a_declared_null_is_the_same_as_absent():
    declared = deployment()
    declared["spec"]["paused"] = None
    assert diff(declared, live_of(deployment())) == []


def test_undeclared_fields_outside_lists_are_not_drift():
    # Apply keeps fields nobody declared: an HPA owning replicas, a strategy changed by hand, a label added live.
    declared = deployment()
    del declared["spec"]["replicas"]
    live = live_of(declared)
    live["spec"]["replicas"] = 7
    live["spec"]["strategy"] = {"type": "Recreate"}
    live["metadata"]["labels"]["team"] = "payments"
    assert diff(declared, live) == []


def test_undeclared_fields_inside_a_declared_list_item_are_drift():
    # Apply replaces lists whole and re-defaults them, so these would be reverted.
    declared = deployment()
    live = live_of(declared)
    web = live["spec"]["template"]["spec"]["containers"][0]
    web["imagePullPolicy"] = "Always"
    web["command"] = ["sh"]
    live["spec"]["template"]["spec"]["containers"][0]["ports"][0]["protocol"] = "UDP"
    assert diff(declared, live) == [
        FieldDiff("spec.template.spec.containers[name=web].ports[containerPort=80].protocol", "TCP", "UDP",
                  "changed"),
        FieldDiff("spec.template.spec.containers[name=web].imagePullPolicy", "IfNotPresent", "Always", "changed"),
        FieldDiff("spec.template.spec.containers[name=web].command", None, ["sh"], "extra"),
    ]


def test_a_field_dropped_from_the_document_since_the_last_apply_is_extra():
    declared = deployment()
    applied = deployment()
    applied["spec"]["minReadySeconds"] = 5
    live = live_of(applied)
    assert diff(declared, live) == [FieldDiff("spec.minReadySeconds", None, 5, "extra")]


def test_lists_without_names_compare_by_position():
    declared = deployment()
    live = live_of(declared)
    logs = live["spec"]["template"]["spec"]["containers"][1]
    logs["args"] = ["tail", "-F", "--retry"]
    assert diff(declared, live) == [
        FieldDiff("spec.template.spec.containers[name=logs].args[1]", "-f", "-F", "changed"),
        FieldDiff("spec.template.spec.containers[name=logs].args[2]", None, "--retry", "extra"),
    ]
    logs["args"] = ["tail"]
    assert diff(declared, live) == [FieldDiff("spec.template.spec.containers[name=logs].args[1]", "-f", None,
                                              "missing")]


def test_a_removed_container_and_a_type_change():
    declared = deployment()
    live = live_of(declared)
    del live["spec"]["template"]["spec"]["containers"][1]
    live["spec"]["selector"] = "app=web"
    assert paths(diff(declared, live)) == [
        ("spec.selector", "changed"),
        ("spec.template.spec.containers[name=logs]", "missing"),
    ]


def test_annotation_keys_with_dots_get_quoted_paths():
    declared = deployment()
    declared["metadata"]["annotations"] = {"example.com/owner": "team-a"}
    live = live_of(declared)
    live["metadata"]["annotations"]["example.com/owner"] = "team-b"
    assert paths(diff(declared, live)) == [('metadata.annotations["example.com/owner"]', "changed")]


def test_no_live_object_means_everything_is_missing():
    declared = deployment()
    declared["metadata"]["uid"] = "stale"
    diffs = diff(declared, None)
    assert paths(diffs) == [("metadata", "missing"), ("spec", "missing")]
    assert diffs[0].declared == {"name": "web", "labels": {"app": "web"}}
    assert sync_status(declared, None) == "OutOfSync"


def test_kinds_the_engine_does_not_know_are_compared_without_defaults():
    declared = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "c"}, "data": {"a": "1"}}
    live = copy.deepcopy(declared) | {"status": {}}
    assert diff(declared, live) == []
    live["data"] = {"a": "2", "b": "3"}
    assert diff(declared, live) == [FieldDiff("data.a", "1", "2", "changed")]


def test_long_values_are_shortened_in_the_text():
    d = FieldDiff("data.blob", "x" * 200, None, "missing")
    line = format_diff([d])
    assert line.startswith('data.blob: "xxxx') and "…" in line and line.endswith("→ <missing> (live)")
    assert len(line) < 100


async def test_against_a_real_cluster():
    declared = deployment()
    async with Cluster(nodes=2) as cluster:
        await cluster.apply(copy.deepcopy(declared))
        await cluster.run_for(30)
        live = cluster.get("Deployment", "web")
        assert live["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
        assert live["status"]["readyReplicas"] == 3
        assert diff(declared, live) == []
        await cluster.scale("Deployment", "web", 5)
        assert diff(declared, cluster.get("Deployment", "web")) == [FieldDiff("spec.replicas", 3, 5, "changed")]
        await cluster.apply(copy.deepcopy(declared))  # re-applying the file reverts the drift it reported
        assert sync_status(declared, cluster.get("Deployment", "web")) == "Synced"


@pytest.mark.parametrize("declared", [
    {"kind": "Deployment", "spec": "not a mapping"},
    {"kind": "Deployment", "spec": {"template": ["odd"]}},
])
def test_malformed_documents_still_get_a_diff(declared):
    assert isinstance(diff(declared, {"kind": "Deployment"}), list)
