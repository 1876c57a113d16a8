"""The real kubectl (v1.32) against `engine.apiserver`: what a user types, and what it prints."""

from __future__ import annotations

import asyncio
import re

from test_apiserver_kit import DEPLOYMENT_YAML, Served, needs_kubectl, served

pytestmark = needs_kubectl
__all__ = ["served"]


def _deployment_ready(served: Served, replicas: int) -> bool:
    found = served.cluster.get("deployment", "web")
    return bool(found) and (found.get("status") or {}).get("readyReplicas") == replicas


async def _apply_web(served: Served) -> None:
    assert "deployment.apps/web created" in await served.ok("apply", "-f", "-", stdin=DEPLOYMENT_YAML)
    await served.wait_for(lambda: _deployment_ready(served, 2))


async def test_version_and_api_resources(served: Served) -> None:
    out = await served.ok("version")
    assert "Server Version: v1.36.2+k9py" in out
    resources = await served.ok("api-resources")
    lines: dict[str, list[str]] = {}
    for line in resources.splitlines()[1:]:
        lines.setdefault(line.split()[0], line.split())  # `nodes` is also metrics.k8s.io's, listed later
    assert lines["deployments"] == ["deployments", "deploy", "apps/v1", "true", "Deployment"]
    assert lines["nodes"] == ["nodes", "no", "v1", "false", "Node"]
    assert lines["leases"] == ["leases", "coordination.k8s.io/v1", "true", "Lease"]
    # The `all` category: what `kubectl get all` lists.
    assert (await served.ok("api-resources", "--categories=all", "-o", "name")).split() == [
        "pods", "services", "daemonsets.apps", "deployments.apps", "replicasets.apps", "statefulsets.apps",
        "horizontalpodautoscalers.autoscaling", "cronjobs.batch", "jobs.batch"]


async def test_apply_get_wide_and_all_namespaces(served: Served) -> None:
    await _apply_web(served)
    wide = (await served.ok("get", "deploy", "-o", "wide")).splitlines()
    assert wide[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]
    assert wide[1].split()[:4] == ["web", "2/2", "2", "2"] and wide[1].split()[5:] == ["app", "nginx:1.27", "app=web"]
    # The engine's own table, cell for cell: kubectl prints what the engine's printers print.
    columns, rows = served.cluster.table("pods", namespace=None)
    printed = (await served.ok("get", "pods", "-A")).splitlines()
    assert printed[0].split() == columns
    assert sorted(re.split(r"\s{2,}", line.strip())[:4] for line in printed[1:]) == sorted(r[:4] for r in rows)
    labels = await served.ok("get", "pods", "-l", "app=web", "--show-labels")
    assert labels.splitlines()[0].split()[-1] == "LABELS" and "app=web,pod-template-hash=" in labels
    assert "deployment.apps/web unchanged" in await served.ok("apply", "-f", "-", stdin=DEPLOYMENT_YAML)
    changed = DEPLOYMENT_YAML.replace("replicas: 2", "replicas: 3").replace("nginx:1.27", "nginx:1.28")
    assert "deployment.apps/web configured" in await served.ok("apply", "-f", "-", stdin=changed)
    live = served.cluster.get("deployment", "web")
    assert live["spec"]["replicas"] == 3
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.28"


async def test_describe_scale_set_image_delete(served: Served) -> None:
    await _apply_web(served)
    described = await served.ok("describe", "deployment", "web")
    assert re.search(r"^Replicas:\s+2 desired \| 2 updated \| 2 total \| 2 available", described, re.M)
    assert "Scaled up replica set web-" in described  # events, found by kubectl's own field selector
    assert "deployment.apps/web scaled" in await served.ok("scale", "deploy/web", "--replicas=3")
    await served.wait_for(lambda: _deployment_ready(served, 3))
    assert "image updated" in await served.ok("set", "image", "deploy/web", "app=nginx:1.29")
    assert "successfully rolled out" in await served.ok("rollout", "status", "deploy/web", "--timeout=60s")
    assert "restarted" in await served.ok("rollout", "restart", "deploy/web")
    assert 'deployment.apps "web" deleted' in await served.ok("delete", "deploy", "web")
    assert served.cluster.get("deployment", "web") is None


