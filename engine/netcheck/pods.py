"""The pods a checked folder runs, for the network checks: every pod template it declares and every live pod.

Templates count as well as live pods because a Deployment scaled to 0, a CronJob between two runs or a workload
whose pods could not be created still declares what its pods will look like. Live pods count because the
controllers add labels a template does not have (`statefulset.kubernetes.io/pod-name`, `pod-template-hash`,
`batch.kubernetes.io/job-name`), which a per-pod Service may select.

Everything is indexed once per check: by namespace, and by label pair, so a Service's selector costs the size of
its smallest label bucket rather than a scan of the namespace.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from ..kinds import REGISTRY
from ..store import Store

Obj = dict[str, Any]
MAX_OWNER_HOPS = 3  # pod -> ReplicaSet -> Deployment (-> anything that owns a Deployment)


@attrs.frozen
class PodShape:
    """A pod, or a template its workload makes pods from: what Services and NetworkPolicies look at."""

    namespace: str
    labels: Mapping[str, str]
    pod: Obj  # a pod, or `{"metadata": template metadata, "spec": template spec}`
    owner: str = ""  # how messages name a template's pods ("Deployment web"); "" for a live pod: its owner's


def _template(obj: Obj) -> Obj | None:
    """The pod template of a workload (spec.template) or of a CronJob (spec.jobTemplate.spec.template)."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return None
    template = spec.get("template")
    if not isinstance(template, dict):
        job = spec.get("jobTemplate")
        job_spec = job.get("spec") if isinstance(job, dict) else None
        template = job_spec.get("template") if isinstance(job_spec, dict) else None
    if not isinstance(template, dict) or not isinstance(template.get("spec"), dict):
        return None
    return template


def _labels(meta: Any) -> Mapping[str, str]:
    # Stored objects passed validation: label keys and values are strings.
    labels = meta.get("labels") if isinstance(meta, dict) else None
    return labels if isinstance(labels, dict) else {}


def template_shape(obj: Obj) -> PodShape | None:
    """The pods a declared workload makes (a declared Pod is found among the live pods)."""
    template = _template(obj)
    if template is None:
        return None
    meta = obj.get("metadata") or {}
    pod = {"metadata": template.get("metadata") or {}, "spec": template["spec"]}
    return PodShape(str(meta.get("namespace", "")), _labels(template.get("metadata")), pod,
                    f"{obj.get('kind')} {meta.get('name', '')}")


class PodIndex:
    """Pod shapes by namespace and by (namespace, label, value)."""

    def __init__(self, shapes: Iterable[PodShape], store: Store | None = None) -> None:
        self.store = store  # to name a live pod by the object at the top of its controller chain
        self._owners: dict[tuple[str, str, str], str] = {}  # (namespace, kind, name) of a pod's owner -> the top
        self.by_namespace: dict[str, list[PodShape]] = {}
        self._by_pair: dict[tuple[str, str, str], list[PodShape]] = {}
        for shape in shapes:
            self.by_namespace.setdefault(shape.namespace, []).append(shape)
            for pair in shape.labels.items():
                self._by_pair.setdefault((shape.namespace, *pair), []).append(shape)
        # What only a warning's hint needs, built on the first hint.
        self._values: dict[tuple[str, str], set[str]] | None = None  # (namespace, label) -> its values
        self._pair_namespaces: dict[tuple[str, str], set[str]] = {}  # (label, value) -> namespaces that have it

    @classmethod
    def build(cls, store: Store, declared: Iterable[Obj], namespaces: set[str] | None = None) -> PodIndex:
        """Templates of the declared objects and the live pods (of `namespaces`; None: all)."""
        shapes = [s for s in map(template_shape, declared) if s is not None]
        for namespace in (store.namespaces_with("pods") if namespaces is None else namespaces):
            shapes += [PodShape(namespace, _labels(pod["metadata"]), pod) for pod in store.iter("pods", namespace)]
        return cls(shapes, store)

    def matching(self, namespace: str, selector: Mapping[str, Any]) -> list[PodShape]:
        """The shapes a Service-style selector (label = value, all of them) picks in `namespace`."""
        buckets = [self._by_pair.get((namespace, k, str(v)), []) for k, v in selector.items()]
        if not buckets:
            return []
        smallest = min(buckets, key=len)
        return [s for s in smallest if all(s.labels.get(k) == str(v) for k, v in selector.items())]

    def _hints(self) -> dict[tuple[str, str], set[str]]:
        if self._values is None:
            self._values = {}
            for namespace, key, value in self._by_pair:
                self._values.setdefault((namespace, key), set()).add(value)
                self._pair_namespaces.setdefault((key, value), set()).add(namespace)
        return self._values

    def values(self, namespace: str, key: str) -> set[str]:
        return self._hints().get((namespace, key), set())

    def namespaces_with(self, selector: Mapping[str, Any]) -> list[str]:
        """Namespaces where some shape carries every label of the selector."""
        self._hints()
        found = [self._pair_namespaces.get((k, str(v)), set()) for k, v in selector.items()]
        candidates = set.intersection(*found) if found else set()
        return sorted(ns for ns in candidates if self.matching(ns, selector))

    def owner(self, shape: PodShape) -> str:
        """"Deployment web" for a live pod of a ReplicaSet of Deployment web: the name the folder declares."""
        if shape.owner:
            return shape.owner
        ref = next((r for r in shape.pod["metadata"].get("ownerReferences") or () if r.get("controller")), None)
        if ref is None or self.store is None:
            return f"Pod {shape.pod['metadata'].get('name', '')}"
        key = (shape.namespace, str(ref.get("kind")), str(ref.get("name")))
        if key not in self._owners:  # a workload's pods share their owner: look it up once
            self._owners[key] = self._top(*key)
        return self._owners[key]

    def _top(self, namespace: str, kind: str, name: str) -> str:
        for _ in range(MAX_OWNER_HOPS):
            info = REGISTRY.by_kind(kind)
            obj = self.store.get(info.resource, namespace, name) if info and self.store else None
            ref = next((r for r in obj["metadata"].get("ownerReferences") or () if r.get("controller")), None) \
                if obj else None
            if ref is None:
                break
            kind, name = str(ref.get("kind")), str(ref.get("name"))
        return f"{kind} {name}"

    def owners(self, shapes: Iterable[PodShape], most: int = 3) -> str:
        """`Deployment web, StatefulSet db and 2 more`: the workloads behind some shapes, each named once."""
        names = sorted({self.owner(s) for s in shapes})
        if len(names) > most:
            return ", ".join(names[:most]) + f" and {len(names) - most} more"
        return " and ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else "".join(names)
