"""pods/{name}/eviction (policy/v1 Eviction), and `kubectl drain`, which evicts through it once discovery lists it.

The bodies and kubectl's lines were taken from a real v1.36 kube-apiserver (kubectl -v=8, curl).
"""

from __future__ import annotations

from typing import Any

from test_apiserver_kit import DEPLOYMENT_YAML, Served, needs_kubectl, served

pytestmark = needs_kubectl
__all__ = ["served"]

EVICTION = "/api/v1/namespaces/default/pods/{}/eviction"
SUCCESS = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}

# The kit's Deployment with an emptyDir volume: kubectl drain refuses it without --delete-emptydir-data.
WEB_WITH_SCRATCH = DEPLOYMENT_YAML.replace(
    "      containers:\n", "      volumes: [{name: scratch, emptyDir: {}}]\n      containers:\n").replace(
    "image: nginx:1.27\n", "image: nginx:1.27\n        volumeMounts: [{name: scratch, mountPath: /scratch}]\n")


def _eviction(name: str, **extra: Any) -> dict[str, Any]:
    return {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name}, **extra}


def _running(served: Served) -> list[dict[str, Any]]:
    return [p for p in served.cluster.list("pods", "default")
            if (p.get("status") or {}).get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")]


async def _web(served: Served) -> list[dict[str, Any]]:
    assert "deployment.apps/web created" in await served.ok("apply", "-f", "-", stdin=WEB_WITH_SCRATCH)
    await served.wait_for(lambda: len(_running(served)) == 2)
    return _running(served)


async def test_discovery_lists_eviction_as_kube_apiserver_does(served: Served) -> None:
    _, core, _ = await served.request("GET", "/api/v1")
    assert {"name": "pods/eviction", "singularName": "", "namespaced": True, "group": "policy", "version": "v1",
            "kind": "Eviction", "verbs": ["create"]} in core["resources"]


async def test_evict_marks_a_disruption_target_and_deletes_gracefully(served: Served) -> None:
    pod = (await _web(served))[0]
    name = pod["metadata"]["name"]
    code, body, _ = await served.request("POST", EVICTION.format(name),
                                         json=_eviction(name, deleteOptions={"gracePeriodSeconds": 7}))
    assert (code, body) == (201, SUCCESS)
    evicted = served.cluster.get("pod", name)
    assert evicted is not None and evicted["metadata"]["deletionGracePeriodSeconds"] == 7
    condition = next(c for c in evicted["status"]["conditions"] if c["type"] == "DisruptionTarget")
    assert (condition["status"], condition["reason"], condition["message"]) == (
        "True", "EvictionByEvictionAPI", "Eviction API: evicting")
    # The ReplicaSet replaces it, as after any eviction.
    await served.wait_for(lambda: served.cluster.get("pod", name) is None and len(_running(served)) == 2)


async def test_dry_run_and_errors_answer_as_kube_apiserver(served: Served) -> None:
    pod = (await _web(served))[0]
    name = pod["metadata"]["name"]
    code, body, _ = await served.request("POST", EVICTION.format(name) + "?dryRun=All", json=_eviction(name))
    assert (code, body) == (201, SUCCESS)
    assert not served.cluster.get("pod", name)["metadata"].get("deletionTimestamp")

    code, body, _ = await served.request("POST", EVICTION.format("nope"), json=_eviction("nope"))
    assert (code, body) == (404, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                  "message": 'pods "nope" not found', "reason": "NotFound",
                                  "details": {"name": "nope", "kind": "pods"}, "code": 404})
    code, body, _ = await served.request("POST", EVICTION.format(name), json=_eviction("other"))
    assert (code, body["message"], body["reason"]) == (400, "name in URL does not match name in Eviction object",
                                                       "BadRequest")
    mismatch = _eviction(name)
    mismatch["metadata"]["namespace"] = "kube-system"
    code, body, _ = await served.request("POST", EVICTION.format(name), json=mismatch)
    assert (code, body["message"]) == (400, "the namespace of the provided object does not match the namespace "
                                            "sent on the request")
    code, body, _ = await served.request("GET", EVICTION.format(name))
    assert (code, body["reason"]) == (405, "MethodNotAllowed")


