"""The HorizontalPodAutoscaler controller (`k/k pkg/controller/podautoscaler/horizontal.go`, reconcileAutoscaler).

Every HPA is reconciled every 15 s (--horizontal-pod-autoscaler-sync-period; a new one 15 s after it appears,
as upstream's fixed-interval queue adds it): read the target's scale subresource, compute a proposal per metric
from metrics-server's resource metrics (replica_calculator.py), take the largest, stabilize and rate-limit it
(horizontal_behavior.py), write the new count through the scale subresource, then the HPA's status and
conditions (AbleToScale, ScalingActive, ScalingLimited) with upstream's reasons, and events
(`SuccessfulRescale`: `New size: 4; reason: cpu resource utilization (percentage of request) above target`).

It watches only HPAs: pods and metrics are read when an HPA is synced, so a cluster without HPAs pays nothing.
"""

from __future__ import annotations

from typing import Any

import attrs

from ..errors import ApiError
from ..kinds.horizontalpodautoscaler import RESOURCE
from ..runtime import Controller, register_controller
from ..selectors import LabelSelector, parse_label_selector
from ..store import WatchEvent
from ..timeutil import format_time
from .horizontal_behavior import Memory, Recommendation, normalize, normalize_with_behavior, store_scale_event
from .horizontal_history import HistoryBook, ScaleHistory
from .horizontal_metrics import ComputeError, MetricsReader, compute_metric
from .horizontal_pods import PodIndex
from .replica_calculator import ReplicaCalculator

Obj = dict[str, Any]
SYNC_PERIOD = 15.0  # --horizontal-pod-autoscaler-sync-period
COMPONENT = "horizontal-pod-autoscaler"
# The field manager of its scale writes: kube-controller-manager's, as its user agent names it.
FIELD_MANAGER = "kube-controller-manager"


class _Status:
    """The HPA's status being rebuilt in one sync: setCondition keeps each condition's transition time unless
    its status changes."""

    def __init__(self, hpa: Obj, now: float) -> None:
        self.old = hpa.get("status") or {}
        self.conditions: list[Obj] = [dict(c) for c in self.old.get("conditions") or ()]
        self.now = now

    def condition(self, kind: str, status: str, reason: str, message: str) -> None:
        found = next((c for c in self.conditions if c.get("type") == kind), None)
        if found is None:
            found = {"type": kind}
            self.conditions.append(found)
        if found.get("status") != status:
            found["lastTransitionTime"] = format_time(self.now)
        found.update(status=status, reason=reason, message=message)

    def build(self, current: int, desired: int | None, metrics: list[Obj] | None, rescaled: bool) -> Obj:
        """setStatus (desired given) or setCurrentReplicasAndMetricsInStatus (desired None: kept as it was)."""
        out: Obj = {}
        last = format_time(self.now) if rescaled else self.old.get("lastScaleTime")
        if last:
            out["lastScaleTime"] = last
        out["currentReplicas"] = current
        out["desiredReplicas"] = self.old.get("desiredReplicas", 0) if desired is None else desired
        if metrics is not None:
            out["currentMetrics"] = metrics
        if self.conditions:
            out["conditions"] = self.conditions
        return out


@attrs.define
class _Target:
    info: Any
    name: str
    replicas: int
    selector: str


