"""kubectl table rows and describe text for Services, Endpoints, ConfigMaps and Secrets."""

from __future__ import annotations

from typing import Any

from engine.printers.describe_services import (
    describe_configmap,
    describe_endpoints,
    describe_secret,
    describe_service,
)
from engine.printers.services import (
    CONFIGMAP_COLUMNS,
    ENDPOINTS_COLUMNS,
    SECRET_COLUMNS,
    SERVICE_COLUMNS,
    SERVICE_WIDE_COLUMNS,
    configmap_row,
    endpoints_row,
    format_endpoints,
    secret_row,
    service_row,
    service_row_wide,
)
from engine.timeutil import format_time, parse_time

NOW = parse_time("2026-01-01T12:00:00Z")
Obj = dict[str, Any]


def svc(name: str = "web", age: float = 300, status: Obj | None = None, **spec: Any) -> Obj:
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("ports", [{"port": 80, "protocol": "TCP", "targetPort": 8080}])
    if spec["type"] != "ExternalName" and spec.get("clusterIP") is None:
        spec["clusterIP"] = "10.96.12.34"
    if spec.get("clusterIP"):
        spec.setdefault("clusterIPs", [spec["clusterIP"]])
    return {"metadata": {"name": name, "namespace": "shop", "creationTimestamp": format_time(NOW - age)},
            "spec": spec, "status": status or {"loadBalancer": {}}}


def address(ip: str) -> Obj:
    return {"ip": ip, "nodeName": "node-1", "targetRef": {"kind": "Pod", "namespace": "shop", "name": f"p-{ip}"}}


def ep(*subsets: Obj, age: float = 60) -> Obj:
    obj: Obj = {"metadata": {"name": "web", "namespace": "shop", "creationTimestamp": format_time(NOW - age)}}
    if subsets:
        obj["subsets"] = list(subsets)
    return obj


def test_columns() -> None:
    assert SERVICE_COLUMNS == ("NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE")
    assert SERVICE_WIDE_COLUMNS[:-1] == SERVICE_COLUMNS and SERVICE_WIDE_COLUMNS[-1] == "SELECTOR"
    assert ENDPOINTS_COLUMNS == ("NAME", "ENDPOINTS", "AGE")
    assert CONFIGMAP_COLUMNS == ("NAME", "DATA", "AGE")
    assert SECRET_COLUMNS == ("NAME", "TYPE", "DATA", "AGE")


def test_service_rows_by_type() -> None:
    assert service_row(svc(), NOW) == ["web", "ClusterIP", "10.96.12.34", "<none>", "80/TCP", "5m"]
    node_port = svc(type="NodePort", ports=[{"port": 80, "protocol": "TCP", "nodePort": 30080},
                                            {"port": 53, "protocol": "UDP", "nodePort": 30053}])
    assert service_row(node_port, NOW)[1:5] == ["NodePort", "10.96.12.34", "<none>", "80:30080/TCP,53:30053/UDP"]
    pending = svc(type="LoadBalancer", ports=[{"port": 443, "protocol": "TCP", "nodePort": 31443}])
    assert service_row(pending, NOW)[3:5] == ["<pending>", "443:31443/TCP"]
    served = svc(type="LoadBalancer", status={"loadBalancer": {"ingress": [{"ip": "203.0.113.10"},
                                                                            {"hostname": "lb.example.com"}]}})
    assert service_row(served, NOW)[3] == "203.0.113.10,..."  # clipped to 16 characters outside -o wide
    assert service_row_wide(served, NOW)[3] == "203.0.113.10,lb.example.com"
    external = svc(name="db", type="ExternalName", externalName="db.example.com", ports=[])
    assert service_row(external, NOW) == ["db", "ExternalName", "<none>", "db.example.com", "<none>", "5m"]
    headless = svc(clusterIP="None", ports=[])
    assert service_row(headless, NOW)[2:5] == ["None", "<none>", "<none>"]
    with_ips = svc(externalIPs=["198.51.100.7"])
    assert service_row(with_ips, NOW)[3] == "198.51.100.7"


