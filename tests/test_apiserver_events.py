"""events.k8s.io/v1 Events, a view over the engine's core/v1 Events (one storage, as in kube-apiserver). The
shapes were taken from a real v1.36 kube-apiserver: the same Event read through both groups."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from test_apiserver_kit import DEPLOYMENT_YAML, Served, needs_kubectl, served

pytestmark = needs_kubectl
__all__ = ["served"]

EVENTS = "/apis/events.k8s.io/v1/namespaces/default/events"


async def _scaled(served: Served) -> dict[str, Any]:
    """The Deployment controller's `ScalingReplicaSet` event, as core/v1 stores it."""
    await served.ok("apply", "-f", "-", stdin=DEPLOYMENT_YAML)
    await served.wait_for(lambda: any(e["reason"] == "ScalingReplicaSet" for e in served.cluster.events("default")))
    [core] = [e for e in served.cluster.list("events", "default") if e["reason"] == "ScalingReplicaSet"]
    return core


async def test_discovery_lists_the_group_as_kube_apiserver(served: Served) -> None:
    _, listed, _ = await served.request("GET", "/apis/events.k8s.io/v1")
    assert listed["resources"] == [{"name": "events", "singularName": "event", "namespaced": True, "kind": "Event",
                                    "verbs": ["create", "delete", "deletecollection", "get", "list", "patch",
                                              "update", "watch"], "shortNames": ["ev"]}]
    _, groups, _ = await served.request("GET", "/apis")
    names = [g["name"] for g in groups["groups"]]
    assert names.index("apps") + 1 == names.index("events.k8s.io")  # kube-apiserver's group priority


async def test_a_core_event_seen_through_events_k8s_io(served: Served) -> None:
    core = await _scaled(served)
    name = core["metadata"]["name"]
    code, event, _ = await served.request("GET", f"{EVENTS}/{name}")
    assert code == 200
    # Field for field, in the order kube-apiserver writes them; core-only names renamed, the deprecated ones kept.
    assert list(event) == ["kind", "apiVersion", "metadata", "eventTime", *(
        ["reportingController"] if core.get("reportingComponent") else []), "reason", "regarding", "note", "type",
        "deprecatedSource", "deprecatedFirstTimestamp", "deprecatedLastTimestamp", "deprecatedCount"]
    # The same metadata, with the managedFields a read shows (the controller's, built when read), as core/v1's.
    _, read_as_core, _ = await served.request("GET", f"/api/v1/namespaces/default/events/{name}")
    assert event["apiVersion"] == "events.k8s.io/v1" and event["metadata"] == read_as_core["metadata"]
    assert (event["regarding"], event["note"], event["deprecatedSource"], event["deprecatedCount"]) == (
        core["involvedObject"], core["message"], core["source"], core["count"])
    assert (event["deprecatedFirstTimestamp"], event["deprecatedLastTimestamp"], event["eventTime"]) == (
        core["firstTimestamp"], core["lastTimestamp"], None)

    code, listed, _ = await served.request(
        "GET", f"{EVENTS}?fieldSelector=regarding.kind=Deployment,regarding.name=web&limit=1")
    assert code == 200 and (listed["kind"], listed["apiVersion"]) == ("EventList", "events.k8s.io/v1")
    [item] = listed["items"]
    assert "kind" not in item and item["note"] == core["message"]  # list items carry no type, as upstream's
    _, everywhere, _ = await served.request("GET", "/apis/events.k8s.io/v1/events?limit=2")
    assert len(everywhere["items"]) == 2 and everywhere["metadata"]["continue"]


async def test_kubectl_get_and_watch(served: Served) -> None:
    core = await _scaled(served)
    table = (await served.ok("get", "events.events.k8s.io")).splitlines()
    assert table[0].split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert any(core["message"] in line and "deployment/web" in line for line in table[1:])
    as_json = json.loads(await served.ok("get", "events.events.k8s.io", core["metadata"]["name"], "-o", "json"))
    assert as_json["note"] == core["message"]
    explained = await served.ok("explain", "events.regarding", "--api-version=events.k8s.io/v1")
    assert explained.startswith("GROUP:      events.k8s.io\nKIND:       Event\nVERSION:    v1\n\n"
                                "FIELD: regarding <ObjectReference>\n")
    # A watch converts each object too.
    watch = asyncio.create_task(served.request("GET", f"{EVENTS}?watch=1&timeoutSeconds=3"))
    await asyncio.sleep(0.5)
    await served.ok("scale", "deploy/web", "--replicas=3")
    code, body, _ = await watch
    events = [json.loads(line) for line in body.splitlines()]
    assert code == 200 and events and all(e["object"]["apiVersion"] == "events.k8s.io/v1" for e in events)
    assert any("to 3" in e["object"].get("note", "") for e in events)


def _new_event(**extra: Any) -> dict[str, Any]:
    return {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "e2"},
            "eventTime": "2026-12-02T04:46:52.367622Z", "reportingController": "example.com/ctl",
            "reportingInstance": "i-1", "action": "Act", "reason": "Why", "type": "Normal", "note": "hello",
            "regarding": {"kind": "Pod", "name": "p", "namespace": "default"}, **extra}


async def test_writes_go_to_the_core_event(served: Served) -> None:
    code, created, _ = await served.request("POST", EVENTS, json=_new_event())
    assert code == 201 and created["note"] == "hello" and created["deprecatedSource"] == {}
    core = served.cluster.get("event", "e2")
    assert (core["involvedObject"], core["message"], core["reportingComponent"], core["action"]) == (
        {"kind": "Pod", "name": "p", "namespace": "default"}, "hello", "example.com/ctl", "Act")
    code, patched, _ = await served.request("PATCH", f"{EVENTS}/e2", json={"note": "changed"},
                                            headers={"Content-Type": "application/merge-patch+json"})
    assert code == 200 and patched["note"] == "changed" and served.cluster.get("event", "e2")["message"] == "changed"
    code, body, _ = await served.request("DELETE", f"{EVENTS}/e2")
    assert code == 200 and body["details"] == {"name": "e2", "group": "events.k8s.io", "kind": "events",
                                               "uid": core["metadata"]["uid"]}
    assert served.cluster.get("event", "e2") is None

    # What kube-apiserver says of an Event created through events.k8s.io/v1 with nothing set (outside `default`,
    # where an unset involvedObject.namespace would be allowed).
    code, body, _ = await served.request("POST", EVENTS.replace("default", "kube-system"), json={
        "apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "e1"}})
    assert (code, body["message"]) == (422, 'Event "e1" is invalid: [involvedObject.namespace: Invalid value: "": '
                                            'does not match event.namespace, eventTime: Required value, type: '
                                            'Invalid value: "": has invalid value: ]')
    assert [c["reason"] for c in body["details"]["causes"]] == ["FieldValueInvalid", "FieldValueRequired",
                                                               "FieldValueInvalid"]
