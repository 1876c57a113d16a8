"""Scenario: Services, Endpoints, ConfigMaps and Secrets on the virtual clock (k8s-semantics §5)."""

from __future__ import annotations

import ipaddress
from typing import Any

import manifests
import pytest

from engine import podutil
from engine.cluster import Cluster
from engine.errors import ApiError
from engine.manifests.diff import diff

Obj = dict[str, Any]
SERVICE_RANGE = ipaddress.ip_network("10.96.0.0/12")


def web(replicas: int = 3, *, name: str = "web", start_seconds: str | None = None, port_name: str = "http",
        container_port: int = 8080, readiness: str | None = None) -> Obj:
    annotations = {}
    if start_seconds:
        annotations["sim.k9py.io/start-seconds"] = start_seconds
    if readiness:
        annotations["sim.k9py.io/readiness"] = readiness
    container = {"name": "app", "image": "nginx:1.27", "ports": [{"containerPort": container_port, "name": port_name}],
                 "readinessProbe": {"httpGet": {"path": "/", "port": container_port}, "periodSeconds": 5}}
    return manifests.deployment(name, replicas=replicas, pod_annotations=annotations, containers=[container])


def service(name: str = "web", *, selector: dict[str, str] | None = None, **spec: Any) -> Obj:
    spec.setdefault("ports", [{"port": 80, "targetPort": "http"}])
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "default"},
            "spec": {"selector": selector if selector is not None else {"app": name}, **spec}}


def endpoints(c: Cluster, name: str = "web") -> Obj | None:
    return c.get("endpoints", name)


def ips(subset_list: list[Obj] | None, field: str = "addresses") -> list[str]:
    return sorted(a["ip"] for s in subset_list or [] for a in s.get(field) or [])


def pod_ips(c: Cluster, app: str = "web", ready: bool | None = None) -> list[str]:
    pods = [p for p in c.list("pods", "default", selector=f"app={app}") if podutil.is_active(p)]
    return sorted(p["status"]["podIP"] for p in pods if ready is None or podutil.is_ready(p) == ready)


def row(c: Cluster, kind: str, name: str, wide: bool = False) -> list[str]:
    """The `kubectl get` row of one object in `default` (which also holds the `kubernetes` Service)."""
    return next(r for r in c.table(kind, "default", wide=wide)[1] if r[0] == name)


async def rejected(c: Cluster, obj: Obj) -> str:
    with pytest.raises(ApiError) as info:
        await c.apply(obj)
    return info.value.message


# --- Services ----------------------------------------------------------------------------------------------------


async def test_the_kubernetes_service_points_at_the_api_server() -> None:
    async with Cluster(nodes=1) as c:
        svc = c.get("svc", "kubernetes")
        assert svc["spec"]["clusterIP"] == "10.96.0.1" and svc["spec"]["ports"][0]["targetPort"] == 6443
        assert svc["metadata"]["labels"] == {"component": "apiserver", "provider": "kubernetes"}
        assert c.table("ep", "default")[1] == [["kubernetes", "172.18.0.2:6443", "0s"]]
        await c.run_for(60)
        assert c.get("ep", "kubernetes")["subsets"][0]["addresses"] == [{"ip": "172.18.0.2"}]