async def test_get_watch_prints_changes(served: Served) -> None:
    await _apply_web(served)
    watch = asyncio.create_task(served.kubectl("get", "deploy", "-w", "--request-timeout=4s", timeout=30))
    await asyncio.sleep(1.5)
    await served.ok("scale", "deploy/web", "--replicas=3")
    _, out, _ = await watch
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["NAME", "READY"]
    assert lines[1].split()[:2] == ["web", "2/2"]
    assert any(line.split()[:2] == ["web", "3/3"] for line in lines[2:]), out
    # kubectl hung up (--request-timeout): the server let go of its store watcher, events or not
    await asyncio.sleep(0.5)
    assert served.cluster.store._watchers == []


async def test_logs_and_follow(served: Served) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "job", "namespace": "default"},
           "spec": {"restartPolicy": "Never", "containers": [
               {"name": "main", "image": "busybox", "command": ["sh", "-c", "sleep 20; exit 0"]}]}}
    await served.cluster.create(pod)
    await served.wait_for(lambda: (served.cluster.get("pod", "job") or {}).get("status", {}).get("phase")
                          == "Running")
    assert (await served.ok("logs", "job")).splitlines()[0] == "Starting busybox: sh -c sleep 20; exit 0"
    # follow: lines as they come, and the stream ends when the container stops (20 s at 8x: under 3 s)
    code, out, err = await served.kubectl("logs", "-f", "job", "--timestamps", timeout=30)
    assert code == 0, err
    assert len(out.splitlines()) >= 4 and out.splitlines()[-1].endswith('request=4')
    # --since-time (inclusive, as the kubelet reads it) and --limit-bytes (cut mid-line, as the kubelet does)
    stamped = (await served.ok("logs", "job", "--timestamps")).splitlines()
    second = stamped[1].split(" ", 1)[0]
    assert (await served.ok("logs", "job", "--timestamps", f"--since-time={second}")).splitlines() == stamped[1:]
    assert await served.ok("logs", "job", "--limit-bytes=10") == "Starting b"
    code, out, err = await served.kubectl("logs", "-f", "job", "--limit-bytes=10", timeout=30)
    assert (code, out) == (0, "Starting b"), err


async def test_errors_as_kubectl_prints_them(served: Served) -> None:
    code, _, err = await served.kubectl("get", "pod", "nope")
    assert code == 1 and err.strip() == 'Error from server (NotFound): pods "nope" not found'
    await _apply_web(served)
    code, _, err = await served.kubectl("create", "-f", "-", stdin=DEPLOYMENT_YAML)
    assert 'Error from server (AlreadyExists): error when creating "STDIN": deployments.apps "web" already exists' \
        in err
    code, _, err = await served.kubectl("apply", "-f", "-", stdin=DEPLOYMENT_YAML.replace("replicas:", "replica:"))
    assert code == 1 and 'strict decoding error: unknown field "spec.replica"' in err
    code, _, err = await served.kubectl("delete", "ns", "default")
    assert 'Error from server (Forbidden): namespaces "default" is forbidden' in err


async def test_dry_run_server_changes_nothing(served: Served) -> None:
    out = await served.ok("apply", "--dry-run=server", "-f", "-", stdin=DEPLOYMENT_YAML)
    assert out.strip() == "deployment.apps/web created (server dry run)"
    assert served.cluster.get("deployment", "web") is None


async def test_cordon_drain_and_typed_creates(served: Served) -> None:
    await _apply_web(served)
    assert "node/node-1 cordoned" in await served.ok("cordon", "node-1")
    # drain deletes through a typed client: DeleteOptions in protobuf
    out = await served.ok("drain", "node-2", "--ignore-daemonsets", "--timeout=60s")
    assert out.strip().endswith("node/node-2 drained")
    pods = served.cluster.list("pods", "default")
    assert pods and all(p["spec"].get("nodeName") != "node-2" for p in pods)  # pending: both nodes cordoned
    # a typed create: a protobuf body (tests/test_apiserver_protobuf.py has the rest)
    assert "configmap/c created" in await served.ok("create", "configmap", "c", "--from-literal=a=b")
