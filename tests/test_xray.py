"""xray's tree: ownership as a learner should see it, drawn as k9s draws it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from manifests import deployment_yaml

from engine import Cluster
from k9py.backend import EngineBackend
from k9py.xray import xray


@pytest.fixture
async def backend() -> AsyncIterator[EngineBackend]:
    cluster = Cluster(nodes=2)
    engine = EngineBackend(cluster)
    await engine.start()
    yield engine
    await engine.stop()


async def test_a_deployment_owns_replicasets_owning_pods_owning_containers(backend, tmp_path) -> None:
    (tmp_path / "web.yaml").write_text(deployment_yaml("web", replicas=2))
    await backend.load([tmp_path])
    await backend.cluster.run_for(30)
    lines = [node.text for node in xray(backend, backend.resolve("deploy"), "default")]
    rs = backend.list(backend.resolve("rs"), "default")[0]["metadata"]["name"]
    pods = sorted(p["metadata"]["name"] for p in backend.list(backend.resolve("po"), "default"))
    assert lines == [
        "deployment web  2/2 ready",
        f"└─ replicaset {rs}  2/2 ready",
        f"   ├─ pod {pods[0]}  Running 1/1",
        "   │  └─ container app  ready",
        f"   └─ pod {pods[1]}  Running 1/1",
        "      └─ container app  ready",
    ]


async def test_a_crash_loop_shows_where_it_is_and_a_service_shows_the_pods_it_selects(backend, tmp_path) -> None:
    crasher = deployment_yaml("web").replace("image: nginx:1.25",
                                             'image: nginx:1.25\n        command: ["sh", "-c", "exit 1"]')
    service = ("apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector: {app: web}\n"
               "  ports:\n  - port: 80\n")
    (tmp_path / "web.yaml").write_text(crasher + "---\n" + service)
    await backend.load([tmp_path])
    await backend.cluster.run_for(120)
    nodes = xray(backend, backend.resolve("svc"), None)
    # kube-system's kube-dns Service brings CoreDNS's pods: only default's tree is looked at.
    web = [n for n in nodes if (n.obj or {}).get("metadata", {}).get("namespace") == "default"
           and (n.kind != "Service" or n.name == "default/web")]
    [pod] = [n for n in web if n.kind == "Pod"]
    [container] = [n for n in web if n.kind == "Container"]
    assert pod.status.startswith("CrashLoopBackOff 0/1") and not pod.healthy
    assert container.text.startswith("   └─ container app  waiting: CrashLoopBackOff, ")
    assert not container.healthy
    assert nodes[0].text.startswith("service default/kubernetes  ClusterIP ")  # all namespaces: names are qualified