async def test_a_service_is_defaulted_and_gets_a_cluster_ip_from_the_service_range() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(service("a", ports=[{"port": 80}]))
        await c.apply(service("b", ports=[{"port": 80}]))
        a, b = c.get("svc", "a"), c.get("svc", "b")
        spec = a["spec"]
        assert ipaddress.ip_address(spec["clusterIP"]) in SERVICE_RANGE
        assert spec["clusterIP"] not in ("10.96.0.1", b["spec"]["clusterIP"])
        assert spec["clusterIPs"] == [spec["clusterIP"]]
        assert spec["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 80}]
        assert {k: spec[k] for k in ("type", "sessionAffinity", "ipFamilies", "ipFamilyPolicy",
                                     "internalTrafficPolicy")} == {
            "type": "ClusterIP", "sessionAffinity": "None", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
            "internalTrafficPolicy": "Cluster"}
        assert "externalTrafficPolicy" not in spec and "generation" not in a["metadata"]
        assert a["status"] == {"loadBalancer": {}}
        assert c.health("svc", "a") == ("Healthy", "")


async def test_a_requested_cluster_ip_must_be_free_and_in_range() -> None:
    async with Cluster(nodes=1) as c:
        message = await rejected(c, service("taken", clusterIP="10.96.0.1"))
        assert message == ('Service "taken" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.1"}: '
                           "failed to allocate IP 10.96.0.1: provided IP is already allocated")
        message = await rejected(c, service("outside", clusterIP="10.0.0.5"))
        assert message == ('Service "outside" is invalid: spec.clusterIPs: Invalid value: []string{"10.0.0.5"}: '
                           "failed to allocate IP 10.0.0.5: the provided IP (10.0.0.5) is not in the valid range. "
                           "The range of valid IPs is 10.96.0.0/12")
        await c.apply(service("pinned", clusterIP="10.96.100.100"))
        assert c.get("svc", "pinned")["spec"]["clusterIPs"] == ["10.96.100.100"]
        await c.delete("svc", "pinned")
        await c.apply(service("again", clusterIP="10.96.100.100"))  # freed with its Service


async def test_the_cluster_ip_may_not_change_once_set() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(service())
        ip = c.get("svc", "web")["spec"]["clusterIP"]
        message = await rejected(c, service(clusterIP="10.96.7.7"))
        assert message == ('Service "web" is invalid: spec.clusterIPs[0]: Invalid value: []string{"10.96.7.7"}: '
                           "may not change once set")
        live = c.get("svc", "web")
        live["spec"]["clusterIPs"] = ["10.96.7.7"]
        with pytest.raises(ApiError, match=r"spec.clusterIPs\[0\]: .*may not change once set"):
            await c.update(live)
        # Leaving the allocated IP out (re-applying the manifest, an empty clusterIP) keeps it.
        await c.apply(service(ports=[{"port": 81, "targetPort": "http"}]))
        await c.apply(service(clusterIP="", ports=[{"port": 82, "targetPort": "http"}]))
        assert c.get("svc", "web")["spec"]["clusterIPs"] == [ip]


@pytest.mark.parametrize(("spec", "message"), [
    ({"ports": []}, "spec.ports: Required value"),
    ({"ports": [{"port": 0}]}, "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive"),
    ({"ports": [{"port": 80, "protocol": "HTTP"}]},
     'spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"'),
    ({"type": "Internal"},
     'spec.type: Unsupported value: "Internal": supported values: "ClusterIP", "ExternalName", "LoadBalancer", '
     '"NodePort"'),
    ({"ports": [{"port": 80, "targetPort": 70000}]},
     "spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive"),
    ({"ports": [{"port": 80, "targetPort": "8080"}]},
     'spec.ports[0].targetPort: Invalid value: "8080": must contain at least one letter (a-z)'),
    ({"ports": [{"port": 80}, {"port": 81}]}, "spec.ports[0].name: Required value"),
    ({"ports": [{"port": 80, "nodePort": 30001}]},
     "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"),
    ({"selector": {"app": "-x-"}}, 'spec.selector: Invalid value: "-x-": a valid label must be'),
    ({"type": "ExternalName", "ports": []}, "spec.externalName: Required value"),
    ({"type": "NodePort", "clusterIP": "None"},
     "spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services"),
])
async def test_service_validation(spec: Obj, message: str) -> None:
    async with Cluster(nodes=1) as c:
        obj = service(**spec)
        if "selector" in spec:
            obj["spec"]["selector"] = spec["selector"]
        assert message in await rejected(c, obj)


async def test_service_names_are_rfc1123_labels() -> None:
    """v1.36 validates Service names as RFC 1123 labels (RelaxedServiceNameValidation): `1st` is a name now, dots
    and capitals are not (pkg/apis/core/validation ValidateServiceName; checked in test_admission_compare.py)."""
    async with Cluster(nodes=1) as c:
        await c.create(service("1st"))
        assert 'metadata.name: Invalid value: "web.v2": must not contain dots' in await rejected(c, service("web.v2"))
        assert "a lowercase RFC 1123 label must consist of" in await rejected(c, service("Web"))


# --- node ports and load balancers -------------------------------------------------------------------------------


async def test_node_ports_are_allocated_and_conflicts_are_refused_with_the_allocator_message() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(service("auto", type="NodePort"))
        port = c.get("svc", "auto")["spec"]["ports"][0]
        assert 30000 <= port["nodePort"] <= 32767
        assert c.get("svc", "auto")["spec"]["externalTrafficPolicy"] == "Cluster"
        await c.apply(service("fixed", type="NodePort", ports=[{"port": 80, "targetPort": "http", "nodePort": 30080}]))
        assert row(c, "svc", "fixed")[3:5] == ["<none>", "80:30080/TCP"]
        message = await rejected(c, service("clash", type="NodePort",
                                            ports=[{"port": 80, "targetPort": "http", "nodePort": 30080}]))
        assert message == ('Service "clash" is invalid: spec.ports[0].nodePort: Invalid value: 30080: '
                           "provided port is already allocated")
        message = await rejected(c, service("far", type="NodePort",
                                            ports=[{"port": 80, "targetPort": "http", "nodePort": 40000}]))
        assert message == ('Service "far" is invalid: spec.ports[0].nodePort: Invalid value: 40000: provided port is '
                           "not in the valid range. The range of valid ports is 30000-32767")
        assert c.get("svc", "clash") is None and c.get("svc", "far") is None


async def test_an_allocated_node_port_survives_reapply_and_is_not_drift() -> None:
    async with Cluster(nodes=1) as c:
        declared = service(type="NodePort")
        await c.apply(declared)
        node_port = c.get("svc", "web")["spec"]["ports"][0]["nodePort"]
        await c.apply(declared)
        live = c.get("svc", "web")
        assert live["spec"]["ports"][0]["nodePort"] == node_port
        assert diff(declared, live) == []
        # Back to ClusterIP: the node port is released and the external traffic policy dropped.
        await c.apply(service())
        spec = c.get("svc", "web")["spec"]
        assert "nodePort" not in spec["ports"][0] and "externalTrafficPolicy" not in spec


async def test_a_load_balancer_of_another_class_stays_pending() -> None:
    """k9py's service controller (tests/test_service_lb.py) leaves a class it does not implement to its owner."""
    async with Cluster(nodes=1) as c:
        await c.apply(service("lb", type="LoadBalancer", loadBalancerClass="example.com/elsewhere"))
        await c.run_for(300)
        svc = c.get("svc", "lb")
        assert svc["spec"]["allocateLoadBalancerNodePorts"] is True and svc["spec"]["ports"][0]["nodePort"]
        assert row(c, "svc", "lb")[3] == "<pending>"
        assert c.health("svc", "lb") == ("Progressing", "")


# --- Endpoints ---------------------------------------------------------------------------------------------------


async def test_endpoints_follow_readiness() -> None:
    async with Cluster(nodes=3) as c:
        await c.apply(web(start_seconds="10s"))
        await c.apply(service())
        await c.run_for(5)
        ep = endpoints(c)
        assert ep is not None and ep["metadata"].get("labels") is None and "ownerReferences" not in ep["metadata"]
        assert ips(ep.get("subsets"), "notReadyAddresses") == pod_ips(c) and len(pod_ips(c)) == 3
        assert ips(ep.get("subsets")) == []
        assert row(c, "ep", "web")[1] == ""  # subsets, but nothing ready to list
        await c.run_for(15)
        ep = endpoints(c)
        assert ips(ep["subsets"]) == pod_ips(c, ready=True) and len(ips(ep["subsets"])) == 3
        subset = ep["subsets"][0]
        assert "notReadyAddresses" not in subset and subset["ports"] == [{"port": 8080, "protocol": "TCP"}]
        pod = next(p for p in c.list("pods", "default", selector="app=web") if p["status"]["podIP"]
                   == subset["addresses"][0]["ip"])
        assert subset["addresses"][0] == {
            "ip": pod["status"]["podIP"], "nodeName": pod["spec"]["nodeName"],
            "targetRef": {"kind": "Pod", "namespace": "default", "name": pod["metadata"]["name"],
                          "uid": pod["metadata"]["uid"]}}
        assert "endpoints.kubernetes.io/last-change-trigger-time" in ep["metadata"]["annotations"]
        assert row(c, "ep", "web")[1] == ",".join(f"{ip}:8080" for ip in ips(ep["subsets"]))


async def test_a_pod_that_turns_unready_moves_to_not_ready_addresses() -> None:
    async with Cluster(nodes=2) as c:
        await c.apply(web(replicas=1, readiness="fail-after=30s"))
        await c.apply(service())
        await c.run_for(20)
        assert len(ips(endpoints(c)["subsets"])) == 1
        await c.run_for(60)
        subsets = endpoints(c)["subsets"]
        assert ips(subsets) == [] and ips(subsets, "notReadyAddresses") == pod_ips(c)


async def test_endpoints_follow_scaling_and_leave_out_terminating_pods() -> None:
    async with Cluster(nodes=3) as c:
        await c.apply(web(replicas=5))
        await c.apply(service())
        await c.run_for(30)
        assert ips(endpoints(c)["subsets"]) == pod_ips(c) and len(pod_ips(c)) == 5
        listed = row(c, "ep", "web")[1]
        assert listed.count(":8080") == 3 and listed.endswith(" + 2 more...")
        await c.scale("deploy", "web", 2)
        c.settle()
        terminating = [p for p in c.list("pods", "default", selector="app=web")
                       if p["metadata"].get("deletionTimestamp")]
        assert len(terminating) == 3
        assert ips(endpoints(c)["subsets"]) == pod_ips(c) and len(pod_ips(c)) == 2
        assert not {p["status"]["podIP"] for p in terminating} & set(ips(endpoints(c)["subsets"]))
        await c.scale("deploy", "web", 0)
        await c.run_for(60)
        assert "subsets" not in endpoints(c)
        assert row(c, "ep", "web")[1] == "<none>"


async def test_a_named_target_port_resolves_per_pod() -> None:
    async with Cluster(nodes=2) as c:
        await c.apply(web(replicas=1, name="a", port_name="http", container_port=8080))
        await c.apply(web(replicas=1, name="b", port_name="web", container_port=9090))
        # One Service over both Deployments: the pod without a port named "http" offers nothing.
        both = service("both", selector={"tier": "x"})
        await c.apply(both)
        for name in ("a", "b"):
            deployment = web(replicas=1, name=name, port_name="http" if name == "a" else "web",
                             container_port=8080 if name == "a" else 9090)
            deployment["spec"]["template"]["metadata"]["labels"]["tier"] = "x"
            await c.apply(deployment)
        await c.run_for(30)
        subsets = endpoints(c, "both")["subsets"]
        assert len(subsets) == 1 and subsets[0]["ports"] == [{"port": 8080, "protocol": "TCP"}]
        assert ips(subsets) == pod_ips(c, "a")
        # Named ports that differ between pods give one subset per port number.
        await c.apply(service("both", selector={"tier": "x"},
                              ports=[{"name": "any", "port": 80, "targetPort": "web"},
                                     {"name": "main", "port": 81, "targetPort": "http"}]))
        c.settle()
        subsets = endpoints(c, "both")["subsets"]
        assert [(s["ports"], ips([s])) for s in subsets] == [
            ([{"name": "any", "port": 9090, "protocol": "TCP"}], pod_ips(c, "b")),
            ([{"name": "main", "port": 8080, "protocol": "TCP"}], pod_ips(c, "a")),
        ]


async def test_a_headless_service_has_no_cluster_ip_but_endpoints() -> None:
    async with Cluster(nodes=2) as c:
        await c.apply(web(replicas=2))
        await c.apply(service(clusterIP="None"))
        await c.apply(service("bare", selector={"app": "web"}, clusterIP="None", ports=[]))
        await c.run_for(30)
        spec = c.get("svc", "web")["spec"]
        assert spec["clusterIPs"] == ["None"] and spec["ipFamilyPolicy"] == "SingleStack"
        assert row(c, "svc", "web")[2] == "None"
        ep = endpoints(c)
        assert ep["metadata"]["labels"] == {"service.kubernetes.io/headless": ""}
        assert ips(ep["subsets"]) == pod_ips(c)
        bare = endpoints(c, "bare")
        assert "ports" not in bare["subsets"][0] and ips(bare["subsets"]) == pod_ips(c)
        assert row(c, "ep", "bare")[1] == ",".join(pod_ips(c))
        await c.apply(service("selectorless", selector={}, clusterIP="None", ports=[]))
        spec = c.get("svc", "selectorless")["spec"]
        assert spec["ipFamilyPolicy"] == "RequireDualStack" and spec["ipFamilies"] == ["IPv4", "IPv6"]
        assert endpoints(c, "selectorless") is None


async def test_endpoints_follow_the_selector_and_go_with_the_service() -> None:
    async with Cluster(nodes=2) as c:
        await c.apply(web(replicas=1, name="a"))
        await c.apply(web(replicas=2, name="b"))
        await c.apply(service("front", selector={"app": "a"}))
        await c.run_for(30)
        assert ips(endpoints(c, "front")["subsets"]) == pod_ips(c, "a")
        await c.apply(service("front", selector={"app": "b"}))
        c.settle()
        assert ips(endpoints(c, "front")["subsets"]) == pod_ips(c, "b")
        await c.delete("endpoints", "front")
        c.settle()
        assert ips(endpoints(c, "front")["subsets"]) == pod_ips(c, "b")  # a live Service's Endpoints come back
        await c.delete("svc", "front")
        c.settle()
        assert endpoints(c, "front") is None


async def test_a_service_without_a_selector_keeps_hand_written_endpoints() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(service("db", selector={}, ports=[{"port": 5432}]))
        await c.apply({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "db"},
                       "subsets": [{"addresses": [{"ip": "192.168.1.20"}], "ports": [{"port": 5432}]}]})
        await c.run_for(30)
        assert row(c, "ep", "db")[1] == "192.168.1.20:5432"
        lines = c.describe("svc", "db").splitlines()
        assert "Selector:                 <none>" in lines and "Endpoints:                192.168.1.20:5432" in lines


