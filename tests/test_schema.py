"""Strict structural validation against the bundled Kubernetes schemas: typos, wrong types, valid manifests."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.manifests import schema
from engine.manifests.loader import load_paths
from engine.manifests.schema import MAX_ERRORS, validate_structure

Obj = dict[str, Any]
SAMPLES = Path(__file__).resolve().parent.parent / "sample-manifests"

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web}
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: nginx
          image: nginx:1.27
          imagePullPolicy: IfNotPresent
          ports:
            - containerPort: 80
"""


def doc(text: str = DEPLOYMENT) -> Obj:
    return yaml.safe_load(text)


def container(obj: Obj, index: int = 0) -> Obj:
    return obj["spec"]["template"]["spec"]["containers"][index]


# -- schema discovery --------------------------------------------------------------------------------------------


def test_newest_bundled_version_is_used() -> None:
    version = schema.schema_version()
    assert version is not None and version.startswith("v1.")
    minor = int(version.split(".")[1])
    assert minor >= 35


def test_pick_version_prefers_newest_then_strict(tmp_path: Path) -> None:
    for name in ("v1.9.0-local-strict", "v1.36.0-local-strict", "v1.37.0-local", "v1.37.0-local-strict", "v1.37.0",
                 "v1.38.0-local", "README"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "_definitions.json").write_text("{}")
    (tmp_path / "v1.99.0-local-strict").mkdir()  # no definitions: not a candidate
    picked = schema._pick_version(tmp_path)
    assert picked is not None
    assert picked[0] == "v1.38.0" and picked[1].name == "v1.38.0-local"
    (tmp_path / "v1.38.0-local" / "_definitions.json").unlink()
    assert schema._pick_version(tmp_path) == ("v1.37.0", tmp_path / "v1.37.0-local-strict")


# -- unknown fields ----------------------------------------------------------------------------------------------


def test_valid_deployment_has_no_errors() -> None:
    assert validate_structure(doc()) == []


def test_unknown_field_in_spec_suggests_sibling() -> None:
    obj = doc()
    obj["spec"]["replica"] = 2
    assert validate_structure(obj) == [("spec.replica", 'unknown field "spec.replica" (did you mean "replicas"?)')]


def test_unknown_field_in_pod_spec() -> None:
    obj = doc()
    pod_spec = obj["spec"]["template"]["spec"]
    pod_spec["containres"] = pod_spec.pop("containers")
    assert validate_structure(obj) == [
        ("spec.template.spec.containres",
         'unknown field "spec.template.spec.containres" (did you mean "containers"?)'),
    ]


def test_unknown_field_in_metadata() -> None:
    obj = doc()
    obj["metadata"]["lables"] = obj["metadata"].pop("labels")
    assert validate_structure(obj) == [("metadata.lables", 'unknown field "metadata.lables" (did you mean "labels"?)')]


def test_unknown_field_in_container_prefers_case_slip() -> None:
    obj = doc()
    c = container(obj)
    c["imagePullpolicy"] = c.pop("imagePullPolicy")
    path = "spec.template.spec.containers[0].imagePullpolicy"
    assert validate_structure(obj) == [(path, f'unknown field "{path}" (did you mean "imagePullPolicy"?)')]


def test_unknown_top_level_field() -> None:
    obj = doc()
    obj["metdata"] = obj.pop("metadata")
    assert validate_structure(obj) == [("metdata", 'unknown field "metdata" (did you mean "metadata"?)')]


def test_unknown_field_without_close_sibling_has_no_suggestion() -> None:
    obj = doc()
    obj["spec"]["zzzzqqq"] = True
    assert validate_structure(obj) == [("spec.zzzzqqq", 'unknown field "spec.zzzzqqq"')]


def test_unknown_field_in_second_list_item_and_deep_object() -> None:
    obj = doc()
    obj["spec"]["template"]["spec"]["containers"].append(
        {"name": "sidecar", "image": "busybox", "readinessProbe": {"httpGet": {"port": 8080, "pth": "/ready"}}})
    assert validate_structure(obj) == [
        ("spec.template.spec.containers[1].readinessProbe.httpGet.pth",
         'unknown field "spec.template.spec.containers[1].readinessProbe.httpGet.pth" (did you mean "path"?)'),
    ]


def test_non_string_key_is_an_unknown_field() -> None:
    obj = doc()
    obj["spec"][1] = "x"
    assert validate_structure(obj) == [("spec.1", 'unknown field "spec.1"')]


