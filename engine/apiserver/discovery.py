"""Discovery documents from the kind registry: /api, /api/v1, /apis, /apis/<group>[/<version>], and the
aggregated discovery (apidiscovery.k8s.io/v2) that kubectl 1.32 asks /api and /apis for first.

Only what is served is advertised: a verb or subresource listed here has a handler behind it.
"""

from __future__ import annotations

from typing import Any

from ..kinds import KindInfo, Registry

Doc = dict[str, Any]

# Upstream's `all` category (kubectl get all): the workload kinds and services. A fact of the upstream
# resources; kept here until KindInfo can say it itself.
# By qualified resource: metrics.k8s.io's `pods` is not in it.
CATEGORY_ALL = frozenset({"pods", "services", "replicationcontrollers", "deployments.apps", "replicasets.apps",
                          "daemonsets.apps", "statefulsets.apps", "jobs.batch", "cronjobs.batch",
                          "horizontalpodautoscalers.autoscaling"})
# kube-apiserver's order of groups in /apis (its group priorities); others follow alphabetically.
GROUP_ORDER = ("apiregistration.k8s.io", "apps", "events.k8s.io", "authentication.k8s.io", "authorization.k8s.io",
               "autoscaling", "batch", "certificates.k8s.io", "networking.k8s.io", "policy",
               "rbac.authorization.k8s.io", "storage.k8s.io", "admissionregistration.k8s.io",
               "apiextensions.k8s.io", "scheduling.k8s.io", "coordination.k8s.io", "node.k8s.io",
               "discovery.k8s.io", "resource.k8s.io", "flowcontrol.apiserver.k8s.io")
ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
SUBRESOURCE_VERBS = ["get", "patch", "update"]
CONNECT_VERBS = ["create", "get"]  # exec, attach, portforward
PROXY_VERBS = ["create", "delete", "get", "patch", "update"]
# Resources served beside the registry's kinds, with their verbs: the access reviews (create-only, stored
# nowhere) and the events.k8s.io view of core Events. They are not registered kinds, so the engine neither
# stores nor validates them as such; the modules serving them add them here (`serve_beside`).
_BESIDE: dict[tuple[str, str, str], tuple[KindInfo, list[str]]] = {}


def serve_beside(info: KindInfo, resource_verbs: list[str]) -> KindInfo:
    _BESIDE[(info.group, info.version, info.plural)] = (info, resource_verbs)
    return info


def _served(registry: Registry) -> list[KindInfo]:
    return [*registry.kinds(), *(info for info, _ in _BESIDE.values())]


def verbs(info: KindInfo) -> list[str]:
    beside = _BESIDE.get((info.group, info.version, info.plural))
    if beside is not None and beside[0] is info:
        return list(beside[1])
    # A namespace is deleted one at a time (its own finalization); there is no deletecollection for it upstream.
    return [v for v in ALL_VERBS if not (info.kind == "Namespace" and v == "deletecollection")]


def subresources(info: KindInfo) -> list[tuple[str, tuple[str, str, str] | None, list[str]]]:
    """(name, response kind as (group, version, kind) or None for the kind itself, verbs), sorted by name."""
    subs: list[tuple[str, tuple[str, str, str] | None, list[str]]] = []
    if info.kind == "Pod":
        subs.append(("attach", ("", "", "PodAttachOptions"), CONNECT_VERBS))
        subs.append(("binding", ("", "", "Binding"), ["create"]))
        subs.append(("eviction", ("policy", "v1", "Eviction"), ["create"]))
        subs.append(("exec", ("", "", "PodExecOptions"), CONNECT_VERBS))
        subs.append(("log", None, ["get"]))
        subs.append(("portforward", ("", "", "PodPortForwardOptions"), CONNECT_VERBS))
        subs.append(("proxy", ("", "", "PodProxyOptions"), PROXY_VERBS))
    if info.kind == "Service":
        subs.append(("proxy", ("", "", "ServiceProxyOptions"), PROXY_VERBS))
    if info.kind == "Namespace":
        subs.append(("finalize", None, ["update"]))
    if info.scalable:
        subs.append(("scale", ("autoscaling", "v1", "Scale"), SUBRESOURCE_VERBS))
    if info.has_status:
        subs.append(("status", None, SUBRESOURCE_VERBS))
    return sorted(subs)


