"""The documents k9py must refuse or accept exactly as a real API server does (issue 18), and the deliberate
differences, each with its reason.

The corpus is every document of `sample-manifests-broken/` plus a generated set: for each served kind a valid
object, then that object broken one way at a time (unknown fields at several depths, wrong JSON types, int32
ranges, nulls, name and label rules, a namespace on a cluster-scoped kind) and the validation rules k9py
implements per kind; and updates of immutable fields (created for real first). `test_admission_compare.py` sends
each to both API servers and through k9py's watched-folder path.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import attrs
import yaml

ROOT = Path(__file__).resolve().parent.parent
BROKEN = ROOT / "sample-manifests-broken"
Obj = dict[str, Any]


@attrs.frozen
class Case:
    id: str  # stable and unique: the allow-list and failure reports name it
    text: str  # the YAML sent as the request body, and written as the watched folder's file
    before: str | None = None  # created for real first: `text` is then sent as an update of it
    file: str | None = None  # a file of sample-manifests-broken, when the case is one of its documents


@attrs.frozen
class Allowed:
    case: str  # a Case id
    aspect: str  # "api" (the HTTP answers differ) or "folder" (the watched folder's message does not contain it)
    reason: str


CONTAINER = {"name": "app", "image": "nginx:1.27"}
POD_SPEC = {"containers": [CONTAINER]}
TEMPLATE = {"metadata": {"labels": {"app": "web"}}, "spec": POD_SPEC}
SELECTOR = {"matchLabels": {"app": "web"}}
JOB_TEMPLATE = {"spec": {**POD_SPEC, "restartPolicy": "Never"}}

# A valid object of each served kind, without metadata (apiVersion, kind, body).
VALID: dict[str, tuple[str, Obj]] = {
    "ConfigMap": ("v1", {"data": {"a": "1"}}),
    "ControllerRevision": ("apps/v1", {"revision": 1}),
    "Job": ("batch/v1", {"spec": {"template": JOB_TEMPLATE}}),
    "CronJob": ("batch/v1", {"spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": JOB_TEMPLATE}}}}),
    "Deployment": ("apps/v1", {"spec": {"replicas": 2, "selector": SELECTOR, "template": TEMPLATE}}),
    "ReplicaSet": ("apps/v1", {"spec": {"replicas": 2, "selector": SELECTOR, "template": TEMPLATE}}),
    "DaemonSet": ("apps/v1", {"spec": {"selector": SELECTOR, "template": TEMPLATE}}),
    "StatefulSet": ("apps/v1", {"spec": {"serviceName": "web", "selector": SELECTOR, "template": TEMPLATE}}),
    "Endpoints": ("v1", {"subsets": [{"addresses": [{"ip": "10.0.0.1"}], "ports": [{"port": 80}]}]}),
    "EndpointSlice": ("discovery.k8s.io/v1", {"addressType": "IPv4", "endpoints": [{"addresses": ["10.0.0.1"]}],
                                              "ports": [{"port": 80}]}),
    "HorizontalPodAutoscaler": ("autoscaling/v2", {"spec": {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, "minReplicas": 1,
        "maxReplicas": 3, "metrics": [{"type": "Resource", "resource": {
            "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}]}}),
    "IngressClass": ("networking.k8s.io/v1", {"spec": {"controller": "k8s.io/ingress-nginx"}}),
    "Ingress": ("networking.k8s.io/v1", {"spec": {"rules": [{"host": "shop.example.com", "http": {"paths": [
        {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}}),
    "Lease": ("coordination.k8s.io/v1", {"spec": {"holderIdentity": "me", "leaseDurationSeconds": 15}}),
    "LimitRange": ("v1", {"spec": {"limits": [{"type": "Container", "default": {"cpu": "500m"}}]}}),
    "ResourceQuota": ("v1", {"spec": {"hard": {"pods": "5"}}}),
    "Namespace": ("v1", {}),
    "NetworkPolicy": ("networking.k8s.io/v1", {"spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}),
    "Node": ("v1", {}),
    "PersistentVolume": ("v1", {"spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
                                         "hostPath": {"path": "/tmp/data"}}}),
    "StorageClass": ("storage.k8s.io/v1", {"provisioner": "example.com/disk"}),
    "PersistentVolumeClaim": ("v1", {"spec": {"accessModes": ["ReadWriteOnce"],
                                              "resources": {"requests": {"storage": "1Gi"}}}}),
    "ServiceAccount": ("v1", {}),
    "Pod": ("v1", {"spec": POD_SPEC}),
    "PodDisruptionBudget": ("policy/v1", {"spec": {"minAvailable": 1, "selector": SELECTOR}}),
    "PriorityClass": ("scheduling.k8s.io/v1", {"value": 1000}),
    "Role": ("rbac.authorization.k8s.io/v1", {"rules": [{"apiGroups": [""], "resources": ["pods"],
                                                         "verbs": ["get"]}]}),
    "ClusterRole": ("rbac.authorization.k8s.io/v1", {"rules": [{"apiGroups": [""], "resources": ["pods"],
                                                                "verbs": ["get"]}]}),
    "RoleBinding": ("rbac.authorization.k8s.io/v1", {
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
        "subjects": [{"kind": "User", "name": "jane", "apiGroup": "rbac.authorization.k8s.io"}]}),
    "ClusterRoleBinding": ("rbac.authorization.k8s.io/v1", {
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
        "subjects": [{"kind": "ServiceAccount", "name": "robot", "namespace": "default"}]}),
    "Secret": ("v1", {"type": "Opaque", "data": {"a": "YQ=="}}),
    "Service": ("v1", {"spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}}),
}
CLUSTER_SCOPED = frozenset({"Namespace", "Node", "PersistentVolume", "StorageClass", "PriorityClass", "ClusterRole",
                            "ClusterRoleBinding", "IngressClass"})

DELETE = object()  # a path set to this is removed


def _set(obj: Obj, path: str, value: Any) -> None:
    """Set a dotted path (`spec.template.spec.containers.0.image`), creating mappings on the way."""
    *parents, last = path.split(".")
    cur: Any = obj
    for part in parents:
        cur = cur[int(part)] if isinstance(cur, list) else cur.setdefault(part, {})
    if isinstance(cur, list):
        cur[int(last)] = value
    elif value is DELETE:
        cur.pop(last, None)
    else:
        cur[last] = value


def _object(kind: str, name: str, changes: dict[str, Any] | None = None) -> Obj:
    api_version, body = VALID[kind]
    obj: Obj = {"apiVersion": api_version, "kind": kind, "metadata": {"name": name}, **copy.deepcopy(body)}
    for path, value in (changes or {}).items():
        _set(obj, path, value)
    return obj


def _dump(obj: Obj) -> str:
    return yaml.safe_dump(obj, sort_keys=False, default_flow_style=False)


# Each kind broken one way at a time: (variant, changes). "NAME" in a variant's changes is the case's name.
GENERIC: tuple[tuple[str, dict[str, Any]], ...] = (
    ("valid", {}),
    ("unknown-top-field", {"extra": 1}),
    ("unknown-metadata-field", {"metadata.labelz": {"a": "b"}}),
    ("labels-null", {"metadata.labels": None}),
    ("annotation-null", {"metadata.annotations": {"note": None}}),
    ("labels-a-string", {"metadata.labels": "web"}),
    ("label-number", {"metadata.labels": {"version": 1.5}}),
    ("label-value-space", {"metadata.labels": {"tier": "front end"}}),
    ("label-key-leading-dash", {"metadata.labels": {"-tier": "front"}}),
    ("label-value-too-long", {"metadata.labels": {"tier": "x" * 64}}),
    ("annotation-key-invalid", {"metadata.annotations": {"a b": "c"}}),
    ("name-upper-case", {"metadata.name": "Web_Team"}),
    ("name-too-long", {"metadata.name": "a" * 254}),
    ("name-64", {"metadata.name": "a" * 64}),
    ("name-with-dots", {"metadata.name": "web.v2"}),
    ("name-number", {"metadata.name": 5}),
    ("name-missing", {"metadata.name": DELETE}),
)

# Rules per kind, as k9py implements them (engine/kinds/*): (kind, variant, changes).
RULES: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("Deployment", "replicas-string", {"spec.replicas": "three"}),
    ("Deployment", "replicas-negative", {"spec.replicas": -1}),
    ("Deployment", "replicas-int32-max", {"spec.replicas": 2147483647}),
    ("Deployment", "replicas-int32-overflow", {"spec.replicas": 2147483648}),
    ("Deployment", "replicas-float", {"spec.replicas": 1.5}),
    ("Deployment", "replicas-null", {"spec.replicas": None}),
    ("Deployment", "paused-string", {"spec.paused": "yes"}),
    ("Deployment", "selector-mismatch", {"spec.template.metadata.labels": {"app": "other"}}),
    ("Deployment", "template-label-value-space", {"spec.template.metadata.labels": {"app": "web",
                                                                                    "tier": "front end"}}),
    ("Deployment", "template-annotation-key-invalid", {"spec.template.metadata.annotations": {"a b": "c"}}),
    ("Deployment", "selector-empty", {"spec.selector": {}}),
    ("Deployment", "selector-missing", {"spec.selector": DELETE}),
    ("Deployment", "selector-a-string", {"spec.selector": "app=web"}),
    ("Deployment", "template-missing", {"spec.template": DELETE}),
    ("Deployment", "spec-null", {"spec": None}),
    ("Deployment", "unknown-spec-field", {"spec.replica": 2}),
    ("Deployment", "unknown-container-field", {"spec.template.spec.containers.0.imagePullpolicy": "Always"}),
    ("Deployment", "unknown-deep-field", {"spec.template.spec.containers.0.ports": [{"containerPort": 80,
                                                                                     "protocl": "TCP"}]}),
    ("Deployment", "two-unknown-fields", {"spec.replica": 2, "spec.template.spec.nodeSelectr": {"a": "b"}}),
    ("Deployment", "unknown-field-and-wrong-type", {"spec.replica": 2, "spec.replicas": "two"}),
    ("Deployment", "containers-a-string", {"spec.template.spec.containers": "nginx"}),
    ("Deployment", "containers-empty", {"spec.template.spec.containers": []}),
    ("Deployment", "container-name-invalid", {"spec.template.spec.containers.0.name": "App_1"}),
    ("Deployment", "container-image-missing", {"spec.template.spec.containers.0.image": DELETE}),
    ("Deployment", "container-image-number", {"spec.template.spec.containers.0.image": 5}),
    ("Deployment", "container-port-string", {"spec.template.spec.containers.0.ports": [{"containerPort": "80"}]}),
    ("Deployment", "container-port-out-of-range", {"spec.template.spec.containers.0.ports": [
        {"containerPort": 70000}]}),
    ("Deployment", "container-port-zero", {"spec.template.spec.containers.0.ports": [{"containerPort": 0}]}),
    ("Deployment", "env-value-number", {"spec.template.spec.containers.0.env": [{"name": "A", "value": 5}]}),
    ("Deployment", "env-name-invalid", {"spec.template.spec.containers.0.env": [{"name": "", "value": "x"}]}),
    ("Deployment", "args-a-string", {"spec.template.spec.containers.0.args": "--verbose"}),
    ("Deployment", "cpu-not-a-quantity", {"spec.template.spec.containers.0.resources": {
        "limits": {"cpu": "lots"}}}),
    ("Deployment", "cpu-bool", {"spec.template.spec.containers.0.resources": {"limits": {"cpu": True}}}),
    ("Deployment", "requests-above-limits", {"spec.template.spec.containers.0.resources": {
        "requests": {"cpu": "2"}, "limits": {"cpu": "1"}}}),
    ("Deployment", "restart-policy-never", {"spec.template.spec.restartPolicy": "Never"}),
    ("Deployment", "max-surge-and-unavailable-zero", {"spec.strategy": {"rollingUpdate": {
        "maxSurge": 0, "maxUnavailable": 0}}}),
    ("Deployment", "max-surge-bool", {"spec.strategy": {"rollingUpdate": {"maxSurge": True}}}),
    ("Deployment", "max-surge-bad-percent", {"spec.strategy": {"rollingUpdate": {"maxSurge": "25"}}}),
    ("Deployment", "strategy-type-unknown", {"spec.strategy": {"type": "BlueGreen"}}),
    ("Deployment", "recreate-with-rolling-update", {"spec.strategy": {"type": "Recreate",
                                                                      "rollingUpdate": {"maxSurge": 1}}}),
    ("Deployment", "revision-history-negative", {"spec.revisionHistoryLimit": -1}),
    ("Deployment", "progress-deadline-below-min-ready", {"spec.minReadySeconds": 30,
                                                         "spec.progressDeadlineSeconds": 10}),
    ("Deployment", "grace-period-negative", {"spec.template.spec.terminationGracePeriodSeconds": -1}),
    ("Deployment", "grace-period-string", {"spec.template.spec.terminationGracePeriodSeconds": "30"}),
    ("Deployment", "image-pull-policy-unknown", {"spec.template.spec.containers.0.imagePullPolicy": "Sometimes"}),
    ("Deployment", "probe-without-handler", {"spec.template.spec.containers.0.readinessProbe": {
        "periodSeconds": 5}}),
    ("Deployment", "volume-mount-unknown-volume", {"spec.template.spec.containers.0.volumeMounts": [
        {"name": "data", "mountPath": "/data"}]}),
    ("ReplicaSet", "replicas-negative", {"spec.replicas": -1}),
    ("ReplicaSet", "selector-mismatch", {"spec.template.metadata.labels": {"app": "other"}}),
    ("DaemonSet", "update-strategy-unknown", {"spec.updateStrategy": {"type": "Sometimes"}}),
    ("StatefulSet", "pod-management-unknown", {"spec.podManagementPolicy": "Random"}),
    ("StatefulSet", "replicas-negative", {"spec.replicas": -1}),
    ("Job", "restart-policy-always", {"spec.template.spec.restartPolicy": "Always"}),
    ("Job", "completions-negative", {"spec.completions": -1}),
    ("Job", "parallelism-string", {"spec.parallelism": "2"}),
    ("Job", "backoff-limit-negative", {"spec.backoffLimit": -1}),
    ("CronJob", "schedule-invalid", {"spec.schedule": "every five minutes"}),
    ("CronJob", "schedule-number", {"spec.schedule": 5}),
    ("CronJob", "concurrency-unknown", {"spec.concurrencyPolicy": "Sometimes"}),
    ("Service", "port-zero", {"spec.ports.0.port": 0}),
    ("Service", "port-string", {"spec.ports.0.port": "80"}),
    ("Service", "target-port-bool", {"spec.ports.0.targetPort": True}),
    ("Service", "target-port-name-invalid", {"spec.ports.0.targetPort": "Web_Port"}),
    ("Service", "type-unknown", {"spec.type": "Public"}),
    ("Service", "node-port-out-of-range", {"spec.type": "NodePort", "spec.ports.0.nodePort": 80}),
    ("Service", "duplicate-ports", {"spec.ports": [{"port": 80}, {"port": 80}]}),
    ("Service", "two-ports-unnamed", {"spec.ports": [{"port": 80}, {"port": 81}]}),
    ("Service", "protocol-unknown", {"spec.ports.0.protocol": "HTTP"}),
    ("Service", "cluster-ip-invalid", {"spec.clusterIP": "10.96.0.300"}),
    ("Service", "external-name-without-name", {"spec.type": "ExternalName"}),
    ("Service", "session-affinity-unknown", {"spec.sessionAffinity": "Cookie"}),
    ("ConfigMap", "data-number", {"data": {"a": 5}}),
    ("ConfigMap", "data-a-list", {"data": ["a"]}),
    ("ConfigMap", "data-key-invalid", {"data": {"a b": "1"}}),
    ("Secret", "data-not-base64", {"data": {"a": "not base64!"}}),
    ("Secret", "tls-without-keys", {"type": "kubernetes.io/tls"}),
    ("Pod", "restart-policy-unknown", {"spec.restartPolicy": "Sometimes"}),
    ("Pod", "duplicate-container-names", {"spec.containers": [CONTAINER, CONTAINER]}),
    ("Pod", "dns-policy-unknown", {"spec.dnsPolicy": "Google"}),
    ("Pod", "node-selector-number", {"spec.nodeSelector": {"disk": 1}}),
    ("Pod", "toleration-operator-unknown", {"spec.tolerations": [{"key": "a", "operator": "Like"}]}),
    ("Pod", "host-port-out-of-range", {"spec.containers.0.ports": [{"containerPort": 80, "hostPort": 70000}]}),
    ("HorizontalPodAutoscaler", "min-above-max", {"spec.minReplicas": 5, "spec.maxReplicas": 2}),
    ("HorizontalPodAutoscaler", "max-zero", {"spec.maxReplicas": 0}),
    ("HorizontalPodAutoscaler", "utilization-zero", {"spec.metrics.0.resource.target.averageUtilization": 0}),
    ("PodDisruptionBudget", "both-min-and-max", {"spec.maxUnavailable": 1}),
    ("PodDisruptionBudget", "min-available-bad-percent", {"spec.minAvailable": "50"}),
    ("PodDisruptionBudget", "min-available-negative", {"spec.minAvailable": -1}),
    ("Ingress", "path-not-absolute", {"spec.rules.0.http.paths.0.path": "shop"}),
    ("Ingress", "path-type-missing", {"spec.rules.0.http.paths.0.pathType": DELETE}),
    ("Ingress", "host-an-ip", {"spec.rules.0.host": "10.0.0.1"}),
    ("Ingress", "host-wildcard-deep", {"spec.rules.0.host": "*.*.example.com"}),
    ("Ingress", "backend-port-both", {"spec.rules.0.http.paths.0.backend.service.port": {"number": 80,
                                                                                          "name": "http"}}),
    ("NetworkPolicy", "policy-type-unknown", {"spec.policyTypes": ["Sideways"]}),
    ("NetworkPolicy", "port-out-of-range", {"spec.ingress": [{"ports": [{"port": 70000}]}]}),
    ("NetworkPolicy", "end-port-below-port", {"spec.ingress": [{"ports": [{"port": 80, "endPort": 70}]}]}),
    ("NetworkPolicy", "ip-block-invalid", {"spec.ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/33"}}]}]}),
    ("Role", "rule-without-verbs", {"rules.0.verbs": []}),
    ("Role", "rule-without-api-groups", {"rules.0.apiGroups": DELETE}),
    ("RoleBinding", "role-ref-kind-unknown", {"roleRef.kind": "Group"}),
    ("RoleBinding", "subject-kind-unknown", {"subjects.0.kind": "Robot"}),
    ("ClusterRoleBinding", "service-account-without-namespace", {"subjects.0.namespace": DELETE}),
    ("PersistentVolumeClaim", "access-modes-missing", {"spec.accessModes": DELETE}),
    ("PersistentVolumeClaim", "access-mode-unknown", {"spec.accessModes": ["ReadWriteSometimes"]}),
    ("PersistentVolumeClaim", "storage-missing", {"spec.resources": {}}),
    ("PersistentVolume", "capacity-missing", {"spec.capacity": DELETE}),
    ("PersistentVolume", "reclaim-policy-unknown", {"spec.persistentVolumeReclaimPolicy": "Keep"}),
    ("StorageClass", "binding-mode-unknown", {"volumeBindingMode": "Later"}),
    ("PriorityClass", "value-too-high", {"value": 2000000000}),
    ("PriorityClass", "value-string", {"value": "high"}),
    ("PriorityClass", "system-prefix", {"metadata.name": "system-mine"}),
    ("PriorityClass", "preemption-policy-unknown", {"preemptionPolicy": "Sometimes"}),
    ("LimitRange", "type-unknown", {"spec.limits.0.type": "Cluster"}),
    ("LimitRange", "min-above-max", {"spec.limits.0.min": {"cpu": "2"}, "spec.limits.0.max": {"cpu": "1"}}),
    ("ResourceQuota", "hard-not-a-quantity", {"spec.hard": {"pods": "five"}}),
    ("ResourceQuota", "scope-unknown", {"spec.scopes": ["Sometimes"]}),
    ("EndpointSlice", "address-type-unknown", {"addressType": "IPv5"}),
    ("Endpoints", "ip-invalid", {"subsets.0.addresses.0.ip": "10.0.0.300"}),
    ("Lease", "duration-string", {"spec.leaseDurationSeconds": "15"}),
    ("Node", "pod-cidr-invalid", {"spec.podCIDR": "10.0.0.0/40"}),
    ("Node", "taint-effect-unknown", {"spec.taints": [{"key": "a", "effect": "Sometimes"}]}),
    ("CronJob", "schedule-with-tz", {"spec.schedule": "TZ=UTC */5 * * * *"}),
    ("CronJob", "time-zone-unknown", {"spec.timeZone": "Mars/Olympus"}),
    ("CronJob", "time-zone-empty", {"spec.timeZone": ""}),
    ("CronJob", "starting-deadline-negative", {"spec.startingDeadlineSeconds": -5}),
    ("CronJob", "history-limit-negative", {"spec.successfulJobsHistoryLimit": -1}),
    ("CronJob", "job-restart-policy-always", {"spec.jobTemplate.spec.template.spec.restartPolicy": "Always"}),
    ("Job", "completion-mode-unknown", {"spec.completionMode": "Sometimes"}),
    ("Job", "indexed-without-completions", {"spec.completionMode": "Indexed"}),
    ("Job", "backoff-per-index-not-indexed", {"spec.backoffLimitPerIndex": 1}),
    ("Job", "pod-failure-policy-with-on-failure", {"spec.template.spec.restartPolicy": "OnFailure",
                                                   "spec.podFailurePolicy": {"rules": [{
                                                       "action": "FailJob",
                                                       "onExitCodes": {"operator": "In", "values": [1]}}]}}),
    ("Job", "pod-failure-action-unknown", {"spec.podFailurePolicy": {"rules": [{
        "action": "Explode", "onExitCodes": {"operator": "In", "values": [1]}}]}}),
    ("Job", "exit-code-zero-in", {"spec.podFailurePolicy": {"rules": [{
        "action": "FailJob", "onExitCodes": {"operator": "In", "values": [0]}}]}}),
    ("Job", "replacement-policy-unknown", {"spec.podReplacementPolicy": "Sometimes"}),
    ("Job", "active-deadline-negative", {"spec.activeDeadlineSeconds": -1}),
    ("Job", "ttl-negative", {"spec.ttlSecondsAfterFinished": -1}),
    ("DaemonSet", "max-unavailable-zero", {"spec.updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {
        "maxUnavailable": 0, "maxSurge": 0}}}),
    ("DaemonSet", "max-surge-above-100", {"spec.updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {
        "maxSurge": "150%", "maxUnavailable": 0}}}),
    ("DaemonSet", "restart-policy-never", {"spec.template.spec.restartPolicy": "Never"}),
    ("StatefulSet", "partition-negative", {"spec.updateStrategy": {"type": "RollingUpdate",
                                                                   "rollingUpdate": {"partition": -1}}}),
    ("StatefulSet", "update-strategy-unknown", {"spec.updateStrategy": {"type": "Sometimes"}}),
    ("StatefulSet", "ordinals-negative", {"spec.ordinals": {"start": -1}}),
    ("StatefulSet", "retention-unknown", {"spec.persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Keep"}}),
    ("StatefulSet", "claim-template-without-storage", {"spec.volumeClaimTemplates": [{
        "metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"]}}]}),
    ("Ingress", "path-with-double-slash", {"spec.rules.0.http.paths.0.path": "/shop//cart"}),
    ("Ingress", "path-type-unknown", {"spec.rules.0.http.paths.0.pathType": "Regex"}),
    ("Ingress", "backend-without-port", {"spec.rules.0.http.paths.0.backend.service": {"name": "web"}}),
    ("Ingress", "backend-missing", {"spec.rules.0.http.paths.0.backend": {}}),
    ("Ingress", "rule-without-paths", {"spec.rules.0.http": {"paths": []}}),
    ("Ingress", "tls-host-an-ip", {"spec.tls": [{"hosts": ["10.0.0.1"], "secretName": "tls"}]}),
    ("Ingress", "default-backend-without-service-name", {"spec.defaultBackend": {"service": {"port": {
        "number": 80}}}}),
    ("NetworkPolicy", "end-port-without-port", {"spec.ingress": [{"ports": [{"endPort": 90}]}]}),
    ("NetworkPolicy", "end-port-with-named-port", {"spec.ingress": [{"ports": [{"port": "http", "endPort": 90}]}]}),
    ("NetworkPolicy", "ip-block-bits-beyond-prefix", {"spec.ingress": [{"from": [{"ipBlock": {
        "cidr": "10.0.0.1/8"}}]}]}),
    ("NetworkPolicy", "ip-block-except-outside", {"spec.ingress": [{"from": [{"ipBlock": {
        "cidr": "10.0.0.0/8", "except": ["192.168.0.0/16"]}}]}]}),
    ("NetworkPolicy", "peer-empty", {"spec.ingress": [{"from": [{}]}]}),
    ("NetworkPolicy", "ip-block-and-pod-selector", {"spec.ingress": [{"from": [{
        "ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}}]}]}),
    ("NetworkPolicy", "protocol-unknown", {"spec.ingress": [{"ports": [{"port": 80, "protocol": "HTTP"}]}]}),
    ("PersistentVolumeClaim", "volume-mode-unknown", {"spec.volumeMode": "Tape"}),
    ("PersistentVolumeClaim", "storage-zero", {"spec.resources.requests.storage": "0"}),
    ("HorizontalPodAutoscaler", "metric-type-unknown", {"spec.metrics.0.type": "Magic"}),
    ("HorizontalPodAutoscaler", "target-type-unknown", {"spec.metrics.0.resource.target.type": "Lots"}),
    ("HorizontalPodAutoscaler", "resource-without-name", {"spec.metrics.0.resource.name": DELETE}),
    ("HorizontalPodAutoscaler", "pods-metric-missing", {"spec.metrics.0.type": "Pods"}),
    ("HorizontalPodAutoscaler", "window-negative", {"spec.behavior": {"scaleUp": {
        "stabilizationWindowSeconds": -1}}}),
    ("HorizontalPodAutoscaler", "window-too-long", {"spec.behavior": {"scaleDown": {
        "stabilizationWindowSeconds": 3601}}}),
    ("HorizontalPodAutoscaler", "policy-type-unknown", {"spec.behavior": {"scaleUp": {"policies": [{
        "type": "Lots", "value": 1, "periodSeconds": 15}]}}}),
    ("HorizontalPodAutoscaler", "select-policy-unknown", {"spec.behavior": {"scaleUp": {"selectPolicy": "Any"}}}),
    ("HorizontalPodAutoscaler", "target-ref-without-kind", {"spec.scaleTargetRef.kind": DELETE}),
    ("PodDisruptionBudget", "max-unavailable-above-100", {"spec.minAvailable": DELETE,
                                                          "spec.maxUnavailable": "150%"}),
    ("PodDisruptionBudget", "unhealthy-policy-unknown", {"spec.unhealthyPodEvictionPolicy": "Never"}),
    ("Secret", "basic-auth-without-username", {"type": "kubernetes.io/basic-auth", "data": {"password": "YQ=="}}),
    ("Secret", "docker-config-without-data", {"type": "kubernetes.io/dockerconfigjson"}),
    ("Secret", "key-invalid", {"data": {"a b": "YQ=="}}),
    ("ConfigMap", "key-in-both-data-and-binary", {"binaryData": {"a": "YQ=="}}),
    ("ConfigMap", "binary-not-base64", {"binaryData": {"b": "%%%"}}),
    ("Pod", "probe-period-zero", {"spec.containers.0.livenessProbe": {"httpGet": {"port": 80},
                                                                       "periodSeconds": 0}}),
    ("Pod", "probe-two-handlers", {"spec.containers.0.livenessProbe": {"httpGet": {"port": 80},
                                                                        "tcpSocket": {"port": 80}}}),
    ("Pod", "env-value-from-empty", {"spec.containers.0.env": [{"name": "A", "valueFrom": {}}]}),
    ("Pod", "env-from-without-source", {"spec.containers.0.envFrom": [{"prefix": "A_"}]}),
    ("Pod", "image-pull-policy-unknown", {"spec.containers.0.imagePullPolicy": "Sometimes"}),
    ("Pod", "memory-limit-below-request", {"spec.containers.0.resources": {"requests": {"memory": "2Gi"},
                                                                          "limits": {"memory": "1Gi"}}}),
    ("Pod", "cpu-negative", {"spec.containers.0.resources": {"requests": {"cpu": "-1"}}}),
    ("Pod", "resource-name-unknown", {"spec.containers.0.resources": {"requests": {"gpu": "1"}}}),
    ("Pod", "toleration-seconds-without-no-execute", {"spec.tolerations": [{
        "key": "a", "operator": "Exists", "effect": "NoSchedule", "tolerationSeconds": 30}]}),
    ("Pod", "node-name-invalid", {"spec.nodeName": "Node_1"}),
    ("Pod", "grace-period-negative", {"spec.terminationGracePeriodSeconds": -1}),
    ("Pod", "init-container-with-probe", {"spec.initContainers": [{
        "name": "init", "image": "busybox", "readinessProbe": {"exec": {"command": ["true"]}}}]}),
    ("Pod", "volume-duplicate-names", {"spec.volumes": [{"name": "a", "emptyDir": {}},
                                                        {"name": "a", "emptyDir": {}}]}),
    ("Pod", "mount-path-missing", {"spec.volumes": [{"name": "a", "emptyDir": {}}],
                                   "spec.containers.0.volumeMounts": [{"name": "a"}]}),
    ("Service", "load-balancer-node-port-in-cluster-ip", {"spec.ports.0.nodePort": 30080}),
    ("Service", "external-traffic-policy-on-cluster-ip", {"spec.externalTrafficPolicy": "Local"}),
    ("Service", "headless-with-node-port", {"spec.clusterIP": "None", "spec.type": "NodePort"}),
    ("Service", "selector-value-invalid", {"spec.selector": {"app": "web app"}}),
    ("Service", "target-port-out-of-range", {"spec.ports.0.targetPort": 70000}),
    ("Service", "port-name-invalid", {"spec.ports": [{"name": "Web_Port", "port": 80}, {"name": "b", "port": 81}]}),
    ("PriorityClass", "global-default-string", {"globalDefault": "yes"}),
    ("PriorityClass", "description-number", {"description": 5}),
    ("Role", "non-resource-urls-in-role", {"rules": [{"nonResourceURLs": ["/healthz"], "verbs": ["get"]}]}),
    ("ClusterRole", "non-resource-with-resources", {"rules": [{"nonResourceURLs": ["/healthz"],
                                                               "resources": ["pods"], "verbs": ["get"]}]}),
    ("RoleBinding", "role-ref-api-group-wrong", {"roleRef.apiGroup": "rbac"}),
    ("RoleBinding", "subject-name-missing", {"subjects.0.name": DELETE}),
    ("ResourceQuota", "scope-selector-operator-unknown", {"spec.scopeSelector": {"matchExpressions": [{
        "scopeName": "PriorityClass", "operator": "Like", "values": ["high"]}]}}),
    ("LimitRange", "ratio-below-one", {"spec.limits.0.maxLimitRequestRatio": {"cpu": "0.5"}}),
    ("LimitRange", "pod-default", {"spec.limits.0.type": "Pod"}),
    ("EndpointSlice", "port-out-of-range", {"ports": [{"port": 70000}]}),
    ("EndpointSlice", "address-invalid", {"endpoints": [{"addresses": ["10.0.0.300"]}]}),
    ("EndpointSlice", "no-addresses", {"endpoints": [{"addresses": []}]}),
    ("IngressClass", "controller-missing", {"spec.controller": DELETE}),
    ("IngressClass", "parameters-without-kind", {"spec.parameters": {"name": "x"}}),
    ("Lease", "holder-number", {"spec.holderIdentity": 5}),
    ("Namespace", "finalizer-invalid", {"spec": {"finalizers": ["bad finalizer"]}}),
    ("ServiceAccount", "automount-string", {"automountServiceAccountToken": "yes"}),
    ("PersistentVolume", "access-mode-unknown", {"spec.accessModes": ["ReadWriteSometimes"]}),
    ("PersistentVolume", "no-source", {"spec.hostPath": DELETE}),
    ("StorageClass", "reclaim-policy-unknown", {"reclaimPolicy": "Keep"}),
    ("StorageClass", "parameters-number", {"parameters": {"type": 5}}),
)

# Immutable fields: (kind, variant, created first, changes for the update).
UPDATES: tuple[tuple[str, str, dict[str, Any], dict[str, Any]], ...] = (
    ("Deployment", "selector-changed", {}, {"spec.selector": {"matchLabels": {"app": "web2"}},
                                             "spec.template.metadata.labels": {"app": "web2"}}),
    ("ReplicaSet", "selector-changed", {}, {"spec.selector": {"matchLabels": {"app": "web2"}},
                                             "spec.template.metadata.labels": {"app": "web2"}}),
    ("StatefulSet", "service-name-changed", {}, {"spec.serviceName": "other"}),
    ("Job", "template-changed", {}, {"spec.template.spec.containers.0.image": "nginx:1.28"}),
    ("Job", "completions-changed", {}, {"spec.completions": 3}),
    ("ConfigMap", "immutable-data-changed", {"immutable": True}, {"immutable": True, "data": {"a": "2"}}),
    ("ConfigMap", "immutable-turned-off", {"immutable": True}, {"immutable": False}),
    ("Secret", "type-changed", {}, {"type": "kubernetes.io/basic-auth", "data": {"username": "YQ=="}}),
    ("Secret", "immutable-data-changed", {"immutable": True}, {"immutable": True, "data": {"a": "Yg=="}}),
    ("PersistentVolumeClaim", "access-modes-changed", {}, {"spec.accessModes": ["ReadWriteMany"]}),
    ("RoleBinding", "role-ref-changed", {}, {"roleRef.name": "writer"}),
    ("StorageClass", "provisioner-changed", {}, {"provisioner": "example.com/other"}),
    ("PriorityClass", "value-changed", {}, {"value": 2000}),
    ("Service", "type-external-name-keeps-selector", {}, {"spec.type": "ExternalName",
                                                          "spec.externalName": "db.example.com"}),
)


def _case_name(kind: str, variant: str) -> str:
    # Names must be unique across the corpus (the folder side applies every case to one cluster) and valid for
    # every kind's name rule (Services: DNS-1035 labels, so no leading digit and no dots).
    return f"{kind.lower()}-{variant}"[:63].rstrip("-")


def generated() -> list[Case]:
    cases: list[Case] = []
    for kind in VALID:
        for variant, changes in GENERIC:
            obj = _object(kind, _case_name(kind, variant), changes)
            cases.append(Case(f"{kind}/{variant}", _dump(obj)))
        if kind in CLUSTER_SCOPED:
            obj = _object(kind, _case_name(kind, "namespaced"), {"metadata.namespace": "default"})
            cases.append(Case(f"{kind}/namespace-on-cluster-scoped", _dump(obj)))
    for kind, variant, changes in RULES:
        obj = _object(kind, _case_name(kind, variant), changes)
        cases.append(Case(f"{kind}/{variant}", _dump(obj)))
    for kind, variant, first, changes in UPDATES:
        name = _case_name(kind, variant)
        before = _object(kind, name, first)
        after = _object(kind, name, {**first, **changes})
        cases.append(Case(f"{kind}/update/{variant}", _dump(after), before=_dump(before)))
    return cases


def broken_samples() -> list[Case]:
    """Each document of sample-manifests-broken/, as its file holds it (a YAML error: the whole file)."""
    cases: list[Case] = []
    for path in sorted(BROKEN.glob("*.yaml")):
        text = path.read_text()
        try:
            docs = [d for d in yaml.safe_load_all(text) if d is not None]
        except yaml.YAMLError:
            cases.append(Case(f"broken/{path.name}", text, file=path.name))
            continue
        for i, doc in enumerate(docs):
            suffix = f"#{i + 1}" if len(docs) > 1 else ""
            body = text if len(docs) == 1 else _dump(doc) if isinstance(doc, dict) else yaml.safe_dump(doc)
            cases.append(Case(f"broken/{path.name}{suffix}", body, file=path.name))
    return cases


def corpus() -> list[Case]:
    cases = broken_samples() + generated()
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    return cases


KUBECTL_CLIENT_SIDE = ("kubectl refuses this document itself, before any request (its client-side checks), so "
                       "there is no API server answer to match; k9py's folder gives the API server's wording for "
                       "the same mistake")

# The deliberate differences. Keep this short: a difference that can be fixed should be fixed, not listed.
ALLOWED: tuple[Allowed, ...] = (
    Allowed("broken/02-not-a-mapping.yaml", "folder", KUBECTL_CLIENT_SIDE),
    Allowed("broken/03-missing-kind.yaml", "folder", KUBECTL_CLIENT_SIDE),
    Allowed("broken/kustomization.yaml", "folder",
            "kubectl -f says 'apiVersion not set, kind not set'; k9py names the file for what it is (a Kustomize "
            "kustomization) and says it reads plain manifests only"),
    Allowed("broken/17-duplicate-key.yaml", "folder",
            "k9py finds the duplicate while reading the YAML, before it knows the kind, and says it on one line "
            "with both lines named; the API server's strict YAML decoding gives the same words after a "
            "'cannot be handled as a Deployment: strict decoding error: yaml: unmarshal errors:' preamble"),
    Allowed("LimitRange/name-missing", "folder",
            "the API server names a LimitRange that has none with a new UUID (k9py's API does too); a watched folder "
            "tracks objects by name, and would create another LimitRange on every sync, so it asks for a name"),
    Allowed("Service/node-port-out-of-range", "api",
            "a dry run skips the node port allocator, so kube-apiserver accepts port 80 there; created for real it "
            "refuses it with k9py's words ('provided port is not in the valid range'), which k9py gives at once"),
    Allowed("Service/node-port-out-of-range", "folder", "as for the API: the allocator's refusal, given at once"),
    Allowed("Job/update/template-changed", "api",
            "kube-apiserver prints the whole internal PodTemplateSpec struct as JSON (about 2 KB, every field "
            "named, nulls included); k9py prints the template as the object holds it, with the same words"),
    Allowed("Job/update/template-changed", "folder", "as for the API: the template, not the internal struct"),
    Allowed("PersistentVolumeClaim/update/access-modes-changed", "api",
            "kube-apiserver appends a diff of the internal spec struct's JSON to the sentence; k9py gives the "
            "sentence alone"),
    Allowed("PersistentVolumeClaim/update/access-modes-changed", "folder", "as for the API: the sentence alone"),
    Allowed("broken/16-node-port-taken.yaml#2", "folder",
            "the API server's dry run allocates no node port, so both Services pass it; applied for real, the "
            "second one gets the same 'provided port is already allocated' that k9py gives"),
)
