"""Side by side with a real API server (issue 12 §3): the same kubectl sessions against `k9py serve` and against a
real v1.36 control plane (../shared/kube), compared line by line after normalising what two correct clusters may
print differently. A difference not in `kube_compare.ALLOWED` fails, with its diff.

Skipped when the kit is absent; K9PY_REQUIRE_KUBE=1 (CI) makes that a failure. The real cluster is used as it
runs, or started for the pytest session and stopped after it.
"""

from __future__ import annotations

import os
import secrets
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from kube_compare import ALLOWED, Raw, Remove, Run, Session, Side, Wait, Watch, Write, compare, run_both
from network_support import SEED_API_POLICY
from test_apiserver_hpa_v1 import HPA_V1

from engine import Cluster
from engine.apiserver import ApiServer

DUMP = os.environ.get("K9PY_COMPARE_DUMP")
SPEED = 10  # k9py's clock: pulls, starts and grace periods pass 10x faster than on a wall clock


@pytest.fixture
async def k9py_kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Path]:
    monkeypatch.setenv("K9PY_STATE_DIR", str(tmp_path / "state"))
    cluster = Cluster(nodes=3, clock="real", speed=SPEED)
    async with cluster:
        server = ApiServer(cluster, port=0)
        await server.start()
        try:
            yield server.kubeconfig
        finally:
            await server.stop()


# Log options the API server refuses before it looks for a log (kwok serves none; k9py does): its words for each.
LOG_OPTION_MISTAKES = (
    "sinceTime=bogus", "sinceTime=2026-13-03T00:00:00Z", "sinceTime=2026-12-03T00:00:00Zjunk",
    "sinceTime=2026-12-03T00:00:00", "sinceTime=2026-12-3T00:00:00Z", "sinceTime=2026-02-30T00:00:00Z",
    "sinceTime=2026-12-03T00:00:00%2B0100", "sinceTime=2026-12-03T25:00:00Z", "sinceSeconds=abc",
    "tailLines=99999999999999999999", "sinceSeconds=0", "limitBytes=0&tailLines=-1",
    "tailLines=-1&sinceSeconds=0&limitBytes=0", "sinceSeconds=1&sinceTime=2026-12-03T00:00:00Z",
)
USED: set[int] = set()  # allow-list entries some session needed (the last test checks none is stale)


async def _compare(session: Session, real_kubeconfig: Path, k9py_kubeconfig: Path, tmp_path: Path) -> None:
    namespace = f"cmp-{session.name}-{secrets.token_hex(3)}"
    real = Side("kube-apiserver", real_kubeconfig, tmp_path / "real", namespace)
    ours = Side("k9py", k9py_kubeconfig, tmp_path / "k9py", namespace)
    try:
        theirs, mine = await run_both(session, real, ours)
    finally:
        await real.close()
        await ours.close()
    if DUMP:  # K9PY_COMPARE_DUMP=folder: both normalised transcripts, to read or to diff by hand
        for side, transcript in (("kube-apiserver", theirs), ("k9py", mine)):
            text = "".join(f"$ {title}\n" + "".join(f"{line}\n" for line in lines) for title, lines in transcript)
            (Path(DUMP) / f"{session.name}.{side}.txt").write_text(text)
    diffs = compare(theirs, mine, USED)
    report = "\n\n".join(f"$ {d.title}\n{d.text}" for d in diffs)
    assert not diffs, f"{len(diffs)} step(s) of session {session.name!r} differ:\n\n{report}"


# --- manifests -----------------------------------------------------------------------------------------------

def web(image: str = "nginx:1.25", replicas: int = 2, cause: str = "") -> str:
    """The seeds' `web` Deployment: container `nginx`, so `kubectl set image deployment/web nginx=...` works."""
    annotations = f"\n  annotations:\n    kubernetes.io/change-cause: {cause}" if cause else ""
    return textwrap.dedent(f"""\
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          labels: {{app: web}}{annotations}
        spec:
          replicas: {replicas}
          selector:
            matchLabels: {{app: web}}
          template:
            metadata:
              labels: {{app: web}}
            spec:
              containers:
              - name: nginx
                image: {image}
                ports:
                - containerPort: 80
        """)


def pods_settled(count: int) -> Wait:
    """`count` pods, all Running and none terminating (kwok deletes at once; k9py's kubelet stops containers)."""
    return Wait(("get", "pods", "-o", "jsonpath={range .items[*]}{.status.phase}/{.metadata.deletionTimestamp} {end}"),
                lambda out: out.split() == ["Running/"] * count)


def endpoints_ready(service: str, count: int) -> Wait:
    """The Service's EndpointSlices list `count` ready endpoints: the endpoint controllers of both sides have caught
    up with the pods (pods Running is not enough: the kit's controller-manager may be a sync behind)."""
    return Wait(("get", "endpointslices", "-l", f"kubernetes.io/service-name={service}", "-o",
                 "jsonpath={range .items[*].endpoints[*]}{.conditions.ready} {end}"),
                lambda out: out.split() == ["true"] * count)


