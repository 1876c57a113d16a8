"""The resources a real cluster serves beyond the kinds k9py knows: custom resources (`:crd`, `:certificates`, Argo
CD's `:applications`) and built-ins the engine does not simulate (`:apiservices`, `:csr`, `:rc`), as k9s offers
every resource discovery lists.

Discovery is the aggregated kind (apidiscovery.k8s.io/v2, served since Kubernetes 1.30; one request each for
`/api` and `/apis`, as kubectl's cached discovery reads it), with the per-group documents as the fallback for an
older server. Such a kind's rows are the API server's own printing: its list and watch ask for Tables
(`as=Table;g=meta.k8s.io;v=v1` with `includeObject=Object`, as `kubectl get` prints a CRD's additionalPrinterColumns),
so their columns are the server's; only AGE is worked out again from the object, because a Table's cell is the age
at the moment it was served.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import attrs

from engine.kinds import REGISTRY, KindInfo
from engine.printers.duration import age

from .kube_client import KubeClient, KubeError

Obj = dict[str, Any]
AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
TABLE = "application/json;as=Table;g=meta.k8s.io;v=v1,application/json"
log = logging.getLogger(__name__)


@attrs.frozen
class Column:
    """A Table's column: kubectl prints its name upper-cased; priority 0 by default, the rest with `-o wide`."""

    name: str
    priority: int


@attrs.define
class ServerPrinting:
    """What the API server printed for one discovered kind: its columns, and each object's cells (by uid)."""

    columns: list[Column] = attrs.field(factory=list)
    cells: dict[str, list[Any]] = attrs.field(factory=dict)

    def learn_columns(self, table: Obj) -> list[Column]:
        """The Table's columns; those known so far when it carries none (a watch's later events may not)."""
        definitions = table.get("columnDefinitions") or ()
        if definitions:
            self.columns = [Column(str(d.get("name", "")), int(d.get("priority") or 0)) for d in definitions]
        return self.columns

    def learn(self, table: Obj) -> list[Obj]:
        """The objects of a Table (a list page, or a watch event's one row), their cells and columns kept."""
        self.learn_columns(table)
        objects = []
        for row in table.get("rows") or ():
            obj = row.get("object") or {}
            uid = (obj.get("metadata") or {}).get("uid", "")
            self.cells[uid] = list(row.get("cells") or ())
            objects.append(obj)
        return objects

    def header(self, wide: bool) -> list[str]:
        return [c.name.upper() for c in self.columns if wide or c.priority == 0] or ["NAME", "AGE"]

    def row(self, obj: Obj, now: float, wide: bool) -> list[str]:
        meta = obj.get("metadata") or {}
        cells = self.cells.get(meta.get("uid", ""))
        if not self.columns or cells is None:
            return [str(meta.get("name", "")), age(meta.get("creationTimestamp"), now)]
        out = []
        for column, cell in zip(self.columns, cells, strict=False):
            if wide or column.priority == 0:
                out.append(age(meta.get("creationTimestamp"), now) if column.name == "Age" else _cell(cell))
        return out


def _cell(value: Any) -> str:
    """A cell as kubectl prints it: nothing for null, words as they are, numbers and booleans as JSON has them."""
    if value is None:  # a CRD column whose path the object lacks: kubectl leaves the cell empty
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _kind_info(group: str, version: str, resource: Obj, namespaced: bool) -> KindInfo:
    return KindInfo(
        kind=str(resource.get("kind") or (resource.get("responseKind") or {}).get("kind") or ""),
        group=group,
        version=version,
        plural=str(resource.get("resource") or resource.get("name") or ""),
        namespaced=namespaced,
        short_names=tuple(resource.get("shortNames") or ()),
        singular=str(resource.get("singularResource") or resource.get("singularName") or ""),
    )


def _listable(resource: Obj) -> bool:
    name = str(resource.get("resource") or resource.get("name") or "")
    return "/" not in name and {"list", "watch"} <= set(resource.get("verbs") or ())


async def _aggregated(client: KubeClient) -> list[KindInfo] | None:
    """Every served kind from the aggregated documents; None when the server does not serve them."""
    found: list[KindInfo] = []
    for root in ("/api", "/apis"):
        try:
            doc = await client.request("GET", root, accept=AGGREGATED)
        except KubeError as exc:
            if exc.code == 406:  # a server that offers only the per-group documents
                return None
            raise
        if doc.get("kind") != "APIGroupDiscoveryList":
            return None
        for group in doc.get("items") or ():
            name = str((group.get("metadata") or {}).get("name") or "")
            versions = group.get("versions") or ()
            if not versions:
                continue
            preferred = versions[0]  # listed in the server's order of preference
            for resource in preferred.get("resources") or ():
                if _listable(resource):
                    kind = (resource.get("responseKind") or {}).get("kind") or ""
                    info = _kind_info(name, str(preferred.get("version")), {**resource, "kind": kind},
                                      resource.get("scope") == "Namespaced")
                    found.append(info)
    return found


async def _per_group(client: KubeClient) -> list[KindInfo]:
    """Every served kind from the per-group documents (servers before aggregated discovery)."""
    found: list[KindInfo] = []
    roots = [("", str(v)) for v in (await client.request("GET", "/api")).get("versions") or ()]
    for group in (await client.request("GET", "/apis")).get("groups") or ():
        preferred = (group.get("preferredVersion") or {}).get("version")
        if preferred:
            roots.append((str(group.get("name") or ""), str(preferred)))
    for group, version in roots:
        path = f"/apis/{group}/{version}" if group else f"/api/{version}"
        try:
            doc = await client.request("GET", path)
        except KubeError as exc:  # an aggregated API that is down: its kinds are not offered
            log.info("discovery of %s: %s", path, exc.message)
            continue
        for resource in doc.get("resources") or ():
            if _listable(resource):
                found.append(_kind_info(group, version, resource, bool(resource.get("namespaced"))))
    return found


async def discover(client: KubeClient) -> list[KindInfo]:
    """The listable kinds the server offers that k9py has no kind of its own for (by kind name: the events.k8s.io
    Events are the core ones k9py shows). [] when discovery cannot be read: the known kinds still work."""
    try:
        served = await _aggregated(client)
        if served is None:
            served = await _per_group(client)
    except KubeError as exc:
        log.info("discovery: %s", exc.message)
        return []
    known = {info.kind for info in REGISTRY.kinds()}
    out: dict[str, KindInfo] = {}
    for info in served:
        if info.kind and info.kind not in known and info.kind not in out:
            out[info.kind] = info
    return list(out.values())


def lookup(kinds: list[KindInfo], name: str) -> KindInfo | None:
    """The discovered kind `name` means, as kubectl resolves it: plural, singular, short name or kind, any case,
    optionally qualified by its group (`certificates.cert-manager.io`)."""
    wanted = name.strip().lower()
    matches: list[Callable[[KindInfo], bool]] = [
        lambda i: wanted in (i.plural, i.singular_name, i.kind.lower(), *i.short_names),
        lambda i: wanted in (f"{i.plural}.{i.group}", f"{i.singular_name}.{i.group}", f"{i.kind.lower()}.{i.group}"),
    ]
    for match in matches:
        found = next((info for info in kinds if match(info)), None)
        if found is not None:
            return found
    return None
