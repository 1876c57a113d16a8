"""Label selectors (string and `LabelSelector` forms) and field selectors, as apimachinery parses them."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from .errors import bad_request


@attrs.frozen
class Requirement:
    key: str
    operator: str  # "=", "!=", "in", "notin", "exists", "!", "gt", "lt"
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        op = self.operator
        if op == "exists":
            return self.key in labels
        if op == "!":
            return self.key not in labels
        value = labels.get(self.key)
        if op in ("=", "in"):
            return value is not None and value in self.values
        if op in ("!=", "notin"):
            return value is None or value not in self.values
        if value is None:
            return False
        try:
            actual, bound = int(value), int(self.values[0])
        except ValueError:
            return False
        return actual > bound if op == "gt" else actual < bound

    def __str__(self) -> str:
        op = self.operator
        if op == "exists":
            return self.key
        if op == "!":
            return f"!{self.key}"
        if op in ("in", "notin"):
            return f"{self.key} {op} ({','.join(self.values)})"
        if op == "gt":
            return f"{self.key}>{self.values[0]}"
        if op == "lt":
            return f"{self.key}<{self.values[0]}"
        return f"{self.key}{op}{self.values[0]}"


@attrs.frozen
class LabelSelector:
    """A conjunction of requirements. An empty selector matches everything; `nothing` matches nothing."""

    requirements: tuple[Requirement, ...] = ()
    nothing: bool = False

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        if self.nothing:
            return False
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)

    @property
    def empty(self) -> bool:
        return not self.requirements and not self.nothing

    def __str__(self) -> str:
        return ",".join(str(r) for r in sorted(self.requirements, key=lambda r: r.key))


_TOKEN = re.compile(r"\s*(!=|==|=|!|\(|\)|,|>|<|[^\s!=(),<>]+)")


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match:
            raise bad_request(f"unable to parse requirement: found '{text[pos:]}'")
        out.append(match.group(1))
        pos = match.end()
    return out


def parse_label_selector(text: str | None) -> LabelSelector:
    """Parse `app=web,tier notin (db,cache),!legacy,release` (labels.Parse)."""
    if text is None or not text.strip():
        return LabelSelector()
    toks = _tokens(text)
    reqs: list[Requirement] = []
    i = 0

    def fail(message: str) -> None:
        raise bad_request(f"unable to parse requirement: {message}")

    while i < len(toks):
        tok = toks[i]
        if tok == "!":
            if i + 1 >= len(toks):
                fail("found '', expected: identifier")
            reqs.append(Requirement(toks[i + 1], "!"))
            i += 2
        else:
            key = tok
            if key in ("=", "==", "!=", "(", ")", ","):
                fail(f"found '{key}', expected: !, identifier, or 'end of string'")
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            if nxt is None or nxt == ",":
                reqs.append(Requirement(key, "exists"))
                i += 1
            elif nxt in ("=", "==", "!="):
                if i + 2 >= len(toks) or toks[i + 2] == ",":
                    value = ""
                    i += 2
                else:
                    value = toks[i + 2]
                    i += 3
                reqs.append(Requirement(key, "!=" if nxt == "!=" else "=", (value,)))
            elif nxt in (">", "<"):
                if i + 2 >= len(toks):
                    fail("found '', expected: integer")
                value = toks[i + 2]
                if not value.lstrip("-").isdigit():
                    fail(f"for 'gt', 'lt' operators, the value must be an integer, found '{value}'")
                reqs.append(Requirement(key, "gt" if nxt == ">" else "lt", (value,)))
                i += 3
            elif nxt in ("in", "notin"):
                if i + 2 >= len(toks) or toks[i + 2] != "(":
                    fail(f"found '{toks[i + 2] if i + 2 < len(toks) else ''}', expected: '('")
                j = i + 3
                values: list[str] = []
                while j < len(toks) and toks[j] != ")":
                    if toks[j] != ",":
                        values.append(toks[j])
                    j += 1
                if j >= len(toks):
                    fail("found '', expected: ')'")
                reqs.append(Requirement(key, nxt, tuple(sorted(set(values)))))
                i = j + 1
            else:
                fail(f"found '{nxt}', expected: in, notin, =, ==, !=, gt, lt")
        if i < len(toks):
            if toks[i] != ",":
                fail(f"found '{toks[i]}', expected: ',' or 'end of string'")
            i += 1
    return LabelSelector(tuple(reqs))


def selector_from_dict(selector: Mapping[str, Any] | None) -> LabelSelector:
    """metav1.LabelSelectorAsSelector: nil matches nothing, {} matches everything."""
    if selector is None:
        return LabelSelector(nothing=True)
    reqs: list[Requirement] = [
        Requirement(k, "=", (str(v),)) for k, v in sorted((selector.get("matchLabels") or {}).items())
    ]
    operators = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}
    for expr in selector.get("matchExpressions") or []:
        op = operators.get(expr.get("operator", ""))
        if op is None:
            raise bad_request(f'"{expr.get("operator")}" is not a valid label selector operator')
        reqs.append(Requirement(expr.get("key", ""), op, tuple(sorted(expr.get("values") or ()))))
    return LabelSelector(tuple(reqs))


def selector_to_string(selector: Mapping[str, Any] | None) -> str:
    """`app=web,tier in (a,b)`: how kubectl prints a LabelSelector (e.g. the Scale subresource's selector)."""
    return str(selector_from_dict(selector)) if selector is not None else ""


def labels_match(selector: Mapping[str, Any] | None, labels: Mapping[str, str] | None) -> bool:
    return selector_from_dict(selector).matches(labels)


# --- field selectors -------------------------------------------------------------------------------------------

FIELD_GETTERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "metadata.name": lambda o: o.get("metadata", {}).get("name"),
    "metadata.namespace": lambda o: o.get("metadata", {}).get("namespace", ""),
    "spec.nodeName": lambda o: (o.get("spec") or {}).get("nodeName", ""),
    "spec.restartPolicy": lambda o: (o.get("spec") or {}).get("restartPolicy", ""),
    "spec.schedulerName": lambda o: (o.get("spec") or {}).get("schedulerName", ""),
    "spec.serviceAccountName": lambda o: (o.get("spec") or {}).get("serviceAccountName", ""),
    "status.phase": lambda o: (o.get("status") or {}).get("phase", ""),
    "status.podIP": lambda o: (o.get("status") or {}).get("podIP", ""),
    "spec.unschedulable": lambda o: str(bool((o.get("spec") or {}).get("unschedulable"))).lower(),
    "involvedObject.kind": lambda o: (o.get("involvedObject") or {}).get("kind", ""),
    "involvedObject.name": lambda o: (o.get("involvedObject") or {}).get("name", ""),
    "involvedObject.namespace": lambda o: (o.get("involvedObject") or {}).get("namespace", ""),
    "involvedObject.uid": lambda o: (o.get("involvedObject") or {}).get("uid", ""),
    "reason": lambda o: o.get("reason", ""),
    "type": lambda o: o.get("type", ""),
}