def rolled_out(name: str = "web") -> Run:
    return Run("rollout", "status", f"deployment/{name}", "--timeout=90s")


POD = textwrap.dedent("""\
    apiVersion: v1
    kind: Pod
    metadata:
      name: inventory-pod
      labels: {app: inventory}
    spec:
      automountServiceAccountToken: false  # k9py serves no ServiceAccounts: no token volume to compare
      containers:
      - name: app
        image: nginx:1.25
        ports:
        - containerPort: 8080
    """)

SERVICE = textwrap.dedent("""\
    apiVersion: v1
    kind: Service
    metadata:
      name: catalog-service
    spec:
      selector: {app: web}
      ports:
      - port: 80
        targetPort: 80
    """)

PART_OF = "labels: {app: web, app.kubernetes.io/part-of: demo}\n"
CONFIG = textwrap.dedent("""\
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: demo-config
      labels: {app.kubernetes.io/part-of: demo}
    data: {color: blue}
    """)

# The kinds a GitOps folder here holds: kubectl's default prune list also names kinds k9py does not serve
# (PersistentVolumeClaim, StatefulSet, Ingress, ...), and without an allowlist kubectl refuses to prune at all.
PRUNE_ALLOWLIST = ("--prune-allowlist=core/v1/ConfigMap", "--prune-allowlist=core/v1/Service",
                   "--prune-allowlist=apps/v1/Deployment")

BAD_FIELD = web().replace("replicas: 2", "replica: 2")
BAD_VALUE = web().replace("replicas: 2", "replicas: -1")
BAD_KIND = "apiVersion: v1\nkind: Frobnicator\nmetadata:\n  name: x\n"
BAD_YAML = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n data: [\n"
NO_NAME = "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\ndata: {a: b}\n"

SESSIONS: list[Session] = [
    Session("deployment", [
        Write("web.yaml", web()),
        Run("apply", "-f", "web.yaml"),
        rolled_out(),
        pods_settled(2),
        Run("get", "deployments"),
        Run("get", "pods", sort=True),
        Run("get", "pods", "-o", "wide", sort=True),
        Run("get", "rs", "-o", "wide"),
        Run("get", "deployment", "web", "-o", "yaml"),
        Run("get", "all", sort=True),
        Run("describe", "deployment", "web"),
        Run("apply", "-f", "web.yaml"),
        Run("scale", "deployment/web", "--replicas=3"),
        rolled_out(),
        pods_settled(3),
        Run("get", "deploy", "web"),
        Run("scale", "deployment/web", "--replicas=2"),
        pods_settled(2),
        Run("get", "deploy", "web"),
        Run("delete", "deployment", "web"),
        pods_settled(0),
        Run("get", "all"),
    ]),
    Session("rollout", [
        Write("web.yaml", web()),
        Run("apply", "-f", "web.yaml"),
        rolled_out(),
        Run("set", "image", "deployment/web", "nginx=nginx:1.26"),
        rolled_out(),
        pods_settled(2),
        Run("rollout", "history", "deployment/web"),
        Run("get", "rs", sort=True),
        Run("rollout", "undo", "deployment/web"),
        rolled_out(),
        pods_settled(2),
        Run("rollout", "history", "deployment/web"),
        Run("rollout", "history", "deployment/web", "--revision=3"),
        Run("rollout", "undo", "deployment/web", "--to-revision=2"),
        rolled_out(),
        pods_settled(2),
        Run("rollout", "history", "deployment/web"),
        Run("get", "rs", "-o", "wide", sort=True),
        Run("describe", "deployment", "web"),
        Run("rollout", "undo", "deployment/web", "--to-revision=9"),
        Run("get", "pods", sort=True),
    ]),
    Session("pod", [
        Write("pod.yaml", POD),
        Run("apply", "-f", "pod.yaml"),
        pods_settled(1),
        Run("get", "pods"),
        Run("get", "pods", "-o", "wide"),
        Run("get", "pods", "--show-labels"),
        Run("describe", "pod", "inventory-pod"),
        Run("get", "pod", "inventory-pod", "-o", "yaml"),
        Run("logs", "inventory-pod", "-c", "sidecar"),
        *(Raw("GET", f"/api/v1/namespaces/{{ns}}/pods/inventory-pod/log?{query}") for query in LOG_OPTION_MISTAKES),
        Run("delete", "pod", "inventory-pod"),
        pods_settled(0),
        Run("get", "pods"),
    ]),
    Session("service", [
        Write("web.yaml", web()),
        Write("svc.yaml", SERVICE),
        Run("apply", "-f", "web.yaml", "-f", "svc.yaml"),
        rolled_out(),
        pods_settled(2),
        endpoints_ready("catalog-service", 2),
        Run("expose", "deployment", "web", "--type=NodePort", "--port=80"),
        Run("get", "svc", "web"),
        Run("get", "svc", sort=True),
        Run("describe", "svc", "catalog-service"),
        Run("get", "endpoints", "catalog-service"),
        Run("get", "svc", "web", "-o", "yaml"),
        Run("delete", "svc", "web", "catalog-service"),
    ]),
    Session("errors", [
        Write("bad-field.yaml", BAD_FIELD),
        Write("bad-value.yaml", BAD_VALUE),
        Write("bad-kind.yaml", BAD_KIND),
        Write("bad-yaml.yaml", BAD_YAML),
        Write("no-name.yaml", NO_NAME),
        Write("web.yaml", web()),
        Run("get", "pod", "nope"),
        Run("get", "deployment", "nope", "-o", "yaml"),
        Run("describe", "deployment", "nope"),
        Run("delete", "pod", "nope"),
        Run("get", "frobnicators"),
        Run("get", "pods", "-n", "nothing-here"),  # a namespace nobody made: "No resources found in ..."
        Run("logs", "nope"),
        Run("scale", "deployment/nope", "--replicas=2"),
        Run("rollout", "undo", "deployment/nope"),
        Run("apply", "-f", "bad-field.yaml"),
        Run("apply", "-f", "bad-value.yaml"),
        Run("apply", "-f", "bad-kind.yaml"),
        Run("apply", "-f", "bad-yaml.yaml"),
        Run("apply", "-f", "no-name.yaml"),
        Run("create", "-f", "web.yaml"),
        Run("create", "-f", "web.yaml"),
        Run("delete", "-f", "web.yaml"),
        Run("delete", "-f", "web.yaml"),
        Run("delete", "namespace", "kube-system", "--dry-run=server"),
        *(Raw("GET", f"/api/v1/namespaces/{{ns}}/configmaps?{query}")
          for query in ("limit=abc", "limit=", "limit=%201", "timeoutSeconds=x", "watch=FALSE&limit=abc",
                        "resourceVersion=abc", "resourceVersion=-1", "watch=1&resourceVersion=abc")),
    ]),
    Session("events", [
        Write("web.yaml", web()),
        Run("apply", "-f", "web.yaml"),
        rolled_out(),
        pods_settled(2),
        Run("scale", "deployment/web", "--replicas=1"),
        pods_settled(1),
        Run("get", "events", sort=True),
        Run("describe", "rs", sort=False),
    ]),
]


def resources(body: dict[str, Any]) -> list[str]:
    """A discovery document as clients use it: one line per resource (subresources included), sorted."""
    return sorted(" ".join([r["name"], r["kind"], str(r["namespaced"]), ",".join(r.get("verbs") or []),
                            ",".join(r.get("shortNames") or []), ",".join(r.get("categories") or []),
                            r.get("singularName", "")]) for r in body.get("resources") or [])


def groups(body: dict[str, Any]) -> list[str]:
    return [" ".join([g["name"], g["preferredVersion"]["groupVersion"]]
                     + [v["groupVersion"] for v in g["versions"]]) for g in body.get("groups") or []]


def deployment_body(replicas: int = 1, name: str = "web") -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}}}}


