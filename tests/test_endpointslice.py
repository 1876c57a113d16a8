"""Scenario: EndpointSlices on the virtual clock, as the EndpointSlice controller and the mirroring controller keep
them (`k/k pkg/controller/endpointslice/endpointslice_controller.go`, `staging/src/k8s.io/endpointslice/
reconciler.go` and `utils.go`, `pkg/controller/endpointslicemirroring/`), with the kind's validation
(`pkg/apis/discovery/validation/validation.go`) and kubectl's columns and describe. Expected texts were checked
against a real v1.36 control plane."""

from __future__ import annotations

from typing import Any

import manifests
import pytest

from engine import podutil
from engine.cluster import Cluster
from engine.controllers.endpointslice import EndpointSliceController
from engine.errors import ApiError

Obj = dict[str, Any]
MANAGED_BY = "endpointslice.kubernetes.io/managed-by"


def web(replicas: int = 3, *, name: str = "web", ports: list[Obj] | None = None, **annotations: str) -> Obj:
    container = {"name": "app", "image": "nginx:1.27",
                 "ports": ports if ports is not None else [{"containerPort": 80, "name": "http"}],
                 "readinessProbe": {"httpGet": {"path": "/", "port": 80}, "periodSeconds": 5}}
    return manifests.deployment(name, replicas=replicas, containers=[container],
                                pod_annotations={f"sim.k9py.io/{k.replace('_', '-')}": v
                                                 for k, v in annotations.items()})


def service(name: str = "web", *, selector: dict[str, str] | None = None, labels: dict[str, str] | None = None,
            **spec: Any) -> Obj:
    spec.setdefault("ports", [{"name": "http", "port": 80, "targetPort": "http", "appProtocol": "http"},
                              {"name": "other", "port": 81, "targetPort": 8081}])
    if selector is not None or "selector" not in spec:
        spec["selector"] = selector if selector is not None else {"app": name}
    meta: Obj = {"name": name, "namespace": "default"}
    if labels:
        meta["labels"] = labels
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": spec}


def slices(c: Cluster, svc: str = "web") -> list[Obj]:
    return c.list("endpointslices", "default", selector=f"kubernetes.io/service-name={svc}")


def endpoints(c: Cluster, svc: str = "web") -> list[Obj]:
    return [e for s in slices(c, svc) for e in s.get("endpoints") or ()]


def conditions(c: Cluster, svc: str = "web") -> dict[str, Obj]:
    return {e["targetRef"]["name"]: e["conditions"] for e in endpoints(c, svc)}


async def test_a_service_gets_a_slice_named_after_it_owned_by_it_with_upstreams_port_order() -> None:
    """newEndpointSlice: generateName `<svc>-`, the two labels, a controller reference to the Service; ports are
    sorted as NewPortMapKey sorts them (`8081,80` on a real cluster too); each endpoint names its pod and node."""
    async with Cluster(nodes=3) as c:
        await c.apply([web(), service()])
        await c.run_for(30)
        [eps] = slices(c)
        meta, svc = eps["metadata"], c.get("svc", "web")
        assert meta["generateName"] == "web-" and meta["name"].startswith("web-") and len(meta["name"]) == 9
        assert meta["labels"] == {"kubernetes.io/service-name": "web", MANAGED_BY: "endpointslice-controller.k8s.io"}
        assert meta["ownerReferences"] == [{"apiVersion": "v1", "kind": "Service", "name": "web",
                                            "uid": svc["metadata"]["uid"], "controller": True,
                                            "blockOwnerDeletion": True}]
        assert "endpoints.kubernetes.io/last-change-trigger-time" in meta["annotations"]
        assert eps["addressType"] == "IPv4"
        assert eps["ports"] == [{"name": "other", "port": 8081, "protocol": "TCP"},
                                {"name": "http", "port": 80, "protocol": "TCP", "appProtocol": "http"}]
        pods = {p["metadata"]["name"]: p for p in c.list("pods", "default", selector="app=web")}
        assert len(eps["endpoints"]) == 3
        for endpoint in eps["endpoints"]:
            pod = pods[endpoint["targetRef"]["name"]]
            assert endpoint == {
                "addresses": [pod["status"]["podIP"]],
                "conditions": {"ready": True, "serving": True, "terminating": False},
                "nodeName": pod["spec"]["nodeName"],
                "targetRef": {"kind": "Pod", "namespace": "default", "name": pod["metadata"]["name"],
                              "uid": pod["metadata"]["uid"]}}
        assert "hints" not in eps["endpoints"][0] and "zone" not in eps["endpoints"][0]
        columns, rows = c.table("endpointslices", "default")
        assert columns == ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"]
        addresses = ",".join(e["addresses"][0] for e in eps["endpoints"])
        assert [meta["name"], "IPv4", "8081,80", addresses, "30s"] in rows
        # The API server's own slice stands beside it.
        assert ["kubernetes", "IPv4", "6443", "172.18.0.2", "30s"] in rows


