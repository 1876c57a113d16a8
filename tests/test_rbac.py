"""RBAC on the virtual clock (issue 16 §5): the seeds' Role and RoleBinding applied as written, answers as
`kubectl auth can-i` gives them (plugin/pkg/auth/authorizer/rbac/rbac.go; pkg/apis/rbac/v1/evaluation_helpers.go),
the default roles and their aggregation (pkg/controller/clusterroleaggregation), escalation prevention
(pkg/registry/rbac/*/policybased), validation (pkg/apis/rbac/validation) and kubectl's printing. Expected texts
are what a v1.36 kube-apiserver and kubectl print for the same requests."""

from __future__ import annotations

import textwrap

import pytest

from engine import Cluster
from engine.errors import ApiError

GROUP = "rbac.authorization.k8s.io"

# The seed's RBAC example (seeds/001, "RBAC Security"), its Role and RoleBinding as written, in namespaces that exist.
SEED = textwrap.dedent("""\
    apiVersion: v1
    kind: Namespace
    metadata:
      name: development
    ---
    apiVersion: v1
    kind: Namespace
    metadata:
      name: monitoring
    ---
    apiVersion: v1
    kind: ServiceAccount
    metadata:
      name: monitoring
      namespace: monitoring
    ---
    apiVersion: rbac.authorization.k8s.io/v1
    kind: Role
    metadata:
      namespace: development
      name: pod-reader
    rules:
    - apiGroups: [""]
      resources: ["pods", "pods/log"]
      verbs: ["get", "list", "watch"]
    ---
    apiVersion: rbac.authorization.k8s.io/v1
    kind: RoleBinding
    metadata:
      name: dev-pod-reader
      namespace: development
    subjects:
    - kind: User
      name: alice
      apiGroup: rbac.authorization.k8s.io
    - kind: ServiceAccount
      name: monitoring
      namespace: monitoring
    roleRef:
      kind: Role
      name: pod-reader
      apiGroup: rbac.authorization.k8s.io
    """)
MONITORING = "system:serviceaccount:monitoring:monitoring"


def role(name: str, rules: list[dict], namespace: str | None = "development", **extra: object) -> dict:
    meta: dict = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"apiVersion": f"{GROUP}/v1", "kind": "Role" if namespace else "ClusterRole", "metadata": meta,
            "rules": rules, **extra}


def binding(name: str, role_kind: str, role_name: str, subjects: list[dict], namespace: str | None = "development"):
    meta: dict = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"apiVersion": f"{GROUP}/v1", "kind": "RoleBinding" if namespace else "ClusterRoleBinding",
            "metadata": meta, "subjects": subjects, "roleRef": {"kind": role_kind, "name": role_name,
                                                                 "apiGroup": GROUP}}


def user(name: str) -> dict:
    return {"kind": "User", "name": name, "apiGroup": GROUP}


@pytest.fixture
async def cluster():
    async with Cluster(nodes=1) as c:
        await c.apply(SEED)
        yield c


async def test_seed_role_binding_answers_as_kubectl_auth_can_i(cluster: Cluster) -> None:
    # kubectl auth can-i get pods -n development --as alice: yes; delete: no; elsewhere: no.
    assert cluster.can_i("get", "pods", "development", user="alice")
    assert cluster.can_i("watch", "pods/log", "development", user="alice")
    assert not cluster.can_i("delete", "pods", "development", user="alice")
    assert not cluster.can_i("get", "pods", "default", user="alice")
    assert not cluster.can_i("get", "pods/exec", "development", user="alice")
    # The ServiceAccount subject matches the SA's user name, with or without its implicit groups.
    assert cluster.can_i("list", "pods", "development", user=MONITORING)
    assert cluster.can_i("get", "pods/log", "development", user=MONITORING,
                         groups=["system:serviceaccounts", "system:serviceaccounts:monitoring"])
    assert not cluster.can_i("list", "pods", "development", user="system:serviceaccount:development:monitoring")
    # The admin (the default identity) may do anything.
    assert cluster.can_i("delete", "nodes", None) and cluster.can_i("escalate", "clusterroles", None)


