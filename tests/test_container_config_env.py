"""A container's environment: `$(VAR)` expansion, envFrom/env/valueFrom, service variables, fixed at creation.

Upstream: k8s.io/kubernetes/third_party/forked/golang/expansion/expand.go (Expand, MappingFuncFor) and its
expand_test.go; pkg/kubelet/kubelet_pods.go makeEnvironmentVariables; pkg/kubelet/envvars/envvars.go
FromServices; pkg/kubelet/container/helpers.go ExpandContainerCommandAndArgs.
"""

from __future__ import annotations

import pytest

from engine.cluster import Cluster
from engine.kubelet.container_env import expand, mapping_for

# expand_test.go doExpansionTest: (input, expected) with VAR_A=A, VAR_B=B, VAR_C=C, VAR_REF=$(VAR_A), VAR_EMPTY="".
EXPANSION_CASES = [
    ("$(VAR_A)", "A"), ("$(VAR_A)-$(VAR_A)", "A-A"), ("$(VAR_A)-1", "A-1"), ("___$(VAR_B)___", "___B___"),
    ("___$(VAR_C)", "___C"), ("$(VAR_A)_$(VAR_B)_$(VAR_C)", "A_B_C"), ("$$(VAR_B)_$(VAR_A)", "$(VAR_B)_A"),
    ("$$(VAR_A)_$$(VAR_B)", "$(VAR_A)_$(VAR_B)"), ("f000-$$VAR_A", "f000-$VAR_A"),
    ("foo\\$(VAR_C)bar", "foo\\Cbar"), ("foo\\\\$(VAR_C)bar", "foo\\\\Cbar"),
    ("foo\\\\\\\\$(VAR_A)bar", "foo\\\\\\\\Abar"), ("$(VAR_A$(VAR_B))", "$(VAR_A$(VAR_B))"),
    ("$(VAR_A$(VAR_B)", "$(VAR_A$(VAR_B)"), ("$(VAR_REF)", "$(VAR_A)"),
    ("%%$(VAR_REF)--$(VAR_REF)%%", "%%$(VAR_A)--$(VAR_A)%%"), ("foo$(VAR_EMPTY)bar", "foobar"),
    ("foo$(VAR_Awhoops!", "foo$(VAR_Awhoops!"), ("f00__(VAR_A)__", "f00__(VAR_A)__"), ("$?_boo_$!", "$?_boo_$!"),
    ("$VAR_A", "$VAR_A"), ("$(VAR_DNE)", "$(VAR_DNE)"), ("$$$$$$(BIG_MONEY)", "$$$(BIG_MONEY)"),
    ("$$$$$$(VAR_A)", "$$$(VAR_A)"), ("$$$$$$$(GOOD_ODDS)", "$$$$(GOOD_ODDS)"), ("$$$$$$$(VAR_A)", "$$$A"),
    ("$VAR_A)", "$VAR_A)"), ("${VAR_A}", "${VAR_A}"), ("$(VAR_B)_______$(A", "B_______$(A"),
    ("$(VAR_C)_______$(", "C_______$("), ("$(VAR_A)foobarzab$", "Afoobarzab$"), ("foo-\\$(VAR_A", "foo-\\$(VAR_A"),
    ("--$($($($($--", "--$($($($($--"), ("$($($($($--foo$(", "$($($($($--foo$("), ("foo0--$($($($(", "foo0--$($($($("),
    ("$(foo$$var)", "$(foo$$var)"), ("\n", "\n"),
]


@pytest.mark.parametrize(("text", "expected"), EXPANSION_CASES)
def test_expansion_matches_upstream_cases(text: str, expected: str) -> None:
    """expand_test.go TestMapping and TestMappingDual: one context, and the same values split over two."""
    one = mapping_for({"VAR_A": "A", "VAR_B": "B", "VAR_C": "C", "VAR_REF": "$(VAR_A)", "VAR_EMPTY": ""})
    two = mapping_for({"VAR_A": "A", "VAR_EMPTY": ""}, {"VAR_B": "B", "VAR_C": "C", "VAR_REF": "$(VAR_A)"})
    assert expand(text, one) == expected
    assert expand(text, two) == expected