DEPLOYMENTS = "/apis/apps/v1/namespaces/{ns}/deployments"

SESSIONS += [
    Session("discovery", [
        Raw("GET", "/api", view=lambda body: body["versions"]),
        Raw("GET", "/apis", view=groups),
        Raw("GET", "/api/v1", view=resources),
        Raw("GET", "/apis/apps/v1", view=resources),
        Raw("GET", "/apis/batch/v1", view=resources),
        Raw("GET", "/apis/coordination.k8s.io/v1", view=resources),
        Run("get", "--raw", "/apis/apps/v1", compare=False, check=True),
        Raw("GET", "/version", view=lambda body: {k: body[k] for k in ("major", "minor")}),
        Raw("GET", "/apis/nope.example.com/v1"),
        Raw("GET", "/healthz"),
    ]),
    Session("status", [
        Raw("GET", DEPLOYMENTS + "/nope"),
        Raw("DELETE", DEPLOYMENTS + "/nope"),
        Raw("POST", DEPLOYMENTS, deployment_body(replicas=-1)),
        Raw("POST", DEPLOYMENTS, {**deployment_body(), "metadata": {}}),
        Raw("POST", DEPLOYMENTS, "{not json"),
        Raw("POST", DEPLOYMENTS, deployment_body(), view=lambda body: body["metadata"]["generation"]),
        Raw("POST", DEPLOYMENTS, deployment_body()),
        Raw("PUT", DEPLOYMENTS + "/web", {**deployment_body(), "metadata": {"name": "web", "resourceVersion": "1"}}),
        Raw("PUT", DEPLOYMENTS + "/other", deployment_body()),
        Raw("PATCH", DEPLOYMENTS + "/web", {"spec": {"replicas": 2}}, content_type="application/json"),
        Raw("PATCH", DEPLOYMENTS + "/web", [{"op": "test", "path": "/spec/replicas", "value": 5}],
            content_type="application/json-patch+json"),
        Raw("GET", "/api/v1/namespaces/{ns}/frobnicators"),
        Raw("GET", "/api/v1/namespaces/{ns}/pods?labelSelector=a%20in", ),
        Raw("GET", "/api/v1/namespaces/{ns}/pods?fieldSelector=spec.foo=bar"),
        Raw("DELETE", DEPLOYMENTS + "/web", view=lambda body: [body.get("kind", ""), body.get("status", "")]),
    ]),
    Session("watch", [
        Write("web.yaml", web()),
        Run("apply", "-f", "web.yaml"),
        rolled_out(),
        pods_settled(2),
        Watch("/apis/apps/v1/namespaces/{ns}/replicasets?watch=1", [
            Run("set", "image", "deployment/web", "nginx=nginx:1.26"), rolled_out(), pods_settled(2)]),
        Watch("/apis/apps/v1/namespaces/{ns}/deployments?watch=1", [
            Run("scale", "deployment/web", "--replicas=3"), rolled_out(), pods_settled(3)]),
        Watch("/api/v1/namespaces/{ns}/pods?watch=1", [
            Run("set", "image", "deployment/web", "nginx=nginx:1.27"), rolled_out(), pods_settled(3)],
              sort=True),
    ]),
    Session("prune", [
        Write("demo/web.yaml", web().replace("labels: {app: web}\n", PART_OF, 1)),
        Write("demo/config.yaml", CONFIG),
        Write("demo/svc.yaml", SERVICE.replace("name: catalog-service\n", "name: catalog-service\n  " + PART_OF)),
        Write("other.yaml", CONFIG.replace("demo-config", "not-demo").replace(
            "  labels: {app.kubernetes.io/part-of: demo}\n", "")),  # outside the labelled set: never pruned
        Run("apply", "-f", "other.yaml"),
        Run("apply", "--prune", "-l", "app.kubernetes.io/part-of=demo", "-f", "demo/"),
        rolled_out(),
        Run("get", "deploy,svc,cm", "-l", "app.kubernetes.io/part-of=demo"),
        Remove("demo/config.yaml"),
        Run("apply", "--prune", "-l", "app.kubernetes.io/part-of=demo", *PRUNE_ALLOWLIST, "-f", "demo/"),
        Run("get", "cm"),
        Remove("demo/web.yaml"),
        Run("apply", "--prune", "-l", "app.kubernetes.io/part-of=demo", *PRUNE_ALLOWLIST, "-f", "demo/"),
        pods_settled(0),
        Run("get", "all,cm"),
    ]),
]