def test_service_wide_row_adds_the_selector() -> None:
    assert service_row_wide(svc(selector={"tier": "web", "app": "shop"}), NOW)[-1] == "app=shop,tier=web"
    assert service_row_wide(svc(), NOW)[-1] == "<none>"


def test_endpoints_rows() -> None:
    three = {"addresses": [address("10.244.1.3"), address("10.244.2.4")], "ports": [{"port": 8080}]}
    assert endpoints_row(ep(three), NOW) == ["web", "10.244.1.3:8080,10.244.2.4:8080", "60s"]
    assert endpoints_row(ep(), NOW)[1] == "<none>"
    many = {"addresses": [address(f"10.244.1.{i}") for i in range(2, 7)], "ports": [{"port": 80}, {"port": 443}]}
    assert format_endpoints(ep(many)) == "10.244.1.2:80,10.244.1.3:80,10.244.1.4:80 + 7 more..."
    not_ready = {"notReadyAddresses": [address("10.244.1.9")], "ports": [{"port": 80}]}
    assert format_endpoints(ep(not_ready)) == ""  # subsets, but no ready address to list
    portless = {"addresses": [address("10.244.1.3")]}
    assert format_endpoints(ep(portless)) == "10.244.1.3"
    ipv6 = {"addresses": [{"ip": "fd00::5"}], "ports": [{"port": 80}]}
    assert format_endpoints(ep(ipv6)) == "[fd00::5]:80"


def test_config_map_and_secret_rows() -> None:
    meta = {"name": "cfg", "creationTimestamp": format_time(NOW - 7200)}
    assert configmap_row({"metadata": meta, "data": {"a": "1", "b": "2"}, "binaryData": {"c": "AA=="}},
                         NOW) == ["cfg", "3", "120m"]
    assert configmap_row({"metadata": meta}, NOW)[1] == "0"
    secret = {"metadata": {**meta, "name": "tls"}, "type": "kubernetes.io/tls",
              "data": {"tls.crt": "Y2VydA==", "tls.key": "a2V5"}}
    assert secret_row(secret, NOW) == ["tls", "kubernetes.io/tls", "2", "120m"]


def endpoint_slice(ports: list[Obj], *ips: str, not_ready: tuple[str, ...] = ()) -> Obj:
    endpoints = [{"addresses": [ip], "conditions": {"ready": True}} for ip in ips]
    endpoints += [{"addresses": [ip], "conditions": {"ready": False}} for ip in not_ready]
    return {"metadata": {"name": "web-abcde", "labels": {"kubernetes.io/service-name": "web"}},
            "addressType": "IPv4", "endpoints": endpoints or None, "ports": ports or None}


def test_describe_service() -> None:
    frontend = svc("frontend", type="NodePort", selector={"app": "frontend"}, ipFamilyPolicy="SingleStack",
                   ipFamilies=["IPv4"], sessionAffinity="None", externalTrafficPolicy="Cluster",
                   internalTrafficPolicy="Cluster",
                   ports=[{"name": "http", "port": 80, "protocol": "TCP", "targetPort": "http", "nodePort": 30080}])
    frontend["metadata"]["labels"] = {"app": "frontend"}
    slices = [endpoint_slice([{"name": "http", "port": 80, "protocol": "TCP"}], "10.244.1.3", "10.244.2.4",
                             not_ready=("10.244.3.5",))]
    assert describe_service(frontend, slices, [], NOW) == (
        "Name:                     frontend\n"
        "Namespace:                shop\n"
        "Labels:                   app=frontend\n"
        "Annotations:              <none>\n"
        "Selector:                 app=frontend\n"
        "Type:                     NodePort\n"
        "IP Family Policy:         SingleStack\n"
        "IP Families:              IPv4\n"
        "IP:                       10.96.12.34\n"
        "IPs:                      10.96.12.34\n"
        "Port:                     http  80/TCP\n"
        "TargetPort:               http/TCP\n"
        "NodePort:                 http  30080/TCP\n"
        "Endpoints:                10.244.1.3:80,10.244.2.4:80\n"
        "Session Affinity:         None\n"
        "External Traffic Policy:  Cluster\n"
        "Internal Traffic Policy:  Cluster\n"
        "Events:                   <none>\n"
    )