async def test_can_i_list_prints_the_rules_as_kubectl(cluster: Cluster) -> None:
    rows = cluster.can_i_list("development", user="alice")
    assert rows[:5] == [
        ("selfsubjectreviews.authentication.k8s.io", "[]", "[]", "[create]"),
        ("selfsubjectaccessreviews.authorization.k8s.io", "[]", "[]", "[create]"),
        ("selfsubjectrulesreviews.authorization.k8s.io", "[]", "[]", "[create]"),
        ("pods/log", "[]", "[]", "[get list watch]"),
        ("pods", "[]", "[]", "[get list watch]")]
    assert ("", "[/api/*]", "[]", "[get]") in rows and rows.count(("", "[/healthz]", "[]", "[get]")) == 2
    assert ("pods", "[]", "[]", "[get list watch]") not in cluster.can_i_list("default", user="alice")


async def test_writes_as_a_user_are_refused_with_the_api_servers_403(cluster: Cluster) -> None:
    jane = cluster
    jane.act_as("alice")  # as Cluster(user="alice") or the dashboard's --as alice
    with pytest.raises(ApiError) as refused:
        await jane.delete("pod", "x", "development")
    assert refused.value.code == 403
    assert refused.value.message == ('pods "x" is forbidden: User "alice" cannot delete resource "pods" in API '
                                     'group "" in the namespace "development"')
    with pytest.raises(ApiError) as refused:
        await jane.scale("deployment", "web", 3, "development")
    assert refused.value.message == ('deployments.apps "web" is forbidden: User "alice" cannot update resource '
                                     '"deployments/scale" in API group "apps" in the namespace "development"')
    with pytest.raises(ApiError) as refused:
        await jane.cordon("node-1")
    assert refused.value.message == ('nodes "node-1" is forbidden: User "alice" cannot patch resource "nodes" in '
                                     'API group "" at the cluster scope')


