"""ResourceQuota on the virtual clock: the quota admission (`k8s.io/apiserver/pkg/admission/plugin/resourcequota`
controller.go CheckRequest, `pkg/quota/v1/evaluator/core`), the quota controller (`pkg/controller/resourcequota`)
and the kind (validation, `kubectl get quota`, `kubectl describe quota`). Expected texts are kube-apiserver
v1.36's and kubectl's, as the kit printed them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine.cluster import Cluster
from engine.errors import ApiError
from k9py.cli import main

Obj = dict[str, Any]

NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n"
COMPUTE = """
apiVersion: v1
kind: ResourceQuota
metadata: {name: compute, namespace: team}
spec:
  hard: {pods: "5", requests.cpu: "2", requests.memory: 2Gi, limits.cpu: "4", limits.memory: 4Gi}
"""


def web(replicas: int, resources: bool = True, name: str = "web") -> str:
    stanza = """
        resources:
          requests: {cpu: 100m, memory: 128Mi}
          limits: {cpu: 200m, memory: 256Mi}""" if resources else ""
    return f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: team}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
      - name: app
        image: nginx:1.27{stanza}
"""


def pod(name: str, resources: Obj | None = None, **spec: Any) -> Obj:
    container: Obj = {"name": "app", "image": "nginx:1.27"}
    if resources is not None:
        container["resources"] = resources
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "team"},
            "spec": {"containers": [container], **spec}}


def used(c: Cluster, name: str = "compute") -> Obj:
    return (c.get("quota", name, "team") or {}).get("status", {}).get("used", {})


def failed_creates(c: Cluster) -> list[str]:
    return [e["message"] for e in c.events("team") if e["reason"] == "FailedCreate"]


async def refused(c: Cluster, obj: Obj) -> ApiError:
    with pytest.raises(ApiError) as info:
        await c.create(obj)
    assert info.value.code == 403, info.value.message
    return info.value


async def test_a_quota_of_five_pods_lets_five_in_and_the_sixth_replica_fails_to_create() -> None:
    """CheckRequest: the sixth pod would take `pods` to 6 of 5. The ReplicaSet controller reports the refusal as a
    FailedCreate event and a ReplicaFailure condition (replica_set.go manageReplicas, calculateStatus)."""
    async with Cluster(nodes=3) as c:
        await c.apply(NAMESPACE + "---" + COMPUTE + "---" + web(6))
        await c.run_for(30)
        assert len(c.list("pods", "team")) == 5
        [rs] = c.list("rs", "team")
        rs_name = rs["metadata"]["name"]
        message = failed_creates(c)[0]
        assert message.startswith(f'Error creating: pods "{rs_name}-')
        assert message.endswith('" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=5, '
                                "limited: pods=5")
        [condition] = rs["status"]["conditions"]
        assert (condition["type"], condition["reason"]) == ("ReplicaFailure", "FailedCreate")
        assert "exceeded quota: compute" in condition["message"]
        assert c.table("quota", "team") == (["NAME", "REQUEST", "LIMIT", "AGE"], [[
            "compute", "pods: 5/5, requests.cpu: 500m/2, requests.memory: 640Mi/2Gi",
            "limits.cpu: 1/4, limits.memory: 1280Mi/4Gi", "30s"]])
        assert c.describe("quota", "compute", "team") == (
            "Name:            compute\n"
            "Namespace:       team\n"
            "Resource         Used    Hard\n"
            "--------         ----    ----\n"
            "limits.cpu       1       4\n"
            "limits.memory    1280Mi  4Gi\n"
            "pods             5       5\n"
            "requests.cpu     500m    2\n"
            "requests.memory  640Mi   2Gi\n")


async def test_a_deleted_pod_releases_its_quota_and_the_replicaset_gets_its_sixth_pod() -> None:
    """The quota monitor replenishes on every deletion: the controller recounts, and the ReplicaSet's next
    attempt fits."""
    async with Cluster(nodes=3) as c:
        await c.apply(NAMESPACE + "---" + COMPUTE.replace('pods: "5"', 'pods: "6"') + "---" + web(5))
        await c.apply(web(1, name="other"))
        await c.run_for(30)
        assert used(c)["pods"] == "6"
        await c.apply(web(6))
        await c.run_for(15)
        assert len(c.list("pods", "team", selector="app=web")) == 5
        assert "exceeded quota: compute, requested: pods=1, used: pods=6, limited: pods=6" in failed_creates(c)[-1]
        await c.delete("deployment", "other", "team")
        assert await c.run_until(lambda c: len(c.list("pods", "team", selector="app=web")) == 6, timeout=60)
        await c.run_for(5)
        assert used(c)["pods"] == "6"
        assert c.health("deployment", "web", "team")[0] == "Healthy"


