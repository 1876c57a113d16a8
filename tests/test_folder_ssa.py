"""A watched folder applies by server-side apply as the `k9py` field manager, and its drift follows field ownership.

What a user notices, through the served API with kubectl (as tests/test_apiserver_kubectl.py serves it): the
folder's objects show `k9py` as their `Apply` manager; `kubectl scale` makes the object OutOfSync, naming the field
and the manager; `S` takes the field back, `w` writes the live value into the file; another manager's apply
conflicts with `k9py`; a field dropped from the file leaves the live object. The last test runs the same sequence
against a real v1.36 control plane (`kubectl apply --server-side --force-conflicts --field-manager=k9py`, which is
what a sync claims to be) and compares the ownership and values it ends with.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

from test_apiserver_kit import KUBECTL, Served, needs_kubectl, served

from engine import Cluster
from engine.manifests.diff import format_diff
from engine.manifests.source import ManifestSource
from k9py.backend import DASHBOARD_FIELD_MANAGER, DASHBOARD_ROLLOUT_MANAGER, EngineBackend

__all__ = ["served"]

KEY = ("Deployment", "default", "web")
WEB = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web, tier: front}
spec:
  replicas: 2  # two for now
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: nginx:1.27
        env:
        - {name: A, value: "1"}
        - {name: B, value: "2"}
"""
# The same file without the `tier` label, the env var B and the replicas.
WEB_TRIMMED = (WEB.replace("labels: {app: web, tier: front}", "labels: {app: web}")
               .replace('        - {name: B, value: "2"}\n', "").replace("  replicas: 2  # two for now\n", ""))
SCALE_OWNER = '"kubectl" with subresource "scale" using apps/v1'


def managers(obj: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(e["manager"], e["operation"], e.get("subresource", "")) for e in obj["metadata"]["managedFields"]}


def k9py_fields(obj: dict[str, Any]) -> dict[str, Any]:
    return next(e["fieldsV1"] for e in obj["metadata"]["managedFields"]
                if (e["manager"], e["operation"]) == ("k9py", "Apply"))


def folder(tmp_path: Path, text: str = WEB) -> Path:
    root = tmp_path / "app"
    root.mkdir(exist_ok=True)
    (root / "web.yaml").write_text(text)
    return root


async def shown(served: Served) -> dict[str, Any]:
    """The Deployment as `kubectl get -o json --show-managed-fields` prints it."""
    return json.loads(await served.ok("get", "deployment", "web", "-o", "json", "--show-managed-fields"))


@needs_kubectl
async def test_the_folder_applies_as_k9py_and_kubectl_shows_it(served: Served, tmp_path: Path) -> None:
    source = ManifestSource(served.cluster.api, folder(tmp_path))
    assert source.sync().created == (KEY,)
    live = await shown(served)
    assert ("k9py", "Apply", "") in managers(live)
    fields = k9py_fields(live)
    assert set(fields["f:spec"]) == {"f:replicas", "f:selector", "f:template"}  # what the file declares, no more
    assert fields["f:metadata"] == {"f:labels": {"f:app": {}, "f:tier": {}}}
    # Server-side apply keeps no last-applied annotation, as `kubectl apply --server-side` keeps none.
    assert "kubectl.kubernetes.io/last-applied-configuration" not in live["metadata"].get("annotations", {})
    await served.wait_for(lambda: (served.cluster.api.get("deployments", "web", "default").get("status") or {})
                          .get("readyReplicas") == 2)
    assert source.sync_statuses()[KEY] == "Synced"  # the controllers' writes (status, revision) are not drift
    assert source.drift(KEY) == []