def test_map_reference_expands_in_declaration_order() -> None:
    """expand_test.go TestMapReference: each value sees the ones declared before it, already expanded."""
    declared = {"FOO": "bar", "ZOO": "$(FOO)-1", "BLU": "$(ZOO)-2"}
    mapping = mapping_for(declared, {})
    for name, value in list(declared.items()):
        declared[name] = expand(value, mapping)
    assert declared == {"FOO": "bar", "ZOO": "bar-1", "BLU": "bar-1-2"}


MANIFESTS = """
apiVersion: v1
kind: ConfigMap
metadata: {name: app-config}
data: {APP_COLOR: blue, APP_MODE: production, log_level: info}
---
apiVersion: v1
kind: Secret
metadata: {name: app-secret}
type: Opaque
data: {DB_PASSWORD: czNjcmV0IQ==, API_KEY: c2stYWJjMTIzeHl6}
---
apiVersion: v1
kind: Service
metadata: {name: web-api}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}, {name: metrics, port: 9090, protocol: TCP}]
---
apiVersion: v1
kind: Pod
metadata: {name: config-pod, labels: {app: web, tier: front}}
spec:
  containers:
  - name: app
    image: my-app:latest
    command: [/app, "--color=$(APP_COLOR)", "--pw=$(DB_PASSWORD)"]
    args: ["$(UNDEFINED)", "$$(APP_COLOR)", "$(GREETING)"]
    resources: {requests: {cpu: 250m, memory: 64Mi}, limits: {memory: 128Mi}}
    envFrom:
    - configMapRef: {name: app-config}
    - secretRef: {name: app-secret}
      prefix: SECRET_
    - configMapRef: {name: not-there, optional: true}
    env:
    - {name: GREETING, value: "hello $(APP_COLOR) from $(MY_POD)"}
    - {name: MY_POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: LATE, value: "pod=$(MY_POD)"}
    - {name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: app-secret, key: DB_PASSWORD}}}
    - {name: MODE, valueFrom: {configMapKeyRef: {name: app-config, key: APP_MODE}}}
    - {name: MISSING, valueFrom: {configMapKeyRef: {name: app-config, key: nope, optional: true}}}
    - {name: TIER, valueFrom: {fieldRef: {fieldPath: "metadata.labels['tier']"}}}
    - {name: NODE, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}
    - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
    - {name: SA, valueFrom: {fieldRef: {fieldPath: spec.serviceAccountName}}}
    - {name: MEM_LIMIT_MI, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}}
    - {name: CPU_REQUEST, valueFrom: {resourceFieldRef: {resource: requests.cpu}}}
    - {name: CPU_LIMIT, valueFrom: {resourceFieldRef: {resource: limits.cpu}}}
    - {name: SERVICE, value: "$(WEB_API_SERVICE_HOST):$(WEB_API_SERVICE_PORT)"}
"""


