"""Simulated load: requests per second sent to a Service or a Deployment, spread over its ready pods.

kube-proxy sends each connection to one of a Service's usable endpoints at random, each with the same chance
(`engine/network/proxy.py`): over many requests every endpoint gets the same share. So a Service's load is split
evenly over its Ready endpoints (or, when none is Ready, its serving-but-terminating ones, kube-proxy's last
resort); a Deployment's over its ready pods. A pod behind two loaded Services serves both shares.

The split follows the endpoints as they change (a pod becoming ready, scaling, a rollout): this controller
watches EndpointSlices and pods only while some load is set, and hands each pod's requests/s to its kubelet
(`KubeletManager.set_pod_rps`), whose usage accounts start charging from that moment.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import attrs

from .. import errors, podutil
from ..network.endpoints import SERVICE_NAME_LABEL, SLICES, service_endpoints
from ..runtime import Context, Controller, ControllerManager
from ..selectors import selector_from_dict
from ..store import WatchEvent

if TYPE_CHECKING:
    from ..kubelet.manager import KubeletManager

Obj = dict[str, Any]
SERVICE = "Service"
DEPLOYMENT = "Deployment"
_KINDS = {"svc": SERVICE, "service": SERVICE, "services": SERVICE,
          "deploy": DEPLOYMENT, "deployment": DEPLOYMENT, "deployments": DEPLOYMENT,
          "deployments.apps": DEPLOYMENT, "deployment.apps": DEPLOYMENT}


@attrs.frozen
class Target:
    namespace: str
    kind: str  # Service or Deployment
    name: str

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.kind}/{self.name}"

    def __str__(self) -> str:
        return f"{'service' if self.kind == SERVICE else 'deployment'}/{self.name} in {self.namespace}"


@attrs.define
class Load:
    target: Target
    rps: float
    shares: dict[str, float] = attrs.Factory(dict)  # pod key -> requests/s it gets of this load


def parse_target(text: str, namespace: str) -> tuple[str, str | None, str]:
    """(namespace, kind or None for "a Service, else a Deployment", name) from `[NS/][KIND/]NAME`."""
    parts = text.strip().split("/")
    if len(parts) == 3:
        return parts[0], _kind(parts[1]), parts[2]
    if len(parts) == 2:
        kind = _KINDS.get(parts[0].lower())
        return (namespace, kind, parts[1]) if kind else (parts[0], None, parts[1])
    return namespace, None, parts[0]


def _kind(text: str) -> str:
    kind = _KINDS.get(text.lower())
    if kind is None:
        raise errors.bad_request(f'load goes to a Service or a Deployment, not "{text}"')
    return kind


class LoadBook(Controller):
    """The loads set, and each pod's share of them."""

    name = "load-generator"
    resources = ("pods", SLICES)

    def __init__(self, ctx: Context, kubelets: KubeletManager, manager: ControllerManager) -> None:
        super().__init__(ctx)
        self.kubelets = kubelets
        self._manager: ControllerManager | None = manager  # joined at the first load: no load, no events
        self.loads: dict[str, Load] = {}
        self._totals: dict[str, float] = {}  # pod key -> requests/s over every load
        self._deployments: dict[str, set[str]] = {}  # namespace -> the keys of the loads on its Deployments

    # --- the public side -----------------------------------------------------------------------------------

    def set(self, target: str, rps: float, namespace: str = "default") -> Load | None:
        """Send `rps` requests/s to `target` (`svc/NAME`, `deploy/NAME`, `NS/KIND/NAME`, or a bare name: its Service,
        else its Deployment) from now on; 0 stops it. Returns the load (None once stopped)."""
        if not isinstance(rps, int | float) or isinstance(rps, bool) or rps < 0 or rps != rps or rps == float("inf"):
            raise errors.bad_request(f"requests per second must be a number, 0 or more, not {rps!r}")
        resolved = self._resolve(*parse_target(target, namespace))
        if self._manager is not None and rps:
            self._manager.add(self)  # from now on it hears of pods and EndpointSlices
            self._manager = None
        load = self.loads.get(resolved.key)
        if rps == 0:
            if load is not None:
                load.rps = 0
                self._spread(load)
                del self.loads[resolved.key]
                self._deployments.get(resolved.namespace, set()).discard(resolved.key)
            return None
        if load is None:
            load = self.loads[resolved.key] = Load(resolved, float(rps))
            if resolved.kind == DEPLOYMENT:
                self._deployments.setdefault(resolved.namespace, set()).add(resolved.key)
        load.rps = float(rps)
        self._spread(load)
        return load

    def _resolve(self, namespace: str, kind: str | None, name: str) -> Target:
        if not name:
            raise errors.bad_request("load needs a Service or Deployment name")
        if kind in (None, SERVICE) and self.store.get("services", namespace, name) is not None:
            return Target(namespace, SERVICE, name)
        if kind in (None, DEPLOYMENT) and self.store.get("deployments.apps", namespace, name) is not None:
            return Target(namespace, DEPLOYMENT, name)
        if kind == SERVICE:
            raise errors.not_found("services", "", name)
        if kind == DEPLOYMENT:
            raise errors.not_found("deployments", "apps", name)
        raise errors.bad_request(f'no Service or Deployment "{name}" in namespace "{namespace}"')

    def rps_of(self, namespace: str, name: str) -> float:
        """The requests/s the pod serves now."""
        return self._totals.get(f"{namespace}/{name}", 0.0)

    # --- following the endpoints ---------------------------------------------------------------------------

    def keys_for(self, event: WatchEvent) -> Iterable[str]:
        if not self.loads:
            return ()
        meta = event.object.get("metadata") or {}
        namespace = meta.get("namespace", "")
        if event.resource == SLICES:
            service = (meta.get("labels") or {}).get(SERVICE_NAME_LABEL)
            key = f"{namespace}/{SERVICE}/{service}"
            return (key,) if key in self.loads else ()
        # A pod: the loads on Deployments whose selector picks it (it may have just become ready, or stopped being
        # ready). A Service's endpoints tell their own changes, through its EndpointSlices.
        keys = self._deployments.get(namespace)
        if not keys:
            return ()
        old = ((event.old or {}).get("metadata") or {}).get("labels")
        return [key for key in keys if self._selects(self.loads[key].target, meta.get("labels"))
                or (old is not None and self._selects(self.loads[key].target, old))]

    def _selects(self, target: Target, labels: Any) -> bool:
        deploy = self.store.get("deployments.apps", target.namespace, target.name)
        selector = ((deploy or {}).get("spec") or {}).get("selector")
        return bool(selector) and selector_from_dict(selector).matches(labels or {})

    def reconcile(self, key: str) -> float | None:
        load = self.loads.get(key)
        if load is not None:
            self._spread(load)
        return None

    def _ready_pods(self, target: Target) -> list[str]:
        if target.kind == SERVICE:
            svc = self.store.get("services", target.namespace, target.name)
            if svc is None:
                return []
            endpoints = [ep for ep in service_endpoints(self.store, svc) if ep.pod is not None]
            usable = [ep for ep in endpoints if ep.ready] or [ep for ep in endpoints if ep.serving and ep.terminating]
            return sorted({ep.pod_key for ep in usable})
        deploy = self.store.get("deployments.apps", target.namespace, target.name)
        selector = ((deploy or {}).get("spec") or {}).get("selector")
        if not selector:
            return []
        matcher = selector_from_dict(selector)
        return sorted(podutil.key_of(p) for p in self.store.list("pods", target.namespace)
                      if matcher.matches(p["metadata"].get("labels") or {}) and podutil.is_ready(p)
                      and not p["metadata"].get("deletionTimestamp"))

    def _spread(self, load: Load) -> None:
        pods = self._ready_pods(load.target) if load.rps else []
        share = load.rps / len(pods) if pods else 0.0
        before, load.shares = load.shares, {pod: share for pod in pods}
        for pod in before.keys() | load.shares.keys():
            change = load.shares.get(pod, 0.0) - before.get(pod, 0.0)
            if not change:
                continue
            total = self._totals.get(pod, 0.0) + change
            if total > 1e-9:
                self._totals[pod] = total
            else:
                total = 0.0
                self._totals.pop(pod, None)
            self.kubelets.set_pod_rps(pod, total)
