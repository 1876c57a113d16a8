"""How a Service's EndpointSlices change to hold its endpoints (`staging/src/k8s.io/endpointslice/reconciler.go`),
and the writes that carry a plan out (finalize), shared with the mirroring controller.

Per address type and per set of ports: endpoints already in a slice stay in it (updated in place when their
conditions change); leftovers first fill the slices that are being updated anyway (fullest first), then the
unchanged slice they fit in most snugly, then new slices of at most 100. A Service with no endpoints keeps one
empty placeholder slice. Creates are turned into updates of slices about to be deleted (recycling names).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from ..api import Api
from ..errors import ApiError
from ..timeutil import format_time
from .endpointslice_util import (
    TRIGGER_TIME,
    EndpointKey,
    PortKey,
    endpoint_key,
    endpoints_of,
    new_slice,
    owned_by,
    owner_ref,
    port_key,
    same_beyond_hash,
    service_labels,
    slice_prefix,
)

Obj = dict[str, Any]
Desired = dict[PortKey, tuple[list[Obj], dict[EndpointKey, Obj]]]  # ports, then endpoints by identity
MAX_ENDPOINTS_PER_SLICE = 100  # kube-controller-manager's --max-endpoints-per-slice default


@attrs.define
class Plan:
    create: list[Obj] = attrs.Factory(list)
    update: list[Obj] = attrs.Factory(list)
    delete: list[Obj] = attrs.Factory(list)

    def __len__(self) -> int:
        return len(self.create) + len(self.update) + len(self.delete)


def _name(eps: Obj) -> str:
    return eps["metadata"].get("name", "")


def _with(eps: Obj, endpoints: list[Obj] | None = None, labels: dict[str, str] | None = None) -> Obj:
    """A copy to change (DeepCopy before a change): what the reconciler and finalize change is copied (the
    metadata, the list of endpoints); the endpoints themselves are never changed in place, and the API copies
    what it stores."""
    new = {**eps, "metadata": dict(eps["metadata"])}
    if endpoints is not None:
        new["endpoints"] = endpoints
    elif isinstance(eps.get("endpoints"), list):
        new["endpoints"] = list(eps["endpoints"])
    if labels is not None:
        new["metadata"]["labels"] = labels
    return new


def _pop_first(desired: dict[EndpointKey, Obj]) -> Obj:
    return desired.pop(next(iter(desired)))


def _slice_to_fill(slices: list[Obj], count: int, limit: int) -> Obj | None:
    """getSliceToFill: the slice that ends up closest to full once `count` endpoints are added."""
    closest, best = limit, None
    for eps in slices:
        diff = limit - (count + len(eps.get("endpoints") or ()))  # validation keeps every endpoint an object
        if 0 <= diff < closest:
            closest, best = diff, eps
            if diff == 0:
                break
    return best


def _by_port_mapping(svc: Obj, existing: list[Obj], desired: dict[EndpointKey, Obj], ports: list[Obj],
                     address_type: str, controller: str, limit: int, trusted: set[str] | frozenset[str]) -> Plan:
    """reconcileByPortMapping. Slices named in `trusted` are known to be unchanged (their endpoints all desired as
    they are, their labels right, none of their endpoints in `desired`): they are not walked again."""
    by_name: dict[str, Obj] = {}
    unchanged: list[str] = []
    to_update: list[str] = []
    plan = Plan()
    # 1. Keep what is still desired where it is; note what changed.
    for eps in existing:
        name = _name(eps)
        by_name[name] = eps
        if name in trusted:
            unchanged.append(name)
            continue
        current = endpoints_of(eps)
        kept: list[Obj] = []
        updated = False
        for endpoint in current:
            got = desired.pop(endpoint_key(endpoint), None)
            if got is not None:
                kept.append(got)
                # Equal dicts are the common case, and compared in C.
                updated = updated or (got != endpoint and not same_beyond_hash(got, endpoint))
        labels, labels_changed = service_labels(eps["metadata"].get("labels"), svc, controller)
        if updated or len(current) != len(kept):
            if not kept:
                plan.delete.append(eps)
            else:
                by_name[name] = _with(eps, kept, labels)
                to_update.append(name)
        elif labels_changed:
            by_name[name] = _with(eps, labels=labels)
            to_update.append(name)
        else:
            unchanged.append(name)
    # 2. Fill the slices being updated anyway, fullest first.
    if desired and to_update:
        for eps in sorted((by_name[n] for n in to_update), key=lambda s: -len(endpoints_of(s))):
            while desired and len(eps["endpoints"]) < limit:
                eps["endpoints"].append(_pop_first(desired))
    # 3. Then the unchanged slice they fit best, then new slices.
    while desired:
        fill = None
        if len(desired) < limit and unchanged:
            fill = _slice_to_fill([by_name[n] for n in unchanged], len(desired), limit)
        if fill is None:
            labels, _ = service_labels(None, svc, controller)
            fill = new_slice(svc["metadata"].get("namespace", ""), slice_prefix(svc["metadata"]["name"]),
                             _owner(svc), labels, address_type, ports)
        else:
            fill = by_name[_name(fill)] = _with(fill, endpoints_of(fill))
        while desired and len(fill["endpoints"]) < limit:
            fill["endpoints"].append(_pop_first(desired))
        if _name(fill):
            to_update.append(_name(fill))
            unchanged.remove(_name(fill))
        else:
            plan.create.append(fill)
    plan.update = [by_name[n] for n in to_update]
    return plan


def _owner(svc: Obj) -> Obj:
    return owner_ref(svc, "Service")


def _is_placeholder_of(eps: Obj, placeholder: Obj) -> bool:
    """placeholderSliceCompare: namespace, labels and owner references, then the slice itself (nil and empty
    lists alike)."""
    meta, want = eps["metadata"], placeholder["metadata"]
    return (meta.get("namespace") == want.get("namespace") and (meta.get("labels") or {}) == want["labels"]
            and (meta.get("ownerReferences") or []) == want["ownerReferences"]
            and eps.get("addressType") == placeholder["addressType"]
            and not eps.get("endpoints") and not eps.get("ports"))


def plan_address_type(svc: Obj, desired: Desired, existing: list[Obj], address_type: str, controller: str,
                      limit: int = MAX_ENDPOINTS_PER_SLICE, trusted: set[str] | frozenset[str] = frozenset()) -> Plan:
    """reconcileByAddressType: `existing` are the Service's slices of this address type, `desired` its endpoints
    grouped by ports (with `trusted`, see _by_port_mapping: all but the endpoints those slices hold)."""
    plan = Plan()
    by_ports: dict[PortKey, list[Obj]] = {}
    for eps in existing:
        if owned_by(eps, svc, "Service"):
            by_ports.setdefault(port_key(eps.get("ports")), []).append(eps)
        else:
            plan.delete.append(eps)  # a slice left by an older Service of the same name
    for key, (ports, endpoints) in desired.items():
        part = _by_port_mapping(svc, by_ports.get(key, []), endpoints, ports, address_type, controller, limit,
                                trusted)
        plan.create += part.create
        plan.update += part.update
        plan.delete += part.delete
    for key, slices in by_ports.items():
        if key not in desired:
            plan.delete += slices
    if len(existing) == len(plan.delete) and not plan.create:
        labels, _ = service_labels(None, svc, controller)
        placeholder = new_slice(svc["metadata"].get("namespace", ""), slice_prefix(svc["metadata"]["name"]),
                                _owner(svc), labels, address_type, [])
        if len(plan.delete) == 1 and _is_placeholder_of(plan.delete[0], placeholder):
            plan.delete.clear()  # it is already there: keep it rather than delete and recreate it
        else:
            plan.create.append(placeholder)
    return plan


def recycle(plan: Plan, owner: Obj, owner_kind: str) -> None:
    """finalize's first step: a slice to create takes the name of one to delete (same owner and address type)."""
    i = 0
    while i < len(plan.delete) and plan.create:
        doomed, fresh = plan.delete[i], plan.create[-1]
        if doomed.get("addressType") == fresh.get("addressType") and owned_by(doomed, owner, owner_kind):
            fresh["metadata"]["name"] = _name(doomed)
            plan.update.append(plan.create.pop())
            del plan.delete[i]
        else:
            i += 1