SESSIONS += [
    Session("server-side", [
        Write("web.yaml", web()),
        Run("apply", "--server-side", "-f", "web.yaml"),
        rolled_out(),
        Run("apply", "--server-side", "-f", "web.yaml"),
        Run("get", "deployment", "web", "-o", "yaml"),
        Run("get", "deployment", "web", "-o", "yaml", "--show-managed-fields"),
        Run("scale", "deployment/web", "--replicas=3"),
        Write("web.yaml", web(image="nginx:1.26")),
        Run("apply", "--server-side", "-f", "web.yaml"),
        Run("apply", "--server-side", "--force-conflicts", "-f", "web.yaml"),
        rolled_out(),
        Run("get", "deployment", "web", "-o", "wide"),
        # kubectl 1.32 refuses `--server-side --prune` ("alpha"); the prune session applies client-side.
        Run("get", "cm,deploy"),
    ]),
]

# The seeds' typed creates (`kubectl create secret/configmap/...`): kubectl sends their bodies in protobuf.
SESSIONS += [
    Session("typed-creates", [
        Write("config.yaml", "log_level: debug\nreplicas: 2\n"),
        Run("create", "secret", "generic", "db-creds", "--from-literal=password=x"),
        Run("create", "configmap", "app-cfg", "--from-file=config.yaml"),
        Run("create", "configmap", "literal", "--from-literal=a=b", "--from-literal=empty="),
        Run("get", "secret", "db-creds", "-o", "yaml"),
        Run("get", "configmap", "app-cfg", "-o", "yaml"),
        Run("describe", "configmap", "app-cfg"),  # one key: describe prints a map in Go's random order
        Run("create", "deployment", "web", "--image=nginx:1.25", "--replicas=2", "--port=80"),
        rolled_out(),
        pods_settled(2),
        Run("get", "deployment", "web", "-o", "yaml"),
        Run("create", "service", "clusterip", "web", "--tcp=80:80"),
        Run("get", "service", "web", "-o", "yaml"),
        Run("create", "serviceaccount", "robot"),
        Run("get", "serviceaccount", "robot", "-o", "yaml"),
        Run("create", "cronjob", "nightly", "--image=busybox", "--schedule=0 3 * * *", "--", "date"),
        Run("get", "cronjob", "nightly", "-o", "yaml"),
        Run("create", "job", "once", "--image=busybox", "--", "echo", "hi"),
        Run("get", "job", "once", "-o", "jsonpath={.spec} {.spec.template.spec.containers}"),
        Run("create", "job", "manual", "--from=cronjob/nightly"),
        Run("get", "job", "manual", "-o", "jsonpath={.metadata.annotations} {.metadata.ownerReferences[0].kind} "
            "{.spec.template.spec.containers}"),
        Run("create", "configmap", "literal", "--from-literal=a=b"),
        Run("get", "cm,secret,sa"),
    ]),
]

