"""The NetworkPolicy kind (engine/kinds/networkpolicy.py): v1.36 defaults, the API server's validation messages
(recorded from a real v1.36 API server with `kubectl apply --dry-run=server`), kubectl's columns and describe."""

from __future__ import annotations

import textwrap

import pytest
from network_support import SEED_API_POLICY, policy

from engine.cluster import Cluster
from engine.errors import ApiError


async def stored(spec: dict) -> dict:
    async with Cluster(nodes=0) as c:
        await c.apply(policy("p", spec))
        found = c.get("netpol", "p")
        assert found is not None
        return found["spec"]


@pytest.mark.parametrize(("spec", "expected"), [
    ({}, {"podSelector": {}, "policyTypes": ["Ingress"]}),
    ({"podSelector": {}, "egress": [{}]}, {"podSelector": {}, "egress": [{}], "policyTypes": ["Ingress", "Egress"]}),
    # An empty list is no rule at all: Go's omitempty drops it, and it does not add Egress.
    ({"podSelector": {}, "egress": [], "ingress": [{"from": [], "ports": []}]},
     {"podSelector": {}, "ingress": [{}], "policyTypes": ["Ingress"]}),
    ({"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"ports": [{"port": 53}]}]},
     {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"ports": [{"port": 53, "protocol": "TCP"}]}]}),
])
async def test_defaults(spec: dict, expected: dict) -> None:
    assert await stored(spec) == expected


BAD = {
    "podSelector": {"matchLabels": {"a": "b c"}},
    "policyTypes": ["Ingress", "Foo"],
    "ingress": [{
        "from": [{"ipBlock": {"cidr": "10.0.0.0/33", "except": ["10.1.0.0/16"]}},
                 {"ipBlock": {"cidr": "10.0.0.1/8", "except": ["11.0.0.0/16", "10.0.0.0/8"]}, "podSelector": {}},
                 {}],
        "ports": [{"protocol": "ICMP", "port": 0}, {"port": "http", "endPort": 90}, {"endPort": 90},
                  {"port": 100, "endPort": 90}, {"port": "--x"}],
    }],
    "egress": [{"to": [{"ipBlock": {"cidr": ""}}]}],
}
# What a v1.36 API server answered for BAD, in its order.
BAD_ERRORS = [
    "spec.podSelector.matchLabels: Invalid value: \"b c\": a valid label must be an empty string or consist of "
    "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. "
    "'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?"
    "[A-Za-z0-9])?')",
    'spec.ingress[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"',
    "spec.ingress[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
    "spec.ingress[0].ports[1].endPort: Invalid value: 90: may not be specified when `port` is non-numeric",
    "spec.ingress[0].ports[2].endPort: Invalid value: 90: may not be specified when `port` is not specified",
    "spec.ingress[0].ports[3].endPort: Invalid value: 100: must be greater than or equal to `port`",
    'spec.ingress[0].ports[4].port: Invalid value: "--x": must not contain consecutive hyphens',
    'spec.ingress[0].ports[4].port: Invalid value: "--x": must not begin or end with a hyphen',
    'spec.ingress[0].from[0].ipBlock.cidr: Invalid value: "10.0.0.0/33": must be a valid CIDR value, '
    "(e.g. 10.9.8.0/24 or 2001:db8::/64)",
    'spec.ingress[0].from[1].ipBlock.cidr: Invalid value: "10.0.0.1/8": must not have bits set beyond the prefix '
    "length",
    'spec.ingress[0].from[1].ipBlock.except[0]: Invalid value: "11.0.0.0/16": must be a strict subset of `cidr`',
    'spec.ingress[0].from[1].ipBlock.except[1]: Invalid value: "10.0.0.0/8": must be a strict subset of `cidr`',
    "spec.ingress[0].from[1]: Forbidden: may not specify both ipBlock and another peer",
    "spec.ingress[0].from[2]: Required value: must specify a peer",
    "spec.egress[0].to[0].ipBlock.cidr: Required value",
    'spec.policyTypes[1]: Unsupported value: "Foo": supported values: "Ingress", "Egress"',
]


async def test_validation_messages_are_the_api_servers() -> None:
    async with Cluster(nodes=0) as c:
        with pytest.raises(ApiError) as info:
            await c.apply(policy("bad", BAD))
        assert info.value.message == f'NetworkPolicy.networking.k8s.io "bad" is invalid: [{", ".join(BAD_ERRORS)}]'
        with pytest.raises(ApiError) as info:
            await c.apply(policy("bad2", {"podSelector": {}, "policyTypes": ["Ingress", "Egress", "Ingress"],
                                          "ingress": [{"ports": [{"port": 10, "endPort": 70000}]}]}))
        assert info.value.message == (
            'NetworkPolicy.networking.k8s.io "bad2" is invalid: [spec.ingress[0].ports[0].endPort: Invalid value: '
            "70000: must be between 1 and 65535, inclusive, spec.policyTypes: Invalid value: "
            '["Ingress","Egress","Ingress"]: may not specify more than two policyTypes]')


async def test_columns_and_describe_are_kubectls() -> None:
    async with Cluster(nodes=0) as c:
        await c.apply(SEED_API_POLICY)
        await c.apply(policy("deny-all", {"podSelector": {}}))
        await c.apply(policy("range", {"podSelector": {"matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["web", "api"]}]}, "policyTypes": ["Egress"],
            "egress": [{"ports": [{"port": 9000, "endPort": 9100}, {"port": "dns", "protocol": "UDP"}],
                        "to": [{"ipBlock": {"cidr": "172.17.0.0/16", "except": ["172.17.1.0/24"]}}]}]}))
        columns, rows = c.table("netpol", "default")
        assert columns == ["NAME", "POD-SELECTOR", "AGE"]
        assert [r[:2] for r in rows] == [["api-policy", "app=api"], ["deny-all", "<none>"],
                                         ["range", "tier in (api,web)"]]
        assert c.describe("networkpolicy", "api-policy") == textwrap.dedent("""\
            Name:         api-policy
            Namespace:    default
            Created on:   2026-01-01 00:00:00 +0000 UTC
            Labels:       <none>
            Annotations:  <none>
            Spec:
              PodSelector:     app=api
              Allowing ingress traffic:
                To Port: 8080/TCP
                From:
                  PodSelector: app=frontend
              Allowing egress traffic:
                To Port: 5432/TCP
                To:
                  PodSelector: app=database
                ----------
                To Port: 53/UDP
                To:
                  NamespaceSelector: <none>
                  PodSelector: k8s-app=kube-dns
              Policy Types: Ingress, Egress
            """)
        assert c.describe("netpol", "deny-all").endswith(textwrap.dedent("""\
            Spec:
              PodSelector:     <none> (Allowing the specific traffic to all pods in this namespace)
              Allowing ingress traffic:
                <none> (Selected pods are isolated for ingress connectivity)
              Not affecting egress traffic
              Policy Types: Ingress
            """))
        assert c.describe("netpol", "range").endswith(textwrap.dedent("""\
            Spec:
              PodSelector:     tier in (api,web)
              Not affecting ingress traffic
              Allowing egress traffic:
                To Port Range: 9000-9100/TCP
                To Port: dns/UDP
                To:
                  IPBlock:
                    CIDR: 172.17.0.0/16
                    Except: 172.17.1.0/24
              Policy Types: Egress
            """))