async def test_rule_matching_names_subresources_and_urls(cluster: Cluster) -> None:
    await cluster.apply([
        role("scaler", [{"apiGroups": ["apps"], "resources": ["*/scale"], "verbs": ["update"]},
                        {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"], "resourceNames": ["app"]}]),
        role("urls", [{"nonResourceURLs": ["/logs/*", "/metrics"], "verbs": ["get"]}], namespace=None),
        binding("bob-scaler", "Role", "scaler", [user("bob")]),
        binding("bob-urls", "ClusterRole", "urls", [user("bob")], namespace=None),
    ])
    assert cluster.can_i("update", "deployments.apps/scale", "development", user="bob")
    assert cluster.can_i("update", "statefulsets", "development", subresource="scale", user="bob")
    assert not cluster.can_i("update", "deployments", "development", user="bob")
    assert cluster.can_i("get", "configmaps", "development", name="app", user="bob")
    assert not cluster.can_i("get", "configmaps", "development", name="other", user="bob")
    assert not cluster.can_i("list", "configmaps", "development", user="bob")  # a list names nothing
    assert cluster.can_i("get", "/logs/kube.log", user="bob") and cluster.can_i("get", "/metrics", user="bob")
    assert not cluster.can_i("get", "/metrics/slis", user="bob") and not cluster.can_i("post", "/metrics", user="bob")


async def test_groups_and_the_implicit_service_account_groups(cluster: Cluster) -> None:
    await cluster.apply([
        binding("all-sa-view", "ClusterRole", "view", [{"kind": "Group", "name": "system:serviceaccounts:monitoring",
                                                         "apiGroup": GROUP}]),
        binding("devs-edit", "ClusterRole", "edit", [{"kind": "Group", "name": "devs", "apiGroup": GROUP}]),
    ])
    assert cluster.can_i("list", "deployments", "development", user=MONITORING)
    assert not cluster.can_i("list", "deployments", "development", user="system:serviceaccount:other:x")
    assert cluster.can_i("create", "deployments", "development", user="carol", groups=["devs"])
    assert not cluster.can_i("create", "deployments", "development", user="carol")
    # Every authenticated user may ask about themselves (system:basic-user).
    assert cluster.can_i("create", "selfsubjectaccessreviews.authorization.k8s.io", None, user="nobody")


async def test_default_roles_are_aggregated_and_follow_new_labels(cluster: Cluster) -> None:
    view, edit, admin = (cluster.get("clusterrole", n) for n in ("view", "edit", "admin"))
    assert (len(view["rules"]), len(edit["rules"]), len(admin["rules"])) == (12, 27, 29)  # as kube-apiserver's
    assert view["aggregationRule"] == {"clusterRoleSelectors": [
        {"matchLabels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}}]}
    assert cluster.get("clusterrolebinding", "cluster-admin")["subjects"] == [
        {"apiGroup": GROUP, "kind": "Group", "name": "system:masters"}]
    crd_rule = {"apiGroups": ["example.com"], "resources": ["widgets"], "verbs": ["get", "list", "watch"]}
    widget_viewer = role("widget-viewer", [crd_rule], namespace=None)
    widget_viewer["metadata"]["labels"] = {"rbac.authorization.k8s.io/aggregate-to-view": "true"}
    await cluster.create(widget_viewer)
    await cluster.run_for(1)
    for name in ("view", "edit", "admin"):
        assert crd_rule in cluster.get("clusterrole", name)["rules"], name
    await cluster.delete("clusterrole", "widget-viewer", None)
    await cluster.run_for(1)
    assert crd_rule not in cluster.get("clusterrole", "admin")["rules"]


async def test_escalation_prevention(cluster: Cluster) -> None:
    await cluster.apply([
        role("rbac-writer", [{"apiGroups": [GROUP], "resources": ["roles", "rolebindings"],
                              "verbs": ["create", "update", "get"]}]),
        binding("alice-rbac", "Role", "rbac-writer", [user("alice")]),
    ])
    alice = cluster
    alice.act_as("alice")
    with pytest.raises(ApiError) as refused:
        await alice.create(role("escalate", [{"apiGroups": [""], "resources": ["pods"], "verbs": ["delete"]}]))
    assert refused.value.code == 403
    assert refused.value.message == (
        'roles.rbac.authorization.k8s.io "escalate" is forbidden: user "alice" (groups=["system:authenticated"]) '
        'is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["pods"], '
        'Verbs:["delete"]}')
    # A role she holds herself may be bound to anyone; one that does not exist is not found.
    await alice.create(binding("bob-reads", "Role", "pod-reader", [user("bob")]))
    assert cluster.can_i("get", "pods", "development", user="bob")
    assert not cluster.can_i("delete", "roles", "development")  # the cluster's identity: alice
    with pytest.raises(ApiError) as refused:
        await alice.create(binding("ghost", "ClusterRole", "nope", [user("alice")]))
    assert refused.value.message == 'rolebindings.rbac.authorization.k8s.io "nope" not found'
    with pytest.raises(ApiError) as refused:
        await alice.create(binding("admin-for-me", "ClusterRole", "admin", [user("alice")]))
    assert refused.value.message.count("\n") > 20 and '{APIGroups:["apps"], Resources:["deployments"], Verbs:[' \
        in refused.value.message


async def test_validation_messages(cluster: Cluster) -> None:
    with pytest.raises(ApiError) as bad:
        await cluster.create(role("bad", [{"nonResourceURLs": ["/x"], "verbs": []},
                                          {"apiGroups": [""], "verbs": ["get"]}]))
    assert bad.value.message == (
        'Role.rbac.authorization.k8s.io "bad" is invalid: [rules[0].verbs: Required value: verbs must contain at '
        'least one value, rules[0].nonResourceURLs: Invalid value: ["/x"]: namespaced rules cannot apply to '
        'non-resource URLs, rules[1].resources: Required value: resource rules must supply at least one resource]')
    bad_binding = binding("badb", "Foo", "", [{"kind": "Robot", "name": "r"},
                                              {"kind": "User", "name": "", "apiGroup": "v1"}])
    bad_binding["roleRef"]["apiGroup"] = "x"
    with pytest.raises(ApiError) as bad:
        await cluster.create(bad_binding)
    assert bad.value.message == (
        'RoleBinding.rbac.authorization.k8s.io "badb" is invalid: [roleRef.apiGroup: Unsupported value: "x": '
        'supported values: "rbac.authorization.k8s.io", roleRef.kind: Unsupported value: "Foo": supported values: '
        '"Role", "ClusterRole", roleRef.name: Required value, subjects[0].kind: Unsupported value: "Robot": '
        'supported values: "ServiceAccount", "User", "Group", subjects[1].name: Required value, '
        'subjects[1].apiGroup: Unsupported value: "v1": supported values: "rbac.authorization.k8s.io"]')
    with pytest.raises(ApiError) as bad:
        await cluster.create(binding("badcrb", "Role", "x", [{"kind": "ServiceAccount", "name": "sa"}], namespace=None))
    assert bad.value.message == ('ClusterRoleBinding.rbac.authorization.k8s.io "badcrb" is invalid: [roleRef.kind: '
                                 'Unsupported value: "Role": supported values: "ClusterRole", '
                                 'subjects[0].namespace: Required value]')
    live = cluster.get("rolebinding", "dev-pod-reader", "development")
    live["roleRef"]["name"] = "other"
    with pytest.raises(ApiError) as bad:
        await cluster.update(live)
    assert bad.value.message == (
        'RoleBinding.rbac.authorization.k8s.io "dev-pod-reader" is invalid: roleRef: Invalid value: '
        '{"APIGroup":"rbac.authorization.k8s.io","Kind":"Role","Name":"other"}: cannot change roleRef')
    # Nonsense of the wrong types is refused, never a crash.
    for nonsense in ({"rules": "all"}, {"rules": [["get"]]}, {"rules": [{"verbs": "get"}]}):
        with pytest.raises(ApiError):
            await cluster.create({**role("odd", []), **nonsense})


async def test_kubectl_columns_and_describe(cluster: Cluster) -> None:
    columns, rows = cluster.table("rolebinding", "development", wide=True)
    assert columns == ["NAME", "ROLE", "AGE", "USERS", "GROUPS", "SERVICEACCOUNTS"]
    assert rows == [["dev-pod-reader", "Role/pod-reader", "0s", "alice", "", "monitoring/monitoring"]]
    assert cluster.table("role", "development")[0] == ["NAME", "CREATED AT"]
    assert cluster.table("role", "development")[1][0][1].endswith("Z")
    assert cluster.describe("role", "pod-reader", "development") == textwrap.dedent("""\
        Name:         pod-reader
        Labels:       <none>
        Annotations:  <none>
        PolicyRule:
          Resources  Non-Resource URLs  Resource Names  Verbs
          ---------  -----------------  --------------  -----
          pods/log   []                 []              [get list watch]
          pods       []                 []              [get list watch]
        """)
    assert cluster.describe("rolebinding", "dev-pod-reader", "development") == textwrap.dedent("""\
        Name:         dev-pod-reader
        Labels:       <none>
        Annotations:  <none>
        Role:
          Kind:  Role
          Name:  pod-reader
        Subjects:
          Kind            Name        Namespace
          ----            ----        ---------
          User            alice       
          ServiceAccount  monitoring  monitoring
        """)  # noqa: W291 (kubectl's tab writer pads the empty Namespace cell)