def _protobuf_eviction(name: str, grace: int) -> bytes:
    """What a typed client's protobuf serializer writes: k8s\\0 + Unknown{typeMeta, raw: Eviction}."""
    def field(number: int, value: bytes) -> bytes:
        assert len(value) < 128
        return bytes([number << 3 | 2, len(value)]) + value

    eviction = field(1, field(1, name.encode()) + field(3, b"default")) + field(2, bytes([1 << 3, grace]))
    return b"k8s\x00" + field(1, field(1, b"policy/v1") + field(2, b"Eviction")) + field(2, eviction)


async def test_protobuf_eviction(served: Served) -> None:
    name = (await _web(served))[0]["metadata"]["name"]
    code, body, _ = await served.request("POST", EVICTION.format(name), data=_protobuf_eviction(name, 3),
                                         headers={"Content-Type": "application/vnd.kubernetes.protobuf"})
    assert (code, body) == (201, SUCCESS)
    assert served.cluster.get("pod", name)["metadata"]["deletionGracePeriodSeconds"] == 3


async def test_kubectl_drain_evicts_line_by_line(served: Served) -> None:
    pods = await _web(served)
    node = pods[0]["spec"]["nodeName"]
    on_node = sorted(p["metadata"]["name"] for p in pods if p["spec"]["nodeName"] == node)

    def proxies() -> list[str]:  # kube-proxy's DaemonSet pod on the node, which drain leaves (kubectl warns)
        return [p["metadata"]["name"] for p in served.cluster.list("pods", "kube-system")
                if p["spec"].get("nodeName") == node and p["metadata"]["name"].startswith("kube-proxy-")]

    await served.wait_for(lambda: len(proxies()) == 1)
    [proxy] = proxies()
    # CoreDNS's replicas on the node (kubeadm's add-on) are evicted too, and so is the ingress-nginx controller.
    coredns = sorted(p["metadata"]["name"] for p in served.cluster.list("pods", "kube-system")
                     if p["spec"].get("nodeName") == node and p["metadata"]["name"].startswith("coredns-"))
    ingress = sorted(p["metadata"]["name"] for p in served.cluster.list("pods", "ingress-nginx")
                     if p["spec"].get("nodeName") == node)
    watcher, _ = served.cluster.store.add_watcher("pods", "default")
    code, out, err = await served.kubectl("drain", node, "--ignore-daemonsets", "--delete-emptydir-data",
                                          "--timeout=60s")
    assert code == 0, err
    # As kubectl prints it against kube-apiserver: cordoned, one `evicting pod` per pod (in parallel, so in any
    # order), one `evicted` each once gone, drained. The local-storage warning is not printed: kubectl keeps
    # the verdict of the last filter a pod passes (the unreplicated filter's Okay).
    lines = out.splitlines()
    assert lines[0] == f"node/{node} cordoned" and lines[-1] == f"node/{node} drained"
    middle = lines[1:-1]
    evicting = ([f"evicting pod default/{n}" for n in on_node] + [f"evicting pod ingress-nginx/{n}" for n in ingress]
                + [f"evicting pod kube-system/{n}" for n in coredns])
    assert sorted(middle[:len(evicting)]) == sorted(evicting)
    assert sorted(middle[len(evicting):]) == sorted(f"pod/{n} evicted" for n in on_node + ingress + coredns)
    assert err.splitlines() == [f"Warning: ignoring DaemonSet-managed Pods: kube-system/{proxy}"]
    # Evicted, not deleted: each pod was marked a DisruptionTarget before it went.
    marked = {e.object["metadata"]["name"] for e in watcher.drain()
              if any(c.get("type") == "DisruptionTarget" for c in (e.object.get("status") or {}).get("conditions")
                     or ())}
    watcher.close()
    assert marked >= set(on_node)
