"""Taints and tolerations as `component-helpers/scheduling/corev1` and `api/core/v1` match them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

__all__ = [
    "NO_EXECUTE",
    "NO_SCHEDULE",
    "PREFER_NO_SCHEDULE",
    "UNSCHEDULABLE_TAINT",
    "Taint",
    "Toleration",
    "find_untolerated_taint",
    "parse_taints",
    "parse_tolerations",
    "tolerations_tolerate",
]

NO_SCHEDULE = "NoSchedule"
PREFER_NO_SCHEDULE = "PreferNoSchedule"
NO_EXECUTE = "NoExecute"


@attrs.frozen
class Taint:
    key: str
    value: str = ""
    effect: str = ""


@attrs.frozen
class Toleration:
    key: str = ""
    operator: str = ""
    value: str = ""
    effect: str = ""

    def tolerates(self, taint: Taint) -> bool:
        """`Toleration.ToleratesTaint`: an empty effect or key is a wildcard; "" means Equal."""
        if self.effect and self.effect != taint.effect:
            return False
        if self.key and self.key != taint.key:
            return False
        if self.operator in ("", "Equal"):
            return self.value == taint.value
        # Gt/Lt comparisons are an alpha feature gate upstream; anything else never matches.
        return self.operator == "Exists"


# `node.Spec.Unschedulable` is checked as if the node carried this taint.
UNSCHEDULABLE_TAINT = Taint("node.kubernetes.io/unschedulable", "", NO_SCHEDULE)


def parse_taints(node: Mapping[str, Any]) -> tuple[Taint, ...]:
    raw = (node.get("spec") or {}).get("taints") or ()
    return tuple(
        Taint(str(t.get("key") or ""), str(t.get("value") or ""), str(t.get("effect") or "")) for t in raw
    )


def parse_tolerations(pod: Mapping[str, Any]) -> tuple[Toleration, ...]:
    raw = (pod.get("spec") or {}).get("tolerations") or ()
    return tuple(
        Toleration(
            str(t.get("key") or ""),
            str(t.get("operator") or ""),
            str(t.get("value") or ""),
            str(t.get("effect") or ""),
        )
        for t in raw
    )


def tolerations_tolerate(tolerations: Iterable[Toleration], taint: Taint) -> bool:
    return any(t.tolerates(taint) for t in tolerations)


def find_untolerated_taint(taints: Iterable[Taint], tolerations: tuple[Toleration, ...]) -> Taint | None:
    """First taint in node order that no toleration covers (`FindMatchingUntoleratedTaint`).

    The caller passes only the taints of the effects it cares about.
    """
    for taint in taints:
        if not tolerations_tolerate(tolerations, taint):
            return taint
    return None
