"""PriorityClass (scheduling.k8s.io/v1, cluster-scoped, `pc`): a name for a pod priority.

Defaulting is SetDefaults_PriorityClass (preemptionPolicy PreemptLowerPriority); validation is
ValidatePriorityClass / ValidatePriorityClassUpdate (k/k pkg/apis/scheduling/validation) with a v1.36 API server's
messages; the single-global-default rule is the Priority admission plugin's validatePriorityClass
(plugin/pkg/admission/priority), refused with its 403; the two system classes cannot be deleted (the registry's
"this is a system priority class and cannot be deleted") and are created at start as kube-apiserver's bootstrap hook
does. The table is printPriorityClass (NAME VALUE GLOBAL-DEFAULT AGE PREEMPTIONPOLICY) and describe kubectl's
describePriorityClass. Pods take their priority from a class in `engine/admission/priority.py`.
"""

from __future__ import annotations

from typing import Any

from .. import errors
from ..printers.daemonsets import format_labels
from ..printers.describe import _describe_events, _Writer
from ..printers.duration import age
from . import validation as v
from .registry import REGISTRY, DescribeContext, FieldErrors, KindInfo, Obj

RESOURCE = "priorityclasses.scheduling.k8s.io"
PREEMPT_LOWER_PRIORITY = "PreemptLowerPriority"
PREEMPT_NEVER = "Never"
PREEMPTION_POLICIES = [PREEMPT_LOWER_PRIORITY, PREEMPT_NEVER]
# scheduling.HighestUserDefinablePriority and SystemCriticalPriority (pkg/apis/scheduling/types.go).
HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000
SYSTEM_CRITICAL_PRIORITY = 2 * HIGHEST_USER_DEFINABLE_PRIORITY
SYSTEM_PREFIX = "system-"
# scheduling.SystemPriorityClasses(): what kube-apiserver creates at start, as `kubectl get pc -o yaml` shows them.
SYSTEM_CLASSES: tuple[Obj, ...] = (
    {
        "name": "system-node-critical",
        "value": SYSTEM_CRITICAL_PRIORITY + 1000,
        "description": "Used for system critical pods that must not be moved from their current node.",
    },
    {
        "name": "system-cluster-critical",
        "value": SYSTEM_CRITICAL_PRIORITY,
        "description": "Used for system critical pods that must run in the cluster, but can be moved to another node "
        "if necessary.",
    },
)
SYSTEM_VALUES = {spc["name"]: spc["value"] for spc in SYSTEM_CLASSES}


def _default(pc: Obj) -> None:
    pc.setdefault("preemptionPolicy", PREEMPT_LOWER_PRIORITY)
    meta = pc.get("metadata")
    if isinstance(meta, dict):
        meta.setdefault("generation", 1)  # the strategy's PrepareForCreate; an update keeps the stored one


def _known_system_class(name: str, value: Any, global_default: bool) -> str | None:
    """IsKnownSystemPriorityClass's error, or None when the class is exactly one of the system ones."""
    expected = SYSTEM_VALUES.get(name)
    if expected is None:
        return f"{name} is not a known system priority class"
    if value != expected:
        return f"value of {name} PriorityClass must be {expected}"
    if global_default:
        return f"globalDefault of {name} PriorityClass must be false"
    return None


def _validate(pc: Obj, old: Obj | None) -> FieldErrors:
    errs: FieldErrors = []
    value = pc.get("value", 0)
    if isinstance(value, bool) or not isinstance(value, int):
        return [v.type_error("value", value, "integer")]
    if old is not None:
        if value != old.get("value", 0):
            errs.append(v.forbidden("value", "may not be changed in an update."))
        errs.extend(v.immutable("preemptionPolicy", pc.get("preemptionPolicy"), old.get("preemptionPolicy")))
        return errs
    name = str(pc["metadata"].get("name") or "")
    if name.startswith(SYSTEM_PREFIX):
        problem = _known_system_class(name, value, bool(pc.get("globalDefault")))
        if problem is not None:
            errs.append(
                v.forbidden(
                    "metadata.name",
                    f"priority class names with '{SYSTEM_PREFIX}' prefix are "
                    f"reserved for system use only. error: {problem}",
                )
            )
    elif value > HIGHEST_USER_DEFINABLE_PRIORITY:
        errs.append(
            v.forbidden(
                "value", f"maximum allowed value of a user defined priority is {HIGHEST_USER_DEFINABLE_PRIORITY}"
            )
        )
    policy = pc.get("preemptionPolicy")
    if policy not in PREEMPTION_POLICIES:
        errs.append(v.unsupported("preemptionPolicy", policy, PREEMPTION_POLICIES))
    return errs