# -- wrong types -------------------------------------------------------------------------------------------------


def test_string_where_integer_expected() -> None:
    obj = doc()
    obj["spec"]["replicas"] = "three"
    assert validate_structure(obj) == [("spec.replicas", 'Invalid value: "three": must be of type integer')]


def test_boolean_is_not_an_integer_and_integer_is_not_a_boolean() -> None:
    obj = doc()
    obj["spec"]["replicas"] = True
    obj["spec"]["paused"] = 1
    assert validate_structure(obj) == [
        ("spec.replicas", "Invalid value: true: must be of type integer"),
        ("spec.paused", "Invalid value: 1: must be of type boolean"),
    ]


def test_whole_float_is_an_integer_but_fraction_is_not() -> None:
    obj = doc()
    obj["spec"]["replicas"] = 3.0
    assert validate_structure(obj) == []
    obj["spec"]["replicas"] = 2.5
    assert validate_structure(obj) == [("spec.replicas", "Invalid value: 2.5: must be of type integer")]


def test_containers_as_mapping_instead_of_list() -> None:
    obj = doc()
    pod_spec = obj["spec"]["template"]["spec"]
    pod_spec["containers"] = pod_spec["containers"][0]
    errors = validate_structure(obj)
    assert len(errors) == 1
    path, message = errors[0]
    assert path == "spec.template.spec.containers"
    assert message.startswith('Invalid value: {"name":"nginx",') and message.endswith(": must be of type array")


def test_container_port_as_string() -> None:
    obj = doc()
    container(obj)["ports"][0]["containerPort"] = "80"
    assert validate_structure(obj) == [
        ("spec.template.spec.containers[0].ports[0].containerPort", 'Invalid value: "80": must be of type integer'),
    ]


def test_object_where_string_expected_and_list_item_types() -> None:
    obj = doc()
    c = container(obj)
    c["image"] = {"repository": "nginx"}
    c["args"] = ["--port", 8080, None]
    assert validate_structure(obj) == [
        ("spec.template.spec.containers[0].image", 'Invalid value: {"repository":"nginx"}: must be of type string'),
        ("spec.template.spec.containers[0].args[1]", "Invalid value: 8080: must be of type string"),
    ]


def test_label_values_must_be_strings() -> None:
    obj = doc()
    obj["metadata"]["labels"]["version"] = 1.0
    obj["metadata"]["labels"]["enabled"] = True  # `enabled: yes` in YAML 1.1
    assert validate_structure(obj) == [
        ("metadata.labels[version]", "Invalid value: 1.0: must be of type string"),
        ("metadata.labels[enabled]", "Invalid value: true: must be of type string"),
    ]


def test_quantity_of_wrong_type() -> None:
    obj = doc()
    container(obj)["resources"] = {"limits": {"cpu": True, "memory": ["1Gi"]}}
    assert validate_structure(obj) == [
        ("spec.template.spec.containers[0].resources.limits[cpu]", "Invalid value: true: must be of type number or "
                                                                    "string"),
        ("spec.template.spec.containers[0].resources.limits[memory]", 'Invalid value: ["1Gi"]: must be of type '
                                                                       "number or string"),
    ]


def test_int_or_string_of_wrong_type() -> None:
    obj = doc()
    obj["spec"]["strategy"] = {"rollingUpdate": {"maxSurge": 0.5, "maxUnavailable": [1]}}
    assert validate_structure(obj) == [
        ("spec.strategy.rollingUpdate.maxSurge", "Invalid value: 0.5: must be of type integer or string"),
        ("spec.strategy.rollingUpdate.maxUnavailable", "Invalid value: [1]: must be of type integer or string"),
    ]


def test_long_values_are_shortened() -> None:
    obj = doc()
    obj["spec"]["replicas"] = "x" * 500
    [(path, message)] = validate_structure(obj)
    assert path == "spec.replicas" and len(message) < 130 and message.endswith('xx...": must be of type integer')
    obj["spec"]["replicas"] = {"key": "y" * 500}
    [(path, message)] = validate_structure(obj)
    assert message.startswith('Invalid value: {"key":"yyy') and message.endswith('yy...: must be of type integer')


def test_errors_under_a_wrong_type_are_not_reported_twice() -> None:
    obj = doc()
    obj["spec"]["template"] = ["spec", {"containres": []}]
    assert [p for p, _ in validate_structure(obj)] == ["spec.template"]


