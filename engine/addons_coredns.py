"""The cluster DNS add-on as kubeadm installs it (`cmd/kubeadm/app/phases/addons/dns/manifests.go`): the `coredns`
ConfigMap with kubeadm's Corefile, the `coredns` ServiceAccount, the `coredns` Deployment (two replicas of
CoreDNS v1.14.2, the version kubeadm 1.36 pins) and the `kube-dns` Service on 10.96.0.10, the tenth address of
the service range, which kubeadm gives the kubelets as `clusterDNS`.

The answers themselves come from `engine/network/dns.py` (what CoreDNS's kubernetes plugin would say); these pods
are what a learner sees in `kube-system`, and the endpoints DNS queries travel to. kubeadm's ClusterRole and
ClusterRoleBinding `system:coredns` are not created: k9py serves no RBAC yet.
"""

from __future__ import annotations

import hashlib
from typing import Any

Obj = dict[str, Any]
COREDNS_IMAGE = "registry.k8s.io/coredns/coredns:v1.14.2"
CLUSTER_DOMAIN = "cluster.local"
# kubeadm's DNS Service IP: the tenth address of the default service subnet 10.96.0.0/12 (GetDNSIP).
KUBE_DNS_IP = "10.96.0.10"
REPLICAS = 2  # kubeadm's CoreDNS replica count
_LABELS = {"k8s-app": "kube-dns"}
CONTROL_PLANE_TAINT = "node-role.kubernetes.io/control-plane"

COREFILE = f""".:53 {{
    errors
    health {{
       lameduck 5s
    }}
    ready
    kubernetes {CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {{
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }}
    prometheus :9153
    forward . /etc/resolv.conf {{
       max_concurrent 1000
    }}
    cache 30 {{
       disable success {CLUSTER_DOMAIN}
       disable denial {CLUSTER_DOMAIN}
    }}
    loop
    reload
    loadbalance
}}
"""
# CoreDNS's reload plugin logs the SHA-512 of the Corefile it runs. A real CoreDNS prints it once at start and
# then nothing (no `log` plugin); k9py's simulated logs repeat a container's line, so this is the quiet one.
_LOG_LINE = ("[INFO] plugin/reload: Running configuration SHA512 = "
             + hashlib.sha512(COREFILE.encode()).hexdigest())


def coredns_config_map() -> Obj:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "coredns", "namespace": "kube-system"},
            "data": {"Corefile": COREFILE}}


def coredns_service_account() -> Obj:
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "coredns", "namespace": "kube-system"}}


def coredns_deployment() -> Obj:
    container = {
        "name": "coredns",
        "image": COREDNS_IMAGE,
        "imagePullPolicy": "IfNotPresent",
        "resources": {"limits": {"memory": "170Mi"}, "requests": {"cpu": "100m", "memory": "70Mi"}},
        "args": ["-conf", "/etc/coredns/Corefile"],
        "volumeMounts": [{"name": "config-volume", "mountPath": "/etc/coredns", "readOnly": True}],
        "ports": [{"containerPort": 53, "name": "dns", "protocol": "UDP"},
                  {"containerPort": 53, "name": "dns-tcp", "protocol": "TCP"},
                  {"containerPort": 9153, "name": "metrics", "protocol": "TCP"},
                  {"containerPort": 8080, "name": "liveness-probe", "protocol": "TCP"},
                  {"containerPort": 8181, "name": "readiness-probe", "protocol": "TCP"}],
        "livenessProbe": {"httpGet": {"path": "/health", "port": "liveness-probe", "scheme": "HTTP"},
                          "initialDelaySeconds": 60, "timeoutSeconds": 5, "successThreshold": 1,
                          "failureThreshold": 5},
        "readinessProbe": {"httpGet": {"path": "/ready", "port": "readiness-probe", "scheme": "HTTP"}},
        "securityContext": {"allowPrivilegeEscalation": False,
                            "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]},
                            "readOnlyRootFilesystem": True},
    }
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "coredns", "namespace": "kube-system", "labels": dict(_LABELS)},
        "spec": {
            "replicas": REPLICAS,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
            "selector": {"matchLabels": dict(_LABELS)},
            "template": {
                "metadata": {"labels": dict(_LABELS), "annotations": {"sim.k9py.io/log": _LOG_LINE}},
                "spec": {
                    "priorityClassName": "system-cluster-critical",
                    "serviceAccountName": "coredns",
                    "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
                        {"weight": 100, "podAffinityTerm": {
                            "labelSelector": {"matchExpressions": [
                                {"key": "k8s-app", "operator": "In", "values": ["kube-dns"]}]},
                            "topologyKey": "kubernetes.io/hostname"}}]}},
                    "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"},
                                    {"key": CONTROL_PLANE_TAINT, "effect": "NoSchedule"}],
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                    "containers": [container],
                    # CoreDNS itself resolves through the node's resolver (its `forward . /etc/resolv.conf`).
                    "dnsPolicy": "Default",
                    "volumes": [{"name": "config-volume",
                                 "configMap": {"name": "coredns", "items": [{"key": "Corefile",
                                                                             "path": "Corefile"}]}}],
                },
            },
        },
    }


def kube_dns_service() -> Obj:
    return {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "kube-dns", "namespace": "kube-system",
                     "labels": {"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true",
                                "kubernetes.io/name": "CoreDNS"},
                     "annotations": {"prometheus.io/port": "9153", "prometheus.io/scrape": "true"}},
        "spec": {
            "clusterIP": KUBE_DNS_IP,
            "ports": [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                      {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                      {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153}],
            "selector": dict(_LABELS),
        },
    }


def coredns_objects() -> tuple[Obj, ...]:
    """In kubeadm's order (ConfigMap, then the Deployment and its Service), the ServiceAccount before the
    Deployment whose pods name it."""
    return coredns_config_map(), coredns_service_account(), coredns_deployment(), kube_dns_service()