def test_describe_service_without_endpoints_and_with_events() -> None:
    plain = svc("db", sessionAffinity="None", ports=[{"port": 5432, "protocol": "TCP", "targetPort": 5432}])
    event = {"type": "Warning", "reason": "FailedToUpdateEndpoint", "message": "boom", "count": 1,
             "firstTimestamp": format_time(NOW - 30), "lastTimestamp": format_time(NOW - 30),
             "source": {"component": "endpoint-controller"}}
    text = describe_service(plain, [], [event], NOW)
    assert "Port:              <unset>  5432/TCP\nTargetPort:        5432/TCP\nEndpoints:         <none>\n" in text
    assert text.endswith(
        "Events:\n"
        "  Type     Reason                  Age   From                 Message\n"
        "  ----     ------                  ----  ----                 -------\n"
        "  Warning  FailedToUpdateEndpoint  30s   endpoint-controller  boom\n"
    )
    many = [endpoint_slice([{"name": "", "port": 5432}], *(f"10.244.1.{i}" for i in range(2, 7)))]
    assert "Endpoints:         10.244.1.2:5432,10.244.1.3:5432,10.244.1.4:5432 + 2 more...\n" in \
        describe_service(plain, many, None, NOW)
    # A slice with no ready endpoint prints nothing; a fourth endpoint that is not ready still says "more"
    # (formatEndpointSlices sets it before looking at readiness).
    assert "Endpoints:         \n" in describe_service(plain, [endpoint_slice([])], None, NOW)
    quirk = [endpoint_slice([{"name": "", "port": 5432}], "10.0.0.1", "10.0.0.2", "10.0.0.3", not_ready=("10.0.0.4",))]
    assert "Endpoints:         10.0.0.1:5432,10.0.0.2:5432,10.0.0.3:5432 + 0 more...\n" in \
        describe_service(plain, quirk, None, NOW)


def test_describe_endpoints() -> None:
    endpoints = ep({"addresses": [address("10.244.1.3")], "notReadyAddresses": [address("10.244.2.4")],
                    "ports": [{"port": 8080, "protocol": "TCP"}]})
    assert describe_endpoints(endpoints, [], NOW) == (
        "Name:         web\n"
        "Namespace:    shop\n"
        "Labels:       <none>\n"
        "Annotations:  <none>\n"
        "Subsets:\n"
        "  Addresses:          10.244.1.3\n"
        "  NotReadyAddresses:  10.244.2.4\n"
        "  Ports:\n"
        "    Name     Port  Protocol\n"
        "    ----     ----  --------\n"
        "    <unset>  8080  TCP\n"
        "\n"
        "Events:  <none>\n"
    )


def test_describe_config_map_and_secret() -> None:
    cm = {"metadata": {"name": "cart-config", "namespace": "shop"},
          "data": {"REDIS_ADDR": "redis:6379", "CART_TTL_SECONDS": "3600"}, "binaryData": {"logo.png": "iVBORw=="}}
    assert describe_configmap(cm, [], NOW) == (
        "Name:         cart-config\n"
        "Namespace:    shop\n"
        "Labels:       <none>\n"
        "Annotations:  <none>\n"
        "\n"
        "Data\n"
        "====\n"
        "CART_TTL_SECONDS:\n"
        "----\n"
        "3600\n"
        "REDIS_ADDR:\n"
        "----\n"
        "redis:6379\n"
        "\n"
        "BinaryData\n"
        "====\n"
        "logo.png: 4 bytes\n"
        "\n"
        "Events:  <none>\n"
    )
    secret = {"metadata": {"name": "db", "namespace": "shop"}, "type": "Opaque",
              "data": {"password": "czNjcmV0", "user": "YWRtaW4="}}
    assert describe_secret(secret) == (
        "Name:         db\n"
        "Namespace:    shop\n"
        "Labels:       <none>\n"
        "Annotations:  <none>\n"
        "\n"
        "Type:  Opaque\n"
        "\n"
        "Data\n"
        "====\n"
        "password:  6 bytes\n"
        "user:      5 bytes\n"
    )