# The seed's NetworkPolicy (its "kubectl get networkpolicies" and "kubectl describe networkpolicy api-policy"), a
# default deny, and one the API server refuses.
NETWORK_POLICIES = SEED_API_POLICY + textwrap.dedent("""\
    ---
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata:
      name: default-deny
    spec:
      podSelector: {}
      egress: []
      ingress:
      - from: []
        ports:
        - port: 9000
          endPort: 9100
    """)
BAD_POLICY = textwrap.dedent("""\
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata:
      name: bad
    spec:
      podSelector: {}
      policyTypes: [Ingress, Foo]
      ingress:
      - from:
        - ipBlock: {cidr: 10.0.0.1/8, except: [11.0.0.0/16]}
          podSelector: {}
        - {}
        ports:
        - {port: http, endPort: 90}
        - {port: 100, endPort: 90}
    """)

SESSIONS += [
    Session("networkpolicy", [
        Write("policies.yaml", NETWORK_POLICIES),
        Write("bad.yaml", BAD_POLICY),
        Run("apply", "-f", "policies.yaml"),
        Run("apply", "-f", "bad.yaml"),
        Run("get", "networkpolicies"),
        Run("get", "netpol", "-o", "wide"),
        Run("describe", "networkpolicy", "api-policy"),
        Run("describe", "netpol", "default-deny"),
        Run("get", "netpol", "default-deny", "-o", "yaml"),
        Run("delete", "-f", "policies.yaml"),
    ]),
]

# The seed's Ingress (../shared/seeds/003) with TLS, for a class neither side implements (the kit runs no ingress
# controller; k9py's serves `nginx`): both print what the API server stores and kubectl derives, and describe looks
# each backend up (catalog-service exists, with endpoints; api-v1-service does not). Then the EndpointSlices the
# controller keeps, and an Ingress the API server refuses.
INGRESS = textwrap.dedent("""\
    apiVersion: networking.k8s.io/v1
    kind: Ingress
    metadata:
      name: api-ingress
      annotations:
        nginx.ingress.kubernetes.io/rewrite-target: /
    spec:
      ingressClassName: example
      tls:
      - hosts: [api.example.com]
        secretName: api-tls-secret
      rules:
      - host: api.example.com
        http:
          paths:
          - path: /v1
            pathType: Prefix
            backend:
              service:
                name: api-v1-service
                port:
                  number: 80
          - path: /catalog
            pathType: Prefix
            backend:
              service:
                name: catalog-service
                port:
                  number: 80
      - host: "*.example.com"
        http:
          paths:
          - path: /
            pathType: Exact
            backend:
              service:
                name: catalog-service
                port:
                  number: 80
    """)
BAD_INGRESS = textwrap.dedent("""\
    apiVersion: networking.k8s.io/v1
    kind: Ingress
    metadata:
      name: bad
    spec:
      ingressClassName: example
      rules:
      - host: 1.2.3.4
        http:
          paths:
          - path: v1
            pathType: Prefix
            backend:
              service: {name: svc, port: {number: 0}}
          - path: /b
            backend:
              service: {name: svc}
      - host: "foo*.bar.com"
    """)

SESSIONS += [
    Session("ingress-endpointslices", [
        Write("web.yaml", web()),
        Write("svc.yaml", SERVICE),
        Write("ingress.yaml", INGRESS),
        Write("bad.yaml", BAD_INGRESS),
        Run("apply", "-f", "web.yaml", "-f", "svc.yaml"),
        rolled_out(),
        pods_settled(2),
        endpoints_ready("catalog-service", 2),
        Run("apply", "-f", "ingress.yaml"),
        Run("get", "ingress"),
        Run("get", "ing", "-o", "wide"),
        Run("describe", "ingress", "api-ingress"),
        Run("apply", "-f", "bad.yaml"),
        Run("get", "endpointslices", sort=True),
        Run("describe", "endpointslices", "-l", "kubernetes.io/service-name=catalog-service"),
        Run("describe", "svc", "catalog-service"),
        Run("delete", "-f", "ingress.yaml"),
    ]),
]

