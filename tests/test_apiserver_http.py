"""engine.apiserver over plain HTTPS: Status bodies, discovery, tables, lists, watch, auth and credentials,
checked against what a v1.36 kube-apiserver answers (captured from the real control plane)."""

from __future__ import annotations

import asyncio
import json
import ssl
import stat
import subprocess
from collections import deque
from pathlib import Path

import aiohttp
import pytest
from test_apiserver_kit import KUBECTL, Served, served

from engine.apiserver import DEFAULT_PORT, ApiServer
from engine.apiserver.credentials import load_or_create
from k9py.cli import API_PORT

__all__ = ["served"]
CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c1"}, "data": {"a": "b"}}
TABLE = ("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,"
         "application/json")
AGGREGATED = ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
              "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json")


def status(code: int, reason: str, message: str, details: dict | None = None) -> dict:
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": reason}
    if details is not None:
        body["details"] = details
    return {**body, "code": code}


async def test_status_bodies_as_kube_apiserver(served: Served) -> None:
    code, body, _ = await served.request("GET", "/api/v1/namespaces/default/pods/nope")
    assert (code, body) == (404, status(404, "NotFound", 'pods "nope" not found', {"name": "nope", "kind": "pods"}))
    code, body, _ = await served.request("GET", "/api/v1/namespaces/default/nopes/x")
    assert (code, body) == (404, status(404, "NotFound", "the server could not find the requested resource", {}))
    code, body, _ = await served.request("PUT", "/apis/apps/v1/namespaces/default/deployments", json={})
    assert (code, body) == (405, status(405, "MethodNotAllowed",
                                        "the server does not allow this method on the requested resource", {}))
    assert (await served.request("POST", "/api/v1/namespaces/default/configmaps", json=CM))[0] == 201
    code, body, _ = await served.request("POST", "/api/v1/namespaces/default/configmaps", json=CM)
    assert (code, body) == (409, status(409, "AlreadyExists", 'configmaps "c1" already exists',
                                        {"name": "c1", "kind": "configmaps"}))
    code, body, _ = await served.request("PATCH", "/api/v1/namespaces/default/configmaps/c1", data="{}",
                                         headers={"Content-Type": "text/plain"})
    assert (code, body) == (415, status(415, "UnsupportedMediaType", "415: Unsupported Media Type", {}))
    code, body, _ = await served.request("GET", "/api/v1/configmaps?limit=1&resourceVersion=99999999")
    assert code == 504 and body["reason"] == "Timeout" and body["message"].startswith(
        "Timeout: Too large resource version: 99999999, current: ")
    code, body, _ = await served.request("GET", "/api/v1/pods", headers={"Authorization": "Bearer wrong"})
    assert (code, body) == (401, status(401, "Unauthorized", "Unauthorized"))


async def test_delete_answers(served: Served) -> None:
    created = (await served.request("POST", "/api/v1/namespaces/default/configmaps", json=CM))[1]
    code, body, _ = await served.request("DELETE", "/api/v1/namespaces/default/configmaps/c1?dryRun=All")
    assert code == 200 and body["status"] == "Success" and served.cluster.get("configmap", "c1") is not None
    code, body, _ = await served.request("DELETE", "/api/v1/namespaces/default/configmaps/c1",
                                         json={"propagationPolicy": "Background"})
    assert (code, body) == (200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                                  "details": {"name": "c1", "kind": "configmaps",
                                              "uid": created["metadata"]["uid"]}})
    assert served.cluster.get("configmap", "c1") is None


async def test_unauthenticated_clients_read_only_health_and_version(served: Served) -> None:
    context = ssl.create_default_context(cafile=str(served.server.credentials.ca_cert))
    async with aiohttp.ClientSession(base_url=served.server.url,
                                     connector=aiohttp.TCPConnector(ssl=context)) as anonymous:
        for path in ("/healthz", "/livez", "/readyz"):
            async with anonymous.get(path) as response:
                assert (response.status, await response.text()) == (200, "ok")
        async with anonymous.get("/version") as response:
            version = await response.json()
        assert (version["major"], version["minor"], version["gitVersion"]) == ("1", "36", "v1.36.2+k9py")
        async with anonymous.get("/api/v1/pods") as response:
            assert response.status == 401