def test_at_most_max_errors_per_document() -> None:
    obj = doc()
    for i in range(100):
        obj["spec"][f"bogus{i}"] = i
    errors = validate_structure(obj)
    assert len(errors) == MAX_ERRORS
    assert errors[0][0] == "spec.bogus0"


# -- what is not validated ---------------------------------------------------------------------------------------


def test_top_level_status_is_not_validated() -> None:
    obj = doc()
    obj["status"] = {"replicas": "lots", "whatever": {"nested": 1}}
    assert validate_structure(obj) == []


def test_nested_status_of_an_embedded_object_is_still_a_field() -> None:
    obj = doc()
    obj["spec"]["status"] = {}
    assert [p for p, _ in validate_structure(obj)] == ["spec.status"]


@pytest.mark.parametrize("obj", [
    {"apiVersion": "example.com/v1", "kind": "Widget", "spec": {"anything": [1, 2]}},
    {"apiVersion": "apps/v1beta1", "kind": "Deployment", "spec": {"replica": 1}},
    {"apiVersion": "v1", "kind": "Deploymnet", "spec": {}},
    {"kind": "Deployment", "spec": {"replica": 1}},
    {"apiVersion": ["apps/v1"], "kind": "Deployment"},
    {"apiVersion": "apps/v1", "kind": {"name": "Deployment"}},
    {},
])
def test_unknown_kinds_give_no_errors(obj: Obj) -> None:
    assert validate_structure(obj) == []


@pytest.mark.parametrize("value", [None, [], "Deployment", 3, ["apiVersion", "kind"]])
def test_non_mapping_documents_give_no_errors(value: Any) -> None:
    assert validate_structure(value) == []


def test_null_is_accepted_for_every_field() -> None:
    obj = doc()
    obj["spec"]["replicas"] = None
    obj["spec"]["strategy"] = None
    obj["metadata"]["labels"] = {"app": "web", "empty": None}
    obj["metadata"]["annotations"] = None
    c = container(obj)
    c["resources"] = {"limits": None, "requests": {"cpu": None}}
    c["ports"] = [None]
    assert validate_structure(obj) == []


def test_preserve_unknown_and_raw_extension_fields_accept_anything() -> None:
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "names": {"kind": "Widget", "plural": "widgets"},
            "scope": "Namespaced",
            "versions": [{
                "name": "v1", "served": True, "storage": True,
                "schema": {"openAPIV3Schema": {
                    "type": "object",
                    "x-kubernetes-preserve-unknown-fields": True,
                    "default": {"any": ["json", 1, None]},
                    "properties": {"spec": {"type": "object", "properties": {"size": {"type": "integer"}}}},
                }},
            }],
        },
    }
    assert validate_structure(crd) == []
    crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["typo"] = 1
    assert [p for p, _ in validate_structure(crd)] == ["spec.versions[0].schema.openAPIV3Schema.typo"]
    revision = {"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": {"name": "r"},
                "revision": 1, "data": {"spec": {"template": {"anything": True}}}}
    assert validate_structure(revision) == []


def test_timestamps_are_strings() -> None:
    obj = doc()
    obj["metadata"]["creationTimestamp"] = "2024-05-01T10:00:00Z"
    assert validate_structure(obj) == []
    obj["metadata"]["creationTimestamp"] = yaml.safe_load("2024-05-01T10:00:00Z")  # a datetime from a raw loader
    assert validate_structure(obj) == []
    obj["metadata"]["creationTimestamp"] = 1714557600
    assert validate_structure(obj) == [("metadata.creationTimestamp",
                                        "Invalid value: 1714557600: must be of type string")]


# -- valid realistic manifests -----------------------------------------------------------------------------------


def test_sample_manifests_are_valid() -> None:
    documents, load_errors = load_paths([SAMPLES])
    assert not load_errors and len(documents) >= 5
    for document in documents:
        assert validate_structure(document.obj) == [], document.where


