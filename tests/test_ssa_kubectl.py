"""`kubectl apply --server-side` against `k9py serve` (in-process, as tests/test_apiserver_kubectl.py starts it),
with the outputs a v1.36 kube-apiserver gives for the same session."""

from __future__ import annotations

import json

from test_apiserver_kit import DEPLOYMENT_YAML, Served, needs_kubectl, served

__all__ = ["served"]
pytestmark = needs_kubectl

CM_YAML = """apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {a: "1", b: "2"}
"""


async def test_server_side_apply_conflict_force_and_managed_fields(served: Served) -> None:
    out = await served.ok("apply", "--server-side", "-f", "-", stdin=DEPLOYMENT_YAML)
    assert out.strip() == "deployment.apps/web serverside-applied"
    await served.ok("scale", "deployment/web", "--replicas=4")
    code, _, err = await served.kubectl("apply", "--server-side", "--field-manager=ci", "-f", "-",
                                        stdin=DEPLOYMENT_YAML)
    assert code == 1
    assert 'conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas' in err
    out = await served.ok("apply", "--server-side", "--field-manager=ci", "--force-conflicts", "-f", "-",
                          stdin=DEPLOYMENT_YAML)
    assert out.strip() == "deployment.apps/web serverside-applied"
    shown = json.loads(await served.ok("get", "deployment", "web", "-o", "json", "--show-managed-fields"))
    managers = [(e["manager"], e["operation"], e.get("subresource", "")) for e in shown["metadata"]["managedFields"]]
    assert {("ci", "Apply", ""), ("kubectl", "Apply", "")} <= set(managers)
    assert ("kubectl", "Update", "scale") not in managers  # forced: its only field went to ci
    hidden = json.loads(await served.ok("get", "deployment", "web", "-o", "json"))
    assert "managedFields" not in hidden["metadata"]


async def test_server_side_apply_prunes_and_reports_unchanged(served: Served) -> None:
    await served.ok("apply", "--server-side", "-f", "-", stdin=CM_YAML)
    await served.ok("apply", "--server-side", "-f", "-", stdin=CM_YAML.replace(', b: "2"', ""))
    data = json.loads(await served.ok("get", "configmap", "settings", "-o", "json"))["data"]
    assert data == {"a": "1"}
    out = await served.ok("apply", "--server-side", "-f", "-", stdin=CM_YAML.replace(', b: "2"', ""))
    assert out.strip() == "configmap/settings serverside-applied"