# The groups in the order a real v1.36 kube-apiserver lists them (`kubectl get --raw /apis`).
KUBE_APISERVER_GROUP_ORDER = [
    "apiregistration.k8s.io", "apps", "events.k8s.io", "authentication.k8s.io", "authorization.k8s.io", "autoscaling",
    "batch", "certificates.k8s.io", "networking.k8s.io", "policy", "rbac.authorization.k8s.io", "storage.k8s.io",
    "admissionregistration.k8s.io", "apiextensions.k8s.io", "scheduling.k8s.io", "coordination.k8s.io", "node.k8s.io",
    "discovery.k8s.io", "resource.k8s.io", "flowcontrol.apiserver.k8s.io",
    # metrics-server's APIService (groupPriorityMinimum 100) comes after every built-in group.
    "metrics.k8s.io"]


def in_upstream_order(groups: list[str]) -> bool:
    return groups == [g for g in KUBE_APISERVER_GROUP_ORDER if g in groups]


async def test_discovery_legacy_and_aggregated(served: Served) -> None:
    code, body, _ = await served.request("GET", "/api")
    assert body == {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
        {"clientCIDR": "0.0.0.0/0", "serverAddress": f"127.0.0.1:{served.server.port}"}]}
    body = (await served.request("GET", "/apis"))[1]
    groups = [g["name"] for g in body["groups"]]
    assert in_upstream_order(groups) and {"apps", "batch", "coordination.k8s.io", "storage.k8s.io"} <= set(groups)
    assert (await served.request("GET", "/apis/apps"))[1] == {
        "kind": "APIGroup", "apiVersion": "v1", "name": "apps",
        "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
        "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"}}
    resources = {r["name"]: r for r in (await served.request("GET", "/apis/apps/v1"))[1]["resources"]}
    # As the real v1.36 server lists them (its storageVersionHash aside).
    assert resources["deployments"] == {
        "name": "deployments", "singularName": "deployment", "namespaced": True, "kind": "Deployment",
        "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
        "shortNames": ["deploy"], "categories": ["all"]}
    assert resources["deployments/scale"] == {"name": "deployments/scale", "singularName": "", "namespaced": True,
                                              "group": "autoscaling", "version": "v1", "kind": "Scale",
                                              "verbs": ["get", "patch", "update"]}
    code, body, response = await served.request("GET", "/api", headers={"Accept": AGGREGATED})
    assert response.headers["Content-Type"] == "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    core = {r["resource"]: r for r in body["items"][0]["versions"][0]["resources"]}
    assert body["items"][0]["metadata"] == {} and body["items"][0]["versions"][0]["freshness"] == "Current"
    assert core["pods"]["categories"] == ["all"] and core["pods"]["scope"] == "Namespaced"
    assert [s["subresource"] for s in core["pods"]["subresources"]] == [
        "attach", "binding", "eviction", "exec", "log", "portforward", "proxy", "status"]
    assert core["namespaces"]["verbs"] == ["create", "delete", "get", "list", "patch", "update", "watch"]
    body = (await served.request("GET", "/apis", headers={"Accept": AGGREGATED}))[1]
    assert [g["metadata"]["name"] for g in body["items"]] == groups
    code, body, _ = await served.request("GET", "/api", headers={"Accept": "application/vnd.kubernetes.protobuf"})
    assert code == 406


