"""The Priority admission plugin (k/k plugin/pkg/admission/priority/admission.go), on pod create.

A pod naming a PriorityClass takes its value and preemptionPolicy; one naming none takes the globalDefault class
(and its name), or priority 0 and PreemptLowerPriority when there is none. An unknown class is refused, and so is a
`priority` or `preemptionPolicy` the pod sets itself that differs from what the class gives, each with the plugin's
403. On update the stored values are kept (the pod kind's prepare_update).
"""

from __future__ import annotations

from typing import Any

from .. import errors
from ..kinds import Obj
from ..kinds.priorityclass import PREEMPT_LOWER_PRIORITY, RESOURCE, default_class

# scheduling.DefaultPriorityWhenNoDefaultClassExists.
DEFAULT_PRIORITY = 0


def _refuse(pod: Obj, why: str) -> errors.ApiError:
    return errors.forbidden("pods", "", str(pod["metadata"].get("name") or ""), why)


def admit(api: Any, pod: Obj) -> None:
    """admitPod on Create: fill in spec.priority (and the class's preemptionPolicy), or raise the 403."""
    spec = pod.get("spec")
    if not isinstance(spec, dict):
        return
    name = spec.get("priorityClassName")
    policy = PREEMPT_LOWER_PRIORITY
    if not name:
        found = default_class(api.store)
        priority = DEFAULT_PRIORITY
        if found is not None:
            priority = found.get("value", 0)
            policy = found.get("preemptionPolicy") or policy
            spec["priorityClassName"] = found["metadata"]["name"]
    else:
        found = api.store.get(RESOURCE, "", str(name))
        if found is None:
            raise _refuse(pod, f"no PriorityClass with name {name} was found")
        priority = found.get("value", 0)
        policy = found.get("preemptionPolicy") or policy
    # The pod may set either only to what the class gives; the plugin reports the first that differs.
    for field, what, computed in (
        ("priority", "the integer value of priority", priority),
        ("preemptionPolicy", "the string value of PreemptionPolicy", policy),
    ):
        given = spec.get(field)
        if given is not None and given != computed:
            raise _refuse(
                pod,
                f"{what} ({given}) must not be provided in pod spec; priority admission controller "
                f"computed {computed} from the given PriorityClass name",
            )
    spec["priority"] = priority
    spec["preemptionPolicy"] = policy
