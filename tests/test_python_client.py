"""The official `kubernetes` Python client against `engine.apiserver` (issue 12 §4): a client nobody here wrote.

The client is synchronous (urllib3); the server answers in this test's event loop, so every client call runs in a
worker thread (`asyncio.to_thread`). Only HTTP crosses threads: the store is touched by the loop alone.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from test_apiserver_kit import Served, served

kubernetes = pytest.importorskip("kubernetes", reason="the kubernetes Python client is not installed (test extra)")
from kubernetes import client, config, watch  # noqa: E402
from kubernetes.client.exceptions import ApiException  # noqa: E402

__all__ = ["served"]
T = TypeVar("T")
NS = "default"


def deployment(name: str = "web", replicas: int = 1) -> dict[str, Any]:
    """Two containers, so a strategic merge patch (merged by name) and a JSON merge patch (list replaced) differ."""
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": {"app": name}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "app", "image": "nginx:1.25"},
                                                          {"name": "sidecar", "image": "busybox:1.36"}]}}}}


class Clients:
    def __init__(self, served: Served) -> None:
        self.api = config.new_client_from_config(config_file=str(served.server.kubeconfig))
        self.core = client.CoreV1Api(self.api)
        self.apps = client.AppsV1Api(self.api)

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def error(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> ApiException:
        with pytest.raises(ApiException) as caught:
            await self.call(fn, *args, **kwargs)
        return caught.value


@pytest.fixture
def kube(served: Served) -> Clients:
    return Clients(served)


def _images(dep: Any) -> dict[str, str]:
    return {c.name: c.image for c in dep.spec.template.spec.containers}


async def test_list_nodes_namespaces_and_pods(served: Served, kube: Clients) -> None:
    nodes = await kube.call(kube.core.list_node)
    assert sorted(n.metadata.name for n in nodes.items) == ["node-1", "node-2"]
    assert all(any(c.type == "Ready" and c.status == "True" for c in n.status.conditions) for n in nodes.items)
    namespaces = await kube.call(kube.core.list_namespace)
    assert {"default", "kube-system"} <= {n.metadata.name for n in namespaces.items}
    await kube.call(kube.apps.create_namespaced_deployment, NS, deployment(replicas=2))
    await served.wait_for(lambda: len(served.cluster.list("pods", NS)) == 2)
    pods = await kube.call(kube.core.list_namespaced_pod, NS, label_selector="app=web")
    assert len(pods.items) == 2 and all(p.metadata.name.startswith("web-") for p in pods.items)
    assert pods.metadata.resource_version  # a list's resourceVersion: where a watch starts from
    everywhere = await kube.call(kube.core.list_pod_for_all_namespaces, field_selector=f"metadata.namespace={NS}")
    assert {p.metadata.name for p in everywhere.items} == {p.metadata.name for p in pods.items}
    limited = await kube.call(kube.core.list_namespaced_pod, NS, limit=1)
    assert len(limited.items) == 1 and limited.metadata._continue


async def test_create_read_and_errors(served: Served, kube: Clients) -> None:
    created = await kube.call(kube.apps.create_namespaced_deployment, NS, deployment())
    assert created.metadata.uid and created.metadata.generation == 1
    assert created.spec.strategy.type == "RollingUpdate"  # defaulted by the server, decoded by the client
    read = await kube.call(kube.apps.read_namespaced_deployment, "web", NS)
    assert read.metadata.uid == created.metadata.uid
    conflict = await kube.error(kube.apps.create_namespaced_deployment, NS, deployment())
    assert conflict.status == 409 and json.loads(conflict.body)["reason"] == "AlreadyExists"
    missing = await kube.error(kube.apps.read_namespaced_deployment, "nope", NS)
    assert missing.status == 404
    assert json.loads(missing.body)["message"] == 'deployments.apps "nope" not found'
    invalid = await kube.error(kube.apps.create_namespaced_deployment, NS, deployment("bad", replicas=-1))
    assert invalid.status == 422 and json.loads(invalid.body)["details"]["causes"][0]["field"] == "spec.replicas"


async def test_patch_strategic_merge_and_json_merge(served: Served, kube: Clients) -> None:
    await kube.call(kube.apps.create_namespaced_deployment, NS, deployment())
    # Strategic merge (the client's default for a dict body on a built-in kind): containers merge by name.
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}}}
    merged = await kube.call(kube.apps.patch_namespaced_deployment, "web", NS, patch,
                             _content_type="application/strategic-merge-patch+json")
    assert _images(merged) == {"app": "nginx:1.27", "sidecar": "busybox:1.36"}
    # JSON merge patch (RFC 7386): a list is replaced whole.
    replaced = await kube.call(kube.apps.patch_namespaced_deployment, "web", NS, patch,
                               _content_type="application/merge-patch+json")
    assert _images(replaced) == {"app": "nginx:1.27"}
    labelled = await kube.call(kube.apps.patch_namespaced_deployment, "web", NS,
                               {"metadata": {"labels": {"tier": "front", "app": None}}},
                               _content_type="application/merge-patch+json")
    assert labelled.metadata.labels == {"tier": "front"}  # null deletes a key
    # JSON patch (RFC 6902), and its failed `test` as a 422
    scaled = await kube.call(kube.apps.patch_namespaced_deployment, "web", NS,
                             [{"op": "replace", "path": "/spec/replicas", "value": 3}],
                             _content_type="application/json-patch+json")
    assert scaled.spec.replicas == 3
    failed = await kube.error(kube.apps.patch_namespaced_deployment, "web", NS,
                              [{"op": "test", "path": "/spec/replicas", "value": 1}],
                              _content_type="application/json-patch+json")
    assert failed.status == 422
    # the scale subresource, as HPA clients use it
    scale = await kube.call(kube.apps.patch_namespaced_deployment_scale, "web", NS, {"spec": {"replicas": 2}},
                            _content_type="application/merge-patch+json")
    assert scale.spec.replicas == 2 and scale.kind == "Scale"
    assert served.cluster.get("deployment", "web")["spec"]["replicas"] == 2


async def test_server_side_apply(served: Served, kube: Clients) -> None:
    body = deployment()
    try:
        applied = await kube.call(kube.apps.patch_namespaced_deployment, "web", NS, body, field_manager="py",
                                  _content_type="application/apply-patch+yaml")
    except ApiException as exc:
        if exc.status == 415:
            pytest.skip("server-side apply is not served yet")
        raise
    assert applied.spec.replicas == 1
    assert any(m.manager == "py" and m.operation == "Apply" for m in applied.metadata.managed_fields)


async def test_watch_a_few_events_with_a_timeout(served: Served, kube: Clients) -> None:
    start = await kube.call(kube.core.list_namespaced_pod, NS)
    seen: list[tuple[str, str]] = []

    def stream() -> None:
        w = watch.Watch()
        # server-side timeout: the stream ends by itself even if fewer events come
        for event in w.stream(kube.core.list_namespaced_pod, NS, label_selector="app=web", timeout_seconds=10,
                              resource_version=start.metadata.resource_version):
            seen.append((event["type"], event["object"].metadata.name))
            if len({name for kind, name in seen if kind == "ADDED"}) == 2:
                w.stop()

    watching = asyncio.create_task(asyncio.to_thread(stream))
    await asyncio.sleep(0.3)
    await kube.call(kube.apps.create_namespaced_deployment, NS, deployment(replicas=2))
    await asyncio.wait_for(watching, 30)
    added = [name for kind, name in seen if kind == "ADDED"]
    assert len(added) == 2 and all(name.startswith("web-") for name in added)
    # An idle watch ends at its timeout, with no events and no error.
    quiet: list[Any] = []

    def idle() -> None:
        quiet.extend(watch.Watch().stream(kube.core.list_namespaced_config_map, "kube-public", timeout_seconds=1))

    await asyncio.wait_for(asyncio.to_thread(idle), 15)
    assert [e["type"] for e in quiet] == ["ADDED"]  # the list's kube-root-ca.crt, then the timeout


async def test_delete_with_propagation(served: Served, kube: Clients) -> None:
    await kube.call(kube.apps.create_namespaced_deployment, NS, deployment(replicas=2))
    await served.wait_for(lambda: len(served.cluster.list("pods", NS)) == 2)
    status = await kube.call(kube.apps.delete_namespaced_deployment, "web", NS,
                             body=client.V1DeleteOptions(propagation_policy="Foreground"))
    assert status is not None
    await served.wait_for(lambda: served.cluster.get("deployment", "web") is None and not
                          served.cluster.list("replicasets", NS), timeout=60)
    gone = await kube.error(kube.apps.read_namespaced_deployment, "web", NS)
    assert gone.status == 404
    again = await kube.error(kube.apps.delete_namespaced_deployment, "web", NS)
    assert again.status == 404 and json.loads(again.body)["reason"] == "NotFound"
