"""NetworkPolicy (networking.k8s.io/v1, `netpol`): which traffic may reach and leave the pods it selects.

Defaults follow `k/k pkg/apis/networking/v1/defaults.go` (SetDefaults_NetworkPolicyPort: protocol TCP;
SetDefaults_NetworkPolicy: policyTypes Ingress, plus Egress when egress rules are present) and what storing a
Go struct does to empty lists (`egress: []` and `from: []` are dropped by omitempty, as a real API server drops
them). Validation follows `pkg/apis/networking/validation/validation.go` ValidateNetworkPolicy, with the v1.36
API server's messages (checked against a real one: an endPort below its port reports the port's value). The
table is NAME POD-SELECTOR AGE and describe is kubectl's NetworkPolicyDescriber (`pkg/describe/describe.go`).
What a policy allows is decided by `engine/network/policy.py`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from typing import Any

from ..printers.describe import _annotations_multiline, _labels_multiline, _Writer
from ..printers.duration import age, timestamp
from ..printers.tables import format_label_selector
from . import validation as v
from .registry import REGISTRY, DescribeContext, FieldErrors, KindInfo, Obj

PROTOCOLS = ["TCP", "UDP", "SCTP"]
POLICY_TYPES = ["Ingress", "Egress"]
_RULE_LISTS = (("ingress", "from"), ("egress", "to"))


# --------------------------------------------------------------------------- defaults


def _drop_empty(obj: Obj, key: str) -> None:
    if obj.get(key) == []:
        del obj[key]


def _default(policy: Obj) -> None:
    spec = policy.get("spec")
    if spec is None:
        spec = policy["spec"] = {}
    if not isinstance(spec, dict):
        return
    if spec.get("podSelector") is None:
        spec["podSelector"] = {}  # a struct, not a pointer: always present once stored
    for direction, peers in _RULE_LISTS:
        rules = spec.get(direction)
        for rule in rules if isinstance(rules, list) else ():
            if not isinstance(rule, dict):
                continue
            for key in ("ports", peers):
                _drop_empty(rule, key)
            for port in rule.get("ports") or ():
                if isinstance(port, dict) and port.get("protocol") is None:
                    port["protocol"] = "TCP"
            for peer in rule.get(peers) or ():
                if isinstance(peer, dict) and isinstance(peer.get("ipBlock"), dict):
                    _drop_empty(peer["ipBlock"], "except")
    if not spec.get("policyTypes"):
        # Ingress always; Egress only when egress rules are present (an empty list decodes to no rules).
        spec["policyTypes"] = ["Ingress"] + (["Egress"] if spec.get("egress") else [])
    for key in ("ingress", "egress"):
        _drop_empty(spec, key)


# --------------------------------------------------------------------------- validation


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _validate_port(path: str, port: Any) -> FieldErrors:
    """ValidateNetworkPolicyPort."""
    if not isinstance(port, dict):
        return [v.type_error(path, port, "object")]
    errors: FieldErrors = []
    protocol = port.get("protocol")
    if protocol is not None and protocol not in PROTOCOLS:
        errors.append(v.unsupported(f"{path}.protocol", protocol, PROTOCOLS))
    number, end = port.get("port"), port.get("endPort")
    if end is not None and not _int(end):
        return [*errors, v.type_error(f"{path}.endPort", end, "integer")]
    if number is None:
        if end is not None:
            errors.append(v.invalid(f"{path}.endPort", end, "may not be specified when `port` is not specified"))
    elif _int(number):
        if not 1 <= number <= 65535:
            errors.append(v.invalid(f"{path}.port", number, v.PORT_RANGE_MSG))
        if end is not None:
            if end < number:
                # The v1.36 API server prints the port's value here, not endPort's.
                errors.append(v.invalid(f"{path}.endPort", number, "must be greater than or equal to `port`"))
            if not 1 <= end <= 65535:
                errors.append(v.invalid(f"{path}.endPort", end, v.PORT_RANGE_MSG))
    elif isinstance(number, str):
        if end is not None:
            errors.append(v.invalid(f"{path}.endPort", end, "may not be specified when `port` is non-numeric"))
        errors.extend(v.port_name(f"{path}.port", number))
    else:
        errors.append(v.type_error(f"{path}.port", number, "integer or string"))
    return errors


_SLOPPY_ZEROS = re.compile(r"(?<![0-9])0+(?=[0-9])")


def parse_cidr(value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """netutils.ParseCIDRSloppy: the network a CIDR names (host bits cleared), leading zeros allowed; None when
    it is not a CIDR at all."""
    if "/" not in value:
        return None
    address, _, prefix = value.partition("/")
    if ":" not in address:
        address = _SLOPPY_ZEROS.sub("", address)
    try:
        return ipaddress.ip_network(f"{address}/{int(prefix)}", strict=False)
    except ValueError:
        return None


def _cidr_errors(path: str, value: Any) -> FieldErrors:
    """IsValidCIDRForLegacyField with strict validation (the StrictIPCIDRValidation default in v1.36)."""
    if not isinstance(value, str):
        return [v.type_error(path, value, "string")]
    network = parse_cidr(value)
    if network is None:
        return [v.invalid(path, value, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)")]
    try:
        strict = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return [v.invalid(path, value, "must not have leading 0s in IP or prefix length")]
    if isinstance(strict, ipaddress.IPv6Network) and strict.network_address.ipv4_mapped is not None:
        return [v.invalid(path, value, "must not have an IPv4-mapped IPv6 address")]
    if str(ipaddress.ip_interface(value).ip) != str(strict.network_address):
        return [v.invalid(path, value, "must not have bits set beyond the prefix length")]
    return []


def _validate_ip_block(path: str, block: Any) -> FieldErrors:
    """ValidateIPBlock."""
    if not isinstance(block, dict):
        return [v.type_error(path, block, "object")]
    cidr = block.get("cidr")
    if not cidr:
        return [v.required(f"{path}.cidr")]
    errors = _cidr_errors(f"{path}.cidr", cidr)
    network = parse_cidr(cidr) if isinstance(cidr, str) else None
    if network is None:
        return errors
    excepts = block.get("except") or []
    if not isinstance(excepts, list):
        return [*errors, v.type_error(f"{path}.except", excepts, "array")]
    for i, text in enumerate(excepts):
        p = f"{path}.except[{i}]"
        errors.extend(_cidr_errors(p, text))
        inner = parse_cidr(text) if isinstance(text, str) else None
        if inner is None:
            continue
        if inner.version != network.version or inner.network_address not in network \
                or network.prefixlen >= inner.prefixlen:
            errors.append(v.invalid(p, text, "must be a strict subset of `cidr`"))
    return errors


def _validate_peer(path: str, peer: Any) -> FieldErrors:
    """ValidateNetworkPolicyPeer."""
    if not isinstance(peer, dict):
        return [v.type_error(path, peer, "object")]
    errors: FieldErrors = []
    count = 0
    for key in ("podSelector", "namespaceSelector"):
        if peer.get(key) is not None:
            count += 1
            errors.extend(v.label_selector(f"{path}.{key}", peer[key]))
    if peer.get("ipBlock") is not None:
        count += 1
        errors.extend(_validate_ip_block(f"{path}.ipBlock", peer["ipBlock"]))
    if count == 0:
        errors.append(v.required(path, "must specify a peer"))
    elif count > 1 and peer.get("ipBlock") is not None:
        errors.append(v.forbidden(path, "may not specify both ipBlock and another peer"))
    return errors


def _validate_rules(path: str, rules: Any, peers_key: str) -> FieldErrors:
    if rules is None:
        return []
    if not isinstance(rules, list):
        return [v.type_error(path, rules, "array")]
    errors: FieldErrors = []
    for i, rule in enumerate(rules):
        rule_path = f"{path}[{i}]"
        if not isinstance(rule, dict):
            errors.append(v.type_error(rule_path, rule, "object"))
            continue
        for key, check in (("ports", _validate_port), (peers_key, _validate_peer)):
            items = rule.get(key) or []
            if not isinstance(items, list):
                errors.append(v.type_error(f"{rule_path}.{key}", items, "array"))
                continue
            errors.extend(e for j, item in enumerate(items) for e in check(f"{rule_path}.{key}[{j}]", item))
    return errors


def _validate(policy: Obj, old: Obj | None) -> FieldErrors:
    """ValidateNetworkPolicySpec (ValidateNetworkPolicyUpdate checks the same)."""
    spec = policy.get("spec")
    if not isinstance(spec, dict):
        return [v.type_error("spec", spec, "object")]
    errors = v.label_selector("spec.podSelector", spec.get("podSelector"))
    errors += _validate_rules("spec.ingress", spec.get("ingress"), "from")
    errors += _validate_rules("spec.egress", spec.get("egress"), "to")
    types = spec.get("policyTypes") or []
    if not isinstance(types, list):
        return [*errors, v.type_error("spec.policyTypes", types, "array")]
    if len(types) > len(POLICY_TYPES):
        return [*errors, ("spec.policyTypes",
                          f"Invalid value: {v.go_json(types)}: may not specify more than two policyTypes")]
    errors += [v.unsupported(f"spec.policyTypes[{i}]", t, POLICY_TYPES)
               for i, t in enumerate(types) if t not in POLICY_TYPES]
    return errors


# --------------------------------------------------------------------------- printing


def _row(policy: Obj, now: float) -> list[str]:
    spec = policy.get("spec") or {}
    return [policy["metadata"]["name"], format_label_selector(spec.get("podSelector")),
            age(policy["metadata"].get("creationTimestamp"), now)]


def _go_time(value: Any) -> str:
    """metav1.Time's String(): Go's `2006-01-02 15:04:05 -0700 MST`, in UTC as everywhere in k9py's output."""
    t = timestamp(value)
    when = dt.datetime.fromtimestamp(t if t is not None else -62135596800, dt.UTC)
    return f"{when:%Y-%m-%d %H:%M:%S} +0000 UTC"


