"""What a pod's simulated app answers on a port (engine/network/app.py): which ports listen, the default answer
that makes load balancing visible, and the `sim.k9py.io/response` template."""

from __future__ import annotations

from typing import Any

import pytest
from network_support import client

from engine.cluster import Cluster
from engine.network.app import AppRequest, answer, image_name, listening_ports

Obj = dict[str, Any]


def pod(name: str = "p", *, image: str = "my-app:1", ports: list[Obj] | None = None,
        annotations: dict[str, str] | None = None, **spec: Any) -> Obj:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "annotations": annotations or {}},
            "spec": {"containers": [{"name": "app", "image": image, "ports": ports or []}], **spec}}


async def running(c: Cluster, obj: Obj) -> Obj:
    await c.apply(obj)
    await c.run_for(30)
    found = c.get("pod", obj["metadata"]["name"])
    assert found is not None and found["status"]["phase"] == "Running"
    return found


async def test_declared_ports_listen_and_others_refuse() -> None:
    async with Cluster(nodes=1) as c:
        p = await running(c, pod(ports=[{"containerPort": 8080}, {"containerPort": 9000, "protocol": "UDP"}]))
        reply = answer(p, 8080, AppRequest())
        assert reply is not None and reply.status == 200
        assert answer(p, 80, AppRequest()) is None  # nothing declared there: connection refused
        assert answer(p, 9000, AppRequest()) is None  # a UDP port takes no HTTP connection


async def test_default_answer_names_pod_namespace_and_node() -> None:
    async with Cluster(nodes=1) as c:
        p = await running(c, pod(ports=[{"containerPort": 80}]))
        reply = answer(p, 80, AppRequest())
        assert reply is not None
        assert reply.body == "Hello from p (namespace default, node node-1)\n"
        assert reply.headers["Content-Type"].startswith("text/plain")


async def test_official_images_listen_on_their_exposed_port_without_declaring_it() -> None:
    """A StatefulSet of postgres that declares no ports still answers on 5432, as the real image does."""
    async with Cluster(nodes=1) as c:
        p = await running(c, pod(image="docker.io/library/postgres:16"))
        assert listening_ports(p) == {5432: "app"}
        assert answer(p, 5432, AppRequest()) is not None
        assert image_name("registry.example.com/team/nginx:1.27@sha256:abc") == "nginx"


async def test_listen_annotation_adds_ports_and_names_the_container() -> None:
    async with Cluster(nodes=1) as c:
        p = await running(c, pod(annotations={"sim.k9py.io/listen": "8080, app=9090, bogus, ghost=7000"}))
        assert listening_ports(p) == {8080: "app", 9090: "app"}  # an unknown container listens nowhere


async def test_response_template_and_status() -> None:
    template = "{method} {path} for {host} from {source_ip} at {pod}/{container}:{port} {header:X-Id} {nope} {pod.x}"
    async with Cluster(nodes=1) as c:
        p = await running(c, pod(ports=[{"containerPort": 80}], annotations={
            "sim.k9py.io/response": template, "sim.k9py.io/response-status": "503"}))
        reply = answer(p, 80, AppRequest("POST", "/cart", "shop.example", {"x-id": "7"}, "10.244.1.9"))
        assert reply is not None and reply.status == 503
        # Only the documented fields are replaced; anything else in braces is written as is.
        assert reply.body == "POST /cart for shop.example from 10.244.1.9 at p/app:80 7 {nope} {pod.x}"


async def test_a_pod_that_is_not_running_listens_nowhere() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(pod(ports=[{"containerPort": 80}], annotations={"sim.k9py.io/pull-seconds": "1h"}))
        await c.run_for(5)
        p = c.get("pod", "p")
        assert p is not None and p["status"]["phase"] == "Pending"
        assert answer(p, 80, AppRequest()) is None


async def test_a_crashed_container_refuses_until_it_runs_again() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(pod(ports=[{"containerPort": 80}], annotations={"sim.k9py.io/exit-after": "5s"}))
        await c.run_until(lambda c: (c.get("pod", "p") or {}).get("status", {}).get("containerStatuses", [{}])[0]
                          .get("state", {}).get("waiting", {}).get("reason") == "CrashLoopBackOff", timeout=120)
        p = c.get("pod", "p")
        assert p is not None and answer(p, 80, AppRequest()) is None


@pytest.mark.parametrize("port", [0, 70000])
async def test_ports_out_of_range_never_listen(port: int) -> None:
    async with Cluster(nodes=1) as c:
        p = await running(c, client())
        assert answer(p, port, AppRequest()) is None
