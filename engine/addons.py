"""The add-ons a kubeadm cluster starts with, so `kubectl get pods -n kube-system` looks like a real cluster's.

kube-proxy: kubeadm's DaemonSet (one pod per node, host network, tolerating every taint) and its ConfigMap. Its pods
run nothing — no Service traffic is carried yet — but they are scheduled, started and shown as on a kind or kubeadm
cluster. CoreDNS: kubeadm's `coredns` Deployment and `kube-dns` Service (`addons_coredns.py`). The ingress-nginx
controller in its own namespace, behind a LoadBalancer Service, with the default IngressClass `nginx`
(`addons_ingress.py`).

The default StorageClass `standard`, as kind ships it (rancher.io/local-path, WaitForFirstConsumer, Delete): claims
that name no class get it, and k9py's simulated provisioner (engine/controllers/pv_provisioner.py) serves it.
"""

from __future__ import annotations

from typing import Any

from .addons_coredns import coredns_objects
from .addons_ingress import ingress_nginx_objects
from .api import Api

Obj = dict[str, Any]
KUBE_PROXY_IMAGE = "registry.k8s.io/kube-proxy:v1.36.2"
_LABELS = {"k8s-app": "kube-proxy"}


def kube_proxy_config_map() -> Obj:
    config = (
        "apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"
        "clientConnection:\n  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf\n"
        "clusterCIDR: 10.244.0.0/16\n"
        'mode: ""\n'
        "kind: KubeProxyConfiguration\n"
    )
    kubeconfig = (
        "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n"
        "    certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt\n"
        "    server: https://172.18.0.2:6443\n  name: default\n"
        "contexts:\n- context:\n    cluster: default\n    namespace: default\n    user: default\n  name: default\n"
        "current-context: default\nusers:\n- name: default\n  user:\n"
        "    tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token\n"
    )
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "kube-proxy", "namespace": "kube-system", "labels": {"app": "kube-proxy"}},
            "data": {"config.conf": config, "kubeconfig.conf": kubeconfig}}


def kube_proxy_service_account() -> Obj:
    """kubeadm's `kube-proxy` ServiceAccount: the DaemonSet's pods name it, and admission refuses them without it."""
    return {"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": "kube-proxy", "namespace": "kube-system"}}


def kube_proxy_daemon_set() -> Obj:
    container = {
        "name": "kube-proxy",
        "image": KUBE_PROXY_IMAGE,
        "command": ["/usr/local/bin/kube-proxy", "--config=/var/lib/kube-proxy/config.conf",
                    "--hostname-override=$(NODE_NAME)"],
        "env": [{"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
        "securityContext": {"privileged": True},
        "volumeMounts": [{"name": "kube-proxy", "mountPath": "/var/lib/kube-proxy"},
                         {"name": "xtables-lock", "mountPath": "/run/xtables.lock"},
                         {"name": "lib-modules", "mountPath": "/lib/modules", "readOnly": True}],
    }
    return {
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": "kube-proxy", "namespace": "kube-system", "labels": dict(_LABELS)},
        "spec": {
            "selector": {"matchLabels": dict(_LABELS)},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
            "template": {
                # What kube-proxy's log says while it has nothing to do (k9py carries no Service traffic yet).
                "metadata": {"labels": dict(_LABELS), "annotations": {
                    "sim.k9py.io/log": 'I0101 proxier.go:805] "SyncProxyRules complete" node="{env:NODE_NAME}" '
                                       "ipFamily=\"IPv4\" sync={n}"}},
                "spec": {
                    "containers": [container],
                    "hostNetwork": True,
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                    "priorityClassName": "system-node-critical",
                    "serviceAccountName": "kube-proxy",
                    "tolerations": [{"operator": "Exists"}],
                    "volumes": [
                        {"name": "kube-proxy", "configMap": {"name": "kube-proxy"}},
                        {"name": "xtables-lock", "hostPath": {"path": "/run/xtables.lock", "type": "FileOrCreate"}},
                        {"name": "lib-modules", "hostPath": {"path": "/lib/modules"}},
                    ],
                },
            },
        },
    }


def standard_storage_class() -> Obj:
    """kind's default class (its manifests/default-storage.yaml with local-path-provisioner)."""
    return {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
            "metadata": {"name": "standard",
                         "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
            "provisioner": "rancher.io/local-path", "reclaimPolicy": "Delete",
            "volumeBindingMode": "WaitForFirstConsumer"}


def ensure_add_ons(api: Api) -> None:
    """Create the add-ons if they are missing (a user may delete them, as on a real cluster)."""
    # The ServiceAccount last: the objects before it keep the uids they had before it was added.
    api.ensure_created((kube_proxy_config_map(), kube_proxy_daemon_set(), standard_storage_class(),
                        kube_proxy_service_account()), "add-ons")
    # Their own random source too: the add-ons above keep the uids they had before CoreDNS joined.
    api.ensure_created(coredns_objects(), "coredns")
    api.ensure_created(ingress_nginx_objects(), "ingress-nginx")
