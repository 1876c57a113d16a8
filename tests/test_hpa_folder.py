"""A watched folder and an HPA (issue 15 part 2): the folder's `spec.replicas` on a Deployment an HPA scales is the
initial size, then the HPA's. Not OutOfSync, not reverted by a save, `S`, ctrl-s or `--self-heal`, not written back
by `w`; the HPA's scale writes stay. On the virtual clock, with load from `Cluster.load`.

Why: Argo CD documents the flapping a declared `replicas` causes under an HPA and advises leaving it out of the
manifest or `ignoreDifferences` on `/spec/replicas` with `RespectIgnoreDifferences=true` (argo-cd
docs/user-guide/diffing.md, sync-options.md); Flux advises removing it from the manifest (fluxcd docs, "Flux and
HPA"). k9py does as Argo CD with RespectIgnoreDifferences: engine/manifests/hpa_owned.py. The HPA's writes are
Updates of the scale subresource as kube-controller-manager (k/k pkg/controller/podautoscaler/horizontal.go
scaleForResourceMappings), which take `spec.replicas` from the applier as any Update does.
"""

from __future__ import annotations

from pathlib import Path

from engine import Cluster
from engine.manifests.source import ManifestSource

KEY = ("Deployment", "default", "web")
WEB = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations: {sim.k9py.io/cpu: "20m", sim.k9py.io/cost-per-request: "10m"}
    spec:
      containers:
      - name: app
        image: nginx:1.27
        resources: {requests: {cpu: 100m}}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
"""
HPA = """\
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 8
  metrics:
  - {type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}}
"""


def replicas(c: Cluster) -> int:
    return int(c.get("deploy", "web")["spec"]["replicas"])


async def scaled_up(c: Cluster, source: ManifestSource) -> int:
    """Load on web until the HPA has scaled it past the folder's 2."""
    await c.run_for(60)
    c.load("svc/web", 60, "default")
    for _ in range(20):
        await c.run_for(15)
        if replicas(c) > 2:
            break
    assert replicas(c) > 2
    return replicas(c)


async def test_the_folder_sets_the_initial_size_and_the_hpa_then_owns_replicas(tmp_path: Path) -> None:
    (tmp_path / "web.yaml").write_text(WEB + HPA)
    async with Cluster(seed=1) as c:
        source = ManifestSource(c.api, tmp_path, self_heal=True)
        source.sync()
        assert replicas(c) == 2  # the declared count, on create
        scaled = await scaled_up(c, source)
        assert source.sync_statuses()[KEY] == "Synced"
        assert source.drift(KEY) == []
        await c.run_for(30)  # self-heal had its chance: the HPA's count stays
        assert replicas(c) >= scaled
        # A save of the file (another image) applies, keeping the HPA's count.
        (tmp_path / "web.yaml").write_text(WEB.replace("nginx:1.27", "nginx:1.28") + HPA)
        before = replicas(c)
        source.sync()
        live = c.get("deploy", "web")
        assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.28"
        assert live["spec"]["replicas"] == before
        # ctrl-s (re-sync all) and S (one): nothing to revert.
        source.resync()
        source.resync([KEY])
        assert replicas(c) == before
        # The HPA's next scale takes the field back from the folder's apply of the live count.
        c.load("svc/web", 0, "default")
        await c.run_for(900)  # two 5-minute scale-down stabilization windows: 8 to 4, then 4 to 2
        assert replicas(c) == 2
        owners = {
            e["manager"]
            for e in c.get("deploy", "web")["metadata"]["managedFields"]
            if "f:replicas" in str(e.get("fieldsV1"))
        }
        assert "kube-controller-manager" in owners


async def test_without_an_hpa_a_scale_is_still_drift_and_self_heal_reverts_it(tmp_path: Path) -> None:
    """The exception is only for an HPA's target: a `kubectl scale` of a folder's Deployment stays drift."""
    (tmp_path / "web.yaml").write_text(WEB)
    async with Cluster(seed=1) as c:
        source = ManifestSource(c.api, tmp_path)
        source.sync()
        await c.scale("deploy", "web", 5, manager="kubectl")
        assert source.sync_statuses()[KEY] == "OutOfSync"
        assert [d.path for d in source.drift(KEY)] == ["spec.replicas"]
        source.resync([KEY])
        assert replicas(c) == 2


async def test_an_hpa_created_later_takes_replicas_over_from_then(tmp_path: Path) -> None:
    (tmp_path / "web.yaml").write_text(WEB)
    async with Cluster(seed=1) as c:
        source = ManifestSource(c.api, tmp_path)
        source.sync()
        await c.autoscale("deploy", "web", 8, 2, 50, "default", manager="kubectl-autoscale")
        await scaled_up(c, source)
        assert source.sync_statuses()[KEY] == "Synced"
        scaled = replicas(c)
        source.resync([KEY])
        assert replicas(c) == scaled
        # Deleting the HPA gives replicas back to the folder: drift again, and S sets the declared 2.
        await c.delete("hpa", "web")
        assert source.sync_statuses()[KEY] == "OutOfSync"
        source.resync([KEY])
        assert replicas(c) == 2
