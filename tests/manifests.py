"""Manifest builders shared by the tests (a plain module: `from manifests import deployment`)."""

from __future__ import annotations

import textwrap
from typing import Any

Obj = dict[str, Any]


def deployment(name: str = "web", image: str = "nginx:1.25", *, namespace: str = "default", replicas: int = 1,
               cause: str | None = None, pod_annotations: dict[str, str] | None = None,
               containers: list[Obj] | None = None, **spec: Any) -> Obj:
    """A Deployment of pods labelled `app: <name>`, running one container `app` of `image` unless `containers`
    says otherwise.

    `cause` becomes the kubernetes.io/change-cause annotation; `pod_annotations`, when given (even empty), the
    pod template's annotations; `spec` adds or replaces fields of the Deployment's spec. What is not asked for is
    left out rather than empty, as the pod template's hash, and so the ReplicaSet's and pods' names, depend on it.
    """
    meta: Obj = {"name": name, "namespace": namespace}
    if cause:
        meta["annotations"] = {"kubernetes.io/change-cause": cause}
    template_meta: Obj = {"labels": {"app": name}}
    if pod_annotations is not None:
        template_meta["annotations"] = pod_annotations
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": template_meta,
                         "spec": {"containers": containers or [{"name": "app", "image": image}]}},
            **spec,
        },
    }


def deployment_yaml(name: str, replicas: int = 1, image: str = "nginx:1.25", namespace: str | None = None) -> str:
    """`deployment()` as a file would hold it (the watched-folder tests write these), namespace only if given."""
    text = textwrap.dedent(f"""\
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {name}
        spec:
          replicas: {replicas}
          selector:
            matchLabels: {{app: {name}}}
          template:
            metadata:
              labels: {{app: {name}}}
            spec:
              containers:
              - name: app
                image: {image}
        """)
    return text.replace(f"  name: {name}\n", f"  name: {name}\n  namespace: {namespace}\n", 1) if namespace else text