def parse_field_selector(text: str | None, allowed: frozenset[str] | None = None, kind: str = "") -> (
    Callable[[dict[str, Any]], bool] | None
):
    """`spec.nodeName=node-1,status.phase!=Running` → predicate; None for an empty selector."""
    if text is None or not text.strip():
        return None
    checks: list[tuple[Callable[[dict[str, Any]], Any], bool, str]] = []
    for part in text.split(","):
        part = part.strip()
        if "!=" in part:
            field, value = part.split("!=", 1)
            negate = True
        elif "==" in part:
            field, value = part.split("==", 1)
            negate = False
        elif "=" in part:
            field, value = part.split("=", 1)
            negate = False
        else:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{part}'")
        field = field.strip()
        getter = FIELD_GETTERS.get(field)
        if getter is None or (allowed is not None and field not in allowed):
            raise bad_request(f'field label not supported: {field}' if not kind
                              else f'"{field}" is not a known field selector: only "metadata.name", '
                                   f'"metadata.namespace"')
        checks.append((getter, negate, value.strip()))

    def predicate(obj: dict[str, Any]) -> bool:
        for getter, negate, value in checks:
            actual = getter(obj)
            actual = "" if actual is None else str(actual)
            if (actual == value) == negate:
                return False
        return True

    return predicate
