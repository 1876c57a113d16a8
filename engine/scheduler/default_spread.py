"""PodTopologySpread's default constraints for pods without `topologySpreadConstraints` of their own
(plugins/podtopologyspread/common.go buildDefaultConstraints): the profile's defaults (the system ones: maxSkew 3 by
hostname, 5 by zone, ScheduleAnyway) with the selector `helper.DefaultSelector` builds from the Services selecting the
pod and its controlling ReplicaSet, StatefulSet or ReplicationController. No selector: no constraints, and the
plugin skips the pod (which keeps the scheduler's fast path for bare pods).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ApiError
from ..selectors import LabelSelector, Requirement, selector_from_dict
from ..store import Store
from .pod_terms import SpreadConstraint
from .profiles import Profile

__all__ = ["DefaultSpreading"]

# The owner kinds whose selectors DefaultSelector adds, by (apiVersion, kind): the resource to read it from.
_OWNERS = {
    ("apps/v1", "ReplicaSet"): "replicasets.apps",
    ("apps/v1", "StatefulSet"): "statefulsets.apps",
    ("v1", "ReplicationController"): "replicationcontrollers",
}
_CACHE_LIMIT = 16384


def _controller(meta: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for ref in meta.get("ownerReferences") or ():
        if ref.get("controller"):
            return ref
    return None


class DefaultSpreading:
    """Default constraints per pod for one store, cached by (namespace, labels, owner) until Services change."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._services_stamp = -1
        self._selectors: dict[tuple[Any, ...], LabelSelector | None] = {}
        self._constraints: dict[tuple[Any, ...], tuple[SpreadConstraint, ...]] = {}  # the same tuple for replicas

    def constraints(
        self, pod: Mapping[str, Any], namespace: str, labels: Mapping[str, str], profile: Profile
    ) -> tuple[SpreadConstraint, ...]:
        if not profile.spread_defaults:
            return ()
        selector = self.selector(pod, namespace, labels)
        if selector is None:
            return ()
        key = (selector, profile.spread_defaults)
        found = self._constraints.get(key)
        if found is None:
            if len(self._constraints) >= _CACHE_LIMIT:
                self._constraints.clear()
            found = self._constraints[key] = tuple(
                SpreadConstraint(c.max_skew, c.topology_key, c.when_unsatisfiable, selector)
                for c in profile.spread_defaults
            )
        return found

    def selector(self, pod: Mapping[str, Any], namespace: str, labels: Mapping[str, str]) -> LabelSelector | None:
        """helper.DefaultSelector; None when it is empty."""
        stamp = self._store.changed_at("services")
        if stamp != self._services_stamp or len(self._selectors) >= _CACHE_LIMIT:
            self._selectors.clear()
            self._services_stamp = stamp
        owner = _controller(pod.get("metadata") or {})
        owner_key = (owner.get("apiVersion"), owner.get("kind"), owner.get("name"), owner.get("uid")) if owner else None
        key = (namespace, tuple(sorted(labels.items())), owner_key)
        if key in self._selectors:
            return self._selectors[key]
        found = self._selectors[key] = self._build(namespace, labels, owner)
        return found

    def _build(
        self, namespace: str, labels: Mapping[str, str], owner: Mapping[str, Any] | None
    ) -> LabelSelector | None:
        merged: dict[str, str] = {}
        for service in self._store.iter("services", namespace):
            selector = (service.get("spec") or {}).get("selector")
            if selector is None:
                continue  # a Service without a selector matches nothing, not everything
            if all(labels.get(k) == v for k, v in selector.items()):
                merged.update(selector)
        requirements = [Requirement(k, "=", (v,)) for k, v in sorted(merged.items())]
        resource = _OWNERS.get((owner.get("apiVersion"), owner.get("kind"))) if owner else None
        if resource is not None and owner is not None:
            controller = self._store.get(resource, namespace, str(owner.get("name") or ""))
            raw = (controller or {}).get("spec", {}).get("selector")
            if resource == "replicationcontrollers" and isinstance(raw, Mapping):
                extra = {**merged, **raw}
                requirements = [Requirement(k, "=", (v,)) for k, v in sorted(extra.items())]
            elif isinstance(raw, Mapping):
                try:
                    requirements += selector_from_dict(raw).requirements
                except ApiError:
                    pass
        return LabelSelector(tuple(requirements)) if requirements else None