async def test_deleting_a_namespace_removes_its_services_and_endpoints() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}})
        deployment = web(replicas=1)
        deployment["metadata"]["namespace"] = "team"
        svc = service()
        svc["metadata"]["namespace"] = "team"
        await c.apply([deployment, svc])
        await c.run_for(20)
        assert c.get("ep", "web", "team") is not None
        await c.delete("ns", "team")
        await c.run_for(120)
        assert c.get("ns", "team") is None
        assert c.list("svc", "team") == [] and c.list("ep", "team") == []


# --- ConfigMaps and Secrets --------------------------------------------------------------------------------------


async def test_secret_string_data_is_merged_into_data_and_dropped() -> None:
    async with Cluster(nodes=1) as c:
        declared = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"},
                    "data": {"user": "YWRtaW4="}, "stringData": {"password": "s3cret", "user": "root"}}
        await c.apply(declared)
        secret = c.get("secret", "db")
        assert secret["data"] == {"user": "cm9vdA==", "password": "czNjcmV0"}
        assert "stringData" not in secret and secret["type"] == "Opaque"
        assert diff(declared, secret) == []
        assert c.table("secrets", "default")[1] == [["db", "Opaque", "2", "0s"]]
        described = c.describe("secret", "db")
        assert described.endswith("Type:  Opaque\n\nData\n====\npassword:  6 bytes\nuser:      4 bytes\n")