def group_versions(registry: Registry) -> dict[str, list[str]]:
    """Served groups ("" for the core group) and their versions, in kube-apiserver's order."""
    found: dict[str, list[str]] = {}
    for info in _served(registry):
        versions = found.setdefault(info.group, [])
        if info.version not in versions:
            versions.append(info.version)
    rank = {group: i for i, group in enumerate(GROUP_ORDER)}
    return dict(sorted(found.items(), key=lambda item: (item[0] != "", rank.get(item[0], len(rank)), item[0])))


def kinds_in(registry: Registry, group: str, version: str) -> list[KindInfo]:
    return sorted((i for i in _served(registry) if i.group == group and i.version == version), key=lambda i: i.plural)


def api_versions(server_address: str) -> Doc:
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]}


def _group_entry(group: str, versions: list[str]) -> Doc:
    listed = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"name": group, "versions": listed, "preferredVersion": listed[0]}


def api_group_list(registry: Registry) -> Doc:
    groups = [_group_entry(g, vs) for g, vs in group_versions(registry).items() if g]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(registry: Registry, group: str) -> Doc | None:
    versions = group_versions(registry).get(group)
    if not group or versions is None:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group_entry(group, versions)}


def resource_list(registry: Registry, group: str, version: str) -> Doc | None:
    infos = kinds_in(registry, group, version)
    if not infos:
        return None
    resources: list[Doc] = []
    for info in infos:
        entry: Doc = {"name": info.plural, "singularName": info.singular_name, "namespaced": info.namespaced,
                      "kind": info.kind, "verbs": verbs(info)}
        if info.short_names:
            entry["shortNames"] = list(info.short_names)
        if info.resource in CATEGORY_ALL:
            entry["categories"] = ["all"]
        resources.append(entry)
        for name, response, sub_verbs in subresources(info):
            sub: Doc = {"name": f"{info.plural}/{name}", "singularName": "", "namespaced": info.namespaced}
            if response is not None and response[0]:
                sub.update({"group": response[0], "version": response[1]})
            sub.update({"kind": response[2] if response else info.kind, "verbs": sub_verbs})
            resources.append(sub)
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": f"{group}/{version}" if group else version,
            "resources": resources}


def _aggregated_resource(info: KindInfo) -> Doc:
    entry: Doc = {"resource": info.plural, "responseKind": {"group": "", "version": "", "kind": info.kind},
                  "scope": "Namespaced" if info.namespaced else "Cluster", "singularResource": info.singular_name,
                  "verbs": verbs(info)}
    if info.short_names:
        entry["shortNames"] = list(info.short_names)
    if info.resource in CATEGORY_ALL:
        entry["categories"] = ["all"]
    subs = [{"subresource": name,
             "responseKind": {"group": r[0], "version": r[1], "kind": r[2]} if r else
             {"group": "", "version": "", "kind": info.kind},
             "verbs": sub_verbs} for name, r, sub_verbs in subresources(info)]
    if subs:
        entry["subresources"] = subs
    return entry


def aggregated(registry: Registry, legacy: bool) -> Doc:
    """APIGroupDiscoveryList: the core group alone for /api (`legacy`), every named group for /apis."""
    items = []
    for group, versions in group_versions(registry).items():
        if (group == "") != legacy:
            continue
        items.append({
            "metadata": {"name": group} if group else {},
            "versions": [{"version": v, "resources": [_aggregated_resource(i) for i in kinds_in(registry, group, v)],
                          "freshness": "Current"} for v in versions],
        })
    return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {},
            "items": items}