def _port_lines(w: _Writer, indent: str, ports: list[Obj]) -> None:
    if not ports:
        w.write(0, f"{indent}To Port: <any> (traffic allowed to all ports)\n")
        return
    for port in ports:
        number = port.get("port")
        text = "<nil>" if number is None else str(number)  # a nil *IntOrString prints <nil>
        protocol = port.get("protocol") or "TCP"
        if port.get("endPort") is None:
            w.write(0, f"{indent}To Port: {text}/{protocol}\n")
        else:
            w.write(0, f"{indent}To Port Range: {text}-{port['endPort']}/{protocol}\n")


def _peer_lines(w: _Writer, indent: str, title: str, peers: list[Obj], anyone: str) -> None:
    if not peers:
        w.write(0, f"{indent}{title}: <any> ({anyone})\n")
        return
    for peer in peers:
        w.write(0, f"{indent}{title}:\n")
        pods, namespaces, block = peer.get("podSelector"), peer.get("namespaceSelector"), peer.get("ipBlock")
        if pods is not None and namespaces is not None:
            w.write(1, f"{indent}NamespaceSelector: {format_label_selector(namespaces)}\n")
            w.write(1, f"{indent}PodSelector: {format_label_selector(pods)}\n")
        elif pods is not None:
            w.write(1, f"{indent}PodSelector: {format_label_selector(pods)}\n")
        elif namespaces is not None:
            w.write(1, f"{indent}NamespaceSelector: {format_label_selector(namespaces)}\n")
        elif block is not None:
            w.write(1, f"{indent}IPBlock:\n")
            w.write(2, f"{indent}CIDR: {block.get('cidr', '')}\n")
            w.write(2, f"{indent}Except: {', '.join(block.get('except') or [])}\n")