async def test_environment_as_the_kubelet_builds_it() -> None:
    """makeEnvironmentVariables: envFrom keys (prefix for the Secret, decoded), then env in order; a plain value
    expands what is defined before it (envFrom and earlier env) and the service variables, leaving a later or
    undefined name as written; fieldRef and resourceFieldRef (cpu rounded up to whole cores, the node's
    allocatable for a missing limit); optional references that are missing set nothing. command and args are
    expanded against the final environment ($$ escapes, undefined kept)."""
    async with Cluster(nodes=1) as c:
        await c.apply(MANIFESTS)
        await c.run_for(5)
        view = c.container_view("config-pod")
        env = {e.name: e.value for e in view.env}
        pod = c.get("pod", "config-pod")
        assert env["APP_COLOR"] == "blue" and env["log_level"] == "info"
        assert env["SECRET_DB_PASSWORD"] == "s3cret!" and env["SECRET_API_KEY"] == "sk-abc123xyz"
        assert env["GREETING"] == "hello blue from $(MY_POD)"  # MY_POD is declared after GREETING
        assert env["LATE"] == "pod=config-pod"
        assert env["DB_PASSWORD"] == "s3cret!" and env["MODE"] == "production"
        assert "MISSING" not in env
        assert env["TIER"] == "front" and env["NODE"] == "node-1" and env["SA"] == "default"
        assert env["POD_IP"] == pod["status"]["podIP"]
        assert env["MEM_LIMIT_MI"] == "128"
        assert env["CPU_REQUEST"] == "1"  # 250m rounds up to one core (divisor 1)
        assert env["CPU_LIMIT"] == "4"  # no limit: the node's allocatable
        svc = c.get("service", "web-api")
        assert env["SERVICE"] == f"{svc['spec']['clusterIP']}:80"
        assert env["WEB_API_PORT"] == f"tcp://{svc['spec']['clusterIP']}:80"
        assert env["WEB_API_SERVICE_PORT_METRICS"] == "9090"
        assert env["WEB_API_PORT_9090_TCP_PROTO"] == "tcp"
        assert env["KUBERNETES_SERVICE_HOST"] == c.get("service", "kubernetes")["spec"]["clusterIP"]
        assert env["KUBERNETES_SERVICE_PORT_HTTPS"] == "443"
        assert env["HOSTNAME"] == "config-pod" and env["HOME"] == "/root"
        assert [e.name for e in view.env][:3] == ["PATH", "HOSTNAME", "APP_COLOR"]
        assert {e.name for e in view.env if e.secret} == {"SECRET_DB_PASSWORD", "SECRET_API_KEY", "DB_PASSWORD"}
        assert view.command == ("/app", "--color=blue", "--pw=s3cret!", "$(UNDEFINED)", "$(APP_COLOR)",
                                "hello blue from $(MY_POD)")
        assert c.logs("config-pod")[0] == ("Starting my-app:latest: /app --color=blue --pw=s3cret! $(UNDEFINED) "
                                           "$(APP_COLOR) hello blue from $(MY_POD)")


async def test_enable_service_links_false_keeps_only_the_kubernetes_service() -> None:
    """getServiceEnvVarMap: the `kubernetes` Service of `default` always; the namespace's others only with
    enableServiceLinks (default true)."""
    async with Cluster(nodes=1) as c:
        await c.apply(MANIFESTS.split("---")[2])
        await c.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "quiet"},
                       "spec": {"enableServiceLinks": False, "containers": [{"name": "c", "image": "busybox"}]}})
        await c.run_for(5)
        names = {e.name for e in c.container_view("quiet").env}
        assert "KUBERNETES_SERVICE_HOST" in names
        assert not any(n.startswith("WEB_API") for n in names)


async def test_environment_is_fixed_at_creation_and_renewed_by_a_restart() -> None:
    """The environment is built when the container is created (kuberuntime generateContainerConfig): editing the
    ConfigMap changes nothing in the running container; a container created again (here after the liveness
    probe kills it) gets the new value."""
    async with Cluster(nodes=1) as c:
        await c.apply(MANIFESTS.split("---")[0])
        await c.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{
            "name": "c", "image": "busybox", "envFrom": [{"configMapRef": {"name": "app-config"}}]}]}})
        await c.run_for(5)
        await c.patch("configmap", "app-config", {"data": {"APP_COLOR": "green"}})
        await c.run_for(300)
        assert {e.name: e.value for e in c.container_view("p").env}["APP_COLOR"] == "blue"
        await c.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p2"}, "spec": {"containers": [{
            "name": "c", "image": "busybox", "command": ["sh", "-c", "sleep 10; exit 1"],
            "envFrom": [{"configMapRef": {"name": "app-config"}}]}]}})
        await c.run_for(2)
        await c.patch("configmap", "app-config", {"data": {"APP_COLOR": "red"}})
        await c.run_for(12)  # pulled in 1 s, exits 10 s later, restarted at once (no back-off the first time)
        assert c.get("pod", "p2")["status"]["containerStatuses"][0]["restartCount"] == 1
        assert {e.name: e.value for e in c.container_view("p2").env}["APP_COLOR"] == "red"
