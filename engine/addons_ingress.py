"""The IngressClass ingress-nginx's Helm chart installs (`controller.ingressClassResource`, with `default: true`):
`nginx`, implemented by `k8s.io/ingress-nginx` and marked as the cluster's default class, so that Ingresses which
name no class get it (the DefaultIngressClass admission plugin, `kinds/ingress.py`). k9py's built-in controller for
it is `controllers/ingress_nginx.py`; it runs in the control plane, with no pods or Service of its own.
"""

from __future__ import annotations

from typing import Any

from .ingress_routing import NGINX_CLASS, NGINX_CONTROLLER
from .kinds.ingressclass import DEFAULT_CLASS_ANNOTATION

INGRESS_NGINX_VERSION = "1.14.2"


def nginx_ingress_class() -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
        "metadata": {"name": NGINX_CLASS,
                     "labels": {"app.kubernetes.io/component": "controller",
                                "app.kubernetes.io/instance": "ingress-nginx",
                                "app.kubernetes.io/name": "ingress-nginx",
                                "app.kubernetes.io/part-of": "ingress-nginx",
                                "app.kubernetes.io/version": INGRESS_NGINX_VERSION},
                     "annotations": {DEFAULT_CLASS_ANNOTATION: "true"}},
        "spec": {"controller": NGINX_CONTROLLER},
    }