def _rules_lines(w: _Writer, rules: list[Obj], direction: str) -> None:
    indent = "    "
    if not rules:
        w.write(0, f"{indent}<none> (Selected pods are isolated for {direction} connectivity)\n")
        return
    peers_key, title, anyone = (("from", "From", "traffic not restricted by source") if direction == "ingress"
                                else ("to", "To", "traffic not restricted by destination"))
    for i, rule in enumerate(rules):
        _port_lines(w, indent, rule.get("ports") or [])
        _peer_lines(w, indent, title, rule.get(peers_key) or [], anyone)
        if i != len(rules) - 1:
            w.write(0, f"{indent}----------\n")


def describe_network_policy(policy: Obj) -> str:
    """describeNetworkPolicy: no Events section, as kubectl prints none for this kind."""
    meta, spec = policy["metadata"], policy.get("spec") or {}
    w = _Writer()
    w.write(0, f"Name:\t{meta['name']}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    w.write(0, f"Created on:\t{_go_time(meta.get('creationTimestamp'))}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, "Spec:\n")
    selector = spec.get("podSelector") or {}
    if not selector.get("matchLabels") and not selector.get("matchExpressions"):
        w.write(1, "PodSelector: ")
        w.write(2, "<none> (Allowing the specific traffic to all pods in this namespace)\n")
    else:
        w.write(1, "PodSelector: ")
        w.write(2, f"{format_label_selector(selector)}\n")
    types = spec.get("policyTypes") or []
    for direction, kind in (("ingress", "Ingress"), ("egress", "Egress")):
        if kind in types:
            w.write(1, f"Allowing {direction} traffic:\n")
            _rules_lines(w, spec.get(direction) or [], direction)
        else:
            w.write(1, f"Not affecting {direction} traffic\n")
    w.write(1, f"Policy Types: {', '.join(types)}\n")
    return w.text()


def _describe(policy: Obj, ctx: DescribeContext) -> str:
    return describe_network_policy(policy)


NETWORK_POLICY = REGISTRY.register(KindInfo(
    kind="NetworkPolicy", group="networking.k8s.io", version="v1", plural="networkpolicies", namespaced=True,
    short_names=("netpol",), default=_default, validate=_validate, has_status=False,
    columns=("NAME", "POD-SELECTOR", "AGE"), row=_row, describe=_describe,
))