@register_controller
class HorizontalController(Controller):
    name = "horizontal-pod-autoscaler"
    resources = (RESOURCE,)

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self.calculator = ReplicaCalculator()
        self.downscale_window = 300.0  # --horizontal-pod-autoscaler-downscale-stabilization
        self.memory: dict[str, Memory] = {}
        # Each synced HPA's pod selector, to find pods two HPAs control (hpaSelectors).
        self.selectors: dict[str, dict[str, LabelSelector]] = {}
        self.history = HistoryBook()  # each HPA's last syncs, for the dashboard's chart
        self.pods = PodIndex(self.store)

    def start(self) -> None:
        for hpa in self.store.iter(RESOURCE):
            self.queue.add_after(_key(hpa), SYNC_PERIOD)

    def on_event(self, event: WatchEvent) -> None:
        key = _key(event.object)
        if event.type == "DELETED":
            self.queue.add(key)  # forget it now
        elif event.type == "ADDED":
            self.queue.add_after(key, SYNC_PERIOD)

    def object_for_key(self, key: str) -> Obj | None:
        namespace, name = key.split("/", 1)
        return self.store.get(RESOURCE, namespace, name)

    def reconcile(self, key: str) -> float | None:
        namespace, name = key.split("/", 1)
        hpa = self.store.get(RESOURCE, namespace, name)
        if hpa is None:
            self.memory.pop(key, None)
            self.selectors.get(namespace, {}).pop(key, None)
            self.history.forget(key)
            return None
        self._sync(key, hpa)
        self.history.record(key, self.clock.now(), self.store.get(RESOURCE, namespace, name) or hpa)
        return SYNC_PERIOD

    def scale_history(self, namespace: str, name: str) -> ScaleHistory | None:
        """The HPA's last syncs (horizontal_history.py); None before its first."""
        hpa = self.store.get(RESOURCE, namespace, name)
        return self.history.get(f"{namespace}/{name}", hpa) if hpa is not None else None

    # --- one sync ------------------------------------------------------------------------------------------

    def _event(self, hpa: Obj, kind: str, reason: str, message: str) -> None:
        self.recorder.record(hpa, kind, reason, message, COMPONENT)

    def _write_status(self, hpa: Obj, status: Obj) -> None:
        """updateStatusIfNeeded."""
        if status != hpa.get("status"):
            self.api.update_status({**hpa, "status": status})

    def _sync(self, key: str, hpa: Obj) -> None:
        now = self.clock.now()
        spec = hpa.get("spec") or {}
        state = _Status(hpa, now)
        try:
            target = self._scale_of(hpa)
        except ApiError as exc:
            self._event(hpa, "Warning", "FailedGetScale", exc.message)
            state.condition("AbleToScale", "False", "FailedGetScale",
                            f"the HPA controller was unable to get the target's current scale: {exc.message}")
            self._write_status(hpa, state.build(int((hpa.get("status") or {}).get("currentReplicas", 0)), None,
                                                None, False))
            return
        state.condition("AbleToScale", "True", "SucceededGetScale",
                        "the HPA controller was able to get the target's current scale")
        current = target.replicas
        memory = self.memory.setdefault(key, Memory())
        if not memory.recommendations:  # recordInitialRecommendation
            memory.recommendations.append(Recommendation(current, now))
        minimum = int(spec.get("minReplicas") or 1) if spec.get("minReplicas") is not None else 1
        maximum = int(spec.get("maxReplicas") or 0)
        statuses: list[Obj] | None = None
        reason = ""
        if current == 0 and minimum != 0:
            desired, rescale = 0, False
            state.condition("ScalingActive", "False", "ScalingDisabled",
                            "scaling is disabled since the replica count of the target is zero")
        elif current > maximum:
            reason, desired, rescale = "Current number of replicas above Spec.MaxReplicas", maximum, True
        elif current < minimum:
            reason, desired, rescale = "Current number of replicas below Spec.MinReplicas", minimum, True
        else:
            try:
                proposed, metric, statuses = self._metrics_proposal(key, hpa, target, state, now)
            except ComputeError as exc:
                self._write_status(hpa, state.build(current, None, exc.statuses, False))
                self._event(hpa, "Warning", "FailedComputeMetricsReplicas", str(exc))
                return
            desired = max(proposed, 0)
            if desired > current:
                reason = f"{metric} above target"
            elif desired < current:
                reason = "All metrics below target"
            behavior = spec.get("behavior")
            if behavior is None:
                result = normalize(memory, current, desired, minimum, maximum, now, self.downscale_window)
            else:
                result = normalize_with_behavior(memory, behavior, current, desired, minimum, maximum, now,
                                                 self.downscale_window)
            state.condition("AbleToScale", "True", *result.able_to_scale)
            state.condition("ScalingLimited", "True" if result.limited else "False", *result.limit)
            desired = result.replicas
            rescale = desired != current
        if rescale:
            try:
                self.api.scale(target.info, target.name, hpa["metadata"]["namespace"], desired,
                               manager=FIELD_MANAGER)
            except ApiError as exc:
                self._event(hpa, "Warning", "FailedRescale",
                            f"New size: {desired}; reason: {reason}; error: {exc.message}")
                state.condition("AbleToScale", "False", "FailedUpdateScale",
                                f"the HPA controller was unable to update the target scale: {exc.message}")
                self._write_status(hpa, state.build(current, None, statuses, False))
                return
            state.condition("AbleToScale", "True", "SucceededRescale",
                            f"the HPA controller was able to update the target scale to {desired}")
            self._event(hpa, "Normal", "SuccessfulRescale", f"New size: {desired}; reason: {reason}")
            store_scale_event(memory, spec.get("behavior"), current, desired, now)
        else:
            desired = current
        self._write_status(hpa, state.build(current, desired, statuses, rescale))

    def _scale_of(self, hpa: Obj) -> _Target:
        """The target's scale subresource, found by its apiVersion and kind (the REST mapper's lookup)."""
        ref = (hpa.get("spec") or {}).get("scaleTargetRef") or {}
        api_version, kind = str(ref.get("apiVersion") or ""), str(ref.get("kind") or "")
        if api_version.count("/") > 1:
            raise ApiError(400, "BadRequest", f"unexpected GroupVersion string: {api_version}")
        group = api_version.split("/")[0] if "/" in api_version else ""
        info = self.ctx.registry.by_kind(kind)
        if info is None or info.group != group:
            raise ApiError(404, "NotFound", f'no matches for kind "{kind}" in group "{group}"')
        scale = self.api.get_scale(info, str(ref.get("name") or ""), hpa["metadata"]["namespace"])
        return _Target(info, str(ref.get("name")), int(scale["spec"].get("replicas") or 0),
                       str(scale["status"].get("selector") or ""))

    def _metrics_proposal(self, key: str, hpa: Obj, target: _Target, state: _Status, now: float
                          ) -> tuple[int, str, list[Obj]]:
        """computeReplicasForMetrics: the largest proposal of the metrics that could be computed."""
        namespace = hpa["metadata"]["namespace"]
        selector = self._selector(key, hpa, target, state)
        pods = self.pods.select(namespace, selector)
        self._check_ambiguous(key, hpa, target, pods, state)
        specs = list((hpa.get("spec") or {}).get("metrics") or ())
        reader = MetricsReader(self.ctx.metrics, namespace, pods)
        statuses: list[Obj] = [{"type": ""} for _ in specs]
        replicas, metric, invalid = 0, "", 0
        first: tuple[str, str, str] | None = None
        for i, spec in enumerate(specs):
            try:
                proposal, name, statuses[i] = compute_metric(self.calculator, reader, spec, target.replicas, now)
            except ComputeError as exc:
                # getUnableComputeReplicaCountCondition: an event per failing metric, the first one's condition.
                self._event(hpa, "Warning", exc.reason, exc.detail)
                if first is None:
                    first = (exc.reason, f"the HPA was unable to compute the replica count: {exc.detail}", str(exc))
                invalid += 1
                continue
            if replicas == 0 or proposal > replicas:
                replicas, metric = proposal, name
        if first is not None and (invalid >= len(specs) or replicas < target.replicas):
            state.condition("ScalingActive", "False", first[0], first[1])
            raise ComputeError("", "", f"invalid metrics ({invalid} invalid out of {len(specs)}), first error is: "
                                       f"{first[2]}", statuses)
        state.condition("ScalingActive", "True", "ValidMetricFound",
                        f"the HPA was able to successfully calculate a replica count from {metric}")
        return replicas, metric, statuses

    def _selector(self, key: str, hpa: Obj, target: _Target, state: _Status) -> LabelSelector:
        """validateAndParseSelector."""
        if not target.selector:
            self._event(hpa, "Warning", "SelectorRequired", "selector is required")
            state.condition("ScalingActive", "False", "InvalidSelector", "the HPA target's scale is missing a selector")
            raise ComputeError("", "", "selector is required", None)
        try:
            selector = parse_label_selector(target.selector)
        except ApiError as exc:
            message = f"couldn't convert selector into a corresponding internal selector object: {exc.message}"
            self._event(hpa, "Warning", "InvalidSelector", message)
            state.condition("ScalingActive", "False", "InvalidSelector", message)
            raise ComputeError("", "", message, None) from None
        self.selectors.setdefault(hpa["metadata"]["namespace"], {})[key] = selector
        return selector

    def _check_ambiguous(self, key: str, hpa: Obj, target: _Target, pods: list[Obj], state: _Status) -> None:
        """Pods that another HPA's selector also picks: neither may scale them."""
        namespace = hpa["metadata"]["namespace"]
        others = {k: s for k, s in self.selectors.get(namespace, {}).items() if k != key}
        if not others or not pods:
            return
        mine = {id(p) for p in pods}
        sharing = {k for k, s in others.items() if any(id(p) in mine for p in self.pods.select(namespace, s))}
        if not sharing:
            return
        names = " ".join(sorted({key, *sharing}))
        message = f"pods by selector {target.selector} are controlled by multiple HPAs: [{names}]"
        self._event(hpa, "Warning", "AmbiguousSelector", message)
        state.condition("ScalingActive", "False", "AmbiguousSelector", message)
        raise ComputeError("", "", message, None)


def _key(obj: Obj) -> str:
    meta = obj["metadata"]
    return f"{meta.get('namespace', '')}/{meta['name']}"
