"""Content negotiation: which representation an `Accept` header asks for.

kubectl asks for alternatives in order of preference, e.g. a Table first, then plain JSON
(`application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json`),
or aggregated discovery first. Protobuf and YAML are not served: a client offering JSON too gets JSON, one that
offers only those gets 406, as from a server without them.
"""

from __future__ import annotations

import enum

TABLE_TYPE = "application/json;as=Table;v=v1;g=meta.k8s.io"
AGGREGATED_TYPE = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


class Representation(enum.Enum):
    JSON = "json"
    TABLE = "table"  # meta.k8s.io/v1 Table
    AGGREGATED = "aggregated"  # apidiscovery.k8s.io/v2 APIGroupDiscoveryList
    NONE = "none"  # nothing acceptable: 406


def _params(item: str) -> tuple[str, dict[str, str]]:
    kind, *rest = [part.strip() for part in item.split(";")]
    params = {}
    for part in rest:
        key, _, value = part.partition("=")
        params[key.strip().lower()] = value.strip()
    return kind.lower(), params


def choose(accept: str | None, *, table: bool = False, aggregated: bool = False) -> Representation:
    """The first alternative in `accept` this endpoint can answer (`table`: a list or get of a resource;
    `aggregated`: /api or /apis)."""
    if not accept:
        return Representation.JSON
    for item in accept.split(","):
        kind, params = _params(item)
        if kind not in ("application/json", "application/*", "*/*"):
            continue
        wanted = params.get("as")
        if wanted is None:
            return Representation.JSON
        if wanted == "Table" and table and params.get("g") == "meta.k8s.io" and params.get("v") == "v1":
            return Representation.TABLE
        if (wanted == "APIGroupDiscoveryList" and aggregated and params.get("g") == "apidiscovery.k8s.io"
                and params.get("v") == "v2"):
            return Representation.AGGREGATED
    return Representation.NONE