def stamp_trigger_time(eps: Obj, trigger: float | None) -> None:
    """addTriggerTimeAnnotation."""
    annotations = dict(eps["metadata"].get("annotations") or {})
    if trigger is not None:
        annotations[TRIGGER_TIME] = format_time(trigger)
    else:
        annotations.pop(TRIGGER_TIME, None)
    if annotations:
        eps["metadata"]["annotations"] = annotations
    else:
        eps["metadata"].pop("annotations", None)


class SliceWriter:
    """Carries out a plan through the API: creates (unless the owner is being deleted), updates, deletes.

    Created slices are named by the API server from their generateName, as upstream's; the suffixes are drawn
    from a random source of the controller's own (`Api.own_random`), so that slices appearing for every Service
    do not shift the cluster's seeded sequence of pod names and uids.
    """

    def __init__(self, api: Api, controller: str) -> None:
        self.api = api
        self.controller = controller
        self._created = 0
        self.writing = False  # True while this writer's own changes reach the watch
        self.skipped = False  # the last finalize left creates undone without an error (see there)

    def _call(self, call: Callable[[], object]) -> None:
        self.writing = True
        try:
            call()
        finally:
            self.writing = False

    def finalize(self, plan: Plan, owner: Obj, owner_kind: str, *, stamp: bool = False,
                 trigger: float | None = None) -> str | None:
        """Writes the plan; with `stamp`, created and updated slices carry `trigger` as their last-change trigger
        time (none: the annotation goes). Returns
        upstream's error text for the first write that failed, None when all went through; a namespace being
        terminated ends the writes quietly, as every create would fail the same way."""
        recycle(plan, owner, owner_kind)
        namespace, name = owner["metadata"].get("namespace", ""), owner["metadata"]["name"]
        what = f"{owner_kind} {namespace}/{name}"
        self.skipped = bool(plan.create) and bool(owner["metadata"].get("deletionTimestamp"))
        if not owner["metadata"].get("deletionTimestamp"):
            for eps in plan.create:
                if stamp:
                    stamp_trigger_time(eps, trigger)
                self._created += 1
                try:
                    with self.api.own_random(f"{self.controller}/{self._created}"):
                        self._call(lambda eps=eps: self.api.create(eps, trusted=True))
                except ApiError as exc:
                    causes = (exc.status.get("details") or {}).get("causes") or ()
                    if any(c.get("reason") == "NamespaceTerminating" for c in causes):
                        self.skipped = True
                        return None
                    return f"failed to create EndpointSlice for {what}: {exc.message}"
        for eps in plan.update:
            if stamp:
                stamp_trigger_time(eps, trigger)
            try:
                self._call(lambda eps=eps: self.api.update(eps, trusted=True))
            except ApiError as exc:
                return f"failed to update {_name(eps)} EndpointSlice for {what}: {exc.message}"
        for eps in plan.delete:
            try:
                self._call(lambda eps=eps: self.api.delete("endpointslices.discovery.k8s.io", _name(eps), namespace))
            except ApiError as exc:
                if exc.code != 404:
                    return f"failed to delete {_name(eps)} EndpointSlice for {what}: {exc.message}"
        return None