@pytest.mark.parametrize(("obj", "message"), [
    ({"kind": "Secret", "data": {"k": "not base64!"}},
     'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 3'),
    ({"kind": "Secret", "data": {"k": "YWJj\nZA"}},
     'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 5'),
    ({"kind": "Secret", "type": "kubernetes.io/tls", "data": {"tls.crt": "Y2VydA=="}},
     'Secret "x" is invalid: data[tls.key]: Required value'),
    ({"kind": "ConfigMap", "data": {"bad key": "v"}},
     "ConfigMap \"x\" is invalid: data[bad key]: Invalid value: \"bad key\": a valid config key must consist of "
     "alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for "
     "validation is '[-._a-zA-Z0-9]+')"),
    ({"kind": "ConfigMap", "data": {"..hidden": "v"}},
     'ConfigMap "x" is invalid: data[..hidden]: Invalid value: "..hidden": must not start with \'..\''),
    ({"kind": "ConfigMap", "data": {"a": "1"}, "binaryData": {"a": "MQ=="}},
     'ConfigMap "x" is invalid: data[a]: Invalid value: "a": duplicate of key present in binaryData'),
])
async def test_config_data_validation(obj: Obj, message: str) -> None:
    async with Cluster(nodes=1) as c:
        with pytest.raises(ApiError) as info:
            await c.create({"apiVersion": "v1", "metadata": {"name": "x"}, **obj})
        assert info.value.message == message