async def test_a_finished_pod_stops_counting_against_pods_but_still_counts_as_an_object() -> None:
    """PodUsageFunc / QuotaV1Pod: a Succeeded pod is not charged compute or `pods`; `count/pods` counts every
    stored pod. The monitor's update filter replenishes when a pod turns terminal."""
    async with Cluster(nodes=1) as c:
        await c.apply(NAMESPACE + """---
apiVersion: v1
kind: ResourceQuota
metadata: {name: compute, namespace: team}
spec:
  hard: {pods: "1", count/pods: "5"}
""")
        await c.run_for(1)
        job_pod = pod("once", restartPolicy="Never")
        job_pod["spec"]["containers"][0]["command"] = ["sh", "-c", "sleep 5; exit 0"]
        await c.create(job_pod)
        await c.run_for(1)
        assert used(c) == {"count/pods": "1", "pods": "1"}
        error = await refused(c, pod("second"))
        assert error.message == ('pods "second" is forbidden: exceeded quota: compute, requested: pods=1, '
                                 "used: pods=1, limited: pods=1")
        await c.run_for(15)
        assert c.get("pod", "once", "team")["status"]["phase"] == "Succeeded"
        assert used(c) == {"count/pods": "1", "pods": "0"}
        await c.create(pod("second"))
        assert used(c) == {"count/pods": "2", "pods": "1"}


async def test_a_compute_quota_requires_every_container_to_state_the_resource() -> None:
    """podEvaluator.Constraints: `failed quota: <name>: must specify <resource> for: <containers>`, per missing
    resource, sorted, init containers included."""
    async with Cluster(nodes=1) as c:
        await c.apply(NAMESPACE + "---" + COMPUTE)
        await c.run_for(1)
        error = await refused(c, pod("app", {"requests": {"cpu": "100m"}}))
        assert error.message == ('pods "app" is forbidden: failed quota: compute: must specify limits.cpu for: app; '
                                 "limits.memory for: app; requests.memory for: app")
        stated = {"requests": {"cpu": "100m", "memory": "10Mi"}, "limits": {"cpu": "3", "memory": "10Mi"}}
        with_init = pod("init", stated)
        with_init["spec"]["initContainers"] = [{"name": "init", "image": "busybox:1.36"}]
        error = await refused(c, with_init)
        assert error.message.endswith("failed quota: compute: must specify limits.cpu for: init; limits.memory for: "
                                      "init; requests.cpu for: init; requests.memory for: init")
        big = {"requests": {"cpu": "3", "memory": "3Gi"}, "limits": {"cpu": "3", "memory": "3Gi"}}
        error = await refused(c, pod("big", big))
        assert error.message == ('pods "big" is forbidden: exceeded quota: compute, requested: '
                                 "requests.cpu=3,requests.memory=3Gi, used: requests.cpu=0,requests.memory=0, "
                                 "limited: requests.cpu=2,requests.memory=2Gi")
        assert used(c)["pods"] == "0"


async def test_scopes_choose_which_pods_a_quota_counts() -> None:
    """podMatchesScopeFunc: BestEffort and NotTerminating select by QoS and activeDeadlineSeconds; a scope
    selector on PriorityClass by the pod's priorityClassName. kubectl describe lists the scopes with their help."""
    async with Cluster(nodes=1) as c:
        await c.apply(NAMESPACE + """---
apiVersion: v1
kind: ResourceQuota
metadata: {name: besteffort, namespace: team}
spec:
  hard: {pods: "1"}
  scopes: [BestEffort, NotTerminating]
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: critical, namespace: team}
spec:
  hard: {pods: "0"}
  scopeSelector:
    matchExpressions:
    - {scopeName: PriorityClass, operator: In, values: [system-cluster-critical]}
""")
        await c.run_for(1)
        await c.create(pod("free-1"))
        error = await refused(c, pod("free-2"))
        assert "exceeded quota: besteffort, requested: pods=1, used: pods=1, limited: pods=1" in error.message
        await c.create(pod("deadline", activeDeadlineSeconds=600))  # Terminating: not this quota's
        await c.create(pod("burstable", {"requests": {"cpu": "10m"}}))  # NotBestEffort
        error = await refused(c, pod("vip", {"requests": {"cpu": "10m"}}, priorityClassName="system-cluster-critical"))
        assert "exceeded quota: critical, requested: pods=1, used: pods=0, limited: pods=0" in error.message
        assert used(c, "besteffort") == {"pods": "1"}
        assert c.describe("quota", "besteffort", "team") == (
            "Name:       besteffort\n"
            "Namespace:  team\n"
            "Scopes:     BestEffort, NotTerminating\n"
            " * Matches all pods that do not have resource requirements set. These pods have a best effort quality "
            "of service.\n"
            " * Matches all pods that do not have an active deadline. These pods usually include long running pods "
            "whose container command is not expected to terminate.\n"
            "Resource  Used  Hard\n"
            "--------  ----  ----\n"
            "pods      1     1\n")


