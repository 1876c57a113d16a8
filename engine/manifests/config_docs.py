"""Documents of a watched folder that configure one of k9py's simulated components rather than declare a Kubernetes
object: the Cluster Autoscaler's `k9py.io/v1alpha1 NodeGroup` (a node group of the simulated cloud), and any other
component's configuration kind registered here (kube-scheduler's KubeSchedulerConfiguration is the same shape of
thing). A real cluster's API server never sees such files either: they are a cloud provider's or a component's
`--config`, so they are not applied, pruned or checked for drift; the component is handed them.

A component registers a `ConfigKind`: how to recognise its documents, how to read one (a value, or problems that
each name the field they are about, so the folder places them at file:line like any manifest error) and how to take
a folder's current values. `ManifestSource` hands a kind its folder's values whenever they change, keyed by the
source, so several folders and what the component was given directly merge as the component decides.

The folder's rules hold for them as for objects: a document that fails keeps its last good value, a broken file
keeps all of its last values, and a value no longer declared is dropped only once its file has stayed quiet for
the prune delay (an editor's truncate-then-write must not remove a node group for a moment).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import attrs

__all__ = ["CONFIG_KINDS", "ConfigKind", "Problem", "config_kind", "register_config_kind"]


class Problem(Protocol):
    """What a component refuses in a document: the field path it is about (`spec.maxSize`) and its message."""

    @property
    def field(self) -> str: ...

    @property
    def message(self) -> str: ...


@attrs.frozen
class ConfigKind:
    kind: str
    matches: Callable[[Mapping[str, Any]], bool]
    # One document: its value, or the problems that refuse it (the value is then ignored).
    read: Callable[[Mapping[str, Any]], tuple[Any, Sequence[Problem]]]
    # A folder's current values, in file order, to the component of this store (`source` identifies the folder;
    # an empty list: the folder declares none any more).
    declare: Callable[[Any, object, list[Any]], None]
    # The name of a value, when two values of one name in a folder are an error (the second is refused).
    name: Callable[[Any], str | None] = lambda value: None


CONFIG_KINDS: dict[str, ConfigKind] = {}


def register_config_kind(kind: ConfigKind) -> None:
    """Route documents `kind.matches` to `kind` in every watched folder (the owning component calls this)."""
    CONFIG_KINDS[kind.kind] = kind


def config_kind(obj: Mapping[str, Any]) -> ConfigKind | None:
    for kind in CONFIG_KINDS.values():
        if kind.matches(obj):
            return kind
    return None
