"""The Cluster Autoscaler's cloud-provider node groups, as k9py declares them, and their template nodes.

A node group is what an AWS Auto Scaling group, a GKE node pool or the kwok provider's node template is to the
Cluster Autoscaler (`cloudprovider/cloud_provider.go` NodeGroup: Id, MinSize, MaxSize, TargetSize,
TemplateNodeInfo): machines of one shape, labels and taints, between a minimum and a maximum count. k9py
declares one with a document of its own (it is configuration of the simulated cloud, not a Kubernetes object):

    apiVersion: k9py.io/v1alpha1
    kind: NodeGroup
    metadata:
      name: general
    spec:
      minSize: 0
      maxSize: 10
      bootTime: 45s           # from the scale-up to the node turning Ready (default 60s)
      node:
        cpu: "4"              # capacity = allocatable of every node of the group (defaults 4, 16Gi, 110)
        memory: 16Gi
        pods: 110
        labels: {tier: batch}
        taints: [{key: dedicated, value: batch, effect: NoSchedule}]

Every node of a group carries the label `k9py.io/node-group: <name>` (the role of `eks.amazonaws.com/nodegroup`,
`cloud.google.com/gke-nodepool` or kwok's `kwok-nodegroup`) and the providerID `k9py://<group>/<node>`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from ..quantity import canonical_quantity, parse_quantity
from ..timeutil import parse_go_duration

Obj = dict[str, Any]

API_VERSION = "k9py.io/v1alpha1"
KIND = "NodeGroup"
GROUP_LABEL = "k9py.io/node-group"
PROVIDER_PREFIX = "k9py://"
DEFAULT_BOOT_SECONDS = 60.0
_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


class NodeGroupError(ValueError):
    """A node group declaration that cannot be used; the message names the field, as the API server would."""


@attrs.frozen
class NodeGroup:
    """One node group: its bounds, the shape of its machines and how long one takes to boot."""

    name: str
    min_size: int = 0
    max_size: int = 10
    cpu: str = "4"
    memory: str = "16Gi"
    pods: int = 110
    labels: Mapping[str, str] = attrs.field(factory=dict)
    taints: tuple[tuple[str, str, str], ...] = ()  # (key, value, effect)
    boot_seconds: float = DEFAULT_BOOT_SECONDS

    def __attrs_post_init__(self) -> None:
        _check(self)

    @property
    def taint_objects(self) -> list[Obj]:
        return [{"key": k, **({"value": v} if v else {}), "effect": e} for k, v, e in self.taints]

    def node_labels(self) -> dict[str, str]:
        return {**self.labels, GROUP_LABEL: self.name}

    def template_node(self, name: str) -> Obj:
        """The group's TemplateNodeInfo node: what a new machine of it will register as, before it exists."""
        capacity = {
            "cpu": canonical_quantity(self.cpu, resource_list=True),
            "memory": canonical_quantity(self.memory, resource_list=True),
            "pods": str(self.pods),
            "ephemeral-storage": "100Gi",
        }
        labels = {
            "kubernetes.io/arch": "amd64",
            "kubernetes.io/os": "linux",
            "kubernetes.io/hostname": name,
            **self.node_labels(),
        }
        spec: Obj = {"providerID": f"{PROVIDER_PREFIX}{self.name}/{name}"}
        if self.taints:
            spec["taints"] = self.taint_objects
        return {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": name, "labels": labels},
            "spec": spec,
            "status": {"capacity": capacity, "allocatable": dict(capacity)},
        }


def _check(group: NodeGroup) -> None:
    if (
        not group.name
        or len(group.name) > 40
        or not all(c.isalnum() or c == "-" for c in group.name)
        or not group.name[0].isalnum()
        or not group.name[-1].isalnum()
        or group.name.lower() != group.name
    ):
        raise NodeGroupError(
            f'metadata.name: Invalid value: "{group.name}": a node group name must be a lowercase '
            "RFC 1123 label of at most 40 characters (its nodes are named <group>-<5 random>)"
        )
    if group.min_size < 0:
        raise NodeGroupError(f"spec.minSize: Invalid value: {group.min_size}: must be greater than or equal to 0")
    if group.max_size < max(group.min_size, 1):
        raise NodeGroupError(
            f"spec.maxSize: Invalid value: {group.max_size}: must be at least 1 and at least minSize ({group.min_size})"
        )
    if group.boot_seconds < 0:
        raise NodeGroupError(f"spec.bootTime: Invalid value: {group.boot_seconds:g}s: must not be negative")
    for path, value in (("spec.node.cpu", group.cpu), ("spec.node.memory", group.memory)):
        try:
            if parse_quantity(value) <= 0:
                raise ValueError
        except (ValueError, TypeError):
            raise NodeGroupError(f'{path}: Invalid value: "{value}": must be a positive quantity') from None
    if group.pods < 1:
        raise NodeGroupError(f"spec.node.pods: Invalid value: {group.pods}: must be at least 1")
    for key, _, effect in group.taints:
        if not key or effect not in _EFFECTS:
            raise NodeGroupError(
                f'spec.node.taints: Invalid value: "{key}:{effect}": a taint needs a key and an '
                f"effect of {', '.join(_EFFECTS)}"
            )