def default_class(store: Any) -> Obj | None:
    """getDefaultPriorityClass: the globalDefault class; of several (a race upstream), the lowest value."""
    found = None
    for pc in store.iter(RESOURCE):
        if pc.get("globalDefault") and (found is None or pc.get("value", 0) < found.get("value", 0)):
            found = pc
    return found


def _admit(api: Any, pc: Obj, old: Obj | None) -> FieldErrors:
    """The Priority admission plugin's validatePriorityClass: one global default at a time."""
    if not pc.get("globalDefault"):
        return []
    current = default_class(api.store)
    name = pc["metadata"]["name"]
    if current is not None and (old is None or current["metadata"]["name"] != name):
        raise errors.forbidden(
            "priorityclasses",
            "scheduling.k8s.io",
            name,
            f"PriorityClass {current['metadata']['name']} is already marked as default. Only one default can exist",
        )
    return []


def _before_delete(pc: Obj) -> None:
    """The registry's Delete: a system class stays (kube-apiserver would recreate it anyway)."""
    name = pc["metadata"]["name"]
    if name in SYSTEM_VALUES and pc.get("value") == SYSTEM_VALUES[name]:
        raise errors.forbidden(
            "priorityclasses", "scheduling.k8s.io", name, "this is a system priority class and cannot be deleted"
        )


def system_classes() -> list[Obj]:
    """Fresh copies of the system classes, in the order kube-apiserver's bootstrap hook creates them."""
    return [
        {
            "apiVersion": "scheduling.k8s.io/v1",
            "kind": "PriorityClass",
            "metadata": {"name": spc["name"]},
            "value": spc["value"],
            "description": spc["description"],
            "preemptionPolicy": PREEMPT_LOWER_PRIORITY,
        }
        for spc in SYSTEM_CLASSES
    ]


def ensure_system_classes(api: Any) -> None:
    """kube-apiserver's scheduling post-start hook: create the system classes that are missing."""
    api.ensure_created(system_classes(), "priority-classes")


def _row(pc: Obj, now: float) -> list[str]:
    return [
        pc["metadata"]["name"],
        str(pc.get("value", 0)),
        "true" if pc.get("globalDefault") else "false",
        age(pc["metadata"].get("creationTimestamp"), now),
        str(pc.get("preemptionPolicy") or "<none>"),
    ]


def _describe(pc: Obj, ctx: DescribeContext) -> str:
    w = _Writer()
    w.write(0, f"Name:\t{pc['metadata']['name']}\n")
    w.write(0, f"Value:\t{pc.get('value', 0)}\n")
    w.write(0, f"GlobalDefault:\t{'true' if pc.get('globalDefault') else 'false'}\n")
    w.write(0, f"PreemptionPolicy:\t{pc.get('preemptionPolicy') or ''}\n")
    w.write(0, f"Description:\t{pc.get('description') or ''}\n")
    w.write(0, f"Annotations:\t{format_labels(pc['metadata'].get('annotations'))}\n")
    _describe_events(w, ctx.events(pc), ctx.now())
    return w.text()


PRIORITY_CLASS = REGISTRY.register(
    KindInfo(
        kind="PriorityClass",
        group="scheduling.k8s.io",
        version="v1",
        plural="priorityclasses",
        namespaced=False,
        short_names=("pc",),
        default=_default,
        validate=_validate,
        allocate=_admit,
        before_delete=_before_delete,
        has_status=False,
        generation_tracks_spec=False,
        columns=("NAME", "VALUE", "GLOBAL-DEFAULT", "AGE", "PREEMPTIONPOLICY"),
        row=_row,
        describe=_describe,
    )
)
