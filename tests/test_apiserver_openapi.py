"""OpenAPI v3 with the official schemas: `kubectl explain` prints what it prints against kube-apiserver, client-side
apply computes strategic merge patches from it, and the documents are built only when first asked for."""

from __future__ import annotations

from typing import Any

from test_apiserver_kit import DEPLOYMENT_YAML, Served, needs_kubectl, served

pytestmark = needs_kubectl
__all__ = ["served"]

# Printed by kubectl v1.32 against a real v1.36 kube-apiserver.
LEASE_SPEC = """\
GROUP:      coordination.k8s.io
KIND:       Lease
VERSION:    v1

FIELD: spec <LeaseSpec>


DESCRIPTION:
    spec contains the specification of the Lease. More info:
    https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status
    LeaseSpec is a specification of a Lease.
    \n\
FIELDS:
  acquireTime\t<string>
    acquireTime is a time when the current lease was acquired.

  holderIdentity\t<string>
    holderIdentity contains the identity of the holder of a current lease. If
    Coordinated Leader Election is used, the holder identity must be equal to
    the elected LeaseCandidate.metadata.name field.

  leaseDurationSeconds\t<integer>
    leaseDurationSeconds is a duration that candidates for a lease need to wait
    to force acquire it. This is measured against the time of last observed
    renewTime.

  leaseTransitions\t<integer>
    leaseTransitions is the number of transitions of a lease between holders.

  preferredHolder\t<string>
    PreferredHolder signals to a lease holder that the lease has a more optimal
    holder and should be given up. This field can only be set if Strategy is
    also set.

  renewTime\t<string>
    renewTime is a time when the current holder of a lease has last updated the
    lease.

  strategy\t<string>
    Strategy indicates the strategy for picking the leader for coordinated
    leader election. If the field is not specified, there is no active
    coordination for this lease. (Alpha) Using this field requires the
    CoordinatedLeaderElection feature gate to be enabled.


"""
# Against kube-apiserver the `type` field also prints `enum: Recreate, RollingUpdate` and a "Possible enum values"
# list: the schema bundle k9py serves derives from OpenAPI v2, which has no enums (engine/apiserver/openapi.py).
ENUM_TEXT = """\
    \n\
    Possible enum values:
     - `"Recreate"` Kill all existing pods before creating new ones.
     - `"RollingUpdate"` Replace the old ReplicaSets by new one using rolling
    update i.e gradually scale down the old ReplicaSets and scale up the new
    one.
"""
REAL_STRATEGY = """\
GROUP:      apps
KIND:       Deployment
VERSION:    v1

FIELD: strategy <DeploymentStrategy>


DESCRIPTION:
    The deployment strategy to use to replace existing pods with new ones.
    DeploymentStrategy describes how to replace existing pods with new ones.
    \n\
FIELDS:
  rollingUpdate\t<RollingUpdateDeployment>
    Rolling update config params. Present only if DeploymentStrategyType =
    RollingUpdate.

  type\t<string>
  enum: Recreate, RollingUpdate
    Type of deployment. Can be "Recreate" or "RollingUpdate". Default is
    RollingUpdate.
""" + ENUM_TEXT + """\


"""


async def test_explain_prints_the_official_schema(served: Served) -> None:
    assert await served.ok("explain", "lease.spec") == LEASE_SPEC
    expected = REAL_STRATEGY.replace("  enum: Recreate, RollingUpdate\n", "").replace(ENUM_TEXT, "")
    assert await served.ok("explain", "deployment.spec.strategy") == expected
    pods = await served.ok("explain", "pods.spec.containers", "--recursive")
    assert "  ports\t<[]ContainerPort>\n" in pods and "    containerPort\t<integer> -required-\n" in pods
    limits = await served.ok("explain", "pod.spec.containers.resources.limits")
    assert "FIELD: limits <map[string]Quantity>" in limits
    rolling = await served.ok("explain", "deployment.spec.strategy.rollingUpdate")
    assert "  maxSurge\t<IntOrString>\n" in rolling
    # The reviews and the events.k8s.io view have their schemas too.
    assert "FIELD: resourceAttributes <ResourceAttributes>" in await served.ok(
        "explain", "selfsubjectaccessreviews.spec.resourceAttributes")


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            found.add(node["$ref"].removeprefix("#/components/schemas/"))
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