VALID_MANIFESTS = """\
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
  annotations: {prometheus.io/scrape: "true"}
spec:
  type: ClusterIP
  selector: {app: web}
  ports:
    - {name: http, port: 80, targetPort: http, protocol: TCP}
    - {name: admin, port: 8081, targetPort: 8081}
---
apiVersion: v1
kind: Service
metadata: {name: lb}
spec:
  type: LoadBalancer
  externalTrafficPolicy: Local
  sessionAffinity: ClientIP
  ports: [{port: 443, targetPort: 8443, nodePort: 30443}]
  selector: {app: web}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  labels: {app: web}
data:
  LOG_LEVEL: debug
  "app.properties": |
    a=1
    b=2
binaryData:
  blob: aGVsbG8=
immutable: false
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
type: Opaque
stringData: {password: hunter2}
data: {token: dG9rZW4=}
---
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {team: commerce}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
  labels: {app.kubernetes.io/name: api, app.kubernetes.io/version: "1.0"}
  annotations: {kubernetes.io/change-cause: rollout 42}
spec:
  replicas: 2
  minReadySeconds: 5
  progressDeadlineSeconds: 120
  paused: false
  selector:
    matchLabels: {app: api}
    matchExpressions:
      - {key: tier, operator: In, values: [api, backend]}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: "25%", maxUnavailable: 1}
  template:
    metadata:
      labels: {app: api, tier: api}
    spec:
      serviceAccountName: api
      terminationGracePeriodSeconds: 30
      nodeSelector: {kubernetes.io/os: linux}
      tolerations:
        - {key: dedicated, operator: Equal, value: api, effect: NoSchedule}
        - {operator: Exists, effect: NoExecute, tolerationSeconds: 300}
      affinity:
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
            - weight: 100
              podAffinityTerm:
                topologyKey: kubernetes.io/hostname
                labelSelector: {matchLabels: {app: api}}
      topologySpreadConstraints:
        - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway,
           labelSelector: {matchLabels: {app: api}}}
      securityContext: {runAsNonRoot: true, runAsUser: 1000, fsGroup: 2000}
      initContainers:
        - name: migrate
          image: ghcr.io/example/migrate:1.0
          command: ["sh", "-c", "sleep 1"]
      containers:
        - name: api
          image: ghcr.io/example/api:1.0
          imagePullPolicy: Always
          args: ["--port=8080"]
          workingDir: /app
          ports:
            - {name: http, containerPort: 8080, protocol: TCP}
          env:
            - {name: MODE, value: production}
            - name: POD_NAME
              valueFrom:
                fieldRef: {fieldPath: metadata.name}
            - name: CPU_LIMIT
              valueFrom:
                resourceFieldRef: {containerName: api, resource: limits.cpu, divisor: 1m}
            - name: PASSWORD
              valueFrom:
                secretKeyRef: {name: creds, key: password, optional: false}
            - name: LEVEL
              valueFrom:
                configMapKeyRef: {name: settings, key: LOG_LEVEL}
          envFrom:
            - configMapRef: {name: settings}
            - secretRef: {name: creds}
              prefix: SECRET_
          resources:
            requests: {cpu: 1, memory: 268435456}
            limits: {cpu: "1.5", memory: 512Mi, ephemeral-storage: 1Gi}
          readinessProbe:
            httpGet:
              path: /ready
              port: http
              scheme: HTTP
              httpHeaders: [{name: X-Probe, value: "1"}]
            initialDelaySeconds: 5
            periodSeconds: 5
            timeoutSeconds: 2
            successThreshold: 1
            failureThreshold: 3
          livenessProbe:
            tcpSocket: {port: 8080}
            periodSeconds: 10
          startupProbe:
            exec: {command: [cat, /tmp/started]}
            failureThreshold: 30
          lifecycle:
            preStop:
              exec: {command: [sleep, "5"]}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {drop: [ALL]}
          volumeMounts:
            - {name: config, mountPath: /etc/app, readOnly: true}
            - {name: scratch, mountPath: /tmp}
      volumes:
        - name: config
          configMap:
            name: settings
            defaultMode: 0644
            items: [{key: app.properties, path: app.properties}]
        - name: scratch
          emptyDir: {medium: Memory, sizeLimit: 64Mi}
---
apiVersion: v1
kind: Pod
metadata: {name: debug, namespace: default}
spec:
  restartPolicy: Never
  containers:
    - name: sh
      image: busybox
      command: [sleep, "3600"]
      resources:
        limits: {cpu: 0.5, memory: 64Mi}
      readinessProbe:
        grpc: {port: 9090}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 1
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: postgres:16}]
  volumeClaimTemplates:
    - metadata: {name: data}
      spec:
        accessModes: [ReadWriteOnce]
        resources: {requests: {storage: 10Gi}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: report}
spec:
  schedule: "*/5 * * * *"
  concurrencyPolicy: Forbid
  jobTemplate:
    spec:
      backoffLimit: 2
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: report, image: busybox, args: [date]}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  ingressClassName: nginx
  rules:
    - host: shop.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend: {service: {name: web, port: {number: 80}}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: api}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  minReplicas: 2
  maxReplicas: 10
  metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: api}
spec:
  maxUnavailable: "50%"
  selector: {matchLabels: {app: api}}
"""