async def test_table_has_wide_columns_at_priority_one(served: Served) -> None:
    _, body, response = await served.request("GET", "/api/v1/nodes", headers={"Accept": TABLE})
    assert response.headers["Content-Type"] == "application/json;as=Table;v=v1;g=meta.k8s.io"
    assert body["kind"] == "Table" and body["apiVersion"] == "meta.k8s.io/v1"
    assert [(c["name"], c["priority"]) for c in body["columnDefinitions"]][:6] == [
        ("Name", 0), ("Status", 0), ("Roles", 0), ("Age", 0), ("Version", 0), ("Internal-IP", 1)]
    assert body["rows"][0]["cells"][0] == "node-1"
    assert body["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    assert body["rows"][0]["object"]["metadata"]["name"] == "node-1"
    body = (await served.request("GET", "/api/v1/nodes/node-2?includeObject=Object", headers={"Accept": TABLE}))[1]
    assert body["rows"][0]["object"]["kind"] == "Node" and len(body["rows"]) == 1


async def test_list_limit_continue_and_selectors(served: Served) -> None:
    for i in range(5):
        cm = {**CM, "metadata": {"name": f"c{i}", "labels": {"odd": str(i % 2)}}}
        assert (await served.request("POST", "/api/v1/namespaces/default/configmaps", json=cm))[0] == 201
    names: list[str] = []
    path = "/api/v1/namespaces/default/configmaps?labelSelector=odd&limit=2"
    while True:
        body = (await served.request("GET", path))[1]
        assert body["kind"] == "ConfigMapList" and body["apiVersion"] == "v1"
        names += [item["metadata"]["name"] for item in body["items"]]
        token = body["metadata"].get("continue")
        if not token:
            break
        assert body["metadata"]["remainingItemCount"] == 5 - len(names)
        path = f"/api/v1/namespaces/default/configmaps?labelSelector=odd&limit=2&continue={token}"
    assert names == ["c0", "c1", "c2", "c3", "c4"]
    selected = "/api/v1/configmaps?labelSelector=odd%3D1&fieldSelector=metadata.namespace%3Ddefault"
    body = (await served.request("GET", selected))[1]
    assert [i["metadata"]["name"] for i in body["items"]] == ["c1", "c3"]
    code, body, _ = await served.request("GET", "/api/v1/configmaps?continue=garbage")
    assert code == 400 and body["message"].startswith("continue key is not valid")


async def test_list_pages_in_order_after_writes(served: Served) -> None:
    """Pages through every namespace come in namespace-then-name order, and a list after writes shows them: the
    created object in its place, the deleted one gone, the changed one as it is now."""

    async def listed() -> list[tuple[str, str, dict]]:
        items: list[dict] = []
        path = "/api/v1/configmaps?limit=2"
        while path:
            body = (await served.request("GET", path))[1]
            items += body["items"]
            token = body["metadata"].get("continue")
            path = f"/api/v1/configmaps?limit=2&continue={token}" if token else ""
        return [(i["metadata"]["namespace"], i["metadata"]["name"], i.get("data"))
                for i in items if i["metadata"]["namespace"] in ("a-ns", "b-ns")]

    for ns in ("b-ns", "a-ns"):
        namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}
        assert (await served.request("POST", "/api/v1/namespaces", json=namespace))[0] == 201
    for ns, name in (("b-ns", "c2"), ("b-ns", "c1"), ("a-ns", "c3")):
        cm = {**CM, "metadata": {"name": name, "namespace": ns}}
        assert (await served.request("POST", f"/api/v1/namespaces/{ns}/configmaps", json=cm))[0] == 201
    mine = [(ns, name, data) for ns, name, data in await listed() if name != "kube-root-ca.crt"]
    assert mine == [("a-ns", "c3", {"a": "b"}), ("b-ns", "c1", {"a": "b"}), ("b-ns", "c2", {"a": "b"})]

    assert (await served.request("DELETE", "/api/v1/namespaces/b-ns/configmaps/c1"))[0] == 200
    assert [item[:2] for item in await listed() if item[1] != "kube-root-ca.crt"] == [("a-ns", "c3"), ("b-ns", "c2")]
    cm = {**CM, "metadata": {"name": "c0", "namespace": "a-ns"}}
    assert (await served.request("POST", "/api/v1/namespaces/a-ns/configmaps", json=cm))[0] == 201
    assert (await served.request("PATCH", "/api/v1/namespaces/b-ns/configmaps/c2", data='{"data":{"a":"new"}}',
                                 headers={"Content-Type": "application/merge-patch+json"}))[0] == 200
    after = await listed()
    assert after == sorted(after, key=lambda item: item[:2])
    mine = [(ns, name, data) for ns, name, data in after if name != "kube-root-ca.crt"]
    assert mine == [("a-ns", "c0", {"a": "b"}), ("a-ns", "c3", {"a": "b"}), ("b-ns", "c2", {"a": "new"})]


async def _events(served: Served, path: str, count: int) -> list[dict]:
    events: list[dict] = []
    async with served.session.get(path) as response:
        assert response.status == 200
        async for line in response.content:
            events.append(json.loads(line))
            if len(events) == count:
                break
    return events


