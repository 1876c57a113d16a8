"""kubectl against `k9py serve` with RBAC (issue 16 §5): `--as`/`--as-group` impersonation, `auth can-i` (and
`--list`), `auth whoami`, refusals in the API server's words (staging/src/k8s.io/apiserver/pkg/endpoints/filters/
{impersonation,authorization}.go), escalation prevention. The expected outputs are a v1.36 kube-apiserver's."""

from __future__ import annotations

from test_apiserver_kit import Served, needs_kubectl, served
from test_rbac import SEED

pytestmark = needs_kubectl
__all__ = ["served"]


async def test_seed_rbac_with_kubectl_as(served: Served) -> None:
    out = await served.ok("apply", "-f", "-", stdin=SEED)
    assert "role.rbac.authorization.k8s.io/pod-reader created" in out
    assert "rolebinding.rbac.authorization.k8s.io/dev-pod-reader created" in out
    assert (await served.ok("auth", "can-i", "get", "pods", "-n", "development", "--as", "alice")).strip() == "yes"
    code, out, _ = await served.kubectl("auth", "can-i", "delete", "pods", "-n", "development", "--as", "alice")
    assert (code, out.strip()) == (1, "no")
    sa = "system:serviceaccount:monitoring:monitoring"
    assert (await served.ok("auth", "can-i", "get", "pods/log", "-n", "development", "--as", sa)).strip() == "yes"
    listed = (await served.ok("auth", "can-i", "--list", "-n", "development", "--as", "alice")).splitlines()
    assert listed[0].split() == ["Resources", "Non-Resource", "URLs", "Resource", "Names", "Verbs"]
    assert listed[4].split() == ["pods/log", "[]", "[]", "[get", "list", "watch]"]
    assert listed[5].split() == ["pods", "[]", "[]", "[get", "list", "watch]"]
    assert (await served.ok("auth", "can-i", "create", "pods")).strip() == "yes"  # the admin

    code, _, err = await served.kubectl("-n", "development", "delete", "pod", "x", "--as", "alice")
    assert code == 1 and err.strip() == ('Error from server (Forbidden): pods "x" is forbidden: User "alice" cannot '
                                         'delete resource "pods" in API group "" in the namespace "development"')
    code, _, err = await served.kubectl("get", "nodes", "--as", "alice")
    assert err.strip() == ('Error from server (Forbidden): nodes is forbidden: User "alice" cannot list resource '
                           '"nodes" in API group "" at the cluster scope')
    code, _, err = await served.kubectl("get", "--raw", "/metrics", "--as", "alice")
    assert err.strip() == 'Error from server (Forbidden): forbidden: User "alice" cannot get path "/metrics"'
    assert "No resources found in development namespace." in (
        await served.kubectl("get", "pods", "-n", "development", "--as", "alice"))[2]
    whoami = await served.ok("auth", "whoami", "--as", "alice", "--as-group", "dev")
    assert whoami.split() == ["ATTRIBUTE", "VALUE", "Username", "alice", "Groups", "[dev", "system:authenticated]"]


async def test_impersonation_and_escalation(served: Served) -> None:
    await served.ok("apply", "-f", "-", stdin=SEED)
    await served.ok("-n", "development", "create", "role", "rbac-writer", "--verb=create,update,get",
                    "--resource=roles,rolebindings")
    await served.ok("-n", "development", "create", "rolebinding", "alice-rbac", "--role=rbac-writer", "--user=alice")
    code, _, err = await served.kubectl("-n", "development", "create", "role", "escalate", "--verb=delete",
                                        "--resource=pods", "--as", "alice")
    assert code == 1 and err == (
        'Error from server (Forbidden): roles.rbac.authorization.k8s.io "escalate" is forbidden: user "alice" '
        '(groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n'
        '{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}\n')
    assert "rolebinding.rbac.authorization.k8s.io/bob-reads created" in await served.ok(
        "-n", "development", "create", "rolebinding", "bob-reads", "--role=pod-reader", "--user=bob", "--as", "alice")
    assert (await served.ok("auth", "can-i", "list", "pods", "-n", "development", "--as", "bob")).strip() == "yes"
    # A member of system:masters may do anything, whoever they are.
    assert (await served.ok("auth", "can-i", "delete", "nodes", "--as", "bob", "--as-group",
                            "system:masters")).strip() == "yes"