async def test_conditions_follow_readiness_and_termination() -> None:
    """podToEndpoint: serving is the pod's readiness, terminating its deletion, ready is serving and not
    terminating; a terminating pod stays listed (ShouldPodBeInEndpoints with includeTerminating) until it is gone."""
    async with Cluster(nodes=2) as c:
        await c.apply([web(2, start_seconds="20", stop_seconds="20"), service()])
        await c.run_for(8)
        assert set(map(str, conditions(c).values())) == {str({"ready": False, "serving": False,
                                                              "terminating": False})}
        await c.run_for(30)
        assert all(cond == {"ready": True, "serving": True, "terminating": False} for cond in conditions(c).values())
        name = sorted(conditions(c))[0]
        await c.delete("pod", name)
        await c.run_for(2)
        # serving follows the pod's Ready condition (which k9py's kubelet drops as it starts killing the
        # containers; a real kubelet keeps probing until they stop).
        pod = c.get("pod", name)
        assert conditions(c)[name] == {"ready": False, "serving": podutil.is_ready(pod), "terminating": True}
        await c.run_for(60)
        assert name not in conditions(c)


async def test_publish_not_ready_addresses_makes_every_endpoint_ready() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply([web(2, readiness="fail"), service(publishNotReadyAddresses=True)])
        await c.run_for(30)
        assert list(conditions(c).values()) == [{"ready": True, "serving": False, "terminating": False}] * 2


async def test_a_hundred_endpoints_per_slice_and_a_placeholder_when_none_is_left() -> None:
    """maxEndpointsPerSlice (100): 150 pods fill one slice and start a second; with none left, one slice stays,
    empty (the placeholder: recycled rather than deleted and created anew)."""
    async with Cluster(nodes=5, node_pods=110) as c:
        await c.apply([web(150), service()])
        await c.run_for(60)
        # How they pack depends on how the pods arrived (150 at once would be 100 + 50): no slice holds more than
        # 100, and new endpoints that do not fit the slice closest to full start another.
        counts = [len(s["endpoints"]) for s in slices(c)]
        assert len(counts) == 2 and sum(counts) == 150 and max(counts) <= 100
        names = {s["metadata"]["name"] for s in slices(c)}
        await c.scale("deploy", "web", 0)
        await c.run_for(120)
        [placeholder] = slices(c)
        assert placeholder["metadata"]["name"] in names
        assert placeholder["endpoints"] is None and placeholder["ports"] is None
        row = next(r for r in c.table("endpointslices", "default")[1] if r[0] == placeholder["metadata"]["name"])
        assert row[1:4] == ["IPv4", "<unset>", "<unset>"]


async def test_a_service_without_pods_has_a_placeholder_and_its_slices_go_with_it() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(service("lonely", labels={"team": "a"}))
        await c.run_for(1)
        [eps] = slices(c, "lonely")
        assert eps["metadata"]["labels"]["team"] == "a" and eps["endpoints"] is None and eps["ports"] is None
        assert eps["metadata"]["generation"] == 1
        await c.delete("svc", "lonely")
        await c.run_for(5)
        assert slices(c, "lonely") == []