async def test_watch_bookmarks_resume_and_gone(served: Served) -> None:
    base = "/api/v1/namespaces/default/configmaps"
    first = (await served.request("POST", base, json=CM))[1]
    # (kube-root-ca.crt is in every namespace: the field selector leaves it out)
    only = "fieldSelector=metadata.name%3Dc1"
    watching = asyncio.create_task(_events(served, f"{base}?watch=1&allowWatchBookmarks=true&{only}", 4))
    await asyncio.sleep(0.2)
    await served.request("PATCH", f"{base}/c1", data=json.dumps({"data": {"a": "c"}}),
                         headers={"Content-Type": "application/merge-patch+json"})
    events = await asyncio.wait_for(watching, 10)
    assert [e["type"] for e in events[:3]] == ["ADDED", "BOOKMARK", "MODIFIED"]
    assert events[1]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    assert events[2]["object"]["data"] == {"a": "c"}
    assert events[3]["type"] == "BOOKMARK"  # the periodic one (every 0.5 s in these tests)
    # Resume after the create: only the change since.
    rv = first["metadata"]["resourceVersion"]
    resumed = await asyncio.wait_for(_events(served, f"{base}?watch=1&resourceVersion={rv}&{only}", 1), 10)
    assert resumed[0]["type"] == "MODIFIED" and resumed[0]["object"]["data"] == {"a": "c"}
    # Too old: the history no longer reaches back (shrunk here for the test) → one ERROR event, 410 Expired.
    served.cluster.store._history = deque(list(served.cluster.store._history)[-2:], maxlen=2)
    gone = await asyncio.wait_for(_events(served, f"{base}?watch=1&resourceVersion=1", 1), 10)
    assert gone[0]["type"] == "ERROR"
    assert gone[0]["object"]["code"] == 410 and gone[0]["object"]["reason"] == "Expired"
    assert gone[0]["object"]["message"].startswith("too old resource version: 1 (")


async def test_query_flags_and_numbers_convert_as_the_api_server_does(served: Served) -> None:
    """What kube-apiserver v1.36 does with the same queries: a flag is true unless "0" or "false" (any case), even
    when empty; a number that strconv.ParseInt refuses is a 400 in its words."""
    base = "/api/v1/namespaces/default/configmaps?fieldSelector=metadata.name%3Dkube-root-ca.crt&timeoutSeconds=1"
    for value in ("yes", "", "True"):
        assert (await _events(served, f"{base}&watch={value}", 1))[0]["type"] == "ADDED"
    for value in ("FALSE", "0"):
        assert (await served.request("GET", f"{base}&watch={value}"))[1]["kind"] == "ConfigMapList"
    for query, said in (("limit=abc", '"abc"'), ("limit=", '""'), ("limit=%201", '" 1"'), ("timeoutSeconds=x", '"x"')):
        code, body, _ = await served.request("GET", f"/api/v1/namespaces/default/configmaps?{query}")
        assert (code, body["message"]) == (400, f"strconv.ParseInt: parsing {said}: invalid syntax")


async def test_watch_with_selector_sees_objects_leave(served: Served) -> None:
    base = "/api/v1/namespaces/default/configmaps"
    await served.request("POST", base, json={**CM, "metadata": {"name": "c1", "labels": {"keep": "yes"}}})
    watching = asyncio.create_task(_events(served, f"{base}?watch=true&labelSelector=keep%3Dyes", 2))
    await asyncio.sleep(0.2)
    await served.request("PATCH", f"{base}/c1", data=json.dumps({"metadata": {"labels": {"keep": "no"}}}),
                         headers={"Content-Type": "application/strategic-merge-patch+json"})
    events = await asyncio.wait_for(watching, 10)
    assert [e["type"] for e in events] == ["ADDED", "DELETED"]