@needs_kubectl
async def test_kubectl_scale_is_drift_naming_the_field_and_its_manager_and_S_takes_it_back(
        served: Served, tmp_path: Path) -> None:
    source = ManifestSource(served.cluster.api, folder(tmp_path))
    source.sync()
    await served.ok("scale", "deployment/web", "--replicas=5")
    assert source.sync_statuses()[KEY] == "OutOfSync"
    assert format_diff(source.drift(KEY)) == f"spec.replicas: 2 → 5 (live, managed by {SCALE_OWNER})"

    # Scaled back by hand to the file's value: the value matches, but kubectl still owns the field, so dropping
    # it from the file would no longer remove it. That is drift too, until a re-sync takes the field back.
    await served.ok("scale", "deployment/web", "--replicas=2")
    assert source.sync_statuses()[KEY] == "OutOfSync"
    [change] = source.drift(KEY)
    assert (change.path, change.declared, change.live, change.kind) == ("spec.replicas", 2, 2, "taken")
    assert format_diff([change]) == f"spec.replicas: 2 → 2 (live, managed by {SCALE_OWNER})"

    await served.ok("scale", "deployment/web", "--replicas=5")
    record = source.resync([KEY])  # `S`: forced, so the field comes back to k9py and kubectl's entry goes
    assert record.updated == (KEY,)
    live = await shown(served)
    assert live["spec"]["replicas"] == 2
    assert "f:replicas" in k9py_fields(live)["f:spec"]
    assert ("kubectl", "Update", "scale") not in managers(live)
    assert source.sync_statuses()[KEY] == "Synced"


@needs_kubectl
async def test_w_writes_the_live_value_into_the_file_and_k9py_owns_it_again(served: Served, tmp_path: Path) -> None:
    root = folder(tmp_path)
    source = ManifestSource(served.cluster.api, root)
    source.sync()
    await served.ok("scale", "deployment/web", "--replicas=4")
    result = source.write_back_live(KEY)
    assert result is not None and result.fields == ("spec.replicas",)
    assert (root / "web.yaml").read_text() == WEB.replace("replicas: 2  # two for now", "replicas: 4  # two for now")
    assert source.sync_statuses()[KEY] == "Synced"
    live = await shown(served)
    # The file now declares 4 and k9py applied it: it owns the field again, beside kubectl, which set the same
    # value (shared ownership, as server-side apply records an apply that agrees with the owner).
    assert "f:replicas" in k9py_fields(live)["f:spec"]
    assert ("kubectl", "Update", "scale") in managers(live)
    record = source.sync()  # the watcher sees k9py's own write: nothing more to apply
    assert (record.created, record.updated) == ((), ())
    assert source.write_back_live(KEY) is None


@needs_kubectl
async def test_w_writes_whatever_declared_field_kubectl_changed(served: Served, tmp_path: Path) -> None:
    root = folder(tmp_path)
    source = ManifestSource(served.cluster.api, root)
    source.sync()
    await served.ok("set", "image", "deployment/web", "app=nginx:1.28")
    await served.ok("label", "deployment/web", "tier=back", "--overwrite")
    assert format_diff(source.drift(KEY)).splitlines() == [
        'metadata.labels.tier: "front" → "back" (live, managed by "kubectl-label" using apps/v1)',
        'spec.template.spec.containers[name=app].image: "nginx:1.27" → "nginx:1.28" '
        '(live, managed by "kubectl-set" using apps/v1)']
    result = source.write_back_live(KEY)
    assert result is not None and set(result.fields) == {"metadata.labels.tier",
                                                          "spec.template.spec.containers[name=app].image"}
    assert (root / "web.yaml").read_text() == WEB.replace("tier: front", "tier: back").replace("1.27", "1.28")
    assert source.sync_statuses()[KEY] == "Synced"


async def test_a_secrets_string_data_drifts_when_its_data_is_edited(tmp_path: Path) -> None:
    """`stringData` is write-only (folded into `data`), so what k9py owns says nothing of `data`: the dry-run
    apply does."""
    root = tmp_path / "app"
    root.mkdir()
    (root / "creds.yaml").write_text("apiVersion: v1\nkind: Secret\nmetadata: {name: creds}\n"
                                     "stringData: {password: hunter2}\n")
    async with Cluster(nodes=1) as cluster:
        source = ManifestSource(cluster.api, root)
        source.sync()
        key = ("Secret", "default", "creds")
        assert source.sync_statuses()[key] == "Synced"
        cluster.api.patch("secrets", "creds", "default", {"data": {"password": "Zm9v"}}, manager="kubectl-edit")
        assert format_diff(source.drift(key)) == (
            'data.password: "aHVudGVyMg==" → "Zm9v" (live, managed by "kubectl-edit" using v1)')
        source.resync([key])
        assert cluster.api.get("secrets", "creds", "default")["data"] == {"password": "aHVudGVyMg=="}
        assert source.sync_statuses()[key] == "Synced"