async def test_immutable_config_and_secret_types_cannot_change() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "immutable": True,
                       "data": {"a": "1"}})
        message = await rejected(c, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"},
                                     "immutable": True, "data": {"a": "2"}})
        assert message == 'ConfigMap "cfg" is invalid: data: Forbidden: field is immutable when `immutable` is set'
        await c.apply({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"a": "1"}})
        message = await rejected(c, {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
                                     "type": "kubernetes.io/basic-auth", "stringData": {"username": "u"}})
        assert message == ('Secret "s" is invalid: type: Invalid value: "kubernetes.io/basic-auth": '
                           "field is immutable")


def configured(env_from: list[Obj] | None = None, env: list[Obj] | None = None,
               volume: Obj | None = None) -> Obj:
    container: Obj = {"name": "app", "image": "nginx:1.27"}
    if env_from:
        container["envFrom"] = env_from
    if env:
        container["env"] = env
    spec: Obj = {"containers": [container]}
    if volume:
        container["volumeMounts"] = [{"name": "cfg", "mountPath": "/etc/cfg"}]
        spec["volumes"] = [{"name": "cfg", **volume}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "app", "namespace": "default"}, "spec": spec}


def waiting(c: Cluster) -> Obj:
    return c.get("pods", "app")["status"]["containerStatuses"][0]["state"].get("waiting") or {}