async def test_documents_are_lazy_complete_and_cached(served: Served) -> None:
    assert served.server.openapi._built == {}  # nothing built or loaded at start
    code, root, _ = await served.request("GET", "/openapi/v3")
    assert code == 200 and served.server.openapi._built == {}  # the root needs no document
    url = root["paths"]["apis/apps/v1"]["serverRelativeURL"]
    assert url.startswith("/openapi/v3/apis/apps/v1?hash=") and set(root["paths"]) >= {
        "api/v1", "apis/apps/v1", "apis/batch/v1", "apis/authorization.k8s.io/v1"}
    code, document, response = await served.request("GET", url)
    assert code == 200 and response.headers["Content-Type"] == "application/json"
    schemas = document["components"]["schemas"]
    deployment = schemas["io.k8s.api.apps.v1.Deployment"]
    assert deployment["x-kubernetes-group-version-kind"] == [{"group": "apps", "kind": "Deployment", "version": "v1"}]
    assert deployment["type"] == "object" and "required" not in deployment  # v1.36's, not the newer bundle's
    assert deployment["properties"]["spec"] == {
        "description": "Specification of the desired behavior of the Deployment.",
        "allOf": [{"$ref": "#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec"}]}
    assert schemas["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]["strategy"]["x-kubernetes-patch-strategy"] \
        == "retainKeys"
    containers = schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"]
    assert (containers["x-kubernetes-patch-merge-key"], containers["x-kubernetes-list-type"]) == ("name", "map")
    assert "io.k8s.api.apps.v1.DeploymentList" in schemas and "io.k8s.api.autoscaling.v1.Scale" in schemas
    found: set[str] = set()
    _refs(document, found)
    assert found <= set(schemas)  # every reference resolves inside the document
    patch = document["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert "fieldValidation" in [p["name"] for p in patch["parameters"]]
    # Built once, all group-versions at once, then served from the cache.
    built = dict(served.server.openapi._built)
    assert len(built) == len(root["paths"])
    assert (await served.request("GET", url))[1] == document
    assert served.server.openapi._built == built and all(served.server.openapi._built[k] is v for k, v in built.items())
    code, _, _ = await served.request("GET", "/openapi/v3/apis/nope.example.com/v1")
    assert code == 404


async def test_client_side_apply_and_unknown_kinds(served: Served) -> None:
    two = DEPLOYMENT_YAML.replace("        image: nginx:1.27\n", "        image: nginx:1.27\n"
                                  "        env: [{name: A, value: '1'}, {name: B, value: '2'}]\n")
    assert "deployment.apps/web created" in await served.ok("apply", "-f", "-", stdin=two)
    # The patch kubectl computes from the schema (env merged by name) drops B and changes A.
    one = two.replace("[{name: A, value: '1'}, {name: B, value: '2'}]", "[{name: A, value: '3'}]")
    assert "deployment.apps/web configured" in await served.ok("apply", "-f", "-", stdin=one)
    live = served.cluster.get("deployment", "web")
    assert live["spec"]["template"]["spec"]["containers"][0]["env"] == [{"name": "A", "value": "3"}]
    code, _, err = await served.kubectl("apply", "-f", "-", stdin="apiVersion: example.com/v1\nkind: Foo\n"
                                                                    "metadata: {name: x}\n")
    assert code == 1 and err == ('error: resource mapping not found for name: "x" namespace: "" from "STDIN": no '
                                 'matches for kind "Foo" in version "example.com/v1"\nensure CRDs are installed '
                                 "first\n")
