"""The ingress-nginx controller as its cloud manifest installs it (`deploy/static/provider/cloud/deploy.yaml`, the
one the seeds apply): the `ingress-nginx` namespace, the controller's ServiceAccount and ConfigMap, the
`ingress-nginx-controller` Deployment (one pod) behind the `ingress-nginx-controller` Service of type
LoadBalancer (externalTrafficPolicy Local, ports http 80 and https 443), and the IngressClass `nginx`, here marked
as the cluster's default class (the Helm chart's `controller.ingressClassResource.default: true`), so that
Ingresses which name no class get it (the DefaultIngressClass admission plugin, `kinds/ingress.py`).

The Service takes its EXTERNAL-IP from the load-balancer pool (`controllers/lb_pool.py`) like any other, and the
controller publishes that address on its Ingresses (`--publish-service`). Requests to it travel as on a real
cluster: to the Service, through kube-proxy to the controller pod, which routes by host and path and sends them
on from its own address (`engine/network/ingress.py`), so NetworkPolicies see the controller pod in the
`ingress-nginx` namespace. What the controller does through the API (status, events) is
`controllers/ingress_nginx.py`. Left out: the admission webhook (its Service, certificate Jobs and
ValidatingWebhookConfiguration; k9py validates Ingresses itself) and the RBAC objects.
"""

from __future__ import annotations

from typing import Any

from .ingress_routing import NGINX_CLASS, NGINX_CONTROLLER
from .kinds.ingressclass import DEFAULT_CLASS_ANNOTATION

Obj = dict[str, Any]
INGRESS_NGINX_VERSION = "1.14.2"
INGRESS_NGINX_IMAGE = f"registry.k8s.io/ingress-nginx/controller:v{INGRESS_NGINX_VERSION}"
NAMESPACE = "ingress-nginx"
NAME = "ingress-nginx-controller"  # the Deployment, its Service and its ConfigMap
SELECTOR = {"app.kubernetes.io/component": "controller", "app.kubernetes.io/instance": "ingress-nginx",
            "app.kubernetes.io/name": "ingress-nginx"}
_LABELS = {**SELECTOR, "app.kubernetes.io/part-of": "ingress-nginx", "app.kubernetes.io/version": INGRESS_NGINX_VERSION}
# What the simulated container logs, once a line (the controller's start banner; the real one is quiet after).
_LOG_LINE = f"I0101 main.go:205] \"Starting NGINX Ingress controller\" release=\"v{INGRESS_NGINX_VERSION}\""


def _meta(name: str, namespace: str | None = NAMESPACE, labels: dict[str, str] | None = None) -> Obj:
    meta: Obj = {"name": name, "labels": dict(labels if labels is not None else _LABELS)}
    if namespace:
        meta["namespace"] = namespace
    return meta


def ingress_nginx_namespace() -> Obj:
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": _meta(NAMESPACE, None, {"app.kubernetes.io/instance": "ingress-nginx",
                                                "app.kubernetes.io/name": "ingress-nginx"})}


def ingress_nginx_service_account() -> Obj:
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta("ingress-nginx"),
            "automountServiceAccountToken": True}


def ingress_nginx_config_map() -> Obj:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(NAME),
            "data": {"allow-snippet-annotations": "false"}}


def ingress_nginx_service() -> Obj:
    return {
        "apiVersion": "v1", "kind": "Service", "metadata": _meta(NAME),
        "spec": {
            "type": "LoadBalancer",
            "externalTrafficPolicy": "Local",
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "ports": [{"appProtocol": "http", "name": "http", "port": 80, "protocol": "TCP", "targetPort": "http"},
                      {"appProtocol": "https", "name": "https", "port": 443, "protocol": "TCP",
                       "targetPort": "https"}],
            "selector": dict(SELECTOR),
        },
    }


def ingress_nginx_deployment() -> Obj:
    probe = {"failureThreshold": 3, "httpGet": {"path": "/healthz", "port": 10254, "scheme": "HTTP"},
             "initialDelaySeconds": 10, "periodSeconds": 10, "successThreshold": 1, "timeoutSeconds": 1}
    container = {
        "name": "controller",
        "image": INGRESS_NGINX_IMAGE,
        "imagePullPolicy": "IfNotPresent",
        "args": ["/nginx-ingress-controller", f"--publish-service=$(POD_NAMESPACE)/{NAME}",
                 "--election-id=ingress-nginx-leader", f"--controller-class={NGINX_CONTROLLER}",
                 f"--ingress-class={NGINX_CLASS}", f"--configmap=$(POD_NAMESPACE)/{NAME}"],
        "env": [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
                {"name": "LD_PRELOAD", "value": "/usr/local/lib/libmimalloc.so"}],
        "lifecycle": {"preStop": {"exec": {"command": ["/wait-shutdown"]}}},
        "livenessProbe": {**probe, "failureThreshold": 5},
        "readinessProbe": probe,
        "ports": [{"containerPort": 80, "name": "http", "protocol": "TCP"},
                  {"containerPort": 443, "name": "https", "protocol": "TCP"}],
        "resources": {"requests": {"cpu": "100m", "memory": "90Mi"}},
        "securityContext": {"allowPrivilegeEscalation": False,
                            "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]},
                            "readOnlyRootFilesystem": False, "runAsGroup": 82, "runAsNonRoot": True,
                            "runAsUser": 101, "seccompProfile": {"type": "RuntimeDefault"}},
    }
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": _meta(NAME),
        "spec": {
            "minReadySeconds": 0,
            "revisionHistoryLimit": 10,
            "selector": {"matchLabels": dict(SELECTOR)},
            "strategy": {"rollingUpdate": {"maxUnavailable": 1}, "type": "RollingUpdate"},
            "template": {
                "metadata": {"labels": dict(_LABELS), "annotations": {"sim.k9py.io/log": _LOG_LINE}},
                "spec": {
                    "containers": [container],
                    "dnsPolicy": "ClusterFirst",
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                    "serviceAccountName": "ingress-nginx",
                    "terminationGracePeriodSeconds": 300,
                },
            },
        },
    }


def nginx_ingress_class() -> Obj:
    return {
        "apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
        "metadata": {**_meta(NGINX_CLASS, None), "annotations": {DEFAULT_CLASS_ANNOTATION: "true"}},
        "spec": {"controller": NGINX_CONTROLLER},
    }


def ingress_nginx_objects() -> tuple[Obj, ...]:
    """In the manifest's order: the namespace, the ServiceAccount, the ConfigMap, the Service, the Deployment,
    the IngressClass."""
    return (ingress_nginx_namespace(), ingress_nginx_service_account(), ingress_nginx_config_map(),
            ingress_nginx_service(), ingress_nginx_deployment(), nginx_ingress_class())