async def test_object_counts_services_and_claims() -> None:
    """generic.objectCountEvaluator (`count/<resource>` and the legacy `configmaps`), the services evaluator
    (node ports and load balancers, charged on update too) and the claims evaluator (requests.storage)."""
    async with Cluster(nodes=1) as c:
        await c.apply(NAMESPACE + """---
apiVersion: v1
kind: ResourceQuota
metadata: {name: objects, namespace: team}
spec:
  hard:
    count/deployments.apps: "1"
    configmaps: "2"
    services.nodeports: "1"
    services.loadbalancers: "0"
    requests.storage: 5Gi
""")
        await c.apply(web(1))
        await c.run_for(5)
        assert used(c, "objects") == {"count/deployments.apps": "1", "configmaps": "1", "services.nodeports": "0",
                                      "services.loadbalancers": "0", "requests.storage": "0"}
        with pytest.raises(ApiError) as info:
            await c.apply(web(1, name="second"))
        assert info.value.message == ('deployments.apps "second" is forbidden: exceeded quota: objects, requested: '
                                      "count/deployments.apps=1, used: count/deployments.apps=1, "
                                      "limited: count/deployments.apps=1")
        configmap = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "team"}}
        await c.create(configmap)
        error = await refused(c, {**configmap, "metadata": {"name": "b", "namespace": "team"}})
        assert error.message.endswith("exceeded quota: objects, requested: configmaps=1, used: configmaps=2, "
                                      "limited: configmaps=2")
        svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "team"},
               "spec": {"selector": {"app": "web"}, "ports": [{"name": "a", "port": 80}, {"name": "b", "port": 81}]}}
        await c.create(svc)
        with pytest.raises(ApiError) as info:
            await c.patch("service", "web", {"spec": {"type": "NodePort"}}, "team")
        assert info.value.message == ('services "web" is forbidden: exceeded quota: objects, requested: '
                                      "services.nodeports=2, used: services.nodeports=0, limited: services.nodeports=1")
        error = await refused(c, {**svc, "metadata": {"name": "lb", "namespace": "team"},
                                  "spec": {**svc["spec"], "type": "LoadBalancer"}})
        assert "requested: services.loadbalancers=1,services.nodeports=2" in error.message
        claim = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data", "namespace": "team"},
                 "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "6Gi"}}}}
        error = await refused(c, claim)
        assert error.message.endswith("requested: requests.storage=6Gi, used: requests.storage=0, "
                                      "limited: requests.storage=5Gi")


async def test_a_dry_run_is_checked_but_not_charged() -> None:
    """checkQuotas: `Don't update quota for admissionAttributes that correspond to dry-run requests`."""
    async with Cluster(nodes=1) as c:
        await c.apply(NAMESPACE + """---
apiVersion: v1
kind: ResourceQuota
metadata: {name: compute, namespace: team}
spec:
  hard: {pods: "1"}
""")
        await c.run_for(1)
        c.api.create(pod("a"), dry_run=True)
        assert used(c) == {"pods": "0"}
        await c.create(pod("a"))
        with pytest.raises(ApiError) as info:
            c.api.create(pod("b"), dry_run=True)
        assert "exceeded quota: compute" in info.value.message


async def test_a_pod_stuck_terminating_on_a_lost_node_is_released_by_the_full_resync() -> None:
    """QuotaV1Pod stops charging a pod once its deletion is overdue by a grace period; nothing changes in the
    store then, so only the controller's periodic full recount (every 5 minutes) sees it, and the ReplicaSet's
    replacement pod, refused until then, is created after it."""
    async with Cluster(nodes=1) as c:
        await c.apply(NAMESPACE + """---
apiVersion: v1
kind: ResourceQuota
metadata: {name: compute, namespace: team}
spec:
  hard: {pods: "1"}
""" + "---" + web(1, resources=False))
        created = c.now()
        await c.run_for(20)
        [first] = c.list("pods", "team")
        await c.set_node_ready("node-1", False)
        await c.delete("pod", first["metadata"]["name"], "team")
        await c.run_for(90)  # past deletionTimestamp + 30 s: no longer charged, but nobody has recounted
        assert used(c) == {"pods": "1"}
        assert "exceeded quota: compute" in failed_creates(c)[-1]
        assert await c.run_until(lambda c: len(c.list("pods", "team")) == 2, timeout=300)
        assert 300 <= c.now() - created <= 315  # the first full resync, then the ReplicaSet's next attempt
        assert used(c) == {"pods": "1"}  # the replacement, charged by admission after the recount freed the old one