async def test_patch_types_scale_and_status(served: Served) -> None:
    base = "/api/v1/namespaces/default/configmaps"
    await served.request("POST", base, json=CM)
    ops = [{"op": "add", "path": "/data/b", "value": "2"}]
    code, body, _ = await served.request("PATCH", f"{base}/c1", data=json.dumps(ops),
                                         headers={"Content-Type": "application/json-patch+json"})
    assert code == 200 and body["data"] == {"a": "b", "b": "2"}
    code, body, _ = await served.request("PATCH", f"{base}/c1?fieldManager=me", data="{}",
                                         headers={"Content-Type": "application/apply-patch+yaml"})
    assert code == 400 and body["message"] == "invalid object type: /, Kind="  # server-side apply: tests/test_ssa_*
    deploy = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {
        "replicas": 1, "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "x"}]}}}}
    dbase = "/apis/apps/v1/namespaces/default/deployments"
    assert (await served.request("POST", dbase, json=deploy))[0] == 201
    code, body, _ = await served.request("PATCH", f"{dbase}/web/scale", data=json.dumps({"spec": {"replicas": 4}}),
                                         headers={"Content-Type": "application/merge-patch+json"})
    assert code == 200 and body["kind"] == "Scale" and body["spec"] == {"replicas": 4}
    assert body["status"]["selector"] == "app=web"
    code, body, _ = await served.request("GET", f"{dbase}/web/status")
    assert code == 200 and body["kind"] == "Deployment"
    code, body, _ = await served.request("PUT", f"{dbase}/web/scale", json={
        "kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": {"name": "web"}, "spec": {"replicas": -1}})
    assert code == 422 and body["reason"] == "Invalid"
    # dryRun=All: validated and answered, never stored
    code, body, _ = await served.request("POST", f"{base}?dryRun=All",
                                         json={**CM, "metadata": {"name": "dry"}})
    assert code == 201 and "resourceVersion" not in body["metadata"] and served.cluster.get("cm", "dry") is None


async def test_pod_log_errors(served: Served) -> None:
    code, body, _ = await served.request("GET", "/api/v1/namespaces/default/pods/nope/log")
    assert (code, body["message"]) == (404, 'pods "nope" not found')


def test_credentials_are_private_and_reused(tmp_path: Path) -> None:
    first = load_or_create(tmp_path / "state")
    again = load_or_create(tmp_path / "state")
    assert first == again and len(first.token) >= 32
    path = first.write_kubeconfig("https://127.0.0.1:1234")
    for file in (path, first.server_key, tmp_path / "state" / "ca.key", tmp_path / "state" / "admin-token"):
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    assert "server: https://127.0.0.1:1234" in path.read_text()


def test_only_loopback_and_the_cli_default_port(tmp_path: Path) -> None:
    from engine.apiserver import bind_socket

    with pytest.raises(ValueError, match="loopback"):
        bind_socket(0, "0.0.0.0")
    assert API_PORT == DEFAULT_PORT
    assert ApiServer  # imported for its module's sake: the engine package serves without the UI


def test_protobuf_delete_options() -> None:
    from engine.apiserver.protobuf import MAGIC, delete_options

    def field(number: int, payload: bytes) -> bytes:
        return bytes([number << 3 | 2, len(payload)]) + payload

    options = (bytes([1 << 3, 5]) + field(2, field(1, b"u-1")) + field(4, b"Foreground") + field(5, b"All"))
    envelope = MAGIC + field(1, field(1, b"v1") + field(2, b"DeleteOptions")) + field(2, options)
    assert delete_options(envelope) == {"gracePeriodSeconds": 5, "preconditions": {"uid": "u-1"},
                                        "propagationPolicy": "Foreground", "dryRun": ["All"]}


@pytest.mark.parametrize("path", ["/api/v1", "/apis/apps/v1", "/apis/batch/v1", "/apis/coordination.k8s.io/v1"])
def test_resource_lists_match_a_real_api_server(path: str, real_kubeconfig: Path) -> None:
    """Every resource and subresource served is listed exactly as kube-apiserver lists it (its storage hash
    aside); the real server lists more (what k9py does not serve)."""
    from engine.apiserver import discovery
    from engine.kinds import REGISTRY

    assert KUBECTL is not None
    real = subprocess.run([KUBECTL, f"--kubeconfig={real_kubeconfig}", "get", "--raw", path],
                          capture_output=True, text=True, timeout=30, check=True)
    theirs = {r["name"]: r for r in json.loads(real.stdout)["resources"]}
    group, _, version = path.removeprefix("/api/").removeprefix("/apis/").rpartition("/")
    ours = discovery.resource_list(REGISTRY, group, version)
    assert ours is not None
    for resource in ours["resources"]:
        expected = {k: v for k, v in theirs.get(resource["name"], {}).items() if k != "storageVersionHash"}
        assert resource == expected