# exec, attach and port-forward where both sides answer alike: the API server's checks before the upgrade, and
# kubectl's own. Past the upgrade kwok runs nothing (its kubelet answers `no exec found for container`), while
# k9py's simulated container answers (tests/test_apiserver_streaming.py).
NOWHERE = textwrap.dedent("""\
    apiVersion: v1
    kind: Pod
    metadata:
      name: nowhere
    spec:
      automountServiceAccountToken: false
      nodeSelector: {disk: none-has-it}
      containers:
      - name: app
        image: nginx:1.25
    """)
STREAM = "/api/v1/namespaces/{ns}/pods/inventory-pod"

SESSIONS += [
    Session("streaming-errors", [
        Write("pod.yaml", POD),
        Write("nowhere.yaml", NOWHERE),
        Run("apply", "-f", "pod.yaml", "-f", "nowhere.yaml"),
        Wait(("get", "pod", "inventory-pod", "-o", "jsonpath={.status.phase}"), lambda out: out == "Running"),
        Run("exec", "inventory-pod", "-c", "nope", "--", "env"),
        Run("exec", "nowhere", "--", "env"),
        Run("exec", "absent", "--", "env"),
        Run("exec", "inventory-pod", "--"),
        Run("attach", "inventory-pod", "-c", "nope"),
        Run("attach", "nowhere"),
        Run("port-forward", "pod/nowhere", ":80"),
        Run("port-forward", "pod/absent", ":80"),
        Raw("GET", STREAM + "/exec?command=env&stdout=true"),
        Raw("GET", STREAM + "/exec?command=env&container=nope&stdout=true"),
        Raw("GET", STREAM + "/attach?stdout=true"),
        Raw("GET", STREAM + "/portforward"),
        Raw("PUT", STREAM + "/exec?command=env&stdout=true"),
        Raw("GET", "/api/v1/namespaces/{ns}/pods/nowhere/exec?command=env&stdout=true"),
        Raw("GET", "/api/v1/namespaces/{ns}/pods/absent/attach?stdout=true"),
    ]),
]

# ResourceQuota and LimitRange (issue 15 part 4): the admission plugins' refusals, the quota controller's status
# (`kubectl get/describe quota`), LimitRanger's defaults and annotation, and both kinds' validation. The LimitRange
# names memory only: kubectl describes a type's resources in Go's random map order (and the normaliser reads a
# milli-cpu such as 100m as an age).
QUOTAS = textwrap.dedent("""\
    apiVersion: v1
    kind: ResourceQuota
    metadata: {name: compute}
    spec:
      hard: {pods: "3", requests.memory: 1Gi, limits.memory: 2Gi}
    ---
    apiVersion: v1
    kind: ResourceQuota
    metadata: {name: objects}
    spec:
      hard: {count/deployments.apps: "1", services.nodeports: "0"}
    ---
    apiVersion: v1
    kind: ResourceQuota
    metadata: {name: besteffort}
    spec:
      hard: {pods: "1"}
      scopes: [BestEffort, NotTerminating]
    """)
LIMITS = textwrap.dedent("""\
    apiVersion: v1
    kind: LimitRange
    metadata: {name: memory}
    spec:
      limits:
      - type: Container
        max: {memory: 1Gi}
        min: {memory: 64Mi}
        default: {memory: 256Mi}
        defaultRequest: {memory: 128Mi}
        maxLimitRequestRatio: {memory: "4"}
      - type: Pod
        max: {memory: 1536Mi}
    """)
BAD_QUOTA = textwrap.dedent("""\
    apiVersion: v1
    kind: ResourceQuota
    metadata: {name: bad}
    spec:
      hard: {foo: "1", requests.cpu: "1"}  # one bad name: Go reports the names in random order
      scopes: [BestEffort, NotBestEffort, Bogus]
    """)
BAD_LIMITS = textwrap.dedent("""\
    apiVersion: v1
    kind: LimitRange
    metadata: {name: bad}
    spec:
      limits:
      - type: Container
        max: {memory: 1Gi}
        min: {memory: 2Gi}
        maxLimitRequestRatio: {memory: "0.5"}
      - type: Pod
        default: {cpu: "1"}
      - type: Foo
      - type: PersistentVolumeClaim
    """)


def memory_pod(*containers: tuple[str, str]) -> str:
    """`kubectl run --overrides`: containers with memory (request, limit); an empty string leaves it out."""
    def resources(request: str, limit: str) -> str:
        parts = [f'"{key}":{{"memory":"{value}"}}' for key, value in (("requests", request), ("limits", limit))
                 if value]
        return "{" + ",".join(parts) + "}"
    body = ",".join(f'{{"name":"c{i}","image":"nginx:1.25","resources":{resources(*c)}}}'
                    for i, c in enumerate(containers))
    return f'--overrides={{"spec":{{"containers":[{body}]}}}}'


