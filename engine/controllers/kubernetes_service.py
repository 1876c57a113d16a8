"""The `kubernetes` Service in `default`: how pods find the API server (kube-apiserver's kubernetesservice
controller creates it at startup, with its Endpoints, and keeps both in place)."""

from __future__ import annotations

from ..api import Api

KUBERNETES_SERVICE_IP = "10.96.0.1"  # the first address of the service range, reserved for it
# Where the simulated API server listens: the control-plane address of a kind cluster (the nodes' kubelets use
# 172.18.0.3 upwards).
APISERVER_ADDRESS = "172.18.0.2"
APISERVER_PORT = 6443


def kubernetes_service() -> dict:
    return {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "kubernetes", "namespace": "default",
                     "labels": {"component": "apiserver", "provider": "kubernetes"}},
        "spec": {"clusterIP": KUBERNETES_SERVICE_IP,
                 "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": APISERVER_PORT}]},
    }


def kubernetes_endpoints() -> dict:
    # The API server's own endpoints are not mirrored into an EndpointSlice by the mirroring controller.
    return {
        "apiVersion": "v1", "kind": "Endpoints",
        "metadata": {"name": "kubernetes", "namespace": "default",
                     "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
        "subsets": [{"addresses": [{"ip": APISERVER_ADDRESS}],
                     "ports": [{"name": "https", "port": APISERVER_PORT, "protocol": "TCP"}]}],
    }


def kubernetes_endpoint_slice() -> dict:
    """The API server writes its own EndpointSlice as well (`pkg/controlplane/reconcilers/endpointsadapter.go`):
    named after the Service, with no managed-by label, its address ready."""
    return {
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": "kubernetes", "namespace": "default",
                     "labels": {"kubernetes.io/service-name": "kubernetes"}},
        "addressType": "IPv4",
        "endpoints": [{"addresses": [APISERVER_ADDRESS], "conditions": {"ready": True}}],
        "ports": [{"name": "https", "port": APISERVER_PORT, "protocol": "TCP"}],
    }


def ensure_kubernetes_service(api: Api) -> None:
    api.ensure_created((kubernetes_service(), kubernetes_endpoints(), kubernetes_endpoint_slice()),
                       "kubernetes-service")
