"""`k9py check`'s network warnings: traffic the folder's Services, Ingresses and NetworkPolicies will not carry.

- a Service whose selector matches no pod, or whose targetPort no selected pod offers (`services.py`);
- an Ingress whose backend Service or port does not exist (`ingresses.py`);
- a NetworkPolicy that cuts pods off from all traffic in a direction (`policies.py`).

Each is a warning placed at the line of the field to fix. They are judged once the cluster has settled, against
the folder's pod templates and the live pods (`pods.py`), so nothing is built when the folder declares none of
these kinds. An object whose `check.k9py.io/ignore` annotation lists a warning's reason (comma-separated) does
not get that warning: an intended default deny can say so, as kube-linter's `ignore-check.kube-linter.io/...`
annotations do.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..kinds import REGISTRY
from ..manifests.loader import field_position
from ..manifests.source import InventoryEntry, ObjKey
from ..network.policy import RESOURCE as POLICIES
from ..store import Store
from .finding import IGNORE_ANNOTATION, Finding
from .ingresses import ingress_findings
from .pods import PodIndex
from .policies import policy_findings
from .services import service_findings

Obj = dict[str, Any]
NETWORK_KINDS = frozenset({"Service", "NetworkPolicy", "Ingress"})


class _Locator:
    """Finds a field's line in the file that declares an object; each file is read at most once."""

    def __init__(self) -> None:
        self._texts: dict[str, str | None] = {}

    def _text(self, file: str) -> str | None:
        if file not in self._texts:
            try:
                self._texts[file] = Path(file).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                self._texts[file] = None  # changed or gone since it was applied: the document's line will do
        return self._texts[file]

    def place(self, entry: InventoryEntry, field: str) -> tuple[int, int]:
        """(line, column) of `field` in the entry's document; column 0 when only the document's line is known."""
        text = self._text(entry.file) if field and entry.item is None else None
        position = field_position(text, entry.index, field) if text is not None else None
        return position or (entry.line, 0)


def _ignored(obj: Obj, reason: str) -> bool:
    annotations = obj["metadata"].get("annotations") or {}
    listed = str(annotations.get(IGNORE_ANNOTATION) or "")
    return reason in {part.strip() for part in listed.split(",")}


def _live(store: Store, key: ObjKey) -> Obj | None:
    kind, namespace, name = key
    info = REGISTRY.by_kind(kind)
    return store.get(info.resource, namespace, name) if info is not None else None


def network_warnings(store: Store, entries: Mapping[ObjKey, InventoryEntry]) -> list[Obj]:
    """The warnings for the declared objects (`entries`: what the folder applied, by key), as `k9py check`
    problems with the file, line and column to fix."""
    keys = [key for key in entries if key[0] in NETWORK_KINDS]
    if not keys:
        return []
    index = PodIndex([])
    if any(kind != "Ingress" for kind, _, _ in keys):  # Ingresses look at Services only, never at pods
        namespaces = {namespace for _, namespace, _ in keys}
        index = PodIndex.build(store, (obj for key in entries if (obj := _live(store, key)) is not None), namespaces)
    findings: list[Finding] = []
    policies: dict[tuple[str, str], Obj | None] = {}
    for key in keys:
        live = _live(store, key)
        if live is None:
            continue  # refused: its manifest error says why
        if key[0] == "Service":
            findings += service_findings(live, entries[key].declared, index)
        elif key[0] == "Ingress":
            findings += ingress_findings(live, store)
        elif key[0] == "NetworkPolicy":
            policies[(key[1], key[2])] = entries[key].declared
    if policies:
        findings += policy_findings(store.iter(POLICIES), index, policies)
    locator = _Locator()
    out = []
    for finding in findings:
        key = (finding.kind, finding.namespace, finding.name)
        obj = _live(store, key)
        if obj is None or _ignored(obj, finding.reason):
            continue
        entry = entries[key]
        line, column = locator.place(entry, finding.field)
        out.append({"severity": "warning", "kind": finding.kind, "namespace": finding.namespace,
                    "name": finding.name, "reason": finding.reason, "message": finding.message,
                    "file": entry.file, "line": line, "column": column})
    return sorted(out, key=lambda w: (w["file"], w["line"], w["column"]))  # in reading order
