"""The clusterrole-aggregation controller (pkg/controller/clusterroleaggregation): a ClusterRole with an
aggregationRule gets, as its rules, the rules of every other ClusterRole its selectors match, in name order and
without duplicates. So `view` gains what `system:aggregate-to-view` (or a CRD author's role labelled
`rbac.authorization.k8s.io/aggregate-to-view: "true"`) grants, `edit` gains `view`'s, and `admin` gains `edit`'s.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..errors import ApiError
from ..rbac.authorizer import CLUSTER_ROLES
from ..runtime import Controller, register_controller
from ..selectors import selector_from_dict
from ..store import WatchEvent

Obj = dict[str, Any]


@register_controller
class ClusterRoleAggregationController(Controller):
    name = "clusterrole-aggregation-controller"
    resources = (CLUSTER_ROLES,)

    def start(self) -> None:
        for role in self.store.iter(CLUSTER_ROLES):
            if role.get("aggregationRule"):
                self.queue.add(role["metadata"]["name"])

    def keys_for(self, event: WatchEvent) -> Iterable[str]:
        """enqueueAll: any ClusterRole's change may change what an aggregated role selects."""
        return [r["metadata"]["name"] for r in self.store.iter(CLUSTER_ROLES) if r.get("aggregationRule")]

    def object_for_key(self, key: str) -> Obj | None:
        return self.store.get(CLUSTER_ROLES, "", key)

    def reconcile(self, key: str) -> float | None:
        """syncClusterRole."""
        role = self.store.get(CLUSTER_ROLES, "", key)
        aggregation = role.get("aggregationRule") if role is not None else None
        if not isinstance(aggregation, dict):
            return None
        rules: list[Obj] = []
        for selector in aggregation.get("clusterRoleSelectors") or ():
            if not isinstance(selector, dict):
                continue
            try:
                chosen = selector_from_dict(selector)
            except ApiError:
                continue  # validation refuses such a selector; one stored before cannot select anything
            matched = sorted((r for r in self.store.iter(CLUSTER_ROLES)
                              if r["metadata"]["name"] != key and chosen.matches(r["metadata"].get("labels"))),
                             key=lambda r: r["metadata"]["name"])
            for other in matched:
                for rule in other.get("rules") or ():
                    if rule not in rules:
                        rules.append(rule)
        if rules == (role.get("rules") or []):
            return None
        self.api.update({**role, "rules": rules}, trusted=True)
        return None
