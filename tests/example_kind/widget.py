"""A throwaway kind in one module, as the README's "Adding a kind" describes: the kind (served by the API,
printed, described, judged by `k9py check`) and its controller. `tests/test_kind_unit.py` loads it."""

from __future__ import annotations

from typing import Any

from engine.kinds import REGISTRY, DescribeContext, FieldErrors, Health, KindInfo
from engine.kinds import validation as v
from engine.printers import age
from engine.runtime import Controller, register_controller
from engine.store import WatchEvent

Obj = dict[str, Any]
RESOURCE = "widgets.example.k9py.io"


def _default(widget: Obj) -> None:
    spec = widget.setdefault("spec", {})
    if isinstance(spec, dict):
        spec.setdefault("replicas", 1)
        spec.setdefault("colour", "blue")


def _validate(widget: Obj, old: Obj | None) -> FieldErrors:
    spec = widget.get("spec") or {}
    return v.non_negative("spec.replicas", spec.get("replicas"))


def _row(widget: Obj, now: float) -> list[str]:
    spec, status = widget.get("spec") or {}, widget.get("status") or {}
    return [widget["metadata"]["name"], str(spec.get("colour", "")),
            f"{status.get('polished', 0)}/{spec.get('replicas', 0)}",
            age(widget["metadata"].get("creationTimestamp"), now)]


def _describe(widget: Obj, ctx: DescribeContext) -> str:
    spec, status = widget.get("spec") or {}, widget.get("status") or {}
    return (f"Name:      {widget['metadata']['name']}\n"
            f"Colour:    {spec.get('colour')}\n"
            f"Polished:  {status.get('polished', 0)} of {spec.get('replicas')}\n"
            f"Events:    {len(ctx.events(widget))}\n")


def _health(widget: Obj) -> Health:
    spec, status = widget.get("spec") or {}, widget.get("status") or {}
    if spec.get("colour") == "rust":
        return Health("Degraded", "the widget has rusted")
    if status.get("polished", 0) < spec.get("replicas", 0):
        return Health("Progressing", "polishing")
    return Health("Healthy")


def _problems(widget: Obj) -> list[tuple[str, str]]:
    return [("Rusted", "the widget has rusted")] if (widget.get("spec") or {}).get("colour") == "rust" else []


WIDGET = REGISTRY.register(KindInfo(
    kind="Widget", group="example.k9py.io", version="v1", plural="widgets", namespaced=True, short_names=("wd",),
    default=_default, validate=_validate, columns=("NAME", "COLOUR", "POLISHED", "AGE"), row=_row,
    describe=_describe, health=_health, problems=_problems, scalable=True,
))


@register_controller
class WidgetController(Controller):
    """Polishes every replica of a widget: status.polished catches up with spec.replicas."""

    name = "widget-controller"
    resources = (RESOURCE,)

    def keys_for(self, event: WatchEvent) -> list[str]:
        meta = event.object["metadata"]
        return [f"{meta.get('namespace', '')}/{meta['name']}"]

    def reconcile(self, key: str) -> float | None:
        namespace, name = key.split("/", 1)
        widget = self.store.get(RESOURCE, namespace, name)
        if widget is None or (widget.get("status") or {}).get("polished") == widget["spec"]["replicas"]:
            return None
        self.api.update_status({**widget, "status": {"polished": widget["spec"]["replicas"]}})
        self.recorder.record(widget, "Normal", "Polished", f"Polished {widget['spec']['replicas']} replicas",
                             self.name)
        return None