async def test_validation_uses_the_api_servers_messages() -> None:
    """ValidateResourceQuota: resource names, quantities (whole numbers for counts), scopes; the decoder's 400
    for a value that is not a quantity; scopes are immutable."""
    async with Cluster(nodes=1) as c:
        await c.apply(NAMESPACE)
        bad = {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "bad", "namespace": "team"},
               "spec": {"hard": {"pods": "-1", "foo": "1", "requests.cpu": "1", "services": "1.5",
                                 "example.com/x": 2},
                        "scopes": ["BestEffort", "NotBestEffort", "Bogus"]}}
        with pytest.raises(ApiError) as info:
            await c.create(bad)
        scopes = '["BestEffort","NotBestEffort","Bogus"]'
        assert info.value.code == 422
        assert [(cause["field"], cause["message"]) for cause in info.value.status["details"]["causes"]] == [
            ("spec.hard[foo]", 'Invalid value: "foo": must be a standard resource type or fully qualified'),
            ("spec.hard[foo]", 'Invalid value: "foo": must be a standard resource for quota'),
            ("spec.hard[pods]", 'Invalid value: "-1": must be greater than or equal to 0'),
            ("spec.hard[services]", 'Invalid value: "1500m": must be an integer'),
            ("spec.scopes", f"Invalid value: {scopes}: unsupported scope applied to resource"),
            ("spec.scopes", f"Invalid value: {scopes}: unsupported scope"),
            ("spec.scopes", f"Invalid value: {scopes}: conflicting scopes"),
        ]
        with pytest.raises(ApiError) as info:
            await c.create({**bad, "spec": {"hard": {"pods": "abc"}}})
        assert (info.value.code, info.value.message) == (400, (
            'ResourceQuota in version "v1" cannot be handled as a ResourceQuota: quantities must match the regular '
            "expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"))
        await c.create({**bad, "spec": {"hard": {"pods": "1"}}})
        with pytest.raises(ApiError) as info:
            await c.patch("quota", "bad", {"spec": {"scopes": ["NotTerminating"]}}, "team")
        assert info.value.message == ('ResourceQuota "bad" is invalid: spec.scopes: Invalid value: ["NotTerminating"]: '
                                      "field is immutable")


async def test_describe_namespace_lists_its_quotas_and_limit_ranges() -> None:
    """kubectl describeNamespace with DescribeResourceQuotas and DescribeLimitRanges: one tabwriter for the whole
    text, so a quota's `Name:` aligns with the resource table after it."""
    async with Cluster(nodes=1) as c:
        await c.apply(NAMESPACE + """---
apiVersion: v1
kind: ResourceQuota
metadata: {name: besteffort, namespace: team}
spec:
  hard: {pods: "2"}
  scopes: [BestEffort]
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: objects, namespace: team}
spec:
  hard: {count/deployments.apps: "2", services.nodeports: "1"}
---
apiVersion: v1
kind: LimitRange
metadata: {name: limits, namespace: team}
spec:
  limits:
  - type: Container
    max: {memory: 1Gi}
    defaultRequest: {memory: 128Mi}
""")
        await c.run_for(1)
        assert c.describe("namespace", "team", None) == (
            "Name:         team\n"
            "Labels:       kubernetes.io/metadata.name=team\n"
            "Annotations:  <none>\n"
            "Status:       Active\n"
            "\n"
            "Resource Quotas\n"
            "  Name:    besteffort\n"
            "  Scopes:  BestEffort\n"
            "  * Matches all pods that do not have resource requirements set. These pods have a best effort quality "
            "of service.\n"
            "  Resource                Used  Hard\n"
            "  --------                ---   ---\n"
            "  pods                    0     2\n"
            "  Name:                   objects\n"
            "  Resource                Used  Hard\n"
            "  --------                ---   ---\n"
            "  count/deployments.apps  0     2\n"
            "  services.nodeports      0     1\n"
            "\n"
            "Resource Limits\n"
            " Type       Resource  Min  Max  Default Request  Default Limit  Max Limit/Request Ratio\n"
            " ----       --------  ---  ---  ---------------  -------------  -----------------------\n"
            " Container  memory    -    1Gi  128Mi            1Gi            -\n")


def test_k9py_check_reports_a_deployment_held_back_by_its_quota(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """The folder never converges: the Deployment stays Progressing and its ReplicaFailure condition is the
    problem, in the API server's words."""
    (tmp_path / "team.yaml").write_text(NAMESPACE + "---" + COMPUTE + "---" + web(6))
    assert main(["check", str(tmp_path), "-o", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert not report["converged"]
    [problem] = report["problems"]
    assert (problem["kind"], problem["name"], problem["reason"]) == ("Deployment", "web", "FailedCreate")
    assert problem["message"].endswith("is forbidden: exceeded quota: compute, requested: pods=1, used: pods=5, "
                                       "limited: pods=5")
    assert {"kind": "ResourceQuota", "namespace": "team", "name": "compute", "health": "Healthy",
            "message": ""} in report["objects"]