def quota_used(name: str, resource: str, value: str) -> Wait:
    key = resource.replace(".", "\\.")  # kubectl's JSONPath: a dot inside a key is escaped
    return Wait(("get", "quota", name, "-o", f"jsonpath={{.status.used.{key}}}"), lambda out: out == value)


SESSIONS += [
    Session("quota-limitrange", [
        Write("quotas.yaml", QUOTAS),
        Write("limits.yaml", LIMITS),
        Write("web.yaml", web(replicas=4)),
        Write("bad-quota.yaml", BAD_QUOTA),
        Write("bad-limits.yaml", BAD_LIMITS),
        Run("apply", "-f", "limits.yaml", "-f", "quotas.yaml"),
        quota_used("compute", "pods", "0"),
        quota_used("besteffort", "pods", "0"),
        quota_used("objects", "count/deployments.apps", "0"),
        Run("get", "quota"),
        Run("describe", "quota"),
        Run("get", "quota", "compute", "-o", "yaml"),
        Run("get", "limits"),
        Run("describe", "limits", "memory"),
        Run("get", "limits", "memory", "-o", "yaml"),
        Run("create", "quota", "typed", "--hard=pods=10,requests.memory=1Gi", "--scopes=Terminating"),
        Run("create", "quota", "bad", "--hard=pods=x"),
        Run("apply", "-f", "web.yaml"),
        pods_settled(3),
        Wait(("get", "rs", "-o", "jsonpath={.items[0].status.conditions[0].reason}"),
             lambda out: out == "FailedCreate"),
        Run("get", "quota", "compute"),
        Run("describe", "quota", "compute"),
        Run("get", "rs", "-o", "jsonpath={.items[0].status.conditions[0].message}"),
        Run("get", "pods", "-o", "jsonpath={.items[0].metadata.annotations}"),
        Run("get", "pods", "-o", "jsonpath={.items[0].spec.containers[0].resources}"),
        Run("run", "small", "--image=nginx:1.25", memory_pod(("32Mi", ""))),
        Run("run", "ratio", "--image=nginx:1.25", memory_pod(("64Mi", "1Gi"))),
        Run("run", "wide", "--image=nginx:1.25", memory_pod(*[("600Mi", "600Mi")] * 3)),
        Run("run", "extra", "--image=nginx:1.25"),
        Run("create", "deployment", "second", "--image=nginx:1.25"),
        Run("create", "service", "nodeport", "np", "--tcp=80:80"),
        Run("scale", "deployment/web", "--replicas=2"),
        pods_settled(2),
        quota_used("compute", "pods", "2"),
        Run("get", "quota", "compute"),
        Run("apply", "-f", "bad-quota.yaml"),
        Run("apply", "-f", "bad-limits.yaml"),
    ]),
]

# The seeds' PodDisruptionBudget (web-pdb, minAvailable: 3) over the seeds' web Deployment: the disruption
# controller's status (kwok's pods are Ready, so both sides count them healthy), the table, describe, the stored
# object, and the API server's validation. Evictions and drain are compared in tests/test_disruption*.py (draining
# a node of the shared kit would disturb the other sessions).
PDB_MANIFESTS = textwrap.dedent("""\
    apiVersion: policy/v1
    kind: PodDisruptionBudget
    metadata:
      name: web-pdb
    spec:
      minAvailable: 3
      selector:
        matchLabels:
          app: web
    ---
    apiVersion: policy/v1
    kind: PodDisruptionBudget
    metadata:
      name: pct
    spec:
      maxUnavailable: "30%"
      unhealthyPodEvictionPolicy: AlwaysAllow
      selector:
        matchLabels: {app: web}
    """)
BAD_PDB = textwrap.dedent("""\
    apiVersion: policy/v1
    kind: PodDisruptionBudget
    metadata:
      name: bad
    spec:
      minAvailable: 3
      maxUnavailable: "150%"
      unhealthyPodEvictionPolicy: Sometimes
      selector:
        matchLabels: {app: web}
    """)


def pdb_allows(name: str, allowed: int) -> Wait:
    return Wait(("get", "pdb", name, "-o", "jsonpath={.status.disruptionsAllowed}"), lambda out: out == str(allowed))


SESSIONS += [
    Session("pdb", [
        Write("web.yaml", web(replicas=5)),
        Write("pdb.yaml", PDB_MANIFESTS),
        Write("bad.yaml", BAD_PDB),
        Run("apply", "-f", "web.yaml"),
        rolled_out(),
        pods_settled(5),
        Run("apply", "-f", "pdb.yaml"),
        pdb_allows("web-pdb", 2),
        pdb_allows("pct", 2),
        Run("get", "pdb"),
        Run("get", "poddisruptionbudgets", "-o", "wide"),
        Run("describe", "pdb", "web-pdb"),
        Run("get", "pdb", "web-pdb", "-o", "yaml"),
        Run("apply", "-f", "bad.yaml"),
        Run("delete", "-f", "pdb.yaml"),
    ]),
]

