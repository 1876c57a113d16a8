"""One view per file; `build_view` turns a `ViewSpec` into the widget that shows it."""

from __future__ import annotations

from textual.widget import Widget

from ..backend import Backend
from ..theme import Theme
from .aliases import AliasesView
from .containers import ContainersView
from .deployments import DeploymentsView
from .describe import DescribeView
from .events import EventsView
from .generic import GenericView
from .logs import LogsView
from .namespaces import NamespacesView
from .nodes import NodesView
from .pods import PodsView
from .replicasets import ReplicaSetsView
from .rollout import RolloutView
from .secrets import DecodeView, SecretsView
from .sources import DriftView, SourcesView
from .spec import ViewSpec
from .yaml import YamlView

VIEWS: dict[str, type[Widget]] = {
    "pods": PodsView,
    "deployments": DeploymentsView,
    "replicasets": ReplicaSetsView,
    "nodes": NodesView,
    "namespaces": NamespacesView,
    "events": EventsView,
    "generic": GenericView,
    "secrets": SecretsView,
    "decode": DecodeView,
    "containers": ContainersView,
    "yaml": YamlView,
    "describe": DescribeView,
    "logs": LogsView,
    "sources": SourcesView,
    "drift": DriftView,
    "rollout": RolloutView,
    "aliases": AliasesView,
}

# The dedicated table view for a kind; every other kind gets the generic one.
VIEW_FOR_KIND = {"Pod": "pods", "Deployment": "deployments", "ReplicaSet": "replicasets", "Node": "nodes",
                 "Namespace": "namespaces", "Event": "events", "Secret": "secrets"}


def build_view(spec: ViewSpec, backend: Backend, skin: Theme) -> Widget:
    return VIEWS[spec.view](spec, backend, skin)  # type: ignore[call-arg]


def table_spec(kind: str, namespace: str | None) -> ViewSpec:
    return ViewSpec(view=VIEW_FOR_KIND.get(kind, "generic"), kind=kind, namespace=namespace)


__all__ = ["VIEWS", "VIEW_FOR_KIND", "ViewSpec", "build_view", "table_spec"]
