"""PolicyRule semantics: whether a rule allows a request (pkg/apis/rbac/v1/evaluation_helpers.go, RuleAllows),
whether one set of rules covers another (pkg/registry/rbac/validation/policy_comparator.go, escalation
prevention), and the breakdown, compaction and ordering kubectl and the API server print rules in.

Rules are the API's dicts (`{"verbs": [...], "apiGroups": [...], ...}`), read as they are stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from ..quoting import go_quote

Rule = dict[str, Any]
ALL = "*"


@attrs.frozen
class Attributes:
    """authorizer.Attributes: one request as the authorizer sees it."""

    verb: str
    resource: str = ""
    api_group: str = ""
    namespace: str = ""
    name: str = ""
    subresource: str = ""
    path: str = ""
    resource_request: bool = True

    @property
    def combined_resource(self) -> str:
        return f"{self.resource}/{self.subresource}" if self.subresource else self.resource


def _strings(rule: Rule, key: str) -> list[str]:
    value = rule.get(key)
    return [str(v) for v in value] if isinstance(value, list) else []


def allows(rule: Rule, attrs_: Attributes) -> bool:
    """RuleAllows."""
    verbs = rule.get("verbs") or ()
    if attrs_.verb not in verbs and ALL not in verbs:
        return False
    if not attrs_.resource_request:
        path = attrs_.path
        for url in rule.get("nonResourceURLs") or ():
            if url in (ALL, path) or (url.endswith("*") and path.startswith(url.rstrip("*"))):
                return True
        return False
    groups = rule.get("apiGroups") or ()
    if attrs_.api_group not in groups and ALL not in groups:
        return False
    if not _resource_matches(rule.get("resources") or (), attrs_.combined_resource, attrs_.subresource):
        return False
    names = rule.get("resourceNames")
    return not names or attrs_.name in names


def _resource_matches(resources: Iterable[str], combined: str, subresource: str) -> bool:
    """ResourceMatches: `*`, the exact resource (with its subresource), or `*/<subresource>`."""
    for resource in resources:
        if resource in (ALL, combined):
            return True
        if subresource and len(resource) == len(subresource) + 2 and resource.startswith("*/") \
                and resource.endswith(subresource):
            return True
    return False


# --- covering (escalation prevention) ------------------------------------------------------------------------

def breakdown(rule: Rule) -> list[Rule]:
    """BreakdownRule: one rule per group, resource, verb (and resource name), then per URL and verb."""
    out: list[Rule] = []
    verbs, names = _strings(rule, "verbs"), _strings(rule, "resourceNames")
    for group in _strings(rule, "apiGroups"):
        for resource in _strings(rule, "resources"):
            for verb in verbs:
                base = {"verbs": [verb], "apiGroups": [group], "resources": [resource]}
                out.extend([{**base, "resourceNames": [n]} for n in names] if names else [base])
    for url in _strings(rule, "nonResourceURLs"):
        out.extend({"verbs": [verb], "nonResourceURLs": [url]} for verb in verbs)
    return out


def _covers_resources(owner: list[str], wanted: list[str]) -> bool:
    if ALL in owner:
        return True
    for path in wanted:
        if path in owner:
            continue
        if "/" not in path or "*/" + path.split("/", 1)[1] not in owner:
            return False
    return True


def _covers_url(owner: str, path: str) -> bool:
    return owner == path or (owner.endswith("*") and path.startswith(owner.rstrip("*")))


def rule_covers(owner: Rule, sub: Rule) -> bool:
    """ruleCovers."""
    o_verbs, o_groups = _strings(owner, "verbs"), _strings(owner, "apiGroups")
    o_names = _strings(owner, "resourceNames")
    s_names = _strings(sub, "resourceNames")
    return ((ALL in o_verbs or set(_strings(sub, "verbs")) <= set(o_verbs))
            and (ALL in o_groups or set(_strings(sub, "apiGroups")) <= set(o_groups))
            and _covers_resources(_strings(owner, "resources"), _strings(sub, "resources"))
            and all(any(_covers_url(o, p) for o in _strings(owner, "nonResourceURLs"))
                    for p in _strings(sub, "nonResourceURLs"))
            and (not o_names or (bool(s_names) and set(s_names) <= set(o_names))))


def missing(owner_rules: list[Rule], rules: Iterable[Rule]) -> list[Rule]:
    """Covers: the broken-down rules of `rules` no rule of `owner_rules` covers."""
    return [sub for rule in rules for sub in breakdown(rule)
            if not any(rule_covers(owner, sub) for owner in owner_rules)]


# --- compaction and printing ----------------------------------------------------------------------------------

def compact(rules: Iterable[Rule]) -> list[Rule]:
    """CompactRules: rules on one group and one resource (and at most one name) merge their verbs."""
    out: list[Rule] = []
    simple: dict[tuple[str, str, str | None], Rule] = {}
    for rule in rules:
        groups, resources, names = (_strings(rule, "apiGroups"), _strings(rule, "resources"),
                                    _strings(rule, "resourceNames"))
        if (len(names) > 1 or rule.get("nonResourceURLs") or len(groups) != 1 or len(resources) != 1
                or set(rule) - {"verbs", "apiGroups", "resources", "resourceNames"}):
            out.append(rule)
            continue
        key = (groups[0], resources[0], names[0] if names else None)
        if key in simple:
            simple[key]["verbs"] = [*simple[key]["verbs"], *_strings(rule, "verbs")]
        else:
            simple[key] = {**rule, "verbs": _strings(rule, "verbs")}
    return out + list(simple.values())


def proto_string(rule: Rule) -> str:
    """The generated PolicyRule.String() kubectl sorts printed rules by (SortableRuleSlice)."""
    def field(key: str) -> str:
        return "[" + " ".join(_strings(rule, key)) + "]"
    return (f"&PolicyRule{{Verbs:{field('verbs')},APIGroups:{field('apiGroups')},Resources:{field('resources')},"
            f"ResourceNames:{field('resourceNames')},NonResourceURLs:{field('nonResourceURLs')},}}")


def compact_string(rule: Rule) -> str:
    """rbacv1helpers.CompactString: `{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}`."""
    parts = []
    for key, label in (("apiGroups", "APIGroups"), ("resources", "Resources"), ("nonResourceURLs", "NonResourceURLs"),
                       ("resourceNames", "ResourceNames"), ("verbs", "Verbs")):
        values = _strings(rule, key)
        if values:
            parts.append(f"{label}:[" + " ".join(go_quote(v) for v in values) + "]")
    return "{" + ", ".join(parts) + "}"


def combine_resource_group(rule: Rule) -> str:
    """describe.CombineResourceGroup: `deployments.apps/scale` from the first resource and group."""
    resources, groups = _strings(rule, "resources"), _strings(rule, "apiGroups")
    if not resources:
        return ""
    head, _, sub = resources[0].partition("/")
    combined = f"{head}.{groups[0]}" if groups and groups[0] else head
    return f"{combined}/{sub}" if "/" in resources[0] else combined


def go_list(values: list[str]) -> str:
    return "[" + " ".join(values) + "]"


def table_rows(rules: Iterable[Rule]) -> list[tuple[str, str, str, str]]:
    """The rows kubectl prints for a role's rules (describe) and for `auth can-i --list`: broken down, compacted
    and sorted; Resources, Non-Resource URLs, Resource Names, Verbs."""
    broken = [sub for rule in rules for sub in breakdown(rule)]
    ordered = sorted(compact(broken), key=proto_string)
    return [(combine_resource_group(r), go_list(_strings(r, "nonResourceURLs")), go_list(_strings(r, "resourceNames")),
             go_list(_strings(r, "verbs"))) for r in ordered]