@needs_kubectl
async def test_another_managers_apply_conflicts_with_k9py(served: Served, tmp_path: Path) -> None:
    source = ManifestSource(served.cluster.api, folder(tmp_path))
    source.sync()
    other = WEB.replace("nginx:1.27", "nginx:1.28")
    code, _, err = await served.kubectl("apply", "--server-side", "--field-manager=ci", "-f", "-", stdin=other)
    assert code == 1
    assert ('Apply failed with 1 conflict: conflict with "k9py": .spec.template.spec.containers[name="app"].image'
            in err)
    # With --force-conflicts the field changes hands, and the folder names its new manager.
    await served.ok("apply", "--server-side", "--field-manager=ci", "--force-conflicts", "-f", "-", stdin=other)
    assert format_diff(source.drift(KEY)) == ('spec.template.spec.containers[name=app].image: "nginx:1.27" → '
                                              '"nginx:1.28" (live, managed by "ci")')
    source.resync([KEY])
    assert (await shown(served))["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"


@needs_kubectl
async def test_a_field_dropped_from_the_file_leaves_the_live_object(served: Served, tmp_path: Path) -> None:
    root = folder(tmp_path)
    source = ManifestSource(served.cluster.api, root)
    source.sync()
    (root / "web.yaml").write_text(WEB_TRIMMED)
    assert source.sync().updated == (KEY,)
    live = await shown(served)
    assert live["metadata"]["labels"] == {"app": "web"}
    assert live["spec"]["template"]["spec"]["containers"][0]["env"] == [{"name": "A", "value": "1"}]
    assert live["spec"]["replicas"] == 1  # nobody else owned it: removed, so the API defaults it again
    assert source.sync_statuses()[KEY] == "Synced"


async def test_the_dashboards_scale_is_recorded_under_its_own_manager(tmp_path: Path) -> None:
    """k9s's scale is recorded under `k9s` (client-go's User-Agent), an Update of the scale subresource; the
    dashboard's under `k9py-dashboard`, so drift tells it from kubectl and from the folder's `k9py`."""
    backend = EngineBackend(Cluster(nodes=1))
    await backend.start()
    try:
        await backend.load([folder(tmp_path)])
        await backend.scale(backend.resolve("deploy"), "web", "default", 3)
        live = backend.cluster.api.get("deployments", "web", "default")
        assert (DASHBOARD_FIELD_MANAGER, "Update", "scale") in managers(live)
        assert backend.source_drift(KEY) == (
            'spec.replicas: 2 → 3 (live, managed by "k9py-dashboard" with subresource "scale" using apps/v1)')
        assert await backend.write_back(KEY) == "wrote replicas back to web.yaml"
        assert "replicas: 3  # two for now" in (tmp_path / "app" / "web.yaml").read_text()
    finally:
        await backend.stop()


async def test_the_dashboards_rollout_and_cordon_are_recorded_under_its_managers(tmp_path: Path) -> None:
    """As `kubectl rollout restart` writes as `kubectl-rollout` and `kubectl cordon` as `kubectl` (the kit's
    managedFields), the dashboard's restart and rollback write as `k9py-dashboard-rollout` and its cordon as
    `k9py-dashboard`: drift and `--show-managed-fields` name the dashboard, not the controllers."""
    backend = EngineBackend(Cluster(nodes=1))
    await backend.start()
    try:
        await backend.load([folder(tmp_path)])
        await backend.restart("web", "default")
        live = backend.cluster.api.get("deployments", "web", "default")
        entry = next(e for e in live["metadata"]["managedFields"] if e["manager"] == DASHBOARD_ROLLOUT_MANAGER)
        assert entry["operation"] == "Update" and "subresource" not in entry
        annotations = entry["fieldsV1"]["f:spec"]["f:template"]["f:metadata"]["f:annotations"]
        assert "f:kubectl.kubernetes.io/restartedAt" in annotations
        await backend.cordon("node-1", True)
        node = backend.cluster.api.get("nodes", "node-1")
        assert (DASHBOARD_FIELD_MANAGER, "Update", "") in managers(node)
    finally:
        await backend.stop()


# --- the same sequence on a real control plane -----------------------------------------------------------------

def _summary(obj: dict[str, Any]) -> dict[str, Any]:
    """What the comparison looks at: the values the sequence changes, who manages what (the controllers' own
    entries aside: those are the controllers', not the folder's), and the k9py entry's fields exactly."""
    return {
        "replicas": obj["spec"]["replicas"],
        "labels": obj["metadata"].get("labels"),
        "env": obj["spec"]["template"]["spec"]["containers"][0].get("env"),
        "image": obj["spec"]["template"]["spec"]["containers"][0]["image"],
        "managers": sorted(m for m in managers(obj) if m[0] != "kube-controller-manager"),
        "k9py": k9py_fields(obj),
    }


@needs_kubectl
async def test_the_sequence_ends_as_on_a_real_control_plane(served: Served, tmp_path: Path,
                                                            real_kubeconfig: Path) -> None:
    """apply, kubectl scale, re-sync, kubectl scale, write back, drop fields: after each step k9py's object (its
    folder synced as usual) and the real one (kubectl apply --server-side --force-conflicts --field-manager=k9py
    of the same file) have the same values and the same managers owning the same fields."""
    assert KUBECTL is not None
    namespace = f"k9py-ssa-{uuid.uuid4().hex[:6]}"

    def real(*args: str, stdin: str | None = None) -> str:
        run = subprocess.run([KUBECTL, f"--kubeconfig={real_kubeconfig}", "-n", namespace, *args], input=stdin,
                             capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stderr
        return run.stdout

    def real_apply(text: str) -> None:
        real("apply", "--server-side", "--force-conflicts", "--field-manager=k9py", "-f", "-", stdin=text)

    def real_state() -> dict[str, Any]:
        return _summary(json.loads(real("get", "deployment", "web", "-o", "json", "--show-managed-fields")))

    real("create", "namespace", namespace)  # -n is ignored for a namespace
    try:
        root = folder(tmp_path)
        source = ManifestSource(served.cluster.api, root)
        steps = []
        source.sync()
        real_apply(WEB)
        steps.append(("apply", _summary(await shown(served)), real_state()))
        await served.ok("scale", "deployment/web", "--replicas=5")
        real("scale", "deployment/web", "--replicas=5")
        steps.append(("kubectl scale", _summary(await shown(served)), real_state()))
        source.resync([KEY])
        real_apply(WEB)
        steps.append(("re-sync", _summary(await shown(served)), real_state()))
        await served.ok("scale", "deployment/web", "--replicas=4")
        real("scale", "deployment/web", "--replicas=4")
        source.write_back_live(KEY)
        real_apply((root / "web.yaml").read_text())
        steps.append(("write back", _summary(await shown(served)), real_state()))
        (root / "web.yaml").write_text(WEB_TRIMMED)
        source.sync()
        real_apply(WEB_TRIMMED)
        steps.append(("fields dropped", _summary(await shown(served)), real_state()))
    finally:
        subprocess.run([KUBECTL, f"--kubeconfig={real_kubeconfig}", "delete", "namespace", namespace, "--wait=false"],
                       capture_output=True, timeout=60)
    for step, ours, theirs in steps:
        assert ours == theirs, step
    # The last step as both ended it: kubectl still co-owns the replicas it set, so they stay at 4.
    assert steps[-1][1]["replicas"] == 4

