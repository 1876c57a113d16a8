"""One registry of kinds. Everything the engine knows about a kind is in its `KindInfo`."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import attrs

from ..errors import ApiError
from ..quoting import go_quote

Obj = dict[str, Any]
FieldErrors = list[tuple[str, str]]
Row = Callable[[Obj, float], list[str]]
# The API server's registry storage for kinds that allocate from shared pools (Service cluster IPs and node
# ports): called with the Api (its store is what is allocated), the new object and the stored one on update.
Allocate = Callable[[Any, Obj, Obj | None], FieldErrors]


class DescribeContext(Protocol):
    """What `kubectl describe` may read besides the object: narrow on purpose, so printing never reaches into
    the cluster's machinery."""

    def now(self) -> float: ...
    def events(self, obj: Obj) -> list[Obj]: ...  # about `obj`, oldest first
    def dependents(self, obj: Obj, resource: str) -> list[Obj]: ...  # objects of `resource` that `obj` owns
    def get(self, resource: str, namespace: str, name: str) -> Obj | None: ...
    def list(self, resource: str, namespace: str | None = None) -> Iterable[Obj]: ...
    def explain_pod(self, pod: Obj) -> str | None: ...  # why the scheduler has not placed a pending pod


Describe = Callable[[Obj, DescribeContext], str]
# What `k9py check` reports about an object besides its health: (reason, message) pairs, in kubectl's words.
Problems = Callable[[Obj], list[tuple[str, str]]]


@attrs.frozen
class Health:
    """Argo CD's health vocabulary: Healthy, Progressing, Degraded, Suspended, Missing, Unknown."""

    status: str
    message: str = ""


def _no_defaults(obj: Obj) -> None:
    return None


def _no_validation(obj: Obj, old: Obj | None) -> FieldErrors:
    return []


def _always_healthy(obj: Obj) -> Health:
    return Health("Healthy")


def _no_problems(obj: Obj) -> list[tuple[str, str]]:
    return []


@attrs.frozen
class KindInfo:
    kind: str
    group: str
    version: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    singular: str = ""
    # k9s's own names for the kind beyond kubectl's short names (`:dp`, `:sec`): the dashboard accepts them,
    # the API (kubectl's vocabulary) does not.
    console_aliases: tuple[str, ...] = ()
    # Mutates a new or updated object to fill in what the API server defaults.
    default: Callable[[Obj], None] = _no_defaults
    # Returns (field path, message) pairs; `old` is the stored object on update, None on create.
    validate: Callable[[Obj, Obj | None], FieldErrors] = _no_validation
    # What decoding the request body does before defaulting (Secret: stringData folded into data); may raise
    # the API server's 400 for a body it cannot decode. None for kinds that decode as written.
    decode: Callable[[Obj], None] | None = None
    # PrepareForUpdate: fills in what a client may leave out on update because the server set it (a Service's
    # clusterIP and nodePorts), before validation compares new with old.
    prepare_update: Callable[[Obj, Obj], None] | None = None
    # Runs after validation; returns field errors for values that cannot be allocated.
    allocate: Allocate | None = None
    # The registry's Delete check: raises the API server's refusal for an object that may not go (a system
    # PriorityClass). None for kinds whose objects may all be deleted.
    before_delete: Callable[[Obj], None] | None = None
    has_status: bool = True
    # The kubectl columns and a row printer; `wide_*` are the full `-o wide` columns and row (empty: same).
    columns: tuple[str, ...] = ("NAME", "AGE")
    row: Row | None = None
    wide_columns: tuple[str, ...] = ()
    wide_row: Row | None = None
    # `kubectl describe`; None: the generic layout (metadata, spec and status fields, then events).
    describe: Describe | None = None
    health: Callable[[Obj], Health] = _always_healthy
    problems: Problems = _no_problems
    # Name validation: "subdomain" (most kinds), "label" (namespaces, Services, StatefulSets) or "path" (RBAC, PDBs).
    name_rule: str = "subdomain"
    # Capabilities: what the API, `kubectl rollout` and the dashboard's keys offer for the kind.
    scalable: bool = False  # a scale subresource on spec.replicas (`kubectl scale`, the dashboard's `s`)
    restartable: bool = False  # `kubectl rollout restart` (stamps the pod template; the dashboard's `r`)
    rollout: bool = False  # revisions: `kubectl rollout status/history/undo`, the dashboard's rollout panel
    owns_pods: bool = False  # controls pods through spec.selector: the dashboard's enter shows them
    # Controllers adopt matching objects of this kind that no controller owns (the store keeps them indexed).
    adoptable: bool = False
    # Kinds whose `spec` is not what generation tracks (e.g. Namespace has spec.finalizers only).
    generation_tracks_spec: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def resource(self) -> str:
        """`deployments.apps`, `pods`: the qualified resource name used in messages and as a store key."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def singular_name(self) -> str:
        return self.singular or self.kind.lower()


class Registry:
    """Looks kinds up by any name kubectl accepts: `po`, `pod`, `pods`, `Pod`, `deployments.apps`."""

    def __init__(self) -> None:
        self._by_kind: dict[str, KindInfo] = {}
        self._aliases: dict[str, KindInfo] = {}

    def register(self, info: KindInfo) -> KindInfo:
        self._by_kind[info.kind] = info
        names = {info.kind, info.plural, info.singular_name, *info.short_names}
        for name in names:
            self._aliases[name.lower()] = info
            if info.group:
                self._aliases[f"{name.lower()}.{info.group}"] = info
        return info

    def unregister(self, kind: str) -> None:
        """Forget a kind (a test's throwaway kind); the objects a running cluster stores of it stay."""
        info = self._by_kind.pop(kind)
        self._aliases = {name: found for name, found in self._aliases.items() if found is not info}

    def kinds(self) -> list[KindInfo]:
        return list(self._by_kind.values())

    def adoptable_resources(self) -> frozenset[str]:
        return frozenset(info.resource for info in self._by_kind.values() if info.adoptable)

    def by_kind(self, kind: str, api_version: str | None = None) -> KindInfo | None:
        info = self._by_kind.get(kind)
        if info is not None and api_version is not None and info.api_version != api_version:
            return None
        return info

    def lookup(self, name: str) -> KindInfo | None:
        return self._aliases.get(name.strip().lower())

    def console_lookup(self, name: str) -> KindInfo | None:
        """`lookup`, plus k9s's own aliases: what the dashboard's `:` accepts."""
        found = self.lookup(name)
        if found is not None:
            return found
        wanted = name.strip().lower()
        return next((info for info in self._by_kind.values() if wanted in info.console_aliases), None)

    def resolve(self, name: str) -> KindInfo:
        """Like `lookup`, but an unknown name raises kubectl's error with a suggestion."""
        info = self.lookup(name)
        if info is None:
            message = f"the server doesn't have a resource type {go_quote(name)}"
            close = difflib.get_close_matches(name.lower(), list(self._aliases), n=1, cutoff=0.75)
            if close:
                message += f' (did you mean "{self._aliases[close[0]].plural}"?)'
            raise ApiError(404, "NotFound", message)
        return info

    def suggest_kind(self, kind: str) -> str | None:
        """A registered Kind spelled like `kind` (for "did you mean" in manifest errors)."""
        lowered = {k.lower(): k for k in self._by_kind}
        if kind.lower() in lowered:
            return lowered[kind.lower()]
        close = difflib.get_close_matches(kind.lower(), list(lowered), n=1, cutoff=0.6)
        return lowered[close[0]] if close else None


REGISTRY = Registry()