@pytest.mark.parametrize("obj", list(yaml.safe_load_all(VALID_MANIFESTS)),
                         ids=lambda o: f"{o['kind']}-{o['metadata']['name']}")
def test_realistic_manifests_are_valid(obj: Obj) -> None:
    assert validate_structure(obj) == []


@pytest.mark.parametrize("surge", [1, "25%", 0, "1"])
def test_max_surge_accepts_integers_and_strings(surge: int | str) -> None:
    obj = doc()
    obj["spec"]["strategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": surge, "maxUnavailable": surge}}
    assert validate_structure(obj) == []


@pytest.mark.parametrize("cpu", [1, 0.25, "1", "500m", "2.5"])
def test_quantities_accept_numbers_and_strings(cpu: int | float | str) -> None:
    obj = doc()
    container(obj)["resources"] = {"requests": {"cpu": cpu, "memory": "128Mi"}, "limits": {"cpu": cpu}}
    assert validate_structure(obj) == []


def test_validation_does_not_modify_the_document() -> None:
    obj = doc()
    obj["status"] = {"replicas": 1}
    obj["spec"]["replica"] = 1
    before = copy.deepcopy(obj)
    validate_structure(obj)
    assert obj == before


# -- never raises ------------------------------------------------------------------------------------------------

JSON_SCALARS = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
                | st.text(max_size=12))
JSON_KEYS = st.sampled_from(["spec", "metadata", "containers", "template", "name", "image", "ports", "labels",
                             "replicas", "selector", "data", "env", "resources", "limits", "cpu", "status",
                             "items", "valueFrom", "0"]) | st.text(max_size=8)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        JSON_KEYS | st.integers() | st.booleans() | st.none(), children, max_size=5),
    max_leaves=40,
)
KNOWN_KINDS = st.sampled_from([
    ("apps/v1", "Deployment"), ("v1", "Pod"), ("v1", "Service"), ("v1", "ConfigMap"), ("batch/v1", "CronJob"),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"), ("apps/v1", "ControllerRevision"),
])


def check_shape(errors: Any) -> None:
    assert isinstance(errors, list) and len(errors) <= MAX_ERRORS
    for error in errors:
        assert isinstance(error, tuple) and len(error) == 2
        assert isinstance(error[0], str) and isinstance(error[1], str) and error[1]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON_VALUES)
def test_never_raises_on_arbitrary_data(value: Any) -> None:
    check_shape(validate_structure(value))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(KNOWN_KINDS, st.dictionaries(JSON_KEYS, JSON_VALUES, max_size=6))
def test_never_raises_on_known_kinds_with_arbitrary_bodies(gvk: tuple[str, str], body: Obj) -> None:
    obj = {**body, "apiVersion": gvk[0], "kind": gvk[1]}
    check_shape(validate_structure(obj))


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            out.extend(_paths(child, (*prefix, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            out.extend(_paths(child, (*prefix, index)))
    return out


BASE = yaml.safe_load(VALID_MANIFESTS.split("---\n")[5])
BASE_PATHS = [p for p in _paths(BASE) if p and p[0] not in ("apiVersion", "kind")]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(BASE_PATHS), JSON_VALUES)
def test_never_raises_when_a_valid_deployment_is_mutated(path: tuple[Any, ...], value: Any) -> None:
    obj = copy.deepcopy(BASE)
    target = obj
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    errors = validate_structure(obj)
    check_shape(errors)
    # Whatever is wrong lies at or below the mutated field (or is the field itself).
    for field, _ in errors:
        assert field.split(".")[0].split("[")[0] == str(path[0])


def test_deep_nesting_does_not_raise() -> None:
    deep: Any = {"type": "object"}
    for _ in range(3000):
        deep = {"type": "object", "properties": {"x": deep}}
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": "a"},
           "spec": {"versions": [{"name": "v1", "schema": {"openAPIV3Schema": deep}}]}}
    check_shape(validate_structure(crd))