def _int(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise NodeGroupError(f"{path}: Invalid value: {value!r}: must be an integer")
    return value


def node_group_from_document(doc: Mapping[str, Any]) -> NodeGroup:
    """A `k9py.io/v1alpha1 NodeGroup` document as a NodeGroup; NodeGroupError says what is wrong."""
    if doc.get("apiVersion") != API_VERSION or doc.get("kind") != KIND:
        raise NodeGroupError(f'not a node group: expected apiVersion "{API_VERSION}" and kind "{KIND}"')
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), Mapping) else {}
    spec = doc.get("spec") if isinstance(doc.get("spec"), Mapping) else {}
    node = spec.get("node") if isinstance(spec.get("node"), Mapping) else {}
    unknown = sorted(set(spec) - {"minSize", "maxSize", "bootTime", "node"}) + [
        f"node.{k}" for k in sorted(set(node) - {"cpu", "memory", "pods", "labels", "taints"})
    ]
    if unknown:
        raise NodeGroupError(f'spec.{unknown[0]}: unknown field "{unknown[0].rpartition(".")[2]}"')
    boot = spec.get("bootTime", DEFAULT_BOOT_SECONDS)
    try:
        boot_seconds = float(boot) if isinstance(boot, (int, float)) else parse_go_duration(str(boot))
    except ValueError as exc:
        raise NodeGroupError(f"spec.bootTime: Invalid value: {boot!r}: {exc}") from None
    labels = node.get("labels") or {}
    if not isinstance(labels, Mapping):
        raise NodeGroupError("spec.node.labels: must be a map of strings")
    taints = []
    for taint in node.get("taints") or ():
        if not isinstance(taint, Mapping):
            raise NodeGroupError("spec.node.taints: each taint must be a map with key, value and effect")
        taints.append((str(taint.get("key") or ""), str(taint.get("value") or ""), str(taint.get("effect") or "")))
    return NodeGroup(
        name=str(meta.get("name") or ""),
        min_size=_int(spec.get("minSize", 0), "spec.minSize"),
        max_size=_int(spec.get("maxSize", 10), "spec.maxSize"),
        cpu=str(node.get("cpu", "4")),
        memory=str(node.get("memory", "16Gi")),
        pods=_int(node.get("pods", 110), "spec.node.pods"),
        labels={str(k): str(v) for k, v in labels.items()},
        taints=tuple(taints),
        boot_seconds=boot_seconds,
    )


@attrs.frozen
class Problem:
    """A refusal of a NodeGroup document, with the field it is about (for file:line in a watched folder)."""

    field: str
    message: str


def read_node_group(doc: Mapping[str, Any]) -> tuple[NodeGroup | None, list[Problem]]:
    """A NodeGroup document of a watched folder: the group, or why not (engine/manifests/config_docs.py)."""
    try:
        return node_group_from_document(doc), []
    except NodeGroupError as exc:
        field, _, rest = str(exc).partition(": ")
        return None, [Problem(field if rest and " " not in field else "", str(exc))]


def as_node_groups(groups: Iterable[NodeGroup | Mapping[str, Any]]) -> list[NodeGroup]:
    """NodeGroups from records or documents; two of one name are refused."""
    out: list[NodeGroup] = []
    for group in groups:
        found = group if isinstance(group, NodeGroup) else node_group_from_document(group)
        if any(g.name == found.name for g in out):
            raise NodeGroupError(f'metadata.name: Duplicate value: "{found.name}"')
        out.append(found)
    return out


def is_node_group_document(doc: Any) -> bool:
    return isinstance(doc, Mapping) and doc.get("kind") == KIND and doc.get("apiVersion") == API_VERSION