async def test_service_labels_are_copied_and_a_headless_service_is_marked() -> None:
    """setEndpointSliceLabels: the Service's labels (reserved ones aside) and service.kubernetes.io/headless."""
    async with Cluster(nodes=1) as c:
        await c.apply([web(1), service(labels={"tier": "front"}), service("db", selector={"app": "web"},
                                                                          clusterIP="None", ports=[])])
        await c.run_for(20)
        assert slices(c)[0]["metadata"]["labels"]["tier"] == "front"
        await c.patch("svc", "web", {"metadata": {"labels": {"tier": "back"}}})
        await c.run_for(1)
        assert slices(c)[0]["metadata"]["labels"]["tier"] == "back"
        [db] = slices(c, "db")
        assert db["metadata"]["labels"]["service.kubernetes.io/headless"] == ""
        assert db["ports"] is None and len(db["endpoints"]) == 1


async def test_statefulset_pods_carry_their_hostname() -> None:
    """ShouldSetHostname: a pod whose subdomain is the Service's name is published under its hostname."""
    sts = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "namespace": "default"},
           "spec": {"serviceName": "db", "replicas": 2, "selector": {"matchLabels": {"app": "db"}},
                    "template": {"metadata": {"labels": {"app": "db"}},
                                 "spec": {"containers": [{"name": "pg", "image": "postgres:16"}]}}}}
    async with Cluster(nodes=2) as c:
        await c.apply([sts, service("db", clusterIP="None", ports=[{"port": 5432}])])
        await c.run_for(60)
        assert sorted(e.get("hostname") for e in endpoints(c, "db")) == ["db-0", "db-1"]
        assert "Hostname:   db-0" in c.describe("endpointslices", slices(c, "db")[0]["metadata"]["name"])


async def test_pods_offering_different_ports_get_slices_of_their_own() -> None:
    """Endpoints group by the ports each pod resolves (FindPort of a named targetPort), one slice per group."""
    async with Cluster(nodes=2) as c:
        a = web(1, name="a", ports=[{"containerPort": 8080, "name": "http"}])
        b = web(1, name="b", ports=[{"containerPort": 9090, "name": "http"}])
        for d in (a, b):
            d["spec"]["template"]["metadata"]["labels"]["tier"] = "web"
        await c.apply([a, b, service("web", selector={"tier": "web"}, ports=[{"name": "http", "port": 80,
                                                                              "targetPort": "http"}])])
        await c.run_for(30)
        assert sorted((s["ports"][0]["port"], len(s["endpoints"])) for s in slices(c)) == [(8080, 1), (9090, 1)]


async def test_a_slice_deleted_by_hand_comes_back() -> None:
    """onEndpointSliceDelete: a managed slice deleted by someone else queues its Service (after 1 s)."""
    async with Cluster(nodes=1) as c:
        await c.apply([web(1), service()])
        await c.run_for(20)
        [eps] = slices(c)
        await c.delete("endpointslices", eps["metadata"]["name"])
        await c.run_for(2)
        [again] = slices(c)
        assert again["metadata"]["name"] != eps["metadata"]["name"] and len(again["endpoints"]) == 1


async def test_a_pod_on_a_node_that_is_gone_is_left_out_with_upstreams_event() -> None:
    async with Cluster(nodes=2) as c:
        await c.apply([web(2), service()])
        await c.run_for(30)
        pod = c.list("pods", "default", selector="app=web")[0]
        node = pod["spec"]["nodeName"]
        await c.delete("node", node)
        await c.scale("deploy", "web", 3)  # any change to the Service's pods syncs it again
        await c.run_for(3)
        assert pod["metadata"]["name"] not in conditions(c)
        messages = [e["message"] for e in c.events("default", c.get("svc", "web"))
                    if e["reason"] == "FailedToUpdateEndpointSlices"]
        assert messages[0] == (f"Error updating Endpoint Slices for Service default/web: skipping Pod "
                               f"{pod['metadata']['name']} for Service default/web: Node {node} Not Found")