def kubelet_events(c: Cluster, reason: str) -> list[Obj]:
    return [e for e in c.events("default") if e["reason"] == reason and e["involvedObject"]["name"] == "app"]


async def test_a_missing_config_map_is_a_create_container_config_error_until_it_exists() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(configured(env_from=[{"configMapRef": {"name": "settings"}}]))
        await c.run_for(30)
        assert waiting(c) == {"reason": "CreateContainerConfigError", "message": 'configmap "settings" not found'}
        assert c.table("pods", "default")[1][0][2] == "CreateContainerConfigError"
        failed = kubelet_events(c, "Failed")
        assert len(failed) == 1 and failed[0]["message"] == 'Error: configmap "settings" not found'
        assert failed[0]["type"] == "Warning" and failed[0]["count"] >= 3
        assert failed[0]["involvedObject"]["fieldPath"] == "spec.containers{app}"
        assert c.health("pod", "app") == ("Degraded", 'configmap "settings" not found')
        await c.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"A": "1"}})
        await c.run_for(11)
        assert c.table("pods", "default")[1][0][1:3] == ["1/1", "Running"]


@pytest.mark.parametrize(("env_from", "env", "message"), [
    ([{"secretRef": {"name": "creds"}}], None, 'secret "creds" not found'),
    (None, [{"name": "PW", "valueFrom": {"secretKeyRef": {"name": "present", "key": "password"}}}],
     "couldn't find key password in Secret default/present"),
    (None, [{"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "absent", "key": "mode"}}}],
     'configmap "absent" not found'),
])
async def test_missing_env_sources_and_keys(env_from: list[Obj] | None, env: list[Obj] | None, message: str) -> None:
    async with Cluster(nodes=1) as c:
        await c.apply({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "present"},
                       "stringData": {"user": "u"}})
        await c.apply(configured(env_from=env_from, env=env))
        await c.run_for(10)
        assert waiting(c) == {"reason": "CreateContainerConfigError", "message": message}


async def test_optional_sources_may_be_missing() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(configured(env_from=[{"configMapRef": {"name": "absent", "optional": True}}],
                                 volume={"secret": {"secretName": "absent", "optional": True}}))
        await c.run_for(10)
        assert c.table("pods", "default")[1][0][2] == "Running"


async def test_a_missing_volume_source_keeps_the_pod_container_creating() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(configured(volume={"configMap": {"name": "settings"}}))
        await c.run_for(130)
        pod = c.get("pods", "app")
        assert c.table("pods", "default", wide=True)[1][0][2:6] == ["ContainerCreating", "0", "2m10s", "<none>"]
        assert waiting(c) == {"reason": "ContainerCreating"}
        assert podutil.condition(pod, "PodReadyToStartContainers")["status"] == "False"
        mounts = {e["message"]: e["count"] for e in kubelet_events(c, "FailedMount")}
        # The 2-minute wait times out silently since v1.28 (tests/test_kubelet_mount_failures.py).
        assert mounts.keys() == {'MountVolume.SetUp failed for volume "cfg" : configmap "settings" not found'}
        assert mounts['MountVolume.SetUp failed for volume "cfg" : configmap "settings" not found'] > 5
        assert kubelet_events(c, "Pulling") == []
        await c.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"a": "1"}})
        await c.run_for(125)
        assert c.table("pods", "default")[1][0][1:3] == ["1/1", "Running"]
        assert c.get("pods", "app")["status"]["podIP"]


async def test_check_reports_missing_config_and_pending_load_balancers(tmp_path: Any) -> None:
    from engine.check import run_check

    (tmp_path / "app.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: app, labels: {app: x}}\nspec:\n"
        "  containers: [{name: app, image: nginx:1.27,"
        " volumeMounts: [{name: cfg, mountPath: /etc/cfg}]}]\n  volumes: [{name: cfg, secret: {secretName: tls}}]\n"
        "---\napiVersion: v1\nkind: Service\nmetadata: {name: lb}\nspec:\n  type: LoadBalancer\n"
        "  loadBalancerClass: example.com/elsewhere\n  selector: {app: x}\n  ports: [{port: 443}]\n")
    report = await run_check([str(tmp_path)], duration=180)
    assert not report.converged and report.exit_code == 1
    health = {o["name"]: o["health"] for o in report.objects}
    assert health == {"app": "Progressing", "lb": "Progressing"}
    assert [(p["reason"], p["message"]) for p in report.problems] == [
        ("FailedMount", 'MountVolume.SetUp failed for volume "cfg" : secret "tls" not found')]