# The bootstrap policy (plugin/pkg/auth/authorizer/rbac/bootstrappolicy policy.go and controller_policy.go): the same
# roles and bindings, the controllers' `system:controller:*` ones included, with the same rules and subjects.
SESSIONS += [
    Session("rbac-bootstrap", [
        Run("get", "clusterroles", "-o", "name"),
        Run("get", "clusterrolebindings", "-o", "name"),
        Run("get", "clusterrole", "system:controller:deployment-controller", "-o", "yaml"),
        Run("get", "clusterrolebinding", "system:controller:deployment-controller", "-o", "yaml"),
        Run("describe", "clusterrole", "system:controller:replicaset-controller"),
    ]),
]

# autoscaling/v1 beside v2 (one storage): `kubectl autoscale` writes v2, a v1 manifest is applied, both read back
# in both versions. The HPAs scale Deployments that do not exist, so both clusters' controllers settle on the same
# condition (FailedGetScale) and no metrics, whatever metrics each serves.

def hpa_settled(name: str) -> Wait:
    return Wait(("get", "hpa", name, "-o", "jsonpath={.status.conditions[0].reason}"),
                lambda out: out == "FailedGetScale")


SESSIONS += [
    Session("hpa-v1", [
        Write("web.yaml", web()),
        Write("hpa.yaml", HPA_V1),
        Run("apply", "-f", "web.yaml"),
        Run("autoscale", "deployment", "web", "--cpu-percent=70", "--min=3", "--max=10"),
        Run("delete", "deployment", "web"),
        hpa_settled("web"),
        Run("get", "hpa.v1.autoscaling", "web", "-o", "yaml"),
        Run("get", "horizontalpodautoscalers.v1.autoscaling", "web", "-o", "yaml"),
        Run("apply", "-f", "hpa.yaml"),
        hpa_settled("api"),
        Run("get", "horizontalpodautoscalers.v1.autoscaling", "api", "-o", "yaml"),
        Run("get", "horizontalpodautoscalers.v2.autoscaling", "api", "-o", "yaml"),
        Run("get", "horizontalpodautoscalers.v1.autoscaling"),
        Run("get", "horizontalpodautoscalers.v2.autoscaling"),
        Raw("GET", "/apis/autoscaling/v1", view=resources),
        Raw("GET", "/apis/autoscaling", view=lambda body: [v["groupVersion"] for v in body["versions"]]),
    ]),
]

# Commands of the seeds (/work/shared/seeds) that k9py does not serve yet, with why; listed so a run shows them.
UNSERVED = {
    "kubectl auth can-i create pods": "no RBAC and no SelfSubjectAccessReview API",
    "kubectl top pods": "the kit runs no metrics-server to compare with; k9py serves metrics.k8s.io itself "
                        "(tests/test_apiserver_metrics.py runs kubectl top against it)",
    "kubectl port-forward svc/catalog-service 8080:80":
        "kwok's pods answer on no port (its kubelet has no forward for them); k9py's apps answer "
        "(tests/test_apiserver_streaming.py), and the errors before the upgrade are compared (streaming-errors)",
    "kubectl run debug --image=busybox --rm -it --restart=Never -- nslookup web-service":
        "kwok runs no container to attach to; k9py's kubelet runs the pod's `nslookup web-service` in its simulated "
        "shell, through the cluster DNS (tests/test_kubelet_scripts.py)",
    "kubectl apply -f https://raw.githubusercontent.com/...": "needs the network; the comparison runs offline",
    "kubectl logs deployment/web": "kwok's pods have no logs to compare with (the error paths are compared)",
}


@pytest.mark.parametrize("command", UNSERVED)
def test_unserved_seed_command(command: str) -> None:
    pytest.skip(f"not compared: {UNSERVED[command]}")


RAN: set[str] = set()


@pytest.mark.parametrize("session", SESSIONS, ids=[s.name for s in SESSIONS])
async def test_session(session: Session, real_kubeconfig: Path, k9py_kubeconfig: Path, tmp_path: Path) -> None:
    await _compare(session, real_kubeconfig, k9py_kubeconfig, tmp_path)
    RAN.add(session.name)


def test_every_allowance_is_needed() -> None:
    """An allow-list entry no session needs any more hides nothing and only rots: remove it. (Runs last, and only
    when every session ran and passed in this process.)"""
    if {s.name for s in SESSIONS} != RAN:
        pytest.skip("not every session ran in this process")
    stale = [f"{a.command!r} {a.line or a.field!r}: {a.reason}" for i, a in enumerate(ALLOWED) if i not in USED]
    assert not stale, "allow-list entries no session needed:\n" + "\n".join(stale)