async def test_services_without_selector_get_their_endpoints_mirrored() -> None:
    """endpointslicemirroring: the user's Endpoints become a slice managed by the mirroring controller, with their
    labels and annotations (not the last-applied configuration), ready and not-ready addresses; a skip-mirror label
    or a selector on the Service removes it."""
    manual = {"apiVersion": "v1", "kind": "Endpoints",
              "metadata": {"name": "ext", "namespace": "default", "labels": {"foo": "bar"}, "annotations": {"x": "z"}},
              "subsets": [{"addresses": [{"ip": "10.1.2.3"}, {"ip": "10.1.2.4", "hostname": "h"}],
                           "notReadyAddresses": [{"ip": "10.1.2.5"}],
                           "ports": [{"port": 8080, "name": "web"}, {"port": 9090, "name": "m",
                                                                     "appProtocol": "http"}]}]}
    async with Cluster(nodes=1) as c:
        await c.apply([service("ext", selector={}, ports=[{"port": 80}]), manual])
        await c.run_for(1)
        [eps] = slices(c, "ext")
        meta = eps["metadata"]
        assert meta["labels"] == {"foo": "bar", "kubernetes.io/service-name": "ext",
                                  MANAGED_BY: "endpointslicemirroring-controller.k8s.io"}
        assert meta["annotations"] == {"x": "z"}
        assert meta["ownerReferences"][0]["kind"] == "Endpoints"
        assert [p["name"] for p in eps["ports"]] == ["m", "web"]
        assert [(e["addresses"][0], e["conditions"]) for e in eps["endpoints"]] == [
            ("10.1.2.3", {"ready": True}), ("10.1.2.4", {"ready": True}), ("10.1.2.5", {"ready": False})]
        assert c.table("endpointslices", "default")[1][-1][2:4] == ["9090,8080", "10.1.2.3,10.1.2.4,10.1.2.5"] or \
            any(r[2:4] == ["9090,8080", "10.1.2.3,10.1.2.4,10.1.2.5"] for r in c.table("endpointslices", "default")[1])
        await c.patch("endpoints", "ext", {"metadata": {"labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}}})
        await c.run_for(1)
        assert slices(c, "ext") == []
        await c.patch("endpoints", "ext", {"metadata": {"labels": {"endpointslice.kubernetes.io/skip-mirror": None}}})
        await c.run_for(1)
        assert len(slices(c, "ext")) == 1
        await c.patch("svc", "ext", {"spec": {"selector": {"app": "nothing"}}})
        await c.run_for(1)
        [own] = slices(c, "ext")
        assert own["metadata"]["labels"][MANAGED_BY] == "endpointslice-controller.k8s.io"


async def test_describe_endpointslice_as_kubectl_prints_it() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply([web(1), service(ports=[{"port": 80}])])
        await c.run_for(20)
        [eps] = slices(c)
        pod = c.list("pods", "default", selector="app=web")[0]
        text = c.describe("endpointslices", eps["metadata"]["name"])
        trigger = eps["metadata"]["annotations"]["endpoints.kubernetes.io/last-change-trigger-time"]
        assert text == (
            f"Name:         {eps['metadata']['name']}\n"
            "Namespace:    default\n"
            "Labels:       endpointslice.kubernetes.io/managed-by=endpointslice-controller.k8s.io\n"
            "              kubernetes.io/service-name=web\n"
            f"Annotations:  endpoints.kubernetes.io/last-change-trigger-time: {trigger}\n"
            "AddressType:  IPv4\n"
            "Ports:\n"
            "  Name     Port  Protocol\n"
            "  ----     ----  --------\n"
            "  <unset>  80    TCP\n"
            "Endpoints:\n"
            f"  - Addresses:  {pod['status']['podIP']}\n"
            "    Conditions:\n"
            "      Ready:    true\n"
            "    Hostname:   <unset>\n"
            f"    TargetRef:  Pod/{pod['metadata']['name']}\n"
            "    NodeName:   node-1\n"
            "    Zone:       <unset>\n"
            "Events:         <none>\n")
        await c.apply(service("empty", selector={"app": "none"}, ports=[{"port": 1}]))
        await c.run_for(1)
        text = c.describe("endpointslices", slices(c, "empty")[0]["metadata"]["name"])
        assert text.endswith("AddressType:  IPv4\nPorts: <unset>\nEndpoints: <none>\nEvents:  <none>\n")


async def rejected(c: Cluster, obj: Obj) -> str:
    with pytest.raises(ApiError) as info:
        await c.apply(obj)
    return info.value.message


async def test_validation_speaks_like_the_api_server() -> None:
    def eps(name: str, **fields: Any) -> Obj:
        return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": {"name": name, "namespace": "default"}, **fields}

    async with Cluster(nodes=1) as c:
        assert await rejected(c, eps("a", endpoints=[{"addresses": ["10.0.0.1"]}])) == \
            'EndpointSlice.discovery.k8s.io "a" is invalid: addressType: Required value'
        assert await rejected(c, eps("b", addressType="IPv5")) == (
            'EndpointSlice.discovery.k8s.io "b" is invalid: addressType: Unsupported value: "IPv5": supported values: '
            '"FQDN", "IPv4", "IPv6"')
        message = await rejected(c, eps("c", addressType="IPv4", endpoints=[
            {"addresses": []}, {"addresses": ["10.0.0.300", "::1", "169.254.1.1"]}],
            ports=[{"name": "x", "protocol": "XTP"}, {"name": "x"}]))
        assert message == (
            'EndpointSlice.discovery.k8s.io "c" is invalid: [ports[0].protocol: Unsupported value: "XTP": supported '
            'values: "SCTP", "TCP", "UDP", ports[1].name: Duplicate value: "x", endpoints[0].addresses: Required '
            'value: must contain at least 1 address, endpoints[1].addresses[0]: Invalid value: "10.0.0.300": must be '
            'a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff), endpoints[1].addresses: Invalid value: "::1": '
            'must be an IPv4 address, endpoints[1].addresses[1]: Invalid value: "::1": may not be in the loopback '
            'range (127.0.0.0/8, ::1/128), endpoints[1].addresses[2]: Invalid value: "169.254.1.1": may not be in '
            'the link-local range (169.254.0.0/16, fe80::/10)]')
        made = await c.apply(eps("d", addressType="IPv4", endpoints=[], ports=[{"port": 1}]))
        assert made[0]["ports"] == [{"name": "", "port": 1, "protocol": "TCP"}] and made[0]["endpoints"] is None
        assert await rejected(c, eps("d", addressType="IPv6")) == (
            'EndpointSlice.discovery.k8s.io "d" is invalid: addressType: Invalid value: "IPv6": field is immutable')
        updated = await c.apply(eps("d", addressType="IPv4", endpoints=[{"addresses": ["10.0.0.9"]}],
                                    ports=[{"port": 1}]))
        assert updated[0]["metadata"]["generation"] == 2
        relabelled = await c.patch("endpointslices", "d", {"metadata": {"labels": {"a": "b"}}})
        assert relabelled["metadata"]["generation"] == 2  # metadata alone leaves generation alone


async def test_slices_do_not_shift_the_clusters_seeded_names() -> None:
    """Slices draw their names and uids from a random source of their own: pods created after Services get the
    names they would have had without the EndpointSlice controller."""
    async def pod_names(with_slices: bool) -> list[str]:
        c = Cluster(nodes=1)
        if not with_slices:
            controller = c.components.get(EndpointSliceController)
            c.manager.controllers.remove(controller)
            for listeners in c.manager._by_resource.values():
                if controller in listeners:
                    listeners.remove(controller)
        async with c:
            await c.apply([service(f"s{i}", selector={"app": "web"}) for i in range(3)])
            await c.run_for(1)
            await c.apply(web(2))
            await c.run_for(5)
            assert len(c.list("endpointslices", "default")) == (4 if with_slices else 1)
            return sorted(p["metadata"]["name"] for p in c.list("pods", "default") if podutil.is_active(p))

    assert await pod_names(True) == await pod_names(False)
